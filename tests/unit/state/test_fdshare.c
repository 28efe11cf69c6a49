/*
 * test_fdshare.c - fork across partitions (state.h, "Fork across
 * partitions"; src/state/fdshare.c): a clone child whose parent's process
 * another worker owns gets the parent's fds as they stood at the
 * child-side clone exit's key, the same fds one worker gives it. Stepped
 * on two registered threads of a waiting table: worker B owns the parent
 * (bash, 200), worker A the child (300). Each case fixes the order in
 * which the two workers run: parent-side clone exit first, child side
 * first, the child's owner ahead of (and waiting for) the parent's, the
 * parent exiting and closing fds right after the fork, an unknown parent;
 * then the snapshots are reclaimed once both workers have passed them.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <time.h>

#include "t.h"
#include "test_update_evb.h"
#include "state_test_util.h"

static __thread struct evb B; /* per stepper thread: A and B may build events at once */

/* The clone exit of tid (res 0: the child's side; res > 0: the parent's). */
static const struct evt *ev_clone(uint64_t tid, int64_t res, uint64_t pid, uint64_t ptid,
				  uint32_t flags)
{
	return evb_clone_x(&B, tid, res, pid, ptid, "bash", "bash", "bash\0", 5, "/", flags, 0,
			   1000000 + tid);
}

/* One step: its key, what it does, what it saw. */
struct st {
	uint64_t key;
	uint64_t progress; /* published after the step (0: none) */
	uint64_t tid, ptid;
	int rc;
	char fd3[64], fd4[64]; /* the child's fds 3 and 4 ("" = none) */
	unsigned nfds;
};

static void st_begin(struct proc_worker *w, struct st *a)
{
	if (a->key)
		proc_worker_set_key(w, a->key);
}

static void st_end(struct proc_worker *w, struct st *a)
{
	if (a->progress)
		proc_worker_progress(w, a->progress);
}

/* B: bash (200, parent unknown) with fds 3 (a log) and 4 (a socket name). */
static void do_parent(struct proc_worker *w, void *arg)
{
	struct st *a = arg;
	struct proc_spawn s = spawn_of(200, 200, 0, 10, "bash", "/bin/bash");
	struct proc_fd_info f3 = {
		.fd = 3, .type = PROC_FD_FILE, .flags = O_WRONLY, .name = "/var/log/app.log"};
	struct proc_fd_info f4 = {.fd = 4,
				  .type = PROC_FD_FILE,
				  .flags = O_RDONLY | O_CLOEXEC,
				  .name = "/etc/passwd"};
	struct proc_thread *thr = NULL;

	st_begin(w, a);
	a->rc = proc_thread_clone(w, &s, &thr);
	if (!a->rc)
		a->rc = proc_fd_add(w, thr, &f3);
	if (!a->rc)
		a->rc = proc_fd_add(w, thr, &f4);
	st_end(w, a);
}

/* The clone exit on its owner (apply) or on the parent's owner (foreign). */
static void do_clone_side(struct proc_worker *w, void *arg, int64_t res, int foreign)
{
	struct st *a = arg;
	const struct evt *ev = ev_clone(a->tid, res, res ? a->tid : a->tid, a->ptid, 0);
	struct proc_evt_ref ref;

	st_begin(w, a);
	if (foreign) {
		a->rc = proc_event_foreign(w, ev);
	} else {
		a->rc = proc_event_apply(w, ev, 0, &ref);
		proc_event_done(w, &ref);
	}
	st_end(w, a);
}

static void do_child_apply(struct proc_worker *w, void *arg)
{
	do_clone_side(w, arg, 0, 0);
}

static void do_child_foreign(struct proc_worker *w, void *arg)
{
	do_clone_side(w, arg, 0, 1);
}

/* The parent side: tid = the parent, res = the child. */
static void do_parent_side(struct proc_worker *w, void *arg)
{
	struct st *a = arg;
	const struct evt *ev = ev_clone(a->tid, (int64_t)a->ptid, a->tid, 1, 0);
	struct proc_evt_ref ref;

	st_begin(w, a);
	a->rc = proc_event_apply(w, ev, 0, &ref);
	proc_event_done(w, &ref);
	st_end(w, a);
}

