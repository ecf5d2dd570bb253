/* test_sim_papers.c - the finite-width Monte-Carlo checks of the spec notes, with their golden
 * theory values:
 *   seed-002 Sec. 3.3: Tirer et al.'s ResNet (eq. 6; all layers trained, U x / sqrt d, sigma = 1),
 *     n = 2000, L = 5, alpha = 0.1, 30 seeds, x0 = (1, 0) and x~ at 7 angles (k = 8 inputs in one
 *     network, rank 2: x~(0) = x0, x~(pi) = -x0): |mean - Theta(gamma)| <= 4 sd / sqrt(30);
 *   seed-003 Sec. 5.5: Huang et al.'s FFNet and ResNet (alpha = 1/L) at width m = 500, L = 5,
 *     rho = 0: NTK(x,x~), NTK(x,x), <x_5, x~_5> within 4 standard errors plus 1% (O(1/m) bias).
 * Dense engine (the papers' explicit-matrix computation) and conditional engine. Labeled slow. */
#include "sim_test.h"

static void seed002(ntk_sim_engine e)
{
    ntk_model m;
    ntk_model_default(&m);
    m.arch = NTK_ARCH_RESNET;
    m.sigma_w = m.sigma_v = m.sigma_out = m.sigma_in = 1.0;
    m.alpha.value = 0.1;
    m.depth = 5;
    m.d = 2;
    const int k = 8;
    static const double gam[7] = {0,   M_PI / 6, M_PI / 3, M_PI / 2, 2 * M_PI / 3, 5 * M_PI / 6,
                                  M_PI};
    static const double want[7] = {1.050755,  0.906651,  0.523893, 0.008118,
                                   -0.501395, -0.869345, -1.000966};
    double ang[8], g[64];
    ang[0] = 0.0;
    for (int i = 0; i < 7; i++)
        ang[i + 1] = gam[i];
    for (int i = 0; i < k; i++)
        for (int j = 0; j < k; j++)
            g[i * k + j] = cos(ang[i] - ang[j]) / 2.0; /* K0 = x.x'/d, d = 2 */
    st_run r;
    if (st_sample(&m, 2000, k, g, e, 2020, 9, 0, 30, &r)) return;
    for (int i = 0; i < 7; i++) {
        st_mom mo = st_moments(&r, NTK_SQ_NTK, 0, 0, ntk_pair_index(0, i + 1, k), 1);
        char w[160];
        snprintf(w, sizeof w, "seed-002 %s n=2000: Theta(x0, x(%.4f))", ntk_sim_engine_name(e),
                 gam[i]);
        st_check_z(w, mo.mean, want[i], mo.se, 4.0, 0.0);
        /* per-seed spread of the notes: sd 0.0093..0.0248, i.e. sd sqrt(n)/Theta(0) ~ 1 */
        CHECK(sqrt(mo.var) < 0.05);
    }
    CHECK_INT(r.nonfinite, 0);
    st_free(&r);
}

static void seed003(ntk_sim_engine e)
{
    double g[4];
    st_gram2(0.0, g); /* unit inputs, rho = 0: our K0 = Huang's x.x~ */
    char w[200];
    /* FFNet eq. (4): x_l = sqrt(2/m) relu(W x), f = v.x_L, W_1..W_L trained. */
    ntk_model m;
    ntk_model_default(&m);
    m.depth = 5;
    m.trained = NTK_GROUP_BIT(NTK_GROUP_W);
    st_run r;
    if (st_sample(&m, 500, 2, g, e, 2003, 1, 0, 200, &r) == 0) {
        struct {
            int q;
            long l;
            int idx;
            double th;
            const char *nm;
        } ff[3] = {{NTK_SQ_NTK, 0, 1, 1.0562496, "NTK(x,x~)"},
                   {NTK_SQ_NTK, 0, 0, 5.0, "NTK(x,x)"},
                   {NTK_SQ_P, 5, 1, 0.7359464, "<x_5,x~_5>"}};
        for (int t = 0; t < 3; t++) {
            st_mom mo = st_moments(&r, ff[t].q, ff[t].l, 0, ff[t].idx, 1);
            snprintf(w, sizeof w, "seed-003 %s FFNet m=500 L=5: %s", ntk_sim_engine_name(e),
                     ff[t].nm);
            st_check_z(w, mo.mean, ff[t].th, mo.se, 4.0, 0.01 * fabs(ff[t].th));
        }
        st_free(&r);
    }
    /* ResNet eq. (5), alpha = 1/L: x_l = x + alpha V relu(sqrt(2/m) W x)/sqrt m, W, V trained. */
    ntk_model_default(&m);
    m.arch = NTK_ARCH_RESNET;
    m.depth = 5;
    m.alpha.value = 0.2;
    m.trained = NTK_GROUP_BIT(NTK_GROUP_W) | NTK_GROUP_BIT(NTK_GROUP_V);
    if (st_sample(&m, 500, 2, g, e, 2003, 2, 0, 120, &r) == 0) {
        struct {
            int q;
            long l;
            int idx;
            double th;
            const char *nm;
        } rs[3] = {{NTK_SQ_NTK, 0, 1, 0.0773392, "NTK(x,x~)"},
                   {NTK_SQ_NTK, 0, 0, 0.4679434, "NTK(x,x)"},
                   {NTK_SQ_P, 5, 1, 0.0716972, "<x_5,x~_5>"}};
        for (int t = 0; t < 3; t++) {
            st_mom mo = st_moments(&r, rs[t].q, rs[t].l, 0, rs[t].idx, 1);
            snprintf(w, sizeof w, "seed-003 %s ResNet m=500 L=5: %s", ntk_sim_engine_name(e),
                     rs[t].nm);
            st_check_z(w, mo.mean, rs[t].th, mo.se, 4.0, 0.01 * fabs(rs[t].th));
        }
        /* the notes' interquartile range of NTK(x,x~) at m = 500: (0.0678, 0.0878) */
        long nv;
        double *v = st_sorted(&r, NTK_SQ_NTK, 0, 0, 1, &nv);
        double iqr =
            ntk_stats_quantile_sorted(v, nv, 0.75) - ntk_stats_quantile_sorted(v, nv, 0.25);
        printf("seed-003 %s ResNet m=500: IQR of NTK(x,x~) %.4f (notes 0.0200)\n",
               ntk_sim_engine_name(e), iqr);
        CHECK(iqr > 0.012 && iqr < 0.030);
        free(v);
        st_free(&r);
    }
}

int main(void)
{
    for (int e = NTK_SIM_DENSE; e <= NTK_SIM_CONDITIONAL; e++) {
        seed002((ntk_sim_engine)e);
        seed003((ntk_sim_engine)e);
    }
    return check_summary("sim.papers");
}
