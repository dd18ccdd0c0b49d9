// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * libipcoff: the rdma transport.  Messages between two endpoints over a
 * reliable-connected queue pair, set up by librdmacm.
 *
 * Each side registers, once per connection, a receive ring of `slots`
 * slots of `msg_max` bytes that the peer may write, and a send ring laid
 * out like the peer's receive ring.  A message is one RDMA WRITE WITH
 * IMMEDIATE from send slot i into the peer's receive slot i: the immediate
 * carries its length, and consumes one receive request on the peer, so the
 * peer learns of it from a completion, not by watching memory.  Slots are
 * used in order; RC delivers in order, so the k-th completion is slot
 * k % slots.
 *
 * Flow control is by credits: the sender starts with one per peer slot and
 * spends one per message; the receiver hands them back, in batches, with a
 * zero-length SEND WITH IMMEDIATE whose immediate has bit 31 set.  So a
 * producer can never overwrite a slot its consumer has not released.  Each
 * credit update returns at least one credit, so at most `slots` of them
 * are ever unread: a receive queue of own slots + MAX_SLOTS never runs dry.
 *
 * A dead peer: a process that dies has its connection torn down by its
 * kernel (DREQ: we see DISCONNECTED); a host that vanishes stops acking,
 * and every posted request ends with RETRY_EXC_ERR after
 * timeout * (retry_cnt + 1).  A side that waits with nothing posted (no
 * credit, or no message) posts a zero-length RDMA WRITE now and then, so
 * that case ends the same bounded way.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
#include <linux/capability.h>

#include <infiniband/verbs.h>
#include <rdma/rdma_cma.h>

#include "rdma.h"

#define MAX_SLOTS	64
#define CREDIT_FLAG	0x80000000u
#define HELLO_MAGIC	0x49505244u	/* "IPRD" */
#define HELLO_VERSION	1

enum wr_kind { WR_DATA = 1, WR_CREDIT, WR_PROBE, WR_RECV };

/* Exchanged in the connection's private data (56 bytes at most). */
struct hello {
	uint32_t magic;
	uint16_t version;
	uint16_t slots;
	uint32_t slot_size;
	uint32_t rkey;
	uint64_t addr;
} __attribute__((packed));

struct ipcoff_rdma_listener {
	struct rdma_event_channel *ech;
	struct rdma_cm_id *id;
	struct ipcoff_rdma_opts opts;
};

struct ipcoff_rdma {
	struct ipcoff_rdma_opts opts;
	struct rdma_event_channel *ech;
	struct rdma_cm_id *id;
	struct ibv_pd *pd;
	struct ibv_comp_channel *cch;
	struct ibv_cq *cq;
	int epfd;
	bool qp_made, connected;
	int err;		/* < 0 once the connection is gone */
	int64_t last_heard;	/* when the peer last showed it lives, ms */
	bool probing;

	/* Receive ring: ours, the peer writes it. */
	void *rx;
	size_t rx_len;
	struct ibv_mr *rx_mr;
	uint32_t *msg_len;	/* per slot, of the message in it */
	uint64_t rx_head;	/* next message to hand out */
	uint64_t rx_tail;	/* messages arrived */
	unsigned int to_return;	/* released slots not yet credited */

	/* Send ring: the peer's receive ring's layout. */
	void *tx;
	size_t tx_len;
	struct ibv_mr *tx_mr;
	unsigned int tx_slots;
	size_t tx_slot_size;
	uint64_t remote_addr;
	uint32_t rkey;
	unsigned int credits;
	uint64_t tx_head;	/* messages posted */
	uint64_t tx_done;	/* of them completed (in order) */
	bool reserved;
	unsigned int sq_busy;	/* send requests posted, not completed */

	uint8_t qp_timeout, qp_retry;
	uint64_t credit_msgs;
};

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

/* -1: no deadline. */
static int64_t deadline_of(int timeout_ms)
{
	return timeout_ms < 0 ? -1 : now_ms() + timeout_ms;
}

static int ms_left(int64_t deadline)
{
	int64_t left;

	if (deadline < 0)
		return -1;
	left = deadline - now_ms();
	return left <= 0 ? 0 : left > INT32_MAX ? INT32_MAX : (int)left;
}

static void fill_opts(struct ipcoff_rdma_opts *o,
		      const struct ipcoff_rdma_opts *in)
{
	memset(o, 0, sizeof(*o));
	if (in)
		*o = *in;
	if (!o->msg_max)
		o->msg_max = 1 << 20;
	if (!o->slots)
		o->slots = 8;
	if (!o->dead_ms)
		o->dead_ms = 4000;
}

static int check_opts(const struct ipcoff_rdma_opts *o)
{
	if (o->slots > MAX_SLOTS)
		return ipcoff_rdma_fail(-EINVAL, "at most %d slots", MAX_SLOTS);
	if (o->msg_max >= CREDIT_FLAG || o->msg_max > SIZE_MAX / o->slots)
		return ipcoff_rdma_fail(-EINVAL, "msg_max %zu is too large",
					o->msg_max);
	if (o->dead_ms < 100)
		return ipcoff_rdma_fail(-EINVAL, "dead_ms below 100 ms");
	return 0;
}

