// SPDX-License-Identifier: GPL-2.0
/*
 * Regions: pinned, accounted user memory named by an unguessable handle,
 * with the access checks every lookup goes through.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/capability.h>
#include <linux/fs.h>
#include <linux/hashtable.h>
#include <linux/hugetlb.h>
#include <linux/magic.h>
#include <linux/mm.h>
#include <linux/pid.h>
#include <linux/random.h>
#include <linux/rcupdate.h>
#include <linux/sched/mm.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/uidgid.h>
#include <linux/user_namespace.h>

#include "dma.h"
#include "ring.h"

/* Pages pinned per pin_user_pages_fast() call: one page of pointers. */
#define IPCOFF_PIN_BATCH	(PAGE_SIZE / sizeof(struct page *))

struct ipcoff_grant_entry {
	struct list_head node;
	kuid_t uid;
	u32 access;
};

static DEFINE_HASHTABLE(ipcoff_regions, 10);
static DEFINE_SPINLOCK(ipcoff_regions_lock);
static atomic_long_t ipcoff_nr_pinned = ATOMIC_LONG_INIT(0);
static atomic_long_t ipcoff_nr_regions = ATOMIC_LONG_INIT(0);

/**
 * ipcoff_pinned_pages() - pages the module holds pinned right now
 *
 * Return: the module-wide count, for sysfs and tests.
 */
long ipcoff_pinned_pages(void)
{
	return atomic_long_read(&ipcoff_nr_pinned);
}

/**
 * ipcoff_live_regions() - regions not yet released
 *
 * Return: the module-wide count, including regions whose unpin is queued.
 */
long ipcoff_live_regions(void)
{
	return atomic_long_read(&ipcoff_nr_regions);
}

/*
 * Only memory whose pages can stay pinned without the filesystem writing
 * them back: anonymous, shmem/memfd (tmpfs) and hugetlbfs. A long-term pin
 * of a page-cache file page races with writeback.
 */
static int ipcoff_check_vmas(struct mm_struct *mm, unsigned long start,
			     unsigned long end, bool writable)
{
	struct vm_area_struct *vma;
	unsigned long addr = start;
	int ret = 0;

	mmap_read_lock(mm);
	while (addr < end) {
		vma = find_vma(mm, addr);
		if (!vma || vma->vm_start > addr) {
			ret = -EFAULT;
			break;
		}
		if (vma->vm_flags & (VM_IO | VM_PFNMAP)) {
			ret = -EOPNOTSUPP;
			break;
		}
		if (vma->vm_file && !is_vm_hugetlb_page(vma) &&
		    file_inode(vma->vm_file)->i_sb->s_magic != TMPFS_MAGIC) {
			ret = -EOPNOTSUPP;
			break;
		}
		if (writable && !(vma->vm_flags & VM_WRITE)) {
			ret = -EACCES;
			break;
		}
		addr = vma->vm_end;
	}
	mmap_read_unlock(mm);
	return ret;
}

/* Charge like RDMA's umem: mm->pinned_vm, shown as VmPin. */
static int ipcoff_charge(struct mm_struct *mm, unsigned long npages)
{
	unsigned long limit = rlimit(RLIMIT_MEMLOCK) >> PAGE_SHIFT;
	s64 pinned = atomic64_add_return(npages, &mm->pinned_vm);

	if (pinned > limit && !capable(CAP_IPC_LOCK)) {
		atomic64_sub(npages, &mm->pinned_vm);
		return -ENOMEM;
	}
	return 0;
}

static int ipcoff_pin(struct ipcoff_region *region, unsigned long start,
		      unsigned int gup)
{
	unsigned long done = 0;
	int ret;

	if (region->flags & IPCOFF_REGION_WRITABLE)
		gup |= FOLL_WRITE;

	while (done < region->npages) {
		int batch = min_t(unsigned long, region->npages - done,
				  IPCOFF_PIN_BATCH);

		ret = pin_user_pages_fast(start + done * PAGE_SIZE, batch, gup,
					  region->pages + done);
		if (ret <= 0) {
			ret = ret ? ret : -EFAULT;
			goto err_unpin;
		}
		done += ret;
		if (fatal_signal_pending(current)) {
			ret = -EINTR;
			goto err_unpin;
		}
		cond_resched();
	}
	return 0;

err_unpin:
	unpin_user_pages(region->pages, done);
	return ret;
}

