// SPDX-License-Identifier: GPL-2.0
/*
 * ipcoff_dmaprov: a software dmaengine provider, for testing dmaengine
 * clients (ipcoff's DMA engine, the kernel's dmatest) where no DMA hardware
 * exists, such as a QEMU guest.
 *
 * One platform device (or several: devices=), each with one dma_device with
 * DMA_MEMCPY | DMA_PRIVATE and a few channels, and each on a NUMA node
 * (device i on the i-th online node, wrapping; nodes= places them
 * explicitly).  Each channel runs its descriptors on its own kernel thread
 * ("dmaprov/N", or "dmaprov/D.N" with several devices), copying between the
 * bus addresses it was given as a device would, after translating them back
 * to physical memory.
 *
 * Two personalities, chosen at load time, mimic the quirks clients meet on
 * real hardware:
 *
 * ioat: in-order completion; the prep call returns with the channel's prep
 *	 lock held (BHs disabled) and tx_submit drops it; tx_status reports
 *	 real progress; callbacks run with BHs disabled; descriptors without
 *	 DMA_PREP_INTERRUPT complete all the same.
 * idxd: out-of-order completion (each pass of the thread completes its
 *	 batch in reverse); tx_status always says DMA_OUT_OF_ORDER; a
 *	 descriptor without DMA_PREP_INTERRUPT is executed but never completed
 *	 (it stays allocated until terminate_all or the channel is freed);
 *	 tx_submit queues directly and issue_pending does nothing; callbacks
 *	 run in process context.
 *
 * Latency, a bandwidth cap, the DMA mask, the maximum transfer size, a
 * one-shot failure and a stall can be changed at run time through the
 * module's parameters; see the README next to this file.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/atomic.h>
#include <linux/delay.h>
#include <linux/dma-direct.h>
#include <linux/dma-mapping.h>
#include <linux/dmaengine.h>
#include <linux/kthread.h>
#include <linux/ktime.h>
#include <linux/list.h>
#include <linux/math64.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/mutex.h>
#include <linux/nodemask.h>
#include <linux/platform_device.h>
#include <linux/rcupdate.h>
#include <linux/sched.h>
#include <linux/sizes.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/string.h>
#include <linux/wait.h>

#define DMAPROV_NAME		"ipcoff-dmaprov"
#define DMAPROV_MAX_CHANNELS	16
#define DMAPROV_MAX_DEVICES	8
#define DMAPROV_MAX_RING	65536

enum dmaprov_personality {
	DMAPROV_IOAT,
	DMAPROV_IDXD,
};

enum dmaprov_fail_mode {
	DMAPROV_FAIL_WRITE,
	DMAPROV_FAIL_READ,
};

/**
 * struct dmaprov_desc - one memcpy descriptor
 * @txd: what the client sees
 * @node: on one of the channel's lists, or on the thread's batch
 * @dst: destination bus address
 * @src: source bus address
 * @len: bytes to copy
 * @result: outcome, set when the descriptor is executed or aborted
 */
struct dmaprov_desc {
	struct dma_async_tx_descriptor txd;
	struct list_head node;
	dma_addr_t dst;
	dma_addr_t src;
	size_t len;
	enum dmaengine_tx_result result;
};

struct dmaprov_dev;

/* Descriptor counters, kept per device and module-wide since load. */
enum dmaprov_stat {
	DMAPROV_EXECUTED,	/* executed, failed ones included */
	DMAPROV_FAILED,		/* failed: fail_nth, unreachable address */
	DMAPROV_NEVER_COMPLETED, /* idxd: without DMA_PREP_INTERRUPT */
	DMAPROV_BYTES,		/* bytes copied by successful descriptors */
	DMAPROV_NR_STATS,
};

/**
 * struct dmaprov_chan - one channel and its thread
 * @chan: the dmaengine channel
 * @pd: the device it belongs to
 * @thread: executes this channel's descriptors
 * @prep_lock: ioat personality: held from prep to tx_submit
 * @lock: protects the lists, the pool, the cookies and @busy
 * @free: descriptors the client may prep (the pool)
 * @submitted: ioat: submitted, waiting for issue_pending
 * @issued: waiting for the thread
 * @active: the batch the thread is working through
 * @aborted: terminated before execution, completion still due
 * @leaked: idxd: executed without DMA_PREP_INTERRUPT, never completed
 * @descs: the pool's storage, allocated with the channel's resources
 * @busy: the thread holds descriptors that are on none of the lists
 * @work_wq: the thread waits here for work
 * @idle_wq: synchronize and free_chan_resources wait here for the thread
 */
struct dmaprov_chan {
	struct dma_chan chan;
	struct dmaprov_dev *pd;
	struct task_struct *thread;
	spinlock_t prep_lock;	/* ioat: from prep to tx_submit */
	spinlock_t lock;	/* lists, pool, cookies, busy */
	struct list_head free;
	struct list_head submitted;
	struct list_head issued;
	struct list_head active;
	struct list_head aborted;
	struct list_head leaked;
	struct dmaprov_desc *descs;
	bool busy;
	wait_queue_head_t work_wq;
	wait_queue_head_t idle_wq;
};

/**
 * struct dmaprov_dev - one device of the provider
 * @dma: the dmaengine device
 * @dev: the platform device's struct device, which clients map against;
 *	 its NUMA node is the device's
 * @link: entry in dmaprov_devs
 * @personality: DMAPROV_IOAT or DMAPROV_IDXD, fixed at probe
 * @nr_chans: number of entries in @chans
 * @chans: the channels
 * @stats: this device's share of the module-wide counters, by
 *	   enum dmaprov_stat
 */
struct dmaprov_dev {
	struct dma_device dma;
	struct device *dev;
	struct list_head link;
	enum dmaprov_personality personality;
	unsigned int nr_chans;
	struct dmaprov_chan *chans;
	atomic64_t stats[DMAPROV_NR_STATS];
};

/* The bound devices, for parameter writes that act on them. */
static DEFINE_MUTEX(dmaprov_lock);
static LIST_HEAD(dmaprov_devs);

static struct platform_device *dmaprov_pdevs[DMAPROV_MAX_DEVICES];
static int dmaprov_probe_status = -ENODEV;

/* ------------------------------------------------------------------ */
/* Parameters                                                           */
/* ------------------------------------------------------------------ */

