/* model.c - model defaults, validation, and compilation of each architecture into an op program.
 *
 * Each builder below is the single definition of an architecture; the comment above it gives the
 * paper equations it implements (docs/architectures.md has the full mapping and depth counting).
 */
#include "ntksweep/model.h"
#include "ntksweep/error.h"

#include <math.h>
#include <string.h>

static const char *const ntk_arch_names_[NTK_ARCH_COUNT_] = {
    "ff", "rrn", "frn", "resnet", "preresnet", "littwin", "densenet", "cnn1d"};
static const char *const ntk_group_names_[NTK_GROUP_COUNT] = {"input", "W",       "b",
                                                               "V",     "a",       "readout",
                                                               "readout_b"};

const char *ntk_arch_name(ntk_arch_kind a)
{
    return (a >= 0 && a < NTK_ARCH_COUNT_) ? ntk_arch_names_[a] : "unknown";
}

int ntk_arch_parse(const char *name, ntk_arch_kind *a)
{
    for (int k = 0; k < NTK_ARCH_COUNT_; k++)
        if (strcmp(name, ntk_arch_names_[k]) == 0) {
            *a = (ntk_arch_kind)k;
            return NTK_OK;
        }
    return ntk_error_set(NTK_EINVAL,
                         "unknown architecture '%s' (expected one of ff, rrn, frn, resnet, "
                         "preresnet, littwin, densenet, cnn1d)",
                         name);
}

const char *ntk_group_name(int g)
{
    return (g >= 0 && g < NTK_GROUP_COUNT) ? ntk_group_names_[g] : "none";
}

int ntk_group_parse(const char *name, int *g)
{
    for (int k = 0; k < NTK_GROUP_COUNT; k++)
        if (strcmp(name, ntk_group_names_[k]) == 0) {
            *g = k;
            return NTK_OK;
        }
    return ntk_error_set(NTK_EINVAL,
                         "unknown parameter group '%s' (expected input, W, b, V, a, readout, "
                         "readout_b)",
                         name);
}

static const char *const ntk_readout_names_[] = {"dense", "conv"};

const char *ntk_readout_name(ntk_readout_kind r)
{
    return (r == NTK_READOUT_DENSE || r == NTK_READOUT_CONV) ? ntk_readout_names_[r] : "unknown";
}

int ntk_readout_parse(const char *name, ntk_readout_kind *r)
{
    for (int k = 0; k < 2; k++)
        if (strcmp(name, ntk_readout_names_[k]) == 0) {
            *r = (ntk_readout_kind)k;
            return NTK_OK;
        }
    return ntk_error_set(NTK_EINVAL, "unknown readout '%s' (expected dense or conv)", name);
}

void ntk_model_default(ntk_model *m)
{
    memset(m, 0, sizeof *m);
    m->arch = NTK_ARCH_FF;
    m->act.kind = NTK_ACT_RELU;
    m->act.alpha = 1.0;
    m->act_mult = 1.0;
    m->param = NTK_PARAM_NTK;
    m->sigma_w = M_SQRT2;
    m->sigma_b = 0.0;
    m->sigma_v = 1.0;
    m->sigma_a = 0.0;
    m->sigma_in = 1.0;
    m->sigma_in_b = 0.0;
    m->sigma_out = 1.0;
    m->sigma_out_b = 0.0;
    m->alpha.kind = NTK_ALPHA_CONST;
    m->alpha.value = 1.0;
    m->alpha.gamma = 0.0;
    m->m = 2;
    m->d = 2;
    m->stem = NTK_STEM_NONE;
    m->positions = 1;
    m->kernel_half = 0;
    m->readout = NTK_READOUT_DENSE;
    m->trained = NTK_GROUPS_ALL;
    m->depth = 1;
}

static int ntk_check_sigma_(const char *name, double v)
{
    if (!(v >= 0.0) || !isfinite(v))
        return ntk_error_set(NTK_EINVAL, "%s = %g must be finite and >= 0", name, v);
    return NTK_OK;
}

