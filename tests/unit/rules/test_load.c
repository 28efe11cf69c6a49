/*
 * test_load.c - the rules-file loader: the default ruleset, several files
 * amending each other, nested lists, every error with its file:line:col
 * (data-driven: tests/data/rules/err_*.yaml carry their expected diagnostics
 * in "# expect:" lines), the caret renderer, and the mapping of condition
 * offsets back to line:col for every YAML scalar style.
 */
#include <dirent.h>
#include <errno.h>
#include <time.h>

#include "rules/rules.h"
#include "t.h"

#define DATA "tests/data/rules/"

static double t_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static const struct rule_def *t_rule(const struct rule_set *rs, const char *name)
{
	return rule_set__find_rule(rs, name);
}

static int t_has_tag(const struct rule_def *r, const char *tag)
{
	size_t i;

	for (i = 0; i < r->ntags; i++)
		if (!strcmp(r->tags[i], tag))
			return 1;
	return 0;
}

/* The items of a list joined by spaces, into a static buffer. */
static const char *t_items(const struct rule_set *rs, const char *name)
{
	static char buf[512];
	const struct rule_list_def *l = rule_set__find_list(rs, name);
	size_t i, n = 0;

	buf[0] = '\0';
	if (!l)
		return "(none)";
	for (i = 0; i < l->nitems; i++)
		n += snprintf(buf + n, sizeof(buf) - n, "%s%s", i ? " " : "", l->items[i]);
	return buf;
}

T_TEST(test_falco_rules)
{
	struct rule_set *rs = rule_set_new();
	struct diag_list *dl = diag_list_new();
	double best = 1e9;
	int err, i;

	T_CHECK(rs && dl);
	err = rule_set_load_file(rs, t_fixture("rules/falco_rules.yaml"), dl);
	if (err)
		diag_list__render(dl, stdout);
	T_EQ_INT(err, 0);
	T_EQ_INT(diag_list__errors(dl), 0);
	T_EQ_INT(diag_list__warnings(dl), 0);
	T_EQ_INT(rule_set__nrules(rs), 25);
	T_EQ_INT(rule_set__nmacros(rs), 87);
	T_EQ_INT(rule_set__nlists(rs), 49);
	T_EQ_STR(rule_set__engine_version(rs), "0.57.0");
	T_EQ_INT(rule_set__nplugin_reqs(rs), 1);
	T_EQ_STR(rule_set__plugin_req(rs, 0)->name, "container");
	T_EQ_STR(rule_set__plugin_req(rs, 0)->version, "0.4.0");
	/* a list of lists expands in place */
	T_CHECK(rule_set__find_list(rs, "package_mgmt_binaries")->nitems >
		rule_set__find_list(rs, "rpm_binaries")->nitems);
	T_EQ_STR(rule_set__find_list(rs, "package_mgmt_binaries")->items[0], "dnf");
	T_EQ_STR(rule_set__rule(rs, 0)->source, "syscall");
	T_CHECK(rule_set__rule(rs, 0)->enabled);
	/* every visible byte of every condition and output maps back onto itself */
	for (i = 0; i < (int)(rule_set__nrules(rs) + rule_set__nmacros(rs)); i++) {
		const struct rule_def *r = rule_set__rule(rs, i);
		const struct rule_text *txt[2] = {
			r ? &r->cond : &rule_set__macro(rs, i - rule_set__nrules(rs))->cond,
			r ? &r->output : NULL,
		};
		int k;

		for (k = 0; k < 2 && txt[k]; k++) {
			size_t j, off;

			for (j = 0; j < txt[k]->len; j++) {
				struct diag_loc loc;

				if (txt[k]->str[j] == ' ' || txt[k]->str[j] == '\n')
					continue;
				T_EQ_INT(rule_text__locate(txt[k], j, &loc), 0);
				T_EQ_INT(diag_src__offset(loc.src, loc.line, loc.col, &off), 0);
				if (diag_src__text(loc.src, NULL)[off] != txt[k]->str[j])
					T_FAIL("item %d text %d byte %zu '%c' maps to %u:%u", i, k,
					       j, txt[k]->str[j], loc.line, loc.col);
			}
		}
	}
	rule_set_free(rs);
	diag_list_free(dl);

	for (i = 0; i < 20; i++) {
		double t0, t1;

		rs = rule_set_new();
		dl = diag_list_new();
		t0 = t_now_ms();
		rule_set_load_file(rs, t_fixture("rules/falco_rules.yaml"), dl);
		t1 = t_now_ms();
		if (t1 - t0 < best)
			best = t1 - t0;
		rule_set_free(rs);
		diag_list_free(dl);
	}
	printf("# falco_rules.yaml loads in %.3f ms (best of 20)\n", best);
	/* 50 ms is the budget for loading and compiling; sanitizers are slower */
	if (!getenv("SAN") || !*getenv("SAN"))
		T_CHECK(best < 5.0);
}

