// SPDX-License-Identifier: GPL-2.0
/*
 * COPY: validate a request, resolve its endpoints and run it on an engine.
 */
#include <linux/err.h>
#include <linux/overflow.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "engine.h"

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
	end->region = region;
	end->offset = ep->offset;
	if (check_add_overflow(ep->offset, len, &last) || last > region->len)
		return -ERANGE;
	return 0;
}

static bool ipcoff_overlap(const struct ipcoff_copy *req)
{
	u64 s = req->src.offset, d = req->dst.offset;

	return req->src.handle == req->dst.handle &&
	       s < d + req->len && d < s + req->len;
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
	bool src_claim = false, dst_claim = false;
	struct ipcoff_request *req;
	struct ipcoff_engine *e;
	int ret;

	args->copied = 0;
	if (args->flags & ~IPCOFF_COPY_FLAGS || args->reserved[0] ||
	    args->reserved[1] || !args->len)
		return -EINVAL;
	if (args->engine >= IPCOFF_ENGINE_COUNT)
		return -EINVAL;
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

	req = ipcoff_request_alloc();
	if (!req)
		return -ENOMEM;
	req->len = args->len;
	req->flags = args->flags;
	req->forced = args->engine != IPCOFF_ENGINE_AUTO;
	if (args->src.type == IPCOFF_EP_IOVEC)
		ret = ipcoff_load_iovec(&args->src, args->len, &req->src);
	else
		ret = ipcoff_load_region(ctx, &args->src, args->len,
					 IPCOFF_ACCESS_READ, &req->src,
					 &src_claim);
	if (ret)
		goto out;
	if (args->dst.type == IPCOFF_EP_IOVEC)
		ret = ipcoff_load_iovec(&args->dst, args->len, &req->dst);
	else
		ret = ipcoff_load_region(ctx, &args->dst, args->len,
					 IPCOFF_ACCESS_WRITE, &req->dst,
					 &dst_claim);
	if (ret)
		goto out;

	e = ipcoff_engine_pick(args->engine, req);
	if (IS_ERR(e)) {
		ret = PTR_ERR(e);
		goto out;
	}
	req->engine = e;
	args->engine = e->id;
	ipcoff_request_submit(req);
	ret = ipcoff_request_wait(req);
	if (ret != -EINTR)
		args->copied = req->copied;
out:
	/* A single use is spent only by a copy that worked. */
	if (ret && src_claim)
		ipcoff_region_unclaim(req->src.region);
	if (ret && dst_claim)
		ipcoff_region_unclaim(req->dst.region);
	ipcoff_request_put(req);
	return ret;
}
