// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * ipcoff-demo: move a buffer from one process to another in one kernel copy.
 *
 * The parent prints the module handshake, then forks. The parent is the
 * producer: it registers a buffer filled with a known pattern (read-only
 * for peers), grants read access to its uid and sends the handle down a
 * pipe. The child is the consumer: it opens its own ipcoff context,
 * registers a writable buffer, pulls the producer's region into it with
 * one COPY, reads a small piece straight into a local array, and checks
 * every byte. Exit status: 0 verified, 1 failure, 4 /dev/ipcoff or a
 * needed feature missing (the kselftest skip code).
 */
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <ipcoff.h>

#define EXIT_SKIP	4
#define PIECE_LEN	4096
#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

static const uint64_t needed = IPCOFF_FEAT_REGISTER | IPCOFF_FEAT_GRANT |
			       IPCOFF_FEAT_COPY | IPCOFF_FEAT_IOVEC;

/* What the producer tells the consumer. */
struct offer {
	uint64_t handle;
	uint64_t len;
};

static uint8_t pattern(uint64_t i)
{
	return (uint8_t)(i * 131 + (i >> 12) + 7);
}

/* Fill with the pattern, or with its complement so every byte must change. */
static void fill(uint8_t *buf, size_t len, int invert)
{
	for (size_t i = 0; i < len; i++)
		buf[i] = invert ? (uint8_t)~pattern(i) : pattern(i);
}

/* Number of bytes that differ from the pattern starting at offset @off. */
static size_t mismatches(const uint8_t *buf, size_t len, uint64_t off)
{
	size_t bad = 0;

	for (size_t i = 0; i < len; i++)
		bad += buf[i] != pattern(off + i);
	return bad;
}

static double now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

static int fail(const char *who, const char *what, int err)
{
	fprintf(stderr, "%s[%d]: %s: %s\n", who, getpid(), what,
		strerror(-err));
	return 1;
}

static void *map_buffer(size_t len)
{
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	return p == MAP_FAILED ? NULL : p;
}

static void print_handshake(const struct ipcoff_info *info)
{
	static const char *const feat[] = {
		"register", "grant", "copy", "iovec", "single-use", "copy-fallback",
		"stats",
	};
	uint32_t mv = info->module_version;

	printf("ipcoff: %s: abi %u, module %u.%u.%u\n", IPCOFF_DEVICE_PATH,
	       info->abi_version, mv >> 16, (mv >> 8) & 0xff, mv & 0xff);
	printf("  features:");
	for (unsigned int i = 0; i < ARRAY_SIZE(feat); i++)
		if (info->features & (1ULL << i))
			printf(" %s", feat[i]);
	printf(" (0x%llx)\n  engines: ", (unsigned long long)info->features);
	for (unsigned int e = IPCOFF_ENGINE_CPU; e < IPCOFF_ENGINE_COUNT; e++)
		if (info->engines & (1U << e))
			printf(" %s", ipcoff_engine_name(e));
	printf(" (0x%x)\n", info->engines);
	printf("  limits:   max_iovecs %u, page_size %u, max_region_len %llu\n",
	       info->max_iovecs, info->page_size,
	       (unsigned long long)info->max_region_len);
}

static int consumer(int rfd)
{
	static const char me[] = "consumer";
	uint8_t piece[PIECE_LEN];
	struct ipcoff_copy req = { .engine = IPCOFF_ENGINE_AUTO };
	struct ipcoff ipc;
	struct offer offer;
	uint64_t dst, off;
	size_t bad, pbad, plen;
	ssize_t n;
	uint8_t *buf;
	double t;
	int ret;

	/* The fd inherited from the parent is the producer's context. */
	ret = ipcoff_open(&ipc, 0);
	if (ret)
		return fail(me, "ipcoff_open", ret);
	if (read(rfd, &offer, sizeof(offer)) != sizeof(offer)) {
		fprintf(stderr, "%s: no region offered\n", me);
		return 1;
	}
	printf("%s[%d]: got handle 0x%016llx, %llu bytes\n", me, getpid(),
	       (unsigned long long)offer.handle,
	       (unsigned long long)offer.len);

	buf = map_buffer(offer.len);
	if (!buf)
		return fail(me, "mmap", -errno);
	fill(buf, offer.len, 1);
	ret = ipcoff_register(&ipc, buf, offer.len, IPCOFF_REGION_WRITABLE,
			      &dst);
	if (ret)
		return fail(me, "ipcoff_register", ret);

	/* What ipcoff_copy_region() does, kept open to see the engine. */
	ipcoff_ep_region(&req.src, offer.handle, 0);
	ipcoff_ep_region(&req.dst, dst, 0);
	req.len = offer.len;
	t = now_us();
	ret = ipcoff_copy(&ipc, &req);
	t = now_us() - t;
	if (ret)
		return fail(me, "ipcoff_copy", ret);
	bad = mismatches(buf, offer.len, 0);
	printf("%s[%d]: region copy: %llu bytes by engine %s in %.1f us (%.0f MiB/s), %s\n",
	       me, getpid(), (unsigned long long)req.copied,
	       ipcoff_engine_name(req.engine), t,
	       t > 0 ? req.copied / t * 1e6 / (1 << 20) : 0.0,
	       bad ? "MISMATCH" : "verified");

	/* A small piece from the middle, straight into a local array. */
	off = offer.len / 2;
	plen = offer.len - off < PIECE_LEN ? offer.len - off : PIECE_LEN;
	t = now_us();
	n = ipcoff_read(&ipc, piece, plen, offer.handle, off);
	t = now_us() - t;
	if (n < 0)
		return fail(me, "ipcoff_read", (int)n);
	pbad = (size_t)n != plen || mismatches(piece, plen, off);
	printf("%s[%d]: read %zd bytes at offset %llu in %.1f us, %s\n",
	       me, getpid(), n, (unsigned long long)off, t,
	       pbad ? "MISMATCH" : "verified");

	ipcoff_unregister(&ipc, dst);
	ipcoff_close(&ipc);
	return bad || pbad ? 1 : 0;
}

