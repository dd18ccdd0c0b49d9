// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * ipcoff-bench: what the workloads share: names, ring depths, and the
 * stamps that let a receiver check it got the message it was sent (so a
 * transport cannot win by not moving bytes). The stamps cost the producer
 * and the consumer one cache line per 4 KiB page, the same for every
 * transport: a transport that exchanges pages (elide) and lost one would
 * leave an older message's stamp in it.
 */
#include <string.h>

#include "bench.h"

static const char *const names[WL_COUNT] = {
	[WL_PINGPONG] = "pingpong",
	[WL_STREAM] = "stream",
	[WL_STREAM_INPLACE] = "stream-inplace",
	[WL_PIPELINE] = "pipeline",
	[WL_VIDEO] = "video",
	[WL_KV] = "kv",
	[WL_KV_MIXED] = "kv-mixed",
};

const char *workload_name(enum workload wl)
{
	return wl < WL_COUNT ? names[wl] : "?";
}

int workload_by_name(const char *name)
{
	for (int i = 0; i < WL_COUNT; i++)
		if (!strcmp(name, names[i]))
			return i;
	return -1;
}

const struct workload_ops *workload_ops_of(enum workload wl)
{
	switch (wl) {
	case WL_PINGPONG:
		return &pingpong_ops;
	case WL_KV:
	case WL_KV_MIXED:
		return &kv_ops;
	default:
		return &stream_ops;
	}
}

/*
 * Messages in flight on a streaming channel: enough to keep producer and
 * consumer busy at once, bounded so that 16 MiB messages stay in memory.
 */
uint32_t depth_for(size_t size)
{
	if (size <= 256 * KiB)
		return 8;
	if (size <= 4 * MiB)
		return 4;
	return 2;
}

/*
 * The sequence number at the start of the payload, at every STAMP_STRIDE
 * bytes and (inverted) in its last 8 bytes: a piece the transport skipped
 * leaves an older message's stamp behind in the receiver's slot.
 */
#define STAMP_STRIDE	(4 * KiB)

static uint64_t stamp_at(uint64_t seq, size_t pos)
{
	return seq ^ ((uint64_t)pos << 20);
}

void stamp_payload(void *buf, size_t len, uint64_t seq)
{
	unsigned char *b = buf;
	uint64_t inv = ~seq, v;

	if (len < 16) {
		if (len)
			b[0] = (unsigned char)seq;
		return;
	}
	for (size_t pos = 0; pos + 16 <= len; pos += STAMP_STRIDE) {
		v = stamp_at(seq, pos);
		memcpy(b + pos, &v, 8);
	}
	memcpy(b + len - 8, &inv, 8);
}

/*
 * The whole message written anew: a byte that changes with the message,
 * then the stamps. What a producer does whose message memory does not
 * keep the last message's bytes (after a MOVE it holds the receiver's
 * former pages), and every producer under --fill.
 */
void fill_payload(void *buf, size_t len, uint64_t seq)
{
	memset(buf, 0x5a ^ (int)(seq & 0xff), len);
	stamp_payload(buf, len, seq);
}

/* A producer's message @seq in @buf, as its channel's transport needs. */
void produce_payload(const struct chan *ch, void *buf, size_t len,
		     uint64_t seq)
{
	if (opts.fill || ch->t->ops->moves_source)
		fill_payload(buf, len, seq);
	else
		stamp_payload(buf, len, seq);
}

int check_payload(const void *buf, size_t len, uint64_t seq)
{
	const unsigned char *b = buf;
	uint64_t v;

	if (len < 16)
		return !len || b[0] == (unsigned char)seq;
	for (size_t pos = 0; pos + 16 <= len; pos += STAMP_STRIDE) {
		memcpy(&v, b + pos, 8);
		if (v != stamp_at(seq, pos))
			return 0;
	}
	memcpy(&v, b + len - 8, 8);
	return v == ~seq;
}

/* Consume every byte (the in-place reader); the sum keeps it honest. */
uint64_t read_every_byte(const void *buf, size_t len)
{
	const unsigned char *b = buf;
	uint64_t sum = 0, w;
	size_t i = 0;

	for (; i + 8 <= len; i += 8) {
		memcpy(&w, b + i, 8);
		sum += w;
	}
	for (; i < len; i++)
		sum += b[i];
	return sum;
}
