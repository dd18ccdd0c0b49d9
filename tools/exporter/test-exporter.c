// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * Native tests of the operator tools, no module needed (built with ASan
 * and UBSan by "make check-native"): metric names, the request parser, a
 * scrape of a made-up sysfs tree, the HTTP server over loopback (requests
 * in pieces, 404, 405, 431, an idle client, SIGTERM), and ipcoffctl's exit
 * codes and JSON against the same tree, and "ipcoffctl rdma" against a
 * made-up /sys/class/infiniband.
 *
 *   test-exporter SCRATCH_DIR IPCOFFCTL
 *
 * SCRATCH_DIR must not exist yet: the fake tree is made there. The last
 * line is "N passed, N failed".
 */
#include <arpa/inet.h>
#include <errno.h>
#include <ifaddrs.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "exporter.h"

/* Paths here are short; a cut one would only fail a check. */
#pragma GCC diagnostic ignored "-Wformat-truncation"

static int passed, failed;

#define CHECK(cond, ...) do { \
	if (cond) { \
		passed++; \
	} else { \
		failed++; \
		printf("FAIL %s:%d: %s: ", __FILE__, __LINE__, #cond); \
		printf(__VA_ARGS__); \
		printf("\n"); \
	} \
} while (0)

static void put(const char *dir, const char *name, const char *fmt, ...)
{
	char path[1024];
	va_list ap;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	if (!f) {
		perror(path);
		exit(2);
	}
	va_start(ap, fmt);
	vfprintf(f, fmt, ap);
	va_end(ap);
	fclose(f);
}

static void mkdirs(const char *root, const char *sub)
{
	char path[1024];

	snprintf(path, sizeof(path), "%s/%s", root, sub);
	if (mkdir(path, 0755) && errno != EEXIST) {
		perror(path);
		exit(2);
	}
}

/* A module with cpu and dma engines and a scheduler directory. */
static void make_tree(const char *root)
{
	static const char *const names[] = {
		"requests", "bytes", "descriptors", "errors", "fallbacks",
		"timeouts", "depth", "busy_ns",
	};
	char dir[1024];
	unsigned int i;

	if (mkdir(root, 0755)) {
		perror(root);
		exit(2);
	}
	mkdirs(root, "cpu");
	mkdirs(root, "dma");
	mkdirs(root, "sched");
	mkdirs(root, "power");	/* not an engine: no counters */
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		snprintf(dir, sizeof(dir), "%s/cpu", root);
		put(dir, names[i], "%u\n", 10 + i);
		snprintf(dir, sizeof(dir), "%s/dma", root);
		put(dir, names[i], "0\n");
	}
	snprintf(dir, sizeof(dir), "%s/cpu", root);
	put(dir, "busy_ns", "1500000123\n");
	put(dir, "latency_buckets",
	    "0 1 2 3 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 1\n");
	snprintf(dir, sizeof(dir), "%s/dma", root);
	put(dir, "latency_buckets",
	    "0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0\n");
	put(root, "pinned_pages", "32\n");
	put(root, "regions", "2\n");
	put(root, "dma_chans", "0\n");
	snprintf(dir, sizeof(dir), "%s/sched", root);
	put(dir, "decisions_cpu", "7\n");
	put(dir, "dma_fixed_ns", "420\n");
	put(dir, "mode", "latency\n");	/* not numeric: no gauge */
	put(dir, "ignored_total", "3\n");
}

static void test_names(void)
{
	static const struct {
		const char *in, *out;
		double scale;
	} cases[] = {
		{ "decisions_cpu", "decisions_cpu", 1 },
		{ "dma_fixed_ns", "dma_fixed_seconds", 1e-9 },
		{ "decay_ms", "decay_seconds", 1e-3 },
		{ "lat_us_max", "lat_seconds_max", 1e-6 },
		{ "Weird-Name.x", "weird_name_x", 1 },
		{ "bytes_total", "bytes", 1 },
		{ "__a__b__", "a_b", 1 },
	};
	char out[64];
	double scale;
	unsigned int i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		bool ok = metric_name(cases[i].in, out, sizeof(out), &scale);

		CHECK(ok && !strcmp(out, cases[i].out) &&
		      scale == cases[i].scale, "%s -> %s (%g)", cases[i].in,
		      ok ? out : "(none)", scale);
	}
	CHECK(!metric_name("", out, sizeof(out), &scale), "empty");
	CHECK(!metric_name("-.-", out, sizeof(out), &scale), "separators");
}

