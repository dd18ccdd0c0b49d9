// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * libipcoff: Hybrid-Coord buffer pools.
 *
 * One producer, up to 64 consumers, up to 64 slots. The slots are ipcoff
 * buffers (BUF_ALLOC, mapped by every side through export fds), or, with
 * IPCOFF_POOL_SHM, pages of a memfd. Everything the sides coordinate with
 * lives in a memfd of its own (struct pool_ctl): futexes do not work on a
 * buffer mapping, and that memory must outlive no-one's context.
 *
 * Publication. The producer submits a copy into a slot; only when it
 * reaps the kernel's completion entry for it (every chunk of it) does it
 * publish the slot: it stores the set of attached consumers into the
 * slot's claim word, then writes an entry into the publication ring and
 * bumps the ring's futex word. idxd completes out of order and writes no
 * status a consumer could trust before the completion, so nothing else
 * publishes. Completions may come in any order; slots are published in the
 * order they were submitted, so consumers see messages in order.
 *
 * Claims. A consumer owns bit i of every claim word. It releases a slot
 * with one atomic AND; the one whose AND leaves the word zero bumps the
 * release futex word. No lock is shared between processes.
 *
 * The publication ring needs no per-consumer head: a consumer's unread
 * entries all name slots that it still claims (it releases only what it
 * received), distinct ones (a slot is republished only after everybody
 * released it), never the slot being published; so the producer is never
 * more than slots - 1 entries ahead of any consumer, and a ring of at
 * least that many entries never overwrites an unread one.
 *
 * Departures. Each consumer keeps the unix socket it attached over. When
 * it closes (ipcoff_pool_close(), exit, SIGKILL) the producer sees the
 * hang-up, drops the consumer from the attached set and ANDs its bit out
 * of every claim word: the slots it held come back. Consumers see the
 * producer's hang-up the same way. Sleepers wait on futex words in slices
 * of POOL_SLICE_NS and look at the sockets between slices, so a peer that
 * died without waking anybody is noticed within a slice.
 *
 * Event loops. The producer's fd is an epoll set of its /dev/ipcoff fd and
 * the consumers' sockets, a consumer's fd its socket; once a side asked
 * for its fd, the other side sends it a one-byte doorbell whenever there
 * is something for it (a publication, a freed slot).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <ipcoff.h>

#include "internal.h"
#include "pool.h"

#define POOL_MAGIC	0x314c4f4f50435049ULL	/* "IPCPOOL1" */
#define POOL_VERSION	2
#define POOL_SLICE_NS	(50 * 1000000LL)
/* Polling before a futex sleep: a peer's answer often comes this soon. */
#define POOL_SPIN_NS	20000
#define POOL_SPIN_BATCH	32
/* A publication whose bytes are in the control memfd (pool_pub.flags). */
#define PUB_INLINE	1U
#define POOL_ALIGN	64
#define POOL_COMPLETION_NS	(30LL * 1000000000LL)
/*
 * Copies up to this size wait in the ioctl: its return is the kernel's
 * completion, and costs less than an asynchronous copy's worker and
 * completion entry (measured in a TCG guest, channel/hybrid against
 * SUBMIT: 5 to 7 times the messages per second at 4 KiB, 4 to 7 at
 * 16 KiB, 3 to 3.6 at 64 KiB).
 */
#define POOL_SYNC_MAX		(128 * 1024)

/* One slot's shared state, alone in its cache line. */
struct pool_slot_ctl {
	_Alignas(POOL_ALIGN) uint64_t claim;	/* consumers' bits */
	uint64_t len;
	uint64_t seq;
};

/* One publication. @pos is written last: number + 1 once valid. */
struct pool_pub {
	uint64_t pos;
	uint32_t slot;
	uint32_t flags;		/* PUB_INLINE */
	uint64_t len;
	uint64_t seq;
};

struct pool_cons_ctl {
	_Alignas(POOL_ALIGN) uint32_t armed;	/* wants doorbells */
};

/* The shared control memfd. Consumers write claims, the words they wake
 * the producer with, their sleeper counts and their armed flags. */
struct pool_ctl {
	uint64_t magic;
	uint32_t version;
	uint32_t backing;
	uint32_t nslots;
	uint32_t ring_size;
	uint64_t slot_size;
	uint64_t inline_max;	/* bytes of each slot's inline area */
	/* Producer-written. */
	_Alignas(POOL_ALIGN) uint32_t pub_word;	/* futex: publications */
	uint32_t closed;
	/* Consumer-written. */
	_Alignas(POOL_ALIGN) uint32_t cons_sleepers;
	_Alignas(POOL_ALIGN) uint32_t rel_word;	/* futex: slots freed */
	uint32_t prod_sleepers;
	uint32_t prod_armed;
	struct pool_slot_ctl slot[IPCOFF_POOL_MAX_SLOTS];
	struct pool_cons_ctl cons[IPCOFF_POOL_MAX_CONSUMERS];
	struct pool_pub ring[];
};

/* What a consumer is sent when it attaches, with the fds. */
struct pool_hello {
	uint64_t magic;
	uint32_t version;
	uint32_t backing;
	uint32_t nslots;
	uint32_t index;		/* the consumer's bit */
	uint64_t slot_size;	/* the mapping length of each slot */
	uint64_t ctl_len;
	uint64_t data_off;	/* shm: where slot 0 starts in the memfd */
	uint64_t cursor;	/* first publication for this consumer */
	uint64_t cookie;
	uint64_t handle[IPCOFF_POOL_MAX_SLOTS];
	uint32_t nfds;
	uint32_t ring_size;
	uint64_t inline_max;
};

/* Producer-side slot states. */
enum { S_FREE, S_ACQUIRED, S_INFLIGHT, S_DONE, S_FAILED, S_PUBLISHED };

struct pool_cons {
	int sock;		/* -1: index unused */
};

struct ipcoff_pool {
	bool producer;
	pid_t owner;		/* a forked child's close changes nothing shared */
	unsigned int backing;
	unsigned int nslots;
	uint32_t ring_size;
	size_t slot_size;	/* page-rounded */
	struct pool_ctl *ctl;
	size_t ctl_len;
	int memfd;		/* producer: hands it out */
	uint8_t *map;		/* shm: the whole memfd; else NULL */
	size_t map_len;
	uint8_t *data[IPCOFF_POOL_MAX_SLOTS];
	uint64_t handle[IPCOFF_POOL_MAX_SLOTS];
	int efd[IPCOFF_POOL_MAX_SLOTS];	/* read-only exports, to hand out */
	uint64_t published;
	uint64_t recovered;
	size_t inline_max;	/* 0: no inline area */
	uint8_t *inl;		/* slot i's inline bytes at inl + i * stride */

