// SPDX-License-Identifier: GPL-2.0
/*
 * Request lifetime: allocation, references, completion and waiting.
 */
#include <linux/mm.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>

#include "cache.h"
#include "engine.h"
#include "ring.h"
#include "sched.h"

/* Asynchronous cpu copies and LINK successors start from here. */
static struct workqueue_struct *ipcoff_async_wq;

/**
 * ipcoff_request_alloc() - a request with one reference for the caller
 *
 * Return: the request or NULL.
 */
struct ipcoff_request *ipcoff_request_alloc(void)
{
	struct ipcoff_request *req = kzalloc(sizeof(*req), GFP_KERNEL);

	if (!req)
		return NULL;
	kref_init(&req->ref);
	init_completion(&req->done);
	spin_lock_init(&req->lock);
	req->start = ktime_get();
	return req;
}

/**
 * ipcoff_end_unpin() - drop the pinned memory of one side of a copy
 * @end: the side; a local iovec becomes unpinned again
 *
 * Callable from any context: region puts only queue work.
 */
void ipcoff_end_unpin(struct ipcoff_xfer_end *end)
{
	u32 i;

	for (i = 0; i < end->ext_cnt; i++)
		ipcoff_region_put(end->ext[i].region);
	if (end->ext != &end->one)
		kfree(end->ext);
	end->ext = NULL;
	end->ext_cnt = 0;
}

/**
 * ipcoff_end_page() - the page holding byte @pos of a pinned end
 * @end: one side of a copy, pinned (extents)
 * @pos: byte offset in the side
 * @poff: set to @pos's offset in the page
 * @span: set to the bytes from @pos to the end of the page or extent
 *
 * Return: the page, or NULL when @pos is past the side's extents.
 */
struct page *ipcoff_end_page(const struct ipcoff_xfer_end *end, u64 pos,
			     unsigned int *poff, u64 *span)
{
	u32 i;

	for (i = 0; i < end->ext_cnt; i++) {
		const struct ipcoff_extent *x = &end->ext[i];
		u64 at;

		if (pos >= x->len) {
			pos -= x->len;
			continue;
		}
		at = x->region->first_off + x->offset + pos;
		*poff = offset_in_page(at);
		*span = min_t(u64, x->len - pos, PAGE_SIZE - *poff);
		return x->region->pages[at >> PAGE_SHIFT];
	}
	return NULL;
}

static void ipcoff_end_release(struct ipcoff_xfer_end *end)
{
	struct ipcoff_region *r = ipcoff_end_region(end);

	if (r)
		ipcoff_region_idle(r);
	ipcoff_end_unpin(end);
	kfree(end->iov);
}

/* Any context: region puts only queue work, kfree never sleeps. */
static void ipcoff_request_release(struct kref *ref)
{
	struct ipcoff_request *req =
		container_of(ref, struct ipcoff_request, ref);

	if (req->notify)
		ipcoff_ring_notify_free(req->notify);
	ipcoff_inject_free(req->inject);
	if (req->ring)
		ipcoff_ring_put(req->ring);
	if (req->parent) {
		ipcoff_request_put(req->parent);
	} else {
		ipcoff_end_release(&req->dst);
		ipcoff_end_release(&req->src);
	}
	kfree(req);
}

/**
 * ipcoff_request_get() - take a reference
 * @req: the request
 */
void ipcoff_request_get(struct ipcoff_request *req)
{
	kref_get(&req->ref);
}

/**
 * ipcoff_request_put() - drop a reference; the last frees the request
 * @req: the request
 *
 * Callable from any context, including DMA completion callbacks.
 */
void ipcoff_request_put(struct ipcoff_request *req)
{
	kref_put(&req->ref, ipcoff_request_release);
}

/**
 * ipcoff_request_submit() - hand a request to its engine
 * @req: a request whose @engine is set
 *
 * The engine's reference is taken here and dropped by
 * ipcoff_request_complete().
 */
void ipcoff_request_submit(struct ipcoff_request *req)
{
	struct ipcoff_engine *e = req->engine;

	ipcoff_request_get(req);
	req->ran = e->id;
	atomic_inc(&e->stats.depth);
	req->start = ktime_get();
	ipcoff_sched_start(req);
	e->submit(req);
}

/* Writes the request's entries: its own, and the destination owner's. */
static void ipcoff_request_post(struct ipcoff_request *req)
{
	s64 result = req->result ? req->result : (s64)req->copied;
	u64 latency = ktime_to_ns(ktime_sub(ktime_get(), req->start));
	u32 engine = req->ran;
	struct ipcoff_cqe_node *n = req->notify;
	struct ipcoff_ring *consumer = n ? n->ring : req->ring;
	u32 inject_flag = 0;

	/* Queued before the entry shows, so that the consumer finds it. */
	if (req->inject && consumer && !req->result) {
		ipcoff_ring_inject_add(consumer, req->inject);
		req->inject = NULL;
		inject_flag = IPCOFF_CQE_INJECT;
	}
	if (req->ring) {
		struct ipcoff_cqe cqe = {
			.user_data = req->user_data,
			.result = result,
			.flags = req->cqe_flags | (n ? 0 : inject_flag),
			.engine = engine,
			.latency_ns = latency,
			.offset = req->cqe_flags & IPCOFF_CQE_CHUNK ? req->skip : 0,
			.len = req->len,
		};

		ipcoff_ring_post(req->ring, &cqe);
	}
	if (n) {
		req->notify = NULL;
		n->cqe.result = result;
		n->cqe.engine = engine;
		n->cqe.latency_ns = latency;
		n->cqe.flags |= inject_flag;
		ipcoff_ring_post_notify(n);
	}
}

