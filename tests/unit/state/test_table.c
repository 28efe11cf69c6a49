/*
 * test_table.c - the thread/process table, one operation at a time, then
 * the cross-partition interleavings the design has to survive, stepped in a
 * fixed order on two registered worker threads.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

#include "t.h"
#include "state_test_util.h"
#include "state/state_int.h" /* proc_thread_lookup_own */

static struct proc_table *new_table(uint32_t max_threads)
{
	struct proc_config cfg = {.max_threads = max_threads, .max_workers = 8, .poison = 1};

	return proc_table_new(&cfg);
}

static const char bash_args[] = "-c\0echo hi\0";
static const char bash_env[] = "HOME=/root\0PATH=/bin\0";
static const char docker_cg[] =
	"cpu=/docker/4f9b2c3d1e0a5b6c7d8e9f00112233445566778899aabbccddeeff0011223344\0"
	"memory=/docker/4f9b2c3d1e0a5b6c7d8e9f00112233445566778899aabbccddeeff0011223344\0";

T_TEST(t_clone_and_lookup)
{
	struct proc_table *t = new_table(0);
	struct proc_worker *w = proc_worker_register(t);
	struct proc_spawn s = spawn_of(100, 100, 1, 1000, "bash", "bash");
	struct proc_thread *thr, *got;
	struct proc_process *p;
	const struct proc_image *img;

	s.exepath = "/usr/bin/bash";
	s.args = bash_args;
	s.args_len = sizeof(bash_args) - 1;
	s.env = bash_env;
	s.env_len = sizeof(bash_env) - 1;
	s.cgroups = docker_cg;
	s.cgroups_len = sizeof(docker_cg) - 1;
	s.cwd = "/root";
	s.flags = PROC_SPAWN_HAVE_IDS | PROC_SPAWN_HAVE_CAPS | PROC_SPAWN_EXE_UPPER;
	s.uid = 1000;
	s.euid = 0;
	s.gid = 100;
	s.egid = 101;
	s.loginuid = 1000;
	s.sid = 90;
	s.vpgid = 91;
	s.tty = 34816;
	s.cap_effective = 0x1f;
	s.cap_permitted = 0x3f;
	s.exe_ino = 77;
	T_EQ_INT(proc_thread_clone(w, &s, &thr), 0);
	got = proc_thread_lookup(w, 100);
	T_CHECK(got == thr);
	T_CHECK(proc_thread_lookup(w, 101) == NULL);
	p = proc_thread_process(got);
	T_EQ_INT(proc_process_tgid(p), 100);
	T_EQ_INT(proc_process_ptid(p), 1);
	T_EQ_INT(proc_process_uid(p), 1000);
	T_EQ_INT(proc_process_euid(p), 0);
	T_EQ_INT(proc_process_gid(p), 100);
	T_EQ_INT(proc_process_egid(p), 101);
	T_EQ_INT(proc_process_loginuid(p), 1000);
	T_EQ_INT(proc_process_sid(p), 90);
	T_EQ_INT(proc_process_vpgid(p), 91);
	T_EQ_INT(proc_process_tty(p), 34816);
	T_EQ_INT(proc_process_clone_ts(p), 1000);
	T_EQ_STR(proc_process_cwd(p), "/root");
	img = proc_process_image(p);
	T_EQ_INT(img->magic, PROC_IMAGE_MAGIC);
	T_EQ_STR(img->comm, "bash");
	T_EQ_STR(img->exe, "bash");
	T_EQ_STR(img->exepath, "/usr/bin/bash");
	T_EQ_INT(img->args_len, sizeof(bash_args) - 1);
	T_EQ_STR(img->args, "-c");
	T_EQ_STR(img->args + 3, "echo hi");
	T_EQ_INT(img->env_len, sizeof(bash_env) - 1);
	T_EQ_STR(img->container_id, "4f9b2c3d1e0a");
	T_EQ_INT(img->container_type, PROC_CT_DOCKER);
	T_CHECK(img->flags & PROC_IMG_SHELL);
	T_CHECK(img->flags & PROC_IMG_CONTAINER_SHELL);
	T_CHECK(img->flags & PROC_IMG_EXE_UPPER);
	T_CHECK(!(img->flags & PROC_IMG_LOGIN_SHELL));
	T_EQ_INT(img->cap_effective, 0x1f);
	T_EQ_INT(img->cap_permitted, 0x3f);
	T_EQ_INT(img->exe_ino, 77);
	proc_worker_unregister(w);
	proc_table_destroy(t);
}

T_TEST(t_thread_clone_shares_process)
{
	struct proc_table *t = new_table(0);
	struct proc_worker *w = proc_worker_register(t);
	struct proc_spawn s = spawn_of(100, 100, 1, 10, "java", "java");
	struct proc_thread *lead, *thr;
	struct proc_stats st;

	T_EQ_INT(proc_thread_clone(w, &s, &lead), 0);
	s = spawn_of(101, 100, 100, 20, NULL, NULL);
	s.flags = PROC_SPAWN_THREAD;
	T_EQ_INT(proc_thread_clone(w, &s, &thr), 0);
	T_CHECK(proc_thread_process(thr) == proc_thread_process(lead));
	T_EQ_INT(proc_thread_tid(thr), 101);
	T_EQ_STR(proc_process_image(proc_thread_process(thr))->comm, "java");
	/* a thread exit leaves the process */
	T_EQ_INT(proc_thread_exit(w, 101, 100, 30), 0);
	proc_worker_quiescent(w);
	T_CHECK(proc_thread_lookup(w, 101) == NULL);
	T_CHECK(proc_thread_lookup(w, 100) == lead);
	proc_table_stats(t, &st);
	T_EQ_INT(st.live_threads, 1);
	T_EQ_INT(st.processes_created, 1);
	T_EQ_INT(st.processes_freed, 0);
	proc_worker_unregister(w);
	proc_table_destroy(t);
}

