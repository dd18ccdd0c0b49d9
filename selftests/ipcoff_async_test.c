// SPDX-License-Identifier: GPL-2.0
/*
 * Asynchronous copies in one process: batches over the cpu and dma
 * engines, out-of-order completion matched by user_data, LINK ordering,
 * CHUNKED (Async-Pipe) entries, eventfd counts, WAIT with timeout and
 * signal, poll readiness, ring-full backpressure and NOTIFY overflow
 * without a lost entry, and the ABI's refusals.
 *
 * The test provider runs in both personalities: ioat-like (in order) and
 * idxd-like (out of order).
 */
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/time.h>

#include <ipcoff.h>

#include "dmaprov.h"

#define MIB		(1UL << 20)
#define BUF_LEN		(8 * MIB)
#define WAIT_NS		(20LL * 1000 * 1000 * 1000)

FIXTURE(async) {
	struct ipcoff ipc;
	struct ipcoff_ring ring;
	uint8_t *src, *dst;
	uint64_t hs, hd;
	bool dma;
};

FIXTURE_VARIANT(async) {
	const char *personality;
};

FIXTURE_VARIANT_ADD(async, ioat) {
	.personality = "ioat",
};

FIXTURE_VARIANT_ADD(async, idxd) {
	.personality = "idxd",
};

FIXTURE_SETUP(async)
{
	char params[64];

	/* Without the provider every case still runs, on the cpu engine. */
	self->dma = false;
	if (!access(PROV_KO, R_OK)) {
		snprintf(params, sizeof(params), "personality=%s channels=2",
			 variant->personality);
		ASSERT_EQ(2, prov_start(params));
		self->dma = true;
	}
	ASSERT_EQ(0, ipcoff_open(&self->ipc, 0));
	ASSERT_EQ(0, ipcoff_ring_init(&self->ipc, 256, &self->ring));
	self->src = mmap(NULL, 2 * BUF_LEN, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, self->src);
	self->dst = self->src + BUF_LEN;
	pat_fill(self->src, BUF_LEN, 51, 0);
	memset(self->dst, 0, BUF_LEN);
	ASSERT_EQ(0, ipcoff_register(&self->ipc, self->src, BUF_LEN, 0,
				     &self->hs));
	ASSERT_EQ(0, ipcoff_register(&self->ipc, self->dst, BUF_LEN,
				     IPCOFF_REGION_WRITABLE, &self->hd));
}

FIXTURE_TEARDOWN(async)
{
	ipcoff_ring_fini(&self->ring);
	ipcoff_close(&self->ipc);
	munmap(self->src, 2 * BUF_LEN);
	if (self->dma) {
		prov_set("latency_us", "0");
		prov_set("fail_nth", "0");
		if (prov_stop())
			TH_LOG("cannot unload the provider: %s",
			       strerror(errno));
	}
}

/* A region-to-region request. */
static void rr(struct ipcoff_copy *c, uint64_t hd, uint64_t doff, uint64_t hs,
	       uint64_t soff, uint64_t len, uint32_t engine, uint64_t ud)
{
	memset(c, 0, sizeof(*c));
	ep_region(&c->src, hs, soff);
	ep_region(&c->dst, hd, doff);
	c->len = len;
	c->engine = engine;
	c->user_data = ud;
}

/* Reaps @n entries into @out (copies), waiting for each. 0 or -errno. */
static int reap(struct ipcoff *ipc, struct ipcoff_ring *ring,
		struct ipcoff_cqe *out, unsigned int n)
{
	unsigned int k;

	for (k = 0; k < n; k++) {
		struct ipcoff_cqe *cqe;
		int ret = ipcoff_wait_cqe(ipc, ring, WAIT_NS, &cqe);

		if (ret)
			return ret;
		out[k] = *cqe;
		ipcoff_ring_advance(ring, 1);
	}
	return 0;
}