	/* Producer. */
	struct ipcoff ipc;
	struct ipcoff_ring ring;
	unsigned int engine;
	uint32_t chunk;
	uint8_t state[IPCOFF_POOL_MAX_SLOTS];
	bool slot_inline[IPCOFF_POOL_MAX_SLOTS];
	uint32_t parts_left[IPCOFF_POOL_MAX_SLOTS];
	uint64_t slot_len[IPCOFF_POOL_MAX_SLOTS];
	uint64_t slot_seq[IPCOFF_POOL_MAX_SLOTS];
	int slot_err[IPCOFF_POOL_MAX_SLOTS];
	uint8_t fifo[IPCOFF_POOL_MAX_SLOTS];	/* submitted, in order */
	unsigned int fifo_head, fifo_n;
	unsigned int inflight;
	uint64_t next_seq;
	uint64_t attached;
	bool ever;
	int error;		/* a failed copy, for the next call */
	struct pool_cons cons[IPCOFF_POOL_MAX_CONSUMERS];
	int epfd;

	/* Consumer. */
	unsigned int me;
	int sock;
	uint64_t cursor;
	int gone;		/* 0, -EPIPE or -ECONNRESET */
	bool armed;
};

static inline uint32_t ld32(const uint32_t *p)
{
	return __atomic_load_n(p, __ATOMIC_ACQUIRE);
}

static inline uint64_t ld64(const uint64_t *p)
{
	return __atomic_load_n(p, __ATOMIC_ACQUIRE);
}

static size_t page_round(size_t v)
{
	size_t pg = (size_t)sysconf(_SC_PAGESIZE);

	return (v + pg - 1) / pg * pg;
}

static size_t inline_stride(size_t inline_max)
{
	return (inline_max + POOL_ALIGN - 1) & ~(size_t)(POOL_ALIGN - 1);
}

/* The ring's part of the control memfd; the inline areas follow it. */
static size_t ctl_head_bytes(uint32_t ring_size)
{
	return page_round(sizeof(struct pool_ctl) +
			  ring_size * sizeof(struct pool_pub));
}

static size_t ctl_bytes(uint32_t ring_size, unsigned int nslots,
			size_t inline_max)
{
	return ctl_head_bytes(ring_size) +
	       (inline_max ? page_round(nslots * inline_stride(inline_max)) :
			     0);
}

static inline void cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#elif defined(__aarch64__) || defined(__arm__)
	__asm__ __volatile__("yield" ::: "memory");
#else
	__asm__ __volatile__("" ::: "memory");
#endif
}

static struct ipcoff_pool *pool_new(void)
{
	struct ipcoff_pool *p = calloc(1, sizeof(*p));
	unsigned int i;

	if (!p)
		return NULL;
	p->memfd = -1;
	p->ipc.fd = -1;
	p->ring.fd = -1;
	p->epfd = -1;
	p->sock = -1;
	for (i = 0; i < IPCOFF_POOL_MAX_SLOTS; i++)
		p->efd[i] = -1;
	for (i = 0; i < IPCOFF_POOL_MAX_CONSUMERS; i++)
		p->cons[i].sock = -1;
	return p;
}

/* A doorbell: one byte, never waiting; a full socket has one already. */
static void ring_bell(int sock)
{
	char b = 1;

	if (sock >= 0)
		send(sock, &b, 1, MSG_DONTWAIT | MSG_NOSIGNAL);
}

/* Drain doorbells; -ECONNRESET when the peer hung up, else 0. */
static int drain_sock(int sock)
{
	char buf[64];

	for (;;) {
		ssize_t n = recv(sock, buf, sizeof(buf), MSG_DONTWAIT);

		if (n > 0)
			continue;
		if (n == 0)
			return -ECONNRESET;
		if (errno == EINTR)
			continue;
		return errno == EAGAIN || errno == EWOULDBLOCK ? 0 :
		       -ECONNRESET;
	}
}

/* Time left until @deadline (-1: none) for the next slice of a wait. */
static int64_t slice_ns(int64_t deadline)
{
	int64_t left;

	if (deadline < 0)
		return POOL_SLICE_NS;
	left = deadline - mono_now_ns();
	if (left <= 0)
		return 0;
	return left < POOL_SLICE_NS ? left : POOL_SLICE_NS;
}

static int64_t deadline_of(int64_t timeout_ns)
{
	return timeout_ns < 0 ? -1 : mono_now_ns() + timeout_ns;
}

/* ------------------------------------------------------------------ */
/* Producer                                                            */

static void pool_unmap(struct ipcoff_pool *p)
{
	unsigned int i;

	if (p->map) {
		munmap(p->map, p->map_len);
	} else {
		for (i = 0; i < p->nslots; i++)
			if (p->data[i])
				munmap(p->data[i], p->slot_size);
	}
	if (p->ctl && p->map != (uint8_t *)p->ctl)
		munmap(p->ctl, p->ctl_len);
	p->map = NULL;
	p->ctl = NULL;
	memset(p->data, 0, sizeof(p->data));
}

