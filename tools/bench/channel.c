// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * ipcoff-bench: the channel transport, libipcoff's message channels
 * (ipcoff_chan_*, auto mode) as a program would use them: the producer
 * sends each message, a small header (sequence, times, flags, inline
 * metadata) gathered in front of the payload with ipcoff_chan_sendv(); the
 * consumer receives it into its own buffer ("stream": the channel's copy
 * out) or reads it in place ("stream-inplace": ipcoff_chan_peek(), then
 * ipcoff_chan_done()).
 *
 * The channel does its own hand-off and flow control (depth slots, a send
 * waits for a free one), so the descriptor ring of the other transports
 * is not used: nothing is published to it, and the producer's
 * ring_reserve() never waits. Without /dev/ipcoff the channel runs on its
 * shared-memory fallback, and the row then measures that.
 *
 * "rdma" is the same program over an rdma channel ("rdma://ADDR:PORT",
 * ADDR from IPCOFF_BENCH_RDMA_ADDR or an rdma guest's ipcoff_ip). Only
 * ipcoff-bench-rdma (dynamically linked with libipcoff-rdma.a: rdma-core
 * dlopens its provider) has it; the static ipcoff-bench says n/a. A
 * consumer connects in its first receive, not at setup: an rdma connect
 * completes only once the producer answers it, which it does in a send,
 * and in ping-pong both sides set up their receive side before sending.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <ipcoff.h>

#include "bench.h"

struct chan_shared {
	char name[96];
};

/* What travels in front of the payload. */
struct chan_hdr {
	uint64_t seq;
	uint64_t len;
	uint64_t t_send;
	uint32_t flags;
	uint32_t user;
	uint32_t meta_len;
	uint32_t pad[7];
};

struct chan_rx {
	struct ipcoff_chan *ch;
	char name[128];		/* rdma: connect in the first receive */
	struct ipcoff_chan_msg peeked;
	unsigned char *stage;	/* a received message, header first */
	size_t cap;
};

static size_t hdr_bytes(const struct chan *ch)
{
	size_t b = sizeof(struct chan_hdr) + ch->cfg.meta_max;

	return (b + CACHELINE - 1) & ~(size_t)(CACHELINE - 1);
}

/* channel/hybrid: Hybrid-Coord, every message a kernel copy into a slot. */
static bool is_hybrid(const struct transport *t)
{
	return !strcmp(t->mode, "hybrid");
}

static int chan_check(const struct transport *t, enum workload wl,
		      char *why, size_t len)
{
	(void)wl;
	if (!access(opts.device, F_OK))
		return ST_OK;
	if (is_hybrid(t)) {
		/* Its fallback would be shm's memcpy under another name. */
		snprintf(why, len, "ipcoff absent (%s)", opts.device);
		return ST_ABSENT;
	}
	snprintf(why, len, "no %s: shared-memory fallback", opts.device);
	return ST_OK;
}

static int chan_chan_init(struct chan *ch)
{
	struct chan_shared *sh = ch->shared;

	snprintf(sh->name, sizeof(sh->name), "ipcoff-bench-%d-%u",
		 (int)getpid(), ch->id);
	return 0;
}

static bool is_rdma(const struct chan *ch)
{
	return ch->t->ops == &rdma_ops;
}

/* The address rdma channels listen on and connect to, "" if none. */
const char *rdma_addr(void)
{
	static char buf[48];
	const char *v = getenv("IPCOFF_BENCH_RDMA_ADDR");
	char *slash;

	if (!v || !*v)
		v = getenv("ipcoff_ip");
	snprintf(buf, sizeof(buf), "%s", v ? v : "");
	slash = strchr(buf, '/');
	if (slash)
		*slash = 0;
	return buf;
}

static int rdma_check(const struct transport *t, enum workload wl,
		      char *why, size_t len)
{
	(void)t;
	(void)wl;
#ifdef IPCOFF_BENCH_RDMA
	if (!*rdma_addr()) {
		snprintf(why, len, "no address: set IPCOFF_BENCH_RDMA_ADDR to one with an RDMA device");
		return ST_NA;
	}
	return ST_OK;
#else
	snprintf(why, len, "this ipcoff-bench is static: ipcoff-bench-rdma has rdma");
	return ST_NA;
#endif
}

static int rdma_chan_init(struct chan *ch)
{
	struct chan_shared *sh = ch->shared;
	/* A port per run and channel; rdma_cm ports are not unix names. */
	unsigned int port = 20000 + ((unsigned int)getpid() * 8 + ch->id) %
			    40000;

	snprintf(sh->name, sizeof(sh->name), "rdma://%s:%u", rdma_addr(),
		 port);
	return 0;
}

static int rdma_enable(void)
{
#ifdef IPCOFF_BENCH_RDMA
	return ipcoff_chan_rdma_enable();
#else
	return -EPROTONOSUPPORT;
#endif
}

static int chan_tx_open(struct tx *tx)
{
	const struct chan_shared *sh = tx->ch->shared;
	struct ipcoff_chan_attr a = {
		.msg_max = hdr_bytes(tx->ch) + tx->ch->cfg.slot_size,
		.depth = tx->ch->cfg.depth,
		.mode = is_hybrid(tx->ch->t) ? IPCOFF_CHAN_MODE_HYBRID :
			IPCOFF_CHAN_MODE_AUTO,
		.flags = IPCOFF_CHAN_QUIET |
			 (is_hybrid(tx->ch->t) ? IPCOFF_CHAN_NO_INLINE : 0),
		.device = opts.device,
	};
	struct ipcoff_chan *c = NULL;
	int ret = is_rdma(tx->ch) ? rdma_enable() : 0;

	if (!ret)
		ret = ipcoff_chan_create(sh->name, &a, &c);
	if (ret) {
		fprintf(stderr, "ipcoff-bench: channel %s: %s\n", sh->name,
			strerror(-ret));
		return ST_ERROR;
	}
	tx->priv = c;
	return ST_OK;
}

static int chan_send(struct tx *tx, struct msg *m)
{
	struct chan_hdr h;
	unsigned char pad[CACHELINE];
	struct iovec iov[4];
	size_t hb = hdr_bytes(tx->ch), used;
	int n = 0, ret;

	/* The latency clock starts here, as with the other transports. */
	msg_begin(tx->ch, m);
	memset(&h, 0, sizeof(h));
	h.seq = m->seq;
	h.len = m->len;
	h.t_send = m->t_send;
	h.flags = m->flags;
	h.user = m->user;
	h.meta_len = m->meta && m->meta_len ? m->meta_len : 0;
	if (h.meta_len > tx->ch->cfg.meta_max)
		return ST_ERROR;
	iov[n++] = (struct iovec){ &h, sizeof(h) };
	if (h.meta_len)
		iov[n++] = (struct iovec){ (void *)m->meta, h.meta_len };
	used = sizeof(h) + h.meta_len;
	memset(pad, 0, sizeof(pad));
	if (hb > used)
		iov[n++] = (struct iovec){ pad, hb - used };
	if (m->len)
		iov[n++] = (struct iovec){ (char *)tx->area + m->off, m->len };
	ret = ipcoff_chan_sendv(tx->priv, iov, n, 0);
	return ret ? ST_ERROR : ST_OK;
}

static void chan_tx_close(struct tx *tx)
{
	ipcoff_chan_close(tx->priv);
}

static int chan_rx_open(struct rx *rx)
{
	const struct chan_shared *sh = rx->ch->shared;
	struct chan_rx *r = calloc(1, sizeof(*r));
	int ret;

	if (!r) {
		snprintf(rx->why, sizeof(rx->why), "out of memory");
		return ST_ERROR;
	}
	rx->priv = r;
	r->cap = hdr_bytes(rx->ch) + rx->ch->cfg.slot_size;
	/* Page-aligned and prefaulted, like the other transports' areas. */
	r->stage = area_alloc(r->cap);
	if (!r->stage) {
		snprintf(rx->why, sizeof(rx->why), "out of memory");
		return ST_ERROR;
	}
	if (is_rdma(rx->ch)) {
		snprintf(r->name, sizeof(r->name), "%s?msg_max=%zu", sh->name,
			 r->cap);
		ret = rdma_enable();
		if (ret) {
			snprintf(rx->why, sizeof(rx->why), "rdma: %s",
				 strerror(-ret));
			return ST_ERROR;
		}
		return ST_OK;
	}
	ret = ipcoff_chan_connect(sh->name, IPCOFF_CHAN_QUIET, &r->ch);
	if (ret) {
		snprintf(rx->why, sizeof(rx->why), "connect %s: %s", sh->name,
			 strerror(-ret));
		return ST_ERROR;
	}
	return ST_OK;
}

/* rdma: the producer may not listen yet; it answers from its send. */
static int rdma_connect(struct rx *rx, struct chan_rx *r)
{
	uint64_t end = now_ns() + 60ULL * 1000000000ULL;
	int ret;

	for (;;) {
		ret = ipcoff_chan_connect(r->name, IPCOFF_CHAN_QUIET, &r->ch);
		if (!ret)
			return ST_OK;
		if ((ret != -ECONNREFUSED && ret != -ETIMEDOUT) ||
		    now_ns() > end)
			break;
		usleep(20000);
	}
	snprintf(rx->why, sizeof(rx->why), "connect %s: %s", r->name,
		 strerror(-ret));
	return ST_ERROR;
}

static int chan_recv(struct rx *rx, struct msg *m)
{
	struct chan_rx *r = rx->priv;
	const unsigned char *base;
	struct chan_hdr h;
	size_t got;

	if (!r->ch && rdma_connect(rx, r))
		return ST_ERROR;
	if (rx->ch->cfg.inplace) {
		int ret = ipcoff_chan_peek(r->ch, &r->peeked, 0);

		if (ret) {
			snprintf(rx->why, sizeof(rx->why), "peek: %s",
				 strerror(-ret));
			return ST_ERROR;
		}
		base = r->peeked.data;
		got = r->peeked.len;
	} else {
		ssize_t n = ipcoff_chan_recv(r->ch, r->stage, r->cap, 0);

		if (n < 0) {
			snprintf(rx->why, sizeof(rx->why), "recv: %s",
				 strerror((int)-n));
			return ST_ERROR;
		}
		base = r->stage;
		got = (size_t)n;
	}
	memcpy(&h, base, sizeof(h));
	if (got != hdr_bytes(rx->ch) + h.len) {
		snprintf(rx->why, sizeof(rx->why),
			 "message %llu: %zu bytes for %llu of payload",
			 (unsigned long long)h.seq, got,
			 (unsigned long long)h.len);
		return ST_ERROR;
	}
	memset(m, 0, sizeof(*m));
	m->seq = h.seq;
	m->len = h.len;
	m->t_send = h.t_send;
	m->flags = h.flags;
	m->user = h.user;
	m->meta_len = h.meta_len;
	m->meta = base + sizeof(h);
	m->data = base + hdr_bytes(rx->ch);
	m->ready = h.len;
	return ST_OK;
}

static void chan_release(struct rx *rx, struct msg *m)
{
	struct chan_rx *r = rx->priv;

	(void)m;
	if (rx->ch->cfg.inplace)
		ipcoff_chan_done(r->ch, &r->peeked);
}

static void chan_rx_close(struct rx *rx)
{
	struct chan_rx *r = rx->priv;

	if (!r)
		return;
	ipcoff_chan_close(r->ch);
	area_free(r->stage, r->cap);
	free(r);
	rx->priv = NULL;
}

/* The data path both share: an ipcoff channel either way. */
#define CHAN_DATA_OPS				\
	.tx_open = chan_tx_open,		\
	.send = chan_send,			\
	.tx_close = chan_tx_close,		\
	.rx_open = chan_rx_open,		\
	.recv = chan_recv,			\
	.release = chan_release,		\
	.rx_close = chan_rx_close

const struct transport_ops channel_ops = {
	.shared_size = sizeof(struct chan_shared),
	.check = chan_check,
	.chan_init = chan_chan_init,
	CHAN_DATA_OPS,
};

const struct transport_ops rdma_ops = {
	.shared_size = sizeof(struct chan_shared),
	.check = rdma_check,
	.chan_init = rdma_chan_init,
	CHAN_DATA_OPS,
};
