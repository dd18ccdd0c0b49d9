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
	return x.nt;
}

const char *target_verdict(const struct target *t)
{
	if (t->goal == GOAL_NONE)
		return "";
	if (t->ratio < 0)
		return "not measured";
	if (t->goal == GOAL_MIN)
		return t->ratio >= t->limit ? "met" : "missed";
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
			snprintf(g, sizeof(g), "(issue %d: %s %.1fx) %s",
				 t[i].issue, t[i].goal == GOAL_MIN ? ">=" : "<=",
				 t[i].limit, target_verdict(&t[i]));
		printf("  %-15s %5s %-17s / %-16s %-10s %7s  %s%s%s\n",
		       workload_name(t[i].wl),
		       fmt_size(t[i].size, sz, sizeof(sz)), t[i].a, t[i].b,
		       t[i].metric, r, g, t[i].note[0] ? "; " : "",
		       t[i].note);
	}
}
