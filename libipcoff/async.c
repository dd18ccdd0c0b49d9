// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * libipcoff: asynchronous copies. SUBMIT starts copies; each posts an entry
 * on the context's completion ring, which the program maps and reads.
 *
 * The ring protocol (uapi/linux/ipcoff.h, struct ipcoff_ring_setup): the
 * kernel writes an entry, then publishes it by storing the tail with
 * release semantics and counts it in the 64-bit "completed" word; the
 * program reads the tail with acquire semantics, reads the entries from its
 * head up to the tail, then stores the new head with release semantics so
 * the kernel never reuses a slot still being read. Indices are free-running
 * 32-bit counters: tail - head is the number of ready entries even after
 * they wrap.
 *
 * "Data arrived" entries of NOTIFY regions may find the ring full; they
 * then wait in a kernel list, the ring's flags word says
 * IPCOFF_RING_OVERFLOW, and they are already counted in "completed". WAIT
 * and poll move them into the ring; ipcoff_wait_cqe() does that before it
 * decides to sleep, else it would sleep with entries it could read.
 */
#include <assert.h>
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#include <ipcoff.h>

#include "internal.h"

static_assert(sizeof(struct ipcoff_cqe) == 64, "struct ipcoff_cqe size");
static_assert(sizeof(struct ipcoff_ring_setup) == IPCOFF_RING_SETUP_SIZE_VER0,
	      "struct ipcoff_ring_setup size");
static_assert(sizeof(struct ipcoff_submit) == IPCOFF_SUBMIT_SIZE_VER0,
	      "struct ipcoff_submit size");
static_assert(sizeof(struct ipcoff_wait) == IPCOFF_WAIT_SIZE_VER0,
	      "struct ipcoff_wait size");
static_assert(sizeof(struct ipcoff_eventfd) == IPCOFF_EVENTFD_SIZE_VER0,
	      "struct ipcoff_eventfd size");

/* How long ipcoff_wait_cqe() polls the ring before it sleeps in WAIT. */
#define WAIT_CQE_SPIN_NS	20000
/* Ring polls between two looks at the clock while spinning. */
#define WAIT_CQE_SPIN_BATCH	32

/* A word of @len bytes at @off, aligned to @len, inside @map_len bytes. */
static bool word_fits(uint32_t off, uint32_t len, uint32_t map_len)
{
	return !(off % len) && (uint64_t)off + len <= map_len;
}

/* The layout RING_SETUP answered is one this library can use safely. */
static bool layout_ok(const struct ipcoff_ring_setup *rs, uint32_t entries)
{
	uint64_t cqes_end = (uint64_t)rs->cqes_off +
			    (uint64_t)entries * sizeof(struct ipcoff_cqe);

	return word_fits(rs->head_off, 4, rs->mmap_len) &&
	       word_fits(rs->tail_off, 4, rs->mmap_len) &&
	       word_fits(rs->flags_off, 4, rs->mmap_len) &&
	       word_fits(rs->completed_off, 8, rs->mmap_len) &&
	       !(rs->cqes_off % 8) && cqes_end <= rs->mmap_len;
}

static void ring_clear(struct ipcoff_ring *ring)
{
	memset(ring, 0, sizeof(*ring));
	ring->fd = -1;
}

int ipcoff_ring_init(struct ipcoff *ipc, unsigned int entries,
		     struct ipcoff_ring *ring)
{
	struct ipcoff_ring_setup rs = { .entries = entries };
	unsigned char *map;
	int ret;

	ring_clear(ring);
	ret = need_features(ipc, IPCOFF_FEAT_ASYNC);
	if (ret)
		return ret;
	ret = do_ioctl(ipc, IPCOFF_IOC_RING_SETUP, &rs);
	if (ret)
		return ret;
	/* The module checked entries; a layout it cannot mean is refused. */
	if (entries < IPCOFF_RING_MIN_ENTRIES || (entries & (entries - 1)) ||
	    !layout_ok(&rs, entries))
		return -EPROTO;

	map = mmap(NULL, rs.mmap_len, PROT_READ | PROT_WRITE, MAP_SHARED,
		   ipc->fd, 0);
	if (map == MAP_FAILED)
		return -errno;

