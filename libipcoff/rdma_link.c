// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * libipcoff: RDMA devices through netlink, with libnl.
 *
 * libnl has no RDMA family, so the RDMA netlink (NETLINK_RDMA, "nldev")
 * requests are built with its core API: a message of type
 * RDMA_NL_GET_TYPE(RDMA_NL_NLDEV, cmd), no family header, flat attributes.
 * That creates and removes soft-RoCE links the way `rdma link add` does,
 * without running it, and tells which network device is behind a port;
 * that device's addresses come from libnl-route's caches.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <linux/netlink.h>
#include <rdma/rdma_netlink.h>

#include <netlink/attr.h>
#include <netlink/errno.h>
#include <netlink/msg.h>
#include <netlink/netlink.h>
#include <netlink/route/addr.h>
#include <netlink/route/link.h>
#include <netlink/socket.h>

#include "rdma.h"

static __thread char errbuf[256];

const char *ipcoff_rdma_strerror(void)
{
	return errbuf[0] ? errbuf : "no error";
}

int ipcoff_rdma_fail(int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(errbuf, sizeof(errbuf), fmt, ap);
	va_end(ap);
	return err;
}

/* libnl reports its own codes; callers of this file get errnos. */
static int nlerr_errno(int nlerr)
{
	switch (nlerr < 0 ? -nlerr : nlerr) {
	case NLE_NOMEM: return -ENOMEM;
	case NLE_PERM: return -EPERM;
	case NLE_NODEV: return -ENODEV;
	case NLE_EXIST: return -EEXIST;
	case NLE_INVAL: return -EINVAL;
	case NLE_OBJ_NOTFOUND: return -ENOENT;
	case NLE_AGAIN: return -EAGAIN;
	case NLE_BUSY: return -EBUSY;
	case NLE_OPNOTSUPP: return -EOPNOTSUPP;
	case NLE_PROTO_MISMATCH: return -EPROTONOSUPPORT;
	case NLE_NOACCESS: return -EACCES;
	default: return -EIO;
	}
}

/* One request and the replies to it. */
struct nlreq {
	int err;		/* the kernel's errno from NLMSG_ERROR, < 0 */
	bool done;		/* the ack, or a dump's NLMSG_DONE */
	/* Called per reply with its attributes parsed. */
	int (*reply)(struct nlattr **tb, void *arg);
	void *arg;
};

static int on_valid(struct nl_msg *msg, void *arg)
{
	struct nlattr *tb[RDMA_NLDEV_ATTR_MAX + 1];
	struct nlreq *r = arg;

	/* Attributes past our header's maximum (a newer kernel) are skipped. */
	if (nlmsg_parse(nlmsg_hdr(msg), 0, tb, RDMA_NLDEV_ATTR_MAX, NULL) < 0) {
		r->err = -EPROTO;
		return NL_STOP;
	}
	if (r->reply && r->reply(tb, r->arg) < 0)
		return NL_STOP;
	return NL_OK;
}

static int on_error(struct sockaddr_nl *who, struct nlmsgerr *e, void *arg)
{
	struct nlreq *r = arg;

	(void)who;
	r->err = e->error ? e->error : -EIO;
	return NL_STOP;
}

static int on_done(struct nl_msg *msg, void *arg)
{
	struct nlreq *r = arg;

	(void)msg;
	r->done = true;
	return NL_STOP;
}

/*
 * Send one nldev command with the attributes @fill puts, and read every
 * reply until its ack (or a dump's end).  A socket per request: no
 * leftover reply of an earlier one can be mistaken for ours.
 */
