// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * ipcoff-bench --peer ADDR: the rdma transport between two hosts. Both
 * hosts run the same matrix; for each rdma case each runs its own side
 * here instead of forking both (harness.c). The host with the lower
 * address is the stream's consumer and the ping-pong's responder; the
 * other produces and initiates.
 *
 * The hosts share no clock, so a stream's latency is not measured (its
 * table row has throughput and CPU only); a ping-pong's one-way latency is
 * half the round trip, taken by the initiator. Each host reports what it
 * measured itself: read the consumer's stream rows and the initiator's
 * ping-pong rows. A message of one byte ends a run.
 *
 * Channels are "rdma://ADDR:PORT", a fresh pair of ports per run (both
 * hosts count runs alike).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <ipcoff.h>

#include "bench.h"

#define PAIR_PORT_BASE	21000
#define PAIR_WAIT_NS	(180ULL * 1000000000ULL)

static unsigned int pair_runs;

/* Lower address: consumer and responder. */
static int is_low(const char *self, const char *peer)
{
	struct in_addr a, b;

	if (inet_pton(AF_INET, self, &a) != 1 ||
	    inet_pton(AF_INET, peer, &b) != 1)
		return strcmp(self, peer) < 0;
	return ntohl(a.s_addr) < ntohl(b.s_addr);
}

static int fail(struct run_result *r, int st, const char *what, int err)
{
	r->status = st;
	snprintf(r->why, sizeof(r->why), "%s: %s", what, strerror(-err));
	return st;
}

static int make(const char *addr, unsigned int port, size_t size,
		struct ipcoff_chan **ch)
{
	struct ipcoff_chan_attr a = {
		.msg_max = size, .depth = 8, .flags = IPCOFF_CHAN_QUIET,
	};
	char name[96];

	snprintf(name, sizeof(name), "rdma://%s:%u", addr, port);
	return ipcoff_chan_create(name, &a, ch);
}

/* The other host may be a case behind: retry what that looks like. */
static int reach(const char *addr, unsigned int port, size_t size,
		 struct ipcoff_chan **ch)
{
	uint64_t end = now_ns() + PAIR_WAIT_NS;
	char name[128];
	int ret;

	snprintf(name, sizeof(name), "rdma://%s:%u?msg_max=%zu", addr, port,
		 size);
	for (;;) {
		ret = ipcoff_chan_connect(name, IPCOFF_CHAN_QUIET, ch);
		if (!ret || (ret != -ECONNREFUSED && ret != -ETIMEDOUT &&
			     ret != -EHOSTUNREACH) || now_ns() > end)
			return ret;
		usleep(50000);
	}
}

static void finish(struct run_result *r, uint64_t msgs, uint64_t bytes,
		   uint64_t t0, uint64_t t1, const struct cpu_sample *c0,
		   const struct cpu_sample *c1)
{
	double s = (double)(t1 - t0) / 1e9;

	r->status = ST_OK;
	r->seconds = s;
	r->msgs = msgs;
	r->bytes = bytes;
	r->seen = msgs;
	r->msgs_per_s = s > 0 ? (double)msgs / s : 0;
	r->bytes_per_s = s > 0 ? (double)bytes / s : 0;
	if (msgs) {
		r->cpu_ns_per_msg = (double)(c1->cpu_ns - c0->cpu_ns) /
				    (double)msgs;
		r->cpu_user_ns_per_msg = (double)(c1->user_ns - c0->user_ns) /
					 (double)msgs;
		r->cpu_sys_ns_per_msg = (double)(c1->sys_ns - c0->sys_ns) /
					(double)msgs;
	}
}

static int stream_side(const struct bench_case *c, struct run_result *r,
		       bool low, unsigned int port, unsigned char *buf)
{
	uint64_t warm = (uint64_t)(opts.warmup_s * 1e9);
	uint64_t meas = (uint64_t)(opts.duration_s * 1e9);
	uint64_t t0 = 0, t1, start, msgs = 0, bytes = 0, seq = 0;
	struct cpu_sample c0, c1;
	struct ipcoff_chan *ch;
	int ret;

	if (!low) {
		ret = make(rdma_addr(), port, c->size, &ch);
		if (!ret)
			ret = ipcoff_chan_wait_consumers(ch, 1, PAIR_WAIT_NS);
		if (ret)
			return fail(r, ST_ERROR, "rdma producer", ret);
		start = now_ns();
		for (;;) {
			uint64_t now = now_ns();

			if (!t0 && now - start >= warm) {
				t0 = now;
				cpu_sample_self(&c0);
			}
			if (t0 && now - t0 >= meas)
				break;
			memcpy(buf, &seq, sizeof(seq));
			ret = ipcoff_chan_send(ch, buf, c->size, 0);
			if (ret)
				return fail(r, ST_ERROR, "rdma send", ret);
			seq++;
			if (t0) {
				msgs++;
				bytes += c->size;
			}
		}
		t1 = now_ns();
		cpu_sample_self(&c1);
		ret = ipcoff_chan_send(ch, buf, 1, 0);
		ipcoff_chan_close(ch);
		if (ret)
			return fail(r, ST_ERROR, "rdma send", ret);
		finish(r, msgs, bytes, t0, t1, &c0, &c1);
		return ST_OK;
	}
	ret = reach(opts.peer, port, c->size, &ch);
	if (ret)
		return fail(r, ST_ERROR, "rdma connect", ret);
	start = 0;
	for (;;) {
		ssize_t n = ipcoff_chan_recv(ch, buf, c->size, 0);
		uint64_t now = now_ns(), got;

		if (n < 0) {
			ipcoff_chan_close(ch);
			return fail(r, ST_ERROR, "rdma recv", (int)n);
		}
		if (n == 1)
			break;
		memcpy(&got, buf, sizeof(got));
		if ((size_t)n != c->size || got != seq) {
			ipcoff_chan_close(ch);
			r->bad++;
			return fail(r, ST_ERROR, "rdma stream out of order",
				    -EPROTO);
		}
		seq++;
		if (!start)
			start = now;
		if (!t0 && now - start >= warm) {
			t0 = now;
			cpu_sample_self(&c0);
			continue;
		}
		if (t0) {
			msgs++;
			bytes += (uint64_t)n;
		}
	}
	t1 = now_ns();
	cpu_sample_self(&c1);
	ipcoff_chan_close(ch);
	if (!t0)
		return fail(r, ST_ERROR, "rdma stream", -ETIMEDOUT);
	finish(r, msgs, bytes, t0, t1, &c0, &c1);
	return ST_OK;
}

