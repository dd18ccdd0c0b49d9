// SPDX-License-Identifier: GPL-2.0
/*
 * The completion ring of a context: kernel-produced entries in memory that
 * user space maps, read from head to tail. The kernel keeps its own tail
 * and never trusts what it reads back from the mapping: the head only
 * bounds how much room there is, every index is masked.
 *
 * A request's own entry has a place reserved at submit, so it is never
 * lost. "Data arrived" entries for a NOTIFY region's owner are allocated at
 * submit and wait in an overflow list when the owner's ring is full.
 */
#include <linux/eventfd.h>
#include <linux/file.h>
#include <linux/hrtimer.h>
#include <linux/mm.h>
#include <linux/poll.h>
#include <linux/slab.h>
#include <linux/vmalloc.h>
#include <linux/wait.h>

#include "cache.h"
#include "ring.h"

/* Where things are in the mapping: each index word on its own line. */
#define IPCOFF_RING_HEAD_OFF		0
#define IPCOFF_RING_TAIL_OFF		64
#define IPCOFF_RING_FLAGS_OFF		128
#define IPCOFF_RING_COMPLETED_OFF	192
#define IPCOFF_RING_CQES_OFF		256

/**
 * struct ipcoff_ring - a context's completion ring
 * @ref: the context's reference, one per request or NOTIFY region using it
 * @lock: protects everything below it; taken from completion callbacks
 * @wq: poll and WAIT sleep here
 * @mem: the mapped memory (vmalloc_user)
 * @len: bytes of @mem
 * @entries: ring size, a power of two
 * @ktail: the kernel's tail; the mapped one is only a copy
 * @reserved: places promised to submitted requests
 * @completed: entries produced, including those waiting in @overflow
 * @overflow: struct ipcoff_cqe_node waiting for room, oldest first
 * @inject: struct ipcoff_inject for entries posted, run at the next WAIT
 * @notify_out: NOTIFY entries allocated and not yet in the ring
 * @ev: eventfd signalled per entry, or NULL
 * @closed: the context is gone: queued requests are cancelled
 * @free_work: frees the ring from process context
 */
struct ipcoff_ring {
	struct kref ref;
	spinlock_t lock;	/* protects the fields below */
	wait_queue_head_t wq;
	void *mem;
	size_t len;
	u32 entries;
	u32 ktail;
	u32 reserved;
	u64 completed;
	struct list_head overflow;
	struct list_head inject;
	u32 notify_out;
	struct eventfd_ctx *ev;
	bool closed;
	struct work_struct free_work;
};

static u32 *ipcoff_ring_word(struct ipcoff_ring *r, unsigned int off)
{
	return r->mem + off;
}

static struct ipcoff_cqe *ipcoff_ring_cqes(struct ipcoff_ring *r)
{
	return r->mem + IPCOFF_RING_CQES_OFF;
}

/* Caller holds @lock. Room left, with a head user space may have garbled. */
static u32 ipcoff_ring_room(struct ipcoff_ring *r)
{
	/* Acquire: user space is done reading the entries before the head. */
	u32 head = smp_load_acquire(ipcoff_ring_word(r, IPCOFF_RING_HEAD_OFF));
	u32 used = r->ktail - head;

	if (used > r->entries)
		used = r->entries;
	return r->entries - used;
}

/* Caller holds @lock. */
static void ipcoff_ring_write(struct ipcoff_ring *r,
			      const struct ipcoff_cqe *cqe)
{
	ipcoff_ring_cqes(r)[r->ktail & (r->entries - 1)] = *cqe;
	r->ktail++;
	/* The entry is visible before the tail that announces it. */
	smp_store_release(ipcoff_ring_word(r, IPCOFF_RING_TAIL_OFF), r->ktail);
}

/*
 * Caller holds @lock. Moves waiting NOTIFY entries in while there is room.
 * Returns how many it moved.
 */
