// SPDX-License-Identifier: GPL-2.0
/*
 * Cache actions (IPCOFF_FEAT_CACHE): CLWB and CLFLUSHOPT write-back after
 * the copy, non-temporal CPU copies and injection into the consumer's
 * cache, on the cpu and dma engines, synchronous and asynchronous; the
 * refused combinations; injections that run only in the consumer's own
 * WAIT, for a NOTIFY owner in another process too; nothing left pinned.
 *
 * The guest has no cache model: the tests check that each action ran, on
 * which bytes (the module's counters) and that the bytes arrived, never
 * a timing.
 */
#include <sys/wait.h>

#include <ipcoff.h>

#include "agent.h"
#include "dmaprov.h"

#define BUF_LEN		(4UL << 20)
#define WAIT_NS		(20LL * 1000 * 1000 * 1000)

FIXTURE(cache) {
	struct ipcoff ipc;
	struct ipcoff_ring ring;
	uint8_t *src, *dst;
	uint64_t hs, hd;
};

FIXTURE_VARIANT(cache) {
	uint32_t engine;
};

FIXTURE_VARIANT_ADD(cache, cpu) {
	.engine = IPCOFF_ENGINE_CPU,
};

FIXTURE_VARIANT_ADD(cache, dma) {
	.engine = IPCOFF_ENGINE_DMA,
};

FIXTURE_SETUP(cache)
{
	if (variant->engine == IPCOFF_ENGINE_DMA)
		ASSERT_EQ(2, prov_start("personality=ioat channels=2"));
	ASSERT_EQ(0, ipcoff_open(&self->ipc, 0));
	ASSERT_TRUE(ipcoff_has_feature(&self->ipc, IPCOFF_FEAT_CACHE));
	ASSERT_EQ(0, ipcoff_ring_init(&self->ipc, 64, &self->ring));
	self->src = mmap(NULL, 2 * BUF_LEN, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, self->src);
	self->dst = self->src + BUF_LEN;
	pat_fill(self->src, BUF_LEN, 71, 0);
	memset(self->dst, 0, BUF_LEN);
	ASSERT_EQ(0, ipcoff_register(&self->ipc, self->src, BUF_LEN, 0,
				     &self->hs));
	ASSERT_EQ(0, ipcoff_register(&self->ipc, self->dst, BUF_LEN,
				     IPCOFF_REGION_WRITABLE, &self->hd));
}

FIXTURE_TEARDOWN(cache)
{
	ipcoff_ring_fini(&self->ring);
	ipcoff_close(&self->ipc);
	munmap(self->src, 2 * BUF_LEN);
	if (variant->engine == IPCOFF_ENGINE_DMA && prov_stop())
		TH_LOG("cannot unload the provider: %s", strerror(errno));
}

enum cache_counter { CLWB, FLUSH, NT, INJECT };

static uint64_t counter(struct ipcoff *ipc, enum cache_counter which)
{
	struct ipcoff_stats st;

	memset(&st, 0, sizeof(st));
	if (ipcoff_get_stats(ipc, &st, sizeof(st)))
		return UINT64_MAX;
	switch (which) {
	case CLWB:
		return st.cache_clwb_bytes;
	case FLUSH:
		return st.cache_flush_bytes;
	case NT:
		return st.cache_nontemporal_bytes;
	default:
		return st.cache_inject_bytes;
	}
}

/* Region to region, @len bytes at odd offsets. */
static void req_rr(struct ipcoff_copy *c, uint64_t hd, uint64_t hs,
		   uint64_t len, uint32_t engine, uint32_t flags)
{
	memset(c, 0, sizeof(*c));
	ipcoff_ep_region(&c->src, hs, 3);
	ipcoff_ep_region(&c->dst, hd, 5);
	c->len = len;
	c->engine = engine;
	c->flags = flags;
}