	ring->cqes = (struct ipcoff_cqe *)(void *)(map + rs.cqes_off);
	ring->khead = (uint32_t *)(void *)(map + rs.head_off);
	ring->ktail = (const uint32_t *)(void *)(map + rs.tail_off);
	ring->kflags = (const uint32_t *)(void *)(map + rs.flags_off);
	ring->kcompleted = (const uint64_t *)(void *)(map + rs.completed_off);
	ring->entries = entries;
	ring->mask = entries - 1;
	ring->map = map;
	ring->map_len = rs.mmap_len;
	ring->fd = ipc->fd;
	return 0;
}

void ipcoff_ring_fini(struct ipcoff_ring *ring)
{
	if (ring->map)
		munmap(ring->map, ring->map_len);
	ring_clear(ring);
}

struct ipcoff_cqe *ipcoff_ring_peek(struct ipcoff_ring *ring)
{
	/* Acquire: the entry's bytes are read after the tail that shows it. */
	uint32_t tail = __atomic_load_n(ring->ktail, __ATOMIC_ACQUIRE);
	uint32_t head = __atomic_load_n(ring->khead, __ATOMIC_RELAXED);

	if (head == tail)
		return NULL;
	return &ring->cqes[head & ring->mask];
}

unsigned int ipcoff_ring_ready(struct ipcoff_ring *ring)
{
	uint32_t tail = __atomic_load_n(ring->ktail, __ATOMIC_ACQUIRE);
	uint32_t head = __atomic_load_n(ring->khead, __ATOMIC_RELAXED);

	return tail - head;
}

void ipcoff_ring_advance(struct ipcoff_ring *ring, unsigned int n)
{
	uint32_t head = __atomic_load_n(ring->khead, __ATOMIC_RELAXED);

	/* Release: the entries are read before the kernel may reuse them. */
	__atomic_store_n(ring->khead, head + (uint32_t)n, __ATOMIC_RELEASE);
}

uint64_t ipcoff_ring_completed(struct ipcoff_ring *ring)
{
	return __atomic_load_n(ring->kcompleted, __ATOMIC_ACQUIRE);
}

/* SUBMIT of @count requests, each @size bytes long (the caller's struct). */
static int submit_sized(struct ipcoff *ipc, struct ipcoff_copy *reqs,
			unsigned int count, int *error, size_t size)
{
	struct ipcoff_submit s = {
		.count = count,
		.reqs = ptr_to_u64(reqs),
		.entry_size = (uint32_t)size,
	};
	const unsigned char *req = (const unsigned char *)reqs;
	uint64_t need = IPCOFF_FEAT_ASYNC;
	unsigned int i;
	int dummy, ret;

	if (!error)
		error = &dummy;
	/* A batch is refused whole when the module lacks what one needs. */
	ret = count > INT_MAX ? -EINVAL : 0;
	for (i = 0; i < count && !ret; i++, req += size)
		need |= copy_needs((const struct ipcoff_copy *)(const void *)req,
				   size);
	if (!ret)
		ret = need_features(ipc, need);
	if (ret) {
		*error = ret;
		return ret;
	}

	ret = do_ioctl(ipc, IPCOFF_IOC_SUBMIT, &s);
	if (ret) {
		*error = ret;
		return ret;
	}
	/* A module never takes more than it was given; trust no more. */
	if (s.accepted > count) {
		*error = -EPROTO;
		return -EPROTO;
	}
	/*
	 * 0, or why request @accepted was refused (0 also when the module
	 * stopped early because a fatal signal is pending).
	 */
	*error = s.accepted < count ? s.error : 0;
	return (int)s.accepted;
}

/*
 * struct ipcoff_copy grew to IPCOFF_COPY_SIZE_VER1 in LIBIPCOFF_0.4.
 * Programs built before it call the LIBIPCOFF_0.2 versions with arrays of
 * 128-byte structs; programs built since bind to the default versions.
 */
int ipcoff_submit_ex_0_2(struct ipcoff *ipc, struct ipcoff_copy *reqs,
			 unsigned int count, int *error)
{
	return submit_sized(ipc, reqs, count, error, IPCOFF_COPY_SIZE_VER0);
}
__asm__(".symver ipcoff_submit_ex_0_2, ipcoff_submit_ex@LIBIPCOFF_0.2");

int ipcoff_submit_ex_0_4(struct ipcoff *ipc, struct ipcoff_copy *reqs,
			 unsigned int count, int *error)
{
	return submit_sized(ipc, reqs, count, error, sizeof(*reqs));
}
__asm__(".symver ipcoff_submit_ex_0_4, ipcoff_submit_ex@@LIBIPCOFF_0.4");

