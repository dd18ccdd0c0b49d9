// SPDX-License-Identifier: GPL-2.0
/*
 * The dmaengine channels ipcoff holds: requested privately at load and on
 * an admin rescan, shared by every context, released on an admin request
 * (idle channels at once, busy ones when their last request ends) so the
 * provider can be unloaded.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/capability.h>
#include <linux/device.h>
#include <linux/module.h>
#include <linux/rcupdate.h>
#include <linux/slab.h>

#include "dma.h"
#include "sched.h"

static unsigned int dma_channels = 4;
module_param(dma_channels, uint, 0644);
MODULE_PARM_DESC(dma_channels,
		 "memcpy channels to request from dmaengine (max 16)");

static struct ipcoff_dma_chan __rcu *ipcoff_chans[IPCOFF_DMA_MAX_CHANS];
/* Serialises table updates; held channels, including draining ones. */
static DEFINE_MUTEX(ipcoff_chans_lock);
static struct ipcoff_dma_chan *ipcoff_held[IPCOFF_DMA_MAX_CHANS * 2];
static atomic_t ipcoff_chan_rr = ATOMIC_INIT(0);
static struct workqueue_struct *ipcoff_dma_wq;

static void ipcoff_dma_chan_release_work(struct work_struct *work)
{
	struct ipcoff_dma_chan *c =
		container_of(work, struct ipcoff_dma_chan, release_work);
	bool shared = false;
	int i;

	mutex_lock(&ipcoff_chans_lock);
	for (i = 0; i < ARRAY_SIZE(ipcoff_held); i++) {
		if (ipcoff_held[i] == c)
			ipcoff_held[i] = NULL;
		else if (ipcoff_held[i] && ipcoff_held[i]->dev == c->dev)
			shared = true;
	}
	mutex_unlock(&ipcoff_chans_lock);

	dmaengine_terminate_sync(c->chan);
	if (!shared)
		ipcoff_dma_unmap_device(c->dev);
	pr_info("released %s\n", dma_chan_name(c->chan));
	dma_release_channel(c->chan);
	kfree(c);
}

static void ipcoff_dma_chan_release(struct kref *ref)
{
	struct ipcoff_dma_chan *c =
		container_of(ref, struct ipcoff_dma_chan, ref);

	queue_work(ipcoff_dma_wq, &c->release_work);
}

/**
 * ipcoff_dma_queue_work() - run dma-engine work before the module can go
 * @work: the work
 *
 * The queue is drained at unload, after the channels were terminated.
 */
void ipcoff_dma_queue_work(struct work_struct *work)
{
	queue_work(ipcoff_dma_wq, work);
}

/**
 * ipcoff_dma_chan_put() - drop a channel reference, from any context
 * @c: the channel
 */
void ipcoff_dma_chan_put(struct ipcoff_dma_chan *c)
{
	kref_put(&c->ref, ipcoff_dma_chan_release);
}

/* 0: on @node (or no node asked for), 1: node unknown, 2: another node. */
static int ipcoff_dma_chan_distance(const struct ipcoff_dma_chan *c, int node)
{
	if (node == NUMA_NO_NODE || c->node == node)
		return 0;
	return c->node == NUMA_NO_NODE ? 1 : 2;
}

static bool ipcoff_dma_chan_usable(struct ipcoff_dma_chan *c)
{
	return c && !READ_ONCE(c->broken);
}

/**
 * ipcoff_dma_chans_get() - channels for one request
 * @chans: filled with referenced channels
 * @max: room in @chans
 * @node: NUMA node of the memory; channels there are preferred
 *
 * The nearest channels there are: those on @node, else those of unknown
 * node, else all; the starting channel rotates so concurrent requests
 * spread over the channels.
 *
 * Return: the number of channels in @chans (0: no dma engine).
 */
