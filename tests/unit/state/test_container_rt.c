/*
 * test_container_rt.c - container names and images from a container runtime.
 *
 * A fake Docker Engine API server (a thread in this program, on a unix
 * socket in a temporary directory) serves canned replies: with
 * Content-Length, chunked and dribbled in small writes on a connection it
 * keeps open (as dockerd replies), garbage, JSON that does not parse, and no
 * reply at all. The real client (proc_ctr_client_*) is pointed at it and
 * the tests check the cache and the fields extracted for processes whose
 * cgroups name those containers; and that a runtime that is absent, broken
 * or slow leaves the fields empty, says so once and never holds a worker.
 * The JSON reader and the HTTP scanner also get hostile input directly.
 * Mounts: read from the inspect reply and from a capture's container
 * event, within their bounds, and the container.mount* fields (by number,
 * by glob on the source or on the destination, absent where libs is) and
 * conditions on them.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "t.h"
#include "fields/fields.h"
#include "rules/diag.h"
#include "rules/ruleset.h"
#include "state/ctr_int.h"
#include "state/state.h"
#include "state_test_util.h"
#include "test_update_evb.h"

#define ID1  "3c2fd1ba09e7e2c5f1d0a8b7c6d5e4f3a2b1c0d9e8f7a6b5c4d3e2f1a0b9c8d7"
#define ID2  "9f8e7d6c5b4a39281706f5e4d3c2b1a0ffeeddccbbaa99887766554433221100"
#define ID3  "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
#define IMG1 "aaaa1111bbbb2222cccc3333dddd4444eeee5555ffff66660000777788889999"
#define IMG2 "bbbb2222cccc3333dddd4444eeee5555ffff66660000777788889999aaaa1111"
#define DIG1 "sha256:d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1"
#define DIG2 "sha256:e2e2e2e2e2e2e2e2e2e2e2e2e2e2e2e2e2e2e2e2e2e2e2e2e2e2e2e2e2e2e2e2"

/* ---- canned replies ------------------------------------------------------ */

static const char list_json[] =
	"[{\"Id\":\"" ID1
	"\",\"Names\":[\"/web\"],\"Image\":\"nginx:1.25\",\"ImageID\":\"sha256:" IMG1
	"\",\"Command\":\"nginx -g 'daemon off;'\",\"Created\":1714558829,\"State\":\"running\","
	"\"Labels\":{\"com.example\":\"a \\\"quoted\\\" \\u00e9 label\"}},"
	"{\"Id\":\"" ID2 "\",\"Names\":[\"/db\"],\"Image\":\"" IMG2 "\",\"ImageID\":\"sha256:" IMG2
	"\",\"Created\":1714558000,\"State\":\"running\",\"Ports\":[],\"Mounts\":[]},"
	"{\"Id\":\"not-a-container-id\",\"Names\":[\"/bogus\"]}]";

/* Mounts as dockerd writes them: a bind of the host's /proc, the docker
 * socket (writable), a named volume; the members peregrine does not use
 * (Type, Name, Driver) in between. */
#define MOUNTS_JSON                                                                     \
	"[{\"Type\":\"bind\",\"Source\":\"/proc\",\"Destination\":\"/host/proc\","      \
	"\"Mode\":\"ro\",\"RW\":false,\"Propagation\":\"rprivate\"},"                   \
	"{\"Type\":\"bind\",\"Source\":\"/var/run/docker.sock\",\"Destination\":"       \
	"\"/run/docker.sock\",\"Mode\":\"\",\"RW\":true,\"Propagation\":\"rslave\"},"   \
	"{\"Type\":\"volume\",\"Name\":\"cache\",\"Source\":"                           \
	"\"/var/lib/docker/volumes/cache/_data\",\"Destination\":\"/var/cache/nginx\"," \
	"\"Driver\":\"local\",\"Mode\":\"z\",\"RW\":true,\"Propagation\":\"\"}]"
#define MOUNTS_STR                                                                               \
	"/proc:/host/proc:ro:false:rprivate,/var/run/docker.sock:/run/docker.sock::true:rslave," \
	"/var/lib/docker/volumes/cache/_data:/var/cache/nginx:z:true:"

static const char inspect1[] =
	"{\"Id\":\"" ID1 "\",\"Created\":\"2024-05-01T10:20:29.5Z\",\"Name\":\"/web\","
	"\"Image\":\"sha256:" IMG1 "\",\"State\":{\"Status\":\"running\",\"StartedAt\":"
	"\"2024-05-01T10:20:30.123456789Z\"},\"HostConfig\":{\"Privileged\":true,"
	"\"NetworkMode\":\"default\"},\"Mounts\":" MOUNTS_JSON ","
	"\"Config\":{\"Image\":\"docker.io/library/nginx:1.25\","
	"\"Env\":[\"PATH=/usr/bin\"],\"Labels\":{}}}";

/* started by image id: only the image API knows its names */
static const char inspect2[] =
	"{\"Id\":\"" ID2 "\",\"Name\":\"/db\",\"Image\":\"sha256:" IMG2 "\","
	"\"State\":{\"StartedAt\":\"2023-01-02T05:04:05+02:00\"},"
	"\"HostConfig\":{\"Privileged\":false},\"Config\":{\"Image\":\"" IMG2 "\"}}";

static const char image1[] =
	"{\"Id\":\"sha256:" IMG1 "\",\"RepoTags\":[\"docker.io/library/"
	"nginx:1.25\"],\"RepoDigests\":[\"docker.io/library/nginx@" DIG1 "\"]}";
static const char image2[] = "{\"Id\":\"sha256:" IMG2 "\",\"RepoTags\":[\"redis:7\"],"
			     "\"RepoDigests\":[\"redis@" DIG2 "\"]}";

enum fake_mode { FAKE_LENGTH, FAKE_CHUNKED, FAKE_GARBAGE, FAKE_BADJSON, FAKE_SILENT };

struct fake {
	char dir[32], path[96];
	int lfd;
	pthread_t th;
	enum fake_mode mode;
	const char *inspect1; /* web's inspect reply; NULL = inspect1 */
	atomic_int stop;
	atomic_int requests;
};

static const char *reply_for(const struct fake *f, const char *url)
{
	if (!strcmp(url, "/containers/json"))
		return list_json;
	if (!strcmp(url, "/containers/" ID1 "/json"))
		return f->inspect1 ? f->inspect1 : inspect1;
	if (!strcmp(url, "/containers/" ID2 "/json"))
		return inspect2;
	if (!strcmp(url, "/images/" IMG1 "/json"))
		return image1;
	if (!strcmp(url, "/images/" IMG2 "/json"))
		return image2;
	return NULL;
}

static void send_all(int fd, const char *s, size_t n)
{
	while (n) {
		ssize_t w = send(fd, s, n, MSG_NOSIGNAL);

		if (w <= 0)
			return;
		s += w;
		n -= (size_t)w;
	}
}

/* Wait until the peer closes (or 2 s), as a keep-alive server would. */
static void hold(struct fake *f, int fd)
{
	char b[256];
	int i;

	for (i = 0; i < 200 && !atomic_load(&f->stop); i++) {
		struct pollfd p = {.fd = fd, .events = POLLIN};

		if (poll(&p, 1, 10) > 0 && recv(fd, b, sizeof(b), 0) <= 0)
			return;
	}
}

