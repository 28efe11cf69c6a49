/*
 * main.c - entry point of the peregrine program: picks the subcommand.
 *
 *   peregrine capture info|cat|gen ...   work with .scap capture files
 *   peregrine --validate FILE...         load and compile rules files
 *   peregrine --list-fields              the fields conditions and outputs know
 *   peregrine -r RULES... -e CAPTURE     run rules over a capture
 *
 * The live engine mode joins here as its module lands.
 */
#include <stdio.h>
#include <string.h>

#include "cli.h"

static void usage(FILE *f)
{
	fprintf(f, "usage: peregrine capture info FILE\n"
		   "       peregrine capture cat FILE [-w OUT]\n"
		   "       peregrine capture gen -o FILE [--events N] [--procs P]\n"
		   "                             [--threads-per-proc T] [--skew Z] [--seed S]\n"
		   "       peregrine --validate RULES...\n"
		   "       peregrine --list-fields [-v]\n"
		   "       peregrine -r RULES... -e CAPTURE [--json] [--all-matches]\n");
}

int main(int argc, char **argv)
{
	if (argc >= 2 && strcmp(argv[1], "capture") == 0)
		return cmd_capture(argc - 1, argv + 1);
	if (argc >= 2 && strcmp(argv[1], "--validate") == 0)
		return cmd_validate(argc - 1, argv + 1);
	if (argc >= 2 && strcmp(argv[1], "--list-fields") == 0)
		return cmd_list_fields(argc - 1, argv + 1);
	/* the multi-worker engine is the main path; cmd_replay (the first,
	 * single-threaded one) stays for `peregrine replay ...` */
	if (argc >= 2 && strcmp(argv[1], "replay") == 0)
		return cmd_replay(argc - 1, argv + 1);
	if (argc >= 2 && (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0)) {
		usage(stdout);
		return CLI_EXIT_OK;
	}
	if (argc < 2 || argv[1][0] == '-')
		return cmd_engine(argc, argv); /* the engine: live, or -e CAPTURE */
	usage(stderr);
	return CLI_EXIT_BADINPUT;
}