TEST_F_TIMEOUT(async, batch_mixed_engines, 300)
{
	static const uint64_t sizes[] = {
		1, 4096, 5000, 65536, 100000, 262144, 1 << 20, (1 << 20) + 17,
	};
	enum { N = 24 };
	struct ipcoff_copy reqs[N];
	struct ipcoff_cqe cqes[N];
	uint64_t off[N], at = 0;
	int seen[N] = { 0 };
	unsigned int k;

	for (k = 0; k < N; k++) {
		uint64_t len = sizes[k % ARRAY_SIZE(sizes)];
		uint32_t engine = k % 3 == 0 ? IPCOFF_ENGINE_CPU :
				  k % 3 == 1 && self->dma ? IPCOFF_ENGINE_DMA :
				  IPCOFF_ENGINE_AUTO;

		off[k] = at;
		/* Source at an odd offset: pieces never line up with pages. */
		rr(&reqs[k], self->hd, at, self->hs, at + 3, len, engine,
		   1000 + k);
		at += len + 64;
	}
	ASSERT_LE(at + 3, BUF_LEN);
	ASSERT_EQ(N, ipcoff_submit(&self->ipc, reqs, N));
	ASSERT_EQ(0, reap(&self->ipc, &self->ring, cqes, N));
	EXPECT_EQ(0, ipcoff_ring_ready(&self->ring));
	for (k = 0; k < N; k++) {
		uint64_t i = cqes[k].user_data - 1000;

		ASSERT_LT(i, N);
		EXPECT_EQ(0, seen[i]++);
		EXPECT_EQ((int64_t)reqs[i].len, cqes[k].result);
		EXPECT_EQ(reqs[i].len, cqes[k].len);
		EXPECT_EQ(0, cqes[k].flags);
		if (reqs[i].engine != IPCOFF_ENGINE_AUTO) {
			EXPECT_EQ(reqs[i].engine, cqes[k].engine);
		} else {
			EXPECT_NE(IPCOFF_ENGINE_AUTO, cqes[k].engine);
		}
		EXPECT_LT(0, cqes[k].latency_ns);
		EXPECT_EQ(reqs[i].len, pat_check(self->dst + off[i],
						 reqs[i].len, 51, off[i] + 3))
			TH_LOG("request %" PRIu64, i);
	}
}

/* Each step reads what the one before wrote: only LINK makes that safe. */
TEST_F_TIMEOUT(async, links_keep_order, 300)
{
	const uint64_t len = 2 * MIB;
	struct ipcoff_copy reqs[3];
	struct ipcoff_cqe cqes[3];
	unsigned int round;

	/* Slow descriptors: an unlinked next step would overtake. */
	if (self->dma)
		ASSERT_EQ(0, prov_set("latency_us", "200"));
	for (round = 0; round < 4; round++) {
		uint32_t first = self->dma ? IPCOFF_ENGINE_DMA :
					     IPCOFF_ENGINE_CPU;

		memset(self->dst, 0, 3 * len);
		pat_fill(self->src, len, 60 + round, 0);
		/* src -> dst[0] -> dst[1] -> dst[2] */
		rr(&reqs[0], self->hd, 0, self->hs, 0, len, first, 1);
		rr(&reqs[1], self->hd, len, self->hd, 0, len,
		   IPCOFF_ENGINE_CPU, 2);
		rr(&reqs[2], self->hd, 2 * len, self->hd, len, len,
		   IPCOFF_ENGINE_CPU, 3);
		reqs[0].flags = IPCOFF_COPY_LINK;
		reqs[1].flags = IPCOFF_COPY_LINK;
		ASSERT_EQ(3, ipcoff_submit(&self->ipc, reqs, 3));
		ASSERT_EQ(0, reap(&self->ipc, &self->ring, cqes, 3));
		/* In order: each starts only after the one before ended. */
		EXPECT_EQ(1, cqes[0].user_data);
		EXPECT_EQ(2, cqes[1].user_data);
		EXPECT_EQ(3, cqes[2].user_data);
		EXPECT_EQ(len, pat_check(self->dst + 2 * len, len, 60 + round,
					 0));
	}
	pat_fill(self->src, BUF_LEN, 51, 0);
}

