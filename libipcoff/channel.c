// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * libipcoff: message channels, the calls. Arguments and flags are checked
 * here; the transport chosen by the name's prefix (chan_transport.h) does
 * the rest. An RDMA transport plugs in as one more table entry; names
 * "ipcoff://" leave the choice between local and rdma to chan_net.c.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ipcoff.h>

#include "chan_transport.h"

/*
 * Transports with a prefix, registered at run time (the rdma one lives in
 * libipcoff-rdma.a, so that this library never depends on rdma-core); the
 * local transport takes every other name.
 */
#define MAX_REGISTERED	4
static const struct chan_transport *registered[MAX_REGISTERED];

int ipcoff_chan_transport_register(const struct chan_transport *t)
{
	size_t i;

	if (!t || !t->prefix || !*t->prefix)
		return -EINVAL;
	for (i = 0; i < MAX_REGISTERED; i++) {
		const struct chan_transport *cur = NULL;

		if (__atomic_compare_exchange_n(&registered[i], &cur, t, false,
						__ATOMIC_ACQ_REL,
						__ATOMIC_ACQUIRE) || cur == t)
			return 0;
		if (!strcmp(cur->prefix, t->prefix))
			return -EEXIST;
	}
	return -ENOSPC;
}

const struct chan_transport *chan_transport_find(const char *prefix)
{
	size_t i;

	for (i = 0; i < MAX_REGISTERED; i++) {
		const struct chan_transport *t =
			__atomic_load_n(&registered[i], __ATOMIC_ACQUIRE);

		if (!t)
			break;
		if (!strcmp(t->prefix, prefix))
			return t;
	}
	return NULL;
}

static const struct chan_transport *pick(const char *name,
					 const char **addr)
{
	size_t n = strlen(chan_net.prefix);
	size_t i;

	/* The library's own choice between local and rdma. */
	if (!strncmp(name, chan_net.prefix, n)) {
		*addr = name + n;
		return &chan_net;
	}
	for (i = 0; i < MAX_REGISTERED; i++) {
		const struct chan_transport *t =
			__atomic_load_n(&registered[i], __ATOMIC_ACQUIRE);
		size_t n;

		if (!t)
			break;
		n = strlen(t->prefix);
		if (!strncmp(name, t->prefix, n)) {
			*addr = name + n;
			return t;
		}
	}
	/* A scheme nobody registered is not a local name. */
	if (strstr(name, "://"))
		return NULL;
	*addr = name;
	return &chan_local;
}

/* The last create or connect failure's message, per thread. */
static __thread char last_error[320];

void ipcoff_chan_set_error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(last_error, sizeof(last_error), fmt, ap);
	va_end(ap);
}

const char *ipcoff_chan_strerror(void)
{
	return last_error;
}

/* Unless the transport said more, the failure of @name is its errno's. */
static int failed(const char *name, int ret)
{
	if (ret && !last_error[0])
		ipcoff_chan_set_error("%s: %s", name ? name : "(null)",
				      strerror(-ret));
	return ret;
}

void chan_log_once(const struct ipcoff_chan *ch, const char *fmt, ...)
{
	static int said;
	char line[512];
	va_list ap;

	if ((ch->flags & IPCOFF_CHAN_QUIET) ||
	    __atomic_exchange_n(&said, 1, __ATOMIC_RELAXED))
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	/* One write: lines of several processes do not mix. */
	fprintf(stderr, "libipcoff: %s\n", line);
}

/* A name fits a unix socket address (abstract or path). */
static int name_ok(const char *name)
{
	if (!name || !*name)
		return -EINVAL;
	return strlen(name) < sizeof(((struct ipcoff_chan *)0)->name) - 12 ?
	       0 : -ENAMETOOLONG;
}

/* The checks create and connect make first, in the same order. */
static int chan_args(const char *name, struct ipcoff_chan **out)
{
	if (!out)
		return -EINVAL;
	*out = NULL;
	return name_ok(name);
}

/* A channel on the transport @name picks; *addr is what follows its prefix. */
static int chan_new(const char *name, unsigned int flags, const char **addr,
		    struct ipcoff_chan **chp)
{
	const struct chan_transport *t = pick(name, addr);
	struct ipcoff_chan *ch;

	if (!t)
		return -EPROTONOSUPPORT;
	ch = calloc(1, sizeof(*ch));
	if (!ch)
		return -ENOMEM;
	snprintf(ch->name, sizeof(ch->name), "%s", name);
	ch->flags = flags;
	ch->t = t;
	*chp = ch;
	return 0;
}

/* @ret from the transport: the channel is the caller's, or it is freed. */
static int chan_adopt(struct ipcoff_chan *ch, int ret, struct ipcoff_chan **out)
{
	if (ret) {
		free(ch);
		return ret;
	}
	*out = ch;
	return 0;
}

static int chan_create(const char *name, const struct ipcoff_chan_attr *attr,
		       struct ipcoff_chan **out)
{
	struct ipcoff_chan *ch;
	const char *addr = NULL;
	unsigned int i;
	int ret;

