/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/*
 * A scripted stand-in for the ipcoff module, for native tests of libipcoff.
 *
 * The test binary is linked with -Wl,--wrap=ioctl, so the library's ioctl()
 * calls land in __wrap_ioctl(). While the fake is armed, an ioctl on a
 * descriptor of FAKE_DEV_PATH (a real open file, so descriptor handling
 * stays real) is answered from the script below and recorded; every other
 * ioctl goes to the real ioctl() and is only counted. mmap() and munmap()
 * are wrapped the same way (-Wl,--wrap=mmap,--wrap=munmap): a shared
 * mapping of the device maps the fake's completion ring. EXPORT answers
 * with a fresh memfd, a real descriptor the test must close.
 */
#ifndef IPCOFF_TESTS_FAKE_MODULE_H
#define IPCOFF_TESTS_FAKE_MODULE_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include <ipcoff.h>

#define FAKE_DEV_PATH		"/dev/null"
#define FAKE_REGION_HANDLE	0x5eed0000c0ffee01ULL
#define FAKE_REGION_SIZE	4096
#define FAKE_MODULE_VERSION	((1U << 16) | (2U << 8) | 3U)

/*
 * The fake's completion ring lives in a memfd: the fake writes through its
 * own mapping and the library maps the same pages through __wrap_mmap(),
 * as it would map the module's. Its offsets differ from the module's on
 * purpose, so a library that assumed the module's layout fails here.
 */
#define FAKE_RING_TAIL_OFF	32
#define FAKE_RING_HEAD_OFF	96
#define FAKE_RING_FLAGS_OFF	160
#define FAKE_RING_COMPLETED_OFF	200
#define FAKE_RING_CQES_OFF	320
#define FAKE_RING_OVERFLOW_MAX	64	/* waiting NOTIFY entries */
#define FAKE_RING_PENDING_MAX	1024	/* submitted, not yet completed */
#define FAKE_RING_SEEN_REQS	8	/* SUBMIT requests recorded */
#define FAKE_RING_WAIT_LOG	32	/* WAIT calls recorded */
#define FAKE_RING_ON_SLEEP_MAX	8
/* An "infinite" WAIT that nothing can end is a test failure after this. */
#define FAKE_WAIT_FOREVER_NS	(10LL * 1000000000)

/* One WAIT as the fake saw it. */
struct fake_wait_call {
	uint64_t target;
	int64_t timeout_ns;
	uint64_t completed;	/* at entry, before anything moved */
	unsigned int flushed;	/* overflow entries the WAIT moved in */
	unsigned int injected;	/* IPCOFF_CQE_INJECT entries it ran */
	uint32_t flags;		/* IPCOFF_WAIT_* */
	bool slept;		/* the count was below target after the flush */
	bool slept_ready;	/* ... while the ring held entries */
};

/* What the fake does when a WAIT is about to sleep: a completion arrives. */
struct fake_on_sleep {
	unsigned int complete;	/* this many submitted requests complete, */
	bool notify;		/* else @cqe arrives as a NOTIFY entry, */
	struct ipcoff_cqe cqe;	/* else as a request's entry */
};

struct fake_ring {
	/* Script. */
	uint32_t start;			/* initial head and tail */
	uint64_t start_completed;	/* initial completed count */
	bool bad_layout;		/* RING_SETUP answers a broken layout */
	int mmap_err;			/* mmap of the ring fails with this */
	unsigned int accept_max;	/* SUBMIT: take at most this many ... */
	int refuse_err;			/* ... then refuse with this errno */
	int wait_err;			/* WAIT fails with this errno */
	struct fake_on_sleep on_sleep[FAKE_RING_ON_SLEEP_MAX];
	unsigned int n_on_sleep;	/* one posted per sleeping WAIT */
	/* Posted once as a WAIT times out, after it looked: a late entry. */
	bool post_on_timeout;
	struct ipcoff_cqe timeout_cqe;

	/* State. */
	bool set_up;
	int memfd;
	unsigned char *mem;		/* the fake's own view */
	uint32_t mmap_len;
	uint32_t entries;
	uint32_t ktail;			/* the fake's tail, trusted */
	uint32_t reserved;		/* places promised to pending requests */
	uint64_t completed;
	struct ipcoff_cqe overflow[FAKE_RING_OVERFLOW_MAX];
	unsigned int n_overflow;
	struct ipcoff_cqe pending[FAKE_RING_PENDING_MAX];
	unsigned int n_pending;
	int efd;			/* SET_EVENTFD's eventfd, or -1 */
	unsigned int inject_pending;	/* INJECT entries the next WAIT runs */

