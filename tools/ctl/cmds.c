// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * ipcoffctl's subcommands: each reads what it needs (sysfs, GET_INFO,
 * STATS, REGION_LIST), then prints a table or one JSON document.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "ctl.h"

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

static const char *const engine_names[IPCOFF_ENGINE_COUNT] = {
	[IPCOFF_ENGINE_AUTO] = "auto",
	[IPCOFF_ENGINE_CPU] = "cpu",
	[IPCOFF_ENGINE_DMA] = "dma",
	[IPCOFF_ENGINE_ELIDE] = "elide",
};

static const struct {
	uint64_t bit;
	const char *name;
} feature_names[] = {
	{ IPCOFF_FEAT_REGISTER, "register" },
	{ IPCOFF_FEAT_GRANT, "grant" },
	{ IPCOFF_FEAT_COPY, "copy" },
	{ IPCOFF_FEAT_IOVEC, "iovec" },
	{ IPCOFF_FEAT_SINGLE_USE, "single-use" },
	{ IPCOFF_FEAT_COPY_FALLBACK, "copy-fallback" },
	{ IPCOFF_FEAT_STATS, "stats" },
	{ IPCOFF_FEAT_COPY_DESCRIPTORS, "copy-descriptors" },
	{ IPCOFF_FEAT_DMA_IOVEC, "dma-iovec" },
	{ IPCOFF_FEAT_ASYNC, "async" },
	{ IPCOFF_FEAT_EVENTFD, "eventfd" },
	{ IPCOFF_FEAT_NOTIFY, "notify" },
	{ IPCOFF_FEAT_CHUNKED, "chunked" },
	{ IPCOFF_FEAT_BUFFERS, "buffers" },
	{ IPCOFF_FEAT_MOVE, "move" },
	{ IPCOFF_FEAT_CACHE, "cache" },
	{ IPCOFF_FEAT_REGION_LIST, "region-list" },
};

static int too_many_args(int argc, int max)
{
	if (argc <= max)
		return 0;
	fprintf(stderr, "ipcoffctl: too many arguments (see --help)\n");
	return EX_USAGE;
}

/* The start of a command that takes no arguments and reads sysfs: check
 * both, then take the snapshot into *s. */
static int start_snapshot(struct ctl *c, int argc, struct ipcsys_snapshot *s)
{
	int ret = too_many_args(argc, 0);

	if (!ret)
		ret = ctl_need_module(c);
	if (!ret)
		ipcsys_snapshot(c->sysfs, s);
	return ret;
}

static const struct ipcsys_engine *find_engine(const struct ipcsys_snapshot *s,
					       const char *name)
{
	int i;

	for (i = 0; i < s->nengines; i++)
		if (!strcmp(s->engines[i].name, name))
			return &s->engines[i];
	return NULL;
}

