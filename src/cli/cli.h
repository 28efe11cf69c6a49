/*
 * cli.h - the subcommands of the peregrine program. Only src/cli/ may print
 * to the user and exit(); everything below returns errors.
 *
 * Exit statuses: 0 success, 1 runtime failure, 2 bad input (usage, a corrupt
 * capture, a rules file that does not load).
 */
#ifndef PG_CLI_H
#define PG_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#define CLI_EXIT_OK 0
#define CLI_EXIT_FAIL 1
#define CLI_EXIT_BADINPUT 2

/* `peregrine capture info|cat|gen ...`; argv[0] is "capture". */
int cmd_capture(int argc, char **argv);

/* `peregrine capture gen ...`; argv[0] is "gen". */
int cmd_capture_gen(int argc, char **argv);

/* `peregrine --validate FILE...`; argv[0] is "--validate". */
int cmd_validate(int argc, char **argv);

/* `peregrine --list-fields [-v]`; argv[0] is "--list-fields". */
int cmd_list_fields(int argc, char **argv);

/* `peregrine -r RULES... -e CAPTURE [--json]`; argv[0] is the program. */
int cmd_replay(int argc, char **argv);

struct fld_ctx;
struct rule_set;
struct rule_ruleset;
struct rule_compile_opts;

/*
 * Load rules files in order and compile them; errors (and warnings when
 * @show_warnings) go to stderr rendered with a caret. CLI_EXIT_OK with the
 * rule set and ruleset (the caller frees both), else the exit status.
 */
int cli_load_rules(const char *const *files, size_t nfiles, const struct rule_compile_opts *opts,
		   struct rule_set **set, const struct rule_ruleset **rs, bool show_warnings);

/*
 * Replay a capture through one state worker, calling fn for each event with
 * its field context; fn returns non-zero to stop (negative: a failure).
 * Returns an exit status; errors are printed.
 */
typedef int (*cli_replay_fn)(void *arg, const struct fld_ctx *c);
int cli_replay(const char *path, cli_replay_fn fn, void *arg);

/* The engine: `peregrine [-c FILE] [-o k=v]... [-r RULES]... [-e CAPTURE] ...`;
 * argv[0] is the program name. */
int cmd_engine(int argc, char **argv);
/* Its options, for `peregrine --help` and `peregrine -h`. */
void cmd_engine_usage(FILE *f);

#endif /* PG_CLI_H */
