// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * libipcoff: the local channel transport. A channel is a Hybrid-Coord
 * pool (pool.c) whose slots hold one message each, found through a unix
 * socket (SOCK_SEQPACKET) that the producer listens on: an abstract name
 * ("\0ipcoff-chan/NAME"), or a path when NAME holds a '/'. Each consumer's
 * connection carries the pool's fds to it and then stays open: it is how
 * either side learns that the other one left.
 *
 * The producer admits the consumers that connected in its next progress
 * or wait_consumers call, or in a send (a send looks at most every
 * ADMIT_EVERY_NS: accept4() on every message would double a small
 * message's syscalls) (connect() itself returns once the
 * kernel queued the connection, so a producer and its consumers may start
 * in any order); a consumer finishes its side of the handshake in its
 * first receive.
 *
 * A send returns once the message is published: the copy's completion was
 * reaped (and the caller's buffer is free again). Messages up to the
 * channel's inline_max are memcpy'd into the slot's inline area in the
 * pool's control memfd and published at once: for them a SUBMIT, its
 * completion and the consumer's COPY cost more than the bytes. How a
 * larger one is copied is the mode: Hybrid-Coord one SUBMIT, Async-Pipe
 * CHUNKED pieces, Cache-Inject ipcoff_submit_inject() (destination written
 * back with CLWB where the module has cache actions), auto by size.
 * Without the module: memcpy into a memfd slot.
 *
 * A consumer's copying receive reads the slot with an ipcoff COPY from its
 * own context where it has one: if the producer is gone the kernel says
 * ENOENT, where a load from the unmapped buffer would be SIGBUS. Inline
 * messages are in the control memfd, which stays mapped: plain memcpy.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <ipcoff.h>

#include "chan_transport.h"
#include "internal.h"
#include "pool.h"

#define CHAN_DEPTH_DEFAULT	8
/* auto: Cache-Inject up to here, Async-Pipe from AUTO_PIPE_FROM on. */
#define AUTO_INJECT_MAX		(64 * 1024)
#define AUTO_PIPE_FROM		(256 * 1024)
#define PIPE_CHUNK_MIN		(64 * 1024)
#define CHAN_SLICE_NS		(50 * 1000000LL)
#define ADMIT_EVERY_NS		(1000000LL)
#define MSG_MAGIC		0x6c6f63616cULL

struct local {
	struct ipcoff_pool *pool;
	int sock;		/* producer: listening; consumer: connected */
	int epfd;		/* producer: listen socket + pool fd */
	bool path;		/* a file system name, unlinked at close */
	pid_t owner;		/* the producer that may unlink it */
	struct sockaddr_un sa;
	socklen_t sa_len;
	unsigned int mode;
	unsigned int engine;
	unsigned int depth;
	unsigned int backing;	/* IPCOFF_POOL_BACKING_*, 0 before attach */
	uint32_t chunk;
	size_t inline_max;	/* messages memcpy'd through the memfd */
	int64_t admitted_ns;	/* producer: the last look for consumers */
	/* Consumer. */
	struct ipcoff ipc;	/* its own context, for COPY out */
	bool want_fd;
	bool held;		/* a message -EMSGSIZE left in place */
	struct ipcoff_pool_msg msg;
};

static int make_addr(struct local *l, const char *addr)
{
	size_t n = strlen(addr);

	memset(&l->sa, 0, sizeof(l->sa));
	l->sa.sun_family = AF_UNIX;
	/* chan_net.c's names hold "://" and stay abstract. */
	if (strchr(addr, '/') && !strstr(addr, "://")) {
		if (n >= sizeof(l->sa.sun_path))
			return -ENAMETOOLONG;
		memcpy(l->sa.sun_path, addr, n);
		l->sa_len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) +
					n + 1);
		l->path = true;
		return 0;
	}
	/* Abstract: no file, gone with the last socket. */
	n = (size_t)snprintf(l->sa.sun_path + 1, sizeof(l->sa.sun_path) - 1,
			     "ipcoff-chan/%s", addr);
	if (n >= sizeof(l->sa.sun_path) - 1)
		return -ENAMETOOLONG;
	l->sa_len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + n);
	return 0;
}

static struct local *local_new(void)
{
	struct local *l = calloc(1, sizeof(*l));

	if (l) {
		l->sock = -1;
		l->epfd = -1;
		l->ipc.fd = -1;
	}
	return l;
}

static void local_free(struct local *l)
{
	if (!l)
		return;
	ipcoff_pool_close(l->pool);
	if (l->epfd >= 0)
		close(l->epfd);
	if (l->sock >= 0)
		close(l->sock);
	ipcoff_close(&l->ipc);
	free(l);
}

