// SPDX-License-Identifier: GPL-2.0
/*
 * probe.bpf.c - peregrine's modern (CO-RE) eBPF probe.
 *
 * One tp_btf/sys_exit dispatcher filters each syscall exit (our own tgid, the
 * selection map) and runs the handler of that syscall id: the hottest
 * (read, write, close, openat, ... see HOT_HANDLER) inlined in the
 * dispatcher, every other one through a tail call; each handler
 * writes one libs-layout exit event (abi/event.h, parameter lists as in
 * abi/event_table.c) into ring prb_part_of(tgid, N) (probe.h) of an array
 * of ring buffers:
 * an event whose parameters all have a fixed size is reserved in the ring and
 * written in place (see HOW THE FIXED PATH WORKS), any other is built in a
 * per-cpu scratch buffer and copied (HOW THE SCRATCH WORKS).
 * tp_btf/sched_process_exit makes procexit, which has no syscall of its own.
 *
 * Per-event costs, measured (kernel.bpf_stats_enabled on the 2-vCPU VM, a
 * read event, by taking one piece out at a time): the kernel's own cost of
 * running a sys_exit program, then the ring's reserve/copy/commit (~100 ns),
 * the clock read (~90 ns: kvm-clock), a tail call (~45 ns: retpolines, hence
 * the inlined hot handlers) and the user-buffer copy (~40 ns); helper calls
 * are kept to one task lookup in the dispatcher and one in the handler (tid
 * and tgid are loads from the task). The timestamp stays
 * boot_ns + bpf_ktime_get_boot_ns(): the other full-resolution clocks
 * (ktime_get_ns, tai) read the same clocksource at the same cost, and only
 * boottime keeps the epoch offset computed at load right across a suspend.
 *
 * Everything is read at syscall EXIT: on x86_64 the saved pt_regs still hold
 * the arguments, and the outcome (new fd, child tid, new image) is known. A
 * forked child runs its own sys_exit (return value 0) before it returns to
 * user space; its clone event is built there, as the child, so it lands in the
 * child's ring and carries the child's own facts without any parent lookup.
 *
 * HOW THE SCRATCH WORKS: most events are variable-sized, and bpf_ringbuf_reserve()
 * needs a constant size, so such an event is built in a PRB_SCRATCH-byte per-cpu
 * slot and then copied with bpf_ringbuf_output(). Every write offset is masked
 * with PRB_MAX_EVENT - 1 and every length is below PRB_MAX_EVENT, so the
 * verifier can prove each access lies inside the slot. Syscall tracepoints may
 * run preemptible on recent kernels, so a slot is stamped with the writer's
 * pid_tgid; an event whose stamp changed underneath is counted as clobbered
 * rather than sent half-overwritten.
 *
 * x86_64 only for now (argument registers, syscall numbers).
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include <asm/unistd_64.h>

#include "abi/event_types.h"
#include "bpf/probe.h"

char LICENSE[] SEC("license") = "GPL";

#define PRB_MASK (PRB_MAX_EVENT - 1)

/* Load-time knobs (rodata), set by the loader before load. */
const volatile __u32 part_mode = PRB_PART_TGID;
const volatile __u32 n_rings = 1;
const volatile __u32 self_tgid = 0; /* 0: trace ourselves too */
const volatile __u32 snaplen = 80;  /* data bytes kept from I/O buffers */
const volatile __u64 boot_ns = 0;   /* epoch ns at boot: ts = boot_ns + boottime */
/* Wake the ring's consumer only once this many bytes wait in the ring; below
 * it the consumer finds them on its next poll tick. A wakeup per event (an
 * IPI and a scheduler pass) costs more than everything else the probe does;
 * the reference engine's probe never asks for one. 0: wake on every event. */
const volatile __u64 wakeup_bytes = 0;

/* Run-time switch (bss), written by userspace through the skeleton: 1 sends
 * every syscall that has a handler, ignoring the selection map. */
__u32 all_syscalls = 0;

struct prb_scratch {
	__u64 stamp; /* pid_tgid of the task building the event */
	__u32 pos;   /* next payload byte */
	__u32 lens;  /* parameters written so far */
	__u64 tmp[32];	    /* path walks: component pointers */
	__u8 tmpbuf[256];   /* small user structs (sockaddr) */
	__u8 data[PRB_SCRATCH];
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1); /* the loader sets the number of possible cpus */
	__type(key, __u32);
	__type(value, struct prb_scratch);
} scratch SEC(".maps");

/* The rings: BPF_MAP_TYPE_RINGBUF inner maps, made and inserted by the loader
 * (their size is chosen at load, so there is no inner template here). */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
	__uint(max_entries, 1); /* the loader sets N */
	__type(key, __u32);
	__type(value, __u32);
} rings SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, PRB_MAX_RINGS);
	__type(key, __u32);
	__type(value, struct prb_ring_counters);
} counters SEC(".maps");

/* Events lost because their ring was full, by event type (one entry; per
 * cpu). Userspace groups them into the reference engine's drop categories
 * (prb_drops_by_category). Written only on the drop path. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct prb_drops);
} drops SEC(".maps");

/* Syscall ids userspace wants (1) or not (0). */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, PRB_NSYSCALLS);
	__type(key, __u32);
	__type(value, __u8);
} interesting SEC(".maps");

/* libs flag values (ppm_events_public.h): the table's flags params use them. */
#define PPM_O_RDONLY (1 << 0)
#define PPM_O_WRONLY (1 << 1)
#define PPM_O_CREAT (1 << 2)
#define PPM_O_APPEND (1 << 3)
#define PPM_O_DSYNC (1 << 4)
#define PPM_O_EXCL (1 << 5)
#define PPM_O_NONBLOCK (1 << 6)
#define PPM_O_SYNC (1 << 7)
#define PPM_O_TRUNC (1 << 8)
#define PPM_O_DIRECT (1 << 9)
#define PPM_O_DIRECTORY (1 << 10)
#define PPM_O_LARGEFILE (1 << 11)
#define PPM_O_CLOEXEC (1 << 12)
#define PPM_O_TMPFILE (1 << 13)
#define PPM_O_F_CREATED (1 << 14)
#define PPM_EXE_WRITABLE (1 << 0)
#define PPM_EXE_UPPER_LAYER (1 << 1)
#define PPM_EXE_FROM_MEMFD (1 << 2)
#define PPM_EXE_LOWER_LAYER (1 << 3)
#define PPM_CL_CHILD_IN_PIDNS (1 << 29)
#define PPM_AF_UNIX 1
#define PPM_AF_INET 2
#define PPM_AF_INET6 10

/* Kernel facts not in BTF (uapi and internal #defines). */
#define AF_UNIX 1
#define AF_INET 2
#define AF_INET6 10
#define O_ACCMODE 00000003
#define O_WRONLY 00000001
#define O_RDWR 00000002
#define O_CREAT 00000100
#define O_EXCL 00000200
#define O_TRUNC 00001000
#define O_APPEND 00002000
#define O_NONBLOCK 00004000
#define O_DSYNC 00010000
#define O_DIRECT 00040000
#define O_LARGEFILE 00100000
#define O_DIRECTORY 00200000
#define O_CLOEXEC 02000000
#define __O_SYNC 04000000
#define __O_TMPFILE 020000000
#define FMODE_CREATED 0x100000
#define TS_COMPAT 0x0002
#define RLIMIT_NOFILE 7
#define OVERLAYFS_SUPER_MAGIC 0x794c7630
#define CLONE_VM 0x00000100
#define CLONE_VFORK 0x00004000

/* Older kernel layouts, for CO-RE. */
struct kernfs_node___old {
	struct kernfs_node *parent;
} __attribute__((preserve_access_index));

struct inode___v66 {
	struct timespec64 __i_ctime;
	struct timespec64 i_mtime;
} __attribute__((preserve_access_index));

struct inode___old {
	struct timespec64 i_ctime;
	struct timespec64 i_mtime;
} __attribute__((preserve_access_index));

/* ---- scratch writer ---------------------------------------------------- */

/* Byte @p of the event being built, bounded for the verifier. The mask is
 * done in asm: clang drops a C mask it can prove redundant from an earlier
 * comparison, and the verifier does not always keep that comparison's bound. */
static __always_inline __u8 *at(struct prb_scratch *s, __u32 p)
{
	__u64 o = p;

	asm volatile("%0 &= %1" : "+r"(o) : "i"(PRB_MASK));
	return &s->data[o];
}

/* The event header (abi/event.h) is packed; written through struct evt_hdr
 * clang would store it byte by byte. These store each field whole at its
 * offset (unaligned stores are fine for the verifier and the JIT on x86). */
#define HDR_AT(d, field) ((__u8 *)(d) + __builtin_offsetof(struct evt_hdr, field))

static __always_inline void hdr_type(__u8 *d, __u16 type, __u32 nparams)
{
	*(__u16 *)HDR_AT(d, type) = type;
	*(__u32 *)HDR_AT(d, nparams) = nparams;
}

static __always_inline void hdr_ts_tid_len(__u8 *d, __u32 tid, __u32 len)
{
	*(__u64 *)HDR_AT(d, ts) = boot_ns + bpf_ktime_get_boot_ns();
	*(__u64 *)HDR_AT(d, tid) = tid;
	*(__u32 *)HDR_AT(d, len) = len;
}

static __always_inline struct prb_scratch *ev_begin(__u16 type, __u32 nparams)
{
	__u32 cpu = bpf_get_smp_processor_id();
	struct prb_scratch *s = bpf_map_lookup_elem(&scratch, &cpu);

	if (!s)
		return NULL;
	s->stamp = bpf_get_current_pid_tgid();
	hdr_type(s->data, type, nparams);
	s->pos = EVT_HDR_LEN + 2 * nparams;
	s->lens = 0;
	return s;
}

static __always_inline void ev_len(struct prb_scratch *s, __u32 len)
{
	__u32 i = s->lens;
	__u16 *slot = (__u16 *)at(s, EVT_HDR_LEN + 2 * (i & 31));

	*slot = (__u16)len;
	s->lens = i + 1;
}

static __always_inline void ev_u8(struct prb_scratch *s, __u8 v)
{
	__u32 p = s->pos;

	*at(s, p) = v;
	s->pos = p + 1;
	ev_len(s, 1);
}

static __always_inline void ev_u16(struct prb_scratch *s, __u16 v)
{
	__u32 p = s->pos;

	*(__u16 *)at(s, p) = v;
	s->pos = p + 2;
	ev_len(s, 2);
}

static __always_inline void ev_u32(struct prb_scratch *s, __u32 v)
{
	__u32 p = s->pos;

	*(__u32 *)at(s, p) = v;
	s->pos = p + 4;
	ev_len(s, 4);
}

static __always_inline void ev_u64(struct prb_scratch *s, __u64 v)
{
	__u32 p = s->pos;

	*(__u64 *)at(s, p) = v;
	s->pos = p + 8;
	ev_len(s, 8);
}

static __always_inline void ev_empty(struct prb_scratch *s)
{
	ev_len(s, 0);
}

/* Room left for one variable-size parameter, at most @want bytes. */
static __always_inline __u32 ev_room(struct prb_scratch *s, __u32 want)
{
	__u32 p = s->pos;
	__u32 room = p < PRB_VAR_LIMIT ? PRB_VAR_LIMIT - p : 0;

	return want < room ? want : room;
}

/* A NUL-terminated string from user (@user) or kernel memory; empty when it
 * cannot be read. */