/* A failed step cancels the steps linked after it, never runs them. */
TEST_F_TIMEOUT(async, link_failure_cancels, 120)
{
	struct ipcoff_copy reqs[3];
	struct ipcoff_cqe cqes[3];
	unsigned int k;

	SKIP_IF_SET(self->dma ? NULL : "needs the test DMA provider");
	/* The provider fails its next descriptor. */
	ASSERT_EQ(0, prov_set("fail_mode", "write"));
	ASSERT_EQ(0, prov_set("fail_nth", "1"));
	rr(&reqs[0], self->hd, 0, self->hs, 0, 65536, IPCOFF_ENGINE_DMA, 1);
	rr(&reqs[1], self->hd, 65536, self->hs, 0, 4096, IPCOFF_ENGINE_CPU, 2);
	rr(&reqs[2], self->hd, 2 * 65536, self->hs, 0, 4096,
	   IPCOFF_ENGINE_CPU, 3);
	reqs[0].flags = IPCOFF_COPY_LINK;
	reqs[1].flags = IPCOFF_COPY_LINK;
	ASSERT_EQ(3, ipcoff_submit(&self->ipc, reqs, 3));
	ASSERT_EQ(0, reap(&self->ipc, &self->ring, cqes, 3));
	for (k = 0; k < 3; k++) {
		if (cqes[k].user_data == 1) {
			EXPECT_EQ(-EIO, cqes[k].result);
		} else {
			EXPECT_EQ(-ECANCELED, cqes[k].result);
		}
	}
	EXPECT_EQ(2 * 65536, mem_check_byte(self->dst + 65536, 2 * 65536, 0));
}

/* Async-Pipe: one entry per chunk, each with its offset. */
TEST_F_TIMEOUT(async, chunked_entries, 120)
{
	const uint64_t len = MIB + 100, chunk = 65536;
	const unsigned int n = (len + chunk - 1) / chunk;
	struct ipcoff_cqe cqes[32];
	uint64_t seen = 0;
	struct ipcoff_copy c;
	unsigned int k;

	rr(&c, self->hd, 7, self->hs, 0, len,
	   self->dma ? IPCOFF_ENGINE_DMA : IPCOFF_ENGINE_CPU, 77);
	c.flags = IPCOFF_COPY_CHUNKED;
	c.chunk_size = chunk;
	ASSERT_EQ(1, ipcoff_submit(&self->ipc, &c, 1));
	ASSERT_EQ(0, reap(&self->ipc, &self->ring, cqes, n));
	for (k = 0; k < n; k++) {
		uint64_t i = cqes[k].offset / chunk;

		EXPECT_EQ(77, cqes[k].user_data);
		EXPECT_EQ(IPCOFF_CQE_CHUNK, cqes[k].flags);
		EXPECT_EQ(0, cqes[k].offset % chunk);
		EXPECT_EQ(i + 1 < n ? chunk : len - i * chunk, cqes[k].len);
		EXPECT_EQ((int64_t)cqes[k].len, cqes[k].result);
		EXPECT_EQ(0, seen & (1ULL << i));
		seen |= 1ULL << i;
		EXPECT_EQ(cqes[k].len, pat_check(self->dst + 7 + cqes[k].offset,
						  cqes[k].len, 51,
						  cqes[k].offset));
	}
	EXPECT_EQ((1ULL << n) - 1, seen);
	EXPECT_EQ(0, ipcoff_ring_ready(&self->ring));

	/* What CHUNKED refuses. */
	c.chunk_size = IPCOFF_CHUNK_MIN - 1;
	EXPECT_EQ(-EINVAL, ipcoff_submit(&self->ipc, &c, 1));
	c.chunk_size = IPCOFF_CHUNK_MIN;
	c.len = (uint64_t)IPCOFF_CHUNK_MIN * 257;	/* more than the ring */
	EXPECT_EQ(-EINVAL, ipcoff_submit(&self->ipc, &c, 1));
	c.len = len;
	c.flags |= IPCOFF_COPY_LINK;
	EXPECT_EQ(-EINVAL, ipcoff_submit(&self->ipc, &c, 1));
	c.flags = 0;
	EXPECT_EQ(-EINVAL, ipcoff_submit(&self->ipc, &c, 1));
}

