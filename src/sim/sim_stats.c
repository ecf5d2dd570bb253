/* sim_stats.c - statistics of simulator records (see ntk_sim_stats in sim.h). */
#include "ntksweep/error.h"
#include "ntksweep/stats.h"
#include "sim_priv.h"

#include <math.h>
#include <stdlib.h>

int ntk_sim_stats(const ntk_program *prog, int k, long nsamples, const double *records,
                  ntk_sim_result *res)
{
    if (!prog || !res || nsamples < 0 || (nsamples > 0 && !records))
        return ntk_error_set(NTK_EINVAL, "sim_stats: bad arguments");
    const ntk_sim_layout *lay = &res->layout;
    if (lay->shape.n_layer != prog->model.depth + 1 || lay->shape.n_input != k)
        return ntk_error_set(NTK_EINVAL,
                             "sim_stats: result allocated for depth %ld, k = %d but the program "
                             "has depth %ld, k = %d",
                             lay->shape.n_layer - 1, lay->shape.n_input, prog->model.depth, k);
    const ntk_qty_desc *tab = ntk_sim_qty_table();
    double *work = malloc((size_t)(nsamples > 0 ? nsamples : 1) * sizeof *work);
    if (!work)
        return ntk_error_set(NTK_ENOMEM, "sim_stats: out of memory for %ld samples", nsamples);
    const size_t rs = lay->record_size;
    const int S = NTK_STAT_COUNT;
    for (int q = 0; q < NTK_SQ_COUNT; q++) {
        unsigned dims = tab[q].dims;
        size_t last = (dims & NTK_DIM_PAIR)    ? (size_t)lay->shape.n_pair
                      : (dims & NTK_DIM_INPUT) ? (size_t)lay->shape.n_input
                                               : 1;
        for (size_t e = 0; e < lay->size[q]; e++) {
            double st[NTK_STAT_COUNT];
            ntk_stats_summary(nsamples, records + lay->offset[q] + e, rs, work, st);
            size_t prefix = e / last, idx = e % last;
            for (int t = 0; t < S; t++)
                res->data[q][(prefix * (size_t)S + (size_t)t) * last + idx] = st[t];
        }
    }
    for (size_t pq = 0; pq < (size_t)lay->shape.n_pair; pq++)
        ntk_stats_eta(nsamples, records + lay->offset[NTK_SQ_NTK] + pq, rs,
                      &res->data[NTK_SR_NTK_ETA][pq], &res->data[NTK_SR_NTK_ETA_SEM][pq]);
    long bad = 0;
    for (long i = 0; i < nsamples; i++)
        bad += ntk_sim_record_nonfinite(lay, prog->first_block,
                                        prog->positions > 1 ? prog->positions : 1,
                                        records + (size_t)i * rs) > 0;
    res->data[NTK_SR_N_NONFINITE][0] = (double)bad;
    res->nsamples = nsamples;
    free(work);
    return NTK_OK;
}
