/*
 * state.h - the shared thread/process table: every worker reads it, each
 * process's partition owner alone writes it.
 *
 * Events are partitioned by process over N workers. A rule evaluated on worker
 * A for process P reads P's parent and ancestors, which worker B may be
 * changing at that very moment. This module makes those cross-partition reads
 * lock-free and safe, and keeps every write on the worker that owns the
 * process, so the per-event path takes no lock, allocates nothing on lookups
 * and writes no cache line another worker writes.
 *
 * HOW IT WORKS
 *
 *   tid index (liburcu lock-free hash, key = tid)
 *        |
 *        v
 *   proc_thread  ---proc--->  proc_process  ---image--->  proc_image
 *   (one per tid)             (one per thread group)      (immutable snapshot:
 *   tid, vtid, state,         tgid, ptid, uids/gids,       comm, exe, exepath,
 *   reaper, clone_ts          loginuid, sid, vpgid, tty,   args, env, cgroups,
 *                             cwd -> proc_cwd (immutable)  container id, caps,
 *                             fd table (owner only)        exe inode facts)
 *
 * - Reclamation is userspace RCU, QSBR flavour. Every thread that touches the
 *   table registers (proc_worker_register) and announces a quiescent state
 *   between batches (proc_worker_quiescent). A pointer obtained from any lookup
 *   or accessor stays valid until the caller's next quiescent state or offline
 *   period; nothing is freed before every registered thread has passed one.
 * - Publication uses release stores, reads use acquire loads (the C11
 *   equivalent of rcu_assign_pointer / rcu_dereference, which ThreadSanitizer
 *   understands), so a reader never sees a half-built object.
 * - Copy-on-write, in three groups. Things that change together or are
 *   strings (execve: exe, args, env, comm, caps, cgroups) live in proc_image
 *   and are replaced as a whole: the owner builds a new image and publishes
 *   it with one release store. Small scalars that change alone (setresuid:
 *   uid+euid, setresgid, loginuid, sid, vpgid, tty, ptid) form one small
 *   proc_ids object, replaced whole the same way (they must be versioned for
 *   AS OF reads, below). cwd is a string that changes alone (chdir is common
 *   in shells), so it is its own tiny immutable object: chdir costs a malloc
 *   of the path, not a copy of the whole image. Nothing is edited in place
 *   (except the owner settling a re-parent into ptid, one atomic store that
 *   gives every possible reader the same answer) and a reader can never see
 *   a torn object.
 * - The fd table of a process is touched by its owner only and has no
 *   synchronisation at all. fd.* fields are only ever extracted for the
 *   event's own process, which the owner's worker evaluates; other workers
 *   must not call the proc_fd_* functions on a process they do not own.
 *   A fork into another partition gets the parent's fds through an
 *   immutable snapshot (below, "Fork across partitions").
 * - Exit and re-parenting without writing another partition's records. A
 *   dead thread is not removed from the index at once: procexit marks it
 *   EXITING at its key (visible while the exit event is evaluated and to
 *   readers at smaller keys), a quiescent state once every worker has passed
 *   that key turns it into a TOMB (invisible to lookups, process
 *   released) that remembers the reaper tid the kernel reported, and the tomb
 *   expires later (TTL, per-worker cap). A child's ptid is resolved lazily: if
 *   it names a tomb, resolution follows the tomb's reaper (a bounded number of
 *   hops). Children in other partitions are thus re-parented without anyone
 *   writing their records; when the child's own owner next resolves its
 *   parent it settles the result with one atomic store of ptid. Tid reuse is
 *   caught by start times: a "parent" that started after the child is not it.
 * - A parent unknown at the child's clone (its partition lags, or it started
 *   before us) is simply not found yet; the child keeps ptid and resolution
 *   succeeds once the parent's owner creates it.
 * - Bounded: at most max_threads live threads (tombs are capped separately).
 *   Creation beyond that fails with -ENOSPC and is counted; an inactivity
 *   purge (proc_worker_purge, bounded work per call) removes idle threads.
 *   The global budget is reserved by each worker in chunks, so creation does
 *   not write a shared cache line each time either.
 *
 * AS OF: reads are ordered by event keys, not by timing. Every event has an
 *   order key (replay: its index in the capture; live: its timestamp), and
 *   the worker sets it (proc_worker_set_key) before applying the event. A
 *   read of a record ANOTHER worker owns is answered as of that key S, i.e.
 *   as if every event with a key below S, and none above, had been applied
 *   -- what a single thread replaying the file would see. Two parts:
 *   - lag: each worker publishes its progress K (every event it owns with a
 *     key < K is applied) with a release store on its own cache line. A read
 *     at S of worker O's record first waits until O's progress >= S (spin,
 *     then sched_yield; counted in progress_waits/progress_wait_ns). A tid
 *     not found may be created by anyone: the read waits for every worker.
 *     With a hint (proc_worker_set_hint: the replay scan knows the key K of
 *     the last event before S that could change the record) the wait is for
 *     progress >= K only, which the owner has nearly always passed.
 *     Before waiting a worker publishes its own key, so whoever waits for it
 *     waits for a smaller key: waits point to strictly smaller keys, the
 *     worker at the smallest key never waits, hence no deadlock. A worker
 *     never waits for itself.
 *   - ahead: O may already be past S, so records keep their recent history
 *     by key. The image, the cwd and the ids (ptid, uid/gid, loginuid, sid,
 *     vpgid, tty: scalars a clone child inherits from a parent that may
 *     live in another partition, so they must be exact too; versioned as one
 *     small object, a change costs one small malloc) carry key_from and a
 *     pointer to the version they replaced; a reader at S uses the newest
 *     version with key_from < S. A thread carries the key that created it
 *     (not visible below it) and the key of its exit: at S a thread whose
 *     exit key < S is dead and parent resolution follows its reaper (libs
 *     re-parents at procexit), one whose exit key >= S is alive.
 *   Reclamation: a replaced version, and an exited thread's record, are kept
 *   until every worker's progress has passed the key that superseded them
 *   (the minimum over workers, computed at the owner's quiescent states),
 *   then released through call_rcu as before. Own records are read as they
 *   are: the owner is exactly at its key.
 *   Live mode has no waits (proc_config.wait_progress = 0) and keys are
 *   timestamps (per worker, never decreasing): a read never blocks on
 *   another worker; it sees the newest version older than the event while
 *   the writer still keeps it (history lives until the owner's next
 *   quiescent state), else the oldest one left; a thread that exited before
 *   the event is dead, and a thread is visible as soon as it exists (other
 *   workers' clocks may be slightly ahead). Exact only when the writer is at
 *   most one batch ahead and not behind: the best effort libs gives with
 *   per-CPU rings, never a stall of the pipeline.
 *   Not versioned (the limits of "exact"): vpid and clone_ts (set when a
 *   process is created, itself versioned by the thread's key); the tid
 *   index (a tid reused at a key above S hides the older entry from a
 *   reader at S); the users/groups table (a useradded meta event applies to
 *   everyone at once); tombs expire by TTL and by a per-worker cap, which
 *   depends on the partitioning, so a re-parent chain through a tomb dropped
 *   by the cap (over max_tombs exits per worker within the TTL) may resolve
 *   differently. The purge is exact when every worker calls it at the same
 *   keys with the same clock (PROC_PURGE_ALL; the replay engine does).
 *
 * Fork across partitions (fdshare.c). A clone child (not a thread) gets
 *   its parent's fd table as it stands when the child-side clone exit (key
 *   S) is applied -- what one thread replaying the file copies. When the
 *   parent's process is the child's owner's, on_clone copies it directly.
 *   Otherwise the fd table is the other worker's, unsynchronised, and:
 *   - the parent's owner P, at S (a replay worker scans every clone exit
 *     of every partition and calls proc_event_foreign for the others'),
 *     copies its parent's table into one immutable snapshot, hashes it by
 *     (child tid, S) in the table's snapshot index and publishes progress
 *     S + 1. It touches only its own records and the index;
 *   - the child's owner C, applying S, only notes in the child's table
 *     that (P, S) lies beneath it (proc_fdshare_defer). The child's own
 *     opens, dups and closes go on without it (a closed fd number is
 *     remembered, and an exec's close-on-exec noted, so the snapshot does
 *     not bring them back). The first lookup that misses (or anything
 *     that needs the whole table: a count, a walk, the child forking on)
 *     resolves it: C waits until P's progress > S (a wait for a key below
 *     its own, which P reaches without waiting for C: C has published its
 *     key before waiting, so no cycle; by then P is usually long past S),
 *     looks the snapshot up and copies in what its own entries, its
 *     closes and the exec leave (counted fds_inherited_remote; none found:
 *     fds_not_inherited). Live mode has no snapshots (no foreign calls,
 *     no waits): a miss there reads that one fd of the child from /proc
 *     (proc_table_set_procfs; procfs_fd_loads), best effort: a child gone
 *     by the time its event is processed misses it (procfs_fd_misses). The
 *     result is the eager copy's; only the wait moved (a fork-and-exec
 *     child mostly never needs it). A child's process that goes first
 *     marks its snapshot taken (proc_fdshare_abandon);
 *   - the parent side of the clone changes nothing, so the child side
 *     coming first (vfork) is the same case; a parent unknown or dead at S
 *     is so for P and C alike (no snapshot, no fds, as with one worker); a
 *     parent that exits or closes fds after S does not matter (a copy);
 *   - P keeps its snapshots in key order and, at its quiescent states,
 *     unlinks those every worker's progress has passed and whose child's
 *     owner has taken them (nobody can look for them any more), and
 *     frees them after a grace period. A snapshot
 *     holds at most PROC_FDS_MAX fds (the table's own bound); one is made
 *     per fork across partitions, never per event.
 *   Threads (CLONE_THREAD) share their process's table and, with tgid
 *   partitions, its owner: nothing to hand over.
 *
 * Partitions: with `tgid` partitioning all threads of a process go to one
 * worker, which owns the process, its threads and its fd table. With `tid`
 * partitioning a process's threads spread over workers, and every worker
 * that owns one of them holds a record of the group: the leader's owner
 * the process, the others a REPLICA of it (table.c, "Replicas"), which
 * their threads point to. A replica starts as the group's process as of
 * the thread's clone (its fds from the leader owner's snapshot, as a fork
 * across partitions gets them); then its owner applies every change any
 * thread of the group makes (proc_event_apply_held; the replay scan hands
 * every worker the fd, cwd, id and exec events of the groups it holds).
 * Every record of a group thus goes through the same changes in key order
 * and answers what one worker's single record would: exact for any number
 * of workers (tests/sh/engine_replay_equal.sh). Live mode has no shared
 * scan: a worker sees its own threads' changes only (best effort).
 * Write functions refuse (-EPERM, counted) a thread owned by another
 * worker.
 *
 * Calling conventions: "owner" = the worker a thread or process was created
 * by; "any worker" = any thread registered with proc_worker_register and
 * online. Functions return 0 / -errno; constructors NULL + errno.
 */