/* Local iovecs are pinned at submit and unpinned at completion. */
TEST_F_TIMEOUT(async, iovec_pinned_at_submit, 120)
{
	struct ipcoff_iovec iov[2];
	struct ipcoff_cqe cqes[2];
	struct ipcoff_copy c[2];
	int64_t pinned0, v;
	uint8_t *buf, *hole;

	ASSERT_EQ(0, counter_settle(pinned_pages, &pinned0));
	buf = mmap(NULL, 2 * MIB, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, buf);
	pat_fill(buf, MIB, 52, 0);
	memset(buf + MIB, 0, MIB);
	iov[0].base = PTR(buf + 1);
	iov[0].len = MIB - 1;
	iov[1].base = PTR(buf + MIB);
	iov[1].len = MIB;
	/* iovec -> region, region -> iovec */
	memset(c, 0, sizeof(c));
	ep_iov(&c[0].src, &iov[0], 1);
	ep_region(&c[0].dst, self->hd, 0);
	c[0].len = MIB - 1;
	c[0].user_data = 1;
	ep_region(&c[1].src, self->hs, 0);
	ep_iov(&c[1].dst, &iov[1], 1);
	c[1].len = MIB;
	c[1].user_data = 2;
	c[1].engine = self->dma ? IPCOFF_ENGINE_DMA : IPCOFF_ENGINE_CPU;
	ASSERT_EQ(2, ipcoff_submit(&self->ipc, c, 2));
	ASSERT_EQ(0, reap(&self->ipc, &self->ring, cqes, 2));
	EXPECT_EQ(MIB - 1, pat_check(self->dst, MIB - 1, 52, 1));
	EXPECT_EQ(MIB, pat_check(buf + MIB, MIB, 51, 0));
	EXPECT_EQ(0, counter_wait(pinned_pages, pinned0, SETTLE_MS, &v))
		TH_LOG("pinned %lld, baseline %lld", (long long)v,
		       (long long)pinned0);

	/* Memory that cannot be pinned is refused at submit, not later. */
	hole = mmap(NULL, page_size(), PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS,
		    -1, 0);
	ASSERT_NE(MAP_FAILED, hole);
	iov[0].base = PTR(hole);
	iov[0].len = page_size();
	c[0].len = page_size();
	EXPECT_EQ(-EFAULT, ipcoff_submit(&self->ipc, c, 1));
	EXPECT_EQ(0, ipcoff_ring_ready(&self->ring));
	munmap(hole, page_size());
	munmap(buf, 2 * MIB);
}

TEST_F_TIMEOUT(async, eventfd_counts, 120)
{
	enum { N = 10 };
	struct ipcoff_copy reqs[N];
	struct ipcoff_cqe cqes[N];
	uint64_t cnt = 0;
	unsigned int k;
	int efd;

	efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	ASSERT_LE(0, efd);
	ASSERT_EQ(0, ipcoff_set_eventfd(&self->ipc, efd));
	for (k = 0; k < N; k++)
		rr(&reqs[k], self->hd, k * 8192, self->hs, k * 8192, 8192,
		   IPCOFF_ENGINE_AUTO, k);
	ASSERT_EQ(N, ipcoff_submit(&self->ipc, reqs, N));
	ASSERT_EQ(0, reap(&self->ipc, &self->ring, cqes, N));
	ASSERT_EQ(sizeof(cnt), read(efd, &cnt, sizeof(cnt)));
	EXPECT_EQ(N, cnt);

	/* Removed: later entries do not signal it. */
	ASSERT_EQ(0, ipcoff_set_eventfd(&self->ipc, -1));
	ASSERT_EQ(2, ipcoff_submit(&self->ipc, reqs, 2));
	ASSERT_EQ(0, reap(&self->ipc, &self->ring, cqes, 2));
	EXPECT_EQ(-1, read(efd, &cnt, sizeof(cnt)));
	EXPECT_EQ(EAGAIN, errno);
	/* Not an eventfd. */
	EXPECT_EQ(-EINVAL, ipcoff_set_eventfd(&self->ipc, self->ipc.fd));
	EXPECT_EQ(-EBADF, ipcoff_set_eventfd(&self->ipc, 1000000));
	close(efd);
}

