/*
 * live.c - loader of the eBPF probe and the per-ring consumers (see live.h).
 *
 * The ring buffers are made here, not declared in the probe: their number and
 * size are only known at load time, and every inner map of an array of maps
 * must match the inner template, so ring 0 is created first, given to libbpf
 * as the template, and the other rings are created and inserted once the
 * object is loaded. Handler programs are tail-called from the sys_exit
 * dispatcher and must not be attached themselves: their autoattach is turned
 * off by name ("x_" prefix). With the syscall hook (live.h, enum prb_hook)
 * the dispatcher is not loaded, and the handlers' "t_" programs are
 * attached one by one to the selected syscalls' tracepoints (the "x_" ones
 * are still loaded: the tail-call table's initial values name them).
 */
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <asm/unistd_64.h>
#include <linux/bpf.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/mount.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "abi/event_table.h"
#include "source/live.h"
#include "probe.skel.h"

struct prb {
	struct probe_bpf *skel;
	uint32_t n_rings;
	enum prb_part part;
	int ring_fd[PRB_MAX_RINGS];
	int ncpus;
	bool detached;
	/* the syscall hook: by syscall id, its handler's t_ program, whether
	 * it is selected, its attachment, and whether its tracepoint is
	 * missing from this kernel */
	enum prb_hook hook;
	bool all;
	struct bpf_program *tp_prog[PRB_NSYSCALLS];
	struct bpf_link *tp_link[PRB_NSYSCALLS];
	uint8_t want[PRB_NSYSCALLS];
	uint8_t missing[PRB_NSYSCALLS];
};

/* The handled syscalls (probe.h PRB_SYSCALLS). */
static const struct prb_syscall handled[] = {
#define X(n) {#n, __NR_##n},
	PRB_SYSCALLS(X)
#undef X
};
static const uint32_t n_handled = sizeof(handled) / sizeof(handled[0]);

const struct prb_syscall *prb_syscalls(uint32_t *n)
{
	*n = n_handled;
	return handled;
}

void prb_opts_default(struct prb_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->n_rings = 1;
	o->ring_bytes = 8u << 20;
	o->part = PRB_PART_TGID;
	o->snaplen = 80;
}

static void set_err(const struct prb_opts *o, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void set_err(const struct prb_opts *o, const char *fmt, ...)
{
	va_list ap;

	if (!o->err || !o->errlen)
		return;
	va_start(ap, fmt);
	vsnprintf(o->err, o->errlen, fmt, ap);
	va_end(ap);
}

/* libbpf's messages during one load, kept so that a verifier rejection can be
 * shown to the user (its last lines say why). Guarded by log_lock. */
static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;
static char log_buf[64 << 10];
static size_t log_len;

static int log_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	size_t half = sizeof(log_buf) / 2;
	char *msg = NULL;
	size_t n;
	int r;

	if (level == LIBBPF_DEBUG)
		return 0;
	r = vasprintf(&msg, fmt, ap);
	if (r < 0)
		return r;
	/* keep the newest bytes: the end of a verifier log is what says why */
	n = (size_t)r > half ? half : (size_t)r;
	if (log_len + n >= sizeof(log_buf)) {
		memmove(log_buf, log_buf + log_len - half, half);
		log_len = half;
	}
	memcpy(log_buf + log_len, msg + r - n, n);
	log_len += n;
	free(msg);
	return r;
}

/* The last @lines lines of the captured log. */
static const char *log_tail(int lines)
{
	size_t i = log_len;

	log_buf[log_len] = 0;
	while (i > 0 && log_buf[i - 1] == '\n')
		i--;
	while (i > 0) {
		if (log_buf[i - 1] == '\n' && --lines == 0)
			break;
		i--;
	}
	return log_buf + i;
}

