// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * Reading the module's sysfs directory and STATS for the operator tools.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ipcsys.h"

const char *const ipcsys_counter_names[IPCSYS_NR_COUNTERS] = {
	[IPCSYS_REQUESTS] = "requests",
	[IPCSYS_BYTES] = "bytes",
	[IPCSYS_DESCRIPTORS] = "descriptors",
	[IPCSYS_ERRORS] = "errors",
	[IPCSYS_FALLBACKS] = "fallbacks",
	[IPCSYS_TIMEOUTS] = "timeouts",
	[IPCSYS_DEPTH] = "depth",
	[IPCSYS_BUSY_NS] = "busy_ns",
};

int ipcsys_read(const char *path, char *buf, size_t size)
{
	size_t got = 0;
	int fd, err;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	while (got + 1 < size) {
		ssize_t n = read(fd, buf + got, size - 1 - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			err = -errno;
			close(fd);
			return err;
		}
		if (n == 0)
			break;
		got += (size_t)n;
	}
	close(fd);
	buf[got] = 0;
	while (got && (buf[got - 1] == '\n' || buf[got - 1] == ' '))
		buf[--got] = 0;
	return 0;
}

int ipcsys_read_i64(const char *path, int64_t *v)
{
	char buf[64], *end;
	long long x;
	int ret = ipcsys_read(path, buf, sizeof(buf));

	if (ret)
		return ret;
	errno = 0;
	x = strtoll(buf, &end, 10);
	if (errno || end == buf || *end)
		return -EBADMSG;
	*v = x;
	return 0;
}

int ipcsys_write(const char *path, const char *val)
{
	size_t len = strlen(val);
	ssize_t n;
	int fd, err = 0;

	fd = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = write(fd, val, len);
	if (n < 0)
		err = -errno;
	else if ((size_t)n != len)
		err = -EIO;
	/* sysfs reports a store's error at write(); close only frees. */
	close(fd);
	return err;
}

int ipcsys_parse_buckets(const char *line, uint64_t *b, int max)
{
	const char *p = line;
	int n = 0;

	for (;;) {
		unsigned long long v;
		char *end;

		while (*p == ' ' || *p == '\t' || *p == '\n')
			p++;
		if (!*p)
			break;
		if (n == max || *p < '0' || *p > '9')
			return -EINVAL;
		errno = 0;
		v = strtoull(p, &end, 10);
		if (errno || end == p)
			return -EINVAL;
		b[n++] = v;
		p = end;
	}
	/* At least one bound and the rest. */
	return n >= 2 ? n : -EINVAL;
}

uint64_t ipcsys_bucket_le_us(int k, int nbuckets)
{
	if (k >= nbuckets - 1 || k >= 63)
		return 0;
	return 1ULL << k;
}

static int name_cmp(const void *a, const void *b)
{
	return strcmp(((const struct ipcsys_engine *)a)->name,
		      ((const struct ipcsys_engine *)b)->name);
}

/* Engine @name in @root; -ENOENT when the directory is no engine's. */
static int read_engine(const char *root, const char *name,
		       struct ipcsys_engine *e)
{
	char path[1024], line[1024];
	int i, n;

	snprintf(path, sizeof(path), "%s/%s/requests", root, name);
	if (access(path, R_OK))
		return -ENOENT;
	memset(e, 0, sizeof(*e));
	if (strlen(name) >= sizeof(e->name))
		return -ENAMETOOLONG;
	memcpy(e->name, name, strlen(name) + 1);
	for (i = 0; i < IPCSYS_NR_COUNTERS; i++) {
		snprintf(path, sizeof(path), "%s/%s/%s", root, name,
			 ipcsys_counter_names[i]);
		if (ipcsys_read_i64(path, &e->c[i]))
			e->c[i] = -1;
	}
	snprintf(path, sizeof(path), "%s/%s/latency_buckets", root, name);
	e->nbuckets = 0;
	if (!ipcsys_read(path, line, sizeof(line))) {
		n = ipcsys_parse_buckets(line, e->buckets, IPCSYS_MAX_BUCKETS);
		e->nbuckets = n > 0 ? n : 0;
	}
	return 0;
}

