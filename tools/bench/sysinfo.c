// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * ipcoff-bench: what the results were measured on: the kernel, the host
 * (CPU, memory, whether it is a virtual machine, the clock source), the
 * test DMA provider's settings as the module reports them, and ipcoff's
 * own (version, engines, parameters, dma channels).
 */
#include <ctype.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <ipcoff.h>

#include "bench.h"

#define PROVIDER_PARAMS	"/sys/module/ipcoff_dmaprov/parameters"
#define IPCOFF_PARAMS	"/sys/module/ipcoff/parameters"
#define IPCOFF_SYSFS	"/sys/class/misc/ipcoff"

static int read_first_line(const char *path, char *buf, size_t len)
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

void json_string(FILE *f, const char *s)
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

static int is_number(const char *s)
{
	if (!*s)
		return 0;
	if (*s == '-')
		s++;
	if (!isdigit((unsigned char)*s) || (*s == '0' && s[1]))
		return 0;
	for (; *s; s++)
		if (!isdigit((unsigned char)*s))
			return 0;
	return 1;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* A sysfs parameters directory as one JSON object, keys sorted. */
static void params_json(FILE *f, const char *dir)
{
	char *names[64], path[512], val[256];
	unsigned int n = 0;
	struct dirent *de;
	DIR *d = opendir(dir);

	fputc('{', f);
	if (!d) {
		fputc('}', f);
		return;
	}
	while ((de = readdir(d)) && n < ARRAY_SIZE(names))
		if (de->d_name[0] != '.')
			names[n++] = strdup(de->d_name);
	closedir(d);
	qsort(names, n, sizeof(names[0]), cmp_str);
	for (unsigned int i = 0, out = 0; i < n; i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
		if (!read_first_line(path, val, sizeof(val))) {
			fprintf(f, "%s", out++ ? ", " : "");
			json_string(f, names[i]);
			fputs(": ", f);
			if (is_number(val))
				fputs(val, f);
			else
				json_string(f, val);
		}
		free(names[i]);
	}
	fputc('}', f);
}

static void cpu_model(char *buf, size_t len, int *hypervisor)
{
	FILE *f = fopen("/proc/cpuinfo", "re");
	char line[4096];

	snprintf(buf, len, "unknown");
	*hypervisor = 0;
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		char *c = strchr(line, ':');

		if (!c)
			continue;
		if (!strncmp(line, "model name", 10) && !strcmp(buf, "unknown")) {
			c += 2;
			c[strcspn(c, "\n")] = 0;
			snprintf(buf, len, "%s", c);
		} else if (!strncmp(line, "flags", 5) &&
			   strstr(c, " hypervisor")) {
			*hypervisor = 1;
		}
	}
	fclose(f);
}

static long mem_total_mib(void)
{
	FILE *f = fopen("/proc/meminfo", "re");
	long kb = 0;

	if (!f)
		return 0;
	if (fscanf(f, "MemTotal: %ld kB", &kb) != 1)
		kb = 0;
	fclose(f);
	return kb / 1024;
}

int provider_loaded(void)
{
	return access(PROVIDER_PARAMS, F_OK) == 0;
}

