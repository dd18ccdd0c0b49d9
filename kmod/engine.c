// SPDX-License-Identifier: GPL-2.0
/*
 * The engine table: which engines exist, which one runs a request, and
 * their counters in sysfs (/sys/class/misc/ipcoff/<engine>/).
 */
#include <linux/device.h>
#include <linux/err.h>
#include <linux/math64.h>
#include <linux/module.h>
#include <linux/percpu.h>
#include <linux/slab.h>
#include <linux/sysfs.h>

#include "dma.h"
#include "sched.h"

static struct ipcoff_engine *ipcoff_engines[IPCOFF_ENGINE_COUNT] = {
	[IPCOFF_ENGINE_CPU] = &ipcoff_engine_cpu,
	[IPCOFF_ENGINE_DMA] = &ipcoff_engine_dma,
	[IPCOFF_ENGINE_ELIDE] = &ipcoff_engine_elide,
};

/**
 * struct ipcoff_latency - per-CPU latency histograms of every engine
 * @bucket: counts, by engine id and IPCOFF_LAT_BUCKETS bucket
 */
struct ipcoff_latency {
	u64 bucket[IPCOFF_ENGINE_COUNT][IPCOFF_LAT_BUCKETS];
};

/* Per CPU, so that completions on many CPUs never share a line. */
static struct ipcoff_latency __percpu *ipcoff_latency;

/* The bucket of @ns: the least k with ns <= 2^k us, capped at the last. */
static unsigned int ipcoff_lat_bucket(u64 ns)
{
	u64 us = div_u64(ns + NSEC_PER_USEC - 1, NSEC_PER_USEC);
	unsigned int k = us > 1 ? fls64(us - 1) : 0;

	return min_t(unsigned int, k, IPCOFF_LAT_BUCKETS - 1);
}

/**
 * ipcoff_engine_account() - count one completed copy's latency
 * @e: the engine that ran it
 * @ns: its submit-to-complete time
 *
 * Called from every completion, in any context (DMA callbacks included):
 * one atomic add and one per-CPU increment, no lock.
 */
void ipcoff_engine_account(struct ipcoff_engine *e, u64 ns)
{
	atomic64_add(ns, &e->stats.busy_ns);
	this_cpu_inc(ipcoff_latency->bucket[e->id][ipcoff_lat_bucket(ns)]);
}

/* Sums the per-CPU histograms of engine @id into @out. */
static void ipcoff_engine_latency(u32 id, u64 out[IPCOFF_LAT_BUCKETS])
{
	int cpu, k;

	memset(out, 0, sizeof(u64) * IPCOFF_LAT_BUCKETS);
	for_each_possible_cpu(cpu) {
		const struct ipcoff_latency *l = per_cpu_ptr(ipcoff_latency,
							     cpu);

		for (k = 0; k < IPCOFF_LAT_BUCKETS; k++)
			out[k] += READ_ONCE(l->bucket[id][k]);
	}
}

/**
 * ipcoff_engine_init() - allocate the latency histograms
 *
 * Return: 0 or -ENOMEM.
 */
int ipcoff_engine_init(void)
{
	ipcoff_latency = alloc_percpu(struct ipcoff_latency);
	return ipcoff_latency ? 0 : -ENOMEM;
}

/**
 * ipcoff_engine_exit() - free them, once no request can complete any more
 */
void ipcoff_engine_exit(void)
{
	free_percpu(ipcoff_latency);
}

/**
 * ipcoff_engines_present() - the engines that can take requests now
 *
 * Return: a mask of (1 << IPCOFF_ENGINE_*), as GET_INFO reports it; an
 * engine the administrator disabled is not there.
 */
u32 ipcoff_engines_present(void)
{
	u32 mask = 0;
	int i;

	for (i = 0; i < IPCOFF_ENGINE_COUNT; i++)
		if (ipcoff_engines[i] && ipcoff_engines[i]->present() &&
		    ipcoff_sched_allowed(i))
			mask |= BIT(i);
	return mask;
}

/**
 * ipcoff_engine_counters() - an engine's counters for the STATS ioctl
 * @id: IPCOFF_ENGINE_*
 * @out: filled; left zero for an engine that does not exist
 */
void ipcoff_engine_counters(u32 id, struct ipcoff_engine_counters *out)
{
	struct ipcoff_engine *e = id < IPCOFF_ENGINE_COUNT ?
				  ipcoff_engines[id] : NULL;

	memset(out, 0, sizeof(*out));
	if (!e)
		return;
	out->requests = atomic64_read(&e->stats.requests);
	out->bytes = atomic64_read(&e->stats.bytes);
	out->descriptors = atomic64_read(&e->stats.descriptors);
	out->errors = atomic64_read(&e->stats.errors);
	out->fallbacks = atomic64_read(&e->stats.fallbacks);
	out->timeouts = atomic64_read(&e->stats.timeouts);
	out->busy_ns = atomic64_read(&e->stats.busy_ns);
	out->depth = atomic_read(&e->stats.depth);
}

