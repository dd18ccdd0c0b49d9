// SPDX-License-Identifier: GPL-2.0
/*
 * COPY: validate a request, resolve its endpoints and run it on an engine.
 */
#include <linux/err.h>
#include <linux/overflow.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "cache.h"
#include "engine.h"
#include "ring.h"

static int ipcoff_check_endpoint(const struct ipcoff_endpoint *ep)
{
	if (ep->flags || ep->pad)
		return -EINVAL;
	switch (ep->type) {
	case IPCOFF_EP_REGION:
		return ep->iov_cnt || ep->iov ? -EINVAL : 0;
	case IPCOFF_EP_IOVEC:
		if (ep->handle || ep->offset)
			return -EINVAL;
		if (!ep->iov_cnt || ep->iov_cnt > IPCOFF_IOV_MAX)
			return -EINVAL;
		return 0;
	default:
		return -EINVAL;
	}
}

/* Copies the caller's iovec array in and checks it holds @len bytes. */
static int ipcoff_load_iovec(const struct ipcoff_endpoint *ep, u64 len,
			     struct ipcoff_xfer_end *end)
{
	u64 total = 0;
	u32 i;

	end->iov = memdup_user(u64_to_user_ptr(ep->iov),
			       array_size(ep->iov_cnt, sizeof(*end->iov)));
	if (IS_ERR(end->iov)) {
		int ret = PTR_ERR(end->iov);

		end->iov = NULL;
		return ret;
	}
	end->iov_cnt = ep->iov_cnt;
	for (i = 0; i < end->iov_cnt; i++)
		if (check_add_overflow(total, end->iov[i].len, &total))
			return -EINVAL;
	return total < len ? -EINVAL : 0;
}

static int ipcoff_load_region(struct ipcoff_ctx *ctx,
			      const struct ipcoff_endpoint *ep, u64 len,
			      u32 access, struct ipcoff_xfer_end *end,
			      bool *claimed)
{
	struct ipcoff_region *region;
	u64 last;

	region = ipcoff_region_get(ctx, ep->handle, access, claimed);
	if (IS_ERR(region))
		return PTR_ERR(region);
	ipcoff_region_busy(region);
	end->one.region = region;
	end->one.offset = ep->offset;
	end->one.len = len;
	end->ext = &end->one;
	end->ext_cnt = 1;
	if (check_add_overflow(ep->offset, len, &last) || last > region->len)
		return -ERANGE;
	return 0;
}

/*
 * Pins the first @len bytes of a local iovec, one transient region per
 * segment, for an engine that works on pages. On error the request's
 * release puts what was pinned.
 */
static int ipcoff_pin_iovec(struct ipcoff_xfer_end *end, u64 len, bool write)
{
	u64 left = len;
	u32 i;

	end->ext = kcalloc(end->iov_cnt, sizeof(*end->ext), GFP_KERNEL);
	if (!end->ext)
		return -ENOMEM;
	for (i = 0; i < end->iov_cnt && left; i++) {
		struct ipcoff_extent *x = &end->ext[end->ext_cnt];
		struct ipcoff_region *r;

		if (!end->iov[i].len)
			continue;
		x->len = min(left, end->iov[i].len);
		r = ipcoff_region_pin_user(end->iov[i].base, x->len, write);
		if (IS_ERR(r))
			return PTR_ERR(r);
		x->region = r;
		end->ext_cnt++;
		left -= x->len;
	}
	return 0;
}

/* Gives an engine that needs pages pinned local iovecs. */
static int ipcoff_pin_ends(struct ipcoff_request *req)
{
	int ret = 0;

	if (!req->src.ext)
		ret = ipcoff_pin_iovec(&req->src, req->len, false);
	if (!ret && !req->dst.ext)
		ret = ipcoff_pin_iovec(&req->dst, req->len, true);
	return ret;
}

static bool ipcoff_overlap(const struct ipcoff_copy *req)
{
	u64 s = req->src.offset, d = req->dst.offset;

	return req->src.handle == req->dst.handle &&
	       s < d + req->len && d < s + req->len;
}

