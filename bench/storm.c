/*
 * storm.c - a bounded syscall storm, the load of the live benchmarks
 * (bench/section_live.sh, bench/section_probe.sh).
 *
 * P processes of T threads each make system calls as fast as they can, or
 * at a target aggregate rate, for a fixed time, then the parent prints one
 * JSON line: syscalls made (counted by the threads themselves), the rate
 * achieved, the count per syscall, and the workers' CPU time per syscall
 * (ns_per_syscall: their own syscalls only, not the listener's). CPU time,
 * unlike the wall-clock rate, does not move when other programs take the
 * CPU away, so probe overhead is measured with it. Two kinds of work:
 *
 *   io    (default) openat + read(s) + close of one of a few small files storm
 *         creates in a private temporary directory, and every K-th round a
 *         TCP connect to a listener on 127.0.0.1 that storm itself runs:
 *         socket (non-blocking) + connect + setsockopt(SO_LINGER 0) + close,
 *         so no TIME_WAIT piles up and no connect ever waits;
 *   null  getppid() in a loop: a syscall the probe has no handler for, to
 *         measure what an untraced syscall costs with the probe attached.
 *
 * Rate: a token bucket per thread (--rate / (P * T) syscalls/s each, a burst
 * of 10 ms), sleeping with a 1 us timer slack when short of tokens; sleeps are
 * counted apart and not in "syscalls". Bounded: at most 64 x 64 threads,
 * 600 s, loopback only; every child also arms alarm() as a safety net.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define ST_MAX_PROCS 64
#define ST_MAX_THREADS 64
#define ST_MAX_SECONDS 600.0
#define ST_MAX_FILES 64
#define ST_FILE_BYTES 4096

/* The syscalls storm makes, counted per thread; one list, read by the
 * counters, the JSON and the totals. */
#define ST_CALLS(X)                                                                                \
	X(openat) X(read) X(close) X(socket) X(connect) X(setsockopt) X(accept4) X(getppid)

enum st_call {
#define X(n) ST_##n,
	ST_CALLS(X)
#undef X
	ST_NCALLS
};

static const char *const st_call_name[ST_NCALLS] = {
#define X(n) #n,
	ST_CALLS(X)
#undef X
};

/* One thread's counters, alone on its cache lines (shared memory between
 * the children, which write, and the parent, which reads after they exit). */
struct st_slot {
	uint64_t n[ST_NCALLS];
	uint64_t errors; /* calls that failed unexpectedly */
	uint64_t sleeps; /* nanosleeps of the rate limiter (not counted above) */
	uint64_t cpu_ns; /* the worker thread's CPU time (user + system) */
} __attribute__((aligned(64)));

enum st_work { ST_WORK_IO, ST_WORK_NULL };

struct st_opts {
	unsigned procs, threads;
	double seconds;
	double rate; /* aggregate syscalls/s; 0 = as fast as possible */
	enum st_work work;
	unsigned connect_every; /* io: a connect every K file rounds; 0 = never */
	unsigned reads;		/* io: read()s of 512 bytes per open */
	unsigned nfiles;
};

/* What every worker thread needs; set up by the parent before fork. */
struct st_run {
	struct st_opts o;
	char dir[64];
	char path[ST_MAX_FILES][96];
	struct sockaddr_in addr; /* the listener */
	uint64_t start_ns, end_ns;
	struct st_slot *slots;	 /* procs * threads + 1 (the listener), shared */
	atomic_int stop_listener;
	int lfd;
};

struct st_thread {
	struct st_run *run;
	struct st_slot *slot;
	unsigned id; /* global thread index, picks the first file */
};

static uint64_t st_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static uint64_t st_cpu_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void st_sleep_until(uint64_t t)
{
	struct timespec ts = {(time_t)(t / 1000000000ull), (long)(t % 1000000000ull)};

	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
		;
}

/* One file round: openat + --reads reads + close. Returns syscalls made. */
static unsigned st_file_round(struct st_run *r, struct st_slot *s, unsigned i)
{
	char buf[512];
	int fd;

	fd = openat(AT_FDCWD, r->path[i % r->o.nfiles], O_RDONLY | O_CLOEXEC);
	s->n[ST_openat]++;
	if (fd < 0) {
		s->errors++;
		return 1;
	}
	/* read(), not pread(): the probe handles read; 512 bytes a time, so
	 * 8 reads walk the file and later ones meet its end */
	for (unsigned k = 0; k < r->o.reads; k++) {
		if (read(fd, buf, 512) < 0)
			s->errors++;
	}
	s->n[ST_read] += r->o.reads;
	close(fd);
	s->n[ST_close]++;
	return 2 + r->o.reads;
}

