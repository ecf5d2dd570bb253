/* theory.h - the infinite-width engine: mean-field and kernel recursions on an ntk_program.
 *
 * ntk_theory_run() interprets the program's ops on kernels of k inputs:
 *   forward  - per register the covariance K (k x k) and the NTK Theta split by parameter group;
 *              LINEAR: K' = w^2 K + b^2, Theta'_g = w^2 Theta_g (+ w^2 K for the op's trained W
 *              group, + b^2 for its trained bias group); ACT: K' = T(K), Theta'_g = Tdot(K) Theta_g;
 *              ADD: K' = s1^2 K1 + s2^2 K2 (the two summands are independent in the limit);
 *              DENSECAT: running sums over the history (Littwin eq. 14, 82).
 *              The head is applied after every block, so row l of nngp/ntk is the network of depth l.
 *   backward - gradient covariances Pi (k x k) under the gradient-independence assumption, run
 *              per block with unit output so that every depth L' <= depth is available from
 *              cumulative log factors; rows of chi/ntk_layer are reported for the model's depth.
 * Overflow: kernels carry a per-register log scale, so log_p, log_q, log_ntk stay finite where
 * p, q, ntk overflow to inf (those are recorded as inf, not errors).
 *
 * Depth conventions and the mapping of every quantity to the papers' symbols: docs/architectures.md.
 */
#ifndef NTKSWEEP_THEORY_H
#define NTKSWEEP_THEORY_H

#include "ntksweep/model.h"
#include "ntksweep/quantity.h"

/* Theory quantities: id, name, paper symbol, units, description, dims. */
#define NTK_THEORY_QTY_MAP(X)                                                                      \
    X(Q, "q", "q^l, lambda^l", "variance",                                                         \
      "covariance of the first pre-activation of block l (diagonal q, off-diagonal lambda)",      \
      NTK_DIM_LAYER | NTK_DIM_PAIR)                                                                \
    X(C, "c", "c^l", "1", "correlation lambda/sqrt(q q') of the pre-activation",                   \
      NTK_DIM_LAYER | NTK_DIM_PAIR)                                                                \
    X(P, "p", "p^l, gamma^l", "variance",                                                          \
      "covariance of the stream after block l (diagonal p, off-diagonal gamma)",                   \
      NTK_DIM_LAYER | NTK_DIM_PAIR)                                                                \
    X(E, "e", "e^l", "1", "correlation gamma/sqrt(p p') of the stream", NTK_DIM_LAYER | NTK_DIM_PAIR) \
    X(S, "s", "s^l", "variance", "metric expressivity (p + p')/2 - gamma",                         \
      NTK_DIM_LAYER | NTK_DIM_PAIR)                                                                \
    X(LOG_Q, "log_q", "log q^l", "log", "natural log of q (finite where q overflows)",             \
      NTK_DIM_LAYER | NTK_DIM_INPUT)                                                               \
    X(LOG_P, "log_p", "log p^l", "log", "natural log of p (finite where p overflows)",             \
      NTK_DIM_LAYER | NTK_DIM_INPUT)                                                               \
    X(KDOT, "kdot", "Kdot^l, V_phi'", "1",                                                         \
      "derivative kernel mult^2 E[phi'(u) phi'(v)] at the first activation of block l",            \
      NTK_DIM_LAYER | NTK_DIM_PAIR)                                                                \
    X(NNGP, "nngp", "K^l, Sigma^l", "variance", "NNGP kernel of the output f at depth l",           \
      NTK_DIM_LAYER | NTK_DIM_PAIR)                                                                \
    X(NTK, "ntk", "Theta^l", "variance", "NTK of the output f at depth l (trained groups only)",    \
      NTK_DIM_LAYER | NTK_DIM_PAIR)                                                                \
    X(NTK_NORM, "ntk_norm", "Theta(x,x')/sqrt(Theta(x,x)Theta(x',x'))", "1",                       \
      "normalized NTK (Tirer's Theta(gamma)/Theta(0) for equal-norm inputs)",                      \
      NTK_DIM_LAYER | NTK_DIM_PAIR)                                                                \
    X(NTK_AVG, "ntk_avg", "Theta^l / l", "variance",                                               \
      "NTK divided by the number of blocks (Huang's Omega_bar_L, Hayou's AK with L = l + 1)",      \
      NTK_DIM_LAYER | NTK_DIM_PAIR)                                                                \
    X(LOG_NTK, "log_ntk", "log Theta^l(x,x)", "log", "natural log of the NTK diagonal",            \
      NTK_DIM_LAYER | NTK_DIM_INPUT)                                                               \
    X(NTK_GROUP, "ntk_group", "Theta_g^l", "variance",                                             \
      "contribution of each parameter group to the NTK at depth l (0 for untrained groups)",       \
      NTK_DIM_LAYER | NTK_DIM_GROUP | NTK_DIM_PAIR)                                                \
    X(CHI, "chi", "chi^l", "1",                                                                    \
      "gradient second moment E|df/dx^l|^2 relative to the output layer (chi^L = 1) at the model " \
      "depth", NTK_DIM_LAYER | NTK_DIM_INPUT)                                                      \
    X(LOG_CHI, "log_chi", "log chi^l", "log", "natural log of chi (log chi(l)/chi(L))",            \
      NTK_DIM_LAYER | NTK_DIM_INPUT)                                                               \
    X(GRAD_CORR, "grad_corr", "Pi(x,x')/sqrt(Pi(x,x)Pi(x',x'))", "1",                              \
      "correlation of the stream gradients of two inputs", NTK_DIM_LAYER | NTK_DIM_PAIR)           \
    X(CHI_GROUP, "chi_group", "chi_w, chi_b, chi_v, chi_a", "1",                                   \
      "per-entry squared gradient of each parameter group in block l, relative to chi^L = 1 "      \
      "(standard-parameterization convention of Yang & Schoenholz)",                              \
      NTK_DIM_LAYER | NTK_DIM_GROUP | NTK_DIM_INPUT)                                               \
    X(NTK_LAYER, "ntk_layer", "Theta_{l,g}", "variance",                                           \
      "contribution of block l's parameters of each group to the NTK at the model depth",          \
      NTK_DIM_LAYER | NTK_DIM_GROUP | NTK_DIM_PAIR)

