/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/*
 * ipcoffctl: what ipcoff is doing on this host, and its admin controls.
 * main.c parses options and maps errors to exit codes, out.c writes
 * tables and JSON, cmds.c has one function per subcommand (rdma.c the
 * rdma one, which reads the host's RDMA devices, not the module).
 */
#ifndef IPCOFF_CTL_H
#define IPCOFF_CTL_H

#include <stdbool.h>
#include <stdint.h>

#include "../common/ipcsys.h"

/* Exit codes, stable for scripts (ipcoffctl(1)). */
enum {
	EX_OK = 0,
	EX_FAIL = 1,		/* anything else went wrong */
	EX_USAGE = 2,
	EX_NOMODULE = 3,	/* ipcoff is not loaded */
	EX_PERM = 4,		/* EACCES/EPERM: needs rights the caller lacks */
	EX_UNSUPPORTED = 5,	/* the loaded module lacks the feature */
};

struct ctl {
	const char *dev;	/* /dev/ipcoff */
	const char *sysfs;	/* /sys/class/misc/ipcoff */
	const char *params;	/* /sys/module/ipcoff/parameters */
	const char *dmaclass;	/* /sys/class/dma */
	const char *proc;	/* /proc */
	const char *ibclass;	/* /sys/class/infiniband */
	bool json;
	bool all;
};

/* main.c: report @err (negative errno) about @what; the exit code. */
int ctl_fail(const struct ctl *c, int err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* main.c: EX_NOMODULE with its message when ipcoff is not loaded. */
int ctl_need_module(const struct ctl *c);

/* out.c: JSON writer; keys are NULL inside arrays. */
void jw_obj(const char *key);
void jw_arr(const char *key);
void jw_end(void);		/* closes the innermost object or array */
void jw_str(const char *key, const char *v);
void jw_int(const char *key, int64_t v);
void jw_uint(const char *key, uint64_t v);
void jw_bool(const char *key, bool v);
void jw_done(void);		/* final newline */
/* "19.5 KiB" for @bytes into @buf. */
const char *human_bytes(uint64_t bytes, char *buf, size_t size);
/* Latency in microseconds as "512 us", "2 ms", "1.05 s". */
const char *human_us(uint64_t us, char *buf, size_t size);

/* cmds.c */
int cmd_status(struct ctl *c, int argc, char **argv);
int cmd_engines(struct ctl *c, int argc, char **argv);
int cmd_channels(struct ctl *c, int argc, char **argv);
int cmd_regions(struct ctl *c, int argc, char **argv);
int cmd_pinned(struct ctl *c, int argc, char **argv);
int cmd_stats(struct ctl *c, int argc, char **argv);
int cmd_cache(struct ctl *c, int argc, char **argv);
int cmd_latency(struct ctl *c, int argc, char **argv);
int cmd_dma(struct ctl *c, int argc, char **argv);
int cmd_sched(struct ctl *c, int argc, char **argv);
/* rdma.c */
int cmd_rdma(struct ctl *c, int argc, char **argv);

#endif /* IPCOFF_CTL_H */
