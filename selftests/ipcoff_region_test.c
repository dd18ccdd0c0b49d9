// SPDX-License-Identifier: GPL-2.0
/*
 * REGISTER and UNREGISTER: every kind of memory that may be pinned (and the
 * bytes it holds reach a copy), the page-cache files that may not, every
 * bad argument, and what the pin counters say before and after.
 */
#include "common.h"

/* ------------------------------------------------------------------ */
/* Memory that may be registered.                                      */

FIXTURE(mem) {
	int fd;
	uint8_t *map;
	size_t map_len;
	uint8_t *addr;
	const char *skip;
	int64_t pinned0, foll0, regions0;
};

FIXTURE_VARIANT(mem) {
	int type;
	size_t off;	/* of the region in the mapping */
	size_t len;
};

FIXTURE_VARIANT_ADD(mem, anon) {
	.type = MEM_ANON, .off = 0, .len = 1 << 20,
};

FIXTURE_VARIANT_ADD(mem, anon_unaligned) {
	.type = MEM_ANON, .off = 123, .len = 100000,
};

FIXTURE_VARIANT_ADD(mem, memfd) {
	.type = MEM_MEMFD, .off = 0, .len = (256 << 10) + 5,
};

FIXTURE_VARIANT_ADD(mem, shm) {
	.type = MEM_SHM, .off = 4095, .len = 8194,
};

FIXTURE_VARIANT_ADD(mem, hugetlb_anon) {
	.type = MEM_HUGE_ANON, .off = 0, .len = 4 << 20,
};

FIXTURE_VARIANT_ADD(mem, hugetlb_memfd) {
	.type = MEM_HUGE_MEMFD, .off = 1, .len = 2 << 20,
};

FIXTURE_VARIANT_ADD(mem, hugetlbfs_file) {
	.type = MEM_HUGE_FILE, .off = 4096 + 7, .len = 3 << 20,
};

FIXTURE_SETUP(mem)
{
	self->fd = t_open();
	ASSERT_LE(0, self->fd);
	self->map = mem_map(variant->type, variant->off + variant->len,
			    &self->map_len);
	if (self->map == MAP_FAILED) {
		int err = errno;

		self->skip = mem_unavailable(variant->type, err);
		ASSERT_NE(NULL, self->skip)
			TH_LOG("mapping %s: %s", mem_name(variant->type),
			       strerror(err));
		self->map = NULL;
		return;
	}
	self->addr = self->map + variant->off;
	pat_fill(self->map, self->map_len, 21, 0);
	ASSERT_EQ(0, counter_settle(pinned_pages, &self->pinned0));
	ASSERT_EQ(0, counter_settle(foll_pins, &self->foll0));
	ASSERT_EQ(0, live_regions(&self->regions0));
}

FIXTURE_TEARDOWN(mem)
{
	if (self->fd >= 0)
		close(self->fd);
	if (self->map)
		munmap(self->map, self->map_len);
}

TEST_F(mem, register_copy_unregister)
{
	uint64_t pages = span_pages(PTR(self->addr), variant->len);
	size_t len = variant->len;
	int64_t v, regions;
	uint64_t h, copied;
	uint8_t *buf;

	SKIP_IF_SET(self->skip);
	buf = mmap(NULL, len, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, buf);

	ASSERT_EQ(0, t_register(self->fd, PTR(self->addr), len,
				IPCOFF_REGION_WRITABLE, &h));
	EXPECT_NE(0, h);
	ASSERT_EQ(0, pinned_pages(&v));
	EXPECT_EQ(self->pinned0 + (int64_t)pages, v);
	ASSERT_EQ(0, foll_pins(&v));
	EXPECT_LE(self->foll0 + (int64_t)pages, v);
	ASSERT_EQ(0, live_regions(&regions));
	EXPECT_EQ(self->regions0 + 1, regions);

	/* The region holds the bytes of the memory... */
	memset(buf, 0, len);
	ASSERT_EQ(0, t_read(self->fd, buf, len, h, 0, &copied));
	EXPECT_EQ(len, copied);
	EXPECT_EQ(len, pat_check(buf, len, 21, variant->off));

	/* ...and what is copied into it shows in the memory. */
	pat_fill(buf, len, 22, 0);
	ASSERT_EQ(0, t_write(self->fd, h, 0, buf, len, &copied));
	EXPECT_EQ(len, copied);
	EXPECT_EQ(len, pat_check(self->addr, len, 22, 0));
	EXPECT_EQ(variant->off, pat_check(self->map, variant->off, 21, 0));
	EXPECT_EQ(self->map_len - variant->off - len,
		  pat_check(self->addr + len, self->map_len - variant->off - len,
			    21, variant->off + len));

	ASSERT_EQ(0, t_unregister(self->fd, h));
	EXPECT_EQ(-ENOENT, t_unregister(self->fd, h));
	EXPECT_EQ(-ENOENT, t_read(self->fd, buf, 1, h, 0, NULL));
	EXPECT_EQ(0, counter_wait(pinned_pages, self->pinned0, SETTLE_MS, &v))
		TH_LOG("pinned_pages %" PRId64 ", was %" PRId64, v,
		       self->pinned0);
	EXPECT_EQ(0, counter_wait(foll_pins, self->foll0, SETTLE_MS, &v))
		TH_LOG("FOLL_PIN pins %" PRId64 ", was %" PRId64, v,
		       self->foll0);
	EXPECT_EQ(0, counter_wait(live_regions, self->regions0, SETTLE_MS, &v));
}

