/* gauss.c - Gaussian expectations of activations: closed forms and quadrature (see gauss.h). */
#include "ntksweep/gauss.h"

#include <math.h>
#include <gsl/gsl_integration.h>
#include <pthread.h>
#include <stddef.h>
#include <string.h>

/* ------------------------------------------------------------------ Gauss-Legendre tables */

#define GL_N 16
static double gl_x[GL_N], gl_w[GL_N]; /* Gauss-Legendre nodes/weights on [-1, 1] */

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

/* Geometry of a pair: variances, a = sqrt(q), correlation c in [-1, 1], s2 = 1 - c^2 and the
 * angle tau = arccos c, all computed without cancellation near c = +-1 (see pair_geo_cov). */
typedef struct {
    double q1, q2, a1, a2, g, c, s2, tau;
} pair_geo;

/* ================================================================== tanh
 *
 * Three rules, chosen per call (c >= 0 after T(-c) = -T(c), Tdot(-c) = Tdot(c); s2 = 1 - c^2):
 *  (a) series:  min(q1, q2) s2 >= TANH_QSER. The Fourier representation
 *      E[f(u) g(v)] = (2 pi)^-2 int f^(w1) g^(w2) exp(-w'Sigma w/2) dw with
 *      sech^2^(w) = 2 sum_n alpha_n w^2n (analytic for |w| < 2) and tanh = sgn - r,
 *      r^(w) = i pi sum_{n>=1} beta_n w^(2n-1), turns T and Tdot into moment series of
 *      Omega ~ N(0, Sigma^-1):  T = (2/pi) asin c - A1 - A2 + B,
 *        Tdot = 2/(pi sqrt(det)) sum_jk alpha_j alpha_k E[O1^2j O2^2k],
 *        A1 = E[r(u) sgn v] = sum_m beta_m E[O1^(2m-1)/O2]/sqrt(det),  A2 likewise,
 *        B = E[r(u) r(v)] = -pi/(2 sqrt(det)) sum_mn beta_m beta_n E[O1^(2m-1) O2^(2n-1)].
 *      The series are asymptotic; the smallest term is ~exp(-2 min(q) s2) (1e-14 at 16).
 *  (b) trapezoid in (s, d): u = a1 (C s + S d), v = a2 (C s - S d), s, d iid N(0,1),
 *      C = cos(tau/2), S = sin(tau/2), tau = arccos c. With E = exp(-2u) the grid values
 *      factor, E_ij = P_i Q_j, so tanh u = (1-E)/(1+E) and sech^2 u = 4E/(1+E)^2 cost one
 *      multiplication per node and T, Tdot share one division. Step h = min(0.7, K/sigma) per
 *      axis (error ~exp(-pi^2/(sigma h)), poles of tanh at i pi/2); rows where u and v are
 *      saturated (|.| >= 20) for every d are summed from the weight total. Used when
 *      a_max S <= TANH_SDMAX (bounded cost: O(100) columns, O(50 a_max/a_min + 22 a S) rows).
 *  (c) conditional: otherwise (very unequal variances). Outer trapezoid over the smaller
 *      variance v, inner E[tanh(mu + sigma Z)], E[sech^2(mu + sigma Z)] by the 1-D version
 *      of the series (Hermite functions; sigma^2 = q_max s2 >= 24 there).
 */
#define TANH_QTINY 1e-6 /* Taylor series at or below (1 - exp(-2u) loses digits there) */
#define TANH_QSER  16.0 /* series when min(q) s2 >= this                       */
#define TANH_SDMAX 3.5  /* (s,d) trapezoid when a_max S <= this                 */
#define TRAP_K     0.22 /* step h = TRAP_K / sigma for sigma < 1 (measured: <= 1.5e-12) */
#define TRAP_K1    0.25 /* ... and TRAP_K1 / sigma for sigma >= 1 (measured: <= 6e-13) */
#define TRAP_HG    0.55 /* step bound where sigma < 0.4 (Gaussian weight + poles)    */
#define TRAP_KD    0.18 /* diagonal rule: step TRAP_KD / sigma (Tdot measured <= 1e-15)  */
#define TRAP_Z     8.6  /* half range in standard units                        */
#define TANH_SAT   20.0 /* |x| >= 20: tanh = +-1, sech^2 < 2e-17 of its scale   */
#define NSER       41

/* alpha_n = (-1)^n 2 eta(2n) / 4^n (eta: Dirichlet eta, alpha_0 = 1): (x/sinh x) at x = pi w/2,
 * i.e. sech^2^(w) = 2 sum alpha_n w^2n. Generated with mpmath at 40 digits. */
static const double ser_alpha[NSER] = {1.0,
                                       -4.11233516712056609e-1,
                                       1.1837910368715574e-1,
                                       -3.0798471603044847e-2,
                                       7.78307032697381171e-3,
                                       -1.95124903827787415e-3,
                                       4.88162932199149507e-4,
                                       -1.22062887005124477e-4,
                                       3.05171131657381014e-5,
                                       -7.62936544700325099e-6,
                                       1.90734681436840348e-6,
                                       -4.76837044531455432e-7,
                                       1.19209282445775556e-7,
                                       -2.98023219436178206e-8,
                                       7.45058056916857809e-9,
                                       -1.8626451474962426e-9,
                                       4.65661287199319292e-10,
                                       -1.16415321820158558e-10,
                                       2.91038304563101873e-11,
                                       -7.27595761415695613e-12,
                                       1.81898940354420211e-12,
                                       -4.54747350886360721e-13,
                                       1.13686837721609567e-13,
                                       -2.84217094304036035e-14,
                                       7.10542735760097662e-15,
                                       -1.77635683940024889e-15,
                                       4.44089209850062518e-16,
                                       -1.11022302462515648e-16,
                                       2.77555756156289131e-17,
                                       -6.93889390390722835e-18,
                                       1.73472347597680709e-18,
                                       -4.33680868994201774e-19,
                                       1.08420217248550443e-19,
                                       -2.71050543121376108e-20,
                                       6.77626357803440271e-21,
                                       -1.69406589450860068e-21,
                                       4.2351647362715017e-22,
                                       -1.05879118406787542e-22,
                                       2.64697796016968856e-23,
                                       -6.6174449004242214e-24,
                                       1.65436122510605535e-24};

/* double factorial (n-1)!! for even-moment formulas, as a table: dfact[k] = (2k-1)!!, k >= 0 */
static double dfact[NSER + 2];
static double binom[2 * NSER + 2][2 * NSER + 2];
static pthread_once_t tab_once = PTHREAD_ONCE_INIT;

static void tab_init(void)
{
    dfact[0] = 1.0;
    for (int k = 1; k < NSER + 2; k++)
        dfact[k] = dfact[k - 1] * (2.0 * k - 1.0);
    for (int n = 0; n < 2 * NSER + 2; n++) {
        binom[n][0] = 1.0;
        for (int k = 1; k <= n; k++)
            binom[n][k] = binom[n - 1][k - 1] + (k < n ? binom[n - 1][k] : 0.0);
    }
    gl_build(GL_N, gl_x, gl_w);
}

/* Number of series terms for variance parameter mu (= max Var Omega): smallest K with
 * (2K-1)!! (mu/4)^K < 1e-17, capped where the asymptotic series stops decreasing. */
static int ser_terms(double mu)
{
    double t = 1.0;
    for (int k = 1; k < NSER - 1; k++) {
        double tn = t * (2.0 * k - 1.0) * 0.25 * mu;
        if (tn < 1e-17 || tn > t) return k;
        t = tn;
    }
    return NSER - 1;
}

