/*
 * container_rt.c - container names and images from the container runtime:
 * the cache workers read, and the one background thread that fills it by
 * asking Docker (or podman's Docker-compatible service) over a unix socket.
 *
 * The cgroup path gives a process's container id (container.c); everything
 * else a rule may ask about a container (name, image, privileged, mounts)
 * only the runtime knows. Asking it is slow (a socket round trip,
 * milliseconds) and may fail in every way outside input can, so workers
 * never do: they read an immutable snapshot (state.h, "container metadata",
 * has the contract) and a miss merely leaves the id in a request word for
 * this file's thread.
 *
 * HOW IT WORKS
 *   worker: lookup(id) -> snapshot hit: the entry | miss: ctr_want = id (if 0)
 *   client thread, every 50 ms:
 *     due = first run | periodic refresh | ctr_want set (rate-limited) |
 *           an unknown id's retry time
 *     refresh: per socket GET /containers/json; for each container not
 *       cached: GET /containers/<id>/json (name, image, privileged, start,
 *       mounts: one block per container, shared by reference, see state.h),
 *       GET /images/<ref>/json when the digest or tag is not in the
 *       reference; drop containers not listed for a minute; the missed id,
 *       if still unknown, is cached as unknown and retried with a backoff
 *     publish: a new snapshot (release store), the old one freed after a
 *       grace period (call_rcu)
 *   Every request has one deadline (timeout_ms) over connect, write and
 *   read, and a size bound; the reply is HTTP/1.1 with Content-Length,
 *   chunked (what dockerd sends) or until EOF.
 *
 * Field semantics follow libs' docker engine (container/docker async
 * source and sinsp_utils::split_container_image); see ctr_docker_inspect.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "state/ctr_int.h"
#include "state/state_int.h"
#include "lib/ascii.h"

/* ---- the cache ---------------------------------------------------------- */

#define CTR_F_UNKNOWN 1u /* no runtime knows this id (yet) */

struct ctr_slot {
	uint64_t key; /* ctr_key(info.id); 0 = empty slot */
	uint32_t flags;
	struct proc_ctr_info info;
};

struct ctr_snap {
	struct rcu_head rcu;
	uint32_t cap; /* power of two, at least twice n */
	uint32_t n;
	struct ctr_slot slots[];
};

uint64_t ctr_key(const char *id)
{
	uint64_t k = 0;
	unsigned i;

	for (i = 0; i < PROC_CONTAINER_ID_LEN; i++) {
		char c = id[i];
		unsigned v;

		if (c >= '0' && c <= '9')
			v = (unsigned)(c - '0');
		else if (c >= 'a' && c <= 'f')
			v = (unsigned)(c - 'a' + 10);
		else
			return 0;
		k = k << 4 | v;
	}
	return k | 1ull << 63; /* never 0: 0 marks an empty slot */
}

static uint32_t key_hash(uint64_t k)
{
	return (uint32_t)((k * 0x9e3779b97f4a7c15ull) >> 32);
}

static const struct ctr_slot *snap_find(const struct ctr_snap *s, uint64_t key)
{
	uint32_t i;

	if (!s)
		return NULL;
	for (i = key_hash(key) & (s->cap - 1); s->slots[i].key; i = (i + 1) & (s->cap - 1))
		if (s->slots[i].key == key)
			return &s->slots[i];
	return NULL;
}

/* ---- mounts blocks (state.h: "Mounts vary in number and length") -------- */

void ctr_mounts_hold(struct proc_ctr_mounts *m)
{
	if (m)
		__atomic_add_fetch(&m->refs, 1, __ATOMIC_RELAXED);
}

void ctr_mounts_drop(struct proc_ctr_mounts *m)
{
	/* acq_rel: whoever frees sees every holder's use before its drop */
	if (m && __atomic_sub_fetch(&m->refs, 1, __ATOMIC_ACQ_REL) == 0)
		proc_free_poisoned(m, m->size);
}

void proc_ctr_info_fini(struct proc_ctr_info *c)
{
	ctr_mounts_drop(c->mounts);
	c->mounts = NULL;
}

static const char *const mount_keys[4] = {"Source", "Destination", "Mode", "Propagation"};

/* Bytes mount object @e takes in a block: its record and its 4 strings. */
static size_t mount_need(const struct ctr_json *j, int e)
{
	size_t need = sizeof(struct proc_ctr_mount);
	unsigned i;

	for (i = 0; i < 4; i++) {
		long l = ctr_json_strlen(j, ctr_json_get(j, e, mount_keys[i]));

		need += (size_t)(l > 0 ? l : 0) + 1;
	}
	return need;
}

/*
 * Two passes over the array: the first counts the mounts and sizes those
 * that fit the bounds, the second copies them into a block of exactly that
 * size. Strings are decoded straight into the block.
 */
int ctr_mounts_read(const struct ctr_json *j, int arr, struct proc_ctr_mounts **out)
{
	size_t size = sizeof(struct proc_ctr_mounts), total = 0, kept = 0, k;
	struct proc_ctr_mounts *b;
	bool full = false;
	uint32_t i, n;
	char *p;
	int e;

	*out = NULL;
	if (ctr_json_type(j, arr) != CTR_J_ARR)
		return 0;
	n = j->t[arr].n;
	for (i = 0, e = arr + 1; i < n; i++, e = (int)j->t[e].next) {
		size_t need;

		if (ctr_json_type(j, e) != CTR_J_OBJ)
			continue;
		total++;
		if (full)
			continue;
		need = mount_need(j, e);
		if (kept == PROC_CTR_MOUNTS_MAX || size + need > PROC_CTR_MOUNTS_BYTES) {
			full = true; /* this one and the rest: dropped, said by the caller */
			continue;
		}
		size += need;
		kept++;
	}
	if (!total)
		return 0;
	b = malloc(size);
	if (!b)
		return -ENOMEM;
	b->refs = 1;
	b->size = (uint32_t)size;
	b->n = (uint32_t)kept;
	b->dropped = (uint32_t)(total - kept);
	p = (char *)&b->m[kept];
	for (i = 0, k = 0, e = arr + 1; k < kept; i++, e = (int)j->t[e].next) {
		struct proc_ctr_mount *m = &b->m[k];
		const char **dst[4] = {&m->source, &m->dest, &m->mode, &m->propagation};
		unsigned f;

		if (ctr_json_type(j, e) != CTR_J_OBJ)
			continue;
		for (f = 0; f < 4; f++) {
			int tok = ctr_json_get(j, e, mount_keys[f]);
			long l = ctr_json_strlen(j, tok);

			*dst[f] = p;
			if (l > 0)
				ctr_json_str(j, tok, p, (size_t)l + 1);
			else
				*p = '\0';
			p += (l > 0 ? l : 0) + 1;
		}
		m->rdwr = ctr_json_bool(j, ctr_json_get(j, e, "RW")) == 1;
		k++;
	}
	*out = b;
	return 0;
}

