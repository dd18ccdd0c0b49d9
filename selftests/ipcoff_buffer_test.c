// SPDX-License-Identifier: GPL-2.0
/*
 * ipcoff buffers (IPCOFF_IOC_BUF_ALLOC) and their export fds
 * (IPCOFF_IOC_EXPORT):
 *
 *  - allocation: the length rounded up to pages, zeroed pages (also when
 *    they were another buffer's a moment ago), pinned_pages, regions and
 *    VmPin grow by the buffer and come back once it is unregistered and
 *    every export fd and mapping is gone; RLIMIT_MEMLOCK is enforced;
 *  - content equality both ways: bytes written through a mapping are what
 *    a COPY out of the buffer reads, bytes COPY'd (or SUBMIT'ed) in are
 *    what the mapping shows, in every mapping of the buffer, in a child
 *    that inherited one, and in a process of another uid that got the
 *    export fd over a unix socket (SCM_RIGHTS);
 *  - read-only exports: no PROT_WRITE mapping, no mprotect() upgrade;
 *  - revocation, a narrowed grant, unregistration and the owner's close,
 *    with live mappings: every later access that is no longer allowed
 *    gets SIGBUS (the process dies of it: WTERMSIG), nothing stale is ever
 *    read, and the pages come back once the last mapping and fd go;
 *  - refusals: EXPORT of registered user memory, more access than the
 *    caller has, bad flags, pads and reserved fields, bad lengths, private
 *    mappings and mappings past the buffer;
 *  - an export fd reaches its one buffer and nothing else: no ioctl works
 *    on it, its mappings cover only its buffer;
 *  - what does not work on such a mapping, as documented: a shared futex
 *    there, registering it as a region.
 *
 * The owner is the test process (root); peers are forked processes that
 * become UID_B or UID_C and act on request over a unix socket (struct
 * peer below), so a test can make one touch its mapping after the owner
 * changed something, and watch it die. Tests start their peers before
 * they map anything: fork() copies shared mappings, and a copy left in a
 * peer would keep the buffer alive.
 */
#include <setjmp.h>
#include <linux/futex.h>

#include <ipcoff.h>

#include "agent.h"

#define MIB		(1UL << 20)
#define SEC_NS		(1000LL * 1000 * 1000)

#define PEERS		3

/* ------------------------------------------------------------------ */
/* Raw ioctls of this feature: 0 or -errno.                            */

static int t_buf_alloc(int fd, uint64_t len, uint32_t flags, uint64_t *handle,
		       uint64_t *out_len)
{
	struct ipcoff_buf_alloc a = { .len = len, .flags = flags };
	int ret = t_ioctl(fd, IPCOFF_IOC_BUF_ALLOC, &a);

	if (!ret && handle)
		*handle = a.handle;
	if (!ret && out_len)
		*out_len = a.len;
	return ret;
}

static int t_export(int fd, uint64_t handle, uint32_t access, uint32_t flags,
		    int *efd)
{
	struct ipcoff_export e = {
		.handle = handle, .access = access, .flags = flags,
	};
	int ret = t_ioctl(fd, IPCOFF_IOC_EXPORT, &e);

	if (!ret && efd)
		*efd = e.fd;
	return ret;
}

/* mmap of an export fd: the address, or NULL with errno set. */
static uint8_t *map_export(int efd, size_t len, int prot, int flags,
			   off_t off)
{
	void *p = mmap(NULL, len, prot, flags, efd, off);

	return p == MAP_FAILED ? NULL : p;
}

/* mmap's errno for a mapping that should fail (0 if it did not). */
static int map_errno(int efd, size_t len, int prot, int flags, off_t off)
{
	void *p = mmap(NULL, len, prot, flags, efd, off);

	if (p == MAP_FAILED)
		return errno;
	munmap(p, len);
	return 0;
}

/* One copy on @engine; also checks the whole length moved. */
static int copy_on(int fd, uint32_t engine, struct ipcoff_copy *c)
{
	int ret;

	c->engine = engine;
	ret = t_copy(fd, c);
	if (!ret && c->copied != c->len)
		return -EIO;
	if (!ret && engine != IPCOFF_ENGINE_AUTO && c->engine != engine)
		return -EPROTO;
	return ret;
}

/* Region @h at @off -> @buf. */
static int cp_out(int fd, uint32_t engine, uint64_t h, uint64_t off,
		  void *buf, uint64_t len)
{
	struct ipcoff_iovec iov = { .base = PTR(buf), .len = len };
	struct ipcoff_copy c = { .len = len };

	ep_region(&c.src, h, off);
	ep_iov(&c.dst, &iov, 1);
	return copy_on(fd, engine, &c);
}

/* @buf -> region @h at @off. */
static int cp_in(int fd, uint32_t engine, uint64_t h, uint64_t off,
		 const void *buf, uint64_t len)
{
	struct ipcoff_iovec iov = { .base = PTR(buf), .len = len };
	struct ipcoff_copy c = { .len = len };

	ep_iov(&c.src, &iov, 1);
	ep_region(&c.dst, h, off);
	return copy_on(fd, engine, &c);
}

static int cp_rr(int fd, uint32_t engine, uint64_t dh, uint64_t doff,
		 uint64_t sh, uint64_t soff, uint64_t len)
{
	struct ipcoff_copy c = { .len = len };

	ep_region(&c.src, sh, soff);
	ep_region(&c.dst, dh, doff);
	return copy_on(fd, engine, &c);
}

/* Why this module cannot run these tests, or NULL. */
static const char *buffers_missing(int fd)
{
	struct ipcoff_info info;

	if (t_info(fd, &info))
		return "GET_INFO failed";
	if (!(info.features & IPCOFF_FEAT_BUFFERS))
		return "module without IPCOFF_FEAT_BUFFERS (buffers, export fds)";
	return NULL;
}

static int count_fds(void)
{
	char path[64];
	int fd, n = 0;

	for (fd = 0; fd < 1024; fd++) {
		snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
		if (!access(path, F_OK))
			n++;
	}
	return n;
}

/* ------------------------------------------------------------------ */
/* Touching memory that may fault.                                     */

static sigjmp_buf probe_env;
static volatile sig_atomic_t probe_sig;
static volatile sig_atomic_t probe_code;
static void *volatile probe_addr;

static void probe_handler(int sig, siginfo_t *si, void *uc)
{
	(void)uc;
	probe_sig = sig;
	probe_code = si->si_code;
	probe_addr = si->si_addr;
	siglongjmp(probe_env, 1);
}

/*
 * Read (or write @val to) the byte at @p. Returns 0, or the signal the
 * access raised (SIGBUS, SIGSEGV); *@got is the byte read.
 */
static int probe_byte(volatile uint8_t *p, int write, uint8_t val,
		      uint8_t *got)
{
	struct sigaction sa, obus, osegv;

	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = probe_handler;
	sa.sa_flags = SA_SIGINFO;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGBUS, &sa, &obus);
	sigaction(SIGSEGV, &sa, &osegv);
	probe_sig = 0;
	probe_addr = NULL;
	if (!sigsetjmp(probe_env, 1)) {
		if (write)
			*p = val;
		else if (got)
			*got = *p;
		else
			(void)*p;
	}
	sigaction(SIGBUS, &obus, NULL);
	sigaction(SIGSEGV, &osegv, NULL);
	if (probe_sig && probe_addr != (void *)p)
		return -1;	/* the signal was about another address */
	return probe_sig;
}

/*
 * Touch one byte of every page of [p, p + len): *@bus counts the pages
 * that gave SIGBUS, *@fine those that did not fault; any other outcome
 * (SIGSEGV, a signal for another address) is counted in the return value.
 */
static int probe_pages(uint8_t *p, size_t len, int write, uint8_t val,
		       uint64_t *bus, uint64_t *fine)
{
	size_t ps = page_size(), off;
	int other = 0, sig;

	*bus = 0;
	*fine = 0;
	for (off = 0; off < len; off += ps) {
		/* Somewhere inside the page, not only its first byte. */
		sig = probe_byte(p + off + (off / ps * 97) % ps, write, val,
				 NULL);
		if (sig == SIGBUS)
			(*bus)++;
		else if (!sig)
			(*fine)++;
		else
			other++;
	}
	return other;
}

/* ------------------------------------------------------------------ */
/* Peers: processes of another uid acting on request.                  */

/*
 * Requests (struct peer_msg.a[]) and answers (struct peer_rep):
 *
 * P_SET_FD     the request carries an export fd: the peer's current one
 * P_EXPORT     a: handle, access, flags, send: EXPORT on the peer's own
 *              context; the new fd becomes its current one and, if send,
 *              comes back with the answer
 * P_MAP        a: off, len, prot, flags: mmap of the current export fd
 *              (ret: 0 or -errno)
 * P_UNMAP
 * P_MPROTECT   a: prot (ret: 0 or -errno)
 * P_CHECK      a: off, len, seed, start: v0 = index of the first byte of
 *              the mapping that is not stream seed (len: all are)
 * P_CHECK_BYTE a: off, len, byte: likewise, for a byte value
 * P_FILL       a: off, len, seed, start: write stream seed into the mapping
 * P_PROBE      a: off, len, write, val: one access per page with a SIGBUS
 *              handler: v0 pages that gave SIGBUS, v1 pages that did not
 *              fault; ret -EFAULT if anything else happened
 * P_TOUCH      a: off, write, val: one access with the default signal
 *              actions: the answer comes only if the peer survived it
 * P_FORK_TOUCH a: off, write: a forked child makes the access; v0 = its
 *              wait status
 * P_COPY_OUT   a: handle, off, len: COPY from the region on the peer's
 *              own context (ret; v0: copied)
 * P_CLOSE_FD   close the current export fd (its mapping stays)
 */
enum peer_op {
	P_SET_FD = 1,
	P_EXPORT,
	P_MAP,
	P_UNMAP,
	P_MPROTECT,
	P_CHECK,
	P_CHECK_BYTE,
	P_FILL,
	P_PROBE,
	P_TOUCH,
	P_FORK_TOUCH,
	P_COPY_OUT,
	P_CLOSE_FD,
};

struct peer_msg {
	uint32_t op;
	uint32_t pad;
	uint64_t a[6];
};

struct peer_rep {
	int64_t ret;
	int64_t err;	/* the peer's own failure (bad request, mmap...) */
	uint64_t v[2];
};

struct peer {
	pid_t pid;
	int sock;
};

struct peer_state {
	int ctx;	/* its own /dev/ipcoff context */
	int efd;	/* current export fd */
	uint8_t *map;
	size_t map_len;
	uint8_t *scratch;
	size_t scratch_len;
};

static int peer_in_map(const struct peer_state *st, uint64_t off,
		       uint64_t len)
{
	return st->map && off <= st->map_len && len <= st->map_len - off;
}

static void peer_do(struct peer_state *st, const struct peer_msg *m,
		    struct peer_rep *r, int got, int *send_fd)
{
	const uint64_t *a = m->a;
	pid_t pid;
	int status;

