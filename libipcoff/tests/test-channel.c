// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * Native tests of Hybrid-Coord pools and message channels, on this
 * machine's fallback transport (memfd slots, memcpy, futex: there is no
 * /dev/ipcoff here). Real processes: consumers and producers are fork()ed
 * children that report over a pipe; some are killed with SIGKILL on
 * purpose. Every check is on bytes, counts and errors, never on time; an
 * alarm() in each child and a bounded wait in the parent turn a hang into
 * a failure.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <ipcoff.h>

#include "harness.h"
#include "kid.h"
#include "../chan_policy.h"
#include "../chan_transport.h"

#define SEC_NS		1000000000LL
#define CHILD_ALARM_S	60
#define ARRAY_LEN(a)	(sizeof(a) / sizeof((a)[0]))

/* ------------------------------------------------------------------ */
/* Helpers                                                             */

static uint8_t pat(uint64_t msg, size_t i)
{
	return (uint8_t)(i * 31 + msg * 7 + 1);
}

static void pat_fill(uint8_t *b, size_t len, uint64_t msg)
{
	size_t i;

	for (i = 0; i < len; i++)
		b[i] = pat(msg, i);
}

/* Index of the first wrong byte, or @len. */
static size_t pat_check(const uint8_t *b, size_t len, uint64_t msg)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (b[i] != pat(msg, i))
			return i;
	return len;
}

/* The sizes message @k has in the multi-message tests. */
static size_t size_of(uint64_t k, size_t max)
{
	static const size_t sizes[] = { 1, 100, 4096, 4097, 65536, 7 };
	size_t s = sizes[k % (sizeof(sizes) / sizeof(sizes[0]))];

	return k % 5 == 4 ? max : s > max ? max : s;
}

/* What a child found. */
struct rep {
	int line;		/* 0: all well */
	char what[160];
	long v[4];
};

static pid_t fork_kid(struct kid *k, int *wfd)
{
	pid_t pid = kid_fork_pipe(k, wfd);

	if (pid == 0)
		alarm(CHILD_ALARM_S);
	return pid;
}

/*
 * Reap @k (SIGKILL after 90 s); its report into @r. Returns the wait
 * status, or -1.
 */
static int kid_reap(struct kid *k, struct rep *r)
{
	int status = -1, i;
	ssize_t n = 0;

	memset(r, 0, sizeof(*r));
	for (i = 0; i < 9000; i++) {
		pid_t p = waitpid(k->pid, &status, WNOHANG);

		if (p == k->pid)
			break;
		if (p < 0) {
			status = -1;
			break;
		}
		usleep(10000);
	}
	if (i == 9000) {
		kill(k->pid, SIGKILL);
		waitpid(k->pid, &status, 0);
		snprintf(r->what, sizeof(r->what), "child hung");
		r->line = -1;
	}
	if (k->rfd >= 0) {
		if (!r->line)
			n = read(k->rfd, r, sizeof(*r));
		close(k->rfd);
		k->rfd = -1;
		if (!r->line && n != (ssize_t)sizeof(*r) && status == 0) {
			r->line = -1;
			snprintf(r->what, sizeof(r->what), "no report");
		}
	}
	return status;
}

#define CHECK_KID(k) do { \
	struct rep __r; \
	int __st = kid_reap(&(k), &__r); \
	if (!CHECK_EQ(__r.line, 0)) \
		printf("# child line %d: %s\n", __r.line, __r.what); \
	CHECK_EQ(__st, 0); \
} while (0)

static void chan_name(char *buf, size_t len, const char *tag)
{
	snprintf(buf, len, "t%d-%s", (int)getpid(), tag);
}

static struct ipcoff_chan_attr attr_of(size_t msg_max, unsigned int depth)
{
	struct ipcoff_chan_attr a;

	memset(&a, 0, sizeof(a));
	a.msg_max = msg_max;
	a.depth = depth;
	a.flags = IPCOFF_CHAN_QUIET;
	return a;
}

/* ------------------------------------------------------------------ */
/* Pools                                                               */

static struct ipcoff_pool_attr pool_attr(size_t size, unsigned int slots)
{
	struct ipcoff_pool_attr a;

	memset(&a, 0, sizeof(a));
	a.slot_size = size;
	a.slots = slots;
	a.flags = IPCOFF_POOL_SHM;
	return a;
}

static int submit_buf(struct ipcoff_pool *p, unsigned int slot,
		      const void *buf, size_t len)
{
	struct ipcoff_iovec iov = { .base = (uintptr_t)buf, .len = len };
	struct ipcoff_endpoint ep;

	ipcoff_ep_iovec(&ep, &iov, 1);
	return ipcoff_pool_submit(p, slot, &ep, len, 0);
}

/* A producer and @n consumers in this process, over socket pairs. */
static bool pool_setup(struct ipcoff_pool **prod, struct ipcoff_pool **cons,
		       unsigned int n, unsigned int slots)
{
	struct ipcoff_pool_attr a = pool_attr(8192, slots);
	unsigned int i;

	if (!CHECK_EQ(ipcoff_pool_create(&a, prod), 0))
		return false;
	for (i = 0; i < n; i++) {
		int sv[2];
		uint64_t cookie = 0;

		if (!CHECK_EQ(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC,
					 0, sv), 0))
			return false;
		if (!CHECK_EQ(ipcoff_pool_add_consumer(*prod, sv[0], 40 + i),
			      (int)i))
			return false;
		if (!CHECK_EQ(ipcoff_pool_attach(sv[1], &cons[i], &cookie), 0))
			return false;
		CHECK_EQ(cookie, 40 + i);
	}
	return true;
}

static void test_pool_claims(void)
{
	struct ipcoff_pool *prod = NULL, *cons[3] = { NULL };
	struct ipcoff_pool_info info;
	struct ipcoff_pool_msg m;
	uint8_t buf[8192];
	unsigned int slot, s2, i;

	REQUIRE(pool_setup(&prod, cons, 3, 4));
	CHECK_EQ(ipcoff_pool_info(prod, &info), 0);
	CHECK_EQ(info.backing, IPCOFF_POOL_BACKING_SHM);
	CHECK_EQ(info.consumers, 3);
	CHECK_EQ(info.free_slots, 4);
	CHECK_EQ(info.consumer, -1);

	/* Nothing published: nothing to receive. */
	CHECK_EQ(ipcoff_pool_receive(cons[0], 0, &m), -EAGAIN);
	REQUIRE(ipcoff_pool_acquire(prod, 0, &slot) == 0);
	pat_fill(buf, 5000, 1);
	REQUIRE(submit_buf(prod, slot, buf, 5000) == 0);
	for (i = 0; i < 3; i++) {
		REQUIRE(ipcoff_pool_receive(cons[i], 0, &m) == 0);
		CHECK_EQ(m.slot, slot);
		CHECK_EQ(m.len, 5000);
		CHECK_EQ(m.seq, 0);
		CHECK_EQ(pat_check(m.data, 5000, 1), 5000);
		CHECK_EQ(ipcoff_pool_receive(cons[i], 0, &m), -EAGAIN);
	}
	/* The slot is free only once every consumer released it. */
	CHECK_EQ(ipcoff_pool_release(cons[0], slot), 0);
	CHECK_EQ(ipcoff_pool_release(cons[0], slot), -ENOENT);
	CHECK_EQ(ipcoff_pool_release(cons[1], slot), 0);
	ipcoff_pool_info(prod, &info);
	CHECK_EQ(info.free_slots, 3);
	CHECK_EQ(ipcoff_pool_release(cons[2], slot), 0);
	ipcoff_pool_info(prod, &info);
	CHECK_EQ(info.free_slots, 4);
	CHECK_EQ(info.published, 1);

	/* All slots published and held: the producer must wait. */
	for (i = 0; i < 4; i++) {
		REQUIRE(ipcoff_pool_acquire(prod, 0, &s2) == 0);
		pat_fill(buf, 64, 10 + i);
		REQUIRE(submit_buf(prod, s2, buf, 64) == 0);
	}
	CHECK_EQ(ipcoff_pool_acquire(prod, 0, &s2), -EAGAIN);
	CHECK_EQ(ipcoff_pool_acquire(prod, SEC_NS / 100, &s2), -ETIMEDOUT);
	/* In order, with their numbers. */
	for (i = 0; i < 4; i++) {
		REQUIRE(ipcoff_pool_receive(cons[1], 0, &m) == 0);
		CHECK_EQ(m.seq, 1 + i);
		CHECK_EQ(pat_check(m.data, 64, 10 + i), 64);
		if (i == 0)
			slot = m.slot;
	}
	for (i = 0; i < 3; i++) {
		struct ipcoff_pool_msg mm;

		if (i != 1) {
			REQUIRE(ipcoff_pool_receive(cons[i], 0, &mm) == 0);
			CHECK_EQ(mm.slot, slot);
		}
		CHECK_EQ(ipcoff_pool_release(cons[i], slot), 0);
	}
	CHECK_EQ(ipcoff_pool_acquire(prod, 0, &s2), 0);
	CHECK_EQ(s2, slot);

	for (i = 0; i < 3; i++)
		ipcoff_pool_close(cons[i]);
	ipcoff_pool_close(prod);
}

