/*
 * live.h - the live source: loads the eBPF probe (src/bpf/probe.bpf.c),
 * attaches it, and hands out one consumer per ring buffer.
 *
 * The probe writes libs-layout events (abi/event.h) into N ring buffers; the
 * ring of an event is chosen in the kernel by the partition mode (by default
 * prb_part_of(tgid, N)), so all events of a process, its clone child event
 * included, arrive on one ring and one worker. Each ring has its own consumer
 * object with its own epoll instance: a worker owns exactly one consumer and
 * never touches another worker's ring.
 *
 * Threads:
 *  - prb_open(), the prb_set_*() calls and prb_close() belong to the thread
 *    that controls the engine (prb_open() also replaces libbpf's print hook
 *    for the duration of the load, so do not load other BPF objects at the
 *    same moment from another thread);
 *  - prb_ring__new()/__free() are called by the controlling thread or by the
 *    worker that will own the consumer; every other prb_ring__* call only by
 *    that one worker;
 *  - prb_counters(), prb_ring_fd(), prb_ring_for() and prb_n_rings() from any
 *    thread while the probe is open (they read, never write).
 * Every consumer must be freed before prb_close().
 */
#ifndef PG_SOURCE_LIVE_H
#define PG_SOURCE_LIVE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bpf/probe.h" /* enum prb_part, struct prb_ring_counters, prb_part_hash() */

struct prb;
struct prb_ring;

/*
 * Where the probe hooks syscall exits. Both run the same handlers and write
 * the same events; they differ in what a syscall nobody selected costs.
 *  - PRB_HOOK_RAW: one program on the raw tracepoint tp_btf/sys_exit,
 *    which every syscall of the host calls; it drops unselected ones after
 *    a map lookup, and tail-calls (or inlines) the selected one's handler.
 *  - PRB_HOOK_SYSCALL: each selected syscall's handler on that syscall's
 *    own tracepoint, syscalls:sys_exit_<name> (tracefs, mounted if it is
 *    not). The kernel calls a program only for those syscalls, so the
 *    others pay no program call (which is most of what the raw hook adds
 *    to them, bench/tp_floor), but a selected syscall pays for the
 *    tracepoint's record besides. A syscall this kernel is built without
 *    has no tracepoint, so an attempt to call it (ENOSYS) is not seen:
 *    prb_missing() names them.
 */
enum prb_hook {
	PRB_HOOK_RAW = 0,
	PRB_HOOK_SYSCALL = 1,
};

struct prb_opts {
	uint32_t n_rings;	/* rings (workers), 1..PRB_MAX_RINGS */
	uint64_t ring_bytes;	/* bytes per ring: a power of two multiple of the page size */
	enum prb_part part;	/* how events are spread over the rings */
	uint32_t snaplen;	/* data bytes kept from I/O buffers, <= PRB_SNAPLEN_MAX */
	bool trace_self;	/* also trace the calling process (normally filtered) */
	enum prb_hook hook;	/* where syscall exits are hooked */
	bool all_syscalls;	/* send every syscall the probe handles, ignore @syscalls */
	const uint32_t *syscalls; /* syscall ids to send; NULL: every one with a handler */
	uint32_t n_syscalls;
	char *err;		/* where a failure is explained to the user, or NULL */
	size_t errlen;
};

/* Defaults: 1 ring of 8 MiB, tgid partitioning, snaplen 80, every handled
 * syscall, our own process not traced. */
void prb_opts_default(struct prb_opts *o);

/*
 * prb_open - check the host, load, fill the rings and attach the probe.
 * Returns NULL and sets errno on failure, with a message in @o->err saying
 * what to do: EPERM (not root / no CAP_BPF), ENOTSUP (kernel without BTF),
 * EINVAL (bad option, e.g. a ring size that is not a power of two multiple of
 * the page size), or the verifier's error with the last lines of its log.
 */
struct prb *prb_open(const struct prb_opts *o);

/* Detach the probe's programs: no event is written after this returns, so
 * consumers can drain what the rings hold and the kernel counters are final.
 * Controlling thread; idempotent; accepts NULL. */
void prb_detach(struct prb *p);

/* Detach and free everything; accepts NULL. All consumers must be freed. */
void prb_close(struct prb *p);

uint32_t prb_n_rings(const struct prb *p);

/* The host's boot time in ns since the epoch: event time = this + the
 * kernel's boottime clock (the probe's timestamps). Any thread. */
uint64_t prb_boot_epoch_ns(void);

/* CPUs the kernel may run on (the cpu layout's ring count), or -errno. */
int prb_possible_cpus(void);

/* Fd of ring @i's BPF_MAP_TYPE_RINGBUF map, or -EINVAL. */
int prb_ring_fd(const struct prb *p, uint32_t i);

/* The ring the probe writes an event of (@tgid, @tid) made on @cpu to. */
uint32_t prb_ring_for(const struct prb *p, uint32_t tgid, uint32_t tid, uint32_t cpu);

/* Kernel counters of ring @i summed over cpus; 0 or -errno. */
int prb_counters(const struct prb *p, uint32_t i, struct prb_ring_counters *out);

/* The reference engine's categories of kernel drops (its n_drops_buffer_*
 * counters; exit events only here, as the probe sends no enter events). */
