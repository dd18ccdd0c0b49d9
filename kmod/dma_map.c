// SPDX-License-Identifier: GPL-2.0
/*
 * DMA mappings of regions: made once per (region, DMA device) at the first
 * DMA copy that needs them and kept until the region is released or the
 * device's last channel goes, whichever comes first. Mapping per copy
 * would cost an IOVA allocation each time with an IOMMU.
 */
#include <linux/dma-mapping.h>
#include <linux/slab.h>

#include "dma.h"

/* Every live mapping, so a departing device can take its own away. */
static LIST_HEAD(ipcoff_dma_maps);
static DEFINE_MUTEX(ipcoff_dma_maps_lock);

/**
 * struct ipcoff_dma_map - one region mapped for one device
 * @rnode: entry in the region's @dma_maps
 * @dnode: entry in the module-wide list
 * @region: the region
 * @map: what the engine uses
 */
struct ipcoff_dma_map {
	struct list_head rnode;
	struct list_head dnode;
	struct ipcoff_region *region;
	struct ipcoff_dma_sgt map;
};

static void ipcoff_dma_map_free(struct ipcoff_dma_map *m)
{
	dma_unmap_sgtable(m->map.dev, &m->map.sgt, DMA_BIDIRECTIONAL,
			  DMA_ATTR_SKIP_CPU_SYNC);
	sg_free_table(&m->map.sgt);
	list_del(&m->rnode);
	list_del(&m->dnode);
	kfree(m);
}

/* Caller holds ipcoff_dma_maps_lock. */
static struct ipcoff_dma_map *ipcoff_dma_map_new(struct ipcoff_region *r,
						 struct device *dev)
{
	unsigned int max_seg = min_t(size_t, dma_get_max_seg_size(dev),
				     dma_max_mapping_size(dev));
	struct ipcoff_dma_map *m;
	struct scatterlist *sg;
	int ret, i;

	m = kzalloc(sizeof(*m), GFP_KERNEL);
	if (!m)
		return ERR_PTR(-ENOMEM);
	ret = sg_alloc_table_from_pages_segment(&m->map.sgt, r->pages,
						r->npages, r->first_off,
						r->len, max_seg & PAGE_MASK,
						GFP_KERNEL);
	if (ret)
		goto err_free;
	/*
	 * The engine syncs each piece around its own DMA; a sync of the
	 * whole region at unmap would copy stale bounce buffers (swiotlb)
	 * over bytes the owner wrote since.
	 */
	ret = dma_map_sgtable(dev, &m->map.sgt, DMA_BIDIRECTIONAL,
			      DMA_ATTR_SKIP_CPU_SYNC);
	if (ret)
		goto err_table;
	m->map.dev = dev;
	for_each_sgtable_dma_sg(&m->map.sgt, sg, i)
		if (dma_need_sync(dev, sg_dma_address(sg)))
			m->map.need_sync = true;
	m->region = r;
	list_add(&m->rnode, &r->dma_maps);
	list_add(&m->dnode, &ipcoff_dma_maps);
	return m;

err_table:
	sg_free_table(&m->map.sgt);
err_free:
	kfree(m);
	return ERR_PTR(ret);
}

/**
 * ipcoff_dma_map_region() - a region's mapping for a device
 * @r: the region, referenced by the caller
 * @dev: the DMA device, whose channel the caller holds
 * @mapped: set to true when this call made the mapping, untouched if not
 *
 * Maps on first use. The mapping stays valid while the caller holds both
 * the region and the channel.
 *
 * Return: the mapping, or an ERR_PTR() if the device cannot map the region.
 */
const struct ipcoff_dma_sgt *ipcoff_dma_map_region(struct ipcoff_region *r,
						   struct device *dev,
						   bool *mapped)
{
	struct ipcoff_dma_map *m;

	mutex_lock(&ipcoff_dma_maps_lock);
	list_for_each_entry(m, &r->dma_maps, rnode)
		if (m->map.dev == dev)
			goto out;
	m = ipcoff_dma_map_new(r, dev);
	if (!IS_ERR(m))
		*mapped = true;
out:
	mutex_unlock(&ipcoff_dma_maps_lock);
	return IS_ERR(m) ? ERR_CAST(m) : &m->map;
}

/**
 * ipcoff_dma_unmap_region() - drop every mapping of a region
 * @r: a region nobody uses any more
 */
void ipcoff_dma_unmap_region(struct ipcoff_region *r)
{
	struct ipcoff_dma_map *m, *tmp;

	mutex_lock(&ipcoff_dma_maps_lock);
	list_for_each_entry_safe(m, tmp, &r->dma_maps, rnode)
		ipcoff_dma_map_free(m);
	mutex_unlock(&ipcoff_dma_maps_lock);
}

/**
 * ipcoff_dma_unmap_device() - drop every mapping made for a device
 * @dev: a DMA device whose last channel ipcoff is releasing
 */
void ipcoff_dma_unmap_device(struct device *dev)
{
	struct ipcoff_dma_map *m, *tmp;

	mutex_lock(&ipcoff_dma_maps_lock);
	list_for_each_entry_safe(m, tmp, &ipcoff_dma_maps, dnode)
		if (m->map.dev == dev)
			ipcoff_dma_map_free(m);
	mutex_unlock(&ipcoff_dma_maps_lock);
}
