// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * Native unit tests of libipcoff, for the build host where /dev/ipcoff does
 * not exist. Real descriptors (/dev/null, missing paths) cover open and
 * close; a scripted module behind __wrap_ioctl (fake-module.c) covers the
 * marshalling of every wrapper and the version-skew logic, and its
 * completion ring, mapped through __wrap_mmap, the reaping helpers. The
 * futex helpers and the notifier run for real, across fork()ed children.
 *
 * Output is KTAP ("ok N name" / "not ok N name", diagnostics as "# ...")
 * followed by one "N passed, N failed" line; the exit status is non-zero
 * when any test failed. Built and run by `make -C libipcoff check-native`.
 */
#define _GNU_SOURCE
#include <assert.h>
#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <ipcoff.h>

#include "fake-module.h"
#include "harness.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

#define ALL_FEATURES (IPCOFF_FEAT_REGISTER | IPCOFF_FEAT_GRANT | \
		      IPCOFF_FEAT_COPY | IPCOFF_FEAT_IOVEC | \
		      IPCOFF_FEAT_SINGLE_USE)
/* Everything, with the asynchronous API. */
#define ASYNC_FEATURES (ALL_FEATURES | IPCOFF_FEAT_COPY_FALLBACK | \
			IPCOFF_FEAT_ASYNC | IPCOFF_FEAT_EVENTFD | \
			IPCOFF_FEAT_NOTIFY | IPCOFF_FEAT_CHUNKED)
/* Everything, with buffers and export fds. */
#define BUFFER_FEATURES (ASYNC_FEATURES | IPCOFF_FEAT_BUFFERS)
/* Everything, with page exchange and cache actions. */
#define CACHE_FEATURES (BUFFER_FEATURES | IPCOFF_FEAT_MOVE | IPCOFF_FEAT_CACHE)

/* ------------------------------------------------------------------ */
/* Harness */

bool cur_failed;
const char *cur_skip;	/* reason, when the test could not run */

bool check(bool ok, const char *expr, const char *file, int line)
{
	if (!ok) {
		printf("# %s:%d: check failed: %s\n", file, line, expr);
		cur_failed = true;
	}
	return ok;
}

bool check_eq(unsigned long long a, unsigned long long b,
	      const char *ea, const char *eb, const char *file, int line)
{
	if (a != b) {
		printf("# %s:%d: check failed: %s == %s (%lld / %#llx vs %lld / %#llx)\n",
		       file, line, ea, eb, (long long)a, a, (long long)b, b);
		cur_failed = true;
	}
	return a == b;
}

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
	CHECK_EQ(c->descriptors, 0);
	CHECK_EQ(c->chunk_size, 0);
	CHECK_EQ(c->qos, IPCOFF_QOS_DEFAULT);
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

static long op_copy_fallback(struct ipcoff *ipc)
{
	struct ipcoff_copy req = {
		.len = 16, .flags = IPCOFF_COPY_CPU_FALLBACK,
	};

	ipcoff_ep_region(&req.src, FAKE_REGION_HANDLE, 0);
	ipcoff_ep_region(&req.dst, FAKE_REGION_HANDLE, 100);
	return ipcoff_copy(ipc, &req);
}

/* A region to region copy of 16 bytes with @flags, through COPY. */
static long copy_flags(struct ipcoff *ipc, uint32_t flags,
		       uint32_t inject_len)
{
	struct ipcoff_copy req = {
		.len = 16, .flags = flags, .inject_len = inject_len,
	};

	ipcoff_ep_region(&req.src, FAKE_REGION_HANDLE, 0);
	ipcoff_ep_region(&req.dst, FAKE_REGION_HANDLE, 100);
	return ipcoff_copy(ipc, &req);
}

static long op_copy_move(struct ipcoff *ipc)
{
	return copy_flags(ipc, IPCOFF_COPY_MOVE, 0);
}

static long op_copy_clwb(struct ipcoff *ipc)
{
	return copy_flags(ipc, IPCOFF_COPY_CACHE_CLWB, 0);
}

static long op_copy_inject(struct ipcoff *ipc)
{
	return copy_flags(ipc, IPCOFF_COPY_INJECT, 8);
}

/* The asynchronous calls each start from a fresh ring of the fake. */
static long op_ring_init(struct ipcoff *ipc)
{
	struct ipcoff_ring ring;
	long ret;

	fake_ring_free();
	ret = ipcoff_ring_init(ipc, 16, &ring);
	ipcoff_ring_fini(&ring);
	return ret;
}

static long submit_one(struct ipcoff *ipc, struct ipcoff_copy *req)
{
	if (!fake_ring_create(16))
		return -ENOMEM;
	return ipcoff_submit(ipc, req, 1);
}

static long op_submit(struct ipcoff *ipc)
{
	struct ipcoff_copy req = { .len = 16, .user_data = 1 };

	ipcoff_ep_region(&req.src, FAKE_REGION_HANDLE, 0);
	ipcoff_ep_region(&req.dst, FAKE_REGION_HANDLE, 100);
	return submit_one(ipc, &req);
}

static long op_submit_iovec(struct ipcoff *ipc)
{
	struct ipcoff_iovec iov = {
		.base = (uintptr_t)gate_buf, .len = sizeof(gate_buf),
	};
	struct ipcoff_copy req = { .len = 16 };

	ipcoff_ep_iovec(&req.src, &iov, 1);
	ipcoff_ep_region(&req.dst, FAKE_REGION_HANDLE, 0);
	return submit_one(ipc, &req);
}

/* A 16-byte region to region request with @flags. */
static long submit_rr(struct ipcoff *ipc, uint32_t flags)
{
	struct ipcoff_copy req = { .len = 16, .flags = flags };

	ipcoff_ep_region(&req.src, FAKE_REGION_HANDLE, 0);
	ipcoff_ep_region(&req.dst, FAKE_REGION_HANDLE, 100);
	return submit_one(ipc, &req);
}

static long op_submit_fallback(struct ipcoff *ipc)
{
	return submit_rr(ipc, IPCOFF_COPY_CPU_FALLBACK);
}

static long op_submit_chunked(struct ipcoff *ipc)
{
	static unsigned char big[IPCOFF_CHUNK_MIN];
	struct ipcoff_iovec iov = { .base = (uintptr_t)big, .len = sizeof(big) };
	struct ipcoff_copy req = {
		.len = sizeof(big), .flags = IPCOFF_COPY_CHUNKED,
		.chunk_size = IPCOFF_CHUNK_MIN,
	};

	ipcoff_ep_region(&req.src, FAKE_REGION_HANDLE, 0);
	ipcoff_ep_iovec(&req.dst, &iov, 1);
	return submit_one(ipc, &req);
}

static long op_submit_move(struct ipcoff *ipc)
{
	return submit_rr(ipc, IPCOFF_COPY_MOVE);
}

static long op_submit_nontemporal(struct ipcoff *ipc)
{
	return submit_rr(ipc, IPCOFF_COPY_CACHE_NONTEMPORAL);
}

/* Inject ranges alone, no flag of their own in the gating. */
static long op_submit_inject_ranges(struct ipcoff *ipc)
{
	static const struct ipcoff_range range = { .offset = 4, .len = 8 };
	struct ipcoff_copy req = {
		.len = 16, .flags = IPCOFF_COPY_INJECT,
		.inject_ranges = (uintptr_t)&range, .nr_inject_ranges = 1,
	};

	ipcoff_ep_region(&req.src, FAKE_REGION_HANDLE, 0);
	ipcoff_ep_region(&req.dst, FAKE_REGION_HANDLE, 100);
	return submit_one(ipc, &req);
}

/* Cache-Inject needs only what a submit needs: without cache, plain. */
static long op_submit_inject(struct ipcoff *ipc)
{
	struct ipcoff_copy req = { .len = 16 };

	ipcoff_ep_region(&req.src, FAKE_REGION_HANDLE, 0);
	ipcoff_ep_region(&req.dst, FAKE_REGION_HANDLE, 100);
	if (!fake_ring_create(16))
		return -ENOMEM;
	return ipcoff_submit_inject(ipc, &req);
}

static long op_wait(struct ipcoff *ipc)
{
	uint64_t done = 0;

	if (!fake_ring_create(16))
		return -ENOMEM;
	return ipcoff_wait(ipc, 0, 0, &done);
}

static long op_set_eventfd(struct ipcoff *ipc)
{
	if (!fake_ring_create(16))
		return -ENOMEM;
	return ipcoff_set_eventfd(ipc, -1);
}

static long op_register_notify(struct ipcoff *ipc)
{
	uint64_t h = 0;

	if (!fake_ring_create(16))
		return -ENOMEM;
	return ipcoff_register_notify(ipc, gate_buf, sizeof(gate_buf),
				      IPCOFF_REGION_WRITABLE, 7, &h);
}

static long op_register_notify_flag(struct ipcoff *ipc)
{
	uint64_t h = 0;

	if (!fake_ring_create(16))
		return -ENOMEM;
	return ipcoff_register(ipc, gate_buf, sizeof(gate_buf),
			       IPCOFF_REGION_NOTIFY, &h);
}

static long op_buf_alloc(struct ipcoff *ipc)
{
	uint64_t h = 0;
	size_t got = 0;

	return ipcoff_buf_alloc(ipc, 5000, IPCOFF_REGION_WRITABLE, 0, &h,
				&got);
}

static long op_buf_alloc_notify(struct ipcoff *ipc)
{
	uint64_t h = 0;

	if (!fake_ring_create(16))
		return -ENOMEM;
	return ipcoff_buf_alloc(ipc, 4096, IPCOFF_REGION_NOTIFY, 9, &h, NULL);
}

static long op_export(struct ipcoff *ipc)
{
	int fd = -1;
	long ret;

	ret = ipcoff_export(ipc, FAKE_REGION_HANDLE, IPCOFF_ACCESS_READ,
			    IPCOFF_EXPORT_CLOEXEC, &fd);
	if (!ret)
		close(fd);
	return ret;
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
	{ "copy CPU_FALLBACK", op_copy_fallback,
	  IPCOFF_FEAT_COPY | IPCOFF_FEAT_COPY_FALLBACK, IPCOFF_IOC_COPY },
	{ "copy MOVE", op_copy_move, IPCOFF_FEAT_COPY | IPCOFF_FEAT_MOVE,
	  IPCOFF_IOC_COPY },
	{ "copy CACHE_CLWB", op_copy_clwb, IPCOFF_FEAT_COPY | IPCOFF_FEAT_CACHE,
	  IPCOFF_IOC_COPY },
	{ "copy INJECT", op_copy_inject, IPCOFF_FEAT_COPY | IPCOFF_FEAT_CACHE,
	  IPCOFF_IOC_COPY },
	{ "ring_init", op_ring_init, IPCOFF_FEAT_ASYNC, IPCOFF_IOC_RING_SETUP },
	{ "submit", op_submit, IPCOFF_FEAT_ASYNC, IPCOFF_IOC_SUBMIT },
	{ "submit iovec", op_submit_iovec,
	  IPCOFF_FEAT_ASYNC | IPCOFF_FEAT_IOVEC, IPCOFF_IOC_SUBMIT },
	{ "submit CPU_FALLBACK", op_submit_fallback,
	  IPCOFF_FEAT_ASYNC | IPCOFF_FEAT_COPY_FALLBACK, IPCOFF_IOC_SUBMIT },
	{ "submit CHUNKED", op_submit_chunked,
	  IPCOFF_FEAT_ASYNC | IPCOFF_FEAT_IOVEC | IPCOFF_FEAT_CHUNKED,
	  IPCOFF_IOC_SUBMIT },
	{ "submit MOVE", op_submit_move, IPCOFF_FEAT_ASYNC | IPCOFF_FEAT_MOVE,
	  IPCOFF_IOC_SUBMIT },
	{ "submit CACHE_NONTEMPORAL", op_submit_nontemporal,
	  IPCOFF_FEAT_ASYNC | IPCOFF_FEAT_CACHE, IPCOFF_IOC_SUBMIT },
	{ "submit inject_ranges", op_submit_inject_ranges,
	  IPCOFF_FEAT_ASYNC | IPCOFF_FEAT_CACHE, IPCOFF_IOC_SUBMIT },
	{ "submit_inject", op_submit_inject, IPCOFF_FEAT_ASYNC,
	  IPCOFF_IOC_SUBMIT },
	{ "wait", op_wait, IPCOFF_FEAT_ASYNC, IPCOFF_IOC_WAIT },
	{ "set_eventfd", op_set_eventfd,
	  IPCOFF_FEAT_ASYNC | IPCOFF_FEAT_EVENTFD, IPCOFF_IOC_SET_EVENTFD },
	{ "register_notify", op_register_notify,
	  IPCOFF_FEAT_REGISTER | IPCOFF_FEAT_ASYNC | IPCOFF_FEAT_NOTIFY,
	  IPCOFF_IOC_REGISTER },
	{ "register NOTIFY", op_register_notify_flag,
	  IPCOFF_FEAT_REGISTER | IPCOFF_FEAT_ASYNC | IPCOFF_FEAT_NOTIFY,
	  IPCOFF_IOC_REGISTER },
	{ "buf_alloc", op_buf_alloc, IPCOFF_FEAT_BUFFERS,
	  IPCOFF_IOC_BUF_ALLOC },
	{ "buf_alloc NOTIFY", op_buf_alloc_notify,
	  IPCOFF_FEAT_BUFFERS | IPCOFF_FEAT_ASYNC | IPCOFF_FEAT_NOTIFY,
	  IPCOFF_IOC_BUF_ALLOC },
	{ "export", op_export, IPCOFF_FEAT_BUFFERS, IPCOFF_IOC_EXPORT },
};

