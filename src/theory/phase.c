/* phase.c - fixed points, phases and depth scales of infinite-width signal propagation (phase.h).
 */
#include "ntksweep/phase.h"
#include "ntksweep/error.h"
#include "ntksweep/gauss.h"

#include <float.h>
#include <gsl/gsl_errno.h>
#include <gsl/gsl_roots.h>
#include <math.h>

/* ------------------------------------------------------------------ root finding */

/* Scalar function with a "bad value" flag: GSL's Brent reports a non-finite value through the
 * global error handler (abort by default), so values are kept finite here and a NaN is recorded
 * instead of being passed on. */
typedef struct {
    double (*f)(double x, void *p);
    void *p;
    int bad;
} rf_fn;

static double rf_eval(double x, void *vp)
{
    rf_fn *r = vp;
    double y = r->f(x, r->p);
    if (isnan(y)) {
        r->bad = 1;
        return 0.0;
    }
    return fmin(fmax(y, -DBL_MAX), DBL_MAX);
}

/* Brent (gsl_root_fsolver_brent) on [lo, hi]; requires f(lo) f(hi) < 0 (checked). Converged when
 * the bracket is below rtol relative (or 1e-300 absolute). */
static int brent(double (*f)(double, void *), void *p, double lo, double hi, double rtol,
                 const char *what, double *root)
{
    rf_fn r = {f, p, 0};
    double flo = rf_eval(lo, &r), fhi = rf_eval(hi, &r);
    if (r.bad || !((flo < 0 && fhi > 0) || (flo > 0 && fhi < 0)))
        return ntk_error_set(NTK_ENUM, "%s: no sign change on [%.17g, %.17g] (%g, %g)", what, lo,
                             hi, flo, fhi);
    gsl_root_fsolver *s = gsl_root_fsolver_alloc(gsl_root_fsolver_brent);
    if (!s) return ntk_error_set(NTK_ENOMEM, "%s: cannot allocate the root solver", what);
    gsl_function F = {rf_eval, &r};
    int st = gsl_root_fsolver_set(s, &F, lo, hi), rc = NTK_ENUM;
    for (int it = 0; st == GSL_SUCCESS && it < 300; it++) {
        st = gsl_root_fsolver_iterate(s);
        if (st != GSL_SUCCESS || r.bad) break;
        double a = gsl_root_fsolver_x_lower(s), b = gsl_root_fsolver_x_upper(s);
        if (gsl_root_test_interval(a, b, 1e-300, rtol) == GSL_SUCCESS || a == b) {
            *root = gsl_root_fsolver_root(s);
            rc = NTK_OK;
            break;
        }
    }
    gsl_root_fsolver_free(s);
    if (r.bad)
        return ntk_error_set(NTK_ENUM, "%s: the function is NaN inside [%g, %g]", what, lo, hi);
    if (rc != NTK_OK)
        return ntk_error_set(NTK_ENUM, "%s: Brent iteration did not converge on [%g, %g]", what, lo,
                             hi);
    return NTK_OK;
}

/* ------------------------------------------------------------------ 1-D moments */

/* phi and its first three derivatives for the smooth activations; 0 for relu / alpha_relu (the
 * caller uses closed forms there). */
static int act_derivs(ntk_act_kind k, double x, double d[4])
{
    switch (k) {
    case NTK_ACT_TANH: {
        double t = tanh(x), s = 1.0 - t * t;
        d[0] = t;
        d[1] = s;
        d[2] = -2.0 * t * s;
        d[3] = s * (6.0 * t * t - 2.0);
        return 1;
    }
    case NTK_ACT_ERF: {
        double e = M_2_SQRTPI * exp(-x * x);
        d[0] = erf(x);
        d[1] = e;
        d[2] = -2.0 * x * e;
        d[3] = (4.0 * x * x - 2.0) * e;
        return 1;
    }
    case NTK_ACT_IDENTITY:
        d[0] = x;
        d[1] = 1.0;
        d[2] = d[3] = 0.0;
        return 1;
    case NTK_ACT_GELU: {
        double P = 0.5 * erfc(-x * M_SQRT1_2), p = exp(-0.5 * x * x) / sqrt(2.0 * M_PI);
        d[0] = x * P;
        d[1] = P + x * p;
        d[2] = (2.0 - x * x) * p;
        d[3] = (x * x * x - 4.0 * x) * p;
        return 1;
    }
    case NTK_ACT_SWISH: {
        double s = 1.0 / (1.0 + exp(-x)), s1 = s * (1.0 - s);
        d[0] = x * s;
        d[1] = s + x * s1;
        d[2] = 2.0 * s1 + x * s1 * (1.0 - 2.0 * s);
        d[3] = 3.0 * s1 * (1.0 - 2.0 * s) + x * s1 * (1.0 - 6.0 * s + 6.0 * s * s);
        return 1;
    }
    default:
        return 0;
    }
}

