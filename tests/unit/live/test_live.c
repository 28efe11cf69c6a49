/*
 * test_live.c - the eBPF probe and its ring consumers against real processes.
 *
 * With 1, 2 and 4 rings, 50 short processes (fork + exec of /bin/cat on two
 * known files) run while one thread per ring consumes its ring; every event of
 * those processes must be on the ring that owns prb_part_of(tgid, N), each
 * process's clone child event, execve exit, opens of its files and procexit
 * must be there, and nothing may be dropped. A second test decodes events with the
 * event table and checks key parameters (execve exe/args/cwd/ptid, openat
 * name/flags/fd/dirfd, a connect tuple to a 127.0.0.1 listener). A third
 * checks that bad options are refused with a message.
 *
 * Needs root and a BTF kernel; without them the live tests SKIP saying why.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "t.h"
#include "abi/event_table.h"
#include "source/live.h"

#define NPROC 50
#define FILE_A "/etc/hostname"
#define FILE_B "/etc/passwd"

/* libs values the checks use */
#define PPM_O_RDONLY 1
#define PPM_AF_INET 2

struct stored {
	uint32_t ring;
	uint32_t len;
	uint8_t *ev;
};

/* Events one consumer thread collected; only that thread writes it until
 * it is joined. */
struct ring_log {
	struct prb *p;
	uint32_t idx;
	struct stored *v;
	size_t n, cap;
	int err;
};

static atomic_int stop_consumers;

