/* test_theory_seed002.c - goldens of Tirer, Bruna, Giryes, "Kernel-Based Smoothness Analysis of
 * Residual Networks" (spec seed-002, sections 2.5 and 7.1-7.5).
 *
 * Mapping (docs/architectures.md): the MLP (eq. 1) = ff, no stem, depth L, no bias, readout
 * sigma_out = sigma_w, every group trained; the ResNet (eq. 6) = resnet with a linear stem
 * (sigma_in = 1: U x / sqrt(d)), alpha const, sigma_v, readout sigma_out = sigma_w, every group
 * trained (U, W, V, w). Inputs on the unit circle in R^2: Gram x.x'/d = [[1/2, cos g / 2], ...].
 * Theta^(L+1) = our ntk at row L; K^(l) (covariance of g^(l)) = our q at row l, K^(L+1) = nngp.
 */
#include "theory_test.h"

static ntk_model mlp(long L, double sw)
{
    ntk_model m;
    ntk_model_default(&m);
    m.sigma_w = sw;
    m.sigma_out = sw;
    m.depth = L;
    return m;
}

static ntk_model resnet(long L, double a, double sw, double sv)
{
    ntk_model m;
    ntk_model_default(&m);
    m.arch = NTK_ARCH_RESNET;
    m.sigma_w = sw;
    m.sigma_v = sv;
    m.sigma_out = sw;
    m.alpha.kind = NTK_ALPHA_CONST;
    m.alpha.value = a;
    m.depth = L;
    return m;
}

/* Theta^(L+1)(x0, x(gamma)) on the unit circle (d = 2). */
static double theta(const ntk_model *m, double g)
{
    ntk_theory_result *r = tt_run2(m, 0.5, 0.5, 0.5 * cos(g));
    if (!r) return NAN;
    double v = tt_get(r, NTK_TQ_NTK, m->depth, 0, 1);
    ntk_theory_result_free(r);
    return v;
}

static const double AL[4] = {0.01, 0.1, 0.5, 1.0};

static void table71(long L, const double *g, int ng, const double (*v)[5])
{
    printf("-- 7.1 L = %ld\n", L);
    for (int i = 0; i < ng; i++) {
        for (int a = 0; a < 4; a++) {
            ntk_model m = resnet(L, AL[a], 1.0, 1.0);
            TT_CHECK_TAB(theta(&m, g[i]), v[i][a], 1e-10, 1e-12);
        }
        ntk_model m = mlp(L, 1.0);
        TT_CHECK_TAB(theta(&m, g[i]), v[i][4], 1e-10, 1e-13);
    }
}

