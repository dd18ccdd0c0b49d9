// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * ipcoff-cachebench: the message's bytes.
 *
 * Every message is a fixed pseudo-random pattern whose bytes are all
 * below 128, plus a per-sample bias (0..127) added to every byte. No
 * byte can carry into its neighbour, so the consumer's results for a
 * biased message follow from the unbiased pattern's by a formula: the
 * consumer checks every sample without the producer computing anything
 * and without a second pass over the data. A sample never carries the
 * bias of the sample before it, so stale bytes cannot pass.
 *
 * The consumer's two ways of reading:
 *  - read: load every 64-bit word and add them up; the memory system's
 *    speed, with as little work per byte as a reader can do;
 *  - checksum: a Fletcher-style pair over every byte (a += byte;
 *    b += a), a dependent chain of about a cycle per byte, standing for
 *    a consumer that does real work on each byte as it goes.
 */
#include "cachebench.h"

#define BYTES_BELOW_128	0x7f7f7f7f7f7f7f7fULL
#define EVERY_BYTE	0x0101010101010101ULL

static uint64_t pattern_word(uint64_t j)
{
	uint64_t x = (j + 1) * 0x9e3779b97f4a7c15ULL;

	x ^= x >> 29;
	return x & BYTES_BELOW_128;
}

void msg_fill(void *buf, size_t len, unsigned int bias)
{
	uint64_t *w = buf, add = (uint64_t)(bias & 127) * EVERY_BYTE;

	for (size_t j = 0; j < len / 8; j++)
		w[j] = pattern_word(j) + add;
}

uint64_t msg_read(const void *buf, size_t len)
{
	const uint64_t *w = buf;
	uint64_t sum = 0;

	for (size_t j = 0; j < len / 8; j++)
		sum += w[j];
	return sum;
}

void msg_checksum(const void *buf, size_t len, uint64_t *pa, uint64_t *pb)
{
	const uint8_t *p = buf;
	uint64_t a = 0, b = 0;

	for (size_t i = 0; i < len; i++) {
		a += p[i];
		b += a;
	}
	*pa = a;
	*pb = b;
}

/*
 * @base: the sums of the unbiased pattern's first @len bytes. With every
 * byte raised by s: the words' sum by s in each byte of each word, the
 * byte sum by len * s, and b, which counts byte i (0-based) len - i
 * times, by s * len * (len + 1) / 2.
 */
void msg_expect(const struct msg_sums *base, size_t len, unsigned int bias,
		struct msg_sums *out)
{
	uint64_t s = bias & 127, n = len;

	out->words = base->words + (n / 8) * s * EVERY_BYTE;
	out->a = base->a + n * s;
	out->b = base->b + s * (n * (n + 1) / 2);
}
