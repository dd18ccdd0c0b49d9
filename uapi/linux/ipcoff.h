/* SPDX-License-Identifier: (GPL-2.0 WITH Linux-syscall-note) OR MIT */
/*
 * ipcoff: offloaded inter-process copies through /dev/ipcoff.
 *
 * Conventions of this ABI:
 *  - Only fixed-width types; every 64-bit field is __aligned_u64, every hole
 *    is an explicit pad field, so i386 and x86_64 share one layout and the
 *    driver needs no compat conversion.
 *  - Every struct has a flags field. Unknown flag bits, unknown enum values
 *    and non-zero pad/reserved fields are rejected with EINVAL.
 *  - Structs grow by appending fields whose zero value keeps the old
 *    behaviour. The struct size travels in the ioctl number (_IOC_SIZE); the
 *    driver dispatches on _IOC_NR and copies with copy_struct_from_user()
 *    semantics: a shorter (older) struct is zero-extended, a longer (newer)
 *    one is accepted only when its extra tail is zero (else E2BIG), and a
 *    struct shorter than its first published size gets EINVAL.
 *  - ioctls return 0 or -1 with errno; byte counts are output fields.
 *  - Unknown commands fail with ENOTTY.
 */
#ifndef _UAPI_LINUX_IPCOFF_H
#define _UAPI_LINUX_IPCOFF_H

#include <linux/types.h>
#include <linux/ioctl.h>
#include <linux/const.h>

#define IPCOFF_DEVICE_PATH	"/dev/ipcoff"

/* Bumped only for incompatible changes; additions are feature bits. */
#define IPCOFF_ABI_VERSION	1

#define IPCOFF_IOC_MAGIC	0xC9

/**
 * struct ipcoff_iovec - one user memory segment
 * @base: user address
 * @len: length in bytes
 */
struct ipcoff_iovec {
	__aligned_u64 base;
	__aligned_u64 len;
};

/* Most segments accepted in one local iovec array (EINVAL above). */
#define IPCOFF_IOV_MAX		1024

/* Engines; also bit positions in ipcoff_info.engines (1 << engine). */
#define IPCOFF_ENGINE_AUTO	0	/* let the module choose */
#define IPCOFF_ENGINE_CPU	1	/* kernel CPU copy between pinned pages */
#define IPCOFF_ENGINE_DMA	2	/* dmaengine memcpy channel */
#define IPCOFF_ENGINE_ELIDE	3	/* no bytes moved */
#define IPCOFF_ENGINE_COUNT	4

/* ipcoff_info.features */
#define IPCOFF_FEAT_REGISTER	_BITULL(0)	/* REGISTER/UNREGISTER */
#define IPCOFF_FEAT_GRANT	_BITULL(1)	/* GRANT and revocation */
#define IPCOFF_FEAT_COPY	_BITULL(2)	/* synchronous COPY */
#define IPCOFF_FEAT_IOVEC	_BITULL(3)	/* local iovec endpoints */
#define IPCOFF_FEAT_SINGLE_USE	_BITULL(4)	/* IPCOFF_REGION_SINGLE_USE */
#define IPCOFF_FEAT_COPY_FALLBACK _BITULL(5)	/* IPCOFF_COPY_CPU_FALLBACK */
#define IPCOFF_FEAT_STATS	_BITULL(6)	/* IPCOFF_IOC_STATS */
#define IPCOFF_FEAT_COPY_DESCRIPTORS _BITULL(7)	/* ipcoff_copy.descriptors */
#define IPCOFF_FEAT_DMA_IOVEC	_BITULL(8)	/* dma engine takes local iovecs */
#define IPCOFF_FEAT_ASYNC	_BITULL(9)	/* RING_SETUP, SUBMIT, WAIT, poll */
#define IPCOFF_FEAT_EVENTFD	_BITULL(10)	/* SET_EVENTFD */
#define IPCOFF_FEAT_NOTIFY	_BITULL(11)	/* IPCOFF_REGION_NOTIFY */
#define IPCOFF_FEAT_CHUNKED	_BITULL(12)	/* IPCOFF_COPY_CHUNKED */
#define IPCOFF_FEAT_BUFFERS	_BITULL(13)	/* BUF_ALLOC, EXPORT, mmap */
#define IPCOFF_FEAT_MOVE	_BITULL(14)	/* IPCOFF_COPY_MOVE */
#define IPCOFF_FEAT_CACHE	_BITULL(15)	/* IPCOFF_COPY_CACHE_* and INJECT */
#define IPCOFF_FEAT_SCHED	_BITULL(16)	/* ipcoff_copy.qos, the scheduler */
#define IPCOFF_FEAT_REGION_LIST	_BITULL(20)	/* REGION_LIST */