static int nldev_request(int cmd, int flags,
			 int (*fill)(struct nl_msg *msg, const void *arg),
			 const void *fill_arg, struct nlreq *r)
{
	struct nl_sock *sk;
	struct nl_msg *msg;
	struct nl_cb *cb;
	int ret;

	sk = nl_socket_alloc();
	if (!sk)
		return -ENOMEM;
	ret = nl_connect(sk, NETLINK_RDMA);
	if (ret < 0) {
		nl_socket_free(sk);
		return ipcoff_rdma_fail(nlerr_errno(ret),
			"cannot open RDMA netlink: %s (is ib_core loaded?)",
			nl_geterror(ret));
	}
	msg = nlmsg_alloc_simple(RDMA_NL_GET_TYPE(RDMA_NL_NLDEV, cmd), flags);
	cb = nl_cb_alloc(NL_CB_DEFAULT);
	if (!msg || !cb) {
		ret = -ENOMEM;
		goto out;
	}
	if (fill) {
		ret = fill(msg, fill_arg);
		if (ret < 0)
			goto out;
	}
	nl_cb_set(cb, NL_CB_VALID, NL_CB_CUSTOM, on_valid, r);
	nl_cb_set(cb, NL_CB_ACK, NL_CB_CUSTOM, on_done, r);
	nl_cb_set(cb, NL_CB_FINISH, NL_CB_CUSTOM, on_done, r);
	nl_cb_err(cb, NL_CB_CUSTOM, on_error, r);
	/* nl_send_auto adds NLM_F_REQUEST, NLM_F_ACK and our sequence. */
	ret = nl_send_auto(sk, msg);
	if (ret < 0) {
		ret = nlerr_errno(ret);
		goto out;
	}
	ret = 0;
	while (!r->done && !r->err) {
		int rc = nl_recvmsgs(sk, cb);

		if (r->err)
			break;
		if (rc < 0) {
			ret = nlerr_errno(rc);
			break;
		}
	}
	if (!ret)
		ret = r->err;
out:
	nl_cb_put(cb);
	nlmsg_free(msg);
	nl_socket_free(sk);
	return ret;
}

struct link_args {
	const char *ibdev, *netdev;
	uint32_t index, port;
};

static int put_newlink(struct nl_msg *msg, const void *arg)
{
	const struct link_args *a = arg;

	if (nla_put_string(msg, RDMA_NLDEV_ATTR_DEV_NAME, a->ibdev) < 0 ||
	    nla_put_string(msg, RDMA_NLDEV_ATTR_LINK_TYPE, "rxe") < 0 ||
	    nla_put_string(msg, RDMA_NLDEV_ATTR_NDEV_NAME, a->netdev) < 0)
		return -EMSGSIZE;
	return 0;
}

static bool name_ok(const char *s, size_t max)
{
	return s && s[0] && strnlen(s, max) < max;
}

int ipcoff_rdma_link_add(const char *ibdev, const char *netdev)
{
	struct link_args a = { .ibdev = ibdev, .netdev = netdev };
	struct nlreq r = { 0 };
	int ret;

	if (!name_ok(ibdev, sizeof(((struct ipcoff_rdma_dev *)0)->name)) ||
	    !name_ok(netdev, IF_NAMESIZE))
		return ipcoff_rdma_fail(-EINVAL, "bad device name");
	ret = nldev_request(RDMA_NLDEV_CMD_NEWLINK, 0, put_newlink, &a, &r);
	switch (ret) {
	case 0:
		return 0;
	case -EPERM:
		return ipcoff_rdma_fail(ret,
			"adding %s: CAP_NET_ADMIN is needed", ibdev);
	case -EEXIST:
		return ipcoff_rdma_fail(ret, "adding %s: the name is taken, or %s already has an rxe device",
					ibdev, netdev);
	case -ENODEV:
		return ipcoff_rdma_fail(ret, "adding %s: no network device %s",
					ibdev, netdev);
	case -EPROTONOSUPPORT:
		return ipcoff_rdma_fail(ret, "adding %s: this kernel has no RDMA netlink (ib_core is not loaded)",
					ibdev);
	case -EINVAL:
	case -EOPNOTSUPP:
		/* The kernel asks for rdma-link-rxe, which needs modprobe. */
		return ipcoff_rdma_fail(ret, "adding %s on %s: %s (is rdma_rxe loaded?)",
					ibdev, netdev, strerror(-ret));
	default:
		return ipcoff_rdma_fail(ret, "adding %s on %s: %s", ibdev,
					netdev, strerror(-ret));
	}
}

/* A dump of every device: index, name, port count. */
struct dev_list {
	struct ipcoff_rdma_dev *out;
	int max, n;
};

static void get_string(struct nlattr *a, char *buf, size_t len)
{
	if (a)
		snprintf(buf, len, "%s", nla_get_string(a));
}

