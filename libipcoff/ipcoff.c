// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * libipcoff: one thin wrapper per /dev/ipcoff ioctl.
 *
 * Every entry point returns 0 (or a byte count) on success and -errno on
 * failure; errno is left as the C library set it and never needs reading.
 * All state lives in the caller's struct ipcoff.
 *
 * Version skew is handled through the feature bits GET_INFO reports at open
 * time: a wrapper whose feature the module lacks fails with -EOPNOTSUPP
 * without issuing the ioctl. Only a different IPCOFF_ABI_VERSION, which the
 * uapi header bumps solely for incompatible changes, makes open fail.
 */
#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <ipcoff.h>

#include "internal.h"

/* Catch a uapi header whose layout drifted from the published sizes. */
static_assert(sizeof(struct ipcoff_info) == IPCOFF_INFO_SIZE_VER0,
	      "struct ipcoff_info size");
static_assert(sizeof(struct ipcoff_region_reg) == IPCOFF_REGION_REG_SIZE_VER0,
	      "struct ipcoff_region_reg size");
static_assert(sizeof(struct ipcoff_region_unreg) ==
	      IPCOFF_REGION_UNREG_SIZE_VER0,
	      "struct ipcoff_region_unreg size");
static_assert(sizeof(struct ipcoff_grant) == IPCOFF_GRANT_SIZE_VER0,
	      "struct ipcoff_grant size");
static_assert(sizeof(struct ipcoff_copy) == IPCOFF_COPY_SIZE_VER1,
	      "struct ipcoff_copy size");
/* What LIBIPCOFF_0.1-0.3 programs pass ends right before inject_ranges. */
static_assert(offsetof(struct ipcoff_copy, inject_ranges) ==
	      IPCOFF_COPY_SIZE_VER0, "struct ipcoff_copy VER0 size");
/* copy_sized() rebuilds the COPY number for the caller's struct size. */
static_assert(_IOC(_IOC_DIR(IPCOFF_IOC_COPY), IPCOFF_IOC_MAGIC, IPCOFF_NR_COPY,
		   sizeof(struct ipcoff_copy)) == IPCOFF_IOC_COPY,
	      "IPCOFF_IOC_COPY");
static_assert(sizeof(struct ipcoff_stats) == IPCOFF_STATS_SIZE_VER0,
	      "struct ipcoff_stats size");
static_assert(sizeof(struct ipcoff_buf_alloc) == IPCOFF_BUF_ALLOC_SIZE_VER0,
	      "struct ipcoff_buf_alloc size");
static_assert(sizeof(struct ipcoff_export) == IPCOFF_EXPORT_SIZE_VER0,
	      "struct ipcoff_export size");

/*
 * Runs a query ioctl into the library's own, zeroed struct @tmp of @tsize
 * bytes and hands the caller at most @size of them: programs built against
 * an older, smaller struct keep working when it grows.
 */
static int query(struct ipcoff *ipc, unsigned long cmd, void *tmp,
		 size_t tsize, void *out, size_t size)
{
	int ret = do_ioctl(ipc, cmd, tmp);

	if (ret)
		return ret;
	memcpy(out, tmp, size < tsize ? size : tsize);
	return 0;
}

int ipcoff_probe(struct ipcoff *ipc, struct ipcoff_info *info, size_t size)
{
	struct ipcoff_info tmp = { .flags = 0 };

	return query(ipc, IPCOFF_IOC_GET_INFO, &tmp, sizeof(tmp), info, size);
}

int ipcoff_get_stats(struct ipcoff *ipc, struct ipcoff_stats *stats,
		     size_t size)
{
	struct ipcoff_stats tmp = { .flags = 0 };
	int ret;

	ret = need_features(ipc, IPCOFF_FEAT_STATS);
	if (ret)
		return ret;
	return query(ipc, IPCOFF_IOC_STATS, &tmp, sizeof(tmp), stats, size);
}

int ipcoff_open_path(struct ipcoff *ipc, const char *path, unsigned int flags)
{
	struct ipcoff_info info;
	int oflags = O_RDWR;
	int ret;

	memset(ipc, 0, sizeof(*ipc));
	ipc->fd = -1;

	if (flags & ~IPCOFF_OPEN_NOCLOEXEC)
		return -EINVAL;
	if (!(flags & IPCOFF_OPEN_NOCLOEXEC))
		oflags |= O_CLOEXEC;

	ipc->fd = open(path, oflags);
	if (ipc->fd < 0)
		return -errno;

	ret = ipcoff_probe(ipc, &info, sizeof(info));
	if (!ret && info.abi_version != IPCOFF_ABI_VERSION)
		ret = -EPROTO;
	if (ret) {
		close(ipc->fd);
		ipc->fd = -1;
		return ret;
	}
	ipc->abi_version = info.abi_version;
	ipc->features = info.features;
	ipc->engines = info.engines;
	ipc->module_version = info.module_version;
	return 0;
}