/* m[0] = E[phi'^2 + phi phi''], m[1] = E[phi''^2], m[2] = E[phi'''^2] at variance q, by the
 * trapezoid rule in z with h = min(0.2, 0.1/sqrt(q)) on [-10, 10] (error ~exp(-pi^2/(2*0.1)) for
 * tanh-type poles at distance pi/(2 sqrt q); the entire activations converge faster). */
static void smooth_moments(ntk_act_kind k, double q, double m[3])
{
    double a = sqrt(q), h = fmin(0.2, 0.1 / fmax(a, 1e-300));
    int n = (int)ceil(10.0 / h);
    double nrm = h / sqrt(2.0 * M_PI), d[4] = {0.0, 0.0, 0.0, 0.0};
    m[0] = m[1] = m[2] = 0.0;
    for (int i = -n; i <= n; i++) {
        double z = i * h, w = nrm * exp(-0.5 * z * z);
        act_derivs(k, a * z, d);
        m[0] += w * (d[1] * d[1] + d[0] * d[2]);
        m[1] += w * d[2] * d[2];
        m[2] += w * d[3] * d[3];
    }
}

/* ------------------------------------------------------------------ feed-forward phase */

typedef struct {
    const ntk_act *act;
    double sw2, sb2, q;
} ff_ctx;

static double V_of(const ntk_act *a, double q)
{
    return ntk_gauss_diag(a, 1.0, q).T;
}

static double qmap_res(double q, void *vp) /* F(q) - q */
{
    ff_ctx *c = vp;
    return c->sw2 * V_of(c->act, q) + c->sb2 - q;
}

static double cmap_res(double cc, void *vp) /* f(c) - c at q* */
{
    ff_ctx *c = vp;
    double T = ntk_gauss_pair(c->act, 1.0, c->q, c->q, cc * c->q).T;
    return (c->sw2 * T + c->sb2) / c->q - cc;
}

/* Attracting fixed point of F from q0: plain iteration, then (if not yet converged) a bracket in
 * the direction of motion -- the first sign change of F(q) - q met that way is the attracting
 * root -- polished by Brent. Sets *qs = +inf when the bracket runs past 1e300. */
static int q_star(ff_ctx *c, double q0, double *qs, int *conv)
{
    double q = q0;
    *conv = 0;
    for (int k = 0; k < 100; k++) {
        double qn = c->sw2 * V_of(c->act, q) + c->sb2;
        if (isnan(qn)) return ntk_error_set(NTK_ENUM, "q*: variance map is NaN at q = %g", q);
        if (isinf(qn) || qn > 1e300) {
            *qs = INFINITY;
            return NTK_OK;
        }
        if (qn == q || fabs(qn - q) <= 1e-15 * qn) {
            *qs = qn;
            *conv = 1;
            return NTK_OK;
        }
        q = qn;
    }
    double r = qmap_res(q, c), lo, hi;
    if (r > 0) {
        lo = q;
        hi = 2.0 * q;
        while (qmap_res(hi, c) > 0) {
            lo = hi;
            hi *= 2.0;
            if (hi > 1e300) {
                *qs = INFINITY;
                return NTK_OK;
            }
        }
    } else {
        hi = q;
        lo = 0.5 * q;
        while (qmap_res(lo, c) < 0) {
            hi = lo;
            lo *= 0.5;
            if (lo < 1e-300) {
                *qs = qmap_res(0.0, c) == 0.0 ? 0.0 : lo;
                *conv = *qs == 0.0;
                return NTK_OK;
            }
        }
    }
    if (qmap_res(lo, c) == 0.0 || qmap_res(hi, c) == 0.0) {
        *qs = qmap_res(lo, c) == 0.0 ? lo : hi;
        *conv = 1;
        return NTK_OK;
    }
    NTK_TRY(brent(qmap_res, c, lo, hi, 1e-15, "q* (variance fixed point)", qs));
    *conv = fabs(qmap_res(*qs, c)) <= 1e-13 * *qs;
    return NTK_OK;
}