/**
 * struct ipcoff_info - IPCOFF_IOC_GET_INFO handshake
 * @flags: in, must be 0
 * @abi_version: out, IPCOFF_ABI_VERSION of the module
 * @features: out, IPCOFF_FEAT_* bits the module implements
 * @ioctls: out, bit n set when the command with _IOC_NR n is implemented
 * @module_version: out, (major << 16) | (minor << 8) | patch
 * @engines: out, bit (1 << IPCOFF_ENGINE_*) set for each engine present;
 *	the AUTO bit is never set
 * @max_iovecs: out, IPCOFF_IOV_MAX as enforced by this module
 * @page_size: out, the kernel's page size
 * @max_region_len: out, largest region REGISTER accepts, in bytes
 * @reserved: out, zero
 */
struct ipcoff_info {
	__u32 flags;
	__u32 abi_version;
	__aligned_u64 features;
	__aligned_u64 ioctls;
	__u32 module_version;
	__u32 engines;
	__u32 max_iovecs;
	__u32 page_size;
	__aligned_u64 max_region_len;
	__aligned_u64 reserved[4];
};

#define IPCOFF_INFO_SIZE_VER0	80

/* ipcoff_region_reg.flags */
#define IPCOFF_REGION_WRITABLE	  0x1U	/* may be a copy destination */
#define IPCOFF_REGION_SINGLE_USE  0x2U	/* one peer copy, then closed */
/* Copies into it post an entry on the owner's completion ring. */
#define IPCOFF_REGION_NOTIFY	  0x4U
#define IPCOFF_REGION_FLAGS	  (IPCOFF_REGION_WRITABLE | \
				   IPCOFF_REGION_SINGLE_USE | \
				   IPCOFF_REGION_NOTIFY)

/**
 * struct ipcoff_region_reg - IPCOFF_IOC_REGISTER
 * @addr: in, start of the caller's memory (any alignment)
 * @len: in, length in bytes, non-zero
 * @flags: in, IPCOFF_REGION_*
 * @pad: must be 0
 * @handle: out, unguessable non-zero region handle; must be 0 on input
 * @notify_data: in, with IPCOFF_REGION_NOTIFY: the user_data of the
 *	owner's "data arrived" entries; else must be 0
 * @reserved: must be 0
 */
struct ipcoff_region_reg {
	__aligned_u64 addr;
	__aligned_u64 len;
	__u32 flags;
	__u32 pad;
	__aligned_u64 handle;
	__aligned_u64 notify_data;
	__aligned_u64 reserved[1];
};

#define IPCOFF_REGION_REG_SIZE_VER0	48

/**
 * struct ipcoff_region_unreg - IPCOFF_IOC_UNREGISTER
 * @handle: in, a region this context registered
 * @flags: in, must be 0
 * @pad: must be 0
 */
struct ipcoff_region_unreg {
	__aligned_u64 handle;
	__u32 flags;
	__u32 pad;
};

#define IPCOFF_REGION_UNREG_SIZE_VER0	16

/* ipcoff_grant.access */
#define IPCOFF_ACCESS_READ	0x1U	/* region may be a copy source */
#define IPCOFF_ACCESS_WRITE	0x2U	/* region may be a destination */
#define IPCOFF_ACCESS_MASK	(IPCOFF_ACCESS_READ | IPCOFF_ACCESS_WRITE)

/**
 * struct ipcoff_grant - IPCOFF_IOC_GRANT
 * @handle: in, a region this context registered
 * @uid: in, user id in the caller's user namespace
 * @access: in, IPCOFF_ACCESS_* to grant; 0 revokes the uid's grant
 * @flags: in, must be 0
 * @pad: must be 0
 * @reserved: must be 0
 *
 * A later GRANT for the same uid replaces the earlier one. Grants are for
 * other uids: contexts opened by the owner's own uid always have the
 * owner's access, and revoking cannot remove it.
 */
struct ipcoff_grant {
	__aligned_u64 handle;
	__u32 uid;
	__u32 access;
	__u32 flags;
	__u32 pad;
	__aligned_u64 reserved[2];
};

#define IPCOFF_GRANT_SIZE_VER0	40

/* ipcoff_endpoint.type */
#define IPCOFF_EP_REGION	1	/* @handle + @offset */
#define IPCOFF_EP_IOVEC		2	/* caller's memory: @iov[@iov_cnt] */

/**
 * struct ipcoff_endpoint - source or destination of a copy
 * @type: IPCOFF_EP_*
 * @flags: must be 0
 * @iov_cnt: number of struct ipcoff_iovec at @iov (IPCOFF_EP_IOVEC)
 * @pad: must be 0
 * @handle: region handle (IPCOFF_EP_REGION)
 * @offset: byte offset into the region (IPCOFF_EP_REGION)
 * @iov: user pointer to the iovec array (IPCOFF_EP_IOVEC)
 *
 * Fields that the type does not use must be 0.
 */
struct ipcoff_endpoint {
	__u32 type;
	__u32 flags;
	__u32 iov_cnt;
	__u32 pad;
	__aligned_u64 handle;
	__aligned_u64 offset;
	__aligned_u64 iov;
};

