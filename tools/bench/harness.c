// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * ipcoff-bench: one run of one case.
 *
 * The parent sets up the run's shared control block and channels, forks
 * the workload's processes and steers three phases through one shared
 * word: warm-up, measure, stop. Each process notices a phase change at its
 * next message and takes its own snapshot (clock, CPU time), so every
 * figure is computed over the window that process itself measured. The
 * parent samples the engine's kernel threads and ipcoff's counters at the
 * same two moments. A process that fails (or finds its transport cannot
 * serve the case) writes why into its slot and exits; the parent then
 * kills the others, so a run never hangs on a dead peer.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <ipcoff.h>

#include "bench.h"

/* Setup (prefaulting, pinning) and draining limits for one run, seconds. */
#define SETUP_LIMIT_S	180
#define DRAIN_LIMIT_S	120
/*
 * Past --max-time, a receiver that has not had one message yet is waited
 * for this much longer: a slow case on a loaded machine is then reported
 * with the few messages it had. Nothing at all for this long is a hang.
 */
#define HANG_LIMIT_S	60

void *shared_alloc(size_t len)
{
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
		       MAP_SHARED | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		die("mmap %zu shared bytes: %s", len, strerror(errno));
	return p;
}

void shared_free(void *p, size_t len)
{
	if (p)
		munmap(p, len);
}

