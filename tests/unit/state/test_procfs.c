/*
 * test_procfs.c - seeding from /proc: this machine's real /proc (our own
 * process must be found with its exe, cmdline, cwd, uid, a file and a
 * socket we opened) and a fake procfs tree built under a temp dir, with
 * malformed files that must be skipped and counted, never crash.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "t.h"
#include "capture/capture.h"
#include "state/state.h"

static bool only_pid(void *ctx, uint64_t tid, uint64_t pid)
{
	(void)tid;
	return pid == *(uint64_t *)ctx;
}

struct find {
	const char *name;
	int64_t fd;
	uint32_t type;
};

static int find_name(const struct proc_fd *fd, void *arg)
{
	struct find *f = arg;

	if (!strcmp(fd->name, f->name)) {
		f->fd = fd->fd;
		f->type = fd->type;
		return 1;
	}
	return 0;
}

T_TEST(test_real_proc)
{
	struct proc_table *t = proc_table_new(NULL);
	struct proc_worker *w = proc_worker_register(t);
	uint64_t me = (uint64_t)getpid();
	char path[256], exe[1024], cwd[1024];
	struct proc_thread *thr;
	struct proc_process *p;
	const struct proc_image *img;
	const struct proc_fd *fd;
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t sl = sizeof(sa);
	struct find f;
	int ffd, sfd;
	ssize_t n;

	snprintf(path, sizeof(path), "/tmp/pg_procfs_%d.txt", getpid());
	ffd = open(path, O_CREAT | O_WRONLY | O_TRUNC | O_CLOEXEC, 0600);
	sfd = socket(AF_INET, SOCK_STREAM, 0);
	T_CHECK(ffd >= 0 && sfd >= 0);
	T_EQ_INT(bind(sfd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	T_EQ_INT(listen(sfd, 1), 0);
	getsockname(sfd, (struct sockaddr *)&sa, &sl);

	T_EQ_INT(proc_state_from_procfs(w, "/proc", only_pid, &me), 0);
	thr = proc_thread_lookup(w, me);
	T_CHECK(thr != NULL);
	p = proc_thread_process(thr);
	img = proc_process_image(p);
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	T_CHECK(n > 0);
	exe[n] = '\0';
	T_EQ_STR(img->exepath, exe);
	T_EQ_STR(img->comm, "test_procfs");
	T_CHECK(strstr(img->exe, "test_procfs") != NULL);
	T_CHECK(getcwd(cwd, sizeof(cwd) - 2));
	strcat(cwd, "/");
	T_EQ_STR(proc_process_cwd(p), cwd);
	T_EQ_INT(proc_process_uid(p), getuid());
	T_EQ_INT(proc_process_euid(p), geteuid());
	T_EQ_INT(proc_process_tgid(p), me);
	/* the file: name, type, flags from fdinfo */
	fd = proc_fd_get(w, thr, ffd);
	T_CHECK(fd != NULL);
	T_EQ_STR(fd->name, path);
	T_EQ_INT(fd->type, PROC_FD_FILE);
	T_CHECK(fd->flags & O_CLOEXEC);
	T_EQ_INT(fd->flags & O_ACCMODE, O_WRONLY);
	/* the listening socket: a server socket with its bound port */
	fd = proc_fd_get(w, thr, sfd);
	T_CHECK(fd != NULL);
	T_EQ_INT(fd->type, PROC_FD_IPV4_SOCK);
	T_CHECK(fd->flags & PROC_FD_F_SERVER);
	T_EQ_INT(fd->sock.dport, ntohs(sa.sin_port));
	T_EQ_INT(fd->sock.l4proto, 6);
	/* iteration finds the file by name too */
	f = (struct find){.name = path, .fd = -1};
	proc_fd_foreach(w, thr, find_name, &f);
	T_EQ_INT(f.fd, ffd);
	/* a lazy load of an unknown tid: our own again, after a fresh table */
	proc_worker_unregister(w);
	proc_table_destroy(t);
	t = proc_table_new(NULL);
	w = proc_worker_register(t);
	T_EQ_INT(proc_state_load_tid(w, "/proc", me), 0);
	T_CHECK(proc_thread_lookup(w, me) != NULL);
	T_EQ_INT(proc_state_load_tid(w, "/proc", 0x7ffffff0ull), -ENOENT);
	close(ffd);
	close(sfd);
	unlink(path);
	proc_worker_unregister(w);
	proc_table_destroy(t);
}

