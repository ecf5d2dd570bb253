/* run.c - `ntksweep run SPEC`: load the spec (before MPI starts, so a bad spec is refused with
 * one message and nothing written), then run the sweep over all MPI ranks.
 */
#include "ntksweep/cli.h"
#include "ntksweep/error.h"
#include "ntksweep/run.h"
#include "ntksweep/sched.h"
#include "ntksweep/spec.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void run_usage_(FILE *f)
{
    fprintf(f,
            "usage: ntksweep run SPEC.yaml [options]       (under mpirun/srun for several ranks)\n"
            "  --output PATH     archive path (default: the spec's output.path)\n"
            "  --resume          continue an interrupted archive of the same spec\n"
            "  --force           overwrite an existing archive\n"
            "  --deadline SEC    stop handing out work SEC seconds after start (exit %d: "
            "resumable)\n"
            "  --flush SEC       seconds between collective writes (default 10)\n"
            "  --progress SEC    seconds between progress lines on stderr (default 5; 0: quiet)\n"
            "Exit status: 0 done, 1 error, 2 bad spec or usage, %d stopped early (signal or\n"
            "deadline): rerun with --resume.\n",
            NTK_EXIT_RESUMABLE, NTK_EXIT_RESUMABLE);
}

/* The MPI rank of this process before MPI_Init, from the launcher's environment (0 if none), so
 * that only one rank prints a spec error. */
static int env_rank_(void)
{
    const char *vars[] = {"OMPI_COMM_WORLD_RANK", "PMI_RANK", "PMIX_RANK", "SLURM_PROCID"};
    for (size_t i = 0; i < sizeof vars / sizeof vars[0]; i++) {
        const char *v = getenv(vars[i]);
        if (v && *v) return atoi(v);
    }
    return 0;
}

static int parse_double_(const char *opt, const char *s, double *out)
{
    char *end = NULL;
    double v = s ? strtod(s, &end) : 0;
    if (!s || end == s || *end || !(v >= 0)) {
        fprintf(stderr, "ntksweep run: %s expects a non-negative number of seconds, got '%s'\n",
                opt, s ? s : "");
        return -1;
    }
    *out = v;
    return 0;
}

int ntk_cli_run(int argc, char **argv)
{
    ntk_run_opts o = {0};
    o.flush_interval = 10.0;
    o.progress_interval = 5.0;
    const char *spec = NULL;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            run_usage_(stdout);
            return NTK_EXIT_OK;
        } else if (!strcmp(a, "--resume")) {
            o.resume = 1;
        } else if (!strcmp(a, "--force")) {
            o.force = 1;
        } else if (!strcmp(a, "--output") && i + 1 < argc) {
            o.output = argv[++i];
        } else if (!strcmp(a, "--deadline") || !strcmp(a, "--flush") || !strcmp(a, "--progress")) {
            double v;
            if (parse_double_(a, i + 1 < argc ? argv[i + 1] : NULL, &v) < 0) return NTK_EXIT_USAGE;
            i++;
            if (!strcmp(a, "--deadline"))
                o.deadline = v;
            else if (!strcmp(a, "--flush"))
                o.flush_interval = v;
            else
                o.progress_interval = v;
        } else if (a[0] == '-') {
            fprintf(stderr, "ntksweep run: unknown option '%s'\n", a);
            run_usage_(stderr);
            return NTK_EXIT_USAGE;
        } else if (!spec) {
            spec = a;
        } else {
            fprintf(stderr, "ntksweep run: more than one spec given ('%s', '%s')\n", spec, a);
            return NTK_EXIT_USAGE;
        }
    }
    if (!spec) {
        run_usage_(stderr);
        return NTK_EXIT_USAGE;
    }
    if (o.resume && o.force) {
        fprintf(stderr, "ntksweep run: --resume and --force exclude each other\n");
        return NTK_EXIT_USAGE;
    }
    /* Command line for the provenance. */
    size_t len = 1;
    for (int i = 0; i < argc; i++)
        len += strlen(argv[i]) + 1;
    char *cmd = calloc(len + 16, 1);
    if (cmd) {
        strcat(cmd, "ntksweep");
        for (int i = 0; i < argc; i++) {
            strcat(cmd, " ");
            strcat(cmd, argv[i]);
        }
    }
    o.command_line = cmd;

    ntk_sweep *sw = NULL;
    int rc = ntk_spec_load(spec, &sw);
    if (rc < 0) {
        if (env_rank_() == 0) fprintf(stderr, "ntksweep: %s\n", ntk_error_msg());
        free(cmd);
        return ntk_exit_code(rc);
    }
    rc = ntk_sched_init(&argc, &argv);
    if (rc < 0) {
        fprintf(stderr, "ntksweep: %s\n", ntk_error_msg());
        ntk_sweep_free(sw);
        free(cmd);
        return NTK_EXIT_FAILURE;
    }
    rc = ntk_run_sweep(sw, &o);
    if (rc < 0 && ntk_sched_rank() == 0)
        fprintf(stderr, "ntksweep: %s%s\n", rc == NTK_EINTR ? "" : "error: ", ntk_error_msg());
    if (rc == NTK_EINTR && ntk_sched_rank() == 0)
        fprintf(stderr, "ntksweep: stopped early; continue with: ntksweep run %s --resume\n", spec);
    ntk_sweep_free(sw);
    free(cmd);
    ntk_sched_finalize();
    return ntk_exit_code(rc);
}
