// SPDX-License-Identifier: GPL-2.0
/*
 * Cache actions of a copy: write-back or flush of the destination lines
 * once the bytes arrived, and injection of destination lines into the
 * consumer's cache in the consumer's own context (a synchronous COPY's
 * return, or its next WAIT). DMA engines offer no cache control through
 * dmaengine, so the CPU does all of it, for every engine.
 */
#include <linux/highmem.h>
#include <linux/libnvdimm.h>
#include <linux/overflow.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <asm/cacheflush.h>

#include "cache.h"
#include "engine.h"

static atomic64_t ipcoff_cache_clwb_bytes;
static atomic64_t ipcoff_cache_flush_bytes;
static atomic64_t ipcoff_cache_nt_bytes;
static atomic64_t ipcoff_cache_inject_bytes;

/**
 * ipcoff_cache_check() - the cache-action fields of a copy are coherent
 * @args: COPY or SUBMIT arguments
 *
 * Return: 0 or -EINVAL for the combinations IPCOFF_COPY_CACHE_* documents.
 */
int ipcoff_cache_check(const struct ipcoff_copy *args)
{
	u32 f = args->flags;
	u32 wb = f & (IPCOFF_COPY_CACHE_CLWB | IPCOFF_COPY_CACHE_FLUSH);

	if (wb == (IPCOFF_COPY_CACHE_CLWB | IPCOFF_COPY_CACHE_FLUSH))
		return -EINVAL;
	/* Exchanged pages are not written: nothing to write back. */
	if (wb && (f & IPCOFF_COPY_MOVE))
		return -EINVAL;
	/* Only the CPU makes non-temporal stores, and leaves nothing cached. */
	if ((f & IPCOFF_COPY_CACHE_NONTEMPORAL) &&
	    (wb || (f & IPCOFF_COPY_MOVE) ||
	     args->engine == IPCOFF_ENGINE_DMA ||
	     args->engine == IPCOFF_ENGINE_ELIDE))
		return -EINVAL;
	if (!(f & IPCOFF_COPY_INJECT))
		return args->inject_len || args->inject_ranges ||
		       args->nr_inject_ranges ? -EINVAL : 0;
	/* A chunk's consumer learns of it before the whole copy is done. */
	if (f & IPCOFF_COPY_CHUNKED)
		return -EINVAL;
	if (args->nr_inject_ranges > IPCOFF_INJECT_RANGES_MAX ||
	    !args->inject_len == !args->nr_inject_ranges ||
	    (!args->nr_inject_ranges && args->inject_ranges) ||
	    args->inject_len > args->len)
		return -EINVAL;
	return 0;
}

/* Calls @fn on each mapped piece of @end's bytes [@pos, @pos + @len). */
static u64 ipcoff_cache_walk(const struct ipcoff_xfer_end *end, u64 pos,
			     u64 len, void (*fn)(void *addr, u64 n))
{
	u64 done = 0;

	while (done < len) {
		unsigned int poff;
		struct page *page;
		void *addr;
		u64 span;

		page = ipcoff_end_page(end, pos + done, &poff, &span);
		if (!page)
			break;
		span = min(span, len - done);
		addr = kmap_local_page(page);
		fn(addr + poff, span);
		kunmap_local(addr);
		done += span;
	}
	return done;
}

static void ipcoff_cache_clwb(void *addr, u64 n)
{
	arch_wb_cache_pmem(addr, n);
}

static void ipcoff_cache_flush(void *addr, u64 n)
{
	clflush_cache_range(addr, n);
}

/* PREFETCHT0: into every level; prefetch() would be NTA on x86. */
static void ipcoff_cache_prefetch(void *addr, u64 n)
{
	unsigned long p = ALIGN_DOWN((unsigned long)addr, L1_CACHE_BYTES);
	unsigned long end = (unsigned long)addr + n;

	for (; p < end; p += L1_CACHE_BYTES)
		__builtin_prefetch((void *)p, 0, 3);
}

/**
 * ipcoff_cache_after_copy() - write back or flush what a request wrote
 * @req: a request whose engine is done; @req->copied bytes from
 *	@req->skip arrived
 *
 * Runs before the completion is posted, in the engine's completion
 * context (possibly a DMA callback).
 */
