/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Shared helpers of the ipcoff selftests.
 *
 * - raw ioctl wrappers returning 0 or -errno (no libipcoff: the -m32 ABI
 *   test includes this header too);
 * - a byte pattern that depends on the absolute position, so a copy that
 *   lands at the wrong offset never looks right;
 * - the counters that prove pages were pinned and released: the module's
 *   /sys/class/misc/ipcoff/{pinned_pages,regions}, the kernel's
 *   nr_foll_pin_{acquired,released} and VmPin;
 * - memory of every kind REGISTER is asked about;
 * - credential changes (another uid, no CAP_IPC_LOCK).
 *
 * agent.h adds helper processes. Everything is static inline: each test
 * program uses a different subset.
 */
#ifndef IPCOFF_SELFTEST_COMMON_H
#define IPCOFF_SELFTEST_COMMON_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/vfs.h>
#include <sys/wait.h>
#include <linux/capability.h>
#include <linux/magic.h>

#include <linux/ipcoff.h>

#include <kselftest_harness.h>

#define PTR(p)			((uint64_t)(uintptr_t)(p))
#define KERNEL_ADDR		0xffff888000000000ULL
#define HUGE_SZ			(2UL << 20)
#define IPCOFF_SYSFS		"/sys/class/misc/ipcoff"
#define SETTLE_MS		5000	/* bound on asynchronous unpinning */
#define UID_A			1000
#define UID_B			2000
#define UID_C			3000

static inline size_t page_size(void)
{
	return (size_t)sysconf(_SC_PAGESIZE);
}

static inline size_t round_up_sz(size_t v, size_t a)
{
	return (v + a - 1) / a * a;
}

/* Pages spanned by [addr, addr + len). */
static inline uint64_t span_pages(uint64_t addr, uint64_t len)
{
	uint64_t ps = page_size();

	return (addr + len + ps - 1) / ps - addr / ps;
}

