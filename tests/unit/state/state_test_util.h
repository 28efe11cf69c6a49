/*
 * state_test_util.h - helpers shared by the state tests: building spawns and
 * "steppers", registered worker threads that run one chosen step at a time
 * so that cross-partition interleavings are deterministic.
 *
 * A stepper stays online while it waits for its next step: exactly like a
 * worker in the middle of a batch, it holds every pointer it obtained until
 * it is told to pass a quiescent state.
 */
#ifndef PG_TESTS_STATE_UTIL_H
#define PG_TESTS_STATE_UTIL_H

#include <pthread.h>
#include <semaphore.h>
#include <string.h>

#include "state/state.h"

static inline struct proc_spawn spawn_of(uint64_t tid, uint64_t tgid, uint64_t ptid, uint64_t ts,
					 const char *comm, const char *exe)
{
	struct proc_spawn s;

	memset(&s, 0, sizeof(s));
	s.tid = tid;
	s.tgid = tgid;
	s.ptid = ptid;
	s.ts = ts;
	s.vtid = tid;
	s.vpid = tgid;
	s.comm = comm;
	s.exe = exe;
	s.exepath = exe;
	return s;
}

struct stepper {
	pthread_t th;
	struct proc_table *t;
	struct proc_worker *w;
	sem_t go, done;
	void (*fn)(struct proc_worker *w, void *arg);
	void *arg;
	int quit;
};

static void *stepper_main(void *a)
{
	struct stepper *s = a;

	s->w = proc_worker_register(s->t);
	sem_post(&s->done);
	for (;;) {
		sem_wait(&s->go);
		if (s->quit)
			break;
		s->fn(s->w, s->arg);
		sem_post(&s->done);
	}
	proc_worker_unregister(s->w);
	return NULL;
}

static inline void stepper_start(struct stepper *s, struct proc_table *t)
{
	memset(s, 0, sizeof(*s));
	s->t = t;
	sem_init(&s->go, 0, 0);
	sem_init(&s->done, 0, 0);
	pthread_create(&s->th, NULL, stepper_main, s);
	sem_wait(&s->done);
}

/* Run fn(worker, arg) on the stepper's thread and wait for it. */
static inline void step(struct stepper *s, void (*fn)(struct proc_worker *w, void *arg), void *arg)
{
	s->fn = fn;
	s->arg = arg;
	sem_post(&s->go);
	sem_wait(&s->done);
}

static inline void stepper_stop(struct stepper *s)
{
	s->quit = 1;
	sem_post(&s->go);
	pthread_join(s->th, NULL);
	sem_destroy(&s->go);
	sem_destroy(&s->done);
}

static inline void step_quiescent(struct proc_worker *w, void *arg)
{
	(void)arg;
	proc_worker_quiescent(w);
}

#endif /* PG_TESTS_STATE_UTIL_H */
