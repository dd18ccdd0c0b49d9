// SPDX-License-Identifier: GPL-2.0
/*
 * Lifetimes and accounting: a process killed with regions registered (or
 * with copies in flight) leaves nothing pinned, by the module's counter and
 * by the kernel's FOLL_PIN counters; the context lives as long as its open
 * file; pinned memory is charged to the registering process (VmPin) and
 * limited by RLIMIT_MEMLOCK unless CAP_IPC_LOCK.
 *
 * Pages are unpinned asynchronously: every "back to baseline" is polled
 * for up to SETTLE_MS.
 */
#include "common.h"
#include "agent.h"

static int self_vmpin(int64_t *kb)
{
	return vmpin_kb(0, kb);
}

/* Poll the agent's VmPin until it reads @want kB. */
static int agent_vmpin_wait(struct __test_metadata *_metadata,
			    struct agent *a, int64_t want, int64_t *last)
{
	uint64_t end = now_ms() + SETTLE_MS;

	for (;;) {
		*last = (int64_t)AG(a, AG_VMPIN).v[0];
		if (*last == want)
			return 0;
		if (now_ms() >= end)
			return -ETIMEDOUT;
		msleep(20);
	}
}

#define EXPECT_BACK_TO(fn, base) do { \
	int64_t __v; \
	EXPECT_EQ(0, counter_wait(fn, base, SETTLE_MS, &__v)) \
		TH_LOG(#fn " %" PRId64 " after %d ms, baseline %" PRId64, \
		       __v, SETTLE_MS, (int64_t)(base)); \
} while (0)

/* ------------------------------------------------------------------ */
/* SIGKILL with regions registered, for each kind of memory.           */

FIXTURE(killed) {
	int fd;
	struct agent ag;
	const char *skip;
	int64_t pinned0, foll0, regions0;
};

FIXTURE_VARIANT(killed) {
	int type;
	size_t off;
	size_t len;
};

FIXTURE_VARIANT_ADD(killed, anon) {
	.type = MEM_ANON, .off = 1, .len = (4 << 20) + 3,
};

FIXTURE_VARIANT_ADD(killed, memfd) {
	.type = MEM_MEMFD, .off = 0, .len = 1 << 20,
};

FIXTURE_VARIANT_ADD(killed, shm) {
	.type = MEM_SHM, .off = 100, .len = (1 << 20) + 5,
};

FIXTURE_VARIANT_ADD(killed, hugetlb_anon) {
	.type = MEM_HUGE_ANON, .off = 0, .len = 2 << 20,
};

FIXTURE_VARIANT_ADD(killed, hugetlbfs_file) {
	.type = MEM_HUGE_FILE, .off = 4096, .len = 2 << 20,
};

FIXTURE_SETUP(killed)
{
	size_t ml;
	void *p;

	self->fd = t_open();
	ASSERT_LE(0, self->fd);
	/* Can this memory be had here at all? (three regions' worth) */
	p = mem_map(variant->type, 3 * (variant->off + variant->len), &ml);
	if (p == MAP_FAILED) {
		int err = errno;

		self->skip = mem_unavailable(variant->type, err);
		ASSERT_NE(NULL, self->skip) TH_LOG("%s", strerror(err));
		return;
	}
	munmap(p, ml);
	ASSERT_EQ(0, counter_settle(pinned_pages, &self->pinned0));
	ASSERT_EQ(0, counter_settle(foll_pins, &self->foll0));
	ASSERT_EQ(0, counter_settle(live_regions, &self->regions0));
}

FIXTURE_TEARDOWN(killed)
{
	agent_kill(&self->ag);
	close(self->fd);
}

