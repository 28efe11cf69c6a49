/*
 * test_asof.c - reads AS OF an order key (state.h, "AS OF"), stepped in a
 * fixed order on two registered worker threads of a waiting table: worker B
 * owns the parent, worker A the child, and each step says at which key it
 * runs. What A sees of B's records must depend on A's key only, never on how
 * far B has got: the image before a later exec, a parent still alive until
 * its exit key, the reaper after it, a tid not yet created; a read waits
 * while B lags; kept versions and exited threads are reclaimed once every
 * worker has passed them.
 */
#include <errno.h>
#include <time.h>
#include <unistd.h>

#include "t.h"
#include "state_test_util.h"

static struct proc_table *new_waiting_table(void)
{
	struct proc_config cfg = {.max_workers = 8, .poison = 1, .wait_progress = 1};

	return proc_table_new(&cfg);
}

/* One step's input and output. */
struct st {
	uint64_t key;	   /* the step's order key (0: leave it) */
	uint64_t progress; /* published after the step (0: none) */
	uint64_t tid, tgid, ptid, reaper;
	const char *comm;
	int rc;
	char parent_comm[PROC_COMM_MAX]; /* "" when no parent */
	uint64_t parent_tgid;
	int found;
	char cwd[64];
};

static void st_key(struct proc_worker *w, struct st *a)
{
	if (a->key)
		proc_worker_set_key(w, a->key);
}

static void st_progress(struct proc_worker *w, struct st *a)
{
	if (a->progress)
		proc_worker_progress(w, a->progress);
}

static void do_clone(struct proc_worker *w, void *arg)
{
	struct st *a = arg;
	struct proc_spawn s = spawn_of(a->tid, a->tgid, a->ptid, a->key * 10, a->comm, a->comm);

	st_key(w, a);
	s.cwd = "/start/";
	a->rc = proc_thread_clone(w, &s, NULL);
	st_progress(w, a);
}

static void do_exec(struct proc_worker *w, void *arg)
{
	struct st *a = arg;
	struct proc_spawn s = spawn_of(a->tid, a->tgid, a->ptid, a->key * 10, a->comm, a->comm);

	st_key(w, a);
	a->rc = proc_thread_exec(w, &s, NULL);
	st_progress(w, a);
}

static void do_chdir(struct proc_worker *w, void *arg)
{
	struct st *a = arg;

	st_key(w, a);
	a->rc = proc_set_cwd(w, proc_thread_lookup(w, a->tid), a->comm);
	st_progress(w, a);
}

static void do_exit(struct proc_worker *w, void *arg)
{
	struct st *a = arg;

	st_key(w, a);
	a->rc = proc_thread_exit(w, a->tid, a->reaper, a->key * 10);
	st_progress(w, a);
}

/* What the child a->tid sees of its parent at a->key. */
static void do_read_parent(struct proc_worker *w, void *arg)
{
	struct st *a = arg;
	struct proc_thread *thr;
	struct proc_process *pp;

	st_key(w, a);
	a->parent_comm[0] = '\0';
	a->parent_tgid = 0;
	thr = proc_thread_lookup(w, a->tid);
	pp = thr ? proc_process_parent(w, proc_thread_process(thr)) : NULL;
	if (pp) {
		snprintf(a->parent_comm, sizeof(a->parent_comm), "%s",
			 proc_process_image(pp)->comm);
		snprintf(a->cwd, sizeof(a->cwd), "%s", proc_process_cwd(pp));
		a->parent_tgid = proc_process_tgid(pp);
	}
	st_progress(w, a);
}

static void do_lookup(struct proc_worker *w, void *arg)
{
	struct st *a = arg;

	st_key(w, a);
	a->found = proc_thread_lookup(w, a->tid) != NULL;
	st_progress(w, a);
}

/* init (1) and bash (200) on B, bash's child (300) on A. */
static void setup(struct stepper *a, struct stepper *b)
{
	struct st s;

	s = (struct st){.key = 1, .tid = 1, .tgid = 1, .comm = "systemd"};
	step(b, do_clone, &s);
	s = (struct st){.key = 2, .tid = 200, .tgid = 200, .ptid = 1, .comm = "bash",
			.progress = 3};
	step(b, do_clone, &s);
	s = (struct st){.key = 3, .tid = 300, .tgid = 300, .ptid = 200, .comm = "sleep",
			.progress = 4};
	step(a, do_clone, &s);
}