static int pingpong_side(const struct bench_case *c, struct run_result *r,
			 bool low, unsigned int port, unsigned char *buf)
{
	uint64_t warm = (uint64_t)(opts.warmup_s * 1e9);
	uint64_t meas = (uint64_t)(opts.duration_s * 1e9);
	uint64_t t0 = 0, t1, start, msgs = 0, bytes = 0;
	struct ipcoff_chan *out = NULL, *in = NULL;
	struct cpu_sample c0, c1;
	int ret;

	/* Each side produces on its own port; it connects to the other's. */
	ret = make(rdma_addr(), port + (low ? 1 : 0), c->size, &out);
	if (ret)
		return fail(r, ST_ERROR, "rdma create", ret);
	r->samples = calloc(opts.max_samples ? opts.max_samples : 1,
			    sizeof(*r->samples));
	if (!r->samples) {
		ipcoff_chan_close(out);
		return fail(r, ST_ERROR, "samples", -ENOMEM);
	}
	if (low) {
		/* Responder: echo until the one-byte end. */
		ret = reach(opts.peer, port, c->size, &in);
		start = now_ns();
		while (!ret) {
			ssize_t n = ipcoff_chan_recv(in, buf, c->size, 0);

			if (n < 0) {
				ret = (int)n;
				break;
			}
			ret = ipcoff_chan_send(out, buf, (size_t)n, 0);
			if (n == 1)
				break;
			msgs++;
			bytes += (uint64_t)n;
		}
		t1 = now_ns();
		ipcoff_chan_close(in);
		ipcoff_chan_close(out);
		if (ret)
			return fail(r, ST_ERROR, "rdma echo", ret);
		/* Its figures are the initiator's to report. */
		cpu_sample_self(&c0);
		c1 = c0;
		finish(r, msgs, bytes, start, t1, &c0, &c1);
		return ST_OK;
	}
	start = now_ns();
	for (;;) {
		uint64_t t = now_ns(), rtt;
		ssize_t n;

		if (!t0 && t - start >= warm) {
			t0 = t;
			cpu_sample_self(&c0);
		}
		if (t0 && t - t0 >= meas)
			break;
		ret = ipcoff_chan_send(out, buf, c->size, 0);
		if (ret)
			break;
		/* The responder connects to us as it answers the first. */
		if (!in) {
			ret = reach(opts.peer, port + 1, c->size, &in);
			if (ret)
				break;
		}
		n = ipcoff_chan_recv(in, buf, c->size, 0);
		if (n != (ssize_t)c->size) {
			ret = n < 0 ? (int)n : -EPROTO;
			break;
		}
		rtt = now_ns() - t;
		if (t0) {
			if (r->nsamples < opts.max_samples)
				r->samples[r->nsamples++] = rtt / 2;
			msgs++;
			bytes += c->size;
		}
	}
	t1 = now_ns();
	cpu_sample_self(&c1);
	if (!ret)
		ret = ipcoff_chan_send(out, buf, 1, 0);
	if (!ret && in)
		ipcoff_chan_recv(in, buf, c->size, 0);
	ipcoff_chan_close(in);
	ipcoff_chan_close(out);
	if (ret)
		return fail(r, ST_ERROR, "rdma ping-pong", ret);
	finish(r, msgs, bytes, t0, t1, &c0, &c1);
	return ST_OK;
}

int pair_run_case(const struct bench_case *c, struct run_result *r)
{
	unsigned int port = PAIR_PORT_BASE + 2 * (pair_runs++ % 2000);
	bool low = is_low(rdma_addr(), opts.peer);
	unsigned char *buf;
	int ret;

	memset(r, 0, sizeof(*r));
	if (c->wl != WL_STREAM && c->wl != WL_PINGPONG) {
		r->status = ST_NA;
		snprintf(r->why, sizeof(r->why),
			 "two hosts: pingpong and stream only");
		return ST_NA;
	}
#ifdef IPCOFF_BENCH_RDMA
	ret = ipcoff_chan_rdma_enable();
#else
	ret = -EPROTONOSUPPORT;
#endif
	if (ret)
		return fail(r, ST_NA, "rdma", ret);
	buf = area_alloc(c->size < 64 ? 64 : c->size);
	if (!buf)
		return fail(r, ST_ERROR, "buffer", -ENOMEM);
	memset(buf, 0x5a, c->size);
	ret = c->wl == WL_STREAM ? stream_side(c, r, low, port, buf) :
				   pingpong_side(c, r, low, port, buf);
	area_free(buf, c->size < 64 ? 64 : c->size);
	return ret;
}
