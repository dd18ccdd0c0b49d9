/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/*
 * libipcoff internals shared by its source files; not installed.
 */
#ifndef LIBIPCOFF_INTERNAL_H
#define LIBIPCOFF_INTERNAL_H

#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/ioctl.h>

#include <ipcoff.h>

static inline int do_ioctl(const struct ipcoff *ipc, unsigned long cmd,
			   void *arg)
{
	return ioctl(ipc->fd, cmd, arg) < 0 ? -errno : 0;
}

/* -EOPNOTSUPP unless the module announced every bit in @need. */
static inline int need_features(const struct ipcoff *ipc, uint64_t need)
{
	return ipcoff_has_feature(ipc, need) ? 0 : -EOPNOTSUPP;
}

static inline uint64_t ptr_to_u64(const void *p)
{
	return (uint64_t)(uintptr_t)p;
}

/* The copy flags that ask for cache actions (IPCOFF_FEAT_CACHE). */
#define COPY_CACHE_FLAGS	(IPCOFF_COPY_CACHE_CLWB | \
				 IPCOFF_COPY_CACHE_FLUSH | \
				 IPCOFF_COPY_CACHE_NONTEMPORAL | \
				 IPCOFF_COPY_INJECT)

/*
 * The features one COPY or SUBMIT request needs besides IPCOFF_FEAT_COPY
 * or IPCOFF_FEAT_ASYNC. @size is the caller's struct size: a program built
 * before LIBIPCOFF_0.4 passes IPCOFF_COPY_SIZE_VER0 bytes, and nothing
 * past them may be read.
 */
static inline uint64_t copy_needs(const struct ipcoff_copy *req, size_t size)
{
	uint64_t need = 0;

	if (req->src.type == IPCOFF_EP_IOVEC ||
	    req->dst.type == IPCOFF_EP_IOVEC)
		need |= IPCOFF_FEAT_IOVEC;
	if (req->flags & IPCOFF_COPY_CPU_FALLBACK)
		need |= IPCOFF_FEAT_COPY_FALLBACK;
	if (req->flags & IPCOFF_COPY_CHUNKED)
		need |= IPCOFF_FEAT_CHUNKED;
	if (req->flags & IPCOFF_COPY_MOVE)
		need |= IPCOFF_FEAT_MOVE;
	if ((req->flags & COPY_CACHE_FLAGS) || req->inject_len ||
	    (size >= IPCOFF_COPY_SIZE_VER1 &&
	     (req->inject_ranges || req->nr_inject_ranges)))
		need |= IPCOFF_FEAT_CACHE;
	return need;
}

/* IPCOFF_IOC_WAIT with IPCOFF_WAIT_* flags (async.c). */
int wait_flags(struct ipcoff *ipc, uint64_t target, int64_t timeout_ns,
	       uint64_t *completed, uint32_t flags);

/* FUTEX_WAKE (shared) of a word the caller changed already (notify.c). */
int futex_wake_only(uint32_t *word, int nr_wake);

/* CLOCK_MONOTONIC nanoseconds (async.c). */
int64_t mono_now_ns(void);

#endif /* LIBIPCOFF_INTERNAL_H */
