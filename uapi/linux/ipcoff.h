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
#define IPCOFF_REGION_FLAGS	  (IPCOFF_REGION_WRITABLE | \
				   IPCOFF_REGION_SINGLE_USE)

/**
 * struct ipcoff_region_reg - IPCOFF_IOC_REGISTER
 * @addr: in, start of the caller's memory (any alignment)
 * @len: in, length in bytes, non-zero
 * @flags: in, IPCOFF_REGION_*
 * @pad: must be 0
 * @handle: out, unguessable non-zero region handle; must be 0 on input
 * @reserved: must be 0
 */
struct ipcoff_region_reg {
	__aligned_u64 addr;
	__aligned_u64 len;
	__u32 flags;
	__u32 pad;
	__aligned_u64 handle;
	__aligned_u64 reserved[2];
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
#define IPCOFF_COPY_FLAGS	 IPCOFF_COPY_CPU_FALLBACK

/**
 * struct ipcoff_copy - IPCOFF_IOC_COPY
 * @src: in, where bytes come from
 * @dst: in, where bytes go
 * @len: in, bytes to copy, non-zero
 * @flags: in, IPCOFF_COPY_*
 * @engine: in, IPCOFF_ENGINE_*; out, the engine that ran the copy
 * @user_data: in, opaque to the module; reserved for completion entries
 * @copied: out, bytes copied (also written when a copy stops early)
 * @descriptors: out, hardware descriptors (dma) or page pieces (cpu) the
 *	copy was cut into: without an IOMMU a dma copy between 4 KiB pages
 *	takes one per page, between huge pages one per 2 MiB (or
 *	dma_max_xfer); ignored on input (IPCOFF_FEAT_COPY_DESCRIPTORS)
 * @reserved: must be 0
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
	__aligned_u64 reserved[1];
};

#define IPCOFF_COPY_SIZE_VER0	128

/**
 * struct ipcoff_engine_counters - what one engine did since the module loaded
 * @requests: copies it completed successfully
 * @bytes: bytes it moved
 * @descriptors: hardware descriptors (dma) or page pieces (cpu) it issued
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
 * @reserved: out, zero
 * @engine: out, indexed by IPCOFF_ENGINE_* (AUTO's entry stays zero)
 */
struct ipcoff_stats {
	__u32 flags;
	__u32 nr_engines;
	__aligned_u64 pinned_pages;
	__aligned_u64 regions;
	__u32 dma_chans;
	__u32 pad;
	__aligned_u64 reserved[4];
	struct ipcoff_engine_counters engine[IPCOFF_ENGINE_COUNT];
};

#define IPCOFF_STATS_SIZE_VER0	320

/*
 * IPCOFF_IOC_GET_INFO - _IOWR, struct ipcoff_info
 *	Return: 0; EINVAL (flags), EFAULT.
 *
 * IPCOFF_IOC_REGISTER - _IOWR, struct ipcoff_region_reg
 *	Pins [addr, addr + len) of the caller's anonymous, shmem/memfd or
 *	hugetlbfs memory, charges it to RLIMIT_MEMLOCK (mm->pinned_vm) unless
 *	CAP_IPC_LOCK, and returns a handle.
 *	Return: 0; EINVAL (flags, pad, reserved, len 0, range overflows or
 *	exceeds max_region_len), EFAULT (unmapped or kernel address),
 *	EACCES (read-only mapping registered WRITABLE), EOPNOTSUPP
 *	(page-cache file or device mapping), ENOMEM (memlock limit or out of
 *	memory).
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
 *	Return: 0 with copied == len; EINVAL (flags, types, reserved, zero
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
 *	cannot be DMA-mapped for a forced dma copy).
 *	On EFAULT, EINTR and EIO, copied holds the bytes that did arrive.
 *
 * IPCOFF_IOC_STATS - _IOWR, struct ipcoff_stats
 *	Module-wide counters, the same as in /sys/class/misc/ipcoff/.
 *	Return: 0; EINVAL (flags).
 */
#define IPCOFF_NR_GET_INFO	0x00
#define IPCOFF_NR_REGISTER	0x01
#define IPCOFF_NR_UNREGISTER	0x02
#define IPCOFF_NR_GRANT		0x03
#define IPCOFF_NR_COPY		0x04
#define IPCOFF_NR_STATS		0x05

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

#endif /* _UAPI_LINUX_IPCOFF_H */
