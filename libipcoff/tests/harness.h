/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/*
 * The native tests' harness (test-native.c), shared with the pool and
 * channel tests (test-channel.c): checks that record a failure and go on,
 * KTAP output by main().
 */
#ifndef IPCOFF_TESTS_HARNESS_H
#define IPCOFF_TESTS_HARNESS_H

#include <stdbool.h>
#include <stddef.h>
#include <string.h>

extern bool cur_failed;
extern const char *cur_skip;

bool check(bool ok, const char *expr, const char *file, int line);
bool check_eq(unsigned long long a, unsigned long long b, const char *ea,
	      const char *eb, const char *file, int line);

#define CHECK(c) check(!!(c), #c, __FILE__, __LINE__)
#define CHECK_EQ(a, b) \
	check_eq((unsigned long long)(a), (unsigned long long)(b), #a, #b, \
		 __FILE__, __LINE__)
#define CHECK_STR(a, b) \
	check(strcmp((a), (b)) == 0, #a " is \"" b "\"", __FILE__, __LINE__)
/* Stop the current test when a precondition does not hold. */
#define REQUIRE(c) do { if (!CHECK(c)) return; } while (0)

struct test {
	const char *name;
	void (*fn)(void);
};

extern const struct test channel_tests[];
extern const size_t nr_channel_tests;

#endif /* IPCOFF_TESTS_HARNESS_H */