/*
 * The ack timeout exponent and retry count so that (retry + 1) * 4.096 us
 * * 2^timeout stays within dead_ms: a dead peer is noticed in that time.
 */
static void qp_timing(unsigned int dead_ms, uint8_t *timeout, uint8_t *retry)
{
	uint64_t us = (uint64_t)dead_ms * 1000 / 7;	/* 6 retries: 7 tries */
	uint8_t t = 1;

	while (t < 31 && 4.096 * (double)(1ULL << (t + 1)) <= (double)us)
		t++;
	*timeout = t;
	*retry = 6;
}

static int parse_addr(const char *addr, uint16_t port,
		      struct sockaddr_storage *ss)
{
	struct sockaddr_in *in = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)ss;

	memset(ss, 0, sizeof(*ss));
	if (addr && inet_pton(AF_INET, addr, &in->sin_addr) == 1) {
		in->sin_family = AF_INET;
		in->sin_port = htons(port);
		return 0;
	}
	if (addr && inet_pton(AF_INET6, addr, &in6->sin6_addr) == 1) {
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons(port);
		return 0;
	}
	return ipcoff_rdma_fail(-EINVAL, "%s is not a numeric IPv4 or IPv6 address",
				addr ? addr : "(null)");
}

static int set_nonblock(int fd)
{
	int fl = fcntl(fd, F_GETFL);

	if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0)
		return -errno;
	return 0;
}

/* librdmacm's first call fails with ENODEV when there is no device. */
static int no_device(const char *what)
{
	return ipcoff_rdma_fail(-ENODEV,
		"%s: no RDMA device (load rdma_rxe and add a soft-RoCE link, or "
		"check that rdma_ucm is loaded and /dev/infiniband exists)", what);
}

static int make_channel(struct rdma_event_channel **ech, const char *what)
{
	*ech = rdma_create_event_channel();
	if (!*ech) {
		if (errno == ENODEV || errno == ENOENT)
			return no_device(what);
		return ipcoff_rdma_fail(-errno, "%s: rdma_create_event_channel: %s",
					what, strerror(errno));
	}
	return set_nonblock((*ech)->fd);
}

/* The next event on @ech within @deadline; the caller acks it. */
static int cm_event(struct rdma_event_channel *ech, int64_t deadline,
		    struct rdma_cm_event **ev)
{
	struct pollfd pfd = { .fd = ech->fd, .events = POLLIN };
	int left;

	for (;;) {
		if (!rdma_get_cm_event(ech, ev))
			return 0;
		if (errno != EAGAIN && errno != EINTR)
			return -errno;
		left = ms_left(deadline);
		if (!left)
			return -ETIMEDOUT;
		if (poll(&pfd, 1, left) < 0 && errno != EINTR)
			return -errno;
	}
}

static const char *port_state_name(enum ibv_port_state s)
{
	return ibv_port_state_str(s);
}

/* The bound device's port must be active: a down link is ENETDOWN. */
static int check_port(struct rdma_cm_id *id, const char *addr)
{
	struct ibv_port_attr pa;

	if (!id->verbs)
		return ipcoff_rdma_fail(-ENODEV,
			"no RDMA device has address %s (add a soft-RoCE link on its network device)",
			addr);
	if (ibv_query_port(id->verbs, id->port_num ? id->port_num : 1, &pa))
		return ipcoff_rdma_fail(-errno, "querying %s: %s",
					ibv_get_device_name(id->verbs->device),
					strerror(errno));
	if (pa.state != IBV_PORT_ACTIVE)
		return ipcoff_rdma_fail(-ENETDOWN,
			"%s port %u is %s: its network device is down or has no carrier",
			ibv_get_device_name(id->verbs->device),
			id->port_num ? id->port_num : 1,
			port_state_name(pa.state));
	return 0;
}

static void *ring_alloc(size_t len)
{
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	return p == MAP_FAILED ? NULL : p;
}

static bool has_ipc_lock(void)
{
	struct __user_cap_header_struct h = {
		.version = _LINUX_CAPABILITY_VERSION_3,
	};
	struct __user_cap_data_struct d[2];

	if (syscall(SYS_capget, &h, d))
		return false;
	return d[CAP_IPC_LOCK / 32].effective & (1u << (CAP_IPC_LOCK % 32));
}

/* One registration for a whole ring; RLIMIT_MEMLOCK refusals named. */
static int reg_ring(struct ipcoff_rdma *r, void *buf, size_t len, int access,
		    struct ibv_mr **mr, const char *what)
{
	struct rlimit rl;
	int e;

	*mr = ibv_reg_mr(r->pd, buf, len, access);
	if (*mr)
		return 0;
	e = errno;
	if ((e == ENOMEM || e == EPERM) && !has_ipc_lock() &&
	    !getrlimit(RLIMIT_MEMLOCK, &rl) && rl.rlim_cur != RLIM_INFINITY)
		return ipcoff_rdma_fail(-ENOMEM,
			"registering the %s ring (%zu KiB) was refused: RLIMIT_MEMLOCK is %llu KiB "
			"and the process lacks CAP_IPC_LOCK (raise ulimit -l, or use fewer or smaller slots)",
			what, len >> 10, (unsigned long long)rl.rlim_cur >> 10);
	return ipcoff_rdma_fail(-e, "registering the %s ring (%zu KiB): %s",
				what, len >> 10, strerror(e));
}

