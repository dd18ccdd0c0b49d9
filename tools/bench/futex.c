// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * ipcoff-bench: futex wait/wake on words in memory shared between
 * processes (so never FUTEX_PRIVATE_FLAG), and a barrier built on them.
 */
#include <errno.h>
#include <linux/futex.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "bench.h"

void futex_wait_shared(_Atomic uint32_t *addr, uint32_t expected)
{
	/* EAGAIN (the word moved) and EINTR both mean: look again. */
	syscall(SYS_futex, (uint32_t *)addr, FUTEX_WAIT, expected, NULL,
		NULL, 0);
}

void futex_wake_shared(_Atomic uint32_t *addr, int n)
{
	syscall(SYS_futex, (uint32_t *)addr, FUTEX_WAKE, n, NULL, NULL, 0);
}

void barrier_init(struct barrier *b, uint32_t n)
{
	atomic_store(&b->count, 0);
	atomic_store(&b->gen, 0);
	b->n = n;
}

void barrier_wait(struct barrier *b)
{
	uint32_t gen = atomic_load(&b->gen);

	if (atomic_fetch_add(&b->count, 1) + 1 == b->n) {
		atomic_store(&b->count, 0);
		atomic_store(&b->gen, gen + 1);
		futex_wake_shared(&b->gen, MAX_PROCS + 1);
		return;
	}
	while (atomic_load(&b->gen) == gen)
		futex_wait_shared(&b->gen, gen);
}

double spin_ns_per_iter = 1;

/*
 * How long one iteration of a wait loop (load, PAUSE) takes here: under
 * emulation it is far slower than on hardware, so the spin is set as a
 * time (opts.spin_us) unless --spin gave an iteration count. The fastest
 * of several short trials: on a loaded machine a trial that was preempted
 * would make every iteration look slower and the spin too short.
 */
void spin_calibrate(void)
{
	_Atomic uint32_t word = 0;
	const unsigned int iters = 5000, trials = 40;
	double best = 0;

	for (unsigned int t = 0; t < trials; t++) {
		uint64_t t0 = now_ns(), t1;
		double ns;

		for (unsigned int i = 0; i < iters; i++) {
			if (atomic_load_explicit(&word, memory_order_acquire))
				break;
			cpu_relax();
		}
		t1 = now_ns();
		ns = (double)(t1 - t0) / iters;
		if (!t || ns < best)
			best = ns;
	}
	spin_ns_per_iter = best > 0 ? best : 1;
	if (!opts.spin)
		opts.spin = (unsigned int)(opts.spin_us * 1e3 / spin_ns_per_iter);
}