enum prb_drop_cat {
	PRB_DROP_CLONE_FORK = 0, /* clone, fork, vfork, clone3 */
	PRB_DROP_EXECVE,	 /* execve, execveat */
	PRB_DROP_CONNECT,	 /* connect */
	PRB_DROP_OPEN,		 /* open, openat, openat2, creat, open_by_handle_at */
	PRB_DROP_DIR_FILE,	 /* mkdir, rmdir, unlink, rename, link, symlink, chmod, chdir families */
	PRB_DROP_CLOSE,		 /* close */
	PRB_DROP_PROC_EXIT,	 /* procexit */
	PRB_DROP_OTHER,		 /* every other event type */
	PRB_DROP_NCAT
};

/* "clone_fork", "execve", ..., "other_interest". */
const char *prb_drop_cat_name(enum prb_drop_cat c);
/* The category of event type @type. Pure function. */
enum prb_drop_cat prb_drop_cat_of(uint16_t type);
/* Full-ring drops so far by category, summed over rings and cpus into @out
 * (PRB_DROP_NCAT entries). 0 or -errno. Any thread while the probe is open. */
int prb_drops_by_category(const struct prb *p, uint64_t *out);

/* Select syscall @nr (an x86_64 syscall number) in or out; 0 or -errno
 * (with the syscall hook, attaching its program can fail). Controlling
 * thread. */
int prb_set_syscall(struct prb *p, uint32_t nr, bool on);

/* Send every handled syscall (true) or only the selected ones (false).
 * Controlling thread; 0 or -errno as prb_set_syscall(). */
int prb_set_all(struct prb *p, bool on);

enum prb_hook prb_hook(const struct prb *p);

/* With PRB_HOOK_SYSCALL: the selected syscalls this kernel has no
 * tracepoint for (built without them: a call fails with ENOSYS and is not
 * seen), comma-separated into @buf; their count. 0 with the raw hook.
 * Controlling thread. */
uint32_t prb_missing(const struct prb *p, char *buf, size_t len);

/* A syscall the probe has a handler for: libs event name, x86_64 number. */
struct prb_syscall {
	const char *name;
	uint32_t nr;
};

/* The handled syscalls (probe.h PRB_SYSCALLS); *n gets their count. */
const struct prb_syscall *prb_syscalls(uint32_t *n);

/* Called once per event, in ring order, on the consumer's thread. @ev points
 * into the ring and is valid only during the call. A negative return stops
 * the current poll/consume and is returned by it. */
typedef int (*prb_event_fn)(void *ctx, const void *ev, size_t len);

/* A consumer of ring @i; NULL + errno on failure. It reads the ring through
 * its mmap()ed pages and gives the records it delivered back to the kernel
 * at the end of each poll/consume (and within one every 1/16 of the ring),
 * not after each record. */
struct prb_ring *prb_ring__new(struct prb *p, uint32_t i, prb_event_fn fn, void *ctx);

/* Longest a consumer sleeps: the probe wakes it only when its ring is 1/8
 * full, so this tick bounds how late an event on a quiet ring is seen (an
 * alert is at most this late). Under load it is also how often a worker
 * wakes, and a wakeup costs ~25 us of CPU on a paravirtualised guest: with
 * 2 ms two workers at 500k events/s spent 175-200 ns of CPU per event, with
 * 10 ms 80-128 ns (the single consumer 85-92 and 78-85; 2026-12-07, AMD
 * VM, 4-process storm). No overflow risk: a full ring wakes its consumer. */
#define PRB_POLL_TICK_MS 10

/* Wait up to @timeout_ms (-1: forever; both capped at PRB_POLL_TICK_MS) for
 * events and deliver them. Returns the number of events delivered, the
 * callback's negative value, or -errno. */
int prb_ring__poll(struct prb_ring *r, int timeout_ms);

/* Deliver what is in the ring now, without waiting. Same returns. */
int prb_ring__consume(struct prb_ring *r);

/* The consumer's epoll fd, to wait on it with other fds. */
int prb_ring__epoll_fd(const struct prb_ring *r);

/* Accepts NULL. */
void prb_ring__free(struct prb_ring *r);

/*
 * The reference engine's single consumer: ONE object reading ALL rings of
 * the probe, delivering at each step the oldest (smallest timestamp) of the
 * rings' head events, so the stream is in time order across rings as far as
 * each ring is. Used with PRB_PART_CPU (a ring per cpu) as the baseline the
 * partitioned layout is measured against. Same threading rules as a
 * prb_ring (one thread owns it); like a prb_ring, it reads the rings
 * through their mmap()ed pages and gives records back once per batch.
 */
struct prb_merge;
struct prb_merge *prb_merge__new(struct prb *p, prb_event_fn fn, void *ctx);
/* Like prb_ring__poll / prb_ring__consume, over all rings. */
int prb_merge__poll(struct prb_merge *m, int timeout_ms);
int prb_merge__consume(struct prb_merge *m);
/* The ring of the event being delivered (valid inside the callback). */
uint32_t prb_merge__ring(const struct prb_merge *m);
/* Accepts NULL. */
void prb_merge__free(struct prb_merge *m);

#endif /* PG_SOURCE_LIVE_H */
