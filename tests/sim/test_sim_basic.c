/* test_sim_basic.c - exact properties of the simulator: bitwise determinism (same key, any
 * order, any chunking, with or without checkpointing), the input builder, finite-difference
 * input gradients of the dense engine, exact identities between record quantities, overflow
 * handling and argument errors. */
#include "sim_test.h"

static ntk_program compile(const ntk_model *m)
{
    ntk_program p;
    int rc = ntk_model_compile(m, &p);
    if (rc != NTK_OK) printf("compile: %s\n", ntk_error_msg());
    CHECK(rc == NTK_OK);
    return p;
}

/* Records of samples s0..s0+N-1 with one sim object, in the given order (+1 / -1). */
static double *records(const ntk_program *p, long n, int k, const double *X, ntk_sim_engine e,
                       size_t mem, long s0, long N, int order, size_t *rs)
{
    ntk_sim_opts o = {e, mem};
    ntk_sim *s = ntk_sim_alloc_opts(p, n, k, &o);
    CHECK(s != NULL);
    if (!s) return NULL;
    *rs = ntk_sim_layout_of(s)->record_size;
    double *r = malloc((size_t)N * *rs * sizeof *r);
    for (long t = 0; t < N; t++) {
        long i = order > 0 ? t : N - 1 - t;
        int rc = ntk_sim_sample(s, X, 42, 7, (uint64_t)(s0 + i), r + (size_t)i * *rs);
        CHECK(rc >= 0);
    }
    ntk_sim_free(s);
    return r;
}

static int same_bits(const double *a, const double *b, size_t n)
{
    return memcmp(a, b, n * sizeof *a) == 0;
}

static void test_determinism(void)
{
    ntk_model m;
    ntk_model_default(&m);
    m.arch = NTK_ARCH_RESNET;
    m.depth = 12;
    m.alpha.value = 0.4;
    m.sigma_b = 0.1;
    m.act.kind = NTK_ACT_TANH;
    m.d = 4;
    ntk_program p = compile(&m);
    const int k = 3;
    double g[9] = {1.0, 0.3, -0.2, 0.3, 1.2, 0.5, -0.2, 0.5, 0.9}, X[4 * 3];
    CHECK(ntk_sim_inputs_from_gram(k, g, m.d, X) == NTK_OK);
    for (int e = NTK_SIM_DENSE; e <= NTK_SIM_CONDITIONAL; e++) {
        size_t rs;
        const long N = 12;
        double *a = records(&p, 48, k, X, (ntk_sim_engine)e, 0, 0, N, +1, &rs);
        double *b = records(&p, 48, k, X, (ntk_sim_engine)e, 0, 0, N, -1, &rs);
        double *c = records(&p, 48, k, X, (ntk_sim_engine)e, 1, 0, N, +1, &rs); /* checkpoints */
        /* 5 blocks of tape (3 x 48 x 3 doubles each) + 3 checkpoints of the stream: segments of
         * 5 blocks aligned to the last, the first 3 short */
        double *c5 = records(&p, 48, k, X, (ntk_sim_engine)e, 5 * 3456 + 3 * 1152, 0, N, -1, &rs);
        double *d1 = records(&p, 48, k, X, (ntk_sim_engine)e, 0, 0, 5, +1, &rs);
        double *d2 = records(&p, 48, k, X, (ntk_sim_engine)e, 0, 5, N - 5, -1, &rs);
        CHECK(same_bits(a, b, N * rs));
        CHECK(same_bits(a, c, N * rs));
        CHECK(same_bits(a, c5, N * rs));
        CHECK(same_bits(a, d1, 5 * rs));
        CHECK(same_bits(a + 5 * rs, d2, (N - 5) * rs));
        CHECK(!same_bits(a, a + rs, rs)); /* different samples differ */
        /* statistics of the assembled chunks are those of the whole run, bit for bit */
        ntk_sim_result *r1 = ntk_sim_result_alloc(m.depth, k),
                       *r2 = ntk_sim_result_alloc(m.depth, k);
        double *cat = malloc(N * rs * sizeof *cat);
        memcpy(cat, d1, 5 * rs * sizeof *cat);
        memcpy(cat + 5 * rs, d2, (N - 5) * rs * sizeof *cat);
        CHECK(ntk_sim_stats(&p, k, N, a, r1) == NTK_OK);
        CHECK(ntk_sim_stats(&p, k, N, cat, r2) == NTK_OK);
        int same = 1;
        for (int q = 0; q < NTK_SR_COUNT; q++)
            same &= same_bits(r1->data[q], r2->data[q],
                              ntk_qty_size(ntk_sim_result_qty_table()[q].dims, &r1->shape));
        CHECK(same);
        free(cat);
        ntk_sim_result_free(r1);
        ntk_sim_result_free(r2);
        free(a);
        free(b);
        free(c);
        free(c5);
        free(d1);
        free(d2);
    }
    /* DenseNet (history) with checkpointing */
    ntk_model_default(&m);
    m.arch = NTK_ARCH_DENSENET;
    m.depth = 7;
    m.d = 4;
    m.alpha.value = 1.3;
    p = compile(&m);
    for (int e = NTK_SIM_DENSE; e <= NTK_SIM_CONDITIONAL; e++) {
        size_t rs;
        double *a = records(&p, 32, k, X, (ntk_sim_engine)e, 0, 0, 6, +1, &rs);
        double *c = records(&p, 32, k, X, (ntk_sim_engine)e, 1, 0, 6, -1, &rs);
        CHECK(same_bits(a, c, 6 * rs));
        free(a);
        free(c);
    }
    /* the key matters: another seed or point gives other numbers */
    size_t rs;
    ntk_sim *s = ntk_sim_alloc(&p, 32, k, NTK_SIM_CONDITIONAL);
    rs = ntk_sim_layout_of(s)->record_size;
    double *u = malloc(3 * rs * sizeof *u);
    ntk_sim_sample(s, X, 1, 2, 0, u);
    ntk_sim_sample(s, X, 1, 3, 0, u + rs);
    ntk_sim_sample(s, X, 2, 2, 0, u + 2 * rs);
    CHECK(!same_bits(u, u + rs, rs) && !same_bits(u, u + 2 * rs, rs));
    free(u);
    ntk_sim_free(s);
}

