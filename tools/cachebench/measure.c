// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * ipcoff-cachebench: the producer thread, the consumer (the calling
 * thread), and the samples.
 *
 * The hand-off is two counters in two cache lines. The consumer writes
 * the order (buffer, size, action, bias) next to @go and then bumps @go;
 * the producer, waiting on @go, fills its source buffer (outside the
 * timing: a producer has its data at hand, warm), times its copy and
 * action, and bumps @ready. The consumer waits on @ready and, once it
 * sees the sample's number, reads the clock, prefetches if that is the
 * action, reads every byte, reads the clock again, and then checks the
 * bytes. A wait spins for up to SPIN_NS and then sleeps on a futex: on
 * a machine with more runnable threads than CPUs, two spinners would
 * mostly burn their time slices waiting for each other. Normally the
 * consumer spins through the producer's whole copy; a sample in which it
 * had to sleep (the producer was descheduled) is counted, as a sign of
 * a busy machine. Sleeping does not enter the figures, which start once
 * the consumer has seen the flag.
 *
 * Before each sample the message buffer's cache state is reset, so every
 * sample starts alike: with RESET_FLUSH the consumer flushes the
 * buffer's lines out of every cache (CLFLUSHOPT, or CLFLUSH, then
 * MFENCE); with RESET_ROTATE the sample takes the next buffer from a pool
 * twice the size of the last level cache, untouched for at least an
 * LLC's worth of traffic. Either way the producer's copy starts from
 * lines that no cache holds: a message buffer that has not been used
 * for a while, not one the consumer has just read.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <linux/futex.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "cachebench.h"

#define PAGE		4096UL
#define SPIN_NS		1000000	/* about 5x a 1 MiB copy plus clwb here */

struct order {
	_Alignas(64) atomic_uint go;	/* sample number: the fields below are set */
	atomic_uint go_sleeper;		/* the producer sleeps on @go */
	uint8_t *msg;
	unsigned long size;
	enum action act;
	unsigned int bias;
	int stop;
};

struct reply {
	_Alignas(64) atomic_uint ready;	/* the sample's number: it is written */
	atomic_uint ready_sleeper;	/* the consumer sleeps on @ready */
	uint64_t ticks;			/* the producer's copy and action */
};

struct bench {
	struct order order;
	struct reply reply;
	const struct cb_opts *o;
	const struct arch_info *arch;
	pthread_t producer;
	int started;
	uint8_t *src;			/* the producer's own data */
	size_t src_len;
	uint8_t *msg;			/* the message buffer, or the pool */
	size_t msg_len;
	size_t next;			/* RESET_ROTATE: the pool's next buffer */
	unsigned int seq;
};

static const char *const action_names[ACT_COUNT] = {
	[ACT_NONE] = "none",
	[ACT_CLWB] = "clwb",
	[ACT_CLFLUSHOPT] = "clflushopt",
	[ACT_NT] = "nt-copy",
	[ACT_PREFETCH_FEW] = "prefetch-16",
	[ACT_PREFETCH_ALL] = "prefetch-all",
};

const char *action_name(enum action a)
{
	return a < ACT_COUNT ? action_names[a] : "?";
}

const char *consumer_name(enum consumer c)
{
	return c == CONS_READ ? "read" : "checksum";
}

const char *reset_name(enum reset r)
{
	return r == RESET_FLUSH ? "flush" : "rotate";
}

/* NULL when this machine can run @act; otherwise why not, for "n/a (...)". */
const char *action_missing(enum action act, const struct arch_info *a,
			   unsigned int without)
{
	int off = !!(without & (1U << act));

	switch (act) {
	case ACT_CLWB:
		if (!a->x86)
			return "not x86";
		return a->clwb && !off ? NULL : "no clwb";
	case ACT_CLFLUSHOPT:
		if (!a->x86)
			return "not x86";
		return a->clflushopt && !off ? NULL : "no clflushopt";
	case ACT_NT:
		if (!a->x86)
			return "not x86";
		return a->sse2 && !off ? NULL : "no sse2";
	default:
		return NULL;
	}
}

static void *map_buffer(size_t len)
{
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		return NULL;
	/*
	 * Small pages, as a shared-memory message buffer has by default
	 * (shmem does not use huge pages unless told to), and the same on
	 * every host whatever its THP setting. Faulted in now.
	 */
	madvise(p, len, MADV_NOHUGEPAGE);
	memset(p, 0, len);
	return p;
}