/* Runs a synchronous copy with one write-back action; checks all of it. */
static void wb_case(struct __test_metadata *_metadata, struct ipcoff *ipc,
		    uint64_t hd, uint64_t hs, const uint8_t *dst,
		    uint32_t engine, uint32_t flag, enum cache_counter which,
		    uint64_t len)
{
	uint64_t before = counter(ipc, which);
	struct ipcoff_copy c;

	req_rr(&c, hd, hs, len, engine, flag);
	ASSERT_EQ(0, ipcoff_copy(ipc, &c));
	EXPECT_EQ(len, c.copied);
	EXPECT_EQ(engine, c.engine);
	EXPECT_EQ(len, pat_check(dst + 5, len, 71, 3));
	EXPECT_EQ(before + len, counter(ipc, which));
}

TEST_F(cache, clwb_and_flush_sync)
{
	static const uint64_t sizes[] = { 1, 63, 4096, 65536 + 7, 1 << 20 };
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(sizes); i++) {
		memset(self->dst, 0, sizes[i] + 64);
		wb_case(_metadata, &self->ipc, self->hd, self->hs, self->dst,
			variant->engine, IPCOFF_COPY_CACHE_CLWB, CLWB,
			sizes[i]);
		memset(self->dst, 0, sizes[i] + 64);
		wb_case(_metadata, &self->ipc, self->hd, self->hs, self->dst,
			variant->engine, IPCOFF_COPY_CACHE_FLUSH, FLUSH,
			sizes[i]);
	}
}

/* A local iovec destination is pinned for the action, then let go. */
TEST_F(cache, flush_into_iovec)
{
	uint64_t len = (256 << 10) + 9, before = counter(&self->ipc, FLUSH);
	uint8_t *mine = malloc(len);
	struct ipcoff_iovec iov = { .base = PTR(mine), .len = len };
	struct ipcoff_copy c;
	int64_t pinned, last;

	ASSERT_NE(NULL, mine);
	ASSERT_EQ(0, pinned_pages(&pinned));
	memset(&c, 0, sizeof(c));
	ipcoff_ep_region(&c.src, self->hs, 0);
	ipcoff_ep_iovec(&c.dst, &iov, 1);
	c.len = len;
	c.engine = variant->engine;
	c.flags = IPCOFF_COPY_CACHE_FLUSH;
	ASSERT_EQ(0, ipcoff_copy(&self->ipc, &c));
	EXPECT_EQ(len, c.copied);
	EXPECT_EQ(len, pat_check(mine, len, 71, 0));
	EXPECT_EQ(before + len, counter(&self->ipc, FLUSH));
	EXPECT_EQ(0, counter_wait(pinned_pages, pinned, SETTLE_MS, &last));
	free(mine);
}

TEST_F(cache, nontemporal)
{
	uint64_t len = (1 << 20) + 11, before = counter(&self->ipc, NT);
	struct ipcoff_copy c;

	/* auto takes the cpu for it; a forced dma engine is refused. */
	req_rr(&c, self->hd, self->hs, len, IPCOFF_ENGINE_AUTO,
	       IPCOFF_COPY_CACHE_NONTEMPORAL);
	ASSERT_EQ(0, ipcoff_copy(&self->ipc, &c));
	EXPECT_EQ(len, c.copied);
	EXPECT_EQ(IPCOFF_ENGINE_CPU, c.engine);
	EXPECT_EQ(len, pat_check(self->dst + 5, len, 71, 3));
	EXPECT_EQ(before + len, counter(&self->ipc, NT));

	req_rr(&c, self->hd, self->hs, len, variant->engine,
	       IPCOFF_COPY_CACHE_NONTEMPORAL);
	if (variant->engine == IPCOFF_ENGINE_DMA) {
		EXPECT_EQ(-EINVAL, ipcoff_copy(&self->ipc, &c));
	} else {
		EXPECT_EQ(0, ipcoff_copy(&self->ipc, &c));
		EXPECT_EQ(before + 2 * len, counter(&self->ipc, NT));
	}
}

