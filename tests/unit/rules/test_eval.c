/*
 * test_eval.c - the evaluator over the shared captures: the evaluation
 * facts the brief fixes, operators sysdig 0.29 lacks checked against
 * equivalent conditions, exceptions, first/all matching and output
 * rendering at match time.
 */
#include <errno.h>

#include "capture/capture.h"
#include "rules/ruleset.h"
#include "rules/ruleset_int.h"
#include "state/state.h"
#include "t.h"

struct counter {
	int matches;
	char first_output[512];
	int per_rule[8]; /* matches of rules 0-7 */
	uint32_t nmemo;	 /* the ruleset's memo slots */
};

static int on_match(void *arg, const struct rule_match *m)
{
	struct counter *c = arg;

	if (!c->matches++)
		rule_match__output(m, c->first_output, sizeof(c->first_output));
	if (m->rule->index < 8)
		c->per_rule[m->rule->index]++;
	return 0;
}

/* Replay @cap through the state and @rs; the number of matches (-1 on error). */
static int run(const char *cap, const struct rule_ruleset *rs, bool first_only,
	       struct counter *cnt)
{
	struct proc_table *pt = proc_table_new(NULL);
	struct proc_worker *pw = pt ? proc_worker_register(pt) : NULL;
	struct rule_worker *w = rule_worker_new(rs);
	struct cap_reader *r = cap_reader_open(cap, NULL);
	struct cap_event ce;
	struct fld_ctx c = { 0 };
	int rc;

	if (!pw || !w || !r)
		return -1;
	proc_state_from_capture(pw, cap_reader_tables(r), NULL, NULL);
	c.pw = pw;
	while ((rc = cap_reader_next(r, &ce)) > 0) {
		struct proc_evt_ref ref;
		struct evt ev;

		if (evt_decode(ce.hdr, ce.len, &ev, NULL) != EVT_OK)
			return -1;
		proc_event_apply(pw, &ev, ce.cpu, &ref);
		fld_ctx_set_event(&c, pw, &ev, ce.cpu, c.num + 1, &ref);
		if (ev.info->origin != ECAT_METAEVENT)
			rule_eval(rs, w, &c, first_only, on_match, cnt);
		proc_event_done(pw, &ref);
		proc_worker_quiescent(pw);
	}
	cap_reader_close(r);
	rule_worker_free(w);
	proc_worker_unregister(pw);
	proc_table_destroy(pt);
	return rc < 0 ? -1 : cnt->matches;
}

static int count(const char *capname, const char *cond)
{
	struct diag_list *dl = diag_list_new();
	struct rule_ruleset *rs = rule_compile_condition("c", cond, dl);
	struct counter cnt = { 0 };
	char path[256];
	int n;

	if (!rs) {
		diag_list__render(dl, stdout);
		diag_list_free(dl);
		return -1;
	}
	snprintf(path, sizeof(path), "captures/%s", capname);
	n = run(t_fixture(path), rs, true, &cnt);
	rule_ruleset_free(rs);
	diag_list_free(dl);
	return n;
}

/* Every memo slot of a condition off: each node evaluated wherever used. */
static void memo_off(struct cn *n)
{
	n->memo = 0;
	for (uint32_t i = 0; i < n->n; i++)
		memo_off(n->kids[i]);
}

static int count_rules_memo(const char *capname, const char *yaml, bool first_only,
			    struct counter *cnt, bool memo)
{
	struct diag_list *dl = diag_list_new();
	struct rule_set *set = rule_set_new();
	struct rule_ruleset *rs = NULL;
	char path[256];
	int n = -1;

	if (rule_set_load_string(set, "t.yaml", yaml, strlen(yaml), dl) == 0)
		rs = rule_compile(set, NULL, dl);
	if (rs) {
		snprintf(path, sizeof(path), "captures/%s", capname);
		cnt->nmemo = rs->nmemo;
		if (!memo) {
			for (uint32_t i = 0; i < rs->nrules; i++)
				memo_off(rs->rules[i].cond);
			rs->nmemo = 0;
		}
		n = run(t_fixture(path), rs, first_only, cnt);
	} else {
		diag_list__render(dl, stdout);
	}
	rule_ruleset_free(rs);
	rule_set_free(set);
	diag_list_free(dl);
	return n;
}

static int count_rules(const char *capname, const char *yaml, bool first_only,
		       struct counter *cnt)
{
	return count_rules_memo(capname, yaml, first_only, cnt, true);
}

T_TEST(test_facts)
{
	T_EQ_INT(count("cat_write.scap", "evt.type=open and proc.name in (cat)"), 8);
	T_EQ_INT(count("syscall.scap", "evt.type=madvise and evt.dir=<"), 2);
	T_EQ_INT(count("syscall.scap", "evt.type=open and evt.dir=< and fd.name=/dev/null"), 2);
}