/* A real process whose name is hostile: it closes the parenthesis /proc's
 * stat line puts it in, fakes the fields after it, and has a newline inside
 * (prctl(PR_SET_NAME) takes any bytes but NUL, 15 at most). Seeding from
 * the real /proc must give its name byte for byte and its true parent, not
 * what the name pretends. */
T_TEST(test_real_proc_hostile_name)
{
	static const char name[] = "x) R 1 9\n(y )";
	struct proc_table *t = proc_table_new(NULL);
	struct proc_worker *w = proc_worker_register(t);
	struct proc_thread *thr;
	const struct proc_image *img;
	int go[2], ready[2];
	char c = 0, got[64];
	uint64_t ptid, tgid;
	pid_t child;

	T_CHECK(sizeof(name) - 1 <= 15);
	T_CHECK(pipe(go) == 0 && pipe(ready) == 0);
	child = fork();
	if (child == 0) {
		prctl(PR_SET_NAME, name);
		if (write(ready[1], "r", 1) != 1 || read(go[0], &c, 1) < 0)
			_exit(1);
		_exit(0);
	}
	T_CHECK(child > 0);
	T_EQ_INT(read(ready[0], &c, 1), 1);
	T_EQ_INT(proc_state_load_tid(w, "/proc", (uint64_t)child), 0);
	thr = proc_thread_lookup(w, (uint64_t)child);
	img = thr ? proc_process_image(proc_thread_process(thr)) : NULL;
	if (write(go[1], "g", 1) != 1)
		c = 0;
	waitpid(child, NULL, 0);
	close(go[0]);
	close(go[1]);
	close(ready[0]);
	close(ready[1]);
	/* read what is to be checked, then free: a failed check returns */
	snprintf(got, sizeof(got), "%s", img ? img->comm : "(not found)");
	ptid = thr ? proc_process_ptid(proc_thread_process(thr)) : 0;
	tgid = thr ? proc_process_tgid(proc_thread_process(thr)) : 0;
	proc_worker_unregister(w);
	proc_table_destroy(t);
	T_EQ_STR(got, name);
	T_EQ_INT(ptid, getpid());
	T_EQ_INT(tgid, child);
}

/* ---- a fake tree ---- */

static char root[256];

static void put(const char *rel, const char *data, size_t len)
{
	char path[512], *s;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	for (s = path + strlen(root) + 1; (s = strchr(s, '/')); s++) {
		*s = '\0';
		mkdir(path, 0755);
		*s = '/';
	}
	f = fopen(path, "w");
	if (f) {
		fwrite(data, 1, len, f);
		fclose(f);
	}
}

#define PUTS(rel, s) put(rel, s, sizeof(s) - 1)

static void link_to(const char *rel, const char *target)
{
	char path[512];

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	unlink(path);
	if (symlink(target, path))
		perror("symlink");
}

static void rm_rf(const char *dir)
{
	char cmd[600];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd))
		fprintf(stderr, "rm failed\n");
}

static void fake_process(const char *pid, const char *stat, const char *status)
{
	char rel[128];

	snprintf(rel, sizeof(rel), "%s/stat", pid);
	put(rel, stat, strlen(stat));
	snprintf(rel, sizeof(rel), "%s/status", pid);
	put(rel, status, strlen(status));
}

/* A fake procfs under root: process 42 (thread 43, a file, a pipe, sockets),
 * and broken entries 50, 51, 52. */
