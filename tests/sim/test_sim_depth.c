/* test_sim_depth.c - how the fluctuations of the empirical NTK scale with depth (seed-000 Sec.
 * 4.2-4.4, 6.4): relvar = Var G(x,x) / E[G]^2 = eta - 1 at fixed width n = 32 for L = 1..16
 * against the notes' Monte-Carlo table (within the combined standard errors), and the coarse
 * claims: vanilla grows exponentially in L/n, ResNet with constant alpha only slowly (sum alpha/n),
 * DenseNet saturates; at n = 10 L vanilla stays O(1) while ResNet and DenseNet decrease.
 * False failures: Bonferroni over the table comparisons at 1e-4; the coarse ratios have wide
 * margins (they compare effects of 3x and more). */
#include "sim_test.h"

static ntk_model model(int kind, long L)
{
    ntk_model m;
    ntk_model_default(&m);
    m.depth = L;
    m.trained = NTK_GROUP_BIT(NTK_GROUP_W);
    if (kind == 0) {
        m.stem = NTK_STEM_LINEAR; /* vanilla: y^0 = W^s x, y^l = sqrt2 relu(W y / sqrt n) */
    } else if (kind == 1) {
        m.arch = NTK_ARCH_LITTWIN; /* ResNet m = 2, alpha = 0.3 */
        m.m = 2;
        m.alpha.value = 0.3;
    } else if (kind == 2) {
        m.arch = NTK_ARCH_DENSENET; /* alpha = sqrt 2 */
        m.alpha.value = M_SQRT2;
    } else {
        m.arch = NTK_ARCH_LITTWIN; /* ResNet alpha = sqrt2 / L (Fig. 5) */
        m.m = 2;
        m.alpha.value = M_SQRT2 / (double)L;
    }
    return m;
}

/* relvar and its standard error (delta method, via eta) of G(x,x). */
static void relvar(int kind, long L, long n, long N, uint64_t key, double *rv, double *se)
{
    ntk_model m = model(kind, L);
    ntk_program p;
    ntk_model_compile(&m, &p);
    double g[4];
    st_gram2(0.0, g);
    st_run r;
    *rv = *se = NAN;
    if (st_sample(&m, n, 2, g, NTK_SIM_CONDITIONAL, 4242, key, 0, N, &r)) return;
    ntk_sim_result *res = ntk_sim_result_alloc(L, 2);
    ntk_sim_stats(&p, 2, N, r.rec, res);
    /* Var/mean^2 with the n-1 variance: eta - 1 up to O(1/N) */
    double mean = *ntk_sim_result_at(res, NTK_SQ_NTK, 0, 0, NTK_STAT_MEAN, 0);
    double sd = *ntk_sim_result_at(res, NTK_SQ_NTK, 0, 0, NTK_STAT_STD, 0);
    *rv = sd * sd / (mean * mean);
    *se = res->data[NTK_SR_NTK_ETA_SEM][0];
    ntk_sim_result_free(res);
    st_free(&r);
}

int main(void)
{
    static const long Ls[5] = {1, 2, 4, 8, 16};
    /* seed-000 6.4, n = 32: relvar +- se (3000 runs; DenseNet L = 1, 2, 8, 16: 2000 runs) */
    static const double tab[3][5][2] = {
        {{0.2349, 0.0094}, {0.3415, 0.0160}, {0.5992, 0.0313}, {1.6031, 0.2423}, {6.3977, 1.6982}},
        {{0.2284, 0.0082}, {0.2225, 0.0097}, {0.2680, 0.0124}, {0.4139, 0.0249}, {0.8198, 0.0737}},
        {{0.2413, 0.0109}, {0.2966, 0.0141}, {0.3674, 0.0191}, {0.3873, 0.0236}, {0.3578, 0.0207}}};
    static const char *nm[3] = {"vanilla", "resnet a=0.3", "densenet a=sqrt2"};
    double zc = st_zcrit(1e-4, 15);
    double rv[3][5], se[3][5];
    for (int kind = 0; kind < 3; kind++)
        for (int i = 0; i < 5; i++) {
            relvar(kind, Ls[i], 32, 4000, (uint64_t)(10 * kind + i), &rv[kind][i], &se[kind][i]);
            char w[160];
            snprintf(w, sizeof w, "%s n=32 L=%ld: relvar vs seed-000 6.4", nm[kind], Ls[i]);
            double s = sqrt(se[kind][i] * se[kind][i] + tab[kind][i][1] * tab[kind][i][1]);
            st_check_z(w, rv[kind][i], tab[kind][i][0], s, zc, 0.0);
        }
    /* Coarse shape: vanilla grows ~27x from L = 1 to 16, ResNet ~3.6x, DenseNet saturates. */
    CHECK(rv[0][4] / rv[0][0] > 8.0);
    CHECK(rv[1][4] / rv[1][0] > 1.8 && rv[1][4] / rv[1][0] < 8.0);
    CHECK(rv[1][4] / rv[1][0] < 0.5 * rv[0][4] / rv[0][0]);
    CHECK(rv[2][4] / rv[2][2] > 0.7 && rv[2][4] / rv[2][2] < 1.4);
    CHECK(rv[0][4] > 3.0 * rv[2][4]);
    printf("relvar n=32, L = 1..16:\n");
    for (int kind = 0; kind < 3; kind++) {
        printf("  %-17s", nm[kind]);
        for (int i = 0; i < 5; i++)
            printf(" %.3f+-%.3f", rv[kind][i], se[kind][i]);
        printf("\n");
    }
    /* n = 10 L (Fig. 5): vanilla stays O(1) (0.80, 0.57, 0.50, 0.39 in the notes); ResNet with
     * alpha = sqrt2/L and DenseNet decrease (0.92 -> 0.10 and 0.81 -> 0.14). */
    double v1, v8, r1, r8, d1, d8, s_;
    relvar(0, 1, 10, 3000, 100, &v1, &s_);
    relvar(0, 8, 80, 3000, 101, &v8, &s_);
    relvar(3, 1, 10, 3000, 102, &r1, &s_);
    relvar(3, 8, 80, 3000, 103, &r8, &s_);
    relvar(2, 1, 10, 3000, 104, &d1, &s_);
    relvar(2, 8, 80, 3000, 105, &d8, &s_);
    printf("n = 10 L: vanilla %.3f -> %.3f, resnet sqrt2/L %.3f -> %.3f, densenet %.3f -> %.3f\n",
           v1, v8, r1, r8, d1, d8);
    CHECK(v8 > 0.25 && v8 > 0.3 * v1);
    CHECK(r8 < r1 / 4.0);
    CHECK(d8 < d1 / 3.0);
    CHECK(v8 > 2.0 * r8 && v8 > 2.0 * d8);
    return check_summary("sim.depth");
}
