// SPDX-License-Identifier: GPL-2.0
/*
 * Page exchange in the elide engine (IPCOFF_COPY_MOVE) between buffers:
 *
 *  - correctness for aligned and unaligned ranges with partial head and
 *    tail pages, between two buffers and within one: the destination gets
 *    the source's bytes, the source the destination's former bytes, and
 *    nothing outside the ranges changes, through COPY and SUBMIT, as seen
 *    by the module (a copy out), by the owner's mappings and by a peer
 *    process's mappings made before the exchange;
 *  - concurrent faults from threads reading and writing both mappings
 *    while pages are exchanged in a loop: no stale page afterwards;
 *  - refusals: no MOVE, registered memory, different in-page offsets, a
 *    copy in flight on a buffer (EBUSY, or a counted CPU fallback), bad
 *    flag combinations (EINVAL);
 *  - pinned_pages and regions come back to their baseline.
 */
#include <pthread.h>
#include <sys/wait.h>

#include <ipcoff.h>

#include "dmaprov.h"

#define SEC_NS		(1000LL * 1000 * 1000)
#define NPG		16

static bool prov_loaded;

FIXTURE(elide) {
	const char *skip;
	struct ipcoff ipc;
	size_t ps, len;
	int64_t pinned0, regions0;
	uint64_t ha, hb;
	int ea, eb;
	uint8_t *ma, *mb;	/* the owner's mappings */
	uint8_t *xa, *xb;	/* what they should hold */
	uint8_t *tmp;
};

FIXTURE_SETUP(elide)
{
	self->ipc.fd = -1;
	self->ea = self->eb = -1;
	self->ps = page_size();
	self->len = NPG * self->ps;
	ASSERT_EQ(0, counter_settle(pinned_pages, &self->pinned0));
	ASSERT_EQ(0, counter_settle(live_regions, &self->regions0));
	ASSERT_EQ(0, ipcoff_open(&self->ipc, 0));
	if (!ipcoff_has_feature(&self->ipc, IPCOFF_FEAT_MOVE |
				IPCOFF_FEAT_BUFFERS | IPCOFF_FEAT_ASYNC)) {
		self->skip = "module without IPCOFF_FEAT_MOVE";
		return;
	}
	ASSERT_EQ(0, ipcoff_buf_alloc(&self->ipc, self->len,
				      IPCOFF_REGION_WRITABLE, 0, &self->ha,
				      NULL));
	ASSERT_EQ(0, ipcoff_buf_alloc(&self->ipc, self->len,
				      IPCOFF_REGION_WRITABLE, 0, &self->hb,
				      NULL));
	ASSERT_EQ(0, ipcoff_export(&self->ipc, self->ha, IPCOFF_ACCESS_READ |
				   IPCOFF_ACCESS_WRITE, 0, &self->ea));
	ASSERT_EQ(0, ipcoff_export(&self->ipc, self->hb, IPCOFF_ACCESS_READ |
				   IPCOFF_ACCESS_WRITE, 0, &self->eb));
	self->xa = malloc(self->len);
	self->xb = malloc(self->len);
	self->tmp = malloc(self->len);
	ASSERT_NE(NULL, self->xa);
	ASSERT_NE(NULL, self->xb);
	ASSERT_NE(NULL, self->tmp);
}

FIXTURE_TEARDOWN(elide)
{
	if (prov_loaded) {
		prov_set("latency_us", "0");
		if (prov_stop())
			TH_LOG("cannot unload the provider: %s",
			       strerror(errno));
		prov_loaded = false;
	}
	if (self->ma)
		munmap(self->ma, self->len);
	if (self->mb)
		munmap(self->mb, self->len);
	if (self->ea >= 0)
		close(self->ea);
	if (self->eb >= 0)
		close(self->eb);
	ipcoff_close(&self->ipc);
	free(self->xa);
	free(self->xb);
	free(self->tmp);
}

static uint8_t *map_rw(int efd, size_t len)
{
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, efd, 0);

	return p == MAP_FAILED ? NULL : p;
}