static inline void msleep(unsigned int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

static inline uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/*
 * Without the module there is nothing to test: report the whole program
 * as skipped (KTAP "1..0 # SKIP", exit code 4) instead of failing every
 * test. This runs before any test does.
 */
static void __attribute__((constructor)) ipcoff_require_device(void)
{
	struct stat st;

	if (stat(IPCOFF_DEVICE_PATH, &st) == 0)
		return;
	ksft_print_header();
	ksft_exit_skip("%s: %s (is ipcoff.ko loaded?)\n", IPCOFF_DEVICE_PATH,
		       strerror(errno));
}

/* ------------------------------------------------------------------ */
/* Raw ioctl wrappers: 0 or -errno.                                    */

static inline int t_open(void)
{
	int fd = open(IPCOFF_DEVICE_PATH, O_RDWR | O_CLOEXEC);

	return fd < 0 ? -errno : fd;
}

static inline int t_ioctl(int fd, unsigned long cmd, void *arg)
{
	return ioctl(fd, cmd, arg) ? -errno : 0;
}

static inline int t_info(int fd, struct ipcoff_info *info)
{
	memset(info, 0, sizeof(*info));
	return t_ioctl(fd, IPCOFF_IOC_GET_INFO, info);
}

static inline int t_register(int fd, uint64_t addr, uint64_t len,
			     uint32_t flags, uint64_t *handle)
{
	struct ipcoff_region_reg r = {
		.addr = addr, .len = len, .flags = flags,
	};
	int ret = t_ioctl(fd, IPCOFF_IOC_REGISTER, &r);

	if (!ret && handle)
		*handle = r.handle;
	return ret;
}

static inline int t_unregister(int fd, uint64_t handle)
{
	struct ipcoff_region_unreg u = { .handle = handle };

	return t_ioctl(fd, IPCOFF_IOC_UNREGISTER, &u);
}

static inline int t_grant(int fd, uint64_t handle, uint32_t uid,
			  uint32_t access)
{
	struct ipcoff_grant g = {
		.handle = handle, .uid = uid, .access = access,
	};

	return t_ioctl(fd, IPCOFF_IOC_GRANT, &g);
}

static inline void ep_region(struct ipcoff_endpoint *ep, uint64_t handle,
			     uint64_t offset)
{
	memset(ep, 0, sizeof(*ep));
	ep->type = IPCOFF_EP_REGION;
	ep->handle = handle;
	ep->offset = offset;
}

static inline void ep_iov(struct ipcoff_endpoint *ep,
			  const struct ipcoff_iovec *iov, uint32_t cnt)
{
	memset(ep, 0, sizeof(*ep));
	ep->type = IPCOFF_EP_IOVEC;
	ep->iov_cnt = cnt;
	ep->iov = PTR(iov);
}

/* COPY; @c->copied is preset to a sentinel the kernel must overwrite. */
#define COPIED_SENTINEL	0x5a5a5a5a5a5a5a5aULL

static inline int t_copy(int fd, struct ipcoff_copy *c)
{
	c->copied = COPIED_SENTINEL;
	return t_ioctl(fd, IPCOFF_IOC_COPY, c);
}

static inline int t_copy_rr(int fd, uint64_t dh, uint64_t doff, uint64_t sh,
			    uint64_t soff, uint64_t len, uint64_t *copied)
{
	struct ipcoff_copy c = { .len = len, .engine = IPCOFF_ENGINE_AUTO };
	int ret;

	ep_region(&c.src, sh, soff);
	ep_region(&c.dst, dh, doff);
	ret = t_copy(fd, &c);
	if (copied)
		*copied = c.copied;
	return ret;
}

/* Region -> the caller's memory. */
static inline int t_read(int fd, void *dst, uint64_t len, uint64_t sh,
			 uint64_t soff, uint64_t *copied)
{
	struct ipcoff_iovec iov = { .base = PTR(dst), .len = len };
	struct ipcoff_copy c = { .len = len, .engine = IPCOFF_ENGINE_AUTO };
	int ret;

	ep_region(&c.src, sh, soff);
	ep_iov(&c.dst, &iov, 1);
	ret = t_copy(fd, &c);
	if (copied)
		*copied = c.copied;
	return ret;
}

/* The caller's memory -> region. */
static inline int t_write(int fd, uint64_t dh, uint64_t doff, const void *src,
			  uint64_t len, uint64_t *copied)
{
	struct ipcoff_iovec iov = { .base = PTR(src), .len = len };
	struct ipcoff_copy c = { .len = len, .engine = IPCOFF_ENGINE_AUTO };
	int ret;

	ep_iov(&c.src, &iov, 1);
	ep_region(&c.dst, dh, doff);
	ret = t_copy(fd, &c);
	if (copied)
		*copied = c.copied;
	return ret;
}

/* ------------------------------------------------------------------ */
/* Byte pattern: byte i of stream @seed, for any absolute position i.  */

static inline uint64_t pat_word(uint32_t seed, uint64_t w)
{
	uint64_t x = (w + 1) * 0x9e3779b97f4a7c15ULL ^
		     ((uint64_t)seed << 32 | seed);

	x ^= x >> 29;
	x *= 0xbf58476d1ce4e5b9ULL;
	x ^= x >> 32;
	return x;
}

static inline uint8_t pat_byte(uint32_t seed, uint64_t i)
{
	return (uint8_t)(pat_word(seed, i >> 3) >> ((i & 7) * 8));
}

/* Fill @buf with bytes [start, start + len) of stream @seed. */
static inline void pat_fill(void *buf, size_t len, uint32_t seed,
			    uint64_t start)
{
	uint8_t *p = buf;
	size_t k = 0;

	for (; k < len && ((start + k) & 7); k++)
		p[k] = pat_byte(seed, start + k);
	for (; k + 8 <= len; k += 8) {
		uint64_t w = pat_word(seed, (start + k) >> 3);

		memcpy(p + k, &w, 8);
	}
	for (; k < len; k++)
		p[k] = pat_byte(seed, start + k);
}

/* Index of the first byte that differs from the stream, or @len. */
static inline size_t pat_check(const void *buf, size_t len, uint32_t seed,
			       uint64_t start)
{
	const uint8_t *p = buf;
	size_t k = 0;

	for (; k < len && ((start + k) & 7); k++)
		if (p[k] != pat_byte(seed, start + k))
			return k;
	for (; k + 8 <= len; k += 8) {
		uint64_t w = pat_word(seed, (start + k) >> 3), v;

		memcpy(&v, p + k, 8);
		if (v != w)
			break;
	}
	for (; k < len; k++)
		if (p[k] != pat_byte(seed, start + k))
			return k;
	return len;
}

/* Index of the first byte that is not @c, or @len. */
static inline size_t mem_check_byte(const void *buf, size_t len, uint8_t c)
{
	const uint8_t *p = buf;
	size_t k;

	for (k = 0; k < len; k++)
		if (p[k] != c)
			return k;
	return len;
}

/* ------------------------------------------------------------------ */
/* Counters.                                                           */

static inline int read_text(const char *path, char *buf, size_t size)
{
	ssize_t n;
	size_t got = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	while (got + 1 < size) {
		n = read(fd, buf + got, size - 1 - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			n = -errno;
			close(fd);
			return (int)n;
		}
		if (n == 0)
			break;
		got += (size_t)n;
	}
	buf[got] = 0;
	close(fd);
	return (int)got;
}

/* Write @val to a sysfs, debugfs or procfs file: 0 or -errno. */
static inline int write_text(const char *path, const char *val)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = write(fd, val, strlen(val));
	close(fd);
	return n < 0 ? -errno : 0;
}

