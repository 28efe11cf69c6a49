/*
 * test_update.c - proc_event_apply on hand-built event sequences, one
 * family at a time (clone/exec/exit, files, sockets, ids and names,
 * threads), the deferred removals of proc_event_done, malformed input, and
 * cross-partition interleavings stepped deterministically on two workers.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>

#include "t.h"
#include "test_update_evb.h"
#include "state_test_util.h"
#include "test_update_view.h"

#define CL_THREAD 0x2000u

static struct evb B;
static uint64_t now = 1000000;

/* Apply and finish one event; the ref is kept for the caller to look at
 * before the next event (done already applied). */
static int apply(struct proc_worker *w, const struct evt *ev, struct proc_evt_ref *ref)
{
	int err = proc_event_apply(w, ev, 0, ref);

	proc_event_done(w, ref);
	return err;
}

static const struct evt *ev_clone(uint64_t tid, int64_t res, uint64_t pid, uint64_t ptid,
				  const char *exe, const char *comm, const char *args,
				  uint32_t alen, const char *cwd, uint32_t flags, uint32_t uid)
{
	return evb_clone_x(&B, tid, res, pid, ptid, exe, comm, args, alen, cwd, flags, uid,
			   now += 1000);
}

static const struct evt *ev_exec(uint64_t tid, int64_t res, uint64_t pid, uint64_t ptid,
				 const char *exe, const char *comm, const char *args,
				 uint32_t alen, const char *filename, uint32_t uid)
{
	int i;

	evb_begin(&B);
	evb_u64(&B, (uint64_t)res);
	evb_str(&B, exe);
	evb_list(&B, args, alen);
	evb_u64(&B, tid);
	evb_u64(&B, pid);
	evb_u64(&B, ptid);
	evb_str(&B, "/ignored");
	for (i = 7; i < 13; i++)
		evb_empty(&B);
	evb_str(&B, comm);
	evb_empty(&B);			/* cgroups */
	evb_list(&B, "HOME=/root\0", 11); /* env */
	evb_u32(&B, 34816);		/* tty */
	evb_u64(&B, pid);		/* vpgid */
	evb_u32(&B, 1000);		/* loginuid */
	evb_u32(&B, 0x1);		/* EXE_WRITABLE */
	evb_u64(&B, 0);
	evb_u64(&B, 0x3);
	evb_u64(&B, 0x3);
	evb_u64(&B, 4242);
	evb_u64(&B, 1);
	evb_u64(&B, 2);
	evb_u32(&B, uid);
	evb_empty(&B); /* trusted_exepath */
	evb_u64(&B, pid);
	evb_u32(&B, uid);
	evb_str(&B, filename);
	return evb_end(&B, EVT_SYSCALL_EXECVE_19_X, tid, now += 1000);
}

static const struct evt *ev_open(uint64_t tid, int64_t fd, const char *name, uint32_t flags)
{
	evb_begin(&B);
	evb_u64(&B, (uint64_t)fd);
	evb_str(&B, name);
	evb_u32(&B, flags);
	evb_u32(&B, 0);
	evb_u32(&B, 0);
	evb_u64(&B, 77);
	return evb_end(&B, EVT_SYSCALL_OPEN_X, tid, now += 1000);
}

static const struct evt *ev_openat(uint64_t tid, int64_t fd, int64_t dirfd, const char *name,
				   uint32_t flags)
{
	evb_begin(&B);
	evb_u64(&B, (uint64_t)fd);
	evb_u64(&B, (uint64_t)dirfd);
	evb_str(&B, name);
	evb_u32(&B, flags);
	return evb_end(&B, EVT_SYSCALL_OPENAT_2_X, tid, now += 1000);
}

static const struct evt *ev_2(uint16_t type, uint64_t tid, int64_t a, int64_t b)
{
	evb_begin(&B);
	evb_u64(&B, (uint64_t)a);
	evb_u64(&B, (uint64_t)b);
	return evb_end(&B, type, tid, now += 1000);
}

static const struct evt *ev_close(uint64_t tid, int64_t res, int64_t fd)
{
	return ev_2(EVT_SYSCALL_CLOSE_X, tid, res, fd);
}

static const struct evt *ev_chdir(uint64_t tid, const char *path)
{
	evb_begin(&B);
	evb_u64(&B, 0);
	evb_str(&B, path);
	return evb_end(&B, EVT_SYSCALL_CHDIR_X, tid, now += 1000);
}

static const struct evt *ev_exit(uint64_t tid, int64_t reaper)
{
	evb_begin(&B);
	evb_u64(&B, 0);
	evb_u64(&B, 0);
	evb_u8(&B, 0);
	evb_u8(&B, 0);
	evb_u64(&B, (uint64_t)reaper);
	return evb_end(&B, EVT_PROCEXIT_1_E, tid, now += 1000);
}

