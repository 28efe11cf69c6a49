/*
 * bench_state.c - how fast other partitions can read the thread table, and
 * what the lock-free design buys over the obvious alternative.
 *
 * A table of 100k threads (a 4-ary process tree, so ancestries are ~8 deep)
 * is read by 1 or 2 reader threads doing random tid lookups over all 100k
 * tids ("uniform": DRAM-bound) or over a 1000-tid working set ("hot1k":
 * cache-resident, what a skewed event stream sees) (lookup, then
 * the process and its comm) or full ancestor walks, alone or while a writer
 * churns clone/exec/exit in its own partition. The baseline is the same
 * table behind one global pthread rwlock (readers take it shared per
 * lookup, the writer exclusive per operation), measured in the same run.
 * Prints ns per operation per reader and the ratios the design targets.
 *
 *   build/bench/bench_state [seconds-per-case]   (default 0.3)
 */
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "state/state.h"

#include "bench_util.h"

#define NTHREADS  100000u
#define TID_BASE  1000u
#define CHURN_BASE 400000u
#define CHURN_N	  8192u
#define SEQ_N	  65536u /* power of two */

enum { OP_LOOKUP, OP_WALK };
enum { MODE_RCU, MODE_RWLOCK };

struct bench {
	struct proc_table *t;
	pthread_rwlock_t lock;
	int mode, op;
	int hot; /* 0: uniform over all 100k tids; 1: a 1% working set (cache-resident) */
	int stop;
	double secs;
};

struct rd {
	struct bench *b;
	pthread_t th;
	uint64_t ops, sink;
	double ns;
};

struct wr {
	struct bench *b;
	pthread_t th;
	uint64_t ops;
};

static uint64_t rnd(uint64_t *s)
{
	uint64_t x = *s;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return *s = x;
}

static uint64_t read_one(struct bench *b, struct proc_worker *w, uint64_t tid)
{
	struct proc_process *anc[PROC_ANCESTORS_MAX];
	struct proc_thread *thr;
	struct proc_process *p;
	uint64_t v = 0;
	unsigned n, i;

	if (b->mode == MODE_RWLOCK)
		pthread_rwlock_rdlock(&b->lock);
	thr = proc_thread_lookup(w, tid);
	p = thr ? proc_thread_process(thr) : NULL;
	if (p) {
		v = (uint64_t)proc_process_image(p)->comm[0];
		if (b->op == OP_WALK) {
			n = proc_process_ancestors(w, p, anc, PROC_ANCESTORS_MAX);
			for (i = 0; i < n; i++)
				v += (uint64_t)proc_process_image(anc[i])->comm[0];
		}
	}
	if (b->mode == MODE_RWLOCK)
		pthread_rwlock_unlock(&b->lock);
	return v;
}

static void *reader_main(void *arg)
{
	struct rd *r = arg;
	struct bench *b = r->b;
	struct proc_worker *w = proc_worker_register(b->t);
	uint64_t rng = 0x9e3779b97f4a7c15ull ^ (uint64_t)(uintptr_t)r, n = 0;
	static __thread uint32_t seq[SEQ_N];
	uint64_t span = b->hot ? NTHREADS / 100 : NTHREADS;
	unsigned j = 0;
	double t0, t1;

	/* tids drawn before timing, so the generator is not measured */
	for (j = 0; j < SEQ_N; j++)
		seq[j] = (uint32_t)(TID_BASE + (rnd(&rng) >> 8) % span);
	t0 = bench_now_s();

	while (!__atomic_load_n(&b->stop, __ATOMIC_RELAXED)) {
		unsigned k;

		for (k = 0; k < 256; k++)
			r->sink += read_one(b, w, seq[j++ & (SEQ_N - 1)]);
		n += 256;
		proc_worker_quiescent(w); /* end of a batch */
	}
	t1 = bench_now_s();
	r->ops = n;
	r->ns = (t1 - t0) * 1e9 / (double)n;
	proc_worker_unregister(w);
	return NULL;
}

