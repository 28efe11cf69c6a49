/*
 * test_live_state.c - the probe's events of the syscalls the process state
 * needs, checked end to end: a real child process does them, the probe
 * writes them, and the state built from them (proc_event_apply) says what
 * the child did.
 *
 * The child: chdir("/tmp") then open("relative") (the fd's name is
 * /tmp/relative, proc.cwd /tmp/); fchdir to /etc then open("hostname");
 * pipe and pipe2 (two pipe fds each), eventfd and eventfd2, socketpair (two
 * unix sockets), fcntl(F_DUPFD) (same name as the original), signalfd4,
 * timerfd_create, inotify_init and inotify_init1; capset dropping
 * CAP_NET_RAW from the effective set; prctl(PR_SET_NAME) (later events see
 * the new proc.name); setsid (proc.sid); setpgid(0, 0); unshare and setns.
 * It reports its own results through a pipe; each event's res must equal
 * them. Every new event decodes with the table's parameter count, every
 * parameter prints, and `peregrine capture cat` prints them all from a
 * capture written with the child's events.
 *
 * Needs root and a BTF kernel; without them the test SKIPs saying why.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/timerfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include "t.h"
#include "abi/event_table.h"
#include "capture/capture.h"
#include "source/live.h"
#include "state/state.h"

#define NEWNAME		    "pgnewname"
#define CAP_BIT_NET_RAW	    13
#define PPM_CL_CLONE_NEWUTS (1u << 7)

/* What the child did, sent to the parent through a pipe. */
struct child_out {
	int rel, etcdir, host, pipe1[2], pipe2[2], efd, efd2, sv[2], dupfd, sigfd, tfd, ino, ino1;
	int capset_res, prctl_res, host2, sid, setpgid_res, unshare_res, nsfd, setns_res;
	int failed_step;
};

static const uint32_t wanted[] = {
	SYS_clone,	SYS_clone3,    SYS_fork,	   SYS_vfork,	     SYS_execve,
	SYS_open,	SYS_openat,    SYS_close,	   SYS_chdir,	     SYS_fchdir,
	SYS_fcntl,	SYS_pipe,      SYS_pipe2,	   SYS_eventfd,	     SYS_eventfd2,
	SYS_signalfd,	SYS_signalfd4, SYS_timerfd_create, SYS_inotify_init, SYS_inotify_init1,
	SYS_socketpair, SYS_setsid,    SYS_setpgid,	   SYS_setns,	     SYS_unshare,
	SYS_capset,	SYS_prctl,
};

/* The new handlers' exit events: each must be seen. */
static const uint16_t new_types[] = {
	EVT_SYSCALL_CHDIR_X,	    EVT_SYSCALL_FCHDIR_X,	 EVT_SYSCALL_FCNTL_X,
	EVT_SYSCALL_PIPE_X,	    EVT_SYSCALL_PIPE2_X,	 EVT_SYSCALL_EVENTFD_X,
	EVT_SYSCALL_EVENTFD2_X,	    EVT_SYSCALL_SIGNALFD4_X,	 EVT_SYSCALL_TIMERFD_CREATE_X,
	EVT_SYSCALL_INOTIFY_INIT_X, EVT_SYSCALL_INOTIFY_INIT1_X, EVT_SOCKET_SOCKETPAIR_X,
	EVT_SYSCALL_SETSID_X,	    EVT_SYSCALL_SETPGID_X,	 EVT_SYSCALL_SETNS_X,
	EVT_SYSCALL_UNSHARE_X,	    EVT_SYSCALL_CAPSET_X,	 EVT_SYSCALL_PRCTL_X,
};

/* Events from the ring, in ring order (one ring: one process's events are
 * in the order they were made); every process's until the run ends, then
 * only the child's. Written by the consumer thread until it is joined. */
struct evlog {
	struct prb *p;
	pid_t tid; /* the child, once the run ended */
	uint8_t **ev;
	uint32_t *len;
	size_t n, cap;
	int err;
};

static atomic_int stop;

