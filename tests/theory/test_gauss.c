/* test_gauss.c - Gaussian expectations: spec goldens, closed forms vs independent quadrature,
 * invariances (symmetry, diagonal, Price's identity dT/dq12 = Tdot), edge cases.
 *
 * Usage: test_gauss [group], group one of golden, closed, quad, ident, edge (default: all).
 * The independent references below (2-D trapezoid in Cholesky coordinates with direct evaluation
 * of phi, nested GSL adaptive integration) share no code with src/theory/gauss.c.
 */
#include "check.h"
#include "ntksweep/gauss.h"

#include <gsl/gsl_errno.h>
#include <gsl/gsl_integration.h>
#include <math.h>
#include <string.h>

static const ntk_act RELU = {NTK_ACT_RELU, 1.0}, TANH = {NTK_ACT_TANH, 0.0},
                     ERF = {NTK_ACT_ERF, 0.0}, IDENT = {NTK_ACT_IDENTITY, 0.0},
                     GELU = {NTK_ACT_GELU, 0.0}, SWISH = {NTK_ACT_SWISH, 0.0};

static ntk_act alpha_relu(double a)
{
    ntk_act r = {NTK_ACT_ALPHA_RELU, a};
    return r;
}

static ntk_gauss_val P(const ntk_act *a, double q1, double q2, double c)
{
    return ntk_gauss_pair(a, 1.0, q1, q2, c * sqrt(q1) * sqrt(q2));
}

/* ------------------------------------------------------------------ independent references */

static void phi_ref(ntk_act_kind k, double x, double *y, double *d)
{
    switch (k) {
    case NTK_ACT_TANH: {
        double s = 1.0 / cosh(x);
        *y = tanh(x);
        *d = s * s;
        return;
    }
    case NTK_ACT_ERF:
        *y = erf(x);
        *d = M_2_SQRTPI * exp(-x * x);
        return;
    case NTK_ACT_GELU: {
        double P = 0.5 * erfc(-x / M_SQRT2), p = exp(-0.5 * x * x) / sqrt(2.0 * M_PI);
        *y = x * P;
        *d = P + x * p;
        return;
    }
    default: { /* swish */
        double s = 1.0 / (1.0 + exp(-x));
        *y = x * s;
        *d = s + x * s * (1.0 - s);
        return;
    }
    }
}

/* 2-D trapezoid in (z1, z2), u = a1 z1, v = a2 (c z1 + s z2), step h on [-10, 10]^2 (spectrally
 * accurate for the analytic activations when h sqrt(q) is small; O(N^2) direct evaluations). */
static ntk_gauss_val trap2d(ntk_act_kind k, double q1, double q2, double c, double h)
{
    double a1 = sqrt(q1), a2 = sqrt(q2), s = sqrt(fmax(0.0, 1.0 - c * c)), T = 0, D = 0;
    int n = (int)ceil(10.0 / h);
    for (int i = -n; i <= n; i++) {
        double z1 = i * h, w1 = exp(-0.5 * z1 * z1), y1, d1, sy = 0, sd = 0;
        phi_ref(k, a1 * z1, &y1, &d1);
        for (int j = -n; j <= n; j++) {
            double z2 = j * h, w2 = exp(-0.5 * z2 * z2), y2, d2;
            phi_ref(k, a2 * (c * z1 + s * z2), &y2, &d2);
            sy += w2 * y2;
            sd += w2 * d2;
        }
        T += w1 * y1 * sy;
        D += w1 * d1 * sd;
    }
    ntk_gauss_val r = {T * h * h / (2 * M_PI), D * h * h / (2 * M_PI)};
    return r;
}

/* Nested adaptive GSL integration of the conditional form E[f(u) E[g(v) | u]] with breakpoints
 * at the transitions (works for large variances where the trapezoid above would be too big). */
typedef struct {
    ntk_act_kind k;
    double kap, sig, u;
    int which;
    gsl_integration_workspace *wi;
    double a1;
} nest_ctx;

static double nest_inner(double w, void *vp)
{
    nest_ctx *c = vp;
    double y, d;
    phi_ref(c->k, c->kap * c->u + c->sig * w, &y, &d);
    return (c->which ? d : y) * exp(-0.5 * w * w) / sqrt(2 * M_PI);
}