static struct proc_table *new_table(void)
{
	struct proc_config cfg = {.poison = 1};

	return proc_table_new(&cfg);
}

static const char *comm_of(struct proc_worker *w, uint64_t tid)
{
	struct proc_thread *t = proc_thread_lookup(w, tid);
	struct proc_process *p = t ? proc_thread_process(t) : NULL;

	return p ? proc_process_image(p)->comm : "(none)";
}

static const char *cwd_of(struct proc_worker *w, uint64_t tid)
{
	struct proc_thread *t = proc_thread_lookup(w, tid);
	struct proc_process *p = t ? proc_thread_process(t) : NULL;

	return p ? proc_process_cwd(p) : "(none)";
}

static const struct proc_fd *fd_of(struct proc_worker *w, uint64_t tid, int64_t fd)
{
	struct proc_thread *t = proc_thread_lookup(w, tid);

	return t ? proc_fd_get(w, t, fd) : NULL;
}

/* A shell (100, child of 1) with cwd /home/u. */
static void make_shell(struct proc_worker *w)
{
	struct proc_evt_ref ref;

	apply(w, ev_clone(100, 0, 100, 1, "bash", "bash", "-i\0", 3, "/home/u", 0, 1000), &ref);
}

T_TEST(test_clone_exec_exit)
{
	struct proc_table *t = new_table();
	struct proc_worker *w = proc_worker_register(t);
	struct proc_evt_ref ref;
	struct upd_view v;
	const struct proc_image *img;
	const struct proc_fd *fd;

	make_shell(w);
	T_EQ_STR(comm_of(w, 100), "bash");
	T_EQ_STR(cwd_of(w, 100), "/home/u/");
	/* relative open joined with the cwd; one close-on-exec */
	T_EQ_INT(apply(w, ev_open(100, 3, "notes/../a.txt", 0x1), &ref), 0);
	T_EQ_STR(ref.fd->name, "/home/u/a.txt");
	T_EQ_INT(ref.fd->dir_len, 8);
	apply(w, ev_open(100, 4, "/etc/passwd", 0x1 | 0x1000), &ref);
	T_CHECK(ref.fd->flags & O_CLOEXEC);
	/* parent side of the fork: nothing created */
	apply(w, ev_clone(100, 101, 100, 1, "bash", "bash", "-i\0", 3, "/home/u", 0, 1000), &ref);
	T_CHECK(proc_thread_lookup(w, 101) == NULL);
	/* child side: inherits fds and cwd, parent resolves */
	apply(w, ev_clone(101, 0, 101, 100, "bash", "bash", "-i\0", 3, "", 0, 1000), &ref);
	upd_view_of(w, &ref, &v);
	T_EQ_STR(v.pname, "bash");
	T_EQ_INT(v.ppid, 100);
	T_EQ_STR(v.cwd, "/home/u/");
	fd = fd_of(w, 101, 3);
	T_CHECK(fd && !strcmp(fd->name, "/home/u/a.txt"));
	/* failed exec: nothing changes */
	apply(w, ev_exec(101, -2, 101, 100, "nope", "nope", "", 0, "nope", 0), &ref);
	T_EQ_STR(comm_of(w, 101), "bash");
	/* exec: new image, exepath from the relative filename, cloexec fd gone */
	T_EQ_INT(apply(w, ev_exec(101, 0, 101, 100, "cat", "cat", "/etc/hosts\0", 11,
				  "bin/cat", 0), &ref), 0);
	upd_view_of(w, &ref, &v);
	T_EQ_STR(v.name, "cat");
	T_EQ_STR(v.cmdline, "cat /etc/hosts");
	T_EQ_STR(v.cwd, "/home/u/");
	img = proc_process_image(ref.proc);
	T_EQ_STR(img->exepath, "/home/u/bin/cat");
	T_EQ_INT(img->exe_ino, 4242);
	T_CHECK(img->flags & PROC_IMG_EXE_WRITABLE);
	T_EQ_INT(proc_process_tty(ref.proc), 34816);
	T_EQ_INT(proc_process_loginuid(ref.proc), 1000);
	T_EQ_INT(proc_process_uid(ref.proc), 0);
	T_CHECK(fd_of(w, 101, 3) != NULL);
	T_CHECK(fd_of(w, 101, 4) == NULL);
	/* a grandchild, then its parent exits with reaper 1... re-parented */
	apply(w, ev_clone(102, 0, 102, 101, "cat", "cat", "", 0, "", 0, 0), &ref);
	T_EQ_INT(proc_event_apply(w, ev_exit(101, 100), 0, &ref), 0);
	T_CHECK(proc_thread_state(ref.thr) == PROC_LIVE); /* visible while evaluated */
	proc_event_done(w, &ref);
	proc_worker_quiescent(w);
	T_CHECK(proc_thread_lookup(w, 101) == NULL);
	{
		struct proc_thread *g = proc_thread_lookup(w, 102);
		struct proc_process *pp = proc_process_parent(w, proc_thread_process(g));

		T_CHECK(pp && proc_process_tgid(pp) == 100);
	}
	proc_worker_unregister(w);
	proc_table_destroy(t);
}