static u32 ipcoff_ring_flush_locked(struct ipcoff_ring *r)
{
	struct ipcoff_cqe_node *n;
	u32 moved = 0;

	while (!list_empty(&r->overflow) &&
	       ipcoff_ring_room(r) > r->reserved) {
		n = list_first_entry(&r->overflow, struct ipcoff_cqe_node, node);
		list_del(&n->node);
		ipcoff_ring_write(r, &n->cqe);
		r->notify_out--;
		kfree(n);
		moved++;
	}
	if (!list_empty(&r->overflow))
		return moved;
	/* After the entries moved: a reader that sees 0 finds them. */
	smp_store_release(ipcoff_ring_word(r, IPCOFF_RING_FLAGS_OFF), 0);
	return moved;
}

/* Caller holds @lock: one more entry exists. */
static void ipcoff_ring_produced(struct ipcoff_ring *r)
{
	r->completed++;
	/* After the tail: a reader that sees the count finds the entry. */
	smp_store_release((u64 *)(r->mem + IPCOFF_RING_COMPLETED_OFF),
			  r->completed);
	if (r->ev)
		ipcoff_eventfd_signal(r->ev);
}

static void ipcoff_ring_wake(struct ipcoff_ring *r)
{
	if (wq_has_sleeper(&r->wq))
		wake_up_interruptible_poll(&r->wq, EPOLLIN | EPOLLRDNORM);
}

/**
 * ipcoff_ring_post() - write a request's entry into its reserved place
 * @r: the submitter's ring, on which ipcoff_ring_reserve() succeeded
 * @cqe: the entry
 *
 * Any context.
 */
void ipcoff_ring_post(struct ipcoff_ring *r, const struct ipcoff_cqe *cqe)
{
	unsigned long flags;

	spin_lock_irqsave(&r->lock, flags);
	ipcoff_ring_write(r, cqe);
	r->reserved--;
	ipcoff_ring_produced(r);
	spin_unlock_irqrestore(&r->lock, flags);
	ipcoff_ring_wake(r);
}

/**
 * ipcoff_ring_post_notify() - deliver a "data arrived" entry
 * @n: an entry from ipcoff_ring_notify_alloc(), filled in; consumed
 *
 * Into the ring if there is room and nothing older waits, else onto the
 * overflow list with IPCOFF_RING_OVERFLOW set. Any context.
 */
void ipcoff_ring_post_notify(struct ipcoff_cqe_node *n)
{
	struct ipcoff_ring *r = n->ring;
	unsigned long flags;

	spin_lock_irqsave(&r->lock, flags);
	if (list_empty(&r->overflow) && ipcoff_ring_room(r) > r->reserved) {
		ipcoff_ring_write(r, &n->cqe);
		r->notify_out--;
		kfree(n);
	} else {
		list_add_tail(&n->node, &r->overflow);
		/* Ordered with the flush's clearing store of the same word. */
		smp_store_release(ipcoff_ring_word(r, IPCOFF_RING_FLAGS_OFF),
				  IPCOFF_RING_OVERFLOW);
	}
	ipcoff_ring_produced(r);
	spin_unlock_irqrestore(&r->lock, flags);
	ipcoff_ring_wake(r);
	ipcoff_ring_put(r);
}

/**
 * ipcoff_ring_notify_alloc() - a "data arrived" entry for a ring's owner
 * @r: the owner's ring
 *
 * Bounded: the owner's unread entries plus those still to come may not
 * pass twice the ring's size, so a producer cannot grow a sleeping
 * consumer's overflow list without limit.
 *
 * Return: an entry holding a reference on @r, ERR_PTR(-EBUSY) or
 * ERR_PTR(-ENOMEM).
 */
struct ipcoff_cqe_node *ipcoff_ring_notify_alloc(struct ipcoff_ring *r)
{
	struct ipcoff_cqe_node *n = kzalloc(sizeof(*n), GFP_KERNEL);
	int ret = 0;

	if (!n)
		return ERR_PTR(-ENOMEM);
	spin_lock_irq(&r->lock);
	if (r->notify_out + r->entries - ipcoff_ring_room(r) >=
	    2 * r->entries)
		ret = -EBUSY;
	else
		r->notify_out++;
	spin_unlock_irq(&r->lock);
	if (ret) {
		kfree(n);
		return ERR_PTR(ret);
	}
	n->ring = ipcoff_ring_get(r);
	return n;
}

/**
 * ipcoff_ring_notify_free() - give back an entry that will not be posted
 * @n: the entry
 */
