/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Shared by the rdma tests: channels named "ipcoff://HOST:PORT", where
 * libipcoff picks the transport (local on the same host unless rdma is
 * asked for, rdma to another host). A producer of @count messages of
 * stream @s and a consumer that checks every byte and which transport its
 * handle got. Both return 0 or the step that failed, after a "#" line.
 */
#ifndef IPCOFF_RDMA_CHAN_NET_H
#define IPCOFF_RDMA_CHAN_NET_H

#include "rdma_common.h"

static inline int net_produce(const char *name, unsigned int consumers,
			      unsigned int want_via, size_t max, int count,
			      uint64_t s)
{
	struct ipcoff_chan_info info;
	struct ipcoff_chan *ch;
	char *buf;
	int n, ret;

	ret = chan_producer_open(name, max, 50, ipcoff_chan_strerror, &ch, &buf);
	if (ret)
		return ret;
	if (ipcoff_chan_info(ch, &info) || info.via != want_via) {
		printf("# producer %s: transport %s, via %#x, want %#x\n", name,
		       info.transport, info.via, want_via);
		return 52;
	}
	printf("# producer %s: transport %s\n", name, info.transport);
	ret = ipcoff_chan_wait_consumers(ch, consumers, 180000000000LL);
	if (ret) {
		ipcoff_chan_info(ch, &info);
		printf("# producer: %u of %u consumers: %s\n", info.consumers,
		       consumers, strerror(-ret));
		return 53;
	}
	for (n = 0; n < count; n++) {
		size_t len = msg_len_of(s, n, max);

		msg_fill(buf, len, s, n);
		ret = ipcoff_chan_send(ch, buf, len, 0);
		if (ret) {
			printf("# send %d: %s\n", n, strerror(-ret));
			return 54;
		}
	}
	ipcoff_chan_info(ch, &info);
	if (info.messages != (uint64_t)count) {
		printf("# producer: %llu sent\n",
		       (unsigned long long)info.messages);
		return 55;
	}
	ipcoff_chan_close(ch);
	free(buf);
	return 0;
}

/*
 * Connect with @flags until the producer is there, check that the handle
 * uses @want_via (IPCOFF_CHAN_VIA_*), receive @count messages (copied out,
 * or in place with @peek), then the producer's close as EPIPE.
 */
static inline int net_consume(const char *name, unsigned int flags,
			      unsigned int want_via, size_t max, int count,
			      uint64_t s, bool peek)
{
	struct ipcoff_chan_info info;
	struct ipcoff_chan *ch;
	char *buf;
	ssize_t len;
	int n, ret;

	ret = chan_consumer_open(name, flags, max, 60, ipcoff_chan_strerror,
				 &ch, &buf);
	if (ret)
		return ret;
	if (ipcoff_chan_info(ch, &info) || info.via != want_via ||
	    info.producer) {
		printf("# consumer %s: transport %s, via %#x, want %#x\n", name,
		       info.transport, info.via, want_via);
		return 62;
	}
	for (n = 0; n < count; n++) {
		size_t want = msg_len_of(s, n, max);
		struct ipcoff_chan_msg m;

		if (peek) {
			ret = ipcoff_chan_peek(ch, &m, 0);
			len = ret ? ret : (ssize_t)m.len;
			if (!ret && (len != (ssize_t)want ||
				     msg_check(m.data, want, s, n) >= 0)) {
				printf("# message %d: wrong bytes in place\n", n);
				return 63;
			}
			if (!ret && ipcoff_chan_done(ch, &m))
				return 64;
		} else {
			memset(buf, 0, max);
			len = ipcoff_chan_recv(ch, buf, max, 0);
			if (len == (ssize_t)want &&
			    msg_check(buf, want, s, n) >= 0) {
				printf("# message %d: wrong bytes\n", n);
				return 65;
			}
		}
		if (len != (ssize_t)want) {
			printf("# message %d: %zd, want %zu\n", n, len, want);
			return 66;
		}
	}
	len = ipcoff_chan_recv(ch, buf, max, 0);
	if (len != -EPIPE) {
		printf("# after the stream: %zd, want -EPIPE\n", len);
		return 67;
	}
	ipcoff_chan_info(ch, &info);
	if (info.messages != (uint64_t)count || info.via != want_via)
		return 68;
	printf("# consumer %s (flags %#x): %d messages over %s, every byte right\n",
	       name, flags, count, info.transport);
	ipcoff_chan_close(ch);
	free(buf);
	return 0;
}

#endif /* IPCOFF_RDMA_CHAN_NET_H */
