// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * ipcoff-cachebench: the command line and the order of a run: probe the
 * CPU and the caches, pick the pair, calibrate the clock, measure every
 * (size, reader) group, report. Needs no module: it measures the cache
 * actions issue 7 proposes for ipcoff's copies, natively, because a TCG
 * guest has no cache to measure them with.
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "cachebench.h"

static const unsigned long default_sizes[] = {
	4 * KiB, 16 * KiB, 64 * KiB, 256 * KiB, 1 * MiB,
};

static void usage(FILE *f)
{
	fprintf(f,
"usage: ipcoff-cachebench [--quick] [options]\n"
"\n"
"A producer thread on one CPU writes a message, a consumer on another CPU\n"
"reads it; the consumer's read time is measured for each cache action:\n"
"none, clwb or clflushopt by the producer after writing, a non-temporal\n"
"producer copy, and a consumer prefetch of the first 16 or of all lines.\n"
"Prints the machine's CPUs and caches, then a table per way of reading.\n"
"No kernel module needed.\n"
"\n"
"  --quick            a few seconds (default: under a minute)\n"
"  --json[=FILE]      JSON on stdout instead of the text; with FILE, the\n"
"                     text on stdout and the JSON in FILE\n"
"  --cpus P,C         the producer's and the consumer's CPU\n"
"  --sizes LIST       message sizes, multiples of 64 (default\n"
"                     4K,16K,64K,256K,1M; at most 64M)\n"
"  --consumer WHO     read, checksum or both (default both)\n"
"  --reset HOW        flush (default): CLFLUSH the message before each\n"
"                     sample; rotate: a fresh buffer from a pool twice the\n"
"                     size of the last level cache\n"
"  --time S           seconds per size and reader (default 4, quick 0.25)\n"
"  --rounds N         exactly N rounds per size and reader instead\n"
"  --without LIST     pretend the CPU lacks clwb, clflushopt or nt\n"
"  --topology         print the machine and the chosen pair, then exit\n"
"  -h, --help         this text\n");
}

static void preset(struct cb_opts *o)
{
	if (o->quick) {
		o->budget_s = 0.25;
		o->min_rounds = 31;
		o->max_rounds = 501;
		o->warmup_rounds = 3;
	} else {
		o->budget_s = 4.0;
		o->min_rounds = 201;
		o->max_rounds = 5001;
		o->warmup_rounds = 10;
	}
}

static int bad_arg(const char *opt, const char *val)
{
	fprintf(stderr, "ipcoff-cachebench: bad %s '%s'\n", opt, val);
	return -1;
}

static int parse_sizes(struct cb_opts *o, const char *list)
{
	char *copy = strdup(list), *tok, *save = NULL;
	int ret = 0;

	o->nsizes = 0;
	for (tok = strtok_r(copy, ",", &save); tok && !ret;
	     tok = strtok_r(NULL, ",", &save)) {
		char *end;
		unsigned long v = strtoul(tok, &end, 0);

		switch (toupper((unsigned char)*end)) {
		case 'K':
			v *= KiB;
			end++;
			break;
		case 'M':
			v *= MiB;
			end++;
			break;
		}
		if (*end || !v || v % CACHELINE || v > CB_MAX_SIZE ||
		    o->nsizes == CB_MAX_SIZES)
			ret = bad_arg("--sizes", tok);
		else
			o->sizes[o->nsizes++] = v;
	}
	free(copy);
	return ret || !o->nsizes ? -1 : 0;
}

static int parse_without(struct cb_opts *o, const char *list)
{
	char *copy = strdup(list), *tok, *save = NULL;
	int ret = 0;

	for (tok = strtok_r(copy, ",", &save); tok && !ret;
	     tok = strtok_r(NULL, ",", &save)) {
		if (!strcmp(tok, "clwb"))
			o->without |= 1U << ACT_CLWB;
		else if (!strcmp(tok, "clflushopt"))
			o->without |= 1U << ACT_CLFLUSHOPT;
		else if (!strcmp(tok, "nt") || !strcmp(tok, "nt-copy"))
			o->without |= 1U << ACT_NT;
		else
			ret = bad_arg("--without", tok);
	}
	free(copy);
	return ret;
}