/**
 * ipcoff_request_unclaim() - give back the single uses a request spent
 * @req: a request that did not copy
 */
void ipcoff_request_unclaim(struct ipcoff_request *req)
{
	if (req->claims & IPCOFF_REQ_CLAIM_SRC)
		ipcoff_region_unclaim(ipcoff_end_region(&req->src));
	if (req->claims & IPCOFF_REQ_CLAIM_DST)
		ipcoff_region_unclaim(ipcoff_end_region(&req->dst));
	req->claims = 0;
}

static int ipcoff_check_copy(const struct ipcoff_copy *args, bool async)
{
	u32 flags = async ? IPCOFF_COPY_FLAGS :
			    IPCOFF_COPY_CPU_FALLBACK | IPCOFF_COPY_MOVE |
			    IPCOFF_COPY_CACHE_ANY;
	int ret;

	if (args->flags & ~flags || args->qos > IPCOFF_QOS_MAX || !args->len)
		return -EINVAL;
	if (args->engine >= IPCOFF_ENGINE_COUNT)
		return -EINVAL;
	ret = ipcoff_cache_check(args);
	if (ret)
		return ret;
	if (args->flags & IPCOFF_COPY_CHUNKED) {
		if (args->chunk_size < IPCOFF_CHUNK_MIN ||
		    args->flags & (IPCOFF_COPY_LINK | IPCOFF_COPY_MOVE))
			return -EINVAL;
	} else if (args->chunk_size) {
		return -EINVAL;
	}
	ret = ipcoff_check_endpoint(&args->src);
	if (!ret)
		ret = ipcoff_check_endpoint(&args->dst);
	if (ret)
		return ret;
	if (args->src.type != IPCOFF_EP_REGION &&
	    args->dst.type != IPCOFF_EP_REGION)
		return -EINVAL;
	if (args->src.type == IPCOFF_EP_REGION &&
	    args->dst.type == IPCOFF_EP_REGION && ipcoff_overlap(args))
		return -EINVAL;
	return 0;
}

static int ipcoff_load_end(struct ipcoff_ctx *ctx,
			   const struct ipcoff_endpoint *ep, u64 len,
			   u32 access, struct ipcoff_xfer_end *end,
			   u8 *claims, u8 claim_bit)
{
	bool claimed = false;
	int ret;

	if (ep->type == IPCOFF_EP_IOVEC)
		return ipcoff_load_iovec(ep, len, end);
	ret = ipcoff_load_region(ctx, ep, len, access, end, &claimed);
	if (claimed)
		*claims |= claim_bit;
	return ret;
}

/**
 * ipcoff_copy_prepare() - validate a copy and resolve it into a request
 * @ctx: the calling context
 * @args: COPY arguments; @args->engine is set to the engine chosen
 * @async: for SUBMIT: local iovecs are always pinned, LINK and CHUNKED
 *	are allowed
 * @out: the request, with the caller's reference, ready to submit
 *
 * Return: 0 or a negative errno as documented for IPCOFF_IOC_COPY; on
 * error nothing is held and no single use is spent.
 */
