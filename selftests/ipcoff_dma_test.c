// SPDX-License-Identifier: GPL-2.0
/*
 * The dma engine against the test provider (selftests/dmaprov), in both
 * personalities: ioat-like (in order, prep holds the channel lock) and
 * idxd-like (out of order, no completion without an interrupt request).
 *
 * Each test loads the provider, asks ipcoff to rescan for channels, and at
 * the end releases them and unloads the provider again, so the provider
 * is always loaded after ipcoff (the rescan path) and unloaded first (the
 * release path).
 */
#include "dmaprov.h"

#define IPCOFF_KO	"/ipcoff.ko"
#define PROV_CHANS	2
#define MIB		(1UL << 20)

static int prov_load(const char *params)
{
	return module_load(PROV_KO, params);
}

FIXTURE(dma) {
	const char *skip;
	int fd;
	size_t len;
	uint8_t *src, *dst;
	uint64_t hs, hd;
};

FIXTURE_VARIANT(dma) {
	const char *personality;
	int dma_bits;
};

FIXTURE_VARIANT_ADD(dma, ioat) {
	.personality = "ioat",
	.dma_bits = 64,
};

FIXTURE_VARIANT_ADD(dma, idxd) {
	.personality = "idxd",
	.dma_bits = 64,
};

/* A 32-bit device: in a guest with memory above 4 GiB, swiotlb bounces. */
FIXTURE_VARIANT_ADD(dma, idxd_dma32) {
	.personality = "idxd",
	.dma_bits = 32,
};

/* Two 16 MiB + 1 page regions in 4 KiB pages. */
/* dma_auto_min as the test found it (0: the scheduler's model decides). */
static char auto_min_saved[32] = "0";

