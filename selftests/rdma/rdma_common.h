/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Shared by the rdma tests: the guest's address (the kernel command line's
 * ipcoff_ip and ipcoff_peer, which init hands down as variables), the
 * soft-RoCE link on eth0, a byte pattern per (stream, message) so that a
 * message in the wrong slot or with stale bytes never looks right, and
 * child processes with a deadline.
 */
#ifndef IPCOFF_RDMA_COMMON_H
#define IPCOFF_RDMA_COMMON_H

#include "../common.h"
#include "../../libipcoff/rdma.h"

#include <ipcoff.h>
#include <stdbool.h>
#include <sys/uio.h>

#define RXE_DEV		"rxe0"
#define RXE_NETDEV	"eth0"

/*
 * The harness runs each test in a child that ends with _exit: without line
 * buffering, what a test printed to the runner's pipe would be lost.
 */
static void __attribute__((constructor)) stdout_line_buffered(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
}

/* "10.77.0.1/24" -> "10.77.0.1"; NULL when the variable is unset. */
static inline const char *env_addr(const char *var)
{
	static char buf[2][64];
	static int which;
	const char *v = getenv(var);
	char *slash, *b;

	if (!v || !*v)
		return NULL;
	b = buf[which++ & 1];
	snprintf(b, sizeof(buf[0]), "%s", v);
	slash = strchr(b, '/');
	if (slash)
		*slash = 0;
	return b;
}

/* rxe0 on eth0, made once; an rxe0 already there is fine. */
static inline int ensure_rxe(void)
{
	int ret = ipcoff_rdma_link_add(RXE_DEV, RXE_NETDEV);

	return ret == -EEXIST ? 0 : ret;
}

static inline uint64_t mix64(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdULL;
	x ^= x >> 33;
	x *= 0xc4ceb9fe1a85ec53ULL;
	x ^= x >> 33;
	return x;
}

/* Message @n of stream @s: its length in [1, max] and its bytes. */
static inline size_t msg_len_of(uint64_t s, uint64_t n, size_t max)
{
	uint64_t r = mix64(s * 1000003 + n);

	/* Every fourth is full size, so whole slots are exercised. */
	return n % 4 == 3 ? max : 1 + r % max;
}

static inline void msg_fill(void *buf, size_t len, uint64_t s, uint64_t n)
{
	uint64_t seed = mix64(s ^ (n << 20)), *p = buf;
	size_t i, words = len / 8;
	unsigned char *t;

	for (i = 0; i < words; i++)
		p[i] = seed + i * 0x9e3779b97f4a7c15ULL;
	t = (unsigned char *)buf + words * 8;
	for (i = 0; i < len % 8; i++)
		t[i] = (unsigned char)(seed >> (i * 8));
}

/* Offset of the first wrong byte, or -1. */
static inline ssize_t msg_check(const void *buf, size_t len, uint64_t s,
				uint64_t n)
{
	static unsigned char *want;
	static size_t want_len;
	size_t i;

	if (len > want_len) {
		free(want);
		want = malloc(len);
		want_len = want ? len : 0;
		if (!want)
			return 0;
	}
	msg_fill(want, len, s, n);
	if (!memcmp(want, buf, len))
		return -1;
	for (i = 0; i < len; i++)
		if (((const unsigned char *)buf)[i] != want[i])
			return (ssize_t)i;
	return 0;
}

static inline int64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

static inline int64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/*
 * Producer: messages of pattern @s until a send fails (each send given
 * @timeout_ms). *@sent gets how many went through, *@t_last when the last
 * one did (or when it started), *@t_err when the failure came. Returns the
 * failing send's error.
 */
static inline int send_until_error(struct ipcoff_rdma *r, void *buf,
				   size_t max, uint64_t s, int timeout_ms,
				   int *sent, int64_t *t_last, int64_t *t_err)
{
	int n, ret = 0;

	*t_last = mono_ms();
	for (n = 0; n < 1000000; n++) {
		size_t len = msg_len_of(s, n, max);

		msg_fill(buf, len, s, n);
		ret = ipcoff_rdma_send(r, buf, len, timeout_ms);
		if (ret)
			break;
		*t_last = mono_ms();
	}
	*t_err = mono_ms();
	*sent = n;
	printf("# producer: %d sent, then after %lld ms: %s (%s)\n", n,
	       (long long)(*t_err - *t_last), strerrorname_np(-ret),
	       ipcoff_rdma_strerror());
	return ret;
}

/* A forked child's end: what it printed must reach the log. */
static inline void __attribute__((noreturn)) child_exit(int rc)
{
	fflush(stdout);
	fflush(stderr);
	_exit(rc);
}

/*
 * Forks a child that runs @call and exits with its result (child_exit);
 * the child's pid, or -1, in the parent. One spelling for every test's
 * fork-and-run, so that each child ends the same way.
 */
#define fork_child(call) ({					\
	pid_t __pid = fork();					\
								\
	if (!__pid)						\
		child_exit(call);				\
	__pid;							\
})

/* Wait for @pid at most @ms; kill it after that.  Its wait status, or -1. */
static inline int wait_child(pid_t pid, int ms)
{
	int64_t end = mono_ms() + ms;
	int st;

	for (;;) {
		pid_t w = waitpid(pid, &st, WNOHANG);

		if (w == pid)
			return st;
		if (w < 0)
			return -1;
		if (mono_ms() > end) {
			kill(pid, SIGKILL);
			waitpid(pid, &st, 0);
			return -1;
		}
		usleep(20000);
	}
}

/* A child's exit code, or 100 + signal, or 99 when it had to be killed. */
static inline int child_result(int st)
{
	if (st < 0)
		return 99;
	if (WIFEXITED(st))
		return WEXITSTATUS(st);
	return 100 + WTERMSIG(st);
}

