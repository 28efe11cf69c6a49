/*
 * synth.c - the synthetic event stream generator (see synth.h).
 *
 * HOW IT WORKS: P process slots are kept alive. At the start each slot is
 * filled by a clone + execve from an earlier slot (or from the declared init
 * process), which gives ancestry chains of varied depth. Then each step picks
 * a slot by a Zipf law (a precomputed CDF and a binary search), a thread of it
 * uniformly, and an action by a fixed mix. Each slot keeps a small fd table
 * (lowest free fd first, like the kernel) so reads, writes, sends and closes
 * name fds that an earlier open, socket, connect or accept created. Rarely a
 * slot's process exits and a fresh child of another slot takes its place, so
 * the tree churns but its size stays P.
 *
 * Events are built in one reusable buffer, parameter by parameter, in the
 * order of the current libs table; tests check every generated event against
 * src/abi's table.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "abi/event_table.h"
#include "source/synth.h"

/* Values of the libs flag encodings used below (ppm_events_public.h). */
#define SY_AF_INET 2
#define SY_O_RDONLY (1u << 0)
#define SY_O_WRONLY (1u << 1)
#define SY_O_CREAT (1u << 2)
#define SY_O_APPEND (1u << 3)
#define SY_O_CLOEXEC (1u << 12)
#define SY_CL_CLONE_FILES (1u << 0)
#define SY_CL_CLONE_FS (1u << 1)
#define SY_CL_CLONE_SIGHAND (1u << 11)
#define SY_CL_CLONE_THREAD (1u << 13)
#define SY_CL_CLONE_VM (1u << 15)
#define SY_THREAD_FLAGS                                                                     \
	(SY_CL_CLONE_FILES | SY_CL_CLONE_FS | SY_CL_CLONE_SIGHAND | SY_CL_CLONE_THREAD |   \
	 SY_CL_CLONE_VM)

#define SY_MAX_FDS 64	      /* per process; the bitmap is one u64 */
#define SY_MAX_THREADS 64
#define SY_SNAPLEN 80	      /* bytes of I/O data kept, as the probe's default */
#define SY_BUF_LEN 8192

enum sy_fdkind { SY_FD_FILE = 1, SY_FD_SOCK };

struct sy_fd {
	uint8_t kind;
	uint16_t file;	       /* index into sy_files for SY_FD_FILE */
	uint32_t lip, rip;     /* socket tuple, network byte order */
	uint16_t lport, rport;
};

struct sy_proc {
	uint64_t tgid, ptid;
	uint64_t tids[SY_MAX_THREADS];
	uint32_t nthreads;
	uint16_t prog;	       /* index into sy_progs */
	uint64_t fdmap;	       /* bit i set: fd i open */
	struct sy_fd fds[SY_MAX_FDS];
	uint64_t clone_ts;
};

struct sy_prog {
	const char *exe, *comm, *args; /* args: space-separated, turned into NULs */
	uint16_t port;		       /* listening port of servers, 0 otherwise */
};

static const struct sy_prog sy_progs[] = {
	{"/usr/sbin/nginx", "nginx", "-g daemon off;", 80},
	{"/usr/lib/postgresql/15/bin/postgres", "postgres", "-D /var/lib/postgresql/15/main", 5432},
	{"/usr/bin/redis-server", "redis-server", "127.0.0.1:6379", 6379},
	{"/usr/bin/python3.11", "python3", "/srv/app/worker.py --queue default", 0},
	{"/usr/lib/jvm/java-17-openjdk-amd64/bin/java", "java", "-Xmx2g -jar /opt/app/service.jar",
	 8080},
	{"/usr/bin/node", "node", "/srv/web/server.js", 3000},
	{"/usr/sbin/sshd", "sshd", "-D", 22},
	{"/usr/bin/bash", "bash", "-c /usr/local/bin/backup.sh", 0},
	{"/usr/bin/curl", "curl", "-s https://api.internal.example/health", 0},
	{"/usr/sbin/cron", "cron", "-f", 0},
	{"/usr/bin/containerd", "containerd", "--config /etc/containerd/config.toml", 0},
	{"/usr/lib/systemd/systemd-journald", "systemd-journal", "", 0},
	{"/usr/bin/grep", "grep", "-r ERROR /var/log/app", 0},
	{"/usr/bin/tar", "tar", "czf /var/backups/etc.tgz /etc", 0},
};
#define SY_NPROGS (sizeof(sy_progs) / sizeof(sy_progs[0]))