/* @ret from setting @l up: @l becomes the channel's, or is freed. */
static int local_adopt(struct ipcoff_chan *ch, struct local *l, int ret)
{
	if (ret) {
		local_free(l);
		return ret;
	}
	ch->priv = l;
	return 0;
}

static int64_t deadline_of(int64_t timeout_ns)
{
	return timeout_ns < 0 ? -1 : mono_now_ns() + timeout_ns;
}

/* Milliseconds for poll() until @deadline, at most a slice. */
static int slice_ms(int64_t deadline)
{
	int64_t left = CHAN_SLICE_NS;

	if (deadline >= 0) {
		left = deadline - mono_now_ns();
		if (left <= 0)
			return 0;
		if (left > CHAN_SLICE_NS)
			left = CHAN_SLICE_NS;
	}
	return (int)((left + 999999) / 1000000);
}

/* Is the module missing or unusable, rather than the request wrong? */
static bool module_unusable(int err)
{
	return err == -ENOENT || err == -ENXIO || err == -ENODEV ||
	       err == -EACCES || err == -EPERM || err == -EOPNOTSUPP ||
	       err == -EPROTO || err == -ENOTTY || err == -ENOMEM;
}

/* A stale socket file of a producer that is gone may be replaced. */
static int bind_listen(struct local *l)
{
	int s, ret;

	s = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (s < 0)
		return -errno;
	if (bind(s, (struct sockaddr *)&l->sa, l->sa_len)) {
		int probe;

		if (errno != EADDRINUSE || !l->path)
			goto err;
		probe = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
		if (probe < 0)
			goto err;
		if (connect(probe, (struct sockaddr *)&l->sa, l->sa_len) &&
		    errno == ECONNREFUSED)
			unlink(l->sa.sun_path);
		close(probe);
		if (bind(s, (struct sockaddr *)&l->sa, l->sa_len)) {
			errno = EADDRINUSE;
			goto err;
		}
	}
	if (listen(s, 64))
		goto err;
	l->sock = s;
	return 0;
err:
	ret = -errno;
	close(s);
	return ret;
}

/*
 * Inline threshold: the attribute, else IPCOFF_CHAN_INLINE_MAX from the
 * environment (to measure another one without a rebuild), else the
 * default; never above msg_max.
 */
static size_t inline_of(const struct ipcoff_chan_attr *a)
{
	uint64_t v = a->inline_max;
	const char *env;

	if (a->flags & IPCOFF_CHAN_NO_INLINE)
		return 0;
	if (!v) {
		env = getenv("IPCOFF_CHAN_INLINE_MAX");
		v = env && *env ? strtoull(env, NULL, 0) :
		    IPCOFF_CHAN_INLINE_DEFAULT;
		if (v > IPCOFF_CHAN_INLINE_LIMIT)
			v = IPCOFF_CHAN_INLINE_LIMIT;
	}
	return v < a->msg_max ? (size_t)v : a->msg_max;
}

static int local_create(struct ipcoff_chan *ch, const char *addr,
			const struct ipcoff_chan_attr *a)
{
	struct ipcoff_pool_attr pa = {
		.slot_size = a->msg_max,
		.engine = a->engine,
		.device = a->device,
	};
	struct local *l = local_new();
	int ret;

	if (!l)
		return -ENOMEM;
	l->mode = a->mode;
	l->owner = getpid();
	l->engine = a->engine;
	l->depth = a->depth ? a->depth : CHAN_DEPTH_DEFAULT;
	pa.slots = l->depth;
	ret = make_addr(l, addr);
	if (ret)
		goto out;
	if (l->mode == IPCOFF_CHAN_MODE_PIPE ||
	    (l->mode == IPCOFF_CHAN_MODE_AUTO && a->msg_max >= AUTO_PIPE_FROM)) {
		/* Four pieces a message, page multiples. */
		size_t c = (a->msg_max / 4 + 4095) & ~(size_t)4095;

		l->chunk = (uint32_t)(c < PIPE_CHUNK_MIN ? PIPE_CHUNK_MIN :
				      c > (1U << 30) ? (1U << 30) : c);
		pa.chunk_size = l->chunk;
	}
	ret = -ENOENT;
	if (l->mode != IPCOFF_CHAN_MODE_SHM) {
		size_t inl = inline_of(a);

		ret = pool_create_inline(&pa, inl, &l->pool);
		if (!ret)
			l->inline_max = pool_inline_max(l->pool);
		if (ret && !module_unusable(ret))
			goto out;
		if (ret)
			chan_log_once(ch, "channel \"%s\": %s: %s; running on shared memory (memfd + memcpy + futex)",
				      ch->name, a->device ? a->device :
				      IPCOFF_DEVICE_PATH, strerror(-ret));
	}
	if (ret) {
		pa.flags = IPCOFF_POOL_SHM;
		pa.chunk_size = 0;
		ret = ipcoff_pool_create(&pa, &l->pool);
		if (ret)
			goto out;
	}
	l->backing = (pa.flags & IPCOFF_POOL_SHM) ? IPCOFF_POOL_BACKING_SHM :
		     IPCOFF_POOL_BACKING_IPCOFF;
	ret = bind_listen(l);
out:
	return local_adopt(ch, l, ret);
}

