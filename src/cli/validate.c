/* validate.c - `ntksweep validate spec.yaml`: checks a sweep spec and prints the expanded grid. */
#include "ntksweep/cli.h"
#include "ntksweep/error.h"
#include "ntksweep/spec.h"

#include <stdio.h>
#include <string.h>

static void validate_usage_(FILE *f)
{
    fprintf(f, "usage: ntksweep validate [-q] SPEC.yaml\n"
               "  Parses and checks every grid point of the spec, then prints the axes, the\n"
               "  number of points and tasks, cost and size estimates and the effective\n"
               "  configuration. -q prints nothing on success.\n"
               "  Exit status: 0 valid, 2 invalid (the error is printed on stderr).\n");
}

int ntk_cli_validate(int argc, char **argv)
{
    const char *path = NULL;
    int quiet = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
            validate_usage_(stdout);
            return NTK_EXIT_OK;
        }
        if (strcmp(argv[i], "-q") == 0 || strcmp(argv[i], "--quiet") == 0) {
            quiet = 1;
        } else if (argv[i][0] == '-' && argv[i][1] != '\0') {
            fprintf(stderr, "ntksweep validate: unknown option '%s'\n", argv[i]);
            validate_usage_(stderr);
            return NTK_EXIT_USAGE;
        } else if (path) {
            fprintf(stderr, "ntksweep validate: one spec at a time ('%s' and '%s')\n", path,
                    argv[i]);
            return NTK_EXIT_USAGE;
        } else {
            path = argv[i];
        }
    }
    if (!path) {
        validate_usage_(stderr);
        return NTK_EXIT_USAGE;
    }
    ntk_sweep *s = NULL;
    int rc = ntk_spec_load(path, &s);
    if (rc < 0) {
        fprintf(stderr, "ntksweep validate: %s\n", ntk_error_msg());
        return rc == NTK_ENOMEM ? NTK_EXIT_FAILURE : NTK_EXIT_USAGE;
    }
    if (!quiet) {
        rc = ntk_sweep_describe(s, stdout);
        if (rc < 0) fprintf(stderr, "ntksweep validate: %s\n", ntk_error_msg());
    }
    ntk_sweep_free(s);
    return rc < 0 ? NTK_EXIT_FAILURE : NTK_EXIT_OK;
}
