/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Requests and the engines that run them.
 *
 * A request is refcounted: the submitter holds one reference and an engine
 * that finishes later (a DMA callback) holds its own, so a submitter that
 * gives up waiting (fatal signal, timeout) never frees what an engine still
 * uses. Whatever completes a request last drops the region references, and
 * the pages are unpinned from the release workqueue.
 */
#ifndef IPCOFF_ENGINE_H
#define IPCOFF_ENGINE_H

#include <linux/atomic.h>
#include <linux/completion.h>
#include <linux/kref.h>
#include <linux/ktime.h>
#include <linux/workqueue.h>

#include "ipcoff.h"

/**
 * struct ipcoff_engine_stats - what an engine did, for sysfs and tests
 * @requests: requests it ran to the end
 * @bytes: bytes it moved
 * @descriptors: hardware descriptors (or CPU pieces) it issued
 * @errors: requests it completed with an error
 * @fallbacks: requests or parts it handed to the CPU
 * @timeouts: requests whose waiter gave up on it
 * @depth: requests in flight now
 * @busy_ns: submit-to-complete time summed over requests
 */
struct ipcoff_engine_stats {
	atomic64_t requests;
	atomic64_t bytes;
	atomic64_t descriptors;
	atomic64_t errors;
	atomic64_t fallbacks;
	atomic64_t timeouts;
	atomic_t depth;
	atomic64_t busy_ns;
};

struct ipcoff_request;

/*
 * Latency histogram buckets per engine: bucket k counts copies whose
 * submit-to-complete time is at most 2^k microseconds (and above the
 * previous bound), k = 0..20; the last one counts the slower ones.
 */
#define IPCOFF_LAT_BUCKETS	22

/**
 * struct ipcoff_engine - one way of moving bytes
 * @id: IPCOFF_ENGINE_*
 * @name: name in sysfs and logs
 * @present: whether the engine can take requests now
 * @needs_pages: it works on pinned pages only: local iovecs are pinned
 *	before it gets the request
 * @serves: 0 when the engine can run @req, else the errno a request that
 *	forces this engine gets
 * @submit: start @req; the engine calls ipcoff_request_complete() exactly
 *	once, possibly before returning
 * @timeout_ms: optional; how long a waiter waits before giving up
 * @timed_out: optional; a waiter gave up on @req (which is still running)
 * @stats: counters
 */
struct ipcoff_engine {
	u32 id;
	const char *name;
	bool (*present)(void);
	bool needs_pages;
	int (*serves)(const struct ipcoff_request *req);
	void (*submit)(struct ipcoff_request *req);
	unsigned int (*timeout_ms)(void);
	void (*timed_out)(struct ipcoff_request *req);
	struct ipcoff_engine_stats stats;
};

/**
 * struct ipcoff_request - one copy on its way through an engine
 * @ref: the submitter's reference plus the engine's while it runs
 * @src: where the bytes come from
 * @dst: where they go
 * @len: bytes to move
 * @flags: IPCOFF_COPY_*
 * @forced: the caller chose @engine; it may not hand the request on
 * @engine: the engine that runs it
 * @ran: IPCOFF_ENGINE_* that moved the bytes: @engine's, or the cpu's when
 *	the engine handed the whole request over
 * @result: 0 or -errno, valid once @done completed
 * @copied: bytes that arrived, valid once @done completed
 * @descriptors: descriptors (dma) or page pieces (cpu) the engine issued
 * @start: submission time, for the engine's busy time
 * @done: completed by ipcoff_request_complete()
 * @lock: protects @priv against a waiter that gave up, @next and @part
 * @priv: the engine's per-request state
 * @async: submitted with SUBMIT: a cpu copy runs on a worker
 * @finished: the request completed (under @lock, for ipcoff_request_link())
 * @claims: IPCOFF_REQ_CLAIM_* single uses this request spent
 * @skip: bytes of both ends before this request's part (a chunk)
 * @user_data: given back in the completion entry
 * @qos: IPCOFF_QOS_* of an auto request, for the scheduler
 * @sched: IPCOFF_SCHED_* marks of the scheduler (sched.c)
 * @pred_ns: the scheduler's prediction of the submit-to-complete time (of
 *	the whole, for a split), or 0 when the request is not one to learn
 *	from
 * @split: a copy split between cpu and dma: the bytes the cpu copies,
 *	from the start; the dma copies the rest
 * @parts: a split copy's parts not completed yet
 * @part: a split copy's parts, cpu then dma (referenced), until it
 *	completes (under @lock)
 * @cqe_flags: IPCOFF_CQE_* of the completion entry
 * @ring: the submitter's ring, with a place reserved (referenced), or NULL
 *	for a synchronous copy
 * @notify: entry for a NOTIFY destination's owner, or NULL
 * @inject: lines to pull into the consumer's cache (IPCOFF_COPY_INJECT),
 *	handed to the consumer's ring when the copy succeeds, or NULL
 * @parent: a chunk's whole copy, which owns the ends (referenced)
 * @next: LINK successor, started when this one succeeds (its reference)
 * @work: runs the request on the async worker (cpu engine)
 * @link_work: starts a LINK successor after its predecessor
 */
