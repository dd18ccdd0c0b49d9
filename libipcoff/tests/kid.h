/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/*
 * Forked children that report over a pipe, for the native channel tests
 * (test-channel.c) and the selftests (selftests/ipcoff_channel_test.c and
 * selftests/ipcoff_async_proc_test.c include it as
 * "../libipcoff/tests/kid.h").
 *
 * Each test has its own struct rep, with an int `line` (0: nothing
 * failed) and a char array `what`: FAIL(r, fmt, ...) records the first
 * failure in it, later ones are dropped; kid_exit(wfd, r) writes it to
 * the parent and exits, 0 if it went and nothing failed. How a child is
 * reaped (and how long it may take) is each test's own.
 */
#ifndef IPCOFF_TESTS_KID_H
#define IPCOFF_TESTS_KID_H

#include <fcntl.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <sys/types.h>
#include <unistd.h>

static inline void __attribute__((format(printf, 5, 6)))
rep_fail_at(int *linep, char *what, size_t size, int line,
	    const char *fmt, ...)
{
	va_list ap;

	if (*linep)
		return;
	*linep = line;
	va_start(ap, fmt);
	vsnprintf(what, size, fmt, ap);
	va_end(ap);
}

#define FAIL(r, ...) \
	rep_fail_at(&(r)->line, (r)->what, sizeof((r)->what), __LINE__, \
		    __VA_ARGS__)

static inline void __attribute__((noreturn))
kid_report_exit(int wfd, const void *r, size_t size, int line)
{
	ssize_t n = write(wfd, r, size);

	_exit(n == (ssize_t)size && !line ? 0 : 1);
}

#define kid_exit(wfd, r) \
	kid_report_exit((wfd), (r), sizeof(*(r)), (r)->line)

struct kid {
	pid_t pid;
	int rfd;		/* its report; -1 in the child or when none */
};

/*
 * fork() with a pipe for the child's report: 0 in the child, with the
 * write end in *@wfd; the child's pid in the parent, with the read end
 * in @k->rfd; -1 if either failed (nothing left open).
 */
static inline pid_t kid_fork_pipe(struct kid *k, int *wfd)
{
	int p[2];

	k->pid = -1;
	k->rfd = -1;
	if (pipe2(p, O_CLOEXEC))
		return -1;
	fflush(stdout);
	fflush(stderr);
	k->pid = fork();
	if (k->pid < 0) {
		close(p[0]);
		close(p[1]);
		return -1;
	}
	if (k->pid == 0) {
		close(p[0]);
		*wfd = p[1];
		return 0;
	}
	close(p[1]);
	k->rfd = p[0];
	return k->pid;
}

#endif