TEST_F_TIMEOUT(killed, sigkill_unpins, 120)
{
	size_t off = variant->off, len = variant->len;
	uint64_t pages, h[3];
	struct agent_rep r;
	int64_t v;

	SKIP_IF_SET(self->skip);
	AGENT_START(&self->ag, 0);
	r = AG(&self->ag, AG_REGISTER, len, IPCOFF_REGION_WRITABLE, 221, off,
	       variant->type);
	ASSERT_EQ(0, r.ret);
	h[0] = r.v[0];
	r = AG(&self->ag, AG_REGISTER, len / 2, 0, 222, off, variant->type);
	ASSERT_EQ(0, r.ret);
	h[1] = r.v[0];
	r = AG(&self->ag, AG_REGISTER, len, IPCOFF_REGION_SINGLE_USE, 223, off,
	       variant->type);
	ASSERT_EQ(0, r.ret);
	h[2] = r.v[0];
	/* Mappings start page-aligned; the regions start at @off in them. */
	pages = 2 * span_pages(off, len) + span_pages(off, len / 2);

	ASSERT_EQ(0, pinned_pages(&v));
	EXPECT_EQ(self->pinned0 + (int64_t)pages, v);
	ASSERT_EQ(0, foll_pins(&v));
	EXPECT_LE(self->foll0 + (int64_t)pages, v);
	ASSERT_EQ(0, live_regions(&v));
	EXPECT_EQ(self->regions0 + 3, v);
	/* Alive and well. */
	EXPECT_EQ(0, t_read(self->fd, &v, sizeof(v), h[1], 8, NULL));

	EXPECT_EQ(128 + SIGKILL, agent_kill(&self->ag));
	EXPECT_BACK_TO(pinned_pages, self->pinned0);
	EXPECT_BACK_TO(foll_pins, self->foll0);
	EXPECT_BACK_TO(live_regions, self->regions0);
	EXPECT_EQ(-ENOENT, t_read(self->fd, &v, 1, h[0], 0, NULL));
	EXPECT_EQ(-ENOENT, t_read(self->fd, &v, 1, h[1], 0, NULL));
	EXPECT_EQ(-ENOENT, t_read(self->fd, &v, 1, h[2], 0, NULL));
}

/* ------------------------------------------------------------------ */

FIXTURE(lifetime) {
	int fd;
	struct agent ag[3];
	int64_t pinned0, foll0, regions0;
};

FIXTURE_SETUP(lifetime)
{
	self->fd = t_open();
	ASSERT_LE(0, self->fd);
	ASSERT_EQ(0, counter_settle(pinned_pages, &self->pinned0));
	ASSERT_EQ(0, counter_settle(foll_pins, &self->foll0));
	ASSERT_EQ(0, counter_settle(live_regions, &self->regions0));
}

FIXTURE_TEARDOWN(lifetime)
{
	int i;

	for (i = 0; i < 3; i++)
		agent_kill(&self->ag[i]);
	if (self->fd >= 0)
		close(self->fd);
}

/* Exiting without UNREGISTER (or close) is the same as closing. */
TEST_F(lifetime, exit_without_unregister)
{
	struct agent_rep r;
	int64_t v;

	AGENT_START(&self->ag[0], UID_A);
	r = AG(&self->ag[0], AG_REGISTER, 300000, IPCOFF_REGION_WRITABLE, 231,
	       0, MEM_ANON);
	ASSERT_EQ(0, r.ret);
	r = AG(&self->ag[0], AG_REGISTER, 5000, 0, 232, 3, MEM_MEMFD);
	ASSERT_EQ(0, r.ret);
	ASSERT_EQ(0, pinned_pages(&v));
	EXPECT_EQ(self->pinned0 + (int64_t)(span_pages(0, 300000) +
					    span_pages(3, 5000)), v);
	EXPECT_EQ(0, agent_stop(&self->ag[0]));
	EXPECT_BACK_TO(pinned_pages, self->pinned0);
	EXPECT_BACK_TO(foll_pins, self->foll0);
	EXPECT_BACK_TO(live_regions, self->regions0);
}