static void on_alarm(int sig)
{
	(void)sig;
}

TEST_F_TIMEOUT(async, wait_timeout_and_signal, 60)
{
	struct sigaction sa = { .sa_handler = on_alarm };
	struct itimerval it = { .it_value = { .tv_usec = 200000 } };
	uint64_t done = ipcoff_ring_completed(&self->ring), t0, got;
	struct ipcoff_wait w = { .target = done + 1, .timeout_ns = 1 };

	/* Nothing pending: the wait times out, after the time asked for. */
	t0 = now_ms();
	EXPECT_EQ(-ETIMEDOUT, ipcoff_wait(&self->ipc, done + 1, 100000000LL,
					  &got));
	EXPECT_LE(100, now_ms() - t0);
	EXPECT_EQ(done, got);
	/* Reached already: no sleep. */
	EXPECT_EQ(0, ipcoff_wait(&self->ipc, done, 0, &got));

	/* A signal ends an endless wait with EINTR. */
	ASSERT_EQ(0, sigaction(SIGALRM, &sa, NULL));
	ASSERT_EQ(0, setitimer(ITIMER_REAL, &it, NULL));
	EXPECT_EQ(-EINTR, ipcoff_wait(&self->ipc, done + 1, -1, &got));
	signal(SIGALRM, SIG_DFL);

	/* The raw ioctl checks its arguments. */
	w.flags = IPCOFF_WAIT_NO_INJECT << 1;
	EXPECT_EQ(-EINVAL, t_ioctl(self->ipc.fd, IPCOFF_IOC_WAIT, &w));
	w.flags = 1U << 31;
	EXPECT_EQ(-EINVAL, t_ioctl(self->ipc.fd, IPCOFF_IOC_WAIT, &w));
	w.flags = 0;
	w.pad = 1;
	EXPECT_EQ(-EINVAL, t_ioctl(self->ipc.fd, IPCOFF_IOC_WAIT, &w));
}

TEST_F_TIMEOUT(async, poll_readiness, 60)
{
	struct pollfd pfd = { .fd = self->ipc.fd, .events = POLLIN };
	struct ipcoff_copy c;

	EXPECT_EQ(0, poll(&pfd, 1, 0));
	rr(&c, self->hd, 0, self->hs, 0, 65536, IPCOFF_ENGINE_CPU, 5);
	ASSERT_EQ(1, ipcoff_submit(&self->ipc, &c, 1));
	ASSERT_EQ(1, poll(&pfd, 1, 10000));
	EXPECT_TRUE(pfd.revents & POLLIN);
	ASSERT_EQ(1, ipcoff_ring_ready(&self->ring));
	EXPECT_EQ(5, ipcoff_ring_peek(&self->ring)->user_data);
	ipcoff_ring_advance(&self->ring, 1);
	EXPECT_EQ(0, poll(&pfd, 1, 0));
}