static int64_t elide_stat(const char *name)
{
	char path[128];
	int64_t v = -1;

	snprintf(path, sizeof(path), IPCOFF_SYSFS "/elide/%s", name);
	read_u64_file(path, &v);
	return v;
}

/* Both buffers get fresh patterns, through the mappings. */
static void fill(struct _test_data_elide *self, uint32_t seed)
{
	pat_fill(self->ma, self->len, seed, 0);
	pat_fill(self->mb, self->len, seed + 1, 0);
	memcpy(self->xa, self->ma, self->len);
	memcpy(self->xb, self->mb, self->len);
}

static uint8_t *model(struct _test_data_elide *self, uint64_t h)
{
	return h == self->ha ? self->xa : self->xb;
}

/* The model of a MOVE by elide: the ranges swap. */
static void model_swap(struct _test_data_elide *self, uint64_t dh,
		       uint64_t doff, uint64_t sh, uint64_t soff, size_t len)
{
	uint8_t *d = model(self, dh) + doff, *s = model(self, sh) + soff;

	memcpy(self->tmp, d, len);
	memcpy(d, s, len);
	memcpy(s, self->tmp, len);
}

/* Of a plain copy. */
static void model_copy(struct _test_data_elide *self, uint64_t dh,
		       uint64_t doff, uint64_t sh, uint64_t soff, size_t len)
{
	memmove(model(self, dh) + doff, model(self, sh) + soff, len);
}

/* The first byte where @a and @b differ, or -1. */
static long first_diff(const uint8_t *a, const uint8_t *b, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (a[i] != b[i])
			return (long)i;
	return -1;
}

/* The module's view, the owner's mappings and the model agree. */
#define EXPECT_MODEL(what) do { \
	EXPECT_EQ((ssize_t)self->len, ipcoff_read(&self->ipc, self->tmp, \
						  self->len, self->ha, 0)); \
	EXPECT_EQ(-1, first_diff(self->tmp, self->xa, self->len)) \
		TH_LOG("%s: module's A differs", what); \
	EXPECT_EQ(-1, first_diff(self->ma, self->xa, self->len)) \
		TH_LOG("%s: mapping of A differs", what); \
	EXPECT_EQ((ssize_t)self->len, ipcoff_read(&self->ipc, self->tmp, \
						  self->len, self->hb, 0)); \
	EXPECT_EQ(-1, first_diff(self->tmp, self->xb, self->len)) \
		TH_LOG("%s: module's B differs", what); \
	EXPECT_EQ(-1, first_diff(self->mb, self->xb, self->len)) \
		TH_LOG("%s: mapping of B differs", what); \
} while (0)

#define EXPECT_BASELINE() do { \
	int64_t __v = -1; \
	EXPECT_EQ(0, counter_wait(pinned_pages, self->pinned0, SETTLE_MS, \
				  &__v)) \
		TH_LOG("pinned_pages %lld, baseline %lld", (long long)__v, \
		       (long long)self->pinned0); \
	EXPECT_EQ(0, counter_wait(live_regions, self->regions0, SETTLE_MS, \
				  &__v)) \
		TH_LOG("regions %lld, baseline %lld", (long long)__v, \
		       (long long)self->regions0); \
} while (0)

/*
 * Everything the test holds goes (mappings, export fds, the context);
 * pages and regions must return to the baseline.
 */
static void release_all(struct __test_metadata *_metadata,
			FIXTURE_DATA(elide) *self)
{
	munmap(self->ma, self->len);
	munmap(self->mb, self->len);
	self->ma = self->mb = NULL;
	close(self->ea);
	close(self->eb);
	self->ea = self->eb = -1;
	ipcoff_close(&self->ipc);
	EXPECT_BASELINE();
}

