// SPDX-License-Identifier: GPL-2.0
/*
 * What the operator tools read from the module: IPCOFF_IOC_REGION_LIST
 * (the calling context's regions, those of every context of its euid, and
 * with CAP_SYS_ADMIN every region; what each entry says; sizes, room and
 * bad arguments) and the per-engine latency histograms in sysfs.
 *
 * Agents play the other processes, as in ipcoff_access_test.
 */
#include <stddef.h>

#include "common.h"
#include "agent.h"

#define L	20000	/* region length */

FIXTURE(ctl) {
	int fd;
	uint8_t *buf;	/* 4 * L */
	struct agent ag[2];
};

FIXTURE_SETUP(ctl)
{
	struct ipcoff_info info;

	self->fd = t_open();
	ASSERT_LE(0, self->fd);
	ASSERT_EQ(0, t_info(self->fd, &info));
	if (!(info.features & IPCOFF_FEAT_REGION_LIST))
		SKIP(return, "no IPCOFF_FEAT_REGION_LIST");
	self->buf = mmap(NULL, 4 * L, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, self->buf);
}

FIXTURE_TEARDOWN(ctl)
{
	int i;

	for (i = 0; i < 2; i++)
		agent_kill(&self->ag[i]);
	if (self->fd >= 0)
		close(self->fd);
}

/* REGION_LIST with @n entries of @esize bytes at @ents; -errno or 0. */
static int t_list(int fd, uint32_t flags, void *ents, uint32_t n,
		  uint32_t esize, struct ipcoff_region_list *out)
{
	struct ipcoff_region_list l = {
		.flags = flags,
		.entry_size = esize,
		.entries = PTR(ents),
		.nr_entries = n,
	};
	int ret = t_ioctl(fd, IPCOFF_IOC_REGION_LIST, &l);

	if (out)
		*out = l;
	return ret;
}

/* REGISTER in the fixture's context, or fail the test; the handle. */
#define REG(addr, len, flags) ({ \
	uint64_t __h = 0; \
	ASSERT_EQ(0, t_register(self->fd, PTR(addr), (len), (flags), &__h)); \
	__h; \
})

/* The entry for @h among @n, or NULL. */
static const struct ipcoff_region_info *
find(const struct ipcoff_region_info *e, uint32_t n, uint64_t h)
{
	uint32_t i;

	for (i = 0; i < n; i++)
		if (e[i].handle == h)
			return &e[i];
	return NULL;
}

TEST_F(ctl, empty_context)
{
	struct ipcoff_region_info e[4];
	struct ipcoff_region_list l;

	memset(e, 0xa5, sizeof(e));
	ASSERT_EQ(0, t_list(self->fd, 0, e, 4, sizeof(e[0]), &l));
	EXPECT_EQ(0, l.count);
	EXPECT_EQ(0, l.total);
	/* Nothing written where there was nothing to say. */
	EXPECT_EQ(0xa5, ((uint8_t *)e)[0]);
	ASSERT_EQ(0, t_list(self->fd, 0, NULL, 0, sizeof(e[0]), &l));
	EXPECT_EQ(0, l.total);
}

