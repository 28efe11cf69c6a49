/*
 * table.c - the thread/process table: tid index, thread and process
 * lifecycle, lazy parent resolution, workers, budget and purge.
 *
 * The algorithm is described in state.h ("HOW IT WORKS"); this file keeps
 * the ownership rules: every function that changes a thread or process
 * first checks that the calling worker owns it, writes reader-visible
 * fields with atomic stores (release for pointers), and retires replaced or
 * removed objects with call_rcu so that readers in other partitions are
 * never left holding freed memory.
 */
#include <errno.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "state/ctr_int.h"
#include "state/state_int.h"

#if defined(__SANITIZE_THREAD__)
char proc_tsan_gp_token;

/*
 * liburcu is not instrumented: its worker threads (call_rcu, the hash
 * table's resize/destroy workqueue) allocate and free memory for their own
 * hand-offs with synchronisation TSan cannot see. Ignore what the
 * interceptors see called from inside those libraries; our own accesses are
 * still checked (see TSAN_QS/TSAN_GP in state_int.h).
 */
const char *__tsan_default_suppressions(void);
const char *__tsan_default_suppressions(void)
{
	return "called_from_lib:liburcu-cds.so\n"
	       "called_from_lib:liburcu-qsbr.so\n"
	       "called_from_lib:liburcu-common.so\n";
}
#endif

int proc_poison;

/* The worker registered by the calling thread: accessors that take no
 * worker handle (proc_process_image, proc_process_cwd, the id scalars) read
 * AS OF its current key. NULL on threads that are not registered. */
static __thread struct proc_worker *tls_w;

void proc_free_poisoned(void *p, size_t size)
{
	if (p && LD(proc_poison))
		memset(p, PROC_POISON, size);
	free(p);
}

/* ---- index -------------------------------------------------------------- */

static unsigned long tid_hash(uint64_t tid)
{
	uint64_t h = tid * 0x9e3779b97f4a7c15ull;

	return (unsigned long)(h ^ (h >> 29));
}

/* The acquire pairs with the release store of tid before insertion: whoever
 * matches a node sees it fully built. */
static int thread_match(struct cds_lfht_node *node, const void *key)
{
	const struct proc_thread *thr = caa_container_of(node, struct proc_thread, node);

	return LD_ACQ(thr->tid) == *(const uint64_t *)key;
}

/* Any entry for tid, tombs included. Caller online. */
static struct proc_thread *index_find(struct proc_table *t, uint64_t tid)
{
	struct cds_lfht_iter it;
	struct cds_lfht_node *n;

	cds_lfht_lookup(t->index, tid_hash(tid), thread_match, &tid, &it);
	n = cds_lfht_iter_get_node(&it);
	return n ? caa_container_of(n, struct proc_thread, node) : NULL;
}

/* ---- freeing (RCU callbacks run on liburcu's call_rcu thread) ------------ */

static void thread_free_cb(struct rcu_head *head)
{
	TSAN_GP();
	proc_free_poisoned(caa_container_of(head, struct proc_thread, rcu),
			   sizeof(struct proc_thread));
}

/* Free v and every older version behind it (nobody can reach them). */
static void ver_free_chain(struct proc_ver *v)
{
	while (v) {
		struct proc_ver *prev = v->prev;

		if (v->kind == PROC_VER_IMAGE) {
			proc_image_free(caa_container_of(v, struct proc_image_box, v));
		} else if (v->kind == PROC_VER_CWD) {
			struct proc_cwd *c = caa_container_of(v, struct proc_cwd, v);

			proc_free_poisoned(c, sizeof(*c) + c->len + 1);
		} else {
			proc_free_poisoned(v, sizeof(struct proc_ids));
		}
		v = prev;
	}
}

static void ver_free_cb(struct rcu_head *head)
{
	TSAN_GP();
	ver_free_chain(caa_container_of(head, struct proc_ver, rcu));
}

/* Image, cwd and ids (every version) of a process nobody can reach any more. */
static void process_free_now(struct proc_process *p)
{
	ver_free_chain(p->img ? &p->img->v : NULL);
	ver_free_chain(p->cwd ? &p->cwd->v : NULL);
	ver_free_chain(p->ids ? &p->ids->v : NULL);
	proc_free_poisoned(p, sizeof(*p));
}

static void process_free_cb(struct rcu_head *head)
{
	TSAN_GP();
	process_free_now(caa_container_of(head, struct proc_process, rcu));
}

/* ---- order keys, progress and versions (see "AS OF" in state.h) ---------- */

static unsigned nworkers(const struct proc_table *t);

/* Publish w's progress (never backwards). w's own thread. */
static void progress_publish(struct proc_worker *w, uint64_t key)
{
	if (key > w->pub) {
		w->pub = key;
		ST_REL(w->progress, key);
	}
	w->stride = 0;
}

/* The smallest progress over the registered workers (unregistered ones
 * hold nothing back: they publish UINT64_MAX on leaving). Any worker. */
static uint64_t min_progress(const struct proc_table *t)
{
	uint64_t m = UINT64_MAX, v;
	unsigned i;

	for (i = 0; i < nworkers(t); i++) {
		v = LD_ACQ(t->workers[i].progress);
		if (v < m)
			m = v;
	}
	return m;
}

/*
 * Wait until worker o has applied every event it owns with a key below
 * key. w publishes its own position first: whoever waits for w then waits
 * for a key below w's, so every wait points to a strictly smaller key and
 * the worker at the smallest key never waits: no deadlock.
 */