/* The slots as ipcoff buffers, mapped here through write exports. */
static int pool_alloc_buffers(struct ipcoff_pool *p,
			      const struct ipcoff_pool_attr *a)
{
	uint32_t parts = 1, entries = IPCOFF_RING_MIN_ENTRIES;
	const char *dev = a->device ? a->device : IPCOFF_DEVICE_PATH;
	unsigned int i;
	int ret;

	ret = ipcoff_open_path(&p->ipc, dev, 0);
	if (ret)
		return ret;
	if (!ipcoff_has_feature(&p->ipc, IPCOFF_FEAT_BUFFERS |
				IPCOFF_FEAT_ASYNC | IPCOFF_FEAT_IOVEC))
		return -EOPNOTSUPP;
	if (a->chunk_size) {
		if (!ipcoff_has_feature(&p->ipc, IPCOFF_FEAT_CHUNKED))
			return -EOPNOTSUPP;
		parts = (uint32_t)((p->slot_size + a->chunk_size - 1) /
				   a->chunk_size);
	}
	/* Every copy in flight has its places: EAGAIN stays rare. */
	while (entries < p->nslots * parts && entries < IPCOFF_RING_MAX_ENTRIES)
		entries *= 2;
	if (p->nslots * parts > entries)
		return -EINVAL;
	ret = ipcoff_ring_init(&p->ipc, entries, &p->ring);
	if (ret)
		return ret;
	for (i = 0; i < p->nslots; i++) {
		size_t len = 0;
		int wfd = -1;
		void *m;

		ret = ipcoff_buf_alloc(&p->ipc, p->slot_size,
				       IPCOFF_REGION_WRITABLE, 0, &p->handle[i],
				       &len);
		if (ret)
			return ret;
		if (len != p->slot_size)
			return -EPROTO;
		ret = ipcoff_export(&p->ipc, p->handle[i], IPCOFF_ACCESS_READ,
				    IPCOFF_EXPORT_CLOEXEC, &p->efd[i]);
		if (!ret)
			ret = ipcoff_export(&p->ipc, p->handle[i],
					    IPCOFF_ACCESS_READ |
					    IPCOFF_ACCESS_WRITE,
					    IPCOFF_EXPORT_CLOEXEC, &wfd);
		if (ret)
			return ret;
		m = mmap(NULL, p->slot_size, PROT_READ | PROT_WRITE,
			 MAP_SHARED, wfd, 0);
		ret = m == MAP_FAILED ? -errno : 0;
		close(wfd);
		if (ret)
			return ret;
		p->data[i] = m;
	}
	return 0;
}

static void pool_free(struct ipcoff_pool *p)
{
	unsigned int i;

	pool_unmap(p);
	for (i = 0; i < IPCOFF_POOL_MAX_SLOTS; i++)
		if (p->efd[i] >= 0)
			close(p->efd[i]);
	for (i = 0; i < IPCOFF_POOL_MAX_CONSUMERS; i++)
		if (p->cons[i].sock >= 0)
			close(p->cons[i].sock);
	if (p->ring.map)
		ipcoff_ring_fini(&p->ring);
	/* Closing the context unregisters every buffer: pages come back. */
	ipcoff_close(&p->ipc);
	if (p->memfd >= 0)
		close(p->memfd);
	if (p->epfd >= 0)
		close(p->epfd);
	if (p->sock >= 0)
		close(p->sock);
	free(p);
}

int pool_create_inline(const struct ipcoff_pool_attr *a, size_t inline_max,
		       struct ipcoff_pool **out)
{
	struct ipcoff_pool *p;
	size_t data_len = 0;
	unsigned int i;
	int ret;

	*out = NULL;
	if (!a || !a->slots || a->slots > IPCOFF_POOL_MAX_SLOTS ||
	    !a->slot_size || a->slot_size > (1ULL << 34) ||
	    (a->flags & ~IPCOFF_POOL_SHM) ||
	    a->engine >= IPCOFF_ENGINE_COUNT ||
	    (a->chunk_size && a->chunk_size < IPCOFF_CHUNK_MIN))
		return -EINVAL;
	for (i = 0; i < 4; i++)
		if (a->reserved[i])
			return -EINVAL;
	p = pool_new();
	if (!p)
		return -ENOMEM;
	p->producer = true;
	p->owner = getpid();
	p->nslots = a->slots;
	p->slot_size = page_round(a->slot_size);
	p->engine = a->engine;
	p->chunk = a->chunk_size;
	p->backing = (a->flags & IPCOFF_POOL_SHM) ? IPCOFF_POOL_BACKING_SHM :
		     IPCOFF_POOL_BACKING_IPCOFF;
	for (p->ring_size = 1; p->ring_size < p->nslots;)
		p->ring_size *= 2;
	if (inline_max > p->slot_size)
		inline_max = p->slot_size;
	p->inline_max = inline_max;
	p->ctl_len = ctl_bytes(p->ring_size, p->nslots, inline_max);
	if (p->backing == IPCOFF_POOL_BACKING_SHM)
		data_len = p->slot_size * p->nslots;

	p->memfd = memfd_create("ipcoff-pool", MFD_CLOEXEC);
	if (p->memfd < 0) {
		ret = -errno;
		goto err;
	}
	p->map_len = p->ctl_len + data_len;
	if (ftruncate(p->memfd, (off_t)p->map_len)) {
		ret = -errno;
		goto err;
	}
	p->map = mmap(NULL, p->map_len, PROT_READ | PROT_WRITE, MAP_SHARED,
		      p->memfd, 0);
	if (p->map == MAP_FAILED) {
		p->map = NULL;
		ret = -errno;
		goto err;
	}
	p->ctl = (struct pool_ctl *)(void *)p->map;
	if (inline_max)
		p->inl = p->map + ctl_head_bytes(p->ring_size);
	if (p->backing == IPCOFF_POOL_BACKING_SHM) {
		for (i = 0; i < p->nslots; i++)
			p->data[i] = p->map + p->ctl_len + i * p->slot_size;
	} else {
		/* Only the control part stays mapped from the memfd. */
		p->map = NULL;
		ret = pool_alloc_buffers(p, a);
		if (ret)
			goto err;
	}
	p->ctl->version = POOL_VERSION;
	p->ctl->backing = p->backing;
	p->ctl->nslots = p->nslots;
	p->ctl->ring_size = p->ring_size;
	p->ctl->slot_size = p->slot_size;
	p->ctl->inline_max = p->inline_max;
	__atomic_store_n(&p->ctl->magic, POOL_MAGIC, __ATOMIC_RELEASE);
	*out = p;
	return 0;
err:
	pool_free(p);
	return ret;
}

int ipcoff_pool_create(const struct ipcoff_pool_attr *a,
		       struct ipcoff_pool **out)
{
	return pool_create_inline(a, 0, out);
}

static int send_hello(int sock, const struct pool_hello *h, const int *fds,
		      unsigned int nfds)
{
	union {
		struct cmsghdr hdr;
		char b[CMSG_SPACE(sizeof(int) * (IPCOFF_POOL_MAX_SLOTS + 1))];
	} u;
	struct iovec iov = { .iov_base = (void *)h, .iov_len = sizeof(*h) };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
	struct cmsghdr *cm;
	ssize_t n;

	memset(&u, 0, sizeof(u));
	mh.msg_control = u.b;
	mh.msg_controllen = CMSG_SPACE(sizeof(int) * nfds);
	cm = CMSG_FIRSTHDR(&mh);
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int) * nfds);
	memcpy(CMSG_DATA(cm), fds, sizeof(int) * nfds);
	do {
		n = sendmsg(sock, &mh, MSG_NOSIGNAL);
	} while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	return (size_t)n == sizeof(*h) ? 0 : -EIO;
}

