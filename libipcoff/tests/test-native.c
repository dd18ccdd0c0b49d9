// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * Native unit tests of libipcoff, for the build host where /dev/ipcoff does
 * not exist. Real descriptors (/dev/null, missing paths) cover open and
 * close; a scripted module behind __wrap_ioctl (fake-module.c) covers the
 * marshalling of every wrapper and the version-skew logic.
 *
 * Output is KTAP ("ok N name" / "not ok N name", diagnostics as "# ...")
 * followed by one "N passed, N failed" line; the exit status is non-zero
 * when any test failed. Built and run by `make -C libipcoff check-native`.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <ipcoff.h>

#include "fake-module.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

#define ALL_FEATURES (IPCOFF_FEAT_REGISTER | IPCOFF_FEAT_GRANT | \
		      IPCOFF_FEAT_COPY | IPCOFF_FEAT_IOVEC | \
		      IPCOFF_FEAT_SINGLE_USE)

/* ------------------------------------------------------------------ */
/* Harness */

static bool cur_failed;
static const char *cur_skip;	/* reason, when the test could not run */

static bool check(bool ok, const char *expr, const char *file, int line)
{
	if (!ok) {
		printf("# %s:%d: check failed: %s\n", file, line, expr);
		cur_failed = true;
	}
	return ok;
}

static bool check_eq(unsigned long long a, unsigned long long b,
		     const char *ea, const char *eb, const char *file, int line)
{
	if (a != b) {
		printf("# %s:%d: check failed: %s == %s (%lld / %#llx vs %lld / %#llx)\n",
		       file, line, ea, eb, (long long)a, a, (long long)b, b);
		cur_failed = true;
	}
	return a == b;
}

#define CHECK(c) check(!!(c), #c, __FILE__, __LINE__)
#define CHECK_EQ(a, b) \
	check_eq((unsigned long long)(a), (unsigned long long)(b), #a, #b, \
		 __FILE__, __LINE__)
