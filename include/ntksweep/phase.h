/* phase.h - fixed points, phases and depth scales of the infinite-width signal propagation.
 *
 * Feed-forward map (Poole et al. 2016, Schoenholz et al. 2017; [seed-001 2.2-2.3]) for weight /
 * bias standard deviations sigma_w, sigma_b and an activation phi (multiplier 1):
 *   variance map     q -> F(q) = sigma_w^2 V(q) + sigma_b^2,          V(q) = E[phi(sqrt(q) Z)^2],
 *   correlation map  c -> f(c) = (sigma_w^2 T(q*, q*, c q*) + sigma_b^2) / q*,
 *   chi_1 = f'(1) = sigma_w^2 E[phi'(sqrt(q*) Z)^2],   chi_c = f'(c*).
 * Depth scales follow Schoenholz et al. (ICLR 2017, eqs. 8-9):
 *   xi_q = -1 / log(F'(q*)),  F'(q*) = chi_1 + sigma_w^2 E[phi phi''] = sigma_w^2 dV/dq (q*),
 *   xi_c = -1 / log(chi_c)    (chi_c = chi_1 in the ordered phase, where c* = 1),
 * so that |q^l - q*| ~ exp(-l/xi_q) and |c^l - c*| ~ exp(-l/xi_c); a scale is +inf where the rate
 * is >= 1 (edge of chaos; in the chaotic phase chi_1 > 1 but the rates used are those at the stable
 * fixed points, < 1) and NaN where the map has no finite fixed point.
 *
 * Residual networks of Yang & Schoenholz ([seed-004 3.3-3.5]): closed-form constants of the tanh
 * FRN/RRN (e*, delta*, A, B, ...) and of the alpha-ReLU FRN (the fixed point e*_alpha of J_alpha,
 * exponents mu, R, ...). All functions are reentrant; values they cannot define are NaN.
 */
#ifndef NTKSWEEP_PHASE_H
#define NTKSWEEP_PHASE_H

#include "ntksweep/activation.h"

typedef enum {
    NTK_PHASE_ORDERED = 0, /* chi_1 < 1 - tol: correlations -> 1, gradients vanish  */
    NTK_PHASE_EOC,         /* |chi_1 - 1| <= tol                                       */
    NTK_PHASE_CHAOTIC      /* chi_1 > 1 + tol: c* < 1 (or variance diverges)          */
} ntk_phase_kind;

/* Result of ntk_phase_ff(). Non-convergence is data: q_star = +inf (the variance map diverges
 * from q0), q_converged = 0. */
typedef struct {
    double q_star;     /* attracting fixed point of F reached from q0 (0 and +inf possible)    */
    int q_converged;   /* 1: |F(q*) - q*| <= 1e-13 q* (or q* = 0 exactly); 0: diverged          */
    double dF;         /* F'(q*) = sigma_w^2 dV/dq at q* (NaN if q* = inf)                      */
    double chi_1;      /* f'(1) = sigma_w^2 V_phi'(q*); q* = inf: the large-q limit             */
    double c_star;     /* stable fixed point of f: 1 unless chaotic                              */
    double chi_c;      /* f'(c*)                                                                 */
    double xi_q, xi_c; /* depth scales (Schoenholz et al.); +inf at rate 1                       */
    double f2, f3;     /* f''(1) = sigma_w^2 q* E[phi''^2], f'''(1) = sigma_w^2 q*^2 E[phi'''^2]
                        * (smooth activations; NaN for relu / alpha_relu); at the EOC
                        * 1 - c^l ~ kappa/l with kappa = 2/f''(1) [seed-001 3.2]              */
    ntk_phase_kind phase;
} ntk_phase_info;

