/* rng.c - Philox4x32-10 streams of standard normals (Box-Muller with own polynomial kernels).
 *
 * The bulk generator evaluates Philox on a batch of consecutive counters in structure-of-arrays
 * form and then the Box-Muller transform, both as plain loops that the compiler vectorizes. All
 * floating-point operations are IEEE-754 basic operations (no contraction into fused
 * multiply-adds: ISO C mode compiles with -ffp-contract=off), so vectorized and scalar code, and
 * every instruction-set variant selected at run time, give the same bits.
 */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC optimize("O3", "fp-contract=off", "no-math-errno")
#endif

#include "ntksweep/rng.h"

#include <Random123/philox.h>
#include <string.h>

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define NTK_RNG_X86 1
#endif

/* Run-time selection of the widest vector unit for the batch kernel (same results on all). */
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__) &&                             \
    !defined(__SANITIZE_ADDRESS__)
#define NTK_RNG_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define NTK_RNG_CLONES
#endif

#define NB 64 /* pairs of normals per batch */

ntk_rng_key ntk_rng_key_make(uint64_t seed, uint64_t point_key)
{
    philox4x32_ctr_t c = {
        {(uint32_t)point_key, (uint32_t)(point_key >> 32), (uint32_t)seed, (uint32_t)(seed >> 32)}};
    philox4x32_key_t k = {{0x6e746b73u, 0x77656570u}}; /* "ntks" "weep" */
    philox4x32_ctr_t r = philox4x32_R(10, c, k);
    ntk_rng_key out = {{r.v[0], r.v[1]}};
    return out;
}

void ntk_rng_philox(const uint32_t ctr[4], const ntk_rng_key *key, uint32_t out[4])
{
    philox4x32_ctr_t c = {{ctr[0], ctr[1], ctr[2], ctr[3]}};
    philox4x32_key_t k = {{key->k[0], key->k[1]}};
    philox4x32_ctr_t r = philox4x32_R(10, c, k);
    memcpy(out, r.v, sizeof r.v);
}

/* ------------------------------------------------------------------ scalar kernels */
static inline double bits_to_double(uint64_t u)
{
    double d;
    memcpy(&d, &u, sizeof d);
    return d;
}

static inline uint64_t double_to_bits(double d)
{
    uint64_t u;
    memcpy(&u, &d, sizeof u);
    return u;
}

/* log(x) for normal x > 0 (fdlibm/musl e_log.c without the special cases; < 1 ulp). */
static inline double klog(double x)
{
    const double ln2_hi = 6.93147180369123816490e-01, ln2_lo = 1.90821492927058770002e-10;
    const double Lg1 = 6.666666666666735130e-01, Lg2 = 3.999999999940941908e-01,
                 Lg3 = 2.857142874366239149e-01, Lg4 = 2.222219843214978396e-01,
                 Lg5 = 1.818357216161805012e-01, Lg6 = 1.531383769920937332e-01,
                 Lg7 = 1.479819860511658591e-01;
    /* Reduce x = 2^k (1 + f) with sqrt(2)/2 < 1 + f < sqrt(2). */
    uint64_t u = double_to_bits(x) + ((uint64_t)(0x3ff00000u - 0x3fe6a09eu) << 32);
    int64_t k = (int64_t)(u >> 52) - 0x3ff;
    u = (u & 0x000fffffffffffffull) + ((uint64_t)0x3fe6a09eu << 32);
    /* (double)k exactly, via the 2^52 trick (|k| < 2^31), so that the loop stays vectorizable. */
    double dk = bits_to_double(0x4330000000000000ull + (uint64_t)(k + 0x80000000ll)) -
                (4503599627370496.0 + 2147483648.0);
    double f = bits_to_double(u) - 1.0;
    double hfsq = 0.5 * f * f;
    double s = f / (2.0 + f);
    double z = s * s;
    double w = z * z;
    double t1 = w * (Lg2 + w * (Lg4 + w * Lg6));
    double t2 = z * (Lg1 + w * (Lg3 + w * (Lg5 + w * Lg7)));
    double R = t2 + t1;
    return s * (hfsq + R) + dk * ln2_lo - hfsq + f + dk * ln2_hi;
}

/* sin(x), |x| <= pi/4 (fdlibm __kernel_sin with y = 0). */
static inline double ksin(double x)
{
    const double S1 = -1.66666666666666324348e-01, S2 = 8.33333333332248946124e-03,
                 S3 = -1.98412698298579493134e-04, S4 = 2.75573137070700676789e-06,
                 S5 = -2.50507602534068634195e-08, S6 = 1.58969099521155010221e-10;
    double z = x * x;
    double v = z * x;
    double r = S2 + z * (S3 + z * (S4 + z * (S5 + z * S6)));
    return x + v * (S1 + z * r);
}