static int on_dev(struct nlattr **tb, void *arg)
{
	struct dev_list *l = arg;
	struct ipcoff_rdma_dev *d;

	if (!tb[RDMA_NLDEV_ATTR_DEV_INDEX] || !tb[RDMA_NLDEV_ATTR_DEV_NAME])
		return 0;
	if (l->n < l->max) {
		d = &l->out[l->n];
		memset(d, 0, sizeof(*d));
		d->index = nla_get_u32(tb[RDMA_NLDEV_ATTR_DEV_INDEX]);
		get_string(tb[RDMA_NLDEV_ATTR_DEV_NAME], d->name, sizeof(d->name));
		/* In a device reply, PORT_INDEX is the number of ports. */
		if (tb[RDMA_NLDEV_ATTR_PORT_INDEX])
			d->nports = nla_get_u32(tb[RDMA_NLDEV_ATTR_PORT_INDEX]);
	}
	l->n++;
	return 0;
}

static int put_port(struct nl_msg *msg, const void *arg)
{
	const struct link_args *a = arg;

	if (nla_put_u32(msg, RDMA_NLDEV_ATTR_DEV_INDEX, a->index) < 0 ||
	    nla_put_u32(msg, RDMA_NLDEV_ATTR_PORT_INDEX, a->port) < 0)
		return -EMSGSIZE;
	return 0;
}

static int on_port(struct nlattr **tb, void *arg)
{
	struct ipcoff_rdma_dev *d = arg;

	if (tb[RDMA_NLDEV_ATTR_PORT_STATE])
		d->port_state = nla_get_u8(tb[RDMA_NLDEV_ATTR_PORT_STATE]);
	if (tb[RDMA_NLDEV_ATTR_PORT_PHYS_STATE])
		d->phys_state = nla_get_u8(tb[RDMA_NLDEV_ATTR_PORT_PHYS_STATE]);
	if (tb[RDMA_NLDEV_ATTR_NDEV_INDEX])
		d->ifindex = (int)nla_get_u32(tb[RDMA_NLDEV_ATTR_NDEV_INDEX]);
	get_string(tb[RDMA_NLDEV_ATTR_NDEV_NAME], d->netdev, sizeof(d->netdev));
	return 0;
}

/* Port 1's state and network device (rxe has one port). */
static int query_port(struct ipcoff_rdma_dev *d)
{
	struct link_args a = { .index = d->index, .port = 1 };
	struct nlreq r = { .reply = on_port, .arg = d };

	if (!d->nports)
		return 0;
	return nldev_request(RDMA_NLDEV_CMD_PORT_GET, 0, put_port, &a, &r);
}

int ipcoff_rdma_devices(struct ipcoff_rdma_dev *out, int max)
{
	struct dev_list l = { .out = out, .max = out ? max : 0 };
	struct nlreq r = { .reply = on_dev, .arg = &l };
	int ret, i;

	ret = nldev_request(RDMA_NLDEV_CMD_GET, NLM_F_DUMP, NULL, NULL, &r);
	/* No RDMA netlink: ib_core is not loaded, so there is no device. */
	if (ret == -EPROTONOSUPPORT)
		return 0;
	if (ret < 0)
		return ipcoff_rdma_fail(ret, "listing RDMA devices: %s",
					strerror(-ret));
	for (i = 0; i < l.n && i < l.max; i++) {
		ret = query_port(&out[i]);
		/* A device removed since the dump is not an error. */
		if (ret < 0 && ret != -ENODEV && ret != -EINVAL)
			return ipcoff_rdma_fail(ret, "querying %s: %s",
						out[i].name, strerror(-ret));
	}
	return l.n;
}

int ipcoff_rdma_dev_get(const char *ibdev, struct ipcoff_rdma_dev *out)
{
	struct ipcoff_rdma_dev devs[32];
	int n, i;

	n = ipcoff_rdma_devices(devs, 32);
	if (n < 0)
		return n;
	for (i = 0; i < n && i < 32; i++) {
		if (!strcmp(devs[i].name, ibdev)) {
			*out = devs[i];
			return 0;
		}
	}
	return ipcoff_rdma_fail(-ENODEV, "no RDMA device %s", ibdev);
}

