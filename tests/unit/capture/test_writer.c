/*
 * test_writer.c - the writer: every shared capture copied (raw and gzip)
 * reads back with the same events and the same tables; EVF flags, the
 * 2022-compatible process layout and bad events.
 */
#include <errno.h>
#include <unistd.h>

#include "abi/event_table.h"
#include "capture/capture.h"
#include "cap_test.h"

static char tmpdir[] = "/tmp/cap_writer_XXXXXX";

static const char *tmp(const char *name)
{
	static char buf[128];

	snprintf(buf, sizeof(buf), "%s/%s", tmpdir, name);
	return buf;
}

/* Copy @in to @out with @flags; returns the number of events or -errno. */
static long copy(const char *in, const char *out, unsigned flags)
{
	struct cap_reader *r = cap_reader_open(in, NULL);
	struct cap_writer *w;
	struct cap_event ev;
	long n = 0;
	int rc;

	if (!r)
		return -errno;
	w = cap_writer_open(out, flags, cap_reader_machine(r), cap_reader_tables(r), NULL);
	if (!w) {
		cap_reader_close(r);
		return -errno;
	}
	while ((rc = cap_reader_next(r, &ev)) > 0) {
		if (cap_writer_event(w, ev.cpu, ev.hdr, ev.flags))
			return -EIO;
		n++;
	}
	cap_reader_close(r);
	if (cap_writer_close(w) || rc < 0)
		return -EIO;
	return n;
}

static int str_eq(const char *a, const char *b)
{
	return strcmp(a ? a : "", b ? b : "") == 0;
}

/* Deep comparison of the tables; returns a line number on mismatch. */
static int tables_differ(const struct cap_tables *a, const struct cap_tables *b)
{
	uint32_t i;

	if (a->nprocs != b->nprocs || a->nfds != b->nfds || a->nusers != b->nusers ||
	    a->ngroups != b->ngroups || a->nifaces != b->nifaces)
		return __LINE__;
	for (i = 0; i < a->nprocs; i++) {
		const struct cap_proc *x = &a->procs[i], *y = &b->procs[i];

		if (x->tid != y->tid || x->pid != y->pid || x->ptid != y->ptid ||
		    x->sid != y->sid || x->vpgid != y->vpgid || !str_eq(x->comm, y->comm) ||
		    !str_eq(x->exe, y->exe) || !str_eq(x->exepath, y->exepath) ||
		    !str_eq(x->cwd, y->cwd) || !str_eq(x->root, y->root) ||
		    x->args_len != y->args_len || memcmp(x->args, y->args, x->args_len) ||
		    x->env_len != y->env_len || memcmp(x->env, y->env, x->env_len) ||
		    x->cgroups_len != y->cgroups_len ||
		    memcmp(x->cgroups, y->cgroups, x->cgroups_len) || x->fdlimit != y->fdlimit ||
		    x->flags != y->flags || x->uid != y->uid || x->gid != y->gid ||
		    x->loginuid != y->loginuid || x->vtid != y->vtid || x->vpid != y->vpid ||
		    x->vmrss_kb != y->vmrss_kb || x->pfminor != y->pfminor || x->tty != y->tty ||
		    x->cap_effective != y->cap_effective || x->exe_ino != y->exe_ino ||
		    x->exe_writable != y->exe_writable)
			return __LINE__;
	}
	for (i = 0; i < a->nfds; i++) {
		const struct cap_fd *x = &a->fds[i], *y = &b->fds[i];

		if (x->tid != y->tid || x->fd != y->fd || x->ino != y->ino || x->type != y->type ||
		    x->sport != y->sport || x->dport != y->dport || x->sip4 != y->sip4 ||
		    x->dip4 != y->dip4 || memcmp(x->sip6, y->sip6, 16) ||
		    x->unix_dst != y->unix_dst || x->open_flags != y->open_flags ||
		    !str_eq(x->name, y->name))
			return __LINE__;
	}
	for (i = 0; i < a->nusers; i++) {
		if (a->users[i].uid != b->users[i].uid || !str_eq(a->users[i].name, b->users[i].name) ||
		    !str_eq(a->users[i].shell, b->users[i].shell))
			return __LINE__;
	}
	for (i = 0; i < a->ngroups; i++) {
		if (a->groups[i].gid != b->groups[i].gid ||
		    !str_eq(a->groups[i].name, b->groups[i].name))
			return __LINE__;
	}
	for (i = 0; i < a->nifaces; i++) {
		if (a->ifaces[i].type != b->ifaces[i].type || a->ifaces[i].addr4 != b->ifaces[i].addr4 ||
		    memcmp(a->ifaces[i].addr6, b->ifaces[i].addr6, 16) ||
		    !str_eq(a->ifaces[i].name, b->ifaces[i].name))
			return __LINE__;
	}
	return 0;
}

