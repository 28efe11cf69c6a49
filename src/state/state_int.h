/*
 * state_int.h - internals of the thread/process table shared by the files of
 * src/state/ (table.c, fd.c, users.c, container.c, container_rt.c). Nothing
 * here is part of the module's interface.
 *
 * Field groups in each struct are marked with who reads and writes them:
 *   [ro]    immutable once published (any worker reads, plain loads are fine
 *           after the acquire that found the object)
 *   [at]    written by the owner with atomic stores, read by any worker with
 *           atomic loads (LD/ST below)
 *   [owner] touched by the owner only, kept on their own cache line so the
 *           owner's per-event writes never invalidate a line readers use
 */
#ifndef PG_STATE_STATE_INT_H
#define PG_STATE_STATE_INT_H

#include <pthread.h>
#include <stdalign.h>

#include <urcu-qsbr.h>
#include <urcu/rculfhash.h>
#include <urcu/list.h>

#include "lib/u64map.h"
#include "state/state.h"

#define CACHELINE 64

/* Relaxed atomic load/store of an aligned scalar; acquire/release variants
 * publish and consume pointers (rcu_assign_pointer / rcu_dereference). */
#define LD(x)	      __atomic_load_n(&(x), __ATOMIC_RELAXED)
#define ST(x, v)      __atomic_store_n(&(x), (v), __ATOMIC_RELAXED)
#define LD_ACQ(x)     __atomic_load_n(&(x), __ATOMIC_ACQUIRE)
#define ST_REL(x, v)  __atomic_store_n(&(x), (v), __ATOMIC_RELEASE)

/*
 * ThreadSanitizer cannot see liburcu's grace periods (inline asm, futexes in
 * an uninstrumented library), so it would report every free after a grace
 * period as a race with the readers. Each quiescent state "releases" a token
 * and each RCU callback "acquires" it before freeing: that is exactly the
 * ordering a grace period guarantees, told to TSan.
 */
#if defined(__SANITIZE_THREAD__)
#include <sanitizer/tsan_interface.h>
extern char proc_tsan_gp_token;
#define TSAN_QS() __tsan_release(&proc_tsan_gp_token)
#define TSAN_GP() __tsan_acquire(&proc_tsan_gp_token)
#else
#define TSAN_QS() ((void)0)
#define TSAN_GP() ((void)0)
#endif

extern int proc_poison; /* fill freed objects (proc_config.poison) */

/* Free after poisoning when asked to (tests check readers never see poison). */
void proc_free_poisoned(void *p, size_t size);

/* Per-worker counters, summed by proc_table_stats. */
struct proc_counters {
#define PROC_CNT_FIELD(name, desc) uint64_t name;
	PROC_STATS(PROC_CNT_FIELD)
#undef PROC_CNT_FIELD
};

/* Only the worker increments its counters: a plain load+store, atomic only so
 * that a concurrent proc_table_stats is not a data race. No lock prefix. */
#define CNT_ADD(w, name, n) ST((w)->cnt.name, LD((w)->cnt.name) + (n))
#define CNT_INC(w, name)    CNT_ADD(w, name, 1)

/* The owner's lists (a thread is on exactly one of live/pending/tombs). */
#define PROC_TCACHE 1024      /* own threads a worker remembers by tid (table.c) */
#define PROC_FD_CLASSES 8     /* fd entries up to 8 x 64 bytes are recycled */
#define PROC_FD_CACHE_MAX 256 /* entries kept per class and worker */

