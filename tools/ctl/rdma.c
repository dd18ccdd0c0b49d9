// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * ipcoffctl rdma: the host's RDMA devices, their ports and the network
 * devices behind them, read from /sys/class/infiniband and getifaddrs()
 * alone, so ipcoffctl needs neither rdma-core nor the ipcoff module.
 */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <ifaddrs.h>
#include <limits.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "ctl.h"

#define RDMA_MAX_DEVS	64
#define RDMA_MAX_PORTS	16
#define RDMA_MAX_ADDRS	8

struct rdma_port {
	unsigned int num;
	int state;			/* "4: ACTIVE" -> 4, -1 unknown */
	char state_name[24];		/* ACTIVE */
	int phys;
	char phys_name[24];		/* LinkUp */
	char link_layer[24];		/* Ethernet, InfiniBand */
	char rate[48];
	char netdev[32];		/* "" for none */
	char addrs[RDMA_MAX_ADDRS][24];	/* IPv4 with prefix length */
	int naddrs;
};

struct rdma_dev {
	char name[64];
	char driver[32];
	bool software;
	char node_type[24];		/* CA, RNIC, switch... */
	char node_desc[96];
	char node_guid[24];
	char fw_ver[32];
	struct rdma_port port[RDMA_MAX_PORTS];
	int nports;
};

/* A path in @buf; one cut short names nothing and fails to open. */
static void __attribute__((format(printf, 3, 4)))
pathf(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, size, fmt, ap);
	va_end(ap);
}

/* @dir/@name into @buf, newline stripped; "" when unreadable. */
static void read_attr(const char *dir, const char *name, char *buf,
		      size_t size)
{
	char path[PATH_MAX];

	pathf(path, sizeof(path), "%s/%s", dir, name);
	if (ipcsys_read(path, buf, size))
		buf[0] = 0;
}

/* "4: ACTIVE" -> 4 and "ACTIVE"; the kernel's format for port states. */
static int split_state(const char *v, char *name, size_t size)
{
	const char *colon = strchr(v, ':');

	snprintf(name, size, "%s", colon ? colon + 1 + (colon[1] == ' ') : v);
	if (!name[0])
		snprintf(name, size, "?");
	return colon ? atoi(v) : -1;
}

static int cmp_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int cmp_uint(const void *a, const void *b)
{
	unsigned int x = *(const unsigned int *)a, y = *(const unsigned int *)b;

	return x < y ? -1 : x > y;
}

/* Subdirectory names of @dir, sorted; -errno when it cannot be read. */
static int list_dir(const char *dir, char ***out)
{
	char **names = NULL;
	struct dirent *de;
	int n = 0, err;
	DIR *d = opendir(dir);

	if (!d)
		return -errno;
	while ((de = readdir(d)) && n < RDMA_MAX_DEVS) {
		char **more;

		if (de->d_name[0] == '.')
			continue;
		more = realloc(names, (n + 1) * sizeof(*names));
		if (!more)
			goto nomem;
		names = more;
		names[n] = strdup(de->d_name);
		if (!names[n])
			goto nomem;
		n++;
	}
	closedir(d);
	if (n)
		qsort(names, n, sizeof(*names), cmp_name);
	*out = names;
	return n;
nomem:
	err = -ENOMEM;
	closedir(d);
	while (n--)
		free(names[n]);
	free(names);
	return err;
}

static void free_names(char **names, int n)
{
	while (n-- > 0)
		free(names[n]);
	free(names);
}

/*
 * The driver: rxe is the one with a "parent" attribute (its netdev);
 * a device backed by hardware has a "device" link to it, whose driver
 * link names the driver. No device link: a software device of some kind.
 */