T_TEST(copy_all_fixtures)
{
	size_t i;
	unsigned flags;

	for (i = 0; i < N_FIXTURES; i++) {
		for (flags = 0; flags <= CAP_WRITE_GZIP; flags += CAP_WRITE_GZIP) {
			const char *in = t_fixture(fixture_counts[i].name);
			struct cap_reader *a, *b;
			struct cap_event x, y;
			uint16_t maj, min;
			static uint8_t keep[1 << 20];
			long n = copy(in, tmp("c.scap"), flags);
			int ra, rb, d;

			T_EQ_INT(n, (long)fixture_counts[i].events);
			a = cap_reader_open(in, NULL);
			b = cap_reader_open(tmp("c.scap"), NULL);
			T_CHECK(a && b);
			T_EQ_INT(cap_reader_is_gzip(b), flags != 0);
			cap_reader_version(b, &maj, &min);
			T_EQ_INT(maj * 10 + min, 12);
			d = tables_differ(cap_reader_tables(a), cap_reader_tables(b));
			if (d)
				T_FAIL("%s: tables differ (test_writer.c:%d)", in, d);
			T_EQ_STR(cap_reader_machine(b)->hostname, cap_reader_machine(a)->hostname);
			T_EQ_INT(cap_reader_machine(b)->memory_bytes,
				 cap_reader_machine(a)->memory_bytes);
			for (;;) {
				ra = cap_reader_next(a, &x);
				if (ra > 0) {
					memcpy(keep, x.hdr, x.len);
					x.hdr = (const struct evt_hdr *)keep;
				}
				rb = cap_reader_next(b, &y);
				T_EQ_INT(ra, rb);
				if (ra <= 0)
					break;
				/* written in the current layout: read back as it is */
				T_CHECK(y.len == x.len && memcmp(x.hdr, y.hdr, x.len) == 0);
				T_CHECK(x.cpu == y.cpu && x.flags == y.flags);
			}
			T_EQ_INT(cap_reader_stats(b)->converted, 0);
			cap_reader_close(a);
			cap_reader_close(b);
		}
	}
	unlink(tmp("c.scap"));
}

