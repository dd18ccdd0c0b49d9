/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/*
 * ipcoff-exporter: ipcoff's counters in the Prometheus text format
 * (version 0.0.4) over HTTP/1.1. metrics.c gathers and formats a scrape,
 * http.c serves it from a single-threaded poll loop, main.c holds the
 * options. Nothing but libc.
 */
#ifndef IPCOFF_EXPORTER_H
#define IPCOFF_EXPORTER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../common/ipcsys.h"

/* A growable byte buffer; on allocation failure it stays marked failed. */
struct buf {
	char *p;
	size_t len, cap;
	bool failed;
};

void buf_printf(struct buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void buf_add(struct buf *b, const void *p, size_t n);
void buf_free(struct buf *b);

/* Where one scrape reads from. */
struct source {
	const char *dev;
	const char *sysfs;
	const char *params;
};

/* Everything one scrape found. */
struct scrape {
	struct ipcsys_snapshot sys;
	bool have_dev;		/* GET_INFO and STATS answered */
	int dev_err;		/* else why not (-errno) */
	struct ipcoff_info info;
	struct ipcoff_stats st;
	bool have_sched;
	struct ipcsys_attrs sched;
};

void scrape_collect(const struct source *src, struct scrape *s);
/* The exposition text of @s, appended to @out. */
void scrape_format(const struct scrape *s, struct buf *out);

/*
 * A Prometheus-safe name from @in ([a-z0-9_], no leading digit), with an
 * abbreviated time unit part (ns, us, ms) turned into "seconds"; @scale
 * gets the factor that converts the value. Returns false when nothing
 * usable is left.
 */
bool metric_name(const char *in, char *out, size_t size, double *scale);

/* http.c: serve until SIGTERM or SIGINT; 0 on a clean stop, else -errno. */
struct server_opts {
	const char *listen;	/* host:port, [v6]:port */
	const struct source *src;
	int idle_ms;		/* a connection silent this long is dropped */
	bool quiet;
};

int serve(const struct server_opts *o);

/* Splits "host:port" / "[v6]:port"; 0 or -EINVAL. */
int split_hostport(const char *s, char *host, size_t hsize, char *port,
		   size_t psize);

/*
 * Parses the request head in @req (up to and including the blank line):
 * the status to answer with (200, 400, 404, 405, 505) and, for 200,
 * whether it is HEAD.
 */
int http_route(const char *req, size_t len, bool *head);

#endif /* IPCOFF_EXPORTER_H */
