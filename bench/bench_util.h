/*
 * bench_util.h - helpers shared by the C benchmarks in bench/: monotonic
 * clocks, a qsort comparator for medians, and the engine's on-match work.
 */
#ifndef PG_BENCH_UTIL_H
#define PG_BENCH_UTIL_H

#include <stdint.h>
#include <time.h>

#include "rules/ruleset.h"

/* Monotonic time in nanoseconds. */
static inline double bench_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

/* Monotonic time in seconds. */
static inline double bench_now_s(void)
{
	return bench_now_ns() * 1e-9;
}

/* qsort comparator of doubles, ascending. */
static inline int bench_cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* As the engine does on a match: the output string is formatted at match
 * time; *arg counts the matches. */
static inline int bench_count_match(void *arg, const struct rule_match *m)
{
	char buf[2048];

	rule_match__output(m, buf, sizeof(buf));
	(*(uint64_t *)arg)++;
	return 0;
}

#endif /* PG_BENCH_UTIL_H */