/* Load a kernel module from a file, with parameters: 0 or -errno. */
static inline int module_load(const char *path, const char *params)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	int ret;

	if (fd < 0)
		return -errno;
	ret = syscall(SYS_finit_module, fd, params, 0) ? -errno : 0;
	close(fd);
	return ret;
}

/* Unload a module; -EWOULDBLOCK while it is in use. */
static inline int module_unload(const char *name)
{
	return syscall(SYS_delete_module, name, O_NONBLOCK) ? -errno : 0;
}

/* A file holding one decimal number (and a newline). */
static inline int read_u64_file(const char *path, int64_t *val)
{
	char buf[64], *end;
	unsigned long long v;
	int ret = read_text(path, buf, sizeof(buf));

	if (ret < 0)
		return ret;
	errno = 0;
	v = strtoull(buf, &end, 10);
	if (errno || end == buf || (*end && *end != '\n'))
		return -EBADMSG;
	*val = (int64_t)v;
	return 0;
}

/* Pages ipcoff holds pinned, module-wide. */
static inline int pinned_pages(int64_t *v)
{
	return read_u64_file(IPCOFF_SYSFS "/pinned_pages", v);
}

/* Live regions, module-wide. */
static inline int live_regions(int64_t *v)
{
	return read_u64_file(IPCOFF_SYSFS "/regions", v);
}

/*
 * nr_foll_pin_acquired - nr_foll_pin_released: pages pinned with FOLL_PIN
 * right now, system-wide. The counters are per-cpu with a fold threshold,
 * so fold them first (vm.stat_refresh, root only; best effort).
 */
static inline int foll_pins(int64_t *v)
{
	static char buf[16384];
	long long acq = -1, rel = -1;
	char *line;
	int fd, ret;

	fd = open("/proc/sys/vm/stat_refresh", O_WRONLY | O_CLOEXEC);
	if (fd >= 0) {
		/* On failure the counters are only approximate. */
		ret = (int)write(fd, "1", 1);
		close(fd);
	}
	ret = read_text("/proc/vmstat", buf, sizeof(buf));
	if (ret < 0)
		return ret;
	for (line = buf; line && *line; line = strchr(line, '\n'),
	     line = line ? line + 1 : NULL) {
		if (!strncmp(line, "nr_foll_pin_acquired ", 21))
			acq = strtoll(line + 21, NULL, 10);
		else if (!strncmp(line, "nr_foll_pin_released ", 21))
			rel = strtoll(line + 21, NULL, 10);
	}
	if (acq < 0 || rel < 0)
		return -ENOENT;
	*v = acq - rel;
	return 0;
}

/* VmPin of @pid (0: self), in kB. */
static inline int vmpin_kb(pid_t pid, int64_t *kb)
{
	static char buf[8192];
	char path[64];
	char *p;
	int ret;

	if (pid)
		snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	else
		snprintf(path, sizeof(path), "/proc/self/status");
	ret = read_text(path, buf, sizeof(buf));
	if (ret < 0)
		return ret;
	p = strstr(buf, "\nVmPin:");
	if (!p)
		return -ENOENT;
	*kb = strtoll(p + 7, NULL, 10);
	return 0;
}

typedef int (*counter_fn)(int64_t *v);

