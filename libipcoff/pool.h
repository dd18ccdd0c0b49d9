/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/*
 * libipcoff internals: what the channel layer (channel.c) needs of a
 * Hybrid-Coord pool beyond its public calls. Not installed.
 */
#ifndef LIBIPCOFF_POOL_H
#define LIBIPCOFF_POOL_H

#include <stdbool.h>
#include <stdint.h>

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

#endif /* LIBIPCOFF_POOL_H */
