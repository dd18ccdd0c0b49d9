// SPDX-License-Identifier: GPL-2.0
/*
 * Error paths under fault injection: register, copy, grant and unregister
 * in a loop while failslab and fail_page_alloc fail a good share of this
 * task's allocations. Every call must succeed or return a documented errno,
 * successful copies must carry the right bytes, and afterwards every pinned
 * page must be back (the debug guest then checks kmemleak).
 *
 * Needs CONFIG_FAILSLAB, CONFIG_FAIL_PAGE_ALLOC and their debugfs controls:
 * the debug-kernel guest has them, Debian's kernels do not (SKIP there).
 */
#include "common.h"

#define FAULT_ROOT	"/sys/kernel/debug"
#define ROUNDS		200
#define BUF_PAGES	16

/* Fail @percent of this task's slab and page allocations (0: none). */
static int inject_set(const char *kind, int percent)
{
	static const char *const common[][2] = {
		{ "interval", "1" },
		{ "times", "-1" },
		{ "space", "0" },
		{ "verbose", "0" },
		{ "task-filter", "Y" },
		{ "ignore-gfp-wait", "N" },
	};
	char path[128], val[16];
	unsigned int i;
	int ret;

	for (i = 0; i < sizeof(common) / sizeof(common[0]); i++) {
		snprintf(path, sizeof(path), FAULT_ROOT "/%s/%s", kind,
			 common[i][0]);
		ret = write_text(path, common[i][1]);
		if (ret)
			return ret;
	}
	if (!strcmp(kind, "fail_page_alloc")) {
		ret = write_text(FAULT_ROOT "/fail_page_alloc/min-order", "0");
		if (!ret)
			ret = write_text(FAULT_ROOT
					"/fail_page_alloc/ignore-gfp-highmem",
					"N");
		if (ret)
			return ret;
	}
	snprintf(path, sizeof(path), FAULT_ROOT "/%s/probability", kind);
	snprintf(val, sizeof(val), "%d", percent);
	return write_text(path, val);
}

FIXTURE(inject) {
	const char *skip;	/* why the test cannot run here */
	int make_it_fail;	/* /proc/self/make-it-fail, kept open */
	int fd;
	uint8_t *src, *dst, *local;
	size_t buf_len;
	int64_t pinned0, pins0;
};

FIXTURE_SETUP(inject)
{
	self->make_it_fail = -1;
	self->fd = -1;
	self->skip = NULL;
	if (access(FAULT_ROOT "/failslab", F_OK) ||
	    access(FAULT_ROOT "/fail_page_alloc", F_OK)) {
		self->skip = "kernel without failslab/fail_page_alloc";
		return;
	}

	ASSERT_EQ(0, counter_settle(pinned_pages, &self->pinned0));
	ASSERT_EQ(0, counter_settle(foll_pins, &self->pins0));

	self->buf_len = BUF_PAGES * page_size();
	self->src = mmap(NULL, self->buf_len, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	self->dst = mmap(NULL, self->buf_len, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	self->local = mmap(NULL, self->buf_len, PROT_READ | PROT_WRITE,
			   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, self->src);
	ASSERT_NE(MAP_FAILED, self->dst);
	ASSERT_NE(MAP_FAILED, self->local);
	/* Fault everything in now: a user page fault that fails later would
	 * kill the test instead of exercising the module. */
	pat_fill(self->src, self->buf_len, 7, 0);
	memset(self->dst, 0, self->buf_len);
	memset(self->local, 0, self->buf_len);

	self->fd = t_open();
	ASSERT_LE(0, self->fd);
	self->make_it_fail = open("/proc/self/make-it-fail",
				  O_WRONLY | O_CLOEXEC);
	ASSERT_LE(0, self->make_it_fail);
	ASSERT_EQ(0, inject_set("failslab", 25));
	ASSERT_EQ(0, inject_set("fail_page_alloc", 25));
}

FIXTURE_TEARDOWN(inject)
{
	if (self->skip)
		return;
	if (self->make_it_fail >= 0) {
		if (pwrite(self->make_it_fail, "0", 1, 0) < 0)
			TH_LOG("cannot clear make-it-fail: %s", strerror(errno));
		close(self->make_it_fail);
	}
	inject_set("failslab", 0);
	inject_set("fail_page_alloc", 0);
	if (self->fd >= 0)
		close(self->fd);
}

/* Only the ioctl itself runs with injection armed. */
#define ARMED(self, expr) ({						\
	int __ret;							\
	ASSERT_EQ(1, pwrite((self)->make_it_fail, "1", 1, 0));		\
	__ret = (expr);							\
	ASSERT_EQ(1, pwrite((self)->make_it_fail, "0", 1, 0));		\
	__ret;								\
})

