// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * ipcoff-bench: the shm transport, today's IPC baseline.
 *
 * A POSIX shared memory object holds depth payload slots. The producer
 * memcpy()s each message from its own buffer into the slot the ring gives
 * it and publishes the descriptor; the consumer either memcpy()s the
 * payload out into its own buffer ("stream": two copies in all) or reads
 * it where it is ("stream-inplace": one copy) before releasing the slot.
 *
 * Built to win: slots are page-aligned, both mappings are prefaulted, the
 * hand-off is ring.c's (no system call while both sides keep up), and the
 * copies are glibc's memcpy, which picks its widest vector loop and, for
 * copies past the non-temporal threshold, streaming stores.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "bench.h"

struct shm_side {
	unsigned char *data;
	size_t len;
	size_t stride;
};

static size_t stride_of(const struct chan *ch)
{
	size_t pg = (size_t)sysconf(_SC_PAGESIZE);

	return (ch->cfg.slot_size + pg - 1) / pg * pg;
}

static int shm_chan_init(struct chan *ch)
{
	size_t len = stride_of(ch) * ch->cfg.depth;
	int fd;

	snprintf(ch->name, sizeof(ch->name), "/ipcoff-bench-%d-%u",
		 (int)getpid(), ch->id);
	shm_unlink(ch->name);
	fd = shm_open(ch->name, O_RDWR | O_CREAT | O_EXCL, 0600);
	if (fd < 0)
		return -errno;
	if (ftruncate(fd, (off_t)len)) {
		int err = -errno;

		close(fd);
		shm_unlink(ch->name);
		return err;
	}
	close(fd);
	return 0;
}

static void shm_chan_fini(struct chan *ch)
{
	shm_unlink(ch->name);
}

/* Map the object as an independent process would: by its name. */
static struct shm_side *shm_map(struct chan *ch, int writable)
{
	struct shm_side *s = calloc(1, sizeof(*s));
	volatile unsigned char sink = 0;
	size_t pg = (size_t)sysconf(_SC_PAGESIZE);
	int fd;

	if (!s)
		return NULL;
	s->stride = stride_of(ch);
	s->len = s->stride * ch->cfg.depth;
	fd = shm_open(ch->name, writable ? O_RDWR : O_RDONLY, 0);
	if (fd < 0)
		goto fail;
	s->data = mmap(NULL, s->len, writable ? PROT_READ | PROT_WRITE :
		       PROT_READ, MAP_SHARED, fd, 0);
	close(fd);
	if (s->data == MAP_FAILED)
		goto fail;
	/* Prefault: no page fault inside the measurement. */
	for (size_t o = 0; o < s->len; o += pg) {
		if (writable)
			s->data[o] = 0;
		else
			sink ^= s->data[o];
	}
	(void)sink;
	return s;
fail:
	free(s);
	return NULL;
}

static void shm_unmap(struct shm_side *s)
{
	if (s) {
		munmap(s->data, s->len);
		free(s);
	}
}

static int shm_tx_open(struct tx *tx)
{
	tx->priv = shm_map(tx->ch, 1);
	return tx->priv ? ST_OK : ST_ERROR;
}

static int shm_send(struct tx *tx, struct msg *m)
{
	struct shm_side *s = tx->priv;
	struct desc *d = msg_begin(tx->ch, m);

	if (m->len)
		memcpy(s->data + (m->seq & (tx->ch->cfg.depth - 1)) * s->stride,
		       (const char *)tx->area + m->off, m->len);
	return msg_publish(tx->ch, d, m);
}

static void shm_tx_close(struct tx *tx)
{
	shm_unmap(tx->priv);
}

static int shm_rx_open(struct rx *rx)
{
	rx->priv = shm_map(rx->ch, 0);
	if (!rx->priv) {
		snprintf(rx->why, sizeof(rx->why), "shm_open/mmap: %s",
			 strerror(errno));
		return ST_ERROR;
	}
	return ST_OK;
}

static int shm_recv(struct rx *rx, struct msg *m)
{
	struct shm_side *s = rx->priv;
	struct desc *d = ring_peek(rx->ch->ring, 1);
	const unsigned char *src;

	msg_from_desc(m, d);
	src = s->data + (m->seq & (rx->ch->cfg.depth - 1)) * s->stride;
	msg_take(rx, m, src);
	return ST_OK;
}

static void shm_rx_close(struct rx *rx)
{
	shm_unmap(rx->priv);
}

const struct transport_ops shm_ops = {
	.chan_init = shm_chan_init,
	.chan_fini = shm_chan_fini,
	.tx_open = shm_tx_open,
	.send = shm_send,
	.tx_close = shm_tx_close,
	.rx_open = shm_rx_open,
	.recv = shm_recv,
	.release = rx_ring_release,
	.rx_close = shm_rx_close,
};
