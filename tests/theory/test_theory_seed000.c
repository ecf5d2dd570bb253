/* test_theory_seed000.c - goldens of Littwin & Wolf, "Residual Tangent Kernels" (spec seed-000).
 *
 * Mapping (docs/architectures.md): the paper's input layer y^0 = W^s x has covariance x.x' (no
 * 1/sqrt(d)), so the Gram passed to the engine is x.x' itself (unit inputs: [[1, cos t], [cos t,
 * 1]]); sigma_in = 1; readout sigma_out = 1; W^s and W^f are not trained (trained = {W}).
 * ResNet (Eq. 6-7) = littwin with sigma_w = sqrt 2 (q = sqrt2 phi(y)) and alpha a variance
 * scale; DenseNet (Eq. 13) = densenet with sigma_w = sqrt 2; the vanilla baseline (note 2.3) = ff
 * with a linear stem, sigma_w = sqrt 2, no bias.
 */
#include "theory_test.h"

static const double TH[9] = {0.0,          M_PI / 6,     M_PI / 4,     M_PI / 3, M_PI / 2,
                             2 * M_PI / 3, 3 * M_PI / 4, 5 * M_PI / 6, M_PI};

static ntk_model littwin(int m, double a, long L)
{
    ntk_model md;
    ntk_model_default(&md);
    md.arch = NTK_ARCH_LITTWIN;
    md.sigma_w = M_SQRT2;
    md.m = m;
    md.alpha.kind = NTK_ALPHA_CONST;
    md.alpha.value = a;
    md.trained = NTK_GROUP_BIT(NTK_GROUP_W);
    md.depth = L;
    return md;
}

static ntk_model densenet(double a, long L)
{
    ntk_model md;
    ntk_model_default(&md);
    md.arch = NTK_ARCH_DENSENET;
    md.sigma_w = M_SQRT2;
    md.alpha.kind = NTK_ALPHA_CONST;
    md.alpha.value = a;
    md.trained = NTK_GROUP_BIT(NTK_GROUP_W);
    md.depth = L;
    return md;
}

static ntk_model vanilla(long L)
{
    ntk_model md;
    ntk_model_default(&md);
    md.arch = NTK_ARCH_FF;
    md.stem = NTK_STEM_LINEAR;
    md.sigma_w = M_SQRT2;
    md.trained = NTK_GROUP_BIT(NTK_GROUP_W);
    md.depth = L;
    return md;
}

/* Runs *md at the nine angles and compares quantity q (pair (x,x')) at row L with want[9]. */
static void table(const ntk_model *md, ntk_theory_qty q, const double *want, const char *name)
{
    printf("-- %s\n", name);
    for (int t = 0; t < 9; t++) {
        ntk_theory_result *r = tt_run2(md, 1.0, 1.0, cos(TH[t]));
        if (!r) return;
        /* seed-000 6.1: 10 decimals, tolerance 1e-9 relative */
        TT_CHECK_TAB(tt_get(r, q, md->depth, 0, 1), want[t], 1e-9, 2e-10);
        ntk_theory_result_free(r);
    }
}

