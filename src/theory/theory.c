/* theory.c - infinite-width engine: interprets an ntk_program on kernels, NTKs and gradients.
 *
 * Representation. Every register holds, for the k inputs, the packed pair array (i <= j, in the
 * order of ntk_pair_index) of its covariance K and of its NTK split by parameter group Theta_g.
 * K and Theta carry separate natural-log scales (value = mantissa * exp(scale)); a register is
 * renormalized by a power of two only when its largest mantissa leaves [2^-332, 2^332], so
 * ordinary networks are computed exactly as the plain recursions would, and exploding or vanishing
 * ones (ReLU ResNets, deep sigma_w < 1 nets) keep full relative precision. Homogeneous activations
 * (ntk_act_homogeneity = a > 0) are evaluated on the mantissa: T(s K) = s^a T(K) and
 * Tdot(s K) = s^(a-1) Tdot(K) move the scale exactly. Other activations see the true kernel (a
 * kernel beyond 1e300 is passed rescaled to 1e300, where bounded activations are at their limit).
 *
 * Forward. Ops are SSA assignments: each op computes its dst from its sources into a scratch
 * register that then replaces dst. The head runs after the stem and after every block (it may
 * only write registers that the stem and blocks do not read), so row l of nngp/ntk is the network
 * of depth l. When alpha_l depends on the depth (NTK_ALPHA_POWER with gamma != 0), rows l < depth
 * of nngp/ntk/ntk_norm/ntk_avg/log_ntk/ntk_group are recomputed by one extra forward pass per
 * depth (O(depth^2)); all other rows describe layer l of the model of depth prog->model.depth.
 *
 * Backward. After each block the gradient covariances Pi are propagated through the block with
 * unit Pi at the block output: LINEAR Pi_src += w^2 Pi_dst, ACT Pi_src += Tdot .* Pi_dst, ADD
 * Pi_src += s1^2 Pi_dst, Pi_src2 += s2^2 Pi_dst. This gives the block's elementwise factor
 * m_l (Pi at the block input = m_l .* Pi at its output) and each parameter op's Pi_dst relative to
 * the block output. Cumulative sums of log|m_l| (with zero/inf/sign counts) give the gradient of
 * every layer for the model depth L: Pi(l) = h .* prod_{j>l} m_j, with h the head's factor.
 *
 * Spatial programs (positions M > 1, CONV/FLATTEN ops; model.h) run on k = kr M virtual inputs
 * (input i at position a is virtual input i M + a), so every pointwise op is unchanged; CONV and
 * FLATTEN gather the source kernel (window or position-diagonal average) and apply the LINEAR
 * rule. Their backward has no elementwise block factor: spatial_bwd propagates the gradient
 * covariance once from the model depth down, on the position-diagonal pairs, with the forward
 * data of every row saved (docs/architectures.md 2.2).
 *
 * Memoization. Each ACT op keeps, per pair entry, its last Gaussian-expectation input and result;
 * an entry whose input is bitwise identical to the previous evaluation (typical once a recursion
 * reaches its floating-point fixed point) reuses the result, so results are bit-identical with and
 * without it. Identical diagonal entries within one evaluation are also computed once. All memory
 * is allocated once per run; the per-layer loop does not allocate.
 */
#include "ntksweep/theory.h"
#include "ntksweep/error.h"
#include "ntksweep/gauss.h"
#include "theory/theory_priv.h"

#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define NG           NTK_GROUP_COUNT
#define MAXOPS       NTK_PROGRAM_MAX_OPS
#define RENORM_HI    0x1p+332
#define RENORM_LO    0x1p-332
#define NONHOMOG_CAP 1e300

enum { SEC_STEM = 0, SEC_BLOCK, SEC_HEAD, SEC_COUNT };

/* ------------------------------------------------------------------ quantity table */

static const ntk_qty_desc ntk_theory_qty_table_[NTK_TQ_COUNT] = {
#define NTK_TQ_DESC_(id, name, sym, units, desc, dims) {name, sym, units, desc, dims},
    NTK_THEORY_QTY_MAP(NTK_TQ_DESC_)
#undef NTK_TQ_DESC_
};

const ntk_qty_desc *ntk_theory_qty_table(void)
{
    return ntk_theory_qty_table_;
}

/* ------------------------------------------------------------------ result */

static size_t qty_index(const ntk_qty_shape *sh, unsigned dims, long layer, int group, int idx)
{
    size_t i = 0;
    if (dims & NTK_DIM_LAYER) i = (size_t)layer;
    if (dims & NTK_DIM_GROUP) i = i * (size_t)sh->n_group + (size_t)group;
    if (dims & NTK_DIM_STAT) i = i * (size_t)sh->n_stat;
    if (dims & NTK_DIM_PAIR)
        i = i * (size_t)sh->n_pair + (size_t)idx;
    else if (dims & NTK_DIM_INPUT)
        i = i * (size_t)sh->n_input + (size_t)idx;
    return i;
}

ntk_theory_result *ntk_theory_result_alloc(int k, long depth)
{
    if (k < 1 || depth < 0) {
        ntk_error_set(NTK_EINVAL, "theory result: k = %d must be >= 1 and depth = %ld >= 0", k,
                      depth);
        return NULL;
    }
    ntk_theory_result *r = calloc(1, sizeof *r);
    if (!r) {
        ntk_error_set(NTK_ENOMEM, "theory result: out of memory");
        return NULL;
    }
    r->shape.n_layer = depth + 1;
    r->shape.n_group = NG;
    r->shape.n_stat = NTK_STAT_COUNT;
    r->shape.n_input = k;
    r->shape.n_pair = k * (k + 1) / 2;
    for (int q = 0; q < NTK_TQ_COUNT; q++) {
        size_t n = ntk_qty_size(ntk_theory_qty_table_[q].dims, &r->shape);
        r->data[q] = malloc(n * sizeof(double));
        if (!r->data[q]) {
            ntk_theory_result_free(r);
            ntk_error_set(NTK_ENOMEM, "theory result: out of memory for quantity '%s' (%zu values)",
                          ntk_theory_qty_table_[q].name, n);
            return NULL;
        }
        for (size_t i = 0; i < n; i++)
            r->data[q][i] = NAN;
    }
    return r;
}

void ntk_theory_result_free(ntk_theory_result *r)
{
    if (!r) return;
    for (int q = 0; q < NTK_TQ_COUNT; q++)
        free(r->data[q]);
    free(r);
}

double *ntk_theory_at(ntk_theory_result *r, ntk_theory_qty q, long layer, int group, int idx)
{
    return r->data[q] + qty_index(&r->shape, ntk_theory_qty_table_[q].dims, layer, group, idx);
}

/* ------------------------------------------------------------------ scaled vectors */

/* value_i = v[i] * exp(ls); has = 0 means identically zero (v is then not meaningful). */
typedef struct {
    double *v;
    double ls;
    int has;
} svec;

/* c * exp(from - to), exact when the scales agree. */
static double rescale(double c, double from, double to)
{
    return from == to ? c : c * exp(from - to);
}

/* y += c * x .* z, the term being at log scale lx (z may be NULL). */
static void sv_axpy(svec *y, int n, double c, const double *x, double lx, const double *z)
{
    if (c == 0.0) return;
    if (!y->has) {
        if (z)
            for (int i = 0; i < n; i++)
                y->v[i] = c * x[i] * z[i];
        else
            for (int i = 0; i < n; i++)
                y->v[i] = c * x[i];
        y->ls = lx;
        y->has = 1;
        return;
    }
    if (lx > y->ls) {
        double r = exp(y->ls - lx);
        for (int i = 0; i < n; i++)
            y->v[i] = y->v[i] * r + (z ? c * x[i] * z[i] : c * x[i]);
        y->ls = lx;
    } else {
        double cc = rescale(c, lx, y->ls);
        if (z)
            for (int i = 0; i < n; i++)
                y->v[i] += cc * x[i] * z[i];
        else
            for (int i = 0; i < n; i++)
                y->v[i] += cc * x[i];
    }
}

/* Power-of-two renormalization of a mantissa array whose largest entry left the safe range. */
static void renorm(double *v, int n, double *ls)
{
    double m = 0.0;
    for (int i = 0; i < n; i++) {
        double a = fabs(v[i]);
        if (a > m) /* NaN compares false and is ignored */
            m = a;
    }
    if (!(m > 0.0) || !isfinite(m) || (m <= RENORM_HI && m >= RENORM_LO)) return;
    int e = ilogb(m);
    for (int i = 0; i < n; i++)
        v[i] = ldexp(v[i], -e);
    *ls += e * M_LN2;
}

/* True value of a mantissa at log scale ls. */
static inline double unscale(double v, double ls)
{
    if (ls == 0.0 || v == 0.0 || !isfinite(v)) return v;
    if (fabs(ls) < 700.0) return v * exp(ls);
    return copysign(exp(log(fabs(v)) + ls), v);
}

static inline double scaled(double v, double ls, double f);

/* ------------------------------------------------------------------ workspace */

/* Memo of one ACT pair entry: the last NMEMO distinct inputs (q1, q2, q12, distance or 0, mult)
 * and their results. Several slots catch the short floating-point cycles (period 2-3 in the last
 * bit) in which recursions often end instead of a bitwise fixed point. */
#define NMEMO 8
typedef struct {
    double key[5];
    double T, Td, D;
} mslot;

typedef struct {
    unsigned char used, next, last;
} mstate;

typedef struct {
    double *K;  /* 2P mantissas: covariance K, then distance D_ij = (K_ii + K_jj)/2 - K_ij */
    double *Th; /* nga * P mantissas: the NTK of each active group (slot-major) */
    double ls, lt;
    int def;
} treg;

typedef struct {
    const ntk_program *prog;
    const ntk_model *m;
    ntk_theory_result *res;
    int k, P;
    long L, La, row_stem;
    int *pi_, *pj_, *dg; /* pair -> i, j; input -> its diagonal pair */
    const double *gram;
    unsigned trained;
    int nga, gslot[NG]; /* active groups (trained and present): count and slot of each group */
    int gact[NG];       /* the active groups, in slot order                                   */
    int ngu, gu[NG];    /* groups present in the program (trained or not)                     */
    double homog;
    int series;  /* 1: small kernels of this activation use the expansion (SERIES_BELOW) */
    double a[3]; /* phi'(0), phi''(0), phi'''(0) */
    int dense;
    int memo;
    long *ncalls;
    long nonfinite;
    double *qb[NTK_TQ_COUNT]; /* result arrays and their row / group strides */
    size_t qrs[NTK_TQ_COUNT], qgs[NTK_TQ_COUNT];
    treg reg[NTK_REG_COUNT], tmp;
    svec histK, histT; /* running sums over the history register (DENSECAT); histK is 2P */
    double *xtrue;     /* 2P: true kernel passed to non-homogeneous activations */
    /* per section and op: memo (key 4P, T P, Td P, valid P) and saved backward data (P) */
    mslot *msl[SEC_COUNT][MAXOPS];  /* P * NMEMO cached evaluations per ACT op */
    mstate *mst[SEC_COUNT][MAXOPS]; /* P cache states */
    double *sv[SEC_COUNT][MAXOPS], svls[SEC_COUNT][MAXOPS];
    int first_act[SEC_COUNT];
    /* backward scratch */
    svec pi[NTK_REG_COUNT];
    double *pd, *gk1, *gk2;
    svec nrel[NG], chw[NG], chb[NG];
    int cw[NG], cb[NG];
    /* head backward results (absolute, Pi_F = 1) */
    svec hfac, hn[NG], hcw[NG], hcb[NG];
    int hncw[NG], hncb[NG];
    /* per-row cumulative log|m| and counts of zero, infinite and negative factors, (L+1) * P */
    double *mrow, *mrow_ls;
    /* history programs (DenseNet): per row the derivative kernel of the history activation, the
     * stream kernel, the DENSECAT coefficient and the gradient covariance of the stream */
    int dense_bwd;
    double *dTd, *dTd_ls, *dKS, *dKS_ls, *dc, *dPi, *dPi_ls;
    /* finish_bwd scratch: running product of block factors above a row (P) and Pi there (P) */
    double *tail, *pout;
    /* per-row scales of the relative ntk_layer / chi_group mantissas kept in res, and counts */
    double *nl_ls, *cg_ls;
    int *cg_cnt;
    /* spatial programs (positions M > 1 or CONV/FLATTEN ops): the k inputs of the run are
     * kr * M virtual inputs (virtual input i*M + a = input i at position a); the backward runs on
     * the PD = kr (kr + 1)/2 * M position-diagonal pairs ((i,a),(j,a)), entry e = rpair * M + a */
    int spatial, M, kr, KK, PD;
    int *rp;                      /* P: real pair of each virtual pair                       */
    int *cdp;                     /* PD: virtual pair index of each position-diagonal entry   */
    int *gtab[SEC_COUNT][MAXOPS]; /* CONV: per virtual pair the 2h+1 gathered source pairs     */
    treg gat;                     /* the gathered source of a CONV/FLATTEN op                  */
    double *fl;                   /* (2 + NG) * KK: FLATTEN sums per real pair                 */
    int nsv;                      /* saved backward arrays per row: max(n_stem, n_block)       */
    double *cvs, *cvls;           /* (L+1) * nsv * PD saved sv arrays (position-diagonal), scales */
    svec cpi[NTK_REG_COUNT];      /* position-diagonal gradient covariance of each register    */
    double *cpd, *ctmp, *chd;     /* PD scratch                                                */
    double *cwk, *cbk;            /* KK scratch: per real pair weight / bias contractions      */
    double *hm, hls;              /* kr: mean over positions of Pi_S at the model depth (h)    */
    int sp_acc;                   /* spatial_sect accumulates: 2 all, 1 per-entry only, 0 none */
} tws;