int cmd_status(struct ctl *c, int argc, char **argv)
{
	struct ipcsys_snapshot s;
	struct ipcoff_info info;
	bool have_info;
	char b[32];
	unsigned int i;
	int ret;

	(void)argv;
	ret = start_snapshot(c, argc, &s);
	if (ret)
		return ret;
	/* The device may be root's only: say what sysfs says anyway. */
	ret = ipcsys_stats(c->dev, &info, NULL);
	have_info = !ret;

	if (c->json) {
		jw_obj(NULL);
		if (have_info) {
			jw_str("module_version", (snprintf(b, sizeof(b),
				"%u.%u.%u", info.module_version >> 16,
				(info.module_version >> 8) & 0xff,
				info.module_version & 0xff), b));
			jw_uint("abi_version", info.abi_version);
			jw_arr("features");
			for (i = 0; i < ARRAY_SIZE(feature_names); i++)
				if (info.features & feature_names[i].bit)
					jw_str(NULL, feature_names[i].name);
			jw_end();
		} else {
			jw_str("device_error", strerror(-ret));
		}
		jw_arr("engines");
		for (i = 0; i < (unsigned int)s.nengines; i++)
			jw_str(NULL, s.engines[i].name);
		jw_end();
		jw_int("pinned_pages", s.pinned_pages);
		jw_int("regions", s.regions);
		jw_int("dma_chans", s.dma_chans);
		jw_end();
		jw_done();
		return EX_OK;
	}
	if (have_info) {
		printf("module     ipcoff %u.%u.%u, ABI %u\n",
		       info.module_version >> 16,
		       (info.module_version >> 8) & 0xff,
		       info.module_version & 0xff, info.abi_version);
		printf("features  ");
		for (i = 0; i < ARRAY_SIZE(feature_names); i++)
			if (info.features & feature_names[i].bit)
				printf(" %s", feature_names[i].name);
		printf("\nengines   ");
		for (i = 1; i < IPCOFF_ENGINE_COUNT; i++)
			if (info.engines & (1U << i))
				printf(" %s", engine_names[i]);
		printf("\n");
	} else {
		printf("module     loaded (%s: %s)\n", c->dev, strerror(-ret));
	}
	printf("dma        %" PRId64 " channel(s) in rotation\n", s.dma_chans);
	printf("pinned     %" PRId64 " pages (%s)\n", s.pinned_pages,
	       human_bytes((uint64_t)(s.pinned_pages > 0 ? s.pinned_pages : 0) *
			   (uint64_t)sysconf(_SC_PAGESIZE), b, sizeof(b)));
	printf("regions    %" PRId64 "\n", s.regions);
	return EX_OK;
}

/* The host's dma channels that offer memcpy, and which are in use. */
static void list_host_channels(struct ctl *c, bool json)
{
	struct dirent *de;
	DIR *d = opendir(c->dmaclass);
	int n = 0;

	if (json)
		jw_arr("host_channels");
	while (d && (de = readdir(d))) {
		char path[1024], use[16];

		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s/in_use", c->dmaclass,
			 de->d_name);
		if (ipcsys_read(path, use, sizeof(use)))
			continue;
		if (json) {
			jw_obj(NULL);
			jw_str("name", de->d_name);
			jw_bool("in_use", atoi(use) != 0);
			jw_end();
		} else {
			printf("  %-16s %s\n", de->d_name,
			       atoi(use) ? "in use" : "free");
		}
		n++;
	}
	if (d)
		closedir(d);
	if (json)
		jw_end();
	else if (!n)
		printf("  (none: this host has no dmaengine channels)\n");
}

static void print_channels(struct ctl *c, const struct ipcsys_snapshot *s)
{
	char path[1024];
	int64_t want = -1;

	snprintf(path, sizeof(path), "%s/dma_channels", c->params);
	ipcsys_read_i64(path, &want);
	if (c->json) {
		jw_obj("dma");
		jw_int("channels", s->dma_chans);
		jw_int("wanted", want);
		list_host_channels(c, true);
		jw_end();
		return;
	}
	printf("dma channels in rotation: %" PRId64, s->dma_chans);
	if (want >= 0)
		printf(" (dma_channels=%" PRId64 ")", want);
	printf("\nhost dmaengine channels:\n");
	list_host_channels(c, false);
}