struct proc_worker {
	struct proc_counters cnt; /* [at] written by this worker only */
	struct proc_table *t;
	unsigned id;
	int registered; /* [at] */
	uint64_t key;	/* [owner] order key of the event being applied; 0 = unkeyed */
	uint64_t pub;	/* [owner] last value stored into progress */
	unsigned stride; /* [owner] set_key calls since the last publication */
	struct cds_list_head versions; /* [owner] versions whose prev is kept, by key */
	uint64_t (*hint)(void *ctx, uint64_t tid); /* [owner] see proc_worker_set_hint */
	void *hint_ctx;
	/* [owner] */
	struct cds_list_head live;    /* LIVE threads, purge rotates through it */
	struct cds_list_head pending; /* EXITING threads, entombed at quiescence */
	struct cds_list_head tombs;   /* TOMB threads, oldest first */
	struct cds_list_head procs;   /* processes owned */
	uint64_t ntombs;	      /* [at] gauge */
	uint64_t credit;	      /* [at] budget slots reserved but unused */
	uint64_t upd[PROC_UPD_NCOUNTERS]; /* [at] update.c's counters (PROC_UPD_STATS) */
	struct cds_list_head forks;   /* [owner] fd snapshots it published, by key (fdshare.c) */
	struct u64map replicas;	      /* [owner] tgid -> its replica proc_process (tid partitions) */
	/* [owner] fd entries freed by this worker, kept for its next opens:
	 * lists by size class (64-byte steps), linked through their first
	 * word (fd.c). Only the owner allocates and frees a table's entries. */
	struct proc_fd *fd_free[PROC_FD_CLASSES];
	uint32_t fd_nfree[PROC_FD_CLASSES];
	/* [owner] threads it owns that it looked up lately, by tid hash, so
	 * that an event's own thread usually costs no index lookup
	 * (proc_thread_lookup_own). Kept across quiescent states: a thread
	 * record is freed only by its owner, which forgets its tid first
	 * (tomb_expire; thread_publish when it replaces it), so a remembered
	 * pointer stays valid; one another worker replaced in the index is
	 * told by its node's deleted mark. thr NULL: an empty entry. */
	struct proc_tcache {
		uint64_t tid;
		struct proc_thread *thr;
	} tc[PROC_TCACHE];
	/* release by this worker, acquire by any: every event this worker owns
	 * with a key below it has been applied (see "AS OF" in state.h) */
	alignas(CACHELINE) uint64_t progress;
} __attribute__((aligned(CACHELINE)));

/*
 * One version of a group of process attributes (image, cwd, ids). The
 * owner publishes a new version with key_from = its current key and keeps
 * the replaced one behind prev until every worker's progress has passed
 * key_from (no reader at a key <= key_from can exist any more); then it cuts
 * prev and frees the old chain after a grace period.
 */
enum { PROC_VER_IMAGE = 1, PROC_VER_CWD, PROC_VER_IDS };

struct proc_ver {
	struct rcu_head rcu;
	struct proc_ver *prev;	     /* release/acquire; NULL once reclaimed */
	uint64_t key_from;	     /* [ro] key of the event that made it */
	struct cds_list_head rlink;  /* [owner] on w->versions while prev is kept */
	uint32_t kind;		     /* [ro] PROC_VER_* (how to free it) */
};

#define PROC_FD_DELETED ((struct proc_fd *)1) /* a removed slot (fd.c) */

/* fds below this are indexed directly (fd.c); others, rare, are hashed */
#define PROC_FD_DENSE_MAX (1u << 15)

struct proc_fdtable {
	struct proc_fd **dense; /* dense[fd] for 0 <= fd < dcap; NULL: not open */
	uint32_t dcap;		/* power of two, 0 = none */
	uint32_t n;		/* live entries, both parts */
	struct proc_fd **slot;	/* the other fds: open addressing, linear probing */
	uint32_t cap;		/* power of two, 0 = empty */
	uint32_t sn;		/* live entries in slot */
	uint32_t used;		/* live + deleted markers in slot */
	/* A fork across partitions whose inherited fds are not copied yet
	 * (fdshare.c, "lazy"): the snapshot (pend_tid, pend_key) of worker
	 * pend_owner lies under the table's own entries; gone lists the fds
	 * closed since the fork, cloexec says an exec closed the inherited
	 * close-on-exec ones. */
	uint8_t pend, pend_cloexec;
	unsigned pend_owner;
	uint64_t pend_tid, pend_key;
	int64_t *gone;
	uint32_t ngone, capgone;
};

/* The cwd string: immutable, replaced whole on chdir. */
struct proc_cwd {
	struct proc_ver v;
	uint32_t len;
	char s[];
};

/* An image and the storage its strings point into, one allocation. */
struct proc_image_box {
	struct proc_ver v;
	size_t size;
	struct proc_image img;
	char blob[];
};

/* Scalars that change alone (setresuid, setsid, ...) and that a clone
 * child inherits from its parent across partitions: versioned together. */
struct proc_ids {
	struct proc_ver v;
	uint64_t ptid; /* [at] the owner may settle a re-parent in place */
	uint64_t uids; /* uid | euid << 32: setresuid sets both at once */
	uint64_t gids; /* gid | egid << 32 */
	uint32_t loginuid, sid, vpgid, tty;
};

struct proc_process {
	/* [ro] */
	uint64_t tgid;
	unsigned owner;
	uint64_t key_from; /* key of the event that made it (0 = unkeyed) */
	uint8_t replica;   /* another worker owns the group's leader (see "Replicas") */
	/* [at] */
	uint64_t vpid;
	uint64_t clone_ts;
	struct proc_ids *ids;	    /* release/acquire, versioned */
	struct proc_image_box *img; /* release/acquire, versioned */
	struct proc_cwd *cwd;	    /* release/acquire, versioned */
	/* [owner] */
	alignas(CACHELINE) struct cds_list_head threads; /* its threads (plink) */
	struct cds_list_head olink;			 /* worker's procs list */
	uint32_t nthreads; /* threads not yet entombed */
	struct proc_fdtable fds;
	struct rcu_head rcu;
};

