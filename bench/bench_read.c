/*
 * bench_read.c - how fast a capture is read and decoded on one core.
 *
 *   build/bench/bench_read FILE [RUNS]
 *
 * Each run opens FILE, walks every event with cap_reader_next() and decodes
 * it in place with evt_decode(), touching each event's type so nothing is
 * optimised away. Prints, over RUNS runs (default 5), the min/median/max of
 * GB/s (file bytes over wall time) and events/s, as one JSON line that
 * bench/run.sh turns into docs/BENCHMARKS.md. The same-run baseline
 * (sysdig reading the same file) is timed by run.sh.
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <time.h>

#include "abi/event_table.h"
#include "capture/capture.h"

#include "bench_util.h"

/* One pass; returns the number of events, or -1 on a read error. */
static long long one_pass(const char *path, uint64_t *sink)
{
	struct cap_error err;
	struct cap_reader *r = cap_reader_open(path, &err);
	struct cap_event ce;
	struct evt ev;
	struct evt_stats st = {0};
	long long n = 0;
	int rc;

	if (!r) {
		fprintf(stderr, "bench_read: %s\n", err.msg);
		return -1;
	}
	while ((rc = cap_reader_next(r, &ce)) == 1) {
		if (evt_decode(ce.hdr, ce.len, &ev, &st) == EVT_OK)
			*sink += ev.hdr->type + ev.nparams;
		n++;
	}
	if (rc < 0) {
		fprintf(stderr, "bench_read: %s\n", cap_reader_error(r)->msg);
		n = -1;
	}
	cap_reader_close(r);
	return n;
}

int main(int argc, char **argv)
{
	int runs = argc > 2 ? atoi(argv[2]) : 5;
	double gbs[64], evs[64];
	struct stat sb;
	uint64_t sink = 0;
	long long n = 0;

	if (argc < 2 || runs < 1 || runs > 64 || stat(argv[1], &sb) != 0) {
		fprintf(stderr, "usage: bench_read FILE [RUNS<=64]\n");
		return 2;
	}
	one_pass(argv[1], &sink); /* warm the page cache */
	for (int i = 0; i < runs; i++) {
		double t0 = bench_now_s(), dt;

		n = one_pass(argv[1], &sink);
		dt = bench_now_s() - t0;
		if (n < 0)
			return 1;
		gbs[i] = (double)sb.st_size / dt / 1e9;
		evs[i] = (double)n / dt;
	}
	qsort(gbs, runs, sizeof(double), bench_cmp_double);
	qsort(evs, runs, sizeof(double), bench_cmp_double);
	printf("{\"bench\":\"read_decode\",\"file_bytes\":%lld,\"events\":%lld,\"runs\":%d,"
	       "\"gbps_min\":%.3f,\"gbps_median\":%.3f,\"gbps_max\":%.3f,"
	       "\"evps_min\":%.0f,\"evps_median\":%.0f,\"evps_max\":%.0f,\"sink\":%llu}\n",
	       (long long)sb.st_size, n, runs, gbs[0], gbs[runs / 2], gbs[runs - 1], evs[0],
	       evs[runs / 2], evs[runs - 1], (unsigned long long)(sink & 1));
	return 0;
}
