/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/*
 * ipcoff-cachebench: shared definitions.
 *
 * The question (issue 7, "Cache actions"): when a producer on one CPU has
 * written a message and a consumer on another CPU reads it, does anything
 * the producer does after writing (write the lines back, flush them, or
 * write them with non-temporal stores in the first place), or the consumer
 * does before reading (prefetch), make the consumer's read cheaper?
 *
 * One sample: the consumer (the main thread) resets the message buffer's
 * cache state and orders a message; the producer thread fills its source
 * buffer, copies it into the message buffer, applies the action and raises
 * a flag; the consumer, spinning on the flag, reads the whole message and
 * the time it takes is the figure. The actions of one size take turns
 * sample by sample, so a disturbance hits all of them alike.
 *
 * Files, one concern each: main.c (options, the order of the run),
 * topology.c (CPUs, caches, the producer/consumer pair), arch.c (CPUID,
 * the clock, the cache instructions), message.c (the bytes: pattern,
 * reading, checksum, expected values), measure.c (the two threads and the
 * samples), stats.c (median, p90, verdicts), report.c (table and JSON).
 */
#ifndef IPCOFF_CACHEBENCH_H
#define IPCOFF_CACHEBENCH_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))
#define CB_SCHEMA	1
#define CACHELINE	64UL
#define KiB		1024UL
#define MiB		(1024UL * 1024UL)

#define EXIT_BADARGS	2
#define EXIT_SKIP	4	/* cannot run here (fewer than two CPUs) */

#define CB_MAX_CPUS	1024	/* as glibc's cpu_set_t */
#define CB_MAX_CACHES	8	/* cache/index* entries read per CPU */
#define CB_MAX_SIZES	16
#define CB_MAX_SIZE	(64 * MiB)
#define CB_PREFETCH_FEW	16	/* lines the "prefetch-16" action touches */

/* ---- topology.c ---- */

struct cpumask {
	uint64_t bits[CB_MAX_CPUS / 64];
};

static inline void mask_set(struct cpumask *m, unsigned int cpu)
{
	if (cpu < CB_MAX_CPUS)
		m->bits[cpu / 64] |= 1ULL << (cpu % 64);
}

static inline int mask_test(const struct cpumask *m, unsigned int cpu)
{
	return cpu < CB_MAX_CPUS && (m->bits[cpu / 64] >> (cpu % 64)) & 1;
}

int mask_parse(const char *list, struct cpumask *m);
unsigned int mask_count(const struct cpumask *m);
int mask_first(const struct cpumask *m);
void mask_format(const struct cpumask *m, char *buf, size_t len);

/* One of a CPU's caches, as cache/indexN describes it. */
struct cache {
	unsigned int level;
	char type;			/* 'd'ata, 'i'nstruction, 'u'nified */
	unsigned long size;		/* bytes */
	struct cpumask shared;		/* shared_cpu_list */
};

struct cpu_caches {
	unsigned int n;
	struct cache c[CB_MAX_CACHES];
	int node;			/* NUMA node, -1 unknown */
};

struct topology {
	struct cpumask online;
	struct cpumask usable;		/* online and in our affinity mask */
	unsigned int nonline, nusable, nnodes;
	unsigned int ncpus;		/* entries in cpu[]: highest online + 1 */
	struct cpu_caches *cpu;
	int have_caches;		/* sysfs described at least one cache */
};

int topology_read(struct topology *t);
void topology_free(struct topology *t);
unsigned int topology_shared_level(const struct topology *t, int a, int b);
void topology_shared_names(const struct topology *t, int a, int b,
			   char *buf, size_t len);
int topology_choose(const struct topology *t, int *prod, int *cons,
		    char *why, size_t len);
unsigned long topology_llc_size(const struct topology *t, int cpu);
void topology_print(FILE *f, const struct topology *t);

/* ---- arch.c ---- */

struct arch_info {
	int x86;
	char vendor[16];
	char brand[64];
	unsigned int family, model, stepping;
	int virt;			/* CPUID says: running under a hypervisor */
	char hypervisor[16];		/* its signature, when it gives one */
	int clflush, clflushopt, clwb, sse2, avx, avx2, avx512f;
	int invariant_tsc;
};

void arch_probe(struct arch_info *a);
void arch_print(FILE *f, const struct arch_info *a);

/* The clock: the TSC where it is invariant, CLOCK_MONOTONIC otherwise. */
void clock_init(const struct arch_info *a, double calibrate_s);
const char *clock_name(void);
double clock_mhz(void);			/* ticks per microsecond */
uint64_t ticks_begin(void);
uint64_t ticks_end(void);
double ticks_to_ns(uint64_t ticks);
double wall_s(void);

