// SPDX-License-Identifier: GPL-2.0
/*
 * libipcoff's rdma transport between two guests (scripts/run-guest-pair):
 * each has a soft-RoCE device on eth0, joined by a QEMU socket backend.
 * The same program runs in both; the guest with the lower address
 * (ipcoff_ip vs ipcoff_peer) is the consumer, the other the producer, and
 * each test below is one connection, in the same order on both sides.
 *
 * - every byte of a stream checked;
 * - throughput and round-trip latency for 64 KiB and 1 MiB messages,
 *   printed as "# bench:" lines (TCG figures: compare, do not quote as
 *   hardware numbers);
 * - the consumer SIGKILLed mid-stream: the producer's error and cleanup;
 * - a stream through the channel API ("rdma://HOST:PORT" channels,
 *   ipcoff_chan_rdma_enable()), every byte checked, the producer's close
 *   seen as EPIPE by the consumer;
 * - an "ipcoff://HOST:PORT" name: the consumer on the other guest gets rdma
 *   unasked while one on the producer's guest gets the local transport,
 *   every byte checked on both.
 * - the consumer's host vanishing mid-stream (its eth0 taken down): the
 *   producer's bounded ECONNRESET from the QP's retry limit.
 */
#include <arpa/inet.h>

#include "rdma_common.h"
#include "rdma_chan_net.h"

#define PORT_BASE	18800
#define DEAD_MS		4000

static const struct ipcoff_rdma_opts opts = {
	.msg_max = 1 << 20, .slots = 8, .dead_ms = DEAD_MS,
};

FIXTURE(pair) {
	const char *ip, *peer;
	int consumer;
};

FIXTURE_SETUP(pair)
{
	struct in_addr a, b;

	self->ip = env_addr("ipcoff_ip");
	self->peer = env_addr("ipcoff_peer");
	if (!self->ip || !self->peer)
		SKIP(return, "not one of two rdma guests (scripts/run-guest-pair)");
	ASSERT_EQ(1, inet_pton(AF_INET, self->ip, &a));
	ASSERT_EQ(1, inet_pton(AF_INET, self->peer, &b));
	self->consumer = ntohl(a.s_addr) < ntohl(b.s_addr);
	ASSERT_EQ(0, ensure_rxe()) TH_LOG("%s", ipcoff_rdma_strerror());
}

FIXTURE_TEARDOWN(pair)
{
}

/* The other guest may still be booting: retry what that looks like. */
static int pair_connect_o(const char *peer, uint16_t port,
			  const struct ipcoff_rdma_opts *o, struct ipcoff_rdma **r)
{
	int64_t end = mono_ms() + 180000;
	int ret;

	for (;;) {
		ret = ipcoff_rdma_connect(peer, port, o, 10000, r);
		if (!ret || mono_ms() > end ||
		    (ret != -ECONNREFUSED && ret != -EHOSTUNREACH &&
		     ret != -ETIMEDOUT))
			break;
		usleep(200000);
	}
	if (ret)
		fprintf(stderr, "# connect to %s port %u: %s\n", peer, port,
			ipcoff_rdma_strerror());
	return ret;
}

static int pair_connect(const char *peer, uint16_t port, struct ipcoff_rdma **r)
{
	return pair_connect_o(peer, port, &opts, r);
}

static int pair_accept_o(const char *ip, uint16_t port,
			 const struct ipcoff_rdma_opts *o, struct ipcoff_rdma **r,
			 struct ipcoff_rdma_listener **l)
{
	int ret = ipcoff_rdma_listen(ip, port, o, l);

	if (!ret)
		ret = ipcoff_rdma_accept(*l, 240000, r);
	if (ret)
		fprintf(stderr, "# accept on %s port %u: %s\n", ip, port,
			ipcoff_rdma_strerror());
	return ret;
}

static int pair_accept(const char *ip, uint16_t port, struct ipcoff_rdma **r,
		       struct ipcoff_rdma_listener **l)
{
	return pair_accept_o(ip, port, &opts, r, l);
}

