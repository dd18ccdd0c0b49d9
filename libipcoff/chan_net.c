// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * libipcoff: channels named "ipcoff://HOST:PORT[?msg_max=N]", where the
 * library chooses between the local transport and rdma (issue 10's
 * policy, chan_policy.h).
 *
 * The producer is reachable both ways at once: it makes a local channel
 * findable under a name derived from PORT (the port names the channel on
 * its host, whatever address of it a consumer uses), and where the rdma
 * transport is enabled and an RDMA device is behind HOST it listens on
 * HOST:PORT over rdma too. It holds the two as sub-channels, each the
 * transport's own producer, and every message goes to both (to those with
 * consumers): each consumer of either kind gets every message, in order.
 * A message that reached the consumers of one sub-channel is then given to
 * the other's without a timeout, so a send is all or nothing for the
 * caller (as chan_rdma.c does across its consumers).
 *
 * A consumer decides once, in connect, and from then on is a plain local
 * or rdma consumer: its handle's transport is the chosen one, and
 * ipcoff_chan_info() says which.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include <ipcoff.h>

#include "chan_policy.h"
#include "chan_transport.h"
#include "internal.h"

#define NET_LOCAL	0
#define NET_RDMA	1
#define NET_ADMIT_NS	(1000000LL)
#define NET_SLICE_NS	(20 * 1000000LL)
#define NET_MAX_ADDRS	256
#define NET_MAX_DEVS	16

struct net {
	struct ipcoff_chan *sub[2];	/* local; rdma or NULL */
	int epfd;
	bool ever;			/* a consumer was there once */
	int64_t admitted_ns;
};

/* "HOST:PORT[?...]" -> host without brackets, port text. */
static int split(const char *addr, char *host, size_t hlen, char *port,
		 size_t plen)
{
	char buf[108], *p, *q, *end;
	unsigned long v;

	if (snprintf(buf, sizeof(buf), "%s", addr) >= (int)sizeof(buf))
		return -ENAMETOOLONG;
	q = strchr(buf, '?');
	if (q)
		*q = 0;
	p = strrchr(buf, ':');
	if (!p || p == buf)
		return -EINVAL;
	*p++ = 0;
	v = strtoul(p, &end, 10);
	if (*end || !*p || !v || v > 65535)
		return -EINVAL;
	snprintf(port, plen, "%lu", v);
	p = buf;
	if (*p == '[') {
		size_t n = strlen(p);

		if (n < 3 || p[n - 1] != ']')
			return -EINVAL;
		p[n - 1] = 0;
		p++;
	} else if (strchr(p, ':')) {
		return -EINVAL;	/* "::1:5" is an address too: IPv6 in [] */
	}
	if (snprintf(host, hlen, "%s", p) >= (int)hlen)
		return -ENAMETOOLONG;
	return 0;
}

/*
 * Both ends' first step: @addr's host and port, and this host's own
 * addresses into @addrs (returns how many, or -errno with the reason set).
 */
static int net_parse(struct ipcoff_chan *ch, const char *addr, char *host,
		     size_t hlen, char *port, size_t plen,
		     struct chan_addr *addrs)
{
	int ret = split(addr, host, hlen, port, plen);

	if (ret) {
		ipcoff_chan_set_error("%s: not ipcoff://HOST:PORT with a numeric HOST",
				      ch->name);
		return ret;
	}
	return chan_addrs_get(addrs, NET_MAX_ADDRS);
}

/*
 * The local transport's name of the channel at @port: it holds "://",
 * which no plain channel name can (channel.c refuses those), so it never
 * meets a channel made by name; chan_local.c keeps it abstract.
 */
static void local_name(char *buf, size_t len, const char *port)
{
	snprintf(buf, len, "ipcoff://%s", port);
}

static struct ipcoff_chan *sub_new(const struct ipcoff_chan *ch,
				   const struct chan_transport *t)
{
	struct ipcoff_chan *s = calloc(1, sizeof(*s));

	if (s) {
		s->t = t;
		s->producer = ch->producer;
		s->flags = ch->flags;
		s->msg_max = ch->msg_max;
		memcpy(s->name, ch->name, sizeof(s->name));
	}
	return s;
}

static void sub_close(struct ipcoff_chan *s)
{
	if (s) {
		s->t->close(s);
		free(s);
	}
}

static void net_free(struct net *n)
{
	sub_close(n->sub[NET_RDMA]);
	sub_close(n->sub[NET_LOCAL]);
	if (n->epfd >= 0)
		close(n->epfd);
	free(n);
}