/* ---- the cache, continued ------------------------------------------------ */

/* Free a snapshot nobody reads any more, and its references to mounts. */
static void snap_free(struct ctr_snap *s)
{
	uint32_t i;

	if (!s)
		return;
	for (i = 0; i < s->cap; i++)
		if (s->slots[i].key)
			ctr_mounts_drop(s->slots[i].info.mounts);
	free(s);
}

static void snap_free_cb(struct rcu_head *head)
{
	TSAN_GP();
	snap_free(caa_container_of(head, struct ctr_snap, rcu));
}

static struct ctr_snap *snap_new(size_t n)
{
	uint32_t cap = 16;
	struct ctr_snap *s;

	while (cap < n * 2)
		cap *= 2;
	s = calloc(1, sizeof(*s) + (size_t)cap * sizeof(s->slots[0]));
	if (s)
		s->cap = cap;
	return s;
}

static void snap_put(struct ctr_snap *s, uint64_t key, uint32_t flags,
		     const struct proc_ctr_info *info)
{
	uint32_t i = key_hash(key) & (s->cap - 1);

	while (s->slots[i].key && s->slots[i].key != key)
		i = (i + 1) & (s->cap - 1);
	/* this snapshot's reference: taken before the replaced one goes (the
	 * same block, maybe), which an older snapshot still holds anyway */
	ctr_mounts_hold(info->mounts);
	if (!s->slots[i].key)
		s->n++;
	else
		ctr_mounts_drop(s->slots[i].info.mounts);
	s->slots[i].key = key;
	s->slots[i].flags = flags;
	s->slots[i].info = *info;
}

/* Publish s (may be NULL) in place of the current snapshot. Caller holds
 * t->ctr_lock. */
static void snap_publish(struct proc_table *t, struct ctr_snap *s)
{
	struct ctr_snap *old = t->ctr;

	ST_REL(t->ctr, s);
	if (old)
		call_rcu(&old->rcu, snap_free_cb);
}

const struct proc_ctr_info *proc_ctr_lookup(struct proc_worker *w, const char *id)
{
	struct proc_table *t = w->t;
	uint64_t key = ctr_key(id);
	const struct ctr_slot *sl;

	if (!key)
		return NULL;
	sl = snap_find(LD_ACQ(t->ctr), key);
	if (sl)
		return sl->flags & CTR_F_UNKNOWN ? NULL : &sl->info;
	/* test before store: a stream of misses only reads the shared line */
	if (!LD(t->ctr_want))
		ST(t->ctr_want, key);
	return NULL;
}

int proc_ctr_put(struct proc_table *t, const struct proc_ctr_info *c, size_t n)
{
	struct ctr_snap *old, *s;
	size_t i, total;
	int rc = 0;

	pthread_mutex_lock(&t->ctr_lock);
	old = t->ctr;
	total = (old ? old->n : 0) + n;
	if (total > PROC_CTR_MAX)
		total = PROC_CTR_MAX;
	s = snap_new(total);
	if (!s) {
		pthread_mutex_unlock(&t->ctr_lock);
		return -ENOMEM;
	}
	for (i = 0; old && i < old->cap; i++)
		if (old->slots[i].key)
			snap_put(s, old->slots[i].key, old->slots[i].flags, &old->slots[i].info);
	for (i = 0; i < n; i++) {
		uint64_t key = ctr_key(c[i].id);

		if (!key || c[i].id[PROC_CONTAINER_ID_LEN])
			continue;
		if (s->n >= PROC_CTR_MAX && !snap_find(s, key)) {
			rc = -ENOSPC;
			continue;
		}
		snap_put(s, key, 0, &c[i]);
	}
	snap_publish(t, s);
	pthread_mutex_unlock(&t->ctr_lock);
	return rc;
}

void proc_ctr_free_all(struct proc_table *t)
{
	snap_free(t->ctr);
	t->ctr = NULL;
}

/* ---- small string helpers ------------------------------------------------ */

static void cpy(char *dst, size_t cap, const char *src, size_t len)
{
	if (!cap)
		return;
	if (len > cap - 1)
		len = cap - 1;
	memcpy(dst, src, len);
	dst[len] = '\0';
}

static void cpyz(char *dst, size_t cap, const char *src)
{
	cpy(dst, cap, src, strlen(src));
}

static bool is_hex64(const char *s)
{
	return ascii_is_lower_hex(s, 64) && s[64] == '\0';
}

static void seterr(char *err, size_t errlen, const char *what, const char *why)
{
	if (err && errlen)
		snprintf(err, errlen, "%s: %s", what, why);
}

/* ---- HTTP/1.1 responses --------------------------------------------------- */

static const char *find_crlf(const char *s, size_t len)
{
	const char *p = s;

	while ((p = memchr(p, '\r', len - (size_t)(p - s))) != NULL) {
		if ((size_t)(p - s) + 1 < len && p[1] == '\n')
			return p;
		p++;
		if ((size_t)(p - s) >= len)
			break;
	}
	return NULL;
}

static bool header_is(const char *line, size_t len, const char *name, const char **val,
		      size_t *vlen)
{
	size_t n = strlen(name);

	if (len <= n || strncasecmp(line, name, n) || line[n] != ':')
		return false;
	line += n + 1;
	len -= n + 1;
	while (len && (*line == ' ' || *line == '\t')) {
		line++;
		len--;
	}
	while (len && (line[len - 1] == ' ' || line[len - 1] == '\t'))
		len--;
	*val = line;
	*vlen = len;
	return true;
}

/* Walk the chunks from buf[pos]; 1 complete (*end, *total set), 0 more
 * needed, <0 malformed. */
