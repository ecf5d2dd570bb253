/* test_theory_identities.c - exact identities, invariances, numerics and errors of the engine.
 *
 * Every check here follows from the recursions themselves (no spec numbers): the per-layer NTK
 * split sums to the NTK, memoization is bit-identical, gradient factors match the derivative
 * kernel, multi-input runs agree pairwise with two-input runs, homogeneous networks are exactly
 * scale-covariant (including far outside double range), alpha = 0 ResNets are their input kernel,
 * overflow is data (inf values with finite logs), and bad inputs are refused with a message.
 */
#include "theory/theory_priv.h"
#include "theory_test.h"

#include <string.h>

static ntk_model base(ntk_arch_kind arch, const char *act, long L)
{
    ntk_model m;
    ntk_model_default(&m);
    m.arch = arch;
    ntk_act_parse(act, &m.act.kind);
    m.depth = L;
    return m;
}

/* Sum over layers and groups of ntk_layer at the model depth equals ntk there, every pair. */
static void check_layer_sum(const ntk_model *m, double g11, double g22, double g12, double tol,
                            const char *name)
{
    ntk_theory_result *r = tt_run2(m, g11, g22, g12);
    if (!r) return;
    printf("-- layer sum: %s\n", name);
    for (int p = 0; p < 3; p++) {
        double s = 0.0;
        for (long l = 0; l <= m->depth; l++)
            for (int g = 0; g < NTK_GROUP_COUNT; g++) {
                double v = tt_get(r, NTK_TQ_NTK_LAYER, l, g, p);
                if (!isnan(v)) s += v;
            }
        CHECK_REL(s, tt_get(r, NTK_TQ_NTK, m->depth, 0, p), tol);
        /* and the per-group split of the output NTK sums to it too */
        double sg = 0.0;
        for (int g = 0; g < NTK_GROUP_COUNT; g++)
            sg += tt_get(r, NTK_TQ_NTK_GROUP, m->depth, g, p);
        CHECK_REL(sg, tt_get(r, NTK_TQ_NTK, m->depth, 0, p), 1e-13);
        /* per group: the layer contributions sum to that group's NTK */
        for (int g = 0; g < NTK_GROUP_COUNT; g++) {
            double sl = 0.0;
            for (long l = 0; l <= m->depth; l++) {
                double v = tt_get(r, NTK_TQ_NTK_LAYER, l, g, p);
                if (!isnan(v)) sl += v;
            }
            double want = tt_get(r, NTK_TQ_NTK_GROUP, m->depth, g, p);
            CHECK_ABS(sl, want, tol * (fabs(want) + fabs(tt_get(r, NTK_TQ_NTK, m->depth, 0, p))));
        }
    }
    ntk_theory_result_free(r);
}

/* Runs with and without memoization and compares every array bitwise. */
static void check_memo(const ntk_model *m, const double *gram, int k, const char *name)
{
    ntk_program prog;
    if (ntk_model_compile(m, &prog) != NTK_OK) {
        CHECK(!"compile");
        return;
    }
    ntk_inputs in = {k, gram};
    ntk_theory_result *a = ntk_theory_result_alloc(k, m->depth),
                      *b = ntk_theory_result_alloc(k, m->depth);
    long na = 0, nb = 0;
    ntk_theory_opts oa = {1, &na}, ob = {0, &nb};
    CHECK(ntk_theory_run_ex(&prog, &in, a, &oa) == NTK_OK);
    CHECK(ntk_theory_run_ex(&prog, &in, b, &ob) == NTK_OK);
    printf("-- memo %s: %ld vs %ld Gaussian evaluations\n", name, na, nb);
    int same = 1;
    for (int q = 0; q < NTK_TQ_COUNT; q++) {
        size_t n = ntk_qty_size(ntk_theory_qty_table()[q].dims, &a->shape);
        if (memcmp(a->data[q], b->data[q], n * sizeof(double)) != 0) {
            printf("quantity %s differs\n", ntk_theory_qty_table()[q].name);
            same = 0;
        }
    }
    CHECK(same);
    CHECK_INT(a->n_nonfinite, b->n_nonfinite);
    CHECK(na <= nb);
    ntk_theory_result_free(a);
    ntk_theory_result_free(b);
}

