// SPDX-License-Identifier: GPL-2.0
/*
 * Buffers: regions whose pages the module allocates, shared by mapping.
 *
 * Backing: module-owned pages behind an address_space of the buffer's own,
 * which every export file of the buffer uses as its f_mapping. Revoking is
 * then one unmap_mapping_range() over every process that maps it, and a
 * later page exchange can swap pages under the same lock. The price, which
 * the documentation states: the pages are in no page cache, so a futex in
 * such a mapping fails (no futex key) and long-term pins by other
 * subsystems (RDMA memory registration, O_DIRECT) are not supported on it.
 *
 * A mapping is reached only through an export file, which carries exactly
 * one buffer and the access it was made with; every fault checks that
 * access again under the buffer's lock, and revocation zaps every page
 * table entry after taking that lock, so no mapping outlives its right.
 */
#include <linux/anon_inodes.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/highmem.h>
#include <linux/mm.h>
#include <linux/rwsem.h>
#include <linux/slab.h>

#include "dma.h"

/**
 * struct ipcoff_buffer - what a buffer adds to its region
 * @mapping: f_mapping of every export file: all mappings of the buffer
 * @lock: faults read it; revocation writes it, so a fault that saw the
 *	right before it is revoked has inserted its entry before the zap
 */
struct ipcoff_buffer {
	struct address_space mapping;
	struct rw_semaphore lock;
};

/**
 * struct ipcoff_export_file - the private data of an export fd
 * @region: the buffer (referenced)
 * @uid: the exporter's euid, checked again at every fault
 * @by_owner: the owner exported it: no grant needed while it lives
 * @access: IPCOFF_ACCESS_* the fd carries
 */
struct ipcoff_export_file {
	struct ipcoff_region *region;
	kuid_t uid;
	bool by_owner;
	u32 access;
};

static const struct address_space_operations ipcoff_buf_aops = {};

/**
 * ipcoff_buf_init() - give a region freshly allocated, zeroed pages
 * @r: a region from ipcoff_region_alloc() with @npages set, nothing pinned
 *
 * Return: 0 or -ENOMEM (nothing is left allocated).
 */
int ipcoff_buf_init(struct ipcoff_region *r)
{
	struct ipcoff_buffer *b = kzalloc(sizeof(*b), GFP_KERNEL);
	unsigned long i;

	if (!b)
		return -ENOMEM;
	for (i = 0; i < r->npages; i++) {
		r->pages[i] = alloc_page(GFP_HIGHUSER | __GFP_ZERO |
					 __GFP_ACCOUNT);
		if (!r->pages[i])
			goto err_free;
		if (!(i % 512))
			cond_resched();
	}
	address_space_init_once(&b->mapping);
	b->mapping.a_ops = &ipcoff_buf_aops;
	init_rwsem(&b->lock);
	r->buf = b;
	return 0;

err_free:
	while (i--)
		__free_page(r->pages[i]);
	kfree(b);
	return -ENOMEM;
}

/**
 * ipcoff_buf_release() - free a buffer's pages; nothing maps them any more
 * @r: the region, at its release
 */
void ipcoff_buf_release(struct ipcoff_region *r)
{
	unsigned long i;

	for (i = 0; i < r->npages; i++)
		put_page(r->pages[i]);
	kfree(r->buf);
	r->buf = NULL;
}

/**
 * ipcoff_buf_revoke() - take every mapping of a buffer away
 * @r: the buffer, after its access changed (grant revoked, unregistered)
 *
 * Mappings that still have the right fault their pages in again.
 */
void ipcoff_buf_revoke(struct ipcoff_region *r)
{
	struct ipcoff_buffer *b = r->buf;

	/* Faults in progress finish inserting before the zap. */
	down_write(&b->lock);
	up_write(&b->lock);
	unmap_mapping_range(&b->mapping, 0, 0, 1);
}

