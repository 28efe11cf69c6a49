/*
 * test_stress.c - writers churn their partitions while readers walk the
 * others, then the books must balance.
 *
 * W writer threads each own the tids t with t % W == id and run a random mix
 * of clone / exec / exit / open / close / chdir / setuid, passing a quiescent
 * state every few operations and purging now and then. R reader threads look
 * up random tids of every partition, check the image they find is whole and
 * consistent (exe, args, comm and cwd all name the same tid and generation;
 * freed objects are poisoned, so a reader of freed memory fails the magic or
 * the consistency check, and ASan sees it too) and walk ancestries, which
 * must end within the bound. At the end every writer's own view of its live
 * tids must match the table, and the counters must add up.
 *
 * Sized for a few seconds; STRESS_OPS overrides the total operation count.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include "t.h"
#include "state_test_util.h"

#define NSLOTS	 4096 /* tids per writer */
#define MAX_W	 8
#define NFDS	 16
#define TID_BASE 1000

#if defined(__SANITIZE_THREAD__) || defined(__SANITIZE_ADDRESS__)
#define DEFAULT_OPS 2000000ull
#else
#define DEFAULT_OPS 2400000ull
#endif

struct slot {
	int alive;
	uint32_t gen;
	uint16_t fds; /* bit i: fd 3+i open */
};

struct writer {
	struct proc_table *t;
	pthread_t th;
	unsigned id, nw;
	uint64_t ops, rng;
	uint64_t lost_to_purge;
	unsigned live, wid;
	int err;
	char why[160];
	struct slot slot[NSLOTS];
};

struct reader {
	struct proc_table *t;
	pthread_t th;
	unsigned nw;
	uint64_t rng, reads, found, walks, max_depth, ancestors;
	int err;
	char why[160];
};

static uint64_t g_clock = 1;
static int g_stop;

static uint64_t rnd(uint64_t *s)
{
	uint64_t x = *s;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return *s = x;
}

static uint64_t tick(void)
{
	return __atomic_fetch_add(&g_clock, 1, __ATOMIC_RELAXED);
}

static uint64_t now_clock(void)
{
	return __atomic_load_n(&g_clock, __ATOMIC_RELAXED);
}

static uint64_t slot_tid(const struct writer *w, unsigned i)
{
	return TID_BASE + (uint64_t)i * w->nw + w->id;
}

/* Image strings name (tid, gen); readers check they agree. */
static int fill_spawn(struct proc_spawn *s, uint64_t tid, uint32_t gen, char *exe, char *args,
		      char *comm, char *cwd)
{
	int n;

	sprintf(exe, "/bin/e%" PRIu64 "-%u", tid, gen);
	n = sprintf(args, "a%c%" PRIu64 "%c%u", 0, tid, 0, gen);
	sprintf(comm, "c%u", gen % 100000000u);
	sprintf(cwd, "/cwd/%" PRIu64, tid);
	s->exe = exe;
	s->exepath = exe;
	s->args = args;
	s->args_len = (size_t)n + 1;
	s->comm = comm;
	s->cwd = cwd;
	return 0;
}

#define WFAIL(w, ...)                                                                            \
	do {                                                                                     \
		snprintf((w)->why, sizeof((w)->why), __VA_ARGS__);                               \
		(w)->err = 1;                                                                    \
		return;                                                                          \
	} while (0)