int ntk_model_check(const ntk_model *m)
{
    if (m->arch < 0 || m->arch >= NTK_ARCH_COUNT_)
        return ntk_error_set(NTK_EINVAL, "invalid architecture %d", (int)m->arch);
    NTK_TRY(ntk_act_check(&m->act));
    NTK_TRY(ntk_check_sigma_("sigma_w", m->sigma_w));
    NTK_TRY(ntk_check_sigma_("sigma_b", m->sigma_b));
    NTK_TRY(ntk_check_sigma_("sigma_v", m->sigma_v));
    NTK_TRY(ntk_check_sigma_("sigma_a", m->sigma_a));
    NTK_TRY(ntk_check_sigma_("sigma_in", m->sigma_in));
    NTK_TRY(ntk_check_sigma_("sigma_in_b", m->sigma_in_b));
    NTK_TRY(ntk_check_sigma_("sigma_out", m->sigma_out));
    NTK_TRY(ntk_check_sigma_("sigma_out_b", m->sigma_out_b));
    if (!isfinite(m->act_mult))
        return ntk_error_set(NTK_EINVAL, "act_mult = %g must be finite", m->act_mult);
    if (m->depth < 1)
        return ntk_error_set(NTK_EINVAL, "depth = %ld must be >= 1", m->depth);
    if (m->arch == NTK_ARCH_PRERESNET && m->depth < 1)
        return ntk_error_set(NTK_EINVAL, "preresnet depth = %ld must be >= 1", m->depth);
    if (m->d < 1)
        return ntk_error_set(NTK_EINVAL, "input dimension d = %d must be >= 1", m->d);
    if (m->arch == NTK_ARCH_LITTWIN && m->m < 1)
        return ntk_error_set(NTK_EINVAL, "branch depth m = %d must be >= 1", m->m);
    if (m->arch == NTK_ARCH_CNN1D) {
        if (m->positions < 1 || m->positions > NTK_MAX_POSITIONS)
            return ntk_error_set(NTK_EINVAL, "cnn1d positions = %d must be in 1..%d", m->positions,
                                 NTK_MAX_POSITIONS);
        if (m->kernel_half < 0 || m->kernel_half > (m->positions - 1) / 2)
            return ntk_error_set(NTK_EINVAL,
                                 "cnn1d kernel_half = %d must be in 0..%d: the filter size "
                                 "2 kernel_half + 1 may not exceed positions = %d",
                                 m->kernel_half, (m->positions - 1) / 2, m->positions);
        if (m->readout != NTK_READOUT_DENSE && m->readout != NTK_READOUT_CONV)
            return ntk_error_set(NTK_EINVAL, "cnn1d readout %d is not dense or conv",
                                 (int)m->readout);
        if (m->stem != NTK_STEM_NONE)
            return ntk_error_set(NTK_ENOTSUP,
                                 "cnn1d has no stem: block 1 convolves the input channels (stem "
                                 "must be none)");
    }
    if (m->trained & ~NTK_GROUPS_ALL)
        return ntk_error_set(NTK_EINVAL, "trained mask 0x%x has unknown group bits", m->trained);
    /* Branch scales. */
    switch (m->alpha.kind) {
    case NTK_ALPHA_CONST:
    case NTK_ALPHA_POWER:
    case NTK_ALPHA_INVSQRT:
        if (!(m->alpha.value >= 0.0) || !isfinite(m->alpha.value))
            return ntk_error_set(NTK_EINVAL, "alpha = %g must be finite and >= 0", m->alpha.value);
        if (!isfinite(m->alpha.gamma))
            return ntk_error_set(NTK_EINVAL, "gamma = %g must be finite", m->alpha.gamma);
        break;
    case NTK_ALPHA_LIST: {
        long nblocks = m->depth - (m->arch == NTK_ARCH_PRERESNET ? 1 : 0);
        if (!m->alpha.list || m->alpha.nlist < nblocks)
            return ntk_error_set(NTK_EINVAL, "alpha list has %ld entries but depth needs %ld",
                                 m->alpha.nlist, nblocks);
        for (long i = 0; i < m->alpha.nlist; i++)
            if (!(m->alpha.list[i] >= 0.0) || !isfinite(m->alpha.list[i]))
                return ntk_error_set(NTK_EINVAL, "alpha list entry %ld = %g must be >= 0", i,
                                     m->alpha.list[i]);
        break;
    }
    default:
        return ntk_error_set(NTK_EINVAL, "invalid alpha schedule %d", (int)m->alpha.kind);
    }
    /* Combinations the mean-field theory does not cover. */
    if (m->arch == NTK_ARCH_RRN && !ntk_act_is_odd(&m->act))
        return ntk_error_set(NTK_ENOTSUP,
                             "architecture rrn needs an odd activation (tanh, erf, identity): with "
                             "%s the skip and branch are correlated through E[phi] != 0 and Yang & "
                             "Schoenholz's recursion does not apply; use frn",
                             ntk_act_name(m->act.kind));
    return NTK_OK;
}