/*
 * Poll @fn until it reads @want, for at most @ms milliseconds (pinned pages
 * are released asynchronously). Returns 0 once it does, else -ETIMEDOUT
 * (or the read error); *@last holds the last value read.
 */
static inline int counter_wait(counter_fn fn, int64_t want, unsigned int ms,
			       int64_t *last)
{
	uint64_t end = now_ms() + ms;
	int ret;

	for (;;) {
		ret = fn(last);
		if (ret)
			return ret;
		if (*last == want)
			return 0;
		if (now_ms() >= end)
			return -ETIMEDOUT;
		msleep(20);
	}
}

/*
 * A baseline: the value once it has not moved for 150 ms (an earlier
 * test's asynchronous unpinning may still be running).
 */
static inline int counter_settle(counter_fn fn, int64_t *v)
{
	uint64_t end = now_ms() + SETTLE_MS;
	int64_t prev = 0, cur = 0;
	int stable = 0, ret;

	ret = fn(&prev);
	while (!ret && stable < 3 && now_ms() < end) {
		msleep(50);
		ret = fn(&cur);
		stable = cur == prev ? stable + 1 : 0;
		prev = cur;
	}
	*v = prev;
	return ret;
}

/* ------------------------------------------------------------------ */
/* Memory of every kind.                                               */

enum mem_type {
	MEM_ANON,		/* MAP_PRIVATE | MAP_ANONYMOUS */
	MEM_MEMFD,		/* MAP_SHARED of a memfd */
	MEM_SHM,		/* MAP_SHARED of a /dev/shm file */
	MEM_HUGE_ANON,		/* MAP_HUGETLB */
	MEM_HUGE_MEMFD,		/* memfd MFD_HUGETLB */
	MEM_HUGE_FILE,		/* file on the hugetlbfs at /mnt/huge */
	MEM_TYPES,
};

static inline const char *mem_name(int type)
{
	static const char *const names[] = {
		"anonymous", "memfd", "/dev/shm", "MAP_HUGETLB",
		"memfd MFD_HUGETLB", "hugetlbfs file",
	};

	return type >= 0 && type < MEM_TYPES ? names[type] : "?";
}

static inline int mem_is_huge(int type)
{
	return type == MEM_HUGE_ANON || type == MEM_HUGE_MEMFD ||
	       type == MEM_HUGE_FILE;
}

/*
 * Map at least @len bytes of @type, read-write. The mapping length is
 * returned in *@map_len (rounded to the page or huge page). On failure
 * returns MAP_FAILED with errno set.
 */
