/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Agents: forked helper processes, each with its own uid and /dev/ipcoff
 * context, that register memory, hand their handles back over a unix
 * socket (SOCK_SEQPACKET, which also carries fds) and run copies on
 * request. A test drives several of them to act as several processes.
 *
 * Agents never use the harness: they answer every request with the ioctl
 * result (ret) and report their own failures (mmap, ...) in err, which
 * agent_req() asserts to be 0. They die with their parent (PDEATHSIG, and
 * EOF on the socket).
 */
#ifndef IPCOFF_SELFTEST_AGENT_H
#define IPCOFF_SELFTEST_AGENT_H

#include "common.h"

/* ------------------------------------------------------------------ */
/* Unix socket messages, optionally carrying one fd (SCM_RIGHTS).      */

static inline int sock_send(int s, const void *buf, size_t len, int fd)
{
	union {
		struct cmsghdr h;
		char b[CMSG_SPACE(sizeof(int))];
	} u;
	struct iovec iov = { .iov_base = (void *)buf, .iov_len = len };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
	struct cmsghdr *cm;
	ssize_t n;

	if (fd >= 0) {
		memset(&u, 0, sizeof(u));
		mh.msg_control = u.b;
		mh.msg_controllen = sizeof(u.b);
		cm = CMSG_FIRSTHDR(&mh);
		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		cm->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(cm), &fd, sizeof(int));
	}
	do {
		n = sendmsg(s, &mh, MSG_NOSIGNAL);
	} while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	return (size_t)n == len ? 0 : -EIO;
}

/* 0, -EPIPE when the peer is gone, or -errno. *@fd: received fd or -1. */
static inline int sock_recv(int s, void *buf, size_t len, int *fd)
{
	union {
		struct cmsghdr h;
		char b[CMSG_SPACE(sizeof(int))];
	} u;
	struct iovec iov = { .iov_base = buf, .iov_len = len };
	struct msghdr mh = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = u.b, .msg_controllen = sizeof(u.b),
	};
	struct cmsghdr *cm;
	ssize_t n;

	if (fd)
		*fd = -1;
	do {
		n = recvmsg(s, &mh, MSG_CMSG_CLOEXEC);
	} while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	if (n == 0)
		return -EPIPE;
	for (cm = CMSG_FIRSTHDR(&mh); cm; cm = CMSG_NXTHDR(&mh, cm)) {
		if (cm->cmsg_level == SOL_SOCKET &&
		    cm->cmsg_type == SCM_RIGHTS) {
			int got;

			memcpy(&got, CMSG_DATA(cm), sizeof(int));
			if (fd)
				*fd = got;
			else
				close(got);
		}
	}
	return (size_t)n == len ? 0 : -EIO;
}

/* Close every fd >= 3 except @a and @b (either may be -1). */
static inline void close_other_fds(int a, int b)
{
	int keep[2] = { a < b ? a : b, a < b ? b : a };
	unsigned int from = 3;
	int i;

	for (i = 0; i < 2; i++) {
		if (keep[i] < (int)from)
			continue;
		if ((unsigned int)keep[i] > from)
			close_range(from, (unsigned int)keep[i] - 1, 0);
		from = (unsigned int)keep[i] + 1;
	}
	close_range(from, ~0U, 0);
}

/* ------------------------------------------------------------------ */
/* Agents: helper processes acting on request.                         */

/*
 * Requests (struct agent_msg.a[]) and answers (struct agent_rep.v[]):
 *
 * AG_REGISTER   a: len, flags, seed, addr_off, mem_type, rdonly
 *               maps memory of mem_type, fills [addr_off, addr_off + len)
 *               with stream seed (from 0), mprotect()s it read-only if
 *               rdonly, registers it; v0: handle
 * AG_UNREGISTER a: handle
 * AG_GRANT      a: handle, uid, access
 * AG_READ       a: handle, off, len, seed, seed_start, repeat
 *               region -> fresh own memory, repeat times; v0: copied;
 *               v1: 1 if exactly the expected bytes arrived (success) or
 *               none at all (failure)
 * AG_WRITE      a: handle, off, len, seed, seed_start, repeat
 *               own memory holding the stream -> region; v0: copied
 * AG_CHECK      a: handle, off, len, seed, seed_start
 *               v1: 1 if the agent's own registered memory holds the stream
 * AG_COPY       a: dst, dst_off, src, src_off, len: region -> region;
 *               v0: copied
 * AG_COPY_LOOP  as AG_COPY, a5: count; stops at the first error;
 *               v0: copies done
 * AG_VMPIN      v0: VmPin in kB
 * AG_SEND_FD    the answer carries the current ipcoff fd
 * AG_RECV_FD    the request carries an fd: use it from now on (the
 *               previous one stays open)
 * AG_OPEN       open a new context and use it (the previous stays open)
 * AG_EXIT
 */
