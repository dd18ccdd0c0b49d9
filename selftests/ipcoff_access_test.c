// SPDX-License-Identifier: GPL-2.0
/*
 * Who may use a region: the owning context, contexts opened by the same
 * uid, other uids only through GRANT (READ: source, WRITE: destination),
 * revocation, single-use regions, UNREGISTER by the owner only, and the
 * identity being the opener's credentials (fork() and SCM_RIGHTS share the
 * context, and the uid stays the opener's).
 *
 * Agents play the other processes; UID_A, UID_B and UID_C are plain users
 * with no effective capability (CAP_DAC_OVERRIDE stays permitted, to open
 * /dev/ipcoff, which is 0600 root by default).
 */
#include "common.h"
#include "agent.h"

#define L	20000	/* region length */

FIXTURE(access) {
	int fd;
	uint8_t *buf;	/* 4 * L */
	struct agent ag[4];
};

FIXTURE_SETUP(access)
{
	self->fd = t_open();
	ASSERT_LE(0, self->fd);
	self->buf = mmap(NULL, 4 * L, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, self->buf);
}

FIXTURE_TEARDOWN(access)
{
	int i;

	for (i = 0; i < 4; i++)
		agent_kill(&self->ag[i]);
	if (self->fd >= 0)
		close(self->fd);
}

/* Agent @a registers L bytes of pattern @seed; returns the handle. */
#define AG_REG(a, flags, seed) ({ \
	struct agent_rep __r = AG((a), AG_REGISTER, L, (flags), (seed), 0, \
				  MEM_ANON); \
	ASSERT_EQ(0, __r.ret); \
	ASSERT_NE(0, __r.v[0]); \
	__r.v[0]; \
})

/* Agent @a reads [off, off + len) of @h; expect @err and the bytes. */
#define EXPECT_AG_READ(err, a, h, off, len, seed) do { \
	struct agent_rep __r = AG((a), AG_READ, (h), (off), (len), (seed), \
				  (off)); \
	EXPECT_EQ(err, __r.ret); \
	EXPECT_EQ(1, __r.v[1]) \
		TH_LOG("%s", (err) ? "bytes arrived although it failed" : \
				     "wrong bytes arrived"); \
	if (!(err)) { \
		EXPECT_EQ((uint64_t)(len), __r.v[0]); \
	} \
} while (0)

/* Agent @a writes pattern @seed to [off, off + len) of @h. */
#define EXPECT_AG_WRITE(err, a, h, off, len, seed) do { \
	struct agent_rep __r = AG((a), AG_WRITE, (h), (off), (len), (seed), \
				  0); \
	EXPECT_EQ(err, __r.ret); \
	if (!(err)) { \
		EXPECT_EQ((uint64_t)(len), __r.v[0]); \
	} \
} while (0)

/* The owner @a sees pattern @seed (from @start) in [off, off + len). */
#define EXPECT_AG_HOLDS(a, h, off, len, seed, start) do { \
	struct agent_rep __r = AG((a), AG_CHECK, (h), (off), (len), (seed), \
				  (start)); \
	EXPECT_EQ(1, __r.v[1]); \
} while (0)

TEST_F(access, same_uid_by_default)
{
	struct agent *o = &self->ag[0], *p = &self->ag[1];
	uint64_t rw, ro;

	AGENT_START(o, 0);
	AGENT_START(p, 0);
	rw = AG_REG(o, IPCOFF_REGION_WRITABLE, 101);
	ro = AG_REG(o, 0, 102);

	EXPECT_AG_READ(0, p, rw, 0, L, 101);
	EXPECT_AG_READ(0, p, ro, 3, L - 3, 102);
	EXPECT_AG_WRITE(0, p, rw, 10, 100, 103);
	EXPECT_AG_HOLDS(o, rw, 10, 100, 103, 0);
	EXPECT_AG_HOLDS(o, rw, 0, 10, 101, 0);
	EXPECT_AG_HOLDS(o, rw, 110, L - 110, 101, 110);
	/* Not WRITABLE: a destination for nobody. */
	EXPECT_AG_WRITE(-EACCES, p, ro, 0, 100, 104);
	EXPECT_AG_HOLDS(o, ro, 0, L, 102, 0);
	/* The test process (root too) is the same uid. */
	EXPECT_EQ(0, t_read(self->fd, self->buf, L, ro, 0, NULL));
	EXPECT_EQ(L, pat_check(self->buf, L, 102, 0));
	/* Only the owning context manages the region. */
	EXPECT_EQ(-ENOENT, AG(p, AG_GRANT, rw, UID_B, IPCOFF_ACCESS_READ).ret);
	EXPECT_EQ(-ENOENT, AG(p, AG_UNREGISTER, rw).ret);
	EXPECT_EQ(-ENOENT, t_grant(self->fd, rw, UID_B, IPCOFF_ACCESS_READ));
	EXPECT_AG_READ(0, p, rw, 0, 10, 101);
}

