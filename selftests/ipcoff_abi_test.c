// SPDX-License-Identifier: GPL-2.0
/*
 * The ipcoff ABI: struct layouts and ioctl numbers (at compile time), the
 * GET_INFO handshake, the struct size carried in the command number
 * (_IOC_SIZE: zero-extended when shorter than the kernel's, E2BIG for a
 * non-zero tail, EINVAL below the first published size), unknown commands
 * and one round trip through every command.
 *
 * Built twice: native, and with -m32 as ipcoff_abi_test_32 so that every
 * request goes through the module's compat_ioctl. The 32-bit build has no
 * libipcoff (IPCOFF_NO_LIBIPCOFF) and adds a test that 64-bit addresses are
 * not truncated to 32 bits on the way.
 */
#include <assert.h>
#include <stddef.h>
#include <termios.h>

#include "common.h"
#include "agent.h"

#ifndef IPCOFF_NO_LIBIPCOFF
#include <ipcoff.h>
#endif

/* ------------------------------------------------------------------ */
/* Layouts: identical in the 32-bit and 64-bit builds.                 */

#define LAYOUT(type, field, off) \
	static_assert(offsetof(struct type, field) == (off), \
		      "offset of " #type "." #field)

static_assert(sizeof(struct ipcoff_iovec) == 16, "ipcoff_iovec size");
LAYOUT(ipcoff_iovec, base, 0);
LAYOUT(ipcoff_iovec, len, 8);

static_assert(IPCOFF_INFO_SIZE_VER0 == 80, "INFO_SIZE_VER0");
static_assert(sizeof(struct ipcoff_info) == IPCOFF_INFO_SIZE_VER0,
	      "ipcoff_info size");
LAYOUT(ipcoff_info, flags, 0);
LAYOUT(ipcoff_info, abi_version, 4);
LAYOUT(ipcoff_info, features, 8);
LAYOUT(ipcoff_info, ioctls, 16);
LAYOUT(ipcoff_info, module_version, 24);
LAYOUT(ipcoff_info, engines, 28);
LAYOUT(ipcoff_info, max_iovecs, 32);
LAYOUT(ipcoff_info, page_size, 36);
LAYOUT(ipcoff_info, max_region_len, 40);
LAYOUT(ipcoff_info, reserved, 48);

static_assert(IPCOFF_REGION_REG_SIZE_VER0 == 48, "REGION_REG_SIZE_VER0");
static_assert(sizeof(struct ipcoff_region_reg) == IPCOFF_REGION_REG_SIZE_VER0,
	      "ipcoff_region_reg size");
LAYOUT(ipcoff_region_reg, addr, 0);
LAYOUT(ipcoff_region_reg, len, 8);
LAYOUT(ipcoff_region_reg, flags, 16);
LAYOUT(ipcoff_region_reg, pad, 20);
LAYOUT(ipcoff_region_reg, handle, 24);
LAYOUT(ipcoff_region_reg, notify_data, 32);
LAYOUT(ipcoff_region_reg, reserved, 40);

static_assert(IPCOFF_REGION_UNREG_SIZE_VER0 == 16, "REGION_UNREG_SIZE_VER0");
static_assert(sizeof(struct ipcoff_region_unreg) ==
	      IPCOFF_REGION_UNREG_SIZE_VER0, "ipcoff_region_unreg size");
LAYOUT(ipcoff_region_unreg, handle, 0);
LAYOUT(ipcoff_region_unreg, flags, 8);
LAYOUT(ipcoff_region_unreg, pad, 12);

static_assert(IPCOFF_GRANT_SIZE_VER0 == 40, "GRANT_SIZE_VER0");
static_assert(sizeof(struct ipcoff_grant) == IPCOFF_GRANT_SIZE_VER0,
	      "ipcoff_grant size");
LAYOUT(ipcoff_grant, handle, 0);
LAYOUT(ipcoff_grant, uid, 8);
LAYOUT(ipcoff_grant, access, 12);
LAYOUT(ipcoff_grant, flags, 16);
LAYOUT(ipcoff_grant, pad, 20);
LAYOUT(ipcoff_grant, reserved, 24);

static_assert(sizeof(struct ipcoff_endpoint) == 40, "ipcoff_endpoint size");
LAYOUT(ipcoff_endpoint, type, 0);
LAYOUT(ipcoff_endpoint, flags, 4);
LAYOUT(ipcoff_endpoint, iov_cnt, 8);
LAYOUT(ipcoff_endpoint, pad, 12);
LAYOUT(ipcoff_endpoint, handle, 16);
LAYOUT(ipcoff_endpoint, offset, 24);
LAYOUT(ipcoff_endpoint, iov, 32);

static_assert(IPCOFF_COPY_SIZE_VER0 == 128, "COPY_SIZE_VER0");
static_assert(IPCOFF_COPY_SIZE_VER1 == 144, "COPY_SIZE_VER1");
static_assert(sizeof(struct ipcoff_copy) == IPCOFF_COPY_SIZE_VER1,
	      "ipcoff_copy size");
LAYOUT(ipcoff_copy, src, 0);
LAYOUT(ipcoff_copy, src.handle, 16);
LAYOUT(ipcoff_copy, src.iov, 32);
LAYOUT(ipcoff_copy, dst, 40);
LAYOUT(ipcoff_copy, dst.offset, 64);
LAYOUT(ipcoff_copy, len, 80);
LAYOUT(ipcoff_copy, flags, 88);
LAYOUT(ipcoff_copy, engine, 92);
LAYOUT(ipcoff_copy, user_data, 96);
LAYOUT(ipcoff_copy, copied, 104);
LAYOUT(ipcoff_copy, descriptors, 112);
LAYOUT(ipcoff_copy, chunk_size, 120);
LAYOUT(ipcoff_copy, inject_len, 124);
LAYOUT(ipcoff_copy, inject_ranges, 128);
LAYOUT(ipcoff_copy, nr_inject_ranges, 136);
LAYOUT(ipcoff_copy, qos, 140);
static_assert(sizeof(struct ipcoff_range) == 16, "ipcoff_range size");

static_assert(sizeof(struct ipcoff_engine_counters) == 64, "counters size");
LAYOUT(ipcoff_engine_counters, busy_ns, 48);
LAYOUT(ipcoff_engine_counters, depth, 56);
static_assert(IPCOFF_STATS_SIZE_VER0 == 320, "STATS_SIZE_VER0");
static_assert(sizeof(struct ipcoff_stats) == IPCOFF_STATS_SIZE_VER0,
	      "ipcoff_stats size");
LAYOUT(ipcoff_stats, pinned_pages, 8);
LAYOUT(ipcoff_stats, dma_chans, 24);
LAYOUT(ipcoff_stats, cache_clwb_bytes, 32);
LAYOUT(ipcoff_stats, cache_inject_bytes, 56);
LAYOUT(ipcoff_stats, engine, 64);

static_assert(sizeof(struct ipcoff_cqe) == 64, "ipcoff_cqe size");
LAYOUT(ipcoff_cqe, user_data, 0);
LAYOUT(ipcoff_cqe, result, 8);
LAYOUT(ipcoff_cqe, flags, 16);
LAYOUT(ipcoff_cqe, engine, 20);
LAYOUT(ipcoff_cqe, latency_ns, 24);
LAYOUT(ipcoff_cqe, handle, 32);
LAYOUT(ipcoff_cqe, offset, 40);
LAYOUT(ipcoff_cqe, len, 48);
static_assert(IPCOFF_RING_SETUP_SIZE_VER0 == 48, "RING_SETUP_SIZE_VER0");
static_assert(sizeof(struct ipcoff_ring_setup) == IPCOFF_RING_SETUP_SIZE_VER0,
	      "ipcoff_ring_setup size");
LAYOUT(ipcoff_ring_setup, entries, 4);
LAYOUT(ipcoff_ring_setup, cqes_off, 28);
LAYOUT(ipcoff_ring_setup, reserved, 36);
static_assert(IPCOFF_SUBMIT_SIZE_VER0 == 48, "SUBMIT_SIZE_VER0");
static_assert(sizeof(struct ipcoff_submit) == IPCOFF_SUBMIT_SIZE_VER0,
	      "ipcoff_submit size");
LAYOUT(ipcoff_submit, reqs, 8);
LAYOUT(ipcoff_submit, entry_size, 16);
LAYOUT(ipcoff_submit, error, 24);
LAYOUT(ipcoff_submit, reserved, 32);
static_assert(IPCOFF_WAIT_SIZE_VER0 == 32, "WAIT_SIZE_VER0");
static_assert(sizeof(struct ipcoff_wait) == IPCOFF_WAIT_SIZE_VER0,
	      "ipcoff_wait size");
LAYOUT(ipcoff_wait, target, 8);
LAYOUT(ipcoff_wait, timeout_ns, 16);
LAYOUT(ipcoff_wait, completed, 24);
static_assert(IPCOFF_EVENTFD_SIZE_VER0 == 8, "EVENTFD_SIZE_VER0");
static_assert(sizeof(struct ipcoff_eventfd) == IPCOFF_EVENTFD_SIZE_VER0,
	      "ipcoff_eventfd size");

static_assert(IPCOFF_BUF_ALLOC_SIZE_VER0 == 48, "BUF_ALLOC_SIZE_VER0");
static_assert(sizeof(struct ipcoff_buf_alloc) == IPCOFF_BUF_ALLOC_SIZE_VER0,
	      "ipcoff_buf_alloc size");
LAYOUT(ipcoff_buf_alloc, handle, 16);
LAYOUT(ipcoff_buf_alloc, notify_data, 24);
LAYOUT(ipcoff_buf_alloc, reserved, 32);
static_assert(IPCOFF_EXPORT_SIZE_VER0 == 32, "EXPORT_SIZE_VER0");
static_assert(sizeof(struct ipcoff_export) == IPCOFF_EXPORT_SIZE_VER0,
	      "ipcoff_export size");
LAYOUT(ipcoff_export, access, 8);
LAYOUT(ipcoff_export, fd, 16);
LAYOUT(ipcoff_export, reserved, 24);

static_assert(IPCOFF_REGION_INFO_SIZE_VER0 == 64, "REGION_INFO_SIZE_VER0");
static_assert(sizeof(struct ipcoff_region_info) ==
	      IPCOFF_REGION_INFO_SIZE_VER0, "ipcoff_region_info size");
LAYOUT(ipcoff_region_info, handle, 0);
LAYOUT(ipcoff_region_info, len, 8);
LAYOUT(ipcoff_region_info, pages, 16);
LAYOUT(ipcoff_region_info, flags, 24);
LAYOUT(ipcoff_region_info, state, 28);
LAYOUT(ipcoff_region_info, grants, 32);
LAYOUT(ipcoff_region_info, users, 36);
LAYOUT(ipcoff_region_info, owner_pid, 40);
LAYOUT(ipcoff_region_info, owner_uid, 44);
LAYOUT(ipcoff_region_info, reserved, 48);
static_assert(IPCOFF_REGION_LIST_SIZE_VER0 == 48, "REGION_LIST_SIZE_VER0");
static_assert(sizeof(struct ipcoff_region_list) ==
	      IPCOFF_REGION_LIST_SIZE_VER0, "ipcoff_region_list size");
LAYOUT(ipcoff_region_list, flags, 0);
LAYOUT(ipcoff_region_list, entry_size, 4);
LAYOUT(ipcoff_region_list, entries, 8);
LAYOUT(ipcoff_region_list, nr_entries, 16);
LAYOUT(ipcoff_region_list, count, 20);
LAYOUT(ipcoff_region_list, total, 24);
LAYOUT(ipcoff_region_list, pad, 28);
LAYOUT(ipcoff_region_list, reserved, 32);

/* i386 aligns __u64 to 4 bytes; __aligned_u64 must make these 8. */
static_assert(_Alignof(struct ipcoff_iovec) == 8, "ipcoff_iovec align");
static_assert(_Alignof(struct ipcoff_info) == 8, "ipcoff_info align");
static_assert(_Alignof(struct ipcoff_region_reg) == 8, "region_reg align");
static_assert(_Alignof(struct ipcoff_region_unreg) == 8, "unreg align");
static_assert(_Alignof(struct ipcoff_grant) == 8, "ipcoff_grant align");
static_assert(_Alignof(struct ipcoff_endpoint) == 8, "endpoint align");
static_assert(_Alignof(struct ipcoff_copy) == 8, "ipcoff_copy align");
static_assert(_Alignof(struct ipcoff_stats) == 8, "ipcoff_stats align");
static_assert(_Alignof(struct ipcoff_cqe) == 8, "ipcoff_cqe align");
static_assert(_Alignof(struct ipcoff_submit) == 8, "ipcoff_submit align");
static_assert(_Alignof(struct ipcoff_wait) == 8, "ipcoff_wait align");
static_assert(_Alignof(struct ipcoff_region_info) == 8, "region_info align");
static_assert(_Alignof(struct ipcoff_region_list) == 8, "region_list align");

/* Command numbers: direction, magic, number and size, all of them. */
static_assert(IPCOFF_IOC_MAGIC == 0xC9, "magic");
static_assert(IPCOFF_IOC_GET_INFO == 0xC050C900u, "GET_INFO number");
static_assert(IPCOFF_IOC_REGISTER == 0xC030C901u, "REGISTER number");
static_assert(IPCOFF_IOC_UNREGISTER == 0x4010C902u, "UNREGISTER number");
static_assert(IPCOFF_IOC_GRANT == 0x4028C903u, "GRANT number");
static_assert(IPCOFF_IOC_COPY == 0xC090C904u, "COPY number");
static_assert(_IOC_NR(IPCOFF_IOC_COPY) == IPCOFF_NR_COPY, "COPY nr");
static_assert(IPCOFF_IOC_STATS == 0xC140C905u, "STATS number");
static_assert(IPCOFF_IOC_RING_SETUP == 0xC030C906u, "RING_SETUP number");
static_assert(IPCOFF_IOC_SUBMIT == 0xC030C907u, "SUBMIT number");
static_assert(IPCOFF_IOC_WAIT == 0xC020C908u, "WAIT number");
static_assert(IPCOFF_IOC_SET_EVENTFD == 0x4008C909u, "SET_EVENTFD number");
static_assert(IPCOFF_IOC_BUF_ALLOC == 0xC030C90Au, "BUF_ALLOC number");
static_assert(IPCOFF_IOC_EXPORT == 0xC020C90Bu, "EXPORT number");
static_assert(IPCOFF_IOC_REGION_LIST == 0xC030C90Cu, "REGION_LIST number");

/* Values that travel in the structs. */
static_assert(IPCOFF_ABI_VERSION == 1, "ABI version");
static_assert(IPCOFF_IOV_MAX == 1024, "IOV_MAX");
static_assert(IPCOFF_ENGINE_AUTO == 0 && IPCOFF_ENGINE_CPU == 1 &&
	      IPCOFF_ENGINE_DMA == 2 && IPCOFF_ENGINE_ELIDE == 3 &&
	      IPCOFF_ENGINE_COUNT == 4, "engines");
static_assert(IPCOFF_EP_REGION == 1 && IPCOFF_EP_IOVEC == 2, "ep types");
static_assert(IPCOFF_REGION_WRITABLE == 1 && IPCOFF_REGION_SINGLE_USE == 2 &&
	      IPCOFF_REGION_NOTIFY == 4 && IPCOFF_REGION_FLAGS == 7,
	      "region flags");
static_assert(IPCOFF_COPY_CPU_FALLBACK == 1 && IPCOFF_COPY_LINK == 2 &&
	      IPCOFF_COPY_CHUNKED == 4 && IPCOFF_COPY_MOVE == 8 &&
	      IPCOFF_COPY_CACHE_CLWB == 16 && IPCOFF_COPY_CACHE_FLUSH == 32 &&
	      IPCOFF_COPY_CACHE_NONTEMPORAL == 64 &&
	      IPCOFF_COPY_INJECT == 128 && IPCOFF_COPY_FLAGS == 255,
	      "copy flags");
static_assert(IPCOFF_INJECT_RANGES_MAX == 16, "INJECT_RANGES_MAX");
static_assert(IPCOFF_WAIT_NO_INJECT == 1, "wait flags");
static_assert(IPCOFF_QOS_DEFAULT == 0 && IPCOFF_QOS_LATENCY == 1 &&
	      IPCOFF_QOS_THROUGHPUT == 2 && IPCOFF_QOS_CPU == 3 &&
	      IPCOFF_QOS_MAX == IPCOFF_QOS_CPU, "qos hints");
static_assert(IPCOFF_CQE_CHUNK == 1 && IPCOFF_CQE_NOTIFY == 2 &&
	      IPCOFF_CQE_INJECT == 4, "cqe flags");
static_assert(IPCOFF_ACCESS_READ == 1 && IPCOFF_ACCESS_WRITE == 2 &&
	      IPCOFF_ACCESS_MASK == 3, "access bits");
static_assert(IPCOFF_FEAT_REGISTER == 1 && IPCOFF_FEAT_GRANT == 2 &&
	      IPCOFF_FEAT_COPY == 4 && IPCOFF_FEAT_IOVEC == 8 &&
	      IPCOFF_FEAT_SINGLE_USE == 16, "feature bits");
static_assert(IPCOFF_FEAT_REGION_LIST == 1ULL << 20, "REGION_LIST bit");
static_assert(IPCOFF_REGION_LIST_UID == 1 && IPCOFF_REGION_LIST_ALL == 2 &&
	      IPCOFF_REGION_LIST_FLAGS == 3, "region list scopes");
static_assert(IPCOFF_REGION_INFO_BUFFER == 1 && IPCOFF_REGION_INFO_OWN == 2 &&
	      IPCOFF_REGION_INFO_CONSUMED == 4, "region info state");
static_assert(IPCOFF_FEAT_CACHE == 1ULL << 15 &&
	      IPCOFF_FEAT_SCHED == 1ULL << 16, "scheduler feature bit");

#define ALL_FEATURES	(IPCOFF_FEAT_REGISTER | IPCOFF_FEAT_GRANT | \
			 IPCOFF_FEAT_COPY | IPCOFF_FEAT_IOVEC | \
			 IPCOFF_FEAT_SINGLE_USE | IPCOFF_FEAT_COPY_FALLBACK | \
			 IPCOFF_FEAT_STATS | IPCOFF_FEAT_COPY_DESCRIPTORS | \
			 IPCOFF_FEAT_DMA_IOVEC | IPCOFF_FEAT_ASYNC | \
			 IPCOFF_FEAT_EVENTFD | IPCOFF_FEAT_NOTIFY | \
			 IPCOFF_FEAT_CHUNKED | IPCOFF_FEAT_BUFFERS | \
			 IPCOFF_FEAT_CACHE | IPCOFF_FEAT_SCHED | \
			 IPCOFF_FEAT_REGION_LIST)
