// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * libipcoff: the transport policy of "ipcoff://HOST:PORT" channel names
 * (chan_policy.h): rdma for a peer on another host; on the same host the
 * local transport, unless rdma was asked for or a real RNIC is there and
 * preferred. The decision is pure; the facts come from getifaddrs() and
 * /sys/class/infiniband.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <ifaddrs.h>
#include <limits.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "chan_policy.h"

#define SYSFS_IB	"/sys/class/infiniband"

static int parse_host(const char *host, int *family, unsigned char *a)
{
	if (!host)
		return -EINVAL;
	if (inet_pton(AF_INET, host, a) == 1) {
		*family = AF_INET;
		return 0;
	}
	if (inet_pton(AF_INET6, host, a) == 1) {
		*family = AF_INET6;
		return 0;
	}
	return -EINVAL;
}

int chan_host_is_local(const char *host, const struct chan_addr *addrs,
		       size_t naddrs, const char **ifname)
{
	static const unsigned char zero[16], v6_lo[16] = { [15] = 1 };
	unsigned char a[16] = { 0 };
	int family;
	size_t i, n;

	if (ifname)
		*ifname = NULL;
	if (parse_host(host, &family, a))
		return -EINVAL;
	n = family == AF_INET ? 4 : 16;
	for (i = 0; i < naddrs; i++) {
		if (addrs[i].family == family && !memcmp(addrs[i].a, a, n)) {
			if (ifname)
				*ifname = addrs[i].ifname;
			return 1;
		}
	}
	/* Loopback and the wildcard are this host, listed or not. */
	if (family == AF_INET)
		return a[0] == 127 || !memcmp(a, zero, 4);
	return !memcmp(a, v6_lo, 16) || !memcmp(a, zero, 16);
}

bool chan_rdev_is_hw(const struct chan_rdev_facts *f)
{
	const char *drv = f->driver ? f->driver : "";
	const char *desc = f->node_desc ? f->node_desc : "";
	const char *sub = f->subsystem ? f->subsystem : "";

	/* rxe has no parent device on some kernels, a "parent" file on all. */
	if (!f->has_device || f->has_parent_attr)
		return false;
	/*
	 * siw's parent is its netdev's parent (or, on loopback, the netdev
	 * itself): look at what it is, and at the node description.
	 */
	if (!strcmp(drv, "rdma_rxe") || !strcmp(drv, "siw") ||
	    !strcmp(sub, "net"))
		return false;
	if (!strncmp(desc, "rxe", 3) || strstr(desc, "Software iWARP"))
		return false;
	return true;
}

int chan_policy_route(const struct chan_policy_in *in, char *why, size_t len)
{
	const char *ifname = NULL;
	size_t i;
	int local;

	local = chan_host_is_local(in->host, in->addrs, in->naddrs, &ifname);
	if (local < 0) {
		snprintf(why, len, "%s is not a numeric address",
			 in->host ? in->host : "(null)");
		return -EINVAL;
	}
	if (!local) {
		if (!in->rdma_enabled) {
			snprintf(why, len, "%s is another host: that needs rdma, and this program did not enable it (libipcoff-rdma.a, ipcoff_chan_rdma_enable())",
				 in->host);
			return -EPROTONOSUPPORT;
		}
		if (!in->ndevs) {
			snprintf(why, len, "%s is another host: that needs rdma, and this host has no RDMA device",
				 in->host);
			return -ENODEV;
		}
		snprintf(why, len, "%s is another host: rdma", in->host);
		return CHAN_ROUTE_RDMA;
	}
	if (in->asked) {
		if (!in->rdma_enabled) {
			snprintf(why, len, "rdma asked for, and this program did not enable it (libipcoff-rdma.a, ipcoff_chan_rdma_enable())");
			return -EPROTONOSUPPORT;
		}
		snprintf(why, len, "%s is this host: rdma, as asked", in->host);
		return CHAN_ROUTE_RDMA;
	}
	if (in->prefer_rnic) {
		for (i = 0; i < in->ndevs; i++) {
			const struct chan_rdev *d = &in->devs[i];

			if (!d->hw || (d->netdev[0] &&
				       (!ifname || strcmp(d->netdev, ifname))))
				continue;
			if (!in->rdma_enabled)
				break;
			snprintf(why, len, "%s is this host: rdma, through the preferred RNIC %s",
				 in->host, d->name);
			return CHAN_ROUTE_RDMA;
		}
		snprintf(why, len, "%s is this host: local (%s)", in->host,
			 i < in->ndevs ? "an RNIC is preferred but rdma is not enabled" :
			 "an RNIC is preferred but none serves this address");
		return CHAN_ROUTE_LOCAL;
	}
	snprintf(why, len, "%s is this host: local", in->host);
	return CHAN_ROUTE_LOCAL;
}

