/* sched.c - dynamic MPI master/worker scheduler with collective flush epochs (see sched.h).
 *
 * Protocol (tags below). Worker -> master: REQ {want, n_done, cost_done} asks for up to `want`
 * tasks and reports completions since the last REQ; RESULT {task id, payload} ships a payload;
 * ERROR {code, message}; STOP (a stop signal arrived on the worker). Master -> worker: TASKS
 * {ids...} (empty: none left), FLUSH {last, status}. WANTFLUSH (worker -> master) asks for an
 * early flush when the worker's unwritten results grow large. Messages between a pair are
 * non-overtaking, so a RESULT always reaches the master before the REQ that reports its task as
 * done; the master therefore knows every payload has arrived once every worker's outstanding count
 * is zero. Collective flushes happen only when the master says so; a worker sees FLUSH between
 * tasks.
 */
#include "ntksweep/sched.h"
#include "ntksweep/error.h"

#include <mpi.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

enum { TAG_REQ = 11, TAG_TASKS, TAG_RESULT, TAG_ERROR, TAG_STOP, TAG_FLUSH, TAG_WANTFLUSH };

static MPI_Comm sched_comm_ = MPI_COMM_NULL;
static int sched_inited_mpi_ = 0;
static int sched_rank_ = 0, sched_size_ = 1;
static double sched_t0_ = 0.0;
static volatile sig_atomic_t sched_stop_flag_ = 0;

static void sched_on_signal_(int sig)
{
    (void)sig;
    sched_stop_flag_ = 1;
}