T_TEST(test_files)
{
	struct proc_table *t = new_table();
	struct proc_worker *w = proc_worker_register(t);
	struct proc_evt_ref ref;
	const struct proc_fd *fd;
	struct proc_upd_stats st;

	make_shell(w);
	/* openat: dirfd, AT_FDCWD, absolute, unknown dirfd */
	apply(w, ev_openat(100, 3, -100, "./src//x.c", 0x1), &ref);
	T_EQ_STR(ref.fd->name, "/home/u/src/x.c");
	apply(w, ev_openat(100, 4, -100, "/var/log", 0x1 | 0x400), &ref);
	T_EQ_INT(ref.fd->type, PROC_FD_DIRECTORY);
	apply(w, ev_openat(100, 5, 4, "../lib/y", 0x2 | 0x4 | 0x4000), &ref);
	T_EQ_STR(ref.fd->name, "/var/lib/y");
	T_CHECK(ref.fd->flags & PROC_FD_F_CREATED);
	T_EQ_INT(ref.fd->flags & O_ACCMODE, O_WRONLY);
	T_EQ_INT(proc_openflags_to_ppm(ref.fd->flags), 0x2 | 0x4 | 0x4000);
	apply(w, ev_openat(100, 6, 99, "rel", 0x1), &ref);
	T_EQ_STR(ref.fd->name, "<UNKNOWN>rel"); /* as libs joins it */
	/* failed open adds nothing */
	apply(w, ev_open(100, -2, "/nope", 0x1), &ref);
	T_CHECK(ref.fd == NULL);
	/* fchdir to the directory fd, chdir relative and .. */
	evb_begin(&B);
	evb_u64(&B, 0);
	evb_u64(&B, 4);
	apply(w, evb_end(&B, EVT_SYSCALL_FCHDIR_X, 100, now += 1000), &ref);
	T_EQ_STR(cwd_of(w, 100), "/var/log/");
	apply(w, ev_chdir(100, "../tmp/"), &ref);
	T_EQ_STR(cwd_of(w, 100), "/var/tmp/");
	apply(w, ev_chdir(100, "/"), &ref);
	T_EQ_STR(cwd_of(w, 100), "/");
	/* dup2 and fcntl(F_DUPFD_CLOEXEC) copy the name */
	evb_begin(&B);
	evb_u64(&B, 1);
	evb_u64(&B, 3);
	evb_u64(&B, 1);
	apply(w, evb_end(&B, EVT_SYSCALL_DUP2_X, 100, now += 1000), &ref);
	T_EQ_INT(ref.fdnum, 1);
	T_EQ_STR(ref.fd->name, "/home/u/src/x.c");
	evb_begin(&B);
	evb_u64(&B, 10);
	evb_u64(&B, 3);
	evb_u8(&B, 0x1a);
	evb_u64(&B, 10);
	apply(w, evb_end(&B, EVT_SYSCALL_FCNTL_X, 100, now += 1000), &ref);
	fd = fd_of(w, 100, 10);
	T_CHECK(fd && !strcmp(fd->name, "/home/u/src/x.c") && (fd->flags & O_CLOEXEC));
	/* pipe2: both ends, the event points at the second */
	evb_begin(&B);
	evb_u64(&B, 0);
	evb_u64(&B, 7);
	evb_u64(&B, 8);
	evb_u64(&B, 5555);
	evb_u32(&B, 0x1000);
	apply(w, evb_end(&B, EVT_SYSCALL_PIPE2_X, 100, now += 1000), &ref);
	T_EQ_INT(ref.fdnum, 8);
	T_EQ_INT(ref.fd->type, PROC_FD_PIPE);
	T_EQ_INT(ref.fd->ino, 5555);
	T_CHECK(fd_of(w, 100, 7) && (fd_of(w, 100, 7)->flags & O_CLOEXEC));
	/* eventfd2, memfd_create, inotify, timerfd, userfaultfd, io_uring, bpf */
	evb_begin(&B);
	evb_u64(&B, 11);
	evb_u16(&B, 0);
	evb_u64(&B, 0);
	apply(w, evb_end(&B, EVT_SYSCALL_EVENTFD2_X, 100, now += 1000), &ref);
	T_EQ_INT(ref.fd->type, PROC_FD_EVENT);
	evb_begin(&B);
	evb_u64(&B, 12);
	evb_str(&B, "jit");
	evb_u32(&B, 0);
	apply(w, evb_end(&B, EVT_SYSCALL_MEMFD_CREATE_X, 100, now += 1000), &ref);
	T_EQ_INT(ref.fd->type, PROC_FD_MEMFD);
	T_EQ_STR(ref.fd->name, "jit");
	evb_begin(&B);
	evb_u64(&B, 13);
	apply(w, evb_end(&B, EVT_SYSCALL_INOTIFY_INIT1_X, 100, now += 1000), &ref);
	T_EQ_INT(ref.fd->type, PROC_FD_INOTIFY);
	evb_begin(&B);
	evb_u64(&B, 14);
	apply(w, evb_end(&B, EVT_SYSCALL_TIMERFD_CREATE_X, 100, now += 1000), &ref);
	T_EQ_INT(ref.fd->type, PROC_FD_TIMERFD);
	evb_begin(&B);
	evb_u64(&B, 15);
	apply(w, evb_end(&B, EVT_SYSCALL_USERFAULTFD_X, 100, now += 1000), &ref);
	T_EQ_INT(ref.fd->type, PROC_FD_USERFAULTFD);
	evb_begin(&B);
	evb_u64(&B, 16);
	apply(w, evb_end(&B, EVT_SYSCALL_IO_URING_SETUP_X, 100, now += 1000), &ref);
	T_EQ_INT(ref.fd->type, PROC_FD_IOURING);
	evb_begin(&B);
	evb_u64(&B, 17);
	apply(w, evb_end(&B, EVT_SYSCALL_BPF_2_X, 100, now += 1000), &ref);
	T_EQ_INT(ref.fd->type, PROC_FD_BPF);
	evb_begin(&B);
	evb_u64(&B, 18);
	apply(w, evb_end(&B, EVT_SYSCALL_SIGNALFD4_X, 100, now += 1000), &ref);
	T_EQ_INT(ref.fd->type, PROC_FD_SIGNALFD);
	/* close: still visible while evaluated, gone after done */
	T_EQ_INT(proc_event_apply(w, ev_close(100, 0, 3), 0, &ref), 0);
	T_CHECK(ref.fd && !strcmp(ref.fd->name, "/home/u/src/x.c"));
	T_CHECK(fd_of(w, 100, 3) != NULL);
	proc_event_done(w, &ref);
	T_CHECK(fd_of(w, 100, 3) == NULL);
	/* a failed close keeps the fd; a close of an unknown fd is counted */
	apply(w, ev_close(100, -9, 5), &ref);
	T_CHECK(fd_of(w, 100, 5) != NULL);
	T_EQ_INT(apply(w, ev_close(100, 0, 42), &ref), -ENOENT);
	/* close_range(11, 14) */
	evb_begin(&B);
	evb_u64(&B, 0);
	evb_u32(&B, 11);
	evb_u32(&B, 14);
	evb_u32(&B, 0);
	apply(w, evb_end(&B, EVT_SYSCALL_CLOSE_RANGE_X, 100, now += 1000), &ref);
	T_CHECK(!fd_of(w, 100, 11) && !fd_of(w, 100, 14) && fd_of(w, 100, 15));
	proc_upd_stats(t, &st);
	T_CHECK(st.fd_unknown >= 1);
	T_CHECK(st.ev_failed_syscall >= 2);
	proc_worker_unregister(w);
	proc_table_destroy(t);
}