static void test_pool_errors(void)
{
	struct ipcoff_pool_attr a = pool_attr(4096, 2);
	struct ipcoff_pool *prod = NULL, *cons[1] = { NULL };
	struct ipcoff_endpoint ep;
	struct ipcoff_pool_msg m;
	unsigned int slot;
	uint8_t b[16] = { 0 };

	a.slots = 0;
	CHECK_EQ(ipcoff_pool_create(&a, &prod), -EINVAL);
	a.slots = IPCOFF_POOL_MAX_SLOTS + 1;
	CHECK_EQ(ipcoff_pool_create(&a, &prod), -EINVAL);
	a = pool_attr(0, 2);
	CHECK_EQ(ipcoff_pool_create(&a, &prod), -EINVAL);
	a = pool_attr(4096, 2);
	a.flags = 0x80;
	CHECK_EQ(ipcoff_pool_create(&a, &prod), -EINVAL);
	a = pool_attr(4096, 2);
	a.reserved[1] = 1;
	CHECK_EQ(ipcoff_pool_create(&a, &prod), -EINVAL);
	a = pool_attr(4096, 2);
	a.chunk_size = 100;
	CHECK_EQ(ipcoff_pool_create(&a, &prod), -EINVAL);
	/* Without the SHM flag it needs the module, which is not here. */
	a = pool_attr(4096, 2);
	a.flags = 0;
	a.device = "/nonexistent/ipcoff";
	CHECK_EQ(ipcoff_pool_create(&a, &prod), -ENOENT);
	CHECK(prod == NULL);

	REQUIRE(pool_setup(&prod, cons, 1, 2));
	/* Submit needs an acquired slot; a slot holds slot_size bytes. */
	CHECK_EQ(submit_buf(prod, 0, b, 16), -EINVAL);
	REQUIRE(ipcoff_pool_acquire(prod, 0, &slot) == 0);
	CHECK_EQ(submit_buf(prod, slot, b, 8193), -EINVAL);
	/* Region endpoints need the module. */
	ipcoff_ep_region(&ep, 0x1234, 0);
	CHECK_EQ(ipcoff_pool_submit(prod, slot, &ep, 16, 0), -EOPNOTSUPP);
	/* Each side's calls only. */
	CHECK_EQ(ipcoff_pool_receive(prod, 0, &m), -EINVAL);
	CHECK_EQ(ipcoff_pool_release(prod, 0), -EINVAL);
	CHECK_EQ(ipcoff_pool_acquire(cons[0], 0, &slot), -EINVAL);
	CHECK_EQ(ipcoff_pool_release(cons[0], 5), -EINVAL);
	CHECK(ipcoff_pool_slot(prod, 2) == NULL);
	CHECK(ipcoff_pool_slot(prod, 1) != NULL);
	ipcoff_pool_close(cons[0]);
	ipcoff_pool_close(prod);
}

/*
 * A consumer process receives two messages, holds both and dies: the
 * producer notices the hang-up and takes its claims back.
 */
static void test_pool_dead_consumer(void)
{
	struct ipcoff_pool_attr a = pool_attr(4096, 3);
	struct ipcoff_pool *prod = NULL, *live = NULL;
	struct ipcoff_pool_info info;
	struct ipcoff_pool_msg m;
	unsigned int slot, i;
	struct kid k;
	uint8_t buf[256];
	int sv[2], lv[2], wfd = -1;

	REQUIRE(ipcoff_pool_create(&a, &prod) == 0);
	REQUIRE(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) == 0);
	REQUIRE(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, lv) == 0);
	REQUIRE(ipcoff_pool_add_consumer(prod, sv[0], 0) == 0);
	REQUIRE(ipcoff_pool_add_consumer(prod, lv[0], 0) == 1);
	REQUIRE(ipcoff_pool_attach(lv[1], &live, NULL) == 0);

	if (fork_kid(&k, &wfd) == 0) {
		struct ipcoff_pool *c = NULL;
		struct rep r = { 0 };
		int ret;

		ipcoff_pool_close(live);
		close(sv[0]);
		ret = ipcoff_pool_attach(sv[1], &c, NULL);
		if (ret)
			FAIL(&r, "attach: %d", ret);
		for (i = 0; i < 2 && !r.line; i++) {
			ret = ipcoff_pool_receive(c, 10 * SEC_NS, &m);
			if (ret)
				FAIL(&r, "receive %u: %d", i, ret);
			else if (pat_check(m.data, m.len, i) != m.len)
				FAIL(&r, "message %u: wrong bytes", i);
		}
		/* Holding both, report, then die without a word. */
		if (write(wfd, &r, sizeof(r)) != (ssize_t)sizeof(r))
			_exit(3);
		raise(SIGKILL);
		_exit(2);
	}
	REQUIRE(k.pid > 0);
	close(sv[1]);
	for (i = 0; i < 2; i++) {
		REQUIRE(ipcoff_pool_acquire(prod, 10 * SEC_NS, &slot) == 0);
		pat_fill(buf, sizeof(buf), i);
		REQUIRE(submit_buf(prod, slot, buf, sizeof(buf)) == 0);
	}
	{
		struct rep r;
		int st = kid_reap(&k, &r);

		CHECK_EQ(r.line, 0);
		CHECK(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL);
	}
	/* The live consumer releases its claims; the dead one cannot. */
	for (i = 0; i < 2; i++) {
		REQUIRE(ipcoff_pool_receive(live, 0, &m) == 0);
		CHECK_EQ(ipcoff_pool_release(live, m.slot), 0);
	}
	CHECK_EQ(ipcoff_pool_progress(prod), 0);
	ipcoff_pool_info(prod, &info);
	CHECK_EQ(info.consumers, 1);
	CHECK_EQ(info.recovered, 2);
	CHECK_EQ(info.free_slots, 3);
	/* Every slot can be had again. */
	for (i = 0; i < 3; i++) {
		CHECK_EQ(ipcoff_pool_acquire(prod, 0, &slot), 0);
		CHECK_EQ(submit_buf(prod, slot, buf, 1), 0);
		CHECK_EQ(ipcoff_pool_receive(live, 0, &m), 0);
		CHECK_EQ(ipcoff_pool_release(live, m.slot), 0);
	}
	ipcoff_pool_close(live);
	ipcoff_pool_close(prod);
}

/* The producer goes away: consumers learn it, also while asleep. */
static void test_pool_producer_gone(void)
{
	struct ipcoff_pool *prod = NULL, *cons[1] = { NULL };
	struct ipcoff_pool_msg m;
	unsigned int slot;
	uint8_t b[8] = { 1 };

	REQUIRE(pool_setup(&prod, cons, 1, 2));
	REQUIRE(ipcoff_pool_acquire(prod, 0, &slot) == 0);
	REQUIRE(submit_buf(prod, slot, b, 8) == 0);
	ipcoff_pool_close(prod);
	/* Memfd slots stay readable: what was published is still there. */
	CHECK_EQ(ipcoff_pool_receive(cons[0], 0, &m), 0);
	CHECK_EQ(m.len, 8);
	CHECK_EQ(ipcoff_pool_receive(cons[0], -1, &m), -EPIPE);
	ipcoff_pool_close(cons[0]);
}

/* ------------------------------------------------------------------ */
/* Channels                                                            */

/* Without the module a channel says so: a query and one line. */
static void test_chan_fallback_said(void)
{
	struct ipcoff_chan_attr a = attr_of(4096, 4);
	struct ipcoff_chan_info info;
	struct ipcoff_chan *ch = NULL;
	char name[64], line[512] = "";
	int p[2], saved;
	size_t got;
	ssize_t n;

	chan_name(name, sizeof(name), "said");
	a.device = "/nonexistent/ipcoff";
	REQUIRE(ipcoff_chan_create(name, &a, &ch) == 0);
	CHECK_EQ(ipcoff_chan_info(ch, &info), 0);
	CHECK_STR(info.transport, "shm");
	CHECK_EQ(info.mode, IPCOFF_CHAN_MODE_SHM);
	CHECK_EQ(info.producer, 1);
	CHECK_EQ(info.msg_max, 4096);
	CHECK_EQ(info.depth, 4);
	ipcoff_chan_close(ch);

	/* A fresh process says it once on stderr, without QUIET. */
	REQUIRE(pipe2(p, O_CLOEXEC) == 0);
	fflush(stderr);
	saved = dup(2);
	REQUIRE(saved >= 0);
	if (fork() == 0) {
		struct ipcoff_chan *c1 = NULL, *c2 = NULL;

		dup2(p[1], 2);
		a.flags = 0;
		if (ipcoff_chan_create(name, &a, &c1) ||
		    ipcoff_chan_create("other-name-said", &a, &c2))
			_exit(1);
		fflush(stderr);
		_exit(0);
	}
	close(p[1]);
	close(saved);
	for (got = 0; got < sizeof(line) - 1; got += (size_t)n) {
		n = read(p[0], line + got, sizeof(line) - 1 - got);
		if (n <= 0)
			break;
	}
	line[got] = 0;
	close(p[0]);
	wait(NULL);
	CHECK(strstr(line, "shared memory") != NULL);
	CHECK(strstr(line, "/nonexistent/ipcoff") != NULL);
	/* One line for two channels. */
	CHECK(strchr(line, '\n') == strrchr(line, '\n'));
}