static int scan_chunks(const char *buf, size_t len, size_t pos, size_t *end, size_t *total,
		       const char **msg)
{
	size_t sum = 0;

	for (;;) {
		const char *eol = pos < len ? find_crlf(buf + pos, len - pos) : NULL;
		size_t size = 0, i, digits = 0;

		if (!eol)
			return len - pos > 1024 ? (*msg = "chunk size line too long", -EBADMSG) : 0;
		for (i = pos; buf + i < eol; i++) {
			char c = buf[i];
			int v = ascii_hexval(c);

			if (v < 0)
				break;
			if (++digits > 8)
				return *msg = "chunk size too large", -EFBIG;
			size = size * 16 + (size_t)v;
		}
		if (!digits || (buf + i < eol && buf[i] != ';' && buf[i] != ' '))
			return *msg = "bad chunk size", -EBADMSG;
		pos = (size_t)(eol - buf) + 2;
		if (size == 0) {
			/* trailers, then an empty line */
			for (;;) {
				eol = pos < len ? find_crlf(buf + pos, len - pos) : NULL;
				if (!eol)
					return len - pos > CTR_HTTP_MAX_HEAD
						       ? (*msg = "trailers too long", -EFBIG)
						       : 0;
				if (eol == buf + pos) {
					*end = pos + 2;
					*total = sum;
					return 1;
				}
				pos = (size_t)(eol - buf) + 2;
			}
		}
		sum += size;
		if (sum > CTR_HTTP_MAX_BODY)
			return *msg = "reply body too large", -EFBIG;
		if (len - pos < size + 2)
			return 0;
		if (buf[pos + size] != '\r' || buf[pos + size + 1] != '\n')
			return *msg = "chunk not followed by CRLF", -EBADMSG;
		pos += size + 2;
	}
}

int ctr_http_scan(const char *buf, size_t len, bool eof, struct ctr_http_resp *r, const char **msg)
{
	const char *hend = NULL, *line, *eol;
	size_t i, lim = len < CTR_HTTP_MAX_HEAD ? len : CTR_HTTP_MAX_HEAD;
	const char *dummy;

	if (!msg)
		msg = &dummy;
	memset(r, 0, sizeof(*r));
	for (i = 0; i + 3 < lim; i++)
		if (buf[i] == '\r' && buf[i + 1] == '\n' && buf[i + 2] == '\r' &&
		    buf[i + 3] == '\n') {
			hend = buf + i;
			break;
		}
	if (len >= 5 && memcmp(buf, "HTTP/", 5))
		return *msg = "not an HTTP reply", -EBADMSG;
	if (!hend) {
		if (len >= CTR_HTTP_MAX_HEAD)
			return *msg = "reply headers too long", -EFBIG;
		return eof ? (*msg = "connection closed inside the headers", -EBADMSG) : 0;
	}
	r->head_len = (size_t)(hend - buf) + 4;
	/* status line: HTTP/1.x SSS reason */
	if (r->head_len < 16 || memcmp(buf, "HTTP/1.", 7) || buf[8] != ' ' || buf[9] < '1' ||
	    buf[9] > '5' || buf[10] < '0' || buf[10] > '9' || buf[11] < '0' || buf[11] > '9' ||
	    (buf[12] != ' ' && buf[12] != '\r'))
		return *msg = "bad status line", -EBADMSG;
	r->status = (buf[9] - '0') * 100 + (buf[10] - '0') * 10 + (buf[11] - '0');
	line = find_crlf(buf, r->head_len) + 2;
	while (line < hend + 2) {
		const char *v;
		size_t vlen, n;

		eol = find_crlf(line, (size_t)(hend + 2 - line));
		if (!eol || eol == line)
			break;
		n = (size_t)(eol - line);
		if (header_is(line, n, "Content-Length", &v, &vlen)) {
			size_t cl = 0, k;

			if (!vlen || vlen > 12)
				return *msg = "bad Content-Length", -EBADMSG;
			for (k = 0; k < vlen; k++) {
				if (v[k] < '0' || v[k] > '9')
					return *msg = "bad Content-Length", -EBADMSG;
				cl = cl * 10 + (size_t)(v[k] - '0');
			}
			if (cl > CTR_HTTP_MAX_BODY)
				return *msg = "reply body too large", -EFBIG;
			r->has_length = true;
			r->body_len = cl;
		} else if (header_is(line, n, "Transfer-Encoding", &v, &vlen)) {
			if (vlen >= 7 && !strncasecmp(v + vlen - 7, "chunked", 7))
				r->chunked = true;
			else
				return *msg = "unsupported Transfer-Encoding", -EBADMSG;
		}
		line = eol + 2;
	}
	if (r->status < 200 || r->status == 204 || r->status == 304) {
		r->body_len = 0;
		r->msg_len = r->head_len;
		r->chunked = r->has_length = false;
		return 1;
	}
	if (r->chunked) {
		size_t end, total;
		int rc = scan_chunks(buf, len, r->head_len, &end, &total, msg);

		if (rc == 0 && eof)
			return *msg = "connection closed inside a chunk", -EBADMSG;
		if (rc <= 0)
			return rc;
		r->msg_len = end;
		r->body_len = total;
		return 1;
	}
	if (r->has_length) {
		if (len - r->head_len >= r->body_len) {
			r->msg_len = r->head_len + r->body_len;
			return 1;
		}
		return eof ? (*msg = "connection closed before Content-Length bytes", -EBADMSG) : 0;
	}
	if (len - r->head_len > CTR_HTTP_MAX_BODY)
		return *msg = "reply body too large", -EFBIG;
	if (!eof)
		return 0;
	r->body_len = len - r->head_len;
	r->msg_len = len;
	return 1;
}

char *ctr_http_body(char *buf, struct ctr_http_resp *r)
{
	char *body = buf + r->head_len;
	size_t pos = r->head_len, out = 0;

	if (!r->chunked)
		return body;
	/* validated by ctr_http_scan: sizes are hex, chunks end in CRLF */
	for (;;) {
		const char *eol = find_crlf(buf + pos, r->msg_len - pos);
		size_t size = strtoul(buf + pos, NULL, 16);

		pos = (size_t)(eol - buf) + 2;
		if (!size)
			break;
		memmove(body + out, buf + pos, size);
		out += size;
		pos += size + 2;
	}
	r->body_len = out;
	return body;
}

/* ---- one request over a unix socket, with a deadline --------------------- */

static uint64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* Wait for @ev on fd until the deadline. 0, -ETIMEDOUT, -errno. */
static int wait_fd(int fd, short ev, uint64_t deadline)
{
	for (;;) {
		uint64_t now = mono_ms();
		struct pollfd p = {.fd = fd, .events = ev};
		int rc;

		if (now >= deadline)
			return -ETIMEDOUT;
		rc = poll(&p, 1, (int)(deadline - now));
		if (rc > 0)
			return 0;
		if (rc == 0)
			return -ETIMEDOUT;
		if (errno != EINTR)
			return -errno;
	}
}