static int keep_event(void *ctx, const void *ev, size_t len)
{
	struct ring_log *rl = ctx;
	struct stored *s;

	if (rl->n == rl->cap) {
		size_t cap = rl->cap ? rl->cap * 2 : 1024;
		struct stored *v = realloc(rl->v, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		rl->v = v;
		rl->cap = cap;
	}
	s = &rl->v[rl->n];
	s->ev = malloc(len);
	if (!s->ev)
		return -ENOMEM;
	memcpy(s->ev, ev, len);
	s->len = len;
	s->ring = rl->idx;
	rl->n++;
	return 0;
}

static void *consumer(void *arg)
{
	struct ring_log *rl = arg;
	struct prb_ring *r = prb_ring__new(rl->p, rl->idx, keep_event, rl);
	int quiet = 0;

	if (!r) {
		rl->err = -errno;
		return NULL;
	}
	/* after the stop flag, drain until the ring stays empty for a while */
	while (quiet < 5) {
		int n = prb_ring__poll(r, 20);

		if (n < 0 && n != -EINTR) {
			rl->err = n;
			break;
		}
		if (atomic_load(&stop_consumers))
			quiet = n > 0 ? 0 : quiet + 1;
	}
	prb_ring__free(r);
	return NULL;
}

struct run {
	struct prb *p;
	uint32_t n;
	struct ring_log logs[PRB_MAX_RINGS];
	pthread_t th[PRB_MAX_RINGS];
};

static void run_free(struct run *r)
{
	for (uint32_t i = 0; i < r->n; i++) {
		for (size_t k = 0; k < r->logs[i].n; k++)
			free(r->logs[i].v[k].ev);
		free(r->logs[i].v);
	}
	prb_close(r->p);
}

static const uint32_t wanted[] = {
	SYS_execve, SYS_execveat, SYS_clone, SYS_clone3, SYS_fork, SYS_vfork, SYS_open,
	SYS_openat, SYS_close, SYS_connect, SYS_socket,
};

/* The hook run_start() opens the probe with (live.h, enum prb_hook). */
static enum prb_hook run_hook = PRB_HOOK_RAW;

/* Open the probe with @n rings and start one consumer per ring. Returns 0, or
 * a positive errno after printing the reason when BPF is not usable. */
static int run_start(struct run *r, uint32_t n, char *err, size_t errlen)
{
	struct prb_opts o;

	memset(r, 0, sizeof(*r));
	prb_opts_default(&o);
	o.n_rings = n;
	o.hook = run_hook;
	o.ring_bytes = 32u << 20;
	o.syscalls = wanted;
	o.n_syscalls = sizeof(wanted) / sizeof(wanted[0]);
	o.err = err;
	o.errlen = errlen;
	r->p = prb_open(&o);
	if (!r->p)
		return errno;
	r->n = n;
	atomic_store(&stop_consumers, 0);
	for (uint32_t i = 0; i < n; i++) {
		r->logs[i].p = r->p;
		r->logs[i].idx = i;
		pthread_create(&r->th[i], NULL, consumer, &r->logs[i]);
	}
	return 0;
}

static void run_stop(struct run *r)
{
	atomic_store(&stop_consumers, 1);
	for (uint32_t i = 0; i < r->n; i++)
		pthread_join(r->th[i], NULL);
}

static pid_t spawn_cat(void)
{
	pid_t pid = fork();

	if (pid == 0) {
		int fd = open("/dev/null", O_WRONLY);

		dup2(fd, 1);
		execl("/bin/cat", "/bin/cat", FILE_A, FILE_B, (char *)NULL);
		_exit(127);
	}
	return pid;
}

static int is_bpf_unavailable(int e)
{
	return e == EPERM || e == ENOTSUP || e == EACCES || e == ENOSYS;
}

static const struct stored *find(const struct run *r, uint32_t tid, uint16_t type,
				 const char *str1, uint32_t str_param)
{
	for (uint32_t i = 0; i < r->n; i++) {
		for (size_t k = 0; k < r->logs[i].n; k++) {
			const struct stored *s = &r->logs[i].v[k];
			const struct evt_hdr *h = (const void *)s->ev;
			struct evt ev;

			if (h->tid != tid || h->type != type)
				continue;
			if (!str1)
				return s;
			if (evt_decode(s->ev, s->len, &ev, NULL) == EVT_OK &&
			    strcmp(evt_param_str(&ev, str_param), str1) == 0)
				return s;
		}
	}
	return NULL;
}

/* Kernel-side drops of the last partition_once() run: ring and counts. */
static struct {
	uint32_t ring;
	unsigned long long drops, clobbered;
} lost;

static void partition_once(const char *t_name, uint32_t nrings)
{
	char err[4096];
	struct run r;
	pid_t pids[NPROC];
	int e;

	e = run_start(&r, nrings, err, sizeof(err));
	if (e && is_bpf_unavailable(e))
		T_SKIP("eBPF unavailable: %s", err);
	if (e)
		T_FAIL("prb_open: %s", err);
	for (int i = 0; i < NPROC; i++)
		pids[i] = spawn_cat();
	for (int i = 0; i < NPROC; i++)
		waitpid(pids[i], NULL, 0);
	run_stop(&r);

	for (uint32_t i = 0; i < nrings; i++)
		if (r.logs[i].err) {
			run_free(&r);
			T_FAIL("consumer %u: %s", i, strerror(-r.logs[i].err));
		}
	for (uint32_t i = 0; i < nrings; i++) {
		struct prb_ring_counters c;

		prb_counters(r.p, i, &c);
		if (c.drops || c.clobbered) {
			run_free(&r);
			lost.ring = i;
			lost.drops = c.drops;
			lost.clobbered = c.clobbered;
			return;
		}
	}
	/* every event of a child is on its owner's ring */
	for (uint32_t i = 0; i < nrings; i++) {
		for (size_t k = 0; k < r.logs[i].n; k++) {
			const struct evt_hdr *h = (const void *)r.logs[i].v[k].ev;

			for (int j = 0; j < NPROC; j++) {
				uint32_t own = prb_ring_for(r.p, pids[j], pids[j], 0);

				if (h->tid == (uint64_t)pids[j] && own != i) {
					run_free(&r);
					T_FAIL("event type %u of pid %d on ring %u, owner is %u",
					       h->type, pids[j], i, own);
				}
			}
		}
	}
	for (int j = 0; j < NPROC; j++) {
		uint32_t tid = pids[j];
		int clone = find(&r, tid, EVT_SYSCALL_CLONE_20_X, NULL, 0) ||
			    find(&r, tid, EVT_SYSCALL_CLONE3_X, NULL, 0) ||
			    find(&r, tid, EVT_SYSCALL_FORK_20_X, NULL, 0);
		int exec = find(&r, tid, EVT_SYSCALL_EXECVE_19_X, "/bin/cat", 30) != NULL;
		int a = find(&r, tid, EVT_SYSCALL_OPENAT_2_X, FILE_A, 2) != NULL;
		int b = find(&r, tid, EVT_SYSCALL_OPENAT_2_X, FILE_B, 2) != NULL;
		int ex = find(&r, tid, EVT_PROCEXIT_1_E, NULL, 0) != NULL;

		if (!clone || !exec || !a || !b || !ex) {
			run_free(&r);
			T_FAIL("pid %d: clone %d execve %d open A %d open B %d procexit %d", tid,
			       clone, exec, a, b, ex);
		}
	}
	run_free(&r);
}

/*
 * The rings carry every process of the host, so a burst from elsewhere (a
 * parallel build) can fill a ring while the test runs; the probe counts it.
 * A run with drops proves nothing either way, so it is retried; three in a
 * row fail the test.
 */
static void test_partition(const char *t_name, uint32_t nrings)
{
	for (int attempt = 1; attempt <= 3; attempt++) {
		memset(&lost, 0, sizeof(lost));
		partition_once(t_name, nrings);
		if (t_failed_now || t_skipped_now || (!lost.drops && !lost.clobbered))
			return;
		printf("note %s: attempt %d: ring %u lost %llu events (%llu clobbered) to load "
		       "from other processes; retrying\n",
		       t_name, attempt, lost.ring, lost.drops, lost.clobbered);
	}
	T_FAIL("ring %u lost events in 3 runs: %llu drops, %llu clobbered", lost.ring, lost.drops,
	       lost.clobbered);
}

T_TEST(live_partition_1_ring)
{
	test_partition(t_name, 1);
}

T_TEST(live_partition_2_rings)
{
	test_partition(t_name, 2);
}

T_TEST(live_partition_4_rings)
{
	test_partition(t_name, 4);
}

/* The same with the syscall hook: each handler on its syscall's own
 * tracepoint. A forked child's clone exit must still reach the child's
 * ring, before its other events. */
T_TEST(live_partition_2_rings_syscall_hook)
{
	run_hook = PRB_HOOK_SYSCALL;
	test_partition(t_name, 2);
	run_hook = PRB_HOOK_RAW;
}

T_TEST(live_partition_4_rings_syscall_hook)
{
	run_hook = PRB_HOOK_SYSCALL;
	test_partition(t_name, 4);
	run_hook = PRB_HOOK_RAW;
}

/* A child that opens files, connects to our listener, then execs cat. */
static pid_t spawn_worker(int port)
{
	pid_t pid = fork();

	if (pid == 0) {
		struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(port) };
		int dir, fd, s;

		sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		if (chdir("/tmp"))
			_exit(1);
		dir = open("/etc", O_RDONLY | O_DIRECTORY);
		fd = openat(dir, "hostname", O_RDONLY);
		close(fd);
		s = socket(AF_INET, SOCK_STREAM, 0);
		if (connect(s, (struct sockaddr *)&sa, sizeof(sa)))
			_exit(2);
		close(s);
		fd = open("/dev/null", O_WRONLY);
		dup2(fd, 1);
		execl("/bin/cat", "/bin/cat", FILE_A, (char *)NULL);
		_exit(127);
	}
	return pid;
}