void *area_alloc(size_t len)
{
	size_t pg = (size_t)sysconf(_SC_PAGESIZE);
	unsigned char *p;

	len = (len + pg - 1) / pg * pg;
	p = mmap(NULL, len, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return NULL;
	for (size_t o = 0; o < len; o += pg)
		p[o] = 0;
	return p;
}

void area_free(void *p, size_t len)
{
	size_t pg = (size_t)sysconf(_SC_PAGESIZE);

	if (p)
		munmap(p, (len + pg - 1) / pg * pg);
}

uint32_t proc_phase(struct proc_ctx *p)
{
	uint32_t ph = atomic_load_explicit(&p->ctl->phase,
					   memory_order_relaxed);

	if (ph == p->phase_seen)
		return ph;
	if (p->phase_seen < PH_MEASURE) {
		p->res->t_begin = now_ns();
		cpu_sample_self(&p->res->cpu0);
		/* The parent times this process's window from here. */
		if (ph == PH_MEASURE)
			atomic_store_explicit(&p->res->live_begin,
					      p->res->t_begin,
					      memory_order_relaxed);
	}
	if (ph == PH_STOP) {
		cpu_sample_self(&p->res->cpu1);
		p->res->t_end = now_ns();
	}
	p->phase_seen = ph;
	return ph;
}

static uint64_t xorshift(uint64_t *s)
{
	uint64_t x = *s;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return *s = x;
}

/* Count a message received in the measuring window; keep its latency. */
void proc_record(struct proc_ctx *p, uint64_t latency_ns, uint64_t bytes)
{
	struct proc_result *r = p->res;

	r->msgs++;
	r->bytes += bytes;
	atomic_store_explicit(&r->live_msgs, r->msgs, memory_order_relaxed);
	r->seen++;
	if (r->nsamples < opts.max_samples) {
		p->samples[r->nsamples++] = latency_ns;
	} else {
		/* Reservoir sampling: every message equally likely kept. */
		uint64_t j = xorshift(&p->rng) % r->seen;

		if (j < opts.max_samples)
			p->samples[j] = latency_ns;
	}
}

void proc_fail(struct proc_ctx *p, int status, const char *why)
{
	p->res->status = status;
	snprintf(p->res->why, sizeof(p->res->why), "%s", why);
	_exit(status + 10);
}

void proc_barrier(struct proc_ctx *p)
{
	barrier_wait(&p->ctl->bar);
}

/* The engine's view: its threads' CPU time and ipcoff's counters. */
struct engine_snap {
	struct engine_threads threads;
	uint64_t requests;
	uint64_t fallbacks;
	uint64_t per[ENGINES];
	uint64_t clwb_bytes;
	uint64_t inject_bytes;
};

static struct ipcoff stats_ipc = { .fd = -1 };

static void engine_snap(unsigned int engine, struct engine_snap *s)
{
	struct ipcoff_stats st;

	s->requests = s->fallbacks = s->clwb_bytes = s->inject_bytes = 0;
	memset(s->per, 0, sizeof(s->per));
	engine_threads_snap(&s->threads, opts.engine_threads);
	if (stats_ipc.fd < 0 || engine >= IPCOFF_ENGINE_COUNT)
		return;
	memset(&st, 0, sizeof(st));
	if (ipcoff_get_stats(&stats_ipc, &st, sizeof(st)))
		return;
	for (unsigned int e = 0; e < ENGINES && e < IPCOFF_ENGINE_COUNT; e++)
		s->per[e] = st.engine[e].requests;
	s->requests = st.engine[engine].requests;
	s->fallbacks = st.engine[engine].fallbacks;
	/* Module-wide, but in a run only its own processes use ipcoff. */
	s->clwb_bytes = st.cache_clwb_bytes;
	s->inject_bytes = st.cache_inject_bytes;
}

static void sleep_s(double s)
{
	struct timespec ts = {
		.tv_sec = (time_t)s,
		.tv_nsec = (long)((s - (double)(time_t)s) * 1e9),
	};

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

static double since(uint64_t t0)
{
	return (double)(now_ns() - t0) / 1e9;
}

/* Reap children without blocking; returns how many are still alive. */
static unsigned int reap(pid_t *pids, int *exited, int *codes, unsigned int n)
{
	unsigned int alive = 0;

	for (unsigned int i = 0; i < n; i++) {
		int st;

		if (exited[i])
			continue;
		if (waitpid(pids[i], &st, WNOHANG) == pids[i]) {
			exited[i] = 1;
			codes[i] = WIFEXITED(st) ? WEXITSTATUS(st) :
				   128 + WTERMSIG(st);
		} else {
			alive++;
		}
	}
	return alive;
}

static int any_failed(const int *exited, const int *codes, unsigned int n)
{
	for (unsigned int i = 0; i < n; i++)
		if (exited[i] && codes[i])
			return 1;
	return 0;
}

static void kill_all(pid_t *pids, int *exited, unsigned int n)
{
	for (unsigned int i = 0; i < n; i++)
		if (!exited[i])
			kill(pids[i], SIGKILL);
	for (unsigned int i = 0; i < n; i++)
		if (!exited[i]) {
			waitpid(pids[i], NULL, 0);
			exited[i] = 1;
		}
}

enum window { WIN_GOING, WIN_DONE, WIN_CAPPED, WIN_HUNG };

/*
 * Is the measuring window over? Each process times its own window from
 * the moment it sees PH_MEASURE (a process busy with a long copy, or not
 * scheduled, sees it late), and every figure is computed over those
 * windows, so the end is decided on them too: every process has begun,
 * and every receiver has measured for --duration and counted --min-msgs
 * messages in its own window. --max-time (from the parent's switch)
 * caps it; a receiver without a single message is waited for up to
 * HANG_LIMIT_S more, and nothing by then is a hang.
 */
static enum window window_end(struct run_ctl *ctl, const struct bench_case *c,
			      const struct workload_ops *w, uint64_t t0)
{
	uint64_t now = now_ns(), least = UINT64_MAX;
	double el = (double)(now - t0) / 1e9;
	int all_long = 1;

	for (unsigned int i = 0; i < ctl->nprocs; i++) {
		const struct proc_result *pr = &ctl->res[i];
		uint64_t b = atomic_load_explicit(&pr->live_begin,
						  memory_order_relaxed);
		uint64_t m = atomic_load_explicit(&pr->live_msgs,
						  memory_order_relaxed);

		if (!b)
			all_long = 0;
		if (!w->receiver(c, i))
			continue;
		if (!b || (double)(now - b) / 1e9 < opts.duration_s)
			all_long = 0;
		if (m < least)
			least = m;
	}
	if (all_long && least >= opts.min_msgs)
		return WIN_DONE;
	if (el < opts.max_s)
		return WIN_GOING;
	if (least > 0)
		return WIN_CAPPED;
	return el < opts.max_s + HANG_LIMIT_S ? WIN_GOING : WIN_HUNG;
}

/* A run that moved nothing: what each process and ring looked like. */
static void hang_report(struct run_ctl *ctl, struct chan **chans,
			const struct bench_case *c, double el)
{
	char sz[32];

	fprintf(stderr, "ipcoff-bench: %s %s %s: no message in %.1f s of measuring:\n",
		workload_name(c->wl), fmt_size(c->size, sz, sizeof(sz)),
		c->t->label, el);
	for (unsigned int i = 0; i < ctl->nprocs; i++)
		fprintf(stderr, "  process %u (pid %d): %s, %llu messages\n", i,
			(int)ctl->pids[i],
			atomic_load(&ctl->res[i].live_begin) ? "measuring" :
			"has not seen the window start",
			(unsigned long long)atomic_load(&ctl->res[i].live_msgs));
	for (unsigned int i = 0; i < ctl->nchans; i++) {
		struct ring *r = chans[i]->ring;

		fprintf(stderr, "  ring %u: head %u tail %u depth %u, consumer %s, producer %s\n",
			i, atomic_load(&r->head), atomic_load(&r->tail),
			r->depth,
			atomic_load(&r->cons_waiting) ? "asleep" : "awake",
			atomic_load(&r->prod_waiting) ? "asleep" : "awake");
	}
	fprintf(stderr, "  doorbell: seq %u, %s\n", atomic_load(&ctl->bell.seq),
		atomic_load(&ctl->bell.waiting) ? "server asleep" : "awake");
}

static size_t chan_alloc_len(const struct transport *t)
{
	return sizeof(struct chan) + CACHELINE + (t ? t->ops->shared_size : 0);
}

int run_case(const struct bench_case *c, struct run_result *r)
{
	const struct workload_ops *w = workload_ops_of(c->wl);
	struct chan_cfg cfg[MAX_CHANS];
	struct chan *chans[MAX_CHANS];
	static struct engine_snap e0, e1;
	pid_t pids[MAX_PROCS];
	int exited[MAX_PROCS] = { 0 }, codes[MAX_PROCS] = { 0 };
	unsigned int np, nc, i;
	struct run_ctl *ctl;
	uint64_t *samples;
	size_t slen;
	uint64_t t0, t1 = 0;
	enum window end = WIN_GOING;
	pid_t parent;
	double win, drain = DRAIN_LIMIT_S;

	memset(r, 0, sizeof(*r));
	memset(cfg, 0, sizeof(cfg));
	np = w->nprocs(c);
	nc = w->chans(c, cfg);
	if (np > MAX_PROCS || nc > MAX_CHANS)
		die("workload %s: too many processes or channels", w->name);

	ctl = shared_alloc(sizeof(*ctl));
	memset(ctl, 0, sizeof(*ctl));
	ctl->nprocs = np;
	ctl->nchans = nc;
	barrier_init(&ctl->bar, np);
	slen = (size_t)np * opts.max_samples * sizeof(uint64_t);
	samples = shared_alloc(slen);

	for (i = 0; i < nc; i++) {
		const struct transport *t = cfg[i].ring_only ? NULL : c->t;
		struct chan *ch = shared_alloc(chan_alloc_len(t));
		size_t rb = ring_bytes(cfg[i].depth, cfg[i].meta_max);

		memset(ch, 0, sizeof(*ch));
		ch->t = t;
		ch->cfg = cfg[i];
		ch->id = i;
		ch->shared = (char *)ch + ((sizeof(*ch) + CACHELINE - 1) &
					   ~(size_t)(CACHELINE - 1));
		ch->ring = shared_alloc(rb);
		ring_init(ch->ring, cfg[i].depth, cfg[i].meta_max, opts.spin,
			  cfg[i].bell ? &ctl->bell : NULL);
		chans[i] = ch;
		if (t && t->ops->chan_init) {
			int err = t->ops->chan_init(ch);

			if (err) {
				r->status = ST_ERROR;
				snprintf(r->why, sizeof(r->why),
					 "channel setup: %s", strerror(-err));
				nc = i + 1;
				goto out;
			}
		}
	}

	if (stats_ipc.fd < 0 && !strcmp(c->t->name, "ipcoff"))
		ipcoff_open_path(&stats_ipc, opts.device, 0);

	fflush(NULL);
	parent = getpid();
	for (i = 0; i < np; i++) {
		pid_t pid = fork();

		if (pid < 0)
			die("fork: %s", strerror(errno));
		if (pid == 0) {
			struct proc_ctx p = {
				.ctl = ctl,
				.c = c,
				.idx = i,
				.res = &ctl->res[i],
				.samples = samples + (size_t)i * opts.max_samples,
				.chans = chans,
				.phase_seen = PH_WARMUP,
				.rng = 0x9e3779b97f4a7c15ULL ^ ((uint64_t)i << 32) ^
				       (uint64_t)getpid(),
			};

			/* A killed run (a CI timeout) leaves nothing behind. */
			prctl(PR_SET_PDEATHSIG, SIGKILL);
			if (getppid() != parent)
				_exit(ST_ERROR + 10);
			ctl->pids[i] = getpid();
			_exit(w->role(&p));
		}
		pids[i] = pid;
	}

	/* Setup: every process past its second barrier (tx, then rx open). */
	t0 = now_ns();
	while (atomic_load(&ctl->bar.gen) < 2) {
		if (reap(pids, exited, codes, np) < np &&
		    any_failed(exited, codes, np))
			goto collect;
		if (since(t0) > SETUP_LIMIT_S) {
			r->status = ST_ERROR;
			snprintf(r->why, sizeof(r->why), "setup took over %d s",
				 SETUP_LIMIT_S);
			goto collect;
		}
		sleep_s(0.002);
	}
	sleep_s(opts.warmup_s);

	engine_snap(c->t->engine_id, &e0);
	t0 = now_ns();
	atomic_store(&ctl->phase, PH_MEASURE);
	while (end == WIN_GOING) {
		sleep_s(0.005);
		if (reap(pids, exited, codes, np) < np &&
		    any_failed(exited, codes, np))
			break;
		end = window_end(ctl, c, w, t0);
	}
	atomic_store(&ctl->phase, PH_STOP);
	t1 = now_ns();
	engine_snap(c->t->engine_id, &e1);
	r->capped = end == WIN_CAPPED;
	if (end == WIN_HUNG) {
		hang_report(ctl, chans, c, (double)(t1 - t0) / 1e9);
		r->status = ST_ERROR;
		snprintf(r->why, sizeof(r->why),
			 "no message in %.0f s of measuring: hung (state on stderr)",
			 (double)(t1 - t0) / 1e9);
		drain = 5;
	}

	/* Drain: the senders end their streams, everyone exits. */
	while (reap(pids, exited, codes, np)) {
		if (any_failed(exited, codes, np))
			break;
		if (since(t1) > drain) {
			if (r->status == ST_OK) {
				r->status = ST_ERROR;
				snprintf(r->why, sizeof(r->why),
					 "processes did not finish within %.0f s",
					 drain);
			}
			break;
		}
		sleep_s(0.002);
	}

collect:
	kill_all(pids, exited, np);
	/* What a process said about itself first, then how they ended. */
	for (i = 0; i < np && r->status == ST_OK; i++) {
		const struct proc_result *pr = &ctl->res[i];

		if (pr->status != ST_OK) {
			r->status = pr->status;
			snprintf(r->why, sizeof(r->why), "%s", pr->why);
		}
	}
	for (i = 0; i < np && r->status == ST_OK; i++) {
		if (codes[i]) {
			r->status = ST_ERROR;
			snprintf(r->why, sizeof(r->why),
				 "process %u (%s) exited with %d", i, w->name,
				 codes[i]);
		}
	}
	if (r->status != ST_OK)
		goto out;

	/*
	 * Rates per process over its own window: the sum of the receivers'
	 * message rates, and CPU as a rate (CPU seconds per second) summed
	 * over all processes, divided by the message rate.
	 */
	{
		double cpu = 0, user = 0, sys = 0, tx = 0, rx = 0, wins = 0;
		unsigned int nrx = 0;

		for (i = 0; i < np; i++) {
			const struct proc_result *pr = &ctl->res[i];
			double w_s = (double)(pr->t_end - pr->t_begin) / 1e9;
			double c_rate;

			/*
			 * Only a process that saw MEASURE and STOP at once
			 * (possible when --max-time cut the window) has no
			 * window to rate; it counted no message either.
			 */
			if (pr->t_end <= pr->t_begin)
				continue;
			c_rate = (double)(pr->cpu1.cpu_ns - pr->cpu0.cpu_ns) / w_s;
			cpu += c_rate;
			user += (double)(pr->cpu1.user_ns - pr->cpu0.user_ns) / w_s;
			sys += (double)(pr->cpu1.sys_ns - pr->cpu0.sys_ns) / w_s;
			if (i == 0)
				tx += c_rate;
			else
				rx += c_rate;
			if (w->receiver(c, i)) {
				r->msgs_per_s += (double)pr->msgs / w_s;
				r->bytes_per_s += (double)pr->bytes / w_s;
				r->msgs += pr->msgs;
				r->bytes += pr->bytes;
				r->seen += pr->seen;
				r->bad += pr->bad;
				wins += w_s;
				nrx++;
			}
		}
		if (!r->msgs) {
			char *w_ = r->why;
			size_t left = sizeof(r->why);
			int k;

			r->status = ST_ERROR;
			k = snprintf(w_, left, "no message completed in the %.2f s window:",
				     (double)(t1 - t0) / 1e9);
			for (i = 0; i < np && k > 0 && (size_t)k < left; i++) {
				const struct proc_result *pr = &ctl->res[i];

				w_ += k;
				left -= (size_t)k;
				k = snprintf(w_, left, " p%u %llu msgs in %.3f s;", i,
					     (unsigned long long)pr->msgs,
					     (double)(pr->t_end - pr->t_begin) / 1e9);
			}
			goto out;
		}
		if (r->bad) {
			r->status = ST_ERROR;
			snprintf(r->why, sizeof(r->why),
				 "%llu messages had wrong bytes",
				 (unsigned long long)r->bad);
			goto out;
		}
		r->seconds = wins / nrx;
		r->cpu_ns_per_msg = cpu / r->msgs_per_s;
		r->cpu_user_ns_per_msg = user / r->msgs_per_s;
		r->cpu_sys_ns_per_msg = sys / r->msgs_per_s;
		r->cpu_tx_ns_per_msg = tx / r->msgs_per_s;
		r->cpu_rx_ns_per_msg = rx / r->msgs_per_s;
		win = (double)(t1 - t0) / 1e9;
		r->engine_cpu_ns_per_msg =
			(double)engine_threads_delta(&e0.threads, &e1.threads) /
			win / r->msgs_per_s;
		r->engine_requests = e1.requests - e0.requests;
		r->engine_fallbacks = e1.fallbacks - e0.fallbacks;
		for (i = 0; i < ENGINES; i++)
			r->ran[i] = e1.per[i] - e0.per[i];
		r->cache_clwb_bytes = e1.clwb_bytes - e0.clwb_bytes;
		r->cache_inject_bytes = e1.inject_bytes - e0.inject_bytes;
	}

	for (i = 0; i < np; i++)
		r->nsamples += ctl->res[i].nsamples;
	r->samples = malloc((r->nsamples ? r->nsamples : 1) * sizeof(uint64_t));
	if (!r->samples)
		die("out of memory");
	r->nsamples = 0;
	for (i = 0; i < np; i++) {
		memcpy(r->samples + r->nsamples,
		       samples + (size_t)i * opts.max_samples,
		       ctl->res[i].nsamples * sizeof(uint64_t));
		r->nsamples += ctl->res[i].nsamples;
	}

out:
	for (i = 0; i < nc; i++) {
		const struct transport *t = chans[i]->t;

		if (t && t->ops->chan_fini)
			t->ops->chan_fini(chans[i]);
		shared_free(chans[i]->ring, ring_bytes(chans[i]->cfg.depth,
						       chans[i]->cfg.meta_max));
		shared_free(chans[i], chan_alloc_len(t));
	}
	shared_free(samples, slen);
	shared_free(ctl, sizeof(*ctl));
	return r->status;
}