/* (a) series rule; 0 <= c < 1, s2 = 1 - c^2 > 0. */
static void tanh_pair_series(double q1, double q2, double c, double s2, double *T, double *Td)
{
    double a1 = sqrt(q1), a2 = sqrt(q2), g = a1 * a2;
    double sdet = g * sqrt(s2);
    double m11 = 1.0 / (q1 * s2), m22 = 1.0 / (q2 * s2), m12 = -c / (g * s2);
    int K = ser_terms(fmax(m11, m22));
    int P = 2 * K + 1; /* moments E[O1^p O2^r], p, r <= P */
    double M[2 * NSER][2 * NSER];
    for (int p = 0; p <= P; p++)
        for (int r = 0; r <= P - p + 1 && r <= P; r++) {
            double v;
            if ((p + r) & 1)
                v = 0.0;
            else if (p == 0 && r == 0)
                v = 1.0;
            else if (p > 0)
                v = (p >= 2 ? (p - 1) * m11 * M[p - 2][r] : 0.0) +
                    (r >= 1 ? r * m12 * M[p - 1][r - 1] : 0.0);
            else
                v = (r - 1) * m22 * M[0][r - 2];
            M[p][r] = v;
        }
    /* Tdot: sum over j + k <= K of alpha_j alpha_k E[O1^2j O2^2k] */
    double sd = 0.0;
    for (int n = K; n >= 0; n--)
        for (int j = 0; j <= n; j++)
            sd += ser_alpha[j] * ser_alpha[n - j] * M[2 * j][2 * (n - j)];
    /* B: beta_m = alpha_m 2/pi; sum over m + n <= K + 1, m, n >= 1 */
    double sb = 0.0;
    for (int n = K + 1; n >= 2; n--)
        for (int m = 1; m < n; m++)
            sb += ser_alpha[m] * ser_alpha[n - m] * M[2 * m - 1][2 * (n - m) - 1];
    sb *= 4.0 / (M_PI * M_PI);
    /* A1 = sum_m beta_m E[O1^(2m-1)/O2]; O1 | O2 ~ N(b O2, 1/q1), b = -c a2/a1:
     * E[O1^(2m-1)/O2] = b sum_l C(2m-1, 2l+1) x^l q1^-(m-1-l) (2m-2l-3)!! (2l-1)!!,
     * x = b^2 m22 = c^2/(q1 s2) (and symmetrically for A2). */
    double sa = 0.0;
    for (int pass = 0; pass < 2; pass++) {
        double qa = pass ? q2 : q1, b = pass ? -c * a1 / a2 : -c * a2 / a1;
        double x = c * c / (qa * s2), iq = 1.0 / qa, s = 0.0, xp[NSER], ip[NSER];
        xp[0] = ip[0] = 1.0;
        for (int l = 1; l < K; l++) {
            xp[l] = xp[l - 1] * x;
            ip[l] = ip[l - 1] * iq;
        }
        for (int m = K; m >= 1; m--) {
            double e = 0.0;
            for (int l = 0; l <= m - 1; l++)
                e += binom[2 * m - 1][2 * l + 1] * xp[l] * ip[m - 1 - l] * dfact[m - 1 - l] *
                     dfact[l];
            s += ser_alpha[m] * e;
        }
        sa += b * s * M_2_PI;
    }
    *Td = 2.0 / (M_PI * sdet) * sd;
    *T = M_2_PI * asin(c) - sa / sdet - 0.5 * M_PI / sdet * sb;
}

/* (b) (s, d) trapezoid; a1, a2 > 0, tau in [0, pi/2], a_max sin(tau/2) <= TANH_SDMAX. */
/* Trapezoid step for an axis of scale sigma (tanh poles at distance pi/(2 sigma)); the error
 * of the 1-D rule for E[sech^4(sigma Z)] was measured against h = 0.005 on a grid of sigma. */
static double tanh_step(double sigma)
{
    return sigma >= 1.0 ? TRAP_K1 / sigma : fmin(TRAP_HG, TRAP_K / sigma);
}

#define TRAP_NDMAX 160 /* >= TRAP_Z * TANH_SDMAX / TRAP_K + 1 */

/* four doubles; GCC/Clang vector extension, lowered to the available SIMD width */
typedef double v4d __attribute__((vector_size(32)));

/* Equal variances (a1 = a2 = a): u + v = 2aC s, u - v = 2aS d, and with
 * L = sinh^2(aC s), W = sinh^2(aS d):  tanh u tanh v = (L - W)/(1 + L + W),
 * sech^2 u sech^2 v = 1/(1 + L + W)^2  (cosh u cosh v = 1 + L + W). The integrand is even in s
 * and in d separately, so one quadrant is summed. L - W keeps full relative precision at small q.
 */
/* Uniform-grid tables for x_i = i h, i = i0 .. i0 + n - 1: w[i] = f_i h exp(-x^2/2)/sqrt(2 pi)
 * (f_0 = 1, f_i = 2 for i > 0: the grid is folded onto x >= 0) and s2[i] = sinh^2(k x). Computed
 * by exact recurrences (exp((i+1)h) = exp(ih) exp(h), expm1 form for sinh) resynchronised
 * every 16 nodes, so rounding stays ~1e-15 relative. */
static void grid_fill(int i0, int n, double h, double k, double *w, double *s2)
{
    const double nrm = h / sqrt(2.0 * M_PI), eh = exp(-h * h), em1 = expm1(k * h);
    double g = 0, m = 0, em = 0;
    for (int t = 0; t < n; t++) {
        int i = i0 + t;
        double x = i * h;
        if ((t & 15) == 0) {
            g = exp(-0.5 * x * x);
            m = exp(-0.5 * (2.0 * i + 1.0) * h * h);
            em = expm1(k * x);
        }
        w[t] = (i ? 2.0 : 1.0) * nrm * g;
        double sh = 0.5 * em * (2.0 + em) / (1.0 + em);
        s2[t] = sh * sh;
        g *= m;
        m *= eh;
        em += em1 + em * em1; /* expm1((i+1)h k) without rounding 1 + expm1(h k) */
    }
}

static void tanh_pair_trap_eq(double a, double tau, double *T, double *Td)
{
    double C = cos(0.5 * tau), S = sin(0.5 * tau);
    double hs = tanh_step(a * C), hd = tanh_step(a * S);
    int nd = (int)ceil(TRAP_Z / hd);
    if (nd > TRAP_NDMAX) nd = TRAP_NDMAX, hd = TRAP_Z / nd;
    double wd[TRAP_NDMAX + 4], W[TRAP_NDMAX + 4];
    int n = nd + 1, n4 = (n + 3) & ~3;
    grid_fill(0, n, hd, a * S, wd, W);
    double wdsum = 0.0;
    for (int j = 0; j < n; j++)
        wdsum += wd[j];
    for (int j = n; j < n4; j++) /* pad to a multiple of 4 with zero weight */
        wd[j] = W[j] = 0.0;
    /* rows i < ns: beyond, u, v >= TANH_SAT with u, v > 0 on the whole row (tanh u tanh v = 1) */
    double dmax = nd * hd, xs = (TANH_SAT / a + S * dmax) / C;
    int ns = (int)ceil(fmin(xs, TRAP_Z + hs) / hs) + 1;
    double tsum = 0.0, dsum = 0.0, wdone = 0.0, ws[64], Ls[64];
    for (int i0 = 0; i0 < ns; i0 += 64) {
        int nb = ns - i0 < 64 ? ns - i0 : 64;
        grid_fill(i0, nb, hs, a * C, ws, Ls);
        for (int t = 0; t < nb; t++) {
            double L = Ls[t], L1 = 1.0 + L;
            v4d vL = {L, L, L, L}, vL1 = {L1, L1, L1, L1}, vt = {0, 0, 0, 0}, vd = vt;
            for (int j = 0; j < n4; j += 4) {
                v4d w, wv;
                memcpy(&w, W + j, sizeof w);
                memcpy(&wv, wd + j, sizeof wv);
                v4d r = 1.0 / (vL1 + w), x = wv * r;
                vt += x * (vL - w);
                vd += x * r;
            }
            tsum += ws[t] * ((vt[0] + vt[1]) + (vt[2] + vt[3]));
            dsum += ws[t] * ((vd[0] + vd[1]) + (vd[2] + vd[3]));
            wdone += ws[t];
        }
    }
    /* rows cut by saturation (only then: 1 - wdone is otherwise rounding noise ~1e-16) */
    *T = tsum + (xs < TRAP_Z + hs ? (1.0 - wdone) * wdsum : 0.0);
    *Td = dsum;
}