TEST_F(ctl, own_regions)
{
	const struct ipcoff_region_info *x;
	struct ipcoff_region_info e[8];
	struct ipcoff_region_list l;
	struct ipcoff_buf_alloc ba = {
		.len = 3 * page_size() - 5,
		.flags = IPCOFF_REGION_WRITABLE,
	};
	uint64_t h1, h2;

	/* One page-aligned, one straddling pages, one buffer. */
	h1 = REG(self->buf, L, 0);
	h2 = REG(self->buf + L + 100, L,
		 IPCOFF_REGION_WRITABLE | IPCOFF_REGION_SINGLE_USE);
	ASSERT_EQ(0, t_ioctl(self->fd, IPCOFF_IOC_BUF_ALLOC, &ba));
	ASSERT_EQ(0, t_grant(self->fd, h2, UID_A, IPCOFF_ACCESS_READ));
	ASSERT_EQ(0, t_grant(self->fd, h2, UID_B, IPCOFF_ACCESS_WRITE));

	memset(e, 0, sizeof(e));
	ASSERT_EQ(0, t_list(self->fd, 0, e, 8, sizeof(e[0]), &l));
	ASSERT_EQ(3, l.total);
	ASSERT_EQ(3, l.count);

	x = find(e, l.count, h1);
	ASSERT_NE(NULL, x);
	EXPECT_EQ(L, x->len);
	EXPECT_EQ(span_pages(PTR(self->buf), L), x->pages);
	EXPECT_EQ(0, x->flags);
	EXPECT_EQ(IPCOFF_REGION_INFO_OWN, x->state);
	EXPECT_EQ(0, x->grants);
	EXPECT_EQ(0, x->users);
	EXPECT_EQ((uint32_t)getpid(), x->owner_pid);
	EXPECT_EQ(geteuid(), x->owner_uid);
	EXPECT_EQ(0, x->reserved[0]);
	EXPECT_EQ(0, x->reserved[1]);

	x = find(e, l.count, h2);
	ASSERT_NE(NULL, x);
	EXPECT_EQ(span_pages(PTR(self->buf + L + 100), L), x->pages);
	EXPECT_EQ(IPCOFF_REGION_WRITABLE | IPCOFF_REGION_SINGLE_USE,
		  x->flags);
	EXPECT_EQ(2, x->grants);

	x = find(e, l.count, ba.handle);
	ASSERT_NE(NULL, x);
	EXPECT_EQ(ba.len, x->len);
	EXPECT_EQ(3, x->pages);
	EXPECT_EQ(IPCOFF_REGION_INFO_OWN | IPCOFF_REGION_INFO_BUFFER,
		  x->state);

	/* Gone from the list as soon as the handle is. */
	ASSERT_EQ(0, t_unregister(self->fd, h1));
	ASSERT_EQ(0, t_list(self->fd, 0, e, 8, sizeof(e[0]), &l));
	EXPECT_EQ(2, l.total);
	EXPECT_EQ(NULL, find(e, l.count, h1));
}

TEST_F(ctl, room_and_entry_size)
{
	const size_t ks = sizeof(struct ipcoff_region_info);
	const size_t big = ks + 24;
	uint8_t raw[4 * (sizeof(struct ipcoff_region_info) + 24)];
	struct ipcoff_region_info e[4];
	struct ipcoff_region_list l;
	int i;

	for (i = 0; i < 4; i++)
		REG(self->buf + i * L, L, 0);

	/* Count only. */
	ASSERT_EQ(0, t_list(self->fd, 0, NULL, 0, ks, &l));
	EXPECT_EQ(0, l.count);
	EXPECT_EQ(4, l.total);

	/* Less room than regions: what fits, and the total. */
	memset(e, 0x5a, sizeof(e));
	ASSERT_EQ(0, t_list(self->fd, 0, e, 2, ks, &l));
	EXPECT_EQ(2, l.count);
	EXPECT_EQ(4, l.total);
	EXPECT_NE(0, e[0].handle);
	EXPECT_NE(0, e[1].handle);
	EXPECT_EQ(0x5a5a5a5a5a5a5a5aULL, e[2].handle);

	/* A newer caller's larger entries: the stride is theirs, the tail 0. */
	memset(raw, 0xff, sizeof(raw));
	ASSERT_EQ(0, t_list(self->fd, 0, raw, 4, big, &l));
	EXPECT_EQ(4, l.count);
	for (i = 0; i < 4; i++) {
		struct ipcoff_region_info x;

		memcpy(&x, raw + i * big, ks);
		EXPECT_EQ(L, x.len);
		EXPECT_EQ(big - ks, mem_check_byte(raw + i * big + ks, big - ks, 0))
			TH_LOG("entry %d: tail not zeroed", i);
	}
}

TEST_F(ctl, bad_arguments)
{
	const uint32_t ks = sizeof(struct ipcoff_region_info);
	struct ipcoff_region_info e[2];
	struct ipcoff_region_list l;
	size_t ps = page_size();
	void *gone;

	REG(self->buf, L, 0);
	EXPECT_EQ(-EINVAL, t_list(self->fd, 0x4, e, 2, ks, NULL));
	EXPECT_EQ(-EINVAL, t_list(self->fd, 0x80000000u, e, 2, ks, NULL));
	EXPECT_EQ(-EINVAL, t_list(self->fd, IPCOFF_REGION_LIST_UID |
				  IPCOFF_REGION_LIST_ALL, e, 2, ks, NULL));
	EXPECT_EQ(-EINVAL, t_list(self->fd, 0, e, 2, ks - 8, NULL));
	EXPECT_EQ(-EINVAL, t_list(self->fd, 0, e, 2, 0, NULL));
	EXPECT_EQ(-EINVAL, t_list(self->fd, 0, e, 2, ps + 8, NULL));
	EXPECT_EQ(-EINVAL, t_list(self->fd, 0, NULL, 2, ks, NULL));

	memset(&l, 0, sizeof(l));
	l.entry_size = ks;
	l.pad = 1;
	EXPECT_EQ(-EINVAL, t_ioctl(self->fd, IPCOFF_IOC_REGION_LIST, &l));
	l.pad = 0;
	l.reserved[1] = 1;
	EXPECT_EQ(-EINVAL, t_ioctl(self->fd, IPCOFF_IOC_REGION_LIST, &l));
	/* Output fields are not read. */
	l.reserved[1] = 0;
	l.count = 77;
	l.total = 99;
	EXPECT_EQ(0, t_ioctl(self->fd, IPCOFF_IOC_REGION_LIST, &l));
	EXPECT_EQ(1, l.total);
	EXPECT_EQ(0, l.count);

	gone = mmap(NULL, ps, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, gone);
	ASSERT_EQ(0, munmap(gone, ps));
	EXPECT_EQ(-EFAULT, t_list(self->fd, 0, gone, 2, ks, NULL));
	/* Read-only entries. */
	gone = mmap(NULL, ps, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, gone);
	EXPECT_EQ(-EFAULT, t_list(self->fd, 0, gone, 2, ks, NULL));
	munmap(gone, ps);
}

