// SPDX-License-Identifier: GPL-2.0
/*
 * ioctl dispatch: one table entry per command, struct size from
 * _IOC_SIZE(cmd) with copy_struct_from_user() semantics.
 */
#include <linux/build_bug.h>
#include <linux/fs.h>
#include <linux/nospec.h>
#include <linux/stddef.h>
#include <linux/uaccess.h>

#include "cache.h"
#include "dma.h"
#include "ring.h"

/* The layout is shared by i386 and x86_64 callers: no compat translation. */
static_assert(sizeof(struct ipcoff_iovec) == 16);
static_assert(sizeof(struct ipcoff_endpoint) == 40);
static_assert(sizeof(struct ipcoff_info) == IPCOFF_INFO_SIZE_VER0);
static_assert(sizeof(struct ipcoff_region_reg) == IPCOFF_REGION_REG_SIZE_VER0);
static_assert(sizeof(struct ipcoff_region_unreg) ==
	      IPCOFF_REGION_UNREG_SIZE_VER0);
static_assert(sizeof(struct ipcoff_grant) == IPCOFF_GRANT_SIZE_VER0);
static_assert(sizeof(struct ipcoff_copy) == IPCOFF_COPY_SIZE_VER1);
static_assert(offsetof(struct ipcoff_copy, inject_ranges) ==
	      IPCOFF_COPY_SIZE_VER0);
static_assert(sizeof(struct ipcoff_engine_counters) == 64);
static_assert(sizeof(struct ipcoff_stats) == IPCOFF_STATS_SIZE_VER0);
static_assert(sizeof(struct ipcoff_cqe) == 64);
static_assert(sizeof(struct ipcoff_ring_setup) == IPCOFF_RING_SETUP_SIZE_VER0);
static_assert(sizeof(struct ipcoff_submit) == IPCOFF_SUBMIT_SIZE_VER0);
static_assert(sizeof(struct ipcoff_wait) == IPCOFF_WAIT_SIZE_VER0);
static_assert(sizeof(struct ipcoff_eventfd) == IPCOFF_EVENTFD_SIZE_VER0);
static_assert(sizeof(struct ipcoff_buf_alloc) == IPCOFF_BUF_ALLOC_SIZE_VER0);
static_assert(sizeof(struct ipcoff_export) == IPCOFF_EXPORT_SIZE_VER0);
static_assert(sizeof(struct ipcoff_region_info) ==
	      IPCOFF_REGION_INFO_SIZE_VER0);
static_assert(sizeof(struct ipcoff_region_list) ==
	      IPCOFF_REGION_LIST_SIZE_VER0);
static_assert(offsetof(struct ipcoff_copy, len) == 80);
static_assert(offsetof(struct ipcoff_copy, copied) == 104);
static_assert(offsetof(struct ipcoff_region_reg, handle) == 24);

union ipcoff_ioc_arg {
	struct ipcoff_info info;
	struct ipcoff_region_reg reg;
	struct ipcoff_region_unreg unreg;
	struct ipcoff_grant grant;
	struct ipcoff_copy copy;
	struct ipcoff_stats stats;
	struct ipcoff_ring_setup ring;
	struct ipcoff_submit submit;
	struct ipcoff_wait wait;
	struct ipcoff_eventfd eventfd;
	struct ipcoff_buf_alloc buf_alloc;
	struct ipcoff_export export;
	struct ipcoff_region_list region_list;
};

#define IPCOFF_FEATURES (IPCOFF_FEAT_REGISTER | IPCOFF_FEAT_GRANT | \
			 IPCOFF_FEAT_COPY | IPCOFF_FEAT_IOVEC | \
			 IPCOFF_FEAT_SINGLE_USE | IPCOFF_FEAT_COPY_FALLBACK | \
			 IPCOFF_FEAT_STATS | IPCOFF_FEAT_COPY_DESCRIPTORS | \
			 IPCOFF_FEAT_DMA_IOVEC | IPCOFF_FEAT_ASYNC | \
			 IPCOFF_FEAT_EVENTFD | IPCOFF_FEAT_NOTIFY | \
			 IPCOFF_FEAT_CHUNKED | IPCOFF_FEAT_BUFFERS | \
			 IPCOFF_FEAT_MOVE | IPCOFF_FEAT_CACHE | \
			 IPCOFF_FEAT_SCHED | IPCOFF_FEAT_REGION_LIST)

