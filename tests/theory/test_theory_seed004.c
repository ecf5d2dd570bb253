/* test_theory_seed004.c - goldens of Yang & Schoenholz, "Mean Field Residual Networks: On the
 * Edge of Chaos" (spec seed-004, sections 2.3-2.5, 3.8, 5.5 and 5.6).
 *
 * Mapping (docs/architectures.md): RRN / FRN = rrn / frn (stem: the input itself, x^(0)); the
 * paper's sigma^2 are variances, the engine takes standard deviations. p^(0) = 1, gamma^(0) = 0.5:
 * Gram [[1, 0.5], [0.5, 1]]. p, gamma, e, s at layer l = p(x,x), p(x,x'), e, s at row l; q at row
 * l = q^(l) (first pre-activation of block l). chi^(l) (chi^(L) = 1) = chi at row l of a depth-L
 * run; chi_b, chi_w, chi_v, chi_a = chi_group of groups b, W, V, a at row l (per-entry squared
 * gradients in Yang's standard-parameterisation convention). Vanilla = ff without stem.
 */
#include "theory_test.h"

static ntk_model yang(ntk_arch_kind arch, const char *act, double alpha, double sw2, double sb2,
                      double sv2, double sa2, long L)
{
    ntk_model m;
    ntk_model_default(&m);
    m.arch = arch;
    ntk_act_parse(act, &m.act.kind);
    m.act.alpha = alpha;
    m.sigma_w = sqrt(sw2);
    m.sigma_b = sqrt(sb2);
    m.sigma_v = sqrt(sv2);
    m.sigma_a = sqrt(sa2);
    m.depth = L;
    return m;
}

/* Fig.-1 variances. */
#define FIG1 1.69, 0.49, 1.5, 0.5

static ntk_theory_result *run(const ntk_model *m)
{
    return tt_run2(m, 1.0, 1.0, 0.5);
}

/* log chi(0)/chi(L) of a run of depth >= L (chi rows are relative to the run's depth). */
static double log_chi_ratio(ntk_theory_result *r, long L)
{
    return tt_get(r, NTK_TQ_LOG_CHI, 0, 0, 0) - tt_get(r, NTK_TQ_LOG_CHI, L, 0, 0);
}

/* Trace rows (l, p, gamma, e, s; NAN = not quoted). */
typedef struct {
    long l;
    double p, g, e, s;
} trow;

static void trace(ntk_theory_result *r, const trow *t, int n, double tol)
{
    for (int i = 0; i < n; i++) {
        long l = t[i].l;
        if (!isnan(t[i].p)) CHECK_REL(tt_get(r, NTK_TQ_P, l, 0, 0), t[i].p, tol);
        if (!isnan(t[i].g)) CHECK_REL(tt_get(r, NTK_TQ_P, l, 0, 1), t[i].g, tol);
        if (!isnan(t[i].e)) CHECK_REL(tt_get(r, NTK_TQ_E, l, 0, 1), t[i].e, tol);
        if (!isnan(t[i].s)) CHECK_REL(tt_get(r, NTK_TQ_S, l, 0, 1), t[i].s, tol);
    }
}

static void chi_ratios(ntk_theory_result *r, const long *L, const double *v, int n, double tol)
{
    for (int i = 0; i < n; i++)
        CHECK_REL(exp(log_chi_ratio(r, L[i])), v[i], tol);
}