/* Synchronous, no NOTIFY owner: the caller is the consumer. */
TEST_F(cache, inject_sync)
{
	uint64_t before = counter(&self->ipc, INJECT);
	struct ipcoff_range r[2] = {
		{ .offset = 0, .len = 100 }, { .offset = 8192, .len = 4096 },
	};
	struct ipcoff_copy c;

	req_rr(&c, self->hd, self->hs, 65536, variant->engine,
	       IPCOFF_COPY_INJECT);
	c.inject_len = 65536;
	ASSERT_EQ(0, ipcoff_copy(&self->ipc, &c));
	EXPECT_EQ(65536, c.copied);
	EXPECT_EQ(variant->engine, c.engine);
	EXPECT_EQ(65536, pat_check(self->dst + 5, 65536, 71, 3));
	EXPECT_EQ(before + 65536, counter(&self->ipc, INJECT));

	req_rr(&c, self->hd, self->hs, 20000, variant->engine,
	       IPCOFF_COPY_INJECT | IPCOFF_COPY_CACHE_CLWB);
	c.inject_ranges = PTR(r);
	c.nr_inject_ranges = 2;
	ASSERT_EQ(0, ipcoff_copy(&self->ipc, &c));
	EXPECT_EQ(before + 65536 + 4196, counter(&self->ipc, INJECT));
}

/*
 * Asynchronous: the entry carries IPCOFF_CQE_INJECT, and the lines are
 * pulled only by the submitter's next WAIT, not before.
 */
TEST_F(cache, inject_async_runs_at_wait)
{
	uint64_t before = counter(&self->ipc, INJECT);
	uint64_t clwb = counter(&self->ipc, CLWB);
	struct ipcoff_copy c;
	struct ipcoff_cqe *cqe;
	uint64_t t0 = now_ms();

	req_rr(&c, self->hd, self->hs, 65536, variant->engine,
	       IPCOFF_COPY_INJECT | IPCOFF_COPY_CACHE_CLWB);
	c.inject_len = 1000;
	c.user_data = 7;
	ASSERT_EQ(1, ipcoff_submit(&self->ipc, &c, 1));
	/* Poll the ring by hand: ipcoff_wait_cqe() would run the WAIT. */
	while (!(cqe = ipcoff_ring_peek(&self->ring)) &&
	       now_ms() - t0 < 20000)
		usleep(100);
	ASSERT_NE(NULL, cqe);
	EXPECT_EQ(7, cqe->user_data);
	EXPECT_EQ(65536, cqe->result);
	EXPECT_EQ(variant->engine, cqe->engine);
	EXPECT_EQ(IPCOFF_CQE_INJECT, cqe->flags);
	ipcoff_ring_advance(&self->ring, 1);
	EXPECT_EQ(65536, pat_check(self->dst + 5, 65536, 71, 3));
	/* The write-back ran before the entry was posted. */
	EXPECT_EQ(clwb + 65536, counter(&self->ipc, CLWB));
	EXPECT_EQ(before, counter(&self->ipc, INJECT));
	/* A watcher's WAIT (libipcoff's notifier) leaves it pending. */
	{
		struct ipcoff_wait w = { .flags = IPCOFF_WAIT_NO_INJECT };

		EXPECT_EQ(0, ioctl(self->ipc.fd, IPCOFF_IOC_WAIT, &w));
		EXPECT_EQ(before, counter(&self->ipc, INJECT));
	}
	EXPECT_EQ(0, ipcoff_wait(&self->ipc, 0, 0, NULL));
	EXPECT_EQ(before + 1000, counter(&self->ipc, INJECT));
	/* Run once. */
	EXPECT_EQ(0, ipcoff_wait(&self->ipc, 0, 0, NULL));
	EXPECT_EQ(before + 1000, counter(&self->ipc, INJECT));
}

