// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * ipcoff-bench: statistics. Throughput and CPU figures of a case are the
 * median over its runs, with the smallest and largest as the spread;
 * latency percentiles are taken over the samples of all runs pooled
 * (nearest rank), which is what makes p99.9 meaningful with few runs.
 */
#include <stdlib.h>
#include <string.h>

#include "bench.h"

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return (x > y) - (x < y);
}

double median(double *v, unsigned int n)
{
	if (!n)
		return 0;
	qsort(v, n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

void minmax(const double *v, unsigned int n, double *lo, double *hi)
{
	*lo = *hi = n ? v[0] : 0;
	for (unsigned int i = 1; i < n; i++) {
		if (v[i] < *lo)
			*lo = v[i];
		if (v[i] > *hi)
			*hi = v[i];
	}
}

/* Nearest rank: the smallest value with at least q of the samples <= it. */
static uint64_t rank(const uint64_t *v, uint64_t n, double q)
{
	uint64_t k;

	if (!n)
		return 0;
	k = (uint64_t)(q * (double)n + 0.999999);
	if (k < 1)
		k = 1;
	if (k > n)
		k = n;
	return v[k - 1];
}

void percentiles(uint64_t *v, uint64_t n, uint64_t *p50, uint64_t *p99,
		 uint64_t *p999, uint64_t *max)
{
	qsort(v, n, sizeof(*v), cmp_u64);
	*p50 = rank(v, n, 0.50);
	*p99 = rank(v, n, 0.99);
	*p999 = rank(v, n, 0.999);
	*max = n ? v[n - 1] : 0;
}

#define FIELD_MEDIAN(out, field)					\
	do {								\
		for (unsigned int i = 0; i < n; i++)			\
			v[i] = runs[i].field;				\
		out = median(v, n);					\
	} while (0)

void aggregate(struct case_result *cr, struct run_result *runs,
	       unsigned int n)
{
	double v[64];
	uint64_t total = 0, *all, k = 0, bytes = 0;

	if (n > ARRAY_SIZE(v))
		n = ARRAY_SIZE(v);
	cr->runs = n;
	cr->messages = 0;
	for (unsigned int i = 0; i < n; i++) {
		v[i] = runs[i].msgs_per_s;
		cr->messages += runs[i].msgs;
		bytes += runs[i].bytes;
		cr->engine_requests += runs[i].engine_requests;
		cr->engine_fallbacks += runs[i].engine_fallbacks;
		for (unsigned int e = 0; e < ENGINES; e++)
			cr->ran[e] += runs[i].ran[e];
		cr->cache_clwb_bytes += runs[i].cache_clwb_bytes;
		cr->cache_inject_bytes += runs[i].cache_inject_bytes;
		cr->seen += runs[i].seen;
		cr->capped_runs += runs[i].capped ? 1 : 0;
		total += runs[i].nsamples;
	}
	cr->bytes = bytes;
	minmax(v, n, &cr->msgs_per_s_min, &cr->msgs_per_s_max);
	cr->msgs_per_s = median(v, n);
	for (unsigned int i = 0; i < n; i++)
		v[i] = runs[i].bytes_per_s;
	minmax(v, n, &cr->bytes_per_s_min, &cr->bytes_per_s_max);
	cr->bytes_per_s = median(v, n);
	for (unsigned int i = 0; i < n; i++)
		v[i] = runs[i].cpu_ns_per_msg;
	minmax(v, n, &cr->cpu_ns_per_msg_min, &cr->cpu_ns_per_msg_max);
	cr->cpu_ns_per_msg = median(v, n);
	FIELD_MEDIAN(cr->cpu_user_ns_per_msg, cpu_user_ns_per_msg);
	FIELD_MEDIAN(cr->cpu_sys_ns_per_msg, cpu_sys_ns_per_msg);
	FIELD_MEDIAN(cr->cpu_tx_ns_per_msg, cpu_tx_ns_per_msg);
	FIELD_MEDIAN(cr->cpu_rx_ns_per_msg, cpu_rx_ns_per_msg);
	FIELD_MEDIAN(cr->engine_cpu_ns_per_msg, engine_cpu_ns_per_msg);

	/* The size a message stands for: kv's values vary, so their mean. */
	if ((cr->c.wl == WL_KV || cr->c.wl == WL_KV_MIXED) && cr->messages)
		cr->size = (size_t)(bytes / cr->messages);
	else
		cr->size = workload_ops_of(cr->c.wl)->size(&cr->c);

	all = malloc((total ? total : 1) * sizeof(*all));
	if (!all)
		die("out of memory");
	for (unsigned int i = 0; i < n; i++) {
		memcpy(all + k, runs[i].samples,
		       runs[i].nsamples * sizeof(*all));
		k += runs[i].nsamples;
	}
	cr->samples = total;
	percentiles(all, total, &cr->p50_ns, &cr->p99_ns, &cr->p999_ns,
		    &cr->max_ns);
	free(all);
}