static int check_opts(const struct prb_opts *o)
{
	long page = sysconf(_SC_PAGESIZE);
	uint64_t sz = o->ring_bytes;

	if (o->n_rings < 1 || o->n_rings > PRB_MAX_RINGS) {
		set_err(o, "live: %u rings asked; the probe supports 1 to %u", o->n_rings,
			PRB_MAX_RINGS);
		return -EINVAL;
	}
	if (sz < (uint64_t)page || (sz & (sz - 1)) || sz % page || sz > (1ull << 30)) {
		set_err(o,
			"live: ring size %llu is not usable: it must be a power of two multiple of "
			"the page size (%ld), at most 1 GiB, e.g. 8388608 (8 MiB)",
			(unsigned long long)sz, page);
		return -EINVAL;
	}
	if (o->part > PRB_PART_CPU) {
		set_err(o, "live: unknown partition mode %d", (int)o->part);
		return -EINVAL;
	}
	if (o->hook != PRB_HOOK_RAW && o->hook != PRB_HOOK_SYSCALL) {
		set_err(o, "live: unknown probe hook %d", (int)o->hook);
		return -EINVAL;
	}
	if (o->snaplen > PRB_SNAPLEN_MAX) {
		set_err(o, "live: snaplen %u is above the most the probe keeps (%u)", o->snaplen,
			PRB_SNAPLEN_MAX);
		return -EINVAL;
	}
	if (access("/sys/kernel/btf/vmlinux", R_OK) != 0) {
		set_err(o, "live: this kernel has no BTF (/sys/kernel/btf/vmlinux is missing); the "
			   "eBPF probe needs a kernel built with CONFIG_DEBUG_INFO_BTF=y");
		return -ENOTSUP;
	}
	return 0;
}

static int make_ring(const struct prb_opts *o, uint32_t i)
{
	char name[16];
	int fd;

	snprintf(name, sizeof(name), "prb_ring%u", i);
	fd = bpf_map_create(BPF_MAP_TYPE_RINGBUF, name, 0, 0, (uint32_t)o->ring_bytes, NULL);
	if (fd < 0) {
		int err = -errno;

		if (err == -EPERM)
			set_err(o, "live: not allowed to create BPF maps: run as root (or with "
				   "CAP_BPF and CAP_PERFMON)");
		else
			set_err(o, "live: cannot create a %llu-byte ring buffer: %s",
				(unsigned long long)o->ring_bytes, strerror(-err));
		return err;
	}
	return fd;
}

uint64_t prb_boot_epoch_ns(void)
{
	struct timespec rt, bt;

	clock_gettime(CLOCK_REALTIME, &rt);
	clock_gettime(CLOCK_BOOTTIME, &bt);
	return (uint64_t)(rt.tv_sec - bt.tv_sec) * 1000000000ull + rt.tv_nsec - bt.tv_nsec;
}

/* Rodata knobs and map sizes; before load. */
static int configure(struct prb *p, const struct prb_opts *o)
{
	struct probe_bpf *sk = p->skel;
	struct bpf_program *prog;
	int err;

	sk->rodata->part_mode = o->part;
	sk->rodata->n_rings = o->n_rings;
	sk->rodata->self_tgid = o->trace_self ? 0 : (uint32_t)getpid();
	sk->rodata->snaplen = o->snaplen;
	sk->rodata->boot_ns = prb_boot_epoch_ns();
	sk->rodata->wakeup_bytes = o->ring_bytes / 8;
	err = bpf_map__set_max_entries(sk->maps.scratch, p->ncpus);
	if (!err)
		err = bpf_map__set_max_entries(sk->maps.rings, o->n_rings);
	if (!err)
		err = bpf_map__set_inner_map_fd(sk->maps.rings, p->ring_fd[0]);
	if (err) {
		set_err(o, "live: cannot size the probe's maps: %s", strerror(-err));
		return err;
	}
	bpf_object__for_each_program(prog, sk->obj)
	{
		const char *name = bpf_program__name(prog);

		if (strncmp(name, "x_", 2) == 0) {
			bpf_program__set_autoattach(prog, false);
		} else if (strncmp(name, "t_", 2) == 0) {
			bpf_program__set_autoload(prog, o->hook == PRB_HOOK_SYSCALL);
			bpf_program__set_autoattach(prog, false); /* by selection */
			for (uint32_t i = 0; i < n_handled; i++)
				if (strcmp(name + 2, handled[i].name) == 0)
					p->tp_prog[handled[i].nr] = prog;
		} else if (strcmp(name, "sys_exit") == 0) {
			bpf_program__set_autoload(prog, o->hook == PRB_HOOK_RAW);
		}
	}
	return 0;
}

/* The syscall hook reads tracepoint ids from tracefs, where libbpf looks
 * for it (/sys/kernel/debug/tracing, else /sys/kernel/tracing): mount it
 * at the second place when neither has the syscalls' events. */
