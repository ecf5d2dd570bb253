/* sim_priv.h - internals shared by the simulator's interpreter (sim.c) and its engines
 * (sim_dense.c, sim_cond.c) and small dense linear algebra (sim_small.c).
 *
 * Storage convention: a register value for k inputs is a width x k row-major matrix, unit-major:
 * z[u * k + j] is unit u of input j. Register gradients use the same layout.
 */
#ifndef NTKSWEEP_SIM_PRIV_H
#define NTKSWEEP_SIM_PRIV_H

#include "ntksweep/rng.h"
#include "ntksweep/sim.h"

#include <stddef.h>

enum { SEC_STEM = 0, SEC_BLOCK, SEC_HEAD };

/* Widths and tape slice of one op of a section. */
typedef struct {
    long fan_in; /* width of src (LINEAR/ACT/ADD/CONV/FLATTEN), of each history entry (DENSECAT) */
    long n_out;  /* width of dst */
    size_t tape_off; /* doubles into the tape slot of its section instance */
    size_t tape_len;
    int taps;     /* CONV/FLATTEN: source positions per output position (2h+1, or M); else 1 */
    long fan_exp; /* CONV/FLATTEN: rows of the im2col matrix, fan_in * taps; else fan_in */
} ntk_opdim;

/* Per-instance small data of a LINEAR (conditional and dense): Gram of src, R factor of src
 * (conditional), rank. Per history slot (DenseNet): the same for the stored entry. */
typedef struct {
    double *gram; /* k x k */
    double *R;    /* k x k, rows < rank used */
    int rank;
} ntk_smalldat;

struct ntk_sim {
    ntk_program prog;
    ntk_sim_engine engine;
    long n, depth, first, nblocks;
    int k, d, npair;
    ntk_sim_layout lay;
    /* spatial programs (positions or CONV/FLATTEN ops): the k columns are kr inputs x M positions,
     * column i*M + a = input i at position a; the output of input i is read at column i*M */
    int spatial, M, kr;
    int out_const; /* 1 if the output is the same at every position (FLATTEN readout)       */
    long maxexp;   /* largest im2col height of a CONV/FLATTEN op (0: none)                  */
    double *xbuf;  /* im2col matrix of the current CONV/FLATTEN source, maxexp x k           */
    double *dxbuf; /* its gradient, maxexp x k                                               */

    ntk_opdim stem_dim[NTK_PROGRAM_MAX_OPS], head_dim[NTK_PROGRAM_MAX_OPS];
    ntk_opdim blk_dim[2][NTK_PROGRAM_MAX_OPS]; /* [0]: first block, [1]: later blocks */
    long w_after_stem[NTK_REG_COUNT], w_after_blk[2][NTK_REG_COUNT];
    int p_last_write[3]; /* per section: last op writing reg_p, or -1 */
    long maxw;           /* largest register width */

    /* registers and gradients (maxw x k each; reg[X] points to the caller's input) */
    double *regbuf[NTK_REG_COUNT];
    const double *reg[NTK_REG_COUNT];
    double *dreg[NTK_REG_COUNT];
    int glive[NTK_REG_COUNT]; /* 0: gradient is logically zero (buffer content stale) */
    long curw[NTK_REG_COUNT];
    /* Gram matrices of register values and gradients, valid while the version matches */
    unsigned long ver[NTK_REG_COUNT], dver[NTK_REG_COUNT]; /* bumped at every write */
    unsigned long gc_ver[NTK_REG_COUNT], dgc_ver[NTK_REG_COUNT];
    double gc[NTK_REG_COUNT][NTK_SIM_MAX_K * NTK_SIM_MAX_K];
    double dgc[NTK_REG_COUNT][NTK_SIM_MAX_K * NTK_SIM_MAX_K];
    double *scratch; /* max(maxw, maxexp) x k */
    double *chunk;   /* normals chunk: NTK_SIM_CHUNK x max(k, maxw) */
    double *wbuf;    /* dense: a block of weight rows (each max(maxw, maxexp) long) */
    long wrows;      /* rows per weight block */

    /* tape: per block slot, and for stem and head */
    size_t tape_stride; /* doubles per block slot */
    long tape_cap;      /* block slots */
    double *tape, *stem_tape, *head_tape;
    /* checkpoints of the live-in registers at segment starts */
    int live[NTK_REG_COUNT], nlive;
    long seg_len, nseg, seg_off; /* segments end-aligned: the first is seg_off blocks short */
    double *ckpt;

    /* per-instance small data: index inst_index(section, slot, pos) */
    double *smallbuf;
    int *rankbuf;
    size_t ninst;

    /* history (DenseNet): slots 0..depth (slot = record row) */
    double *hist, *dhist;
    int *hlive;
    double *hsmall;
    int *hrank;

    /* per-sample accumulators */
    double *cg_cnt; /* [row][group][weight|bias] number of tensors, for chi_group */
    double *cg_sum; /* [row][group][weight|bias][input] sums of Pi_dst K_src (see add_param) */

    ntk_rng_key key;
    uint32_t sample;
};

