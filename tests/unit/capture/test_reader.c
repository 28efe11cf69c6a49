/*
 * test_reader.c - the capture reader on the five shared captures: every
 * event read and decoded, counts as known, tables and machine info loaded,
 * gzip and memory input giving the same events as the raw file.
 */
#include <errno.h>
#include <unistd.h>
#include <zlib.h>

#include "abi/event_table.h"
#include "capture/capture.h"
#include "cap_test.h"

T_TEST(reads_all_fixtures)
{
	size_t i;

	for (i = 0; i < N_FIXTURES; i++) {
		struct cap_error err = { 0 };
		struct cap_reader *r = cap_reader_open(t_fixture(fixture_counts[i].name), &err);
		struct cap_event ev;
		uint64_t n = 0;
		int rc;

		if (!r)
			T_FAIL("%s: %s", fixture_counts[i].name, err.msg);
		while ((rc = cap_reader_next(r, &ev)) > 0) {
			struct evt e;
			enum evt_reject rej = evt_decode(ev.hdr, ev.len, &e, NULL);

			if (rej != EVT_OK)
				T_FAIL("%s: event %llu (type %u) does not decode: %s",
				       fixture_counts[i].name, (unsigned long long)n + 1,
				       ev.hdr->type, evt_reject_str(rej));
			T_CHECK(ev.len == ev.hdr->len);
			/* never fewer parameters than the current table entry */
			T_CHECK(e.nparams >= e.info->nparams);
			n++;
		}
		if (rc < 0)
			T_FAIL("%s: %s", fixture_counts[i].name, cap_reader_error(r)->msg);
		T_EQ_INT(n, fixture_counts[i].events);
		T_EQ_INT(cap_reader_stats(r)->events, n);
		T_CHECK(cap_reader_tables(r)->nprocs > 0);
		T_CHECK(cap_reader_tables(r)->nfds > 0);
		T_CHECK(cap_reader_tables(r)->nusers > 0);
		T_CHECK(cap_reader_machine(r) != NULL);
		/* after the end, the end again */
		T_EQ_INT(cap_reader_next(r, &ev), 0);
		cap_reader_close(r);
	}
}

T_TEST(syscall_fixture_facts)
{
	struct cap_reader *r = cap_reader_open(t_fixture("captures/syscall.scap"), NULL);
	const struct cap_tables *t;
	const struct cap_machine *m;
	uint16_t maj, min;
	uint32_t i, root = 0, blocks_n;
	const struct cap_block_count *b;

	T_CHECK(r != NULL);
	cap_reader_version(r, &maj, &min);
	T_EQ_INT(maj, 1);
	T_EQ_INT(min, 1);
	T_CHECK(!cap_reader_is_gzip(r));
	m = cap_reader_machine(r);
	T_EQ_STR(m->hostname, "ubuntu");
	T_EQ_INT(m->num_cpus, 2);
	t = cap_reader_tables(r);
	T_EQ_INT(t->nprocs, 229);
	T_EQ_INT(t->nifaces, 7);
	for (i = 0; i < t->nusers; i++) {
		if (t->users[i].uid == 0) {
			T_EQ_STR(t->users[i].name, "root");
			T_EQ_STR(t->users[i].home, "/root");
			root++;
		}
	}
	T_EQ_INT(root, 1);
	T_CHECK(t->ngroups > 0);
	/* PL V8: sid, vpgid, exepath, env, cgroups present; no V9 tail */
	T_CHECK(t->procs[0].has & CAP_PROC_HAS_VPGID);
	T_CHECK(t->procs[0].has & CAP_PROC_HAS_EXEPATH);
	T_CHECK(!(t->procs[0].has & CAP_PROC_HAS_LOGINUID));
	T_EQ_INT(t->procs[0].tid, 1);
	T_CHECK(t->procs[0].comm[0] != '\0');
	b = cap_reader_block_counts(r, &blocks_n);
	T_CHECK(blocks_n >= 6);
	T_EQ_STR(cap_block_name(b[0].type), "SHB");
	cap_reader_close(r);
}

T_TEST(v9_fixture_tail)
{
	struct cap_reader *r = cap_reader_open(t_fixture("captures/sample_libs.scap"), NULL);
	const struct cap_tables *t;
	uint32_t i, with_args = 0;

	T_CHECK(r != NULL);
	t = cap_reader_tables(r);
	T_CHECK(t->nprocs > 0);
	T_CHECK(t->procs[0].has & CAP_PROC_HAS_LOGINUID);
	T_CHECK(t->procs[0].has & CAP_PROC_HAS_CAPS);
	for (i = 0; i < t->nprocs; i++) {
		T_CHECK(t->procs[i].args != NULL && t->procs[i].env != NULL);
		with_args += t->procs[i].args_len > 0;
	}
	T_CHECK(with_args > 0);
	for (i = 0; i < t->nfds; i++)
		T_CHECK(t->fds[i].name != NULL);
	cap_reader_close(r);
}