#ifndef PG_STATE_STATE_H
#define PG_STATE_STATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct proc_table;   /* the whole table */
struct proc_worker;  /* one registered thread's handle */
struct proc_thread;  /* one tid */
struct proc_process; /* one thread group */

/* Bounds. Strings longer than these are truncated (args/env at an entry). */
#define PROC_DEFAULT_MAX_THREADS 262144u
#define PROC_COMM_MAX		 16u   /* including the NUL, as the kernel */
#define PROC_EXE_MAX		 1024u /* exe (argv[0] or comm-like name) */
#define PROC_PATH_MAX		 4096u /* exepath, cwd, fd names */
#define PROC_ARGS_MAX		 4096u /* NUL-separated argument list */
#define PROC_ENV_MAX		 4096u /* NUL-separated environment */
#define PROC_CGROUPS_MAX	 4096u /* NUL-separated "subsys=path" list */
#define PROC_CONTAINER_ID_LEN	 12u   /* short id, as Falco's container.id */
#define PROC_ANCESTORS_MAX	 64u   /* hard bound of any ancestor walk */
#define PROC_REAPER_HOPS	 8u    /* tombs followed to re-parent a child */
#define PROC_FDS_MAX		 65536u /* fds per process */

/* Magic values, checked by tests to prove no freed record is ever read. */
#define PROC_IMAGE_MAGIC 0x494d4731u /* a live proc_image */
#define PROC_POISON	 0xa5u	     /* byte freed objects are filled with */

/* ---- configuration and lifecycle -------------------------------------- */

struct proc_config {
	uint32_t max_threads;	/* live threads; 0 = PROC_DEFAULT_MAX_THREADS */
	uint32_t max_workers;	/* registered threads over the table's life; 0 = 64 */
	uint32_t max_tombs;	/* tombs kept per worker; 0 = 4096 */
	uint64_t purge_idle_ns; /* idle time before a thread may be purged; 0 = 600 s */
	uint64_t tomb_ttl_ns;	/* how long a tomb is kept; 0 = 120 s */
	int poison;		/* fill freed objects with PROC_POISON (tests) */
	/* reads of another worker's records wait for its progress (replay:
	 * exact AS OF reads); 0 = never wait (live, tests, one thread) */
	int wait_progress;
};

/*
 * Create a table. Any thread, before workers register. NULL + errno (ENOMEM,
 * EINVAL). cfg may be NULL for defaults. The poison setting is process-wide.
 */
struct proc_table *proc_table_new(const struct proc_config *cfg);

/*
 * Free the table and everything in it. Call once all workers have
 * unregistered, from a thread that is not registered; accepts NULL.
 */
void proc_table_destroy(struct proc_table *t);

/*
 * Register the calling thread (rcu_register_thread) and give it a worker
 * handle; the thread is online on return. Once per thread. NULL + errno
 * (ENOSPC when max_workers handles were already given out).
 */
struct proc_worker *proc_worker_register(struct proc_table *t);

/*
 * Unregister the calling thread (the one that registered w). Threads it owns
 * stay in the table, readable; nobody may write them any more. Finishes
 * pending removals first.
 */
