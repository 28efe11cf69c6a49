/*
 * output.c - the output stage: the alert queue's consumer thread and its
 * sinks (stdout, file, syslog, program, http).
 *
 * The one output thread takes alerts in queue order, formats each once and
 * writes it to every enabled sink. A sink must never hold the thread longer
 * than output_timeout per alert: the program pipe is written with poll()
 * deadlines, the HTTP POST runs under libcurl timeouts taken from the same
 * budget (retries with backoff only while the budget lasts), and an HTTP
 * endpoint that keeps failing is skipped for a growing back-off period so a
 * dead server costs counted failures, not a stalled queue. stdout and the file
 * are flushed whenever the queue runs empty, and at stop.
 *
 * Counters: each producer's (queued, drops) pair sits on its own cache line
 * and is written by that producer alone; the thread's own counters are
 * written by the thread alone; out_stats sums them with relaxed loads.
 */
#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "output/mpsc.h"
#include "output/output.h"

#define CL 64
#define OUT_LINE_MAX (2 * OUT_OUTPUT_MAX + OUT_FBUF_MAX * 2 + 4096)

struct out_pcount {
	_Alignas(CL) _Atomic uint64_t queued;
	_Atomic uint64_t drops;
};

struct out {
	struct out_config cfg;
	char *file_name, *program, *http_url, *http_ua, *http_ca_cert, *http_ca_path;
	char *syslog_socket, *hostname;
	struct out_mpsc *q;
	unsigned nproducers; /* workers + 1 (control) */
	struct out_pcount *pc;
	pthread_t thread;
	bool started;
	_Atomic int stop;
	_Atomic int reopen;
	/* written by the output thread only */
	_Alignas(CL) _Atomic uint64_t written, truncated, restarts, reopens;
	_Atomic uint64_t sink_ok[OUT_SINK__COUNT], sink_fail[OUT_SINK__COUNT];
	/* sink state, output thread only (and out_new/out_stop) */
	FILE *file;
	int syslog_fd;
	int prog_fd;
	pid_t prog_pid;
	CURL *curl;
	struct curl_slist *curl_hdrs;
	uint64_t http_down_until; /* monotonic ns */
	uint64_t http_backoff_ns;
	char http_err[CURL_ERROR_SIZE];
	/* sink health, output thread only: a failing sink is said once, with
	 * why, and once more when it works again (sink_done) */
	bool sink_down[OUT_SINK__COUNT];
	uint64_t sink_down_fails[OUT_SINK__COUNT];
	char *line;
};

static const char *const out_sink_names[] = {
#define OUT_X_SINK(id, name) name,
	OUT_SINKS(OUT_X_SINK)
#undef OUT_X_SINK
};

const char *out_sink_name(enum out_sink_id id)
{
	return id < OUT_SINK__COUNT ? out_sink_names[id] : "";
}

void out_config_default(struct out_config *c)
{
	memset(c, 0, sizeof(*c));
	c->fmt.json_output_prop = true;
	c->fmt.json_tags_prop = true;
	c->queue_capacity = 4096;
	c->timeout_ms = 2000;
	c->stdout_enabled = true;
	c->file_keep_alive = false;
	c->file_name = "./events.txt";
	c->syslog_enabled = false;
	c->syslog_socket = "/dev/log";
	c->program = "jq '{text: .output}' | curl -d @- -X POST https://hooks.slack.com/services/XXX";
	c->http_url = "http://some.url/some/path/";
	c->http_user_agent = "peregrine";
	c->http_keep_alive = true;
	c->http_retries = 2;
}

static uint64_t out_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void cnt_inc(_Atomic uint64_t *c)
{
	atomic_store_explicit(c, atomic_load_explicit(c, memory_order_relaxed) + 1,
			      memory_order_relaxed);
}