TEST_F(mem, register_read_only)
{
	size_t len = variant->len;
	uint64_t h, copied;
	uint8_t *buf;

	SKIP_IF_SET(self->skip);
	buf = mmap(NULL, len, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, buf);

	ASSERT_EQ(0, t_register(self->fd, PTR(self->addr), len, 0, &h));
	ASSERT_EQ(0, t_read(self->fd, buf, len, h, 0, &copied));
	EXPECT_EQ(len, copied);
	EXPECT_EQ(len, pat_check(buf, len, 21, variant->off));

	/* Not WRITABLE: never a destination, not even for the owner. */
	memset(buf, 0x3c, len);
	EXPECT_EQ(-EACCES, t_write(self->fd, h, 0, buf, len, NULL));
	EXPECT_EQ(-EACCES, t_write(self->fd, h, len - 1, buf, 1, NULL));
	EXPECT_EQ(len, pat_check(self->addr, len, 21, variant->off));
	EXPECT_EQ(0, t_unregister(self->fd, h));
}

TEST_F(mem, close_unpins)
{
	uint64_t pages = span_pages(PTR(self->addr), variant->len);
	uint64_t h1, h2;
	int64_t v;
	int fd2;

	SKIP_IF_SET(self->skip);
	fd2 = t_open();
	ASSERT_LE(0, fd2);
	ASSERT_EQ(0, t_register(self->fd, PTR(self->addr), variant->len,
				IPCOFF_REGION_WRITABLE, &h1));
	ASSERT_EQ(0, t_register(self->fd, PTR(self->map), self->map_len,
				IPCOFF_REGION_SINGLE_USE, &h2));
	ASSERT_EQ(0, pinned_pages(&v));
	EXPECT_EQ(self->pinned0 + (int64_t)pages +
		  (int64_t)(self->map_len / page_size()), v);

	ASSERT_EQ(0, close(self->fd));
	self->fd = -1;
	EXPECT_EQ(0, counter_wait(pinned_pages, self->pinned0, SETTLE_MS, &v))
		TH_LOG("pinned_pages %" PRId64 ", was %" PRId64, v,
		       self->pinned0);
	EXPECT_EQ(0, counter_wait(foll_pins, self->foll0, SETTLE_MS, &v))
		TH_LOG("FOLL_PIN pins %" PRId64 ", was %" PRId64, v,
		       self->foll0);
	EXPECT_EQ(0, counter_wait(live_regions, self->regions0, SETTLE_MS, &v));
	EXPECT_EQ(-ENOENT, t_copy_rr(fd2, h1, 0, h2, 0, 1, NULL));
	close(fd2);
}

/* ------------------------------------------------------------------ */
/* Page-cache files: refused, whatever the mapping.                    */

FIXTURE(pagecache) {
	int fd;
	int file;
	const char *skip;
	size_t len;
	int64_t pinned0, foll0;
};

FIXTURE_VARIANT(pagecache) {
	const char *dir;
	long magic;
};

FIXTURE_VARIANT_ADD(pagecache, vfat) {
	.dir = "/mnt/vfat", .magic = MSDOS_SUPER_MAGIC,
};

