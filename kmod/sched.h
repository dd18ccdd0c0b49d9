/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The scheduler: which engine runs an IPCOFF_ENGINE_AUTO request, from a
 * cost model per engine that calibration measures and completions keep
 * current (Documentation/scheduler.rst).
 */
#ifndef IPCOFF_SCHED_H
#define IPCOFF_SCHED_H

#include <linux/sysfs.h>

#include "engine.h"

/* Bits of struct ipcoff_request.sched */
#define IPCOFF_SCHED_CALIB	0x1	/* a calibration copy: not learnt from */
#define IPCOFF_SCHED_PART	0x2	/* one engine's part of a split copy */

struct ipcoff_engine *ipcoff_sched_pick(struct ipcoff_request *req);
bool ipcoff_sched_allowed(u32 id);
void ipcoff_sched_start(struct ipcoff_request *req);
void ipcoff_sched_done(struct ipcoff_request *req);
void ipcoff_sched_part_done(struct ipcoff_request *req);
void ipcoff_sched_no_sample(struct ipcoff_request *req);
void ipcoff_sched_engines_changed(void);
void ipcoff_sched_start_engines(void);
int ipcoff_sched_init(void);
void ipcoff_sched_exit(void);
extern const struct attribute_group ipcoff_sched_group;
extern struct ipcoff_engine ipcoff_engine_hybrid;

#endif /* IPCOFF_SCHED_H */