static double nest_outer(double z, void *vp)
{
    nest_ctx *c = vp;
    double u = c->a1 * z, y, d, r, e;
    phi_ref(c->k, u, &y, &d);
    c->u = u;
    double w0 = -c->kap * u / c->sig, dw = 1.0 / c->sig, pts[9];
    int np = 0;
    pts[np++] = -12;
    double cand[5] = {w0 - 25 * dw, w0 - dw, w0, w0 + dw, w0 + 25 * dw};
    for (int i = 0; i < 5; i++)
        if (cand[i] > -12 && cand[i] < 12 && cand[i] > pts[np - 1]) pts[np++] = cand[i];
    pts[np++] = 12;
    gsl_function F = {nest_inner, c};
    gsl_integration_qagp(&F, pts, (size_t)np, 1e-300, 1e-13, 2000, c->wi, &r, &e);
    return (c->which ? d : y) * r * exp(-0.5 * z * z) / sqrt(2 * M_PI);
}

static ntk_gauss_val nested(ntk_act_kind k, double q1, double q2, double c)
{
    gsl_integration_workspace *wo = gsl_integration_workspace_alloc(2000),
                              *wi = gsl_integration_workspace_alloc(2000);
    double res[2];
    for (int which = 0; which < 2; which++) {
        nest_ctx ctx = {k, c * sqrt(q2 / q1), sqrt(q2 * (1 - c * c)), 0, which, wi, sqrt(q1)};
        double d = 1.0 / ctx.a1, pts[9], r, e;
        int np = 0;
        pts[np++] = -12;
        double cand[5] = {-25 * d, -d, 0, d, 25 * d};
        for (int i = 0; i < 5; i++)
            if (cand[i] > -12 && cand[i] < 12) pts[np++] = cand[i];
        pts[np++] = 12;
        gsl_function F = {nest_outer, &ctx};
        gsl_integration_qagp(&F, pts, (size_t)np, 1e-300, 1e-13, 2000, wo, &r, &e);
        res[which] = r;
    }
    gsl_integration_workspace_free(wo);
    gsl_integration_workspace_free(wi);
    ntk_gauss_val v = {res[0], res[1]};
    return v;
}

/* ------------------------------------------------------------------ goldens */