static vm_fault_t ipcoff_buf_fault(struct vm_fault *vmf)
{
	struct vm_area_struct *vma = vmf->vma;
	struct ipcoff_export_file *ex = vma->vm_file->private_data;
	struct ipcoff_region *r = ex->region;
	vm_fault_t ret = VM_FAULT_SIGBUS;
	u32 need = ex->access;

	if (!(vma->vm_flags & VM_WRITE))
		need &= ~IPCOFF_ACCESS_WRITE;
	down_read(&r->buf->lock);
	if (vmf->pgoff < r->npages &&
	    ipcoff_region_allows(r, ex->uid, ex->by_owner, need)) {
		int err = vm_insert_page(vma, vmf->address & PAGE_MASK,
					 r->pages[vmf->pgoff]);

		ret = err == -ENOMEM ? VM_FAULT_OOM :
		      err && err != -EBUSY ? VM_FAULT_SIGBUS : VM_FAULT_NOPAGE;
	}
	up_read(&r->buf->lock);
	return ret;
}

static const struct vm_operations_struct ipcoff_buf_vm_ops = {
	.fault = ipcoff_buf_fault,
};

static int ipcoff_export_mmap(struct file *file, struct vm_area_struct *vma)
{
	struct ipcoff_export_file *ex = file->private_data;
	struct ipcoff_region *r = ex->region;
	unsigned long pages = vma_pages(vma);

	/* MAP_SHARED (VM_SHARED is dropped for a read-only file). */
	if (!(vma->vm_flags & VM_MAYSHARE))
		return -EINVAL;
	if (vma->vm_pgoff >= r->npages || pages > r->npages - vma->vm_pgoff)
		return -EINVAL;
	if (test_bit(IPCOFF_REGION_DEAD, &r->state))
		return -ENOENT;
	if (!(ex->access & IPCOFF_ACCESS_WRITE)) {
		if (vma->vm_flags & VM_WRITE)
			return -EACCES;
		/* No later mprotect(PROT_WRITE) either. */
		ipcoff_vm_flags_clear(vma, VM_MAYWRITE);
	}
	/* Pages go in one at a time from the fault handler. */
	ipcoff_vm_flags_set(vma, VM_MIXEDMAP | VM_DONTEXPAND | VM_DONTDUMP);
	vma->vm_ops = &ipcoff_buf_vm_ops;
	return 0;
}

static int ipcoff_export_release(struct inode *inode, struct file *file)
{
	struct ipcoff_export_file *ex = file->private_data;

	ipcoff_region_put(ex->region);
	kfree(ex);
	return 0;
}

static const struct file_operations ipcoff_export_fops = {
	.owner = THIS_MODULE,
	.mmap = ipcoff_export_mmap,
	.release = ipcoff_export_release,
};

/**
 * ipcoff_export() - IPCOFF_IOC_EXPORT: an fd for one buffer
 * @ctx: the calling context
 * @e: the arguments; @e->fd is set
 *
 * Return: 0 or a negative errno as documented for IPCOFF_IOC_EXPORT.
 */
int ipcoff_export(struct ipcoff_ctx *ctx, struct ipcoff_export *e)
{
	struct ipcoff_export_file *ex;
	struct ipcoff_region *r;
	struct file *file;
	bool claimed;
	int fd, ret;

	e->fd = -1;
	if (e->flags & ~IPCOFF_EXPORT_CLOEXEC || e->pad || e->reserved[0])
		return -EINVAL;
	if (!(e->access & IPCOFF_ACCESS_READ) ||
	    e->access & ~IPCOFF_ACCESS_MASK)
		return -EINVAL;
	r = ipcoff_region_get(ctx, e->handle, e->access, &claimed);
	if (IS_ERR(r))
		return PTR_ERR(r);
	ret = -EOPNOTSUPP;
	if (!r->buf)
		goto err_put;
	ret = -ENOMEM;
	ex = kzalloc(sizeof(*ex), GFP_KERNEL);
	if (!ex)
		goto err_put;
	ex->region = r;
	ex->uid = ctx->cred->euid;
	ex->by_owner = r->owner == ctx;
	ex->access = e->access;

	fd = get_unused_fd_flags(O_RDWR | (e->flags & IPCOFF_EXPORT_CLOEXEC ?
					   O_CLOEXEC : 0));
	if (fd < 0) {
		ret = fd;
		goto err_free;
	}
	file = anon_inode_getfile("[ipcoff-buffer]", &ipcoff_export_fops, ex,
				  e->access & IPCOFF_ACCESS_WRITE ?
				  O_RDWR : O_RDONLY);
	if (IS_ERR(file)) {
		ret = PTR_ERR(file);
		goto err_fd;
	}
	/* Every export of the buffer maps through its one address_space. */
	r->buf->mapping.host = file_inode(file);
	file->f_mapping = &r->buf->mapping;
	fd_install(fd, file);
	e->fd = fd;
	return 0;

err_fd:
	put_unused_fd(fd);
err_free:
	kfree(ex);
err_put:
	/* A refused export spends no single use (only buffers export). */
	if (claimed)
		ipcoff_region_unclaim(r);
	ipcoff_region_put(r);
	return ret;
}