/*
 * Every wrapper under every one of the 8192 subsets of the known bits. The
 * fake module has them all: what the library lets through, it takes.
 */
static void test_feature_gating(void)
{
	static const uint64_t bits[] = {
		IPCOFF_FEAT_REGISTER, IPCOFF_FEAT_GRANT, IPCOFF_FEAT_COPY,
		IPCOFF_FEAT_IOVEC, IPCOFF_FEAT_SINGLE_USE,
		IPCOFF_FEAT_COPY_FALLBACK, IPCOFF_FEAT_ASYNC,
		IPCOFF_FEAT_EVENTFD, IPCOFF_FEAT_NOTIFY, IPCOFF_FEAT_CHUNKED,
		IPCOFF_FEAT_BUFFERS, IPCOFF_FEAT_MOVE, IPCOFF_FEAT_CACHE,
	};
	struct ipcoff ipc;
	unsigned int mask;
	size_t i, b;
	long ret;

	REQUIRE(open_fake(&ipc, CACHE_FEATURES));
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
		CHECK_EQ(fake.seen.reg.notify_data, 0);
		CHECK_EQ(fake.seen.reg.reserved[0], 0);
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
	CHECK_EQ(fake.seen_copy_size, sizeof(req));
	/* The caller's struct itself is the argument, outputs land in it. */
	CHECK(fake.last_arg == &req);
	CHECK_EQ(fake.seen.copy.user_data, 0xfeedfacecafebeefULL);
	CHECK_EQ(fake.seen.copy.engine, IPCOFF_ENGINE_CPU);
	CHECK_EQ(req.copied, 32);
	CHECK_EQ(req.engine, IPCOFF_ENGINE_CPU);
	CHECK(memcmp(fake.region + 64, src, 32) == 0);

	/* Malformed requests are not "fixed up" on the way. */
	fake_clear_record();
	req.flags = 0x80000000U;	/* no version defines it */
	ret = ipcoff_copy(&ipc, &req);
	CHECK_EQ(ret, -EINVAL);
	CHECK_EQ(fake.seen.copy.flags, 0x80000000U);
	ipcoff_close(&ipc);
}

/* ------------------------------------------------------------------ */
/* Asynchronous copies: the ring */

static int64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void sleep_ns(int64_t ns)
{
	struct timespec ts = {
		.tv_sec = (time_t)(ns / 1000000000),
		.tv_nsec = (long)(ns % 1000000000),
	};

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

static struct ipcoff_cqe make_cqe(uint64_t user_data, uint32_t flags)
{
	struct ipcoff_cqe c;

	memset(&c, 0, sizeof(c));
	c.user_data = user_data;
	c.result = (int64_t)(user_data & 0xffff);
	c.flags = flags;
	c.engine = IPCOFF_ENGINE_CPU;
	c.len = user_data & 0xffff;
	return c;
}

static void post(uint64_t user_data)
{
	struct ipcoff_cqe c = make_cqe(user_data, 0);

	fake_ring_post(&c);
}

static void notify(uint64_t user_data)
{
	struct ipcoff_cqe c = make_cqe(user_data, IPCOFF_CQE_NOTIFY);

	c.handle = FAKE_REGION_HANDLE;
	fake_ring_notify(&c);
}

/*
 * Open the fake with every feature, its ring starting at index @start with
 * @completed entries already counted, and map it.
 */
static bool open_ring(struct ipcoff *ipc, struct ipcoff_ring *ring,
		      uint32_t entries, uint32_t start, uint64_t completed)
{
	if (!open_fake(ipc, ASYNC_FEATURES))
		return false;
	fake.ring.start = start;
	fake.ring.start_completed = completed;
	if (!CHECK_EQ(ipcoff_ring_init(ipc, entries, ring), 0)) {
		ipcoff_close(ipc);
		return false;
	}
	fake_clear_record();
	return true;
}

static void close_ring(struct ipcoff *ipc, struct ipcoff_ring *ring)
{
	ipcoff_ring_fini(ring);
	ipcoff_close(ipc);
}

/* A region to region request the fake accepts. */
static void region_req(struct ipcoff_copy *req, uint64_t user_data)
{
	memset(req, 0, sizeof(*req));
	ipcoff_ep_region(&req->src, FAKE_REGION_HANDLE, 0);
	ipcoff_ep_region(&req->dst, FAKE_REGION_HANDLE, 2048);
	req->len = 1000;
	req->user_data = user_data;
}

static void check_cleared_ring(const struct ipcoff_ring *ring)
{
	CHECK(!ring->map);
	CHECK(!ring->cqes);
	CHECK(!ring->khead);
	CHECK(!ring->ktail);
	CHECK(!ring->kflags);
	CHECK(!ring->kcompleted);
	CHECK_EQ(ring->map_len, 0);
	CHECK_EQ(ring->entries, 0);
	CHECK_EQ(ring->mask, 0);
	CHECK_EQ(ring->fd, -1);
}

static void test_ring_init_marshalling(void)
{
	const struct ipcoff_ring_setup *rs = &fake.seen.ring_setup;
	struct ipcoff_ring ring;
	struct ipcoff_cqe *cqe;
	struct ipcoff ipc;
	unsigned char *map;
	void *old;
	int ret;

	REQUIRE(open_fake(&ipc, ASYNC_FEATURES));
	memset(&ring, 0xa5, sizeof(ring));
	ret = ipcoff_ring_init(&ipc, 32, &ring);
	REQUIRE(CHECK_EQ(ret, 0));
	check_one_ioctl(&ipc, IPCOFF_IOC_RING_SETUP);
	CHECK_EQ(rs->flags, 0);
	CHECK_EQ(rs->entries, 32);
	CHECK_EQ(rs->pad, 0);
	CHECK(memeq_byte(rs->reserved, 0, sizeof(rs->reserved)));
	/* Outputs are the module's to fill: zero on the way in. */
	CHECK_EQ(rs->mmap_len, 0);
	CHECK_EQ(rs->head_off | rs->tail_off | rs->flags_off |
		 rs->completed_off | rs->cqes_off, 0);

	/* One shared, read-write mapping of the whole ring at offset 0. */
	CHECK_EQ(fake.ring.maps, 1);
	CHECK_EQ(fake.ring.map_len, fake.ring.mmap_len);
	CHECK_EQ(fake.ring.map_prot, PROT_READ | PROT_WRITE);
	CHECK_EQ(fake.ring.map_flags & (MAP_SHARED | MAP_PRIVATE), MAP_SHARED);
	CHECK_EQ(fake.ring.map_off, 0);

	/* Every pointer is where the module's offsets say. */
	map = ring.map;
	CHECK(ring.map == fake.ring.map_addr);
	CHECK_EQ(ring.map_len, fake.ring.mmap_len);
	CHECK_EQ(ring.fd, ipc.fd);
	CHECK_EQ(ring.entries, 32);
	CHECK_EQ(ring.mask, 31);
	CHECK((unsigned char *)ring.khead == map + FAKE_RING_HEAD_OFF);
	CHECK((const unsigned char *)ring.ktail == map + FAKE_RING_TAIL_OFF);
	CHECK((const unsigned char *)ring.kflags == map + FAKE_RING_FLAGS_OFF);
	CHECK((const unsigned char *)ring.kcompleted ==
	      map + FAKE_RING_COMPLETED_OFF);
	CHECK((unsigned char *)ring.cqes == map + FAKE_RING_CQES_OFF);

	/* The mapping and the fake's view are the same memory. */
	CHECK(!ipcoff_ring_peek(&ring));
	CHECK_EQ(ipcoff_ring_ready(&ring), 0);
	post(77);
	CHECK_EQ(ipcoff_ring_ready(&ring), 1);
	CHECK_EQ(ipcoff_ring_completed(&ring), 1);
	cqe = ipcoff_ring_peek(&ring);
	REQUIRE(CHECK(cqe));
	CHECK(cqe == &ring.cqes[0]);
	CHECK_EQ(cqe->user_data, 77);
	ipcoff_ring_advance(&ring, 1);
	CHECK_EQ(fake_ring_head(), 1);
	CHECK(!ipcoff_ring_peek(&ring));
	check_one_ioctl(&ipc, IPCOFF_IOC_RING_SETUP);

	/* Unmapped once, the struct forgotten; again is harmless. */
	old = ring.map;
	ipcoff_ring_fini(&ring);
	CHECK_EQ(fake.ring.unmaps, 1);
	CHECK(fake.ring.unmap_addr == old);
	CHECK_EQ(fake.ring.unmap_len, fake.ring.mmap_len);
	check_cleared_ring(&ring);
	ipcoff_ring_fini(&ring);
	CHECK_EQ(fake.ring.unmaps, 1);
	ipcoff_close(&ipc);
}

static void test_ring_init_errors(void)
{
	static const unsigned int bad[] = {
		0, 1, 4, 12, 100, IPCOFF_RING_MAX_ENTRIES * 2, UINT_MAX,
	};
	struct ipcoff_ring ring, again;
	struct ipcoff ipc;
	size_t i;

	/* Without IPCOFF_FEAT_ASYNC nothing is asked. */
	REQUIRE(open_fake(&ipc, ALL_FEATURES));
	memset(&ring, 0xa5, sizeof(ring));
	CHECK_EQ(ipcoff_ring_init(&ipc, 16, &ring), -EOPNOTSUPP);
	check_no_ioctl();
	check_cleared_ring(&ring);
	ipcoff_ring_fini(&ring);
	CHECK_EQ(fake.ring.unmaps, 0);
	ipcoff_close(&ipc);

	REQUIRE(open_fake(&ipc, ASYNC_FEATURES));
	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		memset(&ring, 0xa5, sizeof(ring));
		if (!CHECK_EQ(ipcoff_ring_init(&ipc, bad[i], &ring), -EINVAL))
			printf("# entries %u\n", bad[i]);
		CHECK_EQ(fake.seen.ring_setup.entries, bad[i]);
		check_cleared_ring(&ring);
	}
	CHECK_EQ(fake.ring.maps, 0);

	/* One ring per context. */
	REQUIRE(CHECK_EQ(ipcoff_ring_init(&ipc, 16, &ring), 0));
	memset(&again, 0xa5, sizeof(again));
	CHECK_EQ(ipcoff_ring_init(&ipc, 16, &again), -EBUSY);
	check_cleared_ring(&again);
	CHECK_EQ(fake.ring.maps, 1);
	ipcoff_ring_fini(&ring);

	/* A layout that does not fit the mapping is not used. */
	fake_ring_free();
	fake_clear_record();
	fake.ring.bad_layout = true;
	memset(&ring, 0xa5, sizeof(ring));
	CHECK_EQ(ipcoff_ring_init(&ipc, 16, &ring), -EPROTO);
	CHECK_EQ(fake.ring.maps, 0);
	check_cleared_ring(&ring);
	fake.ring.bad_layout = false;

	/* mmap's errno comes back. */
	fake_ring_free();
	fake_clear_record();
	fake.ring.mmap_err = ENOMEM;
	memset(&ring, 0xa5, sizeof(ring));
	CHECK_EQ(ipcoff_ring_init(&ipc, 16, &ring), -ENOMEM);
	CHECK_EQ(fake.ring.maps, 1);
	check_cleared_ring(&ring);
	fake.ring.mmap_err = 0;

	/* And the module's. */
	fake_ring_free();
	fake.err = ENOMEM;
	CHECK_EQ(ipcoff_ring_init(&ipc, 16, &ring), -ENOMEM);
	check_cleared_ring(&ring);
	fake.err = 0;
	ipcoff_close(&ipc);
}

/* Free-running 32-bit indices: reading across 2^32 changes nothing. */
static void test_ring_wraparound(void)
{
	const uint32_t start = UINT32_MAX - 20;
	struct ipcoff_ring ring;
	struct ipcoff ipc;
	uint64_t produced = 0, consumed = 0;
	unsigned int round, k, i;

	REQUIRE(open_ring(&ipc, &ring, 16, start, 5000));
	for (round = 0; round < 12; round++) {
		k = round % 5 + 2;
		for (i = 0; i < k; i++)
			post(produced++);
		CHECK_EQ(ipcoff_ring_ready(&ring), k);
		while (consumed < produced) {
			struct ipcoff_cqe *cqe = ipcoff_ring_peek(&ring);
			uint32_t seq = start + (uint32_t)consumed;

			REQUIRE(CHECK(cqe));
			CHECK(cqe == &ring.cqes[seq & ring.mask]);
			if (!CHECK_EQ(cqe->user_data, consumed))
				printf("# round %u\n", round);
			ipcoff_ring_advance(&ring, 1);
			consumed++;
			CHECK_EQ(ipcoff_ring_ready(&ring), produced - consumed);
		}
		CHECK(!ipcoff_ring_peek(&ring));
		CHECK_EQ(fake_ring_head(), start + (uint32_t)consumed);
	}
	/* The indices did wrap. */
	CHECK(fake_ring_tail() < start);
	CHECK_EQ(ipcoff_ring_completed(&ring), 5000 + produced);

	/* A full ring, consumed in one step. */
	for (i = 0; i < 16; i++)
		post(produced++);
	CHECK_EQ(ipcoff_ring_ready(&ring), 16);
	CHECK_EQ(ipcoff_ring_peek(&ring)->user_data, consumed);
	ipcoff_ring_advance(&ring, 16);
	consumed += 16;
	CHECK_EQ(ipcoff_ring_ready(&ring), 0);
	CHECK(!ipcoff_ring_peek(&ring));
	CHECK_EQ(fake_ring_head(), start + (uint32_t)consumed);
	CHECK_EQ(ipcoff_ring_completed(&ring), 5000 + produced);
	check_no_ioctl();
	close_ring(&ipc, &ring);
}

