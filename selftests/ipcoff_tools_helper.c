// SPDX-License-Identifier: GPL-2.0
/*
 * Helper of ipcoff_tools_test.sh, which has no other way to hold regions,
 * make copies or change its uid in a busybox guest:
 *
 *   ipcoff_tools_helper hold LEN COPIES   register LEN bytes and allocate a
 *        LEN-byte buffer, grant uid 1000 read access to both, make COPIES
 *        cpu copies from the region into the buffer, print "ready", then
 *        wait for SIGTERM
 *   ipcoff_tools_helper copies N LEN      N automatic copies of LEN bytes
 *   ipcoff_tools_helper as UID PROG ARG...   run PROG as UID (and gid),
 *        without capabilities
 *
 * Exit status 0, or 1 with a message.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <linux/ipcoff.h>

static int die(const char *what)
{
	fprintf(stderr, "ipcoff_tools_helper: %s: %s\n", what,
		strerror(errno));
	return 1;
}

static int copy_into(int fd, uint64_t src, uint64_t dst, void *mem,
		     uint64_t len, uint32_t engine)
{
	struct ipcoff_iovec iov = { .base = (uintptr_t)mem, .len = len };
	struct ipcoff_copy c = { .len = len, .engine = engine };

	c.src.type = IPCOFF_EP_REGION;
	c.src.handle = src;
	if (dst) {
		c.dst.type = IPCOFF_EP_REGION;
		c.dst.handle = dst;
	} else {
		c.dst.type = IPCOFF_EP_IOVEC;
		c.dst.iov_cnt = 1;
		c.dst.iov = (uintptr_t)&iov;
	}
	return ioctl(fd, IPCOFF_IOC_COPY, &c);
}

/* The device and one registered region of @len bytes at *@mem. */
static int setup(uint64_t len, uint8_t **mem, uint64_t *h)
{
	struct ipcoff_region_reg r = { .len = len,
				       .flags = IPCOFF_REGION_WRITABLE };
	int fd = open(IPCOFF_DEVICE_PATH, O_RDWR | O_CLOEXEC);

	if (fd < 0)
		return -1;
	*mem = mmap(NULL, 2 * len, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (*mem == MAP_FAILED)
		return -1;
	memset(*mem, 0x5a, 2 * len);
	r.addr = (uintptr_t)*mem;
	if (ioctl(fd, IPCOFF_IOC_REGISTER, &r))
		return -1;
	*h = r.handle;
	return fd;
}

static int hold(uint64_t len, long copies)
{
	struct ipcoff_buf_alloc ba = { .len = len,
				       .flags = IPCOFF_REGION_WRITABLE };
	struct ipcoff_grant g = { .uid = 1000, .access = IPCOFF_ACCESS_READ };
	sigset_t set;
	uint8_t *mem;
	uint64_t h;
	int fd, sig;
	long i;

	/* Blocked before "ready": the test may signal right after it. */
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigprocmask(SIG_BLOCK, &set, NULL);
	fd = setup(len, &mem, &h);
	if (fd < 0)
		return die("register");
	if (ioctl(fd, IPCOFF_IOC_BUF_ALLOC, &ba))
		return die("BUF_ALLOC");
	g.handle = h;
	if (ioctl(fd, IPCOFF_IOC_GRANT, &g))
		return die("GRANT");
	g.handle = ba.handle;
	if (ioctl(fd, IPCOFF_IOC_GRANT, &g))
		return die("GRANT");
	for (i = 0; i < copies; i++)
		if (copy_into(fd, h, ba.handle, NULL, len, IPCOFF_ENGINE_CPU))
			return die("COPY");
	printf("ready\n");
	fflush(stdout);
	sigwait(&set, &sig);
	close(fd);
	return 0;
}

static int copies(long n, uint64_t len)
{
	uint8_t *mem;
	uint64_t h;
	int fd;
	long i;

	fd = setup(len, &mem, &h);
	if (fd < 0)
		return die("register");
	for (i = 0; i < n; i++)
		if (copy_into(fd, h, 0, mem + len, len, IPCOFF_ENGINE_AUTO))
			return die("COPY");
	close(fd);
	return 0;
}

static int run_as(uid_t uid, char **argv)
{
	if (setgroups(0, NULL) || setresgid(uid, uid, uid) ||
	    setresuid(uid, uid, uid))
		return die("setresuid");
	execv(argv[0], argv);
	return die(argv[0]);
}

int main(int argc, char **argv)
{
	if (argc == 4 && !strcmp(argv[1], "hold"))
		return hold(strtoull(argv[2], NULL, 0), atol(argv[3]));
	if (argc == 4 && !strcmp(argv[1], "copies"))
		return copies(atol(argv[2]), strtoull(argv[3], NULL, 0));
	if (argc >= 4 && !strcmp(argv[1], "as"))
		return run_as((uid_t)atol(argv[2]), argv + 3);
	fprintf(stderr, "usage: %s hold LEN COPIES | copies N LEN | as UID PROG [ARG...]\n",
		argv[0]);
	return 1;
}