/**
 * ipcoff_region_busy() - a request takes a region as an endpoint
 * @r: the region, referenced by the request
 *
 * For a buffer, under its lock: a page exchange that found the buffer
 * idle has swapped its pages before any later request reads them.
 */
void ipcoff_region_busy(struct ipcoff_region *r)
{
	if (!r->buf) {
		atomic_inc(&r->users);
		return;
	}
	down_read(&r->buf->lock);
	atomic_inc(&r->users);
	up_read(&r->buf->lock);
}

/**
 * ipcoff_region_idle() - a request released a region endpoint
 * @r: the region, still referenced by the request
 *
 * Callable from any context.
 */
void ipcoff_region_idle(struct ipcoff_region *r)
{
	atomic_dec(&r->users);
}

/* Whether one of @n pages from @pg of @r may be used by someone else. */
static bool ipcoff_buf_pinned(struct ipcoff_region *r, unsigned long pg,
			      unsigned long n)
{
	unsigned long i;

	for (i = 0; i < n; i++)
		if (folio_maybe_dma_pinned(page_folio(r->pages[pg + i])))
			return true;
	return false;
}

static void ipcoff_buf_zap(struct ipcoff_region *r, unsigned long pg,
			   unsigned long n)
{
	unmap_mapping_range(&r->buf->mapping, (loff_t)pg << PAGE_SHIFT,
			    (loff_t)n << PAGE_SHIFT, 1);
}

/**
 * ipcoff_buf_exchange() - swap whole pages between two buffers
 * @a: a buffer, which the calling request holds as one endpoint
 * @apg: first page of @a
 * @b: a buffer, which the calling request holds as the other endpoint
 *	(may be @a, with a range that does not overlap)
 * @bpg: first page of @b
 * @npages: pages to exchange
 *
 * Faults on both buffers wait on their locks (taken for write, in address
 * order) while every mapping of both ranges is zapped, the DMA mappings of
 * both buffers dropped (made again at the next DMA copy) and the page
 * pointers swapped; later faults insert the new pages.
 *
 * Return: 0, or -EBUSY (nothing changed) when another request holds
 * either buffer or a page is pinned (FOLL_PIN) by someone else.
 */
int ipcoff_buf_exchange(struct ipcoff_region *a, unsigned long apg,
			struct ipcoff_region *b, unsigned long bpg,
			unsigned long npages)
{
	struct ipcoff_region *first = a < b ? a : b;
	struct ipcoff_region *second = a < b ? b : a;
	unsigned long i;
	int ret = -EBUSY;

	down_write(&first->buf->lock);
	if (second != first)
		down_write_nested(&second->buf->lock, SINGLE_DEPTH_NESTING);
	/* This request is the only user: one per endpoint. */
	if (a == b ? atomic_read(&a->users) != 2 :
	    atomic_read(&a->users) != 1 || atomic_read(&b->users) != 1)
		goto out;
	/* Zapped first: no new pin can be taken through a mapping now. */
	ipcoff_buf_zap(a, apg, npages);
	ipcoff_buf_zap(b, bpg, npages);
	if (ipcoff_buf_pinned(a, apg, npages) ||
	    ipcoff_buf_pinned(b, bpg, npages))
		goto out;
	ipcoff_dma_unmap_region(a);
	if (b != a)
		ipcoff_dma_unmap_region(b);
	for (i = 0; i < npages; i++) {
		swap(a->pages[apg + i], b->pages[bpg + i]);
		if (!(i % 512))
			cond_resched();
	}
	ret = 0;
out:
	if (second != first)
		up_write(&second->buf->lock);
	up_write(&first->buf->lock);
	return ret;
}
