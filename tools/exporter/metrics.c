// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * One scrape: read sysfs, STATS and the scheduler's attributes, and write
 * them as Prometheus text format 0.0.4. Counters end in _total, times are
 * in seconds, every family has HELP and TYPE lines.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exporter.h"

void buf_add(struct buf *b, const void *p, size_t n)
{
	if (b->failed)
		return;
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 4096;
		char *q;

		while (cap < b->len + n + 1)
			cap *= 2;
		q = realloc(b->p, cap);
		if (!q) {
			b->failed = true;
			return;
		}
		b->p = q;
		b->cap = cap;
	}
	memcpy(b->p + b->len, p, n);
	b->len += n;
	b->p[b->len] = 0;
}

void buf_printf(struct buf *b, const char *fmt, ...)
{
	char small[512];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(small, sizeof(small), fmt, ap);
	va_end(ap);
	if (n < 0) {
		b->failed = true;
		return;
	}
	if ((size_t)n < sizeof(small)) {
		buf_add(b, small, (size_t)n);
		return;
	}
	{
		char *big = malloc((size_t)n + 1);

		if (!big) {
			b->failed = true;
			return;
		}
		va_start(ap, fmt);
		vsnprintf(big, (size_t)n + 1, fmt, ap);
		va_end(ap);
		buf_add(b, big, (size_t)n);
		free(big);
	}
}

void buf_free(struct buf *b)
{
	free(b->p);
	memset(b, 0, sizeof(*b));
}

void scrape_collect(const struct source *src, struct scrape *s)
{
	int ret;

	memset(s, 0, sizeof(*s));
	ipcsys_snapshot(src->sysfs, &s->sys);
	ret = ipcsys_stats(src->dev, &s->info, &s->st);
	s->have_dev = !ret;
	s->dev_err = ret;
	s->have_sched = !ipcsys_sched(src->sysfs, src->params, &s->sched);
}

bool metric_name(const char *in, char *out, size_t size, double *scale)
{
	size_t o = 0;
	const char *p = in;

	*scale = 1;
	if (size < 2)
		return false;
	while (*p && o + 1 < size) {
		char part[64];
		size_t n = 0;
		const char *unit = NULL;

		/* One part at a time: separators are anything but [a-z0-9]. */
		while (*p && n + 1 < sizeof(part)) {
			char ch = *p;

			if (ch >= 'A' && ch <= 'Z')
				ch = (char)(ch - 'A' + 'a');
			if (!((ch >= 'a' && ch <= 'z') ||
			      (ch >= '0' && ch <= '9')))
				break;
			part[n++] = ch;
			p++;
		}
		part[n] = 0;
		while (*p && !((*p >= 'a' && *p <= 'z') ||
			       (*p >= 'A' && *p <= 'Z') ||
			       (*p >= '0' && *p <= '9')))
			p++;
		if (!n)
			continue;
		/* Prometheus wants base units: seconds, not ns/us/ms. */
		if (!strcmp(part, "ns"))
			unit = "seconds", *scale *= 1e-9;
		else if (!strcmp(part, "us"))
			unit = "seconds", *scale *= 1e-6;
		else if (!strcmp(part, "ms"))
			unit = "seconds", *scale *= 1e-3;
		if (o && o + 1 < size)
			out[o++] = '_';
		o += (size_t)snprintf(out + o, size - o, "%s",
				      unit ? unit : part);
		if (o >= size)
			return false;
	}
	out[o] = 0;
	if (!o)
		return false;
	/* A gauge must not look like a counter. */
	if (o > 6 && !strcmp(out + o - 6, "_total"))
		out[o - 6] = 0;
	return true;
}