/* cos(x), |x| <= pi/4 (fdlibm __kernel_cos with y = 0). */
static inline double kcos(double x)
{
    const double C1 = 4.16666666666666019037e-02, C2 = -1.38888888888741095749e-03,
                 C3 = 2.48015872894767294178e-05, C4 = -2.75573143513906633035e-07,
                 C5 = 2.08757232129817482790e-09, C6 = -1.13596475577881948265e-11;
    double z = x * x;
    double w = z * z;
    double r = z * (C1 + z * (C2 + z * C3)) + w * w * (C4 + z * (C5 + z * C6));
    double hz = 0.5 * z;
    double one_minus = 1.0 - hz;
    return one_minus + (((1.0 - one_minus) - hz) + z * r);
}

double ntk_rng_log(double x)
{
    return klog(x);
}

double ntk_rng_sin(double x)
{
    return ksin(x);
}

double ntk_rng_cos(double x)
{
    return kcos(x);
}

/* ------------------------------------------------------------------ batch kernel */
#define PHILOX_ROUND_(c0, c1, c2, c3, k0, k1)                                                      \
    do {                                                                                           \
        uint64_t p0_ = (uint64_t)PHILOX_M4x32_0 * (c0);                                            \
        uint64_t p1_ = (uint64_t)PHILOX_M4x32_1 * (c2);                                            \
        uint32_t n0_ = (uint32_t)(p1_ >> 32) ^ (c1) ^ (k0);                                        \
        uint32_t n2_ = (uint32_t)(p0_ >> 32) ^ (c3) ^ (k1);                                        \
        c1 = (uint32_t)p1_;                                                                        \
        c3 = (uint32_t)p0_;                                                                        \
        c0 = n0_;                                                                                  \
        c2 = n2_;                                                                                  \
    } while (0)

/* The four Philox output words of pairs j0 .. j0 + nb - 1 of stream *s (portable version). */
static void philox_batch_scalar(const ntk_rng_stream *s, uint64_t j0, int nb, uint32_t *w0,
                                uint32_t *w1, uint32_t *w2, uint32_t *w3)
{
    const uint32_t sub = s->sub, op = s->op, smp = s->sample;
    const uint32_t key0 = s->key.k[0], key1 = s->key.k[1];
    for (int i = 0; i < nb; i++) {
        uint32_t c0 = (uint32_t)j0 + (uint32_t)i, c1 = sub, c2 = op, c3 = smp;
        uint32_t k0 = key0, k1 = key1;
        for (int r = 0; r < 10; r++) {
            PHILOX_ROUND_(c0, c1, c2, c3, k0, k1);
            k0 += PHILOX_W32_0;
            k1 += PHILOX_W32_1;
        }
        w0[i] = c0;
        w1[i] = c1;
        w2[i] = c2;
        w3[i] = c3;
    }
}

#ifdef NTK_RNG_X86
/* The same with 32-bit words in 64-bit lanes, so that one vpmuludq gives 8 (4) full products.
 * Whole vectors are computed (nb <= NB, NB a multiple of 8: the arrays have room). */
__attribute__((target("avx512f"))) static void philox_batch_avx512(const ntk_rng_stream *s,
                                                                   uint64_t j0, int nb,
                                                                   uint32_t *w0, uint32_t *w1,
                                                                   uint32_t *w2, uint32_t *w3)
{
    const __m512i M0 = _mm512_set1_epi64(PHILOX_M4x32_0), M1 = _mm512_set1_epi64(PHILOX_M4x32_1);
    const __m512i LO = _mm512_set1_epi64(0xffffffffll);
    const __m512i lane = _mm512_set_epi64(7, 6, 5, 4, 3, 2, 1, 0);
    __m512i kv0[10], kv1[10];
    uint32_t k0 = s->key.k[0], k1 = s->key.k[1];
    for (int r = 0; r < 10; r++) {
        kv0[r] = _mm512_set1_epi64(k0);
        kv1[r] = _mm512_set1_epi64(k1);
        k0 += PHILOX_W32_0;
        k1 += PHILOX_W32_1;
    }
    const __m512i C1 = _mm512_set1_epi64(s->sub), C2 = _mm512_set1_epi64(s->op),
                  C3 = _mm512_set1_epi64(s->sample);
    for (int i = 0; i < nb; i += 8) {
        __m512i c0 = _mm512_and_si512(
            _mm512_add_epi64(_mm512_set1_epi64((uint32_t)(j0 + (uint64_t)i)), lane), LO);
        __m512i c1 = C1, c2 = C2, c3 = C3;
        for (int r = 0; r < 10; r++) {
            __m512i p0 = _mm512_mul_epu32(c0, M0), p1 = _mm512_mul_epu32(c2, M1);
            __m512i n0 = _mm512_xor_si512(_mm512_xor_si512(_mm512_srli_epi64(p1, 32), c1), kv0[r]);
            __m512i n2 = _mm512_xor_si512(_mm512_xor_si512(_mm512_srli_epi64(p0, 32), c3), kv1[r]);
            c1 = _mm512_and_si512(p1, LO);
            c3 = _mm512_and_si512(p0, LO);
            c0 = n0;
            c2 = n2;
        }
        _mm256_storeu_si256((__m256i *)(w0 + i), _mm512_cvtepi64_epi32(c0));
        _mm256_storeu_si256((__m256i *)(w1 + i), _mm512_cvtepi64_epi32(c1));
        _mm256_storeu_si256((__m256i *)(w2 + i), _mm512_cvtepi64_epi32(c2));
        _mm256_storeu_si256((__m256i *)(w3 + i), _mm512_cvtepi64_epi32(c3));
    }
}

