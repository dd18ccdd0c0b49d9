// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * ipcoff-bench: ipcoff against the IPC people use today.
 *
 * Builds the mode's case matrix, asks each transport once whether it can
 * run here (ipcoff absent, an engine missing), runs every case the chosen
 * number of times, prints a progress line per case on stderr, then the
 * comparison table on stdout and the JSON file. Exit status: 0 when every
 * case ran or was legitimately n/a / absent, 1 when any case failed.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench.h"

void options_parse(int argc, char **argv);
struct bench_case *matrix_build(unsigned int *n);

struct avail {
	int status;
	char why[160];
};

/* Ratios against the shm case of the same workload and size. */
/*
 * Without arguments, those of the variable ipcoff_bench_args, separated
 * by ':' (a guest's kernel command line hands it to the programs it runs,
 * which get no arguments of their own).
 */
static void args_from_env(int *argc, char ***argv)
{
	static char *av[64];
	const char *env = getenv("ipcoff_bench_args");
	char *copy, *tok, *save = NULL;
	int n = 0;

	if (*argc != 1 || !env || !*env)
		return;
	copy = strdup(env);
	if (!copy)
		return;
	av[n++] = (*argv)[0];
	for (tok = strtok_r(copy, ":", &save); tok && n < 63;
	     tok = strtok_r(NULL, ":", &save))
		av[n++] = tok;
	av[n] = NULL;
	*argc = n;
	*argv = av;
}

static void ratios(struct case_result *cr, unsigned int n)
{
	for (unsigned int i = 0; i < n; i++) {
		const struct case_result *base = NULL;

		cr[i].x_tput = cr[i].x_p99 = cr[i].x_cpu = -1;
		for (unsigned int j = 0; j < n; j++)
			if (cr[j].c.t->baseline && cr[j].c.wl == cr[i].c.wl &&
			    cr[j].c.size == cr[i].c.size &&
			    cr[j].status == ST_OK)
				base = &cr[j];
		if (!base || cr[i].status != ST_OK)
			continue;
		if (base->bytes_per_s > 0)
			cr[i].x_tput = cr[i].bytes_per_s / base->bytes_per_s;
		if (base->p99_ns)
			cr[i].x_p99 = (double)cr[i].p99_ns / (double)base->p99_ns;
		if (base->cpu_ns_per_msg > 0)
			cr[i].x_cpu = cr[i].cpu_ns_per_msg / base->cpu_ns_per_msg;
	}
}

static void progress(unsigned int i, unsigned int n, uint64_t t0,
		     const struct case_result *cr)
{
	char sz[32], p99[32];
	double el = (double)(now_ns() - t0) / 1e9;

	fprintf(stderr, "[%3u/%u %3d:%02d] %-15s %6s %-16s ", i + 1, n,
		(int)el / 60, (int)el % 60, workload_name(cr->c.wl),
		fmt_size(cr->size, sz, sizeof(sz)), cr->c.t->label);
	if (cr->status == ST_OK)
		fprintf(stderr, "%10.1f MB/s %10.0f msg/s  p99 %s\n",
			cr->bytes_per_s / 1e6, cr->msgs_per_s,
			fmt_ns((double)cr->p99_ns, p99, sizeof(p99)));
	else
		fprintf(stderr, "%s%s\n",
			cr->status == ST_NA ? "n/a: " :
			cr->status == ST_ERROR ? "ERROR: " : "", cr->why);
}