static const char *const sy_files[] = {
	"/etc/passwd",
	"/etc/hosts",
	"/etc/resolv.conf",
	"/etc/ssl/certs/ca-certificates.crt",
	"/usr/lib/x86_64-linux-gnu/libc.so.6",
	"/usr/lib/x86_64-linux-gnu/libssl.so.3",
	"/var/log/app/access.log",
	"/var/log/app/error.log",
	"/var/lib/postgresql/15/main/base/16384/2619",
	"/var/lib/redis/dump.rdb",
	"/srv/web/static/index.html",
	"/srv/app/config.yaml",
	"/proc/self/stat",
	"/proc/meminfo",
	"/tmp/upload-3f2a.tmp",
	"/dev/null",
	"/dev/urandom",
	"/home/deploy/.bashrc",
};
#define SY_NFILES (sizeof(sy_files) / sizeof(sy_files[0]))

static const char sy_payload[] =
	"GET /api/v1/items?page=2 HTTP/1.1\r\nHost: app.internal\r\nUser-Agent: curl/7.88.1\r\n"
	"Accept: */*\r\n\r\n";

struct sy_gen {
	const struct synth_opts *o;
	const struct synth_sink *sink;
	uint64_t rng;
	uint64_t ts;
	uint64_t emitted;
	uint64_t next_tid;
	struct sy_proc *procs;
	double *cdf;
	/* the event being built */
	uint8_t buf[SY_BUF_LEN];
	uint32_t np, pi, dlen;
	uint64_t tid;
	uint16_t type;
	int err;
};

/* xorshift64*: fast, good enough for workload shapes, deterministic. */
static uint64_t sy_rand(struct sy_gen *g)
{
	g->rng ^= g->rng >> 12;
	g->rng ^= g->rng << 25;
	g->rng ^= g->rng >> 27;
	return g->rng * 0x2545F4914F6CDD1DULL;
}

static uint32_t sy_below(struct sy_gen *g, uint32_t n)
{
	return (uint32_t)((sy_rand(g) >> 32) * n >> 32);
}

/* ---- event builder: header, nparams u16 lengths, data ---- */

static void eb_begin(struct sy_gen *g, uint16_t type, uint64_t tid)
{
	const struct evt_info *info = evt_info(type);

	g->type = type;
	g->tid = tid;
	g->np = info ? info->nparams : 0;
	g->pi = 0;
	g->dlen = 0;
}

static void eb_param(struct sy_gen *g, const void *p, uint32_t len)
{
	uint8_t *lens = g->buf + EVT_HDR_LEN;
	uint8_t *data = lens + g->np * 2 + g->dlen;
	uint16_t l = (uint16_t)len;

	if (g->pi >= g->np || EVT_HDR_LEN + g->np * 2 + g->dlen + len > SY_BUF_LEN) {
		g->err = -EINVAL;
		return;
	}
	memcpy(lens + g->pi * 2, &l, 2);
	memcpy(data, p, len);
	g->dlen += len;
	g->pi++;
}

static void eb_u8(struct sy_gen *g, uint8_t v)
{
	eb_param(g, &v, 1);
}

static void eb_u32(struct sy_gen *g, uint32_t v)
{
	eb_param(g, &v, 4);
}

static void eb_u64(struct sy_gen *g, uint64_t v)
{
	eb_param(g, &v, 8);
}

static void eb_str(struct sy_gen *g, const char *s)
{
	eb_param(g, s, (uint32_t)strlen(s) + 1);
}

static void eb_sockaddr(struct sy_gen *g, uint32_t ip, uint16_t port)
{
	uint8_t b[7] = {SY_AF_INET};

	memcpy(b + 1, &ip, 4);
	memcpy(b + 5, &port, 2);
	eb_param(g, b, sizeof(b));
}

static void eb_tuple(struct sy_gen *g, const struct sy_fd *f)
{
	uint8_t b[13] = {SY_AF_INET};

	memcpy(b + 1, &f->lip, 4);
	memcpy(b + 5, &f->lport, 2);
	memcpy(b + 7, &f->rip, 4);
	memcpy(b + 11, &f->rport, 2);
	eb_param(g, b, sizeof(b));
}