/* The context lives until the last reference to its open file goes. */
TEST_F(lifetime, last_close_of_a_shared_fd)
{
	struct agent_opts shared = { .share_fd = 1, .fd = self->fd };
	size_t ps = page_size();
	uint8_t *buf, out[64];
	uint64_t h;
	int fd2;

	buf = mmap(NULL, 8 * ps, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, buf);
	pat_fill(buf, 8 * ps, 241, 0);
	ASSERT_EQ(0, t_register(self->fd, PTR(buf), 8 * ps, 0, &h));
	ASSERT_EQ(0, agent_start(&self->ag[0], &shared));

	fd2 = t_open();
	ASSERT_LE(0, fd2);
	ASSERT_EQ(0, close(self->fd));
	self->fd = -1;
	/* The agent still holds the file: the region lives. */
	msleep(200);
	EXPECT_EQ(0, t_read(fd2, out, sizeof(out), h, 100, NULL));
	EXPECT_EQ(sizeof(out), pat_check(out, sizeof(out), 241, 100));

	EXPECT_EQ(0, agent_stop(&self->ag[0]));
	EXPECT_BACK_TO(pinned_pages, self->pinned0);
	EXPECT_BACK_TO(foll_pins, self->foll0);
	EXPECT_EQ(-ENOENT, t_read(fd2, out, 1, h, 0, NULL));
	close(fd2);
}

/*
 * Processes killed while copies use their regions: the owner of the
 * source while a third process copies from it, then that process while
 * it copies.
 */
TEST_F_TIMEOUT(lifetime, sigkill_during_copies, 180)
{
	const uint64_t len = 16 << 20;
	struct agent *a = &self->ag[0], *b = &self->ag[1], *c = &self->ag[2];
	struct agent_msg m;
	struct agent_rep r;
	uint64_t ha, hb, hc;
	int64_t v;

	AGENT_START(a, 0);
	AGENT_START(b, 0);
	AGENT_START(c, 0);
	r = AG(a, AG_REGISTER, len, 0, 251, 0, MEM_ANON);
	ASSERT_EQ(0, r.ret);
	ha = r.v[0];
	r = AG(b, AG_REGISTER, len, IPCOFF_REGION_WRITABLE, 252, 0,
	       MEM_MEMFD);
	ASSERT_EQ(0, r.ret);
	hb = r.v[0];
	r = AG(c, AG_REGISTER, len, IPCOFF_REGION_WRITABLE, 253, 0, MEM_ANON);
	ASSERT_EQ(0, r.ret);
	hc = r.v[0];
	ASSERT_EQ(0, pinned_pages(&v));
	EXPECT_EQ(self->pinned0 + 3 * (int64_t)(len / page_size()), v);

	/* One full copy first, so b's content is known. */
	r = AG(c, AG_COPY, hb, 0, ha, 0, len);
	ASSERT_EQ(0, r.ret);
	EXPECT_EQ(len, r.v[0]);

	/* c copies a -> b until it fails; a dies meanwhile. */
	m = (struct agent_msg){ .op = AG_COPY_LOOP,
				.a = { hb, 0, ha, 0, len, 2000 } };
	ASSERT_EQ(0, agent_send(c, &m, -1));
	msleep(300);
	EXPECT_EQ(128 + SIGKILL, agent_kill(a));
	ASSERT_EQ(0, agent_recv(c, &r, NULL));
	EXPECT_EQ(-ENOENT, r.ret)
		TH_LOG("copies done before the owner died: %llu",
		       (unsigned long long)r.v[0]);
	TH_LOG("%llu copies of 16 MiB before the source went away",
		       (unsigned long long)r.v[0]);
	EXPECT_EQ(-ENOENT, t_copy_rr(self->fd, hb, 0, ha, 0, 1, NULL));

	/* c copies b -> c and is killed in the middle. */
	m = (struct agent_msg){ .op = AG_COPY_LOOP,
				.a = { hc, 0, hb, 0, len, 2000 } };
	ASSERT_EQ(0, agent_send(c, &m, -1));
	msleep(300);
	EXPECT_EQ(128 + SIGKILL, agent_kill(c));
	EXPECT_EQ(-ENOENT, t_copy_rr(self->fd, hb, 0, hc, 0, 1, NULL));
	/* b holds a's bytes (each copy wrote the same ones). */
	r = AG(b, AG_CHECK, hb, 0, len, 251, 0);
	EXPECT_EQ(1, r.v[1]);
	EXPECT_EQ(0, agent_stop(b));

	EXPECT_BACK_TO(pinned_pages, self->pinned0);
	EXPECT_BACK_TO(foll_pins, self->foll0);
	EXPECT_BACK_TO(live_regions, self->regions0);
}