static int put_dellink(struct nl_msg *msg, const void *arg)
{
	const struct link_args *a = arg;

	/* DELLINK names the device by index, not by name. */
	if (nla_put_u32(msg, RDMA_NLDEV_ATTR_DEV_INDEX, a->index) < 0)
		return -EMSGSIZE;
	return 0;
}

int ipcoff_rdma_link_del(const char *ibdev)
{
	struct ipcoff_rdma_dev d;
	struct link_args a;
	struct nlreq r = { 0 };
	int ret;

	if (!name_ok(ibdev, sizeof(d.name)))
		return ipcoff_rdma_fail(-EINVAL, "bad device name");
	ret = ipcoff_rdma_dev_get(ibdev, &d);
	if (ret < 0)
		return ret;
	a.index = d.index;
	ret = nldev_request(RDMA_NLDEV_CMD_DELLINK, 0, put_dellink, &a, &r);
	if (ret == -EPERM)
		return ipcoff_rdma_fail(ret, "removing %s: CAP_NET_ADMIN is needed",
					ibdev);
	if (ret == -EINVAL)
		return ipcoff_rdma_fail(ret, "removing %s: not a link that can be removed (not rxe or siw?)",
					ibdev);
	if (ret < 0)
		return ipcoff_rdma_fail(ret, "removing %s: %s", ibdev,
					strerror(-ret));
	return 0;
}

/* Addresses from rtnetlink's caches, IPv4 before IPv6. */
struct addr_walk {
	int ifindex, family;
	struct ipcoff_rdma_ifaddr *out;
	int max, n;
};

static void on_addr(struct nl_object *obj, void *arg)
{
	struct rtnl_addr *ra = (struct rtnl_addr *)obj;
	struct addr_walk *w = arg;
	struct nl_addr *local;
	struct ipcoff_rdma_ifaddr *a;

	if (rtnl_addr_get_ifindex(ra) != w->ifindex ||
	    rtnl_addr_get_family(ra) != w->family)
		return;
	local = rtnl_addr_get_local(ra);
	if (!local)
		return;
	if (w->n < w->max) {
		a = &w->out[w->n];
		a->family = w->family;
		a->prefixlen = rtnl_addr_get_prefixlen(ra);
		if (!inet_ntop(w->family, nl_addr_get_binary_addr(local),
			       a->addr, sizeof(a->addr)))
			a->addr[0] = 0;
	}
	w->n++;
}

int ipcoff_rdma_netdev_addrs(int ifindex, struct ipcoff_rdma_ifaddr *out,
			     int max, unsigned int *ifflags)
{
	struct addr_walk w = { .ifindex = ifindex, .out = out,
			       .max = out ? max : 0 };
	struct nl_cache *links = NULL, *addrs = NULL;
	struct rtnl_link *link;
	struct nl_sock *sk;
	int ret;

	sk = nl_socket_alloc();
	if (!sk)
		return -ENOMEM;
	ret = nl_connect(sk, NETLINK_ROUTE);
	if (ret < 0)
		goto fail;
	ret = rtnl_link_alloc_cache(sk, AF_UNSPEC, &links);
	if (ret < 0)
		goto fail;
	link = rtnl_link_get(links, ifindex);
	if (!link) {
		ret = ipcoff_rdma_fail(-ENODEV, "no network device with index %d",
				       ifindex);
		goto out;
	}
	if (ifflags)
		*ifflags = rtnl_link_get_flags(link);
	rtnl_link_put(link);
	ret = rtnl_addr_alloc_cache(sk, &addrs);
	if (ret < 0)
		goto fail;
	w.family = AF_INET;
	nl_cache_foreach(addrs, on_addr, &w);
	w.family = AF_INET6;
	nl_cache_foreach(addrs, on_addr, &w);
	ret = w.n;
	goto out;
fail:
	ret = ipcoff_rdma_fail(nlerr_errno(ret), "rtnetlink: %s",
			       nl_geterror(ret));
out:
	if (addrs)
		nl_cache_free(addrs);
	if (links)
		nl_cache_free(links);
	nl_socket_free(sk);
	return ret;
}
