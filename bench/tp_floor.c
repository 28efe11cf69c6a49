/*
 * tp_floor.c - the floor under the probe's overhead: an EMPTY program
 * (`return 0`) attached where the probe attaches, tp_btf/sys_exit.
 *
 *   tp_floor [--seconds S] [--clock] [--fexit]
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
 */
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <getopt.h>
#include <linux/bpf.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t stop;

/* The syscall functions of bench/storm's io loop (x86_64 names); its
 * getppid loop stays untraced, as with the probe. */
static const char *const FEXIT_FNS[] = {
	"__x64_sys_openat", "__x64_sys_read", "__x64_sys_close",
};
#define N_FEXIT (sizeof(FEXIT_FNS) / sizeof(FEXIT_FNS[0]))

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
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	double secs = 120;
	bool clock_read = false, fexit = false;
	int fds[2 * N_FEXIT], nfd = 0, rc = 0;
	struct timespec t0, t;
	unsigned i, n;
	int c;

	while ((c = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
		if (c == 's' && (secs = atof(optarg)) > 0)
			continue;
		if (c == 'c' || c == 'f') {
			if (c == 'c')
				clock_read = true;
			else
				fexit = true;
			continue;
		}
		fprintf(c == 'h' ? stdout : stderr,
			"usage: tp_floor [--seconds S] [--clock] [--fexit]\n");
		return c == 'h' ? 0 : 2;
	}
	n = fexit ? N_FEXIT : 1;
	for (i = 0; i < n; i++) {
		enum bpf_attach_type at = fexit ? BPF_TRACE_FEXIT : BPF_TRACE_RAW_TP;
		const char *target = fexit ? FEXIT_FNS[i] : "sys_exit";
		LIBBPF_OPTS(bpf_prog_load_opts, po, .expected_attach_type = at);
		int id = libbpf_find_vmlinux_btf_id(target, at), fd, lfd;

		if (id < 0) {
			fprintf(stderr, "tp_floor: %s not found in the kernel's BTF: %s\n", target,
				strerror(-id));
			rc = 1;
			break;
		}
		po.attach_btf_id = (__u32)id;
		/* named after the attach point: section_probe.sh counts the
		 * programs named sys_exit to notice other tracers */
		fd = bpf_prog_load(BPF_PROG_TYPE_TRACING, fexit ? "fexit_floor" : "sys_exit", "GPL",
				   insns + !clock_read, 3 - !clock_read, &po);
		if (fd < 0) {
			fprintf(stderr, "tp_floor: loading the %s program for %s: %s\n",
				fexit ? "fexit" : "tp_btf", target, strerror(-fd));
			rc = fexit ? 3 : 1;
			break;
		}
		fds[nfd++] = fd;
		lfd = bpf_raw_tracepoint_open(NULL, fd);
		if (lfd < 0) {
			fprintf(stderr, "tp_floor: attaching to %s%s: %s\n",
				fexit ? "fexit/" : "tp_btf/", target, strerror(-lfd));
			rc = fexit ? 3 : 1;
			break;
		}
		fds[nfd++] = lfd;
	}
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
		close(fds[--nfd]); /* links first: attached programs detach */
	return 0;
}