T_TEST(test_amend_files)
{
	struct rule_set *rs = rule_set_new();
	struct diag_list *dl = diag_list_new();
	const struct rule_def *r;
	const struct rule_macro_def *m;
	int err;

	err = rule_set_load_file(rs, DATA "base.yaml", dl);
	if (err)
		diag_list__render(dl, stdout);
	T_EQ_INT(err, 0);
	T_EQ_INT(diag_list__count(dl), 0);
	T_EQ_STR(t_items(rs, "interactive"), "bash sh zsh vi nano top");
	r = t_rule(rs, "Shell in container");
	T_EQ_STR(r->output.str, "Shell spawned (user=%user.name cmd=%proc.cmdline)");
	T_EQ_INT(r->priority, RULE_PRIO_WARNING);
	T_EQ_INT(r->nexceptions, 1);
	T_EQ_INT(r->exceptions[0].comps.nitems, 2);
	T_EQ_STR(r->exceptions[0].comps.items[1].str, "=");
	T_EQ_INT(t_rule(rs, "Editor run")->priority, RULE_PRIO_INFORMATIONAL);
	T_CHECK(!t_rule(rs, "Editor run")->enabled);

	err = rule_set_load_file(rs, DATA "amend.yaml", dl);
	if (err)
		diag_list__render(dl, stdout);
	T_EQ_INT(err, 0);
	/* two deprecation warnings (append: true twice) and the enabled-only item */
	T_EQ_INT(diag_list__errors(dl), 0);
	T_EQ_INT(diag_list__warnings(dl), 3);
	T_EQ_INT(diag_list__at(dl, 1)->code, DIAG_DEPRECATED_ITEM);

	T_EQ_STR(t_items(rs, "editors"), "vi nano emacs");
	T_EQ_STR(t_items(rs, "shell_binaries"), "bash sh zsh fish");
	/* interactive was defined before the appends: it sees the lists as they are now */
	T_EQ_STR(t_items(rs, "interactive"), "bash sh zsh fish vi nano emacs top");

	m = rule_set__find_macro(rs, "container");
	T_EQ_STR(m->cond.str, "container.id != host and container.id != \"\"");
	T_EQ_INT(m->cond.nsegs, 2);
	m = rule_set__find_macro(rs, "spawned_process");
	T_EQ_STR(m->cond.str, "evt.type = execve");
	T_EQ_INT(m->index, 3);
	T_CHECK(m->visibility > m->index);

	r = t_rule(rs, "Shell in container");
	T_EQ_STR(r->cond.str, "spawned_process and container and proc.name in (shell_binaries) "
			      "and not user.name = root");
	T_EQ_STR(r->output.str,
		 "Shell spawned (user=%user.name cmd=%proc.cmdline) (extra=%proc.pname)");
	T_EQ_STR(r->desc.str, "Replaced description.");
	T_EQ_INT(r->priority, RULE_PRIO_CRITICAL);
	T_CHECK(!r->enabled);
	T_EQ_INT(r->ntags, 4);
	T_CHECK(t_has_tag(r, "extra_tag") && t_has_tag(r, "mitre_execution"));
	T_EQ_INT(r->nexceptions, 2);
	T_EQ_INT(r->exceptions[0].nvalues, 2);
	T_EQ_STR(r->exceptions[0].values[1].items[0].str, "containerd");
	T_EQ_STR(r->exceptions[1].name, "known_users");
	T_EQ_STR(r->exceptions[1].comps.str, "in");
	T_EQ_INT(r->exceptions[1].nvalues, 2);

	T_CHECK(t_rule(rs, "Editor run")->enabled);
	/* a redefinition replaces the rule and keeps its place */
	T_EQ_STR(rule_set__rule(rs, 2)->name, "Top run");
	T_EQ_STR(rule_set__rule(rs, 2)->desc.str, "top ran, redefined.");
	T_EQ_INT(rule_set__rule(rs, 2)->priority, RULE_PRIO_NOTICE);
	T_EQ_STR(rule_set__rule(rs, 2)->pos.src ? diag_src__name(rule_set__rule(rs, 2)->pos.src)
						: "",
		 DATA "amend.yaml");
	T_EQ_STR(t_rule(rs, "Legacy append")->cond.str,
		 "evt.type = open and fd.name = /etc/shadow");
	T_EQ_INT(rule_set__nrules(rs), 4);
	T_EQ_INT(rule_set__nlists(rs), 3);
	T_EQ_INT(rule_set__nmacros(rs), 2);
	rule_set_free(rs);
	diag_list_free(dl);
}

