// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * Native tests of Hybrid-Coord pools, on this
 * machine's fallback transport (memfd slots, memcpy, futex: there is no
 * /dev/ipcoff here). Real processes: consumers and producers are fork()ed
 * children that report over a pipe; some are killed with SIGKILL on
 * purpose. Every check is on bytes, counts and errors, never on time; an
 * alarm() in each child and a bounded wait in the parent turn a hang into
 * a failure.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
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

#define SEC_NS		1000000000LL
#define CHILD_ALARM_S	60

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

/* What a child found. */
struct rep {
	int line;		/* 0: all well */
	char what[160];
	long v[4];
};

static void __attribute__((format(printf, 3, 4)))
rep_fail(struct rep *r, int line, const char *fmt, ...)
{
	va_list ap;

	if (r->line)
		return;
	r->line = line;
	va_start(ap, fmt);
	vsnprintf(r->what, sizeof(r->what), fmt, ap);
	va_end(ap);
}

#define FAIL(r, ...)	rep_fail((r), __LINE__, __VA_ARGS__)

struct kid {
	pid_t pid;
	int rfd;		/* its report */
};

static pid_t fork_kid(struct kid *k, int *wfd)
{
	int p[2];

	k->pid = -1;
	k->rfd = -1;
	if (pipe2(p, O_CLOEXEC))
		return -1;
	fflush(stdout);
	fflush(stderr);
	k->pid = fork();
	if (k->pid < 0) {
		close(p[0]);
		close(p[1]);
		return -1;
	}
	if (k->pid == 0) {
		close(p[0]);
		*wfd = p[1];
		alarm(CHILD_ALARM_S);
		return 0;
	}
	close(p[1]);
	k->rfd = p[0];
	return k->pid;
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

const struct test channel_tests[] = {
	{ "pool_claims", test_pool_claims },
	{ "pool_errors", test_pool_errors },
	{ "pool_dead_consumer", test_pool_dead_consumer },
	{ "pool_producer_gone", test_pool_producer_gone },
};

const size_t nr_channel_tests = sizeof(channel_tests) /
				sizeof(channel_tests[0]);