/* Finish the event: every parameter of the table entry must have been
 * given, so a layout mistake here fails loudly instead of writing garbage. */
static void eb_end(struct sy_gen *g)
{
	struct evt_hdr h;
	uint32_t len = EVT_HDR_LEN + g->np * 2 + g->dlen;
	uint64_t ncpu = g->o->ncpus ? g->o->ncpus : 1;
	int rc;

	if (g->err)
		return;
	if (g->pi != g->np) {
		g->err = -EINVAL;
		return;
	}
	g->ts += 150 + sy_below(g, 900);
	h.ts = g->ts;
	h.tid = g->tid;
	h.len = len;
	h.type = g->type;
	h.nparams = g->np;
	memcpy(g->buf, &h, EVT_HDR_LEN);
	rc = g->sink->event(g->sink->ctx, (uint16_t)(g->tid % ncpu), g->buf, len);
	if (rc < 0)
		g->err = rc;
	g->emitted++;
}

/* ---- process model ---- */

static int sy_fd_alloc(struct sy_proc *p)
{
	uint64_t free_map = ~p->fdmap & ~7ULL; /* 0, 1, 2 stay stdio */

	if (!free_map)
		return -1;
	return __builtin_ctzll(free_map);
}

static int sy_fd_pick(struct sy_gen *g, struct sy_proc *p, int kind)
{
	int cand[SY_MAX_FDS], n = 0;

	for (int i = 3; i < SY_MAX_FDS; i++)
		if ((p->fdmap >> i) & 1 && (!kind || p->fds[i].kind == kind))
			cand[n++] = i;
	return n ? cand[sy_below(g, n)] : -1;
}

static uint32_t sy_args(const struct sy_prog *pr, char *out, uint32_t cap)
{
	uint32_t n = (uint32_t)snprintf(out, cap, "%s", pr->args);

	if (n >= cap)
		n = cap - 1;
	for (uint32_t i = 0; i < n; i++)
		if (out[i] == ' ')
			out[i] = '\0';
	return n ? n + 1 : 0;
}

static const char sy_cgroups[] = "cpuset=/\0cpu=/system.slice\0cpuacct=/system.slice\0"
				 "io=/system.slice\0memory=/system.slice\0devices=/system.slice\0"
				 "freezer=/\0net_cls=/\0perf_event=/\0net_prio=/\0hugetlb=/\0pids=/"
				 "system.slice";

/* Parameters 1..20 shared by clone and execve exits: exe .. cgroups as the
 * current table lists them. */
static void sy_proc_params(struct sy_gen *g, const struct sy_proc *p, uint64_t tid)
{
	const struct sy_prog *pr = &sy_progs[p->prog];
	char args[256];
	uint32_t alen = sy_args(pr, args, sizeof(args));

	eb_str(g, pr->exe);
	eb_param(g, args, alen);
	eb_u64(g, tid);
	eb_u64(g, p->tgid);
	eb_u64(g, p->ptid);
	eb_str(g, "/");
	eb_u64(g, 1024);     /* fdlimit */
	eb_u64(g, 0);	     /* pgft_maj */
	eb_u64(g, 120);	     /* pgft_min */
	eb_u32(g, 24000);    /* vm_size */
	eb_u32(g, 8000);     /* vm_rss */
	eb_u32(g, 0);	     /* vm_swap */
	eb_str(g, pr->comm);
	eb_param(g, sy_cgroups, sizeof(sy_cgroups));
}

/* clone exit on one side: @res is the child tid in the parent, 0 in the child. */
static void sy_clone_x(struct sy_gen *g, const struct sy_proc *p, uint64_t tid, int64_t res,
		       uint32_t flags)
{
	eb_begin(g, EVT_SYSCALL_CLONE_20_X, tid);
	eb_u64(g, (uint64_t)res);
	sy_proc_params(g, p, tid);
	eb_u32(g, flags);
	eb_u32(g, 0);	/* uid */
	eb_u32(g, 0);	/* gid */
	eb_u64(g, tid); /* vtid */
	eb_u64(g, p->tgid);
	eb_u64(g, 0);	/* pidns_init_start_ts */
	eb_end(g);
}