/* Uniform-grid tables for x_i = i h, i = i0 .. i0 + n - 1: folded weights w (as grid_fill) and
 * e1[i] = exp(-k1 x), e2[i] = exp(-k2 x), by the same resynchronised recurrences. */
static void grid_fill_exp(int i0, int n, double h, double k1, double k2, double *w, double *e1,
                          double *e2)
{
    const double nrm = h / sqrt(2.0 * M_PI), eh = exp(-h * h);
    const double r1 = exp(-k1 * h), r2 = exp(-k2 * h);
    double g = 0, m = 0, x1 = 0, x2 = 0;
    for (int t = 0; t < n; t++) {
        int i = i0 + t;
        double x = i * h;
        if ((t & 15) == 0) {
            g = exp(-0.5 * x * x);
            m = exp(-0.5 * (2.0 * i + 1.0) * h * h);
            x1 = exp(-k1 * x);
            x2 = exp(-k2 * x);
        }
        w[t] = (i ? 2.0 : 1.0) * nrm * g;
        e1[t] = x1;
        e2[t] = x2;
        g *= m;
        m *= eh;
        x1 *= r1;
        x2 *= r2;
    }
}

/* Unequal variances: E = exp(-2u) factors on the grid, E_ij = P_i Q_j, so
 * tanh u = (1 - E)/(1 + E), sech^2 u = 4E/(1 + E)^2 cost one multiplication per node and T, Tdot
 * share one division. Symmetric under (s, d) -> (-s, -d): rows s >= 0. No overflow: P <= 1 and
 * Q <= exp(2 a S dmax) <= exp(61) since a_max S <= TANH_SDMAX. */
static void tanh_pair_trap(double a1, double a2, double tau, double *T, double *Td)
{
    if (a1 == a2) {
        tanh_pair_trap_eq(a1, tau, T, Td);
        return;
    }
    double C = cos(0.5 * tau), S = sin(0.5 * tau);
    double amax = fmax(a1, a2), amin = fmin(a1, a2);
    double hs = tanh_step(amax * C), hd = tanh_step(amax * S);
    int nd = (int)ceil(TRAP_Z / hd);
    if (nd > TRAP_NDMAX) nd = TRAP_NDMAX, hd = TRAP_Z / nd;
    enum { NC = 2 * TRAP_NDMAX + 4 };
    double wd[NC], Q1[NC], Q2[NC];
    double nrm = hd / sqrt(2.0 * M_PI), wdsum = 0.0;
    int n = 2 * nd + 1, n4 = (n + 3) & ~3;
    for (int j = 0; j < n; j++) {
        double d = (j - nd) * hd;
        wd[j] = nrm * exp(-0.5 * d * d);
        Q1[j] = exp(-2.0 * a1 * S * d);
        Q2[j] = exp(2.0 * a2 * S * d);
        wdsum += wd[j];
    }
    for (int j = n; j < n4; j++)
        wd[j] = 0.0, Q1[j] = Q2[j] = 1.0;
    double dmax = nd * hd, xs = (TANH_SAT / amin + S * dmax) / C;
    int ns = (int)ceil(fmin(xs, TRAP_Z + hs) / hs) + 1;
    double tsum = 0.0, dsum = 0.0, wdone = 0.0, ws[64], P1s[64], P2s[64];
    for (int i0 = 0; i0 < ns; i0 += 64) {
        int nb = ns - i0 < 64 ? ns - i0 : 64;
        grid_fill_exp(i0, nb, hs, 2.0 * a1 * C, 2.0 * a2 * C, ws, P1s, P2s);
        for (int t = 0; t < nb; t++) {
            double P1 = P1s[t], P2 = P2s[t];
            v4d vP1 = {P1, P1, P1, P1}, vP2 = {P2, P2, P2, P2}, one = {1, 1, 1, 1};
            v4d vt = {0, 0, 0, 0}, vd = vt;
            for (int j = 0; j < n4; j += 4) {
                v4d q1, q2, wv;
                memcpy(&q1, Q1 + j, sizeof q1);
                memcpy(&q2, Q2 + j, sizeof q2);
                memcpy(&wv, wd + j, sizeof wv);
                v4d E1 = vP1 * q1, E2 = vP2 * q2;
                v4d r = one / ((one + E1) * (one + E2)), x = wv * r;
                vt += x * (one - E1) * (one - E2);
                vd += x * r * E1 * E2;
            }
            tsum += ws[t] * ((vt[0] + vt[1]) + (vt[2] + vt[3]));
            dsum += ws[t] * ((vd[0] + vd[1]) + (vd[2] + vd[3]));
            wdone += ws[t];
        }
    }
    /* remaining rows: u, v >= TANH_SAT on the whole row, tanh u tanh v = 1, sech^2 = 0 */
    /* rows cut by saturation (only then: 1 - wdone is otherwise rounding noise ~1e-16) */
    *T = tsum + (xs < TRAP_Z + hs ? (1.0 - wdone) * wdsum : 0.0);
    *Td = 16.0 * dsum;
}

/* 1-D series for large sigma (sigma^2 >= ~16): with x = mu/sigma,
 *   E[tanh(mu + sigma Z)]   = erf(x/sqrt2) - sqrt(2pi)/(2 sigma) e^(-x^2/2)
 *                              * sum_{n>=1} (-1)^n beta_n sigma^(1-2n) He_(2n-1)(x),
 *   E[sech^2(mu + sigma Z)] = 2/(sqrt(2pi) sigma) e^(-x^2/2) sum_n (-1)^n alpha_n sigma^-2n
 * He_2n(x), E[sech^2 tanh(...)]     = -(1/2) d/dmu E[sech^2] = e^(-x^2/2)/(sqrt(2pi) sigma^2)
 *                              * sum_n (-1)^n alpha_n sigma^-2n He_(2n+1)(x).
 * Takes x = mu/sigma; sigma = +inf gives the sign limit (erf, 0, 0). K may be NULL. */
static void tanh_cond_series(double x, double sigma, double *G, double *H, double *K)
{
    double er = erf(x * M_SQRT1_2);
    if (isinf(sigma) || x * x > 1400.0) {
        *G = er;
        *H = 0.0;
        if (K) *K = 0.0;
        return;
    }
    double e = exp(-0.5 * x * x), is2 = 1.0 / (sigma * sigma);
    /* He_k by recurrence; odd k of order 2n-1 into sr, even into sh, odd 2n+1 into sk */
    double hm = 1.0, h = x, pw = 1.0, sr = 0.0, sh = ser_alpha[0], sk = x;
    for (int n = 1; n < NSER; n++) {
        /* h = He_(2n-1), hm = He_(2n-2) */
        double sg = n & 1 ? -1.0 : 1.0;
        pw *= is2; /* sigma^-2n */
        double tr = sg * ser_alpha[n] * pw * sigma * h;
        double hn = x * h - (2.0 * n - 1.0) * hm; /* He_2n */
        double th = sg * ser_alpha[n] * pw * hn;
        hm = hn;
        h = x * hn - 2.0 * n * h; /* He_(2n+1) */
        double tk = sg * ser_alpha[n] * pw * h;
        sr += tr;
        sh += th;
        sk += tk;
        if (fabs(tr) <= 1e-17 * fabs(sr) && fabs(th) <= 1e-17 * fabs(sh) &&
            fabs(tk) <= 1e-17 * fabs(sk))
            break;
    }
    double sq = sqrt(2.0 * M_PI);
    *G = er - sq / (2.0 * sigma) * e * sr * M_2_PI;
    *H = 2.0 / (sq * sigma) * e * sh;
    if (K) *K = e * sk / (sq * sigma * sigma);
}