void ipcoff_cache_after_copy(struct ipcoff_request *req)
{
	u64 n;

	if (!req->copied)
		return;
	if (req->flags & IPCOFF_COPY_CACHE_CLWB) {
		n = ipcoff_cache_walk(&req->dst, req->skip, req->copied,
				      ipcoff_cache_clwb);
		/* CLWB is weakly ordered: finish before anyone is told. */
		wmb();
		atomic64_add(n, &ipcoff_cache_clwb_bytes);
	} else if (req->flags & IPCOFF_COPY_CACHE_FLUSH) {
		n = ipcoff_cache_walk(&req->dst, req->skip, req->copied,
				      ipcoff_cache_flush);
		atomic64_add(n, &ipcoff_cache_flush_bytes);
	}
}

/**
 * ipcoff_inject_prepare() - take a request's injection ranges
 * @req: a prepared request with its destination pinned
 * @args: its arguments, checked by ipcoff_cache_check()
 *
 * The injection holds its own references on the destination's regions,
 * not the request: a buffer it names stays free for page exchange.
 *
 * Return: 0, -EFAULT (ranges not readable), -EINVAL (a range empty or
 * beyond the copy) or -ENOMEM.
 */
int ipcoff_inject_prepare(struct ipcoff_request *req,
			  const struct ipcoff_copy *args)
{
	struct ipcoff_inject *inj;
	u32 i;

	if (!(args->flags & IPCOFF_COPY_INJECT))
		return 0;
	inj = kzalloc(struct_size(inj, ext, req->dst.ext_cnt), GFP_KERNEL);
	if (!inj)
		return -ENOMEM;
	INIT_LIST_HEAD(&inj->node);
	if (args->nr_inject_ranges) {
		if (copy_from_user(inj->ranges,
				   u64_to_user_ptr(args->inject_ranges),
				   array_size(args->nr_inject_ranges,
					      sizeof(inj->ranges[0])))) {
			kfree(inj);
			return -EFAULT;
		}
		inj->nr_ranges = args->nr_inject_ranges;
	} else {
		inj->ranges[0].len = args->inject_len;
		inj->nr_ranges = 1;
	}
	for (i = 0; i < inj->nr_ranges; i++) {
		u64 last;

		if (!inj->ranges[i].len ||
		    check_add_overflow(inj->ranges[i].offset,
				       inj->ranges[i].len, &last) ||
		    last > req->len) {
			kfree(inj);
			return -EINVAL;
		}
	}
	for (i = 0; i < req->dst.ext_cnt; i++) {
		inj->ext[i] = req->dst.ext[i];
		kref_get(&inj->ext[i].region->ref);
	}
	inj->nr_ext = req->dst.ext_cnt;
	req->inject = inj;
	return 0;
}

/**
 * ipcoff_inject_run() - pull an injection's lines into this CPU's caches
 * @inj: the injection, which stays allocated
 *
 * Called in the consumer's own context; prefetches never fault.
 */
void ipcoff_inject_run(struct ipcoff_inject *inj)
{
	struct ipcoff_xfer_end end = { .ext = inj->ext,
				       .ext_cnt = inj->nr_ext };
	u64 n = 0;
	u32 i;

	for (i = 0; i < inj->nr_ranges; i++)
		n += ipcoff_cache_walk(&end, inj->ranges[i].offset,
				       inj->ranges[i].len,
				       ipcoff_cache_prefetch);
	atomic64_add(n, &ipcoff_cache_inject_bytes);
}

/**
 * ipcoff_inject_free() - drop an injection and its region references
 * @inj: the injection, or NULL
 *
 * Any context: region puts only queue work.
 */
void ipcoff_inject_free(struct ipcoff_inject *inj)
{
	u32 i;

	if (!inj)
		return;
	for (i = 0; i < inj->nr_ext; i++)
		ipcoff_region_put(inj->ext[i].region);
	kfree(inj);
}

/**
 * ipcoff_cache_nontemporal() - count bytes copied with non-temporal stores
 * @bytes: the bytes
 */
void ipcoff_cache_nontemporal(u64 bytes)
{
	atomic64_add(bytes, &ipcoff_cache_nt_bytes);
}

/**
 * ipcoff_cache_counters() - fill the cache counters of IPCOFF_IOC_STATS
 * @st: the answer
 */
void ipcoff_cache_counters(struct ipcoff_stats *st)
{
	st->cache_clwb_bytes = atomic64_read(&ipcoff_cache_clwb_bytes);
	st->cache_flush_bytes = atomic64_read(&ipcoff_cache_flush_bytes);
	st->cache_nontemporal_bytes = atomic64_read(&ipcoff_cache_nt_bytes);
	st->cache_inject_bytes = atomic64_read(&ipcoff_cache_inject_bytes);
}
