/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ipcoff private definitions shared by the module's files.
 */
#ifndef IPCOFF_PRIV_H
#define IPCOFF_PRIV_H

#include <linux/cred.h>
#include <linux/kref.h>
#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/spinlock.h>
#include <linux/types.h>
#include <linux/workqueue.h>
#include <linux/ipcoff.h>

#include "compat.h"

/* Largest region REGISTER accepts: bounds the page array (32 MiB). */
#define IPCOFF_MAX_REGION_LEN	(16ULL << 30)

struct ipcoff_ring;
struct ipcoff_buffer;

/**
 * struct ipcoff_ctx - state of one open /dev/ipcoff file
 * @cred: credentials of the opener; identity for every access check
 * @lock: protects @regions and the setting of @ring
 * @regions: regions this context registered (struct ipcoff_region.ctx_node)
 * @ring: completion ring, set once (ipcoff_ctx_ring() reads it)
 */
struct ipcoff_ctx {
	const struct cred *cred;
	struct mutex lock;	/* protects @regions, sets @ring */
	struct list_head regions;
	struct ipcoff_ring *ring;
};

/**
 * struct ipcoff_region - a pinned range of user memory
 * @ref: references: the owner's registration plus one per user in flight
 * @hnode: entry in the module-wide handle table
 * @ctx_node: entry in the owner's @regions list
 * @rcu: frees the struct after RCU readers of the table are done
 * @release_work: unpins from process context after the last reference
 * @handle: unguessable name given to user space
 * @owner: context that registered it (NULL for a transient pin); only
 *	compared, never dereferenced
 * @owner_uid: euid of @owner's opener
 * @owner_pid: thread group that registered it (referenced), for
 *	IPCOFF_IOC_REGION_LIST; NULL for a transient pin
 * @flags: IPCOFF_REGION_* given at registration
 * @state: IPCOFF_REGION_DEAD and IPCOFF_REGION_CONSUMED bits
 * @grant_lock: protects @grants
 * @grants: struct ipcoff_grant_entry list
 * @mm: address space charged for the pin (mmgrab'ed); NULL for a transient
 *	pin of a local iovec, which is not charged
 * @pages: pinned pages
 * @npages: number of @pages
 * @first_off: offset of the region's first byte in @pages[0]
 * @len: length in bytes
 * @dma_maps: its DMA mappings, one per device (dma_map.c)
 * @notify: IPCOFF_REGION_NOTIFY: the owner's ring (referenced), else NULL
 * @notify_data: user_data of its "data arrived" entries
 * @buf: a buffer (module-allocated pages, mapped through export fds), or
 *	NULL for pinned user memory
 * @users: requests holding it as a region endpoint, from copy.c's load to
 *	the request's release (a buffer's page exchange needs it idle)
 */
struct ipcoff_region {
	struct kref ref;
	struct hlist_node hnode;
	struct list_head ctx_node;
	struct rcu_head rcu;
	struct work_struct release_work;
	u64 handle;
	const struct ipcoff_ctx *owner;
	kuid_t owner_uid;
	struct pid *owner_pid;
	u32 flags;
	unsigned long state;
	spinlock_t grant_lock;	/* protects @grants */
	struct list_head grants;
	struct mm_struct *mm;
	struct page **pages;
	unsigned long npages;
	unsigned int first_off;
	u64 len;
	struct list_head dma_maps;
	struct ipcoff_ring *notify;
	u64 notify_data;
	struct ipcoff_buffer *buf;
	atomic_t users;
};

/* Bits of struct ipcoff_region.state */
#define IPCOFF_REGION_DEAD	0	/* unregistered: lookups fail */
#define IPCOFF_REGION_CONSUMED	1	/* single-use region was used */

/**
 * struct ipcoff_extent - a pinned byte range a copy walks through
 * @region: the region holding the pages, referenced by the request
 * @offset: first byte in @region
 * @len: bytes
 */
struct ipcoff_extent {
	struct ipcoff_region *region;
	u64 offset;
	u64 len;
};

/**
 * struct ipcoff_xfer_end - one side of a copy as the engines see it
 * @ext: pinned memory in copy order: a region endpoint's one range, or a
 *	local iovec pinned at submit (a transient region per segment)
 * @ext_cnt: entries in @ext; 0 for a local iovec that is not pinned
 * @one: storage of @ext for a region endpoint
 * @iov: kernel copy of the caller's iovec array (local iovec endpoints)
 * @iov_cnt: entries in @iov
 */
struct ipcoff_xfer_end {
	struct ipcoff_extent *ext;
	u32 ext_cnt;
	struct ipcoff_extent one;
	struct ipcoff_iovec *iov;
	u32 iov_cnt;
};

/* The registered region an endpoint names, or NULL for a local iovec. */
static inline struct ipcoff_region *
ipcoff_end_region(const struct ipcoff_xfer_end *end)
{
	return end->ext == &end->one ? end->one.region : NULL;
}

/* region.c */
int ipcoff_region_register(struct ipcoff_ctx *ctx,
			   struct ipcoff_region_reg *reg);
int ipcoff_region_unregister(struct ipcoff_ctx *ctx, u64 handle);
void ipcoff_region_unregister_all(struct ipcoff_ctx *ctx);
int ipcoff_region_grant(struct ipcoff_ctx *ctx, struct ipcoff_grant *grant);
struct ipcoff_region *ipcoff_region_get(struct ipcoff_ctx *ctx, u64 handle,
					u32 access, bool *claimed);
void ipcoff_region_unclaim(struct ipcoff_region *region);
bool ipcoff_region_allows(struct ipcoff_region *region, kuid_t uid,
			  bool owner, u32 access);
int ipcoff_region_buffer(struct ipcoff_ctx *ctx, struct ipcoff_buf_alloc *a);
void ipcoff_region_put(struct ipcoff_region *region);
struct ipcoff_region *ipcoff_region_pin_user(u64 addr, u64 len, bool write);
struct ipcoff_region *ipcoff_region_scratch(u64 len);
void ipcoff_region_drain(void);
int ipcoff_region_init(void);
void ipcoff_region_exit(void);
long ipcoff_pinned_pages(void);
long ipcoff_live_regions(void);
int ipcoff_region_list(struct ipcoff_ctx *ctx, struct ipcoff_region_list *l);
void ipcoff_release_queue(struct work_struct *work);

/* copy.c */
int ipcoff_copy(struct ipcoff_ctx *ctx, struct ipcoff_copy *req);

/* buffer.c */
int ipcoff_buf_init(struct ipcoff_region *r);
void ipcoff_buf_release(struct ipcoff_region *r);
void ipcoff_buf_revoke(struct ipcoff_region *r);
void ipcoff_region_busy(struct ipcoff_region *r);
void ipcoff_region_idle(struct ipcoff_region *r);
int ipcoff_buf_exchange(struct ipcoff_region *a, unsigned long apg,
			struct ipcoff_region *b, unsigned long bpg,
			unsigned long npages);
int ipcoff_export(struct ipcoff_ctx *ctx, struct ipcoff_export *e);

/* submit.c */
int ipcoff_submit(struct ipcoff_ctx *ctx, struct ipcoff_submit *s);

/* ioctl.c */
long ipcoff_ioctl(struct file *file, unsigned int cmd, unsigned long arg);

#endif /* IPCOFF_PRIV_H */
