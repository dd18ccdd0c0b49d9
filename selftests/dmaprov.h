/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The test DMA provider (selftests/dmaprov) seen from a test: load it with
 * parameters, change them at run time, let ipcoff find its channels, and
 * read the dma engine's counters.
 */
#ifndef IPCOFF_SELFTEST_DMAPROV_H
#define IPCOFF_SELFTEST_DMAPROV_H

#include "common.h"

#define PROV_KO		"/selftests/ipcoff_dmaprov.ko"
#define PROV_PARAMS	"/sys/module/ipcoff_dmaprov/parameters/"
#define IPCOFF_PARAMS	"/sys/module/ipcoff/parameters/"

static inline int prov_set(const char *param, const char *val)
{
	char path[128];

	snprintf(path, sizeof(path), PROV_PARAMS "%s", param);
	return write_text(path, val);
}

static inline int64_t dma_stat(const char *name)
{
	char path[128];
	int64_t v = -1;

	snprintf(path, sizeof(path), IPCOFF_SYSFS "/dma/%s", name);
	read_u64_file(path, &v);
	return v;
}

static inline int prov_unload(void)
{
	return module_unload("ipcoff_dmaprov");
}

/*
 * Loads the provider with @params after releasing any leftover, and has
 * ipcoff take its channels. Returns the channels ipcoff holds, or -errno.
 */
static inline int prov_start(const char *params)
{
	int64_t chans = -1;
	int ret;

	write_text(IPCOFF_SYSFS "/dma_release", "1");
	prov_unload();
	ret = module_load(PROV_KO, params);
	if (!ret)
		ret = write_text(IPCOFF_SYSFS "/dma_rescan", "1");
	if (!ret)
		ret = read_u64_file(IPCOFF_SYSFS "/dma_chans", &chans);
	return ret ? ret : (int)chans;
}

/* ipcoff lets the channels go (after in-flight copies), then it unloads. */
static inline int prov_stop(void)
{
	write_text(IPCOFF_SYSFS "/dma_release", "1");
	return prov_unload();
}

#endif /* IPCOFF_SELFTEST_DMAPROV_H */
