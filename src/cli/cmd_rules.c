/*
 * cmd_rules.c - the rules modes of the peregrine program:
 *
 *   peregrine --validate FILE...   load (in order) and compile rules files;
 *                                  "FILE: Ok" or every diagnostic with a caret
 *   peregrine --list-fields [-v]   every field the conditions and outputs know,
 *                                  grouped by class (the reference engine's --list)
 *
 * and cli_load_rules(), the load+compile+report step `-r` shares.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "fields/fields.h"
#include "rules/ruleset.h"

int cli_load_rules(const char *const *files, size_t nfiles, const struct rule_compile_opts *opts,
		   struct rule_set **set_out, const struct rule_ruleset **rs_out, bool show_warnings)
{
	struct diag_list *dl = diag_list_new();
	struct rule_set *set = rule_set_new();
	struct rule_ruleset *rs = NULL;
	size_t i;
	int rc = CLI_EXIT_OK;

	*set_out = NULL;
	*rs_out = NULL;
	if (!dl || !set) {
		rc = CLI_EXIT_FAIL;
		goto out;
	}
	for (i = 0; i < nfiles; i++)
		rule_set_load_file(set, files[i], dl);
	if (diag_list__errors(dl) == 0) {
		rs = rule_compile(set, opts, dl);
		if (!rs && errno == ENOMEM) {
			fprintf(stderr, "peregrine: out of memory\n");
			rc = CLI_EXIT_FAIL;
			goto out;
		}
	}
	if (diag_list__errors(dl)) {
		for (i = 0; i < diag_list__count(dl); i++) {
			const struct diag *d = diag_list__at(dl, i);

			if (d->severity == DIAG_ERROR || show_warnings)
				diag__render(d, stderr);
		}
		rc = CLI_EXIT_BADINPUT;
		rule_ruleset_free(rs);
		rs = NULL;
		goto out;
	}
	if (show_warnings)
		diag_list__render(dl, stderr);
	*set_out = set;
	*rs_out = rs;
	set = NULL;
out:
	rule_set_free(set);
	diag_list_free(dl);
	return rc;
}

/* Did @dl report an error about @file? */
static bool file_has_errors(const struct diag_list *dl, const char *file)
{
	size_t i;

	for (i = 0; i < diag_list__count(dl); i++) {
		const struct diag *d = diag_list__at(dl, i);

		if (d->severity == DIAG_ERROR && strcmp(d->file, file) == 0)
			return true;
	}
	return false;
}

int cmd_validate(int argc, char **argv)
{
	struct diag_list *dl = diag_list_new();
	struct rule_set *set = rule_set_new();
	struct rule_ruleset *rs = NULL;
	int i, rc = CLI_EXIT_OK, nfiles = 0;

	if (!dl || !set) {
		rc = CLI_EXIT_FAIL;
		goto out;
	}
	for (i = 1; i < argc; i++) {
		if (argv[i][0] == '-' && argv[i][1]) {
			fprintf(stderr, "usage: peregrine --validate FILE...\n");
			rc = CLI_EXIT_BADINPUT;
			goto out;
		}
		rule_set_load_file(set, argv[i], dl);
		nfiles++;
	}
	if (!nfiles) {
		fprintf(stderr, "usage: peregrine --validate FILE...\n");
		rc = CLI_EXIT_BADINPUT;
		goto out;
	}
	if (diag_list__errors(dl) == 0) {
		rs = rule_compile(set, NULL, dl);
		if (!rs && errno == ENOMEM) {
			fprintf(stderr, "peregrine: out of memory\n");
			rc = CLI_EXIT_FAIL;
			goto out;
		}
	} else {
		/* the loader found errors: still type-check what loaded, for more reports */
		rule_ruleset_free(rule_compile(set, &(struct rule_compile_opts){
							    .no_unused_warnings = true },
					       dl));
	}
	diag_list__render(dl, stdout);
	for (i = 1; i < argc; i++) {
		bool bad = file_has_errors(dl, argv[i]);

		printf("%s: %s\n", argv[i],
		       bad ? "Invalid" : diag_list__warnings(dl) ? "Ok, with warnings" : "Ok");
	}
	if (rs)
		printf("%zu rules, %zu macros, %zu lists loaded and compiled\n",
		       rule_ruleset__nrules(rs), rule_ruleset__nmacros(rs),
		       rule_ruleset__nlists(rs));
	else
		rc = CLI_EXIT_BADINPUT;
out:
	rule_ruleset_free(rs);
	rule_set_free(set);
	diag_list_free(dl);
	if (fflush(stdout) && rc == CLI_EXIT_OK)
		rc = CLI_EXIT_FAIL;
	return rc;
}

int cmd_list_fields(int argc, char **argv)
{
	bool verbose = argc > 1 && strcmp(argv[1], "-v") == 0;

	fld_list_print(stdout, verbose);
	return fflush(stdout) ? CLI_EXIT_FAIL : CLI_EXIT_OK;
}