void proc_worker_unregister(struct proc_worker *w);

/*
 * End of a batch, on w's own thread: turn threads that exited in the batch
 * into tombs, then announce a quiescent state. Every pointer w obtained
 * before this call is invalid after it.
 */
void proc_worker_quiescent(struct proc_worker *w);

/*
 * Go offline before blocking (waiting on a queue, sleeping) and online after;
 * w's own thread. An offline thread holds no pointers and delays nobody.
 */
void proc_worker_offline(struct proc_worker *w);
void proc_worker_online(struct proc_worker *w);

/* Switch proc_config.wait_progress; only before the first worker registers. */
void proc_table_set_wait(struct proc_table *t, int on);

/* Live: read a tid no event introduced from @procfs (proc_state_load_tid)
 * when an event of it arrives, before falling back to a placeholder. NULL
 * (the default; replay) never reads. Only before the first worker
 * registers; @procfs must outlive the table. */
void proc_table_set_procfs(struct proc_table *t, const char *procfs);

/* Index of w among the table's workers (0-based). Any thread. */
unsigned proc_worker_id(const struct proc_worker *w);

/* ---- order keys and progress (see AS OF above) ---------------------------- */

/* set_key publishes progress every this many calls on a waiting table: a
 * store to a line other workers read, so not too often (a waiter sees the
 * owner's progress at most this many events late; waits last ~0.1-1 ms) */
#define PROC_PROGRESS_STRIDE 256u

/*
 * w's own thread, before applying the event with order key key (replay: its
 * 1-based index in the capture; live: its timestamp). Keys of one worker
 * never decrease. Every write records it, every read of another worker's
 * record is AS OF it. 0 = unkeyed (reads see the newest state, exits are
 * entombed at the next quiescent state: the behaviour before keys).
 */
void proc_worker_set_key(struct proc_worker *w, uint64_t key);
uint64_t proc_worker_key(const struct proc_worker *w);

/*
 * w's own thread: every event w owns with a key below key has been applied
 * (release store on w's own cache line; never goes backwards). A replay
 * worker publishes its scan position every few events and UINT64_MAX when it
 * has nothing left (proc_worker_unregister does too).
 */
void proc_worker_progress(struct proc_worker *w, uint64_t key);

/*
 * Optional, per worker: fn(ctx, tid) returns a key K <= w's key such that no
 * event in [K, key) changes what w may read of tid's thread or of its
 * process (an event of a type proc_event_type_shapes() names, or the first
 * event of a tid, which creates a placeholder), 0 when no event so far did.
 * A read then waits only for the owner's progress >= K instead of >= key:
 * a replay worker that scans every event header can tell, and most reads
 * then wait for nothing. NULL = always wait for key. w's own thread.
 */
void proc_worker_set_hint(struct proc_worker *w, uint64_t (*fn)(void *ctx, uint64_t tid),
			  void *ctx);

/*
 * Whether applying an event of this type (any layout) may change what other
 * workers read: thread creation and exit, exec, cwd, ids, caps, comm (the
 * exit events of clone/fork/vfork/clone3, execve/execveat, chdir, fchdir,
 * set*id, setsid, setpgid, setns, unshare, capset, prctl; and procexit). Of
 * clones only the child side (res == 0) and of execs only a successful one
 * (res >= 0) do; callers that decode the event may narrow it so. Pure
 * function, any thread.
 */
bool proc_event_type_shapes(uint16_t type);

/* The smallest progress over the registered workers. Any thread. */
uint64_t proc_table_min_progress(const struct proc_table *t);

/*
 * Inactivity purge, owner: examine at most budget of w's threads and remove
 * those idle for purge_idle_ns at time now (event-time nanoseconds); expire
 * tombs older than tomb_ttl_ns. Bounded work so a worker can call it between
 * batches without a latency spike. budget PROC_PURGE_ALL = one sweep over
 * every live thread: then what is removed depends on now only, not on
 * earlier calls (replay purges so, at the same keys on every worker). A keyed worker marks
 * purged threads dead at its key. A thread never active since it was seeded
 * starts its idle time at the first purge that sees it. Returns the number of
 * threads removed.
 */
#define PROC_PURGE_ALL 0xffffffffu
unsigned proc_worker_purge(struct proc_worker *w, uint64_t now, unsigned budget);

/*
 * Wait until every object already retired has been freed (rcu_barrier).
 * Tests and shutdown; from a thread that is not registered or is offline.
 */
void proc_table_barrier(struct proc_table *t);

/* ---- counters ------------------------------------------------------------
 * Per worker, each worker's block on its own cache lines, written only by its
 * worker; proc_table_stats sums them (any thread, values are a snapshot). */
#define PROC_STATS(X)                                                                            \
	X(threads_created, "threads created (clone, exec of an unknown tid, placeholder)")     \
	X(threads_removed, "threads turned into tombs (exit, purge, exec de-thread)")          \
	X(processes_created, "thread groups created")                                           \
	X(processes_freed, "thread groups released")                                            \
	X(execs, "execve applied (image replaced copy-on-write)")                               \
	X(exits, "procexit applied")                                                            \
	X(placeholders, "threads created without their clone (filled later if it comes)")       \
	X(placeholders_filled, "placeholders completed by a later clone or exec")               \
	X(table_full, "creations refused because max_threads live threads exist")              \
	X(purged, "threads removed by the inactivity purge")                                    \
	X(tombs_expired, "tombs dropped (TTL or per-worker cap)")                               \
	X(tid_collisions, "creations that replaced a stale entry with the same tid")           \
	X(foreign_writes, "writes refused: thread owned by another worker")                     \
	X(lookups, "tid lookups")                                                               \
	X(lookup_misses, "tid lookups that found no live thread")                               \
	X(parents_unresolved, "parent resolutions that found no parent")                        \
	X(reparents_followed, "parent resolutions that followed a dead parent's reaper")       \
	X(reparents_settled, "children whose ptid their owner rewrote after a re-parent")      \
	X(progress_waits, "reads that waited for another worker's progress")                    \
	X(progress_wait_ns, "time spent in those waits (ns)")                                   \
	X(versions_kept, "replaced versions kept for readers behind the writer")               \
	X(versions_reclaimed, "kept versions freed once every worker had passed them")         \
	X(fd_adds, "fds added")                                                                 \
	X(fd_removes, "fds removed")                                                            \
	X(fd_dropped, "fds not added: process at PROC_FDS_MAX")                                 \
	X(fork_snapshots, "fd tables published for a clone child in another partition")       \
	X(fork_snapshot_fds, "fds in those snapshots")                                          \
	X(fork_snapshots_freed, "snapshots freed once every worker had passed them")           \
	X(replicas, "tid partitions: replica processes created for a thread whose leader is another worker's") \
	X(replica_joins, "tid partitions: threads that joined a replica their worker held already") \
	X(alloc_failures, "allocations that failed")

struct proc_stats {
#define PROC_STATS_FIELD(name, desc) uint64_t name;
	PROC_STATS(PROC_STATS_FIELD)
#undef PROC_STATS_FIELD
	uint64_t live_threads; /* gauge: threads counted against max_threads */
	uint64_t tombs;	       /* gauge: tombs held */
};

