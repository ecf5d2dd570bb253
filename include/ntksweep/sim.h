/* sim.h - the finite-width Monte-Carlo engine: samples random networks of an ntk_program.
 *
 * One sample draws a network of the program's architecture at width n (all hidden registers have
 * n units, the input register X has model.d units), pushes k input vectors forward, backpropagates
 * from the scalar output f (unit 0 of register F), and writes one flat record of doubles: the
 * forward statistics of every layer l = 0..depth (row l = the stream after block l, as in the
 * theory engine; rows before the stem's row are NaN), the gradient statistics and the empirical NTK
 * of the full-depth network. Records of any set of samples, computed on any rank in any order,
 * are combined by ntk_sim_stats() in sample order (bitwise reproducible).
 *
 * Engines (docs/simulator.md derives both):
 *   NTK_SIM_DENSE        explicit N(0,1) weight matrices (drawn in row blocks from the
 * counter-based RNG, redrawn for the backward pass), OpenBLAS dgemm; cost O(n^2 k) per matrix. The
 * reference. NTK_SIM_CONDITIONAL  exact in distribution without forming a matrix: every weight
 * matrix W is used once forward (W X) and once backward (W^T Delta); W X is drawn from its Gaussian
 * law and W^T Delta from its law conditional on W X. Cost O(n k^2) per matrix, memory O(n k).
 *   NTK_SIM_AUTO         conditional when 4 k <= n, else dense.
 * The two engines give different numbers for the same key (they are different samplers of the
 * same law); each is deterministic.
 *
 * Determinism: a record is a function of (program, width, engine, X, seed, point_key, sample)
 * only. ntksweep uses one BLAS thread (ntk_sim_alloc calls openblas_set_num_threads(1)); with
 * several threads OpenBLAS may change the summation order between runs.
 *
 * Conventions of the record (see NTK_SIM_QTY_MAP): pair quantities are over i <= j in the order
 * of quantity.h; K of a register is (1/width) sum_u z_u(x_i) z_u(x_j); pi is the total
 * <df/dx^l(x_i), df/dx^l(x_j)> over the units of the stream (the theory's Pi); chi is its diagonal
 * relative to the full depth, per sample. chi_group (theory.h's convention) is, averaged over the
 * group's weight matrices in block l, |df/d dst|^2 |src|^2 / fan_in / |df/dx^depth|^2: for an
 * n x n matrix exactly the mean over its entries of (df/dW~_uv)^2 with respect to the scaled weight
 * W~ = s W (standard parameterization), divided by the per-unit |df/dx^depth|^2 / n (Yang &
 * Schoenholz's chi_w with chi^L = 1); where the block has no weight matrix of the group, the same
 * for its biases, |df/d dst|^2 / |df/dx^depth|^2; NaN where it has neither. The NTK sums
 * <df(x_i)/dtheta, df(x_j)/dtheta> over the trained groups (model.trained; 0 for the others); for
 * dst = s W src + b beta a weight matrix contributes s^2 (delta_i.delta_j)(src_i.src_j) (NTK
 * parameterization; (delta_i.delta_j)(src_i.src_j) under NTK_PARAM_STANDARD) and a bias
 * b^2 (delta_i.delta_j). Rows: stem parameters count in the stem's row, head parameters in row
 * depth.
 *
 * Spatial programs (prog->positions = M > 1, or CONV/FLATTEN ops; cnn1d) run on k = kr*M virtual
 * inputs as in theory.h: column i*M + a of X (and of every register) is input i at position a,
 * so X is d channels x kM (ntk_sim_inputs_from_gram with the virtual Gram of
 * ntk_theory_cnn_gram builds one). CONV/FLATTEN are a LINEAR on the im2col matrix of their
 * source. The output of input i is read at column i*M: its NTK terms sum over the positions of
 * both inputs and sit at the readout pair (iM, jM); forward pair quantities, pi, grad_corr, f and
 * nngp are position-resolved at every virtual pair; chi is relative to the position mean at the
 * model depth; ntk_layer and chi_group are at the readout pairs/inputs only (NaN elsewhere); ntk,
 * ntk_group, ntk_norm are copied to every virtual pair of an input pair for a FLATTEN (dense)
 * readout and NaN off the readout pairs for a conv readout (docs/simulator.md 8). The same
 * entries estimate the theory's quantities of kM inputs.
 */