static int decode_ok(const struct stored *s, struct evt *ev)
{
	const struct evt_info *info;

	if (!s || evt_decode(s->ev, s->len, ev, NULL) != EVT_OK)
		return 0;
	info = evt_info(ev->hdr->type);
	return info && ev->nparams == info->nparams;
}

T_TEST(live_decode_params)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	socklen_t sl = sizeof(sa);
	char err[4096];
	const uint8_t *tu;
	struct run r;
	struct evt ev;
	pid_t pid;
	int ls, cs, e, port;

	e = run_start(&r, 2, err, sizeof(err));
	if (e && is_bpf_unavailable(e))
		T_SKIP("eBPF unavailable: %s", err);
	if (e)
		T_FAIL("prb_open: %s", err);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ls = socket(AF_INET, SOCK_STREAM, 0);
	bind(ls, (struct sockaddr *)&sa, sizeof(sa));
	listen(ls, 8);
	getsockname(ls, (struct sockaddr *)&sa, &sl);
	port = ntohs(sa.sin_port);
	pid = spawn_worker(port);
	cs = accept(ls, NULL, NULL);
	waitpid(pid, &e, 0);
	close(cs);
	close(ls);
	run_stop(&r);

	if (!WIFEXITED(e) || WEXITSTATUS(e) != 0) {
		run_free(&r);
		T_FAIL("worker child failed: status %d", e);
	}
	/* execve: exe, args, cwd, ptid, filename */
	if (!decode_ok(find(&r, pid, EVT_SYSCALL_EXECVE_19_X, NULL, 0), &ev)) {
		run_free(&r);
		T_FAIL("no decodable execve exit with the table's nparams");
	}
	if (evt_param_s64(&ev, 0, -1) != 0 || strcmp(evt_param_str(&ev, 1), "/bin/cat") ||
	    ev.plen[2] != sizeof(FILE_A) || memcmp(ev.param[2], FILE_A, sizeof(FILE_A)) ||
	    evt_param_s64(&ev, 3, 0) != pid || evt_param_s64(&ev, 4, 0) != pid ||
	    evt_param_s64(&ev, 5, 0) != getpid() || strcmp(evt_param_str(&ev, 6), "/tmp") ||
	    strcmp(evt_param_str(&ev, 13), "cat") || strcmp(evt_param_str(&ev, 27), "/usr/bin/cat") ||
	    strcmp(evt_param_str(&ev, 30), "/bin/cat")) {
		run_free(&r);
		T_FAIL("execve params: res %lld exe %s cwd %s ptid %lld comm %s exepath %s",
		       (long long)evt_param_s64(&ev, 0, -1), evt_param_str(&ev, 1),
		       evt_param_str(&ev, 6), (long long)evt_param_s64(&ev, 5, 0),
		       evt_param_str(&ev, 13), evt_param_str(&ev, 27));
	}
	/* openat relative to a dirfd: fd, dirfd, name, flags */
	if (!decode_ok(find(&r, pid, EVT_SYSCALL_OPENAT_2_X, "hostname", 2), &ev)) {
		run_free(&r);
		T_FAIL("no decodable openat exit of \"hostname\"");
	}
	if (evt_param_s64(&ev, 0, -1) < 0 || evt_param_s64(&ev, 1, -1) < 0 ||
	    evt_param_u64(&ev, 3, 0) != PPM_O_RDONLY || evt_param_u64(&ev, 6, 0) == 0) {
		run_free(&r);
		T_FAIL("openat params: fd %lld dirfd %lld flags %llu ino %llu",
		       (long long)evt_param_s64(&ev, 0, -1), (long long)evt_param_s64(&ev, 1, -1),
		       (unsigned long long)evt_param_u64(&ev, 3, 0),
		       (unsigned long long)evt_param_u64(&ev, 6, 0));
	}
	/* connect: res, tuple 127.0.0.1:x -> 127.0.0.1:port, fd, addr */
	if (!decode_ok(find(&r, pid, EVT_SOCKET_CONNECT_X, NULL, 0), &ev)) {
		run_free(&r);
		T_FAIL("no decodable connect exit");
	}
	tu = ev.param[1];
	if (evt_param_s64(&ev, 0, -1) != 0 || ev.plen[1] != 13 || tu[0] != PPM_AF_INET ||
	    memcmp(tu + 1, "\x7f\0\0\x01", 4) || memcmp(tu + 7, "\x7f\0\0\x01", 4) ||
	    (tu[11] | tu[12] << 8) != port || (tu[5] | tu[6] << 8) == 0 ||
	    ev.plen[3] != 7 || (ev.param[3][5] | ev.param[3][6] << 8) != port) {
		run_free(&r);
		T_FAIL("connect params: res %lld tuple len %u", (long long)evt_param_s64(&ev, 0, -1),
		       ev.plen[1]);
	}
	run_free(&r);
}

