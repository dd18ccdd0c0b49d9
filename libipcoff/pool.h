/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/*
 * libipcoff internals: what the channel layer (channel.c) needs of a
 * Hybrid-Coord pool beyond its public calls. Not installed.
 */
#ifndef LIBIPCOFF_POOL_H
#define LIBIPCOFF_POOL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

#include <ipcoff.h>

/* The slot's buffer handle (ipcoff backing), else 0. */
uint64_t pool_slot_handle(const struct ipcoff_pool *p, unsigned int slot);

/*
 * Consumer: 0 while the producer is there, -EPIPE once it closed the
 * pool, -ECONNRESET once its socket went away without a close.
 */
int pool_producer_state(struct ipcoff_pool *p);

/* Producer: consumers attached now, and whether any ever was. */
unsigned int pool_consumers(const struct ipcoff_pool *p, bool *ever);

/* Producer: look at every consumer's socket; detach the ones gone. */
void pool_check_consumers(struct ipcoff_pool *p);

/* Producer: give back a slot acquired but not submitted. */
void pool_unacquire(struct ipcoff_pool *p, unsigned int slot);

/* Producer: the /dev/ipcoff context of an ipcoff-backed pool, or NULL. */
struct ipcoff *pool_ipc(struct ipcoff_pool *p);

/*
 * Producer: a pool whose control memfd also holds @inline_max bytes per
 * slot, for messages carried with memcpy instead of a kernel copy (read
 * by consumers from the memfd, which outlives the producer's context).
 */
int pool_create_inline(const struct ipcoff_pool_attr *a, size_t inline_max,
		       struct ipcoff_pool **out);

/* Producer: gather @len bytes into @slot's inline area and publish it. */
int pool_submit_inline(struct ipcoff_pool *p, unsigned int slot,
		       const struct iovec *iov, int iovcnt, size_t len);

/* Consumer: the message's bytes are in the inline area (memcpy them). */
bool pool_msg_inline(const struct ipcoff_pool *p,
		     const struct ipcoff_pool_msg *m);

size_t pool_inline_max(const struct ipcoff_pool *p);

#endif /* LIBIPCOFF_POOL_H */
