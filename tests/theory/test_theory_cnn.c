/* test_theory_cnn.c - the cnn1d architecture (Hayou et al. eq. 5/11) in the theory engine.
 *
 * Usage: test_theory_cnn PART, PART one of
 *   ffnn      Assumption 1 (seed-001 2.6, test 8.2.6): spatially constant inputs make the CNN
 *             reproduce the FFNN at every layer and every position (relu, tanh; both readouts),
 *             including the seed-001 5.3 / 5.4 goldens through Hayou's depth mapping; positions
 *             = 1 is the FFNN for any inputs.
 *   selfavg   Self-averaging (seed-001 2.6, appendix Lemma 3, L490-L501, L601-L615): the
 * per-channel average kernel and the position-summed gradient follow FFNN-like recursions, and
 *             spatial inhomogeneities decay relative to the mean like (lambda_2/lambda_1)^l of the
 *             circulant band matrix (exactly for a linear net, asymptotically for chaotic tanh).
 *   brute     seed-001 section 5 has no CNN goldens; a positions = 3, q = 1, depth 2 network is
 *             evaluated here independently (full (kM)^2 matrices, ReLU arc-cosine closed forms,
 *             tanh by a 2-D trapezoid rule, per-layer NTK terms by forward mode) and compared
 *             with every forward quantity and ntk_layer.
 *   layersum  Sum over layers and groups of ntk_layer = ntk at the readout pairs; model checks,
 *             input errors, ntk_program_has_op, memo bit-identity.
 *   mc        Finite-width Monte Carlo of the empirical NTK of a ReLU CNN (explicit forward and
 *             backward passes) against the theory, per layer and group, both readouts.
 */
#include "theory/theory_priv.h"
#include "theory_test.h"

#include <stdint.h>
#include <string.h>

/* ------------------------------------------------------------------ helpers */

static uint64_t rng_state = 0x9e3779b97f4a7c15ULL;