static unsigned int personality = DMAPROV_IOAT;
static unsigned int channels = 2;
static unsigned int devices = 1;
static int nodes[DMAPROV_MAX_DEVICES];
static unsigned int nr_nodes;
static unsigned int ring_size = 256;
static unsigned int latency_us;
static unsigned int bandwidth_mbps;
static unsigned int max_xfer = SZ_1M;
static unsigned int dma_bits = 64;
static atomic_t fail_countdown = ATOMIC_INIT(0);
static unsigned int fail_mode = DMAPROV_FAIL_WRITE;
static unsigned int stall;

/* Module-wide, all devices together. */
static atomic64_t dmaprov_totals[DMAPROV_NR_STATS];

static const char * const personality_names[] = {
	[DMAPROV_IOAT] = "ioat",
	[DMAPROV_IDXD] = "idxd",
};

static const char * const fail_mode_names[] = {
	[DMAPROV_FAIL_WRITE] = "write",
	[DMAPROV_FAIL_READ] = "read",
};

/* A string parameter with a fixed set of values, stored as an index. */
static int dmaprov_choice_set(const char *val, const struct kernel_param *kp,
			      const char * const *names, size_t n)
{
	unsigned int *store = kp->arg;
	size_t i;

	for (i = 0; i < n; i++) {
		if (sysfs_streq(val, names[i])) {
			WRITE_ONCE(*store, i);
			return 0;
		}
	}
	return -EINVAL;
}

static int dmaprov_personality_set(const char *val,
				   const struct kernel_param *kp)
{
	return dmaprov_choice_set(val, kp, personality_names,
				  ARRAY_SIZE(personality_names));
}

static int dmaprov_personality_get(char *buf, const struct kernel_param *kp)
{
	return scnprintf(buf, PAGE_SIZE, "%s\n",
			 personality_names[READ_ONCE(personality)]);
}

static const struct kernel_param_ops dmaprov_personality_ops = {
	.set = dmaprov_personality_set,
	.get = dmaprov_personality_get,
};

module_param_cb(personality, &dmaprov_personality_ops, &personality, 0444);
MODULE_PARM_DESC(personality,
		 "Quirks to mimic: ioat (default) or idxd; load time only");

static int dmaprov_fail_mode_set(const char *val, const struct kernel_param *kp)
{
	return dmaprov_choice_set(val, kp, fail_mode_names,
				  ARRAY_SIZE(fail_mode_names));
}

static int dmaprov_fail_mode_get(char *buf, const struct kernel_param *kp)
{
	return scnprintf(buf, PAGE_SIZE, "%s\n",
			 fail_mode_names[READ_ONCE(fail_mode)]);
}

static const struct kernel_param_ops dmaprov_fail_mode_ops = {
	.set = dmaprov_fail_mode_set,
	.get = dmaprov_fail_mode_get,
};

module_param_cb(fail_mode, &dmaprov_fail_mode_ops, &fail_mode, 0644);
MODULE_PARM_DESC(fail_mode,
		 "fail_nth result: write (WRITE_FAILED, default) or read");

/**
 * struct dmaprov_uint_param - an unsigned parameter with bounds
 * @val: where the value lives
 * @min: smallest accepted value
 * @max: largest accepted value
 * @apply: if set, called with dmaprov_lock held before a new value is
 *	   stored; an error refuses the write
 */
struct dmaprov_uint_param {
	unsigned int *val;
	unsigned int min;
	unsigned int max;
	int (*apply)(unsigned int new_val);
};

static int dmaprov_uint_set(const char *val, const struct kernel_param *kp)
{
	const struct dmaprov_uint_param *p = kp->arg;
	unsigned int v;
	int ret;

	ret = kstrtouint(val, 0, &v);
	if (ret)
		return ret;
	if (v < p->min || v > p->max)
		return -ERANGE;
	if (!p->apply) {
		WRITE_ONCE(*p->val, v);
		return 0;
	}
	mutex_lock(&dmaprov_lock);
	ret = p->apply(v);
	if (!ret)
		WRITE_ONCE(*p->val, v);
	mutex_unlock(&dmaprov_lock);
	return ret;
}

static int dmaprov_uint_get(char *buf, const struct kernel_param *kp)
{
	const struct dmaprov_uint_param *p = kp->arg;

	return scnprintf(buf, PAGE_SIZE, "%u\n", READ_ONCE(*p->val));
}

static const struct kernel_param_ops dmaprov_uint_ops = {
	.set = dmaprov_uint_set,
	.get = dmaprov_uint_get,
};

/*
 * Both run with dmaprov_lock held, before probe too (at insmod).  Every
 * device has the same mask limits, so a refused mask is refused by the
 * first one, before any device changed.
 */
static int dmaprov_apply_dma_bits(unsigned int bits)
{
	struct dmaprov_dev *pd;
	int ret;

	list_for_each_entry(pd, &dmaprov_devs, link) {
		ret = dma_set_mask_and_coherent(pd->dev, DMA_BIT_MASK(bits));
		if (ret)
			return ret;
	}
	return 0;
}

static int dmaprov_apply_max_xfer(unsigned int bytes)
{
	struct dmaprov_dev *pd;

	/* A platform device always has dma_parms. */
	list_for_each_entry(pd, &dmaprov_devs, link)
		dma_set_max_seg_size(pd->dev, bytes);
	return 0;
}

static struct dmaprov_uint_param dmaprov_param_channels = {
	.val = &channels,
	.min = 1,
	.max = DMAPROV_MAX_CHANNELS,
	.apply = NULL,
};

module_param_cb(channels, &dmaprov_uint_ops, &dmaprov_param_channels,
		0444);
MODULE_PARM_DESC(channels,
		 "Number of channels (1-16, default 2); load time only");

static struct dmaprov_uint_param dmaprov_param_devices = {
	.val = &devices,
	.min = 1,
	.max = DMAPROV_MAX_DEVICES,
	.apply = NULL,
};

module_param_cb(devices, &dmaprov_uint_ops, &dmaprov_param_devices, 0444);
MODULE_PARM_DESC(devices,
		 "Number of devices, each with its channels (1-8, default 1); load time only");

module_param_array(nodes, int, &nr_nodes, 0444);
MODULE_PARM_DESC(nodes,
		 "NUMA node of each device, -1: none (default: device i on the i-th online node, wrapping); load time only");

static struct dmaprov_uint_param dmaprov_param_ring_size = {
	.val = &ring_size,
	.min = 1,
	.max = DMAPROV_MAX_RING,
	.apply = NULL,
};

