/* model.h - the one model description shared by the theory and simulation engines.
 *
 * A model (architecture + activation + parameters) is compiled into an ntk_program: a short list
 * of operations on named registers, split into a stem (input -> stream), a block template that is
 * applied for l = first_block .. depth (stream -> stream), and a head (stream -> scalar output f).
 * The theory engine interprets the ops on kernels (covariances, NTKs, gradient covariances); the
 * simulator interprets the same ops on width-n activations of a sampled network. A new
 * architecture is therefore one builder function in model.c, and both engines know it.
 *
 * Conventions (all architectures):
 *  - Weights are N(0,1) and the scale sits in the forward pass ("NTK parameterization"):
 *    LINEAR computes  dst = (w / sqrt(fan_in)) W src + b * beta,  W_ij, beta_i ~ N(0,1).
 *    Under NTK_PARAM_STANDARD the forward function is identical but gradients are taken with
 *    respect to the scaled weights (W~ = w W / sqrt(fan_in), standard deviation w/sqrt(fan_in)),
 *    which only changes the parameter-gradient quantities (chi_w, per-entry) and the empirical
 *    NTK's weight terms by the factor fan_in / w^2 (see theory.h).
 *  - sigma_* are STANDARD DEVIATIONS (a spec may give sigma_w2 = sigma_w^2 instead).
 *  - Inputs x in R^d enter through their per-coordinate Gram matrix K0(x,x') = x.x'/d. Inputs of a
 *    spatial program (CNN1D: d channels x M positions) enter as k*M "virtual inputs", virtual
 *    input i*M + a being input i at position a (theory.h: ntk_theory_cnn_gram).
 *  - depth = number of blocks (hidden layers or residual blocks). Layer index l = 0 is the
 *    stream after the stem; layer l >= first_block is the stream after block l. Papers that count
 *    affine layers (Hayou et al.: L = depth + 1) are mapped in docs/architectures.md.
 *  - A kernel K of a register is the per-unit covariance E[z_i(x) z_i(x')]; an NTK Theta of a
 *    register is sum over trained parameters of <dz_i(x)/dtheta, dz_i(x')/dtheta>.
 */
#ifndef NTKSWEEP_MODEL_H
#define NTKSWEEP_MODEL_H

#include "ntksweep/activation.h"

/* ------------------------------------------------------------------ architectures */
typedef enum {
    NTK_ARCH_FF = 0,     /* feedforward (Hayou eq. 4, Tirer eq. 1, Huang eq. 4, Yang vanilla) */
    NTK_ARCH_RRN,        /* Yang & Schoenholz reduced residual network (Sec. 3)               */
    NTK_ARCH_FRN,        /* Yang & Schoenholz full residual network (Sec. 3)                  */
    NTK_ARCH_RESNET,     /* Tirer eq. 6 / Huang eq. 5: x += alpha_l sv V phi(sw W x)          */
    NTK_ARCH_PRERESNET,  /* Hayou eq. 6/7: y += a_l (sw W phi(y) + sb b), 1/sqrt(l) scaling   */
    NTK_ARCH_LITTWIN,    /* Littwin eq. 6-7: depth-m branches, branch x sqrt(alpha_l)          */
    NTK_ARCH_DENSENET,   /* Littwin eq. 13                                                     */
    NTK_ARCH_CNN1D,      /* Hayou eq. 5/11: 1-D CNN, circular padding, M positions, filter 2q+1 */
    NTK_ARCH_COUNT_
} ntk_arch_kind;

/* Parameter groups: every weight/bias tensor belongs to one group; the NTK is reported per group
 * and a group enters the NTK only if its bit is set in ntk_model.trained. */
typedef enum {
    NTK_GROUP_INPUT = 0, /* stem weight (lifting layer U / A / W^s)            */
    NTK_GROUP_W,         /* hidden weights W (FF layers, first branch layers)  */
    NTK_GROUP_B,         /* biases of the W layers                             */
    NTK_GROUP_V,         /* branch output weights V (FRN, ResNet)              */
    NTK_GROUP_A,         /* branch output biases a (FRN)                       */
    NTK_GROUP_READOUT,   /* readout weights                                    */
    NTK_GROUP_READOUT_B, /* readout bias                                       */
    NTK_GROUP_COUNT
} ntk_group;

#define NTK_GROUP_BIT(g) (1u << (g))
#define NTK_GROUPS_ALL ((1u << NTK_GROUP_COUNT) - 1u)