T_TEST(test_nested_lists)
{
	struct rule_set *rs = rule_set_new();
	struct diag_list *dl = diag_list_new();

	T_EQ_INT(rule_set_load_file(rs, DATA "nested_lists.yaml", dl), 0);
	T_EQ_STR(t_items(rs, "b"), "x y z");
	T_EQ_STR(t_items(rs, "c"), "x y z x y w");
	/* later: defined after d but before d's append, seen raw; e: defined after, kept as a name
	 */
	T_EQ_STR(t_items(rs, "d"), "l1 x y z x y w e");
	T_CHECK(rule_set__find_list(rs, "a")->used);
	T_CHECK(!rule_set__find_list(rs, "d")->used);
	T_CHECK(!rule_set__find_list(rs, "e")->used);
	rule_set_free(rs);
	diag_list_free(dl);
}

T_TEST(test_list_bomb)
{
	/* each list doubles the one before: 2^40 items unless capped */
	char buf[8192];
	size_t n = 0;
	struct rule_set *rs = rule_set_new();
	struct diag_list *dl = diag_list_new();
	int i;

	n += snprintf(buf + n, sizeof(buf) - n, "- list: l0\n  items: [a, b]\n");
	for (i = 1; i <= 40; i++)
		n += snprintf(buf + n, sizeof(buf) - n, "- list: l%d\n  items: [l%d, l%d]\n", i,
			      i - 1, i - 1);
	T_EQ_INT(rule_set_load_string(rs, "bomb.yaml", buf, n, dl), -EINVAL);
	T_EQ_INT(diag_list__errors(dl), 1);
	T_CHECK(strstr(diag_list__at(dl, 0)->msg, "expand to more than"));
	rule_set_free(rs);
	diag_list_free(dl);
}

/* ---- errors, from data files ---- */