double ntk_alpha_at(const ntk_alpha *a, long l, long L)
{
    switch (a->kind) {
    case NTK_ALPHA_CONST:
        return a->value;
    case NTK_ALPHA_POWER:
        return a->value * pow((double)L, -a->gamma);
    case NTK_ALPHA_INVSQRT:
        return a->value / sqrt((double)l);
    case NTK_ALPHA_LIST:
        return (l - 1 >= 0 && l - 1 < a->nlist) ? a->list[l - 1] : NAN;
    }
    return NAN;
}

int ntk_alpha_depends_on_depth(const ntk_alpha *a)
{
    return a->kind == NTK_ALPHA_POWER && a->gamma != 0.0;
}

double ntk_op_factor(const ntk_op *op, const ntk_model *m, long l, long L)
{
    switch (op->scale) {
    case NTK_SCALE_NONE:
        return 1.0;
    case NTK_SCALE_ALPHA:
        return ntk_alpha_at(&m->alpha, l, L);
    case NTK_SCALE_SQRT_ALPHA:
        return sqrt(ntk_alpha_at(&m->alpha, l, L));
    }
    return NAN;
}

/* ------------------------------------------------------------------ op constructors */
static ntk_op op_linear(int dst, int src, double w, double b, int gw, int gb, ntk_scale_kind sc)
{
    ntk_op o = {0};
    o.kind = NTK_OP_LINEAR;
    o.dst = dst;
    o.src = src;
    o.src2 = -1;
    o.w = w;
    o.b = b;
    o.scale = sc;
    o.group_w = gw;
    o.group_b = b > 0 ? gb : -1;
    return o;
}

static ntk_op op_act(int dst, int src, double mult)
{
    ntk_op o = {0};
    o.kind = NTK_OP_ACT;
    o.dst = dst;
    o.src = src;
    o.src2 = -1;
    o.mult = mult;
    o.group_w = o.group_b = -1;
    return o;
}

static ntk_op op_add(int dst, int src, double s1, int src2, double s2, ntk_scale_kind sc)
{
    ntk_op o = {0};
    o.kind = NTK_OP_ADD;
    o.dst = dst;
    o.src = src;
    o.src2 = src2;
    o.s1 = s1;
    o.s2 = s2;
    o.scale = sc;
    o.group_w = o.group_b = -1;
    return o;
}

static ntk_op op_densecat(int dst, int hist_src, int gw)
{
    ntk_op o = {0};
    o.kind = NTK_OP_DENSECAT;
    o.dst = dst;
    o.src = hist_src;
    o.src2 = -1;
    o.w = 1.0;
    o.scale = NTK_SCALE_SQRT_ALPHA;
    o.group_w = gw;
    o.group_b = -1;
    return o;
}

/* CONV: a LINEAR over the positions of a window of half-width h (model.h). */
static ntk_op op_conv(int dst, int src, double w, double b, int gw, int gb, int half)
{
    ntk_op o = op_linear(dst, src, w, b, gw, gb, NTK_SCALE_NONE);
    o.kind = NTK_OP_CONV;
    o.half = half;
    return o;
}

/* FLATTEN: a LINEAR over all channels and positions. */
static ntk_op op_flatten(int dst, int src, double w, double b, int gw, int gb)
{
    ntk_op o = op_linear(dst, src, w, b, gw, gb, NTK_SCALE_NONE);
    o.kind = NTK_OP_FLATTEN;
    return o;
}

#define STEM(op) (p->stem[p->n_stem++] = (op))
#define BLOCK(op) (p->block[p->n_block++] = (op))
#define HEAD(op) (p->head[p->n_head++] = (op))

static void readout_(ntk_program *p, const ntk_model *m)
{
    HEAD(op_linear(NTK_REG_F, NTK_REG_S, m->sigma_out, m->sigma_out_b, NTK_GROUP_READOUT,
                   NTK_GROUP_READOUT_B, NTK_SCALE_NONE));
}