static void writer_op(struct writer *wr, struct proc_worker *w)
{
	unsigned i = (unsigned)(rnd(&wr->rng) % NSLOTS), op = (unsigned)(rnd(&wr->rng) % 100);
	struct slot *sl = &wr->slot[i];
	uint64_t tid = slot_tid(wr, i), ts = tick();
	char exe[64], args[64], comm[16], cwd[48];
	struct proc_thread *thr = NULL;
	struct proc_spawn s;
	int rc;

	if (sl->alive) {
		thr = proc_thread_lookup(w, tid);
		if (!thr) { /* purged as idle */
			sl->alive = 0;
			wr->live--;
			wr->lost_to_purge++;
		} else {
			proc_thread_touch(w, thr, ts);
		}
	}
	if (!sl->alive) {
		uint64_t ptid = TID_BASE + rnd(&wr->rng) % ((uint64_t)NSLOTS * wr->nw);

		memset(&s, 0, sizeof(s));
		s.tid = s.tgid = tid;
		s.ptid = ptid;
		s.ts = ts;
		sl->gen++;
		fill_spawn(&s, tid, sl->gen, exe, args, comm, cwd);
		rc = proc_thread_clone(w, &s, NULL);
		if (rc)
			WFAIL(wr, "clone %" PRIu64 ": %d", tid, rc);
		sl->alive = 1;
		sl->fds = 0;
		wr->live++;
		return;
	}
	if (op < 15) {
		memset(&s, 0, sizeof(s));
		s.tid = s.tgid = tid;
		s.ts = ts;
		sl->gen++;
		fill_spawn(&s, tid, sl->gen, exe, args, comm, cwd);
		rc = proc_thread_exec(w, &s, NULL);
		if (rc)
			WFAIL(wr, "exec %" PRIu64 ": %d", tid, rc);
	} else if (op < 35) {
		uint64_t reaper = rnd(&wr->rng) & 1 ? 1 : TID_BASE + rnd(&wr->rng) % NSLOTS;

		rc = proc_thread_exit(w, tid, reaper, ts);
		if (rc)
			WFAIL(wr, "exit %" PRIu64 ": %d", tid, rc);
		sl->alive = 0;
		wr->live--;
	} else if (op < 65) {
		unsigned f = (unsigned)(rnd(&wr->rng) % NFDS);
		struct proc_fd_info fi = {.fd = 3 + f, .type = PROC_FD_FILE, .name = "/var/log/x"};

		rc = proc_fd_add(w, thr, &fi);
		if (rc)
			WFAIL(wr, "fd_add: %d", rc);
		sl->fds |= (uint16_t)(1u << f);
	} else if (op < 90) {
		unsigned f = (unsigned)(rnd(&wr->rng) % NFDS);
		int want = sl->fds & (1u << f) ? 0 : -ENOENT;

		rc = proc_fd_remove(w, thr, 3 + f);
		if (rc != want)
			WFAIL(wr, "fd_remove %u: %d, expected %d", f, rc, want);
		sl->fds &= (uint16_t)~(1u << f);
		if ((unsigned)__builtin_popcount(sl->fds) != proc_fd_count(w, thr))
			WFAIL(wr, "fd count %u != %u", proc_fd_count(w, thr),
			      __builtin_popcount(sl->fds));
	} else if (op < 95) {
		sprintf(cwd, "/cwd/%" PRIu64, tid);
		rc = proc_set_cwd(w, thr, cwd);
		if (rc)
			WFAIL(wr, "chdir: %d", rc);
	} else if (op < 97) {
		/* the owner resolving its own parent settles re-parents */
		struct proc_process *anc[8];

		proc_process_ancestors(w, proc_thread_process(thr), anc, 8);
	} else {
		rc = proc_set_uids(w, thr, (uint32_t)tid, (uint32_t)tid);
		if (rc)
			WFAIL(wr, "setuid: %d", rc);
	}
}

static void *writer_main(void *arg)
{
	struct writer *wr = arg;
	struct proc_worker *w = proc_worker_register(wr->t);
	uint64_t n;

	wr->wid = proc_worker_id(w);
	for (n = 0; n < wr->ops && !wr->err; n++) {
		writer_op(wr, w);
		if ((n & 63) == 63)
			proc_worker_quiescent(w);
		if ((n & 4095) == 4095)
			proc_worker_purge(w, now_clock(), 64);
	}
	proc_worker_quiescent(w);
	proc_worker_unregister(w);
	return NULL;
}

#define RFAIL(r, ...)                                                                            \
	do {                                                                                     \
		snprintf((r)->why, sizeof((r)->why), __VA_ARGS__);                               \
		(r)->err = 1;                                                                    \
		return;                                                                          \
	} while (0)

