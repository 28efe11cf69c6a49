/*
 * test_replica.c - threads of one process on two workers (tid partitions;
 * table.c "Replicas", update.c proc_event_apply_held). Stepped on two
 * registered threads of a waiting table: worker B owns bash's leader
 * (200), worker A its threads 201 and 202. A's threads get a replica of
 * the group, made at the first thread's clone from bash as of that key
 * with bash's fds from B's snapshot; then each worker applies the other's
 * fd changes of the group to its own record, so both records hold the
 * same fds at every key, which is what one worker's single record holds.
 * An exec of the group ends A's replica; an event of a thread that is not
 * the group's (one the exec ended) changes nothing.
 */
#include <fcntl.h>

#include "t.h"
#include "test_update_evb.h"
#include "state_test_util.h"

#define PPM_CL_CLONE_THREAD 0x2000u /* libs' clone flag (ppm_events_public.h) */

static __thread struct evb B; /* per stepper thread */

/* The child side of a thread clone of bash: tid joins group 200. */
static const struct evt *ev_thread_clone(uint64_t tid)
{
	return evb_clone_x(&B, tid, 0, 200, 100, "bash-worker", "bash-worker", "bash\0", 5, "/",
			   PPM_CL_CLONE_THREAD, 0, 1000000 + tid);
}

static const struct evt *ev_openat(uint64_t tid, int64_t fd, const char *name)
{
	evb_begin(&B);
	evb_u64(&B, (uint64_t)fd);
	evb_u64(&B, (uint64_t)-100); /* AT_FDCWD */
	evb_str(&B, name);
	evb_u32(&B, 0);
	return evb_end(&B, EVT_SYSCALL_OPENAT_2_X, tid, 2000000 + (uint64_t)fd);
}

static const struct evt *ev_close(uint64_t tid, int64_t fd)
{
	evb_begin(&B);
	evb_u64(&B, 0);
	evb_u64(&B, (uint64_t)fd);
	return evb_end(&B, EVT_SYSCALL_CLOSE_X, tid, 3000000 + (uint64_t)fd);
}

/* An execve exit of the group's leader (only res matters here). */
static const struct evt *ev_exec_ok(void)
{
	evb_begin(&B);
	evb_u64(&B, 0);
	return evb_end(&B, EVT_SYSCALL_EXECVE_19_X, 200, 4000000);
}

enum how { APPLY, HELD, FOREIGN };

/* One step: at key, the event made by mk(tid, a1, s1), applied as how. */
struct st {
	uint64_t key;
	enum how how;
	int kind; /* 0 thread clone, 1 open, 2 close, 3 exec */
	uint64_t tid;
	int64_t fd;
	const char *name;
	int rc;
};

static void do_step(struct proc_worker *w, void *arg)
{
	struct st *a = arg;
	const struct evt *ev = a->kind == 0   ? ev_thread_clone(a->tid)
			       : a->kind == 1 ? ev_openat(a->tid, a->fd, a->name)
			       : a->kind == 2 ? ev_close(a->tid, a->fd)
					      : ev_exec_ok();
	struct proc_evt_ref ref;

	proc_worker_set_key(w, a->key);
	if (a->how == FOREIGN) {
		a->rc = proc_event_foreign(w, ev);
	} else {
		a->rc = a->how == HELD ? proc_event_apply_held(w, ev, 200, &ref)
				       : proc_event_apply(w, ev, 0, &ref);
		proc_event_done(w, &ref);
	}
	/* everything of ours below key + 1 is applied */
	proc_worker_progress(w, a->key + 1);
}

/* B at key 1: bash (200) with fd 3. */
static void do_bash(struct proc_worker *w, void *arg)
{
	struct proc_spawn s = spawn_of(200, 200, 0, 10, "bash", "/bin/bash");
	struct proc_fd_info f3 = {
		.fd = 3, .type = PROC_FD_FILE, .flags = O_WRONLY, .name = "/var/log/app.log"};
	struct proc_thread *thr = NULL;
	int *rc = arg;

	proc_worker_set_key(w, 1);
	*rc = proc_thread_clone(w, &s, &thr);
	if (!*rc)
		*rc = proc_fd_add(w, thr, &f3);
	proc_worker_progress(w, 2);
}

/* What a worker's record of the group holds, seen through thread tid. */
struct view {
	uint64_t tid;
	int found, holds;
	uint64_t tgid;
	char exe[32], fd3[32], fd5[32], fd6[32];
	unsigned nfds;
};

static void fd_name(struct proc_worker *w, struct proc_thread *thr, int64_t fd, char *out,
		    size_t n)
{
	const struct proc_fd *f = proc_fd_get(w, thr, fd);

	snprintf(out, n, "%s", f ? f->name : "");
}

static void do_view(struct proc_worker *w, void *arg)
{
	struct view *v = arg;
	struct proc_thread *thr = proc_thread_lookup(w, v->tid);
	struct proc_process *p = thr ? proc_thread_process(thr) : NULL;

	v->found = p != NULL;
	v->holds = proc_worker_holds(w, 200);
	if (!p)
		return;
	v->tgid = proc_process_tgid(p);
	snprintf(v->exe, sizeof(v->exe), "%s", proc_process_image(p)->exe);
	fd_name(w, thr, 3, v->fd3, sizeof(v->fd3));
	fd_name(w, thr, 5, v->fd5, sizeof(v->fd5));
	fd_name(w, thr, 6, v->fd6, sizeof(v->fd6));
	v->nfds = proc_fd_count(w, thr);
}