static void produce(enum action act, uint8_t *msg, const uint8_t *src,
		    size_t len)
{
	if (act == ACT_NT) {
		copy_nt(msg, src, len);
		return;
	}
	copy_plain(msg, src, len);
	if (act == ACT_CLWB)
		lines_clwb(msg, len);
	else if (act == ACT_CLFLUSHOPT)
		lines_clflushopt(msg, len);
}

/*
 * Wait until *@word is no longer @old: spin, then sleep. The sleeper flag
 * and the word are both seq_cst, as are the waker's (publish()): either
 * the waker sees the flag and wakes us, or we see the new value.
 */
static int await_change(atomic_uint *word, atomic_uint *sleeper,
			unsigned int old)
{
	double until = 0;

	for (unsigned int i = 0;; i++) {
		if (atomic_load_explicit(word, memory_order_acquire) != old)
			return 0;
		if ((i & 63) == 63) {
			if (!until)
				until = wall_s() + SPIN_NS / 1e9;
			else if (wall_s() > until)
				break;
		}
		cpu_relax();
	}
	for (;;) {
		atomic_store(sleeper, 1);
		if (atomic_load(word) != old)
			break;
		syscall(SYS_futex, word, FUTEX_WAIT_PRIVATE, old, NULL, NULL, 0);
	}
	atomic_store(sleeper, 0);
	return 1;
}

