/*
 * cli.h - the subcommands of the peregrine program. Only src/cli/ may print
 * to the user and exit(); everything below returns errors.
 *
 * Exit statuses: 0 success, 1 runtime failure, 2 bad input (usage, a corrupt
 * capture, a rules file that does not load).
 */
#ifndef PG_CLI_H
#define PG_CLI_H

#define CLI_EXIT_OK 0
#define CLI_EXIT_FAIL 1
#define CLI_EXIT_BADINPUT 2

/* `peregrine capture info|cat|gen ...`; argv[0] is "capture". */
int cmd_capture(int argc, char **argv);

/* `peregrine capture gen ...`; argv[0] is "gen". */
int cmd_capture_gen(int argc, char **argv);

#endif /* PG_CLI_H */