static void mk_copy(struct ipcoff_copy *c, uint64_t dh, uint64_t doff,
		    uint64_t sh, uint64_t soff, uint64_t len, uint32_t flags,
		    uint32_t engine)
{
	memset(c, 0, sizeof(*c));
	ipcoff_ep_region(&c->src, sh, soff);
	ipcoff_ep_region(&c->dst, dh, doff);
	c->len = len;
	c->flags = flags;
	c->engine = engine;
}

struct xcase {
	int same;		/* both ends in A */
	uint64_t soff, doff, len;
};

/* Whole pages a MOVE of @c exchanges. */
static uint64_t whole_pages(const struct xcase *c, size_t ps)
{
	uint64_t in = c->soff % ps, head = in ? ps - in : 0;

	if (head >= c->len)
		return 0;
	return (c->len - head) / ps;
}

static const struct xcase xcases[] = {
	{ 0, 0, 0, 4 * 4096 },			/* aligned */
	{ 0, 0, 8 * 4096, 8 * 4096 },		/* aligned, elsewhere */
	{ 0, 100, 3 * 4096 + 100, 5 * 4096 },	/* head and tail */
	{ 0, 4000, 4000, 4096 + 200 },		/* 96 + 1 page + 104 */
	{ 0, 2 * 4096, 5 * 4096, 4096 + 7 },	/* tail only */
	{ 0, 4096 - 5, 2 * 4096 - 5, 4096 + 5 },/* head only */
	{ 0, 10, 4096 + 10, 100 },		/* inside one page */
	{ 1, 0, 8 * 4096, 8 * 4096 },		/* one buffer, aligned */
	{ 1, 300, 9 * 4096 + 300, 6 * 4096 + 1 },/* one buffer, unaligned */
};

/* Runs every case through COPY (@submit 0) or SUBMIT. */
static void exchange_cases(struct __test_metadata *_metadata,
			   struct _test_data_elide *self, int submit)
{
	struct ipcoff_ring ring;
	unsigned int i;

	ASSERT_EQ(4096, self->ps);
	self->ma = map_rw(self->ea, self->len);
	self->mb = map_rw(self->eb, self->len);
	ASSERT_NE(NULL, self->ma);
	ASSERT_NE(NULL, self->mb);
	if (submit)
		ASSERT_EQ(0, ipcoff_ring_init(&self->ipc, 16, &ring));
	for (i = 0; i < sizeof(xcases) / sizeof(xcases[0]); i++) {
		const struct xcase *x = &xcases[i];
		uint64_t sh = self->ha, dh = x->same ? self->ha : self->hb;
		uint64_t pages = whole_pages(x, self->ps);
		int64_t d0 = elide_stat("descriptors");
		int64_t b0 = elide_stat("bytes");
		struct ipcoff_copy c;
		struct ipcoff_cqe *cqe;
		char what[64];

		snprintf(what, sizeof(what), "case %u %s", i,
			 submit ? "SUBMIT" : "COPY");
		fill(self, 40 + i);
		mk_copy(&c, dh, x->doff, sh, x->soff, x->len,
			IPCOFF_COPY_MOVE, IPCOFF_ENGINE_ELIDE);
		if (submit) {
			c.user_data = i;
			ASSERT_EQ(1, ipcoff_submit(&self->ipc, &c, 1));
			ASSERT_EQ(0, ipcoff_wait_cqe(&self->ipc, &ring,
						     30 * SEC_NS, &cqe));
			EXPECT_EQ(i, cqe->user_data);
			EXPECT_EQ((int64_t)x->len, cqe->result) TH_LOG("%s", what);
			EXPECT_EQ(IPCOFF_ENGINE_ELIDE, cqe->engine);
			ipcoff_ring_advance(&ring, 1);
		} else {
			ASSERT_EQ(0, ipcoff_copy(&self->ipc, &c)) TH_LOG("%s", what);
			EXPECT_EQ(x->len, c.copied);
			EXPECT_EQ(IPCOFF_ENGINE_ELIDE, c.engine);
			EXPECT_EQ(pages, c.descriptors) TH_LOG("%s", what);
		}
		EXPECT_EQ(d0 + (int64_t)pages, elide_stat("descriptors"))
			TH_LOG("%s", what);
		EXPECT_EQ(b0 + (int64_t)x->len, elide_stat("bytes"));
		model_swap(self, dh, x->doff, sh, x->soff, x->len);
		EXPECT_MODEL(what);

		/* auto: elide only with a whole page to exchange. */
		if (submit)
			continue;
		fill(self, 80 + i);
		mk_copy(&c, dh, x->doff, sh, x->soff, x->len,
			IPCOFF_COPY_MOVE, IPCOFF_ENGINE_AUTO);
		ASSERT_EQ(0, ipcoff_copy(&self->ipc, &c));
		if (pages) {
			EXPECT_EQ(IPCOFF_ENGINE_ELIDE, c.engine);
			model_swap(self, dh, x->doff, sh, x->soff, x->len);
		} else {
			EXPECT_NE(IPCOFF_ENGINE_ELIDE, c.engine);
			model_copy(self, dh, x->doff, sh, x->soff, x->len);
		}
		EXPECT_MODEL(what);
	}
	if (submit)
		ipcoff_ring_fini(&ring);
}