static inline void *mem_map(int type, size_t len, size_t *map_len)
{
	char path[64];
	void *p;
	int fd = -1, err;
	size_t ml = round_up_sz(len ? len : 1,
				mem_is_huge(type) ? HUGE_SZ : page_size());

	*map_len = ml;
	switch (type) {
	case MEM_ANON:
		return mmap(NULL, ml, PROT_READ | PROT_WRITE,
			    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	case MEM_HUGE_ANON:
		return mmap(NULL, ml, PROT_READ | PROT_WRITE,
			    MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB, -1, 0);
	case MEM_MEMFD:
	case MEM_HUGE_MEMFD:
		fd = memfd_create("ipcoff-selftest", MFD_CLOEXEC |
				  (type == MEM_HUGE_MEMFD ? MFD_HUGETLB : 0));
		break;
	case MEM_SHM:
	case MEM_HUGE_FILE:
		snprintf(path, sizeof(path), "%s/ipcoff-selftest-XXXXXX",
			 type == MEM_SHM ? "/dev/shm" : "/mnt/huge");
		fd = mkostemp(path, O_CLOEXEC);
		if (fd >= 0)
			unlink(path);
		break;
	default:
		errno = EINVAL;
		return MAP_FAILED;
	}
	if (fd < 0)
		return MAP_FAILED;
	if (ftruncate(fd, (off_t)ml)) {
		err = errno;
		close(fd);
		errno = err;
		return MAP_FAILED;
	}
	p = mmap(NULL, ml, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	err = errno;
	close(fd);
	errno = err;
	return p;
}

/* Is the file system at @path of type @magic? */
static inline int fs_is(const char *path, long magic)
{
	struct statfs sfs;

	return !statfs(path, &sfs) && (long)sfs.f_type == magic;
}

/*
 * Why a memory type cannot be had here (for SKIP), or NULL. Only huge
 * pages and /dev/shm depend on the environment; anonymous memory and
 * memfd failing is a test failure.
 */
static inline const char *mem_unavailable(int type, int err)
{
	static char why[160];

	if (type == MEM_SHM && !fs_is("/dev/shm", TMPFS_MAGIC))
		return "no tmpfs at /dev/shm";
	if (type == MEM_HUGE_FILE && !fs_is("/mnt/huge", HUGETLBFS_MAGIC))
		return "no hugetlbfs at /mnt/huge";
	if (mem_is_huge(type) && err != EFAULT && err != EBADF) {
		snprintf(why, sizeof(why), "%s: no free 2 MiB huge pages: %s",
			 mem_name(type), strerror(err));
		return why;
	}
	return NULL;
}

/* ------------------------------------------------------------------ */
/* Credentials.                                                        */

static inline int caps_get(struct __user_cap_data_struct d[2])
{
	struct __user_cap_header_struct h = {
		.version = _LINUX_CAPABILITY_VERSION_3,
	};

	return syscall(SYS_capget, &h, d) ? -errno : 0;
}

static inline int caps_set(struct __user_cap_data_struct d[2])
{
	struct __user_cap_header_struct h = {
		.version = _LINUX_CAPABILITY_VERSION_3,
	};

	return syscall(SYS_capset, &h, d) ? -errno : 0;
}

/* Remove @cap from the effective and permitted sets. */
static inline int caps_drop(int cap)
{
	struct __user_cap_data_struct d[2];
	int ret = caps_get(d);

	if (ret)
		return ret;
	d[CAP_TO_INDEX(cap)].effective &= ~CAP_TO_MASK(cap);
	d[CAP_TO_INDEX(cap)].permitted &= ~CAP_TO_MASK(cap);
	d[CAP_TO_INDEX(cap)].inheritable &= ~CAP_TO_MASK(cap);
	return caps_set(d);
}

/* Effective and permitted := {@cap} (or nothing when @cap < 0). */
static inline int caps_only(int cap)
{
	struct __user_cap_data_struct d[2];

	memset(d, 0, sizeof(d));
	if (cap >= 0) {
		d[CAP_TO_INDEX(cap)].effective = CAP_TO_MASK(cap);
		d[CAP_TO_INDEX(cap)].permitted = CAP_TO_MASK(cap);
	}
	return caps_set(d);
}

/*
 * Become @uid (real, effective, saved; gid likewise; no supplementary
 * groups). No capability stays effective; only CAP_DAC_OVERRIDE stays
 * permitted, so that open_as_self() can open /dev/ipcoff whatever the mode
 * of the device node is.
 */
static inline int become_uid(uid_t uid)
{
	struct __user_cap_data_struct dac[2] = {
		{ .permitted = CAP_TO_MASK(CAP_DAC_OVERRIDE) }, { 0 },
	};

	if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) ||
	    setgroups(0, NULL) ||
	    setresgid(uid, uid, uid) ||
	    setresuid(uid, uid, uid))
		return -errno;
	if (prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0))
		return -errno;
	if (geteuid() != uid)
		return -EPERM;
	return caps_set(dac);
}

/*
 * Open /dev/ipcoff as the current uid. Only when the node's mode refuses
 * that uid (the misc device is 0600 root by default) is CAP_DAC_OVERRIDE
 * made effective, for the open() itself; the identity ipcoff takes from
 * the opener is its uid either way. No capability is left effective.
 */
static inline int open_as_self(void)
{
	struct __user_cap_data_struct none[2] = {
		{ .permitted = CAP_TO_MASK(CAP_DAC_OVERRIDE) }, { 0 },
	};
	int fd = t_open();

	if (geteuid() == 0)
		return fd;
	if ((fd == -EACCES || fd == -EPERM) &&
	    caps_only(CAP_DAC_OVERRIDE) == 0)
		fd = t_open();
	caps_set(none);
	return fd;
}

/*
 * Let a setup function record why a test cannot run, for the test to
 * SKIP: the 6.1 harness runs the test body even after SKIP() in
 * FIXTURE_SETUP.
 */
#define SKIP_IF_SET(reason) do { \
	if (reason) \
		SKIP(return, "%s", reason); \
} while (0)

#endif /* IPCOFF_SELFTEST_COMMON_H */
