/*
 * main.c - entry point of the peregrine program: picks the subcommand.
 *
 *   peregrine capture info|cat|gen ...   work with .scap capture files
 *   peregrine --validate FILE...         load and compile rules files
 *   peregrine --list-fields              the fields conditions and outputs know
 *   peregrine [OPTION]...                the engine: live, or -e CAPTURE
 *   peregrine replay ...                 the first, single-threaded replay
 */
#include <stdio.h>
#include <string.h>

#include "cli.h"

static void usage(FILE *f)
{
	fprintf(f, "usage: peregrine [OPTION]...              run live: eBPF probe, rules, alerts\n"
		   "       peregrine -e CAPTURE [OPTION]...   replay a .scap capture through the rules\n"
		   "       peregrine --validate RULES...      load and compile rules files\n"
		   "       peregrine --list-fields [-v]       the fields conditions and outputs know\n"
		   "       peregrine capture info|cat|gen ... read, filter, copy and generate captures\n"
		   "                                          (peregrine capture --help)\n"
		   "\n");
	cmd_engine_usage(f);
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
