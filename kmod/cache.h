/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Cache actions of a copy (cache.c).
 */
#ifndef IPCOFF_CACHE_H
#define IPCOFF_CACHE_H

#include <linux/list.h>
#include <linux/types.h>

#include "ipcoff.h"

struct ipcoff_request;

/* Flags that need both ends pinned: the CPU reaches them by page. */
#define IPCOFF_COPY_CACHE_ANY	(IPCOFF_COPY_CACHE_CLWB | \
				 IPCOFF_COPY_CACHE_FLUSH | \
				 IPCOFF_COPY_CACHE_NONTEMPORAL | \
				 IPCOFF_COPY_INJECT)

/**
 * struct ipcoff_inject - destination lines to pull into a consumer's cache
 * @node: entry in the consumer's ring until its next WAIT
 * @nr_ranges: entries of @ranges
 * @nr_ext: entries of @ext
 * @ranges: byte ranges of the copy's destination
 * @ext: the destination's pinned extents (each region referenced)
 */
struct ipcoff_inject {
	struct list_head node;
	u32 nr_ranges;
	u32 nr_ext;
	struct ipcoff_range ranges[IPCOFF_INJECT_RANGES_MAX];
	struct ipcoff_extent ext[];
};

int ipcoff_cache_check(const struct ipcoff_copy *args);
int ipcoff_inject_prepare(struct ipcoff_request *req,
			  const struct ipcoff_copy *args);
void ipcoff_cache_after_copy(struct ipcoff_request *req);
void ipcoff_inject_run(struct ipcoff_inject *inj);
void ipcoff_inject_free(struct ipcoff_inject *inj);
void ipcoff_cache_nontemporal(u64 bytes);
void ipcoff_cache_counters(struct ipcoff_stats *st);

#endif /* IPCOFF_CACHE_H */