#define ALL_IOCTLS	((1ULL << IPCOFF_NR_GET_INFO) | \
			 (1ULL << IPCOFF_NR_REGISTER) | \
			 (1ULL << IPCOFF_NR_UNREGISTER) | \
			 (1ULL << IPCOFF_NR_GRANT) | (1ULL << IPCOFF_NR_COPY) | \
			 (1ULL << IPCOFF_NR_STATS) | \
			 (1ULL << IPCOFF_NR_RING_SETUP) | \
			 (1ULL << IPCOFF_NR_SUBMIT) | \
			 (1ULL << IPCOFF_NR_WAIT) | \
			 (1ULL << IPCOFF_NR_SET_EVENTFD) | \
			 (1ULL << IPCOFF_NR_BUF_ALLOC) | \
			 (1ULL << IPCOFF_NR_EXPORT) | \
			 (1ULL << IPCOFF_NR_REGION_LIST))

/*
 * Issue @cmd with the struct size @usize in the command number instead of
 * @ksize (the size this program was built with). A larger struct gets a
 * zero tail, except byte @poison of the tail (when >= 0). The first
 * min(ksize, usize) bytes go in from and come back to @arg.
 */
static int ioctl_sized(int fd, unsigned long cmd, void *arg, size_t ksize,
		       size_t usize, int poison)
{
	union {
		uint64_t align;
		uint8_t b[512];
	} u;
	size_t n = ksize < usize ? ksize : usize;
	int ret;

	memset(&u, 0, sizeof(u));
	memcpy(u.b, arg, n);
	if (poison >= 0)
		u.b[ksize + (size_t)poison] = 0x01;
	ret = t_ioctl(fd, _IOC(_IOC_DIR(cmd), _IOC_TYPE(cmd), _IOC_NR(cmd),
			       usize), u.b);
	memcpy(arg, u.b, n);
	return ret;
}