static void test_chan_errors(void)
{
	struct ipcoff_chan_attr a = attr_of(4096, 4);
	struct ipcoff_chan *ch = NULL, *c2 = NULL;
	char name[64], big[200];
	struct ipcoff_chan_msg m;
	uint8_t b[8] = { 0 };

	chan_name(name, sizeof(name), "errors");
	CHECK_EQ(ipcoff_chan_connect(name, 0, &c2), -ECONNREFUSED);
	CHECK_EQ(ipcoff_chan_create("", &a, &ch), -EINVAL);
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = 0;
	CHECK_EQ(ipcoff_chan_create(big, &a, &ch), -ENAMETOOLONG);
	a.msg_max = 0;
	CHECK_EQ(ipcoff_chan_create(name, &a, &ch), -EINVAL);
	a = attr_of(4096, 65);
	CHECK_EQ(ipcoff_chan_create(name, &a, &ch), -EINVAL);
	a = attr_of(4096, 4);
	a.mode = 9;
	CHECK_EQ(ipcoff_chan_create(name, &a, &ch), -EINVAL);
	a = attr_of(4096, 4);
	a.reserved[0] = 1;
	CHECK_EQ(ipcoff_chan_create(name, &a, &ch), -EINVAL);
	a = attr_of(4096, 4);
	a.inline_max = IPCOFF_CHAN_INLINE_LIMIT + 1;
	CHECK_EQ(ipcoff_chan_create(name, &a, &ch), -EINVAL);
	a = attr_of(4096, 4);
	a.flags |= 1U << 7;
	CHECK_EQ(ipcoff_chan_create(name, &a, &ch), -EINVAL);
	/* rdma names need libipcoff-rdma.a's ipcoff_chan_rdma_enable(). */
	a = attr_of(4096, 4);
	CHECK_EQ(ipcoff_chan_create("rdma://127.0.0.1:1", &a, &ch),
		 -EPROTONOSUPPORT);
	CHECK_EQ(ipcoff_chan_connect("rdma://127.0.0.1:1", 0, &c2),
		 -EPROTONOSUPPORT);
	CHECK(ch == NULL);

	a = attr_of(4096, 4);
	REQUIRE(ipcoff_chan_create(name, &a, &ch) == 0);
	CHECK_EQ(ipcoff_chan_create(name, &a, &c2), -EADDRINUSE);
	/* Each side's calls only; sizes. */
	CHECK_EQ(ipcoff_chan_recv(ch, b, 8, 0), -EINVAL);
	CHECK_EQ(ipcoff_chan_peek(ch, &m, 0), -EINVAL);
	CHECK_EQ(ipcoff_chan_send(ch, b, 4097, 0), -EMSGSIZE);
	CHECK_EQ(ipcoff_chan_send(ch, b, 8, 0x10), -EINVAL);
	/* Nobody connected yet: not now. */
	CHECK_EQ(ipcoff_chan_send(ch, b, 8, IPCOFF_CHAN_DONTWAIT), -EAGAIN);
	CHECK_EQ(ipcoff_chan_wait_consumers(ch, 1, 0), -EAGAIN);
	REQUIRE(ipcoff_chan_connect(name, IPCOFF_CHAN_QUIET, &c2) == 0);
	CHECK_EQ(ipcoff_chan_send(c2, b, 8, 0), -EINVAL);
	CHECK_EQ(ipcoff_chan_wait_consumers(ch, 1, -1), 0);
	ipcoff_chan_close(c2);
	ipcoff_chan_close(ch);
	/* The name is free again. */
	CHECK_EQ(ipcoff_chan_connect(name, 0, &c2), -ECONNREFUSED);
}

/*
 * A consumer process: connects to @name, receives @n messages of the
 * test's sizes, checks them, and reports. @peek: in place. @stop_after:
 * report and die by SIGKILL after that many, holding them (0: never).
 */
static void __attribute__((noreturn))
consumer(int wfd, const char *name, unsigned int n, size_t max, bool peek,
	 unsigned int stop_after)
{
	struct ipcoff_chan *ch = NULL;
	struct ipcoff_chan_info info;
	struct rep r = { 0 };
	uint8_t *buf = malloc(max + 64);
	unsigned int k;
	int ret;

	ret = ipcoff_chan_connect(name, IPCOFF_CHAN_QUIET, &ch);
	if (ret || !buf) {
		FAIL(&r, "connect: %d", ret);
		kid_exit(wfd, &r);
	}
	for (k = 0; k < n && !r.line; k++) {
		size_t want = size_of(k, max);
		struct ipcoff_chan_msg m;
		ssize_t got;

		if (peek) {
			ret = ipcoff_chan_peek(ch, &m, 0);
			got = ret ? ret : (ssize_t)m.len;
			if (!ret && m.seq != k)
				FAIL(&r, "message %u: seq %llu", k,
				     (unsigned long long)m.seq);
			if (!ret && pat_check(m.data, m.len, k) != m.len)
				FAIL(&r, "message %u: wrong bytes in place", k);
			if (!ret && !stop_after && ipcoff_chan_done(ch, &m))
				FAIL(&r, "done %u", k);
		} else {
			memset(buf, 0xee, max + 64);
			got = ipcoff_chan_recv(ch, buf, max + 64, 0);
			if (got >= 0 && pat_check(buf, (size_t)got, k) !=
			    (size_t)got)
				FAIL(&r, "message %u: wrong bytes", k);
		}
		if (got != (ssize_t)want)
			FAIL(&r, "message %u: %zd bytes, want %zu", k, got, want);
		r.v[0]++;
		if (stop_after && k + 1 == stop_after) {
			if (write(wfd, &r, sizeof(r)) != (ssize_t)sizeof(r))
				_exit(3);
			raise(SIGKILL);
		}
	}
	ipcoff_chan_info(ch, &info);
	r.v[1] = (long)info.messages;
	if (!r.line && strcmp(info.transport, "shm"))
		FAIL(&r, "transport %s", info.transport);
	ipcoff_chan_close(ch);
	free(buf);
	kid_exit(wfd, &r);
}

static void send_all(struct ipcoff_chan *ch, unsigned int n, size_t max)
{
	uint8_t *buf = malloc(max);
	unsigned int k;

	REQUIRE(buf);
	for (k = 0; k < n; k++) {
		size_t len = size_of(k, max);

		pat_fill(buf, len, k);
		if (!CHECK_EQ(ipcoff_chan_send(ch, buf, len, 0), 0))
			break;
	}
	free(buf);
}

/* 1 producer, 4 consumer processes, every message to every consumer. */
static void test_chan_one_to_many(void)
{
	struct ipcoff_chan_attr a = attr_of(100000, 4);
	struct ipcoff_chan_info info;
	struct ipcoff_chan *ch = NULL;
	struct kid k[4];
	char name[64];
	int i, wfd = -1;

	chan_name(name, sizeof(name), "many");
	REQUIRE(ipcoff_chan_create(name, &a, &ch) == 0);
	for (i = 0; i < 4; i++) {
		if (fork_kid(&k[i], &wfd) == 0) {
			ipcoff_chan_close(ch);
			consumer(wfd, name, 60, a.msg_max, i & 1, 0);
		}
		REQUIRE(k[i].pid > 0);
	}
	REQUIRE(ipcoff_chan_wait_consumers(ch, 4, 30 * SEC_NS) == 0);
	send_all(ch, 60, a.msg_max);
	CHECK_EQ(ipcoff_chan_info(ch, &info), 0);
	CHECK_EQ(info.messages, 60);
	for (i = 0; i < 4; i++)
		CHECK_KID(k[i]);
	ipcoff_chan_close(ch);
}