struct proc_thread {
	/* [ro] after publication; node is liburcu's */
	struct cds_lfht_node node;
	uint64_t tid; /* the key: stored with release before insertion */
	unsigned owner;
	/* [at] */
	uint32_t state;		    /* enum proc_thread_state */
	uint32_t placeholder;	    /* created without a clone */
	uint64_t vtid;
	uint64_t clone_ts;
	uint64_t reaper;	    /* set at exit */
	uint64_t dead_ts;	    /* set at exit */
	uint64_t key_from;	    /* [ro] key of the event that created it (0 = unkeyed) */
	uint64_t dead_key;	    /* key of its exit; 0 = alive (or exited unkeyed) */
	struct proc_process *proc;  /* release/acquire; NULL once a tomb */
	/* [owner] */
	alignas(CACHELINE) uint64_t last_ts;
	struct cds_list_head olink; /* one of the worker's lists */
	struct cds_list_head plink; /* process's thread list */
	struct rcu_head rcu;
};

struct proc_users; /* users.c */
struct ctr_snap;   /* container_rt.c */

struct proc_table {
	struct cds_lfht *index;
	struct cds_lfht *forks; /* fd snapshots for clone children (fdshare.c) */
	uint32_t max_threads, max_workers, max_tombs, chunk;
	uint64_t purge_idle_ns, tomb_ttl_ns;
	int wait; /* [ro] reads wait for the owner's progress (replay) */
	const char *procfs; /* [ro] live: where unknown tids are read (NULL: nowhere) */
	alignas(CACHELINE) uint64_t reserved; /* budget slots handed to workers */
	alignas(CACHELINE) uint32_t nworkers;
	struct proc_users *users;  /* release/acquire */
	pthread_mutex_t users_lock; /* serialises user/group writers */
	struct ctr_snap *ctr;	    /* release/acquire: container metadata */
	pthread_mutex_t ctr_lock;   /* serialises container metadata writers */
	/* a short id (as ctr_key) a worker missed, 0 = none: written by a worker
	 * only when 0, cleared by the client; alone on its line */
	alignas(CACHELINE) uint64_t ctr_want;
	alignas(CACHELINE) char ctr_pad_;
	struct proc_worker *workers; /* max_workers, each on its own lines */
};

/* table.c, for fdshare.c: w's own live thread tid as w sees it at its key
 * (NULL: unknown, exited before the key, or another worker's); wait until
 * worker `owner` has applied every event it owns below key. */
struct proc_thread *proc_owned_thread(struct proc_worker *w, uint64_t tid);
void proc_wait_progress(struct proc_worker *w, unsigned owner, uint64_t key);
/* proc_thread_lookup for a tid whose events w applies: the same answer,
 * from w's cache of its own threads when it can (see proc_worker.tc). */
struct proc_thread *proc_thread_lookup_own(struct proc_worker *w, uint64_t tid);

/*
 * fdshare.c: a clone child's fds when its parent's process is another
 * worker's (state.h, "Fork across partitions"). A snapshot is one
 * immutable allocation: the header, then nfds packed entries, each a
 * struct proc_fd with its name, 8-byte aligned.
 */
struct proc_fdsnap {
	struct cds_lfht_node node;  /* in proc_table.forks, hashed by child_tid */
	struct rcu_head rcu;
	struct cds_list_head olink; /* [owner] publisher's forks list */
	uint64_t taken;		    /* [at] the child's owner is done with it */
	uint64_t child_tid;	    /* [ro] */
	uint64_t key;		    /* [ro] the child-side clone exit's key */
	uint32_t nfds;		    /* [ro] */
	size_t size;		    /* [ro] bytes of the whole allocation */
	alignas(8) unsigned char ents[];
};

/* The parent's owner, at the child-side clone exit's key: publish p's fds
 * for child_tid. 0 / -ENOMEM. */
int proc_fdshare_publish(struct proc_worker *w, struct proc_process *p, uint64_t child_tid);
/* The child's owner, applying that clone exit: the child inherits the
 * snapshot published by worker `owner` at w's key, copied lazily (when its
 * table is first needed: proc_fdshare_resolve). */