FIXTURE_VARIANT_ADD(pagecache, ramfs) {
	.dir = "/mnt/ramfs", .magic = RAMFS_MAGIC,
};

FIXTURE_SETUP(pagecache)
{
	char path[64];
	uint8_t *buf;

	self->file = -1;
	self->fd = t_open();
	ASSERT_LE(0, self->fd);
	if (!fs_is(variant->dir, variant->magic)) {
		self->skip = "file system not mounted";
		return;
	}
	self->len = 3 * page_size();
	snprintf(path, sizeof(path), "%s/ipcoff-XXXXXX", variant->dir);
	self->file = mkostemp(path, O_CLOEXEC);
	ASSERT_LE(0, self->file) TH_LOG("%s: %s", path, strerror(errno));
	unlink(path);
	buf = malloc(self->len);
	ASSERT_NE(NULL, buf);
	pat_fill(buf, self->len, 31, 0);
	ASSERT_EQ((ssize_t)self->len, pwrite(self->file, buf, self->len, 0));
	free(buf);
	ASSERT_EQ(0, counter_settle(pinned_pages, &self->pinned0));
	ASSERT_EQ(0, counter_settle(foll_pins, &self->foll0));
}

FIXTURE_TEARDOWN(pagecache)
{
	if (self->file >= 0)
		close(self->file);
	close(self->fd);
}

static void expect_refused(struct __test_metadata *_metadata, int fd,
			   uint8_t *addr, size_t len, int64_t pinned0,
			   int64_t foll0)
{
	int64_t v;

	EXPECT_EQ(-EOPNOTSUPP, t_register(fd, PTR(addr), len, 0, NULL));
	EXPECT_EQ(-EOPNOTSUPP, t_register(fd, PTR(addr), len,
					  IPCOFF_REGION_WRITABLE, NULL));
	EXPECT_EQ(-EOPNOTSUPP, t_register(fd, PTR(addr + 1), 10, 0, NULL));
	/* Nothing stays pinned after a refusal. */
	ASSERT_EQ(0, counter_settle(pinned_pages, &v));
	EXPECT_EQ(pinned0, v);
	ASSERT_EQ(0, counter_settle(foll_pins, &v));
	EXPECT_EQ(foll0, v);
}

TEST_F(pagecache, map_shared)
{
	uint8_t *p;

	SKIP_IF_SET(self->skip);
	p = mmap(NULL, self->len, PROT_READ | PROT_WRITE, MAP_SHARED,
		 self->file, 0);
	ASSERT_NE(MAP_FAILED, p);
	ASSERT_EQ(self->len, pat_check(p, self->len, 31, 0));
	p[0] ^= 0xff;
	p[0] ^= 0xff;	/* write-faulted too */
	expect_refused(_metadata, self->fd, p, self->len, self->pinned0,
		       self->foll0);
	munmap(p, self->len);
}

TEST_F(pagecache, map_private)
{
	uint8_t *p;

	SKIP_IF_SET(self->skip);
	p = mmap(NULL, self->len, PROT_READ | PROT_WRITE, MAP_PRIVATE,
		 self->file, 0);
	ASSERT_NE(MAP_FAILED, p);
	/* Read faults only: the pages are the file's page cache. */
	ASSERT_EQ(self->len, pat_check(p, self->len, 31, 0));
	expect_refused(_metadata, self->fd, p, self->len, self->pinned0,
		       self->foll0);
	munmap(p, self->len);
}

/* Anonymous memory followed by a file mapping: every page is checked. */
TEST_F(pagecache, mixed_range)
{
	size_t ps = page_size();
	uint8_t *p, *q;
	uint64_t h;

	SKIP_IF_SET(self->skip);
	p = mmap(NULL, 2 * ps, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, p);
	memset(p, 1, 2 * ps);
	q = mmap(p + ps, ps, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED,
		 self->file, 0);
	ASSERT_EQ(p + ps, q);
	ASSERT_EQ(ps, pat_check(q, ps, 31, 0));

	EXPECT_EQ(-EOPNOTSUPP, t_register(self->fd, PTR(p), 2 * ps, 0, NULL));
	EXPECT_EQ(-EOPNOTSUPP, t_register(self->fd, PTR(p + ps - 1), 2, 0,
					  NULL));
	/* The anonymous page alone is fine. */
	EXPECT_EQ(0, t_register(self->fd, PTR(p), ps, 0, &h));
	EXPECT_EQ(0, t_unregister(self->fd, h));
	expect_refused(_metadata, self->fd, q, ps, self->pinned0, self->foll0);
	munmap(p, 2 * ps);
}