/* Messages of every size up to the maximum; a too-small buffer. */
static void test_chan_sizes(void)
{
	struct ipcoff_chan_attr a = attr_of(3 * 4096 + 5, 2);
	struct ipcoff_chan *ch = NULL, *c = NULL;
	uint8_t out[3 * 4096 + 5], in[3 * 4096 + 64];
	char name[64];
	size_t len;

	chan_name(name, sizeof(name), "sizes");
	REQUIRE(ipcoff_chan_create(name, &a, &ch) == 0);
	REQUIRE(ipcoff_chan_connect(name, IPCOFF_CHAN_QUIET, &c) == 0);
	REQUIRE(ipcoff_chan_wait_consumers(ch, 1, 10 * SEC_NS) == 0);
	for (len = 0; len <= sizeof(out); len += len < 70 ? 1 : 4093) {
		pat_fill(out, len, len);
		if (!CHECK_EQ(ipcoff_chan_send(ch, out, len, 0), 0))
			break;
		memset(in, 0xee, sizeof(in));
		if (!CHECK_EQ(ipcoff_chan_recv(c, in, sizeof(in), 0),
			      (ssize_t)len))
			break;
		CHECK_EQ(pat_check(in, len, len), len);
		CHECK_EQ(in[len], 0xee);
	}
	/* The largest, into a buffer one byte short: it stays. */
	pat_fill(out, sizeof(out), 99);
	REQUIRE(ipcoff_chan_send(ch, out, sizeof(out), 0) == 0);
	CHECK_EQ(ipcoff_chan_recv(c, in, sizeof(out) - 1, 0), -EMSGSIZE);
	CHECK_EQ(ipcoff_chan_recv(c, in, sizeof(out), 0), (ssize_t)sizeof(out));
	CHECK_EQ(pat_check(in, sizeof(out), 99), sizeof(out));
	CHECK_EQ(ipcoff_chan_send(ch, out, sizeof(out) + 1, 0), -EMSGSIZE);
	/* Gathered from pieces. */
	{
		struct iovec iov[3] = {
			{ out, 10 }, { out + 10, 0 }, { out + 10, 990 },
		};

		pat_fill(out, 1000, 7);
		CHECK_EQ(ipcoff_chan_sendv(ch, iov, 3, 0), 0);
		CHECK_EQ(ipcoff_chan_recv(c, in, sizeof(in), 0), 1000);
		CHECK_EQ(pat_check(in, 1000, 7), 1000);
	}
	ipcoff_chan_close(c);
	ipcoff_chan_close(ch);
}

/* DONTWAIT on both sides, the fd in poll(), NONBLOCK channels. */
static void test_chan_nonblocking(void)
{
	struct ipcoff_chan_attr a = attr_of(256, 2);
	struct ipcoff_chan *ch = NULL, *c = NULL;
	struct ipcoff_chan_msg m;
	struct pollfd pfd;
	uint8_t b[256];
	char name[64];
	int fd;

	chan_name(name, sizeof(name), "nb");
	REQUIRE(ipcoff_chan_create(name, &a, &ch) == 0);
	REQUIRE(ipcoff_chan_connect(name, IPCOFF_CHAN_QUIET |
				    IPCOFF_CHAN_NONBLOCK, &c) == 0);
	/* Not admitted yet: nothing, at once. */
	CHECK_EQ(ipcoff_chan_recv(c, b, sizeof(b), 0), -EAGAIN);
	fd = ipcoff_chan_fd(c);
	REQUIRE(fd >= 0);
	REQUIRE(ipcoff_chan_wait_consumers(ch, 1, 10 * SEC_NS) == 0);
	/* Admitted: the hello makes the fd readable. */
	pfd = (struct pollfd){ .fd = fd, .events = POLLIN };
	CHECK_EQ(poll(&pfd, 1, 10000), 1);
	CHECK_EQ(ipcoff_chan_progress(c), 0);
	CHECK_EQ(ipcoff_chan_recv(c, b, sizeof(b), 0), -EAGAIN);
	CHECK_EQ(ipcoff_chan_peek(c, &m, IPCOFF_CHAN_DONTWAIT), -EAGAIN);
	/* Drained: not readable until a message comes. */
	pfd.revents = 0;
	CHECK_EQ(poll(&pfd, 1, 0), 0);
	memset(b, 3, sizeof(b));
	CHECK_EQ(ipcoff_chan_send(ch, b, 10, IPCOFF_CHAN_DONTWAIT), 0);
	CHECK_EQ(poll(&pfd, 1, 10000), 1);
	CHECK_EQ(ipcoff_chan_send(ch, b, 20, IPCOFF_CHAN_DONTWAIT), 0);
	/* Two slots, both unread: the third waits, or not at all. */
	CHECK_EQ(ipcoff_chan_send(ch, b, 30, IPCOFF_CHAN_DONTWAIT), -EAGAIN);
	CHECK_EQ(ipcoff_chan_recv(c, b, sizeof(b), 0), 10);
	CHECK_EQ(ipcoff_chan_send(ch, b, 30, IPCOFF_CHAN_DONTWAIT), 0);
	CHECK_EQ(ipcoff_chan_peek(c, &m, 0), 0);
	CHECK_EQ(m.len, 20);
	CHECK_EQ(m.seq, 1);
	CHECK_EQ(ipcoff_chan_done(c, &m), 0);
	CHECK_EQ(ipcoff_chan_done(c, &m), -EINVAL);
	CHECK_EQ(ipcoff_chan_recv(c, b, sizeof(b), 0), 30);
	CHECK_EQ(ipcoff_chan_recv(c, b, sizeof(b), 0), -EAGAIN);
	/* The producer's fd: epoll-able. */
	CHECK(ipcoff_chan_fd(ch) >= 0);
	CHECK_EQ(ipcoff_chan_progress(ch), 0);
	ipcoff_chan_close(c);
	ipcoff_chan_close(ch);
}

/*
 * Two consumers; one dies (SIGKILL) holding four messages it peeked at.
 * The producer goes on: the dead one's slots come back, the other
 * consumer gets every message. With both gone, a send is -EPIPE.
 */
static void test_chan_dead_consumer(void)
{
	struct ipcoff_chan_attr a = attr_of(4096, 4);
	struct ipcoff_chan_info info;
	struct ipcoff_chan *ch = NULL;
	struct kid dead, live;
	char name[64];
	uint8_t b[8] = { 0 };
	int wfd = -1;

	chan_name(name, sizeof(name), "deadc");
	REQUIRE(ipcoff_chan_create(name, &a, &ch) == 0);
	if (fork_kid(&dead, &wfd) == 0) {
		ipcoff_chan_close(ch);
		consumer(wfd, name, 100, a.msg_max, true, 4);
	}
	if (fork_kid(&live, &wfd) == 0) {
		ipcoff_chan_close(ch);
		consumer(wfd, name, 40, a.msg_max, false, 0);
	}
	REQUIRE(dead.pid > 0 && live.pid > 0);
	REQUIRE(ipcoff_chan_wait_consumers(ch, 2, 30 * SEC_NS) == 0);
	/* 4 slots; the dead one holds 4 messages: only recovery lets 40 go. */
	send_all(ch, 40, a.msg_max);
	{
		struct rep r;
		int st = kid_reap(&dead, &r);

		CHECK_EQ(r.line, 0);
		CHECK_EQ(r.v[0], 4);
		CHECK(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL);
	}
	CHECK_KID(live);
	CHECK_EQ(ipcoff_chan_info(ch, &info), 0);
	CHECK(info.recovered >= 1);
	CHECK_EQ(ipcoff_chan_progress(ch), 0);
	CHECK_EQ(ipcoff_chan_info(ch, &info), 0);
	CHECK_EQ(info.consumers, 0);
	CHECK_EQ(ipcoff_chan_send(ch, b, 8, 0), -EPIPE);
	ipcoff_chan_close(ch);
}

/* The producer closes, or dies: a sleeping consumer gets an error. */
static void test_chan_producer_gone(void)
{
	char name[64];
	int variant;

	for (variant = 0; variant < 2; variant++) {
		struct ipcoff_chan *c = NULL;
		uint8_t b[64];
		struct kid k;
		int wfd = -1;

		chan_name(name, sizeof(name), variant ? "killp" : "closep");
		if (fork_kid(&k, &wfd) == 0) {
			struct ipcoff_chan_attr a = attr_of(64, 2);
			struct ipcoff_chan *ch = NULL;
			struct rep r = { 0 };

			if (ipcoff_chan_create(name, &a, &ch))
				FAIL(&r, "create");
			if (write(wfd, &r, sizeof(r)) != (ssize_t)sizeof(r))
				_exit(3);
			if (!ch || ipcoff_chan_wait_consumers(ch, 1, 30 * SEC_NS))
				_exit(1);
			memset(b, 5, sizeof(b));
			ipcoff_chan_send(ch, b, 64, 0);
			/* Let the consumer sleep on an empty channel first. */
			usleep(200000);
			if (variant)
				raise(SIGKILL);
			ipcoff_chan_close(ch);
			_exit(0);
		}
		REQUIRE(k.pid > 0);
		{
			struct rep r;

			REQUIRE(read(k.rfd, &r, sizeof(r)) == (ssize_t)sizeof(r));
			CHECK_EQ(r.line, 0);
		}
		REQUIRE(ipcoff_chan_connect(name, IPCOFF_CHAN_QUIET, &c) == 0);
		CHECK_EQ(ipcoff_chan_recv(c, b, sizeof(b), 0), 64);
		CHECK_EQ(ipcoff_chan_recv(c, b, sizeof(b), 0),
			 variant ? -ECONNRESET : -EPIPE);
		/* And it stays so. */
		CHECK_EQ(ipcoff_chan_recv(c, b, sizeof(b), IPCOFF_CHAN_DONTWAIT),
			 variant ? -ECONNRESET : -EPIPE);
		ipcoff_chan_close(c);
		waitpid(k.pid, NULL, 0);
		close(k.rfd);
	}
}