void ipcoff_ring_notify_free(struct ipcoff_cqe_node *n)
{
	struct ipcoff_ring *r = n->ring;

	spin_lock_irq(&r->lock);
	r->notify_out--;
	spin_unlock_irq(&r->lock);
	kfree(n);
	ipcoff_ring_put(r);
}

/**
 * ipcoff_ring_reserve() - promise places to requests being submitted
 * @r: the submitter's ring
 * @n: places
 *
 * Return: 0 or -EAGAIN when the ring lacks room: consume entries first.
 */
int ipcoff_ring_reserve(struct ipcoff_ring *r, u32 n)
{
	int ret = 0;

	spin_lock_irq(&r->lock);
	if (ipcoff_ring_room(r) < r->reserved + n)
		ret = -EAGAIN;
	else
		r->reserved += n;
	spin_unlock_irq(&r->lock);
	return ret;
}

/**
 * ipcoff_ring_entries() - the ring's size
 * @r: the ring
 *
 * Return: entries.
 */
u32 ipcoff_ring_entries(const struct ipcoff_ring *r)
{
	return r->entries;
}

/**
 * ipcoff_ring_closed() - whether the ring's context is gone
 * @r: the ring
 *
 * Return: true once ipcoff_ring_close() ran.
 */
bool ipcoff_ring_closed(const struct ipcoff_ring *r)
{
	return READ_ONCE(r->closed);
}

/**
 * ipcoff_ring_close() - the context is being released
 * @r: the ring
 */
void ipcoff_ring_close(struct ipcoff_ring *r)
{
	struct ipcoff_inject *inj, *tmp;
	LIST_HEAD(gone);

	/*
	 * Pending injections go now: they hold regions that may hold this
	 * ring (a NOTIFY region's owner ring), which would never be freed.
	 */
	spin_lock_irq(&r->lock);
	WRITE_ONCE(r->closed, true);
	list_splice_init(&r->inject, &gone);
	spin_unlock_irq(&r->lock);
	list_for_each_entry_safe(inj, tmp, &gone, node)
		ipcoff_inject_free(inj);
}

static void ipcoff_ring_free_work(struct work_struct *work)
{
	struct ipcoff_ring *r = container_of(work, struct ipcoff_ring,
					     free_work);
	struct ipcoff_cqe_node *n, *tmp;
	struct ipcoff_inject *inj, *itmp;

	list_for_each_entry_safe(n, tmp, &r->overflow, node)
		kfree(n);
	list_for_each_entry_safe(inj, itmp, &r->inject, node)
		ipcoff_inject_free(inj);
	if (r->ev)
		eventfd_ctx_put(r->ev);
	vfree(r->mem);
	kfree(r);
}

static void ipcoff_ring_release(struct kref *ref)
{
	struct ipcoff_ring *r = container_of(ref, struct ipcoff_ring, ref);

	INIT_WORK(&r->free_work, ipcoff_ring_free_work);
	ipcoff_release_queue(&r->free_work);
}

/**
 * ipcoff_ring_get() - take a reference
 * @r: the ring
 *
 * Return: @r.
 */
struct ipcoff_ring *ipcoff_ring_get(struct ipcoff_ring *r)
{
	kref_get(&r->ref);
	return r;
}

/**
 * ipcoff_ring_put() - drop a reference; the last frees from a workqueue
 * @r: the ring
 *
 * Any context.
 */
void ipcoff_ring_put(struct ipcoff_ring *r)
{
	kref_put(&r->ref, ipcoff_ring_release);
}

/**
 * ipcoff_ring_setup() - create a context's ring (IPCOFF_IOC_RING_SETUP)
 * @ctx: the context
 * @rs: the arguments; offsets are filled in
 *
 * Asked again with the size the ring has, it gives the layout of the
 * existing ring (a second mapping, or an fd received from another process).
 *
 * Return: 0, -EINVAL, -EBUSY (the context has a ring of another size) or
 * -ENOMEM.
 */
