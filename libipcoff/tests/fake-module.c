// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * Scripted ipcoff module behind __wrap_ioctl(); see fake-module.h.
 *
 * It checks what the uapi header says the real module checks (zero flags,
 * pads and reserved fields, known endpoint types, in-range offsets) so a
 * wrapper that marshals badly fails here too, and it really moves bytes
 * between its one region and the caller's iovec so data paths are tested
 * end to end.
 *
 * Its completion ring follows kmod/ring.c: requests get a place reserved
 * at SUBMIT, "data arrived" entries go to an overflow list when the ring
 * has no free place that is not promised, the count of entries produced
 * includes those waiting, and WAIT (never anything else) moves them in.
 * WAIT also runs the injections that IPCOFF_CQE_INJECT entries announce.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "fake-module.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

struct fake_module fake;

static dev_t fake_rdev;
static bool fake_rdev_known;

/*
 * Guards @fake while a library thread (the notifier) may be inside an
 * ioctl: every ioctl the fake answers, and every ring helper, holds it.
 */
static pthread_mutex_t fake_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t fake_cond;
static bool fake_cond_ready;

int __real_ioctl(int fd, unsigned long req, ...);
int __wrap_ioctl(int fd, unsigned long req, ...);
void *__real_mmap(void *addr, size_t len, int prot, int flags, int fd,
		  off_t off);
void *__wrap_mmap(void *addr, size_t len, int prot, int flags, int fd,
		  off_t off);
int __real_munmap(void *addr, size_t len);
int __wrap_munmap(void *addr, size_t len);

void fake_clear_record(void)
{
	struct fake_ring *r = &fake.ring;

	fake.calls = 0;
	fake.passthrough = 0;
	fake.passthrough_fd = -1;
	fake.passthrough_req = 0;
	fake.last_fd = -1;
	fake.last_req = 0;
	fake.last_arg = NULL;
	memset(&fake.seen, 0, sizeof(fake.seen));
	fake.seen_copy_size = 0;
	memset(&fake.seen_src_iov, 0, sizeof(fake.seen_src_iov));
	memset(&fake.seen_dst_iov, 0, sizeof(fake.seen_dst_iov));
	fake.violations = 0;
	fake.export_fd = -1;
	fake.unregisters = 0;

	r->maps = 0;
	r->map_addr = NULL;
	r->map_len = 0;
	r->map_prot = 0;
	r->map_flags = 0;
	r->map_off = 0;
	r->unmaps = 0;
	r->unmap_addr = NULL;
	r->unmap_len = 0;
	r->setups = 0;
	r->submits = 0;
	r->waits = 0;
	memset(r->seen_reqs, 0, sizeof(r->seen_reqs));
	r->n_seen_reqs = 0;
	memset(r->wait_log, 0, sizeof(r->wait_log));
	r->sleeps_with_ready = 0;
	r->injects_run = 0;
}

static void ring_free_locked(void)
{
	struct fake_ring *r = &fake.ring;

	/* The memfd and the fake's mapping come and go together. */
	if (r->mem) {
		__real_munmap(r->mem, r->mmap_len);
		close(r->memfd);
	}
	r->mem = NULL;
	r->memfd = -1;
	r->set_up = false;
	r->mmap_len = 0;
	r->entries = 0;
	r->ktail = 0;
	r->reserved = 0;
	r->completed = 0;
	r->n_overflow = 0;
	r->n_pending = 0;
	r->efd = -1;
	r->inject_pending = 0;
}

void fake_ring_free(void)
{
	pthread_mutex_lock(&fake_lock);
	ring_free_locked();
	pthread_mutex_unlock(&fake_lock);
}

void fake_reset(void)
{
	pthread_condattr_t attr;

	if (!fake_cond_ready) {
		/* Timed waits on CLOCK_MONOTONIC, like the module's. */
		pthread_condattr_init(&attr);
		pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
		pthread_cond_init(&fake_cond, &attr);
		pthread_condattr_destroy(&attr);
		fake_cond_ready = true;
	}
	pthread_mutex_lock(&fake_lock);
	ring_free_locked();
	memset(&fake, 0, sizeof(fake));
	fake.ring.memfd = -1;
	fake.ring.efd = -1;
	fake_clear_record();
	pthread_mutex_unlock(&fake_lock);
}