static void test_route(void)
{
	static const struct {
		const char *req;
		int status;
		bool head;
	} cases[] = {
		{ "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n", 200, false },
		{ "HEAD /metrics HTTP/1.0\r\n\r\n", 200, true },
		{ "GET /metrics?name[]=x HTTP/1.1\r\n\r\n", 200, false },
		{ "GET / HTTP/1.1\r\n\r\n", 404, false },
		{ "GET /metrics/ HTTP/1.1\r\n\r\n", 404, false },
		{ "POST /metrics HTTP/1.1\r\n\r\n", 405, false },
		{ "DELETE /metrics HTTP/1.1\r\n\r\n", 405, false },
		{ "GET /metrics HTTP/2.0\r\n\r\n", 505, false },
		{ "GET /metrics\r\n\r\n", 400, false },
		{ "get /metrics HTTP/1.1\r\n\r\n", 400, false },
		{ "\r\n\r\n", 400, false },
		{ "GET /metrics HTTP/1.1", 400, false },
	};
	unsigned int i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		bool head;
		int st = http_route(cases[i].req, strlen(cases[i].req), &head);

		CHECK(st == cases[i].status &&
		      (st != 200 || head == cases[i].head),
		      "'%.20s': %d", cases[i].req, st);
	}
}

static void test_hostport(void)
{
	char h[64], p[16];

	CHECK(!split_hostport("127.0.0.1:9814", h, sizeof(h), p, sizeof(p)) &&
	      !strcmp(h, "127.0.0.1") && !strcmp(p, "9814"), "v4");
	CHECK(!split_hostport("[::1]:80", h, sizeof(h), p, sizeof(p)) &&
	      !strcmp(h, "::1") && !strcmp(p, "80"), "v6");
	CHECK(!split_hostport(":80", h, sizeof(h), p, sizeof(p)) && !h[0],
	      "any");
	CHECK(split_hostport("nohost", h, sizeof(h), p, sizeof(p)) ==
	      -EINVAL, "no port");
	CHECK(split_hostport("[::1]80", h, sizeof(h), p, sizeof(p)) ==
	      -EINVAL, "v6 no colon");
	CHECK(split_hostport("h:", h, sizeof(h), p, sizeof(p)) == -EINVAL,
	      "empty port");
}

/* The first sample of @name (with labels) in @text, or -1. */
static double sample(const char *text, const char *name)
{
	size_t n = strlen(name);
	const char *p = text;

	while ((p = strstr(p, name))) {
		if ((p == text || p[-1] == '\n') && p[n] == ' ')
			return strtod(p + n + 1, NULL);
		p += n;
	}
	return -1;
}

/* Every sample's family has HELP and TYPE before it, once. */
static bool well_formed(const char *text)
{
	char seen[64][96];
	int nseen = 0, i;
	const char *line = text;

	while (*line) {
		const char *eol = strchr(line, '\n');
		char name[96];
		size_t n;

		if (!eol)
			return false;
		if (!strncmp(line, "# TYPE ", 7)) {
			sscanf(line + 7, "%95s", name);
			for (i = 0; i < nseen; i++)
				if (!strcmp(seen[i], name))
					return false;
			if (nseen < 64)
				snprintf(seen[nseen++], sizeof(seen[0]), "%s",
					 name);
		} else if (line[0] != '#') {
			n = strcspn(line, "{ ");
			if (n >= sizeof(name))
				return false;
			memcpy(name, line, n);
			name[n] = 0;
			for (i = 0; i < nseen; i++) {
				size_t k = strlen(seen[i]);

				if (!strncmp(name, seen[i], k) &&
				    (!name[k] || !strcmp(name + k, "_bucket") ||
				     !strcmp(name + k, "_sum") ||
				     !strcmp(name + k, "_count")))
					break;
			}
			if (i == nseen)
				return false;
		}
		line = eol + 1;
	}
	return true;
}

