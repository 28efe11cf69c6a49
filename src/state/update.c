/*
 * update.c - build and maintain the process state from events.
 *
 * Each worker calls proc_event_apply for every event of its partition: the
 * event's thread is found (or a placeholder made), the fd it acts on is
 * looked up, and the events that change state do so through the owner-only
 * writers of table.c and fd.c. What each event sets follows libs' parsers
 * (userspace/libsinsp/parsers.cpp): fd names (paths joined with the cwd or
 * the dirfd's path, socket tuples as "sip:sport->dip:dport", unix sockets as
 * "src->dst path"), what a clone child inherits and what execve replaces.
 * Removals that rules must still see (close, procexit) are deferred to
 * proc_event_done, as libs removes a closed fd after the event was
 * processed. Nothing here allocates for events that only use an fd; every
 * failure is counted per worker (PROC_UPD_STATS) and never fatal.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include "abi/event_table.h"
#include "capture/capture.h"
#include "state/ctr_int.h"
#include "state/update_int.h"

/* libs constants (driver/ppm_events_public.h) the parsers test */
#define PPM_AF_UNIX	       1
#define PPM_AF_INET	       2
#define PPM_AF_INET6	       10
#define PPM_AF_NETLINK	       16
#define PPM_CL_CLONE_THREAD    0x2000u
#define PPM_CL_CLONE_NEWUSER   0x100000u
#define PPM_O_DIRECTORY	       0x400u
#define PPM_O_CLOEXEC	       0x1000u
#define PPM_O_F_CREATED	       0x4000u
#define PPM_EXE_WRITABLE       0x1u
#define PPM_EXE_UPPER_LAYER    0x2u
#define PPM_EXE_FROM_MEMFD     0x4u
#define PPM_FCNTL_F_DUPFD      0x1u
#define PPM_FCNTL_F_SETFD      0x3u
#define PPM_FCNTL_F_DUPFD_CLOEXEC 0x1au
#define PPM_PR_SET_NAME	       15u
#define PPM_AT_FDCWD	       (-100)
#define PPM_CLOSE_RANGE_CLOEXEC 0x4u
#define PPM_EPOLL_CLOEXEC      0x1u
#define SCAP_L4_TCP	       6
#define SCAP_L4_UDP	       17
#define SCAP_L4_ICMP	       1
#define SCAP_L4_RAW	       255
#define CAPS_ALL	       0x1ffffffffffull /* every capability (CAP_LAST_CAP 40) */

/* proc_evt_ref.defer */
#define DEFER_CLOSE (1u << 0)
#define DEFER_EXIT  (1u << 1)

/* ---- small helpers --------------------------------------------------------- */

static const struct {
	uint32_t ppm, kern;
} openflag_map[] = {
	{0x2, O_WRONLY},     {0x3, O_RDWR},	    {0x4, O_CREAT},	 {0x8, O_APPEND},
	{0x10, O_DSYNC},     {0x20, O_EXCL},	    {0x40, O_NONBLOCK},	 {0x80, O_SYNC},
	{0x100, O_TRUNC},    {0x200, O_DIRECT},	    {0x400, O_DIRECTORY}, {0x800, O_LARGEFILE},
	{0x1000, O_CLOEXEC}, {0x2000, O_TMPFILE},
};

uint32_t proc_openflags_from_ppm(uint32_t ppm)
{
	uint32_t f = 0, i;

	/* libs: O_RDONLY 1, O_WRONLY 2, O_RDWR 3 */
	if ((ppm & 3) == 3)
		f |= O_RDWR;
	else if (ppm & 2)
		f |= O_WRONLY;
	for (i = 2; i < sizeof(openflag_map) / sizeof(openflag_map[0]); i++)
		if (ppm & openflag_map[i].ppm)
			f |= openflag_map[i].kern;
	if (ppm & PPM_O_F_CREATED)
		f |= PROC_FD_F_CREATED;
	return f;
}

uint32_t proc_openflags_to_ppm(uint32_t flags)
{
	uint32_t p, i;

	if ((flags & O_ACCMODE) == O_RDWR)
		p = 3;
	else if ((flags & O_ACCMODE) == O_WRONLY)
		p = 2;
	else
		p = 1;
	for (i = 2; i < sizeof(openflag_map) / sizeof(openflag_map[0]); i++)
		if (openflag_map[i].kern && (flags & openflag_map[i].kern) == openflag_map[i].kern)
			p |= openflag_map[i].ppm;
	if (flags & PROC_FD_F_CREATED)
		p |= PPM_O_F_CREATED;
	return p;
}

size_t upd_path_join(char *out, size_t cap, const char *dir, const char *name)
{
	size_t n = 0, dl;
	const char *pc = name;

	if (!cap)
		return 0;
	if (name[0] != '/' && name[0]) {
		dl = strnlen(dir, cap - 1);
		memcpy(out, dir, dl);
		n = dl;
	}
	while (*pc) {
		char c = *pc;

		if (c == '.' && (n == 0 || out[n - 1] == '/')) {
			if (pc[1] == '.' && (pc[2] == '/' || pc[2] == '\0')) {
				/* "..": back to the previous '/', never above the root */
				if (n > 1) {
					n--;
					while (n >= 1 && out[n - 1] != '/')
						n--;
				}
				pc += pc[2] ? 3 : 2;
				continue;
			}
			if (pc[1] == '/' || pc[1] == '\0') {
				pc += pc[1] ? 2 : 1;
				continue;
			}
		}
		if (c == '/' && n > 0 && out[n - 1] == '/') {
			pc++;
			continue;
		}
		if (n + 1 >= cap)
			break;
		out[n++] = c;
		pc++;
	}
	if (n > 1 && out[n - 1] == '/')
		n--;
	out[n] = '\0';
	return n;
}

size_t upd_cwd_join(char *out, size_t cap, const char *dir, const char *name)
{
	size_t n = upd_path_join(out, cap - 1, dir, name);

	if (n == 0 || out[n - 1] != '/') {
		out[n++] = '/';
		out[n] = '\0';
	}
	return n;
}

uint32_t upd_fd_type_from_cap(uint8_t t)
{
	switch (t) {
	case CAP_FD_FILE:
	case CAP_FD_FILE_V2:
		return PROC_FD_FILE;
	case CAP_FD_DIRECTORY:
		return PROC_FD_DIRECTORY;
	case CAP_FD_IPV4_SOCK:
	case CAP_FD_IPV4_SERVSOCK:
		return PROC_FD_IPV4_SOCK;
	case CAP_FD_IPV6_SOCK:
	case CAP_FD_IPV6_SERVSOCK:
		return PROC_FD_IPV6_SOCK;
	case CAP_FD_FIFO:
		return PROC_FD_PIPE;
	case CAP_FD_UNIX_SOCK:
		return PROC_FD_UNIX_SOCK;
	case CAP_FD_EVENT:
		return PROC_FD_EVENT;
	case CAP_FD_SIGNALFD:
		return PROC_FD_SIGNALFD;
	case CAP_FD_EVENTPOLL:
		return PROC_FD_EVENTPOLL;
	case CAP_FD_INOTIFY:
		return PROC_FD_INOTIFY;
	case CAP_FD_TIMERFD:
		return PROC_FD_TIMERFD;
	case CAP_FD_NETLINK:
		return PROC_FD_NETLINK;
	case CAP_FD_BPF:
		return PROC_FD_BPF;
	case CAP_FD_USERFAULTFD:
		return PROC_FD_USERFAULTFD;
	case CAP_FD_IOURING:
		return PROC_FD_IOURING;
	case CAP_FD_MEMFD:
		return PROC_FD_MEMFD;
	default:
		return PROC_FD_UNKNOWN;
	}
}

void proc_upd_stats(const struct proc_table *t, struct proc_upd_stats *out)
{
	uint64_t *o = (uint64_t *)out;
	unsigned n = LD(t->nworkers), i, k;

	memset(out, 0, sizeof(*out));
	if (n > t->max_workers)
		n = t->max_workers;
	for (i = 0; i < n; i++)
		for (k = 0; k < PROC_UPD_NCOUNTERS; k++)
			o[k] += LD(t->workers[i].upd[k]);
}

/* ---- where an event's fd parameter is ------------------------------------- */

static int8_t fd_param_idx[EVT_TYPE_MAX];
static pthread_once_t fd_param_once = PTHREAD_ONCE_INIT;
static bool fd_param_ready; /* release by fd_param_init, acquire by fd_param_need */
static bool held_type[EVT_TYPE_MAX]; /* enter and exit of held_exits (below), built once */
static void held_init(void);

/* The parameter naming the fd an event acts on: "fd" (or the first fd-typed
 * parameter that is not the result) of events flagged as using or closing
 * one. Built once from the event table. */
static void fd_param_init(void)
{
	unsigned t, i;

	for (t = 0; t < EVT_TYPE_MAX; t++) {
		const struct evt_info *inf = evt_info((uint16_t)t);
		int idx = -1;

		fd_param_idx[t] = -1;
		if (!inf || !(inf->flags & (EVT_FLAG_USES_FD | EVT_FLAG_DESTROYS_FD)))
			continue;
		for (i = 0; i < inf->nparams && idx < 0; i++)
			if ((inf->params[i].type == EPT_FD || inf->params[i].type == EPT_FD32) &&
			    !strcmp(inf->params[i].name, "fd"))
				idx = (int)i;
		for (i = 0; i < inf->nparams && idx < 0; i++)
			if ((inf->params[i].type == EPT_FD || inf->params[i].type == EPT_FD32) &&
			    strcmp(inf->params[i].name, "res") != 0)
				idx = (int)i;
		fd_param_idx[t] = (int8_t)idx;
	}
	held_init();
	__atomic_store_n(&fd_param_ready, true, __ATOMIC_RELEASE);
}

/* The tables above, built on first use by whichever thread gets there; a
 * flag in front of pthread_once so that an event costs one load. */