int main(void)
{
    const double N = NAN;

    /* ---- 5.5 tanh RRN (sigma_w^2 1.69, sigma_b^2 0.49): trace, chi ratios, gradients at L = 10 */
    printf("-- 5.5 tanh RRN\n");
    {
        ntk_model m = yang(NTK_ARCH_RRN, "tanh", 1, FIG1, 10000);
        ntk_theory_result *r = run(&m);
        if (r) {
            static const trow t[] = {{1, 1.535135928, 0.7998692401, 0.5210413133, 0.735266688},
                                     {2, 2.129131983, 1.11668521, 0.5244790921, 1.012446774},
                                     {3, 2.767732252, 1.441266107, 0.5207389934, 1.326466145},
                                     {5, 4.141484421, 2.094097436, 0.5056393368, 2.047386985},
                                     {10, 7.914308948, 3.668559194, 0.4635349994, 4.245749754},
                                     {100, 88.82451965, 22.46044216, 0.252863086, 66.3640775},
                                     {1000, 961.4141433, 110.2844468, 0.1147106557, 851.1296965},
                                     {4000, 3922.066125, N, 0.0698929324, N},
                                     {10000, 9876.599594, 496.1872207, 0.05023866929, N}};
            trace(r, t, 9, 5e-9);
            CHECK_REL(tt_get(r, NTK_TQ_Q, 1, 0, 0), 2.18, 1e-14);
            CHECK_REL(tt_get(r, NTK_TQ_Q, 1, 0, 1), 1.335, 1e-14);
            static const long L[] = {1, 2, 5, 10, 50, 100, 200, 1000};
            static const double v[] = {1.568926009, 2.333531892, 6.222364296,   21.629342,
                                       5497.087482, 351247.606,  1.217304481e8, 5.181947447e18};
            chi_ratios(r, L, v, 8, 5e-9);
            /* 3.8: log(chi0/chiL) - A sqrt(L) - B log L (A, B of Thm B.6) */
            double A = 1.38299990539, B = 0.185327089289;
            static const long aL[3] = {100, 200, 1000};
            static const double av[3] = {-1.9142, -1.9232, -1.9228};
            for (int i = 0; i < 3; i++)
                CHECK_ABS(log_chi_ratio(r, aL[i]) - A * sqrt(aL[i]) - B * log(aL[i]), av[i], 6e-5);
            ntk_theory_result_free(r);
        }
        m.depth = 10;
        r = run(&m);
        if (r) {
            CHECK_REL(tt_get(r, NTK_TQ_CHI, 1, 0, 0), 13.78608161, 5e-9);
            CHECK_REL(tt_get(r, NTK_TQ_CHI_GROUP, 1, NTK_GROUP_B, 0), 4.640982478, 5e-9);
            CHECK_REL(tt_get(r, NTK_TQ_CHI_GROUP, 1, NTK_GROUP_W, 0), 4.640982478, 5e-9);
            CHECK_REL(tt_get(r, NTK_TQ_CHI, 5, 0, 0), 3.476064879, 5e-9);
            CHECK_REL(tt_get(r, NTK_TQ_CHI_GROUP, 5, NTK_GROUP_B, 0), 0.7183462684, 5e-9);
            CHECK_REL(tt_get(r, NTK_TQ_CHI_GROUP, 5, NTK_GROUP_W, 0), 2.471751494, 5e-9);
            CHECK_REL(tt_get(r, NTK_TQ_CHI_GROUP, 10, NTK_GROUP_B, 0), 0.1482981477, 5e-9);
            CHECK_REL(tt_get(r, NTK_TQ_CHI_GROUP, 10, NTK_GROUP_W, 0), 1.057760805, 5e-9);
            CHECK_REL(tt_get(r, NTK_TQ_CHI, 10, 0, 0), 1.0, 1e-15);
            /* RRN has no V, a parameters */
            CHECK(isnan(tt_get(r, NTK_TQ_CHI_GROUP, 5, NTK_GROUP_V, 0)));
            CHECK(isnan(tt_get(r, NTK_TQ_CHI_GROUP, 5, NTK_GROUP_A, 0)));
            ntk_theory_result_free(r);
        }
    }

    /* ---- 5.5 tanh FRN (Fig.-1 sigmas) */
    printf("-- 5.5 tanh FRN\n");
    {
        ntk_model m = yang(NTK_ARCH_FRN, "tanh", 1, FIG1, 10000);
        ntk_theory_result *r = run(&m);
        if (r) {
            static const trow t[] = {{1, 2.302703892, 1.44980386, 0.6296093324, 0.8529000319},
                                     {2, 3.776310162, 2.528163247, 0.6694797669, 1.248146915},
                                     {3, 5.344167616, 3.668338079, 0.6864189791, 1.675829537},
                                     {5, 8.640791962, 6.034065801, 0.6983232356, 2.606726161},
                                     {10, 17.33864665, 12.10094094, 0.6979172704, 5.237705709},
                                     {100, 187.9958423, 118.0332606, 0.6278503776, 69.96258172},
                                     {1000, 1959.355657, 1100.059373, 0.5614393533, 859.2962838},
                                     {4000, 7917.887458, N, 0.537259974, N},
                                     {10000, 19869.83854, 10459.39232, 0.5263954359, N}};
            trace(r, t, 9, 5e-9);
            static const long L[] = {1, 2, 5, 10, 50, 100, 200, 1000};
            static const double v[] = {1.853389013, 3.006057479, 8.913442372,   32.67079642,
                                       9292.191077, 665894.3249, 2.836578141e8, 3.707108494e19};
            chi_ratios(r, L, v, 8, 5e-9);
            double A = 1.46689291722, B = -0.0302394391875;
            static const long aL[3] = {100, 200, 1000};
            static const double av[3] = {-1.1208, -1.1215, -1.1190};
            for (int i = 0; i < 3; i++)
                CHECK_ABS(log_chi_ratio(r, aL[i]) - A * sqrt(aL[i]) - B * log(aL[i]), av[i], 6e-5);
            ntk_theory_result_free(r);
        }
        m.depth = 10;
        r = run(&m);
        if (r) {
            CHECK_REL(tt_get(r, NTK_TQ_CHI, 1, 0, 0), 17.62759798, 5e-9);
            CHECK_REL(tt_get(r, NTK_TQ_CHI_GROUP, 1, NTK_GROUP_B, 0), 8.901300856, 5e-9);
            CHECK_REL(tt_get(r, NTK_TQ_CHI_GROUP, 1, NTK_GROUP_W, 0), 8.901300856, 5e-9);
            CHECK_REL(tt_get(r, NTK_TQ_CHI_GROUP, 1, NTK_GROUP_V, 0), 9.433161004, 5e-9);
            CHECK_REL(tt_get(r, NTK_TQ_CHI_GROUP, 1, NTK_GROUP_A, 0), 17.62759798, 5e-9);
            CHECK_REL(tt_get(r, NTK_TQ_CHI, 10, 0, 0), 1.0, 1e-15);
            CHECK_REL(tt_get(r, NTK_TQ_CHI_GROUP, 10, NTK_GROUP_B, 0), 0.1532153193, 5e-9);
            CHECK_REL(tt_get(r, NTK_TQ_CHI_GROUP, 10, NTK_GROUP_W, 0), 2.385012018, 5e-9);
            CHECK_REL(tt_get(r, NTK_TQ_CHI_GROUP, 10, NTK_GROUP_V, 0), 0.8481597673, 5e-9);
            CHECK_REL(tt_get(r, NTK_TQ_CHI_GROUP, 10, NTK_GROUP_A, 0), 1.0, 1e-15);
            ntk_theory_result_free(r);
        }
    }

    /* ---- 5.5 ReLU FRN: p = A' + (1 - A') 2.2675^l (ERRATUM Thm C.28: A' uses sigma_v^2
     * sigma_b^2 + 2 sigma_a^2), chi0/chiL = 2.2675^L exactly, chi_w Theta(1) in l */
    printf("-- 5.5 ReLU FRN\n");
    {
        ntk_model m = yang(NTK_ARCH_FRN, "relu", 1, FIG1, 1000);
        ntk_theory_result *r = run(&m);
        if (r) {
            static const trow t[] = {
                {1, 3.135, 2.122113228, 0.6769101207, 1.012886772},
                {2, 7.9761125, 5.892173619, 0.7387274965, 2.083938881},
                {5, 100.2841948, 81.4147235, 0.8118400282, 18.86947126},
                {10, 6051.649331, 5256.729144, 0.8686440433, 794.9201872},
                {100, 6.041982799e35, 5.987096477e35, 0.9909158427, 5.488632237e33},
                {200, 2.16725023e71, N, 0.997217215, N}};
            trace(r, t, 6, 5e-9);
            double B = 1 + 1.5 * 1.69 / 2, Ap = -(1.5 * 0.49 + 2 * 0.5) / (1.5 * 1.69);
            CHECK_REL(Ap, -0.684418146, 1e-9);
            for (long l = 1; l <= 1000; l += 111) {
                CHECK_REL(tt_get(r, NTK_TQ_LOG_P, l, 0, 0),
                          l * log(B) + log(1 - Ap + Ap * pow(B, -(double)l)), 1e-12);
                CHECK_REL(log_chi_ratio(r, l), l * log(B), 1e-12);
            }
            /* p overflows double near l = 867; log_p stays finite and exact */
            CHECK(isinf(tt_get(r, NTK_TQ_P, 1000, 0, 0)));
            CHECK_REL(tt_get(r, NTK_TQ_LOG_P, 1000, 0, 0), log(1 - Ap) + 1000 * log(B), 1e-12);
            CHECK(r->n_nonfinite > 0);
            static const long L[] = {10, 50, 100};
            static const double v[] = {3593.130223, 5.989144434e17, 3.586985105e35};
            chi_ratios(r, L, v, 3, 5e-9);
            ntk_theory_result_free(r);
        }
        m.depth = 10;
        r = run(&m);
        if (r) {
            static const long l[4] = {1, 2, 5, 10};
            static const double cw[4] = {1188.466447, 1643.149861, 1971.105032, 2001.361135};
            for (int i = 0; i < 4; i++)
                CHECK_REL(tt_get(r, NTK_TQ_CHI_GROUP, l[i], NTK_GROUP_W, 0), cw[i], 5e-9);
            ntk_theory_result_free(r);
        }
    }

    /* ---- 5.5 alpha-ReLU FRN, alpha = 0.75, 0.9 and 1.5 (outside the paper) */
    printf("-- 5.5 alpha-ReLU FRN\n");
    {
        ntk_model m = yang(NTK_ARCH_FRN, "alpha_relu", 0.75, FIG1, 1000);
        ntk_theory_result *r = run(&m);
        if (r) {
            static const trow t[] = {{1, 2.657236912, 1.825371718, 0.6869435352, N},
                                     {2, 5.307787595, 4.008793719, 0.755266417, N},
                                     {5, 22.88199256, 19.0268074, 0.8315188176, N},
                                     {10, 115.7051238, 101.2222301, 0.8748292798, N},
                                     {100, 337972.2104, N, 0.9539012176, N},
                                     {1000, 3230689568, N, 0.9778052073, N}};
            trace(r, t, 6, 5e-9);
            static const long L[] = {1, 2, 5, 10, 50, 100, 200, 1000};
            static const double v[] = {2.009264532, 3.658691132, 15.46837056, 87.48307886,
                                       32160.4653,  635266.35,   13701317.83, 1.890677254e10};
            chi_ratios(r, L, v, 8, 5e-9);
            /* 3.8: local slope d log(chi0/chiL) / d log L between 200 and 1000 */
            CHECK_ABS((log_chi_ratio(r, 1000) - log_chi_ratio(r, 200)) / log(5.0), 4.492, 6e-4);
            ntk_theory_result_free(r);
        }
        m = yang(NTK_ARCH_FRN, "alpha_relu", 0.9, FIG1, 1000);
        r = run(&m);
        if (r) {
            static const trow t[] = {{1, 2.912787809, 1.985432745, 0.6816262889, N},
                                     {10, 660.0260448, 575.0607297, 0.8712697541, N},
                                     {100, 3.00573251e10, N, 0.9714913159, N},
                                     {1000, 2.870390336e20, N, 0.9909343747, N}};
            trace(r, t, 4, 5e-9);
            static const long L[] = {10, 100, 1000};
            static const double v[] = {390.9975761, 2.162059434e10, 2.736676389e20};
            chi_ratios(r, L, v, 3, 5e-9);
            CHECK_ABS((log_chi_ratio(r, 1000) - log_chi_ratio(r, 200)) / log(5.0), 10.17, 6e-3);
            ntk_theory_result_free(r);
        }
        m = yang(NTK_ARCH_FRN, "alpha_relu", 1.5, FIG1, 16);
        r = run(&m);
        if (r) {
            static const trow t[] = {{1, 5.352264167, N, 0.6381058935, N},
                                     {2, 41.09216431, N, N, N},
                                     {3, 741.5634861, N, N, N},
                                     {5, 32932100.93, N, N, N},
                                     {10, 4.207179506e62, N, 0.6981536521, N},
                                     {12, 8.987383811e141, N, N, N},
                                     {13, 2.240326473e213, N, N, N}};
            trace(r, t, 7, 5e-9);
            /* p^(14) overflows double: recorded as inf with a finite log */
            CHECK(isinf(tt_get(r, NTK_TQ_P, 14, 0, 0)));
            CHECK(isfinite(tt_get(r, NTK_TQ_LOG_P, 16, 0, 0)));
            CHECK(isfinite(tt_get(r, NTK_TQ_E, 16, 0, 1)));
            static const long L[] = {1, 2, 5, 10};
            static const double v[] = {4.35968681, 34.99297539, 39309953.65, 9.049686215e62};
            chi_ratios(r, L, v, 4, 5e-9);
            ntk_theory_result_free(r);
        }
        /* 3.8: p / l^(1/(1-alpha)) -> K1 (alpha = 0.55: 0.104778 at l = 1e4) */
        m = yang(NTK_ARCH_FRN, "alpha_relu", 0.55, FIG1, 10000);
        r = run(&m);
        if (r) {
            CHECK_REL(tt_get(r, NTK_TQ_P, 10000, 0, 0) / pow(1e4, 1 / 0.45), 0.104778, 1e-5);
            ntk_theory_result_free(r);
        }
    }

    /* ---- 2.5 vanilla tanh (sigma_w^2 1.69, sigma_b^2 0.49) */
    printf("-- 2.5 vanilla tanh\n");
    {
        ntk_model m = yang(NTK_ARCH_FF, "tanh", 1, 1.69, 0.49, 1, 0, 200);
        ntk_theory_result *r = run(&m);
        if (r) {
            CHECK_REL(tt_get(r, NTK_TQ_P, 1, 0, 0), 0.5351359281, 5e-9);
            CHECK_REL(tt_get(r, NTK_TQ_P, 1, 0, 1), 0.2998692401, 5e-9);
            CHECK_REL(tt_get(r, NTK_TQ_E, 1, 0, 1), 0.560360881, 5e-9);
            CHECK_REL(tt_get(r, NTK_TQ_P, 5, 0, 0), 0.4305165488, 5e-9);
            CHECK_REL(tt_get(r, NTK_TQ_E, 5, 0, 1), 0.8899678938, 5e-9);
            CHECK_REL(1.69 * tt_get(r, NTK_TQ_KDOT, 1, 0, 0), 0.5689260089, 5e-9);
            CHECK_REL(exp(log_chi_ratio(r, 1)), 0.5689260089, 5e-9);
            /* ordered: q* and chi_1 = sigma_w^2 V'(q*) */
            CHECK_REL(tt_get(r, NTK_TQ_Q, 200, 0, 0), 1.2168999915, 5e-9);
            CHECK_REL(1.69 * tt_get(r, NTK_TQ_KDOT, 200, 0, 0), 0.7267093392, 5e-9);
            ntk_theory_result_free(r);
        }
    }

    /* ---- 5.6 heatmap goldens, tanh sigma_b^2 = 0.5, RRN and FRN (sigma_v^2 1, sigma_a^2 0.5):
     * p_L, e_L, log(s_L/s_0), log(chi0/chiL) (8 digits) */
    printf("-- 5.6 heatmaps\n");
    {
        static const struct {
            ntk_arch_kind a;
            double sw2;
            long L;
            double p, e, ls, lc;
        } h[] = {
            {NTK_ARCH_RRN, 0.5, 10, 6.116281, 0.6490405, 1.457017, 1.6462427},
            {NTK_ARCH_RRN, 0.5, 100, 78.547445, 0.44566765, 4.4668592, 7.4122866},
            {NTK_ARCH_RRN, 1, 10, 7.1619981, 0.53991282, 1.8855969, 2.4003362},
            {NTK_ARCH_RRN, 1, 50, 40.181412, 0.3906629, 3.891168, 6.8484341},
            {NTK_ARCH_RRN, 1, 100, 85.085872, 0.31883915, 4.7528514, 10.147281},
            {NTK_ARCH_RRN, 2, 10, 8.1413803, 0.44384355, 2.2034013, 3.306221},
            {NTK_ARCH_RRN, 2, 100, 89.841262, 0.23762503, 4.9198748, 13.726629},
            {NTK_ARCH_FRN, 0.5, 10, 11.784342, 0.85161994, 1.2519406, 1.4099047},
            {NTK_ARCH_FRN, 0.5, 100, 133.38625, 0.82900797, 3.8202579, 5.8077538},
            {NTK_ARCH_FRN, 1, 10, 12.727332, 0.79979305, 1.6284953, 2.0528115},
            {NTK_ARCH_FRN, 1, 50, 67.335303, 0.78720188, 3.3554205, 5.5149436},
            {NTK_ARCH_FRN, 1, 100, 138.34973, 0.76634912, 4.1690047, 8.1096083},
            {NTK_ARCH_FRN, 2, 10, 13.560785, 0.74553883, 1.9317223, 2.8552636},
            {NTK_ARCH_FRN, 2, 100, 142.00996, 0.71657595, 4.3882333, 11.174646},
        };
        for (size_t i = 0; i < sizeof h / sizeof h[0]; i++) {
            ntk_model m =
                yang(h[i].a, "tanh", 1, h[i].sw2, 0.5, 1, h[i].a == NTK_ARCH_RRN ? 0 : 0.5, h[i].L);
            ntk_theory_result *r = run(&m);
            if (!r) continue;
            long L = h[i].L;
            CHECK_REL(tt_get(r, NTK_TQ_P, L, 0, 0), h[i].p, 1e-7);
            CHECK_REL(tt_get(r, NTK_TQ_E, L, 0, 1), h[i].e, 1e-7);
            CHECK_REL(log(tt_get(r, NTK_TQ_S, L, 0, 1) / tt_get(r, NTK_TQ_S, 0, 0, 1)), h[i].ls,
                      1e-7);
            CHECK_REL(tt_get(r, NTK_TQ_LOG_CHI, 0, 0, 0), h[i].lc, 1e-7);
            ntk_theory_result_free(r);
        }
        /* ReLU FRN (sigma_v^2 1, sigma_a^2 = sigma_b^2 = 0.5): p_L, e_L, log s-ratio, log p-ratio,
         * log chi-ratio = L log(1 + sigma_w^2/2) exactly */
        static const struct {
            double sw2;
            long L;
            double p, e, ls, lp, lc;
        } rh[] = {{0.25, 10, 16.731247, 0.91316037, 1.066733, 2.8172781, 1.1778304},
                  {0.25, 100, 912740.73, 0.96672529, 11.014397, 13.724207, 11.778304},
                  {0.5, 50, 280256.69, 0.94849831, 10.270468, 12.543461, 11.157178},
                  {1, 10, 142.6626, 0.87087217, 3.6066772, 4.9604824, 4.0546511},
                  {1, 100, 1.0164029e18, 0.98166071, 38.157239, 41.462802, 40.546511},
                  {1.5, 100, 4.0256393e24, 0.98656175, 53.038223, 56.654726, 55.961579}};
        for (int i = 0; i < 6; i++) {
            ntk_model m = yang(NTK_ARCH_FRN, "relu", 1, rh[i].sw2, 0.5, 1, 0.5, rh[i].L);
            ntk_theory_result *r = run(&m);
            if (!r) continue;
            long L = rh[i].L;
            CHECK_REL(tt_get(r, NTK_TQ_P, L, 0, 0), rh[i].p, 1e-7);
            CHECK_REL(tt_get(r, NTK_TQ_E, L, 0, 1), rh[i].e, 1e-7);
            CHECK_REL(log(tt_get(r, NTK_TQ_S, L, 0, 1) / tt_get(r, NTK_TQ_S, 0, 0, 1)), rh[i].ls,
                      1e-7);
            CHECK_REL(tt_get(r, NTK_TQ_LOG_P, L, 0, 0) - tt_get(r, NTK_TQ_LOG_P, 0, 0, 0), rh[i].lp,
                      1e-7);
            CHECK_REL(tt_get(r, NTK_TQ_LOG_CHI, 0, 0, 0), rh[i].lc, 1e-7);
            CHECK_REL(tt_get(r, NTK_TQ_LOG_CHI, 0, 0, 0), L * log1p(rh[i].sw2 / 2), 1e-13);
            ntk_theory_result_free(r);
        }
        /* first l with p^(l) > FLT_MAX */
        static const double fsw[4] = {0.25, 0.5, 1, 1.5};
        static const long first[4] = {737, 392, 217, 158};
        for (int i = 0; i < 4; i++) {
            ntk_model m = yang(NTK_ARCH_FRN, "relu", 1, fsw[i], 0.5, 1, 0.5, 800);
            ntk_theory_result *r = run(&m);
            if (!r) continue;
            long l = 1;
            while (l <= 800 && tt_get(r, NTK_TQ_P, l, 0, 0) <= 3.4028234663852886e38)
                l++;
            CHECK_INT(l, first[i]);
            ntk_theory_result_free(r);
        }
        /* alpha-ReLU FRN, sigma_w^2 = sigma_v^2 = 1, sigma_a^2 = sigma_b^2 = 0.5 */
        static const struct {
            double a;
            long L;
            double p, e, ls, lc;
        } ah[] = {{0.6, 10, 19.802857, 0.89167924, 1.456315, 3.059293},
                  {0.6, 100, 1471.3904, 0.95046209, 4.9820931, 10.118866},
                  {0.75, 10, 30.276111, 0.88696518, 1.9234468, 2.5877603},
                  {0.75, 100, 19874.667, 0.9536084, 7.5197115, 9.7052568},
                  {0.9, 10, 62.699406, 0.87865409, 2.7223891, 3.1949328},
                  {0.9, 100, 23501826, 0.96395192, 14.342834, 16.141205}};
        for (int i = 0; i < 6; i++) {
            ntk_model m = yang(NTK_ARCH_FRN, "alpha_relu", ah[i].a, 1, 0.5, 1, 0.5, ah[i].L);
            ntk_theory_result *r = run(&m);
            if (!r) continue;
            long L = ah[i].L;
            CHECK_REL(tt_get(r, NTK_TQ_P, L, 0, 0), ah[i].p, 1e-7);
            CHECK_REL(tt_get(r, NTK_TQ_E, L, 0, 1), ah[i].e, 1e-7);
            CHECK_REL(log(tt_get(r, NTK_TQ_S, L, 0, 1) / tt_get(r, NTK_TQ_S, 0, 0, 1)), ah[i].ls,
                      1e-7);
            CHECK_REL(tt_get(r, NTK_TQ_LOG_CHI, 0, 0, 0), ah[i].lc, 1e-7);
            ntk_theory_result_free(r);
        }
    }

    /* ---- 1.4 / 2.4: RRN == FRN(sigma_v = 1, sigma_a = 0) for tanh, forward and backward */
    printf("-- RRN == FRN(1, 0)\n");
    {
        ntk_model a = yang(NTK_ARCH_RRN, "tanh", 1, 1.3, 0.2, 1, 0, 40);
        ntk_model b = yang(NTK_ARCH_FRN, "tanh", 1, 1.3, 0.2, 1, 0, 40);
        ntk_theory_result *ra = run(&a), *rb = run(&b);
        if (ra && rb)
            for (long l = 0; l <= 40; l += 5) {
                CHECK_REL(tt_get(ra, NTK_TQ_P, l, 0, 1), tt_get(rb, NTK_TQ_P, l, 0, 1), 1e-14);
                CHECK_REL(tt_get(ra, NTK_TQ_CHI, l, 0, 0), tt_get(rb, NTK_TQ_CHI, l, 0, 0), 1e-13);
                if (l > 0)
                    CHECK_REL(tt_get(ra, NTK_TQ_CHI_GROUP, l, NTK_GROUP_W, 0),
                              tt_get(rb, NTK_TQ_CHI_GROUP, l, NTK_GROUP_W, 0), 1e-13);
            }
        ntk_theory_result_free(ra);
        ntk_theory_result_free(rb);
    }
    return check_summary("theory.seed004");
}