/* A full ring refuses, never loses: count every request and every entry. */
TEST_F_TIMEOUT(async, ring_full_backpressure, 120)
{
	struct ipcoff_copy reqs[300];
	struct ipcoff_cqe cqes[256];
	unsigned int k, accepted = 0, reaped = 0, rounds = 0;
	int err;

	for (k = 0; k < ARRAY_SIZE(reqs); k++)
		rr(&reqs[k], self->hd, k * 4096, self->hs, k * 4096, 4096,
		   IPCOFF_ENGINE_AUTO, k);
	/* Nothing reaped: 256 places, then EAGAIN for the rest. */
	ASSERT_EQ(256, ipcoff_submit_ex(&self->ipc, reqs, 300, &err));
	EXPECT_EQ(-EAGAIN, err);
	accepted = 256;
	EXPECT_EQ(-EAGAIN, ipcoff_submit(&self->ipc, reqs + accepted, 1));
	while (accepted < ARRAY_SIZE(reqs) && rounds++ < 100) {
		unsigned int n = ipcoff_ring_ready(&self->ring);
		int ret;

		if (!n) {
			ASSERT_EQ(0, reap(&self->ipc, &self->ring, cqes, 1));
			reaped++;
			continue;
		}
		ipcoff_ring_advance(&self->ring, n);
		reaped += n;
		ret = ipcoff_submit(&self->ipc, reqs + accepted,
				    ARRAY_SIZE(reqs) - accepted);
		ASSERT_LE(0, ret);
		accepted += ret;
	}
	ASSERT_EQ(ARRAY_SIZE(reqs), accepted);
	ASSERT_EQ(0, reap(&self->ipc, &self->ring, cqes, accepted - reaped));
	EXPECT_EQ(accepted, ipcoff_ring_completed(&self->ring));
	EXPECT_EQ(0, ipcoff_ring_ready(&self->ring));
	EXPECT_EQ(300 * 4096, pat_check(self->dst, 300 * 4096, 51, 0));
}

/*
 * NOTIFY entries for a consumer that does not reap: its ring fills, the
 * rest wait in the overflow list, and past that the producer is refused.
 */
TEST_F_TIMEOUT(async, notify_overflow_and_refusal, 120)
{
	struct ipcoff_ring cring;
	struct ipcoff_copy reqs[20];
	struct ipcoff_cqe cqes[20];
	struct ipcoff cons;
	uint64_t hn, got;
	unsigned int k, seen = 0;
	int err;

	ASSERT_EQ(0, ipcoff_open(&cons, 0));
	ASSERT_EQ(0, ipcoff_ring_init(&cons, 8, &cring));
	ASSERT_EQ(0, ipcoff_register_notify(&cons, self->dst + 4 * MIB, MIB,
					    IPCOFF_REGION_WRITABLE, 0xfeed,
					    &hn));
	for (k = 0; k < 20; k++)
		rr(&reqs[k], hn, k * 4096, self->hs, k * 4096, 4096,
		   IPCOFF_ENGINE_CPU, k);
	/* 8 into the ring, 8 into overflow, then EBUSY. */
	ASSERT_EQ(16, ipcoff_submit_ex(&self->ipc, reqs, 20, &err));
	EXPECT_EQ(-EBUSY, err);
	ASSERT_EQ(0, reap(&self->ipc, &self->ring, cqes, 16));
	EXPECT_EQ(0, ipcoff_wait(&cons, 16, WAIT_NS, &got));
	EXPECT_EQ(8, ipcoff_ring_ready(&cring));
	EXPECT_EQ(IPCOFF_RING_OVERFLOW, *cring.kflags);
	ASSERT_EQ(0, reap(&cons, &cring, cqes, 16));
	EXPECT_EQ(0, *cring.kflags);
	/* Workers finish in any order: one entry per request, by offset. */
	for (k = 0; k < 16; k++) {
		uint64_t i = cqes[k].offset / 4096;

		EXPECT_EQ(IPCOFF_CQE_NOTIFY, cqes[k].flags);
		EXPECT_EQ(0xfeed, cqes[k].user_data);
		EXPECT_EQ(hn, cqes[k].handle);
		EXPECT_EQ(0, cqes[k].offset % 4096);
		ASSERT_GT(16, i);
		EXPECT_EQ(0, seen & (1U << i));
		seen |= 1U << i;
		EXPECT_EQ(4096, cqes[k].result);
		EXPECT_EQ(4096, cqes[k].len);
	}
	EXPECT_EQ(16 * 4096, pat_check(self->dst + 4 * MIB, 16 * 4096, 51, 0));
	/* Room again: the producer's refused requests go through. */
	ASSERT_EQ(4, ipcoff_submit(&self->ipc, reqs + 16, 4));
	ASSERT_EQ(0, reap(&cons, &cring, cqes, 4));
	ipcoff_ring_fini(&cring);
	ipcoff_close(&cons);
}

