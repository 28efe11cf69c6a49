/*
 * tp_floor.c - the floor under the probe's overhead: an EMPTY program
 * (`return 0`) attached where the probe attaches, tp_btf/sys_exit.
 *
 *   tp_floor [--seconds S] [--clock] [--fexit | --syscall-tp]
 *
 * Attaching any program to the raw sys_exit tracepoint sends every system
 * call of the host through the kernel's slow exit path and a call into the
 * program; that cost does not depend on what the program does. Measured
 * next to the probe (bench/section_probe.sh), it splits the probe's added
 * time into the kernel's share, which no probe on this tracepoint avoids,
 * and the probe's own.
 *
 * --clock adds the one helper call every traced event makes, the clock
 * read (bpf_ktime_get_boot_ns), whose cost is the host's clocksource's
 * (a kvm-clock read on a VM). The program is a few instructions, loaded
 * with libbpf's low-level API (no object file). Prints "ready" on stderr
 * once attached; exits after S seconds (default 120) or on SIGINT/SIGTERM.
 *
 * --fexit attaches the same program as fexit programs on the syscall
 * functions of bench/storm's io loop (FEXIT_FNS) instead: the one attach point
 * that runs only on the syscalls it is attached to (a BPF trampoline
 * called from the function's patched entry), so every other syscall pays
 * nothing, where any sys_exit program slows them all. Kernels may refuse
 * it (no trampolines, or a policy against them): then it says so with the
 * kernel's error and exits with 3, so section_probe.sh can report that
 * this alternative does not exist on the machine.
 *
 * --syscall-tp attaches it (a BPF_PROG_TYPE_TRACEPOINT program) to the
 * per-syscall tracepoints syscalls:sys_exit_<name> of the same io loop
 * (perf events, one per tracepoint; tracefs is mounted if it is not): the
 * kernel runs them from the same sys_exit hook, but calls into BPF only
 * for the syscalls attached, so it tells the hook's own cost (the slow
 * exit path) from the call into a program on every syscall. Exits with 3
 * when the kernel refuses it.
 */
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <getopt.h>
#include <linux/bpf.h>
#include <linux/perf_event.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t stop;

/* The syscalls of bench/storm's io loop: their functions (x86_64 names)
 * and their tracepoints; its getppid loop stays untraced, as with the
 * probe. */
static const char *const FEXIT_FNS[] = {
	"__x64_sys_openat", "__x64_sys_read", "__x64_sys_close",
};
static const char *const SYSCALL_TPS[] = { "openat", "read", "close" };
#define N_FEXIT (sizeof(FEXIT_FNS) / sizeof(FEXIT_FNS[0]))
#define N_TPS (sizeof(SYSCALL_TPS) / sizeof(SYSCALL_TPS[0]))

/* The perf id of tracepoint syscalls:sys_exit_<name>, from tracefs
 * (mounted at /sys/kernel/tracing when it is nowhere); -errno. */
static int syscall_tp_id(const char *name)
{
	static const char *const roots[] = { "/sys/kernel/tracing", "/sys/kernel/debug/tracing" };
	char path[256];
	int id = -ENOENT;

	for (int pass = 0; pass < 2 && id < 0; pass++) {
		for (unsigned r = 0; r < 2 && id < 0; r++) {
			FILE *f;

			snprintf(path, sizeof(path), "%s/events/syscalls/sys_exit_%s/id", roots[r],
				 name);
			f = fopen(path, "r");
			if (f && fscanf(f, "%d", &id) != 1)
				id = -EINVAL;
			if (f)
				fclose(f);
		}
		if (id < 0 && pass == 0 &&
		    mount("tracefs", "/sys/kernel/tracing", "tracefs", 0, NULL) != 0)
			return -errno;
	}
	return id;
}

/* Attach program @fd to syscalls:sys_exit_<name>; the perf event's fd (which
 * holds the attachment), or -errno. */
static int attach_syscall_tp(int fd, const char *name)
{
	struct perf_event_attr a = {
		.type = PERF_TYPE_TRACEPOINT,
		.size = sizeof(a),
		.sample_period = 1,
	};
	int id = syscall_tp_id(name), pfd, e;

	if (id < 0)
		return id;
	a.config = (__u64)id;
	/* one event (cpu 0) is enough: the program runs on every cpu */
	pfd = (int)syscall(SYS_perf_event_open, &a, -1, 0, -1, PERF_FLAG_FD_CLOEXEC);
	if (pfd < 0)
		return -errno;
	if (ioctl(pfd, PERF_EVENT_IOC_SET_BPF, fd) || ioctl(pfd, PERF_EVENT_IOC_ENABLE, 0)) {
		e = errno;
		close(pfd);
		return -e;
	}
	return pfd;
}

/* Everything tp_floor attaches holds at most this many fds. */
#define MAX_FDS (2 * N_FEXIT + N_TPS + 1)

/* Load @prog (@n instructions) as a tracing program on tp_btf/sys_exit, or
 * (@fexit) on each of FEXIT_FNS, attach it and add the fds to fds[*nfd].
 * 0, 1 on failure, 3 when the kernel refuses fexit. */
