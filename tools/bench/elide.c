// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * ipcoff-bench: the elide transport, page exchange under IPCOFF_COPY_MOVE.
 *
 * Each side allocates an ipcoff buffer of depth slots (BUF_ALLOC) and maps
 * it through an export fd of its own: the producer read-write (it writes
 * its messages there), the consumer read-only. Per message the producer
 * issues one COPY from its slot into the consumer's slot of the same
 * number with IPCOFF_COPY_MOVE and the elide engine forced: the whole
 * pages are exchanged between the two buffers instead of copied (partial
 * head and tail pages have their bytes swapped), and only then is the
 * descriptor published. The consumer reads the message in its own
 * buffer's mapping (stream-inplace) or copies it out into its private
 * memory (everywhere else), as shm's consumer does with its slot.
 *
 * The producer pushes rather than the consumer pulling: the exchange then
 * costs the producer, while the consumer reads, as shm's two copies do.
 * The consumer's slot is free to take new pages once the ring gives the
 * producer that slot again (the consumer released it).
 *
 * After the MOVE the producer's slot holds the consumer's former pages:
 * the workload writes every byte of every message again (moves_source),
 * and the exchange has taken both ranges out of every mapping, so the
 * next touch of a page faults it in again. Both sides populate a range
 * in one call (MADV_POPULATE_WRITE/READ) before they touch it, rather
 * than taking one page fault per page.
 *
 * As for every ipcoff transport: a copy the module reports as run by
 * another engine makes the case "n/a", never a number of another engine.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <ipcoff.h>

#include "bench.h"

#ifndef MADV_POPULATE_READ
#define MADV_POPULATE_READ	22
#endif
#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE	23
#endif

struct elide_shared {
	uint64_t tx_handle;	/* the producer's buffer */
	uint64_t rx_handle;	/* the consumer's buffer */
};

struct elide_side {
	struct ipcoff ipc;
	uint64_t handle;
	unsigned char *map;
	size_t len;		/* of the buffer and its mapping */
	int populate;		/* MADV_POPULATE_* works here */
};

static const uint64_t elide_needed = IPCOFF_FEAT_REGISTER |
	IPCOFF_FEAT_COPY | IPCOFF_FEAT_BUFFERS | IPCOFF_FEAT_MOVE;

static int na_or_error(int err)
{
	return err == -ENODEV || err == -EOPNOTSUPP ? ST_NA : ST_ERROR;
}

/* A buffer of at least @len bytes, mapped through an export fd. */
static int buf_map(struct ipcoff *ipc, size_t len, int writable,
		   uint64_t *handle, unsigned char **map, size_t *map_len)
{
	int fd = -1, ret;
	void *p;

	ret = ipcoff_buf_alloc(ipc, len, IPCOFF_REGION_WRITABLE, 0, handle,
			       map_len);
	if (ret)
		return ret;
	ret = ipcoff_export(ipc, *handle, IPCOFF_ACCESS_READ |
			    (writable ? IPCOFF_ACCESS_WRITE : 0),
			    IPCOFF_EXPORT_CLOEXEC, &fd);
	if (ret)
		goto err;
	p = mmap(NULL, *map_len, PROT_READ | (writable ? PROT_WRITE : 0),
		 MAP_SHARED, fd, 0);
	/* The mapping holds the buffer's pages; the fd is no longer needed. */
	close(fd);
	if (p == MAP_FAILED) {
		ret = -errno;
		goto err;
	}
	*map = p;
	return 0;
err:
	ipcoff_unregister(ipc, *handle);
	*handle = 0;
	return ret;
}

/*
 * Fault @len bytes at @p in before they are touched: one system call
 * instead of a page fault per page. Without MADV_POPULATE_* (before
 * Linux 5.14) the first touch faults them in as usual.
 */
static void populate(struct elide_side *s, void *p, size_t len, int write)
{
	size_t pg = (size_t)sysconf(_SC_PAGESIZE);
	uintptr_t a = (uintptr_t)p & ~(pg - 1);
	size_t l = (uintptr_t)p + len - a;

	if (!s->populate || !len)
		return;
	if (madvise((void *)a, l, write ? MADV_POPULATE_WRITE :
		    MADV_POPULATE_READ))
		s->populate = 0;
}