T_TEST(t_asof_parent_image_before_later_exec)
{
	struct proc_table *t = new_waiting_table();
	struct stepper a, b;
	struct st s;

	stepper_start(&a, t);
	stepper_start(&b, t);
	setup(&a, &b);
	/* B runs ahead: bash execs python at 6 and chdirs at 7 */
	s = (struct st){.key = 6, .tid = 200, .tgid = 200, .ptid = 1, .comm = "python"};
	step(&b, do_exec, &s);
	T_EQ_INT(s.rc, 0);
	s = (struct st){.key = 7, .tid = 200, .comm = "/later/", .progress = 10};
	step(&b, do_chdir, &s);
	T_EQ_INT(s.rc, 0);
	/* A at 5 sees the parent before both */
	s = (struct st){.key = 5, .tid = 300};
	step(&a, do_read_parent, &s);
	T_EQ_STR(s.parent_comm, "bash");
	T_EQ_STR(s.cwd, "/start/");
	/* at 7 after the exec, not yet the chdir (key 7 itself is B's) */
	s = (struct st){.key = 7, .tid = 300};
	step(&a, do_read_parent, &s);
	T_EQ_STR(s.parent_comm, "python");
	T_EQ_STR(s.cwd, "/start/");
	s = (struct st){.key = 9, .tid = 300};
	step(&a, do_read_parent, &s);
	T_EQ_STR(s.parent_comm, "python");
	T_EQ_STR(s.cwd, "/later/");
	stepper_stop(&a);
	stepper_stop(&b);
	proc_table_destroy(t);
}

T_TEST(t_asof_parent_exit_key)
{
	struct proc_table *t = new_waiting_table();
	struct proc_stats st;
	struct stepper a, b;
	struct st s;

	stepper_start(&a, t);
	stepper_start(&b, t);
	setup(&a, &b);
	/* bash exits at 10 (reaper init); B is past it, A is not */
	s = (struct st){.key = 10, .tid = 200, .reaper = 1, .progress = 13};
	step(&b, do_exit, &s);
	T_EQ_INT(s.rc, 0);
	step(&b, step_quiescent, NULL);
	/* A's progress (4) holds the exited thread back from its tomb */
	proc_table_stats(t, &st);
	T_EQ_INT(st.tombs, 0);
	s = (struct st){.key = 9, .tid = 300};
	step(&a, do_read_parent, &s);
	T_EQ_STR(s.parent_comm, "bash"); /* exits at 10 >= 9: still the parent */
	T_EQ_INT(s.parent_tgid, 200);
	s = (struct st){.key = 12, .tid = 300, .progress = 12};
	step(&a, do_read_parent, &s);
	T_EQ_STR(s.parent_comm, "systemd"); /* exited at 10 < 12: the reaper */
	T_EQ_INT(s.parent_tgid, 1);
	/* every worker is past 10 now: it becomes a tomb */
	step(&b, step_quiescent, NULL);
	proc_table_stats(t, &st);
	T_EQ_INT(st.tombs, 1);
	T_EQ_INT(st.threads_removed, 1);
	stepper_stop(&a);
	stepper_stop(&b);
	proc_table_destroy(t);
}

T_TEST(t_asof_one_worker_reparents_at_exit_key)
{
	/* the single-consumer case of diagnosis (b): the child sees the
	 * reaper from the event after the exit on, quiescent state or not */
	struct proc_table *t = new_waiting_table();
	struct proc_worker *w = proc_worker_register(t);
	struct proc_spawn s = spawn_of(1, 1, 0, 1, "systemd", "/sbin/init");
	struct proc_thread *child;
	struct proc_process *cp, *pp;

	proc_worker_set_key(w, 1);
	T_EQ_INT(proc_thread_clone(w, &s, NULL), 0);
	proc_worker_set_key(w, 2);
	s = spawn_of(1006, 1006, 1, 20, "sh", "sh");
	T_EQ_INT(proc_thread_clone(w, &s, NULL), 0);
	proc_worker_set_key(w, 3);
	s = spawn_of(1009, 1009, 1006, 30, "cat", "cat");
	T_EQ_INT(proc_thread_clone(w, &s, &child), 0);
	cp = proc_thread_process(child);
	proc_worker_set_key(w, 4);
	T_EQ_INT(proc_thread_exit(w, 1006, 1, 40), 0);
	pp = proc_process_parent(w, cp);
	T_CHECK(pp && proc_process_tgid(pp) == 1006); /* its own exit event */
	proc_worker_set_key(w, 5);
	pp = proc_process_parent(w, cp);
	T_CHECK(pp && proc_process_tgid(pp) == 1);
	proc_worker_unregister(w);
	proc_table_destroy(t);
}

T_TEST(t_asof_tid_created_later_is_invisible)
{
	struct proc_table *t = new_waiting_table();
	struct stepper a, b;
	struct st s;

	stepper_start(&a, t);
	stepper_start(&b, t);
	setup(&a, &b);
	s = (struct st){.key = 40, .tid = 400, .tgid = 400, .ptid = 1, .comm = "late",
			.progress = 41};
	step(&b, do_clone, &s);
	s = (struct st){.key = 35, .tid = 400};
	step(&a, do_lookup, &s);
	T_EQ_INT(s.found, 0);
	s = (struct st){.key = 41, .tid = 400};
	step(&a, do_lookup, &s);
	T_EQ_INT(s.found, 1);
	stepper_stop(&a);
	stepper_stop(&b);
	proc_table_destroy(t);
}

