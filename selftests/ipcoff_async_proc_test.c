// SPDX-License-Identifier: GPL-2.0
/*
 * Asynchronous copies across processes, and what happens to them when
 * their context goes away:
 *
 *  - a consumer process sleeping in epoll_wait() on its own fd reaps
 *    "data arrived" (NOTIFY) entries for its region while the producer
 *    submits into it and never relays anything;
 *  - a process parked in FUTEX_WAIT on a word in MAP_SHARED memory is
 *    woken by libipcoff, from the submitter's notifier thread or from the
 *    destination owner's own reap;
 *  - kill -9 of a submitter with hundreds of copies in flight on slow test
 *    DMA channels, and close/exit with cpu copies queued: the destination
 *    owner gets exactly one entry per accepted copy (the bytes, or
 *    -ECANCELED for a copy that never started) and every pinned page comes
 *    back;
 *  - an fd handed to a child (fork, SCM_RIGHTS) and closed in the parent:
 *    the context lives on and the child reaps through its own mapping;
 *  - 64 threads submitting on one fd, one reaper, every request matched;
 *  - a region unregistered while a copy into (or from) it is in flight.
 *
 * Children never use the harness: they send a struct rep through a pipe
 * and the test asserts on it. Each child dies with the test (PDEATHSIG).
 */
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <sys/epoll.h>

#include <ipcoff.h>

#include "agent.h"
#include "dmaprov.h"
#include "../libipcoff/tests/kid.h"

#define KIB		(1UL << 10)
#define MIB		(1UL << 20)
#define SEC_NS		(1000LL * 1000 * 1000)
#define WAIT_NS		(30 * SEC_NS)

/* x86_64 syscall numbers, as /proc/PID/syscall shows them. */
#define NR_FUTEX	202
#define NR_EPOLL_WAIT	232
#define NR_EPOLL_PWAIT	281
#define NR_EPOLL_PWAIT2	441
#define NR_FUTEX_WAITV	449

/* ------------------------------------------------------------------ */
/* Children and what they report.                                      */

/* What a child found: the first failure (line and text), and values. */
struct rep {
	int32_t line;		/* 0: nothing failed */
	int32_t pad;
	char what[200];
	int64_t v[8];
};

/* Children of the running test, killed and reaped by its teardown. */
static pid_t kids[8];

static pid_t kid_fork(void)
{
	pid_t pid;
	int i;

	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
		return 0;
	}
	for (i = 0; pid > 0 && i < (int)ARRAY_SIZE(kids); i++) {
		if (!kids[i]) {
			kids[i] = pid;
			break;
		}
	}
	return pid;
}

/* Exit code of @pid, 128 + signal, or -ETIMEDOUT (then it is killed). */
static int kid_wait(pid_t pid, unsigned int ms)
{
	uint64_t end = now_ms() + ms;
	int status = 0, i;
	pid_t p;

	for (;;) {
		p = waitpid(pid, &status, WNOHANG);
		if (p == pid || (p < 0 && errno != EINTR))
			break;
		if (now_ms() >= end) {
			kill(pid, SIGKILL);
			waitpid(pid, &status, 0);
			p = 0;
			break;
		}
		msleep(10);
	}
	for (i = 0; i < (int)ARRAY_SIZE(kids); i++)
		if (kids[i] == pid)
			kids[i] = 0;
	if (p != pid)
		return p < 0 ? -ECHILD : -ETIMEDOUT;
	return WIFEXITED(status) ? WEXITSTATUS(status) :
				   128 + WTERMSIG(status);
}

static void kids_kill(void)
{
	int i;

	for (i = 0; i < (int)ARRAY_SIZE(kids); i++) {
		if (kids[i] > 0) {
			kill(kids[i], SIGKILL);
			waitpid(kids[i], NULL, 0);
		}
		kids[i] = 0;
	}
}