/* Bump allocator over one block. */
typedef struct {
    char *base;
    size_t off, cap;
} bump;

static void *bump_take(bump *b, size_t n)
{
    size_t a = (b->off + 15u) & ~(size_t)15u;
    if (b->base == NULL) {
        b->off = a + n;
        return NULL;
    }
    b->off = a + n;
    return b->base + a;
}

/* Lays out (or, with b->base == NULL, measures) the workspace arrays. */
static void ws_layout(tws *w, bump *b)
{
    const int P = w->P, k = w->k;
    const size_t dP = (size_t)P * sizeof(double), rows = (size_t)(w->L + 1);
    w->pi_ = bump_take(b, (size_t)P * sizeof(int));
    w->pj_ = bump_take(b, (size_t)P * sizeof(int));
    w->dg = bump_take(b, (size_t)k * sizeof(int));
    for (int r = 0; r < NTK_REG_COUNT; r++) {
        w->reg[r].K = bump_take(b, 2 * dP);
        w->reg[r].Th = bump_take(b, NG * dP);
        w->pi[r].v = bump_take(b, dP);
    }
    w->tmp.K = bump_take(b, 2 * dP);
    w->tmp.Th = bump_take(b, NG * dP);
    w->histK.v = bump_take(b, 2 * dP);
    w->histT.v = bump_take(b, NG * dP);
    w->xtrue = bump_take(b, 2 * dP);
    const int nops[SEC_COUNT] = {w->prog->n_stem, w->prog->n_block, w->prog->n_head};
    for (int s = 0; s < SEC_COUNT; s++)
        for (int o = 0; o < nops[s]; o++) {
            w->msl[s][o] = bump_take(b, (size_t)P * NMEMO * sizeof(mslot));
            w->mst[s][o] = bump_take(b, (size_t)P * sizeof(mstate));
            w->sv[s][o] = bump_take(b, dP);
        }
    w->pd = bump_take(b, dP);
    w->gk1 = bump_take(b, (size_t)k * sizeof(double));
    w->gk2 = bump_take(b, (size_t)k * sizeof(double));
    w->hfac.v = bump_take(b, dP);
    for (int g = 0; g < NG; g++) {
        w->nrel[g].v = bump_take(b, dP);
        w->chw[g].v = bump_take(b, (size_t)k * sizeof(double));
        w->chb[g].v = bump_take(b, (size_t)k * sizeof(double));
        w->hn[g].v = bump_take(b, dP);
        w->hcw[g].v = bump_take(b, (size_t)k * sizeof(double));
        w->hcb[g].v = bump_take(b, (size_t)k * sizeof(double));
    }
    w->tail = bump_take(b, dP);
    w->pout = bump_take(b, dP);
    w->mrow = bump_take(b, rows * dP);
    w->mrow_ls = bump_take(b, rows * sizeof(double));
    if (w->dense_bwd) {
        w->dTd = bump_take(b, rows * dP);
        w->dKS = bump_take(b, rows * dP);
        w->dPi = bump_take(b, rows * dP);
        w->dTd_ls = bump_take(b, rows * sizeof(double));
        w->dKS_ls = bump_take(b, rows * sizeof(double));
        w->dPi_ls = bump_take(b, rows * sizeof(double));
        w->dc = bump_take(b, rows * sizeof(double));
    }
    w->nl_ls = bump_take(b, rows * NG * sizeof(double));
    w->cg_ls = bump_take(b, rows * NG * sizeof(double));
    w->cg_cnt = bump_take(b, rows * NG * sizeof(int));
    if (w->spatial) {
        const int PD = w->PD, KK = w->KK;
        const size_t dPD = (size_t)PD * sizeof(double);
        w->rp = bump_take(b, (size_t)P * sizeof(int));
        w->cdp = bump_take(b, (size_t)PD * sizeof(int));
        for (int s = 0; s < SEC_COUNT; s++)
            for (int o = 0; o < nops[s]; o++) {
                const ntk_op *op = s == SEC_STEM    ? &w->prog->stem[o]
                                   : s == SEC_BLOCK ? &w->prog->block[o]
                                                    : &w->prog->head[o];
                if (op->kind == NTK_OP_CONV)
                    w->gtab[s][o] =
                        bump_take(b, (size_t)P * (size_t)(2 * op->half + 1) * sizeof(int));
            }
        w->gat.K = bump_take(b, 2 * dP);
        w->gat.Th = bump_take(b, NG * dP);
        w->fl = bump_take(b, (size_t)(2 + NG) * (size_t)KK * sizeof(double));
        w->cvs = bump_take(b, rows * (size_t)w->nsv * dPD);
        w->cvls = bump_take(b, rows * (size_t)w->nsv * sizeof(double));
        for (int r = 0; r < NTK_REG_COUNT; r++)
            w->cpi[r].v = bump_take(b, dPD);
        w->cpd = bump_take(b, dPD);
        w->ctmp = bump_take(b, dPD);
        w->chd = bump_take(b, dPD);
        w->cwk = bump_take(b, (size_t)KK * sizeof(double));
        w->cbk = bump_take(b, (size_t)KK * sizeof(double));
        w->hm = bump_take(b, (size_t)w->kr * sizeof(double));
    }
}

/* ------------------------------------------------------------------ result writing */

/* Writes a computed value, counting non-finite ones. over = 1 when the slot held a counted value.
 */
static void put(tws *w, double *dst, double v, int over)
{
    if (over && !isfinite(*dst)) w->nonfinite--;
    *dst = v;
    if (!isfinite(v)) w->nonfinite++;
}

static inline double *at(tws *w, ntk_theory_qty q, long layer, int group, int idx)
{
    return w->qb[q] + (size_t)layer * w->qrs[q] + (size_t)group * w->qgs[q] + (size_t)idx;
}

/* Correlation of pair p of a packed mantissa array. */
static double corr(const tws *w, const double *K, int p)
{
    int i = w->pi_[p], j = w->pj_[p];
    double a = K[w->dg[i]], b = K[w->dg[j]];
    if (i == j) return a > 0.0 ? 1.0 : NAN;
    return K[p] / (sqrt(a) * sqrt(b));
}

/* ------------------------------------------------------------------ forward ops */

static double op_fac(const tws *w, const ntk_op *op, long l)
{
    return l > 0 ? ntk_op_factor(op, w->m, l, w->La) : 1.0;
}

/* Angle th = arccos(c) of a pair from the variances q1, q2, the covariance q12 and the distance
 * d = (q1 + q2)/2 - q12 carried exactly alongside it: 1 - c = (d - (sqrt q1 - sqrt q2)^2 / 2) /
 * sqrt(q1 q2) keeps full relative precision as c -> 1 (deep networks), which q12 alone cannot; for
 * c < 0 the angle comes from 1 + c = (sqrt(q1 q2) + q12) / sqrt(q1 q2). Also returns 1 - c and c.
 * g = sqrt(q1 q2) must be > 0. */
static double pair_theta(double g, double ds, double q12, double d, double *omc_out, double *c_out)
{
    double omc = (d - 0.5 * ds * ds) / g, th;
    if (omc <= 1.0) {
        omc = omc < 0.0 ? 0.0 : omc;
        th = 2.0 * asin(sqrt(0.5 * omc));
    } else {
        double opc = (g + q12) / g; /* 1 + c */
        opc = opc < 0.0 ? 0.0 : opc > 1.0 ? 1.0 : opc;
        omc = 2.0 - opc;
        th = M_PI - 2.0 * asin(sqrt(0.5 * opc));
    }
    *omc_out = omc;
    *c_out = 1.0 - omc;
    return th;
}

/* ReLU off-diagonal pair in the angle form: T12 = m2 E[phi phi], Td12 = m2 E[phi' phi'] and the
 * new distance Dn = (T11 + T22)/2 - T12 without cancellation, using
 * 1 - kappa1(cos th) = ((pi - th)(1 - cos th) + th - sin th) / pi. */
static void relu_pair(double m2, double q1, double q2, double q12, double d, double *T, double *Td,
                      double *Dn)
{
    double g = sqrt(q1 * q2), ds = sqrt(q1) - sqrt(q2);
    if (!(g > 0.0) || !isfinite(g)) {
        /* a zero-variance input: same convention as gauss.c (theta = pi/2) */
        *T = 0.0;
        *Td = 0.25 * m2;
        *Dn = 0.25 * m2 * (q1 + q2);
        return;
    }
    double omc, c, th = pair_theta(g, ds, q12, d, &omc, &c);
    double sn = sin(th), th2 = th * th;
    double tms = th < 1e-2 ? th * th2 * (1.0 / 6 - th2 * (1.0 / 120 - th2 / 5040)) : th - sn;
    double omk1 = ((M_PI - th) * omc + tms) / M_PI;
    *T = m2 * g * (sn + (M_PI - th) * c) / (2.0 * M_PI);
    *Td = m2 * (M_PI - th) / (2.0 * M_PI);
    *Dn = m2 * (0.25 * ds * ds + 0.5 * g * omk1);
}