static void do_quiesce(struct proc_worker *w, void *arg)
{
	proc_worker_progress(w, *(uint64_t *)arg);
	proc_worker_quiescent(w);
}

struct pair {
	struct proc_table *t;
	struct stepper a, b; /* a: worker 0 (threads 201, 202), b: worker 1 (bash 200) */
};

static void run(struct stepper *s, uint64_t key, enum how how, int kind, uint64_t tid, int64_t fd,
		const char *name, const char *t_name)
{
	struct st st = {.key = key, .how = how, .kind = kind, .tid = tid, .fd = fd, .name = name};

	step(s, do_step, &st);
	T_EQ_INT(st.rc, 0);
}

static void check(struct stepper *s, uint64_t tid, const char *fd3, const char *fd5,
		  const char *fd6, unsigned n, const char *t_name)
{
	struct view v = {.tid = tid};

	step(s, do_view, &v);
	T_CHECK(v.found);
	T_CHECK(v.holds);
	T_EQ_INT((long long)v.tgid, 200);
	T_EQ_STR(v.exe, "/bin/bash");
	T_EQ_STR(v.fd3, fd3);
	T_EQ_STR(v.fd5, fd5);
	T_EQ_STR(v.fd6, fd6);
	T_EQ_INT(v.nfds, n);
}

T_TEST(t_replica_follows_group)
{
	struct proc_config cfg = {.max_workers = 8, .poison = 1, .wait_progress = 1};
	struct pair p;
	struct proc_stats ps;
	struct proc_upd_stats us;
	struct view v = {.tid = 201};
	uint64_t all = 20;
	int rc = -1;

	p.t = proc_table_new(&cfg);
	T_CHECK(p.t != NULL);
	stepper_start(&p.a, p.t);
	stepper_start(&p.b, p.t);
	step(&p.b, do_bash, &rc);
	T_EQ_INT(rc, 0);

	/* key 3: thread 201 (A's): B publishes bash's fds, A makes a replica */
	run(&p.b, 3, FOREIGN, 0, 201, 0, NULL, t_name);
	run(&p.a, 3, APPLY, 0, 201, 0, NULL, t_name);
	/* key 4: bash opens fd 5; key 5: thread 201 opens fd 6; key 6: 201
	 * closes fd 3. Each worker applies its own thread's and the other's. */
	run(&p.b, 4, APPLY, 1, 200, 5, "/tmp/by-leader", t_name);
	run(&p.a, 4, HELD, 1, 200, 5, "/tmp/by-leader", t_name);
	run(&p.a, 5, APPLY, 1, 201, 6, "/tmp/by-thread", t_name);
	run(&p.b, 5, HELD, 1, 201, 6, "/tmp/by-thread", t_name);
	run(&p.a, 6, APPLY, 2, 201, 3, NULL, t_name);
	run(&p.b, 6, HELD, 2, 201, 3, NULL, t_name);
	/* both records: fds 5 and 6, 3 closed; the replica has bash's image */
	check(&p.a, 201, "", "/tmp/by-leader", "/tmp/by-thread", 2, t_name);
	check(&p.b, 200, "", "/tmp/by-leader", "/tmp/by-thread", 2, t_name);

	/* key 7: thread 202 joins A's replica (B's snapshot goes unused) */
	run(&p.b, 7, FOREIGN, 0, 202, 0, NULL, t_name);
	run(&p.a, 7, APPLY, 0, 202, 0, NULL, t_name);
	check(&p.a, 202, "", "/tmp/by-leader", "/tmp/by-thread", 2, t_name);

	/* key 8: an event of a tid that is not the group's changes nothing */
	run(&p.a, 8, HELD, 1, 999, 7, "/tmp/not-ours", t_name);
	check(&p.a, 201, "", "/tmp/by-leader", "/tmp/by-thread", 2, t_name);

	/* key 9: bash execs: A's threads end with its replica */
	run(&p.b, 9, HELD, 3, 200, 0, NULL, t_name); /* B: no replica, nothing */
	run(&p.a, 9, HELD, 3, 200, 0, NULL, t_name);
	step(&p.a, do_view, &v);
	T_CHECK(!v.holds);

	step(&p.a, do_quiesce, &all);
	step(&p.b, do_quiesce, &all);
	step(&p.a, do_quiesce, &all);
	step(&p.b, do_quiesce, &all);
	proc_table_stats(p.t, &ps);
	proc_upd_stats(p.t, &us);
	T_EQ_INT((long long)ps.replicas, 1);
	T_EQ_INT((long long)ps.replica_joins, 1);
	T_EQ_INT((long long)ps.fork_snapshots, 2);
	T_EQ_INT((long long)ps.fork_snapshots_freed, 2); /* taken, and discarded */
	T_EQ_INT((long long)us.fds_inherited_remote, 1);
	T_EQ_INT((long long)us.held_events, 3);
	T_EQ_INT((long long)us.ev_foreign, 0);
	stepper_stop(&p.a);
	stepper_stop(&p.b);
	proc_table_destroy(p.t);
}

int main(void)
{
	T_RUN(t_replica_follows_group);
	return T_DONE();
}