/* Say @fmt through the configured log callback, if any. Output thread. */
static void out_log(struct out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void out_log(struct out *o, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	if (!o->cfg.log)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	o->cfg.log(o->cfg.log_ctx, msg);
}

/* An alert written by sink @id (@why NULL) or not (@why says why). Counts
 * it, and says a change of the sink's health: the first failure with its
 * reason, and the first success after failures with how many alerts the
 * sink lost meanwhile. A sink that keeps failing costs one message, not
 * one per alert. Output thread. */
static void sink_done(struct out *o, enum out_sink_id id, const char *why)
{
	if (!why) {
		cnt_inc(&o->sink_ok[id]);
		if (o->sink_down[id]) {
			out_log(o, "%s output works again (%llu alerts failed meanwhile)",
				out_sink_names[id], (unsigned long long)o->sink_down_fails[id]);
			o->sink_down[id] = false;
		}
		return;
	}
	cnt_inc(&o->sink_fail[id]);
	if (!o->sink_down[id]) {
		out_log(o, "%s output: %s; its alerts are counted as failed "
			   "(peregrine_sink_failures_total) until it works again",
			out_sink_names[id], why);
		o->sink_down[id] = true;
		o->sink_down_fails[id] = 0;
	}
	o->sink_down_fails[id]++;
}

static char *out_dup(const char *s)
{
	return s ? strdup(s) : NULL;
}

/* ---- file ---- */

static int file_open(struct out *o)
{
	o->file = fopen(o->file_name, "a");
	return o->file ? 0 : -errno;
}

static void file_write(struct out *o, const char *line, size_t n)
{
	int ok, err;

	if (atomic_exchange(&o->reopen, 0) && o->file) {
		fclose(o->file);
		o->file = NULL;
		cnt_inc(&o->reopens);
	}
	if (!o->file && file_open(o) < 0) {
		char why[300];

		snprintf(why, sizeof(why), "cannot open %s: %s", o->file_name, strerror(errno));
		sink_done(o, OUT_SINK_FILE, why);
		return;
	}
	ok = fwrite(line, 1, n, o->file) == n && fputc('\n', o->file) != EOF;
	err = ok ? 0 : errno;
	if (!o->cfg.file_keep_alive) {
		if (fclose(o->file) != 0 && ok) {
			ok = 0;
			err = errno;
		}
		o->file = NULL;
	}
	if (!ok) {
		char why[300];

		snprintf(why, sizeof(why), "writing %s: %s", o->file_name, strerror(err));
		sink_done(o, OUT_SINK_FILE, why);
		return;
	}
	sink_done(o, OUT_SINK_FILE, NULL);
}

/* ---- syslog: RFC 3164 datagrams to a unix socket, glibc syslog() when the
 * socket can not be reached (so a test can bind its own socket). ---- */

static int syslog_connect(struct out *o)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int fd;

	if (strlen(o->syslog_socket) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	strcpy(sa.sun_path, o->syslog_socket);
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		int e = -errno;

		close(fd);
		return e;
	}
	{
		/* a busy syslog daemon may hold us, but never past output_timeout */
		struct timeval tv = {o->cfg.timeout_ms / 1000, (o->cfg.timeout_ms % 1000) * 1000};

		setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	}
	o->syslog_fd = fd;
	return 0;
}

static void syslog_write(struct out *o, uint32_t prio, const char *line, size_t n)
{
	char hdr[128], stamp[32];
	struct iovec iov[2];
	struct msghdr mh = {.msg_iov = iov, .msg_iovlen = 2};
	time_t now = time(NULL);
	struct tm tm;
	int pri = LOG_USER | (int)(prio & 7);

	if (o->syslog_fd < 0 && syslog_connect(o) < 0) {
		syslog(pri, "%.*s", (int)n, line);
		sink_done(o, OUT_SINK_SYSLOG, NULL);
		return;
	}
	localtime_r(&now, &tm);
	strftime(stamp, sizeof(stamp), "%b %e %H:%M:%S", &tm);
	iov[0].iov_base = hdr;
	iov[0].iov_len = (size_t)snprintf(hdr, sizeof(hdr), "<%d>%s peregrine[%d]: ", pri, stamp,
					  (int)getpid());
	iov[1].iov_base = (void *)line;
	iov[1].iov_len = n;
	if (sendmsg(o->syslog_fd, &mh, MSG_NOSIGNAL) < 0) {
		char why[300];

		snprintf(why, sizeof(why), "sending to %s: %s", o->syslog_socket,
			 errno == EAGAIN ? "the socket stayed full for output_timeout"
					 : strerror(errno));
		if (errno != EAGAIN) {
			close(o->syslog_fd);
			o->syslog_fd = -1;
		}
		sink_done(o, OUT_SINK_SYSLOG, why);
		return;
	}
	sink_done(o, OUT_SINK_SYSLOG, NULL);
}

/* ---- program: `sh -c PROGRAM` with our pipe as its stdin ---- */

