/* gauss.c - Gaussian expectations of activations: closed forms and quadrature (see gauss.h). */
#include "ntksweep/gauss.h"

#include <math.h>
#include <pthread.h>
#include <stddef.h>

/* ------------------------------------------------------------------ Gauss-Legendre tables */

#define GL_N 32
static double gl_x[GL_N], gl_w[GL_N]; /* nodes/weights on [-1, 1] */
static pthread_once_t gl_once = PTHREAD_ONCE_INIT;

/* Newton iteration on the Legendre recurrence; nodes accurate to ~1 ulp. */
static void gl_build(int n, double *x, double *w)
{
    for (int i = 0; i < (n + 1) / 2; i++) {
        double z = cos(M_PI * (i + 0.75) / (n + 0.5)), pp = 0.0;
        for (int it = 0; it < 100; it++) {
            double p1 = 1.0, p2 = 0.0;
            for (int j = 1; j <= n; j++) {
                double p3 = p2;
                p2 = p1;
                p1 = ((2.0 * j - 1.0) * z * p2 - (j - 1.0) * p3) / j;
            }
            pp = n * (z * p1 - p2) / (z * z - 1.0);
            double dz = p1 / pp;
            z -= dz;
            if (fabs(dz) < 1e-16) break;
        }
        x[i] = -z;
        x[n - 1 - i] = z;
        w[i] = w[n - 1 - i] = 2.0 / ((1.0 - z * z) * pp * pp);
    }
}

static void gl_init(void)
{
    gl_build(GL_N, gl_x, gl_w);
}

/* ------------------------------------------------------------------ helpers */

/* Angle theta = arccos(c) of the pair, computed stably near c = +-1 from the covariance. */
static double pair_angle(double q1, double q2, double q12)
{
    double g = sqrt(q1 * q2);
    double s2 = (g - q12) * (g + q12);
    return atan2(sqrt(s2 > 0 ? s2 : 0.0), q12);
}

double ntk_gauss_c_alpha(double alpha)
{
    return exp2(alpha - 1.0) * tgamma(alpha + 0.5) / sqrt(M_PI);
}

/* J_beta(theta) by the bounded angular form (Lspan = pi - theta)
 *   J = Gamma(beta+1)/(sqrt(pi) Gamma(beta+1/2)) int_0^Lspan (sin t sin(Lspan - t))^beta dt,
 * Gauss-Legendre after t = Lspan (1 - cos(pi v))/2. */
static double J_theta(double beta, double theta)
{
    pthread_once(&gl_once, gl_init);
    if (theta <= 0.0) return 1.0;
    double L = M_PI - theta;
    if (L <= 0.0) return beta > -0.5 ? 0.0 : NAN;
    const int npan = 16;
    double sum = 0.0;
    for (int p = 0; p < npan; p++) {
        double a = (double)p / npan, b = (double)(p + 1) / npan;
        for (int k = 0; k < GL_N; k++) {
            double v = 0.5 * (a + b) + 0.5 * (b - a) * gl_x[k];
            double t = 0.5 * L * (1.0 - cos(M_PI * v));
            double dt = 0.5 * L * M_PI * sin(M_PI * v);
            double f = pow(sin(t) * sin(L - t), beta);
            sum += 0.5 * (b - a) * gl_w[k] * f * dt;
        }
    }
    return exp(lgamma(beta + 1.0) - lgamma(beta + 0.5)) / sqrt(M_PI) * sum;
}

double ntk_gauss_J_alpha(double alpha, double c)
{
    if (isnan(c) || isnan(alpha)) return NAN;
    if (c >= 1.0) return 1.0;
    if (c <= -1.0) return 0.0;
    return J_theta(alpha, acos(c));
}

/* ------------------------------------------------------------------ generic quadrature */

static void phi_dphi(ntk_act_kind kind, double x, double *y, double *d)
{
    switch (kind) {
    case NTK_ACT_TANH: {
        double t = tanh(x);
        *y = t;
        *d = 1.0 - t * t;
        return;
    }
    case NTK_ACT_GELU:
        *y = 0.5 * x * erfc(-x * M_SQRT1_2);
        *d = 0.5 * erfc(-x * M_SQRT1_2) + x * exp(-0.5 * x * x) * (0.5 * M_2_SQRTPI * M_SQRT1_2);
        return;
    case NTK_ACT_SWISH: {
        double s = 1.0 / (1.0 + exp(-x));
        *y = x * s;
        *d = s + x * s * (1.0 - s);
        return;
    }
    default:
        *y = *d = NAN;
    }
}