module_param_cb(ring_size, &dmaprov_uint_ops, &dmaprov_param_ring_size,
		0644);
MODULE_PARM_DESC(ring_size,
		 "Descriptors per channel (default 256; next channel alloc)");

static struct dmaprov_uint_param dmaprov_param_latency_us = {
	.val = &latency_us,
	.min = 0,
	.max = UINT_MAX,
	.apply = NULL,
};

module_param_cb(latency_us, &dmaprov_uint_ops, &dmaprov_param_latency_us,
		0644);
MODULE_PARM_DESC(latency_us,
		 "Delay added to every descriptor, in us (default 0)");

static struct dmaprov_uint_param dmaprov_param_bandwidth_mbps = {
	.val = &bandwidth_mbps,
	.min = 0,
	.max = UINT_MAX,
	.apply = NULL,
};

module_param_cb(bandwidth_mbps, &dmaprov_uint_ops,
		&dmaprov_param_bandwidth_mbps,		0644);
MODULE_PARM_DESC(bandwidth_mbps,
		 "Per-channel rate cap in 10^6 bytes/s (default 0: none)");

static struct dmaprov_uint_param dmaprov_param_max_xfer = {
	.val = &max_xfer,
	.min = 1,
	.max = UINT_MAX,
	.apply = dmaprov_apply_max_xfer,
};

module_param_cb(max_xfer, &dmaprov_uint_ops, &dmaprov_param_max_xfer,
		0644);
MODULE_PARM_DESC(max_xfer,
		 "Largest descriptor and DMA segment, bytes (default 1 MiB)");

static struct dmaprov_uint_param dmaprov_param_dma_bits = {
	.val = &dma_bits,
	.min = 12,
	.max = 64,
	.apply = dmaprov_apply_dma_bits,
};

module_param_cb(dma_bits, &dmaprov_uint_ops, &dmaprov_param_dma_bits,
		0644);
MODULE_PARM_DESC(dma_bits,
		 "DMA mask width in bits, applied at once (default 64)");

static int dmaprov_fail_nth_set(const char *val, const struct kernel_param *kp)
{
	unsigned int v;
	int ret;

	ret = kstrtouint(val, 0, &v);
	if (ret)
		return ret;
	if (v > INT_MAX)
		return -ERANGE;
	atomic_set(&fail_countdown, v);
	return 0;
}

static int dmaprov_fail_nth_get(char *buf, const struct kernel_param *kp)
{
	return scnprintf(buf, PAGE_SIZE, "%d\n", atomic_read(&fail_countdown));
}

static const struct kernel_param_ops dmaprov_fail_nth_ops = {
	.set = dmaprov_fail_nth_set,
	.get = dmaprov_fail_nth_get,
};

module_param_cb(fail_nth, &dmaprov_fail_nth_ops, NULL, 0644);
MODULE_PARM_DESC(fail_nth,
		 "Fail the Nth descriptor executed from now (0: off)");

static int dmaprov_stall_set(const char *val, const struct kernel_param *kp)
{
	struct dmaprov_dev *pd;
	unsigned int i, v;
	int ret;

	ret = kstrtouint(val, 0, &v);
	if (ret)
		return ret;
	if (v > 1)
		return -ERANGE;
	mutex_lock(&dmaprov_lock);
	WRITE_ONCE(stall, v);
	if (!v) {
		list_for_each_entry(pd, &dmaprov_devs, link)
			for (i = 0; i < pd->nr_chans; i++)
				wake_up(&pd->chans[i].work_wq);
	}
	mutex_unlock(&dmaprov_lock);
	return 0;
}

static int dmaprov_stall_get(char *buf, const struct kernel_param *kp)
{
	return scnprintf(buf, PAGE_SIZE, "%u\n", READ_ONCE(stall));
}

static const struct kernel_param_ops dmaprov_stall_ops = {
	.set = dmaprov_stall_set,
	.get = dmaprov_stall_get,
};

module_param_cb(stall, &dmaprov_stall_ops, NULL, 0644);
MODULE_PARM_DESC(stall,
		 "1: execute no descriptor until set back to 0");

static int dmaprov_stat_set(const char *val, const struct kernel_param *kp)
{
	return -EPERM;
}

static int dmaprov_stat_get(char *buf, const struct kernel_param *kp)
{
	atomic64_t *stat = kp->arg;

	return scnprintf(buf, PAGE_SIZE, "%lld\n",
			 (long long)atomic64_read(stat));
}

static const struct kernel_param_ops dmaprov_stat_ops = {
	.set = dmaprov_stat_set,
	.get = dmaprov_stat_get,
};

module_param_cb(executed, &dmaprov_stat_ops,
		&dmaprov_totals[DMAPROV_EXECUTED], 0444);
MODULE_PARM_DESC(executed, "Descriptors executed, failed ones included");
module_param_cb(failed, &dmaprov_stat_ops, &dmaprov_totals[DMAPROV_FAILED],
		0444);
MODULE_PARM_DESC(failed, "Descriptors that failed (fail_nth, bad address)");
module_param_cb(never_completed, &dmaprov_stat_ops,
		&dmaprov_totals[DMAPROV_NEVER_COMPLETED], 0444);
MODULE_PARM_DESC(never_completed,
		 "idxd: descriptors without DMA_PREP_INTERRUPT, not completed");
module_param_cb(bytes, &dmaprov_stat_ops, &dmaprov_totals[DMAPROV_BYTES],
		0444);
MODULE_PARM_DESC(bytes, "Bytes copied by successful descriptors");

/* A counter moves for the device and module-wide. */
static void dmaprov_count(struct dmaprov_dev *pd, enum dmaprov_stat stat,
			  s64 n)
{
	atomic64_add(n, &pd->stats[stat]);
	atomic64_add(n, &dmaprov_totals[stat]);
}

/* ------------------------------------------------------------------ */
/* Cookies and callbacks (the provider side of dmaengine's contract)   */
/* ------------------------------------------------------------------ */

static struct dmaprov_chan *to_dmaprov_chan(struct dma_chan *chan)
{
	return container_of(chan, struct dmaprov_chan, chan);
}

static struct dmaprov_desc *to_dmaprov_desc(struct dma_async_tx_descriptor *txd)
{
	return container_of(txd, struct dmaprov_desc, txd);
}

