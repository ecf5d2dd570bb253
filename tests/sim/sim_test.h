/* sim_test.h - helpers shared by the simulator tests: sampling a point into a record array,
 * moments of one record entry with standard errors, and the statistical comparisons used by the
 * Monte-Carlo tests.
 *
 * False-failure design: every statistical check of an executable compares a z statistic (or a
 * KS p-value) against a Bonferroni threshold st_zcrit(alpha, m) for m checks at family-wise level
 * alpha (1e-4 unless a test says otherwise), i.e. an executable whose engine is right fails with
 * probability below alpha. The seeds are fixed, so every run gives the same verdict.
 */
#ifndef NTKSWEEP_TESTS_SIM_TEST_H
#define NTKSWEEP_TESTS_SIM_TEST_H

#include "check.h"
#include "ntksweep/error.h"
#include "ntksweep/model.h"
#include "ntksweep/sim.h"
#include "ntksweep/stats.h"

#include <gsl/gsl_cdf.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Two-sided z threshold for m checks at family-wise false-failure rate alpha. */
static inline double st_zcrit(double alpha, int m)
{
    return gsl_cdf_ugaussian_Qinv(alpha / (2.0 * (m > 0 ? m : 1)));
}

/* Records of samples [s0, s0 + N) of one point: returns a malloc'd array (N x record_size) and
 * the layout; NULL after a failed check. */
typedef struct {
    ntk_sim_layout lay;
    long N;
    double *rec;
    long nonfinite; /* samples with non-finite values */
} st_run;

static inline int st_sample(const ntk_model *m, long width, int k, const double *gram,
                            ntk_sim_engine eng, uint64_t seed, uint64_t key, long s0, long N,
                            st_run *out)
{
    memset(out, 0, sizeof *out);
    ntk_program prog;
    if (ntk_model_compile(m, &prog) != NTK_OK) {
        printf("compile: %s\n", ntk_error_msg());
        CHECK(0);
        return -1;
    }
    double *X = malloc((size_t)m->d * (size_t)k * sizeof *X);
    if (ntk_sim_inputs_from_gram(k, gram, m->d, X) != NTK_OK) {
        printf("inputs: %s\n", ntk_error_msg());
        CHECK(0);
        free(X);
        return -1;
    }
    ntk_sim *s = ntk_sim_alloc(&prog, width, k, eng);
    if (!s) {
        printf("alloc: %s\n", ntk_error_msg());
        CHECK(0);
        free(X);
        return -1;
    }
    out->lay = *ntk_sim_layout_of(s);
    out->N = N;
    out->rec = malloc((size_t)N * out->lay.record_size * sizeof(double));
    for (long i = 0; i < N; i++) {
        int rc = ntk_sim_sample(s, X, seed, key, (uint64_t)(s0 + i),
                                out->rec + (size_t)i * out->lay.record_size);
        if (rc < 0) {
            printf("sample: %s\n", ntk_error_msg());
            CHECK(0);
            break;
        }
        out->nonfinite += rc > 0;
    }
    ntk_sim_free(s);
    free(X);
    return 0;
}

static inline void st_free(st_run *r)
{
    free(r->rec);
    r->rec = NULL;
}

/* Value of entry (q, layer, group, idx) in sample i. */
static inline double st_val(const st_run *r, long i, int q, long layer, int group, int idx)
{
    return *ntk_sim_record_at(&r->lay, r->rec + (size_t)i * r->lay.record_size, q, layer, group,
                              idx);
}

/* Moments of g(x) over the samples of one entry, g(x) = x^pow. */
typedef struct {
    long n;
    double mean, se;    /* mean of x^pow and its standard error          */
    double var, var_se; /* variance of x^pow and its standard error      */
} st_mom;