static void act_eval(tws *w, int sec, int oi, double mult, const double *x, double *Tn, double *Td)
{
    const ntk_act *act = &w->m->act;
    const int P = w->P;
    const double m2 = mult * mult;
    const int relu = act->kind == NTK_ACT_RELU, ident = act->kind == NTK_ACT_IDENTITY;
    mslot *msl = w->msl[sec][oi];
    mstate *mst = w->mst[sec][oi];
    double *T = Tn, *Dn = Tn + P;
    for (int p = 0; p < P; p++) {
        int i = w->pi_[p], j = w->pj_[p];
        /* off-diagonal entries also depend on the distance (through the angle) */
        double cur[5] = {x[w->dg[i]], x[w->dg[j]], x[p], i != j ? x[P + p] : 0.0, mult};
        mslot *sl = msl + (size_t)p * NMEMO;
        mstate *st = mst + p;
        if (w->memo && st->used) {
            int hit = -1;
            if (memcmp(cur, sl[st->last].key, sizeof cur) == 0)
                hit = st->last;
            else
                for (int c = 0; c < st->used; c++)
                    if (memcmp(cur, sl[c].key, sizeof cur) == 0) {
                        hit = c;
                        break;
                    }
            if (hit >= 0) {
                st->last = (unsigned char)hit;
                T[p] = sl[hit].T;
                Td[p] = sl[hit].Td;
                Dn[p] = sl[hit].D;
                continue;
            }
        }
        ntk_gauss_val g;
        double dn = 0.0;
        if (i == j) {
            if (w->memo && i > 0 && memcmp(&cur[0], &x[w->dg[i - 1]], sizeof(double)) == 0) {
                g.T = T[w->dg[i - 1]];
                g.Tdot = Td[w->dg[i - 1]];
            } else {
                g = ntk_gauss_diag(act, mult, cur[0]);
                if (w->ncalls) (*w->ncalls)++;
            }
        } else if (relu) {
            relu_pair(m2, cur[0], cur[1], cur[2], cur[3], &g.T, &g.Tdot, &dn);
            if (w->ncalls) (*w->ncalls)++;
        } else {
            double gg = sqrt(cur[0] * cur[1]), omc, c;
            if (gg > 0.0 && isfinite(gg))
                g = ntk_gauss_pair_angle(
                    act, mult, cur[0], cur[1],
                    pair_theta(gg, sqrt(cur[0]) - sqrt(cur[1]), cur[2], cur[3], &omc, &c));
            else
                g = ntk_gauss_pair(act, mult, cur[0], cur[1], cur[2]);
            dn = ident ? m2 * cur[3] : 0.0; /* other activations: from the T values below */
            if (w->ncalls) (*w->ncalls)++;
        }
        T[p] = g.T;
        Td[p] = g.Tdot;
        Dn[p] = dn;
        if (w->memo) {
            mslot *d = sl + st->next;
            memcpy(d->key, cur, sizeof cur);
            d->T = g.T;
            d->Td = g.Tdot;
            d->D = dn;
            st->last = st->next;
            st->next = (unsigned char)((st->next + 1) % NMEMO);
            if (st->used < NMEMO) st->used++;
        }
    }
    if (!relu && !ident)
        for (int p = 0; p < P; p++) {
            int i = w->pi_[p], j = w->pj_[p];
            Dn[p] = i == j ? 0.0 : 0.5 * (T[w->dg[i]] + T[w->dg[j]]) - T[p];
        }
}

/* LINEAR from the source register s (CONV and FLATTEN pass their gathered source). */
static void fwd_linear_from(tws *w, const ntk_op *op, const treg *s, double f, int sec, int oi)
{
    const int P = w->P, GP = w->nga * P;
    treg *t = &w->tmp;
    double wf = op->w * f, bf = op->b * f, w2 = wf * wf, b2 = bf * bf;
    memcpy(w->sv[sec][oi], s->K, (size_t)P * sizeof(double));
    w->svls[sec][oi] = s->ls;
    svec y = {t->K, 0.0, 0};
    sv_axpy(&y, 2 * P, w2, s->K, s->ls, NULL); /* the bias cancels in the distance */
    if (b2 != 0.0) {
        if (!y.has) {
            for (int p = 0; p < P; p++) {
                t->K[p] = b2;
                t->K[P + p] = 0.0;
            }
            y.has = 1;
        } else {
            double bb = rescale(b2, 0.0, y.ls);
            for (int p = 0; p < P; p++)
                t->K[p] += bb;
        }
    }
    if (!y.has) memset(t->K, 0, 2 * (size_t)P * sizeof(double));
    t->ls = y.ls;
    int gw = op->group_w, gb = op->group_b;
    int hasT = w2 != 0.0;
    int hasK = gw >= 0 && (w->trained & NTK_GROUP_BIT(gw)) && w2 != 0.0;
    int hasB = gb >= 0 && (w->trained & NTK_GROUP_BIT(gb)) && b2 != 0.0;
    double L = -INFINITY;
    if (hasT) L = fmax(L, s->lt);
    if (hasK) L = fmax(L, s->ls);
    if (hasB) L = fmax(L, 0.0);
    if (!(hasT || hasK || hasB)) {
        memset(t->Th, 0, (size_t)GP * sizeof(double));
        t->lt = 0.0;
        return;
    }
    double cT = hasT ? rescale(w2, s->lt, L) : 0.0;
    for (int i = 0; i < GP; i++)
        t->Th[i] = cT * s->Th[i];
    if (hasK) {
        double cK = rescale(w2, s->ls, L);
        for (int p = 0; p < P; p++)
            t->Th[w->gslot[gw] * P + p] += cK * s->K[p];
    }
    if (hasB) {
        double cB = rescale(b2, 0.0, L);
        for (int p = 0; p < P; p++)
            t->Th[w->gslot[gb] * P + p] += cB;
    }
    t->lt = L;
}

static void fwd_linear(tws *w, const ntk_op *op, double f, int sec, int oi)
{
    fwd_linear_from(w, op, &w->reg[op->src], f, sec, oi);
}

/* Spatial gathers. CONV = LINEAR applied to the window average
 *   G[(i,a),(j,a')] = (1/(2h+1)) sum_{b=-h..h} K[(i,a+b),(j,a'+b)]       (Hayou eq. 13, Lemma 2),
 * FLATTEN = LINEAR applied to the position-diagonal average
 *   G[(i,a),(j,a')] = (1/M) sum_b K[(i,b),(j,b)]                           (every a, a'),
 * both applied alike to K, the distance D and every NTK slot (all linear in the kernel; D maps
 * exactly because diagonal pairs ((i,a),(i,a)) gather diagonal pairs). Scales are unchanged. */
static void gather_conv(tws *w, const treg *s, const int *tab, int nb)
{
    const int P = w->P;
    treg *g = &w->gat;
    const double dn = (double)nb;
    for (int p = 0; p < P; p++) {
        const int *t = tab + (size_t)p * nb;
        double a = 0.0, d = 0.0;
        for (int b = 0; b < nb; b++) {
            a += s->K[t[b]];
            d += s->K[P + t[b]];
        }
        g->K[p] = a / dn;
        g->K[P + p] = d / dn;
    }
    for (int sl = 0; sl < w->nga; sl++) {
        const double *th = s->Th + (size_t)sl * P;
        double *gt = g->Th + (size_t)sl * P;
        for (int p = 0; p < P; p++) {
            const int *t = tab + (size_t)p * nb;
            double a = 0.0;
            for (int b = 0; b < nb; b++)
                a += th[t[b]];
            gt[p] = a / dn;
        }
    }
    g->ls = s->ls;
    g->lt = s->lt;
    g->def = 1;
}

static void gather_flatten(tws *w, const treg *s)
{
    const int P = w->P, M = w->M, KK = w->KK;
    treg *g = &w->gat;
    const double dm = (double)M;
    for (int r = 0; r < KK; r++) {
        const int *c = w->cdp + (size_t)r * M;
        double a = 0.0, d = 0.0;
        for (int b = 0; b < M; b++) {
            a += s->K[c[b]];
            d += s->K[P + c[b]];
        }
        w->fl[r] = a / dm;
        w->fl[KK + r] = d / dm;
        for (int sl = 0; sl < w->nga; sl++) {
            const double *th = s->Th + (size_t)sl * P;
            double t = 0.0;
            for (int b = 0; b < M; b++)
                t += th[c[b]];
            w->fl[(size_t)(2 + sl) * KK + r] = t / dm;
        }
    }
    for (int p = 0; p < P; p++) {
        int r = w->rp[p];
        g->K[p] = w->fl[r];
        g->K[P + p] = w->fl[KK + r];
    }
    for (int sl = 0; sl < w->nga; sl++)
        for (int p = 0; p < P; p++)
            g->Th[(size_t)sl * P + p] = w->fl[(size_t)(2 + sl) * KK + w->rp[p]];
    g->ls = s->ls;
    g->lt = s->lt;
    g->def = 1;
}

/* Below this variance (the accuracy floor of gauss.h) a smooth activation with phi(0) = 0 is
 * evaluated by its small-variance expansion (Isserlis), with a_k = phi^(k)(0):
 *   T    = m2 [a1^2 q12 + (a1 a3 / 2) q12 (q1 + q2) + (a2^2 / 4)(q1 q2 + 2 q12^2)] + O(q^3)
 *   Tdot = m2 [a1^2 + (a1 a3 / 2)(q1 + q2) + a2^2 q12] + O(q^2),
 * i.e. to relative O(q^2) <= 1e-16; the kernel scale passes through as for a linear map, so
 * vanishing kernels (tanh nets with sigma_w < 1, no bias) keep finite logs at any depth. */
#define SERIES_BELOW 1e-8

static void fwd_act(tws *w, const ntk_op *op, double f, int sec, int oi)
{
    const int P = w->P;
    const treg *s = &w->reg[op->src];
    treg *t = &w->tmp;
    double mult = op->mult * f, tds = 0.0;
    double *Td = w->sv[sec][oi];
    const double *x = s->K;
    int done = 0;
    if (w->homog > 0.0) {
        t->ls = w->homog * s->ls;
        tds = w->homog == 1.0 ? 0.0 : (w->homog - 1.0) * s->ls;
    } else {
        double mx = 0.0;
        for (int i = 0; i < w->k; i++)
            mx = s->K[w->dg[i]] > mx ? s->K[w->dg[i]] : mx;
        double lmx = s->ls == 0.0 || !(mx > 0.0) ? -INFINITY : log(mx) + s->ls;
        int tiny = s->ls == 0.0 ? mx < SERIES_BELOW : lmx < log(SERIES_BELOW);
        if (mx > 0.0 && tiny && w->series) {
            /* small kernel: second-order expansion at the register's scale */
            double m2 = mult * mult, e = exp(s->ls), a1 = w->a[0], a2 = w->a[1], a3 = w->a[2];
            const double *K = s->K;
            for (int p = 0; p < P; p++) {
                double q1 = K[w->dg[w->pi_[p]]], q2 = K[w->dg[w->pj_[p]]], q12 = K[p];
                t->K[p] = m2 * (a1 * a1 * q12 + e * (0.5 * a1 * a3 * q12 * (q1 + q2) +
                                                     0.25 * a2 * a2 * (q1 * q2 + 2 * q12 * q12)));
                Td[p] = m2 * (a1 * a1 + e * (0.5 * a1 * a3 * (q1 + q2) + a2 * a2 * q12));
            }
            for (int p = 0; p < P; p++) {
                int i = w->pi_[p], j = w->pj_[p];
                t->K[P + p] = i == j ? 0.0 : 0.5 * (t->K[w->dg[i]] + t->K[w->dg[j]]) - t->K[p];
            }
            t->ls = s->ls;
            done = 1;
        } else if (s->ls != 0.0) {
            /* true kernel; beyond NONHOMOG_CAP it is passed rescaled to the cap */
            double lf = lmx > log(NONHOMOG_CAP) ? log(NONHOMOG_CAP) - log(mx) : s->ls;
            for (int p = 0; p < 2 * P; p++)
                w->xtrue[p] = unscale(s->K[p], lf);
            x = w->xtrue;
            t->ls = 0.0;
        } else
            t->ls = 0.0;
    }
    if (!done) act_eval(w, sec, oi, mult, x, t->K, Td);
    w->svls[sec][oi] = tds;
    for (int g = 0; g < w->nga; g++)
        for (int p = 0; p < P; p++)
            t->Th[g * P + p] = Td[p] * s->Th[g * P + p];
    t->lt = s->lt + tds;
    if (w->first_act[sec] < 0) w->first_act[sec] = oi;
}