/* Pairs of conditions that must select the same events. */
static const char *const equiv[][2] = {
	{ "fd.name regex '/etc/.*'", "fd.name startswith /etc/" },
	{ "fd.name regex 'lib'", "fd.name = lib" },
	{ "fd.name iglob '/ETC/*'", "fd.name glob '/etc/*'" },
	{ "proc.name intersects (cat, bash, curl)", "proc.name in (cat, bash, curl)" },
	{ "evt.buffer bcontains 2f6465762f", "evt.buffer contains /dev/" },
	{ "evt.buffer bstartswith 2f", "evt.buffer startswith /" },
	{ "toupper(proc.name) = CURL", "proc.name = curl" },
	{ "tolower(proc.name) = curl", "proc.name = curl" },
	{ "basename(fd.name) = ld.so.cache", "fd.filename = ld.so.cache" },
	{ "len(proc.name) = 4", "proc.name in (curl, bash)" },
	/* "curl" and "bash" are valid base64 (4 digits); "cat" is not */
	{ "b64(proc.name) exists and proc.name in (curl, bash, cat)",
	  "proc.name in (curl, bash)" },
	{ "b64(proc.name) = \"r\\xea\\xe5\" and proc.name in (curl, cat)", "proc.name = curl" },
	{ "fd.name startswith anyof (/etc, /lib)",
	  "fd.name startswith /etc or fd.name startswith /lib" },
	{ "fd.name contains allof (lib, so)", "fd.name contains lib and fd.name contains so" },
	{ "fd.name pmatch (/usr/lib/x86_64-linux-gnu)", "fd.directory = /usr/lib/x86_64-linux-gnu" },
	{ "proc.aname = bash", "proc.aname[1] = bash or proc.aname[2] = bash or "
			      "proc.aname[3] = bash or proc.aname[4] = bash" },
	{ "proc.pname = val(proc.pname)", "proc.pname exists" },
	{ "fd.num = val(evt.rawres) and evt.type=open", "evt.type=open and evt.rawres >= 0 "
						      "and fd.num >= 0" },
	{ "fd.sip in (2001:db8::3)", "fd.sip = 2001:db8::3" },
	{ "fd.snet = 2001:db8::/32", "fd.sip in (2001:db8::3, 2001:db8::4)" },
	{ "not fd.name exists", "not (fd.name exists)" },
};

T_TEST(test_operator_equivalences)
{
	static const char *const caps[] = { "cat_write.scap", "curl_google.scap",
					    "single_ipv6_conn.scap", "syscall.scap" };
	size_t i, j;

	for (i = 0; i < sizeof(equiv) / sizeof(equiv[0]); i++) {
		for (j = 0; j < sizeof(caps) / sizeof(caps[0]); j++) {
			int a = count(caps[j], equiv[i][0]), b = count(caps[j], equiv[i][1]);

			if (a < 0 || a != b)
				T_FAIL("%s: [%s] %d vs [%s] %d", caps[j], equiv[i][0], a, equiv[i][1],
				       b);
		}
	}
}

T_TEST(test_exceptions_and_matching)
{
	const char *base = "- rule: r\n  desc: d\n  condition: evt.type=open and evt.dir=<\n"
			   "  output: \"opened %fd.name by %proc.name[%proc.pid] %proc.aname[1]\"\n"
			   "  priority: WARNING\n";
	const char *exc =
		"- rule: r\n  desc: d\n  condition: evt.type=open and evt.dir=<\n"
		"  output: o\n  priority: WARNING\n"
		"  exceptions:\n"
		"  - name: by_file\n    fields: [proc.name, fd.directory]\n"
		"    comps: [=, in]\n    values:\n    - [cat, [/etc, /lib/x86_64-linux-gnu]]\n"
		"  - name: single\n    fields: fd.name\n    comps: pmatch\n"
		"    values: [/usr/lib/locale]\n";
	const char *two = "- rule: a\n  desc: d\n  condition: evt.type=open\n  output: o\n"
			  "  priority: INFO\n"
			  "- rule: b\n  desc: d\n  condition: evt.type=open\n  output: o\n"
			  "  priority: INFO\n";
	struct counter c = { 0 };

	T_EQ_INT(count_rules("cat_write.scap", base, true, &c), 4);
	T_EQ_STR(c.first_output, "opened /etc/ld.so.cache by cat[20072] bash");
	memset(&c, 0, sizeof(c));
	/* 4 opens: ld.so.cache (/etc), libc (/lib/...), locale-archive, /dev/null */
	T_EQ_INT(count_rules("cat_write.scap", exc, true, &c), 1);
	memset(&c, 0, sizeof(c));
	T_EQ_INT(count_rules("cat_write.scap", two, true, &c), 8);
	memset(&c, 0, sizeof(c));
	T_EQ_INT(count_rules("cat_write.scap", two, false, &c), 16);
}