int ipcoff_pool_add_consumer(struct ipcoff_pool *p, int sock, uint64_t cookie)
{
	int fds[IPCOFF_POOL_MAX_SLOTS + 1];
	struct pool_hello h;
	struct ucred cred;
	socklen_t cl = sizeof(cred);
	unsigned int i, nfds = 0;
	int idx = -1, ret;

	if (!p || !p->producer || sock < 0)
		return -EINVAL;
	for (i = 0; i < IPCOFF_POOL_MAX_CONSUMERS && idx < 0; i++)
		if (p->cons[i].sock < 0)
			idx = (int)i;
	if (idx < 0)
		return -EUSERS;
	/*
	 * A consumer of another uid reads the slots with COPY from its own
	 * context (channels do): that needs a grant. Mappings need none.
	 */
	if (p->backing == IPCOFF_POOL_BACKING_IPCOFF &&
	    !getsockopt(sock, SOL_SOCKET, SO_PEERCRED, &cred, &cl) &&
	    cred.uid != geteuid() &&
	    ipcoff_has_feature(&p->ipc, IPCOFF_FEAT_GRANT)) {
		for (i = 0; i < p->nslots; i++)
			ipcoff_grant(&p->ipc, p->handle[i], cred.uid,
				     IPCOFF_ACCESS_READ);
	}

	memset(&h, 0, sizeof(h));
	h.magic = POOL_MAGIC;
	h.version = POOL_VERSION;
	h.backing = p->backing;
	h.nslots = p->nslots;
	h.index = (uint32_t)idx;
	h.slot_size = p->slot_size;
	h.ctl_len = p->ctl_len;
	h.data_off = p->ctl_len;
	h.ring_size = p->ring_size;
	h.cookie = cookie;
	h.inline_max = p->inline_max;
	fds[nfds++] = p->memfd;
	if (p->backing == IPCOFF_POOL_BACKING_IPCOFF) {
		for (i = 0; i < p->nslots; i++) {
			h.handle[i] = p->handle[i];
			fds[nfds++] = p->efd[i];
		}
	}
	h.nfds = nfds;
	/* Its bit is in every publication from the one it starts at on. */
	__atomic_store_n(&p->ctl->cons[idx].armed, 0, __ATOMIC_RELAXED);
	h.cursor = p->published;
	ret = send_hello(sock, &h, fds, nfds);
	if (ret)
		return ret;
	p->attached |= 1ULL << idx;
	p->ever = true;
	p->cons[idx].sock = sock;
	if (p->epfd >= 0) {
		struct epoll_event ev = { .events = EPOLLIN };

		epoll_ctl(p->epfd, EPOLL_CTL_ADD, sock, &ev);
	}
	return idx;
}

static void pool_detach(struct ipcoff_pool *p, unsigned int idx)
{
	uint64_t bit = 1ULL << idx;
	unsigned int i;

	p->attached &= ~bit;
	/* Nobody publishes to it any more; now give back what it held. */
	for (i = 0; i < p->nslots; i++) {
		uint64_t old = __atomic_fetch_and(&p->ctl->slot[i].claim, ~bit,
						  __ATOMIC_ACQ_REL);

		if (old & bit)
			p->recovered++;
	}
	__atomic_store_n(&p->ctl->cons[idx].armed, 0, __ATOMIC_RELAXED);
	if (p->epfd >= 0)
		epoll_ctl(p->epfd, EPOLL_CTL_DEL, p->cons[idx].sock, NULL);
	close(p->cons[idx].sock);
	p->cons[idx].sock = -1;
}

void pool_check_consumers(struct ipcoff_pool *p)
{
	struct pollfd pfd[IPCOFF_POOL_MAX_CONSUMERS];
	unsigned int idx[IPCOFF_POOL_MAX_CONSUMERS];
	unsigned int i, n = 0;

	for (i = 0; i < IPCOFF_POOL_MAX_CONSUMERS; i++) {
		if (p->cons[i].sock < 0)
			continue;
		pfd[n].fd = p->cons[i].sock;
		pfd[n].events = POLLIN;
		pfd[n].revents = 0;
		idx[n++] = i;
	}
	if (!n || poll(pfd, n, 0) <= 0)
		return;
	for (i = 0; i < n; i++) {
		if (!pfd[i].revents)
			continue;
		if ((pfd[i].revents & (POLLHUP | POLLERR)) ||
		    drain_sock(pfd[i].fd))
			pool_detach(p, idx[i]);
	}
}

/* Claims all given back: the slot is the producer's again. */
static void collect_free(struct ipcoff_pool *p)
{
	unsigned int i;

	for (i = 0; i < p->nslots; i++)
		if (p->state[i] == S_PUBLISHED && !ld64(&p->ctl->slot[i].claim))
			p->state[i] = S_FREE;
}

static void publish(struct ipcoff_pool *p, unsigned int slot)
{
	struct pool_ctl *c = p->ctl;
	struct pool_pub *e = &c->ring[p->published & (p->ring_size - 1)];
	uint64_t mask = p->attached;
	unsigned int i;

	c->slot[slot].len = p->slot_len[slot];
	c->slot[slot].seq = p->slot_seq[slot];
	__atomic_store_n(&c->slot[slot].claim, mask, __ATOMIC_RELEASE);
	e->slot = slot;
	e->flags = p->slot_inline[slot] ? PUB_INLINE : 0;
	e->len = p->slot_len[slot];
	e->seq = p->slot_seq[slot];
	__atomic_store_n(&e->pos, p->published + 1, __ATOMIC_RELEASE);
	p->published++;
	p->state[slot] = mask ? S_PUBLISHED : S_FREE;
	/* seq_cst: ordered before the sleeper count's load. */
	__atomic_fetch_add(&c->pub_word, 1, __ATOMIC_SEQ_CST);
	if (__atomic_load_n(&c->cons_sleepers, __ATOMIC_SEQ_CST))
		futex_wake_only(&c->pub_word, INT_MAX);
	for (i = 0; i < IPCOFF_POOL_MAX_CONSUMERS; i++)
		if ((mask & (1ULL << i)) && ld32(&c->cons[i].armed))
			ring_bell(p->cons[i].sock);
}