/* One forced elide MOVE between two small buffers: can it run here? */
static int elide_check(const struct transport *t, enum workload wl,
		       char *why, size_t len)
{
	struct ipcoff_copy req = { .len = 4096, .engine = t->engine_id,
				   .flags = IPCOFF_COPY_MOVE };
	uint64_t src = 0, dst = 0;
	unsigned char *a = MAP_FAILED, *b = MAP_FAILED;
	size_t alen = 0, blen = 0;
	struct ipcoff ipc;
	int ret, st = ST_OK;

	(void)wl;
	if (ipc_open_check(&ipc, why, len))
		return ST_ABSENT;
	if (!ipcoff_has_feature(&ipc, elide_needed)) {
		snprintf(why, len, "module lacks buffers or MOVE");
		st = ST_NA;
		goto out;
	}
	if (!(ipc.engines & (1U << t->engine_id))) {
		snprintf(why, len, "no %s engine", t->engine);
		st = ST_NA;
		goto out;
	}
	ret = buf_map(&ipc, 4096, 1, &src, &a, &alen);
	if (!ret)
		ret = buf_map(&ipc, 4096, 1, &dst, &b, &blen);
	if (!ret) {
		memset(a, 0x11, 4096);
		memset(b, 0x22, 4096);
		ipcoff_ep_region(&req.src, src, 0);
		ipcoff_ep_region(&req.dst, dst, 0);
		ret = ipcoff_copy(&ipc, &req);
	}
	if (ret) {
		snprintf(why, len, "%s engine (MOVE): %s", t->engine,
			 strerror(-ret));
		st = na_or_error(ret);
	} else if (req.engine != t->engine_id) {
		snprintf(why, len, "forced %s, ran on %s", t->engine,
			 ipcoff_engine_name(req.engine));
		st = ST_NA;
	} else if (b[0] != 0x11 || b[4095] != 0x11 || a[0] != 0x22) {
		/* The mappings must show the exchange, or nothing works. */
		snprintf(why, len, "elide MOVE: the mappings do not show the exchanged pages");
		st = ST_ERROR;
	}
	if (a != MAP_FAILED)
		munmap(a, alen);
	if (b != MAP_FAILED)
		munmap(b, blen);
	if (src)
		ipcoff_unregister(&ipc, src);
	if (dst)
		ipcoff_unregister(&ipc, dst);
out:
	ipcoff_close(&ipc);
	return st;
}

static struct elide_side *side_open(size_t len, int writable, char *why,
				    size_t wlen)
{
	struct elide_side *s = calloc(1, sizeof(*s));
	size_t pg = (size_t)sysconf(_SC_PAGESIZE);
	volatile unsigned char sink = 0;
	int ret;

	if (!s) {
		snprintf(why, wlen, "out of memory");
		return NULL;
	}
	s->populate = 1;
	ret = ipcoff_open_path(&s->ipc, opts.device, 0);
	if (ret) {
		snprintf(why, wlen, "ipcoff open: %s", strerror(-ret));
		free(s);
		return NULL;
	}
	ret = buf_map(&s->ipc, len, writable, &s->handle, &s->map, &s->len);
	if (ret) {
		snprintf(why, wlen, "ipcoff buffer of %zu bytes: %s", len,
			 strerror(-ret));
		ipcoff_close(&s->ipc);
		free(s);
		return NULL;
	}
	/* Prefault: no page fault inside the measurement but the MOVE's. */
	for (size_t o = 0; o < s->len; o += pg) {
		if (writable)
			s->map[o] = 0;
		else
			sink ^= s->map[o];
	}
	(void)sink;
	return s;
}

static void side_close(struct elide_side *s)
{
	if (!s)
		return;
	munmap(s->map, s->len);
	ipcoff_unregister(&s->ipc, s->handle);
	ipcoff_close(&s->ipc);
	free(s);
}

