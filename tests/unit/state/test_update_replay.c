/*
 * test_update_replay.c - replay the five shared captures through
 * proc_state_from_capture + proc_event_apply/proc_event_done and compare,
 * at chosen events, what the state says with what sysdig 0.29.3 printed for
 * the same events (`sysdig -r FILE -p "%evt.num %proc.name %proc.pname
 * %proc.cmdline %proc.cwd %fd.num %fd.name %fd.cip %fd.cport %fd.sip
 * %fd.sport"`). sysdig's evt.num is the reader's 1-based index, except in
 * sample_libs where the reader also hands out the 95 useradded/groupadded
 * meta events that sysdig does not number (checked below by event type).
 * Then the same with two workers (tgid partitioning, worker =
 * prb_part_of(tgid, 2), the engine's partition, each on its own stepped
 * thread) giving the same values.
 */
#include <errno.h>

#include "bpf/probe.h" /* prb_part_of */
#include "t.h"
#include "state_test_util.h"
#include "test_update_view.h"

struct check {
	const char *cap;
	unsigned sysdig_num, idx; /* sysdig's evt.num, the reader's index */
	const char *name, *pname, *cmdline, *cwd; /* pname NULL: not compared */
	int64_t fdnum;
	const char *fdname;
	const char *cip;
	unsigned cport;
	const char *sip;
	unsigned sport;
};

/* Values printed by sysdig 0.29.3 ("" for <NA>). Known differences are left
 * out: pname of a non-leader thread (libs: the creating thread), fd.name of a
 * failed open (an extractor fact), and sysdig 0.29.3's empty names on the
 * second thread's closes in curl_google. */