int ipcoff_submit_0_2(struct ipcoff *ipc, struct ipcoff_copy *reqs,
		      unsigned int count)
{
	return submit_sized(ipc, reqs, count, NULL, IPCOFF_COPY_SIZE_VER0);
}
__asm__(".symver ipcoff_submit_0_2, ipcoff_submit@LIBIPCOFF_0.2");

int ipcoff_submit_0_4(struct ipcoff *ipc, struct ipcoff_copy *reqs,
		      unsigned int count)
{
	return submit_sized(ipc, reqs, count, NULL, sizeof(*reqs));
}
__asm__(".symver ipcoff_submit_0_4, ipcoff_submit@@LIBIPCOFF_0.4");

/* Flags the uapi refuses together with CLWB or INJECT (EINVAL). */
#define INJECT_CONFLICTS	(IPCOFF_COPY_CHUNKED | IPCOFF_COPY_MOVE | \
				 IPCOFF_COPY_CACHE_FLUSH | \
				 IPCOFF_COPY_CACHE_NONTEMPORAL)

int ipcoff_submit_inject(struct ipcoff *ipc, struct ipcoff_copy *req)
{
	struct ipcoff_copy r = *req;
	bool fields = r.inject_len || r.inject_ranges || r.nr_inject_ranges;

	if (r.len > IPCOFF_INJECT_MAX_LEN)
		return -EMSGSIZE;
	/*
	 * Refused here, not by the module, so that whether a request is
	 * valid never depends on the module having IPCOFF_FEAT_CACHE.
	 */
	if ((r.flags & INJECT_CONFLICTS) ||
	    (fields && !(r.flags & IPCOFF_COPY_INJECT)))
		return -EINVAL;

	if (ipcoff_has_feature(ipc, IPCOFF_FEAT_CACHE)) {
		/*
		 * CLWB is the action Documentation/cache.rst shows a clear
		 * gain for, up to 64 KiB. Injection only when asked for: the
		 * caller's ranges, or the whole message if it gave none.
		 */
		if ((r.flags & IPCOFF_COPY_INJECT) && !fields)
			r.inject_len = (uint32_t)r.len;
		r.flags |= IPCOFF_COPY_CACHE_CLWB;
	} else {
		/* Cache actions change how fast the data is read, not what. */
		r.flags &= ~COPY_CACHE_FLAGS;
		r.inject_len = 0;
		r.inject_ranges = 0;
		r.nr_inject_ranges = 0;
	}
	return submit_sized(ipc, &r, 1, NULL, sizeof(r));
}

int ipcoff_wait(struct ipcoff *ipc, uint64_t target, int64_t timeout_ns,
		uint64_t *completed)
{
	return wait_flags(ipc, target, timeout_ns, completed, 0);
}

int wait_flags(struct ipcoff *ipc, uint64_t target, int64_t timeout_ns,
	       uint64_t *completed, uint32_t flags)
{
	struct ipcoff_wait w = {
		.flags = flags, .target = target, .timeout_ns = timeout_ns,
	};
	int ret;

	ret = need_features(ipc, IPCOFF_FEAT_ASYNC);
	if (ret)
		return ret;
	ret = do_ioctl(ipc, IPCOFF_IOC_WAIT, &w);
	/* The module reports the count also when the wait ends early. */
	if (completed && (!ret || ret == -ETIMEDOUT || ret == -EINTR))
		*completed = w.completed;
	return ret;
}

int ipcoff_set_eventfd(struct ipcoff *ipc, int efd)
{
	struct ipcoff_eventfd e = { .fd = efd };
	int ret;

	ret = need_features(ipc, IPCOFF_FEAT_ASYNC | IPCOFF_FEAT_EVENTFD);
	if (ret)
		return ret;
	return do_ioctl(ipc, IPCOFF_IOC_SET_EVENTFD, &e);
}

int64_t mono_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int64_t now_ns(void)
{
	return mono_now_ns();
}

static inline void cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#elif defined(__aarch64__) || defined(__arm__)
	__asm__ __volatile__("yield" ::: "memory");
#elif defined(__powerpc__) || defined(__powerpc64__)
	__asm__ __volatile__("or 27,27,27" ::: "memory");
#else
	__asm__ __volatile__("" ::: "memory");