static int attach_tracing(bool fexit, const struct bpf_insn *prog, size_t n, int *fds, int *nfd)
{
	unsigned i, targets = fexit ? N_FEXIT : 1;

	for (i = 0; i < targets; i++) {
		enum bpf_attach_type at = fexit ? BPF_TRACE_FEXIT : BPF_TRACE_RAW_TP;
		const char *target = fexit ? FEXIT_FNS[i] : "sys_exit";
		LIBBPF_OPTS(bpf_prog_load_opts, po, .expected_attach_type = at);
		int id = libbpf_find_vmlinux_btf_id(target, at), fd, lfd;

		if (id < 0) {
			fprintf(stderr, "tp_floor: %s not found in the kernel's BTF: %s\n", target,
				strerror(-id));
			return 1;
		}
		po.attach_btf_id = (__u32)id;
		/* named after the attach point: section_probe.sh counts the
		 * programs named sys_exit to notice other tracers */
		fd = bpf_prog_load(BPF_PROG_TYPE_TRACING, fexit ? "fexit_floor" : "sys_exit", "GPL",
				   prog, n, &po);
		if (fd < 0) {
			fprintf(stderr, "tp_floor: loading the %s program for %s: %s\n",
				fexit ? "fexit" : "tp_btf", target, strerror(-fd));
			return fexit ? 3 : 1;
		}
		fds[(*nfd)++] = fd;
		lfd = bpf_raw_tracepoint_open(NULL, fd);
		if (lfd < 0) {
			fprintf(stderr, "tp_floor: attaching to %s%s: %s\n",
				fexit ? "fexit/" : "tp_btf/", target, strerror(-lfd));
			return fexit ? 3 : 1;
		}
		fds[(*nfd)++] = lfd;
	}
	return 0;
}

/* Load @prog as a tracepoint program and attach it to every one of
 * SYSCALL_TPS, adding the fds to fds[*nfd]. 0, or 3 when refused. */
static int attach_syscall_tps(const struct bpf_insn *prog, size_t n, int *fds, int *nfd)
{
	int fd = bpf_prog_load(BPF_PROG_TYPE_TRACEPOINT, "systp_floor", "GPL", prog, n, NULL);

	if (fd < 0) {
		fprintf(stderr, "tp_floor: loading the tracepoint program: %s\n", strerror(-fd));
		return 3;
	}
	fds[(*nfd)++] = fd;
	for (unsigned i = 0; i < N_TPS; i++) {
		int pfd = attach_syscall_tp(fd, SYSCALL_TPS[i]);

		if (pfd < 0) {
			fprintf(stderr, "tp_floor: attaching to syscalls:sys_exit_%s: %s\n",
				SYSCALL_TPS[i], strerror(-pfd));
			return 3;
		}
		fds[(*nfd)++] = pfd;
	}
	return 0;
}

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

int main(int argc, char **argv)
{
	/* [call bpf_ktime_get_boot_ns;] r0 = 0; exit */
	const struct bpf_insn insns[] = {
		{ .code = BPF_JMP | BPF_CALL, .imm = BPF_FUNC_ktime_get_boot_ns },
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = 0 },
		{ .code = BPF_JMP | BPF_EXIT },
	};
	static const struct option lo[] = {
		{ "seconds", required_argument, NULL, 's' },
		{ "clock", no_argument, NULL, 'c' },
		{ "fexit", no_argument, NULL, 'f' },
		{ "syscall-tp", no_argument, NULL, 't' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	double secs = 120;
	bool clock_read = false, fexit = false, systp = false;
	int fds[MAX_FDS], nfd = 0, rc;
	const struct bpf_insn *prog;
	struct timespec t0, t;
	size_t nprog;
	int c;

	while ((c = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
		if (c == 's' && (secs = atof(optarg)) > 0)
			continue;
		if (c == 'c' || c == 'f' || c == 't') {
			if (c == 'c')
				clock_read = true;
			else if (c == 'f')
				fexit = true;
			else
				systp = true;
			continue;
		}
		fprintf(c == 'h' ? stdout : stderr,
			"usage: tp_floor [--seconds S] [--clock] [--fexit | --syscall-tp]\n");
		return c == 'h' ? 0 : 2;
	}
	if (fexit && systp) {
		fprintf(stderr, "tp_floor: --fexit and --syscall-tp are two attach points: one at a time\n");
		return 2;
	}
	prog = insns + !clock_read;
	nprog = 3 - !clock_read;
	rc = systp ? attach_syscall_tps(prog, nprog, fds, &nfd)
		   : attach_tracing(fexit, prog, nprog, fds, &nfd);
	if (rc) {
		while (nfd > 0)
			close(fds[--nfd]);
		return rc;
	}
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	fprintf(stderr, "ready\n");
	clock_gettime(CLOCK_MONOTONIC, &t0);
	do {
		usleep(50 * 1000);
		clock_gettime(CLOCK_MONOTONIC, &t);
	} while (!stop && (double)(t.tv_sec - t0.tv_sec) + (t.tv_nsec - t0.tv_nsec) / 1e9 < secs);
	while (nfd > 0)
		close(fds[--nfd]); /* attachments first, then their programs */
	return 0;
}