static const struct evt *ev_socket(uint64_t tid, int64_t fd, uint32_t dom, uint32_t type,
				   uint32_t proto)
{
	evb_begin(&B);
	evb_u64(&B, (uint64_t)fd);
	evb_u32(&B, dom);
	evb_u32(&B, type);
	evb_u32(&B, proto);
	return evb_end(&B, EVT_SOCKET_SOCKET_X, tid, now += 1000);
}

/* An IPv4 connection's fd name is written without printf: compare it with
 * printf's for octets and ports of every digit count, zeros inside. */
T_TEST(test_socket_names_digits)
{
	static const struct {
		const char *sip, *dip;
		unsigned sport, dport;
	} c[] = {
		{ "0.0.0.0", "255.255.255.255", 0, 65535 },
		{ "1.10.100.105", "9.99.199.250", 9, 10 },
		{ "100.101.110.200", "10.0.9.1", 99, 100 },
		{ "203.0.113.7", "198.51.100.42", 999, 1000 },
		{ "172.16.0.1", "8.8.4.4", 9999, 10000 },
		{ "192.168.100.100", "127.0.0.1", 10009, 40500 },
	};
	struct proc_table *t = new_table();
	struct proc_worker *w = proc_worker_register(t);
	struct proc_evt_ref ref;
	struct upd_view v;
	char want[64];

	make_shell(w);
	for (unsigned i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		apply(w, ev_socket(100, 3 + (int)i, 2, 1, 0), &ref);
		evb_begin(&B);
		evb_u64(&B, 0);
		evb_tuple4(&B, c[i].sip, (uint16_t)c[i].sport, c[i].dip, (uint16_t)c[i].dport);
		evb_u64(&B, 3 + i);
		apply(w, evb_end(&B, EVT_SOCKET_CONNECT_X, 100, now += 1000), &ref);
		upd_view_of(w, &ref, &v);
		snprintf(want, sizeof(want), "%s:%u->%s:%u", c[i].sip, c[i].sport, c[i].dip,
			 c[i].dport);
		T_EQ_STR(v.fdname, want);
	}
	proc_worker_unregister(w);
	proc_table_destroy(t);
}