static int ipcoff_ioc_get_info(struct ipcoff_ctx *ctx, void *arg)
{
	struct ipcoff_info *info = arg;

	if (info->flags)
		return -EINVAL;
	memset(info, 0, sizeof(*info));
	info->abi_version = IPCOFF_ABI_VERSION;
	info->features = IPCOFF_FEATURES;
	info->ioctls = BIT_ULL(IPCOFF_NR_GET_INFO) |
		       BIT_ULL(IPCOFF_NR_REGISTER) |
		       BIT_ULL(IPCOFF_NR_UNREGISTER) |
		       BIT_ULL(IPCOFF_NR_GRANT) | BIT_ULL(IPCOFF_NR_COPY) |
		       BIT_ULL(IPCOFF_NR_STATS) |
		       BIT_ULL(IPCOFF_NR_RING_SETUP) |
		       BIT_ULL(IPCOFF_NR_SUBMIT) | BIT_ULL(IPCOFF_NR_WAIT) |
		       BIT_ULL(IPCOFF_NR_SET_EVENTFD) |
		       BIT_ULL(IPCOFF_NR_BUF_ALLOC) | BIT_ULL(IPCOFF_NR_EXPORT) |
		       BIT_ULL(IPCOFF_NR_REGION_LIST);
	info->module_version = (IPCOFF_VERSION_MAJOR << 16) |
			       (IPCOFF_VERSION_MINOR << 8) |
			       IPCOFF_VERSION_PATCH;
	info->engines = ipcoff_engines_present();
	info->max_iovecs = IPCOFF_IOV_MAX;
	info->page_size = PAGE_SIZE;
	info->max_region_len = IPCOFF_MAX_REGION_LEN;
	return 0;
}

static int ipcoff_ioc_register(struct ipcoff_ctx *ctx, void *arg)
{
	return ipcoff_region_register(ctx, arg);
}

static int ipcoff_ioc_unregister(struct ipcoff_ctx *ctx, void *arg)
{
	struct ipcoff_region_unreg *unreg = arg;

	if (unreg->flags || unreg->pad)
		return -EINVAL;
	return ipcoff_region_unregister(ctx, unreg->handle);
}

static int ipcoff_ioc_grant(struct ipcoff_ctx *ctx, void *arg)
{
	return ipcoff_region_grant(ctx, arg);
}

static int ipcoff_ioc_copy(struct ipcoff_ctx *ctx, void *arg)
{
	return ipcoff_copy(ctx, arg);
}

static int ipcoff_ioc_stats(struct ipcoff_ctx *ctx, void *arg)
{
	struct ipcoff_stats *st = arg;
	u32 i;

	if (st->flags)
		return -EINVAL;
	memset(st, 0, sizeof(*st));
	st->nr_engines = IPCOFF_ENGINE_COUNT;
	st->pinned_pages = ipcoff_pinned_pages();
	st->regions = ipcoff_live_regions();
	st->dma_chans = ipcoff_dma_nr_chans();
	for (i = 0; i < IPCOFF_ENGINE_COUNT; i++)
		ipcoff_engine_counters(i, &st->engine[i]);
	ipcoff_cache_counters(st);
	return 0;
}

static int ipcoff_ioc_ring_setup(struct ipcoff_ctx *ctx, void *arg)
{
	return ipcoff_ring_setup(ctx, arg);
}

static int ipcoff_ioc_submit(struct ipcoff_ctx *ctx, void *arg)
{
	return ipcoff_submit(ctx, arg);
}

static int ipcoff_ioc_wait(struct ipcoff_ctx *ctx, void *arg)
{
	return ipcoff_ring_wait(ctx, arg);
}

static int ipcoff_ioc_set_eventfd(struct ipcoff_ctx *ctx, void *arg)
{
	return ipcoff_ring_set_eventfd(ctx, arg);
}

static int ipcoff_ioc_buf_alloc(struct ipcoff_ctx *ctx, void *arg)
{
	return ipcoff_region_buffer(ctx, arg);
}

static int ipcoff_ioc_export(struct ipcoff_ctx *ctx, void *arg)
{
	return ipcoff_export(ctx, arg);
}

static int ipcoff_ioc_region_list(struct ipcoff_ctx *ctx, void *arg)
{
	return ipcoff_region_list(ctx, arg);
}

/**
 * struct ipcoff_ioc_desc - how one command is dispatched
 * @cmd: the command as defined in the uapi header
 * @ksize: the struct size this module knows
 * @ver0: the struct's first published size when it grew since (a caller
 *	may pass any size from there on), else 0: @cmd's size
 * @out_on_error: copy the struct back also when the handler fails, so that
 *	partial results (COPY's @copied) reach user space
 * @fn: the handler
 */
struct ipcoff_ioc_desc {
	unsigned int cmd;
	unsigned int ksize;
	unsigned int ver0;
	bool out_on_error;
	int (*fn)(struct ipcoff_ctx *ctx, void *arg);
};

