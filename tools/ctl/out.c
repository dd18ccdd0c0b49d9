// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * Output helpers: a small streaming JSON writer (one document per run, to
 * stdout) and human-readable sizes and times.
 */
#include <inttypes.h>
#include <stdio.h>

#include "ctl.h"

#define JW_DEPTH	16

static int jw_depth;
static bool jw_first[JW_DEPTH] = { true };
/* The closing bracket of what was opened at each depth. */
static char jw_closing[JW_DEPTH];

static void jw_string(const char *s)
{
	putchar('"');
	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;

		if (ch == '"' || ch == '\\')
			printf("\\%c", ch);
		else if (ch == '\n')
			fputs("\\n", stdout);
		else if (ch < 0x20)
			printf("\\u%04x", ch);
		else
			putchar(ch);
	}
	putchar('"');
}

/* Separator and key before a value at the current depth. */
static void jw_key(const char *key)
{
	if (!jw_first[jw_depth])
		putchar(',');
	jw_first[jw_depth] = false;
	if (key) {
		jw_string(key);
		putchar(':');
	}
}

static void jw_open(const char *key, char ch)
{
	jw_key(key);
	putchar(ch);
	if (jw_depth < JW_DEPTH - 1)
		jw_depth++;
	jw_first[jw_depth] = true;
	jw_closing[jw_depth] = ch == '[' ? ']' : '}';
}

void jw_obj(const char *key)
{
	jw_open(key, '{');
}

void jw_arr(const char *key)
{
	jw_open(key, '[');
}

void jw_end(void)
{
	putchar(jw_closing[jw_depth] ? jw_closing[jw_depth] : '}');
	if (jw_depth > 0)
		jw_depth--;
}

void jw_str(const char *key, const char *v)
{
	jw_key(key);
	jw_string(v);
}

void jw_int(const char *key, int64_t v)
{
	jw_key(key);
	printf("%" PRId64, v);
}

void jw_uint(const char *key, uint64_t v)
{
	jw_key(key);
	printf("%" PRIu64, v);
}

void jw_bool(const char *key, bool v)
{
	jw_key(key);
	fputs(v ? "true" : "false", stdout);
}

void jw_done(void)
{
	putchar('\n');
	jw_depth = 0;
	jw_first[0] = true;
}

const char *human_bytes(uint64_t bytes, char *buf, size_t size)
{
	static const char *const unit[] = { "B", "KiB", "MiB", "GiB", "TiB" };
	double v = (double)bytes;
	unsigned int u = 0;

	while (v >= 1024 && u < 4) {
		v /= 1024;
		u++;
	}
	if (u == 0)
		snprintf(buf, size, "%" PRIu64 " B", bytes);
	else
		snprintf(buf, size, "%.1f %s", v, unit[u]);
	return buf;
}

const char *human_us(uint64_t us, char *buf, size_t size)
{
	if (us < 1000)
		snprintf(buf, size, "%" PRIu64 " us", us);
	else if (us < 1000000)
		snprintf(buf, size, "%.3g ms", us / 1e3);
	else
		snprintf(buf, size, "%.3g s", us / 1e6);
	return buf;
}