T_TEST(t_exec_copy_on_write)
{
	struct proc_table *t = new_table(0);
	struct proc_worker *w = proc_worker_register(t);
	struct proc_spawn s = spawn_of(100, 100, 1, 10, "bash", "/bin/bash");
	struct proc_fd_info fi = {.fd = 3, .type = PROC_FD_FILE, .flags = O_CLOEXEC, .name = "/a"};
	struct proc_thread *thr;
	const struct proc_image *old, *img;
	static const char args[] = "-la\0/tmp\0";

	s.cgroups = docker_cg;
	s.cgroups_len = sizeof(docker_cg) - 1;
	s.flags = PROC_SPAWN_HAVE_CAPS;
	s.cap_effective = 5;
	T_EQ_INT(proc_thread_clone(w, &s, &thr), 0);
	T_EQ_INT(proc_fd_add(w, thr, &fi), 0);
	fi = (struct proc_fd_info){.fd = 4, .type = PROC_FD_FILE, .name = "/b"};
	T_EQ_INT(proc_fd_add(w, thr, &fi), 0);
	old = proc_process_image(proc_thread_process(thr));
	s = spawn_of(100, 100, 1, 50, "ls", "ls");
	s.exepath = "/usr/bin/ls";
	s.args = args;
	s.args_len = sizeof(args) - 1;
	T_EQ_INT(proc_thread_exec(w, &s, &thr), 0);
	img = proc_process_image(proc_thread_process(thr));
	T_CHECK(img != old);
	/* the old image is still intact until our quiescent state */
	T_EQ_INT(old->magic, PROC_IMAGE_MAGIC);
	T_EQ_STR(old->comm, "bash");
	T_EQ_STR(img->comm, "ls");
	T_EQ_STR(img->exepath, "/usr/bin/ls");
	T_EQ_STR(img->args + 4, "/tmp");
	T_EQ_STR(img->container_id, "4f9b2c3d1e0a"); /* cgroups survive exec */
	T_EQ_INT(img->cap_effective, 5);	       /* caps not reported: kept */
	T_EQ_INT(proc_process_clone_ts(proc_thread_process(thr)), 10);
	T_CHECK(proc_fd_get(w, thr, 3) == NULL); /* close-on-exec */
	T_CHECK(proc_fd_get(w, thr, 4) != NULL);
	proc_worker_quiescent(w);
	proc_worker_unregister(w);
	proc_table_destroy(t);
}

T_TEST(t_exit_tomb_and_reparent)
{
	struct proc_table *t = new_table(0);
	struct proc_worker *w = proc_worker_register(t);
	struct proc_spawn s = spawn_of(1, 1, 0, 1, "systemd", "/sbin/init");
	struct proc_thread *child;
	struct proc_process *anc[8], *cp;
	struct proc_stats st;

	T_EQ_INT(proc_thread_clone(w, &s, NULL), 0);
	s = spawn_of(200, 200, 1, 10, "sshd", "/usr/sbin/sshd");
	T_EQ_INT(proc_thread_clone(w, &s, NULL), 0);
	s = spawn_of(201, 201, 200, 20, "bash", "-bash");
	T_EQ_INT(proc_thread_clone(w, &s, &child), 0);
	cp = proc_thread_process(child);
	T_CHECK(proc_process_image(cp)->flags & PROC_IMG_LOGIN_SHELL);
	T_EQ_INT(proc_process_ancestors(w, cp, anc, 8), 2);
	T_EQ_STR(proc_process_image(anc[0])->comm, "sshd");
	T_EQ_STR(proc_process_image(anc[1])->comm, "systemd");

	T_EQ_INT(proc_thread_exit(w, 200, 1, 30), 0);
	T_EQ_INT(proc_thread_exit(w, 200, 1, 30), -EALREADY);
	/* during its exit event the parent is still there */
	T_CHECK(proc_thread_lookup(w, 200) != NULL);
	T_EQ_INT(proc_thread_state(proc_thread_lookup(w, 200)), PROC_EXITING);
	T_EQ_INT(proc_process_ancestors(w, cp, anc, 8), 2);
	proc_worker_quiescent(w);
	T_CHECK(proc_thread_lookup(w, 200) == NULL);
	/* re-parented to the reaper lazily; we own the child so ptid settles */
	T_EQ_INT(proc_process_ancestors(w, cp, anc, 8), 1);
	T_EQ_STR(proc_process_image(anc[0])->comm, "systemd");
	T_EQ_INT(proc_process_ptid(cp), 1);
	proc_table_stats(t, &st);
	T_EQ_INT(st.reparents_settled, 1);
	T_EQ_INT(st.exits, 1);
	T_EQ_INT(st.threads_removed, 1);
	T_EQ_INT(st.tombs, 1);
	T_EQ_INT(st.live_threads, 2);
	proc_worker_unregister(w);
	proc_table_destroy(t);
}

