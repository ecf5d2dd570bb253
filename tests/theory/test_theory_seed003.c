/* test_theory_seed003.c - goldens of Huang, Wang, Tao, Zhao, "Why Do Deep Residual Networks
 * Generalize Better than Deep Feedforward Networks?" (spec seed-003, sections 3, 4.2, 8.1-8.6, 9).
 *
 * Mapping (docs/architectures.md): FFNet (eq. 4) = ff with sigma_w = sqrt 2, no bias, readout
 * sigma_out = 1 untrained (trained = {W}); ResNet (eq. 5) = resnet with a linear stem
 * (sigma_in = 1, A untrained), sigma_w = sqrt 2, sigma_v = 1, alpha = L^-gamma (NTK_ALPHA_POWER,
 * value 1) or a constant, trained = {W, V}. K_0 = x.x~ for unit inputs: Gram [[1, rho], [rho, 1]].
 * Omega_L = ntk at row L; Omega_bar_L = ntk_norm (= ntk_avg for the FFNet, whose diagonal is L);
 * the GP K_L = stream covariance p at row L.
 */
#include "theory_test.h"

static ntk_model ffnet(long L)
{
    ntk_model m;
    ntk_model_default(&m);
    m.sigma_w = M_SQRT2;
    m.trained = NTK_GROUP_BIT(NTK_GROUP_W);
    m.depth = L;
    return m;
}

/* gamma < 0: constant alpha = a; otherwise alpha = L^-gamma (a ignored). */
static ntk_model huang_resnet(long L, double gamma, double a)
{
    ntk_model m;
    ntk_model_default(&m);
    m.arch = NTK_ARCH_RESNET;
    m.sigma_w = M_SQRT2;
    m.sigma_v = 1.0;
    if (gamma < 0) {
        m.alpha.kind = NTK_ALPHA_CONST;
        m.alpha.value = a;
    } else {
        m.alpha.kind = NTK_ALPHA_POWER;
        m.alpha.value = 1.0;
        m.alpha.gamma = gamma;
    }
    m.trained = NTK_GROUP_BIT(NTK_GROUP_W) | NTK_GROUP_BIT(NTK_GROUP_V);
    m.depth = L;
    return m;
}

/* Large-depth alpha = L^-gamma runs use the equivalent constant alpha (row L only is needed; the
 * power schedule recomputes every shallower row, O(L^2)). */
static ntk_model huang_resnet_at(long L, double gamma)
{
    return huang_resnet(L, -1.0, pow((double)L, -gamma));
}

static double sh(double r)
{
    return (sqrt(1 - r * r) + (M_PI - acos(r)) * r) / M_PI;
}

static double shp(double r)
{
    return (M_PI - acos(r)) / M_PI;
}