static void progress_wait_one(struct proc_worker *w, const struct proc_worker *o, uint64_t key)
{
	struct timespec t0, t1;
	unsigned spins = 0;

	if (o == w || LD_ACQ(o->progress) >= key)
		return;
	progress_publish(w, w->key);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	while (LD_ACQ(o->progress) < key) {
		if (++spins < 512)
			caa_cpu_relax();
		else
			sched_yield();
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	CNT_INC(w, progress_waits);
	CNT_ADD(w, progress_wait_ns,
		(uint64_t)((t1.tv_sec - t0.tv_sec) * 1000000000ll + (t1.tv_nsec - t0.tv_nsec)));
}

/* The progress a read of tid's records at w's key needs from their owner. */
static inline uint64_t need_key(struct proc_worker *w, uint64_t tid)
{
	uint64_t k;

	if (!w->hint)
		return w->key;
	k = w->hint(w->hint_ctx, tid);
	return k < w->key ? k : w->key;
}

/* Reads by w of tid's records, owned by worker `owner`, at w's key. */
static inline void as_of_owner(struct proc_worker *w, unsigned owner, uint64_t tid)
{
	if (w && w->key && w->t->wait && owner != w->id && owner < w->t->max_workers)
		progress_wait_one(w, &w->t->workers[owner], need_key(w, tid));
}

/* A tid not found (or found too new): its creator may be any worker. */
static void as_of_all(struct proc_worker *w, uint64_t tid)
{
	uint64_t need;
	unsigned i;

	if (!w || !w->key || !w->t->wait)
		return;
	need = need_key(w, tid);
	if (!need || min_progress(w->t) >= need)
		return;
	for (i = 0; i < nworkers(w->t); i++)
		progress_wait_one(w, &w->t->workers[i], need);
}

/*
 * The version of *slot a reader at its key sees: the newest with key_from <
 * key for another worker's record, the newest for its own (the owner is
 * exactly at its key). Call with the owner's progress waited for.
 */
static const struct proc_ver *ver_at(const struct proc_worker *r, unsigned owner,
				     const struct proc_ver *v)
{
	const struct proc_ver *p;

	if (!r || !r->key || owner == r->id)
		return v;
	while (v && v->key_from >= r->key) {
		p = LD_ACQ(v->prev);
		/* live (no waits): history is kept only briefly; the oldest
		 * version left is the best answer. Replay: a missing version
		 * means the attribute did not exist yet at the key. */
		if (!p && !r->t->wait)
			return v;
		v = p;
	}
	return v;
}

/*
 * Owner: publish nv in *slot. A keyed writer keeps the replaced version
 * behind nv->prev until every worker has passed nv's key (ver_reclaim);
 * an unkeyed one retires it after a grace period at once.
 */
static void ver_publish(struct proc_worker *w, struct proc_ver **slot, struct proc_ver *nv,
			uint32_t kind)
{
	struct proc_ver *old = *slot;

	nv->kind = kind;
	nv->key_from = w->key;
	CDS_INIT_LIST_HEAD(&nv->rlink);
	if (old && w->key) {
		nv->prev = old;
		cds_list_add_tail(&nv->rlink, &w->versions);
		CNT_INC(w, versions_kept);
	} else {
		nv->prev = NULL;
	}
	ST_REL(*slot, nv);
	if (old && !w->key) {
		if (!cds_list_empty(&old->rlink))
			cds_list_del_init(&old->rlink);
		call_rcu(&old->rcu, ver_free_cb);
	}
}

/* Owner: free the versions no reader can ask for any more. */
static void ver_reclaim(struct proc_worker *w, uint64_t min)
{
	struct cds_list_head *pos, *next;

	cds_list_for_each_safe(pos, next, &w->versions) {
		struct proc_ver *v = cds_list_entry(pos, struct proc_ver, rlink), *old;

		if (v->key_from >= min)
			break;
		old = v->prev;
		ST_REL(v->prev, NULL);
		cds_list_del_init(&v->rlink);
		if (old)
			call_rcu(&old->rcu, ver_free_cb);
		CNT_INC(w, versions_reclaimed);
	}
}

/* Owner: p is released; its versions leave w's list (freed with p). */
static void ver_forget(struct proc_ver *v)
{
	for (; v; v = v->prev)
		if (!cds_list_empty(&v->rlink))
			cds_list_del_init(&v->rlink);
}

static const struct proc_ids proc_default_ids = {.loginuid = UINT32_MAX};

/* ---- budget: max_threads, reserved by workers in chunks ------------------- */

static int budget_take(struct proc_worker *w)
{
	struct proc_table *t = w->t;
	uint64_t cur, want;

	if (w->credit) {
		ST(w->credit, w->credit - 1);
		return 0;
	}
	cur = LD(t->reserved);
	do {
		want = t->chunk;
		if (cur + want > t->max_threads)
			want = cur < t->max_threads ? t->max_threads - cur : 0;
		if (!want)
			return -ENOSPC;
	} while (!__atomic_compare_exchange_n(&t->reserved, &cur, cur + want, 0, __ATOMIC_RELAXED,
					      __ATOMIC_RELAXED));
	ST(w->credit, want - 1);
	return 0;
}

static void budget_give(struct proc_worker *w)
{
	struct proc_table *t = w->t;

	ST(w->credit, w->credit + 1);
	if (w->credit >= 2 * (uint64_t)t->chunk) {
		ST(w->credit, w->credit - t->chunk);
		__atomic_fetch_sub(&t->reserved, t->chunk, __ATOMIC_RELAXED);
	}
}

/* ---- processes ----------------------------------------------------------- */

/* Zeroed memory aligned as @size's type asks (processes and threads keep
 * their owner-written fields on a cache line of their own, so plain calloc's
 * 16-byte alignment is not enough). sizeof of such a type is a multiple of
 * its alignment, as aligned_alloc requires. */
static void *zalloc_aligned(size_t size)
{
	void *p = aligned_alloc(CACHELINE, (size + CACHELINE - 1) & ~(size_t)(CACHELINE - 1));

	if (p)
		memset(p, 0, size);
	return p;
}

static struct proc_process *process_new(struct proc_worker *w, uint64_t tgid)
{
	struct proc_process *p = zalloc_aligned(sizeof(*p));

	if (!p) {
		CNT_INC(w, alloc_failures);
		return NULL;
	}
	p->tgid = tgid;
	p->owner = w->id;
	p->key_from = w->key;
	CDS_INIT_LIST_HEAD(&p->threads);
	cds_list_add_tail(&p->olink, &w->procs);
	CNT_INC(w, processes_created);
	return p;
}

static void replica_forget(struct proc_worker *w, struct proc_process *p);

/* Drop a process that never got a thread (creation failed half way). */
static void process_abort(struct proc_worker *w, struct proc_process *p)
{
	replica_forget(w, p);
	proc_fdshare_abandon(w, &p->fds);
	cds_list_del(&p->olink);
	proc_fdtable_free(w, &p->fds);
	process_free_now(p);
	CNT_INC(w, processes_freed);
}

/* The last thread of p is gone: readers may still hold p until a grace
 * period; the fd table is ours alone and goes now. */
static void process_release(struct proc_worker *w, struct proc_process *p)
{
	replica_forget(w, p);
	ver_forget(p->img ? &p->img->v : NULL);
	ver_forget(p->cwd ? &p->cwd->v : NULL);
	ver_forget(p->ids ? &p->ids->v : NULL);
	cds_list_del(&p->olink);
	proc_fdshare_abandon(w, &p->fds);
	proc_fdtable_free(w, &p->fds);
	CNT_INC(w, processes_freed);
	call_rcu(&p->rcu, process_free_cb);
}

static int process_set_cwd(struct proc_worker *w, struct proc_process *p, const char *path)
{
	size_t len = strnlen(path, PROC_PATH_MAX - 1);
	struct proc_cwd *c = malloc(sizeof(*c) + len + 1);

	if (!c)
		return -ENOMEM;
	memset(c, 0, sizeof(*c));
	c->len = (uint32_t)len;
	memcpy(c->s, path, len);
	c->s[len] = '\0';
	ver_publish(w, (struct proc_ver **)&p->cwd, &c->v, PROC_VER_CWD);
	return 0;
}

static int process_set_image(struct proc_worker *w, struct proc_process *p,
			     const struct proc_img_src *src)
{
	struct proc_image_box *box = proc_image_build(src);

	if (!box)
		return -ENOMEM;
	ver_publish(w, (struct proc_ver **)&p->img, &box->v, PROC_VER_IMAGE);
	return 0;
}

/* Owner: a copy of p's current ids to change and publish (ids_publish). */
static struct proc_ids *ids_copy(struct proc_process *p)
{
	const struct proc_ids *cur = p->ids ? p->ids : &proc_default_ids;
	struct proc_ids *n = malloc(sizeof(*n));

	if (!n)
		return NULL;
	*n = *cur;
	n->ptid = LD(cur->ptid);
	return n;
}

static void ids_publish(struct proc_worker *w, struct proc_process *p, struct proc_ids *n)
{
	ver_publish(w, (struct proc_ver **)&p->ids, &n->v, PROC_VER_IDS);
}

/* Scalars a clone or exec reports (one new ids version). */
static int process_set_scalars(struct proc_worker *w, struct proc_process *p,
			       const struct proc_spawn *s)
{
	struct proc_ids *n = ids_copy(p);

	if (s->vpid)
		ST(p->vpid, s->vpid);
	if (!n)
		return -ENOMEM;
	if (s->ptid)
		n->ptid = s->ptid;
	if (s->flags & PROC_SPAWN_HAVE_IDS) {
		n->uids = (uint64_t)s->uid | (uint64_t)s->euid << 32;
		n->gids = (uint64_t)s->gid | (uint64_t)s->egid << 32;
		n->loginuid = s->loginuid;
	}
	if (s->sid)
		n->sid = s->sid;
	if (s->vpgid)
		n->vpgid = s->vpgid;
	if (s->tty)
		n->tty = s->tty;
	ids_publish(w, p, n);
	return 0;
}

/* ---- threads --------------------------------------------------------------- */

static void tomb_expire(struct proc_worker *w, struct proc_thread *thr);
static void entomb(struct proc_worker *w, struct proc_thread *thr, uint64_t ts);

static struct proc_thread *thread_alloc(struct proc_worker *w, struct proc_process *p,
					uint64_t vtid, uint64_t clone_ts, uint64_t ts)
{
	struct proc_thread *thr;

	if (budget_take(w)) {
		CNT_INC(w, table_full);
		errno = ENOSPC;
		return NULL;
	}
	thr = zalloc_aligned(sizeof(*thr));
	if (!thr) {
		budget_give(w);
		CNT_INC(w, alloc_failures);
		errno = ENOMEM;
		return NULL;
	}
	thr->owner = w->id;
	thr->key_from = w->key;
	thr->vtid = vtid;
	thr->clone_ts = clone_ts;
	thr->last_ts = ts;
	thr->proc = p;
	cds_lfht_node_init(&thr->node);
	return thr;
}

/* w's cache of its own threads no longer holds tid. */
static inline void tc_forget(struct proc_worker *w, uint64_t tid)
{
	struct proc_tcache *c = &w->tc[tid_hash(tid) & (PROC_TCACHE - 1)];

	if (c->tid == tid)
		c->thr = NULL;
}

/*
 * Link thr into its process and w's lists, then publish it under tid. An
 * entry already there (a missed exit, a tomb, a placeholder being replaced)
 * is swapped out atomically; if it is ours it is retired now, if another
 * worker owns it that worker frees it (its del will just find it gone).
 */
static void thread_publish(struct proc_worker *w, struct proc_thread *thr, uint64_t tid)
{
	struct proc_process *p = thr->proc;
	struct cds_lfht_node *old;

	cds_list_add_tail(&thr->plink, &p->threads);
	p->nthreads++;
	cds_list_add_tail(&thr->olink, &w->live);
	CNT_INC(w, threads_created);
	ST_REL(thr->tid, tid);
	tc_forget(w, tid);
	old = cds_lfht_add_replace(w->t->index, tid_hash(tid), thread_match, &tid, &thr->node);
	if (old) {
		struct proc_thread *o = caa_container_of(old, struct proc_thread, node);

		if (LD(o->state) == PROC_LIVE)
			CNT_INC(w, tid_collisions); /* a missed exit, not a reused tid */
		if (o->owner != w->id)
			return;
		if (LD(o->state) != PROC_TOMB)
			entomb(w, o, thr->last_ts);
		tomb_expire(w, o);
	}
}

/* Turn an exited (or purged) thread into a tomb: invisible to lookups, its
 * process released when it was the last one, kept for re-parenting. */
static void entomb(struct proc_worker *w, struct proc_thread *thr, uint64_t ts)
{
	struct proc_process *p = thr->proc;

	if (!LD(thr->dead_ts))
		ST(thr->dead_ts, ts);
	ST_REL(thr->state, (uint32_t)PROC_TOMB);
	ST_REL(thr->proc, NULL);
	cds_list_del(&thr->plink);
	if (--p->nthreads == 0)
		process_release(w, p);
	cds_list_del(&thr->olink);
	cds_list_add_tail(&thr->olink, &w->tombs);
	ST(w->ntombs, w->ntombs + 1);
	budget_give(w);
	CNT_INC(w, threads_removed);
	while (w->ntombs > w->t->max_tombs)
		tomb_expire(w, cds_list_first_entry(&w->tombs, struct proc_thread, olink));
}

static void tomb_expire(struct proc_worker *w, struct proc_thread *thr)
{
	tc_forget(w, LD(thr->tid));
	cds_lfht_del(w->t->index, &thr->node); /* -ENOENT when replaced: fine */
	cds_list_del(&thr->olink);
	ST(w->ntombs, w->ntombs - 1);
	CNT_INC(w, tombs_expired);
	call_rcu(&thr->rcu, thread_free_cb);
}

/*
 * Quiescence work of the owner: free versions nobody can read any more, then
 * entomb the exited threads no reader can see alive any more (exit key
 * below every worker's progress; an unkeyed exit at once).
 */
static void flush_pending(struct proc_worker *w)
{
	struct cds_list_head *pos, *next;
	uint64_t min = min_progress(w->t);

	ver_reclaim(w, min);
	proc_fdshare_reclaim(w, min);
	/* The _entry_ iterators of liburcu form a bogus entry pointer from the
	 * list head (undefined behaviour for our cache-aligned types): walk the
	 * nodes and take the entry of real nodes only. */
	cds_list_for_each_safe(pos, next, &w->pending) {
		struct proc_thread *thr = cds_list_entry(pos, struct proc_thread, olink);
		uint64_t dk = LD(thr->dead_key);

		/* the list is in exit-key order (keys never decrease) */
		if (dk && dk >= min)
			break;
		entomb(w, thr, LD(thr->dead_ts));
	}
}

/* Mark thr exited at w's key; it is entombed by a later flush_pending. */
static void thread_mark_exiting(struct proc_worker *w, struct proc_thread *thr, uint64_t reaper,
				uint64_t ts)
{
	ST(thr->reaper, reaper);
	ST(thr->dead_ts, ts);
	ST(thr->dead_key, w->key);
	ST_REL(thr->state, (uint32_t)PROC_EXITING);
	cds_list_del(&thr->olink);
	cds_list_add_tail(&thr->olink, &w->pending);
}

/* The entry for tid when it is a live or exiting thread, else NULL; *err
 * says -EPERM when it is live but another worker's. */
static struct proc_thread *owned_find(struct proc_worker *w, uint64_t tid, int *err)
{
	struct proc_thread *thr = index_find(w->t, tid);
	uint64_t dk;

	*err = 0;
	if (!thr || LD(thr->state) == PROC_TOMB)
		return NULL;
	/* exited at an earlier key, waiting for the others to pass it: gone
	 * for the owner (a new thread with this tid replaces it) */
	dk = LD(thr->dead_key);
	if (thr->owner == w->id && dk && dk < w->key)
		return NULL;
	if (thr->owner != w->id) {
		*err = -EPERM;
		return NULL;
	}
	return thr;
}

/* A new process for s with its tgid thread (and s->tid's, if different). */
static int spawn_process(struct proc_worker *w, const struct proc_spawn *s, uint64_t tgid,
			 struct proc_process *parent, int is_clone, struct proc_thread **out)
{
	const struct proc_image *base = parent ? proc_process_image(parent) : NULL;
	const char *cwd = s->cwd ? s->cwd : parent ? proc_process_cwd(parent) : NULL;
	struct proc_img_src src;
	struct proc_process *p = process_new(w, tgid);
	struct proc_thread *lead, *thr = NULL;
	uint64_t cts = is_clone ? s->ts : 0;

	if (!p)
		return -ENOMEM;
	ST(p->clone_ts, cts);
	proc_img_src_from_spawn(&src, s, base);
	if (process_set_scalars(w, p, s) || process_set_image(w, p, &src) ||
	    (cwd && process_set_cwd(w, p, cwd))) {
		CNT_INC(w, alloc_failures);
		process_abort(w, p);
		return -ENOMEM;
	}
	lead = thread_alloc(w, p, s->tid == tgid ? s->vtid : 0, cts, s->ts);
	if (!lead) {
		process_abort(w, p);
		return -errno;
	}
	if (s->tid != tgid) {
		ST(lead->placeholder, 1);
		thr = thread_alloc(w, p, s->vtid, cts, s->ts);
		if (!thr) {
			budget_give(w);
			free(lead);
			process_abort(w, p);
			return -errno;
		}
	}
	thread_publish(w, lead, tgid);
	if (thr)
		thread_publish(w, thr, s->tid);
	if (out)
		*out = thr ? thr : lead;
	return 0;
}

/* s->ptid's process when it is known already (in any partition: reading
 * is allowed), to inherit what the clone did not report (image, cwd). */
static struct proc_process *parent_proc(struct proc_worker *w, const struct proc_spawn *s)
{
	struct proc_thread *pt;

	if (!s->ptid)
		return NULL;
	pt = proc_thread_lookup(w, s->ptid);
	return pt ? proc_thread_process(pt) : NULL;
}

/* A placeholder of ours is being told what it really is. */
static int fill_placeholder(struct proc_worker *w, struct proc_thread *thr,
			    const struct proc_spawn *s, uint64_t tgid)
{
	struct proc_process *p = thr->proc, *parent;
	struct proc_img_src src;
	const char *cwd;

	if (s->tid == tgid || (p->img == NULL && !(s->flags & PROC_SPAWN_THREAD))) {
		parent = parent_proc(w, s);
		cwd = s->cwd ? s->cwd : parent ? proc_process_cwd(parent) : NULL;
		ST(p->clone_ts, s->ts);
		proc_img_src_from_spawn(&src, s, parent ? proc_process_image(parent) : NULL);
		if (process_set_scalars(w, p, s) || process_set_image(w, p, &src) ||
		    (cwd && process_set_cwd(w, p, cwd))) {
			CNT_INC(w, alloc_failures);
			return -ENOMEM;
		}
	} else if (p->img == NULL && s->exe) {
		/* a thread's clone reports its process's image too */
		proc_img_src_from_spawn(&src, s, NULL);
		if (process_set_scalars(w, p, s) || process_set_image(w, p, &src)) {
			CNT_INC(w, alloc_failures);
			return -ENOMEM;
		}
	}
	ST(thr->vtid, s->vtid);
	ST(thr->clone_ts, s->ts);
	ST(thr->placeholder, 0);
	thr->last_ts = s->ts;
	CNT_INC(w, placeholders_filled);
	return 0;
}

/* ---- replicas (tid partitions) -------------------------------------------
 *
 * With tid partitions the threads of one process live on several workers,
 * and each record may have one writer only. So every worker that owns a
 * thread of a group holds a record of that group of its own: the leader's
 * owner the process itself, the others a REPLICA (same tgid, replica = 1,
 * found through w->replicas), which their threads point to. A replica
 * starts as a copy of the leader's process as of the clone's key (image,
 * cwd, ids; its fds from the leader's owner's snapshot, fdshare.c) or, when
 * seeded from a capture, from the thread's own table entry; from then on
 * its owner applies every event of the group that changes a process (any
 * thread's: proc_event_apply_held), so each record is what one worker's
 * single record would be. A replica is released with its last thread; an
 * exec of the group ends it at once (de_thread kills every other thread).
 */

static const struct proc_ids *ids_of(const struct proc_process *p);

/* A live (not exiting) thread of p, or NULL. p's owner. */
static struct proc_thread *first_live(struct proc_process *p)
{
	struct cds_list_head *pos;

	cds_list_for_each(pos, &p->threads) {
		struct proc_thread *thr = cds_list_entry(pos, struct proc_thread, plink);

		if (LD(thr->state) == PROC_LIVE && !LD(thr->dead_key))
			return thr;
	}
	return NULL;
}

static struct proc_process *replica_of(struct proc_worker *w, uint64_t tgid)
{
	return (struct proc_process *)(uintptr_t)u64map_get(&w->replicas, tgid);
}

static void replica_forget(struct proc_worker *w, struct proc_process *p)
{
	if (p->replica && replica_of(w, p->tgid) == p)
		u64map_del(&w->replicas, p->tgid);
}

/* A replica of tgid for s->tid: a copy of src (the group's process as w
 * reads it at its key), or made from s when there is none. */
static int replica_spawn(struct proc_worker *w, const struct proc_spawn *s, uint64_t tgid,
			 struct proc_process *src, struct proc_thread **out)
{
	struct proc_process *p = process_new(w, tgid);
	struct proc_img_src isrc;
	struct proc_thread *thr;
	struct proc_ids *n;
	const char *cwd = s->cwd;

	if (!p)
		return -ENOMEM;
	p->replica = 1;
	if (src) {
		const struct proc_ids *from = ids_of(src);

		proc_img_src_from_image(&isrc, proc_process_image(src));
		cwd = proc_process_cwd(src);
		ST(p->vpid, LD(src->vpid));
		ST(p->clone_ts, LD(src->clone_ts));
		n = ids_copy(p);
		if (n) {
			/* the values only: from->v is its owner's to write */
			n->ptid = LD(from->ptid);
			n->uids = from->uids;
			n->gids = from->gids;
			n->loginuid = from->loginuid;
			n->sid = from->sid;
			n->vpgid = from->vpgid;
			n->tty = from->tty;
			ids_publish(w, p, n);
		}
	} else {
		proc_img_src_from_spawn(&isrc, s, NULL);
		n = process_set_scalars(w, p, s) ? NULL : p->ids;
	}
	if (!n || process_set_image(w, p, &isrc) || (cwd && cwd[0] && process_set_cwd(w, p, cwd))) {
		CNT_INC(w, alloc_failures);
		process_abort(w, p);
		return -ENOMEM;
	}
	thr = thread_alloc(w, p, s->vtid, s->ts, s->ts);
	if (!thr) {
		process_abort(w, p);
		return -errno;
	}
	thread_publish(w, thr, s->tid);
	if (u64map_put(&w->replicas, tgid, (uint64_t)(uintptr_t)p, true))
		CNT_INC(w, alloc_failures); /* unfindable: events of other threads miss it */
	CNT_INC(w, replicas);
	if (out)
		*out = thr;
	return 0;
}

/* A thread clone of a group whose leader another worker owns: the child
 * joins w's replica of the group, or a new one. */
static int replica_clone(struct proc_worker *w, const struct proc_spawn *s, uint64_t tgid,
			 struct proc_thread **out)
{
	struct proc_process *p = replica_of(w, tgid), *src = NULL;
	struct proc_thread *thr;

	if (p && first_live(p)) {
		thr = thread_alloc(w, p, s->vtid, s->ts, s->ts);
		if (!thr)
			return -errno;
		thread_publish(w, thr, s->tid);
		CNT_INC(w, replica_joins);
		if (out)
			*out = thr;
		return 0;
	}
	if (w->key) {
		/* an event: the group as one worker would have it here (a
		 * seeded thread has its own table entry instead) */
		struct proc_thread *lead = proc_thread_lookup(w, tgid);

		src = lead ? proc_thread_process(lead) : NULL;
	}
	return replica_spawn(w, s, tgid, src, out);
}

bool proc_process_is_new_replica(const struct proc_worker *w, const struct proc_process *p)
{
	return p->replica && p->owner == w->id && p->key_from == w->key && w->key;
}

/* w's record of tgid: the process of its own leader, or its replica. */
static struct proc_process *held_of(struct proc_worker *w, uint64_t tgid)
{
	int err;
	struct proc_thread *lead = owned_find(w, tgid, &err);

	if (lead && LD(lead->state) == PROC_LIVE)
		return lead->proc;
	return replica_of(w, tgid);
}

struct proc_thread *proc_held_thread(struct proc_worker *w, uint64_t tgid)
{
	struct proc_process *p = held_of(w, tgid);

	return p ? first_live(p) : NULL;
}

bool proc_worker_holds(struct proc_worker *w, uint64_t tgid)
{
	return proc_held_thread(w, tgid) != NULL;
}

void proc_replica_exec(struct proc_worker *w, uint64_t tgid, uint64_t ts)
{
	struct proc_process *p = replica_of(w, tgid);
	struct cds_list_head *pos, *next;

	if (!p)
		return;
	u64map_del(&w->replicas, tgid);
	cds_list_for_each_safe(pos, next, &p->threads) {
		struct proc_thread *thr = cds_list_entry(pos, struct proc_thread, plink);

		if (LD(thr->state) == PROC_LIVE && !LD(thr->dead_key))
			thread_mark_exiting(w, thr, tgid, ts);
	}
}

int proc_thread_clone(struct proc_worker *w, const struct proc_spawn *s, struct proc_thread **out)
{
	uint64_t tgid = s->tgid ? s->tgid : s->tid;
	struct proc_thread *old, *lead, *thr;
	int err;

	if (!s->tid)
		return -EINVAL;
	old = index_find(w->t, s->tid);
	if (old && old->owner == w->id && LD(old->state) == PROC_LIVE &&
	    old->proc->tgid == tgid) {
		if (LD(old->placeholder)) {
			err = fill_placeholder(w, old, s, tgid);
			if (!err && out)
				*out = old;
			return err;
		}
		/* reported twice (e.g. both clone exits): keep unless it is older */
		if (!old->clone_ts || !s->ts || s->ts <= old->clone_ts) {
			if (out)
				*out = old;
			return 0;
		}
	}
	if (!(s->flags & PROC_SPAWN_THREAD) || tgid == s->tid)
		return spawn_process(w, s, tgid, parent_proc(w, s), 1, out);

	lead = owned_find(w, tgid, &err);
	if (err || (s->flags & PROC_SPAWN_REPLICA))
		return replica_clone(w, s, tgid, out);
	if (!lead)
		return spawn_process(w, s, tgid, NULL, 1, out);
	thr = thread_alloc(w, lead->proc, s->vtid, s->ts, s->ts);
	if (!thr)
		return -errno;
	thread_publish(w, thr, s->tid);
	if (out)
		*out = thr;
	return 0;
}

int proc_thread_exec(struct proc_worker *w, const struct proc_spawn *s, struct proc_thread **out)
{
	uint64_t tgid = s->tgid ? s->tgid : s->tid;
	struct proc_thread *caller, *lead, *thr;
	struct cds_list_head *pos, *next;
	struct proc_process *p;
	struct proc_img_src src;
	int err, err2 = 0;

	if (!s->tid)
		return -EINVAL;
	caller = owned_find(w, s->tid, &err);
	lead = s->tid == tgid ? caller : owned_find(w, tgid, &err2);
	if (err || (s->tid != tgid && err2)) {
		CNT_INC(w, foreign_writes);
		return -EPERM;
	}
	p = lead ? lead->proc : caller ? caller->proc : NULL;
	if (p && p->tgid != tgid)
		p = NULL; /* the caller's entry was a placeholder of the wrong group */
	if (!p) {
		/* exec of a process we never saw: start from a placeholder */
		lead = proc_thread_get_or_placeholder(w, tgid, tgid, s->ts);
		if (!lead)
			return -errno;
		p = lead->proc;
	}
	if (!lead) {
		lead = thread_alloc(w, p, s->vtid, 0, s->ts);
		if (!lead)
			return -errno;
		thread_publish(w, lead, tgid);
	}
	/* de_thread: after execve the process has one thread, tid == tgid */
	cds_list_for_each_safe(pos, next, &p->threads) {
		thr = cds_list_entry(pos, struct proc_thread, plink);
		if (thr != lead && LD(thr->state) == PROC_LIVE)
			thread_mark_exiting(w, thr, tgid, s->ts);
	}

	proc_img_src_from_spawn(&src, s, NULL);
	if (!(s->flags & PROC_SPAWN_HAVE_CAPS) && p->img) {
		src.cap_effective = p->img->img.cap_effective;
		src.cap_permitted = p->img->img.cap_permitted;
		src.cap_inheritable = p->img->img.cap_inheritable;
	}
	if (!s->cgroups && p->img) {
		/* exec keeps the cgroup */
		src.cgroups = p->img->img.cgroups;
		src.cgroups_len = p->img->img.cgroups_len;
	}
	if (process_set_image(w, p, &src) || (s->cwd && process_set_cwd(w, p, s->cwd)) ||
	    process_set_scalars(w, p, s)) {
		CNT_INC(w, alloc_failures);
		return -ENOMEM;
	}
	if (s->vtid)
		ST(lead->vtid, s->vtid);
	if (LD(lead->placeholder)) {
		ST(lead->placeholder, 0);
		CNT_INC(w, placeholders_filled);
	}
	proc_fdtable_close_on_exec(w, &p->fds);
	lead->last_ts = s->ts;
	CNT_INC(w, execs);
	if (out)
		*out = lead;
	return 0;
}

int proc_thread_exit(struct proc_worker *w, uint64_t tid, uint64_t reaper_tid, uint64_t ts)
{
	struct proc_thread *thr = index_find(w->t, tid);

	if (!thr || LD(thr->state) == PROC_TOMB)
		return -ENOENT;
	if (thr->owner != w->id) {
		CNT_INC(w, foreign_writes);
		return -EPERM;
	}
	if (LD(thr->state) == PROC_EXITING)
		return -EALREADY;
	thread_mark_exiting(w, thr, reaper_tid, ts);
	CNT_INC(w, exits);
	return 0;
}

struct proc_thread *proc_thread_get_or_placeholder(struct proc_worker *w, uint64_t tid,
						   uint64_t tgid, uint64_t ts)
{
	struct proc_thread *thr, *lead;
	struct proc_process *p;
	int err;

	thr = owned_find(w, tid, &err);
	if (thr || err) {
		if (err)
			CNT_INC(w, foreign_writes);
		errno = -err;
		return thr;
	}
	if (!tgid)
		tgid = tid;
	if (tgid != tid) {
		lead = proc_thread_get_or_placeholder(w, tgid, tgid, ts);
		if (!lead)
			return NULL;
		thr = thread_alloc(w, lead->proc, 0, 0, ts);
		if (!thr)
			return NULL;
		ST(thr->placeholder, 1);
		thread_publish(w, thr, tid);
		CNT_INC(w, placeholders);
		return thr;
	}
	p = process_new(w, tgid);
	if (!p) {
		errno = ENOMEM;
		return NULL;
	}
	thr = thread_alloc(w, p, 0, 0, ts);
	if (!thr) {
		err = errno;
		process_abort(w, p);
		errno = err;
		return NULL;
	}
	ST(thr->placeholder, 1);
	thread_publish(w, thr, tid);
	CNT_INC(w, placeholders);
	return thr;
}

void proc_thread_touch(struct proc_worker *w, struct proc_thread *thr, uint64_t ts)
{
	if (thr->owner == w->id && ts > thr->last_ts)
		thr->last_ts = ts;
}

/* ---- setters ------------------------------------------------------------- */

static struct proc_process *setter_proc(struct proc_worker *w, struct proc_thread *thr, int *err)
{
	if (thr->owner != w->id) {
		CNT_INC(w, foreign_writes);
		*err = -EPERM;
		return NULL;
	}
	*err = thr->proc ? 0 : -ENOENT;
	return thr->proc;
}

/* Owner: one scalar change = one new ids version. */
static int ids_set(struct proc_worker *w, struct proc_thread *thr, int which, uint64_t a,
		   uint64_t b)
{
	int err;
	struct proc_process *p = setter_proc(w, thr, &err);
	struct proc_ids *n;

	if (!p)
		return err;
	n = ids_copy(p);
	if (!n) {
		CNT_INC(w, alloc_failures);
		return -ENOMEM;
	}
	switch (which) {
	case 0:
		n->uids = a | b << 32;
		break;
	case 1:
		n->gids = a | b << 32;
		break;
	case 2:
		n->loginuid = (uint32_t)a;
		break;
	case 3:
		n->sid = (uint32_t)a;
		n->vpgid = (uint32_t)b;
		break;
	default:
		n->tty = (uint32_t)a;
		break;
	}
	ids_publish(w, p, n);
	return 0;
}

int proc_set_uids(struct proc_worker *w, struct proc_thread *thr, uint32_t uid, uint32_t euid)
{
	return ids_set(w, thr, 0, uid, euid);
}

int proc_set_gids(struct proc_worker *w, struct proc_thread *thr, uint32_t gid, uint32_t egid)
{
	return ids_set(w, thr, 1, gid, egid);
}

int proc_set_loginuid(struct proc_worker *w, struct proc_thread *thr, uint32_t loginuid)
{
	return ids_set(w, thr, 2, loginuid, 0);
}

int proc_set_sid(struct proc_worker *w, struct proc_thread *thr, uint32_t sid, uint32_t vpgid)
{
	return ids_set(w, thr, 3, sid, vpgid);
}

int proc_set_tty(struct proc_worker *w, struct proc_thread *thr, uint32_t tty)
{
	return ids_set(w, thr, 4, tty, 0);
}

int proc_set_cwd(struct proc_worker *w, struct proc_thread *thr, const char *cwd)
{
	int err;
	struct proc_process *p = setter_proc(w, thr, &err);

	if (!p)
		return err;
	err = process_set_cwd(w, p, cwd);
	if (err)
		CNT_INC(w, alloc_failures);
	return err;
}

/* Copy-on-write of the image with one change applied by fn. */
static int image_cow(struct proc_worker *w, struct proc_thread *thr,
		     void (*fn)(struct proc_img_src *src, const void *arg), const void *arg)
{
	int err;
	struct proc_process *p = setter_proc(w, thr, &err);
	struct proc_img_src src;

	if (!p)
		return err;
	proc_img_src_from_image(&src, p->img ? &p->img->img : &proc_placeholder_image);
	fn(&src, arg);
	err = process_set_image(w, p, &src);
	if (err)
		CNT_INC(w, alloc_failures);
	return err;
}

static void cow_comm(struct proc_img_src *src, const void *arg)
{
	src->comm = arg;
	src->comm_len = strnlen(arg, PROC_COMM_MAX - 1);
}

int proc_set_comm(struct proc_worker *w, struct proc_thread *thr, const char *comm)
{
	return image_cow(w, thr, cow_comm, comm);
}

static void cow_caps(struct proc_img_src *src, const void *arg)
{
	const uint64_t *caps = arg;

	src->cap_effective = caps[0];
	src->cap_permitted = caps[1];
	src->cap_inheritable = caps[2];
}

int proc_set_caps(struct proc_worker *w, struct proc_thread *thr, uint64_t effective,
		  uint64_t permitted, uint64_t inheritable)
{
	uint64_t caps[3] = {effective, permitted, inheritable};

	return image_cow(w, thr, cow_caps, caps);
}

/* ---- lookups and accessors (any worker) ----------------------------------- */

/*
 * Whether thr exists at key (AS OF, state.h): created at or before key, not
 * exited before it. key 0 (an unkeyed reader) sees the table as it is.
 */
static bool thread_visible(const struct proc_worker *w, const struct proc_thread *thr,
			   uint64_t key)
{
	uint64_t dk;

	if (LD_ACQ(thr->state) == PROC_TOMB)
		return false;
	if (!key)
		return true;
	/* created later: invisible in replay; live readers (no waits, keys
	 * from several clocks) take what exists */
	if (w->t->wait && LD(thr->key_from) > key)
		return false;
	dk = LD(thr->dead_key);
	return !dk || dk >= key;
}

/* The entry for tid as w must see it at its key: waits for the creator's
 * progress (any worker's when nothing is found, or something too new). */
static struct proc_thread *find_as_of(struct proc_worker *w, uint64_t tid)
{
	struct proc_thread *thr = index_find(w->t, tid);

	if (!w->key || !w->t->wait)
		return thr;
	if (!thr || LD(thr->key_from) > w->key) {
		as_of_all(w, tid);
		thr = index_find(w->t, tid);
	}
	if (thr)
		as_of_owner(w, thr->owner, tid);
	return thr;
}

struct proc_thread *proc_owned_thread(struct proc_worker *w, uint64_t tid)
{
	int err;
	struct proc_thread *thr = owned_find(w, tid, &err);

	return thr && thread_visible(w, thr, w->key) ? thr : NULL;
}

void proc_wait_progress(struct proc_worker *w, unsigned owner, uint64_t key)
{
	if (w->t->wait && owner < nworkers(w->t))
		progress_wait_one(w, &w->t->workers[owner], key);
}

struct proc_thread *proc_thread_lookup_own(struct proc_worker *w, uint64_t tid)
{
	struct proc_tcache *c = &w->tc[tid_hash(tid) & (PROC_TCACHE - 1)];
	struct proc_thread *thr;

	/* an own thread is never waited for (w is at its key), so the AS OF
	 * answer is the entry's own visibility, as below; a thread another
	 * worker replaced in the index (thread_publish: a tid that moved
	 * partitions after a missed exit) no longer answers for its tid */
	if (c->thr && c->tid == tid && thread_visible(w, c->thr, w->key) &&
	    !cds_lfht_is_node_deleted(&c->thr->node)) {
		CNT_INC(w, lookups);
		return c->thr;
	}
	thr = proc_thread_lookup(w, tid);
	if (thr && thr->owner == w->id) {
		c->tid = tid;
		c->thr = thr;
	}
	return thr;
}

struct proc_thread *proc_thread_lookup(struct proc_worker *w, uint64_t tid)
{
	struct proc_thread *thr = find_as_of(w, tid);

	CNT_INC(w, lookups);
	if (!thr || !thread_visible(w, thr, w->key)) {
		CNT_INC(w, lookup_misses);
		return NULL;
	}
	return thr;
}

uint64_t proc_thread_tid(const struct proc_thread *thr)
{
	return LD(thr->tid);
}

uint64_t proc_thread_vtid(const struct proc_thread *thr)
{
	return LD(thr->vtid);
}

uint64_t proc_thread_clone_ts(const struct proc_thread *thr)
{
	return LD(thr->clone_ts);
}

enum proc_thread_state proc_thread_state(const struct proc_thread *thr)
{
	return (enum proc_thread_state)LD_ACQ(thr->state);
}

int proc_thread_is_placeholder(const struct proc_thread *thr)
{
	return (int)LD(thr->placeholder);
}

unsigned proc_thread_owner(const struct proc_thread *thr)
{
	return thr->owner;
}

struct proc_process *proc_thread_process(const struct proc_thread *thr)
{
	return LD_ACQ(thr->proc);
}

uint64_t proc_process_tgid(const struct proc_process *p)
{
	return p->tgid;
}

uint64_t proc_process_vpid(const struct proc_process *p)
{
	return LD(p->vpid);
}

/* The ids of p as the calling thread's worker sees them (AS OF its key). */
static const struct proc_ids *ids_of(const struct proc_process *p)
{
	struct proc_worker *r = tls_w;
	const struct proc_ver *v;

	as_of_owner(r, p->owner, p->tgid);
	v = ver_at(r, p->owner, (const struct proc_ver *)LD_ACQ(p->ids));
	return v ? caa_container_of(v, const struct proc_ids, v) : &proc_default_ids;
}

uint64_t proc_process_ptid(const struct proc_process *p)
{
	return LD(ids_of(p)->ptid);
}

uint64_t proc_process_clone_ts(const struct proc_process *p)
{
	return LD(p->clone_ts);
}

uint32_t proc_process_uid(const struct proc_process *p)
{
	return (uint32_t)ids_of(p)->uids;
}

uint32_t proc_process_euid(const struct proc_process *p)
{
	return (uint32_t)(ids_of(p)->uids >> 32);
}

uint32_t proc_process_gid(const struct proc_process *p)
{
	return (uint32_t)ids_of(p)->gids;
}

uint32_t proc_process_egid(const struct proc_process *p)
{
	return (uint32_t)(ids_of(p)->gids >> 32);
}

uint32_t proc_process_loginuid(const struct proc_process *p)
{
	return ids_of(p)->loginuid;
}

uint32_t proc_process_sid(const struct proc_process *p)
{
	return ids_of(p)->sid;
}

uint32_t proc_process_vpgid(const struct proc_process *p)
{
	return ids_of(p)->vpgid;
}

uint32_t proc_process_tty(const struct proc_process *p)
{
	return ids_of(p)->tty;
}

const char *proc_process_cwd(const struct proc_process *p)
{
	struct proc_worker *r = tls_w;
	const struct proc_ver *v;

	as_of_owner(r, p->owner, p->tgid);
	v = ver_at(r, p->owner, (const struct proc_ver *)LD_ACQ(p->cwd));
	return v ? caa_container_of(v, const struct proc_cwd, v)->s : "";
}

const struct proc_image *proc_process_image(const struct proc_process *p)
{
	struct proc_worker *r = tls_w;
	const struct proc_ver *v;

	as_of_owner(r, p->owner, p->tgid);
	v = ver_at(r, p->owner, (const struct proc_ver *)LD_ACQ(p->img));
	return v ? &caa_container_of(v, const struct proc_image_box, v)->img
		 : &proc_placeholder_image;
}

const struct proc_image *proc_process_parent_image(const struct proc_process *child,
						   const struct proc_process *parent)
{
	const struct proc_image *pi = proc_process_image(parent), *fi;
	struct proc_worker *r = tls_w;
	const struct proc_ver *pv, *fv, *prev;

	/* live tables only (proc_table_set_procfs): replay reads are exact */
	if (!r || !r->t->procfs || r->t->wait || !child || child->owner != r->id)
		return pi;
	pv = (const struct proc_ver *)LD_ACQ(parent->img);
	fv = (const struct proc_ver *)LD_ACQ(child->img);
	if (!pv || !fv)
		return pi;
	/* the child's oldest image still kept: the one it was forked with,
	 * unless the owner reclaimed it already (then nothing to offer) */
	while ((prev = LD_ACQ(fv->prev)))
		fv = prev;
	if (fv->key_from != child->key_from || pv->key_from >= fv->key_from)
		return pi; /* not the fork's image, or the parent's is as new */
	fi = &caa_container_of(fv, const struct proc_image_box, v)->img;
	if (strcmp(fi->comm, pi->comm) == 0 && strcmp(fi->exe ? fi->exe : "", pi->exe ? pi->exe : "") == 0)
		return pi;
	return fi;
}

/*
 * Parent resolution AS OF w's key S. A parent entry that exited at a key
 * below S is dead at S: follow the reaper the kernel reported (as libs
 * re-parents at procexit); one that exits at S or later is still the
 * parent. An entry created after S is not the parent (tid reused later).
 * The owner settles a followed re-parent into its ptid only once every
 * worker has passed the exits it followed: from then on no reader can ask
 * at a key where the old parent was alive, so the answer is the same for
 * all of them.
 */
struct proc_process *proc_process_parent(struct proc_worker *w, struct proc_process *p)
{
	const struct proc_ids *ids = ids_of(p);
	uint64_t ptid = LD(ids->ptid), since = LD(p->clone_ts), key = w->key;
	uint64_t last_dead = 0;
	struct proc_process *pp;
	struct proc_thread *pt;
	unsigned hop;
	int followed = 0;

	for (hop = 0; hop <= PROC_REAPER_HOPS && ptid && ptid != p->tgid; hop++) {
		uint64_t cts, reaper, dk;

		pt = find_as_of(w, ptid);
		if (!pt)
			break;
		if (key && w->t->wait && LD(pt->key_from) > key)
			break; /* created later: not the parent at key */
		/* a "parent" that started after the child (or after the parent it
		 * replaces) is a reused tid, not the parent */
		cts = LD(pt->clone_ts);
		if (since && cts && cts > since)
			break;
		if (thread_visible(w, pt, key)) {
			pp = LD_ACQ(pt->proc);
			if (pp == p)
				break;
			if (pp) {
				if (followed && p->owner == w->id && LD(ids->ptid) != ptid &&
				    (!key || last_dead < min_progress(w->t))) {
					ST(((struct proc_ids *)ids)->ptid, ptid);
					CNT_INC(w, reparents_settled);
				}
				return pp;
			}
		}
		reaper = LD(pt->reaper);
		if (!reaper || reaper == ptid)
			break;
		dk = LD(pt->dead_key);
		if (dk > last_dead)
			last_dead = dk;
		since = LD(pt->dead_ts);
		ptid = reaper;
		followed = 1;
		CNT_INC(w, reparents_followed);
	}
	CNT_INC(w, parents_unresolved);
	return NULL;
}

unsigned proc_process_ancestors(struct proc_worker *w, struct proc_process *p,
				struct proc_process **out, unsigned max)
{
	struct proc_process *cur = p, *par;
	unsigned n = 0, i;

	if (max > PROC_ANCESTORS_MAX)
		max = PROC_ANCESTORS_MAX;
	while (n < max) {
		par = proc_process_parent(w, cur);
		if (!par || par == p)
			break;
		for (i = 0; i < n; i++)
			if (out[i] == par)
				return n; /* a loop (reused tids): stop */
		out[n++] = par;
		cur = par;
	}
	return n;
}

/* ---- table and workers ---------------------------------------------------- */

struct proc_table *proc_table_new(const struct proc_config *cfg)
{
	struct proc_config def = {0};
	struct proc_table *t;
	unsigned long buckets;
	unsigned i;

	if (!cfg)
		cfg = &def;
	t = aligned_alloc(CACHELINE, sizeof(*t));
	if (!t) {
		errno = ENOMEM;
		return NULL;
	}
	memset(t, 0, sizeof(*t));
	t->max_threads = cfg->max_threads ? cfg->max_threads : PROC_DEFAULT_MAX_THREADS;
	t->max_workers = cfg->max_workers ? cfg->max_workers : 64;
	t->max_tombs = cfg->max_tombs ? cfg->max_tombs : 4096;
	t->purge_idle_ns = cfg->purge_idle_ns ? cfg->purge_idle_ns : 600ull * 1000000000ull;
	t->tomb_ttl_ns = cfg->tomb_ttl_ns ? cfg->tomb_ttl_ns : 120ull * 1000000000ull;
	t->wait = cfg->wait_progress ? 1 : 0;
	/* reserve in chunks small enough that all workers' slack is 1/16 */
	t->chunk = t->max_threads / (16 * t->max_workers);
	if (t->chunk < 1)
		t->chunk = 1;
	if (t->chunk > 64)
		t->chunk = 64;
	ST(proc_poison, cfg->poison ? 1 : 0);
	pthread_mutex_init(&t->users_lock, NULL);
	pthread_mutex_init(&t->ctr_lock, NULL);
	t->workers = aligned_alloc(CACHELINE, t->max_workers * sizeof(*t->workers));
	/* the index starts at the table's size, up to 64 Ki buckets (it grows
	 * past that); a small table's index is small to make and to free */
	for (buckets = 64; buckets < t->max_threads && buckets < (1ul << 16);)
		buckets <<= 1;
	t->index = cds_lfht_new(buckets, buckets < 1024 ? buckets : 1024, 0,
				CDS_LFHT_AUTO_RESIZE | CDS_LFHT_ACCOUNTING, NULL);
	t->forks = cds_lfht_new(64, 64, 0, CDS_LFHT_AUTO_RESIZE | CDS_LFHT_ACCOUNTING, NULL);
	if (!t->workers || !t->index || !t->forks) {
		if (t->index)
			cds_lfht_destroy(t->index, NULL);
		if (t->forks)
			cds_lfht_destroy(t->forks, NULL);
		free(t->workers);
		pthread_mutex_destroy(&t->users_lock);
		pthread_mutex_destroy(&t->ctr_lock);
		free(t);
		errno = ENOMEM;
		return NULL;
	}
	memset(t->workers, 0, t->max_workers * sizeof(*t->workers));
	for (i = 0; i < t->max_workers; i++) {
		struct proc_worker *w = &t->workers[i];

		w->t = t;
		w->id = i;
		CDS_INIT_LIST_HEAD(&w->live);
		CDS_INIT_LIST_HEAD(&w->pending);
		CDS_INIT_LIST_HEAD(&w->tombs);
		CDS_INIT_LIST_HEAD(&w->procs);
		CDS_INIT_LIST_HEAD(&w->versions);
		CDS_INIT_LIST_HEAD(&w->forks);
		w->progress = UINT64_MAX;
	}
	return t;
}

static unsigned nworkers(const struct proc_table *t)
{
	unsigned n = LD(t->nworkers);

	return n < t->max_workers ? n : t->max_workers;
}

void proc_table_destroy(struct proc_table *t)
{
	struct cds_list_head *pos, *next;
	struct proc_process *p;
	struct cds_list_head *lists[3];
	unsigned i, l;

	if (!t)
		return;
	rcu_barrier(); /* every retired object is freed */
	rcu_register_thread();
	for (i = 0; i < nworkers(t); i++) {
		struct proc_worker *w = &t->workers[i];

		lists[0] = &w->live;
		lists[1] = &w->pending;
		lists[2] = &w->tombs;
		for (l = 0; l < 3; l++)
			cds_list_for_each(pos, lists[l])
				cds_lfht_del(t->index,
					     &cds_list_entry(pos, struct proc_thread, olink)->node);
	}
	rcu_unregister_thread();
	for (i = 0; i < nworkers(t); i++) {
		struct proc_worker *w = &t->workers[i];

		lists[0] = &w->live;
		lists[1] = &w->pending;
		lists[2] = &w->tombs;
		for (l = 0; l < 3; l++)
			cds_list_for_each_safe(pos, next, lists[l])
				free(cds_list_entry(pos, struct proc_thread, olink));
		cds_list_for_each_safe(pos, next, &w->procs) {
			p = cds_list_entry(pos, struct proc_process, olink);
			proc_fdtable_free(NULL, &p->fds);
			process_free_now(p);
		}
		proc_fd_cache_drain(w);
		u64map_free(&w->replicas);
	}
	cds_lfht_destroy(t->index, NULL);
	proc_fdshare_destroy(t);
	cds_lfht_destroy(t->forks, NULL);
	proc_users_free_all(t);
	proc_ctr_free_all(t);
	pthread_mutex_destroy(&t->users_lock);
	pthread_mutex_destroy(&t->ctr_lock);
	free(t->workers);
	free(t);
}

struct proc_worker *proc_worker_register(struct proc_table *t)
{
	unsigned id = __atomic_fetch_add(&t->nworkers, 1, __ATOMIC_RELAXED);
	struct proc_worker *w;

	if (id >= t->max_workers) {
		errno = ENOSPC;
		return NULL;
	}
	w = &t->workers[id];
	/* waiting tables: nothing applied yet, readers wait for us */
	w->pub = t->wait ? 0 : UINT64_MAX;
	memset(w->tc, 0, sizeof(w->tc)); /* a slot used before starts afresh */
	ST_REL(w->progress, w->pub);
	ST(w->registered, 1);
	tls_w = w;
	rcu_register_thread();
	return w;
}

void proc_worker_unregister(struct proc_worker *w)
{
	if (!w || !w->registered)
		return;
	/* nothing more will be applied: nobody waits for us any more; what we
	 * own stays readable (exited threads not yet entombed stay so, for
	 * readers behind their exit keys; the table's destroy frees them) */
	w->pub = UINT64_MAX;
	ST_REL(w->progress, UINT64_MAX);
	flush_pending(w);
	TSAN_QS();
	rcu_unregister_thread();
	if (tls_w == w)
		tls_w = NULL;
	ST(w->registered, 0);
}

void proc_worker_quiescent(struct proc_worker *w)
{
	flush_pending(w);
	TSAN_QS();
	rcu_quiescent_state();
}

void proc_worker_set_key(struct proc_worker *w, uint64_t key)
{
	w->key = key;
	if (w->t->wait && ++w->stride >= PROC_PROGRESS_STRIDE)
		progress_publish(w, key);
}

void proc_worker_set_hint(struct proc_worker *w, uint64_t (*fn)(void *ctx, uint64_t tid),
			  void *ctx)
{
	w->hint = fn;
	w->hint_ctx = ctx;
}

uint64_t proc_worker_key(const struct proc_worker *w)
{
	return w->key;
}

void proc_worker_progress(struct proc_worker *w, uint64_t key)
{
	progress_publish(w, key);
}

void proc_table_set_wait(struct proc_table *t, int on)
{
	t->wait = on ? 1 : 0;
}

void proc_table_set_procfs(struct proc_table *t, const char *procfs)
{
	t->procfs = procfs;
}

uint64_t proc_table_min_progress(const struct proc_table *t)
{
	return min_progress(t);
}

void proc_worker_offline(struct proc_worker *w)
{
	(void)w;
	TSAN_QS();
	rcu_thread_offline();
}

void proc_worker_online(struct proc_worker *w)
{
	(void)w;
	rcu_thread_online();
}

unsigned proc_worker_id(const struct proc_worker *w)
{
	return w->id;
}

void proc_table_barrier(struct proc_table *t)
{
	(void)t;
	rcu_barrier();
}

/* Purge one live thread if idle at now; 1 when it was removed. */
static unsigned purge_one(struct proc_worker *w, struct proc_thread *thr, uint64_t now)
{
	struct proc_process *p = thr->proc;

	/* never active since seeding (a table or /proc entry): its idle
	 * time starts now, not at the epoch */
	if (!thr->last_ts) {
		thr->last_ts = now;
		return 0;
	}
	/* a group's leader goes last: the others find the group through it */
	if (thr->last_ts + w->t->purge_idle_ns > now ||
	    (LD(thr->tid) == p->tgid && p->nthreads > 1))
		return 0;
	CNT_INC(w, purged);
	if (w->key) {
		/* dead from w's key on, for every reader alike */
		thread_mark_exiting(w, thr, 0, now);
		return 1;
	}
	ST(thr->reaper, 0);
	entomb(w, thr, now);
	return 1;
}

unsigned proc_worker_purge(struct proc_worker *w, uint64_t now, unsigned budget)
{
	struct proc_table *t = w->t;
	struct cds_list_head *pos, *next;
	struct proc_thread *thr;
	unsigned removed = 0, i;

	while (!cds_list_empty(&w->tombs)) {
		thr = cds_list_first_entry(&w->tombs, struct proc_thread, olink);
		if (LD(thr->dead_ts) + t->tomb_ttl_ns > now)
			break;
		tomb_expire(w, thr);
	}
	if (budget == PROC_PURGE_ALL) {
		/* a full sweep: what it removes depends on now alone */
		cds_list_for_each_safe(pos, next, &w->live)
			removed += purge_one(w, cds_list_entry(pos, struct proc_thread, olink), now);
		return removed;
	}
	for (i = 0; i < budget && !cds_list_empty(&w->live); i++) {
		thr = cds_list_first_entry(&w->live, struct proc_thread, olink);
		if (purge_one(w, thr, now)) {
			removed++;
			continue;
		}
		cds_list_del(&thr->olink);
		cds_list_add_tail(&thr->olink, &w->live);
	}
	return removed;
}

void proc_table_stats(const struct proc_table *t, struct proc_stats *out)
{
	uint64_t credit = 0;
	unsigned i;

	memset(out, 0, sizeof(*out));
	for (i = 0; i < nworkers(t); i++) {
		const struct proc_worker *w = &t->workers[i];

#define PROC_SUM_FIELD(name, desc) out->name += LD(w->cnt.name);
		PROC_STATS(PROC_SUM_FIELD)
#undef PROC_SUM_FIELD
		credit += LD(w->credit);
		out->tombs += LD(w->ntombs);
	}
	out->live_threads = LD(t->reserved) - credit;
}

void proc_stats_foreach(const struct proc_stats *s,
			void (*fn)(const char *name, const char *desc, uint64_t v, void *arg),
			void *arg)
{
#define PROC_EACH_FIELD(name, desc) fn(#name, desc, s->name, arg);
	PROC_STATS(PROC_EACH_FIELD)
#undef PROC_EACH_FIELD
	fn("live_threads", "threads counted against max_threads", s->live_threads, arg);
	fn("tombs", "tombs held", s->tombs, arg);
}