typedef enum { NTK_PARAM_NTK = 0, NTK_PARAM_STANDARD } ntk_param_kind;

/* Branch-scale schedule alpha_l (l = block index, L = depth). */
typedef enum {
    NTK_ALPHA_CONST = 0, /* alpha_l = value                                   */
    NTK_ALPHA_POWER,     /* alpha_l = value * L^(-gamma)   (Huang: value = 1)  */
    NTK_ALPHA_INVSQRT,   /* alpha_l = value / sqrt(l)      (Hayou scaled)      */
    NTK_ALPHA_LIST       /* alpha_l = list[l - first_block]                    */
} ntk_alpha_kind;

typedef struct {
    ntk_alpha_kind kind;
    double value;
    double gamma;
    const double *list; /* NTK_ALPHA_LIST only; not owned (the spec or caller keeps it alive) */
    long nlist;
} ntk_alpha;

/* Input-layer (stem) choice for NTK_ARCH_FF: none (block 1 reads x) or a linear lifting layer. */
typedef enum { NTK_STEM_NONE = 0, NTK_STEM_LINEAR } ntk_stem_kind;

/* Readout of NTK_ARCH_CNN1D: a dense layer over all n*M features of the last block (FLATTEN), or
 * one more circular convolution whose output at position a is f_a (Hayou's y^L_{1,a}; CONV). */
typedef enum { NTK_READOUT_DENSE = 0, NTK_READOUT_CONV } ntk_readout_kind;

/* A model: plain value type, no owned memory (alpha.list is borrowed). Fill with
 * ntk_model_default() and then set fields. */
typedef struct {
    ntk_arch_kind arch;
    ntk_act act;
    double act_mult;       /* activation multiplier c: x = c * phi(h) (Littwin: sqrt 2) */
    ntk_param_kind param;
    double sigma_w, sigma_b; /* hidden weight / bias std                               */
    double sigma_v, sigma_a; /* branch output weight / bias std (FRN, RESNET)          */
    double sigma_in, sigma_in_b; /* stem weight / bias std                            */
    double sigma_out, sigma_out_b; /* readout weight / bias std                       */
    ntk_alpha alpha;       /* branch scale schedule                                   */
    int m;                 /* branch depth (LITTWIN: number of matrices per branch)  */
    int d;                 /* input dimension (sim); theory uses only the Gram K0    */
    ntk_stem_kind stem;    /* FF only                                                 */
    int positions;         /* CNN1D: spatial positions M per channel (ignored otherwise) */
    int kernel_half;       /* CNN1D: filter half-width q, filter size 2q+1 <= M          */
    ntk_readout_kind readout; /* CNN1D: dense (default) or conv readout               */
    unsigned trained;      /* bitmask of NTK_GROUP_BIT(g)                             */
    long depth;            /* number of blocks                                        */
} ntk_model;

/* ------------------------------------------------------------------ programs */
typedef enum {
    NTK_OP_LINEAR = 0, /* dst = (w/sqrt(fan_in)) W src + b beta                       */
    NTK_OP_ACT,        /* dst = mult * phi(src)                                        */
    NTK_OP_ADD,        /* dst = s1 * src + s2 * src2   (src, src2 independent branches) */
    NTK_OP_DENSECAT,   /* DenseNet: dst = sqrt(w^2/l) sum_{h<l} W_h hist(src)[h] / sqrt(n) */
    NTK_OP_CONV,       /* circular convolution over the program's positions (see below)  */
    NTK_OP_FLATTEN     /* dense layer over all channels and positions (see below)          */
} ntk_op_kind;

/* Spatial ops (programs with positions M > 1; every register then has M positions per channel,
 * indices mod M):
 *   CONV    dst_{c,a} = (w / sqrt(fan_in (2h+1))) sum_{c'} sum_{b=-h..h} W_{c,c',b} src_{c',a+b}
 *                       + b beta_c      (h = op.half; the bias is shared by the positions)
 *   FLATTEN dst_c     = (w / sqrt(fan_in M)) sum_{c'} sum_{a} W_{c,c',a} src_{c',a} + b beta_c
 *                       (dst has no positions; the theory engine replicates it over them)
 * Pointwise ops (ACT, ADD) act per position; LINEAR acts per position with weights shared by the
 * positions (a CONV with h = 0). */

/* Which per-block factor multiplies an op's scale (w and b of LINEAR, mult of ACT, s2 of ADD). */
typedef enum {
    NTK_SCALE_NONE = 0,
    NTK_SCALE_ALPHA,     /* x alpha_l        */
    NTK_SCALE_SQRT_ALPHA /* x sqrt(alpha_l)  */
} ntk_scale_kind;