static void test_scrape(const char *root)
{
	struct source src = {
		.dev = "/nonexistent/ipcoff",
		.sysfs = root,
		.params = "/nonexistent",
	};
	struct scrape *s = malloc(sizeof(*s));
	struct buf b = { 0 };
	const char *t;

	scrape_collect(&src, s);
	scrape_format(s, &b);
	t = b.p;
	CHECK(!b.failed && t, "formatted");
	CHECK(well_formed(t), "HELP/TYPE before every family, once:\n%s", t);
	CHECK(sample(t, "ipcoff_module_loaded") == 1, "loaded");
	CHECK(sample(t, "ipcoff_pinned_pages") == 32, "pinned");
	CHECK(sample(t, "ipcoff_regions") == 2, "regions");
	CHECK(sample(t, "ipcoff_engine_requests_total{engine=\"cpu\"}") == 10,
	      "cpu requests");
	CHECK(sample(t, "ipcoff_engine_bytes_total{engine=\"dma\"}") == 0,
	      "dma bytes");
	CHECK(!strstr(t, "engine=\"power\""), "power is no engine");
	CHECK(sample(t, "ipcoff_engine_latency_seconds_bucket{engine=\"cpu\",le=\"0.000001\"}") == 0,
	      "first bucket");
	CHECK(sample(t, "ipcoff_engine_latency_seconds_bucket{engine=\"cpu\",le=\"0.000004\"}") == 3,
	      "cumulative");
	CHECK(sample(t, "ipcoff_engine_latency_seconds_bucket{engine=\"cpu\",le=\"1.048576\"}") == 6,
	      "last bound");
	CHECK(sample(t, "ipcoff_engine_latency_seconds_bucket{engine=\"cpu\",le=\"+Inf\"}") == 7,
	      "+Inf");
	CHECK(sample(t, "ipcoff_engine_latency_seconds_count{engine=\"cpu\"}") == 7,
	      "count");
	CHECK(strstr(t, "ipcoff_engine_latency_seconds_sum{engine=\"cpu\"} 1.500000123\n"),
	      "exact sum");
	CHECK(strstr(t, "ipcoff_engine_busy_seconds_total{engine=\"cpu\"} 1.500000123\n"),
	      "busy seconds");
	CHECK(sample(t, "ipcoff_sched_present") == 1, "sched present");
	CHECK(sample(t, "ipcoff_sched_decisions_cpu") == 7, "decisions");
	CHECK(sample(t, "ipcoff_sched_dma_fixed_seconds") == 4.2e-07,
	      "ns to seconds");
	CHECK(sample(t, "ipcoff_sched_ignored") == 3, "no gauge _total");
	CHECK(!strstr(t, "sched_mode"), "text attribute left out");
	CHECK(!strstr(t, "ipcoff_cache_bytes_total"), "no device, no STATS");
	buf_free(&b);

	src.sysfs = "/nonexistent/ipcoff";
	scrape_collect(&src, s);
	scrape_format(s, &b);
	CHECK(!strcmp(b.p, "# HELP ipcoff_module_loaded 1 when the ipcoff module is loaded.\n"
			   "# TYPE ipcoff_module_loaded gauge\n"
			   "ipcoff_module_loaded 0\n"), "unloaded: %s", b.p);
	buf_free(&b);
	free(s);
}

/* A free loopback port, found by binding port 0. */
static int free_port(void)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t len = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM, 0), port;

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof(a)) ||
	    getsockname(fd, (struct sockaddr *)&a, &len))
		return -1;
	port = ntohs(a.sin_port);
	close(fd);
	return port;
}

static int connect_to(int port)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	int fd, i;

	a.sin_port = htons((uint16_t)port);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	for (i = 0; i < 50; i++) {
		fd = socket(AF_INET, SOCK_STREAM, 0);
		if (!connect(fd, (struct sockaddr *)&a, sizeof(a)))
			return fd;
		close(fd);
		usleep(20000);
	}
	return -1;
}

