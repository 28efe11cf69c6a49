/*
 * engine.c - workers, the replay shared scan, live wiring, rules swap and
 * counters (see engine.h for the layout and the reasons).
 *
 * The per-event pipeline is one function, wk_event(): decode in place,
 * proc_event_apply, rule_eval with wk_on_match filling an alert slot of the
 * output queue, proc_event_done. It allocates nothing, takes no lock, and
 * writes only the worker's own counter line and (on a match) one queue slot.
 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "abi/event_table.h"
#include "bpf/probe.h"
#include "capture/capture.h"
#include "engine/engine.h"
#include "engine/record.h"
#include "lib/u64map.h"
#include "fields/fields.h"
#include "output/output.h"
#include "rules/ruleset.h"
#include "source/live.h"
#include "state/state.h"

#define CL 64

/* A tid -> tgid map (open addressing); one per replay worker. */
/* Counters of one worker, on lines no other thread writes. */
struct wk_counters {
	_Alignas(CL) _Atomic uint64_t events;
	_Atomic uint64_t rejected;
	_Atomic uint64_t matches;
	_Atomic uint64_t gen; /* ruleset generation the worker runs */
	_Atomic int running;
};

struct eng_worker {
	struct eng *e;
	unsigned id;
	pthread_t thread;
	bool started;
	struct cap_reader *cap; /* replay: this worker's own reader */
	struct prb_ring *ring; /* live */
	struct prb_merge *merge; /* live, cpu layout: every ring, merged by time */
	struct proc_worker *pw;
	const struct rule_ruleset *rs; /* the ruleset rw belongs to */
	struct rule_worker *rw;
	uint64_t gen;
	uint64_t live_num;
	uint64_t live_key; /* live: order key (event time, never decreasing) */
	uint64_t last_ts; /* time of the last event this worker processed */
	uint64_t scan;	   /* replay: events scanned = key of the last one */
	uint64_t first_ts; /* replay: time of the capture's first event */
	struct u64map m;   /* replay: tid -> its tgid and owner (M_VAL), as the scan has seen it */
	struct u64map chg; /* replay: tid -> key of its last shaping event (| CHG_DEAD) */
	uint64_t c_tid, c_tgid; /* replay: the filter's last lookup */
	unsigned c_owner;
	unsigned sf_mask; /* replay: the SF_* flags the scan acts on */
	bool c_own, c_valid, c_noted;
	uint64_t load[ENG_MAX_WORKERS]; /* replay: events the scan gave each worker so far */
	int c_held;		/* replay, tid partitions: w holds the run's group (-1: not asked) */
	struct evt_stats evst;
	struct wk_counters *cnt;
	_Atomic uint64_t *hits; /* ENG_MAX_RULES, written by this worker */
	/* the name of each rule index this worker matched (pointers into the
	 * current ruleset; read under e->names_lock) */
	_Atomic(const char *) *names;
	int err;
};

struct eng {
	struct eng_opts o;
	unsigned n;
	struct out *out;
	struct proc_table *pt;
	_Atomic(struct rule_ruleset *) rs;
	_Atomic uint64_t gen;
	struct eng_worker *w;
	/* replay */
	struct cap_reader *cap; /* machine info; the cpu layout reads it inline */
	int raw_fd;		/* the capture's raw bytes: every worker opens a reader on it */
	pthread_t reader;	/* the cpu layout's one thread */
	bool reader_started;
	_Atomic int reader_err;
	char reader_msg[256];
	char hostname[129]; /* as a capture's machine block holds it */
	_Atomic uint64_t first_ts, last_ts, reader_events, oversize;
	/* live */
	struct prb *prb;
	struct rec *rec;	   /* -w: the recorder, until eng_join closes it */
	struct rec_stats rec_st;   /* its final counters */
	_Atomic uint32_t nsel;	   /* syscalls selected in the probe (read by eng_stats) */
	pthread_mutex_t names_lock; /* rule names vs. a ruleset being freed */
	_Atomic int stop;
	_Atomic int nrunning;
	pthread_mutex_t done_lock; /* with done_cond: eng_wait sleeps until nrunning hits 0 */
	pthread_cond_t done_cond;
	_Atomic unsigned nseeded; /* replay: workers done seeding from the tables */
};

int eng_partition_parse(const char *s, enum eng_partition *out)
{
	if (strcmp(s, "tgid") == 0)
		*out = ENG_PART_TGID;
	else if (strcmp(s, "tid") == 0)
		*out = ENG_PART_TID;
	else if (strcmp(s, "cpu") == 0)
		*out = ENG_PART_CPU;
	else
		return -EINVAL;
	return 0;
}

const char *eng_partition_name(enum eng_partition p)
{
	return p == ENG_PART_TID ? "tid" : p == ENG_PART_CPU ? "cpu" : "tgid";
}

static inline void cnt_add(_Atomic uint64_t *c, uint64_t v)
{
	atomic_store_explicit(c, atomic_load_explicit(c, memory_order_relaxed) + v,
			      memory_order_relaxed);
}

/* Event types the replay scan and the workers treat specially (filled once by
 * eng_types_init, read-only afterwards). */
enum { TM_NONE = 0, TM_CLONE, TM_EXEC, TM_EXIT };
static uint8_t eng_type_kind[EVT_TYPE_MAX];

/* One event finished (a counter; cross-partition ordering is the state's
 * business: order keys and progress, see state.h). */
static inline void wk_done(struct eng_worker *w)
{
	atomic_store_explicit(&w->cnt->events,
			      atomic_load_explicit(&w->cnt->events, memory_order_relaxed) + 1,
			      memory_order_release);
}

/* ---- the per-event pipeline (worker thread) ---- */

struct wk_field_ctx {
	struct out_alert *a;
};

static int wk_on_field(void *arg, const char *name, const struct fld_vals *v)
{
	struct out_alert *a = arg;
	char buf[1024];
	size_t n;
	enum out_fv_kind kind = OUT_FV_STR;

	n = fld_vals__render(v, buf, sizeof(buf));
	if (n >= sizeof(buf))
		n = sizeof(buf) - 1;
	if (v->n == 0)
		kind = OUT_FV_NULL;
	else if (v->n == 1 && v->type == FLD_T_BOOL)
		kind = OUT_FV_BOOL;
	else if (v->n == 1 && fld_type__is_number(v->type) && v->type != FLD_T_PORT &&
		 v->type != FLD_T_ABSTIME && v->type != FLD_T_RELTIME)
		kind = OUT_FV_NUM;
	else if (v->n == 1 && (v->type == FLD_T_PORT || v->type == FLD_T_ABSTIME ||
			       v->type == FLD_T_RELTIME))
		kind = OUT_FV_NUM;
	out_alert_add_field(a, name, buf, n, kind);
	return 0;
}