/* ------------------------------------------------------------------ */
/* VmPin and RLIMIT_MEMLOCK.                                           */

TEST_F(lifetime, vmpin_follows_registrations)
{
	size_t ps = page_size();
	int64_t vm0, v;
	uint64_t h1, h2;
	uint8_t *buf;

	buf = mmap(NULL, 80 * ps, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, buf);
	memset(buf, 1, 80 * ps);
	ASSERT_EQ(0, counter_settle(self_vmpin, &vm0));

	ASSERT_EQ(0, t_register(self->fd, PTR(buf), 64 * ps,
				IPCOFF_REGION_WRITABLE, &h1));
	ASSERT_EQ(0, vmpin_kb(0, &v));
	EXPECT_EQ(vm0 + (int64_t)(64 * ps / 1024), v);
	/* Ten bytes across a page boundary pin (and charge) two pages. */
	ASSERT_EQ(0, t_register(self->fd, PTR(buf + 70 * ps - 5), 10, 0,
				&h2));
	ASSERT_EQ(0, vmpin_kb(0, &v));
	EXPECT_EQ(vm0 + (int64_t)(66 * ps / 1024), v);

	EXPECT_EQ(0, t_unregister(self->fd, h1));
	EXPECT_BACK_TO(self_vmpin, vm0 + (int64_t)(2 * ps / 1024));
	EXPECT_EQ(0, t_unregister(self->fd, h2));
	EXPECT_BACK_TO(self_vmpin, vm0);

	/* Closing the fd uncharges too. */
	ASSERT_EQ(0, t_register(self->fd, PTR(buf + ps), 8 * ps, 0, &h1));
	ASSERT_EQ(0, vmpin_kb(0, &v));
	EXPECT_EQ(vm0 + (int64_t)(8 * ps / 1024), v);
	close(self->fd);
	self->fd = -1;
	EXPECT_BACK_TO(self_vmpin, vm0);
	EXPECT_BACK_TO(pinned_pages, self->pinned0);
}

/* The registering process pays, not the one copying. */
TEST_F(lifetime, vmpin_of_the_registering_process)
{
	struct agent *o = &self->ag[0];
	size_t ps = page_size();
	struct agent_rep r;
	int64_t vm0, mine0, v;
	uint8_t out[256];
	uint64_t h;

	AGENT_START(o, UID_A);
	vm0 = (int64_t)AG(o, AG_VMPIN).v[0];
	ASSERT_EQ(0, vmpin_kb(0, &mine0));
	r = AG(o, AG_REGISTER, 32 * ps, IPCOFF_REGION_WRITABLE, 261, 0,
	       MEM_ANON);
	ASSERT_EQ(0, r.ret);
	h = r.v[0];
	EXPECT_EQ(vm0 + (int64_t)(32 * ps / 1024), (int64_t)AG(o, AG_VMPIN).v[0]);
	EXPECT_EQ(0, AG(o, AG_GRANT, h, 0, IPCOFF_ACCESS_READ).ret);
	EXPECT_EQ(0, t_read(self->fd, out, sizeof(out), h, 0, NULL));
	ASSERT_EQ(0, vmpin_kb(0, &v));
	EXPECT_EQ(mine0, v);

	EXPECT_EQ(0, AG(o, AG_UNREGISTER, h).ret);
	EXPECT_EQ(0, agent_vmpin_wait(_metadata, o, vm0, &v))
		TH_LOG("VmPin %" PRId64 " kB, was %" PRId64, v, vm0);
}

FIXTURE(memlock) {
	struct agent ag;
	int64_t pinned0;
};

FIXTURE_VARIANT(memlock) {
	uid_t uid;		/* a plain user... */
	int drop_ipc_lock;	/* ...or root without CAP_IPC_LOCK */
	int expect_limit;	/* 0: CAP_IPC_LOCK, no limit */
};

FIXTURE_VARIANT_ADD(memlock, root_without_cap_ipc_lock) {
	.uid = 0, .drop_ipc_lock = 1, .expect_limit = 1,
};

FIXTURE_VARIANT_ADD(memlock, unprivileged_user) {
	.uid = UID_B, .drop_ipc_lock = 0, .expect_limit = 1,
};

