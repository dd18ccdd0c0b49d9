/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/*
 * ipcoff-bench: shared definitions.
 *
 * A case is one (workload, size, transport) triple. A run of a case forks
 * the workload's processes (producer and consumer, or a server and its
 * clients); they talk over channels. A channel carries messages one way:
 * a descriptor ring in shared memory (ring.c: spin-then-futex hand-off)
 * plus whatever the transport under test does with the payload (shm.c,
 * cma.c, ipcoff.c; channel.c brings its own hand-off). The parent steers
 * the run's phases (warm-up, measure, stop), and collects what each
 * process measured (harness.c).
 */
#ifndef IPCOFF_BENCH_H
#define IPCOFF_BENCH_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define BENCH_SCHEMA		1
#define ARRAY_SIZE(a)		(sizeof(a) / sizeof((a)[0]))
#define CACHELINE		64
#define KiB			(1024UL)
#define MiB			(1024UL * 1024UL)
#define NSEC_PER_SEC		1000000000ULL
#define ENGINES			4	/* IPCOFF_ENGINE_COUNT: auto, cpu, dma, elide */

/* Process and channel limits of one run. */
#define MAX_PROCS		9	/* a kv server and up to 8 clients */
#define MAX_CHANS		16

/* Outcome of a case, a run, or a transport's availability check. */
enum bench_status {
	ST_OK = 0,
	ST_NA,		/* the transport cannot serve this case ("n/a") */
	ST_ABSENT,	/* /dev/ipcoff missing: "ipcoff absent" */
	ST_ERROR,	/* something failed; the reason says what */
};

enum workload {
	WL_PINGPONG,
	WL_STREAM,
	WL_STREAM_INPLACE,
	WL_PIPELINE,
	WL_VIDEO,
	WL_KV,
	WL_KV_MIXED,	/* kv with 4 KiB..4 MiB values: by --workloads only */
	WL_COUNT,
};

/* Workload constants from issue 6. */
#define PIPELINE_TENSOR		(3 * MiB)
#define PIPELINE_META		1024
#define VIDEO_FRAME		3110400UL	/* 1920x1080 YUV420 */
#define KV_KEY			64
#define KV_VAL_MIN		(4 * KiB)
#define KV_VAL_MAX		(64 * KiB)
#define KV_VALUES		64
#define KV_MIXED_MAX		(4 * MiB)	/* kv-mixed: 4 KiB..4 MiB, log-uniform */

enum bench_mode { MODE_QUICK, MODE_DEFAULT, MODE_FULL };

struct bench_opts {
	enum bench_mode mode;
	double warmup_s;	/* per run, before measuring */
	double duration_s;	/* per run, measured (at least) */
	double max_s;		/* per run, measured at most */
	unsigned long min_msgs;	/* measure until this many, up to max_s */
	unsigned int repeats;
	unsigned int spin;	/* spin iterations before a futex wait */
	double spin_us;		/* the same as a time, when spin is 0 */
	unsigned int kv_clients;
	unsigned int async_chunks;	/* pieces of a large async copy */
	int fill;		/* every producer writes every byte of every message */
	unsigned long max_samples;	/* latency samples kept per process */
	const char *json_path;
	const char *workloads;	/* comma list filter, NULL = all */
	const char *transports;	/* comma list of labels, NULL = all */
	const char *sizes;	/* comma list overriding the mode's sizes */
	const char *engine_threads;	/* comm prefixes of engine kthreads */
	const char *device;	/* /dev/ipcoff */
	const char *peer;	/* --peer: the other host of rdma cases */
	int list_only;
};

extern struct bench_opts opts;

/* ------------------------------------------------------------------ */
/* Time and CPU accounting (cpuacct.c)                                 */
/* ------------------------------------------------------------------ */

uint64_t now_ns(void);

struct cpu_sample {
	uint64_t cpu_ns;	/* CLOCK_PROCESS_CPUTIME_ID */
	uint64_t user_ns;	/* getrusage */
	uint64_t sys_ns;
};

void cpu_sample_self(struct cpu_sample *s);

/*
 * Kernel threads that run the engine's copies (the test provider's
 * channel threads, the workqueue workers of asynchronous cpu copies),
 * with the CPU time each had when the snapshot was taken.
 */
struct engine_threads {
	unsigned int n;
	pid_t pid[512];
	uint64_t ns[512];
};

void engine_threads_snap(struct engine_threads *et, const char *prefixes);
uint64_t engine_threads_delta(const struct engine_threads *a,
			      const struct engine_threads *b);