/* Sum every worker's counters. Any thread (even unregistered). */
void proc_table_stats(const struct proc_table *t, struct proc_stats *out);

/* Call fn(name, description, value) for each counter of s, in table order. */
void proc_stats_foreach(const struct proc_stats *s,
			void (*fn)(const char *name, const char *desc, uint64_t v, void *arg),
			void *arg);

/* ---- creating and changing threads (owner) ------------------------------ */

/* What a clone (child side) or execve exit says about a process. NULL
 * strings mean "not reported": on clone they are inherited from the parent's
 * image when the parent is known, on exec they become empty. */
struct proc_spawn {
	uint64_t tid;  /* the thread the event is about */
	uint64_t tgid; /* its thread group (pid) */
	uint64_t ptid; /* parent tid as the kernel reported it; 0 = unknown */
	uint64_t vtid, vpid;
	uint64_t ts; /* clone: the child's start time; exec: event time */
	uint32_t flags;
	const char *comm, *exe, *exepath, *cwd;
	const char *args; /* NUL-separated, args_len bytes */
	const char *env;
	const char *cgroups; /* "subsys=path" entries, NUL-separated */
	size_t args_len, env_len, cgroups_len;
	uint32_t uid, euid, gid, egid, loginuid;
	uint32_t sid, vpgid, tty;
	uint64_t cap_effective, cap_permitted, cap_inheritable;
	uint64_t exe_ino, exe_ctime, exe_mtime;
};

/* proc_spawn.flags */
#define PROC_SPAWN_THREAD	  (1u << 0) /* CLONE_THREAD: a new thread of tgid */
#define PROC_SPAWN_EXE_UPPER	  (1u << 1) /* exe is on an overlayfs upper layer */
#define PROC_SPAWN_EXE_MEMFD	  (1u << 2) /* exe is a memfd */
#define PROC_SPAWN_EXE_WRITABLE	  (1u << 3) /* exe is writable by the process */
#define PROC_SPAWN_HAVE_IDS	  (1u << 4) /* uid..loginuid are reported */
#define PROC_SPAWN_HAVE_CAPS	  (1u << 5) /* cap_* are reported */
#define PROC_SPAWN_REPLICA	  (1u << 6) /* with THREAD: the leader is another worker's
					     * (seeding with tid partitions): a replica */

/*
 * Clone, child side, owner of the child's partition. Creates s->tid: a new
 * thread of s->tgid (PROC_SPAWN_THREAD; the process must be in w's
 * partition) or a new process. The parent is NOT looked up now: it may be in
 * another partition and may not exist yet; s->ptid is resolved lazily by
 * proc_process_parent. A placeholder with this tid is completed; a stale
 * entry with this tid (a missed exit) is replaced. *out (may be NULL) gets
 * the thread. 0, -ENOSPC (table full, counted), -ENOMEM, -EPERM (the tid or
 * tgid belongs to another live worker's process), -EINVAL.
 */
int proc_thread_clone(struct proc_worker *w, const struct proc_spawn *s,
		      struct proc_thread **out);

/*
 * Execve exit, owner. s->tid is the thread that called execve (it may be a
 * non-leader), s->tgid its process. Afterwards the process has one thread,
 * tid == tgid (the kernel's de_thread): other threads, including a
 * non-leader caller's old tid, are marked exited. The image is replaced
 * copy-on-write, ids/cwd updated, close-on-exec fds closed. An unknown
 * process is created from s. *out gets the tgid thread. 0 / -errno.
 */
int proc_thread_exec(struct proc_worker *w, const struct proc_spawn *s,
		     struct proc_thread **out);

/*
 * Procexit, owner. Marks tid EXITING (still found by lookups, so rules on the
 * exit event see it) and records reaper_tid, the thread the kernel
 * re-parents its children to (0 = unknown). At w's next quiescent state it
 * becomes a tomb. 0, -ENOENT, -EPERM, -EALREADY.
 */
int proc_thread_exit(struct proc_worker *w, uint64_t tid, uint64_t reaper_tid, uint64_t ts);

/*
 * Owner: the thread for tid, or a placeholder created for it (tgid may be 0
 * for "unknown", then tid is taken as its own tgid). For events of a tid whose
 * clone never came. NULL + errno (ENOSPC, ENOMEM, EPERM).
 */
struct proc_thread *proc_thread_get_or_placeholder(struct proc_worker *w, uint64_t tid,
						   uint64_t tgid, uint64_t ts);

/* Owner: note activity at event time ts (for the inactivity purge). */
void proc_thread_touch(struct proc_worker *w, struct proc_thread *thr, uint64_t ts);

/*
 * Owner setters for one process (thr's). Single atomic stores, except
 * proc_set_comm and proc_set_caps which replace the image copy-on-write and
 * proc_set_cwd which replaces the cwd string. 0, -EPERM (not owner),
 * -ENOMEM, -ENOENT (thread without process).
 */
int proc_set_uids(struct proc_worker *w, struct proc_thread *thr, uint32_t uid, uint32_t euid);
int proc_set_gids(struct proc_worker *w, struct proc_thread *thr, uint32_t gid, uint32_t egid);
int proc_set_loginuid(struct proc_worker *w, struct proc_thread *thr, uint32_t loginuid);
int proc_set_sid(struct proc_worker *w, struct proc_thread *thr, uint32_t sid, uint32_t vpgid);
int proc_set_tty(struct proc_worker *w, struct proc_thread *thr, uint32_t tty);
int proc_set_cwd(struct proc_worker *w, struct proc_thread *thr, const char *cwd);
int proc_set_comm(struct proc_worker *w, struct proc_thread *thr, const char *comm);
int proc_set_caps(struct proc_worker *w, struct proc_thread *thr, uint64_t effective,
		  uint64_t permitted, uint64_t inheritable);

/* ---- lookups (any worker, online) -------------------------------------- */

/* The live (or exiting) thread tid, or NULL. No lock, no allocation. */
struct proc_thread *proc_thread_lookup(struct proc_worker *w, uint64_t tid);

/* Thread states */
enum proc_thread_state {
	PROC_LIVE = 0,	  /* running */
	PROC_EXITING = 1, /* procexit seen, removed at the owner's next quiescent state */
	PROC_TOMB = 2,	  /* removed: not found by lookups, kept for re-parenting */
};

uint64_t proc_thread_tid(const struct proc_thread *thr);
uint64_t proc_thread_vtid(const struct proc_thread *thr);
uint64_t proc_thread_clone_ts(const struct proc_thread *thr);
enum proc_thread_state proc_thread_state(const struct proc_thread *thr);
int proc_thread_is_placeholder(const struct proc_thread *thr);
unsigned proc_thread_owner(const struct proc_thread *thr);

/* The thread's process; NULL if the thread has just been removed. */
struct proc_process *proc_thread_process(const struct proc_thread *thr);