/* Every event of @a and @b is the same (bytes, cpu, flags). */
static int same_events(struct cap_reader *a, struct cap_reader *b, uint64_t *n)
{
	struct cap_event x, y;
	int ra, rb;

	*n = 0;
	for (;;) {
		ra = cap_reader_next(a, &x);
		if (ra > 0 && !x.stable) {
			/* copy: the next call may overwrite the converted bytes */
			static uint8_t keep[1 << 20];

			if (x.len > sizeof(keep))
				return -1;
			memcpy(keep, x.hdr, x.len);
			x.hdr = (const struct evt_hdr *)keep;
		}
		rb = cap_reader_next(b, &y);
		if (ra != rb)
			return -2;
		if (ra <= 0)
			return ra;
		if (x.len != y.len || x.cpu != y.cpu || x.flags != y.flags ||
		    memcmp(x.hdr, y.hdr, x.len) != 0)
			return -3;
		(*n)++;
	}
}

/* The bytes of path (malloc'ed, *len of them), also written gzip'ed to
 * gzpath; NULL when either fails. */
static uint8_t *load_gz_copy(const char *path, const char *gzpath, size_t *len)
{
	uint8_t *buf = load_file(path, len);
	gzFile gz = buf ? gzopen(gzpath, "wb") : NULL;
	int ok = gz && gzwrite(gz, buf, (unsigned)*len) == (int)*len;

	if (gz && gzclose(gz) != Z_OK)
		ok = 0;
	if (!ok) {
		free(buf);
		return NULL;
	}
	return buf;
}

T_TEST(gzip_and_memory_same_as_raw)
{
	char dir[] = "/tmp/cap_test_XXXXXX", gzpath[64];
	size_t i;

	T_CHECK(mkdtemp(dir) != NULL);
	snprintf(gzpath, sizeof(gzpath), "%s/f.scap.gz", dir);
	for (i = 0; i < N_FIXTURES; i++) {
		const char *path = t_fixture(fixture_counts[i].name);
		struct cap_reader *a, *b, *c;
		size_t len;
		uint8_t *buf = load_gz_copy(path, gzpath, &len);
		uint64_t n;

		T_CHECK(buf != NULL);
		a = cap_reader_open(path, NULL);
		b = cap_reader_open(gzpath, NULL);
		T_CHECK(a && b);
		T_CHECK(cap_reader_is_gzip(b));
		T_EQ_INT(cap_reader_tables(b)->nprocs, cap_reader_tables(a)->nprocs);
		T_EQ_INT(cap_reader_tables(b)->nfds, cap_reader_tables(a)->nfds);
		T_EQ_INT(same_events(a, b, &n), 0);
		T_EQ_INT(n, fixture_counts[i].events);
		cap_reader_close(a);
		cap_reader_close(b);

		a = cap_reader_open(path, NULL);
		c = cap_reader_open_mem(buf, len, NULL);
		T_CHECK(a && c);
		T_EQ_INT(same_events(a, c, &n), 0);
		T_EQ_INT(n, fixture_counts[i].events);
		cap_reader_close(a);
		cap_reader_close(c);
		free(buf);
	}
	unlink(gzpath);
	rmdir(dir);
}

/* A filter that keeps a third of the events and logs every call. */
struct flog {
	uint64_t calls, kept;
	uint64_t hash; /* of every (ts, tid, type, cpu) shown, in order */
};

static bool flog_filter(void *ctx, uint64_t ts, uint64_t tid, uint16_t type, uint16_t cpu)
{
	struct flog *f = ctx;

	f->calls++;
	f->hash = (f->hash ^ ts ^ tid * 31 ^ (uint64_t)type << 40 ^ (uint64_t)cpu << 56) *
		  0x100000001b3ull;
	if ((ts ^ tid) % 3)
		return false;
	f->kept++;
	return true;
}

/* The shared scan's fast skip shows the filter the same events, keeps the
 * same ones and counts the same blocks from memory as from gzip (whose
 * window ends fall elsewhere, so the two take the fast and the full path
 * at different blocks), and keeps exactly the events of an unfiltered
 * reader that the filter's rule picks. */