static int wk_on_match(void *arg, const struct rule_match *m)
{
	struct eng_worker *w = arg;
	const struct rule_info *ri = m->rule;
	struct out_alert *a;
	size_t n;

	cnt_add(&w->cnt->matches, 1);
	if (ri->index < ENG_MAX_RULES) {
		cnt_add(&w->hits[ri->index], 1);
		if (!atomic_load_explicit(&w->names[ri->index], memory_order_relaxed))
			atomic_store_explicit(&w->names[ri->index], ri->name,
					      memory_order_relaxed);
	}
	a = out_alert_reserve_mp(w->e->out, w->id);
	if (!a)
		return 0; /* dropped and counted by the queue */
	out_alert_init(a, m->ctx->ev->hdr->ts, ri->priority, ri->name, ri->source);
	for (size_t i = 0; i < ri->ntags; i++)
		out_alert_add_tag(a, ri->tags[i]);
	n = rule_match__output(m, a->output, sizeof(a->output));
	if (n >= sizeof(a->output)) {
		n = sizeof(a->output) - 1;
		a->flags |= OUT_ALERT_TRUNCATED;
	}
	a->output_len = (uint32_t)n;
	rule_match__foreach_field(m, wk_on_field, a);
	out_alert_commit_mp(w->e->out, a);
	return 0;
}

/* The eng_opts.on_event hook; meta events (procinfo, useradded, ...) feed
 * the state only, as in libs. A failing hook stops every worker. */
static void wk_hook(struct eng_worker *w, const struct fld_ctx *ctx)
{
	int rc = w->e->o.on_event(w->e->o.on_event_arg, w->id, ctx);

	if (rc < 0 && !w->err) {
		w->err = rc;
		atomic_store_explicit(&w->e->stop, 1, memory_order_relaxed);
	}
}

static void wk_event(struct eng_worker *w, const void *buf, uint32_t len, uint16_t cpu,
		     uint64_t num)
{
	struct evt ev;
	struct proc_evt_ref ref;
	struct fld_ctx ctx;

	if (evt_decode(buf, len, &ev, &w->evst) != EVT_OK) {
		cnt_add(&w->cnt->rejected, 1);
		wk_done(w);
		return;
	}
	w->last_ts = ev.hdr->ts;
	proc_event_apply(w->pw, &ev, cpu, &ref);
	memset(&ctx, 0, sizeof(ctx));
	fld_ctx_set_event(&ctx, w->pw, &ev, cpu, num, &ref);
	ctx.first_ts = w->first_ts;
	ctx.hostname = w->e->hostname;
	if (w->rw)
		rule_eval(w->rs, w->rw, &ctx, !w->e->o.match_all, wk_on_match, w);
	if (w->e->o.on_event && ev.info->origin != ECAT_METAEVENT)
		wk_hook(w, &ctx);
	proc_event_done(w->pw, &ref);
	/* a procexit ends the batch at once: the thread becomes a tomb now,
	 * not at whatever batch boundary the queue happened to make, so what
	 * later events see does not depend on batching */
	if (ev.hdr->type < EVT_TYPE_MAX && eng_type_kind[ev.hdr->type] == TM_EXIT)
		proc_worker_quiescent(w->pw);
	wk_done(w);
}

/* Between batches: move to a new ruleset if one was installed. */
static void wk_check_rules(struct eng_worker *w)
{
	uint64_t gen = atomic_load_explicit(&w->e->gen, memory_order_acquire);
	struct rule_ruleset *rs;

	if (gen == w->gen)
		return;
	rs = atomic_load_explicit(&w->e->rs, memory_order_acquire);
	rule_worker_free(w->rw);
	w->rw = rs ? rule_worker_new(rs) : NULL;
	w->rs = rs;
	for (uint32_t i = 0; i < ENG_MAX_RULES; i++) {
		atomic_store_explicit(&w->hits[i], 0, memory_order_relaxed);
		atomic_store_explicit(&w->names[i], NULL, memory_order_relaxed);
	}
	w->gen = gen;
	atomic_store_explicit(&w->cnt->gen, gen, memory_order_release);
}

static void wk_exit(struct eng_worker *w)
{
	rule_worker_free(w->rw);
	w->rw = NULL;
	w->rs = NULL;
	atomic_store_explicit(&w->cnt->running, 0, memory_order_release);
	if (atomic_fetch_sub(&w->e->nrunning, 1) == 1) {
		pthread_mutex_lock(&w->e->done_lock);
		pthread_cond_broadcast(&w->e->done_cond);
		pthread_mutex_unlock(&w->e->done_lock);
	}
}

/* ---- partitioning ---- */

/* The probe's partition of tid's (tid partitions) or tgid's events. */
static inline unsigned eng_owner(const struct eng *e, uint64_t tid, uint64_t tgid)
{
	return prb_part_of((uint32_t)(e->o.part == ENG_PART_TID ? tid : tgid), e->n);
}

struct wk_owns {
	struct eng *e;
	unsigned id;
};

static bool wk_owns_fn(void *ctx, uint64_t tid, uint64_t pid)
{
	struct wk_owns *o = ctx;

	return eng_owner(o->e, tid, pid ? pid : tid) == o->id;
}

/*
 * Replay owners. A live probe must pick a process's ring from its tgid
 * alone (eng_owner's hash); a replay worker sees every event's header and
 * can do better: each new unit (a process in tgid partitions, a thread in
 * tid ones) goes to the worker the scan has given the fewest events so far
 * (ties: the lowest id) and stays there for life. Every worker computes
 * the same owners from the same scan (its own copy of the loads and of
 * the map), with no communication. A hash of 200 processes gives two
 * workers 52/48 of the events and the lighter one waits at fork sync
 * points; the loads bring that to an even split (docs/ARCHITECTURE.md).
 * A tid no table or clone introduced keeps the hash owner.
 *
 * w->m holds tid -> M_VAL(tgid, owner): the tgid in the low 48 bits (pids
 * are below 2^22), the owner + 1 above.
 */
#define M_TGID_MASK ((1ull << 48) - 1)
#define M_VAL(tgid, owner) ((tgid) | ((uint64_t)(owner) + 1) << 48)

static inline uint64_t m_tgid(uint64_t v)
{
	return v & M_TGID_MASK;
}

/* The owner in a non-zero map value. */
static inline unsigned m_owner(uint64_t v)
{
	return (unsigned)(v >> 48) - 1;
}

static unsigned wk_least_loaded(const struct eng_worker *w)
{
	unsigned best = 0;

	for (unsigned i = 1; i < w->e->n; i++)
		if (w->load[i] < w->load[best])
			best = i;
	return best;
}

/* The owner of tid's events, from its map value @v; a tid the map does not
 * know (v 0): the hash, as its events get in every mode. */
static inline unsigned wk_owner_of(const struct eng_worker *w, uint64_t v, uint64_t tid)
{
	return v ? m_owner(v) : eng_owner(w->e, tid, tid);
}

/*
 * Map tid to tgid. A tid in the map keeps its owner (a clone's two sides
 * come in either order); a new thread of a process joins the process's
 * owner in tgid partitions (@pv: the map value of a thread of it, 0 if
 * none is known: the hash, as that process's own events get); anything
 * else is a new unit for the least loaded worker. Returns the new value.
 */
static uint64_t m_assign(struct eng_worker *w, uint64_t tid, uint64_t tgid, uint64_t pv)
{
	uint64_t old = u64map_get(&w->m, tid), v;
	unsigned owner;

	if (old)
		owner = m_owner(old);
	else if (tgid != tid && w->e->o.part != ENG_PART_TID)
		owner = wk_owner_of(w, pv, tgid);
	else
		owner = wk_least_loaded(w);
	v = M_VAL(tgid, owner);
	u64map_put(&w->m, tid, v, true);
	return v;
}

/* Per event type: what a replay worker needs from it to keep its map. */

struct tm_type {
	uint8_t kind;
	int8_t res, pid, ptid, flags; /* parameter indexes, -1 when absent */
};

