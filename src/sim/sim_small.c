/* sim_small.c - Gram matrices, pivoted Cholesky and thin QR for k (small) columns, and the
 * deterministic input builder of the simulator. */
#include "ntksweep/error.h"
#include "sim_priv.h"

#include <math.h>
#include <string.h>

void ntk_gram_acc_init(ntk_gram_acc *acc, int k)
{
    acc->k = k;
    acc->rows = 0;
    if (k == 2)
        memset(acc->lane, 0, sizeof acc->lane);
    else
        memset(acc->tri, 0, (size_t)(k * (k + 1) / 2) * sizeof *acc->tri);
}

void ntk_gram_acc_add(ntk_gram_acc *acc, long n, const double *A)
{
    const int k = acc->k;
    acc->rows += n;
    if (k == 2) {
        /* four interleaved partial sums (lane = row mod 4 as long as chunks hold a multiple of 4
         * rows; fixed order, so deterministic, and the lanes vectorize) */
        double(*l)[3] = acc->lane;
        long i = 0;
        for (; i + 4 <= n; i += 4)
            for (int u = 0; u < 4; u++) {
                double a = A[2 * (i + u)], b = A[2 * (i + u) + 1];
                l[u][0] += a * a;
                l[u][1] += a * b;
                l[u][2] += b * b;
            }
        for (int u = 0; i < n; i++, u++) {
            double a = A[2 * i], b = A[2 * i + 1];
            l[u][0] += a * a;
            l[u][1] += a * b;
            l[u][2] += b * b;
        }
        return;
    }
    double *t = acc->tri;
    for (long i = 0; i < n; i++) {
        const double *r = A + i * k;
        int p = 0;
        for (int a = 0; a < k; a++) {
            double ra = r[a];
            for (int b = a; b < k; b++)
                t[p++] += ra * r[b];
        }
    }
}

void ntk_gram_acc_finish(const ntk_gram_acc *acc, double *G)
{
    const int k = acc->k;
    if (k == 2) {
        const double(*l)[3] = acc->lane;
        G[0] = (l[0][0] + l[1][0]) + (l[2][0] + l[3][0]);
        G[1] = G[2] = (l[0][1] + l[1][1]) + (l[2][1] + l[3][1]);
        G[3] = (l[0][2] + l[1][2]) + (l[2][2] + l[3][2]);
        return;
    }
    int p = 0;
    for (int a = 0; a < k; a++)
        for (int b = a; b < k; b++) {
            G[a * k + b] = G[b * k + a] = acc->tri[p];
            p++;
        }
}

void ntk_sim_gram(long n, int k, const double *A, double *G)
{
    ntk_gram_acc acc;
    ntk_gram_acc_init(&acc, k);
    ntk_gram_acc_add(&acc, n, A);
    ntk_gram_acc_finish(&acc, G);
}

int ntk_sim_pchol(int k, const double *G, double tol, double *R, int *piv)
{
    double A[NTK_SIM_MAX_K * NTK_SIM_MAX_K];
    int done[NTK_SIM_MAX_K];
    memcpy(A, G, (size_t)k * k * sizeof *A);
    memset(R, 0, (size_t)k * k * sizeof *R);
    for (int j = 0; j < k; j++)
        done[j] = 0;
    int r = 0;
    for (; r < k; r++) {
        /* Pivot: largest residual relative to the column's own squared norm. */
        int p = -1;
        double best = 0.0;
        for (int j = 0; j < k; j++) {
            if (done[j]) continue;
            double g = G[j * k + j];
            double res = A[j * k + j];
            if (!(g > 0.0) || !(res > tol * g)) continue;
            double rel = res / g;
            if (rel > best) {
                best = rel;
                p = j;
            }
        }
        if (p < 0) break;
        piv[r] = p;
        done[p] = 1;
        double d = sqrt(A[p * k + p]);
        R[r * k + p] = d;
        for (int j = 0; j < k; j++)
            if (!done[j]) R[r * k + j] = A[p * k + j] / d;
        for (int i = 0; i < k; i++) {
            if (done[i]) continue;
            for (int j = 0; j < k; j++)
                if (!done[j]) A[i * k + j] -= R[r * k + i] * R[r * k + j];
        }
    }
    return r;
}

/* Unpivoted Cholesky of the r x r SPD matrix G = U^T U (U upper, row-major r x r). Returns 0, or
 * -1 if a pivot is not positive. */