static void test_golden(void)
{
    printf("-- goldens\n");
    /* [seed-000 3.1] kappa1, kappa0: V(k) = 2 E[relu relu] = sqrt(ab) kappa1, Vdot = kappa0
     * (multiplier sqrt 2), unit variances */
    const double rho[6] = {0.0, 0.5, -0.5, M_SQRT1_2, 0.9, 1.0};
    const double k1[6] = {0.318309886184, 0.608997781044, 0.108997781044,
                          0.755409164929, 0.909538398845, 1.0};
    const double k0[6] = {0.5, 2.0 / 3.0, 1.0 / 3.0, 0.75, 0.856433706871, 1.0};
    for (int i = 0; i < 6; i++) {
        ntk_gauss_val v = ntk_gauss_pair(&RELU, M_SQRT2, 1.0, 1.0, rho[i]);
        CHECK_REL(v.T, k1[i], 1e-11);
        CHECK_REL(v.Tdot, k0[i], 1e-11);
    }
    ntk_gauss_val v = ntk_gauss_pair(&RELU, M_SQRT2, 1.0, 1.0, -1.0);
    CHECK_ABS(v.T, 0.0, 1e-16);
    CHECK_ABS(v.Tdot, 0.0, 1e-16);
    /* [seed-000 3.1] diagonal V(k)_xx = a, Vdot = 1 for sigma_w^2 = 2 */
    v = ntk_gauss_diag(&RELU, M_SQRT2, 3.7);
    CHECK_REL(v.T, 3.7, 1e-15);
    CHECK_REL(v.Tdot, 1.0, 1e-15);

    /* [seed-003 8.1] sigma_hat, sigma_hat' (normalised ReLU sigma = sqrt2 relu) and the ResNet /
     * FFNet Omega_bar_1 combinations */
    const double r3[5] = {-0.5, 0.0, 0.5, M_SQRT1_2, 1.0};
    const double sh[5] = {0.108997781044229, 0.318309886183791, 0.608997781044229,
                          0.755409164929187, 1.0};
    const double shd[5] = {1.0 / 3.0, 0.5, 2.0 / 3.0, 0.75, 1.0};
    const double om_res[5] = {-0.028834442811219, 0.159154943091895, 0.471165557188781,
                              0.642869625409549, 1.0};
    const double om_ff[5] = {-1.0 / 6.0, 0.0, 1.0 / 3.0, 0.530330085889911, 1.0};
    for (int i = 0; i < 5; i++) {
        v = ntk_gauss_pair(&RELU, M_SQRT2, 1.0, 1.0, r3[i]);
        CHECK_REL(v.T, sh[i], 1e-13);
        CHECK_REL(v.Tdot, shd[i], 1e-13);
        CHECK_REL((v.T + r3[i] * v.Tdot) / 2, om_res[i], 1e-13);
        if (om_ff[i] != 0.0) CHECK_REL(r3[i] * v.Tdot, om_ff[i], 1e-13);
    }

    /* [seed-002 2.1] T = sqrt(K11 K22)/2 kappa1, Tdot = kappa0/2, T(diag q) = q/2 */
    v = ntk_gauss_pair(&RELU, 1.0, 2.0, 0.5, 0.3);
    {
        double r = 0.3, kap1 = (r * (M_PI - acos(r)) + sqrt(1 - r * r)) / M_PI;
        CHECK_REL(v.T, 0.5 * kap1, 1e-14);
        CHECK_REL(v.Tdot, 0.5 * (M_PI - acos(r)) / M_PI, 1e-14);
    }
    /* [seed-002 7.5] per-layer intermediates of the ResNet (L = 3, a = 0.5, gamma = pi/3) and MLP
     * recursion that are pure dual values: Sigma^(l+1) = T(K^(l)), SigmaDot^(l+1) = Tdot(K^(l)) */
    const double Kd[3] = {0.5, 0.5625, 0.6328125};
    const double Kc[3] = {0.25, 0.288062361315, 0.33145211501};
    const double Sg[3] = {0.152249445261, 0.173559014779, 0.197739041842};
    const double Sd[3] = {0.333333333333, 0.335568155378, 0.337738591369};
    for (int i = 0; i < 3; i++) {
        v = ntk_gauss_pair(&RELU, 1.0, Kd[i], Kd[i], Kc[i]);
        CHECK_REL(v.T, Sg[i], 2e-11);
        CHECK_REL(v.Tdot, Sd[i], 2e-11);
    }
    /* MLP (sigma_w = 1): K^(l+1) = T(K^(l)), diagonals halve */
    const double Km[4] = {0.25, 0.152249445261, 0.0854882063623, 0.0461330120188};
    for (int i = 0; i < 3; i++) {
        double d = 0.5 / (1 << i);
        CHECK_REL(ntk_gauss_pair(&RELU, 1.0, d, d, Km[i]).T, Km[i + 1], 2e-11);
    }

    /* [seed-004 5.1] c_alpha and the V_psi' coefficient alpha^2 c_(alpha-1) */
    const double al[13] = {0, 0.25, 0.5, 0.55, 0.6, 2.0 / 3, 0.7, 0.75, 0.8, 0.9, 1, 1.5, 2};
    const double ca[13] = {0.5,
                           0.411089479331,
                           0.398942280401,
                           0.402067921098,
                           0.406774518195,
                           0.415430462515,
                           0.420763993879,
                           0.430019993662,
                           0.440797722215,
                           0.467062323515,
                           0.5,
                           0.797884560803,
                           1.5};
    for (int i = 0; i < 13; i++)
        CHECK_REL(ntk_gauss_c_alpha(al[i]), ca[i], 2e-12);
    const double av[6] = {0.55, 0.6, 0.75, 0.9, 1.0, 1.5};
    const double vc[6] = {1.21625546132, 0.732194132751, 0.48377249287, 0.472900602559,
                          0.5,           0.897620130903};
    for (int i = 0; i < 6; i++) {
        ntk_act a = alpha_relu(av[i]);
        CHECK_REL(ntk_gauss_diag(&a, 1.0, 1.0).Tdot, vc[i], 2e-11);
        CHECK_REL(ntk_gauss_diag(&a, 1.0, 1.0).T, ntk_gauss_c_alpha(av[i]), 1e-15);
        /* J_alpha'(1) = alpha^2/(2 alpha - 1): 3.025, 1.8, 1.125, 1.0125, 1, 1.125 */
        CHECK_REL(ntk_gauss_dJ_alpha_angle(av[i], 0.0), av[i] * av[i] / (2 * av[i] - 1), 1e-15);
    }
    {
        ntk_act a = alpha_relu(0.75);
        CHECK_REL(ntk_gauss_diag(&a, 1.0, 2.5).Tdot, 0.48377249287 * pow(2.5, -0.25), 2e-11);
    }

    /* [seed-004 5.2] J_alpha(c) */
    const double ja[5] = {0.5, 0.75, 0.9, 1.0, 1.5}, jc[5] = {-0.5, 0.0, 0.5, 0.9, 0.99};
    const double J[5][5] = {
        {0.203149443230, 0.423606542397, 0.671927115694, 0.915056865344, 0.988656224953},
        {0.149838212363, 0.369530176812, 0.643049312902, 0.914919628818, 0.990295068696},
        {0.123943239771, 0.338252838976, 0.622942321051, 0.912090192943, 0.990404830796},
        {0.108997781044, 0.318309886184, 0.608997781044, 0.909538398845, 0.990300255733},
        {0.0564643741487, 0.231759334663, 0.538136899800, 0.892624188460, 0.988817315687}};
    for (int i = 0; i < 5; i++)
        for (int j = 0; j < 5; j++)
            CHECK_ABS(ntk_gauss_J_alpha(ja[i], jc[j]), J[i][j], 6e-13); /* 12 decimals */
    CHECK_REL(ntk_gauss_J_alpha(0.0, 0.5), 2.0 / 3.0, 1e-15);
    for (int i = 0; i < 5; i++)
        CHECK(ntk_gauss_J_alpha(ja[i], 1.0) == 1.0);
    /* Lemma C.33 (alpha = 2, c = 0.3): J_2 = c J_1 + (1/3)(1 - c^2) J_0 = 0.32590924597 */
    CHECK_REL(ntk_gauss_J_alpha(2.0, 0.3), 0.32590924597, 1e-11);
    CHECK_REL(ntk_gauss_J_alpha(2.0, 0.3),
              0.3 * ntk_gauss_J_alpha(1.0, 0.3) + (1.0 / 3.0) * 0.91 * ntk_gauss_J_alpha(0.0, 0.3),
              1e-14);
    /* Lemma C.34 (alpha = 0.75, c = 0.8): dJ/dc = 0.717386906969 = (0.5625/0.5) J_-0.25(0.8) */
    CHECK_REL(ntk_gauss_dJ_alpha_angle(0.75, acos(0.8)), 0.717386906969, 1e-11);
    CHECK_REL(1.125 * ntk_gauss_J_alpha(-0.25, 0.8), 0.717386906969, 1e-11);
    /* J_1 expansion: (J_1(1 - eps) - (1 - eps))/eps^1.5 = 0.300107 at eps = 1e-4 (U = 0.300105) */
    {
        double eps = 1e-4, th = 2 * asin(sqrt(eps / 2));
        double d = eps - ntk_gauss_J_alpha_comp_angle(1.0, th);
        CHECK_REL(d / pow(eps, 1.5), 0.300107, 2e-6);
    }

    /* [seed-004 5.4] V_tanh(q), V_tanh'(q) */
    const double tq[8] = {0.01, 0.5, 1, 2, 10, 100, 1000, 1e4};
    const double tV[8] = {0.009805468756, 0.273676307937, 0.394294490398, 0.519975745664,
                          0.757266276921, 0.920536863431, 0.974779041797, 0.992021482481};
    const double tD[8] = {0.980670243465, 0.592425793372, 0.464402902448, 0.349508297747,
                          0.165572420770, 0.053106787748, 0.016818172175, 0.005319144644};
    for (int i = 0; i < 8; i++) {
        v = ntk_gauss_diag(&TANH, 1.0, tq[i]);
        CHECK_ABS(v.T, tV[i], 6e-13);
        CHECK_ABS(v.Tdot, tD[i], 6e-13);
    }
    /* W_tanh(q, c q) (polar rule / mpmath) */
    const double wq[9] = {1, 2, 10, 100, 1, 5, 1000, 1e4, 300};
    const double wc[9] = {0.5, 0.3, 0.5, 0.5, 0.99, -0.4, 0.3, 0.9, 0.05};
    const double wW[9] = {0.186324413203, 0.139407941542, 0.306323255550,
                          0.330347028373, 0.389665301326, -0.224532238107,
                          0.193808887673, 0.712759338408, 0.031757201062};
    for (int i = 0; i < 9; i++)
        CHECK_ABS(P(&TANH, wq[i], wq[i], wc[i]).T, wW[i], 6e-13);
    /* limits (2/pi) arcsin c and the constants of 5.4 / Lemmas C.4, C.5 */
    CHECK_REL(ntk_gauss_pair_angle(&TANH, 1, INFINITY, INFINITY, M_PI / 3).T, 1.0 / 3.0, 1e-15);
    CHECK_REL(ntk_gauss_pair(&TANH, 1.0, INFINITY, INFINITY, INFINITY).T, 1.0, 1e-15);
    {
        double q = 1e8, a = sqrt(q);
        v = ntk_gauss_diag(&TANH, 1.0, q);
        /* 1 - V = sqrt(2/pi) q^-1/2 + Theta(q^-3/2); V' = (2/3) sqrt(2/pi) q^-1/2 + ... */
        CHECK_REL((1 - v.T) * a, 0.797884560803, 1e-7);
        CHECK_REL(v.Tdot * a, 0.531923040535, 1e-7);
    }
}