T_TEST(filter_fast_path_same_as_full)
{
	char dir[] = "/tmp/cap_test_XXXXXX", gzpath[64];
	size_t i;

	T_CHECK(mkdtemp(dir) != NULL);
	snprintf(gzpath, sizeof(gzpath), "%s/f.scap.gz", dir);
	for (i = 0; i < N_FIXTURES; i++) {
		const char *path = t_fixture(fixture_counts[i].name);
		struct flog fm = { 0 }, fg = { 0 };
		struct cap_reader *m, *g, *all;
		const struct cap_block_count *bm, *bg;
		uint64_t km = 0, kg = 0, ka = 0, hm = 0, hg = 0, ha = 0, hk = 0;
		uint32_t nm, ng;
		struct cap_event ev;
		size_t len;
		uint8_t *buf = load_gz_copy(path, gzpath, &len);

		T_CHECK(buf != NULL);
		m = cap_reader_open_mem(buf, len, NULL);
		g = cap_reader_open(gzpath, NULL);
		all = cap_reader_open(path, NULL);
		T_CHECK(m && g && all);
		cap_reader_set_filter(m, flog_filter, &fm);
		cap_reader_set_filter(g, flog_filter, &fg);
		while (cap_reader_next(m, &ev) > 0) {
			km++;
			hm = (hm ^ ev.hdr->ts ^ ev.len) * 0x100000001b3ull;
			/* lengths may differ: this filter splits a tid's enter
			 * and exit events, so old exits are converted alone */
			hk = (hk ^ ev.hdr->ts ^ ev.hdr->tid ^ ev.offset) * 0x100000001b3ull;
		}
		while (cap_reader_next(g, &ev) > 0) {
			kg++;
			hg = (hg ^ ev.hdr->ts ^ ev.len) * 0x100000001b3ull;
		}
		while (cap_reader_next(all, &ev) > 0) {
			if ((ev.hdr->ts ^ ev.hdr->tid) % 3 == 0) {
				ka++;
				ha = (ha ^ ev.hdr->ts ^ ev.hdr->tid ^ ev.offset) * 0x100000001b3ull;
			}
		}
		T_EQ_INT(fm.calls, cap_reader_stats(all)->events);
		T_EQ_INT(km, ka);
		T_EQ_INT(hk, ha);
		T_EQ_INT(fm.calls, fg.calls);
		T_EQ_INT(fm.hash, fg.hash);
		T_EQ_INT(fm.kept, fg.kept);
		T_EQ_INT(km, fm.kept);
		T_EQ_INT(kg, km);
		T_EQ_INT(hg, hm);
		T_EQ_INT(cap_reader_stats(m)->filtered + km, fm.calls);
		T_EQ_INT(cap_reader_stats(g)->filtered, cap_reader_stats(m)->filtered);
		bm = cap_reader_block_counts(m, &nm);
		bg = cap_reader_block_counts(g, &ng);
		T_EQ_INT(nm, ng);
		for (uint32_t j = 0; j < nm && j < ng; j++) {
			T_EQ_INT(bm[j].type, bg[j].type);
			T_EQ_INT(bm[j].count, bg[j].count);
		}
		cap_reader_close(m);
		cap_reader_close(g);
		cap_reader_close(all);
		free(buf);
	}
	unlink(gzpath);
	rmdir(dir);
}

/* A file several times the read window (256 KiB): what the window reader hands
 * out and shows a filter, across every refill, is what the in-memory
 * reader of the same bytes does, with and without a filter. */