int main(void)
{
    /* ---- 1. sum over layers of ntk_layer = ntk, every architecture, all groups trained */
    {
        ntk_model m = base(NTK_ARCH_FF, "relu", 6);
        m.sigma_b = 0.3;
        m.sigma_out_b = 0.2;
        check_layer_sum(&m, 1.0, 0.7, 0.4, 1e-12, "ff relu bias");
        m.stem = NTK_STEM_LINEAR;
        m.sigma_in = 1.3;
        m.sigma_in_b = 0.4;
        check_layer_sum(&m, 1.0, 0.7, -0.4, 1e-12, "ff relu linear stem");
        m = base(NTK_ARCH_FF, "tanh", 8);
        m.sigma_w = 1.5;
        m.sigma_b = 0.2;
        check_layer_sum(&m, 1.0, 2.0, 0.9, 1e-12, "ff tanh");
        m.trained = NTK_GROUP_BIT(NTK_GROUP_W) | NTK_GROUP_BIT(NTK_GROUP_READOUT_B);
        check_layer_sum(&m, 1.0, 2.0, 0.9, 1e-12, "ff tanh subset");
        m = base(NTK_ARCH_RRN, "tanh", 7);
        m.sigma_w = 1.3;
        m.sigma_b = 0.7;
        check_layer_sum(&m, 1.0, 1.0, 0.5, 1e-12, "rrn tanh");
        m = base(NTK_ARCH_FRN, "erf", 7);
        m.sigma_w = 1.3;
        m.sigma_b = 0.7;
        m.sigma_v = 1.2;
        m.sigma_a = 0.7;
        check_layer_sum(&m, 1.0, 1.0, 0.5, 1e-12, "frn erf");
        m.act.kind = NTK_ACT_ALPHA_RELU;
        m.act.alpha = 0.8;
        check_layer_sum(&m, 1.0, 1.0, 0.5, 1e-11, "frn alpha-relu");
        m = base(NTK_ARCH_RESNET, "relu", 9);
        m.sigma_b = 0.1;
        m.sigma_a = 0.2;
        m.sigma_in_b = 0.3;
        m.alpha.kind = NTK_ALPHA_POWER;
        m.alpha.value = 0.9;
        m.alpha.gamma = 0.5;
        check_layer_sum(&m, 0.5, 0.5, 0.1, 1e-12, "resnet power schedule");
        static const double al[5] = {0.3, 0.1, 0.7, 0.2, 0.5};
        m = base(NTK_ARCH_RESNET, "gelu", 5);
        m.alpha.kind = NTK_ALPHA_LIST;
        m.alpha.list = al;
        m.alpha.nlist = 5;
        check_layer_sum(&m, 0.5, 0.8, 0.1, 1e-12, "resnet gelu alpha list");
        m = base(NTK_ARCH_PRERESNET, "relu", 12);
        m.sigma_w = 1.1;
        m.sigma_b = 0.4;
        m.alpha.kind = NTK_ALPHA_INVSQRT;
        check_layer_sum(&m, 1.0, 1.0, 0.2, 1e-12, "preresnet scaled");
        m = base(NTK_ARCH_LITTWIN, "relu", 6);
        m.m = 3;
        m.alpha.value = 0.4;
        check_layer_sum(&m, 1.0, 1.0, 0.3, 1e-12, "littwin m = 3");
        m = base(NTK_ARCH_DENSENET, "relu", 9);
        m.alpha.value = 1.3;
        check_layer_sum(&m, 1.0, 0.6, 0.3, 1e-12, "densenet relu");
        m = base(NTK_ARCH_DENSENET, "tanh", 7);
        m.sigma_in = 1.2;
        check_layer_sum(&m, 1.0, 0.6, -0.3, 1e-12, "densenet tanh");
        m = base(NTK_ARCH_FF, "relu", 400);
        m.sigma_w = 2.0; /* exploding: contributions are combined in log scale */
        check_layer_sum(&m, 1.0, 1.0, 0.3, 1e-11, "ff relu exploding");
    }

    /* ---- 2. memoization is bit-identical (and saves evaluations at fixed points) */
    {
        double g2[4] = {1.0, 0.5, 0.5, 1.0};
        ntk_model m = base(NTK_ARCH_FF, "tanh", 400);
        m.sigma_w = 2.5;
        m.sigma_b = 0.5;
        check_memo(&m, g2, 2, "tanh chaotic");
        m.sigma_w = 0.8;
        check_memo(&m, g2, 2, "tanh ordered");
        m = base(NTK_ARCH_RESNET, "relu", 300);
        check_memo(&m, g2, 2, "relu resnet");
        double g3[9] = {1.0, 0.2, -0.3, 0.2, 2.0, 0.5, -0.3, 0.5, 1.5};
        m = base(NTK_ARCH_FRN, "tanh", 200);
        m.sigma_b = 0.3;
        m.sigma_a = 0.2;
        check_memo(&m, g3, 3, "frn tanh 3 inputs");
    }

    /* ---- 3. gradient factors: chi(l-1)/chi(l) = sigma_w^2 kdot (ff), 1 + sv^2 sw^2 kdot (frn) */
    printf("-- chi vs kdot\n");
    {
        ntk_model m = base(NTK_ARCH_FF, "tanh", 30);
        m.sigma_w = 1.7;
        m.sigma_b = 0.4;
        ntk_theory_result *r = tt_run2(&m, 1.0, 1.0, 0.3);
        if (r) {
            for (long l = 1; l <= 30; l++)
                CHECK_REL(tt_get(r, NTK_TQ_CHI, l - 1, 0, 0) / tt_get(r, NTK_TQ_CHI, l, 0, 0),
                          1.7 * 1.7 * tt_get(r, NTK_TQ_KDOT, l, 0, 0), 1e-13);
            CHECK_REL(tt_get(r, NTK_TQ_CHI, 30, 0, 0), 1.0, 1e-15);
            CHECK_ABS(tt_get(r, NTK_TQ_LOG_CHI, 30, 0, 0), 0.0, 1e-15);
            /* FF chi_b(l) = chi(l) kdot(l) (Yang's chi_b = chi_h), chi_w = chi_b p(l-1) */
            for (long l = 1; l <= 30; l++) {
                double cb = tt_get(r, NTK_TQ_CHI, l, 0, 0) * tt_get(r, NTK_TQ_KDOT, l, 0, 0);
                CHECK_REL(tt_get(r, NTK_TQ_CHI_GROUP, l, NTK_GROUP_B, 0), cb, 1e-13);
                CHECK_REL(tt_get(r, NTK_TQ_CHI_GROUP, l, NTK_GROUP_W, 0),
                          cb * tt_get(r, NTK_TQ_P, l - 1, 0, 0), 1e-13);
            }
            /* readout per-entry gradient relative to the stream gradient sigma_out^2 at L */
            CHECK_REL(tt_get(r, NTK_TQ_CHI_GROUP, 30, NTK_GROUP_READOUT, 0),
                      tt_get(r, NTK_TQ_P, 30, 0, 0), 1e-13);
            CHECK(isnan(tt_get(r, NTK_TQ_CHI_GROUP, 5, NTK_GROUP_V, 0)));
            /* gradient correlation 1 at the output, and in (-1, 1] below */
            CHECK_REL(tt_get(r, NTK_TQ_GRAD_CORR, 30, 0, 1), 1.0, 1e-15);
            CHECK(fabs(tt_get(r, NTK_TQ_GRAD_CORR, 10, 0, 1)) <= 1.0);
            ntk_theory_result_free(r);
        }
        m = base(NTK_ARCH_FRN, "erf", 20);
        m.sigma_w = 1.2;
        m.sigma_v = 0.9;
        m.sigma_b = 0.3;
        m.sigma_a = 0.1;
        r = tt_run2(&m, 1.0, 1.0, 0.3);
        if (r) {
            for (long l = 1; l <= 20; l++)
                CHECK_REL(tt_get(r, NTK_TQ_CHI, l - 1, 0, 0) / tt_get(r, NTK_TQ_CHI, l, 0, 0),
                          1 + 0.81 * 1.44 * tt_get(r, NTK_TQ_KDOT, l, 0, 0), 1e-13);
            ntk_theory_result_free(r);
        }
    }

    /* ---- 4. three inputs agree pairwise with two-input runs */
    printf("-- multi-input consistency\n");
    {
        double g3[9] = {1.0, 0.2, -0.3, 0.2, 2.0, 0.5, -0.3, 0.5, 1.5};
        ntk_model m = base(NTK_ARCH_RESNET, "tanh", 12);
        m.sigma_b = 0.2;
        ntk_program prog;
        ntk_model_compile(&m, &prog);
        ntk_inputs in = {3, g3};
        ntk_theory_result *r3 = ntk_theory_result_alloc(3, 12);
        CHECK(ntk_theory_run(&prog, &in, r3) == NTK_OK);
        ntk_theory_result *r2 = tt_run2(&m, 2.0, 1.5, 0.5); /* inputs 1 and 2 */
        if (r2) {
            static const ntk_theory_qty qs[] = {NTK_TQ_Q,         NTK_TQ_P,    NTK_TQ_NTK,
                                                NTK_TQ_GRAD_CORR, NTK_TQ_KDOT, NTK_TQ_S};
            for (int q = 0; q < 6; q++)
                for (long l = 1; l <= 12; l += 11) {
                    CHECK_REL(*ntk_theory_at(r3, qs[q], l, 0, ntk_pair_index(1, 2, 3)),
                              tt_get(r2, qs[q], l, 0, 1), 1e-13);
                    CHECK_REL(*ntk_theory_at(r3, qs[q], l, 0, ntk_pair_index(2, 2, 3)),
                              tt_get(r2, qs[q], l, 0, 2), 1e-13);
                }
            CHECK_REL(*ntk_theory_at(r3, NTK_TQ_CHI, 3, 0, 2), tt_get(r2, NTK_TQ_CHI, 3, 0, 1),
                      1e-13);
            CHECK_REL(*ntk_theory_at(r3, NTK_TQ_CHI_GROUP, 3, NTK_GROUP_V, 1),
                      tt_get(r2, NTK_TQ_CHI_GROUP, 3, NTK_GROUP_V, 0), 1e-13);
            ntk_theory_result_free(r2);
        }
        ntk_theory_result_free(r3);
    }

    /* ---- 5. homogeneous networks are scale-covariant, far outside double range */
    printf("-- scale covariance\n");
    {
        const double s[3] = {1e-250, 1.0, 1e250};
        ntk_theory_result *r[3];
        ntk_model m = base(NTK_ARCH_FF, "relu", 40);
        m.sigma_w = 0.6; /* the kernel shrinks by 0.18 per layer */
        for (int i = 0; i < 3; i++)
            r[i] = tt_run2(&m, s[i], 0.5 * s[i], 0.3 * s[i]);
        if (r[0] && r[1] && r[2]) {
            for (int i = 0; i < 3; i += 2)
                for (long l = 1; l <= 40; l += 13) {
                    CHECK_REL(tt_get(r[i], NTK_TQ_LOG_Q, l, 0, 1),
                              tt_get(r[1], NTK_TQ_LOG_Q, l, 0, 1) + log(s[i]), 1e-12);
                    CHECK_REL(tt_get(r[i], NTK_TQ_LOG_NTK, l, 0, 0),
                              tt_get(r[1], NTK_TQ_LOG_NTK, l, 0, 0) + log(s[i]), 1e-12);
                    CHECK_REL(tt_get(r[i], NTK_TQ_C, l, 0, 1), tt_get(r[1], NTK_TQ_C, l, 0, 1),
                              1e-13);
                    CHECK_REL(tt_get(r[i], NTK_TQ_NTK_NORM, l, 0, 1),
                              tt_get(r[1], NTK_TQ_NTK_NORM, l, 0, 1), 1e-13);
                    CHECK_REL(tt_get(r[i], NTK_TQ_CHI, l, 0, 0), tt_get(r[1], NTK_TQ_CHI, l, 0, 0),
                              1e-13);
                }
            /* q(40) ~ 1e-250 * 0.18^40 is far below the renormalisation threshold */
            CHECK(tt_get(r[0], NTK_TQ_Q, 40, 0, 0) < 1e-270);
            CHECK(isfinite(tt_get(r[0], NTK_TQ_LOG_Q, 40, 0, 0)));
            CHECK(isinf(tt_get(r[2], NTK_TQ_Q, 1, 0, 0)) == 0);
        }
        for (int i = 0; i < 3; i++)
            ntk_theory_result_free(r[i]);
        /* a vanishing tanh kernel (sigma_w = 0.5, no bias): log q drops by log 0.25 per layer far
         * below double range and the correlation freezes */
        m = base(NTK_ARCH_FF, "tanh", 800);
        m.sigma_w = 0.5;
        ntk_theory_result *t = tt_run2(&m, 1.0, 1.0, 0.3);
        if (t) {
            CHECK(isfinite(tt_get(t, NTK_TQ_LOG_Q, 800, 0, 0)));
            CHECK_REL(tt_get(t, NTK_TQ_LOG_Q, 800, 0, 0) - tt_get(t, NTK_TQ_LOG_Q, 700, 0, 0),
                      100 * log(0.25), 1e-12);
            /* below q ~ 1e-6 the map is linear up to O(q^2) in the correlation: c is frozen */
            CHECK_REL(tt_get(t, NTK_TQ_C, 800, 0, 1), tt_get(t, NTK_TQ_C, 12, 0, 1), 1e-12);
            CHECK_REL(tt_get(t, NTK_TQ_C, 800, 0, 1), 0.2953697, 1e-6);
            CHECK_REL(tt_get(t, NTK_TQ_CHI, 799, 0, 0) / tt_get(t, NTK_TQ_CHI, 800, 0, 0), 0.25,
                      1e-12);
            ntk_theory_result_free(t);
        }
    }

    /* ---- 6. ResNet with alpha = 0 is its input kernel; ReLU ResNet overflow is data */
    printf("-- alpha = 0 and overflow\n");
    {
        ntk_model m = base(NTK_ARCH_RESNET, "tanh", 20);
        m.alpha.value = 0.0;
        m.sigma_in = 1.3;
        m.sigma_out = 0.7;
        ntk_theory_result *r = tt_run2(&m, 1.0, 0.5, 0.2);
        if (r) {
            for (long l = 0; l <= 20; l += 5) {
                CHECK_REL(tt_get(r, NTK_TQ_P, l, 0, 1), 1.69 * 0.2, 1e-15);
                CHECK_REL(tt_get(r, NTK_TQ_NNGP, l, 0, 1), 0.49 * 1.69 * 0.2, 1e-15);
                /* readout + stem: Theta = K_out + sigma_out^2 K_stem */
                CHECK_REL(tt_get(r, NTK_TQ_NTK, l, 0, 1), 2 * 0.49 * 1.69 * 0.2, 1e-15);
                CHECK_REL(tt_get(r, NTK_TQ_CHI, l, 0, 0), 1.0, 1e-15);
            }
            ntk_theory_result_free(r);
        }
        m = base(NTK_ARCH_RESNET, "relu", 3000);
        m.alpha.value = 1.0;
        r = tt_run2(&m, 1.0, 1.0, 0.2);
        if (r) {
            CHECK(r->n_nonfinite > 0);
            CHECK(isinf(tt_get(r, NTK_TQ_NTK, 3000, 0, 0)));
            CHECK(isinf(tt_get(r, NTK_TQ_CHI, 0, 0, 0)));
            /* stream variance (1 + sigma_v^2 sigma_w^2 / 2)^l = 2^l exactly in log scale, and
             * chi(0) = 2^3000 */
            CHECK_REL(tt_get(r, NTK_TQ_LOG_P, 3000, 0, 0), 3000 * M_LN2, 1e-12);
            CHECK_REL(tt_get(r, NTK_TQ_LOG_CHI, 0, 0, 0), 3000 * M_LN2, 1e-12);
            CHECK(isfinite(tt_get(r, NTK_TQ_LOG_NTK, 3000, 0, 0)));
            CHECK(isfinite(tt_get(r, NTK_TQ_NTK_NORM, 3000, 0, 1)));
            CHECK(isfinite(tt_get(r, NTK_TQ_GRAD_CORR, 0, 0, 1)));
            ntk_theory_result_free(r);
        }
    }

    /* ---- 7. structure: rows before the first block, DenseNet backward, untrained groups */
    printf("-- structure\n");
    {
        ntk_model m = base(NTK_ARCH_PRERESNET, "relu", 5);
        ntk_theory_result *r = tt_run2(&m, 1.0, 1.0, 0.2);
        if (r) {
            CHECK(isnan(tt_get(r, NTK_TQ_P, 0, 0, 0))); /* y^1 is row 1 */
            CHECK(isnan(tt_get(r, NTK_TQ_NTK, 0, 0, 0)));
            CHECK(isnan(tt_get(r, NTK_TQ_CHI, 0, 0, 0)));
            CHECK_REL(tt_get(r, NTK_TQ_P, 1, 0, 1), 2.0 * 0.2, 1e-15);
            CHECK_REL(tt_get(r, NTK_TQ_NTK, 1, 0, 1), 2.0 * 0.2, 1e-15);
            ntk_theory_result_free(r);
        }
        /* DenseNet (history program): gradients follow Littwin's eq. 81, chi = P^l */
        m = base(NTK_ARCH_DENSENET, "relu", 4);
        r = tt_run2(&m, 1.0, 1.0, 0.2);
        if (r) {
            CHECK(isfinite(tt_get(r, NTK_TQ_NTK, 4, 0, 1)));
            CHECK_REL(tt_get(r, NTK_TQ_CHI, 3, 0, 0), 0.25, 1e-14); /* alpha / L */
            CHECK_REL(tt_get(r, NTK_TQ_CHI, 4, 0, 0), 1.0, 1e-15);
            CHECK(isnan(tt_get(r, NTK_TQ_CHI_GROUP, 0, NTK_GROUP_W, 0)));
            CHECK_INT(r->n_nonfinite, 0);
            ntk_theory_result_free(r);
        }
        m = base(NTK_ARCH_FF, "relu", 4);
        m.trained = 0;
        r = tt_run2(&m, 1.0, 1.0, 0.2);
        if (r) {
            CHECK(tt_get(r, NTK_TQ_NTK, 4, 0, 1) == 0.0);
            CHECK(tt_get(r, NTK_TQ_NTK_GROUP, 4, NTK_GROUP_W, 1) == 0.0);
            CHECK(tt_get(r, NTK_TQ_NTK_LAYER, 2, NTK_GROUP_W, 1) == 0.0);
            CHECK(isfinite(tt_get(r, NTK_TQ_CHI_GROUP, 2, NTK_GROUP_W, 0)));
            ntk_theory_result_free(r);
        }
        /* the standard parameterisation does not change the infinite-width quantities */
        m = base(NTK_ARCH_FF, "tanh", 6);
        ntk_model ms = m;
        ms.param = NTK_PARAM_STANDARD;
        ntk_theory_result *a = tt_run2(&m, 1.0, 1.0, 0.2), *b = tt_run2(&ms, 1.0, 1.0, 0.2);
        if (a && b) {
            CHECK(tt_get(a, NTK_TQ_NTK, 6, 0, 1) == tt_get(b, NTK_TQ_NTK, 6, 0, 1));
            CHECK(tt_get(a, NTK_TQ_CHI_GROUP, 3, NTK_GROUP_W, 0) ==
                  tt_get(b, NTK_TQ_CHI_GROUP, 3, NTK_GROUP_W, 0));
        }
        ntk_theory_result_free(a);
        ntk_theory_result_free(b);
    }

    /* ---- 8. invalid inputs are refused with a message naming the problem */
    printf("-- errors\n");
    {
        ntk_model m = base(NTK_ARCH_FF, "relu", 3);
        ntk_program prog;
        ntk_model_compile(&m, &prog);
        ntk_theory_result *r = ntk_theory_result_alloc(2, 3);
        double bad1[4] = {1.0, 0.5, 0.4, 1.0}, bad2[4] = {-1.0, 0.0, 0.0, 1.0},
               bad3[4] = {1.0, 2.0, 2.0, 1.0}, bad4[4] = {1.0, NAN, NAN, 1.0};
        const double *bads[4] = {bad1, bad2, bad3, bad4};
        const char *what[4] = {"symmetric", ">= 0", "semi-definite", "finite"};
        for (int i = 0; i < 4; i++) {
            ntk_inputs in = {2, bads[i]};
            CHECK_INT(ntk_theory_run(&prog, &in, r), NTK_EINVAL);
            CHECK(strstr(ntk_error_msg(), what[i]) != NULL);
        }
        double ok[4] = {1.0, 0.5, 0.5, 1.0};
        ntk_inputs in3 = {2, ok};
        ntk_theory_result *r4 = ntk_theory_result_alloc(2, 4);
        CHECK_INT(ntk_theory_run(&prog, &in3, r4), NTK_EINVAL);
        CHECK(strstr(ntk_error_msg(), "depth") != NULL);
        CHECK_INT(ntk_theory_run(&prog, &in3, r), NTK_OK);
        CHECK(ntk_theory_result_alloc(0, 3) == NULL);
        ntk_theory_result_free(r);
        ntk_theory_result_free(r4);
        ntk_theory_result_free(NULL);
        /* the quantity table describes every quantity */
        const ntk_qty_desc *t = ntk_theory_qty_table();
        CHECK(strcmp(t[NTK_TQ_CHI_GROUP].name, "chi_group") == 0);
        CHECK(t[NTK_TQ_NTK_LAYER].dims == (NTK_DIM_LAYER | NTK_DIM_GROUP | NTK_DIM_PAIR));
    }
    return check_summary("theory.identities");
}
