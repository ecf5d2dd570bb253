/* cli.c - command-line front end: dispatches subcommands. */
#include "ntksweep/cli.h"
#include "ntksweep/error.h"
#include "ntksweep/version.h"

#include <stdio.h>
#include <string.h>

static void ntk_cli_usage_(FILE *f)
{
    fprintf(f, "ntksweep %s (%s)\n"
               "usage: ntksweep <command> [options]\n"
               "  point     one grid point: per-layer theory (and --sim statistics) as TSV\n"
               "  validate  check a sweep spec and print the expanded grid\n"
               "  run       run a sweep spec (under mpirun) into an HDF5 archive\n"
               "  info      summarize an archive\n",
            NTKSWEEP_VERSION, NTKSWEEP_GIT_REVISION);
}

int ntk_cli_main(int argc, char **argv)
{
    if (argc < 2 || strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0) {
        ntk_cli_usage_(argc < 2 ? stderr : stdout);
        return argc < 2 ? NTK_EXIT_USAGE : NTK_EXIT_OK;
    }
    if (strcmp(argv[1], "--version") == 0) {
        printf("ntksweep %s (%s)\n", NTKSWEEP_VERSION, NTKSWEEP_GIT_REVISION);
        return NTK_EXIT_OK;
    }
    if (strcmp(argv[1], "validate") == 0)
        return ntk_cli_validate(argc - 1, argv + 1);
    if (strcmp(argv[1], "run") == 0)
        return ntk_cli_run(argc - 1, argv + 1);
    if (strcmp(argv[1], "info") == 0)
        return ntk_cli_info(argc - 1, argv + 1);
    if (strcmp(argv[1], "point") == 0)
        return ntk_cli_point(argc - 1, argv + 1);
    fprintf(stderr, "ntksweep: unknown command '%s'\n", argv[1]);
    ntk_cli_usage_(stderr);
    return NTK_EXIT_USAGE;
}
