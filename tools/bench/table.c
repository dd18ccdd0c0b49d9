// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * ipcoff-bench: the comparison table on stdout. One block per workload
 * and size, one row per transport; the last three columns are ratios to
 * shm in the same block: throughput (higher is better), p99 latency and
 * CPU per message (lower is better). "spread" is how far apart the runs'
 * throughputs were, relative to their median. A p99.9 from fewer than
 * P999_MIN_SAMPLES samples is marked with '~'.
 */
#include <stdio.h>
#include <string.h>

#include <linux/ipcoff.h>

#include "bench.h"

static void ratio(char *buf, size_t len, double x)
{
	if (x < 0)
		snprintf(buf, len, "-");
	else
		snprintf(buf, len, "%.2fx", x);
}

void table_print(const struct case_result *cr, unsigned int n)
{
	char sz[32], a[32], b[32], c[32], d[32], e[32], x1[16], x2[16], x3[16];
	char p999[40], spr[16];

	sysinfo_print(stdout);
	printf("latency: pingpong one-way; streams from slot to consumer (queue included); kv request to value\n");
	printf("cpu/msg: producer+consumer user+sys; eng/msg: the engine's kernel threads\n");
	printf("spread: (max - min) / median of MB/s over the runs; x: ratio to shm\n\n");
	printf("%-15s %6s %-16s %10s %9s %6s %9s %9s %10s %9s %9s %6s %6s %6s\n",
	       "workload", "size", "transport", "msgs/s", "MB/s", "spread",
	       "p50", "p99", "p99.9", "cpu/msg", "eng/msg", "xtput", "xp99",
	       "xcpu");
	for (unsigned int i = 0; i < n; i++) {
		const struct case_result *r = &cr[i];

		if (i && (r->c.wl != cr[i - 1].c.wl ||
			  r->c.size != cr[i - 1].c.size))
			putchar('\n');
		fmt_size(r->size, sz, sizeof(sz));
		if (r->status != ST_OK) {
			printf("%-15s %6s %-16s %s\n", workload_name(r->c.wl),
			       sz, r->c.t->label,
			       r->status == ST_ABSENT ? r->why :
			       r->status == ST_NA ? "n/a" : "ERROR");
			if (r->status != ST_ABSENT && r->why[0])
				printf("%-15s %6s %-16s   (%s)\n", "", "", "",
				       r->why);
			continue;
		}
		fmt_ns((double)r->p50_ns, a, sizeof(a));
		fmt_ns((double)r->p99_ns, b, sizeof(b));
		fmt_ns((double)r->p999_ns, c, sizeof(c));
		snprintf(p999, sizeof(p999), "%s%s",
			 r->samples < P999_MIN_SAMPLES ? "~" : "", c);
		fmt_ns(r->cpu_ns_per_msg, d, sizeof(d));
		fmt_ns(r->engine_cpu_ns_per_msg, e, sizeof(e));
		ratio(x1, sizeof(x1), r->x_tput);
		ratio(x2, sizeof(x2), r->x_p99);
		ratio(x3, sizeof(x3), r->x_cpu);
		snprintf(spr, sizeof(spr), "%.0f%%", r->bytes_per_s > 0 ?
			 100 * (r->bytes_per_s_max - r->bytes_per_s_min) /
			 r->bytes_per_s : 0);
		printf("%-15s %6s %-16s %10.0f %9.1f %6s %9s %9s %10s %9s %9s %6s %6s %6s",
		       workload_name(r->c.wl), sz, r->c.t->label,
		       r->msgs_per_s, r->bytes_per_s / 1e6, spr, a, b, p999,
		       d, e, x1, x2, x3);
		if (r->engine_fallbacks)
			printf("  (%llu dma fallbacks)",
			       (unsigned long long)r->engine_fallbacks);
		putchar('\n');
		/* auto: which engines the module picked, in the windows. */
		if (r->c.t->engine_id == IPCOFF_ENGINE_AUTO &&
		    !strcmp(r->c.t->name, "ipcoff"))
			printf("%-15s %6s %-16s   (ran: cpu %llu, dma %llu, elide %llu copies)\n",
			       "", "", "",
			       (unsigned long long)r->ran[IPCOFF_ENGINE_CPU],
			       (unsigned long long)r->ran[IPCOFF_ENGINE_DMA],
			       (unsigned long long)r->ran[IPCOFF_ENGINE_ELIDE]);
		/* Cache-Inject: did the module do it, on how much? */
		if (!strcmp(r->c.t->mode, "inject"))
			printf("%-15s %6s %-16s   (in the windows: %.1f MB received, %.1f MB written back, %.1f MB injected)\n",
			       "", "", "", (double)r->bytes / 1e6,
			       (double)r->cache_clwb_bytes / 1e6,
			       (double)r->cache_inject_bytes / 1e6);
		if (r->capped_runs)
			printf("%-15s %6s %-16s   (%u of %u runs reached --max-time before --min-msgs: %llu messages in all)\n",
			       "", "", "", r->capped_runs, r->runs,
			       (unsigned long long)r->messages);
	}
	targets_print(cr, n);
	fflush(stdout);
}
