// SPDX-License-Identifier: GPL-2.0
/*
 * COPY: between processes at every size that matters to page handling,
 * unaligned on both sides, through scattered iovecs, by a third process,
 * by eight processes at once; and every way a copy can be refused, with
 * the bytes that did (or did not) arrive checked each time.
 */
#include "common.h"
#include "agent.h"

#include <ipcoff.h>

/* ------------------------------------------------------------------ */
/* Two processes: the agent registers, the test copies.                */

FIXTURE(xproc) {
	int fd;
	struct agent peer;
	uint8_t *buf;		/* len + one page */
	size_t buf_len;
};

FIXTURE_VARIANT(xproc) {
	size_t len;
};

FIXTURE_VARIANT_ADD(xproc, b1) { .len = 1, };
FIXTURE_VARIANT_ADD(xproc, b4095) { .len = 4095, };
FIXTURE_VARIANT_ADD(xproc, b4096) { .len = 4096, };
FIXTURE_VARIANT_ADD(xproc, b4097) { .len = 4097, };
FIXTURE_VARIANT_ADD(xproc, k64_plus3) { .len = (64 << 10) + 3, };
FIXTURE_VARIANT_ADD(xproc, m1) { .len = 1 << 20, };
FIXTURE_VARIANT_ADD(xproc, m16) { .len = 16 << 20, };
FIXTURE_VARIANT_ADD(xproc, m64) { .len = 64 << 20, };

FIXTURE_SETUP(xproc)
{
	self->fd = t_open();
	ASSERT_LE(0, self->fd);
	self->buf_len = round_up_sz(variant->len, page_size()) + page_size();
	self->buf = mmap(NULL, self->buf_len, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, self->buf);
	AGENT_START(&self->peer, 0);
}

FIXTURE_TEARDOWN(xproc)
{
	agent_kill(&self->peer);
	if (self->fd >= 0)
		close(self->fd);
}

/* The peer's region -> our memory. */
TEST_F_TIMEOUT(xproc, region_to_iovec, 180)
{
	size_t len = variant->len;
	struct ipcoff_iovec iov = { .base = PTR(self->buf), .len = len + 64 };
	struct ipcoff_copy c = { .len = len, .engine = IPCOFF_ENGINE_AUTO };
	struct agent_rep r;
	uint64_t h;

	r = AG(&self->peer, AG_REGISTER, len, 0, 51, 0, MEM_ANON);
	ASSERT_EQ(0, r.ret);
	h = r.v[0];
	ASSERT_NE(0, h);

	memset(self->buf, 0xa5, len + 64);
	ep_region(&c.src, h, 0);
	ep_iov(&c.dst, &iov, 1);
	ASSERT_EQ(0, t_copy(self->fd, &c));
	EXPECT_EQ(len, c.copied);
	EXPECT_EQ(IPCOFF_ENGINE_CPU, c.engine);
	EXPECT_EQ(len, pat_check(self->buf, len, 51, 0));
	/* The iovec is longer than len: the rest is left alone. */
	EXPECT_EQ(64, mem_check_byte(self->buf + len, 64, 0xa5));

	r = AG(&self->peer, AG_UNREGISTER, h);
	EXPECT_EQ(0, r.ret);
	EXPECT_EQ(-ENOENT, t_read(self->fd, self->buf, len, h, 0, NULL));
	EXPECT_EQ(0, agent_stop(&self->peer));
}

/* Our memory -> the peer's region; the peer checks its memory. */
TEST_F_TIMEOUT(xproc, iovec_to_region, 180)
{
	size_t len = variant->len;
	struct ipcoff_iovec iov = { .base = PTR(self->buf), .len = len };
	struct ipcoff_copy c = { .len = len, .engine = IPCOFF_ENGINE_CPU };
	struct agent_rep r;
	uint64_t h;

	r = AG(&self->peer, AG_REGISTER, len, IPCOFF_REGION_WRITABLE, 52, 0,
	       MEM_ANON);
	ASSERT_EQ(0, r.ret);
	h = r.v[0];

	pat_fill(self->buf, len, 53, 0);
	ep_iov(&c.src, &iov, 1);
	ep_region(&c.dst, h, 0);
	ASSERT_EQ(0, t_copy(self->fd, &c));
	EXPECT_EQ(len, c.copied);
	EXPECT_EQ(IPCOFF_ENGINE_CPU, c.engine);
	r = AG(&self->peer, AG_CHECK, h, 0, len, 53, 0);
	EXPECT_EQ(1, r.v[1]);
	EXPECT_EQ(0, agent_stop(&self->peer));
}

/* The peer's region -> our region, and ours -> another of the peer's. */
TEST_F_TIMEOUT(xproc, region_to_region, 180)
{
	size_t len = variant->len;
	struct agent_rep r;
	uint64_t hs, hw, own, copied;

	r = AG(&self->peer, AG_REGISTER, len, 0, 54, 0, MEM_ANON);
	ASSERT_EQ(0, r.ret);
	hs = r.v[0];
	r = AG(&self->peer, AG_REGISTER, len, IPCOFF_REGION_WRITABLE, 55, 0,
	       MEM_ANON);
	ASSERT_EQ(0, r.ret);
	hw = r.v[0];
	memset(self->buf, 0, len);
	ASSERT_EQ(0, t_register(self->fd, PTR(self->buf), len,
				IPCOFF_REGION_WRITABLE, &own));

	ASSERT_EQ(0, t_copy_rr(self->fd, own, 0, hs, 0, len, &copied));
	EXPECT_EQ(len, copied);
	EXPECT_EQ(len, pat_check(self->buf, len, 54, 0));

	pat_fill(self->buf, len, 56, 0);
	ASSERT_EQ(0, t_copy_rr(self->fd, hw, 0, own, 0, len, &copied));
	EXPECT_EQ(len, copied);
	r = AG(&self->peer, AG_CHECK, hw, 0, len, 56, 0);
	EXPECT_EQ(1, r.v[1]);
	/* The peer's read-only region was never written. */
	r = AG(&self->peer, AG_CHECK, hs, 0, len, 54, 0);
	EXPECT_EQ(1, r.v[1]);
	EXPECT_EQ(0, t_unregister(self->fd, own));
	EXPECT_EQ(0, agent_stop(&self->peer));
}