/* FF. Yang & Schoenholz Sec. 2 / Hayou eq. 4 / Tirer eq. 1 / Huang eq. 4:
 *   [stem: x^0 = (sigma_in/sqrt d) U x + sigma_in_b beta]   (optional)
 *   h^l = (sigma_w/sqrt n) W^l x^(l-1) + sigma_b b^l,  x^l = c phi(h^l),   l = 1..depth
 *   f   = (sigma_out/sqrt n) v . x^depth + sigma_out_b beta. */
static void build_ff_(ntk_program *p, const ntk_model *m)
{
    if (m->stem == NTK_STEM_LINEAR)
        STEM(op_linear(NTK_REG_S, NTK_REG_X, m->sigma_in, m->sigma_in_b, NTK_GROUP_INPUT,
                       NTK_GROUP_INPUT, NTK_SCALE_NONE));
    else
        STEM(op_add(NTK_REG_S, NTK_REG_X, 1.0, -1, 0.0, NTK_SCALE_NONE));
    BLOCK(op_linear(NTK_REG_H, NTK_REG_S, m->sigma_w, m->sigma_b, NTK_GROUP_W, NTK_GROUP_B,
                    NTK_SCALE_NONE));
    BLOCK(op_act(NTK_REG_S, NTK_REG_H, m->act_mult));
    readout_(p, m);
    p->reg_q = NTK_REG_H;
}

/* RRN (Yang & Schoenholz Sec. 3): x^l = phi(W x^(l-1) + b) + x^(l-1); x^0 = input (width n). */
static void build_rrn_(ntk_program *p, const ntk_model *m)
{
    STEM(op_add(NTK_REG_S, NTK_REG_X, 1.0, -1, 0.0, NTK_SCALE_NONE));
    BLOCK(op_linear(NTK_REG_H, NTK_REG_S, m->sigma_w, m->sigma_b, NTK_GROUP_W, NTK_GROUP_B,
                    NTK_SCALE_NONE));
    BLOCK(op_act(NTK_REG_A, NTK_REG_H, m->act_mult));
    BLOCK(op_add(NTK_REG_S, NTK_REG_S, 1.0, NTK_REG_A, 1.0, NTK_SCALE_NONE));
    readout_(p, m);
    p->reg_q = NTK_REG_H;
}

/* FRN (Yang & Schoenholz Sec. 3): x^l = V phi(W x^(l-1) + b) + x^(l-1) + a; x^0 = input. */
static void build_frn_(ntk_program *p, const ntk_model *m)
{
    STEM(op_add(NTK_REG_S, NTK_REG_X, 1.0, -1, 0.0, NTK_SCALE_NONE));
    BLOCK(op_linear(NTK_REG_H, NTK_REG_S, m->sigma_w, m->sigma_b, NTK_GROUP_W, NTK_GROUP_B,
                    NTK_SCALE_NONE));
    BLOCK(op_act(NTK_REG_A, NTK_REG_H, m->act_mult));
    BLOCK(op_linear(NTK_REG_B, NTK_REG_A, m->sigma_v, m->sigma_a, NTK_GROUP_V, NTK_GROUP_A,
                    NTK_SCALE_NONE));
    BLOCK(op_add(NTK_REG_S, NTK_REG_S, 1.0, NTK_REG_B, 1.0, NTK_SCALE_NONE));
    readout_(p, m);
    p->reg_q = NTK_REG_H;
}

/* RESNET (Tirer eq. 6; Huang eq. 5 with alpha = L^-gamma):
 *   x^0 = (sigma_in/sqrt d) U x + sigma_in_b beta
 *   x^l = x^(l-1) + alpha_l [ (sigma_v/sqrt n) V^l phi((sigma_w/sqrt n) W^l x^(l-1) + sigma_b b)
 *                             + sigma_a a ]
 *   f   = (sigma_out/sqrt n) w . x^depth. */