static void test_inputs(void)
{
    const int k = 4;
    /* A PSD Gram with an exactly repeated input (inputs 0 and 3). */
    double g[16] = {1.0,  0.2, -0.4, 1.0,  0.2, 0.7, 0.1,  0.2,
                    -0.4, 0.1, 1.5,  -0.4, 1.0, 0.2, -0.4, 1.0};
    int dims[3] = {8, 7, 33};
    for (int t = 0; t < 3; t++) {
        int d = dims[t];
        double *X = malloc((size_t)d * k * sizeof *X);
        CHECK(ntk_sim_inputs_from_gram(k, g, d, X) == NTK_OK);
        double maxerr = 0, maxc = 0;
        for (int i = 0; i < k; i++)
            for (int j = 0; j < k; j++) {
                double s = 0;
                for (int u = 0; u < d; u++)
                    s += X[u * k + i] * X[u * k + j];
                maxerr = fmax(maxerr, fabs(s / d - g[i * k + j]));
            }
        for (int u = 0; u < d; u++)
            maxc = fmax(maxc, fabs(X[u * k + 2]));
        CHECK(maxerr < 1e-13);
        /* spread: no coordinate carries a large share of the norm (|x|^2 = 1.5 d) */
        CHECK(maxc * maxc < 0.5 * 1.5 * d);
        double diff = 0;
        for (int u = 0; u < d; u++)
            diff = fmax(diff, fabs(X[u * k + 0] - X[u * k + 3]));
        CHECK(diff < 1e-14);
        free(X);
    }
    double bad[4] = {1.0, 2.0, 2.0, 1.0}, X[64];
    CHECK(ntk_sim_inputs_from_gram(2, bad, 4, X) == NTK_EINVAL); /* not PSD */
    double full[9] = {1, 0, 0, 0, 1, 0, 0, 0, 1};
    CHECK(ntk_sim_inputs_from_gram(3, full, 2, X) == NTK_EINVAL); /* rank 3 > d = 2 */
}

/* |df/dx|^2 and <df/dx, df/dx'> of the dense engine against central differences in x (the same
 * key gives the same weights whatever x is). */
