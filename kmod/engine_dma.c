// SPDX-License-Identifier: GPL-2.0
/*
 * The dma engine: a copy between pinned memory (regions, or local iovecs
 * pinned at submit) becomes one dmaengine memcpy descriptor per piece that
 * is contiguous on both sides, striped over the held channels. The same
 * code drives ioatdma (in-order completion, prep holds the channel lock
 * until submit) and idxd (out-of-order completion, no completion without
 * DMA_PREP_INTERRUPT, fence ignored): every descriptor asks for an
 * interrupt, completion is counted per piece in any order, and prep is
 * always followed at once by submit.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/dma-mapping.h>
#include <linux/delay.h>
#include <linux/module.h>
#include <linux/slab.h>

#include "dma.h"
#include "sched.h"

static unsigned int dma_max_xfer = 2 << 20;
module_param(dma_max_xfer, uint, 0644);
MODULE_PARM_DESC(dma_max_xfer,
		 "largest descriptor in bytes (idxd's per-queue limit is not visible through dmaengine)");

static unsigned int dma_timeout_ms = 5000;
module_param(dma_timeout_ms, uint, 0644);
MODULE_PARM_DESC(dma_timeout_ms,
		 "how long a copy waits for the DMA engine before ETIMEDOUT");

static unsigned int dma_prep_retries = 50;
module_param(dma_prep_retries, uint, 0644);
MODULE_PARM_DESC(dma_prep_retries,
		 "retries of a prep that found the ring full before the piece goes to the CPU");

/* Longest wait for a full ring to drain a little, per retry. */
#define IPCOFF_DMA_RING_WAIT_MS	10
/* Pieces queued on a channel between two kicks. */
#define IPCOFF_DMA_KICK_EVERY	32

enum ipcoff_piece_state {
	IPCOFF_PIECE_PENDING,
	IPCOFF_PIECE_DONE,	/* the engine moved it */
	IPCOFF_PIECE_FAILED,	/* the engine reported an error */
	IPCOFF_PIECE_CPU,	/* never reached the engine: CPU copy */
};

struct ipcoff_dma_req;

/**
 * struct ipcoff_dma_piece - one descriptor's worth of a copy
 * @dr: the request it belongs to
 * @c: the channel it was submitted on
 * @off: offset from the start of the copy
 * @len: bytes
 * @src: bus address of the source
 * @dst: bus address of the destination
 * @src_sync: the source is bounced (swiotlb): sync it for the device
 * @dst_sync: the destination is bounced: sync it both ways
 * @state: enum ipcoff_piece_state
 */
struct ipcoff_dma_piece {
	struct ipcoff_dma_req *dr;
	struct ipcoff_dma_chan *c;
	u64 off;
	u32 len;
	dma_addr_t src;
	dma_addr_t dst;
	bool src_sync;
	bool dst_sync;
	int state;
};

/**
 * struct ipcoff_dma_req - the dma engine's state of one request
 * @req: the request
 * @pending: pieces not completed, plus one while submitting
 * @chans: the channels (referenced) the pieces go to
 * @nchans: entries in @chans
 * @dev: the device all of them belong to
 * @work: finishes the request where a CPU redo is needed
 * @npieces: entries in @pieces
 * @pieces: the pieces, in copy order
 */
struct ipcoff_dma_req {
	struct ipcoff_request *req;
	atomic_t pending;
	struct ipcoff_dma_chan *chans[IPCOFF_DMA_MAX_CHANS];
	int nchans;
	struct device *dev;
	struct work_struct work;
	u32 npieces;
	struct ipcoff_dma_piece pieces[];
};

/* A position in one side's mappings: extent, segment, offset. */
struct ipcoff_sg_pos {
	const struct ipcoff_xfer_end *end;
	const struct ipcoff_dma_sgt **maps;	/* one per extent */
	u32 idx;		/* extent */
	u64 left;		/* bytes of the extent from the cursor on */
	struct scatterlist *sg;
	u64 off;		/* offset in @sg */
};

static void ipcoff_sg_seek(struct ipcoff_sg_pos *p, u32 idx)
{
	const struct ipcoff_extent *x = &p->end->ext[idx];
	struct scatterlist *sg = p->maps[idx]->sgt.sgl;
	u64 off = x->offset;

	while (off >= sg_dma_len(sg)) {
		off -= sg_dma_len(sg);
		sg = sg_next(sg);
	}
	p->idx = idx;
	p->left = x->len;
	p->sg = sg;
	p->off = off;
}

static u64 ipcoff_sg_span(struct ipcoff_sg_pos *p)
{
	return min_t(u64, sg_dma_len(p->sg) - p->off, p->left);
}