TEST_F(access, other_uid_denied)
{
	struct agent *o = &self->ag[0], *p = &self->ag[1];
	uint64_t rw, mine;

	AGENT_START(o, UID_A);
	AGENT_START(p, UID_B);
	rw = AG_REG(o, IPCOFF_REGION_WRITABLE, 111);
	mine = AG_REG(p, IPCOFF_REGION_WRITABLE, 112);

	EXPECT_AG_READ(-EACCES, p, rw, 0, L, 111);
	EXPECT_AG_WRITE(-EACCES, p, rw, 0, L, 113);
	EXPECT_EQ(-EACCES, AG(p, AG_COPY, mine, 0, rw, 0, 100).ret);
	EXPECT_EQ(-EACCES, AG(p, AG_COPY, rw, 0, mine, 0, 100).ret);
	EXPECT_AG_HOLDS(p, mine, 0, L, 112, 0);
	/* Nor the other way round. */
	EXPECT_AG_READ(-EACCES, o, mine, 0, 100, 112);
	EXPECT_AG_WRITE(-EACCES, o, mine, 0, 100, 114);
	/* root is just another uid. */
	memset(self->buf, 0xa5, L);
	EXPECT_EQ(-EACCES, t_read(self->fd, self->buf, L, rw, 0, NULL));
	EXPECT_EQ(L, mem_check_byte(self->buf, L, 0xa5));
	EXPECT_EQ(-EACCES, t_write(self->fd, rw, 0, self->buf, L, NULL));
	EXPECT_AG_HOLDS(o, rw, 0, L, 111, 0);
	EXPECT_AG_HOLDS(p, mine, 0, L, 112, 0);
}

TEST_F(access, grant_read)
{
	struct agent *o = &self->ag[0], *p = &self->ag[1], *q = &self->ag[2];
	uint64_t rw;

	AGENT_START(o, UID_A);
	AGENT_START(p, UID_B);
	AGENT_START(q, UID_C);
	rw = AG_REG(o, IPCOFF_REGION_WRITABLE, 121);
	EXPECT_EQ(0, AG(o, AG_GRANT, rw, UID_B, IPCOFF_ACCESS_READ).ret);

	EXPECT_AG_READ(0, p, rw, 0, L, 121);
	EXPECT_AG_READ(0, p, rw, L - 1, 1, 121);
	EXPECT_AG_WRITE(-EACCES, p, rw, 0, 100, 122);
	EXPECT_AG_HOLDS(o, rw, 0, L, 121, 0);
	/* The grant names one uid. */
	EXPECT_AG_READ(-EACCES, q, rw, 0, 100, 121);
}

TEST_F(access, grant_write)
{
	struct agent *o = &self->ag[0], *p = &self->ag[1];
	uint64_t rw;

	AGENT_START(o, UID_A);
	AGENT_START(p, UID_B);
	rw = AG_REG(o, IPCOFF_REGION_WRITABLE, 123);
	EXPECT_EQ(0, AG(o, AG_GRANT, rw, UID_B, IPCOFF_ACCESS_WRITE).ret);

	EXPECT_AG_WRITE(0, p, rw, 5, 1000, 124);
	EXPECT_AG_HOLDS(o, rw, 5, 1000, 124, 0);
	EXPECT_AG_HOLDS(o, rw, 0, 5, 123, 0);
	EXPECT_AG_HOLDS(o, rw, 1005, L - 1005, 123, 1005);
	/* WRITE does not imply READ. */
	EXPECT_AG_READ(-EACCES, p, rw, 0, 100, 123);
}