/* Publish what is done, in submission order; a failed copy is dropped. */
static void publish_ready(struct ipcoff_pool *p)
{
	while (p->fifo_n) {
		unsigned int s = p->fifo[p->fifo_head];

		if (p->state[s] == S_DONE) {
			publish(p, s);
		} else if (p->state[s] == S_FAILED) {
			if (!p->error)
				p->error = p->slot_err[s];
			p->state[s] = S_FREE;
		} else {
			break;
		}
		p->fifo_head = (p->fifo_head + 1) % IPCOFF_POOL_MAX_SLOTS;
		p->fifo_n--;
	}
}

/* Take every completion entry there is. */
static int reap(struct ipcoff_pool *p)
{
	struct ipcoff_cqe *c;
	int n = 0;

	if (p->backing != IPCOFF_POOL_BACKING_IPCOFF)
		return 0;
	while ((c = ipcoff_ring_peek(&p->ring))) {
		unsigned int s = (unsigned int)(c->user_data & 0xff);

		if (s >= p->nslots || p->state[s] != S_INFLIGHT ||
		    (c->user_data >> 8) != p->slot_seq[s]) {
			ipcoff_ring_advance(&p->ring, 1);
			return -EPROTO;
		}
		if (c->result < 0 && !p->slot_err[s])
			p->slot_err[s] = (int)c->result;
		if (!--p->parts_left[s]) {
			p->state[s] = p->slot_err[s] ? S_FAILED : S_DONE;
			p->inflight--;
		}
		ipcoff_ring_advance(&p->ring, 1);
		n++;
	}
	if (n)
		publish_ready(p);
	return n;
}

static int take_error(struct ipcoff_pool *p)
{
	int e = p->error;

	p->error = 0;
	return e;
}

int ipcoff_pool_progress(struct ipcoff_pool *p)
{
	uint64_t before;
	int ret;

	if (!p || !p->producer)
		return -EINVAL;
	before = p->published;
	pool_check_consumers(p);
	ret = reap(p);
	if (ret < 0)
		return ret;
	collect_free(p);
	ret = take_error(p);
	return ret ? ret : (int)(p->published - before);
}

/* Wait for one completion entry, then reap. */
static int wait_completion(struct ipcoff_pool *p, int64_t deadline)
{
	struct ipcoff_cqe *c;
	int64_t left = deadline < 0 ? POOL_COMPLETION_NS :
		       deadline - mono_now_ns();
	int ret;

	if (left < 0)
		left = 0;
	ret = ipcoff_wait_cqe(&p->ipc, &p->ring, left, &c);
	if (ret)
		return ret;
	ret = reap(p);
	return ret < 0 ? ret : 0;
}

static int find_free(struct ipcoff_pool *p)
{
	unsigned int i;

	collect_free(p);
	for (i = 0; i < p->nslots; i++)
		if (p->state[i] == S_FREE)
			return (int)i;
	return -1;
}

/*
 * Poll @ready(@arg) for up to POOL_SPIN_NS (not past @deadline), reading
 * the clock once a batch. Inline, so each caller's test is inlined too.
 */
static inline bool spin_until(bool (*ready)(const void *arg), const void *arg,
			      int64_t deadline)
{
	int64_t now = mono_now_ns(), end = now + POOL_SPIN_NS;
	unsigned int i;

	if (deadline >= 0 && deadline < end)
		end = deadline;
	while (now < end) {
		for (i = 0; i < POOL_SPIN_BATCH; i++) {
			if (ready(arg))
				return true;
			cpu_relax();
		}
		now = mono_now_ns();
	}
	return false;
}

struct rel_seen {
	const struct pool_ctl *c;
	uint32_t seen;
};

static bool released(const void *arg)
{
	const struct rel_seen *r = arg;

	return ld32(&r->c->rel_word) != r->seen;
}

/* The release word moving on means a slot may be free: poll it a while. */
static bool spin_release(struct pool_ctl *c, uint32_t seen, int64_t deadline)
{
	struct rel_seen r = { c, seen };

	return spin_until(released, &r, deadline);
}

int ipcoff_pool_acquire(struct ipcoff_pool *p, int64_t timeout_ns,
			unsigned int *slot)
{
	int64_t deadline = deadline_of(timeout_ns);
	struct pool_ctl *c;
	bool spun = false;
	int s, ret;

	if (!p || !p->producer || !slot)
		return -EINVAL;
	c = p->ctl;
	for (;;) {
		uint32_t seen = ld32(&c->rel_word);
		int64_t ns;

		ret = reap(p);
		if (ret < 0)
			return ret;
		s = find_free(p);
		if (s >= 0) {
			p->state[s] = S_ACQUIRED;
			*slot = (unsigned int)s;
			return 0;
		}
		pool_check_consumers(p);
		if (find_free(p) >= 0)
			continue;
		ns = slice_ns(deadline);
		if (!ns)
			return timeout_ns ? -ETIMEDOUT : -EAGAIN;
		/*
		 * Copies in flight end in a completion (and a publication);
		 * wait for that a slice at a time, releases being seen
		 * between slices.
		 */
		if (p->inflight) {
			struct ipcoff_cqe *cqe;

			ret = ipcoff_wait_cqe(&p->ipc, &p->ring, ns, &cqe);
			if (ret && ret != -ETIMEDOUT)
				return ret;
			continue;
		}
		if (!spun) {
			spun = true;
			if (spin_release(c, seen, deadline))
				continue;
		}
		__atomic_store_n(&c->prod_sleepers, 1, __ATOMIC_SEQ_CST);
		if (find_free(p) < 0)
			ipcoff_futex_wait(&c->rel_word, seen, ns);
		__atomic_store_n(&c->prod_sleepers, 0, __ATOMIC_RELAXED);
	}
}

void pool_unacquire(struct ipcoff_pool *p, unsigned int slot)
{
	if (slot < p->nslots && p->state[slot] == S_ACQUIRED)
		p->state[slot] = S_FREE;
}

void *ipcoff_pool_slot(struct ipcoff_pool *p, unsigned int slot)
{
	if (!p || slot >= p->nslots)
		return NULL;
	return p->data[slot];
}