/* ------------------------------------------------------------------ */
/* Everything else about REGISTER and UNREGISTER.                      */

FIXTURE(region) {
	int fd;
	struct ipcoff_info info;
	size_t ps;
	uint8_t *buf;		/* 16 pages of pattern 41 */
	int64_t pinned0, foll0;
};

FIXTURE_SETUP(region)
{
	self->fd = t_open();
	ASSERT_LE(0, self->fd);
	ASSERT_EQ(0, t_info(self->fd, &self->info));
	self->ps = page_size();
	self->buf = mmap(NULL, 16 * self->ps, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, self->buf);
	pat_fill(self->buf, 16 * self->ps, 41, 0);
	ASSERT_EQ(0, counter_settle(pinned_pages, &self->pinned0));
	ASSERT_EQ(0, counter_settle(foll_pins, &self->foll0));
}

FIXTURE_TEARDOWN(region)
{
	if (self->fd >= 0)
		close(self->fd);
}

/* Nothing pinned since setup (after failures). */
#define EXPECT_NOTHING_PINNED() do { \
	int64_t __v; \
	ASSERT_EQ(0, counter_settle(pinned_pages, &__v)); \
	EXPECT_EQ(self->pinned0, __v); \
	ASSERT_EQ(0, counter_settle(foll_pins, &__v)); \
	EXPECT_EQ(self->foll0, __v); \
} while (0)

TEST_F(region, read_only_mapping)
{
	size_t ps = self->ps;
	uint8_t *ro, *out;
	uint64_t h, copied;
	int mfd;

	out = self->buf + 8 * ps;
	/* Anonymous memory with data, then made read-only. */
	ro = mmap(NULL, 4 * ps, PROT_READ | PROT_WRITE,
		  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, ro);
	pat_fill(ro, 4 * ps, 42, 0);
	ASSERT_EQ(0, mprotect(ro, 4 * ps, PROT_READ));

	EXPECT_EQ(-EACCES, t_register(self->fd, PTR(ro), 4 * ps,
				      IPCOFF_REGION_WRITABLE, NULL));
	EXPECT_EQ(-EACCES, t_register(self->fd, PTR(ro + 3 * ps + 1), 10,
				      IPCOFF_REGION_WRITABLE, NULL));
	EXPECT_NOTHING_PINNED();

	ASSERT_EQ(0, t_register(self->fd, PTR(ro + 5), 4 * ps - 5, 0, &h));
	ASSERT_EQ(0, t_read(self->fd, out, 4 * ps - 5, h, 0, &copied));
	EXPECT_EQ(4 * ps - 5, copied);
	EXPECT_EQ(4 * ps - 5, pat_check(out, 4 * ps - 5, 42, 5));
	EXPECT_EQ(-EACCES, t_write(self->fd, h, 0, out, 1, NULL));
	EXPECT_EQ(0, t_unregister(self->fd, h));

	/* A memfd mapped PROT_READ. */
	mfd = memfd_create("ipcoff-ro", MFD_CLOEXEC);
	ASSERT_LE(0, mfd);
	pat_fill(out, 2 * ps, 43, 0);
	ASSERT_EQ((ssize_t)(2 * ps), pwrite(mfd, out, 2 * ps, 0));
	ro = mmap(NULL, 2 * ps, PROT_READ, MAP_SHARED, mfd, 0);
	ASSERT_NE(MAP_FAILED, ro);
	close(mfd);
	EXPECT_EQ(-EACCES, t_register(self->fd, PTR(ro), 2 * ps,
				      IPCOFF_REGION_WRITABLE, NULL));
	ASSERT_EQ(0, t_register(self->fd, PTR(ro), 2 * ps, 0, &h));
	memset(out, 0, 2 * ps);
	ASSERT_EQ(0, t_read(self->fd, out, 2 * ps, h, 0, &copied));
	EXPECT_EQ(2 * ps, pat_check(out, 2 * ps, 43, 0));
	EXPECT_EQ(0, t_unregister(self->fd, h));
}