/* Scalars of a process; any worker. Each is one atomic load. */
uint64_t proc_process_tgid(const struct proc_process *p);
uint64_t proc_process_vpid(const struct proc_process *p);
uint64_t proc_process_ptid(const struct proc_process *p); /* as stored, not resolved */
uint64_t proc_process_clone_ts(const struct proc_process *p);
uint32_t proc_process_uid(const struct proc_process *p);
uint32_t proc_process_euid(const struct proc_process *p);
uint32_t proc_process_gid(const struct proc_process *p);
uint32_t proc_process_egid(const struct proc_process *p);
uint32_t proc_process_loginuid(const struct proc_process *p);
uint32_t proc_process_sid(const struct proc_process *p);
uint32_t proc_process_vpgid(const struct proc_process *p);
uint32_t proc_process_tty(const struct proc_process *p);
const char *proc_process_cwd(const struct proc_process *p); /* never NULL */

/* Container runtimes recognised in cgroup paths. */
enum proc_container_type {
	PROC_CT_HOST = 0, /* not in a container */
	PROC_CT_DOCKER,
	PROC_CT_CRI, /* containerd (CRI or plain) */
	PROC_CT_CRIO,
	PROC_CT_PODMAN,
};

/*
 * The immutable image of a process (what execve sets). Published once, never
 * changed; valid until the reader's next quiescent state. Strings are
 * NUL-terminated and point into the image; args/env/cgroups are
 * NUL-separated lists of *_len bytes (each entry NUL-terminated).
 */
struct proc_image {
	uint32_t magic; /* PROC_IMAGE_MAGIC */
	uint32_t flags; /* PROC_IMG_* */
	char comm[PROC_COMM_MAX];
	char container_id[PROC_CONTAINER_ID_LEN + 1]; /* "" on the host */
	uint8_t container_type;			       /* enum proc_container_type */
	uint64_t cap_effective, cap_permitted, cap_inheritable;
	uint64_t exe_ino, exe_ctime, exe_mtime;
	const char *exe, *exepath, *args, *env, *cgroups;
	uint32_t exe_len, exepath_len, args_len, env_len, cgroups_len;
};

/* proc_image.flags */
#define PROC_IMG_PLACEHOLDER	 (1u << 0) /* nothing known yet (no clone/exec seen) */
#define PROC_IMG_EXE_UPPER	 (1u << 1) /* exe on an overlayfs upper layer */
#define PROC_IMG_EXE_MEMFD	 (1u << 2) /* exe is a memfd (fileless execution) */
#define PROC_IMG_EXE_WRITABLE	 (1u << 3) /* exe writable by the process */
#define PROC_IMG_SHELL		 (1u << 4) /* comm is a known shell */
#define PROC_IMG_LOGIN_SHELL	 (1u << 5) /* a shell whose exe (argv[0]) starts with - */
#define PROC_IMG_CONTAINER_SHELL (1u << 6) /* a shell inside a container */

/* The current image of p; never NULL for a process from a lookup. */
const struct proc_image *proc_process_image(const struct proc_process *p);

/*
 * The image of @parent as @child's fields (proc.pname, pexe, ...) should
 * see it. Replay: proc_process_image(parent) (exact AS OF already). Live
 * (a table given proc_table_set_procfs),
 * where a read sees only what the parent's worker has applied so far: when
 * the parent's image is older than the child's fork and differs from the
 * image the child was forked with (the parent exec'd or renamed itself
 * just before forking, on a ring its worker has not reached), the child's
 * fork-time image, which is the parent's as of the fork, while the child's
 * owner still keeps it. @child must be the calling worker's own (the
 * event's process). Any worker; reads only.
 */
const struct proc_image *proc_process_parent_image(const struct proc_process *child,
						   const struct proc_process *parent);

/*
 * p's parent process, resolved lazily (see HOW IT WORKS): follows the reaper
 * of a dead parent, rejects a tid reused by a younger process, NULL when the
 * parent is unknown (not created yet, or gone). Any worker; when w owns p and
 * a re-parent was followed, stores the resolved ptid (one atomic store).
 */
struct proc_process *proc_process_parent(struct proc_worker *w, struct proc_process *p);

/*
 * Walk p's ancestors: out[0] = parent, out[1] = grandparent, ... at most max
 * (and at most PROC_ANCESTORS_MAX). Stops at an unknown parent, at tid 0/1's
 * parent, and at any loop. Returns the number stored. Any worker.
 */
unsigned proc_process_ancestors(struct proc_worker *w, struct proc_process *p,
				struct proc_process **out, unsigned max);

/* ---- fd table (owner of the process only; no synchronisation) ------------ */

enum proc_fd_type {
	PROC_FD_UNKNOWN = 0,
	PROC_FD_FILE,
	PROC_FD_DIRECTORY,
	PROC_FD_IPV4_SOCK,
	PROC_FD_IPV6_SOCK,
	PROC_FD_UNIX_SOCK,
	PROC_FD_NETLINK,
	PROC_FD_PIPE,
	PROC_FD_EVENT,
	PROC_FD_SIGNALFD,
	PROC_FD_EVENTPOLL,
	PROC_FD_INOTIFY,
	PROC_FD_TIMERFD,
	PROC_FD_MEMFD,
	PROC_FD_BPF,
	PROC_FD_USERFAULTFD,
	PROC_FD_IOURING,
};

/* A socket's tuple; addresses in network order, IPv4 in the first 4 bytes. */
struct proc_sock {
	uint8_t family;	 /* AF_INET, AF_INET6, AF_UNIX, ... */
	uint8_t l4proto; /* IPPROTO_TCP, IPPROTO_UDP, ... */
	uint16_t sport, dport;
	uint8_t sip[16], dip[16];
};

struct proc_fd {
	int64_t fd;
	uint32_t type;	/* enum proc_fd_type */
	uint32_t flags; /* open flags (O_CLOEXEC, O_WRONLY, ...) */
	uint64_t ino;
	struct proc_sock sock;
	uint32_t name_len; /* bytes of name, without the NUL */
	uint32_t dir_len;  /* name[0..dir_len) is the directory incl. its '/' */
	char name[];	   /* NUL-terminated; file name = name + dir_len */
};

/* What to add; name may be NULL. */
struct proc_fd_info {
	int64_t fd;
	uint32_t type, flags;
	uint64_t ino;
	const char *name;
	const struct proc_sock *sock; /* may be NULL */
};

/* Add (or replace) an fd of thr's process. 0, -EPERM, -ENOMEM, -ENOSPC. */
int proc_fd_add(struct proc_worker *w, struct proc_thread *thr, const struct proc_fd_info *fi);
/* Remove fd. 0, -ENOENT, -EPERM. */
int proc_fd_remove(struct proc_worker *w, struct proc_thread *thr, int64_t fd);
/* newfd becomes a copy of oldfd (replacing newfd). 0, -ENOENT, -EPERM, -ENOMEM. */
int proc_fd_dup(struct proc_worker *w, struct proc_thread *thr, int64_t oldfd, int64_t newfd);
/* The fd, or NULL. Valid until the next proc_fd_* change of that process. */
const struct proc_fd *proc_fd_get(struct proc_worker *w, struct proc_thread *thr, int64_t fd);
/* Number of fds of thr's process (owner). */
unsigned proc_fd_count(struct proc_worker *w, struct proc_thread *thr);