int ipcoff_copy_prepare(struct ipcoff_ctx *ctx, struct ipcoff_copy *args,
			bool async, struct ipcoff_request **out)
{
	struct ipcoff_request *req;
	struct ipcoff_engine *e;
	int ret;

	ret = ipcoff_check_copy(args, async);
	if (ret)
		return ret;
	req = ipcoff_request_alloc();
	if (!req)
		return -ENOMEM;
	req->len = args->len;
	req->flags = args->flags;
	req->async = async;
	req->user_data = args->user_data;
	req->forced = args->engine != IPCOFF_ENGINE_AUTO;
	req->qos = args->qos;
	ret = ipcoff_load_end(ctx, &args->src, args->len, IPCOFF_ACCESS_READ,
			      &req->src, &req->claims, IPCOFF_REQ_CLAIM_SRC);
	if (!ret)
		ret = ipcoff_load_end(ctx, &args->dst, args->len,
				      IPCOFF_ACCESS_WRITE, &req->dst,
				      &req->claims, IPCOFF_REQ_CLAIM_DST);
	if (ret)
		goto err;

	/* Non-temporal stores are the CPU's: auto means cpu then. */
	e = ipcoff_engine_pick(args->flags & IPCOFF_COPY_CACHE_NONTEMPORAL ?
			       IPCOFF_ENGINE_CPU : args->engine, req);
	if (IS_ERR(e)) {
		ret = PTR_ERR(e);
		goto err;
	}
	/*
	 * A worker or an engine reaches local memory later, cache actions
	 * reach it by page: pin it now.
	 */
	if (e->needs_pages || async || (args->flags & IPCOFF_COPY_CACHE_ANY)) {
		ret = ipcoff_pin_ends(req);
		/*
		 * The module chose dma, not the caller: a synchronous copy
		 * goes to the CPU, which copies up to the fault (unless cache
		 * actions need the pages).
		 */
		if (ret == -EFAULT && !req->forced && !async &&
		    !(args->flags & IPCOFF_COPY_CACHE_ANY)) {
			atomic64_inc(&e->stats.fallbacks);
			if (!ipcoff_end_region(&req->src))
				ipcoff_end_unpin(&req->src);
			if (!ipcoff_end_region(&req->dst))
				ipcoff_end_unpin(&req->dst);
			e = &ipcoff_engine_cpu;
			ret = 0;
		}
		if (ret)
			goto err;
	}
	ret = ipcoff_inject_prepare(req, args);
	if (ret)
		goto err;
	req->engine = e;
	args->engine = e->id;
	*out = req;
	return 0;

err:
	ipcoff_request_unclaim(req);
	ipcoff_request_put(req);
	return ret;
}

/**
 * ipcoff_notify_alloc() - the destination owner's entry for a request
 * @req: a prepared request (or the whole copy of a chunk)
 * @skip: offset of the part in the copy
 * @len: bytes of the part
 *
 * Return: NULL when the destination is not a NOTIFY region, the entry, or
 * ERR_PTR(-EBUSY) when the owner's ring and overflow are full.
 */
struct ipcoff_cqe_node *ipcoff_notify_alloc(struct ipcoff_request *req,
					    u64 skip, u64 len)
{
	struct ipcoff_region *r = ipcoff_end_region(&req->dst);
	struct ipcoff_cqe_node *n;

	if (!r || !r->notify)
		return NULL;
	n = ipcoff_ring_notify_alloc(r->notify);
	if (IS_ERR(n))
		return n;
	n->cqe.user_data = r->notify_data;
	n->cqe.flags = IPCOFF_CQE_NOTIFY;
	n->cqe.handle = r->handle;
	n->cqe.offset = req->dst.one.offset + skip;
	n->cqe.len = len;
	return n;
}

/**
 * ipcoff_copy() - run one synchronous copy
 * @ctx: the calling context
 * @args: COPY arguments; @args->copied and @args->engine are set
 *
 * Return: 0 or a negative errno as documented for IPCOFF_IOC_COPY.
 * @args->copied is valid for every return value.
 */
int ipcoff_copy(struct ipcoff_ctx *ctx, struct ipcoff_copy *args)
{
	struct ipcoff_request *req;
	struct ipcoff_cqe_node *n;
	int ret;

	args->copied = 0;
	args->descriptors = 0;
	ret = ipcoff_copy_prepare(ctx, args, false, &req);
	if (ret)
		return ret;
	n = ipcoff_notify_alloc(req, 0, req->len);
	if (IS_ERR(n)) {
		ret = PTR_ERR(n);
		goto out;
	}
	req->notify = n;
	ipcoff_request_submit(req);
	ret = ipcoff_request_wait(req);
	if (ret != -EINTR) {
		args->copied = req->copied;
		args->descriptors = req->descriptors;
		args->engine = req->ran;
	}
	/* No NOTIFY owner took it: the caller is the consumer. */
	if (!ret && req->inject)
		ipcoff_inject_run(req->inject);
out:
	/* A single use is spent only by a copy that worked. */
	if (ret)
		ipcoff_request_unclaim(req);
	ipcoff_request_put(req);
	return ret;
}