/* Uniform trapezoid in (z1, z2) on [-ZMAX, ZMAX]^2 with u = a1 z1, v = a2 (c z1 + s z2). */
#define ZMAX 9.0
static ntk_gauss_val trap_pair(ntk_act_kind kind, double q1, double q2, double c)
{
    double a1 = sqrt(q1), a2 = sqrt(q2), s = sqrt(fmax(0.0, 1.0 - c * c));
    double amax = fmax(a1, a2);
    double h = fmin(0.25, 0.25 / fmax(amax, 1e-300));
    int n = (int)ceil(ZMAX / h);
    if (n > 4000) n = 4000;
    h = ZMAX / n;
    double norm = h / sqrt(2.0 * M_PI);
    double T = 0.0, Td = 0.0;
    for (int i = -n; i <= n; i++) {
        double z1 = i * h, w1 = norm * exp(-0.5 * z1 * z1);
        double y1, d1;
        phi_dphi(kind, a1 * z1, &y1, &d1);
        double sy = 0.0, sd = 0.0;
        for (int j = -n; j <= n; j++) {
            double z2 = j * h, w2 = norm * exp(-0.5 * z2 * z2);
            double y2, d2;
            phi_dphi(kind, a2 * (c * z1 + s * z2), &y2, &d2);
            sy += w2 * y2;
            sd += w2 * d2;
        }
        T += w1 * y1 * sy;
        Td += w1 * d1 * sd;
    }
    return (ntk_gauss_val){T, Td};
}

/* ------------------------------------------------------------------ public API */

ntk_gauss_val ntk_gauss_pair(const ntk_act *act, double mult, double q1, double q2, double q12)
{
    double m2 = mult * mult;
    ntk_gauss_val r = {NAN, NAN};
    if (isnan(q1) || isnan(q2) || isnan(q12) || isnan(mult)) return r;
    double g = sqrt(q1 * q2);
    double c = g > 0 && isfinite(g) ? q12 / g : 0.0;
    if (c > 1.0) c = 1.0;
    if (c < -1.0) c = -1.0;
    switch (act->kind) {
    case NTK_ACT_RELU: {
        double th = g > 0 ? pair_angle(q1, q2, q12) : 0.5 * M_PI;
        r.T = m2 * g / (2.0 * M_PI) * (sin(th) + (M_PI - th) * cos(th));
        r.Tdot = m2 * (M_PI - th) / (2.0 * M_PI);
        return r;
    }
    case NTK_ACT_ALPHA_RELU: {
        double al = act->alpha;
        double th = g > 0 ? pair_angle(q1, q2, q12) : 0.5 * M_PI;
        r.T = m2 * ntk_gauss_c_alpha(al) * pow(q1 * q2, 0.5 * al) * J_theta(al, th);
        r.Tdot = m2 * al * al * ntk_gauss_c_alpha(al - 1.0) * pow(q1 * q2, 0.5 * (al - 1.0)) *
                 J_theta(al - 1.0, th);
        return r;
    }
    case NTK_ACT_ERF: {
        if (isinf(q1) || isinf(q2)) {
            r.T = m2 * M_2_PI * asin(c);
            r.Tdot = 0.0;
            return r;
        }
        double det = 1.0 + 2.0 * (q1 + q2) + 4.0 * (g - q12) * (g + q12);
        r.T = m2 * M_2_PI * atan2(2.0 * q12, sqrt(det));
        r.Tdot = m2 * 2.0 * M_2_PI / sqrt(det);
        return r;
    }
    case NTK_ACT_IDENTITY:
        r.T = m2 * q12;
        r.Tdot = m2;
        return r;
    case NTK_ACT_TANH:
        if (isinf(q1) || isinf(q2)) {
            r.T = m2 * M_2_PI * asin(c);
            r.Tdot = 0.0;
            return r;
        }
        /* fall through */
    case NTK_ACT_GELU:
    case NTK_ACT_SWISH: {
        ntk_gauss_val t = trap_pair(act->kind, q1, q2, c);
        r.T = m2 * t.T;
        r.Tdot = m2 * t.Tdot;
        return r;
    }
    default:
        return r;
    }
}

ntk_gauss_val ntk_gauss_diag(const ntk_act *act, double mult, double q)
{
    return ntk_gauss_pair(act, mult, q, q, q);
}