static inline st_mom st_moments(const st_run *r, int q, long layer, int group, int idx, int pw)
{
    st_mom m = {0, 0, 0, 0, 0};
    double s1 = 0;
    for (long i = 0; i < r->N; i++) {
        double v = st_val(r, i, q, layer, group, idx);
        if (!isfinite(v)) continue;
        s1 += pow(v, pw);
        m.n++;
    }
    if (m.n < 2) return m;
    m.mean = s1 / (double)m.n;
    double m2 = 0, m4 = 0;
    for (long i = 0; i < r->N; i++) {
        double v = st_val(r, i, q, layer, group, idx);
        if (!isfinite(v)) continue;
        double d = pow(v, pw) - m.mean;
        m2 += d * d;
        m4 += d * d * d * d;
    }
    m.var = m2 / (double)(m.n - 1);
    m.se = sqrt(m.var / (double)m.n);
    m4 /= (double)m.n;
    double v0 = m2 / (double)m.n;
    m.var_se = sqrt(fmax(m4 - v0 * v0, 0.0) / (double)m.n);
    return m;
}

/* Sorted finite values of one entry (malloc'd; *m receives the count). */
static inline double *st_sorted(const st_run *r, int q, long layer, int group, int idx, long *m)
{
    double *v = malloc((size_t)r->N * sizeof *v);
    *m = 0;
    for (long i = 0; i < r->N; i++) {
        double x = st_val(r, i, q, layer, group, idx);
        if (isfinite(x)) v[(*m)++] = x;
    }
    ntk_stats_sort(v, *m);
    return v;
}

/* Checks |got - want| <= zc * se + allow and prints the z score. */
static inline int st_check_z(const char *what, double got, double want, double se, double zc,
                             double allow)
{
    double z = (got - want) / se;
    int ok = fabs(got - want) <= zc * se + allow;
    char buf[400];
    snprintf(buf, sizeof buf, "%s: %.6g vs %.6g (se %.3g, z = %.2f, threshold %.2f + %.3g)", what,
             got, want, se, z, zc, allow);
    return check_report_(ok, __FILE__, __LINE__, buf);
}

/* Two-sample comparison of one entry of runs a and b: means, variances, quartiles (fraction of
 * b below a's quartile) and the KS test, each at threshold zc (KS: p-value > 2 Phi(-zc)).
 * Counts 6 checks. */
static inline void st_compare2(const char *what, const st_run *a, const st_run *b, int q,
                               long layer, int group, int idx, double zc)
{
    char name[200];
    st_mom ma = st_moments(a, q, layer, group, idx, 1), mb = st_moments(b, q, layer, group, idx, 1);
    snprintf(name, sizeof name, "%s mean (b - a)", what);
    st_check_z(name, mb.mean - ma.mean, 0.0, sqrt(ma.se * ma.se + mb.se * mb.se), zc, 0.0);
    snprintf(name, sizeof name, "%s variance (b - a)", what);
    st_check_z(name, mb.var - ma.var, 0.0, sqrt(ma.var_se * ma.var_se + mb.var_se * mb.var_se), zc,
               0.0);
    long na, nb;
    double *sa = st_sorted(a, q, layer, group, idx, &na),
           *sb = st_sorted(b, q, layer, group, idx, &nb);
    static const double ps[3] = {0.25, 0.5, 0.75};
    for (int t = 0; t < 3; t++) {
        double qa = ntk_stats_quantile_sorted(sa, na, ps[t]);
        long below = 0;
        while (below < nb && sb[below] < qa)
            below++;
        double frac = (double)below / (double)nb, p = ps[t];
        snprintf(name, sizeof name, "%s P_b(x < q%.0f_a)", what, 100 * p);
        st_check_z(name, frac, p, sqrt(p * (1 - p) * (1.0 / na + 1.0 / nb)), zc, 0.0);
    }
    double D = ntk_stats_ks2(sa, na, sb, nb), pv = ntk_stats_ks2_pvalue(D, na, nb);
    double pmin = 2.0 * gsl_cdf_ugaussian_Q(zc);
    char buf[300];
    snprintf(buf, sizeof buf, "%s KS: D = %.4f, p = %.3g (min %.3g)", what, D, pv, pmin);
    check_report_(pv > pmin, __FILE__, __LINE__, buf);
    free(sa);
    free(sb);
}

/* Two inputs with unit per-coordinate norm and correlation rho. */
static inline void st_gram2(double rho, double *g)
{
    g[0] = g[3] = 1.0;
    g[1] = g[2] = rho;
}

#endif