static bool dmaprov_is_idxd(const struct dmaprov_chan *c)
{
	return c->pd->personality == DMAPROV_IDXD;
}

/* A fresh channel: nothing handed out, nothing completed. */
static void dmaprov_cookie_reset(struct dma_chan *chan)
{
	chan->cookie = DMA_MIN_COOKIE;
	chan->completed_cookie = DMA_MIN_COOKIE;
}

/*
 * Give @txd the channel's next cookie.  Cookies below DMA_MIN_COOKIE mean
 * "none" or an error, so counting restarts there instead of going negative.
 * Called with the channel lock held.
 */
static dma_cookie_t dmaprov_cookie_assign(struct dma_async_tx_descriptor *txd)
{
	struct dma_chan *chan = txd->chan;
	dma_cookie_t next;

	if (chan->cookie < DMA_MIN_COOKIE || chan->cookie == INT_MAX)
		next = DMA_MIN_COOKIE;
	else
		next = chan->cookie + 1;
	chan->cookie = next;
	txd->cookie = next;
	return next;
}

/*
 * @txd is finished: the channel's completed cookie moves to it, and the
 * descriptor no longer owns one.  Called with the channel lock held.
 */
static void dmaprov_cookie_retire(struct dma_async_tx_descriptor *txd)
{
	if (txd->cookie < DMA_MIN_COOKIE)
		return;
	txd->chan->completed_cookie = txd->cookie;
	txd->cookie = 0;
}

/* ------------------------------------------------------------------ */
/* The channel thread                                                   */
/* ------------------------------------------------------------------ */

static void dmaprov_release_desc(struct dmaprov_chan *c, struct dmaprov_desc *d)
{
	unsigned long flags;

	spin_lock_irqsave(&c->lock, flags);
	list_add_tail(&d->node, &c->free);
	spin_unlock_irqrestore(&c->lock, flags);
}

/*
 * Finish @d: retire its cookie, drop the client's unmap data, then run its
 * callback, result-style when the client gave one.  ioat runs callbacks
 * from a tasklet, so that personality runs them with BHs disabled.
 */
static void dmaprov_complete(struct dmaprov_chan *c, struct dmaprov_desc *d)
{
	struct dma_async_tx_descriptor *txd = &d->txd;
	dma_async_tx_callback_result cb_result;
	dma_async_tx_callback cb;
	struct dmaengine_result res;
	unsigned long flags;
	void *param;

	spin_lock_irqsave(&c->lock, flags);
	dmaprov_cookie_retire(txd);
	cb = txd->callback;
	cb_result = txd->callback_result;
	param = txd->callback_param;
	txd->callback = NULL;
	txd->callback_result = NULL;
	spin_unlock_irqrestore(&c->lock, flags);

	dma_descriptor_unmap(txd);

	res.result = d->result;
	res.residue = d->result == DMA_TRANS_NOERROR ? 0 : d->len;

	if (!dmaprov_is_idxd(c))
		local_bh_disable();
	if (cb_result)
		cb_result(param, &res);
	else if (cb)
		cb(param);
	if (!dmaprov_is_idxd(c))
		local_bh_enable();

	dmaprov_release_desc(c, d);
}

/* Back to the pool without a completion: the client never hears of it. */
static void dmaprov_drop(struct dmaprov_chan *c, struct dmaprov_desc *d)
{
	dma_descriptor_unmap(&d->txd);
	d->txd.callback = NULL;
	d->txd.callback_result = NULL;
	dmaprov_release_desc(c, d);
}

/* Decrement fail_nth; true for the one descriptor that brings it to 0. */
static bool dmaprov_fail_this_one(void)
{
	int left = atomic_read(&fail_countdown);

	do {
		if (left <= 0)
			return false;
	} while (!atomic_try_cmpxchg(&fail_countdown, &left, left - 1));
	return left == 1;
}

/*
 * The kernel address of @len bytes at bus address @addr, as this device
 * would reach them: beyond its DMA mask, or outside memory, is NULL.  When
 * the client's mapping bounced through swiotlb, these are the bounce slots.
 */
static void *dmaprov_bus_to_virt(struct device *dev, dma_addr_t addr,
				 size_t len)
{
	u64 mask = dma_get_mask(dev);
	phys_addr_t first, last;

	if (addr > mask || len - 1 > mask - addr)
		return NULL;
	first = dma_to_phys(dev, addr);
	last = dma_to_phys(dev, addr + len - 1);
	if (last < first || last - first != len - 1)
		return NULL;
	if (!pfn_valid(PHYS_PFN(first)) || !pfn_valid(PHYS_PFN(last)))
		return NULL;
	return phys_to_virt(first);
}

static enum dmaengine_tx_result dmaprov_copy(struct dmaprov_chan *c,
					     struct dmaprov_desc *d)
{
	struct device *dev = c->pd->dev;
	void *src, *dst;

	if (dmaprov_fail_this_one())
		return READ_ONCE(fail_mode) == DMAPROV_FAIL_READ ?
			DMA_TRANS_READ_FAILED : DMA_TRANS_WRITE_FAILED;

	src = dmaprov_bus_to_virt(dev, d->src, d->len);
	if (!src) {
		dev_warn_ratelimited(dev, "%s: cannot read %zu bytes at %pad\n",
				     dma_chan_name(&c->chan), d->len, &d->src);
		return DMA_TRANS_READ_FAILED;
	}
	dst = dmaprov_bus_to_virt(dev, d->dst, d->len);
	if (!dst) {
		dev_warn_ratelimited(dev, "%s: cannot write %zu bytes at %pad\n",
				     dma_chan_name(&c->chan), d->len, &d->dst);
		return DMA_TRANS_WRITE_FAILED;
	}
	memcpy(dst, src, d->len);
	return DMA_TRANS_NOERROR;
}

static void dmaprov_sleep_us(u64 us)
{
	if (!us)
		return;
	if (us < 20000)
		usleep_range(us, us + us / 8 + 10);
	else
		msleep(DIV_ROUND_UP_ULL(us, 1000));
}