__attribute__((target("avx2"))) static void philox_batch_avx2(const ntk_rng_stream *s, uint64_t j0,
                                                              int nb, uint32_t *w0, uint32_t *w1,
                                                              uint32_t *w2, uint32_t *w3)
{
    const __m256i M0 = _mm256_set1_epi64x(PHILOX_M4x32_0), M1 = _mm256_set1_epi64x(PHILOX_M4x32_1);
    const __m256i LO = _mm256_set1_epi64x(0xffffffffll);
    const __m256i lane = _mm256_set_epi64x(3, 2, 1, 0);
    const __m256i pick = _mm256_setr_epi32(0, 2, 4, 6, 0, 0, 0, 0);
    __m256i kv0[10], kv1[10];
    uint32_t k0 = s->key.k[0], k1 = s->key.k[1];
    for (int r = 0; r < 10; r++) {
        kv0[r] = _mm256_set1_epi64x(k0);
        kv1[r] = _mm256_set1_epi64x(k1);
        k0 += PHILOX_W32_0;
        k1 += PHILOX_W32_1;
    }
    const __m256i C1 = _mm256_set1_epi64x(s->sub), C2 = _mm256_set1_epi64x(s->op),
                  C3 = _mm256_set1_epi64x(s->sample);
    for (int i = 0; i < nb; i += 4) {
        __m256i c0 = _mm256_and_si256(
            _mm256_add_epi64(_mm256_set1_epi64x((uint32_t)(j0 + (uint64_t)i)), lane), LO);
        __m256i c1 = C1, c2 = C2, c3 = C3;
        for (int r = 0; r < 10; r++) {
            __m256i p0 = _mm256_mul_epu32(c0, M0), p1 = _mm256_mul_epu32(c2, M1);
            __m256i n0 = _mm256_xor_si256(_mm256_xor_si256(_mm256_srli_epi64(p1, 32), c1), kv0[r]);
            __m256i n2 = _mm256_xor_si256(_mm256_xor_si256(_mm256_srli_epi64(p0, 32), c3), kv1[r]);
            c1 = _mm256_and_si256(p1, LO);
            c3 = _mm256_and_si256(p0, LO);
            c0 = n0;
            c2 = n2;
        }
        _mm_storeu_si128((__m128i *)(w0 + i),
                         _mm256_castsi256_si128(_mm256_permutevar8x32_epi32(c0, pick)));
        _mm_storeu_si128((__m128i *)(w1 + i),
                         _mm256_castsi256_si128(_mm256_permutevar8x32_epi32(c1, pick)));
        _mm_storeu_si128((__m128i *)(w2 + i),
                         _mm256_castsi256_si128(_mm256_permutevar8x32_epi32(c2, pick)));
        _mm_storeu_si128((__m128i *)(w3 + i),
                         _mm256_castsi256_si128(_mm256_permutevar8x32_epi32(c3, pick)));
    }
}
#endif

/* Integer-only, so every variant gives the same words. */
static void philox_batch(const ntk_rng_stream *s, uint64_t j0, int nb, uint32_t *w0, uint32_t *w1,
                         uint32_t *w2, uint32_t *w3)
{
#ifdef NTK_RNG_X86
    if (__builtin_cpu_supports("avx512f")) {
        philox_batch_avx512(s, j0, nb, w0, w1, w2, w3);
        return;
    }
    if (__builtin_cpu_supports("avx2")) {
        philox_batch_avx2(s, j0, nb, w0, w1, w2, w3);
        return;
    }
#endif
    philox_batch_scalar(s, j0, nb, w0, w1, w2, w3);
}

/* u1 = 1 - m1 2^-53 in [2^-53, 1] from the top 53 bits of (hi:lo), exactly. */
static inline double uniform_open0(uint32_t hi, uint32_t lo)
{
    uint64_t m = (((uint64_t)hi << 32) | lo) >> 11;
    double a = bits_to_double(0x3ff0000000000000ull | (m >> 1));      /* 1 + (m >> 1) 2^-52 */
    double b = bits_to_double((0 - (m & 1)) & 0x3ca0000000000000ull); /* (m & 1) 2^-53 */
    return (2.0 - a) - b;
}

