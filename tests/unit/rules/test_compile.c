/*
 * test_compile.c - the rules compiler: the default ruleset compiles with the
 * right counts and no error, and each kind of compile error is reported at
 * the expected FILE:LINE:COL with the expected message (data-driven cases).
 */
#include <errno.h>
#include <time.h>

#include "rules/ruleset.h"
#include "t.h"

/* Compile @yaml; the first error's rendered location and message. */
static struct rule_ruleset *compile_text(const char *yaml, struct diag_list *dl)
{
	struct rule_set *set = rule_set_new();
	struct rule_ruleset *rs = NULL;

	if (rule_set_load_string(set, "t.yaml", yaml, strlen(yaml), dl) == 0)
		rs = rule_compile(set, NULL, dl);
	rule_set_free(set);
	return rs;
}

static const struct diag *first_error(const struct diag_list *dl)
{
	size_t i;

	for (i = 0; i < diag_list__count(dl); i++) {
		if (diag_list__at(dl, i)->severity == DIAG_ERROR)
			return diag_list__at(dl, i);
	}
	return NULL;
}

T_TEST(test_falco_rules)
{
	struct diag_list *dl = diag_list_new();
	struct rule_set *set = rule_set_new();
	struct rule_ruleset *rs;
	struct timespec a, b;
	double ms;

	clock_gettime(CLOCK_MONOTONIC, &a);
	T_EQ_INT(rule_set_load_file(set, t_fixture("rules/falco_rules.yaml"), dl), 0);
	rs = rule_compile(set, NULL, dl);
	clock_gettime(CLOCK_MONOTONIC, &b);
	ms = (double)(b.tv_sec - a.tv_sec) * 1e3 + (double)(b.tv_nsec - a.tv_nsec) / 1e6;
	T_CHECK(rs);
	T_EQ_INT(diag_list__errors(dl), 0);
	T_EQ_INT(rule_ruleset__nrules(rs), 25);
	T_EQ_INT(rule_ruleset__nmacros(rs), 87);
	T_EQ_INT(rule_ruleset__nlists(rs), 49);
	/* every rule is indexed by its event types: an open exit meets few rules */
	T_CHECK(rule_ruleset__nrules_for_type(rs, EVT_SYSCALL_OPENAT_2_X) > 0);
	T_CHECK(rule_ruleset__nrules_for_type(rs, EVT_SYSCALL_OPENAT_2_X) < 25);
	T_EQ_INT(rule_ruleset__nrules_for_type(rs, EVT_SYSCALL_GETUID_X), 0);
	printf("# falco_rules.yaml load+compile %.1f ms\n", ms);
	T_CHECK(ms < 500);
	rule_ruleset_free(rs);
	rule_set_free(set);
	diag_list_free(dl);
}

struct err_case {
	const char *yaml;
	uint32_t line, col;
	const char *msg; /* a substring of the message */
};

#define R(cond) "- rule: r\n  desc: d\n  condition: " cond "\n  output: o\n  priority: INFO\n"

static const struct err_case err_cases[] = {
	{ R("evt.type=open and proc.nme=x"), 3, 32, "unknown field 'proc.nme'" },
	{ R("evt.type=open and proc.pid contains 1"), 3, 32,
	  "'contains' operator not supported for numeric filters" },
	{ R("evt.type=open and proc.pid=abc"), 3, 41, "'abc' is not a valid number" },
	{ R("evt.type=open and fd.sip=notanip"), 3, 39, "not a valid IP address" },
	{ R("evt.type=open and evt.failed=maybe"), 3, 43, "not a valid boolean" },
	{ R("evt.type=open and proc.aname[x]=bash"), 3, 32, "must be a non-negative number" },
	{ R("evt.type=open and proc.name[2]=bash"), 3, 32, "does not take an argument" },
	{ R("evt.type=open and evt.arg.nosuchparam=1"), 3, 32, "no event has a parameter" },
	{ R("evt.type=open and no_such_macro"), 3, 32, "Undefined macro 'no_such_macro'" },
	{ R("evt.type=open and proc.name in no_such_list"), 3, 45, "unknown list 'no_such_list'" },
	{ R("evt.type=open and proc.name regex \"(\""), 3, 48, "invalid regex" },
	{ R("evt.type=open and (proc.name=x"), 3, 44, "expected ')'" },
	{ "- macro: a\n  condition: b\n- macro: b\n  condition: a\n" R("a"), 4, 14,
	  "refers to itself" },
	{ "- rule: r\n  desc: d\n  condition: evt.type=open\n  output: x %proc.nme y\n"
	  "  priority: INFO\n",
	  4, 14, "invalid output format" },
	{ R("evt.type=open and evt.buffer bcontains zz"), 3, 53, "not a valid hex string" },
	{ R("evt.type=open and proc.name=val(proc.pid)"), 3, 42, "can not be compared" },
};

