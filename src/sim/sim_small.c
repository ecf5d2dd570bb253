/* sim_small.c - Gram matrices, pivoted Cholesky and thin QR for k (small) columns, and the
 * deterministic input builder of the simulator. */
#include "ntksweep/error.h"
#include "sim_priv.h"

#include <math.h>
#include <string.h>

void ntk_sim_gram(long n, int k, const double *A, double *G)
{
    if (k == 1) {
        double s = 0.0;
        for (long i = 0; i < n; i++)
            s += A[i] * A[i];
        G[0] = s;
        return;
    }
    if (k == 2) {
        double s00 = 0.0, s01 = 0.0, s11 = 0.0;
        for (long i = 0; i < n; i++) {
            double a = A[2 * i], b = A[2 * i + 1];
            s00 += a * a;
            s01 += a * b;
            s11 += b * b;
        }
        G[0] = s00;
        G[1] = G[2] = s01;
        G[3] = s11;
        return;
    }
    double acc[NTK_SIM_MAX_K * (NTK_SIM_MAX_K + 1) / 2];
    int np = k * (k + 1) / 2;
    for (int p = 0; p < np; p++)
        acc[p] = 0.0;
    for (long i = 0; i < n; i++) {
        const double *r = A + i * k;
        int p = 0;
        for (int a = 0; a < k; a++) {
            double ra = r[a];
            for (int b = a; b < k; b++)
                acc[p++] += ra * r[b];
        }
    }
    int p = 0;
    for (int a = 0; a < k; a++)
        for (int b = a; b < k; b++) {
            G[a * k + b] = G[b * k + a] = acc[p];
            p++;
        }
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
        double s00 = 0, s01 = 0, s11 = 0;
        for (long i = 0; i < n; i++) {
            double v0 = X[2 * i + p0] * inv[0];
            double v1 = (X[2 * i + p1] - v0 * r01) * inv[1];
            V[2 * i] = v0;
            V[2 * i + 1] = v1;
            s00 += v0 * v0;
            s01 += v0 * v1;
            s11 += v1 * v1;
        }
        G2[0] = s00;
        G2[1] = G2[2] = s01;
        G2[3] = s11;
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
    /* Re-orthogonalize while V^T V is not the identity to 1e-12 (at most twice more). */
    for (int pass = 0; pass < 2; pass++) {
        double dev = 0.0;
        for (int a = 0; a < r; a++)
            for (int b = 0; b < r; b++) {
                double e = fabs(G2[a * r + b] - (a == b ? 1.0 : 0.0));
                if (e > dev) dev = e;
            }
        if (dev <= 1e-12) break;
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