/*
 * Macros and checks used by several rules are evaluated once per event
 * (the memo of shared nodes): every rule must match the events it matches
 * with the memo off, and with its macros written out, on every capture,
 * whatever the rules before it made of the same node (plain, negated,
 * under or).
 */
T_TEST(test_shared_macros)
{
#define M_OPEN "(evt.type in (open, openat, openat2) and evt.dir=<)"
#define M_CAT "(proc.name in (cat, curl) and fd.num >= 0)"
	static const char *const conds[][2] = {
		{ "m_open and m_cat", M_OPEN " and " M_CAT },
		{ "m_open and not m_cat", M_OPEN " and not " M_CAT },
		{ "not m_open and m_cat", "not " M_OPEN " and " M_CAT },
		{ "m_cat and fd.name contains /", M_CAT " and fd.name contains /" },
		{ "(m_open or m_cat) and evt.dir=<", "(" M_OPEN " or " M_CAT ") and evt.dir=<" },
		{ "m_both or evt.type=close", "(" M_OPEN " and " M_CAT ") or evt.type=close" },
	};
	static const char *const caps[] = { "cat_write.scap", "curl_google.scap",
					    "sample_libs.scap", "syscall.scap" };
	char yaml[2][4096];
	int total[sizeof(conds) / sizeof(conds[0])] = { 0 };

	for (int v = 0; v < 2; v++) {
		int o = snprintf(yaml[v], sizeof(yaml[v]),
				 "- macro: m_open\n  condition: %s\n"
				 "- macro: m_cat\n  condition: %s\n"
				 "- macro: m_both\n  condition: m_open and m_cat\n",
				 M_OPEN, M_CAT);

		for (size_t i = 0; i < sizeof(conds) / sizeof(conds[0]); i++)
			o += snprintf(yaml[v] + o, sizeof(yaml[v]) - (size_t)o,
				      "- rule: r%zu\n  desc: d\n  condition: %s\n"
				      "  output: o\n  priority: WARNING\n",
				      i, conds[i][v]);
	}
	for (size_t k = 0; k < sizeof(caps) / sizeof(caps[0]); k++) {
		struct counter shared = { 0 }, inlined = { 0 }, off = { 0 };

		T_CHECK(count_rules(caps[k], yaml[0], false, &shared) >= 0);
		T_CHECK(count_rules(caps[k], yaml[1], false, &inlined) >= 0);
		T_CHECK(count_rules_memo(caps[k], yaml[0], false, &off, false) >= 0);
		T_CHECK(shared.nmemo >= 2); /* m_open and m_cat at least */
		T_CHECK(inlined.nmemo >= 2); /* the same checks written out */
		for (size_t i = 0; i < sizeof(conds) / sizeof(conds[0]); i++) {
			T_EQ_INT(shared.per_rule[i], off.per_rule[i]);
			T_EQ_INT(inlined.per_rule[i], off.per_rule[i]);
			total[i] += shared.per_rule[i];
		}
	}
	/* the captures exercise every rule (so each comparison could fail) */
	for (size_t i = 0; i < sizeof(conds) / sizeof(conds[0]); i++) {
		printf("  rule %zu: %d matches\n", i, total[i]);
		T_CHECK(total[i] > 0);
	}
#undef M_OPEN
#undef M_CAT
}

/* Every node of a condition evaluated as a plain check (CN_TYPES undone). */
static void types_off(struct cn *n)
{
	if (n->kind == CN_TYPES)
		n->kind = CN_CHECK;
	for (uint32_t i = 0; i < n->n; i++)
		types_off(n->kids[i]);
}

static int count_types(const struct cn *n)
{
	int k = n->kind == CN_TYPES;

	for (uint32_t i = 0; i < n->n; i++)
		k += count_types(n->kids[i]);
	return k;
}

/* Whether rule @i of @rs is in the index for @type. */
static bool indexed(const struct rule_ruleset *rs, uint32_t i, uint16_t type)
{
	for (uint32_t k = rs->off[type]; k < rs->off[type + 1]; k++)
		if (rs->ids[k] == i)
			return true;
	return false;
}

/*
 * Checks on fields the event type decides (evt.type, evt.dir,
 * syscall.type) are answered by a bit per type computed at compile time,
 * and the index of rules by type leaves out the types those bits rule out.
 * On every event of every capture, generic events (whose evt.type is a
 * parameter's) included, each rule must be true exactly when it is indexed
 * for the event's type and its compiled condition says so, against the
 * same condition with every such check evaluated per event.
 */