static int t_check_error_file(const char *path, char *why, size_t whylen)
{
	struct rule_set *rs = rule_set_new();
	struct diag_list *dl = diag_list_new();
	char line[1024], got[1400];
	size_t i = 0;
	int ok = 1, err;
	FILE *f = fopen(path, "r");

	if (!f) {
		snprintf(why, whylen, "%s: cannot open", path);
		return 0;
	}
	err = rule_set_load_file(rs, path, dl);
	while (ok && fgets(line, sizeof(line), f)) {
		const struct diag *d;

		if (strncmp(line, "# expect: ", 10))
			continue;
		line[strcspn(line, "\n")] = '\0';
		d = diag_list__at(dl, i++);
		if (!d) {
			snprintf(why, whylen, "%s: missing diagnostic \"%s\"", path, line + 10);
			ok = 0;
			break;
		}
		snprintf(got, sizeof(got), "%s %u:%u: %s",
			 d->severity == DIAG_ERROR ? "error" : "warning", d->line, d->col, d->msg);
		if (strcmp(got, line + 10) || strcmp(d->file, path)) {
			snprintf(why, whylen, "%s: got \"%s\", expected \"%s\"", path, got,
				 line + 10);
			ok = 0;
		}
	}
	if (ok && i != diag_list__count(dl)) {
		const struct diag *d = diag_list__at(dl, i);

		snprintf(why, whylen, "%s: unexpected diagnostic %u:%u: %s", path, d->line, d->col,
			 d->msg);
		ok = 0;
	}
	if (ok && err != (diag_list__errors(dl) ? -EINVAL : 0)) {
		snprintf(why, whylen, "%s: returned %d", path, err);
		ok = 0;
	}
	if (!ok)
		diag_list__render(dl, stdout);
	fclose(f);
	rule_set_free(rs);
	diag_list_free(dl);
	return ok;
}

T_TEST(test_error_files)
{
	DIR *dir = opendir(DATA);
	struct dirent *de;
	char why[4096], path[512];
	int n = 0, ok = 1;

	T_CHECK(dir);
	while ((de = readdir(dir))) {
		if (strncmp(de->d_name, "err_", 4))
			continue;
		snprintf(path, sizeof(path), DATA "%s", de->d_name);
		n++;
		if (ok && !t_check_error_file(path, why, sizeof(why)))
			ok = 0;
	}
	closedir(dir);
	if (!ok)
		T_FAIL("%s", why);
	T_CHECK(n >= 12);
}

T_TEST(test_keep_going)
{
	/* errors in two items do not stop the third from loading */
	static const char text[] = "- rule: a\n"
				   "  priority: nope\n"
				   "- list: l\n"
				   "  items: x\n"
				   "- macro: m\n"
				   "  condition: ok\n";
	struct rule_set *rs = rule_set_new();
	struct diag_list *dl = diag_list_new();

	T_EQ_INT(rule_set_load_string(rs, "k.yaml", text, sizeof(text) - 1, dl), -EINVAL);
	T_EQ_INT(diag_list__errors(dl), 5); /* desc, condition, output, priority; items */
	T_EQ_INT(rule_set__nmacros(rs), 1);
	T_EQ_INT(rule_set__nlists(rs), 0);
	T_EQ_INT(rule_set__nrules(rs), 0);
	rule_set_free(rs);
	diag_list_free(dl);
}

T_TEST(test_missing_file)
{
	struct rule_set *rs = rule_set_new();
	struct diag_list *dl = diag_list_new();

	T_EQ_INT(rule_set_load_file(rs, DATA "does_not_exist.yaml", dl), -ENOENT);
	T_EQ_INT(diag_list__errors(dl), 1);
	T_EQ_INT(diag_list__at(dl, 0)->code, DIAG_ERR_FILE_READ);
	T_EQ_STR(diag_list__at(dl, 0)->file, DATA "does_not_exist.yaml");
	rule_set_free(rs);
	diag_list_free(dl);
}

/* ---- rendering ---- */

static char *t_render(const struct diag_list *dl)
{
	static char buf[4096];
	FILE *f = fmemopen(buf, sizeof(buf), "w");

	diag_list__render(dl, f);
	fclose(f);
	return buf;
}