/* B after the fork: bash closes fd 3 and exits. */
static void do_parent_close_exit(struct proc_worker *w, void *arg)
{
	struct st *a = arg;

	st_begin(w, a);
	a->rc = proc_fd_remove(w, proc_thread_lookup(w, 200), 3);
	if (!a->rc)
		a->rc = proc_thread_exit(w, 200, 1, 99);
	st_end(w, a);
}

/* A: what the child (a->tid) has. */
static void do_child_fds(struct proc_worker *w, void *arg)
{
	struct st *a = arg;
	struct proc_thread *thr = proc_thread_lookup(w, a->tid);
	const struct proc_fd *f;

	a->fd3[0] = a->fd4[0] = '\0';
	a->nfds = thr ? proc_fd_count(w, thr) : 0;
	if (thr && (f = proc_fd_get(w, thr, 3)))
		snprintf(a->fd3, sizeof(a->fd3), "%s", f->name);
	if (thr && (f = proc_fd_get(w, thr, 4)))
		snprintf(a->fd4, sizeof(a->fd4), "%s", f->name);
}

static void do_progress(struct proc_worker *w, void *arg)
{
	struct st *a = arg;

	proc_worker_progress(w, a->progress);
	proc_worker_quiescent(w);
}

/* Run a step on s's thread without waiting for it (it may block). */
static void step_async(struct stepper *s, void (*fn)(struct proc_worker *w, void *arg), void *arg)
{
	s->fn = fn;
	s->arg = arg;
	sem_post(&s->go);
}

/* Whether the async step finished within ms (then it was collected). */
static int step_done_within(struct stepper *s, unsigned ms)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_nsec += (long)(ms % 1000) * 1000000L;
	ts.tv_sec += ms / 1000 + ts.tv_nsec / 1000000000L;
	ts.tv_nsec %= 1000000000L;
	return sem_timedwait(&s->done, &ts) == 0;
}

struct pair {
	struct proc_table *t;
	struct stepper a, b; /* a: worker 0 (the child's), b: worker 1 (the parent's) */
};

static void pair_start(struct pair *p)
{
	struct proc_config cfg = {.max_workers = 8, .poison = 1, .wait_progress = 1};

	p->t = proc_table_new(&cfg);
	stepper_start(&p->a, p->t);
	stepper_start(&p->b, p->t);
}

static void pair_stop(struct pair *p)
{
	stepper_stop(&p->a);
	stepper_stop(&p->b);
	proc_table_destroy(p->t);
}

/* B has made bash and its fds at key 1. */
static void setup_parent(const char *t_name, struct pair *p)
{
	struct st s = {.key = 1, .progress = 2};

	step(&p->b, do_parent, &s);
	T_EQ_INT(s.rc, 0);
}

static void check_child(const char *t_name, struct stepper *a, const char *fd3, const char *fd4,
			unsigned n)
{
	struct st s = {.tid = 300};

	step(a, do_child_fds, &s);
	T_EQ_STR(s.fd3, fd3);
	T_EQ_STR(s.fd4, fd4);
	T_EQ_INT(s.nfds, n);
}

/* Parent side (key 2) then child side (key 3), B well ahead of A: B has
 * already closed fd 3 and exited at key 4 when A applies key 3. */