static double cond_step(double a2, double c, double s2);

/* (c) conditional rule: v ~ N(0, q2) by trapezoid (q2 the smaller variance), u | v by the
 * 1-D series with sigma = sqrt(q1 s2). Requires q1 s2 >= 16 (or q1 = inf). */
static void tanh_pair_cond(double q1, double q2, double c, double s2, double *T, double *Td)
{
    double a2 = sqrt(q2), sig = isinf(q1) ? INFINITY : sqrt(q1 * s2);
    double k = s2 > 0 ? c / sqrt(s2) : INFINITY; /* mu/sigma = k z */
    double h = cond_step(a2, c, s2);
    int n = (int)ceil(TRAP_Z / h);
    double nrm = h / sqrt(2.0 * M_PI), ts = 0.0, ds = 0.0;
    for (int i = 0; i <= n; i++) {
        double z = i * h, w = (i ? 2.0 : 1.0) * nrm * exp(-0.5 * z * z);
        double E = exp(-2.0 * a2 * z), y = 1.0 / (1.0 + E);
        double t = (1.0 - E) * y, s = 4.0 * E * y * y;
        double G, H;
        if (isinf(k)) {
            G = i ? 1.0 : 0.0;
            H = 0.0;
        } else
            tanh_cond_series(k * z, sig, &G, &H, NULL);
        ts += w * t * G; /* even integrand: t and G odd in z */
        ds += w * s * H;
    }
    *T = ts;
    *Td = ds;
}

/* V = E[tanh^2(sqrt(q) Z)], Vd = E[sech^4(sqrt(q) Z)], S2 = E[sech^2(sqrt(q) Z)]: trapezoid in
 * z for q < TANH_QSER, else the series S2 = 2/sqrt(2 pi q) sum alpha_n (2n-1)!! q^-n, V = 1 - S2,
 * Vd = 1/sqrt(2 pi q) sum alpha_n ((2n+1)!! q^-(n+1) + 4 (2n-1)!! q^-n)/3
 * (sech^4^(w) = (w^2 + 4)/3 * sech^2^(w)/2). */
static void tanh_diag(double q, double *V, double *Vd, double *S2)
{
    if (isinf(q)) {
        *V = 1.0;
        *Vd = *S2 = 0.0;
        return;
    }
    if (q <= TANH_QTINY) { /* Taylor series of tanh^2, sech^4, sech^2 with E Z^2k = (2k-1)!! */
        *V = q * (1.0 - q * (2.0 - q * 17.0 / 3.0));
        *Vd = 1.0 - q * (2.0 - q * (7.0 - q * 94.0 / 3.0));
        *S2 = 1.0 - q * (1.0 - q * (2.0 - q * 17.0 / 3.0));
        return;
    }
    if (q >= TANH_QSER) {
        int K = ser_terms(1.0 / q);
        double s2 = 0.0, s4 = 0.0, iq = 1.0 / q;
        for (int n = K; n >= 0; n--) {
            double ip = pow(iq, n);
            s2 += ser_alpha[n] * dfact[n] * ip;
            s4 += ser_alpha[n] * (dfact[n + 1] * ip * iq + 4.0 * dfact[n] * ip);
        }
        double f = 1.0 / sqrt(2.0 * M_PI * q);
        *S2 = 2.0 * f * s2;
        *V = 1.0 - *S2;
        *Vd = f * s4 / 3.0;
        return;
    }
    /* A finer step than the pair rules: the diagonal costs O(50) nodes, and its Tdot error
     * accumulates linearly with depth in the NTK diagonal (Theta(x,x) of depth L carries the sum
     * of L per-layer errors of Tdot: 5e-10 at L = 1000 with the pair step 0.25/sigma). */
    double a = sqrt(q), h = fmin(TRAP_HG, TRAP_KD / a);
    int n = (int)ceil(TRAP_Z / h);
    double nrm = h / sqrt(2.0 * M_PI), sv = 0.0, sd = 0.0, ss = 0.0;
    for (int i = 0; i <= n; i++) {
        double z = i * h, w = (i ? 2.0 : 1.0) * nrm * exp(-0.5 * z * z);
        double E = exp(-2.0 * a * z), y = 1.0 / (1.0 + E), t = (1.0 - E) * y, s = 4.0 * E * y * y;
        sv += w * t * t;
        sd += w * s * s;
        ss += w * s;
    }
    *V = sv;
    *Vd = sd;
    *S2 = ss;
}

/* Rough costs in ns (measured on x86-64, baseline SSE2) of rules (b) and (c), used to pick the
 * cheaper one where both apply. */
static double cond_step(double a2, double c, double s2)
{
    double h = tanh_step(a2);
    if (c > 0 && 0.75 * sqrt(s2) / c < h) h = 0.75 * sqrt(s2) / c;
    return h;
}

static double cond_cost(double qmin, double c, double s2)
{
    return 110.0 * (TRAP_Z / cond_step(sqrt(qmin), c, s2) + 1.0);
}

static double trap_cost(double a1, double a2, double tau)
{
    double C = cos(0.5 * tau), S = sin(0.5 * tau), amax = fmax(a1, a2), amin = fmin(a1, a2);
    double hs = tanh_step(amax * C), hd = tanh_step(amax * S);
    double xs = fmin((TANH_SAT / amin + S * TRAP_Z) / C, TRAP_Z), cols = 2.0 * TRAP_Z / hd + 1.0;
    return (xs / hs + 1.0) * (0.5 * cols + 20.0);
}

/* E[tanh u tanh v], E[sech^2 u sech^2 v] for the pair geometry p (q >= 0, not NaN). */
static void tanh_pair(const pair_geo *p, double *T, double *Td)
{
    double V, Vd, S2, q1 = p->q1, q2 = p->q2;
    if (q1 == 0.0 || q2 == 0.0) { /* tanh(0) = 0, sech^2(0) = 1 */
        tanh_diag(q1 == 0.0 ? q2 : q1, &V, &Vd, &S2);
        *T = 0.0;
        *Td = S2;
        return;
    }
    /* odd activation: T(-c) = -T(c), Tdot(-c) = Tdot(c) */
    double sgn = p->c < 0 ? -1.0 : 1.0, c = fabs(p->c), s2 = p->s2;
    double tau = p->c < 0 ? M_PI - p->tau : p->tau;
    if (isinf(q1) && isinf(q2)) {
        *T = sgn * M_2_PI * asin(c);
        *Td = 0.0;
        return;
    }
    if (isinf(q1) || isinf(q2)) {
        if (isinf(q1))
            tanh_pair_cond(q1, q2, c, s2, T, Td);
        else
            tanh_pair_cond(q2, q1, c, s2, T, Td);
        *T *= sgn;
        return;
    }
    if (s2 == 0.0 && q1 == q2) {
        tanh_diag(q1, T, Td, &S2);
        *T *= sgn;
        return;
    }
    double qmin = fmin(q1, q2), qmax = fmax(q1, q2);
    if (qmax <= TANH_QTINY) {
        /* Isserlis moments of tanh x = x - x^3/3 + 2x^5/15, sech^2 x = 1 - x^2 + 2x^4/3;
         * omitted terms O(q^3) relative */
        double q12 = c * p->g;
        *T = sgn * q12 *
             (1.0 - (q1 + q2) + 2.0 * (q1 * q1 + q2 * q2) + q1 * q2 + (2.0 / 3.0) * q12 * q12);
        *Td = 1.0 - (q1 + q2) + q1 * q2 + 2.0 * q12 * q12 + 2.0 * (q1 * q1 + q2 * q2);
        return;
    }
    if (qmin * s2 >= TANH_QSER)
        tanh_pair_series(q1, q2, c, s2, T, Td);
    else if (sqrt(qmax) * sin(0.5 * tau) <= TANH_SDMAX &&
             (qmax * s2 < TANH_QSER || trap_cost(p->a1, p->a2, tau) < cond_cost(qmin, c, s2)))
        tanh_pair_trap(p->a1, p->a2, tau, T, Td);
    else
        tanh_pair_cond(qmax, qmin, c, s2, T, Td);
    *T *= sgn;
}