static void sy_procexit(struct sy_gen *g, uint64_t tid, uint64_t reaper)
{
	eb_begin(g, EVT_PROCEXIT_1_E, tid);
	eb_u64(g, 0); /* status */
	eb_u64(g, 0); /* ret */
	eb_u8(g, 0);  /* sig */
	eb_u8(g, 0);  /* core */
	eb_u64(g, reaper);
	eb_end(g);
}

/* execve by the leader. As the kernel's de_thread: every other thread of
 * the process ends first (its procexit), and makes no event after. */
static void sy_execve(struct sy_gen *g, struct sy_proc *p, uint16_t prog)
{
	const struct sy_prog *pr = &sy_progs[prog];
	static const char env[] = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin\0"
				  "LANG=C.UTF-8\0HOME=/root";
	uint64_t tid = p->tids[0];

	for (; p->nthreads > 1; p->nthreads--)
		sy_procexit(g, p->tids[p->nthreads - 1], p->tgid);
	eb_begin(g, EVT_SYSCALL_EXECVE_19_E, tid);
	eb_str(g, pr->exe);
	eb_end(g);

	p->prog = prog;
	eb_begin(g, EVT_SYSCALL_EXECVE_19_X, tid);
	eb_u64(g, 0); /* res */
	sy_proc_params(g, p, tid);
	eb_param(g, env, sizeof(env));
	eb_u32(g, 0);		       /* tty */
	eb_u64(g, p->tgid);	       /* vpgid */
	eb_u32(g, UINT32_MAX);	       /* loginuid: unset */
	eb_u32(g, 0);		       /* flags */
	eb_u64(g, 0);		       /* cap_inheritable */
	eb_u64(g, 0x1ffffffffffULL);   /* cap_permitted */
	eb_u64(g, 0x1ffffffffffULL);   /* cap_effective */
	eb_u64(g, 1000 + prog);	       /* exe_ino */
	eb_u64(g, 1690000000000000000ULL);
	eb_u64(g, 1690000000000000000ULL);
	eb_u32(g, 0);		       /* uid */
	eb_str(g, pr->exe);	       /* trusted_exepath */
	eb_u64(g, p->tgid);	       /* pgid */
	eb_u32(g, 0);		       /* gid */
	eb_str(g, pr->exe);	       /* filename */
	eb_end(g);
}

static void sy_openat(struct sy_gen *g, struct sy_proc *p, uint64_t tid)
{
	int fd = sy_fd_alloc(p);
	uint16_t file = (uint16_t)sy_below(g, SY_NFILES);
	uint32_t flags = (sy_below(g, 4) == 0) ? (SY_O_WRONLY | SY_O_CREAT | SY_O_APPEND)
					       : SY_O_RDONLY;

	flags |= SY_O_CLOEXEC;
	eb_begin(g, EVT_SYSCALL_OPENAT_2_E, tid);
	eb_u64(g, (uint64_t)-100); /* AT_FDCWD */
	eb_str(g, sy_files[file]);
	eb_u32(g, flags);
	eb_u32(g, 0644);
	eb_end(g);

	eb_begin(g, EVT_SYSCALL_OPENAT_2_X, tid);
	eb_u64(g, fd < 0 ? (uint64_t)-24 : (uint64_t)fd); /* -EMFILE when full */
	eb_u64(g, (uint64_t)-100);
	eb_str(g, sy_files[file]);
	eb_u32(g, flags);
	eb_u32(g, 0644);
	eb_u32(g, 0x801);
	eb_u64(g, 40000 + file);
	eb_end(g);
	if (fd >= 0) {
		p->fdmap |= 1ULL << fd;
		p->fds[fd] = (struct sy_fd){.kind = SY_FD_FILE, .file = file};
	}
}

static void sy_close(struct sy_gen *g, struct sy_proc *p, uint64_t tid, int fd)
{
	eb_begin(g, EVT_SYSCALL_CLOSE_E, tid);
	eb_u64(g, (uint64_t)fd);
	eb_end(g);
	eb_begin(g, EVT_SYSCALL_CLOSE_X, tid);
	eb_u64(g, 0);
	eb_u64(g, (uint64_t)fd);
	eb_end(g);
	p->fdmap &= ~(1ULL << fd);
}

