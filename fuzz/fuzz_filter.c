/*
 * fuzz_filter.c - libFuzzer harness for the condition parser (one stage:
 * parse). Any input must either parse or fail with a diagnostic whose span
 * lies inside the input - never crash, hang or leak. What parses must print,
 * and the print must parse again to the same print (the round trip the
 * compiler and tests rely on).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "rules/filter.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct flt_diag d;
	struct flt_ast *ast, *ast2;
	char *p1, *p2;

	ast = flt_parse((const char *)data, size, &d);
	if (!ast) {
		if (d.span.start > d.span.end || d.span.end > size + 1 || !d.msg[0])
			abort();
		return 0;
	}
	p1 = flt_node__print(flt_ast__root(ast));
	if (!p1)
		abort();
	ast2 = flt_parse(p1, strlen(p1), &d);
	if (!ast2)
		abort(); /* the canonical print must parse */
	p2 = flt_node__print(flt_ast__root(ast2));
	if (!p2 || strcmp(p1, p2) != 0)
		abort(); /* and print the same */
	free(p2);
	free(p1);
	flt_ast__free(ast2);
	flt_ast__free(ast);
	return 0;
}
