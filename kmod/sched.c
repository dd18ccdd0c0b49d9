// SPDX-License-Identifier: GPL-2.0
/*
 * The scheduler: for an IPCOFF_ENGINE_AUTO request, the engine predicted
 * to serve the request's QoS hint best. Each engine has a cost model,
 * fixed cost + per-byte cost (+ for dma a cost per extra descriptor),
 * scaled by a load factor learnt from completions, plus the wait behind
 * the bytes already queued on it.
 *
 * The submission path reads the model under RCU, the knobs with
 * READ_ONCE and counts its decisions per CPU: it allocates nothing and
 * takes no lock. Model updates (knobs, calibration) build a new model and
 * publish it; completions update the load factors lock-free (a lost
 * update of an average is harmless).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/capability.h>
#include <linux/cpumask.h>
#include <linux/device.h>
#include <linux/math64.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/mutex.h>
#include <linux/percpu.h>
#include <linux/rcupdate.h>
#include <linux/slab.h>

#include "dma.h"
#include "sched.h"

/* Load factors are fixed point: this is 1.0, the engine as modelled. */
#define IPCOFF_LOAD_ONE		1024U
/* A completion moves its engine's factor at most this far. */
#define IPCOFF_LOAD_MIN		(IPCOFF_LOAD_ONE / 16)
#define IPCOFF_LOAD_MAX		(IPCOFF_LOAD_ONE * 4096)
/* Most one completion may multiply or divide the load factor by. */
#define IPCOFF_LOAD_STEP	4
/*
 * Bounds that keep the arithmetic in 64 bits: queued bytes, predicted
 * times before scaling (18 minutes), and measured costs (as the pins).
 */
#define IPCOFF_QUEUE_MAX	BIT_ULL(40)
#define IPCOFF_NS_MAX		BIT_ULL(40)
#define IPCOFF_Q_SHIFT		20
#define IPCOFF_FIXED_MAX	1000000000ULL
#define IPCOFF_BYTE_MAX		10000000ULL

/* Why a decision went the way it did; sysfs reason_<name>. */
enum ipcoff_why {
	IPCOFF_WHY_ELIDE,	/* the same bytes already, or a page exchange */
	IPCOFF_WHY_UNAVAILABLE,	/* dma absent, disabled or not serving */
	IPCOFF_WHY_THRESHOLD,	/* the static dma_auto_min threshold */
	IPCOFF_WHY_COST,	/* the engine predicted to finish first */
	IPCOFF_WHY_QUEUE,	/* dma would finish first but for its queue */
	IPCOFF_WHY_HINT_CPU,	/* IPCOFF_QOS_CPU: offload */
	IPCOFF_WHY_HINT_THROUGHPUT, /* IPCOFF_QOS_THROUGHPUT: dma, a bit slower */
	IPCOFF_WHY_HYBRID,	/* split between cpu and dma */
	IPCOFF_WHY_COUNT,
};

/* What was decided; sysfs decisions_<name>. */
enum ipcoff_pick {
	IPCOFF_PICK_CPU,
	IPCOFF_PICK_DMA,
	IPCOFF_PICK_ELIDE,
	IPCOFF_PICK_HYBRID,
	IPCOFF_PICK_COUNT,
};

/**
 * struct ipcoff_sched_stat - one CPU's decision counters
 * @pick: decisions by enum ipcoff_pick
 * @why: decisions by enum ipcoff_why
 */
struct ipcoff_sched_stat {
	u64 pick[IPCOFF_PICK_COUNT];
	u64 why[IPCOFF_WHY_COUNT];
};

static DEFINE_PER_CPU(struct ipcoff_sched_stat, ipcoff_sched_stats);

/**
 * struct ipcoff_sched_model - the costs decisions are made from
 * @fixed_ns: per engine, nanoseconds a copy costs whatever its size
 * @byte_ps: per engine, picoseconds per byte
 * @byte_q: the same in nanoseconds << IPCOFF_Q_SHIFT: the submission path
 *	multiplies and shifts, it does not divide
 * @desc_ns: dma: nanoseconds per descriptor beyond one per page (the two
 *	ends at different offsets within a page)
 * @learn: per engine, whether completions may scale it (nothing pinned)
 * @rcu: frees the model after the readers of the old one are done
 */
struct ipcoff_sched_model {
	u64 fixed_ns[IPCOFF_ENGINE_COUNT];
	u64 byte_ps[IPCOFF_ENGINE_COUNT];
	u64 byte_q[IPCOFF_ENGINE_COUNT];
	u64 desc_ns;
	bool learn[IPCOFF_ENGINE_COUNT];
	struct rcu_head rcu;
};

static struct ipcoff_sched_model __rcu *ipcoff_model;
/* Serialises model rebuilds and calibration. */
static DEFINE_MUTEX(ipcoff_sched_lock);
static bool ipcoff_sched_up;

/**
 * struct ipcoff_sched_eng - what the scheduler follows of one engine
 * @inflight: bytes submitted to it and not completed
 * @load: learnt factor on its modelled cost, IPCOFF_LOAD_ONE = as modelled
 * @stamp: ktime of the last completion learnt from
 */
struct ipcoff_sched_eng {
	atomic64_t inflight;
	unsigned long load;
	u64 stamp;
} ____cacheline_aligned_in_smp;

/*
 * The engines' factors, and one for the cpu+dma split itself: how much
 * longer splits take than their parts' predictions say (the parts do not
 * overlap when the dma engine needs the CPUs the caller also uses).
 */
#define IPCOFF_SPLIT	IPCOFF_ENGINE_COUNT
static struct ipcoff_sched_eng ipcoff_seng[IPCOFF_ENGINE_COUNT + 1];

/* Costs before anything was measured: a typical server's order. */
static const u64 ipcoff_default_fixed_ns[IPCOFF_ENGINE_COUNT] = {
	[IPCOFF_ENGINE_CPU] = 1000,
	[IPCOFF_ENGINE_DMA] = 20000,
};

static const u64 ipcoff_default_byte_ps[IPCOFF_ENGINE_COUNT] = {
	[IPCOFF_ENGINE_CPU] = 250,
	[IPCOFF_ENGINE_DMA] = 150,
};

#define IPCOFF_DEFAULT_DESC_NS	1000

/* ------------------------------------------------------------------ */
/* Knobs: each a module parameter and a file in sched/, one validation. */

/**
 * struct ipcoff_knob - a tunable of the scheduler
 * @attr: its file in /sys/class/misc/ipcoff/sched/
 * @val: the value
 * @min: smallest value accepted
 * @max: largest value accepted
 * @remodel: the model is rebuilt when it changes
 */
struct ipcoff_knob {
	struct device_attribute attr;
	u64 val;
	u64 min;
	u64 max;
	bool remodel;
};

static void ipcoff_sched_remodel(void);
static void ipcoff_split_done(struct ipcoff_request *whole);
static void ipcoff_sched_calibrate(bool cpu, bool dma);
static struct ipcoff_knob knob_dma;

static u64 knob(const struct ipcoff_knob *k)
{
	return READ_ONCE(k->val);
}

static int ipcoff_knob_apply(struct ipcoff_knob *k, const char *buf)
{
	u64 v, old;

	/* Not a number, or out of range: the same answer for both. */
	if (kstrtou64(buf, 0, &v) || v < k->min || v > k->max)
		return -EINVAL;
	old = xchg(&k->val, v);
	if (k->remodel)
		ipcoff_sched_remodel();
	/* dma back on: what it costs may have changed while it was off. */
	if (k == &knob_dma && v && !old && READ_ONCE(ipcoff_sched_up))
		ipcoff_sched_calibrate(false, true);
	return 0;
}