static const struct check checks[] = {
	{"cat_write", 137, 137, "cat", "bash", "cat /dev/null", "", -1, "", "", 0, "", 0},
	{"cat_write", 139, 139, "cat", "bash", "cat /dev/null", "", -1, "", "", 0, "", 0},
	{"cat_write", 149, 149, "cat", "bash", "cat /dev/null", "", -1, "", "", 0, "", 0},
	{"cat_write", 171, 171, "cat", "bash", "cat /dev/null", "", -1, "", "", 0, "", 0},
	{"cat_write", 181, 181, "cat", "bash", "cat /dev/null", "", -1, "", "", 0, "", 0},
	{"cat_write", 199, 199, "cat", "bash", "cat /dev/null", "", 3, "/dev/null", "", 0, "", 0},
	{"single_ipv6_conn", 849, 849, "", "", "", "", 3, "", "", 0, "", 0},
	{"single_ipv6_conn", 851, 851, "", "", "", "", 3, "2001:db8::3:1234", "", 0, "2001:db8::3", 1234},
	{"single_ipv6_conn", 853, 853, "", "", "", "", 3, "2001:db8::3:1234", "", 0, "2001:db8::3", 1234},
	{"single_ipv6_conn", 1141, 1141, "", "", "", "", 3, "", "", 0, "", 0},
	{"single_ipv6_conn", 1143, 1143, "", "", "", "", 3, "0->ffff94dc817b9400 /var/run/nscd/socket", "", 0, "", 0},
	{"single_ipv6_conn", 1145, 1145, "", "", "", "", 3, "", "", 0, "", 0},
	{"single_ipv6_conn", 1147, 1147, "", "", "", "", 3, "0->ffff94dc817b9400 /var/run/nscd/socket", "", 0, "", 0},
	{"single_ipv6_conn", 1149, 1149, "", "", "", "", 3, "", "", 0, "", 0},
	{"single_ipv6_conn", 1151, 1151, "", "", "", "", 3, "2001:db8::4:0", "", 0, "", 0},
	{"single_ipv6_conn", 1154, 1154, "", "", "", "", 3, "2001:db8::4:54405->2001:db8::3:1234", "2001:db8::4", 54405, "2001:db8::3", 1234},
	{"syscall", 180, 180, "", "", "", "", 3, "/etc/ld.so.cache", "", 0, "", 0},
	{"syscall", 182, 182, "", "", "", "", 3, "/lib/x86_64-linux-gnu/libc.so.6", "", 0, "", 0},
	{"syscall", 188, 188, "", "", "", "", 3, "/dev/null", "", 0, "", 0},
	{"curl_google", 331, 331, "curl", "bash", "curl -6 http://www.google.com", "", -1, "", "", 0, "", 0},
	{"curl_google", 353, 353, "curl", "bash", "curl -6 http://www.google.com", "", 3, "/usr/lib/x86_64-linux-gnu/libgnutls.so.30", "", 0, "", 0},
	{"curl_google", 387, 387, "curl", "bash", "curl -6 http://www.google.com", "", 3, "/usr/lib/x86_64-linux-gnu/liblber-2.4.so.2", "", 0, "", 0},
	{"curl_google", 395, 395, "curl", "bash", "curl -6 http://www.google.com", "", -1, "", "", 0, "", 0},
	{"curl_google", 703, 703, "curl", "bash", "curl -6 http://www.google.com", "", -1, "", "", 0, "", 0},
	{"curl_google", 960, 960, "curl", "bash", "curl -6 http://www.google.com", "", 5, "", "", 0, "", 0},
	{"curl_google", 962, 962, "curl", "bash", "curl -6 http://www.google.com", "", 4, "", "", 0, "", 0},
	{"curl_google", 964, 964, "curl", "bash", "curl -6 http://www.google.com", "", 5, "", "", 0, "", 0},
	{"curl_google", 1010, 1010, "curl", "bash", "curl -6 http://www.google.com", "", 4, "", "", 0, "", 0},
	{"curl_google", 1012, 1012, "curl", "bash", "curl -6 http://www.google.com", "", 4, "", "", 0, "", 0},
	{"curl_google", 1229, 1229, "curl", "bash", "curl -6 http://www.google.com", "", -1, "", "", 0, "", 0},
	{"curl_google", 1253, 1253, "curl", "bash", "curl -6 http://www.google.com", "", -1, "", "", 0, "", 0},
	{"curl_google", 1259, 1259, "curl", "bash", "curl -6 http://www.google.com", "", 4, "", "", 0, "", 0},
	{"curl_google", 1275, 1275, "curl", "bash", "curl -6 http://www.google.com", "", -1, "", "", 0, "", 0},
	{"sample_libs", 31, 126, "ifplugd", "systemd", "ifplugd -i eth0 -q -f -u0 -d10 -w -I", "/", 8, "", "", 0, "", 0},
	{"sample_libs", 33, 128, "ifplugd", "systemd", "ifplugd -i eth0 -q -f -u0 -d10 -w -I", "/", 8, "", "", 0, "", 0},
	{"sample_libs", 63, 158, "containerd", "systemd", "containerd", "/", -1, "", "", 0, "", 0},
	{"sample_libs", 187, 282, "containerd", "systemd", "containerd", "/", -1, "", "", 0, "", 0},
	{"sample_libs", 239, 334, "containerd", "systemd", "containerd", "/", -1, "", "", 0, "", 0},
	{"sample_libs", 430, 525, "containerd", "systemd", "containerd", "/", -1, "", "", 0, "", 0},
	{"sample_libs", 434, 529, "containerd", "systemd", "containerd", "/", -1, "", "", 0, "", 0},
	{"sample_libs", 438, 533, "containerd", "systemd", "containerd", "/", -1, "", "", 0, "", 0},
	{"sample_libs", 451, 546, "containerd", "systemd", "containerd", "/", -1, "", "", 0, "", 0},
	{"sample_libs", 453, 548, "containerd", "systemd", "containerd", "/", 6, "pipe:[22242]", "", 0, "", 0},
	{"sample_libs", 459, 554, "containerd", "systemd", "containerd", "/", 5, "pipe:[22242]", "", 0, "", 0},
	{"curl_google", 1057, 1057, "curl", NULL, "curl -6 http://www.google.com", "", 4, "0->ffff88003c420800 /var/run/nscd/socket", "", 0, "", 0},
	{"curl_google", 1189, 1189, "curl", NULL, "curl -6 http://www.google.com", "", 4, "2600:1f18:262c:6542:9aa6:df7a:9a47:d29e:40251->2001:4860:4860::8888:53", "2600:1f18:262c:6542:9aa6:df7a:9a47:d29e", 40251, "2001:4860:4860::8888", 53},
	{"curl_google", 1195, 1195, "curl", NULL, "curl -6 http://www.google.com", "", 4, "2600:1f18:262c:6542:9aa6:df7a:9a47:d29e:40251->2001:4860:4860::8888:53", "2600:1f18:262c:6542:9aa6:df7a:9a47:d29e", 40251, "2001:4860:4860::8888", 53},
	{"curl_google", 1240, 1240, "curl", NULL, "curl -6 http://www.google.com", "", 4, "2600:1f18:262c:6542:9aa6:df7a:9a47:d29e:40251->2001:4860:4860::8888:53", "2600:1f18:262c:6542:9aa6:df7a:9a47:d29e", 40251, "2001:4860:4860::8888", 53},
	{"curl_google", 1273, 1273, "curl", "bash", "curl -6 http://www.google.com", "", 4, "2600:1f18:262c:6542:9aa6:df7a:9a47:d29e:37140->2607:f8b0:4004:802::2004:80", "2600:1f18:262c:6542:9aa6:df7a:9a47:d29e", 37140, "2607:f8b0:4004:802::2004", 80},
	{"curl_google", 1343, 1343, "curl", "bash", "curl -6 http://www.google.com", "", 4, "2600:1f18:262c:6542:9aa6:df7a:9a47:d29e:37140->2607:f8b0:4004:802::2004:80", "2600:1f18:262c:6542:9aa6:df7a:9a47:d29e", 37140, "2607:f8b0:4004:802::2004", 80},
};

