/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Completion rings: one per context, mapped by its owner (ring.c).
 */
#ifndef IPCOFF_RING_H
#define IPCOFF_RING_H

#include <linux/list.h>
#include <linux/poll.h>

#include "ipcoff.h"

struct ipcoff_ring;
struct ipcoff_inject;

/**
 * struct ipcoff_cqe_node - an entry allocated before it is posted
 * @node: entry in the ring's overflow list while it waits there
 * @ring: the ring it goes to (referenced)
 * @cqe: the entry
 */
struct ipcoff_cqe_node {
	struct list_head node;
	struct ipcoff_ring *ring;
	struct ipcoff_cqe cqe;
};

int ipcoff_ring_setup(struct ipcoff_ctx *ctx, struct ipcoff_ring_setup *rs);
struct ipcoff_ring *ipcoff_ctx_ring(struct ipcoff_ctx *ctx);
int ipcoff_ring_mmap(struct ipcoff_ctx *ctx, struct vm_area_struct *vma);
__poll_t ipcoff_ring_poll(struct ipcoff_ctx *ctx, struct file *file,
			  poll_table *pt);
int ipcoff_ring_wait(struct ipcoff_ctx *ctx, struct ipcoff_wait *w);
int ipcoff_ring_set_eventfd(struct ipcoff_ctx *ctx, struct ipcoff_eventfd *e);
struct ipcoff_ring *ipcoff_ring_get(struct ipcoff_ring *r);
void ipcoff_ring_put(struct ipcoff_ring *r);
u32 ipcoff_ring_entries(const struct ipcoff_ring *r);
int ipcoff_ring_reserve(struct ipcoff_ring *r, u32 n);
void ipcoff_ring_post(struct ipcoff_ring *r, const struct ipcoff_cqe *cqe);
struct ipcoff_cqe_node *ipcoff_ring_notify_alloc(struct ipcoff_ring *r);
void ipcoff_ring_notify_free(struct ipcoff_cqe_node *n);
void ipcoff_ring_post_notify(struct ipcoff_cqe_node *n);
void ipcoff_ring_inject_add(struct ipcoff_ring *r, struct ipcoff_inject *inj);
bool ipcoff_ring_closed(const struct ipcoff_ring *r);
void ipcoff_ring_close(struct ipcoff_ring *r);

#endif /* IPCOFF_RING_H */