FIXTURE(abi) {
	int fd;
	struct ipcoff_info info;
	struct agent ag;
};

FIXTURE_SETUP(abi)
{
	self->fd = t_open();
	ASSERT_LE(0, self->fd)
		TH_LOG("open %s: %s", IPCOFF_DEVICE_PATH,
		       strerror(-self->fd));
	ASSERT_EQ(0, t_info(self->fd, &self->info));
}

FIXTURE_TEARDOWN(abi)
{
	agent_kill(&self->ag);
	if (self->fd >= 0)
		close(self->fd);
}

TEST_F(abi, get_info)
{
	const struct ipcoff_info *i = &self->info;
	int k;

	/* (stderr: the harness _exit()s its children, stdout buffers die) */
	TH_LOG("module %u.%u.%u, abi %u, features 0x%llx, ioctls 0x%llx, engines 0x%x, max_region_len %llu",
		       i->module_version >> 16, (i->module_version >> 8) & 0xff,
		       i->module_version & 0xff, i->abi_version,
		       (unsigned long long)i->features,
		       (unsigned long long)i->ioctls, i->engines,
		       (unsigned long long)i->max_region_len);
	EXPECT_EQ(0, i->flags);
	EXPECT_EQ(IPCOFF_ABI_VERSION, i->abi_version);
	EXPECT_EQ(ALL_FEATURES, i->features & ALL_FEATURES);
	EXPECT_EQ(ALL_IOCTLS, i->ioctls & ALL_IOCTLS);
	EXPECT_NE(0, i->engines & (1U << IPCOFF_ENGINE_CPU));
	EXPECT_EQ(0, i->engines & (1U << IPCOFF_ENGINE_AUTO));
	EXPECT_EQ(0, i->engines >> IPCOFF_ENGINE_COUNT);
	EXPECT_EQ(IPCOFF_IOV_MAX, i->max_iovecs);
	EXPECT_EQ(page_size(), (size_t)i->page_size);
	/* The copy tests register 64 MiB in one region. */
	EXPECT_LE(64ULL << 20, i->max_region_len);
	for (k = 0; k < 4; k++)
		EXPECT_EQ(0, i->reserved[k]);
}

