/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/*
 * libipcoff's rdma transport, internal: the channel layer is its caller
 * (issue 9); until then the rdma tests and tools link libipcoff-rdma.a.
 * Not installed and not in libipcoff.map.  Built only where rdma-core's
 * and libnl's headers are present (Makefile.rdma).
 *
 * Every function returns 0 (or a count) or a negative errno, and leaves a
 * message for ipcoff_rdma_strerror() in the calling thread.  An endpoint
 * is used by one thread at a time (no locks inside); verbs resources do
 * not survive fork(), so a child must make its own endpoints.
 */
#ifndef LIBIPCOFF_RDMA_H
#define LIBIPCOFF_RDMA_H

#include <net/if.h>
#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

/* The message of the calling thread's last failed call. */
const char *ipcoff_rdma_strerror(void);
/* Between rdma.c and rdma_link.c: set that message, return @err (< 0). */
int ipcoff_rdma_fail(int err, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* ---- rdma_link.c: RDMA netlink and rtnetlink through libnl ---- */

/* Port states, as the kernel's enum ib_port_state. */
#define IPCOFF_RDMA_PORT_DOWN	1
#define IPCOFF_RDMA_PORT_ACTIVE	4

struct ipcoff_rdma_dev {
	char name[64];		/* "rxe0" */
	uint32_t index;		/* the kernel's device index */
	uint32_t nports;
	uint8_t port_state;	/* of port 1: IPCOFF_RDMA_PORT_* */
	uint8_t phys_state;	/* 5: link up */
	char netdev[IF_NAMESIZE];	/* "" when the port has none */
	int ifindex;		/* 0 when the port has none */
};

/* A soft-RoCE (rxe) device @ibdev on network device @netdev. */
int ipcoff_rdma_link_add(const char *ibdev, const char *netdev);
int ipcoff_rdma_link_del(const char *ibdev);

/* Up to @max devices into @out; returns how many there are. */
int ipcoff_rdma_devices(struct ipcoff_rdma_dev *out, int max);
/* One device by name: -ENODEV when there is none. */
int ipcoff_rdma_dev_get(const char *ibdev, struct ipcoff_rdma_dev *out);

struct ipcoff_rdma_ifaddr {
	int family;		/* AF_INET or AF_INET6 */
	int prefixlen;
	char addr[INET6_ADDRSTRLEN];
};

/*
 * Up to @max addresses of network device @ifindex (IPv4 first); returns
 * how many it has.  @ifflags (may be NULL) gets its IFF_* flags.
 */
int ipcoff_rdma_netdev_addrs(int ifindex, struct ipcoff_rdma_ifaddr *out,
			     int max, unsigned int *ifflags);

/* ---- rdma.c: a connected pair of endpoints over RC queue pairs ---- */

struct ipcoff_rdma_opts {
	size_t msg_max;		/* largest message, bytes (default 1 MiB) */
	unsigned int slots;	/* receive slots = sender's credits (8) */
	/*
	 * Bound on noticing a dead or unreachable peer, ms (default 4000):
	 * address and route resolution, the connection handshake and the
	 * QP's ack timeout * (retry_cnt + 1) are derived from it.
	 */
	unsigned int dead_ms;
};

struct ipcoff_rdma_listener;
struct ipcoff_rdma;

/*
 * Listen on @addr (numeric IPv4/IPv6; the RDMA device is the one behind
 * its network device) and @port.  -ENODEV: no RDMA device has that
 * address; -ENETDOWN: its port is not active.
 */
int ipcoff_rdma_listen(const char *addr, uint16_t port,
		       const struct ipcoff_rdma_opts *opts,
		       struct ipcoff_rdma_listener **out);
/* The fd that turns readable when a peer is waiting to be accepted. */
int ipcoff_rdma_listener_fd(const struct ipcoff_rdma_listener *l);
/* Wait up to @timeout_ms (-1: forever) for one peer: -ETIMEDOUT. */
int ipcoff_rdma_accept(struct ipcoff_rdma_listener *l, int timeout_ms,
		       struct ipcoff_rdma **out);
void ipcoff_rdma_listener_close(struct ipcoff_rdma_listener *l);

/*
 * Connect to @addr:@port within @timeout_ms.  -ENODEV: no RDMA device to
 * reach it from; -ENETDOWN: that device's port is down; -EHOSTUNREACH:
 * no route or no answer; -ECONNREFUSED: nobody listens there;
 * -ETIMEDOUT: the handshake took too long.  Buffers are registered here,
 * once: -ENOMEM with a message naming RLIMIT_MEMLOCK when the kernel
 * refused to pin them for that reason.
 */
int ipcoff_rdma_connect(const char *addr, uint16_t port,
			const struct ipcoff_rdma_opts *opts, int timeout_ms,
			struct ipcoff_rdma **out);

/*
 * Send one message of @len <= msg_max bytes: waits up to @timeout_ms
 * (0: not at all, -EAGAIN; -1: forever) for a credit.  -ECONNRESET once
 * the peer is gone (it closed, died, or stopped answering).
 */
int ipcoff_rdma_send(struct ipcoff_rdma *r, const void *buf, size_t len,
		     int timeout_ms);
/* Zero-copy sending: a slot of msg_max bytes to fill, then post @len. */
int ipcoff_rdma_send_reserve(struct ipcoff_rdma *r, int timeout_ms,
			     void **slot);
int ipcoff_rdma_send_commit(struct ipcoff_rdma *r, size_t len);

/*
 * Receive one message into @buf (up to @cap bytes: -EMSGSIZE, and the
 * message stays, when it is longer); returns its length.  Waits as send.
 * -ECONNRESET once the peer is gone and every message it sent was read.
 */
ssize_t ipcoff_rdma_recv(struct ipcoff_rdma *r, void *buf, size_t cap,
			 int timeout_ms);
/* Zero-copy receiving: the next message in place, then give it back. */
ssize_t ipcoff_rdma_recv_peek(struct ipcoff_rdma *r, int timeout_ms,
			      const void **msg);
int ipcoff_rdma_recv_release(struct ipcoff_rdma *r);

/*
 * One fd for an event loop: readable when a completion or a connection
 * event may be waiting; then call ipcoff_rdma_progress() (or send/recv with
 * timeout 0), which never blocks.
 */
int ipcoff_rdma_fd(const struct ipcoff_rdma *r);
int ipcoff_rdma_progress(struct ipcoff_rdma *r);

struct ipcoff_rdma_info {
	char ibdev[64];
	uint8_t port;
	size_t msg_max;
	unsigned int slots;
	unsigned int credits;	/* sends possible now */
	uint8_t timeout;	/* QP local ack timeout exponent */
	uint8_t retry_cnt;
	uint64_t sent, received;	/* messages */
	uint64_t credit_msgs;	/* credit updates sent */
};
void ipcoff_rdma_info(const struct ipcoff_rdma *r, struct ipcoff_rdma_info *out);

/* Disconnect, wait (bounded) for the peer's side, free everything. */
void ipcoff_rdma_close(struct ipcoff_rdma *r);

#endif /* LIBIPCOFF_RDMA_H */