static void make_fake_tree(void)
{
	snprintf(root, sizeof(root), "/tmp/pg_fakeproc_%d", getpid());
	rm_rf(root);
	mkdir(root, 0755);
	PUTS("stat", "cpu 1 2 3\nbtime 1700000000\n");
	/* a good process 42 with a thread 43, a file, a pipe, a socket */
	fake_process("42", "42 (my app) S 1 42 42 34816 0 0 0 0 0 0 0 0 0 0 20 0 2 0 500 0 0\n",
		     "Name:\tmy app\nTgid:\t42\nUid:\t1000\t1000\t1000\t1000\n"
		     "Gid:\t100\t100\t100\t100\nCapEff:\t0000000000000400\nNSpid:\t42\t7\nNStgid:\t42\t7\n");
	PUTS("42/comm", "my app\n");
	put("42/cmdline", "/usr/bin/app\0--flag\0x y\0", 24);
	put("42/environ", "A=1\0B=2\0", 8);
	PUTS("42/cgroup", "0::/system.slice/app.service\n3:cpu,cpuacct:/app\n");
	PUTS("42/loginuid", "1000");
	link_to("42/exe", "/usr/bin/app (deleted)");
	link_to("42/cwd", "/srv/app");
	put("42/fd/.keep", "", 0); /* creates the directory; skipped as a dot entry */
	link_to("42/fd/3", "/var/log/app.log");
	link_to("42/fd/4", "pipe:[777]");
	link_to("42/fd/5", "socket:[9001]");
	link_to("42/fd/6", "anon_inode:[eventfd]");
	link_to("42/fd/7", "socket:[9002]");
	link_to("42/fd/bad", "/x");
	PUTS("42/fdinfo/3", "pos:\t0\nflags:\t02100001\nmnt_id:\t1\n");
	fake_process("42/task/43",
		     "43 (worker) S 1 42 42 34816 0 0 0 0 0 0 0 0 0 0 20 0 2 0 501 0 0\n",
		     "Name:\tworker\nTgid:\t42\nUid:\t1000\t1000\t1000\t1000\nGid:\t100\t100\t100\t100\n");
	fake_process("42/task/42", "x", "x");
	PUTS("net/tcp", "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when "
			"retrnsmt   uid  timeout inode\n"
			"   0: 0100007F:1F90 0200007F:C350 01 00000000:00000000 00:00000000 "
			"00000000  1000        0 9001 1 0\n"
			"   1: garbage\n");
	PUTS("net/unix", "Num       RefCount Protocol Flags    Type St Inode Path\n"
			 "ffff9a0001: 00000002 00000000 00010000 0001 01 9002 /run/app.sock\n");
	/* broken ones: bad stat, missing status, bad uid line, a non-numeric dir */
	fake_process("50", "50 no parens here", "Uid:\t0\t0\nGid:\t0\t0\n");
	PUTS("51/stat", "51 (x) S 1 51 51 0 0 0 0 0 0 0 0 0 0 0 20 0 1 0 5 0 0\n");
	fake_process("52", "52 (y) S 1 52 52 0 0 0 0 0 0 0 0 0 0 0 20 0 1 0 5 0 0\n",
		     "Uid:\tnope\n");
	PUTS("self/stat", "x");

}