TEST_F(region, bad_addresses)
{
	size_t ps = self->ps;
	uint8_t *p;

	/* Unmapped. */
	p = mmap(NULL, 4 * ps, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, p);
	memset(p, 1, 4 * ps);
	ASSERT_EQ(0, munmap(p + 2 * ps, 2 * ps));
	EXPECT_EQ(-EFAULT, t_register(self->fd, PTR(p + 2 * ps), ps, 0, NULL));
	EXPECT_EQ(-EFAULT, t_register(self->fd, PTR(p + 2 * ps), ps,
				      IPCOFF_REGION_WRITABLE, NULL));
	/* Mapped, then a hole: nothing of the mapped part stays pinned. */
	EXPECT_EQ(-EFAULT, t_register(self->fd, PTR(p), 3 * ps, 0, NULL));
	EXPECT_EQ(-EFAULT, t_register(self->fd, PTR(p + 1), 2 * ps,
				      IPCOFF_REGION_WRITABLE, NULL));
	/* Kernel addresses and page 0. */
	EXPECT_EQ(-EFAULT, t_register(self->fd, KERNEL_ADDR, ps, 0, NULL));
	EXPECT_EQ(-EFAULT, t_register(self->fd, KERNEL_ADDR + 5, 100,
				      IPCOFF_REGION_WRITABLE, NULL));
	EXPECT_EQ(-EFAULT, t_register(self->fd, 0, ps, 0, NULL));
	/* Mapped but inaccessible. */
	ASSERT_EQ(0, mprotect(p, 2 * ps, PROT_NONE));
	EXPECT_EQ(-EFAULT, t_register(self->fd, PTR(p), ps, 0, NULL));
	EXPECT_NOTHING_PINNED();
	munmap(p, 2 * ps);
}

TEST_F(region, bad_arguments)
{
	struct ipcoff_region_reg r;
	unsigned int bit;

	const struct ipcoff_region_reg good = {
		.addr = PTR(self->buf), .len = self->ps,
	};

#define REG_EXPECT(err, change) do { \
	r = good; \
	change; \
	EXPECT_EQ(err, t_ioctl(self->fd, IPCOFF_IOC_REGISTER, &r)) \
		TH_LOG("%s", #change); \
} while (0)

	REG_EXPECT(-EINVAL, r.len = 0);
	REG_EXPECT(-EINVAL, (r.len = 0, r.flags = IPCOFF_REGION_WRITABLE));
	/* addr + len wraps around (and is not too long by itself). */
	REG_EXPECT(-EINVAL, (r.addr = ~0ULL - self->ps + 1,
			     r.len = 2 * self->ps));
	REG_EXPECT(-EINVAL, (r.addr = ~0ULL, r.len = 2));
	for (bit = 3; bit < 32; bit++)
		REG_EXPECT(-EINVAL, r.flags = 1U << bit);
	/* NOTIFY needs a completion ring, and notify_data needs NOTIFY. */
	REG_EXPECT(-ENXIO, r.flags = IPCOFF_REGION_NOTIFY);
	REG_EXPECT(-EINVAL, r.notify_data = 1);
	REG_EXPECT(-EINVAL, r.flags = ~0U);
	REG_EXPECT(-EINVAL, r.pad = 1);
	REG_EXPECT(-EINVAL, r.pad = 0x80000000u);
	REG_EXPECT(-EINVAL, r.reserved[0] = 1);
	REG_EXPECT(-EINVAL, r.reserved[0] = 1ULL << 63);
	/* handle is an output: it must come in as 0. */
	REG_EXPECT(-EINVAL, r.handle = 1);
	EXPECT_NOTHING_PINNED();
	/* The same struct, cleaned, works. */
	REG_EXPECT(0, r.flags = IPCOFF_REGION_FLAGS & ~IPCOFF_REGION_NOTIFY);
	EXPECT_NE(0, r.handle);
	EXPECT_EQ(0, t_unregister(self->fd, r.handle));
#undef REG_EXPECT
}

TEST_F(region, longer_than_max_region_len)
{
	uint64_t max = self->info.max_region_len;

	if (max > (1ULL << 62))
		SKIP(return, "max_region_len %llu: no address range is longer",
		     (unsigned long long)max);
	EXPECT_EQ(-EINVAL, t_register(self->fd, PTR(self->buf), max + 1, 0,
				      NULL));
	EXPECT_EQ(-EINVAL, t_register(self->fd, PTR(self->buf),
				      max + self->ps, IPCOFF_REGION_WRITABLE,
				      NULL));
	EXPECT_NOTHING_PINNED();
}