T_TEST(t_fdshare_parent_first_parent_gone)
{
	struct pair p;
	struct st s;
	struct proc_stats ps;
	struct proc_upd_stats us;

	pair_start(&p);
	setup_parent(t_name, &p);
	s = (struct st){.key = 2, .tid = 200, .ptid = 300};
	step(&p.b, do_parent_side, &s);
	T_EQ_INT(s.rc, 0);
	s = (struct st){.key = 3, .tid = 300, .ptid = 200};
	step(&p.b, do_child_foreign, &s);
	T_EQ_INT(s.rc, 0);
	s = (struct st){.key = 4, .progress = 5};
	step(&p.b, do_parent_close_exit, &s);
	T_EQ_INT(s.rc, 0);
	step(&p.b, step_quiescent, NULL);
	/* A: the child's side at key 3 sees bash's fds as of key 3 */
	s = (struct st){.key = 3, .tid = 300, .ptid = 200};
	step(&p.a, do_child_apply, &s);
	T_EQ_INT(s.rc, 0);
	check_child(t_name, &p.a, "/var/log/app.log", "/etc/passwd", 2);
	proc_table_stats(p.t, &ps);
	proc_upd_stats(p.t, &us);
	T_EQ_INT((long long)ps.fork_snapshots, 1);
	T_EQ_INT((long long)ps.fork_snapshot_fds, 2);
	T_EQ_INT((long long)us.fds_inherited_remote, 1);
	T_EQ_INT((long long)us.fds_not_inherited, 0);
	/* reclaimed only once both have passed key 3 */
	T_EQ_INT((long long)ps.fork_snapshots_freed, 0);
	s = (struct st){.progress = 6};
	step(&p.a, do_progress, &s);
	step(&p.b, do_progress, &s);
	proc_table_stats(p.t, &ps);
	T_EQ_INT((long long)ps.fork_snapshots_freed, 1);
	pair_stop(&p);
}

/* Child side (key 2) before the parent side (key 3), as with vfork; A is
 * ahead. It waits for bash's creation (the parent lookup), not for the
 * snapshot: that wait comes when the child first uses an inherited fd. */
T_TEST(t_fdshare_child_first_owner_waits)
{
	struct pair p;
	struct st sa, sb;

	pair_start(&p);
	sa = (struct st){.key = 2, .tid = 300, .ptid = 200};
	step_async(&p.a, do_child_apply, &sa);
	/* B has applied nothing yet: A waits for bash's creation */
	T_CHECK(!step_done_within(&p.a, 50));
	setup_parent(t_name, &p);
	T_CHECK(step_done_within(&p.a, 5000));
	T_EQ_INT(sa.rc, 0);
	/* the child's fds: a lookup that misses waits for the snapshot */
	sa = (struct st){.tid = 300};
	step_async(&p.a, do_child_fds, &sa);
	T_CHECK(!step_done_within(&p.a, 50));
	sb = (struct st){.key = 2, .tid = 300, .ptid = 200};
	step(&p.b, do_child_foreign, &sb);
	T_EQ_INT(sb.rc, 0);
	T_CHECK(step_done_within(&p.a, 5000));
	T_EQ_STR(sa.fd3, "/var/log/app.log");
	T_EQ_STR(sa.fd4, "/etc/passwd");
	T_EQ_INT(sa.nfds, 2);
	sb = (struct st){.key = 3, .tid = 200, .ptid = 300, .progress = 4};
	step(&p.b, do_parent_side, &sb);
	T_EQ_INT(sb.rc, 0);
	check_child(t_name, &p.a, "/var/log/app.log", "/etc/passwd", 2);
	pair_stop(&p);
}

/* A (the child's owner): the child opens fd 5 and 4 (its own 4 hides the
 * inherited one), closes its 4, then execs: none of that needs the
 * inherited fds, so nothing waits for B; the first miss copies them in
 * under the child's own: 3 (not close-on-exec) comes back, 4 stays closed
 * (the child closed it; it was close-on-exec too), 5 is the child's. */
static void do_child_own_fds(struct proc_worker *w, void *arg)
{
	struct st *a = arg;
	struct proc_thread *thr = proc_thread_lookup(w, 300), *out = NULL;
	struct proc_fd_info f5 = {.fd = 5, .type = PROC_FD_FILE, .name = "/tmp/own5"};
	struct proc_fd_info f4 = {.fd = 4, .type = PROC_FD_FILE, .name = "/tmp/own4"};
	struct proc_spawn s = spawn_of(300, 300, 200, 20, "cat", "/bin/cat");

	st_begin(w, a);
	a->rc = thr ? 0 : -ENOENT;
	if (!a->rc)
		a->rc = proc_fd_add(w, thr, &f5);
	if (!a->rc)
		a->rc = proc_fd_add(w, thr, &f4);
	if (!a->rc)
		a->rc = proc_fd_remove(w, thr, 4);
	if (!a->rc)
		a->rc = proc_thread_exec(w, &s, &out);
	st_end(w, a);
}