static int64_t read_or_absent(const char *root, const char *name)
{
	char path[1024];
	int64_t v;

	snprintf(path, sizeof(path), "%s/%s", root, name);
	return ipcsys_read_i64(path, &v) ? -1 : v;
}

int ipcsys_snapshot(const char *root, struct ipcsys_snapshot *s)
{
	struct dirent *de;
	DIR *d;

	memset(s, 0, sizeof(*s));
	s->pinned_pages = s->regions = s->dma_chans = -1;
	d = opendir(root);
	if (!d)
		return -errno;
	s->loaded = true;
	while ((de = readdir(d)) && s->nengines < IPCSYS_MAX_ENGINES) {
		if (de->d_name[0] == '.' ||
		    strlen(de->d_name) >= IPCSYS_NAME)
			continue;
		if (!read_engine(root, de->d_name, &s->engines[s->nengines]))
			s->nengines++;
	}
	closedir(d);
	qsort(s->engines, s->nengines, sizeof(s->engines[0]), name_cmp);
	s->pinned_pages = read_or_absent(root, "pinned_pages");
	s->regions = read_or_absent(root, "regions");
	s->dma_chans = read_or_absent(root, "dma_chans");
	return 0;
}

static int attr_cmp(const void *a, const void *b)
{
	return strcmp(((const struct ipcsys_attr *)a)->name,
		      ((const struct ipcsys_attr *)b)->name);
}

int ipcsys_attrs(const char *dir, const char *prefix, struct ipcsys_attrs *out)
{
	size_t plen = prefix ? strlen(prefix) : 0;
	struct dirent *de;
	DIR *d;

	memset(out, 0, sizeof(*out));
	d = opendir(dir);
	if (!d)
		return -errno;
	snprintf(out->dir, sizeof(out->dir), "%s", dir);
	while ((de = readdir(d)) && out->n < IPCSYS_MAX_ATTRS) {
		struct ipcsys_attr *a = &out->a[out->n];
		char path[1024], *end;
		struct stat st;

		if (de->d_name[0] == '.' ||
		    strlen(de->d_name) >= IPCSYS_NAME ||
		    (plen && strncmp(de->d_name, prefix, plen)))
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		if (stat(path, &st) || !S_ISREG(st.st_mode))
			continue;
		memset(a, 0, sizeof(*a));
		memcpy(a->name, de->d_name, strlen(de->d_name) + 1);
		a->writable = st.st_mode & 0222;
		/* Write-only controls have no value to show. */
		if (!(st.st_mode & 0444) ||
		    ipcsys_read(path, a->value, sizeof(a->value)))
			a->value[0] = 0;
		if (a->value[0]) {
			errno = 0;
			a->num = strtod(a->value, &end);
			a->numeric = !errno && end != a->value && !*end;
		}
		out->n++;
	}
	closedir(d);
	qsort(out->a, out->n, sizeof(out->a[0]), attr_cmp);
	return 0;
}

int ipcsys_sched(const char *root, const char *params,
		 struct ipcsys_attrs *out)
{
	char dir[1024];
	int i, n = 0;

	snprintf(dir, sizeof(dir), "%s/sched", root);
	if (!ipcsys_attrs(dir, NULL, out) && out->n)
		return 0;
	if (ipcsys_attrs(params, "sched_", out) || !out->n) {
		memset(out, 0, sizeof(*out));
		return -ENOENT;
	}
	/* Parameters are named sched_X; show X, as the directory would. */
	snprintf(out->prefix, sizeof(out->prefix), "sched_");
	for (i = 0; i < out->n; i++) {
		memmove(out->a[i].name, out->a[i].name + 6,
			strlen(out->a[i].name + 6) + 1);
		n++;
	}
	return n ? 0 : -ENOENT;
}

int ipcsys_stats(const char *dev, struct ipcoff_info *info,
		 struct ipcoff_stats *st)
{
	int fd, err = 0;

	fd = open(dev, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (info) {
		memset(info, 0, sizeof(*info));
		if (ioctl(fd, IPCOFF_IOC_GET_INFO, info))
			err = -errno;
	}
	if (!err && st) {
		memset(st, 0, sizeof(*st));
		if (ioctl(fd, IPCOFF_IOC_STATS, st))
			err = -errno;
	}
	close(fd);
	return err;
}
