/*
 * main.c - entry point of the peregrine program: picks the subcommand.
 *
 *   peregrine capture info|cat|gen ...   work with .scap capture files
 *
 * The engine modes (live, -e CAPTURE, --validate, --list-fields) join here as
 * their modules land.
 */
#include <stdio.h>
#include <string.h>

#include "cli.h"

static void usage(FILE *f)
{
	fprintf(f, "usage: peregrine capture info FILE\n"
		   "       peregrine capture cat FILE [-w OUT]\n"
		   "       peregrine capture gen -o FILE [--events N] [--procs P]\n"
		   "                             [--threads-per-proc T] [--skew Z] [--seed S]\n");
}

int main(int argc, char **argv)
{
	if (argc >= 2 && strcmp(argv[1], "capture") == 0)
		return cmd_capture(argc - 1, argv + 1);
	if (argc >= 2 && (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0)) {
		usage(stdout);
		return CLI_EXIT_OK;
	}
	usage(stderr);
	return CLI_EXIT_BADINPUT;
}