T_TEST(test_render_caret)
{
	static const char text[] = "- rule: x\n"
				   "  desc: d\n"
				   "  condition: c\n"
				   "  output: o\n"
				   "  priority: CRITICALL\n";
	static const char bad[] = "- list: l\n"
				  "\titems: []\n";
	struct rule_set *rs = rule_set_new();
	struct diag_list *dl = diag_list_new();
	struct diag_loc loc = {.file = "other.yaml", .line = 3};

	rule_set_load_string(rs, "r.yaml", text, sizeof(text) - 1, dl);
	rule_set_load_string(rs, "s.yaml", bad, sizeof(bad) - 1, dl);
	T_EQ_INT(diag_list__count(dl), 2);
	diag_list__add(dl, DIAG_WARNING, DIAG_NONE, &loc, "no text, no caret");
	diag_list__add(dl, DIAG_WARNING, DIAG_NONE, NULL, "nowhere");
	T_EQ_STR(t_render(dl),
		 "r.yaml:5:13: error: rule 'x': Invalid priority 'CRITICALL'\n"
		 "  priority: CRITICALL\n"
		 "            ^\n"
		 "s.yaml:2:1: error: Invalid YAML: found a tab character that "
		 "violates indentation while scanning a plain scalar (line 1, column 9)\n"
		 "\titems: []\n"
		 "^\n"
		 "other.yaml:3: warning: no text, no caret\n"
		 "warning: nowhere\n");
	rule_set_free(rs);
	diag_list_free(dl);
}

T_TEST(test_render_tabs_utf8)
{
	static const char text[] = "a\n\tx\xc3\xa9y z\n";
	struct diag_src *src = diag_src_new("t.yaml", text, sizeof(text) - 1);
	struct diag_list *dl = diag_list_new();
	struct diag_loc loc = {.src = src, .line = 2, .col = 6};
	size_t off;
	uint32_t l, c;

	/* column 6 is 'z' once the tab and the two-byte é count one each */
	T_EQ_INT(diag_src__offset(src, 2, 4, &off), 0);
	T_EQ_INT(text[off], 'y');
	T_EQ_INT(diag_src__offset(src, 2, 6, &off), 0);
	T_EQ_INT(text[off], 'z');
	T_EQ_INT(diag_src__linecol(src, off + 1, &l, &c), 0);
	T_EQ_INT(l, 2);
	T_EQ_INT(c, 7);
	diag_list__add(dl, DIAG_ERROR, DIAG_NONE, &loc, "here");
	T_EQ_STR(t_render(dl), "t.yaml:2:6: error: here\n"
			       "\tx\xc3\xa9y z\n"
			       "\t    ^\n");
	diag_src_put(src);
	diag_list_free(dl);
}

/* ---- offsets back to line:col ---- */

/*
 * For every byte of the macro's condition that is a copy of a source byte
 * (not a space or newline made by folding), the mapped position must hold
 * that very byte; @folded counts the others, which map to a line break or
 * an escape.
 */
static int t_map_all(const struct rule_text *t, char *why, size_t whylen, int *exact)
{
	size_t i, len;
	struct diag_loc loc;

	*exact = 0;
	for (i = 0; i <= t->len; i++) {
		size_t off;
		const char *s;

		if (rule_text__locate(t, i, &loc)) {
			snprintf(why, whylen, "offset %zu not located", i);
			return 0;
		}
		if (diag_src__offset(loc.src, loc.line, loc.col, &off)) {
			snprintf(why, whylen, "offset %zu -> %u:%u: no such place", i, loc.line,
				 loc.col);
			return 0;
		}
		s = diag_src__text(loc.src, &len);
		if (i < t->len && s[off] == t->str[i])
			(*exact)++;
	}
	return 1;
}

