/* sched.h - dynamic MPI master/worker scheduling of independent tasks.
 *
 * Rank 0 is the master: it hands out task indices most-expensive-first (by the caller's cost
 * estimates) to workers that ask for them, keeping up to `prefetch` tasks queued per worker so
 * that workers never wait for the master. With few ranks the master also computes: it takes the
 * cheapest remaining tasks, one at a time, and services requests between them.
 *
 * Results: a task may produce a payload for the master (e.g. a chunk of Monte-Carlo samples that
 * must be combined in a fixed order); the scheduler ships it to rank 0 and calls deliver() there.
 * Results kept locally are written by flush(), which every rank calls together (collective) at
 * epochs decided by the master (every flush_interval seconds, and once at the end with last = 1).
 *
 * Stopping: SIGTERM, SIGUSR1 (on any rank) or the deadline make the master stop handing out new
 * tasks; queued tasks finish, a final flush runs, and ntk_sched_run returns NTK_EINTR (the run is
 * resumable: the caller exits with NTK_EXIT_RESUMABLE). SIGINT behaves the same way.
 *
 * MPI is confined to this module and src/io: callers use ntk_sched_init/finalize and pass the
 * opaque communicator handle to the archive.
 */
#ifndef NTKSWEEP_SCHED_H
#define NTKSWEEP_SCHED_H

#include <stddef.h>
#include <stdio.h>

typedef struct {
    void *ctx;
    long n_tasks;
    /* Estimated relative cost of each task (any positive unit); n_tasks entries, borrowed. */
    const double *cost;
    /* Runs task t on the calling rank. It may set *payload (malloc'd; the scheduler frees it) and
     * *len to send a result to rank 0, or leave *payload NULL. Returns 0 or an error code, which
     * stops the whole run (the message is reported by rank 0). */
    int (*run)(void *ctx, long t, void **payload, size_t *len);
    /* Rank 0 only: receives the payload of task t (from any rank, itself included). */
    int (*deliver)(void *ctx, long t, const void *payload, size_t len);
    /* Collective: called on every rank together; writes what is finished. last = 1 at the end. */
    int (*flush)(void *ctx, int last);
    /* Optional: returns 1 when this rank holds enough unwritten results that a flush should
     * come soon (e.g. a memory threshold); the master then starts one at its next step. */
    int (*want_flush)(void *ctx);
    double flush_interval;    /* seconds between collective flushes (default 10) */
    double deadline;          /* seconds after start to stop handing out tasks; 0 = none */
    double progress_interval; /* seconds between progress lines on rank 0; 0 = never */
    FILE *progress;           /* where rank 0 prints progress (stderr) */
    int prefetch;             /* tasks queued per worker (default 2) */
} ntk_sched_job;

typedef struct {
    long tasks_done;   /* over all ranks */
    double elapsed;    /* seconds, wall clock */
    double busy;       /* seconds this rank spent inside run() */
    int stopped_early; /* 1 if stopped by a signal or the deadline */
} ntk_sched_stats;

/* Initializes MPI (MPI_Init_thread, FUNNELED) if needed and installs the signal handlers.
 * Returns 0 or NTK_EMPI. Safe to call once per process. */
int ntk_sched_init(int *argc, char ***argv);
/* Finalizes MPI if ntk_sched_init initialized it. */
void ntk_sched_finalize(void);
/* Rank and size of the world communicator (0 and 1 before init). */
int ntk_sched_rank(void);
int ntk_sched_size(void);
/* Opaque pointer to the scheduler's MPI_Comm (a dup of MPI_COMM_WORLD) for the io module. */
void *ntk_sched_comm(void);
/* Seconds since ntk_sched_init (monotonic clock). */
double ntk_sched_wtime(void);
/* Collective: 1 if status is nonzero on any rank (agree before collective steps); returns the
 * minimum (most negative) status over ranks through *agreed. */
int ntk_sched_agree(int status, int *agreed);
/* Collective: broadcast a buffer from rank 0. */
int ntk_sched_bcast(void *buf, size_t len);
/* Collective: gathers each rank's NUL-terminated hostname into one comma-separated string
 * (malloc'd, caller frees) on every rank. */
char *ntk_sched_hostnames(void);
/* 1 if a stop signal (SIGTERM, SIGUSR1, SIGINT) was received by this process. */
int ntk_sched_stop_requested(void);

/* Runs the job (collective over all ranks). Returns 0 when every task ran, NTK_EINTR when it
 * stopped early (resumable), or the first error code (message set on rank 0). */
int ntk_sched_run(const ntk_sched_job *job, ntk_sched_stats *stats);

#endif
