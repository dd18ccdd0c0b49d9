// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/* ipcoff-bench: command line and the three modes' presets. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"

struct bench_opts opts;

static void usage(FILE *f)
{
	fprintf(f,
"usage: ipcoff-bench [--quick | --full] [options]\n"
"\n"
"ipcoff against shared memory and cross-memory attach: ping-pong latency,\n"
"streams (copy-out and in-place), and an inference pipeline, a video\n"
"stream and a key-value store shaped after real services. Prints a\n"
"progress line per case on stderr, a table on stdout, and writes JSON.\n"
"Without /dev/ipcoff the baselines run and ipcoff is reported absent.\n"
"\n"
"  --quick              a small matrix, one run per case (about 1 min native)\n"
"  --full               every size from 64 B to 16 MiB, 5 runs, enough\n"
"                       samples for p99.9\n"
"  --json FILE          where the JSON goes (default ipcoff-bench.json; - for stdout)\n"
"  --workloads LIST     comma list of pingpong,stream,stream-inplace,\n"
"                       pipeline,video,kv,kv-mixed (kv-mixed: values of\n"
"                       4 KiB..4 MiB, only when named)\n"
"  --transports LIST    comma list of shm,cma,ipcoff/cpu,ipcoff/cpu/async,\n"
"                       ipcoff/cpu/inject,ipcoff/dma,ipcoff/dma/async,\n"
"                       ipcoff/auto,ipcoff/elide,channel,channel/hybrid\n"
"  --sizes LIST         sizes for pingpong and the streams (64,4K,1M,4M,...)\n"
"  --fill               every producer writes every byte of every message\n"
"                       (default: only ipcoff/elide's, whose MOVE leaves it\n"
"                       other pages; the others write the stamps)\n"
"  --repeats N          runs per case (median and spread)\n"
"  --duration S         measured seconds per run, at least\n"
"  --warmup S           seconds before measuring\n"
"  --max-time S         measured seconds per run, at most\n"
"  --min-msgs N         measure until each receiver got N messages\n"
"  --spin-us US         spin this long before a futex wait (default 50)\n"
"  --spin N             spin N iterations instead\n"
"  --clients N          kv clients (default 3, at most %d)\n"
"  --chunks N           asynchronous ipcoff: copies of 256 KiB and more go\n"
"                       in N chunks, one completion each (default 4; 1: whole)\n"
"  --samples N          latency samples kept per process and run\n"
"  --engine-threads L   comma list of comm prefixes of the engine's kernel\n"
"                       threads (default dmaprov/,kworker/u: the test\n"
"                       provider's, and the workers of async cpu copies)\n"
"  --device PATH        the ipcoff device (default /dev/ipcoff)\n"
"  --peer ADDR          rdma between two hosts: this host runs one side of\n"
"                       each rdma case, ADDR the other (ipcoff-bench-rdma;\n"
"                       pingpong and stream; '-': $ipcoff_peer)\n"
"  --list               print the cases and exit\n",
		MAX_PROCS - 1);
}

static void preset(enum bench_mode m)
{
	opts.mode = m;
	switch (m) {
	case MODE_QUICK:
		opts.warmup_s = 0.1;
		opts.duration_s = 0.4;
		opts.max_s = 3;
		opts.min_msgs = 10;
		opts.repeats = 2;
		opts.max_samples = 20000;
		break;
	case MODE_DEFAULT:
		opts.warmup_s = 0.2;
		opts.duration_s = 0.7;
		opts.max_s = 4;
		opts.min_msgs = 20;
		opts.repeats = 5;
		opts.max_samples = 50000;
		break;
	case MODE_FULL:
		opts.warmup_s = 0.3;
		opts.duration_s = 2;
		opts.max_s = 30;
		opts.min_msgs = 20000;
		opts.repeats = 5;
		opts.max_samples = 200000;
		break;
	}
}

static double num_arg(const char *name, const char *v, double lo, double hi)
{
	char *end;
	double d = strtod(v, &end);

	if (*end || d < lo || d > hi) {
		fprintf(stderr, "ipcoff-bench: bad %s '%s'\n", name, v);
		exit(2);
	}
	return d;
}