static void fwd_add(tws *w, const ntk_op *op, double f)
{
    const int P = w->P, GP = w->nga * P;
    const treg *a = &w->reg[op->src];
    const treg *b = op->src2 >= 0 ? &w->reg[op->src2] : NULL;
    treg *t = &w->tmp;
    double c1 = op->s1 * op->s1, s2 = op->s2 * f, c2 = s2 * s2;
    svec yk = {t->K, 0.0, 0}, yt = {t->Th, 0.0, 0};
    sv_axpy(&yk, 2 * P, c1, a->K, a->ls, NULL);
    sv_axpy(&yt, GP, c1, a->Th, a->lt, NULL);
    if (b) {
        sv_axpy(&yk, 2 * P, c2, b->K, b->ls, NULL);
        sv_axpy(&yt, GP, c2, b->Th, b->lt, NULL);
    }
    if (!yk.has) memset(t->K, 0, 2 * (size_t)P * sizeof(double));
    if (!yt.has) memset(t->Th, 0, (size_t)GP * sizeof(double));
    t->ls = yk.ls;
    t->lt = yt.ls;
}

static void fwd_densecat(tws *w, const ntk_op *op, double f, long l)
{
    const int P = w->P, GP = w->nga * P;
    treg *t = &w->tmp;
    double wf = op->w * f, c = wf * wf / (double)l;
    svec yk = {t->K, 0.0, 0}, yt = {t->Th, 0.0, 0};
    if (w->histK.has) sv_axpy(&yk, 2 * P, c, w->histK.v, w->histK.ls, NULL);
    if (w->histT.has) sv_axpy(&yt, GP, c, w->histT.v, w->histT.ls, NULL);
    int gw = op->group_w;
    if (gw >= 0 && (w->trained & NTK_GROUP_BIT(gw)) && w->histK.has && c != 0.0) {
        /* Theta_gw += c * sum_h K_h: add into the group slice at the common scale. */
        if (!yt.has) {
            memset(t->Th, 0, (size_t)GP * sizeof(double));
            yt.ls = w->histK.ls;
            yt.has = 1;
        } else if (w->histK.ls > yt.ls) {
            double r = exp(yt.ls - w->histK.ls);
            for (int i = 0; i < GP; i++)
                t->Th[i] *= r;
            yt.ls = w->histK.ls;
        }
        double cc = rescale(c, w->histK.ls, yt.ls);
        for (int p = 0; p < P; p++)
            t->Th[w->gslot[gw] * P + p] += cc * w->histK.v[p];
    }
    if (!yk.has) memset(t->K, 0, 2 * (size_t)P * sizeof(double));
    if (!yt.has) memset(t->Th, 0, (size_t)GP * sizeof(double));
    t->ls = yk.ls;
    t->lt = yt.ls;
}

/* Runs one op at block index l (0 for stem and head). */
static void fwd_op(tws *w, const ntk_op *op, int sec, int oi, long l)
{
    double f = op_fac(w, op, l);
    switch (op->kind) {
    case NTK_OP_LINEAR:
        fwd_linear(w, op, f, sec, oi);
        break;
    case NTK_OP_ACT:
        fwd_act(w, op, f, sec, oi);
        break;
    case NTK_OP_ADD:
        fwd_add(w, op, f);
        break;
    case NTK_OP_DENSECAT:
        fwd_densecat(w, op, f, l);
        break;
    case NTK_OP_CONV:
        gather_conv(w, &w->reg[op->src], w->gtab[sec][oi], 2 * op->half + 1);
        fwd_linear_from(w, op, &w->gat, f, sec, oi);
        break;
    case NTK_OP_FLATTEN:
        gather_flatten(w, &w->reg[op->src]);
        fwd_linear_from(w, op, &w->gat, f, sec, oi);
        break;
    }
    treg *d = &w->reg[op->dst], tmp = *d;
    d->K = w->tmp.K;
    d->Th = w->tmp.Th;
    d->ls = w->tmp.ls;
    d->lt = w->tmp.lt;
    d->def = 1;
    w->tmp.K = tmp.K;
    w->tmp.Th = tmp.Th;
    renorm(d->K, 2 * w->P, &d->ls);
    renorm(d->Th, w->nga * w->P, &d->lt);
}

static void hist_add(tws *w)
{
    const treg *h = &w->reg[w->prog->hist_reg];
    sv_axpy(&w->histK, 2 * w->P, 1.0, h->K, h->ls, NULL);
    sv_axpy(&w->histT, w->nga * w->P, 1.0, h->Th, h->lt, NULL);
    renorm(w->histK.v, 2 * w->P, &w->histK.ls);
    renorm(w->histT.v, w->nga * w->P, &w->histT.ls);
}

/* ------------------------------------------------------------------ row records (forward) */

/* log of the diagonal entries of a mantissa array at scale ls into out[k] (identical neighbouring
 * entries, e.g. equal-norm inputs, share one evaluation). */
static void log_diag(const tws *w, const double *K, double ls, double *out)
{
    for (int i = 0; i < w->k; i++) {
        double v = K[w->dg[i]];
        out[i] = (i > 0 && v == K[w->dg[i - 1]]) ? out[i - 1] : log(v) + ls;
    }
}

static void rec_fwd(tws *w, long row, int sec)
{
    const int P = w->P, k = w->k;
    const treg *q = &w->reg[w->prog->reg_q], *s = &w->reg[w->prog->reg_p];
    double *lg = w->gk1;
    if (q->def) {
        double f = exp(q->ls), *dq = at(w, NTK_TQ_Q, row, 0, 0), *dc = at(w, NTK_TQ_C, row, 0, 0);
        for (int p = 0; p < P; p++) {
            put(w, dq + p, scaled(q->K[p], q->ls, f), 0);
            put(w, dc + p, corr(w, q->K, p), 0);
        }
        log_diag(w, q->K, q->ls, lg);
        for (int i = 0; i < k; i++)
            put(w, at(w, NTK_TQ_LOG_Q, row, 0, i), lg[i], 0);
    }
    double f = exp(s->ls), *dp = at(w, NTK_TQ_P, row, 0, 0), *de = at(w, NTK_TQ_E, row, 0, 0),
           *ds = at(w, NTK_TQ_S, row, 0, 0);
    for (int p = 0; p < P; p++) {
        /* metric expressivity (p + p')/2 - gamma: the carried distance, free of cancellation */
        put(w, dp + p, scaled(s->K[p], s->ls, f), 0);
        put(w, de + p, corr(w, s->K, p), 0);
        put(w, ds + p, w->pi_[p] == w->pj_[p] ? 0.0 : scaled(s->K[P + p], s->ls, f), 0);
    }
    log_diag(w, s->K, s->ls, lg);
    for (int i = 0; i < k; i++)
        put(w, at(w, NTK_TQ_LOG_P, row, 0, i), lg[i], 0);
    int fa = w->first_act[sec];
    if (fa >= 0) {
        double fl = exp(w->svls[sec][fa]), *dk = at(w, NTK_TQ_KDOT, row, 0, 0);
        for (int p = 0; p < P; p++)
            put(w, dk + p, scaled(w->sv[sec][fa][p], w->svls[sec][fa], fl), 0);
    }
}

static void rec_head(tws *w, long row, int over)
{
    const int P = w->P, k = w->k;
    const treg *F = &w->reg[w->prog->head[w->prog->n_head - 1].dst];
    double *sum = w->pd; /* scratch: summed NTK mantissas */
    for (int p = 0; p < P; p++) {
        double acc = 0.0;
        for (int g = 0; g < w->nga; g++)
            acc += F->Th[g * P + p];
        sum[p] = acc;
    }
    double fk = exp(F->ls), ft = exp(F->lt);
    double *dn = at(w, NTK_TQ_NNGP, row, 0, 0), *dt = at(w, NTK_TQ_NTK, row, 0, 0),
           *dm = at(w, NTK_TQ_NTK_NORM, row, 0, 0), *da = at(w, NTK_TQ_NTK_AVG, row, 0, 0);
    for (int p = 0; p < P; p++) {
        put(w, dn + p, scaled(F->K[p], F->ls, fk), over);
        double ntk = scaled(sum[p], F->lt, ft);
        put(w, dt + p, ntk, over);
        put(w, dm + p, corr(w, sum, p), over);
        if (row >= 1) put(w, da + p, ntk / (double)row, over);
    }
    for (int sl = 0; sl < w->nga; sl++) { /* inactive groups hold 0 from the start */
        double *dg = at(w, NTK_TQ_NTK_GROUP, row, w->gact[sl], 0);
        for (int p = 0; p < P; p++)
            put(w, dg + p, scaled(F->Th[sl * P + p], F->lt, ft), over);
    }
    double *lg = w->gk1;
    log_diag(w, sum, F->lt, lg);
    for (int i = 0; i < k; i++)
        put(w, at(w, NTK_TQ_LOG_NTK, row, 0, i), lg[i], over);
}

/* ------------------------------------------------------------------ backward */

/* Propagates unit Pi at out_reg backward through ops[0..n). Fills w->pi (Pi at the section
 * inputs), w->nrel (trained groups' NTK terms) and w->chw/chb (per-entry squared gradients of
 * weights / biases), all relative to the unit at out_reg. Returns 1 if the section cannot be
 * differentiated this way (DENSECAT). */
static int sect_bwd(tws *w, const ntk_op *ops, int n, int sec, int out_reg, long l)
{
    const int P = w->P, k = w->k;
    for (int r = 0; r < NTK_REG_COUNT; r++)
        w->pi[r].has = 0;
    for (int g = 0; g < NG; g++) {
        w->nrel[g].has = w->chw[g].has = w->chb[g].has = 0;
        w->cw[g] = w->cb[g] = 0;
    }
    for (int p = 0; p < P; p++)
        w->pi[out_reg].v[p] = 1.0;
    w->pi[out_reg].ls = 0.0;
    w->pi[out_reg].has = 1;
    for (int oi = n - 1; oi >= 0; oi--) {
        const ntk_op *op = &ops[oi];
        if (op->kind == NTK_OP_DENSECAT) return 1;
        svec *pdst = &w->pi[op->dst];
        if (!pdst->has) continue;
        memcpy(w->pd, pdst->v, (size_t)P * sizeof(double));
        double pdl = pdst->ls;
        pdst->has = 0; /* before this op, dst names its previous value */
        double f = op_fac(w, op, l);
        switch (op->kind) {
        case NTK_OP_LINEAR: {
            double wf = op->w * f, bf = op->b * f, w2 = wf * wf, b2 = bf * bf;
            const double *ks = w->sv[sec][oi];
            double ksl = w->svls[sec][oi];
            int gw = op->group_w, gb = op->group_b;
            for (int i = 0; i < k; i++)
                w->gk1[i] = w->pd[w->dg[i]];
            if (gw >= 0) {
                if (w->trained & NTK_GROUP_BIT(gw))
                    sv_axpy(&w->nrel[gw], P, w2, w->pd, pdl + ksl, ks);
                for (int i = 0; i < k; i++)
                    w->gk2[i] = ks[w->dg[i]];
                sv_axpy(&w->chw[gw], k, 1.0, w->gk1, pdl + ksl, w->gk2);
                w->cw[gw]++;
            }
            if (gb >= 0) {
                if (w->trained & NTK_GROUP_BIT(gb)) sv_axpy(&w->nrel[gb], P, b2, w->pd, pdl, NULL);
                sv_axpy(&w->chb[gb], k, 1.0, w->gk1, pdl, NULL);
                w->cb[gb]++;
            }
            sv_axpy(&w->pi[op->src], P, w2, w->pd, pdl, NULL);
            renorm(w->pi[op->src].v, P, &w->pi[op->src].ls);
            break;
        }
        case NTK_OP_ACT:
            sv_axpy(&w->pi[op->src], P, 1.0, w->pd, pdl + w->svls[sec][oi], w->sv[sec][oi]);
            renorm(w->pi[op->src].v, P, &w->pi[op->src].ls);
            break;
        case NTK_OP_ADD:
            sv_axpy(&w->pi[op->src], P, op->s1 * op->s1, w->pd, pdl, NULL);
            renorm(w->pi[op->src].v, P, &w->pi[op->src].ls);
            if (op->src2 >= 0) {
                double s2 = op->s2 * f;
                sv_axpy(&w->pi[op->src2], P, s2 * s2, w->pd, pdl, NULL);
                renorm(w->pi[op->src2].v, P, &w->pi[op->src2].ls);
            }
            break;
        case NTK_OP_DENSECAT:
        case NTK_OP_CONV:
        case NTK_OP_FLATTEN: /* spatial programs run spatial_bwd instead */
            return 1;
        }
    }
    return 0;
}