T_TEST(t_setters)
{
	struct proc_table *t = new_table(0);
	struct proc_worker *w = proc_worker_register(t);
	struct proc_spawn s = spawn_of(100, 100, 1, 10, "bash", "bash");
	struct proc_thread *thr;
	struct proc_process *p;
	const char *oldcwd;

	s.cwd = "/";
	T_EQ_INT(proc_thread_clone(w, &s, &thr), 0);
	p = proc_thread_process(thr);
	oldcwd = proc_process_cwd(p);
	T_EQ_INT(proc_set_uids(w, thr, 33, 0), 0);
	T_EQ_INT(proc_set_gids(w, thr, 44, 45), 0);
	T_EQ_INT(proc_set_loginuid(w, thr, 1000), 0);
	T_EQ_INT(proc_set_sid(w, thr, 7, 8), 0);
	T_EQ_INT(proc_set_tty(w, thr, 9), 0);
	T_EQ_INT(proc_set_cwd(w, thr, "/var/www"), 0);
	T_EQ_INT(proc_set_comm(w, thr, "a-very-long-thread-name"), 0);
	T_EQ_INT(proc_set_caps(w, thr, 1, 2, 3), 0);
	T_EQ_INT(proc_process_uid(p), 33);
	T_EQ_INT(proc_process_euid(p), 0);
	T_EQ_INT(proc_process_gid(p), 44);
	T_EQ_INT(proc_process_egid(p), 45);
	T_EQ_INT(proc_process_loginuid(p), 1000);
	T_EQ_INT(proc_process_sid(p), 7);
	T_EQ_INT(proc_process_vpgid(p), 8);
	T_EQ_INT(proc_process_tty(p), 9);
	T_EQ_STR(proc_process_cwd(p), "/var/www");
	T_EQ_STR(oldcwd, "/"); /* the old string lives until quiescence */
	T_EQ_STR(proc_process_image(p)->comm, "a-very-long-thr");
	T_EQ_STR(proc_process_image(p)->exe, "bash");
	T_EQ_INT(proc_process_image(p)->cap_inheritable, 3);
	proc_worker_unregister(w);
	proc_table_destroy(t);
}

T_TEST(t_fd_table)
{
	struct proc_table *t = new_table(0);
	struct proc_worker *w = proc_worker_register(t);
	struct proc_spawn s = spawn_of(100, 100, 1, 10, "nginx", "nginx");
	struct proc_sock sk = {.family = 2, .l4proto = 6, .sport = 80, .dport = 5555};
	struct proc_fd_info fi = {.fd = 5, .type = PROC_FD_FILE, .name = "/etc/nginx/nginx.conf"};
	struct proc_thread *thr;
	const struct proc_fd *fd;
	int i;

	T_EQ_INT(proc_thread_clone(w, &s, &thr), 0);
	T_EQ_INT(proc_fd_add(w, thr, &fi), 0);
	fd = proc_fd_get(w, thr, 5);
	T_CHECK(fd != NULL);
	T_EQ_STR(fd->name, "/etc/nginx/nginx.conf");
	T_EQ_INT(fd->dir_len, strlen("/etc/nginx/"));
	T_EQ_STR(fd->name + fd->dir_len, "nginx.conf");
	fi = (struct proc_fd_info){.fd = 6, .type = PROC_FD_IPV4_SOCK, .sock = &sk};
	T_EQ_INT(proc_fd_add(w, thr, &fi), 0);
	T_EQ_INT(proc_fd_dup(w, thr, 6, 1), 0);
	fd = proc_fd_get(w, thr, 1);
	T_CHECK(fd != NULL);
	T_EQ_INT(fd->type, PROC_FD_IPV4_SOCK);
	T_EQ_INT(fd->sock.dport, 5555);
	T_EQ_INT(proc_fd_count(w, thr), 3);
	T_EQ_INT(proc_fd_remove(w, thr, 5), 0);
	T_EQ_INT(proc_fd_remove(w, thr, 5), -ENOENT);
	T_EQ_INT(proc_fd_dup(w, thr, 5, 7), -ENOENT);
	/* growth and shrinking keep every entry reachable */
	for (i = 10; i < 1000; i++) {
		fi = (struct proc_fd_info){.fd = i, .type = PROC_FD_PIPE, .name = "pipe:[1]"};
		T_EQ_INT(proc_fd_add(w, thr, &fi), 0);
	}
	for (i = 10; i < 990; i++)
		T_EQ_INT(proc_fd_remove(w, thr, i), 0);
	T_EQ_INT(proc_fd_count(w, thr), 12);
	T_CHECK(proc_fd_get(w, thr, 995) != NULL);
	T_CHECK(proc_fd_get(w, thr, 6) != NULL);
	T_EQ_STR(proc_fd_get(w, thr, 995)->name, "pipe:[1]");
	T_EQ_INT(proc_fd_get(w, thr, 995)->dir_len, 0);
	proc_worker_unregister(w);
	proc_table_destroy(t);
}