	/* Record. */
	unsigned int maps;		/* library mmaps of the device */
	void *map_addr;
	size_t map_len;
	int map_prot, map_flags;
	long long map_off;
	unsigned int unmaps;		/* library munmaps of that mapping */
	void *unmap_addr;
	size_t unmap_len;
	unsigned int setups, submits, waits;
	struct ipcoff_copy seen_reqs[FAKE_RING_SEEN_REQS];
	unsigned int n_seen_reqs;
	struct fake_wait_call wait_log[FAKE_RING_WAIT_LOG];
	unsigned int sleeps_with_ready;	/* WAITs that slept with entries */
	unsigned int injects_run;	/* injections WAITs ran */
};

struct fake_module {
	/* Script, set by the test. */
	bool armed;			/* answer for FAKE_DEV_PATH fds */
	struct ipcoff_info info;	/* what GET_INFO reports */
	int info_err;			/* GET_INFO fails with this errno */
	int err;			/* other ioctls fail with this errno */
	uint64_t partial;		/* COPY: copied reported with @err */
	bool override_copied;		/* COPY succeeds without moving bytes */
	uint64_t copied;		/* ... and reports this count */
	uint64_t reg_handle;		/* REGISTER and BUF_ALLOC answer */
	unsigned char region[FAKE_REGION_SIZE];	/* FAKE_REGION_HANDLE */

	/* Record, read by the test. */
	unsigned int calls;		/* ioctls the fake answered */
	unsigned int passthrough;	/* ioctls sent to the real ioctl() */
	int passthrough_fd;
	unsigned long passthrough_req;
	int last_fd;
	unsigned long last_req;
	void *last_arg;
	union {
		struct ipcoff_info info;
		struct ipcoff_region_reg reg;
		struct ipcoff_region_unreg unreg;
		struct ipcoff_grant grant;
		struct ipcoff_copy copy;
		struct ipcoff_ring_setup ring_setup;
		struct ipcoff_submit submit;
		struct ipcoff_wait wait;
		struct ipcoff_eventfd eventfd;
		struct ipcoff_buf_alloc buf_alloc;
		struct ipcoff_export export;
	} seen;				/* the argument as it arrived */
	/* COPY: the size in the ioctl number; seen.copy is zero-extended. */
	unsigned int seen_copy_size;
	struct ipcoff_iovec seen_src_iov;	/* first segment, IOVEC src */
	struct ipcoff_iovec seen_dst_iov;	/* first segment, IOVEC dst */
	unsigned int violations;	/* requests no library call sends */
	int export_fd;			/* the fd EXPORT created, or -1 */
	unsigned int unregisters;	/* UNREGISTER calls answered */

	struct fake_ring ring;
};

extern struct fake_module fake;

/* Disarm and forget everything; ioctls pass through. */
void fake_reset(void);
/* Arm with a well-formed GET_INFO answer and a patterned region. */
void fake_arm(uint64_t features, uint32_t abi_version);
/* Forget the record of earlier calls, keep the script. */
void fake_clear_record(void);

/*
 * The ring. Every helper below takes the fake's lock, so a test thread may
 * post while a library thread sleeps in WAIT.
 */
/* Set up a ring of @entries without an ioctl (for tests of other calls). */
bool fake_ring_create(uint32_t entries);
/* Drop the ring, its memfd and the fake's mapping; keep the record. */
void fake_ring_free(void);
/* A request's entry into its place: needs room, else a violation. */
void fake_ring_post(const struct ipcoff_cqe *cqe);
/* A "data arrived" entry: into the ring if it fits, else overflow. */
void fake_ring_notify(const struct ipcoff_cqe *cqe);
/* Complete the @n oldest submitted requests (their places are reserved). */
void fake_ring_complete(unsigned int n);
uint32_t fake_ring_head(void);
uint32_t fake_ring_tail(void);
uint32_t fake_ring_flags(void);
uint64_t fake_ring_completed(void);
unsigned int fake_ring_pending(void);

#endif /* IPCOFF_TESTS_FAKE_MODULE_H */