void fake_arm(uint64_t features, uint32_t abi_version)
{
	struct stat st;
	size_t i;

	fake_reset();
	if (!fake_rdev_known && stat(FAKE_DEV_PATH, &st) == 0 &&
	    S_ISCHR(st.st_mode)) {
		fake_rdev = st.st_rdev;
		fake_rdev_known = true;
	}
	fake.armed = true;
	fake.info.abi_version = abi_version;
	fake.info.features = features;
	fake.info.ioctls = (1ULL << IPCOFF_NR_GET_INFO) |
			   (1ULL << IPCOFF_NR_REGISTER) |
			   (1ULL << IPCOFF_NR_UNREGISTER) |
			   (1ULL << IPCOFF_NR_GRANT) | (1ULL << IPCOFF_NR_COPY) |
			   (1ULL << IPCOFF_NR_RING_SETUP) |
			   (1ULL << IPCOFF_NR_SUBMIT) |
			   (1ULL << IPCOFF_NR_WAIT) |
			   (1ULL << IPCOFF_NR_SET_EVENTFD) |
			   (1ULL << IPCOFF_NR_BUF_ALLOC) |
			   (1ULL << IPCOFF_NR_EXPORT);
	fake.info.module_version = FAKE_MODULE_VERSION;
	fake.info.engines = (1U << IPCOFF_ENGINE_CPU) |
			    (1U << IPCOFF_ENGINE_ELIDE);
	fake.info.max_iovecs = IPCOFF_IOV_MAX;
	fake.info.page_size = 4096;
	fake.info.max_region_len = 1ULL << 30;
	fake.reg_handle = FAKE_REGION_HANDLE;
	for (i = 0; i < sizeof(fake.region); i++)
		fake.region[i] = (unsigned char)(i * 7 + 1);
}

/* Is @fd an open descriptor of FAKE_DEV_PATH? */
static bool is_fake_dev(int fd)
{
	struct stat st;

	if (!fake_rdev_known || fd < 0 || fstat(fd, &st) != 0)
		return false;
	return S_ISCHR(st.st_mode) && st.st_rdev == fake_rdev;
}

/* ------------------------------------------------------------------ */
/* The ring, all with fake_lock held */

static uint32_t *ring_word(unsigned int off)
{
	return (uint32_t *)(void *)(fake.ring.mem + off);
}

static uint64_t *ring_completed_word(void)
{
	return (uint64_t *)(void *)(fake.ring.mem + FAKE_RING_COMPLETED_OFF);
}

static struct ipcoff_cqe *ring_cqes(void)
{
	return (struct ipcoff_cqe *)(void *)(fake.ring.mem +
					     FAKE_RING_CQES_OFF);
}

static uint32_t ring_user_head(void)
{
	return __atomic_load_n(ring_word(FAKE_RING_HEAD_OFF), __ATOMIC_ACQUIRE);
}

/* Free places, with a head the library may have garbled (as the module). */
static uint32_t ring_room(void)
{
	struct fake_ring *r = &fake.ring;
	uint32_t used = r->ktail - ring_user_head();

	if (used > r->entries) {
		fake.violations++;	/* the library advanced past the tail */
		used = r->entries;
	}
	return r->entries - used;
}

static void ring_write(const struct ipcoff_cqe *cqe)
{
	struct fake_ring *r = &fake.ring;

	ring_cqes()[r->ktail & (r->entries - 1)] = *cqe;
	r->ktail++;
	if (cqe->flags & IPCOFF_CQE_INJECT)
		r->inject_pending++;
	__atomic_store_n(ring_word(FAKE_RING_TAIL_OFF), r->ktail,
			 __ATOMIC_RELEASE);
}

static void ring_produced(void)
{
	struct fake_ring *r = &fake.ring;

	r->completed++;
	__atomic_store_n(ring_completed_word(), r->completed,
			 __ATOMIC_RELEASE);
	if (r->efd >= 0 && eventfd_write(r->efd, 1))
		fake.violations++;
	pthread_cond_broadcast(&fake_cond);
}

static void ring_set_flags(uint32_t flags)
{
	__atomic_store_n(ring_word(FAKE_RING_FLAGS_OFF), flags,
			 __ATOMIC_RELEASE);
}

/* WAIT's first step: waiting NOTIFY entries into the ring while room. */
static unsigned int ring_flush(void)
{
	struct fake_ring *r = &fake.ring;
	unsigned int moved = 0;

	while (moved < r->n_overflow && ring_room() > r->reserved)
		ring_write(&r->overflow[moved++]);
	memmove(r->overflow, r->overflow + moved,
		(r->n_overflow - moved) * sizeof(r->overflow[0]));
	r->n_overflow -= moved;
	if (!r->n_overflow)
		ring_set_flags(0);
	return moved;
}

static void ring_post_locked(const struct ipcoff_cqe *cqe)
{
	if (!fake.ring.set_up || ring_room() == 0) {
		fake.violations++;
		return;
	}
	ring_write(cqe);
	ring_produced();
}