TEST_F(region, unregister_errors)
{
	struct ipcoff_region_unreg u;
	uint8_t out[100];
	uint64_t h, h2;
	int fd2;

	ASSERT_EQ(0, t_register(self->fd, PTR(self->buf + 1), 3 * self->ps,
				0, &h));

	u = (struct ipcoff_region_unreg){ .handle = h, .flags = 1 };
	EXPECT_EQ(-EINVAL, t_ioctl(self->fd, IPCOFF_IOC_UNREGISTER, &u));
	u = (struct ipcoff_region_unreg){ .handle = h, .flags = 0x80000000u };
	EXPECT_EQ(-EINVAL, t_ioctl(self->fd, IPCOFF_IOC_UNREGISTER, &u));
	u = (struct ipcoff_region_unreg){ .handle = h, .pad = 1 };
	EXPECT_EQ(-EINVAL, t_ioctl(self->fd, IPCOFF_IOC_UNREGISTER, &u));
	EXPECT_EQ(-ENOENT, t_unregister(self->fd, 0));
	EXPECT_EQ(-ENOENT, t_unregister(self->fd, h ^ 0x8000000000000001ULL));
	EXPECT_EQ(-ENOENT, t_unregister(self->fd, ~0ULL));

	/* Another context, even of the same process, is not the owner. */
	fd2 = t_open();
	ASSERT_LE(0, fd2);
	EXPECT_EQ(-ENOENT, t_unregister(fd2, h));
	ASSERT_EQ(0, t_register(fd2, PTR(self->buf), self->ps, 0, &h2));
	EXPECT_EQ(-ENOENT, t_unregister(self->fd, h2));
	EXPECT_EQ(0, t_unregister(fd2, h2));

	/* After all of that the region is still there. */
	EXPECT_EQ(0, t_read(fd2, out, sizeof(out), h, 0, NULL));
	EXPECT_EQ(sizeof(out), pat_check(out, sizeof(out), 41, 1));

	EXPECT_EQ(0, t_unregister(self->fd, h));
	EXPECT_EQ(-ENOENT, t_unregister(self->fd, h));
	EXPECT_EQ(-ENOENT, t_read(self->fd, out, 1, h, 0, NULL));
	EXPECT_EQ(-ENOENT, t_read(fd2, out, 1, h, 0, NULL));
	close(fd2);
}

