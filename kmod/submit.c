// SPDX-License-Identifier: GPL-2.0
/*
 * SUBMIT: asynchronous copies in batches, each completing into the
 * submitter's ring, with LINK ordering and CHUNKED (Async-Pipe) splits.
 */
#include <linux/err.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "engine.h"
#include "ring.h"

/* Largest request struct a caller may pass: bounds a future ABI. */
#define IPCOFF_SUBMIT_ENTRY_MAX	512

/* Gives a request its place in the ring and the owner's entry, then runs
 * it now or after @prev.
 */
static void ipcoff_submit_start(struct ipcoff_request *req,
				struct ipcoff_ring *ring,
				struct ipcoff_cqe_node *n,
				struct ipcoff_request *prev)
{
	req->ring = ipcoff_ring_get(ring);
	req->notify = n;
	if (prev) {
		ipcoff_request_get(req);
		ipcoff_request_link(prev, req);
	} else {
		ipcoff_request_submit(req);
	}
}

/* A chunk: a view of @whole's ends from @skip on, run on its own. */
static struct ipcoff_request *ipcoff_chunk_alloc(struct ipcoff_request *whole,
						 u64 skip, u64 len)
{
	struct ipcoff_request *c = ipcoff_request_alloc();

	if (!c)
		return NULL;
	c->src = whole->src;
	c->dst = whole->dst;
	c->skip = skip;
	c->len = len;
	c->flags = whole->flags;
	c->forced = whole->forced;
	c->engine = whole->engine;
	c->async = true;
	c->user_data = whole->user_data;
	c->cqe_flags = IPCOFF_CQE_CHUNK;
	ipcoff_request_get(whole);
	c->parent = whole;
	return c;
}

/*
 * Splits a prepared request into chunks with an entry each. Everything
 * that can fail is done before the first chunk starts.
 */
static int ipcoff_submit_chunked(struct ipcoff_request *whole, u32 chunk,
				 struct ipcoff_ring *ring)
{
	u32 n = DIV_ROUND_UP_ULL(whole->len, chunk), k;
	struct ipcoff_request **parts;
	int ret = 0;

	if (n > ipcoff_ring_entries(ring))
		return -EINVAL;
	parts = kcalloc(n, sizeof(*parts), GFP_KERNEL);
	if (!parts)
		return -ENOMEM;
	for (k = 0; k < n && !ret; k++) {
		u64 skip = (u64)k * chunk;
		u64 len = min_t(u64, chunk, whole->len - skip);
		struct ipcoff_cqe_node *nn;

		parts[k] = ipcoff_chunk_alloc(whole, skip, len);
		if (!parts[k]) {
			ret = -ENOMEM;
			break;
		}
		nn = ipcoff_notify_alloc(whole, skip, len);
		if (IS_ERR(nn))
			ret = PTR_ERR(nn);
		else
			parts[k]->notify = nn;
	}
	if (!ret)
		ret = ipcoff_ring_reserve(ring, n);
	for (k = 0; k < n && parts[k]; k++) {
		struct ipcoff_cqe_node *nn = parts[k]->notify;

		if (!ret) {
			parts[k]->notify = NULL;
			ipcoff_submit_start(parts[k], ring, nn, NULL);
		}
		ipcoff_request_put(parts[k]);
	}
	kfree(parts);
	return ret;
}

/* One request of a batch; @prev is the previous one if it asked to LINK. */
static int ipcoff_submit_one(struct ipcoff_ctx *ctx, struct ipcoff_ring *ring,
			     struct ipcoff_copy *c, struct ipcoff_request *prev,
			     struct ipcoff_request **out)
{
	struct ipcoff_request *req;
	struct ipcoff_cqe_node *n;
	int ret;

	/* Chunks start at once: they cannot wait for a predecessor. */
	if (prev && (c->flags & IPCOFF_COPY_CHUNKED))
		return -EINVAL;
	ret = ipcoff_copy_prepare(ctx, c, true, &req);
	if (ret)
		return ret;
	if (c->flags & IPCOFF_COPY_CHUNKED) {
		ret = ipcoff_submit_chunked(req, c->chunk_size, ring);
		goto out;
	}
	n = ipcoff_notify_alloc(req, 0, req->len);
	if (IS_ERR(n)) {
		ret = PTR_ERR(n);
		goto out;
	}
	ret = ipcoff_ring_reserve(ring, 1);
	if (ret) {
		if (n)
			ipcoff_ring_notify_free(n);
		goto out;
	}
	ipcoff_submit_start(req, ring, n, prev);
	if (c->flags & IPCOFF_COPY_LINK) {
		*out = req;
		return 0;
	}
out:
	if (ret)
		ipcoff_request_unclaim(req);
	ipcoff_request_put(req);
	return ret;
}

/**
 * ipcoff_submit() - IPCOFF_IOC_SUBMIT
 * @ctx: the calling context
 * @s: the arguments; @s->accepted and @s->error are set
 *
 * Requests are taken in order until one is refused.
 *
 * Return: 0 when at least one request was taken or @s->count is 0, else
 * the error that refused the first.
 */
int ipcoff_submit(struct ipcoff_ctx *ctx, struct ipcoff_submit *s)
{
	struct ipcoff_ring *ring = ipcoff_ctx_ring(ctx);
	struct ipcoff_request *prev = NULL;
	u8 __user *ureq = u64_to_user_ptr(s->reqs);
	int ret = 0;
	u32 i;

	s->accepted = 0;
	s->error = 0;
	if (s->flags || s->pad || s->reserved[0] || s->reserved[1])
		return -EINVAL;
	if (s->entry_size < IPCOFF_COPY_SIZE_VER0 ||
	    s->entry_size > IPCOFF_SUBMIT_ENTRY_MAX)
		return -EINVAL;
	if (!ring)
		return -ENXIO;

	for (i = 0; i < s->count; i++) {
		struct ipcoff_request *linked = NULL;
		struct ipcoff_copy c;

		ret = copy_struct_from_user(&c, sizeof(c),
					    ureq + (u64)i * s->entry_size,
					    s->entry_size);
		if (!ret && (c.flags & IPCOFF_COPY_LINK) && i + 1 == s->count)
			ret = -EINVAL;
		if (!ret)
			ret = ipcoff_submit_one(ctx, ring, &c, prev, &linked);
		if (prev)
			ipcoff_request_put(prev);
		prev = linked;
		if (ret)
			break;
		if (fatal_signal_pending(current)) {
			i++;
			break;
		}
	}
	if (prev)
		ipcoff_request_put(prev);
	s->accepted = i;
	s->error = ret;
	return i || !s->count ? 0 : ret;
}