/* An image must be live and name its own process's tid everywhere. */
static void check_image(struct reader *r, struct proc_process *p)
{
	const struct proc_image *img = proc_process_image(p);
	uint64_t tid = proc_process_tgid(p), t2;
	unsigned gen, gen2, gen3;
	const char *cwd = proc_process_cwd(p), *a;
	char expect[48];

	if (img->magic != PROC_IMAGE_MAGIC)
		RFAIL(r, "image magic %#x (freed?)", img->magic);
	if (sscanf(img->exe, "/bin/e%" SCNu64 "-%u", &t2, &gen) != 2 || t2 != tid)
		RFAIL(r, "exe \"%.40s\" for tid %" PRIu64, img->exe, tid);
	a = img->args;
	if (img->args_len < 6 || strcmp(a, "a"))
		RFAIL(r, "args of %" PRIu64, tid);
	a += 2;
	if (strtoull(a, NULL, 10) != tid)
		RFAIL(r, "args tid of %" PRIu64, tid);
	a += strlen(a) + 1;
	gen2 = (unsigned)strtoul(a, NULL, 10);
	if (sscanf(img->comm, "c%u", &gen3) != 1 || gen2 != gen || gen3 != gen % 100000000u)
		RFAIL(r, "torn image of %" PRIu64 ": exe gen %u args %u comm %s", tid, gen, gen2,
		      img->comm);
	sprintf(expect, "/cwd/%" PRIu64, tid);
	if (strcmp(cwd, expect))
		RFAIL(r, "cwd \"%.40s\" for %" PRIu64, cwd, tid);
	if (proc_process_uid(p) && proc_process_uid(p) != tid)
		RFAIL(r, "uid %u for %" PRIu64, proc_process_uid(p), tid);
}

static void *reader_main(void *arg)
{
	struct reader *r = arg;
	struct proc_worker *w = proc_worker_register(r->t);
	struct proc_process *anc[PROC_ANCESTORS_MAX];

	while (!__atomic_load_n(&g_stop, __ATOMIC_RELAXED) && !r->err) {
		uint64_t tid = TID_BASE + rnd(&r->rng) % ((uint64_t)NSLOTS * r->nw);
		struct proc_thread *thr = proc_thread_lookup(w, tid);
		struct proc_process *p;
		unsigned n, i;

		r->reads++;
		if ((r->reads & 31) == 0)
			proc_worker_quiescent(w);
		if (!thr)
			continue;
		p = proc_thread_process(thr);
		if (!p)
			continue; /* removed between lookup and here */
		r->found++;
		if (proc_thread_tid(thr) != tid || proc_process_tgid(p) != tid) {
			snprintf(r->why, sizeof(r->why), "lookup %" PRIu64 " gave %" PRIu64, tid,
				 proc_thread_tid(thr));
			r->err = 1;
			break;
		}
		check_image(r, p);
		if (r->err)
			break;
		n = proc_process_ancestors(w, p, anc, PROC_ANCESTORS_MAX);
		r->walks++;
		r->ancestors += n;
		if (n > r->max_depth)
			r->max_depth = n;
		for (i = 0; i < n && !r->err; i++)
			check_image(r, anc[i]);
	}
	proc_worker_unregister(w);
	return NULL;
}