static void test_fd_gradient(void)
{
    ntk_model m;
    ntk_model_default(&m);
    m.act.kind = NTK_ACT_TANH;
    m.sigma_w = 1.4;
    m.sigma_b = 0.3;
    m.depth = 3;
    m.d = 5;
    ntk_program p = compile(&m);
    const int k = 2, d = 5;
    double g[4] = {1.0, 0.4, 0.4, 0.9}, X[10], Xp[10];
    ntk_sim_inputs_from_gram(k, g, d, X);
    ntk_sim *s = ntk_sim_alloc(&p, 16, k, NTK_SIM_DENSE);
    const ntk_sim_layout *lay = ntk_sim_layout_of(s);
    double *rec = malloc(lay->record_size * sizeof *rec);
    for (int smp = 0; smp < 3; smp++) {
        ntk_sim_sample(s, X, 9, 9, (uint64_t)smp, rec);
        double pi00 = *ntk_sim_record_at(lay, rec, NTK_SQ_PI, 0, 0, 0);
        double pi01 = *ntk_sim_record_at(lay, rec, NTK_SQ_PI, 0, 0, 1);
        double pi11 = *ntk_sim_record_at(lay, rec, NTK_SQ_PI, 0, 0, 2);
        double grad[2][5];
        const double h = 1e-5;
        for (int j = 0; j < k; j++)
            for (int u = 0; u < d; u++) {
                double fpm[2];
                for (int sg = 0; sg < 2; sg++) {
                    memcpy(Xp, X, sizeof X);
                    Xp[u * k + j] += sg ? -h : h;
                    ntk_sim_sample(s, Xp, 9, 9, (uint64_t)smp, rec);
                    fpm[sg] = *ntk_sim_record_at(lay, rec, NTK_SQ_F, 0, 0, j);
                }
                grad[j][u] = (fpm[0] - fpm[1]) / (2 * h);
            }
        double g00 = 0, g01 = 0, g11 = 0;
        for (int u = 0; u < d; u++) {
            g00 += grad[0][u] * grad[0][u];
            g01 += grad[0][u] * grad[1][u];
            g11 += grad[1][u] * grad[1][u];
        }
        CHECK_REL(pi00, g00, 1e-7);
        CHECK_REL(pi11, g11, 1e-7);
        CHECK_ABS(pi01, g01, 1e-7 * sqrt(g00 * g11));
    }
    free(rec);
    ntk_sim_free(s);
}

/* Identities that hold sample by sample: readout NTK = sigma_out^2 p(L); bias NTK = b^2 x the
 * bias chi_group x Pi(L); ntk = sum of groups = sum of layers; chi(L) = 1; nngp = f f'. */