/* ------------------------------------------------------------------ helpers */

double ntk_gauss_c_alpha(double alpha)
{
    return exp2(alpha - 1.0) * tgamma(alpha + 0.5) / sqrt(M_PI);
}

/* Gauss-Jacobi rule on [0, 1] for the weight x^beta (GSL, Golub-Welsch), cached per thread for
 * the last GJ_CACHE exponents (a sweep point uses alpha, alpha - 1 and 2 alpha). n = 0 if the
 * allocation failed.
 */
#define GJ_N 20
typedef struct {
    double beta;
    int n;
    double x[GJ_N], w[GJ_N];
} gj_rule;
#define GJ_CACHE 4
static _Thread_local gj_rule gj_cache[GJ_CACHE];
static _Thread_local int gj_next;
static _Thread_local int gj_valid[GJ_CACHE];

static const gj_rule *gj_get(double beta)
{
    for (int k = 0; k < GJ_CACHE; k++)
        if (gj_valid[k] && gj_cache[k].beta == beta) return &gj_cache[k];
    gj_rule *r = &gj_cache[gj_next];
    gj_next = (gj_next + 1) % GJ_CACHE;
    r->beta = beta;
    r->n = 0;
    gj_valid[r - gj_cache] = 1;
    gsl_integration_fixed_workspace *w =
        gsl_integration_fixed_alloc(gsl_integration_fixed_jacobi, GJ_N, 0.0, 1.0, 0.0, beta);
    if (w) {
        memcpy(r->x, gsl_integration_fixed_nodes(w), sizeof r->x);
        memcpy(r->w, gsl_integration_fixed_weights(w), sizeof r->w);
        r->n = GJ_N;
        gsl_integration_fixed_free(w);
    }
    return r;
}

/* A(a, b, m; tau) = 2 int_0^(L/2) (sin t)^a (sin(t + tau))^b cos(t + tau)^m dt, L = pi - tau,
 * 0 < tau < pi, a > -1. The integrand behaves like t^a (t + tau)^b near 0: the first panel
 * [0, min(tau, L/2)] uses Gauss-Jacobi for t^a (remaining factor analytic, nearest singularity at
 * relative distance >= 1), then geometrically growing panels [2^k tau, 2^(k+1) tau] use 16-point
 * Gauss-Legendre (nearest singularity at relative distance >= 1: ~1e-19 per panel). */
static double ang_int(double a, double b, int m, double tau)
{
    const gj_rule *gj = gj_get(a);
    if (gj->n == 0) return NAN;
    double half = 0.5 * (M_PI - tau), lo = fmin(tau, half), sum = 0.0;
    for (int k = 0; k < gj->n; k++) { /* int_0^lo t^a g(t) dt */
        double t = lo * gj->x[k], st = sin(t + tau);
        double f = pow(sin(t) / t, a) * pow(st, b);
        sum += gj->w[k] * (m ? f * cos(t + tau) : f);
    }
    sum *= pow(lo, a + 1.0);
    while (lo < half) {
        double hi = fmin(2.0 * lo, half), mid = 0.5 * (lo + hi), r = 0.5 * (hi - lo), p = 0.0;
        for (int k = 0; k < GL_N; k++) {
            double t = mid + r * gl_x[k], f = pow(sin(t), a) * pow(sin(t + tau), b);
            p += gl_w[k] * (m ? f * cos(t + tau) : f);
        }
        sum += r * p;
        lo = hi;
    }
    return 2.0 * sum;
}

/* Normalisation of the angular form: J = Gamma(beta+1)/(sqrt(pi) Gamma(beta+1/2)) A(beta, beta). */
static double J_norm(double beta)
{
    return exp(lgamma(beta + 1.0) - lgamma(beta + 0.5)) / sqrt(M_PI);
}

/* J_beta at angle tau = arccos c in [0, pi], beta > -1/2 ([seed-004 2.6.1], bounded angular form
 * folded at its symmetry point t = L/2, sin(L - t) = sin(t + tau)):
 *   J = Gamma(beta+1)/(sqrt(pi) Gamma(beta+1/2)) * 2 int_0^(L/2) (sin t sin(t + tau))^beta dt.
 * Valid for beta in (-1/2, 0) too (the singular J_(alpha-1) of Tdot). Relative error ~1e-15. */
static double J_theta(double beta, double tau)
{
    pthread_once(&tab_once, tab_init);
    if (isnan(beta) || isnan(tau) || !(beta > -0.5)) return NAN;
    if (tau <= 0.0) return 1.0;
    if (tau >= M_PI) return 0.0;
    if (beta == 0.0) return 1.0 - tau / M_PI;
    return J_norm(beta) * ang_int(beta, beta, 0, tau);
}

double ntk_gauss_J_alpha(double alpha, double c)
{
    if (isnan(c) || isnan(alpha)) return NAN;
    if (c >= 1.0) return J_theta(alpha, 0.0);
    if (c <= -1.0) return J_theta(alpha, M_PI);
    return J_theta(alpha, acos(c));
}

/* 1 - J_beta(cos theta) without cancellation ([seed-004 2.3]: "compute 1 - J_alpha(c) directly").
 * By symmetry 1 - J = E[(u_+^beta - v_+^beta)^2] / (2 c_beta), a square; in polar coordinates
 * (radial integral 2^beta Gamma(beta+1)) this is
 *   1 - J = N [ int_0^theta sin^(2b) s ds + int_0^((pi-theta)/2) (sin^b t - sin^b(t+theta))^2 dt ],
 * N = Gamma(b+1)/(sqrt(pi) Gamma(b+1/2)), with sin^b t - sin^b(t+theta) =
 * -sin^b t expm1(b log1p(2 cos(t + theta/2) sin(theta/2) / sin t)): every term is O(theta^2) and
 * positive, so the relative precision holds as theta -> 0. On [0, min(theta, .)] the square is
 * expanded into its t^(2b), t^b (t+theta)^b and (t+theta)^(2b) parts (Gauss-Jacobi for the first
 * two, Gauss-Legendre for the last); they differ by O(1) factors there except for small |b|,
 * where ~log10(1/|b|) digits are lost. For theta > pi/2, 1 - J is O(1) and taken as 1 - J. */