/* read/write (and recvfrom/sendto on sockets) as enter/exit pairs. */
static void sy_io(struct sy_gen *g, struct sy_proc *p, uint64_t tid, bool wr)
{
	int fd = sy_fd_pick(g, p, 0);
	uint32_t size = 64 + sy_below(g, 4032);
	uint32_t got = wr ? size : sy_below(g, size + 1);
	uint32_t dlen = got < SY_SNAPLEN ? got : SY_SNAPLEN;
	bool sock;

	if (fd < 0) {
		sy_openat(g, p, tid);
		return;
	}
	sock = p->fds[fd].kind == SY_FD_SOCK && sy_below(g, 2);
	if (sock) {
		eb_begin(g, wr ? EVT_SOCKET_SENDTO_E : EVT_SOCKET_RECVFROM_E, tid);
		eb_u64(g, (uint64_t)fd);
		eb_u32(g, size);
		if (wr)
			eb_tuple(g, &p->fds[fd]);
		eb_end(g);
		eb_begin(g, wr ? EVT_SOCKET_SENDTO_X : EVT_SOCKET_RECVFROM_X, tid);
		eb_u64(g, got);
		eb_param(g, sy_payload, dlen);
		if (wr) {
			eb_u64(g, (uint64_t)fd);
			eb_u32(g, size);
			eb_tuple(g, &p->fds[fd]);
		} else {
			eb_tuple(g, &p->fds[fd]);
			eb_u64(g, (uint64_t)fd);
			eb_u32(g, size);
		}
		eb_end(g);
		return;
	}
	eb_begin(g, wr ? EVT_SYSCALL_WRITE_E : EVT_SYSCALL_READ_E, tid);
	eb_u64(g, (uint64_t)fd);
	eb_u32(g, size);
	eb_end(g);
	eb_begin(g, wr ? EVT_SYSCALL_WRITE_X : EVT_SYSCALL_READ_X, tid);
	eb_u64(g, got);
	eb_param(g, sy_payload, dlen);
	eb_u64(g, (uint64_t)fd);
	eb_u32(g, size);
	eb_end(g);
}

static uint32_t sy_ip(uint8_t a, uint8_t b, uint8_t c, uint8_t d)
{
	uint8_t v[4] = {a, b, c, d};
	uint32_t ip;

	memcpy(&ip, v, 4); /* network byte order, as the kernel keeps it */
	return ip;
}

static void sy_connect(struct sy_gen *g, struct sy_proc *p, uint64_t tid)
{
	int fd = sy_fd_alloc(p);
	static const uint16_t ports[] = {443, 5432, 6379, 53, 8080};
	struct sy_fd f = {.kind = SY_FD_SOCK,
			  .lip = sy_ip(10, 0, 1, 17),
			  .rip = sy_ip(10, 0, 2, (uint8_t)(10 + sy_below(g, 40))),
			  .lport = (uint16_t)(32768 + sy_below(g, 28000)),
			  .rport = ports[sy_below(g, 5)]};

	if (fd < 0)
		return;
	eb_begin(g, EVT_SOCKET_SOCKET_E, tid);
	eb_u32(g, SY_AF_INET);
	eb_u32(g, 1); /* SOCK_STREAM */
	eb_u32(g, 0);
	eb_end(g);
	eb_begin(g, EVT_SOCKET_SOCKET_X, tid);
	eb_u64(g, (uint64_t)fd);
	eb_u32(g, SY_AF_INET);
	eb_u32(g, 1);
	eb_u32(g, 0);
	eb_u32(g, 0);
	eb_end(g);
	p->fdmap |= 1ULL << fd;
	p->fds[fd] = f;

	eb_begin(g, EVT_SOCKET_CONNECT_E, tid);
	eb_u64(g, (uint64_t)fd);
	eb_sockaddr(g, f.rip, f.rport);
	eb_end(g);
	eb_begin(g, EVT_SOCKET_CONNECT_X, tid);
	eb_u64(g, 0);
	eb_tuple(g, &f);
	eb_u64(g, (uint64_t)fd);
	eb_sockaddr(g, f.rip, f.rport);
	eb_end(g);
}