static int net_create(struct ipcoff_chan *ch, const char *addr,
		      const struct ipcoff_chan_attr *a)
{
	struct chan_addr addrs[NET_MAX_ADDRS];
	const struct chan_transport *rdma = chan_transport_find("rdma://");
	char host[64], port[8], lname[32];
	struct net *n;
	int ret, na;

	na = net_parse(ch, addr, host, sizeof(host), port, sizeof(port),
		       addrs);
	if (na < 0)
		return na;
	ret = chan_host_is_local(host, addrs, (size_t)na, NULL);
	if (ret <= 0) {
		ipcoff_chan_set_error("%s: %s is %s", ch->name, host,
				      ret ? "not a numeric address" :
				      "not an address of this host");
		return ret ? ret : -EADDRNOTAVAIL;
	}
	if ((a->flags & IPCOFF_CHAN_RDMA) && !rdma) {
		ipcoff_chan_set_error("%s: rdma required, and this program did not enable it (libipcoff-rdma.a, ipcoff_chan_rdma_enable())",
				      ch->name);
		return -EPROTONOSUPPORT;
	}
	n = calloc(1, sizeof(*n));
	if (!n)
		return -ENOMEM;
	n->epfd = -1;
	ret = -ENOMEM;
	n->sub[NET_LOCAL] = sub_new(ch, &chan_local);
	if (!n->sub[NET_LOCAL])
		goto err;
	local_name(lname, sizeof(lname), port);
	ret = chan_local.create(n->sub[NET_LOCAL], lname, a);
	if (ret) {
		free(n->sub[NET_LOCAL]);
		n->sub[NET_LOCAL] = NULL;
		goto err;
	}
	if (rdma) {
		ret = -ENOMEM;
		n->sub[NET_RDMA] = sub_new(ch, rdma);
		if (!n->sub[NET_RDMA])
			goto err;
		ret = rdma->create(n->sub[NET_RDMA], addr, a);
		if (ret) {
			free(n->sub[NET_RDMA]);
			n->sub[NET_RDMA] = NULL;
			/* No rdma behind HOST: local consumers only. */
			if ((a->flags & IPCOFF_CHAN_RDMA) ||
			    (ret != -ENODEV && ret != -ENETDOWN &&
			     ret != -EADDRNOTAVAIL))
				goto err;
			chan_log_once(ch, "channel \"%s\": no rdma listener (%s): consumers on this host only",
				      ch->name, strerror(-ret));
		}
	}
	ch->priv = n;
	return 0;
err:
	net_free(n);
	return ret;
}

static unsigned int sub_consumers(struct ipcoff_chan *s)
{
	struct ipcoff_chan_info i;

	if (!s)
		return 0;
	memset(&i, 0, sizeof(i));
	s->t->info(s, &i);
	return i.consumers;
}

/* Both sub-channels admit who is waiting; consumers in all. */
static unsigned int net_admit(struct ipcoff_chan *ch, bool now)
{
	struct net *n = ch->priv;
	int64_t t = mono_now_ns();
	unsigned int c = 0;
	int i;

	if (now || t - n->admitted_ns >= NET_ADMIT_NS) {
		n->admitted_ns = t;
		for (i = 0; i < 2; i++)
			if (n->sub[i])
				n->sub[i]->t->progress(n->sub[i]);
	}
	for (i = 0; i < 2; i++)
		c += sub_consumers(n->sub[i]);
	if (c)
		n->ever = true;
	return c;
}

static int net_wait_consumers(struct ipcoff_chan *ch, unsigned int want,
			      int64_t timeout_ns)
{
	struct net *n = ch->priv;
	int64_t deadline = timeout_ns < 0 ? -1 : mono_now_ns() + timeout_ns;
	int i;

	for (;;) {
		if (net_admit(ch, true) >= want)
			return 0;
		/* Sleep in each sub-channel's own wait, a slice at a time. */
		for (i = 0; i < 2; i++) {
			int64_t slice = NET_SLICE_NS;

			if (!n->sub[i])
				continue;
			if (deadline >= 0) {
				int64_t left = deadline - mono_now_ns();

				if (left <= 0)
					return timeout_ns ? -ETIMEDOUT : -EAGAIN;
				if (left < slice)
					slice = left;
			}
			n->sub[i]->t->wait_consumers(n->sub[i],
				sub_consumers(n->sub[i]) + 1, slice);
		}
	}
}

static int net_sendv(struct ipcoff_chan *ch, const struct iovec *iov,
		     int iovcnt, size_t len, int64_t timeout_ns)
{
	struct net *n = ch->priv;
	bool sent = false;
	int i, ret, err = -EPIPE;

	if (!net_admit(ch, false) && !net_admit(ch, true)) {
		if (n->ever)
			return -EPIPE;
		ret = net_wait_consumers(ch, 1, timeout_ns);
		if (ret)
			return ret == -ETIMEDOUT ? -EAGAIN : ret;
	}
	for (i = 0; i < 2; i++) {
		struct ipcoff_chan *s = n->sub[i];

		if (!s || !sub_consumers(s))
			continue;
		/* Once some consumers have it, the others must get it too. */
		ret = s->t->sendv(s, iov, iovcnt, len, sent ? -1 : timeout_ns);
		if (!ret) {
			s->messages++;
			sent = true;
		} else if (ret == -EAGAIN && !sent) {
			return ret;
		} else if (ret != -EPIPE && ret != -ECONNRESET) {
			err = ret;
		}
	}
	return sent ? 0 : err;
}