static int post_recv(struct ipcoff_rdma *r)
{
	struct ibv_recv_wr wr = { .wr_id = WR_RECV }, *bad;

	/* No buffer: WRITE WITH IMM lands in the ring, credit SENDs are empty. */
	if (ibv_post_recv(r->id->qp, &wr, &bad))
		return -errno;
	return 0;
}

/* PD, completion channel, CQ and QP on @id's device; QP timing set. */
static int make_verbs(struct ipcoff_rdma *r)
{
	struct ibv_qp_init_attr qa;
	unsigned int sq, rq, i;
	struct epoll_event ev = { .events = EPOLLIN };
	int ret;

	r->pd = ibv_alloc_pd(r->id->verbs);
	if (!r->pd)
		return ipcoff_rdma_fail(-errno, "ibv_alloc_pd: %s", strerror(errno));
	r->cch = ibv_create_comp_channel(r->id->verbs);
	if (!r->cch)
		return ipcoff_rdma_fail(-errno, "ibv_create_comp_channel: %s",
					strerror(errno));
	ret = set_nonblock(r->cch->fd);
	if (ret)
		return ret;
	/* Data to the peer's slots, credits for ours, a probe, spare. */
	sq = MAX_SLOTS + r->opts.slots + 2;
	rq = r->opts.slots + MAX_SLOTS;
	r->cq = ibv_create_cq(r->id->verbs, (int)(sq + rq), r, r->cch, 0);
	if (!r->cq)
		return ipcoff_rdma_fail(-errno, "ibv_create_cq: %s", strerror(errno));
	if (ibv_req_notify_cq(r->cq, 0))
		return ipcoff_rdma_fail(-errno, "ibv_req_notify_cq: %s", strerror(errno));
	memset(&qa, 0, sizeof(qa));
	qa.send_cq = r->cq;
	qa.recv_cq = r->cq;
	qa.qp_type = IBV_QPT_RC;
	qa.sq_sig_all = 1;
	qa.cap.max_send_wr = sq;
	qa.cap.max_recv_wr = rq;
	qa.cap.max_send_sge = 1;
	qa.cap.max_recv_sge = 1;
	if (rdma_create_qp(r->id, r->pd, &qa))
		return ipcoff_rdma_fail(-errno, "rdma_create_qp: %s", strerror(errno));
	r->qp_made = true;
	for (i = 0; i < rq; i++) {
		ret = post_recv(r);
		if (ret)
			return ipcoff_rdma_fail(ret, "ibv_post_recv: %s", strerror(-ret));
	}
	qp_timing(r->opts.dead_ms, &r->qp_timeout, &r->qp_retry);
	if (rdma_set_option(r->id, RDMA_OPTION_ID, RDMA_OPTION_ID_ACK_TIMEOUT,
			    &r->qp_timeout, sizeof(r->qp_timeout)))
		return ipcoff_rdma_fail(-errno, "setting the ack timeout: %s",
					strerror(errno));
	/* One fd for event loops: completions and connection events. */
	r->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (r->epfd < 0)
		return -errno;
	ev.data.fd = r->cch->fd;
	if (epoll_ctl(r->epfd, EPOLL_CTL_ADD, r->cch->fd, &ev))
		return -errno;
	ev.data.fd = r->ech->fd;
	if (epoll_ctl(r->epfd, EPOLL_CTL_ADD, r->ech->fd, &ev))
		return -errno;
	return 0;
}

static int make_rx(struct ipcoff_rdma *r)
{
	r->rx_len = r->opts.slots * r->opts.msg_max;
	r->rx = ring_alloc(r->rx_len);
	r->msg_len = calloc(r->opts.slots, sizeof(*r->msg_len));
	if (!r->rx || !r->msg_len)
		return ipcoff_rdma_fail(-ENOMEM, "no memory for a %zu KiB ring",
					r->rx_len >> 10);
	return reg_ring(r, r->rx, r->rx_len,
			IBV_ACCESS_LOCAL_WRITE | IBV_ACCESS_REMOTE_WRITE,
			&r->rx_mr, "receive");
}

static void hello_of(const struct ipcoff_rdma *r, struct hello *h)
{
	h->magic = htobe32(HELLO_MAGIC);
	h->version = htobe16(HELLO_VERSION);
	h->slots = htobe16((uint16_t)r->opts.slots);
	h->slot_size = htobe32((uint32_t)r->opts.msg_max);
	h->rkey = htobe32(r->rx_mr->rkey);
	h->addr = htobe64((uintptr_t)r->rx);
}

