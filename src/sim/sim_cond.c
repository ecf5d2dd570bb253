/* sim_cond.c - the conditional engine: exact in distribution, no weight matrix is ever formed.
 *
 * A weight matrix W (n_out x fan_in, i.i.d. N(0,1)) meets the data twice: forward on the k input
 * columns X = src (fan_in x k) and backward on the output gradient D (n_out x k). With the thin
 * QR X = V R (V orthonormal, fan_in x r), W V =: Z has i.i.d. N(0,1) entries, so
 *     forward   W X = Z R,                          Z drawn row by row (stream NTK_RNG_WEIGHT)
 *     backward  W^T D = V (Z^T D) + P_perp Xi^T D,  P_perp = I - V V^T, Xi independent of Z,
 * because W = Z V^T + Xi P_perp. The rows of Xi^T D are i.i.d. N(0, D^T D); they are drawn as
 * Xi' L^T with L L^T = D^T D (pivoted Cholesky; stream NTK_RNG_BACK), and Z is drawn again from
 * its stream instead of being stored. docs/simulator.md has the derivation.
 */
#include "sim_priv.h"

#include <string.h>

/* Sum of four interleaved partial sums, in a fixed order. */
#define SUM4_(a) (((a)[0] + (a)[1]) + ((a)[2] + (a)[3]))

/* dst (+)= sc Z R for the rows of Z drawn from stream st (n_out x k normals, row-major). */
static void draw_forward(ntk_sim *s, const ntk_rng_stream *st, long n_out, double sc,
                         const double *R, double *dst, int acc)
{
    const int k = s->k;
    double *z = s->chunk;
    for (long r0 = 0; r0 < n_out; r0 += NTK_SIM_CHUNK) {
        long nr = n_out - r0 < NTK_SIM_CHUNK ? n_out - r0 : NTK_SIM_CHUNK;
        ntk_rng_normals(st, (uint64_t)r0 * (uint64_t)k, nr * k, z);
        double *out = dst + r0 * k;
        if (k == 2) {
            const double a00 = sc * R[0], a01 = sc * R[1], a10 = sc * R[2], a11 = sc * R[3];
            if (acc)
                for (long i = 0; i < nr; i++) {
                    double z0 = z[2 * i], z1 = z[2 * i + 1];
                    out[2 * i] += z0 * a00 + z1 * a10;
                    out[2 * i + 1] += z0 * a01 + z1 * a11;
                }
            else
                for (long i = 0; i < nr; i++) {
                    double z0 = z[2 * i], z1 = z[2 * i + 1];
                    out[2 * i] = z0 * a00 + z1 * a10;
                    out[2 * i + 1] = z0 * a01 + z1 * a11;
                }
            continue;
        }
        for (long i = 0; i < nr; i++) {
            const double *zi = z + i * k;
            for (int j = 0; j < k; j++) {
                double y = 0.0;
                for (int a = 0; a < k; a++)
                    y += zi[a] * R[a * k + j];
                out[i * k + j] = acc ? out[i * k + j] + sc * y : sc * y;
            }
        }
    }
}

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

/* M = Z^T D (k x k, rows >= rank zeroed) with Z redrawn from st; also GD = D^T D if GD != NULL. */
static void redraw_project(ntk_sim *s, const ntk_rng_stream *st, long n_out, int rank,
                           const double *D, double *M, double *GD)
{
    const int k = s->k;
    double *z = s->chunk;
    memset(M, 0, (size_t)k * k * sizeof *M);
    if (k == 2) {
        /* four interleaved partial sums per entry (fixed order; the lanes vectorize) */
        double m00[4] = {0}, m01[4] = {0}, m10[4] = {0}, m11[4] = {0};
        double g00[4] = {0}, g01[4] = {0}, g11[4] = {0};
        for (long r0 = 0; r0 < n_out; r0 += NTK_SIM_CHUNK) {
            long nr = n_out - r0 < NTK_SIM_CHUNK ? n_out - r0 : NTK_SIM_CHUNK;
            ntk_rng_normals(st, (uint64_t)r0 * 2u, nr * 2, z);
            const double *d = D + r0 * 2;
            long i = 0;
            for (; i + 4 <= nr; i += 4)
                for (int u = 0; u < 4; u++) {
                    long t = i + u;
                    double z0 = z[2 * t], z1 = z[2 * t + 1], d0 = d[2 * t], d1 = d[2 * t + 1];
                    m00[u] += z0 * d0;
                    m01[u] += z0 * d1;
                    m10[u] += z1 * d0;
                    m11[u] += z1 * d1;
                    g00[u] += d0 * d0;
                    g01[u] += d0 * d1;
                    g11[u] += d1 * d1;
                }
            for (; i < nr; i++) {
                double z0 = z[2 * i], z1 = z[2 * i + 1], d0 = d[2 * i], d1 = d[2 * i + 1];
                m00[0] += z0 * d0;
                m01[0] += z0 * d1;
                m10[0] += z1 * d0;
                m11[0] += z1 * d1;
                g00[0] += d0 * d0;
                g01[0] += d0 * d1;
                g11[0] += d1 * d1;
            }
        }
        if (rank >= 1) {
            M[0] = SUM4_(m00);
            M[1] = SUM4_(m01);
        }
        if (rank >= 2) {
            M[2] = SUM4_(m10);
            M[3] = SUM4_(m11);
        }
        if (GD) {
            GD[0] = SUM4_(g00);
            GD[1] = GD[2] = SUM4_(g01);
            GD[3] = SUM4_(g11);
        }
        return;
    }
    for (long r0 = 0; r0 < n_out; r0 += NTK_SIM_CHUNK) {
        long nr = n_out - r0 < NTK_SIM_CHUNK ? n_out - r0 : NTK_SIM_CHUNK;
        ntk_rng_normals(st, (uint64_t)r0 * (uint64_t)k, nr * k, z);
        for (long i = 0; i < nr; i++) {
            const double *zi = z + i * k, *di = D + (r0 + i) * k;
            for (int a = 0; a < rank; a++)
                for (int j = 0; j < k; j++)
                    M[a * k + j] += zi[a] * di[j];
        }
    }
    if (GD) ntk_sim_gram(n_out, k, D, GD);
}