static void ring_notify_locked(const struct ipcoff_cqe *cqe)
{
	struct fake_ring *r = &fake.ring;

	if (!r->set_up || r->n_overflow == FAKE_RING_OVERFLOW_MAX) {
		fake.violations++;
		return;
	}
	if (!r->n_overflow && ring_room() > r->reserved) {
		ring_write(cqe);
	} else {
		r->overflow[r->n_overflow++] = *cqe;
		ring_set_flags(IPCOFF_RING_OVERFLOW);
	}
	ring_produced();
}

static void ring_complete_locked(unsigned int n)
{
	struct fake_ring *r = &fake.ring;
	unsigned int i;

	if (n > r->n_pending) {
		fake.violations++;
		n = r->n_pending;
	}
	for (i = 0; i < n; i++) {
		ring_write(&r->pending[i]);
		r->reserved--;
		ring_produced();
	}
	memmove(r->pending, r->pending + n,
		(r->n_pending - n) * sizeof(r->pending[0]));
	r->n_pending -= n;
}

static bool ring_create_locked(uint32_t entries)
{
	struct fake_ring *r = &fake.ring;
	size_t len = FAKE_RING_CQES_OFF +
		     (size_t)entries * sizeof(struct ipcoff_cqe);
	void *mem;
	int fd;

	len = (len + 4095) & ~(size_t)4095;
	fd = memfd_create("fake-ipcoff-ring", MFD_CLOEXEC);
	if (fd < 0)
		return false;
	if (ftruncate(fd, (off_t)len)) {
		close(fd);
		return false;
	}
	mem = __real_mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd,
			  0);
	if (mem == MAP_FAILED) {
		close(fd);
		return false;
	}
	r->memfd = fd;
	r->mem = mem;
	r->mmap_len = (uint32_t)len;
	r->entries = entries;
	r->ktail = r->start;
	r->reserved = 0;
	r->completed = r->start_completed;
	r->n_overflow = 0;
	r->n_pending = 0;
	r->efd = -1;
	__atomic_store_n(ring_word(FAKE_RING_HEAD_OFF), r->start,
			 __ATOMIC_RELEASE);
	__atomic_store_n(ring_word(FAKE_RING_TAIL_OFF), r->start,
			 __ATOMIC_RELEASE);
	__atomic_store_n(ring_completed_word(), r->completed,
			 __ATOMIC_RELEASE);
	r->set_up = true;
	return true;
}

bool fake_ring_create(uint32_t entries)
{
	bool ok;

	pthread_mutex_lock(&fake_lock);
	ring_free_locked();
	ok = ring_create_locked(entries);
	pthread_mutex_unlock(&fake_lock);
	return ok;
}

void fake_ring_post(const struct ipcoff_cqe *cqe)
{
	pthread_mutex_lock(&fake_lock);
	ring_post_locked(cqe);
	pthread_mutex_unlock(&fake_lock);
}

void fake_ring_notify(const struct ipcoff_cqe *cqe)
{
	pthread_mutex_lock(&fake_lock);
	ring_notify_locked(cqe);
	pthread_mutex_unlock(&fake_lock);
}

void fake_ring_complete(unsigned int n)
{
	pthread_mutex_lock(&fake_lock);
	ring_complete_locked(n);
	pthread_mutex_unlock(&fake_lock);
}

uint32_t fake_ring_head(void)
{
	uint32_t v;

	pthread_mutex_lock(&fake_lock);
	v = fake.ring.mem ? ring_user_head() : 0;
	pthread_mutex_unlock(&fake_lock);
	return v;
}

uint32_t fake_ring_tail(void)
{
	uint32_t v;

	pthread_mutex_lock(&fake_lock);
	v = fake.ring.ktail;
	pthread_mutex_unlock(&fake_lock);
	return v;
}

uint32_t fake_ring_flags(void)
{
	uint32_t v;

	pthread_mutex_lock(&fake_lock);
	v = fake.ring.mem ? *ring_word(FAKE_RING_FLAGS_OFF) : 0;
	pthread_mutex_unlock(&fake_lock);
	return v;
}

uint64_t fake_ring_completed(void)
{
	uint64_t v;

	pthread_mutex_lock(&fake_lock);
	v = fake.ring.completed;
	pthread_mutex_unlock(&fake_lock);
	return v;
}

unsigned int fake_ring_pending(void)
{
	unsigned int v;

	pthread_mutex_lock(&fake_lock);
	v = fake.ring.n_pending;
	pthread_mutex_unlock(&fake_lock);
	return v;
}

/* ------------------------------------------------------------------ */
/* The ioctls */

static int fake_get_info(struct ipcoff_info *info)
{
	memcpy(&fake.seen.info, info, sizeof(*info));
	if (fake.info_err)
		return fake.info_err;
	if (info->flags)
		return EINVAL;
	memcpy(info, &fake.info, sizeof(*info));
	return 0;
}