static void sy_accept(struct sy_gen *g, struct sy_proc *p, uint64_t tid)
{
	int fd = sy_fd_alloc(p);
	struct sy_fd f = {.kind = SY_FD_SOCK,
			  .lip = sy_ip(10, 0, 1, 17),
			  .rip = sy_ip(10, 0, 3, (uint8_t)(1 + sy_below(g, 200))),
			  .lport = sy_progs[p->prog].port,
			  .rport = (uint16_t)(32768 + sy_below(g, 28000))};

	if (fd < 0 || !f.lport) {
		sy_connect(g, p, tid);
		return;
	}
	/* accept (the _5 layout) rather than accept4: readers built on libs of
	 * early 2022, like Debian's sysdig, do not know accept4's current type. */
	eb_begin(g, EVT_SOCKET_ACCEPT_5_E, tid);
	eb_end(g);
	/* The tuple of an accepted socket reads client -> server. */
	struct sy_fd t = {.lip = f.rip, .lport = f.rport, .rip = f.lip, .rport = f.lport};
	eb_begin(g, EVT_SOCKET_ACCEPT_5_X, tid);
	eb_u64(g, (uint64_t)fd);
	eb_tuple(g, &t);
	eb_u8(g, 0);
	eb_u32(g, 0);
	eb_u32(g, 128);
	eb_end(g);
	p->fdmap |= 1ULL << fd;
	p->fds[fd] = f;
}

/* The leader of @c starts its other threads (after an execve). */
static void sy_threads(struct sy_gen *g, struct sy_proc *c)
{
	while (c->nthreads < g->o->threads_per_proc && c->nthreads < SY_MAX_THREADS) {
		uint64_t t = g->next_tid++;

		eb_begin(g, EVT_SYSCALL_CLONE_20_E, c->tgid);
		eb_end(g);
		sy_clone_x(g, c, c->tgid, (int64_t)t, SY_THREAD_FLAGS);
		c->tids[c->nthreads++] = t;
		sy_clone_x(g, c, t, 0, SY_THREAD_FLAGS);
	}
}

/* A new process in slot @c, child of slot @parent (NULL: the init process):
 * fork, extra threads, execve, a few opens. */
static void sy_spawn(struct sy_gen *g, struct sy_proc *c, const struct sy_proc *parent)
{
	static const struct sy_proc init = {.tgid = 1, .ptid = 0, .tids = {1}, .prog = 11};
	const struct sy_proc *pp = parent ? parent : &init;
	uint64_t ptid = pp->tids[0];

	memset(c, 0, sizeof(*c));
	c->tgid = g->next_tid++;
	c->ptid = ptid;
	c->tids[0] = c->tgid;
	c->nthreads = 1;
	c->prog = pp->prog;
	c->fdmap = 7;
	c->clone_ts = g->ts;

	if (parent) {
		eb_begin(g, EVT_SYSCALL_CLONE_20_E, ptid);
		eb_end(g);
		sy_clone_x(g, pp, ptid, (int64_t)c->tgid, 0);
	}
	sy_clone_x(g, c, c->tgid, 0, 0);
	sy_execve(g, c, (uint16_t)sy_below(g, SY_NPROGS));
	sy_threads(g, c);
	for (int i = 0; i < 3; i++)
		sy_openat(g, c, c->tgid);
}

static void sy_exit(struct sy_gen *g, struct sy_proc *p)
{
	for (uint32_t i = p->nthreads; i-- > 0;)
		sy_procexit(g, p->tids[i], i ? p->tgid : 1); /* reaper: the leader, or init */
}

static int sy_build_cdf(struct sy_gen *g)
{
	uint32_t n = g->o->procs;
	double sum = 0;

	g->cdf = malloc(n * sizeof(*g->cdf));
	if (!g->cdf)
		return -ENOMEM;
	for (uint32_t i = 0; i < n; i++) {
		sum += 1.0 / pow((double)i + 1, g->o->skew);
		g->cdf[i] = sum;
	}
	for (uint32_t i = 0; i < n; i++)
		g->cdf[i] /= sum;
	return 0;
}