static void tm_types_init(struct tm_type *tt)
{
	for (uint32_t t = 0; t < EVT_TYPE_MAX; t++) {
		const struct evt_info *in = t < evt_table_size ? evt_info((uint16_t)t) : NULL;

		tt[t].kind = TM_NONE;
		tt[t].res = tt[t].pid = tt[t].ptid = tt[t].flags = -1;
		if (!in || !in->name)
			continue;
		if (strcmp(in->name, "procexit") == 0 && evt_type_is_enter((uint16_t)t)) {
			tt[t].kind = TM_EXIT;
			continue;
		}
		if (evt_type_is_enter((uint16_t)t))
			continue;
		if (!strcmp(in->name, "clone") || !strcmp(in->name, "fork") ||
		    !strcmp(in->name, "vfork") || !strcmp(in->name, "clone3"))
			tt[t].kind = TM_CLONE;
		else if (!strcmp(in->name, "execve") || !strcmp(in->name, "execveat"))
			tt[t].kind = TM_EXEC;
		else
			continue;
		for (uint32_t i = 0; i < in->nparams && i < 127; i++) {
			if (!strcmp(in->params[i].name, "res"))
				tt[t].res = (int8_t)i;
			else if (!strcmp(in->params[i].name, "pid"))
				tt[t].pid = (int8_t)i;
			else if (!strcmp(in->params[i].name, "ptid"))
				tt[t].ptid = (int8_t)i;
			else if (!strcmp(in->params[i].name, "flags"))
				tt[t].flags = (int8_t)i;
		}
	}
}

#define PPM_CL_CLONE_THREAD 0x2000u

static pthread_once_t eng_types_once = PTHREAD_ONCE_INIT;
static struct tm_type eng_tt[EVT_TYPE_MAX]; /* filled once, read-only after */
/* Per type, one byte for the replay scan's one lookup: the type shapes a
 * process (proc_event_type_shapes), keeps the map (eng_tt), changes a
 * group other workers hold (proc_event_type_held). Filled once. */
enum { SF_SHAPES = 1, SF_TM = 2, SF_HELD = 4 };
static uint8_t eng_sf[EVT_TYPE_MAX];

static void eng_types_fill(void)
{
	tm_types_init(eng_tt);
	for (uint32_t t = 0; t < EVT_TYPE_MAX; t++) {
		eng_type_kind[t] = eng_tt[t].kind;
		eng_sf[t] = (t < evt_table_size && proc_event_type_shapes((uint16_t)t) ? SF_SHAPES : 0) |
			    (eng_tt[t].kind ? SF_TM : 0) |
			    (proc_event_type_held((uint16_t)t) ? SF_HELD : 0);
	}
}

static void eng_types_init(void)
{
	pthread_once(&eng_types_once, eng_types_fill);
}

/* The map value (tgid and owner) of the event's thread, after the event
 * updated the map: a clone or exec assigns, a procexit removes (and the
 * value it had is returned). 0: a tid the map does not know. */
static uint64_t wk_tm_event(struct eng_worker *w, const struct evt_hdr *h, uint32_t len)
{
	const struct tm_type *t = &eng_tt[h->type];
	uint64_t tid = h->tid, v;
	struct evt ev;

	if (t->kind == TM_EXIT) {
		v = u64map_get(&w->m, tid);
		u64map_del(&w->m, tid);
		return v;
	}
	if (evt_decode(h, len, &ev, NULL) == EVT_OK && t->res >= 0 && t->pid >= 0) {
		int64_t res = evt_param_s64(&ev, (uint32_t)t->res, -1);
		uint64_t pid = (uint64_t)evt_param_s64(&ev, (uint32_t)t->pid, 0);

		if (res == 0 && pid && pid <= M_TGID_MASK) {
			/* child side of a clone, or a successful execve; a thread
			 * joins its leader's owner, or its creator's */
			uint64_t pv = pid != tid ? u64map_get(&w->m, pid) : 0;

			if (!pv && pid != tid && t->ptid >= 0) {
				pv = u64map_get(&w->m, evt_param_u64(&ev, (uint32_t)t->ptid, 0));
				pv = m_tgid(pv) == pid ? pv : 0;
			}
			return m_assign(w, tid, pid, pv);
		} else if (t->kind == TM_CLONE && res > 0 && (uint64_t)res <= M_TGID_MASK) {
			/* parent side: the child's tgid, unless the child said it */
			uint64_t fl = t->flags >= 0 ? evt_param_u64(&ev, (uint32_t)t->flags, 0) : 0;
			uint64_t pv = u64map_get(&w->m, tid);
			uint64_t ptgid = pv ? m_tgid(pv) : tid;

			if (!u64map_get(&w->m, (uint64_t)res))
				m_assign(w, (uint64_t)res,
					 (fl & PPM_CL_CLONE_THREAD) ? ptgid : (uint64_t)res, pv);
		}
	}
	return u64map_get(&w->m, tid);
}

/* ---- replay: the shared scan (worker threads) ----
 *
 * HOW IT WORKS
 *
 * There is no reader thread: on a 2-core machine it would take a whole core
 * share from the workers. Every worker opens its own cap_reader on the same
 * raw bytes (the file, or a gzip capture inflated once into a memfd; each
 * reader pread()s its own window, see capture_reader.c), scans every block
 * header and keeps only the events it owns. The decision is made on the
 * raw header, before any check or conversion (cap_reader_set_filter): the
 * header's tid, looked up in the worker's own map of tid -> tgid and owner
 * ("Replay owners" above). Every worker builds the same map from the
 * capture's process table and the clone/execve/procexit events, which every
 * worker keeps and parses (they are rare), and the same event counts per
 * owner; so all workers agree on every event's owner, and old layouts are
 * converted only by the owner, which sees all the enter/exit pairs of its
 * tids. An event's order key is its
 * index in the capture (the n-th filter call), the same number the
 * single-consumer layout gives it, and the worker's progress is simply its
 * scan position: at the n-th filter call every event before n that it owns
 * has been applied. Cross-partition reads are then exact by the AS OF rules
 * of the state (state.h): no barrier, and the alerts of a replay do not
 * depend on the number of workers or on timing.
 */

/* chg values: the key of the last event of a tid that may change what
 * other workers read of it or its process; CHG_DEAD once it exited, so
 * that its next event (a new placeholder) counts as a change again. */
#define CHG_DEAD (1ull << 63)

static void chg_note(struct eng_worker *w, uint64_t tid, uint64_t tgid, uint16_t type)
{
	uint64_t c;

	if (!tgid) {
		/* unknown to the map (or exited): its first event creates a
		 * placeholder thread */
		c = u64map_get(&w->chg, tid);
		if (!c || (c & CHG_DEAD))
			u64map_put(&w->chg, tid, w->scan, true);
		tgid = tid;
	}
	/* clone/exec exits are noted by chg_note_tm, which sees res */
	if (type >= EVT_TYPE_MAX || !(eng_sf[type] & SF_SHAPES) ||
	    (eng_tt[type].kind != TM_NONE && eng_tt[type].kind != TM_EXIT))
		return;
	u64map_put(&w->chg, tid, w->scan | (eng_tt[type].kind == TM_EXIT ? CHG_DEAD : 0), true);
	if (tgid != tid)
		u64map_put(&w->chg, tgid, w->scan, true);
}

/* A clone or execve exit (decoded after conversion): only a child side
 * (res == 0) or a successful exec changes what others read. */