static __always_inline void ev_str(struct prb_scratch *s, const void *ptr, __u32 max, bool user)
{
	__u32 p = s->pos;
	__u32 n = ev_room(s, max);
	long r = 0;

	if (ptr && n > 0) {
		if (user)
			r = bpf_probe_read_user_str(at(s, p), n & PRB_MASK, ptr);
		else
			r = bpf_probe_read_kernel_str(at(s, p), n & PRB_MASK, ptr);
	}
	if (r < 0)
		r = 0;
	s->pos = p + r;
	ev_len(s, r);
}

/* @len raw bytes of user memory; empty when they cannot be read. */
static __always_inline void ev_bytes_user(struct prb_scratch *s, const void *ptr, __u64 len)
{
	__u32 p = s->pos;
	__u32 n = ev_room(s, len > PRB_MAX_EVENT ? PRB_MAX_EVENT : len);

	if (!ptr || n == 0 || bpf_probe_read_user(at(s, p), n & PRB_MASK, ptr)) {
		ev_empty(s);
		return;
	}
	s->pos = p + n;
	ev_len(s, n);
}

static __always_inline __u32 ring_of(__u32 tgid, __u32 tid)
{
	if (n_rings <= 1)
		return 0; /* a known constant at load: no hash, no division */
	if (part_mode == PRB_PART_CPU)
		return bpf_get_smp_processor_id() % n_rings;
	return prb_part_of(part_mode == PRB_PART_TID ? tid : tgid, n_rings);
}

/* Whether this event wakes the ring's consumer. Looking at how much waits
 * in the ring reads the consumer's position, a cache line the consumer's
 * cpu keeps writing, so it is done once every PRB_WAKE_EVERY events of this
 * cpu; the consumer polls every PRB_POLL_TICK_MS anyway (live.h). */
#define PRB_WAKE_EVERY 64u
static __always_inline __u64 wake_flags(void *ring, const struct prb_ring_counters *c)
{
	if (!wakeup_bytes)
		return BPF_RB_FORCE_WAKEUP;
	if ((c->events & (PRB_WAKE_EVERY - 1)) == 0 &&
	    bpf_ringbuf_query(ring, BPF_RB_AVAIL_DATA) >= wakeup_bytes)
		return BPF_RB_FORCE_WAKEUP;
	return BPF_RB_NO_WAKEUP;
}

/* Count a full-ring drop of an event of @type. */
static __always_inline void count_drop(struct prb_ring_counters *c, __u16 type)
{
	__u32 zero = 0;
	struct prb_drops *d = bpf_map_lookup_elem(&drops, &zero);

	c->drops++;
	if (d && type < EVT_TYPE_MAX)
		d->by_type[type]++;
}

/* Finish the header and copy the event into its ring. */
static __always_inline void ev_submit(struct prb_scratch *s)
{
	__u64 id = bpf_get_current_pid_tgid();
	__u32 len = s->pos;
	__u32 idx = ring_of(id >> 32, id);
	struct prb_ring_counters *c = bpf_map_lookup_elem(&counters, &idx);
	__u16 type = *(__u16 *)HDR_AT(s->data, type);
	void *ring;

	if (!c)
		return;
	if (s->stamp != id) {
		s->stamp = 0; /* the other writer's event is damaged too */
		c->clobbered++;
		return;
	}
	hdr_ts_tid_len(s->data, id, len);
	ring = bpf_map_lookup_elem(&rings, &idx);
	if (!ring || len > PRB_MAX_EVENT) {
		count_drop(c, type);
		return;
	}
	if (bpf_ringbuf_output(ring, s->data, len, wake_flags(ring, c)))
		count_drop(c, type);
	else
		c->events++;
}

/* ---- fixed-size events: written in place in the ring ---------------------
 *
 * HOW THE FIXED PATH WORKS: an event whose parameters all have a fixed size
 * (results, fds, ids, flags, capability sets) has a size known when the
 * handler is compiled, so it is reserved in its ring at exactly that size and
 * its header and parameters are stored straight into the reservation: no
 * scratch, no copy, and no clobber check (a reservation belongs to its
 * writer, however it is preempted). The handler states the parameter bytes
 * to fx_begin(); the offsets are compile-time constants, and fx_submit()
 * refuses to compile when the parameters written do not add up to the size
 * reserved. A failed reservation is a full-ring drop, counted as ev_submit()
 * counts one. */

struct fx {
	__u8 *d;			/* the reservation */
	void *ring;
	struct prb_ring_counters *c;
	__u32 size;			/* bytes reserved */
	__u32 pos;			/* next parameter byte */
	__u32 i;			/* next length slot */
};

extern void prb_fx_size_mismatch(void)
	__attribute__((error("fixed-size event: the parameters written differ from the size given to fx_begin()")));

/* Reserve an event of @type with @nparams parameters of @pbytes bytes in
 * all, in the current task's ring, and write its header. False when it was
 * not reserved (then it was counted as a drop and nothing is to be done). */
static __always_inline bool fx_begin(struct fx *f, __u16 type, __u32 nparams, __u32 pbytes)
{
	struct task_struct *t = bpf_get_current_task_btf();
	__u32 tid = t->pid;
	__u32 idx = ring_of(t->tgid, tid);

	f->size = EVT_HDR_LEN + 2 * nparams + pbytes;
	f->pos = EVT_HDR_LEN + 2 * nparams;
	f->i = 0;
	f->c = bpf_map_lookup_elem(&counters, &idx);
	if (!f->c)
		return false;
	f->ring = bpf_map_lookup_elem(&rings, &idx);
	f->d = f->ring ? bpf_ringbuf_reserve(f->ring, f->size, 0) : NULL;
	if (!f->d) {
		count_drop(f->c, type);
		return false;
	}
	hdr_type(f->d, type, nparams);
	hdr_ts_tid_len(f->d, tid, f->size);
	return true;
}

static __always_inline void fx_len(struct fx *f, __u32 len)
{
	*(__u16 *)(f->d + EVT_HDR_LEN + 2 * f->i) = len;
	f->i++;
	f->pos += len;
}

static __always_inline void fx_u8(struct fx *f, __u8 v)
{
	*(f->d + f->pos) = v;
	fx_len(f, 1);
}

static __always_inline void fx_u16(struct fx *f, __u16 v)
{
	*(__u16 *)(f->d + f->pos) = v;
	fx_len(f, 2);
}

static __always_inline void fx_u32(struct fx *f, __u32 v)
{
	*(__u32 *)(f->d + f->pos) = v;
	fx_len(f, 4);
}

static __always_inline void fx_u64(struct fx *f, __u64 v)
{
	*(__u64 *)(f->d + f->pos) = v;
	fx_len(f, 8);
}

static __always_inline void fx_submit(struct fx *f)
{
	if (f->pos != f->size)
		prb_fx_size_mismatch();
	bpf_ringbuf_submit(f->d, wake_flags(f->ring, f->c));
	f->c->events++;
}

/* ---- kernel facts ------------------------------------------------------- */

/* Argument @i of the syscall. @regs is the tracepoint's BTF-typed pointer:
 * a direct load, no helper call. */
static __always_inline unsigned long sc_arg(struct pt_regs *regs, int i)
{
	switch (i) {
	case 0:
		return regs->di;
	case 1:
		return regs->si;
	case 2:
		return regs->dx;
	case 3:
		return regs->r10;
	case 4:
		return regs->r8;
	default:
		return regs->r9;
	}
}

/* bpf_rdonly_cast (kernel 6.2+): turn a kernel pointer read as a number
 * (e.g. with bpf_probe_read_kernel) back into a BTF pointer, so its fields
 * are plain loads (faults read as 0) instead of one helper call each. The
 * verifier replaces the call with a register move. */
extern void *bpf_rdonly_cast(const void *obj, __u32 btf_id) __ksym;
#define prb_btf(p, type) ((type *)bpf_rdonly_cast((p), bpf_core_type_id_kernel(type)))

/* The file of @fd in @t's table (@t a BTF pointer, e.g. the current task). */
static __always_inline struct file *fd_file(struct task_struct *t, long fd)
{
	struct fdtable *fdt = t->files->fdt;
	struct file *f = NULL;

	if (fd < 0 || fd >= fdt->max_fds)
		return NULL;
	bpf_probe_read_kernel(&f, sizeof(f), &fdt->fd[fd]);
	return f;
}

/* libs encode_dev(): the userspace dev_t layout. */
static __always_inline __u32 encode_dev(__u32 kdev)
{
	__u32 major = kdev >> 20, minor = kdev & 0xfffff;

	return (minor & 0xff) | (major << 8) | ((minor & ~0xffu) << 12);
}

static __always_inline __u32 open_flags_to_ppm(__u32 f)
{
	__u32 r = 0;

	if ((f & O_ACCMODE) == O_WRONLY)
		r |= PPM_O_WRONLY;
	else if ((f & O_ACCMODE) == O_RDWR)
		r |= PPM_O_RDONLY | PPM_O_WRONLY;
	else
		r |= PPM_O_RDONLY;
	if (f & O_CREAT)
		r |= PPM_O_CREAT;
	if (f & O_APPEND)
		r |= PPM_O_APPEND;
	if (f & O_DSYNC)
		r |= PPM_O_DSYNC;
	if (f & O_EXCL)
		r |= PPM_O_EXCL;
	if (f & O_NONBLOCK)
		r |= PPM_O_NONBLOCK;
	if (f & __O_SYNC)
		r |= PPM_O_SYNC;
	if (f & O_TRUNC)
		r |= PPM_O_TRUNC;
	if (f & O_DIRECT)
		r |= PPM_O_DIRECT;
	if ((f & O_DIRECTORY) && !(f & __O_TMPFILE))
		r |= PPM_O_DIRECTORY;
	if (f & O_LARGEFILE)
		r |= PPM_O_LARGEFILE;
	if (f & O_CLOEXEC)
		r |= PPM_O_CLOEXEC;
	if (f & __O_TMPFILE)
		r |= PPM_O_TMPFILE;
	return r;
}

/* libs open_modes_to_scap(): permission bits map one to one; only meaningful
 * when a file may be created. */
static __always_inline __u32 open_mode_to_ppm(__u32 flags, __u32 mode)
{
	return (flags & (O_CREAT | __O_TMPFILE)) ? (mode & 07777) : 0;
}

static __always_inline __u32 clone_flags_to_ppm(__u64 f)
{
	/* raw CLONE_* bit -> libs PPM_CL_* bit, in pairs */
	static const __u32 map[][2] = {
		{ 0x00000400, 1 << 0 },	 { 0x00000200, 1 << 1 },  { 0x80000000, 1 << 2 },
		{ 0x08000000, 1 << 3 },	 { 0x40000000, 1 << 4 },  { 0x00020000, 1 << 5 },
		{ 0x20000000, 1 << 6 },	 { 0x04000000, 1 << 7 },  { 0x00008000, 1 << 8 },
		{ 0x00100000, 1 << 9 },	 { 0x00002000, 1 << 10 }, { 0x00000800, 1 << 11 },
		{ 0x00040000, 1 << 12 }, { 0x00010000, 1 << 13 }, { 0x00800000, 1 << 14 },
		{ 0x00000100, 1 << 15 }, { 0x10000000, 1 << 20 }, { 0x00200000, 1 << 23 },
		{ 0x01000000, 1 << 24 }, { 0x00080000, 1 << 25 }, { 0x00004000, 1 << 27 },
		{ 0x02000000, 1 << 28 },
	};
	__u32 r = 0;

	for (int i = 0; i < (int)(sizeof(map) / sizeof(map[0])); i++)
		if (f & map[i][0])
			r |= map[i][1];
	return r;
}