	switch (m->op) {
	case P_SET_FD:
		if (got < 0) {
			r->err = -EBADF;
			break;
		}
		if (st->efd >= 0)
			close(st->efd);
		st->efd = got;
		break;
	case P_EXPORT:
		r->ret = t_export(st->ctx, a[0], (uint32_t)a[1],
				  (uint32_t)a[2], &got);
		if (r->ret)
			break;
		if (st->efd >= 0)
			close(st->efd);
		st->efd = got;
		if (a[3])
			*send_fd = got;
		break;
	case P_MAP:
		if (st->map) {
			r->err = -EBUSY;
			break;
		}
		st->map = map_export(st->efd, a[1], (int)a[2], (int)a[3],
				     (off_t)a[0]);
		r->ret = st->map ? 0 : -errno;
		st->map_len = st->map ? a[1] : 0;
		break;
	case P_UNMAP:
		if (st->map)
			munmap(st->map, st->map_len);
		st->map = NULL;
		st->map_len = 0;
		break;
	case P_MPROTECT:
		r->ret = st->map && mprotect(st->map, st->map_len, (int)a[0]) ?
			 -errno : 0;
		break;
	case P_CHECK:
		if (!peer_in_map(st, a[0], a[1])) {
			r->err = -ERANGE;
			break;
		}
		r->v[0] = pat_check(st->map + a[0], a[1], (uint32_t)a[2],
				    a[3]);
		break;
	case P_CHECK_BYTE:
		if (!peer_in_map(st, a[0], a[1])) {
			r->err = -ERANGE;
			break;
		}
		r->v[0] = mem_check_byte(st->map + a[0], a[1], (uint8_t)a[2]);
		break;
	case P_FILL:
		if (!peer_in_map(st, a[0], a[1])) {
			r->err = -ERANGE;
			break;
		}
		pat_fill(st->map + a[0], a[1], (uint32_t)a[2], a[3]);
		break;
	case P_PROBE:
		if (!peer_in_map(st, a[0], a[1])) {
			r->err = -ERANGE;
			break;
		}
		if (probe_pages(st->map + a[0], a[1], (int)a[2],
				(uint8_t)a[3], &r->v[0], &r->v[1]))
			r->ret = -EFAULT;
		break;
	case P_TOUCH:
		if (!peer_in_map(st, a[0], 1)) {
			r->err = -ERANGE;
			break;
		}
		if (a[1])
			*(volatile uint8_t *)(st->map + a[0]) = (uint8_t)a[2];
		else
			r->v[0] = *(volatile uint8_t *)(st->map + a[0]);
		break;
	case P_FORK_TOUCH:
		if (!peer_in_map(st, a[0], 1)) {
			r->err = -ERANGE;
			break;
		}
		pid = fork();
		if (pid < 0) {
			r->err = -errno;
			break;
		}
		if (pid == 0) {
			if (a[1])
				*(volatile uint8_t *)(st->map + a[0]) = 0x5c;
			else
				(void)*(volatile uint8_t *)(st->map + a[0]);
			_exit(0);
		}
		status = 0;
		while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
			;
		r->v[0] = (uint64_t)status;
		break;
	case P_COPY_OUT:
		if (a[2] > st->scratch_len) {
			r->err = -ERANGE;
			break;
		}
		r->ret = t_read(st->ctx, st->scratch, a[2], a[0], a[1],
				&r->v[0]);
		break;
	case P_CLOSE_FD:
		if (st->efd >= 0)
			close(st->efd);
		st->efd = -1;
		break;
	default:
		r->err = -EINVAL;
	}
}

static void __attribute__((noreturn)) peer_main(int sock, uid_t uid)
{
	struct rlimit none = { 0, 0 };
	struct peer_state st = { .ctx = -1, .efd = -1 };
	struct peer_rep r = { 0 };
	struct peer_msg m;
	int got, send_fd, ret;

	/* Deaths by SIGBUS are expected: no core files. */
	setrlimit(RLIMIT_CORE, &none);
	if (uid)
		r.err = become_uid(uid);
	if (!r.err && prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0))
		r.err = -errno;
	if (!r.err) {
		st.ctx = open_as_self();
		if (st.ctx < 0)
			r.err = st.ctx;
	}
	st.scratch_len = MIB;
	st.scratch = mmap(NULL, st.scratch_len, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (!r.err && st.scratch == MAP_FAILED)
		r.err = -errno;
	if (sock_send(sock, &r, sizeof(r), -1) || r.err)
		_exit(1);

	for (;;) {
		ret = sock_recv(sock, &m, sizeof(m), &got);
		if (ret)
			_exit(ret == -EPIPE ? 0 : 1);
		memset(&r, 0, sizeof(r));
		send_fd = -1;
		peer_do(&st, &m, &r, got, &send_fd);
		if (got >= 0 && got != st.efd)
			close(got);
		if (sock_send(sock, &r, sizeof(r), send_fd))
			_exit(1);
	}
}

/* Start a peer as @uid (0: stay root): 0 or -errno. */
static int peer_start(struct peer *p, uid_t uid)
{
	struct peer_rep r;
	int sock = -1, ret;
	pid_t pid;

	p->pid = 0;
	p->sock = -1;
	pid = fork_connected(&sock);
	if (pid < 0)
		return pid;
	if (pid == 0) {
		close_other_fds(sock, -1);
		peer_main(sock, uid);
	}
	p->pid = pid;
	p->sock = sock;
	ret = sock_recv(p->sock, &r, sizeof(r), NULL);
	return ret ? ret : (int)r.err;
}

/* Wait for @p to end: its wait status, or -1. */
static int peer_wait(struct peer *p)
{
	int status = 0;
	pid_t got;

	if (p->sock >= 0)
		close(p->sock);
	p->sock = -1;
	if (p->pid <= 0)
		return -1;
	do {
		got = waitpid(p->pid, &status, 0);
	} while (got < 0 && errno == EINTR);
	p->pid = 0;
	return got < 0 ? -1 : status;
}

static void peer_kill(struct peer *p)
{
	if (p->pid > 0)
		kill(p->pid, SIGKILL);
	peer_wait(p);
}

static struct peer_rep peer_req(struct __test_metadata *_metadata,
				struct peer *p, const struct peer_msg *m,
				int fd_out, int *fd_in)
{
	struct peer_rep r;

	memset(&r, 0, sizeof(r));
	ASSERT_EQ(0, sock_send(p->sock, m, sizeof(*m), fd_out))
		TH_LOG("peer %d is gone", (int)p->pid);
	ASSERT_EQ(0, sock_recv(p->sock, &r, sizeof(r), fd_in))
		TH_LOG("peer %d did not answer op %u", (int)p->pid, m->op);
	ASSERT_EQ(0, r.err)
		TH_LOG("peer %d: op %u failed on its side: %s", (int)p->pid,
		       m->op, strerror((int)-r.err));
	return r;
}

#define PEER(p, opcode, ...) \
	peer_req(_metadata, (p), \
		 &(struct peer_msg){ .op = (opcode), .a = { __VA_ARGS__ } }, \
		 -1, NULL)

/* Hand export fd @efd to peer @p over its socket. */
#define PEER_GIVE(p, efd) \
	peer_req(_metadata, (p), &(struct peer_msg){ .op = P_SET_FD }, \
		 (efd), NULL)

#define PEER_START(p, uid) ASSERT_EQ(0, peer_start((p), (uid)))

/*
 * Ask @p to touch its mapping at @off with the default signal actions and
 * expect it to die of SIGBUS, without an answer.
 */
#define EXPECT_PEER_DIES_OF_SIGBUS(p, off, write) do { \
	struct peer_msg __m = { .op = P_TOUCH, .a = { (off), (write), 0x77 } }; \
	struct peer_rep __r = { 0 }; \
	int __st; \
	ASSERT_EQ(0, sock_send((p)->sock, &__m, sizeof(__m), -1)); \
	EXPECT_NE(0, sock_recv((p)->sock, &__r, sizeof(__r), NULL)) \
		TH_LOG("the peer survived the access (read %#x)", \
		       (unsigned int)__r.v[0]); \
	__st = peer_wait(p); \
	EXPECT_TRUE(WIFSIGNALED(__st)) \
		TH_LOG("peer status %#x: not killed by a signal", __st); \
	if (WIFSIGNALED(__st)) { \
		EXPECT_EQ(SIGBUS, WTERMSIG(__st)) \
			TH_LOG("peer killed by %s", strsignal(WTERMSIG(__st))); \
	} \
} while (0)

/* ------------------------------------------------------------------ */
/* The fixture.                                                        */

FIXTURE(buf) {
	const char *skip;
	int fd;
	size_t ps;
	struct ipcoff_info info;
	int64_t pinned0, regions0, vmpin0;
	uint8_t *scratch;	/* 4 MiB of private anonymous memory */
	size_t scratch_len;
	struct peer peer[PEERS];
};

FIXTURE_SETUP(buf)
{
	int i;

	for (i = 0; i < PEERS; i++) {
		self->peer[i].pid = 0;
		self->peer[i].sock = -1;
	}
	self->ps = page_size();
	self->fd = t_open();
	ASSERT_LE(0, self->fd);
	self->skip = buffers_missing(self->fd);
	if (self->skip)
		return;
	ASSERT_EQ(0, t_info(self->fd, &self->info));
	ASSERT_EQ(0, counter_settle(pinned_pages, &self->pinned0));
	ASSERT_EQ(0, live_regions(&self->regions0));
	ASSERT_EQ(0, vmpin_kb(0, &self->vmpin0));
	self->scratch_len = 4 * MIB;
	self->scratch = mmap(NULL, self->scratch_len, PROT_READ | PROT_WRITE,
			     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, self->scratch);
}

FIXTURE_TEARDOWN(buf)
{
	int i;

	for (i = 0; i < PEERS; i++)
		peer_kill(&self->peer[i]);
	if (self->fd >= 0)
		close(self->fd);
}

/* The module-wide counters are back where the test started. */
#define EXPECT_BASELINE() do { \
	int64_t __v = -1; \
	EXPECT_EQ(0, counter_wait(pinned_pages, self->pinned0, SETTLE_MS, \
				  &__v)) \
		TH_LOG("pinned_pages %lld, baseline %lld", (long long)__v, \
		       (long long)self->pinned0); \
	EXPECT_EQ(0, counter_wait(live_regions, self->regions0, SETTLE_MS, \
				  &__v)) \
		TH_LOG("regions %lld, baseline %lld", (long long)__v, \
		       (long long)self->regions0); \
} while (0)

/* Our own VmPin, as a counter_fn. */
static int vmpin_kb_self(int64_t *kb)
{
	return vmpin_kb(0, kb);
}

static int64_t vmpin_now(void)
{
	int64_t kb = -1;

	vmpin_kb(0, &kb);
	return kb;
}

/* ------------------------------------------------------------------ */
/* Allocation.                                                         */

TEST_F(buf, announced)
{
	struct ipcoff ipc;

	SKIP_IF_SET(self->skip);
	EXPECT_TRUE(self->info.ioctls & (1ULL << IPCOFF_NR_BUF_ALLOC));
	EXPECT_TRUE(self->info.ioctls & (1ULL << IPCOFF_NR_EXPORT));
	/* libipcoff sees it too. */
	ASSERT_EQ(0, ipcoff_open(&ipc, 0));
	EXPECT_TRUE(ipcoff_has_feature(&ipc, IPCOFF_FEAT_BUFFERS));
	ipcoff_close(&ipc);
}