TEST_F(elide, exchange_copy)
{
	SKIP_IF_SET(self->skip);
	exchange_cases(_metadata, self, 0);
	release_all(_metadata, self);
}

TEST_F(elide, exchange_submit)
{
	SKIP_IF_SET(self->skip);
	exchange_cases(_metadata, self, 1);
	release_all(_metadata, self);
}

/*
 * A peer process maps both buffers (through inherited export fds), faults
 * every page in, then on each byte from @cmd writes both mappings to @out.
 */
static void peer_main(int cmd, int out, int ea, int eb, size_t len)
{
	uint8_t *a = map_rw(ea, len), *b = map_rw(eb, len);
	volatile uint8_t sum = 0;
	char c;
	size_t i;

	if (!a || !b)
		_exit(2);
	for (i = 0; i < len; i += 4096)
		sum += a[i] + b[i];
	if (write(out, "r", 1) != 1)
		_exit(3);
	while (read(cmd, &c, 1) == 1) {
		if (write(out, a, len) != (ssize_t)len ||
		    write(out, b, len) != (ssize_t)len)
			_exit(4);
	}
	_exit(0);
}

static int read_full(int fd, void *buf, size_t len)
{
	size_t got = 0;

	while (got < len) {
		ssize_t n = read(fd, (uint8_t *)buf + got, len - got);

		if (n <= 0)
			return -1;
		got += n;
	}
	return 0;
}

TEST_F(elide, peer_mapping_sees_exchange)
{
	int cmd[2], out[2], status = 0;
	unsigned int i;
	pid_t pid;
	char c;

	SKIP_IF_SET(self->skip);
	ASSERT_EQ(0, pipe(cmd));
	ASSERT_EQ(0, pipe(out));
	fflush(stdout);
	fflush(stderr);
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		close(cmd[1]);
		close(out[0]);
		peer_main(cmd[0], out[1], self->ea, self->eb, self->len);
	}
	close(cmd[0]);
	close(out[1]);
	self->ma = map_rw(self->ea, self->len);
	self->mb = map_rw(self->eb, self->len);
	ASSERT_NE(NULL, self->ma);
	ASSERT_NE(NULL, self->mb);
	fill(self, 7);
	ASSERT_EQ(0, read_full(out[0], &c, 1));
	for (i = 0; i < 4; i++) {
		const struct xcase *x = &xcases[i == 3 ? 2 : i];
		struct ipcoff_copy c2;
		uint8_t *pa = self->tmp;

		/* Both directions in turn. */
		if (i & 1)
			mk_copy(&c2, self->ha, x->soff, self->hb, x->doff,
				x->len, IPCOFF_COPY_MOVE, IPCOFF_ENGINE_ELIDE);
		else
			mk_copy(&c2, self->hb, x->doff, self->ha, x->soff,
				x->len, IPCOFF_COPY_MOVE, IPCOFF_ENGINE_ELIDE);
		ASSERT_EQ(0, ipcoff_copy(&self->ipc, &c2));
		if (i & 1)
			model_swap(self, self->ha, x->soff, self->hb, x->doff,
				   x->len);
		else
			model_swap(self, self->hb, x->doff, self->ha, x->soff,
				   x->len);
		EXPECT_MODEL("peer");
		ASSERT_EQ(1, write(cmd[1], "d", 1));
		ASSERT_EQ(0, read_full(out[0], pa, self->len));
		EXPECT_EQ(-1, first_diff(pa, self->xa, self->len))
			TH_LOG("round %u: peer's mapping of A is stale", i);
		ASSERT_EQ(0, read_full(out[0], pa, self->len));
		EXPECT_EQ(-1, first_diff(pa, self->xb, self->len))
			TH_LOG("round %u: peer's mapping of B is stale", i);
	}
	close(cmd[1]);
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFEXITED(status) && !WEXITSTATUS(status))
		TH_LOG("peer status %#x", status);
	close(out[0]);
	release_all(_metadata, self);
}