/* Stores the section's relative backward results at row (m: the block factor mapping Pi at the
 * output of block row to Pi at its input; NULL for the stem). */
static void store_bwd(tws *w, long row, const svec *m)
{
    const int P = w->P, k = w->k;
    double *mr = w->mrow + (size_t)row * P;
    w->mrow_ls[row] = m && m->has ? m->ls : 0.0;
    for (int p = 0; p < P; p++)
        mr[p] = m ? (m->has ? m->v[p] : 0.0) : 1.0;
    for (int sl = 0; sl < w->nga; sl++) { /* other groups hold 0 from the start */
        int g = w->gact[sl];
        double *dst = at(w, NTK_TQ_NTK_LAYER, row, g, 0);
        size_t gi = (size_t)row * NG + g;
        if (w->nrel[g].has) {
            memcpy(dst, w->nrel[g].v, (size_t)P * sizeof(double));
            w->nl_ls[gi] = w->nrel[g].ls;
        } else {
            memset(dst, 0, (size_t)P * sizeof(double));
            w->nl_ls[gi] = 0.0;
        }
    }
    for (int u = 0; u < w->ngu; u++) { /* groups absent from the program stay NaN */
        int g = w->gu[u];
        size_t gi = (size_t)row * NG + g;
        double *cg = at(w, NTK_TQ_CHI_GROUP, row, g, 0);
        const svec *src = w->cw[g] ? &w->chw[g] : w->cb[g] ? &w->chb[g] : NULL;
        int cnt = w->cw[g] ? w->cw[g] : w->cb[g];
        w->cg_cnt[gi] = cnt;
        w->cg_ls[gi] = src ? src->ls : 0.0;
        for (int i = 0; i < k; i++)
            cg[i] = src ? src->v[i] / cnt : NAN;
    }
}

/* Copies the head's backward results (absolute: Pi_F = 1). */
static void store_head(tws *w)
{
    const int P = w->P, k = w->k;
    svec *h = &w->pi[w->prog->reg_p];
    w->hfac.has = h->has;
    w->hfac.ls = h->ls;
    memcpy(w->hfac.v, h->v, (size_t)P * sizeof(double));
    for (int g = 0; g < NG; g++) {
        w->hn[g].has = w->nrel[g].has;
        w->hn[g].ls = w->nrel[g].ls;
        memcpy(w->hn[g].v, w->nrel[g].v, (size_t)P * sizeof(double));
        w->hcw[g].has = w->chw[g].has;
        w->hcw[g].ls = w->chw[g].ls;
        memcpy(w->hcw[g].v, w->chw[g].v, (size_t)k * sizeof(double));
        w->hcb[g].has = w->chb[g].has;
        w->hcb[g].ls = w->chb[g].ls;
        memcpy(w->hcb[g].v, w->chb[g].v, (size_t)k * sizeof(double));
        w->hncw[g] = w->cw[g];
        w->hncb[g] = w->cb[g];
    }
}

/* v * exp(ls) * f, where f = exp(ls) is precomputed by the caller when finite (else NAN): a plain
 * product when representable, else evaluated in logs (overflow gives inf, underflow 0). */
static inline double scaled(double v, double ls, double f)
{
    if (v == 0.0 || !isfinite(v) || ls == 0.0) return v;
    if (!isnan(f)) {
        double r = v * f;
        if (isfinite(r) && fabs(r) >= DBL_MIN) return r;
    }
    return copysign(exp(log(fabs(v)) + ls), v);
}

static double expf_(double ls)
{
    return fabs(ls) < 700.0 ? exp(ls) : NAN;
}

/* Fills chi, log_chi, grad_corr, ntk_layer and chi_group from the stored per-row records, walking
 * down from the model depth L with the running product of the block factors above each row:
 * tail(l) = prod_{j=l+1..L} m_j (chi relative to the stream at L) and Pi_out(l) = h .* tail(l). */
static void finish_bwd(tws *w)
{
    const int P = w->P, k = w->k;
    double *tail = w->tail, *po = w->pout, tls = 0.0;
    const double *h = w->hfac.v;
    const double hls = w->hfac.ls;
    for (int p = 0; p < P; p++)
        tail[p] = 1.0;
    for (long row = w->L; row >= w->row_stem; row--) {
        if (w->dense_bwd) {
            /* history programs: Pi_S from dense_pi, chi relative to h */
            const double *pi = w->dPi + (size_t)row * P;
            for (int p = 0; p < P; p++)
                tail[p] = pi[p] / h[p];
            tls = w->dPi_ls[row] - hls;
        }
        double ftl = expf_(tls), fpo = expf_(tls + hls);
        for (int p = 0; p < P; p++)
            po[p] = w->hfac.has ? tail[p] * h[p] : 0.0;
        for (int i = 0; i < k; i++) {
            double t = tail[w->dg[i]];
            put(w, at(w, NTK_TQ_CHI, row, 0, i), scaled(t, tls, ftl), 0);
            put(w, at(w, NTK_TQ_LOG_CHI, row, 0, i), log(t) + tls, 0);
        }
        for (int p = 0; p < P; p++) {
            /* the scale cancels in the correlation */
            double a = po[p], ai = po[w->dg[w->pi_[p]]], aj = po[w->dg[w->pj_[p]]];
            put(w, at(w, NTK_TQ_GRAD_CORR, row, 0, p), a / (sqrt(ai) * sqrt(aj)), 0);
        }
        for (int sl = 0; sl < w->nga; sl++) {
            int g = w->gact[sl];
            double *d = at(w, NTK_TQ_NTK_LAYER, row, g, 0), ls = w->nl_ls[(size_t)row * NG + g];
            double f = ls == 0.0 ? fpo : expf_(ls + tls + hls);
            int head = row == w->L && w->hn[g].has;
            for (int p = 0; p < P; p++) {
                double v = d[p] == 0.0 ? 0.0 : scaled(d[p] * po[p], ls + tls + hls, f);
                if (head) v += unscale(w->hn[g].v[p], w->hn[g].ls);
                put(w, d + p, v, 0);
            }
        }
        for (int u = 0; u < w->ngu; u++) {
            int g = w->gu[u];
            size_t gi = (size_t)row * NG + g;
            int cntB = w->cg_cnt[gi];
            int cntH = row == w->L ? (w->hncw[g] ? w->hncw[g] : w->hncb[g]) : 0;
            const svec *hs = w->hncw[g] ? &w->hcw[g] : &w->hcb[g];
            double *d = at(w, NTK_TQ_CHI_GROUP, row, g, 0), ls = w->cg_ls[gi];
            if (!cntB && !cntH) continue; /* no such parameters in this layer: stays NaN */
            double f = ls == 0.0 ? ftl : expf_(ls + tls);
            for (int i = 0; i < k; i++) {
                double v = NAN;
                if (cntB) v = d[i] == 0.0 ? 0.0 : scaled(d[i] * tail[w->dg[i]], ls + tls, f);
                if (cntH) {
                    /* readout: per-entry gradient relative to the stream gradient h at depth L */
                    double hd = w->hfac.has ? h[w->dg[i]] : 0.0;
                    double hv = hd == 0.0 ? INFINITY : unscale(hs->v[i] / cntH / hd, hs->ls - hls);
                    v = cntB ? (cntB * v + cntH * hv) / (cntB + cntH) : hv;
                }
                put(w, d + i, v, 0);
            }
        }
        /* tail(row - 1) = tail(row) .* m_row */
        if (row > w->row_stem && !w->dense_bwd) {
            const double *m = w->mrow + (size_t)row * P;
            for (int p = 0; p < P; p++)
                tail[p] *= m[p];
            tls += w->mrow_ls[row];
            renorm(tail, P, &tls);
        }
    }
}

/* ------------------------------------------------------------------ history backward */

/* Programs whose block is S = DENSECAT(hist); hist = ACT(S) and whose stem ends with
 * hist = ACT(S) (DenseNet, Littwin eq. 13) have no per-block Markov factor: A^h feeds every later
 * block. Their gradient covariances follow Littwin's eq. 81 instead, with h the readout factor:
 *     Pi_S^L = h,   Pi_S^l = Tdot^l .* sum_{j > l} c_j Pi_S^j   (c_j = w^2 alpha_j / j),
 * and block l's weights W^{l,h} (h < l) contribute sum_h c_l Pi_S^l .* K_A^h = Pi_S^l .* K_S^l
 * to the NTK, with per-entry squared gradients Pi_S^l K_A^h averaging to Pi_S^l K_S^l / (c_l l). */
static int dense_shape(const ntk_program *pg)
{
    const ntk_op *b = pg->block;
    if (!pg->needs_history || pg->n_block != 2 || pg->n_stem < 1) return 0;
    const ntk_op *st = &pg->stem[pg->n_stem - 1];
    for (int o = 0; o < pg->n_stem; o++)
        if (pg->stem[o].kind == NTK_OP_DENSECAT) return 0;
    for (int o = 0; o < pg->n_head; o++)
        if (pg->head[o].kind == NTK_OP_DENSECAT) return 0;
    return b[0].kind == NTK_OP_DENSECAT && b[0].dst == pg->reg_p && b[0].src == pg->hist_reg &&
           b[1].kind == NTK_OP_ACT && b[1].src == pg->reg_p && b[1].dst == pg->hist_reg &&
           st->kind == NTK_OP_ACT && st->src == pg->reg_p && st->dst == pg->hist_reg;
}

/* Records row's history derivative kernel (the ACT op `act` of section sec), the stream kernel
 * and, for blocks, the relative NTK and per-entry gradient terms of the DENSECAT weights. */
static void dense_store(tws *w, long row, int sec, int act)
{
    const int P = w->P, k = w->k;
    const treg *S = &w->reg[w->prog->reg_p];
    memcpy(w->dTd + (size_t)row * P, w->sv[sec][act], (size_t)P * sizeof(double));
    w->dTd_ls[row] = w->svls[sec][act];
    memcpy(w->dKS + (size_t)row * P, S->K, (size_t)P * sizeof(double));
    w->dKS_ls[row] = S->ls;
    w->dc[row] = 0.0;
    if (sec != SEC_BLOCK) return;
    const ntk_op *op = &w->prog->block[0];
    double f = op_fac(w, op, row), c = op->w * f * op->w * f / (double)row;
    int gw = op->group_w;
    w->dc[row] = c;
    for (int g = 0; g < NG; g++) {
        w->nrel[g].has = w->chw[g].has = w->chb[g].has = 0;
        w->cw[g] = w->cb[g] = 0;
    }
    if (gw < 0) return;
    if (w->trained & NTK_GROUP_BIT(gw)) sv_axpy(&w->nrel[gw], P, 1.0, S->K, S->ls, NULL);
    for (int i = 0; i < k; i++)
        w->gk1[i] = S->K[w->dg[i]];
    if (c > 0.0) {
        sv_axpy(&w->chw[gw], k, 1.0 / (c * (double)row), w->gk1, S->ls, NULL);
        w->cw[gw] = 1;
    }
}

