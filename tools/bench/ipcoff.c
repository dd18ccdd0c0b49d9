// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * ipcoff-bench: the synchronous ipcoff transport, one engine forced.
 *
 * The one-copy design: the producer registers its buffer once (read-only
 * for peers) and publishes the handle in the channel's shared state; the
 * consumer registers its own buffer writable. Per message the producer
 * publishes only (offset, length); the consumer pulls the payload with one
 * IPCOFF_IOC_COPY from the producer's region into its own, with the engine
 * forced, and then releases the descriptor. Both endpoints are regions, so
 * the dma engine can serve every case.
 *
 * A forced engine that cannot serve a copy (ENODEV, EOPNOTSUPP), or a copy
 * that the module reports as run by another engine, makes the case "n/a":
 * never a number measured on another engine.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include <ipcoff.h>

#include "bench.h"

struct ipc_shared {
	uint64_t src_handle;
};

struct ipc_side {
	struct ipcoff ipc;
	uint64_t handle;
};

static const uint64_t needed = IPCOFF_FEAT_REGISTER | IPCOFF_FEAT_COPY;

static int na_or_error(int err)
{
	return err == -ENODEV || err == -EOPNOTSUPP ? ST_NA : ST_ERROR;
}

/* One forced copy between two small regions tells whether it can run. */
static int ipc_check(const struct transport *t, enum workload wl, char *why,
		     size_t len)
{
	struct ipcoff_copy req = { .len = 4096, .engine = t->engine_id };
	uint64_t src = 0, dst = 0;
	struct ipcoff ipc;
	char *buf;
	int ret, st = ST_OK;

	(void)wl;
	ret = ipcoff_open_path(&ipc, opts.device, 0);
	if (ret == -ENOENT) {
		snprintf(why, len, "ipcoff absent (no %s)", opts.device);
		return ST_ABSENT;
	}
	if (ret) {
		snprintf(why, len, "ipcoff absent (%s: %s)", opts.device,
			 strerror(-ret));
		return ST_ABSENT;
	}
	if (!ipcoff_has_feature(&ipc, needed)) {
		snprintf(why, len, "module lacks register/copy");
		st = ST_NA;
		goto out;
	}
	if (!(ipc.engines & (1U << t->engine_id))) {
		snprintf(why, len, "no %s engine", t->engine);
		st = ST_NA;
		goto out;
	}
	buf = mmap(NULL, 8192, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (buf == MAP_FAILED) {
		snprintf(why, len, "mmap: %s", strerror(errno));
		st = ST_ERROR;
		goto out;
	}
	memset(buf, 0x5a, 8192);
	ret = ipcoff_register(&ipc, buf, 4096, 0, &src);
	if (!ret)
		ret = ipcoff_register(&ipc, buf + 4096, 4096,
				      IPCOFF_REGION_WRITABLE, &dst);
	if (!ret) {
		ipcoff_ep_region(&req.src, src, 0);
		ipcoff_ep_region(&req.dst, dst, 0);
		ret = ipcoff_copy(&ipc, &req);
	}
	if (ret) {
		snprintf(why, len, "%s engine: %s", t->engine, strerror(-ret));
		st = na_or_error(ret);
	} else if (req.engine != t->engine_id) {
		snprintf(why, len, "forced %s, ran on %s", t->engine,
			 ipcoff_engine_name(req.engine));
		st = ST_NA;
	}
	if (src)
		ipcoff_unregister(&ipc, src);
	if (dst)
		ipcoff_unregister(&ipc, dst);
	munmap(buf, 8192);
out:
	ipcoff_close(&ipc);
	return st;
}

static struct ipc_side *ipc_side_open(void *area, size_t len,
				      unsigned int flags, char *why,
				      size_t wlen)
{
	struct ipc_side *s = calloc(1, sizeof(*s));
	int ret;

	if (!s)
		return NULL;
	ret = ipcoff_open_path(&s->ipc, opts.device, 0);
	if (!ret)
		ret = ipcoff_register(&s->ipc, area, len, flags, &s->handle);
	if (ret) {
		snprintf(why, wlen, "ipcoff %s: %s",
			 s->ipc.fd < 0 ? "open" : "register", strerror(-ret));
		ipcoff_close(&s->ipc);
		free(s);
		return NULL;
	}
	return s;
}

static void ipc_side_close(struct ipc_side *s)
{
	if (!s)
		return;
	ipcoff_unregister(&s->ipc, s->handle);
	ipcoff_close(&s->ipc);
	free(s);
}

static int ipc_tx_open(struct tx *tx)
{
	struct ipc_shared *sh = tx->ch->shared;
	char why[160];

	/* Not WRITABLE: peers may only read this region. */
	tx->priv = ipc_side_open(tx->area, tx->area_len, 0, why, sizeof(why));
	if (!tx->priv) {
		fprintf(stderr, "ipcoff-bench: %s\n", why);
		return ST_ERROR;
	}
	sh->src_handle = ((struct ipc_side *)tx->priv)->handle;
	return ST_OK;
}

static int ipc_send(struct tx *tx, struct msg *m)
{
	struct desc *d = msg_begin(tx->ch, m);

	return msg_publish(tx->ch, d, m);
}

static void ipc_tx_close(struct tx *tx)
{
	ipc_side_close(tx->priv);
}

static int ipc_rx_open(struct rx *rx)
{
	rx->priv = ipc_side_open(rx->area, rx->area_len,
				 IPCOFF_REGION_WRITABLE, rx->why,
				 sizeof(rx->why));
	return rx->priv ? ST_OK : ST_ERROR;
}

static int ipc_recv(struct rx *rx, struct msg *m)
{
	const struct ipc_shared *sh = rx->ch->shared;
	struct ipc_side *s = rx->priv;
	unsigned int engine = rx->ch->t->engine_id;
	struct ipcoff_copy req = { .engine = engine };
	struct desc *d = ring_peek(rx->ch->ring, 1);
	uint64_t doff;
	int ret;

	msg_from_desc(m, d);
	doff = (m->seq & (rx->ch->cfg.depth - 1)) * rx->ch->cfg.slot_size;
	m->data = (char *)rx->area + doff;
	if (!m->len)
		return ST_OK;
	ipcoff_ep_region(&req.src, sh->src_handle, m->off);
	ipcoff_ep_region(&req.dst, s->handle, doff);
	req.len = m->len;
	ret = ipcoff_copy(&s->ipc, &req);
	if (ret) {
		snprintf(rx->why, sizeof(rx->why), "COPY (%s, %llu bytes): %s",
			 rx->ch->t->engine, (unsigned long long)m->len,
			 strerror(-ret));
		return na_or_error(ret);
	}
	if (req.engine != engine) {
		snprintf(rx->why, sizeof(rx->why), "forced %s, ran on %s",
			 rx->ch->t->engine, ipcoff_engine_name(req.engine));
		return ST_NA;
	}
	if (req.copied != m->len) {
		snprintf(rx->why, sizeof(rx->why), "COPY moved %llu of %llu",
			 (unsigned long long)req.copied,
			 (unsigned long long)m->len);
		return ST_ERROR;
	}
	return ST_OK;
}

static void ipc_release(struct rx *rx, struct msg *m)
{
	(void)m;
	ring_release(rx->ch->ring);
}

static void ipc_rx_close(struct rx *rx)
{
	ipc_side_close(rx->priv);
}

const struct transport_ops ipcoff_sync_ops = {
	.shared_size = sizeof(struct ipc_shared),
	.check = ipc_check,
	.tx_open = ipc_tx_open,
	.send = ipc_send,
	.tx_close = ipc_tx_close,
	.rx_open = ipc_rx_open,
	.recv = ipc_recv,
	.release = ipc_release,
	.rx_close = ipc_rx_close,
};