static void *writer_main(void *arg)
{
	struct wr *x = arg;
	struct bench *b = x->b;
	struct proc_worker *w = proc_worker_register(b->t);
	uint64_t rng = 12345, ts = 1000000, n = 0;
	static const char args[] = "-c\0true\0";
	uint8_t alive[CHURN_N] = {0};

	while (!__atomic_load_n(&b->stop, __ATOMIC_RELAXED)) {
		unsigned i = (unsigned)(rnd(&rng) % CHURN_N);
		uint64_t tid = CHURN_BASE + i;
		struct proc_spawn s = {
			.tid = tid, .tgid = tid, .ptid = TID_BASE + rnd(&rng) % NTHREADS, .ts = ++ts,
			.comm = "sh", .exe = "/bin/sh", .exepath = "/bin/sh", .args = args,
			.args_len = sizeof(args) - 1, .cwd = "/tmp"};

		if (b->mode == MODE_RWLOCK)
			pthread_rwlock_wrlock(&b->lock);
		if (!alive[i]) {
			alive[i] = proc_thread_clone(w, &s, NULL) == 0;
		} else if (rnd(&rng) & 1) {
			s.comm = "python3";
			proc_thread_exec(w, &s, NULL);
		} else {
			proc_thread_exit(w, tid, 1, ts);
			alive[i] = 0;
		}
		if (b->mode == MODE_RWLOCK)
			pthread_rwlock_unlock(&b->lock);
		if ((++n & 63) == 0)
			proc_worker_quiescent(w);
	}
	x->ops = n;
	proc_worker_unregister(w);
	return NULL;
}

struct result {
	double ns;	/* per operation, per reader (mean) */
	double mops;	/* all readers together */
	double wmops;	/* writer */
};

static struct result run_case(struct bench *b, int op, int mode, int nreaders, int churn)
{
	struct rd r[2];
	struct wr x = {.b = b};
	struct result res = {0};
	double t0;
	int i;

	b->op = op;
	b->mode = mode;
	b->stop = 0;
	memset(r, 0, sizeof(r));
	if (churn)
		pthread_create(&x.th, NULL, writer_main, &x);
	for (i = 0; i < nreaders; i++) {
		r[i].b = b;
		pthread_create(&r[i].th, NULL, reader_main, &r[i]);
	}
	t0 = bench_now_s();
	while (bench_now_s() - t0 < b->secs) {
		struct timespec ts = {0, 10000000};

		nanosleep(&ts, NULL);
	}
	__atomic_store_n(&b->stop, 1, __ATOMIC_RELAXED);
	for (i = 0; i < nreaders; i++) {
		pthread_join(r[i].th, NULL);
		res.ns += r[i].ns / nreaders;
		res.mops += 1e3 / r[i].ns;
	}
	if (churn) {
		pthread_join(x.th, NULL);
		res.wmops = (double)x.ops / b->secs / 1e6;
	}
	return res;
}

/* The machine's own parallelism: two independent spin loops vs one. */
static void *spin_main(void *arg)
{
	volatile uint64_t x = 0;
	uint64_t i;

	for (i = 0; i < 100000000ull; i++)
		x += i;
	*(double *)arg = bench_now_s();
	return NULL;
}

static double machine_scaling(void)
{
	pthread_t a, c;
	double t0, end1, end2, one, two;

	t0 = bench_now_s();
	spin_main(&end1);
	one = end1 - t0;
	t0 = bench_now_s();
	pthread_create(&a, NULL, spin_main, &end1);
	pthread_create(&c, NULL, spin_main, &end2);
	pthread_join(a, NULL);
	pthread_join(c, NULL);
	two = (end1 > end2 ? end1 : end2) - t0;
	return 2.0 * one / two;
}