T_TEST(t_fdshare_lazy_under_own_fds)
{
	struct pair p;
	struct st sa, sb;
	struct proc_upd_stats us;

	pair_start(&p);
	setup_parent(t_name, &p);
	sa = (struct st){.key = 2, .tid = 300, .ptid = 200};
	step(&p.a, do_child_apply, &sa);
	T_EQ_INT(sa.rc, 0);
	/* B has not reached key 2: the child's own work goes on */
	sa = (struct st){.key = 3};
	step_async(&p.a, do_child_own_fds, &sa);
	T_CHECK(step_done_within(&p.a, 5000));
	T_EQ_INT(sa.rc, 0);
	sb = (struct st){.key = 2, .tid = 300, .ptid = 200, .progress = 3};
	step(&p.b, do_child_foreign, &sb);
	/* B changes bash's fds after the fork: the child does not see it */
	sb = (struct st){.key = 4, .progress = 5};
	step(&p.b, do_parent_close_exit, &sb);
	check_child(t_name, &p.a, "/var/log/app.log", "", 2);
	proc_upd_stats(p.t, &us);
	T_EQ_INT((long long)us.fds_inherited_remote, 1);
	pair_stop(&p);
}

/* The parent exited before the child's side (key 2 < 3): no parent at
 * key 3 for either worker, so no snapshot and no fds -- as one worker. */
T_TEST(t_fdshare_parent_dead_before_fork_seen)
{
	struct pair p;
	struct st s;
	struct proc_stats ps;

	pair_start(&p);
	setup_parent(t_name, &p);
	s = (struct st){.key = 2, .progress = 3};
	step(&p.b, do_parent_close_exit, &s);
	s = (struct st){.key = 3, .tid = 300, .ptid = 200, .progress = 4};
	step(&p.b, do_child_foreign, &s);
	s = (struct st){.key = 3, .tid = 300, .ptid = 200};
	step(&p.a, do_child_apply, &s);
	check_child(t_name, &p.a, "", "", 0);
	proc_table_stats(p.t, &ps);
	T_EQ_INT((long long)ps.fork_snapshots, 0);
	pair_stop(&p);
}

/* An unknown parent: nobody publishes, the child's owner does not hang. */
T_TEST(t_fdshare_unknown_parent)
{
	struct pair p;
	struct st s;

	pair_start(&p);
	setup_parent(t_name, &p);
	s = (struct st){.key = 2, .tid = 300, .ptid = 777, .progress = 3};
	step(&p.b, do_child_foreign, &s);
	s = (struct st){.key = 2, .tid = 300, .ptid = 777};
	step(&p.a, do_child_apply, &s);
	T_EQ_INT(s.rc, 0);
	check_child(t_name, &p.a, "", "", 0);
	pair_stop(&p);
}

/* The same fork on one worker: the same fds (the reference). */
T_TEST(t_fdshare_one_worker_same)
{
	struct proc_config cfg = {.max_workers = 8, .poison = 1, .wait_progress = 1};
	struct proc_table *t = proc_table_new(&cfg);
	struct stepper b;
	struct st s;
	struct proc_stats ps;

	stepper_start(&b, t);
	s = (struct st){.key = 1};
	step(&b, do_parent, &s);
	s = (struct st){.key = 2, .tid = 300, .ptid = 200};
	step(&b, do_child_apply, &s);
	T_EQ_INT(s.rc, 0);
	s = (struct st){.key = 3};
	step(&b, do_parent_close_exit, &s);
	check_child(t_name, &b, "/var/log/app.log", "/etc/passwd", 2);
	proc_table_stats(t, &ps);
	T_EQ_INT((long long)ps.fork_snapshots, 0); /* same owner: copied directly */
	stepper_stop(&b);
	proc_table_destroy(t);
}

int main(void)
{
	T_RUN(t_fdshare_parent_first_parent_gone);
	T_RUN(t_fdshare_child_first_owner_waits);
	T_RUN(t_fdshare_lazy_under_own_fds);
	T_RUN(t_fdshare_parent_dead_before_fork_seen);
	T_RUN(t_fdshare_unknown_parent);
	T_RUN(t_fdshare_one_worker_same);
	return T_DONE();
}