#endif
}

/* Nanoseconds left before @deadline (-1: none), at least 0. */
static int64_t time_left(int64_t deadline)
{
	int64_t left;

	if (deadline < 0)
		return -1;
	left = deadline - now_ns();
	return left > 0 ? left : 0;
}

/*
 * ipcoff_wait_cqe() hands out @cqe. An injection of its destination lines
 * (IPCOFF_CQE_INJECT) runs in the kernel on this context's next WAIT, in
 * the calling thread: a WAIT that does not sleep runs it before the
 * program reads the data, unless @after_wait says the entry was found
 * right after a WAIT, which ran it already. The injection only changes
 * how fast the data is read, so a failure here is not the caller's.
 */
static int reaped(struct ipcoff *ipc, const struct ipcoff_cqe *cqe,
		  bool after_wait)
{
	if ((cqe->flags & IPCOFF_CQE_INJECT) && !after_wait)
		ipcoff_wait(ipc, 0, 0, NULL);
	return 0;
}

int ipcoff_wait_cqe(struct ipcoff *ipc, struct ipcoff_ring *ring,
		    int64_t timeout_ns, struct ipcoff_cqe **cqe)
{
	int64_t start = 0, deadline = -1, spin_ns;
	bool flushed = false, waited = false;
	unsigned int i;
	int ret;

	*cqe = NULL;
	ret = need_features(ipc, IPCOFF_FEAT_ASYNC);
	if (ret)
		return ret;
	*cqe = ipcoff_ring_peek(ring);
	if (*cqe)
		return reaped(ipc, *cqe, false);

	/*
	 * Poll a little: a copy about to finish costs less than a sleep.
	 * Not when entries already wait in the kernel: fetch those first.
	 */
	spin_ns = timeout_ns < 0 || timeout_ns > WAIT_CQE_SPIN_NS ?
		  WAIT_CQE_SPIN_NS : timeout_ns;
	if (__atomic_load_n(ring->kflags, __ATOMIC_ACQUIRE) &
	    IPCOFF_RING_OVERFLOW)
		spin_ns = 0;
	if (spin_ns > 0 || timeout_ns > 0)
		start = now_ns();
	if (timeout_ns >= 0)
		deadline = start + timeout_ns;
	while (spin_ns > 0) {
		for (i = 0; i < WAIT_CQE_SPIN_BATCH; i++) {
			*cqe = ipcoff_ring_peek(ring);
			if (*cqe)
				return reaped(ipc, *cqe, false);
			cpu_relax();
		}
		if (now_ns() - start >= spin_ns)
			break;
	}

	for (;;) {
		uint64_t seen;
		uint32_t flags;

		/*
		 * Read the count first, then the flags, then the ring. Every
		 * entry counted in @seen is either visible in the ring by now
		 * or waits in the overflow list with the flag set; anything
		 * produced later raises the count past @seen and makes the
		 * WAIT below return at once, so no wake-up is lost.
		 */
		seen = __atomic_load_n(ring->kcompleted, __ATOMIC_ACQUIRE);
		flags = __atomic_load_n(ring->kflags, __ATOMIC_ACQUIRE);
		*cqe = ipcoff_ring_peek(ring);
		if (*cqe)
			return reaped(ipc, *cqe, waited);
		if ((flags & IPCOFF_RING_OVERFLOW) && !flushed) {
			/*
			 * Entries already counted in @seen wait in the kernel;
			 * a WAIT that does not sleep moves them into the ring.
			 * Once per sleep: if the ring has no room for them now
			 * (its places are promised to copies in flight), only a
			 * completion can make room, and that raises the count.
			 */
			ret = ipcoff_wait(ipc, 0, 0, NULL);
			if (ret)
				return ret;
			flushed = waited = true;
			continue;
		}
		if (timeout_ns == 0 || (deadline >= 0 && !time_left(deadline))) {
			ret = -ETIMEDOUT;
		} else {
			ret = ipcoff_wait(ipc, seen + 1, time_left(deadline),
					  NULL);
			flushed = false;
		}
		if (ret == -ETIMEDOUT) {
			/* Something may have landed after the WAIT looked. */
			*cqe = ipcoff_ring_peek(ring);
			return *cqe ? reaped(ipc, *cqe, false) : -ETIMEDOUT;
		}
		if (ret)
			return ret;
		waited = true;
	}
}
