/*
 * test_default_rules.c - the default ruleset embedded in the binary: it is
 * byte for byte rules/peregrine_rules.yaml, it loads and compiles with no
 * error and no warning (unused lists and macros included), and every rule
 * carries what an operator needs: a description, an output that names the
 * process, its parent, its user and its pid, a priority and ATT&CK tags.
 * Whether each rule fires is tested on captures by tests/sh/default_rules.sh
 * and live by tests/sh/live_behaviours.sh.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rules/rules.h"
#include "rules/ruleset.h"
#include "t.h"

#define DEFAULT_RULES_FILE "rules/peregrine_rules.yaml"

static char *read_all(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	long n;

	if (!f)
		return NULL;
	if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0) {
		buf = malloc((size_t)n + 1);
		if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n) {
			free(buf);
			buf = NULL;
		}
		if (buf) {
			buf[n] = '\0';
			*len = (size_t)n;
		}
	}
	fclose(f);
	return buf;
}

T_TEST(test_embedded_is_the_file)
{
	size_t flen = 0, elen = 0;
	char *file = read_all(DEFAULT_RULES_FILE, &flen);
	const char *emb = rules_default_yaml(&elen);

	if (!file)
		T_SKIP("%s not readable from %s", DEFAULT_RULES_FILE, "the working directory");
	T_CHECK(emb != NULL);
	T_EQ_INT(elen, flen);
	T_CHECK(elen == flen && memcmp(emb, file, flen) == 0);
	T_EQ_INT(emb[elen], '\0');
	T_CHECK(rules_default_yaml(NULL) == emb);
	free(file);
}

/* Load and compile the embedded text, with the unused warnings on. */
static struct rule_set *load_default(struct diag_list *dl, struct rule_ruleset **out)
{
	struct rule_set *rs = rule_set_new();
	struct rule_compile_opts co = {0};
	size_t len;
	const char *text = rules_default_yaml(&len);

	if (!rs)
		return NULL;
	if (rule_set_load_string(rs, RULES_DEFAULT_NAME, text, len, dl) < 0) {
		*out = NULL;
		return rs;
	}
	*out = rule_compile(rs, &co, dl);
	return rs;
}

T_TEST(test_compiles_without_diagnostics)
{
	struct diag_list *dl = diag_list_new();
	struct rule_ruleset *r = NULL;
	struct rule_set *rs = load_default(dl, &r);

	T_CHECK(rs != NULL);
	T_CHECK(r != NULL);
	if (diag_list__count(dl))
		diag_list__render(dl, stdout);
	T_EQ_INT(diag_list__errors(dl), 0);
	T_EQ_INT(diag_list__warnings(dl), 0);
	T_CHECK(rs && rule_set__nrules(rs) >= 25);
	T_CHECK(r && rule_ruleset__nrules(r) == rule_set__nrules(rs));
	rule_ruleset_free(r);
	rule_set_free(rs);
	diag_list_free(dl);
}

static int has_tag_prefix(const struct rule_def *d, const char *prefix)
{
	for (size_t i = 0; i < d->ntags; i++)
		if (strncmp(d->tags[i], prefix, strlen(prefix)) == 0)
			return 1;
	return 0;
}

T_TEST(test_every_rule_is_complete)
{
	static const char *const out_fields[] = {"%proc.name", "%proc.pname", "%user.name",
						 "%proc.pid"};
	struct diag_list *dl = diag_list_new();
	struct rule_ruleset *r = NULL;
	struct rule_set *rs = load_default(dl, &r);

	for (size_t i = 0; rs && i < rule_set__nrules(rs); i++) {
		const struct rule_def *d = rule_set__rule(rs, i);

		if (!d->enabled || d->desc.len < 20)
			T_FAIL("rule '%s': disabled or no real description", d->name);
		for (size_t k = 0; k < sizeof(out_fields) / sizeof(out_fields[0]); k++)
			if (!strstr(d->output.str, out_fields[k]))
				T_FAIL("rule '%s': output lacks %s", d->name, out_fields[k]);
		if (d->priority > RULE_PRIO_NOTICE)
			T_FAIL("rule '%s': priority below Notice", d->name);
		if (!has_tag_prefix(d, "mitre_") || !has_tag_prefix(d, "T"))
			T_FAIL("rule '%s': no MITRE tactic and technique tags", d->name);
		if (!has_tag_prefix(d, "host") && !has_tag_prefix(d, "container"))
			T_FAIL("rule '%s': neither a host nor a container tag", d->name);
	}
	rule_ruleset_free(r);
	rule_set_free(rs);
	diag_list_free(dl);
}

int main(void)
{
	T_RUN(test_embedded_is_the_file);
	T_RUN(test_compiles_without_diagnostics);
	T_RUN(test_every_rule_is_complete);
	return T_DONE();
}