int cmd_engines(struct ctl *c, int argc, char **argv)
{
	struct ipcsys_snapshot s;
	struct ipcoff_info info;
	bool have_info;
	int i, ret;

	(void)argv;
	ret = start_snapshot(c, argc, &s);
	if (ret)
		return ret;
	have_info = !ipcsys_stats(c->dev, &info, NULL);

	if (c->json)
		jw_obj(NULL), jw_arr("engines");
	else
		printf("%-8s %-8s %8s %12s %14s\n", "ENGINE", "PRESENT",
		       "INFLIGHT", "REQUESTS", "BYTES");
	for (i = 0; i < s.nengines; i++) {
		const struct ipcsys_engine *e = &s.engines[i];
		int id = -1, k;
		char b[32];

		for (k = 1; k < IPCOFF_ENGINE_COUNT; k++)
			if (!strcmp(engine_names[k], e->name))
				id = k;
		if (c->json) {
			jw_obj(NULL);
			jw_str("name", e->name);
			if (have_info && id > 0)
				jw_bool("present", info.engines & (1U << id));
			jw_int("inflight", e->c[IPCSYS_DEPTH]);
			jw_int("requests", e->c[IPCSYS_REQUESTS]);
			jw_int("bytes", e->c[IPCSYS_BYTES]);
			jw_end();
			continue;
		}
		printf("%-8s %-8s %8" PRId64 " %12" PRId64 " %14s\n", e->name,
		       !have_info || id < 0 ? "?" :
		       info.engines & (1U << id) ? "yes" : "no",
		       e->c[IPCSYS_DEPTH], e->c[IPCSYS_REQUESTS],
		       human_bytes((uint64_t)(e->c[IPCSYS_BYTES] > 0 ?
				   e->c[IPCSYS_BYTES] : 0), b, sizeof(b)));
	}
	if (c->json) {
		jw_end();
		print_channels(c, &s);
		jw_end();
		jw_done();
	} else {
		printf("\n");
		print_channels(c, &s);
	}
	return EX_OK;
}

int cmd_channels(struct ctl *c, int argc, char **argv)
{
	struct ipcsys_snapshot s;
	int ret;

	(void)argv;
	ret = start_snapshot(c, argc, &s);
	if (ret)
		return ret;
	if (c->json)
		jw_obj(NULL);
	print_channels(c, &s);
	if (c->json) {
		jw_end();
		jw_done();
	}
	return EX_OK;
}

/*
 * Every region in the scope, in a buffer that grows until it holds them
 * all; *out is malloc'ed. 0 or -errno.
 */
static int list_regions(int fd, uint32_t scope,
			struct ipcoff_region_info **out, uint32_t *n)
{
	struct ipcoff_region_info *e = NULL;
	uint32_t room = 0;
	int tries;

	for (tries = 0; tries < 8; tries++) {
		struct ipcoff_region_list l = {
			.flags = scope,
			.entry_size = sizeof(*e),
			.entries = (uintptr_t)e,
			.nr_entries = room,
		};
		void *bigger;

		if (ioctl(fd, IPCOFF_IOC_REGION_LIST, &l)) {
			int err = -errno;

			free(e);
			return err;
		}
		if (l.total <= l.count) {
			*out = e;
			*n = l.count;
			return 0;
		}
		/* Regions come and go meanwhile: ask for some slack. */
		room = l.total + l.total / 8 + 16;
		bigger = realloc(e, (size_t)room * sizeof(*e));
		if (!bigger) {
			free(e);
			return -ENOMEM;
		}
		e = bigger;
	}
	free(e);
	return -EAGAIN;
}

static int open_device(struct ctl *c, int *fd)
{
	struct ipcoff_info info;

	*fd = open(c->dev, O_RDWR | O_CLOEXEC);
	if (*fd < 0)
		return ctl_fail(c, -errno, "%s", c->dev);
	memset(&info, 0, sizeof(info));
	if (ioctl(*fd, IPCOFF_IOC_GET_INFO, &info) ||
	    !(info.features & IPCOFF_FEAT_REGION_LIST)) {
		close(*fd);
		return ctl_fail(c, -EOPNOTSUPP, "listing regions");
	}
	return EX_OK;
}

static void comm_of(struct ctl *c, uint32_t pid, char *buf, size_t size)
{
	char path[256];

	snprintf(path, sizeof(path), "%s/%u/comm", c->proc, pid);
	if (!pid || ipcsys_read(path, buf, size))
		snprintf(buf, size, "-");
}

static const char *region_flags(uint32_t f, char *buf)
{
	char *p = buf;

	if (f & IPCOFF_REGION_WRITABLE)
		*p++ = 'w';
	if (f & IPCOFF_REGION_SINGLE_USE)
		*p++ = 's';
	if (f & IPCOFF_REGION_NOTIFY)
		*p++ = 'n';
	if (p == buf)
		*p++ = '-';
	*p = 0;
	return buf;
}