TEST_F(buf, alloc_rounded_zeroed_counted)
{
	const size_t ps = self->ps;
	const uint64_t lens[] = {
		1, ps - 1, ps, ps + 1, 3 * ps + 5, 64 * ps,
	};
	enum { N = sizeof(lens) / sizeof(lens[0]) };
	uint64_t h[N], got[N], pages = 0;
	int64_t v;
	size_t i;

	SKIP_IF_SET(self->skip);
	for (i = 0; i < N; i++) {
		ASSERT_EQ(0, t_buf_alloc(self->fd, lens[i],
					 IPCOFF_REGION_WRITABLE, &h[i],
					 &got[i]))
			TH_LOG("len %llu", (unsigned long long)lens[i]);
		EXPECT_NE(0, h[i]);
		EXPECT_EQ(round_up_sz(lens[i], ps), got[i]);
		pages += got[i] / ps;
		/* Charged at once, not lazily. */
		ASSERT_EQ(0, pinned_pages(&v));
		EXPECT_EQ(self->pinned0 + (int64_t)pages, v);
		ASSERT_EQ(0, live_regions(&v));
		EXPECT_EQ(self->regions0 + (int64_t)i + 1, v);
		/* Like REGISTER: mm->pinned_vm, shown as VmPin. */
		EXPECT_EQ(self->vmpin0 + (int64_t)(pages * ps / 1024),
			  vmpin_now());
	}
	for (i = 0; i + 1 < N; i++)
		EXPECT_NE(h[i], h[i + 1]);

	/* Zeroed, every byte of the rounded length. */
	for (i = 0; i < N; i++) {
		memset(self->scratch, 0xa5, got[i] + 64);
		ASSERT_EQ(0, cp_out(self->fd, IPCOFF_ENGINE_CPU, h[i], 0,
				    self->scratch, got[i]));
		EXPECT_EQ(got[i], mem_check_byte(self->scratch, got[i], 0));
		EXPECT_EQ(64, mem_check_byte(self->scratch + got[i], 64,
					     0xa5));
		/* Nothing past the rounded length. */
		EXPECT_EQ(-ERANGE, cp_out(self->fd, IPCOFF_ENGINE_CPU, h[i],
					  got[i], self->scratch, 1));
	}

	for (i = 0; i < N; i++)
		ASSERT_EQ(0, t_unregister(self->fd, h[i]));
	EXPECT_BASELINE();
	EXPECT_EQ(0, counter_wait(vmpin_kb_self, self->vmpin0, SETTLE_MS,
				  &v))
		TH_LOG("VmPin %lld kB, baseline %lld kB", (long long)v,
		       (long long)self->vmpin0);
	EXPECT_EQ(-ENOENT, cp_out(self->fd, IPCOFF_ENGINE_CPU, h[0], 0,
				  self->scratch, 1));
}

/* Pages that held another buffer's bytes come back zeroed. */
TEST_F(buf, alloc_never_stale)
{
	const uint64_t len = 256 * self->ps;
	uint64_t h, got;
	int round;

	SKIP_IF_SET(self->skip);
	for (round = 0; round < 4; round++) {
		ASSERT_EQ(0, t_buf_alloc(self->fd, len, IPCOFF_REGION_WRITABLE,
					 &h, &got));
		ASSERT_EQ(len, got);
		ASSERT_EQ(0, cp_out(self->fd, IPCOFF_ENGINE_CPU, h, 0,
				    self->scratch, len));
		EXPECT_EQ(len, mem_check_byte(self->scratch, len, 0))
			TH_LOG("round %d: stale bytes in a new buffer", round);
		pat_fill(self->scratch, len, 300 + round, 0);
		ASSERT_EQ(0, cp_in(self->fd, IPCOFF_ENGINE_CPU, h, 0,
				   self->scratch, len));
		ASSERT_EQ(0, t_unregister(self->fd, h));
		EXPECT_BASELINE();
	}
}

/* BUF_ALLOC with a struct longer and shorter than the module's. */
static void alloc_struct_sizes(struct __test_metadata *_metadata,
			       FIXTURE_DATA(buf) *self)
{
	struct {
		struct ipcoff_buf_alloc a;
		uint64_t tail[2];
	} big;
	unsigned long cmd_big = _IOC(_IOC_READ | _IOC_WRITE, IPCOFF_IOC_MAGIC,
				     IPCOFF_NR_BUF_ALLOC, sizeof(big));
	unsigned long cmd_small = _IOC(_IOC_READ | _IOC_WRITE,
				       IPCOFF_IOC_MAGIC, IPCOFF_NR_BUF_ALLOC,
				       IPCOFF_BUF_ALLOC_SIZE_VER0 - 8);

	memset(&big, 0, sizeof(big));
	big.a.len = self->ps;
	big.tail[1] = 1;
	EXPECT_EQ(-E2BIG, t_ioctl(self->fd, cmd_big, &big));
	EXPECT_EQ(-EINVAL, t_ioctl(self->fd, cmd_small, &big));
	big.tail[1] = 0;
	ASSERT_EQ(0, t_ioctl(self->fd, cmd_big, &big));
	EXPECT_EQ(self->ps, big.a.len);
	EXPECT_EQ(0, t_unregister(self->fd, big.a.handle));
}

/* EXPORT likewise; no descriptor is left behind by a refusal. */
static void export_struct_sizes(struct __test_metadata *_metadata,
				FIXTURE_DATA(buf) *self, uint64_t h, int fds)
{
	struct {
		struct ipcoff_export e;
		uint64_t tail;
	} big;
	unsigned long cmd_big = _IOC(_IOC_READ | _IOC_WRITE, IPCOFF_IOC_MAGIC,
				     IPCOFF_NR_EXPORT, sizeof(big));
	unsigned long cmd_small = _IOC(_IOC_READ | _IOC_WRITE,
				       IPCOFF_IOC_MAGIC, IPCOFF_NR_EXPORT,
				       IPCOFF_EXPORT_SIZE_VER0 - 8);

	memset(&big, 0, sizeof(big));
	big.e.handle = h;
	big.e.access = IPCOFF_ACCESS_READ;
	big.tail = 1;
	EXPECT_EQ(-E2BIG, t_ioctl(self->fd, cmd_big, &big));
	EXPECT_EQ(-EINVAL, t_ioctl(self->fd, cmd_small, &big));
	EXPECT_EQ(fds, count_fds());
	big.tail = 0;
	ASSERT_EQ(0, t_ioctl(self->fd, cmd_big, &big));
	EXPECT_LE(0, big.e.fd);
	close(big.e.fd);
}

TEST_F(buf, alloc_errors)
{
	struct ipcoff_buf_alloc a;
	uint64_t h = 0;
	int64_t v;

	SKIP_IF_SET(self->skip);

#define ALLOC_EXPECT(err, change) do { \
	memset(&a, 0, sizeof(a)); \
	a.len = self->ps; \
	a.flags = IPCOFF_REGION_WRITABLE; \
	change; \
	EXPECT_EQ(err, t_ioctl(self->fd, IPCOFF_IOC_BUF_ALLOC, &a)) \
		TH_LOG("%s", #change); \
	if (!(err)) \
		h = a.handle; \
} while (0)

	ALLOC_EXPECT(-EINVAL, a.len = 0);
	ALLOC_EXPECT(-EINVAL, a.len = self->info.max_region_len + 1);
	ALLOC_EXPECT(-EINVAL, a.len = ~0ULL);
	ALLOC_EXPECT(-EINVAL, a.len = ~0ULL - self->ps + 2);
	ALLOC_EXPECT(-EINVAL, a.flags |= IPCOFF_REGION_SINGLE_USE);
	ALLOC_EXPECT(-EINVAL, a.flags = IPCOFF_REGION_SINGLE_USE);
	ALLOC_EXPECT(-EINVAL, a.flags |= 0x8);
	ALLOC_EXPECT(-EINVAL, a.flags |= 0x80000000u);
	ALLOC_EXPECT(-EINVAL, a.pad = 1);
	ALLOC_EXPECT(-EINVAL, a.handle = 1);
	ALLOC_EXPECT(-EINVAL, a.reserved[0] = 1);
	ALLOC_EXPECT(-EINVAL, a.reserved[1] = 1ULL << 63);
	/* As for REGISTER: notify_data only with NOTIFY. */
	ALLOC_EXPECT(-EINVAL, a.notify_data = 7);
	/* NOTIFY before RING_SETUP. */
	ALLOC_EXPECT(-ENXIO, a.flags |= IPCOFF_REGION_NOTIFY);
	ALLOC_EXPECT(-ENXIO, (a.flags |= IPCOFF_REGION_NOTIFY,
			      a.notify_data = 7));
	/* None of them allocated anything. */
	ASSERT_EQ(0, pinned_pages(&v));
	EXPECT_EQ(self->pinned0, v);
	ASSERT_EQ(0, live_regions(&v));
	EXPECT_EQ(self->regions0, v);

	/* Struct sizes: the ABI's growth rules hold for the new command. */
	alloc_struct_sizes(_metadata, self);

	/* A buffer that is not WRITABLE: never a destination. */
	ALLOC_EXPECT(0, a.flags = 0);
	EXPECT_EQ(-EACCES, cp_in(self->fd, IPCOFF_ENGINE_CPU, h, 0,
				 self->scratch, 1));
	EXPECT_EQ(0, cp_out(self->fd, IPCOFF_ENGINE_CPU, h, 0, self->scratch,
			    self->ps));
	EXPECT_EQ(0, t_unregister(self->fd, h));
	EXPECT_BASELINE();
#undef ALLOC_EXPECT
}

/* RLIMIT_MEMLOCK, for a user without CAP_IPC_LOCK, as for REGISTER. */
TEST_F(buf, alloc_memlock_limit)
{
	const size_t ps = self->ps;
	struct rlimit rl = { 16 * ps, 16 * ps };
	int status = 0, step = 0, fd, ret;
	uint64_t h1, h2, h3;
	int64_t kb;
	pid_t pid;

	SKIP_IF_SET(self->skip);
	fflush(stdout);
	fflush(stderr);
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		/* Each step that fails exits with its number. */
		if (setrlimit(RLIMIT_MEMLOCK, &rl) || become_uid(UID_A))
			_exit(1);
		fd = open_as_self();
		if (fd < 0)
			_exit(2);
		if (t_buf_alloc(fd, 17 * ps, IPCOFF_REGION_WRITABLE, &h1,
				NULL) != -ENOMEM)
			_exit(3);
		if (vmpin_kb(0, &kb) || kb != 0)
			_exit(4);
		if (t_buf_alloc(fd, 8 * ps, IPCOFF_REGION_WRITABLE, &h1, NULL))
			_exit(5);
		if (t_buf_alloc(fd, 9 * ps, 0, &h2, NULL) != -ENOMEM)
			_exit(6);
		if (t_buf_alloc(fd, 8 * ps - 1, 0, &h2, NULL))
			_exit(7);
		if (vmpin_kb(0, &kb) || kb != (int64_t)(16 * ps / 1024))
			_exit(8);
		if (t_buf_alloc(fd, 1, 0, &h3, NULL) != -ENOMEM)
			_exit(9);
		/* Export fds and mappings are not charged again. */
		if (t_export(fd, h1, IPCOFF_ACCESS_READ, 0, &ret))
			_exit(10);
		if (!map_export(ret, 8 * ps, PROT_READ, MAP_SHARED, 0))
			_exit(11);
		/* Unregistering gives the charge back (asynchronously). */
		if (t_unregister(fd, h2))
			_exit(12);
		if (counter_wait(vmpin_kb_self, (int64_t)(8 * ps / 1024),
				 SETTLE_MS, &kb))
			_exit(13);
		if (t_buf_alloc(fd, 8 * ps, 0, &h3, NULL))
			_exit(14);
		_exit(0);
	}
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	ASSERT_TRUE(WIFEXITED(status)) TH_LOG("status %#x", status);
	step = WEXITSTATUS(status);
	EXPECT_EQ(0, step) TH_LOG("step %d of the memlock child failed", step);
	EXPECT_BASELINE();
}