static void ipcoff_sg_advance(struct ipcoff_sg_pos *p, u64 n)
{
	p->off += n;
	p->left -= n;
	if (!p->left) {
		if (p->idx + 1 < p->end->ext_cnt)
			ipcoff_sg_seek(p, p->idx + 1);
	} else if (p->off == sg_dma_len(p->sg)) {
		p->sg = sg_next(p->sg);
		p->off = 0;
	}
}

/* Passes over the first @n bytes, for a chunk of a larger copy. */
static void ipcoff_sg_skip(struct ipcoff_sg_pos *p, u64 n)
{
	while (n) {
		u64 step = min(n, ipcoff_sg_span(p));

		ipcoff_sg_advance(p, step);
		n -= step;
	}
}

/* Walks both sides' mappings; fills @pieces when non-NULL. Returns the count. */
static u32 ipcoff_dma_cut(const struct ipcoff_request *req,
			  const struct ipcoff_dma_sgt **smaps,
			  const struct ipcoff_dma_sgt **dmaps,
			  struct ipcoff_dma_piece *pieces)
{
	u64 max = max_t(u64, READ_ONCE(dma_max_xfer), PAGE_SIZE);
	struct ipcoff_sg_pos s = { .end = &req->src, .maps = smaps };
	struct ipcoff_sg_pos d = { .end = &req->dst, .maps = dmaps };
	u64 done = 0;
	u32 n = 0;

	ipcoff_sg_seek(&s, 0);
	ipcoff_sg_seek(&d, 0);
	ipcoff_sg_skip(&s, req->skip);
	ipcoff_sg_skip(&d, req->skip);
	while (done < req->len) {
		u64 len = min3(req->len - done, ipcoff_sg_span(&s),
			       ipcoff_sg_span(&d));

		len = min(len, max);
		if (pieces) {
			pieces[n].off = done;
			pieces[n].len = len;
			pieces[n].src = sg_dma_address(s.sg) + s.off;
			pieces[n].dst = sg_dma_address(d.sg) + d.off;
			pieces[n].src_sync = smaps[s.idx]->need_sync;
			pieces[n].dst_sync = dmaps[d.idx]->need_sync;
		}
		n++;
		done += len;
		ipcoff_sg_advance(&s, len);
		ipcoff_sg_advance(&d, len);
	}
	return n;
}

/* Every extent of one side mapped for @dev, into @maps. */
static int ipcoff_dma_map_end(const struct ipcoff_xfer_end *end,
			      struct device *dev,
			      const struct ipcoff_dma_sgt **maps, bool *mapped)
{
	u32 i;

	for (i = 0; i < end->ext_cnt; i++) {
		maps[i] = ipcoff_dma_map_region(end->ext[i].region, dev,
						mapped);
		/* Out of IOVA or bounce-buffer space, whatever the layer said. */
		if (IS_ERR(maps[i]))
			return -ENOMEM;
	}
	return 0;
}

/* The bytes that arrived, counted from the start up to the first hole. */
static u64 ipcoff_dma_prefix(struct ipcoff_dma_req *dr)
{
	u64 copied = 0;
	u32 i;

	for (i = 0; i < dr->npieces; i++) {
		if (dr->pieces[i].state != IPCOFF_PIECE_DONE &&
		    dr->pieces[i].state != IPCOFF_PIECE_CPU)
			break;
		copied += dr->pieces[i].len;
	}
	return copied;
}

static int ipcoff_dma_cpu_piece(struct ipcoff_request *req,
				struct ipcoff_dma_piece *p)
{
	u64 copied;

	atomic64_inc(&ipcoff_engine_dma.stats.fallbacks);
	return ipcoff_cpu_copy(req, req->skip + p->off, p->len, &copied, NULL);
}

static void ipcoff_dma_finish(struct ipcoff_dma_req *dr)
{
	struct ipcoff_request *req = dr->req;
	unsigned long flags;
	int ret = 0, i;
	u32 k;

	for (k = 0; k < dr->npieces; k++)
		if (dr->pieces[k].state == IPCOFF_PIECE_FAILED)
			ret = -EIO;

	spin_lock_irqsave(&req->lock, flags);
	req->priv = NULL;
	spin_unlock_irqrestore(&req->lock, flags);
	for (i = 0; i < dr->nchans; i++)
		ipcoff_dma_chan_put(dr->chans[i]);
	ipcoff_request_complete(req, ret, ipcoff_dma_prefix(dr));
	kvfree(dr);
}

/* Redoes what the engine failed on the CPU, in process context. */
static void ipcoff_dma_redo_work(struct work_struct *work)
{
	struct ipcoff_dma_req *dr =
		container_of(work, struct ipcoff_dma_req, work);
	u32 k;

	for (k = 0; k < dr->npieces; k++) {
		struct ipcoff_dma_piece *p = &dr->pieces[k];

		if (p->state == IPCOFF_PIECE_FAILED &&
		    !ipcoff_dma_cpu_piece(dr->req, p))
			p->state = IPCOFF_PIECE_CPU;
	}
	ipcoff_dma_finish(dr);
}