FIXTURE_SETUP(dma)
{
	char params[96];
	int64_t chans = -1;

	if (read_text(IPCOFF_PARAMS "dma_auto_min", auto_min_saved,
		      sizeof(auto_min_saved)) <= 0)
		strcpy(auto_min_saved, "0");
	self->skip = NULL;
	self->fd = -1;
	if (access(PROV_KO, R_OK)) {
		self->skip = "no test provider module in this guest";
		return;
	}
	/* A previous test's leftovers: none expected, but never stack. */
	write_text(IPCOFF_SYSFS "/dma_release", "1");
	prov_unload();

	snprintf(params, sizeof(params), "personality=%s channels=%d dma_bits=%d",
		 variant->personality, PROV_CHANS, variant->dma_bits);
	ASSERT_EQ(0, prov_load(params));
	ASSERT_EQ(0, write_text(IPCOFF_SYSFS "/dma_rescan", "1"));
	ASSERT_EQ(0, read_u64_file(IPCOFF_SYSFS "/dma_chans", &chans));
	ASSERT_EQ(PROV_CHANS, chans);

	self->len = 16 * MIB + page_size();
	self->src = mmap(NULL, self->len, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	self->dst = mmap(NULL, self->len, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, self->src);
	ASSERT_NE(MAP_FAILED, self->dst);
	/* 4 KiB pages: every page its own descriptor without an IOMMU. */
	madvise(self->src, self->len, MADV_NOHUGEPAGE);
	madvise(self->dst, self->len, MADV_NOHUGEPAGE);
	pat_fill(self->src, self->len, 31, 0);
	memset(self->dst, 0, self->len);

	self->fd = t_open();
	ASSERT_LE(0, self->fd);
	ASSERT_EQ(0, t_register(self->fd, PTR(self->src), self->len, 0,
				&self->hs));
	ASSERT_EQ(0, t_register(self->fd, PTR(self->dst), self->len,
				IPCOFF_REGION_WRITABLE, &self->hd));
}

FIXTURE_TEARDOWN(dma)
{
	if (self->skip)
		return;
	if (self->fd >= 0)
		close(self->fd);
	prov_set("stall", "0");
	prov_set("fail_nth", "0");
	write_text(IPCOFF_PARAMS "dma_timeout_ms", "5000");
	write_text(IPCOFF_PARAMS "dma_auto_min", auto_min_saved);
	write_text(IPCOFF_PARAMS "dma_max_xfer", "2097152");
	/* The provider goes only after ipcoff let its channels go. */
	write_text(IPCOFF_SYSFS "/dma_release", "1");
	if (prov_unload())
		TH_LOG("cannot unload the provider: %s", strerror(errno));
}

static int dma_copy(int fd, uint64_t hd, uint64_t doff, uint64_t hs,
		    uint64_t soff, uint64_t len, uint32_t flags,
		    struct ipcoff_copy *c)
{
	memset(c, 0, sizeof(*c));
	c->len = len;
	c->flags = flags;
	c->engine = IPCOFF_ENGINE_DMA;
	ep_region(&c->src, hs, soff);
	ep_region(&c->dst, hd, doff);
	return t_copy(fd, c);
}

TEST_F_TIMEOUT(dma, sizes_and_offsets, 300)
{
	static const struct { uint64_t len, soff, doff; } cases[] = {
		{ 1, 0, 0 }, { 4095, 1, 4094 }, { 4097, 3, 0 },
		{ 65536 + 3, 100, 4097 }, { MIB, 0, 0 }, { MIB + 5, 7, 4099 },
		{ 16 * MIB, 4096, 1 },
	};
	struct ipcoff_info info;
	struct ipcoff_stats st;
	struct ipcoff_copy c;
	unsigned int i;

	SKIP_IF_SET(self->skip);
	ASSERT_EQ(0, t_info(self->fd, &info));
	ASSERT_TRUE(info.engines & (1U << IPCOFF_ENGINE_DMA));

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int64_t req0 = dma_stat("requests"), bytes0 = dma_stat("bytes");
		int64_t desc0 = dma_stat("descriptors");
		int64_t fb0 = dma_stat("fallbacks");

		memset(self->dst, 0, self->len);
		ASSERT_EQ(0, dma_copy(self->fd, self->hd, cases[i].doff,
				      self->hs, cases[i].soff, cases[i].len, 0,
				      &c)) TH_LOG("case %u", i);
		EXPECT_EQ(cases[i].len, c.copied);
		EXPECT_EQ(IPCOFF_ENGINE_DMA, c.engine);
		EXPECT_EQ(cases[i].len, pat_check(self->dst + cases[i].doff,
						  cases[i].len, 31,
						  cases[i].soff))
			TH_LOG("case %u", i);
		/* Nothing outside the destination range was touched. */
		EXPECT_EQ(cases[i].doff, mem_check_byte(self->dst, cases[i].doff,
							0));
		EXPECT_EQ(req0 + 1, dma_stat("requests"));
		EXPECT_EQ(bytes0 + (int64_t)cases[i].len, dma_stat("bytes"));
		EXPECT_LT(desc0, dma_stat("descriptors"));
		/* An idle engine takes every piece: none left to the CPU. */
		EXPECT_EQ(fb0, dma_stat("fallbacks"));
	}
	/* The STATS ioctl tells the same as sysfs. */
	memset(&st, 0, sizeof(st));
	ASSERT_EQ(0, t_ioctl(self->fd, IPCOFF_IOC_STATS, &st));
	EXPECT_EQ(dma_stat("requests"), (int64_t)st.engine[IPCOFF_ENGINE_DMA].requests);
	EXPECT_EQ(dma_stat("bytes"), (int64_t)st.engine[IPCOFF_ENGINE_DMA].bytes);
	EXPECT_EQ(dma_stat("descriptors"),
		  (int64_t)st.engine[IPCOFF_ENGINE_DMA].descriptors);
	EXPECT_EQ(PROV_CHANS, st.dma_chans);
}

/*
 * Registers @src and @dst, copies @len bytes between them on the dma
 * engine, checks the bytes and unregisters: the descriptors it took.
 */
