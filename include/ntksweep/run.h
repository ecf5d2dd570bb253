/* run.h - running a sweep: spec -> tasks -> engines -> collective archive writes.
 *
 * ntk_run_sweep() is collective over all MPI ranks (each rank loads the same spec first). It
 * turns every pending grid point into tasks (one theory task per point; the Monte-Carlo samples
 * of a point in chunks of `sim.chunk` samples), schedules them with sched.h, combines the sample
 * chunks of a point on rank 0 in sample order (so statistics do not depend on the number of
 * ranks or the order of work), and writes finished points into the archive at flush epochs.
 */
#ifndef NTKSWEEP_RUN_H
#define NTKSWEEP_RUN_H

#include "ntksweep/spec.h"

typedef struct {
    const char *output;       /* archive path; NULL: the spec's output.path */
    int resume;               /* 1: continue an existing archive of the same spec */
    int force;                /* 1: overwrite an existing archive */
    double deadline;          /* seconds after start to stop handing out tasks (0: none) */
    double flush_interval;    /* seconds between collective writes (default 10) */
    double progress_interval; /* seconds between progress lines (default 5; 0: quiet) */
    size_t flush_bytes;       /* unwritten results per rank that trigger an early flush (256 MiB) */
    const char *command_line; /* recorded in the provenance */
} ntk_run_opts;

/* Runs the sweep (collective; MPI must be initialized with ntk_sched_init). Returns 0 when every
 * point is done, NTK_EINTR when it stopped early (signal or deadline; rerun with resume), or an
 * error code (message on rank 0; the archive keeps what was written, and can be resumed). */
int ntk_run_sweep(const ntk_sweep *sw, const ntk_run_opts *opts);

#endif