/* A path name, and a consumer that connects before the producer sends. */
static void test_chan_path_name(void)
{
	struct ipcoff_chan_attr a = attr_of(128, 2);
	struct ipcoff_chan *ch = NULL, *c = NULL;
	char path[108];
	uint8_t b[128];

	/* In the build directory: the test leaves nothing elsewhere. */
	snprintf(path, sizeof(path), "%s/chan-%d",
		 getenv("IPCOFF_TEST_DIR") ? getenv("IPCOFF_TEST_DIR") : ".",
		 (int)getpid());
	REQUIRE(ipcoff_chan_create(path, &a, &ch) == 0);
	CHECK(access(path, F_OK) == 0);
	REQUIRE(ipcoff_chan_connect(path, IPCOFF_CHAN_QUIET, &c) == 0);
	memset(b, 9, sizeof(b));
	/* The send admits the consumer that is waiting. */
	CHECK_EQ(ipcoff_chan_send(ch, b, 128, 0), 0);
	memset(b, 0, sizeof(b));
	CHECK_EQ(ipcoff_chan_recv(c, b, sizeof(b), 0), 128);
	CHECK_EQ(b[127], 9);
	ipcoff_chan_close(c);
	ipcoff_chan_close(ch);
	CHECK(access(path, F_OK) != 0);
}


/* ------------------------------------------------------------------ */
/* "ipcoff://HOST:PORT": the transport policy and the local path       */

static struct chan_addr addr4(const char *a, const char *ifname)
{
	struct chan_addr c;

	memset(&c, 0, sizeof(c));
	c.family = AF_INET;
	inet_pton(AF_INET, a, c.a);
	snprintf(c.ifname, sizeof(c.ifname), "%s", ifname);
	return c;
}

static struct chan_addr addr6(const char *a, const char *ifname)
{
	struct chan_addr c;

	memset(&c, 0, sizeof(c));
	c.family = AF_INET6;
	inet_pton(AF_INET6, a, c.a);
	snprintf(c.ifname, sizeof(c.ifname), "%s", ifname);
	return c;
}

static struct chan_rdev rdev(const char *name, const char *netdev, bool hw)
{
	struct chan_rdev d;

	memset(&d, 0, sizeof(d));
	snprintf(d.name, sizeof(d.name), "%s", name);
	snprintf(d.netdev, sizeof(d.netdev), "%s", netdev);
	d.hw = hw;
	return d;
}

/* Every row of the decision table, with injected addresses and devices. */
static void test_policy_table(void)
{
	struct chan_addr addrs[3];
	struct chan_rdev rxe[1], rnic[2], rnic_other[1], rnic_unknown[1];
	static const struct {
		const char *host;
		int devs;	/* 0 none, 1 rxe only, 2 rxe + RNIC on eth1,
				 * 3 RNIC on eth2, 4 RNIC, netdev unknown */
		bool enabled, asked, prefer;
		int want;
		const char *why;	/* a word the reason holds */
	} rows[] = {
		/* This host: local unless asked or an RNIC is preferred. */
		{ "10.1.0.5", 2, true, false, false, CHAN_ROUTE_LOCAL, "this host" },
		{ "127.0.0.1", 2, true, false, false, CHAN_ROUTE_LOCAL, "local" },
		{ "127.3.2.1", 0, false, false, false, CHAN_ROUTE_LOCAL, "local" },
		{ "0.0.0.0", 0, false, false, false, CHAN_ROUTE_LOCAL, "local" },
		{ "::1", 0, false, false, false, CHAN_ROUTE_LOCAL, "local" },
		{ "fd00::5", 1, true, false, false, CHAN_ROUTE_LOCAL, "local" },
		{ "10.1.0.5", 1, true, true, false, CHAN_ROUTE_RDMA, "asked" },
		{ "10.1.0.5", 0, true, true, false, CHAN_ROUTE_RDMA, "asked" },
		{ "10.1.0.5", 1, false, true, false, -EPROTONOSUPPORT, "ipcoff_chan_rdma_enable" },
		{ "10.1.0.5", 2, true, false, true, CHAN_ROUTE_RDMA, "mlx5_0" },
		{ "10.1.0.5", 4, true, false, true, CHAN_ROUTE_RDMA, "mlx5_9" },
		{ "10.1.0.5", 1, true, false, true, CHAN_ROUTE_LOCAL, "none serves" },
		{ "10.1.0.5", 3, true, false, true, CHAN_ROUTE_LOCAL, "none serves" },
		{ "10.1.0.5", 2, false, false, true, CHAN_ROUTE_LOCAL, "not enabled" },
		{ "127.0.0.1", 2, true, false, true, CHAN_ROUTE_LOCAL, "none serves" },
		{ "10.1.0.5", 2, true, true, true, CHAN_ROUTE_RDMA, "asked" },
		/* Another host: rdma, or why not. */
		{ "10.1.0.9", 1, true, false, false, CHAN_ROUTE_RDMA, "another host" },
		{ "10.1.0.9", 2, true, false, false, CHAN_ROUTE_RDMA, "another host" },
		{ "fd00::9", 1, true, false, false, CHAN_ROUTE_RDMA, "another host" },
		{ "10.1.0.9", 1, false, false, false, -EPROTONOSUPPORT, "ipcoff_chan_rdma_enable" },
		{ "10.1.0.9", 0, true, false, false, -ENODEV, "no RDMA device" },
		{ "10.1.0.9", 0, false, true, true, -EPROTONOSUPPORT, "enable" },
		/* Not numeric. */
		{ "localhost", 1, true, false, false, -EINVAL, "numeric" },
		{ "10.1.0", 1, true, false, false, -EINVAL, "numeric" },
		{ "", 1, true, false, false, -EINVAL, "numeric" },
	};
	size_t i;

	addrs[0] = addr4("10.1.0.5", "eth1");
	addrs[1] = addr4("192.168.7.2", "eth2");
	addrs[2] = addr6("fd00::5", "eth1");
	rxe[0] = rdev("rxe0", "eth1", false);
	rnic[0] = rxe[0];
	rnic[1] = rdev("mlx5_0", "eth1", true);
	rnic_other[0] = rdev("mlx5_1", "eth2", true);
	rnic_unknown[0] = rdev("mlx5_9", "", true);
	for (i = 0; i < ARRAY_LEN(rows); i++) {
		struct chan_policy_in in = {
			.host = rows[i].host, .addrs = addrs, .naddrs = 3,
			.rdma_enabled = rows[i].enabled,
			.asked = rows[i].asked, .prefer_rnic = rows[i].prefer,
		};
		char why[256] = "";
		int got;

		switch (rows[i].devs) {
		case 1: in.devs = rxe; in.ndevs = 1; break;
		case 2: in.devs = rnic; in.ndevs = 2; break;
		case 3: in.devs = rnic_other; in.ndevs = 1; break;
		case 4: in.devs = rnic_unknown; in.ndevs = 1; break;
		}
		got = chan_policy_route(&in, why, sizeof(why));
		if (!CHECK_EQ(got, rows[i].want) ||
		    !CHECK(strstr(why, rows[i].why) != NULL))
			printf("# row %zu (%s): %d, \"%s\"\n", i, rows[i].host,
			       got, why);
	}
	/* The same host by an address it lists, and the netdev that has it. */
	{
		const char *ifn = NULL;

		CHECK_EQ(chan_host_is_local("192.168.7.2", addrs, 3, &ifn), 1);
		CHECK(ifn && !strcmp(ifn, "eth2"));
		CHECK_EQ(chan_host_is_local("192.168.7.3", addrs, 3, &ifn), 0);
		CHECK(ifn == NULL);
		CHECK_EQ(chan_host_is_local("[::1]", addrs, 3, NULL), -EINVAL);
	}
}

/* Software or real, from sysfs facts; then a fake sysfs tree read. */
static int make_link(const char *target, const char *dir, const char *name)
{
	char p[1024];

	if (snprintf(p, sizeof(p), "%s/%s", dir, name) >= (int)sizeof(p))
		return -1;
	return symlink(target, p);
}

static int put_file(const char *dir, const char *name, const char *text)
{
	char p[1024];
	FILE *f;

	if (snprintf(p, sizeof(p), "%s/%s", dir, name) >= (int)sizeof(p))
		return -1;
	f = fopen(p, "w");
	if (!f)
		return -1;
	fputs(text, f);
	return fclose(f);
}