void proc_fdshare_defer(struct proc_worker *w, struct proc_thread *child, unsigned owner);
/* Owner of ft: copy the pending snapshot under ft's entries (waiting for
 * its publisher to pass its key, by now usually long done). Number of fds
 * copied, 0 when nothing was pending, -ENOENT when no snapshot exists. */
int proc_fdshare_resolve(struct proc_worker *w, struct proc_fdtable *ft);
/* Owner of ft, its process going: let the publisher free the snapshot. */
void proc_fdshare_abandon(struct proc_worker *w, struct proc_fdtable *ft);
/* table.c, "Replicas" (tid partitions). All three: w's own thread, its
 * own records only. Whether p is a replica w created at its current key
 * (a thread clone that needs the group's fds); a live thread of w's record
 * of tgid (its leader's process or its replica), NULL when w holds none;
 * an exec of tgid applied elsewhere: w's replica's threads end at w's key. */
bool proc_process_is_new_replica(const struct proc_worker *w, const struct proc_process *p);
struct proc_thread *proc_held_thread(struct proc_worker *w, uint64_t tgid);
void proc_replica_exec(struct proc_worker *w, uint64_t tgid, uint64_t ts);

/* The snapshot owner published at w's key for child_tid will not be
 * copied (the child joined a replica w already holds): mark it taken so
 * its publisher frees it. Waits for owner's progress past the key. */
void proc_fdshare_discard(struct proc_worker *w, unsigned owner, uint64_t child_tid);
/* w's snapshots every worker has passed (key < min) and their child's owner
 * is done with go, after a grace period. */
void proc_fdshare_reclaim(struct proc_worker *w, uint64_t min);
/* Table destroy, no thread registered: free every snapshot left. */
void proc_fdshare_destroy(struct proc_table *t);

/* fd.c: owner-only fd tables */
/* Free ft's entries (into w's cache; w NULL: to the allocator). */
void proc_fdtable_free(struct proc_worker *w, struct proc_fdtable *ft);
/* Free w's cached fd entries (the table's destroy). */
void proc_fd_cache_drain(struct proc_worker *w);
/* Every entry of ft, any order, until fn returns non-zero (returned). The
 * table's owner only; fn must not change ft. */
int proc_fdtable_each(const struct proc_fdtable *ft,
		      int (*fn)(const struct proc_fd *fd, void *arg), void *arg);
/* procfs.c, live: read fd of p's process from /proc (w->t->procfs) and add
 * it under p's entries (an fd a fork across partitions inherited: live mode
 * has no snapshots). 0, or -errno when it is not open there. Owner of p. */
int proc_procfs_load_fd(struct proc_worker *w, struct proc_process *p, int64_t fd);
/* Pending inheritance: whether the table's own history closed fd. */
bool proc_fdtable_gone(const struct proc_fdtable *ft, int64_t fd);
/* Add fi under ft's entries: nothing when fi->fd is there. 0 / -errno. */
int proc_fdtable_put_under(struct proc_worker *w, struct proc_fdtable *ft,
			   const struct proc_fd_info *fi);
void proc_fdtable_close_on_exec(struct proc_worker *w, struct proc_fdtable *ft);

/* users.c */
void proc_users_free_all(struct proc_table *t);

/* image.c: what an image is built from (strings need not be NUL-terminated
 * within their lengths; lists are NUL-separated) */
struct proc_img_src {
	const char *comm, *exe, *exepath, *args, *env, *cgroups;
	size_t comm_len, exe_len, exepath_len, args_len, env_len, cgroups_len;
	uint32_t flags; /* PROC_IMG_EXE_* only; the rest is derived */
	uint64_t cap_effective, cap_permitted, cap_inheritable;
	uint64_t exe_ino, exe_ctime, exe_mtime;
};

void proc_img_src_from_image(struct proc_img_src *src, const struct proc_image *img);
/* From a spawn; NULL fields of s are taken from base when base is not NULL. */
void proc_img_src_from_spawn(struct proc_img_src *src, const struct proc_spawn *s,
			     const struct proc_image *base);
/* Build a new immutable image. NULL on ENOMEM. */
struct proc_image_box *proc_image_build(const struct proc_img_src *src);
/* Free now (no readers); older versions are freed by table.c. */
void proc_image_free(struct proc_image_box *box);
/* The shared image of a process nothing is known about yet. */
extern const struct proc_image proc_placeholder_image;

/* container.c: PROC_IMG_*SHELL flags from comm, exe (argv[0]: '-' = login
 * shell) and whether the process is in a container */
uint32_t proc_shell_flags(const char *comm, const char *exe, int in_container);

#endif /* PG_STATE_STATE_INT_H */