#ifndef NTKSWEEP_SIM_H
#define NTKSWEEP_SIM_H

#include "ntksweep/model.h"
#include "ntksweep/quantity.h"

#include <stddef.h>
#include <stdint.h>

typedef enum { NTK_SIM_AUTO = 0, NTK_SIM_DENSE, NTK_SIM_CONDITIONAL } ntk_sim_engine;

/* Largest number of inputs per sample. */
#define NTK_SIM_MAX_K 64

/* Per-sample record quantities: id, name, paper symbol, units, description, dims. Names match
 * the theory table (theory.h) where the meaning matches; ntk, nngp, ntk_norm, ntk_group are for
 * the full depth only (no layer dimension). */
#define NTK_SIM_QTY_MAP(X)                                                                         \
    X(Q, "q", "q^l, lambda^l", "variance",                                                         \
      "empirical covariance (1/n) h(x_i).h(x_j) of the first pre-activation of block l",           \
      NTK_DIM_LAYER | NTK_DIM_PAIR)                                                                \
    X(C, "c", "c^l", "1", "empirical correlation of the pre-activation",                           \
      NTK_DIM_LAYER | NTK_DIM_PAIR)                                                                \
    X(P, "p", "p^l, gamma^l", "variance",                                                          \
      "empirical covariance (1/n) x(x_i).x(x_j) of the stream after block l",                      \
      NTK_DIM_LAYER | NTK_DIM_PAIR)                                                                \
    X(E, "e", "e^l", "1", "empirical correlation of the stream", NTK_DIM_LAYER | NTK_DIM_PAIR)     \
    X(S, "s", "s^l", "variance", "empirical metric expressivity (p + p')/2 - gamma",               \
      NTK_DIM_LAYER | NTK_DIM_PAIR)                                                                \
    X(KDOT, "kdot", "Kdot^l", "1",                                                                 \
      "empirical derivative kernel (1/n) sum_u mult^2 phi'(h_u(x_i)) phi'(h_u(x_j)) at the first " \
      "activation of block l",                                                                     \
      NTK_DIM_LAYER | NTK_DIM_PAIR)                                                                \
    X(PI, "pi", "Pi^l", "1",                                                                       \
      "stream gradient inner product <df/dx^l(x_i), df/dx^l(x_j)> summed over units (full depth)", \
      NTK_DIM_LAYER | NTK_DIM_PAIR)                                                                \
    X(CHI, "chi", "chi^l", "1", "|df/dx^l|^2 / |df/dx^depth|^2 of one sample",                     \
      NTK_DIM_LAYER | NTK_DIM_INPUT)                                                               \
    X(GRAD_CORR, "grad_corr", "Pi(x,x')/sqrt(Pi(x,x)Pi(x',x'))", "1",                              \
      "correlation of the stream gradients of two inputs", NTK_DIM_LAYER | NTK_DIM_PAIR)           \
    X(CHI_GROUP, "chi_group", "chi_w, chi_b, chi_v, chi_a", "1",                                   \
      "per-entry squared gradient of each parameter group in block l (standard "                   \
      "parameterization), relative to the per-unit stream gradient at full depth",                 \
      NTK_DIM_LAYER | NTK_DIM_GROUP | NTK_DIM_INPUT)                                               \
    X(F, "f", "f(x)", "1", "network output", NTK_DIM_INPUT)                                        \
    X(NNGP, "nngp", "f(x) f(x')", "variance", "empirical GP kernel f(x_i) f(x_j)", NTK_DIM_PAIR)   \
    X(NTK, "ntk", "G(x,x'), Theta_hat", "variance",                                                \
      "empirical NTK <df(x_i)/dtheta, df(x_j)/dtheta> over the trained groups", NTK_DIM_PAIR)      \
    X(NTK_NORM, "ntk_norm", "G(x,x')/sqrt(G(x,x)G(x',x'))", "1", "normalized empirical NTK",       \
      NTK_DIM_PAIR)                                                                                \
    X(NTK_GROUP, "ntk_group", "G_g", "variance",                                                   \
      "contribution of each parameter group to the empirical NTK (0 for untrained groups)",        \
      NTK_DIM_GROUP | NTK_DIM_PAIR)                                                                \
    X(NTK_LAYER, "ntk_layer", "G_{l,g}", "variance",                                               \
      "contribution of block l's parameters of each group to the empirical NTK",                   \
      NTK_DIM_LAYER | NTK_DIM_GROUP | NTK_DIM_PAIR)