/* ipcoff_copy.flags */
#define IPCOFF_COPY_CPU_FALLBACK 0x1U	/* redo what the DMA engine failed */
/*
 * SUBMIT only. LINK: the next request of the batch starts only after this
 * one succeeded (else it completes with -ECANCELED). CHUNKED: one
 * completion entry per chunk_size bytes (Async-Pipe).
 */
#define IPCOFF_COPY_LINK	 0x2U
#define IPCOFF_COPY_CHUNKED	 0x4U
/*
 * COPY and SUBMIT. MOVE: the caller allows the source to receive the
 * destination's former pages. When the elide engine runs the copy (engine
 * IPCOFF_ENGINE_ELIDE reported), the destination gets the data and the
 * source range then holds the destination's former bytes: whole pages are
 * exchanged between the two buffers, partial head and tail pages swapped
 * by the CPU. Any other engine copies and leaves the source as it was.
 * Not with CHUNKED (EINVAL).
 */
#define IPCOFF_COPY_MOVE	 0x8U
/*
 * Cache actions (IPCOFF_FEAT_CACHE), on every engine that moves bytes.
 * CACHE_CLWB / CACHE_FLUSH: once the bytes arrived and before the
 * completion is posted, the CPU writes the destination lines back to
 * memory (CLWB, lines may stay cached) or writes back and evicts them
 * (CLFLUSHOPT). CACHE_NONTEMPORAL: the CPU copies with non-temporal
 * stores, sparing the caches of the CPU that copies (cpu engine only).
 * INJECT: the destination's first inject_len bytes, or the
 * inject_ranges, are pulled into the consumer's cache when it learns of
 * the completion: in its own context, on the return of a synchronous
 * COPY or in its next IPCOFF_IOC_WAIT (entries carry IPCOFF_CQE_INJECT
 * until then). The consumer is the owner of a NOTIFY destination,
 * else the submitter.
 * EINVAL: CLWB with FLUSH; NONTEMPORAL with CLWB, FLUSH, MOVE or a forced
 * dma or elide engine; CLWB or FLUSH with MOVE; INJECT with CHUNKED;
 * INJECT without a range, or a range beyond len; inject_len or ranges
 * without INJECT.
 */
#define IPCOFF_COPY_CACHE_CLWB	 0x10U
#define IPCOFF_COPY_CACHE_FLUSH	 0x20U
#define IPCOFF_COPY_CACHE_NONTEMPORAL 0x40U
#define IPCOFF_COPY_INJECT	 0x80U
#define IPCOFF_COPY_FLAGS	 (IPCOFF_COPY_CPU_FALLBACK | \
				  IPCOFF_COPY_LINK | IPCOFF_COPY_CHUNKED | \
				  IPCOFF_COPY_MOVE | IPCOFF_COPY_CACHE_CLWB | \
				  IPCOFF_COPY_CACHE_FLUSH | \
				  IPCOFF_COPY_CACHE_NONTEMPORAL | \
				  IPCOFF_COPY_INJECT)

/* Most inject_ranges in one request. */
#define IPCOFF_INJECT_RANGES_MAX 16

/**
 * struct ipcoff_range - a byte range of a copy's destination
 * @offset: from the destination's first byte
 * @len: bytes, non-zero
 */
struct ipcoff_range {
	__aligned_u64 offset;
	__aligned_u64 len;
};

/**
 * DOC: QoS hints (ipcoff_copy.qos)
 *
 * What the scheduler optimises an IPCOFF_ENGINE_AUTO copy for
 * (IPCOFF_FEAT_SCHED). A forced engine ignores it. Values above
 * IPCOFF_QOS_MAX give EINVAL.
 *
 * IPCOFF_QOS_DEFAULT: the host's default, an administrator's choice among
 *	the three below (LATENCY unless changed).
 * IPCOFF_QOS_LATENCY: the engine (or cpu/dma split) predicted to finish
 *	this copy first. A split copy completes once and reports
 *	IPCOFF_ENGINE_DMA.
 * IPCOFF_QOS_THROUGHPUT: offload where it costs little: dma also when it
 *	is predicted to be somewhat slower than the CPU, which is then free
 *	for the next request.
 * IPCOFF_QOS_CPU: spend as little CPU time as possible: dma whenever it
 *	can serve the copy, never a split.
 */
#define IPCOFF_QOS_DEFAULT	0
#define IPCOFF_QOS_LATENCY	1
#define IPCOFF_QOS_THROUGHPUT	2
#define IPCOFF_QOS_CPU		3
#define IPCOFF_QOS_MAX		IPCOFF_QOS_CPU

