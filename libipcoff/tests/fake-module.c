// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * Scripted ipcoff module behind __wrap_ioctl(); see fake-module.h.
 *
 * It checks what the uapi header says the real module checks (zero flags,
 * pads and reserved fields, known endpoint types, in-range offsets) so a
 * wrapper that marshals badly fails here too, and it really moves bytes
 * between its one region and the caller's iovec so data paths are tested
 * end to end.
 */
#include <errno.h>
#include <stdarg.h>
#include <string.h>
#include <sys/stat.h>

#include "fake-module.h"

struct fake_module fake;

static dev_t fake_rdev;
static bool fake_rdev_known;

int __real_ioctl(int fd, unsigned long req, ...);
int __wrap_ioctl(int fd, unsigned long req, ...);

void fake_clear_record(void)
{
	fake.calls = 0;
	fake.passthrough = 0;
	fake.passthrough_fd = -1;
	fake.passthrough_req = 0;
	fake.last_fd = -1;
	fake.last_req = 0;
	fake.last_arg = NULL;
	memset(&fake.seen, 0, sizeof(fake.seen));
	memset(&fake.seen_src_iov, 0, sizeof(fake.seen_src_iov));
	memset(&fake.seen_dst_iov, 0, sizeof(fake.seen_dst_iov));
	fake.violations = 0;
}

void fake_reset(void)
{
	memset(&fake, 0, sizeof(fake));
	fake_clear_record();
}

void fake_arm(uint64_t features, uint32_t abi_version)
{
	struct stat st;
	size_t i;

	fake_reset();
	if (!fake_rdev_known && stat(FAKE_DEV_PATH, &st) == 0 &&
	    S_ISCHR(st.st_mode)) {
		fake_rdev = st.st_rdev;
		fake_rdev_known = true;
	}
	fake.armed = true;
	fake.info.abi_version = abi_version;
	fake.info.features = features;
	fake.info.ioctls = (1ULL << IPCOFF_NR_GET_INFO) |
			   (1ULL << IPCOFF_NR_REGISTER) |
			   (1ULL << IPCOFF_NR_UNREGISTER) |
			   (1ULL << IPCOFF_NR_GRANT) | (1ULL << IPCOFF_NR_COPY);
	fake.info.module_version = FAKE_MODULE_VERSION;
	fake.info.engines = (1U << IPCOFF_ENGINE_CPU) |
			    (1U << IPCOFF_ENGINE_ELIDE);
	fake.info.max_iovecs = IPCOFF_IOV_MAX;
	fake.info.page_size = 4096;
	fake.info.max_region_len = 1ULL << 30;
	fake.reg_handle = FAKE_REGION_HANDLE;
	for (i = 0; i < sizeof(fake.region); i++)
		fake.region[i] = (unsigned char)(i * 7 + 1);
}

/* Is @fd an open descriptor of FAKE_DEV_PATH? */
static bool is_fake_dev(int fd)
{
	struct stat st;

	if (!fake_rdev_known || fstat(fd, &st) != 0)
		return false;
	return S_ISCHR(st.st_mode) && st.st_rdev == fake_rdev;
}

static int fake_get_info(struct ipcoff_info *info)
{
	memcpy(&fake.seen.info, info, sizeof(*info));
	if (fake.info_err)
		return fake.info_err;
	if (info->flags)
		return EINVAL;
	memcpy(info, &fake.info, sizeof(*info));
	return 0;
}

static int fake_register(struct ipcoff_region_reg *reg)
{
	memcpy(&fake.seen.reg, reg, sizeof(*reg));
	if (fake.err)
		return fake.err;
	if ((reg->flags & ~IPCOFF_REGION_FLAGS) || reg->pad || reg->handle ||
	    reg->reserved[0] || reg->reserved[1] || !reg->len)
		return EINVAL;
	reg->handle = fake.reg_handle;
	return 0;
}

static int fake_unregister(const struct ipcoff_region_unreg *unreg)
{
	memcpy(&fake.seen.unreg, unreg, sizeof(*unreg));
	if (fake.err)
		return fake.err;
	if (unreg->flags || unreg->pad)
		return EINVAL;
	return unreg->handle == FAKE_REGION_HANDLE ? 0 : ENOENT;
}

