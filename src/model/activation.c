/* activation.c - pointwise activation functions (see activation.h). */
#include "ntksweep/activation.h"
#include "ntksweep/error.h"

#include <math.h>
#include <string.h>

static const char *const ntk_act_names_[NTK_ACT_COUNT_] = {
    "relu", "alpha_relu", "tanh", "erf", "identity", "gelu", "swish"};

int ntk_act_parse(const char *name, ntk_act_kind *kind)
{
    for (int k = 0; k < NTK_ACT_COUNT_; k++) {
        if (strcmp(name, ntk_act_names_[k]) == 0) {
            *kind = (ntk_act_kind)k;
            return NTK_OK;
        }
    }
    if (strcmp(name, "linear") == 0) {
        *kind = NTK_ACT_IDENTITY;
        return NTK_OK;
    }
    return ntk_error_set(NTK_EINVAL,
                         "unknown activation '%s' (expected one of relu, alpha_relu, tanh, erf, "
                         "identity, gelu, swish)",
                         name);
}

const char *ntk_act_name(ntk_act_kind kind)
{
    return (kind >= 0 && kind < NTK_ACT_COUNT_) ? ntk_act_names_[kind] : "unknown";
}

int ntk_act_check(const ntk_act *act)
{
    if (act->kind < 0 || act->kind >= NTK_ACT_COUNT_)
        return ntk_error_set(NTK_EINVAL, "invalid activation kind %d", (int)act->kind);
    if (act->kind == NTK_ACT_ALPHA_RELU && !(act->alpha > 0.5 && isfinite(act->alpha)))
        return ntk_error_set(NTK_EINVAL,
                             "alpha_relu exponent relu_alpha = %g must be > 1/2 (for alpha <= 1/2 "
                             "E[phi'(z)^2] is infinite and gradients are undefined)",
                             act->alpha);
    return NTK_OK;
}

static inline double ntk_act_phi_(ntk_act_kind kind, double alpha, double x)
{
    switch (kind) {
    case NTK_ACT_RELU:
        return x > 0 ? x : 0.0;
    case NTK_ACT_ALPHA_RELU:
        return x > 0 ? pow(x, alpha) : 0.0;
    case NTK_ACT_TANH:
        return tanh(x);
    case NTK_ACT_ERF:
        return erf(x);
    case NTK_ACT_IDENTITY:
        return x;
    case NTK_ACT_GELU:
        return 0.5 * x * erfc(-x * M_SQRT1_2);
    case NTK_ACT_SWISH:
        return x / (1.0 + exp(-x));
    default:
        return NAN;
    }
}

static inline double ntk_act_dphi_(ntk_act_kind kind, double alpha, double x)
{
    switch (kind) {
    case NTK_ACT_RELU:
        return x > 0 ? 1.0 : 0.0;
    case NTK_ACT_ALPHA_RELU:
        return x > 0 ? alpha * pow(x, alpha - 1.0) : 0.0;
    case NTK_ACT_TANH: {
        double t = tanh(x);
        return 1.0 - t * t;
    }
    case NTK_ACT_ERF:
        return M_2_SQRTPI * exp(-x * x);
    case NTK_ACT_IDENTITY:
        return 1.0;
    case NTK_ACT_GELU:
        return 0.5 * erfc(-x * M_SQRT1_2) + x * exp(-0.5 * x * x) * (0.5 * M_2_SQRTPI * M_SQRT1_2);
    case NTK_ACT_SWISH: {
        double s = 1.0 / (1.0 + exp(-x));
        return s + x * s * (1.0 - s);
    }
    default:
        return NAN;
    }
}

double ntk_act_phi(const ntk_act *act, double x)
{
    return ntk_act_phi_(act->kind, act->alpha, x);
}

double ntk_act_dphi(const ntk_act *act, double x)
{
    return ntk_act_dphi_(act->kind, act->alpha, x);
}

void ntk_act_eval(const ntk_act *act, long n, const double *x, double *y, double *d)
{
    const ntk_act_kind kind = act->kind;
    const double alpha = act->alpha;
    /* Specialised loops for the hot cases; the switch inside the generic loop is hoisted by the
     * compiler poorly, so relu and tanh get their own. */
    if (kind == NTK_ACT_RELU) {
        for (long i = 0; i < n; i++) {
            double v = x[i];
            if (y)
                y[i] = v > 0 ? v : 0.0;
            if (d)
                d[i] = v > 0 ? 1.0 : 0.0;
        }
        return;
    }
    if (kind == NTK_ACT_TANH) {
        for (long i = 0; i < n; i++) {
            double t = tanh(x[i]);
            if (y)
                y[i] = t;
            if (d)
                d[i] = 1.0 - t * t;
        }
        return;
    }
    for (long i = 0; i < n; i++) {
        if (y)
            y[i] = ntk_act_phi_(kind, alpha, x[i]);
        if (d)
            d[i] = ntk_act_dphi_(kind, alpha, x[i]);
    }
}

double ntk_act_homogeneity(const ntk_act *act)
{
    switch (act->kind) {
    case NTK_ACT_RELU:
    case NTK_ACT_IDENTITY:
        return 1.0;
    case NTK_ACT_ALPHA_RELU:
        return act->alpha;
    default:
        return 0.0;
    }
}

int ntk_act_is_odd(const ntk_act *act)
{
    return act->kind == NTK_ACT_TANH || act->kind == NTK_ACT_ERF || act->kind == NTK_ACT_IDENTITY;
}