/**
 * struct ipcoff_copy - IPCOFF_IOC_COPY
 * @src: in, where bytes come from
 * @dst: in, where bytes go
 * @len: in, bytes to copy, non-zero
 * @flags: in, IPCOFF_COPY_*
 * @engine: in, IPCOFF_ENGINE_*; out, the engine that ran the copy
 * @user_data: in, opaque to the module; given back in completion entries
 * @copied: out, bytes copied (also written when a copy stops early)
 * @descriptors: out, hardware descriptors (dma) or page pieces (cpu) the
 *	copy was cut into: without an IOMMU a dma copy between 4 KiB pages
 *	takes one per page, between huge pages one per 2 MiB (or
 *	dma_max_xfer); pages exchanged (elide); ignored on input
 *	(IPCOFF_FEAT_COPY_DESCRIPTORS)
 * @chunk_size: in, with IPCOFF_COPY_CHUNKED: bytes per chunk (at least
 *	4096); else must be 0
 * @inject_len: in, with IPCOFF_COPY_INJECT: bytes from the destination's
 *	start to pull into the consumer's cache (at most len); else 0
 * @inject_ranges: in, with IPCOFF_COPY_INJECT and instead of @inject_len:
 *	user pointer to @nr_inject_ranges struct ipcoff_range (size VER1)
 * @nr_inject_ranges: in, entries at @inject_ranges, at most
 *	IPCOFF_INJECT_RANGES_MAX
 * @qos: in, IPCOFF_QOS_*: the scheduler's goal for an IPCOFF_ENGINE_AUTO
 *	copy (IPCOFF_FEAT_SCHED; before it, this field had to be 0)
 *
 * At least one endpoint is a region. When both name the same region their
 * byte ranges must not overlap (EINVAL). An iovec endpoint must describe at
 * least @len bytes; bytes past @len are left alone.
 */
struct ipcoff_copy {
	struct ipcoff_endpoint src;
	struct ipcoff_endpoint dst;
	__aligned_u64 len;
	__u32 flags;
	__u32 engine;
	__aligned_u64 user_data;
	__aligned_u64 copied;
	__aligned_u64 descriptors;
	__u32 chunk_size;
	__u32 inject_len;
	__aligned_u64 inject_ranges;
	__u32 nr_inject_ranges;
	__u32 qos;
};

#define IPCOFF_COPY_SIZE_VER0	128	/* up to inject_len */
#define IPCOFF_COPY_SIZE_VER1	144	/* inject_ranges */

/**
 * struct ipcoff_engine_counters - what one engine did since the module loaded
 * @requests: copies it completed successfully
 * @bytes: bytes it moved
 * @descriptors: hardware descriptors (dma) or page pieces (cpu) it
 *	issued, pages it exchanged (elide)
 * @errors: copies it completed with an error
 * @fallbacks: pieces it handed to the CPU (ring full, errors redone)
 * @timeouts: copies whose waiter gave up on it
 * @busy_ns: submit-to-complete nanoseconds summed over copies
 * @depth: copies in flight now
 * @pad: zero
 */
struct ipcoff_engine_counters {
	__aligned_u64 requests;
	__aligned_u64 bytes;
	__aligned_u64 descriptors;
	__aligned_u64 errors;
	__aligned_u64 fallbacks;
	__aligned_u64 timeouts;
	__aligned_u64 busy_ns;
	__u32 depth;
	__u32 pad;
};

/**
 * struct ipcoff_stats - IPCOFF_IOC_STATS, module-wide counters
 * @flags: in, must be 0
 * @nr_engines: out, entries of @engine filled (IPCOFF_ENGINE_COUNT)
 * @pinned_pages: out, pages the module holds pinned
 * @regions: out, regions not yet released
 * @dma_chans: out, dmaengine channels in rotation
 * @pad: out, zero
 * @cache_clwb_bytes: out, destination bytes written back with CLWB
 * @cache_flush_bytes: out, destination bytes flushed with CLFLUSHOPT
 * @cache_nontemporal_bytes: out, bytes copied with non-temporal stores
 * @cache_inject_bytes: out, bytes pulled into consumers' caches
 *	(IPCOFF_FEAT_CACHE; zero before)
 * @engine: out, indexed by IPCOFF_ENGINE_* (AUTO's entry stays zero)
 */
struct ipcoff_stats {
	__u32 flags;
	__u32 nr_engines;
	__aligned_u64 pinned_pages;
	__aligned_u64 regions;
	__u32 dma_chans;
	__u32 pad;
	__aligned_u64 cache_clwb_bytes;
	__aligned_u64 cache_flush_bytes;
	__aligned_u64 cache_nontemporal_bytes;
	__aligned_u64 cache_inject_bytes;
	struct ipcoff_engine_counters engine[IPCOFF_ENGINE_COUNT];
};

#define IPCOFF_STATS_SIZE_VER0	320

/**
 * struct ipcoff_buf_alloc - IPCOFF_IOC_BUF_ALLOC
 * @len: in, bytes wanted, non-zero; out, rounded up to whole pages
 * @flags: in, IPCOFF_REGION_WRITABLE and IPCOFF_REGION_NOTIFY only
 * @pad: must be 0
 * @handle: out, the buffer's region handle; must be 0 on input
 * @notify_data: in, as for REGISTER
 * @reserved: must be 0
 * A buffer is a region whose pages the module allocates (zeroed) and
 * charges like pinned memory. It is copied to and from like any region,
 * and mapped through export fds (IPCOFF_IOC_EXPORT).
 */
