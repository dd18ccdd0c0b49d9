/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/*
 * libipcoff internals: which transport an "ipcoff://HOST:PORT" channel
 * name takes (chan_net.c), as a pure decision over injected facts, so that
 * it is tested natively: this host's addresses, its RDMA devices (each
 * classified software or real from its sysfs facts), whether the rdma
 * transport is linked and enabled, and what the caller asked for. The
 * impure part (getifaddrs(), a walk of /sys/class/infiniband) only
 * gathers those facts. Not installed.
 */
#ifndef LIBIPCOFF_CHAN_POLICY_H
#define LIBIPCOFF_CHAN_POLICY_H

#include <net/if.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* One address of this host and the network device that has it. */
struct chan_addr {
	int family;			/* AF_INET, AF_INET6 */
	unsigned char a[16];		/* 4 or 16 bytes, network order */
	char ifname[IF_NAMESIZE];
};

/* One RDMA device of this host. */
struct chan_rdev {
	char name[64];
	char netdev[IF_NAMESIZE];	/* behind port 1; "" when unknown */
	bool hw;			/* a real RNIC, not rxe or siw */
};

/* What sysfs says of an RDMA device (/sys/class/infiniband/NAME). */
struct chan_rdev_facts {
	bool has_device;	/* NAME/device: a parent device */
	bool has_parent_attr;	/* NAME/parent: rxe's netdev attribute */
	const char *driver;	/* basename of NAME/device/driver, or "" */
	const char *subsystem;	/* basename of NAME/device/subsystem, or "" */
	const char *node_desc;	/* NAME/node_desc, or "" */
};

struct chan_policy_in {
	const char *host;	/* numeric: a.b.c.d, v6 (no brackets) */
	const struct chan_addr *addrs;
	size_t naddrs;
	const struct chan_rdev *devs;
	size_t ndevs;
	bool rdma_enabled;	/* "rdma://" is registered */
	bool asked;		/* IPCOFF_CHAN_RDMA or IPCOFF_CHAN_RDMA=1 */
	bool prefer_rnic;	/* IPCOFF_CHAN_PREFER_RNIC, flag or env */
};

#define CHAN_ROUTE_LOCAL	1
#define CHAN_ROUTE_RDMA		2

/*
 * The route for a consumer of "ipcoff://HOST:PORT": CHAN_ROUTE_LOCAL,
 * CHAN_ROUTE_RDMA, or a negative errno (-EINVAL: HOST is not numeric;
 * -EPROTONOSUPPORT: rdma is needed or asked for and not enabled; -ENODEV:
 * another host and no RDMA device here). @why gets one line saying why.
 *
 *   HOST is this host (one of @addrs, loopback, or the wildcard):
 *     asked                        -> rdma (-EPROTONOSUPPORT if not enabled)
 *     prefer_rnic and a real RNIC on HOST's netdev (or any real one whose
 *     netdev is unknown), rdma enabled -> rdma
 *     otherwise                    -> local
 *   HOST is another host           -> rdma (-EPROTONOSUPPORT, -ENODEV)
 */
int chan_policy_route(const struct chan_policy_in *in, char *why, size_t len);

/* Is HOST (numeric) one of @addrs, loopback or the wildcard? 1, 0, -EINVAL. */
int chan_host_is_local(const char *host, const struct chan_addr *addrs,
		       size_t naddrs, const char **ifname);

/* A real RNIC? No for rxe and siw, whatever their names. */
bool chan_rdev_is_hw(const struct chan_rdev_facts *f);

/* This host's addresses (getifaddrs()); count or -errno; at most @max. */
int chan_addrs_get(struct chan_addr *out, size_t max);

/*
 * The RDMA devices under @root (NULL: /sys/class/infiniband), classified
 * with chan_rdev_is_hw(); count (0 when @root is missing), at most @max.
 */
int chan_rdevs_get(const char *root, struct chan_rdev *out, size_t max);

#endif /* LIBIPCOFF_CHAN_POLICY_H */