static int fd_sum(const struct proc_fd *fd, void *arg)
{
	*(int64_t *)arg += fd->fd;
	return 0;
}

/* fds below PROC_FD_DENSE_MAX are indexed directly, the others hashed: both
 * parts answer lookups, removals, dups and walks, and a dense part grown
 * by one high fd comes back down once that fd is closed. */
T_TEST(t_fd_table_dense_and_sparse)
{
	struct proc_table *t = new_table(0);
	struct proc_worker *w = proc_worker_register(t);
	struct proc_spawn s = spawn_of(100, 100, 1, 10, "bash", "bash");
	const int64_t fds[] = {0, 1, 2, 255, 32767, 32768, 1000000, -5};
	int64_t sum = 0, want = 0;
	struct proc_fd_info fi;
	struct proc_thread *thr;
	size_t i;

	T_EQ_INT(proc_thread_clone(w, &s, &thr), 0);
	for (i = 0; i < sizeof(fds) / sizeof(fds[0]); i++) {
		fi = (struct proc_fd_info){.fd = fds[i], .type = PROC_FD_FILE, .name = "/tmp/x"};
		T_EQ_INT(proc_fd_add(w, thr, &fi), 0);
		want += fds[i];
	}
	T_EQ_INT(proc_fd_count(w, thr), 8);
	for (i = 0; i < sizeof(fds) / sizeof(fds[0]); i++) {
		T_CHECK(proc_fd_get(w, thr, fds[i]) != NULL);
		T_EQ_INT(proc_fd_get(w, thr, fds[i])->fd, fds[i]);
	}
	T_CHECK(proc_fd_get(w, thr, 3) == NULL);
	T_CHECK(proc_fd_get(w, thr, 32766) == NULL);
	T_CHECK(proc_fd_get(w, thr, 1000001) == NULL);
	T_EQ_INT(proc_fd_foreach(w, thr, fd_sum, &sum), 0);
	T_EQ_INT(sum, want);
	/* a dup between the parts, and a replacing open */
	T_EQ_INT(proc_fd_dup(w, thr, 1000000, 7), 0);
	T_EQ_INT(proc_fd_dup(w, thr, 7, 2000000), 0);
	T_EQ_INT(proc_fd_count(w, thr), 10);
	fi = (struct proc_fd_info){.fd = 2000000, .type = PROC_FD_PIPE, .name = "pipe:[9]"};
	T_EQ_INT(proc_fd_add(w, thr, &fi), 0);
	T_EQ_INT(proc_fd_count(w, thr), 10);
	T_EQ_STR(proc_fd_get(w, thr, 2000000)->name, "pipe:[9]");
	/* close the high ones: what is left stays reachable */
	T_EQ_INT(proc_fd_remove(w, thr, 32767), 0);
	T_EQ_INT(proc_fd_remove(w, thr, 32768), 0);
	T_EQ_INT(proc_fd_remove(w, thr, 1000000), 0);
	T_EQ_INT(proc_fd_remove(w, thr, 1000000), -ENOENT);
	T_EQ_INT(proc_fd_remove(w, thr, -5), 0);
	T_EQ_INT(proc_fd_count(w, thr), 6);
	T_CHECK(proc_fd_get(w, thr, 255) != NULL);
	T_CHECK(proc_fd_get(w, thr, 7) != NULL);
	T_CHECK(proc_fd_get(w, thr, 2000000) != NULL);
	T_CHECK(proc_fd_get(w, thr, 32767) == NULL);
	sum = 0;
	T_EQ_INT(proc_fd_foreach(w, thr, fd_sum, &sum), 0);
	T_EQ_INT(sum, 0 + 1 + 2 + 255 + 7 + 2000000);
	/* reopening a closed high fd grows the dense part again */
	fi = (struct proc_fd_info){.fd = 32000, .type = PROC_FD_FILE, .name = "/a"};
	T_EQ_INT(proc_fd_add(w, thr, &fi), 0);
	T_EQ_STR(proc_fd_get(w, thr, 32000)->name, "/a");
	proc_worker_unregister(w);
	proc_table_destroy(t);
}

T_TEST(t_table_full_is_counted)
{
	struct proc_table *t = new_table(4);
	struct proc_worker *w = proc_worker_register(t);
	struct proc_spawn s;
	struct proc_stats st;
	uint64_t tid;

	for (tid = 10; tid < 14; tid++) {
		s = spawn_of(tid, tid, 1, tid, "x", "x");
		T_EQ_INT(proc_thread_clone(w, &s, NULL), 0);
	}
	s = spawn_of(14, 14, 1, 14, "x", "x");
	T_EQ_INT(proc_thread_clone(w, &s, NULL), -ENOSPC);
	T_CHECK(proc_thread_get_or_placeholder(w, 15, 15, 15) == NULL);
	T_EQ_INT(errno, ENOSPC);
	proc_table_stats(t, &st);
	T_EQ_INT(st.table_full, 2);
	T_EQ_INT(st.live_threads, 4);
	T_EQ_INT(proc_thread_exit(w, 10, 1, 20), 0);
	proc_worker_quiescent(w);
	T_EQ_INT(proc_thread_clone(w, &s, NULL), 0);
	proc_worker_unregister(w);
	proc_table_destroy(t);
}