TEST_F(access, grant_replace_and_revoke)
{
	struct agent *o = &self->ag[0], *p = &self->ag[1];
	struct agent *same = &self->ag[2];
	struct agent_rep r;
	uint64_t rw;

	AGENT_START(o, UID_A);
	AGENT_START(p, UID_B);
	AGENT_START(same, UID_A);
	rw = AG_REG(o, IPCOFF_REGION_WRITABLE, 131);

	EXPECT_EQ(0, AG(o, AG_GRANT, rw, UID_B,
			IPCOFF_ACCESS_READ | IPCOFF_ACCESS_WRITE).ret);
	EXPECT_AG_WRITE(0, p, rw, 0, 100, 132);
	EXPECT_AG_READ(0, p, rw, 100, 100, 131);

	/* A later grant replaces the earlier one. */
	EXPECT_EQ(0, AG(o, AG_GRANT, rw, UID_B, IPCOFF_ACCESS_READ).ret);
	EXPECT_AG_WRITE(-EACCES, p, rw, 0, 100, 133);
	EXPECT_AG_READ(0, p, rw, 100, 100, 131);

	/* access 0 revokes. */
	EXPECT_EQ(0, AG(o, AG_GRANT, rw, UID_B, 0).ret);
	EXPECT_AG_READ(-EACCES, p, rw, 100, 100, 131);
	EXPECT_AG_WRITE(-EACCES, p, rw, 0, 100, 134);
	EXPECT_AG_HOLDS(o, rw, 0, 100, 132, 0);
	EXPECT_AG_HOLDS(o, rw, 100, L - 100, 131, 100);

	/* Granting again after a revocation works. */
	EXPECT_EQ(0, AG(o, AG_GRANT, rw, UID_B, IPCOFF_ACCESS_READ).ret);
	EXPECT_AG_READ(0, p, rw, 100, 100, 131);

	/*
	 * The owner's own uid cannot be revoked (its return value is not
	 * specified; only the effect is).
	 */
	r = AG(o, AG_GRANT, rw, UID_A, 0);
	TH_LOG("revoking the owner's own uid: %s", strerror((int)-r.ret));
	EXPECT_AG_READ(0, same, rw, 100, 100, 131);
	EXPECT_AG_WRITE(0, same, rw, 0, 100, 135);
}

/* The test process (root) owns the regions here, to send raw GRANTs. */
TEST_F(access, grant_errors)
{
	struct agent *p = &self->ag[0], *other = &self->ag[1];
	struct ipcoff_grant g;
	uint64_t rw, ro;

	pat_fill(self->buf, L, 141, 0);
	pat_fill(self->buf + L, L, 143, 0);
	ASSERT_EQ(0, t_register(self->fd, PTR(self->buf), L,
				IPCOFF_REGION_WRITABLE, &rw));
	ASSERT_EQ(0, t_register(self->fd, PTR(self->buf + L), L, 0, &ro));
	AGENT_START(p, UID_B);
	AGENT_START(other, 0);

#define GRANT_EXPECT(err, change) do { \
	g = (struct ipcoff_grant){ .handle = rw, .uid = UID_B, \
				   .access = IPCOFF_ACCESS_READ }; \
	change; \
	EXPECT_EQ(err, t_ioctl(self->fd, IPCOFF_IOC_GRANT, &g)) \
		TH_LOG("%s", #change); \
} while (0)

	GRANT_EXPECT(-EINVAL, g.access = 4);
	GRANT_EXPECT(-EINVAL, g.access = IPCOFF_ACCESS_READ | 0x80000000u);
	GRANT_EXPECT(-EINVAL, g.flags = 1);
	GRANT_EXPECT(-EINVAL, g.pad = 1);
	GRANT_EXPECT(-EINVAL, g.reserved[0] = 1);
	GRANT_EXPECT(-EINVAL, g.reserved[1] = 1);
	/* (uid_t)-1 is never a mapped uid. */
	GRANT_EXPECT(-EINVAL, g.uid = ~0U);
	/* WRITE on a region that is not WRITABLE. */
	GRANT_EXPECT(-EINVAL, (g.handle = ro, g.access = IPCOFF_ACCESS_WRITE));
	GRANT_EXPECT(-EINVAL, (g.handle = ro, g.access = IPCOFF_ACCESS_MASK));
	GRANT_EXPECT(-ENOENT, g.handle = 0);
	GRANT_EXPECT(-ENOENT, g.handle = rw ^ 0x0100000000000010ULL);
	/* None of them granted anything. */
	EXPECT_AG_READ(-EACCES, p, rw, 0, 100, 141);
	EXPECT_AG_READ(-EACCES, p, ro, 0, 100, 143);
	EXPECT_AG_WRITE(-EACCES, p, rw, 0, 100, 142);

	/* Another context of the same uid is not the owner. */
	EXPECT_EQ(-ENOENT, AG(other, AG_GRANT, rw, UID_B,
			      IPCOFF_ACCESS_READ).ret);
	EXPECT_AG_READ(-EACCES, p, rw, 0, 100, 141);

	GRANT_EXPECT(0, g.handle = ro);
	EXPECT_AG_READ(0, p, ro, 0, 100, 143);
	EXPECT_AG_READ(-EACCES, p, rw, 0, 100, 141);

	EXPECT_EQ(0, t_unregister(self->fd, rw));
	GRANT_EXPECT(-ENOENT, (void)0);
	EXPECT_EQ(L, pat_check(self->buf, L, 141, 0));
#undef GRANT_EXPECT
}