static void chg_note_tm(struct eng_worker *w, const struct evt_hdr *h, uint32_t len,
			uint64_t tgid)
{
	const struct tm_type *t = &eng_tt[h->type];
	struct evt ev;
	int64_t res;

	if (t->kind != TM_CLONE && t->kind != TM_EXEC)
		return;
	if (t->res < 0 || evt_decode(h, len, &ev, NULL) != EVT_OK)
		res = 0; /* not told: assume it shapes */
	else
		res = evt_param_s64(&ev, (uint32_t)t->res, -1);
	if ((t->kind == TM_CLONE && res != 0) || (t->kind == TM_EXEC && res < 0))
		return;
	u64map_put(&w->chg, h->tid, w->scan, true);
	if (tgid && tgid != h->tid)
		u64map_put(&w->chg, tgid, w->scan, true);
}

/* proc_worker_set_hint: the key of the last event before ours that could
 * change tid's thread or process (0: none). The worker's own thread. */
static uint64_t wk_hint(void *ctx, uint64_t tid)
{
	struct eng_worker *w = ctx;
	uint64_t c = u64map_get(&w->chg, tid) & ~CHG_DEAD, tgid = m_tgid(u64map_get(&w->m, tid)), g;

	if (tgid && tgid != tid) {
		g = u64map_get(&w->chg, tgid) & ~CHG_DEAD;
		if (g > c)
			c = g;
	}
	/* the last purge (any thread may have died there) counts as a change */
	g = w->scan & ~(uint64_t)(ENG_PURGE_EVERY - 1);
	if (g > c)
		c = g;
	/* the owner must have applied event c: progress > c */
	return c ? c + 1 : 0;
}

/*
 * The scan's filter (cap_reader_set_filter), called on every event of the
 * capture, most of them another worker's: kept lean, a leaf in the common
 * case (an event of the run's tid, of a type nothing special happens on),
 * the rest in the out-of-line helpers below.
 */

/* The first event, and every PROC_PROGRESS_STRIDE keys: progress, purges. */
static __attribute__((noinline)) void wk_scan_periodic(struct eng_worker *w, uint64_t ts)
{
	struct eng *e = w->e;

	if (w->scan == 1)
		w->first_ts = ts;
	if ((w->scan & (ENG_PURGE_EVERY - 1)) == 0) {
		/* every worker purges at the same keys with the same clock (this
		 * event's time), so what dies when does not depend on partitions */
		proc_worker_set_key(w->pw, w->scan);
		proc_worker_purge(w->pw, ts, PROC_PURGE_ALL);
	}
	if ((w->scan & (PROC_PROGRESS_STRIDE - 1)) == 0) {
		proc_worker_progress(w->pw, w->scan);
		if (w->id == 0 && (w->scan & 4095) == 0) {
			atomic_store_explicit(&e->reader_events, w->scan, memory_order_relaxed);
			atomic_store_explicit(&e->last_ts, ts, memory_order_relaxed);
		}
	}
}

/* A new run of events of one tid (enter, exit, ...): its tgid and owner.
 * The map only changes on clone/exec/procexit, which end the run. */
static __attribute__((noinline)) void wk_scan_run(struct eng_worker *w, uint64_t tid)
{
	uint64_t v = u64map_get(&w->m, tid);

	w->c_valid = true;
	w->c_noted = false;
	w->c_tid = tid;
	w->c_tgid = m_tgid(v);
	w->c_owner = wk_owner_of(w, v, tid);
	w->c_own = w->c_owner == w->id;
	w->c_held = -1; /* asked when a held type comes */
}

/* An event of a type the state or the map cares about (SF_*), or an
 * unknown tid's: note it, and keep what must be kept. */
static __attribute__((noinline)) bool wk_scan_special(struct eng_worker *w, uint64_t tid,
						      uint16_t type, unsigned f)
{
	uint64_t tgid = w->c_tgid;

	/* an unknown tid's first event is noted once per run of its events */
	if ((!tgid && !w->c_noted) || (f & SF_SHAPES)) {
		chg_note(w, tid, tgid, type);
		w->c_noted = true;
	}
	if (f & SF_TM)
		return true; /* every worker parses these to keep its map */
	if (w->c_own)
		return true;
	/* tid partitions: another worker's thread changing a group this
	 * worker holds a record of too (state.h, proc_event_apply_held) */
	if (!(f & SF_HELD))
		return false;
	if (w->c_held < 0)
		w->c_held = proc_worker_holds(w->pw, tgid ? tgid : tid);
	return w->c_held;
}

static bool wk_scan_filter(void *ctx, uint64_t ts, uint64_t tid, uint16_t type, uint16_t cpu)
{
	struct eng_worker *w = ctx;
	unsigned f;

	(void)cpu;
	if (__builtin_expect((++w->scan & (PROC_PROGRESS_STRIDE - 1)) == 0 || w->scan == 1, 0))
		wk_scan_periodic(w, ts);
	if (__builtin_expect(tid != w->c_tid || !w->c_valid, 0))
		wk_scan_run(w, tid);
	w->load[w->c_owner]++;
	f = type < EVT_TYPE_MAX ? eng_sf[type] & w->sf_mask : 0;
	if (__builtin_expect(f || (!w->c_tgid && !w->c_noted), 0))
		return wk_scan_special(w, tid, type, f);
	return w->c_own;
}

/*
 * The capture's process table, before any event: every worker gives its
 * units (processes in tgid partitions, threads in tid ones) round-robin in
 * table order, so all agree. 0 or -ENOMEM.
 */
static int wk_seed_owners(struct eng_worker *w, const struct cap_tables *tabs)
{
	struct u64map units = {0};
	unsigned next = 0;
	int err = 0;

	for (uint32_t i = 0; i < tabs->nprocs && !err; i++) {
		uint64_t tid = tabs->procs[i].tid, pid = tabs->procs[i].pid;
		uint64_t unit = w->e->o.part == ENG_PART_TID || !pid ? tid : pid;
		uint64_t o = u64map_get(&units, unit);

		if (!tid || tid > M_TGID_MASK || pid > M_TGID_MASK)
			continue; /* the hash owns it, as any unknown tid */
		if (!o) {
			o = next++ % w->e->n + 1;
			err = u64map_put(&units, unit, o, true);
		}
		if (!err)
			err = u64map_put(&w->m, tid, M_VAL(pid ? pid : tid, o - 1), true);
	}
	u64map_free(&units);
	return err;
}

/* proc_state_from_capture's filter: the table entries w owns. */
static bool wk_seed_owns(void *ctx, uint64_t tid, uint64_t pid)
{
	struct eng_worker *w = ctx;
	uint64_t v = u64map_get(&w->m, tid);

	(void)pid;
	return wk_owner_of(w, v, tid) == w->id;
}

/* A clone exit of another partition: the parent's owner hands the
 * parent's fds to the child's owner at this key (proc_event_foreign). */
static void wk_foreign(struct eng_worker *w, const struct evt_hdr *h, uint32_t len, uint64_t key)
{
	struct evt ev;

	if (evt_decode(h, len, &ev, NULL) != EVT_OK)
		return;
	proc_worker_set_key(w->pw, key);
	proc_event_foreign(w->pw, &ev);
}

/* tid partitions: an event of another worker's thread that changes a group
 * w holds a record of too; applied to that record, not evaluated (its
 * thread's owner evaluates it). */