static int tracefs_ready(const struct prb_opts *o)
{
	static const char dbg[] = "/sys/kernel/debug/tracing", tfs[] = "/sys/kernel/tracing";

	if (access(dbg, F_OK) == 0) {
		if (access("/sys/kernel/debug/tracing/events/syscalls", F_OK) == 0)
			return 0;
	} else if (access("/sys/kernel/tracing/events/syscalls", F_OK) == 0 ||
		   (mount("tracefs", tfs, "tracefs", 0, NULL) == 0 &&
		    access("/sys/kernel/tracing/events/syscalls", F_OK) == 0)) {
		return 0;
	}
	set_err(o, "live: the syscall hook needs the syscalls' tracepoints in tracefs (a kernel "
		   "with CONFIG_FTRACE_SYSCALLS, tracefs at %s or %s); use the raw hook "
		   "(engine.probe_hook: raw) otherwise",
		dbg, tfs);
	return -ENOTSUP;
}

/* Attach or detach syscall @nr's t_ program to match the selection (the
 * syscall hook). A tracepoint the kernel lacks is noted, not an error. */
static int hook_sync(struct prb *p, uint32_t nr)
{
	struct bpf_program *prog = p->tp_prog[nr];
	bool on = prog && !p->detached && (p->all || p->want[nr]);
	struct bpf_link *l;
	int err;

	if (on && !p->tp_link[nr] && !p->missing[nr]) {
		/* libbpf would print a missing tracepoint's error; prb_missing()
		 * says it instead (its print hook is global: see live.h) */
		libbpf_print_fn_t old = libbpf_set_print(NULL);

		l = bpf_program__attach(prog);
		err = l ? 0 : -errno;
		libbpf_set_print(old);
		if (err == -ENOENT) {
			p->missing[nr] = 1;
			return 0;
		}
		if (err)
			return err;
		p->tp_link[nr] = l;
	} else if (!on && p->tp_link[nr]) {
		bpf_link__destroy(p->tp_link[nr]);
		p->tp_link[nr] = NULL;
	}
	return 0;
}

/* Detaching a tracepoint program waits for the tracepoint's grace
 * periods (~55 ms each here), one after another if done in a row: 67
 * syscalls took 3.8 s; 16 threads detaching at once take ~1.8 s (the
 * kernel serialises part of it). */
#define UNLINK_THREADS 16u

struct unlink_job {
	struct prb *p;
	uint32_t first;
};

static void *unlink_some(void *arg)
{
	struct unlink_job *j = arg;

	for (uint32_t nr = j->first; nr < PRB_NSYSCALLS; nr += UNLINK_THREADS) {
		bpf_link__destroy(j->p->tp_link[nr]);
		j->p->tp_link[nr] = NULL;
	}
	return NULL;
}

/* Detach every t_ program (the syscall hook). Each thread started here
 * owns the links nr = first (mod UNLINK_THREADS); the caller, the
 * controlling thread, joins them all before it returns. */
static void hook_unlink(struct prb *p)
{
	struct unlink_job jobs[UNLINK_THREADS];
	pthread_t th[UNLINK_THREADS];
	bool started[UNLINK_THREADS];
	uint32_t i, n = 0;

	for (i = 0; i < PRB_NSYSCALLS; i++)
		n += p->tp_link[i] != NULL;
	if (n == 0)
		return;
	for (i = 0; i < UNLINK_THREADS; i++) {
		jobs[i] = (struct unlink_job){p, i};
		started[i] = pthread_create(&th[i], NULL, unlink_some, &jobs[i]) == 0;
	}
	for (i = 0; i < UNLINK_THREADS; i++) {
		if (started[i])
			pthread_join(th[i], NULL);
		else
			unlink_some(&jobs[i]); /* no thread: in this one */
	}
}