int main(void)
{
    /* ---- 7.1: Theta^(L+1)(gamma), ReLU, sigma_v = sigma_w = 1 (12 significant digits) */
    const double P = M_PI;
    {
        const double g[9] = {0, P / 6, P / 4, P / 3, P / 2, 2 * P / 3, 3 * P / 4, 5 * P / 6, P};
        static const double v[9][5] = {
            {1.0001, 1.01, 1.25, 2, 0.5},
            {0.866105530315, 0.874038056865, 1.06634173079, 1.66729071182, 0.400632654016},
            {0.707171068149, 0.713535477441, 0.867824187539, 1.3499764066, 0.321434812705},
            {0.500047116556, 0.504711655572, 0.617791389297, 0.971165557189, 0.235582778594},
            {1.59154943093e-05, 0.00159154943092, 0.039788735773, 0.159154943092, 0.0795774715459},
            {-0.500002883444, -0.500288344428, -0.507208610703, -0.528834442811, -0.0144172214056},
            {-0.707113204902, -0.707749152744, -0.723166070131, -0.771343936964, -0.0321185778885},
            {-0.866031879794, -0.866673004742, -0.882215427722, -0.930785499536, -0.0323800478757},
            {-1, -1, -1, -1, 0}};
        table71(1, g, 9, v);
    }
    {
        const double g[6] = {0, P / 6, P / 3, P / 2, 2 * P / 3, P};
        static const double v2[6][5] = {
            {1.0002000075, 1.020075, 1.546875, 3.75, 0.375},
            {0.866185662438, 0.882106630895, 1.30162067346, 3.02836419994, 0.280529048408},
            {0.500094236436, 0.509456561583, 0.756398675915, 1.77655256098, 0.16893494514},
            {3.18325801739e-05, 0.00319902037323, 0.0896086584593, 0.481502604636, 0.0857135795354},
            {-0.500005766436, -0.5005721439, -0.511270219176, -0.497696705737, 0.0429827807841},
            {-1.00000015915, -1.00015829511, -1.01736286114, -1.08977983695, 0.039788735773}};
        table71(2, g, 6, v2);
        static const double v3[6][5] = {
            {1.0003000225, 1.0302255, 1.8984375, 6.75, 0.25},
            {0.866265800153, 0.890231475499, 1.57732872237, 5.29959049294, 0.175934221061},
            {0.500141359642, 0.514234929481, 0.919134452665, 3.12938163073, 0.108615292451},
            {4.77512577156e-05, 0.00482253438048, 0.151373107591, 1.09162013406, 0.0662742566752},
            {-0.500008648976, -0.500851314785, -0.510920702388, -0.326695091954, 0.0463905826601},
            {-1.0000003842, -1.00038126199, -1.03949676702, -1.13416573115, 0.0428567897677}};
        table71(3, g, 6, v3);
        static const double v7[6][5] = {
            {1.00070015752, 1.07159260977, 4.05457305908, 56.953125, 0.03125},
            {0.866586406944, 0.923300624629, 3.22454935784, 40.7113760018, 0.0182089453405},
            {0.500329885718, 0.533687293534, 1.8966562749, 24.6721343967, 0.0122787932128},
            {0.000111441887083, 0.0114794805255, 0.568415066075, 13.155151875, 0.00972500428151},
            {-0.500020174612, -0.5019200255, -0.432156208362, 6.50503909565, 0.00869648297986},
            {-1.00000172363, -1.00169470305, -1.12636277532, 2.91525198581, 0.00837947107276}};
        table71(7, g, 6, v7);
        static const double v15[6][5] = {
            {1.00150078773, 1.15810682248, 15.6047411485, 2627.36334229, 0.000244140625},
            {0.867227889066, 0.9922488314, 11.5721217439, 1629.135351, 0.000113595248173},
            {0.500707097535, 0.574264096285, 6.91996804607, 1040.91883642, 8.5796288769e-05},
            {0.000238899583263, 0.0256014256998, 3.15181447946, 727.321425471, 7.66645114983e-05},
            {-0.500043204149, -0.503809318803, 0.738244017834, 571.583132602, 7.32693569967e-05},
            {-1.00000582229, -1.00562094931, -0.753798065922, 486.941107044, 7.20711634233e-05}};
        table71(15, g, 6, v15);
    }
    {
        const double g[9] = {0, P / 6, P / 4, P / 3, P / 2, 2 * P / 3, 3 * P / 4, 5 * P / 6, P};
        static const double v5[9][5] = {
            {1.00050007501, 1.05075501564, 2.80316162109, 20.25, 0.09375},
            {0.866426092362, 0.90665138526, 2.27604715501, 15.1266557314, 0.0594660072922},
            {0.707428260285, 0.739695868425, 1.83402575503, 12.0347229057, 0.0473563184025},
            {0.500235616029, 0.523892903088, 1.33280669976, 9.04786027387, 0.0384827051947},
            {7.9593388316e-05, 0.00811818185032, 0.320034476708, 4.1429499168, 0.0280030619819},
            {-0.500014412699, -0.501395434239, -0.490890905519, 1.09313034845, 0.023548543781},
            {-0.707138900648, -0.710325846361, -0.77150027337, 0.216593912505, 0.0226187491416},
            {-0.866057792468, -0.869345317486, -0.960819880619, -0.309496310811, 0.0222289355525},
            {-1.00000097808, -1.00096610726, -1.08729500315, -0.568138180971, 0.0223498515189}};
        table71(5, g, 9, v5);
    }

    /* ---- 7.1: general inputs (d = 3, x = (1, 2, -0.5), x~ = (0.3, -1, 2)) */
    printf("-- 7.1 general inputs\n");
    {
        const double xx = (1 + 4 + 0.25) / 3.0, yy = (0.09 + 1 + 4) / 3.0, xy = (0.3 - 2 - 1) / 3.0;
        static const struct {
            int res;
            long L;
            double a, sv, sw, off, diag;
        } gi[] = {{1, 3, 0.5, 1, 1, -1.85417650155, 6.64453125},
                  {1, 4, 0.3, 1.5, 0.8, -1.17974007787, 3.58047075536},
                  {0, 3, 0, 0, 1, 0.157998582889, 0.875},
                  {0, 4, 0, 0, M_SQRT2, 3.86810822212, 17.5}};
        for (int i = 0; i < 4; i++) {
            ntk_model m =
                gi[i].res ? resnet(gi[i].L, gi[i].a, gi[i].sw, gi[i].sv) : mlp(gi[i].L, gi[i].sw);
            ntk_theory_result *r = tt_run2(&m, xx, yy, xy);
            if (!r) continue;
            CHECK_REL(tt_get(r, NTK_TQ_NTK, gi[i].L, 0, 1), gi[i].off, 1e-10);
            CHECK_REL(tt_get(r, NTK_TQ_NTK, gi[i].L, 0, 0), gi[i].diag, 1e-10);
            ntk_theory_result_free(r);
        }
    }

    /* ---- 7.2: normalised kernel Theta(gamma)/Theta(0) (10 decimals) */
    printf("-- 7.2 normalised kernel\n");
    {
        static const struct {
            long L;
            double g;
            double v[5];
        } nk[] = {
            {5, P / 6, {0.8659930309, 0.8628570616, 0.8119571622, 0.7469953448, 0.6343040778}},
            {5, P / 3, {0.4999855857, 0.4985871067, 0.4754655207, 0.4468079148, 0.4104821887}},
            {5, P / 2, {0.0000795536, 0.0077260463, 0.1141691133, 0.2045901193, 0.2986993278}},
            {5,
             2 * P / 3,
             {-0.4997644930, -0.4771763416, -0.1751204432, 0.0539817456, 0.2511844670}},
            {5, P, {-0.9995011525, -0.9526160640, -0.3878816672, -0.0280562065, 0.2383984162}},
            {7, P / 2, {0.0001113639, 0.0107125417, 0.1401911022, 0.2309820905, 0.3112001370}},
            {7, P, {-0.9993020548, -0.9347719403, -0.2778005869, 0.0511868661, 0.2681430743}},
            {15, P / 6, {0.8659283145, 0.8567852396, 0.7415772959, 0.6200647336, 0.4652861365}},
            {15, P / 2, {0.0002385416, 0.0221062731, 0.2019780046, 0.2768255969, 0.3140178391}},
            {15, P, {-0.9985072748, -0.8683317720, -0.0483057078, 0.1853345136, 0.2952034854}},
        };
        for (size_t i = 0; i < sizeof nk / sizeof nk[0]; i++)
            for (int a = 0; a < 5; a++) {
                ntk_model m = a < 4 ? resnet(nk[i].L, AL[a], 1, 1) : mlp(nk[i].L, 1);
                ntk_theory_result *r = tt_run2(&m, 0.5, 0.5, 0.5 * cos(nk[i].g));
                if (!r) continue;
                CHECK_ABS(tt_get(r, NTK_TQ_NTK_NORM, nk[i].L, 0, 1), nk[i].v[a], 6e-11);
                ntk_theory_result_free(r);
            }
    }

    /* ---- 7.3: cusp slope S_norm at gamma = 0+ (formula of 2.5), and one-sided finite
     * differences of the engine's kernel for alpha >= 0.1 */
    printf("-- 7.3 cusp slope\n");
    {
        static const long Ls[5] = {1, 2, 5, 7, 15};
        static const double S[5][5] = {
            {1.591390292e-05, 0.001575791516, 0.03183098862, 0.07957747155, 0.1591549431},
            {3.18270103e-05, 0.003143859131, 0.06108977614, 0.1485446136, 0.3183098862},
            {7.956156043e-05, 0.007802843416, 0.1389447916, 0.3315727981, 0.7957747155},
            {0.0001113806184, 0.01087223779, 0.1856807669, 0.4456338407, 1.114084602},
            {0.0002386250668, 0.02287467397, 0.3536776513, 0.8841941283, 2.387324146}};
        for (int i = 0; i < 5; i++)
            for (int a = 0; a < 5; a++) {
                long L = Ls[i];
                double f;
                if (a < 4) {
                    double c = AL[a] * AL[a], r = 1 + c / 2;
                    f = c * L * (1 + c * (L - 1) / (4 * r)) / (M_PI * (2 + (L + 1) * c));
                } else
                    f = L / (2 * M_PI);
                CHECK_REL(f, S[i][a], 1e-9);
                if (a >= 1) {
                    ntk_model m = a < 4 ? resnet(L, AL[a], 1, 1) : mlp(L, 1);
                    /* Richardson-extrapolated one-sided difference (cancels the O(h) term) */
                    double h = 1e-4, t0 = theta(&m, 0.0);
                    double d1 = (t0 - theta(&m, h)) / h, d2 = (t0 - theta(&m, 2 * h)) / (2 * h);
                    CHECK_REL((2 * d1 - d2) / t0, S[i][a], 1e-5);
                }
            }
    }

    /* ---- 7.4: normalised off-diagonal value vs depth (5 digits) */
    printf("-- 7.4 limits\n");
    {
        static const struct {
            int res;
            double a;
            long L;
            double v2, vpi;
        } lim[] = {
            {0, 0, 5, 0.29870, 0.23840},        {0, 0, 15, 0.31402, 0.29520},
            {0, 0, 50, 0.28667, 0.28152},       {0, 0, 100, 0.27250, 0.26997},
            {0, 0, 500, 0.25602, 0.25552},      {0, 0, 1000, 0.25329, 0.25304},
            {1, 1, 5, 0.20459, -0.02806},       {1, 1, 15, 0.27683, 0.18533},
            {1, 1, 100, 0.28368, 0.27151},      {1, 1, 1000, 0.25565, 0.25447},
            {1, 1, 10000, 0.25067, 0.25055},    {1, 0.1, 15, 0.02211, -0.86833},
            {1, 0.1, 100, 0.10593, -0.43842},   {1, 0.1, 500, 0.22980, 0.04273},
            {1, 0.1, 1000, 0.26799, 0.16755},   {1, 0.1, 10000, 0.27178, 0.26280},
            {1, 0.1, 100000, 0.25293, 0.25204},
        };
        for (size_t i = 0; i < sizeof lim / sizeof lim[0]; i++) {
            ntk_model m = lim[i].res ? resnet(lim[i].L, lim[i].a, 1, 1) : mlp(lim[i].L, 1);
            ntk_theory_result *r2 = tt_run2(&m, 0.5, 0.5, 0.0), *rp = tt_run2(&m, 0.5, 0.5, -0.5);
            if (r2 && rp) {
                CHECK_ABS(tt_get(r2, NTK_TQ_NTK_NORM, lim[i].L, 0, 1), lim[i].v2, 6e-6);
                CHECK_ABS(tt_get(rp, NTK_TQ_NTK_NORM, lim[i].L, 0, 1), lim[i].vpi, 6e-6);
            }
            ntk_theory_result_free(r2);
            ntk_theory_result_free(rp);
        }
    }

    /* ---- 7.4: Fourier coefficients lambda_k of Theta(gamma) on the 4096-point grid, L = 5,
     * and the Fig. 7 magnitudes |FFT(Theta / Theta(0))|_k = 4096 |lambda_k| / Theta(0) */
    printf("-- 7.4 spectrum\n");
    {
        enum { N = 4096, NK = 6 };
        static const double lam[3][NK] = {
            {0.037742, 0.0120178, 0.00605864, 0.00283984, 0.0016558, 0.00100959},
            {0.0153857, 0.512722, 0.00393978, 5.47945e-05, 0.00040295, 2.92789e-05},
            {6.43808, 4.57753, 1.28384, 0.354437, 0.183263, 0.0973069}};
        static const double fft_mlp[4] = {1649, 525.07, 264.71, 124.07};
        static const double fft_res[4] = {59.976, 1998.7, 15.358, 0.2136};
        static double th[N];
        for (int mdl = 0; mdl < 3; mdl++) {
            ntk_model m = mdl == 0 ? mlp(5, 1) : resnet(5, mdl == 1 ? 0.1 : 1.0, 1, 1);
            for (int j = 0; j < N; j++)
                th[j] = theta(&m, 2 * M_PI * (j - N / 2) / N);
            double t0 = th[N / 2];
            for (int kk = 0; kk < NK; kk++) {
                double re = 0.0;
                for (int j = 0; j < N; j++)
                    re += th[j] * cos(kk * 2 * M_PI * (j - N / 2) / N);
                re /= N;
                CHECK_REL(re, lam[mdl][kk], 2e-5); /* quoted to 5-6 digits */
                if (mdl < 2 && kk < 4)
                    CHECK_REL(N * fabs(re) / t0, mdl == 0 ? fft_mlp[kk] : fft_res[kk], 3e-4);
            }
        }
    }

    /* ---- 7.5: per-layer intermediates, ResNet L = 3, a = 0.5, gamma = pi/3 */
    printf("-- 7.5 intermediates\n");
    {
        ntk_model m = resnet(3, 0.5, 1, 1);
        ntk_theory_result *r = tt_run2(&m, 0.5, 0.5, 0.5 * cos(P / 3));
        if (r) {
            static const double Kx[4] = {0.25, 0.288062361315, 0.33145211501, 0.38088687547};
            static const double Kd[4] = {0.5, 0.5625, 0.6328125, 0.7119140625};
            for (int l = 1; l <= 3; l++) {
                CHECK_REL(tt_get(r, NTK_TQ_Q, l, 0, 1), Kx[l - 1], 1e-10);
                CHECK_REL(tt_get(r, NTK_TQ_Q, l, 0, 0), Kd[l - 1], 1e-12);
            }
            CHECK_REL(tt_get(r, NTK_TQ_NNGP, 3, 0, 1), Kx[3], 1e-10);
            CHECK_REL(tt_get(r, NTK_TQ_NNGP, 3, 0, 0), Kd[3], 1e-12);
            /* Sigma^(l+1) = (K^(l+1) - K^(l)) / alpha^2, SigmaDot^(l+1) = sv^2 sw^2 Tdot(K^(l)) */
            static const double Sg[3] = {0.152249445261, 0.173559014779, 0.197739041842};
            static const double Sd[3] = {0.333333333333, 0.335568155378, 0.337738591369};
            for (int l = 1; l <= 3; l++) {
                double next = l < 3 ? tt_get(r, NTK_TQ_Q, l + 1, 0, 1) : Kx[3];
                CHECK_REL((next - tt_get(r, NTK_TQ_Q, l, 0, 1)) / 0.25, Sg[l - 1], 1e-9);
                CHECK_REL(tt_get(r, NTK_TQ_KDOT, l, 0, 1), Sd[l - 1], 1e-10);
            }
            /* Pi^(l) = E[delta^(l) . delta~^(l)] relative to Pi^(L) = 1 */
            static const double Pi[4] = {1.27336092156, 1.17541008144, 1.08443464784, 1};
            for (int l = 0; l <= 3; l++) {
                double pc = tt_get(r, NTK_TQ_GRAD_CORR, l, 0, 1) *
                            sqrt(tt_get(r, NTK_TQ_CHI, l, 0, 0) * tt_get(r, NTK_TQ_CHI, l, 0, 1));
                CHECK_REL(pc, Pi[l], 1e-10);
            }
            /* per-group terms: readout, U, V_l, W_l and the total */
            CHECK_REL(tt_get(r, NTK_TQ_NTK_LAYER, 3, NTK_GROUP_READOUT, 1), 0.38088687547, 1e-10);
            CHECK_REL(tt_get(r, NTK_TQ_NTK_LAYER, 0, NTK_GROUP_INPUT, 1), 0.318340230391, 1e-10);
            static const double V[3] = {0.04473888321, 0.04705335227, 0.04943476046};
            static const double W[3] = {0.02448771003, 0.02620659822, 0.02798604261};
            for (int l = 1; l <= 3; l++) {
                CHECK_REL(tt_get(r, NTK_TQ_NTK_LAYER, l, NTK_GROUP_V, 1), V[l - 1], 1e-9);
                CHECK_REL(tt_get(r, NTK_TQ_NTK_LAYER, l, NTK_GROUP_W, 1), W[l - 1], 1e-9);
            }
            CHECK_REL(tt_get(r, NTK_TQ_NTK, 3, 0, 1), 0.919134452665, 1e-10);
            /* the per-group split of the output NTK carries the same totals */
            CHECK_REL(tt_get(r, NTK_TQ_NTK_GROUP, 3, NTK_GROUP_INPUT, 1), 0.318340230391, 1e-10);
            CHECK_REL(tt_get(r, NTK_TQ_NTK_GROUP, 3, NTK_GROUP_V, 1), V[0] + V[1] + V[2], 1e-9);
            CHECK_REL(tt_get(r, NTK_TQ_NTK_GROUP, 3, NTK_GROUP_W, 1), W[0] + W[1] + W[2], 1e-9);
            ntk_theory_result_free(r);
        }
        m = mlp(3, 1);
        r = tt_run2(&m, 0.5, 0.5, 0.5 * cos(P / 3));
        if (r) {
            static const double K[4] = {0.25, 0.152249445261, 0.0854882063623, 0.0461330120188};
            static const double T[4] = {0.25, 0.235582778594, 0.16893494514, 0.108615292451};
            for (int l = 1; l <= 3; l++)
                CHECK_REL(tt_get(r, NTK_TQ_Q, l, 0, 1), K[l - 1], 1e-10);
            CHECK_REL(tt_get(r, NTK_TQ_NNGP, 3, 0, 1), K[3], 1e-10);
            for (int l = 0; l <= 3; l++) /* Theta^(l+1) = network of depth l */
                CHECK_REL(tt_get(r, NTK_TQ_NTK, l, 0, 1), T[l], 1e-10);
            ntk_theory_result_free(r);
        }
    }

    /* ---- 2.5: closed forms and invariances */
    printf("-- 2.5 closed forms\n");
    for (long L = 1; L <= 9; L += 4)
        for (int a = 0; a < 4; a++) {
            double sw = 0.7 + 0.3 * a, sv = 1.3, al = AL[a];
            double q1 = sw * sw * 0.5, c = al * al * sv * sv * sw * sw, r = 1 + c / 2,
                   s = sw * sw / 2;
            ntk_model m = resnet(L, al, sw, sv);
            ntk_theory_result *rr = tt_run2(&m, 0.5, 0.5, 0.1);
            if (!rr) continue;
            CHECK_REL(tt_get(rr, NTK_TQ_NTK, L, 0, 0), q1 * pow(r, L - 1.0) * (2 + (L + 1) * c),
                      1e-12);
            CHECK_REL(tt_get(rr, NTK_TQ_NNGP, L, 0, 0), q1 * pow(r, (double)L), 1e-12);
            /* only c = alpha^2 sv^2 sw^2 matters: Theta(sw, sv, a) = sw^2 Theta(1, 1, a sv sw) */
            ntk_model m1 = resnet(L, al * sv * sw, 1, 1);
            ntk_theory_result *r1 = tt_run2(&m1, 0.5, 0.5, 0.1);
            if (r1) {
                CHECK_REL(tt_get(rr, NTK_TQ_NTK, L, 0, 1),
                          sw * sw * tt_get(r1, NTK_TQ_NTK, L, 0, 1), 1e-12);
                ntk_theory_result_free(r1);
            }
            ntk_theory_result_free(rr);
            ntk_model mm = mlp(L, sw);
            rr = tt_run2(&mm, 0.5, 0.5, 0.1);
            ntk_model m2 = mlp(L, 1);
            r1 = tt_run2(&m2, 0.5, 0.5, 0.1);
            if (rr && r1) {
                CHECK_REL(tt_get(rr, NTK_TQ_NTK, L, 0, 0), (L + 1) * q1 * pow(s, (double)L), 1e-12);
                CHECK_REL(tt_get(rr, NTK_TQ_NNGP, L, 0, 0), q1 * pow(s, (double)L), 1e-12);
                CHECK_REL(tt_get(rr, NTK_TQ_NTK, L, 0, 1),
                          pow(sw, 2.0 * (L + 1)) * tt_get(r1, NTK_TQ_NTK, L, 0, 1), 1e-12);
            }
            ntk_theory_result_free(rr);
            ntk_theory_result_free(r1);
        }
    {
        /* L = 1 closed forms; alpha -> 0: Theta -> 2 K^(1) */
        double g = 1.1, cg = cos(g), k0 = (P - g) / P, k1 = (cg * (P - g) + sin(g)) / P;
        for (int a = 0; a < 4; a++) {
            ntk_model m = resnet(1, AL[a], 1, 1);
            double c = AL[a] * AL[a];
            CHECK_REL(theta(&m, g), 0.5 * (2 * cg + c * (k1 + cg * k0)), 1e-12);
        }
        ntk_model m = mlp(1, 1);
        CHECK_REL(theta(&m, g), 0.25 * (k1 + cg * k0), 1e-12);
        m = resnet(4, 0.0, 1, 1);
        CHECK_REL(theta(&m, g), cg, 1e-14);
    }

    /* ---- 2.8: cross-seed mapping to Huang et al. (seed-003) */
    printf("-- 2.8 mapping to seed-003\n");
    {
        ntk_model m = resnet(5, 1.0, M_SQRT2, 1.0);
        m.trained = NTK_GROUP_BIT(NTK_GROUP_W) | NTK_GROUP_BIT(NTK_GROUP_V);
        ntk_theory_result *r = tt_run2(&m, 0.5, 0.5, 0.0);
        if (r) {
            CHECK_REL(tt_get(r, NTK_TQ_NTK, 5, 0, 1), 37.1012699276298, 1e-12);
            ntk_theory_result_free(r);
        }
        m = mlp(5, M_SQRT2);
        r = tt_run2(&m, 0.5, 0.5, 0.25);
        if (r) {
            CHECK_REL(tt_get(r, NTK_TQ_NTK, 5, 0, 1) - tt_get(r, NTK_TQ_NNGP, 5, 0, 1),
                      1.65243893145339, 1e-12);
            ntk_theory_result_free(r);
        }
    }
    return check_summary("theory.seed002");
}
