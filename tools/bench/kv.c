// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * ipcoff-bench: a key-value store's request queue. Process 0 is the
 * server, processes 1..N its clients (opts.kv_clients). A client sends a
 * 64-byte key through its request ring (inline in the descriptor, the
 * same for every transport) and waits for the value, which the server
 * sends through the transport under test: shm copies the value from the
 * store into the response ring and the client copies it out; cma and
 * ipcoff hand the client the value's place in the server's store and the
 * client pulls it with one copy. Values are 4 KiB to 64 KiB (64 of them,
 * sizes fixed by a seeded generator; "kv-mixed": 4 KiB to 4 MiB, as many
 * in each octave, sizes on both sides of where an engine starts to pay
 * off, for the scheduler's figures); the server sleeps on one doorbell
 * for all its clients. Latency is the client's request-to-value time;
 * msgs/s counts values received by all clients.
 */
#include <stdio.h>
#include <string.h>

#include "bench.h"

#define KV_KEYSPACE	4096

struct kv_layout {
	uint64_t off[KV_VALUES];
	uint64_t len[KV_VALUES];
	size_t total;
};

static uint64_t splitmix(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ULL;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

size_t kv_value_max(const struct bench_case *c)
{
	return c->wl == WL_KV_MIXED ? KV_MIXED_MAX : KV_VAL_MAX;
}

/* kv-mixed's value @j: an octave from 4 KiB up, then a size inside it. */
static uint64_t kv_mixed_len(unsigned int j)
{
	uint64_t base = KV_VAL_MIN << (j % 10);

	return base + splitmix(j) % base;
}

static void kv_layout(struct kv_layout *l, const struct bench_case *c)
{
	size_t off = 0;

	for (unsigned int j = 0; j < KV_VALUES; j++) {
		l->len[j] = c->wl == WL_KV_MIXED ? kv_mixed_len(j) :
			    KV_VAL_MIN +
			    splitmix(j) % (KV_VAL_MAX - KV_VAL_MIN + 1);
		l->off[j] = off;
		off += (l->len[j] + CACHELINE - 1) & ~(uint64_t)(CACHELINE - 1);
	}
	l->total = off;
}

static unsigned int kv_lookup(const unsigned char *key)
{
	uint64_t h = 0xcbf29ce484222325ULL;	/* FNV-1a */

	for (unsigned int i = 0; i < KV_KEY; i++)
		h = (h ^ key[i]) * 0x100000001b3ULL;
	return (unsigned int)(h % KV_VALUES);
}

static unsigned int kv_nprocs(const struct bench_case *c)
{
	return 1 + c->clients;
}

/* Responses 0..N-1 (the transport), requests N..2N-1 (inline). */
static unsigned int kv_chans(const struct bench_case *c, struct chan_cfg *cfg)
{
	unsigned int n = c->clients;

	for (unsigned int i = 0; i < n; i++) {
		cfg[i].slot_size = kv_value_max(c);
		cfg[i].depth = 2;
		cfg[n + i].slot_size = 0;
		cfg[n + i].depth = 2;
		cfg[n + i].meta_max = KV_KEY;
		cfg[n + i].ring_only = 1;
		cfg[n + i].bell = 1;
	}
	return 2 * n;
}

static size_t kv_size(const struct bench_case *c)
{
	return kv_value_max(c);
}

static int kv_receiver(const struct bench_case *c, unsigned int idx)
{
	(void)c;
	return idx > 0;
}

static int server(struct proc_ctx *p)
{
	unsigned int n = p->c->clients, active = n;
	const struct transport_ops *ops = p->chans[0]->t->ops;
	struct tx tx[MAX_PROCS];
	int ended[MAX_PROCS] = { 0 };
	uint64_t seq[MAX_PROCS] = { 0 };
	struct kv_layout l;
	unsigned char *store;

	kv_layout(&l, p->c);
	store = area_alloc(l.total);
	if (!store)
		proc_fail(p, ST_ERROR, "kv server: out of memory");
	memset(store, 0x5a, l.total);
	for (unsigned int j = 0; j < KV_VALUES; j++)
		stamp_payload(store + l.off[j], l.len[j], j);
	for (unsigned int i = 0; i < n; i++) {
		int ret;

		tx[i] = (struct tx){ .ch = p->chans[i], .area = store,
				     .area_len = l.total };
		ret = ops->tx_open(&tx[i]);
		if (ret)
			proc_fail(p, ret, tx[i].why[0] ? tx[i].why :
				  "kv server: transport setup failed");
	}
	proc_barrier(p);
	proc_barrier(p);

	while (active) {
		uint32_t seen = atomic_load(&p->ctl->bell.seq);
		int found = 0;

		for (unsigned int i = 0; i < n; i++) {
			struct ring *req = p->chans[n + i]->ring;
			unsigned char key[KV_KEY];
			struct desc *d;
			struct msg m;
			unsigned int j;
			int ret;

			if (ended[i] || !(d = ring_peek(req, 0)))
				continue;
			found = 1;
			if (d->flags & DESC_END) {
				ring_release(req);
				ended[i] = 1;
				active--;
				continue;
			}
			memcpy(key, d + 1, KV_KEY);
			ring_release(req);
			j = kv_lookup(key);
			memset(&m, 0, sizeof(m));
			m.seq = seq[i]++;
			m.off = l.off[j];
			m.len = l.len[j];
			m.user = j;
			ret = ops->send(&tx[i], &m);
			if (ret)
				proc_fail(p, ret, tx[i].why[0] ? tx[i].why :
					  "kv server: send failed");
		}
		proc_phase(p);
		if (!found && active)
			doorbell_wait(&p->ctl->bell, seen, opts.spin);
	}
	proc_phase(p);
	proc_barrier(p);
	for (unsigned int i = 0; i < n; i++)
		ops->tx_close(&tx[i]);
	return 0;
}

static int client(struct proc_ctx *p)
{
	unsigned int n = p->c->clients, me = p->idx - 1;
	struct chan *resp = p->chans[me], *req = p->chans[n + me];
	const struct transport_ops *ops = resp->t->ops;
	struct rx rx = { .ch = resp };
	unsigned char key[KV_KEY];
	struct kv_layout l;
	struct msg m, q;
	uint64_t seq = 0;
	int ret;

	kv_layout(&l, p->c);
	rx.area_len = resp->cfg.slot_size * resp->cfg.depth;
	rx.area = area_alloc(rx.area_len);
	if (!rx.area)
		proc_fail(p, ST_ERROR, "kv client: out of memory");
	proc_barrier(p);
	ret = ops->rx_open(&rx);
	if (ret)
		proc_fail(p, ret, rx.why[0] ? rx.why :
			  "kv client: transport setup failed");
	proc_barrier(p);

	memset(key, 0, sizeof(key));
	while (proc_phase(p) != PH_STOP) {
		struct desc *d;
		uint64_t t;
		int ok;

		snprintf((char *)key, sizeof(key), "user:%08u:profile",
			 (unsigned int)(splitmix(p->rng++) % KV_KEYSPACE));
		memset(&q, 0, sizeof(q));
		q.seq = seq++;
		q.meta = key;
		q.meta_len = KV_KEY;
		d = msg_begin(req, &q);
		msg_publish(req, d, &q);

		ret = ops->recv(&rx, &m);
		if (ret)
			proc_fail(p, ret, rx.why);
		ok = m.user < KV_VALUES && m.len == l.len[m.user] &&
		     m.user == kv_lookup(key) &&
		     check_payload(m.data, m.len, m.user);
		t = now_ns();
		if (proc_phase(p) == PH_MEASURE) {
			proc_record(p, t - q.t_send, m.len);
			p->res->bad += !ok;
		}
		ops->release(&rx, &m);
	}
	memset(&q, 0, sizeof(q));
	q.seq = seq;
	q.flags = DESC_END;
	msg_publish(req, msg_begin(req, &q), &q);

	proc_barrier(p);
	ops->rx_close(&rx);
	return 0;
}

static int kv_role(struct proc_ctx *p)
{
	return p->idx == 0 ? server(p) : client(p);
}

const struct workload_ops kv_ops = {
	.name = "kv",
	.nprocs = kv_nprocs,
	.chans = kv_chans,
	.role = kv_role,
	.receiver = kv_receiver,
	.size = kv_size,
	.resends = 1,
};