/* Large-q limit of the correlation map T(q, q, cq)/V(q) and of V_phi'(q) for activations whose
 * variance can diverge (relu, alpha_relu, identity, gelu, swish); returns 0 otherwise. */
static int diverged_limits(const ntk_act *act, double sw2, ntk_phase_info *o)
{
    switch (act->kind) {
    case NTK_ACT_RELU:
    case NTK_ACT_GELU:
    case NTK_ACT_SWISH: /* relu limit: J_1, fixed point 1 with J_1'(1) = 1 */
        o->chi_1 = 0.5 * sw2;
        o->c_star = 1.0;
        o->chi_c = 1.0;
        return 1;
    case NTK_ACT_IDENTITY: /* f(c) = c */
        o->chi_1 = sw2;
        o->c_star = 1.0;
        o->chi_c = 1.0;
        return 1;
    case NTK_ACT_ALPHA_RELU: {
        /* alpha > 1 diverges: chi_1 -> inf; correlations -> e*_alpha (J_alpha's stable point) */
        ntk_phase_alpha_res_info a;
        o->chi_1 = act->alpha > 1.0 ? INFINITY : 0.0;
        if (ntk_phase_alpha_res(act->alpha, 1.0, 1.0, &a) == NTK_OK) {
            o->c_star = a.e_star;
            o->chi_c = a.dJ_star;
        }
        return 1;
    }
    default:
        return 0;
    }
}

static double depth_scale(double rate)
{
    if (!(rate >= 0.0) || isinf(rate)) return NAN;
    if (rate >= 1.0) /* no exponential convergence (EOC, or a rate above 1 by rounding) */
        return INFINITY;
    if (rate == 0.0) return 0.0;
    return -1.0 / log(rate);
}

int ntk_phase_ff(const ntk_act *act, double sigma_w, double sigma_b, double q0, double eoc_tol,
                 ntk_phase_info *out)
{
    NTK_TRY(ntk_act_check(act));
    if (!(sigma_w >= 0.0) || !isfinite(sigma_w) || !(sigma_b >= 0.0) || !isfinite(sigma_b))
        return ntk_error_set(NTK_EINVAL,
                             "phase: sigma_w = %g, sigma_b = %g must be finite and >= 0", sigma_w,
                             sigma_b);
    if (!(q0 > 0.0) || !isfinite(q0))
        return ntk_error_set(NTK_EINVAL, "phase: starting variance q0 = %g must be > 0", q0);
    ff_ctx c = {act, sigma_w * sigma_w, sigma_b * sigma_b, 0.0};
    ntk_phase_info o;
    o.dF = o.chi_1 = o.c_star = o.chi_c = o.xi_q = o.xi_c = o.f2 = o.f3 = NAN;
    o.q_star = NAN;
    o.q_converged = 0;
    NTK_TRY(q_star(&c, q0, &o.q_star, &o.q_converged));
    double qs = o.q_star;
    const int smooth = act->kind != NTK_ACT_RELU && act->kind != NTK_ACT_ALPHA_RELU;
    if (isinf(qs)) {
        diverged_limits(act, c.sw2, &o);
    } else {
        /* F'(q*) */
        if (act->kind == NTK_ACT_RELU)
            o.dF = 0.5 * c.sw2;
        else if (act->kind == NTK_ACT_ALPHA_RELU)
            o.dF = c.sw2 * ntk_gauss_c_alpha(act->alpha) * act->alpha * pow(qs, act->alpha - 1.0);
        double m[3] = {NAN, NAN, NAN};
        if (smooth) {
            smooth_moments(act->kind, qs, m);
            o.dF = c.sw2 * m[0];
            o.f2 = c.sw2 * qs * m[1];
            o.f3 = c.sw2 * qs * qs * m[2];
        }
        o.chi_1 = c.sw2 * ntk_gauss_diag(act, 1.0, qs).Tdot;
        o.c_star = 1.0;
        o.chi_c = o.chi_1;
        if (o.chi_1 > 1.0 + eoc_tol && qs > 0.0) {
            /* chaotic (beyond the EOC band): stable c* < 1 of f. G(c) = f(c) - c >= 0 at c = -1
             * (Cauchy-Schwarz), < 0 just below 1 (G'(1) = chi_1 - 1 > 0); for odd phi G >= 0 on
             * [-1, 0]. */
            c.q = qs;
            double lo = ntk_act_is_odd(act) ? 0.0 : -1.0, hi = NAN;
            for (double th = 0.25; th > 1e-9; th *= 0.5)
                if (cmap_res(cos(th), &c) < 0.0) {
                    hi = cos(th);
                    break;
                }
            if (!isnan(hi)) {
                /* sigma_b = 0 with odd phi: G(0) = 0 up to rounding; c* = 0 */
                double glo = cmap_res(lo, &c);
                if (fabs(glo) <= 1e-12)
                    o.c_star = lo;
                else
                    NTK_TRY(brent(cmap_res, &c, lo, hi, 1e-15, "c* (correlation fixed point)",
                                  &o.c_star));
                o.chi_c = c.sw2 * ntk_gauss_pair(act, 1.0, qs, qs, o.c_star * qs).Tdot;
            }
        } else if (qs == 0.0 && !isnan(o.chi_1)) {
            o.chi_c = o.chi_1; /* q* = 0: the map is linear near 0, f(c) = c to first order */
        }
        o.xi_q = depth_scale(o.dF);
    }
    o.xi_c = depth_scale(o.chi_c);
    if (isnan(o.chi_1)) return ntk_error_set(NTK_ENUM, "phase: chi_1 is NaN (q* = %g)", qs);
    o.phase = fabs(o.chi_1 - 1.0) <= eoc_tol ? NTK_PHASE_EOC
              : o.chi_1 < 1.0                ? NTK_PHASE_ORDERED
                                             : NTK_PHASE_CHAOTIC;
    *out = o;
    return NTK_OK;
}