TEST_F_TIMEOUT(pair, stream_every_byte, 400)
{
	uint16_t port = PORT_BASE + 1;
	struct ipcoff_rdma_listener *l = NULL;
	struct ipcoff_rdma *r;
	size_t max = 256 << 10;
	char *buf = malloc(opts.msg_max);
	int n, count = 200;
	ssize_t len;

	ASSERT_NE(NULL, buf);
	if (!self->consumer) {
		ASSERT_EQ(0, pair_connect(self->peer, port, &r));
		for (n = 0; n < count; n++) {
			size_t want = msg_len_of(7, n, max);

			msg_fill(buf, want, 7, n);
			ASSERT_EQ(0, ipcoff_rdma_send(r, buf, want, 30000))
				TH_LOG("message %d: %s", n, ipcoff_rdma_strerror());
		}
		ipcoff_rdma_close(r);
		return;
	}
	ASSERT_EQ(0, pair_accept(self->ip, port, &r, &l));
	for (n = 0; n < count; n++) {
		size_t want = msg_len_of(7, n, max);

		len = ipcoff_rdma_recv(r, buf, opts.msg_max, 30000);
		ASSERT_EQ((ssize_t)want, len) TH_LOG("message %d: %s", n,
						    ipcoff_rdma_strerror());
		ASSERT_EQ(-1, msg_check(buf, want, 7, n)) TH_LOG("message %d", n);
	}
	printf("# consumer: %d messages from the other guest, every byte right\n", count);
	ipcoff_rdma_close(r);
	ipcoff_rdma_listener_close(l);
}

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return x < y ? -1 : x > y;
}

/*
 * The producer streams @count messages of @size (each stamped with its
 * number, checked by the consumer), the consumer answers the last with
 * 8 bytes: throughput.  Then @rounds of @size out and 8 bytes back:
 * round-trip times, p50 and p99.
 */
static void bench(struct __test_metadata *_metadata, int consumer,
		  const char *ip, const char *peer, uint16_t port, size_t size,
		  int count, int rounds)
{
	struct ipcoff_rdma_listener *l = NULL;
	struct ipcoff_rdma *r;
	int64_t *rtt = calloc(rounds, sizeof(*rtt)), t0, t1;
	uint64_t ack = 0;
	const void *msg;
	void *slot;
	ssize_t len;
	int n;

	ASSERT_NE(NULL, rtt);
	if (consumer) {
		ASSERT_EQ(0, pair_accept(ip, port, &r, &l));
		for (n = 0; n < count + rounds; n++) {
			len = ipcoff_rdma_recv_peek(r, 60000, &msg);
			ASSERT_EQ((ssize_t)size, len) TH_LOG("message %d: %s", n,
							    ipcoff_rdma_strerror());
			ASSERT_EQ((uint64_t)n, *(const uint64_t *)msg);
			ASSERT_EQ((uint64_t)n, *(const uint64_t *)((const char *)msg + size - 8));
			ASSERT_EQ(0, ipcoff_rdma_recv_release(r));
			if (n >= count - 1) {
				ack = n;
				ASSERT_EQ(0, ipcoff_rdma_send(r, &ack, sizeof(ack), 60000))
					TH_LOG("%s", ipcoff_rdma_strerror());
			}
		}
		ipcoff_rdma_close(r);
		ipcoff_rdma_listener_close(l);
		free(rtt);
		return;
	}
	ASSERT_EQ(0, pair_connect(peer, port, &r));
	t0 = mono_ns();
	for (n = 0; n < count + rounds; n++) {
		if (n == count) {
			/* The consumer's answer to the last of the stream. */
			ASSERT_EQ(8, ipcoff_rdma_recv(r, &ack, sizeof(ack), 60000));
			t1 = mono_ns();
			printf("# bench: %zu KiB x %d: %.1f MB/s\n", size >> 10, count,
			       (double)size * count / ((t1 - t0) / 1e9) / 1e6);
		}
		t1 = mono_ns();
		ASSERT_EQ(0, ipcoff_rdma_send_reserve(r, 60000, &slot))
			TH_LOG("message %d: %s", n, ipcoff_rdma_strerror());
		/* Only the stamps: the bytes in between are the ring's. */
		*(uint64_t *)slot = n;
		*(uint64_t *)((char *)slot + size - 8) = n;
		ASSERT_EQ(0, ipcoff_rdma_send_commit(r, size));
		if (n >= count) {
			ASSERT_EQ(8, ipcoff_rdma_recv(r, &ack, sizeof(ack), 60000));
			rtt[n - count] = mono_ns() - t1;
		}
	}
	qsort(rtt, rounds, sizeof(*rtt), cmp_i64);
	printf("# bench: %zu KiB round trip (%zu KiB out, 8 B back) x %d: p50 %.2f ms, p99 %.2f ms\n",
	       size >> 10, size >> 10, rounds, rtt[rounds / 2] / 1e6,
	       rtt[(rounds * 99 + 99) / 100 - 1] / 1e6);
	ipcoff_rdma_close(r);
	free(rtt);
}

TEST_F_TIMEOUT(pair, bench_64k, 400)
{
	bench(_metadata, self->consumer, self->ip, self->peer, PORT_BASE + 2,
	      64 << 10, 400, 100);
}

TEST_F_TIMEOUT(pair, bench_1m, 400)
{
	bench(_metadata, self->consumer, self->ip, self->peer, PORT_BASE + 3,
	      1 << 20, 40, 40);
}