static void ipcoff_region_release_work(struct work_struct *work)
{
	struct ipcoff_region *region =
		container_of(work, struct ipcoff_region, release_work);
	struct ipcoff_grant_entry *g, *tmp;

	ipcoff_dma_unmap_region(region);
	if (region->buf)
		ipcoff_buf_release(region);
	else
		unpin_user_pages_dirty_lock(region->pages, region->npages,
					    region->flags &
					    IPCOFF_REGION_WRITABLE);
	atomic_long_sub(region->npages, &ipcoff_nr_pinned);
	if (region->mm) {
		atomic64_sub(region->npages, &region->mm->pinned_vm);
		mmdrop(region->mm);
	}
	kvfree(region->pages);
	list_for_each_entry_safe(g, tmp, &region->grants, node)
		kfree(g);
	if (region->notify)
		ipcoff_ring_put(region->notify);
	put_pid(region->owner_pid);
	atomic_long_dec(&ipcoff_nr_regions);
	kfree_rcu(region, rcu);
}

static struct workqueue_struct *ipcoff_release_wq;

/**
 * ipcoff_release_queue() - run a release step from process context
 * @work: the step; module unload waits for it
 */
void ipcoff_release_queue(struct work_struct *work)
{
	queue_work(ipcoff_release_wq, work);
}

/* Unpinning may sleep (dirtying pages): never from the dropper's context. */
static void ipcoff_region_release(struct kref *ref)
{
	struct ipcoff_region *region =
		container_of(ref, struct ipcoff_region, ref);

	INIT_WORK(&region->release_work, ipcoff_region_release_work);
	queue_work(ipcoff_release_wq, &region->release_work);
}

/**
 * ipcoff_region_put() - drop a reference taken by ipcoff_region_get()
 * @region: the region
 *
 * The last reference queues the unpin on the release workqueue.
 */
void ipcoff_region_put(struct ipcoff_region *region)
{
	kref_put(&region->ref, ipcoff_region_release);
}

/* Caller holds ipcoff_regions_lock. */
static struct ipcoff_region *ipcoff_region_find(u64 handle)
{
	struct ipcoff_region *region;

	hash_for_each_possible_rcu(ipcoff_regions, region, hnode, handle)
		if (region->handle == handle)
			return region;
	return NULL;
}

static void ipcoff_region_publish(struct ipcoff_region *region)
{
	u64 handle;

	spin_lock(&ipcoff_regions_lock);
	do {
		handle = get_random_u64();
	} while (!handle || ipcoff_region_find(handle));
	region->handle = handle;
	hash_add_rcu(ipcoff_regions, &region->hnode, handle);
	spin_unlock(&ipcoff_regions_lock);
}

/* A region with its page array, nothing pinned yet; one reference. */
static struct ipcoff_region *ipcoff_region_alloc(u64 addr, u64 len,
						 u32 flags)
{
	struct ipcoff_region *region;

	region = kzalloc(sizeof(*region), GFP_KERNEL);
	if (!region)
		return NULL;
	kref_init(&region->ref);
	INIT_LIST_HEAD(&region->grants);
	INIT_LIST_HEAD(&region->dma_maps);
	spin_lock_init(&region->grant_lock);
	region->flags = flags;
	region->len = len;
	region->first_off = offset_in_page(addr);
	region->npages = (PAGE_ALIGN(addr + len) - (addr & PAGE_MASK)) >>
			 PAGE_SHIFT;
	region->pages = kvmalloc_array(region->npages, sizeof(*region->pages),
				       GFP_KERNEL_ACCOUNT);
	if (!region->pages) {
		kfree(region);
		return NULL;
	}
	return region;
}

/* Undoes ipcoff_region_alloc() for a region that was never published. */
static void ipcoff_region_free(struct ipcoff_region *region)
{
	if (region->notify)
		ipcoff_ring_put(region->notify);
	put_pid(region->owner_pid);
	kvfree(region->pages);
	kfree(region);
}

