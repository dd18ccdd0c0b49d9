// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * ipcoff-bench: the results as JSON (schema in Documentation/bench.rst).
 * One object per case; a case that did not run ("n/a", "absent",
 * "error") keeps every key, with null for each figure.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <linux/ipcoff.h>

#include "bench.h"

static const char *status_name(int st)
{
	switch (st) {
	case ST_OK:
		return "ok";
	case ST_NA:
		return "n/a";
	case ST_ABSENT:
		return "absent";
	default:
		return "error";
	}
}

static void num(FILE *f, const char *key, double v, int ok)
{
	fprintf(f, ", \"%s\": ", key);
	if (!ok || v < 0 || v != v)
		fputs("null", f);
	else if (v == (double)(uint64_t)v && v < 1e18)
		fprintf(f, "%llu", (unsigned long long)v);
	else
		fprintf(f, "%.3f", v);
}

static void case_json(FILE *f, const struct case_result *cr)
{
	const struct bench_case *c = &cr->c;
	int ok = cr->status == ST_OK;

	fputs("    {\"workload\": ", f);
	json_string(f, workload_name(c->wl));
	fputs(", \"transport\": ", f);
	json_string(f, c->t->name);
	fputs(", \"engine\": ", f);
	json_string(f, c->t->engine);
	fputs(", \"mode\": ", f);
	json_string(f, c->t->mode);
	fputs(", \"label\": ", f);
	json_string(f, c->t->label);
	fprintf(f, ", \"size\": %zu", cr->size);
	fputs(", \"status\": ", f);
	json_string(f, status_name(cr->status));
	fputs(", \"note\": ", f);
	json_string(f, cr->why);
	fprintf(f, ",\n     \"runs\": %u, \"capped_runs\": %u, \"messages\": %llu",
		cr->runs, cr->capped_runs, (unsigned long long)cr->messages);
	num(f, "msgs_per_s", cr->msgs_per_s, ok);
	num(f, "msgs_per_s_min", cr->msgs_per_s_min, ok);
	num(f, "msgs_per_s_max", cr->msgs_per_s_max, ok);
	num(f, "throughput_Bps", cr->bytes_per_s, ok);
	num(f, "throughput_Bps_min", cr->bytes_per_s_min, ok);
	num(f, "throughput_Bps_max", cr->bytes_per_s_max, ok);
	fputs("\n    ", f);
	num(f, "p50_ns", (double)cr->p50_ns, ok);
	num(f, "p99_ns", (double)cr->p99_ns, ok);
	num(f, "p999_ns", (double)cr->p999_ns, ok);
	num(f, "max_ns", (double)cr->max_ns, ok);
	num(f, "latency_samples", (double)cr->samples, ok);
	fprintf(f, ", \"p999_reliable\": %s",
		ok && cr->samples >= P999_MIN_SAMPLES ? "true" : "false");
	fputs("\n    ", f);
	num(f, "cpu_ns_per_msg", cr->cpu_ns_per_msg, ok);
	num(f, "cpu_ns_per_msg_min", cr->cpu_ns_per_msg_min, ok);
	num(f, "cpu_ns_per_msg_max", cr->cpu_ns_per_msg_max, ok);
	num(f, "cpu_user_ns_per_msg", cr->cpu_user_ns_per_msg, ok);
	num(f, "cpu_sys_ns_per_msg", cr->cpu_sys_ns_per_msg, ok);
	num(f, "cpu_producer_ns_per_msg", cr->cpu_tx_ns_per_msg, ok);
	num(f, "cpu_consumer_ns_per_msg", cr->cpu_rx_ns_per_msg, ok);
	fputs("\n    ", f);
	num(f, "engine_cpu_ns_per_msg", cr->engine_cpu_ns_per_msg, ok);
	num(f, "engine_requests", (double)cr->engine_requests,
	    ok && !strcmp(c->t->name, "ipcoff"));
	num(f, "engine_fallbacks", (double)cr->engine_fallbacks,
	    ok && !strcmp(c->t->name, "ipcoff"));
	if (ok && c->t->engine_id == IPCOFF_ENGINE_AUTO &&
	    !strcmp(c->t->name, "ipcoff"))
		fprintf(f, ", \"ran\": {\"cpu\": %llu, \"dma\": %llu, \"elide\": %llu}",
			(unsigned long long)cr->ran[IPCOFF_ENGINE_CPU],
			(unsigned long long)cr->ran[IPCOFF_ENGINE_DMA],
			(unsigned long long)cr->ran[IPCOFF_ENGINE_ELIDE]);
	num(f, "cache_clwb_bytes", (double)cr->cache_clwb_bytes,
	    ok && !strcmp(c->t->name, "ipcoff"));
	num(f, "cache_inject_bytes", (double)cr->cache_inject_bytes,
	    ok && !strcmp(c->t->name, "ipcoff"));
	num(f, "ratio_throughput_vs_shm", cr->x_tput, ok);
	num(f, "ratio_p99_vs_shm", cr->x_p99, ok);
	num(f, "ratio_cpu_vs_shm", cr->x_cpu, ok);
	if (c->wl == WL_KV || c->wl == WL_KV_MIXED)
		fprintf(f, ", \"clients\": %u, \"value_min\": %lu, \"value_max\": %zu",
			c->clients, KV_VAL_MIN, kv_value_max(c));
	if (c->wl == WL_PIPELINE)
		fprintf(f, ", \"meta_size\": %d", PIPELINE_META);
	fputs("}", f);
}