static int fake_register(struct ipcoff_region_reg *reg)
{
	memcpy(&fake.seen.reg, reg, sizeof(*reg));
	if (fake.err)
		return fake.err;
	if ((reg->flags & ~IPCOFF_REGION_FLAGS) || reg->pad || reg->handle ||
	    reg->reserved[0] || !reg->len)
		return EINVAL;
	if (reg->notify_data && !(reg->flags & IPCOFF_REGION_NOTIFY))
		return EINVAL;
	if ((reg->flags & IPCOFF_REGION_NOTIFY) && !fake.ring.set_up)
		return ENXIO;
	reg->handle = fake.reg_handle;
	return 0;
}

static int fake_unregister(const struct ipcoff_region_unreg *unreg)
{
	memcpy(&fake.seen.unreg, unreg, sizeof(*unreg));
	fake.unregisters++;
	if (fake.err)
		return fake.err;
	if (unreg->flags || unreg->pad)
		return EINVAL;
	return unreg->handle == FAKE_REGION_HANDLE ? 0 : ENOENT;
}

static int fake_grant(const struct ipcoff_grant *grant)
{
	memcpy(&fake.seen.grant, grant, sizeof(*grant));
	if (fake.err)
		return fake.err;
	if (grant->flags || grant->pad || grant->reserved[0] ||
	    grant->reserved[1] || (grant->access & ~IPCOFF_ACCESS_MASK))
		return EINVAL;
	return grant->handle == FAKE_REGION_HANDLE ? 0 : ENOENT;
}

/* BUF_ALLOC's checks, as uapi/linux/ipcoff.h lists them. */
static int fake_buf_alloc(struct ipcoff_buf_alloc *b)
{
	const uint32_t flags = IPCOFF_REGION_WRITABLE | IPCOFF_REGION_NOTIFY;
	uint64_t ps = fake.info.page_size;

	memcpy(&fake.seen.buf_alloc, b, sizeof(*b));
	if (fake.err)
		return fake.err;
	if ((b->flags & ~flags) || b->pad || b->handle || b->reserved[0] ||
	    b->reserved[1] || !b->len || b->len > fake.info.max_region_len)
		return EINVAL;
	if (b->notify_data && !(b->flags & IPCOFF_REGION_NOTIFY))
		return EINVAL;
	if ((b->flags & IPCOFF_REGION_NOTIFY) && !fake.ring.set_up)
		return ENXIO;
	b->len = (b->len + ps - 1) / ps * ps;
	b->handle = fake.reg_handle;
	return 0;
}

/* EXPORT: a fresh memfd stands for the anonymous-inode file. */
static int fake_export(struct ipcoff_export *e)
{
	memcpy(&fake.seen.export, e, sizeof(*e));
	if (fake.err)
		return fake.err;
	if ((e->flags & ~IPCOFF_EXPORT_CLOEXEC) || e->pad || e->reserved[0] ||
	    !(e->access & IPCOFF_ACCESS_READ) ||
	    (e->access & ~IPCOFF_ACCESS_MASK))
		return EINVAL;
	if (e->handle != FAKE_REGION_HANDLE)
		return ENOENT;
	e->fd = memfd_create("fake-ipcoff-export",
			     (e->flags & IPCOFF_EXPORT_CLOEXEC) ?
			     MFD_CLOEXEC : 0);
	if (e->fd < 0)
		return errno;
	fake.export_fd = e->fd;
	return 0;
}

/*
 * Resolve one endpoint to @len bytes of memory. The fake moves bytes
 * through single-segment iovecs only, which is all libipcoff builds.
 */
static int fake_endpoint(const struct ipcoff_endpoint *ep, uint64_t len,
			 struct ipcoff_iovec *seen_iov, unsigned char **mem)
{
	const struct ipcoff_iovec *iov;

	if (ep->flags || ep->pad)
		return EINVAL;
	switch (ep->type) {
	case IPCOFF_EP_REGION:
		if (ep->iov_cnt || ep->iov)
			return EINVAL;
		if (ep->handle != FAKE_REGION_HANDLE)
			return ENOENT;
		if (ep->offset > FAKE_REGION_SIZE ||
		    len > FAKE_REGION_SIZE - ep->offset)
			return ERANGE;
		*mem = fake.region + ep->offset;
		return 0;
	case IPCOFF_EP_IOVEC:
		if (ep->handle || ep->offset)
			return EINVAL;
		if (!ep->iov_cnt || ep->iov_cnt > IPCOFF_IOV_MAX || !ep->iov)
			return EINVAL;
		iov = (const struct ipcoff_iovec *)(uintptr_t)ep->iov;
		*seen_iov = iov[0];
		if (ep->iov_cnt != 1 || iov[0].len < len || !iov[0].base)
			return EINVAL;
		*mem = (unsigned char *)(uintptr_t)iov[0].base;
		return 0;
	default:
		return EINVAL;
	}
}