static int keep(void *ctx, const void *ev, size_t len)
{
	struct evlog *l = ctx;

	if (l->n == l->cap) {
		size_t cap = l->cap ? 2 * l->cap : 1024;
		uint8_t **v = realloc(l->ev, cap * sizeof(*v));
		uint32_t *n;

		if (!v)
			return -ENOMEM;
		l->ev = v;
		n = realloc(l->len, cap * sizeof(*n));
		if (!n)
			return -ENOMEM;
		l->len = n;
		l->cap = cap;
	}
	l->ev[l->n] = malloc(len);
	if (!l->ev[l->n])
		return -ENOMEM;
	memcpy(l->ev[l->n], ev, len);
	l->len[l->n++] = (uint32_t)len;
	return 0;
}

/* Keep only the events of @tid. */
static void log_only(struct evlog *l, pid_t tid)
{
	size_t k = 0;

	for (size_t i = 0; i < l->n; i++) {
		if (((const struct evt_hdr *)l->ev[i])->tid == (uint64_t)tid) {
			l->ev[k] = l->ev[i];
			l->len[k++] = l->len[i];
		} else {
			free(l->ev[i]);
		}
	}
	l->n = k;
}

static void *consume(void *arg)
{
	struct evlog *l = arg;
	struct prb_ring *r = prb_ring__new(l->p, 0, keep, l);
	int quiet = 0;

	if (!r) {
		l->err = -errno;
		return NULL;
	}
	while (quiet < 5) {
		int n = prb_ring__poll(r, 20);

		if (n < 0 && n != -EINTR) {
			l->err = n;
			break;
		}
		if (atomic_load(&stop))
			quiet = n > 0 ? 0 : quiet + 1;
	}
	prb_ring__free(r);
	return NULL;
}

static int drop_net_raw(void)
{
	struct __user_cap_header_struct hdr = {.version = _LINUX_CAPABILITY_VERSION_3};
	struct __user_cap_data_struct d[2];

	if (syscall(SYS_capget, &hdr, d))
		return -errno;
	d[0].effective &= ~(1u << CAP_BIT_NET_RAW);
	return syscall(SYS_capset, &hdr, d) ? -errno : 0;
}

#define STEP(n, cond)                        \
	do {                                 \
		if (!(cond)) {               \
			o.failed_step = (n); \
			goto out;            \
		}                            \
	} while (0)

/* The child's program; @relname is relative to /tmp. */
static void child_main(int outfd, const char *relname)
{
	struct child_out o;
	sigset_t mask;

	memset(&o, 0xff, sizeof(o));
	o.failed_step = 0;
	sigemptyset(&mask);
	sigaddset(&mask, SIGUSR1);
	STEP(1, chdir("/tmp") == 0);
	STEP(2, (o.rel = open(relname, O_CREAT | O_RDWR, 0600)) >= 0);
	STEP(3, (o.etcdir = open("/etc", O_RDONLY | O_DIRECTORY)) >= 0);
	STEP(4, fchdir(o.etcdir) == 0);
	STEP(5, (o.host = open("hostname", O_RDONLY)) >= 0);
	STEP(6, syscall(SYS_pipe, o.pipe1) == 0);
	STEP(7, pipe2(o.pipe2, O_CLOEXEC) == 0);
	STEP(8, (o.efd = syscall(SYS_eventfd, 3)) >= 0);
	STEP(9, (o.efd2 = eventfd(5, EFD_CLOEXEC)) >= 0);
	STEP(10, socketpair(AF_UNIX, SOCK_STREAM, 0, o.sv) == 0);
	STEP(11, (o.dupfd = fcntl(o.rel, F_DUPFD, 100)) >= 100);
	STEP(12, (o.sigfd = signalfd(-1, &mask, SFD_CLOEXEC)) >= 0);
	STEP(13, (o.tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK)) >= 0);
	STEP(14, (o.ino = syscall(SYS_inotify_init)) >= 0);
	STEP(15, (o.ino1 = inotify_init1(IN_CLOEXEC)) >= 0);
	o.capset_res = drop_net_raw();
	o.prctl_res = prctl(PR_SET_NAME, NEWNAME, 0, 0, 0);
	STEP(16, (o.host2 = open("/etc/hostname", O_RDONLY)) >= 0);
	o.sid = setsid();
	o.setpgid_res = setpgid(0, 0) ? -errno : 0;
	o.unshare_res = unshare(CLONE_NEWUTS) ? -errno : 0;
	STEP(17, (o.nsfd = open("/proc/self/ns/uts", O_RDONLY)) >= 0);
	o.setns_res = setns(o.nsfd, CLONE_NEWUTS) ? -errno : 0;