/* Run @d: the latency, the copy, then pacing to the bandwidth cap. */
static void dmaprov_execute(struct dmaprov_chan *c, struct dmaprov_desc *d)
{
	unsigned int bw;
	u64 start, spent, need;

	dmaprov_sleep_us(READ_ONCE(latency_us));
	start = ktime_get_ns();
	d->result = dmaprov_copy(c, d);
	dmaprov_count(c->pd, DMAPROV_EXECUTED, 1);
	if (d->result != DMA_TRANS_NOERROR) {
		dmaprov_count(c->pd, DMAPROV_FAILED, 1);
		return;
	}
	dmaprov_count(c->pd, DMAPROV_BYTES, d->len);

	bw = READ_ONCE(bandwidth_mbps);
	if (!bw)
		return;
	/* len bytes at bw * 10^6 bytes/s take len * 1000 / bw ns. */
	need = div_u64((u64)d->len * 1000, bw);
	spent = ktime_get_ns() - start;
	if (need > spent)
		dmaprov_sleep_us(DIV_ROUND_UP_ULL(need - spent, 1000));
}

/* The next descriptor of the current batch, or NULL when done or stalled. */
static struct dmaprov_desc *dmaprov_next(struct dmaprov_chan *c)
{
	struct dmaprov_desc *d = NULL;
	unsigned long flags;

	spin_lock_irqsave(&c->lock, flags);
	if (READ_ONCE(stall)) {
		/* Unstarted work goes back in front of what came later. */
		list_splice_init(&c->active, &c->issued);
	} else {
		d = list_first_entry_or_null(&c->active, struct dmaprov_desc,
					     node);
		if (d)
			list_del(&d->node);
	}
	spin_unlock_irqrestore(&c->lock, flags);
	return d;
}

static bool dmaprov_has_work(struct dmaprov_chan *c)
{
	return !list_empty(&c->aborted) ||
		(!READ_ONCE(stall) && !list_empty(&c->issued));
}

/*
 * One pass: take everything issued as a batch and execute it in order.
 * ioat completes each descriptor as soon as it ran; idxd completes the
 * batch once it is all done, last first, and keeps those without
 * DMA_PREP_INTERRUPT forever.  Then what terminate_all aborted is completed
 * with DMA_TRANS_ABORTED.
 */
static void dmaprov_run_pass(struct dmaprov_chan *c)
{
	bool idxd = dmaprov_is_idxd(c);
	struct dmaprov_desc *d, *tmp;
	unsigned long flags;
	LIST_HEAD(done);
	LIST_HEAD(aborted);

	spin_lock_irqsave(&c->lock, flags);
	if (!READ_ONCE(stall))
		list_splice_tail_init(&c->issued, &c->active);
	if (list_empty(&c->active) && list_empty(&c->aborted)) {
		spin_unlock_irqrestore(&c->lock, flags);
		return;
	}
	WRITE_ONCE(c->busy, true);
	spin_unlock_irqrestore(&c->lock, flags);

	while ((d = dmaprov_next(c))) {
		dmaprov_execute(c, d);
		if (!idxd) {
			dmaprov_complete(c, d);
		} else if (!(d->txd.flags & DMA_PREP_INTERRUPT)) {
			dmaprov_count(c->pd, DMAPROV_NEVER_COMPLETED, 1);
			spin_lock_irqsave(&c->lock, flags);
			list_add_tail(&d->node, &c->leaked);
			spin_unlock_irqrestore(&c->lock, flags);
		} else {
			/* At the head: the batch completes in reverse. */
			list_add(&d->node, &done);
		}
		cond_resched();
	}
	list_for_each_entry_safe(d, tmp, &done, node) {
		list_del(&d->node);
		dmaprov_complete(c, d);
	}

	spin_lock_irqsave(&c->lock, flags);
	list_splice_init(&c->aborted, &aborted);
	spin_unlock_irqrestore(&c->lock, flags);
	list_for_each_entry_safe(d, tmp, &aborted, node) {
		list_del(&d->node);
		d->result = DMA_TRANS_ABORTED;
		if (idxd && !(d->txd.flags & DMA_PREP_INTERRUPT)) {
			dmaprov_count(c->pd, DMAPROV_NEVER_COMPLETED, 1);
			dmaprov_drop(c, d);
		} else {
			dmaprov_complete(c, d);
		}
	}

	spin_lock_irqsave(&c->lock, flags);
	WRITE_ONCE(c->busy, false);
	spin_unlock_irqrestore(&c->lock, flags);
	wake_up_all(&c->idle_wq);
}

static int dmaprov_thread(void *data)
{
	struct dmaprov_chan *c = data;

	while (!kthread_should_stop()) {
		wait_event_interruptible(c->work_wq, kthread_should_stop() ||
					 dmaprov_has_work(c));
		dmaprov_run_pass(c);
	}
	return 0;
}

/* ------------------------------------------------------------------ */
/* dmaengine operations                                                 */
/* ------------------------------------------------------------------ */

static dma_cookie_t dmaprov_submit_ioat(struct dma_async_tx_descriptor *txd);
static dma_cookie_t dmaprov_submit_idxd(struct dma_async_tx_descriptor *txd);

static int dmaprov_alloc_chan_resources(struct dma_chan *chan)
{
	struct dmaprov_chan *c = to_dmaprov_chan(chan);
	unsigned int i, n = READ_ONCE(ring_size);
	struct dmaprov_desc *descs;
	unsigned long flags;
	LIST_HEAD(pool);

	descs = kvcalloc(n, sizeof(*descs), GFP_KERNEL);
	if (!descs)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		dma_async_tx_descriptor_init(&descs[i].txd, chan);
		descs[i].txd.tx_submit = dmaprov_is_idxd(c) ?
			dmaprov_submit_idxd : dmaprov_submit_ioat;
		list_add_tail(&descs[i].node, &pool);
	}

	spin_lock_irqsave(&c->lock, flags);
	c->descs = descs;
	list_splice_tail(&pool, &c->free);
	dmaprov_cookie_reset(chan);
	spin_unlock_irqrestore(&c->lock, flags);
	return n;
}

static bool dmaprov_idle(struct dmaprov_chan *c)
{
	unsigned long flags;
	bool idle;

	spin_lock_irqsave(&c->lock, flags);
	idle = !c->busy && list_empty(&c->aborted);
	spin_unlock_irqrestore(&c->lock, flags);
	return idle;
}