static void test_policy_devices(void)
{
	static const struct {
		struct chan_rdev_facts f;
		bool hw;
	} facts[] = {
		{ { true, false, "mlx5_core", "pci", "host mlx5_0" }, true },
		{ { true, false, "", "pci", "" }, true },
		{ { false, true, "", "", "rxe" }, false },
		{ { false, false, "", "", "rxe" }, false },
		{ { true, true, "virtio-pci", "pci", "rxe" }, false },
		{ { true, false, "virtio-pci", "pci", "rxe" }, false },
		{ { true, false, "", "net", "Software iWARP stack" }, false },
		{ { true, false, "e1000e", "pci", "Software iWARP stack" }, false },
		{ { true, false, "siw", "", "" }, false },
		{ { true, false, "rdma_rxe", "", "" }, false },
		{ { true, false, "", "net", "" }, false },
	};
	char root[256], d[384], cmd[2048];
	struct chan_rdev devs[8];
	const char *tdir = getenv("IPCOFF_TEST_DIR");
	int n, i, seen = 0;
	size_t k;

	for (k = 0; k < ARRAY_LEN(facts); k++)
		if (!CHECK_EQ(chan_rdev_is_hw(&facts[k].f), facts[k].hw))
			printf("# facts row %zu\n", k);

	/* No such class directory: no devices, no error. */
	CHECK_EQ(chan_rdevs_get("/nonexistent/class/infiniband", devs, 8), 0);

	snprintf(root, sizeof(root), "%s/sysfs-%d", tdir ? tdir : ".",
		 (int)getpid());
	/* A PCI function with its driver; a netdev; three RDMA devices. */
	snprintf(d, sizeof(d), "%s/devices/pci0/0000:01:00.0", root);
	REQUIRE(snprintf(cmd, sizeof(cmd), "mkdir -p '%s' '%s/bus/pci/drivers/mlx5_core' '%s/class/net/eth0' '%s/class/infiniband/mlx5_0/ports/1/gid_attrs/ndevs' '%s/class/infiniband/rxe0/ports/1/gid_attrs/ndevs' '%s/class/infiniband/siw0'",
		 d, root, root, root, root, root) < (int)sizeof(cmd));
	REQUIRE(system(cmd) == 0);
	snprintf(cmd, sizeof(cmd), "%s/bus/pci/drivers/mlx5_core", root);
	REQUIRE(make_link(cmd, d, "driver") == 0);
	snprintf(cmd, sizeof(cmd), "%s/bus/pci", root);
	REQUIRE(make_link(cmd, d, "subsystem") == 0);
	snprintf(cmd, sizeof(cmd), "%s/class/infiniband/mlx5_0", root);
	REQUIRE(make_link(d, cmd, "device") == 0);
	REQUIRE(put_file(cmd, "node_desc", "host01 mlx5_0\n") == 0);
	REQUIRE(put_file(cmd, "ports/1/gid_attrs/ndevs/0", "eth1\n") == 0);
	snprintf(cmd, sizeof(cmd), "%s/class/infiniband/rxe0", root);
	REQUIRE(put_file(cmd, "parent", "eth0\n") == 0);
	REQUIRE(put_file(cmd, "node_desc", "rxe\n") == 0);
	REQUIRE(put_file(cmd, "ports/1/gid_attrs/ndevs/0", "eth0\n") == 0);
	/* siw on loopback: its parent is the netdev itself. */
	snprintf(d, sizeof(d), "%s/class/net/eth0", root);
	snprintf(cmd, sizeof(cmd), "%s/class/net", root);
	REQUIRE(make_link(cmd, d, "subsystem") == 0);
	snprintf(cmd, sizeof(cmd), "%s/class/infiniband/siw0", root);
	REQUIRE(make_link(d, cmd, "device") == 0);
	REQUIRE(put_file(cmd, "node_desc", "Software iWARP stack\n") == 0);

	snprintf(cmd, sizeof(cmd), "%s/class/infiniband", root);
	n = chan_rdevs_get(cmd, devs, 8);
	CHECK_EQ(n, 3);
	for (i = 0; i < n && i < 8; i++) {
		if (!strcmp(devs[i].name, "mlx5_0")) {
			seen |= 1;
			CHECK(devs[i].hw);
			CHECK_STR(devs[i].netdev, "eth1");
		} else if (!strcmp(devs[i].name, "rxe0")) {
			seen |= 2;
			CHECK(!devs[i].hw);
			CHECK_STR(devs[i].netdev, "eth0");
		} else if (!strcmp(devs[i].name, "siw0")) {
			seen |= 4;
			CHECK(!devs[i].hw);
			CHECK_STR(devs[i].netdev, "");
		}
	}
	CHECK_EQ(seen, 7);
	/* At most @max. */
	CHECK_EQ(chan_rdevs_get(cmd, devs, 1), 1);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	CHECK_EQ(system(cmd), 0);
}

/* A port per test run: on its host the port names the channel. */
static void net_name(char *buf, size_t len, const char *host, int delta)
{
	snprintf(buf, len, "ipcoff://%s:%d", host,
		 20000 + (int)(getpid() % 20000) * 2 + delta);
}

/* A non-loopback IPv4 address of this host, if it has one. */
static bool other_local_addr(char *buf, size_t len)
{
	struct chan_addr a[32];
	int n = chan_addrs_get(a, 32), i;

	for (i = 0; i < n; i++)
		if (a[i].family == AF_INET && a[i].a[0] != 127)
			return inet_ntop(AF_INET, a[i].a, buf, (socklen_t)len);
	return false;
}

/*
 * One producer of an "ipcoff://" name, consumers in other processes by
 * loopback and by another address of this host: without rdma, each gets
 * the local transport and every byte.
 */
static void test_chan_ipcoff_local(void)
{
	struct ipcoff_chan_attr a = attr_of(70000, 4);
	struct ipcoff_chan_info info;
	struct ipcoff_chan *ch = NULL, *c = NULL;
	char name[96], name2[96], addr[64];
	struct kid k[3];
	uint8_t b[100];
	int i, wfd = -1, nk = 2;

	net_name(name, sizeof(name), "127.0.0.1", 0);
	REQUIRE(ipcoff_chan_create(name, &a, &ch) == 0);
	CHECK_STR(ipcoff_chan_strerror(), "");
	CHECK_EQ(ipcoff_chan_info(ch, &info), 0);
	/* No rdma here: the producer is local only, and says so. */
	CHECK_STR(info.transport, "shm");
	CHECK_EQ(info.via, IPCOFF_CHAN_VIA_LOCAL);
	CHECK_EQ(info.producer, 1);
	CHECK_EQ(info.msg_max, 70000);
	/* The port is taken on this host, by whichever address. */
	CHECK_EQ(ipcoff_chan_create(name, &a, &c), -EADDRINUSE);
	if (other_local_addr(addr, sizeof(addr))) {
		net_name(name2, sizeof(name2), addr, 0);
		CHECK_EQ(ipcoff_chan_create(name2, &a, &c), -EADDRINUSE);
	} else {
		/* Another loopback address is this host too. */
		net_name(name2, sizeof(name2), "127.0.0.2", 0);
	}
	/* Two consumers by the name as made, one by another address. */
	for (i = 0; i < 3; i++) {
		if (fork_kid(&k[i], &wfd) == 0) {
			ipcoff_chan_close(ch);
			consumer(wfd, i == 2 ? name2 : name, 30, a.msg_max,
				 i == 1, 0);
		}
		REQUIRE(k[i].pid > 0);
		nk = i + 1;
	}
	REQUIRE(ipcoff_chan_wait_consumers(ch, 3, 30 * SEC_NS) == 0);
	CHECK_EQ(ipcoff_chan_info(ch, &info), 0);
	CHECK_EQ(info.consumers, 3);
	send_all(ch, 30, a.msg_max);
	for (i = 0; i < nk; i++)
		CHECK_KID(k[i]);
	/* And one here, message by message, checked for its transport. */
	REQUIRE(ipcoff_chan_connect(name, IPCOFF_CHAN_QUIET, &c) == 0);
	REQUIRE(ipcoff_chan_wait_consumers(ch, 1, 30 * SEC_NS) == 0);
	for (i = 0; i < 6; i++) {
		size_t want = size_of((uint64_t)i, a.msg_max);
		uint8_t *buf = malloc(a.msg_max);
		ssize_t got;

		REQUIRE(buf);
		pat_fill(buf, want, (uint64_t)i + 100);
		CHECK_EQ(ipcoff_chan_send(ch, buf, want, 0), 0);
		memset(buf, 0, a.msg_max);
		got = ipcoff_chan_recv(c, buf, a.msg_max, 0);
		CHECK_EQ(got, (ssize_t)want);
		if (got > 0)
			CHECK_EQ(pat_check(buf, (size_t)got, (uint64_t)i + 100),
				 (size_t)got);
		free(buf);
	}
	CHECK_EQ(ipcoff_chan_info(c, &info), 0);
	CHECK_EQ(info.producer, 0);
	CHECK_STR(info.transport, "shm");
	CHECK_EQ(info.via, IPCOFF_CHAN_VIA_LOCAL);
	CHECK_EQ(info.messages, 6);
	ipcoff_chan_close(ch);
	CHECK_EQ(ipcoff_chan_recv(c, b, sizeof(b), 0), -EPIPE);
	ipcoff_chan_close(c);
	/* Gone with the producer. */
	CHECK_EQ(ipcoff_chan_connect(name, IPCOFF_CHAN_QUIET, &c),
		 -ECONNREFUSED);
}