/* ---- container id ------------------------------------------------------ */

/*
 * Find the container of a cgroup list (NUL-separated "subsys=path" entries,
 * or plain paths; len bytes). Recognises docker ("/docker/<id>",
 * "docker-<id>.scope"), containerd/CRI ("/kubepods/.../<id>",
 * "cri-containerd-<id>.scope"), CRI-O ("crio-<id>.scope") and podman
 * ("libpod-<id>.scope", "/libpod_parent/libpod-<id>"), <id> being 64 hex
 * digits. Writes the 12-character short id (or "" on the host) into id and
 * returns the enum proc_container_type. Pure function, any thread.
 */
int proc_container_from_cgroups(const char *cgroups, size_t len,
				char id[PROC_CONTAINER_ID_LEN + 1]);

/* "docker", "containerd", "cri-o", "podman" or "host". */
const char *proc_container_type_name(int type);

/* ---- container metadata (container_rt.c) ---------------------------------
 *
 * container.name, container.image*, container.privileged and the mounts
 * (container.mount*) come from the container runtime (Docker Engine API, or
 * podman's compatible service, on a unix socket), or on replay from a
 * capture's container events. They are kept in a cache keyed by the short
 * container id, published like the users table: an immutable snapshot
 * behind one pointer.
 *
 * Contract:
 * - Workers (registered, online) call proc_ctr_lookup: one acquire load and
 *   a probe of an open-addressing table; no lock, no allocation, no
 *   system call, no wait. The entry stays valid until the caller's next
 *   quiescent state. A miss (an id nobody asked about yet) stores the id
 *   into one shared request word, only when that word is empty, so a
 *   stream of misses writes it once per refresh, not once per event; the
 *   background client picks it up (it polls every 50 ms).
 * - Writers (the client thread, replay's container events, tests) call
 *   proc_ctr_put (registered and online); they are serialised by a mutex, build a new snapshot,
 *   publish it with a release store and free the old one after a grace
 *   period (call_rcu). Rare, never per event.
 * - The client (proc_ctr_client_start) owns one thread that does all the
 *   socket I/O, with a deadline on every request. A runtime that cannot be
 *   reached (no socket, refused, timeout, a reply that is not HTTP or not
 *   JSON) leaves its containers' fields empty; each change of a runtime's
 *   reachability is reported once through the log callback, never per
 *   event. Ids the runtimes do not know (CRI containers, a container gone)
 *   are cached as "unknown" and retried with a backoff (1 s doubling to
 *   60 s) by the client itself, so workers never ask twice.
 * - Not versioned (outside AS OF): an entry applies to every reader at once.
 *   A capture's container event is applied by the worker that owns it (its
 *   tid is -1); libs writes them before the events of their containers, but
 *   a multi-worker replay does not wait for it.
 * - Mounts vary in number and length, so an entry does not hold them inline
 *   but points at one immutable block (struct proc_ctr_mounts) made when
 *   the runtime's reply or the capture event is read. Every snapshot that
 *   holds the entry holds a reference to the block, dropped when that
 *   snapshot is freed after its grace period; the client's own copy and a
 *   caller's struct proc_ctr_info hold one too. So a worker that found the
 *   entry may read its mounts until its next quiescent state, as the rest
 *   of the entry, and the block is freed once nothing can reach it.
 *   Bounds: PROC_CTR_MOUNTS_MAX mounts and PROC_CTR_MOUNTS_BYTES bytes per
 *   container (the block, records and strings): at most 4096 x 16 KiB =
 *   64 MiB for a full cache, about 1 KiB for a usual container. A list
 *   past them keeps its first mounts, in the runtime's order, up to the
 *   first that does not fit (none is cut in the middle), counts the others
 *   in `dropped` and is reported: live, once per container through the log
 *   callback; on replay, in the update counter ctr_mounts_cut, which the
 *   summary prints.
 */

#define PROC_CTR_STR_MAX      256u  /* name, image, repository */
#define PROC_CTR_MAX	      4096u /* containers (and unknown ids) cached */
#define PROC_CTR_MAX_SOCKETS  8u
#define PROC_CTR_MOUNTS_MAX   64u    /* mounts kept per container */
#define PROC_CTR_MOUNTS_BYTES 16384u /* bytes of one container's mounts block */

/* One mount of a container as the runtime reports it (Docker's "Mounts"). */
struct proc_ctr_mount {
	const char *source;	 /* host path or volume path ("" when not said) */
	const char *dest;	 /* path in the container */
	const char *mode;	 /* as given: "", "ro", "z", "rw,Z", ... */
	const char *propagation; /* "rprivate", "", ... */
	bool rdwr;		 /* RW: mounted writable */
};

/* A container's mounts: one allocation, the records then their strings;
 * immutable once made. Workers only read n, dropped and m[]. */
struct proc_ctr_mounts {
	uint32_t refs;		   /* holders (see above); changed by writers only */
	uint32_t size;		   /* bytes of this block */
	uint32_t n;		   /* mounts kept, in the runtime's order */
	uint32_t dropped;	   /* mounts past the bounds, not kept */
	struct proc_ctr_mount m[]; /* n of them */
};

/* What the cache knows about one container. Strings are "" when unknown. */
struct proc_ctr_info {
	char id[PROC_CONTAINER_ID_LEN + 1]; /* the short id: the cache key */
	char full_id[72];
	char name[PROC_CTR_STR_MAX];	   /* without docker's leading '/' */
	char image[PROC_CTR_STR_MAX];	   /* as the container was created (Config.Image) */
	char image_id[80];		   /* hex digits, without "sha256:" */
	char image_repo[PROC_CTR_STR_MAX]; /* "docker.io/library/nginx", host part kept */
	char image_tag[128];		   /* "latest" when the reference has none */
	char image_digest[80];		   /* "sha256:..." (registry digest) */
	uint64_t start_ts;		   /* ns since the epoch (State.StartedAt); 0 = unknown */
	int8_t privileged;		   /* 1, 0, -1 = unknown */
	uint8_t type;			   /* enum proc_container_type of its source */
	/* NULL: no mounts, or the source did not say (the old container event);
	 * else one reference, owned by whoever owns this struct */
	struct proc_ctr_mounts *mounts;
};

/* Drop @c's reference to its mounts (NULL after). For the struct
 * proc_ctr_info a reader (ctr_docker_inspect, ctr_capture_json) filled, once
 * the caller is done with it (after proc_ctr_put, which takes its own).
 * Accepts mounts == NULL. Any thread. */
void proc_ctr_info_fini(struct proc_ctr_info *c);

/*
 * The cached metadata of container @id (a short id, as proc_image's
 * container_id), or NULL: unknown, or known not to be any runtime's. Any
 * worker, online; see the contract above. A NULL on an id never asked
 * about signals the client (cheap, rate-limited, never waits).
 */
const struct proc_ctr_info *proc_ctr_lookup(struct proc_worker *w, const char *id);