static int net_fd(struct ipcoff_chan *ch)
{
	struct net *n = ch->priv;
	int i, fd, err;

	if (n->epfd >= 0)
		return n->epfd;
	n->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (n->epfd < 0)
		return -errno;
	for (i = 0; i < 2; i++) {
		struct epoll_event ev = { .events = EPOLLIN };

		if (!n->sub[i])
			continue;
		fd = n->sub[i]->t->fd(n->sub[i]);
		if (fd < 0) {
			err = fd;
			goto err;
		}
		if (epoll_ctl(n->epfd, EPOLL_CTL_ADD, fd, &ev)) {
			err = -errno;
			goto err;
		}
	}
	return n->epfd;
err:
	close(n->epfd);
	n->epfd = -1;
	return err;
}

static int net_progress(struct ipcoff_chan *ch)
{
	struct net *n = ch->priv;
	int i, ret = 0;

	for (i = 0; i < 2; i++) {
		int r;

		if (!n->sub[i])
			continue;
		r = n->sub[i]->t->progress(n->sub[i]);
		if (r < 0 && !ret)
			ret = r;
	}
	return ret;
}

static void net_info(struct ipcoff_chan *ch, struct ipcoff_chan_info *info)
{
	struct net *n = ch->priv;
	struct ipcoff_chan_info r;
	char local[16];

	n->sub[NET_LOCAL]->t->info(n->sub[NET_LOCAL], info);
	if (!n->sub[NET_RDMA])
		return;
	memset(&r, 0, sizeof(r));
	n->sub[NET_RDMA]->t->info(n->sub[NET_RDMA], &r);
	memcpy(local, info->transport, sizeof(local));
	if (snprintf(info->transport, sizeof(info->transport), "%.10s+%.4s",
		     local, r.transport) >= (int)sizeof(info->transport))
		info->transport[sizeof(info->transport) - 1] = 0;
	info->consumers += r.consumers;
	info->via |= r.via;
}

static void net_close(struct ipcoff_chan *ch)
{
	net_free(ch->priv);
}

/* The producer's calls only: a consumer is handed on in connect. */
static ssize_t net_recv(struct ipcoff_chan *ch, void *buf, size_t cap,
			int64_t timeout_ns)
{
	(void)ch, (void)buf, (void)cap, (void)timeout_ns;
	return -EINVAL;
}

static int net_peek(struct ipcoff_chan *ch, struct ipcoff_chan_msg *msg,
		    int64_t timeout_ns)
{
	(void)ch, (void)msg, (void)timeout_ns;
	return -EINVAL;
}

static int net_done(struct ipcoff_chan *ch, struct ipcoff_chan_msg *msg)
{
	(void)ch, (void)msg;
	return -EINVAL;
}

static bool env_on(const char *var)
{
	const char *v = getenv(var);

	return v && *v && strcmp(v, "0");
}

static int net_connect(struct ipcoff_chan *ch, const char *addr)
{
	struct chan_addr addrs[NET_MAX_ADDRS];
	struct chan_rdev devs[NET_MAX_DEVS];
	const struct chan_transport *rdma = chan_transport_find("rdma://");
	struct chan_policy_in in = { 0 };
	char host[64], port[8], lname[32], why[256];
	int ret, na, nd;

	na = net_parse(ch, addr, host, sizeof(host), port, sizeof(port),
		       addrs);
	if (na < 0)
		return na;
	nd = chan_rdevs_get(NULL, devs, NET_MAX_DEVS);
	in.host = host;
	in.addrs = addrs;
	in.naddrs = (size_t)na;
	in.devs = devs;
	in.ndevs = nd > 0 ? (size_t)nd : 0;
	in.rdma_enabled = rdma != NULL;
	in.asked = (ch->flags & IPCOFF_CHAN_RDMA) || env_on("IPCOFF_CHAN_RDMA");
	in.prefer_rnic = (ch->flags & IPCOFF_CHAN_PREFER_RNIC) ||
			 env_on("IPCOFF_CHAN_PREFER_RNIC");
	ret = chan_policy_route(&in, why, sizeof(why));
	if (ret < 0) {
		ipcoff_chan_set_error("%s: %s", ch->name, why);
		return ret;
	}
	if (ret == CHAN_ROUTE_RDMA) {
		ch->t = rdma;
		return rdma->connect(ch, addr);
	}
	ch->t = &chan_local;
	local_name(lname, sizeof(lname), port);
	return chan_local.connect(ch, lname);
}

const struct chan_transport chan_net = {
	.name = "net",
	.prefix = "ipcoff://",
	.create = net_create,
	.connect = net_connect,
	.wait_consumers = net_wait_consumers,
	.sendv = net_sendv,
	.recv = net_recv,
	.peek = net_peek,
	.done = net_done,
	.fd = net_fd,
	.progress = net_progress,
	.info = net_info,
	.close = net_close,
};