/*
 * Concurrent faults: pages 0..NPG-2 of each buffer hold a per-page tag in
 * every byte but the middle one (MID) and are exchanged whole, back and
 * forth; threads read them (a page never shows two tags) and write MID
 * into the middle byte, which it holds already; the last page of each
 * buffer is never exchanged and the writers count in it.
 */
#define XPG		(NPG - 1)
#define ROUNDS		300
#define MID		0xee

struct hammer {
	struct _test_data_elide *self;
	volatile int *stop;
	uint8_t *m;
	int writer;
	long bad;
	uint32_t last;
};

static int tag_ok(uint8_t t)
{
	return (t >= 1 && t <= XPG) || (t >= 101 && t <= 100 + XPG);
}

static void *hammer_main(void *arg)
{
	struct hammer *h = arg;
	size_t ps = h->self->ps;
	uint32_t n = 0;
	unsigned int pg = 0;

	while (!*h->stop) {
		volatile uint8_t *p = h->m + (size_t)pg * ps;
		uint8_t t = p[0], e = p[ps - 1];

		if (!tag_ok(t) || t != e || p[ps / 2] != MID)
			h->bad++;
		if (h->writer) {
			p[ps / 2] = MID;	/* a write fault, same content */
			n++;
			*(volatile uint32_t *)(h->m + XPG * ps) = n;
		}
		pg = (pg + 1) % XPG;
	}
	h->last = n;
	return NULL;
}