static void dmaprov_free_chan_resources(struct dma_chan *chan)
{
	struct dmaprov_chan *c = to_dmaprov_chan(chan);
	struct dmaprov_desc *d, *tmp, *descs;
	unsigned long flags;
	unsigned int n = 0;
	LIST_HEAD(drop);

	/* Whatever is still queued is dropped without a callback. */
	spin_lock_irqsave(&c->lock, flags);
	list_splice_tail_init(&c->active, &drop);
	list_splice_tail_init(&c->issued, &drop);
	list_splice_tail_init(&c->submitted, &drop);
	list_splice_tail_init(&c->aborted, &drop);
	list_splice_tail_init(&c->leaked, &drop);
	spin_unlock_irqrestore(&c->lock, flags);

	wait_event(c->idle_wq, !READ_ONCE(c->busy));

	list_for_each_entry_safe(d, tmp, &drop, node) {
		list_del(&d->node);
		dma_descriptor_unmap(&d->txd);
		n++;
	}
	if (n)
		dev_dbg(c->pd->dev, "%s: dropped %u descriptors\n",
			dma_chan_name(chan), n);

	spin_lock_irqsave(&c->lock, flags);
	descs = c->descs;
	c->descs = NULL;
	INIT_LIST_HEAD(&c->free);
	spin_unlock_irqrestore(&c->lock, flags);
	kvfree(descs);
}

/* A descriptor from the pool for a memcpy, or NULL (bad length, pool empty). */
static struct dmaprov_desc *dmaprov_get_desc(struct dmaprov_chan *c,
					     dma_addr_t dst, dma_addr_t src,
					     size_t len, unsigned long flags)
{
	struct dmaprov_desc *d;
	unsigned long irqflags;

	if (!len || len > READ_ONCE(max_xfer))
		return NULL;

	spin_lock_irqsave(&c->lock, irqflags);
	d = list_first_entry_or_null(&c->free, struct dmaprov_desc, node);
	if (d)
		list_del(&d->node);
	spin_unlock_irqrestore(&c->lock, irqflags);
	if (!d)
		return NULL;

	d->dst = dst;
	d->src = src;
	d->len = len;
	d->result = DMA_TRANS_NOERROR;
	d->txd.flags = flags;
	d->txd.cookie = -EBUSY;
	d->txd.callback = NULL;
	d->txd.callback_result = NULL;
	d->txd.callback_param = NULL;
	d->txd.unmap = NULL;
	return d;
}

/*
 * ioat: returns with the channel's prep lock held (BHs off) whenever it
 * returns a descriptor; tx_submit releases it.  A client that sleeps or
 * preps twice between the two is caught by lockdep / might_sleep.
 */
static struct dma_async_tx_descriptor *
dmaprov_prep_memcpy_ioat(struct dma_chan *chan, dma_addr_t dst,
			 dma_addr_t src, size_t len, unsigned long flags)
	__acquires(chan_prep_lock)
{
	struct dmaprov_chan *c = to_dmaprov_chan(chan);
	struct dmaprov_desc *d;

	spin_lock_bh(&c->prep_lock);
	d = dmaprov_get_desc(c, dst, src, len, flags);
	if (!d) {
		spin_unlock_bh(&c->prep_lock);
		/* Nothing is held on this path; tell sparse so. */
		__acquire(chan_prep_lock);
		return NULL;
	}
	return &d->txd;
}

static dma_cookie_t dmaprov_submit_ioat(struct dma_async_tx_descriptor *txd)
	__releases(chan_prep_lock)
{
	struct dmaprov_chan *c = to_dmaprov_chan(txd->chan);
	struct dmaprov_desc *d = to_dmaprov_desc(txd);
	dma_cookie_t cookie;
	unsigned long flags;

	spin_lock_irqsave(&c->lock, flags);
	cookie = dmaprov_cookie_assign(txd);
	list_add_tail(&d->node, &c->submitted);
	spin_unlock_irqrestore(&c->lock, flags);
	spin_unlock_bh(&c->prep_lock);
	return cookie;
}

static struct dma_async_tx_descriptor *
dmaprov_prep_memcpy_idxd(struct dma_chan *chan, dma_addr_t dst,
			 dma_addr_t src, size_t len, unsigned long flags)
{
	struct dmaprov_desc *d;

	/* DMA_PREP_FENCE is accepted and ignored, as idxd does. */
	d = dmaprov_get_desc(to_dmaprov_chan(chan), dst, src, len, flags);
	return d ? &d->txd : NULL;
}

/* idxd: submission posts the descriptor to the engine at once. */
static dma_cookie_t dmaprov_submit_idxd(struct dma_async_tx_descriptor *txd)
{
	struct dmaprov_chan *c = to_dmaprov_chan(txd->chan);
	struct dmaprov_desc *d = to_dmaprov_desc(txd);
	dma_cookie_t cookie;
	unsigned long flags;

	spin_lock_irqsave(&c->lock, flags);
	cookie = dmaprov_cookie_assign(txd);
	list_add_tail(&d->node, &c->issued);
	spin_unlock_irqrestore(&c->lock, flags);
	wake_up(&c->work_wq);
	return cookie;
}

static void dmaprov_issue_pending(struct dma_chan *chan)
{
	struct dmaprov_chan *c = to_dmaprov_chan(chan);
	unsigned long flags;

	if (dmaprov_is_idxd(c))
		return;
	spin_lock_irqsave(&c->lock, flags);
	list_splice_tail_init(&c->submitted, &c->issued);
	spin_unlock_irqrestore(&c->lock, flags);
	wake_up(&c->work_wq);
}

static enum dma_status dmaprov_tx_status(struct dma_chan *chan,
					 dma_cookie_t cookie,
					 struct dma_tx_state *state)
{
	struct dmaprov_chan *c = to_dmaprov_chan(chan);
	enum dma_status status;
	dma_cookie_t used, done;
	unsigned long flags;

	if (dmaprov_is_idxd(c))
		return DMA_OUT_OF_ORDER;

	spin_lock_irqsave(&c->lock, flags);
	used = chan->cookie;
	done = chan->completed_cookie;
	spin_unlock_irqrestore(&c->lock, flags);
	if (state) {
		state->last = done;
		state->used = used;
		state->residue = 0;
		state->in_flight_bytes = 0;
	}
	status = dma_async_is_complete(cookie, done, used);

	/*
	 * Hardware makes progress while a client spins on tx_status (as
	 * dma_sync_wait() does); this engine needs a CPU for it.  Without
	 * kernel preemption, pollers on every CPU would starve the channel
	 * threads, so give the CPU away when the caller's context allows.
	 */
	if (status == DMA_IN_PROGRESS && preemptible() && !rcu_preempt_depth())
		cond_resched();
	return status;
}