/* Register the pattern buffer, grant read to our uid, send the handle. */
static int producer(struct ipcoff *ipc, int wfd, size_t len, uint64_t *handle)
{
	static const char me[] = "producer";
	struct offer offer = { .len = len };
	uint8_t *buf;
	int ret;

	buf = map_buffer(len);
	if (!buf)
		return fail(me, "mmap", -errno);
	fill(buf, len, 0);
	/* No IPCOFF_REGION_WRITABLE: peers may only read this region. */
	ret = ipcoff_register(ipc, buf, len, 0, &offer.handle);
	if (ret)
		return fail(me, "ipcoff_register", ret);
	*handle = offer.handle;
	/* Same-uid contexts may read it anyway; another user needs this. */
	ret = ipcoff_grant(ipc, offer.handle, geteuid(), IPCOFF_ACCESS_READ);
	if (ret)
		return fail(me, "ipcoff_grant", ret);
	printf("%s[%d]: registered %zu bytes read-only, handle 0x%016llx, read granted to uid %u\n",
	       me, getpid(), len, (unsigned long long)offer.handle, geteuid());
	if (write(wfd, &offer, sizeof(offer)) != sizeof(offer))
		return fail(me, "write to pipe", -errno);
	return 0;
}

int main(int argc, char **argv)
{
	size_t len = 1 << 20;
	uint64_t handle = 0;
	struct ipcoff_info info;
	struct ipcoff ipc;
	int pfd[2], ret, status;
	pid_t pid;
	char *end;

	if (argc > 2 || (argc == 2 && argv[1][0] == '-')) {
		fprintf(stderr, "usage: %s [BYTES]\n", argv[0]);
		return 2;
	}
	if (argc == 2) {
		len = strtoull(argv[1], &end, 0);
		if (*end || !len) {
			fprintf(stderr, "ipcoff-demo: bad size '%s'\n", argv[1]);
			return 2;
		}
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	signal(SIGPIPE, SIG_IGN);

	ret = ipcoff_open(&ipc, 0);
	if (ret == -ENOENT) {
		fprintf(stderr, "ipcoff-demo: %s does not exist; "
			"load the module first (modprobe ipcoff)\n",
			IPCOFF_DEVICE_PATH);
		return EXIT_SKIP;
	}
	if (ret)
		return fail("ipcoff-demo", "ipcoff_open", ret);
	ret = ipcoff_probe(&ipc, &info, sizeof(info));
	if (ret)
		return fail("ipcoff-demo", "ipcoff_probe", ret);
	print_handshake(&info);
	if (!ipcoff_has_feature(&ipc, needed)) {
		fprintf(stderr, "ipcoff-demo: module lacks features 0x%llx\n",
			(unsigned long long)(needed & ~ipc.features));
		return EXIT_SKIP;
	}

	if (pipe(pfd))
		return fail("ipcoff-demo", "pipe", -errno);
	pid = fork();
	if (pid < 0)
		return fail("ipcoff-demo", "fork", -errno);
	if (pid == 0) {
		ipcoff_close(&ipc);
		close(pfd[1]);
		return consumer(pfd[0]);
	}
	close(pfd[0]);
	ret = producer(&ipc, pfd[1], len, &handle);
	close(pfd[1]);	/* on failure the consumer sees EOF and gives up */

	/* Keep the region alive until the consumer is done with it. */
	if (waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) ||
	    WEXITSTATUS(status))
		ret = 1;
	if (handle) {
		ipcoff_unregister(&ipc, handle);
		printf("producer[%d]: consumer done, region unregistered\n",
		       getpid());
	}
	ipcoff_close(&ipc);
	printf("ipcoff-demo: %s\n", ret ? "FAILED" : "bytes verified");
	return ret ? 1 : 0;
}
