/* test_sched.c - MPI scheduler: every task runs exactly once, payloads reach rank 0, flushes are
 * collective, a stop signal ends the run early with NTK_EINTR on every rank.
 *
 * Usage: test_sched [stop]   (run under mpiexec with any number of ranks)
 */
#include "check.h"
#include "ntksweep/error.h"
#include "ntksweep/sched.h"

#include <mpi.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef struct {
    long n;
    int *ran;       /* per task, on this rank */
    int *delivered; /* per task, rank 0 */
    int nflush, nflush_last;
    int stop_at; /* raise SIGUSR1 on this rank after this many local tasks (-1: never) */
    int local_runs;
} ctx_t;

static void spin_(double s)
{
    struct timespec a, b;
    clock_gettime(CLOCK_MONOTONIC, &a);
    do
        clock_gettime(CLOCK_MONOTONIC, &b);
    while ((double)(b.tv_sec - a.tv_sec) + 1e-9 * (double)(b.tv_nsec - a.tv_nsec) < s);
}

static int run_(void *vctx, long t, void **payload, size_t *len)
{
    ctx_t *c = vctx;
    c->ran[t]++;
    spin_(1e-4 * (double)(1 + t % 7));
    if (++c->local_runs == c->stop_at) raise(SIGUSR1);
    long *p = malloc(2 * sizeof *p);
    p[0] = t;
    p[1] = 3 * t + 1;
    *payload = p;
    *len = 2 * sizeof *p;
    return 0;
}

static int deliver_(void *vctx, long t, const void *payload, size_t len)
{
    ctx_t *c = vctx;
    const long *p = payload;
    if (len != 2 * sizeof *p || p[0] != t || p[1] != 3 * t + 1)
        return ntk_error_set(NTK_EINVAL, "bad payload for task %ld", t);
    c->delivered[t]++;
    return 0;
}

static int flush_(void *vctx, int last)
{
    ctx_t *c = vctx;
    /* A real collective: all ranks must be here together. */
    int one = 1, sum = 0;
    MPI_Allreduce(&one, &sum, 1, MPI_INT, MPI_SUM, MPI_COMM_WORLD);
    c->nflush++;
    c->nflush_last += last;
    return sum == ntk_sched_size() ? 0 : NTK_EMPI;
}

int main(int argc, char **argv)
{
    int stop_mode = argc > 1 && strcmp(argv[1], "stop") == 0;
    if (ntk_sched_init(&argc, &argv) != 0) return 2;
    int rank = ntk_sched_rank(), size = ntk_sched_size();
    ctx_t c = {0};
    c.n = stop_mode ? 4000 : 500;
    c.ran = calloc((size_t)c.n, sizeof *c.ran);
    c.delivered = calloc((size_t)c.n, sizeof *c.delivered);
    c.stop_at = stop_mode && rank == size - 1 ? 20 : -1;
    double *cost = malloc((size_t)c.n * sizeof *cost);
    for (long t = 0; t < c.n; t++)
        cost[t] = 1.0 + (double)(t % 7);
    ntk_sched_job job = {.ctx = &c,
                         .n_tasks = c.n,
                         .cost = cost,
                         .run = run_,
                         .deliver = deliver_,
                         .flush = flush_,
                         .flush_interval = 0.05,
                         .prefetch = 2};
    ntk_sched_stats st;
    int rc = ntk_sched_run(&job, &st);

    /* Sum per-task run counts over ranks. */
    int *total = calloc((size_t)c.n, sizeof *total);
    MPI_Allreduce(c.ran, total, (int)c.n, MPI_INT, MPI_SUM, MPI_COMM_WORLD);
    if (rank == 0) {
        long ran_once = 0, ran_more = 0, deliv_ok = 0;
        for (long t = 0; t < c.n; t++) {
            ran_once += total[t] == 1;
            ran_more += total[t] > 1;
            deliv_ok += c.delivered[t] == total[t];
        }
        CHECK_INT(ran_more, 0);
        CHECK_INT(deliv_ok, c.n);
        if (stop_mode) {
            CHECK_INT(rc, NTK_EINTR);
            CHECK(ran_once < c.n);
            CHECK(st.stopped_early == 1);
        } else {
            CHECK_INT(rc, 0);
            CHECK_INT(ran_once, c.n);
            CHECK_INT(st.tasks_done, c.n);
        }
    }
    CHECK_INT(c.nflush_last, 1);
    CHECK(c.nflush >= 1);
    /* Every rank returns the same status. */
    int mn = 0, mx = 0;
    MPI_Allreduce(&rc, &mn, 1, MPI_INT, MPI_MIN, MPI_COMM_WORLD);
    MPI_Allreduce(&rc, &mx, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
    CHECK_INT(mn, mx);
    int fails = check_nfail_, allfails = 0;
    MPI_Allreduce(&fails, &allfails, 1, MPI_INT, MPI_SUM, MPI_COMM_WORLD);
    int ret = 0;
    if (rank == 0) {
        check_nfail_ = allfails;
        ret = check_summary(stop_mode ? "sched.stop" : "sched.run");
    }
    MPI_Bcast(&ret, 1, MPI_INT, 0, MPI_COMM_WORLD);
    free(cost), free(total), free(c.ran), free(c.delivered);
    ntk_sched_finalize();
    return ret;
}