/* Box-Muller on the Philox words: z[2i] = r cos theta, z[2i+1] = r sin theta. The octant
 * symmetries are applied with integer masks on the bit patterns (exact, and branch-free so that
 * the loop vectorizes). */
static inline void box_muller(int nb, const uint32_t *w0, const uint32_t *w1, const uint32_t *w2,
                              const uint32_t *w3, double *z)
{
    const double pio4 = 7.85398163397448278999e-01;
    for (int i = 0; i < nb; i++) {
        double u1 = uniform_open0(w1[i], w0[i]);
        double r = __builtin_sqrt(-2.0 * klog(u1));
        uint64_t m2 = (((uint64_t)w3[i] << 32) | w2[i]) >> 11;
        uint64_t oct = m2 >> 50;
        double t = bits_to_double(0x3ff0000000000000ull | ((m2 & 0x3ffffffffffffull) << 2)) - 1.0;
        /* odd octants reflect: t -> 1 - t, as t + 1 * (1 - 2t) (all exact) */
        double odd = bits_to_double(0x4330000000000000ull | (oct & 1)) - 4503599627370496.0;
        double x = (t + odd * (1.0 - 2.0 * t)) * pio4;
        uint64_t sb = double_to_bits(ksin(x)), cb = double_to_bits(kcos(x));
        uint64_t swap = 0 - (((oct + 1) >> 1) & 1);
        uint64_t snb = (sb & ~swap) | (cb & swap);
        uint64_t csb = (cb & ~swap) | (sb & swap);
        snb ^= (oct >> 2) << 63;
        csb ^= (((oct + 2) >> 2) & 1) << 63;
        z[2 * i] = r * bits_to_double(csb);
        z[2 * i + 1] = r * bits_to_double(snb);
    }
}

NTK_RNG_CLONES
static void box_muller_batch(int nb, const uint32_t *w0, const uint32_t *w1, const uint32_t *w2,
                             const uint32_t *w3, double *z)
{
    box_muller(nb, w0, w1, w2, w3, z);
}

static void normals_batch(const ntk_rng_stream *s, uint64_t j0, int nb, double *z)
{
    uint32_t w0[NB], w1[NB], w2[NB], w3[NB];
    philox_batch(s, j0, nb, w0, w1, w2, w3);
    box_muller_batch(nb, w0, w1, w2, w3, z);
}

/* ------------------------------------------------------------------ public generators */
/* Visits the normals z[start .. start + n - 1] batch by batch: fn(z, count, offset into out). */
static void for_each_batch(const ntk_rng_stream *s, uint64_t start, long n, double *out,
                           double scale, int axpy)
{
    double zb[2 * NB];
    uint64_t pos = start, end = start + (uint64_t)n;
    while (pos < end) {
        uint64_t j0 = pos >> 1;
        uint64_t jend = (end + 1) >> 1;
        int nb = (jend - j0 > NB) ? NB : (int)(jend - j0);
        normals_batch(s, j0, nb, zb);
        uint64_t first = 2 * j0, last = 2 * (j0 + (uint64_t)nb); /* normals in zb */
        uint64_t lo = pos, hi = last < end ? last : end;
        const double *src = zb + (lo - first);
        double *dst = out + (lo - start);
        long cnt = (long)(hi - lo);
        if (axpy)
            for (long i = 0; i < cnt; i++)
                dst[i] += scale * src[i];
        else
            memcpy(dst, src, (size_t)cnt * sizeof *dst);
        pos = hi;
    }
}

void ntk_rng_normals(const ntk_rng_stream *s, uint64_t start, long n, double *out)
{
    for_each_batch(s, start, n, out, 1.0, 0);
}

void ntk_rng_normals_axpy(const ntk_rng_stream *s, uint64_t start, long n, double scale,
                          double *out)
{
    for_each_batch(s, start, n, out, scale, 1);
}

void ntk_rng_uniforms(const ntk_rng_stream *s, uint64_t start, long n, double *u1, double *u2)
{
    uint32_t w0[NB], w1[NB], w2[NB], w3[NB];
    for (long done = 0; done < n;) {
        int nb = (n - done > NB) ? NB : (int)(n - done);
        philox_batch(s, start + (uint64_t)done, nb, w0, w1, w2, w3);
        for (int i = 0; i < nb; i++) {
            u1[done + i] = uniform_open0(w1[i], w0[i]);
            uint64_t m2 = (((uint64_t)w3[i] << 32) | w2[i]) >> 11;
            u2[done + i] = (double)m2 * 0x1p-53;
        }
        done += nb;
    }
}