typedef enum {
#define NTK_THEORY_QTY_ENUM_(id, name, sym, units, desc, dims) NTK_TQ_##id,
    NTK_THEORY_QTY_MAP(NTK_THEORY_QTY_ENUM_)
#undef NTK_THEORY_QTY_ENUM_
        NTK_TQ_COUNT
} ntk_theory_qty;

/* The static description table (NTK_TQ_COUNT entries, indexed by ntk_theory_qty). */
const ntk_qty_desc *ntk_theory_qty_table(void);

/* Inputs: k points given by their per-coordinate Gram matrix gram[i*k + j] = x_i . x_j / d.
 *
 * Spatial programs (prog->positions = M > 1, e.g. cnn1d; or programs with CONV/FLATTEN ops) run
 * on k = kr * M "virtual inputs": virtual input u = i*M + a is real input i (a signal of d
 * channels x M positions) at position a, and gram is the (kr M) x (kr M) per-position Gram
 *     gram[(i*M + a) * k + j*M + a'] = (1/d) sum_{c=1..d} x_i[c][a] x_j[c][a']
 * (build it with ntk_theory_cnn_gram). Block 1's convolution turns it into Hayou's
 * Sigma^1_{a,a'} = sigma_b^2 + sigma_w^2 [x,x']_{a,a'} / (d (2q+1)). Every register's kernel is
 * then (kM) x (kM) and every pair quantity is position-resolved: q at virtual pair
 * (iM + a, jM + a') is Sigma^l_{a,a'}(x_i, x_j). The output f of a dense (FLATTEN) readout is the
 * same at every position; a conv readout gives f_a, Hayou's y^L_{1,a}. Output quantities of input
 * pair (i, j) are read at the virtual pair (iM, jM) (for a conv readout: positions 0 and 0).
 * Backward quantities are those of the output at that readout pair: chi and log_chi at every
 * virtual input (gradient second moment at position a relative to the position mean at the model
 * depth), grad_corr at every virtual pair (0 at different positions), ntk_layer only at the
 * readout pairs (iM, jM) and chi_group only at the readout inputs iM (NaN elsewhere); outside the
 * receptive field of a conv readout chi = 0, log_chi = -inf, grad_corr = NaN (not counted in
 * n_nonfinite). docs/architectures.md 2.3 and 3.8 give the details. At most
 * NTK_THEORY_MAX_VIRTUAL virtual inputs; the cost is O(depth (kM)^2 (2q+1)) plus one Gaussian
 * expectation per virtual pair and layer. */
typedef struct {
    int k;
    const double *gram; /* borrowed, k*k, symmetric positive semi-definite */
} ntk_inputs;

#define NTK_THEORY_MAX_VIRTUAL 1024

/* The per-position Gram of kr signals for a spatial program: x holds signal i, channel c,
 * position a at x[(i*d + c)*M + a]; writes gram[(kr M)^2] as defined above. Returns 0 or
 * NTK_EINVAL (kr, d, M < 1, a non-finite entry, or kr*M > NTK_THEORY_MAX_VIRTUAL). */
int ntk_theory_cnn_gram(int kr, int d, int M, const double *x, double *gram);

/* The Gram of spatially constant signals (x_i[c][a] = x_i[c] for every a: Hayou's Assumption 1
 * holds and a cnn1d gives the ff numbers): gram[(iM+a)(kr M) + jM+a'] = g[i kr + j]. Returns 0 or
 * NTK_EINVAL (as above). */
int ntk_theory_gram_replicate(int kr, int M, const double *g, double *gram);

/* Result of one run: one contiguous array per quantity, shaped as quantity.h describes.
 * Allocated by ntk_theory_result_alloc(), released by ntk_theory_result_free(). */
typedef struct {
    ntk_qty_shape shape;
    double *data[NTK_TQ_COUNT];
    long n_nonfinite; /* number of non-finite values written (overflow is data, not an error) */
} ntk_theory_result;

/* Allocates a result for k inputs and the given depth (rows 0..depth); NULL on ENOMEM (with
 * message). The caller owns it and releases it with ntk_theory_result_free (NULL is a no-op). */
ntk_theory_result *ntk_theory_result_alloc(int k, long depth);
void ntk_theory_result_free(ntk_theory_result *r);

/* Runs the recursions of *prog (model depth prog->model.depth) on *in into *res, which must have
 * been allocated for the same k and depth. Every entry of every quantity is written (NaN where a
 * quantity is not defined). Returns 0, NTK_EINVAL (bad inputs: message names the input) or
 * NTK_ENOMEM. Reentrant; no global state. */
int ntk_theory_run(const ntk_program *prog, const ntk_inputs *in, ntk_theory_result *res);

/* Pointer to element [layer][group][pair-or-input] of quantity q (group ignored if q has no group
 * dim). Convenience for tests and the cli. */
double *ntk_theory_at(ntk_theory_result *r, ntk_theory_qty q, long layer, int group, int idx);

#endif