void options_parse(int argc, char **argv)
{
	enum {
		O_QUICK = 256, O_FULL, O_JSON, O_WL, O_TR, O_SIZES, O_REP,
		O_DUR, O_WARM, O_MAX, O_MIN, O_SPIN, O_SPIN_US, O_CLIENTS, O_SAMPLES,
		O_THREADS, O_DEV, O_LIST, O_HELP, O_CHUNKS, O_FILL, O_PEER,
	};
	static const struct option lo[] = {
		{ "quick", no_argument, NULL, O_QUICK },
		{ "full", no_argument, NULL, O_FULL },
		{ "json", required_argument, NULL, O_JSON },
		{ "workloads", required_argument, NULL, O_WL },
		{ "transports", required_argument, NULL, O_TR },
		{ "sizes", required_argument, NULL, O_SIZES },
		{ "fill", no_argument, NULL, O_FILL },
		{ "repeats", required_argument, NULL, O_REP },
		{ "duration", required_argument, NULL, O_DUR },
		{ "warmup", required_argument, NULL, O_WARM },
		{ "max-time", required_argument, NULL, O_MAX },
		{ "min-msgs", required_argument, NULL, O_MIN },
		{ "spin", required_argument, NULL, O_SPIN },
		{ "spin-us", required_argument, NULL, O_SPIN_US },
		{ "clients", required_argument, NULL, O_CLIENTS },
		{ "chunks", required_argument, NULL, O_CHUNKS },
		{ "samples", required_argument, NULL, O_SAMPLES },
		{ "engine-threads", required_argument, NULL, O_THREADS },
		{ "device", required_argument, NULL, O_DEV },
		{ "list", no_argument, NULL, O_LIST },
		{ "peer", required_argument, NULL, O_PEER },
		{ "help", no_argument, NULL, O_HELP },
		{ NULL, 0, NULL, 0 },
	};
	enum bench_mode mode = MODE_DEFAULT;
	int c;

	/* The mode first: the other options override its presets. */
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--quick"))
			mode = MODE_QUICK;
		else if (!strcmp(argv[i], "--full"))
			mode = MODE_FULL;
	}
	preset(mode);
	opts.spin = 0;
	opts.spin_us = 50;
	opts.kv_clients = 3;
	opts.async_chunks = 4;
	opts.json_path = "ipcoff-bench.json";
	opts.engine_threads = "dmaprov/,kworker/u";
	opts.device = "/dev/ipcoff";

	while ((c = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
		switch (c) {
		case O_QUICK:
		case O_FULL:
			break;
		case O_JSON:
			opts.json_path = optarg;
			break;
		case O_WL:
			opts.workloads = optarg;
			break;
		case O_TR:
			opts.transports = optarg;
			break;
		case O_SIZES:
			opts.sizes = optarg;
			break;
		case O_FILL:
			opts.fill = 1;
			break;
		case O_REP:
			opts.repeats = (unsigned int)num_arg("--repeats", optarg, 1, 64);
			break;
		case O_DUR:
			opts.duration_s = num_arg("--duration", optarg, 0.01, 3600);
			break;
		case O_WARM:
			opts.warmup_s = num_arg("--warmup", optarg, 0, 3600);
			break;
		case O_MAX:
			opts.max_s = num_arg("--max-time", optarg, 0.01, 36000);
			break;
		case O_MIN:
			opts.min_msgs = (unsigned long)num_arg("--min-msgs", optarg, 1, 1e9);
			break;
		case O_SPIN:
			opts.spin = (unsigned int)num_arg("--spin", optarg, 1, 1e9);
			break;
		case O_SPIN_US:
			opts.spin_us = num_arg("--spin-us", optarg, 0, 1e6);
			break;
		case O_CLIENTS:
			opts.kv_clients = (unsigned int)num_arg("--clients", optarg, 1,
								MAX_PROCS - 1);
			break;
		case O_CHUNKS:
			opts.async_chunks = (unsigned int)num_arg("--chunks", optarg, 1, 64);
			break;
		case O_SAMPLES:
			opts.max_samples = (unsigned long)num_arg("--samples", optarg, 1, 1e8);
			break;
		case O_THREADS:
			opts.engine_threads = optarg;
			break;
		case O_DEV:
			opts.device = optarg;
			break;
		case O_PEER:
			/* "-": the rdma guest's ipcoff_peer (run-guest-pair). */
			opts.peer = strcmp(optarg, "-") ? optarg :
				    getenv("ipcoff_peer");
			if (!opts.peer || !*opts.peer)
				die("--peer -: no ipcoff_peer in the environment");
			break;
		case O_LIST:
			opts.list_only = 1;
			break;
		case O_HELP:
		case 'h':
			usage(stdout);
			exit(0);
		default:
			usage(stderr);
			exit(2);
		}
	}
	if (optind < argc) {
		usage(stderr);
		exit(2);
	}
	if (opts.max_s < opts.duration_s)
		opts.max_s = opts.duration_s;
}