static int recv_byte(struct ipcoff_chan *c, uint8_t *b, size_t cap,
		     unsigned int flags);

/* What an "ipcoff://" name refuses without rdma, each with its reason. */
static void test_chan_ipcoff_errors(void)
{
	struct ipcoff_chan_attr a = attr_of(4096, 4);
	struct ipcoff_chan *ch = NULL, *c = NULL;
	char name[96], plain[96];
	uint8_t b[16];

	/* via took a reserved word: the struct's size and layout stay. */
	CHECK_EQ(sizeof(struct ipcoff_chan_info), 96);
	CHECK_EQ(offsetof(struct ipcoff_chan_info, via), 72);
	CHECK_EQ(offsetof(struct ipcoff_chan_info, reserved), 80);
	net_name(name, sizeof(name), "127.0.0.1", 1);
	/* Nobody there yet. */
	CHECK_EQ(ipcoff_chan_connect(name, IPCOFF_CHAN_QUIET, &c),
		 -ECONNREFUSED);
	CHECK(strstr(ipcoff_chan_strerror(), name) != NULL);
	/* Malformed names. */
	CHECK_EQ(ipcoff_chan_create("ipcoff://127.0.0.1", &a, &ch), -EINVAL);
	CHECK_EQ(ipcoff_chan_create("ipcoff://127.0.0.1:0", &a, &ch), -EINVAL);
	CHECK_EQ(ipcoff_chan_create("ipcoff://127.0.0.1:70000", &a, &ch),
		 -EINVAL);
	CHECK_EQ(ipcoff_chan_create("ipcoff://:5", &a, &ch), -EINVAL);
	CHECK_EQ(ipcoff_chan_connect("ipcoff://localhost:5", 0, &c), -EINVAL);
	CHECK(strstr(ipcoff_chan_strerror(), "numeric") != NULL);
	/* A producer only on an address of its own. */
	CHECK_EQ(ipcoff_chan_create("ipcoff://192.0.2.1:5", &a, &ch),
		 -EADDRNOTAVAIL);
	CHECK(strstr(ipcoff_chan_strerror(), "not an address of this host"));
	/* rdma required, and not linked/enabled. */
	a.flags |= IPCOFF_CHAN_RDMA;
	CHECK_EQ(ipcoff_chan_create(name, &a, &ch), -EPROTONOSUPPORT);
	CHECK(strstr(ipcoff_chan_strerror(), "ipcoff_chan_rdma_enable"));
	a.flags &= ~IPCOFF_CHAN_RDMA;
	CHECK_EQ(ipcoff_chan_create(name, &a, &ch), 0);
	CHECK(ch != NULL);
	/* Another host needs rdma; asking for it here too. */
	CHECK_EQ(ipcoff_chan_connect("ipcoff://192.0.2.1:5", 0, &c),
		 -EPROTONOSUPPORT);
	CHECK(strstr(ipcoff_chan_strerror(), "another host"));
	CHECK_EQ(ipcoff_chan_connect(name, IPCOFF_CHAN_RDMA, &c),
		 -EPROTONOSUPPORT);
	CHECK(strstr(ipcoff_chan_strerror(), "rdma asked for"));
	setenv("IPCOFF_CHAN_RDMA", "1", 1);
	CHECK_EQ(ipcoff_chan_connect(name, 0, &c), -EPROTONOSUPPORT);
	setenv("IPCOFF_CHAN_RDMA", "0", 1);
	CHECK_EQ(ipcoff_chan_connect(name, IPCOFF_CHAN_QUIET, &c), 0);
	unsetenv("IPCOFF_CHAN_RDMA");
	CHECK(c != NULL);
	/* An RNIC preferred, none here: local, as without the flag. */
	{
		struct ipcoff_chan *c2 = NULL;
		struct ipcoff_chan_info info;

		CHECK_EQ(ipcoff_chan_connect(name, IPCOFF_CHAN_QUIET |
					     IPCOFF_CHAN_PREFER_RNIC, &c2), 0);
		REQUIRE(c2 != NULL);
		CHECK_EQ(ipcoff_chan_wait_consumers(ch, 2, 10 * SEC_NS), 0);
		memset(b, 0x5a, sizeof(b));
		CHECK_EQ(ipcoff_chan_send(ch, b, sizeof(b), 0), 0);
		memset(b, 0, sizeof(b));
		CHECK_EQ(ipcoff_chan_recv(c2, b, sizeof(b), 0), 16);
		CHECK_EQ(b[15], 0x5a);
		CHECK_EQ(ipcoff_chan_info(c2, &info), 0);
		CHECK_EQ(info.via, IPCOFF_CHAN_VIA_LOCAL);
		ipcoff_chan_close(c2);
	}
	/* Only the producer's calls on the producer. */
	CHECK_EQ(ipcoff_chan_recv(ch, b, sizeof(b), 0), -EINVAL);
	/* IPv6 in brackets; the port names the channel across families. */
	{
		struct ipcoff_chan *p6 = NULL, *c6 = NULL;
		char v6[96], v4[96];

		net_name(v6, sizeof(v6), "[::1]", 2);
		net_name(v4, sizeof(v4), "127.0.0.1", 2);
		CHECK_EQ(ipcoff_chan_create("ipcoff://::1:5", &a, &p6), -EINVAL);
		REQUIRE(ipcoff_chan_create(v6, &a, &p6) == 0);
		CHECK_EQ(ipcoff_chan_connect(v4, IPCOFF_CHAN_QUIET, &c6), 0);
		CHECK_EQ(ipcoff_chan_wait_consumers(p6, 1, 10 * SEC_NS), 0);
		b[0] = 0x66;
		CHECK_EQ(ipcoff_chan_send(p6, b, 1, 0), 0);
		b[0] = 0;
		if (c6)
			CHECK_EQ(recv_byte(c6, b, sizeof(b), 0), 0x66);
		ipcoff_chan_close(c6);
		ipcoff_chan_close(p6);
	}
	/* A plain name with the same text is another channel. */
	snprintf(plain, sizeof(plain), "%s", name + strlen("ipcoff://"));
	{
		struct ipcoff_chan *c3 = NULL;

		CHECK_EQ(ipcoff_chan_connect(plain, 0, &c3), -ECONNREFUSED);
		CHECK(c3 == NULL);
	}
	ipcoff_chan_close(c);
	ipcoff_chan_close(ch);
}

/*
 * A stand-in for the rdma transport, for the producer's fan-out: the local
 * transport under other names ("fake-rdma-HOST:PORT"), reporting itself
 * as rdma. Its create fails with ENODEV on 127.0.0.1, as rdma's does where
 * no RDMA device is behind the address.
 */
static struct chan_transport fake_rdma;

static int fake_addr(char *buf, size_t len, const char *addr)
{
	size_t n = strcspn(addr, "?");

	return snprintf(buf, len, "fake-rdma-%.*s", (int)n, addr) <
	       (int)len ? 0 : -ENAMETOOLONG;
}

static int fake_create(struct ipcoff_chan *ch, const char *addr,
		       const struct ipcoff_chan_attr *a)
{
	char name[96];

	if (!strncmp(addr, "127.0.0.1:", 10))
		return -ENODEV;
	if (fake_addr(name, sizeof(name), addr))
		return -ENAMETOOLONG;
	return chan_local.create(ch, name, a);
}

static int fake_connect(struct ipcoff_chan *ch, const char *addr)
{
	char name[96];

	if (fake_addr(name, sizeof(name), addr))
		return -ENAMETOOLONG;
	return chan_local.connect(ch, name);
}

static void fake_info(struct ipcoff_chan *ch, struct ipcoff_chan_info *info)
{
	chan_local.info(ch, info);
	snprintf(info->transport, sizeof(info->transport), "rdma");
	info->via = IPCOFF_CHAN_VIA_RDMA;
}

static int fake_rdma_enable(void)
{
	fake_rdma = chan_local;
	fake_rdma.name = "fake-rdma";
	fake_rdma.prefix = "rdma://";
	fake_rdma.create = fake_create;
	fake_rdma.connect = fake_connect;
	fake_rdma.info = fake_info;
	return ipcoff_chan_transport_register(&fake_rdma);
}

