// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * ipcoff-bench: clocks and CPU time.
 *
 * Each process measures itself: CLOCK_PROCESS_CPUTIME_ID (user + sys, in
 * ns) and getrusage() for the user/sys split. An engine that runs on
 * kernel threads (the test DMA provider's "dmaprov/N", one per channel)
 * is measured from outside: the nanoseconds those threads ran, from
 * /proc/PID/schedstat (or, without schedstats, utime + stime in clock
 * ticks from /proc/PID/stat).
 */
#include <ctype.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "bench.h"

uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * NSEC_PER_SEC + (uint64_t)ts.tv_nsec;
}

static uint64_t tv_ns(const struct timeval *tv)
{
	return (uint64_t)tv->tv_sec * NSEC_PER_SEC + (uint64_t)tv->tv_usec * 1000;
}

void cpu_sample_self(struct cpu_sample *s)
{
	struct timespec ts;
	struct rusage ru;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	s->cpu_ns = (uint64_t)ts.tv_sec * NSEC_PER_SEC + (uint64_t)ts.tv_nsec;
	getrusage(RUSAGE_SELF, &ru);
	s->user_ns = tv_ns(&ru.ru_utime);
	s->sys_ns = tv_ns(&ru.ru_stime);
}

static int read_line(const char *path, char *buf, size_t len)
{
	FILE *f = fopen(path, "re");
	int ok;

	if (!f)
		return -1;
	ok = fgets(buf, (int)len, f) != NULL;
	fclose(f);
	return ok ? 0 : -1;
}

static uint64_t thread_cpu_ns(pid_t pid)
{
	unsigned long long run = 0, ut = 0, st = 0;
	char path[64], buf[1024], *p;

	snprintf(path, sizeof(path), "/proc/%d/schedstat", (int)pid);
	if (!read_line(path, buf, sizeof(buf)) &&
	    sscanf(buf, "%llu", &run) == 1)
		return run;
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	if (read_line(path, buf, sizeof(buf)))
		return 0;
	/* Fields after the parenthesised comm: state is field 3. */
	p = strrchr(buf, ')');
	if (!p || sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu",
			 &ut, &st) != 2)
		return 0;
	return (ut + st) * (NSEC_PER_SEC / (uint64_t)sysconf(_SC_CLK_TCK));
}

/* Does @comm start with one of the comma-separated @prefixes? */
static int comm_matches(const char *comm, const char *prefixes)
{
	for (const char *p = prefixes; *p;) {
		const char *e = strchr(p, ',');
		size_t len = e ? (size_t)(e - p) : strlen(p);

		if (len && !strncmp(comm, p, len))
			return 1;
		p += len + (e ? 1 : 0);
	}
	return 0;
}

void engine_threads_snap(struct engine_threads *et, const char *prefixes)
{
	char path[300], comm[64];
	struct dirent *de;
	DIR *d;

	et->n = 0;
	if (!prefixes || !*prefixes)
		return;
	d = opendir("/proc");
	if (!d)
		return;
	while ((de = readdir(d)) && et->n < ARRAY_SIZE(et->pid)) {
		if (!isdigit((unsigned char)de->d_name[0]))
			continue;
		snprintf(path, sizeof(path), "/proc/%s/comm", de->d_name);
		if (read_line(path, comm, sizeof(comm)) ||
		    !comm_matches(comm, prefixes))
			continue;
		et->pid[et->n] = (pid_t)atoi(de->d_name);
		et->ns[et->n] = thread_cpu_ns(et->pid[et->n]);
		et->n++;
	}
	closedir(d);
}

/*
 * CPU the engine's threads ran from @a to @b. A thread found only in @b
 * was started in between (a new kworker): all its time counts. One that
 * ended in between loses its last stretch.
 */
uint64_t engine_threads_delta(const struct engine_threads *a,
			      const struct engine_threads *b)
{
	uint64_t sum = 0;

	for (unsigned int i = 0; i < b->n; i++) {
		uint64_t before = 0;

		for (unsigned int j = 0; j < a->n; j++)
			if (a->pid[j] == b->pid[i]) {
				before = a->ns[j];
				break;
			}
		if (b->ns[i] > before)
			sum += b->ns[i] - before;
	}
	return sum;
}