/* A ring nobody reads fills up: the kernel counts the drops per ring and,
 * by event type, in the reference engine's categories (opens here). */
T_TEST(live_drops_by_category)
{
	static const uint32_t opens[] = {SYS_openat, SYS_open, SYS_close};
	char err[4096] = "";
	struct prb_ring_counters rc;
	uint64_t by[PRB_DROP_NCAT], sum = 0;
	struct prb_opts o;
	struct prb *p;
	pid_t pid;
	int st;

	prb_opts_default(&o);
	o.ring_bytes = 4096; /* one page: a few dozen events */
	o.syscalls = opens;
	o.n_syscalls = 3;
	o.err = err;
	o.errlen = sizeof(err);
	p = prb_open(&o);
	if (!p) {
		if (is_bpf_unavailable(errno))
			T_SKIP("BPF unavailable: %s", err);
		T_FAIL("prb_open: %s", err);
		return;
	}
	pid = fork();
	if (pid == 0) {
		for (int i = 0; i < 500; i++) {
			int fd = open("/etc/hostname", O_RDONLY);

			if (fd >= 0)
				close(fd);
		}
		_exit(0);
	}
	waitpid(pid, &st, 0);
	/* the probe sees every process's opens: stop it before reading two
	 * counters that must agree */
	prb_detach(p);
	T_EQ_INT(prb_counters(p, 0, &rc), 0);
	T_EQ_INT(prb_drops_by_category(p, by), 0);
	for (unsigned c = 0; c < PRB_DROP_NCAT; c++)
		sum += by[c];
	T_CHECK(rc.drops >= 500); /* 1000 events of the child, a page of room */
	T_EQ_INT(sum, rc.drops);
	T_CHECK(by[PRB_DROP_OPEN] >= 400);
	T_CHECK(by[PRB_DROP_CLOSE] >= 400);
	T_EQ_INT(by[PRB_DROP_EXECVE], 0);
	T_EQ_STR(prb_drop_cat_name(PRB_DROP_OPEN), "open");
	T_EQ_INT(prb_drop_cat_of(EVT_SYSCALL_OPENAT_2_X), PRB_DROP_OPEN);
	T_EQ_INT(prb_drop_cat_of(EVT_SYSCALL_CLONE3_X), PRB_DROP_CLONE_FORK);
	T_EQ_INT(prb_drop_cat_of(EVT_PROCEXIT_1_E), PRB_DROP_PROC_EXIT);
	T_EQ_INT(prb_drop_cat_of(EVT_SYSCALL_READ_X), PRB_DROP_OTHER);
	prb_close(p);
}