static uint64_t splitmix(void)
{
    uint64_t z = (rng_state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static double unif(void)
{
    return ((double)(splitmix() >> 11) + 0.5) * 0x1p-53;
}

static double gauss(void)
{
    static int have = 0;
    static double spare;
    if (have) {
        have = 0;
        return spare;
    }
    double u = unif(), v = unif(), r = sqrt(-2.0 * log(u));
    spare = r * sin(2.0 * M_PI * v);
    have = 1;
    return r * cos(2.0 * M_PI * v);
}

static ntk_model cnn(const char *act, int M, int q, long L, ntk_readout_kind ro)
{
    ntk_model m;
    ntk_model_default(&m);
    m.arch = NTK_ARCH_CNN1D;
    ntk_act_parse(act, &m.act.kind);
    m.positions = M;
    m.kernel_half = q;
    m.depth = L;
    m.readout = ro;
    return m;
}

/* Compiles *m and runs it on n virtual inputs with the given Gram (NULL after a failed check). */
static ntk_theory_result *run(const ntk_model *m, int n, const double *gram)
{
    ntk_program prog;
    int rc = ntk_model_compile(m, &prog);
    if (rc != NTK_OK) {
        printf("compile failed: %s\n", ntk_error_msg());
        CHECK(rc == NTK_OK);
        return NULL;
    }
    ntk_inputs in = {n, gram};
    ntk_theory_result *r = ntk_theory_result_alloc(n, m->depth);
    if (!r) return NULL;
    rc = ntk_theory_run(&prog, &in, r);
    if (rc != NTK_OK) {
        printf("run failed: %s\n", ntk_error_msg());
        CHECK(rc == NTK_OK);
        ntk_theory_result_free(r);
        return NULL;
    }
    return r;
}

/* Value of quantity q at (layer, group) for virtual inputs u, v (pair) or u (input). */
static double V(ntk_theory_result *r, ntk_theory_qty q, long l, int g, int u, int v)
{
    int pair = (ntk_theory_qty_table()[q].dims & NTK_DIM_PAIR) != 0;
    return *ntk_theory_at(r, q, l, g, pair ? ntk_pair_index(u, v, r->shape.n_input) : u);
}

/* Random signals: kr inputs of d channels x M positions, x[(i d + c) M + a]. */
static void random_signals(int kr, int d, int M, double *x)
{
    for (int i = 0; i < kr * d * M; i++)
        x[i] = gauss();
}

/* |got - want| <= rel * max(|want|, floor). */
#define CHECK_NEAR(got, want, rel, floor) CHECK_ABS((got), (want), (rel)*fmax(fabs(want), (floor)))

/* ------------------------------------------------------------------ (a) Assumption 1 */

/* Compares every quantity of the CNN (kr real inputs replicated over M positions) with the FFNN
 * on the kr x kr Gram g, at every layer and every virtual input / pair. */
static void compare_ffnn(ntk_model mc, const double *g, int kr, double tol, const char *name)
{
    const int M = mc.positions, n = kr * M;
    ntk_model mf = mc;
    mf.arch = NTK_ARCH_FF;
    double *G = malloc((size_t)n * n * sizeof(double));
    CHECK(ntk_theory_gram_replicate(kr, M, g, G) == NTK_OK);
    ntk_theory_result *rc = run(&mc, n, G), *rf = run(&mf, kr, g);
    free(G);
    if (!rc || !rf) {
        ntk_theory_result_free(rc);
        ntk_theory_result_free(rf);
        return;
    }
    printf("-- Assumption 1: %s\n", name);
    const ntk_qty_desc *t = ntk_theory_qty_table();
    int conv_head = mc.readout == NTK_READOUT_CONV;
    long nchk = 0, nfail0 = check_nfail_;
    for (int q = 0; q < NTK_TQ_COUNT; q++) {
        int pair = (t[q].dims & NTK_DIM_PAIR) != 0, grp = (t[q].dims & NTK_DIM_GROUP) != 0;
        /* backward quantities: chi of a conv readout depends on the position (its mean is
         * checked below); ntk_layer / chi_group are defined at the readout entries only */
        int readout_only = q == NTK_TQ_NTK_LAYER || q == NTK_TQ_CHI_GROUP;
        int skip_pos = conv_head && q == NTK_TQ_GRAD_CORR;
        if (conv_head && (q == NTK_TQ_CHI || q == NTK_TQ_LOG_CHI)) continue;
        /* sigma_out = 0: ff reports NaN/inf for the gradient correlation and per-entry
         * gradients (absolute gradients vanish); cnn1d reports their limit */
        if (mc.sigma_out == 0.0 && (q == NTK_TQ_GRAD_CORR || q == NTK_TQ_CHI_GROUP)) continue;
        for (long l = 0; l <= mc.depth; l++)
            for (int gr = 0; gr < (grp ? NTK_GROUP_COUNT : 1); gr++)
                for (int u = 0; u < n; u++)
                    for (int v = u; v < (pair ? n : u + 1); v++) {
                        int i = u / M, j = v / M, a = u % M, b = v % M;
                        if ((readout_only || skip_pos) && (a != 0 || b != 0)) continue;
                        double want =
                            *ntk_theory_at(rf, q, l, gr, pair ? ntk_pair_index(i, j, kr) : i);
                        /* gradients at different positions are uncorrelated (NaN where the
                         * ff gradient vanishes) */
                        if (q == NTK_TQ_GRAD_CORR && a != b && !isnan(want)) want = 0.0;
                        double got = V(rc, q, l, gr, u, v);
                        nchk++;
                        if (isnan(want) || isinf(want)) {
                            if (!(isnan(want) ? isnan(got) : got == want)) {
                                printf("%s[%ld][%d] (%d,%d): %g, want NaN\n", t[q].name, l, gr, u,
                                       v, got);
                                CHECK(isnan(want) ? isnan(got) : got == want);
                            }
                        } else if (!(fabs(got - want) <= tol * fmax(fabs(want), 1.0))) {
                            printf("%s[%ld][%d] (%d,%d): %.17g, want %.17g\n", t[q].name, l, gr, u,
                                   v, got, want);
                            CHECK(fabs(got - want) <= tol * fmax(fabs(want), 1.0));
                        }
                    }
    }
    CHECK(check_nfail_ == nfail0);
    printf("   %ld values compared\n", nchk);
    if (conv_head)
        for (long l = 0; l <= mc.depth; l++)
            for (int i = 0; i < kr; i++) {
                double s = 0.0;
                for (int a = 0; a < M; a++)
                    s += V(rc, NTK_TQ_CHI, l, 0, i * M + a, 0);
                CHECK_NEAR(s / M, V(rf, NTK_TQ_CHI, l, 0, i, 0), tol, 1.0);
            }
    if (mc.sigma_out != 0.0) /* counts scale with the positions */
        CHECK((rc->n_nonfinite > 0) == (rf->n_nonfinite > 0));
    ntk_theory_result_free(rc);
    ntk_theory_result_free(rf);
}

/* Hayou's CNN of depth L (L conv layers, output y^L_{1,a}, all trained) = cnn1d with depth L - 1
 * and a conv readout with sigma_out = sigma_w, sigma_out_b = sigma_b; K^L_{a,a'} = ntk at row
 * L - 1 and virtual pair (a, M + a'). Under Assumption 1 it is the FFNN's K^L (seed-001 2.6). */
static void hayou_golden(const char *act, double sb, double sw, double rho, const long *Ls,
                         const double *koff, const double *kdiag, int nL, double tol)
{
    const int M = 4;
    long Lmax = Ls[nL - 1];
    ntk_model m = cnn(act, M, 1, Lmax - 1, NTK_READOUT_CONV);
    m.sigma_w = m.sigma_out = sw;
    m.sigma_b = m.sigma_out_b = sb;
    double g[4] = {1.0, rho, rho, 1.0}, G[64];
    ntk_theory_gram_replicate(2, M, g, G);
    ntk_theory_result *r = run(&m, 2 * M, G);
    if (!r) return;
    for (int t = 0; t < nL; t++) {
        long L = Ls[t];
        for (int a = 0; a < M; a += 3) /* any output positions (a, a') */
            CHECK_REL(V(r, NTK_TQ_NTK, L - 1, 0, a, M + (a + 1) % M) / (double)L, koff[t], tol);
        if (kdiag) CHECK_REL(V(r, NTK_TQ_NTK, L - 1, 0, 1, 2) / (double)L, kdiag[t], tol);
    }
    ntk_theory_result_free(r);
}

static void part_ffnn(void)
{
    double g3[9] = {1.0, 0.3, -0.2, 0.3, 1.5, 0.1, -0.2, 0.1, 0.7};
    const char *acts[2] = {"relu", "tanh"};
    for (int ai = 0; ai < 2; ai++)
        for (int ro = 0; ro < 2; ro++) {
            char name[96];
            ntk_model m = cnn(acts[ai], 5, 1, 6, (ntk_readout_kind)ro);
            m.sigma_w = ai ? 1.6 : 1.3;
            m.sigma_b = 0.3;
            m.sigma_out = 1.1;
            m.sigma_out_b = 0.2;
            snprintf(name, sizeof name, "%s, M = 5, q = 1, %s readout", acts[ai],
                     ntk_readout_name((ntk_readout_kind)ro));
            compare_ffnn(m, g3, 3, 2e-14, name);
        }
    {
        ntk_model m = cnn("tanh", 7, 3, 4, NTK_READOUT_DENSE); /* filter = every position */
        m.sigma_w = 0.9;
        m.sigma_b = 0.5;
        m.trained = NTK_GROUP_BIT(NTK_GROUP_W) | NTK_GROUP_BIT(NTK_GROUP_READOUT_B);
        compare_ffnn(m, g3, 3, 2e-14, "tanh, M = 7, q = 3, trained {W, readout_b}");
        m = cnn("erf", 4, 0, 5, NTK_READOUT_CONV); /* 1x1 convolutions */
        m.sigma_b = 0.4;
        m.act_mult = 1.2;
        compare_ffnn(m, g3, 3, 2e-14, "erf, M = 4, q = 0, act_mult 1.2, conv readout");
        m = cnn("tanh", 5, 1, 4, NTK_READOUT_DENSE);
        m.sigma_out = 0.0; /* chi, chi_group: the limit relative to a vanishing readout */
        m.sigma_out_b = 0.3;
        compare_ffnn(m, g3, 3, 2e-14, "tanh, sigma_out = 0");
        m.sigma_out = 1.0;
        m.sigma_w = 0.0; /* vanishing gradients (counted non-finite logs, as for ff) */
        m.sigma_b = 0.5;
        compare_ffnn(m, g3, 3, 2e-14, "tanh, sigma_w = 0");
        m = cnn("relu", 6, 2, 300, NTK_READOUT_DENSE); /* deep and exploding: log scales */
        m.sigma_w = 1.8;
        compare_ffnn(m, g3, 3, 1e-12, "relu exploding, depth 300");
    }
    /* positions = 1 (q = 0) is the FFNN for any inputs (no replication needed) */
    {
        ntk_model m = cnn("gelu", 1, 0, 5, NTK_READOUT_DENSE);
        m.sigma_b = 0.2;
        compare_ffnn(m, g3, 3, 1e-14, "gelu, M = 1");
    }

    /* seed-001 5.3: ReLU EOC (0, sqrt 2), Koff/L for rho = 0 and 0.5, Kdiag/L = 2 (mpmath) */
    printf("-- seed-001 5.3 / 5.4 through Hayou's CNN\n");
    {
        static const long Ls[5] = {2, 3, 10, 30, 100};
        static const double k0[5] = {0.3183098862, 0.4571390909, 0.6311894898, 0.6003922751,
                                     0.5453351756};
        static const double k5[5] = {0.9423311144, 0.9009863741, 0.7585388712, 0.6375492140,
                                     0.5557840605};
        static const double kd[5] = {2, 2, 2, 2, 2};
        hayou_golden("relu", 0.0, M_SQRT2, 0.0, Ls, k0, kd, 5, 1e-9);
        hayou_golden("relu", 0.0, M_SQRT2, 0.5, Ls, k5, kd, 5, 1e-9);
    }
    /* seed-001 5.4: tanh EOC (0.2, 1.30414584006), rho = 0 (8 digits) */
    {
        static const long Ls[4] = {2, 3, 5, 10};
        static const double koff[4] = {0.03733684, 0.04289961, 0.05842594, 0.09335214};
        static const double kdiag[4] = {0.99025838, 0.77077608, 0.62650199, 0.55593086};
        hayou_golden("tanh", 0.2, 1.30414584006, 0.0, Ls, koff, kdiag, 4, 2e-7);
    }
}

/* ------------------------------------------------------------------ (b) self-averaging */

/* Eigenvalue ratio lambda_2 / lambda_1 of the circulant band matrix (ones on the 2q+1 central
 * diagonals, wrapping): lambda_m = sum_{b=-q..q} cos(2 pi m b / M), lambda_1 = 2q + 1. */
static double lambda_ratio(int M, int q)
{
    double best = 0.0;
    for (int m = 1; m < M; m++) {
        double s = 0.0;
        for (int b = -q; b <= q; b++)
            s += cos(2.0 * M_PI * m * b / M);
        if (fabs(s) > best) best = fabs(s);
    }
    return best / (2 * q + 1);
}

/* L2 norm of the deviation from the mean of v[0..M) and the mean itself. */
static double spread(const double *v, int M, double *mean)
{
    double m = 0.0, s = 0.0;
    for (int a = 0; a < M; a++)
        m += v[a];
    m /= M;
    for (int a = 0; a < M; a++)
        s += (v[a] - m) * (v[a] - m);
    *mean = m;
    return sqrt(s);
}

static void part_selfavg(void)
{
    /* 1. circular padding preserves the sums along every position offset t:
     *    sum_a q^l[(i,a),(j,a+t)] = M sigma_b^2 + sigma_w^2 sum_a p^(l-1)[(i,a),(j,a+t)], hence the
     *    per-channel average kernel (Hayou's kappa-hat, L497-L501) follows
     *    kappa-hat^l = sigma_b^2 + sigma_w^2 mean_{a,a'} T(kappa^(l-1))_{a,a'}. */
    printf("-- per-channel average and offset sums\n");
    {
        const int M = 6, kr = 2, d = 3, n = kr * M;
        double x[36], G[144];
        random_signals(kr, d, M, x);
        CHECK(ntk_theory_cnn_gram(kr, d, M, x, G) == NTK_OK);
        ntk_model m = cnn("tanh", M, 1, 8, NTK_READOUT_DENSE);
        m.sigma_w = 1.7;
        m.sigma_b = 0.4;
        ntk_theory_result *r = run(&m, n, G);
        if (r) {
            for (long l = 1; l <= 8; l++)
                for (int i = 0; i < kr; i++)
                    for (int j = i; j < kr; j++) {
                        double qa = 0.0, pa = 0.0;
                        for (int t = 0; t < M; t++) {
                            double qs = 0.0, ps = 0.0;
                            for (int a = 0; a < M; a++) {
                                qs += V(r, NTK_TQ_Q, l, 0, i * M + a, j * M + (a + t) % M);
                                ps += V(r, NTK_TQ_P, l - 1, 0, i * M + a, j * M + (a + t) % M);
                            }
                            CHECK_NEAR(qs, M * 0.16 + 1.7 * 1.7 * ps, 1e-13, 1.0);
                            qa += qs;
                            pa += ps;
                        }
                        CHECK_NEAR(qa / (M * M), 0.16 + 1.7 * 1.7 * pa / (M * M), 1e-13, 1.0);
                    }
            ntk_theory_result_free(r);
        }
    }

    /* 2. gradients (L601-L615): with per-position variances equal (inputs of constant norm per
     *    position), the position-summed gradient follows the FFNN recursion
     *    sum_a chi^(l-1)_a = sigma_w^2 kdot^l sum_a chi^l_a, and the position mean of chi at the
     *    model depth is 1. The inputs are not spatially constant (Assumption 1 fails). */
    printf("-- position-summed gradients\n");
    for (int ro = 0; ro < 2; ro++) {
        const int M = 5, kr = 2, d = 4, n = kr * M;
        double x[40], G[100];
        random_signals(kr, d, M, x);
        for (int i = 0; i < kr; i++) /* equal norm at every position */
            for (int a = 0; a < M; a++) {
                double s = 0.0;
                for (int c = 0; c < d; c++)
                    s += x[(i * d + c) * M + a] * x[(i * d + c) * M + a];
                for (int c = 0; c < d; c++)
                    x[(i * d + c) * M + a] *= sqrt(d / s);
            }
        ntk_theory_cnn_gram(kr, d, M, x, G);
        const long L = 12;
        ntk_model m = cnn("tanh", M, 1, L, (ntk_readout_kind)ro);
        m.sigma_w = 1.4;
        m.sigma_b = 0.3;
        ntk_theory_result *r = run(&m, n, G);
        if (!r) continue;
        for (int i = 0; i < kr; i++) {
            double sL = 0.0;
            for (int a = 0; a < M; a++) {
                sL += V(r, NTK_TQ_CHI, L, 0, i * M + a, 0);
                CHECK_REL(V(r, NTK_TQ_Q, 1, 0, i * M + a, i * M + a), 0.09 + 1.4 * 1.4, 1e-14);
            }
            CHECK_REL(sL / M, 1.0, 1e-14);
            for (long l = 1; l <= L; l++) {
                double s0 = 0.0, s1 = 0.0;
                for (int a = 0; a < M; a++) {
                    s0 += V(r, NTK_TQ_CHI, l - 1, 0, i * M + a, 0);
                    s1 += V(r, NTK_TQ_CHI, l, 0, i * M + a, 0);
                }
                double kd = V(r, NTK_TQ_KDOT, l, 0, i * M, i * M);
                CHECK_REL(s0, 1.4 * 1.4 * kd * s1, 1e-13);
            }
        }
        /* a conv readout reaches only 2q+1 positions at the output: the gradient there is
         * M/(2q+1) and 0 elsewhere (grad_corr undefined, NaN, not counted) */
        if (ro == NTK_READOUT_CONV) {
            CHECK_REL(V(r, NTK_TQ_CHI, L, 0, 1, 0), 5.0 / 3.0, 1e-14);
            CHECK_ABS(V(r, NTK_TQ_CHI, L, 0, 2, 0), 0.0, 0.0);
            CHECK(isnan(V(r, NTK_TQ_GRAD_CORR, L, 0, 2, M + 2)));
            CHECK_REL(V(r, NTK_TQ_GRAD_CORR, L, 0, 1, 1), 1.0, 1e-15);
            CHECK_INT(r->n_nonfinite, 0);
        }
        ntk_theory_result_free(r);
    }

    /* 3. linear network (identity, sigma_b = 0): q^l = conv^l(q^1) exactly, so the deviation of
     *    each offset diagonal from its mean contracts by exactly lambda_2/lambda_1 per layer once
     *    the slower mode dominates (appendix Lemma 3: (2q+1)^-l U^l = e1 e1^T + O(e^{-beta l}),
     *    beta = log(lambda_1/lambda_2)). M = 8, q = 1: lambda_2/lambda_1 = (1 + sqrt 2)/3. */
    printf("-- decay rate, linear network\n");
    {
        const int M = 8, kr = 2, d = 3, n = kr * M;
        const long L = 40;
        double x[48], G[256];
        random_signals(kr, d, M, x);
        ntk_theory_cnn_gram(kr, d, M, x, G);
        ntk_model m = cnn("identity", M, 1, L, NTK_READOUT_DENSE);
        m.sigma_w = 1.0;
        ntk_theory_result *r = run(&m, n, G);
        double want = lambda_ratio(M, 1);
        CHECK_REL(want, (1.0 + M_SQRT2) / 3.0, 1e-15);
        if (r) {
            for (int t = 0; t < M; t += 3) {
                double v[8], mean, prev = 0.0, prevmean = 0.0;
                for (long l = 1; l <= L; l++) {
                    for (int a = 0; a < M; a++)
                        v[a] = V(r, NTK_TQ_Q, l, 0, a, M + (a + t) % M);
                    double sp = spread(v, M, &mean);
                    if (l == L) {
                        printf("   offset %d: spread ratio %.15f (lambda_2/lambda_1 = %.15f)\n", t,
                               sp / prev, want);
                        CHECK_REL(sp / prev, want, 1e-10);
                        CHECK_REL(mean, prevmean, 1e-13); /* the mean is preserved */
                    }
                    prev = sp;
                    prevmean = mean;
                }
            }
            ntk_theory_result_free(r);
        }
    }

    /* 4. chaotic phase (sigma_b = 0, sigma_w = 2; tanh and erf): cross-input correlations
     *    c^l_{a,a} -> c* = 0 at rate f'(0)^l and their spatial deviation at rate
     *    f'(0) lambda_2/lambda_1, so the relative inhomogeneity spread/|mean| contracts like
     *    e^{-beta l} (Lemma 3 statement 2), up to O(c^2) corrections; at the depth L checked the
     *    measured rate is within tol of lambda_2/lambda_1 and closer than at depth 15 (below
     *    L the mean c is still large, beyond it the spread nears the rounding of c). Unit norm
     *    at every position makes all variances equal. */
    printf("-- decay rate, chaotic phase\n");
    static const struct {
        const char *act;
        int M, q;
        long L;
        double tol;
    } cfgs[3] = {{"tanh", 7, 1, 40, 2e-5}, {"erf", 7, 1, 40, 2e-6}, {"tanh", 9, 2, 33, 3e-4}};
    for (int cfg = 0; cfg < 3; cfg++) {
        const int M = cfgs[cfg].M, qh = cfgs[cfg].q, kr = 2, d = 6, n = kr * M;
        const long L = cfgs[cfg].L;
        double x[108], G[324];
        random_signals(kr, d, M, x);
        for (int a = 0; a < M; a++) /* correlated inputs: c^1 well away from 0 */
            for (int c = 0; c < d; c++)
                x[(d + c) * M + a] = 0.8 * x[c * M + a] + 0.6 * x[(d + c) * M + a];
        for (int i = 0; i < kr; i++)
            for (int a = 0; a < M; a++) {
                double s = 0.0;
                for (int c = 0; c < d; c++)
                    s += x[(i * d + c) * M + a] * x[(i * d + c) * M + a];
                for (int c = 0; c < d; c++)
                    x[(i * d + c) * M + a] *= sqrt(d / s);
            }
        ntk_theory_cnn_gram(kr, d, M, x, G);
        ntk_model m = cnn(cfgs[cfg].act, M, qh, L, NTK_READOUT_DENSE);
        m.sigma_w = 2.0;
        ntk_theory_result *r = run(&m, n, G);
        if (!r) continue;
        double want = lambda_ratio(M, qh), v[9], mean = 0.0, rel[41] = {0};
        for (long l = 1; l <= L; l++) {
            for (int a = 0; a < M; a++)
                v[a] = V(r, NTK_TQ_C, l, 0, a, M + a);
            rel[l] = spread(v, M, &mean) / fabs(mean);
        }
        double got = rel[L] / rel[L - 1], early = rel[15] / rel[14];
        printf("   %s M = %d, q = %d: relative spread ratio %.10f at l = %ld, %.10f at l = 15 "
               "(lambda_2/lambda_1 = %.10f); mean c %.3g\n",
               cfgs[cfg].act, M, qh, got, L, early, want, mean);
        CHECK_REL(got, want, cfgs[cfg].tol);
        CHECK(fabs(got - want) < fabs(early - want));
        ntk_theory_result_free(r);
    }
}

/* ------------------------------------------------------------------ (c) brute force */

/* Full-matrix evaluation of a cnn1d on n = kr*M virtual inputs, written independently of the
 * engine (Hayou eq. 13 and Lemma 2 with the corrections of seed-001 7.2, readout note of 2.6). */
typedef struct {
    int M, q, kr, n, tanh_act;
    double sw, sb, so, sob;
} bf_net;

static int bf_shift(const bf_net *b, int u, int s)
{
    int a = u % b->M;
    return (u / b->M) * b->M + ((a + s) % b->M + b->M) % b->M;
}

/* out = (1/(2q+1)) sum_s A[u+s][v+s] */
static void bf_conv(const bf_net *b, const double *A, double *out)
{
    const int n = b->n;
    for (int u = 0; u < n; u++)
        for (int v = 0; v < n; v++) {
            double s = 0.0;
            for (int t = -b->q; t <= b->q; t++)
                s += A[bf_shift(b, u, t) * n + bf_shift(b, v, t)];
            out[u * n + v] = s / (2 * b->q + 1);
        }
}

/* out[(i,a),(j,a')] = (1/M) sum_s A[(i,s),(j,s)] */
static void bf_flat(const bf_net *b, const double *A, double *out)
{
    const int n = b->n, M = b->M;
    for (int u = 0; u < n; u++)
        for (int v = 0; v < n; v++) {
            double s = 0.0;
            for (int t = 0; t < M; t++)
                s += A[((u / M) * M + t) * n + (v / M) * M + t];
            out[u * n + v] = s / M;
        }
}

/* E[phi(u) phi(v)], E[phi'(u) phi'(v)] for (u, v) centred Gaussian with variances q1, q2 and
 * covariance q12: ReLU arc-cosine closed forms; tanh by the trapezoid rule in (z1, z2) on
 * [-10, 10]^2, step 0.04 (errors ~ exp(-pi^2/(sqrt(q) h)), below 1e-13 here). */
static void bf_expect(int tanh_act, double q1, double q2, double q12, double *T, double *Td)
{
    double c = q12 / sqrt(q1 * q2);
    c = c > 1.0 ? 1.0 : c < -1.0 ? -1.0 : c;
    if (!tanh_act) {
        double th = acos(c);
        *T = sqrt(q1 * q2) * (sin(th) + (M_PI - th) * c) / (2.0 * M_PI);
        *Td = (M_PI - th) / (2.0 * M_PI);
        return;
    }
    const double h = 0.04, s1 = sqrt(q1), s2 = sqrt(q2), sc = sqrt(fmax(0.0, 1.0 - c * c));
    const int N = 250;
    double t = 0.0, td = 0.0;
    for (int i = -N; i <= N; i++) {
        double z1 = i * h, w1 = exp(-0.5 * z1 * z1), a = tanh(s1 * z1), da = 1.0 - a * a;
        double in = 0.0, ind = 0.0;
        for (int j = -N; j <= N; j++) {
            double z2 = j * h, w2 = exp(-0.5 * z2 * z2), bb = tanh(s2 * (c * z1 + sc * z2));
            in += w2 * bb;
            ind += w2 * (1.0 - bb * bb);
        }
        t += w1 * a * in;
        td += w1 * da * ind;
    }
    double norm = h * h / (2.0 * M_PI);
    *T = t * norm;
    *Td = td * norm;
}

static void bf_act(const bf_net *b, const double *K, double *T, double *Td)
{
    const int n = b->n;
    for (int u = 0; u < n; u++)
        for (int v = u; v < n; v++) {
            bf_expect(b->tanh_act, K[u * n + u], K[v * n + v], K[u * n + v], &T[u * n + v],
                      &Td[u * n + v]);
            T[v * n + u] = T[u * n + v];
            Td[v * n + u] = Td[u * n + v];
        }
}

/* Layers and groups of the per-layer NTK terms tracked in forward mode: (1, W), (1, b), (2, W),
 * (2, b), (2, readout), (2, readout_b). */
enum { BF_1W, BF_1B, BF_2W, BF_2B, BF_RO, BF_ROB, BF_N };

typedef struct {
    const double *S0;                           /* the input Gram (stream of layer 0) */
    double *H[3], *S[3], *Td[3], *F, *Th[BF_N]; /* F and each term: output of the head */
} bf_out;

static void bf_run(const bf_net *b, const double *G, int conv_head, bf_out *o)
{
    const int n = b->n, nn = n * n;
    double *tmp = malloc(nn * sizeof(double)), *th[BF_N];
    for (int t = 0; t < BF_N; t++)
        th[t] = calloc(nn, sizeof(double));
    o->S0 = G;
    for (int l = 1; l <= 2; l++) {
        o->H[l] = malloc(nn * sizeof(double));
        o->S[l] = malloc(nn * sizeof(double));
        o->Td[l] = malloc(nn * sizeof(double));
        /* existing terms pass the convolution, then the activation (Lemma 2: Psi = Qdot K) */
        for (int t = 0; t < BF_N; t++) {
            bf_conv(b, th[t], tmp);
            for (int e = 0; e < nn; e++)
                th[t][e] = b->sw * b->sw * tmp[e];
        }
        bf_conv(b, l == 1 ? o->S0 : o->S[l - 1], tmp);
        for (int e = 0; e < nn; e++) {
            o->H[l][e] = b->sw * b->sw * tmp[e] + b->sb * b->sb;
            th[l == 1 ? BF_1W : BF_2W][e] += b->sw * b->sw * tmp[e];
            th[l == 1 ? BF_1B : BF_2B][e] += b->sb * b->sb; /* one bias per channel */
        }
        bf_act(b, o->H[l], o->S[l], o->Td[l]);
        for (int t = 0; t < BF_N; t++)
            for (int e = 0; e < nn; e++)
                th[t][e] *= o->Td[l][e];
    }
    o->F = malloc(nn * sizeof(double));
    for (int t = 0; t < BF_N; t++) {
        o->Th[t] = malloc(nn * sizeof(double));
        (conv_head ? bf_conv : bf_flat)(b, th[t], tmp);
        for (int e = 0; e < nn; e++)
            o->Th[t][e] = b->so * b->so * tmp[e];
    }
    (conv_head ? bf_conv : bf_flat)(b, o->S[2], tmp);
    for (int e = 0; e < nn; e++) {
        o->F[e] = b->so * b->so * tmp[e] + b->sob * b->sob;
        o->Th[BF_RO][e] += b->so * b->so * tmp[e];
        o->Th[BF_ROB][e] += b->sob * b->sob;
    }
    free(tmp);
    for (int t = 0; t < BF_N; t++)
        free(th[t]);
}

static void bf_free(bf_out *o)
{
    for (int l = 1; l <= 2; l++) {
        free(o->H[l]);
        free(o->S[l]);
        free(o->Td[l]);
    }
    free(o->F);
    for (int t = 0; t < BF_N; t++)
        free(o->Th[t]);
}

static void part_brute(void)
{
    const int M = 3, kr = 2, d = 2, n = kr * M;
    double x[12], G[36];
    /* hand-picked signals (d = 2 channels, 3 positions) */
    static const double xs[12] = {1.0,  -0.5, 0.3, 0.2, 0.8, -1.1, /* input 0 */
                                  -0.4, 0.9,  0.6, 1.2, 0.1, -0.7 /* input 1 */};
    memcpy(x, xs, sizeof xs);
    CHECK(ntk_theory_cnn_gram(kr, d, M, x, G) == NTK_OK);
    CHECK_REL(G[0 * n + 4], (1.0 * 0.9 + 0.2 * 0.1) / 2.0, 1e-15); /* x_0[.,0] . x_1[.,1] / d */
    for (int act = 0; act < 2; act++)
        for (int ro = 0; ro < 2; ro++) {
            bf_net b = {M, 1, kr, n, act, act ? 1.5 : 1.3, 0.4, 1.2, 0.3};
            ntk_model m = cnn(act ? "tanh" : "relu", M, 1, 2, (ntk_readout_kind)ro);
            m.sigma_w = b.sw;
            m.sigma_b = b.sb;
            m.sigma_out = b.so;
            m.sigma_out_b = b.sob;
            printf("-- brute force M = 3, q = 1, depth 2: %s, %s readout\n", act ? "tanh" : "relu",
                   ntk_readout_name((ntk_readout_kind)ro));
            ntk_theory_result *r = run(&m, n, G);
            if (!r) continue;
            bf_out o;
            bf_run(&b, G, ro, &o);
            const double tol = act ? 1e-10 : 1e-13;
            double maxerr = 0.0;
#define CMP(got, want)                                                                             \
    do {                                                                                           \
        double g_ = (got), w_ = (want), e_ = fabs(g_ - w_) / fmax(fabs(w_), 1e-2);                 \
        if (e_ > maxerr) maxerr = e_;                                                              \
        CHECK_NEAR(g_, w_, tol, 1e-2);                                                             \
    } while (0)
            for (int u = 0; u < n; u++)
                for (int v = u; v < n; v++) {
                    int e = u * n + v;
                    CMP(V(r, NTK_TQ_P, 0, 0, u, v), G[e]);
                    for (int l = 1; l <= 2; l++) {
                        CMP(V(r, NTK_TQ_Q, l, 0, u, v), o.H[l][e]);
                        CMP(V(r, NTK_TQ_P, l, 0, u, v), o.S[l][e]);
                        CMP(V(r, NTK_TQ_KDOT, l, 0, u, v), o.Td[l][e]);
                    }
                    CMP(V(r, NTK_TQ_NNGP, 2, 0, u, v), o.F[e]);
                    double sum = 0.0;
                    for (int t = 0; t < BF_N; t++)
                        sum += o.Th[t][e];
                    CMP(V(r, NTK_TQ_NTK, 2, 0, u, v), sum);
                    CMP(V(r, NTK_TQ_NTK_GROUP, 2, NTK_GROUP_W, u, v),
                        o.Th[BF_1W][e] + o.Th[BF_2W][e]);
                    CMP(V(r, NTK_TQ_NTK_GROUP, 2, NTK_GROUP_B, u, v),
                        o.Th[BF_1B][e] + o.Th[BF_2B][e]);
                    CMP(V(r, NTK_TQ_NTK_GROUP, 2, NTK_GROUP_READOUT, u, v), o.Th[BF_RO][e]);
                    if (u % M == 0 && v % M == 0) { /* per-layer terms at the readout pairs */
                        CMP(V(r, NTK_TQ_NTK_LAYER, 1, NTK_GROUP_W, u, v), o.Th[BF_1W][e]);
                        CMP(V(r, NTK_TQ_NTK_LAYER, 1, NTK_GROUP_B, u, v), o.Th[BF_1B][e]);
                        CMP(V(r, NTK_TQ_NTK_LAYER, 2, NTK_GROUP_W, u, v), o.Th[BF_2W][e]);
                        CMP(V(r, NTK_TQ_NTK_LAYER, 2, NTK_GROUP_B, u, v), o.Th[BF_2B][e]);
                        CMP(V(r, NTK_TQ_NTK_LAYER, 2, NTK_GROUP_READOUT, u, v), o.Th[BF_RO][e]);
                        CMP(V(r, NTK_TQ_NTK_LAYER, 2, NTK_GROUP_READOUT_B, u, v), o.Th[BF_ROB][e]);
                        CHECK_ABS(V(r, NTK_TQ_NTK_LAYER, 0, NTK_GROUP_W, u, v), 0.0, 0.0);
                    } else
                        CHECK(isnan(V(r, NTK_TQ_NTK_LAYER, 2, NTK_GROUP_W, u, v)));
                }
#undef CMP
            printf("   max relative difference %.3g\n", maxerr);
            /* M = 2q + 1: the filter covers every position, so every kernel depends on the
             * positions only through a' - a; with the dense readout all entries of an input pair
             * coincide (the readout note of seed-001 2.6) */
            CHECK_NEAR(V(r, NTK_TQ_Q, 2, 0, 0, M + 1), V(r, NTK_TQ_Q, 2, 0, 2, M + 0), 1e-14, 1.0);
            if (ro == NTK_READOUT_DENSE)
                CHECK_NEAR(V(r, NTK_TQ_NTK, 2, 0, 1, M + 2), V(r, NTK_TQ_NTK, 2, 0, 0, M), 1e-14,
                           1.0);
            bf_free(&o);
            ntk_theory_result_free(r);
        }
}

/* ------------------------------------------------------------------ (d) layer sums, errors */

static void check_layer_sum(const ntk_model *m, int kr, int d, double tol, const char *name)
{
    const int M = m->positions, n = kr * M;
    double *x = malloc((size_t)kr * d * M * sizeof(double)), *G = malloc((size_t)n * n * 8);
    random_signals(kr, d, M, x);
    ntk_theory_cnn_gram(kr, d, M, x, G);
    ntk_theory_result *r = run(m, n, G);
    free(x);
    free(G);
    if (!r) return;
    printf("-- layer sum: %s\n", name);
    const long L = m->depth;
    for (int i = 0; i < kr; i++)
        for (int j = i; j < kr; j++) {
            double s = 0.0, want = V(r, NTK_TQ_NTK, L, 0, i * M, j * M);
            for (int g = 0; g < NTK_GROUP_COUNT; g++) {
                double sg = 0.0;
                for (long l = 0; l <= L; l++)
                    sg += V(r, NTK_TQ_NTK_LAYER, l, g, i * M, j * M);
                CHECK_NEAR(sg, V(r, NTK_TQ_NTK_GROUP, L, g, i * M, j * M), tol, fabs(want));
                s += sg;
            }
            CHECK_REL(s, want, tol);
        }
    /* the group split of the output NTK sums to it at every virtual pair */
    for (int u = 0; u < n; u++)
        for (int v = u; v < n; v++) {
            double sg = 0.0;
            for (int g = 0; g < NTK_GROUP_COUNT; g++)
                sg += V(r, NTK_TQ_NTK_GROUP, L, g, u, v);
            CHECK_REL(sg, V(r, NTK_TQ_NTK, L, 0, u, v), 1e-13);
        }
    CHECK_INT(r->n_nonfinite, 0);
    ntk_theory_result_free(r);
}

static void check_memo(const ntk_model *m, int kr, int d)
{
    const int M = m->positions, n = kr * M;
    double x[64], G[256];
    random_signals(kr, d, M, x);
    ntk_theory_cnn_gram(kr, d, M, x, G);
    ntk_program prog;
    CHECK(ntk_model_compile(m, &prog) == NTK_OK);
    ntk_inputs in = {n, G};
    ntk_theory_result *a = ntk_theory_result_alloc(n, m->depth),
                      *b = ntk_theory_result_alloc(n, m->depth);
    long na = 0, nb = 0;
    ntk_theory_opts oa = {1, &na}, ob = {0, &nb};
    CHECK(ntk_theory_run_ex(&prog, &in, a, &oa) == NTK_OK);
    CHECK(ntk_theory_run_ex(&prog, &in, b, &ob) == NTK_OK);
    printf("-- memo: %ld vs %ld Gaussian evaluations\n", na, nb);
    int same = 1;
    for (int q = 0; q < NTK_TQ_COUNT; q++) {
        size_t cnt = ntk_qty_size(ntk_theory_qty_table()[q].dims, &a->shape);
        if (memcmp(a->data[q], b->data[q], cnt * sizeof(double)) != 0) same = 0;
    }
    CHECK(same);
    CHECK(na < nb);
    ntk_theory_result_free(a);
    ntk_theory_result_free(b);
}

static void part_layersum(void)
{
    ntk_model m = cnn("relu", 5, 1, 7, NTK_READOUT_DENSE);
    m.sigma_b = 0.3;
    m.sigma_out_b = 0.2;
    check_layer_sum(&m, 3, 4, 1e-13, "relu dense readout");
    m.readout = NTK_READOUT_CONV;
    check_layer_sum(&m, 3, 4, 1e-13, "relu conv readout");
    m = cnn("tanh", 8, 2, 10, NTK_READOUT_DENSE);
    m.sigma_w = 1.6;
    m.sigma_b = 0.5;
    check_layer_sum(&m, 2, 3, 1e-13, "tanh M = 8, q = 2");
    m.trained = NTK_GROUP_BIT(NTK_GROUP_B) | NTK_GROUP_BIT(NTK_GROUP_READOUT);
    check_layer_sum(&m, 2, 3, 1e-13, "tanh trained {b, readout}");
    m = cnn("relu", 4, 1, 250, NTK_READOUT_CONV);
    m.sigma_w = 2.0; /* exploding: contributions in log scale */
    check_layer_sum(&m, 2, 2, 1e-11, "relu exploding conv readout");

    /* chi_group: readout per-entry gradient p at the model depth (position mean, relative to
     * the position-summed stream gradient), conv bias = position sum of the H gradient */
    {
        const int M = 5, n = 10;
        double x[30], G[100];
        random_signals(2, 3, M, x);
        ntk_theory_cnn_gram(2, 3, M, x, G);
        ntk_model mm = cnn("tanh", M, 1, 4, NTK_READOUT_DENSE);
        mm.sigma_b = 0.3;
        mm.sigma_out = 1.3;
        ntk_theory_result *r = run(&mm, n, G);
        if (r) {
            for (int i = 0; i < 2; i++) {
                double pm = 0.0;
                for (int a = 0; a < M; a++)
                    pm += V(r, NTK_TQ_P, 4, 0, i * M + a, i * M + a) / M;
                CHECK_REL(V(r, NTK_TQ_CHI_GROUP, 4, NTK_GROUP_READOUT, i * M, 0), pm / (1.3 * 1.3),
                          1e-13);
                CHECK(isnan(V(r, NTK_TQ_CHI_GROUP, 4, NTK_GROUP_READOUT, i * M + 1, 0)));
                for (long l = 1; l <= 4; l++) {
                    /* dense readout: chi_b = sum_a chi_a kdot_a / M (per-position gradients
                     * relative to their mean M h; the shared bias sums the positions) */
                    double s = 0.0;
                    for (int a = 0; a < M; a++)
                        s += V(r, NTK_TQ_CHI, l, 0, i * M + a, 0) *
                             V(r, NTK_TQ_KDOT, l, 0, i * M + a, i * M + a);
                    CHECK_REL(V(r, NTK_TQ_CHI_GROUP, l, NTK_GROUP_B, i * M, 0), s / M, 1e-13);
                }
            }
            CHECK(isnan(V(r, NTK_TQ_CHI_GROUP, 2, NTK_GROUP_V, 0, 0)));
            ntk_theory_result_free(r);
        }
    }

    /* chi, grad_corr and the blocks' chi_group are relative to the readout gradient, so they do
     * not depend on sigma_out, and sigma_out = 0 reports their limit */
    printf("-- relative gradients vs sigma_out\n");
    for (int ro = 0; ro < 2; ro++) {
        const int M = 6, n = 12;
        double x[36], G[144];
        random_signals(2, 3, M, x);
        ntk_theory_cnn_gram(2, 3, M, x, G);
        ntk_theory_result *r[2];
        for (int z = 0; z < 2; z++) {
            ntk_model mm = cnn("tanh", M, 1, 5, (ntk_readout_kind)ro);
            mm.sigma_b = 0.2;
            mm.sigma_out = z ? 0.0 : 1.7;
            r[z] = run(&mm, n, G);
        }
        if (r[0] && r[1]) {
            for (long l = 0; l <= 5; l++)
                for (int u = 0; u < n; u++) {
                    CHECK_REL(V(r[1], NTK_TQ_CHI, l, 0, u, 0), V(r[0], NTK_TQ_CHI, l, 0, u, 0),
                              1e-14);
                    for (int v = u; v < n; v++)
                        CHECK_REL(V(r[1], NTK_TQ_GRAD_CORR, l, 0, u, v),
                                  V(r[0], NTK_TQ_GRAD_CORR, l, 0, u, v), 1e-13);
                }
            for (long l = 1; l <= 5; l++)
                for (int g = NTK_GROUP_W; g <= NTK_GROUP_B; g++)
                    CHECK_REL(V(r[1], NTK_TQ_CHI_GROUP, l, g, M, 0),
                              V(r[0], NTK_TQ_CHI_GROUP, l, g, M, 0), 1e-14);
            CHECK_ABS(V(r[1], NTK_TQ_NTK_LAYER, 3, NTK_GROUP_W, 0, M), 0.0, 0.0);
        }
        ntk_theory_result_free(r[0]);
        ntk_theory_result_free(r[1]);
    }

    printf("-- memo bit-identity\n");
    m = cnn("tanh", 6, 1, 120, NTK_READOUT_DENSE);
    m.sigma_w = 2.2;
    m.sigma_b = 0.3;
    check_memo(&m, 2, 3);

    printf("-- errors\n");
    {
        ntk_model e = cnn("relu", 5, 3, 2, NTK_READOUT_DENSE);
        ntk_program p;
        CHECK_INT(ntk_model_check(&e), NTK_EINVAL); /* filter 7 > 5 positions */
        printf("   %s\n", ntk_error_msg());
        e.kernel_half = -1;
        CHECK_INT(ntk_model_check(&e), NTK_EINVAL);
        e.kernel_half = 2;
        CHECK_INT(ntk_model_check(&e), NTK_OK);
        e.positions = 0;
        CHECK_INT(ntk_model_check(&e), NTK_EINVAL);
        e.positions = NTK_MAX_POSITIONS + 1;
        CHECK_INT(ntk_model_check(&e), NTK_EINVAL);
        e.positions = 5;
        e.stem = NTK_STEM_LINEAR;
        CHECK_INT(ntk_model_check(&e), NTK_ENOTSUP);
        e.stem = NTK_STEM_NONE;
        e.readout = (ntk_readout_kind)7;
        CHECK_INT(ntk_model_check(&e), NTK_EINVAL);
        e.readout = NTK_READOUT_CONV;
        CHECK_INT(ntk_model_compile(&e, &p), NTK_OK);
        CHECK_INT(p.positions, 5);
        CHECK_INT(ntk_program_has_op(&p, NTK_OP_CONV), 1);
        CHECK_INT(ntk_program_has_op(&p, NTK_OP_FLATTEN), 0);
        CHECK_INT(ntk_program_has_op(&p, NTK_OP_LINEAR), 0);
        CHECK_INT(p.block[0].half, 2);
        e.readout = NTK_READOUT_DENSE;
        ntk_model_compile(&e, &p);
        CHECK_INT(ntk_program_has_op(&p, NTK_OP_FLATTEN), 1);
        ntk_model f;
        ntk_model_default(&f);
        CHECK_INT(f.positions, 1);
        ntk_program pf;
        ntk_model_compile(&f, &pf);
        CHECK_INT(ntk_program_has_op(&pf, NTK_OP_CONV), 0);
        CHECK_INT(ntk_program_has_op(&pf, NTK_OP_LINEAR), 1);
        CHECK_INT(pf.positions, 1);
        /* names */
        ntk_arch_kind ak;
        CHECK_INT(ntk_arch_parse("cnn1d", &ak), NTK_OK);
        CHECK_INT(ak, NTK_ARCH_CNN1D);
        CHECK(strcmp(ntk_arch_name(NTK_ARCH_CNN1D), "cnn1d") == 0);
        ntk_readout_kind rk;
        CHECK_INT(ntk_readout_parse("conv", &rk), NTK_OK);
        CHECK_INT(rk, NTK_READOUT_CONV);
        CHECK_INT(ntk_readout_parse("pool", &rk), NTK_EINVAL);
        CHECK(strcmp(ntk_readout_name(NTK_READOUT_DENSE), "dense") == 0);
        /* the run needs k*M virtual inputs */
        double G[49];
        for (int i = 0; i < 49; i++)
            G[i] = i % 8 == 0 ? 1.0 : 0.0;
        ntk_inputs in = {7, G};
        ntk_theory_result *r = ntk_theory_result_alloc(7, 2);
        CHECK_INT(ntk_theory_run(&p, &in, r), NTK_EINVAL);
        printf("   %s\n", ntk_error_msg());
        ntk_theory_result_free(r);
        double x[4] = {1, 2, 3, 4}, g[16];
        CHECK_INT(ntk_theory_cnn_gram(0, 1, 4, x, g), NTK_EINVAL);
        CHECK_INT(ntk_theory_cnn_gram(1, 1, NTK_THEORY_MAX_VIRTUAL + 1, x, g), NTK_EINVAL);
        x[2] = NAN;
        CHECK_INT(ntk_theory_cnn_gram(1, 1, 4, x, g), NTK_EINVAL);
        /* a convolution wider than the positions of a hand-made program */
        ntk_program bad = p;
        bad.block[0].half = 3;
        r = ntk_theory_result_alloc(10, 2);
        double G10[100];
        for (int i = 0; i < 100; i++)
            G10[i] = i % 11 == 0 ? 1.0 : 0.0;
        ntk_inputs in10 = {10, G10};
        CHECK_INT(ntk_theory_run(&bad, &in10, r), NTK_EINVAL);
        printf("   %s\n", ntk_error_msg());
        CHECK_INT(ntk_theory_run(&p, &in10, r), NTK_OK);
        ntk_theory_result_free(r);
    }
}

/* ------------------------------------------------------------------ (e) Monte Carlo */

/* One sampled ReLU CNN: d input channels, width n, M positions, filter 2q+1, L conv layers with
 * biases, dense or conv readout (one output channel, position 0). Computes the empirical NTK
 * terms of one pair of inputs per (layer, group) from explicit gradients. */
typedef struct {
    int d, n, M, q, L, conv_head;
    double sw, sb, so, sob;
    double *W[8], *B[8], *Vr; /* W[l]: n x fan x (2q+1); Vr: n x M (dense) or n x (2q+1) */
    double *act[2][8], *pre[2][8], *gh[2], *ga[2];
    double *gW[2];
} mc_net;

static int mc_fan(const mc_net *c, int l)
{
    return l == 1 ? c->d : c->n;
}

static void mc_alloc(mc_net *c)
{
    const int nb = 2 * c->q + 1, n = c->n, M = c->M;
    for (int l = 1; l <= c->L; l++) {
        c->W[l] = malloc((size_t)n * mc_fan(c, l) * nb * sizeof(double));
        c->B[l] = malloc((size_t)n * sizeof(double));
    }
    c->Vr = malloc((size_t)n * (c->conv_head ? nb : M) * sizeof(double));
    for (int s = 0; s < 2; s++) {
        for (int l = 0; l <= c->L; l++) {
            c->act[s][l] = malloc((size_t)(l ? n : c->d) * M * sizeof(double));
            c->pre[s][l] = malloc((size_t)n * M * sizeof(double));
        }
        c->gh[s] = malloc((size_t)n * M * sizeof(double));
        c->ga[s] = malloc((size_t)n * M * sizeof(double));
        c->gW[s] = malloc((size_t)n * n * nb * sizeof(double));
    }
}

static void mc_free(mc_net *c)
{
    for (int l = 1; l <= c->L; l++) {
        free(c->W[l]);
        free(c->B[l]);
    }
    free(c->Vr);
    for (int s = 0; s < 2; s++) {
        for (int l = 0; l <= c->L; l++) {
            free(c->act[s][l]);
            free(c->pre[s][l]);
        }
        free(c->gh[s]);
        free(c->ga[s]);
        free(c->gW[s]);
    }
}

static void mc_sample(mc_net *c)
{
    const int nb = 2 * c->q + 1;
    for (int l = 1; l <= c->L; l++) {
        for (size_t i = 0; i < (size_t)c->n * mc_fan(c, l) * nb; i++)
            c->W[l][i] = gauss();
        for (int i = 0; i < c->n; i++)
            c->B[l][i] = gauss();
    }
    for (int i = 0; i < c->n * (c->conv_head ? nb : c->M); i++)
        c->Vr[i] = gauss();
}

static void mc_forward(mc_net *c, int s)
{
    const int n = c->n, M = c->M, q = c->q, nb = 2 * q + 1;
    for (int l = 1; l <= c->L; l++) {
        const int fan = mc_fan(c, l);
        const double sc = c->sw / sqrt((double)fan * nb);
        const double *in = c->act[s][l - 1];
        for (int o = 0; o < n; o++)
            for (int a = 0; a < M; a++) {
                double acc = 0.0;
                for (int i = 0; i < fan; i++) {
                    const double *w = c->W[l] + ((size_t)o * fan + i) * nb;
                    for (int b = -q; b <= q; b++)
                        acc += w[b + q] * in[i * M + ((a + b) % M + M) % M];
                }
                double h = sc * acc + c->sb * c->B[l][o];
                c->pre[s][l][o * M + a] = h;
                c->act[s][l][o * M + a] = h > 0.0 ? h : 0.0;
            }
    }
}

/* Backward from the output of input s: stores per-layer weight gradients in term form.
 * out[l*2] = weight term of layer l, out[l*2+1] = bias term; readout at index 0, 1 (as groups
 * readout / readout_b), computed by the caller from both inputs' gradients. Here: fills
 * c->ga[s] = df/dact^L and runs the layers down, calling back per layer. */
static void mc_pair_ntk(mc_net *c, double *terms /* [2 + 2L]: ro, rob, (W_l, b_l) l = 1..L */)
{
    const int n = c->n, M = c->M, q = c->q, nb = 2 * q + 1, L = c->L;
    /* readout gradients and df/dact^L */
    double ro = 0.0;
    for (int s = 0; s < 2; s++)
        memset(c->ga[s], 0, (size_t)n * M * sizeof(double));
    if (c->conv_head) {
        const double sc = c->so / sqrt((double)n * nb);
        for (int o = 0; o < n; o++)
            for (int b = -q; b <= q; b++) {
                int a = ((b % M) + M) % M;
                ro += sc * c->act[0][L][o * M + a] * sc * c->act[1][L][o * M + a];
                for (int s = 0; s < 2; s++)
                    c->ga[s][o * M + a] += sc * c->Vr[o * nb + b + q];
            }
    } else {
        const double sc = c->so / sqrt((double)n * M);
        for (int e = 0; e < n * M; e++) {
            ro += sc * c->act[0][L][e] * sc * c->act[1][L][e];
            for (int s = 0; s < 2; s++)
                c->ga[s][e] = sc * c->Vr[e];
        }
    }
    terms[0] = ro;
    terms[1] = c->sob * c->sob;
    for (int l = L; l >= 1; l--) {
        const int fan = mc_fan(c, l);
        const double sc = c->sw / sqrt((double)fan * nb);
        double tb = 0.0, tw = 0.0, bsum[2];
        for (int s = 0; s < 2; s++) {
            for (int e = 0; e < n * M; e++)
                c->gh[s][e] = c->pre[s][l][e] > 0.0 ? c->ga[s][e] : 0.0;
            /* weight gradients */
            const double *in = c->act[s][l - 1];
            for (int o = 0; o < n; o++)
                for (int i = 0; i < fan; i++)
                    for (int b = -q; b <= q; b++) {
                        double acc = 0.0;
                        for (int a = 0; a < M; a++)
                            acc += c->gh[s][o * M + a] * in[i * M + ((a + b) % M + M) % M];
                        c->gW[s][((size_t)o * fan + i) * nb + b + q] = sc * acc;
                    }
        }
        for (size_t e = 0; e < (size_t)n * fan * nb; e++)
            tw += c->gW[0][e] * c->gW[1][e];
        for (int o = 0; o < n; o++) {
            for (int s = 0; s < 2; s++) {
                bsum[s] = 0.0;
                for (int a = 0; a < M; a++)
                    bsum[s] += c->gh[s][o * M + a];
            }
            tb += c->sb * bsum[0] * c->sb * bsum[1];
        }
        terms[2 * l] = tw;
        terms[2 * l + 1] = tb;
        if (l > 1)
            for (int s = 0; s < 2; s++) {
                memset(c->ga[s], 0, (size_t)n * M * sizeof(double));
                for (int o = 0; o < n; o++)
                    for (int i = 0; i < fan; i++) {
                        const double *w = c->W[l] + ((size_t)o * fan + i) * nb;
                        for (int a = 0; a < M; a++) {
                            double g = c->gh[s][o * M + a];
                            if (g == 0.0) continue;
                            for (int b = -q; b <= q; b++)
                                c->ga[s][i * M + ((a + b) % M + M) % M] += sc * w[b + q] * g;
                        }
                    }
            }
    }
}

static void part_mc(void)
{
    for (int ro = 0; ro < 2; ro++) {
        mc_net c = {3,   160, 4,   1,    2,     ro,    1.4, 0.6, 1.1,
                    0.3, {0}, {0}, NULL, {{0}}, {{0}}, {0}, {0}, {0}};
        const int T = 300, nt = 2 + 2 * c.L, M = c.M, d = c.d;
        mc_alloc(&c);
        double x[24];
        random_signals(2, d, M, x);
        for (int s = 0; s < 2; s++)
            memcpy(c.act[s][0], x + s * d * M, (size_t)d * M * sizeof(double));
        /* theory at the readout pair (0, M) */
        double G[64];
        ntk_theory_cnn_gram(2, d, M, x, G);
        ntk_model m = cnn("relu", M, c.q, c.L, (ntk_readout_kind)ro);
        m.sigma_w = c.sw;
        m.sigma_b = c.sb;
        m.sigma_out = c.so;
        m.sigma_out_b = c.sob;
        ntk_theory_result *r = run(&m, 2 * M, G);
        if (!r) {
            mc_free(&c);
            continue;
        }
        double want[6] = {V(r, NTK_TQ_NTK_LAYER, c.L, NTK_GROUP_READOUT, 0, M),
                          V(r, NTK_TQ_NTK_LAYER, c.L, NTK_GROUP_READOUT_B, 0, M),
                          V(r, NTK_TQ_NTK_LAYER, 1, NTK_GROUP_W, 0, M),
                          V(r, NTK_TQ_NTK_LAYER, 1, NTK_GROUP_B, 0, M),
                          V(r, NTK_TQ_NTK_LAYER, 2, NTK_GROUP_W, 0, M),
                          V(r, NTK_TQ_NTK_LAYER, 2, NTK_GROUP_B, 0, M)};
        double ntk = V(r, NTK_TQ_NTK, c.L, 0, 0, M);
        double s1[6] = {0}, s2[6] = {0}, tot1 = 0.0, tot2 = 0.0;
        for (int t = 0; t < T; t++) {
            double terms[6];
            mc_sample(&c);
            mc_forward(&c, 0);
            mc_forward(&c, 1);
            mc_pair_ntk(&c, terms);
            double tot = 0.0;
            for (int e = 0; e < nt; e++) {
                s1[e] += terms[e];
                s2[e] += terms[e] * terms[e];
                tot += terms[e];
            }
            tot1 += tot;
            tot2 += tot * tot;
        }
        static const char *names[6] = {"readout", "readout_b", "W1", "b1", "W2", "b2"};
        printf("-- Monte Carlo, %s readout, width %d, %d samples: NTK(x, x')\n",
               ro ? "conv" : "dense", c.n, T);
        for (int e = 0; e < nt; e++) {
            double mean = s1[e] / T, sem = sqrt(fmax(0.0, s2[e] / T - mean * mean) / (T - 1));
            printf("   %-9s MC %.5f +- %.5f, theory %.5f (%.1f sem)\n", names[e], mean, sem,
                   want[e], sem > 0 ? (mean - want[e]) / sem : 0.0);
            /* 4 standard errors plus the O(1/width) finite-width bias */
            CHECK_ABS(mean, want[e], 4.0 * sem + 2.0 * fabs(want[e]) / c.n);
        }
        double mean = tot1 / T, sem = sqrt(fmax(0.0, tot2 / T - mean * mean) / (T - 1));
        printf("   total     MC %.5f +- %.5f, theory %.5f\n", mean, sem, ntk);
        CHECK_ABS(mean, ntk, 4.0 * sem + 2.0 * fabs(ntk) / c.n);
        ntk_theory_result_free(r);
        mc_free(&c);
    }
}

int main(int argc, char **argv)
{
    const char *part = argc > 1 ? argv[1] : "";
    if (strcmp(part, "ffnn") == 0)
        part_ffnn();
    else if (strcmp(part, "selfavg") == 0)
        part_selfavg();
    else if (strcmp(part, "brute") == 0)
        part_brute();
    else if (strcmp(part, "layersum") == 0)
        part_layersum();
    else if (strcmp(part, "mc") == 0)
        part_mc();
    else {
        printf("usage: test_theory_cnn ffnn|selfavg|brute|layersum|mc\n");
        return 2;
    }
    return check_summary(part);
}