int ipcoff_open(struct ipcoff *ipc, unsigned int flags)
{
	return ipcoff_open_path(ipc, IPCOFF_DEVICE_PATH, flags);
}

void ipcoff_close(struct ipcoff *ipc)
{
	if (ipc->fd >= 0)
		close(ipc->fd);
	ipc->fd = -1;
}

/* REGISTER, with a "data arrived" user_data when @flags has NOTIFY. */
static int do_register(struct ipcoff *ipc, void *addr, size_t len,
		       uint32_t flags, uint64_t notify_data, uint64_t *handle)
{
	struct ipcoff_region_reg reg = {
		.addr = ptr_to_u64(addr),
		.len = len,
		.flags = flags,
		.notify_data = notify_data,
	};
	uint64_t need = IPCOFF_FEAT_REGISTER;
	int ret;

	if (flags & IPCOFF_REGION_SINGLE_USE)
		need |= IPCOFF_FEAT_SINGLE_USE;
	if (flags & IPCOFF_REGION_NOTIFY)
		need |= IPCOFF_FEAT_ASYNC | IPCOFF_FEAT_NOTIFY;
	ret = need_features(ipc, need);
	if (ret)
		return ret;

	ret = do_ioctl(ipc, IPCOFF_IOC_REGISTER, &reg);
	if (ret)
		return ret;
	*handle = reg.handle;
	return 0;
}

int ipcoff_register(struct ipcoff *ipc, void *addr, size_t len,
		    unsigned int flags, uint64_t *handle)
{
	return do_register(ipc, addr, len, flags, 0, handle);
}

int ipcoff_register_notify(struct ipcoff *ipc, void *addr, size_t len,
			   uint32_t flags, uint64_t notify_data,
			   uint64_t *handle)
{
	return do_register(ipc, addr, len, flags | IPCOFF_REGION_NOTIFY,
			   notify_data, handle);
}

int ipcoff_unregister(struct ipcoff *ipc, uint64_t handle)
{
	struct ipcoff_region_unreg unreg = { .handle = handle };
	int ret;

	ret = need_features(ipc, IPCOFF_FEAT_REGISTER);
	if (ret)
		return ret;
	return do_ioctl(ipc, IPCOFF_IOC_UNREGISTER, &unreg);
}

int ipcoff_grant(struct ipcoff *ipc, uint64_t handle, uid_t uid,
		 unsigned int access)
{
	struct ipcoff_grant grant = {
		.handle = handle,
		.uid = uid,
		.access = access,
	};
	int ret;

	ret = need_features(ipc, IPCOFF_FEAT_GRANT);
	if (ret)
		return ret;
	return do_ioctl(ipc, IPCOFF_IOC_GRANT, &grant);
}

int ipcoff_revoke(struct ipcoff *ipc, uint64_t handle, uid_t uid)
{
	return ipcoff_grant(ipc, handle, uid, 0);
}

/*
 * COPY of a request @size bytes long: the size travels in the ioctl
 * number, and the module reads and writes back no more than that.
 */
static int copy_sized(struct ipcoff *ipc, struct ipcoff_copy *req,
		      size_t size)
{
	int ret;

	ret = need_features(ipc, IPCOFF_FEAT_COPY | copy_needs(req, size));
	if (ret)
		return ret;
	return do_ioctl(ipc, _IOC(_IOC_DIR(IPCOFF_IOC_COPY), IPCOFF_IOC_MAGIC,
				  IPCOFF_NR_COPY, size), req);
}

/*
 * struct ipcoff_copy grew to IPCOFF_COPY_SIZE_VER1 in LIBIPCOFF_0.4.
 * Programs built before it call ipcoff_copy@LIBIPCOFF_0.1 with the
 * 128-byte struct; programs built since bind to the default version.
 */
int ipcoff_copy_0_1(struct ipcoff *ipc, struct ipcoff_copy *req)
{
	return copy_sized(ipc, req, IPCOFF_COPY_SIZE_VER0);
}
__asm__(".symver ipcoff_copy_0_1, ipcoff_copy@LIBIPCOFF_0.1");

int ipcoff_copy_0_4(struct ipcoff *ipc, struct ipcoff_copy *req)
{
	return copy_sized(ipc, req, sizeof(*req));
}
__asm__(".symver ipcoff_copy_0_4, ipcoff_copy@@LIBIPCOFF_0.4");