/* 1000 regions in one context: distinct handles, exact counters. */
TEST_F_TIMEOUT(region, many_regions, 180)
{
	const int n = 1000;
	size_t ps = self->ps;
	uint64_t *h, *sorted;
	int64_t regions0, v;
	uint8_t *map, out[64];
	int i, dups = 0;

	map = mmap(NULL, n * ps, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, map);
	pat_fill(map, n * ps, 44, 0);
	h = calloc(n, sizeof(*h));
	sorted = calloc(n, sizeof(*sorted));
	ASSERT_NE(NULL, h);
	ASSERT_NE(NULL, sorted);
	ASSERT_EQ(0, counter_settle(live_regions, &regions0));

	/* Region i: somewhere inside page i, at least 64 bytes. */
	for (i = 0; i < n; i++) {
		size_t off = (size_t)i * ps + (size_t)(i % 17);
		size_t len = 64 + (size_t)(i * 37) % (ps - 64 - 17);

		ASSERT_EQ(0, t_register(self->fd, PTR(map + off), len,
					i & 1 ? IPCOFF_REGION_WRITABLE : 0,
					&h[i]))
			TH_LOG("region %d", i);
		ASSERT_NE(0, h[i]);
	}
	ASSERT_EQ(0, pinned_pages(&v));
	EXPECT_EQ(self->pinned0 + n, v);
	ASSERT_EQ(0, live_regions(&v));
	EXPECT_EQ(regions0 + n, v);

	memcpy(sorted, h, n * sizeof(*h));
	for (i = 1; i < n; i++) {
		/* insertion sort: 1000 entries */
		uint64_t x = sorted[i];
		int j = i - 1;

		while (j >= 0 && sorted[j] > x) {
			sorted[j + 1] = sorted[j];
			j--;
		}
		sorted[j + 1] = x;
	}
	for (i = 1; i < n; i++)
		dups += sorted[i] == sorted[i - 1];
	EXPECT_EQ(0, dups);

	/* Every tenth region reads back its own bytes. */
	for (i = 0; i < n; i += 10) {
		memset(out, 0, sizeof(out));
		ASSERT_EQ(0, t_read(self->fd, out, sizeof(out), h[i], 0, NULL));
		ASSERT_EQ(sizeof(out), pat_check(out, sizeof(out), 44,
						 (uint64_t)i * ps + i % 17))
			TH_LOG("region %d", i);
	}

	/* Unregister half; the other half goes with the fd. */
	for (i = 0; i < n; i += 2)
		ASSERT_EQ(0, t_unregister(self->fd, h[i]));
	EXPECT_EQ(-ENOENT, t_unregister(self->fd, h[0]));
	EXPECT_EQ(0, t_read(self->fd, out, 1, h[1], 0, NULL));
	EXPECT_EQ(0, counter_wait(pinned_pages, self->pinned0 + n / 2,
				  SETTLE_MS, &v));
	EXPECT_EQ(0, counter_wait(live_regions, regions0 + n / 2, SETTLE_MS,
				  &v));

	close(self->fd);
	self->fd = -1;
	EXPECT_EQ(0, counter_wait(pinned_pages, self->pinned0, SETTLE_MS, &v))
		TH_LOG("pinned_pages %" PRId64 ", was %" PRId64, v,
		       self->pinned0);
	EXPECT_EQ(0, counter_wait(live_regions, regions0, SETTLE_MS, &v));
	EXPECT_EQ(0, counter_wait(foll_pins, self->foll0, SETTLE_MS, &v))
		TH_LOG("FOLL_PIN pins %" PRId64 ", was %" PRId64, v,
		       self->foll0);
	free(h);
	free(sorted);
}

/*
 * The owner's munmap() does not take the pages from the region: a peer
 * still reads the bytes that were there when it was registered, not what
 * is mapped at that address now (as with RDMA memory regions).
 */
TEST_F(region, munmap_keeps_pinned_pages)
{
	size_t ps = self->ps, len = 4 * ps - 3;
	uint64_t h, copied;
	uint8_t *p, *q, *out;
	int fd2;

	out = self->buf + 8 * ps;
	p = mmap(NULL, 4 * ps, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, p);
	pat_fill(p, 4 * ps, 45, 0);
	ASSERT_EQ(0, t_register(self->fd, PTR(p + 3), len,
				IPCOFF_REGION_WRITABLE, &h));
	ASSERT_EQ(0, munmap(p, 4 * ps));
	/* Something else at the same address. */
	q = mmap(p, 4 * ps, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
	ASSERT_EQ(p, q);
	memset(q, 0x77, 4 * ps);

	fd2 = t_open();
	ASSERT_LE(0, fd2);
	memset(out, 0, len);
	ASSERT_EQ(0, t_read(fd2, out, len, h, 0, &copied));
	EXPECT_EQ(len, copied);
	EXPECT_EQ(len, pat_check(out, len, 45, 3));
	memset(out, 0, len);
	ASSERT_EQ(0, t_read(self->fd, out, len, h, 0, &copied));
	EXPECT_EQ(len, pat_check(out, len, 45, 3));

	/* Writes land in the pinned pages, not in the new mapping. */
	pat_fill(out, 100, 46, 0);
	ASSERT_EQ(0, t_write(fd2, h, 50, out, 100, &copied));
	EXPECT_EQ(100, copied);
	EXPECT_EQ(4 * ps, mem_check_byte(q, 4 * ps, 0x77));
	memset(out, 0, 200);
	ASSERT_EQ(0, t_read(fd2, out, 200, h, 0, NULL));
	EXPECT_EQ(50, pat_check(out, 50, 45, 3));
	EXPECT_EQ(100, pat_check(out + 50, 100, 46, 0));
	EXPECT_EQ(50, pat_check(out + 150, 50, 45, 153));

	EXPECT_EQ(0, t_unregister(self->fd, h));
	close(fd2);
	munmap(q, 4 * ps);
}

TEST_HARNESS_MAIN