struct ctr_buf {
	char *p;
	size_t cap;
};

/*
 * GET @url from the socket at @path. On 0, *body / *body_len is the reply
 * body (inside b, NUL-terminated) and *status its HTTP status. -errno with
 * the reason in err otherwise.
 */
static int http_get(const char *path, const char *url, unsigned timeout_ms, struct ctr_buf *b,
		    int *status, char **body, size_t *body_len, char *err, size_t errlen)
{
	uint64_t deadline = mono_ms() + timeout_ms;
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	struct ctr_http_resp r;
	char req[512];
	size_t len = 0, reqlen, off = 0;
	const char *msg = "";
	int fd, rc;

	rc = snprintf(req, sizeof(req),
		      "GET %s HTTP/1.1\r\nHost: localhost\r\nUser-Agent: peregrine\r\n"
		      "Accept: application/json\r\nConnection: close\r\n\r\n",
		      url);
	if (rc < 0 || (size_t)rc >= sizeof(req))
		return seterr(err, errlen, "request", "URL too long"), -EINVAL;
	reqlen = (size_t)rc;
	cpyz(sa.sun_path, sizeof(sa.sun_path), path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return rc = -errno, seterr(err, errlen, "socket", strerror(-rc)), rc;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		int se = 0;
		socklen_t sl = sizeof(se);

		rc = -errno;
		if (rc == -EINPROGRESS || rc == -EAGAIN) {
			rc = wait_fd(fd, POLLOUT, deadline);
			if (!rc && getsockopt(fd, SOL_SOCKET, SO_ERROR, &se, &sl) == 0 && se)
				rc = -se;
		}
		if (rc) {
			seterr(err, errlen, "connect",
			       rc == -ETIMEDOUT ? "timed out" : strerror(-rc));
			goto out_close;
		}
	}
	while (off < reqlen) {
		ssize_t n = send(fd, req + off, reqlen - off, MSG_NOSIGNAL);

		if (n > 0) {
			off += (size_t)n;
			continue;
		}
		rc = n < 0 && (errno == EAGAIN || errno == EINTR) ? wait_fd(fd, POLLOUT, deadline)
								  : -errno;
		if (rc) {
			seterr(err, errlen, "send", rc == -ETIMEDOUT ? "timed out" : strerror(-rc));
			goto out_close;
		}
	}
	for (;;) {
		ssize_t n;

		if (b->cap - len < 4096 + 1) {
			size_t ncap = b->cap ? b->cap * 2 : 65536;
			char *p;

			if (ncap > CTR_HTTP_MAX_HEAD + CTR_HTTP_MAX_BODY + 65536)
				ncap = CTR_HTTP_MAX_HEAD + CTR_HTTP_MAX_BODY + 65536;
			if (ncap - len < 4096 + 1) {
				rc = -EFBIG;
				seterr(err, errlen, "reply", "too large");
				goto out_close;
			}
			p = realloc(b->p, ncap);
			if (!p) {
				rc = -ENOMEM;
				seterr(err, errlen, "reply", strerror(ENOMEM));
				goto out_close;
			}
			b->p = p;
			b->cap = ncap;
		}
		n = recv(fd, b->p + len, b->cap - len - 1, 0);
		if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
			rc = wait_fd(fd, POLLIN, deadline);
			if (rc) {
				seterr(err, errlen, "reply",
				       rc == -ETIMEDOUT ? "timed out" : strerror(-rc));
				goto out_close;
			}
			continue;
		}
		if (n < 0) {
			rc = -errno;
			seterr(err, errlen, "recv", strerror(-rc));
			goto out_close;
		}
		len += (size_t)n;
		rc = ctr_http_scan(b->p, len, n == 0, &r, &msg);
		if (rc < 0) {
			seterr(err, errlen, "reply is not valid HTTP", msg);
			goto out_close;
		}
		if (rc == 1)
			break;
	}
	*body = ctr_http_body(b->p, &r);
	(*body)[r.body_len] = '\0';
	*body_len = r.body_len;
	*status = r.status;
	rc = 0;
out_close:
	close(fd);
	return rc;
}

/* ---- Docker Engine API replies ----------------------------------------- */

static int parse_json(struct ctr_json *j, const char *s, size_t len, enum ctr_jtype want, char *err,
		      size_t errlen)
{
	int rc = ctr_json_parse(j, s, len);

	if (rc < 0) {
		seterr(err, errlen, "reply is not valid JSON", j->err[0] ? j->err : strerror(-rc));
		return rc;
	}
	if (ctr_json_type(j, 0) != want) {
		seterr(err, errlen, "reply",
		       want == CTR_J_ARR ? "not a JSON array" : "not a JSON object");
		return -EINVAL;
	}
	return 0;
}

int ctr_docker_list(const char *body, size_t len, struct ctr_listed *out, size_t max, size_t *n,
		    char *err, size_t errlen)
{
	struct ctr_json j;
	uint32_t i;
	int rc, e;

	*n = 0;
	rc = parse_json(&j, body, len, CTR_J_ARR, err, errlen);
	if (rc < 0)
		goto out;
	for (i = 0, e = 1; i < j.t[0].n && *n < max; i++, e = (int)j.t[e].next) {
		struct ctr_listed *l = &out[*n];

		memset(l, 0, sizeof(*l));
		ctr_json_str(&j, ctr_json_get(&j, e, "Id"), l->full_id, sizeof(l->full_id));
		if (!is_hex64(l->full_id))
			continue;
		ctr_json_str(&j, ctr_json_at(&j, ctr_json_get(&j, e, "Names"), 0), l->name,
			     sizeof(l->name));
		if (l->name[0] == '/')
			memmove(l->name, l->name + 1, strlen(l->name));
		ctr_json_str(&j, ctr_json_get(&j, e, "ImageID"), l->image_id, sizeof(l->image_id));
		(*n)++;
	}
out:
	ctr_json_free(&j);
	return rc;
}

