/* test_sim_cnn.c - the simulator on cnn1d (Hayou et al.'s 1-D CNN with circular padding, seed-001
 * eq. 5 = appendix eq. 11), run on k = kr M virtual inputs (column i M + a = input i at position
 * a; docs/simulator.md 8). Parts, selected by argv[1]:
 *   exact    sample by sample: determinism (order, chunks, checkpoints), positions = 1 is ff bit
 *            for bit, finite-difference input gradients at every position, circular equivariance
 *            of the conv readout, record identities, the structural zeros and NaN of a conv
 *            readout, argument errors
 *   engines  dense vs conditional engine in distribution (relu and tanh, M = 4..8, q = 1, both
 *            readouts): means, variances, quartiles and KS of NTK, q, p, chi entries
 *   theory   large-width agreement with ntk_theory_run (conditional engine, n = 1024) of every
 *            forward, gradient and NTK quantity at every virtual pair where both define it
 *   ff       spatially constant signals: cnn1d reproduces the statistics of ff in distribution
 *            (Hayou's Assumption 1 at finite width)
 *
 * False failures: the statistical parts use Bonferroni thresholds (sim_test.h) at a family-wise
 * rate of 1e-4 per part (engines: 144 checks, z = 4.9; ff: 144 checks; theory: every compared
 * entry); the seeds are fixed, so a given build always gives the same verdict. */
#include "ntksweep/theory.h"
#include "sim_test.h"

/* ------------------------------------------------------------------ helpers */
static uint64_t rng_s = 0x2545f4914f6cdd1dULL;