static void wk_held(struct eng_worker *w, const struct evt_hdr *h, uint32_t len, uint64_t key,
		    uint64_t tgid)
{
	struct proc_evt_ref ref;
	struct evt ev;

	if (evt_decode(h, len, &ev, NULL) != EVT_OK)
		return; /* its owner counts it rejected */
	proc_worker_set_key(w->pw, key);
	proc_event_apply_held(w->pw, &ev, tgid, &ref);
	proc_event_done(w->pw, &ref);
}

static void wk_replay_fail(struct eng_worker *w, int err, const char *msg)
{
	int zero = 0;

	if (atomic_compare_exchange_strong(&w->e->reader_err, &zero, err))
		snprintf(w->e->reader_msg, sizeof(w->e->reader_msg), "%s", msg);
}

static void *wk_replay_main(void *arg)
{
	struct eng_worker *w = arg;
	struct eng *e = w->e;
	struct cap_error cerr = {0};
	const struct cap_tables *tabs;
	uint64_t last_q = 0, iter = 0;
	struct cap_event ce;
	int rc = 0;

	w->pw = proc_worker_register(e->pt);
	if (!w->pw)
		w->err = -errno;
	else
		w->cap = cap_reader_open_fd(e->raw_fd, &cerr);
	if (w->pw && !w->cap)
		wk_replay_fail(w, cerr.err ? cerr.err : -EIO, cerr.msg);
	if (w->cap) {
		w->sf_mask = SF_SHAPES | SF_TM | (e->o.part == ENG_PART_TID ? SF_HELD : 0);
		cap_reader_set_filter(w->cap, wk_scan_filter, w);
		proc_worker_set_hint(w->pw, wk_hint, w);
		tabs = cap_reader_tables(w->cap);
		if (wk_seed_owners(w, tabs))
			wk_replay_fail(w, -ENOMEM, "out of memory for the replay's thread map");
		proc_state_from_capture(w->pw, tabs, wk_seed_owns, w);
	}
	/* every worker registered and seeded before anyone reads: a read
	 * must know every worker whose progress it may have to wait for */
	atomic_fetch_add_explicit(&e->nseeded, 1, memory_order_acq_rel);
	while (atomic_load_explicit(&e->nseeded, memory_order_acquire) < e->n)
		sched_yield();
	wk_check_rules(w);
	while (w->cap) {
		uint64_t key;
		unsigned kind;

		if ((++iter & 1023) == 0 && atomic_load_explicit(&e->stop, memory_order_relaxed))
			break;
		rc = cap_reader_next(w->cap, &ce);
		if (rc <= 0)
			break;
		key = w->scan;
		kind = ce.hdr->type < EVT_TYPE_MAX ? eng_tt[ce.hdr->type].kind : TM_NONE;
		if (kind != TM_NONE) {
			uint64_t v = wk_tm_event(w, ce.hdr, ce.len), tgid = v ? m_tgid(v) : ce.hdr->tid;
			unsigned owner = wk_owner_of(w, v, ce.hdr->tid);

			w->c_valid = false;
			chg_note_tm(w, ce.hdr, ce.len, tgid);
			if (owner != w->id) {
				if (kind == TM_CLONE)
					wk_foreign(w, ce.hdr, ce.len, key);
				else if (kind == TM_EXEC && e->o.part == ENG_PART_TID)
					wk_held(w, ce.hdr, ce.len, key, tgid);
				continue;
			}
		} else if (!w->c_own) {
			/* kept by the filter for a group w holds (tid partitions) */
			wk_held(w, ce.hdr, ce.len, key, w->c_tgid ? w->c_tgid : ce.hdr->tid);
			continue;
		}
		proc_worker_set_key(w->pw, key);
		wk_event(w, ce.hdr, ce.len, ce.cpu, key);
		/* every 1024 keys (~0.1 ms): a quiescent state reads every
		 * worker's progress line, a cache miss each time another worker
		 * wrote it; every 64 keys it was 1.5% of a 2-worker replay's time */
		if (key - last_q >= 1024) {
			proc_worker_quiescent(w->pw);
			wk_check_rules(w);
			last_q = key;
		}
	}
	if (rc < 0)
		wk_replay_fail(w, rc, cap_reader_error(w->cap)->msg);
	if (w->id == 0) {
		atomic_store_explicit(&e->reader_events, w->scan, memory_order_relaxed);
		atomic_store_explicit(&e->first_ts, w->first_ts, memory_order_relaxed);
		if (w->cap)
			atomic_store_explicit(&e->last_ts, cap_reader_stats(w->cap)->last_ts,
					      memory_order_relaxed);
	}
	wk_exit(w);
	if (w->pw) {
		proc_worker_progress(w->pw, UINT64_MAX);
		proc_worker_quiescent(w->pw);
		proc_worker_unregister(w->pw);
	}
	w->pw = NULL;
	return NULL;
}

/* The cpu layout: one thread reads and evaluates inline, no queue. */
static void *rd_inline_main(void *arg)
{
	struct eng *e = arg;
	struct eng_worker *w = &e->w[0];
	struct cap_event ce;
	uint64_t num = 0;
	int rc = 0;

	w->pw = proc_worker_register(e->pt);
	if (!w->pw) {
		wk_replay_fail(w, -errno, "");
		wk_exit(w);
		return NULL;
	}
	proc_state_from_capture(w->pw, cap_reader_tables(e->cap), NULL, NULL);
	wk_check_rules(w);
	while (!atomic_load_explicit(&e->stop, memory_order_relaxed)) {
		rc = cap_reader_next(e->cap, &ce);
		if (rc <= 0)
			break;
		if (++num == 1) {
			w->first_ts = ce.hdr->ts;
			atomic_store_explicit(&e->first_ts, ce.hdr->ts, memory_order_relaxed);
		}
		atomic_store_explicit(&e->last_ts, ce.hdr->ts, memory_order_relaxed);
		proc_worker_set_key(w->pw, num);
		/* the same purge points as the shared scan */
		if ((num & (ENG_PURGE_EVERY - 1)) == 0)
			proc_worker_purge(w->pw, ce.hdr->ts, PROC_PURGE_ALL);
		wk_event(w, ce.hdr, ce.len, ce.cpu, num);
		if ((num & 63) == 0) {
			proc_worker_quiescent(w->pw);
			wk_check_rules(w);
			atomic_store_explicit(&e->reader_events, num, memory_order_relaxed);
		}
	}
	atomic_store_explicit(&e->reader_events, num, memory_order_relaxed);
	if (rc < 0)
		wk_replay_fail(w, rc, cap_reader_error(e->cap)->msg);
	wk_exit(w);
	proc_worker_unregister(w->pw);
	w->pw = NULL;
	return NULL;
}

/* ---- live ---- */

uint32_t eng_syscalls_for(const struct rule_ruleset *rs, uint32_t *nr, uint32_t max)
{
	const uint32_t state = EVT_FLAG_CREATES_FD | EVT_FLAG_DESTROYS_FD | EVT_FLAG_MODIFIES_STATE;
	uint32_t nh, n = 0;
	const struct prb_syscall *h = prb_syscalls(&nh);

	for (uint32_t i = 0; i < nh && n < max; i++) {
		bool need = false;

		for (int dir = 0; dir < 2 && !need; dir++) {
			int t = evt_type_by_name(h[i].name, dir == 0);
			const struct evt_info *ei = t < 0 ? NULL : evt_info((uint16_t)t);

			/* proc_event_type_shapes: setns/unshare (caps), setpgid
			 * (vpgid) change state without the libs flags saying so */
			need = ei && ((ei->flags & state) || proc_event_type_shapes((uint16_t)t) ||
				      (rs && rule_ruleset__nrules_for_type(rs, (uint16_t)t) > 0));
		}
		if (need)
			nr[n++] = h[i].nr;
	}
	return n;
}