out:
	if (write(outfd, &o, sizeof(o)) != sizeof(o))
		_exit(3);
	_exit(0);
}

static int is_bpf_unavailable(int e)
{
	return e == EPERM || e == ENOTSUP || e == EACCES || e == ENOSYS;
}

static void log_free(struct evlog *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->ev[i]);
	free(l->ev);
	free(l->len);
}

/* Run the child under the probe; fills @l (the child's events), @o and
 * @relname. 0, a positive errno when BPF is unavailable (message in @err),
 * or -1 on another failure. */
static int run_child(struct evlog *l, struct child_out *o, char *relname, char *err, size_t errlen)
{
	struct prb_opts opts;
	char path[128];
	pthread_t th;
	int io[2], st;
	pid_t pid;

	prb_opts_default(&opts);
	opts.ring_bytes = 16u << 20;
	opts.syscalls = wanted;
	opts.n_syscalls = sizeof(wanted) / sizeof(wanted[0]);
	opts.err = err;
	opts.errlen = errlen;
	memset(l, 0, sizeof(*l));
	memset(o, 0, sizeof(*o));
	if (pipe(io))
		return -1;
	l->p = prb_open(&opts);
	if (!l->p) {
		close(io[0]);
		close(io[1]);
		return errno;
	}
	atomic_store(&stop, 0);
	pthread_create(&th, NULL, consume, l);
	snprintf(relname, 64, "pg_live_state_%d", (int)getpid());
	pid = fork();
	if (pid == 0) {
		close(io[0]);
		child_main(io[1], relname);
	}
	close(io[1]);
	if (read(io[0], o, sizeof(*o)) != sizeof(*o))
		o->failed_step = -1;
	close(io[0]);
	waitpid(pid, &st, 0);
	atomic_store(&stop, 1);
	pthread_join(th, NULL);
	log_only(l, pid);
	l->tid = pid;
	snprintf(path, sizeof(path), "/tmp/%s", relname);
	unlink(path);
	return 0;
}

static const struct evt *decoded(struct evlog *l, size_t i, struct evt *ev)
{
	if (evt_decode(l->ev[i], l->len[i], ev, NULL) != EVT_OK)
		return NULL;
	return ev;
}

/* The index of the first event of @type after @from whose string param
 * @sp equals @s (s NULL: any), or -1. */
static long find(struct evlog *l, size_t from, uint16_t type, uint32_t sp, const char *s)
{
	struct evt ev;

	for (size_t i = from; i < l->n; i++) {
		if (((const struct evt_hdr *)l->ev[i])->type != type || !decoded(l, i, &ev))
			continue;
		if (!s || strcmp(evt_param_str(&ev, sp), s) == 0)
			return (long)i;
	}
	return -1;
}

/* Write the child's events as a capture and check `peregrine capture cat`
 * prints a line for each new event type. Returns NULL or what is wrong. */
static const char *capture_cat_check(struct evlog *l, char *why, size_t cap)
{
	const char *pg = getenv("PEREGRINE");
	char path[] = "/tmp/pg_live_state_XXXXXX", cmd[512], line[4096];
	struct cap_writer *w;
	size_t seen[sizeof(new_types) / sizeof(new_types[0])] = {0};
	FILE *f;
	int fd;

	if (!pg || access(pg, X_OK))
		return NULL; /* run outside tests/run.sh: no binary to ask */
	fd = mkstemp(path);
	if (fd < 0)
		return "mkstemp";
	close(fd);
	w = cap_writer_open(path, 0, NULL, NULL, NULL);
	if (!w)
		return "cap_writer_open";
	for (size_t i = 0; i < l->n; i++)
		cap_writer_event(w, 0, l->ev[i], 0);
	if (cap_writer_close(w))
		return "cap_writer_close";
	snprintf(cmd, sizeof(cmd), "%s capture cat %s 2>&1", pg, path);
	f = popen(cmd, "r");
	if (!f)
		return "popen";
	while (fgets(line, sizeof(line), f)) {
		for (size_t k = 0; k < sizeof(new_types) / sizeof(new_types[0]); k++) {
			char pat[64];

			snprintf(pat, sizeof(pat), " < %s ", evt_info(new_types[k])->name);
			if (strstr(line, pat))
				seen[k]++;
		}
	}
	pclose(f);
	if (getenv("PG_LIVE_STATE_KEEP")) /* to look at it: capture cat, sysdig -r */
		printf("note: the child's events are in %s\n", path);
	else
		unlink(path);
	for (size_t k = 0; k < sizeof(new_types) / sizeof(new_types[0]); k++)
		if (!seen[k]) {
			snprintf(why, cap, "capture cat printed no \"< %s\" line",
				 evt_info(new_types[k])->name);
			return why;
		}
	return NULL;
}