/* The peer's ring, from its hello: lay out and register ours to match. */
static int take_hello(struct ipcoff_rdma *r, const void *data, uint8_t len)
{
	struct hello h;

	if (!data || len < sizeof(h))
		return ipcoff_rdma_fail(-EPROTO, "the peer sent no ipcoff hello");
	memcpy(&h, data, sizeof(h));
	if (be32toh(h.magic) != HELLO_MAGIC || be16toh(h.version) != HELLO_VERSION)
		return ipcoff_rdma_fail(-EPROTO, "the peer is not an ipcoff rdma endpoint of version %d",
					HELLO_VERSION);
	r->tx_slots = be16toh(h.slots);
	r->tx_slot_size = be32toh(h.slot_size);
	if (!r->tx_slots || r->tx_slots > MAX_SLOTS || !r->tx_slot_size)
		return ipcoff_rdma_fail(-EPROTO, "the peer's ring (%u slots of %zu) is not valid",
					r->tx_slots, r->tx_slot_size);
	/* We never send more than we could receive ourselves. */
	if (r->tx_slot_size > r->opts.msg_max)
		r->tx_slot_size = r->opts.msg_max;
	r->rkey = be32toh(h.rkey);
	r->remote_addr = be64toh(h.addr);
	r->credits = r->tx_slots;
	r->tx_len = r->tx_slots * r->tx_slot_size;
	r->tx = ring_alloc(r->tx_len);
	if (!r->tx)
		return ipcoff_rdma_fail(-ENOMEM, "no memory for a %zu KiB ring",
					r->tx_len >> 10);
	return reg_ring(r, r->tx, r->tx_len, IBV_ACCESS_LOCAL_WRITE, &r->tx_mr,
			"send");
}

static void conn_param(struct ipcoff_rdma *r, struct rdma_conn_param *cp,
		       struct hello *h)
{
	memset(cp, 0, sizeof(*cp));
	hello_of(r, h);
	cp->private_data = h;
	cp->private_data_len = sizeof(*h);
	cp->retry_count = r->qp_retry;
	/* RNR cannot happen (credits), and must not end a live connection. */
	cp->rnr_retry_count = 7;
	cp->responder_resources = 0;
	cp->initiator_depth = 0;
}

static struct ipcoff_rdma *rdma_new(const struct ipcoff_rdma_opts *o)
{
	struct ipcoff_rdma *r = calloc(1, sizeof(*r));

	if (!r)
		return NULL;
	r->opts = *o;
	r->epfd = -1;
	return r;
}

static void rdma_free(struct ipcoff_rdma *r)
{
	if (!r)
		return;
	if (r->qp_made)
		rdma_destroy_qp(r->id);
	if (r->rx_mr)
		ibv_dereg_mr(r->rx_mr);
	if (r->tx_mr)
		ibv_dereg_mr(r->tx_mr);
	if (r->cq)
		ibv_destroy_cq(r->cq);
	if (r->cch)
		ibv_destroy_comp_channel(r->cch);
	if (r->pd)
		ibv_dealloc_pd(r->pd);
	if (r->id)
		rdma_destroy_id(r->id);
	if (r->ech)
		rdma_destroy_event_channel(r->ech);
	if (r->epfd >= 0)
		close(r->epfd);
	if (r->rx)
		munmap(r->rx, r->rx_len);
	if (r->tx)
		munmap(r->tx, r->tx_len);
	free(r->msg_len);
	free(r);
}

/* An ESTABLISHED (or the reason there is none) on the connection's channel. */
static int wait_established(struct ipcoff_rdma *r, int64_t deadline,
			    const char *peer, bool active)
{
	struct rdma_cm_event *ev;
	int ret;

	for (;;) {
		ret = cm_event(r->ech, deadline, &ev);
		if (ret == -ETIMEDOUT)
			return ipcoff_rdma_fail(ret, "connecting to %s: no answer in time",
						peer);
		if (ret)
			return ipcoff_rdma_fail(ret, "connecting to %s: %s", peer,
						strerror(-ret));
		switch (ev->event) {
		case RDMA_CM_EVENT_ESTABLISHED:
			if (active)
				ret = take_hello(r, ev->param.conn.private_data,
						 ev->param.conn.private_data_len);
			rdma_ack_cm_event(ev);
			if (ret)
				return ret;
			r->connected = true;
			r->last_heard = now_ms();
			return 0;
		case RDMA_CM_EVENT_REJECTED:
			ret = ev->status;
			rdma_ack_cm_event(ev);
			return ipcoff_rdma_fail(-ECONNREFUSED,
				"connecting to %s: refused (reject reason %d: nobody listens there, or it refused us)",
				peer, ret);
		case RDMA_CM_EVENT_UNREACHABLE:
			rdma_ack_cm_event(ev);
			return ipcoff_rdma_fail(-EHOSTUNREACH,
				"connecting to %s: the peer does not answer (unreachable)",
				peer);
		case RDMA_CM_EVENT_CONNECT_ERROR:
			ret = ev->status;
			rdma_ack_cm_event(ev);
			return ipcoff_rdma_fail(-ECONNABORTED,
				"connecting to %s: the handshake failed (%d)", peer, ret);
		case RDMA_CM_EVENT_DEVICE_REMOVAL:
			rdma_ack_cm_event(ev);
			return ipcoff_rdma_fail(-ENODEV, "connecting to %s: the RDMA device went away",
						peer);
		default:
			rdma_ack_cm_event(ev);
			break;
		}
	}
}