/* Fixed points and phase of the feed-forward network with activation *act (multiplier 1),
 * starting the variance iteration at q0 (> 0; e.g. sigma_w^2 |x|^2/d + sigma_b^2, or 1).
 * eoc_tol: |chi_1 - 1| <= eoc_tol is reported as NTK_PHASE_EOC (e.g. 1e-8).
 * Returns 0, NTK_EINVAL (invalid activation or negative / non-finite sigmas, q0 <= 0) or
 * NTK_ENUM (a root search failed; message names the quantity). */
int ntk_phase_ff(const ntk_act *act, double sigma_w, double sigma_b, double q0, double eoc_tol,
                 ntk_phase_info *out);

/* The edge of chaos: the sigma_w > 0 with chi_1(sigma_w, sigma_b) = 1 (Brent root, relative
 * accuracy 1e-13), q* taken from q0 = 1. relu: sigma_w = sqrt(2) for every sigma_b (chi_1 =
 * sigma_w^2/2 does not depend on q*; for sigma_b > 0 the variance then diverges linearly).
 * tanh: sigma_b = 0 gives sigma_w = 1 (q* = 0). Returns 0, NTK_EINVAL or NTK_ENUM (no sign change
 * of chi_1 - 1 on sigma_w in [1e-3, 1e3]). */
int ntk_phase_eoc_sigma_w(const ntk_act *act, double sigma_b, double *sigma_w);

/* tanh residual networks [seed-004 3.2-3.3]; RRN = FRN with sigma_v = 1, sigma_a = 0. */
typedef struct {
    double rho;        /* sigma_a / sigma_v                                                    */
    double e_star;     /* stable fixed point != 1 of e = [(2/pi) asin(e) + rho^2]/(1 + rho^2)  */
    double delta_star; /* |e^l - e*| ~ l^-delta*: 1 - (2/pi)(1 - e*^2)^(-1/2)/(1 + rho^2)         */
    double A, B;       /* log(chi^(m)/chi^(l)) = A (sqrt l - sqrt m) + B (log l - log m) + O(1)   */
    double B_b, B_w;   /* B + 1/2 (chi_b), B - 1/2 (chi_w); chi_a, chi_v use B                  */
    double b0, b1, b2; /* p^(l) = b0 l + b1 sqrt(l) + b2 log l + O(1)                          */
} ntk_phase_tanh_res_info;

/* Constants of the tanh FRN with std devs sigma_w > 0, sigma_v > 0, sigma_a >= 0 (sigma_b does
 * not enter). Returns 0 or NTK_EINVAL. */
int ntk_phase_tanh_res(double sigma_w, double sigma_v, double sigma_a,
                       ntk_phase_tanh_res_info *out);

/* alpha-ReLU full residual network [seed-004 3.4-3.7, 5.3]. Fields that do not apply are NaN. */
typedef struct {
    double alpha;
    double e_star;      /* fixed point != 1 of J_alpha in (0, 1) (alpha != 1; 1 for alpha = 1)    */
    double one_minus_e; /* 1 - e*, without cancellation                                        */
    double dJ_star;     /* J_alpha'(e*)                                                           */
    double dJ_one;      /* J_alpha'(1) = alpha^2/(2 alpha - 1) (+inf for alpha <= 1/2)            */
    double mu;          /* |e^l - e*| ~ l^-mu, mu = (1 - J'(e*))/(1 - alpha)   (alpha < 1)        */
    double R; /* chi^(0)/chi^(L) ~ L^R, R = alpha^2/((1 - alpha)(2 alpha - 1)) (1/2 < alpha < 1) */
    double w_exp;  /* alpha/(1 - alpha) - R = -alpha/(2 alpha - 1): chi_w, chi_v exponent   */
    double p_exp;  /* p^(l) ~ K1 l^p_exp, p_exp = 1/(1 - alpha)                             */
    double K1, K2; /* p^(l) = K1 l^(1/(1-a)) - K2 l^(a/(1-a)) log l + ... (0 < alpha < 1)    */
    double B;      /* alpha = 1: p, chi grow like B^l, B = 1 + sigma_v^2 sigma_w^2 / 2       */
    double C;      /* alpha = 1: 1 - e^l ~ C l^-2, C = [(1/4) sigma_v^2 sigma_w^2 U / B]^-2,
                    * U = 2 sqrt(2)/(3 pi)                                                 */
} ntk_phase_alpha_res_info;