int main(int argc, char **argv)
{
	struct avail avail[16];
	struct run_result **runs;
	struct case_result *cr;
	struct bench_case *cs;
	unsigned int n, ok = 0, na = 0, absent = 0, err = 0;
	uint64_t t0;
	int ret;

	args_from_env(&argc, &argv);
	options_parse(argc, argv);
	spin_calibrate();
	setvbuf(stdout, NULL, _IOLBF, 0);
	signal(SIGPIPE, SIG_IGN);
	cs = matrix_build(&n);
	if (!n)
		die("no case selected");
	if (opts.list_only) {
		char sz[32];

		for (unsigned int i = 0; i < n; i++)
			printf("%-15s %6s %s\n", workload_name(cs[i].wl),
			       fmt_size(cs[i].size, sz, sizeof(sz)),
			       cs[i].t->label);
		return 0;
	}
	cr = calloc(n, sizeof(*cr));
	runs = calloc(n, sizeof(*runs));
	if (!cr || !runs || nr_transports > ARRAY_SIZE(avail))
		die("out of memory");

	for (unsigned int t = 0; t < nr_transports; t++) {
		const struct transport *tr = &transports[t];

		avail[t].status = ST_OK;
		avail[t].why[0] = 0;
		if (tr->ops->check)
			avail[t].status = tr->ops->check(tr, WL_STREAM,
							 avail[t].why,
							 sizeof(avail[t].why));
	}

	fprintf(stderr, "ipcoff-bench: %u cases, %u run(s) each, %.2f s measured per run, spin %u (%.0f us)\n",
		n, opts.repeats, opts.duration_s, opts.spin,
		opts.spin * spin_ns_per_iter / 1e3);
	t0 = now_ns();
	/*
	 * A block is one workload and size, all its transports. Its runs
	 * alternate between the transports (shm, cma, ..., then again), so
	 * a burst of load from elsewhere on the machine hits them alike and
	 * the ratios stay meaningful.
	 */
	for (unsigned int b0 = 0, b1; b0 < n; b0 = b1) {
		for (b1 = b0 + 1; b1 < n && cs[b1].wl == cs[b0].wl &&
		     cs[b1].size == cs[b0].size; b1++)
			;
		for (unsigned int i = b0; i < b1; i++) {
			const struct avail *a = &avail[cs[i].t - transports];

			cr[i].c = cs[i];
			cr[i].size = workload_ops_of(cs[i].wl)->size(&cs[i]);
			cr[i].status = a->status;
			snprintf(cr[i].why, sizeof(cr[i].why), "%s", a->why);
			if (cr[i].status == ST_OK)
				cr[i].status = transport_serves(&cs[i], cr[i].why,
								sizeof(cr[i].why));
			runs[i] = calloc(opts.repeats, sizeof(*runs[i]));
			if (!runs[i])
				die("out of memory");
		}
		for (unsigned int r = 0; r < opts.repeats; r++) {
			for (unsigned int i = b0; i < b1; i++) {
				if (cr[i].status != ST_OK)
					continue;
				if ((opts.peer && cs[i].t->ops == &rdma_ops ?
				     pair_run_case(&cs[i], &runs[i][r]) :
				     run_case(&cs[i], &runs[i][r]))) {
					cr[i].status = runs[i][r].status;
					snprintf(cr[i].why, sizeof(cr[i].why),
						 "%s", runs[i][r].why);
					continue;
				}
				cr[i].runs++;
			}
		}
		for (unsigned int i = b0; i < b1; i++) {
			unsigned int done = cr[i].runs;

			if (cr[i].status == ST_OK)
				aggregate(&cr[i], runs[i], done);
			for (unsigned int r = 0; r < done; r++)
				free(runs[i][r].samples);
			free(runs[i]);
			progress(i, n, t0, &cr[i]);
		}
	}
	ratios(cr, n);
	table_print(cr, n);

	for (unsigned int i = 0; i < n; i++) {
		switch (cr[i].status) {
		case ST_OK:
			ok++;
			break;
		case ST_NA:
			na++;
			break;
		case ST_ABSENT:
			absent++;
			break;
		default:
			err++;
		}
	}
	ret = json_write(opts.json_path, cr, n, (double)(now_ns() - t0) / 1e9);
	if (ret)
		fprintf(stderr, "ipcoff-bench: writing %s: %s\n",
			opts.json_path, strerror(-ret));
	fprintf(stderr, "ipcoff-bench: %u cases: %u ok, %u n/a, %u ipcoff absent, %u failed, in %.0f s; JSON in %s\n",
		n, ok, na, absent, err, (double)(now_ns() - t0) / 1e9,
		opts.json_path);
	return err || ret ? 1 : 0;
}