static int ipcoff_knob_param_set(const char *buf, const struct kernel_param *kp)
{
	return ipcoff_knob_apply(kp->arg, buf);
}

static int ipcoff_knob_param_get(char *buf, const struct kernel_param *kp)
{
	const struct ipcoff_knob *k = kp->arg;

	return scnprintf(buf, PAGE_SIZE, "%llu\n", knob(k));
}

static const struct kernel_param_ops ipcoff_knob_ops = {
	.set = ipcoff_knob_param_set,
	.get = ipcoff_knob_param_get,
};

static ssize_t ipcoff_knob_show(struct device *dev,
				struct device_attribute *attr, char *buf)
{
	struct ipcoff_knob *k = container_of(attr, struct ipcoff_knob, attr);

	return sysfs_emit(buf, "%llu\n", knob(k));
}

static ssize_t ipcoff_knob_store(struct device *dev,
				 struct device_attribute *attr,
				 const char *buf, size_t count)
{
	struct ipcoff_knob *k = container_of(attr, struct ipcoff_knob, attr);
	int ret;

	if (!capable(CAP_SYS_ADMIN))
		return -EPERM;
	ret = ipcoff_knob_apply(k, buf);
	return ret ? ret : count;
}

#define IPCOFF_KNOB(_param, _name, _def, _min, _max, _remodel)		\
	static struct ipcoff_knob knob_##_name = {			\
		.attr = __ATTR(_name, 0644, ipcoff_knob_show,		\
			       ipcoff_knob_store),			\
		.val = _def, .min = _min, .max = _max,			\
		.remodel = _remodel,					\
	};								\
	module_param_cb(_param, &ipcoff_knob_ops, &knob_##_name, 0644)

IPCOFF_KNOB(dma_auto_min, dma_auto_min, 0, 0, IPCOFF_MAX_REGION_LEN,
	    false);
MODULE_PARM_DESC(dma_auto_min,
		 "auto: 0 lets the cost model choose cpu or dma; N sends copies of N bytes and more to dma, smaller ones to the cpu");
IPCOFF_KNOB(sched_dma, dma, 1, 0, 1, false);
MODULE_PARM_DESC(sched_dma,
		 "1: the dma engine may be used; 0: disabled host-wide, for every request");
IPCOFF_KNOB(sched_elide, elide, 1, 0, 1, false);
MODULE_PARM_DESC(sched_elide,
		 "auto may pick the elide engine");
IPCOFF_KNOB(sched_force_qos, force_qos, 0, 0, IPCOFF_QOS_MAX, false);
MODULE_PARM_DESC(sched_force_qos,
		 "0: honour each request's QoS hint; 1-3: every auto request is IPCOFF_QOS_LATENCY, _THROUGHPUT or _CPU");
IPCOFF_KNOB(sched_default_qos, default_qos, IPCOFF_QOS_LATENCY,
	    IPCOFF_QOS_LATENCY, IPCOFF_QOS_MAX, false);
MODULE_PARM_DESC(sched_default_qos,
		 "what IPCOFF_QOS_DEFAULT means: 1 latency, 2 throughput, 3 cpu-saving");
IPCOFF_KNOB(sched_throughput_slack, throughput_slack, 50, 0, 1000, false);
MODULE_PARM_DESC(sched_throughput_slack,
		 "IPCOFF_QOS_THROUGHPUT: percent by which dma may be predicted slower than the cpu");
IPCOFF_KNOB(sched_hybrid, hybrid, 1, 0, 1, false);
MODULE_PARM_DESC(sched_hybrid,
		 "auto may split a large copy between the cpu and dma engines");
IPCOFF_KNOB(sched_hybrid_min, hybrid_min, 256 * 1024, 2 * PAGE_SIZE,
	    IPCOFF_MAX_REGION_LEN, false);
MODULE_PARM_DESC(sched_hybrid_min, "smallest copy that may be split, in bytes");
IPCOFF_KNOB(sched_hybrid_gain, hybrid_gain, 10, 0, 100, false);
MODULE_PARM_DESC(sched_hybrid_gain,
		 "percent by which a split must be predicted faster than the faster engine alone");
IPCOFF_KNOB(sched_calibrate, calibrate, 1, 0, 1, false);
MODULE_PARM_DESC(sched_calibrate,
		 "measure the engines' costs at load and when dma channels appear");
IPCOFF_KNOB(sched_calib_ms, calib_ms, 200, 10, 10000, false);
MODULE_PARM_DESC(sched_calib_ms,
		 "time budget of one engine's calibration, in ms (each probe still copies once)");
IPCOFF_KNOB(sched_learn, learn, 1, 0, 1, false);
MODULE_PARM_DESC(sched_learn,
		 "keep each engine's load factor current from its completions");
IPCOFF_KNOB(sched_ewma_shift, ewma_shift, 3, 1, 10, false);
MODULE_PARM_DESC(sched_ewma_shift,
		 "a completion moves its engine's load factor by 1/2^N of the difference");
IPCOFF_KNOB(sched_decay_ms, decay_ms, 1000, 1, 3600000, false);
MODULE_PARM_DESC(sched_decay_ms,
		 "without completions a load factor's distance to 1 halves every N ms");
IPCOFF_KNOB(sched_pin_cpu_fixed_ns, pin_cpu_fixed_ns, 0, 0, IPCOFF_FIXED_MAX,
	    true);
MODULE_PARM_DESC(sched_pin_cpu_fixed_ns,
		 "0: measured; N: the cpu engine's fixed cost is N ns");
IPCOFF_KNOB(sched_pin_cpu_byte_ps, pin_cpu_byte_ps, 0, 0, IPCOFF_BYTE_MAX,
	    true);
MODULE_PARM_DESC(sched_pin_cpu_byte_ps,
		 "0: measured; N: the cpu engine's cost per byte is N ps");
IPCOFF_KNOB(sched_pin_dma_fixed_ns, pin_dma_fixed_ns, 0, 0, IPCOFF_FIXED_MAX,
	    true);
MODULE_PARM_DESC(sched_pin_dma_fixed_ns,
		 "0: measured; N: the dma engine's fixed cost is N ns");
IPCOFF_KNOB(sched_pin_dma_byte_ps, pin_dma_byte_ps, 0, 0, IPCOFF_BYTE_MAX,
	    true);
MODULE_PARM_DESC(sched_pin_dma_byte_ps,
		 "0: measured; N: the dma engine's cost per byte is N ps");
IPCOFF_KNOB(sched_pin_dma_desc_ns, pin_dma_desc_ns, 0, 0, IPCOFF_FIXED_MAX,
	    true);
MODULE_PARM_DESC(sched_pin_dma_desc_ns,
		 "0: measured; N: the dma engine's cost per extra descriptor is N ns");

/* ------------------------------------------------------------------ */
/* The model.                                                          */

/* Measured costs, where ipcoff_measured says so (ipcoff_sched_lock). */
static bool ipcoff_measured[IPCOFF_ENGINE_COUNT];
static u64 ipcoff_meas_fixed_ns[IPCOFF_ENGINE_COUNT];
static u64 ipcoff_meas_byte_ps[IPCOFF_ENGINE_COUNT];
static u64 ipcoff_meas_desc_ns;

/* Pinned value, else measured, else the default. */
static u64 ipcoff_pick_cost(const struct ipcoff_knob *pin, u32 id,
			    u64 measured, u64 def, bool *learn)
{
	if (knob(pin)) {
		*learn = false;
		return knob(pin);
	}
	return ipcoff_measured[id] ? measured : def;
}

/* Caller holds ipcoff_sched_lock. */
static void ipcoff_sched_publish(void)
{
	struct ipcoff_sched_model *m, *old;
	const int c = IPCOFF_ENGINE_CPU, d = IPCOFF_ENGINE_DMA;

	m = kzalloc(sizeof(*m), GFP_KERNEL);
	if (!m)
		return;		/* the old model stays: still a model */
	m->learn[c] = true;
	m->learn[d] = true;
	m->fixed_ns[c] = ipcoff_pick_cost(&knob_pin_cpu_fixed_ns, c,
					  ipcoff_meas_fixed_ns[c],
					  ipcoff_default_fixed_ns[c],
					  &m->learn[c]);
	m->byte_ps[c] = ipcoff_pick_cost(&knob_pin_cpu_byte_ps, c,
					 ipcoff_meas_byte_ps[c],
					 ipcoff_default_byte_ps[c],
					 &m->learn[c]);
	m->fixed_ns[d] = ipcoff_pick_cost(&knob_pin_dma_fixed_ns, d,
					  ipcoff_meas_fixed_ns[d],
					  ipcoff_default_fixed_ns[d],
					  &m->learn[d]);
	m->byte_ps[d] = ipcoff_pick_cost(&knob_pin_dma_byte_ps, d,
					 ipcoff_meas_byte_ps[d],
					 ipcoff_default_byte_ps[d],
					 &m->learn[d]);
	m->desc_ns = ipcoff_pick_cost(&knob_pin_dma_desc_ns, d,
				      ipcoff_meas_desc_ns,
				      IPCOFF_DEFAULT_DESC_NS, &m->learn[d]);
	m->byte_q[c] = DIV_ROUND_CLOSEST_ULL(m->byte_ps[c] << IPCOFF_Q_SHIFT,
					     1000);
	m->byte_q[d] = DIV_ROUND_CLOSEST_ULL(m->byte_ps[d] << IPCOFF_Q_SHIFT,
					     1000);
	old = rcu_replace_pointer(ipcoff_model, m,
				  lockdep_is_held(&ipcoff_sched_lock));
	if (old)
		kfree_rcu(old, rcu);
}

/* Forgets what was learnt: the model changed under it. */
static void ipcoff_sched_unlearn(void)
{
	int i;

	for (i = 0; i <= IPCOFF_SPLIT; i++) {
		WRITE_ONCE(ipcoff_seng[i].load, IPCOFF_LOAD_ONE);
		WRITE_ONCE(ipcoff_seng[i].stamp, ktime_get_ns());
	}
}

static void ipcoff_sched_remodel(void)
{
	/* Parameters given at load are applied by ipcoff_sched_init(). */
	if (!READ_ONCE(ipcoff_sched_up))
		return;
	mutex_lock(&ipcoff_sched_lock);
	ipcoff_sched_publish();
	ipcoff_sched_unlearn();
	mutex_unlock(&ipcoff_sched_lock);
}

/* The load factor of engine @id now: its excess over 1 decays with age. */
static u64 ipcoff_sched_load(u32 id, u64 now)
{
	const struct ipcoff_sched_eng *s = &ipcoff_seng[id];
	u64 load = READ_ONCE(s->load), stamp = READ_ONCE(s->stamp);
	u64 half = knob(&knob_decay_ms) * NSEC_PER_MSEC;
	u64 n;

	/* Learnt within a half-life (a busy engine): nothing decayed yet. */
	if (now < stamp + half)
		return load;
	n = min_t(u64, div64_u64(now - stamp, half), 32);
	if (load >= IPCOFF_LOAD_ONE)
		return IPCOFF_LOAD_ONE + ((load - IPCOFF_LOAD_ONE) >> n);
	return IPCOFF_LOAD_ONE - ((IPCOFF_LOAD_ONE - load) >> n);
}

/* Offset within its page of the first byte of one end. */
static unsigned int ipcoff_end_pgoff(const struct ipcoff_xfer_end *end)
{
	const struct ipcoff_extent *x;

	if (end->ext_cnt) {
		x = &end->ext[0];
		return offset_in_page(x->region->first_off + x->offset);
	}
	return end->iov_cnt ? offset_in_page(end->iov[0].base) : 0;
}

/*
 * Ends at different offsets within their pages: each page of the copy
 * takes two dma descriptors instead of one.
 */
static bool ipcoff_misaligned(const struct ipcoff_request *req)
{
	return ipcoff_end_pgoff(&req->src) != ipcoff_end_pgoff(&req->dst);
}

/* Engine @id's cost for @len bytes, unloaded and unqueued, in ns. */
static u64 ipcoff_sched_cost(const struct ipcoff_sched_model *m, u32 id,
			     u64 len, bool misaligned)
{
	u64 t = m->fixed_ns[id] + mul_u64_u64_shr(len, m->byte_q[id],
						  IPCOFF_Q_SHIFT);

	if (id == IPCOFF_ENGINE_DMA && misaligned)
		t += (len >> PAGE_SHIFT) * m->desc_ns;
	return t;
}

/*
 * How long a request waits behind what is queued on engine @id. A
 * synchronous cpu copy runs at once on the caller's CPU; asynchronous
 * ones share the CPUs through the unbound workqueue.
 */
static u64 ipcoff_sched_wait(const struct ipcoff_sched_model *m, u32 id,
			     bool async)
{
	s64 q = atomic64_read(&ipcoff_seng[id].inflight);
	u64 bytes = clamp_t(s64, q, 0, IPCOFF_QUEUE_MAX);

	if (id == IPCOFF_ENGINE_CPU) {
		if (!async)
			return 0;
		bytes = div_u64(bytes, num_online_cpus());
	}
	return mul_u64_u64_shr(bytes, m->byte_q[id], IPCOFF_Q_SHIFT);
}

static u64 ipcoff_scale(u64 ns, u64 load)
{
	return (min(ns, IPCOFF_NS_MAX) * load) >> 10;
}

/* Is the dma engine there for @req, and allowed? */
static bool ipcoff_sched_dma_ok(const struct ipcoff_request *req)
{
	return knob(&knob_dma) && ipcoff_engine_dma.present() &&
	       !ipcoff_engine_dma.serves(req);
}

static struct ipcoff_engine *ipcoff_sched_count(enum ipcoff_pick pick,
						enum ipcoff_why why)
{
	this_cpu_inc(ipcoff_sched_stats.pick[pick]);
	this_cpu_inc(ipcoff_sched_stats.why[why]);
	switch (pick) {
	case IPCOFF_PICK_DMA:
		return &ipcoff_engine_dma;
	case IPCOFF_PICK_ELIDE:
		return &ipcoff_engine_elide;
	default:
		return &ipcoff_engine_cpu;
	}
}

/**
 * struct ipcoff_sched_est - what the model predicts for one request
 * @cpu: ns on the cpu engine, queue and load included
 * @dma: ns on the dma engine, queue and load included
 * @dma_idle: ns on the dma engine without its queue
 * @split: cpu bytes of the best split (0: none)
 * @hybrid: ns of that split: the later of its two parts, scaled by what
 *	splits were learnt to take
 * @hybrid_parts: the same from its parts alone, to learn from
 */
struct ipcoff_sched_est {
	u64 cpu;
	u64 dma;
	u64 dma_idle;
	u64 split;
	u64 hybrid;
	u64 hybrid_parts;
};

/*
 * The split of @len bytes where both parts are predicted to finish
 * together, in whole pages, cpu part first: with per-page costs pc and pd
 * and start costs c0 and d0, c0 + x * pc = d0 + (n - x) * pd.
 */
static void ipcoff_sched_split(const struct ipcoff_sched_model *m, u64 len,
			       bool mis, bool async, u64 lc, u64 ld, u64 ls,
			       struct ipcoff_sched_est *est)
{
	const u32 c = IPCOFF_ENGINE_CPU, d = IPCOFF_ENGINE_DMA;
	u64 n = len >> PAGE_SHIFT, x, c0, d0, pc, pd, tc, td;
	s64 num;

	est->split = 0;
	pc = ipcoff_scale(div_u64(m->byte_ps[c] * PAGE_SIZE, 1000), lc);
	pd = ipcoff_scale(div_u64(m->byte_ps[d] * PAGE_SIZE, 1000) +
			  (mis ? m->desc_ns : 0), ld);
	c0 = ipcoff_scale(m->fixed_ns[c] + ipcoff_sched_wait(m, c, async), lc);
	d0 = ipcoff_scale(m->fixed_ns[d] + ipcoff_sched_wait(m, d, async), ld);
	if (n < 2 || !pc || !pd)
		return;
	num = (s64)(d0 + n * pd) - (s64)c0;
	if (num <= 0)
		return;
	x = div64_u64(num, pc + pd);
	if (!x || x >= n)
		return;
	tc = c0 + x * pc;
	td = d0 + ipcoff_scale(ipcoff_sched_cost(m, d, len - (x << PAGE_SHIFT),
						 mis) - m->fixed_ns[d], ld);
	est->split = x << PAGE_SHIFT;
	est->hybrid_parts = max(tc, td);
	est->hybrid = ipcoff_scale(est->hybrid_parts, ls);
}

/* The model's predictions for @len bytes, under RCU. */
static void ipcoff_sched_predict(const struct ipcoff_sched_model *m, u64 len,
				 bool mis, bool async, bool split,
				 struct ipcoff_sched_est *est)
{
	const u32 c = IPCOFF_ENGINE_CPU, d = IPCOFF_ENGINE_DMA;
	/* A tick's precision is plenty for decay_ms, and reads no clock. */
	u64 now = ktime_get_coarse_ns();
	u64 lc = ipcoff_sched_load(c, now), ld = ipcoff_sched_load(d, now);
	u64 idle = ipcoff_sched_cost(m, d, len, mis);

	est->cpu = ipcoff_scale(ipcoff_sched_cost(m, c, len, mis) +
				ipcoff_sched_wait(m, c, async), lc);
	est->dma = ipcoff_scale(idle + ipcoff_sched_wait(m, d, async), ld);
	est->dma_idle = ipcoff_scale(idle, ld);
	est->split = 0;
	if (split)
		ipcoff_sched_split(m, len, mis, async, lc, ld,
				   ipcoff_sched_load(IPCOFF_SPLIT, now), est);
}

/* Whether the split beats the faster engine alone by hybrid_gain. */
static bool ipcoff_sched_split_wins(const struct ipcoff_sched_est *est)
{
	return est->split && est->hybrid * (100 + knob(&knob_hybrid_gain)) <
			     min(est->cpu, est->dma) * 100;
}

/**
 * ipcoff_sched_pick() - the engine for an IPCOFF_ENGINE_AUTO request
 * @req: the request, ends loaded (local iovecs not pinned yet)
 *
 * Elide wherever it serves: it moves no bytes. Else cpu, dma or a split
 * between them by the request's QoS hint (or the host's), the cost model,
 * the engines' load factors and queues. Counts the decision and its
 * reason. A split sets @req->split.
 *
 * Return: the engine; never an error (the cpu serves everything).
 */
struct ipcoff_engine *ipcoff_sched_pick(struct ipcoff_request *req)
{
	const struct ipcoff_sched_model *m;
	struct ipcoff_sched_est est;
	u64 thr, qos;
	bool split;

	if (knob(&knob_elide) && !ipcoff_engine_elide.serves(req))
		return ipcoff_sched_count(IPCOFF_PICK_ELIDE, IPCOFF_WHY_ELIDE);
	if (!ipcoff_sched_dma_ok(req))
		return ipcoff_sched_count(IPCOFF_PICK_CPU,
					  IPCOFF_WHY_UNAVAILABLE);
	thr = knob(&knob_dma_auto_min);
	if (thr)
		return ipcoff_sched_count(req->len >= thr ? IPCOFF_PICK_DMA :
					  IPCOFF_PICK_CPU,
					  IPCOFF_WHY_THRESHOLD);
	qos = knob(&knob_force_qos);
	if (!qos)
		qos = req->qos;
	if (!qos)
		qos = knob(&knob_default_qos);
	if (qos == IPCOFF_QOS_CPU)
		return ipcoff_sched_count(IPCOFF_PICK_DMA,
					  IPCOFF_WHY_HINT_CPU);

	/* Chunks complete one by one: a split would have to cut each. */
	split = knob(&knob_hybrid) && req->len >= knob(&knob_hybrid_min) &&
		!(req->flags & IPCOFF_COPY_CHUNKED);
	rcu_read_lock();
	m = rcu_dereference(ipcoff_model);
	ipcoff_sched_predict(m, req->len, ipcoff_misaligned(req), req->async,
			     split, &est);
	rcu_read_unlock();

	if (ipcoff_sched_split_wins(&est)) {
		req->split = est.split;
		/* The whole's own prediction, learnt from in split_done. */
		req->pred_ns = est.hybrid_parts;
		ipcoff_sched_count(IPCOFF_PICK_HYBRID, IPCOFF_WHY_HYBRID);
		return &ipcoff_engine_hybrid;
	}
	if (est.dma < est.cpu)
		return ipcoff_sched_count(IPCOFF_PICK_DMA, IPCOFF_WHY_COST);
	if (qos == IPCOFF_QOS_THROUGHPUT &&
	    est.dma * 100 <= est.cpu * (100 + knob(&knob_throughput_slack)))
		return ipcoff_sched_count(IPCOFF_PICK_DMA,
					  IPCOFF_WHY_HINT_THROUGHPUT);
	return ipcoff_sched_count(IPCOFF_PICK_CPU, est.dma_idle < est.cpu ?
				  IPCOFF_WHY_QUEUE : IPCOFF_WHY_COST);
}

/**
 * ipcoff_sched_allowed() - may requests use engine @id at all?
 * @id: IPCOFF_ENGINE_*
 *
 * Return: false for dma when an administrator disabled it.
 */
bool ipcoff_sched_allowed(u32 id)
{
	return id != IPCOFF_ENGINE_DMA || knob(&knob_dma);
}

/* The engines the scheduler follows: cpu and dma. */
static bool ipcoff_sched_follows(const struct ipcoff_engine *e)
{
	return e == &ipcoff_engine_cpu || e == &ipcoff_engine_dma;
}

/**
 * ipcoff_sched_start() - a request goes to its engine
 * @req: the request, at submission
 *
 * Its bytes join the engine's queue; the cost it is predicted (queue
 * included, load factor not) is kept to learn from at completion. Not
 * for an asynchronous cpu copy: its time includes a worker's wake-up,
 * which calibration (synchronous copies) does not measure, and would
 * read as a slow cpu (tens of times, under emulation).
 */
void ipcoff_sched_start(struct ipcoff_request *req)
{
	const struct ipcoff_sched_model *m;
	u32 id = req->engine->id;

	if (!ipcoff_sched_follows(req->engine))
		return;
	req->pred_ns = 0;
	if (!(req->sched & IPCOFF_SCHED_CALIB) &&
	    !(id == IPCOFF_ENGINE_CPU && req->async)) {
		rcu_read_lock();
		m = rcu_dereference(ipcoff_model);
		if (m->learn[id])
			req->pred_ns = ipcoff_sched_cost(m, id, req->len,
							 ipcoff_misaligned(req)) +
				       ipcoff_sched_wait(m, id, req->async);
		rcu_read_unlock();
	}
	atomic64_add(req->len, &ipcoff_seng[id].inflight);
}

/*
 * Moves factor @id towards what @req took over what it was predicted to
 * take.
 */
static void ipcoff_sched_learn(u32 id, const struct ipcoff_request *req)
{
	struct ipcoff_sched_eng *s = &ipcoff_seng[id];
	u64 now, obs, old;
	s64 sample;

	if (!knob(&knob_learn))
		return;
	now = ktime_get_ns();
	obs = now - ktime_to_ns(req->start);
	old = ipcoff_sched_load(id, now);
	/*
	 * One sample moves the load by at most IPCOFF_LOAD_STEP either
	 * way: a lone outlier (a descheduled provider thread) does not
	 * flip decisions, a lasting change does within a few copies.
	 */
	sample = clamp_t(u64, div64_u64(obs * IPCOFF_LOAD_ONE, req->pred_ns),
			 max_t(u64, IPCOFF_LOAD_MIN, old / IPCOFF_LOAD_STEP),
			 min_t(u64, IPCOFF_LOAD_MAX, old * IPCOFF_LOAD_STEP));
	sample -= (s64)old;
	/* An arithmetic shift: rounds towards -inf, never overshoots. */
	WRITE_ONCE(s->load, old + (sample >> knob(&knob_ewma_shift)));
	WRITE_ONCE(s->stamp, now);
}

/**
 * ipcoff_sched_done() - a request's engine completed it
 * @req: the request, result and copied set; any context
 *
 * Its bytes leave the queue; a successful copy that its engine ran
 * itself moves the engine's load factor towards observed / predicted.
 */
void ipcoff_sched_done(struct ipcoff_request *req)
{
	struct ipcoff_sched_eng *s;
	u32 id = req->engine->id;

	if (!ipcoff_sched_follows(req->engine))
		return;
	s = &ipcoff_seng[id];
	atomic64_sub(req->len, &s->inflight);
	if (!req->pred_ns || req->result || req->ran != id)
		return;
	ipcoff_sched_learn(id, req);
}

/**
 * ipcoff_sched_part_done() - a request ended, counted in its engine's stats
 * @req: the request; any context
 *
 * The later of a split's two parts completes the whole copy: only now,
 * so that a waiter woken by it finds both parts in the engines' counters.
 */
void ipcoff_sched_part_done(struct ipcoff_request *req)
{
	if (req->sched & IPCOFF_SCHED_PART &&
	    atomic_dec_and_test(&req->parent->parts))
		ipcoff_split_done(req->parent);
}

/**
 * ipcoff_sched_no_sample() - a request's time is not its engine's speed
 * @req: the request, submitted and not completed, from its engine's
 *	submit
 *
 * Its engine paid a one-off cost for it first (a region's first DMA
 * mapping for a device): its completion is not learnt from, as
 * calibration does not time its first copy either.
 */
void ipcoff_sched_no_sample(struct ipcoff_request *req)
{
	req->pred_ns = 0;
	/* Nor is the split's time what splits take. */
	if (req->sched & IPCOFF_SCHED_PART)
		req->parent->pred_ns = 0;
}

/* ------------------------------------------------------------------ */
/* The split: one request, a cpu part and a dma part, one completion.  */

/* A part: a view of @whole's ends, run on its own engine. */
static struct ipcoff_request *ipcoff_part_alloc(struct ipcoff_request *whole,
						u64 skip, u64 len,
						struct ipcoff_engine *e)
{
	struct ipcoff_request *p = ipcoff_request_alloc();

	if (!p)
		return NULL;
	p->src = whole->src;
	p->dst = whole->dst;
	p->skip = whole->skip + skip;
	p->len = len;
	/* The whole writes back once, when both parts are done. */
	p->flags = whole->flags & ~(IPCOFF_COPY_CACHE_CLWB |
				    IPCOFF_COPY_CACHE_FLUSH);
	p->engine = e;
	p->async = whole->async;
	p->sched = IPCOFF_SCHED_PART;
	p->user_data = whole->user_data;
	ipcoff_request_get(whole);
	p->parent = whole;
	return p;
}

/*
 * Both parts ended: the whole copy completes, once, with the first error
 * and the bytes that arrived from the start (the cpu part is the front).
 * It ran on dma unless the dma part went to the cpu as a whole.
 */
static void ipcoff_split_done(struct ipcoff_request *whole)
{
	struct ipcoff_request *c, *d;
	unsigned long flags;
	u64 copied;
	int result;

	spin_lock_irqsave(&whole->lock, flags);
	c = whole->part[0];
	d = whole->part[1];
	whole->part[0] = NULL;
	whole->part[1] = NULL;
	spin_unlock_irqrestore(&whole->lock, flags);

	result = c->result ? c->result : d->result;
	copied = c->result ? c->copied : c->copied + d->copied;
	whole->ran = d->ran;
	whole->descriptors = c->descriptors + d->descriptors;
	/* Both parts ran where they were sent: what the split took. */
	if (whole->pred_ns && !result && d->ran == IPCOFF_ENGINE_DMA)
		ipcoff_sched_learn(IPCOFF_SPLIT, whole);
	/* Each part's engine still holds its own reference. */
	ipcoff_request_put(c);
	ipcoff_request_put(d);
	ipcoff_request_complete(whole, result, copied);
}

static bool ipcoff_hybrid_present(void)
{
	return true;
}

/* Only the scheduler gives it requests, never a caller. */
static int ipcoff_hybrid_serves(const struct ipcoff_request *req)
{
	return -EOPNOTSUPP;
}

static void ipcoff_hybrid_submit(struct ipcoff_request *req)
{
	struct ipcoff_request *c, *d;
	unsigned long flags;
	u64 copied = 0;
	int ret;

	c = ipcoff_part_alloc(req, 0, req->split, &ipcoff_engine_cpu);
	d = ipcoff_part_alloc(req, req->split, req->len - req->split,
			      &ipcoff_engine_dma);
	if (!c || !d) {
		if (c)
			ipcoff_request_put(c);
		if (d)
			ipcoff_request_put(d);
		/* No memory for the parts: the cpu copies it all. */
		req->ran = IPCOFF_ENGINE_CPU;
		ret = ipcoff_cpu_copy(req, req->skip, req->len, &copied,
				      &req->descriptors);
		ipcoff_request_complete(req, ret, copied);
		return;
	}
	atomic_set(&req->parts, 2);
	spin_lock_irqsave(&req->lock, flags);
	req->part[0] = c;
	req->part[1] = d;
	spin_unlock_irqrestore(&req->lock, flags);
	/* The dma first: it works while the cpu (maybe this one) copies. */
	ipcoff_request_submit(d);
	ipcoff_request_submit(c);
}

static unsigned int ipcoff_hybrid_timeout_ms(void)
{
	return ipcoff_engine_dma.timeout_ms();
}

/* The waiter gave up: the dma part is the one that is late. */
static void ipcoff_hybrid_timed_out(struct ipcoff_request *req)
{
	struct ipcoff_request *d;
	unsigned long flags;

	spin_lock_irqsave(&req->lock, flags);
	d = req->part[1];
	if (d)
		ipcoff_request_get(d);
	spin_unlock_irqrestore(&req->lock, flags);
	if (!d)
		return;
	atomic64_inc(&ipcoff_engine_dma.stats.timeouts);
	ipcoff_engine_dma.timed_out(d);
	ipcoff_request_put(d);
}

/*
 * Not in the engine table: it reports the dma engine (which runs part
 * of every split), its parts count on the cpu and dma engines.
 */
struct ipcoff_engine ipcoff_engine_hybrid = {
	.id = IPCOFF_ENGINE_DMA,
	.name = "hybrid",
	.present = ipcoff_hybrid_present,
	.needs_pages = true,
	.serves = ipcoff_hybrid_serves,
	.submit = ipcoff_hybrid_submit,
	.timeout_ms = ipcoff_hybrid_timeout_ms,
	.timed_out = ipcoff_hybrid_timed_out,
};

/* ------------------------------------------------------------------ */
/* Calibration: each engine's costs measured on copies between scratch */
/* buffers, in process context, off the submission path.               */

/* Copies per probe at most; the fastest counts. */
#define IPCOFF_CALIB_REPS	8
/* The large probe's pages at most, and at least. */
#define IPCOFF_CALIB_PAGES	64
#define IPCOFF_CALIB_MIN_PAGES	8
/* Destination offset of the misaligned probe (dma descriptors). */
#define IPCOFF_CALIB_SKEW	64

static atomic_t ipcoff_calibrations = ATOMIC_INIT(0);
static int ipcoff_calib_error;

static void ipcoff_calib_end(struct ipcoff_xfer_end *end,
			     struct ipcoff_region *r, u64 off, u64 len)
{
	kref_get(&r->ref);
	ipcoff_region_busy(r);
	end->one.region = r;
	end->one.offset = off;
	end->one.len = len;
	end->ext = &end->one;
	end->ext_cnt = 1;
}

/* One copy on @e, timed from submission to its waiter's wake-up. */
static s64 ipcoff_calib_copy(struct ipcoff_engine *e, struct ipcoff_region *s,
			     struct ipcoff_region *d, u64 doff, u64 len)
{
	struct ipcoff_request *req = ipcoff_request_alloc();
	u64 t0;
	int ret;

	if (!req)
		return -ENOMEM;
	req->len = len;
	req->forced = true;
	req->engine = e;
	req->sched = IPCOFF_SCHED_CALIB;
	ipcoff_calib_end(&req->src, s, 0, len);
	ipcoff_calib_end(&req->dst, d, doff, len);
	t0 = ktime_get_ns();
	ipcoff_request_submit(req);
	ret = ipcoff_request_wait(req);
	t0 = ktime_get_ns() - t0;
	if (!ret && req->ran != e->id)
		ret = -EAGAIN;	/* the engine handed it to the cpu */
	ipcoff_request_put(req);
	return ret ? ret : (s64)t0;
}

/*
 * The fastest of a few copies: three at least and more until @until, or
 * one only when a copy takes more than @slow (a very slow engine). A
 * clock that ticks coarsely (jiffies) reads some copies as 0: then their
 * mean, which the random phase of the ticks keeps unbiased.
 */
static s64 ipcoff_calib_probe(struct ipcoff_engine *e, struct ipcoff_region *s,
			      struct ipcoff_region *d, u64 doff, u64 len,
			      u64 until, u64 slow)
{
	s64 best = S64_MAX, sum = 0, t;
	int k;

	for (k = 0; k < IPCOFF_CALIB_REPS; k++) {
		t = ipcoff_calib_copy(e, s, d, doff, len);
		if (t < 0)
			return t;
		best = min(best, t);
		sum += t;
		if ((k >= 2 || t > slow) && ktime_get_ns() >= until) {
			k++;
			break;
		}
		cond_resched();
	}
	return best ? best : div_s64(sum, k);
}

/**
 * struct ipcoff_calib - what one calibration measured
 * @fixed_ns: the fixed cost
 * @byte_ps: the cost per byte
 * @desc_ns: dma: the cost of a descriptor beyond one per page
 */
struct ipcoff_calib {
	u64 fixed_ns;
	u64 byte_ps;
	u64 desc_ns;
};

/*
 * A page, then a larger copy (as large as the budget allows, from the
 * page's time), then for dma the larger copy misaligned: two points give
 * the fixed and per-byte costs, the third the cost of the descriptors
 * misalignment adds. Each probe has its share of the budget.
 */
static int ipcoff_calib_engine(struct ipcoff_engine *e,
			       struct ipcoff_region *s,
			       struct ipcoff_region *d, struct ipcoff_calib *out)
{
	u64 budget = knob(&knob_calib_ms) * NSEC_PER_MSEC;
	u64 start, end, pages, small = PAGE_SIZE, large, slow = budget / 8;
	bool dma = e->id == IPCOFF_ENGINE_DMA;
	s64 ts, tl, tm = 0;

	/* Mappings and caches: not what a copy costs. */
	ts = ipcoff_calib_copy(e, s, d, 0, small);
	if (ts < 0)
		return ts;
	start = ktime_get_ns();
	end = start + budget;
	ts = ipcoff_calib_probe(e, s, d, 0, small, start + budget / 4, slow);
	if (ts < 0)
		return ts;
	pages = div64_u64(end - min(end, ktime_get_ns()),
			  (u64)ts * (dma ? 4 : 2) + 1);
	pages = clamp_t(u64, pages, IPCOFF_CALIB_MIN_PAGES, IPCOFF_CALIB_PAGES);
	large = pages << PAGE_SHIFT;
	tl = ipcoff_calib_probe(e, s, d, 0, large,
				dma ? (ktime_get_ns() + end) / 2 : end, slow);
	if (tl < 0)
		return tl;
	if (dma) {
		tm = ipcoff_calib_probe(e, s, d, IPCOFF_CALIB_SKEW, large, end,
					slow);
		if (tm < 0)
			return tm;
	}
	out->byte_ps = clamp_t(s64, div64_s64((tl - ts) * 1000, large - small),
			       1, IPCOFF_BYTE_MAX);
	out->fixed_ns = clamp_t(s64, ts - (s64)div_u64(small * out->byte_ps,
						       1000),
				0, IPCOFF_FIXED_MAX);
	out->desc_ns = dma ? clamp_t(s64, div64_s64(tm - tl, pages), 0,
				     IPCOFF_FIXED_MAX) : 0;
	return 0;
}

/*
 * Measures the cpu engine and/or the dma engine (when it has channels
 * and is allowed) and publishes the new model. Caller holds
 * ipcoff_sched_lock.
 */
static int ipcoff_calibrate(bool cpu, bool dma)
{
	struct ipcoff_region *s, *d;
	struct ipcoff_calib c;
	int ret = 0;

	dma = dma && knob(&knob_dma) && ipcoff_engine_dma.present();
	if (!cpu && !dma)
		return 0;
	s = ipcoff_region_scratch(IPCOFF_CALIB_PAGES << PAGE_SHIFT);
	d = ipcoff_region_scratch((IPCOFF_CALIB_PAGES + 1) << PAGE_SHIFT);
	if (!s || !d) {
		ret = -ENOMEM;
		goto out;
	}
	if (cpu) {
		ret = ipcoff_calib_engine(&ipcoff_engine_cpu, s, d, &c);
		if (ret)
			goto out;
		ipcoff_meas_fixed_ns[IPCOFF_ENGINE_CPU] = c.fixed_ns;
		ipcoff_meas_byte_ps[IPCOFF_ENGINE_CPU] = c.byte_ps;
		ipcoff_measured[IPCOFF_ENGINE_CPU] = true;
	}
	if (dma) {
		ret = ipcoff_calib_engine(&ipcoff_engine_dma, s, d, &c);
		if (ret)
			goto out;
		ipcoff_meas_fixed_ns[IPCOFF_ENGINE_DMA] = c.fixed_ns;
		ipcoff_meas_byte_ps[IPCOFF_ENGINE_DMA] = c.byte_ps;
		ipcoff_meas_desc_ns = c.desc_ns;
		ipcoff_measured[IPCOFF_ENGINE_DMA] = true;
	}
out:
	if (s)
		ipcoff_region_put(s);
	if (d)
		ipcoff_region_put(d);
	/* Gone before this returns: pinned_pages shows no trace of it. */
	ipcoff_region_drain();
	ipcoff_sched_publish();
	ipcoff_sched_unlearn();
	WRITE_ONCE(ipcoff_calib_error, -ret);
	atomic_inc(&ipcoff_calibrations);
	if (ret)
		pr_warn("calibration failed (%d): the model keeps its costs\n",
			ret);
	return ret;
}

/* Calibrates what @cpu and @dma ask for, when calibration is on. */
static void ipcoff_sched_calibrate(bool cpu, bool dma)
{
	if (!knob(&knob_calibrate))
		return;
	mutex_lock(&ipcoff_sched_lock);
	ipcoff_calibrate(cpu, dma);
	mutex_unlock(&ipcoff_sched_lock);
}

static ssize_t recalibrate_store(struct device *dev,
				 struct device_attribute *attr,
				 const char *buf, size_t count)
{
	int ret;

	if (!capable(CAP_SYS_ADMIN))
		return -EPERM;
	if (!sysfs_streq(buf, "1"))
		return -EINVAL;
	ret = mutex_lock_interruptible(&ipcoff_sched_lock);
	if (ret)
		return ret;
	ret = ipcoff_calibrate(true, true);
	mutex_unlock(&ipcoff_sched_lock);
	return ret ? ret : count;
}
static DEVICE_ATTR_WO(recalibrate);

/* ------------------------------------------------------------------ */
/* sysfs: the model and the decisions, in /sys/class/misc/ipcoff/sched/ */

/* Bytes from which dma beats the cpu (idle, aligned, latency); 0: never. */
static u64 ipcoff_sched_crossover(void)
{
	const struct ipcoff_sched_model *m;
	const u32 c = IPCOFF_ENGINE_CPU, d = IPCOFF_ENGINE_DMA;
	u64 now = ktime_get_ns(), lc, ld, fc, bc, fd, bd;

	if (knob(&knob_dma_auto_min))
		return knob(&knob_dma_auto_min);
	lc = ipcoff_sched_load(c, now);
	ld = ipcoff_sched_load(d, now);
	rcu_read_lock();
	m = rcu_dereference(ipcoff_model);
	fc = m->fixed_ns[c] * lc;
	bc = m->byte_ps[c] * lc;
	fd = m->fixed_ns[d] * ld;
	bd = m->byte_ps[d] * ld;
	rcu_read_unlock();
	if (bd >= bc)
		return 0;
	if (fd < fc)
		return 1;
	return div64_u64((fd - fc) * 1000, bc - bd) + 1;
}

/**
 * struct ipcoff_sched_attr - a read-only file of sched/
 * @attr: the attribute
 * @show: its value
 * @arg: which one (engine, counter)
 */
struct ipcoff_sched_attr {
	struct device_attribute attr;
	u64 (*show)(int arg);
	int arg;
};

static ssize_t ipcoff_sched_attr_show(struct device *dev,
				      struct device_attribute *attr, char *buf)
{
	struct ipcoff_sched_attr *a =
		container_of(attr, struct ipcoff_sched_attr, attr);

	return sysfs_emit(buf, "%llu\n", a->show(a->arg));
}

/* A decision counter, @arg its offset in struct ipcoff_sched_stat. */
static u64 ipcoff_show_count(int arg)
{
	u64 sum = 0;
	int cpu;

	for_each_possible_cpu(cpu)
		sum += *(u64 *)((char *)per_cpu_ptr(&ipcoff_sched_stats, cpu) +
				arg);
	return sum;
}

/* A cost of the model, @arg its offset in struct ipcoff_sched_model. */
static u64 ipcoff_show_model(int arg)
{
	u64 v;

	rcu_read_lock();
	v = *(const u64 *)((const char *)rcu_dereference(ipcoff_model) + arg);
	rcu_read_unlock();
	return v;
}

/* In thousandths: 1000 is the engine as modelled. */
static u64 ipcoff_show_load(int arg)
{
	return div_u64(ipcoff_sched_load(arg, ktime_get_ns()) * 1000,
		       IPCOFF_LOAD_ONE);
}

static u64 ipcoff_show_inflight(int arg)
{
	return max_t(s64, atomic64_read(&ipcoff_seng[arg].inflight), 0);
}

static u64 ipcoff_show_crossover(int arg)
{
	return ipcoff_sched_crossover();
}

/* Whether an idle, aligned copy of @len is split. */
static bool ipcoff_sched_splits(u64 len)
{
	const struct ipcoff_sched_model *m;
	struct ipcoff_sched_est est;

	rcu_read_lock();
	m = rcu_dereference(ipcoff_model);
	ipcoff_sched_predict(m, len, false, false, true, &est);
	rcu_read_unlock();
	return ipcoff_sched_split_wins(&est);
}

/*
 * Bytes from which a copy is split (idle, aligned, latency), to the
 * page; 0 when none up to the largest region is.
 */
static u64 ipcoff_show_crossover_hybrid(int arg)
{
	u64 lo = max_t(u64, knob(&knob_hybrid_min), 2 * PAGE_SIZE) >> PAGE_SHIFT;
	u64 hi = IPCOFF_MAX_REGION_LEN >> PAGE_SHIFT, mid;

	if (!knob(&knob_hybrid) || knob(&knob_dma_auto_min) ||
	    !ipcoff_sched_splits(hi << PAGE_SHIFT))
		return 0;
	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (ipcoff_sched_splits(mid << PAGE_SHIFT))
			hi = mid;
		else
			lo = mid + 1;
	}
	return max(lo << PAGE_SHIFT, knob(&knob_hybrid_min));
}