/* ------------------------------------------------------------------ */
/* Export and map by the owner.                                        */

TEST_F(buf, owner_map_and_copy_both_ways)
{
	const size_t ps = self->ps, len = 5 * ps;
	uint8_t *m1, *m2, *m3, *user;
	uint64_t h, got, hu;
	int e1, e2, e3, fl;

	SKIP_IF_SET(self->skip);
	ASSERT_EQ(0, t_buf_alloc(self->fd, len - 100, IPCOFF_REGION_WRITABLE,
				 &h, &got));
	ASSERT_EQ(len, got);
	ASSERT_EQ(0, t_export(self->fd, h, IPCOFF_ACCESS_READ |
			      IPCOFF_ACCESS_WRITE, IPCOFF_EXPORT_CLOEXEC, &e1));
	ASSERT_EQ(0, t_export(self->fd, h, IPCOFF_ACCESS_READ |
			      IPCOFF_ACCESS_WRITE, 0, &e2));
	ASSERT_EQ(0, t_export(self->fd, h, IPCOFF_ACCESS_READ, 0, &e3));
	EXPECT_NE(e1, e2);
	fl = fcntl(e1, F_GETFD);
	EXPECT_TRUE(fl >= 0 && (fl & FD_CLOEXEC));
	fl = fcntl(e2, F_GETFD);
	EXPECT_TRUE(fl >= 0 && !(fl & FD_CLOEXEC));

	m1 = map_export(e1, len, PROT_READ | PROT_WRITE, MAP_SHARED, 0);
	ASSERT_NE(NULL, m1) TH_LOG("mmap: %s", strerror(errno));
	EXPECT_EQ(len, mem_check_byte(m1, len, 0));

	/* Bytes written through the mapping are what a COPY out reads. */
	pat_fill(m1, len, 11, 0);
	memset(self->scratch, 0, len);
	ASSERT_EQ(0, cp_out(self->fd, IPCOFF_ENGINE_CPU, h, 0, self->scratch,
			    len));
	EXPECT_EQ(len, pat_check(self->scratch, len, 11, 0));
	memset(self->scratch, 0, len);
	ASSERT_EQ(0, cp_out(self->fd, IPCOFF_ENGINE_AUTO, h, 3, self->scratch,
			    len - 3));
	EXPECT_EQ(len - 3, pat_check(self->scratch, len - 3, 11, 3));

	/* Bytes COPY'd in are what the mapping shows, across pages. */
	pat_fill(self->scratch, 2 * ps + 123, 12, 0);
	ASSERT_EQ(0, cp_in(self->fd, IPCOFF_ENGINE_CPU, h, ps / 2,
			   self->scratch, 2 * ps + 123));
	EXPECT_EQ(2 * ps + 123, pat_check(m1 + ps / 2, 2 * ps + 123, 12, 0));
	EXPECT_EQ(ps / 2, pat_check(m1, ps / 2, 11, 0));
	EXPECT_EQ(len - (ps / 2 + 2 * ps + 123),
		  pat_check(m1 + ps / 2 + 2 * ps + 123,
			    len - (ps / 2 + 2 * ps + 123), 11,
			    ps / 2 + 2 * ps + 123));

	/* Region to region, with registered user memory on the other side. */
	user = mmap(NULL, len, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, user);
	pat_fill(user, len, 13, 0);
	ASSERT_EQ(0, t_register(self->fd, PTR(user), len,
				IPCOFF_REGION_WRITABLE, &hu));
	ASSERT_EQ(0, cp_rr(self->fd, IPCOFF_ENGINE_CPU, h, 3 * ps + 7, hu, 5,
			   1000));
	EXPECT_EQ(1000, pat_check(m1 + 3 * ps + 7, 1000, 13, 5));
	ASSERT_EQ(0, cp_rr(self->fd, IPCOFF_ENGINE_CPU, hu, 1, h, 0, ps));
	EXPECT_EQ(ps / 2, pat_check(user + 1, ps / 2, 11, 0));
	EXPECT_EQ(ps / 2, pat_check(user + 1 + ps / 2, ps / 2, 12, 0));
	EXPECT_EQ(pat_byte(13, 0), user[0]);

	/* Every mapping of the buffer is the same memory. */
	m2 = map_export(e2, 2 * ps, PROT_READ | PROT_WRITE, MAP_SHARED, ps);
	ASSERT_NE(NULL, m2) TH_LOG("mmap at offset: %s", strerror(errno));
	m3 = map_export(e3, len, PROT_READ, MAP_SHARED, 0);
	ASSERT_NE(NULL, m3) TH_LOG("read-only mmap: %s", strerror(errno));
	EXPECT_EQ(0, memcmp(m2, m1 + ps, 2 * ps));
	EXPECT_EQ(0, memcmp(m3, m1, len));
	pat_fill(m2 + 10, 100, 14, 0);
	EXPECT_EQ(100, pat_check(m1 + ps + 10, 100, 14, 0));
	EXPECT_EQ(100, pat_check(m3 + ps + 10, 100, 14, 0));
	ASSERT_EQ(0, cp_out(self->fd, IPCOFF_ENGINE_CPU, h, ps + 10,
			    self->scratch, 100));
	EXPECT_EQ(100, pat_check(self->scratch, 100, 14, 0));

	/* The mappings hold the buffer, not the descriptors. */
	close(e1);
	close(e2);
	close(e3);
	pat_fill(self->scratch, len, 15, 0);
	ASSERT_EQ(0, cp_in(self->fd, IPCOFF_ENGINE_CPU, h, 0, self->scratch,
			   len));
	EXPECT_EQ(len, pat_check(m1, len, 15, 0));
	EXPECT_EQ(len, pat_check(m3, len, 15, 0));

	/* A forked child shares the mapping both ways. */
	fflush(stdout);
	{
		pid_t pid = fork();
		int status = 0;

		ASSERT_LE(0, pid);
		if (pid == 0) {
			if (pat_check(m1, len, 15, 0) != len)
				_exit(1);
			pat_fill(m1 + 2 * ps, ps, 16, 0);
			_exit(0);
		}
		waitpid(pid, &status, 0);
		EXPECT_EQ(0, status);
	}
	EXPECT_EQ(ps, pat_check(m3 + 2 * ps, ps, 16, 0));
	ASSERT_EQ(0, cp_out(self->fd, IPCOFF_ENGINE_CPU, h, 2 * ps,
			    self->scratch, ps));
	EXPECT_EQ(ps, pat_check(self->scratch, ps, 16, 0));

	munmap(m1, len);
	munmap(m2, 2 * ps);
	munmap(m3, len);
	EXPECT_EQ(0, t_unregister(self->fd, hu));
	EXPECT_EQ(0, t_unregister(self->fd, h));
	munmap(user, len);
	EXPECT_BASELINE();
}

/* SUBMIT into a buffer, and a NOTIFY buffer, through libipcoff. */
TEST_F(buf, submit_and_notify)
{
	const size_t ps = self->ps, len = 8 * ps;
	struct ipcoff_ring ring;
	struct ipcoff_copy req;
	struct ipcoff_iovec iov;
	struct ipcoff_cqe *cqe;
	struct ipcoff ipc;
	int efd = -1, i, seen_req = 0, seen_notify = 0;
	uint64_t h, hn;
	size_t got;
	uint8_t *m;

	SKIP_IF_SET(self->skip);
	ASSERT_EQ(0, ipcoff_open(&ipc, 0));
	if (!ipcoff_has_feature(&ipc, IPCOFF_FEAT_ASYNC | IPCOFF_FEAT_NOTIFY)) {
		ipcoff_close(&ipc);
		SKIP(return, "module without IPCOFF_FEAT_ASYNC/NOTIFY");
	}
	ASSERT_EQ(0, ipcoff_buf_alloc(&ipc, len, IPCOFF_REGION_WRITABLE, 0,
				      &h, &got));
	EXPECT_EQ(len, got);
	/* NOTIFY wants a ring first. */
	EXPECT_EQ(-ENXIO, ipcoff_buf_alloc(&ipc, len, IPCOFF_REGION_NOTIFY |
					   IPCOFF_REGION_WRITABLE, 5, &hn,
					   NULL));
	ASSERT_EQ(0, ipcoff_ring_init(&ipc, 16, &ring));
	ASSERT_EQ(0, ipcoff_buf_alloc(&ipc, 100, IPCOFF_REGION_NOTIFY |
				      IPCOFF_REGION_WRITABLE,
				      0xfeed0000beefULL, &hn, &got));
	EXPECT_EQ(ps, got);

	ASSERT_EQ(0, ipcoff_export(&ipc, h, IPCOFF_ACCESS_READ, 0, &efd));
	m = map_export(efd, len, PROT_READ, MAP_SHARED, 0);
	ASSERT_NE(NULL, m) TH_LOG("mmap: %s", strerror(errno));

	pat_fill(self->scratch, len, 21, 0);
	iov.base = PTR(self->scratch);
	iov.len = len;
	memset(&req, 0, sizeof(req));
	ipcoff_ep_iovec(&req.src, &iov, 1);
	ipcoff_ep_region(&req.dst, h, 0);
	req.len = len;
	req.engine = IPCOFF_ENGINE_CPU;
	req.user_data = 0x5151;
	ASSERT_EQ(1, ipcoff_submit(&ipc, &req, 1));
	ASSERT_EQ(0, ipcoff_wait_cqe(&ipc, &ring, 30 * SEC_NS, &cqe));
	EXPECT_EQ(0x5151, cqe->user_data);
	EXPECT_EQ((int64_t)len, cqe->result);
	ipcoff_ring_advance(&ring, 1);
	EXPECT_EQ(len, pat_check(m, len, 21, 0));

	/* A copy into the NOTIFY buffer: its entry and the owner's. */
	ipcoff_ep_region(&req.src, h, 10);
	ipcoff_ep_region(&req.dst, hn, 20);
	req.len = 50;
	req.user_data = 0x5252;
	ASSERT_EQ(1, ipcoff_submit(&ipc, &req, 1));
	for (i = 0; i < 2; i++) {
		ASSERT_EQ(0, ipcoff_wait_cqe(&ipc, &ring, 30 * SEC_NS, &cqe));
		if (cqe->flags & IPCOFF_CQE_NOTIFY) {
			seen_notify++;
			EXPECT_EQ(0xfeed0000beefULL, cqe->user_data);
			EXPECT_EQ(hn, cqe->handle);
			EXPECT_EQ(20, cqe->offset);
			EXPECT_EQ(50, cqe->len);
			EXPECT_EQ(50, cqe->result);
		} else {
			seen_req++;
			EXPECT_EQ(0x5252, cqe->user_data);
			EXPECT_EQ(50, cqe->result);
		}
		ipcoff_ring_advance(&ring, 1);
	}
	EXPECT_EQ(1, seen_req);
	EXPECT_EQ(1, seen_notify);
	ASSERT_EQ(50, ipcoff_read(&ipc, self->scratch, 50, hn, 20));
	EXPECT_EQ(50, pat_check(self->scratch, 50, 21, 10));

	munmap(m, len);
	close(efd);
	ipcoff_ring_fini(&ring);
	ipcoff_close(&ipc);
	EXPECT_BASELINE();
}

