/* gauss.h - Gaussian expectations of activations (the "dual" maps of the kernel recursions).
 *
 * For a centred Gaussian pair (u, v) with covariance [[q1, q12], [q12, q2]] and an activation
 * x = mult * phi(.), ntk_gauss_pair() returns
 *     T    = mult^2 E[phi(u) phi(v)]      (NNGP map,        Yang's W_phi, Hayou's Q - sigma_b^2)
 *     Tdot = mult^2 E[phi'(u) phi'(v)]    (derivative map,  Yang's V_phi' off the diagonal)
 * and ntk_gauss_diag() the q1 = q2 = q12 = q case (T = V_phi(q), Tdot = V_phi'(q)).
 *
 * Accuracy contract: relative error <= 1e-12 for the closed forms (relu, alpha_relu, erf,
 * identity) and <= 1e-10 for the quadrature activations (tanh, gelu, swish) over
 * 1e-8 <= q <= 1e8 and every correlation in [-1, 1] (rules, measured accuracy and cost per call:
 * docs/theory-numerics.md; measurements in tests/theory/test_gauss.c). Where T vanishes (odd
 * activations at c = 0) its error is absolute, ~1e-16 times the scale of T. Correlations are
 * clamped to [-1, 1]; relu uses the angle form, so correlations near 1 keep full relative
 * precision of 1 - c when the caller passes it (ntk_gauss_pair_angle).
 * q = +inf is allowed for bounded activations (tanh, erf): the limit (2/pi) arcsin(c) etc., with
 * inf/inf in q12/sqrt(q1 q2) read as the sign of q12 (pass other correlations as an angle).
 * A zero variance is the constant 0; the relu diagonal at q = 0 reports the limit q -> 0+.
 * Thread safety: all functions are reentrant (quadrature tables are built once, thread-safely).
 */
#ifndef NTKSWEEP_GAUSS_H
#define NTKSWEEP_GAUSS_H

#include "ntksweep/activation.h"

typedef struct {
    double T;    /* mult^2 E[phi(u) phi(v)]   */
    double Tdot; /* mult^2 E[phi'(u) phi'(v)] */
} ntk_gauss_val;

/* Pair expectations for covariance [[q1, q12], [q12, q2]], q1, q2 >= 0. */
ntk_gauss_val ntk_gauss_pair(const ntk_act *act, double mult, double q1, double q2, double q12);
/* The same with the correlation given by its angle theta = arccos(c) in [0, pi] (q12 =
 * cos(theta) sqrt(q1 q2)): callers that track 1 - c or theta directly keep full relative precision
 * near c = 1 (relu, alpha_relu, tanh, erf use theta and sin^2 theta without cancellation). */
ntk_gauss_val ntk_gauss_pair_angle(const ntk_act *act, double mult, double q1, double q2,
                                   double theta);
/* Diagonal expectations for variance q >= 0. */
ntk_gauss_val ntk_gauss_diag(const ntk_act *act, double mult, double q);

/* alpha-ReLU helpers (Yang & Schoenholz Lemma B.15, Eq. 4): c_alpha = 2^(alpha-1) Gamma(alpha +
 * 1/2)/sqrt(pi), and the normalised dual J_alpha(c) with J_alpha(1) = 1. */
double ntk_gauss_c_alpha(double alpha);
double ntk_gauss_J_alpha(double alpha, double c);
/* J_alpha(cos theta) for theta in [0, pi] (full relative precision of 1 - c near c = 1), and
 * dJ_alpha/dc at c = cos theta (any alpha > -1/2; +inf at theta = 0 for alpha <= 1/2). Both accept
 * alpha > -1/2 (J_(alpha-1) enters Tdot) and return NaN outside. */
double ntk_gauss_J_alpha_angle(double alpha, double theta);
double ntk_gauss_dJ_alpha_angle(double alpha, double theta);
/* 1 - J_alpha(cos theta), computed without cancellation (relative precision also as theta -> 0). */
double ntk_gauss_J_alpha_comp_angle(double alpha, double theta);

#endif