static int prog_spawn(struct out *o)
{
	int p[2];
	pid_t pid;

	if (pipe2(p, O_CLOEXEC) < 0)
		return -errno;
	pid = fork();
	if (pid < 0) {
		int e = -errno;

		close(p[0]);
		close(p[1]);
		return e;
	}
	if (pid == 0) {
		sigset_t none;

		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		signal(SIGPIPE, SIG_DFL);
		dup2(p[0], 0);
		execl("/bin/sh", "sh", "-c", o->program, (char *)NULL);
		_exit(127);
	}
	close(p[0]);
	fcntl(p[1], F_SETFL, O_NONBLOCK);
	o->prog_fd = p[1];
	o->prog_pid = pid;
	return 0;
}

static void prog_close(struct out *o, bool wait_exit)
{
	if (o->prog_fd >= 0)
		close(o->prog_fd);
	o->prog_fd = -1;
	/* a child still running when not waited for is reaped by a later
	 * WNOHANG check or becomes the init's at exit */
	if (o->prog_pid > 0) {
		if (wait_exit)
			waitpid(o->prog_pid, NULL, 0);
		else
			waitpid(o->prog_pid, NULL, WNOHANG);
	}
	o->prog_pid = -1;
}

/* Write all of @buf before @deadline (monotonic ns). 0 / -errno. */
static int fd_write_all(int fd, const char *buf, size_t n, uint64_t deadline)
{
	while (n) {
		ssize_t w = write(fd, buf, n);

		if (w > 0) {
			buf += w;
			n -= (size_t)w;
			continue;
		}
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0 && errno == EAGAIN) {
			uint64_t now = out_now();
			struct pollfd pfd = {.fd = fd, .events = POLLOUT};

			if (now >= deadline)
				return -ETIMEDOUT;
			poll(&pfd, 1, (int)((deadline - now) / 1000000ull) + 1);
			continue;
		}
		return -errno;
	}
	return 0;
}

static bool prog_alive(struct out *o)
{
	if (o->prog_pid <= 0)
		return false;
	if (waitpid(o->prog_pid, NULL, WNOHANG) == o->prog_pid) {
		o->prog_pid = -1;
		return false;
	}
	return true;
}

static void prog_write(struct out *o, const char *line, size_t n)
{
	uint64_t deadline = out_now() + (uint64_t)o->cfg.timeout_ms * 1000000ull;
	int err = 0;

	for (int attempt = 0; attempt < 2; attempt++) {
		if (o->prog_fd < 0 || !prog_alive(o)) {
			if (o->prog_fd >= 0 || attempt > 0 || o->cfg.program_keep_alive)
				cnt_inc(&o->restarts);
			prog_close(o, false);
			err = prog_spawn(o);
			if (err < 0)
				break;
		}
		err = fd_write_all(o->prog_fd, line, n, deadline);
		if (!err)
			err = fd_write_all(o->prog_fd, "\n", 1, deadline);
		if (err != -EPIPE)
			break;
		prog_close(o, false);
	}
	if (!o->cfg.program_keep_alive)
		prog_close(o, true);
	if (err) {
		char why[300];

		snprintf(why, sizeof(why), "'%s': %s", o->program,
			 err == -ETIMEDOUT ? "it did not read the alert within output_timeout"
			 : err == -EPIPE   ? "it exited without reading the alert (restarted twice)"
					   : strerror(-err));
		sink_done(o, OUT_SINK_PROGRAM, why);
		return;
	}
	sink_done(o, OUT_SINK_PROGRAM, NULL);
}

/* ---- http ---- */

static size_t http_discard(char *p, size_t sz, size_t n, void *ctx)
{
	(void)p;
	(void)ctx;
	return sz * n;
}