/* Marks @req done for ipcoff_request_link(); returns its successor. */
static struct ipcoff_request *
ipcoff_request_finished(struct ipcoff_request *req)
{
	struct ipcoff_request *next;
	unsigned long flags;

	spin_lock_irqsave(&req->lock, flags);
	req->finished = true;
	next = req->next;
	req->next = NULL;
	spin_unlock_irqrestore(&req->lock, flags);
	return next;
}

/**
 * ipcoff_request_cancel() - complete a request that will not start
 * @req: a request never submitted, with the caller's reference, which
 *	this consumes
 *
 * Its entries, and those of its LINK successors, carry -ECANCELED.
 */
void ipcoff_request_cancel(struct ipcoff_request *req)
{
	while (req) {
		struct ipcoff_request *next;

		req->result = -ECANCELED;
		req->copied = 0;
		ipcoff_request_post(req);
		/* A successor linked from now on sees the failure. */
		next = ipcoff_request_finished(req);
		complete(&req->done);
		ipcoff_request_put(req);
		req = next;
	}
}

static void ipcoff_request_start_work(struct work_struct *work)
{
	struct ipcoff_request *req =
		container_of(work, struct ipcoff_request, link_work);

	ipcoff_request_submit(req);
	ipcoff_request_put(req);
}

/* A predecessor finished: start @next (its reference), or cancel it. */
static void ipcoff_request_follow(struct ipcoff_request *next, bool go)
{
	if (go) {
		/* From any context: the engines submit in process context. */
		INIT_WORK(&next->link_work, ipcoff_request_start_work);
		queue_work(ipcoff_async_wq, &next->link_work);
	} else {
		ipcoff_request_cancel(next);
	}
}

static bool ipcoff_request_went_well(const struct ipcoff_request *req)
{
	return !req->result && !(req->ring && ipcoff_ring_closed(req->ring));
}

/**
 * ipcoff_request_link() - start @next only after @prev succeeded
 * @prev: a submitted request
 * @next: a request not submitted; the caller's reference goes with it
 *
 * Ordering is kept in software on every engine: idxd ignores the fence
 * bit. If @prev fails (or its context goes), @next and its own successors
 * complete with -ECANCELED.
 */
void ipcoff_request_link(struct ipcoff_request *prev,
			 struct ipcoff_request *next)
{
	unsigned long flags;
	bool finished;

	spin_lock_irqsave(&prev->lock, flags);
	finished = prev->finished;
	if (!finished)
		prev->next = next;
	spin_unlock_irqrestore(&prev->lock, flags);
	if (finished)
		ipcoff_request_follow(next, ipcoff_request_went_well(prev));
}

/**
 * ipcoff_request_queue() - run a request on the async worker
 * @req: the request, whose engine reference @fn owns
 * @fn: the engine's step
 */
void ipcoff_request_queue(struct ipcoff_request *req, work_func_t fn)
{
	INIT_WORK(&req->work, fn);
	queue_work(ipcoff_async_wq, &req->work);
}

/**
 * ipcoff_request_init() - create the async worker
 *
 * Return: 0 or -ENOMEM.
 */
int ipcoff_request_init(void)
{
	ipcoff_async_wq = alloc_workqueue("ipcoff_async", WQ_UNBOUND, 0);
	return ipcoff_async_wq ? 0 : -ENOMEM;
}

/**
 * ipcoff_request_exit() - wait for the async worker and remove it
 */
void ipcoff_request_exit(void)
{
	destroy_workqueue(ipcoff_async_wq);
}

/**
 * ipcoff_request_complete() - the engine is done with a request
 * @req: the request
 * @result: 0 or -errno
 * @copied: bytes that arrived
 *
 * Called exactly once per submission, from any context.
 */
void ipcoff_request_complete(struct ipcoff_request *req, int result,
			     u64 copied)
{
	struct ipcoff_engine_stats *s = &req->engine->stats;
	struct ipcoff_request *next;

	req->result = result;
	req->copied = copied;
	ipcoff_sched_done(req);
	ipcoff_engine_account(req->engine,
			      ktime_to_ns(ktime_sub(ktime_get(), req->start)));
	atomic64_add(copied, &s->bytes);
	if (result)
		atomic64_inc(&s->errors);
	else
		atomic64_inc(&s->requests);
	atomic_dec(&s->depth);
	ipcoff_sched_part_done(req);
	ipcoff_cache_after_copy(req);
	ipcoff_request_post(req);

	next = ipcoff_request_finished(req);
	if (next)
		ipcoff_request_follow(next, ipcoff_request_went_well(req));

	complete(&req->done);
	ipcoff_request_put(req);
}

/**
 * ipcoff_request_wait() - wait for a submitted request, killable
 * @req: the request
 *
 * A fatal signal or the engine's timeout ends the wait, not the request:
 * the engine keeps its reference (and the pages stay pinned) until it
 * completes.
 *
 * Return: the request's result, -EINTR or -ETIMEDOUT.
 */
int ipcoff_request_wait(struct ipcoff_request *req)
{
	struct ipcoff_engine *e = req->engine;
	unsigned long tmo = MAX_SCHEDULE_TIMEOUT;
	long left;

	if (e->timeout_ms)
		tmo = msecs_to_jiffies(e->timeout_ms());
	left = wait_for_completion_killable_timeout(&req->done, tmo);
	if (left < 0)
		return -EINTR;
	if (!left) {
		atomic64_inc(&e->stats.timeouts);
		if (e->timed_out)
			e->timed_out(req);
		return -ETIMEDOUT;
	}
	return req->result;
}
