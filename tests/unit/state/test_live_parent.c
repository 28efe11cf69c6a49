/*
 * test_live_parent.c - live mode (no AS OF waits): a parent that execs and
 * forks at once, on a worker that has not applied that exec yet, is seen by
 * its child's fields as it was at the fork (proc_process_parent_image: the
 * child's fork-time image), not with its stale image; once the parent's
 * worker catches up, or in replay (exact AS OF reads), the parent's own
 * image is the answer. Stepped on two worker threads: B owns the parent
 * (200), A the child (300).
 */
#include <string.h>

#include "t.h"
#include "state_test_util.h"

struct arg {
	uint64_t key;
	const char *comm; /* the parent's name as the child's fields see it */
	int rc;
};

/* B: the parent 200, started as "sh" at key 10. */
static void do_parent_sh(struct proc_worker *w, void *a_)
{
	struct arg *a = a_;
	struct proc_spawn s = spawn_of(200, 200, 1, 10, "sh", "/bin/sh");

	proc_worker_set_key(w, a->key);
	a->rc = proc_thread_clone(w, &s, NULL);
}

/* B: the parent's exec into pg_behave (which its ring had at key 15). */
static void do_parent_exec(struct proc_worker *w, void *a_)
{
	struct arg *a = a_;
	struct proc_spawn s = spawn_of(200, 200, 1, 15, "pg_behave", "/x/pg_behave");

	proc_worker_set_key(w, a->key);
	a->rc = proc_thread_exec(w, &s, NULL);
}

/* A: the child 300, forked at key 20 (with the parent's image of then:
 * pg_behave), exec'd into sh at key 21; then what proc.pname reads. */
static void do_child(struct proc_worker *w, void *a_)
{
	struct arg *a = a_;
	struct proc_spawn f = spawn_of(300, 300, 200, 20, "pg_behave", "/x/pg_behave");
	struct proc_spawn x = spawn_of(300, 300, 200, 21, "sh", "/bin/sh");

	proc_worker_set_key(w, 20);
	a->rc = proc_thread_clone(w, &f, NULL);
	proc_worker_set_key(w, 21);
	if (!a->rc)
		a->rc = proc_thread_exec(w, &x, NULL);
}

struct pn {
	const char *seen;  /* proc_process_parent_image(child, parent)->comm */
	const char *stale; /* proc_process_image(parent)->comm */
};

static void do_pname(struct proc_worker *w, void *a_)
{
	static __thread char seen[64], stale[64];
	struct pn *a = a_;
	struct proc_thread *c = proc_thread_lookup(w, 300);
	struct proc_process *cp = c ? proc_thread_process(c) : NULL;
	struct proc_process *pp = cp ? proc_process_parent(w, cp) : NULL;

	snprintf(seen, sizeof(seen), "%s", pp ? proc_process_parent_image(cp, pp)->comm : "");
	snprintf(stale, sizeof(stale), "%s", pp ? proc_process_image(pp)->comm : "");
	a->seen = seen;
	a->stale = stale;
}

T_TEST(live_parent_lagging_exec)
{
	struct proc_config cfg = {.max_workers = 4, .poison = 1}; /* live: no waits */
	struct proc_table *t = proc_table_new(&cfg);
	struct stepper a, b;
	struct arg x = {.key = 10};
	struct pn n;

	proc_table_set_procfs(t, "/proc"); /* a live table */
	stepper_start(&a, t);
	stepper_start(&b, t);
	step(&b, do_parent_sh, &x);
	T_EQ_INT(x.rc, 0);
	step(&a, do_child, &x);
	T_EQ_INT(x.rc, 0);
	/* B has not applied the exec yet: its record still says sh, the
	 * child's fields see the parent as forked: pg_behave */
	step(&a, do_pname, &n);
	T_EQ_STR(n.stale, "sh");
	T_EQ_STR(n.seen, "pg_behave");
	/* B catches up: the parent's own image answers */
	x.key = 15;
	step(&b, do_parent_exec, &x);
	T_EQ_INT(x.rc, 0);
	step(&a, do_pname, &n);
	T_EQ_STR(n.stale, "pg_behave");
	T_EQ_STR(n.seen, "pg_behave");
	/* the child's fork image reclaimed (a quiescent flush): nothing to
	 * offer any more, the parent's image answers */
	step(&a, step_quiescent, NULL);
	step(&a, do_pname, &n);
	T_EQ_STR(n.seen, "pg_behave");
	stepper_stop(&a);
	stepper_stop(&b);
	proc_table_destroy(t);
}

int main(void)
{
	T_RUN(live_parent_lagging_exec);
	return T_DONE();
}