/* One run of the child, shared by the tests below. */
static struct evlog L;
static struct child_out O;
static char relname[64];
static int run_rc = -2; /* -2: not run yet */
static char run_err[4096];

/* 0: the run is there; 1: skip (why in run_err); -1: it failed (why too). */
static int the_run(void)
{
	if (run_rc == -2) {
		int e = run_child(&L, &O, relname, run_err, sizeof(run_err));

		if (e > 0 && is_bpf_unavailable(e))
			run_rc = 1;
		else if (e)
			run_rc = -1;
		else if (L.err || O.failed_step) {
			snprintf(run_err, sizeof(run_err),
				 "consumer error %d, child failed at step %d", L.err,
				 O.failed_step);
			run_rc = -1;
		} else
			run_rc = 0;
	}
	return run_rc;
}

#define NEED_RUN()                                               \
	do {                                                     \
		int rc_ = the_run();                             \
		if (rc_ > 0)                                     \
			T_SKIP("eBPF unavailable: %s", run_err); \
		if (rc_ < 0)                                     \
			T_FAIL("%s", run_err);                   \
	} while (0)

/* The exit event of @type, decoded into @ev; NULL when absent. */
static const struct evt *first(uint16_t type, struct evt *ev)
{
	long i = find(&L, 0, type, 0, NULL);

	return i < 0 ? NULL : decoded(&L, (size_t)i, ev);
}

/* Every new event type is there, decodes with the table's parameter count,
 * prints, has the res the child saw and the key parameters; capture cat
 * prints them. */
