// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * ipcoff-cachebench: what the run found, as text (the machine, the pair,
 * one table per way of reading, a summary of clear differences) or as
 * JSON (the same, keys described in ipcoff-cachebench(1)).
 */
#include <math.h>
#include <string.h>

#include "cachebench.h"

struct cell *run_cell(const struct run_info *r, unsigned int size_idx,
		      enum consumer cons, enum action act)
{
	return &r->cells[(size_idx * CONS_COUNT + cons) * ACT_COUNT + act];
}

const char *fmt_size(unsigned long bytes, char *buf, size_t len)
{
	if (bytes && bytes % MiB == 0)
		snprintf(buf, len, "%lu MiB", bytes / MiB);
	else if (bytes && bytes % KiB == 0)
		snprintf(buf, len, "%lu KiB", bytes / KiB);
	else
		snprintf(buf, len, "%lu B", bytes);
	return buf;
}

static const char *fmt_ns(double ns, char *buf, size_t len)
{
	if (ns < 100)
		snprintf(buf, len, "%.1f", ns);
	else
		snprintf(buf, len, "%.0f", ns);
	return buf;
}

static const char *verdict_word(int v)
{
	return v < 0 ? "faster" : v > 0 ? "slower" : "";
}

static const char *mode_name(const struct cb_opts *o)
{
	return o->quick ? "quick" : "default";
}

void report_machine(FILE *f, const struct run_info *r)
{
	const struct cb_opts *o = r->opts;
	char shared[64];

	fprintf(f, "ipcoff-cachebench: the consumer's time to read a message "
		"another CPU wrote\n\nmachine\n");
	fprintf(f, "  model     %s\n", r->arch->brand[0] ? r->arch->brand :
		"(unknown)");
	arch_print(f, r->arch);
	topology_print(f, r->topo);
	fprintf(f, "  clock     %s", clock_name());
	if (!strcmp(clock_name(), "tsc"))
		fprintf(f, ", invariant, %.1f MHz measured against "
			"CLOCK_MONOTONIC", clock_mhz());
	fprintf(f, "\n  kernel    %s\n", r->kernel);
	fprintf(f, "  load      %.2f %.2f %.2f (1, 5, 15 min) at start\n",
		r->load_start[0], r->load_start[1], r->load_start[2]);

	topology_shared_names(r->topo, r->prod, r->cons, shared,
			      sizeof(shared));
	fprintf(f, "pair\n  producer  cpu %d\n  consumer  cpu %d\n"
		"  sharing   %s (%s)\n", r->prod, r->cons, shared, r->pair_why);

	if (o->budget_s > 0)
		fprintf(f, "run\n  mode      %s: %.2f s per size and reader, "
			"at least %u rounds (at most %u)\n            of one "
			"sample per action, after %u warm-up rounds\n",
			mode_name(o), o->budget_s, o->min_rounds,
			o->max_rounds, o->warmup_rounds);
	else
		fprintf(f, "run\n  mode      %u rounds per size and reader of "
			"one sample per action,\n            after %u warm-up "
			"rounds\n", o->min_rounds, o->warmup_rounds);
	if (o->reset == RESET_FLUSH) {
		fprintf(f, "  reset     flush: %s of the message's lines before "
			"every sample\n",
			r->arch->clflushopt ? "CLFLUSHOPT" : "CLFLUSH");
	} else {
		char pool[32];

		fprintf(f, "  reset     rotate: every sample a fresh buffer "
			"from a %s pool\n",
			fmt_size(r->pool_len, pool, sizeof(pool)));
	}
	fflush(f);
}

static void table_one(FILE *f, const struct run_info *r, enum consumer cons)
{
	const struct cb_opts *o = r->opts;

	fprintf(f, "\n%s: the consumer %s\n", consumer_name(cons),
		cons == CONS_READ ? "loads every 64-bit word and adds them up" :
		"runs a byte-by-byte checksum (a += byte; b += a)");
	fprintf(f, "(ns from seeing the flag to having read it all; "
		"ratio = median / median of none;\n producer = median time "
		"of its copy plus action)\n");
	fprintf(f, "%-9s %-13s %9s %9s %7s %-8s %9s %8s\n", "size", "action",
		"median", "p90", "ratio", "verdict", "producer", "samples");
	for (unsigned int s = 0; s < o->nsizes; s++) {
		char sz[32];

		if (!r->ran[s][cons])
			continue;
		fmt_size(o->sizes[s], sz, sizeof(sz));
		for (unsigned int a = 0; a < ACT_COUNT; a++) {
			const struct cell *c = run_cell(r, s, cons, a);
			char med[32], p90[32], prod[32];

			fprintf(f, "%-9s %-13s ", a ? "" : sz, action_name(a));
			if (c->missing) {
				fprintf(f, "n/a (%s)\n", c->missing);
				continue;
			}
			if (!c->n) {
				fprintf(f, "no samples\n");
				continue;
			}
			fprintf(f, "%9s %9s %6.2fx %-8s %9s %8u%s\n",
				fmt_ns(c->med_ns, med, sizeof(med)),
				fmt_ns(c->p90_ns, p90, sizeof(p90)), c->ratio,
				verdict_word(c->verdict),
				fmt_ns(c->prod_med_ns, prod, sizeof(prod)),
				c->n, c->bad ? "  BAD DATA" : "");
		}
	}
}