/* A read on A's thread that must wait for B; the test thread watches it. */
struct bg_read {
	struct stepper *a;
	struct st s;
	int done; /* atomic */
};

static void *bg_main(void *arg)
{
	struct bg_read *r = arg;

	step(r->a, do_read_parent, &r->s);
	__atomic_store_n(&r->done, 1, __ATOMIC_RELEASE);
	return NULL;
}

T_TEST(t_asof_read_waits_for_lagging_owner)
{
	struct proc_table *t = new_waiting_table();
	struct timespec ms20 = {0, 20 * 1000000L};
	struct stepper a, b;
	struct bg_read r;
	struct proc_stats st;
	pthread_t th;
	struct st s;

	stepper_start(&a, t);
	stepper_start(&b, t);
	setup(&a, &b); /* B's progress: 3 */
	r = (struct bg_read){.a = &a, .s = {.key = 20, .tid = 300}};
	pthread_create(&th, NULL, bg_main, &r);
	nanosleep(&ms20, NULL);
	T_EQ_INT(__atomic_load_n(&r.done, __ATOMIC_ACQUIRE), 0); /* B lags: A waits */
	/* B applies an exec at 15, then says it is past 20 */
	s = (struct st){.key = 15, .tid = 200, .tgid = 200, .ptid = 1, .comm = "vim",
			.progress = 21};
	step(&b, do_exec, &s);
	pthread_join(th, NULL);
	T_EQ_INT(r.done, 1);
	T_EQ_STR(r.s.parent_comm, "vim"); /* the exec before 20 is seen */
	proc_table_stats(t, &st);
	T_CHECK(st.progress_waits >= 1);
	T_CHECK(st.progress_wait_ns >= 10 * 1000000ull);
	stepper_stop(&a);
	stepper_stop(&b);
	proc_table_destroy(t);
}

T_TEST(t_asof_versions_reclaimed_after_every_worker)
{
	struct proc_table *t = new_waiting_table();
	struct proc_stats st;
	struct stepper a, b;
	struct st s;

	stepper_start(&a, t);
	stepper_start(&b, t);
	setup(&a, &b); /* A's progress 4 */
	s = (struct st){.key = 30, .tid = 200, .tgid = 200, .ptid = 1, .comm = "one"};
	step(&b, do_exec, &s);
	s = (struct st){.key = 31, .tid = 200, .tgid = 200, .ptid = 1, .comm = "two"};
	step(&b, do_exec, &s);
	s = (struct st){.key = 32, .tid = 200, .tgid = 200, .ptid = 1, .comm = "three",
			.progress = 50};
	step(&b, do_exec, &s);
	step(&b, step_quiescent, NULL);
	proc_table_stats(t, &st);
	T_CHECK(st.versions_kept >= 3);
	T_EQ_INT(st.versions_reclaimed, 0); /* A (at 4) may still ask for them */
	/* A at 31 sees "one" (made at 30); the older ones are still there */
	s = (struct st){.key = 31, .tid = 300, .progress = 31};
	step(&a, do_read_parent, &s);
	T_EQ_STR(s.parent_comm, "one");
	step(&b, step_quiescent, NULL);
	proc_table_stats(t, &st);
	/* the versions made at 30 and before are superseded below 31 */
	T_CHECK(st.versions_reclaimed >= 1);
	/* A still reads the right one (the freed ones are poisoned) */
	s = (struct st){.key = 32, .tid = 300};
	step(&a, do_read_parent, &s);
	T_EQ_STR(s.parent_comm, "two");
	s = (struct st){.key = 40, .tid = 300, .progress = 40};
	step(&a, do_read_parent, &s);
	T_EQ_STR(s.parent_comm, "three");
	step(&b, step_quiescent, NULL);
	proc_table_stats(t, &st);
	T_CHECK(st.versions_reclaimed >= 3);
	stepper_stop(&a);
	stepper_stop(&b);
	proc_table_destroy(t);
}

int main(void)
{
	T_RUN(t_asof_parent_image_before_later_exec);
	T_RUN(t_asof_parent_exit_key);
	T_RUN(t_asof_one_worker_reparents_at_exit_key);
	T_RUN(t_asof_tid_created_later_is_invisible);
	T_RUN(t_asof_read_waits_for_lagging_owner);
	T_RUN(t_asof_versions_reclaimed_after_every_worker);
	return T_DONE();
}