static void ipcoff_dma_piece_put(struct ipcoff_dma_req *dr)
{
	bool failed = false;
	u32 k;

	if (!atomic_dec_and_test(&dr->pending))
		return;
	if (dr->req->flags & IPCOFF_COPY_CPU_FALLBACK)
		for (k = 0; k < dr->npieces && !failed; k++)
			failed = dr->pieces[k].state == IPCOFF_PIECE_FAILED;
	if (failed) {
		INIT_WORK(&dr->work, ipcoff_dma_redo_work);
		ipcoff_dma_queue_work(&dr->work);
		return;
	}
	ipcoff_dma_finish(dr);
}

/* Any context (tasklet, threaded IRQ, bottom halves off); never sleeps. */
static void ipcoff_dma_piece_done(void *param,
				  const struct dmaengine_result *res)
{
	struct ipcoff_dma_piece *p = param;
	struct ipcoff_dma_req *dr = p->dr;

	if (res && res->result != DMA_TRANS_NOERROR) {
		p->state = IPCOFF_PIECE_FAILED;
	} else {
		if (p->dst_sync)
			dma_sync_single_for_cpu(dr->dev, p->dst, p->len,
						DMA_BIDIRECTIONAL);
		p->state = IPCOFF_PIECE_DONE;
	}
	atomic_dec(&p->c->inflight);
	if (wq_has_sleeper(&p->c->wq))
		wake_up(&p->c->wq);
	ipcoff_dma_piece_put(dr);
}

/* Prep, retrying a full ring after kicking it; then submit at once. */
static bool ipcoff_dma_issue(struct ipcoff_dma_req *dr,
			     struct ipcoff_dma_piece *p)
{
	struct dma_chan *chan = p->c->chan;
	struct dma_async_tx_descriptor *tx;
	unsigned int tries = 0;
	dma_cookie_t cookie;

	if (p->src_sync)
		dma_sync_single_for_device(dr->dev, p->src, p->len,
					   DMA_BIDIRECTIONAL);
	if (p->dst_sync)
		dma_sync_single_for_device(dr->dev, p->dst, p->len,
					   DMA_BIDIRECTIONAL);
	for (;;) {
		int busy = atomic_read(&p->c->inflight);

		tx = dmaengine_prep_dma_memcpy(chan, p->dst, p->src, p->len,
					       DMA_PREP_INTERRUPT |
					       DMA_CTRL_ACK);
		if (tx || tries++ >= READ_ONCE(dma_prep_retries))
			break;
		/* Ring full: start what is queued, wait for it to move. */
		dma_async_issue_pending(chan);
		wait_event_timeout(p->c->wq,
				   atomic_read(&p->c->inflight) < busy,
				   msecs_to_jiffies(IPCOFF_DMA_RING_WAIT_MS));
	}
	if (!tx)
		return false;
	tx->callback_result = ipcoff_dma_piece_done;
	tx->callback_param = p;
	atomic_inc(&dr->pending);
	atomic_inc(&p->c->inflight);
	cookie = dmaengine_submit(tx);
	if (dma_submit_error(cookie)) {
		atomic_dec(&p->c->inflight);
		atomic_dec(&dr->pending);
		return false;
	}
	atomic64_inc(&ipcoff_engine_dma.stats.descriptors);
	dr->req->descriptors++;
	return true;
}

/* Keeps the channels that share the first one's device; puts the rest. */
static int ipcoff_dma_same_device(struct ipcoff_dma_chan **chans, int n)
{
	int i, kept = 1;

	for (i = 1; i < n; i++) {
		if (chans[i]->dev == chans[0]->dev)
			chans[kept++] = chans[i];
		else
			ipcoff_dma_chan_put(chans[i]);
	}
	return kept;
}

/* NUMA node of the destination's first page: where the data is wanted. */
static int ipcoff_dma_node(const struct ipcoff_request *req)
{
	const struct ipcoff_extent *x = &req->dst.ext[0];
	u64 at = x->region->first_off + x->offset;

	return page_to_nid(x->region->pages[at >> PAGE_SHIFT]);
}

