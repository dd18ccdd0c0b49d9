// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * ipcoff-bench: the cma transport (cross-memory attach).
 *
 * The producer publishes where the message sits in its own memory; the
 * consumer pulls it into its buffer with one process_vm_readv() (one copy,
 * by the kernel, on the consumer's CPU) and then releases the descriptor,
 * which tells the producer it may reuse that buffer. The hand-off is
 * ring.c's, the same as shm's: no pipe, no system call but the copy.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/uio.h>
#include <unistd.h>

#include "bench.h"

#ifndef PR_SET_PTRACER
#define PR_SET_PTRACER 0x59616d61
#endif
#ifndef PR_SET_PTRACER_ANY
#define PR_SET_PTRACER_ANY ((unsigned long)-1)
#endif

static int cma_check(const struct transport *t, enum workload wl,
		     char *why, size_t len)
{
	struct iovec l, r;
	char a = 1, b = 0;

	(void)t;
	(void)wl;
	l.iov_base = &b;
	l.iov_len = 1;
	r.iov_base = &a;
	r.iov_len = 1;
	if (process_vm_readv(getpid(), &l, 1, &r, 1, 0) != 1) {
		snprintf(why, len, "process_vm_readv: %s", strerror(errno));
		return ST_NA;
	}
	return ST_OK;
}

static int cma_tx_open(struct tx *tx)
{
	/* Yama's ptrace_scope=1 would refuse a sibling reader. */
	prctl(PR_SET_PTRACER, PR_SET_PTRACER_ANY, 0, 0, 0);
	tx->ch->tx_pid = getpid();
	tx->ch->tx_base = (uint64_t)(uintptr_t)tx->area;
	tx->ch->tx_len = tx->area_len;
	return ST_OK;
}

static int cma_send(struct tx *tx, struct msg *m)
{
	struct desc *d = msg_begin(tx->ch, m);

	return msg_publish(tx->ch, d, m);
}

static void cma_tx_close(struct tx *tx)
{
	(void)tx;
}

static int cma_rx_open(struct rx *rx)
{
	(void)rx;
	return ST_OK;
}

static int cma_recv(struct rx *rx, struct msg *m)
{
	struct chan *ch = rx->ch;
	struct desc *d = ring_peek(ch->ring, 1);
	unsigned char *dst;
	size_t done = 0;

	msg_from_desc(m, d);
	dst = rx_slot(rx, m->seq);
	m->data = dst;
	while (done < m->len) {
		struct iovec l = { dst + done, m->len - done };
		struct iovec r = {
			(void *)(uintptr_t)(ch->tx_base + m->off + done),
			m->len - done,
		};
		ssize_t n = process_vm_readv(ch->tx_pid, &l, 1, &r, 1, 0);

		if (n <= 0) {
			snprintf(rx->why, sizeof(rx->why),
				 "process_vm_readv: %s",
				 n < 0 ? strerror(errno) : "no progress");
			return n < 0 && (errno == EPERM || errno == ENOSYS) ?
			       ST_NA : ST_ERROR;
		}
		done += (size_t)n;
	}
	return ST_OK;
}

static void cma_rx_close(struct rx *rx)
{
	(void)rx;
}

const struct transport_ops cma_ops = {
	.check = cma_check,
	.tx_open = cma_tx_open,
	.send = cma_send,
	.tx_close = cma_tx_close,
	.rx_open = cma_rx_open,
	.recv = cma_recv,
	.release = rx_ring_release,
	.rx_close = cma_rx_close,
};