int main(void)
{
    /* ---- 8.1 dual functions: Omega_bar_1 of both networks (15 digits) */
    printf("-- 8.1\n");
    {
        static const double rho[6] = {-1, -0.5, 0, 0.5, 0.70710678118654752, 1};
        static const double shv[6] = {
            0, 0.108997781044229, 0.318309886183791, 0.608997781044229, 0.755409164929187, 1};
        static const double res1[6] = {
            0, -0.028834442811219, 0.159154943091895, 0.471165557188781, 0.642869625409549, 1};
        static const double ff1[6] = {0, -1.0 / 6, 0, 1.0 / 3, 0.530330085889911, 1};
        for (int i = 0; i < 6; i++) {
            CHECK_ABS(sh(rho[i]), shv[i], 1e-14);
            ntk_model m = ffnet(1);
            ntk_theory_result *r = tt_run2(&m, 1, 1, rho[i]);
            if (r) {
                CHECK_ABS(tt_get(r, NTK_TQ_NTK_AVG, 1, 0, 1), ff1[i], 1e-14);
                CHECK_ABS(tt_get(r, NTK_TQ_P, 1, 0, 1), shv[i], 1e-14);
                ntk_theory_result_free(r);
            }
            m = huang_resnet(1, 1.0, 0);
            r = tt_run2(&m, 1, 1, rho[i]);
            if (r) {
                if (i > 0) /* rho = -1: Omega = 0, its normalisation 0/2 alpha^2 is 0 */
                    CHECK_ABS(tt_get(r, NTK_TQ_NTK_NORM, 1, 0, 1), res1[i], 1e-14);
                CHECK_ABS(tt_get(r, NTK_TQ_NTK, 1, 0, 1), 2 * res1[i], 1e-14);
                ntk_theory_result_free(r);
            }
        }
    }

    /* ---- 8.2 FFNet normalised NTK and K_L(rho = 0) */
    printf("-- 8.2 FFNet\n");
    {
        static const long Ls[] = {1, 2, 3, 5, 10, 20, 50, 100, 200, 500, 1000, 2000};
        static const double v[][4] = {
            {-0.166666666666667, 0, 0.333333333333333, 0.318309886183791},
            {-0.0154196260240126, 0.0959887730412855, 0.333786955112389, 0.493731090200372},
            {0.0713233116137809, 0.151854128896546, 0.333238828971436, 0.604825720112945},
            {0.161933503841614, 0.211249923243391, 0.330487786290679, 0.735946350627637},
            {0.237752684815982, 0.260784119599948, 0.321070479661543, 0.871535516021518},
            {0.26650217211284, 0.276944935627293, 0.305532026337256, 0.948428479155985},
            {0.268807349261684, 0.272645081097487, 0.283353110328772, 0.987861944937345},
            {0.263390626807847, 0.265257025766944, 0.270478872022696, 0.996423146683948},
            {0.258412640401454, 0.25933485389829, 0.261916419414625, 0.999015643554027},
            {0.254163149112173, 0.254529851096357, 0.255556473902741, 0.999831726753386},
            {0.252360823746406, 0.25254385904357, 0.253056291976695, 0.999956870267451},
            {0.25131524814832, 0.251406691959473, 0.251662702248071, 0.99998907008534}};
        ntk_model m = ffnet(100000);
        ntk_theory_result *rm = tt_run2(&m, 1, 1, -0.5), *r0 = tt_run2(&m, 1, 1, 0.0),
                          *rp = tt_run2(&m, 1, 1, 0.5), *rn = tt_run2(&m, 1, 1, -1.0);
        if (rm && r0 && rp && rn) {
            for (size_t i = 0; i < sizeof Ls / sizeof Ls[0]; i++) {
                long L = Ls[i];
                CHECK_ABS(tt_get(rm, NTK_TQ_NTK_AVG, L, 0, 1), v[i][0], 1e-12);
                CHECK_ABS(tt_get(r0, NTK_TQ_NTK_AVG, L, 0, 1), v[i][1], 1e-12);
                CHECK_ABS(tt_get(rp, NTK_TQ_NTK_AVG, L, 0, 1), v[i][2], 1e-12);
                CHECK_ABS(tt_get(r0, NTK_TQ_P, L, 0, 1), v[i][3], 1e-12);
                CHECK_REL(tt_get(r0, NTK_TQ_NTK, L, 0, 0), (double)L, 1e-12);
            }
            /* L = 1e4 (10 digits) and 1e5 (mpmath, 13 digits at rho = 0): the carried distance
             * keeps 1 - c exact where a plain covariance recursion drifts (seed-003 3.5) */
            CHECK_ABS(tt_get(rm, NTK_TQ_NTK_AVG, 10000, 0, 1), 0.2503241754, 1e-9);
            CHECK_ABS(tt_get(r0, NTK_TQ_NTK_AVG, 10000, 0, 1), 0.2503424528410, 1e-9);
            CHECK_ABS(tt_get(rp, NTK_TQ_NTK_AVG, 10000, 0, 1), 0.2503936233, 1e-9);
            CHECK_ABS(tt_get(r0, NTK_TQ_S, 10000, 0, 1), 4.4252e-7, 5e-11); /* 1 - K_L */
            CHECK_ABS(tt_get(rm, NTK_TQ_NTK_AVG, 100000, 0, 1), 0.2500410689, 1e-10);
            CHECK_ABS(tt_get(r0, NTK_TQ_NTK_AVG, 100000, 0, 1), 0.2500428964028, 1e-11);
            CHECK_ABS(tt_get(rp, NTK_TQ_NTK_AVG, 100000, 0, 1), 0.2500480127, 1e-10);
            CHECK_ABS(tt_get(r0, NTK_TQ_S, 100000, 0, 1), 4.4394e-9, 5e-14);
            /* rho = -1 edge and rho = 1 (exactly 1) */
            static const long eL[5] = {1, 3, 10, 100, 1000};
            static const double ev[5] = {0, 0.0639925, 0.2301138, 0.2627040, 0.2522935};
            for (int i = 0; i < 5; i++)
                CHECK_ABS(tt_get(rn, NTK_TQ_NTK_AVG, eL[i], 0, 1), ev[i], 6e-8);
            CHECK_ABS(tt_get(rn, NTK_TQ_NTK_AVG, 2, 0, 1), 0.0, 1e-15);
            /* Thm-5 quantity (Omega_bar - 1/4) L / log L at rho = 0 */
            static const long tL[4] = {100, 1000, 10000, 100000};
            static const double tv[4] = {0.33130, 0.36826, 0.37181, 0.37259};
            for (int i = 0; i < 4; i++)
                CHECK_ABS((tt_get(r0, NTK_TQ_NTK_AVG, tL[i], 0, 1) - 0.25) * tL[i] / log(tL[i]),
                          tv[i], i < 3 ? 6e-6 : 3e-3);
        }
        ntk_theory_result_free(rm);
        ntk_theory_result_free(r0);
        ntk_theory_result_free(rp);
        ntk_theory_result_free(rn);
        ntk_model m1 = ffnet(5);
        ntk_theory_result *r1 = tt_run2(&m1, 1, 1, 1.0);
        if (r1) {
            for (long l = 1; l <= 5; l++)
                CHECK_ABS(tt_get(r1, NTK_TQ_NTK_AVG, l, 0, 1), 1.0, 1e-14);
            ntk_theory_result_free(r1);
        }
    }
    /* Fig 3(b) grid: |Omega_bar_L - 1/4| L / log L (5 decimals) and Omega_bar at L = 1e4 */
    printf("-- 8.2 Fig 3(b)\n");
    {
        static const double g[9][4] = {
            {0.08094, 0.27928, 0.33425, 0.34634}, {0.06458, 0.28613, 0.33873, 0.34970},
            {0.03946, 0.29633, 0.34540, 0.35469}, {0.00368, 0.31077, 0.35484, 0.36176},
            {0.04683, 0.33130, 0.36826, 0.37181}, {0.11966, 0.36150, 0.38801, 0.38660},
            {0.22997, 0.40909, 0.41914, 0.40992}, {0.41329, 0.49455, 0.47509, 0.45182},
            {0.78401, 0.70110, 0.61068, 0.55337}};
        static const double o4[9] = {0.2503189902, 0.2503220824, 0.2503266801,
                                     0.2503331933, 0.2503424528, 0.2503560755,
                                     0.2503775502, 0.2504161438, 0.2505096721};
        static const long Ls[4] = {10, 100, 1000, 10000};
        ntk_model m = ffnet(10000);
        for (int i = 0; i < 9; i++) {
            ntk_theory_result *r = tt_run2(&m, 1, 1, -0.8 + 0.2 * i);
            if (!r) continue;
            for (int j = 0; j < 4; j++)
                CHECK_ABS(fabs(tt_get(r, NTK_TQ_NTK_AVG, Ls[j], 0, 1) - 0.25) * Ls[j] / log(Ls[j]),
                          g[i][j], 6e-6);
            CHECK_ABS(tt_get(r, NTK_TQ_NTK_AVG, 10000, 0, 1), o4[i], 1e-9);
            ntk_theory_result_free(r);
        }
    }

    /* ---- 8.3 ResNet literal small cases (unnormalised and normalised, 15 digits) */
    printf("-- 8.3 ResNet small cases\n");
    {
        static const struct {
            double rho;
            long L;
            double a, om, omb;
        } sc[] = {
            {0, 2, 0.5, 0.209899337043441, 0.167919469634752},
            {0, 2, M_SQRT1_2, 0.523984036842947, 0.174661345614316},
            {0, 2, 1, 1.47286378891889, 0.184107973614862},
            {0, 5, 0.2, 0.077339167472644, 0.165274611215915},
            {0, 5, 0.44721359549995794, 0.768639288012168, 0.185339334493675},
            {0, 5, 1, 37.1012699276298, 0.231882937047686},
            {0, 10, 0.1, 0.0355824112415018, 0.162672078202935},
            {0, 10, 0.31622776601683794, 0.891656225971899, 0.18907464092084},
            {0, 10, 1, 2736.53620964989, 0.267239864223622},
            {0.5, 5, 0.2, 0.217889305033258, 0.465631727807457},
            {0.5, 5, 0.44721359549995794, 1.86474350580125, 0.449639155526922},
            {0.5, 10, 0.1, 0.102349382781524, 0.467910583317611},
            {0.5, 10, 0.31622776601683794, 2.09921785122424, 0.445136645574602},
            {-0.5, 5, 0.2, -0.00738363041363301, -0.0157788955564701},
            {-0.5, 5, 0.44721359549995794, 0.119438407642206, 0.0287997703612572},
            {-0.5, 10, 0.1, -0.00467775924629348, -0.0213853078354631},
            {-0.5, 10, 1, 2140.08083152186, 0.208992268703306},
        };
        for (size_t i = 0; i < sizeof sc / sizeof sc[0]; i++) {
            ntk_model m = huang_resnet(sc[i].L, -1, sc[i].a);
            ntk_theory_result *r = tt_run2(&m, 1, 1, sc[i].rho);
            if (!r) continue;
            CHECK_REL(tt_get(r, NTK_TQ_NTK, sc[i].L, 0, 1), sc[i].om, 1e-13);
            CHECK_REL(tt_get(r, NTK_TQ_NTK_NORM, sc[i].L, 0, 1), sc[i].omb, 1e-13);
            double a2 = sc[i].a * sc[i].a;
            CHECK_REL(tt_get(r, NTK_TQ_NTK, sc[i].L, 0, 0),
                      2 * sc[i].L * a2 * pow(1 + a2, sc[i].L - 1.0), 1e-13);
            ntk_theory_result_free(r);
        }
        static const struct {
            double rho;
            long L;
            double a, k, d;
        } gp[] = {{0, 5, 0.2, 0.0716972436188, 1.2166529024},
                  {0.5, 5, 0.44721359549995794, 1.44706934335, 2.48832},
                  {0, 10, 0.1, 0.0340524314097, 1.10462212541},
                  {0, 10, 0.31622776601683794, 0.620559653473, 2.59374246010}};
        for (int i = 0; i < 4; i++) {
            ntk_model m = huang_resnet(gp[i].L, -1, gp[i].a);
            ntk_theory_result *r = tt_run2(&m, 1, 1, gp[i].rho);
            if (!r) continue;
            CHECK_REL(tt_get(r, NTK_TQ_P, gp[i].L, 0, 1), gp[i].k, 1e-11);
            CHECK_REL(tt_get(r, NTK_TQ_P, gp[i].L, 0, 0), gp[i].d, 1e-11);
            CHECK_REL(tt_get(r, NTK_TQ_NNGP, gp[i].L, 0, 1), gp[i].k, 1e-11);
            ntk_theory_result_free(r);
        }
    }

    /* ---- 8.4 ResNet gamma = 1 (alpha = 1/L) */
    printf("-- 8.4 gamma = 1\n");
    {
        static const long Ls[] = {1, 2, 5, 10, 20, 50, 100, 300, 1000, 2000, 10000, 100000};
        static const double v[][3] = {{-0.028834442811219, 0.159154943091895, 0.471165557188781},
                                      {-0.010157130586899, 0.167919469634752, 0.464181894072549},
                                      {-0.015778895556470, 0.165274611215915, 0.465631727807457},
                                      {-0.021385307835463, 0.162672078202935, 0.467910583317611},
                                      {-0.024889091311181, 0.161028804557565, 0.469419742095129},
                                      {-0.027205086528060, 0.159932220085856, 0.470439706366592},
                                      {-0.028011400854025, 0.159548205895606, 0.470798133842432},
                                      {-0.028558254, 0.159287058, 0.471042092},
                                      {-0.028751393816325, 0.159194685582570, 0.471128414248484},
                                      {-0.028792897738515, 0.159174825898509, 0.471146974651198},
                                      {-0.028826130506439, 0.159158921503031, 0.471161838911595},
                                      {-0.028833611506700, 0.159155340974058, 0.471165185321413}};
        const double rho[3] = {-0.5, 0, 0.5};
        for (size_t i = 0; i < sizeof Ls / sizeof Ls[0]; i++)
            for (int j = 0; j < 3; j++) {
                long L = Ls[i];
                ntk_model m = L <= 100 ? huang_resnet(L, 1.0, 0) : huang_resnet_at(L, 1.0);
                ntk_theory_result *r = tt_run2(&m, 1, 1, rho[j]);
                if (!r) continue;
                CHECK_ABS(tt_get(r, NTK_TQ_NTK_NORM, L, 0, 1), v[i][j], L == 300 ? 6e-10 : 1e-12);
                ntk_theory_result_free(r);
            }
        /* the power schedule: every row l of a depth-100 run is the network of depth l */
        ntk_model m = huang_resnet(100, 1.0, 0);
        ntk_theory_result *r = tt_run2(&m, 1, 1, 0.0);
        if (r) {
            for (size_t i = 0; i < 7; i++)
                CHECK_ABS(tt_get(r, NTK_TQ_NTK_NORM, Ls[i], 0, 1), v[i][1], 2e-13);
            ntk_theory_result_free(r);
        }
        /* unnormalised Omega_L (Fig 3(a)) and the diagonal 2 L alpha^2 (1 + alpha^2)^(L-1) */
        static const long uL[4] = {5, 10, 100, 300};
        static const double u[3][4] = {
            {-7.3836304136e-03, -4.6777592463e-03, -5.6580153919e-04, -1.9102192083e-04},
            {7.7339167473e-02, 3.5582411242e-02, 3.2227099581e-03, 1.0654474829e-03},
            {2.1788930503e-01, 1.0234938278e-01, 9.5096389561e-03, 3.1507306162e-03}};
        static const double ud[4] = {0.467943424, 0.2187370545, 0.02019897335, 0.006688851523};
        for (int i = 0; i < 4; i++)
            for (int j = 0; j < 3; j++) {
                ntk_model mm = huang_resnet_at(uL[i], 1.0);
                ntk_theory_result *rr = tt_run2(&mm, 1, 1, rho[j]);
                if (!rr) continue;
                CHECK_REL(tt_get(rr, NTK_TQ_NTK, uL[i], 0, 1), u[j][i], 1e-10);
                CHECK_REL(tt_get(rr, NTK_TQ_NTK, uL[i], 0, 0), ud[i], 1e-9);
                ntk_theory_result_free(rr);
            }
        /* Fig 3(c) grid |Omega_bar_L - Omega_bar_1| L and the constants C(K0) (4.2(a)) */
        static const double o1[9] = {-0.068373245904, -0.049776386707, -0.001736133037,
                                     0.068758203617,  0.159154943092,  0.268758203617,
                                     0.398263866963,  0.550223613293,  0.731626754096};
        static const double gc[9][4] = {
            {0.030869, 0.025138, 0.024239, 0.024145}, {0.070352, 0.076495, 0.077039, 0.077093},
            {0.072904, 0.081150, 0.081956, 0.082036}, {0.058533, 0.065503, 0.066196, 0.066265},
            {0.035171, 0.039326, 0.039742, 0.039784}, {0.007644, 0.008362, 0.008440, 0.008448},
            {0.020028, 0.022719, 0.022975, 0.023000}, {0.043238, 0.048670, 0.049189, 0.049241},
            {0.054066, 0.060584, 0.061202, 0.061264}};
        static const double Cr[9] = {0.02413456, 0.07709879,  0.08204486,  0.06627236, 0.03978874,
                                     0.00844859, -0.02300309, -0.04924668, -0.06127072};
        static const long cL[4] = {10, 100, 1000, 10000};
        for (int i = 0; i < 9; i++) {
            double K0 = -0.8 + 0.2 * i;
            double ob1 = 0.5 * (sh(K0) + K0 * shp(K0));
            CHECK_ABS(ob1, o1[i], 6e-13);
            /* C(rho) formula of 4.2(a) */
            double C = 0.25 * ((sh(K0) - K0) * (2 * shp(K0) + K0 / (M_PI * sqrt(1 - K0 * K0))) -
                               (1 - shp(K0)) * (sh(K0) + K0 * shp(K0)));
            CHECK_ABS(C, Cr[i], 6e-9);
            for (int j = 0; j < 4; j++) {
                ntk_model mm = huang_resnet_at(cL[j], 1.0);
                ntk_theory_result *rr = tt_run2(&mm, 1, 1, K0);
                if (!rr) continue;
                double d = tt_get(rr, NTK_TQ_NTK_NORM, cL[j], 0, 1) - ob1;
                CHECK_ABS(fabs(d) * cL[j], gc[i][j], 6e-7);
                if (j == 3) CHECK_ABS(d * cL[j], Cr[i], 1e-4);
                ntk_theory_result_free(rr);
            }
        }
        CHECK_REL(0.25 * ((sh(0) - 0) * 2 * shp(0) - (1 - shp(0)) * sh(0)), 1 / (8 * M_PI), 1e-14);
        /* antipodal inputs: O(L^-1/2) convergence, Omega_bar_L(-1) */
        static const long aL[4] = {100, 1000, 10000, 100000};
        static const double av[4] = {-0.0146702, -0.00473440, -0.00150019, -0.000474498};
        for (int i = 0; i < 4; i++) {
            ntk_model mm = huang_resnet_at(aL[i], 1.0);
            ntk_theory_result *rr = tt_run2(&mm, 1, 1, -1.0);
            if (!rr) continue;
            CHECK_REL(tt_get(rr, NTK_TQ_NTK_NORM, aL[i], 0, 1), av[i], 1e-5);
            ntk_theory_result_free(rr);
        }
    }

    /* ---- 8.5 ResNet gamma = 0.5 (alpha = 1/sqrt L) and the ODE limit of 4.2(b) */
    printf("-- 8.5 gamma = 0.5\n");
    {
        static const long Ls[7] = {1, 2, 5, 10, 100, 1000, 10000};
        static const double v[11][8] = {
            {-0.0683732459, -0.0437456910, -0.0219108868, -0.0131101467, -0.0044446842,
             -0.0035373407, -0.0034461887, -0.00343605605410},
            {-0.0497763867, -0.0166321056, 0.0082505605, 0.0175973025, 0.0265152952, 0.0274345568,
             0.0275267626, NAN},
            {-0.0288344428, 0.0044374804, 0.0287997704, 0.0378235993, 0.0463702423, 0.0472477253,
             0.0473357044, 0.0473454824178},
            {-0.0017361330, 0.0299625685, 0.0528587935, 0.0612617326, 0.0691770748, 0.0699872222,
             0.0700684233, NAN},
            {0.0687582036, 0.0938126883, 0.1116231552, 0.1180626093, 0.1240650466, 0.1246754574,
             0.1247365956, NAN},
            {0.1591549431, 0.1746613456, 0.1853393345, 0.1890746409, 0.1924699133, 0.1928096432,
             0.1928436085, 0.192847382320458},
            {0.2687582036, 0.2733737796, 0.2757119433, 0.2762493012, 0.2765457105, 0.2765629088,
             0.2765644881, NAN},
            {0.3982638670, 0.3920414462, 0.3857252287, 0.3828650211, 0.3798285520, 0.3794966010,
             0.3794630981, NAN},
            {0.4711655572, 0.4600370737, 0.4496391555, 0.4451366456, 0.4404673358, 0.4399630824,
             0.4399122537, 0.439906601498435},
            {0.5502236133, 0.5348833788, 0.5208547759, 0.5148587213, 0.5086858011, 0.5080217953,
             0.5079548913, NAN},
            {0.7316267541, 0.7118202682, 0.6935484741, 0.6856963170, 0.6775876915, 0.6767140154,
             0.6766259700, 0.676616179468}};
        static const double K0[11] = {-0.8, -0.6, -0.5, -0.4, -0.2, 0, 0.2, 0.4, 0.5, 0.6, 0.8};
        for (int i = 0; i < 11; i++)
            for (int j = 0; j < 7; j++) {
                long L = Ls[j];
                ntk_model m = L <= 10 ? huang_resnet(L, 0.5, 0) : huang_resnet_at(L, 0.5);
                ntk_theory_result *r = tt_run2(&m, 1, 1, K0[i]);
                if (!r) continue;
                double ob = tt_get(r, NTK_TQ_NTK_NORM, L, 0, 1);
                CHECK_ABS(ob, v[i][j], 6e-11);
                /* O(1/L) approach to the ODE limit */
                if (L == 10000 && !isnan(v[i][7]))
                    CHECK(fabs(ob - v[i][7]) < 1e-4 && fabs(ob - v[i][7]) > 1e-7);
                ntk_theory_result_free(r);
            }
        /* gamma = 0.5 diagonal tends to 2e (the paper's "-> 0" holds only for gamma > 1/2) */
        ntk_model m = huang_resnet_at(100000, 0.5);
        ntk_theory_result *r = tt_run2(&m, 1, 1, 0.0);
        if (r) {
            CHECK_REL(tt_get(r, NTK_TQ_NTK, 100000, 0, 0), 2 * pow(1 + 1e-5, 99999.0), 1e-10);
            CHECK_ABS(tt_get(r, NTK_TQ_NTK, 100000, 0, 0), 2 * M_E, 1e-4);
            ntk_theory_result_free(r);
        }
    }

    /* ---- 8.6 fixed-alpha ResNet at rho = 0 degenerates to 1/4 (10 decimals) */
    printf("-- 8.6 fixed alpha\n");
    {
        static const long Ls[8] = {1, 2, 5, 10, 100, 1000, 10000, 100000};
        static const double a[3] = {1, 0.5, 0.1};
        static const double v[3][8] = {{0.1591549431, 0.1841079736, 0.2318829370, 0.2672398642,
                                        0.2745255797, 0.2539413715, 0.2504883757, 0.2500575524},
                                       {0.1591549431, 0.1679194696, 0.1904036065, 0.2178146973,
                                        0.2799633576, 0.2568709939, 0.2508235335, 0.2500915196},
                                       {0.1591549431, 0.1595508670, 0.1607309308, 0.1626720782,
                                        0.1924699133, 0.2720608088, 0.2605235607, 0.2512584654}};
        for (int k = 0; k < 3; k++) {
            ntk_model m = huang_resnet(100000, -1, a[k]);
            ntk_theory_result *r = tt_run2(&m, 1, 1, 0.0);
            if (!r) continue;
            for (int j = 0; j < 8; j++)
                CHECK_ABS(tt_get(r, NTK_TQ_NTK_NORM, Ls[j], 0, 1), v[k][j], j < 7 ? 6e-11 : 2e-9);
            /* the unnormalised NTK overflows for alpha = 1 (2 L 2^(L-1)); its log stays finite */
            if (k == 0) {
                CHECK(isinf(tt_get(r, NTK_TQ_NTK, 100000, 0, 0)));
                CHECK_REL(tt_get(r, NTK_TQ_LOG_NTK, 100000, 0, 0), log(2e5) + 99999 * M_LN2, 1e-13);
                CHECK(r->n_nonfinite > 0);
            }
            ntk_theory_result_free(r);
        }
    }

    /* ---- 9: sigma_w invariances (ReLU, no bias) */
    printf("-- 9 invariances\n");
    {
        for (int i = 0; i < 3; i++) {
            double sw = 0.6 + 0.7 * i;
            ntk_model m = ffnet(7), m2 = ffnet(7);
            m.sigma_w = sw;
            ntk_theory_result *r = tt_run2(&m, 1, 1, 0.3), *r2 = tt_run2(&m2, 1, 1, 0.3);
            if (r && r2) {
                for (long l = 1; l <= 7; l++) {
                    CHECK_REL(tt_get(r, NTK_TQ_NTK_NORM, l, 0, 1),
                              tt_get(r2, NTK_TQ_NTK_NORM, l, 0, 1), 1e-13);
                    CHECK_REL(tt_get(r, NTK_TQ_NTK, l, 0, 0), l * pow(sw * sw / 2, (double)l),
                              1e-13);
                }
            }
            ntk_theory_result_free(r);
            ntk_theory_result_free(r2);
            /* ResNet(alpha, sigma_w) == ResNet(alpha sigma_w / sqrt2, sqrt2), NTK and GP */
            ntk_model a = huang_resnet(6, -1, 0.4), b = huang_resnet(6, -1, 0.4 * sw / M_SQRT2);
            a.sigma_w = sw;
            r = tt_run2(&a, 1, 1, -0.3);
            r2 = tt_run2(&b, 1, 1, -0.3);
            if (r && r2)
                for (int p = 0; p < 3; p++) {
                    CHECK_REL(tt_get(r, NTK_TQ_NTK, 6, 0, p), tt_get(r2, NTK_TQ_NTK, 6, 0, p),
                              1e-13);
                    CHECK_REL(tt_get(r, NTK_TQ_P, 6, 0, p), tt_get(r2, NTK_TQ_P, 6, 0, p), 1e-13);
                }
            ntk_theory_result_free(r);
            ntk_theory_result_free(r2);
        }
    }
    return check_summary("theory.seed003");
}