static const char t_styles[] =
	/* 1 */ "- macro: plain\n"
		/* 2 */ "  condition: proc.name = a and\n"
		/* 3 */ "     fd.name = b\n"
		/* 4 */ "\n"
		/* 5 */ "     and x\n"
		/* 6 */ "- macro: single\n"
		/* 7 */ "  condition: 'it''s a and\n"
		/* 8 */ "    b'\n"
		/* 9 */ "- macro: double\n"
		/* 10 */ "  condition: \"x \\t \\u00e9 y\\\n"
		/* 11 */ "    z \\\" w\"\n"
		/* 12 */ "- macro: literal\n"
		/* 13 */ "  condition: |\n"
		/* 14 */ "    evt.type = open\n"
		/* 15 */ "      and fd.name = x\n"
		/* 16 */ "\n"
		/* 17 */ "    and y\n"
		/* 18 */ "- macro: folded\n"
		/* 19 */ "  condition: >-\n"
		/* 20 */ "    evt.type = open\n"
		/* 21 */ "    and fd.name = x\n"
		/* 22 */ "\n"
		/* 23 */ "    and (y)\n"
		/* 24 */ "- macro: folded_indent\n"
		/* 25 */ "  condition: >2\n"
		/* 26 */ "     a\n"
		/* 27 */ "    b\n";

/* Load t_styles and find where byte @off of macro @name's condition is. */
static int t_style_loc(const char *name, const char *needle, int delta, uint32_t *line,
		       uint32_t *col)
{
	static struct rule_set *rs;
	static struct diag_list *dl;
	const struct rule_macro_def *m;
	struct diag_loc loc;
	const char *at;

	if (!rs) {
		rs = rule_set_new();
		dl = diag_list_new();
		if (rule_set_load_string(rs, "styles.yaml", t_styles, sizeof(t_styles) - 1, dl))
			diag_list__render(dl, stdout);
	}
	if (!name) {
		rule_set_free(rs);
		diag_list_free(dl);
		rs = NULL;
		return 0;
	}
	m = rule_set__find_macro(rs, name);
	if (!m || !(at = strstr(m->cond.str, needle)))
		return -1;
	if (rule_text__locate(&m->cond, at - m->cond.str + delta, &loc))
		return -1;
	*line = loc.line;
	*col = loc.col;
	return 0;
}

#define T_AT(name, needle, delta, l, c)                                                          \
	do {                                                                                     \
		uint32_t t_l_ = 0, t_c_ = 0;                                                     \
		T_EQ_INT(t_style_loc(name, needle, delta, &t_l_, &t_c_), 0);                     \
		if (t_l_ != (l) || t_c_ != (c))                                                  \
			T_FAIL("%s '%s'%+d at %u:%u, expected %u:%u", name, needle, delta, t_l_, \
			       t_c_, (unsigned)(l), (unsigned)(c));                              \
	} while (0)

T_TEST(test_locate_styles)
{
	T_AT("plain", "proc", 0, 2, 14);
	T_AT("plain", "fd.name", 0, 3, 6);
	T_AT("plain", "and x", 0, 5, 6);
	T_AT("plain", "and x", 4, 5, 10);
	T_AT("plain", "and x", 5, 5, 11); /* the end: just after the last byte */
	T_AT("single", "it", 0, 7, 15);
	T_AT("single", "'s", 0, 7, 17); /* '' is one quote, at the first of the two */
	T_AT("single", "s a", 0, 7, 19);
	T_AT("single", "b", 0, 8, 5);
	T_AT("double", "x", 0, 10, 15);
	T_AT("double", "\t", 0, 10, 17);       /* \t maps to its backslash */
	T_AT("double", "\xc3\xa9", 1, 10, 20); /* both bytes of \u00e9 too */
	T_AT("double", "z", 0, 11, 5);	       /* after an escaped line break */
	T_AT("double", "\"", 0, 11, 7);
	T_AT("double", "w", 0, 11, 10);
	T_AT("literal", "evt", 0, 14, 5);
	T_AT("literal", "  and fd", 0, 15, 5); /* more-indented: its spaces are content */
	T_AT("literal", "and fd", 0, 15, 7);
	T_AT("literal", "and y", 0, 17, 5);
	T_AT("folded", "and fd", 0, 21, 5);
	T_AT("folded", "(y)", 1, 23, 10);
	T_AT("folded_indent", "b", 0, 27, 5);
	T_AT("folded_indent", " a", 1, 26, 6);
	t_style_loc(NULL, NULL, 0, NULL, NULL);
}