static void serve(struct fake *f, int fd)
{
	char req[2048], url[512], head[256];
	const char *body;
	size_t len = 0;

	req[0] = '\0';
	while (len < sizeof(req) - 1 && !strstr(req, "\r\n\r\n")) {
		struct pollfd p = {.fd = fd, .events = POLLIN};
		ssize_t n;

		if (poll(&p, 1, 1000) <= 0)
			return;
		n = recv(fd, req + len, sizeof(req) - 1 - len, 0);
		if (n <= 0)
			return;
		len += (size_t)n;
		req[len] = '\0';
	}
	atomic_fetch_add(&f->requests, 1);
	if (sscanf(req, "GET %511s HTTP/1.1", url) != 1)
		return;
	body = reply_for(f, url);
	switch (f->mode) {
	case FAKE_SILENT:
		hold(f, fd);
		return;
	case FAKE_GARBAGE:
		send_all(fd, "garbage that is not http\r\n\r\n", 28);
		return;
	case FAKE_BADJSON:
		body = "{\"Id\": [[[ 1, 2,";
		break;
	default:
		break;
	}
	if (!body) {
		send_all(fd, "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n", 45);
		return;
	}
	if (f->mode != FAKE_CHUNKED) {
		snprintf(head, sizeof(head),
			 "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
			 "Content-Length: %zu\r\n\r\n",
			 strlen(body));
		send_all(fd, head, strlen(head));
		send_all(fd, body, strlen(body));
		return;
	}
	/* dockerd: chunked, in pieces, connection left open */
	send_all(fd, "HTTP/1.1 200 OK\r\nApi-Version: 1.43\r\n", 36);
	usleep(2000);
	send_all(fd, "Transfer-Encoding: chunked\r\n\r\n", 30);
	for (size_t off = 0, n; off < strlen(body); off += n) {
		char c[64];

		n = strlen(body) - off < 37 ? strlen(body) - off : 37;
		snprintf(c, sizeof(c), "%zx\r\n", n);
		send_all(fd, c, strlen(c));
		send_all(fd, body + off, n);
		send_all(fd, "\r\n", 2);
		if (off % 5 == 0)
			usleep(500);
	}
	send_all(fd, "0\r\n\r\n", 5);
	hold(f, fd);
}

static void *fake_main(void *arg)
{
	struct fake *f = arg;

	while (!atomic_load(&f->stop)) {
		struct pollfd p = {.fd = f->lfd, .events = POLLIN};
		int fd;

		if (poll(&p, 1, 20) <= 0)
			continue;
		fd = accept(f->lfd, NULL, NULL);
		if (fd < 0)
			continue;
		serve(f, fd);
		close(fd);
	}
	return NULL;
}

static int fake_start2(struct fake *f, enum fake_mode mode, const char *web_inspect)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};

	memset(f, 0, sizeof(*f));
	f->mode = mode;
	f->inspect1 = web_inspect;
	snprintf(f->dir, sizeof(f->dir), "/tmp/pg_ctr_XXXXXX");
	if (!mkdtemp(f->dir))
		return -1;
	snprintf(f->path, sizeof(f->path), "%s/docker.sock", f->dir);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", f->path);
	f->lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (f->lfd < 0 || bind(f->lfd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    listen(f->lfd, 8) < 0)
		return -1;
	return pthread_create(&f->th, NULL, fake_main, f) ? -1 : 0;
}

static int fake_start(struct fake *f, enum fake_mode mode)
{
	return fake_start2(f, mode, NULL);
}

static void fake_stop(struct fake *f)
{
	atomic_store(&f->stop, 1);
	pthread_join(f->th, NULL);
	close(f->lfd);
	unlink(f->path);
	rmdir(f->dir);
}

/* ---- the engine side: a table, a worker, processes, fields ---------------- */

struct logcap {
	pthread_mutex_t lock;
	int n;
	char last[512];
};

static void log_fn(void *arg, const char *msg)
{
	struct logcap *l = arg;

	pthread_mutex_lock(&l->lock);
	l->n++;
	snprintf(l->last, sizeof(l->last), "%s", msg);
	pthread_mutex_unlock(&l->lock);
}

static int log_count(struct logcap *l)
{
	int n;

	pthread_mutex_lock(&l->lock);
	n = l->n;
	pthread_mutex_unlock(&l->lock);
	return n;
}

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

struct env {
	struct proc_table *t;
	struct proc_worker *w;
	struct fld_worker *fw;
	struct evb b;
	struct fld_ctx c;
	struct logcap log;
};

static int env_init_cfg(struct env *e, const struct proc_config *cfg)
{
	memset(e, 0, sizeof(*e));
	pthread_mutex_init(&e->log.lock, NULL);
	e->t = proc_table_new(cfg);
	e->w = e->t ? proc_worker_register(e->t) : NULL;
	e->fw = fld_worker_new(1, 0);
	return e->w && e->fw ? 0 : -1;
}

static int env_init(struct env *e)
{
	return env_init_cfg(e, NULL);
}

static void env_fini(struct env *e)
{
	fld_worker_free(e->fw);
	proc_worker_unregister(e->w);
	proc_table_destroy(e->t);
	pthread_mutex_destroy(&e->log.lock);
}

/* A process tid whose cgroup is @cg ("" = the host). */
static int env_proc(struct env *e, uint64_t tid, const char *cg)
{
	char cgroups[256];
	struct proc_spawn s = spawn_of(tid, tid, 1, 1000, "sh", "/bin/sh");
	struct proc_thread *thr;

	snprintf(cgroups, sizeof(cgroups), "%s", cg);
	s.cgroups = cgroups;
	s.cgroups_len = strlen(cgroups) + 1;
	return proc_thread_clone(e->w, &s, &thr);
}

/* A close exit of thread @tid in e->c, as a worker would evaluate it. */
static bool env_event(struct env *e, uint64_t tid)
{
	struct proc_thread *thr = proc_thread_lookup(e->w, tid);

	evb_begin(&e->b);
	evb_u64(&e->b, 0);
	evb_u64(&e->b, 3);
	memset(&e->c, 0, sizeof(e->c));
	e->c.ev = evb_end(&e->b, EVT_SYSCALL_CLOSE_X, tid, 5000);
	e->c.pw = e->w;
	e->c.thr = thr;
	e->c.proc = thr ? proc_thread_process(thr) : NULL;
	e->c.fdnum = -1;
	return e->c.ev != NULL;
}

/* The rendered value of @field ("name" or "name[arg]") for an event of
 * thread @tid. The argument is left unterminated, as the lexer leaves it. */
static const char *fx(struct env *e, uint64_t tid, const char *field, char *buf, size_t cap)
{
	const char *br = strchr(field, '[');
	size_t nlen = br ? (size_t)(br - field) : strlen(field);
	struct fld_ref r;
	const char *msg;

	if (fld_resolve(field, nlen, br ? br + 1 : NULL, br ? strlen(br + 1) - 1 : 0, br != NULL,
			&r, &msg))
		return "(no such field)";
	if (!env_event(e, tid))
		return "(no event)";
	fld_worker__begin(e->fw);
	fld_vals__render(fld_extract(e->fw, &e->c, &r), buf, cap);
	return buf;
}

static int count_match(void *arg, const struct rule_match *m)
{
	(void)m;
	++*(int *)arg;
	return 0;
}

/* Does condition @cond hold for an event of thread @tid? -1: it does not
 * compile. */
static int holds(struct env *e, uint64_t tid, const char *cond)
{
	struct diag_list *dl = diag_list_new();
	struct rule_ruleset *rs = dl ? rule_compile_condition("c", cond, dl) : NULL;
	struct rule_worker *rw = rs ? rule_worker_new(rs) : NULL;
	int n = 0, rc = -1;

	if (rw && env_event(e, tid)) {
		rule_eval(rs, rw, &e->c, true, count_match, &n);
		rc = n > 0;
	}
	rule_worker_free(rw);
	rule_ruleset_free(rs);
	diag_list_free(dl);
	return rc;
}

#define T_FIELD(e, tid, field, want)                               \
	do {                                                       \
		char b_[512];                                      \
		T_EQ_STR(fx(e, tid, field, b_, sizeof(b_)), want); \
	} while (0)