int ipcoff_dma_chans_get(struct ipcoff_dma_chan **chans, int max, int node)
{
	int start = atomic_inc_return(&ipcoff_chan_rr);
	int n = 0, pass, i;

	rcu_read_lock();
	for (pass = 0; pass < 3 && !n; pass++) {
		for (i = 0; i < IPCOFF_DMA_MAX_CHANS && n < max; i++) {
			int slot = (start + i) % IPCOFF_DMA_MAX_CHANS;
			struct ipcoff_dma_chan *c;

			c = rcu_dereference(ipcoff_chans[slot]);
			if (ipcoff_dma_chan_usable(c) &&
			    ipcoff_dma_chan_distance(c, node) <= pass &&
			    kref_get_unless_zero(&c->ref))
				chans[n++] = c;
		}
	}
	rcu_read_unlock();
	return n;
}

/**
 * ipcoff_dma_have_chans() - is any channel in rotation?
 *
 * Asked by every auto decision: stops at the first usable channel.
 *
 * Return: true when a held channel is not broken.
 */
bool ipcoff_dma_have_chans(void)
{
	bool any = false;
	int i;

	rcu_read_lock();
	for (i = 0; i < IPCOFF_DMA_MAX_CHANS && !any; i++)
		any = ipcoff_dma_chan_usable(rcu_dereference(ipcoff_chans[i]));
	rcu_read_unlock();
	return any;
}

/**
 * ipcoff_dma_nr_chans() - channels in rotation
 *
 * Return: held channels that are not broken.
 */
int ipcoff_dma_nr_chans(void)
{
	int i, n = 0;

	rcu_read_lock();
	for (i = 0; i < IPCOFF_DMA_MAX_CHANS; i++)
		if (ipcoff_dma_chan_usable(rcu_dereference(ipcoff_chans[i])))
			n++;
	rcu_read_unlock();
	return n;
}

/* Caller holds ipcoff_chans_lock. */
static bool ipcoff_dma_hold(struct ipcoff_dma_chan *c)
{
	int i;

	for (i = 0; i < ARRAY_SIZE(ipcoff_held); i++) {
		if (!ipcoff_held[i]) {
			ipcoff_held[i] = c;
			return true;
		}
	}
	return false;
}

/**
 * ipcoff_dma_rescan() - request channels up to the dma_channels parameter
 *
 * -EPROBE_DEFER and -ENODEV from dmaengine mean no (more) memcpy channels:
 * ipcoff then runs on the CPU.
 *
 * Return: the number of channels added.
 */
int ipcoff_dma_rescan(void)
{
	unsigned int want = min_t(unsigned int, READ_ONCE(dma_channels),
				  IPCOFF_DMA_MAX_CHANS);
	unsigned int have = 0, i;
	dma_cap_mask_t mask;
	int added = 0;

	dma_cap_zero(mask);
	dma_cap_set(DMA_MEMCPY, mask);

	mutex_lock(&ipcoff_chans_lock);
	for (i = 0; i < IPCOFF_DMA_MAX_CHANS; i++)
		if (rcu_access_pointer(ipcoff_chans[i]))
			have++;
	for (i = 0; i < IPCOFF_DMA_MAX_CHANS && have < want; i++) {
		struct ipcoff_dma_chan *c;
		struct dma_chan *chan;

		if (rcu_access_pointer(ipcoff_chans[i]))
			continue;
		chan = dma_request_chan_by_mask(&mask);
		if (IS_ERR(chan))
			break;
		c = kzalloc(sizeof(*c), GFP_KERNEL);
		if (!c || !ipcoff_dma_hold(c)) {
			kfree(c);
			dma_release_channel(chan);
			break;
		}
		kref_init(&c->ref);
		init_waitqueue_head(&c->wq);
		INIT_WORK(&c->release_work, ipcoff_dma_chan_release_work);
		c->chan = chan;
		c->dev = dmaengine_get_dma_device(chan);
		c->node = dev_to_node(c->dev);
		rcu_assign_pointer(ipcoff_chans[i], c);
		pr_info("using %s (node %d)\n", dma_chan_name(chan), c->node);
		have++;
		added++;
	}
	mutex_unlock(&ipcoff_chans_lock);
	return added;
}