/* ------------------------------------------------------------------ */
/* Futex hand-off (futex.c)                                             */
/* ------------------------------------------------------------------ */

void futex_wait_shared(_Atomic uint32_t *addr, uint32_t expected);
void futex_wake_shared(_Atomic uint32_t *addr, int n);

static inline void cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#else
	atomic_signal_fence(memory_order_seq_cst);
#endif
}

/* A reusable barrier for the processes of one run. */
struct barrier {
	_Atomic uint32_t count;
	_Atomic uint32_t gen;
	uint32_t n;
};

extern double spin_ns_per_iter;
void spin_calibrate(void);
void barrier_init(struct barrier *b, uint32_t n);
void barrier_wait(struct barrier *b);

/*
 * A wake-up word several rings can share: the kv server sleeps on one
 * doorbell for all its clients' request rings.
 */
struct doorbell {
	_Alignas(CACHELINE) _Atomic uint32_t seq;
	_Alignas(CACHELINE) _Atomic uint32_t waiting;
	char pad[CACHELINE - sizeof(uint32_t)];
};

/* ------------------------------------------------------------------ */
/* Descriptor ring (ring.c)                                             */
/* ------------------------------------------------------------------ */

/* Descriptor flags. */
#define DESC_END	0x1U	/* no more messages */

/* One message's descriptor; inline metadata follows it in the slot. */
struct desc {
	uint64_t seq;
	uint64_t off;		/* payload: offset in the sender's area */
	uint64_t len;		/* payload bytes */
	uint64_t t_send;	/* now_ns() when the sender started it */
	uint32_t meta_len;	/* inline metadata bytes after the header */
	uint32_t flags;		/* DESC_* */
	uint32_t user;		/* workload's own (kv: value index) */
	uint32_t pad;
	uint64_t reserved[2];
};

/*
 * Single producer, single consumer. head and tail are free-running 32-bit
 * counters and the futex words their waiters sleep on; each sits alone in
 * a cache line, and so does each waiting flag, which is written only when
 * its owner goes to sleep: a busy ring moves no line but the descriptor's
 * and the counter's.
 */
struct ring {
	_Alignas(CACHELINE) _Atomic uint32_t head;	/* producer writes */
	_Alignas(CACHELINE) _Atomic uint32_t tail;	/* consumer writes */
	_Alignas(CACHELINE) _Atomic uint32_t cons_waiting;
	_Alignas(CACHELINE) _Atomic uint32_t prod_waiting;
	_Alignas(CACHELINE) uint32_t depth;	/* power of two */
	uint32_t slot_bytes;	/* descriptor + metadata, cache-line multiple */
	uint32_t meta_max;
	uint32_t spin;
	struct doorbell *bell;	/* if set, publishing rings it instead */
	/* Each side's private copy of the other's counter. */
	_Alignas(CACHELINE) uint32_t prod_tail_cache;
	_Alignas(CACHELINE) uint32_t cons_head_cache;
	_Alignas(CACHELINE) unsigned char slots[];
};

size_t ring_bytes(uint32_t depth, uint32_t meta_max);
void ring_init(struct ring *r, uint32_t depth, uint32_t meta_max,
	       uint32_t spin, struct doorbell *bell);
/* Producer: wait for a free slot, fill it, publish it. */
struct desc *ring_reserve(struct ring *r, uint32_t seq);
void ring_publish(struct ring *r);
/* Consumer: the next descriptor (waiting when @wait), then release it. */
struct desc *ring_peek(struct ring *r, int wait);
void ring_release(struct ring *r);
struct desc *ring_peek_ahead(struct ring *r, uint32_t k);
/* kv server: sleep on a doorbell until it moves from @seen. */
void doorbell_wait(struct doorbell *b, uint32_t seen, unsigned int spin);

/* ------------------------------------------------------------------ */
/* Transports (transport.c, shm.c, cma.c, ipcoff.c)                     */
/* ------------------------------------------------------------------ */

struct chan;
struct bench_case;
struct transport;

/* How a channel is shaped; fixed by the workload before fork. */
struct chan_cfg {
	size_t slot_size;	/* largest payload */
	uint32_t depth;		/* descriptors in flight, power of two */
	uint32_t meta_max;	/* inline metadata bytes per descriptor */
	int inplace;		/* receiver reads where it is, if it can */
	int ring_only;		/* no transport: small messages in the ring */
	int bell;		/* publishing rings the run's doorbell */
};

/* Sender's view of one channel, in the sending process. */
struct tx {
	struct chan *ch;
	void *area;		/* the workload's source memory */
	size_t area_len;
	void *priv;		/* transport's per-process state */
	char why[160];		/* set with ST_NA/ST_ERROR returns of send() */
};