FIXTURE_VARIANT_ADD(memlock, root_with_cap_ipc_lock) {
	.uid = 0, .drop_ipc_lock = 0, .expect_limit = 0,
};

#define LIMIT_PAGES	16

FIXTURE_SETUP(memlock)
{
	struct agent_opts o = {
		.uid = variant->uid,
		.drop_ipc_lock = variant->drop_ipc_lock,
		.memlock = LIMIT_PAGES * page_size(),
	};

	ASSERT_EQ(0, counter_settle(pinned_pages, &self->pinned0));
	ASSERT_EQ(0, agent_start(&self->ag, &o));
}

FIXTURE_TEARDOWN(memlock)
{
	agent_kill(&self->ag);
}

TEST_F(memlock, rlimit_memlock)
{
	struct agent *a = &self->ag;
	size_t ps = page_size();
	const int64_t kb = (int64_t)ps / 1024;
	struct agent_rep r;
	int64_t vm0, v;
	uint64_t h1;

	vm0 = (int64_t)AG(a, AG_VMPIN).v[0];
	r = AG(a, AG_REGISTER, 8 * ps, IPCOFF_REGION_WRITABLE, 271, 0,
	       MEM_ANON);
	ASSERT_EQ(0, r.ret);
	h1 = r.v[0];
	EXPECT_EQ(vm0 + 8 * kb, (int64_t)AG(a, AG_VMPIN).v[0]);

	if (!variant->expect_limit) {
		/* CAP_IPC_LOCK: past the limit, and still charged. */
		r = AG(a, AG_REGISTER, 4 * LIMIT_PAGES * ps, 0, 272, 0,
		       MEM_ANON);
		EXPECT_EQ(0, r.ret);
		EXPECT_EQ(vm0 + (8 + 4 * LIMIT_PAGES) * kb,
			  (int64_t)AG(a, AG_VMPIN).v[0]);
		EXPECT_EQ(0, agent_stop(a));
		EXPECT_BACK_TO(pinned_pages, self->pinned0);
		return;
	}

	/* 8 + 9 > 16 pages: refused, nothing charged or pinned. */
	r = AG(a, AG_REGISTER, 9 * ps, 0, 272, 0, MEM_ANON);
	EXPECT_EQ(-ENOMEM, r.ret);
	r = AG(a, AG_REGISTER, 9 * ps, IPCOFF_REGION_WRITABLE, 272, 0,
	       MEM_MEMFD);
	EXPECT_EQ(-ENOMEM, r.ret);
	EXPECT_EQ(vm0 + 8 * kb, (int64_t)AG(a, AG_VMPIN).v[0]);
	ASSERT_EQ(0, counter_settle(pinned_pages, &v));
	EXPECT_EQ(self->pinned0 + 8, v);

	/* Up to the limit exactly is fine... */
	r = AG(a, AG_REGISTER, 8 * ps, 0, 273, 0, MEM_MEMFD);
	EXPECT_EQ(0, r.ret);
	EXPECT_EQ(vm0 + 16 * kb, (int64_t)AG(a, AG_VMPIN).v[0]);
	/* ...one byte more is not. */
	r = AG(a, AG_REGISTER, 1, 0, 274, 0, MEM_ANON);
	EXPECT_EQ(-ENOMEM, r.ret);

	/* Unregistering gives the room back. */
	EXPECT_EQ(0, AG(a, AG_UNREGISTER, h1).ret);
	EXPECT_EQ(0, agent_vmpin_wait(_metadata, a, vm0 + 8 * kb, &v))
		TH_LOG("VmPin %" PRId64 " kB", v);
	r = AG(a, AG_REGISTER, 8 * ps, IPCOFF_REGION_WRITABLE, 275, 0,
	       MEM_ANON);
	EXPECT_EQ(0, r.ret);
	EXPECT_EQ(vm0 + 16 * kb, (int64_t)AG(a, AG_VMPIN).v[0]);

	EXPECT_EQ(0, agent_stop(a));
	EXPECT_BACK_TO(pinned_pages, self->pinned0);
}

TEST_HARNESS_MAIN
