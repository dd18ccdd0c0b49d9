/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/*
 * What ipcoffctl and ipcoff-exporter read from a host: the module's sysfs
 * directory (engines, counters, latency histograms, dma channels, the
 * scheduler's attributes when the module has them) and, through the
 * device, GET_INFO and STATS. Both tools take the sysfs root and the device
 * path as parameters, so their tests can point them at a tree of their own.
 */
#ifndef IPCOFF_TOOLS_IPCSYS_H
#define IPCOFF_TOOLS_IPCSYS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <linux/ipcoff.h>

#define IPCSYS_SYSFS	"/sys/class/misc/ipcoff"
#define IPCSYS_PARAMS	"/sys/module/ipcoff/parameters"

#define IPCSYS_MAX_ENGINES	16
#define IPCSYS_MAX_BUCKETS	64
#define IPCSYS_MAX_ATTRS	128
#define IPCSYS_NAME		64

/* One counter file of an engine directory; absent files read as -1. */
enum ipcsys_counter {
	IPCSYS_REQUESTS,
	IPCSYS_BYTES,
	IPCSYS_DESCRIPTORS,
	IPCSYS_ERRORS,
	IPCSYS_FALLBACKS,
	IPCSYS_TIMEOUTS,
	IPCSYS_DEPTH,
	IPCSYS_BUSY_NS,
	IPCSYS_NR_COUNTERS,
};

extern const char *const ipcsys_counter_names[IPCSYS_NR_COUNTERS];

struct ipcsys_engine {
	char name[IPCSYS_NAME];
	int64_t c[IPCSYS_NR_COUNTERS];
	/* Non-cumulative counts; bucket k <= 2^k us, the last: the rest. */
	int nbuckets;
	uint64_t buckets[IPCSYS_MAX_BUCKETS];
};

/* A name=value file of an attribute directory. */
struct ipcsys_attr {
	char name[IPCSYS_NAME];
	char value[128];
	bool numeric;
	bool writable;
	double num;
};

/* Everything sysfs says; fields that do not exist read as -1. */
struct ipcsys_snapshot {
	bool loaded;		/* the sysfs directory exists */
	int64_t pinned_pages;
	int64_t regions;
	int64_t dma_chans;
	int nengines;
	struct ipcsys_engine engines[IPCSYS_MAX_ENGINES];
};

struct ipcsys_attrs {
	char dir[512];		/* where they were found, or "" */
	char prefix[16];	/* of the file names, left out of a[].name */
	int n;
	struct ipcsys_attr a[IPCSYS_MAX_ATTRS];
};

/* Reads a whole small file; 0 or -errno. Trailing newline removed. */
int ipcsys_read(const char *path, char *buf, size_t size);
/* A file holding one integer: 0 or -errno. */
int ipcsys_read_i64(const char *path, int64_t *v);
/* Writes @val to an attribute: 0 or -errno. */
int ipcsys_write(const char *path, const char *val);

/* Engines are the directories under @root holding a "requests" file. */
int ipcsys_snapshot(const char *root, struct ipcsys_snapshot *s);
/* Parses a latency_buckets line: the number of counts, or -EINVAL. */
int ipcsys_parse_buckets(const char *line, uint64_t *b, int max);
/* Upper bound of bucket @k in microseconds; 0 for the last (no bound). */
uint64_t ipcsys_bucket_le_us(int k, int nbuckets);

/*
 * The scheduler's attributes: @root/sched/ when the module has it, else
 * the module parameters named sched_* in @params. 0, or -ENOENT when
 * neither exists.
 */
int ipcsys_sched(const char *root, const char *params,
		 struct ipcsys_attrs *out);
/* All regular files of @dir, sorted by name: 0 or -errno. */
int ipcsys_attrs(const char *dir, const char *prefix,
		 struct ipcsys_attrs *out);

/* STATS through the device: 0 or -errno (open or ioctl). */
int ipcsys_stats(const char *dev, struct ipcoff_info *info,
		 struct ipcoff_stats *st);

#endif /* IPCOFF_TOOLS_IPCSYS_H */