	ret = chan_args(name, out);
	if (ret)
		return ret;
	if (!attr || !attr->msg_max || attr->depth > IPCOFF_POOL_MAX_SLOTS ||
	    attr->mode > IPCOFF_CHAN_MODE_SHM ||
	    attr->engine >= IPCOFF_ENGINE_COUNT ||
	    (attr->flags & ~(IPCOFF_CHAN_NONBLOCK | IPCOFF_CHAN_QUIET |
			     IPCOFF_CHAN_NO_INLINE | IPCOFF_CHAN_RDMA)) ||
	    attr->inline_max > IPCOFF_CHAN_INLINE_LIMIT)
		return -EINVAL;
	for (i = 0; i < 3; i++)
		if (attr->reserved[i])
			return -EINVAL;
	ret = chan_new(name, attr->flags, &addr, &ch);
	if (ret)
		return ret;
	ch->producer = true;
	ch->msg_max = attr->msg_max;
	return chan_adopt(ch, ch->t->create(ch, addr, attr), out);
}

int ipcoff_chan_create(const char *name, const struct ipcoff_chan_attr *attr,
		       struct ipcoff_chan **out)
{
	last_error[0] = 0;
	return failed(name, chan_create(name, attr, out));
}

static int chan_connect(const char *name, unsigned int flags,
			struct ipcoff_chan **out)
{
	struct ipcoff_chan *ch;
	const char *addr = NULL;
	int ret;

	ret = chan_args(name, out);
	if (ret)
		return ret;
	if (flags & ~(IPCOFF_CHAN_NONBLOCK | IPCOFF_CHAN_QUIET |
		      IPCOFF_CHAN_RDMA | IPCOFF_CHAN_PREFER_RNIC))
		return -EINVAL;
	ret = chan_new(name, flags, &addr, &ch);
	if (ret)
		return ret;
	/* chan_net's connect hands @ch on to the transport it picks. */
	return chan_adopt(ch, ch->t->connect(ch, addr), out);
}

int ipcoff_chan_connect(const char *name, unsigned int flags,
			struct ipcoff_chan **out)
{
	last_error[0] = 0;
	return failed(name, chan_connect(name, flags, out));
}

/* 0 (do not wait) or -1 (as long as it takes), from the flags. */
static int64_t call_timeout(const struct ipcoff_chan *ch, unsigned int flags)
{
	return (flags & IPCOFF_CHAN_DONTWAIT) ||
	       (ch->flags & IPCOFF_CHAN_NONBLOCK) ? 0 : -1;
}

int ipcoff_chan_wait_consumers(struct ipcoff_chan *ch, unsigned int n,
			       int64_t timeout_ns)
{
	if (!ch || !ch->producer || n > IPCOFF_POOL_MAX_CONSUMERS)
		return -EINVAL;
	return ch->t->wait_consumers(ch, n, timeout_ns);
}

int ipcoff_chan_sendv(struct ipcoff_chan *ch, const struct iovec *iov,
		      int iovcnt, unsigned int flags)
{
	size_t len = 0;
	int i, ret;

	if (!ch || !ch->producer || iovcnt < 0 || iovcnt > IPCOFF_IOV_MAX ||
	    (iovcnt && !iov) || (flags & ~IPCOFF_CHAN_DONTWAIT))
		return -EINVAL;
	for (i = 0; i < iovcnt; i++) {
		if (iov[i].iov_len > ch->msg_max - len)
			return -EMSGSIZE;
		len += iov[i].iov_len;
	}
	ret = ch->t->sendv(ch, iov, iovcnt, len, call_timeout(ch, flags));
	if (!ret)
		ch->messages++;
	return ret;
}

int ipcoff_chan_send(struct ipcoff_chan *ch, const void *buf, size_t len,
		     unsigned int flags)
{
	struct iovec iov = { .iov_base = (void *)buf, .iov_len = len };

	if (len && !buf)
		return -EINVAL;
	return ipcoff_chan_sendv(ch, &iov, len ? 1 : 0, flags);
}

ssize_t ipcoff_chan_recv(struct ipcoff_chan *ch, void *buf, size_t cap,
			 unsigned int flags)
{
	ssize_t ret;

	if (!ch || ch->producer || (cap && !buf) ||
	    (flags & ~IPCOFF_CHAN_DONTWAIT))
		return -EINVAL;
	ret = ch->t->recv(ch, buf, cap, call_timeout(ch, flags));
	if (ret >= 0)
		ch->messages++;
	return ret;
}

int ipcoff_chan_peek(struct ipcoff_chan *ch, struct ipcoff_chan_msg *msg,
		     unsigned int flags)
{
	int ret;

	if (!ch || ch->producer || !msg || (flags & ~IPCOFF_CHAN_DONTWAIT))
		return -EINVAL;
	memset(msg, 0, sizeof(*msg));
	ret = ch->t->peek(ch, msg, call_timeout(ch, flags));
	if (!ret)
		ch->messages++;
	return ret;
}

int ipcoff_chan_done(struct ipcoff_chan *ch, struct ipcoff_chan_msg *msg)
{
	if (!ch || ch->producer || !msg)
		return -EINVAL;
	return ch->t->done(ch, msg);
}

int ipcoff_chan_fd(struct ipcoff_chan *ch)
{
	return ch ? ch->t->fd(ch) : -EINVAL;
}

int ipcoff_chan_progress(struct ipcoff_chan *ch)
{
	return ch ? ch->t->progress(ch) : -EINVAL;
}

int ipcoff_chan_info(struct ipcoff_chan *ch, struct ipcoff_chan_info *info)
{
	if (!ch || !info)
		return -EINVAL;
	memset(info, 0, sizeof(*info));
	info->producer = ch->producer;
	info->msg_max = ch->msg_max;
	info->messages = ch->messages;
	ch->t->info(ch, info);
	return 0;
}

void ipcoff_chan_close(struct ipcoff_chan *ch)
{
	if (!ch)
		return;
	ch->t->close(ch);
	free(ch);
}