/*
 * The MOVE and cache-action rules of the uapi header. A module without
 * IPCOFF_FEAT_CACHE (or IPCOFF_FEAT_MOVE) refuses the flags as unknown;
 * the library checks the feature first, so that is a violation here.
 */
static int fake_check_cache(const struct ipcoff_copy *req)
{
	const uint32_t cache = IPCOFF_COPY_CACHE_CLWB |
			       IPCOFF_COPY_CACHE_FLUSH |
			       IPCOFF_COPY_CACHE_NONTEMPORAL |
			       IPCOFF_COPY_INJECT;
	const struct ipcoff_range *range;
	uint32_t f = req->flags, i;
	bool fields = req->inject_len || req->inject_ranges ||
		      req->nr_inject_ranges;

	if (((f & cache) || fields) &&
	    !(fake.info.features & IPCOFF_FEAT_CACHE)) {
		fake.violations++;
		return EINVAL;
	}
	if ((f & IPCOFF_COPY_MOVE) && !(fake.info.features & IPCOFF_FEAT_MOVE)) {
		fake.violations++;
		return EINVAL;
	}
	if ((f & IPCOFF_COPY_CACHE_CLWB) && (f & IPCOFF_COPY_CACHE_FLUSH))
		return EINVAL;
	if ((f & IPCOFF_COPY_CACHE_NONTEMPORAL) &&
	    ((f & (IPCOFF_COPY_CACHE_CLWB | IPCOFF_COPY_CACHE_FLUSH |
		   IPCOFF_COPY_MOVE)) ||
	     req->engine == IPCOFF_ENGINE_DMA ||
	     req->engine == IPCOFF_ENGINE_ELIDE))
		return EINVAL;
	if ((f & (IPCOFF_COPY_CACHE_CLWB | IPCOFF_COPY_CACHE_FLUSH)) &&
	    (f & IPCOFF_COPY_MOVE))
		return EINVAL;
	if (!(f & IPCOFF_COPY_INJECT))
		return fields ? EINVAL : 0;
	if (f & IPCOFF_COPY_CHUNKED)
		return EINVAL;
	/* One range: inject_len, or the ranges instead of it. */
	if (!req->inject_len == !req->nr_inject_ranges ||
	    !req->nr_inject_ranges != !req->inject_ranges ||
	    req->inject_len > req->len ||
	    req->nr_inject_ranges > IPCOFF_INJECT_RANGES_MAX)
		return EINVAL;
	range = (const struct ipcoff_range *)(uintptr_t)req->inject_ranges;
	for (i = 0; i < req->nr_inject_ranges; i++)
		if (!range[i].len || range[i].offset > req->len ||
		    range[i].len > req->len - range[i].offset)
			return EINVAL;
	return 0;
}

/* What COPY and SUBMIT both check in a request. */
static int fake_check_request(const struct ipcoff_copy *req, bool async,
			      unsigned char **src, unsigned char **dst)
{
	uint32_t flags = IPCOFF_COPY_FLAGS;
	struct ipcoff_iovec dummy;
	int err;

	if (!async)
		flags &= ~(IPCOFF_COPY_LINK | IPCOFF_COPY_CHUNKED);
	if ((req->flags & ~flags) || req->qos > IPCOFF_QOS_MAX || !req->len ||
	    req->engine >= IPCOFF_ENGINE_COUNT)
		return EINVAL;
	err = fake_check_cache(req);
	if (err)
		return err;
	if (req->flags & IPCOFF_COPY_CHUNKED) {
		if (req->chunk_size < IPCOFF_CHUNK_MIN ||
		    (req->flags & IPCOFF_COPY_LINK))
			return EINVAL;
	} else if (req->chunk_size) {
		return EINVAL;
	}
	if (req->src.type != IPCOFF_EP_REGION &&
	    req->dst.type != IPCOFF_EP_REGION)
		return EINVAL;
	err = fake_endpoint(&req->src, req->len,
			    async ? &dummy : &fake.seen_src_iov, src);
	if (!err)
		err = fake_endpoint(&req->dst, req->len,
				    async ? &dummy : &fake.seen_dst_iov, dst);
	return err;
}

/* What the library sends: the struct of LIBIPCOFF_0.4 or the older one. */
static bool known_copy_size(size_t size)
{
	return size == IPCOFF_COPY_SIZE_VER0 || size == IPCOFF_COPY_SIZE_VER1;
}

/*
 * COPY with the struct size from the ioctl number: read that many bytes,
 * zero-extended, and write back no more (as the module does).
 */
