/* stats.c - deterministic sample statistics (see stats.h). */
#include "ntksweep/stats.h"

#include <math.h>
#include <stdlib.h>

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

void ntk_stats_sort(double *x, long m)
{
    if (m > 1) qsort(x, (size_t)m, sizeof *x, cmp_double);
}

double ntk_stats_quantile_sorted(const double *sorted, long m, double p)
{
    if (m <= 0) return NAN;
    double h = (double)(m - 1) * p;
    long lo = (long)floor(h);
    if (lo >= m - 1) return sorted[m - 1];
    if (lo < 0) return sorted[0];
    double frac = h - (double)lo;
    return sorted[lo] + frac * (sorted[lo + 1] - sorted[lo]);
}

long ntk_stats_summary(long n, const double *x, size_t stride, double *work,
                       double out[NTK_STAT_COUNT])
{
    long m = 0;
    double sum = 0.0;
    for (long i = 0; i < n; i++) {
        double v = x[(size_t)i * stride];
        if (isfinite(v)) {
            work[m++] = v;
            sum += v;
        }
    }
    for (int s = 0; s < NTK_STAT_COUNT; s++)
        out[s] = NAN;
    out[NTK_STAT_NFINITE] = (double)m;
    if (m == 0) return 0;
    double mean = sum / (double)m;
    out[NTK_STAT_MEAN] = mean;
    if (m >= 2) {
        double ss = 0.0;
        for (long i = 0; i < m; i++) {
            double dv = work[i] - mean;
            ss += dv * dv;
        }
        double sd = sqrt(ss / (double)(m - 1));
        out[NTK_STAT_STD] = sd;
        out[NTK_STAT_SEM] = sd / sqrt((double)m);
    }
    ntk_stats_sort(work, m);
    out[NTK_STAT_Q25] = ntk_stats_quantile_sorted(work, m, 0.25);
    out[NTK_STAT_MEDIAN] = ntk_stats_quantile_sorted(work, m, 0.5);
    out[NTK_STAT_Q75] = ntk_stats_quantile_sorted(work, m, 0.75);
    return m;
}

long ntk_stats_eta(long n, const double *x, size_t stride, double *eta, double *sem)
{
    long m = 0;
    double s1 = 0.0, s2 = 0.0;
    for (long i = 0; i < n; i++) {
        double v = x[(size_t)i * stride];
        if (isfinite(v)) {
            m++;
            s1 += v;
            s2 += v * v;
        }
    }
    *eta = *sem = NAN;
    if (m < 2) return m;
    double b = s1 / (double)m, a = s2 / (double)m;
    /* Central second moments of (x^2, x) about (a, b). */
    double vxx = 0.0, vqq = 0.0, cqx = 0.0;
    for (long i = 0; i < n; i++) {
        double v = x[(size_t)i * stride];
        if (!isfinite(v)) continue;
        double dx = v - b, dq = v * v - a;
        vxx += dx * dx;
        vqq += dq * dq;
        cqx += dq * dx;
    }
    vxx /= (double)(m - 1);
    vqq /= (double)(m - 1);
    cqx /= (double)(m - 1);
    double b2 = b * b;
    *eta = a / b2;
    double var =
        (vqq / (b2 * b2) - 4.0 * a * cqx / (b2 * b2 * b) + 4.0 * a * a * vxx / (b2 * b2 * b2)) /
        (double)m;
    *sem = var > 0 ? sqrt(var) : 0.0;
    return m;
}

double ntk_stats_ks2(const double *a, long na, const double *b, long nb)
{
    long i = 0, j = 0;
    double d = 0.0;
    while (i < na && j < nb) {
        double v = a[i] <= b[j] ? a[i] : b[j];
        while (i < na && a[i] <= v)
            i++;
        while (j < nb && b[j] <= v)
            j++;
        double diff = fabs((double)i / (double)na - (double)j / (double)nb);
        if (diff > d) d = diff;
    }
    return d;
}

double ntk_stats_ks2_pvalue(double D, long na, long nb)
{
    double me = (double)na * (double)nb / (double)(na + nb);
    double sq = sqrt(me);
    double lambda = (sq + 0.12 + 0.11 / sq) * D;
    if (lambda < 0.2) return 1.0;
    /* Q_KS(lambda) = 2 sum_{j>=1} (-1)^(j-1) exp(-2 j^2 lambda^2). */
    double sum = 0.0, sign = 1.0;
    for (int jj = 1; jj <= 100; jj++) {
        double term = sign * exp(-2.0 * jj * jj * lambda * lambda);
        sum += term;
        if (fabs(term) < 1e-16 * fabs(sum)) break;
        sign = -sign;
    }
    double p = 2.0 * sum;
    return p < 0 ? 0 : (p > 1 ? 1 : p);
}

double ntk_stats_normal_2tail(double z)
{
    return erfc(fabs(z) / sqrt(2.0));
}