struct ipcoff_buf_alloc {
	__aligned_u64 len;
	__u32 flags;
	__u32 pad;
	__aligned_u64 handle;
	__aligned_u64 notify_data;
	__aligned_u64 reserved[2];
};

#define IPCOFF_BUF_ALLOC_SIZE_VER0	48

/* ipcoff_export.flags */
#define IPCOFF_EXPORT_CLOEXEC	0x1U	/* the new fd gets FD_CLOEXEC */

/**
 * struct ipcoff_export - IPCOFF_IOC_EXPORT
 * @handle: in, a buffer the caller may access (owner, same uid, grant)
 * @access: in, IPCOFF_ACCESS_READ, optionally with IPCOFF_ACCESS_WRITE;
 *	never more than the caller has
 * @flags: in, IPCOFF_EXPORT_*
 * @fd: out, a file that carries exactly this buffer and access: mmap it
 *	(MAP_SHARED, offset and length within the buffer), or pass it over
 *	a unix socket; it gives no access to anything else
 * @pad: must be 0
 * @reserved: must be 0
 * Every fault through the mapping checks the exporter's access again: a
 * revoked grant or an unregistered buffer removes the mappings, and later
 * accesses get SIGBUS.
 */
struct ipcoff_export {
	__aligned_u64 handle;
	__u32 access;
	__u32 flags;
	__s32 fd;
	__u32 pad;
	__aligned_u64 reserved[1];
};

#define IPCOFF_EXPORT_SIZE_VER0	32

/* ipcoff_region_list.flags: which regions (one scope; none: the caller's) */
#define IPCOFF_REGION_LIST_UID	0x1U	/* every context of the opener's euid */
#define IPCOFF_REGION_LIST_ALL	0x2U	/* every region; CAP_SYS_ADMIN */
#define IPCOFF_REGION_LIST_FLAGS (IPCOFF_REGION_LIST_UID | \
				  IPCOFF_REGION_LIST_ALL)

/* ipcoff_region_info.state */
#define IPCOFF_REGION_INFO_BUFFER   0x1U	/* module pages (BUF_ALLOC) */
#define IPCOFF_REGION_INFO_OWN	    0x2U	/* owned by the calling context */
#define IPCOFF_REGION_INFO_CONSUMED 0x4U	/* single use already taken */

/**
 * struct ipcoff_region_info - one region, as IPCOFF_IOC_REGION_LIST gives it
 * @handle: the region's handle
 * @len: bytes registered (a buffer: rounded up to whole pages)
 * @pages: pages it holds pinned (or allocated, for a buffer)
 * @flags: IPCOFF_REGION_* it was registered with
 * @state: IPCOFF_REGION_INFO_*
 * @grants: uids holding a grant on it
 * @users: copies using it as an endpoint now
 * @owner_pid: thread-group id of the process that registered it, in the
 *	caller's pid namespace (0 when not visible there); it may have
 *	exited since, its context living on in another process
 * @owner_uid: euid of the owner context's opener, in the caller's user
 *	namespace (the overflow uid when not mapped there)
 * @reserved: zero
 */
struct ipcoff_region_info {
	__aligned_u64 handle;
	__aligned_u64 len;
	__aligned_u64 pages;
	__u32 flags;
	__u32 state;
	__u32 grants;
	__u32 users;
	__u32 owner_pid;
	__u32 owner_uid;
	__aligned_u64 reserved[2];
};

#define IPCOFF_REGION_INFO_SIZE_VER0	64

/**
 * struct ipcoff_region_list - IPCOFF_IOC_REGION_LIST
 * @flags: in, IPCOFF_REGION_LIST_* (at most one): the scope; 0 lists the
 *	regions of the calling context
 * @entry_size: in, the caller's sizeof(struct ipcoff_region_info), at
 *	least IPCOFF_REGION_INFO_SIZE_VER0; bytes past the module's size are
 *	written as zero
 * @entries: in, user pointer to @nr_entries entries, @entry_size apart
 * @nr_entries: in, room at @entries (0: only count)
 * @count: out, entries written; not read
 * @total: out, regions in the scope during the call, more than @count
 *	when @entries was too small; not read
 * @pad: must be 0
 * @reserved: must be 0
 */
struct ipcoff_region_list {
	__u32 flags;
	__u32 entry_size;
	__aligned_u64 entries;
	__u32 nr_entries;
	__u32 count;
	__u32 total;
	__u32 pad;
	__aligned_u64 reserved[2];
};

#define IPCOFF_REGION_LIST_SIZE_VER0	48

/* Smallest IPCOFF_COPY_CHUNKED chunk. */
#define IPCOFF_CHUNK_MIN	4096

/* ipcoff_cqe.flags */
#define IPCOFF_CQE_CHUNK	0x1U	/* one chunk of a CHUNKED copy */
/* Data arrived in a NOTIFY region of this context (not its own request). */
#define IPCOFF_CQE_NOTIFY	0x2U
/* An injection for this entry runs on this context's next WAIT. */
#define IPCOFF_CQE_INJECT	0x4U