/* ------------------------------------------------------------------ edge of chaos */

typedef struct {
    const ntk_act *act;
    double sigma_b;
    int err;
} eoc_ctx;

static double eoc_res(double sw, void *vp)
{
    eoc_ctx *e = vp;
    ntk_phase_info o;
    if (ntk_phase_ff(e->act, sw, e->sigma_b, 1.0, 0.0, &o) != NTK_OK) {
        e->err = 1;
        return NAN;
    }
    return o.chi_1 - 1.0;
}

int ntk_phase_eoc_sigma_w(const ntk_act *act, double sigma_b, double *sigma_w)
{
    NTK_TRY(ntk_act_check(act));
    if (!(sigma_b >= 0.0) || !isfinite(sigma_b))
        return ntk_error_set(NTK_EINVAL, "eoc: sigma_b = %g must be finite and >= 0", sigma_b);
    if (act->kind == NTK_ACT_RELU) {
        *sigma_w = M_SQRT2;
        return NTK_OK;
    }
    if (sigma_b == 0.0 && (act->kind == NTK_ACT_TANH || act->kind == NTK_ACT_ERF)) {
        /* q* = 0 and chi_1 = sigma_w^2 phi'(0)^2 up to sigma_w = 1/phi'(0); beyond, chi_1 - 1 =
         * O((sigma_w - 1/phi'(0))^2), so the end point is set exactly [seed-001 2.3] */
        *sigma_w = act->kind == NTK_ACT_TANH ? 1.0 : 0.5 * sqrt(M_PI);
        return NTK_OK;
    }
    eoc_ctx e = {act, sigma_b, 0};
    /* chi_1 increases with sigma_w along the search (seed-001 2.3); scan a geometric grid for the
     * first sign change, then Brent */
    double lo = 1e-3, flo = eoc_res(lo, &e);
    for (double hi = lo * 1.25; hi <= 1e3 && !e.err; lo = hi, hi *= 1.25) {
        double fhi = eoc_res(hi, &e);
        if (e.err) break;
        if (flo == 0.0) {
            *sigma_w = lo;
            return NTK_OK;
        }
        if (fhi == 0.0) {
            *sigma_w = hi;
            return NTK_OK;
        }
        if (flo < 0.0 && fhi > 0.0) {
            int rc = brent(eoc_res, &e, lo, hi, 1e-14, "chi_1(sigma_w) = 1", sigma_w);
            if (rc < 0)
                return ntk_error_prefix(rc, "edge of chaos (%s, sigma_b = %g)",
                                        ntk_act_name(act->kind), sigma_b);
            return NTK_OK;
        }
        flo = fhi;
    }
    if (e.err)
        return ntk_error_prefix(NTK_ENUM, "edge of chaos (%s, sigma_b = %g)",
                                ntk_act_name(act->kind), sigma_b);
    return ntk_error_set(NTK_ENUM,
                         "edge of chaos (%s, sigma_b = %g): chi_1 - 1 has no sign change "
                         "for sigma_w in [1e-3, 1e3]",
                         ntk_act_name(act->kind), sigma_b);
}