/* Receiver's view of one channel, in the receiving process. */
struct rx {
	struct chan *ch;
	void *area;		/* the workload's destination memory */
	size_t area_len;	/* depth slots of slot_size */
	void *priv;
	char why[160];		/* set with ST_NA/ST_ERROR returns */
};

/* A message as the workload sees it. */
struct msg {
	uint64_t seq;
	uint64_t off;		/* tx: payload offset in the tx area */
	uint64_t len;
	uint64_t t_send;
	uint32_t flags;		/* DESC_* */
	uint32_t user;
	uint32_t meta_len;
	const void *meta;	/* tx: bytes to carry inline; rx: where they are */
	const void *data;	/* rx: where the payload can be read */
	uint64_t ready;		/* rx: bytes from data on that are there */
	struct desc *d;		/* rx: the descriptor, until release */
};

/*
 * One transport, per role. The parent calls check() once per case and
 * chan_init()/chan_fini() around each run; the sender process calls
 * tx_open(), send() per message and tx_close(); the receiver rx_open(),
 * recv() and release() per message, rx_close(). Every rx_open() of a run
 * comes after every tx_open() (a barrier), so a receiver may use what its
 * sender published in the channel's shared state. recv() returns ST_OK,
 * or ST_NA/ST_ERROR with rx->why set. An asynchronous transport keeps
 * several copies in flight inside recv() (it looks ahead in the ring with
 * ring_peek_ahead(), copies into rx_slot(seq) of its depth slots) and
 * still hands messages out in order; release() frees the oldest.
 *
 * A message is normally whole when recv() returns (m->ready == m->len).
 * On an in-place channel a transport with more() may hand it out as soon
 * as its first part is there (m->ready < m->len: Async-Pipe chunks); the
 * reader works on the bytes it has and calls more() for the rest, which
 * waits until m->ready grows.
 */
struct transport_ops {
	size_t shared_size;	/* transport's shared state per channel */
	/*
	 * tx_area: tx_open() maps the sender's message memory itself
	 * (tx->area, tx->area_len bytes) and the workload writes its
	 * messages there. moves_source: send() may leave other bytes in the
	 * message's place (a MOVE hands the pages to the receiver), so the
	 * producer writes every byte of every message again.
	 */
	int tx_area;
	int moves_source;
	size_t max_msg;		/* largest message it serves; 0: any */
	int (*check)(const struct transport *t, enum workload wl,
		     char *why, size_t len);
	int (*chan_init)(struct chan *ch);
	void (*chan_fini)(struct chan *ch);
	int (*tx_open)(struct tx *tx);
	int (*send)(struct tx *tx, struct msg *m);
	void (*tx_close)(struct tx *tx);
	int (*rx_open)(struct rx *rx);
	int (*recv)(struct rx *rx, struct msg *m);
	int (*more)(struct rx *rx, struct msg *m);
	void (*release)(struct rx *rx, struct msg *m);
	void (*rx_close)(struct rx *rx);
};

struct transport {
	const char *label;	/* table and --transports name */
	const char *name;	/* JSON transport */
	const char *engine;	/* JSON engine */
	const char *mode;	/* JSON mode: sync or async */
	unsigned int engine_id;	/* IPCOFF_ENGINE_* for ipcoff */
	int baseline;		/* the one ratios are taken against */
	const struct transport_ops *ops;
	int opt_in;		/* runs only when --transports names it */
};

extern const struct transport transports[];
extern const unsigned int nr_transports;
extern const struct transport_ops shm_ops, cma_ops, ipcoff_sync_ops,
	ipcoff_async_ops, ipcoff_inject_ops, ipcoff_elide_ops, channel_ops,
	rdma_ops;

/* One channel of a run: shared between its two processes. */
struct chan {
	const struct transport *t;
	struct chan_cfg cfg;
	unsigned int id;
	pid_t tx_pid;		/* set by the sender's tx_open path */
	uint64_t tx_base;	/* sender's area address (cma) */
	size_t tx_len;
	struct ring *ring;
	void *shared;		/* ops->shared_size bytes */
	char name[64];		/* shm: the POSIX shm object */
};

/* Generic parts every transport's send/recv uses. */
struct desc *msg_begin(struct chan *ch, struct msg *m);
int msg_publish(struct chan *ch, struct desc *d, const struct msg *m);
void msg_from_desc(struct msg *m, struct desc *d);
void *rx_slot(const struct rx *rx, uint64_t seq);
void msg_take(const struct rx *rx, struct msg *m, const void *src);
void rx_ring_release(struct rx *rx, struct msg *m);
int transport_serves(const struct bench_case *c, char *why, size_t len);