static int chol_upper(int r, const double *G, double *U)
{
    memset(U, 0, (size_t)r * r * sizeof *U);
    for (int a = 0; a < r; a++) {
        double d = G[a * r + a];
        for (int c = 0; c < a; c++)
            d -= U[c * r + a] * U[c * r + a];
        if (!(d > 0.0)) return -1;
        d = sqrt(d);
        U[a * r + a] = d;
        for (int j = a + 1; j < r; j++) {
            double v = G[a * r + j];
            for (int c = 0; c < a; c++)
                v -= U[c * r + a] * U[c * r + j];
            U[a * r + j] = v / d;
        }
    }
    return 0;
}

int ntk_sim_qr(long n, int k, const double *X, const double *G, double *V, double *R)
{
    int piv[NTK_SIM_MAX_K];
    int r = ntk_sim_pchol(k, G, NTK_SIM_RANK_TOL, R, piv);
    if (r == 0) {
        memset(V, 0, (size_t)n * k * sizeof *V);
        return 0;
    }
    /* First pass: V = X R^+ by forward substitution in pivot order; G2 = V^T V. */
    double inv[NTK_SIM_MAX_K];
    for (int a = 0; a < r; a++)
        inv[a] = 1.0 / R[a * k + piv[a]];
    double G2[NTK_SIM_MAX_K * NTK_SIM_MAX_K];
    if (k == 2 && r == 2) {
        double r01 = R[0 * 2 + piv[1]];
        int p0 = piv[0], p1 = piv[1];
        double a00[4] = {0, 0, 0, 0}, a01[4] = {0, 0, 0, 0}, a11[4] = {0, 0, 0, 0};
        long i = 0;
        for (; i + 4 <= n; i += 4)
            for (int u = 0; u < 4; u++) {
                long row = i + u;
                double v0 = X[2 * row + p0] * inv[0];
                double v1 = (X[2 * row + p1] - v0 * r01) * inv[1];
                V[2 * row] = v0;
                V[2 * row + 1] = v1;
                a00[u] += v0 * v0;
                a01[u] += v0 * v1;
                a11[u] += v1 * v1;
            }
        for (; i < n; i++) {
            double v0 = X[2 * i + p0] * inv[0];
            double v1 = (X[2 * i + p1] - v0 * r01) * inv[1];
            V[2 * i] = v0;
            V[2 * i + 1] = v1;
            a00[0] += v0 * v0;
            a01[0] += v0 * v1;
            a11[0] += v1 * v1;
        }
        G2[0] = (a00[0] + a00[1]) + (a00[2] + a00[3]);
        G2[1] = G2[2] = (a01[0] + a01[1]) + (a01[2] + a01[3]);
        G2[3] = (a11[0] + a11[1]) + (a11[2] + a11[3]);
    } else {
        for (long i = 0; i < n; i++) {
            const double *x = X + i * k;
            double *v = V + i * k;
            for (int a = 0; a < r; a++) {
                double t = x[piv[a]];
                for (int b = 0; b < a; b++)
                    t -= v[b] * R[b * k + piv[a]];
                v[a] = t * inv[a];
            }
            for (int a = r; a < k; a++)
                v[a] = 0.0;
        }
        /* Gram of the first r columns (stride k). */
        for (int a = 0; a < r; a++)
            for (int b = a; b < r; b++) {
                double sum = 0.0;
                for (long i = 0; i < n; i++)
                    sum += V[i * k + a] * V[i * k + b];
                G2[a * r + b] = G2[b * r + a] = sum;
            }
    }
    /* Re-orthogonalize while V^T V differs from the identity by more than 1e-8 (at most twice
     * more). One pass leaves ~eps cond(X)^2; 1e-8 is far below any statistical resolution, and
     * well above the rounding of the Gram sums themselves (~eps sqrt(n)), which a tighter
     * threshold would chase in vain. */
    for (int pass = 0; pass < 2; pass++) {
        double dev = 0.0;
        for (int a = 0; a < r; a++)
            for (int b = 0; b < r; b++) {
                double e = fabs(G2[a * r + b] - (a == b ? 1.0 : 0.0));
                if (e > dev) dev = e;
            }
        if (dev <= 1e-8) break;
        double U[NTK_SIM_MAX_K * NTK_SIM_MAX_K];
        if (chol_upper(r, G2, U) != 0)
            break; /* cannot happen for rank decisions at NTK_SIM_RANK_TOL; keep the first pass */
        /* V <- V U^-1 (row-wise forward substitution), R <- U R. */
        for (long i = 0; i < n; i++) {
            double *v = V + i * k;
            for (int a = 0; a < r; a++) {
                double t = v[a];
                for (int b = 0; b < a; b++)
                    t -= v[b] * U[b * r + a];
                v[a] = t / U[a * r + a];
            }
        }
        double RN[NTK_SIM_MAX_K * NTK_SIM_MAX_K];
        for (int a = 0; a < r; a++)
            for (int j = 0; j < k; j++) {
                double sum = 0.0;
                for (int b = a; b < r; b++)
                    sum += U[a * r + b] * R[b * k + j];
                RN[a * k + j] = sum;
            }
        memcpy(R, RN, (size_t)r * k * sizeof *R);
        for (int a = 0; a < r; a++)
            for (int b = a; b < r; b++) {
                double sum = 0.0;
                for (long i = 0; i < n; i++)
                    sum += V[i * k + a] * V[i * k + b];
                G2[a * r + b] = G2[b * r + a] = sum;
            }
    }
    return r;
}