T_TEST(test_sockets)
{
	struct proc_table *t = new_table();
	struct proc_worker *w = proc_worker_register(t);
	struct proc_evt_ref ref;
	struct upd_view v;
	const struct proc_fd *fd;

	make_shell(w);
	/* TCP client */
	apply(w, ev_socket(100, 3, 2, 1, 0), &ref);
	T_EQ_INT(ref.fd->type, PROC_FD_IPV4_SOCK);
	T_EQ_INT(ref.fd->sock.l4proto, 6);
	evb_begin(&B);
	evb_u64(&B, (uint64_t)-115);
	evb_tuple4(&B, "10.0.0.1", 40000, "93.184.216.34", 80);
	evb_u64(&B, 3);
	apply(w, evb_end(&B, EVT_SOCKET_CONNECT_X, 100, now += 1000), &ref);
	upd_view_of(w, &ref, &v);
	T_EQ_STR(v.fdname, "10.0.0.1:40000->93.184.216.34:80");
	T_EQ_STR(v.sip, "10.0.0.1");
	T_EQ_INT(v.dport, 80);
	T_CHECK(ref.fd->flags & PROC_FD_F_CLIENT);
	T_CHECK(ref.fd->flags & PROC_FD_F_CONNECTED);
	/* v4-mapped IPv6 tuple becomes IPv4 */
	apply(w, ev_socket(100, 4, 10, 1, 6), &ref);
	evb_begin(&B);
	evb_u64(&B, 0);
	evb_tuple6(&B, "::ffff:10.0.0.1", 40001, "::ffff:10.0.0.2", 443);
	evb_u64(&B, 4);
	apply(w, evb_end(&B, EVT_SOCKET_CONNECT_X, 100, now += 1000), &ref);
	T_EQ_INT(ref.fd->type, PROC_FD_IPV4_SOCK);
	T_EQ_STR(ref.fd->name, "10.0.0.1:40001->10.0.0.2:443");
	/* server: bind, listen, accept4 */
	apply(w, ev_socket(100, 5, 2, 1, 6), &ref);
	evb_begin(&B);
	evb_u64(&B, 0);
	evb_sockaddr4(&B, "0.0.0.0", 8080);
	evb_u64(&B, 5);
	apply(w, evb_end(&B, EVT_SOCKET_BIND_X, 100, now += 1000), &ref);
	T_EQ_STR(ref.fd->name, "0.0.0.0:8080");
	T_CHECK(ref.fd->flags & PROC_FD_F_SERVER);
	T_EQ_INT(ref.fd->sock.dport, 8080);
	evb_begin(&B);
	evb_u64(&B, 6);
	evb_tuple4(&B, "192.168.1.9", 51000, "192.168.1.2", 8080);
	evb_u8(&B, 0);
	evb_u32(&B, 0);
	evb_u32(&B, 128);
	evb_u32(&B, 0x1000);
	apply(w, evb_end(&B, EVT_SOCKET_ACCEPT4_6_X, 100, now += 1000), &ref);
	upd_view_of(w, &ref, &v);
	T_EQ_INT(v.fdnum, 6);
	T_EQ_STR(v.fdname, "192.168.1.9:51000->192.168.1.2:8080");
	T_CHECK(ref.fd->flags & PROC_FD_F_SERVER);
	T_CHECK(ref.fd->flags & O_CLOEXEC);
	/* unix connect, failed (named anyway, as sysdig) */
	apply(w, ev_socket(100, 7, 1, 1, 0), &ref);
	evb_begin(&B);
	evb_u64(&B, (uint64_t)-2);
	evb_tuple_unix(&B, 0, 0xffff94dc817b9400ull, "/var/run/nscd/socket");
	evb_u64(&B, 7);
	apply(w, evb_end(&B, EVT_SOCKET_CONNECT_X, 100, now += 1000), &ref);
	T_EQ_STR(ref.fd->name, "0->ffff94dc817b9400 /var/run/nscd/socket");
	T_CHECK(!(ref.fd->flags & PROC_FD_F_CONNECTED));
	/* UDP: recvfrom on an unconnected socket takes the peer tuple (us -> peer) */
	apply(w, ev_socket(100, 8, 2, 2, 0), &ref);
	evb_begin(&B);
	evb_u64(&B, 10);
	evb_raw(&B, "x", 1);
	evb_tuple4(&B, "8.8.8.8", 53, "10.0.0.1", 33333);
	evb_u64(&B, 8);
	evb_u32(&B, 10);
	apply(w, evb_end(&B, EVT_SOCKET_RECVFROM_X, 100, now += 1000), &ref);
	T_EQ_STR(ref.fd->name, "10.0.0.1:33333->8.8.8.8:53");
	T_EQ_INT(ref.fd->sock.l4proto, 17);
	/* sendto on an fd whose socket() was missed: a UDP socket is guessed */
	evb_begin(&B);
	evb_u64(&B, 3);
	evb_raw(&B, "abc", 3);
	evb_u64(&B, 9);
	evb_u32(&B, 3);
	evb_tuple4(&B, "10.0.0.1", 5000, "10.0.0.3", 514);
	apply(w, evb_end(&B, EVT_SOCKET_SENDTO_X, 100, now += 1000), &ref);
	fd = fd_of(w, 100, 9);
	T_CHECK(fd && fd->type == PROC_FD_IPV4_SOCK && fd->sock.l4proto == 17);
	T_EQ_STR(fd->name, "10.0.0.1:5000->10.0.0.3:514");
	/* socketpair */
	evb_begin(&B);
	evb_u64(&B, 0);
	evb_u64(&B, 20);
	evb_u64(&B, 21);
	evb_u64(&B, 0x1111);
	evb_u64(&B, 0x2222);
	apply(w, evb_end(&B, EVT_SOCKET_SOCKETPAIR_X, 100, now += 1000), &ref);
	T_EQ_INT(ref.fdnum, 20);
	T_CHECK(fd_of(w, 100, 21) && fd_of(w, 100, 21)->type == PROC_FD_UNIX_SOCK);
	/* a write on a known fd: no change, the ref points at it */
	evb_begin(&B);
	evb_u64(&B, 3);
	evb_raw(&B, "abc", 3);
	evb_u64(&B, 6);
	evb_u32(&B, 3);
	apply(w, evb_end(&B, EVT_SYSCALL_WRITE_X, 100, now += 1000), &ref);
	T_EQ_STR(ref.fd->name, "192.168.1.9:51000->192.168.1.2:8080");
	proc_worker_unregister(w);
	proc_table_destroy(t);
}