/* Wait (passing quiescent states, as a worker between batches) until the
 * cache knows @id; false after 5 s. */
static bool wait_known(struct env *e, const char *id)
{
	uint64_t end = now_ms() + 5000;

	while (now_ms() < end) {
		proc_worker_quiescent(e->w);
		if (proc_ctr_lookup(e->w, id))
			return true;
		usleep(5000);
	}
	return false;
}

static struct proc_ctr_client *client_on(struct env *e, const char *path, unsigned timeout_ms)
{
	struct proc_ctr_opts o = {0};

	o.sockets[0].path = path;
	o.sockets[0].type = PROC_CT_DOCKER;
	o.nsockets = 1;
	o.timeout_ms = timeout_ms;
	o.min_refresh_ms = 50;
	o.log = log_fn;
	o.log_arg = &e->log;
	return proc_ctr_client_start(e->t, &o);
}

/* The whole path against a working server, in either reply framing. */
static void check_served(const char *t_name, enum fake_mode mode)
{
	struct proc_ctr_stats st;
	struct proc_ctr_client *cl;
	struct fake f;
	struct env e;
	uint64_t t0;
	int i;

	if (fake_start(&f, mode) < 0)
		T_FAIL("fake server: %s", strerror(errno));
	if (env_init(&e) < 0)
		T_FAIL("env");
	T_EQ_INT(env_proc(&e, 100, "0::/system.slice/docker-" ID1 ".scope"), 0);
	T_EQ_INT(env_proc(&e, 200, "cpu,cpuacct=/docker/" ID2), 0);
	T_EQ_INT(env_proc(&e, 300, "0::/user.slice/user-1000.slice/session-1.scope"), 0);
	T_EQ_INT(env_proc(&e, 400, "0::/kubepods.slice/cri-containerd-" ID3 ".scope"), 0);
	/* before the client: nothing known, the host as always */
	T_FIELD(&e, 100, "container.id", "3c2fd1ba09e7");
	T_FIELD(&e, 100, "container.name", "<NA>");
	T_FIELD(&e, 300, "container.name", "host");
	cl = client_on(&e, f.path, 2000);
	T_CHECK(cl);
	if (!wait_known(&e, "3c2fd1ba09e7") || !wait_known(&e, "9f8e7d6c5b4a")) {
		proc_ctr_client_stats(cl, &st);
		T_FAIL("not in the cache after 5 s (%" PRIu64 " requests, %" PRIu64
		       " errors, %" PRIu64 " containers); client said: %s",
		       st.requests, st.errors, st.containers, e.log.last);
	}
	T_FIELD(&e, 100, "container.name", "web");
	T_FIELD(&e, 100, "container.full_id", ID1);
	T_FIELD(&e, 100, "container.image", "docker.io/library/nginx:1.25");
	T_FIELD(&e, 100, "container.image.repository", "docker.io/library/nginx");
	T_FIELD(&e, 100, "container.image.tag", "1.25");
	T_FIELD(&e, 100, "container.image.id", IMG1);
	T_FIELD(&e, 100, "container.image.digest", DIG1);
	T_FIELD(&e, 100, "container.privileged", "true");
	T_FIELD(&e, 100, "container.start_ts", "1714558830123456789");
	T_FIELD(&e, 100, "container.type", "docker");
	/* the inspect reply's Mounts */
	T_FIELD(&e, 100, "container.mounts", MOUNTS_STR);
	T_FIELD(&e, 100, "container.mount[1]",
		"/var/run/docker.sock:/run/docker.sock::true:rslave");
	T_FIELD(&e, 100, "container.mount.dest[/proc*]", "/host/proc");
	T_FIELD(&e, 100, "container.mount.source[/host/proc]", "/proc");
	T_FIELD(&e, 100, "container.mount.rdwr[/var/run/*]", "true");
	/* none in db's reply: the list is empty, a mount is absent */
	T_FIELD(&e, 200, "container.mounts", "");
	T_FIELD(&e, 200, "container.mount[0]", "<NA>");
	/* started by image id: repository and tag from the image's tags */
	T_FIELD(&e, 200, "container.name", "db");
	T_FIELD(&e, 200, "container.image", IMG2);
	T_FIELD(&e, 200, "container.image.repository", "redis");
	T_FIELD(&e, 200, "container.image.tag", "7");
	T_FIELD(&e, 200, "container.image.digest", DIG2);
	T_FIELD(&e, 200, "container.privileged", "false");
	T_FIELD(&e, 200, "container.start_ts", "1672628645000000000");
	/* the host keeps the reference engine's values */
	T_FIELD(&e, 300, "container.id", "host");
	T_FIELD(&e, 300, "container.name", "host");
	T_FIELD(&e, 300, "container.full_id", "host");
	T_FIELD(&e, 300, "container.image", "<NA>");
	T_FIELD(&e, 300, "container.privileged", "<NA>");
	T_FIELD(&e, 300, "container.mounts", "<NA>");
	/* a container the runtime does not know: absent, cached as unknown
	 * after one refresh, and then misses cost the runtime nothing */
	T_FIELD(&e, 400, "container.name", "<NA>");
	for (t0 = now_ms(); now_ms() - t0 < 5000;) {
		proc_worker_quiescent(e.w);
		proc_ctr_client_stats(cl, &st);
		if (st.unknown == 1)
			break;
		T_FIELD(&e, 400, "container.image", "<NA>");
		usleep(5000);
	}
	T_EQ_INT(st.unknown, 1);
	T_EQ_INT(st.containers, 2);
	T_FIELD(&e, 400, "container.mounts", "<NA>");
	T_FIELD(&e, 400, "container.mount[0]", "<NA>");
	{
		struct proc_ctr_stats st2;

		for (i = 0; i < 20000; i++)
			T_FIELD(&e, 400, "container.name", "<NA>");
		proc_ctr_client_stats(cl, &st2);
		T_EQ_INT(st2.signals, st.signals);
	}
	/* one message: the runtime answered */
	T_EQ_INT(log_count(&e.log), 1);
	T_CHECK(strstr(e.log.last, "2 running containers"));
	proc_ctr_client_stats(cl, &st);
	T_EQ_INT(st.errors, 0);
	proc_ctr_client_stop(cl);
	/* the cache outlives the client, mounts included */
	T_FIELD(&e, 100, "container.name", "web");
	T_FIELD(&e, 100, "container.mount.mode[0]", "ro");
	env_fini(&e);
	fake_stop(&f);
}

T_TEST(t_client_content_length)
{
	check_served(t_name, FAKE_LENGTH);
}

T_TEST(t_client_chunked)
{
	check_served(t_name, FAKE_CHUNKED);
}

/* A runtime that is not there, broken or silent: fields empty, one message,
 * the worker never waits, stop returns within a request's deadline. */