/* ------------------------------------------------------------------ closed forms vs quadrature */

static void test_closed(void)
{
    printf("-- closed forms vs independent quadrature\n");
    /* erf: closed form against the 2-D trapezoid (h = 0.04: spectrally converged for q <= 4) */
    const double q[5][3] = {{1, 1, 0.5}, {0.3, 2, -0.7}, {4, 4, 0.99}, {0.01, 0.2, 0.2}, {2, 3, 0}};
    for (int i = 0; i < 5; i++) {
        ntk_gauss_val r = trap2d(NTK_ACT_ERF, q[i][0], q[i][1], q[i][2], 0.04);
        ntk_gauss_val v = P(&ERF, q[i][0], q[i][1], q[i][2]);
        CHECK_ABS(v.T, r.T, 1e-14);
        CHECK_REL(v.Tdot, r.Tdot, 1e-13);
    }
    /* relu closed form against J_1 evaluated by the angular quadrature (Gauss-Jacobi + panels) */
    for (double c = -0.95; c < 1.0; c += 0.15) {
        ntk_gauss_val v = ntk_gauss_pair(&RELU, 1.0, 1.0, 1.0, c);
        CHECK_REL(2 * v.T, ntk_gauss_J_alpha(1.0, c), 2e-14);
        CHECK_REL(v.T, P(&RELU, 1, 1, c).T, 1e-15);
    }
    /* alpha_relu -> relu continuity (alpha = 1 +- 1e-9 runs the quadrature, alpha = 1 the closed
     * form) and the J_0 closed form 1 - arccos(c)/pi for Tdot */
    {
        ntk_act lo = alpha_relu(1 - 1e-9), hi = alpha_relu(1 + 1e-9);
        for (double c = -0.9; c < 1.0; c += 0.3) {
            ntk_gauss_val r = P(&RELU, 1.3, 0.7, c), a = P(&lo, 1.3, 0.7, c),
                          b = P(&hi, 1.3, 0.7, c);
            CHECK_REL(a.T, r.T, 2e-8);
            CHECK_REL(b.T, r.T, 2e-8);
            CHECK_REL(a.Tdot, r.Tdot, 5e-8);
            CHECK_REL(b.Tdot, r.Tdot, 5e-8);
        }
    }
    /* 1 - J by the square form agrees with 1 - J where both are accurate, and keeps relative
     * precision for tiny angles (ReLU closed form expanded: 1 - J_1 = th^2/2 - th^3/(3 pi) + ...)
     */
    for (double th = 0.05; th < 3.1; th += 0.5)
        CHECK_REL(ntk_gauss_J_alpha_comp_angle(0.7, th), 1 - ntk_gauss_J_alpha_angle(0.7, th),
                  1e-12); /* 1 - J itself cancels to ~1e-16/(1 - J) */
    {
        double th = 1e-6, exact = th * th / 2 - th * th * th / (3 * M_PI) - th * th * th * th / 24;
        CHECK_REL(ntk_gauss_J_alpha_comp_angle(1.0, th), exact, 1e-12);
    }
    /* Lemma C.34 at several (alpha, c): dJ/dc = alpha^2/(2 alpha - 1) J_(alpha-1) */
    const double la[4] = {0.55, 0.8, 1.5, 2.5};
    for (int i = 0; i < 4; i++)
        for (double c = -0.6; c < 1.0; c += 0.4)
            CHECK_REL(ntk_gauss_dJ_alpha_angle(la[i], acos(c)),
                      la[i] * la[i] / (2 * la[i] - 1) * ntk_gauss_J_alpha(la[i] - 1, c), 1e-13);
    /* identity */
    ntk_gauss_val v = ntk_gauss_pair(&IDENT, 2.0, 1.5, 0.7, -0.4);
    CHECK_REL(v.T, -1.6, 1e-15);
    CHECK_REL(v.Tdot, 4.0, 1e-15);
}