/* The shm backing's copy: the caller's iovecs into the slot. */
static int shm_copy(struct ipcoff_pool *p, unsigned int slot,
		    const struct ipcoff_endpoint *src, uint64_t len)
{
	const struct ipcoff_iovec *iov;
	uint8_t *dst = p->data[slot];
	uint64_t done = 0;
	uint32_t i;

	if (src->type != IPCOFF_EP_IOVEC)
		return -EOPNOTSUPP;
	iov = (const struct ipcoff_iovec *)(uintptr_t)src->iov;
	if (!iov || !src->iov_cnt || src->iov_cnt > IPCOFF_IOV_MAX)
		return -EINVAL;
	for (i = 0; i < src->iov_cnt && done < len; i++) {
		uint64_t n = iov[i].len < len - done ? iov[i].len : len - done;

		memcpy(dst + done, (const void *)(uintptr_t)iov[i].base, n);
		done += n;
	}
	return done == len ? 0 : -EINVAL;
}

/* A small copy, waited for: the ioctl's return is its completion. */
static int copy_now(struct ipcoff_pool *p, unsigned int slot,
		    struct ipcoff_copy *r)
{
	uint64_t len = r->len;
	int ret = ipcoff_copy(&p->ipc, r);

	if (ret)
		return ret;
	if (r->copied != len)
		return -EIO;
	/* Done in the kernel: publishable in submission order. */
	p->state[slot] = S_DONE;
	return 0;
}

/* A copy in flight: its completion entry, reaped later, publishes it. */
static int submit_async(struct ipcoff_pool *p, unsigned int slot,
			struct ipcoff_copy *r)
{
	uint32_t parts = 1;
	int ret;

	r->user_data = (p->next_seq << 8) | slot;
	/* Async-Pipe: one completion per chunk_size piece. */
	if (r->flags & IPCOFF_COPY_CHUNKED) {
		if (!p->chunk)
			return -EINVAL;
		r->chunk_size = p->chunk;
		parts = (uint32_t)((r->len + p->chunk - 1) / p->chunk);
	}
	for (;;) {
		if (r->flags & (IPCOFF_COPY_INJECT | IPCOFF_COPY_CACHE_CLWB))
			ret = ipcoff_submit_inject(&p->ipc, r);
		else
			ret = ipcoff_submit(&p->ipc, r, 1);
		if (ret != -EAGAIN || !p->inflight)
			break;
		/* The ring is full of our own entries: make room. */
		ret = wait_completion(p, -1);
		if (ret)
			return ret;
	}
	if (ret < 0)
		return ret;
	if (ret != 1)
		return -EPROTO;
	p->parts_left[slot] = parts;
	p->state[slot] = S_INFLIGHT;
	p->inflight++;
	return 0;
}

int ipcoff_pool_submit(struct ipcoff_pool *p, unsigned int slot,
		       const struct ipcoff_endpoint *src, uint64_t len,
		       uint32_t copy_flags)
{
	struct ipcoff_copy r;
	int ret;

	if (!p || !p->producer || slot >= p->nslots || !src ||
	    len > p->slot_size || p->state[slot] != S_ACQUIRED ||
	    (copy_flags & (IPCOFF_COPY_LINK | IPCOFF_COPY_MOVE)))
		return -EINVAL;
	ret = take_error(p);
	if (ret)
		return ret;
	p->slot_len[slot] = len;
	p->slot_seq[slot] = p->next_seq;
	p->slot_err[slot] = 0;
	p->slot_inline[slot] = false;

	if (!len) {
		/* Nothing to copy, no completion to wait for. */
		p->state[slot] = S_DONE;
	} else if (p->backing == IPCOFF_POOL_BACKING_SHM) {
		ret = shm_copy(p, slot, src, len);
		if (ret)
			return ret;
		p->state[slot] = S_DONE;
	} else {
		memset(&r, 0, sizeof(r));
		r.src = *src;
		ipcoff_ep_region(&r.dst, p->handle[slot], 0);
		r.len = len;
		r.engine = p->engine;
		r.flags = copy_flags;
		ret = len <= POOL_SYNC_MAX &&
		      !(copy_flags & (IPCOFF_COPY_CHUNKED | IPCOFF_COPY_INJECT)) ?
		      copy_now(p, slot, &r) : submit_async(p, slot, &r);
		if (ret)
			return ret;
	}
	p->next_seq++;
	p->fifo[(p->fifo_head + p->fifo_n) % IPCOFF_POOL_MAX_SLOTS] =
		(uint8_t)slot;
	p->fifo_n++;
	publish_ready(p);
	return 0;
}

int pool_submit_inline(struct ipcoff_pool *p, unsigned int slot,
		       const struct iovec *iov, int iovcnt, size_t len)
{
	uint8_t *dst;
	size_t done = 0;
	int i, ret;

	if (slot >= p->nslots || len > p->inline_max ||
	    p->state[slot] != S_ACQUIRED)
		return -EINVAL;
	ret = take_error(p);
	if (ret)
		return ret;
	dst = p->inl + slot * inline_stride(p->inline_max);
	for (i = 0; i < iovcnt; i++) {
		if (iov[i].iov_len > len - done)
			return -EINVAL;
		memcpy(dst + done, iov[i].iov_base, iov[i].iov_len);
		done += iov[i].iov_len;
	}
	if (done != len)
		return -EINVAL;
	p->slot_len[slot] = len;
	p->slot_seq[slot] = p->next_seq++;
	p->slot_err[slot] = 0;
	p->slot_inline[slot] = true;
	/* memcpy is its own completion: publishable at once, in order. */
	p->state[slot] = S_DONE;
	p->fifo[(p->fifo_head + p->fifo_n) % IPCOFF_POOL_MAX_SLOTS] =
		(uint8_t)slot;
	p->fifo_n++;
	publish_ready(p);
	return 0;
}

bool pool_msg_inline(const struct ipcoff_pool *p,
		     const struct ipcoff_pool_msg *m)
{
	const uint8_t *d = m->data;

	return p->inl && d >= p->inl &&
	       d < p->inl + p->nslots * inline_stride(p->inline_max);
}

size_t pool_inline_max(const struct ipcoff_pool *p)
{
	return p->inline_max;
}

int ipcoff_pool_flush(struct ipcoff_pool *p, int64_t timeout_ns)
{
	int64_t deadline = deadline_of(timeout_ns);
	int ret;

	if (!p || !p->producer)
		return -EINVAL;
	while (p->inflight) {
		ret = reap(p);
		if (ret < 0)
			return ret;
		if (!p->inflight)
			break;
		if (!timeout_ns)
			return -EAGAIN;
		ret = wait_completion(p, deadline);
		if (ret)
			return ret;
	}
	publish_ready(p);
	collect_free(p);
	return take_error(p);
}