static void publish(atomic_uint *word, atomic_uint *sleeper,
		    unsigned int val)
{
	atomic_store(word, val);
	if (atomic_load(sleeper))
		syscall(SYS_futex, word, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
}

static void *producer_main(void *arg)
{
	struct bench *b = arg;
	unsigned int seen = 0;

	for (;;) {
		uint64_t t0, t1;

		await_change(&b->order.go, &b->order.go_sleeper, seen);
		seen = atomic_load_explicit(&b->order.go, memory_order_acquire);
		if (b->order.stop)
			break;
		msg_fill(b->src, b->order.size, b->order.bias);
		t0 = ticks_begin();
		produce(b->order.act, b->order.msg, b->src, b->order.size);
		t1 = ticks_end();
		b->reply.ticks = t1 - t0;
		publish(&b->reply.ready, &b->reply.ready_sleeper, seen);
	}
	return NULL;
}

/* The buffer for the next sample, with none of its lines in any cache. */
static uint8_t *fresh_buffer(struct bench *b, size_t size)
{
	size_t stride = (size + PAGE - 1) & ~(PAGE - 1);
	uint8_t *p;

	if (b->o->reset == RESET_FLUSH) {
		lines_evict(b->msg, size, b->arch->clflushopt);
		return b->msg;
	}
	if (b->next + stride > b->msg_len)
		b->next = 0;
	p = b->msg + b->next;
	b->next += stride;
	return p;
}

/* One sample; returns 0 when the bytes verified. */
static int one_sample(struct bench *b, size_t size, enum consumer cons,
		      enum action act, const struct msg_sums *base,
		      double *cons_ns, double *prod_ns, int *slept)
{
	uint8_t *msg = fresh_buffer(b, size);
	unsigned int seq = ++b->seq;
	uint64_t t0, t1, words = 0, sa = 0, sb = 0;
	struct msg_sums want;
	size_t lines = size / CACHELINE;

	b->order.msg = msg;
	b->order.size = size;
	b->order.act = act;
	b->order.bias = (unsigned int)(seq & 127);
	publish(&b->order.go, &b->order.go_sleeper, seq);
	*slept = await_change(&b->reply.ready, &b->reply.ready_sleeper,
			      seq - 1);

	t0 = ticks_begin();
	if (act == ACT_PREFETCH_FEW)
		lines_prefetch(msg, lines < CB_PREFETCH_FEW ? lines :
				    CB_PREFETCH_FEW);
	else if (act == ACT_PREFETCH_ALL)
		lines_prefetch(msg, lines);
	if (cons == CONS_READ)
		words = msg_read(msg, size);
	else
		msg_checksum(msg, size, &sa, &sb);
	t1 = ticks_end();

	*cons_ns = ticks_to_ns(t1 - t0);
	*prod_ns = ticks_to_ns(b->reply.ticks);
	msg_expect(base, size, (unsigned int)(seq & 127), &want);
	if (cons == CONS_READ)
		return words == want.words ? 0 : -1;
	return sa == want.a && sb == want.b ? 0 : -1;
}

int bench_group(struct bench *b, unsigned long size, enum consumer cons,
		struct cell cells[ACT_COUNT], unsigned int *rounds)
{
	const struct cb_opts *o = b->o;
	double *cons_ns[ACT_COUNT] = { NULL }, *prod_ns[ACT_COUNT] = { NULL };
	enum action acts[ACT_COUNT];
	unsigned int nacts = 0, round, k;
	struct msg_sums base;
	double start, junk_c, junk_p;
	int slept;
	uint8_t *scratch;
	int ret = -ENOMEM;

	for (k = 0; k < ACT_COUNT; k++) {
		enum action a = (enum action)k;

		memset(&cells[k], 0, sizeof(cells[k]));
		cells[k].size = size;
		cells[k].cons = cons;
		cells[k].act = a;
		cells[k].missing = action_missing(a, b->arch, o->without);
		if (cells[k].missing)
			continue;
		acts[nacts++] = a;
		cons_ns[k] = calloc(o->max_rounds, sizeof(double));
		prod_ns[k] = calloc(o->max_rounds, sizeof(double));
		if (!cons_ns[k] || !prod_ns[k])
			goto out;
	}

	/* The unbiased pattern's sums, for checking every sample. */
	scratch = aligned_alloc(CACHELINE, size);
	if (!scratch)
		goto out;
	msg_fill(scratch, size, 0);
	base.words = msg_read(scratch, size);
	msg_checksum(scratch, size, &base.a, &base.b);
	free(scratch);

	for (round = 0; round < o->warmup_rounds; round++)
		for (k = 0; k < nacts; k++)
			if (one_sample(b, size, cons, acts[k], &base, &junk_c,
				       &junk_p, &slept))
				cells[acts[k]].bad++;

	/* Round by round, each action once, the order turning each round. */
	start = wall_s();
	for (round = 0; round < o->max_rounds; round++) {
		if (round >= o->min_rounds && wall_s() - start >= o->budget_s)
			break;
		for (k = 0; k < nacts; k++) {
			enum action a = acts[(k + round) % nacts];

			if (one_sample(b, size, cons, a, &base,
				       &cons_ns[a][round], &prod_ns[a][round],
				       &slept))
				cells[a].bad++;
			cells[a].slept += (unsigned int)slept;
		}
	}
	*rounds = round;

	for (k = 0; k < nacts; k++)
		stats_fill(&cells[acts[k]], cons_ns[acts[k]], prod_ns[acts[k]],
			   round);
	for (k = 0; k < nacts; k++)
		if (acts[k] != ACT_NONE)
			stats_compare(&cells[acts[k]], &cells[ACT_NONE]);
	ret = 0;
out:
	for (k = 0; k < ACT_COUNT; k++) {
		free(cons_ns[k]);
		free(prod_ns[k]);
	}
	return ret;
}

static int pin_self(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	return sched_setaffinity(0, sizeof(set), &set) ? -errno : 0;
}

int bench_start(struct bench **bp, const struct cb_opts *o,
		const struct arch_info *a, int prod, int cons,
		unsigned long pool_len)
{
	struct bench *b;
	pthread_attr_t attr;
	cpu_set_t set;
	size_t max = 0;
	int ret;

	for (unsigned int i = 0; i < o->nsizes; i++)
		if (o->sizes[i] > max)
			max = o->sizes[i];
	b = aligned_alloc(CACHELINE, sizeof(*b));
	if (!b)
		return -ENOMEM;
	memset(b, 0, sizeof(*b));
	b->o = o;
	b->arch = a;
	b->src_len = max;
	b->msg_len = o->reset == RESET_FLUSH ? max : pool_len;
	b->src = map_buffer(b->src_len);
	b->msg = map_buffer(b->msg_len);
	if (!b->src || !b->msg) {
		ret = -ENOMEM;
		goto fail;
	}

	ret = pin_self(cons);
	if (ret)
		goto fail;
	CPU_ZERO(&set);
	CPU_SET(prod, &set);
	pthread_attr_init(&attr);
	ret = -pthread_attr_setaffinity_np(&attr, sizeof(set), &set);
	if (!ret)
		ret = -pthread_create(&b->producer, &attr, producer_main, b);
	pthread_attr_destroy(&attr);
	if (ret)
		goto fail;
	b->started = 1;
	*bp = b;
	return 0;
fail:
	bench_stop(b);
	return ret;
}

void bench_stop(struct bench *b)
{
	if (!b)
		return;
	if (b->started) {
		b->order.stop = 1;
		publish(&b->order.go, &b->order.go_sleeper, ++b->seq);
		pthread_join(b->producer, NULL);
	}
	if (b->src)
		munmap(b->src, b->src_len);
	if (b->msg)
		munmap(b->msg, b->msg_len);
	free(b);
}