static u64 ipcoff_show_calibrations(int arg)
{
	return atomic_read(&ipcoff_calibrations);
}

/* The errno of the last calibration, positive; 0 when it worked. */
static u64 ipcoff_show_calib_error(int arg)
{
	return READ_ONCE(ipcoff_calib_error);
}

#define IPCOFF_SCHED_FILE(_name, _show, _arg) {			\
	.attr = __ATTR(_name, 0444, ipcoff_sched_attr_show, NULL),	\
	.show = _show, .arg = _arg,					\
}

#define STAT(f)		offsetof(struct ipcoff_sched_stat, f)
#define MODEL(f)	offsetof(struct ipcoff_sched_model, f)

/* The read-only files: name, what reads it, which value. */
static struct ipcoff_sched_attr ipcoff_sched_files[] = {
	IPCOFF_SCHED_FILE(decisions_cpu, ipcoff_show_count,
			  STAT(pick[IPCOFF_PICK_CPU])),
	IPCOFF_SCHED_FILE(decisions_dma, ipcoff_show_count,
			  STAT(pick[IPCOFF_PICK_DMA])),
	IPCOFF_SCHED_FILE(decisions_elide, ipcoff_show_count,
			  STAT(pick[IPCOFF_PICK_ELIDE])),
	IPCOFF_SCHED_FILE(decisions_hybrid, ipcoff_show_count,
			  STAT(pick[IPCOFF_PICK_HYBRID])),
	IPCOFF_SCHED_FILE(reason_elide, ipcoff_show_count,
			  STAT(why[IPCOFF_WHY_ELIDE])),
	IPCOFF_SCHED_FILE(reason_unavailable, ipcoff_show_count,
			  STAT(why[IPCOFF_WHY_UNAVAILABLE])),
	IPCOFF_SCHED_FILE(reason_threshold, ipcoff_show_count,
			  STAT(why[IPCOFF_WHY_THRESHOLD])),
	IPCOFF_SCHED_FILE(reason_cost, ipcoff_show_count,
			  STAT(why[IPCOFF_WHY_COST])),
	IPCOFF_SCHED_FILE(reason_queue, ipcoff_show_count,
			  STAT(why[IPCOFF_WHY_QUEUE])),
	IPCOFF_SCHED_FILE(reason_hint_cpu, ipcoff_show_count,
			  STAT(why[IPCOFF_WHY_HINT_CPU])),
	IPCOFF_SCHED_FILE(reason_hint_throughput, ipcoff_show_count,
			  STAT(why[IPCOFF_WHY_HINT_THROUGHPUT])),
	IPCOFF_SCHED_FILE(reason_hybrid, ipcoff_show_count,
			  STAT(why[IPCOFF_WHY_HYBRID])),
	IPCOFF_SCHED_FILE(cpu_fixed_ns, ipcoff_show_model,
			  MODEL(fixed_ns[IPCOFF_ENGINE_CPU])),
	IPCOFF_SCHED_FILE(cpu_byte_ps, ipcoff_show_model,
			  MODEL(byte_ps[IPCOFF_ENGINE_CPU])),
	IPCOFF_SCHED_FILE(cpu_load, ipcoff_show_load, IPCOFF_ENGINE_CPU),
	IPCOFF_SCHED_FILE(cpu_queued, ipcoff_show_inflight, IPCOFF_ENGINE_CPU),
	IPCOFF_SCHED_FILE(dma_fixed_ns, ipcoff_show_model,
			  MODEL(fixed_ns[IPCOFF_ENGINE_DMA])),
	IPCOFF_SCHED_FILE(dma_byte_ps, ipcoff_show_model,
			  MODEL(byte_ps[IPCOFF_ENGINE_DMA])),
	IPCOFF_SCHED_FILE(dma_desc_ns, ipcoff_show_model, MODEL(desc_ns)),
	IPCOFF_SCHED_FILE(dma_load, ipcoff_show_load, IPCOFF_ENGINE_DMA),
	IPCOFF_SCHED_FILE(dma_queued, ipcoff_show_inflight, IPCOFF_ENGINE_DMA),
	IPCOFF_SCHED_FILE(hybrid_load, ipcoff_show_load, IPCOFF_SPLIT),
	IPCOFF_SCHED_FILE(crossover_dma, ipcoff_show_crossover, 0),
	IPCOFF_SCHED_FILE(crossover_hybrid, ipcoff_show_crossover_hybrid, 0),
	IPCOFF_SCHED_FILE(calibrations, ipcoff_show_calibrations, 0),
	IPCOFF_SCHED_FILE(calib_error, ipcoff_show_calib_error, 0),
};