static void ipcoff_dma_submit(struct ipcoff_request *req)
{
	struct ipcoff_dma_chan *chans[IPCOFF_DMA_MAX_CHANS];
	const struct ipcoff_dma_sgt **smaps, **dmaps;
	struct ipcoff_dma_req *dr;
	bool mapped = false;
	int nchans, i, ret;
	u32 n, k;

	nchans = ipcoff_dma_chans_get(chans, IPCOFF_DMA_MAX_CHANS,
				      ipcoff_dma_node(req));
	if (!nchans) {
		ret = -ENODEV;
		goto err_put;
	}
	nchans = ipcoff_dma_same_device(chans, nchans);

	smaps = kmalloc_array(req->src.ext_cnt + req->dst.ext_cnt,
			      sizeof(*smaps), GFP_KERNEL);
	if (!smaps) {
		ret = -ENOMEM;
		goto err_put;
	}
	dmaps = smaps + req->src.ext_cnt;
	ret = ipcoff_dma_map_end(&req->src, chans[0]->dev, smaps, &mapped);
	if (!ret)
		ret = ipcoff_dma_map_end(&req->dst, chans[0]->dev, dmaps,
					 &mapped);
	if (ret)
		goto err_maps;
	/*
	 * Mapping a whole region for the device is paid once, by the first
	 * copy that uses it: not what this engine's copies cost.
	 */
	if (mapped)
		ipcoff_sched_no_sample(req);

	n = ipcoff_dma_cut(req, smaps, dmaps, NULL);
	dr = kvzalloc(struct_size(dr, pieces, n), GFP_KERNEL);
	if (!dr) {
		ret = -ENOMEM;
		goto err_maps;
	}
	dr->req = req;
	dr->dev = chans[0]->dev;
	dr->npieces = n;
	dr->nchans = nchans;
	memcpy(dr->chans, chans, nchans * sizeof(chans[0]));
	ipcoff_dma_cut(req, smaps, dmaps, dr->pieces);
	kfree(smaps);
	atomic_set(&dr->pending, 1);	/* dropped once all are submitted */
	req->priv = dr;

	for (k = 0; k < n; k++) {
		struct ipcoff_dma_piece *p = &dr->pieces[k];

		p->dr = dr;
		p->c = chans[k % nchans];
		if (!ipcoff_dma_issue(dr, p))
			p->state = IPCOFF_PIECE_CPU;
		/* Keep engines that wait for issue_pending (ioat) busy. */
		if (k / nchans % IPCOFF_DMA_KICK_EVERY == IPCOFF_DMA_KICK_EVERY - 1)
			dma_async_issue_pending(p->c->chan);
	}
	for (i = 0; i < nchans; i++)
		dma_async_issue_pending(chans[i]->chan);
	/* Ring full or queue disabled past all retries: the CPU does it. */
	for (k = 0; k < n; k++) {
		struct ipcoff_dma_piece *p = &dr->pieces[k];

		if (p->state == IPCOFF_PIECE_CPU && ipcoff_dma_cpu_piece(req, p))
			p->state = IPCOFF_PIECE_FAILED;
	}
	ipcoff_dma_piece_put(dr);
	return;

err_maps:
	kfree(smaps);
err_put:
	for (i = 0; i < nchans; i++)
		ipcoff_dma_chan_put(chans[i]);
	if (!req->forced) {
		u64 copied = 0;

		/* The scheduler's choice, not the caller's: CPU instead. */
		atomic64_inc(&ipcoff_engine_dma.stats.fallbacks);
		req->ran = IPCOFF_ENGINE_CPU;
		ret = ipcoff_cpu_copy(req, req->skip, req->len, &copied,
				      &req->descriptors);
		ipcoff_request_complete(req, ret, copied);
		return;
	}
	ipcoff_request_complete(req, ret, 0);
}

/* The waiter gave up: whatever channel it used is taken out of rotation. */
static void ipcoff_dma_timed_out(struct ipcoff_request *req)
{
	struct ipcoff_dma_req *dr;
	unsigned long flags;
	int i;

	spin_lock_irqsave(&req->lock, flags);
	dr = req->priv;
	for (i = 0; dr && i < dr->nchans; i++) {
		if (!atomic_read(&dr->chans[i]->inflight))
			continue;
		WRITE_ONCE(dr->chans[i]->broken, true);
		pr_warn("%s: request timed out; channel out of rotation\n",
			dma_chan_name(dr->chans[i]->chan));
	}
	spin_unlock_irqrestore(&req->lock, flags);
}

static unsigned int ipcoff_dma_timeout_ms(void)
{
	return READ_ONCE(dma_timeout_ms);
}

static bool ipcoff_dma_present(void)
{
	return ipcoff_dma_have_chans();
}

/* Local iovecs are pinned before submit (needs_pages). */
static int ipcoff_dma_serves(const struct ipcoff_request *req)
{
	return 0;
}

struct ipcoff_engine ipcoff_engine_dma = {
	.id = IPCOFF_ENGINE_DMA,
	.name = "dma",
	.present = ipcoff_dma_present,
	.needs_pages = true,
	.serves = ipcoff_dma_serves,
	.submit = ipcoff_dma_submit,
	.timeout_ms = ipcoff_dma_timeout_ms,
	.timed_out = ipcoff_dma_timed_out,
};