/* The arguments of regions and pinned ("all" or none), then the regions. */
static int fetch_regions(struct ctl *c, int argc, char **argv,
			 struct ipcoff_region_info **e, uint32_t *n)
{
	int fd, ret;

	if (argc == 1 && !strcmp(argv[0], "all"))
		c->all = true;
	else if ((ret = too_many_args(argc, 0)))
		return ret;
	ret = ctl_need_module(c);
	if (!ret)
		ret = open_device(c, &fd);
	if (ret)
		return ret;
	ret = list_regions(fd, c->all ? IPCOFF_REGION_LIST_ALL :
			   IPCOFF_REGION_LIST_UID, e, n);
	close(fd);
	if (ret)
		return ctl_fail(c, ret, "listing %s regions",
				c->all ? "every process's" : "your");
	return EX_OK;
}

int cmd_regions(struct ctl *c, int argc, char **argv)
{
	struct ipcoff_region_info *e;
	uint32_t n, i;
	int ret;

	ret = fetch_regions(c, argc, argv, &e, &n);
	if (ret)
		return ret;
	if (c->json)
		jw_obj(NULL), jw_str("scope", c->all ? "all" : "uid"),
		jw_arr("regions");
	else
		printf("%-18s %7s %6s %-15s %10s %7s %-6s %-5s %6s %5s\n",
		       "HANDLE", "PID", "UID", "COMMAND", "LEN", "PAGES",
		       "KIND", "FLAGS", "GRANTS", "USERS");
	for (i = 0; i < n; i++) {
		const struct ipcoff_region_info *r = &e[i];
		const char *kind = r->state & IPCOFF_REGION_INFO_BUFFER ?
				   "buffer" : "memory";
		char comm[32], hb[32], fl[8], h[24];

		comm_of(c, r->owner_pid, comm, sizeof(comm));
		snprintf(h, sizeof(h), "0x%016" PRIx64, (uint64_t)r->handle);
		if (c->json) {
			jw_obj(NULL);
			jw_str("handle", h);
			jw_uint("len", r->len);
			jw_uint("pages", r->pages);
			jw_str("kind", kind);
			jw_bool("writable", r->flags & IPCOFF_REGION_WRITABLE);
			jw_bool("single_use",
				r->flags & IPCOFF_REGION_SINGLE_USE);
			jw_bool("notify", r->flags & IPCOFF_REGION_NOTIFY);
			jw_bool("consumed",
				r->state & IPCOFF_REGION_INFO_CONSUMED);
			jw_uint("grants", r->grants);
			jw_uint("users", r->users);
			jw_uint("owner_pid", r->owner_pid);
			jw_uint("owner_uid", r->owner_uid);
			jw_str("command", comm);
			jw_end();
			continue;
		}
		printf("%-18s %7u %6u %-15.15s %10s %7" PRIu64
		       " %-6s %-5s %6u %5u\n", h, r->owner_pid, r->owner_uid,
		       comm, human_bytes(r->len, hb, sizeof(hb)),
		       (uint64_t)r->pages, kind, region_flags(r->flags, fl),
		       r->grants, r->users);
	}
	if (c->json) {
		jw_end();
		jw_end();
		jw_done();
	} else if (!n) {
		printf("(no regions%s)\n", c->all ? "" : " of your uid");
	}
	free(e);
	return EX_OK;
}

/* VmPin of @pid in kB, or -1. */
static int64_t vmpin_kb(struct ctl *c, uint32_t pid)
{
	char path[256], text[4096], *p;

	snprintf(path, sizeof(path), "%s/%u/status", c->proc, pid);
	if (!pid || ipcsys_read(path, text, sizeof(text)))
		return -1;
	p = strstr(text, "\nVmPin:");
	return p ? strtoll(p + 7, NULL, 10) : -1;
}

struct owner {
	uint32_t pid, uid, regions;
	uint64_t pages;
};