/* CHUNKED: the write-back follows every chunk. */
TEST_F(cache, clwb_chunked)
{
	uint64_t len = 5 * 16384 + 1, before = counter(&self->ipc, CLWB);
	struct ipcoff_copy c;
	unsigned int k;

	req_rr(&c, self->hd, self->hs, len, variant->engine,
	       IPCOFF_COPY_CACHE_CLWB | IPCOFF_COPY_CHUNKED);
	c.chunk_size = 16384;
	ASSERT_EQ(1, ipcoff_submit(&self->ipc, &c, 1));
	for (k = 0; k < 6; k++) {
		struct ipcoff_cqe *cqe;

		ASSERT_EQ(0, ipcoff_wait_cqe(&self->ipc, &self->ring, WAIT_NS,
					     &cqe));
		EXPECT_LT(0, cqe->result);
		EXPECT_EQ(IPCOFF_CQE_CHUNK, cqe->flags);
		ipcoff_ring_advance(&self->ring, 1);
	}
	EXPECT_EQ(len, pat_check(self->dst + 5, len, 71, 3));
	EXPECT_EQ(before + len, counter(&self->ipc, CLWB));
}

/* A failed copy injects nothing and writes nothing back. */
TEST_F(cache, nothing_for_refused_copy)
{
	uint64_t clwb = counter(&self->ipc, CLWB);
	uint64_t inj = counter(&self->ipc, INJECT);
	struct ipcoff_copy c;

	req_rr(&c, self->hd, self->hs, BUF_LEN, variant->engine,
	       IPCOFF_COPY_CACHE_CLWB | IPCOFF_COPY_INJECT);
	c.inject_len = 64;
	EXPECT_EQ(-ERANGE, ipcoff_copy(&self->ipc, &c));
	EXPECT_EQ(clwb, counter(&self->ipc, CLWB));
	EXPECT_EQ(inj, counter(&self->ipc, INJECT));
}

/* Every combination the ABI refuses, through COPY and SUBMIT. */
TEST_F(cache, refusals)
{
	const uint32_t move = IPCOFF_COPY_MOVE;
	struct ipcoff_range r[IPCOFF_INJECT_RANGES_MAX + 1];
	const uint32_t nt = IPCOFF_COPY_CACHE_NONTEMPORAL;
	const uint32_t inj = IPCOFF_COPY_INJECT;
	struct {
		uint32_t flags, engine, inject_len, nr;
		uint64_t ranges;
		int err;
	} bad[] = {
		{ .flags = IPCOFF_COPY_CACHE_CLWB | IPCOFF_COPY_CACHE_FLUSH },
		{ .flags = nt | IPCOFF_COPY_CACHE_CLWB },
		{ .flags = nt | IPCOFF_COPY_CACHE_FLUSH },
		{ .flags = nt | move },
		{ .flags = nt, .engine = IPCOFF_ENGINE_DMA },
		{ .flags = nt, .engine = IPCOFF_ENGINE_ELIDE },
		{ .flags = IPCOFF_COPY_CACHE_CLWB | move },
		{ .flags = IPCOFF_COPY_CACHE_FLUSH | move },
		{ .flags = inj },			/* no range */
		{ .flags = inj, .inject_len = 4097 },	/* beyond len */
		{ .inject_len = 64 },			/* without the flag */
		{ .nr = 1, .ranges = PTR(r) },		/* the same */
		{ .flags = inj, .inject_len = 64, .nr = 1, .ranges = PTR(r) },
		{ .flags = inj, .ranges = PTR(r) },	/* no count */
		{ .flags = inj, .nr = IPCOFF_INJECT_RANGES_MAX + 1,
		  .ranges = PTR(r) },
		{ .flags = inj, .nr = 2, .ranges = PTR(&r[1]) },  /* empty */
		{ .flags = inj, .nr = 1, .ranges = PTR(&r[2]) },  /* beyond */
		{ .flags = inj, .nr = 1, .ranges = PTR(&r[3]) },  /* overflow */
		{ .flags = inj, .nr = 1, .ranges = KERNEL_ADDR, .err = -EFAULT },
	};
	unsigned int i, async;

	memset(r, 0, sizeof(r));
	r[0].len = 4096;
	r[2].offset = 4000;		/* r[1] stays empty */
	r[2].len = 97;
	r[3].offset = UINT64_MAX - 10;
	r[3].len = 100;
	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		for (async = 0; async < 2; async++) {
			struct ipcoff_copy c;
			int want = bad[i].err ? bad[i].err : -EINVAL;
			int err = 0;

			req_rr(&c, self->hd, self->hs, 4096, bad[i].engine,
			       bad[i].flags);
			c.inject_len = bad[i].inject_len;
			c.nr_inject_ranges = bad[i].nr;
			c.inject_ranges = bad[i].ranges;
			if (async) {
				EXPECT_EQ(want, ipcoff_submit_ex(&self->ipc, &c,
								 1, &err));
			} else {
				err = ipcoff_copy(&self->ipc, &c);
			}
			EXPECT_EQ(want, err)
				TH_LOG("case %u (%s)", i,
				       async ? "submit" : "copy");
		}
	}
	/* INJECT with CHUNKED: a chunk's consumer learns too early. */
	{
		struct ipcoff_copy c;
		int err = 0;

		req_rr(&c, self->hd, self->hs, 65536, 0,
		       IPCOFF_COPY_INJECT | IPCOFF_COPY_CHUNKED);
		c.chunk_size = 16384;
		c.inject_len = 64;
		EXPECT_EQ(-EINVAL, ipcoff_submit_ex(&self->ipc, &c, 1, &err));
		EXPECT_EQ(-EINVAL, err);
	}
	EXPECT_EQ(0, ipcoff_ring_ready(&self->ring));
}