/* Rings and selection; after load. */
static int populate(struct prb *p, const struct prb_opts *o)
{
	int outer = bpf_map__fd(p->skel->maps.rings);
	int sel = bpf_map__fd(p->skel->maps.interesting);
	uint8_t on = 1;

	for (uint32_t i = 0; i < p->n_rings; i++) {
		if (i > 0) {
			p->ring_fd[i] = make_ring(o, i);
			if (p->ring_fd[i] < 0)
				return p->ring_fd[i];
		}
		if (bpf_map_update_elem(outer, &i, &p->ring_fd[i], BPF_ANY)) {
			set_err(o, "live: cannot insert ring %u: %s", i, strerror(errno));
			return -errno;
		}
	}
	for (uint32_t i = 0; i < (o->syscalls ? o->n_syscalls : PRB_NSYSCALLS); i++) {
		uint32_t nr = o->syscalls ? o->syscalls[i] : i;

		if (nr >= PRB_NSYSCALLS) {
			set_err(o, "live: syscall id %u is out of range (< %u)", nr, PRB_NSYSCALLS);
			return -EINVAL;
		}
		if (bpf_map_update_elem(sel, &nr, &on, BPF_ANY))
			return -errno;
		p->want[nr] = 1;
	}
	p->skel->bss->all_syscalls = o->all_syscalls;
	p->all = o->all_syscalls;
	return 0;
}

static int load(struct prb *p, const struct prb_opts *o)
{
	libbpf_print_fn_t old;
	int err;

	pthread_mutex_lock(&log_lock);
	log_len = 0;
	old = libbpf_set_print(log_print);
	err = probe_bpf__load(p->skel);
	libbpf_set_print(old);
	if (err == -EPERM)
		set_err(o, "live: the kernel refused to load the probe (EPERM): run as root (or "
			   "with CAP_BPF, CAP_PERFMON and CAP_SYS_RESOURCE)");
	else if (err)
		set_err(o, "live: the kernel's verifier rejected the probe (%s); last lines of its "
			   "log:\n%s",
			strerror(-err), log_tail(12));
	pthread_mutex_unlock(&log_lock);
	return err;
}

struct prb *prb_open(const struct prb_opts *o)
{
	struct prb *p;
	int err;

	err = check_opts(o);
	if (err)
		goto out_errno;
	p = calloc(1, sizeof(*p));
	if (!p) {
		err = -ENOMEM;
		goto out_errno;
	}
	for (uint32_t i = 0; i < PRB_MAX_RINGS; i++)
		p->ring_fd[i] = -1;
	p->n_rings = o->n_rings;
	p->part = o->part;
	p->hook = o->hook;
	p->ncpus = libbpf_num_possible_cpus();
	if (p->ncpus <= 0) {
		err = p->ncpus < 0 ? p->ncpus : -EINVAL;
		set_err(o, "live: cannot count the possible cpus: %s", strerror(-err));
		goto out_close;
	}
	p->ring_fd[0] = make_ring(o, 0);
	if (p->ring_fd[0] < 0) {
		err = p->ring_fd[0];
		goto out_close;
	}
	p->skel = probe_bpf__open();
	if (!p->skel) {
		err = -errno;
		set_err(o, "live: cannot open the embedded probe object: %s", strerror(-err));
		goto out_close;
	}
	err = configure(p, o);
	if (!err)
		err = load(p, o);
	if (!err)
		err = populate(p, o);
	if (err)
		goto out_close;
	err = probe_bpf__attach(p->skel);
	if (err) {
		set_err(o, "live: cannot attach the probe's tracepoints: %s", strerror(-err));
		goto out_close;
	}
	if (p->hook == PRB_HOOK_SYSCALL) {
		err = tracefs_ready(o);
		for (uint32_t nr = 0; nr < PRB_NSYSCALLS && !err; nr++) {
			err = hook_sync(p, nr);
			if (err)
				set_err(o, "live: cannot attach a program to syscalls:sys_exit_%s: %s",
					bpf_program__name(p->tp_prog[nr]) + 2, strerror(-err));
		}
		if (err)
			goto out_close;
	}
	return p;

out_close:
	prb_close(p);
out_errno:
	errno = -err;
	return NULL;
}

void prb_close(struct prb *p)
{
	if (!p)
		return;
	hook_unlink(p);
	probe_bpf__destroy(p->skel);
	for (uint32_t i = 0; i < PRB_MAX_RINGS; i++)
		if (p->ring_fd[i] >= 0)
			close(p->ring_fd[i]);
	free(p);
}

int prb_possible_cpus(void)
{
	return libbpf_num_possible_cpus();
}

uint32_t prb_n_rings(const struct prb *p)
{
	return p->n_rings;
}

int prb_ring_fd(const struct prb *p, uint32_t i)
{
	return i < p->n_rings ? p->ring_fd[i] : -EINVAL;
}