/* Registers. X holds the input (width d); F the scalar output. Blocks use S (stream) and the
 * temporaries; the stream entering block 1 may be X itself (width d) when there is no stem. */
enum { NTK_REG_X = 0, NTK_REG_S, NTK_REG_H, NTK_REG_A, NTK_REG_B, NTK_REG_F, NTK_REG_COUNT };

typedef struct {
    ntk_op_kind kind;
    int dst, src, src2;
    double w, b;          /* LINEAR/DENSECAT weight multiplier and bias std           */
    double mult;          /* ACT multiplier                                            */
    double s1, s2;        /* ADD coefficients                                          */
    ntk_scale_kind scale; /* per-block factor                                          */
    int group_w, group_b; /* parameter groups of W and beta (-1: none)                 */
    int half;             /* CONV: kernel half-width h (filter size 2h + 1)             */
} ntk_op;

#define NTK_PROGRAM_MAX_OPS 32

/* Largest number of positions of a CNN1D model. */
#define NTK_MAX_POSITIONS 4096

/* A compiled model. Value type; the act is copied from the model. */
typedef struct {
    ntk_model model;
    ntk_op stem[NTK_PROGRAM_MAX_OPS];
    int n_stem;
    ntk_op block[NTK_PROGRAM_MAX_OPS];
    int n_block;
    ntk_op head[NTK_PROGRAM_MAX_OPS];
    int n_head;
    long first_block; /* index of the first block (1, or 2 for PRERESNET: y^1 is the stem) */
    int reg_q;        /* register whose kernel is reported as q/lambda (first pre-activation) */
    int reg_p;        /* register reported as p/gamma: the stream S                           */
    int needs_history;/* 1 if DENSECAT reads the history of a register (DenseNet)            */
    int hist_reg;     /* register whose per-layer values form the history                    */
    int positions;    /* spatial positions M of every register (1: none; CNN1D: model.positions) */
} ntk_program;

/* Fills *m with defaults: FF, relu, NTK parameterization, sigma_w = sqrt 2, sigma_b = 0,
 * sigma_v = 1, sigma_a = 0, sigma_in = sigma_out = 1, biases 0, alpha = const 1, m = 2, d = 2,
 * act_mult = 1, all groups trained, depth 1, positions = 1, kernel_half = 0, dense readout. */
void ntk_model_default(ntk_model *m);

/* Validates *m (positive depth, sigmas >= 0 and finite, supported activation/architecture
 * combinations, e.g. RRN needs an odd activation; CNN1D needs 1 <= positions <= NTK_MAX_POSITIONS,
 * kernel_half >= 0 with 2 kernel_half + 1 <= positions, and no stem). On failure returns
 * NTK_EINVAL/NTK_ENOTSUP with a message naming the offending parameter. */
int ntk_model_check(const ntk_model *m);

/* Compiles *m into *prog (caller storage). Returns 0, or the code of ntk_model_check(). */
int ntk_model_compile(const ntk_model *m, ntk_program *prog);

/* 1 if any stem, block or head op of *p has the given kind, else 0 (so an engine can refuse
 * programs it does not implement, e.g. NTK_OP_CONV). */
int ntk_program_has_op(const ntk_program *p, ntk_op_kind kind);

/* Branch scale alpha_l of block l in a network of depth L (NAN if a list is too short). */
double ntk_alpha_at(const ntk_alpha *a, long l, long L);
/* 1 if alpha_l depends on the total depth L (so per-depth recomputation is needed). */
int ntk_alpha_depends_on_depth(const ntk_alpha *a);

/* The effective multiplier of op's scale factor at block l (1 for NTK_SCALE_NONE). */
double ntk_op_factor(const ntk_op *op, const ntk_model *m, long l, long L);

/* Name lookups ("ff", "rrn", "frn", "resnet", "preresnet", "littwin", "densenet", "cnn1d"; groups
 * "input", "W", "b", "V", "a", "readout", "readout_b"; readouts "dense", "conv"). parse functions
 * return 0 or NTK_EINVAL. */
const char *ntk_arch_name(ntk_arch_kind a);
int ntk_arch_parse(const char *name, ntk_arch_kind *a);
const char *ntk_group_name(int g);
int ntk_group_parse(const char *name, int *g);
const char *ntk_readout_name(ntk_readout_kind r);
int ntk_readout_parse(const char *name, ntk_readout_kind *r);

#endif
