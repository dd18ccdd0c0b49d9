// SPDX-License-Identifier: GPL-2.0
/*
 * An independent check of the test provider: the kernel's own dmatest
 * client copies through it in both personalities and must report every
 * test passed, and exactly one failure when the provider is told to fail
 * one descriptor. The debug kernel has dmatest.ko among its modules;
 * for Debian's kernels, which do not ship it, scripts/build-dmatest builds
 * it from their linux-source. A guest without it reports SKIP.
 */
#include <sys/klog.h>

#include "common.h"

#define PROV_KO		"/selftests/ipcoff_dmaprov.ko"
#define DMATEST_KO	"/selftests/dmatest.ko"
#define DMATEST_PARAMS	"/sys/module/dmatest/parameters/"
#define ITERATIONS	100
#define CHANNELS	2

static int dmatest_set(const char *param, const char *val)
{
	char path[128];

	snprintf(path, sizeof(path), DMATEST_PARAMS "%s", param);
	return write_text(path, val);
}

/* Sums the summary lines logged after @marker; returns their number. */
static int dmatest_summaries(const char *marker, long *tests, long *failures)
{
	static char log[1 << 20];
	int n, lines = 0;
	char *p;

	*tests = 0;
	*failures = 0;
	n = klogctl(3 /* SYSLOG_ACTION_READ_ALL */, log, sizeof(log) - 1);
	if (n < 0)
		return -1;
	log[n] = 0;
	p = strstr(log, marker);
	if (!p)
		return -1;
	p += strlen(marker);
	while ((p = strstr(p, " summary "))) {
		long t, f;

		if (sscanf(p, " summary %ld tests, %ld failures", &t, &f) == 2) {
			*tests += t;
			*failures += f;
			lines++;
		}
		p++;
	}
	return lines;
}

/*
 * Runs dmatest once and sums the "summary N tests, F failures" lines it
 * logs after a marker naming @what. Returns the number of summary lines.
 */
static int dmatest_run(const char *what, long *tests, long *failures)
{
	uint64_t end = now_ms() + 120000;
	char buf[16], marker[96];
	int lines;

	/* Unique in the log: every run writes its own. */
	snprintf(marker, sizeof(marker), "ipcoff-dmatest: %s, pid %d, at %llu ms",
		 what, (int)getpid(), (unsigned long long)now_ms());
	if (write_text("/dev/kmsg", marker) || dmatest_set("run", "1"))
		return -1;
	/* 'run' reads Y while dmatest threads run; every thread logs a
	 * summary as it ends. */
	do {
		msleep(100);
		if (read_text(DMATEST_PARAMS "run", buf, sizeof(buf)) < 0)
			return -1;
		lines = dmatest_summaries(marker, tests, failures);
	} while ((buf[0] == 'Y' || lines < CHANNELS) && now_ms() < end);
	return lines;
}

FIXTURE(dmatest) {
	const char *skip;
};

FIXTURE_VARIANT(dmatest) {
	const char *personality;
};

FIXTURE_VARIANT_ADD(dmatest, ioat) {
	.personality = "ioat",
};

FIXTURE_VARIANT_ADD(dmatest, idxd) {
	.personality = "idxd",
};

FIXTURE_SETUP(dmatest)
{
	char params[64], val[16];

	self->skip = NULL;
	if (access(DMATEST_KO, R_OK) || access(PROV_KO, R_OK)) {
		self->skip = "no dmatest.ko in this guest's kernel";
		return;
	}
	/* ipcoff must not hold the provider's channels: dmatest takes them. */
	write_text(IPCOFF_SYSFS "/dma_release", "1");
	module_unload("dmatest");
	module_unload("ipcoff_dmaprov");
	snprintf(params, sizeof(params), "personality=%s channels=%d",
		 variant->personality, CHANNELS);
	ASSERT_EQ(0, module_load(PROV_KO, params));
	ASSERT_EQ(0, module_load(DMATEST_KO, ""));
	snprintf(val, sizeof(val), "%d", ITERATIONS);
	ASSERT_EQ(0, dmatest_set("iterations", val));
	snprintf(val, sizeof(val), "%d", CHANNELS);
	ASSERT_EQ(0, dmatest_set("max_channels", val));
	ASSERT_EQ(0, dmatest_set("threads_per_chan", "1"));
	ASSERT_EQ(0, dmatest_set("timeout", "20000"));
	/* Empty: any free DMA_MEMCPY channel, i.e. the provider's. */
	ASSERT_EQ(0, dmatest_set("channel", ""));
}

FIXTURE_TEARDOWN(dmatest)
{
	if (self->skip)
		return;
	if (module_unload("dmatest"))
		TH_LOG("cannot unload dmatest: %s", strerror(errno));
	if (module_unload("ipcoff_dmaprov"))
		TH_LOG("cannot unload the provider: %s", strerror(errno));
}

TEST_F_TIMEOUT(dmatest, copies_verify, 300)
{
	long tests, failures;
	int lines;

	SKIP_IF_SET(self->skip);
	lines = dmatest_run(variant->personality, &tests, &failures);
	ASSERT_EQ(CHANNELS, lines);
	EXPECT_EQ(CHANNELS * ITERATIONS, tests);
	EXPECT_EQ(0, failures);
}

TEST_F_TIMEOUT(dmatest, injected_failure_is_seen, 300)
{
	long tests, failures;
	int lines;

	SKIP_IF_SET(self->skip);
	ASSERT_EQ(0, write_text("/sys/module/ipcoff_dmaprov/parameters/fail_nth",
				"5"));
	lines = dmatest_run(variant->personality, &tests, &failures);
	ASSERT_EQ(CHANNELS, lines);
	EXPECT_EQ(CHANNELS * ITERATIONS, tests);
	EXPECT_EQ(1, failures);
}

TEST_HARNESS_MAIN