static void check_broken(const char *t_name, int mode, const char *expect)
{
	struct proc_ctr_client *cl;
	struct proc_ctr_stats st;
	struct fake f;
	struct env e;
	uint64_t t0, dt;
	const char *path = "/nonexistent/peregrine-test/docker.sock";
	int i;

	if (mode >= 0 && fake_start(&f, (enum fake_mode)mode) < 0)
		T_FAIL("fake server: %s", strerror(errno));
	if (mode >= 0)
		path = f.path;
	if (env_init(&e) < 0)
		T_FAIL("env");
	T_EQ_INT(env_proc(&e, 100, "0::/system.slice/docker-" ID1 ".scope"), 0);
	t0 = now_ms();
	cl = client_on(&e, path, 200);
	T_CHECK(cl);
	T_CHECK(now_ms() - t0 < 100);
	/* workers extract while the client fails: never blocked */
	t0 = now_ms();
	for (i = 0; i < 50000; i++) {
		char b[64];

		fx(&e, 100, "container.name", b, sizeof(b));
		if (strcmp(b, "<NA>"))
			T_FAIL("container.name = %s", b);
		if (i % 256 == 0)
			proc_worker_quiescent(e.w);
	}
	dt = now_ms() - t0;
	T_CHECK(dt < 3000);
	/* the failure is reported, once, whatever the number of misses */
	for (t0 = now_ms(); now_ms() - t0 < 3000 && !log_count(&e.log);)
		usleep(5000);
	usleep(600 * 1000); /* more refreshes (misses asked for them) */
	proc_worker_quiescent(e.w);
	T_EQ_INT(log_count(&e.log), 1);
	if (!strstr(e.log.last, expect))
		T_FAIL("message \"%s\" does not say \"%s\"", e.log.last, expect);
	proc_ctr_client_stats(cl, &st);
	T_CHECK(st.errors >= 1);
	T_EQ_INT(st.containers, 0);
	T_FIELD(&e, 100, "container.image", "<NA>");
	t0 = now_ms();
	proc_ctr_client_stop(cl);
	T_CHECK(now_ms() - t0 < 1500);
	env_fini(&e);
	if (mode >= 0)
		fake_stop(&f);
}

T_TEST(t_client_absent)
{
	check_broken(t_name, -1, "is not reachable: connect: No such file or directory");
}

T_TEST(t_client_garbage)
{
	check_broken(t_name, FAKE_GARBAGE, "not valid HTTP");
}

T_TEST(t_client_bad_json)
{
	check_broken(t_name, FAKE_BADJSON, "not valid JSON");
}

T_TEST(t_client_silent)
{
	check_broken(t_name, FAKE_SILENT, "timed out");
}

/* ---- the parsers, directly ------------------------------------------------ */

T_TEST(t_json)
{
	static const char doc[] =
		" {\"a\": [1, -2.5e3, true, false, null, \"x\\u00e9\\ud83d\\ude00\\n\"],"
		" \"b\\u0063\": {\"c\": \"\"}, \"n\": -9223372036854775808} ";
	struct ctr_json j;
	char s[64];
	int64_t v;
	int a;

	T_EQ_INT(ctr_json_parse(&j, doc, strlen(doc)), 0);
	a = ctr_json_get(&j, 0, "a");
	T_EQ_INT(ctr_json_type(&j, a), CTR_J_ARR);
	T_EQ_INT(ctr_json_i64(&j, ctr_json_at(&j, a, 0), &v), 0);
	T_EQ_INT(v, 1);
	T_EQ_INT(ctr_json_i64(&j, ctr_json_at(&j, a, 1), &v), -EINVAL);
	T_EQ_INT(ctr_json_bool(&j, ctr_json_at(&j, a, 2)), 1);
	T_EQ_INT(ctr_json_bool(&j, ctr_json_at(&j, a, 3)), 0);
	T_EQ_INT(ctr_json_type(&j, ctr_json_at(&j, a, 4)), CTR_J_NULL);
	T_EQ_INT(ctr_json_at(&j, a, 6), -1);
	T_EQ_INT(ctr_json_str(&j, ctr_json_at(&j, a, 5), s, sizeof(s)), 8);
	T_EQ_STR(s, "x\xc3\xa9\xf0\x9f\x98\x80\n");
	ctr_json_free(&j);
	/* raw UTF-8 is cut at a character boundary too */
	T_EQ_INT(ctr_json_parse(&j, "\"\xc3\xa9\xc3\xa9\"", 6), 0);
	T_EQ_INT(ctr_json_str(&j, 0, s, 4), 2);
	ctr_json_free(&j);
	T_EQ_INT(ctr_json_parse(&j, doc, strlen(doc)), 0);
	/* cut at a character boundary */
	T_EQ_INT(ctr_json_str(&j, ctr_json_at(&j, a, 5), s, 4), 3);
	T_EQ_STR(s, "x\xc3\xa9");
	T_EQ_INT(ctr_json_str(&j, ctr_json_at(&j, a, 5), s, 5), 3);
	/* an escaped key is found by its value */
	T_EQ_INT(ctr_json_str(&j, ctr_json_get(&j, ctr_json_get(&j, 0, "bc"), "c"), s, sizeof(s)),
		 0);
	T_EQ_INT(ctr_json_i64(&j, ctr_json_get(&j, 0, "n"), &v), 0);
	T_CHECK(v == INT64_MIN);
	T_EQ_INT(ctr_json_str(&j, a, s, sizeof(s)), -1);
	T_EQ_INT(ctr_json_get(&j, a, "a"), -1);
	T_EQ_INT(ctr_json_get(&j, 0, "zz"), -1);
	ctr_json_free(&j);
}

T_TEST(t_json_hostile)
{
	static const char *const bad[] = {
		"",
		" ",
		"{",
		"[",
		"]",
		"{\"a\"}",
		"{\"a\":}",
		"{\"a\":1,}",
		"[1,]",
		"[1 2]",
		"\"abc",
		"\"a\\x\"",
		"\"a\\u12G4\"",
		"\"a\\u12",
		"\"a\nb\"",
		"01",
		"-",
		"1.",
		"1e",
		"1e+",
		"tru",
		"nul",
		"falsey",
		"{} {}",
		"[1]x",
		"{1:2}",
		"\"\\",
		"[\"a\",\x01]",
		"{\"a\":1 \"b\":2}",
		"nan",
		"+1",
		".5",
	};
	char deep[200001];
	struct ctr_json j;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int rc = ctr_json_parse(&j, bad[i], strlen(bad[i]));

		if (rc != -EINVAL || !j.err[0])
			T_FAIL("\"%s\": rc %d, err \"%s\"", bad[i], rc, j.err);
		ctr_json_free(&j);
	}
	/* nesting bounded, no stack overflow */
	memset(deep, '[', sizeof(deep) - 1);
	deep[sizeof(deep) - 1] = '\0';
	T_EQ_INT(ctr_json_parse(&j, deep, strlen(deep)), -EINVAL);
	T_CHECK(strstr(j.err, "nested deeper"));
	ctr_json_free(&j);
	/* bytes not NUL-terminated: nothing read past len */
	T_EQ_INT(ctr_json_parse(&j, "[1,2]]]]", 5), 0);
	ctr_json_free(&j);
	T_EQ_INT(ctr_json_parse(&j, "\"abcdef\"", 4), -EINVAL);
	ctr_json_free(&j);
	/* the docker readers refuse what is not theirs */
	{
		struct proc_ctr_info c;
		struct ctr_listed l[4];
		char ref[80], err[256];
		size_t n;

		T_EQ_INT(ctr_docker_list("{}", 2, l, 4, &n, err, sizeof(err)), -EINVAL);
		T_CHECK(strstr(err, "not a JSON array"));
		T_EQ_INT(ctr_docker_list("[1,\"x\",{\"Id\":5}]", 16, l, 4, &n, err, sizeof(err)),
			 0);
		T_EQ_INT(n, 0);
		T_EQ_INT(ctr_docker_inspect("[]", 2, &c, ref, err, sizeof(err)), -EINVAL);
		T_EQ_INT(ctr_docker_inspect("{\"Id\":\"abc\"}", 12, &c, ref, err, sizeof(err)),
			 -EINVAL);
		T_EQ_INT(ctr_docker_image("{\"RepoTags\":7,\"RepoDigests\":[1,{}]}", 35, &c, err,
					  sizeof(err)),
			 0);
		T_EQ_INT(ctr_capture_json("{\"container\":[]}", 16, &c, err, sizeof(err)), -EINVAL);
		T_EQ_INT(ctr_capture_json("{\"container\":{\"id\":\"xyz\"}}", 26, &c, err,
					  sizeof(err)),
			 -EINVAL);
	}
}