#define NCHECKS (sizeof(checks) / sizeof(checks[0]))

static const char *const captures[] = {"cat_write", "single_ipv6_conn", "syscall", "curl_google",
				       "sample_libs"};

/* What the replay saw at each checked event. */
static struct upd_view seen[NCHECKS];
static int seen_ok[NCHECKS];

static void record(const char *cap, unsigned idx, struct proc_worker *w,
		   const struct proc_evt_ref *ref)
{
	unsigned i;

	for (i = 0; i < NCHECKS; i++)
		if (checks[i].idx == idx && !strcmp(checks[i].cap, cap)) {
			upd_view_of(w, ref, &seen[i]);
			seen_ok[i] = 1;
		}
}

/* tid -> tgid, learned from the tables and clone events: the dispatcher's
 * view (a real engine gets the tgid from the probe). Open addressing. */
#define TGMAP 65536u
static uint64_t tgmap_k[TGMAP], tgmap_v[TGMAP];

static void tg_put(uint64_t tid, uint64_t tgid)
{
	uint32_t i = (uint32_t)(tid * 0x9e3779b97f4a7c15ull >> 48) & (TGMAP - 1);

	while (tgmap_k[i] && tgmap_k[i] != tid)
		i = (i + 1) & (TGMAP - 1);
	tgmap_k[i] = tid;
	tgmap_v[i] = tgid;
}

static uint64_t tg_get(uint64_t tid)
{
	uint32_t i = (uint32_t)(tid * 0x9e3779b97f4a7c15ull >> 48) & (TGMAP - 1);

	while (tgmap_k[i]) {
		if (tgmap_k[i] == tid)
			return tgmap_v[i];
		i = (i + 1) & (TGMAP - 1);
	}
	return tid;
}

static unsigned part_of(uint64_t tgid, unsigned n)
{
	return prb_part_of((uint32_t)tgid, n);
}

struct seed_arg {
	const struct cap_tables *t;
	unsigned me, n;
	int err;
};

static bool owns(void *ctx, uint64_t tid, uint64_t pid)
{
	struct seed_arg *a = ctx;

	(void)tid;
	return part_of(pid, a->n) == a->me;
}

static void step_seed(struct proc_worker *w, void *arg)
{
	struct seed_arg *a = arg;

	a->err = proc_state_from_capture(w, a->t, owns, a);
}

struct apply_arg {
	const char *cap;
	unsigned idx;
	const struct evt *ev;
	uint16_t cpu;
};

static void step_event(struct proc_worker *w, void *arg)
{
	struct apply_arg *a = arg;
	struct proc_evt_ref ref;

	proc_event_apply(w, a->ev, a->cpu, &ref);
	record(a->cap, a->idx, w, &ref);
	proc_event_done(w, &ref);
}

/* Replay one capture on n workers (stepped threads). */
static int replay(const char *cap, unsigned n)
{
	char rel[128];
	struct cap_reader *r;
	struct proc_table *t;
	struct stepper st[2];
	struct seed_arg sa[2];
	struct cap_event ce;
	struct evt ev;
	unsigned i, idx = 0;
	const struct cap_tables *tabs;

	snprintf(rel, sizeof(rel), "captures/%s.scap", cap);
	r = cap_reader_open(t_fixture(rel), NULL);
	if (!r)
		return -errno;
	t = proc_table_new(NULL);
	tabs = cap_reader_tables(r);
	memset(tgmap_k, 0, sizeof(tgmap_k));
	for (i = 0; i < tabs->nprocs; i++)
		tg_put(tabs->procs[i].tid, tabs->procs[i].pid ? tabs->procs[i].pid : tabs->procs[i].tid);
	for (i = 0; i < n; i++) {
		stepper_start(&st[i], t);
		sa[i] = (struct seed_arg){.t = tabs, .me = i, .n = n};
		step(&st[i], step_seed, &sa[i]);
	}
	while (cap_reader_next(r, &ce) == 1) {
		struct apply_arg aa = {.cap = cap, .idx = ++idx, .ev = &ev, .cpu = ce.cpu};
		uint16_t type = ce.hdr->type;

		if (evt_decode(ce.hdr, ce.len, &ev, NULL) != EVT_OK)
			continue;
		if ((type == EVT_SYSCALL_CLONE_20_X || type == EVT_SYSCALL_FORK_20_X ||
		     type == EVT_SYSCALL_VFORK_20_X || type == EVT_SYSCALL_CLONE3_X) &&
		    evt_param_s64(&ev, 0, -1) == 0)
			tg_put(ce.hdr->tid, evt_param_u64(&ev, 4, ce.hdr->tid));
		step(&st[part_of(tg_get(ce.hdr->tid), n)], step_event, &aa);
		if (idx % 64 == 0)
			for (i = 0; i < n; i++)
				step(&st[i], step_quiescent, NULL);
	}
	for (i = 0; i < n; i++)
		stepper_stop(&st[i]);
	proc_table_destroy(t);
	cap_reader_close(r);
	return 0;
}

