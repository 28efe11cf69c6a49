/*
 * test_mpsc.c - the alert queue: exactly capacity slots are accepted when
 * nobody consumes (the rest refused at once, never waited for); under four
 * producers and one consumer the counts add up, nothing is lost or doubled
 * and each producer's items come out in its order (clean under SAN=thread).
 */
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>

#include "output/mpsc.h"
#include "t.h"

#define NPROD 4
#define PER_PROD 200000u

struct item {
	uint32_t producer, seq;
};

T_TEST(full_refuses)
{
	struct out_mpsc *q = out_mpsc_new(100, sizeof(struct item));
	unsigned n = 0;
	struct item *it;

	T_CHECK(q);
	T_EQ_INT(out_mpsc_capacity(q), 128);
	while ((it = out_mpsc_reserve_mp(q))) {
		it->seq = n++;
		out_mpsc_commit_mp(q, it);
	}
	T_EQ_INT(n, 128);
	T_CHECK(out_mpsc_reserve_mp(q) == NULL);
	for (unsigned i = 0; i < 128; i++) {
		it = out_mpsc_peek_sc(q);
		T_CHECK(it && it->seq == i);
		out_mpsc_pop_sc(q);
	}
	T_CHECK(out_mpsc_peek_sc(q) == NULL);
	T_CHECK(out_mpsc_reserve_mp(q) != NULL); /* room again */
	out_mpsc_free(q);
}

struct ctx {
	struct out_mpsc *q;
	atomic_uint full; /* refusals seen (retried) */
	uint32_t id;
};

static struct ctx g;

static void *producer(void *arg)
{
	uint32_t id = (uint32_t)(uintptr_t)arg;

	for (uint32_t i = 0; i < PER_PROD; i++) {
		struct item *it;

		while (!(it = out_mpsc_reserve_mp(g.q))) {
			atomic_fetch_add(&g.full, 1);
			sched_yield();
		}
		it->producer = id;
		it->seq = i;
		out_mpsc_commit_mp(g.q, it);
	}
	return NULL;
}

T_TEST(contention_no_loss_in_order)
{
	pthread_t th[NPROD];
	uint32_t next[NPROD] = {0};
	uint64_t total = 0, bad = 0;

	g.q = out_mpsc_new(256, sizeof(struct item));
	T_CHECK(g.q);
	for (uintptr_t i = 0; i < NPROD; i++)
		T_CHECK(pthread_create(&th[i], NULL, producer, (void *)i) == 0);
	while (total < (uint64_t)NPROD * PER_PROD) {
		struct item *it = out_mpsc_peek_sc(g.q);

		if (!it) {
			out_mpsc_wait_sc(g.q, 10);
			continue;
		}
		if (it->producer >= NPROD || it->seq != next[it->producer])
			bad++;
		else
			next[it->producer]++;
		out_mpsc_pop_sc(g.q);
		total++;
	}
	for (int i = 0; i < NPROD; i++)
		pthread_join(th[i], NULL);
	T_EQ_INT(bad, 0);
	for (int i = 0; i < NPROD; i++)
		T_EQ_INT(next[i], PER_PROD);
	T_CHECK(out_mpsc_peek_sc(g.q) == NULL);
	printf("# %u refusals retried under contention\n", atomic_load(&g.full));
	out_mpsc_free(g.q);
}

int main(void)
{
	T_RUN(full_refuses);
	T_RUN(contention_no_loss_in_order);
	return t_counts[1] ? 1 : 0;
}
