// SPDX-License-Identifier: GPL-2.0
/*
 * The elide engine: a copy done without moving a byte. So far it serves
 * copies whose source and destination already are the same bytes: the
 * same pages at the same offsets (two registrations of one shared mapping,
 * a region copied onto its own alias). Page exchange between ipcoff
 * buffers joins it when the buffers exist.
 */
#include <linux/minmax.h>
#include <linux/mm.h>
#include <linux/sched.h>

#include "engine.h"

/* The page holding byte @pos of a pinned end; @span: bytes left in it. */
static struct page *ipcoff_elide_page(const struct ipcoff_xfer_end *end,
				      u64 pos, unsigned int *poff, u64 *span)
{
	u32 i;

	for (i = 0; i < end->ext_cnt; i++) {
		const struct ipcoff_extent *x = &end->ext[i];
		u64 at;

		if (pos >= x->len) {
			pos -= x->len;
			continue;
		}
		at = x->region->first_off + x->offset + pos;
		*poff = offset_in_page(at);
		*span = min_t(u64, x->len - pos, PAGE_SIZE - *poff);
		return x->region->pages[at >> PAGE_SHIFT];
	}
	return NULL;
}

static bool ipcoff_elide_present(void)
{
	return true;
}

/* Same pages, same offsets, all the way; stops at the first difference. */
static int ipcoff_elide_serves(const struct ipcoff_request *req)
{
	u64 pos = 0, n = 0;

	if (!req->src.ext_cnt || !req->dst.ext_cnt)
		return -EOPNOTSUPP;
	while (pos < req->len) {
		unsigned int soff, doff;
		u64 sspan, dspan;
		struct page *sp, *dp;

		sp = ipcoff_elide_page(&req->src, req->skip + pos, &soff,
				       &sspan);
		dp = ipcoff_elide_page(&req->dst, req->skip + pos, &doff,
				       &dspan);
		if (!sp || sp != dp || soff != doff)
			return -EOPNOTSUPP;
		pos += min(sspan, dspan);
		if (!(++n % 4096))
			cond_resched();
	}
	return 0;
}

static void ipcoff_elide_submit(struct ipcoff_request *req)
{
	ipcoff_request_complete(req, 0, req->len);
}

struct ipcoff_engine ipcoff_engine_elide = {
	.id = IPCOFF_ENGINE_ELIDE,
	.name = "elide",
	.present = ipcoff_elide_present,
	.serves = ipcoff_elide_serves,
	.submit = ipcoff_elide_submit,
};