static double mono_now_(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

int ntk_sched_init(int *argc, char ***argv)
{
    int inited = 0;
    MPI_Initialized(&inited);
    if (!inited) {
        int provided = 0;
        if (MPI_Init_thread(argc, argv, MPI_THREAD_FUNNELED, &provided) != MPI_SUCCESS)
            return ntk_error_set(NTK_EMPI, "MPI_Init_thread failed");
        sched_inited_mpi_ = 1;
    }
    if (sched_comm_ == MPI_COMM_NULL) {
        MPI_Comm_dup(MPI_COMM_WORLD, &sched_comm_);
        MPI_Comm_set_errhandler(sched_comm_, MPI_ERRORS_RETURN);
    }
    MPI_Comm_rank(sched_comm_, &sched_rank_);
    MPI_Comm_size(sched_comm_, &sched_size_);
    sched_t0_ = mono_now_();
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = sched_on_signal_;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGUSR1, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    return NTK_OK;
}

void ntk_sched_finalize(void)
{
    if (sched_comm_ != MPI_COMM_NULL) MPI_Comm_free(&sched_comm_);
    int fin = 0;
    MPI_Finalized(&fin);
    if (sched_inited_mpi_ && !fin) MPI_Finalize();
    sched_inited_mpi_ = 0;
}

int ntk_sched_rank(void)
{
    return sched_rank_;
}

int ntk_sched_size(void)
{
    return sched_size_;
}

void *ntk_sched_comm(void)
{
    return &sched_comm_;
}

double ntk_sched_wtime(void)
{
    return mono_now_() - sched_t0_;
}

int ntk_sched_stop_requested(void)
{
    return sched_stop_flag_ != 0;
}

int ntk_sched_agree(int status, int *agreed)
{
    int mn = status;
    if (sched_comm_ != MPI_COMM_NULL &&
        MPI_Allreduce(&status, &mn, 1, MPI_INT, MPI_MIN, sched_comm_) != MPI_SUCCESS)
        return ntk_error_set(NTK_EMPI, "MPI_Allreduce failed while agreeing on a status");
    if (agreed) *agreed = mn;
    return mn != 0;
}

int ntk_sched_bcast(void *buf, size_t len)
{
    if (sched_comm_ == MPI_COMM_NULL) return NTK_OK;
    if (len > (size_t)INT32_MAX)
        return ntk_error_set(NTK_EINVAL, "broadcast of %zu bytes exceeds 2 GiB", len);
    if (MPI_Bcast(buf, (int)len, MPI_BYTE, 0, sched_comm_) != MPI_SUCCESS)
        return ntk_error_set(NTK_EMPI, "MPI_Bcast of %zu bytes failed", len);
    return NTK_OK;
}

char *ntk_sched_hostnames(void)
{
    char name[MPI_MAX_PROCESSOR_NAME + 1];
    int len = 0;
    memset(name, 0, sizeof name);
    MPI_Get_processor_name(name, &len);
    char *all = calloc((size_t)sched_size_, sizeof name);
    char *out = calloc((size_t)sched_size_, sizeof name + 1);
    if (!all || !out) {
        free(all);
        free(out);
        return NULL;
    }
    MPI_Allgather(name, (int)sizeof name, MPI_CHAR, all, (int)sizeof name, MPI_CHAR, sched_comm_);
    for (int r = 0; r < sched_size_; r++) {
        if (r) strcat(out, ",");
        strcat(out, all + (size_t)r * sizeof name);
    }
    free(all);
    return out;
}

/* ------------------------------------------------------------------ helpers */
static int cmp_cost_desc_(const void *a, const void *b, void *costv)
{
    const double *cost = costv;
    long i = *(const long *)a, j = *(const long *)b;
    if (cost[i] > cost[j]) return -1;
    if (cost[i] < cost[j]) return 1;
    return (i > j) - (i < j); /* ties: lower index first, so the order is deterministic */
}

/* qsort_r is a GNU extension; a small merge sort keeps us in ISO C. */
static void sort_by_cost_(long *v, long n, const double *cost, long *tmp)
{
    if (n < 2) return;
    long h = n / 2;
    sort_by_cost_(v, h, cost, tmp);
    sort_by_cost_(v + h, n - h, cost, tmp);
    long i = 0, j = h, k = 0;
    while (i < h && j < n)
        tmp[k++] = cmp_cost_desc_(&v[j], &v[i], (void *)cost) < 0 ? v[j++] : v[i++];
    while (i < h)
        tmp[k++] = v[i++];
    while (j < n)
        tmp[k++] = v[j++];
    memcpy(v, tmp, (size_t)n * sizeof *v);
}

static void fmt_hms_(double s, char *buf, size_t n)
{
    if (!(s >= 0) || s > 1e8) {
        snprintf(buf, n, "--:--:--");
        return;
    }
    long t = (long)(s + 0.5);
    snprintf(buf, n, "%ld:%02ld:%02ld", t / 3600, (t / 60) % 60, t % 60);
}

static void print_progress_(const ntk_sched_job *job, long done, double cost_done,
                            double cost_total, double elapsed, const char *tag)
{
    if (!job->progress) return;
    char el[32], eta[32];
    fmt_hms_(elapsed, el, sizeof el);
    double frac = cost_total > 0 ? cost_done / cost_total : 1.0;
    fmt_hms_(frac > 0 ? elapsed * (1.0 - frac) / frac : -1.0, eta, sizeof eta);
    fprintf(job->progress,
            "ntksweep: %ld/%ld tasks (%.1f%% of cost) | %.2f tasks/s | elapsed %s | ETA %s%s\n",
            done, job->n_tasks, 100.0 * frac, elapsed > 0 ? (double)done / elapsed : 0.0, el, eta,
            tag);
    fflush(job->progress);
}

/* Pending non-blocking sends of result payloads (worker side). */
typedef struct {
    MPI_Request req;
    void *buf;
} pending_send;

typedef struct {
    pending_send *v;
    int n, cap;
} pending_list;

static void pending_reap_(pending_list *pl, int wait)
{
    for (int i = 0; i < pl->n;) {
        int done = 0;
        if (wait)
            MPI_Wait(&pl->v[i].req, MPI_STATUS_IGNORE), done = 1;
        else
            MPI_Test(&pl->v[i].req, &done, MPI_STATUS_IGNORE);
        if (done) {
            free(pl->v[i].buf);
            pl->v[i] = pl->v[--pl->n];
        } else {
            i++;
        }
    }
}

static int pending_push_(pending_list *pl, MPI_Request r, void *buf)
{
    if (pl->n == pl->cap) {
        int cap = pl->cap ? 2 * pl->cap : 8;
        pending_send *v = realloc(pl->v, (size_t)cap * sizeof *v);
        if (!v) return NTK_ENOMEM;
        pl->v = v;
        pl->cap = cap;
    }
    pl->v[pl->n].req = r;
    pl->v[pl->n].buf = buf;
    pl->n++;
    return NTK_OK;
}

/* Packs {task id, payload} into one byte message. */
static void *pack_result_(long t, const void *payload, size_t len, size_t *total)
{
    *total = sizeof(int64_t) + len;
    unsigned char *buf = malloc(*total);
    if (!buf) return NULL;
    int64_t id = t;
    memcpy(buf, &id, sizeof id);
    if (len) memcpy(buf + sizeof id, payload, len);
    return buf;
}

/* ------------------------------------------------------------------ worker */
static int worker_loop_(const ntk_sched_job *job, ntk_sched_stats *st)
{
    const int prefetch = job->prefetch > 0 ? job->prefetch : 2;
    long *queue = malloc((size_t)(prefetch + 1) * 64 * sizeof *queue);
    long qhead = 0, qlen = 0, qcap = (long)(prefetch + 1) * 64;
    pending_list pend = {0};
    int requested = 0, none_left = 0, told_stop = 0, failed = 0;
    double n_done = 0, cost_done = 0;
    if (!queue) return ntk_error_set(NTK_ENOMEM, "scheduler worker queue");

    for (;;) {
        if (!requested && !none_left && !failed && qlen < prefetch) {
            double req[3] = {(double)(prefetch - qlen), n_done, cost_done};
            MPI_Send(req, 3, MPI_DOUBLE, 0, TAG_REQ, sched_comm_);
            n_done = cost_done = 0;
            requested = 1;
        } else if ((none_left || failed) && n_done > 0) {
            double req[3] = {0.0, n_done, cost_done};
            MPI_Send(req, 3, MPI_DOUBLE, 0, TAG_REQ, sched_comm_);
            n_done = cost_done = 0;
        }
        if (sched_stop_flag_ && !told_stop) {
            MPI_Send(NULL, 0, MPI_BYTE, 0, TAG_STOP, sched_comm_);
            told_stop = 1;
        }
        /* Read messages: block only when there is nothing to compute. */
        for (;;) {
            MPI_Status s;
            int flag = 0;
            if (qlen == 0) {
                MPI_Probe(0, MPI_ANY_TAG, sched_comm_, &s);
                flag = 1;
            } else {
                MPI_Iprobe(0, MPI_ANY_TAG, sched_comm_, &flag, &s);
            }
            if (!flag) break;
            if (s.MPI_TAG == TAG_TASKS) {
                int cnt = 0;
                MPI_Get_count(&s, MPI_LONG, &cnt);
                if (qhead + qlen + cnt > qcap) { /* compact, then grow if needed */
                    memmove(queue, queue + qhead, (size_t)qlen * sizeof *queue);
                    qhead = 0;
                    if (qlen + cnt > qcap) {
                        long *nq = realloc(queue, (size_t)(qlen + cnt) * 2 * sizeof *queue);
                        if (!nq) {
                            free(queue);
                            return ntk_error_set(NTK_ENOMEM, "scheduler worker queue");
                        }
                        queue = nq;
                        qcap = (qlen + cnt) * 2;
                    }
                }
                MPI_Recv(queue + qhead + qlen, cnt, MPI_LONG, 0, TAG_TASKS, sched_comm_,
                         MPI_STATUS_IGNORE);
                qlen += cnt;
                requested = 0;
                if (cnt == 0) none_left = 1;
                if (failed) qlen = 0;
                break; /* back to the top: report completions, run, or ask again */
            } else if (s.MPI_TAG == TAG_FLUSH) {
                int msg[2];
                MPI_Recv(msg, 2, MPI_INT, 0, TAG_FLUSH, sched_comm_, MPI_STATUS_IGNORE);
                pending_reap_(&pend, msg[0]);
                int rc = job->flush ? job->flush(job->ctx, msg[0]) : 0;
                if (msg[0]) {
                    free(queue);
                    free(pend.v);
                    return msg[1] ? msg[1] : rc;
                }
            } else {
                /* Unexpected tag: drain it to keep the protocol alive. */
                MPI_Recv(NULL, 0, MPI_BYTE, 0, s.MPI_TAG, sched_comm_, MPI_STATUS_IGNORE);
            }
            if (qlen > 0) break;
            if (!requested && !none_left && !failed) break; /* go back up and ask for work */
        }
        if (qlen > 0 && !failed) {
            long t = queue[qhead++];
            qlen--;
            void *payload = NULL;
            size_t len = 0;
            double t0 = mono_now_();
            int rc = job->run(job->ctx, t, &payload, &len);
            st->busy += mono_now_() - t0;
            if (rc < 0) {
                char msg[1024];
                snprintf(msg, sizeof msg, "rank %d, task %ld: %s", sched_rank_, t, ntk_error_msg());
                int code = rc;
                char buf[sizeof(int) + sizeof msg];
                memcpy(buf, &code, sizeof code);
                memcpy(buf + sizeof code, msg, sizeof msg);
                MPI_Send(buf, (int)sizeof buf, MPI_BYTE, 0, TAG_ERROR, sched_comm_);
                free(payload);
                failed = 1;
                qlen = 0;
                continue;
            }
            if (payload || len) {
                size_t total = 0;
                void *msg = pack_result_(t, payload, len, &total);
                free(payload);
                if (!msg) {
                    free(queue);
                    return ntk_error_set(NTK_ENOMEM, "result message of task %ld", t);
                }
                MPI_Request r;
                MPI_Isend(msg, (int)total, MPI_BYTE, 0, TAG_RESULT, sched_comm_, &r);
                if (pending_push_(&pend, r, msg) < 0) {
                    MPI_Wait(&r, MPI_STATUS_IGNORE);
                    free(msg);
                }
            }
            n_done += 1;
            cost_done += job->cost[t];
            pending_reap_(&pend, 0);
            if (job->want_flush && job->want_flush(job->ctx))
                MPI_Send(NULL, 0, MPI_BYTE, 0, TAG_WANTFLUSH, sched_comm_);
        }
    }
}

/* ------------------------------------------------------------------ master */
typedef struct {
    long handed, done;
} worker_state;

static int master_loop_(const ntk_sched_job *job, ntk_sched_stats *st)
{
    const int nw = sched_size_ - 1;
    const int prefetch = job->prefetch > 0 ? job->prefetch : 2;
    const double flush_iv = job->flush_interval > 0 ? job->flush_interval : 10.0;
    long *order = malloc((size_t)(job->n_tasks > 0 ? job->n_tasks : 1) * sizeof *order);
    long *tmp = malloc((size_t)(job->n_tasks > 0 ? job->n_tasks : 1) * sizeof *tmp);
    worker_state *ws = calloc((size_t)(nw > 0 ? nw : 1), sizeof *ws);
    long *give = malloc((size_t)(prefetch + 1) * sizeof *give);
    if (!order || !tmp || !ws || !give) {
        free(order), free(tmp), free(ws), free(give);
        return ntk_error_set(NTK_ENOMEM, "scheduler task list of %ld tasks", job->n_tasks);
    }
    double cost_total = 0.0, cost_done = 0.0;
    for (long i = 0; i < job->n_tasks; i++) {
        order[i] = i;
        cost_total += job->cost[i];
    }
    sort_by_cost_(order, job->n_tasks, job->cost, tmp);
    free(tmp);

    long head = 0, tail = job->n_tasks - 1; /* remaining tasks: order[head..tail] */
    long done = 0;
    int stopping = 0, err = 0;
    /* The master computes when there are few ranks; with many it only dispatches. */
    const int master_computes = sched_size_ <= 8;
    double t_start = mono_now_(), last_flush = t_start, last_prog = t_start;
    double max_task_s = 0.0;
    int rc_flush = 0, flush_wanted = 0;

    for (;;) {
        double now = mono_now_();
        if (sched_stop_flag_ && !stopping) stopping = 1;
        if (job->deadline > 0 && !stopping && (now - sched_t0_) + 2.0 * max_task_s >= job->deadline)
            stopping = 1;
        /* Service every pending message. */
        for (;;) {
            int flag = 0;
            MPI_Status s;
            MPI_Iprobe(MPI_ANY_SOURCE, MPI_ANY_TAG, sched_comm_, &flag, &s);
            if (!flag) break;
            int w = s.MPI_SOURCE - 1;
            if (s.MPI_TAG == TAG_REQ) {
                double req[3];
                MPI_Recv(req, 3, MPI_DOUBLE, s.MPI_SOURCE, TAG_REQ, sched_comm_, MPI_STATUS_IGNORE);
                ws[w].done += (long)req[1];
                done += (long)req[1];
                cost_done += req[2];
                int want = (int)req[0];
                if (want > 0) {
                    int n = 0;
                    while (n < want && n < prefetch && !stopping && !err && head <= tail)
                        give[n++] = order[head++];
                    ws[w].handed += n;
                    MPI_Send(give, n, MPI_LONG, s.MPI_SOURCE, TAG_TASKS, sched_comm_);
                }
            } else if (s.MPI_TAG == TAG_RESULT) {
                int cnt = 0;
                MPI_Get_count(&s, MPI_BYTE, &cnt);
                unsigned char *buf = malloc((size_t)cnt + 1);
                if (!buf) {
                    err = ntk_error_set(NTK_ENOMEM, "receiving a %d-byte result", cnt);
                    MPI_Recv(NULL, 0, MPI_BYTE, s.MPI_SOURCE, TAG_RESULT, sched_comm_,
                             MPI_STATUS_IGNORE);
                    continue;
                }
                MPI_Recv(buf, cnt, MPI_BYTE, s.MPI_SOURCE, TAG_RESULT, sched_comm_,
                         MPI_STATUS_IGNORE);
                int64_t t;
                memcpy(&t, buf, sizeof t);
                if (!err && job->deliver) {
                    int rc =
                        job->deliver(job->ctx, (long)t, buf + sizeof t, (size_t)cnt - sizeof t);
                    if (rc < 0) err = rc;
                }
                free(buf);
            } else if (s.MPI_TAG == TAG_ERROR) {
                char buf[sizeof(int) + 1024];
                MPI_Recv(buf, (int)sizeof buf, MPI_BYTE, s.MPI_SOURCE, TAG_ERROR, sched_comm_,
                         MPI_STATUS_IGNORE);
                int code;
                memcpy(&code, buf, sizeof code);
                buf[sizeof buf - 1] = '\0';
                if (!err) err = ntk_error_set(code, "%s", buf + sizeof code);
                /* The failed worker dropped its queue: stop waiting for those tasks. */
                ws[w].done = ws[w].handed;
                stopping = 1;
            } else if (s.MPI_TAG == TAG_STOP) {
                MPI_Recv(NULL, 0, MPI_BYTE, s.MPI_SOURCE, TAG_STOP, sched_comm_, MPI_STATUS_IGNORE);
                stopping = 1;
            } else if (s.MPI_TAG == TAG_WANTFLUSH) {
                MPI_Recv(NULL, 0, MPI_BYTE, s.MPI_SOURCE, TAG_WANTFLUSH, sched_comm_,
                         MPI_STATUS_IGNORE);
                flush_wanted = 1;
            } else {
                MPI_Recv(NULL, 0, MPI_BYTE, s.MPI_SOURCE, s.MPI_TAG, sched_comm_,
                         MPI_STATUS_IGNORE);
            }
        }
        if (err) stopping = 1;

        /* Periodic progress and collective flush. */
        now = mono_now_();
        if (job->progress_interval > 0 && now - last_prog >= job->progress_interval) {
            print_progress_(job, done, cost_done, cost_total, now - t_start, "");
            last_prog = now;
        }
        int outstanding = 0;
        for (int w = 0; w < nw; w++)
            outstanding += ws[w].handed > ws[w].done;
        int remaining = !stopping && head <= tail;
        if (!remaining && outstanding == 0) break;
        if (job->want_flush && job->want_flush(job->ctx)) flush_wanted = 1;
        if (flush_wanted || now - last_flush >= flush_iv) {
            flush_wanted = 0;
            int msg[2] = {0, 0};
            for (int w = 0; w < nw; w++)
                MPI_Send(msg, 2, MPI_INT, w + 1, TAG_FLUSH, sched_comm_);
            int rc = job->flush ? job->flush(job->ctx, 0) : 0;
            if (rc < 0 && !err) err = rc;
            last_flush = mono_now_();
            continue;
        }
        /* Own work: the cheapest remaining task, when every worker is fed. */
        if (remaining && (nw == 0 || master_computes)) {
            long t = order[tail--];
            void *payload = NULL;
            size_t len = 0;
            double t0 = mono_now_();
            int rc = job->run(job->ctx, t, &payload, &len);
            double dt = mono_now_() - t0;
            st->busy += dt;
            if (dt > max_task_s) max_task_s = dt;
            if (rc < 0) {
                err = ntk_error_prefix(rc, "rank 0, task %ld", t);
            } else if ((payload || len) && job->deliver) {
                rc = job->deliver(job->ctx, t, payload, len);
                if (rc < 0) err = rc;
            }
            free(payload);
            done++;
            cost_done += job->cost[t];
            continue;
        }
        /* Nothing to do but wait for workers: sleep briefly instead of spinning. */
        struct timespec ts = {0, 2000000};
        nanosleep(&ts, NULL);
    }

    /* Final flush: tell every worker the run's status so all ranks return the same code. */
    int status = err ? err : (head <= tail ? NTK_EINTR : NTK_OK);
    int msg[2] = {1, status};
    for (int w = 0; w < nw; w++)
        MPI_Send(msg, 2, MPI_INT, w + 1, TAG_FLUSH, sched_comm_);
    rc_flush = job->flush ? job->flush(job->ctx, 1) : 0;
    double el = mono_now_() - t_start;
    print_progress_(job, done, cost_done, cost_total, el,
                    status == NTK_EINTR ? " (stopped early: resumable)" : " (finished)");
    st->tasks_done = done;
    st->stopped_early = status == NTK_EINTR;
    free(order);
    free(ws);
    free(give);
    if (status == NTK_EINTR)
        ntk_error_set(NTK_EINTR, "stopped before all tasks ran (%ld of %ld done)", done,
                      job->n_tasks);
    return status ? status : rc_flush;
}

int ntk_sched_run(const ntk_sched_job *job, ntk_sched_stats *stats)
{
    ntk_sched_stats st = {0};
    double t0 = mono_now_();
    if (sched_comm_ == MPI_COMM_NULL)
        return ntk_error_set(NTK_EMPI, "ntk_sched_run called before ntk_sched_init");
    int rc = sched_rank_ == 0 ? master_loop_(job, &st) : worker_loop_(job, &st);
    st.elapsed = mono_now_() - t0;
    if (stats) *stats = st;
    return rc;
}
