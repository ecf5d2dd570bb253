/* test_sim_engines.c - the dense (explicit matrices) and conditional (matrix-free) engines sample
 * the same law: on every architecture, at small widths where finite-width effects are large,
 * two-sample tests of the empirical NTK, the input-gradient ratio chi and the stream covariance
 * (means, variances, quartiles, Kolmogorov-Smirnov) at two seeds each.
 *
 * False failures: all checks share a Bonferroni threshold for a family-wise rate of 1e-4. */
#include "sim_test.h"

typedef struct {
    const char *name;
    ntk_model m;
    long n;
    int k; /* inputs (0: 2) */
} cfg;

static ntk_model base(ntk_arch_kind a, ntk_act_kind act, long depth)
{
    ntk_model m;
    ntk_model_default(&m);
    m.arch = a;
    m.act.kind = act;
    m.depth = depth;
    m.d = 3;
    return m;
}

int main(void)
{
    cfg c[16];
    int nc = 0;
    ntk_model m = base(NTK_ARCH_FF, NTK_ACT_RELU, 4); /* stem none: block 1 reads x (d = 3) */
    m.sigma_b = 0.2;
    c[nc++] = (cfg){"ff relu, no stem", m, 32, 0};
    m = base(NTK_ARCH_FF, NTK_ACT_TANH, 4);
    m.stem = NTK_STEM_LINEAR;
    m.sigma_w = 1.5;
    m.sigma_b = 0.3;
    m.sigma_in_b = 0.2;
    m.sigma_out_b = 0.5;
    c[nc++] = (cfg){"ff tanh, linear stem, biases", m, 32, 0};
    m.param = NTK_PARAM_STANDARD;
    c[nc++] = (cfg){"ff tanh, standard parameterization", m, 24, 0};
    m = base(NTK_ARCH_RRN, NTK_ACT_TANH, 4);
    m.sigma_w = 1.2;
    m.sigma_b = 0.2;
    m.d = 32;
    c[nc++] = (cfg){"rrn tanh", m, 32, 0};
    m = base(NTK_ARCH_FRN, NTK_ACT_TANH, 4);
    m.sigma_w = 1.3;
    m.sigma_b = 0.7;
    m.sigma_v = 1.2;
    m.sigma_a = 0.7;
    m.d = 32;
    c[nc++] = (cfg){"frn tanh", m, 32, 0};
    m.act.kind = NTK_ACT_RELU;
    m.depth = 3;
    c[nc++] = (cfg){"frn relu", m, 32, 0};
    m = base(NTK_ARCH_RESNET, NTK_ACT_RELU, 4);
    m.alpha.value = 0.5;
    m.sigma_b = 0.1;
    m.sigma_a = 0.2;
    c[nc++] = (cfg){"resnet relu", m, 32, 0};
    m = base(NTK_ARCH_PRERESNET, NTK_ACT_RELU, 5);
    m.alpha.kind = NTK_ALPHA_INVSQRT;
    m.sigma_b = 0.2;
    c[nc++] = (cfg){"preresnet relu 1/sqrt(l)", m, 32, 0};
    m = base(NTK_ARCH_LITTWIN, NTK_ACT_RELU, 4);
    m.alpha.value = 0.3;
    m.m = 2;
    c[nc++] = (cfg){"littwin m=2", m, 24, 0};
    m = base(NTK_ARCH_DENSENET, NTK_ACT_RELU, 4);
    m.alpha.value = M_SQRT2;
    c[nc++] = (cfg){"densenet", m, 24, 0};
    /* one and three inputs (the general-k code paths) */
    m = base(NTK_ARCH_RESNET, NTK_ACT_TANH, 3);
    m.sigma_b = 0.2;
    c[nc++] = (cfg){"resnet tanh, k = 3", m, 32, 3};
    m = base(NTK_ARCH_FF, NTK_ACT_GELU, 3);
    m.stem = NTK_STEM_LINEAR;
    c[nc++] = (cfg){"ff gelu, k = 1", m, 32, 1};

    const int nseed = 2, nent = 5, per = 6;
    double zc = st_zcrit(1e-4, nc * nseed * nent * per);
    printf("z threshold %.3f for %d checks\n", zc, nc * nseed * nent * per);
    const long N = 4000;
    double g2[4] = {1.0, 0.35, 0.35, 0.8};
    double g3[9] = {1.0, 0.35, -0.3, 0.35, 0.8, 0.1, -0.3, 0.1, 1.2};
    double g1[1] = {1.3};
    for (int i = 0; i < nc; i++)
        for (int sd = 0; sd < nseed; sd++) {
            st_run a, b;
            uint64_t seed = 1000 + (uint64_t)sd, key = 77 + (uint64_t)i;
            int k = c[i].k ? c[i].k : 2;
            const double *g = k == 1 ? g1 : k == 2 ? g2 : g3;
            if (st_sample(&c[i].m, c[i].n, k, g, NTK_SIM_DENSE, seed, key, 0, N, &a) != 0) continue;
            if (st_sample(&c[i].m, c[i].n, k, g, NTK_SIM_CONDITIONAL, seed, key, 0, N, &b) != 0)
                continue;
            long L = c[i].m.depth, r0 = (c[i].m.arch == NTK_ARCH_PRERESNET) ? 1 : 0;
            char what[160];
            /* three NTK entries (k = 3: (0,0), (0,2), (1,2); k = 1: the one entry and its
             * readout and hidden-weight parts) */
            int pq[3][2] = {{0, 0}, {0, 1}, {1, 1}};
            if (k == 3) {
                pq[1][1] = 2;
                pq[2][0] = 1;
                pq[2][1] = 2;
            }
            for (int t = 0; t < 3; t++) {
                int q = NTK_SQ_NTK, gr = 0, idx = ntk_pair_index(pq[t][0], pq[t][1], k);
                if (k == 1) {
                    idx = 0;
                    q = t == 0 ? NTK_SQ_NTK : NTK_SQ_NTK_GROUP;
                    gr = t == 1 ? NTK_GROUP_READOUT : NTK_GROUP_W;
                }
                snprintf(what, sizeof what, "%s seed %d: %s[%d,%d] group %d", c[i].name, sd,
                         ntk_sim_qty_table()[q].name, pq[t][0], pq[t][1], gr);
                st_compare2(what, &a, &b, q, 0, gr, idx, zc);
            }
            snprintf(what, sizeof what, "%s seed %d: chi[row %ld][0]", c[i].name, sd, r0);
            st_compare2(what, &a, &b, NTK_SQ_CHI, r0, 0, 0, zc);
            snprintf(what, sizeof what, "%s seed %d: p[L][%d]", c[i].name, sd, k > 1 ? 1 : 0);
            st_compare2(what, &a, &b, NTK_SQ_P, L, 0, k > 1 ? 1 : 0, zc);
            CHECK_INT(a.nonfinite, 0);
            CHECK_INT(b.nonfinite, 0);
            st_free(&a);
            st_free(&b);
        }
    return check_summary("sim.engines");
}