/* Resolve an address or route: the expected event, or why not. */
static int resolve_step(struct ipcoff_rdma *r, enum rdma_cm_event_type want,
			int64_t deadline, const char *peer)
{
	struct rdma_cm_event *ev;
	int ret, st;

	ret = cm_event(r->ech, deadline, &ev);
	if (ret == -ETIMEDOUT)
		return ipcoff_rdma_fail(-EHOSTUNREACH, "%s is unreachable: no answer in time",
					peer);
	if (ret)
		return ipcoff_rdma_fail(ret, "resolving %s: %s", peer, strerror(-ret));
	st = ev->status;
	if (ev->event == want) {
		rdma_ack_cm_event(ev);
		return 0;
	}
	rdma_ack_cm_event(ev);
	if (st == -ENODEV || st == -EADDRNOTAVAIL)
		return ipcoff_rdma_fail(-ENODEV,
			"no RDMA device on the network device that reaches %s", peer);
	if (st == -ENETDOWN)
		return ipcoff_rdma_fail(-ENETDOWN,
			"the network device that reaches %s is down", peer);
	return ipcoff_rdma_fail(-EHOSTUNREACH, "%s is unreachable (%s: %s)", peer,
				rdma_event_str(ev->event), strerror(st < 0 ? -st : st));
}

int ipcoff_rdma_connect(const char *addr, uint16_t port,
			const struct ipcoff_rdma_opts *opts, int timeout_ms,
			struct ipcoff_rdma **out)
{
	struct sockaddr_storage ss;
	struct ipcoff_rdma_opts o;
	struct rdma_conn_param cp;
	struct ipcoff_rdma *r;
	struct hello h;
	int64_t deadline;
	char peer[INET6_ADDRSTRLEN + 8];
	int ret, step;

	fill_opts(&o, opts);
	ret = check_opts(&o);
	if (ret)
		return ret;
	ret = parse_addr(addr, port, &ss);
	if (ret)
		return ret;
	snprintf(peer, sizeof(peer), "%s port %u", addr, port);
	r = rdma_new(&o);
	if (!r)
		return -ENOMEM;
	deadline = deadline_of(timeout_ms);
	ret = make_channel(&r->ech, "connecting");
	if (ret)
		goto fail;
	if (rdma_create_id(r->ech, &r->id, r, RDMA_PS_TCP)) {
		ret = errno == ENODEV ? no_device("connecting") :
		      ipcoff_rdma_fail(-errno, "rdma_create_id: %s", strerror(errno));
		goto fail;
	}
	/* Each resolution step gets what is left, but no more than dead_ms. */
	step = ms_left(deadline);
	if (step < 0 || step > (int)o.dead_ms)
		step = (int)o.dead_ms;
	if (rdma_resolve_addr(r->id, NULL, (struct sockaddr *)&ss, step ? step : 1)) {
		ret = errno == ENODEV ? no_device("connecting") :
		      ipcoff_rdma_fail(errno == ENETUNREACH ? -EHOSTUNREACH : -errno,
				       "resolving %s: %s", peer, strerror(errno));
		goto fail;
	}
	ret = resolve_step(r, RDMA_CM_EVENT_ADDR_RESOLVED, deadline, peer);
	if (ret)
		goto fail;
	ret = check_port(r->id, addr);
	if (ret)
		goto fail;
	step = ms_left(deadline);
	if (step < 0 || step > (int)o.dead_ms)
		step = (int)o.dead_ms;
	if (rdma_resolve_route(r->id, step ? step : 1)) {
		ret = ipcoff_rdma_fail(-errno, "resolving the route to %s: %s", peer,
				       strerror(errno));
		goto fail;
	}
	ret = resolve_step(r, RDMA_CM_EVENT_ROUTE_RESOLVED, deadline, peer);
	if (ret)
		goto fail;
	ret = make_verbs(r);
	if (ret)
		goto fail;
	ret = make_rx(r);
	if (ret)
		goto fail;
	conn_param(r, &cp, &h);
	if (rdma_connect(r->id, &cp)) {
		ret = ipcoff_rdma_fail(-errno, "rdma_connect to %s: %s", peer,
				       strerror(errno));
		goto fail;
	}
	ret = wait_established(r, deadline, peer, true);
	if (ret)
		goto fail;
	*out = r;
	return 0;
fail:
	rdma_free(r);
	return ret;
}

int ipcoff_rdma_listen(const char *addr, uint16_t port,
		       const struct ipcoff_rdma_opts *opts,
		       struct ipcoff_rdma_listener **out)
{
	struct ipcoff_rdma_listener *l;
	struct sockaddr_storage ss;
	int ret;

	l = calloc(1, sizeof(*l));
	if (!l)
		return -ENOMEM;
	fill_opts(&l->opts, opts);
	ret = check_opts(&l->opts);
	if (ret)
		goto fail;
	ret = parse_addr(addr, port, &ss);
	if (ret)
		goto fail;
	ret = make_channel(&l->ech, "listening");
	if (ret)
		goto fail;
	if (rdma_create_id(l->ech, &l->id, l, RDMA_PS_TCP)) {
		ret = errno == ENODEV ? no_device("listening") :
		      ipcoff_rdma_fail(-errno, "rdma_create_id: %s", strerror(errno));
		goto fail;
	}
	if (rdma_bind_addr(l->id, (struct sockaddr *)&ss)) {
		ret = ipcoff_rdma_fail(-errno, "binding %s port %u: %s", addr, port,
				       strerror(errno));
		goto fail;
	}
	/* Bound to a specific address, the id names its device now. */
	ret = check_port(l->id, addr);
	if (ret)
		goto fail;
	if (rdma_listen(l->id, 8)) {
		ret = ipcoff_rdma_fail(-errno, "listening on %s port %u: %s", addr,
				       port, strerror(errno));
		goto fail;
	}
	*out = l;
	return 0;
fail:
	ipcoff_rdma_listener_close(l);
	return ret;
}