static double J_comp_theta(double b, double th)
{
    pthread_once(&tab_once, tab_init);
    if (isnan(b) || isnan(th) || !(b > -0.5)) return NAN;
    if (th <= 0.0) return 0.0;
    if (th >= M_PI) return 1.0;
    if (b == 0.0) return th / M_PI;
    if (th > 0.5 * M_PI) return 1.0 - J_theta(b, th);
    const gj_rule *g1 = gj_get(b), *g2 = gj_get(2.0 * b);
    if (g1->n == 0 || g2->n == 0) return NAN;
    double half = 0.5 * (M_PI - th), lo = fmin(th, half), sum = 0.0, p;
    /* int_0^theta sin^(2b) s ds */
    p = 0.0;
    for (int k = 0; k < g2->n; k++) {
        double t = th * g2->x[k];
        p += g2->w[k] * pow(sin(t) / t, 2.0 * b);
    }
    sum += p * pow(th, 2.0 * b + 1.0);
    /* panel [0, lo]: sin^(2b) t - 2 (sin t sin(t+th))^b + sin^(2b)(t+th) */
    double pa = 0.0, pb = 0.0, pc = 0.0;
    for (int k = 0; k < g2->n; k++) {
        double t = lo * g2->x[k];
        pa += g2->w[k] * pow(sin(t) / t, 2.0 * b);
    }
    for (int k = 0; k < g1->n; k++) {
        double t = lo * g1->x[k];
        pb += g1->w[k] * pow(sin(t) / t * sin(t + th), b);
    }
    for (int k = 0; k < GL_N; k++) {
        double t = 0.5 * lo * (1.0 + gl_x[k]);
        pc += gl_w[k] * pow(sin(t + th), 2.0 * b);
    }
    sum += pa * pow(lo, 2.0 * b + 1.0) - 2.0 * pb * pow(lo, b + 1.0) + 0.5 * lo * pc;
    double sh = sin(0.5 * th);
    while (lo < half) {
        double hi = fmin(2.0 * lo, half), mid = 0.5 * (lo + hi), r = 0.5 * (hi - lo);
        p = 0.0;
        for (int k = 0; k < GL_N; k++) {
            double t = mid + r * gl_x[k], st = sin(t);
            double d = pow(st, b) * expm1(b * log1p(2.0 * cos(t + 0.5 * th) * sh / st));
            p += gl_w[k] * d * d;
        }
        sum += r * p;
        lo = hi;
    }
    return J_norm(b) * sum;
}

double ntk_gauss_J_alpha_comp_angle(double alpha, double theta)
{
    return J_comp_theta(alpha, theta);
}

double ntk_gauss_J_alpha_angle(double alpha, double theta)
{
    return J_theta(alpha, theta);
}

/* dJ/dc = -(dJ/dtau)/sin tau with (differentiating the folded form; f(L/2) = cos(tau/2)^(2a))
 *   dA(a, a)/dtau = -cos(tau/2)^(2a) + a A(a, a - 1, cos). */
double ntk_gauss_dJ_alpha_angle(double alpha, double theta)
{
    pthread_once(&tab_once, tab_init);
    if (isnan(alpha) || isnan(theta) || !(alpha > -0.5) || theta < 0.0 || theta > M_PI) return NAN;
    if (alpha == 0.0) return theta > 0.0 && theta < M_PI ? 1.0 / (M_PI * sin(theta)) : INFINITY;
    if (theta == 0.0) /* J'(1) = alpha^2/(2 alpha - 1) (Lemma C.34), +inf for alpha <= 1/2 */
        return alpha > 0.5 ? alpha * alpha / (2.0 * alpha - 1.0) : INFINITY;
    if (theta == M_PI) return alpha > 0.5 ? 0.0 : NAN;
    double dA = -pow(cos(0.5 * theta), 2.0 * alpha) + alpha * ang_int(alpha, alpha - 1.0, 1, theta);
    return -J_norm(alpha) * dA / sin(theta);
}

/* ================================================================== gelu, swish
 *
 * Conditional rule: with u ~ N(0, q1) the outer variable and v | u ~ N(kappa u, sigma^2)
 * (kappa = q12/q1, sigma^2 = q2 (1 - c^2)),
 *   T = E[phi(u) M(kappa u, sigma)],  Tdot = E[phi'(u) M'(kappa u, sigma)],
 *   M = E[phi(X)], M' = E[phi'(X)], X ~ N(mu, sigma^2).
 * gelu: closed forms with s = sqrt(1 + sigma^2):  M = mu Phi(mu/s) + sigma^2/s phi(mu/s),
 *   M' = Phi(mu/s) + mu phi(mu/s)/s^3  (E[X Phi(X)] via X - W, W ~ N(0,1) independent).
 * swish = (x/2)(1 + tanh(x/2)): by Stein's lemma, with Y = X/2 ~ N(mu/2, sigma^2/4),
 *   M = mu/2 (1 + E tanh Y) + sigma^2/4 E sech^2 Y,
 *   M' = (1 + E tanh Y)/2 + mu/4 E sech^2 Y - sigma^2/4 E[sech^2 Y tanh Y]
 *   (1-D tanh expectations: the series above for sigma^2/4 >= 16, else a trapezoid).
 * The outer integral is a trapezoid in z = u/sqrt(q1) for moderate variances and composite
 * 16-point Gauss-Legendre on geometrically growing panels in u (split at 0) for large ones.
 * Small variances for swish use the (s, d) trapezoid with exp(-u) = P_i Q_j factorised. */
#define SMOOTH_K    0.44 /* swish (s,d) trapezoid step sigma h (poles of the sigmoid at i pi) */
#define GELU_K      0.55 /* gelu outer trapezoid step h sqrt(q1 + c^2 q2) (entire integrand)  */
#define SMOOTH_AMAX 6.0  /* sqrt(q) above which the outer rule is graded Gauss-Legendre       */
#define SMOOTH_UNEG 50.0 /* phi(u), phi'(u) < 1e-19 |u| for u < -50 (gelu, swish)            */

static double Phi(double x)
{
    return 0.5 * erfc(-x * M_SQRT1_2);
}

static double phi_n(double x)
{
    return exp(-0.5 * x * x) / sqrt(2.0 * M_PI);
}

static void smooth_phi(ntk_act_kind kind, double x, double *y, double *d)
{
    if (kind == NTK_ACT_GELU) {
        double P = Phi(x), p = phi_n(x);
        *y = x * P;
        *d = P + x * p;
    } else {
        double E = exp(-x), s = 1.0 / (1.0 + E);
        if (isinf(E)) { /* x < -709: swish = x e^x = 0 */
            *y = *d = 0.0;
            return;
        }
        *y = x * s;
        *d = s * (1.0 + x * E * s);
    }
}

/* E[tanh Y], E[sech^2 Y], E[sech^2 Y tanh Y] for Y ~ N(m, s^2), s fixed per pair: either the
 * series (s^2 >= 16) or a trapezoid in w whose tables exp(-2 s w_j) and weights are built once,
 * so that each m costs one division per node (exp(-2(m + s w)) = exp(-2m) Q_j). */
#define TM_NMAX 160
typedef struct {
    double s;
    int series, n;
    double w[2 * TM_NMAX + 1], Q[2 * TM_NMAX + 1];
} tanh_mom_tab;

static void tanh_mom_init(tanh_mom_tab *tb, double s)
{
    tb->s = s;
    tb->series = s * s >= TANH_QSER;
    tb->n = 0;
    if (tb->series) return;
    double h = tanh_step(s);
    int n = (int)ceil(TRAP_Z / h);
    if (n > TM_NMAX) /* s^2 < 16 keeps n <= 4 TRAP_Z / TRAP_K + 1 < TM_NMAX */
        n = TM_NMAX, h = TRAP_Z / n;
    double nrm = h / sqrt(2.0 * M_PI);
    tb->n = 2 * n + 1;
    for (int j = 0; j < tb->n; j++) {
        double w = (j - n) * h;
        tb->w[j] = nrm * exp(-0.5 * w * w);
        tb->Q[j] = exp(-2.0 * s * w);
    }
}

static void tanh_moments1(const tanh_mom_tab *tb, double m, double *G, double *H, double *K)
{
    double s = tb->s;
    if (tb->series) {
        tanh_cond_series(m / s, s, G, H, K);
        return;
    }
    if (fabs(m) >= TANH_SAT + TRAP_Z * s) { /* saturated over the whole Gaussian range */
        *G = m > 0 ? 1.0 : -1.0;
        *H = *K = 0.0;
        return;
    }
    double em = exp(-2.0 * m), g = 0, hh = 0, k = 0;
    for (int j = 0; j < tb->n; j++) {
        double E = em * tb->Q[j], y = 1.0 / (1.0 + E);
        double t = (1.0 - E) * y, sc = 4.0 * E * y * y * tb->w[j];
        g += tb->w[j] * t;
        hh += sc;
        k += sc * t;
    }
    *G = g;
    *H = hh;
    *K = k;
}