static int write_full(int fd, const void *buf, size_t len)
{
	const uint8_t *p = buf;
	ssize_t n;

	while (len) {
		n = write(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? -errno : -EIO;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* 0, -EPIPE (writer gone), -ETIMEDOUT or -errno. */
static int read_full(int fd, void *buf, size_t len, unsigned int ms)
{
	uint64_t end = now_ms() + ms;
	uint8_t *p = buf;
	ssize_t n;

	while (len) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		int64_t left = (int64_t)(end - now_ms());
		int ret;

		if (left <= 0)
			return -ETIMEDOUT;
		ret = poll(&pfd, 1, (int)left);
		if (ret < 0 && errno == EINTR)
			continue;
		if (ret < 0)
			return -errno;
		if (!ret)
			return -ETIMEDOUT;
		n = read(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (!n)
			return -EPIPE;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* A child's last words: its report, then exit. */
static void __attribute__((noreturn)) rep_exit(int fd, struct rep *r)
{
	write_full(fd, r, sizeof(*r));
	_exit(r->line ? 1 : 0);
}

#define EXPECT_REP_OK(r) \
	EXPECT_EQ(0, (r).line) TH_LOG("child, line %d: %s", (r).line, (r).what)

/* ------------------------------------------------------------------ */
/* Where another process sleeps.                                       */

/* 1 if @pid sleeps in syscall @nr, 0 if not, -errno if we cannot tell. */
static int in_syscall(pid_t pid, long nr)
{
	char path[64], buf[256];
	int ret;

	snprintf(path, sizeof(path), "/proc/%d/syscall", (int)pid);
	ret = read_text(path, buf, sizeof(buf));
	if (ret < 0)
		return ret;
	if (!strncmp(buf, "running", 7))
		return 0;
	return strtol(buf, NULL, 10) == nr;
}

/*
 * Wait until @pid sleeps in one of the syscalls @nrs (up to 10 s), so a
 * test knows the wake it is about to cause finds a sleeper. Returns 0, or
 * -ETIMEDOUT; without /proc/PID/syscall, gives it 500 ms and returns 0.
 */
static int wait_parked(pid_t pid, const long *nrs, int n)
{
	uint64_t end = now_ms() + 10000;
	int i, ret;

	do {
		for (i = 0; i < n; i++) {
			ret = in_syscall(pid, nrs[i]);
			if (ret == 1)
				return 0;
			if (ret < 0 && ret != -EACCES) {
				msleep(500);
				return 0;
			}
		}
		msleep(5);
	} while (now_ms() < end);
	return -ETIMEDOUT;
}

/* ------------------------------------------------------------------ */
/* Requests and entries.                                               */

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

/* Waits up to @ns for one entry, copies it to @out and consumes it. */
static int reap_one(struct ipcoff *ipc, struct ipcoff_ring *ring, int64_t ns,
		    struct ipcoff_cqe *out)
{
	struct ipcoff_cqe *cqe;
	int ret = ipcoff_wait_cqe(ipc, ring, ns, &cqe);

	if (ret)
		return ret;
	*out = *cqe;
	ipcoff_ring_advance(ring, 1);
	return 0;
}

/* Entries one context got, kept for checking. */
struct cqe_log {
	struct ipcoff_cqe *e;
	unsigned int n, max;
};

static int log_init(struct cqe_log *l, unsigned int max)
{
	l->e = calloc(max, sizeof(*l->e));
	l->n = 0;
	l->max = max;
	return l->e ? 0 : -ENOMEM;
}

/* Moves every ready entry into @l; the count moved, or -ENOSPC. */
static int log_drain(struct cqe_log *l, struct ipcoff_ring *ring)
{
	struct ipcoff_cqe *cqe;
	int n = 0;

	while ((cqe = ipcoff_ring_peek(ring))) {
		if (l->n == l->max)
			return -ENOSPC;
		l->e[l->n++] = *cqe;
		ipcoff_ring_advance(ring, 1);
		n++;
	}
	return n;
}

/* Waits until @l holds @want entries (@ns for each). */
static int log_fill(struct cqe_log *l, struct ipcoff *ipc,
		    struct ipcoff_ring *ring, unsigned int want, int64_t ns)
{
	int ret;

	while (l->n < want) {
		if (l->n == l->max)
			return -ENOSPC;
		ret = reap_one(ipc, ring, ns, &l->e[l->n]);
		if (ret)
			return ret;
		l->n++;
	}
	return 0;
}

/*
 * Submits all @n requests. Refused ones are retried: EAGAIN (the own
 * ring is full) after reaping own entries into @l, EBUSY (a NOTIFY
 * destination's owner has no room) after a short sleep. *@busy counts
 * the EBUSY refusals. Returns 0 or the first other error.
 */
static int submit_all(struct ipcoff *ipc, struct ipcoff_ring *ring,
		      struct ipcoff_copy *reqs, unsigned int n,
		      struct cqe_log *l, unsigned int *busy)
{
	uint64_t end = now_ms() + 60000;
	unsigned int done = 0;
	int ret, err;

	while (done < n) {
		err = 0;
		ret = ipcoff_submit_ex(ipc, reqs + done, n - done, &err);
		if (ret > 0)
			done += (unsigned int)ret;
		else if (ret < 0 && !err)
			err = ret;
		if (done == n)
			break;
		if (err != -EAGAIN && err != -EBUSY)
			return err ? err : -EPROTO;
		if (now_ms() > end)
			return -ETIMEDOUT;
		if (err == -EBUSY) {
			if (busy)
				(*busy)++;
			msleep(2);
		}
		ret = log_drain(l, ring);
		if (ret < 0)
			return ret;
		if (!ret && err == -EAGAIN) {
			ret = log_fill(l, ipc, ring, l->n + 1, WAIT_NS);
			if (ret)
				return ret;
		}
	}
	return 0;
}

static uint8_t *map_anon(size_t len, int shared)
{
	uint8_t *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
			  (shared ? MAP_SHARED : MAP_PRIVATE) | MAP_ANONYMOUS,
			  -1, 0);

	return p == MAP_FAILED ? NULL : p;
}

/*
 * 4 KiB pages, faulted in from the last one down: ascending frames land
 * at descending addresses, so no two neighbours are physically contiguous
 * and a dma copy takes one descriptor per page (slow DMA stays slow).
 */
static void fault_backwards(uint8_t *buf, size_t len)
{
	size_t off;

	madvise(buf, len, MADV_NOHUGEPAGE);
	for (off = len; off >= page_size(); off -= page_size())
		buf[off - 1] = 0;
}

/* Why this module cannot run these tests, or NULL. */
static const char *async_missing(const struct ipcoff *ipc)
{
	if (!ipcoff_has_feature(ipc, IPCOFF_FEAT_ASYNC))
		return "module without IPCOFF_FEAT_ASYNC";
	if (!ipcoff_has_feature(ipc, IPCOFF_FEAT_NOTIFY))
		return "module without IPCOFF_FEAT_NOTIFY";
	return NULL;
}

/* A struct ipcoff for an fd this process got from elsewhere. */
static int ipc_from_fd(struct ipcoff *ipc, int fd)
{
	struct ipcoff_info info;
	int ret;

	memset(ipc, 0, sizeof(*ipc));
	ipc->fd = fd;
	ret = ipcoff_probe(ipc, &info, sizeof(info));
	if (ret)
		return ret;
	ipc->abi_version = info.abi_version;
	ipc->features = info.features;
	ipc->engines = info.engines;
	ipc->module_version = info.module_version;
	return 0;
}

/* The regions a test hands over with an fd. */
struct handles {
	uint64_t hs, hd;
};

/* In a forked child: let go of the parent's context (fd and ring mapping). */
static void drop_parent(struct ipcoff *ipc, struct ipcoff_ring *ring)
{
	if (ring && ring->map)
		munmap(ring->map, ring->map_len);
	if (ipc->fd >= 0)
		close(ipc->fd);
}

#define EXPECT_BACK_TO(fn, want) do { \
	int64_t __v = 0; \
	EXPECT_EQ(0, counter_wait(fn, (want), SETTLE_MS, &__v)) \
		TH_LOG(#fn " %" PRId64 " after %d ms, want %" PRId64, __v, \
		       SETTLE_MS, (int64_t)(want)); \
} while (0)

/* Pages a page-aligned buffer of @len bytes pins. */
static int64_t pages_of(size_t len)
{
	return (int64_t)((len + page_size() - 1) / page_size());
}

/* ------------------------------------------------------------------ */
/* 1. An epoll-driven consumer in another process.                     */

#define CONS_LEN	(8 * MIB)
#define CONS_SEED	71
#define CONS_SOFF	5	/* source offset - destination offset */
#define CONS_DATA	0xc0ffee0000000001ULL
#define CONS_N		48
#define CONS_CHUNK	65536
#define CONS_RING	8	/* the consumer's ring: smaller than the batch */

FIXTURE(consumer) {
	const char *skip;
	bool dma;
	struct ipcoff ipc;
	struct ipcoff_ring ring;
	bool has_ring;
	uint8_t *src;
	uint64_t hs;
	int64_t pinned0;
};

FIXTURE_VARIANT(consumer) {
	uint32_t engine;
};

FIXTURE_VARIANT_ADD(consumer, cpu) {
	.engine = IPCOFF_ENGINE_CPU,
};

FIXTURE_VARIANT_ADD(consumer, dma) {
	.engine = IPCOFF_ENGINE_DMA,
};

FIXTURE_SETUP(consumer)
{
	self->ipc.fd = -1;
	if (variant->engine == IPCOFF_ENGINE_DMA) {
		if (access(PROV_KO, R_OK)) {
			self->skip = "no test DMA provider in this guest";
			return;
		}
		/* idxd-like: entries arrive out of order. */
		ASSERT_EQ(2, prov_start("personality=idxd channels=2"));
		self->dma = true;
	}
	ASSERT_EQ(0, counter_settle(pinned_pages, &self->pinned0));
	ASSERT_EQ(0, ipcoff_open(&self->ipc, 0));
	self->skip = async_missing(&self->ipc);
	if (self->skip)
		return;
	ASSERT_EQ(0, ipcoff_ring_init(&self->ipc, 256, &self->ring));
	self->has_ring = true;
	self->src = map_anon(CONS_LEN + CONS_SOFF, 0);
	ASSERT_NE(NULL, self->src);
	pat_fill(self->src, CONS_LEN + CONS_SOFF, CONS_SEED, 0);
	ASSERT_EQ(0, ipcoff_register(&self->ipc, self->src,
				     CONS_LEN + CONS_SOFF, 0, &self->hs));
}

FIXTURE_TEARDOWN(consumer)
{
	kids_kill();
	if (self->has_ring)
		ipcoff_ring_fini(&self->ring);
	ipcoff_close(&self->ipc);
	if (self->dma && prov_stop())
		TH_LOG("cannot unload the provider: %s", strerror(errno));
}

struct cons_copy {
	uint64_t off, len;
	uint32_t chunk;		/* 0: one entry */
};

/* The copies of the test: odd sizes, and one Async-Pipe copy last. */
static void cons_plan(struct cons_copy *plan)
{
	static const uint64_t sizes[] = {
		1, 100, 4096, 4097, 65536, 200000, 12345, 262144,
	};
	uint64_t at = 3;
	int k;

	for (k = 0; k < CONS_N; k++) {
		plan[k].off = at;
		plan[k].len = k == CONS_N - 1 ? 300000 :
			      sizes[k % ARRAY_SIZE(sizes)];
		plan[k].chunk = k == CONS_N - 1 ? CONS_CHUNK : 0;
		at += plan[k].len + 61;
	}
}

static unsigned int cons_entries(const struct cons_copy *plan)
{
	unsigned int k, n = 0;

	for (k = 0; k < CONS_N; k++)
		n += plan[k].chunk ? (plan[k].len + plan[k].chunk - 1) /
				     plan[k].chunk : 1;
	return n;
}

/*
 * The consumer: its own context and ring, its own memory registered
 * WRITABLE|NOTIFY; the handle goes to the producer, and from then on it
 * learns everything from entries on its fd, sleeping in epoll_wait().
 */
static void __attribute__((noreturn))
consumer_main(int hpipe, int rpipe, uint32_t engine,
	      const struct cons_copy *plan)
{
	unsigned int want = cons_entries(plan), got = 0;
	struct rep r = { 0 };
	struct ipcoff_ring ring;
	struct epoll_event ev = { .events = EPOLLIN };
	struct ipcoff ipc;
	uint8_t *dst, *cover;
	uint64_t h = 0, end;
	int ret, epfd, k;

	ret = ipcoff_open(&ipc, 0);
	if (!ret)
		ret = ipcoff_ring_init(&ipc, CONS_RING, &ring);
	if (ret) {
		FAIL(&r, "open/ring_init: %s", strerror(-ret));
		rep_exit(rpipe, &r);
	}
	dst = map_anon(CONS_LEN, 0);
	cover = calloc(1, CONS_LEN);
	if (!dst || !cover) {
		FAIL(&r, "no memory");
		rep_exit(rpipe, &r);
	}
	memset(dst, 0xa5, CONS_LEN);
	ret = ipcoff_register_notify(&ipc, dst, CONS_LEN,
				     IPCOFF_REGION_WRITABLE, CONS_DATA, &h);
	if (ret) {
		FAIL(&r, "register_notify: %s", strerror(-ret));
		rep_exit(rpipe, &r);
	}
	epfd = epoll_create1(EPOLL_CLOEXEC);
	if (epfd < 0 || epoll_ctl(epfd, EPOLL_CTL_ADD, ipc.fd, &ev)) {
		FAIL(&r, "epoll: %s", strerror(errno));
		rep_exit(rpipe, &r);
	}
	/* The one message to the producer. */
	if (write_full(hpipe, &h, sizeof(h))) {
		FAIL(&r, "handle pipe");
		rep_exit(rpipe, &r);
	}

	end = now_ms() + 60000;
	while (got < want && now_ms() < end && !r.line) {
		struct ipcoff_cqe *c;

		ret = epoll_wait(epfd, &ev, 1, 10000);
		if (ret < 0 && errno == EINTR)
			continue;
		if (ret < 0) {
			FAIL(&r, "epoll_wait: %s", strerror(errno));
			break;
		}
		if (!ret)
			continue;
		r.v[1]++;	/* wake-ups */
		if (!ipcoff_ring_ready(&ring) && !(*ring.kflags &
						   IPCOFF_RING_OVERFLOW))
			r.v[3]++;	/* EPOLLIN with nothing to reap */
		while ((c = ipcoff_ring_peek(&ring)) && !r.line) {
			const struct cons_copy *p = NULL;

			for (k = 0; k < CONS_N; k++)
				if (c->offset >= plan[k].off &&
				    c->offset < plan[k].off + plan[k].len)
					p = &plan[k];
			if (c->flags != IPCOFF_CQE_NOTIFY ||
			    c->user_data != CONS_DATA || c->handle != h)
				FAIL(&r, "entry %u: flags %#x user_data %#llx handle %#llx",
				     got, c->flags,
				     (unsigned long long)c->user_data,
				     (unsigned long long)c->handle);
			else if (!p || !c->len ||
				 c->offset + c->len > p->off + p->len ||
				 (p->chunk && ((c->offset - p->off) % p->chunk ||
					       (c->len != p->chunk &&
						c->offset + c->len !=
						p->off + p->len))) ||
				 (!p->chunk && (c->offset != p->off ||
						c->len != p->len)))
				FAIL(&r, "entry %u: offset %llu len %llu matches no copy",
				     got, (unsigned long long)c->offset,
				     (unsigned long long)c->len);
			else if (c->result != (int64_t)c->len)
				FAIL(&r, "entry %u at %llu: result %lld, len %llu",
				     got, (unsigned long long)c->offset,
				     (long long)c->result,
				     (unsigned long long)c->len);
			else if (c->engine != engine)
				FAIL(&r, "entry %u: engine %u, want %u", got,
				     c->engine, engine);
			else if (mem_check_byte(cover + c->offset, c->len, 0) !=
				 c->len)
				FAIL(&r, "entry %u: bytes at %llu announced twice",
				     got, (unsigned long long)c->offset);
			else if (pat_check(dst + c->offset, c->len, CONS_SEED,
					   c->offset + CONS_SOFF) != c->len)
				FAIL(&r, "entry %u: wrong bytes at %llu + %zu",
				     got, (unsigned long long)c->offset,
				     pat_check(dst + c->offset, c->len,
					       CONS_SEED,
					       c->offset + CONS_SOFF));
			if (!r.line)
				memset(cover + c->offset, 1, c->len);
			r.v[2] += (int64_t)c->len;
			got++;
			ipcoff_ring_advance(&ring, 1);
		}
	}
	r.v[0] = got;
	if (!r.line && got < want)
		FAIL(&r, "%u of %u entries in 60 s", got, want);
	/* Nothing more comes; nothing outside the copies changed. */
	if (!r.line && epoll_wait(epfd, &ev, 1, 300) != 0 &&
	    ipcoff_ring_ready(&ring))
		FAIL(&r, "an entry more than the %u copies made", want);
	for (k = 0; k < CONS_N && !r.line; k++) {
		uint64_t gap = k + 1 < CONS_N ? plan[k + 1].off :
						CONS_LEN;

		gap -= plan[k].off + plan[k].len;
		if (mem_check_byte(cover + plan[k].off, plan[k].len, 1) !=
		    plan[k].len)
			FAIL(&r, "copy %d not fully announced", k);
		else if (mem_check_byte(dst + plan[k].off + plan[k].len, gap,
					0xa5) != gap)
			FAIL(&r, "bytes after copy %d changed", k);
	}
	if (!r.line && mem_check_byte(dst, plan[0].off, 0xa5) != plan[0].off)
		FAIL(&r, "bytes before the first copy changed");
	rep_exit(rpipe, &r);
}

TEST_F_TIMEOUT(consumer, epoll_notify_entries, 180)
{
	static const long epoll_nrs[] = {
		NR_EPOLL_WAIT, NR_EPOLL_PWAIT, NR_EPOLL_PWAIT2,
	};
	struct cons_copy plan[CONS_N];
	struct ipcoff_copy reqs[CONS_N];
	uint64_t got_len[CONS_N] = { 0 };
	unsigned int k, busy = 0, own;
	int hp[2], rp[2];
	struct cqe_log l;
	struct rep r;
	uint64_t h;
	pid_t pid;

	SKIP_IF_SET(self->skip);
	cons_plan(plan);
	ASSERT_LE(plan[CONS_N - 1].off + plan[CONS_N - 1].len, CONS_LEN);
	ASSERT_EQ(0, pipe2(hp, O_CLOEXEC));
	ASSERT_EQ(0, pipe2(rp, O_CLOEXEC));
	pid = kid_fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		drop_parent(&self->ipc, &self->ring);
		consumer_main(hp[1], rp[1], variant->engine, plan);
	}
	close(hp[1]);
	close(rp[1]);
	ASSERT_EQ(0, read_full(hp[0], &h, sizeof(h), 20000))
		TH_LOG("no handle from the consumer");
	/* It is asleep before the first byte moves. */
	EXPECT_EQ(0, wait_parked(pid, epoll_nrs, ARRAY_SIZE(epoll_nrs)))
		TH_LOG("the consumer never slept in epoll_wait");

	for (k = 0; k < CONS_N; k++) {
		rr(&reqs[k], h, plan[k].off, self->hs,
		   plan[k].off + CONS_SOFF, plan[k].len, variant->engine,
		   100 + k);
		if (plan[k].chunk) {
			reqs[k].flags = IPCOFF_COPY_CHUNKED;
			reqs[k].chunk_size = plan[k].chunk;
		}
	}
	own = cons_entries(plan);
	ASSERT_EQ(0, log_init(&l, own + 1));
	/*
	 * The consumer's ring has 8 places, and as many more announcements
	 * may wait in its overflow list: past that the producer gets EBUSY
	 * and tries again once the consumer has reaped.
	 */
	ASSERT_EQ(0, submit_all(&self->ipc, &self->ring, reqs, CONS_N, &l,
				&busy));
	ASSERT_EQ(0, log_fill(&l, &self->ipc, &self->ring, own, WAIT_NS));
	/* The producer's own entries: one per request or chunk. */
	for (k = 0; k < l.n; k++) {
		uint64_t i = l.e[k].user_data - 100;

		ASSERT_LT(i, CONS_N);
		EXPECT_EQ((int64_t)l.e[k].len, l.e[k].result);
		EXPECT_EQ(plan[i].chunk ? IPCOFF_CQE_CHUNK : 0, l.e[k].flags);
		got_len[i] += l.e[k].len;
	}
	for (k = 0; k < CONS_N; k++)
		EXPECT_EQ(plan[k].len, got_len[k]) TH_LOG("request %u", k);
	TH_LOG("%u entries; submit refused %u times with EBUSY", own, busy);

	ASSERT_EQ(0, read_full(rp[0], &r, sizeof(r), 90000))
		TH_LOG("no report from the consumer");
	EXPECT_REP_OK(r);
	EXPECT_EQ(own, r.v[0]);
	EXPECT_LE(1, r.v[1]);
	EXPECT_EQ(0, r.v[3]) TH_LOG("EPOLLIN with nothing to reap");
	TH_LOG("consumer: %lld entries, %lld bytes, %lld wake-ups",
	       (long long)r.v[0], (long long)r.v[2], (long long)r.v[1]);
	EXPECT_EQ(0, kid_wait(pid, 10000));
	/* The consumer's region went with it; ours stays. */
	EXPECT_BACK_TO(pinned_pages,
		       self->pinned0 + pages_of(CONS_LEN + CONS_SOFF));
	free(l.e);
	close(hp[0]);
	close(rp[0]);
}

/* ------------------------------------------------------------------ */
/* 2. FUTEX_WAIT in one process, woken through libipcoff.              */

#define FX_LEN		(2 * MIB)
#define FX_SEED		81
#define FX_DATA		0x5eed

FIXTURE(futex) {
	const char *skip;
	struct ipcoff ipc;
	struct ipcoff_ring ring;
	bool has_ring;
	uint8_t *src, *dst;
	uint32_t *word;
	uint64_t hs;
};

FIXTURE_VARIANT(futex) {
	int owner_reaps;	/* 0: the submitter's notifier thread wakes */
};

FIXTURE_VARIANT_ADD(futex, notifier_thread) {
	.owner_reaps = 0,
};

FIXTURE_VARIANT_ADD(futex, destination_owner_reap) {
	.owner_reaps = 1,
};

FIXTURE_SETUP(futex)
{
	self->ipc.fd = -1;
	ASSERT_EQ(0, ipcoff_open(&self->ipc, 0));
	self->skip = async_missing(&self->ipc);
	if (self->skip)
		return;
	ASSERT_EQ(0, ipcoff_ring_init(&self->ipc, 64, &self->ring));
	self->has_ring = true;
	/* What the sleeper sees: the word and the destination, shared. */
	self->word = (uint32_t *)map_anon(page_size(), 1);
	self->dst = map_anon(FX_LEN, 1);
	self->src = map_anon(FX_LEN, 0);
	ASSERT_NE(NULL, self->word);
	ASSERT_NE(NULL, self->dst);
	ASSERT_NE(NULL, self->src);
	pat_fill(self->src, FX_LEN, FX_SEED, 0);
	ASSERT_EQ(0, ipcoff_register(&self->ipc, self->src, FX_LEN, 0,
				     &self->hs));
}

FIXTURE_TEARDOWN(futex)
{
	kids_kill();
	if (self->has_ring)
		ipcoff_ring_fini(&self->ring);
	ipcoff_close(&self->ipc);
}

/*
 * The sleeper: parks in ipcoff_futex_wait() on the shared word until it
 * changes, then checks that the bytes are all there. v0: waits that ended
 * in a wake (0), v1: the word at the end.
 */
static void __attribute__((noreturn))
sleeper_main(int rpipe, uint32_t *word, const uint8_t *dst)
{
	uint32_t seen = __atomic_load_n(word, __ATOMIC_ACQUIRE);
	uint64_t end = now_ms() + 30000;
	struct rep r = { 0 };
	size_t at;
	int ret;

	while (__atomic_load_n(word, __ATOMIC_ACQUIRE) == seen &&
	       now_ms() < end) {
		ret = ipcoff_futex_wait(word, seen, 30 * SEC_NS);
		if (!ret)
			r.v[0]++;
		else if (ret != -EAGAIN && ret != -EINTR) {
			FAIL(&r, "ipcoff_futex_wait: %s", strerror(-ret));
			break;
		}
	}
	r.v[1] = __atomic_load_n(word, __ATOMIC_ACQUIRE);
	if (!r.line && r.v[1] == seen)
		FAIL(&r, "no wake in 30 s (word still %u)", seen);
	at = pat_check(dst, FX_LEN, FX_SEED, 0);
	if (!r.line && at != FX_LEN)
		FAIL(&r, "woken, but byte %zu of %lu has not arrived", at,
		     (unsigned long)FX_LEN);
	rep_exit(rpipe, &r);
}

/*
 * The destination owner: a NOTIFY region over the shared destination; its
 * own reap wakes the futex word. v0: entries.
 */
static void __attribute__((noreturn))
owner_main(int hpipe, int rpipe, uint32_t *word, uint8_t *dst)
{
	struct rep r = { 0 };
	struct ipcoff_ring ring;
	struct ipcoff_cqe cqe;
	struct ipcoff ipc;
	uint64_t h = 0;
	int ret;

	ret = ipcoff_open(&ipc, 0);
	if (!ret)
		ret = ipcoff_ring_init(&ipc, 16, &ring);
	if (!ret)
		ret = ipcoff_register_notify(&ipc, dst, FX_LEN,
					     IPCOFF_REGION_WRITABLE, FX_DATA,
					     &h);
	if (ret) {
		FAIL(&r, "setup: %s", strerror(-ret));
		rep_exit(rpipe, &r);
	}
	write_full(hpipe, &h, sizeof(h));
	ret = reap_one(&ipc, &ring, WAIT_NS, &cqe);
	if (ret) {
		FAIL(&r, "no entry: %s", strerror(-ret));
		rep_exit(rpipe, &r);
	}
	r.v[0] = 1;
	if (cqe.flags != IPCOFF_CQE_NOTIFY || cqe.user_data != FX_DATA ||
	    cqe.handle != h || cqe.offset || cqe.len != FX_LEN ||
	    cqe.result != (int64_t)FX_LEN)
		FAIL(&r, "entry: flags %#x data %#llx offset %llu len %llu result %lld",
		     cqe.flags, (unsigned long long)cqe.user_data,
		     (unsigned long long)cqe.offset,
		     (unsigned long long)cqe.len, (long long)cqe.result);
	/* The owner knows the data is there: it wakes the sleeper. */
	ret = ipcoff_futex_wake(word, INT_MAX);
	if (ret < 0)
		FAIL(&r, "ipcoff_futex_wake: %s", strerror(-ret));
	r.v[1] = ret;
	rep_exit(rpipe, &r);
}

TEST_F_TIMEOUT(futex, wake_across_processes, 120)
{
	static const long futex_nrs[] = { NR_FUTEX, NR_FUTEX_WAITV };
	struct ipcoff_notifier *n = NULL;
	int hp[2], rp[2], op[2];
	struct ipcoff_copy c;
	struct ipcoff_cqe cqe;
	struct rep r, ro;
	pid_t sleeper, owner = 0;
	uint64_t hd;

	SKIP_IF_SET(self->skip);
	ASSERT_EQ(0, pipe2(rp, O_CLOEXEC));
	sleeper = kid_fork();
	ASSERT_LE(0, sleeper);
	if (!sleeper) {
		drop_parent(&self->ipc, &self->ring);
		sleeper_main(rp[1], self->word, self->dst);
	}
	close(rp[1]);

	if (variant->owner_reaps) {
		ASSERT_EQ(0, pipe2(hp, O_CLOEXEC));
		ASSERT_EQ(0, pipe2(op, O_CLOEXEC));
		owner = kid_fork();
		ASSERT_LE(0, owner);
		if (!owner) {
			drop_parent(&self->ipc, &self->ring);
			owner_main(hp[1], op[1], self->word, self->dst);
		}
		close(hp[1]);
		close(op[1]);
		ASSERT_EQ(0, read_full(hp[0], &hd, sizeof(hd), 20000));
	} else {
		ASSERT_EQ(0, ipcoff_register(&self->ipc, self->dst, FX_LEN,
					     IPCOFF_REGION_WRITABLE, &hd));
		/* After the fork: a child of a threaded process is fragile. */
		ASSERT_EQ(0, ipcoff_notifier_start(&self->ipc, self->word,
						   &n));
	}
	ASSERT_EQ(0, wait_parked(sleeper, futex_nrs, ARRAY_SIZE(futex_nrs)))
		TH_LOG("the sleeper never parked in FUTEX_WAIT");
	/* Nothing has woken it so far. */
	EXPECT_EQ(0, __atomic_load_n(self->word, __ATOMIC_ACQUIRE));

	rr(&c, hd, 0, self->hs, 0, FX_LEN, IPCOFF_ENGINE_CPU, 42);
	ASSERT_EQ(1, ipcoff_submit(&self->ipc, &c, 1));
	/* The submitter does not wake anyone itself. */
	ASSERT_EQ(0, read_full(rp[0], &r, sizeof(r), 40000))
		TH_LOG("no report from the sleeper");
	EXPECT_REP_OK(r);
	EXPECT_LE(1, r.v[0]) TH_LOG("the sleeper never returned from a wake");
	EXPECT_EQ(0, kid_wait(sleeper, 10000));
	if (owner) {
		ASSERT_EQ(0, read_full(op[0], &ro, sizeof(ro), 40000));
		EXPECT_REP_OK(ro);
		EXPECT_EQ(1, ro.v[0]);
		EXPECT_LE(1, ro.v[1]) TH_LOG("FUTEX_WAKE woke nobody");
		EXPECT_EQ(0, kid_wait(owner, 10000));
	} else {
		ipcoff_notifier_stop(n);
	}
	/* The submitter's own entry is still there for it. */
	ASSERT_EQ(0, reap_one(&self->ipc, &self->ring, WAIT_NS, &cqe));
	EXPECT_EQ(42, cqe.user_data);
	EXPECT_EQ((int64_t)FX_LEN, cqe.result);
	EXPECT_EQ(FX_LEN, pat_check(self->dst, FX_LEN, FX_SEED, 0));
	close(rp[0]);
	if (owner) {
		close(hp[0]);
		close(op[0]);
	}
}

/* ------------------------------------------------------------------ */
/* 3. kill -9 with hundreds of copies in flight on slow DMA channels.  */

#define KILL_N		256
#define KILL_LEN	(64 * KIB)
#define KILL_DATA	0xdead0001ULL

FIXTURE(killed) {
	const char *skip;
	bool prov;
	struct ipcoff ipc;
	struct ipcoff_ring ring;
	bool has_ring;
	uint8_t *dst;
	uint64_t hd;
	int64_t pinned0, foll0, regions0;
};

FIXTURE_VARIANT(killed) {
	const char *personality;
	unsigned int ring_size;	/* provider descriptors per channel */
	int in_submit;		/* killed inside SUBMIT, not after it */
};

FIXTURE_VARIANT_ADD(killed, ioat) {
	.personality = "ioat", .ring_size = 8192,
};

FIXTURE_VARIANT_ADD(killed, idxd) {
	.personality = "idxd", .ring_size = 8192,
};

/*
 * A provider ring of 32 per channel: SUBMIT waits for descriptors to
 * drain and is still issuing when the kill comes.
 */
FIXTURE_VARIANT_ADD(killed, ioat_inside_submit) {
	.personality = "ioat", .ring_size = 32, .in_submit = 1,
};

FIXTURE_SETUP(killed)
{
	char params[128];

	self->ipc.fd = -1;
	if (access(PROV_KO, R_OK)) {
		self->skip = "no test DMA provider in this guest";
		return;
	}
	/*
	 * Slow: every descriptor (a 4 KiB page) sleeps 1.5 ms, so the
	 * 4096 descriptors of 256 copies of 64 KiB keep two channels busy
	 * for about three seconds. With a deep provider ring SUBMIT never
	 * waits for room; with a shallow one it issues at the drain rate.
	 */
	snprintf(params, sizeof(params),
		 "personality=%s channels=2 ring_size=%u latency_us=1500",
		 variant->personality, variant->ring_size);
	ASSERT_EQ(2, prov_start(params));
	self->prov = true;
	ASSERT_EQ(0, counter_settle(pinned_pages, &self->pinned0));
	ASSERT_EQ(0, counter_settle(foll_pins, &self->foll0));
	ASSERT_EQ(0, counter_settle(live_regions, &self->regions0));
	ASSERT_EQ(0, ipcoff_open(&self->ipc, 0));
	self->skip = async_missing(&self->ipc);
	if (self->skip)
		return;
	ASSERT_EQ(0, ipcoff_ring_init(&self->ipc, 512, &self->ring));
	self->has_ring = true;
	self->dst = map_anon(KILL_N * KILL_LEN, 0);
	ASSERT_NE(NULL, self->dst);
	fault_backwards(self->dst, KILL_N * KILL_LEN);
	memset(self->dst, 0, KILL_N * KILL_LEN);
	ASSERT_EQ(0, ipcoff_register_notify(&self->ipc, self->dst,
					    KILL_N * KILL_LEN,
					    IPCOFF_REGION_WRITABLE, KILL_DATA,
					    &self->hd));
}

FIXTURE_TEARDOWN(killed)
{
	kids_kill();
	if (self->has_ring)
		ipcoff_ring_fini(&self->ring);
	ipcoff_close(&self->ipc);
	if (self->prov) {
		prov_set("latency_us", "0");
		if (prov_stop())
			TH_LOG("cannot unload the provider: %s",
			       strerror(errno));
	}
}

/*
 * The victim: its own context, a registered source (even copies) and a
 * local iovec source (odd copies, pinned at submit); submits everything
 * at once on the dma engine, says how much was taken, and waits to die.
 * It says -2 just before SUBMIT.
 */
static void __attribute__((noreturn))
victim_main(int hpipe, int apipe)
{
	const int64_t starting[2] = { -2, 0 };
	static struct ipcoff_copy reqs[KILL_N];
	static struct ipcoff_iovec iov[KILL_N];
	int64_t out[2] = { -1, 0 };
	struct ipcoff_ring ring;
	struct ipcoff ipc;
	uint8_t *sa, *sb;
	uint64_t hd, hs;
	int k, err = 0, ret;

	if (read_full(hpipe, &hd, sizeof(hd), 20000))
		_exit(2);
	sa = map_anon(KILL_N * KILL_LEN, 0);
	sb = map_anon(KILL_N * KILL_LEN, 0);
	if (!sa || !sb)
		_exit(3);
	fault_backwards(sa, KILL_N * KILL_LEN);
	fault_backwards(sb, KILL_N * KILL_LEN);
	pat_fill(sa, KILL_N * KILL_LEN, 91, 0);
	pat_fill(sb, KILL_N * KILL_LEN, 92, 0);
	ret = ipcoff_open(&ipc, 0);
	if (!ret)
		ret = ipcoff_ring_init(&ipc, 512, &ring);
	if (!ret)
		ret = ipcoff_register(&ipc, sa, KILL_N * KILL_LEN, 0, &hs);
	if (ret) {
		out[1] = ret;
		write_full(apipe, out, sizeof(out));
		_exit(4);
	}
	for (k = 0; k < KILL_N; k++) {
		rr(&reqs[k], hd, (uint64_t)k * KILL_LEN, hs,
		   (uint64_t)k * KILL_LEN, KILL_LEN, IPCOFF_ENGINE_DMA, k);
		if (k & 1) {
			iov[k].base = PTR(sb + (size_t)k * KILL_LEN);
			iov[k].len = KILL_LEN;
			ep_iov(&reqs[k].src, &iov[k], 1);
		}
	}
	write_full(apipe, starting, sizeof(starting));
	out[0] = ipcoff_submit_ex(&ipc, reqs, KILL_N, &err);
	out[1] = err;
	write_full(apipe, out, sizeof(out));
	for (;;)
		pause();
}

TEST_F_TIMEOUT(killed, sigkill_with_dma_in_flight, 180)
{
	static uint8_t seen[KILL_N];
	unsigned int k, ok = 0, cancelled = 0, accepted = KILL_N;
	int64_t acc[2], dst_pages = pages_of(KILL_N * KILL_LEN);
	uint64_t done, t_kill;
	int hp[2], ap[2], ret;
	pid_t pid;

	SKIP_IF_SET(self->skip);
	ASSERT_EQ(0, pipe2(hp, O_CLOEXEC));
	ASSERT_EQ(0, pipe2(ap, O_CLOEXEC));
	pid = kid_fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		drop_parent(&self->ipc, &self->ring);
		victim_main(hp[0], ap[1]);
	}
	close(ap[1]);
	ASSERT_EQ(0, write_full(hp[1], &self->hd, sizeof(self->hd)));
	ASSERT_EQ(0, read_full(ap[0], acc, sizeof(acc), 60000));
	ASSERT_EQ(-2, acc[0]) TH_LOG("victim setup: %lld", (long long)acc[1]);
	if (variant->in_submit) {
		/*
		 * Dies inside SUBMIT: how many it took, only entries tell;
		 * some but not all (checked below) says where the kill hit.
		 */
		msleep(500);
		accepted = 0;
	} else {
		ASSERT_EQ(0, read_full(ap[0], acc, sizeof(acc), 60000))
			TH_LOG("the victim never said how many it submitted");
		ASSERT_EQ(KILL_N, acc[0])
			TH_LOG("submit error %lld", (long long)acc[1]);
		EXPECT_EQ(0, acc[1]);
	}
	/* Hundreds still in flight when it dies. */
	done = ipcoff_ring_completed(&self->ring);
	EXPECT_GT(KILL_N / 2, done) TH_LOG("%llu done before the kill: too fast",
					  (unsigned long long)done);
	ASSERT_EQ(0, kill(pid, SIGKILL));
	t_kill = now_ms();
	EXPECT_EQ(128 + SIGKILL, kid_wait(pid, 30000));

	/*
	 * One entry per accepted copy, whatever became of it. Killed inside
	 * SUBMIT, the accepted ones are a prefix of the batch: entries until
	 * none came for 5 s (two channels complete one every few ms).
	 */
	for (k = 0; !accepted || k < accepted; k++) {
		struct ipcoff_cqe c;
		uint64_t i;

		ret = reap_one(&self->ipc, &self->ring,
			       accepted ? WAIT_NS : 5 * SEC_NS, &c);
		if (!accepted && ret == -ETIMEDOUT)
			break;
		ASSERT_EQ(0, ret) TH_LOG("%u of %u entries", k, accepted);
		EXPECT_EQ(IPCOFF_CQE_NOTIFY, c.flags);
		EXPECT_EQ(KILL_DATA, c.user_data);
		EXPECT_EQ(self->hd, c.handle);
		EXPECT_EQ(KILL_LEN, c.len);
		ASSERT_EQ(0, c.offset % KILL_LEN);
		i = c.offset / KILL_LEN;
		ASSERT_GT(KILL_N, i);
		EXPECT_EQ(0, seen[i]++) TH_LOG("copy %llu twice",
					       (unsigned long long)i);
		if (c.result == (int64_t)KILL_LEN) {
			ok++;
			EXPECT_EQ(KILL_LEN, pat_check(self->dst + c.offset,
						      KILL_LEN, i & 1 ? 92 : 91,
						      c.offset))
				TH_LOG("copy %llu", (unsigned long long)i);
		} else {
			EXPECT_EQ(-ECANCELED, c.result)
				TH_LOG("copy %llu", (unsigned long long)i);
			cancelled++;
			/* Never started: nothing of it arrived. */
			EXPECT_EQ(KILL_LEN, mem_check_byte(self->dst + c.offset,
							   KILL_LEN, 0));
		}
	}
	TH_LOG("%u copies done before the kill; after it %u done, %u cancelled, the last %llu ms after",
	       (unsigned int)done, ok, cancelled,
	       (unsigned long long)(now_ms() - t_kill));
	if (!accepted) {
		accepted = k;
		TH_LOG("%u of %u taken before SUBMIT saw the kill", k, KILL_N);
		EXPECT_LT(0, accepted);
		EXPECT_GT(KILL_N, accepted) TH_LOG("SUBMIT ended before the kill");
		/* A prefix: with no copy seen twice, 0 .. k-1 each once. */
		for (k = 0; k < accepted; k++)
			EXPECT_EQ(1, seen[k]) TH_LOG("copy %u", k);
	}
	/* Exactly one each: nothing more comes. */
	msleep(300);
	EXPECT_EQ(0, ipcoff_ring_ready(&self->ring));
	EXPECT_EQ(accepted, ipcoff_ring_completed(&self->ring));

	/* The victim's region and its pinned iovecs are gone; ours stays. */
	EXPECT_BACK_TO(pinned_pages, self->pinned0 + dst_pages);
	EXPECT_BACK_TO(foll_pins, self->foll0 + dst_pages);
	EXPECT_BACK_TO(live_regions, self->regions0 + 1);
	ipcoff_ring_fini(&self->ring);
	self->has_ring = false;
	ipcoff_close(&self->ipc);
	EXPECT_BACK_TO(pinned_pages, self->pinned0);
	EXPECT_BACK_TO(foll_pins, self->foll0);
	EXPECT_BACK_TO(live_regions, self->regions0);
	close(hp[1]);
	close(ap[0]);
}

/* ------------------------------------------------------------------ */
/* 4. Closing (or exiting) with cpu copies queued.                     */

#define CQ_N		1024
#define CQ_LEN		MIB
#define CQ_SLOTS	8
#define CQ_SEED		93
#define CQ_DATA		0xd0d0ULL

FIXTURE(closing) {
	const char *skip;
	struct ipcoff ipc;	/* the destination owner */
	struct ipcoff_ring ring;
	bool has_ring;
	uint8_t *dst, *src;
	uint64_t hd;
	int64_t pinned0, foll0, regions0;
};

FIXTURE_VARIANT(closing) {
	int in_child;		/* a child submits and exits */
};

FIXTURE_VARIANT_ADD(closing, close_fd) {
	.in_child = 0,
};

FIXTURE_VARIANT_ADD(closing, process_exit) {
	.in_child = 1,
};

FIXTURE_SETUP(closing)
{
	self->ipc.fd = -1;
	ASSERT_EQ(0, counter_settle(pinned_pages, &self->pinned0));
	ASSERT_EQ(0, counter_settle(foll_pins, &self->foll0));
	ASSERT_EQ(0, counter_settle(live_regions, &self->regions0));
	ASSERT_EQ(0, ipcoff_open(&self->ipc, 0));
	self->skip = async_missing(&self->ipc);
	if (self->skip)
		return;
	ASSERT_EQ(0, ipcoff_ring_init(&self->ipc, 2048, &self->ring));
	self->has_ring = true;
	self->dst = map_anon(CQ_SLOTS * CQ_LEN, 0);
	self->src = map_anon(CQ_SLOTS * CQ_LEN, 0);
	ASSERT_NE(NULL, self->dst);
	ASSERT_NE(NULL, self->src);
	memset(self->dst, 0xa5, CQ_SLOTS * CQ_LEN);
	pat_fill(self->src, CQ_SLOTS * CQ_LEN, CQ_SEED, 0);
	ASSERT_EQ(0, ipcoff_register_notify(&self->ipc, self->dst,
					    CQ_SLOTS * CQ_LEN,
					    IPCOFF_REGION_WRITABLE, CQ_DATA,
					    &self->hd));
}

FIXTURE_TEARDOWN(closing)
{
	kids_kill();
	if (self->has_ring)
		ipcoff_ring_fini(&self->ring);
	ipcoff_close(&self->ipc);
}

/*
 * The submitter: its own context with the source registered; 1024 cpu
 * copies of 1 MiB, each into slot k % 8 of the destination (every copy
 * of a slot writes the same bytes). Once the first has completed, the
 * ring goes and the fd is closed (or the process exits), with most still
 * queued. out[0]: accepted, out[1]: error, out[2]: completed at the end,
 * out[3]: 0 if it ran as a real-time task.
 *
 * Real-time: the workers that copy would otherwise share the CPUs with
 * the submitter, which then closes only after most copies ran; as
 * SCHED_FIFO it submits everything at once and closes as soon as the
 * first completion wakes it.
 */
static int submitter_run(uint64_t hd, uint8_t *src, int in_child,
			 int64_t *out)
{
	static struct ipcoff_copy reqs[CQ_N];
	struct sched_param fifo = { .sched_priority = 10 };
	struct sched_param other = { .sched_priority = 0 };
	struct ipcoff_ring ring;
	struct ipcoff ipc;
	uint64_t hs, got;
	int k, err = 0, ret;

	ret = ipcoff_open(&ipc, 0);
	if (ret)
		return ret;
	ret = ipcoff_ring_init(&ipc, CQ_N, &ring);
	if (!ret)
		ret = ipcoff_register(&ipc, src, CQ_SLOTS * CQ_LEN, 0, &hs);
	if (ret) {
		ipcoff_close(&ipc);
		return ret;
	}
	for (k = 0; k < CQ_N; k++)
		rr(&reqs[k], hd, (uint64_t)(k % CQ_SLOTS) * CQ_LEN, hs,
		   (uint64_t)(k % CQ_SLOTS) * CQ_LEN, CQ_LEN,
		   IPCOFF_ENGINE_CPU, k);
	out[3] = sched_setscheduler(0, SCHED_FIFO, &fifo) ? -errno : 0;
	out[0] = ipcoff_submit_ex(&ipc, reqs, CQ_N, &err);
	out[1] = err;
	/* At least one has run: the rest is a mix of started and queued. */
	ret = ipcoff_wait(&ipc, 1, WAIT_NS, &got);
	out[2] = ipcoff_ring_completed(&ring);
	if (in_child)
		return ret;	/* exits with everything open and mapped */
	/* The mapping holds the file too: the context ends with both. */
	ipcoff_ring_fini(&ring);
	ipcoff_close(&ipc);
	sched_setscheduler(0, SCHED_OTHER, &other);
	return ret;
}

TEST_F_TIMEOUT(closing, queued_cpu_copies_cancelled, 180)
{
	static unsigned int ok[CQ_SLOTS], cancelled[CQ_SLOTS];
	unsigned int k, n_ok = 0, n_cancelled = 0;
	int64_t out[4] = { 0 }, dst_pages = pages_of(CQ_SLOTS * CQ_LEN);
	uint64_t t0 = now_ms();

	SKIP_IF_SET(self->skip);
	if (variant->in_child) {
		int ap[2];
		pid_t pid;

		ASSERT_EQ(0, pipe2(ap, O_CLOEXEC));
		pid = kid_fork();
		ASSERT_LE(0, pid);
		if (!pid) {
			int ret;

			drop_parent(&self->ipc, &self->ring);
			ret = submitter_run(self->hd, self->src, 1, out);
			write_full(ap[1], out, sizeof(out));
			_exit(ret ? 1 : 0);
		}
		close(ap[1]);
		ASSERT_EQ(0, read_full(ap[0], out, sizeof(out), 60000));
		EXPECT_EQ(0, kid_wait(pid, 30000));
		close(ap[0]);
	} else {
		ASSERT_EQ(0, submitter_run(self->hd, self->src, 0, out));
	}
	ASSERT_EQ(CQ_N, out[0]) TH_LOG("submit error %lld", (long long)out[1]);
	EXPECT_LE(1, out[2]);
	EXPECT_EQ(0, out[3]) TH_LOG("SCHED_FIFO: %s", strerror((int)-out[3]));

	/* The destination owner hears of every accepted copy. */
	for (k = 0; k < CQ_N; k++) {
		struct ipcoff_cqe c;
		uint64_t slot;

		ASSERT_EQ(0, reap_one(&self->ipc, &self->ring, WAIT_NS, &c))
			TH_LOG("%u of %u entries", k, CQ_N);
		EXPECT_EQ(IPCOFF_CQE_NOTIFY, c.flags);
		EXPECT_EQ(CQ_DATA, c.user_data);
		EXPECT_EQ(self->hd, c.handle);
		EXPECT_EQ(CQ_LEN, c.len);
		ASSERT_EQ(0, c.offset % CQ_LEN);
		slot = c.offset / CQ_LEN;
		ASSERT_GT(CQ_SLOTS, slot);
		if (c.result == (int64_t)CQ_LEN) {
			ok[slot]++;
			n_ok++;
		} else {
			EXPECT_EQ(-ECANCELED, c.result);
			cancelled[slot]++;
			n_cancelled++;
		}
	}
	TH_LOG("%u completed (%lld before the close), %u cancelled, in %llu ms",
	       n_ok, (long long)out[2], n_cancelled,
	       (unsigned long long)(now_ms() - t0));
	/* Started ones ran to the end; queued ones never ran. */
	EXPECT_LE(out[2], n_ok);
	EXPECT_LT(0, n_cancelled) TH_LOG("nothing was still queued");
	msleep(300);
	EXPECT_EQ(0, ipcoff_ring_ready(&self->ring));
	EXPECT_EQ(CQ_N, ipcoff_ring_completed(&self->ring));
	for (k = 0; k < CQ_SLOTS; k++) {
		uint8_t *p = self->dst + (size_t)k * CQ_LEN;

		if (ok[k]) {
			EXPECT_EQ(CQ_LEN, pat_check(p, CQ_LEN, CQ_SEED,
						    (uint64_t)k * CQ_LEN))
				TH_LOG("slot %u", k);
		} else {
			EXPECT_EQ(CQ_LEN, mem_check_byte(p, CQ_LEN, 0xa5))
				TH_LOG("slot %u: only cancelled copies", k);
		}
	}
	/* The submitter's region is released once its last copy ended. */
	EXPECT_BACK_TO(pinned_pages, self->pinned0 + dst_pages);
	EXPECT_BACK_TO(foll_pins, self->foll0 + dst_pages);
	EXPECT_BACK_TO(live_regions, self->regions0 + 1);
	ipcoff_ring_fini(&self->ring);
	self->has_ring = false;
	ipcoff_close(&self->ipc);
	EXPECT_BACK_TO(pinned_pages, self->pinned0);
	EXPECT_BACK_TO(foll_pins, self->foll0);
	EXPECT_BACK_TO(live_regions, self->regions0);
}

/* ------------------------------------------------------------------ */
/* 5. An fd handed to a child and closed in the parent.                */

#define PF_N		32	/* copies before, and as many after */
#define PF_LEN		(64 * KIB)
#define PF_SEED		95
#define PF_RING		256

FIXTURE(passed) {
	const char *skip;
	uint8_t *src, *dst;
	int64_t pinned0, regions0;
};

FIXTURE_VARIANT(passed) {
	int scm;		/* 0: inherited by fork */
};

FIXTURE_VARIANT_ADD(passed, fork) {
	.scm = 0,
};

FIXTURE_VARIANT_ADD(passed, scm_rights) {
	.scm = 1,
};

FIXTURE_SETUP(passed)
{
	struct ipcoff ipc;

	ASSERT_EQ(0, ipcoff_open(&ipc, 0));
	self->skip = async_missing(&ipc);
	ipcoff_close(&ipc);
	if (self->skip)
		return;
	ASSERT_EQ(0, counter_settle(pinned_pages, &self->pinned0));
	ASSERT_EQ(0, counter_settle(live_regions, &self->regions0));
	/* Shared, so the child sees the bytes the parent's regions get. */
	self->src = map_anon(2 * PF_N * PF_LEN, 1);
	self->dst = map_anon(2 * PF_N * PF_LEN, 1);
	ASSERT_NE(NULL, self->src);
	ASSERT_NE(NULL, self->dst);
	pat_fill(self->src, 2 * PF_N * PF_LEN, PF_SEED, 0);
	memset(self->dst, 0, 2 * PF_N * PF_LEN);
}

FIXTURE_TEARDOWN(passed)
{
	kids_kill();
}

static void pf_reqs(struct ipcoff_copy *reqs, uint64_t hd, uint64_t hs,
		    unsigned int first)
{
	unsigned int k;

	for (k = 0; k < PF_N; k++) {
		uint64_t off = (uint64_t)(first + k) * PF_LEN;

		rr(&reqs[k], hd, off, hs, off, PF_LEN,
		   k & 1 ? IPCOFF_ENGINE_AUTO : IPCOFF_ENGINE_CPU, first + k);
	}
}

/*
 * The child: maps the ring itself (RING_SETUP with the ring's size gives
 * the existing ring's layout), waits until the parent has closed, submits
 * the second half, and reaps both halves. v0: entries.
 */
static void __attribute__((noreturn))
heir_main(int sock, int fd, const struct handles *hh, uint8_t *dst)
{
	struct ipcoff_copy reqs[PF_N];
	struct handles got_hh;
	uint8_t seen[2 * PF_N] = { 0 };
	struct ipcoff_ring ring;
	struct rep r = { 0 };
	struct ipcoff ipc;
	char token;
	unsigned int k;
	int ret;

	if (fd < 0) {
		/* SCM_RIGHTS: the fd and the handles in one message. */
		ret = sock_recv(sock, &got_hh, sizeof(got_hh), &fd);
		if (ret || fd < 0) {
			FAIL(&r, "no fd over the socket: %s", strerror(-ret));
			goto out;
		}
		hh = &got_hh;
	}
	ret = ipc_from_fd(&ipc, fd);
	if (!ret)
		ret = ipcoff_ring_init(&ipc, PF_RING, &ring);
	if (ret) {
		FAIL(&r, "fd or ring mapping: %s", strerror(-ret));
		goto out;
	}
	/* The parent has closed its fd and unmapped its ring. */
	if (sock_recv(sock, &token, 1, NULL)) {
		FAIL(&r, "no word from the parent");
		goto out;
	}
	pf_reqs(reqs, hh->hd, hh->hs, PF_N);
	ret = ipcoff_submit(&ipc, reqs, PF_N);
	if (ret != PF_N) {
		FAIL(&r, "submit after the parent's close: %d", ret);
		goto out;
	}
	for (k = 0; k < 2 * PF_N && !r.line; k++) {
		struct ipcoff_cqe c;

		ret = reap_one(&ipc, &ring, WAIT_NS, &c);
		if (ret) {
			FAIL(&r, "entry %u: %s", k, strerror(-ret));
			break;
		}
		if (c.user_data >= 2 * PF_N || seen[c.user_data]++)
			FAIL(&r, "entry %u: user_data %llu", k,
			     (unsigned long long)c.user_data);
		else if (c.result != (int64_t)PF_LEN || c.flags)
			FAIL(&r, "request %llu: result %lld flags %#x",
			     (unsigned long long)c.user_data,
			     (long long)c.result, c.flags);
		else if (pat_check(dst + c.user_data * PF_LEN, PF_LEN, PF_SEED,
				   c.user_data * PF_LEN) != PF_LEN)
			FAIL(&r, "request %llu: wrong bytes",
			     (unsigned long long)c.user_data);
		r.v[0]++;
	}
	if (!r.line && ipcoff_ring_ready(&ring))
		FAIL(&r, "more entries than requests");
	if (!r.line && ipcoff_ring_completed(&ring) != 2 * PF_N)
		FAIL(&r, "completed %llu",
		     (unsigned long long)ipcoff_ring_completed(&ring));
out:
	write_full(sock, &r, sizeof(r));
	/* Stay until told, so the parent sees the context alive. */
	sock_recv(sock, &token, 1, NULL);
	_exit(0);
}

TEST_F_TIMEOUT(passed, closed_in_parent, 120)
{
	int64_t both = 2 * pages_of(2 * PF_N * PF_LEN), v;
	struct ipcoff_copy reqs[PF_N];
	struct handles hh;
	struct ipcoff_ring ring;
	struct ipcoff ipc;
	uint64_t hs, hd;
	char token = 1;
	struct rep r;
	int sv[2];
	pid_t pid = -1;

	SKIP_IF_SET(self->skip);
	ASSERT_EQ(0, socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0,
				sv));
	if (variant->scm) {
		/* Forked before the fd exists: it only gets it by message. */
		pid = kid_fork();
		ASSERT_LE(0, pid);
		if (!pid) {
			close(sv[0]);
			heir_main(sv[1], -1, NULL, self->dst);
		}
	}
	ASSERT_EQ(0, ipcoff_open(&ipc, 0));
	ASSERT_EQ(0, ipcoff_ring_init(&ipc, PF_RING, &ring));
	ASSERT_EQ(0, ipcoff_register(&ipc, self->src, 2 * PF_N * PF_LEN, 0,
				     &hs));
	ASSERT_EQ(0, ipcoff_register(&ipc, self->dst, 2 * PF_N * PF_LEN,
				     IPCOFF_REGION_WRITABLE, &hd));
	hh.hs = hs;
	hh.hd = hd;
	/* The first half, submitted by the parent; not reaped by it. */
	pf_reqs(reqs, hd, hs, 0);
	ASSERT_EQ(PF_N, ipcoff_submit(&ipc, reqs, PF_N));
	if (variant->scm) {
		ASSERT_EQ(0, sock_send(sv[0], &hh, sizeof(hh), ipc.fd));
	} else {
		pid = kid_fork();
		ASSERT_LE(0, pid);
		if (!pid) {
			/* Its own mapping, not the one inherited. */
			munmap(ring.map, ring.map_len);
			close(sv[0]);
			heir_main(sv[1], ipc.fd, &hh, self->dst);
		}
	}
	close(sv[1]);
	ipcoff_ring_fini(&ring);
	ipcoff_close(&ipc);
	ASSERT_EQ(0, sock_send(sv[0], &token, 1, -1));

	ASSERT_EQ(0, sock_recv(sv[0], &r, sizeof(r), NULL))
		TH_LOG("no report from the child");
	EXPECT_REP_OK(r);
	EXPECT_EQ(2 * PF_N, r.v[0]);
	/* The child holds the context: its regions are still pinned. */
	ASSERT_EQ(0, pinned_pages(&v));
	EXPECT_EQ(self->pinned0 + both, v);
	ASSERT_EQ(0, live_regions(&v));
	EXPECT_EQ(self->regions0 + 2, v);
	EXPECT_EQ(2 * PF_N * PF_LEN, pat_check(self->dst, 2 * PF_N * PF_LEN,
					       PF_SEED, 0));
	ASSERT_EQ(0, sock_send(sv[0], &token, 1, -1));
	EXPECT_EQ(0, kid_wait(pid, 10000));
	/* With the last holder gone, so is the context. */
	EXPECT_BACK_TO(pinned_pages, self->pinned0);
	EXPECT_BACK_TO(live_regions, self->regions0);
	close(sv[0]);
}

