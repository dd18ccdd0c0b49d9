// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * ipcoff-bench: one-way streams. Process 0 produces, process 1 consumes,
 * over one channel as fast as they can.
 *
 *  stream          the consumer gets each message into its own buffer
 *                  (shm: copies it out; cma, ipcoff: the one copy lands
 *                  there)
 *  stream-inplace  the consumer reads every byte of each message where
 *                  the transport left it (shm: in the shared ring)
 *  pipeline        3 MiB tensors with 1 KiB of metadata each, between two
 *                  stages; the metadata travels inline in the descriptor
 *  video           1080p YUV420 frames of 3,110,400 bytes
 *
 * The producer stamps every message (workload.c: sequence numbers along
 * the payload) and the consumer checks the stamps. Latency is from the
 * moment the message got its ring slot to the moment the consumer has it
 * (and, in place, has read it): in a saturated stream that includes the
 * queue ahead of it.
 */
#include <stdio.h>
#include <string.h>

#include "bench.h"

static size_t payload_of(const struct bench_case *c)
{
	switch (c->wl) {
	case WL_PIPELINE:
		return PIPELINE_TENSOR;
	case WL_VIDEO:
		return VIDEO_FRAME;
	default:
		return c->size;
	}
}

static unsigned int stream_nprocs(const struct bench_case *c)
{
	(void)c;
	return 2;
}

static unsigned int stream_chans(const struct bench_case *c,
				 struct chan_cfg *cfg)
{
	cfg[0].slot_size = payload_of(c);
	cfg[0].depth = depth_for(cfg[0].slot_size);
	cfg[0].meta_max = c->wl == WL_PIPELINE ? PIPELINE_META : 0;
	cfg[0].inplace = c->wl == WL_STREAM_INPLACE;
	return 1;
}

static size_t stream_size(const struct bench_case *c)
{
	return payload_of(c) + (c->wl == WL_PIPELINE ? PIPELINE_META : 0);
}

static int stream_receiver(const struct bench_case *c, unsigned int idx)
{
	(void)c;
	return idx == 1;
}

static int producer(struct proc_ctx *p)
{
	struct chan *ch = p->chans[0];
	const struct transport_ops *ops = ch->t->ops;
	size_t slot = ch->cfg.slot_size;
	unsigned char meta[PIPELINE_META];
	struct tx tx = { .ch = ch };
	struct msg m;
	uint64_t seq = 0;
	int ret;

	tx.area_len = slot * ch->cfg.depth;
	if (!ops->tx_area) {
		tx.area = area_alloc(tx.area_len);
		if (!tx.area)
			proc_fail(p, ST_ERROR, "producer: out of memory");
	}
	memset(meta, 0xa5, sizeof(meta));
	ret = ops->tx_open(&tx);
	if (ret)
		proc_fail(p, ret, tx.why[0] ? tx.why :
			  "producer: transport setup failed");
	memset(tx.area, 0x5a, tx.area_len);
	proc_barrier(p);	/* every sender open */
	proc_barrier(p);	/* every receiver open */

	while (proc_phase(p) != PH_STOP) {
		memset(&m, 0, sizeof(m));
		m.seq = seq;
		m.off = (seq & (ch->cfg.depth - 1)) * slot;
		m.len = slot;
		/* The slot is ours again once the ring has room for it. */
		ring_reserve(ch->ring, (uint32_t)seq);
		produce_payload(ch, (char *)tx.area + m.off, m.len, seq);
		if (ch->cfg.meta_max) {
			memcpy(meta, &seq, sizeof(seq));
			m.meta = meta;
			m.meta_len = ch->cfg.meta_max;
		}
		ret = ops->send(&tx, &m);
		if (ret)
			proc_fail(p, ret, tx.why[0] ? tx.why :
				  "producer: send failed");
		seq++;
	}
	memset(&m, 0, sizeof(m));
	m.seq = seq;
	m.flags = DESC_END;
	ops->send(&tx, &m);

	proc_barrier(p);	/* nobody reads from us any more */
	ops->tx_close(&tx);
	return 0;
}

static int consumer(struct proc_ctx *p)
{
	struct chan *ch = p->chans[0];
	const struct transport_ops *ops = ch->t->ops;
	unsigned char meta[PIPELINE_META];
	struct rx rx = { .ch = ch };
	volatile uint64_t sink = 0;
	struct msg m;
	int ret;

	rx.area_len = ch->cfg.slot_size * ch->cfg.depth;
	rx.area = area_alloc(rx.area_len);
	if (!rx.area)
		proc_fail(p, ST_ERROR, "consumer: out of memory");
	proc_barrier(p);
	ret = ops->rx_open(&rx);
	if (ret)
		proc_fail(p, ret, rx.why[0] ? rx.why :
			  "consumer: transport setup failed");
	proc_barrier(p);

	for (;;) {
		uint64_t seq, t;
		int ok;

		ret = ops->recv(&rx, &m);
		if (ret)
			proc_fail(p, ret, rx.why);
		if (m.flags & DESC_END) {
			ops->release(&rx, &m);
			break;
		}
		/*
		 * In place: every byte, as it arrives (a transport may hand
		 * out the first chunks of a message while the rest moves).
		 */
		for (uint64_t at = 0; ch->cfg.inplace;) {
			sink += read_every_byte((const char *)m.data + at,
						m.ready - at);
			at = m.ready;
			if (at >= m.len)
				break;
			ret = ops->more(&rx, &m);
			if (ret)
				proc_fail(p, ret, rx.why);
		}
		ok = check_payload(m.data, m.len, m.seq);
		if (m.meta_len) {
			memcpy(meta, m.meta, m.meta_len);
			memcpy(&seq, meta, sizeof(seq));
			ok &= seq == m.seq;
		}
		t = now_ns();
		if (proc_phase(p) == PH_MEASURE) {
			proc_record(p, t - m.t_send, m.len + m.meta_len);
			p->res->bad += !ok;
		}
		ops->release(&rx, &m);
	}
	proc_phase(p);
	(void)sink;

	proc_barrier(p);
	ops->rx_close(&rx);
	return 0;
}

static int stream_role(struct proc_ctx *p)
{
	return p->idx == 0 ? producer(p) : consumer(p);
}

const struct workload_ops stream_ops = {
	.name = "stream",
	.nprocs = stream_nprocs,
	.chans = stream_chans,
	.role = stream_role,
	.receiver = stream_receiver,
	.size = stream_size,
};