uint32_t prb_ring_for(const struct prb *p, uint32_t tgid, uint32_t tid, uint32_t cpu)
{
	if (p->part == PRB_PART_CPU)
		return cpu % p->n_rings;
	return prb_part_of(p->part == PRB_PART_TID ? tid : tgid, p->n_rings);
}

int prb_counters(const struct prb *p, uint32_t i, struct prb_ring_counters *out)
{
	struct prb_ring_counters *v;
	int fd = bpf_map__fd(p->skel->maps.counters);

	memset(out, 0, sizeof(*out));
	if (i >= p->n_rings)
		return -EINVAL;
	v = calloc(p->ncpus, sizeof(*v));
	if (!v)
		return -ENOMEM;
	if (bpf_map_lookup_elem(fd, &i, v)) {
		int err = -errno;

		free(v);
		return err;
	}
	for (int c = 0; c < p->ncpus; c++) {
		out->events += v[c].events;
		out->drops += v[c].drops;
		out->clobbered += v[c].clobbered;
	}
	free(v);
	return 0;
}

static const char *const drop_cat_names[PRB_DROP_NCAT] = {
	"clone_fork", "execve", "connect", "open", "dir_file", "close", "proc_exit", "other_interest",
};

const char *prb_drop_cat_name(enum prb_drop_cat c)
{
	return (unsigned)c < PRB_DROP_NCAT ? drop_cat_names[c] : "?";
}

enum prb_drop_cat prb_drop_cat_of(uint16_t type)
{
	static const struct {
		const char *name;
		enum prb_drop_cat cat;
	} by_name[] = {
		{"clone", PRB_DROP_CLONE_FORK},	 {"fork", PRB_DROP_CLONE_FORK},
		{"vfork", PRB_DROP_CLONE_FORK},	 {"clone3", PRB_DROP_CLONE_FORK},
		{"execve", PRB_DROP_EXECVE},	 {"execveat", PRB_DROP_EXECVE},
		{"connect", PRB_DROP_CONNECT},	 {"open", PRB_DROP_OPEN},
		{"openat", PRB_DROP_OPEN},	 {"openat2", PRB_DROP_OPEN},
		{"creat", PRB_DROP_OPEN},	 {"open_by_handle_at", PRB_DROP_OPEN},
		{"mkdir", PRB_DROP_DIR_FILE},	 {"mkdirat", PRB_DROP_DIR_FILE},
		{"rmdir", PRB_DROP_DIR_FILE},	 {"unlink", PRB_DROP_DIR_FILE},
		{"unlinkat", PRB_DROP_DIR_FILE}, {"rename", PRB_DROP_DIR_FILE},
		{"renameat", PRB_DROP_DIR_FILE}, {"renameat2", PRB_DROP_DIR_FILE},
		{"link", PRB_DROP_DIR_FILE},	 {"linkat", PRB_DROP_DIR_FILE},
		{"symlink", PRB_DROP_DIR_FILE},	 {"symlinkat", PRB_DROP_DIR_FILE},
		{"chmod", PRB_DROP_DIR_FILE},	 {"fchmod", PRB_DROP_DIR_FILE},
		{"fchmodat", PRB_DROP_DIR_FILE}, {"chdir", PRB_DROP_DIR_FILE},
		{"fchdir", PRB_DROP_DIR_FILE},	 {"close", PRB_DROP_CLOSE},
		{"procexit", PRB_DROP_PROC_EXIT},
	};
	const struct evt_info *ei = evt_info(type);

	if (!ei)
		return PRB_DROP_OTHER;
	for (size_t i = 0; i < sizeof(by_name) / sizeof(by_name[0]); i++)
		if (strcmp(ei->name, by_name[i].name) == 0)
			return by_name[i].cat;
	return PRB_DROP_OTHER;
}

int prb_drops_by_category(const struct prb *p, uint64_t *out)
{
	int fd = bpf_map__fd(p->skel->maps.drops);
	struct prb_drops *v = calloc(p->ncpus, sizeof(*v));
	uint32_t zero = 0;

	memset(out, 0, PRB_DROP_NCAT * sizeof(*out));
	if (!v)
		return -ENOMEM;
	if (bpf_map_lookup_elem(fd, &zero, v)) {
		int err = -errno;

		free(v);
		return err;
	}
	for (int c = 0; c < p->ncpus; c++)
		for (uint16_t t = 0; t < EVT_TYPE_MAX; t++)
			if (v[c].by_type[t])
				out[prb_drop_cat_of(t)] += v[c].by_type[t];
	free(v);
	return 0;
}