#define NTK_SIM_MEM_LIMIT_DEFAULT ((size_t)4 << 30) /* ntk_sim_opts.mem_limit = 0 */
#define NTK_SIM_CHUNK             256               /* rows of normals generated per call */
#define NTK_SIM_ACT_CHUNK         1024 /* rows per pass of the fused elementwise loops (multiple of 4) */

/* Stream of op (slot, pos), purpose and matrix index h. */
static inline ntk_rng_stream ntk_sim_stream(const struct ntk_sim *s, long slot, int pos,
                                            int purpose, long h)
{
    ntk_rng_stream st;
    st.key = s->key;
    st.sample = s->sample;
    st.op = ntk_rng_op_id(slot, pos);
    st.sub = ntk_rng_sub(purpose, h);
    return st;
}

/* Number of non-finite values of a record among the quantities that involve no division. For a
 * spatial program (M positions; M = 1 otherwise) the NTK quantities count at the readout pairs
 * (iM, jM) only (elsewhere they are NaN by construction or copies). */
long ntk_sim_record_nonfinite(const ntk_sim_layout *lay, long first, int M, const double *rec);

/* ------------------------------------------------------------------ small linear algebra */
/* G = A^T A for A n x k row-major; G full k x k. */
void ntk_sim_gram(long n, int k, const double *A, double *G);
/* The same accumulated over consecutive chunks of rows (every chunk but the last a multiple of 4
 * rows): gives the same bits as ntk_sim_gram on the whole array. */
typedef struct {
    int k;
    long rows;
    double lane[4][3];                                   /* k == 2 */
    double tri[NTK_SIM_MAX_K * (NTK_SIM_MAX_K + 1) / 2]; /* other k, packed i <= j */
} ntk_gram_acc;
void ntk_gram_acc_init(ntk_gram_acc *acc, int k);
void ntk_gram_acc_add(ntk_gram_acc *acc, long n, const double *A);
void ntk_gram_acc_finish(const ntk_gram_acc *acc, double *G);
/* Pivoted Cholesky of the k x k PSD matrix G: returns the rank r and R (k x k row-major, rows
 * < r) with G[i][j] ~ sum_{a<r} R[a][i] R[a][j], R[a][piv[b]] = 0 for b < a. A column is
 * dropped once its residual diagonal is <= tol * G[j][j] (tol relative to its own norm). */
int ntk_sim_pchol(int k, const double *G, double tol, double *R, int *piv);
/* Orthonormal basis of the columns of X (n x k): V (n x k row-major, first r columns) and R
 * (rows < r) with X ~ V R, from the Gram G = X^T X (CholeskyQR2 with pivoting; see
 * docs/simulator.md). Returns r. */
int ntk_sim_qr(long n, int k, const double *X, const double *G, double *V, double *R);

/* Relative tolerance of the rank decisions (squared residual / squared column norm). */
#define NTK_SIM_RANK_TOL 1e-13

/* ------------------------------------------------------------------ engines */
/* Forward of a LINEAR: dst = s W src + b beta (b = 0: no bias). sd->gram holds the Gram of src
 * on entry; the conditional engine fills V (tape), sd->R and sd->rank. */
void ntk_simd_linear_fwd(struct ntk_sim *s, long slot, int pos, long fan_in, long n_out, double sc,
                         double b, const double *src, double *dst, ntk_smalldat *sd);
void ntk_simc_linear_fwd(struct ntk_sim *s, long slot, int pos, long fan_in, long n_out, double sc,
                         double b, const double *src, double *dst, double *V, ntk_smalldat *sd);
/* Backward: given D = df/d dst (n_out x k) writes GD = D^T D (k x k) and, if dsrc != NULL,
 * dsrc (+)= s W^T D (accumulate if *dlive, else overwrite; sets *dlive). The conditional engine
 * also writes the Gram of the new dsrc into Gsrc if it is not NULL. */
void ntk_simd_linear_bwd(struct ntk_sim *s, long slot, int pos, long fan_in, long n_out, double sc,
                         const double *D, double *GD, double *dsrc, int *dlive);
void ntk_simc_linear_bwd(struct ntk_sim *s, long slot, int pos, long fan_in, long n_out, double sc,
                         const double *D, double *GD, const double *V, const ntk_smalldat *sd,
                         double *dsrc, int *dlive, double *Gsrc);
/* History matrix h of a DENSECAT: forward dst (+)= sc W_h entry (acc: add), backward
 * dentry (+)= sc W_h^T D. For the conditional engine `entry` is the stored V_h. */
void ntk_simd_cat_fwd(struct ntk_sim *s, long slot, int pos, long h, long fan_in, long n_out,
                      double sc, const double *entry, double *dst, int acc);
void ntk_simc_cat_fwd(struct ntk_sim *s, long slot, int pos, long h, long fan_in, long n_out,
                      double sc, const ntk_smalldat *sd, double *dst, int acc);
void ntk_simd_cat_bwd(struct ntk_sim *s, long slot, int pos, long h, long fan_in, long n_out,
                      double sc, const double *D, double *dentry, int *dlive);
void ntk_simc_cat_bwd(struct ntk_sim *s, long slot, int pos, long h, long fan_in, long n_out,
                      double sc, const double *D, const double *GD, const double *V,
                      const ntk_smalldat *sd, double *dentry, int *dlive);

#endif