static int64_t dma_descriptors(struct __test_metadata *_metadata, int fd,
			       uint8_t *src, uint8_t *dst, size_t len)
{
	uint64_t hs = 0, hd = 0;
	struct ipcoff_copy c;
	int64_t d0, used;

	pat_fill(src, len, 32, 0);
	EXPECT_EQ(0, t_register(fd, PTR(src), len, 0, &hs));
	EXPECT_EQ(0, t_register(fd, PTR(dst), len, IPCOFF_REGION_WRITABLE,
				&hd));
	d0 = dma_stat("descriptors");
	EXPECT_EQ(0, dma_copy(fd, hd, 0, hs, 0, len, 0, &c));
	used = dma_stat("descriptors") - d0;
	EXPECT_EQ(used, c.descriptors);
	EXPECT_EQ(len, pat_check(dst, len, 32, 0));
	EXPECT_EQ(0, t_unregister(fd, hs));
	EXPECT_EQ(0, t_unregister(fd, hd));
	return used;
}

/* Whether this guest may bounce DMA through swiotlb for the provider. */
static bool bouncing(int dma_bits)
{
	char cmdline[1024] = "";

	read_text("/proc/cmdline", cmdline, sizeof(cmdline));
	return dma_bits == 32 || strstr(cmdline, "swiotlb=force");
}

/*
 * A source region that was bounced is never written back: the owner's
 * later writes survive the unmapping at unregister (a whole-region sync
 * at unmap would copy the stale bounce buffer over them).
 */
TEST_F_TIMEOUT(dma, no_stale_write_back, 120)
{
	const size_t len = 256 * 1024;
	uint64_t hs = 0, hd = 0;
	struct ipcoff_copy c;
	uint8_t *src, *dst;
	int64_t pinned0, v;

	SKIP_IF_SET(self->skip);
	ASSERT_EQ(0, counter_settle(pinned_pages, &pinned0));
	src = mmap(NULL, 2 * len, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, src);
	dst = src + len;
	pat_fill(src, len, 34, 0);
	ASSERT_EQ(0, t_register(self->fd, PTR(src), len, 0, &hs));
	ASSERT_EQ(0, t_register(self->fd, PTR(dst), len,
				IPCOFF_REGION_WRITABLE, &hd));
	ASSERT_EQ(0, dma_copy(self->fd, hd, 0, hs, 0, len, 0, &c));
	EXPECT_EQ(len, pat_check(dst, len, 34, 0));
	/* The owners write again, then let the regions go. */
	memset(src, 0x77, len);
	memset(dst, 0x66, len);
	EXPECT_EQ(0, t_unregister(self->fd, hs));
	EXPECT_EQ(0, t_unregister(self->fd, hd));
	EXPECT_EQ(0, counter_wait(pinned_pages, pinned0, SETTLE_MS, &v));
	EXPECT_EQ(len, mem_check_byte(src, len, 0x77));
	EXPECT_EQ(len, mem_check_byte(dst, len, 0x66));
	munmap(src, 2 * len);
}