/* ------------------------------------------------------------------ */
/* Unaligned addresses and offsets on both sides.                      */

FIXTURE(unaligned) {
	int fd;
	uint8_t *smap, *dmap, *out;
	size_t smap_len, dmap_len, out_len;
	uint8_t *src, *dst;	/* region starts */
	uint64_t src_len, dst_len, hs, hd;
};

FIXTURE_VARIANT(unaligned) {
	size_t src_addr_off;	/* region start in its page */
	size_t src_off;		/* copy offset in the source region */
	size_t dst_addr_off;
	size_t dst_off;
	size_t len;
};

FIXTURE_VARIANT_ADD(unaligned, a) {
	.src_addr_off = 1, .src_off = 0, .dst_addr_off = 3, .dst_off = 0,
	.len = 4093,
};

FIXTURE_VARIANT_ADD(unaligned, b) {
	.src_addr_off = 4095, .src_off = 1, .dst_addr_off = 0,
	.dst_off = 4095, .len = 2,
};

FIXTURE_VARIANT_ADD(unaligned, c) {
	.src_addr_off = 7, .src_off = 4096 + 5, .dst_addr_off = 4090,
	.dst_off = 3, .len = 10000,
};

FIXTURE_VARIANT_ADD(unaligned, d) {
	.src_addr_off = 0, .src_off = 4095, .dst_addr_off = 1,
	.dst_off = 8193, .len = (64 << 10) + 11,
};

FIXTURE_VARIANT_ADD(unaligned, e) {
	.src_addr_off = 2049, .src_off = 3, .dst_addr_off = 4094,
	.dst_off = 1, .len = (1 << 20) + 7,
};