/*
 * UID: the regions of every context opened by this euid, another
 * process's included (without OWN), never another uid's. ALL: every
 * region, with its owner, and only with CAP_SYS_ADMIN.
 */
TEST_F(ctl, uid_and_all_scopes)
{
	const uint32_t ks = sizeof(struct ipcoff_region_info);
	const struct ipcoff_region_info *x;
	struct ipcoff_region_info e[256];
	struct ipcoff_region_list l;
	struct agent_rep r;
	uint64_t mine, same, other;

	AGENT_START(&self->ag[0], 0);
	AGENT_START(&self->ag[1], UID_A);
	mine = REG(self->buf, L, 0);
	r = AG(&self->ag[0], AG_REGISTER, L, 0, 1, 0, MEM_ANON);
	ASSERT_EQ(0, r.ret);
	same = r.v[0];
	r = AG(&self->ag[1], AG_REGISTER, L, IPCOFF_REGION_WRITABLE, 2, 0,
	       MEM_ANON);
	ASSERT_EQ(0, r.ret);
	other = r.v[0];

	/* The context's own: just the one. */
	ASSERT_EQ(0, t_list(self->fd, 0, e, 256, ks, &l));
	EXPECT_EQ(1, l.total);

	ASSERT_EQ(0, t_list(self->fd, IPCOFF_REGION_LIST_UID, e, 256, ks,
			    &l));
	ASSERT_EQ(l.total, l.count);
	x = find(e, l.count, mine);
	ASSERT_NE(NULL, x);
	EXPECT_EQ(IPCOFF_REGION_INFO_OWN, x->state);
	x = find(e, l.count, same);
	ASSERT_NE(NULL, x);
	EXPECT_EQ(0, x->state);
	EXPECT_EQ((uint32_t)self->ag[0].pid, x->owner_pid);
	EXPECT_EQ(NULL, find(e, l.count, other));

	ASSERT_EQ(0, t_list(self->fd, IPCOFF_REGION_LIST_ALL, e, 256, ks,
			    &l));
	ASSERT_EQ(l.total, l.count);
	EXPECT_NE(NULL, find(e, l.count, mine));
	EXPECT_NE(NULL, find(e, l.count, same));
	x = find(e, l.count, other);
	ASSERT_NE(NULL, x);
	EXPECT_EQ(UID_A, x->owner_uid);
	EXPECT_EQ((uint32_t)self->ag[1].pid, x->owner_pid);
	EXPECT_EQ(IPCOFF_REGION_WRITABLE, x->flags);

	/* UID_A's own view: its region, not root's. */
	{
		pid_t pid = fork();

		ASSERT_LE(0, pid);
		if (pid == 0) {
			struct ipcoff_region_list cl;
			int cfd, ok;

			if (become_uid(UID_A))
				_exit(10);
			cfd = open_as_self();
			if (cfd < 0)
				_exit(11);
			if (t_list(cfd, IPCOFF_REGION_LIST_ALL, e, 256, ks,
				   NULL) != -EPERM)
				_exit(12);
			if (t_list(cfd, IPCOFF_REGION_LIST_UID, e, 256, ks,
				   &cl))
				_exit(13);
			ok = find(e, cl.count, other) &&
			     !find(e, cl.count, mine) &&
			     !find(e, cl.count, same);
			_exit(ok ? 0 : 14);
		} else {
			int st;

			ASSERT_EQ(pid, waitpid(pid, &st, 0));
			ASSERT_TRUE(WIFEXITED(st));
			EXPECT_EQ(0, WEXITSTATUS(st));
		}
	}

	/* Root without CAP_SYS_ADMIN: no module-wide view. */
	{
		pid_t pid = fork();

		ASSERT_LE(0, pid);
		if (pid == 0) {
			if (caps_drop(CAP_SYS_ADMIN))
				_exit(10);
			_exit(t_list(self->fd, IPCOFF_REGION_LIST_ALL, e, 256,
				     ks, NULL) == -EPERM ? 0 : 11);
		} else {
			int st;

			ASSERT_EQ(pid, waitpid(pid, &st, 0));
			ASSERT_TRUE(WIFEXITED(st));
			EXPECT_EQ(0, WEXITSTATUS(st));
		}
	}

	/* A region leaves the module-wide list with its owner's context. */
	agent_kill(&self->ag[1]);
	ASSERT_EQ(0, t_list(self->fd, IPCOFF_REGION_LIST_ALL, e, 256, ks,
			    &l));
	EXPECT_EQ(NULL, find(e, l.count, other));
}