/* Admit every consumer whose connection is queued. */
static void admit(struct ipcoff_chan *ch)
{
	struct local *l = ch->priv;

	for (;;) {
		int s = accept4(l->sock, NULL, NULL, SOCK_CLOEXEC);

		if (s < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			return;
		}
		if (ipcoff_pool_add_consumer(l->pool, s, ch->msg_max) < 0)
			close(s);	/* it sees the hang-up */
	}
}

static int local_wait_consumers(struct ipcoff_chan *ch, unsigned int n,
				int64_t timeout_ns)
{
	struct local *l = ch->priv;
	int64_t deadline = deadline_of(timeout_ns);

	for (;;) {
		struct pollfd pfd = { .fd = l->sock, .events = POLLIN };
		int ms;

		admit(ch);
		pool_check_consumers(l->pool);
		if (pool_consumers(l->pool, NULL) >= n)
			return 0;
		ms = slice_ms(deadline);
		if (!ms)
			return timeout_ns ? -ETIMEDOUT : -EAGAIN;
		poll(&pfd, 1, ms);
	}
}

/* The copy flags of a message of @len bytes in this channel's mode. */
static uint32_t copy_flags(const struct local *l, size_t len)
{
	switch (l->mode) {
	case IPCOFF_CHAN_MODE_PIPE:
		return l->chunk && len > l->chunk ? IPCOFF_COPY_CHUNKED : 0;
	case IPCOFF_CHAN_MODE_INJECT:
		return len <= IPCOFF_INJECT_MAX_LEN ? IPCOFF_COPY_CACHE_CLWB : 0;
	case IPCOFF_CHAN_MODE_AUTO:
		if (len && len <= AUTO_INJECT_MAX)
			return IPCOFF_COPY_CACHE_CLWB;
		if (l->chunk && len >= AUTO_PIPE_FROM && len > l->chunk)
			return IPCOFF_COPY_CHUNKED;
		return 0;
	default:
		return 0;
	}
}

static int local_sendv(struct ipcoff_chan *ch, const struct iovec *iov,
		       int iovcnt, size_t len, int64_t timeout_ns)
{
	struct local *l = ch->priv;
	struct ipcoff_iovec small[16], *v = small;
	struct ipcoff_endpoint src;
	unsigned int slot;
	bool ever;
	int64_t now = mono_now_ns();
	int i, ret;

	if (now - l->admitted_ns >= ADMIT_EVERY_NS) {
		l->admitted_ns = now;
		admit(ch);
	}
	if (!pool_consumers(l->pool, &ever)) {
		pool_check_consumers(l->pool);
		if (ever)
			return -EPIPE;
		ret = local_wait_consumers(ch, 1, timeout_ns);
		if (ret)
			return ret == -ETIMEDOUT ? -EAGAIN : ret;
	}
	ret = ipcoff_pool_acquire(l->pool, timeout_ns, &slot);
	if (ret)
		return ret == -ETIMEDOUT ? -EAGAIN : ret;
	/* Everybody may have left while we waited for the slot. */
	if (!pool_consumers(l->pool, NULL)) {
		pool_unacquire(l->pool, slot);
		return -EPIPE;
	}
	if (l->inline_max && len <= l->inline_max) {
		ret = pool_submit_inline(l->pool, slot, iov, iovcnt, len);
		if (ret) {
			pool_unacquire(l->pool, slot);
			return ret;
		}
		/* Published already unless a copy before it is in flight. */
		return ipcoff_pool_flush(l->pool, -1);
	}
	if (iovcnt > (int)(sizeof(small) / sizeof(small[0]))) {
		v = calloc((size_t)iovcnt, sizeof(*v));
		if (!v) {
			pool_unacquire(l->pool, slot);
			return -ENOMEM;
		}
	}
	for (i = 0; i < iovcnt; i++) {
		v[i].base = ptr_to_u64(iov[i].iov_base);
		v[i].len = iov[i].iov_len;
	}
	/* The module wants no empty segments. */
	for (i = 0; i < iovcnt && v[i].len; i++)
		;
	if (i < iovcnt) {
		int k = 0;

		for (i = 0; i < iovcnt; i++)
			if (v[i].len)
				v[k++] = v[i];
		iovcnt = k;
	}
	ipcoff_ep_iovec(&src, v, (unsigned int)iovcnt);
	ret = ipcoff_pool_submit(l->pool, slot, &src, len,
				 l->backing == IPCOFF_POOL_BACKING_IPCOFF ?
				 copy_flags(l, len) : 0);
	if (v != small)
		free(v);
	if (ret) {
		pool_unacquire(l->pool, slot);
		return ret;
	}
	/* Published once its completion is reaped; the buffer is free. */
	return ipcoff_pool_flush(l->pool, -1);
}