/* NOTIFY needs the owner's ring, and notify_data needs NOTIFY. */
static int ipcoff_check_notify(struct ipcoff_ctx *ctx, u32 flags, u64 data)
{
	if (data && !(flags & IPCOFF_REGION_NOTIFY))
		return -EINVAL;
	if ((flags & IPCOFF_REGION_NOTIFY) && !ipcoff_ctx_ring(ctx))
		return -ENXIO;
	return 0;
}

static void ipcoff_region_owned_by(struct ipcoff_region *region,
				   struct ipcoff_ctx *ctx, u32 flags, u64 data)
{
	region->owner = ctx;
	region->owner_uid = ctx->cred->euid;
	region->owner_pid = get_task_pid(current, PIDTYPE_TGID);
	if (flags & IPCOFF_REGION_NOTIFY) {
		region->notify = ipcoff_ring_get(ipcoff_ctx_ring(ctx));
		region->notify_data = data;
	}
}

/* Accounts a region whose pages are held and names it. Returns its handle. */
static u64 ipcoff_region_add(struct ipcoff_ctx *ctx,
			     struct ipcoff_region *region,
			     struct mm_struct *mm)
{
	mmgrab(mm);
	region->mm = mm;
	atomic_long_add(region->npages, &ipcoff_nr_pinned);
	atomic_long_inc(&ipcoff_nr_regions);

	mutex_lock(&ctx->lock);
	list_add_tail(&region->ctx_node, &ctx->regions);
	ipcoff_region_publish(region);
	mutex_unlock(&ctx->lock);
	return region->handle;
}

/**
 * ipcoff_region_register() - pin user memory and name it
 * @ctx: the registering context, which becomes the owner
 * @reg: REGISTER arguments; @reg->handle is set on success
 *
 * Return: 0 or a negative errno as documented for IPCOFF_IOC_REGISTER.
 */
int ipcoff_region_register(struct ipcoff_ctx *ctx,
			   struct ipcoff_region_reg *reg)
{
	struct mm_struct *mm = current->mm;
	struct ipcoff_region *region;
	unsigned long start, end;
	int ret;

	if (reg->flags & ~IPCOFF_REGION_FLAGS || reg->pad ||
	    reg->reserved[0] || reg->handle)
		return -EINVAL;
	ret = ipcoff_check_notify(ctx, reg->flags, reg->notify_data);
	if (ret)
		return ret;
	if (!reg->len || reg->len > IPCOFF_MAX_REGION_LEN ||
	    reg->addr + reg->len < reg->addr)
		return -EINVAL;
	if (!mm || !access_ok(u64_to_user_ptr(reg->addr), reg->len))
		return -EFAULT;

	start = reg->addr & PAGE_MASK;
	end = PAGE_ALIGN(reg->addr + reg->len);
	ret = ipcoff_check_vmas(mm, start, end,
				reg->flags & IPCOFF_REGION_WRITABLE);
	if (ret)
		return ret;

	region = ipcoff_region_alloc(reg->addr, reg->len, reg->flags);
	if (!region)
		return -ENOMEM;
	ipcoff_region_owned_by(region, ctx, reg->flags, reg->notify_data);

	ret = ipcoff_charge(mm, region->npages);
	if (ret)
		goto err_free;

	ret = ipcoff_pin(region, start, FOLL_LONGTERM);
	if (ret)
		goto err_uncharge;

	reg->handle = ipcoff_region_add(ctx, region, mm);
	return 0;

err_uncharge:
	atomic64_sub(region->npages, &mm->pinned_vm);
err_free:
	ipcoff_region_free(region);
	return ret;
}

/**
 * ipcoff_region_buffer() - IPCOFF_IOC_BUF_ALLOC: a region of new pages
 * @ctx: the allocating context, which becomes the owner
 * @a: the arguments; @a->len is rounded up, @a->handle set
 *
 * Return: 0 or a negative errno as documented for IPCOFF_IOC_BUF_ALLOC.
 */