static uint32_t sy_pick_proc(struct sy_gen *g)
{
	double u = (double)(sy_rand(g) >> 11) / (double)(1ULL << 53);
	uint32_t lo = 0, hi = g->o->procs - 1;

	while (lo < hi) {
		uint32_t mid = (lo + hi) / 2;

		if (g->cdf[mid] < u)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* One step: one action of one thread. Fills exactly when few events remain. */
static void sy_step(struct sy_gen *g)
{
	uint32_t n = g->o->procs;
	struct sy_proc *p = &g->procs[sy_pick_proc(g)];
	uint64_t tid = p->tids[sy_below(g, p->nthreads)];
	uint32_t r = sy_below(g, 10000);
	uint64_t left = g->o->events - g->emitted;
	int fd;

	/* Mix in 1/10000 of steps. Execs and exits pick their process evenly, not
	 * by the skew: a hot server process is long-lived, churn is elsewhere. */
	if (left < 64 + 4 * (uint64_t)g->o->threads_per_proc || r < 5400 ||
	    (r >= 7400 && r < 8800)) {
		sy_io(g, p, tid, r & 1);
	} else if (r < 6400) {
		sy_openat(g, p, tid);
	} else if (r < 7400) {
		fd = sy_fd_pick(g, p, 0);
		if (fd >= 0 && __builtin_popcountll(p->fdmap) > 5)
			sy_close(g, p, tid, fd);
		else
			sy_io(g, p, tid, false);
	} else if (r < 9200) {
		fd = sy_fd_pick(g, p, SY_FD_SOCK);
		if (fd >= 0)
			sy_close(g, p, tid, fd);
		else
			sy_connect(g, p, tid);
	} else if (r < 9550) {
		sy_connect(g, p, tid);
	} else if (r < 9980) {
		sy_accept(g, p, tid);
	} else if (r < 9990) {
		p = &g->procs[sy_below(g, n)];
		sy_execve(g, p, (uint16_t)sy_below(g, SY_NPROGS));
		sy_threads(g, p);
	} else {
		/* exit, and a child of another slot takes the place */
		uint32_t dead = sy_below(g, n), parent = sy_below(g, n);

		p = &g->procs[dead];
		sy_exit(g, p);
		/* never the dead process itself; with one slot, init adopts */
		if (parent == dead)
			parent = (parent + 1) % n;
		sy_spawn(g, p, parent == dead ? NULL : &g->procs[parent]);
	}
}

void synth_opts_default(struct synth_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->events = 1000000;
	o->procs = 64;
	o->threads_per_proc = 1;
	o->seed = 1;
	o->ncpus = 2;
	o->start_ts = 1700000000000000000ULL;
}

int synth_run(const struct synth_opts *o, const struct synth_sink *sink)
{
	static const char init_args[] = "--system\0--deserialize\0" "31";
	struct synth_proc init = {.tid = 1, .pid = 1, .ptid = 0, .comm = "systemd",
				  .exe = "/sbin/init", .exepath = "/usr/lib/systemd/systemd",
				  .cwd = "/", .args = init_args, .args_len = sizeof(init_args),
				  .clone_ts = o->start_ts - 3600000000000ULL};
	struct sy_gen *g;
	int rc;

	if (!o->procs || !o->threads_per_proc || o->threads_per_proc > SY_MAX_THREADS ||
	    o->skew < 0 || !(o->skew == o->skew))
		return -EINVAL;
	g = calloc(1, sizeof(*g));
	if (!g)
		return -ENOMEM;
	g->o = o;
	g->sink = sink;
	g->rng = o->seed * 0x9E3779B97F4A7C15ULL + 0x632BE59BD9B4E019ULL;
	g->ts = o->start_ts;
	g->next_tid = 1000;
	g->procs = calloc(o->procs, sizeof(*g->procs));
	rc = g->procs ? sy_build_cdf(g) : -ENOMEM;
	if (!rc && sink->proc)
		rc = sink->proc(sink->ctx, &init);
	/* the tree: each slot a child of an earlier one (or of init) */
	for (uint32_t i = 0; !rc && i < o->procs && !g->err && g->emitted < o->events; i++)
		sy_spawn(g, &g->procs[i], i ? &g->procs[sy_below(g, i)] : NULL);
	while (!rc && !g->err && g->emitted < o->events)
		sy_step(g);
	if (!rc)
		rc = g->err;
	free(g->cdf);
	free(g->procs);
	free(g);
	return rc;
}