/* Gradient covariances of the stream for every row (absolute), from the model depth down. */
static void dense_pi(tws *w)
{
    const int P = w->P;
    svec R = {w->pout, 0.0, 0}; /* sum_{j > l} c_j Pi_S^j */
    for (long l = w->L; l >= w->row_stem; l--) {
        double *pi = w->dPi + (size_t)l * P, ls;
        if (l == w->L) {
            for (int p = 0; p < P; p++)
                pi[p] = w->hfac.has ? w->hfac.v[p] : 0.0;
            ls = w->hfac.ls;
        } else {
            const double *td = w->dTd + (size_t)l * P;
            for (int p = 0; p < P; p++)
                pi[p] = R.has ? td[p] * R.v[p] : 0.0;
            ls = R.has ? w->dTd_ls[l] + R.ls : 0.0;
        }
        renorm(pi, P, &ls);
        w->dPi_ls[l] = ls;
        if (l >= w->prog->first_block) {
            sv_axpy(&R, P, w->dc[l], pi, ls, NULL);
            renorm(R.v, P, &R.ls);
        }
    }
}

/* ------------------------------------------------------------------ spatial backward */

/* Spatial programs have no elementwise block factor (CONV mixes positions), so their gradients
 * are propagated once, from the model depth down, with the forward data of every row saved
 * (position-diagonal entries only). The gradient covariance is the adjoint of the NTK recursion,
 * with a unit at the readout entry of every input pair: ((i,0),(j,0)), position 0 of both inputs.
 * Every op maps position offsets a' - a to themselves (FLATTEN's adjoint maps any to offset 0), so
 * from a readout at offset 0 the gradient covariance lives on the pairs ((i,a),(j,a)) exactly:
 * gradients at different positions are uncorrelated. Adjoints on those entries (e = pair * M + a):
 *   LINEAR Pi_src += w^2 Pi_dst;  CONV Pi_src[e] += (w^2/(2h+1)) sum_b Pi_dst[e - b] (positions
 *   mod M);  FLATTEN Pi_src[e] += (w^2/M) sum_a Pi_dst[(pair, a)];  ACT Pi_src += Tdot .* Pi_dst;
 *   ADD as for dense programs.
 * A parameter op adds w^2 sum_a Pi_dst[(pair,a)] G[(pair,a)] (weights, G = its gathered source
 * kernel) and b^2 sum_a Pi_dst[(pair,a)] (biases, shared by the positions) to the NTK of the
 * readout pair; its per-entry squared gradients are the same sums on the diagonal pairs. */

/* Saves the position-diagonal entries of the backward data of a section's ops at row. */
static void spatial_save(tws *w, long row, int sec)
{
    const ntk_op *ops = sec == SEC_STEM ? w->prog->stem : w->prog->block;
    const int n = sec == SEC_STEM ? w->prog->n_stem : w->prog->n_block, PD = w->PD;
    for (int oi = 0; oi < n; oi++) {
        ntk_op_kind kd = ops[oi].kind;
        if (kd == NTK_OP_ADD || kd == NTK_OP_DENSECAT) continue;
        double *d = w->cvs + ((size_t)row * w->nsv + oi) * PD;
        const double *sv = w->sv[sec][oi];
        for (int e = 0; e < PD; e++)
            d[e] = sv[w->cdp[e]];
        w->cvls[(size_t)row * w->nsv + oi] = w->svls[sec][oi];
    }
}

/* Backward data of op oi of section sec at row (the head's are live: its last run was row L). */
static const double *spatial_data(tws *w, int sec, long row, int oi, double *ls)
{
    if (sec == SEC_HEAD) {
        for (int e = 0; e < w->PD; e++)
            w->chd[e] = w->sv[SEC_HEAD][oi][w->cdp[e]];
        *ls = w->svls[SEC_HEAD][oi];
        return w->chd;
    }
    *ls = w->cvls[(size_t)row * w->nsv + oi];
    return w->cvs + ((size_t)row * w->nsv + oi) * w->PD;
}

/* Propagates the gradient covariances w->cpi backward through ops[0..n) of row (block index l for
 * the op factors), accumulating the NTK terms (w->nrel, per real pair) and per-entry squared
 * gradients (w->chw / chb, per real input, with counts w->cw / cb) of the parameter ops. */
static void spatial_sect(tws *w, const ntk_op *ops, int n, int sec, long row, long l)
{
    const int PD = w->PD, M = w->M, KK = w->KK, kr = w->kr;
    for (int oi = n - 1; oi >= 0; oi--) {
        const ntk_op *op = &ops[oi];
        svec *pdst = &w->cpi[op->dst];
        /* an op whose output gets no gradient still counts its parameters (with zero terms) */
        if (pdst->has)
            memcpy(w->cpd, pdst->v, (size_t)PD * sizeof(double));
        else
            memset(w->cpd, 0, (size_t)PD * sizeof(double));
        double pdl = pdst->has ? pdst->ls : 0.0;
        pdst->has = 0; /* before this op, dst names its previous value */
        double f = op_fac(w, op, l);
        switch (op->kind) {
        case NTK_OP_LINEAR:
        case NTK_OP_CONV:
        case NTK_OP_FLATTEN: {
            double wf = op->w * f, bf = op->b * f, w2 = wf * wf, b2 = bf * bf, ksl;
            const double *ks = spatial_data(w, sec, row, oi, &ksl);
            int gw = op->group_w, gb = op->group_b;
            for (int r = 0; r < KK; r++) {
                const double *pe = w->cpd + (size_t)r * M, *ke = ks + (size_t)r * M;
                double cw = 0.0, cb = 0.0;
                for (int a = 0; a < M; a++) {
                    cw += pe[a] * ke[a];
                    cb += pe[a];
                }
                w->cwk[r] = cw;
                w->cbk[r] = cb;
            }
            if (gw >= 0 && w->sp_acc) {
                if (w->sp_acc == 2 && (w->trained & NTK_GROUP_BIT(gw)))
                    sv_axpy(&w->nrel[gw], KK, w2, w->cwk, pdl + ksl, NULL);
                for (int i = 0; i < kr; i++)
                    w->gk1[i] = w->cwk[w->rp[w->dg[i * M]]];
                sv_axpy(&w->chw[gw], kr, 1.0, w->gk1, pdl + ksl, NULL);
                w->cw[gw]++;
            }
            if (gb >= 0 && w->sp_acc) {
                if (w->sp_acc == 2 && (w->trained & NTK_GROUP_BIT(gb)))
                    sv_axpy(&w->nrel[gb], KK, b2, w->cbk, pdl, NULL);
                for (int i = 0; i < kr; i++)
                    w->gk1[i] = w->cbk[w->rp[w->dg[i * M]]];
                sv_axpy(&w->chb[gb], kr, 1.0, w->gk1, pdl, NULL);
                w->cb[gb]++;
            }
            const double *adj = w->cpd;
            if (op->kind == NTK_OP_CONV) {
                const int h = op->half;
                const double dn = (double)(2 * h + 1);
                for (int r = 0; r < KK; r++) {
                    const double *pe = w->cpd + (size_t)r * M;
                    double *te = w->ctmp + (size_t)r * M;
                    for (int a = 0; a < M; a++) {
                        double acc = 0.0;
                        for (int b = -h; b <= h; b++)
                            acc += pe[((a - b) % M + M) % M];
                        te[a] = acc / dn;
                    }
                }
                adj = w->ctmp;
            } else if (op->kind == NTK_OP_FLATTEN) {
                for (int r = 0; r < KK; r++) {
                    const double *pe = w->cpd + (size_t)r * M;
                    double acc = 0.0;
                    for (int a = 0; a < M; a++)
                        acc += pe[a];
                    for (int a = 0; a < M; a++)
                        w->ctmp[(size_t)r * M + a] = acc / (double)M;
                }
                adj = w->ctmp;
            }
            sv_axpy(&w->cpi[op->src], PD, w2, adj, pdl, NULL);
            renorm(w->cpi[op->src].v, PD, &w->cpi[op->src].ls);
            break;
        }
        case NTK_OP_ACT: {
            double tdl;
            const double *td = spatial_data(w, sec, row, oi, &tdl);
            sv_axpy(&w->cpi[op->src], PD, 1.0, w->cpd, pdl + tdl, td);
            renorm(w->cpi[op->src].v, PD, &w->cpi[op->src].ls);
            break;
        }
        case NTK_OP_ADD:
            sv_axpy(&w->cpi[op->src], PD, op->s1 * op->s1, w->cpd, pdl, NULL);
            renorm(w->cpi[op->src].v, PD, &w->cpi[op->src].ls);
            if (op->src2 >= 0) {
                double s2 = op->s2 * f;
                sv_axpy(&w->cpi[op->src2], PD, s2 * s2, w->cpd, pdl, NULL);
                renorm(w->cpi[op->src2].v, PD, &w->cpi[op->src2].ls);
            }
            break;
        case NTK_OP_DENSECAT: /* refused by check_program */
            break;
        }
    }
}

static void spatial_reset_acc(tws *w)
{
    for (int g = 0; g < NG; g++) {
        w->nrel[g].has = w->chw[g].has = w->chb[g].has = 0;
        w->cw[g] = w->cb[g] = 0;
    }
}

/* Writes row's ntk_layer (at the readout pairs (iM, jM)) and chi_group (at the readout inputs iM),
 * then clears the accumulators. chi_group is relative to the position sum of the stream gradient
 * at the model depth, sum_a Pi_S[(i,a),(i,a)] = M h_i. */
static void spatial_flush(tws *w, long row)
{
    const int M = w->M, KK = w->KK, kr = w->kr;
    for (int sl = 0; sl < w->nga; sl++) {
        int g = w->gact[sl];
        if (!w->nrel[g].has) continue;
        double *d = at(w, NTK_TQ_NTK_LAYER, row, g, 0), f = expf_(w->nrel[g].ls);
        for (int r = 0; r < KK; r++)
            put(w, d + w->cdp[(size_t)r * M], scaled(w->nrel[g].v[r], w->nrel[g].ls, f), 0);
    }
    for (int u = 0; u < w->ngu; u++) {
        int g = w->gu[u], cnt = w->cw[g] ? w->cw[g] : w->cb[g];
        const svec *src = w->cw[g] ? &w->chw[g] : &w->chb[g];
        if (!cnt) continue; /* no such parameters in this layer: stays NaN */
        double *d = at(w, NTK_TQ_CHI_GROUP, row, g, 0);
        for (int i = 0; i < kr; i++) {
            double v = src->has ? src->v[i] / cnt : 0.0, hs = (double)M * w->hm[i];
            put(w, d + (size_t)i * M, v == 0.0 ? v / hs : unscale(v / hs, src->ls - w->hls), 0);
        }
    }
    spatial_reset_acc(w);
}

/* chi, log_chi (every virtual input) and grad_corr (every virtual pair) of row from the gradient
 * covariance of the stream, relative to the position mean h of the stream gradient at the model
 * depth. Pairs at different positions have grad_corr 0. Where the gradient of an input vanishes
 * at some positions only (outside the receptive field of a conv readout) log_chi is -inf and
 * grad_corr NaN without being counted as non-finite; a gradient vanishing at every position
 * (sigma_w = 0) gives the same values, counted as for dense programs. */