static __always_inline __u32 ptrace_req_to_ppm(__u64 req)
{
	if (req <= 9)
		return req + 1;
	if (req >= 0x4200 && req <= 0x420b)
		return req - 0x4200 + 14;
	switch (req) {
	case 12: return 26;
	case 13: return 27;
	case 14: return 28;
	case 15: return 29;
	case 16: return 11;
	case 17: return 12;
	case 18: return 30;
	case 19: return 31;
	case 21: return 32;
	case 24: return 13;
	case 25: return 33;
	case 26: return 34;
	case 30: return 35;
	case 31: return 36;
	case 32: return 37;
	case 33: return 38;
	}
	return 0;
}

/* Host-level and namespace-level numbers of a struct pid. */
static __always_inline __u32 pid_nr(struct pid *p)
{
	return p ? BPF_CORE_READ(p, numbers[0].nr) : 0;
}

static __always_inline __u32 pid_vnr(struct pid *p, __u32 level)
{
	__u32 nr = 0;

	if (!p || BPF_CORE_READ(p, level) < level)
		return 0;
	bpf_core_read(&nr, sizeof(nr), &p->numbers[level & 31].nr);
	return nr;
}

static __always_inline __u32 task_level(struct task_struct *t)
{
	return BPF_CORE_READ(t, thread_pid, level);
}

static __always_inline __u32 tty_of(struct task_struct *t)
{
	struct tty_struct *tty = BPF_CORE_READ(t, signal, tty);
	__u32 major, minor;

	if (!tty)
		return 0;
	major = BPF_CORE_READ(tty, driver, major);
	minor = BPF_CORE_READ(tty, driver, minor_start) + BPF_CORE_READ(tty, index);
	return encode_dev((major << 20) | minor);
}

static __always_inline __u64 inode_time(struct inode *ino, bool ctime)
{
	__s64 sec = 0;
	__u32 nsec = 0;

	if (!ino)
		return 0;
	if (bpf_core_field_exists(ino->i_ctime_sec)) {
		sec = ctime ? BPF_CORE_READ(ino, i_ctime_sec) : BPF_CORE_READ(ino, i_mtime_sec);
		nsec = ctime ? BPF_CORE_READ(ino, i_ctime_nsec) : BPF_CORE_READ(ino, i_mtime_nsec);
	} else if (bpf_core_field_exists(((struct inode___v66 *)ino)->__i_ctime)) {
		struct inode___v66 *i = (void *)ino;

		sec = ctime ? BPF_CORE_READ(i, __i_ctime.tv_sec) : BPF_CORE_READ(i, i_mtime.tv_sec);
		nsec = ctime ? BPF_CORE_READ(i, __i_ctime.tv_nsec) : BPF_CORE_READ(i, i_mtime.tv_nsec);
	} else {
		struct inode___old *i = (void *)ino;

		sec = ctime ? BPF_CORE_READ(i, i_ctime.tv_sec) : BPF_CORE_READ(i, i_mtime.tv_sec);
		nsec = ctime ? BPF_CORE_READ(i, i_ctime.tv_nsec) : BPF_CORE_READ(i, i_mtime.tv_nsec);
	}
	return sec * 1000000000ull + nsec;
}

/* libs' execve flags: exe from an overlay upper/lower layer, from a memfd,
 * writable by the caller (approximated from the mode bits and euid). */
static __always_inline __u32 exe_flags(struct task_struct *t, struct file *exe)
{
	struct inode *ino = BPF_CORE_READ(exe, f_inode);
	__u32 flags = 0, euid = BPF_CORE_READ(t, cred, euid.val);
	__u32 mode = BPF_CORE_READ(ino, i_mode);
	char name[6] = {};

	if (!exe || !ino)
		return 0;
	if (euid == 0 || (mode & 0002) ||
	    ((mode & 0200) && BPF_CORE_READ(ino, i_uid.val) == euid))
		flags |= PPM_EXE_WRITABLE;
	if (BPF_CORE_READ(ino, i_sb, s_magic) == OVERLAYFS_SUPER_MAGIC) {
		/* struct ovl_inode has the vfs inode followed by __upperdentry */
		struct dentry *upper = NULL;

		bpf_probe_read_kernel(&upper, sizeof(upper),
				      (char *)ino + bpf_core_type_size(struct inode));
		flags |= upper ? PPM_EXE_UPPER_LAYER : PPM_EXE_LOWER_LAYER;
	}
	bpf_probe_read_kernel(name, sizeof(name), BPF_CORE_READ(exe, f_path.dentry, d_name.name));
	if (name[0] == 'm' && name[1] == 'e' && name[2] == 'm' && name[3] == 'f' && name[4] == 'd' &&
	    name[5] == ':')
		flags |= PPM_EXE_FROM_MEMFD;
	return flags;
}

/* ---- path walks ---------------------------------------------------------- */

/* Write "/c[n-1]/.../c[0]" from the component pointers in s->tmp as one
 * parameter ("/" when there is none). */
__noinline int ev_components(struct prb_scratch *s, __u32 n)
{
	__u32 start, p;

	if (!s)
		return 0;
	start = p = s->pos;

	for (__u32 j = 0; j < PRB_PATH_DEPTH; j++) {
		const void *name;
		long r;

		if (j >= n || p >= PRB_VAR_LIMIT - 300)
			break;
		name = (const void *)s->tmp[(n - 1 - j) & 31];
		*at(s, p) = '/';
		p++;
		r = bpf_probe_read_kernel_str(at(s, p), 256, name);
		if (r > 1)
			p += r - 1;
	}
	if (p == start) {
		*at(s, p) = '/';
		p++;
	}
	*at(s, p) = 0;
	p++;
	s->pos = p;
	ev_len(s, p - start);
	return 0;
}

struct dpath_walk {
	struct prb_scratch *s;
	struct dentry *d;
	struct mount *mnt;
	__u32 n;
};

/* One step up: to the parent dentry, or across a mount point. Run by
 * bpf_loop(), so the verifier checks it once however deep the path is. */
static int dpath_step(__u32 i, void *arg)
{
	struct dpath_walk *w = arg;
	struct mount *mnt = w->mnt;
	struct dentry *d = w->d;
	struct dentry *root = BPF_CORE_READ(mnt, mnt.mnt_root);
	struct dentry *parent = BPF_CORE_READ(d, d_parent);

	if (d == root || d == parent) {
		struct mount *up = BPF_CORE_READ(mnt, mnt_parent);

		if (d != root || up == mnt || !up)
			return 1; /* the global root (or a detached tree) */
		w->d = BPF_CORE_READ(mnt, mnt_mountpoint);
		w->mnt = up;
		return 0;
	}
	if (w->n >= PRB_PATH_DEPTH)
		return 1;
	w->s->tmp[w->n & 31] = (__u64)BPF_CORE_READ(d, d_name.name);
	w->n++;
	w->d = parent;
	return 0;
}

/* The absolute path of (@dentry, @vfsmount), crossing mount points up to the
 * global root; at most PRB_PATH_DEPTH components (the deepest are kept). */
__noinline int ev_dpath(struct prb_scratch *s, __u64 dentry, __u64 vfsmount)
{
	struct dpath_walk w = {
		.s = s,
		.d = (struct dentry *)dentry,
		.mnt = container_of((struct vfsmount *)vfsmount, struct mount, mnt),
	};

	if (!s)
		return 0;
	if (!dentry || !vfsmount) {
		ev_empty(s);
		return 0;
	}
	bpf_loop(PRB_PATH_DEPTH + 16, dpath_step, &w, 0);
	return ev_components(s, w.n);
}

static __always_inline struct kernfs_node *kn_parent(struct kernfs_node *kn)
{
	if (bpf_core_field_exists(kn->__parent))
		return BPF_CORE_READ(kn, __parent);
	return BPF_CORE_READ((struct kernfs_node___old *)kn, parent);
}

/* Append "/a/b" (the cgroup path of @kn) to the current parameter; no NUL, no
 * length slot. Returns the new position. */
__noinline int cg_path(struct prb_scratch *s, __u64 node, __u32 p)
{
	struct kernfs_node *kn = (struct kernfs_node *)node;
	__u32 n = 0, start = p;

	if (!s)
		return p;
	for (int i = 0; i < PRB_PATH_DEPTH; i++) {
		struct kernfs_node *up;

		if (!kn)
			break;
		up = kn_parent(kn);
		if (!up)
			break; /* the root's own name is not part of the path */
		s->tmp[n & 31] = (__u64)BPF_CORE_READ(kn, name);
		n++;
		kn = up;
	}
	for (__u32 j = 0; j < PRB_PATH_DEPTH; j++) {
		long r;

		if (j >= n || p >= PRB_VAR_LIMIT - 300)
			break;
		*at(s, p) = '/';
		p++;
		r = bpf_probe_read_kernel_str(at(s, p), 256,
					      (const void *)s->tmp[(n - 1 - j) & 31]);
		if (r > 1)
			p += r - 1;
	}
	if (p == start) {
		*at(s, p) = '/';
		p++;
	}
	return p;
}

/* libs' cgroups parameter: "subsys=/path\0" for each mounted subsystem. */
/* (of the current task) */
__noinline int ev_cgroups(struct prb_scratch *s)
{
	struct css_set *cgs = BPF_CORE_READ(bpf_get_current_task_btf(), cgroups);
	__u32 start, p;

	if (!s)
		return 0;
	start = p = s->pos;
	for (int i = 0; i < 16; i++) {
		struct cgroup_subsys_state *css = NULL;
		long r;

		if (i >= bpf_core_enum_value(enum cgroup_subsys_id, CGROUP_SUBSYS_COUNT))
			break;
		bpf_core_read(&css, sizeof(css), &cgs->subsys[i]);
		if (!css)
			continue;
		if (p >= PRB_VAR_LIMIT - 600)
			break;
		r = bpf_probe_read_kernel_str(at(s, p), 32,
					      BPF_CORE_READ(css, ss, name));
		if (r <= 1)
			continue;
		p += r - 1;
		*at(s, p) = '=';
		p++;
		p = cg_path(s, (__u64)BPF_CORE_READ(css, cgroup, kn), p);
		*at(s, p) = 0;
		p++;
	}
	s->pos = p;
	ev_len(s, p - start);
	return 0;
}

/* NUL-separated strings from a user array of pointers (failed execve: the
 * new image never loaded, the arguments are still the caller's). With
 * @exe_first, argv[0] is written as its own parameter first. */
__noinline int ev_argv_user(struct prb_scratch *s, __u64 uargv, int exe_first)
{
	const char *const *argv = (const char *const *)uargv;
	__u32 start, p;
	int i = 0;

	if (!s)
		return 0;
	if (exe_first) {
		const char *a0 = NULL;

		if (argv)
			bpf_probe_read_user(&a0, sizeof(a0), &argv[0]);
		ev_str(s, a0, PRB_PATH_MAX, true);
		i = 1;
	}
	start = p = s->pos;
	for (; i < 64 && argv; i++) {
		const char *a = NULL;
		long r;

		if (bpf_probe_read_user(&a, sizeof(a), &argv[i]) || !a)
			break;
		if (p >= start + PRB_ARGS_MAX || p >= PRB_VAR_LIMIT - 1024)
			break;
		r = bpf_probe_read_user_str(at(s, p), 1024, a);
		if (r <= 0)
			break;
		p += r;
	}
	s->pos = p;
	ev_len(s, p - start);
	return 0;
}

