// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * ipcoff-cachebench: the CPUs and their caches as sysfs describes them,
 * and the choice of the producer's and the consumer's CPU.
 *
 * cpuN/cache/indexM gives each cache's level, type, size and the CPUs
 * sharing it. Two CPUs share a level when one of the first CPU's caches
 * at that level lists the second. A pair that shares L1 or L2 (hardware
 * threads of one core, or a cluster with a common L2) would hand the
 * message over inside the core or cluster, which is not the case the
 * measurement is about; a pair that does not share the last level either
 * (another die, CCX or socket) is the hardest case for the consumer, and
 * is preferred where the machine has one. Among equals, a pair in one
 * NUMA node, then the lowest CPU numbers.
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cachebench.h"

#define SYS_CPU		"/sys/devices/system/cpu"
#define SYS_NODE	"/sys/devices/system/node"
#define LIST_INSTANCES	8	/* cache instances named per line, at most */

int mask_parse(const char *s, struct cpumask *m)
{
	memset(m, 0, sizeof(*m));
	while (*s && *s != '\n') {
		char *end;
		unsigned long lo, hi;

		if (!isdigit((unsigned char)*s))
			return -1;
		lo = strtoul(s, &end, 10);
		hi = lo;
		if (*end == '-') {
			s = end + 1;
			if (!isdigit((unsigned char)*s))
				return -1;
			hi = strtoul(s, &end, 10);
		}
		if (hi < lo || hi >= CB_MAX_CPUS)
			return -1;
		for (unsigned long c = lo; c <= hi; c++)
			mask_set(m, (unsigned int)c);
		s = end;
		if (*s == ',')
			s++;
		else if (*s && *s != '\n')
			return -1;
	}
	return 0;
}

unsigned int mask_count(const struct cpumask *m)
{
	unsigned int n = 0;

	for (unsigned int i = 0; i < ARRAY_SIZE(m->bits); i++)
		n += (unsigned int)__builtin_popcountll(m->bits[i]);
	return n;
}

int mask_first(const struct cpumask *m)
{
	for (unsigned int i = 0; i < ARRAY_SIZE(m->bits); i++)
		if (m->bits[i])
			return (int)(i * 64 + (unsigned int)__builtin_ctzll(m->bits[i]));
	return -1;
}

/* Back to the kernel's list notation: "0-3,8". */
void mask_format(const struct cpumask *m, char *buf, size_t len)
{
	size_t used = 0;

	buf[0] = 0;
	for (unsigned int c = 0; c < CB_MAX_CPUS; c++) {
		unsigned int e = c;
		int n;

		if (!mask_test(m, c))
			continue;
		while (e + 1 < CB_MAX_CPUS && mask_test(m, e + 1))
			e++;
		if (e == c)
			n = snprintf(buf + used, len - used, "%s%u",
				     used ? "," : "", c);
		else
			n = snprintf(buf + used, len - used, "%s%u-%u",
				     used ? "," : "", c, e);
		if (n < 0 || (size_t)n >= len - used)
			return;		/* truncated; good enough for a label */
		used += (size_t)n;
		c = e;
	}
}

static int read_line(const char *path, char *buf, size_t len)
{
	FILE *f = fopen(path, "re");
	char *nl;

	if (!f)
		return -1;
	if (!fgets(buf, (int)len, f)) {
		fclose(f);
		return -1;
	}
	fclose(f);
	nl = strchr(buf, '\n');
	if (nl)
		*nl = 0;
	return 0;
}

/* sysfs sizes: "48K", "2048K", "266240K" (and, in principle, M or G). */
static unsigned long parse_cache_size(const char *s)
{
	char *end;
	unsigned long v = strtoul(s, &end, 10);

	switch (*end) {
	case 'K':
		return v * KiB;
	case 'M':
		return v * MiB;
	case 'G':
		return v * 1024 * MiB;
	default:
		return v;
	}
}

static void read_caches(struct topology *t, unsigned int cpu)
{
	struct cpu_caches *cc = &t->cpu[cpu];

	for (unsigned int i = 0; i < CB_MAX_CACHES; i++) {
		struct cache *c = &cc->c[cc->n];
		char path[160], val[4096];

		snprintf(path, sizeof(path), SYS_CPU "/cpu%u/cache/index%u/level",
			 cpu, i);
		if (read_line(path, val, sizeof(val)))
			break;
		c->level = (unsigned int)strtoul(val, NULL, 10);
		snprintf(path, sizeof(path), SYS_CPU "/cpu%u/cache/index%u/type",
			 cpu, i);
		if (read_line(path, val, sizeof(val)))
			continue;
		c->type = val[0] == 'D' ? 'd' : val[0] == 'I' ? 'i' : 'u';
		snprintf(path, sizeof(path), SYS_CPU "/cpu%u/cache/index%u/size",
			 cpu, i);
		c->size = read_line(path, val, sizeof(val)) ? 0 :
			  parse_cache_size(val);
		snprintf(path, sizeof(path),
			 SYS_CPU "/cpu%u/cache/index%u/shared_cpu_list", cpu, i);
		if (read_line(path, val, sizeof(val)) ||
		    mask_parse(val, &c->shared))
			continue;
		mask_set(&c->shared, cpu);	/* always, even if sysfs forgot */
		cc->n++;
		t->have_caches = 1;
	}
}