static void run(const char *t_name, unsigned nw, unsigned nr, uint64_t total)
{
	struct proc_config cfg = {
		.max_workers = 32, .poison = 1, .purge_idle_ns = 150000, .tomb_ttl_ns = 200000};
	struct proc_table *t = proc_table_new(&cfg);
	static struct writer wr[MAX_W];
	struct reader rd[4];
	struct proc_stats st;
	struct proc_worker *w;
	uint64_t live = 0, ops = 0, reads = 0, walks = 0, anc = 0, depth = 0, lost = 0;
	unsigned i, j;

	T_CHECK(t != NULL);
	g_stop = 0;
	for (i = 0; i < nw; i++) {
		memset(&wr[i], 0, sizeof(wr[i]));
		wr[i] = (struct writer){.t = t, .id = i, .nw = nw, .ops = total / nw,
					.rng = 0x9e3779b97f4a7c15ull * (i + 1)};
	}
	for (i = 0; i < nr; i++)
		rd[i] = (struct reader){.t = t, .nw = nw, .rng = 0xdeadbeefcafef00dull * (i + 7)};
	for (i = 0; i < nr; i++)
		pthread_create(&rd[i].th, NULL, reader_main, &rd[i]);
	for (i = 0; i < nw; i++)
		pthread_create(&wr[i].th, NULL, writer_main, &wr[i]);
	for (i = 0; i < nw; i++)
		pthread_join(wr[i].th, NULL);
	__atomic_store_n(&g_stop, 1, __ATOMIC_RELAXED);
	for (i = 0; i < nr; i++)
		pthread_join(rd[i].th, NULL);

	for (i = 0; i < nw; i++) {
		if (wr[i].err)
			T_FAIL("writer %u: %s", i, wr[i].why);
		live += wr[i].live;
		ops += wr[i].ops;
		lost += wr[i].lost_to_purge;
	}
	for (i = 0; i < nr; i++) {
		if (rd[i].err)
			T_FAIL("reader %u: %s", i, rd[i].why);
		reads += rd[i].reads;
		walks += rd[i].walks;
		anc += rd[i].ancestors;
		if (rd[i].max_depth > depth)
			depth = rd[i].max_depth;
	}
	/* the books: every writer's own view matches the table (a tid the
	 * writer thinks alive may have been purged since it last looked) */
	w = proc_worker_register(t);
	for (i = 0; i < nw; i++) {
		for (j = 0; j < NSLOTS; j++) {
			uint64_t tid = slot_tid(&wr[i], j);
			struct proc_thread *thr = proc_thread_lookup(w, tid);
			char exe[64];

			if (!wr[i].slot[j].alive || !thr) {
				if (wr[i].slot[j].alive) {
					lost++;
					live--;
				}
				if (thr)
					break;
				continue;
			}
			if (proc_thread_owner(thr) != wr[i].wid)
				break;
			sprintf(exe, "/bin/e%" PRIu64 "-%u", tid, wr[i].slot[j].gen);
			if (strcmp(proc_process_image(proc_thread_process(thr))->exe, exe))
				break;
		}
		if (j < NSLOTS)
			break;
	}
	proc_worker_unregister(w);
	if (i < nw)
		T_FAIL("writer %u slot %u: table disagrees with the writer (alive %d gen %u)", i, j,
		       wr[i].slot[j].alive, wr[i].slot[j].gen);
	proc_table_stats(t, &st);
	T_EQ_INT(st.live_threads, live);
	T_EQ_INT(st.threads_created - st.threads_removed, live);
	T_EQ_INT(st.processes_created - st.processes_freed, live);
	T_EQ_INT(st.purged, lost);
	T_EQ_INT(st.table_full + st.alloc_failures + st.foreign_writes, 0);
	printf("# stress %u writers %u readers: %" PRIu64 " writer ops, %" PRIu64
	       " reads, %" PRIu64 " walks (avg depth %.2f, max %" PRIu64 "), live %" PRIu64
	       ", created %" PRIu64 ", execs %" PRIu64 ", exits %" PRIu64 ", purged %" PRIu64
	       ", tombs expired %" PRIu64 ", re-parents followed %" PRIu64 ", settled %" PRIu64
	       ", collisions %" PRIu64 "\n",
	       nw, nr, ops, reads, walks, walks ? (double)anc / (double)walks : 0.0, depth, live,
	       st.threads_created, st.execs, st.exits, st.purged, st.tombs_expired,
	       st.reparents_followed, st.reparents_settled, st.tid_collisions);
	proc_table_destroy(t);
}

static uint64_t total_ops(void)
{
	const char *e = getenv("STRESS_OPS");

	return e ? strtoull(e, NULL, 10) : DEFAULT_OPS;
}

T_TEST(t_stress_2w)
{
	run(t_name, 2, 2, total_ops() / 2);
}

T_TEST(t_stress_4w)
{
	run(t_name, 4, 2, total_ops() / 2);
}

int main(void)
{
	T_RUN(t_stress_2w);
	T_RUN(t_stress_4w);
	return T_DONE();
}