int prb_set_syscall(struct prb *p, uint32_t nr, bool on)
{
	uint8_t v = on;

	if (nr >= PRB_NSYSCALLS)
		return -EINVAL;
	if (bpf_map_update_elem(bpf_map__fd(p->skel->maps.interesting), &nr, &v, BPF_ANY))
		return -errno;
	p->want[nr] = on;
	return p->hook == PRB_HOOK_SYSCALL ? hook_sync(p, nr) : 0;
}

void prb_detach(struct prb *p)
{
	if (p && !p->detached) {
		hook_unlink(p);
		probe_bpf__detach(p->skel);
		p->detached = true;
	}
}

int prb_set_all(struct prb *p, bool on)
{
	int err = 0;

	__atomic_store_n(&p->skel->bss->all_syscalls, on, __ATOMIC_RELAXED);
	p->all = on;
	for (uint32_t nr = 0; nr < PRB_NSYSCALLS && !err && p->hook == PRB_HOOK_SYSCALL; nr++)
		err = hook_sync(p, nr);
	return err;
}

enum prb_hook prb_hook(const struct prb *p)
{
	return p->hook;
}

uint32_t prb_missing(const struct prb *p, char *buf, size_t len)
{
	uint32_t n = 0;
	size_t at = 0;

	if (len)
		buf[0] = 0;
	for (uint32_t i = 0; i < n_handled; i++) {
		if (!p->missing[handled[i].nr] || !(p->all || p->want[handled[i].nr]))
			continue;
		if (len && at < len)
			at += (size_t)snprintf(buf + at, len - at, "%s%s", n ? ", " : "",
					       handled[i].name);
		n++;
	}
	return n;
}

/* ---- ring readers ----
 *
 * HOW THE RINGS ARE READ: through the kernel's ring buffer ABI (uapi
 * linux/bpf.h), not libbpf's consumer: the consumer position is on a writable
 * first page, the producer position on the next one, followed by the data
 * area mapped twice (a record that wraps is contiguous in memory). A record
 * starts with an 8-byte header whose first u32 is its length with
 * BPF_RINGBUF_BUSY_BIT (still being written) and BPF_RINGBUF_DISCARD_BIT;
 * records are 8-byte aligned. The producer position is read with acquire
 * semantics, the consumer position published with release, as the kernel
 * pairs them.
 *
 * Why not libbpf's ring_buffer: it stores the consumer position after every
 * record, and the probe reads that position in every reservation, so the
 * cache line moves between the consumer's cpu and the producers' at every
 * event. These readers keep the position to themselves and publish it once
 * per batch (at the end of a consume, and every publish_every bytes within
 * one so that a long batch does not hold back ring space); the producer
 * position is read once per batch too, not per record. The merging reader
 * (below) also needs to look at each ring's next record before delivering
 * it, which libbpf's callback interface cannot do. */

struct prb_raw {
	unsigned long *cons; /* consumer position (our page) */
	unsigned long *prod; /* producer position (kernel page) */
	uint8_t *data;
	uint64_t mask;
	size_t cons_len, prod_len;
	unsigned long pos;	 /* our consumer position, ahead of *cons */
	unsigned long prod_seen; /* the producer position last read */
	unsigned long published; /* the position last stored into *cons */
	unsigned long publish_every;
	/* the head record, when one is ready */
	const uint8_t *head;
	uint32_t head_len;
	uint64_t head_ts;
};

static void raw_unmap(struct prb_raw *r)
{
	if (r->cons)
		munmap(r->cons, r->cons_len);
	if (r->prod)
		munmap(r->prod, r->prod_len);
	memset(r, 0, sizeof(*r));
}