int ipcoff_region_buffer(struct ipcoff_ctx *ctx, struct ipcoff_buf_alloc *a)
{
	const u32 flags = IPCOFF_REGION_WRITABLE | IPCOFF_REGION_NOTIFY;
	struct mm_struct *mm = current->mm;
	struct ipcoff_region *region;
	int ret;

	if (a->flags & ~flags || a->pad || a->handle || a->reserved[0] ||
	    a->reserved[1])
		return -EINVAL;
	if (!a->len || a->len > IPCOFF_MAX_REGION_LEN)
		return -EINVAL;
	ret = ipcoff_check_notify(ctx, a->flags, a->notify_data);
	if (ret)
		return ret;
	if (!mm)
		return -EFAULT;

	a->len = PAGE_ALIGN(a->len);
	region = ipcoff_region_alloc(0, a->len, a->flags);
	if (!region)
		return -ENOMEM;
	ipcoff_region_owned_by(region, ctx, a->flags, a->notify_data);
	ret = ipcoff_charge(mm, region->npages);
	if (ret)
		goto err_free;
	ret = ipcoff_buf_init(region);
	if (ret)
		goto err_uncharge;

	a->handle = ipcoff_region_add(ctx, region, mm);
	return 0;

err_uncharge:
	atomic64_sub(region->npages, &mm->pinned_vm);
err_free:
	ipcoff_region_free(region);
	return ret;
}

/**
 * ipcoff_region_scratch() - module pages for the module's own copies
 * @len: bytes, non-zero
 *
 * A buffer without owner or handle, for calibration. Like a user's
 * memory, its pages are scattered, one DMA segment each: every other
 * page of twice as many is kept, so no two of them are neighbours in
 * memory whatever order the allocator returned them in. It counts in
 * pinned_pages and regions while it lives.
 *
 * Return: the region with one reference, or NULL.
 */
struct ipcoff_region *ipcoff_region_scratch(u64 len)
{
	struct ipcoff_region *region;
	unsigned long i, n = PAGE_ALIGN(len) >> PAGE_SHIFT;

	region = ipcoff_region_alloc(0, 2 * n << PAGE_SHIFT,
				     IPCOFF_REGION_WRITABLE);
	if (!region)
		return NULL;
	if (ipcoff_buf_init(region)) {
		ipcoff_region_free(region);
		return NULL;
	}
	for (i = 0; i < n; i++) {
		put_page(region->pages[2 * i + 1]);
		region->pages[i] = region->pages[2 * i];
	}
	region->npages = n;
	region->len = n << PAGE_SHIFT;
	atomic_long_add(region->npages, &ipcoff_nr_pinned);
	atomic_long_inc(&ipcoff_nr_regions);
	return region;
}

/**
 * ipcoff_region_drain() - wait until the releases queued so far are done
 */
void ipcoff_region_drain(void)
{
	flush_workqueue(ipcoff_release_wq);
}

/**
 * ipcoff_region_pin_user() - pin the caller's memory for one copy
 * @addr: user address, any alignment
 * @len: bytes, non-zero
 * @write: the copy writes into it
 *
 * For a local iovec that an engine reaches later or from another context
 * (DMA, a worker). Like O_DIRECT, the pin lasts one request: it is not
 * long-term and not charged to RLIMIT_MEMLOCK, and it has no handle.
 * Pages are unpinned when the request drops its reference.
 *
 * Return: a region with one reference, or an ERR_PTR(): -EFAULT where
 * the memory is not mapped (or not writable for @write), -ENOMEM, -EINTR.
 */
struct ipcoff_region *ipcoff_region_pin_user(u64 addr, u64 len, bool write)
{
	struct ipcoff_region *region;
	int ret;

	if (!len || addr + len < addr ||
	    !access_ok(u64_to_user_ptr(addr), len))
		return ERR_PTR(-EFAULT);
	region = ipcoff_region_alloc(addr, len,
				     write ? IPCOFF_REGION_WRITABLE : 0);
	if (!region)
		return ERR_PTR(-ENOMEM);
	ret = ipcoff_pin(region, addr & PAGE_MASK, 0);
	if (ret) {
		ipcoff_region_free(region);
		return ERR_PTR(ret);
	}
	atomic_long_add(region->npages, &ipcoff_nr_pinned);
	atomic_long_inc(&ipcoff_nr_regions);
	return region;
}