/* One connect round: socket + connect + setsockopt + close, never waiting. */
static unsigned st_connect_round(struct st_run *r, struct st_slot *s)
{
	struct linger lg = {1, 0};
	int fd;

	fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	s->n[ST_socket]++;
	if (fd < 0) {
		s->errors++;
		return 1;
	}
	if (connect(fd, (struct sockaddr *)&r->addr, sizeof(r->addr)) < 0 &&
	    errno != EINPROGRESS && errno != EAGAIN)
		s->errors++;
	s->n[ST_connect]++;
	/* RST on close: no TIME_WAIT, so ephemeral ports never run out */
	if (setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg)) < 0)
		s->errors++;
	s->n[ST_setsockopt]++;
	close(fd);
	s->n[ST_close]++;
	return 4;
}

/* Syscalls/s of one worker thread: the listener's accept4 + close of each
 * connect are part of the aggregate --rate, so the workers leave room. */
static double st_thread_rate(const struct st_opts *o)
{
	double share = 1.0;

	if (o->rate <= 0)
		return 0;
	if (o->work == ST_WORK_IO && o->connect_every) {
		double w = (2.0 + o->reads) * (o->connect_every - 1) + 4.0;

		share = w / (w + 2.0);
	}
	return o->rate * share / (o->procs * o->threads);
}

/*
 * HOW IT WORKS (rate): each thread owns a bucket filled at rate/(P*T)
 * tokens per second, holding at most 10 ms of tokens (at least two rounds):
 * a thread the scheduler held back catches up, within that limit.
 * A round spends one token per syscall; a thread short of tokens sleeps
 * until the bucket holds one round, so the aggregate rate is the target
 * whenever the threads can keep up, and as fast as they can otherwise.
 */
static void *st_worker(void *arg)
{
	struct st_thread *t = arg;
	struct st_run *r = t->run;
	struct st_slot *s = t->slot;
	double per_ns = st_thread_rate(&r->o) / 1e9;
	double burst = per_ns * 10e6, tokens = 0;
	uint64_t last, now, cpu0;
	unsigned round = t->id;

	if (burst < 8)
		burst = 8;
	st_sleep_until(r->start_ns);
	cpu0 = st_cpu_now();
	last = st_now();
	for (;;) {
		unsigned made;

		now = st_now();
		if (now >= r->end_ns)
			break;
		if (per_ns > 0) {
			tokens += (double)(now - last) * per_ns;
			if (tokens > burst)
				tokens = burst;
			last = now;
			if (tokens < 4) {
				st_sleep_until(now + (uint64_t)((4 - tokens) / per_ns));
				s->sleeps++;
				continue;
			}
		}
		if (r->o.work == ST_WORK_NULL) {
			syscall(SYS_getppid);
			s->n[ST_getppid]++;
			made = 1;
		} else if (r->o.connect_every && round % r->o.connect_every == 0) {
			made = st_connect_round(r, s);
		} else {
			made = st_file_round(r, s, round);
		}
		round++;
		tokens -= made;
	}
	s->cpu_ns = st_cpu_now() - cpu0;
	return NULL;
}

static void st_child(struct st_run *r, unsigned p)
{
	pthread_t th[ST_MAX_THREADS];
	struct st_thread ta[ST_MAX_THREADS];
	unsigned started = 0;

	alarm((unsigned)r->o.seconds + 10); /* safety net: never outlive the run */
	for (unsigned i = 0; i < r->o.threads; i++) {
		ta[i].run = r;
		ta[i].id = p * r->o.threads + i;
		ta[i].slot = &r->slots[ta[i].id];
	}
	for (unsigned i = 1; i < r->o.threads; i++) {
		if (pthread_create(&th[i], NULL, st_worker, &ta[i]) != 0)
			break;
		started = i;
	}
	st_worker(&ta[0]);
	for (unsigned i = 1; i <= started; i++)
		pthread_join(th[i], NULL);
	_exit(0);
}

/* The listener thread: accept4 + close until told to stop. */
static void *st_listener(void *arg)
{
	struct st_run *r = arg;
	struct st_slot *s = &r->slots[r->o.procs * r->o.threads];

	while (!atomic_load(&r->stop_listener)) {
		int fd = accept4(r->lfd, NULL, NULL, SOCK_CLOEXEC);

		s->n[ST_accept4]++;
		if (fd < 0) {
			if (errno != EINTR && errno != ECONNABORTED)
				break; /* shut down */
			continue;
		}
		close(fd);
		s->n[ST_close]++;
	}
	return NULL;
}

