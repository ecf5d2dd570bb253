/* bench_sched.c - load-balance benchmark of the MPI scheduler.
 *
 * Runs N synthetic tasks whose costs vary 100x (a deterministic, shuffled mix) under the
 * scheduler and compares the makespan with the ideal (sum of task times / ranks). Each task spins
 * on the CPU for cost * unit seconds, so the benchmark measures scheduling, not arithmetic.
 * Usage: mpiexec -n 2 bench_sched [n_tasks] [unit_seconds]     (defaults 400, 0.002)
 * Prints: total work, ideal time, measured time, the ratio measured/ideal (target <= 1.15).
 */
#include "ntksweep/sched.h"

#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <math.h>
#include <time.h>

static double unit_s = 0.002;
static double *cost_;

static double now_(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static int run_(void *ctx, long t, void **payload, size_t *len)
{
    (void)ctx, (void)payload, (void)len;
    double end = now_() + cost_[t] * unit_s;
    volatile double x = 0;
    while (now_() < end)
        x += 1.0;
    return 0;
}

static int flush_(void *ctx, int last)
{
    (void)ctx, (void)last;
    MPI_Barrier(MPI_COMM_WORLD);
    return 0;
}

int main(int argc, char **argv)
{
    ntk_sched_init(&argc, &argv);
    long n = argc > 1 ? atol(argv[1]) : 400;
    if (argc > 2) unit_s = atof(argv[2]);
    cost_ = malloc((size_t)n * sizeof *cost_);
    double total = 0;
    /* Costs 1..100 spread log-uniformly, in a scrambled order (a multiplicative hash). */
    for (long i = 0; i < n; i++) {
        unsigned long h = (unsigned long)(i * 2654435761u) % (unsigned long)n;
        cost_[i] = 1.0 * pow(100.0, (double)h / (double)(n - 1));
        total += cost_[i];
    }
    ntk_sched_job job = {.n_tasks = n,
                         .cost = cost_,
                         .run = run_,
                         .flush = flush_,
                         .flush_interval = 5.0,
                         .prefetch = 2};
    MPI_Barrier(MPI_COMM_WORLD);
    double t0 = now_();
    ntk_sched_stats st;
    int rc = ntk_sched_run(&job, &st);
    double el = now_() - t0;
    int size = ntk_sched_size();
    double ideal = total * unit_s / size;
    if (ntk_sched_rank() == 0)
        printf("bench_sched: ranks %d, tasks %ld (cost 1..100, max/min = 100), work %.2f s, "
               "ideal %.2f s, measured %.2f s, ratio %.3f (target <= 1.15)%s\n",
               size, n, total * unit_s, ideal, el, el / ideal, rc ? " [error]" : "");
    free(cost_);
    ntk_sched_finalize();
    return rc ? 1 : 0;
}