struct ipcoff_request {
	struct kref ref;
	struct ipcoff_xfer_end src;
	struct ipcoff_xfer_end dst;
	u64 len;
	u32 flags;
	bool forced;
	struct ipcoff_engine *engine;
	u32 ran;
	int result;
	u64 copied;
	u64 descriptors;
	ktime_t start;
	struct completion done;
	spinlock_t lock;	/* protects @priv, @finished, @next, @part */
	void *priv;
	bool async;
	bool finished;
	u8 claims;
	u64 skip;
	u64 user_data;
	u32 qos;
	u8 sched;
	u64 pred_ns;
	u64 split;
	atomic_t parts;
	struct ipcoff_request *part[2];
	u32 cqe_flags;
	struct ipcoff_ring *ring;
	struct ipcoff_cqe_node *notify;
	struct ipcoff_inject *inject;
	struct ipcoff_request *parent;
	struct ipcoff_request *next;
	struct work_struct work;
	struct work_struct link_work;
};

/* Bits of struct ipcoff_request.claims */
#define IPCOFF_REQ_CLAIM_SRC	0x1
#define IPCOFF_REQ_CLAIM_DST	0x2

/* request.c */
struct ipcoff_request *ipcoff_request_alloc(void);
void ipcoff_request_get(struct ipcoff_request *req);
void ipcoff_request_put(struct ipcoff_request *req);
void ipcoff_request_submit(struct ipcoff_request *req);
void ipcoff_request_complete(struct ipcoff_request *req, int result,
			     u64 copied);
int ipcoff_request_wait(struct ipcoff_request *req);
void ipcoff_request_link(struct ipcoff_request *prev,
			 struct ipcoff_request *next);
void ipcoff_request_cancel(struct ipcoff_request *req);
void ipcoff_request_queue(struct ipcoff_request *req, work_func_t fn);
int ipcoff_request_init(void);
void ipcoff_request_exit(void);
void ipcoff_end_unpin(struct ipcoff_xfer_end *end);
struct page *ipcoff_end_page(const struct ipcoff_xfer_end *end, u64 pos,
			     unsigned int *poff, u64 *span);

/* copy.c */
int ipcoff_copy_prepare(struct ipcoff_ctx *ctx, struct ipcoff_copy *args,
			bool async, struct ipcoff_request **out);
void ipcoff_request_unclaim(struct ipcoff_request *req);
struct ipcoff_cqe_node *ipcoff_notify_alloc(struct ipcoff_request *req,
					    u64 skip, u64 len);

/* engine.c */
struct ipcoff_engine *ipcoff_engine_pick(u32 want,
					 struct ipcoff_request *req);
u32 ipcoff_engines_present(void);
void ipcoff_engine_counters(u32 id, struct ipcoff_engine_counters *out);
void ipcoff_engine_account(struct ipcoff_engine *e, u64 ns);
int ipcoff_engine_init(void);
void ipcoff_engine_exit(void);
extern const struct attribute_group ipcoff_cpu_stats_group;
extern const struct attribute_group ipcoff_dma_stats_group;
extern const struct attribute_group ipcoff_elide_stats_group;
extern const struct attribute_group ipcoff_dma_ctl_group;

/* engine_cpu.c */
extern struct ipcoff_engine ipcoff_engine_cpu;

/* engine_elide.c */
extern struct ipcoff_engine ipcoff_engine_elide;
int ipcoff_cpu_copy(struct ipcoff_request *req, u64 skip, u64 len,
		    u64 *copied, u64 *pieces);

#endif /* IPCOFF_ENGINE_H */
