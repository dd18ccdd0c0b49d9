// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * ipcoffctl: options, subcommand dispatch, and the one place where errors
 * become messages and exit codes.
 */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ctl.h"

#ifndef IPCOFF_TOOLS_VERSION
#define IPCOFF_TOOLS_VERSION "unknown"
#endif

static const char usage_text[] =
"usage: ipcoffctl [OPTIONS] [COMMAND [ARGS]]\n"
"\n"
"Commands (default: status):\n"
"  status                 module, engines, pins and regions at a glance\n"
"  engines                engines found, their load, dma channels\n"
"  channels               dma channels: ipcoff's and the host's memcpy ones\n"
"  regions [--all]        regions of your uid (--all: every process's,\n"
"                         needs CAP_SYS_ADMIN)\n"
"  pinned [--all]         pinned pages: the module's total and per owner\n"
"  stats                  every counter (IPCOFF_IOC_STATS)\n"
"  cache                  cache-action counters\n"
"  latency [ENGINE...]    submit-to-complete histograms per engine\n"
"  dma rescan|release     request dma channels again / give them back\n"
"                         (CAP_SYS_ADMIN)\n"
"  sched [list]           the scheduler's model and policy, name=value\n"
"  sched get NAME         one of them\n"
"  sched set NAME VALUE   change one (CAP_SYS_ADMIN)\n"
"  rdma                   the host's RDMA devices: driver, ports' state,\n"
"                         netdev and its IPv4 addresses (sysfs; needs\n"
"                         no module; none found is no error)\n"
"\n"
"Options:\n"
"  -j, --json             JSON on stdout instead of text\n"
"  -a, --all              with regions and pinned: the whole module\n"
"  -d, --device PATH      the device (default " IPCOFF_DEVICE_PATH ")\n"
"      --sysfs DIR        the module's sysfs directory\n"
"                         (default " IPCSYS_SYSFS ")\n"
"  -h, --help             this text\n"
"  -V, --version          the tools' version\n"
"\n"
"Exit status: 0 done, 1 failed, 2 usage, 3 module not loaded,\n"
"4 permission denied, 5 not supported by the loaded module.\n"
"\n"
"Environment: IPCOFFCTL_IB_SYSFS, a directory read instead of\n"
"/sys/class/infiniband (tests).\n";

static const char *prog = "ipcoffctl";
static bool json_errors;

int ctl_fail(const struct ctl *c, int err, const char *fmt, ...)
{
	char what[512];
	const char *hint = "";
	va_list ap;
	int code;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	switch (-err) {
	case EACCES:
	case EPERM:
		code = EX_PERM;
		hint = " (needs root or CAP_SYS_ADMIN, or access to the device:"
		       " see ipcoffctl(1))";
		break;
	case ENOTTY:
	case EOPNOTSUPP:
		code = EX_UNSUPPORTED;
		hint = " (the loaded module is older than this tool)";
		break;
	case ENOENT:
	case ENODEV:
	case ENXIO:
		code = access(c->sysfs, F_OK) ? EX_NOMODULE : EX_FAIL;
		if (code == EX_NOMODULE)
			hint = " (the ipcoff module is not loaded)";
		break;
	default:
		code = EX_FAIL;
	}
	fprintf(stderr, "%s: %s: %s%s\n", prog, what, strerror(-err), hint);
	if (json_errors) {
		char msg[768];

		snprintf(msg, sizeof(msg), "%s: %s", what, strerror(-err));
		jw_obj(NULL);
		jw_str("error", msg);
		jw_int("errno", -err);
		jw_int("exit", code);
		jw_end();
		jw_done();
	}
	return code;
}

int ctl_need_module(const struct ctl *c)
{
	if (!access(c->sysfs, F_OK))
		return EX_OK;
	fprintf(stderr, "%s: the ipcoff module is not loaded (no %s)\n",
		prog, c->sysfs);
	if (json_errors) {
		jw_obj(NULL);
		jw_str("error", "the ipcoff module is not loaded");
		jw_int("exit", EX_NOMODULE);
		jw_end();
		jw_done();
	}
	return EX_NOMODULE;
}

static const struct {
	const char *name;
	int (*fn)(struct ctl *c, int argc, char **argv);
} cmds[] = {
	{ "status", cmd_status },
	{ "engines", cmd_engines },
	{ "channels", cmd_channels },
	{ "regions", cmd_regions },
	{ "pinned", cmd_pinned },
	{ "stats", cmd_stats },
	{ "counters", cmd_stats },
	{ "cache", cmd_cache },
	{ "latency", cmd_latency },
	{ "dma", cmd_dma },
	{ "sched", cmd_sched },
	{ "rdma", cmd_rdma },
};

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "all", no_argument, NULL, 'a' },
		{ "device", required_argument, NULL, 'd' },
		{ "sysfs", required_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	struct ctl c = {
		.dev = IPCOFF_DEVICE_PATH,
		.sysfs = IPCSYS_SYSFS,
		.params = IPCSYS_PARAMS,
		.dmaclass = "/sys/class/dma",
		.proc = "/proc",
		.ibclass = "/sys/class/infiniband",
	};
	const char *cmd = "status";
	unsigned int i;
	int opt;

	/* GNU getopt permutes: options may follow the command too. */
	while ((opt = getopt_long(argc, argv, "jad:hV", opts, NULL)) != -1) {
		switch (opt) {
		case 'j':
			c.json = true;
			break;
		case 'a':
			c.all = true;
			break;
		case 'd':
			c.dev = optarg;
			break;
		case 's':
			c.sysfs = optarg;
			break;
		case 'h':
			fputs(usage_text, stdout);
			return EX_OK;
		case 'V':
			printf("ipcoffctl %s\n", IPCOFF_TOOLS_VERSION);
			return EX_OK;
		default:
			fputs(usage_text, stderr);
			return EX_USAGE;
		}
	}
	json_errors = c.json;
	/* For the tests: a made-up tree instead of the host's devices. */
	if (getenv("IPCOFFCTL_IB_SYSFS"))
		c.ibclass = getenv("IPCOFFCTL_IB_SYSFS");
	if (optind < argc)
		cmd = argv[optind++];
	for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		if (!strcmp(cmd, cmds[i].name))
			return cmds[i].fn(&c, argc - optind, argv + optind);
	fprintf(stderr, "%s: unknown command '%s'\n\n%s", prog, cmd,
		usage_text);
	return EX_USAGE;
}