/* C copies from A's region into B's: needs READ on one, WRITE on the other. */
TEST_F(access, grants_for_a_third_uid)
{
	struct agent *a = &self->ag[0], *b = &self->ag[1], *c = &self->ag[2];
	uint64_t src, dst;

	AGENT_START(a, UID_A);
	AGENT_START(b, UID_B);
	AGENT_START(c, UID_C);
	src = AG_REG(a, 0, 151);
	dst = AG_REG(b, IPCOFF_REGION_WRITABLE, 152);

	EXPECT_EQ(-EACCES, AG(c, AG_COPY, dst, 0, src, 0, L).ret);
	EXPECT_EQ(0, AG(a, AG_GRANT, src, UID_C, IPCOFF_ACCESS_READ).ret);
	EXPECT_EQ(-EACCES, AG(c, AG_COPY, dst, 0, src, 0, L).ret);
	EXPECT_EQ(0, AG(b, AG_GRANT, dst, UID_C, IPCOFF_ACCESS_READ).ret);
	EXPECT_EQ(-EACCES, AG(c, AG_COPY, dst, 0, src, 0, L).ret);
	EXPECT_AG_HOLDS(b, dst, 0, L, 152, 0);

	EXPECT_EQ(0, AG(b, AG_GRANT, dst, UID_C, IPCOFF_ACCESS_WRITE).ret);
	EXPECT_EQ(0, AG(c, AG_COPY, dst, 7, src, 3, L - 10).ret);
	EXPECT_AG_HOLDS(b, dst, 7, L - 10, 151, 3);
	EXPECT_AG_HOLDS(b, dst, 0, 7, 152, 0);

	EXPECT_EQ(0, AG(a, AG_GRANT, src, UID_C, 0).ret);
	EXPECT_EQ(-EACCES, AG(c, AG_COPY, dst, 0, src, 0, L).ret);
}

TEST_F(access, single_use_source)
{
	struct agent *p = &self->ag[0], *p2 = &self->ag[1];
	struct agent *stranger = &self->ag[2], *child = &self->ag[3];
	struct agent_opts shared = { .share_fd = 1, .fd = self->fd };
	uint64_t h;

	pat_fill(self->buf, L, 161, 0);
	ASSERT_EQ(0, t_register(self->fd, PTR(self->buf), L,
				IPCOFF_REGION_SINGLE_USE, &h));
	AGENT_START(p, 0);
	AGENT_START(p2, 0);
	AGENT_START(stranger, UID_B);
	ASSERT_EQ(0, agent_start(child, &shared));

	/* The owner's copies do not consume it, nor do its forks'. */
	EXPECT_EQ(0, t_read(self->fd, self->buf + L, L, h, 0, NULL));
	EXPECT_EQ(0, t_read(self->fd, self->buf + L, L, h, 0, NULL));
	EXPECT_AG_READ(0, child, h, 0, 100, 161);
	EXPECT_AG_READ(0, child, h, 0, 100, 161);
	/* Failed copies do not consume it. */
	EXPECT_AG_READ(-EACCES, stranger, h, 0, 100, 161);
	EXPECT_AG_READ(-ERANGE, p, h, L - 1, 2, 161);

	/* The first successful peer copy does. */
	EXPECT_AG_READ(0, p, h, 10, L - 10, 161);
	EXPECT_AG_READ(-EACCES, p, h, 10, 100, 161);
	EXPECT_AG_READ(-EACCES, p2, h, 0, 100, 161);

	/* The owner can still use it. */
	memset(self->buf + L, 0, L);
	EXPECT_EQ(0, t_read(self->fd, self->buf + L, L, h, 0, NULL));
	EXPECT_EQ(L, pat_check(self->buf + L, L, 161, 0));
	EXPECT_AG_READ(0, child, h, 0, 100, 161);
	EXPECT_EQ(0, t_unregister(self->fd, h));
}

