/* spec_private.h - internal representation of a parsed sweep, shared by the src/spec files. */
#ifndef NTKSWEEP_SPEC_PRIVATE_H
#define NTKSWEEP_SPEC_PRIVATE_H

#include "ntksweep/spec.h"

#include <stddef.h>

/* Parameter slots: every value a point is built from. Categorical slots hold an enum code. */
typedef enum {
    SP_ARCH = 0,
    SP_ACT,
    SP_PARAM,
    SP_STEM,
    SP_ALPHA_SCHEDULE,
    SP_SIGMA_W,
    SP_SIGMA_B,
    SP_SIGMA_V,
    SP_SIGMA_A,
    SP_SIGMA_IN,
    SP_SIGMA_IN_B,
    SP_SIGMA_OUT,
    SP_SIGMA_OUT_B,
    SP_ALPHA,
    SP_GAMMA,
    SP_RELU_ALPHA,
    SP_ACT_MULT,
    SP_M,
    SP_D,
    SP_DEPTH,
    SP_WIDTH,
    SP_POSITIONS,   /* cnn1d: positions M (fixed: it sets the number k M of virtual inputs) */
    SP_KERNEL_HALF, /* cnn1d: filter half-width q                                          */
    SP_READOUT,     /* cnn1d: readout dense | conv (categorical)                           */
    SP_ANGLE,
    SP_RHO,
    SP_Q0,
    SP_COUNT
} spec_slot;

/* Value constraints of a parameter. */
typedef enum {
    SC_CATEGORY = 0, /* categorical string                  */
    SC_NONNEG,       /* finite, >= 0                        */
    SC_FINITE,       /* finite                              */
    SC_POSINT,       /* integer >= 1                        */
    SC_RELU_ALPHA,   /* finite, > 1/2                       */
    SC_POSITIVE,     /* finite, > 0                         */
    SC_UNIT,         /* finite, in [-1, 1]                  */
    SC_NATURAL       /* integer >= 0                        */
} spec_constraint;

/* One spelling of a parameter: "sigma_w" and "sigma_w2" (variance = 1) share a slot. */
typedef struct {
    const char *name;
    int slot;
    int variance;
    spec_constraint cons;
    const char *units;
    const char *description;
} spec_param;

const spec_param *spec_param_table(int *n);
const spec_param *spec_param_find(const char *name);
/* Names of the categories of a categorical slot, and lookup of a name (-1: unknown). */
int spec_category_count(int slot);
const char *spec_category_name(int slot, int code);
int spec_category_parse(int slot, const char *name);

/* ------------------------------------------------------------------ expressions */
typedef enum {
    EX_NUM = 0,
    EX_VAR,
    EX_NEG,
    EX_ADD,
    EX_SUB,
    EX_MUL,
    EX_DIV,
    EX_POW,
    EX_SQRT,
    EX_LOG,
    EX_EXP,
    EX_ABS,
    EX_FLOOR,
    EX_CEIL,
    EX_ROUND,
    EX_EOC,
    EX_MIN,
    EX_MAX
} spec_opcode;

typedef struct {
    spec_opcode op;
    double num; /* EX_NUM */
    int slot;   /* EX_VAR: variable slot */
    int square; /* EX_VAR: the name is a variance spelling (value squared) */
} spec_ins;

typedef struct {
    spec_ins *code;
    int n;
    int depth; /* evaluation stack depth needed */
} spec_expr;

/* Resolves a name to a variable slot; returns 0, or -1 if unknown (then the parser reports it),
 * or -2 if the name exists but cannot be used in an expression (message in msg). */
typedef int (*spec_resolver)(void *ctx, const char *name, int *slot, int *square, char *msg,
                             size_t msgsz);

/* Compiles text into *e (owned; release with spec_expr_free). On failure returns -1 and writes
 * a message and the 0-based character offset of the problem. */
int spec_expr_compile(const char *text, spec_resolver res, void *ctx, spec_expr *e, char *msg,
                      size_t msgsz, int *errpos);
void spec_expr_free(spec_expr *e);
/* Evaluates with variable values vals[slot] (act info for eoc() from SP_ACT, SP_RELU_ALPHA,
 * SP_ACT_MULT). */
double spec_expr_eval(const spec_expr *e, const double *vals);
/* 1 if the expression reads slot. */
int spec_expr_uses(const spec_expr *e, int slot);

/* ------------------------------------------------------------------ the sweep */
typedef struct {
    int line, col; /* 1-based */
} spec_mark;