TEST_F_TIMEOUT(inject, register_copy_grant_unregister, 600)
{
	unsigned int ok_calls = 0, enomem = 0, copies = 0, i;
	size_t ps = page_size();
	int64_t v;

	SKIP_IF_SET(self->skip);
	for (i = 0; i < ROUNDS; i++) {
		uint64_t soff = (i * 131) % ps, doff = (i * 71) % ps;
		uint64_t len = ((i * 7) % (BUF_PAGES - 2) + 1) * ps + i % 13;
		uint64_t hs = 0, hd = 0, copied = 0;
		struct ipcoff_iovec iov[3];
		struct ipcoff_copy c = { .len = len };
		int ret;

		ret = ARMED(self, t_register(self->fd, PTR(self->src), len +
					     soff, 0, &hs));
		ASSERT_TRUE(ret == 0 || ret == -ENOMEM) TH_LOG("register %d", ret);
		ret ? enomem++ : ok_calls++;

		ret = ARMED(self, t_register(self->fd, PTR(self->dst), len +
					     doff, IPCOFF_REGION_WRITABLE,
					     &hd));
		ASSERT_TRUE(ret == 0 || ret == -ENOMEM) TH_LOG("register %d", ret);
		ret ? enomem++ : ok_calls++;

		if (hs && hd) {
			memset(self->dst + doff, 0, len);
			ret = ARMED(self, t_copy_rr(self->fd, hd, doff, hs,
						    soff, len, &copied));
			/* Only the request itself is allocated. */
			ASSERT_TRUE(ret == 0 || ret == -ENOMEM)
				TH_LOG("copy %d", ret);
			if (!ret) {
				ASSERT_EQ(len, copied);
				ASSERT_EQ(len, pat_check(self->dst + doff, len,
							 7, soff));
				copies++;
			} else {
				ASSERT_EQ(0, copied);
				enomem++;
			}
		}
		if (hs) {
			/* Three segments: the iovec array is allocated. */
			iov[0] = (struct ipcoff_iovec){ PTR(self->local), 100 };
			iov[1] = (struct ipcoff_iovec){ PTR(self->local + 100),
							ps };
			iov[2] = (struct ipcoff_iovec){
				PTR(self->local + 100 + ps), len };
			ep_region(&c.src, hs, soff);
			ep_iov(&c.dst, iov, 3);
			memset(self->local, 0, self->buf_len);
			ret = ARMED(self, t_copy(self->fd, &c));
			ASSERT_TRUE(ret == 0 || ret == -ENOMEM)
				TH_LOG("copy %d", ret);
			if (!ret) {
				ASSERT_EQ(len, c.copied);
				ASSERT_EQ(len, pat_check(self->local, len, 7,
							 soff));
				ok_calls++;
			} else {
				ASSERT_EQ(0, c.copied);
				enomem++;
			}

			ret = ARMED(self, t_grant(self->fd, hs, UID_B,
						  IPCOFF_ACCESS_READ));
			ASSERT_TRUE(ret == 0 || ret == -ENOMEM)
				TH_LOG("grant %d", ret);
			ret ? enomem++ : ok_calls++;
			ASSERT_EQ(0, ARMED(self, t_unregister(self->fd, hs)));
		}
		if (hd)
			ASSERT_EQ(0, ARMED(self, t_unregister(self->fd, hd)));
	}
	TH_LOG("%u calls succeeded, %u failed with ENOMEM, %u copies verified",
	       ok_calls, enomem, copies);
	/* The injection must really have bitten, and not every time. */
	ASSERT_LT(0, enomem);
	ASSERT_LT(0, ok_calls);
	ASSERT_LT(0, copies);

	close(self->fd);
	self->fd = -1;
	ASSERT_EQ(0, counter_wait(pinned_pages, self->pinned0, SETTLE_MS, &v))
		TH_LOG("pinned_pages %lld, baseline %lld", (long long)v,
		       (long long)self->pinned0);
	ASSERT_EQ(0, counter_wait(foll_pins, self->pins0, SETTLE_MS, &v))
		TH_LOG("foll pins %lld, baseline %lld", (long long)v,
		       (long long)self->pins0);
}

TEST_HARNESS_MAIN