T_TEST(file_window_same_as_memory)
{
	char dir[] = "/tmp/cap_test_XXXXXX", path[64];
	struct cap_reader *src, *r, *m;
	struct cap_writer *wr;
	struct cap_event ev;
	uint8_t *buf;
	size_t len;

	T_CHECK(mkdtemp(dir) != NULL);
	snprintf(path, sizeof(path), "%s/big.scap", dir);
	wr = cap_writer_open(path, 0, NULL, NULL, NULL);
	T_CHECK(wr != NULL);
	for (int pass = 0; wr && pass < 40; pass++) {
		src = cap_reader_open(t_fixture("captures/single_ipv6_conn.scap"), NULL);
		T_CHECK(src != NULL);
		while (src && cap_reader_next(src, &ev) > 0)
			T_EQ_INT(cap_writer_event(wr, ev.cpu, ev.hdr, ev.flags), 0);
		cap_reader_close(src);
	}
	T_EQ_INT(cap_writer_close(wr), 0);
	buf = load_file(path, &len);
	T_CHECK(buf && len > 4 * (256u << 10));
	for (int filtered = 0; buf && filtered < 2; filtered++) {
		struct flog fr = { 0 }, fm = { 0 };
		uint64_t hr = 0, hm = 0, nr = 0, nm = 0;

		r = cap_reader_open(path, NULL);
		m = cap_reader_open_mem(buf, len, NULL);
		T_CHECK(r && m);
		if (!r || !m)
			break;
		if (filtered) {
			cap_reader_set_filter(r, flog_filter, &fr);
			cap_reader_set_filter(m, flog_filter, &fm);
		}
		while (cap_reader_next(r, &ev) > 0) {
			nr++;
			hr = (hr ^ ev.hdr->ts ^ ev.len ^ ev.offset) * 0x100000001b3ull;
		}
		while (cap_reader_next(m, &ev) > 0) {
			nm++;
			hm = (hm ^ ev.hdr->ts ^ ev.len ^ ev.offset) * 0x100000001b3ull;
		}
		T_CHECK(!cap_reader_error(r)->err && !cap_reader_error(m)->err);
		T_EQ_INT(nr, nm);
		T_CHECK(hr == hm);
		T_EQ_INT(fr.calls, fm.calls);
		T_CHECK(fr.hash == fm.hash);
		T_CHECK(nr > (filtered ? 10000u : 40000u));
		cap_reader_close(r);
		cap_reader_close(m);
	}
	free(buf);
	unlink(path);
	rmdir(dir);
}

/* Hash of an event's bytes (FNV-1a). */
static uint64_t ev_hash(uint64_t h, const struct cap_event *ev)
{
	const uint8_t *p = (const uint8_t *)ev->hdr;

	for (uint32_t i = 0; i < ev->len; i++)
		h = (h ^ p[i]) * 0x100000001b3ull;
	return h;
}

static bool keep_all(void *ctx, uint64_t ts, uint64_t tid, uint16_t type, uint16_t cpu)
{
	(void)ts, (void)tid, (void)type, (void)cpu;
	++*(uint64_t *)ctx;
	return true;
}

/* A filter that keeps everything hands out the common events from its fast
 * path (next_fast) and the rest from the full one: the events, byte for
 * byte with their offsets, cpus, flags and stability, and every counter
 * must be those of a reader without a filter. */
T_TEST(filter_keep_all_same_as_none)
{
	for (size_t i = 0; i < N_FIXTURES; i++) {
		const char *path = t_fixture(fixture_counts[i].name);
		size_t len = 0;
		uint8_t *buf = load_file(path, &len);
		struct cap_reader *a = cap_reader_open_mem(buf, len, NULL);
		struct cap_reader *b = cap_reader_open_mem(buf, len, NULL);
		const struct cap_reader_stats *sa, *sb;
		uint64_t ha = 0, hb = 0, calls = 0;
		struct cap_event ev;
		int ra, rb;

		T_CHECK(buf && a && b);
		if (!a || !b)
			break;
		cap_reader_set_filter(b, keep_all, &calls);
		while ((ra = cap_reader_next(a, &ev)) > 0)
			ha = ev_hash(ha ^ ev.offset ^ (uint64_t)ev.cpu << 48 ^ (uint64_t)ev.flags << 20 ^
					     ev.stable, &ev);
		while ((rb = cap_reader_next(b, &ev)) > 0)
			hb = ev_hash(hb ^ ev.offset ^ (uint64_t)ev.cpu << 48 ^ (uint64_t)ev.flags << 20 ^
					     ev.stable, &ev);
		T_EQ_INT(ra, rb);
		T_CHECK(ha == hb);
		sa = cap_reader_stats(a);
		sb = cap_reader_stats(b);
		T_EQ_INT(sa->events, sb->events);
		T_EQ_INT(calls, sb->events); /* asked once each, kept */
		T_EQ_INT(sa->converted, sb->converted);
		T_EQ_INT(sa->kept_old, sb->kept_old);
		T_EQ_INT(sa->kept_in_place, sb->kept_in_place);
		T_EQ_INT(sa->skipped_unknown, sb->skipped_unknown);
		T_EQ_INT(sa->first_ts, sb->first_ts);
		T_EQ_INT(sa->last_ts, sb->last_ts);
		T_EQ_INT(sb->filtered, 0);
		cap_reader_close(a);
		cap_reader_close(b);
		free(buf);
	}
}

/* Exit events that take parameters from their thread's enter event, read
 * through the window: the enter event is kept there by pointer
 * (EVT_CONV_HELD) and copied only when a refill would move it
 * (evt_conv__pin), so an exit converted after a refill must still see its
 * enter's bytes. sample_libs.scap has such pairs; its event blocks, as they
 * are (no re-encoding, which would complete the exits), repeated past
 * several windows, must give the in-memory reader's events byte for byte. */