int cmd_pinned(struct ctl *c, int argc, char **argv)
{
	struct ipcoff_region_info *e;
	struct ipcsys_snapshot s;
	struct owner *o;
	uint32_t n, i, no = 0, k;
	uint64_t mine = 0;
	long ps = sysconf(_SC_PAGESIZE);
	char b[32];
	int ret;

	ret = fetch_regions(c, argc, argv, &e, &n);
	if (ret)
		return ret;
	ipcsys_snapshot(c->sysfs, &s);
	o = calloc(n ? n : 1, sizeof(*o));
	if (!o) {
		free(e);
		return ctl_fail(c, -ENOMEM, "pinned");
	}
	/* Per owner process: few of them, a linear search does. */
	for (i = 0; i < n; i++) {
		for (k = 0; k < no; k++)
			if (o[k].pid == e[i].owner_pid &&
			    o[k].uid == e[i].owner_uid)
				break;
		if (k == no) {
			o[no].pid = e[i].owner_pid;
			o[no].uid = e[i].owner_uid;
			no++;
		}
		o[k].regions++;
		o[k].pages += e[i].pages;
		mine += e[i].pages;
	}
	if (c->json) {
		jw_obj(NULL);
		jw_int("module_pinned_pages", s.pinned_pages);
		jw_int("module_regions", s.regions);
		jw_str("scope", c->all ? "all" : "uid");
		jw_uint("scope_pages", mine);
		jw_arr("owners");
		for (k = 0; k < no; k++) {
			char comm[32];

			comm_of(c, o[k].pid, comm, sizeof(comm));
			jw_obj(NULL);
			jw_uint("pid", o[k].pid);
			jw_uint("uid", o[k].uid);
			jw_str("command", comm);
			jw_uint("regions", o[k].regions);
			jw_uint("pages", o[k].pages);
			jw_int("vmpin_kb", vmpin_kb(c, o[k].pid));
			jw_end();
		}
		jw_end();
		jw_end();
		jw_done();
	} else {
		printf("module: %" PRId64 " pages pinned in %" PRId64
		       " regions (transient pins of copies in flight included)\n",
		       s.pinned_pages, s.regions);
		printf("%s: %" PRIu64 " pages (%s) in %u regions\n",
		       c->all ? "all owners" : "your uid", mine,
		       human_bytes(mine * (uint64_t)ps, b, sizeof(b)), n);
		if (no)
			printf("%7s %6s %-15s %7s %9s %10s\n", "PID", "UID",
			       "COMMAND", "REGIONS", "PAGES", "VmPin");
		for (k = 0; k < no; k++) {
			int64_t kb = vmpin_kb(c, o[k].pid);
			char comm[32], vp[32];

			comm_of(c, o[k].pid, comm, sizeof(comm));
			if (kb >= 0)
				snprintf(vp, sizeof(vp), "%" PRId64 " kB", kb);
			else
				snprintf(vp, sizeof(vp), "-");
			printf("%7u %6u %-15.15s %7u %9" PRIu64 " %10s\n",
			       o[k].pid, o[k].uid, comm, o[k].regions,
			       o[k].pages, vp);
		}
	}
	free(o);
	free(e);
	return EX_OK;
}

static const char *const cache_names[] = {
	"clwb", "flush", "nontemporal", "inject",
};

static void cache_values(const struct ipcoff_stats *st, uint64_t v[4])
{
	v[0] = st->cache_clwb_bytes;
	v[1] = st->cache_flush_bytes;
	v[2] = st->cache_nontemporal_bytes;
	v[3] = st->cache_inject_bytes;
}

static int get_stats(struct ctl *c, struct ipcoff_info *info,
		     struct ipcoff_stats *st)
{
	int ret = ctl_need_module(c);

	if (ret)
		return ret;
	ret = ipcsys_stats(c->dev, info, st);
	if (ret)
		return ctl_fail(c, ret, "reading counters from %s", c->dev);
	return EX_OK;
}

/* A command without arguments that reports STATS and its cache bytes. */
static int stats_and_cache(struct ctl *c, int argc, struct ipcoff_info *info,
			   struct ipcoff_stats *st, uint64_t cv[4])
{
	int ret = too_many_args(argc, 0);

	if (!ret)
		ret = get_stats(c, info, st);
	if (!ret)
		cache_values(st, cv);
	return ret;
}