/* ipcoff.c: opening the module for a transport's check (elide.c too). */
struct ipcoff;
int ipc_open_check(struct ipcoff *ipc, char *why, size_t len);

/* ------------------------------------------------------------------ */
/* Cases, runs and results (harness.c, workloads)                       */
/* ------------------------------------------------------------------ */

struct bench_case {
	enum workload wl;
	size_t size;		/* payload bytes (kv: largest value) */
	const struct transport *t;
	unsigned int clients;	/* kv */
};

/* What one process measured over its own measuring window. */
struct proc_result {
	int status;
	char why[160];
	uint64_t msgs;		/* messages this process received */
	uint64_t bytes;
	uint64_t t_begin, t_end;
	struct cpu_sample cpu0, cpu1;
	uint64_t nsamples;	/* latency samples kept */
	uint64_t seen;		/* latency samples offered */
	uint64_t bad;		/* messages that failed verification */
	/* What the parent watches to end the window (harness.c). */
	_Atomic uint64_t live_msgs;	/* msgs so far */
	_Atomic uint64_t live_begin;	/* t_begin once in PH_MEASURE, else 0 */
};

enum phase { PH_WARMUP, PH_MEASURE, PH_STOP };

/* The run's shared control block. */
struct run_ctl {
	_Alignas(CACHELINE) _Atomic uint32_t phase;
	_Alignas(CACHELINE) struct barrier bar;
	_Alignas(CACHELINE) struct doorbell bell;
	unsigned int nprocs;
	unsigned int nchans;
	pid_t pids[MAX_PROCS];
	struct proc_result res[MAX_PROCS];
};

/* Per-process context handed to a workload's role function. */
struct proc_ctx {
	struct run_ctl *ctl;
	const struct bench_case *c;
	unsigned int idx;		/* process number in the run */
	struct proc_result *res;
	uint64_t *samples;		/* opts.max_samples slots */
	struct chan **chans;
	uint32_t phase_seen;
	uint64_t rng;
};

/* Phase tracking in a role's loop; returns the phase it now sees. */
uint32_t proc_phase(struct proc_ctx *p);
void proc_record(struct proc_ctx *p, uint64_t latency_ns, uint64_t bytes);
void proc_fail(struct proc_ctx *p, int status, const char *why);
void proc_barrier(struct proc_ctx *p);

/* Memory for the workloads: page-aligned, prefaulted, private. */
void *area_alloc(size_t len);
void area_free(void *p, size_t len);
void *shared_alloc(size_t len);
void shared_free(void *p, size_t len);

/* A workload: its processes and channels. */
struct workload_ops {
	const char *name;
	unsigned int (*nprocs)(const struct bench_case *c);
	/* Channel shapes; returns how many. Request rings are not channels. */
	unsigned int (*chans)(const struct bench_case *c, struct chan_cfg *cfg);
	int (*role)(struct proc_ctx *p);
	/* Does process @idx receive (and count) the measured messages? */
	int (*receiver)(const struct bench_case *c, unsigned int idx);
	/* Payload bytes that a reported "size" stands for. */
	size_t (*size)(const struct bench_case *c);
	/* Sends the same source bytes again and again (kv's store). */
	int resends;
};

extern const struct workload_ops pingpong_ops, stream_ops, kv_ops;
const struct workload_ops *workload_ops_of(enum workload wl);
const char *workload_name(enum workload wl);
int workload_by_name(const char *name);

uint32_t depth_for(size_t size);
size_t kv_value_max(const struct bench_case *c);

/* Message payload stamps, checked by the receiver. */
void stamp_payload(void *buf, size_t len, uint64_t seq);
void fill_payload(void *buf, size_t len, uint64_t seq);
void produce_payload(const struct chan *ch, void *buf, size_t len,
		     uint64_t seq);
int check_payload(const void *buf, size_t len, uint64_t seq);
uint64_t read_every_byte(const void *buf, size_t len);