typedef enum {
#define NTK_SIM_QTY_ENUM_(id, name, sym, units, desc, dims) NTK_SQ_##id,
    NTK_SIM_QTY_MAP(NTK_SIM_QTY_ENUM_)
#undef NTK_SIM_QTY_ENUM_
        NTK_SQ_COUNT
} ntk_sim_qty;

/* Static description of the record quantities (NTK_SQ_COUNT entries, dims WITHOUT the stat dim). */
const ntk_qty_desc *ntk_sim_qty_table(void);

/* Where each quantity sits in a record: record[offset[q] + index], index row-major over the
 * quantity's dims ([layer][group][pair-or-input]). */
typedef struct {
    ntk_qty_shape shape; /* n_stat = 1 */
    size_t offset[NTK_SQ_COUNT];
    size_t size[NTK_SQ_COUNT];
    size_t record_size; /* doubles per sample */
} ntk_sim_layout;

void ntk_sim_layout_init(ntk_sim_layout *lay, long depth, int k);

/* ------------------------------------------------------------------ sampling */
typedef struct ntk_sim ntk_sim;

typedef struct {
    ntk_sim_engine engine;
    /* Bytes the stored activations of one sample may use (0: 4 GiB). Beyond it the forward pass
     * keeps checkpoints of the stream at the starts of segments of blocks and recomputes all
     * segments but the last during the backward pass (same numbers, up to one more forward pass
     * of cost). Only extreme widths reach it (ResNet, k = 2: 48 MB per block at n = 10^6). */
    size_t mem_limit;
} ntk_sim_opts;

/* Allocates the workspaces of one (program, width, k): everything a sample needs, so that the
 * sample loop never allocates. The program is copied. NULL on failure with a message naming the
 * parameter (bad width/k, register width mismatch such as rrn/frn with d != n, out of memory;
 * spatial programs: k not a multiple of the positions M, k = kr*M > NTK_SIM_MAX_K, a convolution
 * wider than the positions, history ops). Sets OpenBLAS to one thread. */
ntk_sim *ntk_sim_alloc(const ntk_program *prog, long width, int k, ntk_sim_engine engine);
ntk_sim *ntk_sim_alloc_opts(const ntk_program *prog, long width, int k, const ntk_sim_opts *opts);
void ntk_sim_free(ntk_sim *s); /* NULL is a no-op */

/* The engine actually used (AUTO resolved) and the record layout. */
ntk_sim_engine ntk_sim_engine_of(const ntk_sim *s);
const ntk_sim_layout *ntk_sim_layout_of(const ntk_sim *s);
const char *ntk_sim_engine_name(ntk_sim_engine e);
int ntk_sim_engine_parse(const char *name, ntk_sim_engine *e); /* "auto", "dense", "conditional" */

/* Estimated floating-point work of one sample (arbitrary units, comparable across points and
 * engines), for cost ordering. */
double ntk_sim_cost(const ntk_program *prog, long width, int k, ntk_sim_engine engine);