int ipcoff_rdma_listener_fd(const struct ipcoff_rdma_listener *l)
{
	return l->ech->fd;
}

void ipcoff_rdma_listener_close(struct ipcoff_rdma_listener *l)
{
	if (!l)
		return;
	if (l->id)
		rdma_destroy_id(l->id);
	if (l->ech)
		rdma_destroy_event_channel(l->ech);
	free(l);
}

int ipcoff_rdma_accept(struct ipcoff_rdma_listener *l, int timeout_ms,
		       struct ipcoff_rdma **out)
{
	int64_t deadline = deadline_of(timeout_ms);
	struct rdma_cm_event *ev;
	struct rdma_conn_param cp;
	struct ipcoff_rdma *r;
	struct hello h;
	int ret;

	for (;;) {
		ret = cm_event(l->ech, deadline, &ev);
		if (ret == -ETIMEDOUT)
			return ipcoff_rdma_fail(ret, "no peer connected in time");
		if (ret)
			return ipcoff_rdma_fail(ret, "waiting for a peer: %s",
						strerror(-ret));
		if (ev->event == RDMA_CM_EVENT_CONNECT_REQUEST)
			break;
		rdma_ack_cm_event(ev);
	}
	r = rdma_new(&l->opts);
	if (!r) {
		rdma_reject(ev->id, NULL, 0);
		rdma_destroy_id(ev->id);
		rdma_ack_cm_event(ev);
		return -ENOMEM;
	}
	r->id = ev->id;
	r->id->context = r;
	/* Its own channel: its events must not queue behind the listener's. */
	ret = make_channel(&r->ech, "accepting");
	if (!ret && rdma_migrate_id(r->id, r->ech))
		ret = ipcoff_rdma_fail(-errno, "rdma_migrate_id: %s", strerror(errno));
	if (!ret)
		ret = check_port(r->id, "of this connection");
	if (!ret)
		ret = make_verbs(r);
	if (!ret)
		ret = make_rx(r);
	if (!ret)
		ret = take_hello(r, ev->param.conn.private_data,
				 ev->param.conn.private_data_len);
	rdma_ack_cm_event(ev);
	if (ret)
		goto fail;
	conn_param(r, &cp, &h);
	if (rdma_accept(r->id, &cp)) {
		ret = ipcoff_rdma_fail(-errno, "rdma_accept: %s", strerror(errno));
		goto fail;
	}
	ret = wait_established(r, deadline_of((int)r->opts.dead_ms), "the peer",
			       false);
	if (ret)
		goto fail;
	*out = r;
	return 0;
fail:
	if (r->id && !r->connected)
		rdma_reject(r->id, NULL, 0);
	rdma_free(r);
	return ret;
}

/* The connection is gone: say why once, and stop everything in flight. */
static void set_dead(struct ipcoff_rdma *r, const char *why, ...)
	__attribute__((format(printf, 2, 3)));

static void set_dead(struct ipcoff_rdma *r, const char *why, ...)
{
	char msg[200];
	va_list ap;

	if (r->err)
		return;
	va_start(ap, why);
	vsnprintf(msg, sizeof(msg), why, ap);
	va_end(ap);
	r->err = ipcoff_rdma_fail(-ECONNRESET, "connection lost: %s", msg);
	/* Moves the QP to error: what is posted is flushed, not left hanging. */
	if (r->connected)
		rdma_disconnect(r->id);
	r->connected = false;
}

static int post_send(struct ipcoff_rdma *r, struct ibv_send_wr *wr)
{
	struct ibv_send_wr *bad;

	if (ibv_post_send(r->id->qp, wr, &bad)) {
		set_dead(r, "ibv_post_send: %s", strerror(errno));
		return r->err;
	}
	r->sq_busy++;
	return 0;
}

static int send_credits(struct ipcoff_rdma *r)
{
	struct ibv_send_wr wr = {
		.wr_id = WR_CREDIT,
		.opcode = IBV_WR_SEND_WITH_IMM,
		.imm_data = htonl(CREDIT_FLAG | r->to_return),
	};
	int ret;

	ret = post_send(r, &wr);
	if (!ret) {
		r->to_return = 0;
		r->credit_msgs++;
	}
	return ret;
}

/* Zero bytes written, so only the ack (or its absence) matters. */
static void probe(struct ipcoff_rdma *r)
{
	struct ibv_send_wr wr = {
		.wr_id = WR_PROBE,
		.opcode = IBV_WR_RDMA_WRITE,
		.wr.rdma = { .remote_addr = r->remote_addr, .rkey = r->rkey },
	};

	if (!post_send(r, &wr))
		r->probing = true;
}