/* A caller built against the 128-byte struct sets inject_len only. */
TEST_F(cache, inject_ver0_struct)
{
	uint64_t before = counter(&self->ipc, INJECT);
	struct ipcoff_copy c;

	req_rr(&c, self->hd, self->hs, 8192, variant->engine,
	       IPCOFF_COPY_INJECT);
	c.inject_len = 8192;
	ASSERT_EQ(0, ioctl(self->ipc.fd,
			   _IOC(_IOC_READ | _IOC_WRITE, IPCOFF_IOC_MAGIC,
				IPCOFF_NR_COPY, IPCOFF_COPY_SIZE_VER0), &c));
	EXPECT_EQ(8192, c.copied);
	EXPECT_EQ(before + 8192, counter(&self->ipc, INJECT));
}

/*
 * The consumer is the NOTIFY destination's owner, in another process: its
 * entry carries the flag, the submitter's does not, and the lines are
 * pulled by the owner's WAIT. Its fd closes with an injection pending,
 * and nothing stays pinned.
 */
struct owner_rep {
	uint64_t handle;
	int64_t err;
	uint64_t flags, inj_before, inj_after, inj_late;
};

static void owner_main(int sock)
{
	struct owner_rep rep = { 0 };
	struct ipcoff_ring ring;
	struct ipcoff_cqe *cqe;
	struct ipcoff ipc;
	char go;
	void *buf;
	int ret;

	buf = mmap(NULL, 1 << 20, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ret = buf == MAP_FAILED ? -ENOMEM : ipcoff_open(&ipc, 0);
	if (!ret)
		ret = ipcoff_ring_init(&ipc, 16, &ring);
	if (!ret)
		ret = ipcoff_register_notify(&ipc, buf, 1 << 20,
					     IPCOFF_REGION_WRITABLE, 99,
					     &rep.handle);
	rep.err = ret;
	if (sock_send(sock, &rep, sizeof(rep), -1) || ret)
		_exit(1);
	/* Two arrivals: the first is reaped, the second left pending. */
	if (sock_recv(sock, &go, 1, NULL))
		_exit(1);
	ret = ipcoff_wait(&ipc, 1, WAIT_NS, NULL);
	cqe = ipcoff_ring_peek(&ring);
	if (!ret && !cqe)
		ret = -ENOENT;
	if (!ret) {
		rep.flags = cqe->flags;
		ipcoff_ring_advance(&ring, 1);
		rep.inj_before = counter(&ipc, INJECT);
		/* That WAIT already ran it: nothing is left to run. */
		ret = ipcoff_wait(&ipc, 0, 0, NULL);
		rep.inj_after = counter(&ipc, INJECT);
	}
	rep.err = ret;
	sock_send(sock, &rep, sizeof(rep), -1);
	if (sock_recv(sock, &go, 1, NULL))
		_exit(1);
	rep.inj_late = counter(&ipc, INJECT);
	sock_send(sock, &rep, sizeof(rep), -1);
	/* Exits with the second injection pending and the ring unread. */
	_exit(0);
}

TEST_F(cache, inject_for_notify_owner)
{
	struct owner_rep rep;
	struct ipcoff_copy c;
	struct ipcoff_cqe *cqe;
	int64_t pinned, last;
	uint64_t inj0;
	int sock, st;
	pid_t pid;

	ASSERT_EQ(0, pinned_pages(&pinned));
	pid = fork_connected(&sock);
	ASSERT_LE(0, pid);
	if (!pid)
		owner_main(sock);
	ASSERT_EQ(0, sock_recv(sock, &rep, sizeof(rep), NULL));
	ASSERT_EQ(0, rep.err);

	inj0 = counter(&self->ipc, INJECT);
	memset(&c, 0, sizeof(c));
	ipcoff_ep_region(&c.src, self->hs, 0);
	ipcoff_ep_region(&c.dst, rep.handle, 4096);
	c.len = 32768;
	c.engine = variant->engine;
	c.flags = IPCOFF_COPY_INJECT;
	c.inject_len = 32768;
	c.user_data = 5;
	ASSERT_EQ(1, ipcoff_submit(&self->ipc, &c, 1));
	ASSERT_EQ(0, ipcoff_wait_cqe(&self->ipc, &self->ring, WAIT_NS, &cqe));
	EXPECT_EQ(5, cqe->user_data);
	EXPECT_EQ(32768, cqe->result);
	EXPECT_EQ(0, cqe->flags);
	ipcoff_ring_advance(&self->ring, 1);
	/* Not the submitter's to run. */
	EXPECT_EQ(0, ipcoff_wait(&self->ipc, 0, 0, NULL));
	EXPECT_EQ(inj0, counter(&self->ipc, INJECT));

	ASSERT_EQ(0, sock_send(sock, "g", 1, -1));
	ASSERT_EQ(0, sock_recv(sock, &rep, sizeof(rep), NULL));
	EXPECT_EQ(0, rep.err);
	EXPECT_EQ(IPCOFF_CQE_NOTIFY | IPCOFF_CQE_INJECT, rep.flags);
	EXPECT_EQ(inj0 + 32768, rep.inj_before);
	EXPECT_EQ(rep.inj_before, rep.inj_after);

	/* A second arrival whose owner never waits again. */
	c.user_data = 6;
	ASSERT_EQ(1, ipcoff_submit(&self->ipc, &c, 1));
	ASSERT_EQ(0, ipcoff_wait_cqe(&self->ipc, &self->ring, WAIT_NS, &cqe));
	EXPECT_EQ(32768, cqe->result);
	ipcoff_ring_advance(&self->ring, 1);
	ASSERT_EQ(0, sock_send(sock, "g", 1, -1));
	ASSERT_EQ(0, sock_recv(sock, &rep, sizeof(rep), NULL));
	EXPECT_EQ(rep.inj_after, rep.inj_late);
	ASSERT_EQ(pid, waitpid(pid, &st, 0));
	EXPECT_TRUE(WIFEXITED(st) && !WEXITSTATUS(st));
	close(sock);
	EXPECT_EQ(rep.inj_after, counter(&self->ipc, INJECT));
	/* The owner's region and the pending injection let go of it all. */
	EXPECT_EQ(0, counter_wait(pinned_pages, pinned, SETTLE_MS, &last));
}

TEST_HARNESS_MAIN
