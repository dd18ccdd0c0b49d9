// SPDX-License-Identifier: GPL-2.0
/*
 * Request lifetime: allocation, references, completion and waiting.
 */
#include <linux/sched/signal.h>
#include <linux/slab.h>

#include "engine.h"

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

static void ipcoff_end_release(struct ipcoff_xfer_end *end)
{
	ipcoff_end_unpin(end);
	kfree(end->iov);
}

/* Any context: region puts only queue work, kfree never sleeps. */
static void ipcoff_request_release(struct kref *ref)
{
	struct ipcoff_request *req =
		container_of(ref, struct ipcoff_request, ref);

	ipcoff_end_release(&req->dst);
	ipcoff_end_release(&req->src);
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
	atomic_inc(&e->stats.depth);
	req->start = ktime_get();
	e->submit(req);
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

	req->result = result;
	req->copied = copied;
	atomic64_add(ktime_to_ns(ktime_sub(ktime_get(), req->start)),
		     &s->busy_ns);
	atomic64_add(copied, &s->bytes);
	if (result)
		atomic64_inc(&s->errors);
	else
		atomic64_inc(&s->requests);
	atomic_dec(&s->depth);
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
