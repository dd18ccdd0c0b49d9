// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * ipcoff-bench: the figures the issues ask for, as ratios between cases
 * of this run (when the run has their blocks: a smaller matrix may not). A target
 * with a goal is "met" or "missed"; the others are figures to read. The
 * table prints them under the results and the JSON lists them.
 */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include <linux/ipcoff.h>

#include "bench.h"

/* The ok case of @wl, @size and transport @label, or NULL. */
static const struct case_result *find(const struct case_result *cr,
				      unsigned int n, enum workload wl,
				      size_t size, const char *label)
{
	for (unsigned int i = 0; i < n; i++)
		if (cr[i].c.wl == wl && cr[i].c.size == size &&
		    cr[i].status == ST_OK && !strcmp(cr[i].c.t->label, label))
			return &cr[i];
	return NULL;
}

/* The ipcoff case of @wl and @size with the lowest p99, or NULL. */
static const struct case_result *best_p99(const struct case_result *cr,
					  unsigned int n, enum workload wl,
					  size_t size)
{
	const struct case_result *best = NULL;

	for (unsigned int i = 0; i < n; i++)
		if (cr[i].c.wl == wl && cr[i].c.size == size &&
		    cr[i].status == ST_OK && !strcmp(cr[i].c.t->name, "ipcoff") &&
		    (!best || cr[i].p99_ns < best->p99_ns))
			best = &cr[i];
	return best;
}

static double tput(const struct case_result *c)
{
	return c->bytes_per_s;
}

static double p99(const struct case_result *c)
{
	return (double)c->p99_ns;
}

static double cpu(const struct case_result *c)
{
	return c->cpu_ns_per_msg;
}

struct tgt_ctx {
	const struct case_result *cr;
	unsigned int n;
	struct target *t;
	unsigned int nt, max;
};

/* Does the run have the block of @wl and @size at all (any status)? */
static bool has_block(const struct case_result *cr, unsigned int n,
		      enum workload wl, size_t size)
{
	for (unsigned int i = 0; i < n; i++)
		if (cr[i].c.wl == wl && cr[i].c.size == size)
			return true;
	return false;
}

/*
 * One target: @a over @b of @metric; a NULL @a_label means best p99.
 * Left out when the run has no such block (a smaller matrix).
 */
static struct target *add(struct tgt_ctx *x, int issue, enum workload wl,
			  size_t size, const char *a_label,
			  const char *b_label, const char *metric,
			  double (*f)(const struct case_result *),
			  enum goal goal, double limit)
{
	const struct case_result *a, *b;
	struct target *t;

	if (x->nt >= x->max || !has_block(x->cr, x->n, wl, size))
		return NULL;
	t = &x->t[x->nt++];
	memset(t, 0, sizeof(*t));
	a = a_label ? find(x->cr, x->n, wl, size, a_label) :
	    best_p99(x->cr, x->n, wl, size);
	b = find(x->cr, x->n, wl, size, b_label);
	t->issue = issue;
	t->wl = wl;
	t->size = size;
	snprintf(t->a, sizeof(t->a), "%s",
		 a ? a->c.t->label : a_label ? a_label : "best ipcoff");
	snprintf(t->b, sizeof(t->b), "%s", b_label);
	t->metric = metric;
	t->goal = goal;
	t->limit = limit;
	t->ratio = a && b && f(b) > 0 ? f(a) / f(b) : -1;
	return t;
}

/* Spread of a case's throughput over its runs, relative to its median. */
static double spread(const struct case_result *c)
{
	return c->bytes_per_s > 0 ?
	       (c->bytes_per_s_max - c->bytes_per_s_min) / c->bytes_per_s : 0;
}

/* The forced engine (cpu or dma) with the highest throughput, or NULL. */
static const struct case_result *best_forced(const struct case_result *cr,
					     unsigned int n, enum workload wl,
					     size_t size)
{
	const struct case_result *c = find(cr, n, wl, size, "ipcoff/cpu");
	const struct case_result *d = find(cr, n, wl, size, "ipcoff/dma");

	if (!c || !d)
		return c ? c : d;
	return tput(d) > tput(c) ? d : c;
}

/*
 * Issue 8: auto against the best forced engine in every block that has
 * it (>= 0.95x), and above every forced engine on kv-mixed, whose values
 * straddle the crossovers. Notes give the spreads and auto's picks.
 */
static void sched_targets(struct tgt_ctx *x)
{
	const struct case_result *cr = x->cr;
	static const char *const forced[] = { "ipcoff/cpu", "ipcoff/dma" };
	const struct case_result *a, *b;
	unsigned int n = x->n;
	struct target *e;

	for (unsigned int i = 0; i < n; i++) {
		if (cr[i].status != ST_OK ||
		    strcmp(cr[i].c.t->label, "ipcoff/auto"))
			continue;
		a = &cr[i];
		if (a->c.wl == WL_KV_MIXED) {
			for (unsigned int k = 0; k < ARRAY_SIZE(forced); k++) {
				b = find(cr, n, a->c.wl, a->c.size, forced[k]);
				e = add(x, 8, a->c.wl, a->c.size, "ipcoff/auto",
					forced[k], "throughput", tput,
					GOAL_ABOVE, 1.0);
				if (e && b)
					snprintf(e->note, sizeof(e->note),
						 "spread %.0f%% / %.0f%%; ran cpu %llu, dma %llu",
						 100 * spread(a), 100 * spread(b),
						 (unsigned long long)a->ran[IPCOFF_ENGINE_CPU],
						 (unsigned long long)a->ran[IPCOFF_ENGINE_DMA]);
			}
			continue;
		}
		if (a->c.wl != WL_STREAM && a->c.wl != WL_STREAM_INPLACE &&
		    a->c.wl != WL_KV)
			continue;
		b = best_forced(cr, n, a->c.wl, a->c.size);
		if (!b)
			continue;
		e = add(x, 8, a->c.wl, a->c.size, "ipcoff/auto", b->c.t->label,
			"throughput", tput, GOAL_MIN, 0.95);
		if (e)
			snprintf(e->note, sizeof(e->note),
				 "best forced; spread %.0f%% / %.0f%%; ran cpu %llu, dma %llu",
				 100 * spread(a), 100 * spread(b),
				 (unsigned long long)a->ran[IPCOFF_ENGINE_CPU],
				 (unsigned long long)a->ran[IPCOFF_ENGINE_DMA]);
	}
}