T_TEST(t_http_scan)
{
	static const char chunked[] = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
				      "3\r\n[1,\r\na;ext=1\r\n2,3,4,5,6]\r\n0\r\n\r\n";
	static const char *const bad[] = {
		"SSH-2.0-OpenSSH\r\n\r\n",
		"HTTP/1.1 2000 OK\r\n\r\n",
		"HTTP/1.1 200 OK\r\nContent-Length: 12x\r\n\r\n",
		"HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n",
		"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
		"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nabc\r\n0\r\n\r\n",
		"HTTP/1.1 200 OK\r\nContent-Length: 99999999999\r\n\r\n",
		"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nfffffffff\r\n",
	};
	struct ctr_http_resp r;
	char buf[256], *body;
	const char *msg;
	size_t i;

	/* every prefix is incomplete, the whole is complete */
	for (i = 0; i < sizeof(chunked) - 1; i++)
		if (ctr_http_scan(chunked, i, false, &r, &msg) != 0)
			T_FAIL("prefix %zu: not 'need more'", i);
	T_EQ_INT(ctr_http_scan(chunked, sizeof(chunked) - 1, false, &r, &msg), 1);
	T_CHECK(r.chunked);
	T_EQ_INT(r.status, 200);
	T_EQ_INT(r.body_len, 13);
	memcpy(buf, chunked, sizeof(chunked));
	body = ctr_http_body(buf, &r);
	T_EQ_INT(r.body_len, 13);
	T_CHECK(!memcmp(body, "[1,2,3,4,5,6]", 13));
	/* a chunked reply cut by the peer is an error */
	T_EQ_INT(ctr_http_scan(chunked, 60, true, &r, &msg), -EBADMSG);
	/* no length: the body ends with the connection */
	T_EQ_INT(ctr_http_scan("HTTP/1.0 200 OK\r\n\r\n[]", 21, false, &r, &msg), 0);
	T_EQ_INT(ctr_http_scan("HTTP/1.0 200 OK\r\n\r\n[]", 21, true, &r, &msg), 1);
	T_EQ_INT(r.body_len, 2);
	T_EQ_INT(ctr_http_scan("HTTP/1.1 404 Not Found\r\nContent-Length: 3\r\n\r\nno", 47, false,
			       &r, &msg),
		 0);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int rc = ctr_http_scan(bad[i], strlen(bad[i]), false, &r, &msg);

		if (rc >= 0)
			T_FAIL("bad reply %zu accepted (%d)", i, rc);
	}
}

T_TEST(t_image_split)
{
	static const struct {
		const char *image, *repo, *tag, *digest;
	} cases[] = {
		{"nginx", "nginx", "", ""},
		{"nginx:1.25", "nginx", "1.25", ""},
		{"docker.io/library/nginx:1.25", "docker.io/library/nginx", "1.25", ""},
		{"localhost:5000/app", "localhost:5000/app", "", ""},
		{"localhost:5000/app:v2", "localhost:5000/app", "v2", ""},
		{"quay.io/org/app@sha256:abc", "quay.io/org/app", "", "sha256:abc"},
		{"quay.io/org/app:v1@sha256:abc", "quay.io/org/app", "v1", "sha256:abc"},
	};
	char repo[256], tag[128], dig[80];
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		ctr_split_image(cases[i].image, repo, sizeof(repo), tag, sizeof(tag), dig,
				sizeof(dig));
		if (strcmp(repo, cases[i].repo) || strcmp(tag, cases[i].tag) ||
		    strcmp(dig, cases[i].digest))
			T_FAIL("%s: %s | %s | %s", cases[i].image, repo, tag, dig);
	}
	T_CHECK(ctr_parse_time("2024-05-01T10:20:30.123456789Z") == 1714558830123456789ull);
	T_CHECK(ctr_parse_time("2024-05-01T12:20:30+02:00") == 1714558830000000000ull);
	T_CHECK(ctr_parse_time("0001-01-01T00:00:00Z") == 0);
	T_CHECK(ctr_parse_time("yesterday") == 0);
	T_CHECK(ctr_parse_time("2024-05-01T10:20:30") == 0);
}

/* podman: Image is the image's name; the digest comes as Digest. */
T_TEST(t_inspect_podman)
{
	static const char insp[] =
		"{\"Id\":\"" ID3 "\",\"Name\":\"pod-web\",\"Image\":\"quay.io/org/app:v3\","
		"\"Config\":{\"Image\":\"quay.io/org/app:v3\"},\"HostConfig\":{}}";
	static const char img[] = "{\"Id\":\"" IMG1 "\",\"Digest\":\"" DIG1 "\"}";
	struct proc_ctr_info c;
	char ref[80], err[256];

	T_EQ_INT(ctr_docker_inspect(insp, sizeof(insp) - 1, &c, ref, err, sizeof(err)), 0);
	T_EQ_STR(c.id, "0123456789ab");
	T_EQ_STR(c.name, "pod-web");
	T_EQ_STR(c.image_repo, "quay.io/org/app");
	T_EQ_STR(c.image_tag, "v3");
	T_EQ_STR(ref, "quay.io/org/app:v3");
	T_EQ_INT(c.privileged, -1);
	T_EQ_INT(ctr_docker_image(img, sizeof(img) - 1, &c, err, sizeof(err)), 0);
	T_EQ_STR(c.image_digest, DIG1);
}

/* Replay: a capture's container event fills the same cache. */
T_TEST(t_capture_event)
{
	static const char json[] =
		"{\"container\":{\"Mounts\":[],\"User\":\"\",\"cni_json\":\"\",\"cpu_period\":"
		"100000,"
		"\"created_time\":1714558829,\"env\":[],\"full_id\":\"" ID1 "\",\"host_ipc\":false,"
		"\"id\":\"3c2fd1ba09e7\",\"image\":\"nginx:1.25\",\"imagedigest\":\"" DIG1 "\","
		"\"imageid\":\"" IMG1 "\",\"imagerepo\":\"nginx\",\"imagetag\":\"1.25\","
		"\"labels\":null,\"lookup_state\":1,\"name\":\"web\",\"privileged\":true,"
		"\"type\":0}}\n";
	struct proc_evt_ref ref;
	const struct evt *ev;
	struct env e;

	if (env_init(&e) < 0)
		T_FAIL("env");
	T_EQ_INT(env_proc(&e, 100, "0::/system.slice/docker-" ID1 ".scope"), 0);
	T_EQ_INT(env_proc(&e, 200, "cpu=/docker/" ID2), 0);
	evb_begin(&e.b);
	evb_str(&e.b, json);
	ev = evb_end(&e.b, EVT_CONTAINER_JSON_2_E, UINT64_MAX, 10);
	T_CHECK(ev);
	T_EQ_INT(proc_event_apply(e.w, ev, 0, &ref), 0);
	proc_event_done(e.w, &ref);
	/* the old event: id, type, name, image */
	evb_begin(&e.b);
	evb_str(&e.b, "9f8e7d6c5b4a");
	evb_u32(&e.b, 11);
	evb_str(&e.b, "db");
	evb_str(&e.b, "redis");
	ev = evb_end(&e.b, EVT_CONTAINER_E, UINT64_MAX, 11);
	T_CHECK(ev);
	T_EQ_INT(proc_event_apply(e.w, ev, 0, &ref), 0);
	proc_event_done(e.w, &ref);
	/* garbage JSON: refused, counted, nothing added */
	evb_begin(&e.b);
	evb_str(&e.b, "{\"container\":");
	ev = evb_end(&e.b, EVT_CONTAINER_JSON_E, UINT64_MAX, 12);
	T_CHECK(ev);
	T_EQ_INT(proc_event_apply(e.w, ev, 0, &ref), -EINVAL);
	proc_event_done(e.w, &ref);
	proc_worker_quiescent(e.w);
	T_FIELD(&e, 100, "container.name", "web");
	T_FIELD(&e, 100, "container.image", "nginx:1.25");
	T_FIELD(&e, 100, "container.image.repository", "nginx");
	T_FIELD(&e, 100, "container.image.tag", "1.25");
	T_FIELD(&e, 100, "container.image.digest", DIG1);
	T_FIELD(&e, 100, "container.privileged", "true");
	T_FIELD(&e, 200, "container.name", "db");
	T_FIELD(&e, 200, "container.image", "redis");
	T_FIELD(&e, 200, "container.privileged", "<NA>");
	/* "Mounts":[] and the old event (no mounts said): none */
	T_FIELD(&e, 100, "container.mounts", "");
	T_FIELD(&e, 200, "container.mounts", "");
	T_FIELD(&e, 200, "container.mount.dest[/*]", "<NA>");
	env_fini(&e);
}