static int elide_tx_open(struct tx *tx)
{
	struct elide_shared *sh = tx->ch->shared;
	struct elide_side *s;

	s = side_open(tx->area_len, 1, tx->why, sizeof(tx->why));
	if (!s)
		return ST_ERROR;
	tx->priv = s;
	tx->area = s->map;
	sh->tx_handle = s->handle;
	return ST_OK;
}

static size_t slot_off(const struct chan *ch, uint64_t seq)
{
	return (size_t)(seq & (ch->cfg.depth - 1)) * ch->cfg.slot_size;
}

/* The message's pages go to the consumer's slot, then the descriptor. */
static int elide_send(struct tx *tx, struct msg *m)
{
	const struct elide_shared *sh = tx->ch->shared;
	struct elide_side *s = tx->priv;
	struct ipcoff_copy req = { .engine = tx->ch->t->engine_id,
				   .flags = IPCOFF_COPY_MOVE };
	struct desc *d = msg_begin(tx->ch, m);
	int ret;

	if (m->len) {
		ipcoff_ep_region(&req.src, sh->tx_handle, m->off);
		ipcoff_ep_region(&req.dst, sh->rx_handle,
				 slot_off(tx->ch, m->seq));
		req.len = m->len;
		ret = ipcoff_copy(&s->ipc, &req);
		if (ret) {
			snprintf(tx->why, sizeof(tx->why),
				 "COPY MOVE (%s, %llu bytes): %s",
				 tx->ch->t->engine,
				 (unsigned long long)m->len, strerror(-ret));
			return na_or_error(ret);
		}
		if (req.engine != tx->ch->t->engine_id) {
			snprintf(tx->why, sizeof(tx->why),
				 "forced %s, ran on %s", tx->ch->t->engine,
				 ipcoff_engine_name(req.engine));
			return ST_NA;
		}
		if (req.copied != m->len) {
			snprintf(tx->why, sizeof(tx->why),
				 "COPY MOVE moved %llu of %llu",
				 (unsigned long long)req.copied,
				 (unsigned long long)m->len);
			return ST_ERROR;
		}
	}
	ret = msg_publish(tx->ch, d, m);
	/*
	 * Our slot now holds other pages, in no page table: in again for
	 * the next message written there, once the consumer has this one.
	 */
	populate(s, (char *)s->map + m->off, m->len, 1);
	return ret;
}

static void elide_tx_close(struct tx *tx)
{
	side_close(tx->priv);
	tx->priv = NULL;
	tx->area = NULL;
}

static int elide_rx_open(struct rx *rx)
{
	struct elide_shared *sh = rx->ch->shared;
	struct elide_side *s;

	/* Read-only: only the MOVE writes the consumer's buffer. */
	s = side_open(rx->ch->cfg.slot_size * rx->ch->cfg.depth, 0, rx->why,
		      sizeof(rx->why));
	if (!s)
		return ST_ERROR;
	rx->priv = s;
	sh->rx_handle = s->handle;
	return ST_OK;
}

static int elide_recv(struct rx *rx, struct msg *m)
{
	struct elide_side *s = rx->priv;
	struct desc *d = ring_peek(rx->ch->ring, 1);
	const unsigned char *src;

	msg_from_desc(m, d);
	src = s->map + slot_off(rx->ch, m->seq);
	populate(s, (void *)src, m->len, 0);
	msg_take(rx, m, src);
	return ST_OK;
}

static void elide_rx_close(struct rx *rx)
{
	side_close(rx->priv);
	rx->priv = NULL;
}

const struct transport_ops ipcoff_elide_ops = {
	.shared_size = sizeof(struct elide_shared),
	.tx_area = 1,
	.moves_source = 1,
	.check = elide_check,
	.tx_open = elide_tx_open,
	.send = elide_send,
	.tx_close = elide_tx_close,
	.rx_open = elide_rx_open,
	.recv = elide_recv,
	.release = rx_ring_release,
	.rx_close = elide_rx_close,
};