T_TEST(test_fake_proc)
{
	struct proc_table *t = proc_table_new(NULL);
	struct proc_worker *w = proc_worker_register(t);
	struct proc_upd_stats st;
	struct proc_thread *thr;
	struct proc_process *p;
	const struct proc_image *img;
	const struct proc_fd *fd;

	make_fake_tree();
	T_EQ_INT(proc_state_from_procfs(w, root, NULL, NULL), 0);
	thr = proc_thread_lookup(w, 42);
	T_CHECK(thr != NULL);
	p = proc_thread_process(thr);
	img = proc_process_image(p);
	T_EQ_STR(img->comm, "my app");
	T_EQ_STR(img->exe, "/usr/bin/app");
	T_EQ_INT(img->args_len, 11);
	T_EQ_STR(img->args, "--flag");
	T_EQ_STR(img->exepath, "/usr/bin/app");
	T_EQ_STR(proc_process_cwd(p), "/srv/app/");
	T_EQ_INT(proc_process_uid(p), 1000);
	T_EQ_INT(proc_process_gid(p), 100);
	T_EQ_INT(proc_process_loginuid(p), 1000);
	T_EQ_INT(proc_process_vpid(p), 7);
	T_EQ_INT(proc_process_tty(p), 34816);
	T_EQ_INT(proc_process_ptid(p), 1);
	T_EQ_INT(img->cap_effective, 0x400);
	T_CHECK(img->cgroups_len > 0);
	T_EQ_STR(img->cgroups, "unified=/system.slice/app.service");
	T_CHECK(proc_thread_clone_ts(thr) ==
		1700000000ull * 1000000000ull +
			500ull * (1000000000ull / (uint64_t)sysconf(_SC_CLK_TCK)));
	T_CHECK(proc_thread_lookup(w, 43) != NULL);
	T_CHECK(proc_thread_process(proc_thread_lookup(w, 43)) == p);
	fd = proc_fd_get(w, thr, 3);
	T_CHECK(fd && !strcmp(fd->name, "/var/log/app.log"));
	T_CHECK(fd->flags & O_CLOEXEC);
	fd = proc_fd_get(w, thr, 4);
	T_CHECK(fd && fd->type == PROC_FD_PIPE && fd->ino == 777);
	T_EQ_STR(fd->name, "pipe:[777]");
	fd = proc_fd_get(w, thr, 5);
	T_CHECK(fd && fd->type == PROC_FD_IPV4_SOCK);
	T_EQ_STR(fd->name, "127.0.0.1:8080->127.0.0.2:50000");
	fd = proc_fd_get(w, thr, 6);
	T_CHECK(fd && fd->type == PROC_FD_EVENT);
	fd = proc_fd_get(w, thr, 7);
	T_CHECK(fd && fd->type == PROC_FD_UNIX_SOCK);
	T_EQ_STR(fd->name, "ffff9a0001->0 /run/app.sock");
	/* the broken ones are skipped and counted */
	T_CHECK(proc_thread_lookup(w, 50) == NULL);
	T_CHECK(proc_thread_lookup(w, 51) == NULL);
	T_CHECK(proc_thread_lookup(w, 52) == NULL);
	proc_upd_stats(t, &st);
	T_CHECK(st.procfs_errors >= 4);
	T_CHECK(st.seeded_threads == 2);
	/* a missing root */
	T_EQ_INT(proc_state_from_procfs(w, "/nonexistent/proc", NULL, NULL), -ENOENT);
	T_EQ_INT(proc_state_load_tid(w, root, 50), -EINVAL); /* no Tgid line */
	T_EQ_INT(proc_state_load_tid(w, root, 60), -ENOENT);
	proc_worker_unregister(w);
	proc_table_destroy(t);
	rm_rf(root);
}