static int fake_copy(void *arg, size_t usize)
{
	struct ipcoff_copy k, *req = &k;
	unsigned char *src = NULL, *dst = NULL;
	int err;

	fake.seen_copy_size = (unsigned int)usize;
	if (!known_copy_size(usize)) {
		fake.violations++;
		return EINVAL;
	}
	memset(&k, 0, sizeof(k));
	memcpy(&k, arg, usize);
	memcpy(&fake.seen.copy, &k, sizeof(k));
	err = fake_check_request(req, false, &src, &dst);
	if (err)
		goto out;
	if (fake.err) {
		req->copied = fake.partial;
		err = fake.err;
		goto out;
	}
	if (req->src.type == IPCOFF_EP_REGION &&
	    req->dst.type == IPCOFF_EP_REGION &&
	    req->src.offset < req->dst.offset + req->len &&
	    req->dst.offset < req->src.offset + req->len) {
		err = EINVAL;
		goto out;
	}

	req->engine = IPCOFF_ENGINE_CPU;
	if (fake.override_copied) {
		req->copied = fake.copied;
		goto out;
	}
	memcpy(dst, src, req->len);
	req->copied = req->len;
out:
	memcpy(arg, &k, usize);
	return err;
}

static int fake_ring_setup(struct ipcoff_ring_setup *rs)
{
	struct fake_ring *r = &fake.ring;
	unsigned int i;

	memcpy(&fake.seen.ring_setup, rs, sizeof(*rs));
	r->setups++;
	if (fake.err)
		return fake.err;
	if (rs->flags || rs->pad)
		return EINVAL;
	for (i = 0; i < ARRAY_SIZE(rs->reserved); i++)
		if (rs->reserved[i])
			return EINVAL;
	if (rs->entries < IPCOFF_RING_MIN_ENTRIES ||
	    rs->entries > IPCOFF_RING_MAX_ENTRIES ||
	    (rs->entries & (rs->entries - 1)))
		return EINVAL;
	if (r->set_up)
		return EBUSY;
	if (!ring_create_locked(rs->entries))
		return ENOMEM;
	rs->mmap_len = r->mmap_len;
	rs->head_off = FAKE_RING_HEAD_OFF;
	rs->tail_off = FAKE_RING_TAIL_OFF;
	rs->flags_off = FAKE_RING_FLAGS_OFF;
	rs->completed_off = FAKE_RING_COMPLETED_OFF;
	rs->cqes_off = FAKE_RING_CQES_OFF;
	if (r->bad_layout)	/* the last entry would end past the mapping */
		rs->cqes_off = r->mmap_len - (uint32_t)sizeof(struct ipcoff_cqe);
	return 0;
}

/* One request of a batch: its entries get reserved places. */
static int fake_submit_one(const struct ipcoff_copy *req, bool last)
{
	struct fake_ring *r = &fake.ring;
	unsigned char *src, *dst;
	uint64_t n = 1, k, chunk;
	int err;

	err = fake_check_request(req, true, &src, &dst);
	if (err)
		return err;
	if ((req->flags & IPCOFF_COPY_LINK) && last)
		return EINVAL;
	chunk = (req->flags & IPCOFF_COPY_CHUNKED) ? req->chunk_size : 0;
	if (chunk)
		n = (req->len + chunk - 1) / chunk;
	if (n > r->entries)
		return EINVAL;
	if (ring_room() < r->reserved + n)
		return EAGAIN;
	if (r->n_pending + n > FAKE_RING_PENDING_MAX) {
		fake.violations++;
		return ENOMEM;
	}
	for (k = 0; k < n; k++) {
		struct ipcoff_cqe *c = &r->pending[r->n_pending++];
		uint64_t len = chunk ? req->len - k * chunk : req->len;

		if (chunk && len > chunk)
			len = chunk;
		memset(c, 0, sizeof(*c));
		c->user_data = req->user_data;
		c->result = (int64_t)len;
		c->flags = chunk ? IPCOFF_CQE_CHUNK : 0;
		if (req->flags & IPCOFF_COPY_INJECT)
			c->flags |= IPCOFF_CQE_INJECT;
		c->engine = IPCOFF_ENGINE_CPU;
		c->latency_ns = 1000;
		c->offset = chunk ? k * chunk : 0;
		c->len = len;
	}
	r->reserved += (uint32_t)n;
	return 0;
}

