/*
 * test_convert.c - the legacy converter: hand-built old events reach the
 * current layout as libs' converter builds it, and every event of the
 * fixture captures converts (or is dropped as libs drops it) into an event
 * that decodes with the current entry's full parameter list.
 */
#include <errno.h>

#include "t.h"
#include "abi_test.h"

static uint8_t out[1 << 17];

/* Decode a converted event and check it is current and complete. */
static int check_current(const uint8_t *p, long n, struct evt *ev)
{
	if (evt_decode(p, (size_t)n, ev, NULL) != EVT_OK)
		return 0;
	if (ev->info->flags & EVT_FLAG_OLD)
		return 0;
	return ev->nparams >= ev->info->nparams;
}

/* An old open exit with 4 params (before dev, ino): two empty params added. */
T_TEST(open_x_4_params)
{
	int64_t fd = 3;
	uint32_t flags = 1, mode = 0;
	struct tparam ps[] = { TP_VAL(fd), TP_STR("/etc/passwd"), TP_VAL(flags), TP_VAL(mode) };
	struct tevt t;
	struct evt ev;
	long n;

	tevt_build(&t, EVT_HDR_LEN, EVT_SYSCALL_OPEN_X, 42, 2, ps, 4);
	n = evt_convert(t.buf, t.len, EVT_HDR_LEN, out, sizeof(out));
	T_CHECK(n > 0);
	T_CHECK(check_current(out, n, &ev));
	T_EQ_INT(ev.hdr->type, EVT_SYSCALL_OPEN_X);
	T_EQ_INT(ev.nparams, 6);
	T_EQ_INT(evt_param_s64(&ev, 0, -1), 3);
	T_EQ_STR(evt_param_str(&ev, 1), "/etc/passwd");
	T_EQ_INT(ev.plen[4], 0);
	T_EQ_INT(ev.plen[5], 0);
	T_EQ_INT(ev.hdr->tid, 42);
}

/* Current events need nothing: 0, use the input as is. */
T_TEST(current_passes)
{
	int64_t res = 0, fd = 3;
	struct tparam ps[] = { TP_VAL(res), TP_VAL(fd) };
	struct tevt t;

	tevt_build(&t, EVT_HDR_LEN, EVT_SYSCALL_CLOSE_X, 1, 2, ps, 2);
	T_EQ_INT(evt_convert(t.buf, t.len, EVT_HDR_LEN, out, sizeof(out)), 0);
	/* The same event from a V1 block must be rewritten with a V2 header. */
	tevt_build(&t, EVT_HDR_V1_LEN, EVT_SYSCALL_CLOSE_X, 1, 2, ps, 2);
	T_EQ_INT(evt_convert(t.buf, t.len, EVT_HDR_V1_LEN, out, sizeof(out)), t.len + 4);
}

/* An old close exit (res only) gets fd from the enter event when the
 * stateful converter saw it, and an empty fallback... or default without. */
T_TEST(close_from_enter)
{
	int64_t res = 0, fd = 7;
	struct tparam pe[] = { TP_VAL(fd) }, px[] = { TP_VAL(res) };
	struct evt_conv *cv = evt_conv__new();
	struct tevt te, tx;
	struct evt ev;
	long n;

	T_CHECK(cv);
	tevt_build(&te, EVT_HDR_LEN, EVT_SYSCALL_CLOSE_E, 9, 2, pe, 1);
	tevt_build(&tx, EVT_HDR_LEN, EVT_SYSCALL_CLOSE_X, 9, 2, px, 1);
	/* The old enter event is remembered and dropped, as libs does. */
	T_EQ_INT(evt_conv__convert(cv, te.buf, te.len, EVT_HDR_LEN, out, sizeof(out)), -ENOENT);
	n = evt_conv__convert(cv, tx.buf, tx.len, EVT_HDR_LEN, out, sizeof(out));
	T_CHECK(n > 0);
	T_CHECK(check_current(out, n, &ev));
	T_EQ_INT(evt_param_s64(&ev, 1, -1), 7);
	/* Used once: a second exit falls back to the default (fd 0). */
	n = evt_conv__convert(cv, tx.buf, tx.len, EVT_HDR_LEN, out, sizeof(out));
	T_CHECK(n > 0);
	T_CHECK(check_current(out, n, &ev));
	T_EQ_INT(ev.plen[1], 8);
	T_EQ_INT(evt_param_s64(&ev, 1, -1), 0);
	evt_conv__free(cv);
}