/* ------------------------------------------------------------------ tanh residual networks */

typedef struct {
    double r2; /* rho^2 */
} tres_ctx;

/* e = cos(theta): (2/pi) asin(e) = 1 - 2 theta/pi, so the fixed-point residual
 * h(theta) = 1 - 2 theta/pi + rho^2 - (1 + rho^2) cos(theta) keeps 1 - e* exact near 1. */
static double tres_res(double th, void *vp)
{
    tres_ctx *t = vp;
    return 1.0 - M_2_PI * th + t->r2 - (1.0 + t->r2) * cos(th);
}

int ntk_phase_tanh_res(double sigma_w, double sigma_v, double sigma_a, ntk_phase_tanh_res_info *out)
{
    if (!(sigma_w > 0.0) || !(sigma_v > 0.0) || !(sigma_a >= 0.0) || !isfinite(sigma_w) ||
        !isfinite(sigma_v) || !isfinite(sigma_a))
        return ntk_error_set(NTK_EINVAL,
                             "tanh FRN constants: sigma_w = %g, sigma_v = %g must be > 0 and "
                             "sigma_a = %g >= 0 (finite)",
                             sigma_w, sigma_v, sigma_a);
    ntk_phase_tanh_res_info o;
    double v2 = sigma_v * sigma_v, a2 = sigma_a * sigma_a, s = v2 + a2, C = sqrt(M_2_PI);
    o.rho = sigma_a / sigma_v;
    /* [seed-004 3.3; section 6 item 10: the relation of Lemma C.24 is garbled in the paper, the
     * correct one is e* = [(2/pi) asin e* + rho^2]/(1 + rho^2) with rho = sigma_a/sigma_v] */
    tres_ctx t = {o.rho * o.rho};
    double th;
    if (sigma_a == 0.0)
        th = 0.5 * M_PI; /* e* = 0 */
    else {
        /* h(pi/2) = rho^2 > 0; h < 0 on (0, 4/(pi (1 + rho^2))) since cos th >= 1 - th^2/2 */
        double lo = 2.0 / (M_PI * (1.0 + t.r2));
        NTK_TRY(brent(tres_res, &t, lo, 0.5 * M_PI, 1e-15, "tanh FRN e*", &th));
    }
    o.e_star = th == 0.5 * M_PI ? 0.0 : cos(th);
    /* [seed-004 3.3, Thm C.25; section 6 item 5: delta* lies in [1 - 2/pi, 1/2)] */
    o.delta_star = 1.0 - M_2_PI / sin(th) * v2 / s;
    o.A = (4.0 / 3.0) * C * v2 * sigma_w / sqrt(s);
    o.B = 4.0 / (9.0 * M_PI) * v2 * v2 / s * (3.0 / s - sigma_w * sigma_w);
    o.B_b = o.B + 0.5;
    o.B_w = o.B - 0.5;
    o.b0 = s;
    o.b1 = -2.0 * C * v2 / (sigma_w * sqrt(s));
    o.b2 = -C * C * v2 * v2 / (sigma_w * sigma_w * s * s);
    *out = o;
    return NTK_OK;
}

/* ------------------------------------------------------------------ alpha-ReLU FRN */

typedef struct {
    double alpha;
} ares_ctx;

/* J_alpha(cos th) - cos th = (1 - cos th) - (1 - J_alpha): both parts with full relative
 * precision, so the root keeps the relative precision of 1 - e* (the residual has slope
 * (1 - J'(e*)) sin th*, which is 2e-8 for alpha = 0.99). */
static double ares_res(double th, void *vp)
{
    ares_ctx *a = vp;
    double s = sin(0.5 * th);
    return 2.0 * s * s - ntk_gauss_J_alpha_comp_angle(a->alpha, th);
}