/* The largest size the engine is tested at, from odd offsets. */
TEST_F_TIMEOUT(dma, copy_64mib, 300)
{
	const size_t len = 64 * MIB, map_len = len + 2 * page_size();
	uint64_t hs = 0, hd = 0;
	struct ipcoff_copy c;
	uint8_t *src, *dst;
	int ret;

	SKIP_IF_SET(self->skip);
	src = mmap(NULL, map_len, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	dst = mmap(NULL, map_len, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, src);
	ASSERT_NE(MAP_FAILED, dst);
	pat_fill(src, map_len, 33, 0);
	memset(dst, 0, map_len);
	ASSERT_EQ(0, t_register(self->fd, PTR(src), map_len, 0, &hs));
	ASSERT_EQ(0, t_register(self->fd, PTR(dst), map_len,
				IPCOFF_REGION_WRITABLE, &hd));
	ret = dma_copy(self->fd, hd, 5, hs, 11, len, 0, &c);
	if (ret && bouncing(variant->dma_bits)) {
		/*
		 * Bounced through swiotlb (a 32-bit device with memory above
		 * 4 GiB, or swiotlb=force), whose 64 MiB pool cannot hold
		 * these regions: a forced copy is refused untouched, an
		 * automatic one goes to the CPU.
		 */
		EXPECT_EQ(-ENOMEM, ret);
		EXPECT_EQ(0, c.copied);
		EXPECT_EQ(map_len, mem_check_byte(dst, map_len, 0));
		c.engine = IPCOFF_ENGINE_AUTO;
		ret = t_copy(self->fd, &c);
		EXPECT_EQ(IPCOFF_ENGINE_CPU, c.engine);
	}
	ASSERT_EQ(0, ret);
	EXPECT_EQ(len, c.copied);
	if (!bouncing(variant->dma_bits)) {
		EXPECT_EQ(IPCOFF_ENGINE_DMA, c.engine);
	}
	EXPECT_EQ(len, pat_check(dst + 5, len, 33, 11));
	EXPECT_EQ(5, mem_check_byte(dst, 5, 0));
	EXPECT_EQ(map_len - len - 5, mem_check_byte(dst + 5 + len,
						     map_len - len - 5, 0));
	EXPECT_EQ(0, t_unregister(self->fd, hs));
	EXPECT_EQ(0, t_unregister(self->fd, hd));
	munmap(src, map_len);
	munmap(dst, map_len);
}

TEST_F_TIMEOUT(dma, hugetlb_needs_fewer_descriptors, 300)
{
	size_t hlen = 4 * MIB, map_len;
	uint8_t *hsrc, *hdst;
	int64_t small, huge;

	SKIP_IF_SET(self->skip);
	/*
	 * 4 KiB pages that are not physically contiguous: fault them in
	 * from the last page down, so ascending frames land at descending
	 * addresses and no two neighbours merge into one segment.
	 */
	hsrc = mmap(NULL, hlen, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	hdst = mmap(NULL, hlen, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, hsrc);
	ASSERT_NE(MAP_FAILED, hdst);
	madvise(hsrc, hlen, MADV_NOHUGEPAGE);
	madvise(hdst, hlen, MADV_NOHUGEPAGE);
	for (map_len = hlen; map_len; map_len -= page_size()) {
		hsrc[map_len - 1] = 1;
		hdst[map_len - 1] = 1;
	}
	small = dma_descriptors(_metadata, self->fd, hsrc, hdst, hlen);
	munmap(hsrc, hlen);
	munmap(hdst, hlen);

	hsrc = mem_map(MEM_HUGE_ANON, hlen, &map_len);
	hdst = mem_map(MEM_HUGE_ANON, hlen, &map_len);
	ASSERT_NE(NULL, hsrc);
	ASSERT_NE(NULL, hdst);
	huge = dma_descriptors(_metadata, self->fd, hsrc, hdst, hlen);
	munmap(hsrc, map_len);
	munmap(hdst, map_len);

	TH_LOG("4 MiB: %lld descriptors in 4 KiB pages, %lld in huge pages",
	       (long long)small, (long long)huge);
	EXPECT_LE(huge * 4, small);
}

/* Local iovecs are pinned at submit and then copied by the engine. */
TEST_F_TIMEOUT(dma, iovec_endpoints, 120)
{
	static const size_t seg[] = { 1, 4095, 0, 3 * 4096 + 7, 65536, 13 };
	size_t at[ARRAY_SIZE(seg)], total = 0, pos = 3, k;
	struct ipcoff_iovec iov[ARRAY_SIZE(seg)];
	const size_t blen = 2 * MIB;
	int64_t pinned0, v, d0;
	struct ipcoff_copy c;
	uint8_t *buf, *hole;

	SKIP_IF_SET(self->skip);
	ASSERT_EQ(0, counter_settle(pinned_pages, &pinned0));
	buf = mmap(NULL, blen, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, buf);
	/* Segments at odd addresses with gaps, one of them empty. */
	for (k = 0; k < ARRAY_SIZE(seg); k++) {
		at[k] = pos;
		iov[k].base = PTR(buf + pos);
		iov[k].len = seg[k];
		pat_fill(buf + pos, seg[k], 40, total);
		total += seg[k];
		pos += seg[k] + 100;
	}

	/* iovec -> region */
	memset(&c, 0, sizeof(c));
	c.len = total;
	c.engine = IPCOFF_ENGINE_DMA;
	ep_iov(&c.src, iov, ARRAY_SIZE(seg));
	ep_region(&c.dst, self->hd, 5);
	d0 = dma_stat("descriptors");
	ASSERT_EQ(0, t_copy(self->fd, &c));
	EXPECT_EQ(IPCOFF_ENGINE_DMA, c.engine);
	EXPECT_EQ(total, c.copied);
	EXPECT_EQ(dma_stat("descriptors") - d0, c.descriptors);
	EXPECT_LE(ARRAY_SIZE(seg) - 1, c.descriptors);
	EXPECT_EQ(total, pat_check(self->dst + 5, total, 40, 0));

	/* region -> iovec: the segments fill, the gaps stay as they were. */
	memset(buf, 0xa5, blen);
	c.engine = IPCOFF_ENGINE_DMA;
	ep_region(&c.src, self->hs, 7);
	ep_iov(&c.dst, iov, ARRAY_SIZE(seg));
	ASSERT_EQ(0, t_copy(self->fd, &c));
	EXPECT_EQ(IPCOFF_ENGINE_DMA, c.engine);
	EXPECT_EQ(total, c.copied);
	for (pos = 7, k = 0; k < ARRAY_SIZE(seg); pos += seg[k], k++) {
		EXPECT_EQ(seg[k], pat_check(buf + at[k], seg[k], 31, pos))
			TH_LOG("segment %zu", k);
		EXPECT_EQ(0xa5, buf[at[k] + seg[k]]);
	}
	/* The transient pins went with the copies. */
	EXPECT_EQ(0, counter_wait(pinned_pages, pinned0, SETTLE_MS, &v))
		TH_LOG("pinned_pages %lld, baseline %lld", (long long)v,
		       (long long)pinned0);

	/* A hole in the iovec: forced dma pins first and copies nothing... */
	hole = mmap(NULL, page_size(), PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, hole);
	munmap(hole, page_size());
	iov[1].base = PTR(hole);
	memset(self->dst, 0, 2 * total);
	c.engine = IPCOFF_ENGINE_DMA;
	ep_iov(&c.src, iov, ARRAY_SIZE(seg));
	ep_region(&c.dst, self->hd, 0);
	EXPECT_EQ(-EFAULT, t_copy(self->fd, &c));
	EXPECT_EQ(0, c.copied);
	EXPECT_EQ(0, self->dst[0]);
	/* ...while auto, having chosen dma itself, copies up to the hole. */
	ASSERT_EQ(0, write_text(IPCOFF_PARAMS "dma_auto_min", "4096"));
	c.engine = IPCOFF_ENGINE_AUTO;
	EXPECT_EQ(-EFAULT, t_copy(self->fd, &c));
	ASSERT_EQ(0, write_text(IPCOFF_PARAMS "dma_auto_min", auto_min_saved));
	EXPECT_EQ(IPCOFF_ENGINE_CPU, c.engine);
	EXPECT_EQ(seg[0], c.copied);
	EXPECT_EQ(0, memcmp(self->dst, buf + at[0], seg[0]));
	EXPECT_EQ(0, counter_wait(pinned_pages, pinned0, SETTLE_MS, &v))
		TH_LOG("pinned_pages %lld, baseline %lld", (long long)v,
		       (long long)pinned0);
	munmap(buf, blen);
}

TEST_F_TIMEOUT(dma, forced_engine_errors, 120)
{
	struct ipcoff_copy c = { .len = 4096, .engine = IPCOFF_ENGINE_DMA };
	struct ipcoff_info info;

	SKIP_IF_SET(self->skip);
	/* Auto picks dma from the threshold up, cpu below it. */
	ASSERT_EQ(0, write_text(IPCOFF_PARAMS "dma_auto_min", "65536"));
	c.engine = IPCOFF_ENGINE_AUTO;
	ep_region(&c.src, self->hs, 0);
	ep_region(&c.dst, self->hd, 0);
	c.len = 65536;
	EXPECT_EQ(0, t_copy(self->fd, &c));
	EXPECT_EQ(IPCOFF_ENGINE_DMA, c.engine);
	c.engine = IPCOFF_ENGINE_AUTO;
	c.len = 65535;
	EXPECT_EQ(0, t_copy(self->fd, &c));
	EXPECT_EQ(IPCOFF_ENGINE_CPU, c.engine);
	ASSERT_EQ(0, write_text(IPCOFF_PARAMS "dma_auto_min", auto_min_saved));

	/* Without channels: not announced, forced dma fails, auto is cpu. */
	ASSERT_EQ(0, write_text(IPCOFF_SYSFS "/dma_release", "1"));
	ASSERT_EQ(0, t_info(self->fd, &info));
	EXPECT_FALSE(info.engines & (1U << IPCOFF_ENGINE_DMA));
	EXPECT_EQ(-ENODEV, dma_copy(self->fd, self->hd, 0, self->hs, 0, MIB,
				    0, &c));
	c.engine = IPCOFF_ENGINE_AUTO;
	EXPECT_EQ(0, t_copy(self->fd, &c));
	EXPECT_EQ(IPCOFF_ENGINE_CPU, c.engine);
	EXPECT_EQ(MIB, pat_check(self->dst, MIB, 31, 0));
}

TEST_F_TIMEOUT(dma, injected_errors, 120)
{
	static const char *const modes[] = { "write", "read" };
	struct ipcoff_copy c;
	unsigned int i;

	SKIP_IF_SET(self->skip);
	/*
	 * Pages that happen to be physically contiguous merge into one
	 * segment: a 1 MiB copy may then take fewer than three descriptors.
	 * One page per descriptor makes the third one exist.
	 */
	ASSERT_EQ(0, write_text(IPCOFF_PARAMS "dma_max_xfer", "4096"));
	for (i = 0; i < 2; i++) {
		int64_t err0 = dma_stat("errors"), fb0 = dma_stat("fallbacks");

		ASSERT_EQ(0, prov_set("fail_mode", modes[i]));
		/* The third descriptor of the next copy fails. */
		ASSERT_EQ(0, prov_set("fail_nth", "3"));
		memset(self->dst, 0, self->len);
		EXPECT_EQ(-EIO, dma_copy(self->fd, self->hd, 0, self->hs, 0,
					 MIB, 0, &c)) TH_LOG("%s", modes[i]);
		/* What arrived is a prefix, and it is right. */
		EXPECT_LT(c.copied, MIB);
		EXPECT_EQ(c.copied, pat_check(self->dst, c.copied, 31, 0));
		EXPECT_EQ(err0 + 1, dma_stat("errors"));

		/* With the fallback flag, the CPU redoes the failed part. */
		ASSERT_EQ(0, prov_set("fail_nth", "3"));
		memset(self->dst, 0, self->len);
		EXPECT_EQ(0, dma_copy(self->fd, self->hd, 0, self->hs, 0, MIB,
				      IPCOFF_COPY_CPU_FALLBACK, &c));
		EXPECT_EQ(MIB, c.copied);
		EXPECT_EQ(MIB, pat_check(self->dst, MIB, 31, 0));
		EXPECT_LT(fb0, dma_stat("fallbacks"));
	}
}

TEST_F_TIMEOUT(dma, stall_times_out, 120)
{
	int64_t to0 = dma_stat("timeouts"), pinned0, v;
	struct ipcoff_copy c;

	SKIP_IF_SET(self->skip);
	ASSERT_EQ(0, write_text(IPCOFF_PARAMS "dma_timeout_ms", "300"));
	ASSERT_EQ(0, prov_set("stall", "1"));
	EXPECT_EQ(-ETIMEDOUT, dma_copy(self->fd, self->hd, 0, self->hs, 0,
				       MIB, 0, &c));
	EXPECT_EQ(to0 + 1, dma_stat("timeouts"));
	/* The stalled channels left the rotation. */
	ASSERT_EQ(0, read_u64_file(IPCOFF_SYSFS "/dma_chans", &v));
	EXPECT_GT(PROV_CHANS, v);

	/* Pages stay pinned while the engine may still write them... */
	ASSERT_EQ(0, pinned_pages(&pinned0));
	close(self->fd);
	self->fd = -1;
	msleep(200);
	ASSERT_EQ(0, pinned_pages(&v));
	EXPECT_LT(0, v);
	/* ...and go once it completes the late descriptors. */
	ASSERT_EQ(0, prov_set("stall", "0"));
	EXPECT_EQ(0, counter_wait(pinned_pages, 0, SETTLE_MS, &v))
		TH_LOG("pinned_pages %lld", (long long)v);
}

TEST_F_TIMEOUT(dma, provider_unload_needs_release, 120)
{
	int64_t v;

	SKIP_IF_SET(self->skip);
	/* dmaengine holds the provider while ipcoff holds its channels:
	 * delete_module() refuses a module in use (rmmod says so). */
	EXPECT_EQ(-EWOULDBLOCK, prov_unload());
	ASSERT_EQ(0, write_text(IPCOFF_SYSFS "/dma_release", "1"));
	ASSERT_EQ(0, read_u64_file(IPCOFF_SYSFS "/dma_chans", &v));
	EXPECT_EQ(0, v);
	EXPECT_EQ(0, prov_unload());
	/* Loaded again after ipcoff: a rescan finds it. */
	ASSERT_EQ(0, prov_load("channels=1"));
	ASSERT_EQ(0, write_text(IPCOFF_SYSFS "/dma_rescan", "1"));
	ASSERT_EQ(0, read_u64_file(IPCOFF_SYSFS "/dma_chans", &v));
	EXPECT_EQ(1, v);
}

/* The other order: ipcoff goes first and lets every channel go. */
TEST_F_TIMEOUT(dma, ipcoff_unload_first, 120)
{
	int64_t v;

	SKIP_IF_SET(self->skip);
	close(self->fd);
	self->fd = -1;
	ASSERT_EQ(0, counter_settle(pinned_pages, &v));
	ASSERT_EQ(0, module_unload("ipcoff"));
	EXPECT_EQ(0, prov_unload());
	/* Loaded again, ipcoff finds no channel; the provider comes back. */
	ASSERT_EQ(0, module_load(IPCOFF_KO, ""));
	ASSERT_EQ(0, read_u64_file(IPCOFF_SYSFS "/dma_chans", &v));
	EXPECT_EQ(0, v);
	ASSERT_EQ(0, prov_load("channels=1"));
	ASSERT_EQ(0, write_text(IPCOFF_SYSFS "/dma_rescan", "1"));
	ASSERT_EQ(0, read_u64_file(IPCOFF_SYSFS "/dma_chans", &v));
	EXPECT_EQ(1, v);
}

TEST_F_TIMEOUT(dma, killed_mid_copy, 180)
{
	int64_t pinned0, v;
	pid_t pid;

	SKIP_IF_SET(self->skip);
	ASSERT_EQ(0, counter_settle(pinned_pages, &pinned0));
	/* Slow descriptors, so the copier dies with work queued. */
	ASSERT_EQ(0, prov_set("latency_us", "2000"));
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		struct ipcoff_copy c;

		dma_copy(self->fd, self->hd, 0, self->hs, 0, 16 * MIB, 0, &c);
		_exit(0);
	}
	msleep(300);
	ASSERT_EQ(0, kill(pid, SIGKILL));
	ASSERT_EQ(pid, waitpid(pid, NULL, 0));
	close(self->fd);
	self->fd = -1;
	ASSERT_EQ(0, prov_set("latency_us", "0"));
	EXPECT_EQ(0, counter_wait(pinned_pages, 0, 60000, &v))
		TH_LOG("pinned_pages %lld, baseline %lld", (long long)v,
		       (long long)pinned0);
}

TEST_F_TIMEOUT(dma, concurrent_processes, 300)
{
	const int procs = 32;
	size_t piece = self->len / procs & ~(size_t)4095;
	int i, status;

	SKIP_IF_SET(self->skip);
	for (i = 0; i < procs; i++) {
		pid_t pid = fork();

		ASSERT_LE(0, pid);
		if (!pid) {
			struct ipcoff_copy c;
			int ret;

			ret = dma_copy(self->fd, self->hd, i * piece + 1,
				       self->hs, i * piece, piece - 1, 0, &c);
			_exit(ret || c.copied != piece - 1);
		}
	}
	for (i = 0; i < procs; i++) {
		ASSERT_LT(0, wait(&status));
		EXPECT_TRUE(WIFEXITED(status) && !WEXITSTATUS(status));
	}
	for (i = 0; i < procs; i++)
		EXPECT_EQ(piece - 1, pat_check(self->dst + i * piece + 1,
					       piece - 1, 31, i * piece))
			TH_LOG("process %d", i);
}

TEST_HARNESS_MAIN
