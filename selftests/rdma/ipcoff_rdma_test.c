// SPDX-License-Identifier: GPL-2.0
/*
 * libipcoff's rdma transport on one guest: two processes over the guest's
 * soft-RoCE device on eth0 (rxe's loopback path), and every error it
 * promises to name.  Needs an rdma guest (scripts/run-guest with
 * IPCOFF_RDMA=1): ipcoff_ip names eth0's address; SKIP elsewhere.
 *
 * Producer and consumer are both children forked before either touches
 * rdma-core (verbs contexts do not survive fork), and each runs under a
 * deadline: a hang is a failure, never a stuck guest.
 */
#include <poll.h>

#include "rdma_common.h"
#include "rdma_chan_net.h"
#include "../../libipcoff/chan_policy.h"

#define PORT_BASE	18700
#define DEAD_MS		2000

static const struct ipcoff_rdma_opts small_opts = {
	.msg_max = 64 << 10, .slots = 8, .dead_ms = DEAD_MS,
};

FIXTURE(rdma) {
	const char *ip;
};

FIXTURE_SETUP(rdma)
{
	int ret;

	self->ip = env_addr("ipcoff_ip");
	if (!self->ip)
		SKIP(return, "not an rdma guest (no ipcoff_ip): run with IPCOFF_RDMA=1");
	ret = ensure_rxe();
	ASSERT_EQ(0, ret) TH_LOG("%s", ipcoff_rdma_strerror());
}

FIXTURE_TEARDOWN(rdma)
{
}

TEST_F_TIMEOUT(rdma, link_and_addresses, 60)
{
	struct ipcoff_rdma_ifaddr a[8];
	struct ipcoff_rdma_dev d;
	unsigned int flags = 0;
	int n, i, found = 0;

	ASSERT_EQ(0, ipcoff_rdma_dev_get(RXE_DEV, &d)) TH_LOG("%s", ipcoff_rdma_strerror());
	EXPECT_STREQ(RXE_NETDEV, d.netdev);
	EXPECT_EQ(IPCOFF_RDMA_PORT_ACTIVE, d.port_state);
	ASSERT_NE(0, d.ifindex);
	n = ipcoff_rdma_netdev_addrs(d.ifindex, a, 8, &flags);
	ASSERT_LT(0, n) TH_LOG("%s", ipcoff_rdma_strerror());
	EXPECT_TRUE(flags & IFF_UP);
	for (i = 0; i < n && i < 8; i++)
		if (a[i].family == AF_INET && !strcmp(a[i].addr, self->ip))
			found = 1;
	EXPECT_TRUE(found) TH_LOG("%s has not %s", d.netdev, self->ip);
	/* A second rxe on the same netdev is refused, and says so. */
	EXPECT_EQ(-EEXIST, ipcoff_rdma_link_add("rxe1", RXE_NETDEV));
	EXPECT_EQ(-ENODEV, ipcoff_rdma_link_add("rxe1", "nosuch0"));
	EXPECT_EQ(-ENODEV, ipcoff_rdma_link_del("nosuch0"));
}

/* ipcoffctl, which every guest's initramfs carries (scripts/mkinitramfs). */
#define IPCOFFCTL	"/bin/ipcoffctl"