/* Constants of the alpha-ReLU FRN, alpha > -1/2 (J_alpha is defined there; the network needs
 * alpha > 1/2 for finite gradients), sigma_w, sigma_v > 0. Returns 0, NTK_EINVAL or NTK_ENUM. */
int ntk_phase_alpha_res(double alpha, double sigma_w, double sigma_v,
                        ntk_phase_alpha_res_info *out);

/* Name of a phase ("ordered", "eoc", "chaotic"). */
const char *ntk_phase_name(ntk_phase_kind k);

/* ------------------------------------------------------------------ per-point scalars */
#include "ntksweep/model.h"
#include "ntksweep/quantity.h"

/* Scalars of a grid point (no result dimensions), written as the archive section "phase":
 * the feed-forward map of the model's activation at its (sigma_w, sigma_b), and the residual
 * constants where they apply (tanh rrn/frn; alpha_relu frn). */
#define NTK_PHASE_QTY_MAP(X)                                                                       \
    X(Q_STAR, "q_star", "q*", "variance", "fixed point of the variance map F(q)", 0u)              \
    X(CHI_1, "chi_1", "chi_1", "1", "slope f'(1) of the correlation map at c = 1", 0u)             \
    X(C_STAR, "c_star", "c*", "1", "stable fixed point of the correlation map", 0u)                \
    X(CHI_C, "chi_c", "chi_c", "1", "slope f'(c*) at the stable fixed point", 0u)                  \
    X(XI_Q, "xi_q", "xi_q", "layers", "depth scale of the variance, -1/log F'(q*)", 0u)            \
    X(XI_C, "xi_c", "xi_c", "layers", "depth scale of the correlation, -1/log chi_c", 0u)          \
    X(PHASE, "phase", "phase", "1", "0 ordered (chi_1 < 1), 1 edge of chaos, 2 chaotic", 0u)       \
    X(EOC_SIGMA_W, "eoc_sigma_w", "sigma_w^EOC(sigma_b)", "std",                                   \
      "weight std on the edge of chaos at this point's sigma_b (chi_1 = 1)", 0u)                   \
    X(RES_E_STAR, "res_e_star", "e*", "1",                                                         \
      "residual fixed point of the cosine e (tanh rrn/frn: seed-004 3.3; alpha_relu frn: "         \
      "e*_alpha)",                                                                                 \
      0u)                                                                                          \
    X(RES_RATE, "res_rate", "delta*, mu", "1",                                                     \
      "power-law rate of |e^l - e*| ~ l^-rate (tanh: delta*; alpha_relu: mu)", 0u)

typedef enum {
#define NTK_PHASE_QTY_ENUM_(id, name, sym, units, desc, dims) NTK_PQ_##id,
    NTK_PHASE_QTY_MAP(NTK_PHASE_QTY_ENUM_)
#undef NTK_PHASE_QTY_ENUM_
        NTK_PQ_COUNT
} ntk_phase_qty;

/* The static description table (NTK_PQ_COUNT entries). */
const ntk_qty_desc *ntk_phase_qty_table(void);

/* Fills out[NTK_PQ_COUNT] for model *m whose first pre-activation starts at variance q0 (> 0).
 * Quantities that do not apply are NaN (e.g. residual constants of a feedforward net; everything
 * for activations whose map has no finite fixed point is reported as the map gives it). The EOC
 * sigma_w is cached per (activation, sigma_b) in a small thread-local table. Returns 0 or an
 * error code of ntk_phase_ff (NTK_EINVAL, NTK_ENUM); out is NaN-filled on error. */
int ntk_phase_point(const ntk_model *m, double q0, double *out);

#endif