T_TEST(test_errors)
{
	size_t i;

	for (i = 0; i < sizeof(err_cases) / sizeof(err_cases[0]); i++) {
		const struct err_case *c = &err_cases[i];
		struct diag_list *dl = diag_list_new();
		struct rule_ruleset *rs = compile_text(c->yaml, dl);
		const struct diag *d = first_error(dl);

		if (rs || !d) {
			rule_ruleset_free(rs);
			T_FAIL("case %zu: compiled without error", i);
		}
		if (getenv("SHOW"))
			diag__render(d, stdout);
		if (!getenv("SHOW") && (d->line != c->line || d->col != c->col || !strstr(d->msg, c->msg))) {
			T_FAIL("case %zu: got %u:%u '%s', want %u:%u '%s'", i, d->line, d->col, d->msg,
			       c->line, c->col, c->msg);
		}
		T_EQ_STR(d->file, "t.yaml");
		diag_list_free(dl);
	}
}

/* A check written the same way in two rules is compiled once, but only
 * when it compiles: a broken one is reported at each rule, where it is. */
T_TEST(test_shared_check_errors)
{
	static const char yaml[] = "- rule: a\n  desc: d\n  condition: proc.nme = x\n"
				   "  output: o\n  priority: INFO\n"
				   "- rule: b\n  desc: d\n  condition: evt.type=open and proc.nme = x\n"
				   "  output: o\n  priority: INFO\n";
	struct diag_list *dl = diag_list_new();
	struct rule_ruleset *rs = compile_text(yaml, dl);
	unsigned lines[2], n = 0;

	T_CHECK(!rs);
	for (size_t i = 0; i < diag_list__count(dl); i++) {
		const struct diag *d = diag_list__at(dl, i);

		if (d->severity == DIAG_ERROR && strstr(d->msg, "proc.nme") && n < 2)
			lines[n++] = d->line;
	}
	T_EQ_INT(n, 2);
	T_EQ_INT(lines[0], 3);
	T_EQ_INT(lines[1], 8);
	diag_list_free(dl);
}

T_TEST(test_warnings_and_skip)
{
	const char *yaml = "- list: unused_list\n  items: [a]\n"
			   "- macro: unused_macro\n  condition: proc.name=x\n"
			   "- rule: no types\n  desc: d\n  condition: proc.name=bash\n"
			   "  output: o\n  priority: INFO\n"
			   "- rule: skipme\n  desc: d\n  condition: evt.type=open and foo.bar=1\n"
			   "  output: o\n  priority: INFO\n  skip-if-unknown-filter: true\n";
	struct diag_list *dl = diag_list_new();
	struct rule_ruleset *rs = compile_text(yaml, dl);
	size_t i, unused = 0, noevt = 0, skipped = 0;

	T_CHECK(rs);
	T_EQ_INT(diag_list__errors(dl), 0);
	for (i = 0; i < diag_list__count(dl); i++) {
		const struct diag *d = diag_list__at(dl, i);

		unused += d->code == DIAG_UNUSED_LIST || d->code == DIAG_UNUSED_MACRO;
		noevt += d->code == DIAG_NO_EVTTYPE;
		skipped += d->code == DIAG_UNKNOWN_FILTER;
	}
	T_EQ_INT(unused, 2);
	T_EQ_INT(noevt, 1);
	T_EQ_INT(skipped, 1);
	T_EQ_INT(rule_ruleset__nrules(rs), 1);
	rule_ruleset_free(rs);
	diag_list_free(dl);
}

T_TEST(test_priority_threshold)
{
	const char *yaml = "- rule: a\n  desc: d\n  condition: evt.type=open\n  output: o\n"
			   "  priority: DEBUG\n"
			   "- rule: b\n  desc: d\n  condition: evt.type=open\n  output: o\n"
			   "  priority: CRITICAL\n";
	struct diag_list *dl = diag_list_new();
	struct rule_set *set = rule_set_new();
	struct rule_compile_opts o = { .min_priority = RULE_PRIO_WARNING,
				       .min_priority_set = true };
	struct rule_ruleset *rs;

	T_EQ_INT(rule_set_load_string(set, "t.yaml", yaml, strlen(yaml), dl), 0);
	rs = rule_compile(set, &o, dl);
	T_CHECK(rs);
	T_EQ_INT(rule_ruleset__nrules(rs), 1);
	T_EQ_STR(rule_ruleset__rule(rs, 0)->name, "b");
	rule_ruleset_free(rs);
	rule_set_free(set);
	diag_list_free(dl);
}

int main(void)
{
	T_RUN(test_falco_rules);
	T_RUN(test_errors);
	T_RUN(test_shared_check_errors);
	T_RUN(test_warnings_and_skip);
	T_RUN(test_priority_threshold);
	return T_DONE();
}