/**
 * ipcoff_engine_pick() - the engine that runs a request
 * @want: IPCOFF_ENGINE_* the caller asked for
 * @req: the request, with both ends loaded
 *
 * Auto requests are the scheduler's (sched.c). A forced engine that is
 * absent, disabled or cannot serve the request is an error, never a
 * silent switch to another engine.
 *
 * Return: the engine, ERR_PTR(-ENODEV) for an absent engine, or the
 * engine's own reason not to serve @req.
 */
struct ipcoff_engine *ipcoff_engine_pick(u32 want,
					 struct ipcoff_request *req)
{
	struct ipcoff_engine *e;
	int ret;

	if (want == IPCOFF_ENGINE_AUTO)
		return ipcoff_sched_pick(req);
	e = want < IPCOFF_ENGINE_COUNT ? ipcoff_engines[want] : NULL;
	if (!e || !e->present() || !ipcoff_sched_allowed(want))
		return ERR_PTR(-ENODEV);
	ret = e->serves(req);
	return ret ? ERR_PTR(ret) : e;
}

#define IPCOFF_STAT_SHOW(field, type)					\
static ssize_t field##_show(struct ipcoff_engine *e, char *buf)	\
{									\
	return sysfs_emit(buf, "%lld\n", (long long)type(&e->stats.field)); \
}

IPCOFF_STAT_SHOW(requests, atomic64_read)
IPCOFF_STAT_SHOW(bytes, atomic64_read)
IPCOFF_STAT_SHOW(descriptors, atomic64_read)
IPCOFF_STAT_SHOW(errors, atomic64_read)
IPCOFF_STAT_SHOW(fallbacks, atomic64_read)
IPCOFF_STAT_SHOW(timeouts, atomic64_read)
IPCOFF_STAT_SHOW(depth, atomic_read)
IPCOFF_STAT_SHOW(busy_ns, atomic64_read)

/* The histogram as one line of counts, the fastest bucket first. */
static ssize_t latency_buckets_show(struct ipcoff_engine *e, char *buf)
{
	u64 b[IPCOFF_LAT_BUCKETS];
	int k, len = 0;

	ipcoff_engine_latency(e->id, b);
	for (k = 0; k < IPCOFF_LAT_BUCKETS; k++)
		len += sysfs_emit_at(buf, len, "%llu%c", b[k],
				     k == IPCOFF_LAT_BUCKETS - 1 ? '\n' : ' ');
	return len;
}

/**
 * struct ipcoff_stat_attr - a counter file of one engine
 * @attr: the sysfs attribute
 * @engine: whose counter
 * @show: reads it
 */
struct ipcoff_stat_attr {
	struct device_attribute attr;
	struct ipcoff_engine *engine;
	ssize_t (*show)(struct ipcoff_engine *e, char *buf);
};

static ssize_t ipcoff_stat_show(struct device *dev,
				struct device_attribute *attr, char *buf)
{
	struct ipcoff_stat_attr *sa =
		container_of(attr, struct ipcoff_stat_attr, attr);

	return sa->show(sa->engine, buf);
}

#define IPCOFF_STAT(_engine, field)					\
	{ .attr = __ATTR(field, 0444, ipcoff_stat_show, NULL),		\
	  .engine = _engine, .show = field##_show }

/* One engine's counters, in /sys/class/misc/ipcoff/<engine>/. */
#define IPCOFF_DEFINE_ENGINE_STATS(_name)				\
static struct ipcoff_stat_attr ipcoff_##_name##_stats[] = {		\
	IPCOFF_STAT(&ipcoff_engine_##_name, requests),			\
	IPCOFF_STAT(&ipcoff_engine_##_name, bytes),			\
	IPCOFF_STAT(&ipcoff_engine_##_name, descriptors),		\
	IPCOFF_STAT(&ipcoff_engine_##_name, errors),			\
	IPCOFF_STAT(&ipcoff_engine_##_name, fallbacks),			\
	IPCOFF_STAT(&ipcoff_engine_##_name, timeouts),			\
	IPCOFF_STAT(&ipcoff_engine_##_name, depth),			\
	IPCOFF_STAT(&ipcoff_engine_##_name, busy_ns),			\
	IPCOFF_STAT(&ipcoff_engine_##_name, latency_buckets),		\
};									\
static struct attribute *ipcoff_##_name##_attrs[] = {			\
	&ipcoff_##_name##_stats[0].attr.attr,				\
	&ipcoff_##_name##_stats[1].attr.attr,				\
	&ipcoff_##_name##_stats[2].attr.attr,				\
	&ipcoff_##_name##_stats[3].attr.attr,				\
	&ipcoff_##_name##_stats[4].attr.attr,				\
	&ipcoff_##_name##_stats[5].attr.attr,				\
	&ipcoff_##_name##_stats[6].attr.attr,				\
	&ipcoff_##_name##_stats[7].attr.attr,				\
	&ipcoff_##_name##_stats[8].attr.attr,				\
	NULL,								\
};									\
const struct attribute_group ipcoff_##_name##_stats_group = {		\
	.name = #_name,							\
	.attrs = ipcoff_##_name##_attrs,				\
}

IPCOFF_DEFINE_ENGINE_STATS(cpu);
IPCOFF_DEFINE_ENGINE_STATS(dma);
IPCOFF_DEFINE_ENGINE_STATS(elide);