TEST_F_TIMEOUT(elide, concurrent_faults, 300)
{
	struct hammer h[4];
	pthread_t th[4];
	volatile int stop = 0;
	size_t ps = self->ps;
	unsigned int i, r;
	int ok = 1;

	SKIP_IF_SET(self->skip);
	self->ma = map_rw(self->ea, self->len);
	self->mb = map_rw(self->eb, self->len);
	ASSERT_NE(NULL, self->ma);
	ASSERT_NE(NULL, self->mb);
	for (i = 0; i < XPG; i++) {
		memset(self->ma + i * ps, 1 + i, ps);
		memset(self->mb + i * ps, 101 + i, ps);
		self->ma[i * ps + ps / 2] = MID;
		self->mb[i * ps + ps / 2] = MID;
	}
	memset(self->ma + XPG * ps, 0, ps);
	memset(self->mb + XPG * ps, 0, ps);
	for (i = 0; i < 4; i++) {
		h[i] = (struct hammer){
			.self = self, .stop = &stop,
			.m = i & 1 ? self->mb : self->ma, .writer = i >= 2,
		};
		ASSERT_EQ(0, pthread_create(&th[i], NULL, hammer_main, &h[i]));
	}
	for (r = 0; r < ROUNDS && ok; r++) {
		struct ipcoff_copy c;
		int ret;

		/* Alternating directions; an even count restores A and B. */
		if (r & 1)
			mk_copy(&c, self->ha, 0, self->hb, 0, XPG * ps,
				IPCOFF_COPY_MOVE, IPCOFF_ENGINE_ELIDE);
		else
			mk_copy(&c, self->hb, 0, self->ha, 0, XPG * ps,
				IPCOFF_COPY_MOVE, IPCOFF_ENGINE_ELIDE);
		ret = ipcoff_copy(&self->ipc, &c);
		EXPECT_EQ(0, ret) TH_LOG("round %u", r);
		EXPECT_EQ(XPG, c.descriptors);
		ok = !ret;
	}
	stop = 1;
	for (i = 0; i < 4; i++) {
		pthread_join(th[i], NULL);
		EXPECT_EQ(0, h[i].bad) TH_LOG("thread %u saw torn pages", i);
	}
	/* No stale page: every mapping shows what the module holds. */
	for (i = 0; i < XPG; i++) {
		memset(self->xa + i * ps, 1 + i, ps);
		memset(self->xb + i * ps, 101 + i, ps);
		self->xa[i * ps + ps / 2] = MID;
		self->xb[i * ps + ps / 2] = MID;
	}
	memcpy(self->xa + XPG * ps, self->ma + XPG * ps, ps);
	memcpy(self->xb + XPG * ps, self->mb + XPG * ps, ps);
	EXPECT_EQ(h[2].last, *(uint32_t *)(self->ma + XPG * ps));
	EXPECT_EQ(h[3].last, *(uint32_t *)(self->mb + XPG * ps));
	EXPECT_MODEL("after the loop");
	release_all(_metadata, self);
}