/* ------------------------------------------------------------------ */
/* 6. 64 threads submitting on one fd, one reaper.                     */

#define TH_N		64
#define TH_REQS		48
#define TH_PIECE	5000
#define TH_SLICE	(TH_REQS * TH_PIECE)
#define TH_SEED		97

FIXTURE(threads) {
	const char *skip;
	bool dma;
	struct ipcoff ipc;
	struct ipcoff_ring ring;
	bool has_ring;
	uint8_t *src, *dst;
	uint64_t hs, hd;
};

FIXTURE_SETUP(threads)
{
	self->ipc.fd = -1;
	/* With the provider, every other request goes to the dma engine. */
	if (!access(PROV_KO, R_OK)) {
		ASSERT_EQ(2, prov_start("personality=idxd channels=2"));
		self->dma = true;
	}
	ASSERT_EQ(0, ipcoff_open(&self->ipc, 0));
	self->skip = async_missing(&self->ipc);
	if (self->skip)
		return;
	ASSERT_EQ(0, ipcoff_ring_init(&self->ipc, 4096, &self->ring));
	self->has_ring = true;
	self->src = map_anon(TH_N * TH_SLICE, 0);
	self->dst = map_anon(TH_N * TH_SLICE, 0);
	ASSERT_NE(NULL, self->src);
	ASSERT_NE(NULL, self->dst);
	pat_fill(self->src, TH_N * TH_SLICE, TH_SEED, 0);
	memset(self->dst, 0, TH_N * TH_SLICE);
	ASSERT_EQ(0, ipcoff_register(&self->ipc, self->src, TH_N * TH_SLICE,
				     0, &self->hs));
	ASSERT_EQ(0, ipcoff_register(&self->ipc, self->dst, TH_N * TH_SLICE,
				     IPCOFF_REGION_WRITABLE, &self->hd));
}

