/* run.c - runs a sweep: builds the archive layout and the task list from the spec, runs theory
 * and Monte-Carlo tasks under the scheduler, assembles sample chunks on rank 0 in sample order
 * and writes finished points collectively at flush epochs (see run.h).
 *
 * Sections: "theory" and "phase" (one theory task per point), "sim" (statistics of all samples)
 * and, when the spec keeps samples (sim.keep_samples), "samples": the selected per-sample record
 * quantities of the first keep_samples samples of each point over a sample dim of the largest
 * keep_samples of the grid. A point's sim and samples records come from the same assembled
 * samples and are queued together, so they are written at the same flush.
 */
#include "ntksweep/run.h"
#include "ntksweep/archive.h"
#include "ntksweep/blas.h"
#include "ntksweep/error.h"
#include "ntksweep/phase.h"
#include "ntksweep/sched.h"
#include "ntksweep/sim.h"
#include "ntksweep/theory.h"

#include <gsl/gsl_version.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

enum { TASK_THEORY = 0, TASK_SIM = 1 };
enum { SEC_MAX = 4 };

/* Finished records of one section waiting for the next collective write (owned). */
typedef struct {
    long n, cap;
    long *idx;
    double **rec;
    double *seconds;
    long *nonfinite;
} pending_t;

/* Rank 0: sample chunks of one point arriving in any order. */
typedef struct {
    double *records; /* samples x record_size, sample order */
    long chunks_got;
    double seconds;
} simacc_t;

typedef struct {
    const ntk_sweep *sw;
    const ntk_run_opts *opts;
    long npoints;
    int k;
    /* layout */
    ntk_archive_layout lay;
    ntk_archive_axis *axes;
    ntk_archive_aux **aux;
    ntk_archive_section sec[SEC_MAX];
    int sec_theory, sec_sim, sec_phase, sec_samples;
    ntk_qty_desc th_tab[NTK_TQ_COUNT];
    int th_map[NTK_TQ_COUNT], th_n;
    ntk_qty_desc sm_tab[NTK_SR_COUNT];
    int sm_map[NTK_SR_COUNT], sm_n;
    ntk_qty_desc sp_tab[NTK_SQ_COUNT]; /* record quantities with the sample dim added */
    int sp_map[NTK_SQ_COUNT], sp_n;
    size_t rec_size[SEC_MAX];
    /* tasks */
    long n_tasks;
    long *task_point;
    int *task_kind;
    long *task_chunk;
    double *cost;
    /* results */
    ntk_archive *ar;
    const unsigned char
        *open_status[SEC_MAX]; /* per section, as found at open (NULL: all pending) */
    pending_t pend[SEC_MAX];
    size_t pending_bytes;
    simacc_t *acc; /* npoints entries, rank 0 */
} run_ctx;

/* ------------------------------------------------------------------ pending records */
static int pending_push_(run_ctx *c, int sec, long idx, double *rec, double seconds, long nf)
{
    pending_t *p = &c->pend[sec];
    if (p->n == p->cap) {
        long cap = p->cap ? 2 * p->cap : 64;
        long *idx2 = realloc(p->idx, (size_t)cap * sizeof *idx2);
        if (idx2) p->idx = idx2;
        double **rec2 = realloc(p->rec, (size_t)cap * sizeof *rec2);
        if (rec2) p->rec = rec2;
        double *s2 = realloc(p->seconds, (size_t)cap * sizeof *s2);
        if (s2) p->seconds = s2;
        long *nf2 = realloc(p->nonfinite, (size_t)cap * sizeof *nf2);
        if (nf2) p->nonfinite = nf2;
        if (!idx2 || !rec2 || !s2 || !nf2)
            return ntk_error_set(NTK_ENOMEM, "pending results of point %ld", idx);
        p->cap = cap;
    }
    p->idx[p->n] = idx;
    p->rec[p->n] = rec;
    p->seconds[p->n] = seconds;
    p->nonfinite[p->n] = nf;
    p->n++;
    c->pending_bytes += c->rec_size[sec] * sizeof(double);
    return NTK_OK;
}