/* For each action, the sizes at which it was clearly faster or slower. */
static void summary(FILE *f, const struct run_info *r)
{
	const struct cb_opts *o = r->opts;

	fprintf(f, "\nclear differences from none (medians %.0f%% apart, and "
		"beyond none's median or p90):\n", VERDICT_RATIO * 100);
	for (unsigned int cons = 0; cons < CONS_COUNT; cons++) {
		int lines = 0;

		if (!(o->consumers & (1U << cons)))
			continue;
		for (unsigned int a = 1; a < ACT_COUNT; a++) {
			int verdicts = 0;

			for (int v = -1; v <= 1; v += 2) {
				int listed = 0;

				for (unsigned int s = 0; s < o->nsizes; s++) {
					const struct cell *c =
						run_cell(r, s, cons, a);
					char sz[32];

					if (!r->ran[s][cons] || c->missing ||
					    c->verdict != v)
						continue;
					if (!verdicts++)
						fprintf(f, "  %-9s %-13s",
							lines++ ? "" :
							consumer_name(cons),
							action_name(a));
					if (!listed++)
						fprintf(f, "%s%s at ",
							verdicts > 1 ? "; " : "",
							v < 0 ? "faster" :
							"slower");
					else
						fputs(", ", f);
					fputs(fmt_size(o->sizes[s], sz,
						       sizeof(sz)), f);
				}
			}
			if (verdicts)
				fputc('\n', f);
		}
		if (!lines)
			fprintf(f, "  %-9s none\n", consumer_name(cons));
	}
}

void report_table(FILE *f, const struct run_info *r)
{
	for (unsigned int cons = 0; cons < CONS_COUNT; cons++)
		if (r->opts->consumers & (1U << cons))
			table_one(f, r, cons);
	summary(f, r);
	fprintf(f, "\nduring the run (%.1f s):\n  load average at the end "
		"%.2f %.2f %.2f\n", r->seconds, r->load_end[0],
		r->load_end[1], r->load_end[2]);
	if (r->steal_pct >= 0)
		fprintf(f, "  %.1f%% of the pair's CPU time stolen by the "
			"hypervisor\n", r->steal_pct);
	fprintf(f, "  %ld involuntary context switches of ours\n", r->nivcsw);
	fprintf(f, "  the consumer slept (the producer was off its CPU) "
		"before %lu of %lu samples\n", r->slept, r->samples);
}

static void json_str(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;

		if (ch == '"' || ch == '\\')
			fprintf(f, "\\%c", ch);
		else if (ch < 0x20)
			fprintf(f, "\\u%04x", ch);
		else
			fputc(ch, f);
	}
	fputc('"', f);
}

static void json_num(FILE *f, double v)
{
	if (isnan(v) || isinf(v))
		fputs("null", f);
	else
		fprintf(f, "%.3f", v);
}

static void json_bool(FILE *f, const char *key, int v, int comma)
{
	fprintf(f, "\"%s\": %s%s", key, v ? "true" : "false", comma ? ", " : "");
}

static void json_caches(FILE *f, const struct topology *t, int cpu)
{
	const struct cpu_caches *cc = &t->cpu[cpu];

	fputc('[', f);
	for (unsigned int i = 0; i < cc->n; i++) {
		const struct cache *c = &cc->c[i];
		char list[512];

		mask_format(&c->shared, list, sizeof(list));
		fprintf(f, "%s{\"level\": %u, \"type\": \"%s\", \"size\": %lu, "
			"\"shared_cpu_list\": ", i ? ", " : "", c->level,
			c->type == 'd' ? "data" : c->type == 'i' ?
			"instruction" : "unified", c->size);
		json_str(f, list);
		fputc('}', f);
	}
	fputc(']', f);
}