/* ------------------------------------------------------------------ quadrature activations */

static void test_quad(void)
{
    printf("-- quadrature activations vs independent references\n");
    /* tanh, gelu, swish against the 2-D trapezoid (moderate variances; h sqrt(q_max) <= 0.08) */
    const double q[8][3] = {{1, 1, 0.5},     {0.3, 0.3, 0.999}, {3, 3, -0.8},   {1, 2.5, 0.3},
                            {0.05, 1, -0.2}, {6, 6, 0.05},      {2, 2, 0.9999}, {1e-3, 1e-3, 0.6}};
    const ntk_act *acts[3] = {&TANH, &GELU, &SWISH};
    for (int a = 0; a < 3; a++)
        for (int i = 0; i < 8; i++) {
            double h = fmin(0.05, 0.08 / sqrt(fmax(q[i][0], q[i][1])));
            ntk_gauss_val r = trap2d(acts[a]->kind, q[i][0], q[i][1], q[i][2], h);
            ntk_gauss_val v = P(acts[a], q[i][0], q[i][1], q[i][2]);
            CHECK_REL(v.T, r.T, 1e-11);
            CHECK_REL(v.Tdot, r.Tdot, 1e-11);
        }
    /* large and very unequal variances against nested adaptive integration (the three tanh
     * rules: moment series, (s, d) trapezoid, conditional; gelu/swish graded outer rule) */
    const double Q[10][3] = {{1e4, 1e4, 0.9}, {1000, 1000, 0.3}, {30, 30, 0.99},  {100, 100, -0.5},
                             {1, 1000, 0.5},  {10, 1e4, 0.99},   {1e6, 1e6, 0.3}, {17, 17, 0.5},
                             {100, 200, 0.9}, {0.01, 10, 0.9}};
    for (int a = 0; a < 3; a++)
        for (int i = 0; i < 10; i++) {
            ntk_gauss_val r = nested(acts[a]->kind, Q[i][0], Q[i][1], Q[i][2]);
            ntk_gauss_val v = P(acts[a], Q[i][0], Q[i][1], Q[i][2]);
            CHECK_REL(v.T, r.T, 1e-11);
            CHECK_REL(v.Tdot, r.Tdot, 1e-11);
        }
    /* the tanh rules agree with each other across their switch points:
     * series at min(q) (1 - c^2) = 16 vs the (s, d) trapezoid just below */
    for (double c = 0.0; c < 0.9; c += 0.2) {
        double qs = 16.0 / (1 - c * c);
        ntk_gauss_val lo = P(&TANH, qs * (1 - 1e-12), qs * (1 - 1e-12), c),
                      hi = P(&TANH, qs, qs, c);
        CHECK_ABS(lo.T, hi.T, 1e-12); /* T = O(0.1-1) here; exactly 0 at c = 0 */
        CHECK_REL(lo.Tdot, hi.Tdot, 1e-11);
    }
    /* the diagonal series (q >= 16) vs trapezoid (q < 16), and the tiny-q Taylor branch */
    {
        ntk_gauss_val lo = ntk_gauss_diag(&TANH, 1, 16 * (1 - 1e-12)),
                      hi = ntk_gauss_diag(&TANH, 1, 16);
        CHECK_REL(lo.T, hi.T, 1e-12);
        CHECK_REL(lo.Tdot, hi.Tdot, 1e-12);
        lo = ntk_gauss_diag(&TANH, 1, 1e-6), hi = ntk_gauss_diag(&TANH, 1, 1e-6 * (1 + 1e-12));
        CHECK_REL(lo.T, hi.T, 1e-11);
        CHECK_REL(lo.Tdot, hi.Tdot, 1e-12);
        lo = P(&TANH, 1e-6, 1e-6, 0.4), hi = P(&TANH, 1e-6 * (1 + 1e-12), 1e-6 * (1 + 1e-12), 0.4);
        CHECK_REL(lo.T, hi.T, 1e-11);
        CHECK_REL(lo.Tdot, hi.Tdot, 1e-12);
    }
    /* tanh and erf: Lemma C.21 W_tanh(q, cq) <= (2/pi) asin c, nondecreasing in q; Lemma C.7
     * V_tanh'(q) >= 1/sqrt(4q + 1) */
    for (double c = 0.1; c < 1.0; c += 0.2) {
        double prev = 0.0;
        for (double qq = 0.1; qq < 1e5; qq *= 3) {
            double w = P(&TANH, qq, qq, c).T;
            CHECK(w <= M_2_PI * asin(c) && w >= prev);
            prev = w;
        }
    }
    for (double qq = 0.01; qq < 1e6; qq *= 4)
        CHECK(ntk_gauss_diag(&TANH, 1, qq).Tdot >= 1 / sqrt(4 * qq + 1));
}