/* "ipcoffctl @args": its stdout in @buf, its exit status (-1: none). */
static int ctl_run(const char *args, char *buf, size_t size)
{
	char cmd[256];
	size_t got = 0, n;
	FILE *p;
	int st;

	snprintf(cmd, sizeof(cmd), IPCOFFCTL " %s", args);
	buf[0] = 0;
	p = popen(cmd, "r");
	if (!p)
		return -1;
	while (got + 1 < size && (n = fread(buf + got, 1, size - 1 - got, p)))
		got += n;
	buf[got] = 0;
	st = pclose(p);
	printf("# ipcoffctl %s: exit %d\n", args,
	       WIFEXITED(st) ? WEXITSTATUS(st) : -1);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* What ipcoffctl rdma says of rxe0's port 1, from its JSON. */
static void ctl_rxe_port(struct __test_metadata *_metadata, const char *ip,
			 const char *state)
{
	char out[4096], want[256];

	ASSERT_EQ(0, ctl_run("--json rdma", out, sizeof(out)));
	printf("# %s", out);
	EXPECT_NE(NULL, strstr(out, "{\"name\":\"rxe0\",\"driver\":\"rxe\","
				"\"software\":true,"));
	snprintf(want, sizeof(want), "\"ports\":[{\"port\":1,\"state\":\"%s\",",
		 state);
	EXPECT_NE(NULL, strstr(out, want)) TH_LOG("want %s", want);
	EXPECT_NE(NULL, strstr(out, "\"link_layer\":\"Ethernet\","));
	EXPECT_NE(NULL, strstr(out, "\"netdev\":\"" RXE_NETDEV "\","));
	snprintf(want, sizeof(want), "\"ipv4\":[\"%s/", ip);
	EXPECT_NE(NULL, strstr(out, want)) TH_LOG("want %s", want);
}

/* ipcoffctl rdma, from sysfs alone: rxe0 on eth0, active, with our address. */
TEST_F_TIMEOUT(rdma, ipcoffctl_lists_rxe, 60)
{
	char out[4096], want[128];

	ctl_rxe_port(_metadata, self->ip, "ACTIVE");
	ASSERT_EQ(0, ctl_run("rdma", out, sizeof(out)));
	printf("%s", out);
	/* The table's row: device, driver, node, port, state, ... netdev. */
	EXPECT_EQ(0, strncmp(out, "DEVICE ", 7));
	EXPECT_NE(NULL, strstr(out, "\nrxe0         rxe        CA       1 ACTIVE"));
	snprintf(want, sizeof(want), " %-10s %s/", RXE_NETDEV, self->ip);
	EXPECT_NE(NULL, strstr(out, want)) TH_LOG("want '%s'", want);
}

/*
 * The consumer of @count messages of stream @s: receives them all in
 * turns of blocking recv, an event loop on the fd with non-blocking recv,
 * and zero-copy peek/release, checking every byte.  @die_after > 0: kill
 * itself after that many, mid-stream.
 */
static int consume(const char *ip, uint16_t port, uint64_t s, int count,
		   int die_after, int start_delay_ms)
{
	struct ipcoff_rdma_listener *l;
	struct ipcoff_rdma_info info;
	struct ipcoff_rdma *r;
	size_t max = small_opts.msg_max;
	char *buf = malloc(max);
	int ret, n;

	ret = ipcoff_rdma_listen(ip, port, &small_opts, &l);
	if (ret) {
		fprintf(stderr, "consumer: listen: %s\n", ipcoff_rdma_strerror());
		return 10;
	}
	ret = ipcoff_rdma_accept(l, 30000, &r);
	if (ret) {
		fprintf(stderr, "consumer: accept: %s\n", ipcoff_rdma_strerror());
		return 11;
	}
	if (start_delay_ms)
		usleep(start_delay_ms * 1000);
	for (n = 0; n < count; n++) {
		size_t want = msg_len_of(s, n, max);
		const void *msg = NULL;
		ssize_t len;

		if (die_after && n == die_after)
			raise(SIGKILL);
		if (n % 3 == 0) {
			len = ipcoff_rdma_recv(r, buf, max, 10000);
			msg = buf;
		} else if (n % 3 == 1) {
			struct pollfd p = { .fd = ipcoff_rdma_fd(r), .events = POLLIN };
			int64_t end = mono_ms() + 10000;

			/* An event loop's way: wait on the fd, never block in the call. */
			while ((len = ipcoff_rdma_recv(r, buf, max, 0)) == -EAGAIN &&
			       mono_ms() < end)
				poll(&p, 1, 1000);
			msg = buf;
		} else {
			len = ipcoff_rdma_recv_peek(r, 10000, &msg);
		}
		if (len < 0) {
			fprintf(stderr, "consumer: message %d: %s\n", n,
				ipcoff_rdma_strerror());
			return 12;
		}
		if ((size_t)len != want || msg_check(msg, want, s, n) >= 0) {
			fprintf(stderr, "consumer: message %d: %zd bytes (want %zu), first bad byte at %zd\n",
				n, len, want, msg_check(msg, (size_t)len, s, n));
			return 13;
		}
		if (n % 3 == 2 && ipcoff_rdma_recv_release(r)) {
			fprintf(stderr, "consumer: release: %s\n", ipcoff_rdma_strerror());
			return 14;
		}
	}
	ipcoff_rdma_info(r, &info);
	printf("# consumer: %d messages, %llu credit updates, qp timeout %u retry %u\n",
	       count, (unsigned long long)info.credit_msgs, info.timeout,
	       info.retry_cnt);
	if (count > (int)small_opts.slots && !info.credit_msgs)
		return 15;
	ipcoff_rdma_close(r);
	ipcoff_rdma_listener_close(l);
	free(buf);
	return 0;
}

/*
 * Every producer's first step: connect to the consumer at @ip:@port with
 * small_opts, retrying for 30 s while it does not listen yet; the reason
 * on stderr when that fails.
 */
static int producer_connect(const char *ip, uint16_t port,
			    struct ipcoff_rdma **r)
{
	int ret = connect_retry(ip, port, &small_opts, 30000, r);

	if (ret)
		fprintf(stderr, "producer: connect: %s\n", ipcoff_rdma_strerror());
	return ret;
}

/* Sends until @count or the first error; returns the count sent. */
static int produce(struct ipcoff_rdma *r, uint64_t s, int count, int *err)
{
	size_t max = small_opts.msg_max;
	char *buf = malloc(max);
	int n;

	*err = 0;
	for (n = 0; n < count; n++) {
		size_t len = msg_len_of(s, n, max);
		void *slot;

		if (n % 2) {
			msg_fill(buf, len, s, n);
			*err = ipcoff_rdma_send(r, buf, len, 10000);
		} else {
			*err = ipcoff_rdma_send_reserve(r, 10000, &slot);
			if (!*err) {
				msg_fill(slot, len, s, n);
				*err = ipcoff_rdma_send_commit(r, len);
			}
		}
		if (*err)
			break;
	}
	free(buf);
	return n;
}

static int producer(const char *ip, uint16_t port, uint64_t s, int count)
{
	struct ipcoff_rdma_info info;
	struct ipcoff_rdma *r;
	int ret, n;

	if (producer_connect(ip, port, &r))
		return 20;
	ipcoff_rdma_info(r, &info);
	printf("# producer: %s port %u, %zu-byte messages, %u credits, qp timeout %u retry %u\n",
	       info.ibdev, info.port, info.msg_max, info.credits, info.timeout,
	       info.retry_cnt);
	/* Bounded dead-peer detection needs both set (0 means never). */
	if (!info.timeout || !info.retry_cnt || info.retry_cnt == 7)
		return 21;
	n = produce(r, s, count, &ret);
	if (ret) {
		fprintf(stderr, "producer: message %d: %s\n", n, ipcoff_rdma_strerror());
		return 22;
	}
	ipcoff_rdma_close(r);
	return 0;
}

static pid_t spawn_consumer(const char *ip, uint16_t port, uint64_t s, int count,
			    int die_after, int delay)
{
	return fork_child(consume(ip, port, s, count, die_after, delay));
}

/*
 * The end of a test with two children: reap @a within @a_ms, then @b
 * within @b_ms (the one that should end first goes first, so the other's
 * bound starts only then), and expect their results, @a's first.
 */
static void expect_children(struct __test_metadata *_metadata,
			    pid_t a, int a_ms, int want_a,
			    pid_t b, int b_ms, int want_b)
{
	int ra = child_result(wait_child(a, a_ms));
	int rb = child_result(wait_child(b, b_ms));

	EXPECT_EQ(want_a, ra);
	EXPECT_EQ(want_b, rb);
}

TEST_F_TIMEOUT(rdma, stream_every_byte, 240)
{
	uint16_t port = PORT_BASE + 1;
	pid_t c, p;

	c = spawn_consumer(self->ip, port, 1, 300, 0, 0);
	ASSERT_LT(0, c);
	p = fork_child(producer(self->ip, port, 1, 300));
	ASSERT_LT(0, p);
	expect_children(_metadata, p, 200000, 0, c, 10000, 0);
}

/*
 * The producer never gets ahead of the consumer by more than its slots:
 * while the consumer sleeps, non-blocking sends stop with EAGAIN after
 * exactly `slots` messages, and go on once it reads.
 */
static int producer_credits(const char *ip, uint16_t port)
{
	struct ipcoff_rdma *r;
	int n = 0, ret;

	if (producer_connect(ip, port, &r))
		return 20;
	for (;;) {
		size_t len = msg_len_of(2, n, small_opts.msg_max);
		void *slot;

		ret = ipcoff_rdma_send_reserve(r, 0, &slot);
		if (ret)
			break;
		msg_fill(slot, len, 2, n);
		if (ipcoff_rdma_send_commit(r, len))
			return 23;
		n++;
	}
	printf("# producer: %d sends before EAGAIN\n", n);
	if (ret != -EAGAIN || n != (int)small_opts.slots)
		return 24;
	/* The rest with blocking sends, picking up where it stopped. */
	for (; n < 40; n++) {
		size_t len = msg_len_of(2, n, small_opts.msg_max);
		void *slot;

		if (ipcoff_rdma_send_reserve(r, 10000, &slot))
			return 25;
		msg_fill(slot, len, 2, n);
		if (ipcoff_rdma_send_commit(r, len))
			return 25;
	}
	ipcoff_rdma_close(r);
	return 0;
}

TEST_F_TIMEOUT(rdma, credits_bound_the_producer, 120)
{
	uint16_t port = PORT_BASE + 2;
	pid_t c, p;

	/* The consumer waits 3 s after the connection before it reads. */
	c = spawn_consumer(self->ip, port, 2, 40, 0, 3000);
	ASSERT_LT(0, c);
	p = fork_child(producer_credits(self->ip, port));
	expect_children(_metadata, p, 90000, 0, c, 10000, 0);
}

/*
 * The consumer dies (SIGKILL) mid-stream: the producer's next sends fail
 * with ECONNRESET within the dead-peer bound, and it closes promptly.
 */
static int producer_sees_death(const char *ip, uint16_t port, int min_sent)
{
	int64_t t_last = 0, t_err, t0;
	struct ipcoff_rdma *r;
	int ret, n;

	if (producer_connect(ip, port, &r))
		return 20;
	for (n = 0; n < 100000; n++) {
		size_t len = msg_len_of(3, n, small_opts.msg_max);
		void *slot;

		ret = ipcoff_rdma_send_reserve(r, 3 * DEAD_MS, &slot);
		if (!ret) {
			msg_fill(slot, len, 3, n);
			ret = ipcoff_rdma_send_commit(r, len);
		}
		if (ret)
			break;
		t_last = mono_ms();
	}
	t_err = mono_ms();
	printf("# producer: %d sent, then after %lld ms: %s (%s)\n", n,
	       (long long)(t_err - t_last), strerrorname_np(-ret),
	       ipcoff_rdma_strerror());
	if (ret != -ECONNRESET)
		return 26;
	if (n < min_sent)
		return 27;
	/* Later calls keep failing the same way, at once. */
	if (ipcoff_rdma_send(r, "x", 1, 1000) != -ECONNRESET)
		return 28;
	t0 = mono_ms();
	ipcoff_rdma_close(r);
	printf("# producer: close took %lld ms\n", (long long)(mono_ms() - t0));
	if (mono_ms() - t0 > DEAD_MS + 1000)
		return 29;
	return 0;
}

TEST_F_TIMEOUT(rdma, consumer_killed_mid_stream, 120)
{
	uint16_t port = PORT_BASE + 3;
	pid_t c, p;

	c = spawn_consumer(self->ip, port, 3, 100000, 20, 0);
	ASSERT_LT(0, c);
	p = fork_child(producer_sees_death(self->ip, port, 20));
	/* The consumer kills itself first: reap it first. */
	expect_children(_metadata, c, 60000, 100 + SIGKILL, p, 60000, 0);
}

/* The producer dies after 10: the consumer gets those 10, then ECONNRESET. */
static int producer_dies(const char *ip, uint16_t port)
{
	struct ipcoff_rdma *r;
	int ret;

	if (producer_connect(ip, port, &r))
		return 20;
	produce(r, 4, 10, &ret);
	if (ret)
		return 22;
	/* Let the writes land: the consumer must have all ten. */
	usleep(500000);
	raise(SIGKILL);
	return 0;
}

static int consumer_sees_death(const char *ip, uint16_t port)
{
	struct ipcoff_rdma_listener *l;
	struct ipcoff_rdma *r;
	size_t max = small_opts.msg_max;
	char *buf = malloc(max);
	ssize_t len;
	int n = 0;

	if (ipcoff_rdma_listen(ip, port, &small_opts, &l) ||
	    ipcoff_rdma_accept(l, 30000, &r))
		return 10;
	for (;;) {
		len = ipcoff_rdma_recv(r, buf, max, 3 * DEAD_MS);
		if (len < 0)
			break;
		if ((size_t)len != msg_len_of(4, n, max) ||
		    msg_check(buf, (size_t)len, 4, n) >= 0)
			return 13;
		n++;
	}
	printf("# consumer: %d messages, then %s (%s)\n", n,
	       strerrorname_np((int)-len), ipcoff_rdma_strerror());
	if (n != 10 || len != -ECONNRESET)
		return 16;
	ipcoff_rdma_close(r);
	ipcoff_rdma_listener_close(l);
	return 0;
}

TEST_F_TIMEOUT(rdma, producer_killed_mid_stream, 120)
{
	uint16_t port = PORT_BASE + 4;
	pid_t c, p;

	c = fork_child(consumer_sees_death(self->ip, port));
	p = fork_child(producer_dies(self->ip, port));
	expect_children(_metadata, p, 60000, 100 + SIGKILL, c, 60000, 0);
}

/* Runs @fn in a fresh child (no rdma-core state), returns its result. */
static int in_child(int (*fn)(const char *ip), const char *ip, int ms)
{
	return child_result(wait_child(fork_child(fn(ip)), ms));
}

static int expect_err(const char *what, int got, int want, int64_t t0,
		      int max_ms)
{
	int64_t took = mono_ms() - t0;

	printf("# %s: %s after %lld ms: %s\n", what, got ? strerrorname_np(-got) : "0",
	       (long long)took, ipcoff_rdma_strerror());
	if (got != want) {
		printf("# %s: wanted %s\n", what, strerrorname_np(-want));
		return 1;
	}
	return took > max_ms ? 2 : 0;
}

static int listen_on_lo(const char *ip)
{
	struct ipcoff_rdma_listener *l = NULL;
	int64_t t0 = mono_ms();

	(void)ip;
	return expect_err("listen on 127.0.0.1",
			  ipcoff_rdma_listen("127.0.0.1", PORT_BASE + 5, &small_opts, &l),
			  -ENODEV, t0, 5000);
}

static int connect_nobody(const char *ip)
{
	struct ipcoff_rdma *r = NULL;
	int64_t t0 = mono_ms();

	return expect_err("connect to a port nobody listens on",
			  ipcoff_rdma_connect(ip, PORT_BASE + 6, &small_opts, 10000, &r),
			  -ECONNREFUSED, t0, 10000);
}

static int connect_unreachable(const char *ip)
{
	struct ipcoff_rdma *r = NULL;
	char other[64], *dot;
	int64_t t0 = mono_ms();

	/* A host on eth0's subnet that does not exist: .99. */
	snprintf(other, sizeof(other), "%s", ip);
	dot = strrchr(other, '.');
	if (!dot)
		return 3;
	strcpy(dot, ".99");
	return expect_err("connect to an address nobody has",
			  ipcoff_rdma_connect(other, PORT_BASE + 7, &small_opts, 30000, &r),
			  -EHOSTUNREACH, t0, 2 * DEAD_MS + 5000);
}

static int connect_memlock(const char *ip)
{
	struct ipcoff_rdma_opts o = { .msg_max = 1 << 20, .slots = 8,
				      .dead_ms = DEAD_MS };
	struct rlimit rl = { 64 << 10, 64 << 10 };
	struct ipcoff_rdma *r = NULL;
	int64_t t0;
	int ret;

	if (caps_drop(CAP_IPC_LOCK) || setrlimit(RLIMIT_MEMLOCK, &rl))
		return 3;
	t0 = mono_ms();
	ret = expect_err("connect with RLIMIT_MEMLOCK 64 KiB and no CAP_IPC_LOCK",
			 ipcoff_rdma_connect(ip, PORT_BASE + 8, &o, 10000, &r),
			 -ENOMEM, t0, 10000);
	if (!ret && !strstr(ipcoff_rdma_strerror(), "RLIMIT_MEMLOCK"))
		return 4;
	return ret;
}

TEST_F_TIMEOUT(rdma, errors_are_distinct, 120)
{
	EXPECT_EQ(0, in_child(listen_on_lo, self->ip, 20000));
	EXPECT_EQ(0, in_child(connect_nobody, self->ip, 20000));
	EXPECT_EQ(0, in_child(connect_unreachable, self->ip, 40000));
	EXPECT_EQ(0, in_child(connect_memlock, self->ip, 20000));
}

static int listen_port_down(const char *ip)
{
	struct ipcoff_rdma_listener *l = NULL;
	int64_t t0 = mono_ms();

	return expect_err("listen with eth0 down",
			  ipcoff_rdma_listen(ip, PORT_BASE + 9, &small_opts, &l),
			  -ENETDOWN, t0, 5000);
}

static int port_state(void)
{
	struct ipcoff_rdma_dev d;

	return ipcoff_rdma_dev_get(RXE_DEV, &d) ? -1 : d.port_state;
}

/* Until rxe0's port reads @state (it follows the netdev asynchronously). */
static int wait_port(int state)
{
	int64_t end = mono_ms() + 15000;

	while (port_state() != state && mono_ms() < end)
		usleep(100000);
	return port_state();
}

TEST_F_TIMEOUT(rdma, port_down, 120)
{
	int ret;

	ASSERT_EQ(0, system("ip link set " RXE_NETDEV " down"));
	EXPECT_EQ(IPCOFF_RDMA_PORT_DOWN, wait_port(IPCOFF_RDMA_PORT_DOWN));
	/* ipcoffctl sees the same port state, through sysfs. */
	ctl_rxe_port(_metadata, self->ip, "DOWN");
	ret = in_child(listen_port_down, self->ip, 20000);
	ASSERT_EQ(0, system("ip link set " RXE_NETDEV " up"));
	EXPECT_EQ(0, ret);
	EXPECT_EQ(IPCOFF_RDMA_PORT_ACTIVE, wait_port(IPCOFF_RDMA_PORT_ACTIVE));
}

static int connect_no_device(const char *ip)
{
	struct ipcoff_rdma *r = NULL;
	int64_t t0 = mono_ms();

	return expect_err("connect with no RDMA device",
			  ipcoff_rdma_connect(ip, PORT_BASE + 10, &small_opts, 10000, &r),
			  -ENODEV, t0, 5000);
}

TEST_F_TIMEOUT(rdma, no_device, 60)
{
	char out[512];
	int ret, rc;

	ASSERT_EQ(0, ipcoff_rdma_link_del(RXE_DEV)) TH_LOG("%s", ipcoff_rdma_strerror());
	ret = in_child(connect_no_device, self->ip, 20000);
	/* No device is a listing with nothing in it, not a failure. */
	rc = ctl_run("rdma", out, sizeof(out));
	printf("# %s", out);
	EXPECT_EQ(0, rc);
	EXPECT_NE(NULL, strstr(out, "(no RDMA devices: /sys/class/infiniband is empty or absent)\n"));
	rc = ctl_run("--json rdma", out, sizeof(out));
	EXPECT_EQ(0, rc);
	EXPECT_STREQ("{\"devices\":[]}\n", out);
	ASSERT_EQ(0, ipcoff_rdma_link_add(RXE_DEV, RXE_NETDEV))
		TH_LOG("%s", ipcoff_rdma_strerror());
	EXPECT_EQ(0, ret);
}

/* ---- Channels over rdma: one producer, two consumers, all children ---- */

static pid_t chan_consumer_child(const char *name, size_t max, int count,
				 bool peek, int want_last)
{
	pid_t pid = fork();
	int last = 0, ret;

	if (pid)
		return pid;
	ret = chan_consume(name, max, count, 11, peek, &last);
	if (!ret && last != want_last) {
		printf("# after the stream: %s, want %s\n",
		       strerrorname_np(-last), strerrorname_np(-want_last));
		ret = 46;
	}
	child_exit(ret);
}

TEST_F_TIMEOUT(rdma, channel_one_to_two, 240)
{
	size_t max = 256 << 10;
	char name[96];
	pid_t c[2], p;
	int i, sp;

	snprintf(name, sizeof(name), "rdma://%s:%u?msg_max=%zu", self->ip,
		 PORT_BASE + 20, max);
	p = fork_child(chan_produce(name, 2, max, 60, 11));
	for (i = 0; i < 2; i++) {
		c[i] = chan_consumer_child(name, max, 60, i, -EPIPE);
		ASSERT_LT(0, c[i]);
	}
	sp = child_result(wait_child(p, 200000));
	for (i = 0; i < 2; i++)
		EXPECT_EQ(0, child_result(wait_child(c[i], 30000)))
			TH_LOG("consumer %d", i);
	EXPECT_EQ(0, sp);
}

/* A producer killed after its stream: the consumer gets ECONNRESET. */
TEST_F_TIMEOUT(rdma, channel_producer_killed, 120)
{
	size_t max = 64 << 10;
	char name[96];
	pid_t c, p;

	snprintf(name, sizeof(name), "rdma://%s:%u?msg_max=%zu", self->ip,
		 PORT_BASE + 21, max);
	p = fork();
	if (!p) {
		struct ipcoff_chan_attr a = {
			.msg_max = max, .depth = 4, .flags = IPCOFF_CHAN_QUIET,
		};
		struct ipcoff_chan *ch;
		char *buf = malloc(max);
		int n;

		if (!buf || ipcoff_chan_rdma_enable() ||
		    ipcoff_chan_create(name, &a, &ch) ||
		    ipcoff_chan_wait_consumers(ch, 1, 60000000000LL))
			child_exit(30);
		for (n = 0; n < 10; n++) {
			size_t len = msg_len_of(11, n, max);

			msg_fill(buf, len, 11, n);
			if (ipcoff_chan_send(ch, buf, len, 0))
				child_exit(34);
		}
		usleep(500000);
		raise(SIGKILL);
	}
	c = chan_consumer_child(name, max, 10, false, -ECONNRESET);
	ASSERT_LT(0, c);
	EXPECT_EQ(0, child_result(wait_child(c, 90000)));
	EXPECT_EQ(100 + SIGKILL, child_result(wait_child(p, 30000)));
}

/* Without ipcoff_chan_rdma_enable() an rdma name is no channel name. */
TEST_F_TIMEOUT(rdma, channel_rdma_not_enabled, 30)
{
	struct ipcoff_chan *ch;
	pid_t p = fork();

	if (!p)
		child_exit(ipcoff_chan_connect("rdma://10.0.0.1:1", 0, &ch) ==
			   -EPROTONOSUPPORT ? 0 : 1);
	EXPECT_EQ(0, child_result(wait_child(p, 20000)));
}

/* ---- "ipcoff://" names: the library picks local or rdma (issue 10) ---- */

/*
 * One producer of "ipcoff://eth0's address:PORT", serving both kinds at
 * once; three consumers on this host: by default (local), asking for rdma
 * (rdma, through rxe's loopback), and preferring a real RNIC when only
 * rxe0 is there (local). Every byte checked on each.
 */
TEST_F_TIMEOUT(rdma, ipcoff_name_same_host, 300)
{
	static const struct {
		unsigned int flags, via;
		bool peek;
	} cons[] = {
		{ 0, IPCOFF_CHAN_VIA_LOCAL, false },
		{ IPCOFF_CHAN_RDMA, IPCOFF_CHAN_VIA_RDMA, false },
		{ IPCOFF_CHAN_PREFER_RNIC, IPCOFF_CHAN_VIA_LOCAL, true },
	};
	size_t max = 64 << 10;
	char name[96], cname[128];
	pid_t c[3], p;
	int i, sp;

	snprintf(name, sizeof(name), "ipcoff://%s:%u", self->ip,
		 PORT_BASE + 30);
	snprintf(cname, sizeof(cname), "%s?msg_max=%zu", name, max);
	p = fork_child(net_produce(name, 3, IPCOFF_CHAN_VIA_LOCAL |
				   IPCOFF_CHAN_VIA_RDMA, max, 40, 12));
	ASSERT_LT(0, p);
	for (i = 0; i < 3; i++) {
		c[i] = fork_child(net_consume(cname, cons[i].flags,
					      cons[i].via, max, 40, 12,
					      cons[i].peek));
		ASSERT_LT(0, c[i]);
	}
	sp = child_result(wait_child(p, 250000));
	for (i = 0; i < 3; i++)
		EXPECT_EQ(0, child_result(wait_child(c[i], 30000)))
			TH_LOG("consumer %d (flags %#x)", i, cons[i].flags);
	EXPECT_EQ(0, sp);
}

/* IPCOFF_CHAN_RDMA=1 in the environment asks for rdma as the flag does. */
TEST_F_TIMEOUT(rdma, ipcoff_name_rdma_by_environment, 200)
{
	size_t max = 16 << 10;
	char name[96], cname[128];
	pid_t c, p;
	int sp;

	snprintf(name, sizeof(name), "ipcoff://%s:%u", self->ip,
		 PORT_BASE + 31);
	snprintf(cname, sizeof(cname), "%s?msg_max=%zu", name, max);
	p = fork_child(net_produce(name, 1, IPCOFF_CHAN_VIA_LOCAL |
				   IPCOFF_CHAN_VIA_RDMA, max, 20, 13));
	ASSERT_LT(0, p);
	c = fork();
	if (!c) {
		setenv("IPCOFF_CHAN_RDMA", "1", 1);
		child_exit(net_consume(cname, 0, IPCOFF_CHAN_VIA_RDMA, max, 20,
				       13, false));
	}
	ASSERT_LT(0, c);
	sp = child_result(wait_child(p, 150000));
	EXPECT_EQ(0, child_result(wait_child(c, 30000)));
	EXPECT_EQ(0, sp);
}

/*
 * The policy's view of this guest's devices: rxe0 on eth0 is software
 * (so IPCOFF_CHAN_PREFER_RNIC keeps a same-host consumer local), as read
 * from this kernel's sysfs.
 */
TEST_F_TIMEOUT(rdma, ipcoff_name_rxe_is_software, 30)
{
	struct chan_rdev d[8];
	int n, i, found = 0;

	n = chan_rdevs_get(NULL, d, 8);
	ASSERT_LT(0, n);
	for (i = 0; i < n && i < 8; i++) {
		TH_LOG("%s: netdev \"%s\", %s", d[i].name, d[i].netdev,
		       d[i].hw ? "real" : "software");
		if (!strcmp(d[i].name, RXE_DEV)) {
			found = 1;
			EXPECT_FALSE(d[i].hw);
			EXPECT_STREQ(RXE_NETDEV, d[i].netdev);
		}
	}
	EXPECT_TRUE(found);
}

/* A producer without ipcoff_chan_rdma_enable() serves local consumers only. */
static int net_local_only(const char *ip)
{
	struct ipcoff_chan_attr a = {
		.msg_max = 4096, .depth = 4, .flags = IPCOFF_CHAN_QUIET,
	};
	struct ipcoff_chan_info info;
	struct ipcoff_chan *ch;
	char name[96];
	int ret;

	snprintf(name, sizeof(name), "ipcoff://%s:%u", ip, PORT_BASE + 32);
	ret = ipcoff_chan_create(name, &a, &ch);
	if (ret)
		return 1;
	if (ipcoff_chan_info(ch, &info) || info.via != IPCOFF_CHAN_VIA_LOCAL)
		return 2;
	ipcoff_chan_close(ch);
	/* Required rdma, not enabled: refused, with the reason. */
	a.flags |= IPCOFF_CHAN_RDMA;
	ret = ipcoff_chan_create(name, &a, &ch);
	if (ret != -EPROTONOSUPPORT ||
	    !strstr(ipcoff_chan_strerror(), "ipcoff_chan_rdma_enable"))
		return 3;
	/* Enabled: the same name listens over rdma too. */
	a.flags &= ~IPCOFF_CHAN_RDMA;
	if (ipcoff_chan_rdma_enable() || ipcoff_chan_create(name, &a, &ch))
		return 4;
	if (ipcoff_chan_info(ch, &info) ||
	    info.via != (IPCOFF_CHAN_VIA_LOCAL | IPCOFF_CHAN_VIA_RDMA) ||
	    !strstr(info.transport, "+rdma"))
		return 5;
	ipcoff_chan_close(ch);
	/* On loopback there is no RDMA device: rdma required fails so. */
	snprintf(name, sizeof(name), "ipcoff://127.0.0.1:%u", PORT_BASE + 33);
	a.flags |= IPCOFF_CHAN_RDMA;
	ret = ipcoff_chan_create(name, &a, &ch);
	if (ret != -ENODEV) {
		printf("# rdma required on loopback: %s (%s)\n",
		       strerror(-ret), ipcoff_chan_strerror());
		return 6;
	}
	a.flags &= ~IPCOFF_CHAN_RDMA;
	if (ipcoff_chan_create(name, &a, &ch) ||
	    ipcoff_chan_info(ch, &info) || info.via != IPCOFF_CHAN_VIA_LOCAL)
		return 7;
	ipcoff_chan_close(ch);
	return 0;
}

TEST_F_TIMEOUT(rdma, ipcoff_name_producer_transports, 60)
{
	pid_t p = fork();

	if (!p)
		child_exit(net_local_only(self->ip));
	ASSERT_LT(0, p);
	EXPECT_EQ(0, child_result(wait_child(p, 50000)));
}

TEST_HARNESS_MAIN