/**
 * struct ipcoff_cqe - one completion entry in the mmapped ring
 * @user_data: the request's user_data (NOTIFY: the region's notify_data)
 * @result: bytes copied, or a negative errno
 * @flags: IPCOFF_CQE_*
 * @engine: IPCOFF_ENGINE_* that ran the copy
 * @latency_ns: submit-to-complete nanoseconds
 * @handle: NOTIFY: the destination region's handle; else 0
 * @offset: CHUNK: offset of the chunk in the copy; NOTIFY: offset of the
 *	bytes in the region; else 0
 * @len: bytes this entry is about (the copy, the chunk or the arrival)
 * @reserved: 0
 */
struct ipcoff_cqe {
	__aligned_u64 user_data;
	__s64 result;
	__u32 flags;
	__u32 engine;
	__aligned_u64 latency_ns;
	__aligned_u64 handle;
	__aligned_u64 offset;
	__aligned_u64 len;
	__aligned_u64 reserved;
};

/* ipcoff_ring_setup.entries bounds; a power of two in between. */
#define IPCOFF_RING_MIN_ENTRIES	8
#define IPCOFF_RING_MAX_ENTRIES	65536

/* The ring's flags word */
/* NOTIFY entries wait in the kernel: consume, then WAIT or poll. */
#define IPCOFF_RING_OVERFLOW	0x1U

/**
 * struct ipcoff_ring_setup - IPCOFF_IOC_RING_SETUP
 * @flags: in, must be 0
 * @entries: in, ring size wanted (power of two within the bounds above)
 * @mmap_len: out, bytes to mmap at offset 0 of the fd (shared, read-write)
 * @head_off: out, offset of the __u32 head, written by user space only
 * @tail_off: out, offset of the __u32 tail, written by the kernel only
 * @flags_off: out, offset of the __u32 IPCOFF_RING_* flags word
 * @completed_off: out, offset of the __u64 count of entries produced
 * @cqes_off: out, offset of the struct ipcoff_cqe array
 * @pad: must be 0
 * @reserved: must be 0
 * The entry for sequence number n is cqes[n & (entries - 1)]; entries
 * from head to tail are ready. Read tail with acquire semantics, write
 * head with release semantics.
 */
struct ipcoff_ring_setup {
	__u32 flags;
	__u32 entries;
	__u32 mmap_len;
	__u32 head_off;
	__u32 tail_off;
	__u32 flags_off;
	__u32 completed_off;
	__u32 cqes_off;
	__u32 pad;
	__u32 reserved[3];
};

#define IPCOFF_RING_SETUP_SIZE_VER0	48

/**
 * struct ipcoff_submit - IPCOFF_IOC_SUBMIT
 * @flags: in, must be 0
 * @count: in, requests at @reqs
 * @reqs: in, user pointer to @count requests, @entry_size bytes apart
 * @entry_size: in, the caller's sizeof(struct ipcoff_copy) (at least
 *	IPCOFF_COPY_SIZE_VER0)
 * @accepted: out, requests taken, from the first on
 * @error: out, 0, or the negative errno that refused request @accepted
 * @pad: must be 0
 * @reserved: must be 0
 */
struct ipcoff_submit {
	__u32 flags;
	__u32 count;
	__aligned_u64 reqs;
	__u32 entry_size;
	__u32 accepted;
	__s32 error;
	__u32 pad;
	__aligned_u64 reserved[2];
};

#define IPCOFF_SUBMIT_SIZE_VER0	48

/*
 * ipcoff_wait.flags: NO_INJECT leaves pending injections to a later WAIT
 * (for a thread that only watches the count for others, on another CPU
 * than the consumer's; IPCOFF_FEAT_CACHE).
 */
#define IPCOFF_WAIT_NO_INJECT	0x1U

/**
 * struct ipcoff_wait - IPCOFF_IOC_WAIT
 * @flags: in, IPCOFF_WAIT_* or 0
 * @pad: must be 0
 * @target: in, return once the context's completed count reaches it
 * @timeout_ns: in, relative; negative waits forever, 0 does not sleep
 * @completed: out, the completed count at return
 */
struct ipcoff_wait {
	__u32 flags;
	__u32 pad;
	__aligned_u64 target;
	__s64 timeout_ns;
	__aligned_u64 completed;
};

#define IPCOFF_WAIT_SIZE_VER0	32

/**
 * struct ipcoff_eventfd - IPCOFF_IOC_SET_EVENTFD
 * @fd: in, an eventfd signalled once per completion entry; -1 removes it
 * @flags: in, must be 0
 */
struct ipcoff_eventfd {
	__s32 fd;
	__u32 flags;
};

#define IPCOFF_EVENTFD_SIZE_VER0	8

