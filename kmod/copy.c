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
	args->descriptors = 0;
	if (args->flags & ~IPCOFF_COPY_FLAGS || args->reserved[0] ||
	    !args->len)
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
	if (e->needs_pages) {
		ret = ipcoff_pin_ends(req);
		/* The module's choice, not the caller's: the CPU can fault. */
		if (ret == -EFAULT && !req->forced) {
			atomic64_inc(&e->stats.fallbacks);
			if (!ipcoff_end_region(&req->src))
				ipcoff_end_unpin(&req->src);
			if (!ipcoff_end_region(&req->dst))
				ipcoff_end_unpin(&req->dst);
			e = &ipcoff_engine_cpu;
			ret = 0;
		}
		if (ret)
			goto out;
	}
	req->engine = e;
	args->engine = e->id;
	ipcoff_request_submit(req);
	ret = ipcoff_request_wait(req);
	if (ret != -EINTR) {
		args->copied = req->copied;
		args->descriptors = req->descriptors;
	}
out:
	/* A single use is spent only by a copy that worked. */
	if (ret && src_claim)
		ipcoff_region_unclaim(ipcoff_end_region(&req->src));
	if (ret && dst_claim)
		ipcoff_region_unclaim(ipcoff_end_region(&req->dst));
	ipcoff_request_put(req);
	return ret;
}