enum agent_op {
	AG_REGISTER = 1,
	AG_UNREGISTER,
	AG_GRANT,
	AG_READ,
	AG_WRITE,
	AG_CHECK,
	AG_COPY,
	AG_COPY_LOOP,
	AG_VMPIN,
	AG_SEND_FD,
	AG_RECV_FD,
	AG_OPEN,
	AG_EXIT,
};

struct agent_msg {
	uint32_t op;
	uint32_t pad;
	uint64_t a[6];
};

struct agent_rep {
	int64_t ret;		/* ioctl result: 0 or -errno */
	int64_t err;		/* agent-side failure (mmap...): -errno */
	uint64_t v[2];
};

struct agent_opts {
	uid_t uid;		/* become this uid (0: stay root) */
	int drop_ipc_lock;	/* root without CAP_IPC_LOCK */
	uint64_t memlock;	/* RLIMIT_MEMLOCK in bytes; 0: unlimited */
	int share_fd;		/* use @fd (inherited) instead of opening */
	int fd;
};

struct agent {
	pid_t pid;
	int sock;
};

struct agent_buf {
	uint64_t handle;
	uint8_t *map;
	size_t map_len;
	uint8_t *addr;
	uint64_t len;
};

#define AGENT_BUFS	64

static inline struct agent_buf *agent_find(struct agent_buf *bufs,
					   uint64_t handle)
{
	int i;

	for (i = 0; i < AGENT_BUFS; i++)
		if (bufs[i].map && bufs[i].handle == handle)
			return &bufs[i];
	return NULL;
}

static inline void agent_log(const char *what, int err)
{
	fprintf(stderr, "# agent %d (uid %d): %s: %s\n", (int)getpid(),
		(int)geteuid(), what, strerror(err));
}

static inline int agent_setup(const struct agent_opts *o)
{
	struct rlimit rl = { RLIM_INFINITY, RLIM_INFINITY };
	int ret;

	/* No limit unless asked for one (if we may raise it). */
	if (o->memlock)
		rl.rlim_cur = rl.rlim_max = o->memlock;
	if (setrlimit(RLIMIT_MEMLOCK, &rl) && o->memlock)
		return -errno;
	if (o->uid) {
		ret = become_uid(o->uid);
		if (ret)
			return ret;
	}
	if (o->drop_ipc_lock) {
		ret = caps_drop(CAP_IPC_LOCK);
		if (ret)
			return ret;
	}
	/* Credential changes reset the parent-death signal: set it last. */
	if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0))
		return -errno;
	return 0;
}

static inline int agent_do_read(int fd, const struct agent_msg *m,
				struct agent_rep *r)
{
	uint64_t len = m->a[2], i, n = m->a[5] ? m->a[5] : 1;
	size_t ml = round_up_sz(len + 64, page_size());
	uint8_t *buf = mmap(NULL, ml, PROT_READ | PROT_WRITE,
			    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (buf == MAP_FAILED)
		return -errno;
	r->v[1] = 1;
	for (i = 0; i < n && r->v[1]; i++) {
		memset(buf, 0xa5, len + 64);
		r->ret = t_read(fd, buf, len, m->a[0], m->a[1], &r->v[0]);
		if (r->ret)
			r->v[1] = mem_check_byte(buf, len + 64, 0xa5) ==
				  len + 64;
		else
			r->v[1] = pat_check(buf, len, (uint32_t)m->a[3],
					    m->a[4]) == len &&
				  mem_check_byte(buf + len, 64, 0xa5) == 64;
		if (r->ret)
			break;
	}
	munmap(buf, ml);
	return 0;
}

static inline int agent_do_write(int fd, const struct agent_msg *m,
				 struct agent_rep *r)
{
	uint64_t len = m->a[2], i, n = m->a[5] ? m->a[5] : 1;
	size_t ml = round_up_sz(len, page_size());
	uint8_t *buf = mmap(NULL, ml, PROT_READ | PROT_WRITE,
			    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (buf == MAP_FAILED)
		return -errno;
	pat_fill(buf, len, (uint32_t)m->a[3], m->a[4]);
	for (i = 0; i < n; i++) {
		r->ret = t_write(fd, m->a[0], m->a[1], buf, len, &r->v[0]);
		if (r->ret)
			break;
	}
	munmap(buf, ml);
	return 0;
}

static inline int agent_do_register(int fd, struct agent_buf *bufs,
				    const struct agent_msg *m,
				    struct agent_rep *r)
{
	uint64_t len = m->a[0], off = m->a[3];
	struct agent_buf *b = NULL;
	int i;