static const struct ipcoff_ioc_desc ipcoff_ioc_table[] = {
	[IPCOFF_NR_GET_INFO] = {
		.cmd = IPCOFF_IOC_GET_INFO,
		.ksize = sizeof(struct ipcoff_info),
		.fn = ipcoff_ioc_get_info,
	},
	[IPCOFF_NR_REGISTER] = {
		.cmd = IPCOFF_IOC_REGISTER,
		.ksize = sizeof(struct ipcoff_region_reg),
		.fn = ipcoff_ioc_register,
	},
	[IPCOFF_NR_UNREGISTER] = {
		.cmd = IPCOFF_IOC_UNREGISTER,
		.ksize = sizeof(struct ipcoff_region_unreg),
		.fn = ipcoff_ioc_unregister,
	},
	[IPCOFF_NR_GRANT] = {
		.cmd = IPCOFF_IOC_GRANT,
		.ksize = sizeof(struct ipcoff_grant),
		.fn = ipcoff_ioc_grant,
	},
	[IPCOFF_NR_COPY] = {
		.cmd = IPCOFF_IOC_COPY,
		.ksize = sizeof(struct ipcoff_copy),
		.ver0 = IPCOFF_COPY_SIZE_VER0,
		.out_on_error = true,
		.fn = ipcoff_ioc_copy,
	},
	[IPCOFF_NR_STATS] = {
		.cmd = IPCOFF_IOC_STATS,
		.ksize = sizeof(struct ipcoff_stats),
		.fn = ipcoff_ioc_stats,
	},
	[IPCOFF_NR_RING_SETUP] = {
		.cmd = IPCOFF_IOC_RING_SETUP,
		.ksize = sizeof(struct ipcoff_ring_setup),
		.fn = ipcoff_ioc_ring_setup,
	},
	[IPCOFF_NR_SUBMIT] = {
		.cmd = IPCOFF_IOC_SUBMIT,
		.ksize = sizeof(struct ipcoff_submit),
		.out_on_error = true,
		.fn = ipcoff_ioc_submit,
	},
	[IPCOFF_NR_WAIT] = {
		.cmd = IPCOFF_IOC_WAIT,
		.ksize = sizeof(struct ipcoff_wait),
		.out_on_error = true,
		.fn = ipcoff_ioc_wait,
	},
	[IPCOFF_NR_SET_EVENTFD] = {
		.cmd = IPCOFF_IOC_SET_EVENTFD,
		.ksize = sizeof(struct ipcoff_eventfd),
		.fn = ipcoff_ioc_set_eventfd,
	},
	[IPCOFF_NR_BUF_ALLOC] = {
		.cmd = IPCOFF_IOC_BUF_ALLOC,
		.ksize = sizeof(struct ipcoff_buf_alloc),
		.fn = ipcoff_ioc_buf_alloc,
	},
	[IPCOFF_NR_EXPORT] = {
		.cmd = IPCOFF_IOC_EXPORT,
		.ksize = sizeof(struct ipcoff_export),
		.fn = ipcoff_ioc_export,
	},
	[IPCOFF_NR_REGION_LIST] = {
		.cmd = IPCOFF_IOC_REGION_LIST,
		.ksize = sizeof(struct ipcoff_region_list),
		.fn = ipcoff_ioc_region_list,
	},
};

/* Same type, number and direction; any size of at least VER0's. */
static const struct ipcoff_ioc_desc *ipcoff_ioc_lookup(unsigned int cmd)
{
	const struct ipcoff_ioc_desc *desc;
	unsigned int nr = _IOC_NR(cmd);

	if (_IOC_TYPE(cmd) != IPCOFF_IOC_MAGIC ||
	    nr >= ARRAY_SIZE(ipcoff_ioc_table))
		return NULL;
	desc = &ipcoff_ioc_table[array_index_nospec(nr,
				 ARRAY_SIZE(ipcoff_ioc_table))];
	if (!desc->fn || _IOC_DIR(cmd) != _IOC_DIR(desc->cmd))
		return NULL;
	return desc;
}

/**
 * ipcoff_ioctl() - the file's unlocked_ioctl and compat_ioctl
 * @file: an open /dev/ipcoff
 * @cmd: IPCOFF_IOC_*, possibly with a larger or smaller size
 * @arg: user pointer to the command's struct
 *
 * Return: 0 or a negative errno; -ENOTTY for unknown commands, -EINVAL for
 * a struct smaller than its first published size, -E2BIG for a larger
 * struct whose unknown tail is not zero.
 */
long ipcoff_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	const struct ipcoff_ioc_desc *desc = ipcoff_ioc_lookup(cmd);
	void __user *uarg = (void __user *)arg;
	unsigned int usize = _IOC_SIZE(cmd);
	union ipcoff_ioc_arg karg;
	int ret;

	if (!desc)
		return -ENOTTY;
	if (usize < (desc->ver0 ? desc->ver0 : _IOC_SIZE(desc->cmd)))
		return -EINVAL;
	ret = copy_struct_from_user(&karg, desc->ksize, uarg, usize);
	if (ret)
		return ret;

	ret = desc->fn(file->private_data, &karg);

	if ((_IOC_DIR(cmd) & _IOC_READ) && (!ret || desc->out_on_error) &&
	    copy_to_user(uarg, &karg, min(usize, desc->ksize)))
		return -EFAULT;
	return ret;
}