/* In a child the consumer guest kills after 20 messages. */
static int doomed_consumer(const char *ip, uint16_t port)
{
	struct ipcoff_rdma_listener *l;
	struct ipcoff_rdma *r;
	char *buf = malloc(opts.msg_max);
	size_t max = 64 << 10;
	int n;

	if (pair_accept(ip, port, &r, &l))
		return 10;
	for (n = 0; n < 20; n++) {
		ssize_t len = ipcoff_rdma_recv(r, buf, opts.msg_max, 60000);

		if (len != (ssize_t)msg_len_of(8, n, max) ||
		    msg_check(buf, (size_t)len, 8, n) >= 0)
			return 13;
	}
	printf("# consumer: 20 messages right; killed now\n");
	fflush(stdout);
	raise(SIGKILL);
	return 0;
}

TEST_F_TIMEOUT(pair, consumer_killed_mid_stream, 400)
{
	uint16_t port = PORT_BASE + 4;
	size_t max = 64 << 10;
	int64_t t_last = 0, t_err, t0;
	char *buf = malloc(max);
	struct ipcoff_rdma *r;
	int n, ret = 0;
	pid_t pid;

	if (self->consumer) {
		pid = fork();
		if (!pid)
			child_exit(doomed_consumer(self->ip, port));
		ASSERT_LT(0, pid);
		EXPECT_EQ(100 + SIGKILL, child_result(wait_child(pid, 300000)));
		return;
	}
	ASSERT_EQ(0, pair_connect(self->peer, port, &r));
	ret = send_until_error(r, buf, max, 8, 3 * DEAD_MS, &n, &t_last,
			       &t_err);
	EXPECT_EQ(-ECONNRESET, ret);
	EXPECT_LE(20, n);
	/* Within the dead-peer bound of the last message that went through. */
	EXPECT_GE((int64_t)3 * DEAD_MS, t_err - t_last);
	EXPECT_EQ(-ECONNRESET, ipcoff_rdma_send(r, buf, 1, 1000));
	t0 = mono_ms();
	ipcoff_rdma_close(r);
	printf("# producer: close took %lld ms\n", (long long)(mono_ms() - t0));
	EXPECT_GE((int64_t)DEAD_MS + 1000, mono_ms() - t0);
	free(buf);
}

TEST_F_TIMEOUT(pair, channel_stream_every_byte, 400)
{
	size_t max = 256 << 10;
	char name[96];
	int last = 0;

	if (!self->consumer) {
		snprintf(name, sizeof(name), "rdma://%s:%u", self->ip,
			 PORT_BASE + 5);
		EXPECT_EQ(0, chan_produce(name, 1, max, 200, 9));
		return;
	}
	snprintf(name, sizeof(name), "rdma://%s:%u?msg_max=%zu", self->peer,
		 PORT_BASE + 5, max);
	EXPECT_EQ(0, chan_consume(name, max, 200, 9, false, &last));
	EXPECT_EQ(-EPIPE, last);
	printf("# consumer: 200 messages through an rdma channel from the other guest, every byte right\n");
}

/*
 * An "ipcoff://" name across guests: the consumer's guest is another host,
 * so the library picks rdma without being asked; the same producer serves
 * a consumer on its own guest at once, which gets the local transport.
 * Every byte checked on both, EPIPE at the close.
 */
TEST_F_TIMEOUT(pair, ipcoff_name_other_host, 400)
{
	size_t max = 128 << 10;
	char name[128];

	if (!self->consumer) {
		pid_t c;

		snprintf(name, sizeof(name), "ipcoff://%s:%u", self->ip,
			 PORT_BASE + 30);
		c = fork();
		if (!c)
			child_exit(net_consume(name, 0, IPCOFF_CHAN_VIA_LOCAL,
					       max, 100, 14, true));
		ASSERT_LT(0, c);
		EXPECT_EQ(0, net_produce(name, 2, IPCOFF_CHAN_VIA_LOCAL |
					 IPCOFF_CHAN_VIA_RDMA, max, 100, 14));
		EXPECT_EQ(0, child_result(wait_child(c, 30000)));
		return;
	}
	snprintf(name, sizeof(name), "ipcoff://%s:%u?msg_max=%zu", self->peer,
		 PORT_BASE + 30, max);
	EXPECT_EQ(0, net_consume(name, 0, IPCOFF_CHAN_VIA_RDMA, max, 100, 14,
				 false));
	printf("# consumer: 100 messages through an ipcoff:// name from the other guest (rdma, chosen), every byte right\n");
}

/*
 * A host that vanishes, not a process that dies: the consumer's guest
 * takes eth0 down mid-stream, so nothing says goodbye (no DREQ, no RST)
 * and the producer's requests go unacknowledged. Its QP gives up after
 * timeout * (retry_cnt + 1), which dead_ms bounds: RETRY_EXC_ERR, seen as
 * ECONNRESET "transport retry counter exceeded", within that bound of the
 * last message that went through. The consumer keeps eth0 down for
 * VANISH_HOLD_MS, past the producer's bound, then brings it back up (the
 * producer has given up by then; a producer still waiting would see the
 * link return and fail its bound). Last in the file: nothing follows that
 * could mind the gap.
 */