FIXTURE_SETUP(unaligned)
{
	size_t ps = page_size();

	self->fd = t_open();
	ASSERT_LE(0, self->fd);
	self->src_len = variant->src_off + variant->len + 13;
	self->dst_len = variant->dst_off + variant->len + 17;
	self->smap_len = round_up_sz(variant->src_addr_off + self->src_len, ps);
	self->dmap_len = round_up_sz(variant->dst_addr_off + self->dst_len, ps);
	self->out_len = round_up_sz(variant->len + 64, ps);
	self->smap = mmap(NULL, self->smap_len, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	self->dmap = mmap(NULL, self->dmap_len, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	self->out = mmap(NULL, self->out_len, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, self->smap);
	ASSERT_NE(MAP_FAILED, self->dmap);
	ASSERT_NE(MAP_FAILED, self->out);
	self->src = self->smap + variant->src_addr_off;
	self->dst = self->dmap + variant->dst_addr_off;
	pat_fill(self->smap, self->smap_len, 61, 0);
	pat_fill(self->dmap, self->dmap_len, 62, 0);
	ASSERT_EQ(0, t_register(self->fd, PTR(self->src), self->src_len,
				0, &self->hs));
	ASSERT_EQ(0, t_register(self->fd, PTR(self->dst), self->dst_len,
				IPCOFF_REGION_WRITABLE, &self->hd));
}

FIXTURE_TEARDOWN(unaligned)
{
	close(self->fd);
}

TEST_F_TIMEOUT(unaligned, region_to_region, 120)
{
	size_t len = variant->len, doff = variant->dst_off;
	uint64_t copied;

	ASSERT_EQ(0, t_copy_rr(self->fd, self->hd, doff, self->hs,
			       variant->src_off, len, &copied));
	EXPECT_EQ(len, copied);
	/* Before, inside and after the destination range. */
	EXPECT_EQ(doff, pat_check(self->dst, doff, 62,
				  variant->dst_addr_off));
	EXPECT_EQ(len, pat_check(self->dst + doff, len, 61,
				 variant->src_addr_off + variant->src_off));
	EXPECT_EQ(self->dmap_len - variant->dst_addr_off - doff - len,
		  pat_check(self->dst + doff + len,
			    self->dmap_len - variant->dst_addr_off - doff - len,
			    62, variant->dst_addr_off + doff + len));
}

TEST_F_TIMEOUT(unaligned, iovec_both_ways, 120)
{
	size_t len = variant->len, doff = variant->dst_off;
	size_t lead = (variant->src_addr_off + variant->dst_addr_off) % 61 + 1;
	uint64_t copied;

	/* Region -> memory at an odd address. */
	memset(self->out, 0xa5, self->out_len);
	ASSERT_EQ(0, t_read(self->fd, self->out + lead, len, self->hs,
			    variant->src_off, &copied));
	EXPECT_EQ(len, copied);
	EXPECT_EQ(lead, mem_check_byte(self->out, lead, 0xa5));
	EXPECT_EQ(len, pat_check(self->out + lead, len, 61,
				 variant->src_addr_off + variant->src_off));
	EXPECT_EQ(self->out_len - lead - len,
		  mem_check_byte(self->out + lead + len,
				 self->out_len - lead - len, 0xa5));

	/* Memory at an odd address -> region at an odd offset. */
	pat_fill(self->out + lead, len, 63, 0);
	ASSERT_EQ(0, t_write(self->fd, self->hd, doff, self->out + lead, len,
			     &copied));
	EXPECT_EQ(len, copied);
	EXPECT_EQ(doff, pat_check(self->dst, doff, 62,
				  variant->dst_addr_off));
	EXPECT_EQ(len, pat_check(self->dst + doff, len, 63, 0));
	EXPECT_EQ(17, pat_check(self->dst + doff + len, 17, 62,
				variant->dst_addr_off + doff + len));
}

/* ------------------------------------------------------------------ */
/* One context with a source and a destination region of S bytes.      */

#define S	(64 << 10)
#define NPROC	8

FIXTURE(copy) {
	int fd;
	struct ipcoff_info info;
	size_t ps;
	uint8_t *smap, *dmap, *out;	/* S, S, 4 * S */
	uint64_t hs, hd;		/* smap read-only, dmap WRITABLE */
	struct agent ag[NPROC];
};

FIXTURE_SETUP(copy)
{
	self->fd = t_open();
	ASSERT_LE(0, self->fd);
	ASSERT_EQ(0, t_info(self->fd, &self->info));
	self->ps = page_size();
	self->smap = mmap(NULL, 6 * S, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, self->smap);
	self->dmap = self->smap + S;
	self->out = self->smap + 2 * S;
	pat_fill(self->smap, S, 71, 0);
	pat_fill(self->dmap, S, 72, 0);
	ASSERT_EQ(0, t_register(self->fd, PTR(self->smap), S, 0, &self->hs));
	ASSERT_EQ(0, t_register(self->fd, PTR(self->dmap), S,
				IPCOFF_REGION_WRITABLE, &self->hd));
}

FIXTURE_TEARDOWN(copy)
{
	int i;

	for (i = 0; i < NPROC; i++)
		agent_kill(&self->ag[i]);
	close(self->fd);
}

/* The destination region was not touched since setup. */
#define EXPECT_DST_INTACT() \
	EXPECT_EQ(S, pat_check(self->dmap, S, 72, 0))

TEST_F(copy, iovec_source_segments)
{
	static const size_t seg[] = { 1, 7, 4095, 3, 8193, 13, 4097, 1 };
	struct ipcoff_iovec iov[ARRAY_SIZE(seg)];
	struct ipcoff_copy c = { .engine = IPCOFF_ENGINE_AUTO };
	size_t total = 0, at = 5, k;

	/* Segments at odd addresses, with gaps, in stream order. */
	for (k = 0; k < ARRAY_SIZE(seg); k++) {
		iov[k].base = PTR(self->out + at);
		iov[k].len = seg[k];
		pat_fill(self->out + at, seg[k], 73, total);
		total += seg[k];
		at += seg[k] + 3 + k;
	}
	ep_iov(&c.src, iov, ARRAY_SIZE(seg));
	ep_region(&c.dst, self->hd, 5);
	c.len = total;
	ASSERT_EQ(0, t_copy(self->fd, &c));
	EXPECT_EQ(total, c.copied);
	EXPECT_EQ(5, pat_check(self->dmap, 5, 72, 0));
	EXPECT_EQ(total, pat_check(self->dmap + 5, total, 73, 0));
	EXPECT_EQ(S - 5 - total, pat_check(self->dmap + 5 + total,
					   S - 5 - total, 72, 5 + total));

	/* iovecs longer than len: only len bytes are taken. */
	pat_fill(self->dmap, S, 72, 0);
	c.len = total - 100;
	ASSERT_EQ(0, t_copy(self->fd, &c));
	EXPECT_EQ(total - 100, c.copied);
	EXPECT_EQ(total - 100, pat_check(self->dmap + 5, total - 100, 73, 0));
	EXPECT_EQ(S - 5 - (total - 100),
		  pat_check(self->dmap + 5 + total - 100, S - 5 - (total - 100),
			    72, 5 + total - 100));
}

TEST_F(copy, iovec_destination_segments)
{
	static const size_t seg[] = { 3, 4096, 1, 5, 4093, 8195, 2, 300 };
	struct ipcoff_iovec iov[ARRAY_SIZE(seg)];
	struct ipcoff_copy c = { .engine = IPCOFF_ENGINE_AUTO };
	size_t total = 0, at = 1, k, len;

	memset(self->out, 0xa5, 4 * S);
	for (k = 0; k < ARRAY_SIZE(seg); k++) {
		iov[k].base = PTR(self->out + at);
		iov[k].len = seg[k];
		total += seg[k];
		at += seg[k] + 1 + 2 * k;
	}
	/* The last segment is 200 bytes longer than needed. */
	len = total - 200;
	ep_region(&c.src, self->hs, 11);
	ep_iov(&c.dst, iov, ARRAY_SIZE(seg));
	c.len = len;
	ASSERT_EQ(0, t_copy(self->fd, &c));
	EXPECT_EQ(len, c.copied);

	total = 0;
	at = 1;
	for (k = 0; k < ARRAY_SIZE(seg); k++) {
		size_t want = total + seg[k] <= len ? seg[k] :
			      (total < len ? len - total : 0);
		size_t gap = 1 + 2 * k;

		EXPECT_EQ(want, pat_check(self->out + at, want, 71, 11 + total))
			TH_LOG("segment %zu", k);
		EXPECT_EQ(seg[k] - want, mem_check_byte(self->out + at + want,
							seg[k] - want, 0xa5))
			TH_LOG("segment %zu: bytes past len", k);
		EXPECT_EQ(gap, mem_check_byte(self->out + at + seg[k], gap,
					      0xa5))
			TH_LOG("gap after segment %zu", k);
		total += seg[k];
		at += seg[k] + gap;
	}
	EXPECT_EQ(1, mem_check_byte(self->out, 1, 0xa5));
}

TEST_F(copy, iovec_count_and_length)
{
	const unsigned int max = IPCOFF_IOV_MAX;
	struct ipcoff_iovec *iov;
	struct ipcoff_copy c = { .engine = IPCOFF_ENGINE_AUTO };
	unsigned int k;

	iov = calloc(max + 1, sizeof(*iov));
	ASSERT_NE(NULL, iov);
	/* IPCOFF_IOV_MAX one-byte segments, every other byte. */
	memset(self->out, 0xa5, 2 * (max + 1));
	for (k = 0; k <= max; k++) {
		iov[k].base = PTR(self->out + 2 * k);
		iov[k].len = 1;
	}
	ep_region(&c.src, self->hs, 0);
	ep_iov(&c.dst, iov, max);
	c.len = max;
	ASSERT_EQ(0, t_copy(self->fd, &c));
	EXPECT_EQ(max, c.copied);
	for (k = 0; k < max; k++) {
		ASSERT_EQ(pat_byte(71, k), self->out[2 * k]) TH_LOG("iov %u", k);
		ASSERT_EQ(0xa5, self->out[2 * k + 1]);
	}

	/* One too many, none, too few bytes: on either side. */
	memset(self->out, 0xa5, 2 * (max + 1));
	c.dst.iov_cnt = max + 1;
	c.len = max + 1;
	EXPECT_EQ(-EINVAL, t_copy(self->fd, &c));
	c.dst.iov_cnt = ~0U;
	EXPECT_EQ(-EINVAL, t_copy(self->fd, &c));
	c.dst.iov_cnt = 0;
	c.len = 1;
	EXPECT_EQ(-EINVAL, t_copy(self->fd, &c));
	c.dst.iov_cnt = 4;
	c.len = 5;
	EXPECT_EQ(-EINVAL, t_copy(self->fd, &c));
	EXPECT_EQ(2 * (max + 1), mem_check_byte(self->out, 2 * (max + 1),
						0xa5));

	ep_iov(&c.src, iov, max + 1);
	ep_region(&c.dst, self->hd, 0);
	c.len = max + 1;
	EXPECT_EQ(-EINVAL, t_copy(self->fd, &c));
	c.src.iov_cnt = 0;
	c.len = 1;
	EXPECT_EQ(-EINVAL, t_copy(self->fd, &c));
	c.src.iov_cnt = 3;
	c.len = 4;
	EXPECT_EQ(-EINVAL, t_copy(self->fd, &c));
	EXPECT_DST_INTACT();
	free(iov);
}

/* A destination iovec that faults: copied tells what arrived. */
TEST_F(copy, efault_destination)
{
	size_t ps = self->ps;
	struct ipcoff_iovec iov[2];
	struct ipcoff_copy c = { .engine = IPCOFF_ENGINE_AUTO };
	uint8_t *m;

	m = mmap(NULL, 3 * ps, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, m);
	ASSERT_EQ(0, munmap(m + 2 * ps, ps));

	/* The second segment is unmapped. */
	memset(self->out, 0xa5, 5000);
	iov[0] = (struct ipcoff_iovec){ PTR(self->out), 5000 };
	iov[1] = (struct ipcoff_iovec){ PTR(m + 2 * ps), ps };
	ep_region(&c.src, self->hs, 0);
	ep_iov(&c.dst, iov, 2);
	c.len = 5000 + ps;
	EXPECT_EQ(-EFAULT, t_copy(self->fd, &c));
	EXPECT_EQ(5000, c.copied);
	EXPECT_EQ(5000, pat_check(self->out, 5000, 71, 0));

	/* One segment running into the hole, from the middle of a page. */
	memset(m, 0xa5, 2 * ps);
	iov[0] = (struct ipcoff_iovec){ PTR(m + 100), 3 * ps - 100 };
	ep_region(&c.src, self->hs, 7);
	ep_iov(&c.dst, iov, 1);
	c.len = 3 * ps - 100;
	EXPECT_EQ(-EFAULT, t_copy(self->fd, &c));
	EXPECT_EQ(2 * ps - 100, c.copied);
	EXPECT_EQ(2 * ps - 100, pat_check(m + 100, 2 * ps - 100, 71, 7));

	/* Read-only memory: nothing arrives. */
	ASSERT_EQ(0, mprotect(m, 2 * ps, PROT_READ));
	iov[0] = (struct ipcoff_iovec){ PTR(m), 64 };
	c.len = 64;
	EXPECT_EQ(-EFAULT, t_copy(self->fd, &c));
	EXPECT_EQ(0, c.copied);

	/* Kernel memory. */
	iov[0] = (struct ipcoff_iovec){ KERNEL_ADDR, 64 };
	EXPECT_EQ(-EFAULT, t_copy(self->fd, &c));
	EXPECT_EQ(0, c.copied);

	/* The iovec array itself unreadable. */
	c.dst.iov = PTR(m + 2 * ps);
	EXPECT_EQ(-EFAULT, t_copy(self->fd, &c));
	EXPECT_EQ(0, c.copied);
	munmap(m, 2 * ps);
}

TEST_F(copy, efault_source)
{
	size_t ps = self->ps;
	struct ipcoff_iovec iov[2];
	struct ipcoff_copy c = { .engine = IPCOFF_ENGINE_AUTO };
	uint8_t *m;

	m = mmap(NULL, 2 * ps, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, m);
	ASSERT_EQ(0, munmap(m + ps, ps));

	pat_fill(self->out, 5000, 74, 0);
	iov[0] = (struct ipcoff_iovec){ PTR(self->out), 5000 };
	iov[1] = (struct ipcoff_iovec){ PTR(m + ps), ps };
	ep_iov(&c.src, iov, 2);
	ep_region(&c.dst, self->hd, 0);
	c.len = 5000 + ps;
	EXPECT_EQ(-EFAULT, t_copy(self->fd, &c));
	EXPECT_EQ(5000, c.copied);
	EXPECT_EQ(5000, pat_check(self->dmap, 5000, 74, 0));
	/*
	 * Only the bytes that arrived were written: a destination region is
	 * someone else's memory, a failed copy must not put bytes there that
	 * never were in the source (as copy_from_user()'s zero-fill of the
	 * uncopied tail would).
	 */
	EXPECT_EQ(S - 5000, pat_check(self->dmap + 5000, S - 5000, 72, 5000))
		TH_LOG("the region was written past 'copied'");

	pat_fill(self->dmap, S, 72, 0);
	ASSERT_EQ(0, mprotect(m, ps, PROT_NONE));
	iov[0] = (struct ipcoff_iovec){ PTR(m), 64 };
	ep_iov(&c.src, iov, 1);
	c.len = 64;
	EXPECT_EQ(-EFAULT, t_copy(self->fd, &c));
	EXPECT_EQ(0, c.copied);
	iov[0] = (struct ipcoff_iovec){ KERNEL_ADDR, 64 };
	EXPECT_EQ(-EFAULT, t_copy(self->fd, &c));
	EXPECT_EQ(0, c.copied);
	c.src.iov = PTR(m + ps);
	EXPECT_EQ(-EFAULT, t_copy(self->fd, &c));
	EXPECT_EQ(0, c.copied);
	EXPECT_DST_INTACT();
	munmap(m, ps);
}

/* Both endpoints in one region: only disjoint byte ranges. */
TEST_F(copy, same_region_overlap)
{
	static const struct { uint64_t src, dst, len; } bad[] = {
		{ 0, 0, 100 },		/* identical */
		{ 0, 50, 100 },		/* forward */
		{ 50, 0, 100 },		/* backward */
		{ 0, 99, 100 },		/* one byte */
		{ 100, 1, 100 },	/* one byte, the other way */
		{ 10, 0, S - 10 },	/* large */
		{ 4096, 4000, 8192 },
	};
	uint64_t copied;
	unsigned int k;

	for (k = 0; k < ARRAY_SIZE(bad); k++)
		EXPECT_EQ(-EINVAL, t_copy_rr(self->fd, self->hd, bad[k].dst,
					     self->hd, bad[k].src, bad[k].len,
					     NULL))
			TH_LOG("src %llu dst %llu len %llu",
			       (unsigned long long)bad[k].src,
			       (unsigned long long)bad[k].dst,
			       (unsigned long long)bad[k].len);
	EXPECT_DST_INTACT();

	/* Adjacent ranges, either order. */
	ASSERT_EQ(0, t_copy_rr(self->fd, self->hd, 100, self->hd, 0, 100,
			       &copied));
	EXPECT_EQ(100, copied);
	EXPECT_EQ(100, pat_check(self->dmap, 100, 72, 0));
	EXPECT_EQ(100, pat_check(self->dmap + 100, 100, 72, 0));
	EXPECT_EQ(S - 200, pat_check(self->dmap + 200, S - 200, 72, 200));

	ASSERT_EQ(0, t_copy_rr(self->fd, self->hd, 1000, self->hd,
			       1000 + 4097, 4097, &copied));
	EXPECT_EQ(4097, copied);
	EXPECT_EQ(4097, pat_check(self->dmap + 1000, 4097, 72, 1000 + 4097));
}

TEST_F(copy, offset_out_of_range)
{
	static const struct { uint64_t off, len; } bad[] = {
		{ S - 1, 2 }, { S, 1 }, { 0, S + 1 }, { S + 4096, 1 },
		{ ~0ULL, 1 }, { 1, ~0ULL }, { ~0ULL - 10, 20 },
	};
	uint64_t copied;
	unsigned int k;

	for (k = 0; k < ARRAY_SIZE(bad); k++) {
		EXPECT_EQ(-ERANGE, t_copy_rr(self->fd, self->hd, 0, self->hs,
					     bad[k].off, bad[k].len, NULL))
			TH_LOG("source off %llu len %llu",
			       (unsigned long long)bad[k].off,
			       (unsigned long long)bad[k].len);
		EXPECT_EQ(-ERANGE, t_copy_rr(self->fd, self->hd, bad[k].off,
					     self->hs, 0, bad[k].len, NULL))
			TH_LOG("destination off %llu len %llu",
			       (unsigned long long)bad[k].off,
			       (unsigned long long)bad[k].len);
	}
	/* With an iovec on the other side. */
	EXPECT_EQ(-ERANGE, t_read(self->fd, self->out, 2, self->hs, S - 1,
				  NULL));
	EXPECT_EQ(-ERANGE, t_write(self->fd, self->hd, S - 1, self->out, 2,
				   NULL));
	EXPECT_DST_INTACT();

	/* Up to the last byte is fine. */
	ASSERT_EQ(0, t_copy_rr(self->fd, self->hd, S - 100, self->hs, S - 100,
			       100, &copied));
	EXPECT_EQ(100, copied);
	EXPECT_EQ(100, pat_check(self->dmap + S - 100, 100, 71, S - 100));
}

/* The cpu engine reports the page pieces a copy was cut into. */
TEST_F(copy, descriptors_reported)
{
	struct ipcoff_copy c = { .len = 3 * self->ps,
				 .engine = IPCOFF_ENGINE_CPU };

	/* Page-aligned on both sides: one piece per page. */
	ep_region(&c.src, self->hs, 0);
	ep_region(&c.dst, self->hd, 0);
	ASSERT_EQ(0, t_copy(self->fd, &c));
	EXPECT_EQ(3, c.descriptors);
	/* One side off by a byte: every page boundary of either side cuts. */
	c.engine = IPCOFF_ENGINE_CPU;
	ep_region(&c.src, self->hs, 1);
	ASSERT_EQ(0, t_copy(self->fd, &c));
	EXPECT_EQ(6, c.descriptors);
	EXPECT_EQ(3 * self->ps, pat_check(self->dmap, 3 * self->ps, 71, 1));
}

TEST_F(copy, bad_arguments)
{
	struct ipcoff_iovec iov = { .base = PTR(self->out), .len = 256 };
	struct ipcoff_copy good = { .len = 256 }, c;

	ep_region(&good.src, self->hs, 0);
	ep_region(&good.dst, self->hd, 0);

#define COPY_EXPECT(err, change) do { \
	c = good; \
	change; \
	EXPECT_EQ(err, t_copy(self->fd, &c)) TH_LOG("%s", #change); \
} while (0)

	COPY_EXPECT(-EINVAL, c.flags = IPCOFF_COPY_FLAGS << 1);
	COPY_EXPECT(-EINVAL, c.flags = 0x80000000u);
	COPY_EXPECT(-EINVAL, c.qos = IPCOFF_QOS_MAX + 1);
	COPY_EXPECT(-EINVAL, c.qos = 1U << 31);
	/* Asynchronous-only flags and fields. */
	COPY_EXPECT(-EINVAL, c.flags = IPCOFF_COPY_LINK);
	COPY_EXPECT(-EINVAL, c.chunk_size = 4096);
	COPY_EXPECT(-EINVAL, (c.flags = IPCOFF_COPY_CHUNKED,
			      c.chunk_size = 4096));
	/* An output: whatever comes in is overwritten. */
	COPY_EXPECT(0, (ep_iov(&c.dst, &iov, 1), c.descriptors = ~0ULL));
	COPY_EXPECT(-EINVAL, c.len = 0);
	COPY_EXPECT(-EINVAL, c.src.type = 0);
	COPY_EXPECT(-EINVAL, c.src.type = 3);
	COPY_EXPECT(-EINVAL, c.src.type = ~0U);
	COPY_EXPECT(-EINVAL, c.dst.type = 0);
	COPY_EXPECT(-EINVAL, c.dst.type = 3);
	COPY_EXPECT(-EINVAL, c.src.flags = 1);
	COPY_EXPECT(-EINVAL, c.dst.flags = 0x80000000u);
	COPY_EXPECT(-EINVAL, c.src.pad = 1);
	COPY_EXPECT(-EINVAL, c.dst.pad = 1);
	/* Fields the type does not use must be 0. */
	COPY_EXPECT(-EINVAL, c.src.iov_cnt = 1);
	COPY_EXPECT(-EINVAL, c.dst.iov = PTR(&iov));
	COPY_EXPECT(-EINVAL, (ep_iov(&c.src, &iov, 1), c.src.handle = 1));
	COPY_EXPECT(-EINVAL, (ep_iov(&c.src, &iov, 1), c.src.offset = 1));
	COPY_EXPECT(-EINVAL, (ep_iov(&c.dst, &iov, 1), c.dst.handle = 1));
	/* At least one region. */
	COPY_EXPECT(-EINVAL, (ep_iov(&c.src, &iov, 1), ep_iov(&c.dst, &iov,
							      1)));
	/* Engines beyond the known ones. */
	COPY_EXPECT(-EINVAL, c.engine = IPCOFF_ENGINE_COUNT);
	COPY_EXPECT(-EINVAL, c.engine = ~0U);
	EXPECT_DST_INTACT();
	/* The struct itself is fine. */
	COPY_EXPECT(0, (void)0);
	EXPECT_EQ(256, c.copied);
	EXPECT_EQ(256, pat_check(self->dmap, 256, 71, 0));
#undef COPY_EXPECT
}

TEST_F(copy, engines)
{
	static const uint32_t engines[] = {
		IPCOFF_ENGINE_AUTO, IPCOFF_ENGINE_CPU, IPCOFF_ENGINE_DMA,
		IPCOFF_ENGINE_ELIDE,
	};
	struct ipcoff_copy c;
	unsigned int k;

	for (k = 0; k < ARRAY_SIZE(engines); k++) {
		uint32_t e = engines[k];
		int present = e == IPCOFF_ENGINE_AUTO ||
			      (self->info.engines & (1U << e));

		pat_fill(self->dmap, S, 72, 0);
		memset(&c, 0, sizeof(c));
		ep_region(&c.src, self->hs, 3);
		ep_region(&c.dst, self->hd, 5);
		c.len = 3 * self->ps + 1;
		c.engine = e;
		if (!present) {
			EXPECT_EQ(-ENODEV, t_copy(self->fd, &c))
				TH_LOG("engine %u is not in GET_INFO", e);
			EXPECT_DST_INTACT();
			continue;
		}
		/* elide moves nothing: distinct pages are not its case. */
		if (e == IPCOFF_ENGINE_ELIDE) {
			EXPECT_EQ(-EOPNOTSUPP, t_copy(self->fd, &c));
			EXPECT_DST_INTACT();
			continue;
		}
		EXPECT_EQ(0, t_copy(self->fd, &c)) TH_LOG("engine %u", e);
		EXPECT_EQ(c.len, c.copied);
		EXPECT_EQ(c.len, pat_check(self->dmap + 5, c.len, 71, 3));
		/* The engine that ran: the one asked for, or one present. */
		EXPECT_EQ(e == IPCOFF_ENGINE_AUTO ? c.engine : e, c.engine);
		EXPECT_NE(0, self->info.engines & (1U << c.engine));
		EXPECT_NE(IPCOFF_ENGINE_AUTO, c.engine);
	}
}

/* Source and destination already the same bytes: nothing is moved. */
TEST_F(copy, elide_same_pages)
{
	struct ipcoff_copy c = { .len = 3 * self->ps + 7 };
	int64_t req0, bytes0, v;
	uint64_t alias;

	/* A second, writable registration of the source's memory. */
	ASSERT_EQ(0, t_register(self->fd, PTR(self->smap), S,
				IPCOFF_REGION_WRITABLE, &alias));
	ASSERT_EQ(0, read_u64_file(IPCOFF_SYSFS "/elide/requests", &req0));
	ASSERT_EQ(0, read_u64_file(IPCOFF_SYSFS "/elide/bytes", &bytes0));
	ep_region(&c.src, self->hs, 100);
	ep_region(&c.dst, alias, 100);
	c.engine = IPCOFF_ENGINE_ELIDE;
	ASSERT_EQ(0, t_copy(self->fd, &c));
	EXPECT_EQ(IPCOFF_ENGINE_ELIDE, c.engine);
	EXPECT_EQ(c.len, c.copied);
	EXPECT_EQ(0, c.descriptors);
	/* auto finds it too. */
	c.engine = IPCOFF_ENGINE_AUTO;
	ASSERT_EQ(0, t_copy(self->fd, &c));
	EXPECT_EQ(IPCOFF_ENGINE_ELIDE, c.engine);
	EXPECT_EQ(S, pat_check(self->smap, S, 71, 0));
	ASSERT_EQ(0, read_u64_file(IPCOFF_SYSFS "/elide/requests", &v));
	EXPECT_EQ(req0 + 2, v);
	ASSERT_EQ(0, read_u64_file(IPCOFF_SYSFS "/elide/bytes", &v));
	EXPECT_EQ(bytes0 + 2 * (int64_t)c.len, v);

	/* Other bytes are a real copy: forced elide refuses, auto copies. */
	ep_region(&c.dst, alias, 100 + 8 * self->ps);
	c.engine = IPCOFF_ENGINE_ELIDE;
	EXPECT_EQ(-EOPNOTSUPP, t_copy(self->fd, &c));
	EXPECT_EQ(0, c.copied);
	EXPECT_EQ(S, pat_check(self->smap, S, 71, 0));
	c.engine = IPCOFF_ENGINE_AUTO;
	ASSERT_EQ(0, t_copy(self->fd, &c));
	EXPECT_EQ(IPCOFF_ENGINE_CPU, c.engine);
	EXPECT_EQ(c.len, pat_check(self->smap + 100 + 8 * self->ps, c.len, 71,
				   100));
	EXPECT_EQ(0, t_unregister(self->fd, alias));
	pat_fill(self->smap, S, 71, 0);
}

TEST_F(copy, no_such_region)
{
	uint64_t h;

	EXPECT_EQ(-ENOENT, t_copy_rr(self->fd, self->hd, 0, 0, 0, 1, NULL));
	EXPECT_EQ(-ENOENT, t_copy_rr(self->fd, 0, 0, self->hs, 0, 1, NULL));
	EXPECT_EQ(-ENOENT, t_copy_rr(self->fd, self->hd, 0,
				     self->hs ^ 0x4000000000000001ULL, 0, 1,
				     NULL));
	EXPECT_EQ(-ENOENT, t_read(self->fd, self->out, 1,
				  self->hd ^ 0x0000000100000002ULL, 0, NULL));
	ASSERT_EQ(0, t_register(self->fd, PTR(self->out), 100, 0, &h));
	ASSERT_EQ(0, t_unregister(self->fd, h));
	EXPECT_EQ(-ENOENT, t_copy_rr(self->fd, self->hd, 0, h, 0, 1, NULL));
	EXPECT_EQ(-ENOENT, t_write(self->fd, h, 0, self->out, 1, NULL));
	EXPECT_DST_INTACT();
}

/* A third process copies between the regions of two others. */
TEST_F_TIMEOUT(copy, third_process, 120)
{
	const uint64_t len = 300001;
	struct agent_rep r;
	uint64_t ha, hb, copied;

	AGENT_START(&self->ag[0], 0);
	AGENT_START(&self->ag[1], 0);
	r = AG(&self->ag[0], AG_REGISTER, len, 0, 81, 0, MEM_ANON);
	ASSERT_EQ(0, r.ret);
	ha = r.v[0];
	r = AG(&self->ag[1], AG_REGISTER, len, IPCOFF_REGION_WRITABLE, 82, 5,
	       MEM_MEMFD);
	ASSERT_EQ(0, r.ret);
	hb = r.v[0];

	ASSERT_EQ(0, t_copy_rr(self->fd, hb, 1, ha, 3, len - 4, &copied));
	EXPECT_EQ(len - 4, copied);
	r = AG(&self->ag[1], AG_CHECK, hb, 1, len - 4, 81, 3);
	EXPECT_EQ(1, r.v[1]);
	r = AG(&self->ag[1], AG_CHECK, hb, 0, 1, 82, 0);
	EXPECT_EQ(1, r.v[1]);
	r = AG(&self->ag[1], AG_CHECK, hb, len - 3, 3, 82, len - 3);
	EXPECT_EQ(1, r.v[1]);

	/* The source is not WRITABLE: not the other way round. */
	EXPECT_EQ(-EACCES, t_copy_rr(self->fd, ha, 0, hb, 0, 100, NULL));
	r = AG(&self->ag[0], AG_CHECK, ha, 0, len, 81, 0);
	EXPECT_EQ(1, r.v[1]);
	EXPECT_EQ(0, agent_stop(&self->ag[0]));
	EXPECT_EQ(0, agent_stop(&self->ag[1]));
}

/*
 * NPROC processes at once, each reading the region of the next one while
 * writing into a region of another, then checking what it received.
 */
TEST_F_TIMEOUT(copy, concurrent_processes, 180)
{
	const uint64_t len = (1 << 20) + 3;
	uint64_t hs[NPROC], hd[NPROC];
	struct agent_msg m;
	struct agent_rep r;
	int64_t pinned0, v;
	int i;

	ASSERT_EQ(0, counter_settle(pinned_pages, &pinned0));
	for (i = 0; i < NPROC; i++) {
		AGENT_START(&self->ag[i], 0);
		r = AG(&self->ag[i], AG_REGISTER, len, 0, 100 + i, 0,
		       i & 1 ? MEM_MEMFD : MEM_ANON);
		ASSERT_EQ(0, r.ret);
		hs[i] = r.v[0];
		r = AG(&self->ag[i], AG_REGISTER, len, IPCOFF_REGION_WRITABLE,
		       0, (size_t)i * 7, MEM_ANON);
		ASSERT_EQ(0, r.ret);
		hd[i] = r.v[0];
	}
	/* Queue two requests on every agent, then collect the answers. */
	for (i = 0; i < NPROC; i++) {
		int from = (i + 1) % NPROC, to = (i + 3) % NPROC;

		m = (struct agent_msg){ .op = AG_READ,
			.a = { hs[from], 0, len, 100 + from, 0, 4 } };
		ASSERT_EQ(0, agent_send(&self->ag[i], &m, -1));
		m = (struct agent_msg){ .op = AG_WRITE,
			.a = { hd[to], 0, len, 300 + i, 0, 2 } };
		ASSERT_EQ(0, agent_send(&self->ag[i], &m, -1));
	}
	for (i = 0; i < NPROC; i++) {
		ASSERT_EQ(0, agent_recv(&self->ag[i], &r, NULL));
		EXPECT_EQ(0, r.err);
		EXPECT_EQ(0, r.ret) TH_LOG("agent %d read", i);
		EXPECT_EQ(len, r.v[0]);
		EXPECT_EQ(1, r.v[1]) TH_LOG("agent %d read wrong bytes", i);
		ASSERT_EQ(0, agent_recv(&self->ag[i], &r, NULL));
		EXPECT_EQ(0, r.err);
		EXPECT_EQ(0, r.ret) TH_LOG("agent %d write", i);
		EXPECT_EQ(len, r.v[0]);
	}
	for (i = 0; i < NPROC; i++) {
		int writer = (i - 3 + NPROC) % NPROC;

		r = AG(&self->ag[i], AG_CHECK, hd[i], 0, len, 300 + writer, 0);
		EXPECT_EQ(1, r.v[1]) TH_LOG("region of agent %d", i);
	}
	for (i = 0; i < NPROC; i++)
		EXPECT_EQ(0, agent_stop(&self->ag[i]));
	EXPECT_EQ(0, counter_wait(pinned_pages, pinned0, SETTLE_MS, &v))
		TH_LOG("pinned_pages %" PRId64 ", was %" PRId64, v, pinned0);
}

/* The same through libipcoff, whose functions return -errno. */
TEST_F(copy, libipcoff)
{
	struct ipcoff_copy req = { .len = 1 };
	struct ipcoff ipc;
	uint64_t h, h2, copied;
	uint8_t *in = self->out, *mem = self->out + S, *back = self->out + 2 * S;

	ASSERT_EQ(0, ipcoff_open(&ipc, 0));
	pat_fill(mem, 4096, 91, 0);
	pat_fill(in, 1000, 92, 0);
	ASSERT_EQ(0, ipcoff_register(&ipc, mem, 4096, IPCOFF_REGION_WRITABLE,
				     &h));
	EXPECT_EQ(1000, ipcoff_write(&ipc, h, 7, in, 1000));
	EXPECT_EQ(1000, pat_check(mem + 7, 1000, 92, 0));
	memset(back, 0, 1000);
	EXPECT_EQ(1000, ipcoff_read(&ipc, back, 1000, h, 7));
	EXPECT_EQ(1000, pat_check(back, 1000, 92, 0));

	EXPECT_EQ(0, ipcoff_copy_region(&ipc, h, 2000, self->hs, 3, 500,
					&copied));
	EXPECT_EQ(500, copied);
	EXPECT_EQ(500, pat_check(mem + 2000, 500, 71, 3));
	EXPECT_EQ(-EACCES, ipcoff_copy_region(&ipc, self->hs, 0, h, 0, 1,
					      NULL));
	EXPECT_EQ(-ERANGE, ipcoff_read(&ipc, back, 2, h, 4095));

	ASSERT_EQ(0, ipcoff_register(&ipc, mem, 100, 0, &h2));
	EXPECT_EQ(0, ipcoff_grant(&ipc, h, UID_A, IPCOFF_ACCESS_READ |
				  IPCOFF_ACCESS_WRITE));
	EXPECT_EQ(0, ipcoff_revoke(&ipc, h, UID_A));
	EXPECT_EQ(-EINVAL, ipcoff_grant(&ipc, h, UID_A, 4));
	EXPECT_EQ(-EINVAL, ipcoff_grant(&ipc, h2, UID_A, IPCOFF_ACCESS_WRITE));

	ipcoff_ep_region(&req.src, h2, 0);
	ipcoff_ep_region(&req.dst, h, 0);
	req.flags = IPCOFF_COPY_FLAGS << 1;
	EXPECT_EQ(-EINVAL, ipcoff_copy(&ipc, &req));

	EXPECT_EQ(0, ipcoff_unregister(&ipc, h));
	EXPECT_EQ(-ENOENT, ipcoff_unregister(&ipc, h));
	EXPECT_EQ(-ENOENT, ipcoff_read(&ipc, back, 1, h, 0));
	EXPECT_EQ(0, ipcoff_unregister(&ipc, h2));
	ipcoff_close(&ipc);
}

TEST_HARNESS_MAIN