FIXTURE_TEARDOWN(threads)
{
	if (self->has_ring)
		ipcoff_ring_fini(&self->ring);
	ipcoff_close(&self->ipc);
	if (self->dma && prov_stop())
		TH_LOG("cannot unload the provider: %s", strerror(errno));
}

struct th_arg {
	pthread_t tid;
	struct ipcoff *ipc;
	pthread_barrier_t *go;
	uint64_t hs, hd;
	bool dma;
	unsigned int t;
	unsigned int submitted, eagain;
	int err;		/* first error other than EAGAIN */
};

/* Thread t copies its own slice, in batches of 1 to 4 requests. */
static void *th_submit(void *p)
{
	struct th_arg *a = p;
	struct ipcoff_copy reqs[TH_REQS];
	uint64_t end;
	unsigned int i;

	for (i = 0; i < TH_REQS; i++) {
		uint64_t off = (uint64_t)a->t * TH_SLICE + (uint64_t)i * TH_PIECE;

		rr(&reqs[i], a->hd, off, a->hs, off, TH_PIECE,
		   a->dma && (i & 1) ? IPCOFF_ENGINE_DMA : IPCOFF_ENGINE_CPU,
		   (uint64_t)a->t << 32 | i);
	}
	pthread_barrier_wait(a->go);
	end = now_ms() + 60000;
	for (i = 0; i < TH_REQS && !a->err;) {
		unsigned int n = 1 + (a->t + i) % 4;
		int ret;

		if (n > TH_REQS - i)
			n = TH_REQS - i;
		ret = ipcoff_submit(a->ipc, reqs + i, n);
		if (ret > 0) {
			i += (unsigned int)ret;
		} else if (ret == -EAGAIN && now_ms() < end) {
			/* The reaper has not caught up: back off. */
			a->eagain++;
			sched_yield();
		} else {
			a->err = ret ? ret : -EPROTO;
		}
	}
	a->submitted = i;
	return NULL;
}

