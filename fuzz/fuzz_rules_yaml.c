/*
 * fuzz_rules_yaml.c - libFuzzer harness for the rules-file loader.
 *
 * Loads the input as a rules file into a fresh rule set, then exercises what
 * a compiler would do with the result: walks every rule, maps every offset of
 * every condition and output back to line:col, emits the unused warnings and
 * renders all diagnostics. Seeds: fuzz/corpus/rules_yaml/.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "rules/rules.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void fuzz_locate_all(const struct rule_text *t)
{
	struct diag_loc loc;
	size_t i;

	for (i = 0; i <= t->len; i++)
		rule_text__locate(t, i, &loc);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rule_set *rs = rule_set_new();
	struct diag_list *dl = diag_list_new();
	FILE *devnull = fopen("/dev/null", "w");
	size_t i;

	if (!rs || !dl || !devnull)
		goto out;
	rule_set_load_string(rs, "fuzz.yaml", (const char *)data, size, dl);
	/* a second file on top: appends and overrides against the first */
	rule_set_load_string(rs, "fuzz2.yaml", (const char *)data, size, dl);
	for (i = 0; i < rule_set__nrules(rs); i++) {
		const struct rule_def *r = rule_set__rule(rs, i);

		fuzz_locate_all(&r->cond);
		fuzz_locate_all(&r->output);
	}
	for (i = 0; i < rule_set__nmacros(rs); i++)
		fuzz_locate_all(&rule_set__macro(rs, i)->cond);
	rule_set__warn_unused(rs, dl);
	diag_list__render(dl, devnull);
out:
	if (devnull)
		fclose(devnull);
	rule_set_free(rs);
	diag_list_free(dl);
	return 0;
}