static void on_wc(struct ipcoff_rdma *r, const struct ibv_wc *wc)
{
	uint32_t imm;

	if (wc->wr_id != WR_RECV && r->sq_busy)
		r->sq_busy--;
	if (wc->status != IBV_WC_SUCCESS) {
		/* Flushes follow the first error; it told the reason. */
		if (wc->status != IBV_WC_WR_FLUSH_ERR)
			set_dead(r, "%s (the peer stopped answering)",
				 ibv_wc_status_str(wc->status));
		else
			set_dead(r, "the queue pair was flushed");
		return;
	}
	r->last_heard = now_ms();
	switch (wc->wr_id) {
	case WR_DATA:
		r->tx_done++;
		break;
	case WR_PROBE:
		r->probing = false;
		break;
	case WR_CREDIT:
		break;
	case WR_RECV:
		imm = ntohl(wc->imm_data);
		if (wc->opcode == IBV_WC_RECV && (imm & CREDIT_FLAG)) {
			r->credits += imm & ~CREDIT_FLAG;
		} else if (wc->opcode == IBV_WC_RECV_RDMA_WITH_IMM &&
			   imm <= r->opts.msg_max &&
			   r->rx_tail - r->rx_head < r->opts.slots) {
			r->msg_len[r->rx_tail % r->opts.slots] = imm;
			r->rx_tail++;
		} else {
			set_dead(r, "the peer broke the protocol (opcode %d, imm %#x)",
				 wc->opcode, imm);
			return;
		}
		if (post_recv(r))
			set_dead(r, "ibv_post_recv: %s", strerror(errno));
		break;
	}
}

static void poll_cq(struct ipcoff_rdma *r)
{
	struct ibv_wc wc[16];
	int n, i;

	while ((n = ibv_poll_cq(r->cq, 16, wc)) > 0)
		for (i = 0; i < n; i++)
			on_wc(r, &wc[i]);
}

static void cm_events(struct ipcoff_rdma *r)
{
	struct rdma_cm_event *ev;
	enum rdma_cm_event_type t;

	while (!rdma_get_cm_event(r->ech, &ev)) {
		t = ev->event;
		rdma_ack_cm_event(ev);
		if (t == RDMA_CM_EVENT_DISCONNECTED)
			set_dead(r, "the peer disconnected");
		else if (t == RDMA_CM_EVENT_DEVICE_REMOVAL)
			set_dead(r, "the RDMA device was removed");
		else if (t == RDMA_CM_EVENT_TIMEWAIT_EXIT)
			continue;
	}
}

int ipcoff_rdma_progress(struct ipcoff_rdma *r)
{
	struct ibv_cq *cq;
	void *ctx;

	cm_events(r);
	/* Ack what woke us, then poll, re-arm, poll: nothing slips between. */
	while (!ibv_get_cq_event(r->cch, &cq, &ctx))
		ibv_ack_cq_events(cq, 1);
	poll_cq(r);
	if (ibv_req_notify_cq(r->cq, 0) && !r->err)
		set_dead(r, "ibv_req_notify_cq: %s", strerror(errno));
	poll_cq(r);
	return r->err;
}

/*
 * Wait until @ready, the connection dies, or @timeout_ms passes.  While
 * nothing is posted, a probe now and then makes a silent peer's death
 * show up as a failed request within the QP's retry time.
 */
static int wait_for(struct ipcoff_rdma *r, bool (*ready)(struct ipcoff_rdma *),
		    int timeout_ms)
{
	int64_t deadline = deadline_of(timeout_ms), quiet;
	struct epoll_event ev;
	int left, slice;

	for (;;) {
		ipcoff_rdma_progress(r);
		if (ready(r))
			return 0;
		if (r->err)
			return r->err;
		left = ms_left(deadline);
		if (!left)
			return timeout_ms ? -ETIMEDOUT : -EAGAIN;
		quiet = now_ms() - r->last_heard;
		if (!r->probing && r->sq_busy == 0 &&
		    quiet >= (int64_t)r->opts.dead_ms / 4)
			probe(r);
		slice = (int)r->opts.dead_ms / 4;
		if (left >= 0 && left < slice)
			slice = left;
		if (epoll_wait(r->epfd, &ev, 1, slice) < 0 && errno != EINTR)
			return -errno;
	}
}

static bool can_send(struct ipcoff_rdma *r)
{
	return r->credits > 0 && r->tx_head - r->tx_done < r->tx_slots;
}

static bool can_recv(struct ipcoff_rdma *r)
{
	return r->rx_head < r->rx_tail;
}

int ipcoff_rdma_send_reserve(struct ipcoff_rdma *r, int timeout_ms, void **slot)
{
	int ret;

	if (r->reserved)
		return ipcoff_rdma_fail(-EBUSY, "a slot is reserved already");
	if (r->err)
		return r->err;
	ret = wait_for(r, can_send, timeout_ms);
	if (ret)
		return ret;
	r->reserved = true;
	*slot = (char *)r->tx + (r->tx_head % r->tx_slots) * r->tx_slot_size;
	return 0;
}