int main(void)
{
    /* ---- seed-000 6.1: ResNet K^R_L(x,x'), alpha const */
    static const struct {
        int m;
        double a;
        long L;
        double v[9];
    } rk[] = {
        {1,
         0.3,
         3,
         {1.5210000000, 1.3172246392, 1.0755094142, 0.7605000000, 0, -0.7605, -1.0755094142,
          -1.3172246392, -1.5210}},
        {2,
         0.3,
         1,
         {0.6000000000, 0.4807591848, 0.3857217752, 0.2826993343, 0.0954929659, -0.0173006657,
          -0.0385422935, -0.0388560575, 0.0000000000}},
        {2,
         0.3,
         2,
         {1.5600000000, 1.2292183974, 0.9824814762, 0.7225744855, 0.2642816136, -0.0108195979,
          -0.0706598979, -0.0882943351, -0.0530613759}},
        {2,
         0.3,
         3,
         {3.0420000000, 2.3581874717, 1.8785126639, 1.3867435163, 0.5437699582, 0.0416733264,
          -0.0763889415, -0.1254177292, -0.1053806608}},
        {2,
         0.3,
         5,
         {8.5683000000, 6.4369022684, 5.0992466148, 3.7947213087, 1.6708732372, 0.4319836492,
          0.1168902010, -0.0469611868, -0.0934986184}},
        {2,
         0.3,
         10,
         {63.6269962380, 44.4807341389, 34.9439392895, 26.5694559996, 14.2935860350, 7.5258916644,
          5.6977061316, 4.6088626434, 3.9643530446}},
        {2,
         1.0,
         1,
         {2.0000000000, 1.6025306161, 1.2857392508, 0.9423311144, 0.3183098862, -0.0576688856,
          -0.1284743116, -0.1295201915, 0.0000000000}},
        {2,
         1.0,
         2,
         {8.0000000000, 6.1837711064, 4.9246548177, 3.6435451687, 1.4728637889, 0.1994212111,
          -0.0959161061, -0.2130469076, -0.1153377712}},
        {2,
         1.0,
         3,
         {24.0000000000, 17.9320949046, 14.2027621779, 10.6149608729, 4.8900268170, 1.6361457109,
          0.8270447176, 0.4224506015, 0.3988424222}},
        {3,
         0.5,
         1,
         {1.5000000000, 1.1221161936, 0.8927435215, 0.6757397806, 0.3428543181, 0.1719311231,
          0.1383096222, 0.1301912578, 0.1591549431}},
        {3,
         0.5,
         3,
         {10.1250000000, 6.9858587525, 5.4975130554, 4.2216980815, 2.4054259300, 1.4426817954,
          1.1947036102, 1.0564795826, 1.0013924454}},
        {3,
         0.5,
         10,
         {576.6503906250, 320.8794987824, 252.7270263923, 205.6708523309, 149.1834092414,
          120.7384788658, 112.6590318955, 107.4550515888, 103.7538722199}},
    };
    for (size_t i = 0; i < sizeof rk / sizeof rk[0]; i++) {
        ntk_model md = littwin(rk[i].m, rk[i].a, rk[i].L);
        char name[64];
        snprintf(name, sizeof name, "ResNet K m=%d a=%g L=%ld", rk[i].m, rk[i].a, rk[i].L);
        table(&md, NTK_TQ_NTK, rk[i].v, name);
    }

    /* ---- seed-000 6.1: ResNet GP Lambda^L(x,x') = stream covariance p */
    static const struct {
        double a;
        long L;
        double v[9];
    } rl[] = {
        {0.3,
         1,
         {1.3000000000, 1.1302782377, 0.9337295307, 0.6826993343, 0.0954929659, -0.4673006657,
          -0.6926160661, -0.8615801910, -1.0000000000}},
        {0.3,
         5,
         {3.7129300000, 3.2743590994, 2.8104493050, 2.2593246210, 1.0990042735, 0.1199699465,
          -0.2396638470, -0.4974510003, -0.7008487112}},
        {1.0,
         2,
         {4.0000000000, 3.5209368044, 3.0098267279, 2.4007641901, 1.1221646357, 0.0623216670,
          -0.3167253606, -0.5816121151, -0.7820044379}},
    };
    for (size_t i = 0; i < sizeof rl / sizeof rl[0]; i++) {
        ntk_model md = littwin(2, rl[i].a, rl[i].L);
        table(&md, NTK_TQ_P, rl[i].v, "ResNet Lambda");
        /* the GP of the output equals the stream covariance (unit readout) */
        table(&md, NTK_TQ_NNGP, rl[i].v, "ResNet NNGP = Lambda");
    }

    /* ---- seed-000 6.1: ResNet m=2, alpha_l = sqrt2/L (alpha = L^-gamma schedule, gamma = 1) */
    static const struct {
        long L;
        double v[9];
    } rs[] = {
        {1,
         {2.8284271247, 2.2663205314, 1.8183098862, 1.3326574422, 0.4501581581, -0.0815561202,
          -0.1816901138, -0.1831692114, 0.0000000000}},
        {2,
         {4.8284271247, 3.7549925539, 2.9935648330, 2.2100941259, 0.8647881696, 0.0679666555,
          -0.1146572465, -0.1834360237, -0.1139668655}},
        {4,
         {7.0140872965, 5.3184626557, 4.2198285159, 3.1332465281, 1.3394899008, 0.2879641806,
          0.0257040977, -0.1042455363, -0.1216523455}},
        {8,
         {8.8390055629, 6.5850715822, 5.2090514350, 3.8822887727, 1.7437975931, 0.4976518369,
          0.1747138464, -0.0001891869, -0.0746493137}},
        {64,
         {11.2085768843, 8.1872384140, 6.4563473866, 4.8312046779, 2.2738995240, 0.7924789845,
          0.3964574698, 0.1687912136, 0.0339345612}},
    };
    for (size_t i = 0; i < sizeof rs / sizeof rs[0]; i++) {
        ntk_model md = littwin(2, M_SQRT2, rs[i].L);
        md.alpha.kind = NTK_ALPHA_POWER;
        md.alpha.gamma = 1.0;
        table(&md, NTK_TQ_NTK, rs[i].v, "ResNet alpha = sqrt2/L");
    }
    /* with alpha = L^-gamma, row l < L must be the network of depth l (its own alpha) */
    {
        ntk_model md = littwin(2, M_SQRT2, 8);
        md.alpha.kind = NTK_ALPHA_POWER;
        md.alpha.gamma = 1.0;
        ntk_theory_result *r = tt_run2(&md, 1.0, 1.0, cos(M_PI / 3));
        if (r) {
            TT_CHECK_TAB(tt_get(r, NTK_TQ_NTK, 4, 0, 1), 3.1332465281, 1e-9, 2e-10);
            TT_CHECK_TAB(tt_get(r, NTK_TQ_NTK, 2, 0, 1), 2.2100941259, 1e-9, 2e-10);
            TT_CHECK_TAB(tt_get(r, NTK_TQ_NTK, 1, 0, 1), 1.3326574422, 1e-9, 2e-10);
            ntk_theory_result_free(r);
        }
    }

    /* ---- seed-000 6.1: DenseNet K^D_L(x,x') */
    static const struct {
        double a;
        long L;
        double v[9];
    } dk[] = {
        {1.0,
         1,
         {1.0000000000, 0.8808427796, 0.7554091649, 0.6089977810, 0.3183098862, 0.1089977810,
          0.0483023837, 0.0148173758, 0.0000000000}},
        {1.0,
         2,
         {1.5000000000, 1.2583377504, 1.0655917055, 0.8621673088, 0.5020092612, 0.2709936920,
          0.2080144989, 0.1740247353, 0.1591549431}},
        {1.0,
         10,
         {2.9289682540, 2.1980489744, 1.8235771162, 1.4938697570, 1.0115620187, 0.7511276794,
          0.6855255049, 0.6510042759, 0.6360919082}},
        {M_SQRT2,
         1,
         {1.4142135624, 1.2456998052, 1.0683098862, 0.8612529214, 0.4501581581, 0.1541461402,
          0.0683098862, 0.0209549338, 0.0000000000}},
        {M_SQRT2,
         2,
         {2.7071067812, 2.2586826239, 1.9099291892, 1.5459632973, 0.9107877153, 0.5100626731,
          0.4018815572, 0.3437095617, 0.3183098862}},
        {M_SQRT2,
         3,
         {3.8856180832, 3.1324765907, 2.6294419557, 2.1357480121, 1.3299091733, 0.8524276173,
          0.7273578058, 0.6607689891, 0.6318398182}},
        {M_SQRT2,
         5,
         {5.9934187070, 4.6244330308, 3.8518709579, 3.1451667784, 2.0735782287, 1.4789541103,
          1.3277112591, 1.2479246153, 1.2134194775}},
        {M_SQRT2,
         10,
         {10.3816894180, 7.5604094047, 6.2494106111, 5.1445896350, 3.6016877365, 2.8031336519,
          2.6058329964, 2.5026445113, 2.4582063198}},
        {0.5,
         3,
         {0.4791666667, 0.3990430681, 0.3374760763, 0.2732326053, 0.1604544115, 0.0883462284,
          0.0686693844, 0.0580405850, 0.0533881290}},
    };
    for (size_t i = 0; i < sizeof dk / sizeof dk[0]; i++) {
        ntk_model md = densenet(dk[i].a, dk[i].L);
        table(&md, NTK_TQ_NTK, dk[i].v, "DenseNet K");
    }
    /* ---- DenseNet Lambda^L(x,x') (pre-activation stream y^L), a = sqrt2 */
    static const struct {
        long L;
        double v[9];
    } dl[] = {
        {2,
         {1.7071067812, 1.5161116317, 1.3263288807, 1.1145321116, 0.7188101692, 0.4517745684,
          0.3769874210, 0.3362309848, 0.3183098862}},
        {10,
         {3.0118935617, 2.7312566632, 2.4922748863, 2.2522297859, 1.8561670936, 1.6183433992,
          1.5552958659, 1.5215446122, 1.5068361908}},
    };
    for (size_t i = 0; i < sizeof dl / sizeof dl[0]; i++) {
        ntk_model md = densenet(M_SQRT2, dl[i].L);
        table(&md, NTK_TQ_P, dl[i].v, "DenseNet Lambda");
    }

    /* ---- vanilla K (W^1..W^L trained) */
    static const struct {
        long L;
        double v[9];
    } vk[] = {
        {1,
         {1, 0.7216878365, 0.5303300859, 0.3333333333, 0, -0.1666666667, -0.1767766953,
          -0.1443375673, 0}},
        {3,
         {3, 1.9111636142, 1.4124108741, 0.9997164869, 0.4555623867, 0.2139699348, 0.1691212228,
          0.1576923280, 0.1919775461}},
        {10,
         {10, 4.8434628876, 3.8186477721, 3.2107047966, 2.6078411960, 2.3775268482, 2.3287146776,
          2.3056347031, 2.3011382114}},
    };
    for (size_t i = 0; i < sizeof vk / sizeof vk[0]; i++) {
        ntk_model md = vanilla(vk[i].L);
        table(&md, NTK_TQ_NTK, vk[i].v, "vanilla K");
    }

    /* ---- seed-000 6.1 / 3.4-3.5: DenseNet diagonal closed forms (Lambda^L, K^D_L) and the
     * digamma form K = alpha Lambda [psi(L + alpha) - psi(alpha)] = alpha Lambda sum 1/(j+alpha) */
    static const struct {
        double a;
        long L;
        double lam, K;
    } dd[] = {
        {0.5, 1, 0.5, 0.5},
        {0.5, 2, 0.375, 0.5},
        {0.5, 3, 0.3125, 0.4791666667},
        {0.5, 10, 0.1761970520, 0.3758733356},
        {0.5, 100, 0.0563484790, 0.1850676869},
        {1.0, 10, 1.0, 2.9289682540},
        {1.0, 100, 1.0, 5.1873775176},
        {M_SQRT2, 3, 1.9428090416, 3.8856180832},
        {M_SQRT2, 10, 3.0118935617, 10.3816894180},
        {M_SQRT2, 100, 7.6203803774, 50.2328642105},
        {2.0, 10, 11.0, 44.4373015873},
        {2.0, 100, 101.0, 847.8502585632},
    };
    printf("-- DenseNet diagonal closed forms\n");
    for (size_t i = 0; i < sizeof dd / sizeof dd[0]; i++) {
        ntk_model md = densenet(dd[i].a, dd[i].L);
        ntk_theory_result *r = tt_run2(&md, 1.0, 1.0, 0.3);
        if (!r) continue;
        TT_CHECK_TAB(tt_get(r, NTK_TQ_P, dd[i].L, 0, 0), dd[i].lam, 1e-9, 2e-10);
        TT_CHECK_TAB(tt_get(r, NTK_TQ_NTK, dd[i].L, 0, 0), dd[i].K, 1e-9, 2e-10);
        /* closed forms themselves, at every depth of the run */
        double lam = 1.0, h = 0.0;
        for (long l = 1; l <= dd[i].L; l++) {
            lam *= (l - 1 + dd[i].a) / l;
            h += 1.0 / (l - 1 + dd[i].a);
            CHECK_REL(tt_get(r, NTK_TQ_P, l, 0, 0), lam, 1e-12);
            CHECK_REL(tt_get(r, NTK_TQ_NTK, l, 0, 0), dd[i].a * lam * h, 1e-12);
        }
        ntk_theory_result_free(r);
    }

    /* ---- seed-000 3.5: DenseNet per-matrix terms E||J_{W^{l,h}}||^2 = (alpha/l) Lambda^h P^l
     * (diagonal), P^L = 1, P^l = (alpha/L) prod_{j=l+1}^{L-1} (1 + alpha/j): the gradient
     * second moment chi at row l is P^l, block l's NTK share sum_h (alpha/l) Lambda^h P^l =
     * Lambda^l P^l and its mean per-entry squared gradient P^l (1/l) sum_h Lambda^h = P^l
     * Lambda^l / alpha; the shares sum to K^D_L (eq. 82). */
    printf("-- DenseNet per-matrix terms\n");
    {
        const double a = M_SQRT2;
        const long L = 12;
        ntk_model md = densenet(a, L);
        ntk_theory_result *r = tt_run2(&md, 1.0, 1.0, 0.4);
        if (r) {
            double P = 1.0, sum = 0.0;
            for (long l = L; l >= 1; l--) {
                if (l < L) P = (l == L - 1) ? a / L : P * (1 + a / (l + 1));
                double lam = tt_get(r, NTK_TQ_P, l, 0, 0);
                CHECK_REL(tt_get(r, NTK_TQ_CHI, l, 0, 0), P, 1e-13);
                CHECK_REL(tt_get(r, NTK_TQ_NTK_LAYER, l, NTK_GROUP_W, 0), lam * P, 1e-13);
                CHECK_REL(tt_get(r, NTK_TQ_CHI_GROUP, l, NTK_GROUP_W, 0), P * lam / a, 1e-13);
                for (int p = 0; p < 3; p++)
                    sum += p == 1 ? tt_get(r, NTK_TQ_NTK_LAYER, l, NTK_GROUP_W, p) : 0.0;
            }
            CHECK_REL(sum, tt_get(r, NTK_TQ_NTK, L, 0, 1), 1e-13);
            ntk_theory_result_free(r);
        }
    }

    /* ---- seed-000 3.3: ResNet diagonal closed form K = m sum_l alpha prod_{j!=l}(1+alpha),
     * Lambda(x,x) = prod (1 + alpha); L = 1, m = 2: K = alpha (cos t kappa0 + kappa1) */
    printf("-- ResNet closed forms\n");
    for (int m = 1; m <= 3; m++)
        for (long L = 1; L <= 12; L += 11) {
            double a = 0.37;
            ntk_model md = littwin(m, a, L);
            ntk_theory_result *r = tt_run2(&md, 1.0, 1.0, 0.2);
            if (!r) continue;
            CHECK_REL(tt_get(r, NTK_TQ_NTK, L, 0, 0), m * L * a * pow(1 + a, (double)(L - 1)),
                      1e-12);
            CHECK_REL(tt_get(r, NTK_TQ_P, L, 0, 0), pow(1 + a, (double)L), 1e-12);
            if (m == 1) /* linear branch: normalised kernel is exactly cos t */
                CHECK_REL(tt_get(r, NTK_TQ_NTK_NORM, L, 0, 1), 0.2, 1e-12);
            ntk_theory_result_free(r);
        }
    {
        double a = 0.3, c = cos(M_PI / 3), th = M_PI / 3;
        double k0 = (M_PI - th) / M_PI, k1 = (sin(th) + (M_PI - th) * c) / M_PI;
        ntk_model md = littwin(2, a, 1);
        ntk_theory_result *r = tt_run2(&md, 1.0, 1.0, c);
        if (r) {
            CHECK_REL(tt_get(r, NTK_TQ_NTK, 1, 0, 1), a * (c * k0 + k1), 1e-13);
            ntk_theory_result_free(r);
        }
    }

    /* ---- seed-000 3.6: vanilla K(x,x')/L at L = 1000 (4 digits) */
    printf("-- vanilla depth 1000\n");
    {
        const double ang[3] = {M_PI / 4, M_PI / 2, M_PI}, want[3] = {0.2537, 0.2525, 0.2523};
        for (int t = 0; t < 3; t++) {
            ntk_model md = vanilla(1000);
            ntk_theory_result *r = tt_run2(&md, 1.0, 1.0, cos(ang[t]));
            if (!r) continue;
            CHECK_ABS(tt_get(r, NTK_TQ_NTK_AVG, 1000, 0, 1), want[t], 6e-5);
            CHECK_REL(tt_get(r, NTK_TQ_NTK, 1000, 0, 0), 1000.0, 1e-12);
            ntk_theory_result_free(r);
        }
    }

    /* ---- seed-000 3.7: ResNet alpha = c/L, m = 2, c = sqrt2, L = 16384 (6 decimals) */
    printf("-- ResNet alpha = sqrt2/L at L = 16384\n");
    {
        const double ang[5] = {0, M_PI / 4, M_PI / 2, 3 * M_PI / 4, M_PI};
        const double K[5] = {11.632315, 6.675564, 2.369034, 0.438693, 0.058016};
        const double lam[5] = {4.112999, 3.146459, 1.360105, -0.032375, -0.521337};
        for (int t = 0; t < 5; t++) {
            ntk_model md = littwin(2, M_SQRT2 / 16384.0, 16384);
            ntk_theory_result *r = tt_run2(&md, 1.0, 1.0, cos(ang[t]));
            if (!r) continue;
            CHECK_ABS(tt_get(r, NTK_TQ_NTK, 16384, 0, 1), K[t], 1.5e-6);
            CHECK_ABS(tt_get(r, NTK_TQ_P, 16384, 0, 1), lam[t], 1.5e-6);
            ntk_theory_result_free(r);
        }
    }

    /* ---- seed-000 3.7: DenseNet alpha = sqrt2, normalised kernel at t = pi/2 (4 digits) */
    printf("-- DenseNet normalised kernel\n");
    {
        const long Ls[3] = {10, 100, 1000};
        const double want[3] = {0.3469, 0.3386, 0.3283};
        ntk_model md = densenet(M_SQRT2, 1000);
        ntk_theory_result *r = tt_run2(&md, 1.0, 1.0, 0.0);
        if (r) {
            for (int i = 0; i < 3; i++)
                CHECK_ABS(tt_get(r, NTK_TQ_NTK_NORM, Ls[i], 0, 1), want[i], 6e-5);
            ntk_theory_result_free(r);
        }
    }
    return check_summary("theory.seed000");
}