/* ------------------------------------------------------------------ */
/* Peers of another uid.                                               */

TEST_F(buf, peer_gets_export_fd_over_socket)
{
	struct peer *b = &self->peer[0], *c = &self->peer[1];
	const size_t ps = self->ps, len = 4 * ps;
	struct peer_rep r;
	int e_own, e_rw, e_b = -1;
	uint64_t h;
	uint8_t *m;

	SKIP_IF_SET(self->skip);
	/* Before any mapping exists that they would inherit (fork). */
	PEER_START(b, UID_B);
	PEER_START(c, UID_C);
	ASSERT_EQ(0, t_buf_alloc(self->fd, len, IPCOFF_REGION_WRITABLE, &h,
				 NULL));
	ASSERT_EQ(0, t_export(self->fd, h, IPCOFF_ACCESS_READ |
			      IPCOFF_ACCESS_WRITE, 0, &e_own));
	m = map_export(e_own, len, PROT_READ | PROT_WRITE, MAP_SHARED, 0);
	ASSERT_NE(NULL, m);
	pat_fill(m, len, 31, 0);

	/*
	 * The owner's export, over SCM_RIGHTS, to a uid with no grant: the
	 * fd carries the access.
	 */
	ASSERT_EQ(0, t_export(self->fd, h, IPCOFF_ACCESS_READ |
			      IPCOFF_ACCESS_WRITE, IPCOFF_EXPORT_CLOEXEC,
			      &e_rw));
	PEER_GIVE(b, e_rw);
	close(e_rw);
	r = PEER(b, P_MAP, 0, len, PROT_READ | PROT_WRITE, MAP_SHARED);
	ASSERT_EQ(0, r.ret) TH_LOG("peer mmap: %s", strerror((int)-r.ret));
	EXPECT_EQ(len, PEER(b, P_CHECK, 0, len, 31, 0).v[0]);
	/* The peer's bytes reach the owner's mapping and COPY out... */
	PEER(b, P_FILL, ps - 50, ps + 100, 32, 0);
	EXPECT_EQ(ps + 100, pat_check(m + ps - 50, ps + 100, 32, 0));
	ASSERT_EQ(0, cp_out(self->fd, IPCOFF_ENGINE_CPU, h, ps - 50,
			    self->scratch, ps + 100));
	EXPECT_EQ(ps + 100, pat_check(self->scratch, ps + 100, 32, 0));
	EXPECT_EQ(ps - 50, pat_check(m, ps - 50, 31, 0));
	/* ... and the owner's COPY in reaches the peer's mapping. */
	pat_fill(self->scratch, 3 * ps, 33, 0);
	ASSERT_EQ(0, cp_in(self->fd, IPCOFF_ENGINE_CPU, h, ps, self->scratch,
			   3 * ps));
	EXPECT_EQ(3 * ps, PEER(b, P_CHECK, ps, 3 * ps, 33, 0).v[0]);
	/* The fd is no grant: copies by the peer's own context fail. */
	EXPECT_EQ(-EACCES, PEER(b, P_COPY_OUT, h, 0, 100).ret);
	PEER(b, P_UNMAP);
	PEER(b, P_CLOSE_FD);

	/* A grant lets the peer export it itself, never beyond the grant. */
	EXPECT_EQ(-EACCES, PEER(b, P_EXPORT, h, IPCOFF_ACCESS_READ, 0, 0).ret);
	ASSERT_EQ(0, t_grant(self->fd, h, UID_B, IPCOFF_ACCESS_READ));
	EXPECT_EQ(-EACCES, PEER(b, P_EXPORT, h, IPCOFF_ACCESS_READ |
				IPCOFF_ACCESS_WRITE, 0, 0).ret);
	ASSERT_EQ(0, PEER(b, P_EXPORT, h, IPCOFF_ACCESS_READ, 0, 0).ret);
	r = PEER(b, P_MAP, 0, len, PROT_READ | PROT_WRITE, MAP_SHARED);
	EXPECT_EQ(-EACCES, r.ret);
	r = PEER(b, P_MAP, 0, len, PROT_READ, MAP_SHARED);
	ASSERT_EQ(0, r.ret) TH_LOG("peer read-only mmap: %s",
				   strerror((int)-r.ret));
	EXPECT_EQ(ps - 50, PEER(b, P_CHECK, 0, ps - 50, 31, 0).v[0]);
	EXPECT_EQ(50, PEER(b, P_CHECK, ps - 50, 50, 32, 0).v[0]);
	EXPECT_EQ(3 * ps, PEER(b, P_CHECK, ps, 3 * ps, 33, 0).v[0]);
	EXPECT_EQ(0, PEER(b, P_COPY_OUT, h, 0, 100).ret);
	PEER(b, P_UNMAP);

	ASSERT_EQ(0, t_grant(self->fd, h, UID_B, IPCOFF_ACCESS_READ |
			     IPCOFF_ACCESS_WRITE));
	/* The peer's export, handed on to a third uid with no grant. */
	peer_req(_metadata, b, &(struct peer_msg){ .op = P_EXPORT,
		 .a = { h, IPCOFF_ACCESS_READ | IPCOFF_ACCESS_WRITE, 0, 1 } },
		 -1, &e_b);
	ASSERT_LE(0, e_b);
	PEER_GIVE(c, e_b);
	close(e_b);
	r = PEER(b, P_MAP, 0, len, PROT_READ | PROT_WRITE, MAP_SHARED);
	ASSERT_EQ(0, r.ret);
	r = PEER(c, P_MAP, 2 * ps, 2 * ps, PROT_READ | PROT_WRITE, MAP_SHARED);
	ASSERT_EQ(0, r.ret) TH_LOG("third party mmap: %s",
				   strerror((int)-r.ret));
	EXPECT_EQ(2 * ps, PEER(c, P_CHECK, 0, 2 * ps, 33, ps).v[0]);
	PEER(c, P_FILL, 100, 200, 34, 0);
	EXPECT_EQ(200, PEER(b, P_CHECK, 2 * ps + 100, 200, 34, 0).v[0]);
	EXPECT_EQ(200, pat_check(m + 2 * ps + 100, 200, 34, 0));
	EXPECT_EQ(-EACCES, PEER(c, P_COPY_OUT, h, 0, 100).ret);

	PEER(b, P_UNMAP);
	PEER(c, P_UNMAP);
	munmap(m, len);
	close(e_own);
	EXPECT_EQ(0, t_unregister(self->fd, h));
	/* Their export fds hold the buffer too: the pages wait for them. */
	PEER(b, P_CLOSE_FD);
	PEER(c, P_CLOSE_FD);
	EXPECT_BASELINE();
}

/* ------------------------------------------------------------------ */
/* Read-only exports.                                                  */

TEST_F(buf, read_only_export)
{
	const size_t ps = self->ps, len = 3 * ps;
	uint64_t h, hro, bus, fine;
	int ero, erw, e;
	uint8_t *m, *mw;

	SKIP_IF_SET(self->skip);
	ASSERT_EQ(0, t_buf_alloc(self->fd, len, IPCOFF_REGION_WRITABLE, &h,
				 NULL));
	pat_fill(self->scratch, len, 41, 0);
	ASSERT_EQ(0, cp_in(self->fd, IPCOFF_ENGINE_CPU, h, 0, self->scratch,
			   len));
	ASSERT_EQ(0, t_export(self->fd, h, IPCOFF_ACCESS_READ, 0, &ero));

	EXPECT_EQ(EACCES, map_errno(ero, len, PROT_READ | PROT_WRITE,
				    MAP_SHARED, 0));
	EXPECT_EQ(EACCES, map_errno(ero, ps, PROT_WRITE, MAP_SHARED, ps));
	m = map_export(ero, len, PROT_READ, MAP_SHARED, 0);
	ASSERT_NE(NULL, m) TH_LOG("read-only MAP_SHARED mmap of a read-only "
				  "export: %s", strerror(errno));
	EXPECT_EQ(len, pat_check(m, len, 41, 0));
	/* No upgrade. */
	EXPECT_EQ(-1, mprotect(m, len, PROT_READ | PROT_WRITE));
	EXPECT_EQ(EACCES, errno);
	EXPECT_EQ(-1, mprotect(m + ps, ps, PROT_READ | PROT_WRITE));
	/* A store faults (SIGSEGV: the mapping is not writable). */
	EXPECT_EQ(SIGSEGV, probe_byte(m + 5, 1, 0xee, NULL));
	EXPECT_EQ(len, pat_check(m, len, 41, 0));
	/* It still follows the buffer. */
	pat_fill(self->scratch, 100, 42, 0);
	ASSERT_EQ(0, cp_in(self->fd, IPCOFF_ENGINE_CPU, h, ps + 1,
			   self->scratch, 100));
	EXPECT_EQ(100, pat_check(m + ps + 1, 100, 42, 0));
	munmap(m, len);

	/* A read-write export mapped read-only may be upgraded. */
	ASSERT_EQ(0, t_export(self->fd, h, IPCOFF_ACCESS_READ |
			      IPCOFF_ACCESS_WRITE, 0, &erw));
	mw = map_export(erw, len, PROT_READ, MAP_SHARED, 0);
	ASSERT_NE(NULL, mw);
	EXPECT_EQ(0, probe_pages(mw, len, 0, 0, &bus, &fine));
	EXPECT_EQ(len / ps, fine);
	EXPECT_EQ(0, mprotect(mw, len, PROT_READ | PROT_WRITE))
		TH_LOG("mprotect: %s", strerror(errno));
	EXPECT_EQ(0, probe_byte(mw + 7, 1, 0xee, NULL));
	ASSERT_EQ(0, cp_out(self->fd, IPCOFF_ENGINE_CPU, h, 7, self->scratch,
			    1));
	EXPECT_EQ(0xee, self->scratch[0]);
	munmap(mw, len);

	/* A buffer that is not WRITABLE exports read-only only. */
	ASSERT_EQ(0, t_buf_alloc(self->fd, ps, 0, &hro, NULL));
	EXPECT_EQ(-EACCES, t_export(self->fd, hro, IPCOFF_ACCESS_READ |
				    IPCOFF_ACCESS_WRITE, 0, &e));
	ASSERT_EQ(0, t_export(self->fd, hro, IPCOFF_ACCESS_READ, 0, &e));
	EXPECT_EQ(EACCES, map_errno(e, ps, PROT_READ | PROT_WRITE, MAP_SHARED,
				    0));
	m = map_export(e, ps, PROT_READ, MAP_SHARED, 0);
	ASSERT_NE(NULL, m);
	EXPECT_EQ(ps, mem_check_byte(m, ps, 0));
	munmap(m, ps);
	close(e);

	close(ero);
	close(erw);
	EXPECT_EQ(0, t_unregister(self->fd, h));
	EXPECT_EQ(0, t_unregister(self->fd, hro));
	EXPECT_BASELINE();
}