/* M = E[phi(X)], M' = E[phi'(X)], X ~ N(mu, sig^2); tb: tables for s = sig/2 (swish only). */
static void smooth_cond(ntk_act_kind kind, const tanh_mom_tab *tb, double mu, double sig, double *M,
                        double *Md)
{
    if (kind == NTK_ACT_GELU) {
        double s = sqrt(1.0 + sig * sig), x = mu / s, P = Phi(x), p = phi_n(x);
        *M = mu * P + sig * sig / s * p;
        *Md = P + mu * p / (s * s * s);
    } else {
        double G, H, K;
        tanh_moments1(tb, 0.5 * mu, &G, &H, &K);
        *M = 0.5 * mu * (1.0 + G) + 0.25 * sig * sig * H;
        *Md = 0.5 * (1.0 + G) + 0.25 * mu * H - 0.25 * sig * sig * K;
    }
}

/* Outer integrand at u (without the Gaussian density). */
static void smooth_outer(ntk_act_kind kind, const tanh_mom_tab *tb, double u, double kap,
                         double sig, double *t, double *d)
{
    double y, dy, M, Md;
    smooth_phi(kind, u, &y, &dy);
    smooth_cond(kind, tb, kap * u, sig, &M, &Md);
    *t = y * M;
    *d = dy * Md;
}

/* Conditional rule, u the outer variable (variance q1 > 0). */
static void smooth_pair_cond(ntk_act_kind kind, double q1, double q2, double c, double s2,
                             double *T, double *Td)
{
    double a1 = sqrt(q1), a2 = sqrt(q2), kap = c * a2 / a1, sig = a2 * sqrt(s2);
    double ts = 0.0, ds = 0.0, t, d;
    tanh_mom_tab tb;
    tb.n = 0;
    if (kind == NTK_ACT_SWISH) tanh_mom_init(&tb, 0.5 * sig);
    if (fmax(a1, fabs(c) * a2) <= SMOOTH_AMAX) {
        double h = fmin(TRAP_HG, GELU_K / sqrt(a1 * a1 + c * c * a2 * a2));
        int n = (int)ceil(TRAP_Z / h);
        double nrm = h / sqrt(2.0 * M_PI);
        for (int i = -n; i <= n; i++) {
            double z = i * h, w = nrm * exp(-0.5 * z * z);
            smooth_outer(kind, &tb, a1 * z, kap, sig, &t, &d);
            ts += w * t;
            ds += w * d;
        }
    } else {
        /* panels [0, u0], [u0, 2 u0], ... on each side; u0 resolves phi (scale 1) and M (scale
         * max(1, sigma)/kappa) */
        double u0 = 0.5 * fmin(1.0, fmax(1.0, sig) / fmax(fabs(kap), 1e-300));
        double nrm = 1.0 / (sqrt(2.0 * M_PI) * a1);
        for (int side = -1; side <= 1; side += 2) {
            double end = side > 0 ? TRAP_Z * a1 : fmin(TRAP_Z * a1, SMOOTH_UNEG);
            for (double lo = 0.0, hi = fmin(u0, end); lo < end; lo = hi, hi = fmin(2.0 * hi, end)) {
                double m = 0.5 * (lo + hi), r = 0.5 * (hi - lo);
                for (int k = 0; k < GL_N; k++) {
                    double u = side * (m + r * gl_x[k]),
                           w = r * gl_w[k] * nrm * exp(-0.5 * u * u / q1);
                    smooth_outer(kind, &tb, u, kap, sig, &t, &d);
                    ts += w * t;
                    ds += w * d;
                }
            }
        }
    }
    *T = ts;
    *Td = ds;
}

/* swish, small variances: (s, d) trapezoid on the full plane, u = a1 (C s + S d),
 * v = a2 (C s - S d), exp(-u) = P1_i Q1_j, exp(-v) = P2_i Q2_j. */
#define SW_NMAX 400
static void swish_pair_trap(double a1, double a2, double tau, double *T, double *Td)
{
    double C = cos(0.5 * tau), S = sin(0.5 * tau), amax = fmax(a1, a2);
    double hs = amax * C > SMOOTH_K / TRAP_HG ? SMOOTH_K / (amax * C) : TRAP_HG;
    double hd = amax * S > SMOOTH_K / TRAP_HG ? SMOOTH_K / (amax * S) : TRAP_HG;
    int ns = (int)ceil(TRAP_Z / hs), nd = (int)ceil(TRAP_Z / hd);
    if (nd > SW_NMAX) nd = SW_NMAX, hd = TRAP_Z / nd;
    enum { NC = 2 * SW_NMAX + 1 };
    double wd[NC], Q1[NC], Q2[NC], V1[NC], V2[NC];
    double nrm = 1.0 / sqrt(2.0 * M_PI);
    int n = 2 * nd + 1;
    for (int j = 0; j < n; j++) {
        double dd = (j - nd) * hd;
        wd[j] = hd * nrm * exp(-0.5 * dd * dd);
        V1[j] = a1 * S * dd;
        V2[j] = -a2 * S * dd;
        Q1[j] = exp(-V1[j]);
        Q2[j] = exp(-V2[j]);
    }
    double tsum = 0.0, dsum = 0.0;
    for (int i = -ns; i <= ns; i++) {
        double ss = i * hs, ws = hs * nrm * exp(-0.5 * ss * ss);
        double U1 = a1 * C * ss, U2 = a2 * C * ss, P1 = exp(-U1), P2 = exp(-U2);
        double ts = 0.0, ds = 0.0;
        for (int j = 0; j < n; j++) {
            double E1 = P1 * Q1[j], E2 = P2 * Q2[j], u = U1 + V1[j], v = U2 + V2[j];
            double r = 1.0 / ((1.0 + E1) * (1.0 + E2)), y1 = (1.0 + E2) * r, y2 = (1.0 + E1) * r;
            ts += wd[j] * u * v * r;
            ds += wd[j] * y1 * y2 * (1.0 + u * E1 * y1) * (1.0 + v * E2 * y2);
        }
        tsum += ws * ts;
        dsum += ws * ds;
    }
    *T = tsum;
    *Td = dsum;
}

/* gelu / swish pair for finite q1, q2 >= 0. */
static void smooth_pair(ntk_act_kind kind, const pair_geo *p, double *T, double *Td)
{
    double q1 = p->q1, q2 = p->q2;
    if (q1 == 0.0 || q2 == 0.0) { /* phi(0) = 0, phi'(0) = 1/2 */
        double M, Md, q = q1 == 0.0 ? q2 : q1;
        tanh_mom_tab tb;
        tb.n = 0;
        if (kind == NTK_ACT_SWISH) tanh_mom_init(&tb, 0.5 * sqrt(q));
        smooth_cond(kind, &tb, 0.0, sqrt(q), &M, &Md);
        *T = 0.0;
        *Td = 0.5 * Md;
        return;
    }
    if (kind == NTK_ACT_SWISH && fmax(p->a1, p->a2) <= SMOOTH_AMAX) {
        swish_pair_trap(p->a1, p->a2, p->tau, T, Td);
        return;
    }
    if (q1 >= q2)
        smooth_pair_cond(kind, q1, q2, p->c, p->s2, T, Td);
    else
        smooth_pair_cond(kind, q2, q1, p->c, p->s2, T, Td);
}

/* ------------------------------------------------------------------ public API */

