/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/*
 * libipcoff internals: the seam between the channel calls (channel.c) and
 * what moves a channel's messages. Not installed.
 *
 * A transport is chosen by the channel name's prefix ("rdma://" ...;
 * "ipcoff://" lets the library choose, chan_net.c; no prefix is the local
 * transport, chan_local.c: a Hybrid-Coord pool with
 * ipcoff buffers, or with memfd slots where there is no module). Adding
 * one is a struct chan_transport registered with
 * ipcoff_chan_transport_register() (chan_rdma.c does so from
 * libipcoff-rdma.a, built from this same tree: the layout of struct
 * ipcoff_chan is shared, not versioned); the
 * public calls check arguments and flags and then call these, with
 * @timeout_ns already derived from DONTWAIT/NONBLOCK (0: do not wait,
 * negative: wait as long as it takes).
 *
 * Every op returns 0 (or a length) or a negative errno. The errors the
 * public calls document are the transport's to return: -EAGAIN (nothing
 * now, timeout 0), -EPIPE (the other side closed), -ECONNRESET (it went
 * away without closing), -EMSGSIZE, -ENOTCONN.
 */
#ifndef LIBIPCOFF_CHAN_TRANSPORT_H
#define LIBIPCOFF_CHAN_TRANSPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/uio.h>

#include <ipcoff.h>

struct chan_transport {
	const char *name;	/* "local" */
	const char *prefix;	/* name prefix that selects it; "" matches all */
	/* Producer: make @addr (the name without the prefix) findable. */
	int (*create)(struct ipcoff_chan *ch, const char *addr,
		      const struct ipcoff_chan_attr *attr);
	/* Consumer: reach the producer at @addr. */
	int (*connect)(struct ipcoff_chan *ch, const char *addr);
	/* Producer: wait until @n consumers are connected. */
	int (*wait_consumers)(struct ipcoff_chan *ch, unsigned int n,
			      int64_t timeout_ns);
	/* Producer: one message of @len bytes, gathered from @iov. */
	int (*sendv)(struct ipcoff_chan *ch, const struct iovec *iov,
		     int iovcnt, size_t len, int64_t timeout_ns);
	/* Consumer: the next message into @buf (-EMSGSIZE: it stays). */
	ssize_t (*recv)(struct ipcoff_chan *ch, void *buf, size_t cap,
			int64_t timeout_ns);
	/* Consumer: the next message in place, then give it back. */
	int (*peek)(struct ipcoff_chan *ch, struct ipcoff_chan_msg *msg,
		    int64_t timeout_ns);
	int (*done)(struct ipcoff_chan *ch, struct ipcoff_chan_msg *msg);
	/* The fd to poll for readability; then call progress/recv. */
	int (*fd)(struct ipcoff_chan *ch);
	int (*progress)(struct ipcoff_chan *ch);
	void (*info)(struct ipcoff_chan *ch, struct ipcoff_chan_info *info);
	void (*close)(struct ipcoff_chan *ch);
};

/* What channel.c keeps of every channel; @priv is the transport's. */
struct ipcoff_chan {
	const struct chan_transport *t;
	bool producer;
	unsigned int flags;	/* IPCOFF_CHAN_NONBLOCK, IPCOFF_CHAN_QUIET */
	size_t msg_max;		/* consumer: known once connected */
	uint64_t messages;
	char name[108];
	void *priv;
};

extern const struct chan_transport chan_local;
/*
 * "ipcoff://HOST:PORT": the producer is local and rdma at once, a consumer
 * is handed to whichever chan_policy.h picks (chan_net.c).
 */
extern const struct chan_transport chan_net;

/* The registered transport of @prefix ("rdma://"), or NULL. */
const struct chan_transport *chan_transport_find(const char *prefix);

/*
 * The message ipcoff_chan_strerror() returns in this thread, set by a
 * transport whose create or connect fails with more to say than an errno.
 * Exported (LIBIPCOFF_PRIVATE) for libipcoff-rdma.a of the same version.
 */
void ipcoff_chan_set_error(const char *fmt, ...)
	__attribute__((format(printf, 1, 2)));

/*
 * Make names starting with @t->prefix use @t. Exported from libipcoff.so
 * (LIBIPCOFF_PRIVATE) for libipcoff-rdma.a of the same version only.
 * 0, or -EEXIST (another has the prefix), -ENOSPC.
 */
int ipcoff_chan_transport_register(const struct chan_transport *t);

/* One line on stderr, once per process, unless @ch is quiet. */
void chan_log_once(const struct ipcoff_chan *ch, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#endif /* LIBIPCOFF_CHAN_TRANSPORT_H */