/* Connect until a listener is there (ECONNREFUSED until then). */
static inline int connect_retry(const char *addr, uint16_t port,
				const struct ipcoff_rdma_opts *o, int ms,
				struct ipcoff_rdma **out)
{
	int64_t end = mono_ms() + ms;
	int ret;

	for (;;) {
		ret = ipcoff_rdma_connect(addr, port, o, 10000, out);
		if (ret != -ECONNREFUSED || mono_ms() > end)
			return ret;
		usleep(100000);
	}
}

/*
 * The start both producers share (chan_produce here, net_produce in
 * rdma_chan_net.h): a buffer of @max bytes in *@buf, rdma enabled, channel
 * @name created in *@ch. 0, or @step (no buffer, or rdma not enabled) or
 * @step + 1 (create failed: a "#" line with @why()'s detail), so that each
 * caller keeps its own step numbers and error source.
 */
static inline int chan_producer_open(const char *name, size_t max, int step,
				     const char *(*why)(void),
				     struct ipcoff_chan **ch, char **buf)
{
	struct ipcoff_chan_attr a = {
		.msg_max = max, .depth = 4, .flags = IPCOFF_CHAN_QUIET,
	};
	int ret;

	*buf = malloc(max);
	if (!*buf || ipcoff_chan_rdma_enable())
		return step;
	ret = ipcoff_chan_create(name, &a, ch);
	if (ret) {
		printf("# create %s: %s (%s)\n", name, strerror(-ret), why());
		return step + 1;
	}
	return 0;
}

/*
 * The consumers' counterpart (chan_consume, net_consume): a buffer of @max
 * bytes, rdma enabled, then connect to @name with IPCOFF_CHAN_QUIET | @flags
 * until the producer is there (it may not listen yet, or its guest still
 * boots) or 180 s have passed. 0, @step or @step + 1 as above.
 */
static inline int chan_consumer_open(const char *name, unsigned int flags,
				     size_t max, int step,
				     const char *(*why)(void),
				     struct ipcoff_chan **ch, char **buf)
{
	int64_t end = mono_ms() + 180000;
	int ret;

	*buf = malloc(max);
	if (!*buf || ipcoff_chan_rdma_enable())
		return step;
	for (;;) {
		ret = ipcoff_chan_connect(name, IPCOFF_CHAN_QUIET | flags, ch);
		if (!ret || mono_ms() > end ||
		    (ret != -ECONNREFUSED && ret != -EHOSTUNREACH &&
		     ret != -ETIMEDOUT))
			break;
		usleep(200000);
	}
	if (ret) {
		printf("# connect %s: %s (%s)\n", name, strerror(-ret), why());
		return step + 1;
	}
	return 0;
}

/*
 * Channels over rdma (ipcoff_chan_* with "rdma://HOST:PORT"): the producer
 * sends @count messages of stream @s, gathered from two pieces; consumer
 * @peek reads them in place, else copies them out. Both return 0 or the
 * step that failed; @last gets the consumer's error after the stream.
 */
static inline int chan_produce(const char *name, unsigned int consumers,
			       size_t max, int count, uint64_t s)
{
	struct ipcoff_chan_info info;
	struct ipcoff_chan *ch;
	char *buf;
	int n, ret;

	ret = chan_producer_open(name, max, 30, ipcoff_rdma_strerror, &ch, &buf);
	if (ret)
		return ret;
	if (ipcoff_chan_wait_consumers(ch, consumers, 180000000000LL))
		return 32;
	if (ipcoff_chan_info(ch, &info) || strcmp(info.transport, "rdma") ||
	    info.consumers != consumers)
		return 33;
	for (n = 0; n < count; n++) {
		size_t len = msg_len_of(s, n, max), h = len / 3;
		struct iovec iov[2] = {
			{ buf, h }, { buf + h, len - h },
		};

		msg_fill(buf, len, s, n);
		ret = ipcoff_chan_sendv(ch, iov, 2, 0);
		if (ret) {
			printf("# send %d: %s (%s)\n", n, strerror(-ret),
			       ipcoff_rdma_strerror());
			return 34;
		}
	}
	ipcoff_chan_close(ch);
	free(buf);
	return 0;
}

static inline int chan_consume(const char *name, size_t max, int count,
			       uint64_t s, bool peek, int *last)
{
	struct ipcoff_chan *ch;
	char *buf;
	int n, ret;

	ret = chan_consumer_open(name, 0, max, 40, ipcoff_rdma_strerror, &ch,
				 &buf);
	if (ret)
		return ret;
	for (n = 0; n < count; n++) {
		size_t want = msg_len_of(s, n, max);
		struct ipcoff_chan_msg m;
		ssize_t len;

		if (peek) {
			ret = ipcoff_chan_peek(ch, &m, 0);
			len = ret ? ret : (ssize_t)m.len;
			if (!ret && (len != (ssize_t)want ||
				     msg_check(m.data, want, s, n) >= 0))
				return 42;
			if (!ret && ipcoff_chan_done(ch, &m))
				return 43;
		} else {
			len = ipcoff_chan_recv(ch, buf, max, 0);
			if (len == (ssize_t)want &&
			    msg_check(buf, want, s, n) >= 0)
				return 44;
		}
		if (len != (ssize_t)want) {
			printf("# message %d: %zd, want %zu\n", n, len, want);
			return 45;
		}
	}
	*last = (int)ipcoff_chan_recv(ch, buf, max, 0);
	ipcoff_chan_close(ch);
	free(buf);
	return 0;
}

#endif /* IPCOFF_RDMA_COMMON_H */
