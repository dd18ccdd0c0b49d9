// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * ipcoff-bench: the single-producer single-consumer descriptor ring every
 * transport hands its messages over with.
 *
 * The hand-off is what a careful engineer builds for shared memory:
 *  - head (producer) and tail (consumer) are free-running counters, each
 *    alone in its cache line; each side keeps a private copy of the other
 *    side's counter and re-reads the shared one only when its copy says
 *    the ring is full (producer) or empty (consumer);
 *  - a waiter spins a bounded number of times (opts.spin, with PAUSE), then
 *    raises its "waiting" flag and sleeps in FUTEX_WAIT on the counter;
 *  - the other side issues FUTEX_WAKE only when that flag is up. The flag
 *    store and the counter re-read (and the counter store and the flag
 *    read) are sequentially consistent, so a wake-up cannot be lost.
 * A ring that stays busy therefore makes no system call at all.
 */
#include "bench.h"

static inline struct desc *slot(struct ring *r, uint32_t i)
{
	return (struct desc *)(r->slots +
			       (size_t)(i & (r->depth - 1)) * r->slot_bytes);
}

static uint32_t slot_bytes(uint32_t meta_max)
{
	size_t b = sizeof(struct desc) + meta_max;

	return (uint32_t)((b + CACHELINE - 1) & ~(size_t)(CACHELINE - 1));
}

size_t ring_bytes(uint32_t depth, uint32_t meta_max)
{
	return sizeof(struct ring) + (size_t)depth * slot_bytes(meta_max);
}

void ring_init(struct ring *r, uint32_t depth, uint32_t meta_max,
	       uint32_t spin, struct doorbell *bell)
{
	atomic_store(&r->head, 0);
	atomic_store(&r->tail, 0);
	atomic_store(&r->cons_waiting, 0);
	atomic_store(&r->prod_waiting, 0);
	r->depth = depth;
	r->meta_max = meta_max;
	r->slot_bytes = slot_bytes(meta_max);
	r->spin = spin;
	r->bell = bell;
	r->prod_tail_cache = 0;
	r->cons_head_cache = 0;
}

/* Wait until *word != old: spin, then sleep with *waiting raised. */
static void wait_change(_Atomic uint32_t *word, uint32_t old,
			_Atomic uint32_t *waiting, unsigned int spin)
{
	for (unsigned int i = 0; i < spin; i++) {
		if (atomic_load_explicit(word, memory_order_acquire) != old)
			return;
		cpu_relax();
	}
	for (;;) {
		atomic_store(waiting, 1);
		if (atomic_load(word) != old)
			break;
		futex_wait_shared(word, old);
		if (atomic_load_explicit(word, memory_order_acquire) != old)
			break;
	}
	atomic_store_explicit(waiting, 0, memory_order_relaxed);
}

struct desc *ring_reserve(struct ring *r, uint32_t seq)
{
	uint32_t h = atomic_load_explicit(&r->head, memory_order_relaxed);
	struct desc *d;

	while (h - r->prod_tail_cache >= r->depth) {
		uint32_t t = atomic_load_explicit(&r->tail,
						  memory_order_acquire);

		if (t == r->prod_tail_cache)
			wait_change(&r->tail, t, &r->prod_waiting, r->spin);
		r->prod_tail_cache = atomic_load_explicit(&r->tail,
							  memory_order_acquire);
	}
	d = slot(r, h);
	d->seq = seq;
	return d;
}

void ring_publish(struct ring *r)
{
	uint32_t h = atomic_load_explicit(&r->head, memory_order_relaxed);

	/* seq_cst: ordered before the waiting flag's load below. */
	atomic_store(&r->head, h + 1);
	if (r->bell) {
		atomic_fetch_add(&r->bell->seq, 1);
		if (atomic_load(&r->bell->waiting))
			futex_wake_shared(&r->bell->seq, 1);
	}
	if (atomic_load(&r->cons_waiting))
		futex_wake_shared(&r->head, 1);
}

struct desc *ring_peek(struct ring *r, int wait)
{
	uint32_t t = atomic_load_explicit(&r->tail, memory_order_relaxed);

	while (r->cons_head_cache == t) {
		r->cons_head_cache = atomic_load_explicit(&r->head,
							  memory_order_acquire);
		if (r->cons_head_cache != t)
			break;
		if (!wait)
			return NULL;
		wait_change(&r->head, t, &r->cons_waiting, r->spin);
	}
	return slot(r, t);
}

void ring_release(struct ring *r)
{
	uint32_t t = atomic_load_explicit(&r->tail, memory_order_relaxed);

	atomic_store(&r->tail, t + 1);
	if (atomic_load(&r->prod_waiting))
		futex_wake_shared(&r->tail, 1);
}

void doorbell_wait(struct doorbell *b, uint32_t seen, unsigned int spin)
{
	wait_change(&b->seq, seen, &b->waiting, spin);
}

/*
 * Consumer look-ahead for a transport that keeps several copies in
 * flight: the descriptor @k places after the oldest unreleased one, or
 * NULL when the producer has not published it yet. Never waits.
 */
struct desc *ring_peek_ahead(struct ring *r, uint32_t k)
{
	uint32_t t = atomic_load_explicit(&r->tail, memory_order_relaxed);

	if (r->cons_head_cache - t <= k)
		r->cons_head_cache = atomic_load_explicit(&r->head,
							  memory_order_acquire);
	if (r->cons_head_cache - t <= k)
		return NULL;
	return slot(r, t + k);
}