TEST_F(elide, refusals)
{
	struct ipcoff_copy c;
	struct ipcoff_ring ring;
	uint8_t *user;
	uint64_t hu;
	int err = 0;

	SKIP_IF_SET(self->skip);
	self->ma = map_rw(self->ea, self->len);
	self->mb = map_rw(self->eb, self->len);
	ASSERT_NE(NULL, self->ma);
	ASSERT_NE(NULL, self->mb);
	fill(self, 3);

	/* No MOVE: forced elide refuses, auto copies. */
	mk_copy(&c, self->hb, 0, self->ha, 0, 4 * self->ps, 0,
		IPCOFF_ENGINE_ELIDE);
	EXPECT_EQ(-EOPNOTSUPP, ipcoff_copy(&self->ipc, &c));
	mk_copy(&c, self->hb, 0, self->ha, 0, 4 * self->ps, 0,
		IPCOFF_ENGINE_AUTO);
	ASSERT_EQ(0, ipcoff_copy(&self->ipc, &c));
	EXPECT_NE(IPCOFF_ENGINE_ELIDE, c.engine);
	model_copy(self, self->hb, 0, self->ha, 0, 4 * self->ps);
	EXPECT_MODEL("no MOVE");

	/* Different offsets within a page. */
	mk_copy(&c, self->hb, 1, self->ha, 0, 4 * self->ps, IPCOFF_COPY_MOVE,
		IPCOFF_ENGINE_ELIDE);
	EXPECT_EQ(-EOPNOTSUPP, ipcoff_copy(&self->ipc, &c));
	mk_copy(&c, self->hb, 1, self->ha, 0, 4 * self->ps, IPCOFF_COPY_MOVE,
		IPCOFF_ENGINE_AUTO);
	ASSERT_EQ(0, ipcoff_copy(&self->ipc, &c));
	EXPECT_NE(IPCOFF_ENGINE_ELIDE, c.engine);
	model_copy(self, self->hb, 1, self->ha, 0, 4 * self->ps);
	EXPECT_MODEL("offsets");

	/* Registered user memory is no buffer. */
	user = mmap(NULL, self->len, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, user);
	memset(user, 0x3c, self->len);
	ASSERT_EQ(0, ipcoff_register(&self->ipc, user, self->len,
				     IPCOFF_REGION_WRITABLE, &hu));
	mk_copy(&c, hu, 0, self->ha, 0, 4 * self->ps, IPCOFF_COPY_MOVE,
		IPCOFF_ENGINE_ELIDE);
	EXPECT_EQ(-EOPNOTSUPP, ipcoff_copy(&self->ipc, &c));
	mk_copy(&c, self->ha, 0, hu, 0, 4 * self->ps, IPCOFF_COPY_MOVE,
		IPCOFF_ENGINE_ELIDE);
	EXPECT_EQ(-EOPNOTSUPP, ipcoff_copy(&self->ipc, &c));
	mk_copy(&c, hu, 0, self->ha, 0, 4 * self->ps, IPCOFF_COPY_MOVE,
		IPCOFF_ENGINE_AUTO);
	ASSERT_EQ(0, ipcoff_copy(&self->ipc, &c));
	EXPECT_NE(IPCOFF_ENGINE_ELIDE, c.engine);
	EXPECT_EQ(-1, first_diff(user, self->xa, 4 * self->ps));
	EXPECT_MODEL("user memory");
	EXPECT_EQ(0, ipcoff_unregister(&self->ipc, hu));

	/* Bad combinations. */
	mk_copy(&c, self->hb, 0, self->ha, 0, 4 * self->ps,
		IPCOFF_COPY_MOVE | IPCOFF_COPY_LINK, IPCOFF_ENGINE_ELIDE);
	EXPECT_EQ(-EINVAL, ipcoff_copy(&self->ipc, &c));
	mk_copy(&c, self->hb, 0, self->ha, 0, 4 * self->ps,
		IPCOFF_COPY_MOVE | IPCOFF_COPY_CHUNKED, IPCOFF_ENGINE_ELIDE);
	c.chunk_size = self->ps;
	EXPECT_EQ(-EINVAL, ipcoff_copy(&self->ipc, &c));
	ASSERT_EQ(0, ipcoff_ring_init(&self->ipc, 16, &ring));
	EXPECT_EQ(-EINVAL, ipcoff_submit_ex(&self->ipc, &c, 1, &err));
	c.engine = IPCOFF_ENGINE_AUTO;
	EXPECT_EQ(-EINVAL, ipcoff_submit_ex(&self->ipc, &c, 1, &err));
	mk_copy(&c, self->hb, 0, self->ha, 0, 4 * self->ps,
		IPCOFF_COPY_MOVE | (IPCOFF_COPY_FLAGS << 1),
		IPCOFF_ENGINE_ELIDE);
	EXPECT_EQ(-EINVAL, ipcoff_copy(&self->ipc, &c));
	/* Overlap in one buffer, as for every copy. */
	mk_copy(&c, self->ha, self->ps, self->ha, 0, 4 * self->ps,
		IPCOFF_COPY_MOVE, IPCOFF_ENGINE_ELIDE);
	EXPECT_EQ(-EINVAL, ipcoff_copy(&self->ipc, &c));
	EXPECT_MODEL("bad combinations");
	ipcoff_ring_fini(&ring);

	munmap(user, self->len);
	release_all(_metadata, self);
}

/* A DMA copy in flight on A (the provider is slow): EBUSY or a fallback. */
/*
 * A slow DMA copy reads buffer A while MOVEs between A and B are asked
 * for. Its source is A's region (a copy holds the buffer), or an iovec
 * over A's mapping: then only the DMA's FOLL_PIN of A's pages says so.
 */