/* ---- process facts (shared by clone and execve) -------------------------- */

/* exe and args from the current image's argument area. */
static __always_inline void ev_exe_args(struct prb_scratch *s, struct task_struct *t)
{
	unsigned long a0 = BPF_CORE_READ(t, mm, arg_start);
	unsigned long a1 = BPF_CORE_READ(t, mm, arg_end);
	__u32 before = s->pos, exe_len;

	ev_str(s, (const void *)a0, PRB_PATH_MAX, true);
	exe_len = s->pos - before;
	if (a1 > a0 + exe_len)
		ev_bytes_user(s, (const void *)(a0 + exe_len),
			      (a1 - a0 - exe_len) > PRB_ARGS_MAX ? PRB_ARGS_MAX
								: a1 - a0 - exe_len);
	else
		ev_empty(s);
}

/* Parameters 4..15 of clone and execve: tid pid ptid cwd fdlimit pgft_maj
 * pgft_min vm_size vm_rss vm_swap comm cgroups. */
static __always_inline void ev_proc_facts(struct prb_scratch *s, struct task_struct *t)
{
	struct mm_struct *mm = BPF_CORE_READ(t, mm);
	__u64 rss = 0, swap = 0;

	ev_u64(s, BPF_CORE_READ(t, pid));
	ev_u64(s, BPF_CORE_READ(t, tgid));
	ev_u64(s, BPF_CORE_READ(t, real_parent, tgid));
	ev_dpath(s, (__u64)BPF_CORE_READ(t, fs, pwd.dentry), (__u64)BPF_CORE_READ(t, fs, pwd.mnt));
	ev_u64(s, BPF_CORE_READ(t, signal, rlim[RLIMIT_NOFILE].rlim_cur));
	ev_u64(s, BPF_CORE_READ(t, maj_flt));
	ev_u64(s, BPF_CORE_READ(t, min_flt));
	if (mm) {
		rss = BPF_CORE_READ(mm, rss_stat[MM_FILEPAGES].count) +
		      BPF_CORE_READ(mm, rss_stat[MM_ANONPAGES].count) +
		      BPF_CORE_READ(mm, rss_stat[MM_SHMEMPAGES].count);
		swap = BPF_CORE_READ(mm, rss_stat[MM_SWAPENTS].count);
		ev_u32(s, BPF_CORE_READ(mm, total_vm) << 2); /* pages -> KiB */
	} else {
		ev_u32(s, 0);
	}
	ev_u32(s, (__s64)rss > 0 ? rss << 2 : 0);
	ev_u32(s, (__s64)swap > 0 ? swap << 2 : 0);
	ev_str(s, t->comm, sizeof(t->comm), false);
	ev_cgroups(s);
}

/* ---- dispatcher ---------------------------------------------------------- */

/* The dispatch table: syscall id -> handler program x_<name> (probe.h). */
#define X(name) int x_##name(unsigned long long *ctx);
PRB_SYSCALLS(X)
#undef X

struct {
	__uint(type, BPF_MAP_TYPE_PROG_ARRAY);
	__uint(max_entries, PRB_NSYSCALLS);
	__type(key, __u32);
	__array(values, int(void *));
} handlers SEC(".maps") = {
#define X(name) [__NR_##name] = (void *)&x_##name,
	.values = { PRB_SYSCALLS(X) },
#undef X
};

/* 1 for the syscall ids that have a handler (rodata: a plain load). */
static const volatile __u8 handled_ids[PRB_NSYSCALLS] = {
#define X(name) [__NR_##name] = 1,
	PRB_SYSCALLS(X)
#undef X
};

SEC("tp_btf/sched_process_exit")
int BPF_PROG(sched_process_exit, struct task_struct *p)
{
	struct task_struct *t = bpf_get_current_task_btf();
	struct fx f;
	__s64 code;
	__u32 reaper = 0;

	if (self_tgid && t->tgid == self_tgid)
		return 0;
	if (t->flags & 0x00200000) /* PF_KTHREAD */
		return 0;
	code = BPF_CORE_READ(t, exit_code);
	if (BPF_CORE_READ(t, signal, live.counter) == 0) {
		/* last thread: orphans go to the pid namespace's init */
		struct pid *pid = BPF_CORE_READ(t, thread_pid);
		struct pid_namespace *ns = NULL;
		__u32 lvl = BPF_CORE_READ(pid, level);

		bpf_core_read(&ns, sizeof(ns), &pid->numbers[lvl & 31].ns);
		reaper = BPF_CORE_READ(ns, child_reaper, pid);
	}
	if (!fx_begin(&f, EVT_PROCEXIT_1_E, 5, 8 + 8 + 1 + 1 + 8))
		return 0;
	fx_u64(&f, code);
	fx_u64(&f, (code >> 8) & 0xff);
	fx_u8(&f, code & 0x7f);
	fx_u8(&f, (code & 0x80) != 0);
	fx_u64(&f, reaper);
	fx_submit(&f);
	return 0;
}

/* ---- handlers -------------------------------------------------------------
 * Each writes every parameter the table lists for its syscall's exit event,
 * in order, from the task's saved registers (the arguments) and the return
 * value. HANDLER(name) makes its body h_<name>() and two programs that run
 * it, one per hook (prb_opts.hook, live.h):
 *  - x_<name>, tail-called by the tp_btf/sys_exit dispatcher (PRB_HOOK_RAW);
 *  - t_<name>, attached to the syscall's own tracepoint
 *    syscalls:sys_exit_<name> (PRB_HOOK_SYSCALL). The kernel runs these
 *    from the same sys_exit hook but calls a program only for the syscalls
 *    that have one attached, so an unselected syscall costs no program
 *    call at all; a selected one costs the tracepoint's record besides.
 * The loader loads and attaches the programs of the hook in use. */

/* The record of a syscalls:sys_exit_<name> tracepoint (its tracefs format:
 * the common header, the syscall number, the return value). */
struct prb_systp_exit {
	__u64 common;
	int nr;
	long ret;
};

/* What the dispatcher checks besides the selection, for a t_<name>
 * program (the tracepoint selected the syscall): the task's saved
 * registers, or NULL when the event is not wanted. */
static __always_inline struct pt_regs *systp_regs(void)
{
	struct task_struct *t = bpf_get_current_task_btf();

	if (self_tgid && t->tgid == self_tgid)
		return NULL;
	if (t->thread_info.status & TS_COMPAT)
		return NULL;
	return (struct pt_regs *)bpf_task_pt_regs(t);
}

