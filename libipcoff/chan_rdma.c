// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * libipcoff: the rdma channel transport, in libipcoff-rdma.a (never in
 * libipcoff.so, which must not depend on rdma-core). A program that wants
 * it links the archive and calls ipcoff_chan_rdma_enable() once; that
 * registers this transport with the channel layer (channel.c's hook), and
 * from then on a name "rdma://HOST:PORT" picks it.
 *
 * One rdma connection (rdma.c: RC queue pair, WRITE_WITH_IMM into the
 * peer's registered slots, credits) per consumer. The producer listens on
 * HOST:PORT and admits consumers as the local transport does; a send goes
 * to every admitted consumer, each message behind a small header that
 * also carries the producer's hello (its msg_max) and its orderly close
 * (so a consumer tells -EPIPE from -ECONNRESET, as locally).
 *
 * A consumer's receive ring must hold the producer's largest message; it
 * does not know it before connecting, so it registers msg_max bytes per
 * slot from the name ("rdma://HOST:PORT?msg_max=N"), else 1 MiB plus the
 * header. The producer says its msg_max in the hello; a consumer whose
 * ring is too small gets -EMSGSIZE from its first receive.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <time.h>
#include <unistd.h>

#include <ipcoff.h>

#include "chan_transport.h"
#include "rdma.h"

#define RCH_MAGIC		0x7264636eU	/* "rdcn" */
#define RCH_DATA		1
#define RCH_HELLO		2
#define RCH_CLOSE		3
#define RCH_DEPTH_DEFAULT	8
#define RCH_RING_DEFAULT	(1U << 20)
#define RCH_DEAD_MS		4000
#define RCH_CLOSE_MS		200
#define RCH_PEEK_MAGIC		0x72646d61ULL

/* In front of every message. */
struct rch_hdr {
	uint32_t magic;
	uint32_t type;
	uint64_t arg;		/* HELLO: the channel's msg_max */
};

struct rch_cons {
	struct ipcoff_rdma *r;
};

struct rch {
	char host[64];
	uint16_t port;
	struct ipcoff_rdma_opts opts;
	unsigned int mode;
	unsigned int engine;
	unsigned int depth;
	/* Producer. */
	struct ipcoff_rdma_listener *lis;
	struct rch_cons cons[IPCOFF_POOL_MAX_CONSUMERS];
	unsigned int ncons;
	bool ever;
	int epfd;
	/* Consumer. */
	struct ipcoff_rdma *r;
	int gone;		/* 0, -EPIPE, -ECONNRESET */
	bool hello;
	bool peeked;
};

/* "HOST:PORT[?msg_max=N]", HOST numeric, "[v6]" allowed. */
static int parse_addr(struct rch *c, const char *addr, size_t *ring)
{
	char buf[108], *port, *q, *end, *host = buf;
	unsigned long v;

	if (snprintf(buf, sizeof(buf), "%s", addr) >= (int)sizeof(buf))
		return -ENAMETOOLONG;
	q = strchr(buf, '?');
	if (q) {
		*q++ = 0;
		if (strncmp(q, "msg_max=", 8))
			return -EINVAL;
		v = strtoul(q + 8, &end, 0);
		if (*end || !v)
			return -EINVAL;
		*ring = v;
	}
	port = strrchr(buf, ':');
	if (!port || port == buf)
		return -EINVAL;
	*port++ = 0;
	if (*host == '[') {
		size_t n = strlen(host);

		if (n < 3 || host[n - 1] != ']')
			return -EINVAL;
		host[n - 1] = 0;
		host++;
	}
	v = strtoul(port, &end, 10);
	if (*end || !v || v > 65535)
		return -EINVAL;
	if (snprintf(c->host, sizeof(c->host), "%s", host) >=
	    (int)sizeof(c->host))
		return -ENAMETOOLONG;
	c->port = (uint16_t)v;
	return 0;
}

static int64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static int ms_of(int64_t timeout_ns)
{
	if (timeout_ns < 0)
		return -1;
	if (timeout_ns > (int64_t)1000000 * 0x7fffffff)
		return 0x7fffffff;
	return (int)((timeout_ns + 999999) / 1000000);
}

/* A channel's state for @addr; *ring takes its msg_max= if it has one. */
static int rch_new(const char *addr, size_t *ring, struct rch **cp)
{
	struct rch *c = calloc(1, sizeof(*c));
	int ret;

	if (!c)
		return -ENOMEM;
	c->epfd = -1;
	ret = parse_addr(c, addr, ring);
	if (ret) {
		free(c);
		return ret;
	}
	*cp = c;
	return 0;
}

/* The RDMA options both ends take: one slot per message of depth. */
static void rch_opts(struct rch *c, size_t msg_max)
{
	c->opts.msg_max = msg_max + sizeof(struct rch_hdr);
	c->opts.slots = c->depth;
	c->opts.dead_ms = RCH_DEAD_MS;
}

/* @ret from listen or connect: @c becomes the channel's, or is freed. */
static int rch_adopt(struct ipcoff_chan *ch, struct rch *c, int ret)
{
	if (ret) {
		ipcoff_chan_set_error("%s: %s", ch->name,
				      ipcoff_rdma_strerror());
		free(c);
		return ret;
	}
	ch->priv = c;
	return 0;
}

static int rch_create(struct ipcoff_chan *ch, const char *addr,
		      const struct ipcoff_chan_attr *a)
{
	struct rch *c;
	size_t ring = 0;
	int ret;

	ret = rch_new(addr, &ring, &c);
	if (ret)
		return ret;
	c->mode = a->mode;
	c->engine = a->engine;
	c->depth = a->depth ? a->depth : RCH_DEPTH_DEFAULT;
	/* Sends are capped by our own msg_max too, so it is the channel's. */
	rch_opts(c, a->msg_max);
	return rch_adopt(ch, c, ipcoff_rdma_listen(c->host, c->port, &c->opts,
						   &c->lis));
}

static void drop(struct rch *c, unsigned int i)
{
	if (c->epfd >= 0)
		epoll_ctl(c->epfd, EPOLL_CTL_DEL, ipcoff_rdma_fd(c->cons[i].r),
			  NULL);
	ipcoff_rdma_close(c->cons[i].r);
	c->cons[i] = c->cons[--c->ncons];
}

/* Accept one consumer within @ms; it gets the hello first. */
static int admit_one(struct ipcoff_chan *ch, int ms)
{
	struct rch *c = ch->priv;
	struct rch_hdr h = {
		.magic = RCH_MAGIC, .type = RCH_HELLO, .arg = ch->msg_max,
	};
	struct ipcoff_rdma *r;
	int ret;

	if (c->ncons >= IPCOFF_POOL_MAX_CONSUMERS)
		return -EUSERS;
	ret = ipcoff_rdma_accept(c->lis, ms, &r);
	if (ret)
		return ret;
	if (ipcoff_rdma_send(r, &h, sizeof(h), RCH_CLOSE_MS)) {
		ipcoff_rdma_close(r);
		return 0;	/* it left already: look for the next */
	}
	c->cons[c->ncons++].r = r;
	c->ever = true;
	if (c->epfd >= 0) {
		struct epoll_event ev = { .events = EPOLLIN };

		epoll_ctl(c->epfd, EPOLL_CTL_ADD, ipcoff_rdma_fd(r), &ev);
	}
	return 0;
}

/* Every consumer waiting now. */
static void admit(struct ipcoff_chan *ch)
{
	while (!admit_one(ch, 0))
		;
}

/* Reap completions and credits; drop consumers that went away. */
static void check_consumers(struct rch *c)
{
	unsigned int i = 0;

	while (i < c->ncons) {
		if (ipcoff_rdma_progress(c->cons[i].r) < 0)
			drop(c, i);
		else
			i++;
	}
}

static int rch_wait_consumers(struct ipcoff_chan *ch, unsigned int n,
			      int64_t timeout_ns)
{
	struct rch *c = ch->priv;
	int64_t deadline = timeout_ns < 0 ? -1 : mono_ns() + timeout_ns;

	for (;;) {
		int ms = 50;

		admit(ch);
		check_consumers(c);
		if (c->ncons >= n)
			return 0;
		if (deadline >= 0) {
			int64_t left = deadline - mono_ns();

			if (left <= 0)
				return timeout_ns ? -ETIMEDOUT : -EAGAIN;
			if (left < 50 * 1000000LL)
				ms = ms_of(left);
		}
		/* Sleeps in the listener's event channel. */
		admit_one(ch, ms);
	}
}

static int rch_sendv(struct ipcoff_chan *ch, const struct iovec *iov,
		     int iovcnt, size_t len, int64_t timeout_ns)
{
	struct rch *c = ch->priv;
	int ms = ms_of(timeout_ns);
	unsigned int i, sent = 0;
	int ret;

	admit(ch);
	if (!c->ncons) {
		if (c->ever)
			return -EPIPE;
		ret = rch_wait_consumers(ch, 1, timeout_ns);
		if (ret)
			return ret == -ETIMEDOUT ? -EAGAIN : ret;
	}
	/* Without waiting: all or none, so every consumer sees one stream. */
	if (!ms) {
		check_consumers(c);
		for (i = 0; i < c->ncons; i++) {
			struct ipcoff_rdma_info ri;

			ipcoff_rdma_info(c->cons[i].r, &ri);
			if (!ri.credits)
				return -EAGAIN;
		}
	}
	i = 0;
	while (i < c->ncons) {
		struct rch_hdr h = { .magic = RCH_MAGIC, .type = RCH_DATA };
		unsigned char *slot;
		size_t off = sizeof(h);
		int k;

		/*
		 * Once one consumer has the message the others must get it
		 * too, or a retried send would give it twice: wait then (a
		 * dead consumer still ends the wait within dead_ms).
		 */
		ret = ipcoff_rdma_send_reserve(c->cons[i].r, sent ? -1 : ms,
					       (void **)&slot);
		if (ret == -EAGAIN || ret == -ETIMEDOUT)
			return -EAGAIN;
		if (!ret) {
			memcpy(slot, &h, sizeof(h));
			for (k = 0; k < iovcnt; k++) {
				memcpy(slot + off, iov[k].iov_base,
				       iov[k].iov_len);
				off += iov[k].iov_len;
			}
			ret = ipcoff_rdma_send_commit(c->cons[i].r,
						      sizeof(h) + len);
		}
		if (ret) {
			/* That consumer is gone (or cannot take it). */
			drop(c, i);
			continue;
		}
		sent++;
		i++;
	}
	return c->ncons ? 0 : -EPIPE;
}

static int rch_connect(struct ipcoff_chan *ch, const char *addr)
{
	struct rch *c;
	size_t ring = RCH_RING_DEFAULT;
	int ret;

	ret = rch_new(addr, &ring, &c);
	if (ret)
		return ret;
	c->depth = RCH_DEPTH_DEFAULT;
	rch_opts(c, ring);
	return rch_adopt(ch, c, ipcoff_rdma_connect(c->host, c->port, &c->opts,
						    RCH_DEAD_MS, &c->r));
}

/*
 * The next data message in place (its header checked), the hello and
 * the close taken on the way. -EMSGSIZE forever if our ring is too small;
 * -EBUSY while a peeked message holds the ring's head.
 */
static ssize_t next_data(struct ipcoff_chan *ch, int64_t timeout_ns,
			 const unsigned char **data)
{
	struct rch *c = ch->priv;
	int ms = ms_of(timeout_ns);

	if (c->peeked)
		return -EBUSY;
	for (;;) {
		const struct rch_hdr *h;
		const void *m;
		ssize_t n;

		if (c->gone)
			return c->gone;
		n = ipcoff_rdma_recv_peek(c->r, ms, &m);
		if (n == -ETIMEDOUT || n == -EAGAIN)
			return -EAGAIN;
		if (n < 0) {
			c->gone = n == -ECONNRESET || n == -EPIPE ?
				  -ECONNRESET : (int)n;
			return c->gone;
		}
		h = m;
		if ((size_t)n < sizeof(*h) || h->magic != RCH_MAGIC) {
			c->gone = -EPROTO;
			return c->gone;
		}
		if (h->type == RCH_DATA) {
			if (!c->hello) {
				c->gone = -EPROTO;
				return c->gone;
			}
			*data = (const unsigned char *)m + sizeof(*h);
			return n - (ssize_t)sizeof(*h);
		}
		if (h->type == RCH_HELLO) {
			ch->msg_max = h->arg;
			c->hello = true;
			if (h->arg + sizeof(*h) > c->opts.msg_max)
				c->gone = -EMSGSIZE;
		} else if (h->type == RCH_CLOSE) {
			c->gone = -EPIPE;
		}
		ipcoff_rdma_recv_release(c->r);
	}
}

static ssize_t rch_recv(struct ipcoff_chan *ch, void *buf, size_t cap,
			int64_t timeout_ns)
{
	struct rch *c = ch->priv;
	const unsigned char *d;
	ssize_t n;

	n = next_data(ch, timeout_ns, &d);
	if (n < 0)
		return n;
	if ((size_t)n > cap)
		return -EMSGSIZE;	/* it stays for a larger buffer */
	memcpy(buf, d, (size_t)n);
	ipcoff_rdma_recv_release(c->r);
	return n;
}

/* One message in place at a time: the ring gives back its head only. */
static int rch_peek(struct ipcoff_chan *ch, struct ipcoff_chan_msg *m,
		    int64_t timeout_ns)
{
	struct rch *c = ch->priv;
	const unsigned char *d;
	ssize_t n;

	n = next_data(ch, timeout_ns, &d);
	if (n < 0)
		return (int)n;
	c->peeked = true;
	m->data = d;
	m->len = (uint64_t)n;
	m->seq = ch->messages;
	m->priv[1] = RCH_PEEK_MAGIC;
	return 0;
}

static int rch_done(struct ipcoff_chan *ch, struct ipcoff_chan_msg *m)
{
	struct rch *c = ch->priv;

	if (m->priv[1] != RCH_PEEK_MAGIC || !c->peeked)
		return -EINVAL;
	c->peeked = false;
	m->priv[1] = 0;
	ipcoff_rdma_recv_release(c->r);
	return 0;
}

static int rch_fd(struct ipcoff_chan *ch)
{
	struct rch *c = ch->priv;
	struct epoll_event ev = { .events = EPOLLIN };
	unsigned int i;

	if (!ch->producer)
		return ipcoff_rdma_fd(c->r);
	if (c->epfd >= 0)
		return c->epfd;
	c->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (c->epfd < 0)
		return -errno;
	if (epoll_ctl(c->epfd, EPOLL_CTL_ADD, ipcoff_rdma_listener_fd(c->lis),
		      &ev))
		goto err;
	for (i = 0; i < c->ncons; i++)
		if (epoll_ctl(c->epfd, EPOLL_CTL_ADD,
			      ipcoff_rdma_fd(c->cons[i].r), &ev))
			goto err;
	return c->epfd;
err:
	i = (unsigned int)errno;
	close(c->epfd);
	c->epfd = -1;
	return -(int)i;
}

static int rch_progress(struct ipcoff_chan *ch)
{
	struct rch *c = ch->priv;

	if (ch->producer) {
		admit(ch);
		check_consumers(c);
		return 0;
	}
	if (c->gone)
		return c->gone;
	return ipcoff_rdma_progress(c->r) < 0 ? -ECONNRESET : 0;
}

static void rch_info(struct ipcoff_chan *ch, struct ipcoff_chan_info *info)
{
	struct rch *c = ch->priv;

	snprintf(info->transport, sizeof(info->transport), "rdma");
	info->mode = c->mode;
	info->engine = c->engine;
	info->depth = c->depth;
	info->consumers = ch->producer ? c->ncons : 0;
	info->via = IPCOFF_CHAN_VIA_RDMA;
}

static void rch_close(struct ipcoff_chan *ch)
{
	struct rch *c = ch->priv;
	struct rch_hdr h = { .magic = RCH_MAGIC, .type = RCH_CLOSE };

	if (ch->producer) {
		/* Orderly: each consumer gets -EPIPE, not -ECONNRESET. */
		while (c->ncons) {
			ipcoff_rdma_send(c->cons[0].r, &h, sizeof(h),
					 RCH_CLOSE_MS);
			drop(c, 0);
		}
		ipcoff_rdma_listener_close(c->lis);
	} else {
		ipcoff_rdma_close(c->r);
	}
	if (c->epfd >= 0)
		close(c->epfd);
	free(c);
}

static const struct chan_transport chan_rdma = {
	.name = "rdma",
	.prefix = "rdma://",
	.create = rch_create,
	.connect = rch_connect,
	.wait_consumers = rch_wait_consumers,
	.sendv = rch_sendv,
	.recv = rch_recv,
	.peek = rch_peek,
	.done = rch_done,
	.fd = rch_fd,
	.progress = rch_progress,
	.info = rch_info,
	.close = rch_close,
};

int ipcoff_chan_rdma_enable(void)
{
	return ipcoff_chan_transport_register(&chan_rdma);
}