static double unif(void)
{
    uint64_t z = (rng_s += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    z ^= z >> 31;
    return ((double)(z >> 11) + 0.5) * 0x1.0p-53;
}

/* kr signals of d channels x M positions, x[(i d + c) M + a], entries uniform in [-1.7, 1.7]. */
static void signals(int kr, int d, int M, uint64_t seed, double *x)
{
    rng_s = seed;
    for (int i = 0; i < kr * d * M; i++)
        x[i] = 3.4 * (unif() - 0.5);
}

/* The simulator's input matrix of the signals: X[c k + i M + a] = x_i[c][a] (k = kr M). */
static void signals_X(int kr, int d, int M, const double *x, double *X)
{
    const int k = kr * M;
    for (int i = 0; i < kr; i++)
        for (int c = 0; c < d; c++)
            for (int a = 0; a < M; a++)
                X[c * k + i * M + a] = x[(i * d + c) * M + a];
}

static ntk_model cnn(ntk_act_kind act, int M, int q, long depth, ntk_readout_kind ro, int d)
{
    ntk_model m;
    ntk_model_default(&m);
    m.arch = NTK_ARCH_CNN1D;
    m.act.kind = act;
    m.positions = M;
    m.kernel_half = q;
    m.depth = depth;
    m.readout = ro;
    m.d = d;
    m.sigma_w = act == NTK_ACT_RELU ? 1.4 : 1.5;
    m.sigma_b = 0.3;
    m.sigma_out = 1.2;
    m.sigma_out_b = 0.2;
    return m;
}

static ntk_program compile(const ntk_model *m)
{
    ntk_program p;
    int rc = ntk_model_compile(m, &p);
    if (rc != NTK_OK) printf("compile: %s\n", ntk_error_msg());
    CHECK(rc == NTK_OK);
    return p;
}

/* Records of samples s0 .. s0 + N - 1 in the given order (+1 / -1), memory limit mem. */
static double *records(const ntk_program *p, long n, int k, const double *X, ntk_sim_engine e,
                       size_t mem, long s0, long N, int order, size_t *rs)
{
    ntk_sim_opts o = {e, mem};
    ntk_sim *s = ntk_sim_alloc_opts(p, n, k, &o);
    if (!s) printf("alloc: %s\n", ntk_error_msg());
    CHECK(s != NULL);
    if (!s) return NULL;
    *rs = ntk_sim_layout_of(s)->record_size;
    double *r = malloc((size_t)N * *rs * sizeof *r);
    for (long t = 0; t < N; t++) {
        long i = order > 0 ? t : N - 1 - t;
        CHECK(ntk_sim_sample(s, X, 42, 7, (uint64_t)(s0 + i), r + (size_t)i * *rs) == 0);
    }
    ntk_sim_free(s);
    return r;
}

static double rec_at(const ntk_sim_layout *lay, const double *r, int q, long l, int g, int idx)
{
    return *ntk_sim_record_at(lay, (double *)r, q, l, g, idx);
}

static int pidx(int u, int v, int k)
{
    return ntk_pair_index(u, v, k);
}

static int wrap(int a, int M)
{
    return ((a % M) + M) % M;
}

/* ------------------------------------------------------------------ exact */
static void exact_determinism(void)
{
    const int kr = 2, M = 5, d = 4, k = kr * M;
    ntk_model m = cnn(NTK_ACT_TANH, M, 1, 6, NTK_READOUT_CONV, d);
    ntk_program p = compile(&m);
    double x[2 * 4 * 5], X[4 * 10];
    signals(kr, d, M, 11, x);
    signals_X(kr, d, M, x, X);
    for (int e = NTK_SIM_DENSE; e <= NTK_SIM_CONDITIONAL; e++) {
        size_t rs;
        const long N = 8;
        double *a = records(&p, 32, k, X, (ntk_sim_engine)e, 0, 0, N, +1, &rs);
        double *b = records(&p, 32, k, X, (ntk_sim_engine)e, 0, 0, N, -1, &rs);
        double *c = records(&p, 32, k, X, (ntk_sim_engine)e, 1, 0, N, +1, &rs); /* checkpoints */
        double *d2 = records(&p, 32, k, X, (ntk_sim_engine)e, 0, 3, N - 3, +1, &rs);
        if (!a || !b || !c || !d2) return;
        CHECK(memcmp(a, b, N * rs * sizeof *a) == 0);
        CHECK(memcmp(a, c, N * rs * sizeof *a) == 0);
        CHECK(memcmp(a + 3 * rs, d2, (N - 3) * rs * sizeof *a) == 0);
        CHECK(memcmp(a, a + rs, rs * sizeof *a) != 0);
        free(a);
        free(b);
        free(c);
        free(d2);
    }
}

/* positions = 1 (q = 0): the CONV block and the FLATTEN readout are ff's LINEAR ops, drawn from
 * the same random streams: the records are ff's (stem none), bit for bit, in both engines. */
static void exact_m1_is_ff(void)
{
    double g[4] = {1.0, 0.3, 0.3, 0.8}, X[10];
    for (int act = 0; act < 2; act++) {
        ntk_model m;
        ntk_model_default(&m);
        m.act.kind = act ? NTK_ACT_TANH : NTK_ACT_RELU;
        m.depth = 3;
        m.d = 5;
        m.sigma_b = 0.2;
        m.sigma_out_b = 0.3;
        ntk_program pf = compile(&m);
        m.arch = NTK_ARCH_CNN1D;
        m.positions = 1;
        ntk_program pc = compile(&m);
        CHECK(ntk_sim_inputs_from_gram(2, g, m.d, X) == NTK_OK);
        for (int e = NTK_SIM_DENSE; e <= NTK_SIM_CONDITIONAL; e++) {
            size_t r1, r2;
            double *a = records(&pf, 24, 2, X, (ntk_sim_engine)e, 0, 0, 5, +1, &r1);
            double *b = records(&pc, 24, 2, X, (ntk_sim_engine)e, 0, 0, 5, +1, &r2);
            if (!a || !b) return;
            CHECK(r1 == r2);
            CHECK(memcmp(a, b, 5 * r1 * sizeof *a) == 0);
            free(a);
            free(b);
        }
    }
}

/* Dense engine: pi at row 0 (the stream after the stem is the input) is the Gram of the input
 * gradients of the outputs f(x_i) (read at column iM) at every position: compare with central
 * differences of f in every input entry. Conv readout at M = 8, depth 2: the receptive field of
 * f_0 is positions -3..3, so position 4 has exactly zero gradient. */
static void exact_fd_gradient(void)
{
    const int kr = 2, d = 3;
    for (int ro = 0; ro < 2; ro++) {
        const int M = ro ? 8 : 5, k = kr * M;
        ntk_model m = cnn(NTK_ACT_TANH, M, 1, 2, ro ? NTK_READOUT_CONV : NTK_READOUT_DENSE, d);
        ntk_program p = compile(&m);
        double x[2 * 3 * 8], X[3 * 16], Xp[3 * 16], grad[2][3][8];
        signals(kr, d, M, 5 + (uint64_t)ro, x);
        signals_X(kr, d, M, x, X);
        ntk_sim *s = ntk_sim_alloc(&p, 16, k, NTK_SIM_DENSE);
        const ntk_sim_layout *lay = ntk_sim_layout_of(s);
        double *rec = malloc(lay->record_size * sizeof *rec);
        double worst = 0.0;
        for (int smp = 0; smp < 2; smp++) {
            const double h = 1e-5;
            for (int i = 0; i < kr; i++)
                for (int c = 0; c < d; c++)
                    for (int a = 0; a < M; a++) {
                        double fpm[2];
                        for (int sg = 0; sg < 2; sg++) {
                            memcpy(Xp, X, sizeof X);
                            Xp[c * k + i * M + a] += sg ? -h : h;
                            ntk_sim_sample(s, Xp, 9, 9, (uint64_t)smp, rec);
                            fpm[sg] = rec_at(lay, rec, NTK_SQ_F, 0, 0, i * M);
                        }
                        grad[i][c][a] = (fpm[0] - fpm[1]) / (2 * h);
                    }
            CHECK(ntk_sim_sample(s, X, 9, 9, (uint64_t)smp, rec) == 0);
            for (int u = 0; u < k; u++)
                for (int v = u; v < k; v++) {
                    double g = 0, gu = 0, gv = 0;
                    for (int c = 0; c < d; c++) {
                        double a1 = grad[u / M][c][u % M], a2 = grad[v / M][c][v % M];
                        g += a1 * a2;
                        gu += a1 * a1;
                        gv += a2 * a2;
                    }
                    double pi = rec_at(lay, rec, NTK_SQ_PI, 0, 0, pidx(u, v, k));
                    double scale = sqrt(gu * gv);
                    if (scale == 0.0) {
                        CHECK(pi == 0.0); /* outside the receptive field: exactly zero */
                        continue;
                    }
                    worst = fmax(worst, fabs(pi - g) / scale);
                }
            if (ro) {
                CHECK(grad[0][0][4] == 0.0 && grad[1][2][4] == 0.0);
                CHECK(rec_at(lay, rec, NTK_SQ_CHI, 0, 0, 4) == 0.0);
                CHECK(rec_at(lay, rec, NTK_SQ_CHI, 0, 0, 3) > 0.0);
            }
        }
        printf("fd gradient, %s readout: worst relative difference %.3g\n", ro ? "conv" : "dense",
               worst);
        CHECK(worst < 1e-7);
        free(rec);
        ntk_sim_free(s);
    }
}

/* The conv readout is circularly equivariant: f_a(x) = f_0(T^a x) with (T x)_b = x_(b+1), for
 * the same weights (dense engine: weights depend on the key only). Also the forward kernels:
 * q(T x)[(i,a),(j,b)] = q(x)[(i,a+1),(j,b+1)]. */
static void exact_equivariance(void)
{
    const int kr = 2, d = 3, M = 6, k = kr * M;
    ntk_model m = cnn(NTK_ACT_TANH, M, 1, 3, NTK_READOUT_CONV, d);
    ntk_program p = compile(&m);
    double x[2 * 3 * 6], xs[2 * 3 * 6], X[3 * 12], XS[3 * 12];
    signals(kr, d, M, 21, x);
    for (int i = 0; i < kr; i++)
        for (int c = 0; c < d; c++)
            for (int a = 0; a < M; a++)
                xs[(i * d + c) * M + a] = x[(i * d + c) * M + (a + 1) % M];
    signals_X(kr, d, M, x, X);
    signals_X(kr, d, M, xs, XS);
    ntk_sim *s = ntk_sim_alloc(&p, 40, k, NTK_SIM_DENSE);
    const ntk_sim_layout *lay = ntk_sim_layout_of(s);
    double *r = malloc(lay->record_size * sizeof *r), *rs = malloc(lay->record_size * sizeof *rs);
    double worst = 0.0;
    for (int smp = 0; smp < 4; smp++) {
        CHECK(ntk_sim_sample(s, X, 1, 2, (uint64_t)smp, r) == 0);
        CHECK(ntk_sim_sample(s, XS, 1, 2, (uint64_t)smp, rs) == 0);
        for (int i = 0; i < kr; i++)
            for (int a = 0; a < M; a++) {
                double f0 = rec_at(lay, rs, NTK_SQ_F, 0, 0, i * M + a);
                double f1 = rec_at(lay, r, NTK_SQ_F, 0, 0, i * M + (a + 1) % M);
                worst = fmax(worst, fabs(f0 - f1) / (fabs(f1) + 1e-3));
            }
        for (long l = 1; l <= m.depth; l++)
            for (int u = 0; u < k; u++)
                for (int v = u; v < k; v++) {
                    int u1 = (u / M) * M + (u % M + 1) % M, v1 = (v / M) * M + (v % M + 1) % M;
                    double a0 = rec_at(lay, rs, NTK_SQ_Q, l, 0, pidx(u, v, k));
                    double a1 = rec_at(lay, r, NTK_SQ_Q, l, 0, pidx(u1, v1, k));
                    worst = fmax(worst, fabs(a0 - a1) / fabs(a1));
                }
    }
    printf("conv readout equivariance: worst relative difference %.3g\n", worst);
    CHECK(worst < 1e-12);
    free(r);
    free(rs);
    ntk_sim_free(s);
}

/* Identities that hold sample by sample, both engines and readouts. */
static void exact_identities(void)
{
    const int kr = 2, d = 3, q = 1;
    for (int ro = 0; ro < 2; ro++)
        for (int e = NTK_SIM_DENSE; e <= NTK_SIM_CONDITIONAL; e++) {
            const int M = ro ? 8 : 5, k = kr * M;
            ntk_model m = cnn(NTK_ACT_RELU, M, q, 2, ro ? NTK_READOUT_CONV : NTK_READOUT_DENSE, d);
            ntk_program p = compile(&m);
            double x[2 * 3 * 8], X[3 * 16];
            signals(kr, d, M, 31, x);
            signals_X(kr, d, M, x, X);
            ntk_sim *s = ntk_sim_alloc(&p, 40, k, (ntk_sim_engine)e);
            const ntk_sim_layout *lay = ntk_sim_layout_of(s);
            double *r = malloc(lay->record_size * sizeof *r), worst = 0.0;
            const long L = m.depth;
            int structural_ok = 1, copies_ok = 1, nngp_ok = 1;
            for (int smp = 0; smp < 10; smp++) {
                CHECK(ntk_sim_sample(s, X, 3, 4, (uint64_t)smp, r) == 0); /* NaN not counted */
                for (int i = 0; i < kr; i++)
                    for (int j = i; j < kr; j++) {
                        int rp = pidx(i * M, j * M, k);
                        /* readout weights: sigma_out^2 x the readout's gathered p(L) */
                        double want = 0.0;
                        if (ro)
                            for (int b = -q; b <= q; b++)
                                want += rec_at(lay, r, NTK_SQ_P, L, 0,
                                               pidx(i * M + wrap(b, M), j * M + wrap(b, M), k)) /
                                        (2 * q + 1);
                        else
                            for (int a = 0; a < M; a++)
                                want +=
                                    rec_at(lay, r, NTK_SQ_P, L, 0, pidx(i * M + a, j * M + a, k)) /
                                    M;
                        want *= m.sigma_out * m.sigma_out;
                        double got = rec_at(lay, r, NTK_SQ_NTK_GROUP, 0, NTK_GROUP_READOUT, rp);
                        worst = fmax(worst, fabs(got - want) / fabs(want));
                        CHECK(rec_at(lay, r, NTK_SQ_NTK_GROUP, 0, NTK_GROUP_READOUT_B, rp) ==
                              m.sigma_out_b * m.sigma_out_b);
                        double ntk = rec_at(lay, r, NTK_SQ_NTK, 0, 0, rp), tot = 0, byl = 0;
                        for (int g = 0; g < NTK_GROUP_COUNT; g++) {
                            tot += rec_at(lay, r, NTK_SQ_NTK_GROUP, 0, g, rp);
                            for (long l = 0; l <= L; l++)
                                byl += rec_at(lay, r, NTK_SQ_NTK_LAYER, l, g, rp);
                        }
                        worst = fmax(worst, fabs(tot - ntk) / ntk + fabs(byl - ntk) / ntk);
                    }
                for (int i = 0; i < kr; i++) {
                    double hsum = 0.0, chisum = 0.0;
                    for (int a = 0; a < M; a++) {
                        hsum += rec_at(lay, r, NTK_SQ_PI, L, 0, pidx(i * M + a, i * M + a, k));
                        chisum += rec_at(lay, r, NTK_SQ_CHI, L, 0, i * M + a);
                    }
                    worst = fmax(worst, fabs(chisum / M - 1.0)); /* position mean of chi(L) */
                    for (long l = 1; l <= L; l++) {
                        double nb =
                            rec_at(lay, r, NTK_SQ_NTK_LAYER, l, NTK_GROUP_B, pidx(i * M, i * M, k));
                        double cb = rec_at(lay, r, NTK_SQ_CHI_GROUP, l, NTK_GROUP_B, i * M);
                        worst = fmax(worst, fabs(nb - m.sigma_b * m.sigma_b * cb * hsum) / nb);
                        structural_ok &=
                            isnan(rec_at(lay, r, NTK_SQ_CHI_GROUP, l, NTK_GROUP_B, i * M + 1));
                    }
                }
                for (int u = 0; u < k; u++)
                    for (int v = u; v < k; v++) {
                        int pq = pidx(u, v, k), readout = u % M == 0 && v % M == 0;
                        double fu = rec_at(lay, r, NTK_SQ_F, 0, 0, u),
                               fv = rec_at(lay, r, NTK_SQ_F, 0, 0, v);
                        nngp_ok &= rec_at(lay, r, NTK_SQ_NNGP, 0, 0, pq) == fu * fv;
                        double ntk = rec_at(lay, r, NTK_SQ_NTK, 0, 0, pq);
                        double ntk_r =
                            rec_at(lay, r, NTK_SQ_NTK, 0, 0, pidx((u / M) * M, (v / M) * M, k));
                        if (readout) continue;
                        structural_ok &=
                            isnan(rec_at(lay, r, NTK_SQ_NTK_LAYER, L, NTK_GROUP_W, pq));
                        if (ro)
                            structural_ok &= isnan(ntk);
                        else
                            copies_ok &= ntk == ntk_r; /* the output is the same everywhere */
                    }
                if (!ro)
                    for (int u = 0; u < k; u++) {
                        double f0 = rec_at(lay, r, NTK_SQ_F, 0, 0, (u / M) * M);
                        worst = fmax(worst, fabs(rec_at(lay, r, NTK_SQ_F, 0, 0, u) - f0) /
                                                (fabs(f0) + 1e-3));
                    }
                if (ro) {
                    /* receptive field of the output f_0 at row l: positions |a| <= q (L - l + 1) */
                    for (long l = 0; l <= L; l++)
                        for (int a = 0; a < M; a++) {
                            int dist = a <= M / 2 ? a : M - a;
                            int inside = dist <= q * (int)(L - l + 1);
                            double chi = rec_at(lay, r, NTK_SQ_CHI, l, 0, a);
                            double gc = rec_at(lay, r, NTK_SQ_GRAD_CORR, l, 0, pidx(0, a, k));
                            structural_ok &=
                                inside ? chi > 0.0 && isfinite(gc) : chi == 0.0 && isnan(gc);
                        }
                }
            }
            printf("identities, %s readout, %s engine: worst relative violation %.3g\n",
                   ro ? "conv" : "dense", ntk_sim_engine_name((ntk_sim_engine)e), worst);
            CHECK(worst < 1e-12);
            CHECK(structural_ok);
            CHECK(copies_ok);
            CHECK(nngp_ok);
            free(r);
            ntk_sim_free(s);
        }
}

static void exact_errors(void)
{
    ntk_model m = cnn(NTK_ACT_RELU, 4, 1, 2, NTK_READOUT_DENSE, 3);
    ntk_program p = compile(&m);
    CHECK(ntk_sim_alloc(&p, 32, 7, NTK_SIM_DENSE) == NULL); /* k not a multiple of M */
    CHECK(strstr(ntk_error_msg(), "multiple of 4") != NULL);
    m.positions = 40;
    p = compile(&m);
    CHECK(ntk_sim_alloc(&p, 32, 80, NTK_SIM_DENSE) == NULL); /* 80 virtual inputs > 64 */
    CHECK(strstr(ntk_error_msg(), "virtual inputs") != NULL);
    /* a convolution wider than the positions (a hand-made program) */
    m.positions = 4;
    p = compile(&m);
    p.block[0].half = 2;
    CHECK(ntk_sim_alloc(&p, 32, 8, NTK_SIM_DENSE) == NULL);
    CHECK(strstr(ntk_error_msg(), "half-width 2") != NULL);
    /* history ops on positions are not supported */
    ntk_model dn;
    ntk_model_default(&dn);
    dn.arch = NTK_ARCH_DENSENET;
    dn.depth = 2;
    p = compile(&dn);
    p.positions = 4;
    CHECK(ntk_sim_alloc(&p, 32, 8, NTK_SIM_DENSE) == NULL);
    CHECK(strstr(ntk_error_msg(), "not supported") != NULL);
    /* AUTO counts the virtual inputs: conditional when 4 k M <= n */
    m = cnn(NTK_ACT_RELU, 4, 1, 2, NTK_READOUT_DENSE, 3);
    p = compile(&m);
    ntk_sim *s = ntk_sim_alloc(&p, 32, 8, NTK_SIM_AUTO);
    CHECK(s && ntk_sim_engine_of(s) == NTK_SIM_CONDITIONAL);
    ntk_sim_free(s);
    s = ntk_sim_alloc(&p, 31, 8, NTK_SIM_AUTO);
    CHECK(s && ntk_sim_engine_of(s) == NTK_SIM_DENSE);
    ntk_sim_free(s);
}

/* ------------------------------------------------------------------ engines */
typedef struct {
    const char *name;
    ntk_model m;
    long n;
} cfg;

static void part_engines(void)
{
    cfg c[4];
    ntk_model m = cnn(NTK_ACT_RELU, 4, 1, 3, NTK_READOUT_DENSE, 3);
    c[0] = (cfg){"relu M=4 dense readout", m, 32};
    m = cnn(NTK_ACT_RELU, 6, 1, 2, NTK_READOUT_CONV, 3);
    c[1] = (cfg){"relu M=6 conv readout", m, 32};
    m = cnn(NTK_ACT_TANH, 8, 1, 2, NTK_READOUT_DENSE, 4);
    c[2] = (cfg){"tanh M=8 dense readout", m, 32};
    m = cnn(NTK_ACT_TANH, 5, 1, 3, NTK_READOUT_CONV, 3);
    m.param = NTK_PARAM_STANDARD;
    c[3] = (cfg){"tanh M=5 conv readout, standard", m, 24};
    const int nc = 4, nent = 6, per = 6, kr = 2;
    double zc = st_zcrit(1e-4, nc * nent * per);
    printf("z threshold %.3f for %d checks\n", zc, nc * nent * per);
    const long N = 3000;
    for (int i = 0; i < nc; i++) {
        const int M = c[i].m.positions, k = kr * M, d = c[i].m.d;
        double x[2 * 4 * 8], g[16 * 16];
        signals(kr, d, M, 100 + (uint64_t)i, x);
        CHECK(ntk_theory_cnn_gram(kr, d, M, x, g) == NTK_OK);
        st_run a, b;
        if (st_sample(&c[i].m, c[i].n, k, g, NTK_SIM_DENSE, 500, 60 + (uint64_t)i, 0, N, &a))
            continue;
        if (st_sample(&c[i].m, c[i].n, k, g, NTK_SIM_CONDITIONAL, 500, 60 + (uint64_t)i, 0, N, &b))
            continue;
        long L = c[i].m.depth;
        char what[200];
        struct {
            int q, g;
            long l;
            int idx;
            const char *nm;
        } ent[6] = {
            {NTK_SQ_NTK, 0, 0, pidx(0, 0, k), "ntk(0,0)"},
            {NTK_SQ_NTK, 0, 0, pidx(0, M, k), "ntk(0,M)"},
            {NTK_SQ_NTK_GROUP, NTK_GROUP_W, 0, pidx(M, M, k), "ntk_group W (M,M)"},
            {NTK_SQ_Q, 0, L, pidx(1, M + 2, k), "q[L](1,M+2)"},
            {NTK_SQ_P, 0, L, pidx(0, M + 1, k), "p[L](0,M+1)"},
            {NTK_SQ_CHI, 0, 0, 1, "chi[0](1)"},
        };
        for (int t = 0; t < nent; t++) {
            snprintf(what, sizeof what, "%s: %s", c[i].name, ent[t].nm);
            st_compare2(what, &a, &b, ent[t].q, ent[t].l, ent[t].g, ent[t].idx, zc);
        }
        CHECK_INT(a.nonfinite, 0);
        CHECK_INT(b.nonfinite, 0);
        st_free(&a);
        st_free(&b);
    }
}

/* ------------------------------------------------------------------ theory */
/* Compares every entry where both the theory and the simulator define the quantity; returns the
 * number of entries compared (dry: count only). The simulator leaves a conv readout's NTK at the
 * pairs other than the readout pairs NaN (each output position has its own gradient); every other
 * entry the theory defines must be finite in the simulator. */
static int compare_theory(const char *name, ntk_sim_result *r, ntk_theory_result *t, long L, long n,
                          int M, double zc, int dry, double *worst)
{
    static const int qs[][2] = {
        {NTK_SQ_Q, NTK_TQ_Q},
        {NTK_SQ_C, NTK_TQ_C},
        {NTK_SQ_P, NTK_TQ_P},
        {NTK_SQ_E, NTK_TQ_E},
        {NTK_SQ_S, NTK_TQ_S},
        {NTK_SQ_KDOT, NTK_TQ_KDOT},
        {NTK_SQ_CHI, NTK_TQ_CHI},
        {NTK_SQ_GRAD_CORR, NTK_TQ_GRAD_CORR},
        {NTK_SQ_CHI_GROUP, NTK_TQ_CHI_GROUP},
        {NTK_SQ_NTK_LAYER, NTK_TQ_NTK_LAYER},
        {NTK_SQ_NTK, NTK_TQ_NTK},
        {NTK_SQ_NTK_GROUP, NTK_TQ_NTK_GROUP},
        {NTK_SQ_NTK_NORM, NTK_TQ_NTK_NORM},
    };
    const ntk_qty_desc *st = ntk_sim_qty_table();
    const int k = r->shape.n_input;
    int count = 0;
    for (size_t a = 0; a < sizeof qs / sizeof qs[0]; a++) {
        int q = qs[a][0], tq = qs[a][1];
        unsigned dims = st[q].dims;
        int ng = (dims & NTK_DIM_GROUP) ? NTK_GROUP_COUNT : 1;
        int ni = (dims & NTK_DIM_PAIR) ? r->shape.n_pair : k;
        long l0 = (dims & NTK_DIM_LAYER) ? 0 : L;
        for (long l = l0; l <= L; l++)
            for (int g = 0; g < ng; g++)
                for (int i = 0, u = 0, v = 0; i < ni; i++) {
                    if (dims & NTK_DIM_PAIR) { /* virtual pair (u, v) of index i */
                        if (i > 0 && ++v == k) v = ++u;
                    }
                    long sl = (dims & NTK_DIM_LAYER) ? l : 0;
                    double th = *ntk_theory_at(t, tq, l, g, i);
                    double mean = *ntk_sim_result_at(r, q, sl, g, NTK_STAT_MEAN, i);
                    double se = *ntk_sim_result_at(r, q, sl, g, NTK_STAT_SEM, i);
                    if (!isfinite(th)) continue;
                    int conv_off =
                        (q == NTK_SQ_NTK || q == NTK_SQ_NTK_GROUP || q == NTK_SQ_NTK_NORM) &&
                        (u % M != 0 || v % M != 0);
                    if (isnan(mean) && conv_off) continue; /* checked in part exact */
                    count++;
                    if (dry) continue;
                    double allow = (double)(L + 1) / (double)n * fabs(th) + 1e-9;
                    double z = se > 1e-9 * fabs(th) ? (mean - th) / se : 0.0;
                    if (fabs(z) > fabs(*worst)) *worst = z;
                    if (!(fabs(mean - th) <= zc * se + allow)) {
                        char w[240];
                        snprintf(w, sizeof w, "%s: %s[l=%ld][g=%d][%d]", name, st[q].name, l, g, i);
                        st_check_z(w, mean, th, se, zc, allow);
                    } else {
                        check_npass_++;
                    }
                }
    }
    return count;
}

static void part_theory(void)
{
    cfg c[4];
    /* signals of 16 channels give the Gram; the simulator spreads it over d = 512 input channels,
     * so that the data directions are a small fraction of block 1's fan-in (the theory's gradient
     * independence at the input layer, docs/simulator.md 8) */
    ntk_model m = cnn(NTK_ACT_RELU, 6, 1, 3, NTK_READOUT_DENSE, 512);
    c[0] = (cfg){"relu M=6 dense readout", m, 1024};
    m = cnn(NTK_ACT_TANH, 5, 1, 3, NTK_READOUT_CONV, 512);
    c[1] = (cfg){"tanh M=5 conv readout", m, 1024};
    m = cnn(NTK_ACT_RELU, 8, 1, 2, NTK_READOUT_CONV, 512);
    m.sigma_b = 0.0;
    c[2] = (cfg){"relu M=8 conv readout", m, 1024};
    m = cnn(NTK_ACT_TANH, 4, 1, 2, NTK_READOUT_DENSE, 512);
    m.sigma_w = 1.1;
    c[3] = (cfg){"tanh M=4 dense readout", m, 1024};
    const int nc = 4, kr = 2, d0 = 16;
    const long N = 250;
    ntk_sim_result *res[4];
    ntk_theory_result *th[4];
    int total = 0;
    for (int i = 0; i < nc; i++) {
        const int M = c[i].m.positions, k = kr * M;
        double x[2 * 16 * 8], g[16 * 16];
        signals(kr, d0, M, 200 + (uint64_t)i, x);
        CHECK(ntk_theory_cnn_gram(kr, d0, M, x, g) == NTK_OK);
        ntk_program p = compile(&c[i].m);
        st_run r;
        res[i] = NULL;
        if (st_sample(&c[i].m, c[i].n, k, g, NTK_SIM_CONDITIONAL, 2024, 40 + (uint64_t)i, 0, N, &r))
            continue;
        CHECK_INT(r.nonfinite, 0);
        res[i] = ntk_sim_result_alloc(c[i].m.depth, k);
        CHECK(ntk_sim_stats(&p, k, N, r.rec, res[i]) == NTK_OK);
        th[i] = ntk_theory_result_alloc(k, c[i].m.depth);
        ntk_inputs in = {k, g};
        CHECK(ntk_theory_run(&p, &in, th[i]) == NTK_OK);
        double w = 0;
        total += compare_theory(c[i].name, res[i], th[i], c[i].m.depth, c[i].n, M, 0, 1, &w);
        st_free(&r);
    }
    double zc = st_zcrit(1e-4, total);
    printf("%d comparisons, z threshold %.2f\n", total, zc);
    for (int i = 0; i < nc; i++) {
        if (!res[i]) continue;
        double worst = 0;
        int M = c[i].m.positions;
        compare_theory(c[i].name, res[i], th[i], c[i].m.depth, c[i].n, M, zc, 0, &worst);
        printf("%-24s worst z = %6.2f\n", c[i].name, worst);
        ntk_sim_result_free(res[i]);
        ntk_theory_result_free(th[i]);
    }
}

/* ------------------------------------------------------------------ ff */
/* A run holding only entry (q, l, g) of run b (index ib) at index ia of layout lay (the other
 * entries NaN), so that st_compare2 can compare entries of runs with different layouts. */
static st_run remap(const st_run *b, const ntk_sim_layout *lay, int q, long l, int g, int ib,
                    int ia)
{
    st_run r = *b;
    r.lay = *lay;
    r.rec = malloc((size_t)b->N * lay->record_size * sizeof *r.rec);
    for (size_t i = 0; i < (size_t)b->N * lay->record_size; i++)
        r.rec[i] = NAN;
    for (long s = 0; s < b->N; s++)
        *ntk_sim_record_at(lay, r.rec + (size_t)s * lay->record_size, q, l, g, ia) =
            st_val(b, s, q, l, g, ib);
    return r;
}

/* Spatially constant signals: every position of every layer carries the same values, the taps
 * act as one N(0,1) matrix sum_t W_t / sqrt(2q+1) and the readouts as one N(0,1) vector, so the
 * cnn1d records at the readout pairs are ff's (stem none, same d and Gram) in distribution. */
static void part_ff(void)
{
    const int kr = 2;
    double g[4] = {1.0, 0.35, 0.35, 0.8};
    ntk_model mc[2];
    mc[0] = cnn(NTK_ACT_RELU, 5, 1, 3, NTK_READOUT_DENSE, 3);
    mc[1] = cnn(NTK_ACT_TANH, 4, 1, 2, NTK_READOUT_CONV, 3);
    const int nent = 6, per = 6;
    double zc = st_zcrit(1e-4, 2 * 2 * nent * per);
    printf("z threshold %.3f for %d checks\n", zc, 2 * 2 * nent * per);
    const long N = 3000;
    for (int t = 0; t < 2; t++)
        for (int e = NTK_SIM_DENSE; e <= NTK_SIM_CONDITIONAL; e++) {
            const int M = mc[t].positions, k = kr * M;
            ntk_model mf = mc[t];
            mf.arch = NTK_ARCH_FF;
            mf.positions = 1;
            mf.kernel_half = 0;
            mf.readout = NTK_READOUT_DENSE;
            double gv[10 * 10];
            CHECK(ntk_theory_gram_replicate(kr, M, g, gv) == NTK_OK);
            st_run a, b;
            uint64_t key = 80 + (uint64_t)(2 * t + e);
            if (st_sample(&mc[t], 24, k, gv, (ntk_sim_engine)e, 700, key, 0, N, &a)) continue;
            if (st_sample(&mf, 24, kr, g, (ntk_sim_engine)e, 701, key, 0, N, &b)) continue;
            long L = mc[t].depth;
            struct {
                int q, g;
                long l;
                int ic, iff;
                const char *nm;
            } ent[6] = {
                {NTK_SQ_NTK, 0, 0, pidx(0, 0, k), 0, "ntk(0,0)"},
                {NTK_SQ_NTK, 0, 0, pidx(0, M, k), 1, "ntk(0,1)"},
                {NTK_SQ_NTK_GROUP, NTK_GROUP_W, 0, pidx(M, M, k), 2, "ntk_group W (1,1)"},
                {NTK_SQ_NTK_LAYER, NTK_GROUP_W, 1, pidx(0, M, k), 1, "ntk_layer[1] W (0,1)"},
                {NTK_SQ_Q, 0, L, pidx(1, M + 2, k), 1, "q[L](0,1) at positions (1,2)"},
                {NTK_SQ_F, 0, 0, M + 1, 1, "f(1) at position 1"},
            };
            char what[200];
            for (int u = 0; u < nent; u++) {
                st_run bb = remap(&b, &a.lay, ent[u].q, ent[u].l, ent[u].g, ent[u].iff, ent[u].ic);
                snprintf(what, sizeof what, "%s %s engine vs ff: %s",
                         t ? "tanh conv readout" : "relu dense readout",
                         ntk_sim_engine_name((ntk_sim_engine)e), ent[u].nm);
                st_compare2(what, &a, &bb, ent[u].q, ent[u].l, ent[u].g, ent[u].ic, zc);
                st_free(&bb);
            }
            /* sample by sample, every position pair of a layer holds the same kernel */
            double worst = 0.0;
            for (long s = 0; s < 50; s++)
                for (int u = 0; u < k; u++)
                    for (int v = u; v < k; v++) {
                        double q0 =
                            st_val(&a, s, NTK_SQ_Q, L, 0, pidx((u / M) * M, (v / M) * M, k));
                        double q1 = st_val(&a, s, NTK_SQ_Q, L, 0, pidx(u, v, k));
                        worst = fmax(worst, fabs(q1 - q0) / fabs(q0));
                    }
            printf("constant signals, %s engine: positions agree to %.3g\n",
                   ntk_sim_engine_name((ntk_sim_engine)e), worst);
            CHECK(worst < 1e-12);
            CHECK_INT(a.nonfinite, 0);
            st_free(&a);
            st_free(&b);
        }
}

int main(int argc, char **argv)
{
    const char *part = argc > 1 ? argv[1] : "exact";
    if (strcmp(part, "exact") == 0) {
        exact_determinism();
        exact_m1_is_ff();
        exact_fd_gradient();
        exact_equivariance();
        exact_identities();
        exact_errors();
    } else if (strcmp(part, "engines") == 0) {
        part_engines();
    } else if (strcmp(part, "theory") == 0) {
        part_theory();
    } else if (strcmp(part, "ff") == 0) {
        part_ff();
    } else {
        printf("unknown part '%s' (exact, engines, theory, ff)\n", part);
        return 2;
    }
    char name[64];
    snprintf(name, sizeof name, "sim.cnn_%s", part);
    return check_summary(name);
}