/* ------------------------------------------------------------------ identities */

static void test_ident(void)
{
    printf("-- symmetry, diagonal, Price's identity, angle entry point\n");
    ntk_act a75 = alpha_relu(0.75), a15 = alpha_relu(1.5);
    const ntk_act *acts[8] = {&RELU, &TANH, &ERF, &IDENT, &GELU, &SWISH, &a75, &a15};
    const double Q[6][3] = {{1, 2, 0.3},      {0.2, 5, -0.6}, {30, 7, 0.95},
                            {1e-4, 0.3, 0.1}, {200, 50, 0.5}, {1e3, 1e4, -0.2}};
    for (int a = 0; a < 8; a++) {
        for (int i = 0; i < 6; i++) {
            double q1 = Q[i][0], q2 = Q[i][1], q12 = Q[i][2] * sqrt(q1 * q2);
            ntk_gauss_val x = ntk_gauss_pair(acts[a], 1.0, q1, q2, q12);
            ntk_gauss_val y = ntk_gauss_pair(acts[a], 1.0, q2, q1, q12);
            CHECK_REL(x.T, y.T, 1e-12);
            CHECK_REL(x.Tdot, y.Tdot, 1e-12);
            /* multiplier: T and Tdot scale by mult^2 */
            ntk_gauss_val m = ntk_gauss_pair(acts[a], 1.7, q1, q2, q12);
            CHECK_REL(m.T, 1.7 * 1.7 * x.T, 1e-14);
            CHECK_REL(m.Tdot, 1.7 * 1.7 * x.Tdot, 1e-14);
            /* angle entry point */
            double th = acos(Q[i][2]);
            ntk_gauss_val t = ntk_gauss_pair_angle(acts[a], 1.0, q1, q2, th);
            CHECK_REL(t.T, x.T, 1e-11);
            CHECK_REL(t.Tdot, x.Tdot, 1e-11);
        }
        for (double q = 1e-3; q < 1e4; q *= 10) {
            ntk_gauss_val d = ntk_gauss_diag(acts[a], 1.0, q),
                          p = ntk_gauss_pair(acts[a], 1.0, q, q, q);
            CHECK_REL(p.T, d.T, 1e-12);
            CHECK_REL(p.Tdot, d.Tdot, 1e-12);
        }
    }
    /* Price's theorem dT/dq12 = Tdot (central differences, smooth activations; the O(h^2) error
     * and rounding limit the comparison to ~1e-7) */
    const ntk_act *sm[5] = {&TANH, &ERF, &GELU, &SWISH, &a15};
    const double D[5][3] = {
        {1, 1, 0.5}, {0.5, 2, -0.3}, {20, 20, 0.2}, {3, 40, 0.7}, {100, 100, 0.4}};
    for (int a = 0; a < 5; a++)
        for (int i = 0; i < 5; i++) {
            double q1 = D[i][0], q2 = D[i][1], q12 = D[i][2] * sqrt(q1 * q2),
                   h = 1e-4 * sqrt(q1 * q2);
            double fd = (ntk_gauss_pair(sm[a], 1, q1, q2, q12 + h).T -
                         ntk_gauss_pair(sm[a], 1, q1, q2, q12 - h).T) /
                        (2 * h);
            CHECK_REL(fd, ntk_gauss_pair(sm[a], 1, q1, q2, q12).Tdot, 1e-7);
        }
    /* odd activations: T(-c) = -T(c), Tdot(-c) = Tdot(c); c = 0 gives T = 0 */
    for (double c = 0.1; c < 1.0; c += 0.3) {
        ntk_gauss_val p = P(&TANH, 2, 3, c), m = P(&TANH, 2, 3, -c);
        CHECK_REL(m.T, -p.T, 1e-14);
        CHECK_REL(m.Tdot, p.Tdot, 1e-14);
    }
    CHECK_ABS(P(&TANH, 3, 3, 0).T, 0.0, 1e-15);
    CHECK_ABS(P(&ERF, 3, 2, 0).T, 0.0, 1e-16);
}