static void read_nodes(struct topology *t)
{
	DIR *d = opendir(SYS_NODE);
	struct dirent *de;

	if (!d)
		return;
	while ((de = readdir(d))) {
		char path[300], val[4096];
		struct cpumask m;
		unsigned int node;

		if (strncmp(de->d_name, "node", 4) ||
		    !isdigit((unsigned char)de->d_name[4]))
			continue;
		node = (unsigned int)strtoul(de->d_name + 4, NULL, 10);
		snprintf(path, sizeof(path), SYS_NODE "/%s/cpulist", de->d_name);
		if (read_line(path, val, sizeof(val)) || mask_parse(val, &m))
			continue;
		if (mask_count(&m))
			t->nnodes++;
		for (unsigned int c = 0; c < t->ncpus; c++)
			if (mask_test(&m, c))
				t->cpu[c].node = (int)node;
	}
	closedir(d);
}

int topology_read(struct topology *t)
{
	char val[4096];
	cpu_set_t aff;
	int last;

	memset(t, 0, sizeof(*t));
	if (read_line(SYS_CPU "/online", val, sizeof(val)) ||
	    mask_parse(val, &t->online)) {
		fprintf(stderr, "ipcoff-cachebench: cannot read %s/online\n",
			SYS_CPU);
		return -1;
	}
	CPU_ZERO(&aff);
	if (sched_getaffinity(0, sizeof(aff), &aff)) {
		perror("ipcoff-cachebench: sched_getaffinity");
		return -1;
	}
	last = -1;
	for (unsigned int c = 0; c < CB_MAX_CPUS; c++) {
		if (!mask_test(&t->online, c))
			continue;
		t->nonline++;
		last = (int)c;
		if (c < CPU_SETSIZE && CPU_ISSET(c, &aff)) {
			mask_set(&t->usable, c);
			t->nusable++;
		}
	}
	t->ncpus = (unsigned int)(last + 1);
	t->cpu = calloc(t->ncpus ? t->ncpus : 1, sizeof(*t->cpu));
	if (!t->cpu)
		return -1;
	for (unsigned int c = 0; c < t->ncpus; c++) {
		t->cpu[c].node = -1;
		if (mask_test(&t->online, c))
			read_caches(t, c);
	}
	read_nodes(t);
	return 0;
}

void topology_free(struct topology *t)
{
	free(t->cpu);
	t->cpu = NULL;
}

/* The lowest cache level CPUs @a and @b share; 0 when they share none. */
unsigned int topology_shared_level(const struct topology *t, int a, int b)
{
	const struct cpu_caches *cc = &t->cpu[a];
	unsigned int lowest = 0;

	for (unsigned int i = 0; i < cc->n; i++)
		if (mask_test(&cc->c[i].shared, (unsigned int)b) &&
		    (!lowest || cc->c[i].level < lowest))
			lowest = cc->c[i].level;
	return lowest;
}

static void cache_name(const struct cache *c, char *buf, size_t len)
{
	snprintf(buf, len, "L%u%s", c->level,
		 c->type == 'd' ? "d" : c->type == 'i' ? "i" : "");
}

/* "L3", "L1d L1i L2 L3", or "no cache". */
void topology_shared_names(const struct topology *t, int a, int b,
			   char *buf, size_t len)
{
	const struct cpu_caches *cc = &t->cpu[a];
	size_t used = 0;

	buf[0] = 0;
	for (unsigned int i = 0; i < cc->n; i++) {
		char name[16];

		if (!mask_test(&cc->c[i].shared, (unsigned int)b))
			continue;
		cache_name(&cc->c[i], name, sizeof(name));
		used += (size_t)snprintf(buf + used, len - used, "%s%s",
					 used ? " " : "", name);
		if (used >= len)
			return;
	}
	if (!used)
		snprintf(buf, len, "no cache");
}

/* Higher is better: sharing nothing, then only L3+, then L2, then L1. */
static int pair_rank(const struct topology *t, int a, int b)
{
	unsigned int lvl = topology_shared_level(t, a, b);
	int rank = lvl ? (int)lvl * 10 : 1000;

	if (t->cpu[a].node == t->cpu[b].node)
		rank++;
	return rank;
}