/* Caller holds ctx->lock. Drops the registration's reference. */
static void ipcoff_region_kill(struct ipcoff_region *region)
{
	set_bit(IPCOFF_REGION_DEAD, &region->state);
	spin_lock(&ipcoff_regions_lock);
	hash_del_rcu(&region->hnode);
	spin_unlock(&ipcoff_regions_lock);
	if (region->buf)
		ipcoff_buf_revoke(region);
	list_del(&region->ctx_node);
	ipcoff_region_put(region);
}

/* Caller holds ctx->lock. */
static struct ipcoff_region *ipcoff_region_owned(struct ipcoff_ctx *ctx,
						 u64 handle)
{
	struct ipcoff_region *region;

	list_for_each_entry(region, &ctx->regions, ctx_node)
		if (region->handle == handle)
			return region;
	return NULL;
}

/**
 * ipcoff_region_unregister() - remove a region's handle
 * @ctx: the owning context
 * @handle: the region's handle
 *
 * Copies already running keep their reference; the pages are unpinned when
 * the last one ends.
 *
 * Return: 0, or -ENOENT when @ctx owns no region named @handle.
 */
int ipcoff_region_unregister(struct ipcoff_ctx *ctx, u64 handle)
{
	struct ipcoff_region *region;
	int ret = -ENOENT;

	mutex_lock(&ctx->lock);
	region = ipcoff_region_owned(ctx, handle);
	if (region) {
		ipcoff_region_kill(region);
		ret = 0;
	}
	mutex_unlock(&ctx->lock);
	return ret;
}

/**
 * ipcoff_region_unregister_all() - remove every region of a closing context
 * @ctx: the context being released
 *
 * Never waits for copies in flight: they hold their own references.
 */
void ipcoff_region_unregister_all(struct ipcoff_ctx *ctx)
{
	struct ipcoff_region *region, *tmp;

	mutex_lock(&ctx->lock);
	list_for_each_entry_safe(region, tmp, &ctx->regions, ctx_node)
		ipcoff_region_kill(region);
	mutex_unlock(&ctx->lock);
}

/**
 * ipcoff_region_grant() - grant, change or revoke another uid's access
 * @ctx: the owning context
 * @grant: GRANT arguments; access 0 revokes
 *
 * Return: 0 or a negative errno as documented for IPCOFF_IOC_GRANT.
 */
int ipcoff_region_grant(struct ipcoff_ctx *ctx, struct ipcoff_grant *grant)
{
	struct ipcoff_grant_entry *g, *new = NULL;
	struct ipcoff_region *region;
	kuid_t uid;
	int ret = 0;

	if (grant->flags || grant->pad || grant->reserved[0] ||
	    grant->reserved[1] || grant->access & ~IPCOFF_ACCESS_MASK)
		return -EINVAL;
	uid = make_kuid(current_user_ns(), grant->uid);
	if (!uid_valid(uid))
		return -EINVAL;
	if (grant->access) {
		new = kzalloc(sizeof(*new), GFP_KERNEL);
		if (!new)
			return -ENOMEM;
		new->uid = uid;
		new->access = grant->access;
	}

	mutex_lock(&ctx->lock);
	region = ipcoff_region_owned(ctx, grant->handle);
	if (!region) {
		ret = -ENOENT;
		goto out_unlock;
	}
	if ((grant->access & IPCOFF_ACCESS_WRITE) &&
	    !(region->flags & IPCOFF_REGION_WRITABLE)) {
		ret = -EINVAL;
		goto out_unlock;
	}
	spin_lock(&region->grant_lock);
	list_for_each_entry(g, &region->grants, node) {
		if (uid_eq(g->uid, uid)) {
			list_del(&g->node);
			kfree(g);
			break;
		}
	}
	if (new) {
		list_add(&new->node, &region->grants);
		new = NULL;
	}
	spin_unlock(&region->grant_lock);
	/* Mappings made under the old grant fault back in under the new. */
	if (region->buf)
		ipcoff_buf_revoke(region);
out_unlock:
	mutex_unlock(&ctx->lock);
	kfree(new);
	return ret;
}

static bool ipcoff_granted(struct ipcoff_region *region, kuid_t uid,
			   u32 access)
{
	struct ipcoff_grant_entry *g;
	bool ok = false;

	spin_lock(&region->grant_lock);
	list_for_each_entry(g, &region->grants, node) {
		if (uid_eq(g->uid, uid)) {
			ok = (g->access & access) == access;
			break;
		}
	}
	spin_unlock(&region->grant_lock);
	return ok;
}