TEST_F(access, single_use_destination)
{
	struct agent *p = &self->ag[0];
	uint64_t h;

	pat_fill(self->buf, L, 171, 0);
	ASSERT_EQ(0, t_register(self->fd, PTR(self->buf), L,
				IPCOFF_REGION_SINGLE_USE |
				IPCOFF_REGION_WRITABLE, &h));
	AGENT_START(p, 0);

	EXPECT_AG_WRITE(0, p, h, 0, 1000, 172);
	EXPECT_AG_WRITE(-EACCES, p, h, 0, 1000, 173);
	EXPECT_AG_READ(-EACCES, p, h, 0, 100, 172);
	EXPECT_EQ(1000, pat_check(self->buf, 1000, 172, 0));
	EXPECT_EQ(L - 1000, pat_check(self->buf + 1000, L - 1000, 171, 1000));

	/* The owner still writes and reads it. */
	pat_fill(self->buf + L, 100, 174, 0);
	EXPECT_EQ(0, t_write(self->fd, h, 2000, self->buf + L, 100, NULL));
	EXPECT_EQ(100, pat_check(self->buf + 2000, 100, 174, 0));
	EXPECT_EQ(0, t_unregister(self->fd, h));
}

TEST_F(access, unregister_by_owner_only)
{
	struct agent *o = &self->ag[0], *p = &self->ag[1];
	uint64_t h;

	AGENT_START(o, 0);
	AGENT_START(p, 0);
	h = AG_REG(o, IPCOFF_REGION_WRITABLE, 181);

	EXPECT_EQ(-ENOENT, AG(p, AG_UNREGISTER, h).ret);
	EXPECT_EQ(-ENOENT, t_unregister(self->fd, h));
	EXPECT_AG_READ(0, p, h, 0, L, 181);

	EXPECT_EQ(0, AG(o, AG_UNREGISTER, h).ret);
	EXPECT_AG_READ(-ENOENT, p, h, 0, L, 181);
	EXPECT_AG_WRITE(-ENOENT, p, h, 0, 10, 182);
	EXPECT_AG_READ(-ENOENT, o, h, 0, L, 181);
	EXPECT_EQ(-ENOENT, AG(o, AG_UNREGISTER, h).ret);
	EXPECT_EQ(-ENOENT, AG(o, AG_GRANT, h, UID_B, IPCOFF_ACCESS_READ).ret);
	EXPECT_EQ(-ENOENT, t_read(self->fd, self->buf, 1, h, 0, NULL));
}

/* A child forked with the fd is the same context. */
TEST_F(access, fork_shares_context)
{
	struct agent *child = &self->ag[0], *peer = &self->ag[1];
	struct agent_opts shared = { .share_fd = 1, .fd = self->fd };
	uint64_t h, h2;

	pat_fill(self->buf, L, 191, 0);
	ASSERT_EQ(0, t_register(self->fd, PTR(self->buf), L,
				IPCOFF_REGION_WRITABLE, &h));
	ASSERT_EQ(0, agent_start(child, &shared));
	AGENT_START(peer, UID_B);

	EXPECT_AG_READ(0, child, h, 0, L, 191);
	EXPECT_AG_WRITE(0, child, h, 100, 100, 192);
	EXPECT_EQ(100, pat_check(self->buf + 100, 100, 192, 0));
	/* The child manages the parent's region... */
	EXPECT_EQ(0, AG(child, AG_GRANT, h, UID_B, IPCOFF_ACCESS_READ).ret);
	EXPECT_AG_READ(0, peer, h, 0, 100, 191);
	/* ...and the parent the child's. */
	h2 = AG_REG(child, 0, 193);
	EXPECT_EQ(0, t_read(self->fd, self->buf + L, L, h2, 0, NULL));
	EXPECT_EQ(L, pat_check(self->buf + L, L, 193, 0));
	EXPECT_EQ(0, t_unregister(self->fd, h2));
	EXPECT_EQ(-ENOENT, AG(child, AG_UNREGISTER, h2).ret);

	EXPECT_EQ(0, AG(child, AG_UNREGISTER, h).ret);
	EXPECT_EQ(-ENOENT, t_unregister(self->fd, h));
	EXPECT_EQ(-ENOENT, t_read(self->fd, self->buf + L, 1, h, 0, NULL));
}