static void build_resnet_(ntk_program *p, const ntk_model *m)
{
    STEM(op_linear(NTK_REG_S, NTK_REG_X, m->sigma_in, m->sigma_in_b, NTK_GROUP_INPUT,
                   NTK_GROUP_INPUT, NTK_SCALE_NONE));
    BLOCK(op_linear(NTK_REG_H, NTK_REG_S, m->sigma_w, m->sigma_b, NTK_GROUP_W, NTK_GROUP_B,
                    NTK_SCALE_NONE));
    BLOCK(op_act(NTK_REG_A, NTK_REG_H, m->act_mult));
    BLOCK(op_linear(NTK_REG_B, NTK_REG_A, m->sigma_v, m->sigma_a, NTK_GROUP_V, NTK_GROUP_A,
                    NTK_SCALE_ALPHA));
    BLOCK(op_add(NTK_REG_S, NTK_REG_S, 1.0, NTK_REG_B, 1.0, NTK_SCALE_NONE));
    readout_(p, m);
    p->reg_q = NTK_REG_H;
}

/* PRERESNET (Hayou eq. 6, and eq. 7 with alpha = 1/sqrt(l)): depth = Hayou's L,
 *   y^1 = (sigma_w/sqrt d) W^1 x + sigma_b b^1                     (stem, group input)
 *   y^l = y^(l-1) + a_l [ (sigma_w/sqrt n) W^l phi(y^(l-1)) + sigma_b b^l ],  l = 2..L
 *   f   = y^L_1 (the output is the pre-activation itself; no readout layer). */
static void build_preresnet_(ntk_program *p, const ntk_model *m)
{
    STEM(op_linear(NTK_REG_S, NTK_REG_X, m->sigma_w, m->sigma_b, NTK_GROUP_INPUT, NTK_GROUP_INPUT,
                   NTK_SCALE_NONE));
    BLOCK(op_act(NTK_REG_A, NTK_REG_S, m->act_mult));
    BLOCK(op_linear(NTK_REG_H, NTK_REG_A, m->sigma_w, m->sigma_b, NTK_GROUP_W, NTK_GROUP_B,
                    NTK_SCALE_ALPHA));
    BLOCK(op_add(NTK_REG_S, NTK_REG_S, 1.0, NTK_REG_H, 1.0, NTK_SCALE_NONE));
    HEAD(op_add(NTK_REG_F, NTK_REG_S, 1.0, -1, 0.0, NTK_SCALE_NONE));
    p->first_block = 2;
    p->reg_q = NTK_REG_S;
}

/* LITTWIN (Littwin & Wolf eq. 6-7), paper's alpha_l = our alpha (a variance-type scale):
 *   y^0 = (sigma_in/sqrt d) W^s x
 *   y^l = y^(l-1) + sqrt(alpha_l) y^(l-1,m),  branch: y^(l-1,1) = W^(l,1) y^(l-1)/sqrt n,
 *         y^(l-1,h) = W^(l,h) [sigma_w phi(y^(l-1,h-1))]/sqrt n  (h = 2..m)
 *   f   = (sigma_out/sqrt n) W^f y^L.   The paper is sigma_w = sqrt 2 (q = sqrt2 phi(y)). */
static void build_littwin_(ntk_program *p, const ntk_model *m)
{
    STEM(op_linear(NTK_REG_S, NTK_REG_X, m->sigma_in, 0.0, NTK_GROUP_INPUT, -1, NTK_SCALE_NONE));
    BLOCK(op_linear(NTK_REG_H, NTK_REG_S, 1.0, 0.0, NTK_GROUP_W, -1, NTK_SCALE_NONE));
    for (int h = 2; h <= m->m; h++) {
        BLOCK(op_act(NTK_REG_A, NTK_REG_H, m->sigma_w));
        BLOCK(op_linear(NTK_REG_H, NTK_REG_A, 1.0, 0.0, NTK_GROUP_W, -1, NTK_SCALE_NONE));
    }
    BLOCK(op_add(NTK_REG_S, NTK_REG_S, 1.0, NTK_REG_H, 1.0, NTK_SCALE_SQRT_ALPHA));
    readout_(p, m);
    p->reg_q = NTK_REG_S;
}

/* DENSENET (Littwin & Wolf eq. 13):
 *   y^0 = (sigma_in/sqrt d) W^s x,  q^h = sigma_w phi(y^h)
 *   y^l = sqrt(alpha / (n l)) sum_{h=0}^{l-1} W^(l,h) q^h,   l = 1..L
 *   f   = (sigma_out/sqrt n) W^f y^L.   The stream S is y^l; the history is q^0..q^(l-1). */