/* ------------------------------------------------------------------ edge cases */

static void test_edge(void)
{
    printf("-- edge cases\n");
    const ntk_act *acts[6] = {&RELU, &TANH, &ERF, &IDENT, &GELU, &SWISH};
    for (int a = 0; a < 6; a++) {
        ntk_gauss_val v = ntk_gauss_pair(acts[a], 1, NAN, 1, 0.5);
        CHECK(isnan(v.T) && isnan(v.Tdot));
        v = ntk_gauss_pair(acts[a], 1, 1, 1, NAN);
        CHECK(isnan(v.T) && isnan(v.Tdot));
        v = ntk_gauss_diag(acts[a], 1, -1.0);
        CHECK(isnan(v.T) && isnan(v.Tdot));
        v = ntk_gauss_diag(acts[a], NAN, 1.0);
        CHECK(isnan(v.T));
        /* a zero variance: phi(0) = 0 for all of these, so T = 0 */
        v = ntk_gauss_pair(acts[a], 1, 0.0, 2.0, 0.0);
        CHECK_ABS(v.T, 0.0, 1e-300);
        /* c = +-1 exactly and |q12| beyond Cauchy-Schwarz (clamped) */
        ntk_gauss_val p = ntk_gauss_pair(acts[a], 1, 2.0, 2.0, 2.0 + 1e-15),
                      d = ntk_gauss_diag(acts[a], 1, 2.0);
        CHECK_REL(p.T, d.T, 1e-12);
        CHECK_REL(p.Tdot, d.Tdot, 1e-12);
    }
    /* tanh: zero variance gives Tdot = E[sech^2(v)]; both zero: 1; infinite: sign limits */
    CHECK_REL(ntk_gauss_pair(&TANH, 1, 0, 0, 0).Tdot, 1.0, 1e-15);
    {
        /* E[sech^2(Z)] = 1 - E[tanh^2] only on the diagonal; check against the trapezoid */
        double h = 0.01, s = 0;
        for (int i = -1200; i <= 1200; i++) {
            double z = i * h, c = cosh(z);
            s += h * exp(-0.5 * z * z) / (c * c);
        }
        CHECK_REL(ntk_gauss_pair(&TANH, 1, 0, 1, 0).Tdot, s / sqrt(2 * M_PI), 1e-12);
    }
    ntk_gauss_val v = ntk_gauss_diag(&TANH, 1, INFINITY);
    CHECK(v.T == 1.0 && v.Tdot == 0.0);
    v = ntk_gauss_diag(&ERF, 1, INFINITY);
    CHECK(v.T == 1.0 && v.Tdot == 0.0);
    v = ntk_gauss_pair(&ERF, 1, INFINITY, INFINITY, -INFINITY);
    CHECK_REL(v.T, -1.0, 1e-15);
    /* erf with one infinite variance: E[sgn(u) erf(v)] = (2/pi) asin(c sqrt(2q/(1+2q))), the
     * limit of the finite formula (q1 = 1e30 below) */
    {
        double c = 0.5, q1 = 1e30, q2 = 2.0;
        double fin = M_2_PI * asin(2 * c * sqrt(q1 * q2) / sqrt((1 + 2 * q1) * (1 + 2 * q2)));
        CHECK_REL(ntk_gauss_pair_angle(&ERF, 1, INFINITY, q2, acos(c)).T, fin, 1e-14);
        CHECK_REL(ntk_gauss_pair_angle(&TANH, 1, INFINITY, INFINITY, acos(c)).T, 1.0 / 3.0, 1e-15);
    }
    /* relu: q = 0 diagonal reports the limit q -> 0+ (E[step^2] = 1/2) */
    CHECK_REL(ntk_gauss_diag(&RELU, 1, 0).Tdot, 0.5, 1e-15);
    /* alpha_relu: alpha <= 1/2 invalid -> NaN; alpha < 1 at q = 0 -> Tdot = +inf */
    ntk_act bad = alpha_relu(0.5), a6 = alpha_relu(0.6);
    CHECK(isnan(ntk_gauss_diag(&bad, 1, 1).T));
    CHECK(isinf(ntk_gauss_diag(&a6, 1, 0).Tdot));
    CHECK(ntk_gauss_diag(&a6, 1, 0).T == 0.0);
    /* tanh at tiny variances keeps relative precision (Taylor branch): T ~ q12 (1 - q1 - q2) */
    v = ntk_gauss_pair(&TANH, 1, 1e-30, 1e-30, 5e-31);
    CHECK_REL(v.T, 5e-31, 1e-14);
    CHECK_REL(v.Tdot, 1.0, 1e-14);
    v = ntk_gauss_pair(&TANH, 1, 1e-8, 4e-8, 1e-8);
    CHECK_REL(v.T, 1e-8 * (1 - 5e-8), 1e-12);
}

int main(int argc, char **argv)
{
    gsl_set_error_handler_off();
    const char *g = argc > 1 ? argv[1] : "all";
    int all = strcmp(g, "all") == 0;
    if (all || !strcmp(g, "golden")) test_golden();
    if (all || !strcmp(g, "closed")) test_closed();
    if (all || !strcmp(g, "quad")) test_quad();
    if (all || !strcmp(g, "ident")) test_ident();
    if (all || !strcmp(g, "edge")) test_edge();
    return check_summary("test_gauss");
}