typedef struct {
    char *name;      /* as written */
    int slot;        /* variable slot (parameter or free variable) */
    int variance;    /* values are variances */
    int categorical; /* codes/labels instead of numbers */
    double *values;  /* n values as written (numeric) */
    int *codes;      /* n category codes (categorical) */
    char **labels;   /* n labels (categorical) */
    long n;          /* number of values (labels allocated) */
    const char *units, *description;
    int integer;
} spec_member;

typedef struct {
    char *name, *units, *description;
    long n;
    int zip;       /* zipped axis (labels + members) */
    char **labels; /* zip labels */
    spec_member *members;
    int n_members;
    int input_axis; /* varies angle, rho or q0 */
    spec_mark mark;
} spec_axis;

typedef struct {
    char *name; /* target as written */
    int slot;
    int variance;
    char *text;
    spec_expr expr;
    spec_mark mark;
} spec_derived;

/* Input modes. PAIR..GRAM give the k_r x k_r Gram of the real inputs (for cnn1d replicated over
 * the positions: spatially constant signals); SIGNALS and COSINE give spatial signals of
 * d channels x M positions whose per-position Gram is the (k_r M) x (k_r M) virtual Gram. */
typedef enum { IN_PAIR = 0, IN_ANGLES, IN_CIRCLE, IN_GRAM, IN_SIGNALS, IN_COSINE } spec_input_mode;

typedef struct {
    char *name;
    spec_mark mark;
} spec_qname;

struct ntk_sweep {
    char *filename;
    char *text;
    size_t text_len;
    uint64_t hash;
    char *name, *description;
    uint64_t seed;

    /* Base values: defaults overridden by fixed model values. */
    int nslots;        /* SP_COUNT + number of free variables */
    double *base;      /* nslots values */
    char **slot_names; /* names of free variables (index slot - SP_COUNT) */
    int src[SP_COUNT]; /* 0 default, 1 fixed, 2 axis, 3 derived */
    int src_variance[SP_COUNT];
    double written[SP_COUNT]; /* fixed values as written (variances for sigma_*2) */
    unsigned trained;
    double *alpha_list;
    long n_alpha_list;

    spec_axis *axes;
    int naxes;
    long npoints;
    spec_derived *derived; /* in evaluation order */
    int nderived;

    /* Inputs: kr real inputs; k = kr * positions virtual inputs (cnn1d: virtual input i*M + a is
     * input i at position a; otherwise positions = 1 and k = kr). n_incfg Gram matrices (one per
     * combination of the input axes), each k*k. */
    spec_input_mode in_mode;
    int kr;               /* real inputs                                                   */
    int positions;        /* M (model.positions, default 1)                                */
    int k;                /* virtual inputs kr * positions: the k of every point           */
    double *in_angles;    /* kr angles (pair, angles, circle) */
    double *in_norms;     /* kr norms */
    int norms_list;       /* inputs.norms was a list (else every norm is the q0 slot) */
    double *in_gram;      /* explicit gram (IN_GRAM), kr*kr */
    double *in_signals;   /* IN_SIGNALS: x[(i*in_d + c)*M + a], kr*in_d*M values            */
    int in_d;             /* IN_SIGNALS: channels per signal                                */
    double *in_freq;      /* IN_COSINE: kr frequencies (cycles per M positions)             */
    double *in_phase;     /* IN_COSINE: kr phases (radians)                                 */
    int cnn_any, cnn_all; /* some / every grid point is cnn1d                            */
    int in_rank;
    long n_incfg;
    double *grams;       /* n_incfg * k * k */
    uint64_t *gram_hash; /* n_incfg */

    int theory, sim;
    spec_qname *tq, *sq; /* selected quantity names (NULL count 0 = all) */
    int ntq, nsq, tq_all, sq_all;
    long samples, chunk, keep_samples;
    ntk_engine_kind engine;
    ntk_output_opts out;
    char *out_path;
    int d_given;

    /* Results of validation. */
    long max_depth, max_width;
    double max_point_bytes, archive_bytes;
    spec_mark grid_mark, model_mark;
};

/* 1 if v satisfies the constraint. */
int spec_check_value(spec_constraint cons, double v);
/* FNV-1a over doubles written as IEEE-754 binary64 little-endian bytes (-0 as +0). */
uint64_t spec_hash_doubles(uint64_t h, const double *v, long n);

/* Builds point idx (no validation beyond what is needed to fill it). Returns 0 or NTK_ESPEC with
 * a message naming the point. */
int spec_point_build(const ntk_sweep *s, long idx, ntk_point *pt);
/* "(act=tanh, depth=10)" description of point idx into buf. */
void spec_point_label(const ntk_sweep *s, long idx, char *buf, size_t n);
/* Per-point result bytes in the archive. */
double spec_point_archive_bytes(const ntk_sweep *s);

#endif