T_TEST(evf_flags_and_empty_tables)
{
	struct cap_writer *w = cap_writer_open(tmp("f.scap"), 0, NULL, NULL, NULL);
	struct cap_reader *r;
	struct cap_event ev;
	uint8_t e[EVT_HDR_LEN + 8] = { 0 };
	struct evt_hdr h = { .ts = 5, .tid = 9, .len = sizeof(e), .type = 1, .nparams = 2 };
	uint16_t lens[2] = { 4, 0 };
	uint32_t nb, i, evf = 0;
	const struct cap_block_count *b;

	T_CHECK(w != NULL);
	memcpy(e, &h, EVT_HDR_LEN);
	memcpy(e + EVT_HDR_LEN, lens, 4);
	T_EQ_INT(cap_writer_event(w, 3, e, 0x21), 0);
	T_EQ_INT(cap_writer_event(w, 1, e, 0), 0);
	h.len = 10;
	memcpy(e, &h, EVT_HDR_LEN);
	T_EQ_INT(cap_writer_event(w, 1, e, 0), -EINVAL);
	T_CHECK(strstr(cap_writer_error(w)->msg, "event length 10") != NULL);
	T_EQ_INT(cap_writer_close(w), 0);
	r = cap_reader_open(tmp("f.scap"), NULL);
	T_CHECK(r != NULL);
	T_CHECK(cap_reader_machine(r) == NULL);
	T_EQ_INT(cap_reader_tables(r)->nprocs, 0);
	T_EQ_INT(cap_reader_next(r, &ev), 1);
	T_EQ_INT(ev.cpu, 3);
	T_EQ_INT(ev.flags, 0x21);
	T_EQ_INT(ev.hdr->tid, 9);
	T_EQ_INT(cap_reader_next(r, &ev), 1);
	T_EQ_INT(ev.flags, 0);
	T_EQ_INT(cap_reader_next(r, &ev), 0);
	b = cap_reader_block_counts(r, &nb);
	for (i = 0; i < nb; i++)
		if (strcmp(cap_block_name(b[i].type), "EVF_V2") == 0)
			evf = (uint32_t)b[i].count;
	T_EQ_INT(evf, 1);
	cap_reader_close(r);
	unlink(tmp("f.scap"));
}

T_TEST(compat_2022_layout)
{
	struct cap_tables t = { 0 };
	struct cap_proc p = { 0 };
	struct cap_fd fd = { 0 };
	struct cap_writer *w;
	struct cap_reader *r;
	const struct cap_proc *q;

	p.tid = p.pid = 7;
	p.comm = "x";
	p.loginuid = 1000;
	p.cap_effective = 0x55;
	p.tty = 34816;
	p.sid = p.vpgid = p.pgid = -1;
	fd.tid = 7;
	fd.fd = 4;
	fd.type = CAP_FD_MEMFD;
	fd.name = "memfd:x";
	t.procs = &p;
	t.nprocs = 1;
	t.fds = &fd;
	t.nfds = 1;
	w = cap_writer_open(tmp("p.scap"), CAP_WRITE_COMPAT_2022, NULL, &t, NULL);
	T_CHECK(w != NULL);
	T_EQ_INT(cap_writer_close(w), 0);
	r = cap_reader_open(tmp("p.scap"), NULL);
	T_CHECK(r != NULL);
	q = &cap_reader_tables(r)->procs[0];
	T_EQ_INT(q->loginuid, 1000);
	T_EQ_INT(q->cap_effective, 0x55);
	T_EQ_INT(q->tty, 0); /* not in the 2022 layout */
	T_EQ_INT(cap_reader_tables(r)->fds[0].type, CAP_FD_UNSUPPORTED);
	T_EQ_STR(cap_reader_tables(r)->fds[0].name, "memfd:x");
	cap_reader_close(r);

	w = cap_writer_open(tmp("p.scap"), 0, NULL, &t, NULL);
	T_CHECK(w != NULL);
	T_EQ_INT(cap_writer_close(w), 0);
	r = cap_reader_open(tmp("p.scap"), NULL);
	T_CHECK(r != NULL);
	q = &cap_reader_tables(r)->procs[0];
	T_EQ_INT(q->loginuid, 1000);
	T_EQ_INT(q->tty, 34816);
	T_EQ_INT(cap_reader_tables(r)->fds[0].type, CAP_FD_MEMFD);
	cap_reader_close(r);
	unlink(tmp("p.scap"));
}

T_TEST(unwritable_path)
{
	struct cap_error err = { 0 };

	T_CHECK(cap_writer_open("/nonexistent/dir/x.scap", 0, NULL, NULL, &err) == NULL);
	T_CHECK(strstr(err.msg, "cannot create") != NULL);
}

int main(void)
{
	if (!mkdtemp(tmpdir))
		return 1;
	T_RUN(copy_all_fixtures);
	T_RUN(evf_flags_and_empty_tables);
	T_RUN(compat_2022_layout);
	T_RUN(unwritable_path);
	rmdir(tmpdir);
	return T_DONE();
}