/*
 * IPCOFF_IOC_GET_INFO - _IOWR, struct ipcoff_info
 *	Return: 0; EINVAL (flags), EFAULT.
 *
 * IPCOFF_IOC_REGISTER - _IOWR, struct ipcoff_region_reg
 *	Pins [addr, addr + len) of the caller's anonymous, shmem/memfd or
 *	hugetlbfs memory, charges it to RLIMIT_MEMLOCK (mm->pinned_vm) unless
 *	CAP_IPC_LOCK, and returns a handle.
 *	Return: 0; EINVAL (flags, pad, reserved, len 0, range overflows or
 *	exceeds max_region_len, notify_data without NOTIFY), EFAULT
 *	(unmapped or kernel address), EACCES (read-only mapping registered
 *	WRITABLE), EOPNOTSUPP (page-cache file or device mapping), ENXIO
 *	(NOTIFY before RING_SETUP), ENOMEM (memlock limit or out of memory).
 *
 * IPCOFF_IOC_UNREGISTER - _IOW, struct ipcoff_region_unreg
 *	Removes the handle at once; pages are unpinned when the last copy
 *	using them ends.
 *	Return: 0; EINVAL (flags, pad), ENOENT (not a region of this context).
 *
 * IPCOFF_IOC_GRANT - _IOW, struct ipcoff_grant
 *	Return: 0; EINVAL (flags, pad, reserved, access bits, uid not mapped
 *	in the caller's namespace, WRITE on a region not WRITABLE), ENOENT
 *	(not a region of this context), ENOMEM.
 *
 * IPCOFF_IOC_COPY - _IOWR, struct ipcoff_copy
 *	Return: 0 with copied == len; EINVAL (flags, types, qos, zero
 *	len, no region endpoint, overlap in one region, iov_cnt 0 or above
 *	IPCOFF_IOV_MAX, iovecs shorter than len, unknown engine), ENOENT
 *	(no such region), EACCES (no access for the opener's uid, revoked,
 *	single-use region already used, destination not WRITABLE), ERANGE
 *	(offset + len outside the region), ENODEV (engine not present),
 *	EOPNOTSUPP (the forced engine cannot serve these endpoints),
 *	EFAULT (iovec memory not accessible; a forced dma copy pins local
 *	iovecs first and copies nothing then), EINTR
 *	(fatal signal), EIO (the DMA engine reported an error and
 *	IPCOFF_COPY_CPU_FALLBACK was not set), ETIMEDOUT (the DMA engine did
 *	not complete in time; its channel is taken out of rotation and the
 *	pages stay pinned until it does), ENOMEM (no memory, or the regions
 *	cannot be DMA-mapped for a forced dma copy), EBUSY (the destination
 *	is a NOTIFY region whose owner has too many unread entries, as for
 *	SUBMIT; or a forced elide MOVE without IPCOFF_COPY_CPU_FALLBACK
 *	found a page of either buffer in use: a copy in flight on the
 *	buffer, or a page pinned by someone else).
 *	On EFAULT, EINTR and EIO, copied holds the bytes that did arrive.
 *
 * IPCOFF_IOC_STATS - _IOWR, struct ipcoff_stats
 *	Module-wide counters, the same as in /sys/class/misc/ipcoff/.
 *	Return: 0; EINVAL (flags).
 * IPCOFF_IOC_RING_SETUP - _IOWR, struct ipcoff_ring_setup
 *	Creates the context's completion ring, then mmap it. Asked again
 *	with the size the ring has, it returns the existing ring's layout
 *	(to map it again, or from another process holding the fd).
 *	Return: 0; EINVAL (flags, entries), EBUSY (a ring of another size
 *	exists), ENOMEM.
 * IPCOFF_IOC_SUBMIT - _IOWR, struct ipcoff_submit
 *	Starts copies asynchronously, in order, until one is refused; each
 *	posts one entry (or one per chunk) on this context's ring. A request
 *	is taken only when its entries have a reserved place in the ring.
 *	Return: 0 when at least one request was taken (or count is 0);
 *	otherwise the errno that refused the first: ENXIO (no ring), EAGAIN
 *	(ring full: consume entries first), EBUSY (a NOTIFY destination's
 *	owner has twice its ring size in unread, waiting and coming
 *	entries), EINVAL (entry_size, flags, CHUNKED with LINK or after a
 *	LINK request, a chunk below IPCOFF_CHUNK_MIN, more chunks than ring
 *	entries, LINK on the last request), or any errno of
 *	IPCOFF_IOC_COPY's validation.
 * IPCOFF_IOC_WAIT - _IOWR, struct ipcoff_wait
 *	Sleeps, interruptibly, until the context's completed count reaches
 *	target. It first brings waiting NOTIFY entries into the ring and, if
 *	it moved any, returns at once. On the way out it runs pending
 *	injections (IPCOFF_COPY_INJECT) unless IPCOFF_WAIT_NO_INJECT.
 *	Return: 0; ENXIO (no ring), ETIMEDOUT, EINTR, EINVAL (unknown flags,
 *	pad).
 * IPCOFF_IOC_SET_EVENTFD - _IOW, struct ipcoff_eventfd
 *	Return: 0; ENXIO (no ring), EBADF, EINVAL (flags, not an eventfd).
 * IPCOFF_IOC_BUF_ALLOC - _IOWR, struct ipcoff_buf_alloc
 *	Return: 0; EINVAL (flags, pad, reserved, handle, len 0 or above
 *	max_region_len), ENXIO (NOTIFY before RING_SETUP), ENOMEM (memlock
 *	limit or out of memory).
 * IPCOFF_IOC_EXPORT - _IOWR, struct ipcoff_export
 *	Return: 0; EINVAL (flags, pad, reserved, access bits), ENOENT (no
 *	such region), EACCES (more access than the caller has),
 *	EOPNOTSUPP (a region of registered user memory, not a buffer:
 *	pass a memfd instead), EMFILE/ENFILE, ENOMEM.
 *	mmap of an export fd: EINVAL (not MAP_SHARED, beyond the buffer),
 *	EACCES (PROT_WRITE on a read-only export), ENOENT (unregistered).
 * IPCOFF_IOC_REGION_LIST - _IOWR, struct ipcoff_region_list
 *	Describes the registered regions and buffers of the calling context,
 *	of every context opened by the same euid as this one (UID: those
 *	have the owner's access anyway), or of the whole module (ALL).
 *	Transient pins of local iovecs are not regions and are not listed.
 *	Return: 0; EINVAL (flags, both scopes, pad, reserved, entry_size
 *	below VER0, entries 0 with nr_entries), EPERM (ALL without
 *	CAP_SYS_ADMIN), EFAULT, ENOMEM.
 * poll/epoll/select on the fd report EPOLLIN while entries are ready or
 * waiting in the overflow list.
 */