/* ------------------------------------------------------------------ */
/* Revocation and unregistration with live mappings.                   */

/*
 * B exports with its grant and maps; C maps B's export fd; both touched
 * every page. The owner revokes B's grant: every later access by either
 * gets SIGBUS, also in a child that inherited B's mapping, and they die
 * of it. Nothing is read, stale or not.
 */
TEST_F(buf, revoke_with_live_peer_mappings)
{
	struct peer *b = &self->peer[0], *c = &self->peer[1];
	struct peer *b2 = &self->peer[2];
	const size_t ps = self->ps, npg = 4, len = npg * ps;
	struct peer_rep r;
	int e_own, e_b = -1;
	uint64_t h;
	uint8_t *m;

	SKIP_IF_SET(self->skip);
	/* Before any mapping exists that they would inherit (fork). */
	PEER_START(b, UID_B);
	PEER_START(c, UID_C);
	PEER_START(b2, UID_B);
	ASSERT_EQ(0, t_buf_alloc(self->fd, len, IPCOFF_REGION_WRITABLE, &h,
				 NULL));
	pat_fill(self->scratch, len, 51, 0);
	ASSERT_EQ(0, cp_in(self->fd, IPCOFF_ENGINE_CPU, h, 0, self->scratch,
			   len));
	ASSERT_EQ(0, t_export(self->fd, h, IPCOFF_ACCESS_READ |
			      IPCOFF_ACCESS_WRITE, 0, &e_own));
	m = map_export(e_own, len, PROT_READ | PROT_WRITE, MAP_SHARED, 0);
	ASSERT_NE(NULL, m);
	ASSERT_EQ(0, t_grant(self->fd, h, UID_B, IPCOFF_ACCESS_READ |
			     IPCOFF_ACCESS_WRITE));

	peer_req(_metadata, b, &(struct peer_msg){ .op = P_EXPORT,
		 .a = { h, IPCOFF_ACCESS_READ | IPCOFF_ACCESS_WRITE, 0, 1 } },
		 -1, &e_b);
	ASSERT_LE(0, e_b);
	PEER_GIVE(c, e_b);
	close(e_b);
	ASSERT_EQ(0, PEER(b, P_MAP, 0, len, PROT_READ | PROT_WRITE,
			  MAP_SHARED).ret);
	ASSERT_EQ(0, PEER(c, P_MAP, 0, len, PROT_READ, MAP_SHARED).ret);
	/* Every page is in their page tables now. */
	r = PEER(b, P_PROBE, 0, len, 0, 0);
	EXPECT_EQ(0, r.ret);
	EXPECT_EQ(npg, r.v[1]);
	r = PEER(c, P_PROBE, 0, len, 0, 0);
	EXPECT_EQ(npg, r.v[1]);
	EXPECT_EQ(len, PEER(b, P_CHECK, 0, len, 51, 0).v[0]);
	EXPECT_EQ(len, PEER(c, P_CHECK, 0, len, 51, 0).v[0]);
	PEER(b, P_FILL, ps, 10, 52, 0);
	EXPECT_EQ(10, pat_check(m + ps, 10, 52, 0));

	/* Revoke. */
	ASSERT_EQ(0, t_grant(self->fd, h, UID_B, 0));

	/* Every page, read or written, by either: SIGBUS. */
	r = PEER(b, P_PROBE, 0, len, 0, 0);
	EXPECT_EQ(0, r.ret) TH_LOG("a fault other than SIGBUS");
	EXPECT_EQ(npg, r.v[0]) TH_LOG("%llu pages still readable by B",
				      (unsigned long long)r.v[1]);
	r = PEER(b, P_PROBE, 0, len, 1, 0xee);
	EXPECT_EQ(npg, r.v[0]) TH_LOG("%llu pages still writable by B",
				      (unsigned long long)r.v[1]);
	r = PEER(c, P_PROBE, 0, len, 0, 0);
	EXPECT_EQ(0, r.ret);
	EXPECT_EQ(npg, r.v[0]) TH_LOG("%llu pages still readable by C",
				      (unsigned long long)r.v[1]);
	/* A child that inherited B's mapping. */
	r = PEER(b, P_FORK_TOUCH, 2 * ps + 1, 0);
	EXPECT_TRUE(WIFSIGNALED((int)r.v[0]) &&
		    WTERMSIG((int)r.v[0]) == SIGBUS)
		TH_LOG("B's child: status %#x", (int)r.v[0]);
	/* No write landed; the owner's own mapping is not affected. */
	EXPECT_EQ(ps, pat_check(m, ps, 51, 0));
	EXPECT_EQ(10, pat_check(m + ps, 10, 52, 0));
	EXPECT_EQ(len - ps - 10, pat_check(m + ps + 10, len - ps - 10, 51,
					   ps + 10));
	/* Nor can B map or export it again. */
	EXPECT_EQ(-EACCES, PEER(b2, P_EXPORT, h, IPCOFF_ACCESS_READ, 0,
				0).ret);
	EXPECT_EQ(-EACCES, PEER(b2, P_COPY_OUT, h, 0, 10).ret);

	/* With the default action they die of it. */
	EXPECT_PEER_DIES_OF_SIGBUS(b, 3 * ps + 5, 0);
	EXPECT_PEER_DIES_OF_SIGBUS(c, 0, 0);

	munmap(m, len);
	close(e_own);
	EXPECT_EQ(0, t_unregister(self->fd, h));
	peer_kill(b2);
	EXPECT_BASELINE();
}

/* A grant narrowed from READ|WRITE to READ: no write lands any more. */
TEST_F(buf, grant_narrowed_stops_writes)
{
	struct peer *b = &self->peer[0];
	const size_t ps = self->ps, npg = 2, len = npg * ps;
	struct peer_rep r;
	uint64_t h;

	SKIP_IF_SET(self->skip);
	ASSERT_EQ(0, t_buf_alloc(self->fd, len, IPCOFF_REGION_WRITABLE, &h,
				 NULL));
	ASSERT_EQ(0, t_grant(self->fd, h, UID_B, IPCOFF_ACCESS_READ |
			     IPCOFF_ACCESS_WRITE));
	PEER_START(b, UID_B);
	ASSERT_EQ(0, PEER(b, P_EXPORT, h, IPCOFF_ACCESS_READ |
			  IPCOFF_ACCESS_WRITE, 0, 0).ret);
	ASSERT_EQ(0, PEER(b, P_MAP, 0, len, PROT_READ | PROT_WRITE,
			  MAP_SHARED).ret);
	r = PEER(b, P_PROBE, 0, len, 1, 0x11);
	EXPECT_EQ(npg, r.v[1]);
	ASSERT_EQ(0, cp_out(self->fd, IPCOFF_ENGINE_CPU, h, 0, self->scratch,
			    len));
	EXPECT_EQ(0x11, self->scratch[0]);

	ASSERT_EQ(0, t_grant(self->fd, h, UID_B, IPCOFF_ACCESS_READ));
	r = PEER(b, P_PROBE, 0, len, 1, 0x22);
	EXPECT_EQ(0, r.ret);
	EXPECT_EQ(npg, r.v[0]) TH_LOG("%llu pages still writable",
				      (unsigned long long)r.v[1]);
	ASSERT_EQ(0, cp_out(self->fd, IPCOFF_ENGINE_CPU, h, 0, self->scratch,
			    len));
	/* One byte per page was written before: those, and no later one. */
	EXPECT_EQ(0x11, self->scratch[0]);
	EXPECT_EQ(0x11, self->scratch[ps + 97]);
	EXPECT_EQ(NULL, memchr(self->scratch, 0x22, len))
		TH_LOG("bytes written after the grant was narrowed landed");
	/* What the grant still allows works. */
	PEER(b, P_UNMAP);
	ASSERT_EQ(0, PEER(b, P_EXPORT, h, IPCOFF_ACCESS_READ, 0, 0).ret);
	ASSERT_EQ(0, PEER(b, P_MAP, 0, len, PROT_READ, MAP_SHARED).ret);
	r = PEER(b, P_PROBE, 0, len, 0, 0);
	EXPECT_EQ(npg, r.v[1]);
	PEER(b, P_UNMAP);
	EXPECT_EQ(0, t_unregister(self->fd, h));
	peer_kill(b);
	EXPECT_BASELINE();
}

/*
 * The buffer goes while it is mapped: by UNREGISTER or by the owner's
 * context closing. Owner and peer mappings give SIGBUS, the export fds
 * no longer map, and the pages come back once the last mapping and fd
 * are gone.
 */
static void gone_with_live_mappings(struct __test_metadata *_metadata,
				    FIXTURE_DATA(buf) *self, int close_ctx)
{
	struct peer *b = &self->peer[0];
	const size_t ps = self->ps, npg = 6, len = npg * ps;
	struct peer_rep r;
	uint64_t h, bus, fine;
	int e_own, e_peer, e;
	int64_t v;
	uint8_t *m;

	/* Before any mapping exists that it would inherit (fork). */
	PEER_START(b, UID_B);
	ASSERT_EQ(0, t_buf_alloc(self->fd, len, IPCOFF_REGION_WRITABLE, &h,
				 NULL));
	ASSERT_EQ(0, t_export(self->fd, h, IPCOFF_ACCESS_READ |
			      IPCOFF_ACCESS_WRITE, 0, &e_own));
	ASSERT_EQ(0, t_export(self->fd, h, IPCOFF_ACCESS_READ, 0, &e_peer));
	m = map_export(e_own, len, PROT_READ | PROT_WRITE, MAP_SHARED, 0);
	ASSERT_NE(NULL, m);
	pat_fill(m, len, 61, 0);
	PEER_GIVE(b, e_peer);
	close(e_peer);
	ASSERT_EQ(0, PEER(b, P_MAP, 0, len, PROT_READ, MAP_SHARED).ret);
	EXPECT_EQ(len, PEER(b, P_CHECK, 0, len, 61, 0).v[0]);
	ASSERT_EQ(0, pinned_pages(&v));
	EXPECT_EQ(self->pinned0 + (int64_t)npg, v);

	if (close_ctx) {
		close(self->fd);
		self->fd = -1;
	} else {
		ASSERT_EQ(0, t_unregister(self->fd, h));
	}

	/* The owner's mapping and the peer's: SIGBUS, every page. */
	EXPECT_EQ(0, probe_pages(m, len, 0, 0, &bus, &fine));
	EXPECT_EQ(npg, bus) TH_LOG("%llu pages still readable by the owner",
				   (unsigned long long)fine);
	EXPECT_EQ(0, probe_pages(m, len, 1, 0, &bus, &fine));
	EXPECT_EQ(npg, bus);
	r = PEER(b, P_PROBE, 0, len, 0, 0);
	EXPECT_EQ(0, r.ret);
	EXPECT_EQ(npg, r.v[0]) TH_LOG("%llu pages still readable by the peer",
				      (unsigned long long)r.v[1]);
	/* The export fd maps nothing any more, and no new one is made. */
	EXPECT_EQ(ENOENT, map_errno(e_own, ps, PROT_READ, MAP_SHARED, 0));
	if (self->fd >= 0) {
		EXPECT_EQ(-ENOENT, t_export(self->fd, h, IPCOFF_ACCESS_READ, 0,
					    &e));
		EXPECT_EQ(-ENOENT, cp_out(self->fd, IPCOFF_ENGINE_CPU, h, 0,
					  self->scratch, 1));
	}
	EXPECT_PEER_DIES_OF_SIGBUS(b, 4 * ps, 0);

	munmap(m, len);
	close(e_own);
	EXPECT_BASELINE();
}