/* The instructions. Lengths are multiples of CACHELINE, buffers aligned. */
void copy_plain(void *dst, const void *src, size_t len);
void copy_nt(void *dst, const void *src, size_t len);
void lines_clwb(void *p, size_t len);
void lines_clflushopt(void *p, size_t len);
void lines_evict(void *p, size_t len, int clflushopt);
void lines_prefetch(const void *p, size_t lines);
void cpu_relax(void);

/* ---- message.c ---- */

struct msg_sums {
	uint64_t words;			/* sum of the 64-bit words */
	uint64_t a, b;			/* byte checksum: a = sum, b = sum of a */
};

void msg_fill(void *buf, size_t len, unsigned int bias);
uint64_t msg_read(const void *buf, size_t len);
void msg_checksum(const void *buf, size_t len, uint64_t *a, uint64_t *b);
void msg_expect(const struct msg_sums *base, size_t len, unsigned int bias,
		struct msg_sums *out);

/* ---- the cases ---- */

enum action {
	ACT_NONE,
	ACT_CLWB,
	ACT_CLFLUSHOPT,
	ACT_NT,
	ACT_PREFETCH_FEW,
	ACT_PREFETCH_ALL,
	ACT_COUNT,
};

enum consumer {
	CONS_READ,		/* load every 64-bit word, sum them */
	CONS_CHECKSUM,		/* a byte-by-byte checksum over every byte */
	CONS_COUNT,
};

enum reset {
	RESET_FLUSH,		/* clflush the message lines before each sample */
	RESET_ROTATE,		/* a fresh buffer from a pool twice the LLC */
};

const char *action_name(enum action a);
const char *consumer_name(enum consumer c);
const char *reset_name(enum reset r);

struct cb_opts {
	int quick;
	int json_stdout;		/* --json: JSON instead of the text */
	const char *json_path;		/* --json=FILE: text, and JSON here */
	int prod_cpu, cons_cpu;		/* -1: chosen from the topology */
	unsigned long sizes[CB_MAX_SIZES];
	unsigned int nsizes;
	unsigned int consumers;		/* bit per enum consumer */
	enum reset reset;
	int reset_given;
	double budget_s;		/* per size and consumer */
	unsigned int min_rounds, max_rounds, warmup_rounds;
	unsigned int without;		/* bit per enum action: pretend absent */
	int topology_only;
};

/* One (size, consumer, action) cell of the table. */
struct cell {
	unsigned long size;
	enum consumer cons;
	enum action act;
	const char *missing;		/* not run, and why ("no clwb") */
	unsigned int n;			/* samples */
	unsigned int slept;		/* ...before which the consumer slept */
	double med_ns, p90_ns, min_ns;
	double prod_med_ns;		/* the producer's copy and action */
	double ratio;			/* med_ns / none's med_ns */
	int verdict;			/* -1 faster, 0 unclear, 1 slower */
	unsigned long bad;		/* samples whose bytes did not verify */
};

/* ---- measure.c ---- */

struct bench;

const char *action_missing(enum action act, const struct arch_info *a,
			   unsigned int without);
int bench_start(struct bench **bp, const struct cb_opts *o,
		const struct arch_info *a, int prod, int cons,
		unsigned long pool_len);
int bench_group(struct bench *b, unsigned long size, enum consumer cons,
		struct cell cells[ACT_COUNT], unsigned int *rounds);
void bench_stop(struct bench *b);

/* ---- stats.c ---- */

#define VERDICT_RATIO	0.10	/* medians at least 10% apart... */

void stats_fill(struct cell *c, double *cons_ns, double *prod_ns,
		unsigned int n);
void stats_compare(struct cell *c, const struct cell *none);

/* ---- report.c ---- */

struct run_info {
	const struct cb_opts *opts;
	const struct arch_info *arch;
	const struct topology *topo;
	int prod, cons;
	char pair_why[160];
	char kernel[200];
	double load_start[3], load_end[3];
	double steal_pct;		/* of the pair's CPU time, -1 unknown */
	long nivcsw;			/* involuntary context switches */
	unsigned long samples, slept;	/* all cells' */
	double seconds;
	unsigned long pool_len;		/* RESET_ROTATE's pool */
	struct cell *cells;		/* [size][consumer][action] */
	int ran[CB_MAX_SIZES][CONS_COUNT];
};

struct cell *run_cell(const struct run_info *r, unsigned int size_idx,
		      enum consumer cons, enum action act);
const char *fmt_size(unsigned long bytes, char *buf, size_t len);
void report_machine(FILE *f, const struct run_info *r);
void report_table(FILE *f, const struct run_info *r);
void report_json(FILE *f, const struct run_info *r);

#endif /* IPCOFF_CACHEBENCH_H */