static int st_listen(struct st_run *r)
{
	socklen_t len = sizeof(r->addr);

	r->lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (r->lfd < 0)
		return -errno;
	memset(&r->addr, 0, sizeof(r->addr));
	r->addr.sin_family = AF_INET;
	r->addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(r->lfd, (struct sockaddr *)&r->addr, sizeof(r->addr)) < 0 ||
	    listen(r->lfd, 4096) < 0 || getsockname(r->lfd, (struct sockaddr *)&r->addr, &len) < 0)
		return -errno;
	return 0;
}

static int st_make_files(struct st_run *r)
{
	char data[ST_FILE_BYTES];

	snprintf(r->dir, sizeof(r->dir), "/tmp/storm.XXXXXX");
	if (!mkdtemp(r->dir))
		return -errno;
	memset(data, 's', sizeof(data));
	for (unsigned i = 0; i < r->o.nfiles; i++) {
		int fd;

		snprintf(r->path[i], sizeof(r->path[i]), "%s/f%u", r->dir, i);
		fd = open(r->path[i], O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
		if (fd < 0)
			return -errno;
		if (write(fd, data, sizeof(data)) != (ssize_t)sizeof(data)) {
			close(fd);
			return -EIO;
		}
		close(fd);
	}
	return 0;
}

static void st_remove_files(struct st_run *r)
{
	for (unsigned i = 0; i < r->o.nfiles; i++)
		if (r->path[i][0])
			unlink(r->path[i]);
	if (r->dir[0])
		rmdir(r->dir);
}

static void st_print(const struct st_run *r, double elapsed)
{
	uint64_t tot[ST_NCALLS] = {0}, all = 0, errors = 0, sleeps = 0, cpu = 0, wsys = 0;
	unsigned nworkers = r->o.procs * r->o.threads;

	for (unsigned i = 0; i <= nworkers; i++) {
		for (int c = 0; c < ST_NCALLS; c++) {
			tot[c] += r->slots[i].n[c];
			if (i < nworkers)
				wsys += r->slots[i].n[c];
		}
		errors += r->slots[i].errors;
		sleeps += r->slots[i].sleeps;
		cpu += r->slots[i].cpu_ns;
	}
	for (int c = 0; c < ST_NCALLS; c++)
		all += tot[c];
	printf("{\"work\":\"%s\",\"procs\":%u,\"threads\":%u,\"target_rate\":%.0f,"
	       "\"seconds\":%.3f,\"syscalls\":%" PRIu64 ",\"rate\":%.0f",
	       r->o.work == ST_WORK_NULL ? "null" : "io", r->o.procs, r->o.threads, r->o.rate,
	       elapsed, all, elapsed > 0 ? (double)all / elapsed : 0.0);
	for (int c = 0; c < ST_NCALLS; c++)
		printf(",\"%s\":%" PRIu64, st_call_name[c], tot[c]);
	printf(",\"errors\":%" PRIu64 ",\"sleeps\":%" PRIu64 ",\"cpu_s\":%.3f,\"ns_per_syscall\":%.1f}\n",
	       errors, sleeps, (double)cpu / 1e9, wsys ? (double)cpu / (double)wsys : 0.0);
}

static void st_usage(FILE *f)
{
	fprintf(f, "usage: storm [--procs P] [--threads T] [--seconds S] [--rate N]\n"
		   "             [--work io|null] [--connect-every K] [--files F] [--reads R]\n"
		   "  P processes (2) x T threads (1) make syscalls for S seconds (5), at N\n"
		   "  syscalls/s in total (0, the default: as fast as they can); prints one\n"
		   "  JSON line.\n"
		   "  io: openat + R reads (1) + close of F small files (4), and every K-th\n"
		   "      round (16; 0: never) a non-blocking TCP connect to storm's own\n"
		   "      listener on 127.0.0.1;\n"
		   "  null: getppid() loops (a syscall the probe does not handle).\n");
}

static int st_parse(int argc, char **argv, struct st_opts *o)
{
	static const struct option lo[] = {
		{"procs", required_argument, NULL, 'p'},
		{"threads", required_argument, NULL, 't'},
		{"seconds", required_argument, NULL, 's'},
		{"rate", required_argument, NULL, 'r'},
		{"work", required_argument, NULL, 'w'},
		{"connect-every", required_argument, NULL, 'k'},
		{"files", required_argument, NULL, 'f'},
		{"reads", required_argument, NULL, 'R'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	int c;

	*o = (struct st_opts){2, 1, 5.0, 0, ST_WORK_IO, 16, 1, 4};
	while ((c = getopt_long(argc, argv, "p:t:s:r:w:k:f:R:h", lo, NULL)) != -1) {
		switch (c) {
		case 'p':
			o->procs = (unsigned)strtoul(optarg, NULL, 10);
			break;
		case 't':
			o->threads = (unsigned)strtoul(optarg, NULL, 10);
			break;
		case 's':
			o->seconds = strtod(optarg, NULL);
			break;
		case 'r':
			o->rate = strtod(optarg, NULL);
			break;
		case 'w':
			if (strcmp(optarg, "io") && strcmp(optarg, "null"))
				goto bad;
			o->work = strcmp(optarg, "io") ? ST_WORK_NULL : ST_WORK_IO;
			break;
		case 'k':
			o->connect_every = (unsigned)strtoul(optarg, NULL, 10);
			break;
		case 'f':
			o->nfiles = (unsigned)strtoul(optarg, NULL, 10);
			break;
		case 'R':
			o->reads = (unsigned)strtoul(optarg, NULL, 10);
			break;
		case 'h':
			st_usage(stdout);
			exit(0);
		default:
			goto bad;
		}
	}
	if (optind != argc || o->procs < 1 || o->procs > ST_MAX_PROCS || o->threads < 1 ||
	    o->threads > ST_MAX_THREADS || !(o->seconds > 0 && o->seconds <= ST_MAX_SECONDS) ||
	    o->rate < 0 || o->nfiles < 1 || o->nfiles > ST_MAX_FILES || o->reads > 1000)
		goto bad;
	return 0;
bad:
	st_usage(stderr);
	return -EINVAL;
}

int main(int argc, char **argv)
{
	struct st_run *r;
	pthread_t lth;
	pid_t pids[ST_MAX_PROCS];
	unsigned nslots, forked = 0;
	size_t slots_bytes;
	uint64_t t_end;
	int err, rc = 1;

	r = calloc(1, sizeof(*r));
	if (!r || st_parse(argc, argv, &r->o) < 0)
		return 2;
	prctl(PR_SET_TIMERSLACK, 1000UL); /* children inherit: rate sleeps of ~us */
	nslots = r->o.procs * r->o.threads + 1;
	slots_bytes = nslots * sizeof(struct st_slot);
	r->slots = mmap(NULL, slots_bytes, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (r->slots == MAP_FAILED) {
		perror("storm: mmap");
		return 1;
	}
	err = st_make_files(r);
	if (err) {
		fprintf(stderr, "storm: cannot create the files in %s: %s\n", r->dir, strerror(-err));
		goto out_files;
	}
	err = st_listen(r);
	if (err) {
		fprintf(stderr, "storm: cannot listen on 127.0.0.1: %s\n", strerror(-err));
		goto out_files;
	}
	if (pthread_create(&lth, NULL, st_listener, r) != 0) {
		fprintf(stderr, "storm: cannot start the listener thread\n");
		goto out_listen;
	}
	/* everyone starts together, once every child exists */
	r->start_ns = st_now() + 20000000ull + 2000000ull * r->o.procs;
	r->end_ns = r->start_ns + (uint64_t)(r->o.seconds * 1e9);
	fflush(NULL);
	for (unsigned p = 0; p < r->o.procs; p++) {
		pid_t pid = fork();

		if (pid < 0) {
			perror("storm: fork");
			break;
		}
		if (pid == 0)
			st_child(r, p);
		pids[forked++] = pid;
	}
	for (unsigned p = 0; p < forked; p++)
		waitpid(pids[p], NULL, 0);
	t_end = st_now();
	atomic_store(&r->stop_listener, 1);
	shutdown(r->lfd, SHUT_RDWR);
	pthread_join(lth, NULL);
	if (forked == r->o.procs) {
		uint64_t end = t_end < r->end_ns ? t_end : r->end_ns;

		st_print(r, (double)(end - r->start_ns) / 1e9);
		rc = 0;
	}
out_listen:
	close(r->lfd);
out_files:
	st_remove_files(r);
	munmap(r->slots, slots_bytes);
	free(r);
	return rc;
}