static void msleep(int ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

/* Sends @req in @pieces parts, 30 ms apart; the whole answer in @out. */
static void exchange(int port, const char *req, int pieces, struct buf *out)
{
	size_t len = strlen(req), sent = 0;
	int fd = connect_to(port), i;
	char chunk[4096];
	ssize_t n;

	memset(out, 0, sizeof(*out));
	if (fd < 0)
		return;
	for (i = 0; i < pieces; i++) {
		size_t part = i == pieces - 1 ? len - sent : len / pieces;

		if (write(fd, req + sent, part) != (ssize_t)part)
			break;
		sent += part;
		msleep(30);
	}
	while ((n = read(fd, chunk, sizeof(chunk))) > 0)
		buf_add(out, chunk, (size_t)n);
	close(fd);
}

static void test_server(const char *root)
{
	struct source src = {
		.dev = "/nonexistent/ipcoff", .sysfs = root,
		.params = "/nonexistent",
	};
	char listen[64], big[8192 + 1];
	int port = free_port(), idle, st;
	struct server_opts so = {
		.listen = listen, .src = &src, .idle_ms = 3000, .quiet = true,
	};
	struct buf r;
	pid_t pid;

	snprintf(listen, sizeof(listen), "127.0.0.1:%d", port);
	pid = fork();
	if (pid == 0)
		_exit(serve(&so) ? 1 : 0);

	/* A client that says nothing does not hold up the others. */
	idle = connect_to(port);
	CHECK(idle >= 0, "connect");

	exchange(port, "GET /metrics HTTP/1.1\r\nHost: t\r\n\r\n", 3, &r);
	CHECK(r.p && !strncmp(r.p, "HTTP/1.1 200 OK\r\n", 17), "200: %s",
	      r.p ? r.p : "(nothing)");
	if (r.p) {
		const char *body = strstr(r.p, "\r\n\r\n");
		const char *cl = strstr(r.p, "Content-Length: ");

		CHECK(body && cl && strtoul(cl + 16, NULL, 10) ==
		      strlen(body + 4), "Content-Length matches");
		CHECK(strstr(r.p, "text/plain; version=0.0.4"), "content type");
		CHECK(body && strstr(body, "ipcoff_regions 2\n"), "body");
	}
	buf_free(&r);

	exchange(port, "HEAD /metrics HTTP/1.1\r\n\r\n", 1, &r);
	CHECK(r.p && !strncmp(r.p, "HTTP/1.1 200", 12) &&
	      !strcmp(strstr(r.p, "\r\n\r\n"), "\r\n\r\n"), "HEAD: no body");
	buf_free(&r);
	exchange(port, "GET /other HTTP/1.1\r\n\r\n", 1, &r);
	CHECK(r.p && !strncmp(r.p, "HTTP/1.1 404", 12), "404");
	buf_free(&r);
	exchange(port, "PUT /metrics HTTP/1.1\r\n\r\n", 2, &r);
	CHECK(r.p && !strncmp(r.p, "HTTP/1.1 405", 12) &&
	      strstr(r.p, "Allow: GET, HEAD\r\n"), "405");
	buf_free(&r);
	/* Exactly the limit and no end of head: nothing is left unread. */
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = 0;
	memcpy(big, "GET /metrics HTTP/1.1\r\nX: ", 26);
	exchange(port, big, 1, &r);
	CHECK(r.p && !strncmp(r.p, "HTTP/1.1 431", 12), "431");
	buf_free(&r);
	exchange(port, "BREW /pot\r\n\r\n", 1, &r);
	CHECK(r.p && !strncmp(r.p, "HTTP/1.1 400", 12), "400");
	buf_free(&r);

	if (idle >= 0)
		close(idle);
	kill(pid, SIGTERM);
	CHECK(waitpid(pid, &st, 0) == pid && WIFEXITED(st) &&
	      WEXITSTATUS(st) == 0, "SIGTERM: clean exit (status 0x%x)", st);
}

/* Runs @cmd; its exit status, and its stdout in @out. */
static int run(const char *cmd, struct buf *out)
{
	char chunk[4096];
	size_t n;
	FILE *p;
	int st;

	memset(out, 0, sizeof(*out));
	p = popen(cmd, "r");
	if (!p)
		return -1;
	while ((n = fread(chunk, 1, sizeof(chunk), p)) > 0)
		buf_add(out, chunk, n);
	st = pclose(p);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* Braces and brackets balance outside strings, and it is one value. */
static bool json_shaped(const char *s)
{
	int depth = 0;
	bool str = false;

	if (!s || (*s != '{' && *s != '['))
		return false;
	for (; *s; s++) {
		if (str) {
			if (*s == '\\' && s[1])
				s++;
			else if (*s == '"')
				str = false;
			continue;
		}
		if (*s == '"')
			str = true;
		else if (*s == '{' || *s == '[')
			depth++;
		else if (*s == '}' || *s == ']')
			depth--;
		else if (*s == '\n' && s[1])
			return false;
		if (depth < 0)
			return false;
	}
	return depth == 0 && !str;
}

static void test_ctl(const char *root, const char *ctl)
{
	char cmd[2048];
	struct buf o;
	int rc;

	snprintf(cmd, sizeof(cmd), "%s --sysfs %s latency", ctl, root);
	rc = run(cmd, &o);
	CHECK(rc == 0 && o.p && strstr(o.p, "cpu: 7 copies"), "latency: %d",
	      rc);
	buf_free(&o);
	snprintf(cmd, sizeof(cmd), "%s --sysfs %s --json latency cpu", ctl,
		 root);
	rc = run(cmd, &o);
	CHECK(rc == 0 && json_shaped(o.p), "latency --json: %s", o.p);
	buf_free(&o);
	snprintf(cmd, sizeof(cmd), "%s --sysfs %s latency nosuch 2>/dev/null",
		 ctl, root);
	CHECK(run(cmd, &o) == 2, "unknown engine: usage");
	buf_free(&o);
	snprintf(cmd, sizeof(cmd), "%s --sysfs %s --json engines", ctl, root);
	rc = run(cmd, &o);
	CHECK(rc == 0 && json_shaped(o.p), "engines --json: %s", o.p);
	buf_free(&o);
	snprintf(cmd, sizeof(cmd), "%s --sysfs %s sched", ctl, root);
	rc = run(cmd, &o);
	CHECK(rc == 0 && o.p && strstr(o.p, "decisions_cpu=7\n") &&
	      strstr(o.p, "mode=latency\n"), "sched list: %d", rc);
	buf_free(&o);
	snprintf(cmd, sizeof(cmd), "%s --sysfs %s sched set dma_fixed_ns 99",
		 ctl, root);
	CHECK(run(cmd, &o) == 0, "sched set");
	buf_free(&o);
	snprintf(cmd, sizeof(cmd), "%s --sysfs %s sched get dma_fixed_ns", ctl,
		 root);
	rc = run(cmd, &o);
	CHECK(rc == 0 && o.p && !strcmp(o.p, "99\n"), "sched get: %s", o.p);
	buf_free(&o);
	snprintf(cmd, sizeof(cmd), "%s --sysfs %s/cpu sched 2>&1", ctl, root);
	rc = run(cmd, &o);
	CHECK(rc == 5 && o.p && strstr(o.p, "scheduler not present"),
	      "no scheduler: %d", rc);
	buf_free(&o);
	snprintf(cmd, sizeof(cmd), "%s --sysfs %s/none --json status 2>/dev/null",
		 ctl, root);
	rc = run(cmd, &o);
	CHECK(rc == 3 && json_shaped(o.p), "not loaded: %d %s", rc, o.p);
	buf_free(&o);
	snprintf(cmd, sizeof(cmd), "%s --sysfs %s -d %s/none stats 2>/dev/null",
		 ctl, root, root);
	CHECK(run(cmd, &o) == 1, "no device node: failure");
	buf_free(&o);
	snprintf(cmd, sizeof(cmd), "%s --bogus 2>/dev/null", ctl);
	CHECK(run(cmd, &o) == 2, "bad option");
	buf_free(&o);
}

/* "ADDR/8" when this host's lo has 127.0.0.1 (getifaddrs), else "". */
static const char *lo_v4(void)
{
	static char want[32];
	struct ifaddrs *ifa, *i;

	want[0] = 0;
	if (getifaddrs(&ifa))
		return want;
	for (i = ifa; i; i = i->ifa_next)
		if (i->ifa_addr && i->ifa_addr->sa_family == AF_INET &&
		    !strcmp(i->ifa_name, "lo") &&
		    ((struct sockaddr_in *)i->ifa_addr)->sin_addr.s_addr ==
		    htonl(INADDR_LOOPBACK))
			snprintf(want, sizeof(want), "\"127.0.0.1/8\"");
	freeifaddrs(ifa);
	return want;
}

/* A port directory @port (its parent made) below @ib, with its state. */
static void make_ib_port(const char *ib, const char *port, const char *state,
			 const char *phys_state, const char *link_layer)
{
	char d[1024];

	mkdirs(ib, port);
	snprintf(d, sizeof(d), "%s/%s", ib, port);
	put(d, "state", "%s\n", state);
	put(d, "phys_state", "%s\n", phys_state);
	put(d, "link_layer", "%s\n", link_layer);
}

/*
 * A made-up /sys/class/infiniband: rxe0 (soft-RoCE, its netdev in
 * "parent" only) on lo, and a hardware device whose driver is named by
 * its device link, with a down InfiniBand port 1 and an active port 2.
 */
static void make_ib_tree(const char *ib)
{
	char d[1024], t[1024], hw[1024];

	mkdirs(ib, "");
	mkdirs(ib, "rxe0");
	mkdirs(ib, "rxe0/ports");
	snprintf(d, sizeof(d), "%s/rxe0", ib);
	put(d, "parent", "lo\n");
	put(d, "node_type", "1: CA\n");
	put(d, "node_desc", "rxe0 on lo\n");
	make_ib_port(ib, "rxe0/ports/1", "4: ACTIVE", "5: LinkUp", "Ethernet");

	/* The device and its driver, outside the class directory. */
	snprintf(hw, sizeof(hw), "%s-hw", ib);
	mkdirs(hw, "");
	mkdirs(hw, "drivers");
	mkdirs(hw, "drivers/mlx5_core");
	mkdirs(hw, "pci0");
	snprintf(d, sizeof(d), "%s/pci0/driver", hw);
	snprintf(t, sizeof(t), "%s/drivers/mlx5_core", hw);
	if (symlink(t, d))
		perror(d);
	mkdirs(ib, "mlx5_0");
	snprintf(d, sizeof(d), "%s/mlx5_0/device", ib);
	snprintf(t, sizeof(t), "%s/pci0", hw);
	if (symlink(t, d))
		perror(d);
	snprintf(d, sizeof(d), "%s/mlx5_0", ib);
	put(d, "node_type", "1: CA\n");
	/* Ports listed out of order on purpose: 10 sorts after 2. */
	mkdirs(ib, "mlx5_0/ports");
	make_ib_port(ib, "mlx5_0/ports/10", "1: DOWN", "3: Disabled",
		     "InfiniBand");
	make_ib_port(ib, "mlx5_0/ports/2", "4: ACTIVE", "5: LinkUp", "Ethernet");
	snprintf(d, sizeof(d), "%s/mlx5_0/ports/2", ib);
	put(d, "rate", "100 Gb/sec (4X EDR)\n");
	mkdirs(ib, "mlx5_0/ports/2/gid_attrs");
	mkdirs(ib, "mlx5_0/ports/2/gid_attrs/ndevs");
	snprintf(d, sizeof(d), "%s/mlx5_0/ports/2/gid_attrs/ndevs", ib);
	put(d, "0", "lo\n");
}

/* ipcoffctl rdma: no devices, then the made-up two; no module needed. */
static void test_ctl_rdma(const char *scratch, const char *ctl)
{
	const char *lo = lo_v4();
	char cmd[2048], ib[1024];
	struct buf o;
	int rc;

	/* --sysfs names no module: rdma is about the host, not ipcoff. */
	snprintf(cmd, sizeof(cmd),
		 "IPCOFFCTL_IB_SYSFS=%s/no-ib %s --sysfs %s/none rdma", scratch,
		 ctl, scratch);
	rc = run(cmd, &o);
	CHECK(rc == 0 && o.p && strstr(o.p, "(no RDMA devices: ") &&
	      strstr(o.p, "no-ib is empty or absent)\n"), "rdma, none: %d %s",
	      rc, o.p);
	buf_free(&o);
	snprintf(ib, sizeof(ib), "%s/ib-empty", scratch);
	mkdirs(ib, "");
	snprintf(cmd, sizeof(cmd), "IPCOFFCTL_IB_SYSFS=%s %s --json rdma", ib,
		 ctl);
	rc = run(cmd, &o);
	CHECK(rc == 0 && o.p && !strcmp(o.p, "{\"devices\":[]}\n"),
	      "rdma --json, none: %d %s", rc, o.p);
	buf_free(&o);
	snprintf(cmd, sizeof(cmd), "IPCOFFCTL_IB_SYSFS=%s %s rdma extra 2>/dev/null",
		 ib, ctl);
	CHECK(run(cmd, &o) == 2, "rdma with an argument: usage");
	buf_free(&o);
	/* A class "directory" that is a file: an error, said in the JSON. */
	snprintf(cmd, sizeof(cmd),
		 "IPCOFFCTL_IB_SYSFS=%s/ipcoff/pinned_pages %s --json rdma 2>/dev/null",
		 scratch, ctl);
	rc = run(cmd, &o);
	CHECK(rc == 1 && json_shaped(o.p) && strstr(o.p, "\"error\":") &&
	      strstr(o.p, "Not a directory"), "rdma, not a directory: %d %s",
	      rc, o.p);
	buf_free(&o);

	snprintf(ib, sizeof(ib), "%s/ib", scratch);
	make_ib_tree(ib);
	snprintf(cmd, sizeof(cmd), "IPCOFFCTL_IB_SYSFS=%s %s --sysfs %s/none --json rdma",
		 ib, ctl, scratch);
	rc = run(cmd, &o);
	CHECK(rc == 0 && json_shaped(o.p), "rdma --json: %d %s", rc, o.p);
	/* Sorted: mlx5_0 before rxe0, port 2 before port 10. */
	CHECK(o.p && strstr(o.p, "{\"devices\":[{\"name\":\"mlx5_0\","
			    "\"driver\":\"mlx5_core\",\"software\":false,"
			    "\"node_type\":\"CA\""), "hardware device: %s", o.p);
	CHECK(o.p && strstr(o.p, "\"ports\":[{\"port\":2,\"state\":\"ACTIVE\","
			    "\"state_num\":4,\"phys_state\":\"LinkUp\","
			    "\"phys_state_num\":5,\"link_layer\":\"Ethernet\","
			    "\"rate\":\"100 Gb/sec (4X EDR)\",\"netdev\":\"lo\""),
	      "hardware port 2: %s", o.p);
	CHECK(o.p && strstr(o.p, "{\"port\":10,\"state\":\"DOWN\",\"state_num\":1,"
			    "\"phys_state\":\"Disabled\",\"phys_state_num\":3,"
			    "\"link_layer\":\"InfiniBand\",\"rate\":\"\","
			    "\"netdev\":\"\",\"ipv4\":[]}"), "hardware port 10: %s",
	      o.p);
	CHECK(o.p && strstr(o.p, "{\"name\":\"rxe0\",\"driver\":\"rxe\","
			    "\"software\":true,\"node_type\":\"CA\","
			    "\"node_desc\":\"rxe0 on lo\""), "rxe0: %s", o.p);
	CHECK(o.p && strstr(o.p, "\"state\":\"ACTIVE\",\"state_num\":4,"
			    "\"phys_state\":\"LinkUp\",\"phys_state_num\":5,"
			    "\"link_layer\":\"Ethernet\",\"rate\":\"\","
			    "\"netdev\":\"lo\",\"ipv4\":["), "rxe0 port 1: %s", o.p);
	if (lo[0]) {
		char want[64];

		snprintf(want, sizeof(want), "\"ipv4\":[%s]}]}]}\n", lo);
		CHECK(o.p && strstr(o.p, want), "rxe0's lo address: %s", o.p);
	}
	buf_free(&o);
	snprintf(cmd, sizeof(cmd), "IPCOFFCTL_IB_SYSFS=%s %s rdma", ib, ctl);
	rc = run(cmd, &o);
	CHECK(rc == 0 && o.p && !strncmp(o.p, "DEVICE ", 7) &&
	      strstr(o.p, "\nrxe0         rxe        CA       1 ACTIVE       "
			  "LinkUp     Ethernet   lo        ") &&
	      strstr(o.p, "\nmlx5_0       mlx5_core  CA      10 DOWN         "
			  "Disabled   InfiniBand -          -\n"),
	      "rdma table: %d %s", rc, o.p);
	buf_free(&o);
}

int main(int argc, char **argv)
{
	char root[1024];

	if (argc != 3) {
		fprintf(stderr, "usage: %s SCRATCH_DIR IPCOFFCTL\n", argv[0]);
		return 2;
	}
	if (mkdir(argv[1], 0755)) {
		perror(argv[1]);
		return 2;
	}
	snprintf(root, sizeof(root), "%s/ipcoff", argv[1]);
	make_tree(root);
	test_names();
	test_route();
	test_hostport();
	test_scrape(root);
	test_server(root);
	test_ctl(root, argv[2]);
	test_ctl_rdma(argv[1], argv[2]);
	printf("%d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}
