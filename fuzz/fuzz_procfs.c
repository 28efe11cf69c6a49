/*
 * fuzz_procfs.c - libFuzzer harness for what live mode reads from /proc and
 * /etc at start-up: a process's stat, status, comm, cmdline, environ,
 * cgroup, loginuid, its exe/cwd/fd links and fdinfo, net/{tcp,tcp6,udp,
 * udp6,unix}, /etc/passwd and /etc/group. Names, arguments, paths and
 * socket paths there are chosen by any process on the host.
 *
 * The input describes a procfs tree, written under a private temp dir:
 *
 *   == 42/stat           a file; its bytes follow, up to the next header
 *   42 (my app) S 1 ...
 *   => 42/exe            a symlink; its target follows (up to a NUL)
 *   /usr/bin/app
 *
 * A header is a line starting "== " or "=> " at the start of the input or
 * after a newline (that newline ends the previous content). Paths are
 * relative, of [A-Za-z0-9._-] components, never "." or "..", at most 8
 * deep; anything else skips its section.
 *
 * Then, into a fresh table: the state is seeded from the tree as at
 * start-up (proc_state_from_procfs; odd-sized inputs) or every number named
 * in a path is loaded as on demand (proc_state_load_tid; even-sized ones),
 * every thread found has its strings and fds read through, fds 0-11 of its
 * process are read again one at a time (proc_procfs_load_fd, live's
 * inherited fds), and accounts are loaded (proc_users_load) and looked up.
 * Last, the tree becomes a capture's initial tables (proc_host_tables,
 * what `-w` writes), written and read back: the file must load, with as
 * many entries of each kind, and every string read back a prefix of what
 * was written (the writer truncates to libs' limits). Seeds:
 * fuzz/corpus/procfs/.
 */
#include <errno.h>
#include <inttypes.h>
#include <ftw.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "capture/capture.h"
#include "state/state.h"
#include "state/state_int.h" /* proc_procfs_load_fd */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FP_MAX_IDS 16

static char fp_dir[64];			   /* private temp dir: tree/ and out.scap */
static char fp_root[96];		   /* the fake procfs */
static char fp_passwd[128], fp_group[128]; /* its passwd and group files */

static int fp_rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	remove(path);
	return 0;
}

static void fp_rm_tree(const char *path)
{
	nftw(path, fp_rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

static void fp_cleanup(void)
{
	if (fp_dir[0])
		fp_rm_tree(fp_dir);
}

static void fp_init(void)
{
	if (fp_dir[0])
		return;
	snprintf(fp_dir, sizeof(fp_dir), "/tmp/pg_fuzz_procfs.XXXXXX");
	if (!mkdtemp(fp_dir))
		abort();
	snprintf(fp_root, sizeof(fp_root), "%s/tree", fp_dir);
	snprintf(fp_passwd, sizeof(fp_passwd), "%s/passwd", fp_root);
	snprintf(fp_group, sizeof(fp_group), "%s/group", fp_root);
	atexit(fp_cleanup);
}

/* Whether @rel (NUL-terminated) is a path the harness may create. */
static bool fp_path_ok(const char *rel)
{
	unsigned depth = 0;
	size_t n = strlen(rel);
	const char *c;

	if (!n || n > 200)
		return false;
	for (c = rel; *c; c++)
		if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') ||
		      (*c >= '0' && *c <= '9') || *c == '.' || *c == '_' || *c == '-' || *c == '/'))
			return false;
	for (c = rel;; c++) {
		const char *e = strchr(c, '/');
		size_t l = e ? (size_t)(e - c) : strlen(c);

		if (!l || (l == 1 && c[0] == '.') || (l == 2 && c[0] == '.' && c[1] == '.'))
			return false;
		if (++depth > 8)
			return false;
		if (!e)
			return true;
		c = e;
	}
}

/* Create @rel's parent directories under the root; @path gets the full path. */
static void fp_parents(const char *rel, char *path, size_t cap)
{
	char *s;

	snprintf(path, cap, "%s/%s", fp_root, rel);
	for (s = path + strlen(fp_root) + 1; (s = strchr(s, '/')); s++) {
		*s = '\0';
		mkdir(path, 0755);
		*s = '/';
	}
}

/* Note the numbers a path names: its first component, and a task's. */
static void fp_note_ids(const char *rel, uint64_t *ids, unsigned *n)
{
	const char *task = strstr(rel, "/task/");
	char *end;
	uint64_t v;

	v = strtoull(rel, &end, 10);
	if (end != rel && (*end == '/' || !*end) && *n < FP_MAX_IDS)
		ids[(*n)++] = v;
	if (task) {
		v = strtoull(task + 6, &end, 10);
		if (end != task + 6 && *n < FP_MAX_IDS)
			ids[(*n)++] = v;
	}
}

/* One section: a file with @len bytes, or a symlink to them (to a NUL).
 * 0, or -1 when it could not be made (a directory in the way, say). */