/*
 * Everything not yet executed is aborted: its completion (callback with
 * DMA_TRANS_ABORTED) comes from the channel thread, which synchronize waits
 * for.  idxd descriptors parked without completion are reclaimed silently.
 * May be called in atomic context, from a callback too.
 */
static int dmaprov_terminate_all(struct dma_chan *chan)
{
	struct dmaprov_chan *c = to_dmaprov_chan(chan);
	struct dmaprov_desc *d, *tmp;
	unsigned long flags;
	LIST_HEAD(leaked);

	spin_lock_irqsave(&c->lock, flags);
	list_splice_tail_init(&c->active, &c->aborted);
	list_splice_tail_init(&c->issued, &c->aborted);
	list_splice_tail_init(&c->submitted, &c->aborted);
	list_splice_init(&c->leaked, &leaked);
	spin_unlock_irqrestore(&c->lock, flags);

	list_for_each_entry_safe(d, tmp, &leaked, node) {
		list_del(&d->node);
		dmaprov_drop(c, d);
	}
	wake_up(&c->work_wq);
	return 0;
}

static void dmaprov_synchronize(struct dma_chan *chan)
{
	struct dmaprov_chan *c = to_dmaprov_chan(chan);

	/* From our own callback this would wait for itself. */
	if (WARN_ONCE(current == c->thread,
		      "%s: dmaengine_synchronize() from a callback\n",
		      dma_chan_name(chan)))
		return;
	wait_event(c->idle_wq, dmaprov_idle(c));
}

/* ------------------------------------------------------------------ */
/* Platform driver                                                      */
/* ------------------------------------------------------------------ */

static void dmaprov_stop_threads(struct dmaprov_dev *pd, unsigned int n)
{
	while (n--)
		kthread_stop(pd->chans[n].thread);
}

/* devm action: undo a successful probe. */
static void dmaprov_teardown(void *data)
{
	struct dmaprov_dev *pd = data;
	unsigned int i;

	mutex_lock(&dmaprov_lock);
	list_del(&pd->link);
	mutex_unlock(&dmaprov_lock);

	dma_async_device_unregister(&pd->dma);
	dmaprov_stop_threads(pd, pd->nr_chans);
	/* dmaengine freed every channel before letting us unregister. */
	for (i = 0; i < pd->nr_chans; i++)
		kvfree(pd->chans[i].descs);
}

static void dmaprov_init_chan(struct dmaprov_dev *pd, struct dmaprov_chan *c)
{
	c->pd = pd;
	spin_lock_init(&c->prep_lock);
	spin_lock_init(&c->lock);
	INIT_LIST_HEAD(&c->free);
	INIT_LIST_HEAD(&c->submitted);
	INIT_LIST_HEAD(&c->issued);
	INIT_LIST_HEAD(&c->active);
	INIT_LIST_HEAD(&c->aborted);
	INIT_LIST_HEAD(&c->leaked);
	init_waitqueue_head(&c->work_wq);
	init_waitqueue_head(&c->idle_wq);
	c->chan.device = &pd->dma;
	list_add_tail(&c->chan.device_node, &pd->dma.channels);
}

/* Channel @i's thread, named after the device when there are several. */
static struct task_struct *dmaprov_start_thread(struct dmaprov_dev *pd,
						struct platform_device *pdev,
						unsigned int i)
{
	struct dmaprov_chan *c = &pd->chans[i];
	int node = dev_to_node(pd->dev);
	struct task_struct *t;

	if (pdev->id == PLATFORM_DEVID_NONE)
		t = kthread_create_on_node(dmaprov_thread, c, node,
					   "dmaprov/%u", i);
	else
		t = kthread_create_on_node(dmaprov_thread, c, node,
					   "dmaprov/%d.%u", pdev->id, i);
	if (!IS_ERR(t))
		wake_up_process(t);
	return t;
}

static int dmaprov_probe(struct platform_device *pdev)
{
	struct device *dev = &pdev->dev;
	struct dmaprov_dev *pd;
	struct dma_device *dma;
	unsigned int i;
	int ret;

	pd = devm_kzalloc(dev, sizeof(*pd), GFP_KERNEL);
	if (!pd)
		return -ENOMEM;
	pd->dev = dev;
	pd->personality = personality;
	pd->nr_chans = channels;
	pd->chans = devm_kcalloc(dev, pd->nr_chans, sizeof(*pd->chans),
				 GFP_KERNEL);
	if (!pd->chans)
		return -ENOMEM;

	mutex_lock(&dmaprov_lock);
	ret = dma_set_mask_and_coherent(dev, DMA_BIT_MASK(dma_bits));
	if (!ret)
		dma_set_max_seg_size(dev, max_xfer);
	mutex_unlock(&dmaprov_lock);
	if (ret) {
		dev_err(dev, "cannot set a %u-bit DMA mask: %d\n",
			dma_bits, ret);
		return ret;
	}

	dma = &pd->dma;
	dma->dev = dev;
	dma_cap_set(DMA_MEMCPY, dma->cap_mask);
	dma_cap_set(DMA_PRIVATE, dma->cap_mask);
	if (pd->personality == DMAPROV_IDXD) {
		dma_cap_set(DMA_COMPLETION_NO_ORDER, dma->cap_mask);
		dma->device_prep_dma_memcpy = dmaprov_prep_memcpy_idxd;
	} else {
		dma->device_prep_dma_memcpy = dmaprov_prep_memcpy_ioat;
	}
	dma->copy_align = DMAENGINE_ALIGN_1_BYTE;
	dma->device_alloc_chan_resources = dmaprov_alloc_chan_resources;
	dma->device_free_chan_resources = dmaprov_free_chan_resources;
	dma->device_tx_status = dmaprov_tx_status;
	dma->device_issue_pending = dmaprov_issue_pending;
	dma->device_terminate_all = dmaprov_terminate_all;
	dma->device_synchronize = dmaprov_synchronize;
	INIT_LIST_HEAD(&dma->channels);
	for (i = 0; i < pd->nr_chans; i++)
		dmaprov_init_chan(pd, &pd->chans[i]);

	for (i = 0; i < pd->nr_chans; i++) {
		struct task_struct *t = dmaprov_start_thread(pd, pdev, i);

		if (IS_ERR(t)) {
			ret = PTR_ERR(t);
			goto err_threads;
		}
		pd->chans[i].thread = t;
	}

	ret = dma_async_device_register(dma);
	if (ret) {
		dev_err(dev, "dma_async_device_register: %d\n", ret);
		goto err_threads;
	}

	/* From here the action undoes everything, even if adding it fails. */
	mutex_lock(&dmaprov_lock);
	list_add_tail(&pd->link, &dmaprov_devs);
	mutex_unlock(&dmaprov_lock);
	ret = devm_add_action_or_reset(dev, dmaprov_teardown, pd);
	if (ret)
		return ret;
	platform_set_drvdata(pdev, pd);

	dev_info(dev, "%s personality, %u channels, %u-bit DMA mask, node %d\n",
		 personality_names[pd->personality], pd->nr_chans, dma_bits,
		 dev_to_node(dev));
	return 0;

err_threads:
	dmaprov_stop_threads(pd, i);
	return ret;
}