static void spatial_record(tws *w, long row)
{
    const int M = w->M, P = w->P;
    const svec *pi = &w->cpi[w->prog->reg_p];
    const double *v = pi->has ? pi->v : NULL;
    double ls = pi->has ? pi->ls - w->hls : 0.0, fl = expf_(ls), *live = w->gk2;
#define PI_AT(e)    (v ? v[(e)] : 0.0)
#define PI_II(i, a) PI_AT((size_t)w->rp[w->dg[(i)*M]] * M + (a))
    for (int i = 0; i < w->kr; i++) {
        live[i] = 0.0;
        for (int a = 0; a < M; a++)
            if (PI_II(i, a) != 0.0) live[i] = 1.0;
    }
    for (int u = 0; u < w->k; u++) {
        int i = u / M, a = u % M;
        double x = PI_II(i, a) / w->hm[i];
        put(w, at(w, NTK_TQ_CHI, row, 0, u), scaled(x, ls, fl), 0);
        if (x == 0.0 && live[i] != 0.0)
            *at(w, NTK_TQ_LOG_CHI, row, 0, u) = -INFINITY;
        else
            put(w, at(w, NTK_TQ_LOG_CHI, row, 0, u), log(x) + ls, 0);
    }
    double *gc = at(w, NTK_TQ_GRAD_CORR, row, 0, 0);
    for (int p = 0; p < P; p++) {
        int u = w->pi_[p], t = w->pj_[p], i = u / M, a = u % M, j = t / M, b = t % M;
        double di = PI_II(i, a), dj = PI_II(j, b);
        if ((di == 0.0 && live[i] != 0.0) || (dj == 0.0 && live[j] != 0.0))
            gc[p] = NAN;
        else if (a != b && di > 0.0 && dj > 0.0)
            put(w, gc + p, 0.0, 0);
        else
            put(w, gc + p, PI_AT((size_t)w->rp[p] * M + a) / (sqrt(di) * sqrt(dj)), 0);
    }
#undef PI_II
#undef PI_AT
}

/* The spatial backward for the model depth L (after the full forward pass). */
static void spatial_bwd(tws *w)
{
    const ntk_program *pg = w->prog;
    const int M = w->M, KK = w->KK, PD = w->PD;
    for (int r = 0; r < NTK_REG_COUNT; r++)
        w->cpi[r].has = 0;
    spatial_reset_acc(w);
    svec *pf = &w->cpi[pg->head[pg->n_head - 1].dst];
    memset(pf->v, 0, (size_t)PD * sizeof(double));
    for (int r = 0; r < KK; r++)
        pf->v[(size_t)r * M] = 1.0; /* the readout entry ((i,0),(j,0)) */
    pf->ls = 0.0;
    pf->has = 1;
    w->sp_acc = 2;
    spatial_sect(w, pg->head, pg->n_head, SEC_HEAD, w->L, 0);
    const svec *h = &w->cpi[pg->reg_p];
    int zero = 1;
    for (int e = 0; h->has && e < PD && zero; e++)
        zero = h->v[e] == 0.0;
    if (zero) {
        /* a zero readout weight (sigma_out = 0): every gradient below vanishes and so does every
         * NTK term; chi and chi_group, relative to h, take their limit: the gradients of the
         * readout with unit weight scales, accumulated without NTK terms */
        ntk_op unit[MAXOPS];
        for (int o = 0; o < pg->n_head; o++) {
            unit[o] = pg->head[o];
            if (unit[o].w == 0.0) unit[o].w = 1.0;
        }
        for (int r = 0; r < NTK_REG_COUNT; r++)
            w->cpi[r].has = 0;
        memset(pf->v, 0, (size_t)PD * sizeof(double));
        for (int r = 0; r < KK; r++)
            pf->v[(size_t)r * M] = 1.0;
        pf->ls = 0.0;
        pf->has = 1;
        w->sp_acc = 0;
        spatial_sect(w, unit, pg->n_head, SEC_HEAD, w->L, 0);
        w->sp_acc = 1;
    }
    for (int i = 0; i < w->kr; i++) {
        double acc = 0.0;
        if (h->has)
            for (int a = 0; a < M; a++)
                acc += h->v[(size_t)w->rp[w->dg[i * M]] * M + a];
        w->hm[i] = acc / (double)M;
    }
    w->hls = h->has ? h->ls : 0.0;
    spatial_record(w, w->L);
    for (long row = w->L; row >= pg->first_block; row--) {
        spatial_sect(w, pg->block, pg->n_block, SEC_BLOCK, row, row);
        spatial_flush(w, row);
        spatial_record(w, row - 1);
    }
    spatial_sect(w, pg->stem, pg->n_stem, SEC_STEM, w->row_stem, 0);
    spatial_flush(w, w->row_stem);
}

/* ------------------------------------------------------------------ passes */

static void load_inputs(tws *w)
{
    treg *x = &w->reg[NTK_REG_X];
    const int P = w->P, k = w->k;
    for (int p = 0; p < P; p++) {
        int i = w->pi_[p], j = w->pj_[p];
        x->K[p] = w->gram[i * k + j];
        x->K[P + p] = i == j ? 0.0 : 0.5 * (w->gram[i * k + i] + w->gram[j * k + j]) - x->K[p];
    }
    x->ls = 0.0;
    renorm(x->K, 2 * P, &x->ls);
    memset(x->Th, 0, (size_t)w->nga * w->P * sizeof(double));
    x->lt = 0.0;
    x->def = 1;
}

/* One forward pass with alpha evaluated at total depth La, through blocks first..lmax. full = 1:
 * records every row and runs the backward; full = 0: records only the head rows of depth lmax. */
static void forward_pass(tws *w, long La, long lmax, int full)
{
    const ntk_program *pg = w->prog;
    w->La = La;
    for (int r = 0; r < NTK_REG_COUNT; r++)
        w->reg[r].def = 0;
    load_inputs(w);
    w->histK.has = w->histT.has = 0;
    w->first_act[SEC_STEM] = -1;
    for (int o = 0; o < pg->n_stem; o++)
        fwd_op(w, &pg->stem[o], SEC_STEM, o, 0);
    if (pg->needs_history) hist_add(w);
    if (full) {
        rec_fwd(w, w->row_stem, SEC_STEM);
        w->first_act[SEC_HEAD] = -1;
        for (int o = 0; o < pg->n_head; o++)
            fwd_op(w, &pg->head[o], SEC_HEAD, o, 0);
        rec_head(w, w->row_stem, 0);
        if (w->spatial)
            spatial_save(w, w->row_stem, SEC_STEM);
        else if (!w->dense || w->dense_bwd) {
            sect_bwd(w, pg->stem, pg->n_stem, SEC_STEM, pg->reg_p, 0);
            store_bwd(w, w->row_stem, NULL);
            if (w->dense_bwd) dense_store(w, w->row_stem, SEC_STEM, pg->n_stem - 1);
        }
    }
    for (long l = pg->first_block; l <= lmax; l++) {
        w->first_act[SEC_BLOCK] = -1;
        for (int o = 0; o < pg->n_block; o++)
            fwd_op(w, &pg->block[o], SEC_BLOCK, o, l);
        if (pg->needs_history) hist_add(w);
        if (full) {
            rec_fwd(w, l, SEC_BLOCK);
            if (w->spatial)
                spatial_save(w, l, SEC_BLOCK);
            else if (!w->dense) {
                sect_bwd(w, pg->block, pg->n_block, SEC_BLOCK, pg->reg_p, l);
                svec m = w->pi[pg->reg_p];
                store_bwd(w, l, &m);
            } else if (w->dense_bwd) {
                dense_store(w, l, SEC_BLOCK, 1);
                store_bwd(w, l, NULL);
            }
        }
        if (full || l == lmax) {
            w->first_act[SEC_HEAD] = -1;
            for (int o = 0; o < pg->n_head; o++)
                fwd_op(w, &pg->head[o], SEC_HEAD, o, 0);
            rec_head(w, l, !full);
        }
    }
    if (full && w->spatial)
        spatial_bwd(w);
    else if (full && (!w->dense || w->dense_bwd)) {
        sect_bwd(w, pg->head, pg->n_head, SEC_HEAD, pg->head[pg->n_head - 1].dst, 0);
        store_head(w);
    }
}

/* ------------------------------------------------------------------ validation */

static int check_ops(const ntk_op *ops, int n, const char *sec, int M)
{
    for (int o = 0; o < n; o++) {
        const ntk_op *op = &ops[o];
        if (op->dst < 0 || op->dst >= NTK_REG_COUNT || op->src < 0 || op->src >= NTK_REG_COUNT ||
            op->src2 >= NTK_REG_COUNT || op->src2 < -1)
            return ntk_error_set(NTK_EINVAL, "program %s op %d: register out of range", sec, o);
        if (op->group_w >= NG || op->group_b >= NG)
            return ntk_error_set(NTK_EINVAL, "program %s op %d: parameter group out of range", sec,
                                 o);
        if (op->kind < NTK_OP_LINEAR || op->kind > NTK_OP_FLATTEN)
            return ntk_error_set(NTK_EINVAL, "program %s op %d: unknown kind %d", sec, o,
                                 (int)op->kind);
        if (op->kind == NTK_OP_CONV && (op->half < 0 || 2 * op->half + 1 > M))
            return ntk_error_set(NTK_EINVAL,
                                 "program %s op %d: convolution half-width %d needs 0 <= 2h+1 <= "
                                 "positions = %d",
                                 sec, o, op->half, M);
    }
    return NTK_OK;
}

/* Positions of a program (1 when it has none). */
static int prog_positions(const ntk_program *pg)
{
    return pg->positions > 1 ? pg->positions : 1;
}

/* 1 for programs run on virtual inputs with the spatial backward. */
static int prog_spatial(const ntk_program *pg)
{
    return prog_positions(pg) > 1 || ntk_program_has_op(pg, NTK_OP_CONV) ||
           ntk_program_has_op(pg, NTK_OP_FLATTEN);
}

static int check_program(const ntk_program *pg)
{
    if (pg->n_stem < 0 || pg->n_stem > MAXOPS || pg->n_block < 1 || pg->n_block > MAXOPS ||
        pg->n_head < 1 || pg->n_head > MAXOPS)
        return ntk_error_set(NTK_EINVAL, "program: bad op counts (stem %d, block %d, head %d)",
                             pg->n_stem, pg->n_block, pg->n_head);
    if (pg->positions > NTK_MAX_POSITIONS)
        return ntk_error_set(NTK_EINVAL, "program: positions = %d exceeds %d", pg->positions,
                             NTK_MAX_POSITIONS);
    const int M = pg->positions > 1 ? pg->positions : 1;
    NTK_TRY(check_ops(pg->stem, pg->n_stem, "stem", M));
    NTK_TRY(check_ops(pg->block, pg->n_block, "block", M));
    NTK_TRY(check_ops(pg->head, pg->n_head, "head", M));
    unsigned read = 0;
    for (int o = 0; o < pg->n_stem; o++)
        read |= 1u << pg->stem[o].src | (pg->stem[o].src2 >= 0 ? 1u << pg->stem[o].src2 : 0u);
    for (int o = 0; o < pg->n_block; o++)
        read |= 1u << pg->block[o].src | (pg->block[o].src2 >= 0 ? 1u << pg->block[o].src2 : 0u);
    if (pg->needs_history) read |= 1u << pg->hist_reg;
    for (int o = 0; o < pg->n_head; o++)
        if (read & (1u << pg->head[o].dst))
            return ntk_error_set(NTK_EINVAL,
                                 "program head op %d writes register %d, which the stem or blocks "
                                 "read",
                                 o, pg->head[o].dst);
    if (pg->first_block < 1 || pg->first_block > pg->model.depth + 1)
        return ntk_error_set(NTK_EINVAL, "program: first block %ld outside 1..depth+1",
                             pg->first_block);
    if (pg->needs_history && (pg->hist_reg < 0 || pg->hist_reg >= NTK_REG_COUNT))
        return ntk_error_set(NTK_EINVAL, "program: history register %d out of range", pg->hist_reg);
    if (pg->needs_history && prog_spatial(pg))
        return ntk_error_set(NTK_ENOTSUP,
                             "program: history ops (DENSECAT) with positions or convolutions");
    return NTK_OK;
}

