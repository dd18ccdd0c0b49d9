// SPDX-License-Identifier: GPL-2.0
/*
 * libipcoff's message channels and Hybrid-Coord pools on the module:
 *
 *  - every channel mode (Hybrid-Coord, Async-Pipe, Cache-Inject, auto, and
 *    the forced shared-memory fallback) from one producer to four consumer
 *    processes, bytes and order checked by each consumer, in place or
 *    copied out, with the module's transport reported; small messages
 *    inline (the default threshold), none inline, or all of them inline;
 *  - a Hybrid-Coord pool of ipcoff buffers with four consumers, one of
 *    them killed (SIGKILL) while it holds slots: the producer takes its
 *    claims back and goes on, the other three get every message;
 *  - a producer killed while its consumer sleeps: -ECONNRESET, no hang;
 *  - after each, every page ipcoff pinned is back (pinned_pages).
 *
 * Children report over a pipe (struct rep); the harness asserts on it.
 */
#include <stdbool.h>

#include <ipcoff.h>

#include "common.h"
#include "../libipcoff/tests/kid.h"

#define SEC_NS		(1000LL * 1000 * 1000)
#define CONSUMERS	4
#define MSG_MAX		(256 * 1024)
#define NMSG		42

struct rep {
	int32_t line;
	int32_t pad;
	char what[200];
	int64_t v[4];
};

static uint8_t pat(uint64_t msg, size_t i)
{
	return (uint8_t)(i * 131 + msg * 17 + 3);
}

static void fill(uint8_t *b, size_t len, uint64_t msg)
{
	for (size_t i = 0; i < len; i++)
		b[i] = pat(msg, i);
}

static size_t bad_at(const uint8_t *b, size_t len, uint64_t msg)
{
	for (size_t i = 0; i < len; i++)
		if (b[i] != pat(msg, i))
			return i;
	return len;
}

/* Sizes across the modes' thresholds, the largest included. */
static size_t size_of(uint64_t k)
{
	static const size_t sizes[] = {
		1, 4096, 65536 + 3, MSG_MAX, 100, 300000 / 2, 70000,
	};

	return sizes[k % (sizeof(sizes) / sizeof(sizes[0]))];
}

static pid_t kid_fork(struct kid *k, int *wfd)
{
	pid_t pid = kid_fork_pipe(k, wfd);

	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
		alarm(150);
	}
	return pid;
}

/* The report (zeroed with line -1 if none came) and the wait status. */
static int kid_reap(struct kid *k, struct rep *r)
{
	int status = -1;

	memset(r, 0, sizeof(*r));
	if (read(k->rfd, r, sizeof(*r)) != (ssize_t)sizeof(*r)) {
		r->line = -1;
		snprintf(r->what, sizeof(r->what), "no report");
	}
	close(k->rfd);
	waitpid(k->pid, &status, 0);
	return status;
}

#define EXPECT_REP(r) \
	EXPECT_EQ(0, (r).line) TH_LOG("child line %d: %s", (r).line, (r).what)

#define EXPECT_PINNED_BACK(base) do { \
	int64_t __v = 0; \
	EXPECT_EQ(0, counter_wait(pinned_pages, (base), SETTLE_MS, &__v)) \
		TH_LOG("pinned_pages %" PRId64 ", baseline %" PRId64, __v, \
		       (int64_t)(base)); \
} while (0)

/* ------------------------------------------------------------------ */
/* Channels, each mode: 1 producer, 4 consumers.                       */