static int fp_section(const char *rel, bool link, const uint8_t *data, size_t len)
{
	char path[512], target[4096];
	FILE *f;

	fp_parents(rel, path, sizeof(path));
	if (link) {
		size_t l = strnlen((const char *)data, len);

		if (!l || l >= sizeof(target))
			return -1;
		memcpy(target, data, l);
		target[l] = '\0';
		remove(path);
		return symlink(target, path);
	}
	f = fopen(path, "we");
	if (!f)
		return -1;
	if (len && fwrite(data, 1, len, f) != len)
		abort();
	fclose(f);
	return 0;
}

/* Whether a section header ("== " or "=> ") starts at data[i]. */
static bool fp_header_at(const uint8_t *data, size_t size, size_t i)
{
	return i + 3 <= size && data[i] == '=' && (data[i + 1] == '=' || data[i + 1] == '>') &&
	       data[i + 2] == ' ';
}

/* The tree of the input; fills @ids with the numbers its paths name. */
static void fp_build(const uint8_t *data, size_t size, uint64_t *ids, unsigned *nids)
{
	size_t i = 0;

	fp_rm_tree(fp_root);
	mkdir(fp_root, 0755);
	/* content before the first header is ignored */
	while (i < size) {
		size_t nl, start, end;
		char rel[256];
		bool link;

		if (!fp_header_at(data, size, i)) {
			const uint8_t *p = memchr(data + i, '\n', size - i);

			if (!p)
				return;
			i = (size_t)(p - data) + 1;
			continue;
		}
		link = data[i + 1] == '>';
		for (nl = i + 3; nl < size && data[nl] != '\n'; nl++)
			;
		if (nl - (i + 3) >= sizeof(rel))
			return;
		memcpy(rel, data + i + 3, nl - (i + 3));
		rel[nl - (i + 3)] = '\0';
		start = nl < size ? nl + 1 : nl;
		/* the content runs to the newline before the next header */
		for (end = start; end < size; end++)
			if (data[end] == '\n' && fp_header_at(data, size, end + 1))
				break;
		if (fp_path_ok(rel)) {
			/* one that cannot be made is left out, as a bad path is */
			(void)fp_section(rel, link, data + start, end - start);
			fp_note_ids(rel, ids, nids);
		}
		i = end < size ? end + 1 : end;
	}
}

static volatile size_t fp_sink;

static void fp_touch(const char *s, size_t n)
{
	size_t sum = 0;

	for (size_t i = 0; s && i < n; i++)
		sum += (unsigned char)s[i];
	fp_sink += sum;
}

static int fp_fd(const struct proc_fd *fd, void *arg)
{
	(void)arg;
	fp_touch(fd->name, strlen(fd->name));
	return 0;
}

/* Read everything the state holds of @tid, as rules would. */
static void fp_read_thread(struct proc_worker *w, uint64_t tid)
{
	struct proc_thread *thr = proc_thread_lookup(w, tid);
	const struct proc_image *img;
	struct proc_process *p;

	if (!thr)
		return;
	p = proc_thread_process(thr);
	img = proc_process_image(p);
	if (img->magic != PROC_IMAGE_MAGIC || !memchr(img->comm, '\0', sizeof(img->comm)))
		abort();
	fp_touch(img->exe, img->exe_len);
	fp_touch(img->exepath, img->exepath_len);
	fp_touch(img->args, img->args_len);
	fp_touch(img->env, img->env_len);
	fp_touch(img->cgroups, img->cgroups_len);
	fp_touch(proc_process_cwd(p), strlen(proc_process_cwd(p)));
	proc_fd_foreach(w, thr, fp_fd, NULL);
}

/* The account @id (uid and gid): names terminated within their arrays. */
static void fp_user(struct proc_worker *w, uint32_t id)
{
	const struct proc_user *u = proc_user_lookup(w, id);
	const struct proc_group *g = proc_group_lookup(w, id);

	if (u &&
	    (!memchr(u->name, '\0', sizeof(u->name)) || !memchr(u->home, '\0', sizeof(u->home)) ||
	     !memchr(u->shell, '\0', sizeof(u->shell))))
		abort();
	if (g && !memchr(g->name, '\0', sizeof(g->name)))
		abort();
}

/* @got, read back from the capture, must be a prefix of @put. */
static void fp_prefix(const char *what, const char *put, const char *got)
{
	size_t lp = put ? strlen(put) : 0, lg = got ? strlen(got) : 0;

	if (lg > lp || (lg && memcmp(put, got, lg))) {
		fprintf(stderr, "%s read back as \"%s\", written \"%s\"\n", what, got ? got : "",
			put ? put : "");
		abort();
	}
}

static void fp_prefix_bytes(const char *what, const char *put, size_t lp, const char *got,
			    size_t lg)
{
	if (lg > lp || (lg && memcmp(put, got, lg))) {
		fprintf(stderr, "%s: %zu bytes read back are not a prefix of the %zu written\n",
			what, lg, lp);
		abort();
	}
}