#define IPCOFF_NR_GET_INFO	0x00
#define IPCOFF_NR_REGISTER	0x01
#define IPCOFF_NR_UNREGISTER	0x02
#define IPCOFF_NR_GRANT		0x03
#define IPCOFF_NR_COPY		0x04
#define IPCOFF_NR_STATS		0x05
#define IPCOFF_NR_RING_SETUP	0x06
#define IPCOFF_NR_SUBMIT	0x07
#define IPCOFF_NR_WAIT		0x08
#define IPCOFF_NR_SET_EVENTFD	0x09
#define IPCOFF_NR_BUF_ALLOC	0x0a
#define IPCOFF_NR_EXPORT	0x0b
#define IPCOFF_NR_REGION_LIST	0x0c

#define IPCOFF_IOC_GET_INFO \
	_IOWR(IPCOFF_IOC_MAGIC, IPCOFF_NR_GET_INFO, struct ipcoff_info)
#define IPCOFF_IOC_REGISTER \
	_IOWR(IPCOFF_IOC_MAGIC, IPCOFF_NR_REGISTER, struct ipcoff_region_reg)
#define IPCOFF_IOC_UNREGISTER \
	_IOW(IPCOFF_IOC_MAGIC, IPCOFF_NR_UNREGISTER, struct ipcoff_region_unreg)
#define IPCOFF_IOC_GRANT \
	_IOW(IPCOFF_IOC_MAGIC, IPCOFF_NR_GRANT, struct ipcoff_grant)
#define IPCOFF_IOC_COPY \
	_IOWR(IPCOFF_IOC_MAGIC, IPCOFF_NR_COPY, struct ipcoff_copy)
#define IPCOFF_IOC_STATS \
	_IOWR(IPCOFF_IOC_MAGIC, IPCOFF_NR_STATS, struct ipcoff_stats)
#define IPCOFF_IOC_RING_SETUP \
	_IOWR(IPCOFF_IOC_MAGIC, IPCOFF_NR_RING_SETUP, struct ipcoff_ring_setup)
#define IPCOFF_IOC_SUBMIT \
	_IOWR(IPCOFF_IOC_MAGIC, IPCOFF_NR_SUBMIT, struct ipcoff_submit)
#define IPCOFF_IOC_WAIT \
	_IOWR(IPCOFF_IOC_MAGIC, IPCOFF_NR_WAIT, struct ipcoff_wait)
#define IPCOFF_IOC_SET_EVENTFD \
	_IOW(IPCOFF_IOC_MAGIC, IPCOFF_NR_SET_EVENTFD, struct ipcoff_eventfd)
#define IPCOFF_IOC_BUF_ALLOC \
	_IOWR(IPCOFF_IOC_MAGIC, IPCOFF_NR_BUF_ALLOC, struct ipcoff_buf_alloc)
#define IPCOFF_IOC_EXPORT \
	_IOWR(IPCOFF_IOC_MAGIC, IPCOFF_NR_EXPORT, struct ipcoff_export)
#define IPCOFF_IOC_REGION_LIST \
	_IOWR(IPCOFF_IOC_MAGIC, IPCOFF_NR_REGION_LIST, struct ipcoff_region_list)

#endif /* _UAPI_LINUX_IPCOFF_H */