/* ------------------------------------------------------------------ */
/* SUBMIT */

static void test_submit_marshalling(void)
{
	const struct ipcoff_submit *sub = &fake.seen.submit;
	unsigned char local[IPCOFF_CHUNK_MIN];
	struct ipcoff_iovec iov = { .base = (uintptr_t)local, .len = 512 };
	struct ipcoff_iovec big = {
		.base = (uintptr_t)local, .len = sizeof(local),
	};
	struct ipcoff_copy reqs[3], want[3];
	struct ipcoff_ring ring;
	struct ipcoff_cqe *cqe;
	struct ipcoff ipc;
	int ret, error;
	size_t i;

	memset(local, 0x11, sizeof(local));
	memset(reqs, 0, sizeof(reqs));
	region_req(&reqs[0], 0x100);
	reqs[0].flags = IPCOFF_COPY_LINK;
	ipcoff_ep_iovec(&reqs[1].src, &iov, 1);
	ipcoff_ep_region(&reqs[1].dst, FAKE_REGION_HANDLE, 0);
	reqs[1].len = 512;
	reqs[1].engine = IPCOFF_ENGINE_CPU;
	reqs[1].user_data = 0x200;
	ipcoff_ep_region(&reqs[2].src, FAKE_REGION_HANDLE, 0);
	ipcoff_ep_iovec(&reqs[2].dst, &big, 1);
	reqs[2].len = sizeof(local);
	reqs[2].flags = IPCOFF_COPY_CHUNKED;
	reqs[2].chunk_size = IPCOFF_CHUNK_MIN;
	reqs[2].user_data = 0x300;
	memcpy(want, reqs, sizeof(want));

	REQUIRE(open_ring(&ipc, &ring, 16, 0, 0));
	error = 12345;
	ret = ipcoff_submit_ex(&ipc, reqs, 3, &error);
	CHECK_EQ(ret, 3);
	CHECK_EQ(error, 0);
	check_one_ioctl(&ipc, IPCOFF_IOC_SUBMIT);
	CHECK_EQ(sub->flags, 0);
	CHECK_EQ(sub->count, 3);
	CHECK_EQ(sub->reqs, (uintptr_t)reqs);
	CHECK_EQ(sub->entry_size, sizeof(struct ipcoff_copy));
	CHECK_EQ(sub->accepted, 0);
	CHECK_EQ(sub->error, 0);
	CHECK_EQ(sub->pad, 0);
	CHECK_EQ(sub->reserved[0], 0);
	CHECK_EQ(sub->reserved[1], 0);
	/* The caller's requests went as they were, and were not touched. */
	REQUIRE(CHECK_EQ(fake.ring.n_seen_reqs, 3));
	for (i = 0; i < 3; i++) {
		CHECK(memcmp(&fake.ring.seen_reqs[i], &want[i],
			     sizeof(want[i])) == 0);
		CHECK(memcmp(&reqs[i], &want[i], sizeof(want[i])) == 0);
	}

	/* Their entries come back by user_data. */
	CHECK_EQ(fake_ring_pending(), 3);
	fake_ring_complete(3);
	for (i = 0; i < 3; i++) {
		cqe = ipcoff_ring_peek(&ring);
		REQUIRE(CHECK(cqe));
		CHECK_EQ(cqe->user_data, want[i].user_data);
		CHECK_EQ(cqe->len, want[i].len);
		CHECK_EQ(cqe->flags, i == 2 ? IPCOFF_CQE_CHUNK : 0);
		ipcoff_ring_advance(&ring, 1);
	}

	/* ipcoff_submit() is the same call; count 0 is the module's too. */
	fake_clear_record();
	CHECK_EQ(ipcoff_submit(&ipc, reqs + 1, 1), 1);
	CHECK_EQ(fake.seen.submit.reqs, (uintptr_t)(reqs + 1));
	fake_clear_record();
	CHECK_EQ(ipcoff_submit(&ipc, reqs, 0), 0);
	check_one_ioctl(&ipc, IPCOFF_IOC_SUBMIT);
	CHECK_EQ(fake.seen.submit.count, 0);
	close_ring(&ipc, &ring);
}

static void test_submit_partial(void)
{
	struct ipcoff_copy reqs[10];
	struct ipcoff_ring ring;
	struct ipcoff ipc;
	int ret, error;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(reqs); i++)
		region_req(&reqs[i], i);
	REQUIRE(open_ring(&ipc, &ring, 8, 0, 0));

	/* A full ring takes what fits: EAGAIN names the ring. */
	ret = ipcoff_submit_ex(&ipc, reqs, 10, &error);
	CHECK_EQ(ret, 8);
	CHECK_EQ(error, -EAGAIN);
	CHECK_EQ(fake.calls, 1);
	CHECK_EQ(ipcoff_submit(&ipc, reqs + 8, 2), -EAGAIN);
	error = 0;
	CHECK_EQ(ipcoff_submit_ex(&ipc, reqs + 8, 2, &error), -EAGAIN);
	CHECK_EQ(error, -EAGAIN);
	/* Consuming entries makes room again. */
	fake_ring_complete(8);
	ipcoff_ring_advance(&ring, ipcoff_ring_ready(&ring));
	CHECK_EQ(ipcoff_submit_ex(&ipc, reqs + 8, 2, &error), 2);
	CHECK_EQ(error, 0);
	fake_ring_complete(2);
	ipcoff_ring_advance(&ring, 2);

	/* The refusal of a later request is reported with the count. */
	fake.ring.accept_max = 1;
	fake.ring.refuse_err = EBUSY;
	CHECK_EQ(ipcoff_submit_ex(&ipc, reqs, 3, &error), 1);
	CHECK_EQ(error, -EBUSY);
	CHECK_EQ(ipcoff_submit(&ipc, reqs, 3), 1);
	fake.ring.accept_max = 0;
	fake_ring_complete(2);
	ipcoff_ring_advance(&ring, 2);

	/* A bad request in the middle: those before it are taken. */
	reqs[1].flags = IPCOFF_COPY_LINK | IPCOFF_COPY_CHUNKED;
	reqs[1].chunk_size = IPCOFF_CHUNK_MIN;
	CHECK_EQ(ipcoff_submit_ex(&ipc, reqs, 3, &error), 1);
	CHECK_EQ(error, -EINVAL);
	region_req(&reqs[1], 1);
	/* LINK on the last request of a batch. */
	reqs[2].flags = IPCOFF_COPY_LINK;
	CHECK_EQ(ipcoff_submit_ex(&ipc, reqs + 2, 1, &error), -EINVAL);
	CHECK_EQ(error, -EINVAL);
	region_req(&reqs[2], 2);
	fake_ring_complete(1);
	ipcoff_ring_advance(&ring, 1);

	/* The first refused: the errno, in both places; NULL is fine. */
	fake.err = EBUSY;
	error = 0;
	CHECK_EQ(ipcoff_submit_ex(&ipc, reqs, 2, &error), -EBUSY);
	CHECK_EQ(error, -EBUSY);
	CHECK_EQ(ipcoff_submit_ex(&ipc, reqs, 2, NULL), -EBUSY);
	fake.err = 0;

	/* More than an int can count is refused before anything is read. */
	fake_clear_record();
	CHECK_EQ(ipcoff_submit_ex(&ipc, reqs, (unsigned int)INT_MAX + 1,
				  &error), -EINVAL);
	CHECK_EQ(error, -EINVAL);
	check_no_ioctl();

	/* No ring in the context. */
	fake_ring_free();
	CHECK_EQ(ipcoff_submit_ex(&ipc, reqs, 2, &error), -ENXIO);
	CHECK_EQ(error, -ENXIO);
	close_ring(&ipc, &ring);
}

/*
 * A batch is refused whole, before the ioctl, when one request needs a
 * feature the module lacks.
 */
static void test_submit_feature_gating(void)
{
	unsigned char local[64];
	struct ipcoff_iovec iov = { .base = (uintptr_t)local, .len = 64 };
	struct ipcoff_copy reqs[3];
	struct ipcoff_ring ring;
	struct ipcoff ipc;
	int error;

	region_req(&reqs[0], 0);
	region_req(&reqs[1], 1);
	region_req(&reqs[2], 2);
	ipcoff_ep_iovec(&reqs[2].src, &iov, 1);
	reqs[2].len = 64;
	REQUIRE(open_ring(&ipc, &ring, 16, 0, 0));

	ipc.features = ASYNC_FEATURES & ~IPCOFF_FEAT_IOVEC;
	error = 0;
	CHECK_EQ(ipcoff_submit_ex(&ipc, reqs, 3, &error), -EOPNOTSUPP);
	CHECK_EQ(error, -EOPNOTSUPP);
	check_no_ioctl();
	/* The prefix that needs nothing more goes. */
	CHECK_EQ(ipcoff_submit_ex(&ipc, reqs, 2, &error), 2);

	fake_clear_record();
	ipc.features = ASYNC_FEATURES & ~IPCOFF_FEAT_ASYNC;
	CHECK_EQ(ipcoff_submit(&ipc, reqs, 0), -EOPNOTSUPP);
	CHECK_EQ(ipcoff_submit(&ipc, reqs, 2), -EOPNOTSUPP);
	check_no_ioctl();
	close_ring(&ipc, &ring);
}

/* ------------------------------------------------------------------ */
/* Programs built before LIBIPCOFF_0.4: the 128-byte struct ipcoff_copy */

/* struct ipcoff_copy as those programs were compiled with it. */
struct ipcoff_copy_ver0 {
	struct ipcoff_endpoint src;
	struct ipcoff_endpoint dst;
	__aligned_u64 len;
	__u32 flags;
	__u32 engine;
	__aligned_u64 user_data;
	__aligned_u64 copied;
	__aligned_u64 descriptors;
	__u32 chunk_size;
	__u32 reserved;		/* inject_len since */
};

static_assert(sizeof(struct ipcoff_copy_ver0) == IPCOFF_COPY_SIZE_VER0,
	      "struct ipcoff_copy_ver0 size");

/*
 * The symbols such a program is bound to. The .symver references make this
 * static link pick them, as the dynamic linker picks them for the program.
 */
int ver0_copy(struct ipcoff *ipc, struct ipcoff_copy_ver0 *req);
int ver0_submit(struct ipcoff *ipc, struct ipcoff_copy_ver0 *reqs,
		unsigned int count);
int ver0_submit_ex(struct ipcoff *ipc, struct ipcoff_copy_ver0 *reqs,
		   unsigned int count, int *error);
__asm__(".symver ver0_copy, ipcoff_copy@LIBIPCOFF_0.1");
__asm__(".symver ver0_submit, ipcoff_submit@LIBIPCOFF_0.2");
__asm__(".symver ver0_submit_ex, ipcoff_submit_ex@LIBIPCOFF_0.2");

#define IOC_COPY_VER0 _IOC(_IOC_DIR(IPCOFF_IOC_COPY), IPCOFF_IOC_MAGIC, \
			   IPCOFF_NR_COPY, IPCOFF_COPY_SIZE_VER0)

/*
 * ipcoff_copy@LIBIPCOFF_0.1 sends COPY with the old size in the ioctl
 * number and reads nothing past the caller's 128 bytes: the struct lives
 * alone on the heap, where ASan sees any byte beyond it.
 */
static void test_compat_copy_ver0(void)
{
	unsigned char src[32];
	struct ipcoff_iovec iov = { .base = (uintptr_t)src, .len = 32 };
	struct ipcoff_copy_ver0 *req = calloc(1, sizeof(*req));
	struct ipcoff ipc;

	REQUIRE(req);
	memset(src, 0x6b, sizeof(src));
	ipcoff_ep_iovec(&req->src, &iov, 1);
	ipcoff_ep_region(&req->dst, FAKE_REGION_HANDLE, 200);
	req->len = 32;
	req->engine = IPCOFF_ENGINE_CPU;
	req->user_data = 0x0123456789abcdefULL;
	if (!open_fake(&ipc, CACHE_FEATURES)) {
		free(req);
		return;
	}
	CHECK_EQ(ver0_copy(&ipc, req), 0);
	check_one_ioctl(&ipc, IOC_COPY_VER0);
	CHECK_EQ(fake.seen_copy_size, IPCOFF_COPY_SIZE_VER0);
	CHECK(fake.last_arg == req);
	CHECK_EQ(fake.seen.copy.user_data, 0x0123456789abcdefULL);
	CHECK_EQ(fake.seen.copy.inject_len, 0);
	CHECK_EQ(fake.seen.copy.inject_ranges, 0);
	CHECK_EQ(req->copied, 32);
	CHECK_EQ(req->engine, IPCOFF_ENGINE_CPU);
	CHECK(memcmp(fake.region + 200, src, 32) == 0);

	/* The features come from the 128 bytes alone. */
	fake_clear_record();
	ipc.features = CACHE_FEATURES & ~IPCOFF_FEAT_IOVEC;
	CHECK_EQ(ver0_copy(&ipc, req), -EOPNOTSUPP);
	check_no_ioctl();
	/* Its last word is today's inject_len: cache actions. */
	ipc.features = ALL_FEATURES;
	req->reserved = 16;
	CHECK_EQ(ver0_copy(&ipc, req), -EOPNOTSUPP);
	check_no_ioctl();
	req->reserved = 0;
	CHECK_EQ(ver0_copy(&ipc, req), 0);
	check_one_ioctl(&ipc, IOC_COPY_VER0);
	ipcoff_close(&ipc);
	free(req);
}