static int fake_submit(struct ipcoff_submit *s)
{
	struct fake_ring *r = &fake.ring;
	const unsigned char *base;
	int err = 0;
	uint32_t i;

	memcpy(&fake.seen.submit, s, sizeof(*s));
	r->submits++;
	s->accepted = 0;
	s->error = 0;
	if (fake.err)
		return fake.err;
	if (s->flags || s->pad || s->reserved[0] || s->reserved[1])
		return EINVAL;
	if (s->entry_size < IPCOFF_COPY_SIZE_VER0 || s->entry_size > 512)
		return EINVAL;
	if (!r->set_up)
		return ENXIO;
	/* The library passes its caller's struct size: that is all it has. */
	if (!known_copy_size(s->entry_size))
		fake.violations++;

	base = (const unsigned char *)(uintptr_t)s->reqs;
	for (i = 0; i < s->count; i++) {
		struct ipcoff_copy req;

		/* Each entry zero-extended from entry_size, no byte more. */
		memset(&req, 0, sizeof(req));
		memcpy(&req, base + (size_t)i * s->entry_size,
		       s->entry_size < sizeof(req) ? s->entry_size :
		       sizeof(req));
		if (r->n_seen_reqs < FAKE_RING_SEEN_REQS)
			r->seen_reqs[r->n_seen_reqs++] = req;
		if (r->accept_max && i >= r->accept_max)
			err = r->refuse_err ? r->refuse_err : EAGAIN;
		else
			err = fake_submit_one(&req, i + 1 == s->count);
		if (err)
			break;
	}
	s->accepted = i;
	s->error = -err;
	return i || !s->count ? 0 : err;
}

/* CLOCK_MONOTONIC time @ns from now. */
static void deadline_ts(int64_t ns, struct timespec *ts)
{
	clock_gettime(CLOCK_MONOTONIC, ts);
	ts->tv_sec += (time_t)(ns / 1000000000);
	ts->tv_nsec += (long)(ns % 1000000000);
	if (ts->tv_nsec >= 1000000000) {
		ts->tv_sec++;
		ts->tv_nsec -= 1000000000;
	}
}

static int fake_wait(struct ipcoff_wait *w)
{
	struct fake_ring *r = &fake.ring;
	struct fake_wait_call *call = NULL;
	struct timespec deadline;
	int err = 0;

	memcpy(&fake.seen.wait, w, sizeof(*w));
	if (r->waits < FAKE_RING_WAIT_LOG)
		call = &r->wait_log[r->waits];
	r->waits++;
	if (fake.err)
		return fake.err;
	/* A module without cache actions knows no WAIT flag. */
	if (w->pad || (w->flags & ~IPCOFF_WAIT_NO_INJECT) ||
	    (w->flags && !(fake.info.features & IPCOFF_FEAT_CACHE)))
		return EINVAL;
	if (!r->set_up)
		return ENXIO;
	if (call) {
		call->flags = w->flags;
		call->target = w->target;
		call->timeout_ns = w->timeout_ns;
		call->completed = r->completed;
	}
	if (r->wait_err) {
		w->completed = r->completed;
		return r->wait_err;
	}
	{
		unsigned int moved = ring_flush();

		if (call)
			call->flushed = moved;
	}
	if (r->completed < w->target) {
		/*
		 * The module would sleep now: with entries ready, a waiter
		 * that only sleeps on an empty ring lost a wake-up.
		 */
		bool ready = r->ktail != ring_user_head();

		if (call) {
			call->slept = true;
			call->slept_ready = ready;
		}
		if (ready)
			r->sleeps_with_ready++;
		if (r->n_on_sleep) {
			struct fake_on_sleep os = r->on_sleep[0];

			memmove(r->on_sleep, r->on_sleep + 1,
				--r->n_on_sleep * sizeof(r->on_sleep[0]));
			if (os.complete)
				ring_complete_locked(os.complete);
			else if (os.notify)
				ring_notify_locked(&os.cqe);
			else
				ring_post_locked(&os.cqe);
		}
	}
	if (r->completed < w->target && w->timeout_ns != 0) {
		int64_t ns = w->timeout_ns < 0 ? FAKE_WAIT_FOREVER_NS :
			     w->timeout_ns;

		deadline_ts(ns, &deadline);
		while (r->completed < w->target && r->set_up && !err)
			err = pthread_cond_timedwait(&fake_cond, &fake_lock,
						     &deadline);
		if (err && w->timeout_ns < 0) {
			printf("# fake WAIT for %llu slept forever (at %llu)\n",
			       (unsigned long long)w->target,
			       (unsigned long long)r->completed);
			fake.violations++;
		}
	}
	/* Pending injections run in the waiter's context, however it ends. */
	if (!(w->flags & IPCOFF_WAIT_NO_INJECT)) {
		if (call)
			call->injected = r->inject_pending;
		r->injects_run += r->inject_pending;
		r->inject_pending = 0;
	}
	w->completed = r->completed;
	err = r->completed >= w->target ? 0 : ETIMEDOUT;
	if (err && r->post_on_timeout) {
		r->post_on_timeout = false;
		ring_post_locked(&r->timeout_cqe);
	}
	return err;
}