/* proc_host_tables of the tree, through a capture file and back. */
static void fp_tables(void)
{
	char out[128];
	const struct cap_tables *b;
	struct cap_tables t;
	struct cap_writer *cw;
	struct cap_reader *r;
	struct cap_error err = {0};
	uint64_t skipped = 0;
	uint32_t nfds = 0;

	snprintf(out, sizeof(out), "%s/out.scap", fp_dir);
	if (proc_host_tables(fp_root, fp_passwd, fp_group, &t, &skipped))
		return; /* out of memory: nothing else can fail */
	cw = cap_writer_open(out, 0, NULL, &t, &err);
	if (!cw || cap_writer_close(cw)) {
		fprintf(stderr, "tables not written: %s\n", err.msg);
		abort();
	}
	r = cap_reader_open(out, &err);
	if (!r) {
		fprintf(stderr, "written tables do not load: %s\n", err.msg);
		abort();
	}
	b = cap_reader_tables(r);
	for (uint32_t i = 0; i < t.nfds; i++)
		nfds += t.fds[i].type != CAP_FD_UNKNOWN; /* not written (libs has no such fd) */
	if (b->nprocs != t.nprocs || b->nfds != nfds || b->nusers != t.nusers ||
	    b->ngroups != t.ngroups) {
		fprintf(stderr, "read back %u/%u/%u/%u entries, wrote %u/%u/%u/%u\n", b->nprocs,
			b->nfds, b->nusers, b->ngroups, t.nprocs, nfds, t.nusers, t.ngroups);
		abort();
	}
	for (uint32_t i = 0; i < t.nprocs; i++) {
		const struct cap_proc *p = &t.procs[i], *q = &b->procs[i];

		if (p->tid != q->tid || p->pid != q->pid || p->ptid != q->ptid)
			abort();
		fp_prefix("comm", p->comm, q->comm);
		fp_prefix("exe", p->exe, q->exe);
		fp_prefix("exepath", p->exepath, q->exepath);
		fp_prefix("cwd", p->cwd, q->cwd);
		fp_prefix_bytes("args", p->args, p->args_len, q->args, q->args_len);
		fp_prefix_bytes("env", p->env, p->env_len, q->env, q->env_len);
		fp_prefix_bytes("cgroups", p->cgroups, p->cgroups_len, q->cgroups, q->cgroups_len);
	}
	for (uint32_t i = 0, j = 0; i < t.nfds; i++) {
		const struct cap_fd *f = &t.fds[i], *g;

		if (f->type == CAP_FD_UNKNOWN)
			continue;
		g = &b->fds[j++];
		if (f->fd != g->fd || f->tid != g->tid || f->type != g->type)
			abort();
		fp_prefix("fd name", f->name, g->name);
	}
	for (uint32_t i = 0; i < t.nusers; i++)
		fp_prefix("user", t.users[i].name, b->users[i].name);
	for (uint32_t i = 0; i < t.ngroups; i++)
		fp_prefix("group", t.groups[i].name, b->groups[i].name);
	cap_reader_close(r);
	cap_tables_release(&t);
}

/* A small table (a big one's hash tables dominate a run's time). */
static const struct proc_config fp_cfg = {
	.max_threads = 256, .max_workers = 1, .max_tombs = 16, .poison = 1};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct proc_table *t;
	struct proc_worker *w;
	uint64_t ids[FP_MAX_IDS];
	unsigned nids = 0;

	fp_init();
	fp_build(data, size, ids, &nids);

	/* One table an input (making and freeing one waits for RCU callbacks,
	 * ~10 ms): an odd-sized input is seeded as at start-up, an even-sized
	 * one loaded a tid at a time as on demand. Then accounts. */
	t = proc_table_new(&fp_cfg);
	if (!t)
		return 0;
	proc_table_set_procfs(t, fp_root);
	w = proc_worker_register(t);
	if (w) {
		if (size & 1)
			proc_state_from_procfs(w, fp_root, NULL, NULL);
		else
			for (unsigned i = 0; i < nids; i++)
				proc_state_load_tid(w, fp_root, ids[i]);
		for (unsigned i = 0; i < nids; i++)
			fp_read_thread(w, ids[i]);
		/* one fd read again, as live reads an fd a child inherited */
		for (unsigned i = 0; i < nids; i++) {
			struct proc_thread *thr = proc_thread_lookup(w, ids[i]);

			for (int64_t fd = 0; thr && fd < 12; fd++)
				proc_procfs_load_fd(w, proc_thread_process(thr), fd);
			fp_read_thread(w, ids[i]);
		}
		proc_users_load(t, fp_passwd, fp_group);
		/* a user and a group as user.name and group.name would see them */
		fp_user(w, 0);
		fp_user(w, 1000);
		for (unsigned i = 0; i < nids; i++)
			fp_user(w, (uint32_t)ids[i]);
		proc_worker_unregister(w);
	}
	proc_table_destroy(t);

	fp_tables();
	return 0;
}
