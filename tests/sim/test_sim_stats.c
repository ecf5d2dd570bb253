/* test_sim_stats.c - sample statistics: summaries against hand-computed values (numpy's type-7
 * quartiles), skipping of non-finite values, the delta-method standard error of eta against the
 * spread over replicate data sets, the KS statistic, and the placement of ntk_sim_stats results
 * in the [layer][group][stat][pair] arrays. */
#include "ntksweep/rng.h"
#include "sim_test.h"

static void test_summary(void)
{
    double x[10] = {3, 1, 4, 1, 5, 9, 2, 6, NAN, INFINITY}, w[10], st[NTK_STAT_COUNT];
    long m = ntk_stats_summary(10, x, 1, w, st);
    CHECK_INT(m, 8);
    CHECK_REL(st[NTK_STAT_MEAN], 3.875, 1e-15);
    /* sum of squared deviations 52.875 over n - 1 = 7 */
    CHECK_REL(st[NTK_STAT_STD], sqrt(52.875 / 7.0), 1e-15);
    CHECK_REL(st[NTK_STAT_SEM], sqrt(52.875 / 7.0) / sqrt(8.0), 1e-15);
    CHECK_REL(st[NTK_STAT_Q25], 1.75, 1e-15); /* numpy.percentile(.., 25) */
    CHECK_REL(st[NTK_STAT_MEDIAN], 3.5, 1e-15);
    CHECK_REL(st[NTK_STAT_Q75], 5.25, 1e-15);
    CHECK_INT(st[NTK_STAT_NFINITE], 8);
    /* strided access reads every other value */
    double y[6] = {1, -1, 2, -1, 6, -1};
    m = ntk_stats_summary(3, y, 2, w, st);
    CHECK_REL(st[NTK_STAT_MEAN], 3.0, 1e-15);
    CHECK_REL(st[NTK_STAT_MEDIAN], 2.0, 1e-15);
    /* degenerate sizes */
    m = ntk_stats_summary(1, y, 1, w, st);
    CHECK(st[NTK_STAT_MEAN] == 1.0 && isnan(st[NTK_STAT_STD]) && st[NTK_STAT_Q75] == 1.0);
    m = ntk_stats_summary(2, x + 8, 1, w, st);
    CHECK(m == 0 && isnan(st[NTK_STAT_MEAN]) && st[NTK_STAT_NFINITE] == 0.0);
}

static void test_eta(void)
{
    double two[4] = {1, 3, 1, 3}, eta, se;
    ntk_stats_eta(4, two, 1, &eta, &se);
    CHECK_REL(eta, 1.25, 1e-15);
    /* Exponential(1) data: eta = E x^2 / (E x)^2 = 2. The delta-method standard error must match
     * the spread of eta over R replicate data sets: with R = 400 the ratio sd/rms(se) has a
     * sampling error of about 4%, the tolerance is 20%. */
    enum { R = 400, N = 500 };
    double etas[R], ses[R], x[N], u2[N];
    for (int r = 0; r < R; r++) {
        ntk_rng_stream st = {ntk_rng_key_make(3, 4), (uint32_t)r, 0, 0};
        ntk_rng_uniforms(&st, 0, N, x, u2);
        for (int i = 0; i < N; i++)
            x[i] = -log(x[i]);
        ntk_stats_eta(N, x, 1, &etas[r], &ses[r]);
    }
    double m = 0, v = 0, s2 = 0;
    for (int r = 0; r < R; r++)
        m += etas[r] / R;
    for (int r = 0; r < R; r++) {
        v += (etas[r] - m) * (etas[r] - m) / (R - 1);
        s2 += ses[r] * ses[r] / R;
    }
    printf("eta: mean %.4f (exact 2), sd over replicates %.4f, rms se %.4f\n", m, sqrt(v),
           sqrt(s2));
    CHECK_ABS(m, 2.0, 5 * sqrt(v / R) + 0.02); /* O(1/N) bias allowance */
    CHECK_REL(sqrt(v), sqrt(s2), 0.2);
}