TEST_F_TIMEOUT(threads, sixty_four_submitters, 180)
{
	static uint8_t seen[TH_N][TH_REQS];
	static struct th_arg args[TH_N];
	unsigned int t, k, total = TH_N * TH_REQS, eagain = 0;
	unsigned int engines[IPCOFF_ENGINE_COUNT] = { 0 };
	pthread_barrier_t go;

	SKIP_IF_SET(self->skip);
	ASSERT_EQ(0, pthread_barrier_init(&go, NULL, TH_N + 1));
	for (t = 0; t < TH_N; t++) {
		args[t] = (struct th_arg){
			.ipc = &self->ipc, .go = &go, .hs = self->hs,
			.hd = self->hd, .dma = self->dma, .t = t,
		};
		ASSERT_EQ(0, pthread_create(&args[t].tid, NULL, th_submit,
					    &args[t]));
	}
	pthread_barrier_wait(&go);
	/* One reaper: this thread. */
	for (k = 0; k < total; k++) {
		struct ipcoff_cqe c;
		uint64_t i;

		ASSERT_EQ(0, reap_one(&self->ipc, &self->ring, WAIT_NS, &c))
			TH_LOG("%u of %u entries", k, total);
		t = (unsigned int)(c.user_data >> 32);
		i = c.user_data & 0xffffffffU;
		ASSERT_GT(TH_N, t);
		ASSERT_GT(TH_REQS, i);
		EXPECT_EQ(0, seen[t][i]++) TH_LOG("thread %u request %llu twice",
						  t, (unsigned long long)i);
		EXPECT_EQ(TH_PIECE, c.result);
		EXPECT_EQ(TH_PIECE, c.len);
		EXPECT_EQ(0, c.flags);
		if (c.engine < IPCOFF_ENGINE_COUNT)
			engines[c.engine]++;
	}
	for (t = 0; t < TH_N; t++) {
		ASSERT_EQ(0, pthread_join(args[t].tid, NULL));
		EXPECT_EQ(0, args[t].err) TH_LOG("thread %u", t);
		EXPECT_EQ(TH_REQS, args[t].submitted) TH_LOG("thread %u", t);
		eagain += args[t].eagain;
	}
	pthread_barrier_destroy(&go);
	msleep(100);
	EXPECT_EQ(0, ipcoff_ring_ready(&self->ring));
	EXPECT_EQ(total, ipcoff_ring_completed(&self->ring));
	for (t = 0; t < TH_N; t++)
		EXPECT_EQ(TH_SLICE, pat_check(self->dst + (size_t)t * TH_SLICE,
					      TH_SLICE, TH_SEED,
					      (uint64_t)t * TH_SLICE))
			TH_LOG("slice of thread %u", t);
	TH_LOG("%u entries: %u cpu, %u dma; %u EAGAIN retries", total,
	       engines[IPCOFF_ENGINE_CPU], engines[IPCOFF_ENGINE_DMA], eagain);
	if (self->dma)
		EXPECT_EQ(total / 2, engines[IPCOFF_ENGINE_DMA]);
}