/* The knobs' files (read-write) and recalibrate, then the table's. */
static struct attribute *ipcoff_sched_knob_attrs[] = {
	&knob_dma_auto_min.attr.attr,
	&knob_dma.attr.attr,
	&knob_elide.attr.attr,
	&knob_force_qos.attr.attr,
	&knob_default_qos.attr.attr,
	&knob_throughput_slack.attr.attr,
	&knob_hybrid.attr.attr,
	&knob_hybrid_min.attr.attr,
	&knob_hybrid_gain.attr.attr,
	&knob_calibrate.attr.attr,
	&knob_calib_ms.attr.attr,
	&dev_attr_recalibrate.attr,
	&knob_learn.attr.attr,
	&knob_ewma_shift.attr.attr,
	&knob_decay_ms.attr.attr,
	&knob_pin_cpu_fixed_ns.attr.attr,
	&knob_pin_cpu_byte_ps.attr.attr,
	&knob_pin_dma_fixed_ns.attr.attr,
	&knob_pin_dma_byte_ps.attr.attr,
	&knob_pin_dma_desc_ns.attr.attr,
};

/* Filled by ipcoff_sched_init(), before the device registers the group. */
static struct attribute *ipcoff_sched_attrs[ARRAY_SIZE(ipcoff_sched_knob_attrs) +
					   ARRAY_SIZE(ipcoff_sched_files) + 1];