void ctr_split_image(const char *image, char *repo, size_t repo_cap, char *tag, size_t tag_cap,
		     char *digest, size_t digest_cap)
{
	const char *slash = strchr(image, '/');
	const char *rem = slash ? slash + 1 : image; /* after "host[:port]/" */
	const char *at = strchr(rem, '@');
	const char *colon = strchr(rem, ':');
	size_t name_end;

	tag[0] = digest[0] = '\0';
	if (at) {
		cpyz(digest, digest_cap, at + 1);
		/* a tag is a ':' before the '@' */
		if (colon && colon > at)
			colon = NULL;
		name_end = (size_t)((colon ? colon : at) - image);
		if (colon)
			cpy(tag, tag_cap, colon + 1, (size_t)(at - colon - 1));
	} else {
		name_end = colon ? (size_t)(colon - image) : strlen(image);
		if (colon)
			cpyz(tag, tag_cap, colon + 1);
	}
	cpy(repo, repo_cap, image, name_end);
}

uint64_t ctr_parse_time(const char *s)
{
	struct tm tm;
	const char *p;
	uint64_t ns = 0, scale = 100000000u;
	long off = 0;
	time_t t;

	memset(&tm, 0, sizeof(tm));
	p = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm);
	if (!p)
		return 0;
	if (*p == '.') {
		for (p++; *p >= '0' && *p <= '9'; p++) {
			ns += (uint64_t)(*p - '0') * scale;
			scale /= 10;
		}
	}
	if (*p == 'Z') {
		p++;
	} else if ((*p == '+' || *p == '-') && p[1] >= '0' && p[1] <= '9' && p[2] >= '0' &&
		   p[2] <= '9' && p[3] == ':' && p[4] >= '0' && p[4] <= '9' && p[5] >= '0' &&
		   p[5] <= '9') {
		off = ((p[1] - '0') * 10 + (p[2] - '0')) * 3600L +
		      ((p[4] - '0') * 10 + (p[5] - '0')) * 60L;
		if (*p == '-')
			off = -off;
		p += 6;
	} else {
		return 0;
	}
	if (*p)
		return 0;
	t = timegm(&tm);
	if (t == (time_t)-1 || t - off < 0)
		return 0;
	return (uint64_t)(t - off) * 1000000000ull + ns;
}

static bool startswith(const char *s, const char *prefix)
{
	return !strncmp(s, prefix, strlen(prefix));
}

int ctr_docker_inspect(const char *body, size_t len, struct proc_ctr_info *c, char image_ref[80],
		       char *err, size_t errlen)
{
	struct ctr_json j;
	char imgstr[PROC_CTR_STR_MAX], when[64];
	int rc, hc, pv;

	image_ref[0] = '\0';
	memset(c, 0, sizeof(*c));
	c->privileged = -1;
	rc = parse_json(&j, body, len, CTR_J_OBJ, err, errlen);
	if (rc < 0)
		goto out;
	ctr_json_str(&j, ctr_json_get(&j, 0, "Id"), c->full_id, sizeof(c->full_id));
	if (!is_hex64(c->full_id)) {
		seterr(err, errlen, "reply", "no 64-hex-digit Id");
		rc = -EINVAL;
		goto out;
	}
	cpy(c->id, sizeof(c->id), c->full_id, PROC_CONTAINER_ID_LEN);
	ctr_json_str(&j, ctr_json_get(&j, 0, "Name"), c->name, sizeof(c->name));
	if (c->name[0] == '/')
		memmove(c->name, c->name + 1, strlen(c->name));
	ctr_json_str(&j, ctr_json_get(&j, ctr_json_get(&j, 0, "Config"), "Image"), c->image,
		     sizeof(c->image));
	ctr_json_str(&j, ctr_json_get(&j, 0, "Image"), imgstr, sizeof(imgstr));
	if (!strchr(imgstr, '/')) {
		/* docker: Image is the image id "sha256:<hex>"; the name given
		 * to `docker run` is Config.Image, unless the container was
		 * started by id (then only the image API knows the names) */
		const char *colon = strchr(imgstr, ':');
		bool no_name;

		if (colon)
			cpyz(c->image_id, sizeof(c->image_id), colon + 1);
		no_name = startswith(c->image_id, c->image) || startswith(imgstr, c->image);
		if (!no_name)
			ctr_split_image(c->image, c->image_repo, sizeof(c->image_repo),
					c->image_tag, sizeof(c->image_tag), c->image_digest,
					sizeof(c->image_digest));
		if (c->image_id[0] && (no_name || !c->image_digest[0] || !c->image_tag[0]))
			cpyz(image_ref, 80, c->image_id);
	} else {
		/* podman: Image is the image name */
		ctr_split_image(imgstr, c->image_repo, sizeof(c->image_repo), c->image_tag,
				sizeof(c->image_tag), c->image_digest, sizeof(c->image_digest));
		if (!c->image_tag[0])
			cpyz(c->image_tag, sizeof(c->image_tag), "latest");
		cpyz(image_ref, 80, imgstr);
	}
	hc = ctr_json_get(&j, 0, "HostConfig");
	pv = ctr_json_bool(&j, ctr_json_get(&j, hc, "Privileged"));
	if (pv >= 0)
		c->privileged = (int8_t)pv;
	ctr_json_str(&j, ctr_json_get(&j, ctr_json_get(&j, 0, "State"), "StartedAt"), when,
		     sizeof(when));
	c->start_ts = ctr_parse_time(when);
	rc = ctr_mounts_read(&j, ctr_json_get(&j, 0, "Mounts"), &c->mounts);
	if (rc)
		seterr(err, errlen, "reply: Mounts", strerror(-rc));
out:
	ctr_json_free(&j);
	return rc;
}