TEST_F(buf, unregister_with_live_mappings)
{
	SKIP_IF_SET(self->skip);
	gone_with_live_mappings(_metadata, self, 0);
}

TEST_F(buf, close_owner_with_live_mappings)
{
	SKIP_IF_SET(self->skip);
	gone_with_live_mappings(_metadata, self, 1);
}

/*
 * The last to let go is a peer's mapping, after the owner, its context
 * and every export fd are gone: it still gives SIGBUS, and the pages come
 * back when it goes, with the peer still alive.
 */
TEST_F(buf, peer_mapping_outlives_owner)
{
	struct peer *b = &self->peer[0];
	const size_t ps = self->ps, npg = 3, len = npg * ps;
	struct peer_rep r;
	uint64_t h;
	int e;

	SKIP_IF_SET(self->skip);
	ASSERT_EQ(0, t_buf_alloc(self->fd, len, IPCOFF_REGION_WRITABLE, &h,
				 NULL));
	ASSERT_EQ(0, t_export(self->fd, h, IPCOFF_ACCESS_READ, 0, &e));
	PEER_START(b, UID_B);
	PEER_GIVE(b, e);
	close(e);
	ASSERT_EQ(0, PEER(b, P_MAP, 0, len, PROT_READ, MAP_SHARED).ret);
	r = PEER(b, P_PROBE, 0, len, 0, 0);
	EXPECT_EQ(npg, r.v[1]);
	PEER(b, P_CLOSE_FD);
	close(self->fd);
	self->fd = -1;

	r = PEER(b, P_PROBE, 0, len, 0, 0);
	EXPECT_EQ(0, r.ret);
	EXPECT_EQ(npg, r.v[0]);
	PEER(b, P_UNMAP);
	EXPECT_BASELINE();
	/* The peer lives on, unharmed. */
	EXPECT_EQ(-ENOENT, PEER(b, P_COPY_OUT, h, 0, 1).ret);
}

/* ------------------------------------------------------------------ */
/* Refusals.                                                           */

TEST_F(buf, export_refusals)
{
	struct peer *b = &self->peer[0], *same = &self->peer[1];
	const size_t ps = self->ps;
	struct ipcoff_export e;
	uint64_t h, hro, hu, hsu, hgone;
	int fd2, fds, efd;
	uint8_t *user;

	SKIP_IF_SET(self->skip);
	ASSERT_EQ(0, t_buf_alloc(self->fd, 2 * ps, IPCOFF_REGION_WRITABLE, &h,
				 NULL));
	ASSERT_EQ(0, t_buf_alloc(self->fd, ps, 0, &hro, NULL));
	ASSERT_EQ(0, t_buf_alloc(self->fd, ps, 0, &hgone, NULL));
	ASSERT_EQ(0, t_unregister(self->fd, hgone));
	user = mmap(NULL, 2 * ps, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, user);
	pat_fill(user, 2 * ps, 71, 0);
	ASSERT_EQ(0, t_register(self->fd, PTR(user), ps,
				IPCOFF_REGION_WRITABLE, &hu));
	ASSERT_EQ(0, t_register(self->fd, PTR(user + ps), ps,
				IPCOFF_REGION_SINGLE_USE, &hsu));
	fds = count_fds();

#define EXPORT_EXPECT(err, change) do { \
	memset(&e, 0, sizeof(e)); \
	e.handle = h; \
	e.access = IPCOFF_ACCESS_READ; \
	e.fd = -1; \
	change; \
	EXPECT_EQ(err, t_ioctl(self->fd, IPCOFF_IOC_EXPORT, &e)) \
		TH_LOG("%s", #change); \
	if (!(err) && e.fd >= 0) \
		close(e.fd); \
} while (0)

	EXPORT_EXPECT(0, (void)0);
	EXPORT_EXPECT(0, e.flags = IPCOFF_EXPORT_CLOEXEC);
	EXPORT_EXPECT(-EINVAL, e.flags = 0x2);
	EXPORT_EXPECT(-EINVAL, e.flags = IPCOFF_EXPORT_CLOEXEC | 0x80000000u);
	EXPORT_EXPECT(-EINVAL, e.pad = 1);
	EXPORT_EXPECT(-EINVAL, e.reserved[0] = 1);
	EXPORT_EXPECT(-EINVAL, e.access = 0);
	EXPORT_EXPECT(-EINVAL, e.access = IPCOFF_ACCESS_WRITE);
	EXPORT_EXPECT(-EINVAL, e.access = 0x4);
	EXPORT_EXPECT(-EINVAL, e.access = IPCOFF_ACCESS_READ | 0x4);
	EXPORT_EXPECT(-ENOENT, e.handle = 0);
	EXPORT_EXPECT(-ENOENT, e.handle = h ^ 0x0100000000000010ULL);
	EXPORT_EXPECT(-ENOENT, e.handle = hgone);
	/* More access than the caller has. */
	EXPORT_EXPECT(-EACCES, (e.handle = hro,
				e.access = IPCOFF_ACCESS_READ |
					   IPCOFF_ACCESS_WRITE));
	/* Registered user memory is not a buffer: pass a memfd instead. */
	EXPORT_EXPECT(-EOPNOTSUPP, e.handle = hu);
	EXPORT_EXPECT(-EOPNOTSUPP, (e.handle = hu,
				    e.access = IPCOFF_ACCESS_READ |
					       IPCOFF_ACCESS_WRITE));
	EXPORT_EXPECT(-EOPNOTSUPP, e.handle = hsu);
	/* No descriptor was left behind by any of them. */
	EXPECT_EQ(fds, count_fds());

	export_struct_sizes(_metadata, self, h, fds);

	/* Other contexts: same uid by default, other uids by grant only. */
	fd2 = t_open();
	ASSERT_LE(0, fd2);
	ASSERT_EQ(0, t_export(fd2, h, IPCOFF_ACCESS_READ | IPCOFF_ACCESS_WRITE,
			      0, &efd));
	close(efd);
	EXPECT_EQ(-EOPNOTSUPP, t_export(fd2, hu, IPCOFF_ACCESS_READ, 0, &efd));
	/*
	 * A refused EXPORT has no side effect: the single-use region is
	 * still there for this context's first copy.
	 */
	EXPECT_EQ(-EOPNOTSUPP, t_export(fd2, hsu, IPCOFF_ACCESS_READ, 0,
					&efd));
	EXPECT_EQ(0, t_read(fd2, self->scratch, ps, hsu, 0, NULL))
		TH_LOG("the refused EXPORT used up the single-use region");
	EXPECT_EQ(ps, pat_check(self->scratch, ps, 71, ps));
	close(fd2);

	PEER_START(b, UID_B);
	PEER_START(same, 0);
	EXPECT_EQ(-EACCES, PEER(b, P_EXPORT, h, IPCOFF_ACCESS_READ, 0, 0).ret);
	EXPECT_EQ(-EACCES, PEER(b, P_EXPORT, hu, IPCOFF_ACCESS_READ, 0, 0).ret);
	ASSERT_EQ(0, t_grant(self->fd, h, UID_B, IPCOFF_ACCESS_WRITE));
	/* WRITE without READ in the grant: no export at all. */
	EXPECT_EQ(-EACCES, PEER(b, P_EXPORT, h, IPCOFF_ACCESS_READ |
				IPCOFF_ACCESS_WRITE, 0, 0).ret);
	ASSERT_EQ(0, t_grant(self->fd, h, UID_B, IPCOFF_ACCESS_READ));
	EXPECT_EQ(-EACCES, PEER(b, P_EXPORT, h, IPCOFF_ACCESS_READ |
				IPCOFF_ACCESS_WRITE, 0, 0).ret);
	EXPECT_EQ(0, PEER(b, P_EXPORT, h, IPCOFF_ACCESS_READ, 0, 0).ret);
	ASSERT_EQ(0, t_grant(self->fd, hu, UID_B, IPCOFF_ACCESS_READ));
	EXPECT_EQ(-EOPNOTSUPP, PEER(b, P_EXPORT, hu, IPCOFF_ACCESS_READ, 0,
				    0).ret);
	EXPECT_EQ(0, PEER(same, P_EXPORT, h, IPCOFF_ACCESS_READ |
			  IPCOFF_ACCESS_WRITE, 0, 0).ret);

	EXPECT_EQ(0, t_unregister(self->fd, h));
	EXPECT_EQ(0, t_unregister(self->fd, hro));
	EXPECT_EQ(0, t_unregister(self->fd, hu));
	EXPECT_EQ(0, t_unregister(self->fd, hsu));
	peer_kill(b);
	peer_kill(same);
	munmap(user, 2 * ps);
	EXPECT_BASELINE();
#undef EXPORT_EXPECT
}