T_TEST(test_locate_every_byte)
{
	static const char *const names[] = {"plain",   "single", "double",
					    "literal", "folded", "folded_indent"};
	struct rule_set *rs = rule_set_new();
	struct diag_list *dl = diag_list_new();
	char why[256];
	size_t i;

	T_EQ_INT(rule_set_load_string(rs, "styles.yaml", t_styles, sizeof(t_styles) - 1, dl), 0);
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		const struct rule_macro_def *m = rule_set__find_macro(rs, names[i]);
		size_t j, copies = 0;
		int exact;

		T_CHECK(m);
		if (!t_map_all(&m->cond, why, sizeof(why), &exact))
			T_FAIL("%s: %s", names[i], why);
		/* bytes that are not made by folding or escapes */
		for (j = 0; j < m->cond.len; j++)
			if (m->cond.str[j] != '\n' && m->cond.str[j] != ' ' &&
			    (unsigned char)m->cond.str[j] < 0x80 && m->cond.str[j] != '\t' &&
			    m->cond.str[j] != '"' && m->cond.str[j] != '\'')
				copies++;
		if ((size_t)exact < copies)
			T_FAIL("%s: only %d of %zu bytes map exactly", names[i], exact, copies);
	}
	rule_set_free(rs);
	diag_list_free(dl);
}

T_TEST(test_locate_appended)
{
	struct rule_set *rs = rule_set_new();
	struct diag_list *dl = diag_list_new();
	const struct rule_def *r;
	struct diag_loc loc;
	const char *at;

	T_EQ_INT(rule_set_load_file(rs, DATA "base.yaml", dl), 0);
	T_EQ_INT(rule_set_load_file(rs, DATA "amend.yaml", dl), 0);
	r = t_rule(rs, "Shell in container");
	T_EQ_INT(r->cond.nsegs, 2);
	/* first piece: base.yaml line 21 "  condition: spawned_process and ..." */
	T_EQ_INT(rule_text__locate(&r->cond, 0, &loc), 0);
	T_EQ_STR(diag_src__name(loc.src), DATA "base.yaml");
	T_EQ_INT(loc.line, 21);
	T_EQ_INT(loc.col, 14);
	/* second piece, from amend.yaml line 22 "  condition: and not user.name = root" */
	at = strstr(r->cond.str, "user.name");
	T_EQ_INT(rule_text__locate(&r->cond, at - r->cond.str, &loc), 0);
	T_EQ_STR(diag_src__name(loc.src), DATA "amend.yaml");
	T_EQ_INT(loc.line, 22);
	T_EQ_INT(loc.col, 22);
	/* the joining space belongs to the end of the first piece */
	at = strstr(r->cond.str, " and not");
	T_EQ_INT(rule_text__locate(&r->cond, at - r->cond.str, &loc), 0);
	T_EQ_STR(diag_src__name(loc.src), DATA "base.yaml");
	T_EQ_INT(loc.line, 21);
	T_EQ_INT(rule_text__locate(&r->cond, r->cond.len + 1, &loc), -ERANGE);
	/* output was trimmed: offset 0 is the 'S' after the quote and two blanks */
	T_EQ_INT(rule_text__locate(&r->output, 0, &loc), 0);
	T_EQ_STR(diag_src__name(loc.src), DATA "base.yaml");
	T_EQ_INT(loc.line, 22);
	T_EQ_INT(loc.col, 14);
	rule_set_free(rs);
	diag_list_free(dl);
}