static void pending_clear_(run_ctx *c, int sec)
{
    pending_t *p = &c->pend[sec];
    for (long i = 0; i < p->n; i++)
        free(p->rec[i]);
    p->n = 0;
}

static void pending_free_(pending_t *p)
{
    for (long i = 0; i < p->n; i++)
        free(p->rec[i]);
    free(p->idx), free(p->rec), free(p->seconds), free(p->nonfinite);
    memset(p, 0, sizeof *p);
}

static double wall_(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

/* ------------------------------------------------------------------ tasks */
/* 1 if section sec (>= 0) of point idx still has to be written. */
static int needs_(const run_ctx *c, int sec, long idx)
{
    return sec >= 0 && (!c->open_status[sec] || c->open_status[sec][idx] == NTK_ARCHIVE_PENDING);
}

/* Queues a record for a section if the point still needs it there; frees it otherwise. */
static int offer_(run_ctx *c, int sec, long idx, double *rec, double seconds, long nf)
{
    if (!needs_(c, sec, idx)) {
        free(rec);
        return NTK_OK;
    }
    return pending_push_(c, sec, idx, rec, seconds, nf);
}

/* Queues the phase-section record of a point: the per-point scalars of the feed-forward map
 * (from the first pre-activation's variance), or NaN when compute is 0 or they are undefined. */
static int run_phase_(run_ctx *c, const ntk_point *pt, int compute)
{
    if (c->sec_phase < 0) return NTK_OK;
    size_t n = c->rec_size[c->sec_phase];
    double *ph = malloc(n * sizeof *ph);
    if (!ph) return ntk_error_set(NTK_ENOMEM, "phase record of point %ld", pt->index);
    const ntk_model *m = &pt->model;
    double q0 = m->sigma_w * m->sigma_w * pt->gram[0] + m->sigma_b * m->sigma_b;
    if (!compute || ntk_phase_point(m, q0, ph) < 0)
        for (size_t i = 0; i < n; i++)
            ph[i] = NAN;
    return offer_(c, c->sec_phase, pt->index, ph, 0.0, 0);
}

static int run_theory_(run_ctx *c, long idx)
{
    ntk_point pt;
    ntk_program prog;
    NTK_TRY(ntk_sweep_point(c->sw, idx, &pt));
    NTK_TRY(run_phase_(c, &pt, pt.theory));
    double t0 = wall_();
    double *rec = malloc(c->rec_size[c->sec_theory] * sizeof *rec);
    if (!rec) return ntk_error_set(NTK_ENOMEM, "theory record of point %ld", idx);
    if (!pt.theory) { /* this point asks for no theory: an all-NaN record */
        for (size_t i = 0; i < c->rec_size[c->sec_theory]; i++)
            rec[i] = NAN;
        return offer_(c, c->sec_theory, idx, rec, 0.0, 0);
    }
    int rc = ntk_model_compile(&pt.model, &prog);
    ntk_theory_result *r = rc == 0 ? ntk_theory_result_alloc(pt.k, pt.model.depth) : NULL;
    if (rc == 0 && !r) rc = NTK_ENOMEM;
    if (rc == 0) {
        ntk_inputs in = {pt.k, pt.gram};
        rc = ntk_theory_run(&prog, &in, r);
    }
    if (rc == 0) {
        const double *q[NTK_TQ_COUNT];
        for (int i = 0; i < c->th_n; i++)
            q[i] = r->data[c->th_map[i]];
        rc = ntk_archive_pack(&c->lay, c->sec_theory, &r->shape, q, rec);
    }
    long nf = r ? r->n_nonfinite : 0;
    ntk_theory_result_free(r);
    if (rc == NTK_ENOMEM) {
        free(rec);
        return rc;
    }
    if (rc < 0) { /* a failed point is data: recorded as failed, the sweep goes on */
        fprintf(stderr, "ntksweep: rank %d: theory of point %ld failed: %s\n", ntk_sched_rank(),
                idx, ntk_error_msg());
        free(rec);
        rec = NULL;
    }
    return offer_(c, c->sec_theory, idx, rec, wall_() - t0, nf);
}

/* Payload of a sim chunk: int64 {chunk, n_samples, n_nonfinite}, double seconds, records. */
typedef struct {
    int64_t chunk, nsamp, nonfinite;
    double seconds;
} chunk_hdr;

static int run_sim_(run_ctx *c, long idx, long chunk, void **payload, size_t *len)
{
    ntk_point pt;
    ntk_program prog;
    NTK_TRY(ntk_sweep_point(c->sw, idx, &pt));
    NTK_TRY(ntk_model_compile(&pt.model, &prog));
    long s0 = chunk * pt.chunk, s1 = s0 + pt.chunk;
    if (s1 > pt.samples) s1 = pt.samples;
    double t0 = wall_();
    ntk_sim *sim = ntk_sim_alloc(&prog, pt.width, pt.k, (ntk_sim_engine)pt.engine);
    if (!sim) return ntk_error_prefix(NTK_EINVAL, "point %ld", idx);
    const ntk_sim_layout *sl = ntk_sim_layout_of(sim);
    size_t rs = sl->record_size;
    size_t bytes = sizeof(chunk_hdr) + (size_t)(s1 - s0) * rs * sizeof(double);
    unsigned char *buf = malloc(bytes);
    double *X = malloc((size_t)pt.model.d * (size_t)pt.k * sizeof *X);
    int rc = (!buf || !X) ? ntk_error_set(NTK_ENOMEM, "sample chunk of point %ld", idx) : 0;
    if (rc == 0) rc = ntk_sim_inputs_from_gram(pt.k, pt.gram, pt.model.d, X);
    long nonfinite = 0;
    double *recs = (double *)(buf + sizeof(chunk_hdr));
    for (long s = s0; rc == 0 && s < s1; s++) {
        int nf = ntk_sim_sample(sim, X, ntk_sweep_seed(c->sw), pt.key, (uint64_t)s,
                                recs + (size_t)(s - s0) * rs);
        if (nf < 0)
            rc = nf;
        else
            nonfinite += nf > 0;
    }
    ntk_sim_free(sim);
    free(X);
    if (rc < 0) {
        free(buf);
        return ntk_error_prefix(rc, "simulation of point %ld, samples %ld..%ld", idx, s0, s1 - 1);
    }
    chunk_hdr h = {chunk, s1 - s0, nonfinite, wall_() - t0};
    memcpy(buf, &h, sizeof h);
    *payload = buf;
    *len = bytes;
    return NTK_OK;
}

static int task_run_(void *vctx, long t, void **payload, size_t *len)
{
    run_ctx *c = vctx;
    if (c->task_kind[t] == TASK_THEORY) return run_theory_(c, c->task_point[t]);
    return run_sim_(c, c->task_point[t], c->task_chunk[t], payload, len);
}

/* Rank 0: the samples-section record of a point from its assembled per-sample records (samples
 * x sl->record_size, sample order): every selected record quantity of the first keep_samples
 * samples, regrouped from sample-major records to [layer][group][sample][pair|input]
 * (quantity.h) and NaN-padded by ntk_archive_pack to the archive's sample and layer lengths.
 * *nf: kept samples with a non-finite value, as the sim section counts them (sim_nf when every
 * sample is kept). *out is malloc'd. */
static int samples_record_(run_ctx *c, const ntk_point *pt, const ntk_program *prog,
                           const ntk_sim_layout *sl, const double *records, long sim_nf,
                           double **out, long *nf)
{
    long nkeep = pt->keep_samples < pt->samples ? pt->keep_samples : pt->samples;
    if (nkeep > c->lay.n_sample) nkeep = c->lay.n_sample;
    if (nkeep < 0) nkeep = 0;
    size_t tot = 0;
    for (int i = 0; i < c->sp_n; i++)
        tot += sl->size[c->sp_map[i]] * (size_t)nkeep;
    double *rec = malloc(c->rec_size[c->sec_samples] * sizeof *rec);
    double *buf = malloc((tot ? tot : 1) * sizeof *buf);
    int rc = (!rec || !buf) ? ntk_error_set(NTK_ENOMEM, "kept samples of point %ld (%ld samples)",
                                            pt->index, nkeep)
                            : 0;
    const double *q[NTK_SQ_COUNT];
    size_t off = 0;
    for (int i = 0; rc == 0 && i < c->sp_n; i++) {
        int sq = c->sp_map[i];
        unsigned dims = ntk_sim_qty_table()[sq].dims;
        size_t outer = (dims & NTK_DIM_LAYER) ? (size_t)sl->shape.n_layer : 1;
        if (dims & NTK_DIM_GROUP) outer *= (size_t)sl->shape.n_group;
        size_t inner = sl->size[sq] / outer; /* pairs or inputs (or 1) */
        double *dst = buf + off;
        for (size_t o = 0; o < outer; o++)
            for (long s = 0; s < nkeep; s++)
                memcpy(dst + (o * (size_t)nkeep + (size_t)s) * inner,
                       records + (size_t)s * sl->record_size + sl->offset[sq] + o * inner,
                       inner * sizeof *dst);
        q[i] = dst;
        off += sl->size[sq] * (size_t)nkeep;
    }
    if (rc == 0) {
        ntk_qty_shape sh = sl->shape;
        sh.n_sample = nkeep;
        rc = ntk_archive_pack(&c->lay, c->sec_samples, &sh, q, rec);
    }
    free(buf);
    *nf = 0;
    if (rc == 0 && nkeep == pt->samples)
        *nf = sim_nf;
    else if (rc == 0 && nkeep > 0) {
        ntk_sim_result *res = ntk_sim_result_alloc(pt->model.depth, pt->k);
        rc = res ? ntk_sim_stats(prog, pt->k, nkeep, records, res)
                 : ntk_error_set(NTK_ENOMEM, "kept samples of point %ld", pt->index);
        if (rc == 0) *nf = (long)res->data[NTK_SR_N_NONFINITE][0];
        ntk_sim_result_free(res);
    }
    if (rc < 0) {
        free(rec);
        return rc;
    }
    *out = rec;
    return NTK_OK;
}

/* Rank 0: a chunk of samples arrived; once all chunks of the point are in, compute the
 * statistics in sample order and queue the record (and the kept samples' record). */
static int task_deliver_(void *vctx, long t, const void *payload, size_t len)
{
    run_ctx *c = vctx;
    long idx = c->task_point[t];
    ntk_point pt;
    ntk_program prog;
    chunk_hdr h;
    if (len < sizeof h)
        return ntk_error_set(NTK_EINVAL, "short result (%zu bytes) for point %ld", len, idx);
    memcpy(&h, payload, sizeof h);
    NTK_TRY(ntk_sweep_point(c->sw, idx, &pt));
    ntk_sim_layout sl;
    ntk_sim_layout_init(&sl, pt.model.depth, pt.k);
    if (len != sizeof h + (size_t)h.nsamp * sl.record_size * sizeof(double))
        return ntk_error_set(NTK_EINVAL, "result of point %ld has %zu bytes, expected %zu", idx,
                             len, sizeof h + (size_t)h.nsamp * sl.record_size * sizeof(double));
    simacc_t *a = &c->acc[idx];
    if (!a->records) {
        a->records = malloc((size_t)pt.samples * sl.record_size * sizeof(double));
        if (!a->records)
            return ntk_error_set(NTK_ENOMEM, "samples of point %ld (%ld x %zu doubles)", idx,
                                 pt.samples, sl.record_size);
    }
    memcpy(a->records + (size_t)h.chunk * (size_t)pt.chunk * sl.record_size,
           (const unsigned char *)payload + sizeof h,
           (size_t)h.nsamp * sl.record_size * sizeof(double));
    a->chunks_got++;
    a->seconds += h.seconds;
    long nchunks = (pt.samples + pt.chunk - 1) / pt.chunk;
    if (a->chunks_got < nchunks) return NTK_OK;

    /* The last chunk is in: the statistics need the compiled program. */
    NTK_TRY(ntk_model_compile(&pt.model, &prog));
    double t0 = wall_();
    ntk_sim_result *res = ntk_sim_result_alloc(pt.model.depth, pt.k);
    double *rec = malloc(c->rec_size[c->sec_sim] * sizeof *rec);
    int rc = (!res || !rec) ? ntk_error_set(NTK_ENOMEM, "statistics of point %ld", idx) : 0;
    if (rc == 0) rc = ntk_sim_stats(&prog, pt.k, pt.samples, a->records, res);
    long nf = 0;
    if (rc == 0) {
        const double *q[NTK_SR_COUNT];
        for (int i = 0; i < c->sm_n; i++)
            q[i] = res->data[c->sm_map[i]];
        rc = ntk_archive_pack(&c->lay, c->sec_sim, &res->shape, q, rec);
        nf = (long)res->data[NTK_SR_N_NONFINITE][0];
    }
    ntk_sim_result_free(res);
    double *srec = NULL, t1 = wall_();
    long snf = 0;
    int want_samples = needs_(c, c->sec_samples, idx); /* 0 without a samples section */
    if (rc == 0 && want_samples)
        rc = samples_record_(c, &pt, &prog, &sl, a->records, nf, &srec, &snf);
    free(a->records);
    a->records = NULL;
    if (rc < 0) {
        free(rec);
        return rc;
    }
    /* Both records of the point go to the same flush (sim, then samples: section order). */
    rc = offer_(c, c->sec_sim, idx, rec, a->seconds + (t1 - t0), nf);
    if (rc == 0 && want_samples) return offer_(c, c->sec_samples, idx, srec, wall_() - t1, snf);
    free(srec);
    return rc;
}

static int task_flush_(void *vctx, int last)
{
    run_ctx *c = vctx;
    int rc = 0;
    (void)last;
    for (int s = 0; s < c->lay.n_sections; s++) {
        pending_t *p = &c->pend[s];
        int r = ntk_archive_write(c->ar, p->n, p->idx, (const double *const *)p->rec, p->seconds,
                                  p->nonfinite, s);
        if (r < 0 && rc == 0) rc = r;
        pending_clear_(c, s);
    }
    c->pending_bytes = 0;
    return rc;
}

static int task_want_flush_(void *vctx)
{
    run_ctx *c = vctx;
    size_t lim = c->opts->flush_bytes ? c->opts->flush_bytes : (size_t)256 << 20;
    return c->pending_bytes >= lim;
}

/* ------------------------------------------------------------------ layout */
static int build_layout_(run_ctx *c)
{
    const ntk_sweep *sw = c->sw;
    const ntk_output_opts *out = ntk_sweep_output(sw);
    int na = ntk_sweep_naxes(sw);
    int nax = na > 0 ? na : 1;
    c->axes = calloc((size_t)nax, sizeof *c->axes);
    c->aux = calloc((size_t)nax, sizeof *c->aux);
    if (!c->axes || !c->aux) return ntk_error_set(NTK_ENOMEM, "archive layout");
    static const double single_value = 0.0;
    if (na == 0) { /* a single point: an axis of length 1 */
        c->axes[0].name = "point";
        c->axes[0].description = "the single grid point of a sweep without axes";
        c->axes[0].n = 1;
        c->axes[0].values = &single_value;
    }
    for (int a = 0; a < na; a++) {
        ntk_axis_info info;
        NTK_TRY(ntk_sweep_axis(sw, a, &info));
        ntk_archive_axis *ax = &c->axes[a];
        ax->name = info.name;
        ax->units = info.units;
        ax->description = info.description;
        ax->n = info.n;
        ax->values = info.values;
        ax->labels = info.labels;
        if (info.n_members > 0) {
            c->aux[a] = calloc((size_t)info.n_members, sizeof *c->aux[a]);
            if (!c->aux[a]) return ntk_error_set(NTK_ENOMEM, "archive layout");
            int n_aux = 0;
            for (int j = 0; j < info.n_members; j++) {
                ntk_axis_info m;
                NTK_TRY(ntk_sweep_axis_member(sw, a, j, &m));
                if (!m.values) continue;
                c->aux[a][n_aux].name = m.name;
                c->aux[a][n_aux].units = m.units;
                c->aux[a][n_aux].description = m.description;
                c->aux[a][n_aux].values = m.values;
                n_aux++;
            }
            ax->aux = c->aux[a];
            ax->n_aux = n_aux;
        }
    }
    /* Sections: the selected quantities of each engine, in table order. */
    c->sec_theory = c->sec_sim = c->sec_phase = c->sec_samples = -1;
    int ns = 0;
    if (ntk_sweep_theory_enabled(sw)) {
        const ntk_qty_desc *t = ntk_theory_qty_table();
        NTK_TRY(ntk_sweep_check_quantities(sw, NTK_PART_THEORY, t, NTK_TQ_COUNT));
        for (int q = 0; q < NTK_TQ_COUNT; q++)
            if (ntk_sweep_quantity_selected(sw, NTK_PART_THEORY, t[q].name)) {
                c->th_tab[c->th_n] = t[q];
                c->th_map[c->th_n++] = q;
            }
        c->sec_theory = ns;
        c->sec[ns++] =
            (ntk_archive_section){"theory", "infinite-width theory (theory.h)", c->th_tab, c->th_n};
    }
    if (ntk_sweep_theory_enabled(sw)) {
        c->sec_phase = ns;
        c->sec[ns++] = (ntk_archive_section){
            "phase", "per-point fixed points, phase and depth scales (phase.h)",
            ntk_phase_qty_table(), NTK_PQ_COUNT};
    }
    if (ntk_sweep_sim_enabled(sw)) {
        const ntk_qty_desc *t = ntk_sim_result_qty_table();
        NTK_TRY(ntk_sweep_check_quantities(sw, NTK_PART_SIM, t, NTK_SR_COUNT));
        /* The per-point count of non-finite samples goes to the archive's own n_nonfinite. */
        for (int q = 0; q < NTK_SR_COUNT; q++)
            if (q != NTK_SR_N_NONFINITE &&
                ntk_sweep_quantity_selected(sw, NTK_PART_SIM, t[q].name)) {
                c->sm_tab[c->sm_n] = t[q];
                c->sm_map[c->sm_n++] = q;
            }
        c->sec_sim = ns;
        c->sec[ns++] = (ntk_archive_section){"sim", "finite-width Monte-Carlo statistics (sim.h)",
                                             c->sm_tab, c->sm_n};
    }
    /* Kept samples: the selected record quantities over a sample dim of the largest
     * keep_samples; none without keep_samples or without a selected record quantity. */
    long n_sample = 0;
    for (long idx = 0; ntk_sweep_sim_enabled(sw) && idx < c->npoints; idx++) {
        ntk_point pt;
        NTK_TRY(ntk_sweep_point(sw, idx, &pt));
        long keep = pt.keep_samples < pt.samples ? pt.keep_samples : pt.samples;
        if (pt.sim && keep > n_sample) n_sample = keep;
    }
    if (n_sample > 0) {
        const ntk_qty_desc *t = ntk_sim_qty_table();
        for (int q = 0; q < NTK_SQ_COUNT; q++)
            if (ntk_sweep_quantity_selected(sw, NTK_PART_SIM, t[q].name)) {
                c->sp_tab[c->sp_n] = t[q];
                c->sp_tab[c->sp_n].dims |= NTK_DIM_SAMPLE;
                c->sp_map[c->sp_n++] = q;
            }
        if (c->sp_n > 0) {
            c->sec_samples = ns;
            c->sec[ns++] = (ntk_archive_section){
                "samples",
                "per-sample Monte-Carlo records of the first sim.keep_samples samples (sim.h)",
                c->sp_tab, c->sp_n};
        }
    }
    ntk_archive_layout *L = &c->lay;
    L->axes = c->axes;
    L->n_axes = nax;
    L->n_layer = out->layers == NTK_LAYERS_FINAL ? 1 : ntk_sweep_max_depth(sw) + 1;
    L->layer_description = out->layers == NTK_LAYERS_FINAL
                               ? "the last layer of each point (its own depth)"
                               : "layer l = network after block l (0: after the stem)";
    L->k = c->k;
    L->n_group = NTK_GROUP_COUNT;
    L->n_stat = NTK_STAT_COUNT;
    L->n_sample = c->sec_samples >= 0 ? n_sample : 0;
    L->sections = c->sec;
    L->n_sections = ns;
    L->deflate = out->compression;
    L->fletcher32 = out->checksum;
    NTK_TRY(ntk_archive_layout_check(L));
    for (int s = 0; s < ns; s++)
        c->rec_size[s] = ntk_archive_record_size(L, s);
    return NTK_OK;
}

/* ------------------------------------------------------------------ task list */
static int build_tasks_(run_ctx *c)
{
    for (int sec = 0; sec < c->lay.n_sections; sec++)
        c->open_status[sec] = ntk_archive_open_status(c->ar, sec);
    long cap = 0;
    for (int pass = 0; pass < 2; pass++) {
        long n = 0;
        for (long idx = 0; idx < c->npoints; idx++) {
            ntk_point pt;
            NTK_TRY(ntk_sweep_point(c->sw, idx, &pt));
            /* One theory task writes both the theory and the phase section of a point. */
            if (needs_(c, c->sec_theory, idx) || needs_(c, c->sec_phase, idx)) {
                if (pass) {
                    c->task_point[n] = idx;
                    c->task_kind[n] = TASK_THEORY;
                    c->task_chunk[n] = 0;
                    c->cost[n] = pt.cost_theory > 0 ? pt.cost_theory : 1e-6;
                }
                n++;
            }
            /* One set of sim tasks writes both the sim and the samples section of a point. */
            if ((needs_(c, c->sec_sim, idx) || needs_(c, c->sec_samples, idx)) && pt.sim &&
                pt.samples > 0) {
                long chunk = pt.chunk > 0 ? pt.chunk : pt.samples;
                long nch = (pt.samples + chunk - 1) / chunk;
                for (long ch = 0; ch < nch; ch++) {
                    if (pass) {
                        c->task_point[n] = idx;
                        c->task_kind[n] = TASK_SIM;
                        c->task_chunk[n] = ch;
                        long ns = (ch + 1) * chunk > pt.samples ? pt.samples - ch * chunk : chunk;
                        c->cost[n] = (pt.cost_sim > 0 ? pt.cost_sim : 1e-6) * (double)ns /
                                     (double)pt.samples;
                    }
                    n++;
                }
            }
        }
        if (!pass) {
            cap = n > 0 ? n : 1;
            c->task_point = malloc((size_t)cap * sizeof *c->task_point);
            c->task_kind = malloc((size_t)cap * sizeof *c->task_kind);
            c->task_chunk = malloc((size_t)cap * sizeof *c->task_chunk);
            c->cost = malloc((size_t)cap * sizeof *c->cost);
            if (!c->task_point || !c->task_kind || !c->task_chunk || !c->cost)
                return ntk_error_set(NTK_ENOMEM, "task list of %ld tasks", n);
        }
        c->n_tasks = n;
    }
    return NTK_OK;
}

static void ctx_free_(run_ctx *c)
{
    for (int s = 0; s < SEC_MAX; s++)
        pending_free_(&c->pend[s]);
    if (c->acc) {
        for (long i = 0; i < c->npoints; i++)
            free(c->acc[i].records);
        free(c->acc);
    }
    if (c->aux) {
        int nax = ntk_sweep_naxes(c->sw) > 0 ? ntk_sweep_naxes(c->sw) : 1;
        for (int a = 0; a < nax; a++)
            free(c->aux[a]);
        free(c->aux);
    }
    free(c->axes);
    free(c->task_point), free(c->task_kind), free(c->task_chunk), free(c->cost);
}

int ntk_run_sweep(const ntk_sweep *sw, const ntk_run_opts *opts)
{
    run_ctx c;
    memset(&c, 0, sizeof c);
    c.sw = sw;
    c.opts = opts;
    c.npoints = ntk_sweep_npoints(sw);
    c.k = ntk_sweep_max_k(sw);
    int rc = build_layout_(&c);
    int agreed = 0;
    ntk_sched_agree(rc, &agreed);
    if (agreed < 0) {
        ctx_free_(&c);
        return rc < 0 ? rc : agreed;
    }
    if (ntk_sched_rank() == 0) {
        c.acc = calloc((size_t)c.npoints, sizeof *c.acc);
        rc = c.acc ? 0 : ntk_error_set(NTK_ENOMEM, "sample accumulators");
    }
    ntk_sched_agree(rc, &agreed);
    if (agreed < 0) {
        ctx_free_(&c);
        return rc < 0 ? rc : agreed;
    }

    /* Provenance supplied here; the archive adds versions, hosts, times. */
    char hash[64], gsl[64];
    snprintf(hash, sizeof hash, "fnv1a64:%016" PRIx64, ntk_sweep_hash(sw));
    snprintf(gsl, sizeof gsl, "%s", GSL_VERSION);
    ntk_archive_kv extra[] = {
        {"gsl", gsl}, {"libyaml", ntk_spec_yaml_version()}, {"blas", ntk_blas_version()}};
    ntk_archive_prov prov = {.spec_name = ntk_sweep_name(sw),
                             .spec_text = ntk_sweep_text(sw, NULL),
                             .spec_hash = hash,
                             .command_line = opts->command_line,
                             .extra = extra,
                             .n_extra = (int)(sizeof extra / sizeof extra[0])};
    const char *path = opts->output ? opts->output : ntk_sweep_output(sw)->path;
    if (opts->resume)
        rc = ntk_archive_open_resume(ntk_sched_comm(), path, &c.lay, &prov, &c.ar, NULL);
    else
        rc = ntk_archive_create(ntk_sched_comm(), path, &c.lay, &prov, opts->force, &c.ar);
    if (rc < 0) { /* collective: every rank has the same code */
        ctx_free_(&c);
        return rc;
    }
    rc = build_tasks_(&c);
    ntk_sched_agree(rc, &agreed);
    if (agreed < 0) {
        ntk_archive_close(c.ar, 0);
        ctx_free_(&c);
        return rc < 0 ? rc : agreed;
    }
    if (ntk_sched_rank() == 0 && opts->progress_interval > 0)
        fprintf(stderr, "ntksweep: sweep '%s': %ld points, %ld tasks to run on %d rank%s -> %s\n",
                ntk_sweep_name(sw), c.npoints, c.n_tasks, ntk_sched_size(),
                ntk_sched_size() > 1 ? "s" : "", path);

    ntk_sched_job job = {.ctx = &c,
                         .n_tasks = c.n_tasks,
                         .cost = c.cost,
                         .run = task_run_,
                         .deliver = task_deliver_,
                         .flush = task_flush_,
                         .want_flush = task_want_flush_,
                         .flush_interval = opts->flush_interval > 0 ? opts->flush_interval : 10.0,
                         .deadline = opts->deadline,
                         .progress_interval = opts->progress_interval,
                         .progress = stderr,
                         .prefetch = 2};
    ntk_sched_stats st;
    rc = ntk_sched_run(&job, &st);
    char msg[2048];
    snprintf(msg, sizeof msg, "%s", ntk_error_msg());
    int rc_close = ntk_archive_close(c.ar, rc == 0);
    ctx_free_(&c);
    if (rc < 0) {
        ntk_error_set(rc, "%s", msg);
        return rc;
    }
    return rc_close;
}