/* The LIBIPCOFF_0.2 submits walk the array in 128-byte steps. */
static void test_compat_submit_ver0(void)
{
	struct ipcoff_copy_ver0 *reqs = calloc(3, sizeof(*reqs));
	const struct ipcoff_copy *seen = fake.ring.seen_reqs;
	struct ipcoff_ring ring;
	struct ipcoff ipc;
	unsigned int i;
	int error;

	REQUIRE(reqs);
	for (i = 0; i < 3; i++) {
		ipcoff_ep_region(&reqs[i].src, FAKE_REGION_HANDLE, 0);
		ipcoff_ep_region(&reqs[i].dst, FAKE_REGION_HANDLE, 2048);
		reqs[i].len = 100 + i;
		reqs[i].user_data = 0x700 + i;
	}
	if (!open_ring(&ipc, &ring, 16, 0, 0)) {
		free(reqs);
		return;
	}
	error = 77;
	CHECK_EQ(ver0_submit_ex(&ipc, reqs, 3, &error), 3);
	CHECK_EQ(error, 0);
	check_one_ioctl(&ipc, IPCOFF_IOC_SUBMIT);
	CHECK_EQ(fake.seen.submit.entry_size, IPCOFF_COPY_SIZE_VER0);
	CHECK_EQ(fake.seen.submit.reqs, (uintptr_t)reqs);
	CHECK_EQ(fake.seen.submit.count, 3);
	if (CHECK_EQ(fake.ring.n_seen_reqs, 3))
		for (i = 0; i < 3; i++) {
			CHECK_EQ(seen[i].user_data, 0x700 + i);
			CHECK_EQ(seen[i].len, 100 + i);
			CHECK_EQ(seen[i].inject_len, 0);
			CHECK_EQ(seen[i].inject_ranges, 0);
			CHECK_EQ(seen[i].nr_inject_ranges, 0);
		}
	fake_ring_complete(3);
	ipcoff_ring_advance(&ring, 3);

	fake_clear_record();
	CHECK_EQ(ver0_submit(&ipc, reqs + 1, 2), 2);
	CHECK_EQ(fake.seen.submit.entry_size, IPCOFF_COPY_SIZE_VER0);
	CHECK_EQ(fake.seen.submit.reqs, (uintptr_t)(reqs + 1));
	CHECK_EQ(seen[1].user_data, 0x702);
	fake_ring_complete(2);
	ipcoff_ring_advance(&ring, 2);

	/* The last entry's last word asks for cache actions. */
	fake_clear_record();
	reqs[2].reserved = 8;
	CHECK_EQ(ver0_submit_ex(&ipc, reqs, 3, &error), -EOPNOTSUPP);
	CHECK_EQ(error, -EOPNOTSUPP);
	CHECK_EQ(ver0_submit(&ipc, reqs, 3), -EOPNOTSUPP);
	check_no_ioctl();
	close_ring(&ipc, &ring);
	free(reqs);
}

/*
 * The built shared library exports the old versions next to the new
 * defaults (make check-native names it in LIBIPCOFF_SO).
 */
static void test_shared_object_versions(void)
{
	static const struct {
		const char *name, *version;
	} want[] = {
		{ "ipcoff_copy", "LIBIPCOFF_0.1" },
		{ "ipcoff_copy", "LIBIPCOFF_0.4" },
		{ "ipcoff_submit", "LIBIPCOFF_0.2" },
		{ "ipcoff_submit", "LIBIPCOFF_0.4" },
		{ "ipcoff_submit_ex", "LIBIPCOFF_0.2" },
		{ "ipcoff_submit_ex", "LIBIPCOFF_0.4" },
		{ "ipcoff_submit_inject", "LIBIPCOFF_0.4" },
		{ "ipcoff_copy_region", "LIBIPCOFF_0.1" },
		{ "ipcoff_wait_cqe", "LIBIPCOFF_0.2" },
		{ "ipcoff_buf_alloc", "LIBIPCOFF_0.3" },
		{ "ipcoff_chan_connect", "LIBIPCOFF_0.5" },
		{ "ipcoff_chan_strerror", "LIBIPCOFF_0.6" },
	};
	static const char *const changed[] = {
		"ipcoff_copy", "ipcoff_submit", "ipcoff_submit_ex",
	};
	const char *path = getenv("LIBIPCOFF_SO");
	void *h;
	size_t i;

	if (!path || !*path) {
		cur_skip = "LIBIPCOFF_SO not set";
		return;
	}
	h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	if (!CHECK(h)) {
		printf("# %s\n", dlerror());
		return;
	}
	for (i = 0; i < ARRAY_SIZE(want); i++)
		if (!CHECK(dlvsym(h, want[i].name, want[i].version)))
			printf("# %s@%s missing\n", want[i].name,
			       want[i].version);
	for (i = 0; i < ARRAY_SIZE(changed); i++) {
		void *old = dlvsym(h, changed[i], i ? "LIBIPCOFF_0.2" :
							 "LIBIPCOFF_0.1");
		void *cur = dlvsym(h, changed[i], "LIBIPCOFF_0.4");

		/* Two implementations; new links get the new one. */
		CHECK(old != cur);
		CHECK(dlsym(h, changed[i]) == cur);
	}
	CHECK(!dlvsym(h, "ipcoff_submit_inject", "LIBIPCOFF_0.3"));
	CHECK(!dlvsym(h, "ipcoff_chan_strerror", "LIBIPCOFF_0.5"));
	/* The policy's functions are the library's own. */
	CHECK(!dlsym(h, "chan_policy_route"));
	/* The implementations behind the versions stay internal. */
	CHECK(!dlsym(h, "ipcoff_copy_0_1"));
	CHECK(!dlsym(h, "ipcoff_submit_0_4"));
	dlclose(h);
}

/* ------------------------------------------------------------------ */
/* Cache-Inject mode */

/* Give the module, and the library's view of it, @features too. */
static void add_features(struct ipcoff *ipc, uint64_t features)
{
	ipc->features |= features;
	fake.info.features |= features;
}

/*
 * Submit @req through ipcoff_submit_inject(): one SUBMIT of a copy of it
 * in the 144-byte layout, the caller's struct left alone. Returns the
 * request the fake saw.
 */
static const struct ipcoff_copy *submit_inject(struct ipcoff *ipc,
					       struct ipcoff_copy *req)
{
	struct ipcoff_copy before = *req;

	fake_clear_record();
	if (!CHECK_EQ(ipcoff_submit_inject(ipc, req), 1))
		return NULL;
	check_one_ioctl(ipc, IPCOFF_IOC_SUBMIT);
	CHECK_EQ(fake.seen.submit.count, 1);
	CHECK_EQ(fake.seen.submit.entry_size, sizeof(*req));
	CHECK(memcmp(req, &before, sizeof(before)) == 0);
	if (!CHECK_EQ(fake.ring.n_seen_reqs, 1))
		return NULL;
	return &fake.ring.seen_reqs[0];
}

/*
 * Submit @req through submit_inject(); what went is the request with the
 * flags and inject fields given. False if nothing went.
 */
static bool submit_check_inject(struct ipcoff *ipc, struct ipcoff_copy *req,
				uint32_t flags, uint32_t inject_len,
				const void *ranges, uint32_t nr_ranges)
{
	const struct ipcoff_copy *seen = submit_inject(ipc, req);
	struct ipcoff_copy want = *req;

	if (!CHECK(seen))
		return false;

	want.flags = flags;
	want.inject_len = inject_len;
	want.inject_ranges = (uintptr_t)ranges;
	want.nr_inject_ranges = nr_ranges;
	CHECK(memcmp(seen, &want, sizeof(want)) == 0);
	CHECK_EQ(seen->flags, flags);
	CHECK_EQ(seen->inject_len, inject_len);
	return true;
}

static void test_submit_inject(void)
{
	const uint32_t both = IPCOFF_COPY_CACHE_CLWB | IPCOFF_COPY_INJECT;
	const struct ipcoff_range ranges[2] = {
		{ .offset = 0, .len = 64 }, { .offset = 512, .len = 128 },
	};
	const struct fake_wait_call *log = fake.ring.wait_log;
	struct ipcoff_copy req;
	struct ipcoff_ring ring;
	struct ipcoff_cqe *cqe;
	struct ipcoff ipc;

	REQUIRE(open_ring(&ipc, &ring, 16, 0, 0));
	add_features(&ipc, IPCOFF_FEAT_CACHE);

	/* By default: CLWB only (Documentation/cache.rst), no injection. */
	region_req(&req, 0x900);
	REQUIRE(submit_check_inject(&ipc, &req, IPCOFF_COPY_CACHE_CLWB, 0,
				    NULL, 0));
	fake_ring_complete(1);
	cqe = NULL;
	CHECK_EQ(ipcoff_wait_cqe(&ipc, &ring, 0, &cqe), 0);
	REQUIRE(CHECK(cqe));
	CHECK_EQ(cqe->flags, 0);
	CHECK_EQ(fake.ring.waits, 0);
	ipcoff_ring_advance(&ring, 1);

	/* INJECT alone: the whole message. */
	req.flags = IPCOFF_COPY_INJECT;
	REQUIRE(submit_check_inject(&ipc, &req, both, 1000, NULL, 0));

	/* The entry says an injection is due; reaping it runs it once. */
	fake_ring_complete(1);
	cqe = NULL;
	CHECK_EQ(ipcoff_wait_cqe(&ipc, &ring, 0, &cqe), 0);
	REQUIRE(CHECK(cqe));
	CHECK_EQ(cqe->user_data, 0x900);
	CHECK_EQ(cqe->flags, IPCOFF_CQE_INJECT);
	CHECK_EQ(fake.ring.waits, 1);
	CHECK_EQ(log[0].target, 0);
	CHECK_EQ(log[0].timeout_ns, 0);
	CHECK_EQ(log[0].injected, 1);
	CHECK_EQ(fake.ring.injects_run, 1);
	ipcoff_ring_advance(&ring, 1);

	/* CLWB already set: kept, nothing added. */
	req.flags = IPCOFF_COPY_CACHE_CLWB;
	REQUIRE(submit_check_inject(&ipc, &req, IPCOFF_COPY_CACHE_CLWB, 0,
				    NULL, 0));

	/* The caller's own length, or ranges, are kept. */
	req.flags = IPCOFF_COPY_INJECT;
	req.inject_len = 64;
	REQUIRE(submit_check_inject(&ipc, &req, both, 64, NULL, 0));
	req.inject_len = 0;
	req.inject_ranges = (uintptr_t)ranges;
	req.nr_inject_ranges = 2;
	REQUIRE(submit_check_inject(&ipc, &req, both, 0, ranges, 2));

	/* Other flags go along. */
	region_req(&req, 0x901);
	req.flags = IPCOFF_COPY_CPU_FALLBACK;
	REQUIRE(submit_check_inject(&ipc, &req, IPCOFF_COPY_CACHE_CLWB |
				    IPCOFF_COPY_CPU_FALLBACK, 0, NULL, 0));
	fake_ring_complete(fake_ring_pending());
	ipcoff_ring_advance(&ring, ipcoff_ring_ready(&ring));
	close_ring(&ipc, &ring);
}