/* An fd passed over a unix socket is the sender's context. */
TEST_F(access, scm_rights_shares_context)
{
	struct agent *o = &self->ag[0], *p = &self->ag[1];
	struct agent_msg m = { .op = AG_SEND_FD };
	int fd_o = -1;
	uint64_t h;

	AGENT_START(o, UID_A);
	AGENT_START(p, UID_B);
	h = AG_REG(o, IPCOFF_REGION_WRITABLE, 201);
	agent_req(_metadata, o, &m, -1, &fd_o);
	ASSERT_LE(0, fd_o);

	/* root, through A's context: everything the owner may do. */
	EXPECT_EQ(0, t_read(fd_o, self->buf, L, h, 0, NULL));
	EXPECT_EQ(L, pat_check(self->buf, L, 201, 0));
	pat_fill(self->buf, 50, 202, 0);
	EXPECT_EQ(0, t_write(fd_o, h, 50, self->buf, 50, NULL));
	EXPECT_AG_HOLDS(o, h, 50, 50, 202, 0);
	EXPECT_EQ(0, t_grant(fd_o, h, UID_B, IPCOFF_ACCESS_READ));
	EXPECT_AG_READ(0, p, h, 100, 100, 201);
	/* root's own context is another uid. */
	EXPECT_EQ(-EACCES, t_read(self->fd, self->buf, 1, h, 0, NULL));

	EXPECT_EQ(0, t_unregister(fd_o, h));
	EXPECT_AG_READ(-ENOENT, o, h, 0, 100, 201);
	close(fd_o);
}

/* The uid that counts is the one that opened the fd, not the caller's. */
TEST_F(access, identity_is_the_opener)
{
	struct agent *o = &self->ag[0], *q = &self->ag[1];
	struct agent *p = &self->ag[2], *q2 = &self->ag[3];
	struct agent_msg m = { .op = AG_SEND_FD };
	int fd_q = -1;
	uint64_t h;

	AGENT_START(o, UID_A);
	AGENT_START(q, UID_A);
	AGENT_START(p, UID_B);
	AGENT_START(q2, UID_A);
	h = AG_REG(o, IPCOFF_REGION_WRITABLE, 211);

	EXPECT_EQ(-EACCES, t_read(self->fd, self->buf, 1, h, 0, NULL));

	/* An fd A opened: root acts as A (but is not the owner context). */
	agent_req(_metadata, q, &m, -1, &fd_q);
	ASSERT_LE(0, fd_q);
	EXPECT_EQ(0, t_read(fd_q, self->buf, L, h, 0, NULL));
	EXPECT_EQ(L, pat_check(self->buf, L, 211, 0));
	pat_fill(self->buf, 10, 212, 0);
	EXPECT_EQ(0, t_write(fd_q, h, 0, self->buf, 10, NULL));
	EXPECT_AG_HOLDS(o, h, 0, 10, 212, 0);
	EXPECT_EQ(-ENOENT, t_unregister(fd_q, h));

	/* B with A's fd acts as A. */
	m.op = AG_RECV_FD;
	agent_req(_metadata, p, &m, fd_q, NULL);
	EXPECT_AG_READ(0, p, h, 10, L - 10, 211);

	/* A with root's fd acts as root. */
	agent_req(_metadata, q2, &m, self->fd, NULL);
	EXPECT_AG_READ(-EACCES, q2, h, 10, 100, 211);
	EXPECT_AG_WRITE(-EACCES, q2, h, 10, 100, 213);
	/* Its own fd again. */
	EXPECT_EQ(0, AG(q2, AG_OPEN).err);
	EXPECT_AG_READ(0, q2, h, 10, 100, 211);
	close(fd_q);
}

TEST_HARNESS_MAIN