static inline void fd_param_need(void)
{
	if (!__atomic_load_n(&fd_param_ready, __ATOMIC_ACQUIRE))
		pthread_once(&fd_param_once, fd_param_init);
}

static bool has(const struct evt *ev, uint32_t i)
{
	return i < ev->nparams && ev->plen[i] > 0;
}

/* ---- sockets ------------------------------------------------------------------ */

static bool v4mapped(const uint8_t *a)
{
	static const uint8_t z[10];

	if (memcmp(a, z, 10))
		return false;
	return (a[10] == 0xff && a[11] == 0xff) || (!a[10] && !a[11] && !a[12] && !a[13] &&
						    !a[14] && !a[15]);
}

static uint16_t ld16le(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static uint64_t ld64le(const uint8_t *p)
{
	uint64_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

/*
 * Parse a PT_SOCKTUPLE into s (family, addresses, ports; l4proto kept) and,
 * for unix sockets, *path. false when malformed or of another family.
 */
static bool parse_tuple(const uint8_t *p, uint32_t len, struct proc_sock *s, const char **path)
{
	if (len < 1)
		return false;
	switch (p[0]) {
	case PPM_AF_INET:
		if (len < 13)
			return false;
		s->family = AF_INET;
		memset(s->sip, 0, 16);
		memset(s->dip, 0, 16);
		memcpy(s->sip, p + 1, 4);
		s->sport = ld16le(p + 5);
		memcpy(s->dip, p + 7, 4);
		s->dport = ld16le(p + 11);
		return true;
	case PPM_AF_INET6:
		if (len < 37)
			return false;
		if (v4mapped(p + 1) && v4mapped(p + 19)) {
			s->family = AF_INET;
			memset(s->sip, 0, 16);
			memset(s->dip, 0, 16);
			memcpy(s->sip, p + 13, 4);
			memcpy(s->dip, p + 31, 4);
		} else {
			s->family = AF_INET6;
			memcpy(s->sip, p + 1, 16);
			memcpy(s->dip, p + 19, 16);
		}
		s->sport = ld16le(p + 17);
		s->dport = ld16le(p + 35);
		return true;
	case PPM_AF_UNIX:
		if (len < 17)
			return false;
		s->family = AF_UNIX;
		memset(s->sip, 0, 16);
		memset(s->dip, 0, 16);
		memcpy(s->sip, p + 1, 8);
		memcpy(s->dip, p + 9, 8);
		s->sport = s->dport = 0;
		if (path)
			*path = (len > 17 && memchr(p + 17, 0, len - 17)) ? (const char *)p + 17 : "";
		return true;
	default:
		return false;
	}
}

static void ip_str(char *out, size_t cap, int family, const uint8_t *ip)
{
	if (!inet_ntop(family, ip, out, (socklen_t)cap))
		snprintf(out, cap, "?");
}

/* Decimal digits of v < 100000 (a port) at p; the end. No loop: the
 * digits are computed outright, each division by a constant a multiply. */
static char *put_dec(char *p, unsigned v)
{
	unsigned n = v >= 10000 ? 5 : v >= 1000 ? 4 : v >= 100 ? 3 : v >= 10 ? 2 : 1;

	switch (n) {
	case 5:
		*p++ = (char)('0' + v / 10000);
		v %= 10000;
		/* fall through */
	case 4:
		*p++ = (char)('0' + v / 1000);
		v %= 1000;
		/* fall through */
	case 3:
		*p++ = (char)('0' + v / 100);
		v %= 100;
		/* fall through */
	case 2:
		*p++ = (char)('0' + v / 10);
		v %= 10;
		/* fall through */
	default:
		*p++ = (char)('0' + v);
	}
	return p;
}

/* "a.b.c.d:port" of an IPv4 endpoint at p; the end. */
static char *put_ip4_port(char *p, const uint8_t *ip, unsigned port)
{
	for (int i = 0; i < 4; i++) {
		p = put_dec(p, ip[i]);
		*p++ = i < 3 ? '.' : ':';
	}
	return put_dec(p, port);
}

/* "sip:sport->dip:dport" (libs sockinfo_to_str) or the unix form. IPv4,
 * the common case (every connect and accept names its fd), without
 * printf: at most 44 bytes. */
static void sock_name(char *out, size_t cap, const struct proc_sock *s, const char *upath)
{
	char a[INET6_ADDRSTRLEN], b[INET6_ADDRSTRLEN];

	if (s->family == AF_INET && cap >= 48) {
		char *p = put_ip4_port(out, s->sip, s->sport);

		*p++ = '-';
		*p++ = '>';
		p = put_ip4_port(p, s->dip, s->dport);
		*p = '\0';
		return;
	}
	if (s->family == AF_UNIX) {
		snprintf(out, cap, "%" PRIx64 "->%" PRIx64 " %s", ld64le(s->sip), ld64le(s->dip),
			 upath ? upath : "");
		return;
	}
	ip_str(a, sizeof(a), s->family, s->sip);
	ip_str(b, sizeof(b), s->family, s->dip);
	snprintf(out, cap, "%s:%u->%s:%u", a, s->sport, b, s->dport);
}

static void sock_swap(struct proc_sock *s)
{
	uint8_t ip[16];
	uint16_t port = s->sport;

	memcpy(ip, s->sip, 16);
	memcpy(s->sip, s->dip, 16);
	memcpy(s->dip, ip, 16);
	s->sport = s->dport;
	s->dport = port;
}

static uint8_t l4_of(uint32_t type, uint32_t proto)
{
	if (proto == 6)
		return (type & 0xff) == 3 ? SCAP_L4_RAW : SCAP_L4_TCP;
	if (proto == 17)
		return (type & 0xff) == 3 ? SCAP_L4_RAW : SCAP_L4_UDP;
	if (proto == 1)
		return (type & 0xff) == 3 ? SCAP_L4_RAW : SCAP_L4_ICMP;
	if (proto == 255)
		return SCAP_L4_RAW;
	if (proto == 0) {
		if ((type & 0xff) == 1)
			return SCAP_L4_TCP;
		if ((type & 0xff) == 2)
			return SCAP_L4_UDP;
	}
	return 0;
}

/* ---- the per-event context ------------------------------------------------------ */

struct upd {
	struct proc_worker *w;
	const struct evt *ev;
	struct proc_evt_ref *ref;
	struct proc_thread *thr; /* owned by w, or NULL */
	uint64_t ts;
};

static int set_ref_fd(struct upd *u, int64_t fd)
{
	/* an int32 -1 widened without its sign (old layouts, converted) */
	if (fd > INT32_MAX && fd <= UINT32_MAX)
		fd = (int32_t)(uint32_t)fd;
	u->ref->fdnum = fd;
	u->ref->fd = u->thr ? proc_fd_get(u->w, u->thr, fd) : NULL;
	return u->ref->fd ? 0 : -ENOENT;
}

/* Add an fd and point the ref at it. */
static int add_fd(struct upd *u, const struct proc_fd_info *fi)
{
	int err = proc_fd_add(u->w, u->thr, fi);

	if (err) {
		UPD_INC(u->w, fd_errors);
		u->ref->fdnum = fi->fd;
		u->ref->fd = NULL;
		return err;
	}
	set_ref_fd(u, fi->fd);
	return 0;
}

/* Replace the fd the ref points at with a modified copy (type, name, sock). */
static int update_fd(struct upd *u, const struct proc_fd *old, uint32_t type, uint32_t flags,
		     const char *name, const struct proc_sock *sock)
{
	struct proc_fd_info fi = {
		.fd = old->fd, .type = type, .flags = flags, .ino = old->ino, .name = name,
		.sock = sock,
	};

	return add_fd(u, &fi);
}

static int64_t res_of(const struct evt *ev)
{
	return evt_param_s64(ev, 0, -1);
}

static int failed(struct upd *u)
{
	UPD_INC(u->w, ev_failed_syscall);
	return 0;
}

/* ---- clone, execve, exit ---------------------------------------------------------- */

struct fd_copy {
	struct proc_worker *w;
	struct proc_thread *dst;
	int err;
};

static int fd_copy_one(const struct proc_fd *fd, void *arg)
{
	struct fd_copy *c = arg;
	struct proc_fd_info fi = {
		.fd = fd->fd, .type = fd->type, .flags = fd->flags, .ino = fd->ino,
		.name = fd->name, .sock = &fd->sock,
	};
	int err = proc_fd_add(c->w, c->dst, &fi);

	if (err && !c->err)
		c->err = err;
	return 0;
}

static void spawn_strings(struct proc_spawn *s, const struct evt *ev)
{
	s->exe = evt_param_str(ev, 1);
	if (has(ev, 2)) {
		s->args = (const char *)ev->param[2];
		s->args_len = ev->plen[2];
	} else {
		s->args = "";
	}
	s->comm = has(ev, 13) ? evt_param_str(ev, 13) : s->exe;
	if (has(ev, 14)) {
		s->cgroups = (const char *)ev->param[14];
		s->cgroups_len = ev->plen[14];
	}
}

static bool is_clone_exit(uint16_t t);

/* Clone/fork/vfork/clone3 exit. The child side (res 0) creates the child;
 * the parent side only touches the caller. */
static int on_clone(struct upd *u)
{
	const struct evt *ev = u->ev;
	struct proc_worker *w = u->w;
	int64_t res = res_of(ev);
	struct proc_spawn s;
	struct proc_thread *child = NULL, *pt;
	struct proc_process *parent = NULL, *own;
	char cwd[PROC_PATH_MAX];
	uint32_t flags;
	int err;

	if (res != 0)
		return res < 0 ? failed(u) : 0;
	memset(&s, 0, sizeof(s));
	s.tid = ev->hdr->tid;
	s.tgid = evt_param_u64(ev, 4, 0);
	s.ptid = evt_param_u64(ev, 5, 0);
	s.vtid = has(ev, 18) ? evt_param_u64(ev, 18, 0) : s.tid;
	s.vpid = has(ev, 19) ? evt_param_u64(ev, 19, 0) : 0;
	s.ts = u->ts;
	flags = (uint32_t)evt_param_u64(ev, 15, 0);
	if (!s.tgid) {
		UPD_INC(w, ev_bad_params);
		s.tgid = s.tid;
	}
	if (flags & PPM_CL_CLONE_THREAD)
		s.flags |= PROC_SPAWN_THREAD;
	spawn_strings(&s, ev);

	/* libs: a thread's facts come from its process, a process's from its
	 * parent (exepath, exe inode, sid, tty, loginuid, caps, cwd, fds) */
	pt = proc_thread_lookup(w, (flags & PPM_CL_CLONE_THREAD) ? s.tgid : s.ptid);
	parent = pt ? proc_thread_process(pt) : NULL;
	if (parent) {
		const struct proc_image *img = proc_process_image(parent);

		s.exe_ino = img->exe_ino;
		s.exe_ctime = img->exe_ctime;
		s.exe_mtime = img->exe_mtime;
		if (img->flags & PROC_IMG_EXE_UPPER)
			s.flags |= PROC_SPAWN_EXE_UPPER;
		if (img->flags & PROC_IMG_EXE_MEMFD)
			s.flags |= PROC_SPAWN_EXE_MEMFD;
		if (img->flags & PROC_IMG_EXE_WRITABLE)
			s.flags |= PROC_SPAWN_EXE_WRITABLE;
		s.sid = proc_process_sid(parent);
		s.vpgid = proc_process_vpgid(parent);
		s.tty = proc_process_tty(parent);
		s.loginuid = proc_process_loginuid(parent);
	} else {
		s.loginuid = UINT32_MAX;
	}
	if (has(ev, 16)) {
		s.flags |= PROC_SPAWN_HAVE_IDS;
		s.uid = s.euid = (uint32_t)evt_param_u64(ev, 16, 0);
		s.gid = s.egid = (uint32_t)evt_param_u64(ev, 17, 0);
	}
	if (has(ev, 6) && evt_param_str(ev, 6)[0]) {
		upd_cwd_join(cwd, sizeof(cwd), "/", evt_param_str(ev, 6));
		s.cwd = cwd;
	}
	err = proc_thread_clone(w, &s, &child);
	if (err) {
		UPD_INC(w, clone_errors);
		return err;
	}
	u->thr = child;
	if ((flags & PPM_CL_CLONE_THREAD) && parent && child && parent->owner != w->id) {
		/* tid partitions: the group's leader is another worker's, which
		 * published its fds at this key (proc_event_foreign); a new
		 * replica takes them, one w held already has them */
		if (proc_process_is_new_replica(w, proc_thread_process(child)))
			proc_fdshare_defer(w, child, parent->owner);
		else
			proc_fdshare_discard(w, parent->owner, s.tid);
	}
	if (!(flags & PPM_CL_CLONE_THREAD) && parent && child) {
		own = proc_thread_process(child);
		if (parent->owner == w->id && own && own != parent) {
			struct fd_copy c = {.w = w, .dst = child};

			proc_fd_foreach(w, pt, fd_copy_one, &c);
			if (c.err)
				UPD_INC(w, fd_errors);
		} else if (parent->owner != w->id) {
			/* the parent's owner publishes its table at this key
			 * (proc_event_foreign; fdshare.c); copied when the
			 * child first needs it */
			proc_fdshare_defer(w, child, parent->owner);
		}
	}
	return 0;
}

int proc_event_foreign(struct proc_worker *w, const struct evt *ev)
{
	uint64_t ptid, tid = ev->hdr->tid;
	struct proc_thread *pt;
	struct proc_process *p;
	uint32_t flags;
	int err;

	if (!is_clone_exit(ev->hdr->type) || res_of(ev) != 0)
		return 0;
	flags = (uint32_t)evt_param_u64(ev, 15, 0);
	ptid = evt_param_u64(ev, 5, 0);
	/* on_clone's parent, as the child's owner finds it at this key: a
	 * thread's is its group's leader (tid partitions: the child's owner
	 * makes or joins a replica of the group) */
	if (flags & PPM_CL_CLONE_THREAD)
		ptid = evt_param_u64(ev, 4, 0);
	if (!ptid)
		return 0;
	pt = proc_owned_thread(w, ptid);
	p = pt ? proc_thread_process(pt) : NULL;
	if (!p || p->owner != w->id)
		return 0;
	err = proc_fdshare_publish(w, p, tid);
	/* everything below this key is applied and the key is not ours: the
	 * child's owner, waiting for us to pass it, may go on now rather
	 * than at our next periodic publication */
	if (w->key)
		proc_worker_progress(w, w->key + 1);
	return err;
}

static int on_exec(struct upd *u)
{
	const struct evt *ev = u->ev;
	struct proc_worker *w = u->w;
	struct proc_spawn s;
	struct proc_thread *thr = NULL, *cur;
	struct proc_process *p;
	char exepath[PROC_PATH_MAX];
	const char *curcwd = "";
	uint32_t xf;
	int err;

	if (res_of(ev) < 0)
		return failed(u);
	memset(&s, 0, sizeof(s));
	s.tid = ev->hdr->tid;
	s.tgid = evt_param_u64(ev, 4, 0);
	s.ptid = evt_param_u64(ev, 5, 0);
	s.ts = u->ts;
	if (!s.tgid)
		s.tgid = s.tid;
	s.vtid = 0;
	spawn_strings(&s, ev);
	if (has(ev, 15)) {
		s.env = (const char *)ev->param[15];
		s.env_len = ev->plen[15];
	}
	cur = proc_thread_lookup(w, s.tgid);
	if (!cur)
		cur = u->thr;
	p = cur ? proc_thread_process(cur) : NULL;
	if (p)
		curcwd = proc_process_cwd(p);
	/* libs keeps the cwd across execve (the cwd parameter is not used) */
	if (has(ev, 27) && evt_param_str(ev, 27)[0]) {
		s.exepath = evt_param_str(ev, 27);
	} else if (has(ev, 30) && evt_param_str(ev, 30)[0]) {
		upd_path_join(exepath, sizeof(exepath), curcwd, evt_param_str(ev, 30));
		s.exepath = exepath;
	}
	xf = (uint32_t)evt_param_u64(ev, 19, 0);
	if (xf & PPM_EXE_WRITABLE)
		s.flags |= PROC_SPAWN_EXE_WRITABLE;
	if (xf & PPM_EXE_UPPER_LAYER)
		s.flags |= PROC_SPAWN_EXE_UPPER;
	if (xf & PPM_EXE_FROM_MEMFD)
		s.flags |= PROC_SPAWN_EXE_MEMFD;
	if (has(ev, 22)) {
		s.flags |= PROC_SPAWN_HAVE_CAPS;
		s.cap_inheritable = evt_param_u64(ev, 20, 0);
		s.cap_permitted = evt_param_u64(ev, 21, 0);
		s.cap_effective = evt_param_u64(ev, 22, 0);
	}
	if (has(ev, 25)) {
		s.exe_ino = evt_param_u64(ev, 23, 0);
		s.exe_ctime = evt_param_u64(ev, 24, 0);
		s.exe_mtime = evt_param_u64(ev, 25, 0);
	}
	if (has(ev, 17))
		s.vpgid = (uint32_t)evt_param_u64(ev, 17, 0);
	err = proc_thread_exec(w, &s, &thr);
	if (err) {
		UPD_INC(w, exec_errors);
		return err;
	}
	u->thr = thr;
	err = 0;
	if (has(ev, 16))
		err |= proc_set_tty(w, thr, (uint32_t)evt_param_u64(ev, 16, 0));
	if (has(ev, 18))
		err |= proc_set_loginuid(w, thr, (uint32_t)evt_param_u64(ev, 18, 0));
	if (has(ev, 26)) {
		uint32_t uid = (uint32_t)evt_param_u64(ev, 26, 0);

		err |= proc_set_uids(w, thr, uid, uid);
	}
	if (has(ev, 29)) {
		uint32_t gid = (uint32_t)evt_param_u64(ev, 29, 0);

		err |= proc_set_gids(w, thr, gid, gid);
	}
	if (err)
		UPD_INC(w, set_errors);
	return 0;
}

/* ---- files ----------------------------------------------------------------------- */

/* The directory a relative name of an *at() call is relative to, or NULL
 * when the dirfd is unknown ("<UNKNOWN>" in libs). */
static const char *dirfd_path(struct upd *u, const char *name, int64_t dirfd, char *buf,
			      size_t cap)
{
	const struct proc_fd *d;
	struct proc_process *p;

	if (name[0] == '/')
		return "";
	if (dirfd == PPM_AT_FDCWD) {
		p = proc_thread_process(u->thr);
		return p ? proc_process_cwd(p) : "";
	}
	d = proc_fd_get(u->w, u->thr, dirfd);
	if (!d)
		return NULL;
	snprintf(buf, cap, "%s%s", d->name, d->name_len && d->name[d->name_len - 1] == '/' ? "" : "/");
	return buf;
}

static int on_open(struct upd *u)
{
	const struct evt *ev = u->ev;
	uint16_t type = ev->hdr->type;
	int64_t fd = res_of(ev);
	const char *name, *dir;
	uint32_t ppm = 0;
	uint64_t ino = 0;
	char dbuf[PROC_PATH_MAX], path[PROC_PATH_MAX];
	struct proc_fd_info fi;
	struct proc_process *p = proc_thread_process(u->thr);

	if (fd < 0)
		return failed(u);
	switch (type) {
	case EVT_SYSCALL_OPEN_X:
		name = evt_param_str(ev, 1);
		ppm = (uint32_t)evt_param_u64(ev, 2, 0);
		ino = evt_param_u64(ev, 5, 0);
		dir = p ? proc_process_cwd(p) : "";
		break;
	case EVT_SYSCALL_CREAT_X:
		name = evt_param_str(ev, 1);
		ppm = 0x4 | 0x2 | 0x100; /* O_CREAT|O_WRONLY|O_TRUNC, what creat() is */
		ino = evt_param_u64(ev, 4, 0);
		dir = p ? proc_process_cwd(p) : "";
		break;
	case EVT_SYSCALL_OPENAT_2_X:
	case EVT_SYSCALL_OPENAT2_X:
		name = has(ev, 2) ? evt_param_str(ev, 2) : "<NA>";
		ppm = (uint32_t)evt_param_u64(ev, 3, 0);
		ino = evt_param_u64(ev, type == EVT_SYSCALL_OPENAT_2_X ? 6 : 7, 0);
		dir = dirfd_path(u, name, evt_param_s64(ev, 1, PPM_AT_FDCWD), dbuf, sizeof(dbuf));
		if (!dir) {
			UPD_INC(u->w, fd_unknown);
			dir = "<UNKNOWN>";
		}
		break;
	default: /* open_by_handle_at: the driver gives an absolute path */
		name = evt_param_str(ev, 3);
		ppm = (uint32_t)evt_param_u64(ev, 2, 0);
		ino = evt_param_u64(ev, 5, 0);
		dir = "";
		break;
	}
	upd_path_join(path, sizeof(path), dir, name);
	fi = (struct proc_fd_info){
		.fd = fd,
		.type = (ppm & PPM_O_DIRECTORY) ? PROC_FD_DIRECTORY : PROC_FD_FILE,
		.flags = proc_openflags_from_ppm(ppm),
		.ino = ino,
		.name = path,
	};
	return add_fd(u, &fi);
}

/* An fd without a name: pipes, eventfd, signalfd, timerfd, inotify, ... */
static int add_anon(struct upd *u, int64_t fd, uint32_t type, uint32_t flags, const char *name)
{
	struct proc_fd_info fi = {.fd = fd, .type = type, .flags = flags, .name = name};

	if (fd < 0)
		return failed(u);
	return add_fd(u, &fi);
}

static int on_pipe(struct upd *u)
{
	const struct evt *ev = u->ev;
	int64_t fd1 = evt_param_s64(ev, 1, -1), fd2 = evt_param_s64(ev, 2, -1);
	uint32_t flags = ev->hdr->type == EVT_SYSCALL_PIPE2_X ?
				 proc_openflags_from_ppm((uint32_t)evt_param_u64(ev, 4, 0)) : 0;
	struct proc_fd_info fi = {.type = PROC_FD_PIPE, .flags = flags,
				  .ino = evt_param_u64(ev, 3, 0), .name = ""};
	int err;

	if (res_of(ev) < 0 || fd1 < 0 || fd2 < 0)
		return failed(u);
	/* libs points the event at the second fd */
	fi.fd = fd1;
	err = proc_fd_add(u->w, u->thr, &fi);
	if (err)
		UPD_INC(u->w, fd_errors);
	fi.fd = fd2;
	return add_fd(u, &fi) ? -ENOMEM : err;
}

static int on_dup(struct upd *u)
{
	const struct evt *ev = u->ev;
	int64_t newfd = res_of(ev), oldfd = evt_param_s64(ev, 1, -1);
	const struct proc_fd *o;
	uint32_t flags;

	if (newfd < 0)
		return failed(u);
	o = proc_fd_get(u->w, u->thr, oldfd);
	if (!o) {
		UPD_INC(u->w, fd_unknown);
		return -ENOENT;
	}
	flags = o->flags & ~(uint32_t)O_CLOEXEC;
	if (ev->hdr->type == EVT_SYSCALL_DUP3_X &&
	    (evt_param_u64(ev, 3, 0) & PPM_O_CLOEXEC))
		flags |= O_CLOEXEC;
	{
		struct proc_sock sock = o->sock;
		struct proc_fd_info fi = {.fd = newfd, .type = o->type, .flags = flags,
					  .ino = o->ino, .name = o->name, .sock = &sock};

		/* o may move once the table grows: it is copied by proc_fd_add
		 * before anything is freed, and the name is read before then */
		return add_fd(u, &fi);
	}
}

static int on_fcntl(struct upd *u)
{
	const struct evt *ev = u->ev;
	uint32_t cmd = (uint32_t)evt_param_u64(ev, 2, 0);
	int64_t res = res_of(ev);
	const struct proc_fd *o = u->ref->fd;
	uint32_t flags;

	if (cmd != PPM_FCNTL_F_DUPFD && cmd != PPM_FCNTL_F_DUPFD_CLOEXEC &&
	    cmd != PPM_FCNTL_F_SETFD)
		return 0;
	if (res < 0)
		return failed(u);
	if (!o) {
		UPD_INC(u->w, fd_unknown);
		return -ENOENT;
	}
	flags = o->flags & ~(uint32_t)O_CLOEXEC;
	if (cmd == PPM_FCNTL_F_SETFD) {
		if (evt_param_u64(ev, 3, 0) & FD_CLOEXEC)
			flags |= O_CLOEXEC;
		return update_fd(u, o, o->type, flags, o->name, &o->sock);
	}
	if (cmd == PPM_FCNTL_F_DUPFD_CLOEXEC)
		flags |= O_CLOEXEC;
	{
		struct proc_fd_info fi = {.fd = res, .type = o->type, .flags = flags,
					  .ino = o->ino, .name = o->name, .sock = &o->sock};

		return add_fd(u, &fi);
	}
}

struct range {
	uint64_t first, last;
	int64_t fds[64];
	unsigned n;
};

static int range_collect(const struct proc_fd *fd, void *arg)
{
	struct range *r = arg;

	if (fd->fd >= 0 && (uint64_t)fd->fd >= r->first && (uint64_t)fd->fd <= r->last) {
		r->fds[r->n++] = fd->fd;
		if (r->n == 64)
			return 1;
	}
	return 0;
}

static int on_close_range(struct upd *u)
{
	const struct evt *ev = u->ev;
	struct range r = {.first = evt_param_u64(ev, 1, 0), .last = evt_param_u64(ev, 2, 0)};
	unsigned i;

	if (res_of(ev) < 0)
		return failed(u);
	for (;;) {
		r.n = 0;
		proc_fd_foreach(u->w, u->thr, range_collect, &r);
		if (!r.n)
			break;
		for (i = 0; i < r.n; i++) {
			const struct proc_fd *o = proc_fd_get(u->w, u->thr, r.fds[i]);

			if (!(evt_param_u64(ev, 3, 0) & PPM_CLOSE_RANGE_CLOEXEC)) {
				proc_fd_remove(u->w, u->thr, r.fds[i]);
			} else if (o && !(o->flags & O_CLOEXEC)) {
				struct proc_sock sock = o->sock;

				update_fd(u, o, o->type, o->flags | O_CLOEXEC, o->name, &sock);
			}
		}
		if (evt_param_u64(ev, 3, 0) & PPM_CLOSE_RANGE_CLOEXEC) {
			/* marked fds are collected again: stop once none changes */
			break;
		}
	}
	u->ref->fd = NULL;
	u->ref->fdnum = -1;
	return 0;
}

static int on_chdir(struct upd *u, const char *path)
{
	struct proc_process *p = proc_thread_process(u->thr);
	char cwd[PROC_PATH_MAX];
	int err;

	if (!p)
		return -ENOENT;
	upd_cwd_join(cwd, sizeof(cwd), proc_process_cwd(p), path);
	err = proc_set_cwd(u->w, u->thr, cwd);
	if (err)
		UPD_INC(u->w, set_errors);
	return err;
}

/* ---- sockets ---------------------------------------------------------------------- */

static int on_socket(struct upd *u)
{
	const struct evt *ev = u->ev;
	int64_t fd = res_of(ev);
	uint32_t dom = (uint32_t)evt_param_u64(ev, 1, 0), type = (uint32_t)evt_param_u64(ev, 2, 0);
	uint32_t proto = (uint32_t)evt_param_u64(ev, 3, 0);
	struct proc_sock sock;
	struct proc_fd_info fi = {.fd = fd, .name = "", .sock = &sock};

	if (fd < 0)
		return failed(u);
	memset(&sock, 0, sizeof(sock));
	switch (dom) {
	case PPM_AF_UNIX:
		fi.type = PROC_FD_UNIX_SOCK;
		sock.family = AF_UNIX;
		break;
	case PPM_AF_INET:
	case PPM_AF_INET6:
		fi.type = dom == PPM_AF_INET ? PROC_FD_IPV4_SOCK : PROC_FD_IPV6_SOCK;
		sock.family = dom == PPM_AF_INET ? AF_INET : AF_INET6;
		sock.l4proto = l4_of(type, proto);
		break;
	case PPM_AF_NETLINK:
		fi.type = PROC_FD_NETLINK;
		sock.family = AF_NETLINK;
		break;
	default:
		fi.type = PROC_FD_UNKNOWN;
		break;
	}
	return add_fd(u, &fi);
}

static int on_socketpair(struct upd *u)
{
	const struct evt *ev = u->ev;
	int64_t fd1 = evt_param_s64(ev, 1, -1), fd2 = evt_param_s64(ev, 2, -1);
	uint64_t src = evt_param_u64(ev, 3, 0), dst = evt_param_u64(ev, 4, 0);
	struct proc_sock sock;
	struct proc_fd_info fi = {.type = PROC_FD_UNIX_SOCK, .name = "", .sock = &sock};
	int err;

	if (res_of(ev) < 0 || fd1 == fd2)
		return failed(u);
	memset(&sock, 0, sizeof(sock));
	sock.family = AF_UNIX;
	memcpy(sock.sip, &src, 8);
	memcpy(sock.dip, &dst, 8);
	fi.fd = fd2;
	err = proc_fd_add(u->w, u->thr, &fi);
	if (err)
		UPD_INC(u->w, fd_errors);
	fi.fd = fd1;
	return add_fd(u, &fi) ? -ENOMEM : err;
}

static uint32_t type_of_family(uint8_t family, uint32_t old)
{
	if (family == AF_INET)
		return PROC_FD_IPV4_SOCK;
	if (family == AF_INET6)
		return PROC_FD_IPV6_SOCK;
	if (family == AF_UNIX)
		return PROC_FD_UNIX_SOCK;
	return old;
}

static int on_connect(struct upd *u)
{
	const struct evt *ev = u->ev;
	int64_t res = res_of(ev);
	const struct proc_fd *o = u->ref->fd;
	struct proc_sock sock;
	const char *upath = "";
	char name[PROC_PATH_MAX];

	if (!o) {
		UPD_INC(u->w, fd_unknown);
		return -ENOENT;
	}
	/* sysdig (libs of 2022) names the socket even when connect failed;
	 * only success and EINPROGRESS make it connected */
	if (res < 0 && res != -EINPROGRESS)
		UPD_INC(u->w, ev_failed_syscall);
	sock = o->sock;
	if (!has(ev, 1) || !parse_tuple(ev->param[1], ev->plen[1], &sock, &upath)) {
		/* no tuple (TCP fast open): the address the caller asked for */
		UPD_INC(u->w, ev_bad_params);
		return -EINVAL;
	}
	if (sock.family == AF_UNIX) {
		/* libs prefers the enter address over a tuple path equal to it;
		 * both name the same socket file */
		sock_name(name, sizeof(name), &sock, upath);
	} else {
		if (!sock.l4proto)
			sock.l4proto = o->sock.l4proto;
		if ((o->flags & PROC_FD_F_SERVER) && sock.l4proto == SCAP_L4_UDP)
			sock_swap(&sock);
		sock_name(name, sizeof(name), &sock, NULL);
	}
	return update_fd(u, o, type_of_family(sock.family, o->type),
			 o->flags | (res < 0 && res != -EINPROGRESS ? 0 : PROC_FD_F_CONNECTED) |
				 ((o->flags & PROC_FD_F_SERVER) ? 0 : PROC_FD_F_CLIENT),
			 name, &sock);
}

static int on_accept(struct upd *u)
{
	const struct evt *ev = u->ev;
	int64_t fd = res_of(ev);
	struct proc_sock sock;
	const char *upath = "";
	char name[PROC_PATH_MAX];
	uint32_t flags = PROC_FD_F_SERVER | PROC_FD_F_CONNECTED;
	struct proc_fd_info fi = {.fd = fd, .name = name, .sock = &sock};

	if (fd < 0)
		return failed(u);
	memset(&sock, 0, sizeof(sock));
	if (!has(ev, 1) || !parse_tuple(ev->param[1], ev->plen[1], &sock, &upath)) {
		UPD_INC(u->w, ev_bad_params);
		return -EINVAL;
	}
	if (sock.family != AF_UNIX)
		sock.l4proto = SCAP_L4_TCP;
	sock_name(name, sizeof(name), &sock, upath);
	if (ev->hdr->type == EVT_SOCKET_ACCEPT4_6_X && (evt_param_u64(ev, 5, 0) & PPM_O_CLOEXEC))
		flags |= O_CLOEXEC;
	fi.type = type_of_family(sock.family, PROC_FD_UNKNOWN);
	fi.flags = flags;
	return add_fd(u, &fi);
}

static int on_bind(struct upd *u)
{
	const struct evt *ev = u->ev;
	const struct proc_fd *o = u->ref->fd;
	const uint8_t *a;
	uint32_t len, type, flags;
	struct proc_sock sock;
	char name[PROC_PATH_MAX], ip[INET6_ADDRSTRLEN];
	uint16_t port;

	if (res_of(ev) < 0)
		return failed(u);
	if (!o) {
		UPD_INC(u->w, fd_unknown);
		return -ENOENT;
	}
	if (!has(ev, 1)) {
		UPD_INC(u->w, ev_bad_params);
		return -EINVAL;
	}
	a = ev->param[1];
	len = ev->plen[1];
	sock = o->sock;
	type = o->type;
	flags = o->flags;
	if (a[0] == PPM_AF_INET && len >= 7) {
		port = ld16le(a + 5);
		ip_str(ip, sizeof(ip), AF_INET, a + 1);
		snprintf(name, sizeof(name), "%s:%u", ip, port);
		if (port) {
			type = PROC_FD_IPV4_SOCK;
			sock.family = AF_INET;
			memset(sock.dip, 0, 16);
			memcpy(sock.dip, a + 1, 4);
			sock.dport = port;
			flags |= PROC_FD_F_SERVER;
		}
	} else if (a[0] == PPM_AF_INET6 && len >= 19) {
		port = ld16le(a + 17);
		ip_str(ip, sizeof(ip), AF_INET6, a + 1);
		snprintf(name, sizeof(name), "%s:%u", ip, port);
		if (port) {
			memset(sock.dip, 0, 16);
			if (v4mapped(a + 1)) {
				type = PROC_FD_IPV4_SOCK;
				sock.family = AF_INET;
				memcpy(sock.dip, a + 13, 4);
			} else {
				type = PROC_FD_IPV6_SOCK;
				sock.family = AF_INET6;
				memcpy(sock.dip, a + 1, 16);
			}
			sock.dport = port;
			flags |= PROC_FD_F_SERVER;
		}
	} else if (a[0] == PPM_AF_UNIX && len > 1 && memchr(a + 1, 0, len - 1)) {
		snprintf(name, sizeof(name), "%s", (const char *)a + 1);
	} else {
		UPD_INC(u->w, ev_bad_params);
		return -EINVAL;
	}
	return update_fd(u, o, type, flags, name, &sock);
}

/* sendto/sendmsg/recvfrom/recvmsg: the tuple of a socket that is not a
 * named TCP connection follows each message (libs parse_read/write_exit). */
static int on_msg(struct upd *u, uint32_t tparam, bool is_recv)
{
	const struct evt *ev = u->ev;
	const struct proc_fd *o = u->ref->fd;
	struct proc_sock sock;
	const char *upath = "";
	char name[PROC_PATH_MAX];
	uint32_t type;

	if (res_of(ev) < 0)
		return 0;
	if (!o && !is_recv && has(ev, tparam) &&
	    (ev->param[tparam][0] == PPM_AF_INET || ev->param[tparam][0] == PPM_AF_INET6)) {
		/* send on an fd whose socket() was missed: guess UDP, as libs */
		struct proc_sock s0 = {.family = ev->param[tparam][0] == PPM_AF_INET ? AF_INET
										   : AF_INET6,
				       .l4proto = SCAP_L4_UDP};
		struct proc_fd_info fi = {.fd = u->ref->fdnum,
					  .type = s0.family == AF_INET ? PROC_FD_IPV4_SOCK
								       : PROC_FD_IPV6_SOCK,
					  .name = "", .sock = &s0};

		if (u->ref->fdnum < 0 || add_fd(u, &fi))
			return -ENOENT;
		o = u->ref->fd;
	}
	if (!o)
		return 0;
	if (o->type != PROC_FD_IPV4_SOCK && o->type != PROC_FD_IPV6_SOCK &&
	    o->type != PROC_FD_UNIX_SOCK)
		return 0;
	if (o->name_len && o->sock.l4proto == SCAP_L4_TCP)
		return 0;
	if (!has(ev, tparam))
		return 0;
	sock = o->sock;
	if (!parse_tuple(ev->param[tparam], ev->plen[tparam], &sock, &upath))
		return 0;
	type = type_of_family(sock.family, o->type);
	if (sock.family == AF_UNIX) {
		return update_fd(u, o, type, o->flags, upath, &sock);
	}
	if (!sock.l4proto)
		sock.l4proto = SCAP_L4_UDP;
	/* a received tuple is peer -> us; a client's tuple is us -> peer */
	if (is_recv != !!(o->flags & PROC_FD_F_SERVER))
		sock_swap(&sock);
	sock_name(name, sizeof(name), &sock, NULL);
	return update_fd(u, o, type, o->flags, name, &sock);
}

/* ---- ids, names, namespaces -------------------------------------------------------- */

static int set_ids(struct upd *u, bool gid, uint32_t eidx)
{
	struct proc_process *p = proc_thread_process(u->thr);
	uint32_t v;
	int err;

	if (res_of(u->ev) != 0)
		return failed(u);
	if (!has(u->ev, eidx) || !p)
		return 0;
	v = (uint32_t)evt_param_u64(u->ev, eidx, 0);
	/* libs keeps one id per thread, the effective one */
	err = gid ? proc_set_gids(u->w, u->thr, v, v) : proc_set_uids(u->w, u->thr, v, v);
	if (err)
		UPD_INC(u->w, set_errors);
	return err;
}

static int on_prctl(struct upd *u)
{
	const char *name;
	char comm[PROC_COMM_MAX];
	int err;

	if (res_of(u->ev) < 0)
		return failed(u);
	if ((uint32_t)evt_param_u64(u->ev, 1, 0) != PPM_PR_SET_NAME)
		return 0;
	name = evt_param_str(u->ev, 2);
	snprintf(comm, sizeof(comm), "%s", name);
	err = proc_set_comm(u->w, u->thr, comm);
	if (err)
		UPD_INC(u->w, set_errors);
	return err;
}

static int on_caps(struct upd *u, uint64_t inh, uint64_t perm, uint64_t eff)
{
	int err = proc_set_caps(u->w, u->thr, eff, perm, inh);

	if (err)
		UPD_INC(u->w, set_errors);
	return err;
}

/* ---- the dispatcher ---------------------------------------------------------------- */

/* Exit events that change state, by type. */
/* The exit events apply_exit changes a process with (its case labels),
 * and the exec exits: what every worker holding a record of the group
 * applies, whichever thread made it (tid partitions, "Replicas" in
 * table.c). Kept beside apply_exit so that a new case is added to both. */
static const uint16_t held_exits[] = {
	EVT_SYSCALL_OPEN_X,
	EVT_SYSCALL_OPENAT_2_X,
	EVT_SYSCALL_OPENAT2_X,
	EVT_SYSCALL_CREAT_X,
	EVT_SYSCALL_OPEN_BY_HANDLE_AT_X,
	EVT_SYSCALL_CLOSE_X,
	EVT_SYSCALL_CLOSE_RANGE_X,
	EVT_SOCKET_SOCKET_X,
	EVT_SOCKET_SOCKETPAIR_X,
	EVT_SOCKET_CONNECT_X,
	EVT_SOCKET_ACCEPT_5_X,
	EVT_SOCKET_ACCEPT4_6_X,
	EVT_SOCKET_BIND_X,
	EVT_SOCKET_SENDTO_X,
	EVT_SOCKET_SENDMSG_X,
	EVT_SOCKET_RECVFROM_X,
	EVT_SOCKET_RECVMSG_X,
	EVT_SYSCALL_DUP_1_X,
	EVT_SYSCALL_DUP2_X,
	EVT_SYSCALL_DUP3_X,
	EVT_SYSCALL_FCNTL_X,
	EVT_SYSCALL_PIPE_X,
	EVT_SYSCALL_PIPE2_X,
	EVT_SYSCALL_EVENTFD_X,
	EVT_SYSCALL_EVENTFD2_X,
	EVT_SYSCALL_SIGNALFD_X,
	EVT_SYSCALL_SIGNALFD4_X,
	EVT_SYSCALL_TIMERFD_CREATE_X,
	EVT_SYSCALL_INOTIFY_INIT_X,
	EVT_SYSCALL_INOTIFY_INIT1_X,
	EVT_SYSCALL_EPOLL_CREATE_X,
	EVT_SYSCALL_EPOLL_CREATE1_X,
	EVT_SYSCALL_USERFAULTFD_X,
	EVT_SYSCALL_IO_URING_SETUP_X,
	EVT_SYSCALL_BPF_2_X,
	EVT_SYSCALL_MEMFD_CREATE_X,
	EVT_SYSCALL_PIDFD_OPEN_X,
	EVT_SYSCALL_CHDIR_X,
	EVT_SYSCALL_FCHDIR_X,
	EVT_SYSCALL_SETUID_X,
	EVT_SYSCALL_SETGID_X,
	EVT_SYSCALL_SETRESUID_X,
	EVT_SYSCALL_SETREUID_X,
	EVT_SYSCALL_SETRESGID_X,
	EVT_SYSCALL_SETREGID_X,
	EVT_SYSCALL_SETSID_X,
	EVT_SYSCALL_SETPGID_X,
	EVT_SYSCALL_SETNS_X,
	EVT_SYSCALL_UNSHARE_X,
	EVT_SYSCALL_CAPSET_X,
	EVT_SYSCALL_PRCTL_X,
	EVT_SYSCALL_EXECVE_19_X,
	EVT_SYSCALL_EXECVEAT_X,
};

static void held_init(void)
{
	for (size_t i = 0; i < sizeof(held_exits) / sizeof(held_exits[0]); i++) {
		held_type[held_exits[i]] = true;
		held_type[held_exits[i] - 1] = true; /* its enter event (even) */
	}
}

bool proc_event_type_held(uint16_t type)
{
	fd_param_need();
	return type < EVT_TYPE_MAX && held_type[type];
}

static int apply_exit(struct upd *u)
{
	const struct evt *ev = u->ev;
	int64_t res;

	switch (ev->hdr->type) {
	case EVT_SYSCALL_OPEN_X:
	case EVT_SYSCALL_OPENAT_2_X:
	case EVT_SYSCALL_OPENAT2_X:
	case EVT_SYSCALL_CREAT_X:
	case EVT_SYSCALL_OPEN_BY_HANDLE_AT_X:
		return on_open(u);
	case EVT_SYSCALL_CLOSE_X:
		if (res_of(ev) < 0)
			return failed(u);
		if (!u->ref->fd) {
			UPD_INC(u->w, fd_unknown);
			return -ENOENT;
		}
		u->ref->defer |= DEFER_CLOSE;
		u->ref->defer_fd = u->ref->fdnum;
		return 0;
	case EVT_SYSCALL_CLOSE_RANGE_X:
		return on_close_range(u);
	case EVT_SOCKET_SOCKET_X:
		return on_socket(u);
	case EVT_SOCKET_SOCKETPAIR_X:
		return on_socketpair(u);
	case EVT_SOCKET_CONNECT_X:
		return on_connect(u);
	case EVT_SOCKET_ACCEPT_5_X:
	case EVT_SOCKET_ACCEPT4_6_X:
		return on_accept(u);
	case EVT_SOCKET_BIND_X:
		return on_bind(u);
	case EVT_SOCKET_SENDTO_X:
		return on_msg(u, 4, false);
	case EVT_SOCKET_SENDMSG_X:
		return on_msg(u, 4, false);
	case EVT_SOCKET_RECVFROM_X:
		return on_msg(u, 2, true);
	case EVT_SOCKET_RECVMSG_X:
		return on_msg(u, 3, true);
	case EVT_SYSCALL_DUP_1_X:
	case EVT_SYSCALL_DUP2_X:
	case EVT_SYSCALL_DUP3_X:
		return on_dup(u);
	case EVT_SYSCALL_FCNTL_X:
		return on_fcntl(u);
	case EVT_SYSCALL_PIPE_X:
	case EVT_SYSCALL_PIPE2_X:
		return on_pipe(u);
	case EVT_SYSCALL_EVENTFD_X:
		return add_anon(u, res_of(ev), PROC_FD_EVENT, 0, "");
	case EVT_SYSCALL_EVENTFD2_X:
		return add_anon(u, res_of(ev), PROC_FD_EVENT,
				proc_openflags_from_ppm((uint32_t)evt_param_u64(ev, 1, 0)), "");
	case EVT_SYSCALL_SIGNALFD_X:
	case EVT_SYSCALL_SIGNALFD4_X:
		return add_anon(u, res_of(ev), PROC_FD_SIGNALFD, 0, "");
	case EVT_SYSCALL_TIMERFD_CREATE_X:
		return add_anon(u, res_of(ev), PROC_FD_TIMERFD, 0, "");
	case EVT_SYSCALL_INOTIFY_INIT_X:
	case EVT_SYSCALL_INOTIFY_INIT1_X:
		return add_anon(u, res_of(ev), PROC_FD_INOTIFY, 0, "");
	case EVT_SYSCALL_EPOLL_CREATE_X:
		return add_anon(u, res_of(ev), PROC_FD_EVENTPOLL, 0, "");
	case EVT_SYSCALL_EPOLL_CREATE1_X:
		return add_anon(u, res_of(ev), PROC_FD_EVENTPOLL,
				(evt_param_u64(ev, 1, 0) & PPM_EPOLL_CLOEXEC) ? O_CLOEXEC : 0, "");
	case EVT_SYSCALL_USERFAULTFD_X:
		return add_anon(u, res_of(ev), PROC_FD_USERFAULTFD, 0, "");
	case EVT_SYSCALL_IO_URING_SETUP_X:
		return add_anon(u, res_of(ev), PROC_FD_IOURING, 0, "");
	case EVT_SYSCALL_BPF_2_X:
		return add_anon(u, res_of(ev), PROC_FD_BPF, 0, "");
	case EVT_SYSCALL_MEMFD_CREATE_X:
		return add_anon(u, res_of(ev), PROC_FD_MEMFD,
				proc_openflags_from_ppm((uint32_t)evt_param_u64(ev, 2, 0)),
				evt_param_str(ev, 1));
	case EVT_SYSCALL_PIDFD_OPEN_X: {
		char name[64];

		snprintf(name, sizeof(name), "/proc/%" PRId64, evt_param_s64(ev, 1, 0));
		return add_anon(u, res_of(ev), PROC_FD_UNKNOWN, 0, name);
	}
	case EVT_SYSCALL_CHDIR_X:
		if (res_of(ev) < 0)
			return failed(u);
		return on_chdir(u, evt_param_str(ev, 1));
	case EVT_SYSCALL_FCHDIR_X:
		if (res_of(ev) < 0)
			return failed(u);
		if (!u->ref->fd) {
			UPD_INC(u->w, fd_unknown);
			return -ENOENT;
		}
		return on_chdir(u, u->ref->fd->name);
	case EVT_SYSCALL_SETUID_X:
		return set_ids(u, false, 1);
	case EVT_SYSCALL_SETGID_X:
		return set_ids(u, true, 1);
	case EVT_SYSCALL_SETRESUID_X:
	case EVT_SYSCALL_SETREUID_X:
		return set_ids(u, false, 2);
	case EVT_SYSCALL_SETRESGID_X:
	case EVT_SYSCALL_SETREGID_X:
		return set_ids(u, true, 2);
	case EVT_SYSCALL_SETSID_X: {
		struct proc_process *p = proc_thread_process(u->thr);

		res = res_of(ev);
		if (res < 0 || !p)
			return failed(u);
		/* the caller leads a new session and a new process group */
		return proc_set_sid(u->w, u->thr, (uint32_t)res, (uint32_t)res);
	}
	case EVT_SYSCALL_SETPGID_X: {
		struct proc_process *p = proc_thread_process(u->thr);
		int64_t pid = evt_param_s64(ev, 1, -1), pgid = evt_param_s64(ev, 2, -1);

		if (res_of(ev) < 0 || !p)
			return failed(u);
		if (pid != 0 && (uint64_t)pid != proc_process_vpid(p) &&
		    (uint64_t)pid != proc_process_tgid(p))
			return 0; /* another process's group: not ours to write */
		if (pgid == 0)
			pgid = (int64_t)(proc_process_vpid(p) ? proc_process_vpid(p)
							       : proc_process_tgid(p));
		return proc_set_sid(u->w, u->thr, proc_process_sid(p), (uint32_t)pgid);
	}
	case EVT_SYSCALL_SETNS_X:
	case EVT_SYSCALL_UNSHARE_X: {
		uint32_t fl = (uint32_t)evt_param_u64(ev, ev->hdr->type == EVT_SYSCALL_UNSHARE_X ? 1 : 2,
						      0);

		if (res_of(ev) < 0)
			return failed(u);
		if (!(fl & PPM_CL_CLONE_NEWUSER))
			return 0;
		return on_caps(u, CAPS_ALL, CAPS_ALL, CAPS_ALL);
	}
	case EVT_SYSCALL_CAPSET_X:
		if (res_of(ev) < 0)
			return failed(u);
		return on_caps(u, evt_param_u64(ev, 1, 0), evt_param_u64(ev, 2, 0),
			       evt_param_u64(ev, 3, 0));
	case EVT_SYSCALL_PRCTL_X:
		return on_prctl(u);
	default:
		return 0;
	}
}

/* useradded/groupadded meta events (uid, gid, name, home, shell, container) */
static int on_user_added(struct proc_worker *w, const struct evt *ev)
{
	struct proc_user pu;

	memset(&pu, 0, sizeof(pu));
	pu.uid = (uint32_t)evt_param_u64(ev, 0, 0);
	pu.gid = (uint32_t)evt_param_u64(ev, 1, 0);
	snprintf(pu.name, sizeof(pu.name), "%s", evt_param_str(ev, 2));
	snprintf(pu.home, sizeof(pu.home), "%s", evt_param_str(ev, 3));
	snprintf(pu.shell, sizeof(pu.shell), "%s", evt_param_str(ev, 4));
	if (has(ev, 5) && evt_param_str(ev, 5)[0])
		return 0; /* a container's user: not the host's table */
	return proc_users_add(w->t, &pu, 1);
}

static int on_group_added(struct proc_worker *w, const struct evt *ev)
{
	struct proc_group pg;

	memset(&pg, 0, sizeof(pg));
	pg.gid = (uint32_t)evt_param_u64(ev, 0, 0);
	snprintf(pg.name, sizeof(pg.name), "%s", evt_param_str(ev, 1));
	if (has(ev, 2) && evt_param_str(ev, 2)[0])
		return 0;
	return proc_groups_add(w->t, &pg, 1);
}

/*
 * A capture's container metadata (libs writes one event per known container
 * when a capture starts, and one when a container appears): the JSON events
 * carry what libs knew (mounts included), the old "container" event id,
 * type, name and image. Any worker that applies one adds it to the shared
 * cache; rare, so the copy of the cache it costs does not matter. Mounts
 * past the bounds are counted (ctr_mounts_cut), and the summary says so.
 */
static int on_container(struct proc_worker *w, const struct evt *ev)
{
	struct proc_ctr_info ci;
	size_t len;
	int rc;

	if (ev->hdr->type == EVT_CONTAINER_E) {
		memset(&ci, 0, sizeof(ci));
		snprintf(ci.id, sizeof(ci.id), "%s", evt_param_str(ev, 0));
		ci.type = ctr_type_from_libs((int64_t)evt_param_u64(ev, 1, UINT64_MAX));
		snprintf(ci.name, sizeof(ci.name), "%s", evt_param_str(ev, 2));
		snprintf(ci.image, sizeof(ci.image), "%s", evt_param_str(ev, 3));
		ci.privileged = -1;
	} else {
		if (ev->nparams < 1)
			return -EINVAL;
		len = ev->plen[0];
		while (len && !ev->param[0][len - 1])
			len--;
		rc = ctr_capture_json((const char *)ev->param[0], len, &ci, NULL, 0);
		if (rc == -ENOMEM)
			return rc;
		if (rc < 0) {
			UPD_INC(w, ev_bad_params);
			return -EINVAL;
		}
	}
	if (strlen(ci.id) != PROC_CONTAINER_ID_LEN) {
		proc_ctr_info_fini(&ci);
		return -EINVAL;
	}
	if (ci.mounts && ci.mounts->dropped)
		UPD_INC(w, ctr_mounts_cut);
	rc = proc_ctr_put(w->t, &ci, 1);
	proc_ctr_info_fini(&ci);
	return rc;
}

static bool is_clone_exit(uint16_t t)
{
	return t == EVT_SYSCALL_CLONE_20_X || t == EVT_SYSCALL_FORK_20_X ||
	       t == EVT_SYSCALL_VFORK_20_X || t == EVT_SYSCALL_CLONE3_X;
}

/* Event names whose application may change what another worker reads of a
 * thread or process (its existence, image, cwd, ids); the fd table is never
 * read across partitions, so fd events are not in it. Their exit events
 * (and procexit) shape; a clone's parent side and a failed exec do not,
 * which only their parameters tell (the caller may look). */
static const char *const shaping_names[] = {
	"clone",   "fork",	"vfork",    "clone3",  "execve", "execveat", "procexit",
	"chdir",   "fchdir",	"setuid",   "setgid",  "setresuid", "setreuid", "setresgid",
	"setregid", "setsid",	"setpgid",  "setns",   "unshare", "capset",   "prctl",
};

bool proc_event_type_shapes(uint16_t type)
{
	const struct evt_info *in = evt_info(type);

	if (!in || !in->name)
		return false;
	/* enter events change nothing but procexit (the thread ends) */
	if (evt_type_is_enter(type) && strcmp(in->name, "procexit") != 0)
		return false;
	for (size_t i = 0; i < sizeof(shaping_names) / sizeof(shaping_names[0]); i++)
		if (strcmp(in->name, shaping_names[i]) == 0)
			return true;
	return false;
}

static bool is_exec_exit(uint16_t t)
{
	return t == EVT_SYSCALL_EXECVE_19_X || t == EVT_SYSCALL_EXECVEAT_X;
}

/* ref->fd: the fd the event names (its fd parameter), if the state knows it. */
static inline __attribute__((always_inline)) void ref_event_fd(struct upd *u)
{
	uint16_t type = u->ev->hdr->type;
	int idx = fd_param_idx[type];

	if (idx >= 0 && has(u->ev, (uint32_t)idx)) {
		int64_t fd = evt_param_s64(u->ev, (uint32_t)idx, -1);

		if (set_ref_fd(u, fd) && fd >= 0 && !evt_type_is_enter(type) &&
		    type != EVT_SYSCALL_CLOSE_X)
			UPD_INC(u->w, fd_unknown);
	}
}

int proc_event_apply(struct proc_worker *w, const struct evt *ev, uint16_t cpu,
		     struct proc_evt_ref *ref)
{
	uint16_t type = ev->hdr->type;
	uint64_t tid = ev->hdr->tid;
	struct upd u = {.w = w, .ev = ev, .ref = ref, .ts = ev->hdr->ts};
	struct proc_thread *thr;
	int err = 0;

	(void)cpu;
	memset(ref, 0, sizeof(*ref));
	ref->fdnum = -1;
	ref->defer_fd = -1;
	UPD_INC(w, events);
	fd_param_need();

	if (ev->info->origin == ECAT_METAEVENT || ev->info->origin == ECAT_PLUGIN ||
	    tid == UINT64_MAX) {
		/* engine-made events belong to no thread */
		if (type == EVT_USER_ADDED_E || type == EVT_USER_ADDED_X)
			return on_user_added(w, ev);
		if (type == EVT_GROUP_ADDED_E || type == EVT_GROUP_ADDED_X)
			return on_group_added(w, ev);
		if (type == EVT_CONTAINER_E || type == EVT_CONTAINER_JSON_E ||
		    type == EVT_CONTAINER_JSON_2_E)
			return on_container(w, ev);
		return 0;
	}
	/* process-shaping exits create or replace the thread before lookups */
	if (is_clone_exit(type) && res_of(ev) == 0) {
		err = on_clone(&u);
	} else if (is_exec_exit(type) && res_of(ev) >= 0) {
		err = on_exec(&u);
	}
	thr = u.thr ? u.thr : proc_thread_lookup_own(w, tid);
	if (thr && proc_thread_owner(thr) != w->id) {
		/* misrouted: readable, never written here */
		UPD_INC(w, ev_foreign);
		ref->thr = thr;
		ref->proc = proc_thread_process(thr);
		return -EPERM;
	}
	if (!thr && w->t->procfs && proc_state_load_tid(w, w->t->procfs, tid) == 0)
		thr = proc_thread_lookup(w, tid); /* live: existed before we looked */
	if (!thr) {
		thr = proc_thread_get_or_placeholder(w, tid, 0, u.ts);
		if (!thr) {
			UPD_INC(w, ev_no_thread);
			return -errno;
		}
	}
	u.thr = thr;
	ref->thr = thr;
	ref->proc = proc_thread_process(thr);
	proc_thread_touch(w, thr, u.ts);
	if (err)
		return err;

	ref_event_fd(&u);
	if (type == EVT_PROCEXIT_1_E || type == EVT_PROCEXIT_E) {
		ref->defer |= DEFER_EXIT;
		ref->defer_tid = has(ev, 4) ? evt_param_u64(ev, 4, 0) : 0;
		return 0;
	}
	if (evt_type_is_enter(type) || is_clone_exit(type) || is_exec_exit(type))
		return is_exec_exit(type) && res_of(ev) < 0 ? failed(&u) : 0;
	err = apply_exit(&u);
	ref->proc = proc_thread_process(thr);
	return err;
}

int proc_event_apply_held(struct proc_worker *w, const struct evt *ev, uint64_t tgid,
			  struct proc_evt_ref *ref)
{
	uint16_t type = ev->hdr->type;
	struct upd u = {.w = w, .ev = ev, .ref = ref, .ts = ev->hdr->ts};
	struct proc_thread *thr;
	struct proc_process *p;

	memset(ref, 0, sizeof(*ref));
	ref->fdnum = -1;
	ref->defer_fd = -1;
	fd_param_need();
	if (evt_type_is_enter(type) || is_clone_exit(type) || type >= EVT_TYPE_MAX ||
	    !held_type[type])
		return 0;
	if (is_exec_exit(type)) {
		/* de_thread: the group keeps the exec's thread, the leader's */
		if (res_of(ev) >= 0)
			proc_replica_exec(w, tgid, u.ts);
		return 0;
	}
	/* the thread must be one of the group's here: a thread the group's
	 * exec ended (de_thread) that still makes events is a placeholder of
	 * its own, whatever the scan's tid -> tgid map still says */
	thr = proc_thread_lookup(w, ev->hdr->tid);
	p = thr ? proc_thread_process(thr) : NULL;
	if (!p || proc_process_tgid(p) != tgid)
		return 0;
	u.thr = proc_held_thread(w, tgid);
	if (!u.thr)
		return -ENOENT;
	UPD_INC(w, held_events);
	ref->thr = u.thr;
	ref->proc = proc_thread_process(u.thr);
	ref_event_fd(&u);
	return apply_exit(&u);
}

void proc_event_done(struct proc_worker *w, struct proc_evt_ref *ref)
{
	int err;

	if (!ref->thr || !ref->defer)
		return;
	if (ref->defer & DEFER_CLOSE) {
		if (proc_fd_remove(w, ref->thr, ref->defer_fd))
			UPD_INC(w, fd_errors);
		ref->fd = NULL;
	}
	if (ref->defer & DEFER_EXIT) {
		err = proc_thread_exit(w, proc_thread_tid(ref->thr), ref->defer_tid,
				       LD(ref->thr->last_ts));
		if (err && err != -EALREADY)
			UPD_INC(w, exit_errors);
	}
	ref->defer = 0;
}

/* ---- seeding from a capture's tables ------------------------------------------------ */

static void cap_fd_add(struct proc_worker *w, struct proc_thread *thr, const struct cap_fd *f)
{
	struct proc_sock sock;
	struct proc_fd_info fi = {.fd = f->fd, .ino = f->ino, .name = f->name ? f->name : "",
				  .sock = &sock};
	char name[PROC_PATH_MAX];

	memset(&sock, 0, sizeof(sock));
	fi.type = upd_fd_type_from_cap(f->type);
	if (f->type == CAP_FD_FILE_V2)
		fi.flags = proc_openflags_from_ppm(f->open_flags);
	switch (f->type) {
	case CAP_FD_IPV4_SOCK:
		sock.family = AF_INET;
		sock.l4proto = f->l4proto;
		memcpy(sock.sip, &f->sip4, 4);
		memcpy(sock.dip, &f->dip4, 4);
		sock.sport = f->sport;
		sock.dport = f->dport;
		sock_name(name, sizeof(name), &sock, NULL);
		fi.name = name;
		break;
	case CAP_FD_IPV6_SOCK:
		sock.family = AF_INET6;
		sock.l4proto = f->l4proto;
		memcpy(sock.sip, f->sip6, 16);
		memcpy(sock.dip, f->dip6, 16);
		sock.sport = f->sport;
		sock.dport = f->dport;
		if (v4mapped(sock.sip) && v4mapped(sock.dip)) {
			fi.type = PROC_FD_IPV4_SOCK;
			sock.family = AF_INET;
			memmove(sock.sip, sock.sip + 12, 4);
			memset(sock.sip + 4, 0, 12);
			memmove(sock.dip, sock.dip + 12, 4);
			memset(sock.dip + 4, 0, 12);
		}
		sock_name(name, sizeof(name), &sock, NULL);
		fi.name = name;
		break;
	case CAP_FD_IPV4_SERVSOCK:
	case CAP_FD_IPV6_SERVSOCK:
		sock.family = f->type == CAP_FD_IPV4_SERVSOCK ? AF_INET : AF_INET6;
		sock.l4proto = f->l4proto;
		if (sock.family == AF_INET)
			memcpy(sock.dip, &f->sip4, 4);
		else
			memcpy(sock.dip, f->sip6, 16);
		sock.dport = f->sport;
		fi.flags |= PROC_FD_F_SERVER;
		break;
	case CAP_FD_UNIX_SOCK:
		sock.family = AF_UNIX;
		memcpy(sock.sip, &f->unix_src, 8);
		memcpy(sock.dip, &f->unix_dst, 8);
		break;
	default:
		break;
	}
	if (proc_fd_add(w, thr, &fi))
		UPD_INC(w, seed_errors);
}

static int fd_by_tid_cmp(const void *a, const void *b)
{
	const struct cap_fd *x = *(const struct cap_fd *const *)a, *y = *(const struct cap_fd *const *)b;

	return x->tid < y->tid ? -1 : x->tid > y->tid;
}

/* Add the fds of tid's FDL entries (byt: n entries sorted by tid) to thr's process. */
static void cap_fds_of(struct proc_worker *w, struct proc_thread *thr, const struct cap_fd **byt,
		       uint32_t n, uint64_t tid)
{
	uint32_t lo = 0, hi = n, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (byt[mid]->tid < tid)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (; lo < n && byt[lo]->tid == tid; lo++)
		cap_fd_add(w, thr, byt[lo]);
}

int proc_state_from_capture(struct proc_worker *w, const struct cap_tables *t,
			    bool (*owns)(void *ctx, uint64_t tid, uint64_t pid), void *ctx)
{
	const struct cap_fd **byt = NULL;
	uint32_t i;
	int first = 0, err;

	/* users and groups: idempotent replacement, whoever comes first */
	for (i = 0; i < t->nusers; i++) {
		struct proc_user pu;

		memset(&pu, 0, sizeof(pu));
		pu.uid = t->users[i].uid;
		pu.gid = t->users[i].gid;
		snprintf(pu.name, sizeof(pu.name), "%s", t->users[i].name ? t->users[i].name : "");
		snprintf(pu.home, sizeof(pu.home), "%s", t->users[i].home ? t->users[i].home : "");
		snprintf(pu.shell, sizeof(pu.shell), "%s", t->users[i].shell ? t->users[i].shell : "");
		if (proc_users_add(w->t, &pu, 1) && !first)
			first = -ENOMEM;
	}
	for (i = 0; i < t->ngroups; i++) {
		struct proc_group pg;

		memset(&pg, 0, sizeof(pg));
		pg.gid = t->groups[i].gid;
		snprintf(pg.name, sizeof(pg.name), "%s", t->groups[i].name ? t->groups[i].name : "");
		if (proc_groups_add(w->t, &pg, 1) && !first)
			first = -ENOMEM;
	}
	if (t->nfds) {
		byt = malloc(t->nfds * sizeof(*byt));
		if (!byt)
			return -ENOMEM;
		for (i = 0; i < t->nfds; i++)
			byt[i] = &t->fds[i];
		qsort(byt, t->nfds, sizeof(*byt), fd_by_tid_cmp);
	}
	/* leaders first, so that threads join their process */
	for (int pass = 0; pass < 2; pass++) {
		for (i = 0; i < t->nprocs; i++) {
			const struct cap_proc *cp = &t->procs[i];
			struct proc_spawn s;
			struct proc_thread *thr = NULL;
			char cwd[PROC_PATH_MAX];
			bool leader = cp->tid == cp->pid || !cp->pid;

			if (leader != (pass == 0))
				continue;
			if (owns && !owns(ctx, cp->tid, cp->pid ? cp->pid : cp->tid))
				continue;
			memset(&s, 0, sizeof(s));
			s.tid = cp->tid;
			s.tgid = cp->pid ? cp->pid : cp->tid;
			s.ptid = cp->ptid;
			s.vtid = cp->vtid >= 0 ? (uint64_t)cp->vtid : cp->tid;
			s.vpid = cp->vpid >= 0 ? (uint64_t)cp->vpid : 0;
			s.ts = cp->clone_ts;
			s.flags = leader ? 0 : PROC_SPAWN_THREAD;
			/* its leader seeded by another worker (tid partitions),
			 * maybe at this very moment: a replica of the group */
			if (!leader && owns && !owns(ctx, s.tgid, s.tgid))
				s.flags |= PROC_SPAWN_REPLICA;
			s.comm = cp->comm;
			s.exe = cp->exe;
			s.exepath = cp->exepath;
			s.args = cp->args;
			s.args_len = cp->args_len;
			s.env = cp->env;
			s.env_len = cp->env_len;
			s.cgroups = cp->cgroups;
			s.cgroups_len = cp->cgroups_len;
			if (cp->cwd && cp->cwd[0]) {
				upd_cwd_join(cwd, sizeof(cwd), "/", cp->cwd);
				s.cwd = cwd;
			} else {
				s.cwd = "";
			}
			s.flags |= PROC_SPAWN_HAVE_IDS;
			s.uid = s.euid = cp->uid;
			s.gid = s.egid = cp->gid;
			s.loginuid = cp->has & CAP_PROC_HAS_LOGINUID ? cp->loginuid : UINT32_MAX;
			s.sid = cp->sid > 0 ? (uint32_t)cp->sid : 0;
			s.vpgid = cp->vpgid > 0 ? (uint32_t)cp->vpgid : 0;
			s.tty = cp->tty;
			if (cp->has & CAP_PROC_HAS_CAPS) {
				s.flags |= PROC_SPAWN_HAVE_CAPS;
				s.cap_effective = cp->cap_effective;
				s.cap_permitted = cp->cap_permitted;
				s.cap_inheritable = cp->cap_inheritable;
			}
			s.exe_ino = cp->exe_ino;
			s.exe_ctime = cp->exe_ino_ctime;
			s.exe_mtime = cp->exe_ino_mtime;
			if (cp->exe_upper_layer)
				s.flags |= PROC_SPAWN_EXE_UPPER;
			if (cp->exe_from_memfd)
				s.flags |= PROC_SPAWN_EXE_MEMFD;
			if (cp->exe_writable)
				s.flags |= PROC_SPAWN_EXE_WRITABLE;
			err = proc_thread_clone(w, &s, &thr);
			if (err || !thr) {
				UPD_INC(w, seed_errors);
				if (!first)
					first = err ? err : -ENOENT;
				continue;
			}
			UPD_INC(w, seeded_threads);
			/* fds: the FDL block of this tid (libs keeps them per
			 * process); a new replica (tid partitions) takes its
			 * group's, which are the leader's */
			cap_fds_of(w, thr, byt, t->nfds, cp->tid);
			if (!leader && thr->proc->replica && thr->proc->nthreads == 1)
				cap_fds_of(w, thr, byt, t->nfds, s.tgid);
		}
	}
	free(byt);
	return first;
}