/* Draws sample number `sample` of grid point (seed, point_key) and writes its record into out
 * (record_size doubles). X holds the k inputs as a d x k row-major matrix: X[i * k + j] is
 * coordinate i of input j (d = prog->model.d). Returns the number of non-finite values in the
 * record (0 for a clean sample; overflow is data, not an error), or a negative error code
 * (NTK_EINVAL: sample >= 2^32 or X NULL). */
int ntk_sim_sample(ntk_sim *s, const double *X, uint64_t seed, uint64_t point_key, uint64_t sample,
                   double *out);

/* Builds k deterministic input vectors in R^d with per-coordinate Gram matrix
 * x_i.x_j / d = gram[i * k + j] (symmetric PSD), spread over all coordinates: X = B F^T with F a
 * pivoted-Cholesky factor of gram and B orthogonal columns of +-1 (Walsh-Hadamard, d a power of 2)
 * or of sqrt(2) cos (DCT-II, other d), scaled to squared norm d. X is d x k row-major as above.
 * Returns 0, or NTK_EINVAL if gram is not PSD or its rank exceeds d. */
int ntk_sim_inputs_from_gram(int k, const double *gram, int d, double *X);

/* ------------------------------------------------------------------ statistics */
/* Result quantities: every record quantity with NTK_DIM_STAT added (same index as NTK_SQ_*),
 * followed by the extras below. */
#define NTK_SIM_EXTRA_MAP(X)                                                                       \
    X(NTK_ETA, "ntk_eta", "eta = E[G^2]/E[G]^2", "1",                                              \
      "relative second moment of the empirical NTK (Littwin & Wolf eq. 29)", NTK_DIM_PAIR)         \
    X(NTK_ETA_SEM, "ntk_eta_sem", "se(eta)", "1", "standard error of ntk_eta (delta method)",      \
      NTK_DIM_PAIR)                                                                                \
    X(N_NONFINITE, "n_nonfinite", "n_nonfinite", "1",                                              \
      "number of samples with at least one non-finite value", 0u)

typedef enum {
    NTK_SR_FIRST_EXTRA_ = NTK_SQ_COUNT - 1,
#define NTK_SIM_EXTRA_ENUM_(id, name, sym, units, desc, dims) NTK_SR_##id,
    NTK_SIM_EXTRA_MAP(NTK_SIM_EXTRA_ENUM_)
#undef NTK_SIM_EXTRA_ENUM_
        NTK_SR_COUNT
} ntk_sim_result_qty;

/* Description of the result quantities (NTK_SR_COUNT entries, final dims including STAT). */
const ntk_qty_desc *ntk_sim_result_qty_table(void);

typedef struct {
    ntk_qty_shape shape; /* n_stat = NTK_STAT_COUNT */
    ntk_sim_layout layout;
    double *data[NTK_SR_COUNT];
    long nsamples;
} ntk_sim_result;

ntk_sim_result *ntk_sim_result_alloc(long depth, int k);
void ntk_sim_result_free(ntk_sim_result *r);

/* Statistics of nsamples records (records[s * record_size ...], in sample order) for every entry
 * of every quantity: mean, std (n-1), sem, quartiles (linear interpolation between order
 * statistics, numpy's default), n_finite, over the finite values of that entry only; plus the
 * NTK's eta with its delta-method standard error. Deterministic: the same records in the same
 * order give the same bits however they were computed. Returns 0, NTK_EINVAL or NTK_ENOMEM. */
int ntk_sim_stats(const ntk_program *prog, int k, long nsamples, const double *records,
                  ntk_sim_result *res);

/* Pointer to entry [layer][group][stat][idx] of result quantity q (absent dims ignored). */
double *ntk_sim_result_at(ntk_sim_result *r, int q, long layer, int group, int stat, int idx);

/* Record entry [layer][group][idx] of quantity q in one record. */
double *ntk_sim_record_at(const ntk_sim_layout *lay, double *record, int q, long layer, int group,
                          int idx);

#endif