static void ipcoff_sched_attrs_fill(void)
{
	const size_t nk = ARRAY_SIZE(ipcoff_sched_knob_attrs);
	size_t i;

	for (i = 0; i < nk; i++)
		ipcoff_sched_attrs[i] = ipcoff_sched_knob_attrs[i];
	for (i = 0; i < ARRAY_SIZE(ipcoff_sched_files); i++)
		ipcoff_sched_attrs[nk + i] = &ipcoff_sched_files[i].attr.attr;
}

/* Knobs, model and decisions in /sys/class/misc/ipcoff/sched/. */
const struct attribute_group ipcoff_sched_group = {
	.name = "sched",
	.attrs = ipcoff_sched_attrs,
};

/**
 * ipcoff_sched_engines_changed() - dma channels appeared: measure them
 *
 * Process context; returns once the model has their costs.
 */
void ipcoff_sched_engines_changed(void)
{
	ipcoff_sched_calibrate(false, true);
}

/**
 * ipcoff_sched_start_engines() - the module is up: measure its engines
 */
void ipcoff_sched_start_engines(void)
{
	ipcoff_sched_calibrate(true, true);
}

/**
 * ipcoff_sched_init() - the first model, from the parameters given
 *
 * Return: 0 or -ENOMEM.
 */
int ipcoff_sched_init(void)
{
	int i;

	for (i = 0; i < IPCOFF_ENGINE_COUNT; i++)
		atomic64_set(&ipcoff_seng[i].inflight, 0);
	ipcoff_sched_attrs_fill();
	ipcoff_sched_unlearn();
	mutex_lock(&ipcoff_sched_lock);
	ipcoff_sched_publish();
	mutex_unlock(&ipcoff_sched_lock);
	if (!rcu_access_pointer(ipcoff_model))
		return -ENOMEM;
	WRITE_ONCE(ipcoff_sched_up, true);
	return 0;
}

/**
 * ipcoff_sched_exit() - free the model; no request is left
 */
void ipcoff_sched_exit(void)
{
	struct ipcoff_sched_model *m;

	WRITE_ONCE(ipcoff_sched_up, false);
	mutex_lock(&ipcoff_sched_lock);
	m = rcu_replace_pointer(ipcoff_model, NULL,
				lockdep_is_held(&ipcoff_sched_lock));
	mutex_unlock(&ipcoff_sched_lock);
	synchronize_rcu();
	kfree(m);
}