int cmd_stats(struct ctl *c, int argc, char **argv)
{
	static const char *const cols[] = {
		"requests", "bytes", "descriptors", "errors", "fallbacks",
		"timeouts", "busy_ns", "inflight",
	};
	struct ipcoff_info info;
	struct ipcoff_stats st;
	uint64_t cv[4];
	unsigned int i, k;
	int ret;

	(void)argv;
	ret = stats_and_cache(c, argc, &info, &st, cv);
	if (ret)
		return ret;
	if (c->json) {
		jw_obj(NULL);
		jw_uint("pinned_pages", st.pinned_pages);
		jw_uint("regions", st.regions);
		jw_uint("dma_chans", st.dma_chans);
		jw_obj("cache_bytes");
		for (k = 0; k < 4; k++)
			jw_uint(cache_names[k], cv[k]);
		jw_end();
		jw_obj("engines");
	} else {
		printf("pinned_pages %" PRIu64 "  regions %" PRIu64
		       "  dma_chans %u\n\n", (uint64_t)st.pinned_pages,
		       (uint64_t)st.regions, st.dma_chans);
		printf("%-6s", "ENGINE");
		for (k = 0; k < ARRAY_SIZE(cols); k++)
			printf(" %*s", k == 1 || k == 6 ? 14 : 11, cols[k]);
		printf("\n");
	}
	for (i = 1; i < st.nr_engines && i < IPCOFF_ENGINE_COUNT; i++) {
		const struct ipcoff_engine_counters *e = &st.engine[i];
		const uint64_t v[] = {
			e->requests, e->bytes, e->descriptors, e->errors,
			e->fallbacks, e->timeouts, e->busy_ns, e->depth,
		};

		if (c->json) {
			jw_obj(engine_names[i]);
			for (k = 0; k < ARRAY_SIZE(cols); k++)
				jw_uint(cols[k], v[k]);
			jw_bool("present", info.engines & (1U << i));
			jw_end();
			continue;
		}
		printf("%-6s", engine_names[i]);
		for (k = 0; k < ARRAY_SIZE(cols); k++)
			printf(" %*" PRIu64, k == 1 || k == 6 ? 14 : 11, v[k]);
		printf("\n");
	}
	if (c->json) {
		jw_end();
		jw_end();
		jw_done();
		return EX_OK;
	}
	printf("\ncache actions (bytes):");
	for (k = 0; k < 4; k++)
		printf(" %s %" PRIu64, cache_names[k], cv[k]);
	printf("\n");
	return EX_OK;
}

int cmd_cache(struct ctl *c, int argc, char **argv)
{
	struct ipcoff_info info;
	struct ipcoff_stats st;
	uint64_t cv[4];
	unsigned int k;
	char b[32];
	int ret;

	(void)argv;
	ret = stats_and_cache(c, argc, &info, &st, cv);
	if (ret)
		return ret;
	if (c->json) {
		jw_obj(NULL);
		jw_bool("supported", info.features & IPCOFF_FEAT_CACHE);
		for (k = 0; k < 4; k++)
			jw_uint(cache_names[k], cv[k]);
		jw_end();
		jw_done();
		return EX_OK;
	}
	if (!(info.features & IPCOFF_FEAT_CACHE))
		printf("(the loaded module has no cache actions)\n");
	printf("%-12s %16s\n", "ACTION", "BYTES");
	for (k = 0; k < 4; k++)
		printf("%-12s %16" PRIu64 "  %s\n", cache_names[k], cv[k],
		       human_bytes(cv[k], b, sizeof(b)));
	return EX_OK;
}

/* The bound below which @q of the copies finished, in us; 0: beyond. */
static uint64_t quantile_us(const struct ipcsys_engine *e, double q,
			    bool *known)
{
	uint64_t total = 0, acc = 0;
	int k;

	for (k = 0; k < e->nbuckets; k++)
		total += e->buckets[k];
	*known = total > 0;
	for (k = 0; k < e->nbuckets && total; k++) {
		acc += e->buckets[k];
		if ((double)acc >= q * (double)total)
			return ipcsys_bucket_le_us(k, e->nbuckets);
	}
	return 0;
}

