// SPDX-License-Identifier: GPL-2.0
/*
 * The dma engine's NUMA preference: a copy runs on the channels of a DMA
 * device on the NUMA node of its destination's memory, wherever the source
 * is; without one, on a device of unknown node; only then on another
 * node's.
 *
 * Needs a guest with two NUMA nodes (scripts/run-guest with
 * IPCOFF_QEMU_NUMA=2, the "numa" stage of make check); anywhere else the
 * whole program reports SKIP. It is not in the run-list (the Makefile's
 * TEST_GEN_PROGS_EXTENDED): run it with IPCOFF_TESTS=ipcoff_numa_test.
 *
 * The test provider registers several devices (devices=, nodes=), each a
 * platform device with its NUMA node in numa_node and its own counters
 * (executed, ...) next to it, so each copy shows which device, on which
 * node, executed its descriptors. Buffers are placed on a node with the
 * raw mbind() syscall (the guest has no libnuma) and their placement is
 * checked with move_pages() before and after registering them.
 */
#include <dirent.h>
#include <linux/mempolicy.h>

#include "common.h"

#define PROV_KO		"/selftests/ipcoff_dmaprov.ko"
#define PROV_DRIVER	"/sys/bus/platform/drivers/ipcoff-dmaprov"
#define IPCOFF_PARAMS	"/sys/module/ipcoff/parameters/"
#define NODES_ONLINE	"/sys/devices/system/node/online"
#define MAX_DEVS	8
#define BUF_LEN		(4UL << 20)
#define COPIES		4

/* Bit N set: node N is online. Parses "0-1", "0,2-3". */
static uint64_t nodes_online(char *text, size_t size)
{
	uint64_t mask = 0;
	char *p = text;

	if (read_text(NODES_ONLINE, text, size) < 0)
		return 0;
	text[strcspn(text, "\n")] = 0;
	while (*p) {
		char *end;
		long a = strtol(p, &end, 10), b = a;

		if (end == p)
			return 0;
		if (*end == '-')
			b = strtol(end + 1, &end, 10);
		for (; a <= b && a < 64; a++)
			mask |= 1ULL << a;
		p = *end == ',' ? end + 1 : end;
	}
	return mask;
}

/*
 * Not a NUMA guest, or no provider: nothing to test (KTAP "1..0 # SKIP",
 * exit code 4), saying why. Runs before any test does.
 */
static void __attribute__((constructor)) require_two_nodes(void)
{
	char text[128] = "";
	uint64_t mask = nodes_online(text, sizeof(text));

	if ((mask & 3) != 3) {
		ksft_print_header();
		ksft_exit_skip("needs NUMA nodes 0 and 1 (boot the guest with IPCOFF_QEMU_NUMA=2); online nodes: '%s'\n",
			       text);
	}
	if (access(PROV_KO, R_OK)) {
		ksft_print_header();
		ksft_exit_skip("%s: %s\n", PROV_KO, strerror(errno));
	}
}

/* ------------------------------------------------------------------ */
/* Memory on a node: mbind() and move_pages(), raw.                    */

/* Bind [p, p + len) to @node; pages faulted in later come from there. */
static int bind_to_node(void *p, size_t len, int node)
{
	unsigned long mask = 1UL << node;

	return syscall(SYS_mbind, p, len, MPOL_BIND, &mask,
		       sizeof(mask) * 8, MPOL_MF_STRICT) ? -errno : 0;
}

/*
 * The node of every page of [p, p + len), which must be present: the
 * node they are all on, -2 when they differ, or -errno.
 */
static int pages_node(void *p, size_t len)
{
	size_t n = len / page_size(), i;
	void **pages = calloc(n, sizeof(*pages));
	int *status = calloc(n, sizeof(*status));
	int node = -ENOMEM;

	if (!pages || !status)
		goto out;
	for (i = 0; i < n; i++)
		pages[i] = (char *)p + i * page_size();
	/* No target nodes: only ask where the pages are. */
	if (syscall(SYS_move_pages, 0, n, pages, NULL, status, 0)) {
		node = -errno;
		goto out;
	}
	node = status[0];
	for (i = 1; i < n; i++)
		if (status[i] != node)
			node = -2;
out:
	free(pages);
	free(status);
	return node;
}