static int wk_live_event(void *ctx, const void *ev, size_t len)
{
	struct eng_worker *w = ctx;
	uint64_t ts = len >= sizeof(uint64_t) ? ((const struct evt_hdr *)ev)->ts : 0;
	/* the ring: the cpu in the cpu layout, the partition otherwise */
	uint16_t ring = (uint16_t)(w->merge ? prb_merge__ring(w->merge) : w->id);

	/* keys of one worker never decrease; rings are only nearly time-ordered */
	if (ts > w->live_key)
		w->live_key = ts;
	if (w->e->rec)
		rec_put_sp(w->e->rec, w->id, ev, (uint32_t)len, ring);
	proc_worker_set_key(w->pw, w->live_key ? w->live_key : 1);
	wk_event(w, ev, (uint32_t)len, ring, ++w->live_num);
	return 0;
}

static int wk_live_poll(struct eng_worker *w, int timeout_ms)
{
	return w->merge ? prb_merge__poll(w->merge, timeout_ms) : prb_ring__poll(w->ring, timeout_ms);
}

static int wk_live_consume(struct eng_worker *w)
{
	return w->merge ? prb_merge__consume(w->merge) : prb_ring__consume(w->ring);
}

static void *wk_live_main(void *arg)
{
	struct eng_worker *w = arg;
	struct eng *e = w->e;
	struct wk_owns own = {e, w->id};

	w->pw = proc_worker_register(e->pt);
	if (!w->pw) {
		w->err = -errno;
		if (e->rec)
			rec_done_sp(e->rec, w->id);
		wk_exit(w);
		return NULL;
	}
	proc_state_from_procfs(w->pw, "/proc", wk_owns_fn, &own);
	wk_check_rules(w);
	while (!atomic_load_explicit(&e->stop, memory_order_acquire)) {
		int rc;

		proc_worker_offline(w->pw);
		rc = wk_live_poll(w, 100);
		proc_worker_online(w->pw);
		if (rc < 0 && rc != -EINTR) {
			w->err = rc;
			break;
		}
		if (e->rec)
			rec_publish_sp(e->rec, w->id);
		proc_worker_quiescent(w->pw);
		wk_check_rules(w);
	}
	/* drain: eng_stop detached the probe before it set stop, so what the
	 * rings hold now is all there will be */
	for (int i = 0; i < 1000 && wk_live_consume(w) > 0; i++)
		proc_worker_quiescent(w->pw);
	if (e->rec)
		rec_done_sp(e->rec, w->id);
	proc_worker_quiescent(w->pw);
	wk_exit(w);
	proc_worker_unregister(w->pw);
	w->pw = NULL;
	return NULL;
}

/* Select the syscalls ruleset @rs needs in the probe (all with -A). */
static int eng_select(struct eng *e, const struct rule_ruleset *rs)
{
	uint32_t sel[PRB_NSYSCALLS], n, nh;
	const struct prb_syscall *h = prb_syscalls(&nh);
	int rc = 0;

	if (e->o.all_syscalls) {
		e->nsel = nh;
		return prb_set_all(e->prb, true);
	}
	n = eng_syscalls_for(rs, sel, PRB_NSYSCALLS);
	for (uint32_t i = 0; i < nh && !rc; i++) {
		bool on = false;

		for (uint32_t k = 0; k < n && !on; k++)
			on = sel[k] == h[i].nr;
		rc = prb_set_syscall(e->prb, h[i].nr, on);
	}
	e->nsel = n;
	return rc;
}

size_t eng_probe_warning(const struct eng *e, char *buf, size_t len)
{
	char names[512];
	uint32_t n = e->prb ? prb_missing(e->prb, names, sizeof(names)) : 0;

	if (len)
		buf[0] = '\0';
	if (!n || !len)
		return 0;
	return (size_t)snprintf(buf, len,
				"this kernel has no tracepoint for %u selected syscall%s (%s): with "
				"engine.probe_hook=syscall an attempt to call %s (ENOSYS) is not "
				"seen",
				n, n == 1 ? "" : "s", names, n == 1 ? "it" : "them");
}

/* The machine facts and initial tables of a recording, and the recorder. */
static int eng_record_open(struct eng *e, char *err, size_t errlen)
{
	struct cap_machine mi;
	struct cap_tables t;
	struct rec_opts ro = {.path = e->o.record_path, .nprod = e->n,
			      .wflags = e->o.record_flags};
	long pages = sysconf(_SC_PHYS_PAGES), psz = sysconf(_SC_PAGESIZE);
	FILE *f;
	int rc;

	memset(&mi, 0, sizeof(mi));
	mi.num_cpus = (uint32_t)sysconf(_SC_NPROCESSORS_ONLN);
	mi.memory_bytes = pages > 0 && psz > 0 ? (uint64_t)pages * (uint64_t)psz : 0;
	mi.max_pid = 32768;
	if ((f = fopen("/proc/sys/kernel/pid_max", "re"))) {
		unsigned long long v;

		if (fscanf(f, "%llu", &v) == 1)
			mi.max_pid = v;
		fclose(f);
	}
	snprintf(mi.hostname, sizeof(mi.hostname), "%s", e->hostname);
	mi.boot_ts = prb_boot_epoch_ns();
	/* read after the probe attached: a process born in between is in
	 * both the tables and the stream, never in neither */
	rc = proc_host_tables("/proc", "/etc/passwd", "/etc/group", &t, NULL);
	if (rc < 0) {
		snprintf(err, errlen, "%s: reading /proc for the initial tables: %s",
			 e->o.record_path, strerror(-rc));
		return rc;
	}
	e->rec = rec_open(&ro, &mi, &t, err, errlen);
	cap_tables_release(&t);
	return e->rec ? 0 : -errno;
}

/* ---- lifecycle ---- */

struct eng *eng_new(const struct eng_opts *o, struct rule_ruleset *rs, struct out *out)
{
	struct eng *e = calloc(1, sizeof(*e));
	long ncpu;

	if (!e)
		return NULL;
	e->o = *o;
	e->out = out;
	e->raw_fd = -1;
	eng_types_init();
	ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	e->n = o->workers ? o->workers : (unsigned)(ncpu > 0 ? ncpu : 1);
	if (o->part == ENG_PART_CPU)
		e->n = 1;
	if (e->n > ENG_MAX_WORKERS)
		e->n = ENG_MAX_WORKERS;
	pthread_mutex_init(&e->names_lock, NULL);
	pthread_mutex_init(&e->done_lock, NULL);
	{
		pthread_condattr_t ca;

		pthread_condattr_init(&ca);
		pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
		pthread_cond_init(&e->done_cond, &ca);
		pthread_condattr_destroy(&ca);
	}
	atomic_init(&e->rs, rs);
	atomic_init(&e->gen, 1);
	{
		struct proc_config pc = {.max_workers = 2 * ENG_MAX_WORKERS};

		e->pt = proc_table_new(&pc);
	}
	e->w = calloc(e->n, sizeof(*e->w));
	if (!e->pt || !e->w)
		goto out_fail;
	for (unsigned i = 0; i < e->n; i++) {
		struct eng_worker *w = &e->w[i];

		w->e = e;
		w->id = i;
		w->cnt = aligned_alloc(CL, sizeof(*w->cnt));
		w->hits = aligned_alloc(CL, ENG_MAX_RULES * sizeof(*w->hits));
		w->names = calloc(ENG_MAX_RULES, sizeof(*w->names));
		if (!w->cnt || !w->hits || !w->names)
			goto out_fail;
		memset(w->cnt, 0, sizeof(*w->cnt));
		memset((void *)w->hits, 0, ENG_MAX_RULES * sizeof(*w->hits));
	}
	return e;
out_fail:
	eng_free(e);
	errno = ENOMEM;
	return NULL;
}