/* dsrc (+)= sc W^T D given M = Z^T D, the basis V (rank r) and the noise covariance GD. */
static void conditional_back(ntk_sim *s, const ntk_rng_stream *stb, long fan_in, double sc,
                             const double *M, const double *GD, const double *V, int rank,
                             double *dsrc, int *dlive, double *Gsrc)
{
    const int k = s->k;
    double L[NTK_SIM_MAX_K * NTK_SIM_MAX_K], Cp[NTK_SIM_MAX_K * NTK_SIM_MAX_K];
    int piv[NTK_SIM_MAX_K];
    ntk_sim_pchol(k, GD, NTK_SIM_RANK_TOL, L, piv); /* rows beyond the rank are zero */
    double *T = s->scratch, *xi = s->chunk;
    memset(Cp, 0, (size_t)k * k * sizeof *Cp);
    /* T = sc Xi' L (rows i.i.d. N(0, sc^2 D^T D)); Cp = V^T T. */
    for (long r0 = 0; r0 < fan_in; r0 += NTK_SIM_CHUNK) {
        long nr = fan_in - r0 < NTK_SIM_CHUNK ? fan_in - r0 : NTK_SIM_CHUNK;
        ntk_rng_normals(stb, (uint64_t)r0 * (uint64_t)k, nr * k, xi);
        if (k == 2) {
            const double l00 = sc * L[0], l01 = sc * L[1], l10 = sc * L[2], l11 = sc * L[3];
            double c00[4] = {0}, c01[4] = {0}, c10[4] = {0}, c11[4] = {0};
            long i = 0;
            for (; i + 4 <= nr; i += 4)
                for (int u = 0; u < 4; u++) {
                    long t = i + u, row = r0 + t;
                    double x0 = xi[2 * t], x1 = xi[2 * t + 1];
                    double t0 = x0 * l00 + x1 * l10, t1 = x0 * l01 + x1 * l11;
                    T[2 * row] = t0;
                    T[2 * row + 1] = t1;
                    double v0 = V[2 * row], v1 = V[2 * row + 1];
                    c00[u] += v0 * t0;
                    c01[u] += v0 * t1;
                    c10[u] += v1 * t0;
                    c11[u] += v1 * t1;
                }
            for (; i < nr; i++) {
                long row = r0 + i;
                double x0 = xi[2 * i], x1 = xi[2 * i + 1];
                double t0 = x0 * l00 + x1 * l10, t1 = x0 * l01 + x1 * l11;
                T[2 * row] = t0;
                T[2 * row + 1] = t1;
                double v0 = V[2 * row], v1 = V[2 * row + 1];
                c00[0] += v0 * t0;
                c01[0] += v0 * t1;
                c10[0] += v1 * t0;
                c11[0] += v1 * t1;
            }
            Cp[0] += SUM4_(c00);
            Cp[1] += SUM4_(c01);
            Cp[2] += SUM4_(c10);
            Cp[3] += SUM4_(c11);
            continue;
        }
        for (long i = 0; i < nr; i++) {
            long row = r0 + i;
            const double *x = xi + i * k;
            double *t = T + row * k;
            for (int j = 0; j < k; j++) {
                double sum = 0.0;
                for (int a = 0; a < k; a++)
                    sum += x[a] * L[a * k + j];
                t[j] = sc * sum;
            }
            for (int a = 0; a < rank; a++)
                for (int j = 0; j < k; j++)
                    Cp[a * k + j] += V[row * k + a] * t[j];
        }
    }
    /* C = sc M - V^T T; dsrc (+)= T + V C. Columns of V beyond the rank are zero. */
    double C[NTK_SIM_MAX_K * NTK_SIM_MAX_K];
    for (int a = 0; a < k; a++)
        for (int j = 0; j < k; j++)
            C[a * k + j] = a < rank ? sc * M[a * k + j] - Cp[a * k + j] : 0.0;
    int live = *dlive;
    ntk_gram_acc ga;
    ntk_gram_acc_init(&ga, k);
    if (k == 2) {
        const double c00 = C[0], c01 = C[1], c10 = C[2], c11 = C[3];
        for (long r0 = 0; r0 < fan_in; r0 += NTK_SIM_CHUNK) {
            long nr = fan_in - r0 < NTK_SIM_CHUNK ? fan_in - r0 : NTK_SIM_CHUNK;
            double *d = dsrc + 2 * r0;
            const double *v = V + 2 * r0, *t = T + 2 * r0;
            if (live)
                for (long i = 0; i < nr; i++) {
                    d[2 * i] += t[2 * i] + v[2 * i] * c00 + v[2 * i + 1] * c10;
                    d[2 * i + 1] += t[2 * i + 1] + v[2 * i] * c01 + v[2 * i + 1] * c11;
                }
            else
                for (long i = 0; i < nr; i++) {
                    d[2 * i] = t[2 * i] + v[2 * i] * c00 + v[2 * i + 1] * c10;
                    d[2 * i + 1] = t[2 * i + 1] + v[2 * i] * c01 + v[2 * i + 1] * c11;
                }
            if (Gsrc) ntk_gram_acc_add(&ga, nr, d);
        }
    } else {
        for (long i = 0; i < fan_in; i++) {
            const double *v = V + i * k;
            for (int j = 0; j < k; j++) {
                double o = T[i * k + j];
                for (int a = 0; a < rank; a++)
                    o += v[a] * C[a * k + j];
                dsrc[i * k + j] = live ? dsrc[i * k + j] + o : o;
            }
        }
        if (Gsrc) ntk_gram_acc_add(&ga, fan_in, dsrc);
    }
    if (Gsrc) ntk_gram_acc_finish(&ga, Gsrc);
    *dlive = 1;
}