static void build_densenet_(ntk_program *p, const ntk_model *m)
{
    STEM(op_linear(NTK_REG_S, NTK_REG_X, m->sigma_in, 0.0, NTK_GROUP_INPUT, -1, NTK_SCALE_NONE));
    STEM(op_act(NTK_REG_A, NTK_REG_S, m->sigma_w));
    BLOCK(op_densecat(NTK_REG_S, NTK_REG_A, NTK_GROUP_W));
    BLOCK(op_act(NTK_REG_A, NTK_REG_S, m->sigma_w));
    readout_(p, m);
    p->needs_history = 1;
    p->hist_reg = NTK_REG_A;
    p->reg_q = NTK_REG_S;
}

/* CNN1D (Hayou et al. eq. 5 = appendix eq. 11; circular padding, M positions, filter 2q+1):
 *   x^0 = the input (d channels x M positions)
 *   h^l_{c,a} = (sigma_w / sqrt(n_{l-1} (2q+1))) sum_{c'} sum_{b=-q..q} W^l_{c,c',b}
 *               x^(l-1)_{c',a+b} + sigma_b b^l_c,   x^l = c phi(h^l),   l = 1..depth   (n_0 = d)
 *   dense readout: f   = (sigma_out / sqrt(n M)) sum_{c,a} v_{c,a} x^depth_{c,a} + sigma_out_b beta
 *   conv readout:  f_a = (sigma_out / sqrt(n (2q+1))) sum_{c,b} v_{c,b} x^depth_{c,a+b}
 *                        + sigma_out_b beta   (Hayou's y^L_{1,a} with L = depth + 1).
 * The bias of a channel is shared by its positions. */
static void build_cnn1d_(ntk_program *p, const ntk_model *m)
{
    STEM(op_add(NTK_REG_S, NTK_REG_X, 1.0, -1, 0.0, NTK_SCALE_NONE));
    BLOCK(op_conv(NTK_REG_H, NTK_REG_S, m->sigma_w, m->sigma_b, NTK_GROUP_W, NTK_GROUP_B,
                  m->kernel_half));
    BLOCK(op_act(NTK_REG_S, NTK_REG_H, m->act_mult));
    if (m->readout == NTK_READOUT_CONV)
        HEAD(op_conv(NTK_REG_F, NTK_REG_S, m->sigma_out, m->sigma_out_b, NTK_GROUP_READOUT,
                     NTK_GROUP_READOUT_B, m->kernel_half));
    else
        HEAD(op_flatten(NTK_REG_F, NTK_REG_S, m->sigma_out, m->sigma_out_b, NTK_GROUP_READOUT,
                        NTK_GROUP_READOUT_B));
    p->reg_q = NTK_REG_H;
    p->positions = m->positions;
}

int ntk_program_has_op(const ntk_program *p, ntk_op_kind kind)
{
    for (int o = 0; o < p->n_stem; o++)
        if (p->stem[o].kind == kind) return 1;
    for (int o = 0; o < p->n_block; o++)
        if (p->block[o].kind == kind) return 1;
    for (int o = 0; o < p->n_head; o++)
        if (p->head[o].kind == kind) return 1;
    return 0;
}

int ntk_model_compile(const ntk_model *m, ntk_program *p)
{
    NTK_TRY(ntk_model_check(m));
    memset(p, 0, sizeof *p);
    p->model = *m;
    p->first_block = 1;
    p->reg_p = NTK_REG_S;
    p->hist_reg = -1;
    p->positions = 1;
    switch (m->arch) {
    case NTK_ARCH_FF:
        build_ff_(p, m);
        break;
    case NTK_ARCH_RRN:
        build_rrn_(p, m);
        break;
    case NTK_ARCH_FRN:
        build_frn_(p, m);
        break;
    case NTK_ARCH_RESNET:
        build_resnet_(p, m);
        break;
    case NTK_ARCH_PRERESNET:
        build_preresnet_(p, m);
        break;
    case NTK_ARCH_LITTWIN:
        build_littwin_(p, m);
        break;
    case NTK_ARCH_DENSENET:
        build_densenet_(p, m);
        break;
    case NTK_ARCH_CNN1D:
        build_cnn1d_(p, m);
        break;
    default:
        return ntk_error_set(NTK_EINVAL, "invalid architecture %d", (int)m->arch);
    }
    return NTK_OK;
}