/* ---- mounts ---------------------------------------------------------------- */

/* Parse @doc (a JSON array) as a Mounts array; NULL when it gives none
 * or is not JSON (which fails the test at the caller's next check). */
static struct proc_ctr_mounts *mounts_of(const char *doc)
{
	struct proc_ctr_mounts *m = NULL;
	struct ctr_json j;

	if (ctr_json_parse(&j, doc, strlen(doc)) == 0 && ctr_mounts_read(&j, 0, &m))
		m = NULL;
	ctr_json_free(&j);
	return m;
}

/* A Mounts array of @n mounts, the k-th with a source of @srclen bytes
 * ("/s<k>" padded with 'x') and destination "/d<k>". Caller frees. */
static char *mounts_doc(unsigned n, size_t srclen)
{
	size_t cap = 64 + n * (srclen + 96), len = 0;
	char *d = malloc(cap);
	unsigned k;

	if (!d)
		return NULL;
	len += (size_t)snprintf(d + len, cap - len, "[");
	for (k = 0; k < n; k++) {
		size_t sl;

		len += (size_t)snprintf(d + len, cap - len, "%s{\"Source\":\"", k ? "," : "");
		sl = (size_t)snprintf(d + len, cap - len, "/s%u", k);
		for (len += sl; sl < srclen; sl++)
			d[len++] = 'x';
		len += (size_t)snprintf(d + len, cap - len,
					"\",\"Destination\":\"/d%u\",\"RW\":true}", k);
	}
	snprintf(d + len, cap - len, "]");
	return d;
}

/* What the readers make of Mounts arrays, odd ones and ones past the bounds. */
T_TEST(t_mounts_read)
{
	static const char odd[] =
		"[1,{\"Source\":\"/a\\u00e9\\/b\",\"Destination\":\"/d\",\"RW\":\"yes\","
		"\"Mode\":\"ro\"},null,{},{\"Source\":7,\"RW\":true,\"Propagation\":\"shared\"}]";
	struct proc_ctr_mounts *m;
	struct proc_ctr_info c;
	char ref[80], err[256], *doc;
	unsigned k;

	/* the inspect reply */
	T_EQ_INT(ctr_docker_inspect(inspect1, sizeof(inspect1) - 1, &c, ref, err, sizeof(err)), 0);
	T_CHECK(c.mounts);
	T_EQ_INT(c.mounts->n, 3);
	T_EQ_INT(c.mounts->dropped, 0);
	T_EQ_INT(c.mounts->refs, 1);
	T_EQ_STR(c.mounts->m[0].source, "/proc");
	T_EQ_STR(c.mounts->m[0].dest, "/host/proc");
	T_EQ_STR(c.mounts->m[0].mode, "ro");
	T_EQ_STR(c.mounts->m[0].propagation, "rprivate");
	T_CHECK(!c.mounts->m[0].rdwr);
	T_EQ_STR(c.mounts->m[1].mode, "");
	T_CHECK(c.mounts->m[1].rdwr);
	T_EQ_STR(c.mounts->m[2].source, "/var/lib/docker/volumes/cache/_data");
	T_EQ_STR(c.mounts->m[2].propagation, "");
	proc_ctr_info_fini(&c);
	T_CHECK(!c.mounts);
	proc_ctr_info_fini(&c); /* twice: nothing */
	/* no Mounts, or not an array, or empty: none */
	T_EQ_INT(ctr_docker_inspect(inspect2, sizeof(inspect2) - 1, &c, ref, err, sizeof(err)), 0);
	T_CHECK(!c.mounts);
	T_CHECK(!mounts_of("[]"));
	T_CHECK(!mounts_of("{\"Source\":\"/x\"}"));
	T_CHECK(!mounts_of("[1,\"x\",null]"));
	/* non-objects skipped; escapes decoded; missing or mistyped members
	 * empty, RW false unless the JSON true */
	m = mounts_of(odd);
	T_CHECK(m);
	T_EQ_INT(m->n, 3);
	T_EQ_STR(m->m[0].source, "/a\xc3\xa9/b");
	T_EQ_STR(m->m[0].dest, "/d");
	T_EQ_STR(m->m[0].mode, "ro");
	T_CHECK(!m->m[0].rdwr);
	T_EQ_STR(m->m[1].source, "");
	T_EQ_STR(m->m[1].dest, "");
	T_EQ_STR(m->m[2].source, "");
	T_EQ_STR(m->m[2].propagation, "shared");
	T_CHECK(m->m[2].rdwr);
	ctr_mounts_drop(m);
	/* past PROC_CTR_MOUNTS_MAX: the first ones kept in order, the rest
	 * counted */
	doc = mounts_doc(PROC_CTR_MOUNTS_MAX + 36, 0);
	T_CHECK(doc);
	m = mounts_of(doc);
	free(doc);
	T_CHECK(m);
	T_EQ_INT(m->n, PROC_CTR_MOUNTS_MAX);
	T_EQ_INT(m->dropped, 36);
	for (k = 0; k < m->n; k++) {
		char want[16];

		snprintf(want, sizeof(want), "/d%u", k);
		if (strcmp(m->m[k].dest, want))
			T_FAIL("mount %u: dest %s", k, m->m[k].dest);
	}
	T_CHECK(m->size <= PROC_CTR_MOUNTS_BYTES);
	ctr_mounts_drop(m);
	/* past PROC_CTR_MOUNTS_BYTES: whole mounts only, up to the first that
	 * does not fit; the small ones after it are not kept either (numbers
	 * stay the runtime's) */
	doc = mounts_doc(8, 3000);
	T_CHECK(doc);
	m = mounts_of(doc);
	free(doc);
	T_CHECK(m);
	T_EQ_INT(m->n, 5);
	T_EQ_INT(m->dropped, 3);
	T_CHECK(m->size <= PROC_CTR_MOUNTS_BYTES);
	T_EQ_INT(strlen(m->m[4].source), 3000);
	T_EQ_STR(m->m[4].dest, "/d4");
	ctr_mounts_drop(m);
	/* one mount bigger than the bound: none kept, said */
	doc = mounts_doc(2, PROC_CTR_MOUNTS_BYTES);
	T_CHECK(doc);
	m = mounts_of(doc);
	free(doc);
	T_CHECK(m);
	T_EQ_INT(m->n, 0);
	T_EQ_INT(m->dropped, 2);
	ctr_mounts_drop(m);
}