static void targets_json(FILE *f, const struct case_result *cr,
			 unsigned int n)
{
	struct target t[MAX_TARGETS];
	unsigned int nt = targets_compute(cr, n, t, MAX_TARGETS);

	fputs("  \"targets\": [", f);
	for (unsigned int i = 0; i < nt; i++) {
		fprintf(f, "%s\n    {\"issue\": %d, \"workload\": ", i ? "," : "",
			t[i].issue);
		json_string(f, workload_name(t[i].wl));
		fprintf(f, ", \"size\": %zu, \"label\": ", t[i].size);
		json_string(f, t[i].a);
		fputs(", \"over\": ", f);
		json_string(f, t[i].b);
		fputs(", \"metric\": ", f);
		json_string(f, t[i].metric);
		num(f, "ratio", t[i].ratio, t[i].ratio >= 0);
		fputs(", \"goal\": ", f);
		if (t[i].goal == GOAL_NONE)
			fputs("null, \"limit\": null, \"met\": null", f);
		else
			fprintf(f, "\"%s\", \"limit\": %g, \"met\": %s",
				goal_sign(t[i].goal), t[i].limit,
				t[i].ratio < 0 ? "null" :
				!strcmp(target_verdict(&t[i]), "met") ? "true" :
				"false");
		fputs(", \"note\": ", f);
		json_string(f, t[i].note);
		fputs("}", f);
	}
	fputs(nt ? "\n  ],\n" : "],\n", f);
}

static const char *mode_name(enum bench_mode m)
{
	return m == MODE_QUICK ? "quick" : m == MODE_FULL ? "full" : "default";
}

int json_write(const char *path, const struct case_result *cr,
	       unsigned int n, double total_s)
{
	FILE *f = strcmp(path, "-") ? fopen(path, "we") : stdout;
	int err;

	if (!f)
		return -errno;
	fprintf(f, "{\n  \"tool\": \"ipcoff-bench\",\n  \"schema\": %d,\n",
		BENCH_SCHEMA);
	fprintf(f, "  \"bench_mode\": \"%s\",\n", mode_name(opts.mode));
	sysinfo_json(f);
	fprintf(f, ",\n  \"params\": {\"warmup_s\": %g, \"duration_s\": %g, "
		"\"max_s\": %g, \"min_msgs\": %lu, \"repeats\": %u, "
		"\"spin\": %u, \"spin_us\": %.1f, \"kv_clients\": %u, "
		"\"async_chunks\": %u, \"fill\": %s, \"max_samples\": %lu, "
		"\"p999_min_samples\": %d},\n",
		opts.warmup_s, opts.duration_s, opts.max_s, opts.min_msgs,
		opts.repeats, opts.spin, opts.spin * spin_ns_per_iter / 1e3,
		opts.kv_clients, opts.async_chunks,
		opts.fill ? "true" : "false", opts.max_samples,
		P999_MIN_SAMPLES);
	fprintf(f, "  \"elapsed_s\": %.1f,\n", total_s);
	targets_json(f, cr, n);
	fputs("  \"cases\": [\n", f);
	for (unsigned int i = 0; i < n; i++) {
		case_json(f, &cr[i]);
		fputs(i + 1 < n ? ",\n" : "\n", f);
	}
	fputs("  ]\n}\n", f);
	err = ferror(f) ? -EIO : 0;
	if (f != stdout && fclose(f))
		err = -errno;
	return err;
}