static int populate(struct proc_table *t)
{
	struct proc_worker *w = proc_worker_register(t);
	static const char args[] = "--serve\0--port\0008080\0";
	char comm[16];
	unsigned i;
	int err = 0;

	for (i = 0; i < NTHREADS && !err; i++) {
		uint64_t tid = TID_BASE + i;
		struct proc_spawn s = {
			.tid = tid, .tgid = tid, .ptid = i ? TID_BASE + (i - 1) / 4 : 0,
			.ts = 1 + i, .comm = comm, .exe = "/usr/bin/app", .exepath = "/usr/bin/app",
			.args = args, .args_len = sizeof(args) - 1, .cwd = "/srv"};

		snprintf(comm, sizeof(comm), "p%u", i % 1000);
		err = proc_thread_clone(w, &s, NULL);
		if ((i & 63) == 0)
			proc_worker_quiescent(w);
	}
	proc_worker_unregister(w);
	return err;
}

int main(int argc, char **argv)
{
	struct proc_config cfg = {.max_workers = 256};
	static const char *ops[] = {"lookup", "walk"}, *modes[] = {"lock-free", "rwlock"};
	struct bench b = {.secs = argc > 1 ? atof(argv[1]) : 0.3};
	struct result res[2][2][2][2][2]; /* hot, op, mode, readers-1, churn */
	int op, mode, nr, churn, err, hot;

	if (b.secs <= 0)
		b.secs = 0.3;
	b.t = proc_table_new(&cfg);
	if (!b.t) {
		perror("proc_table_new");
		return 1;
	}
	{
		/* a fair baseline: glibc's default rwlock starves the writer */
		pthread_rwlockattr_t ra;

		pthread_rwlockattr_init(&ra);
		pthread_rwlockattr_setkind_np(&ra, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
		pthread_rwlock_init(&b.lock, &ra);
		pthread_rwlockattr_destroy(&ra);
	}
	err = populate(b.t);
	if (err) {
		fprintf(stderr, "bench_state: populate: %s\n", strerror(-err));
		proc_table_destroy(b.t);
		return 1;
	}
	printf("bench_state: %u threads, 4-ary process tree, %.2f s per case\n", NTHREADS,
	       b.secs);
	printf("machine scaling of two independent spin loops: %.2fx (the ceiling for any "
	       "1->2 reader ratio below)\n\n",
	       machine_scaling());
	printf("%-7s %-8s %-10s %-8s %-6s %10s %12s %12s\n", "op", "tids", "table", "readers",
	       "churn", "ns/op", "reads Mop/s", "writes Mop/s");
	for (hot = 0; hot < 2; hot++)
	for (op = 0; op < 2; op++)
		for (churn = 0; churn < 2; churn++)
			for (mode = 0; mode < 2; mode++)
				for (nr = 1; nr <= 2; nr++) {
					struct result *r = &res[hot][op][mode][nr - 1][churn];

					b.hot = hot;
					*r = run_case(&b, op, mode, nr, churn);
					printf("%-7s %-8s %-10s %-8d %-6s %10.1f %12.2f %12.3f\n",
					       ops[op], hot ? "hot1k" : "uniform", modes[mode], nr,
					       churn ? "yes" : "no", r->ns, r->mops, r->wmops);
				}

	printf("\nratios (targets: lookup < 60 ns, 1->2 readers ~2x, lock-free >= 3x rwlock "
	       "under churn)\n");
	for (hot = 0; hot < 2; hot++)
	for (op = 0; op < 2; op++) {
		struct result(*r)[2][2] = res[hot][op];
		const char *h = hot ? "hot1k" : "uniform";

		printf("%-7s %-8s lock-free ns/op, alone, 1 reader  %8.1f\n", ops[op], h,
		       r[0][0][0].ns);
		printf("%-7s %-8s scaling 1->2 readers, alone       %8.2fx  (rwlock %.2fx)\n",
		       ops[op], h, r[0][1][0].mops / r[0][0][0].mops,
		       r[1][1][0].mops / r[1][0][0].mops);
		printf("%-7s %-8s lock-free/rwlock, churn, 1 reader  %8.2fx\n", ops[op], h,
		       r[0][0][1].mops / r[1][0][1].mops);
		printf("%-7s %-8s lock-free/rwlock, churn, 2 readers %8.2fx\n", ops[op], h,
		       r[0][1][1].mops / r[1][1][1].mops);
	}
	pthread_rwlock_destroy(&b.lock);
	proc_table_destroy(b.t);
	return 0;
}