int ipcoff_ring_setup(struct ipcoff_ctx *ctx, struct ipcoff_ring_setup *rs)
{
	struct ipcoff_ring *r;
	int ret = 0;

	if (rs->flags || rs->pad || memchr_inv(rs->reserved, 0,
					       sizeof(rs->reserved)))
		return -EINVAL;
	if (rs->entries < IPCOFF_RING_MIN_ENTRIES ||
	    rs->entries > IPCOFF_RING_MAX_ENTRIES ||
	    !is_power_of_2(rs->entries))
		return -EINVAL;

	r = kzalloc(sizeof(*r), GFP_KERNEL);
	if (!r)
		return -ENOMEM;
	kref_init(&r->ref);
	spin_lock_init(&r->lock);
	init_waitqueue_head(&r->wq);
	INIT_LIST_HEAD(&r->overflow);
	INIT_LIST_HEAD(&r->inject);
	r->entries = rs->entries;
	r->len = PAGE_ALIGN(IPCOFF_RING_CQES_OFF +
			    (size_t)r->entries * sizeof(struct ipcoff_cqe));
	r->mem = vmalloc_user(r->len);
	if (!r->mem) {
		kfree(r);
		return -ENOMEM;
	}

	mutex_lock(&ctx->lock);
	if (ctx->ring)
		ret = ctx->ring->entries == r->entries ? 1 : -EBUSY;
	else	/* pairs with ipcoff_ctx_ring(): readers see it initialised */
		smp_store_release(&ctx->ring, r);
	mutex_unlock(&ctx->lock);
	if (ret) {
		/* The same size again: the layout, to map it once more. */
		vfree(r->mem);
		kfree(r);
		if (ret < 0)
			return ret;
		r = ctx->ring;
	}
	rs->mmap_len = r->len;
	rs->head_off = IPCOFF_RING_HEAD_OFF;
	rs->tail_off = IPCOFF_RING_TAIL_OFF;
	rs->flags_off = IPCOFF_RING_FLAGS_OFF;
	rs->completed_off = IPCOFF_RING_COMPLETED_OFF;
	rs->cqes_off = IPCOFF_RING_CQES_OFF;
	return 0;
}

/**
 * ipcoff_ctx_ring() - a context's ring, if it has one
 * @ctx: the context
 *
 * The ring lives as long as the context; take a reference to keep it
 * longer.
 *
 * Return: the ring or NULL.
 */
struct ipcoff_ring *ipcoff_ctx_ring(struct ipcoff_ctx *ctx)
{
	/* pairs with the release in ipcoff_ring_setup() */
	return smp_load_acquire(&ctx->ring);
}

/**
 * ipcoff_ring_mmap() - map the ring (the file's mmap)
 * @ctx: the context
 * @vma: a shared mapping at offset 0, no longer than the ring
 *
 * Return: 0, -ENXIO (no ring), -EINVAL (offset, length or private).
 */
int ipcoff_ring_mmap(struct ipcoff_ctx *ctx, struct vm_area_struct *vma)
{
	struct ipcoff_ring *r = ipcoff_ctx_ring(ctx);

	if (!r)
		return -ENXIO;
	if (vma->vm_pgoff || vma->vm_end - vma->vm_start > r->len ||
	    !(vma->vm_flags & VM_SHARED))
		return -EINVAL;
	ipcoff_vm_flags_set(vma, VM_DONTEXPAND | VM_DONTDUMP);
	return remap_vmalloc_range(vma, r->mem, 0);
}

/* Entries are ready, or wait in the overflow list. */
static bool ipcoff_ring_ready(struct ipcoff_ring *r)
{
	u32 head = READ_ONCE(*ipcoff_ring_word(r, IPCOFF_RING_HEAD_OFF));

	return READ_ONCE(r->ktail) != head ||
	       !list_empty_careful(&r->overflow);
}

/**
 * ipcoff_ring_poll() - the file's poll
 * @ctx: the context
 * @file: the file
 * @pt: the poll table
 *
 * Return: EPOLLIN | EPOLLRDNORM while entries are ready; 0 without a ring.
 */
__poll_t ipcoff_ring_poll(struct ipcoff_ctx *ctx, struct file *file,
			  poll_table *pt)
{
	struct ipcoff_ring *r = ipcoff_ctx_ring(ctx);

	if (!r)
		return 0;
	poll_wait(file, &r->wq, pt);
	spin_lock_irq(&r->lock);
	ipcoff_ring_flush_locked(r);
	spin_unlock_irq(&r->lock);
	return ipcoff_ring_ready(r) ? EPOLLIN | EPOLLRDNORM : 0;
}