	for (i = 0; i < AGENT_BUFS && !b; i++)
		if (!bufs[i].map)
			b = &bufs[i];
	if (!b)
		return -ENOSPC;
	b->map = mem_map((int)m->a[4], off + len, &b->map_len);
	if (b->map == MAP_FAILED) {
		b->map = NULL;
		return -errno;
	}
	b->addr = b->map + off;
	b->len = len;
	pat_fill(b->addr, len, (uint32_t)m->a[2], 0);
	if (m->a[5] && mprotect(b->map, b->map_len, PROT_READ)) {
		int err = errno;

		munmap(b->map, b->map_len);
		b->map = NULL;
		return -err;
	}
	r->ret = t_register(fd, PTR(b->addr), len, (uint32_t)m->a[1],
			    &b->handle);
	if (r->ret) {
		munmap(b->map, b->map_len);
		b->map = NULL;
		return 0;
	}
	r->v[0] = b->handle;
	return 0;
}

static inline void __attribute__((noreturn))
agent_main(int sock, const struct agent_opts *o)
{
	static struct agent_buf bufs[AGENT_BUFS];
	struct agent_rep r = { 0 };
	struct agent_msg m;
	struct agent_buf *b;
	int fd = -1, got, ret;
	uint64_t i;

	r.err = agent_setup(o);
	if (!r.err) {
		fd = o->share_fd ? o->fd : open_as_self();
		if (fd < 0)
			r.err = fd;
	}
	r.ret = r.err;
	if (r.err)
		agent_log("setup", (int)-r.err);
	if (sock_send(sock, &r, sizeof(r), -1) || r.err)
		_exit(1);

	for (;;) {
		ret = sock_recv(sock, &m, sizeof(m), &got);
		if (ret)
			_exit(ret == -EPIPE ? 0 : 1);
		memset(&r, 0, sizeof(r));
		switch (m.op) {
		case AG_REGISTER:
			r.err = agent_do_register(fd, bufs, &m, &r);
			break;
		case AG_UNREGISTER:
			r.ret = t_unregister(fd, m.a[0]);
			b = agent_find(bufs, m.a[0]);
			if (!r.ret && b) {
				munmap(b->map, b->map_len);
				b->map = NULL;
			}
			break;
		case AG_GRANT:
			r.ret = t_grant(fd, m.a[0], (uint32_t)m.a[1],
					(uint32_t)m.a[2]);
			break;
		case AG_READ:
			r.err = agent_do_read(fd, &m, &r);
			break;
		case AG_WRITE:
			r.err = agent_do_write(fd, &m, &r);
			break;
		case AG_CHECK:
			b = agent_find(bufs, m.a[0]);
			if (!b || m.a[1] + m.a[2] > b->len) {
				r.err = -ENOENT;
				break;
			}
			r.v[1] = pat_check(b->addr + m.a[1], m.a[2],
					   (uint32_t)m.a[3], m.a[4]) == m.a[2];
			break;
		case AG_COPY:
			r.ret = t_copy_rr(fd, m.a[0], m.a[1], m.a[2], m.a[3],
					  m.a[4], &r.v[0]);
			break;
		case AG_COPY_LOOP:
			for (i = 0; i < m.a[5]; i++) {
				r.ret = t_copy_rr(fd, m.a[0], m.a[1], m.a[2],
						  m.a[3], m.a[4], NULL);
				if (r.ret)
					break;
			}
			r.v[0] = i;
			break;
		case AG_VMPIN:
			r.err = vmpin_kb(0, (int64_t *)&r.v[0]);
			break;
		case AG_SEND_FD:
			break;
		case AG_RECV_FD:
			if (got < 0)
				r.err = -EBADF;
			else
				fd = got;
			got = -1;
			break;
		case AG_OPEN:
			ret = open_as_self();
			if (ret < 0)
				r.err = ret;
			else
				fd = ret;
			break;
		case AG_EXIT:
			sock_send(sock, &r, sizeof(r), -1);
			_exit(0);
		default:
			r.err = -EINVAL;
		}
		if (got >= 0)
			close(got);
		if (r.err)
			agent_log("request", (int)-r.err);
		if (sock_send(sock, &r, sizeof(r),
			      m.op == AG_SEND_FD ? fd : -1))
			_exit(1);
	}
}

/*
 * Fork a child joined to the parent by a SOCK_SEQPACKET pair. Returns the
 * child's pid in the parent, 0 in the child, or -errno; *@sock is the
 * caller's end of the pair either way.
 */
static inline pid_t fork_connected(int *sock)
{
	int sv[2], ret;
	pid_t pid;

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv))
		return -errno;
	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid < 0) {
		ret = -errno;
		close(sv[0]);
		close(sv[1]);
		return ret;
	}
	close(sv[pid ? 1 : 0]);
	*sock = sv[pid ? 0 : 1];
	return pid;
}