static void test_submit_inject_errors(void)
{
	static const uint32_t conflicts[] = {
		IPCOFF_COPY_CHUNKED, IPCOFF_COPY_MOVE, IPCOFF_COPY_CACHE_FLUSH,
		IPCOFF_COPY_CACHE_NONTEMPORAL,
	};
	const struct ipcoff_range range = { .offset = 0, .len = 8 };
	unsigned char *big = calloc(1, IPCOFF_INJECT_MAX_LEN + 1);
	struct ipcoff_iovec iov = {
		.base = (uintptr_t)big, .len = IPCOFF_INJECT_MAX_LEN + 1,
	};
	struct ipcoff_copy req;
	struct ipcoff_ring ring;
	struct ipcoff ipc;
	size_t i;

	REQUIRE(big);
	if (!open_ring(&ipc, &ring, 16, 0, 0)) {
		free(big);
		return;
	}
	add_features(&ipc, CACHE_FEATURES);

	/* Above the mode's bound: refused whatever else holds. */
	region_req(&req, 1);
	ipcoff_ep_iovec(&req.src, &iov, 1);
	req.len = IPCOFF_INJECT_MAX_LEN + 1;
	CHECK_EQ(ipcoff_submit_inject(&ipc, &req), -EMSGSIZE);
	check_no_ioctl();
	ipc.features = 0;
	CHECK_EQ(ipcoff_submit_inject(&ipc, &req), -EMSGSIZE);
	ipc.features = CACHE_FEATURES;
	/* At the bound it goes (the fake's region is smaller: ERANGE). */
	req.len = IPCOFF_INJECT_MAX_LEN;
	req.flags = IPCOFF_COPY_INJECT;
	CHECK_EQ(ipcoff_submit_inject(&ipc, &req), -ERANGE);
	check_one_ioctl(&ipc, IPCOFF_IOC_SUBMIT);
	CHECK_EQ(fake.ring.seen_reqs[0].inject_len, IPCOFF_INJECT_MAX_LEN);

	/* What the uapi refuses with CLWB or INJECT, with or without cache. */
	for (i = 0; i < ARRAY_SIZE(conflicts); i++) {
		region_req(&req, 2);
		req.flags = conflicts[i];
		if (conflicts[i] == IPCOFF_COPY_CHUNKED)
			req.chunk_size = IPCOFF_CHUNK_MIN;
		fake_clear_record();
		ipc.features = CACHE_FEATURES;
		CHECK_EQ(ipcoff_submit_inject(&ipc, &req), -EINVAL);
		ipc.features = CACHE_FEATURES & ~IPCOFF_FEAT_CACHE;
		CHECK_EQ(ipcoff_submit_inject(&ipc, &req), -EINVAL);
		check_no_ioctl();
	}
	/* Inject fields without INJECT, as the uapi says. */
	ipc.features = CACHE_FEATURES;
	region_req(&req, 3);
	req.inject_len = 8;
	CHECK_EQ(ipcoff_submit_inject(&ipc, &req), -EINVAL);
	region_req(&req, 3);
	req.inject_ranges = (uintptr_t)&range;
	req.nr_inject_ranges = 1;
	CHECK_EQ(ipcoff_submit_inject(&ipc, &req), -EINVAL);
	check_no_ioctl();

	/* It is a submit: it needs the asynchronous API. */
	region_req(&req, 4);
	ipc.features = CACHE_FEATURES & ~IPCOFF_FEAT_ASYNC;
	CHECK_EQ(ipcoff_submit_inject(&ipc, &req), -EOPNOTSUPP);
	check_no_ioctl();
	close_ring(&ipc, &ring);
	free(big);
}

/*
 * A module without IPCOFF_FEAT_CACHE (the fake refuses cache flags then):
 * the same copy, without cache actions, and nothing to run when reaping.
 */
static void test_submit_inject_without_cache(void)
{
	const struct ipcoff_range range = { .offset = 0, .len = 8 };
	struct ipcoff_copy req;
	struct ipcoff_ring ring;
	struct ipcoff_cqe *cqe;
	struct ipcoff ipc;

	REQUIRE(open_ring(&ipc, &ring, 16, 0, 0));
	REQUIRE(!ipcoff_has_feature(&ipc, IPCOFF_FEAT_CACHE));
	region_req(&req, 0xa00);
	REQUIRE(submit_check_inject(&ipc, &req, 0, 0, NULL, 0));
	/* The caller's own cache flags and ranges go too. */
	req.flags = IPCOFF_COPY_INJECT | IPCOFF_COPY_CACHE_CLWB |
		    IPCOFF_COPY_CPU_FALLBACK;
	req.inject_ranges = (uintptr_t)&range;
	req.nr_inject_ranges = 1;
	REQUIRE(submit_check_inject(&ipc, &req, IPCOFF_COPY_CPU_FALLBACK, 0,
				    NULL, 0));

	fake_ring_complete(2);
	fake_clear_record();
	CHECK_EQ(ipcoff_wait_cqe(&ipc, &ring, 0, &cqe), 0);
	REQUIRE(CHECK(cqe));
	CHECK_EQ(cqe->flags, 0);
	ipcoff_ring_advance(&ring, 1);
	CHECK_EQ(ipcoff_wait_cqe(&ipc, &ring, 0, &cqe), 0);
	CHECK_EQ(cqe->flags, 0);
	ipcoff_ring_advance(&ring, 1);
	check_no_ioctl();

	/* The plain calls refuse cache actions instead: -EOPNOTSUPP. */
	region_req(&req, 0xa01);
	req.flags = IPCOFF_COPY_CACHE_CLWB;
	CHECK_EQ(ipcoff_submit(&ipc, &req, 1), -EOPNOTSUPP);
	CHECK_EQ(ipcoff_copy(&ipc, &req), -EOPNOTSUPP);
	check_no_ioctl();
	close_ring(&ipc, &ring);
}

/* ------------------------------------------------------------------ */
/* WAIT, SET_EVENTFD, NOTIFY regions */

static void test_wait_marshalling(void)
{
	const struct ipcoff_wait *w = &fake.seen.wait;
	struct ipcoff_ring ring;
	struct ipcoff ipc;
	uint64_t done;

	REQUIRE(open_ring(&ipc, &ring, 16, 0, 7));
	done = 0xdead;
	CHECK_EQ(ipcoff_wait(&ipc, 5, 0, &done), 0);
	check_one_ioctl(&ipc, IPCOFF_IOC_WAIT);
	CHECK_EQ(done, 7);
	CHECK_EQ(w->flags, 0);
	CHECK_EQ(w->pad, 0);
	CHECK_EQ(w->target, 5);
	CHECK_EQ(w->timeout_ns, 0);
	CHECK_EQ(w->completed, 0);

	/* Early ends still report the count. */
	done = 0xdead;
	CHECK_EQ(ipcoff_wait(&ipc, 9, 0, &done), -ETIMEDOUT);
	CHECK_EQ(done, 7);
	done = 0xdead;
	CHECK_EQ(ipcoff_wait(&ipc, 9, 1000000, &done), -ETIMEDOUT);
	CHECK_EQ(fake.seen.wait.timeout_ns, 1000000);
	CHECK_EQ(done, 7);
	fake.ring.wait_err = EINTR;
	done = 0xdead;
	CHECK_EQ(ipcoff_wait(&ipc, 9, -1, &done), -EINTR);
	CHECK_EQ(done, 7);
	fake.ring.wait_err = 0;

	/* A negative timeout waits for good; here one entry ends it. */
	fake.ring.on_sleep[0].cqe = make_cqe(1, 0);
	fake.ring.n_on_sleep = 1;
	CHECK_EQ(ipcoff_wait(&ipc, 8, -1, &done), 0);
	CHECK_EQ(fake.seen.wait.timeout_ns, -1);
	CHECK_EQ(done, 8);
	CHECK_EQ(ipcoff_wait(&ipc, 8, INT64_MAX, NULL), 0);
	CHECK_EQ(fake.seen.wait.timeout_ns, INT64_MAX);

	/* Without a ring: the errno, and the count left alone. */
	fake_ring_free();
	done = 0x55;
	CHECK_EQ(ipcoff_wait(&ipc, 1, 0, &done), -ENXIO);
	CHECK_EQ(done, 0x55);

	fake_clear_record();
	ipc.features = ALL_FEATURES;
	CHECK_EQ(ipcoff_wait(&ipc, 1, 0, &done), -EOPNOTSUPP);
	check_no_ioctl();
	close_ring(&ipc, &ring);
}

static void test_set_eventfd(void)
{
	struct ipcoff_ring ring;
	struct ipcoff ipc;
	eventfd_t count = 0;
	int efd, fds[2];

	efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	REQUIRE(efd >= 0);
	REQUIRE(pipe(fds) == 0);
	if (!open_ring(&ipc, &ring, 16, 0, 0))
		goto out;

	CHECK_EQ(ipcoff_set_eventfd(&ipc, efd), 0);
	check_one_ioctl(&ipc, IPCOFF_IOC_SET_EVENTFD);
	CHECK_EQ(fake.seen.eventfd.fd, efd);
	CHECK_EQ(fake.seen.eventfd.flags, 0);
	/* Signalled once per entry. */
	post(1);
	post(2);
	notify(3);
	CHECK_EQ(eventfd_read(efd, &count), 0);
	CHECK_EQ(count, 3);

	CHECK_EQ(ipcoff_set_eventfd(&ipc, -1), 0);
	CHECK_EQ(fake.seen.eventfd.fd, -1);
	post(4);
	CHECK_EQ(eventfd_read(efd, &count), -1);
	CHECK_EQ(errno, EAGAIN);

	CHECK_EQ(ipcoff_set_eventfd(&ipc, fds[0]), -EINVAL);
	CHECK_EQ(ipcoff_set_eventfd(&ipc, -2), -EINVAL);
	CHECK_EQ(fake.seen.eventfd.fd, -2);

	fake_clear_record();
	ipc.features = ASYNC_FEATURES & ~IPCOFF_FEAT_EVENTFD;
	CHECK_EQ(ipcoff_set_eventfd(&ipc, efd), -EOPNOTSUPP);
	ipc.features = ASYNC_FEATURES & ~IPCOFF_FEAT_ASYNC;
	CHECK_EQ(ipcoff_set_eventfd(&ipc, efd), -EOPNOTSUPP);
	check_no_ioctl();

	ipc.features = ASYNC_FEATURES;
	fake_ring_free();
	CHECK_EQ(ipcoff_set_eventfd(&ipc, efd), -ENXIO);
	close_ring(&ipc, &ring);
out:
	close(fds[0]);
	close(fds[1]);
	close(efd);
}

static void test_register_notify(void)
{
	const struct ipcoff_region_reg *reg = &fake.seen.reg;
	static unsigned char mem[256];
	struct ipcoff_ring ring;
	struct ipcoff ipc;
	uint64_t h;

	REQUIRE(open_ring(&ipc, &ring, 16, 0, 0));
	h = 0;
	CHECK_EQ(ipcoff_register_notify(&ipc, mem + 1, 200,
					IPCOFF_REGION_WRITABLE,
					0xfeedf00d12345678ULL, &h), 0);
	check_one_ioctl(&ipc, IPCOFF_IOC_REGISTER);
	CHECK_EQ(h, FAKE_REGION_HANDLE);
	CHECK_EQ(reg->addr, (uintptr_t)(mem + 1));
	CHECK_EQ(reg->len, 200);
	CHECK_EQ(reg->flags, IPCOFF_REGION_WRITABLE | IPCOFF_REGION_NOTIFY);
	CHECK_EQ(reg->notify_data, 0xfeedf00d12345678ULL);
	CHECK_EQ(reg->pad, 0);
	CHECK_EQ(reg->handle, 0);
	CHECK_EQ(reg->reserved[0], 0);

	/* NOTIFY given already, and notify_data 0, are both fine. */
	CHECK_EQ(ipcoff_register_notify(&ipc, mem, 8, IPCOFF_REGION_NOTIFY,
					0, &h), 0);
	CHECK_EQ(reg->flags, IPCOFF_REGION_NOTIFY);
	CHECK_EQ(reg->notify_data, 0);
	/* ipcoff_register() with the flag sends notify_data 0. */
	CHECK_EQ(ipcoff_register(&ipc, mem, 8, IPCOFF_REGION_NOTIFY, &h), 0);
	CHECK_EQ(reg->flags, IPCOFF_REGION_NOTIFY);
	CHECK_EQ(reg->notify_data, 0);

	/* The module wants a ring first; the handle is left alone. */
	fake_ring_free();
	h = 0x1111;
	CHECK_EQ(ipcoff_register_notify(&ipc, mem, 8, 0, 1, &h), -ENXIO);
	CHECK_EQ(h, 0x1111);

	fake_clear_record();
	ipc.features = ASYNC_FEATURES & ~IPCOFF_FEAT_NOTIFY;
	CHECK_EQ(ipcoff_register_notify(&ipc, mem, 8, 0, 1, &h), -EOPNOTSUPP);
	ipc.features = ASYNC_FEATURES & ~IPCOFF_FEAT_SINGLE_USE;
	CHECK_EQ(ipcoff_register_notify(&ipc, mem, 8, IPCOFF_REGION_SINGLE_USE,
					1, &h), -EOPNOTSUPP);
	check_no_ioctl();
	close_ring(&ipc, &ring);
}

/* ------------------------------------------------------------------ */
/* ipcoff_wait_cqe */

static void test_wait_cqe_ready(void)
{
	struct ipcoff_ring ring;
	struct ipcoff_cqe *cqe;
	struct ipcoff ipc;

	REQUIRE(open_ring(&ipc, &ring, 16, 0, 0));
	post(5);
	cqe = NULL;
	CHECK_EQ(ipcoff_wait_cqe(&ipc, &ring, 0, &cqe), 0);
	REQUIRE(CHECK(cqe));
	CHECK_EQ(cqe->user_data, 5);
	/* Peeking does not consume. */
	CHECK_EQ(ipcoff_wait_cqe(&ipc, &ring, -1, &cqe), 0);
	CHECK_EQ(cqe->user_data, 5);
	check_no_ioctl();

	ipc.features = ALL_FEATURES;
	CHECK_EQ(ipcoff_wait_cqe(&ipc, &ring, 0, &cqe), -EOPNOTSUPP);
	CHECK(!cqe);
	check_no_ioctl();
	close_ring(&ipc, &ring);
}

/* It sleeps on "one more than the count it saw with an empty ring". */
static void test_wait_cqe_sleeps(void)
{
	const int64_t timeouts[] = { -1, 2000000000LL };
	struct ipcoff_ring ring;
	struct ipcoff_cqe *cqe;
	struct ipcoff ipc;
	size_t i;

	REQUIRE(open_ring(&ipc, &ring, 16, UINT32_MAX - 1, 1000));
	for (i = 0; i < ARRAY_SIZE(timeouts); i++) {
		const struct fake_wait_call *call = &fake.ring.wait_log[0];
		uint64_t seen = ipcoff_ring_completed(&ring);

		fake_clear_record();
		fake.ring.on_sleep[0].cqe = make_cqe(42 + i, 0);
		fake.ring.n_on_sleep = 1;
		cqe = NULL;
		CHECK_EQ(ipcoff_wait_cqe(&ipc, &ring, timeouts[i], &cqe), 0);
		REQUIRE(CHECK(cqe));
		CHECK_EQ(cqe->user_data, 42 + i);
		CHECK_EQ(fake.ring.waits, 1);
		CHECK_EQ(call->target, seen + 1);
		CHECK(call->slept);
		if (timeouts[i] < 0)
			CHECK_EQ(call->timeout_ns, -1);
		else
			CHECK(call->timeout_ns > 0 &&
			      call->timeout_ns <= timeouts[i]);
		CHECK_EQ(fake.ring.sleeps_with_ready, 0);
		ipcoff_ring_advance(&ring, 1);
	}
	close_ring(&ipc, &ring);
}

