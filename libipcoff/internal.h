/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/*
 * libipcoff internals shared by its source files; not installed.
 */
#ifndef LIBIPCOFF_INTERNAL_H
#define LIBIPCOFF_INTERNAL_H

#include <errno.h>
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

#endif /* LIBIPCOFF_INTERNAL_H */