TEST_F(buf, mmap_refusals)
{
	const size_t ps = self->ps, npg = 4, len = npg * ps;
	uint64_t h, bus, fine;
	uint8_t *m, *g;
	int e, ero;

	SKIP_IF_SET(self->skip);
	ASSERT_EQ(0, t_buf_alloc(self->fd, len, IPCOFF_REGION_WRITABLE, &h,
				 NULL));
	pat_fill(self->scratch, len, 81, 0);
	ASSERT_EQ(0, cp_in(self->fd, IPCOFF_ENGINE_CPU, h, 0, self->scratch,
			   len));
	ASSERT_EQ(0, t_export(self->fd, h, IPCOFF_ACCESS_READ |
			      IPCOFF_ACCESS_WRITE, 0, &e));
	ASSERT_EQ(0, t_export(self->fd, h, IPCOFF_ACCESS_READ, 0, &ero));

	/* Private mappings. */
	EXPECT_EQ(EINVAL, map_errno(e, len, PROT_READ, MAP_PRIVATE, 0));
	EXPECT_EQ(EINVAL, map_errno(e, len, PROT_READ | PROT_WRITE,
				    MAP_PRIVATE, 0));
	EXPECT_EQ(EINVAL, map_errno(ero, len, PROT_READ, MAP_PRIVATE, 0));
	/* Past the buffer. */
	EXPECT_EQ(EINVAL, map_errno(e, len + ps, PROT_READ, MAP_SHARED, 0));
	EXPECT_EQ(EINVAL, map_errno(e, 2 * ps, PROT_READ, MAP_SHARED,
				    (off_t)(3 * ps)));
	EXPECT_EQ(EINVAL, map_errno(e, ps, PROT_READ, MAP_SHARED,
				    (off_t)len));
	EXPECT_EQ(EINVAL, map_errno(e, ps, PROT_READ, MAP_SHARED,
				    (off_t)(len + 7 * ps)));
	EXPECT_EQ(EINVAL, map_errno(ero, 2 * ps, PROT_READ, MAP_SHARED,
				    (off_t)(3 * ps)));
	/* Within it, at any page offset. */
	m = map_export(e, ps, PROT_READ, MAP_SHARED, (off_t)(3 * ps));
	ASSERT_NE(NULL, m);
	EXPECT_EQ(ps, pat_check(m, ps, 81, 3 * ps));
	munmap(m, ps);
	m = map_export(e, len - 100, PROT_READ, MAP_SHARED, 0);
	ASSERT_NE(NULL, m);
	EXPECT_EQ(len, pat_check(m, len, 81, 0));

	/* Grown past the buffer by mremap: refused, or SIGBUS out there. */
	g = mremap(m, len, len + 2 * ps, MREMAP_MAYMOVE);
	if (g == MAP_FAILED) {
		TH_LOG("mremap beyond the buffer: %s", strerror(errno));
		munmap(m, len);
	} else {
		EXPECT_EQ(0, probe_pages(g, len, 0, 0, &bus, &fine));
		EXPECT_EQ(npg, fine);
		EXPECT_EQ(0, probe_pages(g + len, 2 * ps, 0, 0, &bus, &fine));
		EXPECT_EQ(2, bus) TH_LOG("%llu pages past the buffer were "
					 "readable", (unsigned long long)fine);
		munmap(g, len + 2 * ps);
	}
	close(e);
	close(ero);
	EXPECT_EQ(0, t_unregister(self->fd, h));
	EXPECT_BASELINE();
}

/* ------------------------------------------------------------------ */
/* An export fd reaches its buffer, and nothing else.                  */

TEST_F(buf, export_fd_reaches_nothing_else)
{
	struct peer *c = &self->peer[0];
	const size_t ps = self->ps, len = 2 * ps;
	struct ipcoff_iovec iov = { .base = PTR(self->scratch), .len = 16 };
	union {
		struct ipcoff_info info;
		struct ipcoff_region_reg reg;
		struct ipcoff_region_unreg unreg;
		struct ipcoff_grant grant;
		struct ipcoff_copy copy;
		struct ipcoff_stats stats;
		struct ipcoff_ring_setup ring;
		struct ipcoff_submit submit;
		struct ipcoff_wait wait;
		struct ipcoff_eventfd eventfd;
		struct ipcoff_buf_alloc buf_alloc;
		struct ipcoff_export export;
	} u;
	uint64_t ha, hb, hu;
	uint8_t *m, *user;
	int e, i;

	SKIP_IF_SET(self->skip);
	/* Before any mapping exists that they would inherit (fork). */
	PEER_START(c, UID_C);
	ASSERT_EQ(0, t_buf_alloc(self->fd, len, IPCOFF_REGION_WRITABLE, &ha,
				 NULL));
	ASSERT_EQ(0, t_buf_alloc(self->fd, 4 * len, IPCOFF_REGION_WRITABLE,
				 &hb, NULL));
	pat_fill(self->scratch, 4 * len, 91, 0);
	ASSERT_EQ(0, cp_in(self->fd, IPCOFF_ENGINE_CPU, hb, 0, self->scratch,
			   4 * len));
	pat_fill(self->scratch, len, 92, 0);
	ASSERT_EQ(0, cp_in(self->fd, IPCOFF_ENGINE_CPU, ha, 0, self->scratch,
			   len));
	user = mmap(NULL, len, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, user);
	pat_fill(user, len, 93, 0);
	ASSERT_EQ(0, t_register(self->fd, PTR(user), len,
				IPCOFF_REGION_WRITABLE, &hu));
	ASSERT_EQ(0, t_export(self->fd, ha, IPCOFF_ACCESS_READ |
			      IPCOFF_ACCESS_WRITE, 0, &e));

	/* No ioctl of /dev/ipcoff works on it, whatever it names. */
	for (i = 0; i < 12; i++) {
		unsigned long cmd = 0;

		memset(&u, 0, sizeof(u));
		switch (i) {
		case 0:
			cmd = IPCOFF_IOC_GET_INFO;
			break;
		case 1:
			cmd = IPCOFF_IOC_REGISTER;
			u.reg.addr = PTR(user);
			u.reg.len = len;
			break;
		case 2:
			cmd = IPCOFF_IOC_UNREGISTER;
			u.unreg.handle = hb;
			break;
		case 3:
			cmd = IPCOFF_IOC_GRANT;
			u.grant.handle = hb;
			u.grant.uid = UID_C;
			u.grant.access = IPCOFF_ACCESS_READ;
			break;
		case 4:
			cmd = IPCOFF_IOC_COPY;
			ep_region(&u.copy.src, hb, 0);
			ep_iov(&u.copy.dst, &iov, 1);
			u.copy.len = 16;
			break;
		case 5:
			cmd = IPCOFF_IOC_STATS;
			break;
		case 6:
			cmd = IPCOFF_IOC_RING_SETUP;
			u.ring.entries = 16;
			break;
		case 7:
			cmd = IPCOFF_IOC_SUBMIT;
			break;
		case 8:
			cmd = IPCOFF_IOC_WAIT;
			break;
		case 9:
			cmd = IPCOFF_IOC_SET_EVENTFD;
			u.eventfd.fd = -1;
			break;
		case 10:
			cmd = IPCOFF_IOC_BUF_ALLOC;
			u.buf_alloc.len = ps;
			break;
		case 11:
			cmd = IPCOFF_IOC_EXPORT;
			u.export.handle = hb;
			u.export.access = IPCOFF_ACCESS_READ;
			break;
		}
		EXPECT_EQ(-ENOTTY, t_ioctl(e, cmd, &u))
			TH_LOG("ioctl nr %u on an export fd",
			       (unsigned int)_IOC_NR(cmd));
	}
	/* The regions are as they were: nothing reached them. */
	ASSERT_EQ(0, cp_out(self->fd, IPCOFF_ENGINE_CPU, hb, 0, self->scratch,
			    4 * len));
	EXPECT_EQ(4 * len, pat_check(self->scratch, 4 * len, 91, 0));

	/* Its mappings cover its own buffer only. */
	EXPECT_EQ(EINVAL, map_errno(e, len + ps, PROT_READ, MAP_SHARED, 0));
	EXPECT_EQ(EINVAL, map_errno(e, ps, PROT_READ, MAP_SHARED,
				    (off_t)len));
	m = map_export(e, len, PROT_READ | PROT_WRITE, MAP_SHARED, 0);
	ASSERT_NE(NULL, m);
	EXPECT_EQ(len, pat_check(m, len, 92, 0));
	memset(m, 0xcc, len);
	ASSERT_EQ(0, cp_out(self->fd, IPCOFF_ENGINE_CPU, hb, 0, self->scratch,
			    4 * len));
	EXPECT_EQ(4 * len, pat_check(self->scratch, 4 * len, 91, 0));
	ASSERT_EQ(0, cp_out(self->fd, IPCOFF_ENGINE_CPU, hu, 0, self->scratch,
			    len));
	EXPECT_EQ(len, pat_check(self->scratch, len, 93, 0));
	EXPECT_EQ(len, pat_check(user, len, 93, 0));

	/* A peer holding it has no right to any region by handle. */
	PEER_GIVE(c, e);
	ASSERT_EQ(0, PEER(c, P_MAP, 0, len, PROT_READ, MAP_SHARED).ret);
	EXPECT_EQ(len, PEER(c, P_CHECK_BYTE, 0, len, 0xcc).v[0]);
	EXPECT_EQ(-EACCES, PEER(c, P_COPY_OUT, ha, 0, 16).ret);
	EXPECT_EQ(-EACCES, PEER(c, P_COPY_OUT, hb, 0, 16).ret);
	EXPECT_EQ(-EACCES, PEER(c, P_COPY_OUT, hu, 0, 16).ret);
	EXPECT_EQ(-EACCES, PEER(c, P_EXPORT, hb, IPCOFF_ACCESS_READ, 0,
				0).ret);
	peer_kill(c);

	munmap(m, len);
	close(e);
	EXPECT_EQ(0, t_unregister(self->fd, ha));
	EXPECT_EQ(0, t_unregister(self->fd, hb));
	EXPECT_EQ(0, t_unregister(self->fd, hu));
	munmap(user, len);
	EXPECT_BASELINE();
}

/* ------------------------------------------------------------------ */
/* What does not work on such a mapping, as documented.                */

TEST_F(buf, mapping_is_not_ordinary_memory)
{
	const size_t ps = self->ps, len = 2 * ps;
	struct timespec ts = { 0, 1000000 };
	uint64_t h, hr;
	uint32_t *word;
	uint8_t *m;
	long ret;
	int e;

	SKIP_IF_SET(self->skip);
	ASSERT_EQ(0, t_buf_alloc(self->fd, len, IPCOFF_REGION_WRITABLE, &h,
				 NULL));
	ASSERT_EQ(0, t_export(self->fd, h, IPCOFF_ACCESS_READ |
			      IPCOFF_ACCESS_WRITE, 0, &e));
	m = map_export(e, len, PROT_READ | PROT_WRITE, MAP_SHARED, 0);
	ASSERT_NE(NULL, m);
	word = (uint32_t *)(void *)(m + 64);
	*word = 5;

	/* No shared futex there: the pages are in no page cache. */
	ret = syscall(SYS_futex, word, FUTEX_WAIT, 5, &ts, NULL, 0);
	EXPECT_EQ(-1, ret);
	EXPECT_EQ(EFAULT, errno) TH_LOG("shared FUTEX_WAIT: %s",
					strerror(errno));
	ret = syscall(SYS_futex, word, FUTEX_WAKE, 1, NULL, NULL, 0);
	EXPECT_EQ(-1, ret);
	EXPECT_EQ(EFAULT, errno) TH_LOG("shared FUTEX_WAKE: %s",
					strerror(errno));

	/* Nor is the mapping registrable memory: a device-like file. */
	EXPECT_EQ(-EOPNOTSUPP, t_register(self->fd, PTR(m), len, 0, &hr));
	EXPECT_EQ(-EOPNOTSUPP, t_register(self->fd, PTR(m), len,
					  IPCOFF_REGION_WRITABLE, &hr));

	munmap(m, len);
	close(e);
	EXPECT_EQ(0, t_unregister(self->fd, h));
	EXPECT_BASELINE();
}

TEST_HARNESS_MAIN