static void test_wait_cqe_timeout(void)
{
	const struct fake_wait_call *call = &fake.ring.wait_log[0];
	struct ipcoff_ring ring;
	struct ipcoff_cqe *cqe;
	struct ipcoff ipc;
	int64_t t0, took;

	REQUIRE(open_ring(&ipc, &ring, 16, 0, 3));
	/* 0 does not sleep, and with nothing waiting asks nothing. */
	cqe = (void *)&ring;
	CHECK_EQ(ipcoff_wait_cqe(&ipc, &ring, 0, &cqe), -ETIMEDOUT);
	CHECK(!cqe);
	check_no_ioctl();

	t0 = mono_ns();
	CHECK_EQ(ipcoff_wait_cqe(&ipc, &ring, 3000000, &cqe), -ETIMEDOUT);
	took = mono_ns() - t0;
	CHECK(took >= 3000000);
	CHECK(took < 1000000000);
	CHECK(!cqe);
	CHECK(fake.ring.waits >= 1);
	CHECK_EQ(call->target, 4);
	CHECK(call->timeout_ns >= 0 && call->timeout_ns <= 3000000);
	CHECK_EQ(fake.ring.sleeps_with_ready, 0);

	fake_clear_record();
	fake.ring.wait_err = EINTR;
	cqe = (void *)&ring;
	CHECK_EQ(ipcoff_wait_cqe(&ipc, &ring, -1, &cqe), -EINTR);
	CHECK(!cqe);
	CHECK_EQ(ipcoff_wait_cqe(&ipc, &ring, 1000000, &cqe), -EINTR);
	fake.ring.wait_err = 0;
	close_ring(&ipc, &ring);
}

/*
 * NOTIFY entries wait in the kernel while the ring is full, already
 * counted. Sleeping on count + 1 then would never end: a WAIT that does
 * not sleep must bring them in first.
 */
static void test_wait_cqe_overflow(void)
{
	const struct fake_wait_call *log = fake.ring.wait_log;
	struct ipcoff_ring ring;
	struct ipcoff_cqe *cqe;
	struct ipcoff ipc;
	unsigned int i;

	REQUIRE(open_ring(&ipc, &ring, 8, UINT32_MAX - 3, 0));
	for (i = 0; i < 8; i++)
		post(i);
	notify(0x1000);
	notify(0x1001);
	CHECK_EQ(*ring.kflags, IPCOFF_RING_OVERFLOW);
	CHECK_EQ(ipcoff_ring_completed(&ring), 10);
	CHECK_EQ(ipcoff_ring_ready(&ring), 8);
	ipcoff_ring_advance(&ring, 8);
	fake_clear_record();

	cqe = NULL;
	CHECK_EQ(ipcoff_wait_cqe(&ipc, &ring, 1000000000, &cqe), 0);
	REQUIRE(CHECK(cqe));
	CHECK_EQ(cqe->user_data, 0x1000);
	CHECK_EQ(cqe->flags, IPCOFF_CQE_NOTIFY);
	CHECK_EQ(cqe->handle, FAKE_REGION_HANDLE);
	REQUIRE(CHECK_EQ(fake.ring.waits, 1));
	CHECK_EQ(log[0].target, 0);
	CHECK_EQ(log[0].timeout_ns, 0);
	CHECK_EQ(log[0].flushed, 2);
	CHECK(!log[0].slept);
	CHECK_EQ(*ring.kflags, 0);
	ipcoff_ring_advance(&ring, 1);

	CHECK_EQ(ipcoff_wait_cqe(&ipc, &ring, 0, &cqe), 0);
	CHECK_EQ(cqe->user_data, 0x1001);
	ipcoff_ring_advance(&ring, 1);
	CHECK_EQ(ipcoff_wait_cqe(&ipc, &ring, 0, &cqe), -ETIMEDOUT);
	CHECK_EQ(fake.ring.waits, 1);
	CHECK_EQ(fake.ring.sleeps_with_ready, 0);

	/* A timeout shorter than the polling still fetches them. */
	for (i = 0; i < 8; i++)
		post(i);
	notify(0x1002);
	ipcoff_ring_advance(&ring, 8);
	CHECK_EQ(*ring.kflags, IPCOFF_RING_OVERFLOW);
	fake_clear_record();
	CHECK_EQ(ipcoff_wait_cqe(&ipc, &ring, 1000, &cqe), 0);
	CHECK_EQ(cqe->user_data, 0x1002);
	CHECK_EQ(fake.ring.waits, 1);
	CHECK_EQ(fake.ring.sleeps_with_ready, 0);
	close_ring(&ipc, &ring);
}

/*
 * Overflow that cannot move in: every free place is promised to a copy in
 * flight. Then only a completion helps, and it raises the count.
 */
static void test_wait_cqe_overflow_no_room(void)
{
	const struct fake_wait_call *log = fake.ring.wait_log;
	struct ipcoff_copy reqs[8];
	struct ipcoff_ring ring;
	struct ipcoff_cqe *cqe;
	struct ipcoff ipc;
	unsigned int i;

	for (i = 0; i < 8; i++)
		region_req(&reqs[i], 0x500 + i);
	REQUIRE(open_ring(&ipc, &ring, 8, 0, 0));
	REQUIRE(CHECK_EQ(ipcoff_submit(&ipc, reqs, 8), 8));
	notify(0x2000);
	CHECK_EQ(*ring.kflags, IPCOFF_RING_OVERFLOW);
	CHECK_EQ(ipcoff_ring_ready(&ring), 0);
	fake_clear_record();

	fake.ring.on_sleep[0].complete = 1;
	fake.ring.n_on_sleep = 1;
	cqe = NULL;
	CHECK_EQ(ipcoff_wait_cqe(&ipc, &ring, 1000000000, &cqe), 0);
	REQUIRE(CHECK(cqe));
	CHECK_EQ(cqe->user_data, 0x500);
	REQUIRE(CHECK_EQ(fake.ring.waits, 2));
	CHECK_EQ(log[0].target, 0);
	CHECK_EQ(log[0].flushed, 0);
	CHECK_EQ(log[1].target, 2);
	CHECK(log[1].slept);
	CHECK_EQ(fake.ring.sleeps_with_ready, 0);
	ipcoff_ring_advance(&ring, 1);

	/* Now there is a free place: the waiting entry comes in. */
	CHECK_EQ(ipcoff_wait_cqe(&ipc, &ring, 0, &cqe), 0);
	CHECK_EQ(cqe->user_data, 0x2000);
	CHECK_EQ(cqe->flags, IPCOFF_CQE_NOTIFY);
	CHECK_EQ(fake.ring.waits, 3);
	ipcoff_ring_advance(&ring, 1);
	fake_ring_complete(7);
	for (i = 1; i < 8; i++) {
		CHECK_EQ(ipcoff_wait_cqe(&ipc, &ring, 0, &cqe), 0);
		CHECK_EQ(cqe->user_data, 0x500 + i);
		ipcoff_ring_advance(&ring, 1);
	}
	CHECK_EQ(fake.ring.sleeps_with_ready, 0);
	close_ring(&ipc, &ring);
}

struct producer {
	pthread_t thread;
	int64_t delay_ns;
	unsigned int count;
	uint64_t first;
};

static void *producer_main(void *arg)
{
	struct producer *p = arg;
	unsigned int i;

	for (i = 0; i < p->count; i++) {
		sleep_ns(p->delay_ns);
		post(p->first + i);
	}
	return NULL;
}

/* A real thread completes while the waiter spins or sleeps. */
static void test_wait_cqe_thread(void)
{
	static const int64_t delays[] = { 0, 5000, 3000000 };
	struct ipcoff_ring ring;
	struct ipcoff_cqe *cqe;
	struct ipcoff ipc;
	size_t d;

	REQUIRE(open_ring(&ipc, &ring, 16, UINT32_MAX - 7, 0));
	for (d = 0; d < ARRAY_SIZE(delays); d++) {
		struct producer p = {
			.delay_ns = delays[d], .count = 10,
			.first = 100 * (d + 1),
		};
		unsigned int i;

		REQUIRE(pthread_create(&p.thread, NULL, producer_main, &p) ==
			0);
		for (i = 0; i < p.count; i++) {
			cqe = NULL;
			if (!CHECK_EQ(ipcoff_wait_cqe(&ipc, &ring, 5000000000LL,
						      &cqe), 0))
				break;
			CHECK_EQ(cqe->user_data, p.first + i);
			ipcoff_ring_advance(&ring, 1);
		}
		pthread_join(p.thread, NULL);
	}
	CHECK_EQ(ipcoff_ring_ready(&ring), 0);
	CHECK_EQ(fake.ring.sleeps_with_ready, 0);
	close_ring(&ipc, &ring);
}

/*
 * An entry with IPCOFF_CQE_INJECT costs one more WAIT (target 0, no
 * sleep) exactly when ipcoff_wait_cqe() did not find it right after a
 * WAIT of its own, which runs the injection.
 */
static void test_wait_cqe_inject(void)
{
	const struct fake_wait_call *log = fake.ring.wait_log;
	struct ipcoff_cqe c = make_cqe(0xb00, IPCOFF_CQE_INJECT);
	struct ipcoff_ring ring;
	struct ipcoff_cqe *cqe;
	struct ipcoff ipc;
	uint64_t seen;
	unsigned int i;

	REQUIRE(open_ring(&ipc, &ring, 8, 0, 0));

	/* Ready at once: the extra WAIT, for any timeout. */
	fake_ring_post(&c);
	CHECK_EQ(ipcoff_wait_cqe(&ipc, &ring, -1, &cqe), 0);
	REQUIRE(CHECK(cqe));
	CHECK_EQ(cqe->user_data, 0xb00);
	REQUIRE(CHECK_EQ(fake.ring.waits, 1));
	CHECK_EQ(log[0].target, 0);
	CHECK_EQ(log[0].timeout_ns, 0);
	CHECK(!log[0].slept);
	CHECK_EQ(log[0].injected, 1);
	ipcoff_ring_advance(&ring, 1);

	/* Without the flag: no ioctl. */
	fake_clear_record();
	post(0xb01);
	CHECK_EQ(ipcoff_wait_cqe(&ipc, &ring, 0, &cqe), 0);
	CHECK_EQ(cqe->user_data, 0xb01);
	check_no_ioctl();
	ipcoff_ring_advance(&ring, 1);

	/* Arrived while the WAIT slept: that WAIT ran it, no second one. */
	fake_clear_record();
	seen = ipcoff_ring_completed(&ring);
	fake.ring.on_sleep[0].cqe = make_cqe(0xb02, IPCOFF_CQE_INJECT);
	fake.ring.n_on_sleep = 1;
	CHECK_EQ(ipcoff_wait_cqe(&ipc, &ring, -1, &cqe), 0);
	REQUIRE(CHECK(cqe));
	CHECK_EQ(cqe->user_data, 0xb02);
	REQUIRE(CHECK_EQ(fake.ring.waits, 1));
	CHECK_EQ(log[0].target, seen + 1);
	CHECK(log[0].slept);
	CHECK_EQ(log[0].injected, 1);
	ipcoff_ring_advance(&ring, 1);

	/* Brought in from the overflow list by a WAIT: no second one. */
	for (i = 0; i < 8; i++)
		post(i);
	c = make_cqe(0xb03, IPCOFF_CQE_NOTIFY | IPCOFF_CQE_INJECT);
	fake_ring_notify(&c);
	ipcoff_ring_advance(&ring, 8);
	fake_clear_record();
	CHECK_EQ(ipcoff_wait_cqe(&ipc, &ring, 1000000000, &cqe), 0);
	REQUIRE(CHECK(cqe));
	CHECK_EQ(cqe->user_data, 0xb03);
	REQUIRE(CHECK_EQ(fake.ring.waits, 1));
	CHECK_EQ(log[0].flushed, 1);
	CHECK_EQ(log[0].injected, 1);
	ipcoff_ring_advance(&ring, 1);

	/* Landed after a WAIT gave up: that WAIT did not run it. */
	fake_clear_record();
	fake.ring.timeout_cqe = make_cqe(0xb05, IPCOFF_CQE_INJECT);
	fake.ring.post_on_timeout = true;
	CHECK_EQ(ipcoff_wait_cqe(&ipc, &ring, 20000000, &cqe), 0);
	REQUIRE(CHECK(cqe));
	CHECK_EQ(cqe->user_data, 0xb05);
	REQUIRE(CHECK_EQ(fake.ring.waits, 2));
	CHECK(log[0].slept);
	CHECK_EQ(log[0].injected, 0);
	CHECK_EQ(log[1].target, 0);
	CHECK_EQ(log[1].timeout_ns, 0);
	CHECK_EQ(log[1].injected, 1);
	ipcoff_ring_advance(&ring, 1);

	/* A failing WAIT costs speed only: the entry is still returned. */
	fake_clear_record();
	c = make_cqe(0xb04, IPCOFF_CQE_INJECT);
	fake_ring_post(&c);
	fake.ring.wait_err = EINTR;
	CHECK_EQ(ipcoff_wait_cqe(&ipc, &ring, 0, &cqe), 0);
	REQUIRE(CHECK(cqe));
	CHECK_EQ(cqe->user_data, 0xb04);
	CHECK_EQ(fake.ring.waits, 1);
	fake.ring.wait_err = 0;
	ipcoff_ring_advance(&ring, 1);
	CHECK_EQ(fake.ring.sleeps_with_ready, 0);
	close_ring(&ipc, &ring);
}