T_TEST(test_type_checks)
{
	static const char *const conds[] = {
		"evt.type = open",
		"evt.type != close and evt.dir = <",
		"evt.type in (open, openat, read, socket) and evt.dir = <",
		"not evt.dir = > and evt.type in (madvise, close)",
		"evt.type = madvise",
		"evt.type != madvise and evt.dir = >",
		"syscall.type startswith m",
		"evt.type glob '*at' or evt.type contains ope",
		"toupper(evt.type) = WRITE",
		"evt.type exists and evt.dir = > and evt.type pmatch (/x)",
		"evt.type != val(proc.name) and evt.dir = <", /* a right-hand field: not by type */
	};
	enum { NC = sizeof(conds) / sizeof(conds[0]) };
	static const char *const caps[] = { "cat_write.scap", "curl_google.scap",
					    "sample_libs.scap", "syscall.scap" };
	char yaml[4096];
	int o = 0, total[NC] = { 0 }, generic = 0;
	struct diag_list *dl = diag_list_new();
	struct rule_set *set = rule_set_new();
	struct rule_ruleset *rs = NULL, *plain = NULL;

	for (size_t i = 0; i < NC; i++)
		o += snprintf(yaml + o, sizeof(yaml) - (size_t)o,
			      "- rule: r%zu\n  desc: d\n  condition: %s\n"
			      "  output: o\n  priority: WARNING\n",
			      i, conds[i]);
	if (rule_set_load_string(set, "t.yaml", yaml, strlen(yaml), dl) == 0) {
		rs = rule_compile(set, NULL, dl);
		plain = rule_compile(set, NULL, dl);
	}
	if (!rs || !plain) {
		diag_list__render(dl, stdout);
		T_FAIL("the rules do not compile");
	}
	for (uint32_t i = 0; i < plain->nrules; i++) {
		T_CHECK(count_types(rs->rules[i].cond) > 0 || i == NC - 1);
		types_off(plain->rules[i].cond);
	}
	T_EQ_INT(count_types(rs->rules[NC - 1].cond), 1); /* evt.dir only */
	for (size_t k = 0; k < sizeof(caps) / sizeof(caps[0]); k++) {
		struct proc_table *pt = proc_table_new(NULL);
		struct proc_worker *pw = pt ? proc_worker_register(pt) : NULL;
		struct rule_worker *w = rule_worker_new(rs), *wp = rule_worker_new(plain);
		char path[256];
		struct cap_reader *r;
		struct cap_event ce;
		struct fld_ctx c = { 0 };
		int rc;

		snprintf(path, sizeof(path), "captures/%s", caps[k]);
		r = cap_reader_open(t_fixture(path), NULL);
		T_CHECK(pw && w && wp && r);
		proc_state_from_capture(pw, cap_reader_tables(r), NULL, NULL);
		c.pw = pw;
		while ((rc = cap_reader_next(r, &ce)) > 0) {
			struct proc_evt_ref ref;
			struct evt ev;
			uint16_t t = ce.hdr->type;

			T_CHECK(evt_decode(ce.hdr, ce.len, &ev, NULL) == EVT_OK);
			proc_event_apply(pw, &ev, ce.cpu, &ref);
			fld_ctx_set_event(&c, pw, &ev, ce.cpu, c.num + 1, &ref);
			generic += t == EVT_GENERIC_E || t == EVT_GENERIC_X;
			for (uint32_t i = 0; i < NC; i++) {
				bool want, got;

				fld_worker__begin(wp->fw);
				fld_worker__begin(w->fw);
				want = cn_eval(plain->rules[i].cond, plain, wp, &c);
				got = indexed(rs, i, t) && cn_eval(rs->rules[i].cond, rs, w, &c);
				if (want != got)
					T_FAIL("%s event %" PRIu64 " (type %u), rule '%s': %d, expected %d",
					       caps[k], c.num, t, conds[i], got, want);
				total[i] += want;
			}
			proc_event_done(pw, &ref);
			proc_worker_quiescent(pw);
		}
		T_CHECK(rc == 0);
		cap_reader_close(r);
		rule_worker_free(w);
		rule_worker_free(wp);
		proc_worker_unregister(pw);
		proc_table_destroy(pt);
	}
	/* every rule matched somewhere, and generic events were seen */
	for (size_t i = 0; i < NC; i++) {
		printf("  '%s': %d matches\n", conds[i], total[i]);
		if (i != 9)
			T_CHECK(total[i] > 0);
	}
	T_CHECK(generic > 0);
	rule_ruleset_free(rs);
	rule_ruleset_free(plain);
	rule_set_free(set);
	diag_list_free(dl);
}

int main(void)
{
	T_RUN(test_facts);
	T_RUN(test_operator_equivalences);
	T_RUN(test_exceptions_and_matching);
	T_RUN(test_shared_macros);
	T_RUN(test_type_checks);
	return T_DONE();
}
