/*
 * test_filter_cases.c - data-driven parser cases from tests/data/filter/.
 *
 * Each case is a condition and either its canonical print or the error it
 * must produce (message and column), so adding a case is adding two lines to
 * cases.txt. Every accepted case is also checked for a stable round trip.
 */
#include "rules/filter.h"
#include "t.h"

#define CASES_FILE "tests/data/filter/cases.txt"

static int ncases, nerrs;

/* One case; returns 0 when it holds, else prints why and returns -1. */
static int run_case(int lineno, const char *in, const char *want, bool is_err)
{
	struct flt_diag d;
	struct flt_ast *ast = flt_parse(in, strlen(in), &d);
	char got[512], *p1, *p2;
	int ret = 0;

	if (!ast) {
		snprintf(got, sizeof(got), "err: %u: %s", d.span.start + 1, d.msg);
		if (!is_err || strcmp(got + 5, want)) {
			printf("  line %d: %s\n    want %s%s\n    got  %s\n", lineno, in,
			       is_err ? "err: " : "out: ", want, got);
			return -1;
		}
		return 0;
	}
	p1 = flt_node__print(flt_ast__root(ast));
	flt_ast__free(ast);
	if (is_err || strcmp(p1, want)) {
		printf("  line %d: %s\n    want %s%s\n    got  out: %s\n", lineno, in,
		       is_err ? "err: " : "out: ", want, p1);
		free(p1);
		return -1;
	}
	ast = flt_parse(p1, strlen(p1), &d);
	p2 = ast ? flt_node__print(flt_ast__root(ast)) : NULL;
	if (!p2 || strcmp(p1, p2)) {
		printf("  line %d: round trip: %s -> %s\n", lineno, p1, p2 ? p2 : d.msg);
		ret = -1;
	}
	free(p1);
	free(p2);
	flt_ast__free(ast);
	return ret;
}

T_TEST(test_cases_file)
{
	FILE *f = fopen(CASES_FILE, "r");
	char line[4096], in[4096];
	int lineno = 0, failures = 0;
	bool have_in = false;

	if (!f)
		T_FAIL("cannot open %s (run from the repository root)", CASES_FILE);
	while (fgets(line, sizeof(line), f)) {
		lineno++;
		line[strcspn(line, "\n")] = '\0';
		if (!strncmp(line, "in:", 3)) {
			snprintf(in, sizeof(in), "%s", line[3] == ' ' ? line + 4 : line + 3);
			have_in = true;
		} else if (!strncmp(line, "out: ", 5) || !strncmp(line, "err: ", 5)) {
			bool is_err = line[0] == 'e';

			if (!have_in) {
				printf("  line %d: no in: before it\n", lineno);
				failures++;
				continue;
			}
			failures += run_case(lineno, in, line + 5, is_err) ? 1 : 0;
			ncases++;
			nerrs += is_err;
			have_in = false;
		}
	}
	fclose(f);
	printf("  %d cases, %d of them errors\n", ncases, nerrs);
	T_EQ_INT(failures, 0);
	T_CHECK(nerrs >= 20);
}

/* Conditions spanning lines: positions and the "line L col C" form. */
T_TEST(test_multiline_errors)
{
	static const char src[] = "proc.name = bash and\n  (fd.name = x or\n   fd.name = y";
	struct flt_diag d;

	T_CHECK(flt_parse(src, sizeof(src) - 1, &d) == NULL);
	T_EQ_STR(d.msg, "expected ')' to close '(' opened at line 2 col 3");
	T_EQ_INT(d.span.start, sizeof(src) - 1);
	T_CHECK(d.has_note);
	T_EQ_INT(d.note_span.start, 23);
}

T_TEST(test_whitespace_variants)
{
	static const char *const conds[] = {
		"a and b",
		"\ta\tand\tb\t",
		"\na\nand\nb\n",
		"  a \r\n and   b  ",
	};
	struct flt_diag d;

	for (size_t i = 0; i < sizeof(conds) / sizeof(conds[0]); i++) {
		struct flt_ast *ast = flt_parse(conds[i], strlen(conds[i]), &d);
		char *s;

		T_CHECK(ast != NULL);
		s = flt_node__print(flt_ast__root(ast));
		T_EQ_STR(s, "a and b");
		free(s);
		flt_ast__free(ast);
	}
	T_CHECK(flt_parse("  \n\t ", 5, &d) == NULL);
	T_EQ_STR(d.msg, "empty condition");
}

T_TEST(test_nul_byte)
{
	static const char src[] = "proc.name = ba\0sh";
	struct flt_diag d;

	T_CHECK(flt_parse(src, sizeof(src) - 1, &d) == NULL);
	T_EQ_STR(d.msg, "NUL byte in condition");
	T_EQ_INT(d.span.start, 14);
}

int main(void)
{
	T_RUN(test_cases_file);
	T_RUN(test_multiline_errors);
	T_RUN(test_whitespace_variants);
	T_RUN(test_nul_byte);
	return T_DONE();
}
