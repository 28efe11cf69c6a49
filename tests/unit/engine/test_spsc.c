/*
 * test_spsc.c - the reader -> worker byte ring: records of every size cross
 * the wrap point intact and in order, the producer blocks when full and
 * resumes, close drains, and under two real threads nothing is lost
 * (clean under SAN=thread).
 */
#include <errno.h>
#include <pthread.h>
#include <stdint.h>

#include "engine/spsc.h"
#include "t.h"

#define N_RECS 400000u

/* Record i: length 1 + (i * 37) % 300 bytes, each byte (i + k) & 0xff. */
static uint32_t rec_len(uint32_t i)
{
	return 4 + (i * 37u) % 300u;
}

static void rec_fill(uint8_t *p, uint32_t i, uint32_t len)
{
	memcpy(p, &i, 4);
	for (uint32_t k = 4; k < len; k++)
		p[k] = (uint8_t)(i + k);
}

static int rec_check(const uint8_t *p, uint32_t i, uint32_t len)
{
	uint32_t got;

	memcpy(&got, p, 4);
	if (got != i || len != rec_len(i))
		return 0;
	for (uint32_t k = 4; k < len; k++)
		if (p[k] != (uint8_t)(i + k))
			return 0;
	return 1;
}

T_TEST(single_thread_wraps)
{
	struct eng_spsc *q = eng_spsc_new(4096);
	uint32_t next_w = 0, next_r = 0;

	T_CHECK(q);
	/* fill in uneven batches, drain in uneven batches, many laps */
	while (next_r < 20000) {
		for (int k = 0; k < 7; k++) {
			uint32_t len = rec_len(next_w);
			void *p = eng_spsc_reserve_sp(q, len, (uint16_t)(next_w & 7));

			if (!p)
				break;
			rec_fill(p, next_w, len);
			eng_spsc_commit_sp(q);
			next_w++;
		}
		eng_spsc_publish_sp(q);
		eng_spsc_begin_sc(q);
		const void *pl;
		uint32_t len;
		uint16_t cpu;

		while (eng_spsc_next_sc(q, &pl, &len, &cpu)) {
			if (!rec_check(pl, next_r, len) || cpu != (next_r & 7))
				T_FAIL("record %u corrupt", next_r);
			next_r++;
		}
		eng_spsc_release_sc(q);
	}
	T_EQ_INT(next_r, next_w);
	eng_spsc_free(q);
}

T_TEST(full_then_empty)
{
	struct eng_spsc *q = eng_spsc_new(4096);
	unsigned n = 0;

	T_CHECK(q);
	while (eng_spsc_reserve_sp(q, 100, 0)) {
		eng_spsc_commit_sp(q);
		n++;
	}
	/* 100 bytes + 8 header rounded to 112: 36 fit in 4096 */
	T_EQ_INT(n, 4096 / 112);
	T_EQ_INT(eng_spsc_wait_space_sp(q, 100, NULL, 10), -ETIMEDOUT);
	T_EQ_INT(eng_spsc_publish_sp(q), n);
	T_EQ_INT(eng_spsc_wait_sc(q, 0), 1);
	eng_spsc_close_sp(q);
	T_CHECK(eng_spsc_begin_sc(q) > 0);
	const void *pl;
	uint32_t len;
	uint16_t cpu;
	unsigned got = 0;

	while (eng_spsc_next_sc(q, &pl, &len, &cpu))
		got++;
	eng_spsc_release_sc(q);
	T_EQ_INT(got, n);
	T_EQ_INT(eng_spsc_wait_sc(q, -1), 0); /* closed and drained */
	T_EQ_INT(eng_spsc_wait_space_sp(q, 100, NULL, 0), 0);
	eng_spsc_free(q);
}

struct two {
	struct eng_spsc *q;
	uint32_t bad, got;
};

static void *consumer(void *arg)
{
	struct two *t = arg;

	while (eng_spsc_wait_sc(t->q, -1) == 1) {
		const void *pl;
		uint32_t len;
		uint16_t cpu;

		eng_spsc_begin_sc(t->q);
		while (eng_spsc_next_sc(t->q, &pl, &len, &cpu)) {
			if (!rec_check(pl, t->got, len))
				t->bad++;
			t->got++;
		}
		eng_spsc_release_sc(t->q);
	}
	return NULL;
}

T_TEST(two_threads_no_loss)
{
	struct two t = {.q = eng_spsc_new(16384)};
	pthread_t th;

	T_CHECK(t.q);
	T_CHECK(pthread_create(&th, NULL, consumer, &t) == 0);
	for (uint32_t i = 0; i < N_RECS; i++) {
		uint32_t len = rec_len(i);
		void *p = eng_spsc_reserve_sp(t.q, len, 0);

		if (!p) {
			eng_spsc_publish_sp(t.q);
			if (eng_spsc_wait_space_sp(t.q, len, NULL, -1) != 0)
				break;
			p = eng_spsc_reserve_sp(t.q, len, 0);
		}
		rec_fill(p, i, len);
		eng_spsc_commit_sp(t.q);
		if (eng_spsc_pending_sp(t.q) >= 32 || (i % 1000) == 999)
			eng_spsc_publish_sp(t.q);
	}
	eng_spsc_close_sp(t.q);
	pthread_join(th, NULL);
	T_EQ_INT(t.bad, 0);
	T_EQ_INT(t.got, N_RECS);
	eng_spsc_free(t.q);
}

int main(void)
{
	T_RUN(single_thread_wraps);
	T_RUN(full_then_empty);
	T_RUN(two_threads_no_loss);
	return t_counts[1] ? 1 : 0;
}