T_TEST(t_purge_and_tomb_expiry)
{
	struct proc_config cfg = {.purge_idle_ns = 100, .tomb_ttl_ns = 1000, .poison = 1};
	struct proc_table *t = proc_table_new(&cfg);
	struct proc_worker *w = proc_worker_register(t);
	struct proc_thread *thr;
	struct proc_spawn s;
	struct proc_stats st;
	uint64_t tid;

	for (tid = 10; tid < 20; tid++) {
		s = spawn_of(tid, tid, 1, 10, "x", "x");
		T_EQ_INT(proc_thread_clone(w, &s, &thr), 0);
		if (tid >= 15)
			proc_thread_touch(w, thr, 500);
	}
	/* at 300, 10..14 (last seen at 10) are idle, 15..19 are not */
	T_EQ_INT(proc_worker_purge(w, 300, 100), 5);
	T_CHECK(proc_thread_lookup(w, 12) == NULL);
	T_CHECK(proc_thread_lookup(w, 17) != NULL);
	proc_table_stats(t, &st);
	T_EQ_INT(st.purged, 5);
	T_EQ_INT(st.tombs, 5);
	T_EQ_INT(st.live_threads, 5);
	/* tombs of 300 expire at 1300 */
	T_EQ_INT(proc_worker_purge(w, 1299, 0), 0);
	proc_table_stats(t, &st);
	T_EQ_INT(st.tombs, 5);
	T_EQ_INT(proc_worker_purge(w, 1300, 0), 0);
	proc_table_stats(t, &st);
	T_EQ_INT(st.tombs, 0);
	T_EQ_INT(st.tombs_expired, 5);
	proc_worker_unregister(w);
	proc_table_destroy(t);
}

T_TEST(t_placeholder_filled)
{
	struct proc_table *t = new_table(0);
	struct proc_worker *w = proc_worker_register(t);
	struct proc_thread *ph, *thr;
	struct proc_spawn s;

	ph = proc_thread_get_or_placeholder(w, 301, 300, 5);
	T_CHECK(ph != NULL);
	T_CHECK(proc_thread_is_placeholder(ph));
	T_CHECK(proc_process_image(proc_thread_process(ph))->flags & PROC_IMG_PLACEHOLDER);
	T_CHECK(proc_thread_lookup(w, 300) != NULL); /* its group leader too */
	T_CHECK(proc_thread_get_or_placeholder(w, 301, 300, 6) == ph);
	s = spawn_of(300, 300, 1, 1, "redis", "redis-server");
	T_EQ_INT(proc_thread_clone(w, &s, &thr), 0);
	T_CHECK(thr == proc_thread_lookup(w, 300));
	T_CHECK(!proc_thread_is_placeholder(thr));
	/* the placeholder thread 301 shares the now-filled process */
	T_EQ_STR(proc_process_image(proc_thread_process(ph))->comm, "redis");
	T_EQ_INT(proc_process_clone_ts(proc_thread_process(ph)), 1);
	proc_worker_unregister(w);
	proc_table_destroy(t);
}

T_TEST(t_ancestor_walk_is_loop_safe_and_checks_reuse)
{
	struct proc_table *t = new_table(0);
	struct proc_worker *w = proc_worker_register(t);
	struct proc_process *anc[PROC_ANCESTORS_MAX];
	struct proc_thread *a, *c;
	struct proc_spawn s;

	/* 400 and 401 name each other (no start times to tell): the walk ends */
	s = spawn_of(400, 400, 401, 0, "a", "a");
	T_EQ_INT(proc_thread_clone(w, &s, &a), 0);
	s = spawn_of(401, 401, 400, 0, "b", "b");
	T_EQ_INT(proc_thread_clone(w, &s, NULL), 0);
	T_EQ_INT(proc_process_ancestors(w, proc_thread_process(a), anc, PROC_ANCESTORS_MAX), 1);
	/* 501 started at 100 names 500, but 500 started at 200: a reused tid */
	s = spawn_of(500, 500, 1, 200, "new", "new");
	T_EQ_INT(proc_thread_clone(w, &s, NULL), 0);
	s = spawn_of(501, 501, 500, 100, "old", "old");
	T_EQ_INT(proc_thread_clone(w, &s, &c), 0);
	T_CHECK(proc_process_parent(w, proc_thread_process(c)) == NULL);
	proc_worker_unregister(w);
	proc_table_destroy(t);
}

T_TEST(t_clone_replaces_stale_tid)
{
	struct proc_table *t = new_table(0);
	struct proc_worker *w = proc_worker_register(t);
	struct proc_thread *a, *b;
	struct proc_spawn s;
	struct proc_stats st;

	s = spawn_of(600, 600, 1, 10, "old", "old");
	T_EQ_INT(proc_thread_clone(w, &s, &a), 0);
	/* the same clone reported twice keeps the record */
	T_EQ_INT(proc_thread_clone(w, &s, &b), 0);
	T_CHECK(a == b);
	/* a newer clone of the same tid: the exit was missed */
	s = spawn_of(600, 600, 1, 20, "new", "new");
	T_EQ_INT(proc_thread_clone(w, &s, &b), 0);
	T_CHECK(a != b);
	T_EQ_STR(proc_process_image(proc_thread_process(proc_thread_lookup(w, 600)))->comm, "new");
	proc_table_stats(t, &st);
	T_EQ_INT(st.tid_collisions, 1);
	T_EQ_INT(st.live_threads, 1);
	proc_worker_unregister(w);
	proc_table_destroy(t);
}

