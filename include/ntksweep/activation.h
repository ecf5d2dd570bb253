/* activation.h - pointwise activation functions shared by the theory and simulation engines.
 *
 * An ntk_act is a small value type (kind + parameter); it owns no memory. The theory engine
 * evaluates Gaussian expectations of phi and phi' (theory/gauss.h); the simulator evaluates
 * phi and phi' pointwise (below). Conventions:
 *   - relu:        phi(x) = max(x, 0). The He factor sqrt(2) is NOT built in: models put it in a
 *                  weight scale sigma_w = sqrt(2) or an activation multiplier (model.h).
 *   - alpha_relu:  phi(x) = x^alpha for x > 0, else 0 (Yang & Schoenholz psi_alpha), alpha > 1/2
 *                  for finite gradients (V_phi' is infinite for alpha <= 1/2); alpha = 1 is relu.
 *   - tanh, erf:   erf is the plain error function erf(x).
 *   - identity:    phi(x) = x.
 *   - gelu:        x * Phi(x) (exact, not the tanh approximation); swish: x * sigmoid(x).
 * phi'(0) for relu is taken as 0 (the step 1[x > 0]); it is a measure-zero choice.
 */
#ifndef NTKSWEEP_ACTIVATION_H
#define NTKSWEEP_ACTIVATION_H

typedef enum {
    NTK_ACT_RELU = 0,
    NTK_ACT_ALPHA_RELU,
    NTK_ACT_TANH,
    NTK_ACT_ERF,
    NTK_ACT_IDENTITY,
    NTK_ACT_GELU,
    NTK_ACT_SWISH,
    NTK_ACT_COUNT_
} ntk_act_kind;

typedef struct {
    ntk_act_kind kind;
    double alpha; /* exponent of alpha_relu; ignored by the other kinds */
} ntk_act;

/* Parses "relu", "alpha_relu", "tanh", "erf", "identity"/"linear", "gelu", "swish". Returns 0 and
 * fills *kind, or NTK_EINVAL (message lists the valid names). */
int ntk_act_parse(const char *name, ntk_act_kind *kind);
/* Canonical name of a kind ("relu", ...). */
const char *ntk_act_name(ntk_act_kind kind);
/* Validates the parameters (alpha_relu needs alpha > 1/2 ... see .c); 0 or NTK_EINVAL. */
int ntk_act_check(const ntk_act *act);

/* phi(x) and phi'(x). */
double ntk_act_phi(const ntk_act *act, double x);
double ntk_act_dphi(const ntk_act *act, double x);
/* Vectorised forms: y[i] = phi(x[i]), d[i] = phi'(x[i]) for i < n; either output may be NULL. */
void ntk_act_eval(const ntk_act *act, long n, const double *x, double *y, double *d);

/* Degree of positive homogeneity (phi(c x) = c^deg phi(x) for c > 0), or 0 if phi is not
 * positively homogeneous. relu and identity: 1; alpha_relu: alpha. */
double ntk_act_homogeneity(const ntk_act *act);
/* 1 if phi is odd (phi(-x) = -phi(x)): tanh, erf, identity. */
int ntk_act_is_odd(const ntk_act *act);

#endif
