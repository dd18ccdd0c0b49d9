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

#include "cache.h"
#include "engine.h"
#include "ring.h"

/* Bytes between two checks for a fatal signal and a chance to resched. */
#define IPCOFF_CPU_CHUNK	(256 * 1024)

/* Position of one side of the copy; advanced piece by piece. */
struct ipcoff_cpu_pos {
	struct ipcoff_xfer_end *end;
	u32 idx;		/* current extent, or iovec entry if unpinned */
	u64 off;		/* offset in it; may start past its end */
};

static u64 ipcoff_cpu_part_len(struct ipcoff_cpu_pos *p)
{
	struct ipcoff_xfer_end *e = p->end;

	return e->ext_cnt ? e->ext[p->idx].len : e->iov[p->idx].len;
}

/* Pinned memory: the page at the cursor and the offset in it. */
static struct page *ipcoff_cpu_page(struct ipcoff_cpu_pos *p,
				    unsigned int *poff)
{
	struct ipcoff_extent *x = &p->end->ext[p->idx];
	u64 at = x->region->first_off + x->offset + p->off;

	*poff = offset_in_page(at);
	return x->region->pages[at >> PAGE_SHIFT];
}

/* Bytes available at the cursor without crossing a page or an entry. */
static u64 ipcoff_cpu_span(struct ipcoff_cpu_pos *p)
{
	unsigned int poff;
	u64 n;

	while (p->off >= ipcoff_cpu_part_len(p)) {
		p->off -= ipcoff_cpu_part_len(p);
		p->idx++;
	}
	n = ipcoff_cpu_part_len(p) - p->off;
	if (!p->end->ext_cnt)
		return n;
	ipcoff_cpu_page(p, &poff);
	return min_t(u64, n, PAGE_SIZE - poff);
}

static void __user *ipcoff_cpu_uaddr(struct ipcoff_cpu_pos *p)
{
	return u64_to_user_ptr(p->end->iov[p->idx].base + p->off);
}

/* Copies @n bytes, never more than one page on a pinned side. */
static u64 ipcoff_cpu_piece(struct ipcoff_cpu_pos *s, struct ipcoff_cpu_pos *d,
			    u64 n, bool nontemporal)
{
	unsigned int soff, doff;
	unsigned long left = 0;
	void *src, *dst;

	if (s->end->ext_cnt && d->end->ext_cnt) {
		src = kmap_local_page(ipcoff_cpu_page(s, &soff));
		dst = kmap_local_page(ipcoff_cpu_page(d, &doff));
		if (nontemporal)
			memcpy_flushcache(dst + doff, src + soff, n);
		else
			memcpy(dst + doff, src + soff, n);
		kunmap_local(dst);
		kunmap_local(src);
	} else if (s->end->ext_cnt) {
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
 * ipcoff_cpu_copy() - copy bytes of a request with the calling CPU
 * @req: the request; each end is pinned extents or the caller's unpinned
 *	iovec
 * @skip: bytes of both ends to pass over first
 * @len: bytes to copy; both sides were checked to hold @skip + @len
 * @copied: set to the bytes that arrived, also on error
 * @pieces: if not NULL, set to the number of pieces the copy took
 *
 * At least one end is pinned, so every piece is bounded by a page. An
 * unpinned end is the calling process's memory. A synchronous copy stops
 * at a fatal signal (its caller is dying); an asynchronous one is owed to
 * the destination and runs to the end. Both reschedule every chunk.
 *
 * Return: 0, -EFAULT (iovec memory not accessible) or -EINTR.
 */
int ipcoff_cpu_copy(struct ipcoff_request *req, u64 skip, u64 len,
		    u64 *copied, u64 *pieces)
{
	struct ipcoff_cpu_pos s = { .end = &req->src, .off = skip };
	struct ipcoff_cpu_pos d = { .end = &req->dst, .off = skip };
	bool nt = req->flags & IPCOFF_COPY_CACHE_NONTEMPORAL;
	u64 done = 0, since_check = 0, n_pieces = 0;
	int ret = 0;

	while (done < len) {
		u64 n = min3(len - done, ipcoff_cpu_span(&s),
			     ipcoff_cpu_span(&d));
		u64 moved = ipcoff_cpu_piece(&s, &d, n, nt);

		n_pieces++;
		done += moved;
		if (moved != n) {
			ret = -EFAULT;
			break;
		}
		s.off += n;
		d.off += n;

		since_check += n;
		if (since_check >= IPCOFF_CPU_CHUNK && done < len) {
			since_check = 0;
			if (!req->async && fatal_signal_pending(current)) {
				ret = -EINTR;
				break;
			}
			cond_resched();
		}
	}
	atomic64_add(n_pieces, &ipcoff_engine_cpu.stats.descriptors);
	if (nt) {
		/* Non-temporal stores are weakly ordered. */
		wmb();
		ipcoff_cache_nontemporal(done);
	}
	*copied = done;
	if (pieces)
		*pieces = n_pieces;
	return ret;
}

static bool ipcoff_cpu_present(void)
{
	return true;
}

static int ipcoff_cpu_serves(const struct ipcoff_request *req)
{
	return 0;
}

static void ipcoff_cpu_run(struct ipcoff_request *req)
{
	u64 copied = 0;
	int ret = ipcoff_cpu_copy(req, req->skip, req->len, &copied,
				  &req->descriptors);

	ipcoff_request_complete(req, ret, copied);
}

/* Asynchronous: both ends are pinned, the submitter has moved on. */
static void ipcoff_cpu_work(struct work_struct *work)
{
	struct ipcoff_request *req =
		container_of(work, struct ipcoff_request, work);

	/* Its context went away before it started: cancelled. */
	if (req->ring && ipcoff_ring_closed(req->ring))
		ipcoff_request_complete(req, -ECANCELED, 0);
	else
		ipcoff_cpu_run(req);
}

/* Synchronous copies run in the submitter's context, on its own memory. */
static void ipcoff_cpu_submit(struct ipcoff_request *req)
{
	if (req->async)
		ipcoff_request_queue(req, ipcoff_cpu_work);
	else
		ipcoff_cpu_run(req);
}

struct ipcoff_engine ipcoff_engine_cpu = {
	.id = IPCOFF_ENGINE_CPU,
	.name = "cpu",
	.present = ipcoff_cpu_present,
	.serves = ipcoff_cpu_serves,
	.submit = ipcoff_cpu_submit,
};