int ntk_phase_alpha_res(double alpha, double sigma_w, double sigma_v, ntk_phase_alpha_res_info *out)
{
    if (!(alpha > -0.5) || !isfinite(alpha) || !(sigma_w > 0.0) || !(sigma_v > 0.0) ||
        !isfinite(sigma_w) || !isfinite(sigma_v))
        return ntk_error_set(
            NTK_EINVAL,
            "alpha-ReLU FRN constants: alpha = %g must be > -1/2, sigma_w = %g and "
            "sigma_v = %g > 0",
            alpha, sigma_w, sigma_v);
    ntk_phase_alpha_res_info o;
    double nan = NAN, sw2 = sigma_w * sigma_w, v2 = sigma_v * sigma_v;
    o.alpha = alpha;
    o.e_star = o.one_minus_e = o.dJ_star = o.mu = o.R = o.w_exp = o.p_exp = nan;
    o.K1 = o.K2 = o.B = o.C = nan;
    o.dJ_one = alpha > 0.5 ? alpha * alpha / (2.0 * alpha - 1.0) : INFINITY;
    if (alpha == 1.0) {
        /* [seed-004 3.4] ReLU: e -> 1 with 1 - e ~ C l^-2 */
        double U = 2.0 * M_SQRT2 / (3.0 * M_PI);
        o.e_star = 1.0;
        o.one_minus_e = 0.0;
        o.dJ_star = 1.0;
        o.B = 1.0 + 0.5 * v2 * sw2;
        o.C = pow(0.25 * v2 * sw2 * U / o.B, -2.0);
        *out = o;
        return NTK_OK;
    }
    /* e*_alpha: J_alpha(cos th) - cos th > 0 at th = pi/2 (J_alpha(0) > 0) and < 0 for small th
     * (J_alpha'(1) > 1 for alpha != 1; Thm C.35); solved in the angle (alpha = 0.99: 1 - e* =
     * 8e-8). */
    ares_ctx a = {alpha};
    double hi = 0.5 * M_PI, lo = hi;
    while (ares_res(lo, &a) >= 0.0) {
        hi = lo;
        lo *= 0.5;
        if (lo < 1e-12)
            return ntk_error_set(NTK_ENUM,
                                 "alpha-ReLU e*: J_alpha(c) - c has no sign change "
                                 "(alpha = %g)",
                                 alpha);
    }
    double th;
    NTK_TRY(brent(ares_res, &a, lo, hi, 1e-15, "alpha-ReLU e* (fixed point of J_alpha)", &th));
    o.e_star = cos(th);
    o.one_minus_e = 2.0 * sin(0.5 * th) * sin(0.5 * th);
    o.dJ_star = ntk_gauss_dJ_alpha_angle(alpha, th);
    if (alpha < 1.0) {
        /* [seed-004 3.5] */
        double ca = ntk_gauss_c_alpha(alpha), base = v2 * pow(sw2, alpha) * ca;
        o.mu = (1.0 - o.dJ_star) / (1.0 - alpha);
        o.p_exp = 1.0 / (1.0 - alpha);
        o.K1 = pow(base * (1.0 - alpha), 1.0 / (1.0 - alpha));
        o.K2 = 0.5 * pow(base, 1.0 / (1.0 - alpha)) *
               pow(1.0 - alpha, alpha / (1.0 - alpha) - 1.0) * alpha;
        if (alpha > 0.5) {
            o.R = alpha * alpha / ((1.0 - alpha) * (2.0 * alpha - 1.0));
            o.w_exp = -alpha / (2.0 * alpha - 1.0);
        }
    }
    *out = o;
    return NTK_OK;
}

const char *ntk_phase_name(ntk_phase_kind k)
{
    switch (k) {
    case NTK_PHASE_ORDERED:
        return "ordered";
    case NTK_PHASE_EOC:
        return "eoc";
    case NTK_PHASE_CHAOTIC:
        return "chaotic";
    default:
        return "unknown";
    }
}

/* ------------------------------------------------------------------ per-point scalars */
static const ntk_qty_desc ntk_phase_qty_table_[NTK_PQ_COUNT] = {
#define NTK_PHASE_QTY_ROW_(id, name, sym, units, desc, dims) {name, sym, units, desc, dims},
    NTK_PHASE_QTY_MAP(NTK_PHASE_QTY_ROW_)
#undef NTK_PHASE_QTY_ROW_
};