static int check_inputs(const ntk_inputs *in)
{
    if (!in || in->k < 1 || !in->gram)
        return ntk_error_set(NTK_EINVAL, "theory inputs: need k >= 1 and a Gram matrix");
    const int k = in->k;
    for (int i = 0; i < k; i++) {
        double gii = in->gram[i * k + i];
        if (!isfinite(gii) || gii < 0.0)
            return ntk_error_set(
                NTK_EINVAL, "theory inputs: Gram[%d][%d] = %g must be finite and >= 0", i, i, gii);
        for (int j = 0; j < k; j++) {
            double a = in->gram[i * k + j], b = in->gram[j * k + i];
            if (!isfinite(a))
                return ntk_error_set(NTK_EINVAL, "theory inputs: Gram[%d][%d] = %g is not finite",
                                     i, j, a);
            if (fabs(a - b) > 1e-12 * fmax(fabs(a), fabs(b)))
                return ntk_error_set(
                    NTK_EINVAL, "theory inputs: Gram matrix not symmetric at (%d,%d): %g vs %g", i,
                    j, a, b);
            double gjj = in->gram[j * k + j];
            if (fabs(a) > sqrt(gii) * sqrt(gjj) * (1.0 + 1e-9) + 1e-300)
                return ntk_error_set(NTK_EINVAL,
                                     "theory inputs: |Gram[%d][%d]| = %g exceeds sqrt(Gram[%d][%d] "
                                     "Gram[%d][%d]) (not positive semi-definite)",
                                     i, j, fabs(a), i, i, j, j);
        }
    }
    return NTK_OK;
}

/* ------------------------------------------------------------------ spatial setup */

/* Packed index of the virtual pair (u, v) among n virtual inputs (either order). */
static int vpair(int u, int v, int n)
{
    if (u > v) {
        int t = u;
        u = v;
        v = t;
    }
    return u * n - u * (u - 1) / 2 + (v - u);
}

/* Real pair of every virtual pair, virtual pair of every position-diagonal entry, and the gather
 * tables of the CONV ops. */
static void spatial_tables(tws *w)
{
    const int M = w->M, n = w->k, kr = w->kr;
    for (int p = 0; p < w->P; p++)
        w->rp[p] = ntk_pair_index(w->pi_[p] / M, w->pj_[p] / M, kr);
    for (int i = 0, r = 0; i < kr; i++)
        for (int j = i; j < kr; j++, r++)
            for (int a = 0; a < M; a++)
                w->cdp[(size_t)r * M + a] = vpair(i * M + a, j * M + a, n);
    const ntk_op *secs[SEC_COUNT] = {w->prog->stem, w->prog->block, w->prog->head};
    const int nops[SEC_COUNT] = {w->prog->n_stem, w->prog->n_block, w->prog->n_head};
    for (int s = 0; s < SEC_COUNT; s++)
        for (int o = 0; o < nops[s]; o++) {
            if (secs[s][o].kind != NTK_OP_CONV) continue;
            const int h = secs[s][o].half, nb = 2 * h + 1;
            int *t = w->gtab[s][o];
            for (int p = 0; p < w->P; p++) {
                int u = w->pi_[p], v = w->pj_[p], i = u / M, a = u % M, j = v / M, c = v % M;
                for (int b = -h; b <= h; b++)
                    t[(size_t)p * nb + (b + h)] =
                        vpair(i * M + ((a + b) % M + M) % M, j * M + ((c + b) % M + M) % M, n);
            }
        }
}

/* ------------------------------------------------------------------ entry points */

int ntk_theory_run_ex(const ntk_program *prog, const ntk_inputs *in, ntk_theory_result *res,
                      const ntk_theory_opts *opts)
{
    if (!prog || !res)
        return ntk_error_set(NTK_EINVAL, "theory run: program and result are required");
    NTK_TRY(check_inputs(in));
    NTK_TRY(check_program(prog));
    const long L = prog->model.depth;
    if (res->shape.n_input != in->k || res->shape.n_layer != L + 1)
        return ntk_error_set(NTK_EINVAL,
                             "theory run: result allocated for k = %d, depth = %ld but the run has "
                             "k = %d, depth = %ld",
                             res->shape.n_input, res->shape.n_layer - 1, in->k, L);
    tws w;
    memset(&w, 0, sizeof w);
    w.prog = prog;
    w.m = &prog->model;
    w.res = res;
    w.k = in->k;
    w.P = in->k * (in->k + 1) / 2;
    w.L = L;
    w.row_stem = prog->first_block - 1;
    w.gram = in->gram;
    w.trained = prog->model.trained;
    w.homog = ntk_act_homogeneity(&prog->model.act);
    {
        /* derivatives at 0 for the small-variance expansion: phi' exactly, phi'' and phi''' by
         * central differences of phi' (errors O(h^2) = 1e-6 enter only at relative O(q)) */
        const ntk_act *act = &prog->model.act;
        double h = 1e-3, d0 = ntk_act_dphi(act, 0.0), dp = ntk_act_dphi(act, h),
               dm = ntk_act_dphi(act, -h);
        w.a[0] = d0;
        w.a[1] = (dp - dm) / (2 * h);
        w.a[2] = (dp - 2 * d0 + dm) / (h * h);
        w.series = w.homog == 0.0 && ntk_act_phi(act, 0.0) == 0.0 && isfinite(w.a[0]) &&
                   isfinite(w.a[1]) && isfinite(w.a[2]);
    }
    w.spatial = prog_spatial(prog);
    w.M = prog_positions(prog);
    if (w.spatial) {
        if (in->k % w.M != 0 || in->k > NTK_THEORY_MAX_VIRTUAL)
            return ntk_error_set(NTK_EINVAL,
                                 "theory run: a program with %d positions runs on k*%d virtual "
                                 "inputs (at most %d; theory.h, ntk_theory_cnn_gram), got k = %d",
                                 w.M, w.M, NTK_THEORY_MAX_VIRTUAL, in->k);
        w.kr = in->k / w.M;
        w.KK = w.kr * (w.kr + 1) / 2;
        w.PD = w.KK * w.M;
        w.nsv = prog->n_stem > prog->n_block ? prog->n_stem : prog->n_block;
    }
    w.memo = opts ? opts->memo : 1;
    w.ncalls = opts ? opts->n_gauss_calls : NULL;
    const ntk_op *secs[SEC_COUNT] = {prog->stem, prog->block, prog->head};
    const int nops[SEC_COUNT] = {prog->n_stem, prog->n_block, prog->n_head};
    unsigned used = 0;
    for (int s = 0; s < SEC_COUNT; s++)
        for (int o = 0; o < nops[s]; o++) {
            const ntk_op *op = &secs[s][o];
            if (op->kind == NTK_OP_DENSECAT) w.dense = 1;
            w.dense_bwd = dense_shape(prog);
            if (op->group_w >= 0) used |= NTK_GROUP_BIT(op->group_w);
            if (op->group_b >= 0) used |= NTK_GROUP_BIT(op->group_b);
        }
    for (int g = 0; g < NG; g++) {
        w.gslot[g] = -1;
        if (used & w.trained & NTK_GROUP_BIT(g)) {
            w.gact[w.nga] = g;
            w.gslot[g] = w.nga++;
        }
        if (used & NTK_GROUP_BIT(g)) w.gu[w.ngu++] = g;
    }

    bump b = {NULL, 0, 0};
    ws_layout(&w, &b);
    b.cap = b.off;
    b.base = calloc(1, b.cap);
    if (!b.base)
        return ntk_error_set(NTK_ENOMEM, "theory run: out of memory for the workspace (%zu bytes)",
                             b.cap);
    b.off = 0;
    ws_layout(&w, &b);
    for (int i = 0, p = 0; i < w.k; i++)
        for (int j = i; j < w.k; j++, p++) {
            w.pi_[p] = i;
            w.pj_[p] = j;
            if (i == j) w.dg[i] = p;
        }
    if (w.spatial) spatial_tables(&w);

    for (int q = 0; q < NTK_TQ_COUNT; q++) {
        unsigned dims = ntk_theory_qty_table_[q].dims;
        size_t inner = (dims & NTK_DIM_PAIR)    ? (size_t)res->shape.n_pair
                       : (dims & NTK_DIM_INPUT) ? (size_t)res->shape.n_input
                                                : 1u;
        w.qb[q] = res->data[q];
        w.qgs[q] = (dims & NTK_DIM_GROUP) ? inner : 0u;
        w.qrs[q] = (dims & NTK_DIM_GROUP) ? inner * (size_t)res->shape.n_group : inner;
        size_t n = ntk_qty_size(dims, &res->shape);
        for (size_t i = 0; i < n; i++)
            res->data[q][i] = NAN;
    }
    /* per-group NTK splits are 0 for groups without trained parameters (rows from the stem on) */
    for (size_t i = (size_t)w.row_stem * w.qrs[NTK_TQ_NTK_GROUP];
         i < (size_t)(L + 1) * w.qrs[NTK_TQ_NTK_GROUP]; i++)
        w.qb[NTK_TQ_NTK_GROUP][i] = 0.0;
    if (w.spatial) /* spatial: defined at the readout pairs (iM, jM) only */
        for (long l = w.row_stem; l <= L; l++)
            for (int g = 0; g < NG; g++)
                for (int r = 0; r < w.KK; r++)
                    *at(&w, NTK_TQ_NTK_LAYER, l, g, w.cdp[(size_t)r * w.M]) = 0.0;
    else if (!w.dense || w.dense_bwd)
        for (size_t i = (size_t)w.row_stem * w.qrs[NTK_TQ_NTK_LAYER];
             i < (size_t)(L + 1) * w.qrs[NTK_TQ_NTK_LAYER]; i++)
            w.qb[NTK_TQ_NTK_LAYER][i] = 0.0;
    forward_pass(&w, L, L, 1);
    if (w.dense_bwd) dense_pi(&w);
    if (!w.spatial && (!w.dense || w.dense_bwd)) finish_bwd(&w);
    if (ntk_alpha_depends_on_depth(&prog->model.alpha))
        for (long l = prog->first_block; l < L; l++)
            forward_pass(&w, l, l, 0);
    res->n_nonfinite = w.nonfinite;
    free(b.base);
    return NTK_OK;
}

static int check_spatial_dims(int kr, int d, int M)
{
    if (kr < 1 || d < 1 || M < 1 || (long)kr * M > NTK_THEORY_MAX_VIRTUAL)
        return ntk_error_set(NTK_EINVAL,
                             "spatial Gram: need kr, d, M >= 1 and kr*M <= %d (got kr = %d, d = "
                             "%d, M = %d)",
                             NTK_THEORY_MAX_VIRTUAL, kr, d, M);
    return NTK_OK;
}

int ntk_theory_cnn_gram(int kr, int d, int M, const double *x, double *gram)
{
    NTK_TRY(check_spatial_dims(kr, d, M));
    const int n = kr * M;
    for (int u = 0; u < n; u++)
        for (int v = u; v < n; v++) {
            int i = u / M, a = u % M, j = v / M, b = v % M;
            double s = 0.0;
            for (int c = 0; c < d; c++)
                s += x[((size_t)i * d + c) * M + a] * x[((size_t)j * d + c) * M + b];
            s /= (double)d;
            if (!isfinite(s))
                return ntk_error_set(NTK_EINVAL,
                                     "spatial Gram: entry (%d, %d) is not finite (signal values?)",
                                     u, v);
            gram[(size_t)u * n + v] = gram[(size_t)v * n + u] = s;
        }
    return NTK_OK;
}

int ntk_theory_gram_replicate(int kr, int M, const double *g, double *gram)
{
    NTK_TRY(check_spatial_dims(kr, 1, M));
    const int n = kr * M;
    for (int u = 0; u < n; u++)
        for (int v = 0; v < n; v++)
            gram[(size_t)u * n + v] = g[(u / M) * kr + v / M];
    return NTK_OK;
}

int ntk_theory_run(const ntk_program *prog, const ntk_inputs *in, ntk_theory_result *res)
{
    ntk_theory_opts o = {1, NULL};
    return ntk_theory_run_ex(prog, in, res, &o);
}
