/* info.c - `ntksweep info ARCHIVE`: summarize an archive (spec, provenance, completion, shapes,
 * non-finite values, journal). Serial: needs no mpirun.
 */
#include "ntksweep/archive.h"
#include "ntksweep/cli.h"
#include "ntksweep/error.h"

#include <stdio.h>
#include <string.h>

static void info_usage_(FILE *f)
{
    fprintf(f, "usage: ntksweep info ARCHIVE.h5\n"
               "  Prints the spec name and hash, provenance (versions, hosts, runs), completion\n"
               "  (done / pending / failed points per section), the grid axes, every quantity\n"
               "  with its shape and its NaN / inf counts over done points, the journal state\n"
               "  and the spec text.\n");
}

int ntk_cli_info(int argc, char **argv)
{
    const char *path = NULL;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
            info_usage_(stdout);
            return NTK_EXIT_OK;
        }
        if (argv[i][0] == '-' || path) {
            fprintf(stderr, "ntksweep info: unexpected argument '%s'\n", argv[i]);
            info_usage_(stderr);
            return NTK_EXIT_USAGE;
        }
        path = argv[i];
    }
    if (!path) {
        info_usage_(stderr);
        return NTK_EXIT_USAGE;
    }
    int rc = ntk_archive_info(path, stdout);
    fflush(stdout);
    if (rc < 0) {
        fprintf(stderr, "ntksweep info: %s\n", ntk_error_msg());
        return ntk_exit_code(rc);
    }
    return NTK_EXIT_OK;
}