/* Copies in flight are counted in users. */
TEST_F(ctl, users_while_copying)
{
	const uint32_t ks = sizeof(struct ipcoff_region_info);
	struct ipcoff_region_info e[2];
	struct ipcoff_region_list l;
	uint64_t h;

	h = REG(self->buf, L, 0);
	/* A synchronous copy is over when COPY returns: no user left. */
	ASSERT_EQ(0, t_read(self->fd, self->buf + 2 * L, L, h, 0, NULL));
	ASSERT_EQ(0, t_list(self->fd, 0, e, 2, ks, &l));
	ASSERT_EQ(1, l.count);
	EXPECT_EQ(0, e[0].users);
}

/* Reads engine @name's histogram; returns the number of buckets or -1. */
static int read_hist(const char *name, uint64_t *b, int max)
{
	char path[128], text[1024], *p, *end;
	int n = 0;

	snprintf(path, sizeof(path), IPCOFF_SYSFS "/%s/latency_buckets", name);
	if (read_text(path, text, sizeof(text)) < 0)
		return -1;
	for (p = text; n < max; p = end) {
		unsigned long long v = strtoull(p, &end, 10);

		if (end == p)
			break;
		b[n++] = v;
	}
	return n;
}

static uint64_t sum(const uint64_t *b, int n)
{
	uint64_t s = 0;
	int i;

	for (i = 0; i < n; i++)
		s += b[i];
	return s;
}

/*
 * Every completion of an engine lands in one bucket of its histogram:
 * copies done and copies failed, nothing else. Bounds are 2^k us, so a
 * copy in a TCG guest lands in a finite bucket.
 */
TEST_F(ctl, latency_histogram)
{
	uint64_t before[32], after[32];
	int64_t req0, req1, err0, err1;
	uint64_t h;
	int n, i;

	n = read_hist("cpu", before, 32);
	ASSERT_EQ(22, n);
	ASSERT_EQ(22, read_hist("dma", after, 32));
	ASSERT_EQ(22, read_hist("elide", after, 32));
	ASSERT_EQ(0, read_u64_file(IPCOFF_SYSFS "/cpu/requests", &req0));
	ASSERT_EQ(0, read_u64_file(IPCOFF_SYSFS "/cpu/errors", &err0));

	h = REG(self->buf, L, 0);
	for (i = 0; i < 10; i++) {
		struct ipcoff_copy c;

		memset(&c, 0, sizeof(c));
		ep_region(&c.src, h, 0);
		{
			struct ipcoff_iovec iov = {
				.base = PTR(self->buf + 2 * L), .len = L,
			};

			ep_iov(&c.dst, &iov, 1);
			c.len = L;
			c.engine = IPCOFF_ENGINE_CPU;
			ASSERT_EQ(0, t_copy(self->fd, &c));
		}
	}
	ASSERT_EQ(0, read_u64_file(IPCOFF_SYSFS "/cpu/requests", &req1));
	ASSERT_EQ(0, read_u64_file(IPCOFF_SYSFS "/cpu/errors", &err1));
	ASSERT_EQ(22, read_hist("cpu", after, 32));
	/* Other programs do not run beside this one in the guest. */
	EXPECT_EQ((uint64_t)(req1 - req0 + err1 - err0),
		  sum(after, n) - sum(before, n));
	EXPECT_LE(10, req1 - req0);
	for (i = 0; i < n; i++)
		EXPECT_LE(before[i], after[i]);
	/* A 20 kB copy never takes over a second, even under TCG. */
	EXPECT_EQ(before[n - 1], after[n - 1]);
}

TEST_HARNESS_MAIN