unsigned int targets_compute(const struct case_result *cr, unsigned int n,
			     struct target *t, unsigned int max)
{
	struct tgt_ctx x = { .cr = cr, .n = n, .t = t, .max = max };
	const struct case_result *d;
	struct target *e;
	char a[32], b[32];

	add(&x, 6, WL_STREAM, MiB, "ipcoff/dma/async", "shm", "throughput",
	    tput, GOAL_MIN, 1.6);
	add(&x, 6, WL_STREAM, MiB, "ipcoff/cpu", "cma", "throughput", tput,
	    GOAL_MIN, 1.0);
	add(&x, 6, WL_PINGPONG, 64 * KiB, NULL, "shm", "p99", p99, GOAL_MAX,
	    0.6);
	e = add(&x, 6, WL_STREAM, MiB, "ipcoff/dma/async", "shm", "app CPU",
		cpu, GOAL_MAX, 0.5);
	d = find(cr, n, WL_STREAM, MiB, "ipcoff/dma/async");
	if (e && d)
		snprintf(e->note, sizeof(e->note),
			 "per message %s app, %s engine",
			 fmt_ns(d->cpu_ns_per_msg, a, sizeof(a)),
			 fmt_ns(d->engine_cpu_ns_per_msg, b, sizeof(b)));
	e = add(&x, 5, WL_STREAM, MiB, "ipcoff/dma/async", "ipcoff/dma",
		"throughput", tput, GOAL_NONE, 0);
	if (e)
		snprintf(e->note, sizeof(e->note), "async vs sync submitter");
	e = add(&x, 5, WL_STREAM, MiB, "ipcoff/cpu/async", "ipcoff/cpu",
		"throughput", tput, GOAL_NONE, 0);
	if (e)
		snprintf(e->note, sizeof(e->note), "async vs sync submitter");

	add(&x, 7, WL_STREAM, MiB, "ipcoff/elide", "shm", "throughput", tput,
	    GOAL_MIN, 2.5);
	e = add(&x, 7, WL_STREAM_INPLACE, MiB, "ipcoff/elide", "shm",
		"throughput", tput, GOAL_NONE, 0);
	if (e)
		snprintf(e->note, sizeof(e->note), "the same, read in place");
	add(&x, 7, WL_PINGPONG, 64 * KiB, NULL, "shm", "p99", p99, GOAL_MAX,
	    0.3);
	/* The closing note's 4 MiB transfer: each engine against cpu. */
	for (int wl = WL_STREAM; wl <= WL_STREAM_INPLACE; wl++) {
		static const char *const eng[] = {
			"ipcoff/cpu", "ipcoff/dma", "ipcoff/elide",
		};

		for (unsigned int i = 0; i < ARRAY_SIZE(eng); i++) {
			d = find(cr, n, wl, 4 * MiB, eng[i]);
			e = add(&x, 7, wl, 4 * MiB, eng[i],
				i ? "ipcoff/cpu" : "shm", "throughput", tput,
				GOAL_NONE, 0);
			if (e && d)
				snprintf(e->note, sizeof(e->note),
					 "4 MiB transfer, %.0f MB/s",
					 d->bytes_per_s / 1e6);
		}
	}
	sched_targets(&x);
	return x.nt;
}

const char *goal_sign(enum goal g)
{
	return g == GOAL_MIN ? ">=" : g == GOAL_MAX ? "<=" :
	       g == GOAL_ABOVE ? ">" : "";
}

const char *target_verdict(const struct target *t)
{
	if (t->goal == GOAL_NONE)
		return "";
	if (t->ratio < 0)
		return "not measured";
	if (t->goal == GOAL_MIN)
		return t->ratio >= t->limit ? "met" : "missed";
	if (t->goal == GOAL_ABOVE)
		return t->ratio > t->limit ? "met" : "missed";
	return t->ratio <= t->limit ? "met" : "missed";
}

void targets_print(const struct case_result *cr, unsigned int n)
{
	struct target t[MAX_TARGETS];
	unsigned int nt = targets_compute(cr, n, t, MAX_TARGETS);
	char sz[32], r[32], g[48];

	if (!nt)
		return;
	printf("\ntargets (ratios inside this run):\n");
	for (unsigned int i = 0; i < nt; i++) {
		if (t[i].ratio < 0)
			snprintf(r, sizeof(r), "-");
		else
			snprintf(r, sizeof(r), "%.2fx", t[i].ratio);
		if (t[i].goal == GOAL_NONE)
			snprintf(g, sizeof(g), "(issue %d)", t[i].issue);
		else
			snprintf(g, sizeof(g), "(issue %d: %s %.2gx) %s",
				 t[i].issue, goal_sign(t[i].goal),
				 t[i].limit, target_verdict(&t[i]));
		printf("  %-15s %5s %-17s / %-16s %-10s %7s  %s%s%s\n",
		       workload_name(t[i].wl),
		       fmt_size(t[i].size, sz, sizeof(sz)), t[i].a, t[i].b,
		       t[i].metric, r, g, t[i].note[0] ? "; " : "",
		       t[i].note);
	}
}