/* Old execve (EXECVE_8_X, 8 params) becomes EXECVE_19_X with every param. */
T_TEST(execve_chain)
{
	int64_t res = 0, pid = 100, ptid = 1;
	uint64_t fdlimit = 1024;
	struct tparam ps[] = { TP_VAL(res),  TP_STR("/bin/ls"), TP_STR("-l"),	   TP_VAL(pid),
			       TP_VAL(pid),  TP_VAL(ptid),	TP_STR("/root"), TP_VAL(fdlimit) };
	struct tevt t;
	struct evt ev;
	long n;

	tevt_build(&t, EVT_HDR_LEN, EVT_SYSCALL_EXECVE_8_X, 100, 2, ps, 8);
	n = evt_convert(t.buf, t.len, EVT_HDR_LEN, out, sizeof(out));
	T_CHECK(n > 0);
	T_CHECK(check_current(out, n, &ev));
	T_EQ_INT(ev.hdr->type, EVT_SYSCALL_EXECVE_19_X);
	T_EQ_INT(ev.nparams, evt_info(EVT_SYSCALL_EXECVE_19_X)->nparams);
	T_EQ_STR(evt_param_str(&ev, 1), "/bin/ls");
	T_EQ_INT(evt_param_s64(&ev, 4, -1), 100);
}

/* Old clone (CLONE_11_X) reaches the current clone exit. */
T_TEST(clone_chain)
{
	const struct evt_info *old = evt_info(EVT_SYSCALL_CLONE_11_X);
	struct tparam ps[EVT_MAX_PARAMS];
	uint8_t zero[16] = { 0 };
	struct tevt t;
	struct evt ev;
	uint32_t i;
	long n;

	T_CHECK(old);
	for (i = 0; i < old->nparams; i++) {
		ps[i].p = zero;
		ps[i].len = old->params[i].type == EPT_CHARBUF ? 1 : 8;
		if (old->params[i].type == EPT_UINT32 || old->params[i].type == EPT_FLAGS32)
			ps[i].len = 4;
	}
	tevt_build(&t, EVT_HDR_LEN, EVT_SYSCALL_CLONE_11_X, 5, 2, ps, old->nparams);
	n = evt_convert(t.buf, t.len, EVT_HDR_LEN, out, sizeof(out));
	T_CHECK(n > 0);
	T_CHECK(check_current(out, n, &ev));
	T_EQ_STR(ev.info->name, "clone");
	T_EQ_INT(ev.nparams, ev.info->nparams);
}

/* V1 blocks: nparams comes from the lengths adding up to the event length. */
T_TEST(v1_nparams)
{
	int64_t fd = 3;
	uint32_t flags = 1, mode = 0;
	struct tparam ps[] = { TP_VAL(fd), TP_STR("/tmp/x"), TP_VAL(flags), TP_VAL(mode) };
	struct tevt t;
	struct evt ev;
	long n;

	tevt_build(&t, EVT_HDR_V1_LEN, EVT_SYSCALL_OPEN_X, 3, 2, ps, 4);
	n = evt_convert(t.buf, t.len, EVT_HDR_V1_LEN, out, sizeof(out));
	T_CHECK(n > 0);
	T_CHECK(check_current(out, n, &ev));
	T_EQ_INT(ev.nparams, 6);
	T_EQ_STR(evt_param_str(&ev, 1), "/tmp/x");
	/* Lengths that cannot add up are rejected. */
	t.buf[EVT_HDR_V1_LEN + 2] = 0xff;
	T_EQ_INT(evt_convert(t.buf, t.len, EVT_HDR_V1_LEN, out, sizeof(out)), -EINVAL);
}