#define CHECK_STR(a, b) \
	check(strcmp((a), (b)) == 0, #a " is \"" b "\"", __FILE__, __LINE__)
/* Stop the current test when a precondition does not hold. */
#define REQUIRE(c) do { if (!CHECK(c)) return; } while (0)

static bool memeq_byte(const void *p, unsigned char byte, size_t len)
{
	const unsigned char *b = p;
	size_t i;

	for (i = 0; i < len; i++)
		if (b[i] != byte)
			return false;
	return true;
}

/* Entries in /proc/self/fd; opendir's own descriptor counts every time. */
static int count_fds(void)
{
	struct dirent *de;
	DIR *dir;
	int n = 0;

	dir = opendir("/proc/self/fd");
	if (!dir)
		return -1;
	while ((de = readdir(dir)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
			n++;
	closedir(dir);
	return n;
}

static bool fd_is_open(int fd)
{
	return fd >= 0 && fcntl(fd, F_GETFD) != -1;
}

/* The state every failed open must leave: fd -1, all else zero. */
static void check_closed_state(const struct ipcoff *ipc)
{
	struct ipcoff want;

	memset(&want, 0, sizeof(want));
	want.fd = -1;
	CHECK_EQ(ipc->fd, -1);
	CHECK_EQ(ipc->abi_version, 0);
	CHECK_EQ(ipc->features, 0);
	CHECK_EQ(ipc->engines, 0);
	CHECK_EQ(ipc->module_version, 0);
	CHECK(memeq_byte(ipc->reserved, 0, sizeof(ipc->reserved)));
	CHECK(memcmp(ipc, &want, sizeof(want)) == 0);
}

/* Open FAKE_DEV_PATH with the fake armed, then forget that GET_INFO. */
static bool open_fake(struct ipcoff *ipc, uint64_t features)
{
	int ret;

	fake_arm(features, IPCOFF_ABI_VERSION);
	ret = ipcoff_open_path(ipc, FAKE_DEV_PATH, 0);
	if (!CHECK_EQ(ret, 0) || !CHECK(fd_is_open(ipc->fd)))
		return false;
	fake_clear_record();
	return true;
}

/* Nothing reached the fake module nor the real ioctl(). */
static void check_no_ioctl(void)
{
	CHECK_EQ(fake.calls, 0);
	CHECK_EQ(fake.passthrough, 0);
}

/* Exactly one ioctl, @req on @ipc's descriptor, reached the fake. */
static void check_one_ioctl(const struct ipcoff *ipc, unsigned long req)
{
	CHECK_EQ(fake.calls, 1);
	CHECK_EQ(fake.passthrough, 0);
	CHECK_EQ(fake.last_req, req);
	CHECK_EQ(fake.last_fd, ipc->fd);
}

static void check_region_ep(const struct ipcoff_endpoint *ep,
			    uint64_t handle, uint64_t offset)
{
	CHECK_EQ(ep->type, IPCOFF_EP_REGION);
	CHECK_EQ(ep->flags, 0);
	CHECK_EQ(ep->iov_cnt, 0);
	CHECK_EQ(ep->pad, 0);
	CHECK_EQ(ep->handle, handle);
	CHECK_EQ(ep->offset, offset);
	CHECK_EQ(ep->iov, 0);
}

static void check_iovec_ep(const struct ipcoff_endpoint *ep,
			   const struct ipcoff_iovec *seen_iov,
			   const void *base, size_t len)
{
	CHECK_EQ(ep->type, IPCOFF_EP_IOVEC);
	CHECK_EQ(ep->flags, 0);
	CHECK_EQ(ep->iov_cnt, 1);
	CHECK_EQ(ep->pad, 0);
	CHECK_EQ(ep->handle, 0);
	CHECK_EQ(ep->offset, 0);
	CHECK(ep->iov != 0);
	CHECK_EQ(seen_iov->base, (uintptr_t)base);
	CHECK_EQ(seen_iov->len, len);
}

/* The fields of a COPY request no wrapper sets. */
static void check_copy_tail(const struct ipcoff_copy *c, uint64_t len)
{
	CHECK_EQ(c->len, len);
	CHECK_EQ(c->flags, 0);
	CHECK_EQ(c->engine, IPCOFF_ENGINE_AUTO);
	CHECK_EQ(c->user_data, 0);
	CHECK_EQ(c->copied, 0);
	CHECK_EQ(c->reserved[0], 0);
	CHECK_EQ(c->descriptors, 0);
}

/* ------------------------------------------------------------------ */
/* Helpers and names */

static void test_engine_name(void)
{
	static const unsigned int unknown[] = {
		IPCOFF_ENGINE_COUNT, IPCOFF_ENGINE_COUNT + 1, 255, 0x10000,
		UINT_MAX,
	};
	size_t i;

	CHECK_STR(ipcoff_engine_name(IPCOFF_ENGINE_AUTO), "auto");
	CHECK_STR(ipcoff_engine_name(IPCOFF_ENGINE_CPU), "cpu");
	CHECK_STR(ipcoff_engine_name(IPCOFF_ENGINE_DMA), "dma");
	CHECK_STR(ipcoff_engine_name(IPCOFF_ENGINE_ELIDE), "elide");
	for (i = 0; i < ARRAY_SIZE(unknown); i++)
		CHECK_STR(ipcoff_engine_name(unknown[i]), "unknown");
}

static void test_engine_name_all_known(void)
{
	unsigned int e, f;

	for (e = 0; e < IPCOFF_ENGINE_COUNT; e++) {
		const char *name = ipcoff_engine_name(e);

		REQUIRE(name);
		CHECK(strcmp(name, "unknown") != 0);
		for (f = 0; f < e; f++)
			CHECK(strcmp(name, ipcoff_engine_name(f)) != 0);
	}
}

static void test_ep_region_zeroes(void)
{
	struct ipcoff_endpoint ep, want;

	memset(&ep, 0xff, sizeof(ep));
	ipcoff_ep_region(&ep, 0x1122334455667788ULL, 0x99aabbccddeeff00ULL);
	check_region_ep(&ep, 0x1122334455667788ULL, 0x99aabbccddeeff00ULL);

	memset(&want, 0, sizeof(want));
	want.type = IPCOFF_EP_REGION;
	want.handle = 0x1122334455667788ULL;
	want.offset = 0x99aabbccddeeff00ULL;
	CHECK(memcmp(&ep, &want, sizeof(ep)) == 0);
}

static void test_ep_iovec_zeroes(void)
{
	struct ipcoff_iovec iov[3] = { { 0 } };
	struct ipcoff_endpoint ep, want;

	memset(&ep, 0xff, sizeof(ep));
	ipcoff_ep_iovec(&ep, iov, ARRAY_SIZE(iov));
	CHECK_EQ(ep.type, IPCOFF_EP_IOVEC);
	CHECK_EQ(ep.iov_cnt, 3);
	CHECK_EQ(ep.iov, (uintptr_t)iov);
	CHECK_EQ(ep.flags, 0);
	CHECK_EQ(ep.pad, 0);
	CHECK_EQ(ep.handle, 0);
	CHECK_EQ(ep.offset, 0);

	memset(&want, 0, sizeof(want));
	want.type = IPCOFF_EP_IOVEC;
	want.iov_cnt = 3;
	want.iov = (uintptr_t)iov;
	CHECK(memcmp(&ep, &want, sizeof(ep)) == 0);
}

static void test_has_feature(void)
{
	struct ipcoff ipc;

	memset(&ipc, 0, sizeof(ipc));
	ipc.features = IPCOFF_FEAT_COPY | IPCOFF_FEAT_GRANT;
	CHECK(ipcoff_has_feature(&ipc, IPCOFF_FEAT_COPY));
	CHECK(ipcoff_has_feature(&ipc, IPCOFF_FEAT_COPY | IPCOFF_FEAT_GRANT));
	CHECK(ipcoff_has_feature(&ipc, 0));
	CHECK(!ipcoff_has_feature(&ipc, IPCOFF_FEAT_IOVEC));
	/* Every bit asked for is needed, not any one of them. */
	CHECK(!ipcoff_has_feature(&ipc, IPCOFF_FEAT_COPY | IPCOFF_FEAT_IOVEC));
}

/* ------------------------------------------------------------------ */
/* Open and close on real descriptors */

static void test_open_missing_path(void)
{
	char dir[] = "/tmp/ipcoff-native-XXXXXX";
	char path[sizeof(dir) + 16];
	struct ipcoff ipc;
	int before, ret;

	REQUIRE(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/ipcoff", dir);
	before = count_fds();
	memset(&ipc, 0xff, sizeof(ipc));
	ret = ipcoff_open_path(&ipc, path, 0);
	CHECK_EQ(ret, -ENOENT);
	check_closed_state(&ipc);
	CHECK_EQ(count_fds(), before);
	check_no_ioctl();

	memset(&ipc, 0xff, sizeof(ipc));
	ret = ipcoff_open_path(&ipc, path, IPCOFF_OPEN_NOCLOEXEC);
	CHECK_EQ(ret, -ENOENT);
	check_closed_state(&ipc);
	CHECK_EQ(count_fds(), before);
	CHECK_EQ(rmdir(dir), 0);
}

static void test_open_invalid_flags(void)
{
	static const unsigned int bad[] = {
		1U << 1, 1U << 31, IPCOFF_OPEN_NOCLOEXEC | (1U << 5), ~0U,
	};
	struct ipcoff ipc;
	int before, ret;
	size_t i;

	/* A path that would open, so only the flags check can refuse it. */
	fake_arm(ALL_FEATURES, IPCOFF_ABI_VERSION);
	before = count_fds();
	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		memset(&ipc, 0xff, sizeof(ipc));
		ret = ipcoff_open_path(&ipc, FAKE_DEV_PATH, bad[i]);
		CHECK_EQ(ret, -EINVAL);
		check_closed_state(&ipc);
		CHECK_EQ(count_fds(), before);
	}
	check_no_ioctl();
}

static void test_open_default_device_missing(void)
{
	struct ipcoff ipc;
	int before, ret;

	if (access(IPCOFF_DEVICE_PATH, F_OK) == 0 || errno != ENOENT) {
		cur_skip = IPCOFF_DEVICE_PATH " exists on this host";
		return;
	}
	before = count_fds();
	memset(&ipc, 0xff, sizeof(ipc));
	ret = ipcoff_open(&ipc, 0);
	CHECK_EQ(ret, -ENOENT);
	check_closed_state(&ipc);
	CHECK_EQ(count_fds(), before);
	check_no_ioctl();
}

static void test_open_not_ipcoff_enotty(void)
{
	unsigned int flags[] = { 0, IPCOFF_OPEN_NOCLOEXEC };
	struct ipcoff ipc;
	int before, ret;
	size_t i;

	/* Fake disarmed: GET_INFO goes to the real /dev/null driver. */
	for (i = 0; i < ARRAY_SIZE(flags); i++) {
		fake_reset();
		before = count_fds();
		memset(&ipc, 0xff, sizeof(ipc));
		ret = ipcoff_open_path(&ipc, "/dev/null", flags[i]);
		CHECK_EQ(ret, -ENOTTY);
		check_closed_state(&ipc);
		CHECK_EQ(count_fds(), before);
		CHECK_EQ(fake.calls, 0);
		CHECK_EQ(fake.passthrough, 1);
		CHECK_EQ(fake.passthrough_req, IPCOFF_IOC_GET_INFO);
		CHECK(fake.passthrough_fd >= 0);
		CHECK(!fd_is_open(fake.passthrough_fd));
	}
}

static void test_close_idempotent(void)
{
	struct ipcoff ipc;
	int before, fd;

	before = count_fds();
	REQUIRE(open_fake(&ipc, ALL_FEATURES));
	fd = ipc.fd;
	CHECK_EQ(count_fds(), before + 1);
	ipcoff_close(&ipc);
	CHECK_EQ(ipc.fd, -1);
	CHECK(!fd_is_open(fd));
	CHECK_EQ(count_fds(), before);
	ipcoff_close(&ipc);
	CHECK_EQ(ipc.fd, -1);
	CHECK_EQ(count_fds(), before);
	check_no_ioctl();
}

/* ------------------------------------------------------------------ */
/* Open against the scripted module */

static void test_fake_open_fills(void)
{
	const uint64_t features = IPCOFF_FEAT_REGISTER | IPCOFF_FEAT_COPY |
				  (1ULL << 40);	/* a future bit, kept */
	struct ipcoff ipc;
	int before, ret, fdflags;

	before = count_fds();
	fake_arm(features, IPCOFF_ABI_VERSION);
	memset(&ipc, 0xff, sizeof(ipc));
	ret = ipcoff_open_path(&ipc, FAKE_DEV_PATH, 0);
	REQUIRE(CHECK_EQ(ret, 0));
	CHECK(fd_is_open(ipc.fd));
	CHECK_EQ(count_fds(), before + 1);
	check_one_ioctl(&ipc, IPCOFF_IOC_GET_INFO);
	CHECK_EQ(fake.seen.info.flags, 0);

	CHECK_EQ(ipc.abi_version, IPCOFF_ABI_VERSION);
	CHECK_EQ(ipc.features, features);
	CHECK_EQ(ipc.engines, (1U << IPCOFF_ENGINE_CPU) |
			      (1U << IPCOFF_ENGINE_ELIDE));
	CHECK_EQ(ipc.module_version, FAKE_MODULE_VERSION);
	CHECK(memeq_byte(ipc.reserved, 0, sizeof(ipc.reserved)));
	CHECK(ipcoff_has_feature(&ipc, IPCOFF_FEAT_COPY));
	CHECK(!ipcoff_has_feature(&ipc, IPCOFF_FEAT_GRANT));

	fdflags = fcntl(ipc.fd, F_GETFD);
	CHECK(fdflags != -1 && (fdflags & FD_CLOEXEC));
	ipcoff_close(&ipc);
	CHECK_EQ(count_fds(), before);
}

static void test_fake_open_nocloexec(void)
{
	struct ipcoff ipc;
	int ret, fdflags;

	fake_arm(ALL_FEATURES, IPCOFF_ABI_VERSION);
	ret = ipcoff_open_path(&ipc, FAKE_DEV_PATH, IPCOFF_OPEN_NOCLOEXEC);
	REQUIRE(CHECK_EQ(ret, 0));
	fdflags = fcntl(ipc.fd, F_GETFD);
	CHECK(fdflags != -1 && !(fdflags & FD_CLOEXEC));
	CHECK_EQ(ipc.features, ALL_FEATURES);
	ipcoff_close(&ipc);
}

static void test_fake_open_abi_skew(void)
{
	static const uint32_t abis[] = {
		0, IPCOFF_ABI_VERSION + 1, IPCOFF_ABI_VERSION + 100,
		UINT32_MAX,
	};
	struct ipcoff ipc;
	int before, ret;
	size_t i;

	before = count_fds();
	for (i = 0; i < ARRAY_SIZE(abis); i++) {
		fake_arm(ALL_FEATURES, abis[i]);
		memset(&ipc, 0xff, sizeof(ipc));
		ret = ipcoff_open_path(&ipc, FAKE_DEV_PATH, 0);
		CHECK_EQ(ret, -EPROTO);
		check_closed_state(&ipc);
		CHECK_EQ(count_fds(), before);
		CHECK_EQ(fake.calls, 1);
		CHECK_EQ(fake.last_req, IPCOFF_IOC_GET_INFO);
		CHECK(!fd_is_open(fake.last_fd));
	}
}

static void test_fake_open_get_info_fails(void)
{
	static const int errs[] = { EFAULT, EINVAL, EIO, ENOTTY };
	struct ipcoff ipc;
	int before, ret;
	size_t i;

	before = count_fds();
	for (i = 0; i < ARRAY_SIZE(errs); i++) {
		fake_arm(ALL_FEATURES, IPCOFF_ABI_VERSION);
		fake.info_err = errs[i];
		memset(&ipc, 0xff, sizeof(ipc));
		ret = ipcoff_open_path(&ipc, FAKE_DEV_PATH, 0);
		CHECK_EQ(ret, -errs[i]);
		check_closed_state(&ipc);
		CHECK_EQ(count_fds(), before);
		CHECK_EQ(fake.calls, 1);
		CHECK(!fd_is_open(fake.last_fd));
	}
}

/* ------------------------------------------------------------------ */
/* Probe */

static void test_probe_full(void)
{
	struct ipcoff_info info;
	struct ipcoff ipc;
	int ret;

	REQUIRE(open_fake(&ipc, ALL_FEATURES));
	memset(&info, 0xff, sizeof(info));
	ret = ipcoff_probe(&ipc, &info, sizeof(info));
	CHECK_EQ(ret, 0);
	check_one_ioctl(&ipc, IPCOFF_IOC_GET_INFO);
	/* The caller's 0xff flags never reach the module. */
	CHECK_EQ(fake.seen.info.flags, 0);
	CHECK(memcmp(&info, &fake.info, sizeof(info)) == 0);

	/* A failing GET_INFO leaves the buffer alone. */
	fake.info_err = EFAULT;
	memset(&info, 0xa5, sizeof(info));
	ret = ipcoff_probe(&ipc, &info, sizeof(info));
	CHECK_EQ(ret, -EFAULT);
	CHECK(memeq_byte(&info, 0xa5, sizeof(info)));
	ipcoff_close(&ipc);
}

static void test_probe_short_buffer(void)
{
	static const size_t sizes[] = {
		0, 1, 3, 4, 8, 12, 16, 40, 79, IPCOFF_INFO_SIZE_VER0,
		IPCOFF_INFO_SIZE_VER0 + 1, IPCOFF_INFO_SIZE_VER0 + 48,
	};
	enum { GUARD = 64, BUFSZ = IPCOFF_INFO_SIZE_VER0 + 48 + GUARD };
	union {
		struct ipcoff_info info;
		unsigned char b[BUFSZ];
	} buf;
	const unsigned char *want = (const unsigned char *)&fake.info;
	struct ipcoff ipc;
	size_t i, n;
	int ret;

	REQUIRE(open_fake(&ipc, ALL_FEATURES));
	for (i = 0; i < ARRAY_SIZE(sizes); i++) {
		n = sizes[i] < sizeof(struct ipcoff_info) ?
		    sizes[i] : sizeof(struct ipcoff_info);
		memset(&buf, 0xa5, sizeof(buf));
		ret = ipcoff_probe(&ipc, &buf.info, sizes[i]);
		if (!CHECK_EQ(ret, 0))
			printf("# size %zu\n", sizes[i]);
		/* The first min(size, sizeof) bytes are the answer ... */
		if (!CHECK(memcmp(buf.b, want, n) == 0))
			printf("# size %zu\n", sizes[i]);
		/* ... and not one byte past them is touched. */
		if (!CHECK(memeq_byte(buf.b + n, 0xa5, sizeof(buf) - n)))
			printf("# size %zu\n", sizes[i]);
	}
	ipcoff_close(&ipc);
}

/* An allocation of exactly @size bytes: ASan reports any byte past it. */
static void test_probe_exact_heap_buffer(void)
{
	static const size_t sizes[] = { 1, 4, 12, 24, 79 };
	struct ipcoff ipc;
	size_t i;
	int ret;

	REQUIRE(open_fake(&ipc, ALL_FEATURES));
	for (i = 0; i < ARRAY_SIZE(sizes); i++) {
		unsigned char *p = malloc(sizes[i]);

		REQUIRE(p);
		ret = ipcoff_probe(&ipc, (struct ipcoff_info *)(void *)p,
				   sizes[i]);
		CHECK_EQ(ret, 0);
		CHECK(memcmp(p, &fake.info, sizes[i]) == 0);
		free(p);
	}
	ipcoff_close(&ipc);
}

/* ------------------------------------------------------------------ */
/* Feature gating: -EOPNOTSUPP, and no ioctl, unless every bit is there */

static unsigned char gate_buf[64];

static long op_register_plain(struct ipcoff *ipc)
{
	uint64_t h = 0;

	return ipcoff_register(ipc, gate_buf, sizeof(gate_buf), 0, &h);
}

static long op_register_writable(struct ipcoff *ipc)
{
	uint64_t h = 0;

	return ipcoff_register(ipc, gate_buf, sizeof(gate_buf),
			       IPCOFF_REGION_WRITABLE, &h);
}

static long op_register_single_use(struct ipcoff *ipc)
{
	uint64_t h = 0;

	return ipcoff_register(ipc, gate_buf, sizeof(gate_buf),
			       IPCOFF_REGION_SINGLE_USE, &h);
}

static long op_unregister(struct ipcoff *ipc)
{
	return ipcoff_unregister(ipc, FAKE_REGION_HANDLE);
}

static long op_grant(struct ipcoff *ipc)
{
	return ipcoff_grant(ipc, FAKE_REGION_HANDLE, 1000,
			    IPCOFF_ACCESS_READ);
}

static long op_revoke(struct ipcoff *ipc)
{
	return ipcoff_revoke(ipc, FAKE_REGION_HANDLE, 1000);
}

static long op_copy_region(struct ipcoff *ipc)
{
	uint64_t copied = 0;

	return ipcoff_copy_region(ipc, FAKE_REGION_HANDLE, 100,
				  FAKE_REGION_HANDLE, 0, 16, &copied);
}

static long op_copy_iovec(struct ipcoff *ipc)
{
	struct ipcoff_iovec iov = {
		.base = (uintptr_t)gate_buf, .len = sizeof(gate_buf),
	};
	struct ipcoff_copy req = { .len = 16 };

	ipcoff_ep_iovec(&req.src, &iov, 1);
	ipcoff_ep_region(&req.dst, FAKE_REGION_HANDLE, 0);
	return ipcoff_copy(ipc, &req);
}

static long op_read(struct ipcoff *ipc)
{
	return ipcoff_read(ipc, gate_buf, 16, FAKE_REGION_HANDLE, 0);
}

static long op_write(struct ipcoff *ipc)
{
	return ipcoff_write(ipc, FAKE_REGION_HANDLE, 0, gate_buf, 16);
}

static const struct gated_op {
	const char *name;
	long (*fn)(struct ipcoff *ipc);
	uint64_t need;
	unsigned long req;
} gated_ops[] = {
	{ "register", op_register_plain, IPCOFF_FEAT_REGISTER,
	  IPCOFF_IOC_REGISTER },
	{ "register WRITABLE", op_register_writable, IPCOFF_FEAT_REGISTER,
	  IPCOFF_IOC_REGISTER },
	{ "register SINGLE_USE", op_register_single_use,
	  IPCOFF_FEAT_REGISTER | IPCOFF_FEAT_SINGLE_USE, IPCOFF_IOC_REGISTER },
	{ "unregister", op_unregister, IPCOFF_FEAT_REGISTER,
	  IPCOFF_IOC_UNREGISTER },
	{ "grant", op_grant, IPCOFF_FEAT_GRANT, IPCOFF_IOC_GRANT },
	{ "revoke", op_revoke, IPCOFF_FEAT_GRANT, IPCOFF_IOC_GRANT },
	{ "copy_region", op_copy_region, IPCOFF_FEAT_COPY, IPCOFF_IOC_COPY },
	{ "copy iovec", op_copy_iovec, IPCOFF_FEAT_COPY | IPCOFF_FEAT_IOVEC,
	  IPCOFF_IOC_COPY },
	{ "read", op_read, IPCOFF_FEAT_COPY | IPCOFF_FEAT_IOVEC,
	  IPCOFF_IOC_COPY },
	{ "write", op_write, IPCOFF_FEAT_COPY | IPCOFF_FEAT_IOVEC,
	  IPCOFF_IOC_COPY },
};

/* Every wrapper under every one of the 32 subsets of the known bits. */
static void test_feature_gating(void)
{
	static const uint64_t bits[] = {
		IPCOFF_FEAT_REGISTER, IPCOFF_FEAT_GRANT, IPCOFF_FEAT_COPY,
		IPCOFF_FEAT_IOVEC, IPCOFF_FEAT_SINGLE_USE,
	};
	struct ipcoff ipc;
	unsigned int mask;
	size_t i, b;
	long ret;

	REQUIRE(open_fake(&ipc, ALL_FEATURES));
	for (i = 0; i < ARRAY_SIZE(gated_ops); i++) {
		const struct gated_op *op = &gated_ops[i];

		for (mask = 0; mask < 1U << ARRAY_SIZE(bits); mask++) {
			uint64_t features = 0;
			bool allowed;

			for (b = 0; b < ARRAY_SIZE(bits); b++)
				if (mask & (1U << b))
					features |= bits[b];
			allowed = (features & op->need) == op->need;
			ipc.features = features;
			fake_clear_record();
			ret = op->fn(&ipc);
			if (allowed) {
				if (!CHECK(ret >= 0))
					printf("# %s, features %#llx: %ld\n",
					       op->name,
					       (unsigned long long)features,
					       ret);
				check_one_ioctl(&ipc, op->req);
			} else {
				if (!CHECK_EQ(ret, -EOPNOTSUPP))
					printf("# %s, features %#llx\n",
					       op->name,
					       (unsigned long long)features);
				check_no_ioctl();
			}
		}
	}
	ipcoff_close(&ipc);
}

/* Gating by what GET_INFO really announced, not by a hand-set field. */
static void test_feature_gating_from_open(void)
{
	struct ipcoff ipc;
	uint64_t h = 0;
	char buf[8] = "";

	REQUIRE(open_fake(&ipc, IPCOFF_FEAT_REGISTER | IPCOFF_FEAT_COPY));
	CHECK_EQ(ipcoff_register(&ipc, gate_buf, 8, IPCOFF_REGION_SINGLE_USE,
				 &h), -EOPNOTSUPP);
	CHECK_EQ(ipcoff_grant(&ipc, FAKE_REGION_HANDLE, 1,
			      IPCOFF_ACCESS_READ), -EOPNOTSUPP);
	CHECK_EQ(ipcoff_revoke(&ipc, FAKE_REGION_HANDLE, 1), -EOPNOTSUPP);
	CHECK_EQ(ipcoff_read(&ipc, buf, sizeof(buf), FAKE_REGION_HANDLE, 0),
		 -EOPNOTSUPP);
	CHECK_EQ(ipcoff_write(&ipc, FAKE_REGION_HANDLE, 0, buf, sizeof(buf)),
		 -EOPNOTSUPP);
	check_no_ioctl();
	CHECK_EQ(ipcoff_register(&ipc, gate_buf, 8, 0, &h), 0);
	CHECK_EQ(h, FAKE_REGION_HANDLE);
	CHECK_EQ(fake.calls, 1);
	ipcoff_close(&ipc);
}

/* ------------------------------------------------------------------ */
/* Marshalling of each wrapper */

static void test_register_marshalling(void)
{
	static const unsigned int flagsets[] = {
		0, IPCOFF_REGION_WRITABLE, IPCOFF_REGION_SINGLE_USE,
		IPCOFF_REGION_WRITABLE | IPCOFF_REGION_SINGLE_USE,
	};
	static unsigned char mem[300];
	struct ipcoff ipc;
	uint64_t h;
	size_t i;
	int ret;

	REQUIRE(open_fake(&ipc, ALL_FEATURES));
	for (i = 0; i < ARRAY_SIZE(flagsets); i++) {
		fake_clear_record();
		fake.reg_handle = 0xabcdef0012345678ULL + i;
		h = 0;
		ret = ipcoff_register(&ipc, mem + 3, 257, flagsets[i], &h);
		CHECK_EQ(ret, 0);
		CHECK_EQ(h, 0xabcdef0012345678ULL + i);
		check_one_ioctl(&ipc, IPCOFF_IOC_REGISTER);
		CHECK_EQ(fake.seen.reg.addr, (uintptr_t)(mem + 3));
		CHECK_EQ(fake.seen.reg.len, 257);
		CHECK_EQ(fake.seen.reg.flags, flagsets[i]);
		CHECK_EQ(fake.seen.reg.pad, 0);
		CHECK_EQ(fake.seen.reg.handle, 0);
		CHECK_EQ(fake.seen.reg.reserved[0], 0);
		CHECK_EQ(fake.seen.reg.reserved[1], 0);
	}

	/* size_t lengths reach the module unchanged. */
	fake_clear_record();
	ret = ipcoff_register(&ipc, mem, SIZE_MAX, 0, &h);
	CHECK_EQ(ret, 0);
	CHECK_EQ(fake.seen.reg.len, (uint64_t)SIZE_MAX);

	/* The module's errno comes back; the handle is left alone. */
	fake_clear_record();
	fake.err = ENOMEM;
	h = 0x1111;
	ret = ipcoff_register(&ipc, mem, sizeof(mem), 0, &h);
	CHECK_EQ(ret, -ENOMEM);
	CHECK_EQ(h, 0x1111);
	check_one_ioctl(&ipc, IPCOFF_IOC_REGISTER);
	ipcoff_close(&ipc);
}

static void test_unregister_marshalling(void)
{
	struct ipcoff ipc;
	int ret;

	REQUIRE(open_fake(&ipc, ALL_FEATURES));
	ret = ipcoff_unregister(&ipc, FAKE_REGION_HANDLE);
	CHECK_EQ(ret, 0);
	check_one_ioctl(&ipc, IPCOFF_IOC_UNREGISTER);
	CHECK_EQ(fake.seen.unreg.handle, FAKE_REGION_HANDLE);
	CHECK_EQ(fake.seen.unreg.flags, 0);
	CHECK_EQ(fake.seen.unreg.pad, 0);

	fake_clear_record();
	ret = ipcoff_unregister(&ipc, 0x42);
	CHECK_EQ(ret, -ENOENT);
	check_one_ioctl(&ipc, IPCOFF_IOC_UNREGISTER);
	CHECK_EQ(fake.seen.unreg.handle, 0x42);
	ipcoff_close(&ipc);
}

static void test_grant_marshalling(void)
{
	static const unsigned int accesses[] = {
		IPCOFF_ACCESS_READ, IPCOFF_ACCESS_WRITE, IPCOFF_ACCESS_MASK,
	};
	struct ipcoff ipc;
	size_t i;
	int ret;

	REQUIRE(open_fake(&ipc, ALL_FEATURES));
	for (i = 0; i < ARRAY_SIZE(accesses); i++) {
		fake_clear_record();
		ret = ipcoff_grant(&ipc, FAKE_REGION_HANDLE,
				   (uid_t)(1000 + i), accesses[i]);
		CHECK_EQ(ret, 0);
		check_one_ioctl(&ipc, IPCOFF_IOC_GRANT);
		CHECK_EQ(fake.seen.grant.handle, FAKE_REGION_HANDLE);
		CHECK_EQ(fake.seen.grant.uid, 1000 + i);
		CHECK_EQ(fake.seen.grant.access, accesses[i]);
		CHECK_EQ(fake.seen.grant.flags, 0);
		CHECK_EQ(fake.seen.grant.pad, 0);
		CHECK_EQ(fake.seen.grant.reserved[0], 0);
		CHECK_EQ(fake.seen.grant.reserved[1], 0);
	}

	/* The largest uid_t survives the trip through __u32. */
	fake_clear_record();
	ret = ipcoff_grant(&ipc, FAKE_REGION_HANDLE, (uid_t)0xfffffffe,
			   IPCOFF_ACCESS_READ);
	CHECK_EQ(ret, 0);
	CHECK_EQ(fake.seen.grant.uid, 0xfffffffeU);

	/* Unknown access bits are the module's to refuse. */
	fake_clear_record();
	ret = ipcoff_grant(&ipc, FAKE_REGION_HANDLE, 1000, 0x4);
	CHECK_EQ(ret, -EINVAL);
	CHECK_EQ(fake.seen.grant.access, 0x4);

	fake_clear_record();
	fake.err = ENOMEM;
	ret = ipcoff_grant(&ipc, FAKE_REGION_HANDLE, 1000,
			   IPCOFF_ACCESS_READ);
	CHECK_EQ(ret, -ENOMEM);
	ipcoff_close(&ipc);
}

static void test_revoke_sends_grant_access_zero(void)
{
	struct ipcoff ipc;
	int ret;

	REQUIRE(open_fake(&ipc, ALL_FEATURES));
	ret = ipcoff_revoke(&ipc, FAKE_REGION_HANDLE, 4242);
	CHECK_EQ(ret, 0);
	check_one_ioctl(&ipc, IPCOFF_IOC_GRANT);
	CHECK_EQ(fake.seen.grant.handle, FAKE_REGION_HANDLE);
	CHECK_EQ(fake.seen.grant.uid, 4242);
	CHECK_EQ(fake.seen.grant.access, 0);
	CHECK_EQ(fake.seen.grant.flags, 0);
	CHECK_EQ(fake.seen.grant.pad, 0);
	CHECK_EQ(fake.seen.grant.reserved[0], 0);
	CHECK_EQ(fake.seen.grant.reserved[1], 0);

	fake_clear_record();
	ret = ipcoff_revoke(&ipc, 0x77, 4242);
	CHECK_EQ(ret, -ENOENT);
	CHECK_EQ(fake.seen.grant.access, 0);
	ipcoff_close(&ipc);
}

static void test_copy_region_marshalling(void)
{
	unsigned char before[FAKE_REGION_SIZE];
	struct ipcoff ipc;
	uint64_t copied;
	int ret;

	REQUIRE(open_fake(&ipc, ALL_FEATURES));
	memcpy(before, fake.region, sizeof(before));
	copied = 0xdead;
	ret = ipcoff_copy_region(&ipc, FAKE_REGION_HANDLE, 1000,
				 FAKE_REGION_HANDLE, 10, 100, &copied);
	CHECK_EQ(ret, 0);
	CHECK_EQ(copied, 100);
	check_one_ioctl(&ipc, IPCOFF_IOC_COPY);
	check_region_ep(&fake.seen.copy.src, FAKE_REGION_HANDLE, 10);
	check_region_ep(&fake.seen.copy.dst, FAKE_REGION_HANDLE, 1000);
	check_copy_tail(&fake.seen.copy, 100);
	/* The bytes really moved, and only those. */
	CHECK(memcmp(fake.region + 1000, before + 10, 100) == 0);
	CHECK(memcmp(fake.region, before, 1000) == 0);
	CHECK(memcmp(fake.region + 1100, before + 1100,
		     sizeof(before) - 1100) == 0);

	/* @copied may be NULL. */
	fake_clear_record();
	ret = ipcoff_copy_region(&ipc, FAKE_REGION_HANDLE, 2000,
				 FAKE_REGION_HANDLE, 0, 8, NULL);
	CHECK_EQ(ret, 0);
	CHECK(memcmp(fake.region + 2000, before, 8) == 0);

	/* Errors come back as -errno, with the partial count. */
	fake_clear_record();
	fake.err = EFAULT;
	fake.partial = 37;
	copied = 0;
	ret = ipcoff_copy_region(&ipc, FAKE_REGION_HANDLE, 3000,
				 FAKE_REGION_HANDLE, 0, 100, &copied);
	CHECK_EQ(ret, -EFAULT);
	CHECK_EQ(copied, 37);
	fake.err = 0;

	fake_clear_record();
	copied = 0xdead;
	ret = ipcoff_copy_region(&ipc, FAKE_REGION_HANDLE,
				 FAKE_REGION_SIZE - 10, FAKE_REGION_HANDLE, 0,
				 100, &copied);
	CHECK_EQ(ret, -ERANGE);
	CHECK_EQ(copied, 0);

	fake_clear_record();
	ret = ipcoff_copy_region(&ipc, 0x99, 0, FAKE_REGION_HANDLE, 0, 1,
				 NULL);
	CHECK_EQ(ret, -ENOENT);
	CHECK_EQ(fake.seen.copy.dst.handle, 0x99);
	ipcoff_close(&ipc);
}

static void test_write_marshalling(void)
{
	unsigned char src[200], before[FAKE_REGION_SIZE];
	struct ipcoff ipc;
	ssize_t n;
	size_t i;

	for (i = 0; i < sizeof(src); i++)
		src[i] = (unsigned char)(0xc0 ^ i);
	REQUIRE(open_fake(&ipc, ALL_FEATURES));
	memcpy(before, fake.region, sizeof(before));

	n = ipcoff_write(&ipc, FAKE_REGION_HANDLE, 300, src, sizeof(src));
	CHECK_EQ(n, sizeof(src));
	check_one_ioctl(&ipc, IPCOFF_IOC_COPY);
	check_iovec_ep(&fake.seen.copy.src, &fake.seen_src_iov, src,
		       sizeof(src));
	check_region_ep(&fake.seen.copy.dst, FAKE_REGION_HANDLE, 300);
	check_copy_tail(&fake.seen.copy, sizeof(src));
	CHECK(memcmp(fake.region + 300, src, sizeof(src)) == 0);
	CHECK(memcmp(fake.region, before, 300) == 0);
	CHECK(memcmp(fake.region + 500, before + 500,
		     sizeof(before) - 500) == 0);

	/* The count is the module's, not the request's. */
	fake_clear_record();
	fake.override_copied = true;
	fake.copied = 123;
	n = ipcoff_write(&ipc, FAKE_REGION_HANDLE, 0, src, sizeof(src));
	CHECK_EQ(n, 123);
	fake.override_copied = false;

	fake_clear_record();
	fake.err = EACCES;
	fake.partial = 50;
	n = ipcoff_write(&ipc, FAKE_REGION_HANDLE, 0, src, sizeof(src));
	CHECK_EQ(n, -EACCES);
	fake.err = 0;

	fake_clear_record();
	n = ipcoff_write(&ipc, FAKE_REGION_HANDLE, FAKE_REGION_SIZE - 1, src,
			 2);
	CHECK_EQ(n, -ERANGE);
	ipcoff_close(&ipc);
}

static void test_read_marshalling(void)
{
	unsigned char dst[256 + 16];
	struct ipcoff ipc;
	ssize_t n;

	REQUIRE(open_fake(&ipc, ALL_FEATURES));
	memset(dst, 0x5a, sizeof(dst));
	n = ipcoff_read(&ipc, dst, 256, FAKE_REGION_HANDLE, 1234);
	CHECK_EQ(n, 256);
	check_one_ioctl(&ipc, IPCOFF_IOC_COPY);
	check_region_ep(&fake.seen.copy.src, FAKE_REGION_HANDLE, 1234);
	check_iovec_ep(&fake.seen.copy.dst, &fake.seen_dst_iov, dst, 256);
	check_copy_tail(&fake.seen.copy, 256);
	CHECK(memcmp(dst, fake.region + 1234, 256) == 0);
	CHECK(memeq_byte(dst + 256, 0x5a, 16));

	fake_clear_record();
	fake.override_copied = true;
	fake.copied = 7;
	n = ipcoff_read(&ipc, dst, 256, FAKE_REGION_HANDLE, 0);
	CHECK_EQ(n, 7);
	fake.override_copied = false;

	fake_clear_record();
	fake.err = EINTR;
	fake.partial = 3;
	n = ipcoff_read(&ipc, dst, 16, FAKE_REGION_HANDLE, 0);
	CHECK_EQ(n, -EINTR);
	fake.err = 0;

	fake_clear_record();
	n = ipcoff_read(&ipc, dst, 16, 0x1234, 0);
	CHECK_EQ(n, -ENOENT);
	CHECK_EQ(fake.seen.copy.src.handle, 0x1234);
	ipcoff_close(&ipc);
}

static void test_read_write_len_too_big(void)
{
	const size_t huge = (size_t)SSIZE_MAX + 1;
	unsigned char buf[8];
	struct ipcoff ipc;

	REQUIRE(open_fake(&ipc, ALL_FEATURES));
	CHECK_EQ(ipcoff_read(&ipc, buf, huge, FAKE_REGION_HANDLE, 0), -EINVAL);
	CHECK_EQ(ipcoff_write(&ipc, FAKE_REGION_HANDLE, 0, buf, huge),
		 -EINVAL);
	CHECK_EQ(ipcoff_read(&ipc, buf, SIZE_MAX, FAKE_REGION_HANDLE, 0),
		 -EINVAL);
	check_no_ioctl();
	ipcoff_close(&ipc);
}

static void test_copy_passes_request_through(void)
{
	unsigned char src[32];
	struct ipcoff_iovec iov = { .base = (uintptr_t)src, .len = 32 };
	struct ipcoff_copy req;
	struct ipcoff ipc;
	int ret;

	memset(src, 0x3c, sizeof(src));
	REQUIRE(open_fake(&ipc, ALL_FEATURES));
	memset(&req, 0, sizeof(req));
	ipcoff_ep_iovec(&req.src, &iov, 1);
	ipcoff_ep_region(&req.dst, FAKE_REGION_HANDLE, 64);
	req.len = 32;
	req.engine = IPCOFF_ENGINE_CPU;
	req.user_data = 0xfeedfacecafebeefULL;
	ret = ipcoff_copy(&ipc, &req);
	CHECK_EQ(ret, 0);
	check_one_ioctl(&ipc, IPCOFF_IOC_COPY);
	/* The caller's struct itself is the argument, outputs land in it. */
	CHECK(fake.last_arg == &req);
	CHECK_EQ(fake.seen.copy.user_data, 0xfeedfacecafebeefULL);
	CHECK_EQ(fake.seen.copy.engine, IPCOFF_ENGINE_CPU);
	CHECK_EQ(req.copied, 32);
	CHECK_EQ(req.engine, IPCOFF_ENGINE_CPU);
	CHECK(memcmp(fake.region + 64, src, 32) == 0);

	/* Malformed requests are not "fixed up" on the way. */
	fake_clear_record();
	req.flags = IPCOFF_COPY_FLAGS << 1;
	ret = ipcoff_copy(&ipc, &req);
	CHECK_EQ(ret, -EINVAL);
	CHECK_EQ(fake.seen.copy.flags, IPCOFF_COPY_FLAGS << 1);
	ipcoff_close(&ipc);
}

/* ------------------------------------------------------------------ */

static const struct test {
	const char *name;
	void (*fn)(void);
} tests[] = {
	{ "engine_name", test_engine_name },
	{ "engine_name_all_known", test_engine_name_all_known },
	{ "ep_region_zeroes", test_ep_region_zeroes },
	{ "ep_iovec_zeroes", test_ep_iovec_zeroes },
	{ "has_feature", test_has_feature },
	{ "open_missing_path", test_open_missing_path },
	{ "open_invalid_flags", test_open_invalid_flags },
	{ "open_default_device_missing", test_open_default_device_missing },
	{ "open_not_ipcoff_enotty", test_open_not_ipcoff_enotty },
	{ "close_idempotent", test_close_idempotent },
	{ "fake_open_fills", test_fake_open_fills },
	{ "fake_open_nocloexec", test_fake_open_nocloexec },
	{ "fake_open_abi_skew", test_fake_open_abi_skew },
	{ "fake_open_get_info_fails", test_fake_open_get_info_fails },
	{ "probe_full", test_probe_full },
	{ "probe_short_buffer", test_probe_short_buffer },
	{ "probe_exact_heap_buffer", test_probe_exact_heap_buffer },
	{ "feature_gating", test_feature_gating },
	{ "feature_gating_from_open", test_feature_gating_from_open },
	{ "register_marshalling", test_register_marshalling },
	{ "unregister_marshalling", test_unregister_marshalling },
	{ "grant_marshalling", test_grant_marshalling },
	{ "revoke_sends_grant_access_zero",
	  test_revoke_sends_grant_access_zero },
	{ "copy_region_marshalling", test_copy_region_marshalling },
	{ "write_marshalling", test_write_marshalling },
	{ "read_marshalling", test_read_marshalling },
	{ "read_write_len_too_big", test_read_write_len_too_big },
	{ "copy_passes_request_through", test_copy_passes_request_through },
};

int main(void)
{
	unsigned int passed = 0, failed = 0;
	size_t i;

	setvbuf(stdout, NULL, _IOLBF, 0);
	printf("KTAP version 1\n1..%zu\n", ARRAY_SIZE(tests));
	for (i = 0; i < ARRAY_SIZE(tests); i++) {
		int fds;

		fake_reset();
		cur_failed = false;
		cur_skip = NULL;
		fds = count_fds();
		if (CHECK(fds > 0))
			tests[i].fn();
		/* Every test leaves the descriptor table as it found it ... */
		CHECK_EQ(count_fds(), fds);
		/* ... and sends the fake only requests the library defines. */
		CHECK_EQ(fake.violations, 0);
		fake_reset();

		/* A skipped test counts as passed: it found nothing wrong. */
		printf("%s %zu %s%s%s\n", cur_failed ? "not ok" : "ok", i + 1,
		       tests[i].name, cur_skip && !cur_failed ? " # SKIP " : "",
		       cur_skip && !cur_failed ? cur_skip : "");
		if (cur_failed)
			failed++;
		else
			passed++;
	}
	printf("%u passed, %u failed\n", passed, failed);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