/*
 * Add or replace entries (keyed by their id; entries whose id is not 12
 * hex digits are skipped). The cache takes its own reference to each
 * entry's mounts; the caller keeps (and later drops) its own. A
 * registered, online thread (a worker: the old snapshot goes to call_rcu),
 * serialised internally. 0, -ENOMEM, -ENOSPC (the cache holds PROC_CTR_MAX
 * entries; the rest are dropped).
 */
int proc_ctr_put(struct proc_table *t, const struct proc_ctr_info *c, size_t n);

/* A runtime socket to ask. */
struct proc_ctr_socket {
	const char *path; /* unix socket serving the Docker Engine API */
	uint8_t type;	  /* PROC_CT_DOCKER or PROC_CT_PODMAN */
};

struct proc_ctr_opts {
	struct proc_ctr_socket sockets[PROC_CTR_MAX_SOCKETS];
	unsigned nsockets;
	unsigned timeout_ms;	 /* whole request deadline; 0 = 1000 */
	unsigned refresh_ms;	 /* full refresh (renames, removals, retries); 0 = 30000 */
	unsigned min_refresh_ms; /* between refreshes asked for by misses; 0 = 500 */
	/* one line per change of a runtime's reachability; called on the client
	 * thread; NULL = silent */
	void (*log)(void *arg, const char *msg);
	void *log_arg;
};

/* Counters of a client (any thread, a snapshot). */
struct proc_ctr_stats {
	uint64_t refreshes;  /* list refreshes done */
	uint64_t requests;   /* HTTP requests sent */
	uint64_t errors;     /* requests that failed (connect, timeout, HTTP, JSON) */
	uint64_t containers; /* containers in the cache (gauge) */
	uint64_t unknown;    /* ids no runtime knows (gauge) */
	uint64_t signals;    /* refreshes asked for by workers' misses */
};

struct proc_ctr_client;

/*
 * Start the background client on @t: one thread, which makes a first
 * refresh at once. Returns without waiting for any runtime. NULL + errno
 * (EINVAL: no socket or a path too long for a unix socket; ENOMEM, EAGAIN).
 * Controlling thread; stop it before proc_table_destroy(t).
 */
struct proc_ctr_client *proc_ctr_client_start(struct proc_table *t,
					      const struct proc_ctr_opts *o);
/* Stop and join the thread (bounded by one request's deadline); accepts
 * NULL. The cache keeps what it had. Controlling thread. */
void proc_ctr_client_stop(struct proc_ctr_client *c);
void proc_ctr_client_stats(const struct proc_ctr_client *c, struct proc_ctr_stats *out);

/* ---- users and groups (read-mostly, any worker reads) -------------------- */

struct proc_user {
	uint32_t uid, gid;
	char name[64];
	char home[256];
	char shell[128];
};

struct proc_group {
	uint32_t gid;
	char name[64];
};

/*
 * Add or replace users / groups (a capture's user list, or parsed files).
 * Any thread, serialised internally by a mutex (rare, never per event):
 * builds a new snapshot, publishes it, frees the old one after a grace
 * period. 0, -ENOMEM.
 */
int proc_users_add(struct proc_table *t, const struct proc_user *u, size_t n);
int proc_groups_add(struct proc_table *t, const struct proc_group *g, size_t n);

/* Parse passwd- and group-format files (either path may be NULL). 0 / -errno. */
int proc_users_load(struct proc_table *t, const char *passwd_path, const char *group_path);

/* Lookups; any worker, online. NULL when unknown. Valid until quiescence. */
const struct proc_user *proc_user_lookup(struct proc_worker *w, uint32_t uid);
const struct proc_group *proc_group_lookup(struct proc_worker *w, uint32_t gid);

/* ---- building state from events ----------------------------------------
 *
 * update.c turns decoded events into state changes, with libs' parsers as the
 * reference for what each event sets (fd names, tuples, what a clone child
 * inherits, what execve replaces); procfs.c seeds the table from /proc.
 *
 * Conventions of what these functions store:
 * - cwd always ends with '/' (as libs' update_cwd), except an unknown cwd ("");
 * - fd names: files are absolute paths (relative ones joined with the cwd or
 *   the dirfd's name and normalised as libs' concatenate_paths), IP sockets
 *   "sip:sport->dip:dport" (IPv6 addresses in RFC 5952 text), bound sockets
 *   "ip:port", unix sockets "<src hex>-><dst hex> <path>", memfds the name
 *   given, pipes/eventfds/... "" (libs names them only when read from /proc,
 *   where they are "pipe:[ino]", "anon_inode:[eventfd]", ...);
 * - proc_fd.flags: the kernel's O_* open flags (never libs' PPM_O_* values;
 *   see proc_openflags_from_ppm) plus the PROC_FD_F_* bits below;
 * - proc_sock: sip/sport is the tuple's source and dip/dport its destination,
 *   exactly as the event's tuple says (client -> server for connect and
 *   accept, as libs); ports in host order. A socket bound with a non-zero port
 *   and not connected (PROC_FD_F_SERVER without PROC_FD_F_CONNECTED) keeps the
 *   bound address in dip/dport (libs' "server info"). IPv4 and v4-mapped IPv6
 *   tuples are stored as AF_INET with the address in sip[0..4). Unix sockets
 *   keep the kernel's source and peer addresses as u64 in sip[0..8) and
 *   dip[0..8).
 */

/* proc_fd.flags bits above every kernel O_* flag */
#define PROC_FD_F_CREATED   (1u << 28) /* the open created the file (libs O_F_CREATED) */
#define PROC_FD_F_SERVER    (1u << 29) /* listening/accepted socket (libs role server) */
#define PROC_FD_F_CLIENT    (1u << 30) /* connected by this process (libs role client) */
#define PROC_FD_F_CONNECTED (1u << 31) /* connect succeeded or accepted */
#define PROC_FD_F_MASK	    0xf0000000u

struct evt;
struct cap_tables;

/* What an event refers to, filled by proc_event_apply for the field extractors. */
struct proc_evt_ref {
	struct proc_thread *thr;   /* the event's thread (a placeholder if unknown); NULL only when the table is full */
	struct proc_process *proc; /* its process, or NULL */
	const struct proc_fd *fd;  /* the fd the event acts on (one just opened, or one about to be closed), or NULL */
	int64_t fdnum;		   /* that fd's number, or -1 */
	/* private: work deferred to proc_event_done (close's removal, procexit, ...) */
	uint32_t defer;
	int64_t defer_fd;
	uint64_t defer_tid;
};

/*
 * Apply one decoded event to the state. Call on the worker that owns the
 * event's process (the event's partition). Fills ref (always, even on
 * error). Returns 0, or -errno for an event that could not be applied
 * (malformed parameters, table full, an fd unknown, ...): counted in
 * PROC_UPD_STATS, never fatal. ref->fd stays valid until proc_event_done or
 * the next proc_fd_* change of that process; ref->thr/proc until w's next
 * quiescent state. Allocates only when the event creates something (a
 * thread, an fd, a cwd, an image): read/write/close of known fds do not.
 */
int proc_event_apply(struct proc_worker *w, const struct evt *ev, uint16_t cpu,
		     struct proc_evt_ref *ref);