/**
 * ipcoff_dma_release_all() - take every channel out of the table
 *
 * Idle channels are released before this returns; a channel still used
 * by a request is released when that request ends.
 */
void ipcoff_dma_release_all(void)
{
	struct ipcoff_dma_chan *gone[IPCOFF_DMA_MAX_CHANS];
	int i, n = 0;

	mutex_lock(&ipcoff_chans_lock);
	for (i = 0; i < IPCOFF_DMA_MAX_CHANS; i++) {
		struct ipcoff_dma_chan *c;

		c = rcu_dereference_protected(ipcoff_chans[i],
					      lockdep_is_held(&ipcoff_chans_lock));

		if (c) {
			RCU_INIT_POINTER(ipcoff_chans[i], NULL);
			gone[n++] = c;
		}
	}
	mutex_unlock(&ipcoff_chans_lock);
	synchronize_rcu();
	for (i = 0; i < n; i++)
		ipcoff_dma_chan_put(gone[i]);
	flush_workqueue(ipcoff_dma_wq);
}

static ssize_t dma_rescan_store(struct device *dev,
				struct device_attribute *attr,
				const char *buf, size_t count)
{
	if (!capable(CAP_SYS_ADMIN))
		return -EPERM;
	/* New channels are measured before this returns. */
	if (ipcoff_dma_rescan())
		ipcoff_sched_engines_changed();
	return count;
}
static DEVICE_ATTR_WO(dma_rescan);

static ssize_t dma_release_store(struct device *dev,
				 struct device_attribute *attr,
				 const char *buf, size_t count)
{
	if (!capable(CAP_SYS_ADMIN))
		return -EPERM;
	ipcoff_dma_release_all();
	return count;
}
static DEVICE_ATTR_WO(dma_release);

static ssize_t dma_chans_show(struct device *dev,
			      struct device_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%d\n", ipcoff_dma_nr_chans());
}
static DEVICE_ATTR_RO(dma_chans);

static struct attribute *ipcoff_dma_ctl_attrs[] = {
	&dev_attr_dma_rescan.attr,
	&dev_attr_dma_release.attr,
	&dev_attr_dma_chans.attr,
	NULL,
};

/* Admin controls in /sys/class/misc/ipcoff/: dma_rescan, dma_release. */
const struct attribute_group ipcoff_dma_ctl_group = {
	.attrs = ipcoff_dma_ctl_attrs,
};

/**
 * ipcoff_dma_init() - create the release workqueue and take channels
 *
 * Return: 0 or -ENOMEM. Finding no channel is not an error.
 */
int ipcoff_dma_init(void)
{
	ipcoff_dma_wq = alloc_workqueue("ipcoff_dma", WQ_UNBOUND, 0);
	if (!ipcoff_dma_wq)
		return -ENOMEM;
	if (!ipcoff_dma_rescan())
		pr_info("no dmaengine memcpy channel: copies run on the CPU\n");
	return 0;
}

/**
 * ipcoff_dma_exit() - release every channel, aborting what is still queued
 *
 * At unload no file is open, but a request that timed out may still own
 * descriptors: terminating the channels completes them as aborted.
 */
void ipcoff_dma_exit(void)
{
	struct ipcoff_dma_chan *stuck[ARRAY_SIZE(ipcoff_held)];
	int i, n = 0;

	ipcoff_dma_release_all();
	mutex_lock(&ipcoff_chans_lock);
	for (i = 0; i < ARRAY_SIZE(ipcoff_held); i++)
		if (ipcoff_held[i] && kref_get_unless_zero(&ipcoff_held[i]->ref))
			stuck[n++] = ipcoff_held[i];
	mutex_unlock(&ipcoff_chans_lock);
	for (i = 0; i < n; i++) {
		dmaengine_terminate_sync(stuck[i]->chan);
		ipcoff_dma_chan_put(stuck[i]);
	}
	destroy_workqueue(ipcoff_dma_wq);
}
