// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * ipcoff-cachebench: what the CPU can do (CPUID), the clock, and the
 * instructions the actions are made of.
 *
 * On x86 the clock is the time stamp counter when CPUID calls it
 * invariant (constant rate, running in every C-state), read between
 * LFENCEs so that the loads before the second reading have completed;
 * its rate is measured against CLOCK_MONOTONIC at start-up. Elsewhere,
 * and on x86 without an invariant TSC, CLOCK_MONOTONIC itself.
 *
 * The copies move one cache line per iteration with 16-byte SSE2 loads
 * and stores: copy_plain() with ordinary stores, copy_nt() with
 * non-temporal ones (MOVNTDQ) and an SFENCE, so that the one difference
 * between "none" and "nt" is the kind of store. (glibc's memcpy would
 * itself switch to non-temporal stores above a threshold derived from
 * the cache sizes, which would blur that difference on some hosts.)
 *
 * Other architectures build: the copies become memcpy, prefetch uses
 * the compiler's builtin, and the x86 actions are reported unavailable.
 */
#include <string.h>
#include <time.h>

#include "cachebench.h"

#if defined(__x86_64__) || defined(__i386__)
#define CB_X86 1
#include <cpuid.h>
#include <immintrin.h>
#include <x86intrin.h>
#else
#define CB_X86 0
#endif

static int use_tsc;
static double tick_ns = 1.0;		/* nanoseconds per tick */

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

double wall_s(void)
{
	return mono_ns() / 1e9;
}

#if CB_X86

static uint64_t xgetbv0(void)
{
	uint32_t lo, hi;

	__asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
	return ((uint64_t)hi << 32) | lo;
}

static void regs_to_str(char *dst, const unsigned int *regs, unsigned int n)
{
	memcpy(dst, regs, n * sizeof(*regs));
	dst[n * sizeof(*regs)] = 0;
}

void arch_probe(struct arch_info *a)
{
	unsigned int eax, ebx, ecx, edx, max, emax, r[12];
	uint64_t xcr0 = 0;

	memset(a, 0, sizeof(*a));
	a->x86 = 1;
	max = __get_cpuid_max(0, NULL);
	if (!max)
		return;
	__cpuid(0, eax, r[0], r[2], r[1]);	/* EBX, EDX, ECX spell it */
	regs_to_str(a->vendor, r, 3);

	__cpuid(1, eax, ebx, ecx, edx);
	a->stepping = eax & 0xf;
	a->family = (eax >> 8) & 0xf;
	a->model = (eax >> 4) & 0xf;
	if (a->family == 0xf)
		a->family += (eax >> 20) & 0xff;
	if (a->family == 6 || a->family >= 0xf)
		a->model |= ((eax >> 16) & 0xf) << 4;
	a->clflush = (edx >> 19) & 1;
	a->sse2 = (edx >> 26) & 1;
	a->virt = (ecx >> 31) & 1;
	if ((ecx >> 27) & 1)			/* OSXSAVE: XGETBV works */
		xcr0 = xgetbv0();
	/* AVX needs the OS to save the YMM state: XCR0 bits 1 and 2. */
	a->avx = ((ecx >> 28) & 1) && (xcr0 & 0x6) == 0x6;

	if (max >= 7) {
		__cpuid_count(7, 0, eax, ebx, ecx, edx);
		a->avx2 = a->avx && ((ebx >> 5) & 1);
		/* AVX-512 also needs opmask and ZMM state: bits 5-7. */
		a->avx512f = ((ebx >> 16) & 1) && (xcr0 & 0xe6) == 0xe6;
		a->clflushopt = (ebx >> 23) & 1;
		a->clwb = (ebx >> 24) & 1;
	}

	emax = __get_cpuid_max(0x80000000, NULL);
	if (emax >= 0x80000004) {
		char *s = a->brand;

		for (unsigned int i = 0; i < 3; i++)
			__cpuid(0x80000002 + i, r[4 * i], r[4 * i + 1],
				r[4 * i + 2], r[4 * i + 3]);
		regs_to_str(a->brand, r, 12);
		while (*s == ' ')
			s++;
		memmove(a->brand, s, strlen(s) + 1);
	}
	if (emax >= 0x80000007) {
		__cpuid(0x80000007, eax, ebx, ecx, edx);
		a->invariant_tsc = (edx >> 8) & 1;
	}

	/* Leaf 0x40000000 exists only under a hypervisor. */
	if (a->virt) {
		__cpuid(0x40000000, eax, r[0], r[1], r[2]);
		regs_to_str(a->hypervisor, r, 3);
	}
}

uint64_t ticks_begin(void)
{
	uint64_t t;

	if (!use_tsc)
		return mono_ns();
	_mm_lfence();
	t = __rdtsc();
	_mm_lfence();
	return t;
}

/* The same fences: the loads before it have completed when it reads. */
uint64_t ticks_end(void)
{
	return ticks_begin();
}

void copy_plain(void *dst, const void *src, size_t len)
{
	__m128i *d = dst;
	const __m128i *s = src;

	for (size_t i = 0; i < len / 16; i += 4) {
		__m128i x0 = _mm_load_si128(s + i);
		__m128i x1 = _mm_load_si128(s + i + 1);
		__m128i x2 = _mm_load_si128(s + i + 2);
		__m128i x3 = _mm_load_si128(s + i + 3);

		_mm_store_si128(d + i, x0);
		_mm_store_si128(d + i + 1, x1);
		_mm_store_si128(d + i + 2, x2);
		_mm_store_si128(d + i + 3, x3);
	}
}

