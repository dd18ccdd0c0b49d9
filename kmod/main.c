// SPDX-License-Identifier: GPL-2.0
/*
 * ipcoff: the /dev/ipcoff misc device, its file operations and counters.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/compat.h>
#include <linux/cred.h>
#include <linux/device.h>
#include <linux/fs.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/slab.h>

#include "dma.h"
#include "ring.h"
#include "sched.h"

/* A context belongs to the open file: fork() and SCM_RIGHTS share it. */
static int ipcoff_open(struct inode *inode, struct file *file)
{
	struct ipcoff_ctx *ctx;

	ctx = kzalloc(sizeof(*ctx), GFP_KERNEL);
	if (!ctx)
		return -ENOMEM;
	ctx->cred = get_cred(file->f_cred);
	mutex_init(&ctx->lock);
	INIT_LIST_HEAD(&ctx->regions);
	file->private_data = ctx;
	return 0;
}

/*
 * Never waits for copies in flight: they hold region and ring references.
 * Copies queued and not started are cancelled.
 */
static int ipcoff_release(struct inode *inode, struct file *file)
{
	struct ipcoff_ctx *ctx = file->private_data;

	if (ctx->ring) {
		ipcoff_ring_close(ctx->ring);
		ipcoff_ring_put(ctx->ring);
	}
	ipcoff_region_unregister_all(ctx);
	put_cred(ctx->cred);
	mutex_destroy(&ctx->lock);
	kfree(ctx);
	return 0;
}

static int ipcoff_mmap(struct file *file, struct vm_area_struct *vma)
{
	return ipcoff_ring_mmap(file->private_data, vma);
}

static __poll_t ipcoff_poll(struct file *file, poll_table *pt)
{
	return ipcoff_ring_poll(file->private_data, file, pt);
}

static const struct file_operations ipcoff_fops = {
	.owner = THIS_MODULE,
	.open = ipcoff_open,
	.release = ipcoff_release,
	.mmap = ipcoff_mmap,
	.poll = ipcoff_poll,
	.unlocked_ioctl = ipcoff_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
};

static ssize_t pinned_pages_show(struct device *dev,
				 struct device_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%ld\n", ipcoff_pinned_pages());
}
static DEVICE_ATTR_RO(pinned_pages);

static ssize_t regions_show(struct device *dev, struct device_attribute *attr,
			    char *buf)
{
	return sysfs_emit(buf, "%ld\n", ipcoff_live_regions());
}
static DEVICE_ATTR_RO(regions);

static struct attribute *ipcoff_attrs[] = {
	&dev_attr_pinned_pages.attr,
	&dev_attr_regions.attr,
	NULL,
};

static const struct attribute_group ipcoff_group = {
	.attrs = ipcoff_attrs,
};

/* The module's counters, then each engine's in its own directory. */
static const struct attribute_group *ipcoff_groups[] = {
	&ipcoff_group,
	&ipcoff_dma_ctl_group,
	&ipcoff_cpu_stats_group,
	&ipcoff_dma_stats_group,
	&ipcoff_elide_stats_group,
	&ipcoff_sched_group,
	NULL,
};

static struct miscdevice ipcoff_misc = {
	.minor = MISC_DYNAMIC_MINOR,
	.name = "ipcoff",
	.fops = &ipcoff_fops,
	.groups = ipcoff_groups,
};

static int __init ipcoff_init(void)
{
	int ret;

	ret = ipcoff_engine_init();
	if (ret)
		return ret;
	ret = ipcoff_region_init();
	if (ret)
		goto err_engine;
	ret = ipcoff_request_init();
	if (ret)
		goto err_region;
	ret = ipcoff_sched_init();
	if (ret)
		goto err_request;
	ret = ipcoff_dma_init();
	if (ret)
		goto err_sched;
	ipcoff_sched_start_engines();
	ret = misc_register(&ipcoff_misc);
	if (ret) {
		pr_err("cannot register /dev/ipcoff: %d\n", ret);
		goto err_dma;
	}
	pr_info("version %s loaded\n", IPCOFF_VERSION);
	return 0;

err_dma:
	ipcoff_dma_exit();
err_sched:
	ipcoff_sched_exit();
err_request:
	ipcoff_request_exit();
err_region:
	ipcoff_region_exit();
err_engine:
	ipcoff_engine_exit();
	return ret;
}

static void __exit ipcoff_exit(void)
{
	misc_deregister(&ipcoff_misc);
	/* Late DMA completions may still start LINK successors. */
	ipcoff_dma_exit();
	ipcoff_request_exit();
	ipcoff_sched_exit();
	ipcoff_region_exit();
	ipcoff_engine_exit();
}

module_init(ipcoff_init);
module_exit(ipcoff_exit);

MODULE_DESCRIPTION("Offloaded inter-process copies between pinned regions");
MODULE_AUTHOR("The ipcoff developers");
MODULE_LICENSE("GPL");
MODULE_VERSION(IPCOFF_VERSION);