/**
 * ipcoff_region_allows() - whether an identity has access to a region now
 * @region: the region, alive or dead
 * @uid: the euid asking
 * @owner: the asker is the owning context
 * @access: IPCOFF_ACCESS_* wanted
 *
 * The owner context always has access; a context opened by the owner's
 * uid has it by default; any other uid needs a grant. A dead region
 * allows nothing.
 *
 * Return: true when @access is allowed.
 */
bool ipcoff_region_allows(struct ipcoff_region *region, kuid_t uid,
			  bool owner, u32 access)
{
	if (test_bit(IPCOFF_REGION_DEAD, &region->state))
		return false;
	if ((access & IPCOFF_ACCESS_WRITE) &&
	    !(region->flags & IPCOFF_REGION_WRITABLE))
		return false;
	return owner || uid_eq(uid, region->owner_uid) ||
	       ipcoff_granted(region, uid, access);
}

static int ipcoff_region_check(struct ipcoff_region *region,
			       struct ipcoff_ctx *ctx, u32 access, bool *claimed)
{
	*claimed = false;
	if (!ipcoff_region_allows(region, ctx->cred->euid,
				  region->owner == ctx, access))
		return -EACCES;
	if (region->owner == ctx)
		return 0;
	if (region->flags & IPCOFF_REGION_SINGLE_USE) {
		if (test_and_set_bit(IPCOFF_REGION_CONSUMED, &region->state))
			return -EACCES;
		*claimed = true;
	}
	return 0;
}

/**
 * ipcoff_region_get() - look up a region and check access to it
 * @ctx: the context asking
 * @handle: the region's handle
 * @access: IPCOFF_ACCESS_READ and/or IPCOFF_ACCESS_WRITE
 * @claimed: set when this lookup used up a single-use region; the caller
 *	gives it back with ipcoff_region_unclaim() if the copy fails
 *
 * Return: a referenced region, or ERR_PTR(-ENOENT) or ERR_PTR(-EACCES).
 */
struct ipcoff_region *ipcoff_region_get(struct ipcoff_ctx *ctx, u64 handle,
					u32 access, bool *claimed)
{
	struct ipcoff_region *region;
	int ret;

	rcu_read_lock();
	region = ipcoff_region_find(handle);
	if (region && !kref_get_unless_zero(&region->ref))
		region = NULL;
	rcu_read_unlock();
	if (!region)
		return ERR_PTR(-ENOENT);

	ret = -ENOENT;
	if (test_bit(IPCOFF_REGION_DEAD, &region->state))
		goto err_put;
	ret = ipcoff_region_check(region, ctx, access, claimed);
	if (ret)
		goto err_put;
	return region;

err_put:
	ipcoff_region_put(region);
	return ERR_PTR(ret);
}

/**
 * ipcoff_region_unclaim() - give back a single use that did not happen
 * @region: a region whose ipcoff_region_get() reported a claim
 */
void ipcoff_region_unclaim(struct ipcoff_region *region)
{
	clear_bit(IPCOFF_REGION_CONSUMED, &region->state);
}

/* Caller keeps @r registered: holds @r's owner's ctx->lock or the table lock. */
static void ipcoff_region_describe(struct ipcoff_region *r,
				   struct ipcoff_ctx *ctx,
				   struct ipcoff_region_info *info)
{
	struct ipcoff_grant_entry *g;
	u32 grants = 0;

	memset(info, 0, sizeof(*info));
	info->handle = r->handle;
	info->len = r->len;
	info->pages = r->npages;
	info->flags = r->flags;
	if (r->buf)
		info->state |= IPCOFF_REGION_INFO_BUFFER;
	if (r->owner == ctx)
		info->state |= IPCOFF_REGION_INFO_OWN;
	if (test_bit(IPCOFF_REGION_CONSUMED, &r->state))
		info->state |= IPCOFF_REGION_INFO_CONSUMED;
	spin_lock(&r->grant_lock);
	list_for_each_entry(g, &r->grants, node)
		grants++;
	spin_unlock(&r->grant_lock);
	info->grants = grants;
	info->users = max(atomic_read(&r->users), 0);
	info->owner_pid = pid_vnr(r->owner_pid);
	info->owner_uid = from_kuid_munged(current_user_ns(), r->owner_uid);
}

