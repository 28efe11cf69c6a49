/*
 * fuzz_compile.c - libFuzzer harness for the rules compiler (stages: parse,
 * compile against the field registry, render the errors). Input: condition
 * text. Any input must compile or fail with located diagnostics - never
 * crash, hang or leak; what compiles must survive freeing.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rules/ruleset.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct diag_list *dl = diag_list_new();
	struct rule_ruleset *rs;
	char *cond = malloc(size + 1);
	size_t i;

	if (!dl || !cond)
		abort();
	memcpy(cond, data, size);
	cond[size] = 0;
	rs = rule_compile_condition("fuzz", cond, dl);
	if (!rs && diag_list__errors(dl) == 0 && strlen(cond) == size)
		abort(); /* a failure must say why */
	for (i = 0; i < diag_list__count(dl); i++) {
		const struct diag *d = diag_list__at(dl, i);

		if (!d->msg || !d->msg[0])
			abort();
	}
	rule_ruleset_free(rs);
	diag_list_free(dl);
	free(cond);
	return 0;
}