/*
 * An event of ANOTHER worker's partition that w sees anyway (a replay
 * worker scans every clone exit), at its key (proc_worker_set_key first):
 * w does what it owes the event's owner. Today one thing: the child side
 * of a non-thread clone whose parent process w owns -- w publishes a
 * snapshot of the parent's fd table for the child's owner (see "Fork
 * across partitions" above). Touches only w's own records and the
 * table's snapshot index. Returns 0 (also when there is nothing to do)
 * or -ENOMEM (counted). w's own thread.
 */
int proc_event_foreign(struct proc_worker *w, const struct evt *ev);

/*
 * tid partitions (see "Replicas" in table.c): an event of ANOTHER worker's
 * thread of group tgid, of which w holds a record too (its leader's
 * process, or a replica). Applies what the event changes in a process (fds,
 * cwd, ids, caps, comm; an exec ends w's replica) to w's record, at w's
 * key, as if one of w's threads of the group made it: every record of a
 * group then sees every change of the group, in key order. Fills ref like
 * proc_event_apply (call proc_event_done after). 0 (also for events that
 * change no process), -ENOENT when w holds no live record of tgid, or
 * -errno. w's own thread.
 */
int proc_event_apply_held(struct proc_worker *w, const struct evt *ev, uint64_t tgid,
			  struct proc_evt_ref *ref);

/* Whether w holds a live record of group tgid (its leader's process or a
 * replica): whether proc_event_apply_held would apply its events. w's
 * own thread. */
bool proc_worker_holds(struct proc_worker *w, uint64_t tgid);

/* Whether proc_event_apply_held does anything with events of this type
 * (enter events included: old capture layouts are converted from the
 * enter/exit pair). Pure. */
bool proc_event_type_held(uint16_t type);

/*
 * After the event was evaluated, on the same worker: apply deferred work
 * (a closed fd stays visible while its close event is evaluated, as in libs;
 * an exiting thread is marked so once the procexit event was evaluated).
 * Idempotent; accepts a ref whose apply failed.
 */
void proc_event_done(struct proc_worker *w, struct proc_evt_ref *ref);

/*
 * Seed state from a capture's initial tables: creates the threads (and their
 * fds) for which owns(ctx, tid, pid) is true (owns NULL = all), and the
 * users/groups (idempotent: any worker may pass them, once is enough). Call
 * on the owning worker before its first event. 0 or the first -errno (the
 * rest is still seeded; each failure counted).
 */
int proc_state_from_capture(struct proc_worker *w, const struct cap_tables *t,
			    bool (*owns)(void *ctx, uint64_t tid, uint64_t pid), void *ctx);

/*
 * Seed from /proc (live hosts): every task of every process for which owns()
 * is true, with its fds; procfs is "/proc" (tests may pass another root).
 * Malformed or vanished entries are skipped and counted (procfs_errors).
 * 0, or -errno when procfs itself cannot be read.
 */
int proc_state_from_procfs(struct proc_worker *w, const char *procfs,
			   bool (*owns)(void *ctx, uint64_t tid, uint64_t pid), void *ctx);

/*
 * Lazy read of one unknown tid from procfs (/proc/<tid>, found through its
 * thread group): creates its process (if owned by nobody yet) and the thread.
 * Owner of that tid's partition. 0, -ENOENT (gone), -EINVAL (malformed),
 * -EPERM (its process is another worker's), -errno.
 */
int proc_state_load_tid(struct proc_worker *w, const char *procfs, uint64_t tid);

/*
 * The initial tables of a capture recorded on this host (`peregrine -w`):
 * every thread of @procfs (NULL: /proc) with its process's fds, read as
 * proc_state_from_procfs reads them, and the accounts of @passwd and @group
 * (NULL or unreadable: none). @out is the caller's to free with
 * cap_tables_release. Entries that vanish or are malformed while read are
 * skipped and counted in *@skipped (may be NULL). 0, -ENOMEM, or -errno when
 * procfs cannot be read. Any thread; touches no shared state.
 */
struct cap_tables;
int proc_host_tables(const char *procfs, const char *passwd, const char *group,
		     struct cap_tables *out, uint64_t *skipped);

/* Call fn for each fd of thr's process (owner only; fn must not change the
 * table). Stops early when fn returns non-zero, and returns that value. */
int proc_fd_foreach(struct proc_worker *w, struct proc_thread *thr,
		    int (*fn)(const struct proc_fd *fd, void *arg), void *arg);

/* Kernel O_* flags from libs' PPM_O_* (open flags params), and back (for
 * fd.openflags, which prints the PPM names). PROC_FD_F_CREATED <->
 * PPM_O_F_CREATED. Pure functions. */
uint32_t proc_openflags_from_ppm(uint32_t ppm);
uint32_t proc_openflags_to_ppm(uint32_t flags);

/* Counters of the event applier and the seeders; per worker, summed. */
#define PROC_UPD_STATS(X)                                                                        \
	X(events, "events applied")                                                              \
	X(ev_bad_params, "events with missing or malformed parameters")                         \
	X(ev_foreign, "events of a thread another worker owns (misrouted), state untouched")  \
	X(held_events, "tid partitions: other workers' threads' events applied to this worker's record of their group") \
	X(ev_no_thread, "events without a thread (table full)")                               \
	X(ev_failed_syscall, "state-changing events whose syscall failed (nothing changed)")  \
	X(fd_unknown, "events on an fd the state does not know")                              \
	X(fd_errors, "fd additions/removals that failed")                                     \
	X(fds_inherited_remote, "clone children given their parent's fds by another worker") \
	X(fds_not_inherited, "clone children whose parent's fds live in another partition, no snapshot") \
	X(clone_errors, "clones not applied")                                                 \
	X(exec_errors, "execs not applied")                                                   \
	X(exit_errors, "procexits of unknown threads")                                       \
	X(set_errors, "cwd/uid/gid/comm/caps/sid updates that failed")                        \
	X(seeded_threads, "threads created from capture tables or /proc")                     \
	X(seed_errors, "capture/procfs entries that could not be seeded")                     \
	X(procfs_errors, "malformed or vanished /proc entries")                               \
	X(procfs_loads, "unknown tids read from /proc on demand")                              \
	X(procfs_fd_loads, "live: fds a fork across partitions inherited, read from /proc on use") \
	X(procfs_fd_misses, "live: such an fd not in /proc (not inherited, or the process is gone)") \
	X(ctr_mounts_cut, "capture container events with more mounts than PROC_CTR_MOUNTS_MAX/_BYTES keep")

struct proc_upd_stats {
#define PROC_UPD_FIELD(name, desc) uint64_t name;
	PROC_UPD_STATS(PROC_UPD_FIELD)
#undef PROC_UPD_FIELD
};

#define PROC_UPD_COUNT(name, desc) +1
enum { PROC_UPD_NCOUNTERS = 0 PROC_UPD_STATS(PROC_UPD_COUNT) };
#undef PROC_UPD_COUNT

/* Sum every worker's update counters. Any thread. */
void proc_upd_stats(const struct proc_table *t, struct proc_upd_stats *out);

#endif /* PG_STATE_STATE_H */