static void latency_one(struct ctl *c, const struct ipcsys_engine *e)
{
	static const double qs[] = { 0.5, 0.9, 0.99 };
	static const char *const qn[] = { "p50", "p90", "p99" };
	uint64_t total = 0;
	unsigned int i;
	char b[32];
	int k;

	for (k = 0; k < e->nbuckets; k++)
		total += e->buckets[k];
	if (c->json) {
		jw_obj(e->name);
		jw_uint("count", total);
		jw_int("sum_ns", e->c[IPCSYS_BUSY_NS]);
		jw_arr("buckets");
		for (k = 0; k < e->nbuckets; k++) {
			jw_obj(NULL);
			if (k < e->nbuckets - 1)
				jw_uint("le_us", ipcsys_bucket_le_us(k,
							e->nbuckets));
			else
				jw_str("le_us", "+Inf");
			jw_uint("count", e->buckets[k]);
			jw_end();
		}
		jw_end();
		jw_end();
		return;
	}
	printf("%s: %" PRIu64 " copies", e->name, total);
	if (total && e->c[IPCSYS_BUSY_NS] >= 0)
		printf(", mean %s", human_us((uint64_t)e->c[IPCSYS_BUSY_NS] /
					     total / 1000, b, sizeof(b)));
	for (i = 0; i < ARRAY_SIZE(qs) && total; i++) {
		bool known;
		uint64_t us = quantile_us(e, qs[i], &known);

		if (us)
			printf(", %s <= %s", qn[i], human_us(us, b, sizeof(b)));
		else
			printf(", %s > %s", qn[i],
			       human_us(ipcsys_bucket_le_us(e->nbuckets - 2,
							    e->nbuckets),
					b, sizeof(b)));
	}
	printf("\n");
	if (!total)
		return;
	for (k = 0; k < e->nbuckets; k++) {
		uint64_t le = ipcsys_bucket_le_us(k, e->nbuckets);

		if (!e->buckets[k])
			continue;
		if (le)
			printf("  <= %-9s %12" PRIu64 "\n",
			       human_us(le, b, sizeof(b)), e->buckets[k]);
		else
			printf("  %-12s %12" PRIu64 "\n", "slower",
			       e->buckets[k]);
	}
}

int cmd_latency(struct ctl *c, int argc, char **argv)
{
	struct ipcsys_snapshot s;
	int i, ret, shown = 0;

	ret = ctl_need_module(c);
	if (ret)
		return ret;
	ipcsys_snapshot(c->sysfs, &s);
	for (i = 0; i < argc; i++)
		if (!find_engine(&s, argv[i])) {
			fprintf(stderr, "ipcoffctl: no engine '%s'\n", argv[i]);
			return EX_USAGE;
		}
	if (c->json)
		jw_obj(NULL);
	for (i = 0; i < s.nengines; i++) {
		const struct ipcsys_engine *e = &s.engines[i];
		int k;

		for (k = 0; k < argc; k++)
			if (!strcmp(argv[k], e->name))
				break;
		if (argc && k == argc)
			continue;
		if (!e->nbuckets)
			continue;
		latency_one(c, e);
		shown++;
	}
	if (c->json) {
		jw_end();
		jw_done();
	}
	if (!shown) {
		fprintf(stderr, "ipcoffctl: the loaded module keeps no latency histograms\n");
		return EX_UNSUPPORTED;
	}
	return EX_OK;
}