int ipcoff_copy_region(struct ipcoff *ipc, uint64_t dst_handle,
		       uint64_t dst_off, uint64_t src_handle,
		       uint64_t src_off, uint64_t len, uint64_t *copied)
{
	struct ipcoff_copy req = {
		.src = { .type = IPCOFF_EP_REGION, .handle = src_handle,
			 .offset = src_off },
		.dst = { .type = IPCOFF_EP_REGION, .handle = dst_handle,
			 .offset = dst_off },
		.len = len,
		.engine = IPCOFF_ENGINE_AUTO,
	};
	int ret;

	ret = copy_sized(ipc, &req, sizeof(req));
	if (copied)
		*copied = req.copied;
	return ret;
}

/* One region endpoint, one single-segment iovec endpoint, then COPY. */
static ssize_t copy_iov(struct ipcoff *ipc, uint64_t handle, uint64_t off,
			const void *buf, size_t len, int to_region)
{
	struct ipcoff_iovec iov = { .base = ptr_to_u64(buf), .len = len };
	struct ipcoff_endpoint region, local;
	struct ipcoff_copy req = { .len = len, .engine = IPCOFF_ENGINE_AUTO };
	int ret;

	if (len > SSIZE_MAX)
		return -EINVAL;

	ipcoff_ep_region(&region, handle, off);
	ipcoff_ep_iovec(&local, &iov, 1);
	req.src = to_region ? local : region;
	req.dst = to_region ? region : local;

	ret = copy_sized(ipc, &req, sizeof(req));
	if (ret)
		return ret;
	return (ssize_t)req.copied;
}

ssize_t ipcoff_read(struct ipcoff *ipc, void *dst, size_t len,
		    uint64_t src_handle, uint64_t src_off)
{
	return copy_iov(ipc, src_handle, src_off, dst, len, 0);
}

ssize_t ipcoff_write(struct ipcoff *ipc, uint64_t dst_handle,
		     uint64_t dst_off, const void *src, size_t len)
{
	return copy_iov(ipc, dst_handle, dst_off, src, len, 1);
}

/*
 * Buffers (IPCOFF_FEAT_BUFFERS, LIBIPCOFF_0.3): regions of module-owned
 * pages, mapped through per-buffer export fds.
 */
int ipcoff_buf_alloc(struct ipcoff *ipc, size_t len, uint32_t flags,
		     uint64_t notify_data, uint64_t *handle, size_t *alloc_len)
{
	struct ipcoff_buf_alloc b = {
		.len = len,
		.flags = flags,
		.notify_data = notify_data,
	};
	uint64_t need = IPCOFF_FEAT_BUFFERS;
	int ret;

	if (flags & IPCOFF_REGION_NOTIFY)
		need |= IPCOFF_FEAT_ASYNC | IPCOFF_FEAT_NOTIFY;
	ret = need_features(ipc, need);
	if (ret)
		return ret;

	ret = do_ioctl(ipc, IPCOFF_IOC_BUF_ALLOC, &b);
	if (ret)
		return ret;
	/*
	 * Only a 32-bit program can get a length that size_t cannot hold
	 * (a request within a page of SIZE_MAX): give the buffer back
	 * rather than report a wrong size.
	 */
	if ((uint64_t)(size_t)b.len != b.len) {
		struct ipcoff_region_unreg unreg = { .handle = b.handle };

		do_ioctl(ipc, IPCOFF_IOC_UNREGISTER, &unreg);
		return -EOVERFLOW;
	}
	*handle = b.handle;
	if (alloc_len)
		*alloc_len = (size_t)b.len;
	return 0;
}

int ipcoff_export(struct ipcoff *ipc, uint64_t handle, uint32_t access,
		  unsigned int flags, int *fd)
{
	struct ipcoff_export e = {
		.handle = handle,
		.access = access,
		.flags = flags,
	};
	int ret;

	ret = need_features(ipc, IPCOFF_FEAT_BUFFERS);
	if (ret)
		return ret;
	ret = do_ioctl(ipc, IPCOFF_IOC_EXPORT, &e);
	if (ret)
		return ret;
	if (e.fd < 0)
		return -EPROTO;
	*fd = e.fd;
	return 0;
}

const char *ipcoff_engine_name(unsigned int engine)
{
	static const char *const names[IPCOFF_ENGINE_COUNT] = {
		[IPCOFF_ENGINE_AUTO] = "auto",
		[IPCOFF_ENGINE_CPU] = "cpu",
		[IPCOFF_ENGINE_DMA] = "dma",
		[IPCOFF_ENGINE_ELIDE] = "elide",
	};

	if (engine >= IPCOFF_ENGINE_COUNT || !names[engine])
		return "unknown";
	return names[engine];
}