static int local_connect(struct ipcoff_chan *ch, const char *addr)
{
	struct local *l = local_new();
	int ret;

	if (!l)
		return -ENOMEM;
	ret = make_addr(l, addr);
	if (ret)
		goto out;
	l->sock = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (l->sock < 0) {
		ret = -errno;
		goto out;
	}
	/* No producer: a missing path and a missing name alike. */
	if (connect(l->sock, (struct sockaddr *)&l->sa, l->sa_len))
		ret = errno == ENOENT ? -ECONNREFUSED : -errno;
out:
	return local_adopt(ch, l, ret);
}

/* Consumer: the producer's hello, then the pool is ours. */
static int attach(struct ipcoff_chan *ch, int64_t timeout_ns)
{
	struct local *l = ch->priv;
	struct pollfd pfd = { .fd = l->sock, .events = POLLIN };
	struct ipcoff_pool_info pi;
	uint64_t msg_max = 0;
	int ms, ret;

	if (l->pool)
		return 0;
	ms = timeout_ns < 0 ? -1 : (int)((timeout_ns + 999999) / 1000000);
	do {
		ret = poll(&pfd, 1, ms);
	} while (ret < 0 && errno == EINTR);
	if (ret < 0)
		return -errno;
	if (!ret)
		return timeout_ns ? -ETIMEDOUT : -EAGAIN;
	ret = ipcoff_pool_attach(l->sock, &l->pool, &msg_max);
	if (ret)
		return ret == -EPROTO ? ret : -ECONNRESET;
	ipcoff_pool_info(l->pool, &pi);
	l->backing = pi.backing;
	ch->msg_max = msg_max && msg_max <= pi.slot_size ? msg_max :
		      pi.slot_size;
	l->depth = pi.slots;
	l->inline_max = pool_inline_max(l->pool);
	if (l->backing == IPCOFF_POOL_BACKING_IPCOFF) {
		if (ipcoff_open(&l->ipc, 0) ||
		    !ipcoff_has_feature(&l->ipc, IPCOFF_FEAT_COPY |
					IPCOFF_FEAT_IOVEC))
			ipcoff_close(&l->ipc);
	} else {
		chan_log_once(ch, "channel \"%s\": the producer has no ipcoff; running on shared memory (memfd + memcpy + futex)",
			      ch->name);
	}
	if (l->want_fd)
		ipcoff_pool_fd(l->pool);
	return 0;
}

static int next_msg(struct ipcoff_chan *ch, int64_t timeout_ns)
{
	struct local *l = ch->priv;
	int64_t deadline = deadline_of(timeout_ns);
	int ret;

	if (l->held)
		return 0;
	ret = attach(ch, timeout_ns);
	if (ret)
		return ret == -ETIMEDOUT && timeout_ns > 0 ? -EAGAIN : ret;
	if (deadline >= 0) {
		timeout_ns = deadline - mono_now_ns();
		if (timeout_ns < 0)
			timeout_ns = 0;
	}
	ret = ipcoff_pool_receive(l->pool, timeout_ns, &l->msg);
	if (ret)
		return ret == -ETIMEDOUT ? -EAGAIN : ret;
	l->held = true;
	return 0;
}