TEST_F(abi, get_info_flags)
{
	static const uint32_t bad[] = { 1, 2, 0x80000000u, 0xffffffffu };
	struct ipcoff_info info;
	unsigned int k;

	for (k = 0; k < ARRAY_SIZE(bad); k++) {
		memset(&info, 0, sizeof(info));
		info.flags = bad[k];
		EXPECT_EQ(-EINVAL, t_ioctl(self->fd, IPCOFF_IOC_GET_INFO,
					   &info))
			TH_LOG("flags 0x%x", bad[k]);
	}
}

/* Output fields are not read: garbage in them changes nothing. */
TEST_F(abi, get_info_output_fields_ignored)
{
	struct ipcoff_info info;

	memset(&info, 0xff, sizeof(info));
	info.flags = 0;
	ASSERT_EQ(0, t_ioctl(self->fd, IPCOFF_IOC_GET_INFO, &info));
	EXPECT_EQ(0, memcmp(&info, &self->info, sizeof(info)));
}

TEST_F(abi, get_info_efault)
{
	size_t ps = page_size();
	void *gone = mmap(NULL, ps, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	ASSERT_NE(MAP_FAILED, gone);
	ASSERT_EQ(0, munmap(gone, ps));
	EXPECT_EQ(-EFAULT, t_ioctl(self->fd, IPCOFF_IOC_GET_INFO, NULL));
	EXPECT_EQ(-EFAULT, t_ioctl(self->fd, IPCOFF_IOC_GET_INFO, gone));
	EXPECT_EQ(-EFAULT, t_ioctl(self->fd, IPCOFF_IOC_COPY, gone));
}

TEST_F(abi, unknown_commands)
{
	union {
		uint64_t align;
		uint8_t b[256];
	} u;
	const unsigned long cmds[] = {
		_IOWR(IPCOFF_IOC_MAGIC, IPCOFF_NR_REGION_LIST + 1,
		      struct ipcoff_info),
		_IOWR(IPCOFF_IOC_MAGIC, 0x3f, struct ipcoff_copy),
		_IO(IPCOFF_IOC_MAGIC, 0xff),
		/* right number, wrong magic */
		_IOWR('x', IPCOFF_NR_GET_INFO, struct ipcoff_info),
		_IOWR(IPCOFF_IOC_MAGIC ^ 1, IPCOFF_NR_COPY, struct ipcoff_copy),
		TCGETS,
	};
	unsigned int k, nr;

	for (k = 0; k < ARRAY_SIZE(cmds); k++) {
		memset(&u, 0, sizeof(u));
		EXPECT_EQ(-ENOTTY, t_ioctl(self->fd, cmds[k], u.b))
			TH_LOG("cmd 0x%lx", cmds[k]);
	}
	/* Every number GET_INFO does not announce is unknown. */
	for (nr = 0; nr < 64; nr++) {
		if (self->info.ioctls & (1ULL << nr))
			continue;
		memset(&u, 0, sizeof(u));
		EXPECT_EQ(-ENOTTY, t_ioctl(self->fd,
				_IOWR(IPCOFF_IOC_MAGIC, nr, struct ipcoff_info),
				u.b))
			TH_LOG("nr 0x%x not in ioctls but not ENOTTY", nr);
	}
}

TEST_F(abi, sized_get_info)
{
	const size_t k = sizeof(struct ipcoff_info);
	struct ipcoff_info info;

	memset(&info, 0, sizeof(info));
	EXPECT_EQ(0, ioctl_sized(self->fd, IPCOFF_IOC_GET_INFO, &info, k,
				 k + 64, -1));
	EXPECT_EQ(0, memcmp(&info, &self->info, sizeof(info)));

	memset(&info, 0, sizeof(info));
	EXPECT_EQ(-E2BIG, ioctl_sized(self->fd, IPCOFF_IOC_GET_INFO, &info, k,
				      k + 8, 0));
	memset(&info, 0, sizeof(info));
	EXPECT_EQ(-E2BIG, ioctl_sized(self->fd, IPCOFF_IOC_GET_INFO, &info, k,
				      k + 64, 63));
	memset(&info, 0, sizeof(info));
	EXPECT_EQ(-EINVAL, ioctl_sized(self->fd, IPCOFF_IOC_GET_INFO, &info,
				       k, k - 8, -1));
	memset(&info, 0, sizeof(info));
	EXPECT_EQ(-EINVAL, ioctl_sized(self->fd, IPCOFF_IOC_GET_INFO, &info,
				       k, 4, -1));
	memset(&info, 0, sizeof(info));
	EXPECT_EQ(-EINVAL, ioctl_sized(self->fd, IPCOFF_IOC_GET_INFO, &info,
				       k, 0, -1));
}

TEST_F(abi, sized_register)
{
	const size_t k = sizeof(struct ipcoff_region_reg);
	size_t ps = page_size();
	struct ipcoff_region_reg r;
	int64_t base, now;
	uint8_t *buf;

	buf = mmap(NULL, 2 * ps, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, buf);
	pat_fill(buf, 2 * ps, 11, 0);
	ASSERT_EQ(0, counter_settle(pinned_pages, &base));

	/* Rejected sizes pin nothing. */
	memset(&r, 0, sizeof(r));
	r.addr = PTR(buf + 7);
	r.len = ps;
	r.flags = IPCOFF_REGION_WRITABLE;
	EXPECT_EQ(-E2BIG, ioctl_sized(self->fd, IPCOFF_IOC_REGISTER, &r, k,
				      k + 16, 15));
	EXPECT_EQ(-EINVAL, ioctl_sized(self->fd, IPCOFF_IOC_REGISTER, &r, k,
				       k - 8, -1));
	EXPECT_EQ(-EINVAL, ioctl_sized(self->fd, IPCOFF_IOC_REGISTER, &r, k,
				       0, -1));
	ASSERT_EQ(0, counter_settle(pinned_pages, &now));
	EXPECT_EQ(base, now);

	/* A newer, longer struct with a zero tail is the same request. */
	EXPECT_EQ(0, ioctl_sized(self->fd, IPCOFF_IOC_REGISTER, &r, k,
				 k + 16, -1));
	EXPECT_NE(0, r.handle);
	ASSERT_EQ(0, pinned_pages(&now));
	EXPECT_EQ(base + 2, now);
	EXPECT_EQ(0, t_unregister(self->fd, r.handle));
	EXPECT_EQ(0, counter_wait(pinned_pages, base, SETTLE_MS, &now));
}

TEST_F(abi, sized_unregister)
{
	const size_t k = sizeof(struct ipcoff_region_unreg);
	size_t ps = page_size();
	struct ipcoff_region_unreg u;
	uint8_t *buf, out[64];
	uint64_t h;

	buf = mmap(NULL, ps, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, buf);
	pat_fill(buf, ps, 12, 0);
	ASSERT_EQ(0, t_register(self->fd, PTR(buf), ps, 0, &h));

	memset(&u, 0, sizeof(u));
	u.handle = h;
	EXPECT_EQ(-E2BIG, ioctl_sized(self->fd, IPCOFF_IOC_UNREGISTER, &u, k,
				      k + 8, 7));
	EXPECT_EQ(-EINVAL, ioctl_sized(self->fd, IPCOFF_IOC_UNREGISTER, &u, k,
				       8, -1));
	/* Still registered. */
	EXPECT_EQ(0, t_read(self->fd, out, sizeof(out), h, 0, NULL));
	EXPECT_EQ(sizeof(out), pat_check(out, sizeof(out), 12, 0));

	EXPECT_EQ(0, ioctl_sized(self->fd, IPCOFF_IOC_UNREGISTER, &u, k,
				 k + 8, -1));
	EXPECT_EQ(-ENOENT, t_unregister(self->fd, h));
}

TEST_F(abi, sized_grant)
{
	const size_t k = sizeof(struct ipcoff_grant);
	size_t ps = page_size();
	struct ipcoff_grant g;
	struct agent_rep r;
	uint8_t *buf;
	uint64_t h;

	buf = mmap(NULL, ps, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, buf);
	pat_fill(buf, ps, 13, 0);
	ASSERT_EQ(0, t_register(self->fd, PTR(buf), ps,
				IPCOFF_REGION_WRITABLE, &h));
	AGENT_START(&self->ag, UID_A);

	memset(&g, 0, sizeof(g));
	g.handle = h;
	g.uid = UID_A;
	g.access = IPCOFF_ACCESS_READ;
	EXPECT_EQ(-E2BIG, ioctl_sized(self->fd, IPCOFF_IOC_GRANT, &g, k,
				      k + 24, 0));
	EXPECT_EQ(-EINVAL, ioctl_sized(self->fd, IPCOFF_IOC_GRANT, &g, k,
				       k - 16, -1));
	/* Neither took effect. */
	r = AG(&self->ag, AG_READ, h, 0, 100, 13, 0);
	EXPECT_EQ(-EACCES, r.ret);
	EXPECT_EQ(1, r.v[1]);

	EXPECT_EQ(0, ioctl_sized(self->fd, IPCOFF_IOC_GRANT, &g, k, k + 24,
				 -1));
	r = AG(&self->ag, AG_READ, h, 0, 100, 13, 0);
	EXPECT_EQ(0, r.ret);
	EXPECT_EQ(100, r.v[0]);
	EXPECT_EQ(1, r.v[1]);
	EXPECT_EQ(0, agent_stop(&self->ag));
}

TEST_F(abi, sized_copy)
{
	const size_t k = sizeof(struct ipcoff_copy);
	size_t ps = page_size(), len = ps + 33;
	struct ipcoff_iovec iov;
	struct ipcoff_copy c;
	uint8_t *src, *dst;
	uint64_t h;

	src = mmap(NULL, 4 * ps, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, src);
	dst = src + 2 * ps;
	pat_fill(src, 2 * ps, 14, 0);
	ASSERT_EQ(0, t_register(self->fd, PTR(src), 2 * ps, 0, &h));

	memset(&c, 0, sizeof(c));
	iov.base = PTR(dst);
	iov.len = len;
	ep_region(&c.src, h, 5);
	ep_iov(&c.dst, &iov, 1);
	c.len = len;

	memset(dst, 0xa5, 2 * ps);
	EXPECT_EQ(-E2BIG, ioctl_sized(self->fd, IPCOFF_IOC_COPY, &c, k,
				      k + 16, 8));
	EXPECT_EQ(-EINVAL, ioctl_sized(self->fd, IPCOFF_IOC_COPY, &c, k,
				       IPCOFF_COPY_SIZE_VER0 - 8, -1));
	EXPECT_EQ(2 * ps, mem_check_byte(dst, 2 * ps, 0xa5));

	/* A caller built before inject_ranges: the VER0 size still works. */
	c.copied = COPIED_SENTINEL;
	EXPECT_EQ(0, ioctl_sized(self->fd, IPCOFF_IOC_COPY, &c, k,
				 IPCOFF_COPY_SIZE_VER0, -1));
	EXPECT_EQ(len, c.copied);
	EXPECT_EQ(len, pat_check(dst, len, 14, 5));
	memset(dst, 0xa5, 2 * ps);

	c.copied = COPIED_SENTINEL;
	EXPECT_EQ(0, ioctl_sized(self->fd, IPCOFF_IOC_COPY, &c, k, k + 16,
				 -1));
	EXPECT_EQ(len, c.copied);
	EXPECT_EQ(IPCOFF_ENGINE_CPU, c.engine);
	EXPECT_EQ(len, pat_check(dst, len, 14, 5));
	EXPECT_EQ(2 * ps - len, mem_check_byte(dst + len, 2 * ps - len, 0xa5));
	EXPECT_EQ(0, t_unregister(self->fd, h));
}

/* Every command once, with its results checked (through compat in -m32). */
/* STATS: module-wide counters that follow what this test does. */
TEST_F(abi, stats)
{
	size_t ps = page_size();
	struct ipcoff_stats st, st2;
	uint64_t h, copied;
	uint8_t *a;
	int64_t v;

	ASSERT_TRUE(self->info.features & IPCOFF_FEAT_STATS);
	ASSERT_TRUE(self->info.ioctls & (1ULL << IPCOFF_NR_STATS));
	memset(&st, 0, sizeof(st));
	st.flags = 1;
	EXPECT_EQ(-EINVAL, t_ioctl(self->fd, IPCOFF_IOC_STATS, &st));

	a = mmap(NULL, 4 * ps, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, a);
	memset(a, 1, 4 * ps);
	/* An earlier test's regions may still be on their way out. */
	ASSERT_EQ(0, counter_settle(live_regions, &v));
	ASSERT_EQ(0, counter_settle(pinned_pages, &v));
	ASSERT_EQ(0, t_register(self->fd, PTR(a), 4 * ps,
				IPCOFF_REGION_WRITABLE, &h));
	memset(&st, 0, sizeof(st));
	ASSERT_EQ(0, t_ioctl(self->fd, IPCOFF_IOC_STATS, &st));
	EXPECT_EQ(IPCOFF_ENGINE_COUNT, st.nr_engines);
	EXPECT_LE(4, st.pinned_pages);
	EXPECT_LE(1, st.regions);
	/* The same numbers as sysfs (nothing else runs meanwhile). */
	ASSERT_EQ(0, pinned_pages(&v));
	EXPECT_EQ(v, (int64_t)st.pinned_pages);
	ASSERT_EQ(0, live_regions(&v));
	EXPECT_EQ(v, (int64_t)st.regions);
	EXPECT_EQ(0, st.engine[IPCOFF_ENGINE_AUTO].requests);

	ASSERT_EQ(0, t_copy_rr(self->fd, h, 2 * ps, h, 0, ps + 5, &copied));
	memset(&st2, 0, sizeof(st2));
	ASSERT_EQ(0, t_ioctl(self->fd, IPCOFF_IOC_STATS, &st2));
	EXPECT_EQ(st.engine[IPCOFF_ENGINE_CPU].requests + 1,
		  st2.engine[IPCOFF_ENGINE_CPU].requests);
	EXPECT_EQ(st.engine[IPCOFF_ENGINE_CPU].bytes + ps + 5,
		  st2.engine[IPCOFF_ENGINE_CPU].bytes);
	EXPECT_LT(st.engine[IPCOFF_ENGINE_CPU].descriptors,
		  st2.engine[IPCOFF_ENGINE_CPU].descriptors);
	EXPECT_EQ(0, st2.engine[IPCOFF_ENGINE_CPU].depth);
	EXPECT_EQ(0, t_unregister(self->fd, h));
	munmap(a, 4 * ps);
}

TEST_F(abi, sized_region_list)
{
	const size_t k = sizeof(struct ipcoff_region_list);
	struct ipcoff_region_info e[2];
	struct ipcoff_region_list l;
	size_t ps = page_size();
	uint8_t *buf;
	uint64_t h;

	buf = mmap(NULL, ps, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, buf);
	ASSERT_EQ(0, t_register(self->fd, PTR(buf), ps, 0, &h));

	memset(&l, 0, sizeof(l));
	memset(e, 0, sizeof(e));
	l.entry_size = sizeof(e[0]);
	l.entries = PTR(e);
	l.nr_entries = 2;
	EXPECT_EQ(0, ioctl_sized(self->fd, IPCOFF_IOC_REGION_LIST, &l, k,
				 k + 16, -1));
	EXPECT_EQ(1, l.count);
	EXPECT_EQ(1, l.total);
	EXPECT_EQ(h, e[0].handle);
	EXPECT_EQ(ps, e[0].len);
	EXPECT_EQ(-E2BIG, ioctl_sized(self->fd, IPCOFF_IOC_REGION_LIST, &l, k,
				      k + 16, 15));
	EXPECT_EQ(-EINVAL, ioctl_sized(self->fd, IPCOFF_IOC_REGION_LIST, &l, k,
				       k - 8, -1));
	EXPECT_EQ(0, t_unregister(self->fd, h));
}

TEST_F(abi, round_trip)
{
	size_t ps = page_size(), len = 2 * ps + 99;
	struct ipcoff_iovec iov[2];
	struct ipcoff_copy c;
	uint8_t *a, *b, *out;
	uint64_t ha, hb, copied;

	a = mmap(NULL, 9 * ps, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, a);
	b = a + 3 * ps;
	out = a + 6 * ps;
	memset(a, 0, 9 * ps);

	ASSERT_EQ(0, t_register(self->fd, PTR(a + 3), len,
				IPCOFF_REGION_WRITABLE, &ha));
	ASSERT_EQ(0, t_register(self->fd, PTR(b + 1), len,
				IPCOFF_REGION_WRITABLE, &hb));
	EXPECT_NE(0, ha);
	EXPECT_NE(0, hb);
	EXPECT_NE(ha, hb);

	/* Two-segment iovec into region a. */
	pat_fill(out, len, 15, 0);
	iov[0].base = PTR(out);
	iov[0].len = 1000;
	iov[1].base = PTR(out + 1000);
	iov[1].len = len - 1000;
	memset(&c, 0, sizeof(c));
	ep_iov(&c.src, iov, 2);
	ep_region(&c.dst, ha, 0);
	c.len = len;
	c.engine = IPCOFF_ENGINE_CPU;
	c.user_data = 0x1122334455667788ULL;
	ASSERT_EQ(0, t_copy(self->fd, &c));
	EXPECT_EQ(len, c.copied);
	EXPECT_EQ(IPCOFF_ENGINE_CPU, c.engine);
	EXPECT_EQ(len, pat_check(a + 3, len, 15, 0));

	/* Region a -> region b, then region b -> our memory. */
	EXPECT_EQ(0, t_copy_rr(self->fd, hb, 0, ha, 0, len, &copied));
	EXPECT_EQ(len, copied);
	EXPECT_EQ(len, pat_check(b + 1, len, 15, 0));
	memset(out, 0, 3 * ps);
	EXPECT_EQ(0, t_read(self->fd, out, len - 10, hb, 10, &copied));
	EXPECT_EQ(len - 10, copied);
	EXPECT_EQ(len - 10, pat_check(out, len - 10, 15, 10));

	EXPECT_EQ(0, t_grant(self->fd, ha, UID_A,
			     IPCOFF_ACCESS_READ | IPCOFF_ACCESS_WRITE));
	EXPECT_EQ(0, t_grant(self->fd, ha, UID_A, 0));
	EXPECT_EQ(-EINVAL, t_grant(self->fd, ha, UID_A, 4));

	EXPECT_EQ(0, t_unregister(self->fd, ha));
	EXPECT_EQ(0, t_unregister(self->fd, hb));
	EXPECT_EQ(-ENOENT, t_unregister(self->fd, ha));
	EXPECT_EQ(-ENOENT, t_read(self->fd, out, 1, hb, 0, NULL));
}

TEST_F(abi, kernel_addresses)
{
	struct ipcoff_iovec iov = { .base = KERNEL_ADDR, .len = 64 };
	size_t ps = page_size();
	struct ipcoff_copy c;
	uint8_t *buf;
	uint64_t h;

	EXPECT_EQ(-EFAULT, t_register(self->fd, KERNEL_ADDR, ps, 0, NULL));
	EXPECT_EQ(-EFAULT, t_register(self->fd, KERNEL_ADDR, ps,
				      IPCOFF_REGION_WRITABLE, NULL));

	buf = mmap(NULL, ps, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, buf);
	pat_fill(buf, ps, 16, 0);
	ASSERT_EQ(0, t_register(self->fd, PTR(buf), ps,
				IPCOFF_REGION_WRITABLE, &h));

	memset(&c, 0, sizeof(c));
	ep_region(&c.src, h, 0);
	ep_iov(&c.dst, &iov, 1);
	c.len = 64;
	EXPECT_EQ(-EFAULT, t_copy(self->fd, &c));
	EXPECT_EQ(0, c.copied);

	memset(&c, 0, sizeof(c));
	ep_iov(&c.src, &iov, 1);
	ep_region(&c.dst, h, 0);
	c.len = 64;
	EXPECT_EQ(-EFAULT, t_copy(self->fd, &c));
	EXPECT_EQ(0, c.copied);
	/* Nothing arrived, so nothing may have changed in the region. */
	EXPECT_EQ(ps, pat_check(buf, ps, 16, 0))
		TH_LOG("the region was written although copied is 0");

	/* The iovec array itself in kernel memory. */
	memset(&c, 0, sizeof(c));
	ep_region(&c.src, h, 0);
	c.dst.type = IPCOFF_EP_IOVEC;
	c.dst.iov_cnt = 1;
	c.dst.iov = KERNEL_ADDR;
	c.len = 64;
	EXPECT_EQ(-EFAULT, t_copy(self->fd, &c));
	EXPECT_EQ(0, c.copied);
	EXPECT_EQ(0, t_unregister(self->fd, h));
}

#ifdef __i386__
/*
 * A 32-bit process passes 64-bit address fields: a module that truncated
 * them to 32 bits would reach the low mapping instead of failing.
 */
TEST_F(abi, compat_high_addresses)
{
	const uint64_t hi = 1ULL << 32;
	size_t ps = page_size();
	struct ipcoff_iovec iov;
	struct ipcoff_copy c;
	uint8_t *buf, *out;
	uint64_t h;
	int64_t base, now;

	buf = mmap(NULL, 2 * ps, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, buf);
	out = buf + ps;
	pat_fill(buf, ps, 17, 0);
	ASSERT_EQ(0, counter_settle(pinned_pages, &base));
	EXPECT_EQ(-EFAULT, t_register(self->fd, hi | PTR(buf), ps, 0, NULL));
	ASSERT_EQ(0, counter_settle(pinned_pages, &now));
	EXPECT_EQ(base, now);

	ASSERT_EQ(0, t_register(self->fd, PTR(buf), ps, 0, &h));
	memset(out, 0xa5, ps);
	iov.base = hi | PTR(out);
	iov.len = 64;
	memset(&c, 0, sizeof(c));
	ep_region(&c.src, h, 0);
	ep_iov(&c.dst, &iov, 1);
	c.len = 64;
	EXPECT_EQ(-EFAULT, t_copy(self->fd, &c));
	EXPECT_EQ(0, c.copied);

	iov.base = PTR(out);
	c.dst.iov = hi | PTR(&iov);
	EXPECT_EQ(-EFAULT, t_copy(self->fd, &c));
	EXPECT_EQ(0, c.copied);
	EXPECT_EQ(ps, mem_check_byte(out, ps, 0xa5));

	/* And the plain addresses work. */
	c.dst.iov = PTR(&iov);
	EXPECT_EQ(0, t_copy(self->fd, &c));
	EXPECT_EQ(64, c.copied);
	EXPECT_EQ(64, pat_check(out, 64, 17, 0));
	EXPECT_EQ(0, t_unregister(self->fd, h));
}
#endif

#ifndef IPCOFF_NO_LIBIPCOFF
/* libipcoff's view of the handshake is the module's. */
TEST_F(abi, libipcoff_handshake)
{
	struct ipcoff_info info;
	struct ipcoff ipc;

	ASSERT_EQ(0, ipcoff_open(&ipc, 0));
	EXPECT_LE(0, ipc.fd);
	EXPECT_EQ(FD_CLOEXEC, fcntl(ipc.fd, F_GETFD) & FD_CLOEXEC);
	EXPECT_EQ(self->info.abi_version, ipc.abi_version);
	EXPECT_EQ(self->info.features, ipc.features);
	EXPECT_EQ(self->info.engines, ipc.engines);
	EXPECT_EQ(self->info.module_version, ipc.module_version);
	EXPECT_TRUE(ipcoff_has_feature(&ipc, ALL_FEATURES));
	memset(&info, 0xff, sizeof(info));
	EXPECT_EQ(0, ipcoff_probe(&ipc, &info, sizeof(info)));
	EXPECT_EQ(0, memcmp(&info, &self->info, sizeof(info)));
	EXPECT_STREQ("cpu", ipcoff_engine_name(IPCOFF_ENGINE_CPU));
	ipcoff_close(&ipc);

	ASSERT_EQ(0, ipcoff_open(&ipc, IPCOFF_OPEN_NOCLOEXEC));
	EXPECT_EQ(0, fcntl(ipc.fd, F_GETFD) & FD_CLOEXEC);
	ipcoff_close(&ipc);

	EXPECT_EQ(-ENOENT, ipcoff_open_path(&ipc, "/nonexistent/ipcoff", 0));
}
#endif

TEST_HARNESS_MAIN