/* The container event of a docker container @id12 with Mounts @mounts. */
static int put_event(struct env *e, const char *id12, const char *mounts)
{
	char json[8000];
	struct proc_evt_ref ref;
	const struct evt *ev;
	int rc;

	snprintf(json, sizeof(json),
		 "{\"container\":{\"Mounts\":%s,\"id\":\"%s\",\"name\":\"c-%s\","
		 "\"image\":\"alpine\",\"privileged\":false,\"type\":0}}",
		 mounts, id12, id12);
	evb_begin(&e->b);
	evb_str(&e->b, json);
	ev = evb_end(&e->b, EVT_CONTAINER_JSON_2_E, UINT64_MAX, 10);
	if (!ev)
		return -E2BIG;
	rc = proc_event_apply(e->w, ev, 0, &ref);
	proc_event_done(e->w, &ref);
	proc_worker_quiescent(e->w);
	return rc;
}

/*
 * The fields: a mount by number; by a glob on its source (every field but
 * container.mount.source) or on its destination (container.mount.source);
 * absent on the host, for an unknown container and when nothing is
 * selected; and conditions on them, the sandbox rules' form included.
 */
T_TEST(t_mount_fields)
{
	static const char *const nothing[] = {
		"container.mounts",	    "container.mount[0]",
		"container.mount[/*]",	    "container.mount.source[0]",
		"container.mount.dest[/*]", "container.mount.mode[0]",
		"container.mount.rdwr[/*]", "container.mount.propagation[0]",
	};
	struct proc_upd_stats us;
	struct proc_evt_ref ref;
	const struct evt *ev;
	struct env e;
	char *doc;
	size_t i;

	if (env_init(&e) < 0)
		T_FAIL("env");
	T_EQ_INT(env_proc(&e, 100, "0::/system.slice/docker-" ID1 ".scope"), 0);
	T_EQ_INT(env_proc(&e, 200, "cpu=/docker/" ID2), 0);
	T_EQ_INT(env_proc(&e, 300, "0::/user.slice/user-1000.slice/session-1.scope"), 0);
	T_EQ_INT(env_proc(&e, 400, "0::/system.slice/docker-" ID3 ".scope"), 0);
	T_EQ_INT(put_event(&e, "3c2fd1ba09e7", MOUNTS_JSON), 0);
	/* db: the old container event, which says nothing of mounts */
	evb_begin(&e.b);
	evb_str(&e.b, "9f8e7d6c5b4a");
	evb_u32(&e.b, 0);
	evb_str(&e.b, "db");
	evb_str(&e.b, "redis");
	ev = evb_end(&e.b, EVT_CONTAINER_E, UINT64_MAX, 11);
	T_CHECK(ev);
	T_EQ_INT(proc_event_apply(e.w, ev, 0, &ref), 0);
	proc_event_done(e.w, &ref);
	proc_worker_quiescent(e.w);

	/* all of them, and one by number */
	T_FIELD(&e, 100, "container.mounts", MOUNTS_STR);
	T_FIELD(&e, 100, "container.mount[0]", "/proc:/host/proc:ro:false:rprivate");
	T_FIELD(&e, 100, "container.mount[2]",
		"/var/lib/docker/volumes/cache/_data:/var/cache/nginx:z:true:");
	T_FIELD(&e, 100, "container.mount[3]", "<NA>");
	T_FIELD(&e, 100, "container.mount[999999999]", "<NA>");
	T_FIELD(&e, 100, "container.mount.source[1]", "/var/run/docker.sock");
	T_FIELD(&e, 100, "container.mount.dest[1]", "/run/docker.sock");
	T_FIELD(&e, 100, "container.mount.mode[0]", "ro");
	T_FIELD(&e, 100, "container.mount.mode[1]", "");
	T_FIELD(&e, 100, "container.mount.rdwr[0]", "false");
	T_FIELD(&e, 100, "container.mount.rdwr[1]", "true");
	T_FIELD(&e, 100, "container.mount.propagation[1]", "rslave");
	T_FIELD(&e, 100, "container.mount.propagation[2]", "");
	/* by a glob on the source: the first that matches */
	T_FIELD(&e, 100, "container.mount[/var/run/*]",
		"/var/run/docker.sock:/run/docker.sock::true:rslave");
	T_FIELD(&e, 100, "container.mount[/proc]", "/proc:/host/proc:ro:false:rprivate");
	T_FIELD(&e, 100, "container.mount[/host/proc]", "<NA>"); /* a destination */
	T_FIELD(&e, 100, "container.mount.dest[/proc*]", "/host/proc");
	T_FIELD(&e, 100, "container.mount.dest[/*]", "/host/proc");
	T_FIELD(&e, 100, "container.mount.dest[/var/run/docker.soc?]", "/run/docker.sock");
	T_FIELD(&e, 100, "container.mount.dest[/var/lib/docker/volumes/*/_data]",
		"/var/cache/nginx");
	T_FIELD(&e, 100, "container.mount.dest[/run/docker.sock]", "<NA>"); /* a destination */
	T_FIELD(&e, 100, "container.mount.mode[/var/lib/*]", "z");
	T_FIELD(&e, 100, "container.mount.rdwr[/var/run/docker.sock]", "true");
	T_FIELD(&e, 100, "container.mount.rdwr[/proc]", "false");
	T_FIELD(&e, 100, "container.mount.propagation[/proc]", "rprivate");
	T_FIELD(&e, 100, "container.mount.propagation[/nowhere*]", "<NA>");
	/* container.mount.source: by a glob on the destination */
	T_FIELD(&e, 100, "container.mount.source[/host/*]", "/proc");
	T_FIELD(&e, 100, "container.mount.source[/run/docker.sock]", "/var/run/docker.sock");
	T_FIELD(&e, 100, "container.mount.source[/var/cache/[n]ginx]",
		"/var/lib/docker/volumes/cache/_data");
	T_FIELD(&e, 100, "container.mount.source[/proc]", "<NA>");		  /* a source */
	T_FIELD(&e, 100, "container.mount.source[/var/run/docker.sock]", "<NA>"); /* a source */
	/* no value: on the host, for an unknown container; a container with
	 * no mounts has an empty list and no mount */
	for (i = 0; i < sizeof(nothing) / sizeof(nothing[0]); i++) {
		T_FIELD(&e, 300, nothing[i], "<NA>");
		T_FIELD(&e, 400, nothing[i], "<NA>");
		if (i)
			T_FIELD(&e, 200, nothing[i], "<NA>");
	}
	T_FIELD(&e, 200, "container.mounts", "");

	/* conditions: only the container with such a mount has the value */
	T_EQ_INT(holds(&e, 100, "container.mount.dest[/proc*] exists"), 1);
	T_EQ_INT(holds(&e, 200, "container.mount.dest[/proc*] exists"), 0);
	T_EQ_INT(holds(&e, 300, "container.mount.dest[/proc*] exists"), 0);
	T_EQ_INT(holds(&e, 400, "container.mount.dest[/proc*] exists"), 0);
	T_EQ_INT(holds(&e, 100, "container.mount.dest[/proc*] != \"N/A\""), 1);
	T_EQ_INT(holds(&e, 200, "container.mount.dest[/proc*] != \"N/A\""), 0);
	T_EQ_INT(holds(&e, 300, "container.mount.dest[/proc*] != \"N/A\""), 0);
	T_EQ_INT(holds(&e, 400, "container.mount.dest[/proc*] != \"N/A\""), 0);
	/* the sandbox rules' form: never the string <NA> or N/A, so the check
	 * is false everywhere and its negation true everywhere, as in libs,
	 * where a check on an absent field is false and `not` turns it true */
	for (i = 100; i <= 400; i += 100) {
		T_EQ_INT(holds(&e, i, "container.mount.dest[/proc*] in (\"<NA>\",\"N/A\")"), 0);
		T_EQ_INT(holds(&e, i, "not container.mount.dest[/proc*] in (\"<NA>\",\"N/A\")"), 1);
	}
	/* guarded by the value's presence, it holds for that container only */
	for (i = 100; i <= 400; i += 100)
		T_EQ_INT(holds(&e, i,
			       "container.mount.dest[/proc*] exists and not "
			       "container.mount.dest[/proc*] in (\"<NA>\",\"N/A\")"),
			 i == 100);
	T_EQ_INT(holds(&e, 100,
		       "container.mount.dest[/var/run/docker.sock] = /run/docker.sock and "
		       "container.mount.rdwr[/var/run/docker.sock] = true"),
		 1);
	T_EQ_INT(holds(&e, 100, "container.mount.source[/host/proc] = /proc"), 1);
	T_EQ_INT(holds(&e, 100, "container.mounts contains \"/proc:/host/proc:ro\""), 1);
	T_EQ_INT(holds(&e, 100, "container.mount.dest[/etc*] exists"), 0);
	T_EQ_INT(holds(&e, 100, "container.mount.dest exists"), -1);

	/* a later event replaces the mounts (the old block goes with the old
	 * snapshot) */
	T_EQ_INT(put_event(&e, "3c2fd1ba09e7",
			   "[{\"Source\":\"/etc\",\"Destination\":\"/host/etc\",\"RW\":true}]"),
		 0);
	T_FIELD(&e, 100, "container.mounts", "/etc:/host/etc::true:");
	T_FIELD(&e, 100, "container.mount.dest[/proc*]", "<NA>");
	/* a capture's list past the bounds: the first kept, counted */
	proc_upd_stats(e.t, &us);
	T_EQ_INT(us.ctr_mounts_cut, 0);
	doc = mounts_doc(PROC_CTR_MOUNTS_MAX + 1, 0);
	T_CHECK(doc);
	T_EQ_INT(put_event(&e, "3c2fd1ba09e7", doc), 0);
	free(doc);
	proc_upd_stats(e.t, &us);
	T_EQ_INT(us.ctr_mounts_cut, 1);
	T_FIELD(&e, 100, "container.mount.dest[63]", "/d63");
	T_FIELD(&e, 100, "container.mount.dest[64]", "<NA>");
	T_FIELD(&e, 100, "container.mount.dest[/s64]", "<NA>");
	env_fini(&e);
}