/* Called from init only: the result tells init whether probe worked. */
static int dmaprov_probe_record(struct platform_device *pdev)
{
	dmaprov_probe_status = dmaprov_probe(pdev);
	return dmaprov_probe_status;
}

/**
 * struct dmaprov_stat_attr - a per-device counter in sysfs
 * @attr: the attribute, named like the module-wide parameter
 * @stat: which counter (enum dmaprov_stat)
 */
struct dmaprov_stat_attr {
	struct device_attribute attr;
	unsigned int stat;
};

/* Per-device counters, next to the platform device's own numa_node. */
static ssize_t dmaprov_stat_attr_show(struct device *dev,
				      struct device_attribute *attr, char *buf)
{
	struct dmaprov_stat_attr *sa =
		container_of(attr, struct dmaprov_stat_attr, attr);
	struct dmaprov_dev *pd = dev_get_drvdata(dev);

	return sysfs_emit(buf, "%lld\n",
			  (long long)atomic64_read(&pd->stats[sa->stat]));
}

#define DMAPROV_STAT_ATTR(_name, _stat)					\
	struct dmaprov_stat_attr dmaprov_attr_##_name = {		\
		.attr = __ATTR(_name, 0444, dmaprov_stat_attr_show, NULL), \
		.stat = (_stat),					\
	}

static DMAPROV_STAT_ATTR(executed, DMAPROV_EXECUTED);
static DMAPROV_STAT_ATTR(failed, DMAPROV_FAILED);
static DMAPROV_STAT_ATTR(never_completed, DMAPROV_NEVER_COMPLETED);
static DMAPROV_STAT_ATTR(bytes, DMAPROV_BYTES);

static struct attribute *dmaprov_dev_attrs[] = {
	&dmaprov_attr_executed.attr.attr,
	&dmaprov_attr_failed.attr.attr,
	&dmaprov_attr_never_completed.attr.attr,
	&dmaprov_attr_bytes.attr.attr,
	NULL,
};
ATTRIBUTE_GROUPS(dmaprov_dev);

static struct platform_driver dmaprov_driver = {
	.probe = dmaprov_probe_record,
	.driver = {
		.name = DMAPROV_NAME,
		.dev_groups = dmaprov_dev_groups,
		.suppress_bind_attrs = true,
		.probe_type = PROBE_FORCE_SYNCHRONOUS,
	},
};

/* Device @i's NUMA node: nodes[i] if given, else the i-th online node. */
static int dmaprov_node_of(unsigned int i)
{
	unsigned int k = 0;
	int node;

	if (i < nr_nodes)
		return nodes[i];
	for_each_online_node(node)
		if (k++ == i % num_online_nodes())
			return node;
	return NUMA_NO_NODE;
}

static int dmaprov_check_nodes(void)
{
	unsigned int i;

	if (nr_nodes > devices) {
		pr_err("nodes= names %u devices, devices=%u\n", nr_nodes,
		       devices);
		return -EINVAL;
	}
	for (i = 0; i < nr_nodes; i++) {
		if (nodes[i] == NUMA_NO_NODE)
			continue;
		if (nodes[i] < 0 || nodes[i] >= MAX_NUMNODES ||
		    !node_online(nodes[i])) {
			pr_err("nodes=: node %d is not online\n", nodes[i]);
			return -EINVAL;
		}
	}
	return 0;
}

/*
 * Device @i, on its node before it is added (the node must be set before
 * device_add(), which shows numa_node in sysfs only when there is one).
 * A single device keeps the plain name "ipcoff-dmaprov".
 */
static int dmaprov_add_device(unsigned int i)
{
	struct platform_device *pdev;
	int ret;

	pdev = platform_device_alloc(DMAPROV_NAME, devices == 1 ?
				     PLATFORM_DEVID_NONE : (int)i);
	if (!pdev)
		return -ENOMEM;
	set_dev_node(&pdev->dev, dmaprov_node_of(i));
	dmaprov_probe_status = -ENODEV;
	ret = platform_device_add(pdev);
	if (ret) {
		platform_device_put(pdev);
		return ret;
	}
	/* Probe ran synchronously; a device left unbound is a failure. */
	if (dmaprov_probe_status) {
		ret = dmaprov_probe_status;
		platform_device_unregister(pdev);
		return ret;
	}
	dmaprov_pdevs[i] = pdev;
	return 0;
}

static void dmaprov_remove_devices(void)
{
	unsigned int i = ARRAY_SIZE(dmaprov_pdevs);

	/* Unbinding runs dmaprov_teardown(). */
	while (i--) {
		if (dmaprov_pdevs[i])
			platform_device_unregister(dmaprov_pdevs[i]);
		dmaprov_pdevs[i] = NULL;
	}
}

static int __init dmaprov_init(void)
{
	unsigned int i;
	int ret;

	ret = dmaprov_check_nodes();
	if (ret)
		return ret;
	ret = platform_driver_register(&dmaprov_driver);
	if (ret)
		return ret;

	for (i = 0; i < devices; i++) {
		ret = dmaprov_add_device(i);
		if (ret)
			goto err_devices;
	}
	return 0;

err_devices:
	dmaprov_remove_devices();
	platform_driver_unregister(&dmaprov_driver);
	return ret;
}

static void __exit dmaprov_exit(void)
{
	dmaprov_remove_devices();
	platform_driver_unregister(&dmaprov_driver);
}

module_init(dmaprov_init);
module_exit(dmaprov_exit);

MODULE_DESCRIPTION("Software dmaengine memcpy provider for testing clients");
MODULE_AUTHOR("The ipcoff developers");
MODULE_LICENSE("GPL");
MODULE_INFO(test, "Y");