T_TEST(live_bad_options)
{
	char err[512] = "";
	struct prb_opts o;

	prb_opts_default(&o);
	o.err = err;
	o.errlen = sizeof(err);
	o.ring_bytes = 3 * 4096;
	T_CHECK(prb_open(&o) == NULL);
	T_EQ_INT(errno, EINVAL);
	T_CHECK(strstr(err, "power of two") != NULL);

	err[0] = 0;
	o.ring_bytes = 1000;
	T_CHECK(prb_open(&o) == NULL);
	T_EQ_INT(errno, EINVAL);
	T_CHECK(strstr(err, "page size") != NULL);

	err[0] = 0;
	prb_opts_default(&o);
	o.err = err;
	o.errlen = sizeof(err);
	o.n_rings = PRB_MAX_RINGS + 1;
	T_CHECK(prb_open(&o) == NULL);
	T_EQ_INT(errno, EINVAL);
	T_CHECK(strstr(err, "rings") != NULL);

	err[0] = 0;
	prb_opts_default(&o);
	o.err = err;
	o.errlen = sizeof(err);
	o.hook = (enum prb_hook)7;
	T_CHECK(prb_open(&o) == NULL);
	T_EQ_INT(errno, EINVAL);
	T_CHECK(strstr(err, "hook") != NULL);
}

int main(void)
{
	T_RUN(live_bad_options);
	T_RUN(live_partition_1_ring);
	T_RUN(live_partition_2_rings);
	T_RUN(live_partition_4_rings);
	T_RUN(live_partition_2_rings_syscall_hook);
	T_RUN(live_partition_4_rings_syscall_hook);
	T_RUN(live_decode_params);
	T_RUN(live_drops_by_category);
	return T_DONE();
}