TEST_F(async, refusals)
{
	struct ipcoff_ring_setup rs = { .entries = 64 };
	struct ipcoff_submit s = { .entry_size = sizeof(struct ipcoff_copy) };
	struct ipcoff_eventfd ev = { .fd = -1 };
	struct ipcoff_copy c[2];
	uint64_t h;
	void *m;
	int fd;

	rr(&c[0], self->hd, 0, self->hs, 0, 4096, IPCOFF_ENGINE_CPU, 1);
	c[1] = c[0];
	s.reqs = PTR(c);
	s.count = 2;

	/* A context without a ring. */
	fd = t_open();
	ASSERT_LE(0, fd);
	EXPECT_EQ(-ENXIO, t_ioctl(fd, IPCOFF_IOC_SUBMIT, &s));
	EXPECT_EQ(-ENXIO, t_ioctl(fd, IPCOFF_IOC_SET_EVENTFD, &ev));
	EXPECT_EQ(MAP_FAILED, mmap(NULL, 4096, PROT_READ, MAP_SHARED, fd, 0));
	EXPECT_EQ(ENXIO, errno);
	EXPECT_EQ(-ENXIO, t_register(fd, PTR(self->dst), 4096,
				     IPCOFF_REGION_WRITABLE |
				     IPCOFF_REGION_NOTIFY, &h));
	/* Ring sizes: a power of two within the bounds, once. */
	rs.entries = 7;
	EXPECT_EQ(-EINVAL, t_ioctl(fd, IPCOFF_IOC_RING_SETUP, &rs));
	rs.entries = IPCOFF_RING_MIN_ENTRIES / 2;
	EXPECT_EQ(-EINVAL, t_ioctl(fd, IPCOFF_IOC_RING_SETUP, &rs));
	rs.entries = IPCOFF_RING_MAX_ENTRIES * 2;
	EXPECT_EQ(-EINVAL, t_ioctl(fd, IPCOFF_IOC_RING_SETUP, &rs));
	rs.entries = 64;
	rs.flags = 1;
	EXPECT_EQ(-EINVAL, t_ioctl(fd, IPCOFF_IOC_RING_SETUP, &rs));
	rs.flags = 0;
	ASSERT_EQ(0, t_ioctl(fd, IPCOFF_IOC_RING_SETUP, &rs));
	/* Once: another size is refused, the same size gets the layout. */
	rs.entries = 128;
	EXPECT_EQ(-EBUSY, t_ioctl(fd, IPCOFF_IOC_RING_SETUP, &rs));
	rs.entries = 64;
	memset(&rs.mmap_len, 0, sizeof(rs) - offsetof(typeof(rs), mmap_len));
	ASSERT_EQ(0, t_ioctl(fd, IPCOFF_IOC_RING_SETUP, &rs));
	EXPECT_LE(256 + 64 * sizeof(struct ipcoff_cqe), rs.mmap_len);
	/* Mappings: shared, from offset 0, no longer than the ring. */
	EXPECT_EQ(MAP_FAILED, mmap(NULL, rs.mmap_len, PROT_READ, MAP_PRIVATE,
				   fd, 0));
	EXPECT_EQ(MAP_FAILED, mmap(NULL, rs.mmap_len + 4096, PROT_READ,
				   MAP_SHARED, fd, 0));
	EXPECT_EQ(MAP_FAILED, mmap(NULL, 4096, PROT_READ, MAP_SHARED, fd,
				   4096));
	m = mmap(NULL, rs.mmap_len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	ASSERT_NE(MAP_FAILED, m);
	munmap(m, rs.mmap_len);
	close(fd);

	/* notify_data only with NOTIFY. */
	{
		struct ipcoff_region_reg reg = {
			.addr = PTR(self->dst), .len = 4096,
			.flags = IPCOFF_REGION_WRITABLE, .notify_data = 1,
		};

		EXPECT_EQ(-EINVAL, t_ioctl(self->ipc.fd, IPCOFF_IOC_REGISTER,
					   &reg));
	}
	/* SUBMIT's own fields. */
	s.entry_size = IPCOFF_COPY_SIZE_VER0 - 8;
	EXPECT_EQ(-EINVAL, t_ioctl(self->ipc.fd, IPCOFF_IOC_SUBMIT, &s));
	s.entry_size = sizeof(struct ipcoff_copy);
	s.flags = 1;
	EXPECT_EQ(-EINVAL, t_ioctl(self->ipc.fd, IPCOFF_IOC_SUBMIT, &s));
	s.flags = 0;
	/* LINK on the last request: the one before it is taken. */
	c[1].flags = IPCOFF_COPY_LINK;
	EXPECT_EQ(0, t_ioctl(self->ipc.fd, IPCOFF_IOC_SUBMIT, &s));
	EXPECT_EQ(1, s.accepted);
	EXPECT_EQ(-EINVAL, s.error);
	/* A CHUNKED request cannot wait for a LINK predecessor. */
	c[0].flags = IPCOFF_COPY_LINK;
	c[1].flags = IPCOFF_COPY_CHUNKED;
	c[1].chunk_size = 4096;
	EXPECT_EQ(0, t_ioctl(self->ipc.fd, IPCOFF_IOC_SUBMIT, &s));
	EXPECT_EQ(1, s.accepted);
	EXPECT_EQ(-EINVAL, s.error);
	c[0].flags = 0;
	c[1].flags = IPCOFF_COPY_LINK;
	c[1].chunk_size = 0;
	/* A bad request first: nothing taken, its errno returned. */
	c[0].qos = IPCOFF_QOS_MAX + 1;
	EXPECT_EQ(-EINVAL, t_ioctl(self->ipc.fd, IPCOFF_IOC_SUBMIT, &s));
	EXPECT_EQ(0, s.accepted);
	c[0].qos = 0;
	c[0].src.handle ^= 1;
	EXPECT_EQ(-ENOENT, t_ioctl(self->ipc.fd, IPCOFF_IOC_SUBMIT, &s));
	/* Nothing to do is not an error. */
	s.count = 0;
	EXPECT_EQ(0, t_ioctl(self->ipc.fd, IPCOFF_IOC_SUBMIT, &s));
	{
		struct ipcoff_cqe cqe[2];

		/* The two requests taken above, and nothing else. */
		EXPECT_EQ(0, reap(&self->ipc, &self->ring, cqe, 2));
		EXPECT_EQ(1, cqe[0].user_data);
		EXPECT_EQ(1, cqe[1].user_data);
		EXPECT_EQ(0, ipcoff_ring_ready(&self->ring));
	}
	/* Synchronous COPY takes neither LINK nor CHUNKED. */
	c[0].src.handle ^= 1;
	c[0].flags = IPCOFF_COPY_LINK;
	EXPECT_EQ(-EINVAL, t_copy(self->ipc.fd, &c[0]));
	c[0].flags = IPCOFF_COPY_CHUNKED;
	c[0].chunk_size = 4096;
	EXPECT_EQ(-EINVAL, t_copy(self->ipc.fd, &c[0]));
}

TEST_HARNESS_MAIN