/* A run of one case. */
struct run_result {
	int status;
	char why[160];
	double seconds;		/* receivers' mean measuring window */
	uint64_t msgs;
	uint64_t bytes;
	double msgs_per_s;
	double bytes_per_s;
	double cpu_ns_per_msg;	/* all processes, user + sys */
	double cpu_user_ns_per_msg;
	double cpu_sys_ns_per_msg;
	double cpu_tx_ns_per_msg;	/* senders of payload */
	double cpu_rx_ns_per_msg;	/* receivers of payload */
	double engine_cpu_ns_per_msg;
	uint64_t engine_requests;	/* the forced engine's request count */
	uint64_t engine_fallbacks;
	uint64_t ran[ENGINES];	/* requests per engine (auto: its picks) */
	uint64_t cache_clwb_bytes;	/* bytes CLWB wrote back (STATS) */
	uint64_t cache_inject_bytes;	/* bytes injected (STATS) */
	uint64_t bad;
	uint64_t *samples;	/* malloc'ed, nsamples */
	uint64_t nsamples;
	uint64_t seen;
	int capped;		/* --max-time ended it before --min-msgs */
};

int run_case(const struct bench_case *c, struct run_result *r);
/* --peer: this host's side of an rdma case between two hosts (pair.c). */
int pair_run_case(const struct bench_case *c, struct run_result *r);
/* This host's rdma address ($IPCOFF_BENCH_RDMA_ADDR or $ipcoff_ip, without
 * a /prefix), "" if none (channel.c). */
const char *rdma_addr(void);

/* ------------------------------------------------------------------ */
/* Statistics and output (stats.c, json.c, table.c, sysinfo.c)          */
/* ------------------------------------------------------------------ */

struct case_result {
	struct bench_case c;
	int status;
	char why[160];
	unsigned int runs;
	size_t size;		/* reported size */
	uint64_t messages;	/* summed over runs */
	double msgs_per_s, msgs_per_s_min, msgs_per_s_max;
	double bytes_per_s, bytes_per_s_min, bytes_per_s_max;
	double cpu_ns_per_msg, cpu_ns_per_msg_min, cpu_ns_per_msg_max;
	double cpu_user_ns_per_msg, cpu_sys_ns_per_msg;
	double cpu_tx_ns_per_msg, cpu_rx_ns_per_msg;
	double engine_cpu_ns_per_msg;
	uint64_t engine_requests, engine_fallbacks, bad;
	uint64_t ran[ENGINES];	/* requests per engine, summed over runs */
	uint64_t cache_clwb_bytes, cache_inject_bytes;	/* summed over runs */
	uint64_t bytes;		/* received in all runs' windows */
	uint64_t p50_ns, p99_ns, p999_ns, max_ns;
	uint64_t samples, seen;
	unsigned int capped_runs;	/* runs that hit --max-time first */
	/* Against the shm case of the same workload and size; < 0: none. */
	double x_tput, x_p99, x_cpu;
};

double median(double *v, unsigned int n);
void minmax(const double *v, unsigned int n, double *lo, double *hi);
void percentiles(uint64_t *v, uint64_t n, uint64_t *p50, uint64_t *p99,
		 uint64_t *p999, uint64_t *max);
void aggregate(struct case_result *cr, struct run_result *runs,
	       unsigned int n);

#include <stdio.h>
void json_string(FILE *f, const char *s);
void sysinfo_json(FILE *f);
void sysinfo_print(FILE *f);
int provider_loaded(void);
int json_write(const char *path, const struct case_result *cr,
	       unsigned int n, double total_s);
void table_print(const struct case_result *cr, unsigned int n);

/* A figure an issue asks for: a ratio of two cases of this run (targets.c). */
enum goal { GOAL_NONE, GOAL_MIN, GOAL_MAX, GOAL_ABOVE };

struct target {
	int issue;
	enum workload wl;
	size_t size;
	char a[32];		/* label over ... */
	char b[32];		/* ... label */
	const char *metric;	/* throughput, p99, app CPU */
	double ratio;		/* < 0: the run lacks a case */
	enum goal goal;		/* ratio >= limit, <= limit, > limit, or a figure */
	double limit;
	char note[96];
};

#define MAX_TARGETS	64
unsigned int targets_compute(const struct case_result *cr, unsigned int n,
			     struct target *t, unsigned int max);
const char *target_verdict(const struct target *t);
const char *goal_sign(enum goal g);
void targets_print(const struct case_result *cr, unsigned int n);

/* Minimal-enough p99.9 sample count, said in the table and JSON. */
#define P999_MIN_SAMPLES	10000

/* Utilities (util.c). */
const char *fmt_size(size_t size, char *buf, size_t len);
const char *fmt_ns(double ns, char *buf, size_t len);
int parse_size(const char *s, size_t *out);
void die(const char *fmt, ...) __attribute__((format(printf, 1, 2),
					       noreturn));

#endif /* IPCOFF_BENCH_H */