/* ------------------------------------------------------------------ */
/* 7. A region unregistered while a copy into or from it is in flight. */

/*
 * Defined behaviour (IPCOFF_IOC_UNREGISTER in uapi/linux/ipcoff.h):
 * UNREGISTER returns at once and the handle is gone for new copies, but
 * the region itself is deferred until the copies using it complete: they
 * complete with all their bytes, and only then are its pages unpinned.
 */

#define UR_LEN		MIB
#define UR_SEED		99
#define UR_DATA		0x77ULL

FIXTURE(unreg) {
	const char *skip;
	bool prov;
	struct ipcoff ipc;
	struct ipcoff_ring ring;
	bool has_ring;
	uint8_t *src, *dst;
	uint64_t hs, hd;
	int64_t pinned0, regions0;
};

FIXTURE_VARIANT(unreg) {
	int source;		/* 0: the destination goes */
};

FIXTURE_VARIANT_ADD(unreg, destination) {
	.source = 0,
};

FIXTURE_VARIANT_ADD(unreg, source) {
	.source = 1,
};

FIXTURE_SETUP(unreg)
{
	self->ipc.fd = -1;
	if (access(PROV_KO, R_OK)) {
		self->skip = "no test DMA provider in this guest";
		return;
	}
	/* 256 descriptors of 10 ms on two channels: over a second. */
	ASSERT_EQ(2, prov_start("personality=ioat channels=2 latency_us=10000"));
	self->prov = true;
	ASSERT_EQ(0, counter_settle(pinned_pages, &self->pinned0));
	ASSERT_EQ(0, counter_settle(live_regions, &self->regions0));
	ASSERT_EQ(0, ipcoff_open(&self->ipc, 0));
	self->skip = async_missing(&self->ipc);
	if (self->skip)
		return;
	ASSERT_EQ(0, ipcoff_ring_init(&self->ipc, 64, &self->ring));
	self->has_ring = true;
	self->src = map_anon(UR_LEN, 0);
	self->dst = map_anon(UR_LEN, 0);
	ASSERT_NE(NULL, self->src);
	ASSERT_NE(NULL, self->dst);
	fault_backwards(self->src, UR_LEN);
	fault_backwards(self->dst, UR_LEN);
	pat_fill(self->src, UR_LEN, UR_SEED, 0);
	memset(self->dst, 0, UR_LEN);
	ASSERT_EQ(0, ipcoff_register(&self->ipc, self->src, UR_LEN, 0,
				     &self->hs));
	ASSERT_EQ(0, ipcoff_register_notify(&self->ipc, self->dst, UR_LEN,
					    IPCOFF_REGION_WRITABLE, UR_DATA,
					    &self->hd));
}