/* ---- users and groups ---------------------------------------------------- */

T_TEST(t_users_and_groups)
{
	struct proc_table *t = new_table(0);
	struct proc_worker *w;
	char pw[] = "/tmp/pg_state_passwd_XXXXXX", gr[] = "/tmp/pg_state_group_XXXXXX";
	int fp = mkstemp(pw), fg = mkstemp(gr);
	struct proc_user u = {.uid = 5000, .gid = 5000, .name = "cap", .home = "/h", .shell = "/s"};
	const struct proc_user *got;

	T_CHECK(fp >= 0 && fg >= 0);
	dprintf(fp, "root:x:0:0:root:/root:/bin/bash\n# c\nwww-data:x:33:33:www:/var/www:"
		    "/usr/sbin/nologin\n");
	dprintf(fg, "root:x:0:\nadm:x:4:syslog,alice\n");
	close(fp);
	close(fg);
	T_EQ_INT(proc_users_load(t, pw, gr), 0);
	unlink(pw);
	unlink(gr);
	w = proc_worker_register(t);
	got = proc_user_lookup(w, 33);
	T_CHECK(got != NULL);
	T_EQ_STR(got->name, "www-data");
	T_EQ_STR(got->home, "/var/www");
	T_EQ_STR(got->shell, "/usr/sbin/nologin");
	T_EQ_STR(proc_user_lookup(w, 0)->name, "root");
	T_CHECK(proc_user_lookup(w, 1234) == NULL);
	T_EQ_STR(proc_group_lookup(w, 4)->name, "adm");
	T_CHECK(proc_group_lookup(w, 5) == NULL);
	T_EQ_INT(proc_users_add(t, &u, 1), 0);
	T_EQ_STR(proc_user_lookup(w, 5000)->name, "cap");
	T_EQ_STR(proc_user_lookup(w, 33)->name, "www-data"); /* kept across snapshots */
	T_EQ_INT(proc_users_load(t, "/nonexistent/passwd", NULL), -ENOENT);
	proc_worker_unregister(w);
	proc_table_destroy(t);
}

/* ---- cross-partition interleavings (two workers, fixed order) ------------ */

struct xres {
	uint64_t tid, tgid, ptid, ts, reaper;
	const char *comm;
	int rc;
	unsigned n;
	char names[4][PROC_COMM_MAX];
	uint64_t ptid_seen;
	struct proc_process *held;
	const struct proc_image *held_img;
	uint32_t magic;
	char held_comm[PROC_COMM_MAX];
	int state, found;
	struct proc_thread *thr;
};

static void x_clone(struct proc_worker *w, void *arg)
{
	struct xres *r = arg;
	struct proc_spawn s = spawn_of(r->tid, r->tgid, r->ptid, r->ts, r->comm, r->comm);

	if (r->tid != r->tgid)
		s.flags |= PROC_SPAWN_THREAD;
	r->rc = proc_thread_clone(w, &s, NULL);
}

static void x_exit(struct proc_worker *w, void *arg)
{
	struct xres *r = arg;

	r->rc = proc_thread_exit(w, r->tid, r->reaper, r->ts);
}

/* Walk r->tid's ancestry and copy what was seen. */
static void x_walk(struct proc_worker *w, void *arg)
{
	struct xres *r = arg;
	struct proc_thread *thr = proc_thread_lookup(w, r->tid);
	struct proc_process *anc[4];
	unsigned i;

	r->n = 0;
	memset(r->names, 0, sizeof(r->names));
	if (!thr)
		return;
	r->n = proc_process_ancestors(w, proc_thread_process(thr), anc, 4);
	for (i = 0; i < r->n; i++)
		memcpy(r->names[i], proc_process_image(anc[i])->comm, PROC_COMM_MAX);
	r->ptid_seen = proc_process_ptid(proc_thread_process(thr));
	if (r->n) {
		r->held = anc[0];
		r->held_img = proc_process_image(anc[0]);
	}
}

/* Re-read what the last walk held, without passing a quiescent state. */
static void x_reread(struct proc_worker *w, void *arg)
{
	struct xres *r = arg;

	(void)w;
	r->magic = r->held_img->magic;
	memcpy(r->held_comm, r->held_img->comm, PROC_COMM_MAX);
	r->ptid_seen = proc_process_ptid(r->held);
}

