/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/*
 * libipcoff: thin wrappers over the /dev/ipcoff ioctls.
 *
 * Every function returns 0 (or a count) on success and -errno on failure;
 * errno is not used. A struct ipcoff is an explicit handle the caller owns.
 */
#ifndef LIBIPCOFF_H
#define LIBIPCOFF_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <linux/ipcoff.h>

#ifdef __cplusplus
extern "C" {
#endif

/*
 * What the library keeps of GET_INFO. Callers allocate this struct, so it
 * never embeds struct ipcoff_info (which may grow); ipcoff_probe() gives
 * the full answer into a buffer of the caller's size.
 */
struct ipcoff {
	int fd;
	uint32_t abi_version;
	uint64_t features;		/* IPCOFF_FEAT_* */
	uint32_t engines;		/* 1 << IPCOFF_ENGINE_* */
	uint32_t module_version;	/* (major << 16) | (minor << 8) | patch */
	uint64_t reserved[4];		/* zero; for later library versions */
};

/* Open flags. */
#define IPCOFF_OPEN_NOCLOEXEC	(1U << 0)

int ipcoff_open(struct ipcoff *ipc, unsigned int flags);
int ipcoff_open_path(struct ipcoff *ipc, const char *path, unsigned int flags);
void ipcoff_close(struct ipcoff *ipc);
int ipcoff_probe(struct ipcoff *ipc, struct ipcoff_info *info, size_t size);

int ipcoff_register(struct ipcoff *ipc, void *addr, size_t len,
		    unsigned int flags, uint64_t *handle);
int ipcoff_unregister(struct ipcoff *ipc, uint64_t handle);
int ipcoff_grant(struct ipcoff *ipc, uint64_t handle, uid_t uid,
		 unsigned int access);
int ipcoff_revoke(struct ipcoff *ipc, uint64_t handle, uid_t uid);

int ipcoff_copy(struct ipcoff *ipc, struct ipcoff_copy *req);
int ipcoff_copy_region(struct ipcoff *ipc, uint64_t dst_handle,
		       uint64_t dst_off, uint64_t src_handle,
		       uint64_t src_off, uint64_t len, uint64_t *copied);
ssize_t ipcoff_read(struct ipcoff *ipc, void *dst, size_t len,
		    uint64_t src_handle, uint64_t src_off);
ssize_t ipcoff_write(struct ipcoff *ipc, uint64_t dst_handle,
		     uint64_t dst_off, const void *src, size_t len);

int ipcoff_get_stats(struct ipcoff *ipc, struct ipcoff_stats *stats,
		     size_t size);

const char *ipcoff_engine_name(unsigned int engine);

/*
 * Asynchronous copies (IPCOFF_FEAT_ASYNC, LIBIPCOFF_0.2).
 *
 * A mapped completion ring. The kernel writes entries and the tail, the
 * program advances the head; ipcoff_ring_init() fills every field and
 * ipcoff_ring_fini() unmaps it. Entry n of the sequence is cqes[n & mask].
 */
struct ipcoff_ring {
	struct ipcoff_cqe *cqes;
	uint32_t *khead;		/* head word in the mapping (user writes) */
	const uint32_t *ktail;		/* tail word (kernel writes) */
	const uint32_t *kflags;		/* IPCOFF_RING_* */
	const uint64_t *kcompleted;	/* entries the kernel produced */
	uint32_t mask;			/* entries - 1 */
	uint32_t entries;
	void *map;
	size_t map_len;
	int fd;
};

int ipcoff_ring_init(struct ipcoff *ipc, unsigned int entries,
		     struct ipcoff_ring *ring);
void ipcoff_ring_fini(struct ipcoff_ring *ring);

/*
 * reqs is an array of the struct ipcoff_copy this header declares: programs
 * built against an older, shorter one keep their own symbol versions.
 */
int ipcoff_submit(struct ipcoff *ipc, struct ipcoff_copy *reqs,
		  unsigned int count);
int ipcoff_submit_ex(struct ipcoff *ipc, struct ipcoff_copy *reqs,
		     unsigned int count, int *error);

/*
 * Cache-Inject mode (LIBIPCOFF_0.4): one latency-critical message of at
 * most IPCOFF_INJECT_MAX_LEN bytes, submitted with the producer's CLWB of
 * the destination and its injection into the consumer's cache when the
 * consumer reaps the entry; a plain submit when the module lacks
 * IPCOFF_FEAT_CACHE.
 */
#define IPCOFF_INJECT_MAX_LEN	65536

int ipcoff_submit_inject(struct ipcoff *ipc, struct ipcoff_copy *req);

struct ipcoff_cqe *ipcoff_ring_peek(struct ipcoff_ring *ring);
unsigned int ipcoff_ring_ready(struct ipcoff_ring *ring);
void ipcoff_ring_advance(struct ipcoff_ring *ring, unsigned int n);
uint64_t ipcoff_ring_completed(struct ipcoff_ring *ring);

int ipcoff_wait(struct ipcoff *ipc, uint64_t target, int64_t timeout_ns,
		uint64_t *completed);
int ipcoff_wait_cqe(struct ipcoff *ipc, struct ipcoff_ring *ring,
		    int64_t timeout_ns, struct ipcoff_cqe **cqe);

int ipcoff_set_eventfd(struct ipcoff *ipc, int efd);
int ipcoff_register_notify(struct ipcoff *ipc, void *addr, size_t len,
			   uint32_t flags, uint64_t notify_data,
			   uint64_t *handle);

/*
 * Futex interop for programs that park threads with FUTEX_WAIT on a word in
 * memory they share (memfd, POSIX shm, MAP_SHARED anonymous), never in the
 * /dev/ipcoff mapping nor in a buffer's. Shared (not FUTEX_PRIVATE)
 * operations.
 */
int ipcoff_futex_wake(uint32_t *word, int nr_wake);
int ipcoff_futex_wait(uint32_t *word, uint32_t seen, int64_t timeout_ns);

/* A thread that wakes a futex word on every new completion of a context. */
struct ipcoff_notifier;

int ipcoff_notifier_start(struct ipcoff *ipc, uint32_t *word,
			  struct ipcoff_notifier **out);
void ipcoff_notifier_stop(struct ipcoff_notifier *n);

/*
 * Buffers (IPCOFF_FEAT_BUFFERS, LIBIPCOFF_0.3): a region of pages the
 * module allocates, copied to and from like any region and mapped with
 * mmap(MAP_SHARED) through an export fd that carries exactly that buffer
 * and an access, and that may be passed to another process over a unix
 * socket. Revoking the exporter's grant or unregistering the buffer
 * removes every mapping; later accesses get SIGBUS.
 */
int ipcoff_buf_alloc(struct ipcoff *ipc, size_t len, uint32_t flags,
		     uint64_t notify_data, uint64_t *handle,
		     size_t *alloc_len);
int ipcoff_export(struct ipcoff *ipc, uint64_t handle, uint32_t access,
		  unsigned int flags, int *fd);

/*
 * Hybrid-Coord buffer pools (LIBIPCOFF_0.5): slots shared by one producer
 * and up to IPCOFF_POOL_MAX_CONSUMERS consumers. The producer takes a free
 * slot, submits a copy into it, and the slot is published to every
 * attached consumer only once the kernel's completion entry for the copy
 * has been reaped. Each consumer holds one claim bit per published slot
 * and gives it back with an atomic AND, without a lock; the slot is free
 * when no bit is left. A consumer whose socket closes (it detached or
 * died) has its bits cleared by the producer, so no slot is lost.
 * ipcoff-pool(7) describes the protocol, ipcoff_pool_create(3) the calls.
 */
#define IPCOFF_POOL_MAX_SLOTS		64
#define IPCOFF_POOL_MAX_CONSUMERS	64

/* ipcoff_pool_attr.flags */
#define IPCOFF_POOL_SHM		(1U << 0)	/* memfd slots, memcpy: no module */

/* ipcoff_pool_info.backing */
#define IPCOFF_POOL_BACKING_IPCOFF	1	/* ipcoff buffers, kernel copies */
#define IPCOFF_POOL_BACKING_SHM		2	/* memfd, memcpy */

struct ipcoff_pool;

struct ipcoff_pool_attr {
	size_t slot_size;	/* bytes per slot (rounded up to pages) */
	unsigned int slots;	/* 1..IPCOFF_POOL_MAX_SLOTS */
	unsigned int engine;	/* IPCOFF_ENGINE_* of the copies */
	unsigned int flags;	/* IPCOFF_POOL_* */
	uint32_t chunk_size;	/* IPCOFF_COPY_CHUNKED piece size, or 0 */
	const char *device;	/* NULL: IPCOFF_DEVICE_PATH */
	uint64_t reserved[4];	/* zero */
};

/* A published slot as a consumer sees it. */
struct ipcoff_pool_msg {
	unsigned int slot;
	unsigned int pad;
	uint64_t len;		/* bytes the producer put there */
	uint64_t seq;		/* producer's message number, from 0 */
	const void *data;	/* the slot in this process (read-only) */
};

struct ipcoff_pool_info {
	unsigned int backing;	/* IPCOFF_POOL_BACKING_* */
	unsigned int slots;
	size_t slot_size;
	unsigned int consumers;	/* attached now (producer) */
	int consumer;		/* this consumer's index; -1 in the producer */
	uint64_t published;	/* slots published so far */
	uint64_t recovered;	/* claims cleared for consumers that left */
	uint64_t free_slots;	/* producer: slots free now */
	uint64_t reserved[4];
};

int ipcoff_pool_create(const struct ipcoff_pool_attr *attr,
		       struct ipcoff_pool **out);
int ipcoff_pool_add_consumer(struct ipcoff_pool *p, int sock,
			     uint64_t cookie);
int ipcoff_pool_attach(int sock, struct ipcoff_pool **out,
		       uint64_t *cookie);
int ipcoff_pool_acquire(struct ipcoff_pool *p, int64_t timeout_ns,
			unsigned int *slot);
void *ipcoff_pool_slot(struct ipcoff_pool *p, unsigned int slot);
int ipcoff_pool_submit(struct ipcoff_pool *p, unsigned int slot,
		       const struct ipcoff_endpoint *src, uint64_t len,
		       uint32_t copy_flags);
int ipcoff_pool_progress(struct ipcoff_pool *p);
int ipcoff_pool_flush(struct ipcoff_pool *p, int64_t timeout_ns);
int ipcoff_pool_receive(struct ipcoff_pool *p, int64_t timeout_ns,
			struct ipcoff_pool_msg *msg);
int ipcoff_pool_release(struct ipcoff_pool *p, unsigned int slot);
int ipcoff_pool_fd(struct ipcoff_pool *p);
int ipcoff_pool_info(struct ipcoff_pool *p, struct ipcoff_pool_info *info);
void ipcoff_pool_close(struct ipcoff_pool *p);

/*
 * Message channels (LIBIPCOFF_0.5): one producer, any number of consumers
 * (each gets every message), found by name. ipcoff-channel(7) tells how.
 * Without a usable /dev/ipcoff the same calls run on a memfd, memcpy and
 * futexes; ipcoff_chan_info() says which, and a line on stderr says it
 * once per process (unless IPCOFF_CHAN_QUIET).
 */
struct ipcoff_chan;

/* ipcoff_chan_attr.mode */
#define IPCOFF_CHAN_MODE_AUTO	0	/* by message size */
#define IPCOFF_CHAN_MODE_PIPE	1	/* Async-Pipe: chunked copies */
#define IPCOFF_CHAN_MODE_INJECT	2	/* Cache-Inject: ipcoff_submit_inject */
#define IPCOFF_CHAN_MODE_HYBRID	3	/* Hybrid-Coord: one copy per message */
#define IPCOFF_CHAN_MODE_SHM	4	/* no module: memfd + memcpy + futex */

/* ipcoff_chan_attr.flags and ipcoff_chan_connect() flags */
#define IPCOFF_CHAN_NONBLOCK	(1U << 0)	/* every call as DONTWAIT */
#define IPCOFF_CHAN_QUIET	(1U << 1)	/* no line about the fallback */
#define IPCOFF_CHAN_NO_INLINE	(1U << 2)	/* every message by the module */
/*
 * Names "ipcoff://HOST:PORT" only (LIBIPCOFF_0.6; others ignore both).
 * Connect: rdma even when HOST is this host (also IPCOFF_CHAN_RDMA=1 in
 * the environment). Create: the rdma listener is required, not only
 * added where this host has an RDMA device behind HOST.
 */
#define IPCOFF_CHAN_RDMA	(1U << 3)
/*
 * Connect: rdma to this host when a real RNIC (not rxe or siw) serves
 * HOST; the local transport otherwise (also IPCOFF_CHAN_PREFER_RNIC=1 in
 * the environment).
 */
#define IPCOFF_CHAN_PREFER_RNIC	(1U << 4)

/*
 * ipcoff_chan_attr.inline_max 0: messages up to this many bytes travel
 * inline, memcpy'd through the channel's shared control memory, where a
 * kernel copy costs more than it saves (ipcoff-channel(7)).
 */
#define IPCOFF_CHAN_INLINE_DEFAULT	(128 * 1024)
#define IPCOFF_CHAN_INLINE_LIMIT	(1024 * 1024)

/* Per-call flags of send and receive. */
#define IPCOFF_CHAN_DONTWAIT	(1U << 0)

struct ipcoff_chan_attr {
	size_t msg_max;		/* largest message, bytes (required) */
	unsigned int depth;	/* messages in flight, 1..64 (0: 8) */
	unsigned int mode;	/* IPCOFF_CHAN_MODE_* */
	unsigned int engine;	/* IPCOFF_ENGINE_* */
	unsigned int flags;	/* IPCOFF_CHAN_NONBLOCK, IPCOFF_CHAN_QUIET */
	const char *device;	/* NULL: IPCOFF_DEVICE_PATH */
	uint64_t inline_max;	/* 0: IPCOFF_CHAN_INLINE_DEFAULT */
	uint64_t reserved[3];	/* zero */
};

/* A message received in place (ipcoff_chan_peek()). */
struct ipcoff_chan_msg {
	const void *data;
	uint64_t len;
	uint64_t seq;		/* the producer's message number */
	uint64_t priv[2];	/* the library's */
};

/* ipcoff_chan_info.via: the transports a channel handle uses. */
#define IPCOFF_CHAN_VIA_LOCAL	(1U << 0)	/* "ipcoff" or "shm" */
#define IPCOFF_CHAN_VIA_RDMA	(1U << 1)	/* "rdma" */

struct ipcoff_chan_info {
	/*
	 * "ipcoff", "shm", "rdma"; an "ipcoff://" producer serving both
	 * kinds of consumers: "ipcoff+rdma" or "shm+rdma".
	 */
	char transport[16];
	unsigned int mode;	/* IPCOFF_CHAN_MODE_*, as created */
	unsigned int engine;
	size_t msg_max;
	unsigned int depth;
	unsigned int consumers;	/* producer: connected now */
	int producer;		/* 1 in the producer */
	uint64_t messages;	/* sent (producer) or received */
	uint64_t recovered;	/* slots taken back from consumers that left */
	uint64_t inline_max;	/* messages up to this are memcpy'd inline */
	uint32_t via;		/* IPCOFF_CHAN_VIA_* (0 before LIBIPCOFF_0.6) */
	uint32_t pad;
	uint64_t reserved[2];
};

int ipcoff_chan_create(const char *name, const struct ipcoff_chan_attr *attr,
		       struct ipcoff_chan **out);
int ipcoff_chan_connect(const char *name, unsigned int flags,
			struct ipcoff_chan **out);
int ipcoff_chan_wait_consumers(struct ipcoff_chan *ch, unsigned int n,
			       int64_t timeout_ns);
int ipcoff_chan_send(struct ipcoff_chan *ch, const void *buf, size_t len,
		     unsigned int flags);
int ipcoff_chan_sendv(struct ipcoff_chan *ch, const struct iovec *iov,
		      int iovcnt, unsigned int flags);
ssize_t ipcoff_chan_recv(struct ipcoff_chan *ch, void *buf, size_t cap,
			 unsigned int flags);
int ipcoff_chan_peek(struct ipcoff_chan *ch, struct ipcoff_chan_msg *msg,
		     unsigned int flags);
int ipcoff_chan_done(struct ipcoff_chan *ch, struct ipcoff_chan_msg *msg);
int ipcoff_chan_fd(struct ipcoff_chan *ch);
int ipcoff_chan_progress(struct ipcoff_chan *ch);
int ipcoff_chan_info(struct ipcoff_chan *ch, struct ipcoff_chan_info *info);
void ipcoff_chan_close(struct ipcoff_chan *ch);

/*
 * In libipcoff-rdma.a, not in libipcoff.so: names "rdma://HOST:PORT" then
 * make rdma channels (ipcoff-channel(7)). Link the archive and rdma-core:
 * -lipcoff-rdma -lipcoff $(pkg-config --libs librdmacm libibverbs
 * libnl-route-3.0 libnl-3.0).
 */
int ipcoff_chan_rdma_enable(void);

/*
 * LIBIPCOFF_0.6: why the last ipcoff_chan_create() or ipcoff_chan_connect()
 * of this thread failed, as one line ("" after a success); for
 * "ipcoff://" names the transport policy's reason.
 */
const char *ipcoff_chan_strerror(void);

static inline int ipcoff_has_feature(const struct ipcoff *ipc,
				     uint64_t feature)
{
	return (ipc->features & feature) == feature;
}

static inline void ipcoff_ep_region(struct ipcoff_endpoint *ep,
				    uint64_t handle, uint64_t offset)
{
	/* Zero first: fields added later must read as 0. */
	memset(ep, 0, sizeof(*ep));
	ep->type = IPCOFF_EP_REGION;
	ep->handle = handle;
	ep->offset = offset;
}

static inline void ipcoff_ep_iovec(struct ipcoff_endpoint *ep,
				   const struct ipcoff_iovec *iov,
				   unsigned int cnt)
{
	memset(ep, 0, sizeof(*ep));
	ep->type = IPCOFF_EP_IOVEC;
	ep->iov_cnt = cnt;
	ep->iov = (uint64_t)(uintptr_t)iov;
}

#ifdef __cplusplus
}
#endif

#endif /* LIBIPCOFF_H */