/* ------------------------------------------------------------------ */
/* Buffers and export fds */

static void check_buf_alloc_seen(uint64_t len, uint32_t flags,
				 uint64_t notify_data)
{
	const struct ipcoff_buf_alloc *b = &fake.seen.buf_alloc;

	CHECK_EQ(b->len, len);
	CHECK_EQ(b->flags, flags);
	CHECK_EQ(b->pad, 0);
	CHECK_EQ(b->handle, 0);
	CHECK_EQ(b->notify_data, notify_data);
	CHECK(memeq_byte(b->reserved, 0, sizeof(b->reserved)));
}

static void test_buf_alloc_marshalling(void)
{
	static const struct {
		size_t len, want;
		uint32_t flags;
	} cases[] = {
		{ 1, 4096, 0 },
		{ 4095, 4096, IPCOFF_REGION_WRITABLE },
		{ 4096, 4096, IPCOFF_REGION_WRITABLE },
		{ 4097, 8192, 0 },
		{ 5000, 8192, IPCOFF_REGION_WRITABLE },
		{ (size_t)1 << 30, (size_t)1 << 30, IPCOFF_REGION_WRITABLE },
	};
	struct ipcoff ipc;
	size_t i, got;
	uint64_t h;
	int ret;

	REQUIRE(open_fake(&ipc, BUFFER_FEATURES & ~IPCOFF_FEAT_ASYNC));
	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		fake_clear_record();
		fake.reg_handle = 0x0123456789abcdefULL + i;
		h = 0;
		got = 0;
		ret = ipcoff_buf_alloc(&ipc, cases[i].len, cases[i].flags, 0,
				       &h, &got);
		if (!CHECK_EQ(ret, 0))
			printf("# len %zu\n", cases[i].len);
		check_one_ioctl(&ipc, IPCOFF_IOC_BUF_ALLOC);
		check_buf_alloc_seen(cases[i].len, cases[i].flags, 0);
		CHECK_EQ(h, 0x0123456789abcdefULL + i);
		/* The length is the module's rounded one, not the request. */
		CHECK_EQ(got, cases[i].want);
	}

	/* alloc_len may be NULL. */
	fake_clear_record();
	fake.reg_handle = FAKE_REGION_HANDLE;
	h = 0;
	CHECK_EQ(ipcoff_buf_alloc(&ipc, 10, 0, 0, &h, NULL), 0);
	CHECK_EQ(h, FAKE_REGION_HANDLE);
	check_one_ioctl(&ipc, IPCOFF_IOC_BUF_ALLOC);

	/* size_t lengths reach the module unchanged, and so do its errors. */
	fake_clear_record();
	h = 0x1111;
	got = 0x2222;
	CHECK_EQ(ipcoff_buf_alloc(&ipc, SIZE_MAX, 0, 0, &h, &got), -EINVAL);
	CHECK_EQ(fake.seen.buf_alloc.len, (uint64_t)SIZE_MAX);
	CHECK_EQ(h, 0x1111);
	CHECK_EQ(got, 0x2222);
	/* ... with nothing given back: nothing was allocated. */
	CHECK_EQ(fake.unregisters, 0);

	/* Flags and notify_data are the module's to refuse, not fixed up. */
	fake_clear_record();
	CHECK_EQ(ipcoff_buf_alloc(&ipc, 10, IPCOFF_REGION_SINGLE_USE, 0, &h,
				  &got), -EINVAL);
	check_one_ioctl(&ipc, IPCOFF_IOC_BUF_ALLOC);
	CHECK_EQ(fake.seen.buf_alloc.flags, IPCOFF_REGION_SINGLE_USE);
	fake_clear_record();
	CHECK_EQ(ipcoff_buf_alloc(&ipc, 10, 0, 5, &h, &got), -EINVAL);
	CHECK_EQ(fake.seen.buf_alloc.notify_data, 5);
	fake_clear_record();
	CHECK_EQ(ipcoff_buf_alloc(&ipc, 0, 0, 0, &h, &got), -EINVAL);
	CHECK_EQ(fake.seen.buf_alloc.len, 0);
	CHECK_EQ(h, 0x1111);
	CHECK_EQ(got, 0x2222);

	fake_clear_record();
	fake.err = ENOMEM;
	CHECK_EQ(ipcoff_buf_alloc(&ipc, 4096, 0, 0, &h, &got), -ENOMEM);
	check_one_ioctl(&ipc, IPCOFF_IOC_BUF_ALLOC);
	CHECK_EQ(h, 0x1111);
	CHECK_EQ(got, 0x2222);
	ipcoff_close(&ipc);
}

static void test_buf_alloc_notify(void)
{
	struct ipcoff ipc;
	uint64_t h;
	size_t got;

	REQUIRE(open_fake(&ipc, BUFFER_FEATURES));
	/* The module wants a ring first. */
	h = 0x1111;
	CHECK_EQ(ipcoff_buf_alloc(&ipc, 100, IPCOFF_REGION_NOTIFY, 3, &h,
				  &got), -ENXIO);
	check_one_ioctl(&ipc, IPCOFF_IOC_BUF_ALLOC);
	CHECK_EQ(h, 0x1111);

	REQUIRE(fake_ring_create(16));
	fake_clear_record();
	got = 0;
	CHECK_EQ(ipcoff_buf_alloc(&ipc, 100, IPCOFF_REGION_WRITABLE |
				  IPCOFF_REGION_NOTIFY,
				  0xfeedf00d12345678ULL, &h, &got), 0);
	check_one_ioctl(&ipc, IPCOFF_IOC_BUF_ALLOC);
	check_buf_alloc_seen(100, IPCOFF_REGION_WRITABLE |
			     IPCOFF_REGION_NOTIFY, 0xfeedf00d12345678ULL);
	CHECK_EQ(h, FAKE_REGION_HANDLE);
	CHECK_EQ(got, 4096);

	/* NOTIFY needs the asynchronous features too; nothing is asked. */
	fake_clear_record();
	ipc.features = BUFFER_FEATURES & ~IPCOFF_FEAT_NOTIFY;
	CHECK_EQ(ipcoff_buf_alloc(&ipc, 100, IPCOFF_REGION_NOTIFY, 3, &h,
				  &got), -EOPNOTSUPP);
	ipc.features = BUFFER_FEATURES & ~IPCOFF_FEAT_ASYNC;
	CHECK_EQ(ipcoff_buf_alloc(&ipc, 100, IPCOFF_REGION_NOTIFY, 3, &h,
				  &got), -EOPNOTSUPP);
	check_no_ioctl();
	/* Without NOTIFY they are not needed. */
	CHECK_EQ(ipcoff_buf_alloc(&ipc, 100, 0, 0, &h, &got), 0);
	check_one_ioctl(&ipc, IPCOFF_IOC_BUF_ALLOC);
	ipcoff_close(&ipc);
}

static void test_export_marshalling(void)
{
	static const struct {
		uint32_t access;
		unsigned int flags;
	} cases[] = {
		{ IPCOFF_ACCESS_READ, 0 },
		{ IPCOFF_ACCESS_READ, IPCOFF_EXPORT_CLOEXEC },
		{ IPCOFF_ACCESS_MASK, 0 },
		{ IPCOFF_ACCESS_MASK, IPCOFF_EXPORT_CLOEXEC },
	};
	const struct ipcoff_export *e = &fake.seen.export;
	struct ipcoff ipc;
	int before, fd, fdflags;
	size_t i;

	REQUIRE(open_fake(&ipc, BUFFER_FEATURES));
	before = count_fds();
	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		fake_clear_record();
		fd = -7;
		if (!CHECK_EQ(ipcoff_export(&ipc, FAKE_REGION_HANDLE,
					    cases[i].access, cases[i].flags,
					    &fd), 0))
			continue;
		check_one_ioctl(&ipc, IPCOFF_IOC_EXPORT);
		CHECK_EQ(e->handle, FAKE_REGION_HANDLE);
		CHECK_EQ(e->access, cases[i].access);
		CHECK_EQ(e->flags, cases[i].flags);
		CHECK_EQ(e->fd, 0);
		CHECK_EQ(e->pad, 0);
		CHECK(memeq_byte(e->reserved, 0, sizeof(e->reserved)));
		/* The new descriptor is the module's, as it made it. */
		CHECK_EQ(fd, fake.export_fd);
		CHECK(fd != ipc.fd);
		CHECK_EQ(count_fds(), before + 1);
		fdflags = fcntl(fd, F_GETFD);
		CHECK(fdflags != -1);
		CHECK_EQ(!!(fdflags & FD_CLOEXEC),
			 !!(cases[i].flags & IPCOFF_EXPORT_CLOEXEC));
		close(fd);
	}
	CHECK_EQ(count_fds(), before);

	/* Refusals come back as -errno; *fd is left alone. */
	fake_clear_record();
	fd = -7;
	CHECK_EQ(ipcoff_export(&ipc, 0x42, IPCOFF_ACCESS_READ, 0, &fd),
		 -ENOENT);
	CHECK_EQ(e->handle, 0x42);
	CHECK_EQ(fd, -7);
	/* Unknown flags and access bits are the module's to refuse. */
	fake_clear_record();
	CHECK_EQ(ipcoff_export(&ipc, FAKE_REGION_HANDLE, IPCOFF_ACCESS_READ,
			       IPCOFF_EXPORT_CLOEXEC << 1, &fd), -EINVAL);
	check_one_ioctl(&ipc, IPCOFF_IOC_EXPORT);
	CHECK_EQ(e->flags, IPCOFF_EXPORT_CLOEXEC << 1);
	fake_clear_record();
	CHECK_EQ(ipcoff_export(&ipc, FAKE_REGION_HANDLE, 0, 0, &fd), -EINVAL);
	CHECK_EQ(e->access, 0);
	fake_clear_record();
	CHECK_EQ(ipcoff_export(&ipc, FAKE_REGION_HANDLE, 4, 0, &fd), -EINVAL);
	CHECK_EQ(e->access, 4);
	fake_clear_record();
	fake.err = EMFILE;
	CHECK_EQ(ipcoff_export(&ipc, FAKE_REGION_HANDLE, IPCOFF_ACCESS_READ, 0,
			       &fd), -EMFILE);
	CHECK_EQ(fd, -7);
	CHECK_EQ(count_fds(), before);
	ipcoff_close(&ipc);
}

/* Gating by what GET_INFO announced: a module without buffers. */
static void test_buffers_gating_from_open(void)
{
	struct ipcoff ipc;
	uint64_t h = 0x1111;
	size_t got = 0x2222;
	int fd = -7;

	REQUIRE(open_fake(&ipc, ASYNC_FEATURES));
	CHECK_EQ(ipcoff_buf_alloc(&ipc, 4096, IPCOFF_REGION_WRITABLE, 0, &h,
				  &got), -EOPNOTSUPP);
	CHECK_EQ(ipcoff_export(&ipc, FAKE_REGION_HANDLE, IPCOFF_ACCESS_READ,
			       0, &fd), -EOPNOTSUPP);
	check_no_ioctl();
	CHECK_EQ(h, 0x1111);
	CHECK_EQ(got, 0x2222);
	CHECK_EQ(fd, -7);
	ipcoff_close(&ipc);

	REQUIRE(open_fake(&ipc, IPCOFF_FEAT_BUFFERS));
	CHECK_EQ(ipcoff_buf_alloc(&ipc, 4096, IPCOFF_REGION_NOTIFY, 0, &h,
				  &got), -EOPNOTSUPP);
	check_no_ioctl();
	CHECK_EQ(ipcoff_buf_alloc(&ipc, 4096, IPCOFF_REGION_WRITABLE, 0, &h,
				  &got), 0);
	CHECK_EQ(got, 4096);
	CHECK_EQ(ipcoff_export(&ipc, h, IPCOFF_ACCESS_MASK, 0, &fd), 0);
	CHECK_EQ(fake.calls, 2);
	if (fd >= 0)
		close(fd);
	ipcoff_close(&ipc);
}

/* ------------------------------------------------------------------ */
/* Futex interop */

static void on_signal(int sig)
{
	(void)sig;
}