int ipcoff_rdma_send_commit(struct ipcoff_rdma *r, size_t len)
{
	unsigned int i = r->tx_head % r->tx_slots;
	struct ibv_sge sge = {
		.addr = (uintptr_t)r->tx + i * r->tx_slot_size,
		.length = (uint32_t)len,
		.lkey = r->tx_mr->lkey,
	};
	struct ibv_send_wr wr = {
		.wr_id = WR_DATA,
		.opcode = IBV_WR_RDMA_WRITE_WITH_IMM,
		.imm_data = htonl((uint32_t)len),
		.sg_list = &sge,
		.num_sge = len ? 1 : 0,
		.wr.rdma = {
			.remote_addr = r->remote_addr + (uint64_t)i * r->tx_slot_size,
			.rkey = r->rkey,
		},
	};
	int ret;

	if (!r->reserved)
		return ipcoff_rdma_fail(-EINVAL, "no slot reserved");
	if (len > r->tx_slot_size)
		return ipcoff_rdma_fail(-EMSGSIZE, "%zu bytes: the peer takes at most %zu",
					len, r->tx_slot_size);
	r->reserved = false;
	if (r->err)
		return r->err;
	ret = post_send(r, &wr);
	if (ret)
		return ret;
	r->credits--;
	r->tx_head++;
	return 0;
}

int ipcoff_rdma_send(struct ipcoff_rdma *r, const void *buf, size_t len,
		     int timeout_ms)
{
	void *slot;
	int ret;

	if (r->err)
		return r->err;
	if (len > r->tx_slot_size)
		return ipcoff_rdma_fail(-EMSGSIZE, "%zu bytes: the peer takes at most %zu",
					len, r->tx_slot_size);
	ret = ipcoff_rdma_send_reserve(r, timeout_ms, &slot);
	if (ret)
		return ret;
	memcpy(slot, buf, len);
	return ipcoff_rdma_send_commit(r, len);
}

ssize_t ipcoff_rdma_recv_peek(struct ipcoff_rdma *r, int timeout_ms,
			      const void **msg)
{
	unsigned int i;
	int ret;

	ret = wait_for(r, can_recv, timeout_ms);
	/* What arrived before the peer went is still handed out. */
	if (ret && !can_recv(r))
		return ret;
	i = r->rx_head % r->opts.slots;
	*msg = (char *)r->rx + (size_t)i * r->opts.msg_max;
	return r->msg_len[i];
}

int ipcoff_rdma_recv_release(struct ipcoff_rdma *r)
{
	unsigned int batch = r->opts.slots / 4 ? r->opts.slots / 4 : 1;

	if (!can_recv(r))
		return ipcoff_rdma_fail(-EINVAL, "no message to release");
	r->rx_head++;
	r->to_return++;
	/*
	 * A quarter of the ring per update: few messages, and no stall: a
	 * producer out of credits means every slot is unread or released.
	 */
	if (r->to_return >= batch && !r->err)
		return send_credits(r);
	return 0;
}

ssize_t ipcoff_rdma_recv(struct ipcoff_rdma *r, void *buf, size_t cap,
			 int timeout_ms)
{
	const void *msg;
	ssize_t len;
	int ret;

	len = ipcoff_rdma_recv_peek(r, timeout_ms, &msg);
	if (len < 0)
		return len;
	if ((size_t)len > cap)
		return ipcoff_rdma_fail(-EMSGSIZE, "a %zd-byte message, %zu bytes of room",
					len, cap);
	memcpy(buf, msg, (size_t)len);
	ret = ipcoff_rdma_recv_release(r);
	/* The message was delivered; a failed credit update shows next time. */
	(void)ret;
	return len;
}

int ipcoff_rdma_fd(const struct ipcoff_rdma *r)
{
	return r->epfd;
}

void ipcoff_rdma_info(const struct ipcoff_rdma *r, struct ipcoff_rdma_info *out)
{
	struct ibv_qp_attr a;
	struct ibv_qp_init_attr ia;

	memset(out, 0, sizeof(*out));
	snprintf(out->ibdev, sizeof(out->ibdev), "%s",
		 ibv_get_device_name(r->id->verbs->device));
	out->port = r->id->port_num;
	out->msg_max = r->tx_slot_size;
	out->slots = r->opts.slots;
	out->credits = r->credits;
	out->timeout = r->qp_timeout;
	out->retry_cnt = r->qp_retry;
	/* What the QP really has, where the device tells. */
	if (r->qp_made && !ibv_query_qp(r->id->qp, &a, IBV_QP_TIMEOUT |
					IBV_QP_RETRY_CNT, &ia)) {
		out->timeout = a.timeout;
		out->retry_cnt = a.retry_cnt;
	}
	out->sent = r->tx_head;
	out->received = r->rx_head;
	out->credit_msgs = r->credit_msgs;
}

static bool all_sent(struct ipcoff_rdma *r)
{
	return r->tx_done == r->tx_head;
}

void ipcoff_rdma_close(struct ipcoff_rdma *r)
{
	struct rdma_cm_event *ev;
	int64_t deadline;

	if (!r)
		return;
	if (r->connected && !r->err) {
		/* What was sent is delivered before we leave (bounded). */
		wait_for(r, all_sent, (int)r->opts.dead_ms);
		if (r->connected) {
			rdma_disconnect(r->id);
			r->connected = false;
			/* The peer's DREP, or its absence, ends the wait. */
			deadline = deadline_of((int)r->opts.dead_ms);
			while (!cm_event(r->ech, deadline, &ev)) {
				enum rdma_cm_event_type t = ev->event;

				rdma_ack_cm_event(ev);
				if (t == RDMA_CM_EVENT_DISCONNECTED)
					break;
			}
		}
	}
	rdma_free(r);
}