int topology_choose(const struct topology *t, int *prod, int *cons,
		    char *why, size_t len)
{
	int best = -1, bp = -1, bc = -1;
	unsigned int lvl;

	if (t->nusable < 2)
		return -1;
	if (!t->have_caches) {
		bp = mask_first(&t->usable);
		for (bc = bp + 1; !mask_test(&t->usable, (unsigned int)bc); bc++)
			;
		*prod = bp;
		*cons = bc;
		snprintf(why, len, "sysfs describes no caches: the first two "
			 "usable CPUs");
		return 0;
	}
	for (unsigned int a = 0; a < t->ncpus; a++) {
		if (!mask_test(&t->usable, a))
			continue;
		for (unsigned int b = 0; b < t->ncpus; b++) {
			int r;

			if (b == a || !mask_test(&t->usable, b))
				continue;
			r = pair_rank(t, (int)a, (int)b);
			if (r > best) {
				best = r;
				bp = (int)a;
				bc = (int)b;
			}
		}
	}
	*prod = bp;
	*cons = bc;
	lvl = topology_shared_level(t, bp, bc);
	if (!lvl)
		snprintf(why, len, "a pair that shares no cache");
	else if (lvl >= 3)
		snprintf(why, len, "every usable pair here shares at least "
			 "this much");
	else
		snprintf(why, len, "every usable pair here shares L%u: the "
			 "hand-off stays near the core", lvl);
	return 0;
}

/* The size of the highest-level data or unified cache @cpu sees. */
unsigned long topology_llc_size(const struct topology *t, int cpu)
{
	const struct cpu_caches *cc = &t->cpu[cpu];
	unsigned int level = 0;
	unsigned long size = 0;

	for (unsigned int i = 0; i < cc->n; i++)
		if (cc->c[i].type != 'i' && cc->c[i].level >= level) {
			level = cc->c[i].level;
			size = cc->c[i].size;
		}
	return size;
}

/* One line per cache kind (level, type, size): instances and sharing. */
struct cache_group {
	unsigned int level;
	char type;
	unsigned long size;
	unsigned int instances, min_cpus, max_cpus;
	char list[256];
};

static int group_cmp(const void *x, const void *y)
{
	const struct cache_group *a = x, *b = y;

	if (a->level != b->level)
		return a->level < b->level ? -1 : 1;
	if (a->type != b->type)
		return a->type < b->type ? -1 : 1;
	return a->size < b->size ? -1 : a->size > b->size;
}

void topology_print(FILE *f, const struct topology *t)
{
	struct cache_group g[32];
	unsigned int ng = 0;
	char list[512];

	mask_format(&t->online, list, sizeof(list));
	fprintf(f, "  cpus      %u online (%s)", t->nonline, list);
	mask_format(&t->usable, list, sizeof(list));
	fprintf(f, ", %u usable (%s)", t->nusable, list);
	if (t->nnodes)
		fprintf(f, ", %u NUMA node%s", t->nnodes,
			t->nnodes == 1 ? "" : "s");
	fputc('\n', f);
	if (!t->have_caches) {
		fprintf(f, "  caches    sysfs describes none\n");
		return;
	}

	/* An instance is counted at the lowest online CPU that shares it. */
	for (unsigned int cpu = 0; cpu < t->ncpus; cpu++) {
		const struct cpu_caches *cc = &t->cpu[cpu];

		for (unsigned int i = 0; i < cc->n; i++) {
			const struct cache *c = &cc->c[i];
			struct cpumask on;
			struct cache_group *grp = NULL;
			unsigned int n, k;

			for (k = 0; k < ARRAY_SIZE(on.bits); k++)
				on.bits[k] = c->shared.bits[k] &
					     t->online.bits[k];
			if (mask_first(&on) != (int)cpu)
				continue;
			for (k = 0; k < ng; k++)
				if (g[k].level == c->level &&
				    g[k].type == c->type &&
				    g[k].size == c->size)
					grp = &g[k];
			if (!grp) {
				if (ng == ARRAY_SIZE(g))
					continue;
				grp = &g[ng++];
				memset(grp, 0, sizeof(*grp));
				grp->level = c->level;
				grp->type = c->type;
				grp->size = c->size;
				grp->min_cpus = ~0U;
			}
			n = mask_count(&on);
			if (n < grp->min_cpus)
				grp->min_cpus = n;
			if (n > grp->max_cpus)
				grp->max_cpus = n;
			if (grp->instances < LIST_INSTANCES) {
				size_t used = strlen(grp->list);

				mask_format(&on, list, sizeof(list));
				snprintf(grp->list + used,
					 sizeof(grp->list) - used, "%s%s",
					 used ? " | " : "", list);
			}
			grp->instances++;
		}
	}
	qsort(g, ng, sizeof(g[0]), group_cmp);
	for (unsigned int k = 0; k < ng; k++) {
		struct cache c = { .level = g[k].level, .type = g[k].type };
		char name[16], size[32], who[32];

		cache_name(&c, name, sizeof(name));
		fmt_size(g[k].size, size, sizeof(size));
		if (g[k].min_cpus == g[k].max_cpus)
			snprintf(who, sizeof(who), "%u CPU%s%s", g[k].min_cpus,
				 g[k].min_cpus == 1 ? "" : "s",
				 g[k].instances > 1 ? " each" : "");
		else
			snprintf(who, sizeof(who), "%u-%u CPUs",
				 g[k].min_cpus, g[k].max_cpus);
		fprintf(f, "  %-9s %-4s %8s x%-3u %-12s %s%s\n",
			k ? "" : "caches", name, size, g[k].instances, who,
			g[k].list,
			g[k].instances > LIST_INSTANCES ? " | ..." : "");
	}
}
