// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * ipcoff-bench: the transports under test, and what their send and recv
 * paths share (descriptor fill and read-back).
 *
 * A new transport is one more entry here with its own ops table; the
 * workloads, the harness and the output never name a transport. Within a
 * block the runs go in this order, so each ipcoff engine's synchronous
 * and asynchronous rows sit side by side.
 */
#include <stdio.h>
#include <string.h>
#include <linux/ipcoff.h>

#include "bench.h"

const struct transport transports[] = {
	{ "shm", "shm", "cpu", "sync", 0, 1, &shm_ops, 0 },
	{ "cma", "cma", "cpu", "sync", 0, 0, &cma_ops, 0 },
	{ "ipcoff/cpu", "ipcoff", "cpu", "sync", IPCOFF_ENGINE_CPU, 0,
	  &ipcoff_sync_ops, 0 },
	{ "ipcoff/cpu/async", "ipcoff", "cpu", "async", IPCOFF_ENGINE_CPU, 0,
	  &ipcoff_async_ops, 0 },
	{ "ipcoff/cpu/inject", "ipcoff", "cpu", "inject", IPCOFF_ENGINE_CPU, 0,
	  &ipcoff_inject_ops, 0 },
	{ "ipcoff/dma", "ipcoff", "dma", "sync", IPCOFF_ENGINE_DMA, 0,
	  &ipcoff_sync_ops, 0 },
	{ "ipcoff/dma/async", "ipcoff", "dma", "async", IPCOFF_ENGINE_DMA, 0,
	  &ipcoff_async_ops, 0 },
	/* The module's scheduler picks per copy (issue 8). */
	{ "ipcoff/auto", "ipcoff", "auto", "sync", IPCOFF_ENGINE_AUTO, 0,
	  &ipcoff_sync_ops, 0 },
	{ "ipcoff/elide", "ipcoff", "elide", "sync", IPCOFF_ENGINE_ELIDE, 0,
	  &ipcoff_elide_ops, 0 },
	{ "channel", "channel", "auto", "sync", IPCOFF_ENGINE_AUTO, 0,
	  &channel_ops, 0 },
	/* Hybrid-Coord: every message through the pool, none inline. */
	{ "channel/hybrid", "channel", "auto", "hybrid", IPCOFF_ENGINE_AUTO, 0,
	  &channel_ops, 0 },
	/* Needs an RDMA device and ipcoff-bench-rdma: never by default. */
	{ "rdma", "rdma", "nic", "sync", IPCOFF_ENGINE_AUTO, 0, &rdma_ops, 1 },
};

const unsigned int nr_transports = ARRAY_SIZE(transports);

/*
 * Whether the case's transport can serve its workload at all; ST_NA with
 * @why when not. Asked before the case runs, after the transport's own
 * check().
 */
int transport_serves(const struct bench_case *c, char *why, size_t len)
{
	const struct transport_ops *ops = c->t->ops;
	const struct workload_ops *w = workload_ops_of(c->wl);
	char sz[32];

	if ((ops->moves_source || ops->tx_area) && w->resends) {
		snprintf(why, len, "%s sends its stored values again and again: a MOVE would give them away",
			 w->name);
		return ST_NA;
	}
	if (ops->max_msg && w->size(c) > ops->max_msg) {
		snprintf(why, len, "%s serves messages up to %s", c->t->label,
			 fmt_size(ops->max_msg, sz, sizeof(sz)));
		return ST_NA;
	}
	return ST_OK;
}

struct desc *msg_begin(struct chan *ch, struct msg *m)
{
	struct desc *d = ring_reserve(ch->ring, (uint32_t)m->seq);

	/* Latency starts once the message has a slot: not the back-pressure. */
	m->t_send = now_ns();
	return d;
}

int msg_publish(struct chan *ch, struct desc *d, const struct msg *m)
{
	d->seq = m->seq;
	d->off = m->off;
	d->len = m->len;
	d->t_send = m->t_send;
	d->flags = m->flags;
	d->user = m->user;
	d->meta_len = 0;
	if (m->meta_len && m->meta) {
		if (m->meta_len > ch->ring->meta_max)
			return ST_ERROR;
		memcpy(d + 1, m->meta, m->meta_len);
		d->meta_len = m->meta_len;
	}
	ring_publish(ch->ring);
	return ST_OK;
}

void msg_from_desc(struct msg *m, struct desc *d)
{
	m->seq = d->seq;
	m->off = d->off;
	m->len = d->len;
	m->t_send = d->t_send;
	m->flags = d->flags;
	m->user = d->user;
	m->meta_len = d->meta_len;
	m->meta = d + 1;
	m->data = NULL;
	m->ready = d->len;
	m->d = d;
}

/* Where message @seq lands in a receiver's area of depth slots. */
void *rx_slot(const struct rx *rx, uint64_t seq)
{
	const struct chan *ch = rx->ch;

	return (char *)rx->area +
	       (size_t)(seq & (ch->cfg.depth - 1)) * ch->cfg.slot_size;
}

/*
 * A received message whose payload is at @src in memory both sides map:
 * read there in place (or when empty), otherwise copied to rx_slot().
 */
void msg_take(const struct rx *rx, struct msg *m, const void *src)
{
	void *dst;

	if (rx->ch->cfg.inplace || !m->len) {
		m->data = src;
		return;
	}
	dst = rx_slot(rx, m->seq);
	memcpy(dst, src, m->len);
	m->data = dst;
}

/* The release of transports that hold nothing beyond the ring's slot. */
void rx_ring_release(struct rx *rx, struct msg *m)
{
	(void)m;
	ring_release(rx->ch->ring);
}
