/* stats.h - deterministic sample statistics for Monte-Carlo results and their tests.
 *
 * All functions read values in the given order and are bitwise reproducible for the same input
 * order. Non-finite values are skipped (counted as not finite), never propagated.
 */
#ifndef NTKSWEEP_STATS_H
#define NTKSWEEP_STATS_H

#include "ntksweep/quantity.h"

#include <stddef.h>

/* Summary of the finite values among x[0], x[stride], ..., x[(n-1) stride] into
 * out[NTK_STAT_COUNT] (quantity.h order: mean, std (n-1 denominator), sem = std/sqrt(n_finite),
 * q25, median, q75, n_finite). Mean and variance are two-pass sums in index order. Quartiles
 * interpolate linearly between order statistics: position (m - 1) p of the sorted finite values
 * (numpy's default, Hyndman-Fan type 7). Entries without enough finite values are NaN (mean needs
 * 1, std/sem 2). work must hold n doubles. Returns the number of finite values. */
long ntk_stats_summary(long n, const double *x, size_t stride, double *work,
                       double out[NTK_STAT_COUNT]);

/* Quantile p in [0, 1] of sorted[0..m-1] (type 7 as above); NaN if m == 0. */
double ntk_stats_quantile_sorted(const double *sorted, long m, double p);

/* Sorts x[0..m-1] ascending (deterministic for finite values). */
void ntk_stats_sort(double *x, long m);

/* Relative second moment eta = mean(x^2) / mean(x)^2 of the finite values, and its standard error
 * by the delta method: with a = mean(x^2), b = mean(x),
 *   var(eta) ~ [var(x^2)/b^4 - 4 a cov(x^2, x)/b^5 + 4 a^2 var(x)/b^6] / m.
 * NaN where m < 2. Returns the number of finite values m. */
long ntk_stats_eta(long n, const double *x, size_t stride, double *eta, double *sem);

/* Two-sample Kolmogorov-Smirnov statistic D = sup |F_a - F_b| of sorted finite samples, and its
 * asymptotic p-value Q_KS(sqrt(m_e) D) with m_e = na nb / (na + nb) (Stephens' small-sample
 * correction (sqrt(m_e) + 0.12 + 0.11/sqrt(m_e)) D). */
double ntk_stats_ks2(const double *a, long na, const double *b, long nb);
double ntk_stats_ks2_pvalue(double D, long na, long nb);

/* Two-sided normal tail probability P(|Z| > |z|). */
double ntk_stats_normal_2tail(double z);

#endif
