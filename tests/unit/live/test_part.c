/*
 * test_part.c - prb_part_of(), the partition of processes among rings that
 * the probe and the engine share (src/bpf/probe.h).
 *
 * What a user relies on: a pool of processes forked together (consecutive
 * pids, or every second or third pid when each forks a thread too) is split
 * evenly over the rings, so no worker gets most of the load while another
 * idles; and every key maps to a ring that exists. A random-like hash fails
 * the first test (8 consecutive pids go 6:2 or worse one time in three).
 */
#include "t.h"

#include "bpf/probe.h"

/* The worst distance, over every window of @w keys p, p + stride, ... with
 * p in [1, @pmax), between a ring's count and the even share w / n. */
static unsigned worst_window(unsigned n, unsigned w, unsigned stride, unsigned pmax)
{
	unsigned cnt[64], worst = 0;

	for (unsigned p = 1; p < pmax; p++) {
		memset(cnt, 0, sizeof(cnt));
		for (unsigned i = 0; i < w; i++)
			cnt[prb_part_of(p + stride * i, n)]++;
		for (unsigned r = 0; r < n; r++) {
			unsigned d = cnt[r] > w / n ? cnt[r] - w / n : w / n - cnt[r];

			if (d > worst)
				worst = d;
		}
	}
	return worst;
}

T_TEST(consecutive_pids_split_evenly)
{
	/* 2 rings, 8 processes: never worse than 5:3 */
	T_EQ_INT(worst_window(2, 8, 1, 400000), 1);
	/* up to 16 rings, 4 processes a ring: within 2 of the even share,
	 * for pids 1, 2, 3, ... and for pids two or three apart */
	for (unsigned n = 2; n <= 16; n++)
		for (unsigned stride = 1; stride <= 3; stride++) {
			unsigned w = worst_window(n, 4 * n, stride, 60000);

			if (w > 2)
				T_FAIL("%u rings, stride %u: a ring %u keys off the even share", n,
				       stride, w);
		}
}

T_TEST(every_key_has_a_ring)
{
	uint32_t x = 2463534242u; /* xorshift32 */
	unsigned seen[128] = { 0 };

	for (unsigned i = 0; i < 1000000; i++) {
		unsigned n = 1 + i % 128, r;

		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		r = prb_part_of(x, n);
		if (r >= n)
			T_FAIL("key %u, %u rings: ring %u", x, n, r);
		if (n == 128)
			seen[r]++;
	}
	T_EQ_INT(prb_part_of(UINT32_MAX, 7) < 7, 1);
	T_EQ_INT(prb_part_of(0, 7), 0);
	for (unsigned r = 0; r < 128; r++)
		if (seen[r] == 0)
			T_FAIL("128 rings: ring %u never chosen", r);
}

int main(void)
{
	T_RUN(consecutive_pids_split_evenly);
	T_RUN(every_key_has_a_ring);
	return t_counts[1] ? 1 : 0;
}