int chan_addrs_get(struct chan_addr *out, size_t max)
{
	struct ifaddrs *ifa, *p;
	size_t n = 0;

	if (getifaddrs(&ifa))
		return -errno;
	for (p = ifa; p && n < max; p = p->ifa_next) {
		struct chan_addr *c = &out[n];

		if (!p->ifa_addr)
			continue;
		memset(c, 0, sizeof(*c));
		if (p->ifa_addr->sa_family == AF_INET) {
			memcpy(c->a, &((struct sockaddr_in *)p->ifa_addr)->sin_addr, 4);
		} else if (p->ifa_addr->sa_family == AF_INET6) {
			memcpy(c->a, &((struct sockaddr_in6 *)p->ifa_addr)->sin6_addr, 16);
		} else {
			continue;
		}
		c->family = p->ifa_addr->sa_family;
		snprintf(c->ifname, sizeof(c->ifname), "%s", p->ifa_name);
		n++;
	}
	freeifaddrs(ifa);
	return (int)n;
}

/* The basename of the link @dir/@file into @buf ("" when none). */
static void link_base(const char *dir, const char *file, char *buf,
		      size_t len)
{
	char path[PATH_MAX], link[PATH_MAX];
	const char *slash;
	ssize_t k;

	buf[0] = 0;
	if (snprintf(path, sizeof(path), "%s/%s", dir, file) >= (int)sizeof(path))
		return;
	k = readlink(path, link, sizeof(link) - 1);
	if (k <= 0)
		return;
	link[k] = 0;
	slash = strrchr(link, '/');
	if (snprintf(buf, len, "%s", slash ? slash + 1 : link) >= (int)len)
		buf[0] = 0;
}

/* The first line of @dir/@file into @buf ("" when unreadable). */
static void read_line(const char *dir, const char *file, char *buf,
		      size_t len)
{
	char path[PATH_MAX];
	FILE *f;

	buf[0] = 0;
	if (snprintf(path, sizeof(path), "%s/%s", dir, file) >= (int)sizeof(path))
		return;
	f = fopen(path, "re");
	if (!f)
		return;
	if (!fgets(buf, (int)len, f))
		buf[0] = 0;
	fclose(f);
	buf[strcspn(buf, "\n")] = 0;
}

int chan_rdevs_get(const char *root, struct chan_rdev *out, size_t max)
{
	struct dirent *e;
	size_t n = 0;
	DIR *d;

	d = opendir(root ? root : SYSFS_IB);
	if (!d)
		return errno == ENOENT ? 0 : -errno;
	while ((e = readdir(d)) && n < max) {
		char dir[PATH_MAX], path[PATH_MAX];
		char desc[128], drv[64], sub[64];
		struct chan_rdev_facts f = { 0 };
		struct stat st;

		if (e->d_name[0] == '.')
			continue;
		if (snprintf(dir, sizeof(dir), "%s/%s", root ? root : SYSFS_IB,
			     e->d_name) >= (int)sizeof(dir) - 16 ||
		    strlen(e->d_name) >= sizeof(out[n].name))
			continue;
		if (snprintf(path, sizeof(path), "%s/device", dir) <
		    (int)sizeof(path))
			f.has_device = !stat(path, &st);
		if (snprintf(path, sizeof(path), "%s/parent", dir) <
		    (int)sizeof(path))
			f.has_parent_attr = !access(path, F_OK);
		link_base(dir, "device/driver", drv, sizeof(drv));
		link_base(dir, "device/subsystem", sub, sizeof(sub));
		read_line(dir, "node_desc", desc, sizeof(desc));
		f.driver = drv;
		f.subsystem = sub;
		f.node_desc = desc;
		memset(&out[n], 0, sizeof(out[n]));
		memcpy(out[n].name, e->d_name, strlen(e->d_name) + 1);
		read_line(dir, "ports/1/gid_attrs/ndevs/0", out[n].netdev,
			  sizeof(out[n].netdev));
		out[n].hw = chan_rdev_is_hw(&f);
		n++;
	}
	closedir(d);
	return (int)n;
}