/* (1) A child's clone is processed before its parent's. */
T_TEST(t_x_child_before_parent)
{
	struct proc_table *t = new_table(0);
	struct stepper a, b;
	struct xres ra = {0}, rb = {0};

	stepper_start(&a, t);
	stepper_start(&b, t);
	rb = (struct xres){.tid = 601, .tgid = 601, .ptid = 600, .ts = 20, .comm = "curl"};
	step(&b, x_clone, &rb);
	T_EQ_INT(rb.rc, 0);
	step(&b, x_walk, &rb);
	T_EQ_INT(rb.n, 0);	      /* parent unknown yet */
	T_EQ_INT(rb.ptid_seen, 600); /* but proc.ppid is known */
	ra = (struct xres){.tid = 600, .tgid = 600, .ptid = 1, .ts = 10, .comm = "sshd"};
	step(&a, x_clone, &ra);
	ra = (struct xres){.tid = 1, .tgid = 1, .ptid = 0, .ts = 1, .comm = "systemd"};
	step(&a, x_clone, &ra);
	step(&b, x_walk, &rb);
	T_EQ_INT(rb.n, 2);
	T_EQ_STR(rb.names[0], "sshd");
	T_EQ_STR(rb.names[1], "systemd");
	printf("# child-before-parent: 601 ptid=%" PRIu64 " ancestors=[%s,%s]\n", rb.ptid_seen,
	       rb.names[0], rb.names[1]);
	stepper_stop(&a);
	stepper_stop(&b);
	proc_table_destroy(t);
}

/* (2) A parent exits (and is reclaimed) while another worker walks through it. */
T_TEST(t_x_parent_exits_during_walk)
{
	struct proc_table *t = new_table(0);
	struct stepper a, b;
	struct xres ra, rb = {0};
	struct proc_stats st;

	stepper_start(&a, t);
	stepper_start(&b, t);
	ra = (struct xres){.tid = 1, .tgid = 1, .ts = 1, .comm = "systemd"};
	step(&a, x_clone, &ra);
	ra = (struct xres){.tid = 700, .tgid = 700, .ptid = 1, .ts = 10, .comm = "sshd"};
	step(&a, x_clone, &ra);
	rb = (struct xres){.tid = 701, .tgid = 701, .ptid = 700, .ts = 20, .comm = "bash"};
	step(&b, x_clone, &rb);
	step(&b, x_walk, &rb); /* b now holds 700's process and image */
	T_EQ_INT(rb.n, 2);
	T_EQ_STR(rb.names[0], "sshd");

	ra = (struct xres){.tid = 700, .reaper = 1, .ts = 30};
	step(&a, x_exit, &ra);
	T_EQ_INT(ra.rc, 0);
	step(&a, step_quiescent, NULL); /* 700 -> tomb, its process retired */
	usleep(20000);			/* give call_rcu every chance to free too early */
	step(&b, x_reread, &rb);
	T_EQ_INT(rb.magic, PROC_IMAGE_MAGIC); /* not freed: b has not been quiescent */
	T_EQ_STR(rb.held_comm, "sshd");
	T_EQ_INT(rb.ptid_seen, 1);
	proc_table_stats(t, &st);
	T_EQ_INT(st.processes_freed, 1);

	step(&b, step_quiescent, NULL); /* b lets go; the grace period can end */
	step(&b, x_walk, &rb);
	T_EQ_INT(rb.n, 1); /* re-parented to the reaper, through 700's tomb */
	T_EQ_STR(rb.names[0], "systemd");
	T_EQ_INT(rb.ptid_seen, 1); /* b owns 701 and settled its ptid */
	printf("# parent-exit-during-walk: before exit [sshd,systemd], after [%s], ptid=%" PRIu64
	       "\n",
	       rb.names[0], rb.ptid_seen);
	stepper_stop(&a);
	stepper_stop(&b);
	proc_table_destroy(t);
}

static void x_exec_nonleader(struct proc_worker *w, void *arg)
{
	struct xres *r = arg;
	struct proc_spawn s = spawn_of(801, 800, 1, 40, "python3", "/usr/bin/python3");

	r->rc = proc_thread_exec(w, &s, &r->thr);
}

static void x_look(struct proc_worker *w, void *arg)
{
	struct xres *r = arg;
	struct proc_thread *thr = proc_thread_lookup(w, r->tid);

	r->found = thr != NULL;
	r->state = thr ? (int)proc_thread_state(thr) : -1;
	r->held_comm[0] = '\0';
	if (thr && proc_thread_process(thr)) {
		r->held = proc_thread_process(thr);
		memcpy(r->held_comm, proc_process_image(r->held)->comm, PROC_COMM_MAX);
		r->tgid = proc_process_tgid(r->held);
	}
}

/* (3) A non-leader thread execs: its process keeps one thread, tid == tgid. */
T_TEST(t_x_nonleader_exec)
{
	struct proc_table *t = new_table(0);
	struct stepper a, b;
	struct xres ra, rb = {0};

	stepper_start(&a, t);
	stepper_start(&b, t);
	ra = (struct xres){.tid = 800, .tgid = 800, .ptid = 1, .ts = 10, .comm = "bash"};
	step(&a, x_clone, &ra);
	ra = (struct xres){.tid = 801, .tgid = 800, .ptid = 1, .ts = 20, .comm = "bash"};
	step(&a, x_clone, &ra);
	T_EQ_INT(ra.rc, 0);
	rb.tid = 801;
	step(&b, x_look, &rb); /* b reads 801 */
	T_EQ_STR(rb.held_comm, "bash");
	step(&a, x_exec_nonleader, &ra);
	T_EQ_INT(ra.rc, 0);
	T_EQ_INT(proc_thread_tid(ra.thr), 800);
	step(&b, x_look, &rb); /* during the exec event: 801 is exiting */
	T_EQ_INT(rb.state, PROC_EXITING);
	T_EQ_STR(rb.held_comm, "python3");
	step(&a, step_quiescent, NULL);
	step(&b, x_look, &rb);
	T_EQ_INT(rb.found, 0); /* 801 is gone */
	rb.tid = 800;
	step(&b, x_look, &rb);
	T_EQ_INT(rb.found, 1);
	T_EQ_INT(rb.state, PROC_LIVE);
	T_EQ_INT(rb.tgid, 800);
	T_EQ_STR(rb.held_comm, "python3");
	printf("# nonleader-exec: 801 gone, 800 live tgid=%" PRIu64 " comm=%s\n", rb.tgid,
	       rb.held_comm);
	stepper_stop(&a);
	stepper_stop(&b);
	proc_table_destroy(t);
}

