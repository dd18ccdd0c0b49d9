// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * A message channel in five minutes: one producer, two consumers.
 *
 *   ./chan-hello            (works with and without /dev/ipcoff)
 *
 * The producer creates the channel "hello", waits for both consumers and
 * sends ten messages; each consumer connects by name, receives all ten
 * (one blocking, one from a poll() loop) and exits when the producer
 * closes the channel (-EPIPE).
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <ipcoff.h>

#define NAME	"hello"

static int consumer(int use_poll)
{
	struct ipcoff_chan *ch;
	char buf[256];
	ssize_t n;
	int ret;

	ret = ipcoff_chan_connect(NAME, 0, &ch);
	if (ret) {
		fprintf(stderr, "connect: %s\n", strerror(-ret));
		return 1;
	}
	for (;;) {
		if (use_poll) {
			/* An event loop: wait for the fd, then don't block. */
			struct pollfd p = { .fd = ipcoff_chan_fd(ch),
					    .events = POLLIN };

			poll(&p, 1, -1);
			n = ipcoff_chan_recv(ch, buf, sizeof(buf) - 1,
					     IPCOFF_CHAN_DONTWAIT);
			if (n == -EAGAIN)
				continue;
		} else {
			n = ipcoff_chan_recv(ch, buf, sizeof(buf) - 1, 0);
		}
		if (n < 0)
			break;
		buf[n] = 0;
		printf("consumer %d got \"%s\"\n", (int)getpid(), buf);
	}
	/* -EPIPE: the producer closed; -ECONNRESET: it died. */
	printf("consumer %d: %s\n", (int)getpid(), strerror((int)-n));
	ipcoff_chan_close(ch);
	return n == -EPIPE ? 0 : 1;
}

int main(void)
{
	struct ipcoff_chan_attr attr = { .msg_max = 256, .depth = 4 };
	struct ipcoff_chan_info info;
	struct ipcoff_chan *ch;
	char msg[64];
	int i, ret, bad = 0;

	ret = ipcoff_chan_create(NAME, &attr, &ch);
	if (ret) {
		fprintf(stderr, "create: %s\n", strerror(-ret));
		return 1;
	}
	ipcoff_chan_info(ch, &info);
	printf("channel \"%s\" on %s\n", NAME, info.transport);
	fflush(stdout);
	for (i = 0; i < 2; i++)
		if (fork() == 0)
			exit(consumer(i));
	/* Messages go to the consumers connected when they are sent. */
	ipcoff_chan_wait_consumers(ch, 2, -1);
	for (i = 0; i < 10; i++) {
		int len = snprintf(msg, sizeof(msg), "message %d", i);

		ret = ipcoff_chan_send(ch, msg, (size_t)len, 0);
		if (ret)
			fprintf(stderr, "send: %s\n", strerror(-ret));
	}
	ipcoff_chan_close(ch);
	while (wait(&ret) > 0)
		bad |= !WIFEXITED(ret) || WEXITSTATUS(ret);
	return bad;
}