unsigned eng_workers(const struct eng *e)
{
	return e->n;
}

static int eng_spawn(struct eng *e, void *(*fn)(void *), char *err, size_t errlen)
{
	atomic_store(&e->nrunning, (int)e->n);
	for (unsigned i = 0; i < e->n; i++)
		atomic_store(&e->w[i].cnt->running, 1);
	for (unsigned i = 0; i < e->n; i++) {
		int rc = pthread_create(&e->w[i].thread, NULL, fn, &e->w[i]);

		if (rc) {
			snprintf(err, errlen, "can not start worker %u: %s", i, strerror(rc));
			/* the ones started see the stop flag (or their closed ring) */
			for (unsigned j = i; j < e->n; j++) {
				atomic_store(&e->w[j].cnt->running, 0);
				atomic_fetch_sub(&e->nrunning, 1);
			}
			return -rc;
		}
		e->w[i].started = true;
	}
	return 0;
}

int eng_start_replay(struct eng *e, const char *path, char *err, size_t errlen)
{
	struct cap_error ce = {0};
	const struct cap_machine *mi;
	int rc;

	e->raw_fd = cap_raw_fd(path, &ce);
	if (e->raw_fd < 0) {
		rc = e->raw_fd;
		snprintf(err, errlen, "%s: %s", path, ce.msg[0] ? ce.msg : strerror(-rc));
		return rc;
	}
	e->cap = cap_reader_open_fd(e->raw_fd, &ce);
	if (!e->cap) {
		snprintf(err, errlen, "%s: %s", path, ce.msg[0] ? ce.msg : strerror(errno));
		return ce.err ? ce.err : -errno;
	}
	mi = cap_reader_machine(e->cap);
	if (mi)
		snprintf(e->hostname, sizeof(e->hostname), "%s", mi->hostname);
	if (e->o.part == ENG_PART_CPU) {
		atomic_store(&e->nrunning, 1);
		atomic_store(&e->w[0].cnt->running, 1);
		rc = pthread_create(&e->reader, NULL, rd_inline_main, e);
		if (rc) {
			snprintf(err, errlen, "can not start the reader: %s", strerror(rc));
			return -rc;
		}
		e->reader_started = true;
		return 0;
	}
	/* exact AS OF reads: a read waits for the owner's progress */
	proc_table_set_wait(e->pt, 1);
	rc = eng_spawn(e, wk_replay_main, err, errlen);
	if (rc < 0) {
		atomic_store(&e->stop, 1);
		/* the ones started wait for the others' seeding: count them in */
		atomic_store(&e->nseeded, e->n);
	}
	return rc;
}

int eng_start_live(struct eng *e, char *err, size_t errlen)
{
	struct prb_opts po;
	uint32_t sel[PRB_NSYSCALLS], nh;
	char warn[768];
	int rc;

	if (gethostname(e->hostname, sizeof(e->hostname) - 1) < 0)
		strcpy(e->hostname, "localhost");
	/* user.name and group.name of a live host: its own account files (a
	 * missing file leaves names empty; it is not fatal) */
	err[0] = '\0';
	rc = proc_users_load(e->pt, "/etc/passwd", "/etc/group");
	if (rc < 0)
		snprintf(err, errlen, "warning: reading /etc/passwd, /etc/group: %s (user and "
				      "group names will be empty)", strerror(-rc));
	prb_opts_default(&po);
	po.n_rings = e->n;
	if (e->o.part == ENG_PART_CPU) {
		/* the reference layout: a ring per cpu the kernel may run on */
		int ncpu = prb_possible_cpus();

		if (ncpu <= 0 || (unsigned)ncpu > PRB_MAX_RINGS) {
			snprintf(err, errlen, "--partition cpu: %d possible cpus (1..%u supported)",
				 ncpu, PRB_MAX_RINGS);
			return -EINVAL;
		}
		po.n_rings = (uint32_t)ncpu;
	}
	if (e->o.ring_bytes)
		po.ring_bytes = e->o.ring_bytes;
	po.part = e->o.part == ENG_PART_TID ? PRB_PART_TID
		  : e->o.part == ENG_PART_CPU ? PRB_PART_CPU
					      : PRB_PART_TGID;
	po.err = err;
	po.errlen = errlen;
	po.all_syscalls = e->o.all_syscalls;
	po.hook = e->o.syscall_hook ? PRB_HOOK_SYSCALL : PRB_HOOK_RAW;
	po.syscalls = sel;
	po.n_syscalls = eng_syscalls_for(atomic_load(&e->rs), sel, PRB_NSYSCALLS);
	e->nsel = po.all_syscalls ? (prb_syscalls(&nh), nh) : po.n_syscalls;
	e->prb = prb_open(&po);
	if (!e->prb)
		return -errno;
	if (eng_probe_warning(e, warn, sizeof(warn))) { /* after any warning in err */
		size_t at = strlen(err);

		snprintf(err + at, errlen - at, "%s%s", at ? "; " : "", warn);
	}
	/* an event of a tid no clone introduced: read it from /proc */
	proc_table_set_procfs(e->pt, "/proc");
	if (e->o.record_path) {
		rc = eng_record_open(e, err, errlen);
		if (rc < 0)
			return rc;
	}
	if (e->o.part == ENG_PART_CPU) {
		e->w[0].merge = prb_merge__new(e->prb, wk_live_event, &e->w[0]);
		if (!e->w[0].merge) {
			rc = -errno;
			snprintf(err, errlen, "live: cannot map the rings: %s", strerror(errno));
			return rc;
		}
		return eng_spawn(e, wk_live_main, err, errlen);
	}
	for (unsigned i = 0; i < e->n; i++) {
		e->w[i].ring = prb_ring__new(e->prb, i, wk_live_event, &e->w[i]);
		if (!e->w[i].ring) {
			rc = -errno;
			snprintf(err, errlen, "ring %u: %s", i, strerror(errno));
			return rc;
		}
	}
	return eng_spawn(e, wk_live_main, err, errlen);
}

void eng_stop(struct eng *e)
{
	/* no event is written after the detach: the workers' drain is final */
	prb_detach(e->prb);
	atomic_store_explicit(&e->stop, 1, memory_order_release);
}

bool eng_done(const struct eng *e)
{
	return atomic_load(&((struct eng *)e)->nrunning) <= 0;
}

void eng_wait(struct eng *e, unsigned ms)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	ts.tv_sec += ms / 1000;
	ts.tv_nsec += (long)(ms % 1000) * 1000000L;
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&e->done_lock);
	while (!eng_done(e) &&
	       pthread_cond_timedwait(&e->done_cond, &e->done_lock, &ts) != ETIMEDOUT)
		;
	pthread_mutex_unlock(&e->done_lock);
}

