// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * libipcoff: waking programs that already sleep with FUTEX_WAIT.
 *
 * The module cannot wake a futex (the kernel exports no futex_wake), and a
 * futex cannot live in the /dev/ipcoff mapping (its pages are not in the
 * page cache nor anonymous, so the futex key lookup fails). So the word
 * lives in memory the program shares (memfd, POSIX shm, MAP_SHARED
 * anonymous) and whoever reaps a completion bumps it and calls FUTEX_WAKE:
 * either the destination owner's own reaping code, or the notifier thread
 * below, which watches a context's completed count for it.
 */
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
#include <linux/futex.h>

#include <ipcoff.h>

#include "internal.h"

/*
 * The notifier sleeps in WAIT at most this long before it looks at its stop
 * flag: the bound on how long ipcoff_notifier_stop() takes.
 */
#define NOTIFIER_PERIOD_NS	(50 * 1000000LL)

/* FUTEX_WAIT's timeout is a struct timespec; pick the syscall that matches. */
static long sys_futex(uint32_t *word, int op, uint32_t val,
		      const struct timespec *ts)
{
#ifdef SYS_futex_time64
	if (sizeof(ts->tv_sec) > sizeof(long))
		return syscall(SYS_futex_time64, word, op, val, ts, NULL, 0);
#endif
#ifdef SYS_futex
	return syscall(SYS_futex, word, op, val, ts, NULL, 0);
#else
	return syscall(SYS_futex_time64, word, op, val, ts, NULL, 0);
#endif
}

static bool word_ok(const uint32_t *word)
{
	return word && !((uintptr_t)word % sizeof(*word));
}

int ipcoff_futex_wake(uint32_t *word, int nr_wake)
{
	long ret;

	if (!word_ok(word) || nr_wake < 0)
		return -EINVAL;
	/*
	 * Change the word before waking: a waiter that read the old value
	 * and has not slept yet gets EAGAIN from FUTEX_WAIT instead of
	 * sleeping through this wake-up.
	 */
	__atomic_fetch_add(word, 1, __ATOMIC_SEQ_CST);
	if (!nr_wake)
		return 0;
	/* Not FUTEX_PRIVATE_FLAG: the waiters may be other processes. */
	ret = sys_futex(word, FUTEX_WAKE, (uint32_t)nr_wake, NULL);
	if (ret < 0)
		return -errno;
	return ret > INT_MAX ? INT_MAX : (int)ret;
}

/* FUTEX_WAKE without touching the word: the caller already changed it. */
int futex_wake_only(uint32_t *word, int nr_wake)
{
	long ret = sys_futex(word, FUTEX_WAKE, (uint32_t)nr_wake, NULL);

	return ret < 0 ? -errno : (int)(ret > INT_MAX ? INT_MAX : ret);
}

int ipcoff_futex_wait(uint32_t *word, uint32_t seen, int64_t timeout_ns)
{
	struct timespec ts;

	if (!word_ok(word))
		return -EINVAL;
	if (timeout_ns >= 0) {
		ts.tv_sec = (time_t)(timeout_ns / 1000000000);
		ts.tv_nsec = (long)(timeout_ns % 1000000000);
	}
	if (sys_futex(word, FUTEX_WAIT, seen,
		      timeout_ns >= 0 ? &ts : NULL) == 0)
		return 0;
	/* EAGAIN: the word was no longer @seen, which is the news. */
	return errno == EAGAIN ? 0 : -errno;
}

/**
 * struct ipcoff_notifier - a thread that turns completions into futex wakes
 * @ipc: a copy of the caller's handle (the thread needs the fd and features)
 * @word: the futex word, in memory the program shares
 * @last: the completed count last acted on
 * @thread: the thread
 * @stop: set by ipcoff_notifier_stop()
 * @wait_flags: IPCOFF_WAIT_NO_INJECT where the module knows it
 */
struct ipcoff_notifier {
	struct ipcoff ipc;
	uint32_t *word;
	uint64_t last;
	uint32_t wait_flags;
	pthread_t thread;
	int stop;
};

static void *notifier_main(void *arg)
{
	struct ipcoff_notifier *n = arg;

	while (!__atomic_load_n(&n->stop, __ATOMIC_ACQUIRE)) {
		uint64_t done = n->last;
		int ret;

		/*
		 * Never consumes entries: it only watches the count move.
		 * Injections are for the consumer's CPU, not this thread's.
		 */
		ret = wait_flags(&n->ipc, n->last + 1, NOTIFIER_PERIOD_NS,
				 &done, n->wait_flags);
		if (ret == -ETIMEDOUT || ret == -EINTR)
			continue;
		if (ret)
			break;	/* the fd went away: nothing more will come */
		if (done > n->last) {
			n->last = done;
			ipcoff_futex_wake(n->word, INT_MAX);
		}
	}
	return NULL;
}

int ipcoff_notifier_start(struct ipcoff *ipc, uint32_t *word,
			  struct ipcoff_notifier **out)
{
	struct ipcoff_notifier *n;
	sigset_t all, old;
	int ret;

	*out = NULL;
	ret = need_features(ipc, IPCOFF_FEAT_ASYNC);
	if (ret)
		return ret;
	if (!word_ok(word))
		return -EINVAL;
	n = calloc(1, sizeof(*n));
	if (!n)
		return -ENOMEM;
	n->ipc = *ipc;
	n->word = word;
	if (ipcoff_has_feature(ipc, IPCOFF_FEAT_CACHE))
		n->wait_flags = IPCOFF_WAIT_NO_INJECT;
	/* Completions from now on; also fails early without a ring. */
	ret = wait_flags(ipc, 0, 0, &n->last, n->wait_flags);
	if (ret)
		goto err;

	/* Signals are for the program's threads, not for this one. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	ret = -pthread_create(&n->thread, NULL, notifier_main, n);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (ret)
		goto err;
	*out = n;
	return 0;
err:
	free(n);
	return ret;
}

void ipcoff_notifier_stop(struct ipcoff_notifier *n)
{
	if (!n)
		return;
	__atomic_store_n(&n->stop, 1, __ATOMIC_RELEASE);
	pthread_join(n->thread, NULL);
	free(n);
}