const ntk_qty_desc *ntk_phase_qty_table(void)
{
    return ntk_phase_qty_table_;
}

/* Small per-thread cache of EOC roots: a sweep revisits the same (activation, sigma_b) often. */
#define EOC_CACHE 64
static _Thread_local struct {
    ntk_act_kind kind;
    double alpha, sigma_b, sigma_w;
    int used;
} eoc_cache_[EOC_CACHE];
static _Thread_local int eoc_next_;

static double eoc_cached_(const ntk_act *act, double sigma_b)
{
    for (int i = 0; i < EOC_CACHE; i++)
        if (eoc_cache_[i].used && eoc_cache_[i].kind == act->kind &&
            eoc_cache_[i].alpha == act->alpha && eoc_cache_[i].sigma_b == sigma_b)
            return eoc_cache_[i].sigma_w;
    double sw = NAN;
    if (ntk_phase_eoc_sigma_w(act, sigma_b, &sw) != 0) sw = NAN;
    int i = eoc_next_++ % EOC_CACHE;
    eoc_cache_[i].kind = act->kind;
    eoc_cache_[i].alpha = act->alpha;
    eoc_cache_[i].sigma_b = sigma_b;
    eoc_cache_[i].sigma_w = sw;
    eoc_cache_[i].used = 1;
    return sw;
}

int ntk_phase_point(const ntk_model *m, double q0, double *out)
{
    for (int i = 0; i < NTK_PQ_COUNT; i++)
        out[i] = NAN;
    if (!(q0 > 0) || !isfinite(q0)) q0 = 1.0;
    ntk_phase_info pi;
    int rc = ntk_phase_ff(&m->act, m->sigma_w, m->sigma_b, q0, 1e-8, &pi);
    if (rc < 0) return rc;
    out[NTK_PQ_Q_STAR] = pi.q_star;
    out[NTK_PQ_CHI_1] = pi.chi_1;
    out[NTK_PQ_C_STAR] = pi.c_star;
    out[NTK_PQ_CHI_C] = pi.chi_c;
    out[NTK_PQ_XI_Q] = pi.xi_q;
    out[NTK_PQ_XI_C] = pi.xi_c;
    out[NTK_PQ_PHASE] = (double)pi.phase;
    /* The EOC root needs ~10^3 Gaussian expectations: done for the activations whose
     * expectations are cheap (closed forms, tanh); NaN for the quadrature-heavy ones. */
    if (m->act.kind == NTK_ACT_RELU || m->act.kind == NTK_ACT_IDENTITY ||
        m->act.kind == NTK_ACT_ERF || m->act.kind == NTK_ACT_TANH)
        out[NTK_PQ_EOC_SIGMA_W] = eoc_cached_(&m->act, m->sigma_b);
    if (m->act.kind == NTK_ACT_TANH && (m->arch == NTK_ARCH_FRN || m->arch == NTK_ARCH_RRN)) {
        double sv = m->arch == NTK_ARCH_RRN ? 1.0 : m->sigma_v;
        double sa = m->arch == NTK_ARCH_RRN ? 0.0 : m->sigma_a;
        ntk_phase_tanh_res_info tr;
        if (m->sigma_w > 0 && sv > 0 && ntk_phase_tanh_res(m->sigma_w, sv, sa, &tr) == 0) {
            out[NTK_PQ_RES_E_STAR] = tr.e_star;
            out[NTK_PQ_RES_RATE] = tr.delta_star;
        }
    } else if (m->arch == NTK_ARCH_FRN &&
               (m->act.kind == NTK_ACT_ALPHA_RELU || m->act.kind == NTK_ACT_RELU)) {
        double a = m->act.kind == NTK_ACT_RELU ? 1.0 : m->act.alpha;
        ntk_phase_alpha_res_info ar;
        if (m->sigma_w > 0 && m->sigma_v > 0 &&
            ntk_phase_alpha_res(a, m->sigma_w, m->sigma_v, &ar) == 0) {
            out[NTK_PQ_RES_E_STAR] = ar.e_star;
            out[NTK_PQ_RES_RATE] = ar.mu;
        }
    }
    return NTK_OK;
}