T_TEST(window_keeps_enter_events_across_refills)
{
	char dir[] = "/tmp/cap_test_XXXXXX", path[64];
	size_t len, flen, head = 0, n = 0, reps;
	uint8_t *buf = load_file(t_fixture("captures/sample_libs.scap"), &len), *file;
	struct cap_reader *r, *m;
	struct cap_event ev;
	uint64_t hr = 0, hm = 0, nr = 0, nm = 0;

	T_CHECK(buf != NULL && mkdtemp(dir) != NULL);
	if (!buf)
		return;
	r = cap_reader_open_mem(buf, len, NULL);
	T_CHECK(r && cap_reader_next(r, &ev) > 0);
	head = (size_t)ev.offset; /* section and tables before the first event */
	cap_reader_close(r);
	T_CHECK(head > 0 && head < len);
	reps = 5 * (256u << 10) / (len - head) + 1; /* past five windows */
	file = malloc(head + reps * (len - head));
	T_CHECK(file != NULL);
	if (!file) {
		free(buf);
		return;
	}
	memcpy(file, buf, head);
	for (flen = head; n < reps; n++, flen += len - head)
		memcpy(file + flen, buf + head, len - head);
	T_CHECK(flen > 4 * (256u << 10));
	snprintf(path, sizeof(path), "%s/rep.scap", dir);
	T_EQ_INT(write_file(path, file, flen), 0);
	r = cap_reader_open(path, NULL);
	m = cap_reader_open_mem(file, flen, NULL);
	T_CHECK(r && m);
	while (r && cap_reader_next(r, &ev) > 0) {
		nr++;
		hr = ev_hash(hr, &ev);
	}
	while (m && cap_reader_next(m, &ev) > 0) {
		nm++;
		hm = ev_hash(hm, &ev);
	}
	T_CHECK(r && !cap_reader_error(r)->err && m && !cap_reader_error(m)->err);
	T_EQ_INT(nr, reps * 572);
	T_EQ_INT(nr, nm);
	T_CHECK(hr == hm);
	T_CHECK(r && cap_reader_stats(r)->converted >= reps * 87);
	cap_reader_close(r);
	cap_reader_close(m);
	free(file);
	free(buf);
	unlink(path);
	rmdir(dir);
}

T_TEST(raw_events_in_place)
{
	size_t len;
	uint8_t *buf = load_file(t_fixture("captures/single_ipv6_conn.scap"), &len);
	struct cap_reader *r = buf ? cap_reader_open_mem(buf, len, NULL) : NULL;
	struct cap_reader *f = cap_reader_open(t_fixture("captures/single_ipv6_conn.scap"), NULL);
	struct cap_event ev;
	uint64_t stable = 0, fstable = 0;

	T_CHECK(r != NULL && f != NULL);
	while (r && cap_reader_next(r, &ev) > 0)
		stable += ev.stable;
	/* V2 events already in the current layout are handed out in place:
	 * in caller memory they stay valid (stable); a file is read through a
	 * window whose bytes the next call may replace */
	T_CHECK(stable > 1000);
	while (f && cap_reader_next(f, &ev) > 0)
		fstable += ev.stable;
	T_EQ_INT(fstable, 0);
	cap_reader_close(f);
	if (!r) {
		free(buf);
		return;
	}
	/* each event is exactly one of: current in place, converted, or kept in
	 * its old layout (in place when complete, else padded in a copy) */
	T_EQ_INT(stable + cap_reader_stats(r)->converted + cap_reader_stats(r)->kept_old -
			 cap_reader_stats(r)->kept_in_place,
		 1728);
	cap_reader_close(r);
	free(buf);
}

T_TEST(missing_file)
{
	struct cap_error err = { 0 };

	T_CHECK(cap_reader_open("/nonexistent/x.scap", &err) == NULL);
	T_EQ_INT(errno, ENOENT);
	T_CHECK(strstr(err.msg, "cannot open") != NULL);
}

int main(void)
{
	T_RUN(reads_all_fixtures);
	T_RUN(syscall_fixture_facts);
	T_RUN(v9_fixture_tail);
	T_RUN(gzip_and_memory_same_as_raw);
	T_RUN(filter_fast_path_same_as_full);
	T_RUN(filter_keep_all_same_as_none);
	T_RUN(file_window_same_as_memory);
	T_RUN(window_keeps_enter_events_across_refills);
	T_RUN(raw_events_in_place);
	T_RUN(missing_file);
	return T_DONE();
}
