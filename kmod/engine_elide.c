// SPDX-License-Identifier: GPL-2.0
/*
 * The elide engine: a copy done without moving a byte. It serves copies
 * whose source and destination already are the same bytes: the same pages
 * at the same offsets (two registrations of one shared mapping, a region
 * copied onto its own alias). And, under IPCOFF_COPY_MOVE, copies between
 * two buffers at the same offset within a page: the whole pages are
 * exchanged between the buffers (buffer.c), the partial head and tail
 * pages swapped byte by byte, so the source ends up holding the
 * destination's former bytes.
 */
#include <linux/highmem.h>
#include <linux/minmax.h>
#include <linux/mm.h>
#include <linux/sched.h>
#include <linux/string.h>

#include "engine.h"

static bool ipcoff_elide_present(void)
{
	return true;
}

/* Same pages, same offsets, all the way; stops at the first difference. */
static int ipcoff_elide_same(const struct ipcoff_request *req)
{
	u64 pos = 0, n = 0;

	if (!req->src.ext_cnt || !req->dst.ext_cnt)
		return -EOPNOTSUPP;
	while (pos < req->len) {
		unsigned int soff, doff;
		u64 sspan, dspan;
		struct page *sp, *dp;

		sp = ipcoff_end_page(&req->src, req->skip + pos, &soff,
				     &sspan);
		dp = ipcoff_end_page(&req->dst, req->skip + pos, &doff,
				     &dspan);
		if (!sp || sp != dp || soff != doff)
			return -EOPNOTSUPP;
		pos += min(sspan, dspan);
		if (!(++n % 4096))
			cond_resched();
	}
	return 0;
}

/**
 * struct ipcoff_elide_plan - how a MOVE copy splits
 * @a: the source buffer
 * @b: the destination buffer
 * @aoff: the source's first byte in @a's pages
 * @boff: the destination's first byte in @b's pages
 * @head: bytes before the first whole page (swapped by the CPU)
 * @npages: whole pages exchanged
 * @tail: bytes after them (swapped by the CPU)
 */
struct ipcoff_elide_plan {
	struct ipcoff_region *a;
	struct ipcoff_region *b;
	u64 aoff;
	u64 boff;
	u64 head;
	u64 npages;
	u64 tail;
};

/* A MOVE between two buffers at the same offset within a page. */
static bool ipcoff_elide_plan(const struct ipcoff_request *req,
			      struct ipcoff_elide_plan *p)
{
	u64 in_page, rest;

	if (!(req->flags & IPCOFF_COPY_MOVE) || req->skip)
		return false;
	p->a = ipcoff_end_region(&req->src);
	p->b = ipcoff_end_region(&req->dst);
	if (!p->a || !p->b || !p->a->buf || !p->b->buf)
		return false;
	p->aoff = p->a->first_off + req->src.one.offset;
	p->boff = p->b->first_off + req->dst.one.offset;
	in_page = offset_in_page(p->aoff);
	if (in_page != offset_in_page(p->boff))
		return false;
	p->head = in_page ? min_t(u64, req->len, PAGE_SIZE - in_page) : 0;
	rest = req->len - p->head;
	p->npages = rest >> PAGE_SHIFT;
	p->tail = rest & ~PAGE_MASK;
	return true;
}

static int ipcoff_elide_serves(const struct ipcoff_request *req)
{
	struct ipcoff_elide_plan p;

	if (!ipcoff_elide_same(req))
		return 0;
	/* auto takes it only when a page at least is exchanged. */
	if (ipcoff_elide_plan(req, &p) && (req->forced || p.npages))
		return 0;
	return -EOPNOTSUPP;
}

/* Swaps @len bytes (within one page on each side) at @aoff and @boff. */
static void ipcoff_elide_swap_bytes(struct ipcoff_region *a, u64 aoff,
				    struct ipcoff_region *b, u64 boff, u64 len)
{
	u8 *pa = kmap_local_page(a->pages[aoff >> PAGE_SHIFT]);
	u8 *pb = kmap_local_page(b->pages[boff >> PAGE_SHIFT]);
	u8 tmp[64];
	u64 done, n;

	pa += offset_in_page(aoff);
	pb += offset_in_page(boff);
	for (done = 0; done < len; done += n) {
		n = min_t(u64, len - done, sizeof(tmp));
		memcpy(tmp, pa + done, n);
		memcpy(pa + done, pb + done, n);
		memcpy(pb + done, tmp, n);
	}
	kunmap_local(pb);
	kunmap_local(pa);
}

static void ipcoff_elide_submit(struct ipcoff_request *req)
{
	struct ipcoff_elide_plan p;
	u64 mid, copied = 0;
	int ret;

	/* Served (ipcoff_elide_serves()): the same bytes, or a plan. */
	if (!ipcoff_elide_same(req) || !ipcoff_elide_plan(req, &p)) {
		ipcoff_request_complete(req, 0, req->len);
		return;
	}
	mid = p.npages << PAGE_SHIFT;
	ret = 0;
	if (p.npages)
		ret = ipcoff_buf_exchange(p.a, (p.aoff + p.head) >> PAGE_SHIFT,
					  p.b, (p.boff + p.head) >> PAGE_SHIFT,
					  p.npages);
	if (ret) {
		if (req->forced && !(req->flags & IPCOFF_COPY_CPU_FALLBACK)) {
			ipcoff_request_complete(req, ret, 0);
			return;
		}
		/* A page is in use elsewhere: a plain copy instead. */
		atomic64_inc(&ipcoff_engine_elide.stats.fallbacks);
		req->ran = IPCOFF_ENGINE_CPU;
		ret = ipcoff_cpu_copy(req, 0, req->len, &copied,
				      &req->descriptors);
		ipcoff_request_complete(req, ret, copied);
		return;
	}
	/*
	 * The partial pages stay where they are: no exchange can run on
	 * either buffer while this request holds it (region users).
	 */
	if (p.head)
		ipcoff_elide_swap_bytes(p.a, p.aoff, p.b, p.boff, p.head);
	if (p.tail)
		ipcoff_elide_swap_bytes(p.a, p.aoff + p.head + mid,
					p.b, p.boff + p.head + mid, p.tail);
	req->descriptors = p.npages;
	atomic64_add(p.npages, &ipcoff_engine_elide.stats.descriptors);
	ipcoff_request_complete(req, 0, req->len);
}

struct ipcoff_engine ipcoff_engine_elide = {
	.id = IPCOFF_ENGINE_ELIDE,
	.name = "elide",
	.present = ipcoff_elide_present,
	.serves = ipcoff_elide_serves,
	.submit = ipcoff_elide_submit,
};