static void test_futex_wait_basics(void)
{
	static uint32_t words[2];
	uint32_t *word = &words[0];
	int64_t t0, took;

	*word = 5;
	/* Not the value seen: the news is there already. */
	CHECK_EQ(ipcoff_futex_wait(word, 4, -1), 0);
	CHECK_EQ(ipcoff_futex_wait(word, 4, 0), 0);
	CHECK_EQ(ipcoff_futex_wait(word, 5, 0), -ETIMEDOUT);
	t0 = mono_ns();
	CHECK_EQ(ipcoff_futex_wait(word, 5, 2000000), -ETIMEDOUT);
	took = mono_ns() - t0;
	CHECK(took >= 2000000 && took < 1000000000);

	CHECK_EQ(ipcoff_futex_wait(NULL, 0, 0), -EINVAL);
	CHECK_EQ(ipcoff_futex_wait((uint32_t *)(void *)
				   ((char *)word + 1), 0, 0), -EINVAL);
	CHECK_EQ(ipcoff_futex_wake(NULL, 1), -EINVAL);
	CHECK_EQ(ipcoff_futex_wake((uint32_t *)(void *)((char *)word + 2), 1),
		 -EINVAL);
	CHECK_EQ(ipcoff_futex_wake(word, -1), -EINVAL);
	CHECK_EQ(*word, 5);

	/* Every wake moves the word, even with nobody to wake. */
	CHECK_EQ(ipcoff_futex_wake(word, 0), 0);
	CHECK_EQ(*word, 6);
	CHECK_EQ(ipcoff_futex_wake(word, INT_MAX), 0);
	CHECK_EQ(*word, 7);
	*word = UINT32_MAX;
	CHECK_EQ(ipcoff_futex_wake(word, 1), 0);
	CHECK_EQ(*word, 0);
}

static void test_futex_wait_eintr(void)
{
	struct sigaction sa, old;
	struct itimerval it, off;
	uint32_t word = 9;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);	/* no SA_RESTART */
	REQUIRE(sigaction(SIGALRM, &sa, &old) == 0);
	memset(&it, 0, sizeof(it));
	memset(&off, 0, sizeof(off));
	it.it_value.tv_usec = 20000;
	REQUIRE(setitimer(ITIMER_REAL, &it, NULL) == 0);
	CHECK_EQ(ipcoff_futex_wait(&word, 9, 5000000000LL), -EINTR);
	setitimer(ITIMER_REAL, &off, NULL);
	sigaction(SIGALRM, &old, NULL);
}

/* Is @pid sleeping in futex(2)? Gives up (false) after about a second. */
static bool wait_in_futex(pid_t pid)
{
	char path[64], buf[64];
	int i;

	snprintf(path, sizeof(path), "/proc/%d/syscall", (int)pid);
	for (i = 0; i < 1000; i++) {
		FILE *f = fopen(path, "r");
		long nr = -1;

		if (!f)
			break;
		if (fgets(buf, sizeof(buf), f))
			nr = strtol(buf, NULL, 10);
		fclose(f);
#ifdef SYS_futex
		if (nr == SYS_futex)
			return true;
#endif
#ifdef SYS_futex_time64
		if (nr == SYS_futex_time64)
			return true;
#endif
		sleep_ns(1000000);
	}
	sleep_ns(50000000);	/* no /proc view: give it time to sleep */
	return false;
}

/* A child process that sleeps on @word until it reaches @want. */
static pid_t fork_waiter(uint32_t *word, uint32_t want)
{
	pid_t pid = fork();

	if (pid)
		return pid;
	for (;;) {
		uint32_t seen = __atomic_load_n(word, __ATOMIC_ACQUIRE);
		int ret;

		if (seen >= want)
			_exit(0);
		ret = ipcoff_futex_wait(word, seen, 5000000000LL);
		if (ret == -ETIMEDOUT)
			_exit(2);
		if (ret && ret != -EINTR)
			_exit(3);
	}
}

static bool child_ok(pid_t pid)
{
	int status = 0;

	if (waitpid(pid, &status, 0) != pid)
		return false;
	if (!WIFEXITED(status) || WEXITSTATUS(status)) {
		printf("# child status %#x\n", status);
		return false;
	}
	return true;
}

static uint32_t *shared_word(void)
{
	void *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
		       MAP_SHARED | MAP_ANONYMOUS, -1, 0);

	return p == MAP_FAILED ? NULL : p;
}

/* The wake is a shared one: it reaches a sleeper in another process. */
static void test_futex_wake_across_fork(void)
{
	uint32_t *word = shared_word();
	bool asleep;
	pid_t pid;
	int woken;

	REQUIRE(word);
	*word = 0;
	pid = fork_waiter(word, 1);
	if (!CHECK(pid > 0))
		goto out;
	asleep = wait_in_futex(pid);
	woken = ipcoff_futex_wake(word, INT_MAX);
	if (asleep)
		CHECK_EQ(woken, 1);
	else
		CHECK(woken == 0 || woken == 1);
	CHECK(child_ok(pid));
	CHECK_EQ(*word, 1);
out:
	munmap(word, 4096);
}

static bool wait_word(const uint32_t *word, uint32_t want)
{
	int i;

	for (i = 0; i < 2000; i++) {
		if (__atomic_load_n(word, __ATOMIC_ACQUIRE) == want)
			return true;
		sleep_ns(1000000);
	}
	return false;
}

/* The notifier wakes another process once per completion. */
static void test_notifier_across_fork(void)
{
	struct ipcoff_notifier *n = NULL;
	struct ipcoff_ring ring;
	struct ipcoff ipc;
	uint32_t *word = shared_word();
	int64_t t0, took;
	uint32_t k;
	pid_t pid;

	REQUIRE(word);
	*word = 0;
	if (!open_ring(&ipc, &ring, 16, 0, 40))
		goto out_word;
	pid = fork_waiter(word, 3);
	if (!CHECK(pid > 0))
		goto out;
	if (!CHECK_EQ(ipcoff_notifier_start(&ipc, word, &n), 0)) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		goto out;
	}
	for (k = 1; k <= 3; k++) {
		wait_in_futex(pid);
		post(k);
		if (!CHECK(wait_word(word, k)))
			printf("# completion %u: word %u\n", k, *word);
	}
	CHECK(child_ok(pid));

	t0 = mono_ns();
	ipcoff_notifier_stop(n);
	took = mono_ns() - t0;
	CHECK(took < 1000000000);
	CHECK_EQ(*word, 3);
	/* It only watched: every entry is still there for the owner. */
	CHECK_EQ(ipcoff_ring_ready(&ring), 3);
	CHECK_EQ(fake.ring.wait_log[0].target, 0);
	CHECK_EQ(fake.ring.wait_log[0].timeout_ns, 0);
	CHECK_EQ(fake.ring.wait_log[1].target, 41);
	CHECK(fake.ring.wait_log[1].timeout_ns > 0);
out:
	close_ring(&ipc, &ring);
out_word:
	munmap(word, 4096);
}

static void test_notifier_quiet_and_stop(void)
{
	struct ipcoff_notifier *n = NULL;
	struct ipcoff_ring ring;
	struct ipcoff ipc;
	uint32_t word = 17;
	int64_t t0, took;

	REQUIRE(open_ring(&ipc, &ring, 16, 0, 0));
	REQUIRE(CHECK_EQ(ipcoff_notifier_start(&ipc, &word, &n), 0));
	REQUIRE(CHECK(n));
	sleep_ns(120000000);
	/* Nothing completed, nothing woken. */
	CHECK_EQ(__atomic_load_n(&word, __ATOMIC_ACQUIRE), 17);
	t0 = mono_ns();
	ipcoff_notifier_stop(n);
	took = mono_ns() - t0;
	/* The documented bound is 50 ms; leave room for a loaded host. */
	CHECK(took < 1000000000);
	CHECK_EQ(word, 17);
	/* Several bounded WAITs ran while it idled. */
	CHECK(fake.ring.waits >= 2);
	/* A module without cache actions gets no WAIT flag. */
	CHECK_EQ(fake.ring.wait_log[1].flags, 0);
	ipcoff_notifier_stop(NULL);
	close_ring(&ipc, &ring);
}

/* Injections wait for the consumer's own WAIT, not the notifier's. */
static void test_notifier_leaves_injections(void)
{
	struct ipcoff_notifier *n = NULL;
	struct ipcoff_ring ring;
	struct ipcoff ipc;
	uint32_t word = 0;

	REQUIRE(open_ring(&ipc, &ring, 16, 0, 0));
	add_features(&ipc, IPCOFF_FEAT_CACHE);
	fake.ring.inject_pending = 1;
	REQUIRE(CHECK_EQ(ipcoff_notifier_start(&ipc, &word, &n), 0));
	sleep_ns(120000000);
	ipcoff_notifier_stop(n);
	CHECK(fake.ring.waits >= 2);
	CHECK_EQ(fake.ring.wait_log[1].flags, IPCOFF_WAIT_NO_INJECT);
	CHECK_EQ(fake.ring.injects_run, 0);
	CHECK_EQ(ipcoff_wait(&ipc, 0, 0, NULL), 0);
	CHECK_EQ(fake.ring.injects_run, 1);
	close_ring(&ipc, &ring);
}

static void test_notifier_errors(void)
{
	struct ipcoff_notifier *n;
	struct ipcoff ipc;
	static uint32_t words[2];

	REQUIRE(open_fake(&ipc, ALL_FEATURES));
	n = (void *)&ipc;
	CHECK_EQ(ipcoff_notifier_start(&ipc, &words[0], &n), -EOPNOTSUPP);
	CHECK(!n);
	check_no_ioctl();

	/* No ring in the context: said at once, not by the thread. */
	ipc.features = ASYNC_FEATURES;
	n = (void *)&ipc;
	CHECK_EQ(ipcoff_notifier_start(&ipc, &words[0], &n), -ENXIO);
	CHECK(!n);
	check_one_ioctl(&ipc, IPCOFF_IOC_WAIT);

	fake_clear_record();
	CHECK_EQ(ipcoff_notifier_start(&ipc, NULL, &n), -EINVAL);
	CHECK_EQ(ipcoff_notifier_start(&ipc, (uint32_t *)(void *)
				       ((char *)words + 1), &n), -EINVAL);
	check_no_ioctl();
	ipcoff_close(&ipc);
}

/* ------------------------------------------------------------------ */

static const struct test tests[] = {
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
	{ "ring_init_marshalling", test_ring_init_marshalling },
	{ "ring_init_errors", test_ring_init_errors },
	{ "ring_wraparound", test_ring_wraparound },
	{ "submit_marshalling", test_submit_marshalling },
	{ "submit_partial", test_submit_partial },
	{ "submit_feature_gating", test_submit_feature_gating },
	{ "compat_copy_ver0", test_compat_copy_ver0 },
	{ "compat_submit_ver0", test_compat_submit_ver0 },
	{ "shared_object_versions", test_shared_object_versions },
	{ "submit_inject", test_submit_inject },
	{ "submit_inject_errors", test_submit_inject_errors },
	{ "submit_inject_without_cache", test_submit_inject_without_cache },
	{ "wait_marshalling", test_wait_marshalling },
	{ "set_eventfd", test_set_eventfd },
	{ "register_notify", test_register_notify },
	{ "wait_cqe_ready", test_wait_cqe_ready },
	{ "wait_cqe_sleeps", test_wait_cqe_sleeps },
	{ "wait_cqe_timeout", test_wait_cqe_timeout },
	{ "wait_cqe_overflow", test_wait_cqe_overflow },
	{ "wait_cqe_overflow_no_room", test_wait_cqe_overflow_no_room },
	{ "wait_cqe_thread", test_wait_cqe_thread },
	{ "wait_cqe_inject", test_wait_cqe_inject },
	{ "buf_alloc_marshalling", test_buf_alloc_marshalling },
	{ "buf_alloc_notify", test_buf_alloc_notify },
	{ "export_marshalling", test_export_marshalling },
	{ "buffers_gating_from_open", test_buffers_gating_from_open },
	{ "futex_wait_basics", test_futex_wait_basics },
	{ "futex_wait_eintr", test_futex_wait_eintr },
	{ "futex_wake_across_fork", test_futex_wake_across_fork },
	{ "notifier_across_fork", test_notifier_across_fork },
	{ "notifier_quiet_and_stop", test_notifier_quiet_and_stop },
	{ "notifier_leaves_injections", test_notifier_leaves_injections },
	{ "notifier_errors", test_notifier_errors },
};

/* The wrappers' tests, then the pool and channel tests (test-channel.c). */
static const struct test *test_at(size_t i)
{
	return i < ARRAY_SIZE(tests) ? &tests[i] :
	       &channel_tests[i - ARRAY_SIZE(tests)];
}

int main(void)
{
	size_t n = ARRAY_SIZE(tests) + nr_channel_tests;
	unsigned int passed = 0, failed = 0;
	size_t i;

	setvbuf(stdout, NULL, _IOLBF, 0);
	printf("KTAP version 1\n1..%zu\n", n);
	for (i = 0; i < n; i++) {
		const struct test *t = test_at(i);
		int fds;

		fake_reset();
		cur_failed = false;
		cur_skip = NULL;
		fds = count_fds();
		if (CHECK(fds > 0))
			t->fn();
		/* The fake's ring is the fake's, not the test's, descriptor. */
		fake_ring_free();
		/* Every test leaves the descriptor table as it found it ... */
		CHECK_EQ(count_fds(), fds);
		/* ... and sends the fake only requests the library defines. */
		CHECK_EQ(fake.violations, 0);
		fake_reset();

		/* A skipped test counts as passed: it found nothing wrong. */
		printf("%s %zu %s%s%s\n", cur_failed ? "not ok" : "ok", i + 1,
		       t->name, cur_skip && !cur_failed ? " # SKIP " : "",
		       cur_skip && !cur_failed ? cur_skip : "");
		if (cur_failed)
			failed++;
		else
			passed++;
	}
	printf("%u passed, %u failed\n", passed, failed);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