void copy_nt(void *dst, const void *src, size_t len)
{
	__m128i *d = dst;
	const __m128i *s = src;

	for (size_t i = 0; i < len / 16; i += 4) {
		__m128i x0 = _mm_load_si128(s + i);
		__m128i x1 = _mm_load_si128(s + i + 1);
		__m128i x2 = _mm_load_si128(s + i + 2);
		__m128i x3 = _mm_load_si128(s + i + 3);

		_mm_stream_si128(d + i, x0);
		_mm_stream_si128(d + i + 1, x1);
		_mm_stream_si128(d + i + 2, x2);
		_mm_stream_si128(d + i + 3, x3);
	}
	/* Non-temporal stores are weakly ordered: drain them before the flag. */
	_mm_sfence();
}

__attribute__((target("clwb")))
void lines_clwb(void *p, size_t len)
{
	char *c = p;

	for (size_t off = 0; off < len; off += CACHELINE)
		_mm_clwb(c + off);
	_mm_sfence();		/* ordered before the flag store */
}

__attribute__((target("clflushopt")))
void lines_clflushopt(void *p, size_t len)
{
	char *c = p;

	for (size_t off = 0; off < len; off += CACHELINE)
		_mm_clflushopt(c + off);
	_mm_sfence();
}

/*
 * The reset: no cache in the machine keeps these lines afterwards.
 * CLFLUSHOPT where there is one: CLFLUSH is ordered with every other
 * CLFLUSH and costs about twenty times more here (2 ms per MiB).
 */
void lines_evict(void *p, size_t len, int opt)
{
	const char *c = p;

	if (opt) {
		lines_clflushopt(p, len);
	} else {
		for (size_t off = 0; off < len; off += CACHELINE)
			_mm_clflush(c + off);
	}
	_mm_mfence();
}

void lines_prefetch(const void *p, size_t lines)
{
	const char *c = p;

	for (size_t i = 0; i < lines; i++)
		_mm_prefetch(c + i * CACHELINE, _MM_HINT_T0);
}

void cpu_relax(void)
{
	_mm_pause();
}

#else /* !CB_X86 */

void arch_probe(struct arch_info *a)
{
	memset(a, 0, sizeof(*a));
}

uint64_t ticks_begin(void)
{
	return mono_ns();
}

uint64_t ticks_end(void)
{
	return mono_ns();
}

void copy_plain(void *dst, const void *src, size_t len)
{
	memcpy(dst, src, len);
}

/* Unreachable: action_missing() reports the x86 actions unavailable. */
void copy_nt(void *dst, const void *src, size_t len)
{
	memcpy(dst, src, len);
}

void lines_clwb(void *p, size_t len)
{
	(void)p;
	(void)len;
}

void lines_clflushopt(void *p, size_t len)
{
	(void)p;
	(void)len;
}

void lines_evict(void *p, size_t len, int opt)
{
	(void)p;
	(void)len;
	(void)opt;
}

void lines_prefetch(const void *p, size_t lines)
{
	const char *c = p;

	for (size_t i = 0; i < lines; i++)
		__builtin_prefetch(c + i * CACHELINE, 0, 3);
}

void cpu_relax(void)
{
	__asm__ volatile("" ::: "memory");
}

#endif /* CB_X86 */

void clock_init(const struct arch_info *a, double calibrate_s)
{
	uint64_t t0, n0, t1, n1;

	use_tsc = CB_X86 && a->invariant_tsc;
	if (!use_tsc)
		return;
	n0 = mono_ns();
	t0 = ticks_begin();
	do
		n1 = mono_ns();
	while (n1 - n0 < (uint64_t)(calibrate_s * 1e9));
	t1 = ticks_begin();
	tick_ns = (double)(n1 - n0) / (double)(t1 - t0);
}

const char *clock_name(void)
{
	return use_tsc ? "tsc" : "clock_monotonic";
}

double clock_mhz(void)
{
	return 1e3 / tick_ns;
}

double ticks_to_ns(uint64_t ticks)
{
	return (double)ticks * tick_ns;
}

void arch_print(FILE *f, const struct arch_info *a)
{
	if (!a->x86) {
		fprintf(f, "  x86       no: clwb, clflushopt and nt are n/a\n");
		return;
	}
	fprintf(f, "  cpuid     %s, family %u model %u (0x%x) stepping %u\n",
		a->vendor, a->family, a->model, a->model, a->stepping);
	fprintf(f, "  insns     clflush %s, clflushopt %s, clwb %s, "
		"movnti/movntdq (sse2) %s, avx %s, avx2 %s, avx512f %s\n",
		a->clflush ? "yes" : "no", a->clflushopt ? "yes" : "no",
		a->clwb ? "yes" : "no", a->sse2 ? "yes" : "no",
		a->avx ? "yes" : "no", a->avx2 ? "yes" : "no",
		a->avx512f ? "yes" : "no");
	if (a->virt)
		fprintf(f, "  virtual   yes: CPUID names a hypervisor (\"%s\")\n",
			a->hypervisor);
	else
		fprintf(f, "  virtual   no: CPUID names no hypervisor\n");
}