/**
 * ipcoff_ring_inject_add() - queue an injection for the ring's owner
 * @r: the consumer's ring
 * @inj: the injection, which the ring now owns
 *
 * Any context. Call before posting the entry that announces it.
 */
void ipcoff_ring_inject_add(struct ipcoff_ring *r, struct ipcoff_inject *inj)
{
	unsigned long flags;
	bool closed;

	spin_lock_irqsave(&r->lock, flags);
	closed = r->closed;
	if (!closed)
		list_add_tail(&inj->node, &r->inject);
	spin_unlock_irqrestore(&r->lock, flags);
	/* Its consumer is gone. */
	if (closed)
		ipcoff_inject_free(inj);
}

/* In the waiter's context: the lines go into its CPU's caches. */
static void ipcoff_ring_inject_run(struct ipcoff_ring *r)
{
	struct ipcoff_inject *inj, *tmp;
	LIST_HEAD(todo);

	if (list_empty_careful(&r->inject))
		return;
	spin_lock_irq(&r->lock);
	list_splice_init(&r->inject, &todo);
	spin_unlock_irq(&r->lock);
	list_for_each_entry_safe(inj, tmp, &todo, node) {
		ipcoff_inject_run(inj);
		ipcoff_inject_free(inj);
	}
}

/**
 * ipcoff_ring_wait() - IPCOFF_IOC_WAIT
 * @ctx: the context
 * @w: the arguments; @w->completed is set
 *
 * Waiting NOTIFY entries are moved into the ring first; if any were, it
 * returns at once: they are what the caller waits for. On the way out it
 * runs the injections of the entries posted so far, unless
 * IPCOFF_WAIT_NO_INJECT.
 *
 * Return: 0, -EINVAL, -ENXIO (no ring), -ETIMEDOUT or -EINTR.
 */
int ipcoff_ring_wait(struct ipcoff_ctx *ctx, struct ipcoff_wait *w)
{
	struct ipcoff_ring *r = ipcoff_ctx_ring(ctx);
	u32 moved;
	long ret;

	if (w->flags & ~IPCOFF_WAIT_NO_INJECT || w->pad)
		return -EINVAL;
	if (!r)
		return -ENXIO;
	spin_lock_irq(&r->lock);
	moved = ipcoff_ring_flush_locked(r);
	spin_unlock_irq(&r->lock);
	/* Entries came in from the overflow list: there is work to do. */
	if (moved) {
		ret = 0;
		goto out;
	}

	if (w->timeout_ns < 0)
		ret = wait_event_interruptible(r->wq, READ_ONCE(r->completed) >=
					       w->target);
	else
		ret = wait_event_interruptible_hrtimeout(r->wq,
							 READ_ONCE(r->completed) >=
							 w->target,
							 ns_to_ktime(w->timeout_ns));
out:
	w->completed = READ_ONCE(r->completed);
	if (!(w->flags & IPCOFF_WAIT_NO_INJECT))
		ipcoff_ring_inject_run(r);
	if (ret == -ERESTARTSYS)
		return -EINTR;
	if (ret == -ETIME)
		return -ETIMEDOUT;
	return ret;
}

/**
 * ipcoff_ring_set_eventfd() - IPCOFF_IOC_SET_EVENTFD
 * @ctx: the context
 * @e: the arguments
 *
 * Return: 0, -EINVAL, -ENXIO (no ring), -EBADF.
 */
int ipcoff_ring_set_eventfd(struct ipcoff_ctx *ctx, struct ipcoff_eventfd *e)
{
	struct ipcoff_ring *r = ipcoff_ctx_ring(ctx);
	struct eventfd_ctx *ev = NULL, *old;

	if (e->flags || e->fd < -1)
		return -EINVAL;
	if (!r)
		return -ENXIO;
	if (e->fd >= 0) {
		ev = eventfd_ctx_fdget(e->fd);
		if (IS_ERR(ev))
			return PTR_ERR(ev);
	}
	/* Signallers hold the lock: after the swap nobody uses @old. */
	spin_lock_irq(&r->lock);
	old = r->ev;
	r->ev = ev;
	spin_unlock_irq(&r->lock);
	if (old)
		eventfd_ctx_put(old);
	return 0;
}