int ctr_docker_image(const char *body, size_t len, struct proc_ctr_info *c, char *err,
		     size_t errlen)
{
	struct ctr_json j;
	char s[PROC_CTR_STR_MAX], first[80] = "";
	uint32_t i, ndigests = 0;
	int rc, arr, e;

	rc = parse_json(&j, body, len, CTR_J_OBJ, err, errlen);
	if (rc < 0)
		goto out;
	if (ctr_json_str(&j, ctr_json_get(&j, 0, "Digest"), s, sizeof(s)) >= 0) {
		/* podman gives the digest itself */
		cpyz(c->image_digest, sizeof(c->image_digest), s);
	} else {
		/* "docker.io/library/redis@sha256:..." per registry the image
		 * came from; the one of our repository wins, else a sole one */
		arr = ctr_json_get(&j, 0, "RepoDigests");
		for (i = 0; (e = ctr_json_at(&j, arr, i)) >= 0; i++) {
			const char *at;

			if (ctr_json_str(&j, e, s, sizeof(s)) < 0)
				continue;
			at = strchr(s, '@');
			if (!ndigests++)
				cpyz(first, sizeof(first), at ? at + 1 : s);
			else if (strcmp(first, at ? at + 1 : s))
				first[0] = '\0', ndigests = 2;
			if (!c->image_repo[0])
				cpy(c->image_repo, sizeof(c->image_repo), s,
				    at ? (size_t)(at - s) : strlen(s));
			if (strstr(s, c->image_repo)) {
				cpyz(c->image_digest, sizeof(c->image_digest), at ? at + 1 : s);
				break;
			}
		}
		if (!c->image_digest[0] && first[0])
			cpyz(c->image_digest, sizeof(c->image_digest), first);
	}
	arr = ctr_json_get(&j, 0, "RepoTags");
	for (i = 0; (e = ctr_json_at(&j, arr, i)) >= 0; i++) {
		const char *colon;

		if (ctr_json_str(&j, e, s, sizeof(s)) < 0)
			continue;
		colon = strrchr(s, ':');
		if (!c->image_repo[0])
			cpy(c->image_repo, sizeof(c->image_repo), s,
			    colon ? (size_t)(colon - s) : strlen(s));
		if (strstr(s, c->image_repo)) {
			cpyz(c->image_tag, sizeof(c->image_tag), colon ? colon + 1 : s);
			break;
		}
	}
out:
	ctr_json_free(&j);
	return rc;
}

/* libs' sinsp_container_type numbers, as written in capture events */
uint8_t ctr_type_from_libs(int64_t t)
{
	switch (t) {
	case 0:
		return PROC_CT_DOCKER;
	case 6:
	case 7:
		return PROC_CT_CRI;
	case 8:
		return PROC_CT_CRIO;
	case 11:
		return PROC_CT_PODMAN;
	default:
		return PROC_CT_HOST; /* lxc, mesos, ...: not one peregrine detects */
	}
}

int ctr_capture_json(const char *s, size_t len, struct proc_ctr_info *c, char *err, size_t errlen)
{
	struct ctr_json j;
	int64_t type = -1;
	int rc, o, pv;

	memset(c, 0, sizeof(*c));
	c->privileged = -1;
	rc = parse_json(&j, s, len, CTR_J_OBJ, err, errlen);
	if (rc < 0)
		goto out;
	o = ctr_json_get(&j, 0, "container");
	if (ctr_json_type(&j, o) != CTR_J_OBJ) {
		seterr(err, errlen, "container event", "no \"container\" object");
		rc = -EINVAL;
		goto out;
	}
	ctr_json_str(&j, ctr_json_get(&j, o, "id"), c->id, sizeof(c->id));
	if (!ctr_key(c->id) || strlen(c->id) != PROC_CONTAINER_ID_LEN) {
		seterr(err, errlen, "container event", "no 12-hex-digit id");
		rc = -EINVAL;
		goto out;
	}
	ctr_json_str(&j, ctr_json_get(&j, o, "full_id"), c->full_id, sizeof(c->full_id));
	ctr_json_str(&j, ctr_json_get(&j, o, "name"), c->name, sizeof(c->name));
	ctr_json_str(&j, ctr_json_get(&j, o, "image"), c->image, sizeof(c->image));
	ctr_json_str(&j, ctr_json_get(&j, o, "imageid"), c->image_id, sizeof(c->image_id));
	ctr_json_str(&j, ctr_json_get(&j, o, "imagerepo"), c->image_repo, sizeof(c->image_repo));
	ctr_json_str(&j, ctr_json_get(&j, o, "imagetag"), c->image_tag, sizeof(c->image_tag));
	ctr_json_str(&j, ctr_json_get(&j, o, "imagedigest"), c->image_digest,
		     sizeof(c->image_digest));
	ctr_json_i64(&j, ctr_json_get(&j, o, "type"), &type);
	c->type = ctr_type_from_libs(type);
	pv = ctr_json_bool(&j, ctr_json_get(&j, o, "privileged"));
	if (pv >= 0 && c->type != PROC_CT_HOST)
		c->privileged = (int8_t)pv;
	rc = ctr_mounts_read(&j, ctr_json_get(&j, o, "Mounts"), &c->mounts);
	if (rc)
		seterr(err, errlen, "container event: Mounts", strerror(-rc));
out:
	ctr_json_free(&j);
	return rc;
}

/* ---- the client thread ---------------------------------------------------- */

#define CTR_TICK_MS	   50u
#define CTR_GONE_MS	   60000u /* a container not listed this long is dropped */
#define CTR_BACKOFF_MIN_MS 1000u
#define CTR_BACKOFF_MAX_MS 60000u

struct ctr_ent {
	struct proc_ctr_info info;
	uint64_t key;
	uint32_t flags;	     /* CTR_F_UNKNOWN */
	uint32_t backoff_ms; /* unknown ids: current retry interval */
	uint64_t seen_ms;    /* last listed (containers) */
	uint64_t retry_ms;   /* unknown ids: when to look again */
	unsigned sock;	     /* which socket listed it */
};

struct proc_ctr_client {
	struct proc_table *t;
	struct proc_ctr_opts o;
	char paths[PROC_CTR_MAX_SOCKETS][sizeof(((struct sockaddr_un *)0)->sun_path)];
	int up[PROC_CTR_MAX_SOCKETS]; /* 0 not asked yet, 1 answering, -1 not */
	struct ctr_ent *ents;	      /* PROC_CTR_MAX */
	size_t n;
	struct ctr_listed *listed; /* PROC_CTR_MAX */
	struct ctr_buf buf;
	pthread_t th;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	bool stop;		  /* under lock */
	struct proc_ctr_stats st; /* written by the thread (relaxed atomics) */
};

#define STAT_ADD(c, f, v) ST((c)->st.f, LD((c)->st.f) + (v))