static void driver_of(const char *dir, struct rdma_dev *d)
{
	char path[PATH_MAX], target[PATH_MAX];
	const char *base;
	ssize_t len;

	pathf(path, sizeof(path), "%s/parent", dir);
	if (!access(path, F_OK)) {
		snprintf(d->driver, sizeof(d->driver), "rxe");
		d->software = true;
		return;
	}
	pathf(path, sizeof(path), "%s/device/driver", dir);
	len = readlink(path, target, sizeof(target) - 1);
	if (len > 0) {
		target[len] = 0;
		base = strrchr(target, '/');
		snprintf(d->driver, sizeof(d->driver), "%.31s",
			 base ? base + 1 : target);
		d->software = !strcmp(d->driver, "siw");
		return;
	}
	snprintf(d->driver, sizeof(d->driver), "-");
	pathf(path, sizeof(path), "%s/device", dir);
	d->software = access(path, F_OK) != 0;
}

static void port_addrs(struct rdma_port *p, const struct ifaddrs *ifa)
{
	for (; ifa; ifa = ifa->ifa_next) {
		const struct sockaddr_in *a = (const void *)ifa->ifa_addr;
		const struct sockaddr_in *m = (const void *)ifa->ifa_netmask;
		char ip[INET_ADDRSTRLEN];
		int bits = 0;

		if (!a || a->sin_family != AF_INET || !ifa->ifa_name ||
		    strcmp(ifa->ifa_name, p->netdev) ||
		    p->naddrs == RDMA_MAX_ADDRS)
			continue;
		if (m && m->sin_family == AF_INET)
			bits = __builtin_popcount(m->sin_addr.s_addr);
		inet_ntop(AF_INET, &a->sin_addr, ip, sizeof(ip));
		snprintf(p->addrs[p->naddrs++], sizeof(p->addrs[0]), "%s/%d",
			 ip, bits);
	}
}

static void read_port(const char *dir, const struct rdma_dev *d,
		      struct rdma_port *p, const struct ifaddrs *ifa)
{
	char pdir[PATH_MAX], v[64];

	pathf(pdir, sizeof(pdir), "%s/ports/%u", dir, p->num);
	read_attr(pdir, "state", v, sizeof(v));
	p->state = split_state(v, p->state_name, sizeof(p->state_name));
	read_attr(pdir, "phys_state", v, sizeof(v));
	p->phys = split_state(v, p->phys_name, sizeof(p->phys_name));
	read_attr(pdir, "link_layer", p->link_layer, sizeof(p->link_layer));
	read_attr(pdir, "rate", p->rate, sizeof(p->rate));
	/* GID 0's netdev (RoCE); rxe also names it in "parent". */
	read_attr(pdir, "gid_attrs/ndevs/0", p->netdev, sizeof(p->netdev));
	if (!p->netdev[0] && !strcmp(d->driver, "rxe"))
		read_attr(dir, "parent", p->netdev, sizeof(p->netdev));
	if (p->netdev[0])
		port_addrs(p, ifa);
}

static int read_dev(const char *root, const char *name, struct rdma_dev *d,
		    const struct ifaddrs *ifa)
{
	char dir[PATH_MAX], pdir[PATH_MAX], v[64];
	unsigned int nums[RDMA_MAX_PORTS];
	char **ports = NULL;
	int i, n;

	memset(d, 0, sizeof(*d));
	snprintf(d->name, sizeof(d->name), "%s", name);
	pathf(dir, sizeof(dir), "%s/%s", root, name);
	driver_of(dir, d);
	read_attr(dir, "node_type", v, sizeof(v));
	split_state(v, d->node_type, sizeof(d->node_type));
	read_attr(dir, "node_desc", d->node_desc, sizeof(d->node_desc));
	read_attr(dir, "node_guid", d->node_guid, sizeof(d->node_guid));
	read_attr(dir, "fw_ver", d->fw_ver, sizeof(d->fw_ver));
	pathf(pdir, sizeof(pdir), "%s/ports", dir);
	n = list_dir(pdir, &ports);
	if (n < 0)
		return n == -ENOENT ? 0 : n;
	for (i = 0; i < n && d->nports < RDMA_MAX_PORTS; i++) {
		char *end;
		unsigned long num = strtoul(ports[i], &end, 10);

		if (!*end && num)
			nums[d->nports++] = (unsigned int)num;
	}
	free_names(ports, n);
	qsort(nums, d->nports, sizeof(nums[0]), cmp_uint);
	for (i = 0; i < d->nports; i++) {
		d->port[i].num = nums[i];
		read_port(dir, d, &d->port[i], ifa);
	}
	return 0;
}