static void json_machine(FILE *f, const struct run_info *r)
{
	const struct arch_info *a = r->arch;
	const struct topology *t = r->topo;
	char shared[64];

	fprintf(f, "  \"machine\": {\"model\": ");
	json_str(f, a->brand);
	fprintf(f, ", \"vendor\": ");
	json_str(f, a->vendor);
	fprintf(f, ", \"family\": %u, \"model_number\": %u, \"stepping\": %u, ",
		a->family, a->model, a->stepping);
	json_bool(f, "x86", a->x86, 1);
	json_bool(f, "virtual", a->virt, 0);
	fprintf(f, ", \"hypervisor\": ");
	json_str(f, a->hypervisor);
	fprintf(f, ",\n    \"features\": {");
	json_bool(f, "clflush", a->clflush, 1);
	json_bool(f, "clflushopt", a->clflushopt, 1);
	json_bool(f, "clwb", a->clwb, 1);
	json_bool(f, "sse2", a->sse2, 1);
	json_bool(f, "avx", a->avx, 1);
	json_bool(f, "avx2", a->avx2, 1);
	json_bool(f, "avx512f", a->avx512f, 1);
	json_bool(f, "invariant_tsc", a->invariant_tsc, 0);
	fprintf(f, "},\n    \"cpus_online\": %u, \"cpus_usable\": %u, "
		"\"numa_nodes\": %u, \"kernel\": ", t->nonline, t->nusable,
		t->nnodes);
	json_str(f, r->kernel);
	fprintf(f, "},\n  \"clock\": {\"source\": \"%s\", \"mhz\": ",
		clock_name());
	json_num(f, clock_mhz());
	topology_shared_names(t, r->prod, r->cons, shared, sizeof(shared));
	fprintf(f, "},\n  \"pair\": {\"producer\": %d, \"consumer\": %d, "
		"\"shared\": ", r->prod, r->cons);
	json_str(f, shared);
	fprintf(f, ", \"why\": ");
	json_str(f, r->pair_why);
	fprintf(f, ",\n    \"producer_caches\": ");
	json_caches(f, t, r->prod);
	fprintf(f, ",\n    \"consumer_caches\": ");
	json_caches(f, t, r->cons);
	fprintf(f, "},\n");
}

static void json_run(FILE *f, const struct run_info *r)
{
	const struct cb_opts *o = r->opts;

	fprintf(f, "  \"run\": {\"mode\": \"%s\", \"reset\": \"%s\", "
		"\"pool_bytes\": %lu, \"budget_s\": ", mode_name(o),
		reset_name(o->reset), o->reset == RESET_ROTATE ? r->pool_len : 0);
	json_num(f, o->budget_s);
	fprintf(f, ", \"min_rounds\": %u, \"max_rounds\": %u, "
		"\"warmup_rounds\": %u, \"seconds\": ", o->min_rounds,
		o->max_rounds, o->warmup_rounds);
	json_num(f, r->seconds);
	fprintf(f, ",\n    \"load_start\": [%.2f, %.2f, %.2f], "
		"\"load_end\": [%.2f, %.2f, %.2f], \"steal_pct\": ",
		r->load_start[0], r->load_start[1], r->load_start[2],
		r->load_end[0], r->load_end[1], r->load_end[2]);
	json_num(f, r->steal_pct >= 0 ? r->steal_pct : NAN);
	fprintf(f, ", \"involuntary_switches\": %ld},\n", r->nivcsw);
}

static void json_cell(FILE *f, const struct cell *c, int last)
{
	int ok = !c->missing && c->n;

	fprintf(f, "    {\"size\": %lu, \"consumer\": \"%s\", \"action\": "
		"\"%s\", \"status\": \"%s\", \"reason\": ", c->size,
		consumer_name(c->cons), action_name(c->act),
		c->missing ? "n/a" : c->bad ? "bad-data" : "ok");
	if (c->missing)
		json_str(f, c->missing);
	else
		fputs("null", f);
	fprintf(f, ", \"samples\": %u", ok ? c->n : 0);
	fputs(", \"median_ns\": ", f);
	json_num(f, ok ? c->med_ns : NAN);
	fputs(", \"p90_ns\": ", f);
	json_num(f, ok ? c->p90_ns : NAN);
	fputs(", \"min_ns\": ", f);
	json_num(f, ok ? c->min_ns : NAN);
	fputs(", \"producer_median_ns\": ", f);
	json_num(f, ok ? c->prod_med_ns : NAN);
	fputs(", \"ratio\": ", f);
	json_num(f, ok ? c->ratio : NAN);
	fputs(", \"verdict\": ", f);
	if (!ok || c->act == ACT_NONE)
		fputs("null", f);
	else
		fprintf(f, "\"%s\"", c->verdict < 0 ? "faster" :
			c->verdict > 0 ? "slower" : "unclear");
	fprintf(f, ", \"consumer_slept\": %u, \"bad_samples\": %lu}%s\n",
		ok ? c->slept : 0, c->bad, last ? "" : ",");
}

void report_json(FILE *f, const struct run_info *r)
{
	const struct cb_opts *o = r->opts;
	unsigned int total = 0, done = 0;

	for (unsigned int s = 0; s < o->nsizes; s++)
		for (unsigned int cons = 0; cons < CONS_COUNT; cons++)
			total += r->ran[s][cons] ? ACT_COUNT : 0;

	fprintf(f, "{\n  \"schema\": %d, \"tool\": \"ipcoff-cachebench\",\n",
		CB_SCHEMA);
	json_machine(f, r);
	json_run(f, r);
	fprintf(f, "  \"results\": [\n");
	for (unsigned int cons = 0; cons < CONS_COUNT; cons++)
		for (unsigned int s = 0; s < o->nsizes; s++) {
			if (!r->ran[s][cons])
				continue;
			for (unsigned int a = 0; a < ACT_COUNT; a++)
				json_cell(f, run_cell(r, s, cons, a),
					  ++done == total);
		}
	fprintf(f, "  ]\n}\n");
}