static int raw_map(struct prb_raw *r, int fd)
{
	struct bpf_map_info info;
	uint32_t ilen = sizeof(info);
	long pg = sysconf(_SC_PAGESIZE);
	void *m;

	memset(&info, 0, sizeof(info));
	if (bpf_obj_get_info_by_fd(fd, &info, &ilen) < 0)
		return -errno;
	if (info.type != BPF_MAP_TYPE_RINGBUF || !info.max_entries ||
	    (info.max_entries & (info.max_entries - 1)))
		return -EINVAL;
	r->cons_len = (size_t)pg;
	m = mmap(NULL, r->cons_len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (m == MAP_FAILED)
		return -errno;
	r->cons = m;
	r->prod_len = (size_t)pg + 2 * (size_t)info.max_entries;
	m = mmap(NULL, r->prod_len, PROT_READ, MAP_SHARED, fd, pg);
	if (m == MAP_FAILED) {
		int err = -errno;

		raw_unmap(r);
		return err;
	}
	r->prod = m;
	r->data = (uint8_t *)m + pg;
	r->mask = info.max_entries - 1;
	r->pos = r->published = r->prod_seen = __atomic_load_n(r->cons, __ATOMIC_ACQUIRE);
	r->publish_every = info.max_entries / 16;
	return 0;
}

/* Give the records read so far back to the kernel. */
static void raw_publish(struct prb_raw *r)
{
	if (r->pos != r->published) {
		__atomic_store_n(r->cons, r->pos, __ATOMIC_RELEASE);
		r->published = r->pos;
	}
}

/* Look at ring @r's next record (skipping discarded ones); true when one is
 * ready, with head/head_len/head_ts set. */
static bool raw_peek(struct prb_raw *r)
{
	for (;;) {
		const uint8_t *h = r->data + (r->pos & r->mask);
		uint32_t len, size;

		if (r->pos >= r->prod_seen) {
			r->prod_seen = __atomic_load_n(r->prod, __ATOMIC_ACQUIRE);
			if (r->pos >= r->prod_seen)
				break;
		}
		len = __atomic_load_n((const uint32_t *)h, __ATOMIC_ACQUIRE);
		if (len & BPF_RINGBUF_BUSY_BIT)
			break; /* reserved, not yet committed */
		size = len & ~(BPF_RINGBUF_BUSY_BIT | BPF_RINGBUF_DISCARD_BIT);
		if (len & BPF_RINGBUF_DISCARD_BIT) {
			r->pos += (size + BPF_RINGBUF_HDR_SZ + 7u) & ~7ul;
			continue;
		}
		r->head = h + BPF_RINGBUF_HDR_SZ;
		r->head_len = size;
		r->head_ts = size >= sizeof(struct evt_hdr) ? ((const struct evt_hdr *)r->head)->ts : 0;
		return true;
	}
	r->head = NULL;
	return false;
}

/* Done with the head record; published later, in a batch. */
static void raw_advance(struct prb_raw *r)
{
	r->pos += (r->head_len + BPF_RINGBUF_HDR_SZ + 7u) & ~7ul;
	r->head = NULL;
	if (r->pos - r->published >= r->publish_every)
		raw_publish(r);
}

/* ---- one ring, one consumer (the tgid and tid layouts) ---- */

struct prb_ring {
	struct prb_raw raw;
	int epfd;
	prb_event_fn fn;
	void *ctx;
};

struct prb_ring *prb_ring__new(struct prb *p, uint32_t i, prb_event_fn fn, void *ctx)
{
	struct epoll_event ee = {.events = EPOLLIN};
	struct prb_ring *r;
	int err;

	if (i >= p->n_rings || !fn) {
		errno = EINVAL;
		return NULL;
	}
	r = calloc(1, sizeof(*r));
	if (!r)
		return NULL;
	r->fn = fn;
	r->ctx = ctx;
	r->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (r->epfd < 0) {
		err = -errno;
		goto out_free;
	}
	err = raw_map(&r->raw, p->ring_fd[i]);
	if (!err && epoll_ctl(r->epfd, EPOLL_CTL_ADD, p->ring_fd[i], &ee) < 0)
		err = -errno;
	if (err)
		goto out_free;
	return r;
out_free:
	prb_ring__free(r);
	errno = -err;
	return NULL;
}

int prb_ring__consume(struct prb_ring *r)
{
	struct prb_raw *raw = &r->raw;
	int n = 0;

	while (raw_peek(raw)) {
		int rc = r->fn(r->ctx, raw->head, raw->head_len);

		raw_advance(raw); /* delivered, even when the callback says stop */
		if (rc < 0) {
			raw_publish(raw);
			return rc;
		}
		if (n < INT32_MAX)
			n++;
	}
	raw_publish(raw);
	return n;
}

int prb_ring__poll(struct prb_ring *r, int timeout_ms)
{
	/* The probe wakes us only when a ring is 1/8 full (wakeup_bytes), so
	 * a quiet ring is looked at every PRB_POLL_TICK_MS at the latest: that
	 * bounds the delay of an alert on a quiet host. Whatever arrived is
	 * consumed after the wait, woken or not. */
	struct epoll_event ev;

	if (timeout_ms < 0 || timeout_ms > PRB_POLL_TICK_MS)
		timeout_ms = PRB_POLL_TICK_MS;
	if (epoll_wait(r->epfd, &ev, 1, timeout_ms) < 0 && errno != EINTR)
		return -errno;
	return prb_ring__consume(r);
}

int prb_ring__epoll_fd(const struct prb_ring *r)
{
	return r->epfd;
}

void prb_ring__free(struct prb_ring *r)
{
	if (!r)
		return;
	raw_unmap(&r->raw);
	if (r->epfd >= 0)
		close(r->epfd);
	free(r);
}

/* ---- the merging consumer (the cpu layout) ----
 *
 * The reference engine's layout reads every per-cpu ring from one thread
 * and always delivers the oldest head event among them (the rings' records
 * read as above). */

struct prb_merge {
	struct prb_raw *r;
	uint32_t n;
	int epfd;
	uint32_t cur; /* ring of the event being delivered */
	prb_event_fn fn;
	void *ctx;
};

struct prb_merge *prb_merge__new(struct prb *p, prb_event_fn fn, void *ctx)
{
	struct prb_merge *m = calloc(1, sizeof(*m));
	int err = -ENOMEM;

	if (!m)
		goto fail;
	m->r = calloc(p->n_rings, sizeof(*m->r));
	m->n = p->n_rings;
	m->fn = fn;
	m->ctx = ctx;
	m->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (!m->r || m->epfd < 0) {
		err = m->r ? -errno : -ENOMEM;
		goto fail;
	}
	for (uint32_t i = 0; i < m->n; i++) {
		struct epoll_event ee = {.events = EPOLLIN, .data.u32 = i};

		err = raw_map(&m->r[i], p->ring_fd[i]);
		if (!err && epoll_ctl(m->epfd, EPOLL_CTL_ADD, p->ring_fd[i], &ee) < 0)
			err = -errno;
		if (err)
			goto fail;
	}
	return m;
fail:
	prb_merge__free(m);
	errno = -err;
	return NULL;
}

int prb_merge__consume(struct prb_merge *m)
{
	int n = 0, rc = 0;

	for (uint32_t i = 0; i < m->n; i++)
		if (!m->r[i].head)
			raw_peek(&m->r[i]);
	for (;;) {
		struct prb_raw *best = NULL;

		for (uint32_t i = 0; i < m->n; i++) {
			struct prb_raw *r = &m->r[i];

			if (r->head && (!best || r->head_ts < best->head_ts)) {
				best = r;
				m->cur = i;
			}
		}
		if (!best)
			break;
		rc = m->fn(m->ctx, best->head, best->head_len);
		raw_advance(best);
		if (rc < 0)
			break;
		if (n < INT32_MAX)
			n++;
		raw_peek(best);
	}
	for (uint32_t i = 0; i < m->n; i++)
		raw_publish(&m->r[i]);
	return rc < 0 ? rc : n;
}

int prb_merge__poll(struct prb_merge *m, int timeout_ms)
{
	struct epoll_event ev[8];
	int n = prb_merge__consume(m);

	if (n)
		return n;
	if (timeout_ms < 0 || timeout_ms > PRB_POLL_TICK_MS)
		timeout_ms = PRB_POLL_TICK_MS;
	if (epoll_wait(m->epfd, ev, 8, timeout_ms) < 0 && errno != EINTR)
		return -errno;
	return prb_merge__consume(m);
}

uint32_t prb_merge__ring(const struct prb_merge *m)
{
	return m->cur;
}

void prb_merge__free(struct prb_merge *m)
{
	if (!m)
		return;
	for (uint32_t i = 0; m->r && i < m->n; i++)
		raw_unmap(&m->r[i]);
	if (m->epfd >= 0)
		close(m->epfd);
	free(m->r);
	free(m);
}