T_TEST(test_ids_names)
{
	struct proc_table *t = new_table();
	struct proc_worker *w = proc_worker_register(t);
	struct proc_evt_ref ref;
	struct proc_process *p;

	make_shell(w);
	apply(w, ev_2(EVT_SYSCALL_SETUID_X, 100, 0, 0), &ref);
	p = ref.proc;
	T_EQ_INT(proc_process_uid(p), 0);
	T_EQ_INT(proc_process_euid(p), 0);
	evb_begin(&B);
	evb_u64(&B, 0);
	evb_u32(&B, 1);
	evb_u32(&B, 33);
	evb_u32(&B, 1);
	apply(w, evb_end(&B, EVT_SYSCALL_SETRESUID_X, 100, now += 1000), &ref);
	T_EQ_INT(proc_process_euid(p), 33);
	apply(w, ev_2(EVT_SYSCALL_SETGID_X, 100, 0, 44), &ref);
	T_EQ_INT(proc_process_egid(p), 44);
	apply(w, ev_2(EVT_SYSCALL_SETGID_X, 100, -1, 55), &ref); /* failed */
	T_EQ_INT(proc_process_egid(p), 44);
	evb_begin(&B);
	evb_u64(&B, 100);
	apply(w, evb_end(&B, EVT_SYSCALL_SETSID_X, 100, now += 1000), &ref);
	T_EQ_INT(proc_process_sid(p), 100);
	T_EQ_INT(proc_process_vpgid(p), 100);
	evb_begin(&B);
	evb_u64(&B, 0);
	evb_u32(&B, 15);
	evb_str(&B, "worker-1");
	evb_u64(&B, 0);
	apply(w, evb_end(&B, EVT_SYSCALL_PRCTL_X, 100, now += 1000), &ref);
	T_EQ_STR(comm_of(w, 100), "worker-1");
	evb_begin(&B);
	evb_u64(&B, 0);
	evb_u64(&B, 1);
	evb_u64(&B, 2);
	evb_u64(&B, 3);
	apply(w, evb_end(&B, EVT_SYSCALL_CAPSET_X, 100, now += 1000), &ref);
	T_EQ_INT(proc_process_image(p)->cap_effective, 3);
	T_EQ_INT(proc_process_image(p)->cap_inheritable, 1);
	evb_begin(&B);
	evb_u64(&B, 0);
	evb_u32(&B, 0x100000);
	apply(w, evb_end(&B, EVT_SYSCALL_UNSHARE_X, 100, now += 1000), &ref);
	T_EQ_INT(proc_process_image(p)->cap_effective, 0x1ffffffffffull);
	proc_worker_unregister(w);
	proc_table_destroy(t);
}