/* Geometry from the covariance: c = q12/sqrt(q1 q2) clamped to [-1, 1] (inf/inf read as the sign
 * of q12), s2 = (g - |q12|)(g + |q12|)/g^2, tau = atan2(sqrt(s2), c). A zero variance gives
 * c = 0 (the pair is independent). */
static void pair_geo_cov(pair_geo *p, double q1, double q2, double q12)
{
    p->q1 = q1;
    p->q2 = q2;
    p->a1 = sqrt(q1);
    p->a2 = sqrt(q2);
    /* sqrt(q1 q2) is exact for q1 = q2 (sqrt(fl(q^2)) = q), so pair(q, q, q) has c = 1 exactly */
    double pr = q1 * q2;
    p->g = isnormal(pr) ? sqrt(pr) : p->a1 * p->a2;
    double g = p->g, aq = fabs(q12);
    if (g == 0.0) {
        p->c = 0.0;
        p->s2 = 1.0;
    } else if (isinf(g)) {
        p->c = isinf(q12) ? copysign(1.0, q12) : q12 / g;
        p->s2 = 1.0 - p->c * p->c;
    } else if (aq >= g) {
        p->c = copysign(1.0, q12);
        p->s2 = 0.0;
    } else {
        p->c = q12 / g;
        p->s2 = ((g - aq) / g) * ((g + aq) / g);
    }
    p->tau = atan2(sqrt(p->s2), p->c);
}

static void pair_geo_angle(pair_geo *p, double q1, double q2, double theta)
{
    p->q1 = q1;
    p->q2 = q2;
    p->a1 = sqrt(q1);
    p->a2 = sqrt(q2);
    p->g = p->a1 * p->a2;
    theta = fmin(fmax(theta, 0.0), M_PI);
    p->tau = theta;
    p->c = cos(theta);
    p->s2 = sin(theta) * sin(theta);
    if (theta == 0.0 || theta == M_PI) p->s2 = 0.0, p->c = theta == 0.0 ? 1.0 : -1.0;
}

static ntk_gauss_val pair_eval(const ntk_act *act, double mult, const pair_geo *p)
{
    ntk_gauss_val r = {NAN, NAN};
    double m2 = mult * mult, q1 = p->q1, q2 = p->q2, g = p->g, th = p->tau;
    if (isnan(q1) || isnan(q2) || isnan(th) || isnan(mult) || q1 < 0.0 || q2 < 0.0) return r;
    switch (act->kind) {
    case NTK_ACT_RELU:
        /* arc-cosine kernel of degree 1 [seed-001 2.1] */
        r.T = m2 * g / (2.0 * M_PI) * (sin(th) + (M_PI - th) * cos(th));
        r.Tdot = m2 * (M_PI - th) / (2.0 * M_PI);
        return r;
    case NTK_ACT_ALPHA_RELU: {
        /* [seed-004 2.6.1]: T = c_a (q1 q2)^(a/2) J_a(c), Tdot = a^2 c_(a-1) (q1 q2)^((a-1)/2)
         * J_(a-1)(c) (E[phi'phi'] = a^2 E[u_+^(a-1) v_+^(a-1)]) */
        double al = act->alpha;
        if (!(al > 0.5)) return r;
        if (al == 1.0) {
            ntk_act relu = {NTK_ACT_RELU, 1.0};
            return pair_eval(&relu, mult, p);
        }
        r.T = m2 * ntk_gauss_c_alpha(al) * pow(g, al) * J_theta(al, th);
        r.Tdot =
            m2 * al * al * ntk_gauss_c_alpha(al - 1.0) * pow(g, al - 1.0) * J_theta(al - 1.0, th);
        return r;
    }
    case NTK_ACT_ERF: {
        /* E[erf u erf v] = (2/pi) arcsin(2 q12 / sqrt((1 + 2 q1)(1 + 2 q2))),
         * E[erf' u erf' v] = (4/pi) / sqrt(det(I + 2 Sigma)); det written without cancellation */
        if (isinf(q1) && isinf(q2)) {
            r.T = m2 * M_2_PI * asin(p->c);
            r.Tdot = 0.0;
            return r;
        }
        if (isinf(q1) || isinf(q2)) { /* E[sgn(u) erf(v)] = (2/pi) arcsin(c sqrt(2q/(1+2q))) */
            double qf = isinf(q1) ? q2 : q1;
            r.T = m2 * M_2_PI * asin(p->c * sqrt(2.0 * qf / (1.0 + 2.0 * qf)));
            r.Tdot = 0.0;
            return r;
        }
        double det = 1.0 + 2.0 * (q1 + q2) + 4.0 * g * g * p->s2;
        r.T = m2 * M_2_PI * atan2(2.0 * g * p->c, sqrt(det));
        r.Tdot = m2 * 2.0 * M_2_PI / sqrt(det);
        return r;
    }
    case NTK_ACT_IDENTITY:
        r.T = m2 * g * p->c;
        r.Tdot = m2;
        return r;
    case NTK_ACT_TANH:
        pthread_once(&tab_once, tab_init);
        tanh_pair(p, &r.T, &r.Tdot);
        r.T *= m2;
        r.Tdot *= m2;
        return r;
    case NTK_ACT_GELU:
    case NTK_ACT_SWISH:
        if (isinf(q1) || isinf(q2)) return r;
        pthread_once(&tab_once, tab_init);
        smooth_pair(act->kind, p, &r.T, &r.Tdot);
        r.T *= m2;
        r.Tdot *= m2;
        return r;
    default:
        return r;
    }
}

ntk_gauss_val ntk_gauss_pair(const ntk_act *act, double mult, double q1, double q2, double q12)
{
    pair_geo p;
    if (isnan(q12)) {
        ntk_gauss_val r = {NAN, NAN};
        return r;
    }
    pair_geo_cov(&p, q1, q2, q12);
    return pair_eval(act, mult, &p);
}

ntk_gauss_val ntk_gauss_pair_angle(const ntk_act *act, double mult, double q1, double q2,
                                   double theta)
{
    pair_geo p;
    pair_geo_angle(&p, q1, q2, theta);
    return pair_eval(act, mult, &p);
}

ntk_gauss_val ntk_gauss_diag(const ntk_act *act, double mult, double q)
{
    ntk_gauss_val r = {NAN, NAN};
    double m2 = mult * mult;
    if (isnan(q) || isnan(mult) || q < 0.0) return r;
    switch (act->kind) {
    case NTK_ACT_RELU: /* q -> 0: the limit 1/2 of E[step^2] */
        r.T = m2 * 0.5 * q;
        r.Tdot = m2 * 0.5;
        return r;
    case NTK_ACT_ALPHA_RELU: {
        double al = act->alpha;
        if (!(al > 0.5)) return r;
        r.T = m2 * ntk_gauss_c_alpha(al) * pow(q, al);
        r.Tdot = m2 * al * al * ntk_gauss_c_alpha(al - 1.0) * pow(q, al - 1.0);
        return r;
    }
    case NTK_ACT_ERF:
        if (isinf(q)) {
            r.T = m2;
            r.Tdot = 0.0;
            return r;
        }
        r.T = m2 * M_2_PI * atan2(2.0 * q, sqrt(1.0 + 4.0 * q));
        r.Tdot = m2 * 2.0 * M_2_PI / sqrt(1.0 + 4.0 * q);
        return r;
    case NTK_ACT_IDENTITY:
        r.T = m2 * q;
        r.Tdot = m2;
        return r;
    case NTK_ACT_TANH: {
        double S2;
        pthread_once(&tab_once, tab_init);
        tanh_diag(q, &r.T, &r.Tdot, &S2);
        r.T *= m2;
        r.Tdot *= m2;
        return r;
    }
    default: {
        pair_geo p;
        pair_geo_angle(&p, q, q, 0.0);
        return pair_eval(act, mult, &p);
    }
    }
}
