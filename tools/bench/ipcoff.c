// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * ipcoff-bench: the ipcoff transports, one engine forced: synchronous
 * (one COPY per message) and asynchronous (SUBMIT with look-ahead).
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
 *
 * The asynchronous transport (Async-Pipe) keeps the producer side and
 * pulls with look-ahead: recv() looks ahead in the descriptor ring and
 * SUBMITs one copy per published message (user_data: its sequence
 * number) into the consumer's depth slots, up to depth in flight, then
 * hands messages out in order as their completions arrive, so the
 * consumer works on one message while the next ones are still moving.
 * Large copies go as IPCOFF_COPY_CHUNKED, one completion per chunk; on an
 * in-place channel recv() hands a message out once its first chunk is
 * there and more() follows the chunks, so the reader starts on chunk 0
 * while the rest moves. A full completion ring (EAGAIN) is backpressure:
 * reap, then submit the rest.
 *
 * Cache-Inject is the asynchronous transport for latency-critical
 * messages of up to 64 KiB: each copy goes alone through
 * ipcoff_submit_inject() with IPCOFF_COPY_INJECT over the whole message
 * (CLWB comes with it), never chunked, so the worker that copied writes
 * the lines back and the consumer's context pulls the message into its
 * cache when it learns of the completion. A module without
 * IPCOFF_FEAT_CACHE makes it "n/a".
 */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
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

/* A completion this late means the module lost it: an error, not a wait. */
#define ASYNC_WAIT_NS	(30LL * 1000000000LL)

static int na_or_error(int err)
{
	return err == -ENODEV || err == -EOPNOTSUPP ? ST_NA : ST_ERROR;
}

static bool is_async(const struct transport *t)
{
	return t->ops == &ipcoff_async_ops || t->ops == &ipcoff_inject_ops;
}

static bool is_inject(const struct transport *t)
{
	return t->ops == &ipcoff_inject_ops;
}

/*
 * Cache-Inject's submission: one request, its destination written back
 * (CLWB) once the bytes are there and all of it pulled into the
 * consumer's cache when the consumer learns of the completion. INJECT is
 * the caller's to ask for; libipcoff adds CLWB and, without ranges,
 * inject_len = len. It drops the cache actions on a module without
 * IPCOFF_FEAT_CACHE, so the transport checks the feature itself: a plain
 * copy must not be reported as Cache-Inject. Returns as ipcoff_submit().
 */
static int submit_inject(struct ipcoff *ipc, struct ipcoff_copy *req)
{
	req->flags |= IPCOFF_COPY_INJECT;
	return ipcoff_submit_inject(ipc, req);
}

/* The same copy, asynchronously: SUBMIT, then its completion entry. */
static int async_copy(struct ipcoff *ipc, struct ipcoff_copy *req,
		      bool inject)
{
	struct ipcoff_ring cq;
	struct ipcoff_cqe *cqe;
	int ret;

	ret = ipcoff_ring_init(ipc, IPCOFF_RING_MIN_ENTRIES, &cq);
	if (ret)
		return ret;
	req->user_data = 42;
	if (inject) {
		ret = submit_inject(ipc, req);
		if (ret >= 0)
			ret = 1;
	} else {
		ret = ipcoff_submit(ipc, req, 1);
	}
	if (ret == 1)
		ret = ipcoff_wait_cqe(ipc, &cq, ASYNC_WAIT_NS, &cqe);
	else if (ret >= 0)
		ret = -EPROTO;
	if (!ret) {
		if (cqe->user_data != 42)
			ret = -EPROTO;
		else if (cqe->result < 0)
			ret = (int)cqe->result;
		req->engine = cqe->engine;
		req->copied = cqe->result > 0 ? (uint64_t)cqe->result : 0;
		ipcoff_ring_advance(&cq, 1);
	}
	ipcoff_ring_fini(&cq);
	return ret;
}

/*
 * Opens the module for a transport's check: 0, or -errno with @why saying
 * that ipcoff is absent (the case is then ST_ABSENT).
 */
int ipc_open_check(struct ipcoff *ipc, char *why, size_t len)
{
	int ret = ipcoff_open_path(ipc, opts.device, 0);

	if (ret == -ENOENT)
		snprintf(why, len, "ipcoff absent (no %s)", opts.device);
	else if (ret)
		snprintf(why, len, "ipcoff absent (%s: %s)", opts.device,
			 strerror(-ret));
	return ret;
}