static void ctr_log(struct proc_ctr_client *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void ctr_log(struct proc_ctr_client *c, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	if (!c->o.log)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	c->o.log(c->o.log_arg, msg);
}

static struct ctr_ent *ent_find(struct proc_ctr_client *c, uint64_t key)
{
	size_t i;

	for (i = 0; i < c->n; i++)
		if (c->ents[i].key == key)
			return &c->ents[i];
	return NULL;
}

static struct ctr_ent *ent_add(struct proc_ctr_client *c, uint64_t key)
{
	struct ctr_ent *e = ent_find(c, key);

	if (e)
		return e;
	if (c->n >= PROC_CTR_MAX)
		return NULL;
	e = &c->ents[c->n++];
	memset(e, 0, sizeof(*e));
	e->key = key;
	return e;
}

static void ent_del(struct proc_ctr_client *c, size_t i)
{
	proc_ctr_info_fini(&c->ents[i].info);
	c->ents[i] = c->ents[--c->n];
}

static const char *type_name(uint8_t type)
{
	return proc_container_type_name(type);
}

/* GET @url from socket s expecting 200; HTTP 404 is -ESRCH (no such
 * container or image), other failures -errno with the reason in err. */
static int ctr_get(struct proc_ctr_client *c, unsigned s, const char *url, char **body, size_t *len,
		   char *err, size_t errlen)
{
	int status = 0, rc;

	STAT_ADD(c, requests, 1);
	rc = http_get(c->paths[s], url, c->o.timeout_ms, &c->buf, &status, body, len, err, errlen);
	if (!rc && status == 404) {
		snprintf(err, errlen, "GET %s: HTTP status 404", url);
		return -ESRCH;
	}
	if (!rc && status != 200) {
		snprintf(err, errlen, "GET %s: HTTP status %d", url, status);
		rc = -EPROTO;
	}
	if (rc)
		STAT_ADD(c, errors, 1);
	return rc;
}

/* Fetch one container's details into e. 0 / -errno. */
static int fetch_one(struct proc_ctr_client *c, unsigned s, const struct ctr_listed *l,
		     struct proc_ctr_info *info)
{
	char url[256], ref[80], err[256], *body;
	size_t len;
	int rc;

	snprintf(url, sizeof(url), "/containers/%s/json", l->full_id);
	rc = ctr_get(c, s, url, &body, &len, err, sizeof(err));
	if (rc)
		return rc; /* -ESRCH: gone since the list */
	rc = ctr_docker_inspect(body, len, info, ref, err, sizeof(err));
	if (rc) {
		STAT_ADD(c, errors, 1);
		return rc;
	}
	if (ref[0]) {
		char *p = url + snprintf(url, sizeof(url), "/images/");
		size_t i;

		/* percent-encode what a path segment may not hold */
		for (i = 0; ref[i] && p < url + sizeof(url) - 4; i++) {
			unsigned char ch = (unsigned char)ref[i];

			if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
			    (ch >= '0' && ch <= '9') || strchr("-._~:@/", ch))
				*p++ = (char)ch;
			else
				p += sprintf(p, "%%%02X", ch);
		}
		snprintf(p, (size_t)(url + sizeof(url) - p), "/json");
		if (!ctr_get(c, s, url, &body, &len, err, sizeof(err)))
			ctr_docker_image(body, len, info, err, sizeof(err));
	}
	if (!info->image_id[0] && l->image_id[0]) {
		const char *colon = strchr(l->image_id, ':');

		cpyz(info->image_id, sizeof(info->image_id), colon ? colon + 1 : l->image_id);
	}
	if (info->image[0] && !info->image_tag[0])
		cpyz(info->image_tag, sizeof(info->image_tag), "latest");
	if (!info->name[0])
		cpyz(info->name, sizeof(info->name), l->name);
	info->type = c->o.sockets[s].type;
	if (info->mounts && info->mounts->dropped)
		ctr_log(c,
			"container %s (%s): %u of its %u mounts kept (at most %u, in %u bytes); "
			"container.mount* do not see the others",
			info->id, info->name, info->mounts->n,
			info->mounts->n + info->mounts->dropped, PROC_CTR_MOUNTS_MAX,
			PROC_CTR_MOUNTS_BYTES);
	return 0;
}

/* List socket s and fetch what is new. Returns true when the cache changed. */
static bool refresh_socket(struct proc_ctr_client *c, unsigned s, uint64_t now)
{
	char err[256], *body;
	size_t len, nl = 0, i;
	bool changed = false;
	int rc;

	rc = ctr_get(c, s, "/containers/json", &body, &len, err, sizeof(err));
	if (!rc) {
		rc = ctr_docker_list(body, len, c->listed, PROC_CTR_MAX, &nl, err, sizeof(err));
		if (rc)
			STAT_ADD(c, errors, 1);
	}
	if (rc) {
		if (c->up[s] >= 0)
			ctr_log(c,
				"container runtime %s at %s %s: %s; container.name and "
				"container.image* stay empty for its containers (retried every %u "
				"s)",
				type_name(c->o.sockets[s].type), c->paths[s],
				c->up[s] ? "stopped answering" : "is not reachable", err,
				c->o.refresh_ms / 1000);
		c->up[s] = -1;
		return false;
	}
	if (c->up[s] <= 0)
		ctr_log(c, "container runtime %s at %s: %zu running containers",
			type_name(c->o.sockets[s].type), c->paths[s], nl);
	c->up[s] = 1;
	for (i = 0; i < nl; i++) {
		const struct ctr_listed *l = &c->listed[i];
		uint64_t key = ctr_key(l->full_id);
		struct ctr_ent *e = ent_find(c, key);
		struct proc_ctr_info info;

		if (e && !(e->flags & CTR_F_UNKNOWN)) {
			e->seen_ms = now;
			if (l->name[0] && strcmp(l->name, e->info.name)) {
				cpyz(e->info.name, sizeof(e->info.name), l->name); /* renamed */
				changed = true;
			}
			continue;
		}
		if (fetch_one(c, s, l, &info) < 0)
			continue;
		e = ent_add(c, key);
		if (!e) {
			proc_ctr_info_fini(&info);
			break;
		}
		/* an unknown id's entry had no mounts; info's reference moves in */
		proc_ctr_info_fini(&e->info);
		e->info = info;
		e->flags = 0;
		e->seen_ms = now;
		e->sock = s;
		changed = true;
	}
	for (i = c->n; i-- > 0;) {
		struct ctr_ent *e = &c->ents[i];

		if (!(e->flags & CTR_F_UNKNOWN) && e->sock == s && now - e->seen_ms > CTR_GONE_MS) {
			ent_del(c, i);
			changed = true;
		}
	}
	return changed;
}

static int publish(struct proc_ctr_client *c)
{
	struct proc_table *t = c->t;
	struct ctr_snap *s = snap_new(c->n);
	uint64_t ncont = 0;
	size_t i;

	if (!s)
		return -ENOMEM;
	for (i = 0; i < c->n; i++) {
		snap_put(s, c->ents[i].key, c->ents[i].flags, &c->ents[i].info);
		ncont += !(c->ents[i].flags & CTR_F_UNKNOWN);
	}
	/* call_rcu wants a registered, online caller (QSBR) */
	rcu_thread_online();
	pthread_mutex_lock(&t->ctr_lock);
	snap_publish(t, s);
	pthread_mutex_unlock(&t->ctr_lock);
	rcu_thread_offline();
	ST(c->st.containers, ncont);
	ST(c->st.unknown, (uint64_t)c->n - ncont);
	return 0;
}

