/*
 * procfs.c - seed the process state from /proc on live hosts.
 *
 * At start-up every process that existed before the probe was attached is
 * read from /proc (stat, status, cmdline, comm, exe, cwd, environ, cgroup,
 * loginuid, and each fd with its fdinfo flags and, for sockets, the tuple
 * found in net/{tcp,tcp6,udp,udp6,unix}); later, a tid no event ever
 * introduced can be read on demand (proc_state_load_tid). Each worker seeds
 * only the processes of its partition. A malformed or vanished entry is
 * skipped and counted (procfs_errors), never fatal: /proc changes under us
 * while we read it. The procfs root is a parameter so tests can build a fake
 * tree with broken files.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <grp.h>
#include <pwd.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "capture/capture.h"
#include "state/update_int.h"

#define SCAP_L4_TCP 6
#define SCAP_L4_UDP 17

/* One socket of net/{tcp,udp,unix}[6], keyed by inode. */
struct pfs_sock {
	uint64_t ino;
	uint32_t type; /* PROC_FD_* */
	uint8_t listening;
	struct proc_sock s;
	char *path; /* unix sockets, may be NULL */
};

struct pfs_socks {
	struct pfs_sock *v;
	size_t n, cap;
};

struct pfs_ctx;

/*
 * Where a scan's findings go: the process state (a worker seeding its
 * partition) or a capture's initial tables (proc_procfs_tables, for `-w`).
 * task() gets each thread (leader first) and returns an opaque handle for
 * its process's fds, or NULL to skip them; fd() gets each fd of a leader.
 */
struct pfs_sink {
	int (*task)(struct pfs_ctx *c, const struct proc_spawn *s, void **thr);
	void (*fd)(struct pfs_ctx *c, void *thr, const struct proc_fd_info *fi);
};

/* What a scan keeps between processes. */
struct pfs_ctx {
	struct proc_worker *w; /* the state sink's worker; NULL for tables */
	const struct pfs_sink *sink;
	struct cap_tables *tables; /* the tables sink's output */
	uint64_t errors;	   /* malformed or vanished entries (tables sink) */
	int oom;		   /* tables sink: an allocation failed */
	const char *root;
	uint64_t btime_ns;
	long hz;
	struct pfs_socks socks;
	int socks_loaded;
};

/* A malformed or vanished entry: skipped, counted. */
static void pfs_err(struct pfs_ctx *c)
{
	if (c->w)
		UPD_INC(c->w, procfs_errors);
	else
		c->errors++;
}

/* Read a whole small file into buf (NUL-terminated); length or -errno. */
static ssize_t read_file(const char *path, char *buf, size_t cap)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	size_t n = 0;
	ssize_t r;

	if (fd < 0)
		return -errno;
	while (n + 1 < cap && (r = read(fd, buf + n, cap - 1 - n)) > 0)
		n += (size_t)r;
	close(fd);
	buf[n] = '\0';
	return (ssize_t)n;
}

static ssize_t read_at(struct pfs_ctx *c, const char *rel, char *buf, size_t cap)
{
	char path[PROC_PATH_MAX];

	snprintf(path, sizeof(path), "%s/%s", c->root, rel);
	return read_file(path, buf, cap);
}

static ssize_t link_at(struct pfs_ctx *c, const char *rel, char *buf, size_t cap)
{
	char path[PROC_PATH_MAX];
	ssize_t n;

	snprintf(path, sizeof(path), "%s/%s", c->root, rel);
	n = readlink(path, buf, cap - 1);
	if (n < 0)
		return -errno;
	buf[n] = '\0';
	return n;
}

/* ---- sockets ------------------------------------------------------------- */