int eng_join(struct eng *e, char *err, size_t errlen)
{
	if (e->reader_started) {
		pthread_join(e->reader, NULL);
		e->reader_started = false;
	}
	for (unsigned i = 0; i < e->n; i++) {
		if (e->w[i].started) {
			pthread_join(e->w[i].thread, NULL);
			e->w[i].started = false;
		}
	}
	if (e->rec) {
		char rerr[512];
		int rc = rec_close(e->rec, 1000, &e->rec_st, rerr, sizeof(rerr));

		e->rec = NULL;
		if (rc < 0) {
			snprintf(err, errlen, "%s", rerr);
			return rc;
		}
	}
	if (atomic_load(&e->reader_err)) {
		int re = atomic_load(&e->reader_err);

		snprintf(err, errlen, "%s", e->reader_msg[0] ? e->reader_msg : strerror(-re));
		return re;
	}
	for (unsigned i = 0; i < e->n; i++) {
		if (e->w[i].err) {
			snprintf(err, errlen, "worker %u: %s", i, strerror(-e->w[i].err));
			return e->w[i].err;
		}
	}
	return 0;
}

int eng_swap_rules(struct eng *e, struct rule_ruleset *rs)
{
	struct rule_ruleset *old = atomic_load(&e->rs);
	uint64_t gen;
	struct timespec ts = {0, 2 * 1000000L};

	atomic_store_explicit(&e->rs, rs, memory_order_release);
	gen = atomic_fetch_add_explicit(&e->gen, 1, memory_order_acq_rel) + 1;
	/* live: the new rules may meet other syscalls (added ones may be seen
	 * a moment before the workers switch; the old rules ignore them) */
	if (e->prb)
		eng_select(e, rs);
	for (unsigned tries = 0; tries < 5000; tries++) {
		bool all = true;

		for (unsigned i = 0; i < e->n; i++) {
			struct wk_counters *c = e->w[i].cnt;

			if (atomic_load_explicit(&c->running, memory_order_acquire) &&
			    atomic_load_explicit(&c->gen, memory_order_acquire) < gen)
				all = false;
		}
		if (all) {
			pthread_mutex_lock(&e->names_lock);
			for (unsigned i = 0; i < e->n; i++) {
				if (atomic_load(&e->w[i].cnt->running))
					continue;
				/* an exited worker never switched: forget its counts */
				for (uint32_t r = 0; r < ENG_MAX_RULES; r++)
					atomic_store(&e->w[i].names[r], NULL);
			}
			rule_ruleset_free(old);
			pthread_mutex_unlock(&e->names_lock);
			return 0;
		}
		nanosleep(&ts, NULL);
	}
	return -ETIMEDOUT;
}

const struct rule_ruleset *eng_rules(const struct eng *e)
{
	return atomic_load(&((struct eng *)e)->rs);
}

void eng_stats(const struct eng *e, struct eng_stats *st)
{
	memset(st, 0, sizeof(*st));
	st->nworkers = e->n;
	for (unsigned i = 0; i < e->n; i++) {
		struct eng_worker_stats *ws = &st->w[i];
		const struct wk_counters *c = e->w[i].cnt;

		ws->events = atomic_load_explicit(&c->events, memory_order_relaxed);
		ws->rejected = atomic_load_explicit(&c->rejected, memory_order_relaxed);
		ws->matches = atomic_load_explicit(&c->matches, memory_order_relaxed);
		ws->alert_drops = e->out ? out_producer_drops(e->out, i) : 0;
		/* worker i reads ring i, or, in the cpu layout, all of them */
		for (uint32_t r = i; e->prb && r < prb_n_rings(e->prb);
		     r += e->o.part == ENG_PART_CPU ? 1 : prb_n_rings(e->prb)) {
			struct prb_ring_counters rc;

			if (prb_counters(e->prb, r, &rc) == 0) {
				ws->kernel_events += rc.events;
				ws->kernel_drops += rc.drops + rc.clobbered;
			}
		}
		st->events += ws->events;
		st->matches += ws->matches;
		st->kernel_events += ws->kernel_events;
		st->kernel_drops += ws->kernel_drops;
		st->alert_drops += ws->alert_drops;
	}
	if (e->rec) {
		struct rec_stats rs;

		rec_stats(e->rec, &rs);
		st->record_written = rs.written;
		st->record_drops = rs.dropped;
		st->record_late = rs.late;
	} else {
		st->record_written = e->rec_st.written;
		st->record_drops = e->rec_st.dropped;
		st->record_late = e->rec_st.late;
	}
	st->nsyscalls = e->nsel;
	_Static_assert(ENG_DROP_NCAT == PRB_DROP_NCAT, "drop categories");
	if (e->prb)
		prb_drops_by_category(e->prb, st->kernel_drops_by);
	st->reader_events = atomic_load_explicit(&e->reader_events, memory_order_relaxed);
	st->oversize = atomic_load_explicit(&e->oversize, memory_order_relaxed);
	st->first_ts = atomic_load_explicit(&e->first_ts, memory_order_relaxed);
	st->last_ts = atomic_load_explicit(&e->last_ts, memory_order_relaxed);
}

uint64_t eng_rule_hits(const struct eng *e, uint32_t index)
{
	uint64_t n = 0;

	if (index >= ENG_MAX_RULES)
		return 0;
	for (unsigned i = 0; i < e->n; i++)
		n += atomic_load_explicit(&e->w[i].hits[index], memory_order_relaxed);
	return n;
}

void eng_rule_hits_foreach(struct eng *e, void (*fn)(void *arg, const char *rule, uint64_t n),
			   void *arg)
{
	pthread_mutex_lock(&e->names_lock);
	for (uint32_t r = 0; r < ENG_MAX_RULES; r++) {
		const char *name = NULL;

		for (unsigned i = 0; i < e->n && !name; i++)
			name = atomic_load_explicit(&e->w[i].names[r], memory_order_relaxed);
		if (name)
			fn(arg, name, eng_rule_hits(e, r));
	}
	pthread_mutex_unlock(&e->names_lock);
}

struct proc_table *eng_proc_table(const struct eng *e)
{
	return e->pt;
}

void eng_free(struct eng *e)
{
	if (!e)
		return;
	if (e->w) {
		for (unsigned i = 0; i < e->n; i++) {
			prb_ring__free(e->w[i].ring);
			prb_merge__free(e->w[i].merge);
			cap_reader_close(e->w[i].cap);
			u64map_free(&e->w[i].m);
			u64map_free(&e->w[i].chg);
			free(e->w[i].cnt);
			free((void *)e->w[i].hits);
			free((void *)e->w[i].names);
		}
	}
	if (e->rec) { /* started, never joined: the workers never ran */
		char rerr[512];

		rec_close(e->rec, 0, &e->rec_st, rerr, sizeof(rerr));
	}
	prb_close(e->prb);
	free(e->w);
	rule_ruleset_free(atomic_load(&e->rs));
	proc_table_destroy(e->pt);
	cap_reader_close(e->cap);
	pthread_cond_destroy(&e->done_cond);
	pthread_mutex_destroy(&e->done_lock);
	if (e->raw_fd >= 0)
		close(e->raw_fd);
	free(e);
}