static void family(struct buf *b, const char *name, const char *type,
		   const char *help)
{
	buf_printf(b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* @ns as seconds, exactly. */
static void seconds(struct buf *b, uint64_t ns)
{
	buf_printf(b, "%" PRIu64 ".%09" PRIu64, ns / UINT64_C(1000000000),
		   ns % UINT64_C(1000000000));
}

/* A bucket bound of @us microseconds as seconds, without trailing zeros. */
static void le_seconds(struct buf *b, uint64_t us)
{
	char s[48];
	size_t n;

	n = (size_t)snprintf(s, sizeof(s), "%" PRIu64 ".%06" PRIu64,
			     us / 1000000, us % 1000000);
	while (n > 2 && s[n - 1] == '0' && s[n - 2] != '.')
		s[--n] = 0;
	buf_add(b, s, n);
}

static const struct {
	enum ipcsys_counter c;
	const char *name;
	const char *help;
} engine_counters[] = {
	{ IPCSYS_REQUESTS, "ipcoff_engine_requests_total",
	  "Copies the engine completed successfully." },
	{ IPCSYS_BYTES, "ipcoff_engine_bytes_total",
	  "Bytes the engine moved." },
	{ IPCSYS_DESCRIPTORS, "ipcoff_engine_descriptors_total",
	  "Hardware descriptors (dma), page pieces (cpu) or pages exchanged (elide)." },
	{ IPCSYS_ERRORS, "ipcoff_engine_errors_total",
	  "Copies the engine completed with an error." },
	{ IPCSYS_FALLBACKS, "ipcoff_engine_fallbacks_total",
	  "Pieces or copies the engine handed to the CPU." },
	{ IPCSYS_TIMEOUTS, "ipcoff_engine_timeouts_total",
	  "Copies whose waiter gave up on the engine." },
};

static void format_engines(const struct scrape *s, struct buf *b)
{
	const struct ipcsys_snapshot *y = &s->sys;
	unsigned int i;
	int e, k;

	for (i = 0; i < sizeof(engine_counters) / sizeof(engine_counters[0]);
	     i++) {
		family(b, engine_counters[i].name, "counter",
		       engine_counters[i].help);
		for (e = 0; e < y->nengines; e++) {
			int64_t v = y->engines[e].c[engine_counters[i].c];

			if (v >= 0)
				buf_printf(b, "%s{engine=\"%s\"} %" PRId64 "\n",
					   engine_counters[i].name,
					   y->engines[e].name, v);
		}
	}
	family(b, "ipcoff_engine_busy_seconds_total", "counter",
	       "Submit-to-complete time summed over the engine's copies.");
	for (e = 0; e < y->nengines; e++) {
		if (y->engines[e].c[IPCSYS_BUSY_NS] < 0)
			continue;
		buf_printf(b, "ipcoff_engine_busy_seconds_total{engine=\"%s\"} ",
			   y->engines[e].name);
		seconds(b, (uint64_t)y->engines[e].c[IPCSYS_BUSY_NS]);
		buf_add(b, "\n", 1);
	}
	family(b, "ipcoff_engine_inflight", "gauge",
	       "Copies in flight on the engine now.");
	for (e = 0; e < y->nengines; e++)
		if (y->engines[e].c[IPCSYS_DEPTH] >= 0)
			buf_printf(b, "ipcoff_engine_inflight{engine=\"%s\"} %"
				   PRId64 "\n", y->engines[e].name,
				   y->engines[e].c[IPCSYS_DEPTH]);

	family(b, "ipcoff_engine_latency_seconds", "histogram",
	       "Submit-to-complete time of the engine's copies.");
	for (e = 0; e < y->nengines; e++) {
		const struct ipcsys_engine *x = &y->engines[e];
		uint64_t cum = 0;

		if (x->nbuckets < 2)
			continue;
		for (k = 0; k < x->nbuckets; k++) {
			uint64_t le = ipcsys_bucket_le_us(k, x->nbuckets);

			cum += x->buckets[k];
			buf_printf(b, "ipcoff_engine_latency_seconds_bucket{engine=\"%s\",le=\"",
				   x->name);
			if (le)
				le_seconds(b, le);
			else
				buf_add(b, "+Inf", 4);
			buf_printf(b, "\"} %" PRIu64 "\n", cum);
		}
		buf_printf(b, "ipcoff_engine_latency_seconds_sum{engine=\"%s\"} ",
			   x->name);
		seconds(b, x->c[IPCSYS_BUSY_NS] > 0 ?
			(uint64_t)x->c[IPCSYS_BUSY_NS] : 0);
		buf_printf(b, "\nipcoff_engine_latency_seconds_count{engine=\"%s\"} %"
			   PRIu64 "\n", x->name, cum);
	}
}

static void format_device(const struct scrape *s, struct buf *b)
{
	static const char *const names[IPCOFF_ENGINE_COUNT] = {
		NULL, "cpu", "dma", "elide",
	};
	const struct ipcoff_stats *st = &s->st;
	const uint64_t cache[] = {
		st->cache_clwb_bytes, st->cache_flush_bytes,
		st->cache_nontemporal_bytes, st->cache_inject_bytes,
	};
	static const char *const actions[] = {
		"clwb", "flush", "nontemporal", "inject",
	};
	unsigned int i;

	family(b, "ipcoff_info", "gauge",
	       "The loaded module's version and ABI, as labels.");
	buf_printf(b, "ipcoff_info{version=\"%u.%u.%u\",abi=\"%u\"} 1\n",
		   s->info.module_version >> 16,
		   (s->info.module_version >> 8) & 0xff,
		   s->info.module_version & 0xff, s->info.abi_version);
	family(b, "ipcoff_engine_present", "gauge",
	       "1 when the engine can take copies now.");
	for (i = 1; i < IPCOFF_ENGINE_COUNT; i++)
		buf_printf(b, "ipcoff_engine_present{engine=\"%s\"} %d\n",
			   names[i], !!(s->info.engines & (1U << i)));
	family(b, "ipcoff_cache_bytes_total", "counter",
	       "Destination bytes each cache action covered (inject: pulled into consumers' caches).");
	for (i = 0; i < 4; i++)
		buf_printf(b, "ipcoff_cache_bytes_total{action=\"%s\"} %" PRIu64
			   "\n", actions[i], cache[i]);
}

static void format_sched(const struct scrape *s, struct buf *b)
{
	const struct ipcsys_attrs *a = &s->sched;
	char seen[IPCSYS_MAX_ATTRS + 1][IPCSYS_NAME + 32] = {
		"ipcoff_sched_present",
	};
	int i, j, n = 1;

	for (i = 0; i < a->n; i++) {
		char name[IPCSYS_NAME + 32], metric[IPCSYS_NAME];
		double scale;
		bool dup = false;

		if (!a->a[i].numeric ||
		    !metric_name(a->a[i].name, metric, sizeof(metric), &scale))
			continue;
		snprintf(name, sizeof(name), "ipcoff_sched_%s", metric);
		/* Two files may sanitize to one name: keep the first. */
		for (j = 0; j < n; j++)
			dup |= !strcmp(seen[j], name);
		if (dup)
			continue;
		snprintf(seen[n++], sizeof(seen[0]), "%s", name);
		buf_printf(b, "# HELP %s Scheduler attribute %s%s.\n# TYPE %s gauge\n%s %.15g\n",
			   name, a->a[i].name,
			   scale != 1 ? ", in seconds" : "", name, name,
			   a->a[i].num * scale);
	}
}

void scrape_format(const struct scrape *s, struct buf *b)
{
	family(b, "ipcoff_module_loaded", "gauge",
	       "1 when the ipcoff module is loaded.");
	buf_printf(b, "ipcoff_module_loaded %d\n", s->sys.loaded);
	if (!s->sys.loaded)
		return;
	if (s->sys.pinned_pages >= 0) {
		family(b, "ipcoff_pinned_pages", "gauge",
		       "Pages the module holds pinned (regions, buffers, copies in flight).");
		buf_printf(b, "ipcoff_pinned_pages %" PRId64 "\n",
			   s->sys.pinned_pages);
	}
	if (s->sys.regions >= 0) {
		family(b, "ipcoff_regions", "gauge",
		       "Regions and buffers not yet released.");
		buf_printf(b, "ipcoff_regions %" PRId64 "\n", s->sys.regions);
	}
	if (s->sys.dma_chans >= 0) {
		family(b, "ipcoff_dma_channels", "gauge",
		       "dmaengine channels in rotation.");
		buf_printf(b, "ipcoff_dma_channels %" PRId64 "\n",
			   s->sys.dma_chans);
	}
	format_engines(s, b);
	if (s->have_dev)
		format_device(s, b);
	family(b, "ipcoff_sched_present", "gauge",
	       "1 when the module has a scheduler with attributes.");
	buf_printf(b, "ipcoff_sched_present %d\n", s->have_sched);
	if (s->have_sched)
		format_sched(s, b);
}