FIXTURE_TEARDOWN(unreg)
{
	if (self->has_ring)
		ipcoff_ring_fini(&self->ring);
	ipcoff_close(&self->ipc);
	if (self->prov) {
		prov_set("latency_us", "0");
		if (prov_stop())
			TH_LOG("cannot unload the provider: %s",
			       strerror(errno));
	}
}

TEST_F_TIMEOUT(unreg, while_copy_in_flight, 120)
{
	uint64_t gone = variant->source ? self->hs : self->hd;
	int64_t both = 2 * pages_of(UR_LEN), v;
	struct ipcoff_cqe c, own = { 0 }, note = { 0 };
	struct ipcoff_copy req;
	uint64_t t0, took;
	uint8_t buf[4096];
	unsigned int k;

	SKIP_IF_SET(self->skip);
	rr(&req, self->hd, 0, self->hs, 0, UR_LEN, IPCOFF_ENGINE_DMA, 1);
	ASSERT_EQ(1, ipcoff_submit(&self->ipc, &req, 1));
	t0 = now_ms();
	ASSERT_EQ(0, t_unregister(self->ipc.fd, gone));
	took = now_ms() - t0;
	/* At once: the copy has not finished. */
	ASSERT_EQ(0, ipcoff_ring_completed(&self->ring))
		TH_LOG("the copy ended before UNREGISTER returned (%llu ms)",
		       (unsigned long long)took);
	TH_LOG("UNREGISTER took %llu ms", (unsigned long long)took);
	/* The handle is gone for anything new... */
	EXPECT_EQ(-ENOENT, ipcoff_submit(&self->ipc, &req, 1));
	EXPECT_EQ(-ENOENT, t_unregister(self->ipc.fd, gone));
	/* ...but the region is not: its pages stay while the copy runs. */
	ASSERT_EQ(0, pinned_pages(&v));
	EXPECT_EQ(self->pinned0 + both, v);
	ASSERT_EQ(0, live_regions(&v));
	EXPECT_EQ(self->regions0 + 2, v);

	/* The copy completes, with its bytes, and the owner hears of it. */
	for (k = 0; k < 2; k++) {
		ASSERT_EQ(0, reap_one(&self->ipc, &self->ring, WAIT_NS, &c));
		if (c.flags & IPCOFF_CQE_NOTIFY)
			note = c;
		else
			own = c;
	}
	EXPECT_EQ(1, own.user_data);
	EXPECT_EQ((int64_t)UR_LEN, own.result);
	EXPECT_EQ(IPCOFF_ENGINE_DMA, own.engine);
	EXPECT_EQ(IPCOFF_CQE_NOTIFY, note.flags);
	EXPECT_EQ(UR_DATA, note.user_data);
	EXPECT_EQ(self->hd, note.handle);
	EXPECT_EQ((int64_t)UR_LEN, note.result);
	EXPECT_EQ(UR_LEN, pat_check(self->dst, UR_LEN, UR_SEED, 0));
	TH_LOG("the copy took %llu ms", (unsigned long long)(now_ms() - t0));
	/* Then, and only then, the unregistered region is released. */
	EXPECT_BACK_TO(pinned_pages, self->pinned0 + pages_of(UR_LEN));
	EXPECT_BACK_TO(live_regions, self->regions0 + 1);
	/* The other region is untouched by all this. */
	if (variant->source) {
		memset(buf, 0x3c, sizeof(buf));
		EXPECT_EQ(0, t_write(self->ipc.fd, self->hd, 100, buf,
				     sizeof(buf), NULL));
		EXPECT_EQ(sizeof(buf), mem_check_byte(self->dst + 100,
						       sizeof(buf), 0x3c));
	} else {
		EXPECT_EQ(0, t_read(self->ipc.fd, buf, sizeof(buf), self->hs,
				    100, NULL));
		EXPECT_EQ(sizeof(buf), pat_check(buf, sizeof(buf), UR_SEED,
						 100));
	}
	ipcoff_ring_fini(&self->ring);
	self->has_ring = false;
	ipcoff_close(&self->ipc);
	EXPECT_BACK_TO(pinned_pages, self->pinned0);
	EXPECT_BACK_TO(live_regions, self->regions0);
}

TEST_HARNESS_MAIN