static const char *or_dash(const char *s)
{
	return s[0] ? s : "-";
}

static void print_json(const struct rdma_dev *devs, int n)
{
	int i, k, a;

	jw_obj(NULL);
	jw_arr("devices");
	for (i = 0; i < n; i++) {
		const struct rdma_dev *d = &devs[i];

		jw_obj(NULL);
		jw_str("name", d->name);
		jw_str("driver", d->driver);
		jw_bool("software", d->software);
		jw_str("node_type", d->node_type);
		jw_str("node_desc", d->node_desc);
		jw_str("node_guid", d->node_guid);
		jw_str("fw_ver", d->fw_ver);
		jw_arr("ports");
		for (k = 0; k < d->nports; k++) {
			const struct rdma_port *p = &d->port[k];

			jw_obj(NULL);
			jw_uint("port", p->num);
			jw_str("state", p->state_name);
			jw_int("state_num", p->state);
			jw_str("phys_state", p->phys_name);
			jw_int("phys_state_num", p->phys);
			jw_str("link_layer", p->link_layer);
			jw_str("rate", p->rate);
			jw_str("netdev", p->netdev);
			jw_arr("ipv4");
			for (a = 0; a < p->naddrs; a++)
				jw_str(NULL, p->addrs[a]);
			jw_end();
			jw_end();
		}
		jw_end();
		jw_end();
	}
	jw_end();
	jw_end();
	jw_done();
}

static void print_text(const struct rdma_dev *devs, int n)
{
	int i, k, a;

	printf("%-12s %-10s %-5s %4s %-12s %-10s %-10s %-10s %s\n", "DEVICE",
	       "DRIVER", "NODE", "PORT", "STATE", "PHYS", "LINK", "NETDEV",
	       "IPV4");
	for (i = 0; i < n; i++) {
		const struct rdma_dev *d = &devs[i];

		if (!d->nports)
			printf("%-12s %-10s %-5s %4s\n", d->name, d->driver,
			       or_dash(d->node_type), "-");
		for (k = 0; k < d->nports; k++) {
			const struct rdma_port *p = &d->port[k];

			printf("%-12s %-10s %-5s %4u %-12s %-10s %-10s %-10s",
			       d->name, d->driver, or_dash(d->node_type),
			       p->num, p->state_name, p->phys_name,
			       or_dash(p->link_layer), or_dash(p->netdev));
			for (a = 0; a < p->naddrs; a++)
				printf("%s%s", a ? "," : " ", p->addrs[a]);
			printf("%s\n", p->naddrs ? "" : " -");
		}
	}
}

int cmd_rdma(struct ctl *c, int argc, char **argv)
{
	struct ifaddrs *ifa = NULL;
	struct rdma_dev *devs;
	char **names = NULL;
	int i, n, ret = 0;

	(void)argv;
	if (argc) {
		fprintf(stderr, "ipcoffctl: too many arguments (see --help)\n");
		return EX_USAGE;
	}
	n = list_dir(c->ibclass, &names);
	/* No RDMA core loaded is no device, not a failure. */
	if (n == -ENOENT)
		n = 0;
	if (n < 0)
		return ctl_fail(c, n, "reading %s", c->ibclass);
	devs = calloc(n ? n : 1, sizeof(*devs));
	if (!devs) {
		free_names(names, n);
		return ctl_fail(c, -ENOMEM, "rdma");
	}
	/* Without addresses the table still says what it can. */
	if (getifaddrs(&ifa))
		ifa = NULL;
	for (i = 0; i < n && !ret; i++)
		ret = read_dev(c->ibclass, names[i], &devs[i], ifa);
	if (ifa)
		freeifaddrs(ifa);
	if (ret) {
		ret = ctl_fail(c, ret, "reading %s/%s", c->ibclass,
			       names[i - 1]);
	} else if (c->json) {
		print_json(devs, n);
	} else if (!n) {
		printf("(no RDMA devices: %s is empty or absent)\n",
		       c->ibclass);
	} else {
		print_text(devs, n);
	}
	free_names(names, n);
	free(devs);
	return ret;
}