#define HANDLER(name)                                                              \
	static __always_inline int h_##name(struct pt_regs *regs, long ret);        \
	SEC("tp_btf/sys_exit") int BPF_PROG(x_##name, struct pt_regs *regs, long ret) \
	{                                                                           \
		return h_##name(regs, ret);                                         \
	}                                                                           \
	SEC("tracepoint/syscalls/sys_exit_" #name) int t_##name(struct prb_systp_exit *ctx) \
	{                                                                           \
		struct pt_regs *regs = systp_regs();                                \
                                                                                    \
		return regs ? h_##name(regs, ctx->ret) : 0;                         \
	}                                                                           \
	static __always_inline int h_##name(struct pt_regs *regs, long ret)

/* A hot handler: its body is also inlined into the dispatcher, which runs
 * it for its syscall without a tail call. A tail call is an indirect jump
 * (a retpoline on this kernel): ~45 ns of a ~330 ns read event. x_<name>
 * stays in the tail-call table too, which is built from the one list of
 * handled syscalls (PRB_SYSCALLS). */
#define HOT_HANDLER(name) HANDLER(name)

/* execve / execveat: 31 / 30 parameters. */
static __always_inline void ev_exec(struct prb_scratch *s, struct pt_regs *regs, long ret,
				    int argv_idx)
{
	struct task_struct *t = bpf_get_current_task_btf();
	struct file *exe = BPF_CORE_READ(t, mm, exe_file);
	struct inode *ino = BPF_CORE_READ(exe, f_inode);
	struct pid *pg = BPF_CORE_READ(t, signal, pids[PIDTYPE_PGID]);
	unsigned long env;

	ev_u64(s, ret);
	if (ret == 0)
		ev_exe_args(s, t);
	else
		ev_argv_user(s, sc_arg(regs, argv_idx), 1);
	ev_proc_facts(s, t);
	if (ret == 0) {
		env = BPF_CORE_READ(t, mm, env_start);
		ev_bytes_user(s, (const void *)env,
			      BPF_CORE_READ(t, mm, env_end) - env > PRB_ENV_MAX
				      ? PRB_ENV_MAX
				      : BPF_CORE_READ(t, mm, env_end) - env);
	} else {
		ev_argv_user(s, sc_arg(regs, argv_idx + 1), 0);
	}
	ev_u32(s, tty_of(t));
	ev_u64(s, pid_vnr(pg, task_level(t)));
	ev_u32(s, BPF_CORE_READ(t, loginuid.val));
	ev_u32(s, exe_flags(t, exe));
	ev_u64(s, BPF_CORE_READ(t, cred, cap_inheritable.val));
	ev_u64(s, BPF_CORE_READ(t, cred, cap_permitted.val));
	ev_u64(s, BPF_CORE_READ(t, cred, cap_effective.val));
	ev_u64(s, ino ? BPF_CORE_READ(ino, i_ino) : 0);
	ev_u64(s, inode_time(ino, true));
	ev_u64(s, inode_time(ino, false));
	ev_u32(s, BPF_CORE_READ(t, cred, euid.val));
	if (exe)
		ev_dpath(s, (__u64)BPF_CORE_READ(exe, f_path.dentry),
			 (__u64)BPF_CORE_READ(exe, f_path.mnt));
	else
		ev_empty(s);
	ev_u64(s, pid_nr(pg));
	ev_u32(s, BPF_CORE_READ(t, cred, egid.val));
}

/* A successful execve/execveat is reported from sched_process_exec below,
 * where bprm->filename still exists; these handlers report failures, whose
 * arguments are still the caller's. */
HANDLER(execve)
{
	struct prb_scratch *s;

	if (ret == 0)
		return 0;
	s = ev_begin(EVT_SYSCALL_EXECVE_19_X, 31);
	if (!s)
		return 0;
	ev_exec(s, regs, ret, 1);
	ev_str(s, (const void *)sc_arg(regs, 0), PRB_PATH_MAX, true); /* filename */
	ev_submit(s);
	return 0;
}

HANDLER(execveat)
{
	struct prb_scratch *s;

	if (ret == 0)
		return 0;
	s = ev_begin(EVT_SYSCALL_EXECVEAT_X, 30);
	if (!s)
		return 0;
	ev_exec(s, regs, ret, 2);
	ev_submit(s);
	return 0;
}

SEC("tp_btf/sched_process_exec")
int BPF_PROG(sched_process_exec, struct task_struct *p, pid_t old_pid, struct linux_binprm *bprm)
{
	struct task_struct *t = bpf_get_current_task_btf();
	struct pt_regs *regs = (struct pt_regs *)bpf_task_pt_regs(t);
	__u32 tgid = bpf_get_current_pid_tgid() >> 32;
	__u32 nr = BPF_CORE_READ(regs, orig_ax);
	int at = nr == __NR_execveat;
	struct prb_scratch *s;
	__u8 *on;

	if (self_tgid && tgid == self_tgid)
		return 0;
	if (!all_syscalls) {
		on = bpf_map_lookup_elem(&interesting, &nr);
		if (!on || !*on)
			return 0;
	}
	s = ev_begin(at ? EVT_SYSCALL_EXECVEAT_X : EVT_SYSCALL_EXECVE_19_X, at ? 30 : 31);
	if (!s)
		return 0;
	ev_exec(s, regs, 0, 1);
	if (!at)
		ev_str(s, BPF_CORE_READ(bprm, filename), PRB_PATH_MAX, false);
	ev_submit(s);
	return 0;
}

/* clone family, 21 parameters. In the child (ret == 0) every fact is the
 * child's own; the parent's event (ret = child tid) goes to the parent's ring. */
static __always_inline void ev_clone(struct prb_scratch *s, long ret, __u64 raw_flags)
{
	struct task_struct *t = bpf_get_current_task_btf();
	struct task_struct *leader = BPF_CORE_READ(t, group_leader);
	__u32 lvl = task_level(t);
	__u32 flags = clone_flags_to_ppm(raw_flags);
	struct pid *pid = BPF_CORE_READ(t, thread_pid);
	struct pid_namespace *ns = NULL;
	__u64 init_ts = 0;

	if (lvl > 0) {
		flags |= PPM_CL_CHILD_IN_PIDNS;
		bpf_core_read(&ns, sizeof(ns), &pid->numbers[lvl & 31].ns);
		init_ts = BPF_CORE_READ(ns, child_reaper, start_time);
	}
	ev_u64(s, ret);
	if (ret >= 0)
		ev_exe_args(s, t);
	else {
		ev_empty(s);
		ev_empty(s);
	}
	ev_proc_facts(s, t);
	ev_u32(s, flags);
	ev_u32(s, BPF_CORE_READ(t, cred, euid.val));
	ev_u32(s, BPF_CORE_READ(t, cred, egid.val));
	ev_u64(s, pid_vnr(pid, lvl));
	ev_u64(s, pid_vnr(BPF_CORE_READ(leader, thread_pid), lvl));
	ev_u64(s, init_ts);
}

HANDLER(clone)
{
	struct prb_scratch *s = ev_begin(EVT_SYSCALL_CLONE_20_X, 21);

	if (!s)
		return 0;
	ev_clone(s, ret, sc_arg(regs, 0));
	ev_submit(s);
	return 0;
}

HANDLER(clone3)
{
	struct prb_scratch *s = ev_begin(EVT_SYSCALL_CLONE3_X, 21);
	__u64 flags = 0;

	if (!s)
		return 0;
	bpf_probe_read_user(&flags, sizeof(flags), (void *)sc_arg(regs, 0));
	ev_clone(s, ret, flags);
	ev_submit(s);
	return 0;
}

HANDLER(fork)
{
	struct prb_scratch *s = ev_begin(EVT_SYSCALL_FORK_20_X, 21);

	if (!s)
		return 0;
	ev_clone(s, ret, 0);
	ev_submit(s);
	return 0;
}

HANDLER(vfork)
{
	struct prb_scratch *s = ev_begin(EVT_SYSCALL_VFORK_20_X, 21);

	if (!s)
		return 0;
	ev_clone(s, ret, CLONE_VM | CLONE_VFORK);
	ev_submit(s);
	return 0;
}

/* dev, ino and "created" of a file the syscall just opened as fd @ret. */
static __always_inline void ev_dev_ino(struct prb_scratch *s, long fd, __u32 *created)
{
	struct file *f = fd >= 0 ? fd_file(bpf_get_current_task_btf(), fd) : NULL;
	struct inode *ino;

	if (!f) {
		*created = 0;
		ev_u32(s, 0);
		ev_u64(s, 0);
		return;
	}
	f = prb_btf(f, struct file);
	ino = f->f_inode;
	*created = (f->f_mode & FMODE_CREATED) ? PPM_O_F_CREATED : 0;
	ev_u32(s, ino ? encode_dev(ino->i_sb->s_dev) : 0);
	ev_u64(s, ino ? ino->i_ino : 0);
}

/* Patch the flags parameter written @back bytes before the current position,
 * once dev/ino told whether the file was created. */
static __always_inline void ev_or_u32_at(struct prb_scratch *s, __u32 off, __u32 bits)
{
	*(__u32 *)at(s, off) |= bits;
}

HOT_HANDLER(open)
{
	struct prb_scratch *s = ev_begin(EVT_SYSCALL_OPEN_X, 6);
	__u32 f = sc_arg(regs, 1), at, created;

	if (!s)
		return 0;
	ev_u64(s, ret);
	ev_str(s, (const void *)sc_arg(regs, 0), PRB_PATH_MAX, true);
	at = s->pos;
	ev_u32(s, open_flags_to_ppm(f));
	ev_u32(s, open_mode_to_ppm(f, sc_arg(regs, 2)));
	ev_dev_ino(s, ret, &created);
	ev_or_u32_at(s, at, created);
	ev_submit(s);
	return 0;
}

HOT_HANDLER(openat)
{
	struct prb_scratch *s = ev_begin(EVT_SYSCALL_OPENAT_2_X, 7);
	__u32 f = sc_arg(regs, 2), at, created;

	if (!s)
		return 0;
	ev_u64(s, ret);
	ev_u64(s, (__s64)(int)sc_arg(regs, 0));
	ev_str(s, (const void *)sc_arg(regs, 1), PRB_PATH_MAX, true);
	at = s->pos;
	ev_u32(s, open_flags_to_ppm(f));
	ev_u32(s, open_mode_to_ppm(f, sc_arg(regs, 3)));
	ev_dev_ino(s, ret, &created);
	ev_or_u32_at(s, at, created);
	ev_submit(s);
	return 0;
}

HANDLER(openat2)
{
	struct prb_scratch *s = ev_begin(EVT_SYSCALL_OPENAT2_X, 8);
	struct open_how how = {};
	__u32 at, created;

	if (!s)
		return 0;
	bpf_probe_read_user(&how, sizeof(how), (void *)sc_arg(regs, 2));
	ev_u64(s, ret);
	ev_u64(s, (__s64)(int)sc_arg(regs, 0));
	ev_str(s, (const void *)sc_arg(regs, 1), PRB_PATH_MAX, true);
	at = s->pos;
	ev_u32(s, open_flags_to_ppm(how.flags));
	ev_u32(s, open_mode_to_ppm(how.flags, how.mode));
	ev_u32(s, how.resolve); /* RESOLVE_* bits equal libs' PPM_RESOLVE_* */
	ev_dev_ino(s, ret, &created);
	ev_or_u32_at(s, at, created);
	ev_submit(s);
	return 0;
}

HANDLER(creat)
{
	struct prb_scratch *s = ev_begin(EVT_SYSCALL_CREAT_X, 6);
	__u32 created;

	if (!s)
		return 0;
	ev_u64(s, ret);
	ev_str(s, (const void *)sc_arg(regs, 0), PRB_PATH_MAX, true);
	ev_u32(s, sc_arg(regs, 1) & 07777);
	ev_dev_ino(s, ret, &created);
	ev_u16(s, 0); /* creat_flags: overlay layer of a created file, not yet */
	ev_submit(s);
	return 0;
}

/* The many exits that are res and then @n int syscall arguments as s64
 * (close, dup, dup2, fchdir, setpgid): 8 + 8n bytes of parameters. */
static __always_inline int fx_res_ints(struct pt_regs *regs, long ret, __u16 type, int n)
{
	struct fx f;

	if (n == 1) {
		if (!fx_begin(&f, type, 2, 16))
			return 0;
		fx_u64(&f, ret);
		fx_u64(&f, (__s64)(int)sc_arg(regs, 0));
	} else {
		if (!fx_begin(&f, type, 3, 24))
			return 0;
		fx_u64(&f, ret);
		fx_u64(&f, (__s64)(int)sc_arg(regs, 0));
		fx_u64(&f, (__s64)(int)sc_arg(regs, 1));
	}
	fx_submit(&f);
	return 0;
}

HOT_HANDLER(close)
{
	return fx_res_ints(regs, ret, EVT_SYSCALL_CLOSE_X, 1);
}

/* read/write: res data fd size; @data_len bytes of the buffer are kept. */
static __always_inline int ev_rw(struct pt_regs *regs, long ret, __u16 type, __u64 data_len)
{
	struct prb_scratch *s = ev_begin(type, 4);

	if (!s)
		return 0;
	ev_u64(s, ret);
	ev_bytes_user(s, (const void *)sc_arg(regs, 1), data_len > snaplen ? snaplen : data_len);
	ev_u64(s, (__s64)(int)sc_arg(regs, 0));
	ev_u32(s, sc_arg(regs, 2));
	ev_submit(s);
	return 0;
}

HOT_HANDLER(read)
{
	return ev_rw(regs, ret, EVT_SYSCALL_READ_X, ret > 0 ? ret : 0);
}

HOT_HANDLER(write)
{
	return ev_rw(regs, ret, EVT_SYSCALL_WRITE_X, ret > 0 ? ret : 0);
}

/* A sockaddr from user memory, in libs' layout: family byte, then
 * ipv4 + port, ipv6 + port, or the unix path. */
static __always_inline void ev_sockaddr(struct prb_scratch *s, const void *uaddr, __u32 alen)
{
	__u32 p = s->pos;
	__u64 n = alen > 128 ? 128 : alen;
	__u16 fam;

	barrier_var(n);
	if (!uaddr || alen < 2 || bpf_probe_read_user(s->tmpbuf, n & 0xff, uaddr)) {
		ev_empty(s);
		return;
	}
	fam = *(__u16 *)s->tmpbuf;
	if (fam == AF_INET) {
		struct sockaddr_in *in = (void *)s->tmpbuf;

		*at(s, p) = PPM_AF_INET;
		*(__u32 *)at(s, p + 1) = in->sin_addr.s_addr;
		*(__u16 *)at(s, p + 5) = __builtin_bswap16(in->sin_port);
		s->pos = p + 7;
		ev_len(s, 7);
	} else if (fam == AF_INET6) {
		struct sockaddr_in6 *in6 = (void *)s->tmpbuf;

		*at(s, p) = PPM_AF_INET6;
		__builtin_memcpy(at(s, p + 1), &in6->sin6_addr, 16);
		*(__u16 *)at(s, p + 17) = __builtin_bswap16(in6->sin6_port);
		s->pos = p + 19;
		ev_len(s, 19);
	} else if (fam == AF_UNIX) {
		char *path = (char *)s->tmpbuf + 2;
		long r;

		if (path[0] == 0)
			path++; /* abstract name: libs drops the leading NUL */
		*at(s, p) = PPM_AF_UNIX;
		r = bpf_probe_read_kernel_str(at(s, p + 1), 109, path);
		if (r < 0)
			r = 0;
		s->pos = p + 1 + r;
		ev_len(s, 1 + r);
	} else {
		ev_empty(s);
	}
}

/* The socket tuple of fd @fd from the kernel socket: outbound is local ->
 * remote, inbound remote -> local (libs). @uaddr fills an unset remote. */
__noinline int ev_tuple(struct prb_scratch *s, long fd, int inbound, __u64 usraddr)
{
	const void *uaddr = (const void *)usraddr;
	struct file *f = fd_file(bpf_get_current_task_btf(), fd);
	struct socket *sock = f ? BPF_CORE_READ(f, private_data) : NULL;
	struct sock *sk = sock ? BPF_CORE_READ(sock, sk) : NULL;
	__u32 p;
	__u16 fam;

	if (!s)
		return 0;
	p = s->pos;
	if (!sk) {
		ev_empty(s);
		return 0;
	}
	fam = BPF_CORE_READ(sk, __sk_common.skc_family);
	if (fam == AF_INET) {
		struct inet_sock *inet = (void *)sk;
		__u32 lip = BPF_CORE_READ(inet, inet_saddr), rip = BPF_CORE_READ(sk, __sk_common.skc_daddr);
		__u16 lp = BPF_CORE_READ(inet, inet_sport), rp = BPF_CORE_READ(sk, __sk_common.skc_dport);

		if (!rp && uaddr) {
			struct sockaddr_in in = {};

			bpf_probe_read_user(&in, sizeof(in), uaddr);
			rip = in.sin_addr.s_addr;
			rp = in.sin_port;
		}
		*at(s, p) = PPM_AF_INET;
		*(__u32 *)at(s, p + 1) = inbound ? rip : lip;
		*(__u16 *)at(s, p + 5) = __builtin_bswap16(inbound ? rp : lp);
		*(__u32 *)at(s, p + 7) = inbound ? lip : rip;
		*(__u16 *)at(s, p + 11) = __builtin_bswap16(inbound ? lp : rp);
		s->pos = p + 13;
		ev_len(s, 13);
	} else if (fam == AF_INET6) {
		struct inet_sock *inet = (void *)sk;
		__u8 *d = at(s, p);
		__u16 lp = BPF_CORE_READ(inet, inet_sport), rp = BPF_CORE_READ(sk, __sk_common.skc_dport);
		struct in6_addr l = BPF_CORE_READ(inet, pinet6, saddr);
		struct in6_addr r = BPF_CORE_READ(sk, __sk_common.skc_v6_daddr);

		d[0] = PPM_AF_INET6;
		__builtin_memcpy(d + 1, inbound ? &r : &l, 16);
		*(__u16 *)(d + 17) = __builtin_bswap16(inbound ? rp : lp);
		__builtin_memcpy(d + 19, inbound ? &l : &r, 16);
		*(__u16 *)(d + 35) = __builtin_bswap16(inbound ? lp : rp);
		s->pos = p + 37;
		ev_len(s, 37);
	} else if (fam == AF_UNIX) {
		struct unix_sock *us = (void *)sk;
		struct unix_sock *peer = (void *)BPF_CORE_READ(us, peer);
		struct unix_address *ua = BPF_CORE_READ(peer ? peer : us, addr);
		__u8 *d = at(s, p);
		long n = 0;

		d[0] = PPM_AF_UNIX;
		*(__u64 *)(d + 1) = (__u64)peer;
		*(__u64 *)(d + 9) = (__u64)us;
		d[17] = 0;
		if (ua) {
			char first = 0;
			char *path = (char *)ua->name[0].sun_path;

			bpf_probe_read_kernel(&first, 1, path);
			n = bpf_probe_read_kernel_str(d + 17, 108, first ? path : path + 1);
		}
		if (n <= 0)
			n = 1;
		s->pos = p + 17 + n;
		ev_len(s, 17 + n);
	} else {
		ev_empty(s);
	}
	return 0;
}

HANDLER(socket)
{
	struct fx f;
	__u32 type = sc_arg(regs, 1);

	if (!fx_begin(&f, EVT_SOCKET_SOCKET_X, 5, 24))
		return 0;
	fx_u64(&f, ret);
	fx_u32(&f, sc_arg(regs, 0)); /* AF_* equal libs' PPM_AF_* */
	fx_u32(&f, type & 0xf);
	fx_u32(&f, sc_arg(regs, 2));
	fx_u32(&f, ((type & O_NONBLOCK) ? PPM_O_NONBLOCK : 0) | ((type & O_CLOEXEC) ? PPM_O_CLOEXEC : 0));
	fx_submit(&f);
	return 0;
}

/* socketpair: res fd1 fd2 source peer domain type proto; source and peer
 * are the kernel addresses of the two unix sockets (libs). */
HANDLER(socketpair)
{
	__s32 fds[2] = { -1, -1 };
	struct file *file;
	struct socket *sock;
	struct sock *sk = NULL;
	__u64 peer = 0;
	struct fx f;

	if (ret == 0) {
		bpf_probe_read_user(fds, sizeof(fds), (const void *)sc_arg(regs, 3));
		file = fd_file(bpf_get_current_task_btf(), fds[0]);
		sock = file ? BPF_CORE_READ(file, private_data) : NULL;
		sk = sock ? BPF_CORE_READ(sock, sk) : NULL;
		if (sk)
			peer = (__u64)BPF_CORE_READ((struct unix_sock *)sk, peer);
	}
	if (!fx_begin(&f, EVT_SOCKET_SOCKETPAIR_X, 8, 52))
		return 0;
	fx_u64(&f, ret);
	fx_u64(&f, (__s64)fds[0]);
	fx_u64(&f, (__s64)fds[1]);
	fx_u64(&f, (__u64)sk);
	fx_u64(&f, peer);
	fx_u32(&f, (__u8)sc_arg(regs, 0)); /* AF_UNIX equals PPM_AF_UNIX */
	fx_u32(&f, sc_arg(regs, 1));
	fx_u32(&f, sc_arg(regs, 2));
	fx_submit(&f);
	return 0;
}

HOT_HANDLER(connect)
{
	struct prb_scratch *s = ev_begin(EVT_SOCKET_CONNECT_X, 4);
	long fd = (int)sc_arg(regs, 0);
	const void *ua = (const void *)sc_arg(regs, 1);

	if (!s)
		return 0;
	ev_u64(s, ret);
	if (ret == 0 || ret == -115 /* EINPROGRESS */)
		ev_tuple(s, fd, 0, (__u64)ua);
	else
		ev_empty(s);
	ev_u64(s, fd);
	ev_sockaddr(s, ua, sc_arg(regs, 2));
	ev_submit(s);
	return 0;
}

static __always_inline int ev_accept(struct pt_regs *regs, long ret, int v4)
{
	struct prb_scratch *s = ev_begin(v4 ? EVT_SOCKET_ACCEPT4_6_X : EVT_SOCKET_ACCEPT_5_X,
					 v4 ? 6 : 5);
	struct file *lf = fd_file(bpf_get_current_task_btf(), (int)sc_arg(regs, 0));
	struct socket *ls = lf ? BPF_CORE_READ(lf, private_data) : NULL;
	struct sock *lsk = ls ? BPF_CORE_READ(ls, sk) : NULL;
	__u32 qlen = 0, qmax = 0;

	if (!s)
		return 0;
	if (lsk) {
		qlen = BPF_CORE_READ(lsk, sk_ack_backlog);
		qmax = BPF_CORE_READ(lsk, sk_max_ack_backlog);
	}
	ev_u64(s, ret);
	if (ret >= 0)
		ev_tuple(s, ret, 1, 0);
	else
		ev_empty(s);
	ev_u8(s, qmax ? (qlen * 100) / qmax : 0);
	ev_u32(s, qlen);
	ev_u32(s, qmax);
	if (v4)
		ev_u32(s, sc_arg(regs, 3));
	ev_submit(s);
	return 0;
}

HANDLER(accept)
{
	return ev_accept(regs, ret, 0);
}

HOT_HANDLER(accept4)
{
	return ev_accept(regs, ret, 1);
}

HANDLER(bind)
{
	struct prb_scratch *s = ev_begin(EVT_SOCKET_BIND_X, 3);

	if (!s)
		return 0;
	ev_u64(s, ret);
	ev_sockaddr(s, (const void *)sc_arg(regs, 1), sc_arg(regs, 2));
	ev_u64(s, (__s64)(int)sc_arg(regs, 0));
	ev_submit(s);
	return 0;
}

HANDLER(listen)
{
	struct fx f;

	if (!fx_begin(&f, EVT_SOCKET_LISTEN_X, 3, 20))
		return 0;
	fx_u64(&f, ret);
	fx_u64(&f, (__s64)(int)sc_arg(regs, 0));
	fx_u32(&f, sc_arg(regs, 1));
	fx_submit(&f);
	return 0;
}

HOT_HANDLER(sendto)
{
	struct prb_scratch *s = ev_begin(EVT_SOCKET_SENDTO_X, 5);
	long fd = (int)sc_arg(regs, 0);
	__u64 size = sc_arg(regs, 2);

	if (!s)
		return 0;
	ev_u64(s, ret);
	ev_bytes_user(s, (const void *)sc_arg(regs, 1), size > snaplen ? snaplen : size);
	ev_u64(s, fd);
	ev_u32(s, size);
	ev_tuple(s, fd, 0, sc_arg(regs, 4));
	ev_submit(s);
	return 0;
}

HOT_HANDLER(recvfrom)
{
	struct prb_scratch *s = ev_begin(EVT_SOCKET_RECVFROM_X, 5);
	long fd = (int)sc_arg(regs, 0);

	if (!s)
		return 0;
	ev_u64(s, ret);
	ev_bytes_user(s, (const void *)sc_arg(regs, 1),
		      ret > 0 ? (ret > snaplen ? snaplen : ret) : 0);
	ev_tuple(s, fd, 1, 0);
	ev_u64(s, fd);
	ev_u32(s, sc_arg(regs, 2));
	ev_submit(s);
	return 0;
}

HANDLER(dup)
{
	return fx_res_ints(regs, ret, EVT_SYSCALL_DUP_1_X, 1);
}

HANDLER(dup2)
{
	return fx_res_ints(regs, ret, EVT_SYSCALL_DUP2_X, 2);
}

HANDLER(dup3)
{
	struct fx f;

	if (!fx_begin(&f, EVT_SYSCALL_DUP3_X, 4, 28))
		return 0;
	fx_u64(&f, ret);
	fx_u64(&f, (__s64)(int)sc_arg(regs, 0));
	fx_u64(&f, (__s64)(int)sc_arg(regs, 1));
	fx_u32(&f, (sc_arg(regs, 2) & O_CLOEXEC) ? PPM_O_CLOEXEC : 0);
	fx_submit(&f);
	return 0;
}

/* libs fcntl_cmd_to_scap(): F_* (x86_64) -> PPM_FCNTL_*, as two tables
 * indexed by the command (one load instead of a scan: fcntl is frequent);
 * 0 (PPM_FCNTL_UNKNOWN) for the rest. */
static const volatile __u8 fcntl_low[39] = {
	[0] = 1,   [1] = 2,	[2] = 3,   [3] = 4,   [4] = 5,	 [5] = 6,   [6] = 8,   [7] = 9,
	[8] = 10,  [9] = 12,	[10] = 13, [11] = 15, [15] = 21, [16] = 22, [36] = 30, [37] = 31,
	[38] = 32,
};
static const volatile __u8 fcntl_high[9] = { /* F_LINUX_SPECIFIC_BASE (1024) + i */
	[0] = 23, [1] = 24, [2] = 27, [5] = 25, [6] = 26, [7] = 28, [8] = 29,
};

static __always_inline __u8 fcntl_cmd_to_ppm(__u64 cmd)
{
	if (cmd < sizeof(fcntl_low))
		return fcntl_low[cmd];
	if (cmd >= 1024 && cmd - 1024 < sizeof(fcntl_high))
		return fcntl_high[cmd - 1024];
	return 0;
}

HOT_HANDLER(fcntl)
{
	struct fx f;

	if (!fx_begin(&f, EVT_SYSCALL_FCNTL_X, 4, 25))
		return 0;
	fx_u64(&f, ret);
	fx_u64(&f, (__s64)(int)sc_arg(regs, 0));
	fx_u8(&f, fcntl_cmd_to_ppm(sc_arg(regs, 1)));
	fx_u64(&f, sc_arg(regs, 2));
	fx_submit(&f);
	return 0;
}

/* res + one user path + mode: chmod, mkdir. */
static __always_inline int ev_path_mode(struct pt_regs *regs, long ret, __u16 type, __u32 mode)
{
	struct prb_scratch *s = ev_begin(type, 3);

	if (!s)
		return 0;
	ev_u64(s, ret);
	ev_str(s, (const void *)sc_arg(regs, 0), PRB_PATH_MAX, true);
	ev_u32(s, mode);
	ev_submit(s);
	return 0;
}

HANDLER(chmod)
{
	return ev_path_mode(regs, ret, EVT_SYSCALL_CHMOD_X, sc_arg(regs, 1) & 07777);
}

HANDLER(mkdir)
{
	return ev_path_mode(regs, ret, EVT_SYSCALL_MKDIR_2_X, sc_arg(regs, 1));
}

HANDLER(fchmod)
{
	struct fx f;

	if (!fx_begin(&f, EVT_SYSCALL_FCHMOD_X, 3, 20))
		return 0;
	fx_u64(&f, ret);
	fx_u64(&f, (__s64)(int)sc_arg(regs, 0));
	fx_u32(&f, sc_arg(regs, 1) & 07777);
	fx_submit(&f);
	return 0;
}

/* res dirfd path mode(/flags): fchmodat, mkdirat, unlinkat. */
static __always_inline int ev_dirfd_path_u32(struct pt_regs *regs, long ret, __u16 type, __u32 v)
{
	struct prb_scratch *s = ev_begin(type, 4);

	if (!s)
		return 0;
	ev_u64(s, ret);
	ev_u64(s, (__s64)(int)sc_arg(regs, 0));
	ev_str(s, (const void *)sc_arg(regs, 1), PRB_PATH_MAX, true);
	ev_u32(s, v);
	ev_submit(s);
	return 0;
}

HANDLER(fchmodat)
{
	return ev_dirfd_path_u32(regs, ret, EVT_SYSCALL_FCHMODAT_X, sc_arg(regs, 2) & 07777);
}

HANDLER(mkdirat)
{
	return ev_dirfd_path_u32(regs, ret, EVT_SYSCALL_MKDIRAT_X, sc_arg(regs, 2));
}

HANDLER(unlinkat)
{
	/* AT_REMOVEDIR (0x200) equals PPM_AT_REMOVEDIR */
	return ev_dirfd_path_u32(regs, ret, EVT_SYSCALL_UNLINKAT_2_X, sc_arg(regs, 2) & 0x200);
}

/* res + the path argument 0: unlink, chdir. */
static __always_inline int ev_res_path(struct pt_regs *regs, long ret, __u16 type)
{
	struct prb_scratch *s = ev_begin(type, 2);

	if (!s)
		return 0;
	ev_u64(s, ret);
	ev_str(s, (const void *)sc_arg(regs, 0), PRB_PATH_MAX, true);
	ev_submit(s);
	return 0;
}

HANDLER(unlink)
{
	return ev_res_path(regs, ret, EVT_SYSCALL_UNLINK_2_X);
}

HANDLER(chdir)
{
	return ev_res_path(regs, ret, EVT_SYSCALL_CHDIR_X);
}

/* res + the fd argument: fchdir. */
HANDLER(fchdir)
{
	return fx_res_ints(regs, ret, EVT_SYSCALL_FCHDIR_X, 1);
}

/* res + two user paths: rename, link, symlink. */
static __always_inline int ev_two_paths(struct pt_regs *regs, long ret, __u16 type)
{
	struct prb_scratch *s = ev_begin(type, 3);

	if (!s)
		return 0;
	ev_u64(s, ret);
	ev_str(s, (const void *)sc_arg(regs, 0), PRB_PATH_MAX, true);
	ev_str(s, (const void *)sc_arg(regs, 1), PRB_PATH_MAX, true);
	ev_submit(s);
	return 0;
}

HANDLER(rename)
{
	return ev_two_paths(regs, ret, EVT_SYSCALL_RENAME_X);
}

HANDLER(link)
{
	return ev_two_paths(regs, ret, EVT_SYSCALL_LINK_2_X);
}

HANDLER(symlink)
{
	return ev_two_paths(regs, ret, EVT_SYSCALL_SYMLINK_X);
}

/* res olddirfd oldpath newdirfd newpath [flags]: renameat(2), linkat. */
static __always_inline int ev_two_at(struct pt_regs *regs, long ret, __u16 type, int nflags,
				     __u32 flags)
{
	struct prb_scratch *s = ev_begin(type, nflags ? 6 : 5);

	if (!s)
		return 0;
	ev_u64(s, ret);
	ev_u64(s, (__s64)(int)sc_arg(regs, 0));
	ev_str(s, (const void *)sc_arg(regs, 1), PRB_PATH_MAX, true);
	ev_u64(s, (__s64)(int)sc_arg(regs, 2));
	ev_str(s, (const void *)sc_arg(regs, 3), PRB_PATH_MAX, true);
	if (nflags)
		ev_u32(s, flags);
	ev_submit(s);
	return 0;
}

HANDLER(renameat)
{
	return ev_two_at(regs, ret, EVT_SYSCALL_RENAMEAT_X, 0, 0);
}

HANDLER(renameat2)
{
	/* RENAME_* bits equal libs' PPM_RENAME_* */
	return ev_two_at(regs, ret, EVT_SYSCALL_RENAMEAT2_X, 1, sc_arg(regs, 4) & 7);
}

HANDLER(linkat)
{
	/* AT_SYMLINK_FOLLOW / AT_EMPTY_PATH equal libs' PPM_AT_* */
	return ev_two_at(regs, ret, EVT_SYSCALL_LINKAT_2_X, 1, sc_arg(regs, 4) & 0x1400);
}

HANDLER(symlinkat)
{
	struct prb_scratch *s = ev_begin(EVT_SYSCALL_SYMLINKAT_X, 4);

	if (!s)
		return 0;
	ev_u64(s, ret);
	ev_str(s, (const void *)sc_arg(regs, 0), PRB_PATH_MAX, true);
	ev_u64(s, (__s64)(int)sc_arg(regs, 1));
	ev_str(s, (const void *)sc_arg(regs, 2), PRB_PATH_MAX, true);
	ev_submit(s);
	return 0;
}

/* res + 1..3 ids from the arguments: the setuid/setgid family. */
static __always_inline int ev_ids(struct pt_regs *regs, long ret, __u16 type, int n)
{
	struct fx f;

	if (!fx_begin(&f, type, 1 + n, 8 + 4 * n))
		return 0;
	fx_u64(&f, ret);
	for (int i = 0; i < 3; i++)
		if (i < n)
			fx_u32(&f, sc_arg(regs, i));
	fx_submit(&f);
	return 0;
}

HANDLER(setuid)
{
	return ev_ids(regs, ret, EVT_SYSCALL_SETUID_X, 1);
}

HANDLER(setgid)
{
	return ev_ids(regs, ret, EVT_SYSCALL_SETGID_X, 1);
}

HANDLER(setreuid)
{
	return ev_ids(regs, ret, EVT_SYSCALL_SETREUID_X, 2);
}

HANDLER(setregid)
{
	return ev_ids(regs, ret, EVT_SYSCALL_SETREGID_X, 2);
}

HANDLER(setresuid)
{
	return ev_ids(regs, ret, EVT_SYSCALL_SETRESUID_X, 3);
}

HANDLER(setresgid)
{
	return ev_ids(regs, ret, EVT_SYSCALL_SETRESGID_X, 3);
}

/* setsid: res (the new session id). */
HANDLER(setsid)
{
	struct fx f;

	if (!fx_begin(&f, EVT_SYSCALL_SETSID_X, 1, 8))
		return 0;
	fx_u64(&f, ret);
	fx_submit(&f);
	return 0;
}

HANDLER(setpgid)
{
	return fx_res_ints(regs, ret, EVT_SYSCALL_SETPGID_X, 2);
}

/* setns: res fd nstype; unshare: res flags. CLONE_NEW* as libs' PPM_CL_*. */
HANDLER(setns)
{
	struct fx f;

	if (!fx_begin(&f, EVT_SYSCALL_SETNS_X, 3, 20))
		return 0;
	fx_u64(&f, ret);
	fx_u64(&f, (__s64)(int)sc_arg(regs, 0));
	fx_u32(&f, clone_flags_to_ppm((__u32)sc_arg(regs, 1)));
	fx_submit(&f);
	return 0;
}

HANDLER(unshare)
{
	struct fx f;

	if (!fx_begin(&f, EVT_SYSCALL_UNSHARE_X, 2, 12))
		return 0;
	fx_u64(&f, ret);
	fx_u32(&f, clone_flags_to_ppm((__u32)sc_arg(regs, 0)));
	fx_submit(&f);
	return 0;
}

/* capset: res and the caller's capability sets after the call (kernel bit
 * n is libs' PPM_CAP bit n). */
HANDLER(capset)
{
	struct fx f;
	const struct cred *c = BPF_CORE_READ(bpf_get_current_task_btf(), cred);

	if (!fx_begin(&f, EVT_SYSCALL_CAPSET_X, 4, 32))
		return 0;
	fx_u64(&f, ret);
	fx_u64(&f, BPF_CORE_READ(c, cap_inheritable.val));
	fx_u64(&f, BPF_CORE_READ(c, cap_permitted.val));
	fx_u64(&f, BPF_CORE_READ(c, cap_effective.val));
	fx_submit(&f);
	return 0;
}

#define PR_SET_NAME 15 /* PR_* equal libs' PPM_PR_* */
#define PR_GET_NAME 16
#define PR_GET_CHILD_SUBREAPER 37

/* prctl: res option arg2_str arg2_int; the string for the name options, the
 * int read through the pointer for PR_GET_CHILD_SUBREAPER, else arg2. */
HANDLER(prctl)
{
	struct prb_scratch *s = ev_begin(EVT_SYSCALL_PRCTL_X, 4);
	__u32 option = sc_arg(regs, 0);
	__u64 arg2 = sc_arg(regs, 1);
	__s32 reaper = 0;

	if (!s)
		return 0;
	ev_u64(s, ret);
	ev_u32(s, option);
	if (option == PR_SET_NAME || option == PR_GET_NAME) {
		ev_str(s, (const void *)arg2, PRB_PATH_MAX, true);
		ev_u64(s, 0);
	} else if (option == PR_GET_CHILD_SUBREAPER) {
		ev_empty(s);
		bpf_probe_read_user(&reaper, sizeof(reaper), (const void *)arg2);
		ev_u64(s, (__s64)reaper);
	} else {
		ev_empty(s);
		ev_u64(s, arg2);
	}
	ev_submit(s);
	return 0;
}

HANDLER(ptrace)
{
	struct fx f;

	if (!fx_begin(&f, EVT_SYSCALL_PTRACE_X, 5, 8 + 9 + 9 + 2 + 8))
		return 0;
	fx_u64(&f, ret);
	/* addr and data as PT_DYN: index 0 (PPM_PTRACE_IDX_UINT64) + u64 */
	for (int i = 2; i <= 3; i++) {
		*(f.d + f.pos) = 0;
		*(__u64 *)(f.d + f.pos + 1) = sc_arg(regs, i);
		fx_len(&f, 9);
	}
	fx_u16(&f, ptrace_req_to_ppm(sc_arg(regs, 0)));
	fx_u64(&f, (__s64)(int)sc_arg(regs, 1));
	fx_submit(&f);
	return 0;
}

HANDLER(init_module)
{
	struct prb_scratch *s = ev_begin(EVT_SYSCALL_INIT_MODULE_X, 4);
	__u64 len = sc_arg(regs, 1);

	if (!s)
		return 0;
	ev_u64(s, ret);
	ev_bytes_user(s, (const void *)sc_arg(regs, 0), len > snaplen ? snaplen : len);
	ev_u64(s, len);
	ev_str(s, (const void *)sc_arg(regs, 2), PRB_PATH_MAX, true);
	ev_submit(s);
	return 0;
}

HANDLER(finit_module)
{
	struct prb_scratch *s = ev_begin(EVT_SYSCALL_FINIT_MODULE_X, 4);

	if (!s)
		return 0;
	ev_u64(s, ret);
	ev_u64(s, (__s64)(int)sc_arg(regs, 0));
	ev_str(s, (const void *)sc_arg(regs, 1), PRB_PATH_MAX, true);
	ev_u32(s, sc_arg(regs, 2) & 7); /* MODULE_INIT_* equal libs' values */
	ev_submit(s);
	return 0;
}

HANDLER(memfd_create)
{
	struct prb_scratch *s = ev_begin(EVT_SYSCALL_MEMFD_CREATE_X, 3);

	if (!s)
		return 0;
	ev_u64(s, ret);
	ev_str(s, (const void *)sc_arg(regs, 0), 256, true);
	ev_u32(s, sc_arg(regs, 1) & 7); /* MFD_CLOEXEC/ALLOW_SEALING/HUGETLB */
	ev_submit(s);
	return 0;
}

/* ---- fds without a path: pipes, eventfd, signalfd, timerfd, inotify ---- */

/* O_NONBLOCK / O_CLOEXEC (EFD_*, SFD_*, TFD_*, IN_* have the same values) as
 * libs' PPM_O_* bits; a negative value has none (libs). */
static __always_inline __u32 nb_cloexec_to_ppm(__s32 f)
{
	if (f < 0)
		return 0;
	return ((f & O_NONBLOCK) ? PPM_O_NONBLOCK : 0) | ((f & O_CLOEXEC) ? PPM_O_CLOEXEC : 0);
}

/* pipe / pipe2: res fd1 fd2 ino [flags]; the fds are read back from the
 * caller's array, the inode is the pipe's (both ends share it). */
static __always_inline int ev_pipe(struct pt_regs *regs, long ret, int v2)
{
	__s32 fds[2] = { -1, -1 };
	struct file *file;
	struct fx f;
	__s32 flags;

	if (bpf_probe_read_user(fds, sizeof(fds), (const void *)sc_arg(regs, 0))) {
		fds[0] = -1;
		fds[1] = -1;
	}
	file = ret == 0 ? fd_file(bpf_get_current_task_btf(), fds[0]) : NULL;
	if (!fx_begin(&f, v2 ? EVT_SYSCALL_PIPE2_X : EVT_SYSCALL_PIPE_X, v2 ? 5 : 4, v2 ? 36 : 32))
		return 0;
	fx_u64(&f, ret);
	fx_u64(&f, (__s64)fds[0]);
	fx_u64(&f, (__s64)fds[1]);
	fx_u64(&f, file ? BPF_CORE_READ(file, f_inode, i_ino) : 0);
	if (v2) {
		flags = sc_arg(regs, 1);
		fx_u32(&f, flags < 0 ? 0
				     : nb_cloexec_to_ppm(flags) | ((flags & O_DIRECT) ? PPM_O_DIRECT : 0));
	}
	fx_submit(&f);
	return 0;
}

HANDLER(pipe)
{
	return ev_pipe(regs, ret, 0);
}

HANDLER(pipe2)
{
	return ev_pipe(regs, ret, 1);
}

HANDLER(eventfd)
{
	struct fx f;

	if (!fx_begin(&f, EVT_SYSCALL_EVENTFD_X, 3, 20))
		return 0;
	fx_u64(&f, ret);
	fx_u64(&f, sc_arg(regs, 0)); /* initval */
	fx_u32(&f, 0);		    /* eventfd has no flags (libs sends 0) */
	fx_submit(&f);
	return 0;
}

HANDLER(eventfd2)
{
	struct fx f;

	if (!fx_begin(&f, EVT_SYSCALL_EVENTFD2_X, 3, 18))
		return 0;
	fx_u64(&f, ret);
	fx_u16(&f, nb_cloexec_to_ppm(sc_arg(regs, 1)));
	fx_u64(&f, (__u32)sc_arg(regs, 0)); /* initval */
	fx_submit(&f);
	return 0;
}

/* signalfd: res fd mask flags; signalfd4: res flags fd mask. The mask is
 * sent as 0, as libs does. */
HANDLER(signalfd)
{
	struct fx f;

	if (!fx_begin(&f, EVT_SYSCALL_SIGNALFD_X, 4, 21))
		return 0;
	fx_u64(&f, ret);
	fx_u64(&f, (__s64)(int)sc_arg(regs, 0));
	fx_u32(&f, 0);
	fx_u8(&f, 0);
	fx_submit(&f);
	return 0;
}

HANDLER(signalfd4)
{
	struct fx f;

	if (!fx_begin(&f, EVT_SYSCALL_SIGNALFD4_X, 4, 22))
		return 0;
	fx_u64(&f, (__s64)(int)ret);
	fx_u16(&f, nb_cloexec_to_ppm(sc_arg(regs, 3)));
	fx_u64(&f, (__s64)(int)sc_arg(regs, 0));
	fx_u32(&f, 0);
	fx_submit(&f);
	return 0;
}

HANDLER(timerfd_create)
{
	struct fx f;

	if (!fx_begin(&f, EVT_SYSCALL_TIMERFD_CREATE_X, 3, 10))
		return 0;
	fx_u64(&f, ret);
	fx_u8(&f, sc_arg(regs, 0)); /* clockid */
	fx_u8(&f, nb_cloexec_to_ppm(sc_arg(regs, 1)));
	fx_submit(&f);
	return 0;
}

HANDLER(inotify_init)
{
	struct fx f;

	if (!fx_begin(&f, EVT_SYSCALL_INOTIFY_INIT_X, 2, 9))
		return 0;
	fx_u64(&f, ret);
	fx_u8(&f, 0); /* no flags argument (libs sends 0) */
	fx_submit(&f);
	return 0;
}

HANDLER(inotify_init1)
{
	struct fx f;

	if (!fx_begin(&f, EVT_SYSCALL_INOTIFY_INIT1_X, 2, 10))
		return 0;
	fx_u64(&f, ret);
	fx_u16(&f, nb_cloexec_to_ppm(sc_arg(regs, 0)));
	fx_submit(&f);
	return 0;
}

static __always_inline __u32 prot_to_ppm(__u64 p)
{
	/* PROT_READ/WRITE/EXEC equal libs' low bits; GROWSDOWN/UP move */
	return (p & 7) | ((p & 0x01000000) ? (1 << 4) : 0) | ((p & 0x02000000) ? (1 << 5) : 0);
}

static __always_inline __u32 mmap_flags_to_ppm(__u64 f)
{
	static const __u32 map[][2] = {
		{ 0x01, 1 << 0 },    { 0x02, 1 << 1 },	  { 0x10, 1 << 2 },    { 0x20, 1 << 3 },
		{ 0x40, 1 << 4 },    { 0x4000, 1 << 6 },  { 0x8000, 1 << 7 },  { 0x10000, 1 << 8 },
		{ 0x0100, 1 << 9 },  { 0x0800, 1 << 10 }, { 0x1000, 1 << 11 }, { 0x2000, 1 << 14 },
	};
	__u32 r = 0;

	for (int i = 0; i < (int)(sizeof(map) / sizeof(map[0])); i++)
		if (f & map[i][0])
			r |= map[i][1];
	return r;
}

HOT_HANDLER(mmap)
{
	struct fx f;
	struct mm_struct *mm = BPF_CORE_READ(bpf_get_current_task_btf(), mm);

	if (!fx_begin(&f, EVT_SYSCALL_MMAP_X, 10, 60))
		return 0;
	fx_u64(&f, ret);
	fx_u32(&f, mm ? BPF_CORE_READ(mm, total_vm) << 2 : 0);
	fx_u32(&f, mm ? (BPF_CORE_READ(mm, rss_stat[MM_FILEPAGES].count) +
			BPF_CORE_READ(mm, rss_stat[MM_ANONPAGES].count))
				       << 2
		     : 0);
	fx_u32(&f, mm ? BPF_CORE_READ(mm, rss_stat[MM_SWAPENTS].count) << 2 : 0);
	fx_u64(&f, sc_arg(regs, 0));
	fx_u64(&f, sc_arg(regs, 1));
	fx_u32(&f, prot_to_ppm(sc_arg(regs, 2)));
	fx_u32(&f, mmap_flags_to_ppm(sc_arg(regs, 3)));
	fx_u64(&f, (__s64)(int)sc_arg(regs, 4));
	fx_u64(&f, sc_arg(regs, 5));
	fx_submit(&f);
	return 0;
}

HOT_HANDLER(mprotect)
{
	struct fx f;

	if (!fx_begin(&f, EVT_SYSCALL_MPROTECT_X, 4, 28))
		return 0;
	fx_u64(&f, ret);
	fx_u64(&f, sc_arg(regs, 0));
	fx_u64(&f, sc_arg(regs, 1));
	fx_u32(&f, prot_to_ppm(sc_arg(regs, 2)));
	fx_submit(&f);
	return 0;
}

/* Runs on every syscall exit of the host, so the common case (a syscall
 * nobody selected) must cost next to nothing: the syscall id and the task's
 * status are direct loads through the BTF-typed pointers tp_btf gives (no
 * helper call), the selection is an inlined array lookup, and the helper
 * calls come only after it. */
SEC("tp_btf/sys_exit")
int BPF_PROG(sys_exit, struct pt_regs *regs, long ret)
{
	long nr = regs->orig_ax;
	__u32 key = nr;
	struct task_struct *t;
	__u8 *on;

	if ((__u64)nr >= PRB_NSYSCALLS)
		return 0;
	if (!all_syscalls) {
		on = bpf_map_lookup_elem(&interesting, &key);
		if (!on || !*on)
			return 0;
	} else if (!handled_ids[key & (PRB_NSYSCALLS - 1)]) {
		return 0;
	}
	t = bpf_get_current_task_btf(); /* one helper call for both tests */
	if (self_tgid && t->tgid == self_tgid)
		return 0;
	if (t->thread_info.status & TS_COMPAT)
		return 0; /* ia32 numbering is not handled yet */
	switch (nr) { /* the hot handlers, inlined (HOT_HANDLER) */
	case __NR_read:
		return h_read(regs, ret);
	case __NR_write:
		return h_write(regs, ret);
	case __NR_close:
		return h_close(regs, ret);
	case __NR_openat:
		return h_openat(regs, ret);
	case __NR_sendto:
		return h_sendto(regs, ret);
	case __NR_recvfrom:
		return h_recvfrom(regs, ret);
	case __NR_open:
		return h_open(regs, ret);
	case __NR_connect:
		return h_connect(regs, ret);
	case __NR_accept4:
		return h_accept4(regs, ret);
	case __NR_mmap:
		return h_mmap(regs, ret);
	case __NR_mprotect:
		return h_mprotect(regs, ret);
	case __NR_fcntl:
		return h_fcntl(regs, ret);
	}
	bpf_tail_call(ctx, &handlers, key);
	return 0;
}
