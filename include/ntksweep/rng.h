/* rng.h - counter-based Gaussian random numbers for the simulator (Philox4x32-10, Random123).
 *
 * Every random number of a Monte-Carlo sample is a pure function of its address, never of a
 * generator state: which rank draws it, in which order, or whether the run was resumed does not
 * change a single bit. An address is
 *
 *     key     = ntk_rng_key_make(sweep seed, grid-point key)          (64-bit Philox key)
 *     counter = (pair index j, sub-stream, op id, sample index)        (4 x 32 bits)
 *
 * where the op id names one op of the network (ntk_rng_op_id: block index and op position), the
 * sub-stream one matrix or purpose of that op (ntk_rng_sub: weights, bias, backward noise; the
 * DenseNet history index), and j counts pairs of normals inside the stream. One Philox call
 * gives 128 bits = one pair of normals (Box-Muller):
 *
 *     m1 = top 53 bits of (w1:w0),   u1 = 1 - m1 2^-53 in [2^-53, 1]    (exact, never 0)
 *     m2 = top 53 bits of (w3:w2),   theta = 2 pi m2 2^-53 (octant from the top 3 bits)
 *     z[2j] = r cos theta,  z[2j+1] = r sin theta,   r = sqrt(-2 log u1)  (|z| <= 8.58)
 *
 * log, sin and cos are evaluated with ntksweep's own branch-free polynomial kernels (fdlibm's
 * coefficients, < 1 ulp on the ranges used) instead of libm, so the numbers are bitwise identical
 * on every IEEE-754 machine, whatever the libm, and the loop vectorizes. Limits: sample < 2^32,
 * op id < 2^32 (depth < 2^26), at most 2^33 normals per stream.
 */
#ifndef NTKSWEEP_RNG_H
#define NTKSWEEP_RNG_H

#include <stdint.h>

/* The 64-bit Philox key of one (sweep seed, grid point). */
typedef struct {
    uint32_t k[2];
} ntk_rng_key;

/* Address of one stream of normals inside a sample. */
typedef struct {
    ntk_rng_key key;
    uint32_t sample; /* Monte-Carlo sample index                    */
    uint32_t op;     /* ntk_rng_op_id()                              */
    uint32_t sub;    /* ntk_rng_sub()                                */
} ntk_rng_stream;

/* Purposes of a sub-stream (low 2 bits of the sub-stream id). */
enum {
    NTK_RNG_WEIGHT = 0, /* dense weight matrix / conditional forward draw Z */
    NTK_RNG_BIAS = 1,   /* bias vector                                      */
    NTK_RNG_BACK = 2    /* conditional engine: fresh backward noise         */
};

/* Derives the key from the sweep seed and the grid-point key: one Philox4x32-10 call on the
 * counter (point_key, seed) under a fixed key; distinct pairs collide with probability 2^-64. */
ntk_rng_key ntk_rng_key_make(uint64_t seed, uint64_t point_key);

/* Op id of op position pos (< 64) of layer slot slot (stem 0, block l, head depth + 1). */
static inline uint32_t ntk_rng_op_id(long slot, int pos)
{
    return ((uint32_t)slot << 6) | (uint32_t)(pos & 63);
}

/* Sub-stream id of purpose (NTK_RNG_*) for matrix index h (DenseNet history index, else 0). */
static inline uint32_t ntk_rng_sub(int purpose, long h)
{
    return ((uint32_t)h << 2) | (uint32_t)(purpose & 3);
}

/* One Philox4x32-10 block: out = philox(counter, key). The reference the bulk generators are
 * tested against (Random123's philox4x32). */
void ntk_rng_philox(const uint32_t ctr[4], const ntk_rng_key *key, uint32_t out[4]);

/* Writes out[i] = z[start + i], i < n, the standard normals of stream *s (see above). Any split
 * of a stream into calls gives the same numbers. */
void ntk_rng_normals(const ntk_rng_stream *s, uint64_t start, long n, double *out);

/* Adds scale * z[start + i] to out[i] (out[i] += scale z); same numbers as ntk_rng_normals. */
void ntk_rng_normals_axpy(const ntk_rng_stream *s, uint64_t start, long n, double scale,
                          double *out);

/* The uniforms behind the normals, for tests: u1[j] (in [2^-53, 1]) and u2[j] = theta/(2 pi)
 * (in [0, 1)) of pairs j = start .. start + n - 1. */
void ntk_rng_uniforms(const ntk_rng_stream *s, uint64_t start, long n, double *u1, double *u2);

/* The polynomial kernels used above, exported for tests: log(x) for normal x > 0, and
 * sin/cos(x) for |x| <= pi/4. */
double ntk_rng_log(double x);
double ntk_rng_sin(double x);
double ntk_rng_cos(double x);

#endif