static void __attribute__((noreturn))
consumer_main(int wfd, const char *name, bool peek, const char *transport)
{
	struct ipcoff_chan *ch = NULL;
	struct ipcoff_chan_info info;
	struct rep r = { 0 };
	uint8_t *buf = malloc(MSG_MAX);
	int ret;

	ret = ipcoff_chan_connect(name, IPCOFF_CHAN_QUIET, &ch);
	if (ret || !buf) {
		FAIL(&r, "connect: %s", strerror(-ret));
		kid_exit(wfd, &r);
	}
	for (uint64_t k = 0; k < NMSG && !r.line; k++) {
		size_t want = size_of(k);
		struct ipcoff_chan_msg m;
		ssize_t got;

		if (peek) {
			ret = ipcoff_chan_peek(ch, &m, 0);
			got = ret ? ret : (ssize_t)m.len;
			if (!ret && (m.seq != k ||
				     bad_at(m.data, m.len, k) != m.len))
				FAIL(&r, "message %llu: seq %llu, bytes wrong at %zu",
				     (unsigned long long)k,
				     (unsigned long long)m.seq,
				     bad_at(m.data, m.len, k));
			if (!ret)
				ipcoff_chan_done(ch, &m);
		} else {
			got = ipcoff_chan_recv(ch, buf, MSG_MAX, 0);
			if (got > 0 && bad_at(buf, (size_t)got, k) != (size_t)got)
				FAIL(&r, "message %llu: bytes wrong at %zu",
				     (unsigned long long)k,
				     bad_at(buf, (size_t)got, k));
		}
		if (got != (ssize_t)want)
			FAIL(&r, "message %llu: %zd bytes, want %zu",
			     (unsigned long long)k, got, want);
		r.v[0]++;
	}
	ipcoff_chan_info(ch, &info);
	if (!r.line && strcmp(info.transport, transport))
		FAIL(&r, "transport %s, want %s", info.transport, transport);
	ipcoff_chan_close(ch);
	free(buf);
	kid_exit(wfd, &r);
}

FIXTURE(chan) {
	int64_t pinned0;
	uint8_t *buf;
};

FIXTURE_VARIANT(chan) {
	unsigned int mode;
	const char *transport;
	unsigned int flags;
	uint64_t inline_max;
	uint64_t inline_want;	/* what ipcoff_chan_info() reports */
};

/* A mode on the module, small messages inline by default. */
#define CHAN_VARIANT_DEFAULT(name, m)				\
	FIXTURE_VARIANT_ADD(chan, name) {			\
		.mode = (m), .transport = "ipcoff",		\
		.inline_want = IPCOFF_CHAN_INLINE_DEFAULT,	\
	}

CHAN_VARIANT_DEFAULT(hybrid, IPCOFF_CHAN_MODE_HYBRID);
CHAN_VARIANT_DEFAULT(pipe, IPCOFF_CHAN_MODE_PIPE);
CHAN_VARIANT_DEFAULT(inject, IPCOFF_CHAN_MODE_INJECT);
CHAN_VARIANT_DEFAULT(auto, IPCOFF_CHAN_MODE_AUTO);

/* Every message by the module, the smallest too. */
FIXTURE_VARIANT_ADD(chan, hybrid_no_inline) {
	.mode = IPCOFF_CHAN_MODE_HYBRID, .transport = "ipcoff",
	.flags = IPCOFF_CHAN_NO_INLINE,
};

/* Every message memcpy'd through the control memfd. */
FIXTURE_VARIANT_ADD(chan, auto_all_inline) {
	.mode = IPCOFF_CHAN_MODE_AUTO, .transport = "ipcoff",
	.inline_max = MSG_MAX, .inline_want = MSG_MAX,
};

FIXTURE_VARIANT_ADD(chan, shm) {
	.mode = IPCOFF_CHAN_MODE_SHM, .transport = "shm",
};

FIXTURE_SETUP(chan)
{
	ASSERT_EQ(0, counter_settle(pinned_pages, &self->pinned0));
	self->buf = malloc(MSG_MAX);
	ASSERT_NE(NULL, self->buf);
}

FIXTURE_TEARDOWN(chan)
{
	free(self->buf);
}

