// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * ipcoff-rdma: RDMA devices as libipcoff's rdma transport sees them, and
 * soft-RoCE links for tests, through RDMA netlink (no `rdma` tool needed).
 *
 *   ipcoff-rdma list                      devices, port state, netdev, addresses
 *   ipcoff-rdma link add NAME NETDEV      a soft-RoCE (rxe) device on NETDEV
 *   ipcoff-rdma link del NAME
 *
 * Exit status: 0, 1 on an error (its message on stderr), 2 on bad usage.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>

#include "../libipcoff/rdma.h"

static const char *port_state(uint8_t s)
{
	static const char *const names[] = {
		"NOP", "DOWN", "INIT", "ARMED", "ACTIVE", "ACTIVE_DEFER",
	};

	return s < sizeof(names) / sizeof(names[0]) ? names[s] : "?";
}

static int list(void)
{
	struct ipcoff_rdma_dev devs[32];
	struct ipcoff_rdma_ifaddr addrs[16];
	unsigned int flags;
	int n, i, j, na;

	n = ipcoff_rdma_devices(devs, 32);
	if (n < 0) {
		fprintf(stderr, "ipcoff-rdma: %s\n", ipcoff_rdma_strerror());
		return 1;
	}
	if (!n)
		printf("no RDMA devices\n");
	for (i = 0; i < n && i < 32; i++) {
		const struct ipcoff_rdma_dev *d = &devs[i];

		printf("%s: index %u, port 1 %s (phys %u), netdev %s\n",
		       d->name, d->index, port_state(d->port_state),
		       d->phys_state, d->netdev[0] ? d->netdev : "-");
		if (!d->ifindex)
			continue;
		na = ipcoff_rdma_netdev_addrs(d->ifindex, addrs, 16, &flags);
		if (na < 0) {
			fprintf(stderr, "ipcoff-rdma: %s\n", ipcoff_rdma_strerror());
			return 1;
		}
		printf("  %s is %s%s\n", d->netdev, flags & IFF_UP ? "up" : "down",
		       flags & IFF_RUNNING ? ", running" : "");
		for (j = 0; j < na && j < 16; j++)
			printf("  %s %s/%d\n",
			       addrs[j].family == AF_INET ? "inet" : "inet6",
			       addrs[j].addr, addrs[j].prefixlen);
	}
	return 0;
}

static int usage(void)
{
	fprintf(stderr, "usage: ipcoff-rdma list\n"
			"       ipcoff-rdma link add NAME NETDEV\n"
			"       ipcoff-rdma link del NAME\n");
	return 2;
}

int main(int argc, char **argv)
{
	int ret;

	if (argc == 2 && !strcmp(argv[1], "list"))
		return list();
	if (argc == 5 && !strcmp(argv[1], "link") && !strcmp(argv[2], "add"))
		ret = ipcoff_rdma_link_add(argv[3], argv[4]);
	else if (argc == 4 && !strcmp(argv[1], "link") && !strcmp(argv[2], "del"))
		ret = ipcoff_rdma_link_del(argv[3]);
	else
		return usage();
	if (ret < 0) {
		fprintf(stderr, "ipcoff-rdma: %s (%s)\n", ipcoff_rdma_strerror(),
			strerrorname_np(-ret) ?: "?");
		return 1;
	}
	return 0;
}