/* ------------------------------------------------------------------ inputs */
int ntk_sim_inputs_from_gram(int k, const double *gram, int d, double *X)
{
    if (k < 1 || k > NTK_SIM_MAX_K || d < 1 || !gram || !X)
        return ntk_error_set(NTK_EINVAL,
                             "inputs_from_gram: need 1 <= k <= %d and d >= 1 (k = %d, "
                             "d = %d)",
                             NTK_SIM_MAX_K, k, d);
    for (int i = 0; i < k; i++) {
        if (!(gram[i * k + i] >= 0.0) || !isfinite(gram[i * k + i]))
            return ntk_error_set(NTK_EINVAL,
                                 "input Gram matrix: diagonal entry %d = %g must be >= 0", i,
                                 gram[i * k + i]);
        for (int j = 0; j < i; j++)
            if (!(fabs(gram[i * k + j] - gram[j * k + i]) <=
                  1e-12 * (fabs(gram[i * k + j]) + fabs(gram[j * k + i]) + 1e-300)))
                return ntk_error_set(NTK_EINVAL, "input Gram matrix is not symmetric at (%d, %d)",
                                     i, j);
    }
    double R[NTK_SIM_MAX_K * NTK_SIM_MAX_K], A[NTK_SIM_MAX_K * NTK_SIM_MAX_K];
    int piv[NTK_SIM_MAX_K];
    int r = ntk_sim_pchol(k, gram, 1e-14, R, piv);
    /* PSD check: the dropped residual must be tiny. */
    for (int i = 0; i < k; i++)
        for (int j = 0; j < k; j++) {
            double sum = 0.0;
            for (int a = 0; a < r; a++)
                sum += R[a * k + i] * R[a * k + j];
            A[i * k + j] = sum;
        }
    for (int i = 0; i < k; i++)
        for (int j = 0; j < k; j++) {
            double tol = 1e-7 * sqrt(gram[i * k + i] * gram[j * k + j]) + 1e-300;
            if (!(fabs(A[i * k + j] - gram[i * k + j]) <= tol))
                return ntk_error_set(NTK_EINVAL,
                                     "input Gram matrix is not positive semi-definite (entry "
                                     "(%d, %d))",
                                     i, j);
        }
    if (r > d)
        return ntk_error_set(NTK_EINVAL, "input Gram matrix has rank %d > input dimension d = %d",
                             r, d);
    int pow2 = (d & (d - 1)) == 0;
    /* Column a of B, unit u: b_a(u), with sum_u b_a(u) b_c(u) = d delta_ac. */
    for (long u = 0; u < d; u++) {
        for (int j = 0; j < k; j++) {
            double sum = 0.0;
            for (int a = 0; a < r; a++) {
                double b;
                if (pow2) {
                    b = (__builtin_popcountl((unsigned long)(u & a)) & 1) ? -1.0 : 1.0;
                } else {
                    b = a == 0 ? 1.0 : M_SQRT2 * cos(M_PI * ((double)u + 0.5) * a / d);
                }
                sum += b * R[a * k + j];
            }
            X[u * k + j] = sum;
        }
    }
    return NTK_OK;
}