T_TEST(errors)
{
	int64_t fd = 3;
	struct tparam ps[] = { TP_VAL(fd) };
	struct tevt t;

	tevt_build(&t, EVT_HDR_LEN, EVT_SYSCALL_OPEN_X, 3, 2, ps, 1);
	/* open exit with only fd: libs has no rule for it. */
	T_EQ_INT(evt_convert(t.buf, t.len, EVT_HDR_LEN, out, sizeof(out)), -ENOTSUP);
	T_EQ_INT(evt_convert(t.buf, 10, EVT_HDR_LEN, out, sizeof(out)), -EINVAL);
	T_EQ_INT(evt_convert(t.buf, t.len, 7, out, sizeof(out)), -EINVAL);
	tevt_build(&t, EVT_HDR_LEN, EVT_SYSCALL_OPEN_X, 3, 2, ps, 1);
	{
		int64_t a = 3;
		uint32_t b = 0;
		struct tparam p4[] = { TP_VAL(a), TP_STR("/x"), TP_VAL(b), TP_VAL(b) };

		tevt_build(&t, EVT_HDR_LEN, EVT_SYSCALL_OPEN_X, 3, 2, p4, 4);
		T_EQ_INT(evt_convert(t.buf, t.len, EVT_HDR_LEN, out, 20), -ENOSPC);
	}
	/* Unused slots are dropped. */
	tevt_build(&t, EVT_HDR_LEN, EVT_PROCEXIT_X, 3, 2, ps, 0);
	T_EQ_INT(evt_convert(t.buf, t.len, EVT_HDR_LEN, out, sizeof(out)), -ENOENT);
}

struct walk {
	struct evt_conv *cv;
	long ok, same, dropped, einval, enotsup, bad;
	int last_bad_type, last_bad_n;
};

static void walk_one(const uint8_t *p, size_t avail, unsigned hdr_len, void *arg)
{
	struct walk *w = arg;
	struct evt ev;
	long n = evt_conv__convert(w->cv, p, avail, hdr_len, out, sizeof(out));
	uint16_t type;

	memcpy(&type, p + 20, 2);
	if (n > 0) {
		if (check_current(out, n, &ev))
			w->ok++;
		else
			w->bad++;
	} else if (n == 0) {
		if (evt_decode(p, avail, &ev, NULL) == EVT_OK && !(ev.info->flags & EVT_FLAG_OLD))
			w->same++;
		else
			w->bad++;
	} else if (n == -ENOENT) {
		w->dropped++;
	} else {
		if (n == -EINVAL)
			w->einval++;
		else
			w->enotsup++;
		w->last_bad_type = type;
		w->last_bad_n = (int)n;
	}
}

static void walk_capture(const char *t_name, const char *name, int stateful)
{
	struct walk w = { 0 };
	size_t len;
	uint8_t *b = t_slurp(t_fixture(name), &len);
	long nev;

	if (!b)
		T_SKIP("%s missing", name);
	w.cv = stateful ? evt_conv__new() : NULL;
	nev = t_scap_walk(b, len, walk_one, &w);
	free(b);
	evt_conv__free(w.cv);
	T_CHECK(nev > 0);
	if (w.einval || w.enotsup || w.bad)
		T_FAIL("%s: %ld ok %ld same %ld dropped %ld einval %ld enotsup %ld bad (last type %d "
		       "rc %d)",
		       name, w.ok, w.same, w.dropped, w.einval, w.enotsup, w.bad, w.last_bad_type,
		       w.last_bad_n);
	T_EQ_INT(w.ok + w.same + w.dropped, nev);
}

T_TEST(fixture_cat_write)
{
	walk_capture(t_name, "captures/cat_write.scap", 1);
}

T_TEST(fixture_syscall)
{
	walk_capture(t_name, "captures/syscall.scap", 1);
}

T_TEST(fixture_curl_google)
{
	walk_capture(t_name, "captures/curl_google.scap", 1);
}

T_TEST(fixture_sample_libs)
{
	walk_capture(t_name, "captures/sample_libs.scap", 1);
}

T_TEST(fixture_single_ipv6_conn)
{
	walk_capture(t_name, "captures/single_ipv6_conn.scap", 0);
}

int main(void)
{
	T_RUN(open_x_4_params);
	T_RUN(current_passes);
	T_RUN(close_from_enter);
	T_RUN(execve_chain);
	T_RUN(clone_chain);
	T_RUN(v1_nparams);
	T_RUN(errors);
	T_RUN(fixture_cat_write);
	T_RUN(fixture_syscall);
	T_RUN(fixture_curl_google);
	T_RUN(fixture_sample_libs);
	T_RUN(fixture_single_ipv6_conn);
	return T_DONE();
}