static int parse_args(struct cb_opts *o, int argc, char **argv)
{
	enum { O_QUICK = 256, O_JSON, O_CPUS, O_SIZES, O_CONSUMER, O_RESET,
	       O_TIME, O_ROUNDS, O_WITHOUT, O_TOPOLOGY };
	static const struct option longopts[] = {
		{ "quick", no_argument, NULL, O_QUICK },
		{ "json", optional_argument, NULL, O_JSON },
		{ "cpus", required_argument, NULL, O_CPUS },
		{ "sizes", required_argument, NULL, O_SIZES },
		{ "consumer", required_argument, NULL, O_CONSUMER },
		{ "reset", required_argument, NULL, O_RESET },
		{ "time", required_argument, NULL, O_TIME },
		{ "rounds", required_argument, NULL, O_ROUNDS },
		{ "without", required_argument, NULL, O_WITHOUT },
		{ "topology", no_argument, NULL, O_TOPOLOGY },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	double time_s = -1;
	long rounds = -1;
	int opt;
	char *end;

	memset(o, 0, sizeof(*o));
	o->prod_cpu = o->cons_cpu = -1;
	o->consumers = (1U << CONS_READ) | (1U << CONS_CHECKSUM);
	memcpy(o->sizes, default_sizes, sizeof(default_sizes));
	o->nsizes = ARRAY_SIZE(default_sizes);

	while ((opt = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (opt) {
		case O_QUICK:
			o->quick = 1;
			break;
		case O_JSON:
			if (optarg)
				o->json_path = optarg;
			else
				o->json_stdout = 1;
			break;
		case O_CPUS:
			if (sscanf(optarg, "%d,%d", &o->prod_cpu,
				   &o->cons_cpu) != 2 || o->prod_cpu < 0 ||
			    o->cons_cpu < 0 || o->prod_cpu == o->cons_cpu)
				return bad_arg("--cpus (two different CPUs, P,C)",
					       optarg);
			break;
		case O_SIZES:
			if (parse_sizes(o, optarg))
				return -1;
			break;
		case O_CONSUMER:
			if (!strcmp(optarg, "read"))
				o->consumers = 1U << CONS_READ;
			else if (!strcmp(optarg, "checksum"))
				o->consumers = 1U << CONS_CHECKSUM;
			else if (strcmp(optarg, "both"))
				return bad_arg("--consumer", optarg);
			break;
		case O_RESET:
			if (!strcmp(optarg, "flush"))
				o->reset = RESET_FLUSH;
			else if (!strcmp(optarg, "rotate"))
				o->reset = RESET_ROTATE;
			else
				return bad_arg("--reset", optarg);
			o->reset_given = 1;
			break;
		case O_TIME:
			time_s = strtod(optarg, &end);
			if (*end || !(time_s > 0 && time_s <= 3600))
				return bad_arg("--time", optarg);
			break;
		case O_ROUNDS:
			rounds = strtol(optarg, &end, 10);
			if (*end || rounds < 1 || rounds > 1000000)
				return bad_arg("--rounds", optarg);
			break;
		case O_WITHOUT:
			if (parse_without(o, optarg))
				return -1;
			break;
		case O_TOPOLOGY:
			o->topology_only = 1;
			break;
		case 'h':
			usage(stdout);
			exit(0);
		default:
			usage(stderr);
			return -1;
		}
	}
	if (optind < argc) {
		usage(stderr);
		return -1;
	}
	preset(o);
	if (time_s > 0)
		o->budget_s = time_s;
	if (rounds > 0) {
		o->min_rounds = o->max_rounds = (unsigned int)rounds;
		o->budget_s = 0;
	}
	return 0;
}

static void read_loadavg(double load[3])
{
	FILE *f = fopen("/proc/loadavg", "re");

	load[0] = load[1] = load[2] = -1;
	if (!f)
		return;
	if (fscanf(f, "%lf %lf %lf", &load[0], &load[1], &load[2]) != 3)
		load[0] = load[1] = load[2] = -1;
	fclose(f);
}

/* Steal and total ticks of @cpu from /proc/stat; -1 when not there. */
static int read_cpu_ticks(int cpu, unsigned long long *steal,
			  unsigned long long *total)
{
	FILE *f = fopen("/proc/stat", "re");
	char line[512], name[32];
	int ret = -1;

	if (!f)
		return -1;
	snprintf(name, sizeof(name), "cpu%d ", cpu);
	while (fgets(line, sizeof(line), f)) {
		unsigned long long v[8] = { 0 };

		if (strncmp(line, name, strlen(name)))
			continue;
		if (sscanf(line + strlen(name), "%llu %llu %llu %llu %llu %llu "
			   "%llu %llu", &v[0], &v[1], &v[2], &v[3], &v[4],
			   &v[5], &v[6], &v[7]) == 8) {
			*steal = v[7];
			*total = 0;
			for (int i = 0; i < 8; i++)
				*total += v[i];
			ret = 0;
		}
		break;
	}
	fclose(f);
	return ret;
}

struct steal_mark {
	unsigned long long steal, total;
	int ok;
};

static void steal_mark(struct steal_mark *m, int a, int b)
{
	unsigned long long s1, t1, s2, t2;

	m->ok = !read_cpu_ticks(a, &s1, &t1) && !read_cpu_ticks(b, &s2, &t2);
	if (m->ok) {
		m->steal = s1 + s2;
		m->total = t1 + t2;
	}
}

/* The brand string, or where CPUID has none, /proc/cpuinfo's name. */
static void model_fallback(struct arch_info *a)
{
	FILE *f;
	char line[512];

	if (a->brand[0])
		return;
	f = fopen("/proc/cpuinfo", "re");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		char *colon = strchr(line, ':'), *nl;

		if (!colon || (strncmp(line, "model name", 10) &&
			       strncmp(line, "Processor", 9)))
			continue;
		colon++;
		while (*colon == ' ')
			colon++;
		nl = strchr(colon, '\n');
		if (nl)
			*nl = 0;
		snprintf(a->brand, sizeof(a->brand), "%s", colon);
		break;
	}
	fclose(f);
}

static int pick_pair(const struct cb_opts *o, const struct topology *t,
		     struct run_info *r)
{
	if (o->prod_cpu >= 0) {
		if (!mask_test(&t->usable, (unsigned int)o->prod_cpu) ||
		    !mask_test(&t->usable, (unsigned int)o->cons_cpu)) {
			fprintf(stderr, "ipcoff-cachebench: --cpus %d,%d: not "
				"both online and in our affinity mask\n",
				o->prod_cpu, o->cons_cpu);
			return EXIT_BADARGS;
		}
		r->prod = o->prod_cpu;
		r->cons = o->cons_cpu;
		snprintf(r->pair_why, sizeof(r->pair_why), "given with --cpus");
		return 0;
	}
	if (topology_choose(t, &r->prod, &r->cons, r->pair_why,
			    sizeof(r->pair_why))) {
		fprintf(stderr, "ipcoff-cachebench: needs two CPUs it may run "
			"on, has %u\n", t->nusable);
		return EXIT_SKIP;
	}
	return 0;
}

static unsigned long pool_size(const struct cb_opts *o,
			       const struct topology *t, int prod, int cons)
{
	unsigned long llc = topology_llc_size(t, cons), want, avail;
	unsigned long max = 0;

	if (topology_llc_size(t, prod) > llc)
		llc = topology_llc_size(t, prod);
	for (unsigned int i = 0; i < o->nsizes; i++)
		if (o->sizes[i] > max)
			max = o->sizes[i];
	want = 2 * llc;
	if (want < 64 * MiB)
		want = 64 * MiB;
	if (want < 8 * max)
		want = 8 * max;
	avail = (unsigned long)sysconf(_SC_AVPHYS_PAGES) *
		(unsigned long)sysconf(_SC_PAGESIZE);
	if (avail && want > avail / 2) {
		fprintf(stderr, "ipcoff-cachebench: only %lu MiB free: the "
			"rotation pool is smaller than twice the LLC\n",
			avail / MiB);
		want = avail / 2 / MiB * MiB;
	}
	return want;
}

int main(int argc, char **argv)
{
	static struct arch_info arch;
	static struct topology topo;
	struct run_info r = { 0 };
	struct cb_opts o;
	struct bench *b = NULL;
	struct steal_mark s0, s1;
	struct rusage ru;
	struct utsname un;
	FILE *text;
	unsigned int groups = 0, group = 0;
	unsigned long bad = 0;
	double t0;
	int ret;

	if (parse_args(&o, argc, argv))
		return EXIT_BADARGS;
	setvbuf(stdout, NULL, _IOLBF, 0);
	text = o.json_stdout ? NULL : stdout;

	arch_probe(&arch);
	model_fallback(&arch);
	if (topology_read(&topo))
		return 1;
	r.opts = &o;
	r.arch = &arch;
	r.topo = &topo;
	r.steal_pct = -1;
	ret = pick_pair(&o, &topo, &r);
	if (ret)
		return ret;
	if (o.reset == RESET_FLUSH && !arch.clflush) {
		if (o.reset_given) {
			fprintf(stderr, "ipcoff-cachebench: --reset flush "
				"needs CLFLUSH\n");
			return EXIT_BADARGS;
		}
		o.reset = RESET_ROTATE;
	}
	if (o.reset == RESET_ROTATE)
		r.pool_len = pool_size(&o, &topo, r.prod, r.cons);
	if (!uname(&un))
		snprintf(r.kernel, sizeof(r.kernel), "%s %s %s", un.sysname,
			 un.release, un.machine);
	clock_init(&arch, o.quick ? 0.05 : 0.2);
	read_loadavg(r.load_start);
	if (text)
		report_machine(text, &r);
	if (o.topology_only) {
		if (o.json_stdout)
			report_json(stdout, &r);
		topology_free(&topo);
		return 0;
	}

	r.cells = calloc((size_t)o.nsizes * CONS_COUNT * ACT_COUNT,
			 sizeof(*r.cells));
	if (!r.cells)
		return 1;
	ret = bench_start(&b, &o, &arch, r.prod, r.cons, r.pool_len);
	if (ret) {
		fprintf(stderr, "ipcoff-cachebench: cannot start: %s\n",
			strerror(-ret));
		return 1;
	}
	for (unsigned int cons = 0; cons < CONS_COUNT; cons++)
		groups += o.consumers & (1U << cons) ? o.nsizes : 0;

	steal_mark(&s0, r.prod, r.cons);
	t0 = wall_s();
	for (unsigned int s = 0; s < o.nsizes; s++) {
		for (unsigned int cons = 0; cons < CONS_COUNT; cons++) {
			unsigned int rounds = 0;
			double g0 = wall_s();
			char sz[32];

			if (!(o.consumers & (1U << cons)))
				continue;
			ret = bench_group(b, o.sizes[s], cons,
					  run_cell(&r, s, cons, 0), &rounds);
			if (ret) {
				fprintf(stderr, "ipcoff-cachebench: out of "
					"memory\n");
				bench_stop(b);
				return 1;
			}
			r.ran[s][cons] = 1;
			for (unsigned int a = 0; a < ACT_COUNT; a++) {
				const struct cell *c = run_cell(&r, s, cons, a);

				bad += c->bad;
				r.samples += c->n;
				r.slept += c->slept;
			}
			if (isatty(STDERR_FILENO))
				fprintf(stderr, "[%u/%u] %s %s: %u rounds in "
					"%.2f s\n", ++group, groups,
					fmt_size(o.sizes[s], sz, sizeof(sz)),
					consumer_name(cons), rounds,
					wall_s() - g0);
		}
	}
	r.seconds = wall_s() - t0;
	bench_stop(b);
	steal_mark(&s1, r.prod, r.cons);
	if (s0.ok && s1.ok && s1.total > s0.total)
		r.steal_pct = 100.0 * (double)(s1.steal - s0.steal) /
			      (double)(s1.total - s0.total);
	read_loadavg(r.load_end);
	if (!getrusage(RUSAGE_SELF, &ru))
		r.nivcsw = ru.ru_nivcsw;

	if (text)
		report_table(text, &r);
	if (o.json_stdout) {
		report_json(stdout, &r);
	} else if (o.json_path) {
		FILE *f = fopen(o.json_path, "we");

		if (!f) {
			perror(o.json_path);
			return 1;
		}
		report_json(f, &r);
		if (fclose(f)) {
			perror(o.json_path);
			return 1;
		}
	}
	if (bad)
		fprintf(stderr, "ipcoff-cachebench: %lu samples did not "
			"verify\n", bad);
	free(r.cells);
	topology_free(&topo);
	return bad ? 1 : 0;
}