/* ------------------------------------------------------------------ */
/* Consumer                                                            */

static int recv_hello(int sock, struct pool_hello *h, int *fds,
		      unsigned int *nfds)
{
	union {
		struct cmsghdr hdr;
		char b[CMSG_SPACE(sizeof(int) * (IPCOFF_POOL_MAX_SLOTS + 1))];
	} u;
	struct iovec iov = { .iov_base = h, .iov_len = sizeof(*h) };
	struct msghdr mh = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = u.b, .msg_controllen = sizeof(u.b),
	};
	struct cmsghdr *cm;
	ssize_t n;

	*nfds = 0;
	do {
		n = recvmsg(sock, &mh, MSG_CMSG_CLOEXEC);
	} while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	for (cm = CMSG_FIRSTHDR(&mh); cm; cm = CMSG_NXTHDR(&mh, cm)) {
		if (cm->cmsg_level == SOL_SOCKET &&
		    cm->cmsg_type == SCM_RIGHTS) {
			unsigned int k = (unsigned int)((cm->cmsg_len -
						CMSG_LEN(0)) / sizeof(int));

			if (*nfds + k > IPCOFF_POOL_MAX_SLOTS + 1)
				k = IPCOFF_POOL_MAX_SLOTS + 1 - *nfds;
			memcpy(fds + *nfds, CMSG_DATA(cm), k * sizeof(int));
			*nfds += k;
		}
	}
	if (n == 0)
		return -ECONNRESET;
	if ((mh.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) ||
	    (size_t)n != sizeof(*h))
		return -EPROTO;
	return 0;
}

int ipcoff_pool_attach(int sock, struct ipcoff_pool **out, uint64_t *cookie)
{
	int fds[IPCOFF_POOL_MAX_SLOTS + 1];
	struct pool_hello h;
	struct ipcoff_pool *p;
	unsigned int nfds = 0, i;
	int ret;

	*out = NULL;
	if (sock < 0)
		return -EINVAL;
	p = pool_new();
	if (!p)
		return -ENOMEM;
	ret = recv_hello(sock, &h, fds, &nfds);
	if (ret)
		goto out;
	ret = -EPROTO;
	if (h.magic != POOL_MAGIC || h.version != POOL_VERSION ||
	    !h.nslots || h.nslots > IPCOFF_POOL_MAX_SLOTS ||
	    h.index >= IPCOFF_POOL_MAX_CONSUMERS || h.nfds != nfds ||
	    !h.ring_size || (h.ring_size & (h.ring_size - 1)) ||
	    h.ring_size < h.nslots || h.inline_max > h.slot_size ||
	    h.ctl_len != ctl_bytes(h.ring_size, h.nslots, h.inline_max) ||
	    !h.slot_size || h.slot_size != page_round(h.slot_size))
		goto out;
	if (h.backing == IPCOFF_POOL_BACKING_IPCOFF ?
	    nfds != h.nslots + 1 :
	    h.backing != IPCOFF_POOL_BACKING_SHM || nfds != 1)
		goto out;
	p->backing = h.backing;
	p->nslots = h.nslots;
	p->slot_size = h.slot_size;
	p->ring_size = h.ring_size;
	p->ctl_len = h.ctl_len;
	p->inline_max = h.inline_max;
	p->me = h.index;
	p->cursor = h.cursor;
	p->ctl = mmap(NULL, p->ctl_len, PROT_READ | PROT_WRITE, MAP_SHARED,
		      fds[0], 0);
	if (p->ctl == MAP_FAILED) {
		p->ctl = NULL;
		ret = -errno;
		goto out;
	}
	if (ld64(&p->ctl->magic) != POOL_MAGIC ||
	    p->ctl->nslots != p->nslots || p->ctl->ring_size != p->ring_size ||
	    p->ctl->inline_max != p->inline_max) {
		ret = -EPROTO;
		goto out;
	}
	if (p->inline_max)
		p->inl = (uint8_t *)p->ctl + ctl_head_bytes(p->ring_size);
	for (i = 0; i < p->nslots; i++) {
		int fd = h.backing == IPCOFF_POOL_BACKING_SHM ? fds[0] :
			 fds[i + 1];
		off_t off = h.backing == IPCOFF_POOL_BACKING_SHM ?
			    (off_t)(h.data_off + i * h.slot_size) : 0;
		void *m = mmap(NULL, p->slot_size, PROT_READ, MAP_SHARED, fd,
			       off);

		if (m == MAP_FAILED) {
			ret = -errno;
			goto out;
		}
		p->data[i] = m;
		p->handle[i] = h.backing == IPCOFF_POOL_BACKING_IPCOFF ?
			       h.handle[i] : 0;
	}
	p->sock = sock;
	if (cookie)
		*cookie = h.cookie;
	*out = p;
	ret = 0;
out:
	for (i = 0; i < nfds; i++)
		close(fds[i]);
	if (ret) {
		p->sock = -1;
		pool_free(p);
	}
	return ret;
}

int pool_producer_state(struct ipcoff_pool *p)
{
	if (p->gone)
		return p->gone;
	if (ld32(&p->ctl->closed))
		p->gone = -EPIPE;
	else if (drain_sock(p->sock))
		p->gone = ld32(&p->ctl->closed) ? -EPIPE : -ECONNRESET;
	return p->gone;
}

/* The next publication for this consumer, if there is one. */
static bool take_pub(struct ipcoff_pool *p, struct ipcoff_pool_msg *m)
{
	struct pool_pub *e = &p->ctl->ring[p->cursor & (p->ring_size - 1)];

	while (ld64(&e->pos) == p->cursor + 1) {
		unsigned int s = e->slot;
		uint32_t flags = e->flags;
		uint64_t len = e->len, seq = e->seq;

		/* The entry could have been reused if we were detached. */
		if (ld64(&e->pos) != p->cursor + 1)
			break;
		p->cursor++;
		if (s >= p->nslots || len > p->slot_size ||
		    ((flags & PUB_INLINE) && len > p->inline_max) ||
		    !(ld64(&p->ctl->slot[s].claim) & (1ULL << p->me)))
			continue;
		m->slot = s;
		m->pad = 0;
		m->len = len;
		m->seq = seq;
		m->data = (flags & PUB_INLINE) ?
			  p->inl + s * inline_stride(p->inline_max) :
			  p->data[s];
		p->published++;
		return true;
	}
	return false;
}

