/*
 * probe.h - what the eBPF probe (probe.bpf.c) and its loader (src/source/live.c)
 * share: limits, the partition modes, the per-ring counters and the partition
 * hash.
 *
 * The probe writes libs-layout events (abi/event.h) into N ring buffers held
 * in an array of maps; which ring an event goes to is decided in the kernel
 * from the partition mode, with the hash below, so that userspace (tests, the
 * replay dispatcher) can compute the same owner for a tgid. Fixed-width types
 * only, no pointers: both sides include this file.
 */
#ifndef PG_BPF_PROBE_H
#define PG_BPF_PROBE_H

#include "abi/event.h"
#include "abi/event_types.h"

#define PRB_MAX_RINGS 64u	  /* most rings (workers) one probe feeds */
#define PRB_NSYSCALLS 512u	  /* syscall ids the selection map covers */
#define PRB_MAX_EVENT (32u << 10) /* largest event, header included */
#define PRB_SCRATCH (64u << 10)	  /* per-cpu scratch: 2 * PRB_MAX_EVENT */
#define PRB_VAR_LIMIT (PRB_MAX_EVENT - 1024u) /* room kept for fixed params */

#define PRB_ARGS_MAX 4096u  /* execve/clone args bytes */
#define PRB_ENV_MAX 4096u   /* execve env bytes */
#define PRB_PATH_MAX 4096u  /* a path read from user memory */
#define PRB_PATH_DEPTH 24u  /* dentry components a kernel path walk follows */
#define PRB_SNAPLEN_MAX 4096u /* most data bytes of read/write/send/recv */

/*
 * The syscalls the probe has a handler for, by name (x86_64 __NR_<name> from
 * <asm/unistd_64.h>; libs event <name>). Each has a program x_<name> in
 * probe.bpf.c; userspace selects among them (prb_select_*, live.h).
 */
#define PRB_SYSCALLS(X) \
	X(execve) X(execveat) X(clone) X(clone3) X(fork) X(vfork) X(open) X(openat) \
	X(openat2) X(creat) X(close) X(read) X(write) X(socket) X(connect) X(accept) \
	X(accept4) X(bind) X(listen) X(sendto) X(recvfrom) X(dup) X(dup2) X(dup3) \
	X(chmod) X(fchmod) X(fchmodat) X(mkdir) X(mkdirat) X(unlink) X(unlinkat) \
	X(rename) X(renameat) X(renameat2) X(link) X(linkat) X(symlink) X(symlinkat) \
	X(setuid) X(setgid) X(setreuid) X(setregid) X(setresuid) X(setresgid) X(ptrace) \
	X(init_module) X(finit_module) X(memfd_create) X(mmap) X(mprotect) X(chdir) X(fchdir) \
	X(fcntl) X(pipe) X(pipe2) X(eventfd) X(eventfd2) X(signalfd) X(signalfd4) \
	X(timerfd_create) X(inotify_init) X(inotify_init1) X(socketpair) X(setsid) X(setpgid) \
	X(setns) X(unshare) X(capset) X(prctl)

/* How events are spread over rings (the rodata knob part_mode). */
enum prb_part {
	PRB_PART_TGID = 0, /* prb_part_of(tgid, N): a process stays on one ring */
	PRB_PART_TID = 1,  /* prb_part_of(tid, N): threads spread out */
	PRB_PART_CPU = 2,  /* cpu % N: the classic per-cpu layout */
};

/* Per-ring counters, one copy per cpu in a per-cpu array indexed by ring so
 * the hot path never writes a cache line another cpu writes. Summed by the
 * loader when read. */
struct prb_ring_counters {
	pg_u64 events;	  /* events written into the ring */
	pg_u64 drops;	  /* events lost: the ring was full */
	pg_u64 clobbered; /* events lost: the scratch buffer was reused by a
			   * task that preempted this one mid-event */
};

/* Full-ring drops by event type (the drops map's one per-cpu value). */
struct prb_drops {
	pg_u64 by_type[EVT_TYPE_MAX];
};

/*
 * The partition of a key (tgid, or tid) among @n rings: Fibonacci hashing
 * (the key times 2^32 / golden ratio, modulo 2^32) and a multiply-shift
 * range reduction that keeps its top bits; no division. Consecutive keys are
 * spread as evenly as any keys can be (the fractional parts of k * phi
 * fall evenly: the three-distance theorem), and pids are handed out in
 * order, so a pool of workers forked together is split evenly over the
 * rings. A random-like mixer ("lowbias32", used until 2026-12) split 8
 * consecutive pids 6:2 or worse one time in three, and in the busy-host
 * storm the fuller ring's worker then dropped up to 69% while the other
 * idled (docs/ARCHITECTURE.md, "Live mode"). Userspace uses the same
 * function to know which ring owns a process.
 */
static inline pg_u32 prb_part_of(pg_u32 key, pg_u32 n)
{
	return (pg_u32)(((pg_u64)(pg_u32)(key * 0x9e3779b9u) * n) >> 32);
}

#endif /* PG_BPF_PROBE_H */