/* Fills up to @room entries; returns how many regions are in the scope. */
static u32 ipcoff_region_collect(struct ipcoff_ctx *ctx, u32 scope,
				 struct ipcoff_region_info *infos, u32 room)
{
	struct ipcoff_region *r;
	u32 total = 0;
	int bkt;

	if (!scope) {
		mutex_lock(&ctx->lock);
		list_for_each_entry(r, &ctx->regions, ctx_node) {
			if (total < room)
				ipcoff_region_describe(r, ctx, &infos[total]);
			total++;
		}
		mutex_unlock(&ctx->lock);
		return total;
	}
	/* The table holds registered regions only, each with its reference. */
	spin_lock(&ipcoff_regions_lock);
	hash_for_each(ipcoff_regions, bkt, r, hnode) {
		if (scope == IPCOFF_REGION_LIST_UID &&
		    !uid_eq(r->owner_uid, ctx->cred->euid))
			continue;
		if (total < room)
			ipcoff_region_describe(r, ctx, &infos[total]);
		total++;
	}
	spin_unlock(&ipcoff_regions_lock);
	return total;
}

/**
 * ipcoff_region_list() - IPCOFF_IOC_REGION_LIST: describe regions
 * @ctx: the calling context
 * @l: the arguments; @l->count and @l->total are set
 *
 * The entries are gathered under the lock of the scope, then copied out
 * without it. The live-region counter bounds the buffer: it counts every
 * registered region (and transient pins), so at most that many fit. A
 * buffer too large to allocate is ENOMEM, never a warning: the size
 * comes from user space.
 *
 * Return: 0 or a negative errno as documented for IPCOFF_IOC_REGION_LIST.
 */
int ipcoff_region_list(struct ipcoff_ctx *ctx, struct ipcoff_region_list *l)
{
	const size_t ksize = sizeof(struct ipcoff_region_info);
	struct ipcoff_region_info *infos = NULL;
	u8 __user *dst = u64_to_user_ptr(l->entries);
	u32 room, count, total, i;
	int ret = 0;

	if (l->flags & ~IPCOFF_REGION_LIST_FLAGS ||
	    l->flags == IPCOFF_REGION_LIST_FLAGS || l->pad ||
	    l->reserved[0] || l->reserved[1] ||
	    l->entry_size < IPCOFF_REGION_INFO_SIZE_VER0 ||
	    l->entry_size > PAGE_SIZE || (l->nr_entries && !l->entries))
		return -EINVAL;
	if ((l->flags & IPCOFF_REGION_LIST_ALL) && !capable(CAP_SYS_ADMIN))
		return -EPERM;

	room = min_t(u64, l->nr_entries, max(ipcoff_live_regions(), 0L));
	if (room) {
		infos = kvcalloc(room, ksize, GFP_KERNEL | __GFP_NOWARN);
		if (!infos)
			return -ENOMEM;
	}
	total = ipcoff_region_collect(ctx, l->flags, infos, room);
	count = min(total, room);

	for (i = 0; i < count; i++, dst += l->entry_size) {
		size_t n = min_t(size_t, ksize, l->entry_size);

		if (copy_to_user(dst, &infos[i], n) ||
		    (l->entry_size > ksize &&
		     clear_user(dst + ksize, l->entry_size - ksize))) {
			ret = -EFAULT;
			goto out_free;
		}
	}
	l->count = count;
	l->total = total;
out_free:
	kvfree(infos);
	return ret;
}

/**
 * ipcoff_region_init() - create the release workqueue
 *
 * Return: 0 or -ENOMEM.
 */
int ipcoff_region_init(void)
{
	ipcoff_release_wq = alloc_workqueue("ipcoff_release", WQ_UNBOUND, 0);
	return ipcoff_release_wq ? 0 : -ENOMEM;
}

/**
 * ipcoff_region_exit() - finish every queued unpin and free the workqueue
 *
 * Called at module unload, when no file is open any more.
 */
void ipcoff_region_exit(void)
{
	destroy_workqueue(ipcoff_release_wq);
	rcu_barrier();
}