T_TEST(live_state_events)
{
	const struct {
		uint16_t type;
		int *res;
	} res[] = {
		{EVT_SYSCALL_FCNTL_X, &O.dupfd},	 {EVT_SYSCALL_EVENTFD_X, &O.efd},
		{EVT_SYSCALL_EVENTFD2_X, &O.efd2},	 {EVT_SYSCALL_SIGNALFD4_X, &O.sigfd},
		{EVT_SYSCALL_TIMERFD_CREATE_X, &O.tfd},	 {EVT_SYSCALL_INOTIFY_INIT_X, &O.ino},
		{EVT_SYSCALL_INOTIFY_INIT1_X, &O.ino1},	 {EVT_SYSCALL_CAPSET_X, &O.capset_res},
		{EVT_SYSCALL_PRCTL_X, &O.prctl_res},	 {EVT_SYSCALL_SETSID_X, &O.sid},
		{EVT_SYSCALL_SETPGID_X, &O.setpgid_res}, {EVT_SYSCALL_UNSHARE_X, &O.unshare_res},
		{EVT_SYSCALL_SETNS_X, &O.setns_res},
	};
	char buf[512], why[256];
	const char *bad;
	struct evt ev;

	NEED_RUN();
	for (size_t k = 0; k < sizeof(new_types) / sizeof(new_types[0]); k++) {
		const struct evt_info *inf = evt_info(new_types[k]);

		if (!first(new_types[k], &ev) || ev.nparams != inf->nparams)
			T_FAIL("no decodable %s exit with %u params", inf->name, inf->nparams);
		for (uint32_t j = 0; j < ev.nparams; j++)
			evt_print_param(&ev, j, buf, sizeof(buf));
	}
	for (size_t k = 0; k < sizeof(res) / sizeof(res[0]); k++) {
		if (!first(res[k].type, &ev) || evt_param_s64(&ev, 0, 1) != *res[k].res)
			T_FAIL("%s: res %lld, the child saw %d", evt_info(res[k].type)->name,
			       (long long)evt_param_s64(&ev, 0, 1), *res[k].res);
	}
	T_CHECK(first(EVT_SYSCALL_UNSHARE_X, &ev));
	T_EQ_INT(evt_param_u64(&ev, 1, 0), PPM_CL_CLONE_NEWUTS);
	T_CHECK(first(EVT_SYSCALL_SETNS_X, &ev));
	T_EQ_INT(evt_param_s64(&ev, 1, -1), O.nsfd);
	T_EQ_INT(evt_param_u64(&ev, 2, 0), PPM_CL_CLONE_NEWUTS);
	T_CHECK(first(EVT_SYSCALL_EVENTFD2_X, &ev));
	T_EQ_INT(evt_param_u64(&ev, 2, 0), 5); /* initval */
	T_CHECK(first(EVT_SYSCALL_PIPE2_X, &ev));
	T_EQ_INT(evt_param_s64(&ev, 1, -1), O.pipe2[0]);
	T_EQ_INT(evt_param_s64(&ev, 2, -1), O.pipe2[1]);
	T_CHECK(evt_param_u64(&ev, 3, 0) != 0); /* the pipe's inode */
	T_CHECK(first(EVT_SOCKET_SOCKETPAIR_X, &ev));
	T_CHECK(evt_param_u64(&ev, 3, 0) != 0 && evt_param_u64(&ev, 4, 0) != 0);
	T_CHECK(first(EVT_SYSCALL_FCNTL_X, &ev));
	T_EQ_INT(evt_param_s64(&ev, 1, -1), O.rel);
	T_EQ_INT(evt_param_u64(&ev, 2, 0), 1); /* PPM_FCNTL_F_DUPFD */
	T_EQ_INT(evt_param_u64(&ev, 3, 0), 100);
	T_CHECK(first(EVT_SYSCALL_PRCTL_X, &ev));
	T_EQ_STR(evt_param_str(&ev, 2), NEWNAME);
	bad = capture_cat_check(&L, why, sizeof(why));
	if (bad)
		T_FAIL("%s", bad);
}

/* What event @i left in the state, checked right after it was applied;
 * @why is set when it is wrong. */
static void check_at(const struct proc_evt_ref *ref, long i, long i_rel, long i_host, long i_host2,
		     char *why, size_t cap)
{
	const struct proc_image *img = ref->proc ? proc_process_image(ref->proc) : NULL;
	char want[128];

	snprintf(want, sizeof(want), "/tmp/%s", relname);
	if (i == i_rel && (!ref->fd || strcmp(ref->fd->name, want) || !ref->proc ||
			   strcmp(proc_process_cwd(ref->proc), "/tmp/")))
		snprintf(why, cap, "open relative: fd.name %s cwd %s",
			 ref->fd ? ref->fd->name : "(none)",
			 ref->proc ? proc_process_cwd(ref->proc) : "(none)");
	if (i == i_host && (!ref->fd || strcmp(ref->fd->name, "/etc/hostname")))
		snprintf(why, cap, "open after fchdir: fd.name %s",
			 ref->fd ? ref->fd->name : "(none)");
	if (i == i_host2 && (!img || strcmp(img->comm, NEWNAME)))
		snprintf(why, cap, "proc.name after prctl: %s", img ? img->comm : "(none)");
}

/* The fds and process facts left once every event (but procexit) was
 * applied; NULL or what is wrong. */