/*
 * Poll the next ring entry for a while before a futex sleep: a producer
 * that memcpy'd a small message publishes within microseconds, and a
 * FUTEX_WAIT/WAKE pair costs more than that. Bounded, like
 * ipcoff_wait_cqe()'s polling, so an idle consumer still sleeps.
 */
static bool published(const void *arg)
{
	const struct ipcoff_pool *p = arg;
	const uint64_t *pos = &p->ctl->ring[p->cursor & (p->ring_size - 1)].pos;

	return ld64(pos) == p->cursor + 1 || ld32(&p->ctl->closed);
}

static bool spin_pub(struct ipcoff_pool *p, int64_t deadline)
{
	return spin_until(published, p, deadline);
}

int ipcoff_pool_receive(struct ipcoff_pool *p, int64_t timeout_ns,
			struct ipcoff_pool_msg *m)
{
	int64_t deadline = deadline_of(timeout_ns);
	struct pool_ctl *c;
	bool spun = false;
	int ret;

	if (!p || p->producer || !m)
		return -EINVAL;
	c = p->ctl;
	for (;;) {
		uint32_t seen = ld32(&c->pub_word);
		int64_t ns;

		/*
		 * The producer's buffers go with its context: never hand out
		 * one of them after it left. Memfd slots stay readable.
		 */
		if (p->backing == IPCOFF_POOL_BACKING_IPCOFF && p->gone)
			return p->gone;
		if (take_pub(p, m))
			return 0;
		/* Polling first: the socket's look costs a syscall. */
		if (!spun && timeout_ns) {
			spun = true;
			if (spin_pub(p, deadline))
				continue;
		}
		ret = pool_producer_state(p);
		if (ret)
			return ret;
		ns = slice_ns(deadline);
		if (!ns)
			return timeout_ns ? -ETIMEDOUT : -EAGAIN;
		__atomic_fetch_add(&c->cons_sleepers, 1, __ATOMIC_SEQ_CST);
		if (ld64(&c->ring[p->cursor & (p->ring_size - 1)].pos) !=
		    p->cursor + 1)
			ipcoff_futex_wait(&c->pub_word, seen, ns);
		__atomic_fetch_sub(&c->cons_sleepers, 1, __ATOMIC_SEQ_CST);
	}
}

int ipcoff_pool_release(struct ipcoff_pool *p, unsigned int slot)
{
	uint64_t bit, old;
	struct pool_ctl *c;

	if (!p || p->producer || slot >= p->nslots)
		return -EINVAL;
	c = p->ctl;
	bit = 1ULL << p->me;
	old = __atomic_fetch_and(&c->slot[slot].claim, ~bit, __ATOMIC_ACQ_REL);
	if (!(old & bit))
		return -ENOENT;
	if (old == bit) {
		/* The last claim: the producer may be waiting for a slot. */
		__atomic_fetch_add(&c->rel_word, 1, __ATOMIC_SEQ_CST);
		if (__atomic_load_n(&c->prod_sleepers, __ATOMIC_SEQ_CST))
			futex_wake_only(&c->rel_word, 1);
		if (ld32(&c->prod_armed))
			ring_bell(p->sock);
	}
	return 0;
}

/* ------------------------------------------------------------------ */
/* Both sides                                                          */

int ipcoff_pool_fd(struct ipcoff_pool *p)
{
	struct epoll_event ev = { .events = EPOLLIN };
	unsigned int i;

	if (!p)
		return -EINVAL;
	if (!p->producer) {
		__atomic_store_n(&p->ctl->cons[p->me].armed, 1,
				 __ATOMIC_SEQ_CST);
		return p->sock;
	}
	if (p->epfd >= 0)
		return p->epfd;
	p->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (p->epfd < 0)
		return -errno;
	if (p->ipc.fd >= 0 &&
	    epoll_ctl(p->epfd, EPOLL_CTL_ADD, p->ipc.fd, &ev))
		goto err;
	for (i = 0; i < IPCOFF_POOL_MAX_CONSUMERS; i++)
		if (p->cons[i].sock >= 0 &&
		    epoll_ctl(p->epfd, EPOLL_CTL_ADD, p->cons[i].sock, &ev))
			goto err;
	__atomic_store_n(&p->ctl->prod_armed, 1, __ATOMIC_SEQ_CST);
	return p->epfd;
err:
	i = (unsigned int)errno;
	close(p->epfd);
	p->epfd = -1;
	return -(int)i;
}

int ipcoff_pool_info(struct ipcoff_pool *p, struct ipcoff_pool_info *info)
{
	unsigned int i;

	if (!p || !info)
		return -EINVAL;
	memset(info, 0, sizeof(*info));
	info->backing = p->backing;
	info->slots = p->nslots;
	info->slot_size = p->slot_size;
	info->consumer = p->producer ? -1 : (int)p->me;
	info->published = p->published;
	info->recovered = p->recovered;
	if (p->producer) {
		collect_free(p);
		info->consumers = (unsigned int)__builtin_popcountll(p->attached);
		for (i = 0; i < p->nslots; i++)
			info->free_slots += p->state[i] == S_FREE;
	}
	return 0;
}

uint64_t pool_slot_handle(const struct ipcoff_pool *p, unsigned int slot)
{
	return slot < p->nslots ? p->handle[slot] : 0;
}

unsigned int pool_consumers(const struct ipcoff_pool *p, bool *ever)
{
	if (ever)
		*ever = p->ever;
	return (unsigned int)__builtin_popcountll(p->attached);
}

struct ipcoff *pool_ipc(struct ipcoff_pool *p)
{
	return p->ipc.fd >= 0 ? &p->ipc : NULL;
}

void ipcoff_pool_close(struct ipcoff_pool *p)
{
	if (!p)
		return;
	if (p->producer && p->ctl && p->owner == getpid()) {
		/* Wake every sleeper: they find the flag and leave. */
		__atomic_store_n(&p->ctl->closed, 1, __ATOMIC_SEQ_CST);
		__atomic_fetch_add(&p->ctl->pub_word, 1, __ATOMIC_SEQ_CST);
		futex_wake_only(&p->ctl->pub_word, INT_MAX);
	}
	pool_free(p);
}