void ntk_simc_linear_fwd(ntk_sim *s, long slot, int pos, long fan_in, long n_out, double sc,
                         double b, const double *src, double *dst, double *V, ntk_smalldat *sd)
{
    sd->rank = ntk_sim_qr(fan_in, s->k, src, sd->gram, V, sd->R);
    ntk_rng_stream st = ntk_sim_stream(s, slot, pos, NTK_RNG_WEIGHT, 0);
    draw_forward(s, &st, n_out, sc, sd->R, dst, 0);
    add_bias(s, slot, pos, n_out, b, dst);
}

void ntk_simc_linear_bwd(ntk_sim *s, long slot, int pos, long fan_in, long n_out, double sc,
                         const double *D, double *GD, const double *V, const ntk_smalldat *sd,
                         double *dsrc, int *dlive, double *Gsrc)
{
    if (!dsrc) {
        ntk_sim_gram(n_out, s->k, D, GD);
        return;
    }
    double M[NTK_SIM_MAX_K * NTK_SIM_MAX_K];
    ntk_rng_stream st = ntk_sim_stream(s, slot, pos, NTK_RNG_WEIGHT, 0);
    redraw_project(s, &st, n_out, sd->rank, D, M, GD);
    ntk_rng_stream stb = ntk_sim_stream(s, slot, pos, NTK_RNG_BACK, 0);
    conditional_back(s, &stb, fan_in, sc, M, GD, V, sd->rank, dsrc, dlive, Gsrc);
}

void ntk_simc_cat_fwd(ntk_sim *s, long slot, int pos, long h, long fan_in, long n_out, double sc,
                      const ntk_smalldat *sd, double *dst, int acc)
{
    (void)fan_in;
    ntk_rng_stream st = ntk_sim_stream(s, slot, pos, NTK_RNG_WEIGHT, h);
    draw_forward(s, &st, n_out, sc, sd->R, dst, acc);
}

void ntk_simc_cat_bwd(ntk_sim *s, long slot, int pos, long h, long fan_in, long n_out, double sc,
                      const double *D, const double *GD, const double *V, const ntk_smalldat *sd,
                      double *dentry, int *dlive)
{
    double M[NTK_SIM_MAX_K * NTK_SIM_MAX_K];
    ntk_rng_stream st = ntk_sim_stream(s, slot, pos, NTK_RNG_WEIGHT, h);
    redraw_project(s, &st, n_out, sd->rank, D, M, NULL);
    ntk_rng_stream stb = ntk_sim_stream(s, slot, pos, NTK_RNG_BACK, h);
    conditional_back(s, &stb, fan_in, sc, M, GD, V, sd->rank, dentry, dlive, NULL);
}
