/*
 * bench_cacheline.c - what one write to a cache line that another core also
 * writes costs, next to the same write to a line of one's own. It is the
 * price the design avoids by keeping per-worker counters and one writer per
 * record (STYLE.md rule 5), and the input of the scaling model
 * (bench/model.py, docs/SCALING.md) for state that partitions share.
 *
 * Two threads, pinned to cpus 0 and 1 when there are two, increment for a
 * fixed time:
 *
 *   plain-private   a plain load+store on a counter in the thread's own line
 *   plain-shared    the same, the two counters side by side in ONE line
 *                   (false sharing: the line moves between the cores)
 *   atomic-private  a locked add on the thread's own line
 *   atomic-shared   a locked add on ONE counter both threads add to
 *   pingpong        the threads take turns: each waits for the other's write
 *                   and answers it; ns per hand-off = what one write costs
 *                   when the line was last written by the other core (the
 *                   latency of moving a line, not hidden by back-to-back writes)
 *
 * Prints one JSON line: min/median/max ns per increment per thread over RUNS
 * runs (default 5), runs interleaved over the cases.
 *
 *   bench_cacheline [RUNS] [MILLISECONDS-PER-CASE]   (defaults 5, 100)
 */
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "bench_util.h"

#define LINE 128 /* two lines: the adjacent-line prefetcher pairs them */

enum { C_PLAIN_PRIV, C_PLAIN_SHARED, C_ATOMIC_PRIV, C_ATOMIC_SHARED, C_PINGPONG, C_N };

static const char *const case_names[C_N] = {"plain_private", "plain_shared", "atomic_private",
					    "atomic_shared", "pingpong"};

struct slot {
	_Alignas(LINE) volatile uint64_t v;
};

static struct slot priv[2];
static _Alignas(LINE) volatile uint64_t shared_line[2]; /* both counters, one line */
static _Alignas(LINE) int stop;

struct thr {
	pthread_t th;
	int id, kase;
	uint64_t ops;
	double secs;
};

static void pin(int cpu)
{
	cpu_set_t set;

	if (sysconf(_SC_NPROCESSORS_ONLN) < 2)
		return;
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	sched_setaffinity(0, sizeof(set), &set);
}

/* Thread ID writes the counter when its parity is ID; returns its writes. */
static uint64_t pingpong(int id)
{
	volatile uint64_t *p = &shared_line[0];
	uint64_t n = 0, v;

	while (!__atomic_load_n(&stop, __ATOMIC_RELAXED)) {
		v = __atomic_load_n(p, __ATOMIC_ACQUIRE);
		if ((int)(v & 1) != id)
			continue;
		__atomic_store_n(p, v + 1, __ATOMIC_RELEASE);
		n++;
	}
	return n;
}

/* 1024 increments between looks at the stop flag, which is read-only here. */
static void *thr_main(void *arg)
{
	struct thr *t = arg;
	volatile uint64_t *p;
	uint64_t n = 0;
	double t0;
	int i;

	pin(t->id);
	switch (t->kase) {
	case C_PLAIN_SHARED:
		p = &shared_line[t->id];
		break;
	case C_ATOMIC_SHARED:
		p = &shared_line[0];
		break;
	default:
		p = &priv[t->id].v;
	}
	t0 = bench_now_s();
	if (t->kase == C_PINGPONG) {
		n = pingpong(t->id);
		goto out;
	}
	while (!__atomic_load_n(&stop, __ATOMIC_RELAXED)) {
		if (t->kase == C_ATOMIC_PRIV || t->kase == C_ATOMIC_SHARED)
			for (i = 0; i < 1024; i++)
				__atomic_fetch_add(p, 1, __ATOMIC_RELAXED);
		else
			for (i = 0; i < 1024; i++)
				*p = *p + 1;
		n += 1024;
	}
out:
	t->secs = bench_now_s() - t0;
	t->ops = n;
	return NULL;
}

/* ns per increment per thread, mean of the two threads */
static double run_case(int kase, double secs)
{
	struct thr t[2];
	struct timespec ts = {(time_t)secs, (long)((secs - (double)(time_t)secs) * 1e9)};
	double ns = 0;
	int i;

	__atomic_store_n(&stop, 0, __ATOMIC_RELAXED);
	shared_line[0] = 0;
	for (i = 0; i < 2; i++) {
		t[i] = (struct thr){.id = i, .kase = kase};
		pthread_create(&t[i].th, NULL, thr_main, &t[i]);
	}
	nanosleep(&ts, NULL);
	__atomic_store_n(&stop, 1, __ATOMIC_RELAXED);
	for (i = 0; i < 2; i++) {
		pthread_join(t[i].th, NULL);
		ns += t[i].secs * 1e9 / (double)(t[i].ops ? t[i].ops : 1) / 2;
	}
	if (kase == C_PINGPONG) /* per hand-off, both threads' writes together */
		ns = t[0].secs * 1e9 / (double)(t[0].ops + t[1].ops + 1);
	return ns;
}

int main(int argc, char **argv)
{
	int runs = argc > 1 ? atoi(argv[1]) : 5;
	double secs = (argc > 2 ? atof(argv[2]) : 100) / 1e3;
	double *ns;
	int i, k;

	if (runs < 1 || secs <= 0) {
		fprintf(stderr, "usage: bench_cacheline [RUNS] [MILLISECONDS-PER-CASE]\n");
		return 2;
	}
	ns = calloc((size_t)runs * C_N, sizeof(*ns));
	if (!ns)
		return 1;
	for (i = 0; i < runs; i++)
		for (k = 0; k < C_N; k++)
			ns[k * runs + i] = run_case(k, secs);
	printf("{\"bench\":\"cacheline\",\"runs\":%d,\"ms\":%.0f,\"cpus\":%ld", runs, secs * 1e3,
	       sysconf(_SC_NPROCESSORS_ONLN));
	for (k = 0; k < C_N; k++) {
		double *v = ns + k * runs;

		qsort(v, (size_t)runs, sizeof(*v), bench_cmp_double);
		printf(",\"%s_ns\":{\"min\":%.2f,\"median\":%.2f,\"max\":%.2f}", case_names[k],
		       v[0], v[runs / 2], v[runs - 1]);
	}
	printf("}\n");
	free(ns);
	return 0;
}
