/*
 * tp_floor.c - the floor under the probe's overhead: an EMPTY program
 * (`return 0`) attached where the probe attaches, tp_btf/sys_exit.
 *
 *   tp_floor [--seconds S] [--clock]
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
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	LIBBPF_OPTS(bpf_prog_load_opts, po, .expected_attach_type = BPF_TRACE_RAW_TP);
	double secs = 120;
	bool clock_read = false;
	struct timespec t0, t;
	int c, id, fd, lfd;

	while ((c = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
		if (c == 's' && (secs = atof(optarg)) > 0)
			continue;
		if (c == 'c') {
			clock_read = true;
			continue;
		}
		fprintf(c == 'h' ? stdout : stderr, "usage: tp_floor [--seconds S] [--clock]\n");
		return c == 'h' ? 0 : 2;
	}
	id = libbpf_find_vmlinux_btf_id("sys_exit", BPF_TRACE_RAW_TP);
	if (id < 0) {
		fprintf(stderr, "tp_floor: sys_exit not found in the kernel's BTF: %s\n",
			strerror(-id));
		return 1;
	}
	po.attach_btf_id = (__u32)id;
	fd = bpf_prog_load(BPF_PROG_TYPE_TRACING, "sys_exit", "GPL", insns + !clock_read,
			   3 - !clock_read, &po);
	if (fd < 0) {
		fprintf(stderr, "tp_floor: loading the program: %s\n", strerror(-fd));
		return 1;
	}
	lfd = bpf_raw_tracepoint_open(NULL, fd);
	if (lfd < 0) {
		fprintf(stderr, "tp_floor: attaching to tp_btf/sys_exit: %s\n", strerror(-lfd));
		close(fd);
		return 1;
	}
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	fprintf(stderr, "ready\n");
	clock_gettime(CLOCK_MONOTONIC, &t0);
	do {
		usleep(50 * 1000);
		clock_gettime(CLOCK_MONOTONIC, &t);
	} while (!stop && (double)(t.tv_sec - t0.tv_sec) + (t.tv_nsec - t0.tv_nsec) / 1e9 < secs);
	close(lfd);
	close(fd);
	return 0;
}