T_TEST(test_threads)
{
	struct proc_table *t = new_table();
	struct proc_worker *w = proc_worker_register(t);
	struct proc_evt_ref ref;
	struct proc_thread *leader;

	make_shell(w);
	apply(w, ev_clone(200, 0, 200, 100, "java", "java", "-jar\0x\0", 7, "/srv", 0, 0), &ref);
	apply(w, ev_open(200, 3, "app.log", 0x2), &ref);
	/* a thread joins the process and shares its fds and cwd */
	apply(w, ev_clone(201, 0, 200, 200, "java", "java", "-jar\0x\0", 7, "/srv", CL_THREAD, 0),
	      &ref);
	T_CHECK(ref.proc == proc_thread_process(proc_thread_lookup(w, 200)));
	apply(w, ev_2(EVT_SYSCALL_READ_X, 201, 5, 0), &ref); /* res, data... fd missing */
	evb_begin(&B);
	evb_u64(&B, 5);
	evb_raw(&B, "hello", 5);
	evb_u64(&B, 3);
	evb_u32(&B, 5);
	apply(w, evb_end(&B, EVT_SYSCALL_READ_X, 201, now += 1000), &ref);
	T_EQ_STR(ref.fd->name, "/srv/app.log");
	/* the thread calls chdir: the whole process moves */
	apply(w, ev_chdir(201, "logs"), &ref);
	T_EQ_STR(cwd_of(w, 200), "/srv/logs/");
	/* a non-leader exec: the exit is reported with tid == tgid */
	T_EQ_INT(apply(w, ev_exec(200, 0, 200, 100, "sh", "sh", "-c\0true\0", 8, "/bin/sh", 0),
		       &ref), 0);
	T_EQ_INT(proc_thread_tid(ref.thr), 200);
	proc_worker_quiescent(w);
	T_CHECK(proc_thread_lookup(w, 201) == NULL);
	leader = proc_thread_lookup(w, 200);
	T_CHECK(leader && !strcmp(proc_process_image(proc_thread_process(leader))->comm, "sh"));
	/* an event of an unknown tid makes a placeholder that a later exec fills */
	apply(w, ev_open(300, 3, "/x", 0x1), &ref);
	T_CHECK(ref.thr && proc_thread_is_placeholder(ref.thr));
	apply(w, ev_exec(300, 0, 300, 100, "ls", "ls", "", 0, "/bin/ls", 0), &ref);
	T_EQ_STR(comm_of(w, 300), "ls");
	T_CHECK(fd_of(w, 300, 3) != NULL);
	proc_worker_unregister(w);
	proc_table_destroy(t);
}

T_TEST(test_malformed)
{
	struct proc_table *t = new_table();
	struct proc_worker *w = proc_worker_register(t);
	struct proc_evt_ref ref;
	uint16_t types[] = {EVT_SYSCALL_CLONE_20_X, EVT_SYSCALL_EXECVE_19_X, EVT_SOCKET_CONNECT_X,
			    EVT_SOCKET_ACCEPT4_6_X, EVT_SOCKET_BIND_X, EVT_SYSCALL_OPENAT_2_X,
			    EVT_SYSCALL_PIPE2_X, EVT_SYSCALL_DUP3_X, EVT_SYSCALL_FCNTL_X,
			    EVT_SOCKET_RECVMSG_X, EVT_SYSCALL_PRCTL_X, EVT_PROCEXIT_1_E,
			    EVT_SYSCALL_CLOSE_RANGE_X, EVT_SYSCALL_FCHDIR_X};
	unsigned i, k;

	make_shell(w);
	/* every type with no parameters, then with garbage ones: no crash */
	for (i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		for (k = 0; k < 3; k++) {
			evb_begin(&B);
			if (k == 1) {
				evb_u8(&B, 0);
				evb_raw(&B, "\xff\xff", 2);
				evb_u8(&B, 10);
			} else if (k == 2) {
				evb_u64(&B, 0);
				evb_u8(&B, 10);
				evb_raw(&B, "\x01", 1);
				evb_u64(&B, 0);
			}
			T_CHECK(evb_end(&B, types[i], 100, now += 1000) != NULL);
			proc_event_apply(w, &B.ev, 0, &ref);
			proc_event_done(w, &ref);
			proc_event_done(w, &ref); /* idempotent */
		}
	}
	proc_worker_quiescent(w);
	proc_worker_unregister(w);
	proc_table_destroy(t);
}

/* ---- two workers, stepped ---- */

struct xp {
	const struct evt *ev;
	int err;
	struct upd_view v;
	unsigned n;
	char names[4][32];
};

static void step_apply(struct proc_worker *w, void *arg)
{
	struct xp *x = arg;
	struct proc_evt_ref ref;

	x->err = proc_event_apply(w, x->ev, 0, &ref);
	upd_view_of(w, &ref, &x->v);
	proc_event_done(w, &ref);
}