T_TEST(test_unused_hook)
{
	struct rule_set *rs = rule_set_new();
	struct diag_list *dl = diag_list_new();

	T_EQ_INT(rule_set_load_file(rs, DATA "base.yaml", dl), 0);
	/* interactive uses shell_binaries and editors; the compiler marks the rest */
	rule_set__mark_macro_used(rs, "spawned_process");
	rule_set__mark_list_used(rs, "no_such_list");
	rule_set__warn_unused(rs, dl);
	T_EQ_INT(diag_list__warnings(dl), 2);
	T_EQ_STR(diag_list__at(dl, 0)->msg,
		 "macro 'container': Macro not referred to by any other rule/macro");
	T_EQ_INT(diag_list__at(dl, 0)->code, DIAG_UNUSED_MACRO);
	T_EQ_INT(diag_list__at(dl, 0)->line, 16);
	T_EQ_STR(diag_list__at(dl, 1)->msg,
		 "list 'interactive': List not referred to by any other rule/macro");
	T_EQ_STR(diag_code_name(diag_list__at(dl, 1)->code), "LOAD_UNUSED_LIST");
	rule_set_free(rs);
	diag_list_free(dl);
}

T_TEST(test_priorities)
{
	enum rule_priority p;

	T_EQ_INT(rule_priority_parse("emergency", &p), 0);
	T_EQ_INT(p, RULE_PRIO_EMERGENCY);
	T_EQ_INT(rule_priority_parse("INFO", &p), 0);
	T_EQ_INT(p, RULE_PRIO_INFORMATIONAL);
	T_EQ_INT(rule_priority_parse("Informational", &p), 0);
	T_EQ_INT(rule_priority_parse("DeBuG", &p), 0);
	T_EQ_INT(p, RULE_PRIO_DEBUG);
	T_EQ_INT(rule_priority_parse("warn", &p), -EINVAL);
	T_EQ_STR(rule_priority_name(RULE_PRIO_NOTICE), "Notice");
}

T_TEST(test_multi_document_and_aliases)
{
	static const char text[] = "- list: a\n"
				   "  items: &x [p, q]\n"
				   "- list: b\n"
				   "  items: *x\n"
				   "---\n"
				   "- list: c\n"
				   "  items: [b]\n"
				   "- rule: r\n"
				   "  desc: d\n"
				   "  condition: c\n"
				   "  output: o\n"
				   "  priority: debug\n"
				   "  enabled: Off\n"
				   "  tags: [t1, t2, t1]\n"
				   "  warn_evttypes: NO\n"
				   "  skip-if-unknown-filter: yes\n"
				   "  capture: true\n"
				   "  capture_duration: 2000\n";
	struct rule_set *rs = rule_set_new();
	struct diag_list *dl = diag_list_new();
	const struct rule_def *r;

	T_EQ_INT(rule_set_load_string(rs, "m.yaml", text, sizeof(text) - 1, dl), 0);
	T_EQ_INT(diag_list__count(dl), 0);
	T_EQ_STR(t_items(rs, "b"), "p q");
	T_EQ_STR(t_items(rs, "c"), "p q");
	r = t_rule(rs, "r");
	T_CHECK(!r->enabled && !r->warn_evttypes && r->skip_if_unknown_filter && r->capture);
	T_EQ_INT(r->capture_duration, 2000);
	T_EQ_INT(r->ntags, 2);
	rule_set_free(rs);
	diag_list_free(dl);
}

int main(void)
{
	T_RUN(test_falco_rules);
	T_RUN(test_amend_files);
	T_RUN(test_nested_lists);
	T_RUN(test_list_bomb);
	T_RUN(test_error_files);
	T_RUN(test_keep_going);
	T_RUN(test_missing_file);
	T_RUN(test_render_caret);
	T_RUN(test_render_tabs_utf8);
	T_RUN(test_locate_styles);
	T_RUN(test_locate_every_byte);
	T_RUN(test_locate_appended);
	T_RUN(test_unused_hook);
	T_RUN(test_priorities);
	T_RUN(test_multi_document_and_aliases);
	return T_DONE();
}