static void test_record_identities(void)
{
    ntk_model m;
    ntk_model_default(&m);
    m.arch = NTK_ARCH_FRN;
    m.act.kind = NTK_ACT_TANH;
    m.depth = 4;
    m.d = 24;
    m.sigma_b = 0.5;
    m.sigma_a = 0.3;
    m.sigma_out = 1.7;
    ntk_program p = compile(&m);
    const int k = 2;
    double g[4] = {1.0, -0.3, -0.3, 0.6}, X[48];
    ntk_sim_inputs_from_gram(k, g, m.d, X);
    for (int e = NTK_SIM_DENSE; e <= NTK_SIM_CONDITIONAL; e++) {
        ntk_sim *s = ntk_sim_alloc(&p, 24, k, (ntk_sim_engine)e);
        const ntk_sim_layout *lay = ntk_sim_layout_of(s);
        double *r = malloc(lay->record_size * sizeof *r);
        double worst = 0;
        for (int smp = 0; smp < 20; smp++) {
            CHECK(ntk_sim_sample(s, X, 5, 6, (uint64_t)smp, r) == 0);
            long L = m.depth;
            for (int q = 0; q < 3; q++) {
                double ro = *ntk_sim_record_at(lay, r, NTK_SQ_NTK_GROUP, 0, NTK_GROUP_READOUT, q);
                double pL = *ntk_sim_record_at(lay, r, NTK_SQ_P, L, 0, q);
                worst = fmax(worst, fabs(ro - m.sigma_out * m.sigma_out * pL) / fabs(ro));
                double tot = 0, byl = 0;
                for (int gg = 0; gg < NTK_GROUP_COUNT; gg++) {
                    tot += *ntk_sim_record_at(lay, r, NTK_SQ_NTK_GROUP, 0, gg, q);
                    for (long l = 0; l <= L; l++)
                        byl += *ntk_sim_record_at(lay, r, NTK_SQ_NTK_LAYER, l, gg, q);
                }
                double ntk = *ntk_sim_record_at(lay, r, NTK_SQ_NTK, 0, 0, q);
                worst = fmax(worst, fabs(tot - ntk) / fabs(ntk));
                worst = fmax(worst, fabs(byl - ntk) / fabs(ntk));
            }
            for (int i = 0; i < k; i++) {
                int ii = ntk_pair_index(i, i, k);
                double piL = *ntk_sim_record_at(lay, r, NTK_SQ_PI, L, 0, ii);
                for (long l = 1; l <= L; l++) {
                    double nb = *ntk_sim_record_at(lay, r, NTK_SQ_NTK_LAYER, l, NTK_GROUP_B, ii);
                    double cb = *ntk_sim_record_at(lay, r, NTK_SQ_CHI_GROUP, l, NTK_GROUP_B, i);
                    worst = fmax(worst, fabs(nb - m.sigma_b * m.sigma_b * cb * piL) / fabs(nb));
                    double na = *ntk_sim_record_at(lay, r, NTK_SQ_NTK_LAYER, l, NTK_GROUP_A, ii);
                    double pi_l = *ntk_sim_record_at(lay, r, NTK_SQ_PI, l, 0, ii);
                    /* a is added to x^l: its gradient is the stream gradient */
                    worst = fmax(worst, fabs(na - m.sigma_a * m.sigma_a * pi_l) / fabs(na));
                }
                CHECK(*ntk_sim_record_at(lay, r, NTK_SQ_CHI, L, 0, i) == 1.0);
                double fi = *ntk_sim_record_at(lay, r, NTK_SQ_F, 0, 0, i);
                CHECK(*ntk_sim_record_at(lay, r, NTK_SQ_NNGP, 0, 0, ii) == fi * fi);
            }
            /* no weight chi_group before the first block, NaN rows stay NaN */
            CHECK(isnan(*ntk_sim_record_at(lay, r, NTK_SQ_CHI_GROUP, 0, NTK_GROUP_W, 0)));
            CHECK(isnan(*ntk_sim_record_at(lay, r, NTK_SQ_Q, 0, 0, 0)));
        }
        printf("engine %s: worst relative violation %.3g\n", ntk_sim_engine_name((ntk_sim_engine)e),
               worst);
        CHECK(worst < 1e-12);
        free(r);
        ntk_sim_free(s);
    }
}

/* Identical inputs (a rank-deficient Gram): every pair quantity of the copy equals that of the
 * original (to rounding: the conditional engine sees a rank-1 block of X), for both engines. */
static void test_repeated_input(void)
{
    ntk_model m;
    ntk_model_default(&m);
    m.arch = NTK_ARCH_RESNET;
    m.depth = 4;
    m.act.kind = NTK_ACT_TANH;
    m.sigma_b = 0.3;
    m.d = 6;
    ntk_program p = compile(&m);
    const int k = 3;
    double g[9] = {1.0, 0.4, 1.0, 0.4, 0.9, 0.4, 1.0, 0.4, 1.0}, X[18];
    CHECK(ntk_sim_inputs_from_gram(k, g, m.d, X) == NTK_OK);
    for (int e = NTK_SIM_DENSE; e <= NTK_SIM_CONDITIONAL; e++) {
        ntk_sim *s = ntk_sim_alloc(&p, 32, k, (ntk_sim_engine)e);
        const ntk_sim_layout *lay = ntk_sim_layout_of(s);
        double *r = malloc(lay->record_size * sizeof *r), worst = 0;
        for (int smp = 0; smp < 10; smp++) {
            CHECK(ntk_sim_sample(s, X, 3, 3, (uint64_t)smp, r) == 0);
            int qs[4] = {NTK_SQ_NTK, NTK_SQ_NNGP, NTK_SQ_NTK_NORM, NTK_SQ_PI};
            for (int t = 0; t < 4; t++) {
                long l = qs[t] == NTK_SQ_PI ? 2 : 0;
                double a00 = *ntk_sim_record_at(lay, r, qs[t], l, 0, ntk_pair_index(0, 0, k));
                double a02 = *ntk_sim_record_at(lay, r, qs[t], l, 0, ntk_pair_index(0, 2, k));
                double a12 = *ntk_sim_record_at(lay, r, qs[t], l, 0, ntk_pair_index(1, 2, k));
                double a01 = *ntk_sim_record_at(lay, r, qs[t], l, 0, ntk_pair_index(0, 1, k));
                worst = fmax(worst, fabs(a02 - a00) / fabs(a00));
                worst = fmax(worst, fabs(a12 - a01) / fabs(a01));
            }
        }
        printf("repeated input, %s engine: worst relative difference %.3g\n",
               ntk_sim_engine_name((ntk_sim_engine)e), worst);
        CHECK(worst < 1e-9);
        free(r);
        ntk_sim_free(s);
    }
}

