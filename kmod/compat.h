/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The one place where kernel-version differences are bridged, from the
 * HAVE_* results of the Kbuild probes (probes/), never from version numbers:
 * distribution kernels backport.
 */
#ifndef IPCOFF_COMPAT_H
#define IPCOFF_COMPAT_H

#include "ipcoff_config.h"

#ifdef HAVE_EVENTFD_SIGNAL_NO_COUNT
#define ipcoff_eventfd_signal(ctx)	eventfd_signal(ctx)
#else
#define ipcoff_eventfd_signal(ctx)	eventfd_signal((ctx), 1)
#endif

#ifdef HAVE_VM_FLAGS_SET
#define ipcoff_vm_flags_set(vma, flags)	vm_flags_set((vma), (flags))
#define ipcoff_vm_flags_clear(vma, flags) vm_flags_clear((vma), (flags))
#else
#define ipcoff_vm_flags_set(vma, flags)	((vma)->vm_flags |= (flags))
#define ipcoff_vm_flags_clear(vma, flags) ((vma)->vm_flags &= ~(flags))
#endif

#endif /* IPCOFF_COMPAT_H */