void sysinfo_json(FILE *f)
{
	struct utsname u;
	char model[256], cs[64], val[64];
	int hyp;
	struct ipcoff ipc;

	uname(&u);
	fputs("  \"kernel\": ", f);
	json_string(f, u.release);
	fputs(",\n  \"kernel_version\": ", f);
	json_string(f, u.version);

	cpu_model(model, sizeof(model), &hyp);
	if (read_first_line("/sys/devices/system/clocksource/clocksource0/current_clocksource",
			    cs, sizeof(cs)))
		snprintf(cs, sizeof(cs), "unknown");
	fputs(",\n  \"host\": {\"machine\": ", f);
	json_string(f, u.machine);
	fputs(", \"cpu\": ", f);
	json_string(f, model);
	fprintf(f, ", \"cpus\": %ld, \"mem_mib\": %ld, \"virtual\": %s, ",
		sysconf(_SC_NPROCESSORS_ONLN), mem_total_mib(),
		hyp ? "true" : "false");
	fputs("\"clocksource\": ", f);
	json_string(f, cs);
	fputs("}", f);

	fputs(",\n  \"provider\": ", f);
	if (provider_loaded()) {
		fputs("{\"name\": \"ipcoff_dmaprov\", \"loaded\": true, "
		      "\"engine_threads\": ", f);
		json_string(f, opts.engine_threads);
		fputs(", \"settings\": ", f);
		params_json(f, PROVIDER_PARAMS);
		fputs("}", f);
	} else {
		fputs("{\"name\": \"ipcoff_dmaprov\", \"loaded\": false}", f);
	}

	fputs(",\n  \"ipcoff\": ", f);
	if (ipcoff_open_path(&ipc, opts.device, 0)) {
		fputs("{\"present\": false}", f);
		return;
	}
	fprintf(f, "{\"present\": true, \"module_version\": \"%u.%u.%u\", "
		"\"features\": %llu, \"engines\": [",
		ipc.module_version >> 16, (ipc.module_version >> 8) & 0xff,
		ipc.module_version & 0xff, (unsigned long long)ipc.features);
	for (unsigned int e = IPCOFF_ENGINE_CPU, n = 0; e < IPCOFF_ENGINE_COUNT; e++)
		if (ipc.engines & (1U << e))
			fprintf(f, "%s\"%s\"", n++ ? ", " : "",
				ipcoff_engine_name(e));
	ipcoff_close(&ipc);
	fputs("]", f);
	if (!read_first_line(IPCOFF_SYSFS "/dma_chans", val, sizeof(val)) &&
	    is_number(val))
		fprintf(f, ", \"dma_chans\": %s", val);
	fputs(", \"parameters\": ", f);
	params_json(f, IPCOFF_PARAMS);
	fputs("}", f);
}

/* The same, for people: printed above the table. */
void sysinfo_print(FILE *f)
{
	static const char *const keys[] = {
		"personality", "channels", "ring_size", "latency_us",
		"bandwidth_mbps", "max_xfer", "dma_bits",
	};
	char model[256], path[256], val[128];
	struct utsname u;
	struct ipcoff ipc;
	int hyp;

	uname(&u);
	cpu_model(model, sizeof(model), &hyp);
	fprintf(f, "kernel %s; %ld cpus (%s%s); %ld MiB\n", u.release,
		sysconf(_SC_NPROCESSORS_ONLN), model,
		hyp ? ", virtual" : "", mem_total_mib());
	if (ipcoff_open_path(&ipc, opts.device, 0)) {
		fprintf(f, "ipcoff: absent (no %s): baselines only\n",
			opts.device);
	} else {
		fprintf(f, "ipcoff: module %u.%u.%u, engines:",
			ipc.module_version >> 16,
			(ipc.module_version >> 8) & 0xff,
			ipc.module_version & 0xff);
		for (unsigned int e = IPCOFF_ENGINE_CPU; e < IPCOFF_ENGINE_COUNT; e++)
			if (ipc.engines & (1U << e))
				fprintf(f, " %s", ipcoff_engine_name(e));
		if (!read_first_line(IPCOFF_SYSFS "/dma_chans", val, sizeof(val)))
			fprintf(f, "; dma channels %s", val);
		fputc('\n', f);
		ipcoff_close(&ipc);
	}
	if (!provider_loaded()) {
		fprintf(f, "dma provider: ipcoff_dmaprov not loaded\n");
	} else {
		fprintf(f, "dma provider: ipcoff_dmaprov");
		for (unsigned int i = 0; i < ARRAY_SIZE(keys); i++) {
			snprintf(path, sizeof(path), PROVIDER_PARAMS "/%s",
				 keys[i]);
			if (!read_first_line(path, val, sizeof(val)))
				fprintf(f, " %s=%s", keys[i], val);
		}
		fputc('\n', f);
	}
	fprintf(f, "engine CPU: kernel threads whose names start with %s\n",
		opts.engine_threads);
}