/*
 * Readers against a writer: one thread keeps replacing a container's mounts
 * (two lists in turn) while this one reads them between quiescent states.
 * Every read sees one list or the other, whole; freed blocks are poisoned,
 * so a block freed too early shows (and ASan, TSan see it too).
 */
struct churn {
	struct proc_table *t;
	atomic_int done;
	int puts, err;
};

static void *churn_main(void *arg)
{
	static const char *const docs[2] = {
		"{\"container\":{\"id\":\"3c2fd1ba09e7\",\"type\":0,\"Mounts\":[{\"Source\":"
		"\"/proc\",\"Destination\":\"/host/proc\",\"Mode\":\"ro\",\"RW\":false}]}}",
		"{\"container\":{\"id\":\"3c2fd1ba09e7\",\"type\":0,\"Mounts\":[{\"Source\":"
		"\"/etc\",\"Destination\":\"/host/etc\",\"Mode\":\"rw\",\"RW\":true}]}}",
	};
	struct churn *ch = arg;
	struct proc_worker *w = proc_worker_register(ch->t);
	int i;

	if (!w) {
		ch->err = -ENOSPC;
		atomic_store(&ch->done, 1);
		return NULL;
	}
	for (i = 0; i < 3000 && !ch->err; i++) {
		struct proc_ctr_info c;

		if (ctr_capture_json(docs[i & 1], strlen(docs[i & 1]), &c, NULL, 0) ||
		    proc_ctr_put(ch->t, &c, 1))
			ch->err = -EINVAL;
		proc_ctr_info_fini(&c);
		proc_worker_quiescent(w);
		ch->puts++;
	}
	atomic_store(&ch->done, 1);
	proc_worker_unregister(w);
	return NULL;
}

T_TEST(t_mounts_concurrent)
{
	struct proc_config cfg = {.poison = 1};
	struct churn ch = {0};
	pthread_t th;
	struct env e;
	long reads = 0, seen[2] = {0, 0};

	if (env_init_cfg(&e, &cfg) < 0)
		T_FAIL("env");
	T_EQ_INT(env_proc(&e, 100, "0::/system.slice/docker-" ID1 ".scope"), 0);
	ch.t = e.t;
	T_EQ_INT(pthread_create(&th, NULL, churn_main, &ch), 0);
	while (!atomic_load(&ch.done) || reads < 1000) {
		char b[256];

		fx(&e, 100, "container.mount[0]", b, sizeof(b));
		if (!strcmp(b, "/proc:/host/proc:ro:false:"))
			seen[0]++;
		else if (!strcmp(b, "/etc:/host/etc:rw:true:"))
			seen[1]++;
		else if (strcmp(b, "<NA>"))
			T_FAIL("read %ld: container.mount[0] = \"%s\"", reads, b);
		if (++reads % 8 == 0)
			proc_worker_quiescent(e.w);
	}
	pthread_join(th, NULL);
	T_EQ_INT(ch.err, 0);
	T_EQ_INT(ch.puts, 3000);
	T_CHECK(seen[0] + seen[1] > 0);
	env_fini(&e);
}

/* A runtime that lists more mounts than the bounds keep: the first are
 * seen, and the client says so once, naming the container. */
T_TEST(t_client_mounts_cut)
{
	char *doc = mounts_doc(PROC_CTR_MOUNTS_MAX + 6, 0), *insp;
	struct proc_ctr_client *cl;
	struct fake f;
	struct env e;
	size_t cap;

	T_CHECK(doc);
	cap = strlen(doc) + 256;
	insp = malloc(cap);
	T_CHECK(insp);
	snprintf(insp, cap, "{\"Id\":\"" ID1 "\",\"Name\":\"/web\",\"Mounts\":%s}", doc);
	free(doc);
	if (fake_start2(&f, FAKE_LENGTH, insp) < 0)
		T_FAIL("fake server: %s", strerror(errno));
	if (env_init(&e) < 0)
		T_FAIL("env");
	T_EQ_INT(env_proc(&e, 100, "0::/system.slice/docker-" ID1 ".scope"), 0);
	cl = client_on(&e, f.path, 2000);
	T_CHECK(cl);
	T_CHECK(wait_known(&e, "3c2fd1ba09e7"));
	T_FIELD(&e, 100, "container.mount.dest[0]", "/d0");
	T_FIELD(&e, 100, "container.mount.dest[63]", "/d63");
	T_FIELD(&e, 100, "container.mount.dest[64]", "<NA>");
	T_FIELD(&e, 100, "container.mount.dest[/s69]", "<NA>");
	proc_ctr_client_stop(cl);
	/* "runtime ... 2 running containers", then the mounts, once */
	T_EQ_INT(log_count(&e.log), 2);
	if (!strstr(e.log.last, "container 3c2fd1ba09e7 (web): 64 of its 70 mounts kept"))
		T_FAIL("message \"%s\"", e.log.last);
	env_fini(&e);
	fake_stop(&f);
	free(insp);
}

int main(void)
{
	T_RUN(t_json);
	T_RUN(t_json_hostile);
	T_RUN(t_http_scan);
	T_RUN(t_image_split);
	T_RUN(t_inspect_podman);
	T_RUN(t_capture_event);
	T_RUN(t_mounts_read);
	T_RUN(t_mount_fields);
	T_RUN(t_mounts_concurrent);
	T_RUN(t_client_content_length);
	T_RUN(t_client_chunked);
	T_RUN(t_client_absent);
	T_RUN(t_client_garbage);
	T_RUN(t_client_bad_json);
	T_RUN(t_client_silent);
	T_RUN(t_client_mounts_cut);
	return T_DONE();
}