static void test_overflow_and_errors(void)
{
    ntk_model m;
    ntk_model_default(&m);
    m.sigma_w = 1e6;
    m.depth = 60;
    ntk_program p = compile(&m);
    double g[4] = {1, 0.5, 0.5, 1}, X[4];
    ntk_sim_inputs_from_gram(2, g, m.d, X);
    st_run r;
    st_sample(&m, 16, 2, g, NTK_SIM_CONDITIONAL, 1, 1, 0, 20, &r);
    CHECK_INT(r.nonfinite, 20); /* every sample overflows: flagged, not an error */
    ntk_sim_result *res = ntk_sim_result_alloc(m.depth, 2);
    CHECK(ntk_sim_stats(&p, 2, r.N, r.rec, res) == NTK_OK);
    CHECK_INT(res->data[NTK_SR_N_NONFINITE][0], 20);
    CHECK_INT(*ntk_sim_result_at(res, NTK_SQ_NTK, 0, 0, NTK_STAT_NFINITE, 0), 0);
    CHECK(isnan(*ntk_sim_result_at(res, NTK_SQ_NTK, 0, 0, NTK_STAT_MEAN, 0)));
    CHECK_INT(*ntk_sim_result_at(res, NTK_SQ_P, 1, 0, NTK_STAT_NFINITE, 0), 20); /* early rows ok */
    ntk_sim_result_free(res);
    st_free(&r);

    ntk_sim *s = ntk_sim_alloc(&p, 16, 2, NTK_SIM_AUTO);
    double *rec = malloc(ntk_sim_layout_of(s)->record_size * sizeof *rec);
    CHECK(ntk_sim_sample(s, X, 1, 1, (uint64_t)1 << 32, rec) == NTK_EINVAL);
    CHECK(ntk_sim_engine_of(s) == NTK_SIM_CONDITIONAL); /* 4 k <= n */
    free(rec);
    ntk_sim_free(s);
    s = ntk_sim_alloc(&p, 7, 2, NTK_SIM_AUTO);
    CHECK(ntk_sim_engine_of(s) == NTK_SIM_DENSE);
    ntk_sim_free(s);
    CHECK(ntk_sim_alloc(&p, 16, 0, NTK_SIM_AUTO) == NULL);
    m.arch = NTK_ARCH_FRN;
    m.depth = 2;
    p = compile(&m);
    CHECK(ntk_sim_alloc(&p, 16, 2, NTK_SIM_AUTO) == NULL); /* d = 2 != n = 16 */
    CHECK(strstr(ntk_error_msg(), "input dimension") != NULL);
    ntk_sim_engine e;
    CHECK(ntk_sim_engine_parse("conditional", &e) == NTK_OK && e == NTK_SIM_CONDITIONAL);
    CHECK(ntk_sim_engine_parse("fast", &e) == NTK_EINVAL);
}

int main(void)
{
    test_determinism();
    test_inputs();
    test_fd_gradient();
    test_record_identities();
    test_repeated_input();
    test_overflow_and_errors();
    return check_summary("sim.basic");
}
