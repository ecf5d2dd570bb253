/* sim_dense.c - the dense engine: explicit N(0,1) weight matrices, drawn in blocks of rows from
 * the counter-based RNG (stream NTK_RNG_WEIGHT of the op, row-major, element u * fan_in + v) and
 * drawn again, identically, for the backward pass; products by OpenBLAS dgemm. */
#include "sim_priv.h"

#include <cblas.h>
#include <string.h>

static void add_bias(ntk_sim *s, long slot, int pos, long n_out, double b, double *dst)
{
    if (b == 0.0) return;
    const int k = s->k;
    ntk_rng_stream st = ntk_sim_stream(s, slot, pos, NTK_RNG_BIAS, 0);
    for (long r0 = 0; r0 < n_out; r0 += NTK_SIM_CHUNK) {
        long nr = n_out - r0 < NTK_SIM_CHUNK ? n_out - r0 : NTK_SIM_CHUNK;
        ntk_rng_normals(&st, (uint64_t)r0, nr, s->chunk);
        for (long i = 0; i < nr; i++) {
            double bb = b * s->chunk[i];
            for (int j = 0; j < k; j++)
                dst[(r0 + i) * k + j] += bb;
        }
    }
}

/* dst (+)= sc W src, W n_out x fan_in from stream st. */
static void dense_mul(ntk_sim *s, const ntk_rng_stream *st, long fan_in, long n_out, double sc,
                      const double *src, double *dst, int acc)
{
    const int k = s->k;
    long rows = s->wrows;
    for (long r0 = 0; r0 < n_out; r0 += rows) {
        long nr = n_out - r0 < rows ? n_out - r0 : rows;
        ntk_rng_normals(st, (uint64_t)r0 * (uint64_t)fan_in, nr * fan_in, s->wbuf);
        cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)nr, k, (int)fan_in, sc, s->wbuf,
                    (int)fan_in, src, k, acc ? 1.0 : 0.0, dst + r0 * k, k);
    }
}

/* dsrc (+)= sc W^T D. */
static void dense_mul_t(ntk_sim *s, const ntk_rng_stream *st, long fan_in, long n_out, double sc,
                        const double *D, double *dsrc, int *dlive)
{
    const int k = s->k;
    long rows = s->wrows;
    for (long r0 = 0; r0 < n_out; r0 += rows) {
        long nr = n_out - r0 < rows ? n_out - r0 : rows;
        ntk_rng_normals(st, (uint64_t)r0 * (uint64_t)fan_in, nr * fan_in, s->wbuf);
        cblas_dgemm(CblasRowMajor, CblasTrans, CblasNoTrans, (int)fan_in, k, (int)nr, sc, s->wbuf,
                    (int)fan_in, D + r0 * k, k, *dlive ? 1.0 : 0.0, dsrc, k);
        *dlive = 1;
    }
}

void ntk_simd_linear_fwd(ntk_sim *s, long slot, int pos, long fan_in, long n_out, double sc,
                         double b, const double *src, double *dst, ntk_smalldat *sd)
{
    (void)sd;
    ntk_rng_stream st = ntk_sim_stream(s, slot, pos, NTK_RNG_WEIGHT, 0);
    dense_mul(s, &st, fan_in, n_out, sc, src, dst, 0);
    add_bias(s, slot, pos, n_out, b, dst);
}

void ntk_simd_linear_bwd(ntk_sim *s, long slot, int pos, long fan_in, long n_out, double sc,
                         const double *D, double *GD, double *dsrc, int *dlive)
{
    ntk_sim_gram(n_out, s->k, D, GD);
    if (!dsrc) return;
    ntk_rng_stream st = ntk_sim_stream(s, slot, pos, NTK_RNG_WEIGHT, 0);
    dense_mul_t(s, &st, fan_in, n_out, sc, D, dsrc, dlive);
}

void ntk_simd_cat_fwd(ntk_sim *s, long slot, int pos, long h, long fan_in, long n_out, double sc,
                      const double *entry, double *dst, int acc)
{
    ntk_rng_stream st = ntk_sim_stream(s, slot, pos, NTK_RNG_WEIGHT, h);
    dense_mul(s, &st, fan_in, n_out, sc, entry, dst, acc);
}

void ntk_simd_cat_bwd(ntk_sim *s, long slot, int pos, long h, long fan_in, long n_out, double sc,
                      const double *D, double *dentry, int *dlive)
{
    ntk_rng_stream st = ntk_sim_stream(s, slot, pos, NTK_RNG_WEIGHT, h);
    dense_mul_t(s, &st, fan_in, n_out, sc, D, dentry, dlive);
}
