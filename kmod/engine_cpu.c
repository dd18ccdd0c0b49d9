// SPDX-License-Identifier: GPL-2.0
/*
 * The cpu engine: one copy by the calling CPU between pinned region pages
 * and the caller's own memory, like process_vm_readv but without ptrace
 * rights and without pinning the peer at every call.
 */
#include <linux/highmem.h>
#include <linux/minmax.h>
#include <linux/sched.h>
#include <linux/sched/signal.h>
#include <linux/uaccess.h>

#include "engine.h"

/* Bytes between two checks for a fatal signal and a chance to resched. */
#define IPCOFF_CPU_CHUNK	(256 * 1024)

/* Position of one side of the copy; advanced piece by piece. */
struct ipcoff_cpu_pos {
	struct ipcoff_xfer_end *end;
	u64 pos;		/* region: byte offset into the region */
	u32 idx;		/* iovec: current entry */
	u64 off;		/* iovec: offset in the current entry */
};

/* Bytes available at the cursor without crossing a page or an entry. */
static u64 ipcoff_cpu_span(struct ipcoff_cpu_pos *p)
{
	struct ipcoff_xfer_end *e = p->end;

	if (e->region)
		return PAGE_SIZE - offset_in_page(e->region->first_off + p->pos);

	while (p->off == e->iov[p->idx].len) {
		p->idx++;
		p->off = 0;
	}
	return e->iov[p->idx].len - p->off;
}

static struct page *ipcoff_cpu_page(struct ipcoff_cpu_pos *p,
				    unsigned int *poff)
{
	struct ipcoff_region *r = p->end->region;
	u64 at = r->first_off + p->pos;

	*poff = offset_in_page(at);
	return r->pages[at >> PAGE_SHIFT];
}

static void __user *ipcoff_cpu_uaddr(struct ipcoff_cpu_pos *p)
{
	return u64_to_user_ptr(p->end->iov[p->idx].base + p->off);
}

static void ipcoff_cpu_advance(struct ipcoff_cpu_pos *p, u64 n)
{
	if (p->end->region)
		p->pos += n;
	else
		p->off += n;
}

/* Copies @n bytes, never more than one page on the region side(s). */
static u64 ipcoff_cpu_piece(struct ipcoff_cpu_pos *s, struct ipcoff_cpu_pos *d,
			    u64 n)
{
	unsigned int soff, doff;
	unsigned long left = 0;
	void *src, *dst;

	if (s->end->region && d->end->region) {
		src = kmap_local_page(ipcoff_cpu_page(s, &soff));
		dst = kmap_local_page(ipcoff_cpu_page(d, &doff));
		memcpy(dst + doff, src + soff, n);
		kunmap_local(dst);
		kunmap_local(src);
	} else if (s->end->region) {
		src = kmap_local_page(ipcoff_cpu_page(s, &soff));
		left = copy_to_user(ipcoff_cpu_uaddr(d), src + soff, n);
		kunmap_local(src);
	} else {
		void __user *from = ipcoff_cpu_uaddr(s);

		/*
		 * Not copy_from_user(): it zero-fills what it could not copy,
		 * and a destination region is another process's memory that
		 * must not change past the bytes that arrived.
		 */
		if (!access_ok(from, n))
			return 0;
		dst = kmap_local_page(ipcoff_cpu_page(d, &doff));
		left = __copy_from_user(dst + doff, from, n);
		kunmap_local(dst);
	}
	return n - left;
}

/**
 * ipcoff_cpu_copy() - copy @len bytes with the calling CPU
 * @src: source; a region, or the caller's iovec
 * @dst: destination; a region, or the caller's iovec
 * @len: bytes to copy; both sides were checked to hold at least @len
 * @copied: set to the bytes that arrived, also on error
 *
 * At least one side is a region, so every piece is bounded by a page.
 * The copy stops at a fatal signal and reschedules every chunk.
 *
 * Return: 0, -EFAULT (iovec memory not accessible) or -EINTR.
 */
int ipcoff_cpu_copy(struct ipcoff_xfer_end *src, struct ipcoff_xfer_end *dst,
		    u64 len, u64 *copied)
{
	struct ipcoff_cpu_pos s = { .end = src, .pos = src->offset };
	struct ipcoff_cpu_pos d = { .end = dst, .pos = dst->offset };
	u64 done = 0, since_check = 0;

	while (done < len) {
		u64 n = min3(len - done, ipcoff_cpu_span(&s),
			     ipcoff_cpu_span(&d));
		u64 moved = ipcoff_cpu_piece(&s, &d, n);

		atomic64_inc(&ipcoff_engine_cpu.stats.descriptors);
		done += moved;
		if (moved != n) {
			*copied = done;
			return -EFAULT;
		}
		ipcoff_cpu_advance(&s, n);
		ipcoff_cpu_advance(&d, n);

		since_check += n;
		if (since_check >= IPCOFF_CPU_CHUNK && done < len) {
			since_check = 0;
			if (fatal_signal_pending(current)) {
				*copied = done;
				return -EINTR;
			}
			cond_resched();
		}
	}
	*copied = done;
	return 0;
}

static bool ipcoff_cpu_present(void)
{
	return true;
}

static int ipcoff_cpu_serves(const struct ipcoff_request *req)
{
	return 0;
}

/* Runs in the submitter's context: iovec ends are its own memory. */
static void ipcoff_cpu_submit(struct ipcoff_request *req)
{
	u64 copied = 0;
	int ret = ipcoff_cpu_copy(&req->src, &req->dst, req->len, &copied);

	ipcoff_request_complete(req, ret, copied);
}

struct ipcoff_engine ipcoff_engine_cpu = {
	.id = IPCOFF_ENGINE_CPU,
	.name = "cpu",
	.present = ipcoff_cpu_present,
	.serves = ipcoff_cpu_serves,
	.submit = ipcoff_cpu_submit,
};
