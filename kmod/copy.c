// SPDX-License-Identifier: GPL-2.0
/*
 * COPY: validate a request, resolve its endpoints and run it on an engine.
 */
#include <linux/err.h>
#include <linux/overflow.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "ipcoff.h"

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

static void ipcoff_release_end(struct ipcoff_xfer_end *end, bool claimed,
			       bool used)
{
	if (end->region) {
		if (claimed && !used)
			ipcoff_region_unclaim(end->region);
		ipcoff_region_put(end->region);
	}
	kfree(end->iov);
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
 * @req: COPY arguments; @req->copied and @req->engine are set
 *
 * Return: 0 or a negative errno as documented for IPCOFF_IOC_COPY.
 * @req->copied is valid for every return value.
 */
int ipcoff_copy(struct ipcoff_ctx *ctx, struct ipcoff_copy *req)
{
	struct ipcoff_xfer_end src = {}, dst = {};
	bool src_claim = false, dst_claim = false;
	int ret;

	req->copied = 0;
	if (req->flags || req->reserved[0] || req->reserved[1] || !req->len)
		return -EINVAL;
	if (req->engine >= IPCOFF_ENGINE_COUNT)
		return -EINVAL;
	ret = ipcoff_check_endpoint(&req->src);
	if (!ret)
		ret = ipcoff_check_endpoint(&req->dst);
	if (ret)
		return ret;
	if (req->src.type != IPCOFF_EP_REGION &&
	    req->dst.type != IPCOFF_EP_REGION)
		return -EINVAL;
	if (req->src.type == IPCOFF_EP_REGION &&
	    req->dst.type == IPCOFF_EP_REGION && ipcoff_overlap(req))
		return -EINVAL;
	if (req->engine != IPCOFF_ENGINE_AUTO &&
	    req->engine != IPCOFF_ENGINE_CPU)
		return -ENODEV;

	if (req->src.type == IPCOFF_EP_IOVEC)
		ret = ipcoff_load_iovec(&req->src, req->len, &src);
	else
		ret = ipcoff_load_region(ctx, &req->src, req->len,
					 IPCOFF_ACCESS_READ, &src, &src_claim);
	if (ret)
		goto out;
	if (req->dst.type == IPCOFF_EP_IOVEC)
		ret = ipcoff_load_iovec(&req->dst, req->len, &dst);
	else
		ret = ipcoff_load_region(ctx, &req->dst, req->len,
					 IPCOFF_ACCESS_WRITE, &dst, &dst_claim);
	if (ret)
		goto out;

	req->engine = IPCOFF_ENGINE_CPU;
	ret = ipcoff_cpu_copy(&src, &dst, req->len, &req->copied);
out:
	ipcoff_release_end(&dst, dst_claim, !ret);
	ipcoff_release_end(&src, src_claim, !ret);
	return ret;
}