static int compare(const char *t_name_unused, char *why, size_t cap)
{
	unsigned i;

	(void)t_name_unused;
	for (i = 0; i < NCHECKS; i++) {
		const struct check *c = &checks[i];
		const struct upd_view *v = &seen[i];

		if (!seen_ok[i]) {
			snprintf(why, cap, "%s #%u: event not seen", c->cap, c->sysdig_num);
			return -1;
		}
#define CMPS(a, b)                                                                                 \
	if (strcmp(a, b)) {                                                                        \
		snprintf(why, cap, "%s #%u: %s = \"%.200s\", sysdig \"%.200s\"", c->cap,        \
			 c->sysdig_num, #b, a, b);                                                                 \
		return -1;                                                                         \
	}
		CMPS(v->name, c->name);
		if (c->pname)
			CMPS(v->pname, c->pname);
		CMPS(v->cmdline, c->cmdline);
		CMPS(v->cwd, c->cwd);
		/* sysdig 0.29.3's table gives some exits no fd (mmap) that current
		 * layouts carry: compare numbers only where sysdig printed one */
		if (c->fdnum >= 0 && v->fdnum != c->fdnum) {
			snprintf(why, cap, "%s #%u: fd.num %lld, sysdig %lld", c->cap, c->sysdig_num,
				 (long long)v->fdnum, (long long)c->fdnum);
			return -1;
		}
		if (c->fdnum >= 0)
			CMPS(v->fdname, c->fdname);
		/* fd.cip/cport = the tuple's source, fd.sip/sport = its destination
		 * (for a bound server socket: the bound address, kept in dip) */
		if (c->cip[0])
			CMPS(v->sip, c->cip);
		if (c->cport && v->sport != c->cport) {
			snprintf(why, cap, "%s #%u: cport %u", c->cap, c->sysdig_num, v->sport);
			return -1;
		}
		if (c->sip[0])
			CMPS(v->dip, c->sip);
		if (c->sport && v->dport != c->sport) {
			snprintf(why, cap, "%s #%u: sport %u", c->cap, c->sysdig_num, v->dport);
			return -1;
		}
#undef CMPS
	}
	return 0;
}

static void run(const char *t_name, unsigned n)
{
	static char why[4096];
	unsigned i;

	memset(seen_ok, 0, sizeof(seen_ok));
	for (i = 0; i < sizeof(captures) / sizeof(captures[0]); i++)
		T_EQ_INT(replay(captures[i], n), 0);
	if (compare(t_name, why, sizeof(why)))
		T_FAIL("%u worker(s): %s", n, why);
}

T_TEST(test_replay_one_worker)
{
	run(t_name, 1);
}

T_TEST(test_replay_two_workers)
{
	run(t_name, 2);
}

/* sysdig's numbering vs the reader's: same event types at the checked
 * events (sample_libs: the reader's 95 leading meta events are extra). */
T_TEST(test_numbering)
{
	struct cap_reader *r = cap_reader_open(t_fixture("captures/sample_libs.scap"), NULL);
	struct cap_event ce;
	unsigned idx = 0, meta = 0;

	T_CHECK(r);
	while (cap_reader_next(r, &ce) == 1 && ++idx <= 96) {
		uint16_t ty = ce.hdr->type;

		if (ty == EVT_USER_ADDED_E || ty == EVT_GROUP_ADDED_E)
			meta++;
	}
	cap_reader_close(r);
	T_EQ_INT(meta, 95);
}

int main(void)
{
	T_RUN(test_numbering);
	T_RUN(test_replay_one_worker);
	T_RUN(test_replay_two_workers);
	return T_DONE();
}
