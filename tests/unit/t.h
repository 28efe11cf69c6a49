/*
 * t.h - the tiny test harness every unit test program includes.
 *
 * A test program is a main() that calls T_RUN(fn) for each test function.
 * Each test prints one line: "PASS name", "FAIL name: file:line: what" or
 * "SKIP name: why"; tests/run.sh counts those lines over all programs and
 * prints the closing "N passed, N failed, N skipped". A failing check ends
 * its test at once (the check returns from the test function).
 *
 * Fixture paths come from the FIXTURES environment variable (set by make).
 */
#ifndef PG_TESTS_T_H
#define PG_TESTS_T_H

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int t_failed_now; /* the running test failed */
static int t_skipped_now;
static int t_counts[3];	 /* passed, failed, skipped */

#define T_FAIL(...)                                                                      \
	do {                                                                             \
		printf("FAIL %s: %s:%d: ", t_name, __FILE__, __LINE__);                 \
		printf(__VA_ARGS__);                                                     \
		printf("\n");                                                            \
		t_failed_now = 1;                                                        \
		return;                                                                  \
	} while (0)

#define T_CHECK(cond)                                                                    \
	do {                                                                             \
		if (!(cond))                                                             \
			T_FAIL("check failed: %s", #cond);                               \
	} while (0)

#define T_EQ_INT(a, b)                                                                   \
	do {                                                                             \
		long long t_a_ = (long long)(a), t_b_ = (long long)(b);                  \
		if (t_a_ != t_b_)                                                        \
			T_FAIL("%s == %lld, expected %s == %lld", #a, t_a_, #b, t_b_);  \
	} while (0)

#define T_EQ_STR(a, b)                                                                   \
	do {                                                                             \
		const char *t_a_ = (a), *t_b_ = (b);                                     \
		if (!t_a_ || !t_b_ || strcmp(t_a_, t_b_) != 0)                           \
			T_FAIL("%s == \"%s\", expected \"%s\"", #a, t_a_ ? t_a_ : "(null)", \
			       t_b_ ? t_b_ : "(null)");                                  \
	} while (0)

#define T_SKIP(...)                                                                      \
	do {                                                                             \
		printf("SKIP %s: ", t_name);                                             \
		printf(__VA_ARGS__);                                                     \
		printf("\n");                                                            \
		t_skipped_now = 1;                                                       \
		return;                                                                  \
	} while (0)

/* Every test function has this signature; t_name is its name for messages. */
#define T_TEST(fn) static void fn(const char *t_name)

#define T_RUN(fn)                                                                        \
	do {                                                                             \
		t_failed_now = t_skipped_now = 0;                                        \
		fn(#fn);                                                                 \
		if (t_failed_now)                                                        \
			t_counts[1]++;                                                   \
		else if (t_skipped_now)                                                  \
			t_counts[2]++;                                                   \
		else {                                                                   \
			t_counts[0]++;                                                   \
			printf("PASS %s\n", #fn);                                        \
		}                                                                        \
		fflush(stdout);                                                          \
	} while (0)

/* Exit status of a test program: non-zero when any test failed. */
#define T_DONE() (t_counts[1] ? 1 : 0)

/* Path of a shared fixture, e.g. t_fixture("captures/syscall.scap"). */
static inline const char *t_fixture(const char *rel)
{
	static char buf[4096];
	const char *dir = getenv("FIXTURES");

	snprintf(buf, sizeof(buf), "%s/%s", dir ? dir : "../shared/fixtures", rel);
	return buf;
}

#endif /* PG_TESTS_T_H */
