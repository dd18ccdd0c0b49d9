// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * ipcoff-exporter: options, then serve (or print one scrape with --once).
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exporter.h"

#ifndef IPCOFF_TOOLS_VERSION
#define IPCOFF_TOOLS_VERSION "unknown"
#endif

#define DEFAULT_LISTEN	"127.0.0.1:9814"

static const char usage_text[] =
"usage: ipcoff-exporter [OPTIONS]\n"
"\n"
"Serves ipcoff's counters at http://ADDRESS/metrics in the Prometheus\n"
"text format (0.0.4).\n"
"\n"
"  -l, --listen ADDRESS   host:port or [v6]:port (default " DEFAULT_LISTEN ");\n"
"                         loopback unless you mean it\n"
"  -1, --once             print one scrape on stdout and exit\n"
"  -d, --device PATH      the device (default " IPCOFF_DEVICE_PATH ")\n"
"      --sysfs DIR        the module's sysfs directory\n"
"                         (default " IPCSYS_SYSFS ")\n"
"      --params DIR       its parameters (default " IPCSYS_PARAMS ")\n"
"  -q, --quiet            no start and stop lines on stderr\n"
"  -h, --help             this text\n"
"  -V, --version          the version\n"
"\n"
"Exit status: 0 after SIGTERM or SIGINT, 1 when it cannot serve,\n"
"2 for bad options.\n";

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "listen", required_argument, NULL, 'l' },
		{ "once", no_argument, NULL, '1' },
		{ "device", required_argument, NULL, 'd' },
		{ "sysfs", required_argument, NULL, 's' },
		{ "params", required_argument, NULL, 'p' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	struct source src = {
		.dev = IPCOFF_DEVICE_PATH,
		.sysfs = IPCSYS_SYSFS,
		.params = IPCSYS_PARAMS,
	};
	struct server_opts so = {
		.listen = DEFAULT_LISTEN,
		.src = &src,
		.idle_ms = 10000,
	};
	bool once = false;
	int opt, ret;

	while ((opt = getopt_long(argc, argv, "l:1d:qhV", opts, NULL)) != -1) {
		switch (opt) {
		case 'l':
			so.listen = optarg;
			break;
		case '1':
			once = true;
			break;
		case 'd':
			src.dev = optarg;
			break;
		case 's':
			src.sysfs = optarg;
			break;
		case 'p':
			src.params = optarg;
			break;
		case 'q':
			so.quiet = true;
			break;
		case 'h':
			fputs(usage_text, stdout);
			return 0;
		case 'V':
			printf("ipcoff-exporter %s\n", IPCOFF_TOOLS_VERSION);
			return 0;
		default:
			fputs(usage_text, stderr);
			return 2;
		}
	}
	if (optind != argc) {
		fputs(usage_text, stderr);
		return 2;
	}
	if (once) {
		struct scrape *s = malloc(sizeof(*s));
		struct buf b = { 0 };

		if (!s)
			return 1;
		scrape_collect(&src, s);
		scrape_format(s, &b);
		free(s);
		ret = b.failed || fwrite(b.p, 1, b.len, stdout) != b.len;
		buf_free(&b);
		return ret || fflush(stdout) ? 1 : 0;
	}
	ret = serve(&so);
	return ret ? 1 : 0;
}