static int fake_grant(const struct ipcoff_grant *grant)
{
	memcpy(&fake.seen.grant, grant, sizeof(*grant));
	if (fake.err)
		return fake.err;
	if (grant->flags || grant->pad || grant->reserved[0] ||
	    grant->reserved[1] || (grant->access & ~IPCOFF_ACCESS_MASK))
		return EINVAL;
	return grant->handle == FAKE_REGION_HANDLE ? 0 : ENOENT;
}

/*
 * Resolve one endpoint to @len bytes of memory. The fake moves bytes
 * through single-segment iovecs only, which is all libipcoff builds.
 */
static int fake_endpoint(const struct ipcoff_endpoint *ep, uint64_t len,
			 struct ipcoff_iovec *seen_iov, unsigned char **mem)
{
	const struct ipcoff_iovec *iov;

	if (ep->flags || ep->pad)
		return EINVAL;
	switch (ep->type) {
	case IPCOFF_EP_REGION:
		if (ep->iov_cnt || ep->iov)
			return EINVAL;
		if (ep->handle != FAKE_REGION_HANDLE)
			return ENOENT;
		if (ep->offset > FAKE_REGION_SIZE ||
		    len > FAKE_REGION_SIZE - ep->offset)
			return ERANGE;
		*mem = fake.region + ep->offset;
		return 0;
	case IPCOFF_EP_IOVEC:
		if (ep->handle || ep->offset)
			return EINVAL;
		if (!ep->iov_cnt || ep->iov_cnt > IPCOFF_IOV_MAX || !ep->iov)
			return EINVAL;
		iov = (const struct ipcoff_iovec *)(uintptr_t)ep->iov;
		*seen_iov = iov[0];
		if (ep->iov_cnt != 1 || iov[0].len < len || !iov[0].base)
			return EINVAL;
		*mem = (unsigned char *)(uintptr_t)iov[0].base;
		return 0;
	default:
		return EINVAL;
	}
}

static int fake_copy(struct ipcoff_copy *req)
{
	unsigned char *src = NULL, *dst = NULL;
	int err;

	memcpy(&fake.seen.copy, req, sizeof(*req));
	if (req->flags || req->reserved[0] || !req->len ||
	    req->engine >= IPCOFF_ENGINE_COUNT)
		return EINVAL;
	if (req->src.type != IPCOFF_EP_REGION &&
	    req->dst.type != IPCOFF_EP_REGION)
		return EINVAL;
	err = fake_endpoint(&req->src, req->len, &fake.seen_src_iov, &src);
	if (!err)
		err = fake_endpoint(&req->dst, req->len, &fake.seen_dst_iov,
				    &dst);
	if (err)
		return err;
	if (fake.err) {
		req->copied = fake.partial;
		return fake.err;
	}
	if (req->src.type == IPCOFF_EP_REGION &&
	    req->dst.type == IPCOFF_EP_REGION &&
	    req->src.offset < req->dst.offset + req->len &&
	    req->dst.offset < req->src.offset + req->len)
		return EINVAL;

	req->engine = IPCOFF_ENGINE_CPU;
	if (fake.override_copied) {
		req->copied = fake.copied;
		return 0;
	}
	memcpy(dst, src, req->len);
	req->copied = req->len;
	return 0;
}

int __wrap_ioctl(int fd, unsigned long req, ...)
{
	va_list ap;
	void *arg;
	int err;

	va_start(ap, req);
	arg = va_arg(ap, void *);
	va_end(ap);

	if (!fake.armed || !is_fake_dev(fd)) {
		fake.passthrough++;
		fake.passthrough_fd = fd;
		fake.passthrough_req = req;
		return __real_ioctl(fd, req, arg);
	}

	fake.calls++;
	fake.last_fd = fd;
	fake.last_req = req;
	fake.last_arg = arg;
	if (!arg) {
		fake.violations++;
		err = EFAULT;
	} else if (req == IPCOFF_IOC_GET_INFO) {
		err = fake_get_info(arg);
	} else if (req == IPCOFF_IOC_REGISTER) {
		err = fake_register(arg);
	} else if (req == IPCOFF_IOC_UNREGISTER) {
		err = fake_unregister(arg);
	} else if (req == IPCOFF_IOC_GRANT) {
		err = fake_grant(arg);
	} else if (req == IPCOFF_IOC_COPY) {
		err = fake_copy(arg);
	} else {
		fake.violations++;
		err = ENOTTY;
	}
	if (err) {
		errno = err;
		return -1;
	}
	return 0;
}
