// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * ipcoff-bench: which cases a mode runs. Every transport runs every
 * workload and size, shm first in each block (the ratios' baseline).
 *
 *   quick    pingpong 64 B, 64 KiB; stream 4 KiB, 1 MiB; stream-inplace
 *            1 MiB; pipeline, video, kv
 *   default  pingpong 64 B..1 MiB; stream 64 B..16 MiB; stream-inplace
 *            4 KiB..16 MiB (powers of 16, and 4 MiB: issue 7's transfer
 *            on cpu, dma and elide); pipeline, video, kv
 *   full     pingpong and both streams at every power of 4 from 64 B to
 *            16 MiB; pipeline, video, kv
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"

static const size_t quick_pp[] = { 64, 64 * KiB };
static const size_t quick_st[] = { 4 * KiB, MiB };
static const size_t quick_ip[] = { MiB };
static const size_t def_pp[] = { 64, 4 * KiB, 64 * KiB, MiB };
static const size_t def_st[] = {
	64, 4 * KiB, 64 * KiB, MiB, 4 * MiB, 16 * MiB,
};
static const size_t def_ip[] = { 4 * KiB, 64 * KiB, MiB, 4 * MiB, 16 * MiB };
static const size_t full_all[] = {
	64, 256, KiB, 4 * KiB, 16 * KiB, 64 * KiB, 256 * KiB, MiB, 4 * MiB,
	16 * MiB,
};

/* Is @name in the comma list @list (NULL: everything is)? */
static int listed(const char *list, const char *name)
{
	size_t n = strlen(name);

	if (!list)
		return 1;
	for (const char *p = list; *p;) {
		const char *e = strchr(p, ',');
		size_t len = e ? (size_t)(e - p) : strlen(p);

		if (len == n && !strncmp(p, name, n))
			return 1;
		p += len + (e ? 1 : 0);
	}
	return 0;
}

static void check_list(const char *list, int (*known)(const char *),
		       const char *what)
{
	char buf[64];

	if (!list)
		return;
	for (const char *p = list; *p;) {
		const char *e = strchr(p, ',');
		size_t len = e ? (size_t)(e - p) : strlen(p);

		snprintf(buf, sizeof(buf), "%.*s", (int)len, p);
		if (!known(buf))
			die("unknown %s '%s'", what, buf);
		p += len + (e ? 1 : 0);
	}
}

static int known_wl(const char *s)
{
	return workload_by_name(s) >= 0;
}

static int known_tr(const char *s)
{
	for (unsigned int i = 0; i < nr_transports; i++)
		if (!strcmp(s, transports[i].label))
			return 1;
	return 0;
}

static unsigned int sizes_for(enum workload wl, size_t *out)
{
	const size_t *v = NULL;
	unsigned int n = 0;

	if (wl == WL_PIPELINE || wl == WL_VIDEO || wl == WL_KV ||
	    wl == WL_KV_MIXED) {
		out[0] = wl == WL_PIPELINE ? PIPELINE_TENSOR :
			 wl == WL_VIDEO ? VIDEO_FRAME :
			 wl == WL_KV ? KV_VAL_MAX : KV_MIXED_MAX;
		return 1;
	}
	if (opts.sizes) {
		for (const char *p = opts.sizes; *p && n < 32;) {
			const char *e = strchr(p, ',');
			size_t len = e ? (size_t)(e - p) : strlen(p);
			char buf[32];

			snprintf(buf, sizeof(buf), "%.*s", (int)len, p);
			if (parse_size(buf, &out[n]) || out[n] > 256 * MiB)
				die("bad size '%s'", buf);
			n++;
			p += len + (e ? 1 : 0);
		}
		return n;
	}
	switch (opts.mode) {
	case MODE_QUICK:
		v = wl == WL_PINGPONG ? quick_pp : wl == WL_STREAM ? quick_st :
		    quick_ip;
		n = wl == WL_PINGPONG ? ARRAY_SIZE(quick_pp) :
		    wl == WL_STREAM ? ARRAY_SIZE(quick_st) :
		    ARRAY_SIZE(quick_ip);
		break;
	case MODE_DEFAULT:
		v = wl == WL_PINGPONG ? def_pp : wl == WL_STREAM ? def_st :
		    def_ip;
		n = wl == WL_PINGPONG ? ARRAY_SIZE(def_pp) :
		    wl == WL_STREAM ? ARRAY_SIZE(def_st) : ARRAY_SIZE(def_ip);
		break;
	case MODE_FULL:
		v = full_all;
		n = ARRAY_SIZE(full_all);
		break;
	}
	memcpy(out, v, n * sizeof(*v));
	return n;
}

/* The cases, in the order they run; *n gets their number. */
struct bench_case *matrix_build(unsigned int *n)
{
	struct bench_case *cs = NULL;
	unsigned int cnt = 0;
	size_t sizes[32];

	check_list(opts.workloads, known_wl, "workload");
	check_list(opts.transports, known_tr, "transport");
	for (int wl = 0; wl < WL_COUNT; wl++) {
		unsigned int ns;

		if (!listed(opts.workloads, workload_name(wl)) ||
		    (wl == WL_KV_MIXED && !opts.workloads))
			continue;
		ns = sizes_for(wl, sizes);
		for (unsigned int s = 0; s < ns; s++) {
			for (unsigned int t = 0; t < nr_transports; t++) {
				if (!listed(opts.transports, transports[t].label) ||
				    (transports[t].opt_in && !opts.transports))
					continue;
				cs = realloc(cs, (cnt + 1) * sizeof(*cs));
				if (!cs)
					die("out of memory");
				cs[cnt++] = (struct bench_case){
					.wl = wl,
					.size = sizes[s],
					.t = &transports[t],
					.clients = wl == WL_KV ||
						   wl == WL_KV_MIXED ?
						   opts.kv_clients : 0,
				};
			}
		}
	}
	*n = cnt;
	return cs;
}