TEST_F_TIMEOUT(chan, one_to_four, 170)
{
	struct ipcoff_chan_attr a = {
		.msg_max = MSG_MAX, .depth = 4, .mode = variant->mode,
		.flags = IPCOFF_CHAN_QUIET | variant->flags,
		.inline_max = variant->inline_max,
	};
	struct ipcoff_chan_info info;
	struct ipcoff_chan *ch = NULL;
	struct kid k[CONSUMERS];
	char name[64];
	int wfd = -1, i;
	int64_t pinned;

	snprintf(name, sizeof(name), "selftest-%d-%u-%u-%llu", (int)getpid(),
		 variant->mode, variant->flags,
		 (unsigned long long)variant->inline_max);
	ASSERT_EQ(0, ipcoff_chan_create(name, &a, &ch));
	ASSERT_EQ(0, ipcoff_chan_info(ch, &info));
	EXPECT_STREQ(variant->transport, info.transport);
	EXPECT_EQ(variant->mode, info.mode);
	EXPECT_EQ(variant->inline_want, info.inline_max);
	/* The slots are buffers: pinned while the channel lives. */
	ASSERT_EQ(0, pinned_pages(&pinned));
	if (variant->mode != IPCOFF_CHAN_MODE_SHM)
		EXPECT_EQ(self->pinned0 + 4 * MSG_MAX / (int64_t)page_size(),
			  pinned);
	for (i = 0; i < CONSUMERS; i++) {
		if (kid_fork(&k[i], &wfd) == 0)
			consumer_main(wfd, name, i & 1, variant->transport);
		ASSERT_LT(0, k[i].pid);
	}
	ASSERT_EQ(0, ipcoff_chan_wait_consumers(ch, CONSUMERS, 60 * SEC_NS));
	for (uint64_t m = 0; m < NMSG; m++) {
		fill(self->buf, size_of(m), m);
		ASSERT_EQ(0, ipcoff_chan_send(ch, self->buf, size_of(m), 0))
			TH_LOG("message %llu", (unsigned long long)m);
	}
	for (i = 0; i < CONSUMERS; i++) {
		struct rep r;

		EXPECT_EQ(0, kid_reap(&k[i], &r));
		EXPECT_REP(r);
		EXPECT_EQ(NMSG, r.v[0]);
	}
	ASSERT_EQ(0, ipcoff_chan_info(ch, &info));
	EXPECT_EQ(NMSG, info.messages);
	ipcoff_chan_close(ch);
	EXPECT_PINNED_BACK(self->pinned0);
}

/* ------------------------------------------------------------------ */
/* A Hybrid-Coord pool; a consumer killed holding slots.               */

#define POOL_SLOTS	4
#define POOL_SLOT	(64 * 1024)
#define POOL_N		40
#define HOLD		3	/* the victim keeps this many, then dies */

static int submit_from(struct ipcoff_pool *p, unsigned int slot,
		       const void *buf, size_t len)
{
	struct ipcoff_iovec iov = { .base = PTR(buf), .len = len };
	struct ipcoff_endpoint ep;

	ipcoff_ep_iovec(&ep, &iov, 1);
	return ipcoff_pool_submit(p, slot, &ep, len, 0);
}

static void __attribute__((noreturn))
pool_consumer(int wfd, int sock, bool victim)
{
	struct ipcoff_pool *p = NULL;
	struct ipcoff_pool_info info;
	struct rep r = { 0 };
	int ret;

	ret = ipcoff_pool_attach(sock, &p, NULL);
	if (ret) {
		FAIL(&r, "attach: %s", strerror(-ret));
		kid_exit(wfd, &r);
	}
	ipcoff_pool_info(p, &info);
	if (info.backing != IPCOFF_POOL_BACKING_IPCOFF)
		FAIL(&r, "backing %u", info.backing);
	for (uint64_t k = 0; k < POOL_N && !r.line; k++) {
		struct ipcoff_pool_msg m;

		ret = ipcoff_pool_receive(p, 60 * SEC_NS, &m);
		if (ret) {
			FAIL(&r, "receive %llu: %s", (unsigned long long)k,
			     strerror(-ret));
			break;
		}
		if (m.seq != k || m.len != POOL_SLOT - k ||
		    bad_at(m.data, m.len, k) != m.len)
			FAIL(&r, "message %llu: seq %llu len %llu",
			     (unsigned long long)k, (unsigned long long)m.seq,
			     (unsigned long long)m.len);
		r.v[0]++;
		if (victim && k + 1 == HOLD) {
			/* Report, then die holding HOLD slots. */
			if (write(wfd, &r, sizeof(r)) != (ssize_t)sizeof(r))
				_exit(3);
			raise(SIGKILL);
		}
		if (!victim)
			ipcoff_pool_release(p, m.slot);
	}
	ipcoff_pool_close(p);
	kid_exit(wfd, &r);
}

FIXTURE(proc) {
	int unused;
};

FIXTURE_SETUP(proc)
{
}

FIXTURE_TEARDOWN(proc)
{
}