/* BUF_LEN bytes of anonymous memory on @node, 4 KiB pages, faulted in. */
static void *map_on_node(int node)
{
	void *p = mmap(NULL, BUF_LEN, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		return NULL;
	/* 4 KiB pages: a descriptor per page, spread over the channels. */
	madvise(p, BUF_LEN, MADV_NOHUGEPAGE);
	if (bind_to_node(p, BUF_LEN, node)) {
		munmap(p, BUF_LEN);
		return NULL;
	}
	memset(p, 0, BUF_LEN);
	return p;
}

/* ------------------------------------------------------------------ */
/* The provider's devices.                                             */

struct prov_dev {
	char name[64];
	int node;		/* -1: none */
};

static int64_t read_stat(const char *path)
{
	int64_t v = -1;

	read_u64_file(path, &v);
	return v;
}

static int64_t dev_executed(const struct prov_dev *d)
{
	char path[160];

	snprintf(path, sizeof(path), PROV_DRIVER "/%s/executed", d->name);
	return read_stat(path);
}

/* The bound devices, by name, with their nodes: how many, or -errno. */
static int prov_devices(struct prov_dev *devs, int max)
{
	struct dirent *e;
	DIR *dir = opendir(PROV_DRIVER);
	int n = 0;

	if (!dir)
		return -errno;
	while ((e = readdir(dir)) && n < max) {
		char path[160];
		int64_t node;

		if (strncmp(e->d_name, "ipcoff-dmaprov", 14) ||
		    strlen(e->d_name) >= sizeof(devs[n].name))
			continue;
		memcpy(devs[n].name, e->d_name, strlen(e->d_name) + 1);
		snprintf(path, sizeof(path), PROV_DRIVER "/%s/numa_node",
			 devs[n].name);
		/* The platform device shows numa_node only when it has one. */
		devs[n].node = read_u64_file(path, &node) ? -1 : (int)node;
		n++;
	}
	closedir(dir);
	return n;
}

/*
 * How well device @d suits memory on @node, the order ipcoff prefers:
 * 0 on that node, 1 node unknown, 2 another node.
 */
static int dev_rank(const struct prov_dev *d, int node)
{
	if (d->node == node)
		return 0;
	return d->node < 0 ? 1 : 2;
}

/* ------------------------------------------------------------------ */

FIXTURE(numa) {
	int fd;
	int ndevs;
	struct prov_dev devs[MAX_DEVS];
	char dma_channels[32];
};

FIXTURE_VARIANT(numa) {
	const char *params;
	int devices;
	int channels;
};

/* Device 0 on node 0, device 1 on node 1. */
FIXTURE_VARIANT_ADD(numa, ioat_node_each) {
	.params = "personality=ioat devices=2 channels=2",
	.devices = 2,
	.channels = 2,
};

FIXTURE_VARIANT_ADD(numa, idxd_node_each) {
	.params = "personality=idxd devices=2 channels=2",
	.devices = 2,
	.channels = 2,
};

/* One device, on node 0: node 1's memory falls back to it. */
FIXTURE_VARIANT_ADD(numa, one_device) {
	.params = "devices=1 channels=2",
	.devices = 1,
	.channels = 2,
};

/*
 * A device of unknown node next to node 1's: node 1 wins for node 1's
 * memory, the unknown one for node 0's (it may be local; node 1 is not).
 */
FIXTURE_VARIANT_ADD(numa, unknown_and_node1) {
	.params = "devices=2 nodes=-1,1 channels=2",
	.devices = 2,
	.channels = 2,
};

/* Both devices on node 1: each copy still uses one device's channels. */
FIXTURE_VARIANT_ADD(numa, both_on_node1) {
	.params = "devices=2 nodes=1,1 channels=2",
	.devices = 2,
	.channels = 2,
};

FIXTURE_SETUP(numa)
{
	int want = variant->devices * variant->channels;
	char val[16], online[64];
	int64_t chans = -1;

	self->fd = -1;
	nodes_online(online, sizeof(online));
	TH_LOG("online NUMA nodes: %s", online);
	ASSERT_LE(0, read_text(IPCOFF_PARAMS "dma_channels",
			       self->dma_channels, sizeof(self->dma_channels)));
	/* A previous test's leftovers: none expected, but never stack. */
	write_text(IPCOFF_SYSFS "/dma_release", "1");
	module_unload("ipcoff_dmaprov");

	ASSERT_EQ(0, module_load(PROV_KO, variant->params))
		TH_LOG("insmod %s %s", PROV_KO, variant->params);
	/* ipcoff holds every channel of every device. */
	snprintf(val, sizeof(val), "%d", want);
	ASSERT_EQ(0, write_text(IPCOFF_PARAMS "dma_channels", val));
	ASSERT_EQ(0, write_text(IPCOFF_SYSFS "/dma_rescan", "1"));
	ASSERT_EQ(0, read_u64_file(IPCOFF_SYSFS "/dma_chans", &chans));
	ASSERT_EQ(want, chans);

	self->ndevs = prov_devices(self->devs, MAX_DEVS);
	ASSERT_EQ(variant->devices, self->ndevs);
	for (int i = 0; i < self->ndevs; i++)
		TH_LOG("%s: node %d", self->devs[i].name, self->devs[i].node);

	self->fd = t_open();
	ASSERT_LE(0, self->fd);
}

FIXTURE_TEARDOWN(numa)
{
	if (self->fd >= 0)
		close(self->fd);
	/* The provider goes only after ipcoff let its channels go. */
	write_text(IPCOFF_SYSFS "/dma_release", "1");
	EXPECT_EQ(0, module_unload("ipcoff_dmaprov"));
	if (self->dma_channels[0])
		write_text(IPCOFF_PARAMS "dma_channels", self->dma_channels);
}

/*
 * COPIES forced dma copies from a buffer on @src_node to one on
 * @dst_node. Each must carry the right bytes, and all its descriptors
 * must have run on one device, one of those ipcoff should prefer for
 * @dst_node's memory.
 */
static void copies(struct __test_metadata *_metadata,
		   FIXTURE_DATA(numa) *self, int src_node, int dst_node)
{
	int64_t before[MAX_DEVS], used[MAX_DEVS] = { 0 };
	uint8_t *src, *dst;
	uint64_t hs, hd;
	int best = 2, i, k;

	for (i = 0; i < self->ndevs; i++)
		if (dev_rank(&self->devs[i], dst_node) < best)
			best = dev_rank(&self->devs[i], dst_node);

	src = map_on_node(src_node);
	dst = map_on_node(dst_node);
	ASSERT_NE(NULL, src) TH_LOG("memory on node %d: %s", src_node,
				    strerror(errno));
	ASSERT_NE(NULL, dst) TH_LOG("memory on node %d: %s", dst_node,
				    strerror(errno));
	pat_fill(src, BUF_LEN, 41, 0);
	ASSERT_EQ(src_node, pages_node(src, BUF_LEN));
	ASSERT_EQ(dst_node, pages_node(dst, BUF_LEN));

	ASSERT_EQ(0, t_register(self->fd, PTR(src), BUF_LEN, 0, &hs));
	ASSERT_EQ(0, t_register(self->fd, PTR(dst), BUF_LEN,
				IPCOFF_REGION_WRITABLE, &hd));
	/* Pinning did not move them. */
	ASSERT_EQ(src_node, pages_node(src, BUF_LEN));
	ASSERT_EQ(dst_node, pages_node(dst, BUF_LEN));

	for (k = 0; k < COPIES; k++) {
		/* Offsets that move the copy's first page, on both sides. */
		uint64_t soff = k * 4099, doff = k * 4097;
		uint64_t len = BUF_LEN - 4 * 4099;
		struct ipcoff_copy c = {
			.len = len, .engine = IPCOFF_ENGINE_DMA,
		};
		int64_t desc0 = read_stat(IPCOFF_SYSFS "/dma/descriptors");
		int64_t desc, ran = 0;
		int on = -1;

		for (i = 0; i < self->ndevs; i++)
			before[i] = dev_executed(&self->devs[i]);
		memset(dst, 0, BUF_LEN);
		ep_region(&c.src, hs, soff);
		ep_region(&c.dst, hd, doff);
		ASSERT_EQ(0, t_copy(self->fd, &c)) TH_LOG("copy %d", k);
		EXPECT_EQ(len, c.copied);
		EXPECT_EQ(IPCOFF_ENGINE_DMA, c.engine);
		EXPECT_EQ(len, pat_check(dst + doff, len, 41, soff))
			TH_LOG("copy %d", k);
		desc = read_stat(IPCOFF_SYSFS "/dma/descriptors") - desc0;
		EXPECT_LT(0, desc);

		for (i = 0; i < self->ndevs; i++) {
			int64_t d = dev_executed(&self->devs[i]) - before[i];

			used[i] += d;
			ran += d;
			if (!d)
				continue;
			TH_LOG("copy %d, node %d -> node %d: %lld descriptors on %s (node %d)",
			       k, src_node, dst_node, (long long)d,
			       self->devs[i].name, self->devs[i].node);
			/* One device only, and one ipcoff prefers. */
			EXPECT_EQ(-1, on) TH_LOG("also on %s",
						 self->devs[on].name);
			EXPECT_EQ(best, dev_rank(&self->devs[i], dst_node))
				TH_LOG("%s (node %d) served node %d's memory",
				       self->devs[i].name, self->devs[i].node,
				       dst_node);
			on = i;
		}
		/* Every descriptor ipcoff submitted ran on the provider. */
		EXPECT_EQ(desc, ran);
	}
	for (i = 0; i < self->ndevs; i++)
		TH_LOG("node %d -> node %d: %s (node %d) executed %lld descriptors",
		       src_node, dst_node, self->devs[i].name,
		       self->devs[i].node, (long long)used[i]);

	EXPECT_EQ(0, t_unregister(self->fd, hs));
	EXPECT_EQ(0, t_unregister(self->fd, hd));
	munmap(src, BUF_LEN);
	munmap(dst, BUF_LEN);
}

TEST_F_TIMEOUT(numa, dst_on_node1, 120)
{
	copies(_metadata, self, 0, 1);
}

TEST_F_TIMEOUT(numa, dst_on_node0, 120)
{
	copies(_metadata, self, 1, 0);
}

TEST_HARNESS_MAIN