/* Start an agent; returns its setup result (0 or -errno). */
static inline int agent_start(struct agent *ag, const struct agent_opts *o)
{
	struct agent_rep r;
	int sock = -1, ret;
	pid_t pid;

	ag->pid = 0;
	ag->sock = -1;
	pid = fork_connected(&sock);
	if (pid < 0)
		return pid;
	if (pid == 0) {
		close_other_fds(sock, o->share_fd ? o->fd : -1);
		agent_main(sock, o);
	}
	ag->pid = pid;
	ag->sock = sock;
	ret = sock_recv(ag->sock, &r, sizeof(r), NULL);
	return ret ? ret : (int)r.ret;
}

static inline int agent_send(struct agent *ag, const struct agent_msg *m,
			     int fd)
{
	return sock_send(ag->sock, m, sizeof(*m), fd);
}

static inline int agent_recv(struct agent *ag, struct agent_rep *r, int *fd)
{
	return sock_recv(ag->sock, r, sizeof(*r), fd);
}

/* Reap @ag; returns its exit code, or 128 + signal. */
static inline int agent_reap(struct agent *ag)
{
	int status = 0;
	pid_t p;

	if (ag->sock >= 0)
		close(ag->sock);
	ag->sock = -1;
	if (ag->pid <= 0)
		return 0;
	do {
		p = waitpid(ag->pid, &status, 0);
	} while (p < 0 && errno == EINTR);
	ag->pid = 0;
	if (p < 0)
		return 255;
	return WIFEXITED(status) ? WEXITSTATUS(status) :
				   128 + WTERMSIG(status);
}

/* Ask @ag to exit; returns its exit code. */
static inline int agent_stop(struct agent *ag)
{
	struct agent_msg m = { .op = AG_EXIT };
	struct agent_rep r;

	if (ag->pid <= 0)
		return 0;
	if (!agent_send(ag, &m, -1))
		agent_recv(ag, &r, NULL);
	return agent_reap(ag);
}

/* SIGKILL @ag and reap it (for teardown and the lifetime tests). */
static inline int agent_kill(struct agent *ag)
{
	if (ag->pid > 0)
		kill(ag->pid, SIGKILL);
	return agent_reap(ag);
}

/* One request, asserting that it reached the agent and back. */
static inline struct agent_rep agent_req(struct __test_metadata *_metadata,
					 struct agent *ag,
					 const struct agent_msg *m,
					 int fd_out, int *fd_in)
{
	struct agent_rep r;

	ASSERT_EQ(0, agent_send(ag, m, fd_out))
		TH_LOG("agent %d is gone", (int)ag->pid);
	ASSERT_EQ(0, agent_recv(ag, &r, fd_in))
		TH_LOG("agent %d did not answer", (int)ag->pid);
	ASSERT_EQ(0, r.err)
		TH_LOG("agent %d: op %u failed on its side: %s", (int)ag->pid,
		       m->op, strerror((int)-r.err));
	return r;
}

#define AG(ag, opcode, ...) \
	agent_req(_metadata, (ag), \
		  &(struct agent_msg){ .op = (opcode), .a = { __VA_ARGS__ } }, \
		  -1, NULL)

/* Start an agent as @uid_ (0: root) or fail the test. */
#define AGENT_START(ag, uid_) do { \
	struct agent_opts __o = { .uid = (uid_) }; \
	ASSERT_EQ(0, agent_start((ag), &__o)); \
} while (0)

#endif /* IPCOFF_SELFTEST_AGENT_H */