static void busy_case(struct __test_metadata *_metadata,
		      FIXTURE_DATA(elide) *self, bool via_iovec)
{
	struct ipcoff_iovec iov;
	struct ipcoff_copy c, dma;
	struct ipcoff_ring ring;
	struct ipcoff_cqe *cqe;
	uint8_t *user;
	uint64_t hu;
	int ret, tries = 0;
	int64_t f0;

	SKIP_IF_SET(self->skip);
	if (access(PROV_KO, R_OK))
		SKIP(return, "no test DMA provider in this guest");
	prov_loaded = true;
	ASSERT_LT(0, prov_start("personality=ioat channels=1 latency_us=100000"));
	self->ma = map_rw(self->ea, self->len);
	self->mb = map_rw(self->eb, self->len);
	ASSERT_NE(NULL, self->ma);
	ASSERT_NE(NULL, self->mb);
	fill(self, 9);
	user = mmap(NULL, self->len, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, user);
	memset(user, 0, self->len);
	ASSERT_EQ(0, ipcoff_register(&self->ipc, user, self->len,
				     IPCOFF_REGION_WRITABLE, &hu));
	ASSERT_EQ(0, ipcoff_ring_init(&self->ipc, 16, &ring));

	/* A -> user memory on the dma engine, slow. */
	mk_copy(&dma, hu, 0, self->ha, 0, self->len, 0, IPCOFF_ENGINE_DMA);
	if (via_iovec) {
		iov.base = PTR(self->ma);
		iov.len = self->len;
		ipcoff_ep_iovec(&dma.src, &iov, 1);
	}
	dma.user_data = 77;
	ASSERT_EQ(1, ipcoff_submit(&self->ipc, &dma, 1));

	mk_copy(&c, self->hb, 0, self->ha, 0, 4 * self->ps, IPCOFF_COPY_MOVE,
		IPCOFF_ENGINE_ELIDE);
	EXPECT_EQ(-EBUSY, ipcoff_copy(&self->ipc, &c));
	EXPECT_MODEL("EBUSY");
	/* The other buffer busy: the same. */
	mk_copy(&c, self->ha, 0, self->hb, 0, 4 * self->ps, IPCOFF_COPY_MOVE,
		IPCOFF_ENGINE_ELIDE);
	EXPECT_EQ(-EBUSY, ipcoff_copy(&self->ipc, &c));

	f0 = elide_stat("fallbacks");
	mk_copy(&c, self->hb, 0, self->ha, 0, 4 * self->ps,
		IPCOFF_COPY_MOVE | IPCOFF_COPY_CPU_FALLBACK,
		IPCOFF_ENGINE_ELIDE);
	ASSERT_EQ(0, ipcoff_copy(&self->ipc, &c));
	EXPECT_EQ(IPCOFF_ENGINE_CPU, c.engine);
	EXPECT_EQ(4 * self->ps, c.copied);
	EXPECT_EQ(f0 + 1, elide_stat("fallbacks"));
	model_copy(self, self->hb, 0, self->ha, 0, 4 * self->ps);
	EXPECT_MODEL("fallback");

	ASSERT_EQ(0, ipcoff_wait_cqe(&self->ipc, &ring, 60 * SEC_NS, &cqe));
	EXPECT_EQ(77, cqe->user_data);
	EXPECT_EQ((int64_t)self->len, cqe->result);
	ipcoff_ring_advance(&ring, 1);
	EXPECT_EQ(-1, first_diff(user, self->xa, self->len));

	/* Idle again (the request is released): exchanged. */
	mk_copy(&c, self->hb, 0, self->ha, 0, 4 * self->ps, IPCOFF_COPY_MOVE,
		IPCOFF_ENGINE_ELIDE);
	do {
		ret = ipcoff_copy(&self->ipc, &c);
		if (ret == -EBUSY)
			msleep(10);
	} while (ret == -EBUSY && ++tries < 500);
	EXPECT_EQ(0, ret);
	model_swap(self, self->hb, 0, self->ha, 0, 4 * self->ps);
	EXPECT_MODEL("after the DMA");

	ipcoff_ring_fini(&ring);
	EXPECT_EQ(0, ipcoff_unregister(&self->ipc, hu));
	munmap(user, self->len);
	release_all(_metadata, self);
}

TEST_F_TIMEOUT(elide, busy_with_dma_in_flight, 120)
{
	busy_case(_metadata, self, false);
}

TEST_F_TIMEOUT(elide, busy_while_pages_pinned, 120)
{
	busy_case(_metadata, self, true);
}

TEST_HARNESS_MAIN