static void step_ancestry(struct proc_worker *w, void *arg)
{
	struct xp *x = arg;
	struct proc_thread *thr = proc_thread_lookup(w, 502);
	struct proc_process *anc[8];
	unsigned i;

	x->n = 0;
	if (!thr)
		return;
	x->n = proc_process_ancestors(w, proc_thread_process(thr), anc, 4);
	for (i = 0; i < x->n; i++)
		snprintf(x->names[i], sizeof(x->names[i]), "%s", proc_process_image(anc[i])->comm);
}

static struct evb parent_ev;

struct xlook {
	uint64_t tid;
	char comm[32];
};

static void step_lookup(struct proc_worker *w, void *arg)
{
	struct xlook *x = arg;
	struct proc_thread *thr = proc_thread_lookup(w, x->tid);
	struct proc_process *p = thr ? proc_thread_process(thr) : NULL;

	snprintf(x->comm, sizeof(x->comm), "%s", p ? proc_process_image(p)->comm : "(gone)");
}

T_TEST(test_cross_partition)
{
	struct proc_table *t = new_table();
	struct stepper a, b;
	struct xp x;
	struct xlook xt;

	stepper_start(&a, t);
	stepper_start(&b, t);
	/* worker A owns 500 (init-like) and 501 (bash); worker B owns 502 */
	x.ev = ev_clone(500, 0, 500, 1, "init", "init", "", 0, "/", 0, 0);
	step(&a, step_apply, &x);
	/* the child's clone on B is processed before its parent's on A (which
	 * happened earlier: the parent's event is built first) */
	ev_clone(501, 0, 501, 500, "bash", "bash", "", 0, "/home/u", 0, 1000);
	memcpy(&parent_ev, &B, sizeof(B));
	T_CHECK(evt_decode(parent_ev.buf, sizeof(parent_ev.buf), &parent_ev.ev, NULL) == EVT_OK);
	x.ev = ev_clone(502, 0, 502, 501, "vim", "vim", "f\0", 2, "/home/u", 0, 1000);
	step(&b, step_apply, &x);
	T_EQ_INT(x.err, 0);
	T_EQ_STR(x.v.name, "vim");
	T_EQ_STR(x.v.pname, ""); /* parent unknown yet */
	x.ev = &parent_ev.ev;
	step(&a, step_apply, &x);
	step(&b, step_ancestry, &x);
	T_EQ_INT(x.n, 2);
	T_EQ_STR(x.names[0], "bash");
	T_EQ_STR(x.names[1], "init");
	/* B reads the ancestry while A processes the parent's exit (reaper 500) */
	x.ev = ev_exit(501, 500);
	step(&a, step_apply, &x);
	step(&b, step_ancestry, &x); /* A has not passed a quiescent state: still there */
	T_EQ_STR(x.names[0], "bash");
	step(&a, step_quiescent, NULL);
	step(&b, step_quiescent, NULL);
	step(&b, step_ancestry, &x);
	T_EQ_INT(x.n, 1);
	T_EQ_STR(x.names[0], "init");
	/* an event of B's process sent to A is refused, untouched */
	x.ev = ev_open(502, 3, "/etc/x", 0x1);
	step(&a, step_apply, &x);
	T_EQ_INT(x.err, -EPERM);
	/* a non-leader thread of A's process execs while B reads it */
	x.ev = ev_clone(600, 0, 600, 500, "java", "java", "", 0, "/", 0, 0);
	step(&a, step_apply, &x);
	x.ev = ev_clone(601, 0, 600, 600, "java", "java", "", 0, "/", CL_THREAD, 0);
	step(&a, step_apply, &x);
	xt.tid = 601;
	step(&b, step_lookup, &xt);
	T_EQ_STR(xt.comm, "java");
	x.ev = ev_exec(600, 0, 600, 500, "sh", "sh", "", 0, "/bin/sh", 0);
	step(&a, step_apply, &x);
	T_EQ_STR(x.v.name, "sh");
	step(&b, step_lookup, &xt); /* exiting, still readable until A's quiescent state */
	T_EQ_STR(xt.comm, "sh");
	step(&a, step_quiescent, NULL);
	step(&b, step_quiescent, NULL);
	step(&b, step_lookup, &xt);
	T_EQ_STR(xt.comm, "(gone)");
	xt.tid = 600;
	step(&b, step_lookup, &xt);
	T_EQ_STR(xt.comm, "sh");
	step(&a, step_quiescent, NULL);
	step(&b, step_quiescent, NULL);
	stepper_stop(&a);
	stepper_stop(&b);
	proc_table_destroy(t);
}

int main(void)
{
	T_RUN(test_clone_exec_exit);
	T_RUN(test_files);
	T_RUN(test_socket_names_digits);
	T_RUN(test_sockets);
	T_RUN(test_ids_names);
	T_RUN(test_threads);
	T_RUN(test_malformed);
	T_RUN(test_cross_partition);
	return T_DONE();
}