/* One refresh: every socket, then the missed id and due unknown ids. */
static void refresh(struct proc_ctr_client *c, uint64_t want, uint64_t now)
{
	bool changed = false;
	unsigned s;
	size_t i;

	STAT_ADD(c, refreshes, 1);
	for (s = 0; s < c->o.nsockets; s++)
		changed |= refresh_socket(c, s, now);
	for (i = 0; i < c->n; i++) {
		struct ctr_ent *e = &c->ents[i];

		if ((e->flags & CTR_F_UNKNOWN) && e->retry_ms <= now) {
			e->backoff_ms = e->backoff_ms * 2 > CTR_BACKOFF_MAX_MS ? CTR_BACKOFF_MAX_MS
									       : e->backoff_ms * 2;
			e->retry_ms = now + e->backoff_ms;
		}
	}
	if (want && !ent_find(c, want)) {
		struct ctr_ent *e = ent_add(c, want);

		if (e) {
			for (i = 0; i < PROC_CONTAINER_ID_LEN; i++)
				e->info.id[i] = "0123456789abcdef"[(want >> (4 * (11 - i))) & 15];
			e->info.privileged = -1;
			e->flags = CTR_F_UNKNOWN;
			e->backoff_ms = CTR_BACKOFF_MIN_MS;
			e->retry_ms = now + e->backoff_ms;
			changed = true;
		}
	}
	if (changed)
		publish(c);
}

static bool retry_due(const struct proc_ctr_client *c, uint64_t now)
{
	size_t i;

	for (i = 0; i < c->n; i++)
		if ((c->ents[i].flags & CTR_F_UNKNOWN) && c->ents[i].retry_ms <= now)
			return true;
	return false;
}

static void *client_main(void *arg)
{
	struct proc_ctr_client *c = arg;
	uint64_t next_full = 0, last = 0;

	/* registered for call_rcu, offline except while publishing: its I/O
	 * never holds up a grace period */
	rcu_register_thread();
	rcu_thread_offline();
	pthread_mutex_lock(&c->lock);
	while (!c->stop) {
		uint64_t now, want;
		struct timespec ts;
		bool full;

		pthread_mutex_unlock(&c->lock);
		now = mono_ms();
		want = LD(c->t->ctr_want);
		full = now >= next_full;
		if (want && now - last < c->o.min_refresh_ms && !full)
			want = 0; /* asked again too soon: next tick */
		else if (want)
			want = __atomic_exchange_n(&c->t->ctr_want, 0, __ATOMIC_RELAXED);
		/* a miss raced with the publication that answered it */
		if (want && ent_find(c, want))
			want = 0;
		if (want)
			STAT_ADD(c, signals, 1);
		if (full || want || (now - last >= c->o.min_refresh_ms && retry_due(c, now))) {
			refresh(c, want, now);
			last = mono_ms();
			if (full)
				next_full = last + c->o.refresh_ms;
		}
		pthread_mutex_lock(&c->lock);
		if (c->stop)
			break;
		clock_gettime(CLOCK_MONOTONIC, &ts);
		ts.tv_nsec += CTR_TICK_MS * 1000000l;
		if (ts.tv_nsec >= 1000000000l) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000l;
		}
		pthread_cond_timedwait(&c->cond, &c->lock, &ts);
	}
	pthread_mutex_unlock(&c->lock);
	rcu_unregister_thread();
	return NULL;
}

static void client_free(struct proc_ctr_client *c)
{
	size_t i;

	for (i = 0; i < c->n; i++)
		proc_ctr_info_fini(&c->ents[i].info);
	free(c->ents);
	free(c->listed);
	free(c->buf.p);
	pthread_cond_destroy(&c->cond);
	pthread_mutex_destroy(&c->lock);
	free(c);
}

struct proc_ctr_client *proc_ctr_client_start(struct proc_table *t, const struct proc_ctr_opts *o)
{
	struct proc_ctr_client *c;
	pthread_condattr_t ca;
	unsigned s;
	int rc;

	if (!o->nsockets || o->nsockets > PROC_CTR_MAX_SOCKETS) {
		errno = EINVAL;
		return NULL;
	}
	c = calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	c->t = t;
	c->o = *o;
	c->o.timeout_ms = o->timeout_ms ? o->timeout_ms : 1000;
	c->o.refresh_ms = o->refresh_ms ? o->refresh_ms : 30000;
	c->o.min_refresh_ms = o->min_refresh_ms ? o->min_refresh_ms : 500;
	for (s = 0; s < o->nsockets; s++) {
		if (!o->sockets[s].path || strlen(o->sockets[s].path) >= sizeof(c->paths[s])) {
			free(c);
			errno = EINVAL;
			return NULL;
		}
		cpyz(c->paths[s], sizeof(c->paths[s]), o->sockets[s].path);
		c->o.sockets[s].path = c->paths[s];
	}
	pthread_mutex_init(&c->lock, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&c->cond, &ca);
	pthread_condattr_destroy(&ca);
	c->ents = calloc(PROC_CTR_MAX, sizeof(*c->ents));
	c->listed = calloc(PROC_CTR_MAX, sizeof(*c->listed));
	if (!c->ents || !c->listed) {
		client_free(c);
		errno = ENOMEM;
		return NULL;
	}
	rc = pthread_create(&c->th, NULL, client_main, c);
	if (rc) {
		client_free(c);
		errno = rc;
		return NULL;
	}
	return c;
}

void proc_ctr_client_stop(struct proc_ctr_client *c)
{
	if (!c)
		return;
	pthread_mutex_lock(&c->lock);
	c->stop = true;
	pthread_cond_signal(&c->cond);
	pthread_mutex_unlock(&c->lock);
	pthread_join(c->th, NULL);
	client_free(c);
}

void proc_ctr_client_stats(const struct proc_ctr_client *c, struct proc_ctr_stats *out)
{
	out->refreshes = LD(c->st.refreshes);
	out->requests = LD(c->st.requests);
	out->errors = LD(c->st.errors);
	out->containers = LD(c->st.containers);
	out->unknown = LD(c->st.unknown);
	out->signals = LD(c->st.signals);
}