/* Did @ran serve @t: the forced engine, or any for auto? */
static bool ran_as_asked(const struct transport *t, unsigned int ran)
{
	return t->engine_id == IPCOFF_ENGINE_AUTO || ran == t->engine_id;
}

/* One forced copy between two small regions tells whether it can run. */
static int ipc_check(const struct transport *t, enum workload wl, char *why,
		     size_t len)
{
	struct ipcoff_copy req = { .len = 4096, .engine = t->engine_id };
	bool async = is_async(t), inject = is_inject(t);
	uint64_t src = 0, dst = 0;
	struct ipcoff ipc;
	char *buf;
	int ret, st = ST_OK;

	(void)wl;
	if (ipc_open_check(&ipc, why, len))
		return ST_ABSENT;
	if (!ipcoff_has_feature(&ipc, needed)) {
		snprintf(why, len, "module lacks register/copy");
		st = ST_NA;
		goto out;
	}
	if (async && !ipcoff_has_feature(&ipc, IPCOFF_FEAT_ASYNC)) {
		snprintf(why, len, "module lacks asynchronous copies");
		st = ST_NA;
		goto out;
	}
	if (inject && !ipcoff_has_feature(&ipc, IPCOFF_FEAT_CACHE)) {
		snprintf(why, len, "module lacks cache actions (IPCOFF_FEAT_CACHE)");
		st = ST_NA;
		goto out;
	}
	if (t->engine_id != IPCOFF_ENGINE_AUTO &&
	    !(ipc.engines & (1U << t->engine_id))) {
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
		ret = async ? async_copy(&ipc, &req, inject) :
		      ipcoff_copy(&ipc, &req);
	}
	if (ret) {
		snprintf(why, len, "%s engine%s: %s", t->engine,
			 inject ? " (SUBMIT, CLWB | INJECT)" :
			 async ? " (SUBMIT)" : "", strerror(-ret));
		st = na_or_error(ret);
	} else if (!ran_as_asked(t, req.engine)) {
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
	if (!ran_as_asked(rx->ch->t, req.engine)) {
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
	.release = rx_ring_release,
	.rx_close = ipc_rx_close,
};

/* ------------------------------------------------------------------ */
/* Asynchronous: SUBMIT with look-ahead, completions in order          */
/* ------------------------------------------------------------------ */

/* Where chunking starts, and how many chunks a slot-sized copy gets. */
#define ASYNC_CHUNK_FROM	(256 * KiB)

/* One message looked at: its copy and what of it has arrived. */
struct aslot {
	uint64_t seq;		/* the message's sequence number: user_data */
	uint64_t len;
	uint64_t chunk;		/* bytes per completion entry */
	uint32_t parts;		/* completion entries it gets */
	uint32_t got;		/* entries that came */
	uint64_t arrived;	/* bit k: chunk k is there */
	uint64_t ready;		/* bytes from the start that are there */
};

struct arx {
	struct ipc_side *side;
	struct ipcoff_ring cq;
	struct aslot *slot;	/* depth, by ring position */
	struct ipcoff_copy *req;	/* one batch */
	uint32_t depth;
	uint32_t sub;		/* ring position of the next one to look at */
	uint32_t rel;		/* ring position of the oldest not released */
	uint32_t inflight;	/* completion entries still to come */
	uint64_t chunk;		/* chunk size on this channel; 0: whole */
	bool end_seen;		/* looked at the END descriptor */
	bool inject;		/* Cache-Inject: one submit_inject() each */
	bool inject_due;	/* an entry's injection waits for a WAIT */
	uint64_t reaped;	/* completion entries taken so far */
	uint64_t waited;	/* entries produced when the last WAIT ended */
};

static struct aslot *aslot_of(struct arx *a, uint32_t pos)
{
	return &a->slot[pos & (a->depth - 1)];
}

static int async_fail(struct rx *rx, int st, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int async_fail(struct rx *rx, int st, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(rx->why, sizeof(rx->why), fmt, ap);
	va_end(ap);
	return st;
}

static int aipc_rx_open(struct rx *rx)
{
	const struct chan *ch = rx->ch;
	uint32_t depth = ch->cfg.depth, parts = 1, entries;
	struct arx *a = calloc(1, sizeof(*a));
	int ret;

	if (!a)
		return async_fail(rx, ST_ERROR, "out of memory");
	rx->priv = a;
	a->depth = depth;
	a->slot = calloc(depth, sizeof(*a->slot));
	a->req = calloc(depth, sizeof(*a->req));
	if (!a->slot || !a->req)
		return async_fail(rx, ST_ERROR, "out of memory");
	a->side = ipc_side_open(rx->area, rx->area_len, IPCOFF_REGION_WRITABLE,
				rx->why, sizeof(rx->why));
	if (!a->side)
		return ST_ERROR;
	if (!ipcoff_has_feature(&a->side->ipc, IPCOFF_FEAT_ASYNC))
		return async_fail(rx, ST_NA, "module lacks asynchronous copies");
	a->inject = is_inject(ch->t);
	if (a->inject && !ipcoff_has_feature(&a->side->ipc, IPCOFF_FEAT_CACHE))
		return async_fail(rx, ST_NA,
				  "module lacks cache actions (IPCOFF_FEAT_CACHE)");
	/*
	 * Large messages in opts.async_chunks pieces (page multiples), so
	 * the reader can start on the first while the others move.
	 * INJECT does not go with CHUNKED.
	 */
	if (!a->inject && ch->cfg.slot_size >= ASYNC_CHUNK_FROM &&
	    opts.async_chunks > 1 &&
	    ipcoff_has_feature(&a->side->ipc, IPCOFF_FEAT_CHUNKED)) {
		uint64_t c = (ch->cfg.slot_size + opts.async_chunks - 1) /
			     opts.async_chunks;

		c = (c + 4095) & ~(uint64_t)4095;
		if (c < IPCOFF_CHUNK_MIN)
			c = IPCOFF_CHUNK_MIN;
		a->chunk = c;
		parts = (uint32_t)((ch->cfg.slot_size + c - 1) / c);
	}
	/* Every copy in flight has its places: EAGAIN stays the exception. */
	for (entries = IPCOFF_RING_MIN_ENTRIES; entries < depth * parts;)
		entries *= 2;
	ret = ipcoff_ring_init(&a->side->ipc, entries, &a->cq);
	if (ret)
		return async_fail(rx, na_or_error(ret), "RING_SETUP (%u): %s",
				  entries, strerror(-ret));
	return ST_OK;
}

static void aipc_rx_close(struct rx *rx)
{
	struct arx *a = rx->priv;

	if (!a)
		return;
	if (a->cq.map)
		ipcoff_ring_fini(&a->cq);
	ipc_side_close(a->side);
	free(a->slot);
	free(a->req);
	free(a);
	rx->priv = NULL;
}

/*
 * Take every completion entry there is. Returns how many, or -status with
 * rx->why set: a failed copy, one run by another engine than the forced
 * one, or bytes missing.
 */
static int aipc_reap(struct rx *rx)
{
	struct arx *a = rx->priv;
	struct ipcoff_cqe *c;
	int n = 0;

	while ((c = ipcoff_ring_peek(&a->cq))) {
		struct aslot *sl = &a->slot[c->user_data & (a->depth - 1)];
		uint64_t k = 0, want = sl->len;

		if (sl->seq != c->user_data || sl->got >= sl->parts)
			return -async_fail(rx, ST_ERROR,
					   "completion for message %llu, not in flight",
					   (unsigned long long)c->user_data);
		if (c->result < 0)
			return -async_fail(rx, na_or_error((int)c->result),
					   "SUBMIT (%s, %llu bytes): %s",
					   rx->ch->t->engine,
					   (unsigned long long)sl->len,
					   strerror((int)-c->result));
		if (!ran_as_asked(rx->ch->t, c->engine))
			return -async_fail(rx, ST_NA, "forced %s, ran on %s",
					   rx->ch->t->engine,
					   ipcoff_engine_name(c->engine));
		if (c->flags & IPCOFF_CQE_CHUNK) {
			k = c->offset / sl->chunk;
			want = sl->len - c->offset < sl->chunk ?
			       sl->len - c->offset : sl->chunk;
		}
		if ((uint64_t)c->result != want || k >= 64 ||
		    (sl->arrived & (1ULL << k)))
			return -async_fail(rx, ST_ERROR,
					   "message %llu: entry at %llu moved %lld bytes",
					   (unsigned long long)sl->seq,
					   (unsigned long long)c->offset,
					   (long long)c->result);
		/* A WAIT that ended after it was posted has injected it. */
		if ((c->flags & IPCOFF_CQE_INJECT) && a->reaped >= a->waited)
			a->inject_due = true;
		a->reaped++;
		sl->arrived |= 1ULL << k;
		sl->got++;
		while (sl->ready < sl->len &&
		       (sl->arrived >> (sl->ready / sl->chunk)) & 1)
			sl->ready = sl->ready + sl->chunk < sl->len ?
				    sl->ready + sl->chunk : sl->len;
		a->inflight--;
		ipcoff_ring_advance(&a->cq, 1);
		n++;
	}
	return n;
}

/* Is there a published descriptor that the look-ahead may take now? */
static bool aipc_can_look(struct rx *rx)
{
	struct arx *a = rx->priv;

	return !a->end_seen && a->sub - a->rel < a->depth &&
	       ring_peek_ahead(rx->ch->ring, a->sub - a->rel);
}

/*
 * Until a completion entry is there (or, with @look, a descriptor to
 * submit): spin like the ring does, then sleep in WAIT on the count
 * until @need more entries came (no use waking before: the message
 * waited for needs that many). Only called with at least @need entries
 * in flight, so they come.
 */
static int aipc_wait(struct rx *rx, bool look, uint32_t need)
{
	struct arx *a = rx->priv;
	int ret;

	for (unsigned int i = 0; i < opts.spin; i++) {
		if (ipcoff_ring_ready(&a->cq) || (look && aipc_can_look(rx)))
			return ST_OK;
		cpu_relax();
	}
	for (;;) {
		/* The count first: an entry after it makes WAIT return. */
		uint64_t seen = ipcoff_ring_completed(&a->cq);

		if (ipcoff_ring_ready(&a->cq))
			return ST_OK;
		ret = ipcoff_wait(&a->side->ipc, seen + need, ASYNC_WAIT_NS,
				  &seen);
		if (!ret)
			a->waited = seen;
		if (!ret || ret == -EINTR)
			continue;
		if (ret == -ETIMEDOUT)
			return async_fail(rx, ST_ERROR,
					  "no completion in %lld s, %u entries in flight",
					  ASYNC_WAIT_NS / 1000000000LL,
					  a->inflight);
		return async_fail(rx, ST_ERROR, "WAIT: %s", strerror(-ret));
	}
}

static uint32_t parts_of(const struct ipcoff_copy *r)
{
	if (!(r->flags & IPCOFF_COPY_CHUNKED))
		return 1;
	return (uint32_t)((r->len + r->chunk_size - 1) / r->chunk_size);
}

/* Submit @n requests; a full completion ring (EAGAIN) is reaped first. */
static int aipc_submit(struct rx *rx, unsigned int n)
{
	struct arx *a = rx->priv;
	unsigned int done = 0;

	while (done < n) {
		int err = 0;
		int ret;

		if (a->inject) {
			ret = submit_inject(&a->side->ipc, a->req + done);
			if (ret >= 0)
				ret = 1;
		} else {
			ret = ipcoff_submit_ex(&a->side->ipc, a->req + done,
					       n - done, &err);
		}

		if (ret > 0) {
			for (int i = 0; i < ret; i++)
				a->inflight += parts_of(&a->req[done + i]);
			done += (unsigned int)ret;
			if (done < n && err && err != -EAGAIN)
				ret = err;
			else
				continue;
		}
		if (ret == -EAGAIN && a->inflight) {
			int st = aipc_wait(rx, false, 1);

			if (st)
				return st;
			ret = aipc_reap(rx);
			if (ret < 0)
				return -ret;
			continue;
		}
		return async_fail(rx, na_or_error(ret), "SUBMIT (%s, %llu bytes): %s",
				  rx->ch->t->engine,
				  (unsigned long long)a->req[done].len,
				  strerror(-ret));
	}
	return ST_OK;
}

/* Look ahead: one copy for each published message that has a slot. */
static int aipc_top_up(struct rx *rx)
{
	const struct ipc_shared *sh = rx->ch->shared;
	struct arx *a = rx->priv;
	struct ring *ring = rx->ch->ring;
	unsigned int n = 0;
	struct desc *d;

	while (!a->end_seen && a->sub - a->rel < a->depth &&
	       (d = ring_peek_ahead(ring, a->sub - a->rel))) {
		struct aslot *sl = aslot_of(a, a->sub);
		struct ipcoff_copy *r = &a->req[n];

		/* user_data finds the slot: sequence and position agree. */
		if ((d->seq ^ a->sub) & (a->depth - 1))
			return async_fail(rx, ST_ERROR,
					  "message %llu at ring position %u",
					  (unsigned long long)d->seq, a->sub);
		memset(sl, 0, sizeof(*sl));
		sl->seq = d->seq;
		sl->len = d->flags & DESC_END ? 0 : d->len;
		sl->chunk = sl->len ? sl->len : 1;
		a->sub++;
		if (d->flags & DESC_END) {
			a->end_seen = true;
			break;
		}
		if (!sl->len)
			continue;
		memset(r, 0, sizeof(*r));
		ipcoff_ep_region(&r->src, sh->src_handle, d->off);
		ipcoff_ep_region(&r->dst, a->side->handle,
				 (uint64_t)((char *)rx_slot(rx, d->seq) -
					    (char *)rx->area));
		r->len = sl->len;
		r->engine = rx->ch->t->engine_id;
		r->user_data = d->seq;
		if (a->chunk && sl->len > a->chunk) {
			r->flags = IPCOFF_COPY_CHUNKED;
			r->chunk_size = (uint32_t)a->chunk;
			sl->chunk = a->chunk;
		}
		sl->parts = parts_of(r);
		n++;
	}
	return n ? aipc_submit(rx, n) : ST_OK;
}

/*
 * An entry flagged IPCOFF_CQE_INJECT that no WAIT has seen end (the ring
 * was polled): its injection runs in this context's next WAIT, so one
 * that does not sleep comes before the message is handed out.
 */
static int aipc_inject(struct rx *rx)
{
	struct arx *a = rx->priv;
	uint64_t done;
	int ret;

	if (!a->inject_due)
		return ST_OK;
	a->inject_due = false;
	ret = ipcoff_wait(&a->side->ipc, 0, 0, &done);
	if (ret && ret != -EINTR)
		return async_fail(rx, ST_ERROR, "WAIT (inject): %s",
				  strerror(-ret));
	if (!ret)
		a->waited = done;
	return ST_OK;
}

static int aipc_recv(struct rx *rx, struct msg *m)
{
	struct arx *a = rx->priv;
	int ret;

	for (;;) {
		ret = aipc_reap(rx);
		if (ret < 0)
			return -ret;
		ret = aipc_top_up(rx);
		if (ret)
			return ret;
		if (a->sub != a->rel) {
			struct aslot *sl = aslot_of(a, a->rel);

			/* Whole, or (read in place) its first chunk is there. */
			if (sl->ready == sl->len ||
			    (rx->ch->cfg.inplace && sl->ready)) {
				ret = aipc_inject(rx);
				if (ret)
					return ret;
				msg_from_desc(m, ring_peek_ahead(rx->ch->ring, 0));
				m->data = rx_slot(rx, m->seq);
				m->ready = sl->ready;
				return ST_OK;
			}
			ret = aipc_wait(rx, true, rx->ch->cfg.inplace ? 1 :
					sl->parts - sl->got);
			if (ret)
				return ret;
			continue;
		}
		/* Nothing looked at: sleep on the descriptor ring. */
		ring_peek(rx->ch->ring, 1);
	}
}

/* More of the oldest message: the next chunks in order. */
static int aipc_more(struct rx *rx, struct msg *m)
{
	struct arx *a = rx->priv;
	struct aslot *sl = aslot_of(a, a->rel);
	int ret;

	while (sl->ready <= m->ready && sl->ready < sl->len) {
		ret = aipc_reap(rx);
		if (ret < 0)
			return -ret;
		if (sl->ready > m->ready)
			break;
		/* Keep the look-ahead going while this one arrives. */
		ret = aipc_top_up(rx);
		if (ret)
			return ret;
		if (sl->ready > m->ready)
			break;
		ret = aipc_wait(rx, true, 1);
		if (ret)
			return ret;
	}
	m->ready = sl->ready;
	return ST_OK;
}

static void aipc_release(struct rx *rx, struct msg *m)
{
	struct arx *a = rx->priv;

	(void)m;
	a->rel++;
	ring_release(rx->ch->ring);
}

const struct transport_ops ipcoff_async_ops = {
	.shared_size = sizeof(struct ipc_shared),
	.check = ipc_check,
	.tx_open = ipc_tx_open,
	.send = ipc_send,
	.tx_close = ipc_tx_close,
	.rx_open = aipc_rx_open,
	.recv = aipc_recv,
	.more = aipc_more,
	.release = aipc_release,
	.rx_close = aipc_rx_close,
};

const struct transport_ops ipcoff_inject_ops = {
	.shared_size = sizeof(struct ipc_shared),
	.max_msg = 64 * KiB,
	.check = ipc_check,
	.tx_open = ipc_tx_open,
	.send = ipc_send,
	.tx_close = ipc_tx_close,
	.rx_open = aipc_rx_open,
	.recv = aipc_recv,
	.more = aipc_more,
	.release = aipc_release,
	.rx_close = aipc_rx_close,
};