static int http_setup(struct out *o, char *err, size_t errlen)
{
	o->curl = curl_easy_init();
	if (!o->curl) {
		snprintf(err, errlen, "http_output: curl_easy_init failed");
		return -ENOMEM;
	}
	o->curl_hdrs = curl_slist_append(NULL, o->cfg.fmt.json ? "Content-Type: application/json"
							       : "Content-Type: text/plain");
	curl_easy_setopt(o->curl, CURLOPT_URL, o->http_url);
	curl_easy_setopt(o->curl, CURLOPT_HTTPHEADER, o->curl_hdrs);
	curl_easy_setopt(o->curl, CURLOPT_USERAGENT, o->http_ua);
	curl_easy_setopt(o->curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(o->curl, CURLOPT_WRITEFUNCTION, http_discard);
	curl_easy_setopt(o->curl, CURLOPT_TCP_KEEPALIVE, 1L);
	curl_easy_setopt(o->curl, CURLOPT_ERRORBUFFER, o->http_err);
	if (!o->cfg.http_keep_alive)
		curl_easy_setopt(o->curl, CURLOPT_FORBID_REUSE, 1L);
	if (o->cfg.http_insecure) {
		curl_easy_setopt(o->curl, CURLOPT_SSL_VERIFYPEER, 0L);
		curl_easy_setopt(o->curl, CURLOPT_SSL_VERIFYHOST, 0L);
	}
	if (o->http_ca_cert && *o->http_ca_cert)
		curl_easy_setopt(o->curl, CURLOPT_CAINFO, o->http_ca_cert);
	if (o->http_ca_path && *o->http_ca_path)
		curl_easy_setopt(o->curl, CURLOPT_CAPATH, o->http_ca_path);
	if (o->cfg.http_echo)
		curl_easy_setopt(o->curl, CURLOPT_WRITEFUNCTION, NULL);
	return 0;
}

static void http_write(struct out *o, const char *body, size_t n)
{
	uint64_t start = out_now(), budget = (uint64_t)o->cfg.timeout_ms * 1000000ull;
	uint64_t backoff = 10 * 1000000ull;

	char why[CURL_ERROR_SIZE + 300];

	if (start < o->http_down_until) {
		sink_done(o, OUT_SINK_HTTP, "skipped while the endpoint is down");
		return;
	}
	why[0] = '\0';
	curl_easy_setopt(o->curl, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(o->curl, CURLOPT_POSTFIELDSIZE, (long)n);
	for (uint32_t attempt = 0; attempt <= o->cfg.http_retries; attempt++) {
		uint64_t now = out_now(), left = start + budget > now ? start + budget - now : 0;
		long code = 0;
		CURLcode rc;

		if (left < 1000000ull)
			break;
		curl_easy_setopt(o->curl, CURLOPT_TIMEOUT_MS, (long)(left / 1000000ull));
		curl_easy_setopt(o->curl, CURLOPT_CONNECTTIMEOUT_MS, (long)(left / 1000000ull));
		o->http_err[0] = '\0';
		rc = curl_easy_perform(o->curl);
		if (rc == CURLE_OK)
			curl_easy_getinfo(o->curl, CURLINFO_RESPONSE_CODE, &code);
		if (rc == CURLE_OK && code < 400) {
			o->http_backoff_ns = 0;
			sink_done(o, OUT_SINK_HTTP, NULL);
			return;
		}
		if (rc != CURLE_OK)
			snprintf(why, sizeof(why), "POST %s: %s", o->http_url,
				 o->http_err[0] ? o->http_err : curl_easy_strerror(rc));
		else
			snprintf(why, sizeof(why), "POST %s: HTTP status %ld", o->http_url, code);
		now = out_now();
		if (now + backoff >= start + budget)
			break;
		struct timespec ts = {0, (long)backoff};

		nanosleep(&ts, NULL);
		backoff *= 2;
	}
	/* the endpoint is down: skip it for a while (200 ms doubling to 5 s) */
	o->http_backoff_ns = o->http_backoff_ns ? o->http_backoff_ns * 2 : 200 * 1000000ull;
	if (o->http_backoff_ns > 5000 * 1000000ull)
		o->http_backoff_ns = 5000 * 1000000ull;
	o->http_down_until = out_now() + o->http_backoff_ns;
	sink_done(o, OUT_SINK_HTTP, why[0] ? why : "no time left within output_timeout");
}

/* ---- the thread ---- */

static void out_write_one(struct out *o, struct out_alert *a)
{
	const char *line = o->line;
	size_t n;

	if (a->flags & OUT_ALERT_RAW) {
		line = a->ext ? a->ext : a->output;
		n = a->output_len;
	} else {
		n = out_format(a, &o->cfg.fmt, o->line, OUT_LINE_MAX);
		if (n >= OUT_LINE_MAX)
			n = OUT_LINE_MAX - 1;
	}
	if (a->flags & OUT_ALERT_TRUNCATED)
		cnt_inc(&o->truncated);
	if (o->cfg.stdout_enabled) {
		bool ok = fwrite(line, 1, n, stdout) == n && fputc('\n', stdout) != EOF;

		sink_done(o, OUT_SINK_STDOUT, ok ? NULL : strerror(errno));
	}
	if (o->cfg.file_enabled)
		file_write(o, line, n);
	if (o->cfg.syslog_enabled)
		syslog_write(o, a->priority, line, n);
	if (o->cfg.program_enabled)
		prog_write(o, line, n);
	if (o->cfg.http_enabled)
		http_write(o, line, n);
	cnt_inc(&o->written);
	if (a->flags & OUT_ALERT_RAW) {
		free(a->ext);
		a->ext = NULL;
	}
}

static void out_flush(struct out *o)
{
	if (o->cfg.stdout_enabled)
		fflush(stdout);
	if (o->file)
		fflush(o->file);
	if (atomic_load(&o->reopen) && o->file) {
		atomic_store(&o->reopen, 0);
		fclose(o->file);
		o->file = NULL;
		cnt_inc(&o->reopens);
		if (o->cfg.file_keep_alive)
			file_open(o);
	}
}

static void *out_thread(void *arg)
{
	struct out *o = arg;
	sigset_t set;

	/* writes into a dead pipe must fail with EPIPE, not kill the engine */
	sigemptyset(&set);
	sigaddset(&set, SIGPIPE);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	for (;;) {
		struct out_alert *a = out_mpsc_peek_sc(o->q);
		int stop;

		if (a) {
			out_write_one(o, a);
			out_mpsc_pop_sc(o->q);
			continue;
		}
		out_flush(o);
		stop = atomic_load_explicit(&o->stop, memory_order_acquire);
		if (stop && !out_mpsc_peek_sc(o->q))
			break;
		out_mpsc_wait_sc(o->q, 100);
	}
	out_flush(o);
	return NULL;
}

struct out *out_new(const struct out_config *c, unsigned nproducers, char *err, size_t errlen)
{
	/* aligned: the output thread's counters sit on a cache line of their own */
	struct out *o = aligned_alloc(CL, sizeof(*o));
	char host[256];

	if (!o)
		return NULL;
	memset(o, 0, sizeof(*o));
	o->cfg = *c;
	o->syslog_fd = o->prog_fd = -1;
	o->prog_pid = -1;
	o->nproducers = nproducers + 1;
	o->file_name = out_dup(c->file_name);
	o->program = out_dup(c->program);
	o->http_url = out_dup(c->http_url);
	o->http_ua = out_dup(c->http_user_agent ? c->http_user_agent : "peregrine");
	o->http_ca_cert = out_dup(c->http_ca_cert);
	o->http_ca_path = out_dup(c->http_ca_path);
	o->syslog_socket = out_dup(c->syslog_socket ? c->syslog_socket : "/dev/log");
	if (!c->fmt.hostname) {
		if (gethostname(host, sizeof(host)) < 0)
			strcpy(host, "localhost");
		host[sizeof(host) - 1] = '\0';
		o->hostname = strdup(host);
	} else {
		o->hostname = strdup(c->fmt.hostname);
	}
	o->cfg.fmt.hostname = o->hostname;
	o->pc = aligned_alloc(CL, sizeof(*o->pc) * o->nproducers);
	o->line = malloc(OUT_LINE_MAX);
	o->q = out_mpsc_new(c->queue_capacity ? c->queue_capacity : 4096, sizeof(struct out_alert));
	if (!o->pc || !o->line || !o->q || !o->hostname || !o->syslog_socket) {
		snprintf(err, errlen, "outputs: out of memory");
		goto out_fail;
	}
	memset(o->pc, 0, sizeof(*o->pc) * o->nproducers);
	if (c->file_enabled) {
		if (!o->file_name || !*o->file_name) {
			snprintf(err, errlen, "file_output: filename is empty");
			errno = EINVAL;
			goto out_fail;
		}
		if (file_open(o) < 0) {
			snprintf(err, errlen, "file_output: can not open %s: %s", o->file_name,
				 strerror(errno));
			goto out_fail;
		}
		if (!c->file_keep_alive) {
			fclose(o->file);
			o->file = NULL;
		}
	}
	if (c->program_enabled && (!o->program || !*o->program)) {
		snprintf(err, errlen, "program_output: program is empty");
		errno = EINVAL;
		goto out_fail;
	}
	if (c->http_enabled) {
		if (!o->http_url || !*o->http_url) {
			snprintf(err, errlen, "http_output: url is empty");
			errno = EINVAL;
			goto out_fail;
		}
		if (http_setup(o, err, errlen) < 0)
			goto out_fail;
	}
	return o;
out_fail:
	if (!errno)
		errno = ENOMEM;
	{
		int e = errno;

		out_free(o);
		errno = e;
	}
	return NULL;
}

int out_start(struct out *o)
{
	int rc = pthread_create(&o->thread, NULL, out_thread, o);

	if (rc)
		return -rc;
	o->started = true;
	return 0;
}

void out_stop(struct out *o)
{
	if (!o || !o->started)
		return;
	atomic_store_explicit(&o->stop, 1, memory_order_release);
	out_mpsc_kick(o->q);
	pthread_join(o->thread, NULL);
	o->started = false;
}

void out_free(struct out *o)
{
	if (!o)
		return;
	out_stop(o);
	if (o->file)
		fclose(o->file);
	if (o->syslog_fd >= 0)
		close(o->syslog_fd);
	prog_close(o, true);
	if (o->curl)
		curl_easy_cleanup(o->curl);
	curl_slist_free_all(o->curl_hdrs);
	out_mpsc_free(o->q);
	free(o->pc);
	free(o->line);
	free(o->file_name);
	free(o->program);
	free(o->http_url);
	free(o->http_ua);
	free(o->http_ca_cert);
	free(o->http_ca_path);
	free(o->syslog_socket);
	free(o->hostname);
	free(o);
}

unsigned out_control_producer(const struct out *o)
{
	return o->nproducers - 1;
}

struct out_alert *out_alert_reserve_mp(struct out *o, unsigned p)
{
	struct out_alert *a = out_mpsc_reserve_mp(o->q);

	if (!a) {
		cnt_inc(&o->pc[p].drops);
		return NULL;
	}
	a->producer = (uint16_t)p;
	return a;
}

void out_alert_commit_mp(struct out *o, struct out_alert *a)
{
	cnt_inc(&o->pc[a->producer].queued);
	out_mpsc_commit_mp(o->q, a);
}

int out_line_put_wait_mp(struct out *o, unsigned p, uint64_t ts, const char *line, size_t len,
			 uint64_t *waited)
{
	struct timespec pause = {0, 50 * 1000};
	char *ext = NULL;
	struct out_alert *a;
	unsigned tries = 0;

	if (len >= OUT_OUTPUT_MAX) {
		ext = malloc(len);
		if (!ext)
			return -ENOMEM;
		memcpy(ext, line, len);
	}
	/* out_mpsc_reserve_mp, not out_alert_reserve_mp: a full queue is
	 * back-pressure here, not a drop */
	while (!(a = out_mpsc_reserve_mp(o->q))) {
		if (++tries < 64)
			sched_yield();
		else
			nanosleep(&pause, NULL);
	}
	if (waited)
		*waited += tries != 0;
	a->producer = (uint16_t)p;
	out_alert_init(a, ts, 0, "", NULL);
	a->flags = OUT_ALERT_RAW;
	a->ext = ext;
	if (!ext)
		memcpy(a->output, line, len);
	a->output_len = (uint32_t)len;
	out_alert_commit_mp(o, a);
	return 0;
}

void out_reopen(struct out *o)
{
	atomic_store(&o->reopen, 1);
	out_mpsc_kick(o->q);
}

uint64_t out_producer_drops(const struct out *o, unsigned p)
{
	return p < o->nproducers ? atomic_load_explicit(&o->pc[p].drops, memory_order_relaxed) : 0;
}

void out_stats(const struct out *o, struct out_stats *st)
{
	memset(st, 0, sizeof(*st));
	for (unsigned i = 0; i < o->nproducers; i++) {
		st->queued += atomic_load_explicit(&o->pc[i].queued, memory_order_relaxed);
		st->queue_drops += atomic_load_explicit(&o->pc[i].drops, memory_order_relaxed);
	}
	st->written = atomic_load_explicit(&o->written, memory_order_relaxed);
	st->truncated = atomic_load_explicit(&o->truncated, memory_order_relaxed);
	st->program_restarts = atomic_load_explicit(&o->restarts, memory_order_relaxed);
	st->file_reopens = atomic_load_explicit(&o->reopens, memory_order_relaxed);
	for (int i = 0; i < OUT_SINK__COUNT; i++) {
		st->sink_ok[i] = atomic_load_explicit(&o->sink_ok[i], memory_order_relaxed);
		st->sink_fail[i] = atomic_load_explicit(&o->sink_fail[i], memory_order_relaxed);
	}
}