#define VANISH_DEAD_MS	2000
#define VANISH_BOUND_MS	(3 * VANISH_DEAD_MS)
#define VANISH_HOLD_MS	(VANISH_BOUND_MS + 2000)

static const struct ipcoff_rdma_opts vanish_opts = {
	.msg_max = 64 << 10, .slots = 8, .dead_ms = VANISH_DEAD_MS,
};

static int rxe_port_state(void)
{
	struct ipcoff_rdma_dev d;

	return ipcoff_rdma_dev_get(RXE_DEV, &d) ? -1 : d.port_state;
}

static void vanishing_consumer(struct __test_metadata *_metadata,
			       const char *ip, uint16_t port)
{
	struct ipcoff_rdma_listener *l = NULL;
	size_t max = vanish_opts.msg_max;
	char *buf = malloc(max);
	struct ipcoff_rdma *r;
	int64_t end, t0;
	int n, down;

	ASSERT_NE(NULL, buf);
	ASSERT_EQ(0, pair_accept_o(ip, port, &vanish_opts, &r, &l));
	for (n = 0; n < 20; n++) {
		ssize_t len = ipcoff_rdma_recv(r, buf, max, 60000);

		ASSERT_EQ((ssize_t)msg_len_of(10, n, max), len)
			TH_LOG("message %d: %s", n, ipcoff_rdma_strerror());
		ASSERT_EQ(-1, msg_check(buf, (size_t)len, 10, n));
	}
	down = system("ip link set " RXE_NETDEV " down");
	printf("# consumer: 20 messages right; eth0 down for %d ms\n",
	       VANISH_HOLD_MS);
	usleep(VANISH_HOLD_MS * 1000);
	/* Whatever happened, the link comes back for the guest's own end. */
	EXPECT_EQ(0, system("ip link set " RXE_NETDEV " up"));
	EXPECT_EQ(0, down);
	end = mono_ms() + 20000;
	while (rxe_port_state() != IPCOFF_RDMA_PORT_ACTIVE && mono_ms() < end)
		usleep(100000);
	EXPECT_EQ(IPCOFF_RDMA_PORT_ACTIVE, rxe_port_state());
	/* Our side of a connection whose peer has gone: bounded too. */
	t0 = mono_ms();
	ipcoff_rdma_close(r);
	ipcoff_rdma_listener_close(l);
	EXPECT_GE((int64_t)2 * VANISH_DEAD_MS + 1000, mono_ms() - t0);
	free(buf);
}

TEST_F_TIMEOUT(pair, consumer_host_vanishes, 120)
{
	uint16_t port = PORT_BASE + 6;
	size_t max = vanish_opts.msg_max;
	int64_t t_last = 0, t_err, t0, qp_ms;
	struct ipcoff_rdma_info info;
	char *buf = malloc(max);
	struct ipcoff_rdma *r;
	int n, ret = 0;

	if (self->consumer) {
		vanishing_consumer(_metadata, self->ip, port);
		return;
	}
	ASSERT_NE(NULL, buf);
	ASSERT_EQ(0, pair_connect_o(self->peer, port, &vanish_opts, &r));
	/* The QP's own retry time, as the device took it, is within dead_ms. */
	ipcoff_rdma_info(r, &info);
	qp_ms = (int64_t)(4.096 * (double)(1ULL << info.timeout) *
			  (info.retry_cnt + 1) / 1000);
	printf("# producer: QP timeout %u, retry_cnt %u: %lld ms of retries\n",
	       info.timeout, info.retry_cnt, (long long)qp_ms);
	EXPECT_LT(0, info.retry_cnt);
	EXPECT_GE((int64_t)VANISH_DEAD_MS, qp_ms);
	/* The send's own timeout is far off: only the dead peer may end it. */
	ret = send_until_error(r, buf, max, 10, 60000, &n, &t_last, &t_err);
	EXPECT_EQ(-ECONNRESET, ret);
	EXPECT_NE(NULL, strstr(ipcoff_rdma_strerror(),
			       "transport retry counter exceeded"));
	EXPECT_LE(20, n);
	EXPECT_GE((int64_t)VANISH_BOUND_MS, t_err - t_last);
	EXPECT_EQ(-ECONNRESET, ipcoff_rdma_send(r, buf, 1, 1000));
	t0 = mono_ms();
	ipcoff_rdma_close(r);
	EXPECT_GE((int64_t)VANISH_DEAD_MS + 1000, mono_ms() - t0);
	free(buf);
}

TEST_HARNESS_MAIN
