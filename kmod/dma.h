/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The dma engine's internals: channels held from dmaengine providers and
 * the DMA mappings of regions.
 */
#ifndef IPCOFF_DMA_H
#define IPCOFF_DMA_H

#include <linux/dmaengine.h>
#include <linux/kref.h>
#include <linux/scatterlist.h>
#include <linux/wait.h>

#include "engine.h"

/* Most channels ipcoff holds (the module parameter is capped to this). */
#define IPCOFF_DMA_MAX_CHANS	16

/**
 * struct ipcoff_dma_chan - a dmaengine memcpy channel ipcoff holds
 * @ref: the table's reference plus one per request using it
 * @chan: the channel, requested privately
 * @dev: the device to map memory for (dmaengine_get_dma_device())
 * @node: NUMA node of @dev
 * @broken: a request timed out on it: out of rotation until released
 * @inflight: descriptors submitted and not completed
 * @wq: woken when a descriptor completes, for submitters facing a full ring
 * @release_work: releases the channel once the last reference is gone
 */
struct ipcoff_dma_chan {
	struct kref ref;
	struct dma_chan *chan;
	struct device *dev;
	int node;
	bool broken;
	atomic_t inflight;
	wait_queue_head_t wq;
	struct work_struct release_work;
};

/**
 * struct ipcoff_dma_sgt - a region as one device sees it
 * @dev: the device
 * @sgt: the region's pages, mapped; segment 0 starts at region offset 0
 * @need_sync: bounce buffers (swiotlb): sync every piece around the DMA
 */
struct ipcoff_dma_sgt {
	struct device *dev;
	struct sg_table sgt;
	bool need_sync;
};

/* dma_chan.c */
int ipcoff_dma_chans_get(struct ipcoff_dma_chan **chans, int max, int node);
void ipcoff_dma_chan_put(struct ipcoff_dma_chan *c);
void ipcoff_dma_queue_work(struct work_struct *work);
int ipcoff_dma_nr_chans(void);
bool ipcoff_dma_have_chans(void);
int ipcoff_dma_rescan(void);
void ipcoff_dma_release_all(void);
int ipcoff_dma_init(void);
void ipcoff_dma_exit(void);

/* dma_map.c */
const struct ipcoff_dma_sgt *ipcoff_dma_map_region(struct ipcoff_region *r,
						   struct device *dev,
						   bool *mapped);
void ipcoff_dma_unmap_region(struct ipcoff_region *r);
void ipcoff_dma_unmap_device(struct device *dev);

/* engine_dma.c */
extern struct ipcoff_engine ipcoff_engine_dma;

#endif /* IPCOFF_DMA_H */