/* Is @fd an eventfd? The module asks eventfd_ctx_fdget() the same. */
static int fake_check_eventfd(int fd)
{
	char path[64], target[64];
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	n = readlink(path, target, sizeof(target) - 1);
	if (n < 0)
		return EBADF;
	target[n] = '\0';
	return strcmp(target, "anon_inode:[eventfd]") ? EINVAL : 0;
}

static int fake_set_eventfd(const struct ipcoff_eventfd *e)
{
	int err;

	memcpy(&fake.seen.eventfd, e, sizeof(*e));
	if (fake.err)
		return fake.err;
	if (e->flags || e->fd < -1)
		return EINVAL;
	if (!fake.ring.set_up)
		return ENXIO;
	if (e->fd >= 0) {
		err = fake_check_eventfd(e->fd);
		if (err)
			return err;
	}
	fake.ring.efd = e->fd;
	return 0;
}

int __wrap_ioctl(int fd, unsigned long req, ...)
{
	va_list ap;
	void *arg;
	int err;

	va_start(ap, req);
	arg = va_arg(ap, void *);
	va_end(ap);

	if (!fake.armed || !is_fake_dev(fd)) {
		pthread_mutex_lock(&fake_lock);
		fake.passthrough++;
		fake.passthrough_fd = fd;
		fake.passthrough_req = req;
		pthread_mutex_unlock(&fake_lock);
		return __real_ioctl(fd, req, arg);
	}

	pthread_mutex_lock(&fake_lock);
	fake.calls++;
	fake.last_fd = fd;
	fake.last_req = req;
	fake.last_arg = arg;
	if (!arg) {
		fake.violations++;
		err = EFAULT;
	} else if (req == IPCOFF_IOC_GET_INFO) {
		err = fake_get_info(arg);
	} else if (req == IPCOFF_IOC_REGISTER) {
		err = fake_register(arg);
	} else if (req == IPCOFF_IOC_UNREGISTER) {
		err = fake_unregister(arg);
	} else if (req == IPCOFF_IOC_GRANT) {
		err = fake_grant(arg);
	} else if (_IOC_TYPE(req) == IPCOFF_IOC_MAGIC &&
		   _IOC_NR(req) == IPCOFF_NR_COPY &&
		   _IOC_DIR(req) == _IOC_DIR(IPCOFF_IOC_COPY)) {
		err = fake_copy(arg, _IOC_SIZE(req));
	} else if (req == IPCOFF_IOC_RING_SETUP) {
		err = fake_ring_setup(arg);
	} else if (req == IPCOFF_IOC_SUBMIT) {
		err = fake_submit(arg);
	} else if (req == IPCOFF_IOC_WAIT) {
		err = fake_wait(arg);
	} else if (req == IPCOFF_IOC_SET_EVENTFD) {
		err = fake_set_eventfd(arg);
	} else if (req == IPCOFF_IOC_BUF_ALLOC) {
		err = fake_buf_alloc(arg);
	} else if (req == IPCOFF_IOC_EXPORT) {
		err = fake_export(arg);
	} else {
		fake.violations++;
		err = ENOTTY;
	}
	pthread_mutex_unlock(&fake_lock);
	if (err) {
		errno = err;
		return -1;
	}
	return 0;
}

/* The module's mmap: shared, at offset 0, no longer than the ring. */
void *__wrap_mmap(void *addr, size_t len, int prot, int flags, int fd,
		  off_t off)
{
	struct fake_ring *r = &fake.ring;
	void *p = MAP_FAILED;
	int err = 0;

	if (!fake.armed || !is_fake_dev(fd))
		return __real_mmap(addr, len, prot, flags, fd, off);

	pthread_mutex_lock(&fake_lock);
	r->maps++;
	r->map_len = len;
	r->map_prot = prot;
	r->map_flags = flags;
	r->map_off = off;
	if (!r->set_up)
		err = ENXIO;
	else if (off || len > r->mmap_len || !(flags & MAP_SHARED))
		err = EINVAL;
	else if (r->mmap_err)
		err = r->mmap_err;
	if (!err) {
		p = __real_mmap(addr, len, prot, flags, r->memfd, 0);
		if (p == MAP_FAILED)
			err = errno;
	}
	r->map_addr = p == MAP_FAILED ? NULL : p;
	pthread_mutex_unlock(&fake_lock);
	if (err)
		errno = err;
	return p;
}

int __wrap_munmap(void *addr, size_t len)
{
	struct fake_ring *r = &fake.ring;

	pthread_mutex_lock(&fake_lock);
	if (addr && addr == r->map_addr) {
		r->unmaps++;
		r->unmap_addr = addr;
		r->unmap_len = len;
		r->map_addr = NULL;
	}
	pthread_mutex_unlock(&fake_lock);
	return __real_munmap(addr, len);
}
