// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * ipcoff-bench: ping-pong. Process 0 sends a message of the case's size
 * on channel 0; process 1 receives it into its buffer and sends one of the
 * same size back on channel 1; then again. One message in flight at a
 * time, so latency here is the unloaded one-way latency: from the moment
 * the sender has its slot to the moment the receiver holds the bytes.
 * Both directions are measured (two samples per round trip), and msgs/s
 * counts one-way messages.
 */
#include <string.h>

#include "bench.h"

static unsigned int pp_nprocs(const struct bench_case *c)
{
	(void)c;
	return 2;
}

static unsigned int pp_chans(const struct bench_case *c, struct chan_cfg *cfg)
{
	for (int i = 0; i < 2; i++) {
		cfg[i].slot_size = c->size;
		cfg[i].depth = 2;
	}
	return 2;
}

static size_t pp_size(const struct bench_case *c)
{
	return c->size;
}

static int pp_receiver(const struct bench_case *c, unsigned int idx)
{
	(void)c;
	(void)idx;
	return 1;
}

struct side {
	struct tx tx;
	struct rx rx;
	const struct transport_ops *ops;
	uint64_t seq;
};

static void side_open(struct proc_ctx *p, struct side *s, struct chan *out,
		      struct chan *in)
{
	int ret;

	s->ops = out->t->ops;
	s->tx.ch = out;
	s->tx.area_len = out->cfg.slot_size * out->cfg.depth;
	if (!s->ops->tx_area)
		s->tx.area = area_alloc(s->tx.area_len);
	s->rx.ch = in;
	s->rx.area_len = in->cfg.slot_size * in->cfg.depth;
	s->rx.area = area_alloc(s->rx.area_len);
	if ((!s->ops->tx_area && !s->tx.area) || !s->rx.area)
		proc_fail(p, ST_ERROR, "pingpong: out of memory");
	ret = s->ops->tx_open(&s->tx);
	if (ret)
		proc_fail(p, ret, s->tx.why[0] ? s->tx.why :
			  "pingpong: transport setup failed");
	memset(s->tx.area, 0x5a, s->tx.area_len);
	proc_barrier(p);
	ret = s->ops->rx_open(&s->rx);
	if (ret)
		proc_fail(p, ret, s->rx.why[0] ? s->rx.why :
			  "pingpong: transport setup failed");
	proc_barrier(p);
}

static void side_send(struct proc_ctx *p, struct side *s, uint32_t flags)
{
	struct msg m;
	int ret;

	memset(&m, 0, sizeof(m));
	m.seq = s->seq;
	m.off = (s->seq & (s->tx.ch->cfg.depth - 1)) * s->tx.ch->cfg.slot_size;
	m.flags = flags;
	if (!(flags & DESC_END)) {
		m.len = s->tx.ch->cfg.slot_size;
		ring_reserve(s->tx.ch->ring, (uint32_t)m.seq);
		produce_payload(s->tx.ch, (char *)s->tx.area + m.off, m.len,
				m.seq);
	}
	ret = s->ops->send(&s->tx, &m);
	if (ret)
		proc_fail(p, ret, s->tx.why[0] ? s->tx.why :
			  "pingpong: send failed");
	s->seq++;
}

/* Returns 0 at the end of the stream. */
static int side_recv(struct proc_ctx *p, struct side *s)
{
	struct msg m;
	uint64_t t;
	int ret, ok;

	ret = s->ops->recv(&s->rx, &m);
	if (ret)
		proc_fail(p, ret, s->rx.why);
	if (m.flags & DESC_END) {
		s->ops->release(&s->rx, &m);
		return 0;
	}
	ok = check_payload(m.data, m.len, m.seq);
	t = now_ns();
	if (proc_phase(p) == PH_MEASURE) {
		proc_record(p, t - m.t_send, m.len);
		p->res->bad += !ok;
	}
	s->ops->release(&s->rx, &m);
	return 1;
}

static int pp_role(struct proc_ctx *p)
{
	struct side s = { .seq = 0 };

	if (p->idx == 0) {
		side_open(p, &s, p->chans[0], p->chans[1]);
		while (proc_phase(p) != PH_STOP) {
			side_send(p, &s, 0);
			side_recv(p, &s);
		}
		side_send(p, &s, DESC_END);
	} else {
		side_open(p, &s, p->chans[1], p->chans[0]);
		while (side_recv(p, &s))
			side_send(p, &s, 0);
		proc_phase(p);
	}
	proc_barrier(p);
	s.ops->rx_close(&s.rx);
	s.ops->tx_close(&s.tx);
	return 0;
}

const struct workload_ops pingpong_ops = {
	.name = "pingpong",
	.nprocs = pp_nprocs,
	.chans = pp_chans,
	.role = pp_role,
	.receiver = pp_receiver,
	.size = pp_size,
};