/* The same tree as a capture's initial tables (`peregrine -w`). */
T_TEST(test_fake_tables)
{
	struct cap_tables t;
	const struct cap_proc *p = NULL;
	uint64_t skipped = 0;
	uint32_t i, nthr = 0, nfds = 0;
	char pw[300], gr[300];

	make_fake_tree();
	snprintf(pw, sizeof(pw), "%s/passwd", root);
	snprintf(gr, sizeof(gr), "%s/group", root);
	PUTS("passwd", "root:x:0:0:root:/root:/bin/bash\nalice:x:1000:100::/home/alice:/bin/sh\n");
	PUTS("group", "root:x:0:\nusers:x:100:alice\n");
	T_EQ_INT(proc_host_tables(root, pw, gr, &t, &skipped), 0);
	T_CHECK(skipped >= 4);
	for (i = 0; i < t.nprocs; i++) {
		nthr++;
		if (t.procs[i].tid == 42)
			p = &t.procs[i];
	}
	T_EQ_INT(nthr, 2);
	T_CHECK(p != NULL);
	T_EQ_INT(p->pid, 42);
	T_EQ_INT(p->ptid, 1);
	T_EQ_STR(p->comm, "my app");
	T_EQ_STR(p->exe, "/usr/bin/app");
	T_EQ_STR(p->exepath, "/usr/bin/app");
	T_EQ_INT(p->args_len, 11);
	T_EQ_STR(p->cwd, "/srv/app/");
	T_EQ_INT(p->uid, 1000);
	T_EQ_INT(p->loginuid, 1000);
	T_EQ_INT(p->vpid, 7);
	T_EQ_INT(p->cap_effective, 0x400);
	for (i = 0; i < t.nfds; i++) {
		const struct cap_fd *f = &t.fds[i];

		T_EQ_INT(f->tid, 42);
		nfds++;
		if (f->fd == 3) {
			T_EQ_INT(f->type, CAP_FD_FILE_V2);
			T_EQ_STR(f->name, "/var/log/app.log");
			T_CHECK(f->open_flags & (1u << 12)); /* PPM_O_CLOEXEC */
		} else if (f->fd == 4) {
			T_EQ_INT(f->type, CAP_FD_FIFO);
			T_EQ_INT(f->ino, 777);
		} else if (f->fd == 5) {
			T_EQ_INT(f->type, CAP_FD_IPV4_SOCK);
			T_EQ_INT(f->sport, 8080);
			T_EQ_INT(f->dport, 50000);
			T_EQ_INT(ntohl(f->sip4), 0x7f000001);
			T_EQ_INT(ntohl(f->dip4), 0x7f000002);
			T_EQ_STR(f->name, "");
		} else if (f->fd == 7) {
			T_EQ_INT(f->type, CAP_FD_UNIX_SOCK);
			T_EQ_STR(f->name, "/run/app.sock");
		}
	}
	T_EQ_INT(nfds, 5);
	T_EQ_INT(t.nusers, 2);
	T_EQ_STR(t.users[1].name, "alice");
	T_EQ_STR(t.users[1].home, "/home/alice");
	T_EQ_INT(t.ngroups, 2);
	T_EQ_STR(t.groups[1].name, "users");
	cap_tables_release(&t);
	T_EQ_INT(proc_host_tables("/nonexistent/proc", NULL, NULL, &t, NULL), -ENOENT);
	rm_rf(root);
}

/* /etc/passwd and /etc/group with NIS compat lines ("+", "-name",
 * "+@netgroup"), whose missing fields glibc leaves NULL: found by
 * fuzz_procfs (a NULL strdup'd). Every account's strings exist. */
T_TEST(test_tables_nis_accounts)
{
	struct cap_tables t;
	char pw[300], gr[300];
	bool root_seen = false;
	uint32_t i;

	snprintf(root, sizeof(root), "/tmp/pg_fakeproc_nis_%d", getpid());
	rm_rf(root);
	mkdir(root, 0755);
	snprintf(pw, sizeof(pw), "%s/passwd", root);
	snprintf(gr, sizeof(gr), "%s/group", root);
	PUTS("passwd", "root:x:0:0:root:/root:/bin/bash\n+\n-bob\n+@admins\n+alice::::::\n");
	PUTS("group", "root:x:0:\n+\n-staff\n");
	T_EQ_INT(proc_host_tables(root, pw, gr, &t, NULL), 0);
	T_CHECK(t.nusers >= 1);
	for (i = 0; i < t.nusers; i++) {
		T_CHECK(t.users[i].name && t.users[i].home && t.users[i].shell);
		if (!strcmp(t.users[i].name, "root")) {
			root_seen = true;
			T_EQ_STR(t.users[i].home, "/root");
			T_EQ_STR(t.users[i].shell, "/bin/bash");
		}
	}
	T_CHECK(root_seen);
	T_CHECK(t.ngroups >= 1);
	for (i = 0; i < t.ngroups; i++)
		T_CHECK(t.groups[i].name != NULL);
	T_EQ_STR(t.groups[0].name, "root");
	cap_tables_release(&t);
	rm_rf(root);
}

int main(void)
{
	T_RUN(test_real_proc);
	T_RUN(test_real_proc_hostile_name);
	T_RUN(test_fake_proc);
	T_RUN(test_fake_tables);
	T_RUN(test_tables_nis_accounts);
	return T_DONE();
}