static const char *check_end(struct proc_worker *w, char *why, size_t cap)
{
	const struct {
		int fd;
		uint32_t type;
	} fds[] = {
		{O.pipe1[0], PROC_FD_PIPE},   {O.pipe1[1], PROC_FD_PIPE},
		{O.pipe2[0], PROC_FD_PIPE},   {O.pipe2[1], PROC_FD_PIPE},
		{O.efd, PROC_FD_EVENT},	      {O.efd2, PROC_FD_EVENT},
		{O.sv[0], PROC_FD_UNIX_SOCK}, {O.sv[1], PROC_FD_UNIX_SOCK},
		{O.sigfd, PROC_FD_SIGNALFD},  {O.tfd, PROC_FD_TIMERFD},
		{O.ino, PROC_FD_INOTIFY},     {O.ino1, PROC_FD_INOTIFY},
		{O.dupfd, PROC_FD_FILE},
	};
	struct proc_thread *thr = proc_thread_lookup(w, (uint64_t)L.tid);
	struct proc_process *p = thr ? proc_thread_process(thr) : NULL;
	const struct proc_image *img;
	const struct proc_fd *fd;
	char want[128];

	if (!p)
		return "the child's thread is not in the state";
	for (size_t k = 0; k < sizeof(fds) / sizeof(fds[0]); k++) {
		fd = proc_fd_get(w, thr, fds[k].fd);
		if (!fd || fd->type != fds[k].type) {
			snprintf(why, cap, "fd %d: type %d, expected %u", fds[k].fd,
				 fd ? (int)fd->type : -1, fds[k].type);
			return why;
		}
	}
	snprintf(want, sizeof(want), "/tmp/%s", relname);
	fd = proc_fd_get(w, thr, O.dupfd);
	if (strcmp(fd->name, want))
		return snprintf(why, cap, "F_DUPFD fd name %s, want %s", fd->name, want), why;
	if (!(proc_fd_get(w, thr, O.pipe2[0])->flags & O_CLOEXEC))
		return "pipe2(O_CLOEXEC) fd without O_CLOEXEC";
	img = proc_process_image(p);
	if (O.capset_res == 0 && ((img->cap_effective & (1ull << CAP_BIT_NET_RAW)) ||
				  !(img->cap_permitted & (1ull << CAP_BIT_NET_RAW))))
		return snprintf(why, cap, "caps after capset: effective %#llx permitted %#llx",
				(unsigned long long)img->cap_effective,
				(unsigned long long)img->cap_permitted),
		       why;
	if (O.sid > 0 && proc_process_sid(p) != (uint32_t)O.sid)
		return snprintf(why, cap, "proc.sid %u, setsid returned %d", proc_process_sid(p),
				O.sid),
		       why;
	if (strcmp(img->comm, NEWNAME))
		return snprintf(why, cap, "proc.name %s", img->comm), why;
	return NULL;
}

/* The state built from the child's events, with one worker, in ring order. */
T_TEST(live_state_apply)
{
	long i_rel, i_host, i_prctl, i_host2;
	struct proc_table *t;
	struct proc_worker *w;
	const char *bad = NULL;
	char why[256] = "";
	struct evt ev;

	NEED_RUN();
	i_rel = find(&L, 0, EVT_SYSCALL_OPENAT_2_X, 2, relname);
	i_host = find(&L, 0, EVT_SYSCALL_OPENAT_2_X, 2, "hostname");
	i_prctl = find(&L, 0, EVT_SYSCALL_PRCTL_X, 0, NULL);
	i_host2 = i_prctl < 0
			  ? -1
			  : find(&L, (size_t)i_prctl, EVT_SYSCALL_OPENAT_2_X, 2, "/etc/hostname");
	if (i_rel < 0 || i_host < 0 || i_host2 < 0)
		T_FAIL("events missing: open relative %ld, open hostname %ld, open after prctl %ld",
		       i_rel, i_host, i_host2);
	t = proc_table_new(NULL);
	w = proc_worker_register(t);
	for (size_t i = 0; i < L.n && !why[0]; i++) {
		struct proc_evt_ref ref;

		if (!decoded(&L, i, &ev))
			continue;
		if (ev.hdr->type == EVT_PROCEXIT_1_E)
			break; /* keep the process to look at */
		proc_event_apply(w, &ev, 0, &ref);
		check_at(&ref, (long)i, i_rel, i_host, i_host2, why, sizeof(why));
		proc_event_done(w, &ref);
		proc_worker_quiescent(w);
	}
	bad = why[0] ? why : check_end(w, why, sizeof(why));
	proc_worker_unregister(w);
	proc_table_destroy(t);
	if (bad)
		T_FAIL("%s", bad);
	if (O.capset_res || O.sid <= 0)
		printf("note %s: capset %d setsid %d: those state checks were not made\n", t_name,
		       O.capset_res, O.sid);
}

int main(void)
{
	T_RUN(live_state_events);
	T_RUN(live_state_apply);
	if (run_rc != -2) {
		log_free(&L);
		prb_close(L.p);
	}
	return T_DONE();
}
