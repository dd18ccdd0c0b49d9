// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * The HTTP/1.1 side: one listening socket, non-blocking connections in a
 * poll loop, one request per connection (Connection: close). A request
 * head may arrive in pieces and a response may leave in pieces; a client
 * that stalls is dropped after idle_ms. SIGTERM and SIGINT are blocked
 * except inside ppoll(), so a stop request is never lost between a check
 * and the wait.
 */
#define _GNU_SOURCE	/* accept4, ppoll */
#include <errno.h>
#include <fcntl.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "exporter.h"

#define MAX_CONNS	64
#define MAX_HEAD	8192

struct conn {
	int fd;
	char req[MAX_HEAD + 1];
	size_t got;
	struct buf out;		/* the response */
	size_t sent;
	int64_t deadline;	/* ms, monotonic */
};

static volatile sig_atomic_t stop_signal;

static void on_stop(int sig)
{
	stop_signal = sig;
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int split_hostport(const char *s, char *host, size_t hsize, char *port,
		   size_t psize)
{
	const char *colon;
	size_t hlen;

	if (s[0] == '[') {
		const char *end = strchr(s, ']');

		if (!end || end[1] != ':')
			return -EINVAL;
		hlen = (size_t)(end - s - 1);
		s++;
		colon = end + 1;
	} else {
		colon = strrchr(s, ':');
		if (!colon)
			return -EINVAL;
		hlen = (size_t)(colon - s);
	}
	if (hlen >= hsize || strlen(colon + 1) >= psize || !colon[1])
		return -EINVAL;
	memcpy(host, s, hlen);
	host[hlen] = 0;
	snprintf(port, psize, "%s", colon + 1);
	return 0;
}

/*
 * Numeric addresses only (and "localhost"): the exporter is static and
 * must not depend on NSS at run time.
 */
static int listen_on(const char *addr)
{
	struct sockaddr_storage ss;
	struct sockaddr_in *in4 = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;
	char host[256], port[32], *end;
	socklen_t len;
	unsigned long p;
	int fd, one = 1, err;

	memset(&ss, 0, sizeof(ss));
	if (split_hostport(addr, host, sizeof(host), port, sizeof(port)))
		goto bad;
	errno = 0;
	p = strtoul(port, &end, 10);
	if (errno || *end || p > 65535)
		goto bad;
	if (!strcmp(host, "localhost"))
		snprintf(host, sizeof(host), "127.0.0.1");
	if (!host[0] || !strcmp(host, "*"))
		snprintf(host, sizeof(host), "0.0.0.0");
	if (inet_pton(AF_INET, host, &in4->sin_addr) == 1) {
		in4->sin_family = AF_INET;
		in4->sin_port = htons((uint16_t)p);
		len = sizeof(*in4);
	} else if (inet_pton(AF_INET6, host, &in6->sin6_addr) == 1) {
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons((uint16_t)p);
		len = sizeof(*in6);
	} else {
		goto bad;
	}
	fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
		    0);
	if (fd < 0)
		return -errno;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&ss, len) || listen(fd, 16)) {
		err = -errno;
		fprintf(stderr, "ipcoff-exporter: cannot listen on %s: %s\n",
			addr, strerror(-err));
		close(fd);
		return err;
	}
	return fd;
bad:
	fprintf(stderr, "ipcoff-exporter: bad address '%s' (numeric host:port or [v6]:port)\n",
		addr);
	return -EINVAL;
}

int http_route(const char *req, size_t len, bool *head)
{
	char method[16], target[1024], version[16];
	const char *eol = memchr(req, '\n', len);
	size_t n;

	*head = false;
	if (!eol)
		return 400;
	n = (size_t)(eol - req);
	if (n && req[n - 1] == '\r')
		n--;
	{
		char line[1100];
		char *q;

		if (n >= sizeof(line))
			return 400;
		memcpy(line, req, n);
		line[n] = 0;
		/* Exactly three parts, separated by one space each. */
		if (sscanf(line, "%15[A-Z] %1023[^ ] %15[^ ]", method, target,
			   version) != 3)
			return 400;
		q = strchr(target, '?');
		if (q)
			*q = 0;
	}
	if (strncmp(version, "HTTP/1.", 7))
		return strncmp(version, "HTTP/", 5) ? 400 : 505;
	if (strcmp(target, "/metrics"))
		return 404;
	if (!strcmp(method, "HEAD"))
		*head = true;
	else if (strcmp(method, "GET"))
		return 405;
	return 200;
}

static const char *reason(int status)
{
	switch (status) {
	case 200: return "OK";
	case 400: return "Bad Request";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 431: return "Request Header Fields Too Large";
	case 500: return "Internal Server Error";
	case 505: return "HTTP Version Not Supported";
	default: return "Error";
	}
}