static int socks_push(struct pfs_socks *ss, const struct pfs_sock *s)
{
	if (ss->n == ss->cap) {
		size_t cap = ss->cap ? ss->cap * 2 : 64;
		struct pfs_sock *v = realloc(ss->v, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		ss->v = v;
		ss->cap = cap;
	}
	ss->v[ss->n++] = *s;
	return 0;
}

static void socks_free(struct pfs_socks *ss)
{
	size_t i;

	for (i = 0; i < ss->n; i++)
		free(ss->v[i].path);
	free(ss->v);
	memset(ss, 0, sizeof(*ss));
}

/* "0100007F:0050" (IPv4, as the kernel prints it) or 32 hex digits (IPv6). */
static int parse_hexaddr(const char *s, uint8_t *ip, int v6, uint16_t *port)
{
	unsigned i, w;
	uint32_t word;
	char tmp[9];

	for (w = 0; w < (v6 ? 4u : 1u); w++) {
		memcpy(tmp, s + w * 8, 8);
		tmp[8] = '\0';
		for (i = 0; i < 8; i++)
			if (!isxdigit((unsigned char)tmp[i]))
				return -EINVAL;
		word = (uint32_t)strtoul(tmp, NULL, 16);
		memcpy(ip + w * 4, &word, 4); /* the kernel prints each word in host order */
	}
	s += v6 ? 32 : 8;
	if (*s != ':' || !isxdigit((unsigned char)s[1]))
		return -EINVAL;
	*port = (uint16_t)strtoul(s + 1, NULL, 16);
	return 0;
}

static void load_inet(struct pfs_ctx *c, const char *file, int v6, uint8_t l4)
{
	char path[PROC_PATH_MAX], line[512], la[64], ra[64];
	unsigned st;
	unsigned long long ino;
	FILE *f;

	snprintf(path, sizeof(path), "%s/net/%s", c->root, file);
	f = fopen(path, "re");
	if (!f)
		return;
	if (!fgets(line, sizeof(line), f)) { /* header */
		fclose(f);
		return;
	}
	while (fgets(line, sizeof(line), f)) {
		struct pfs_sock s;

		memset(&s, 0, sizeof(s));
		if (sscanf(line, " %*u: %63s %63s %x %*s %*s %*s %*s %*s %llu", la, ra, &st, &ino) !=
			    4 ||
		    parse_hexaddr(la, s.s.sip, v6, &s.s.sport) ||
		    parse_hexaddr(ra, s.s.dip, v6, &s.s.dport)) {
			pfs_err(c);
			continue;
		}
		s.ino = ino;
		s.s.family = v6 ? AF_INET6 : AF_INET;
		s.s.l4proto = l4;
		s.type = v6 ? PROC_FD_IPV6_SOCK : PROC_FD_IPV4_SOCK;
		s.listening = l4 == SCAP_L4_TCP ? st == 0x0a : !s.s.dport;
		if (socks_push(&c->socks, &s))
			break;
	}
	fclose(f);
}

static void load_unix(struct pfs_ctx *c)
{
	char path[PROC_PATH_MAX], line[PROC_PATH_MAX + 128];
	unsigned long long addr, ino;
	int off = 0;
	FILE *f;

	snprintf(path, sizeof(path), "%s/net/unix", c->root);
	f = fopen(path, "re");
	if (!f)
		return;
	if (!fgets(line, sizeof(line), f)) {
		fclose(f);
		return;
	}
	while (fgets(line, sizeof(line), f)) {
		struct pfs_sock s;
		char *p;

		memset(&s, 0, sizeof(s));
		if (sscanf(line, "%llx: %*s %*s %*s %*s %*s %llu%n", &addr, &ino, &off) != 2) {
			pfs_err(c);
			continue;
		}
		s.ino = ino;
		s.type = PROC_FD_UNIX_SOCK;
		s.s.family = AF_UNIX;
		memcpy(s.s.sip, &addr, 8);
		p = line + off;
		while (*p == ' ')
			p++;
		p[strcspn(p, "\n")] = '\0';
		s.path = *p ? strdup(p) : NULL;
		if (socks_push(&c->socks, &s)) {
			free(s.path);
			break;
		}
	}
	fclose(f);
}

static int sock_cmp(const void *a, const void *b)
{
	const struct pfs_sock *x = a, *y = b;

	return x->ino < y->ino ? -1 : x->ino > y->ino;
}

static const struct pfs_sock *sock_find(struct pfs_ctx *c, uint64_t ino)
{
	size_t lo = 0, hi, mid;

	if (!c->socks_loaded) {
		load_inet(c, "tcp", 0, SCAP_L4_TCP);
		load_inet(c, "tcp6", 1, SCAP_L4_TCP);
		load_inet(c, "udp", 0, SCAP_L4_UDP);
		load_inet(c, "udp6", 1, SCAP_L4_UDP);
		load_unix(c);
		if (c->socks.n)
			qsort(c->socks.v, c->socks.n, sizeof(*c->socks.v), sock_cmp);
		c->socks_loaded = 1;
	}
	hi = c->socks.n;
	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (c->socks.v[mid].ino < ino)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < c->socks.n && c->socks.v[lo].ino == ino ? &c->socks.v[lo] : NULL;
}

/* ---- one fd ---------------------------------------------------------------- */

static bool v4mapped16(const uint8_t *a)
{
	static const uint8_t z[10];

	return !memcmp(a, z, 10) && ((a[10] == 0xff && a[11] == 0xff) ||
				      (!a[10] && !a[11] && !a[12] && !a[13] && !a[14] && !a[15]));
}

static void inet_name(char *out, size_t cap, const struct proc_sock *s)
{
	char a[INET6_ADDRSTRLEN] = "?", b[INET6_ADDRSTRLEN] = "?";

	inet_ntop(s->family, s->sip, a, sizeof(a));
	inet_ntop(s->family, s->dip, b, sizeof(b));
	snprintf(out, cap, "%s:%u->%s:%u", a, s->sport, b, s->dport);
}

static void load_fd(struct pfs_ctx *c, void *thr, uint64_t pid, int64_t fd)
{
	char rel[96], target[PROC_PATH_MAX], info[512], name[PROC_PATH_MAX + 64];
	struct proc_fd_info fi = {.fd = fd, .name = target};
	struct proc_sock sock;
	unsigned long long ino = 0;
	const char *fl;
	struct stat st;
	bool have_st;

	snprintf(rel, sizeof(rel), "%" PRIu64 "/fd/%" PRId64, pid, fd);
	if (link_at(c, rel, target, sizeof(target)) < 0) {
		pfs_err(c);
		return;
	}
	snprintf(name, sizeof(name), "%s/%s", c->root, rel);
	/* fails for a target that is gone (deleted, or outside a fake /proc) */
	have_st = !stat(name, &st);
	if (have_st)
		fi.ino = st.st_ino;
	snprintf(rel, sizeof(rel), "%" PRIu64 "/fdinfo/%" PRId64, pid, fd);
	if (read_at(c, rel, info, sizeof(info)) > 0 && (fl = strstr(info, "flags:")))
		fi.flags = (uint32_t)strtoul(fl + 6, NULL, 8);
	memset(&sock, 0, sizeof(sock));
	if (sscanf(target, "socket:[%llu]", &ino) == 1) {
		const struct pfs_sock *s = sock_find(c, ino);

		fi.ino = ino;
		fi.type = PROC_FD_UNKNOWN;
		fi.name = "";
		if (s) {
			sock = s->s;
			fi.type = s->type;
			fi.sock = &sock;
			if (s->type == PROC_FD_UNIX_SOCK) {
				uint64_t addr;

				memcpy(&addr, s->s.sip, sizeof(addr)); /* sip is a byte array */
				snprintf(name, sizeof(name), "%" PRIx64 "->0 %s", addr,
					 s->path ? s->path : "");
				fi.name = name;
			} else if (s->listening) {
				/* a server socket keeps its bound address in dip */
				memcpy(sock.dip, sock.sip, 16);
				sock.dport = sock.sport;
				memset(sock.sip, 0, 16);
				sock.sport = 0;
				fi.flags |= PROC_FD_F_SERVER;
			} else {
				if (sock.family == AF_INET6 && v4mapped16(sock.sip) &&
				    v4mapped16(sock.dip)) {
					sock.family = AF_INET;
					fi.type = PROC_FD_IPV4_SOCK;
					memmove(sock.sip, sock.sip + 12, 4);
					memset(sock.sip + 4, 0, 12);
					memmove(sock.dip, sock.dip + 12, 4);
					memset(sock.dip + 4, 0, 12);
				}
				fi.flags |= PROC_FD_F_CONNECTED;
				inet_name(name, sizeof(name), &sock);
				fi.name = name;
			}
		}
	} else if (sscanf(target, "pipe:[%llu]", &ino) == 1) {
		fi.type = PROC_FD_PIPE;
		fi.ino = ino;
	} else if (!strncmp(target, "anon_inode:", 11)) {
		const char *k = target + 11;

		fi.type = strstr(k, "eventfd")	    ? PROC_FD_EVENT :
			  strstr(k, "eventpoll")    ? PROC_FD_EVENTPOLL :
			  strstr(k, "signalfd")	    ? PROC_FD_SIGNALFD :
			  strstr(k, "timerfd")	    ? PROC_FD_TIMERFD :
			  strstr(k, "inotify")	    ? PROC_FD_INOTIFY :
			  strstr(k, "bpf")	    ? PROC_FD_BPF :
			  strstr(k, "userfaultfd")  ? PROC_FD_USERFAULTFD :
			  strstr(k, "io_uring")	    ? PROC_FD_IOURING :
						      PROC_FD_UNKNOWN;
	} else if (!strncmp(target, "/memfd:", 7)) {
		fi.type = PROC_FD_MEMFD;
	} else if (target[0] == '/') {
		fi.type = have_st && S_ISDIR(st.st_mode) ? PROC_FD_DIRECTORY : PROC_FD_FILE;
	} else {
		fi.type = PROC_FD_UNKNOWN;
	}
	c->sink->fd(c, thr, &fi);
}

static void load_fds(struct pfs_ctx *c, void *thr, uint64_t pid)
{
	char path[PROC_PATH_MAX];
	struct dirent *de;
	DIR *d;

	snprintf(path, sizeof(path), "%s/%" PRIu64 "/fd", c->root, pid);
	d = opendir(path);
	if (!d) {
		pfs_err(c);
		return;
	}
	while ((de = readdir(d))) {
		char *end;
		long long fd;

		if (de->d_name[0] == '.')
			continue;
		fd = strtoll(de->d_name, &end, 10);
		if (*end || fd < 0) {
			pfs_err(c);
			continue;
		}
		load_fd(c, thr, pid, fd);
	}
	closedir(d);
}

/* ---- one task ---------------------------------------------------------------- */

static ssize_t task_read(struct pfs_ctx *c, const char *task, const char *file, char *buf,
			 size_t cap)
{
	char path[PROC_PATH_MAX];

	snprintf(path, sizeof(path), "%s/%s/%s", c->root, task, file);
	return read_file(path, buf, cap);
}

static ssize_t task_link(struct pfs_ctx *c, const char *task, const char *file, char *buf,
			 size_t cap)
{
	char rel[256];

	snprintf(rel, sizeof(rel), "%s/%s", task, file);
	return link_at(c, rel, buf, cap);
}

/* The "Key:\t..." line of a status file, or NULL. */
static const char *status_field(const char *status, const char *key)
{
	size_t kl = strlen(key);
	const char *p = status;

	while (p && *p) {
		if (!strncmp(p, key, kl) && p[kl] == ':')
			return p + kl + 1;
		p = strchr(p, '\n');
		if (p)
			p++;
	}
	return NULL;
}

/* Last number of a "NSpid:" like line (the innermost namespace). */
static uint64_t last_number(const char *v)
{
	uint64_t x = 0;
	const char *e;

	if (!v)
		return 0;
	e = v + strcspn(v, "\n");
	while (v < e) {
		while (v < e && (*v == ' ' || *v == '\t'))
			v++;
		if (v < e && isdigit((unsigned char)*v))
			x = strtoull(v, (char **)&v, 10);
		else
			break;
	}
	return x;
}

/* Turn "id:ctrl1,ctrl2:path" lines into "ctrl=path\0" entries (libs' form). */
static size_t cgroups_list(const char *in, char *out, size_t cap)
{
	size_t n = 0;
	const char *line = in;

	while (*line) {
		const char *e = line + strcspn(line, "\n"), *c1 = memchr(line, ':', (size_t)(e - line));
		const char *c2 = c1 ? memchr(c1 + 1, ':', (size_t)(e - c1 - 1)) : NULL;

		if (c2) {
			const char *ctl = c1 + 1;

			do {
				const char *ce = ctl;
				int w;

				while (ce < c2 && *ce != ',')
					ce++;
				w = snprintf(out + n, cap - n, "%.*s=%.*s", ce == ctl ? 7 : (int)(ce - ctl),
					     ce == ctl ? "unified" : ctl, (int)(e - c2 - 1), c2 + 1);
				if (w < 0 || (size_t)w + 1 >= cap - n)
					return n;
				n += (size_t)w + 1;
				ctl = ce + 1;
			} while (ctl < c2);
		}
		line = *e ? e + 1 : e;
	}
	return n;
}

/* Read task tid of process pid and create it (leader == its process). */
static int load_task(struct pfs_ctx *c, uint64_t pid, uint64_t tid, void **out)
{
	static __thread char stat[1024], status[4096], cmdline[PROC_ARGS_MAX + 1],
		env[PROC_ENV_MAX + 1], cg[PROC_CGROUPS_MAX], cgl[PROC_CGROUPS_MAX],
		exe[PROC_PATH_MAX], cwd[PROC_PATH_MAX + 1], comm[64], lu[32], rel[128];
	const char *base = tid == pid ? "" : "task/", *v, *rp;
	unsigned long long ppid = 0, starttime = 0;
	int pgrp = 0, sess = 0, tty = 0;
	struct proc_spawn s;
	ssize_t n;
	size_t l;

	memset(&s, 0, sizeof(s));
	if (tid == pid)
		snprintf(rel, sizeof(rel), "%" PRIu64, pid);
	else
		snprintf(rel, sizeof(rel), "%" PRIu64 "/%s%" PRIu64, pid, base, tid);
	if (task_read(c, rel, "status", status, sizeof(status)) <= 0)
		return -ENOENT;
	n = task_read(c, rel, "stat", stat, sizeof(stat));
	rp = n > 0 ? strrchr(stat, ')') : NULL;
	if (!rp || sscanf(rp + 1, " %*c %llu %d %d %d %*d %*u %*u %*u %*u %*u %*u %*u %*d %*d %*d "
				  "%*d %*d %*d %llu",
			  &ppid, &pgrp, &sess, &tty, &starttime) != 5) {
		pfs_err(c);
		return -EINVAL;
	}
	v = status_field(status, "Uid");
	if (!v || sscanf(v, "%u %u", &s.uid, &s.euid) != 2) {
		pfs_err(c);
		return -EINVAL;
	}
	v = status_field(status, "Gid");
	if (!v || sscanf(v, "%u %u", &s.gid, &s.egid) != 2) {
		pfs_err(c);
		return -EINVAL;
	}
	s.flags |= PROC_SPAWN_HAVE_IDS;
	s.loginuid = UINT32_MAX;
	if (task_read(c, rel, "loginuid", lu, sizeof(lu)) > 0)
		s.loginuid = (uint32_t)strtoul(lu, NULL, 10);
	if ((v = status_field(status, "CapEff"))) {
		s.flags |= PROC_SPAWN_HAVE_CAPS;
		s.cap_effective = strtoull(v, NULL, 16);
		if ((v = status_field(status, "CapPrm")))
			s.cap_permitted = strtoull(v, NULL, 16);
		if ((v = status_field(status, "CapInh")))
			s.cap_inheritable = strtoull(v, NULL, 16);
	}
	s.tid = tid;
	s.tgid = pid;
	s.ptid = ppid;
	s.vtid = last_number(status_field(status, "NSpid"));
	s.vpid = last_number(status_field(status, "NStgid"));
	s.sid = (uint32_t)sess;
	s.vpgid = (uint32_t)pgrp;
	s.tty = (uint32_t)tty;
	s.ts = c->btime_ns + starttime * (1000000000ull / (uint64_t)c->hz);
	if (tid != pid)
		s.flags |= PROC_SPAWN_THREAD;
	n = task_read(c, rel, "comm", comm, sizeof(comm));
	if (n > 0) {
		/* only the kernel's final newline: a name may hold others */
		if (comm[n - 1] == '\n')
			comm[n - 1] = '\0';
		s.comm = comm;
	}
	n = task_read(c, rel, "cmdline", cmdline, sizeof(cmdline));
	if (n > 0) {
		/* exe is argv[0], args the rest (libs) */
		l = strnlen(cmdline, (size_t)n);
		s.exe = cmdline;
		s.args = cmdline + (l < (size_t)n ? l + 1 : l);
		s.args_len = (size_t)n - (size_t)(s.args - cmdline);
	} else {
		s.exe = s.comm ? s.comm : "";
		s.args = "";
	}
	if (task_link(c, rel, "exe", exe, sizeof(exe)) > 0) {
		char *del = strstr(exe, " (deleted)");

		if (del && !del[10])
			*del = '\0';
		s.exepath = exe;
	}
	if (task_link(c, rel, "cwd", cwd, sizeof(cwd) - 1) > 0) {
		l = strlen(cwd);
		if (!l || cwd[l - 1] != '/')
			strcpy(cwd + l, "/");
		s.cwd = cwd;
	}
	n = task_read(c, rel, "environ", env, sizeof(env));
	if (n > 0) {
		s.env = env;
		s.env_len = (size_t)n;
	}
	if (task_read(c, rel, "cgroup", cg, sizeof(cg)) > 0) {
		s.cgroups = cgl;
		s.cgroups_len = cgroups_list(cg, cgl, sizeof(cgl));
	}
	return c->sink->task(c, &s, out);
}

static int load_process(struct pfs_ctx *c, uint64_t pid, uint64_t only_tid)
{
	char path[PROC_PATH_MAX];
	void *lead = NULL, *thr;
	struct dirent *de;
	DIR *d;
	int err;

	err = load_task(c, pid, pid, &lead);
	if (err)
		return err;
	if (lead)
		load_fds(c, lead, pid);
	snprintf(path, sizeof(path), "%s/%" PRIu64 "/task", c->root, pid);
	d = opendir(path);
	if (!d)
		return 0;
	while ((de = readdir(d))) {
		char *end;
		unsigned long long tid = strtoull(de->d_name, &end, 10);

		if (de->d_name[0] == '.' || *end || tid == pid)
			continue;
		if (only_tid && tid != only_tid)
			continue;
		load_task(c, pid, tid, &thr);
	}
	closedir(d);
	return 0;
}

/* ---- sink: the process state ------------------------------------------------ */

static int state_task(struct pfs_ctx *c, const struct proc_spawn *s, void **thr)
{
	struct proc_thread *t = NULL;
	int err = proc_thread_clone(c->w, s, &t);

	if (err) {
		UPD_INC(c->w, seed_errors);
		return err;
	}
	UPD_INC(c->w, seeded_threads);
	*thr = t;
	return 0;
}

static void state_fd(struct pfs_ctx *c, void *thr, const struct proc_fd_info *fi)
{
	if (proc_fd_add(c->w, thr, fi))
		UPD_INC(c->w, seed_errors);
}

static const struct pfs_sink state_sink = {state_task, state_fd};

/* ---- sink: a capture's initial tables --------------------------------------- */

static char *tdup(struct pfs_ctx *c, const char *s, size_t len)
{
	char *d = malloc(len + 1);

	if (!d) {
		c->oom = 1;
		return NULL;
	}
	if (len)
		memcpy(d, s, len);
	d[len] = '\0';
	return d;
}

/* @arr holding @n elements, grown so element n fits (capacity 64, 128, ...). */
static void *tgrow(struct pfs_ctx *c, void *arr, uint32_t n, size_t elem)
{
	void *v;

	if (n && (n < 64 || (n & (n - 1))))
		return arr; /* room left */
	v = realloc(arr, (n ? (size_t)n * 2 : 64) * elem);
	if (!v)
		c->oom = 1;
	return v;
}

static int tables_task(struct pfs_ctx *c, const struct proc_spawn *s, void **thr)
{
	struct cap_tables *t = c->tables;
	struct cap_proc *p, *v;

	if (c->oom || t->nprocs == UINT32_MAX)
		return -ENOMEM;
	v = tgrow(c, t->procs, t->nprocs, sizeof(*v));
	if (!v)
		return -ENOMEM;
	t->procs = v;
	p = &t->procs[t->nprocs];
	memset(p, 0, sizeof(*p));
	p->tid = s->tid;
	p->pid = s->tgid;
	p->ptid = s->ptid;
	p->sid = s->sid;
	p->vpgid = s->vpgid;
	p->pgid = s->vpgid;
	p->vtid = (int64_t)s->vtid;
	p->vpid = (int64_t)s->vpid;
	p->comm = tdup(c, s->comm ? s->comm : "", s->comm ? strlen(s->comm) : 0);
	p->exe = tdup(c, s->exe ? s->exe : "", s->exe ? strlen(s->exe) : 0);
	p->exepath = tdup(c, s->exepath ? s->exepath : "", s->exepath ? strlen(s->exepath) : 0);
	p->cwd = tdup(c, s->cwd ? s->cwd : "", s->cwd ? strlen(s->cwd) : 0);
	p->root = tdup(c, "/", 1);
	p->args = tdup(c, s->args ? s->args : "", s->args ? s->args_len : 0);
	p->args_len = (uint32_t)(s->args ? s->args_len : 0);
	p->env = tdup(c, s->env ? s->env : "", s->env ? s->env_len : 0);
	p->env_len = (uint32_t)(s->env ? s->env_len : 0);
	p->cgroups = tdup(c, s->cgroups ? s->cgroups : "", s->cgroups ? s->cgroups_len : 0);
	p->cgroups_len = (uint32_t)(s->cgroups ? s->cgroups_len : 0);
	p->fdlimit = 1024;
	p->uid = s->euid;
	p->gid = s->egid;
	p->loginuid = s->loginuid;
	p->tty = s->tty;
	p->cap_inheritable = s->cap_inheritable;
	p->cap_permitted = s->cap_permitted;
	p->cap_effective = s->cap_effective;
	p->clone_ts = s->ts;
	p->has = CAP_PROC_HAS_SID | CAP_PROC_HAS_VPGID | CAP_PROC_HAS_EXEPATH | CAP_PROC_HAS_ENV |
		 CAP_PROC_HAS_NS | CAP_PROC_HAS_ROOT | CAP_PROC_HAS_LOGINUID | CAP_PROC_HAS_TTY |
		 CAP_PROC_HAS_PGID | (s->flags & PROC_SPAWN_HAVE_CAPS ? CAP_PROC_HAS_CAPS : 0);
	t->nprocs++; /* counted even on a failed copy: release frees what is there */
	if (c->oom)
		return -ENOMEM;
	*thr = (void *)(uintptr_t)s->tid;
	return 0;
}

/* enum proc_fd_type -> the capture's fd type (libs scap_fd_type). */
static uint8_t cap_fd_type_of(uint32_t t, uint32_t flags)
{
	bool srv = flags & PROC_FD_F_SERVER;

	switch (t) {
	case PROC_FD_FILE:
		return CAP_FD_FILE_V2;
	case PROC_FD_DIRECTORY:
		return CAP_FD_DIRECTORY;
	case PROC_FD_IPV4_SOCK:
		return srv ? CAP_FD_IPV4_SERVSOCK : CAP_FD_IPV4_SOCK;
	case PROC_FD_IPV6_SOCK:
		return srv ? CAP_FD_IPV6_SERVSOCK : CAP_FD_IPV6_SOCK;
	case PROC_FD_PIPE:
		return CAP_FD_FIFO;
	case PROC_FD_UNIX_SOCK:
		return CAP_FD_UNIX_SOCK;
	case PROC_FD_EVENT:
		return CAP_FD_EVENT;
	case PROC_FD_SIGNALFD:
		return CAP_FD_SIGNALFD;
	case PROC_FD_EVENTPOLL:
		return CAP_FD_EVENTPOLL;
	case PROC_FD_INOTIFY:
		return CAP_FD_INOTIFY;
	case PROC_FD_TIMERFD:
		return CAP_FD_TIMERFD;
	case PROC_FD_NETLINK:
		return CAP_FD_NETLINK;
	case PROC_FD_BPF:
		return CAP_FD_BPF;
	case PROC_FD_USERFAULTFD:
		return CAP_FD_USERFAULTFD;
	case PROC_FD_IOURING:
		return CAP_FD_IOURING;
	case PROC_FD_MEMFD:
		return CAP_FD_MEMFD;
	default:
		return CAP_FD_UNKNOWN;
	}
}

static void tables_fd(struct pfs_ctx *c, void *thr, const struct proc_fd_info *fi)
{
	struct cap_tables *t = c->tables;
	const struct proc_sock *k = fi->sock;
	const char *name = fi->name ? fi->name : "";
	struct cap_fd *f, *v;

	if (c->oom || t->nfds == UINT32_MAX)
		return;
	v = tgrow(c, t->fds, t->nfds, sizeof(*v));
	if (!v)
		return;
	t->fds = v;
	f = &t->fds[t->nfds];
	memset(f, 0, sizeof(*f));
	f->tid = (uint64_t)(uintptr_t)thr;
	f->fd = fi->fd;
	f->ino = fi->ino;
	f->type = cap_fd_type_of(fi->type, fi->flags);
	f->open_flags = proc_openflags_to_ppm(fi->flags);
	switch (f->type) {
	case CAP_FD_IPV4_SOCK:
	case CAP_FD_IPV6_SOCK:
	case CAP_FD_IPV4_SERVSOCK:
	case CAP_FD_IPV6_SERVSOCK: {
		/* a server socket keeps its bound address in dip (state); the
		 * capture has it in the source fields */
		bool srv = f->type == CAP_FD_IPV4_SERVSOCK || f->type == CAP_FD_IPV6_SERVSOCK;
		const uint8_t *sip = srv ? k->dip : k->sip;

		f->l4proto = k->l4proto;
		f->sport = srv ? k->dport : k->sport;
		f->dport = srv ? 0 : k->dport;
		if (f->type == CAP_FD_IPV4_SOCK || f->type == CAP_FD_IPV4_SERVSOCK) {
			memcpy(&f->sip4, sip, 4);
			if (!srv)
				memcpy(&f->dip4, k->dip, 4);
		} else {
			memcpy(f->sip6, sip, 16);
			if (!srv)
				memcpy(f->dip6, k->dip, 16);
		}
		name = "";
		break;
	}
	case CAP_FD_UNIX_SOCK: {
		const char *sp = strchr(name, ' ');

		if (k)
			memcpy(&f->unix_src, k->sip, sizeof(f->unix_src));
		name = sp ? sp + 1 : ""; /* "<addr>->0 <path>": the path */
		break;
	}
	default:
		break;
	}
	f->name = tdup(c, name, strlen(name));
	t->nfds++;
}

static const struct pfs_sink tables_sink = {tables_task, tables_fd};

static void ctx_init(struct pfs_ctx *c, struct proc_worker *w, const char *procfs)
{
	char buf[8192];
	const char *b;

	memset(c, 0, sizeof(*c));
	c->w = w;
	c->sink = &state_sink;
	c->root = procfs ? procfs : "/proc";
	c->hz = sysconf(_SC_CLK_TCK);
	if (c->hz <= 0)
		c->hz = 100;
	if (read_at(c, "stat", buf, sizeof(buf)) > 0 && (b = strstr(buf, "btime ")))
		c->btime_ns = strtoull(b + 6, NULL, 10) * 1000000000ull;
}

int proc_state_from_procfs(struct proc_worker *w, const char *procfs,
			   bool (*owns)(void *ctx, uint64_t tid, uint64_t pid), void *ctx)
{
	struct pfs_ctx c;
	struct dirent *de;
	DIR *d;

	ctx_init(&c, w, procfs);
	d = opendir(c.root);
	if (!d)
		return -errno;
	while ((de = readdir(d))) {
		char *end;
		unsigned long long pid = strtoull(de->d_name, &end, 10);

		if (!isdigit((unsigned char)de->d_name[0]) || *end || !pid)
			continue;
		if (owns && !owns(ctx, pid, pid))
			continue;
		if (proc_thread_lookup(w, pid))
			continue;
		load_process(&c, pid, 0);
	}
	closedir(d);
	socks_free(&c.socks);
	return 0;
}

/* A sink that adds one fd to an existing table, under its entries. */
static void under_fd(struct pfs_ctx *c, void *thr, const struct proc_fd_info *fi)
{
	struct proc_process *p = thr;

	if (proc_fdtable_put_under(c->w, &p->fds, fi))
		UPD_INC(c->w, seed_errors);
}

static const struct pfs_sink under_sink = {NULL, under_fd};

int proc_procfs_load_fd(struct proc_worker *w, struct proc_process *p, int64_t fd)
{
	struct pfs_ctx c;
	char rel[64];
	struct stat st;

	if (!w->t->procfs)
		return -ENOENT;
	memset(&c, 0, sizeof(c)); /* no ctx_init: an fd needs no boot time */
	c.w = w;
	c.root = w->t->procfs;
	c.sink = &under_sink;
	snprintf(rel, sizeof(rel), "%s/%" PRIu64 "/fd/%" PRId64, c.root, p->tgid, fd);
	if (lstat(rel, &st) < 0) {
		/* not open in the process, or the process is gone already */
		UPD_INC(w, procfs_fd_misses);
		return -errno;
	}
	UPD_INC(w, procfs_fd_loads);
	load_fd(&c, p, p->tgid, fd);
	socks_free(&c.socks);
	return 0;
}

int proc_state_load_tid(struct proc_worker *w, const char *procfs, uint64_t tid)
{
	char rel[64], status[4096];
	const char *v;
	struct pfs_ctx c;
	struct proc_thread *thr;
	uint64_t pid;
	int err;

	ctx_init(&c, w, procfs);
	snprintf(rel, sizeof(rel), "%" PRIu64 "/status", tid);
	if (read_at(&c, rel, status, sizeof(status)) <= 0)
		return -ENOENT;
	v = status_field(status, "Tgid");
	pid = v ? strtoull(v, NULL, 10) : 0;
	if (!pid) {
		UPD_INC(w, procfs_errors);
		return -EINVAL;
	}
	UPD_INC(w, procfs_loads);
	thr = proc_thread_lookup(w, pid);
	if (thr && proc_thread_owner(thr) != proc_worker_id(w))
		return -EPERM;
	if (!thr || proc_thread_is_placeholder(thr)) {
		err = load_process(&c, pid, tid);
	} else if (tid != pid) {
		void *t;

		err = load_task(&c, pid, tid, &t);
	} else {
		err = 0;
	}
	socks_free(&c.socks);
	return err;
}

/* A copy of an account field; glibc leaves fields of NIS compat lines
 * ("+", "-name") NULL. */
static char *acct_dup(const char *s)
{
	return strdup(s ? s : "");
}

/* Append the accounts of @path (passwd or group format) to @t. */
static int tables_accounts(struct cap_tables *t, const char *passwd, const char *group)
{
	FILE *f;
	int err = 0;

	if (passwd && (f = fopen(passwd, "re"))) {
		struct passwd *pw;

		while (!err && (pw = fgetpwent(f))) {
			struct cap_user *v = realloc(t->users, (t->nusers + 1) * sizeof(*v)), *u;

			if (!v) {
				err = -ENOMEM;
				break;
			}
			t->users = v;
			u = &v[t->nusers++];
			u->uid = pw->pw_uid;
			u->gid = pw->pw_gid;
			u->name = acct_dup(pw->pw_name);
			u->home = acct_dup(pw->pw_dir);
			u->shell = acct_dup(pw->pw_shell);
			if (!u->name || !u->home || !u->shell)
				err = -ENOMEM;
		}
		fclose(f);
	}
	if (group && (f = fopen(group, "re"))) {
		struct group *gr;

		while (!err && (gr = fgetgrent(f))) {
			struct cap_group *v = realloc(t->groups, (t->ngroups + 1) * sizeof(*v)), *g;

			if (!v) {
				err = -ENOMEM;
				break;
			}
			t->groups = v;
			g = &v[t->ngroups++];
			g->gid = gr->gr_gid;
			g->name = acct_dup(gr->gr_name);
			if (!g->name)
				err = -ENOMEM;
		}
		fclose(f);
	}
	return err;
}

int proc_host_tables(const char *procfs, const char *passwd, const char *group,
		     struct cap_tables *out, uint64_t *skipped)
{
	struct pfs_ctx c;
	struct dirent *de;
	DIR *d;
	int err;

	memset(out, 0, sizeof(*out));
	ctx_init(&c, NULL, procfs);
	c.sink = &tables_sink;
	c.tables = out;
	d = opendir(c.root);
	if (!d)
		return -errno;
	while (!c.oom && (de = readdir(d))) {
		char *end;
		unsigned long long pid = strtoull(de->d_name, &end, 10);

		if (!isdigit((unsigned char)de->d_name[0]) || *end || !pid)
			continue;
		load_process(&c, pid, 0);
	}
	closedir(d);
	socks_free(&c.socks);
	err = c.oom ? -ENOMEM : tables_accounts(out, passwd, group);
	if (err)
		cap_tables_release(out);
	if (skipped)
		*skipped = c.errors;
	return err;
}