static int recv_byte(struct ipcoff_chan *c, uint8_t *b, size_t cap,
		     unsigned int flags)
{
	ssize_t n = ipcoff_chan_recv(c, b, cap, flags);

	return n == 1 ? b[0] : (int)n;
}

/*
 * In a child (a registered transport stays for the process): an
 * "ipcoff://" producer with both sub-channels, a local and a (stand-in)
 * rdma consumer, each getting every message in order; a DONTWAIT send is
 * all or nothing; the producer without an rdma device behind HOST.
 */
static void __attribute__((noreturn)) both_kinds(int wfd)
{
	struct ipcoff_chan_attr a = attr_of(4096, 2);
	struct ipcoff_chan *p = NULL, *l = NULL, *r = NULL;
	struct ipcoff_chan_info info;
	struct rep rp = { 0 };
	struct pollfd pfd;
	char name[96], lo[96];
	uint8_t b[64];
	int i, ret;

	net_name(name, sizeof(name), "127.0.0.2", 0);
	net_name(lo, sizeof(lo), "127.0.0.1", 1);
	if (fake_rdma_enable())
		FAIL(&rp, "register");
	ret = ipcoff_chan_create(name, &a, &p);
	if (ret) {
		FAIL(&rp, "create: %d %s", ret, ipcoff_chan_strerror());
		kid_exit(wfd, &rp);
	}
	ipcoff_chan_info(p, &info);
	if (info.via != (IPCOFF_CHAN_VIA_LOCAL | IPCOFF_CHAN_VIA_RDMA) ||
	    strcmp(info.transport, "shm+rdma"))
		FAIL(&rp, "producer: %s via %#x", info.transport, info.via);
	/* Its fd holds both sub-channels': quiet until a consumer comes. */
	pfd.fd = ipcoff_chan_fd(p);
	pfd.events = POLLIN;
	if (pfd.fd < 0 || poll(&pfd, 1, 0) != 0)
		FAIL(&rp, "producer fd %d readable with nobody there", pfd.fd);
	/* The policy with rdma enabled: local by default, rdma when asked. */
	if (ipcoff_chan_connect(name, IPCOFF_CHAN_QUIET | IPCOFF_CHAN_RDMA,
				&r) || poll(&pfd, 1, 5000) != 1)
		FAIL(&rp, "an rdma consumer does not wake the producer's fd");
	if (ipcoff_chan_progress(p))
		FAIL(&rp, "progress");
	ipcoff_chan_info(p, &info);
	if (info.consumers != 1)
		FAIL(&rp, "%u consumers after progress", info.consumers);
	if (poll(&pfd, 1, 0) != 0)
		FAIL(&rp, "producer fd readable after progress");
	if (ipcoff_chan_connect(name, IPCOFF_CHAN_QUIET, &l) ||
	    poll(&pfd, 1, 5000) != 1)
		FAIL(&rp, "a local consumer does not wake the producer's fd");
	if (!l || !r) {
		FAIL(&rp, "connect: %s", ipcoff_chan_strerror());
		kid_exit(wfd, &rp);
	}
	ipcoff_chan_info(l, &info);
	if (info.via != IPCOFF_CHAN_VIA_LOCAL)
		FAIL(&rp, "local consumer via %#x", info.via);
	ipcoff_chan_info(r, &info);
	if (info.via != IPCOFF_CHAN_VIA_RDMA || strcmp(info.transport, "rdma"))
		FAIL(&rp, "rdma consumer: %s via %#x", info.transport, info.via);
	if (ipcoff_chan_wait_consumers(p, 2, 10 * SEC_NS))
		FAIL(&rp, "wait for 2");
	ipcoff_chan_info(p, &info);
	if (info.consumers != 2)
		FAIL(&rp, "%u consumers", info.consumers);
	/* Depth 2 on each side: two go, the third waits for both. */
	for (i = 0; i < 2; i++) {
		b[0] = (uint8_t)(10 + i);
		if (ipcoff_chan_send(p, b, 1, IPCOFF_CHAN_DONTWAIT))
			FAIL(&rp, "send %d", i);
	}
	b[0] = 12;
	if (ipcoff_chan_send(p, b, 1, IPCOFF_CHAN_DONTWAIT) != -EAGAIN)
		FAIL(&rp, "third send with both full");
	/* The rdma side has room, the local one not: still none of it. */
	if (recv_byte(r, b, sizeof(b), 0) != 10)
		FAIL(&rp, "rdma consumer: first");
	if (ipcoff_chan_send(p, b, 1, IPCOFF_CHAN_DONTWAIT) != -EAGAIN)
		FAIL(&rp, "third send with the local side full");
	if (recv_byte(l, b, sizeof(b), 0) != 10)
		FAIL(&rp, "local consumer: first");
	b[0] = 12;
	if (ipcoff_chan_send(p, b, 1, IPCOFF_CHAN_DONTWAIT))
		FAIL(&rp, "third send with room on both");
	/* Each got each message once, in order. */
	for (i = 11; i <= 12; i++) {
		if (recv_byte(l, b, sizeof(b), 0) != i)
			FAIL(&rp, "local consumer: %d", i);
		if (recv_byte(r, b, sizeof(b), 0) != i)
			FAIL(&rp, "rdma consumer: %d", i);
	}
	if (recv_byte(l, b, sizeof(b), IPCOFF_CHAN_DONTWAIT) != -EAGAIN ||
	    recv_byte(r, b, sizeof(b), IPCOFF_CHAN_DONTWAIT) != -EAGAIN)
		FAIL(&rp, "a message twice");
	/* One kind gone: the other goes on; both gone: EPIPE. */
	ipcoff_chan_close(r);
	b[0] = 13;
	if (ipcoff_chan_send(p, b, 1, 0) ||
	    recv_byte(l, b, sizeof(b), 0) != 13)
		FAIL(&rp, "after the rdma consumer left");
	ipcoff_chan_close(l);
	/* As for local names: the producer notices in its progress. */
	ipcoff_chan_progress(p);
	ipcoff_chan_info(p, &info);
	if (info.consumers)
		FAIL(&rp, "%u consumers after both left", info.consumers);
	ret = ipcoff_chan_send(p, b, 1, 0);
	if (ret != -EPIPE)
		FAIL(&rp, "send with nobody left: %d", ret);
	ipcoff_chan_info(p, &info);
	rp.v[0] = (long)info.messages;
	ipcoff_chan_close(p);
	/* No RDMA device behind HOST: local only, unless rdma is required. */
	ret = ipcoff_chan_create(lo, &a, &p);
	if (ret)
		FAIL(&rp, "create on loopback: %d", ret);
	else if (ipcoff_chan_info(p, &info) || info.via != IPCOFF_CHAN_VIA_LOCAL)
		FAIL(&rp, "loopback producer via %#x", info.via);
	ipcoff_chan_close(p);
	a.flags |= IPCOFF_CHAN_RDMA;
	ret = ipcoff_chan_create(lo, &a, &p);
	if (ret != -ENODEV)
		FAIL(&rp, "rdma required on loopback: %d", ret);
	kid_exit(wfd, &rp);
}

static void test_chan_ipcoff_both_kinds(void)
{
	struct kid k;
	struct rep r;
	int wfd = -1, st;

	if (fork_kid(&k, &wfd) == 0)
		both_kinds(wfd);
	REQUIRE(k.pid > 0);
	st = kid_reap(&k, &r);
	if (!CHECK_EQ(r.line, 0))
		printf("# child line %d: %s\n", r.line, r.what);
	CHECK_EQ(st, 0);
	/* Four messages sent (the EAGAINs and the EPIPE not counted). */
	CHECK_EQ(r.v[0], 4);
}

const struct test channel_tests[] = {
	{ "pool_claims", test_pool_claims },
	{ "pool_errors", test_pool_errors },
	{ "pool_dead_consumer", test_pool_dead_consumer },
	{ "pool_producer_gone", test_pool_producer_gone },
	{ "chan_fallback_said", test_chan_fallback_said },
	{ "chan_errors", test_chan_errors },
	{ "chan_one_to_many", test_chan_one_to_many },
	{ "chan_sizes", test_chan_sizes },
	{ "chan_nonblocking", test_chan_nonblocking },
	{ "chan_dead_consumer", test_chan_dead_consumer },
	{ "chan_producer_gone", test_chan_producer_gone },
	{ "chan_path_name", test_chan_path_name },
	{ "policy_table", test_policy_table },
	{ "policy_devices", test_policy_devices },
	{ "chan_ipcoff_local", test_chan_ipcoff_local },
	{ "chan_ipcoff_errors", test_chan_ipcoff_errors },
	{ "chan_ipcoff_both_kinds", test_chan_ipcoff_both_kinds },
};

const size_t nr_channel_tests = sizeof(channel_tests) /
				sizeof(channel_tests[0]);