static ssize_t local_recv(struct ipcoff_chan *ch, void *buf, size_t cap,
			  int64_t timeout_ns)
{
	struct local *l = ch->priv;
	size_t len;
	int ret;

	ret = next_msg(ch, timeout_ns);
	if (ret)
		return ret;
	len = (size_t)l->msg.len;
	if (len > cap)
		return -EMSGSIZE;	/* it stays for a larger buffer */
	if (len && l->ipc.fd >= 0 && !pool_msg_inline(l->pool, &l->msg)) {
		ssize_t n = ipcoff_read(&l->ipc, buf, len,
					pool_slot_handle(l->pool, l->msg.slot),
					0);

		if (n == -ENOENT) {
			/* Its buffers went with it: the producer left. */
			l->held = false;
			ret = pool_producer_state(l->pool);
			return ret ? ret : -ECONNRESET;
		}
		if (n < 0)
			return n;
		if ((size_t)n != len)
			return -EIO;
	} else if (len) {
		memcpy(buf, l->msg.data, len);
	}
	l->held = false;
	ipcoff_pool_release(l->pool, l->msg.slot);
	return (ssize_t)len;
}

static int local_peek(struct ipcoff_chan *ch, struct ipcoff_chan_msg *m,
		      int64_t timeout_ns)
{
	struct local *l = ch->priv;
	int ret = next_msg(ch, timeout_ns);

	if (ret)
		return ret;
	l->held = false;
	m->data = l->msg.data;
	m->len = l->msg.len;
	m->seq = l->msg.seq;
	m->priv[0] = l->msg.slot;
	m->priv[1] = MSG_MAGIC;
	return 0;
}

static int local_done(struct ipcoff_chan *ch, struct ipcoff_chan_msg *m)
{
	struct local *l = ch->priv;
	int ret;

	if (m->priv[1] != MSG_MAGIC || !l->pool)
		return -EINVAL;
	ret = ipcoff_pool_release(l->pool, (unsigned int)m->priv[0]);
	if (!ret)
		m->priv[1] = 0;
	return ret;
}

static int local_fd(struct ipcoff_chan *ch)
{
	struct local *l = ch->priv;
	struct epoll_event ev = { .events = EPOLLIN };
	int pfd;

	if (!ch->producer) {
		/* Readable at the hello, a doorbell, or the hang-up. */
		l->want_fd = true;
		if (l->pool)
			ipcoff_pool_fd(l->pool);
		return l->sock;
	}
	if (l->epfd >= 0)
		return l->epfd;
	pfd = ipcoff_pool_fd(l->pool);
	if (pfd < 0)
		return pfd;
	l->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (l->epfd < 0)
		return -errno;
	if (epoll_ctl(l->epfd, EPOLL_CTL_ADD, l->sock, &ev) ||
	    epoll_ctl(l->epfd, EPOLL_CTL_ADD, pfd, &ev)) {
		int err = -errno;

		close(l->epfd);
		l->epfd = -1;
		return err;
	}
	return l->epfd;
}

static int local_progress(struct ipcoff_chan *ch)
{
	struct local *l = ch->priv;
	int ret;

	if (ch->producer) {
		admit(ch);
		ret = ipcoff_pool_progress(l->pool);
		return ret < 0 ? ret : 0;
	}
	ret = attach(ch, 0);
	if (ret)
		return ret == -EAGAIN ? 0 : ret;
	return pool_producer_state(l->pool);
}

static void local_info(struct ipcoff_chan *ch, struct ipcoff_chan_info *info)
{
	struct local *l = ch->priv;
	struct ipcoff_pool_info pi;

	if (!ch->producer)
		attach(ch, 0);
	snprintf(info->transport, sizeof(info->transport), "%s",
		 l->backing == IPCOFF_POOL_BACKING_IPCOFF ? "ipcoff" :
		 l->backing == IPCOFF_POOL_BACKING_SHM ? "shm" : "");
	info->mode = l->backing == IPCOFF_POOL_BACKING_SHM ?
		     IPCOFF_CHAN_MODE_SHM : l->mode;
	info->engine = l->engine;
	info->depth = l->depth;
	info->inline_max = l->inline_max;
	info->via = IPCOFF_CHAN_VIA_LOCAL;
	if (l->pool && !ipcoff_pool_info(l->pool, &pi)) {
		info->consumers = pi.consumers;
		info->recovered = pi.recovered;
	}
}

static void local_close(struct ipcoff_chan *ch)
{
	struct local *l = ch->priv;

	if (ch->producer && l->path && l->owner == getpid())
		unlink(l->sa.sun_path);
	if (!ch->producer && l->pool)
		l->sock = -1;	/* the pool closes it */
	local_free(l);
}

const struct chan_transport chan_local = {
	.name = "local",
	.prefix = "",
	.create = local_create,
	.connect = local_connect,
	.wait_consumers = local_wait_consumers,
	.sendv = local_sendv,
	.recv = local_recv,
	.peek = local_peek,
	.done = local_done,
	.fd = local_fd,
	.progress = local_progress,
	.info = local_info,
	.close = local_close,
};