/* The whole response for the request in @c->req. */
static void respond(struct conn *c, const struct source *src, int status,
		    bool head)
{
	struct buf body = { 0 };
	const char *type = "text/plain; charset=utf-8";

	if (status == 200) {
		struct scrape *s = malloc(sizeof(*s));

		if (s) {
			scrape_collect(src, s);
			scrape_format(s, &body);
			free(s);
		}
		if (!s || body.failed) {
			buf_free(&body);
			status = 500;
		} else {
			type = "text/plain; version=0.0.4; charset=utf-8";
		}
	}
	if (status != 200)
		buf_printf(&body, "%d %s\n", status, reason(status));
	buf_printf(&c->out, "HTTP/1.1 %d %s\r\nContent-Type: %s\r\n"
		   "Content-Length: %zu\r\nConnection: close\r\n",
		   status, reason(status), type, body.len);
	if (status == 405)
		buf_printf(&c->out, "Allow: GET, HEAD\r\n");
	buf_printf(&c->out, "\r\n");
	if (!head && body.len)
		buf_add(&c->out, body.p, body.len);
	buf_free(&body);
}

static void conn_close(struct conn *c)
{
	close(c->fd);
	buf_free(&c->out);
	c->fd = -1;
}

/* Reads what arrived; answers once the head is complete. */
static void conn_read(struct conn *c, const struct source *src)
{
	for (;;) {
		bool head = false;
		int status;
		ssize_t n;
		char *end;

		if (c->got == MAX_HEAD) {
			respond(c, src, 431, false);
			return;
		}
		n = read(c->fd, c->req + c->got, MAX_HEAD - c->got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		if (n <= 0) {
			conn_close(c);
			return;
		}
		c->got += (size_t)n;
		c->req[c->got] = 0;
		end = strstr(c->req, "\r\n\r\n");
		if (!end)
			end = strstr(c->req, "\n\n");
		if (!end)
			continue;
		status = http_route(c->req, c->got, &head);
		respond(c, src, status, head);
		return;
	}
}

static void conn_write(struct conn *c)
{
	while (c->sent < c->out.len) {
		ssize_t n = send(c->fd, c->out.p + c->sent,
				 c->out.len - c->sent, MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		if (n <= 0)
			break;
		c->sent += (size_t)n;
	}
	/* Done, or the client went away: either way this one is over. */
	shutdown(c->fd, SHUT_WR);
	conn_close(c);
}

static void accept_all(int lfd, struct conn *conns, int idle_ms)
{
	for (;;) {
		int fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		int i;

		if (fd < 0)
			return;
		for (i = 0; i < MAX_CONNS && conns[i].fd >= 0; i++)
			;
		if (i == MAX_CONNS) {
			/* Full: the oldest clients are served first. */
			close(fd);
			continue;
		}
		memset(&conns[i], 0, sizeof(conns[i]));
		conns[i].fd = fd;
		conns[i].deadline = now_ms() + idle_ms;
	}
}

int serve(const struct server_opts *o)
{
	struct sigaction sa = { .sa_handler = on_stop };
	struct pollfd pfd[MAX_CONNS + 1];
	int map[MAX_CONNS + 1];
	sigset_t block, waitmask;
	struct conn *conns;
	int lfd, i, ret = 0;

	conns = calloc(MAX_CONNS, sizeof(*conns));
	if (!conns)
		return -ENOMEM;
	for (i = 0; i < MAX_CONNS; i++)
		conns[i].fd = -1;
	sigemptyset(&block);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGINT);
	sigprocmask(SIG_BLOCK, &block, &waitmask);
	sigdelset(&waitmask, SIGTERM);
	sigdelset(&waitmask, SIGINT);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	lfd = listen_on(o->listen);
	if (lfd < 0) {
		free(conns);
		return lfd;
	}
	if (!o->quiet)
		fprintf(stderr, "ipcoff-exporter: serving http://%s/metrics\n",
			o->listen);

	while (!stop_signal) {
		struct timespec tmo = { .tv_sec = 1 };
		int64_t now;
		int n = 0;

		pfd[n].fd = lfd;
		pfd[n].events = POLLIN;
		map[n++] = -1;
		for (i = 0; i < MAX_CONNS; i++) {
			if (conns[i].fd < 0)
				continue;
			pfd[n].fd = conns[i].fd;
			pfd[n].events = conns[i].out.len ? POLLOUT : POLLIN;
			map[n++] = i;
		}
		if (ppoll(pfd, (nfds_t)n, &tmo, &waitmask) < 0) {
			if (errno == EINTR)
				continue;
			ret = -errno;
			break;
		}
		now = now_ms();
		for (i = 1; i < n; i++) {
			struct conn *c = &conns[map[i]];
			short ev = pfd[i].revents;

			if (ev & (POLLERR | POLLNVAL)) {
				conn_close(c);
				continue;
			}
			if (ev && !c->out.len)
				conn_read(c, o->src);
			/* A fresh response usually fits the socket at once. */
			if (c->fd >= 0 && c->out.len && ev)
				conn_write(c);
			if (c->fd >= 0 && now > c->deadline)
				conn_close(c);
		}
		if (pfd[0].revents & POLLIN)
			accept_all(lfd, conns, o->idle_ms);
	}
	for (i = 0; i < MAX_CONNS; i++)
		if (conns[i].fd >= 0)
			conn_close(&conns[i]);
	close(lfd);
	free(conns);
	if (!o->quiet && stop_signal)
		fprintf(stderr, "ipcoff-exporter: stopped by signal %d\n",
			(int)stop_signal);
	return ret;
}