static void x_foreign_exit(struct proc_worker *w, void *arg)
{
	struct xres *r = arg;

	r->rc = proc_thread_exit(w, r->tid, 1, 5);
}

T_TEST(t_x_foreign_write_refused)
{
	struct proc_table *t = new_table(0);
	struct stepper a, b;
	struct xres ra = {.tid = 900, .tgid = 900, .ptid = 1, .ts = 1, .comm = "x"}, rb = {0};
	struct proc_stats st;

	stepper_start(&a, t);
	stepper_start(&b, t);
	step(&a, x_clone, &ra);
	rb.tid = 900;
	step(&b, x_foreign_exit, &rb);
	T_EQ_INT(rb.rc, -EPERM);
	stepper_stop(&a);
	stepper_stop(&b);
	proc_table_stats(t, &st);
	T_EQ_INT(st.foreign_writes, 1);
	proc_table_destroy(t);
}

/* Past a quiescent state, the worker's own thread of r->tid as an event
 * of it finds it (proc_thread_lookup_own), and its comm. */
static void x_own(struct proc_worker *w, void *arg)
{
	struct xres *r = arg;

	proc_worker_quiescent(w);
	r->thr = proc_thread_lookup_own(w, r->tid);
	r->found = r->thr != NULL;
	memset(r->held_comm, 0, PROC_COMM_MAX);
	if (r->thr)
		memcpy(r->held_comm, proc_process_image(proc_thread_process(r->thr))->comm,
		       PROC_COMM_MAX);
}

/* (5) A worker remembers its own threads across quiescent states; what it
 * remembers gives way when another worker takes the tid over (a missed
 * exit, the tid reused in another partition) and when the thread exits. */
T_TEST(t_x_own_cache)
{
	struct proc_table *t = new_table(0);
	struct stepper a, b;
	struct xres ra = {.tid = 700, .tgid = 700, .ptid = 1, .ts = 10, .comm = "old"};
	struct xres rb = {.tid = 700, .tgid = 700, .ptid = 1, .ts = 20, .comm = "new"};
	struct proc_thread *first;

	stepper_start(&a, t);
	stepper_start(&b, t);
	step(&a, x_clone, &ra);
	step(&a, x_own, &ra);
	T_CHECK(ra.found);
	T_EQ_STR(ra.held_comm, "old");
	first = ra.thr;
	step(&a, x_own, &ra); /* another quiescent state: the same record */
	T_CHECK(ra.thr == first);
	step(&b, x_clone, &rb); /* b's 700 replaces a's in the index */
	T_EQ_INT(rb.rc, 0);
	step(&a, x_own, &ra);
	T_CHECK(ra.found);
	T_EQ_STR(ra.held_comm, "new");
	T_CHECK(ra.thr != first);
	/* an exited own thread: gone once entombed */
	ra = (struct xres){.tid = 701, .tgid = 701, .ptid = 1, .ts = 30, .comm = "short"};
	step(&a, x_clone, &ra);
	step(&a, x_own, &ra);
	T_CHECK(ra.found);
	ra.reaper = 1;
	ra.ts = 40;
	step(&a, x_exit, &ra);
	T_EQ_INT(ra.rc, 0);
	step(&a, x_own, &ra);
	T_CHECK(!ra.found);
	stepper_stop(&a);
	stepper_stop(&b);
	proc_table_destroy(t);
}

int main(void)
{
	T_RUN(t_clone_and_lookup);
	T_RUN(t_thread_clone_shares_process);
	T_RUN(t_exec_copy_on_write);
	T_RUN(t_exit_tomb_and_reparent);
	T_RUN(t_setters);
	T_RUN(t_fd_table);
	T_RUN(t_fd_table_dense_and_sparse);
	T_RUN(t_table_full_is_counted);
	T_RUN(t_purge_and_tomb_expiry);
	T_RUN(t_placeholder_filled);
	T_RUN(t_ancestor_walk_is_loop_safe_and_checks_reuse);
	T_RUN(t_clone_replaces_stale_tid);
	T_RUN(t_users_and_groups);
	T_RUN(t_x_child_before_parent);
	T_RUN(t_x_parent_exits_during_walk);
	T_RUN(t_x_nonleader_exec);
	T_RUN(t_x_foreign_write_refused);
	T_RUN(t_x_own_cache);
	return T_DONE();
}