int cmd_dma(struct ctl *c, int argc, char **argv)
{
	const char *file;
	char path[1024];
	int ret;

	if (argc != 1 || (strcmp(argv[0], "rescan") &&
			  strcmp(argv[0], "release"))) {
		fprintf(stderr, "usage: ipcoffctl dma rescan|release\n");
		return EX_USAGE;
	}
	ret = ctl_need_module(c);
	if (ret)
		return ret;
	file = !strcmp(argv[0], "rescan") ? "dma_rescan" : "dma_release";
	snprintf(path, sizeof(path), "%s/%s", c->sysfs, file);
	if (access(path, F_OK))
		return ctl_fail(c, -EOPNOTSUPP, "%s", path);
	ret = ipcsys_write(path, "1");
	if (ret)
		return ctl_fail(c, ret, "dma %s", argv[0]);
	/* What it did shows in the channel count. */
	snprintf(path, sizeof(path), "%s/dma_chans", c->sysfs);
	{
		int64_t n = -1;

		ipcsys_read_i64(path, &n);
		if (c->json) {
			jw_obj(NULL);
			jw_str("done", argv[0]);
			jw_int("dma_chans", n);
			jw_end();
			jw_done();
		} else {
			printf("dma %s: %" PRId64 " channel(s) in rotation\n",
			       argv[0], n);
		}
	}
	return EX_OK;
}

static void print_attr(struct ctl *c, const struct ipcsys_attr *a)
{
	if (c->json) {
		if (!a->value[0])
			return;
		if (a->numeric)
			jw_int(a->name, (int64_t)a->num);
		else
			jw_str(a->name, a->value);
		return;
	}
	printf("%s=%s\n", a->name, a->value);
}

int cmd_sched(struct ctl *c, int argc, char **argv)
{
	struct ipcsys_attrs at;
	char path[1024];
	int i, ret;

	ret = ctl_need_module(c);
	if (ret)
		return ret;
	if (ipcsys_sched(c->sysfs, c->params, &at)) {
		fprintf(stderr, "ipcoffctl: scheduler not present in this module\n");
		if (c->json) {
			jw_obj(NULL);
			jw_bool("present", false);
			jw_end();
			jw_done();
		}
		return EX_UNSUPPORTED;
	}
	if (argc == 0 || (argc == 1 && !strcmp(argv[0], "list"))) {
		if (c->json) {
			jw_obj(NULL);
			jw_bool("present", true);
			jw_str("dir", at.dir);
			jw_obj("attributes");
		}
		for (i = 0; i < at.n; i++)
			print_attr(c, &at.a[i]);
		if (c->json) {
			jw_end();
			jw_arr("writable");
			for (i = 0; i < at.n; i++)
				if (at.a[i].writable)
					jw_str(NULL, at.a[i].name);
			jw_end();
			jw_end();
			jw_done();
		}
		return EX_OK;
	}
	if (argc == 2 && !strcmp(argv[0], "get")) {
		for (i = 0; i < at.n; i++) {
			if (strcmp(at.a[i].name, argv[1]))
				continue;
			if (c->json) {
				jw_obj(NULL);
				print_attr(c, &at.a[i]);
				jw_end();
				jw_done();
			} else {
				printf("%s\n", at.a[i].value);
			}
			return EX_OK;
		}
		fprintf(stderr, "ipcoffctl: the scheduler has no '%s'\n",
			argv[1]);
		return EX_USAGE;
	}
	if (argc == 3 && !strcmp(argv[0], "set")) {
		for (i = 0; i < at.n; i++)
			if (!strcmp(at.a[i].name, argv[1]))
				break;
		if (i == at.n || !at.a[i].writable) {
			fprintf(stderr, "ipcoffctl: '%s' is not a scheduler setting (see 'ipcoffctl sched')\n",
				argv[1]);
			return EX_USAGE;
		}
		snprintf(path, sizeof(path), "%s/%s%s", at.dir, at.prefix,
			 argv[1]);
		ret = ipcsys_write(path, argv[2]);
		if (ret == -EINVAL || ret == -ERANGE) {
			fprintf(stderr, "ipcoffctl: %s: the module refused '%s': %s\n",
				argv[1], argv[2], strerror(-ret));
			return EX_USAGE;
		}
		if (ret)
			return ctl_fail(c, ret, "setting %s", argv[1]);
		return EX_OK;
	}
	fprintf(stderr, "usage: ipcoffctl sched [list | get NAME | set NAME VALUE]\n");
	return EX_USAGE;
}
