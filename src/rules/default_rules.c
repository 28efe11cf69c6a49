/*
 * default_rules.c - peregrine's default ruleset (rules/peregrine_rules.yaml),
 * embedded in the binary so the engine has rules to run with when no rules
 * file is given or installed. The Makefile turns the YAML into a byte list in
 * $(BUILD)/gen/peregrine_rules.inc; this file only wraps it.
 */
#include <stddef.h>

#include "rules/rules.h"

static const char rules_default_text[] = {
#include "peregrine_rules.inc"
	0x00 /* a terminating NUL, not counted in the length */
};

const char *rules_default_yaml(size_t *len)
{
	if (len)
		*len = sizeof(rules_default_text) - 1;
	return rules_default_text;
}