TEST_F_TIMEOUT(proc, pool_consumer_killed, 170)
{
	struct ipcoff_pool_attr a = {
		.slot_size = POOL_SLOT, .slots = POOL_SLOTS,
	};
	struct ipcoff_pool *p = NULL;
	struct ipcoff_pool_info info;
	struct kid k[CONSUMERS];
	int64_t pinned0, pinned;
	uint8_t *buf = malloc(POOL_SLOT);
	int i, wfd = -1;

	ASSERT_NE(NULL, buf);
	ASSERT_EQ(0, counter_settle(pinned_pages, &pinned0));
	ASSERT_EQ(0, ipcoff_pool_create(&a, &p));
	ASSERT_EQ(0, pinned_pages(&pinned));
	EXPECT_EQ(pinned0 + POOL_SLOTS * POOL_SLOT / (int64_t)page_size(),
		  pinned);
	for (i = 0; i < CONSUMERS; i++) {
		int sv[2];

		ASSERT_EQ(0, socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC,
					0, sv));
		if (kid_fork(&k[i], &wfd) == 0) {
			close(sv[0]);
			pool_consumer(wfd, sv[1], i == 0);
		}
		ASSERT_LT(0, k[i].pid);
		close(sv[1]);
		ASSERT_EQ(i, ipcoff_pool_add_consumer(p, sv[0], 0));
	}
	/*
	 * Four slots, and the victim never gives back the three it holds:
	 * the messages go through only if its claims come back.
	 */
	for (uint64_t m = 0; m < POOL_N; m++) {
		unsigned int slot;

		fill(buf, POOL_SLOT - m, m);
		ASSERT_EQ(0, ipcoff_pool_acquire(p, 60 * SEC_NS, &slot))
			TH_LOG("message %llu", (unsigned long long)m);
		ASSERT_EQ(0, submit_from(p, slot, buf, POOL_SLOT - m));
		ASSERT_EQ(0, ipcoff_pool_flush(p, 60 * SEC_NS));
	}
	for (i = 0; i < CONSUMERS; i++) {
		struct rep r;
		int st = kid_reap(&k[i], &r);

		EXPECT_REP(r);
		if (i == 0) {
			EXPECT_TRUE(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL);
			EXPECT_EQ(HOLD, r.v[0]);
		} else {
			EXPECT_EQ(0, st);
			EXPECT_EQ(POOL_N, r.v[0]);
		}
	}
	ipcoff_pool_progress(p);
	ASSERT_EQ(0, ipcoff_pool_info(p, &info));
	EXPECT_EQ(0, info.consumers);
	EXPECT_LE(HOLD, info.recovered);
	EXPECT_EQ(POOL_SLOTS, info.free_slots);
	EXPECT_EQ(POOL_N, info.published);
	ipcoff_pool_close(p);
	free(buf);
	EXPECT_PINNED_BACK(pinned0);
}

/* ------------------------------------------------------------------ */
/* A producer killed while its consumer sleeps.                        */

TEST_F_TIMEOUT(proc, chan_producer_killed, 120)
{
	struct ipcoff_chan *c = NULL;
	char name[64];
	uint8_t b[64];
	int64_t pinned0;
	struct kid k;
	struct rep r;
	int wfd = -1;

	ASSERT_EQ(0, counter_settle(pinned_pages, &pinned0));
	snprintf(name, sizeof(name), "selftest-killp-%d", (int)getpid());
	if (kid_fork(&k, &wfd) == 0) {
		struct ipcoff_chan_attr a = {
			.msg_max = 64, .depth = 2, .flags = IPCOFF_CHAN_QUIET,
		};
		struct ipcoff_chan *ch = NULL;
		struct rep kr = { 0 };

		if (ipcoff_chan_create(name, &a, &ch))
			FAIL(&kr, "create");
		if (write(wfd, &kr, sizeof(kr)) != (ssize_t)sizeof(kr) || !ch)
			_exit(1);
		if (ipcoff_chan_wait_consumers(ch, 1, 60 * SEC_NS))
			_exit(1);
		memset(b, 7, sizeof(b));
		ipcoff_chan_send(ch, b, sizeof(b), 0);
		/* Give the consumer time to fall asleep; no assertion on it. */
		usleep(300000);
		raise(SIGKILL);
	}
	ASSERT_LT(0, k.pid);
	ASSERT_EQ((ssize_t)sizeof(r), read(k.rfd, &r, sizeof(r)));
	EXPECT_REP(r);
	ASSERT_EQ(0, ipcoff_chan_connect(name, IPCOFF_CHAN_QUIET, &c));
	EXPECT_EQ(64, ipcoff_chan_recv(c, b, sizeof(b), 0));
	EXPECT_EQ(7, b[63]);
	EXPECT_EQ(-ECONNRESET, ipcoff_chan_recv(c, b, sizeof(b), 0));
	ipcoff_chan_close(c);
	close(k.rfd);
	waitpid(k.pid, NULL, 0);
	EXPECT_PINNED_BACK(pinned0);
}

TEST_HARNESS_MAIN