static void test_ks(void)
{
    double a[5] = {1, 2, 3, 4, 5}, b[5] = {6, 7, 8, 9, 10};
    CHECK(ntk_stats_ks2(a, 5, a, 5) == 0.0);
    CHECK(ntk_stats_ks2(a, 5, b, 5) == 1.0);
    CHECK(ntk_stats_ks2_pvalue(0.0, 100, 100) == 1.0);
    CHECK(ntk_stats_ks2_pvalue(0.5, 1000, 1000) < 1e-50);
    /* Q_KS(1.36) ~ 0.05 (the classical 5% critical value for large samples) */
    double me = 1e8;
    double D = 1.36 / (sqrt(me) + 0.12 + 0.11 / sqrt(me));
    CHECK_ABS(ntk_stats_ks2_pvalue(D, 200000000, 200000000), 0.0494, 0.001);
    CHECK_ABS(ntk_stats_normal_2tail(1.959963984540054), 0.05, 1e-12);
}

/* Synthetic records: entry values are known functions of the sample index. */
static void test_sim_stats_layout(void)
{
    ntk_model m;
    ntk_model_default(&m);
    m.depth = 3;
    ntk_program p;
    ntk_model_compile(&m, &p);
    const int k = 2;
    ntk_sim_layout lay;
    ntk_sim_layout_init(&lay, m.depth, k);
    const long N = 101;
    double *rec = malloc((size_t)N * lay.record_size * sizeof *rec);
    for (long i = 0; i < N; i++) {
        double *r = rec + (size_t)i * lay.record_size;
        for (size_t e = 0; e < lay.record_size; e++)
            r[e] = 0.0;
        *ntk_sim_record_at(&lay, r, NTK_SQ_NTK, 0, 0, 1) = (double)i;
        *ntk_sim_record_at(&lay, r, NTK_SQ_NTK_LAYER, 2, NTK_GROUP_V, 2) = 2.0 * (double)i;
        *ntk_sim_record_at(&lay, r, NTK_SQ_CHI_GROUP, 3, NTK_GROUP_B, 1) = -(double)i;
        if (i % 10 == 0) *ntk_sim_record_at(&lay, r, NTK_SQ_F, 0, 0, 1) = INFINITY;
    }
    ntk_sim_result *res = ntk_sim_result_alloc(m.depth, k);
    CHECK(ntk_sim_stats(&p, k, N, rec, res) == NTK_OK);
    CHECK_REL(*ntk_sim_result_at(res, NTK_SQ_NTK, 0, 0, NTK_STAT_MEAN, 1), 50.0, 1e-15);
    CHECK_REL(*ntk_sim_result_at(res, NTK_SQ_NTK, 0, 0, NTK_STAT_Q25, 1), 25.0, 1e-15);
    CHECK_REL(*ntk_sim_result_at(res, NTK_SQ_NTK_LAYER, 2, NTK_GROUP_V, NTK_STAT_MEDIAN, 2), 100.0,
              1e-15);
    CHECK_REL(*ntk_sim_result_at(res, NTK_SQ_CHI_GROUP, 3, NTK_GROUP_B, NTK_STAT_Q75, 1), -25.0,
              1e-15);
    CHECK_INT(*ntk_sim_result_at(res, NTK_SQ_F, 0, 0, NTK_STAT_NFINITE, 1), 90);
    CHECK_INT(*ntk_sim_result_at(res, NTK_SQ_F, 0, 0, NTK_STAT_NFINITE, 0), 101);
    CHECK_INT(res->data[NTK_SR_N_NONFINITE][0], 11);
    CHECK_INT(res->nsamples, N);
    /* eta of 0, 1, ..., 100: mean(i^2) / mean(i)^2 = (100 * 201 / 6) / 2500 */
    CHECK_REL(res->data[NTK_SR_NTK_ETA][1], (100.0 * 201.0 / 6.0) / 2500.0, 1e-14);
    /* the result table describes every array with its dims */
    const ntk_qty_desc *t = ntk_sim_result_qty_table();
    CHECK(strcmp(t[NTK_SQ_NTK].name, "ntk") == 0 && (t[NTK_SQ_NTK].dims & NTK_DIM_STAT));
    CHECK(strcmp(t[NTK_SR_NTK_ETA].name, "ntk_eta") == 0);
    CHECK(strcmp(ntk_sim_qty_table()[NTK_SQ_CHI_GROUP].name, "chi_group") == 0);
    ntk_sim_result *bad = ntk_sim_result_alloc(m.depth + 1, k);
    CHECK(ntk_sim_stats(&p, k, N, rec, bad) == NTK_EINVAL);
    ntk_sim_result_free(bad);
    ntk_sim_result_free(res);
    free(rec);
}

int main(void)
{
    test_summary();
    test_eta();
    test_ks();
    test_sim_stats_layout();
    return check_summary("sim.stats");
}
