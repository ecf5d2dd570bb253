/* test_rng.c - Philox4x32-10 known answers, bulk generator vs one-call reference, chunking
 * invariance, accuracy of the polynomial kernels, and the law of the normals. */
#include "check.h"
#include "ntksweep/rng.h"
#include "ntksweep/stats.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Random123's kat_vectors for philox4x32_10. */
static void test_kat(void)
{
    static const uint32_t ctr[3][4] = {
        {0, 0, 0, 0}, {~0u, ~0u, ~0u, ~0u}, {0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344}};
    static const uint32_t key[3][2] = {{0, 0}, {~0u, ~0u}, {0xa4093822, 0x299f31d0}};
    static const uint32_t want[3][4] = {{0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8},
                                        {0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd},
                                        {0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1}};
    for (int i = 0; i < 3; i++) {
        ntk_rng_key k = {{key[i][0], key[i][1]}};
        uint32_t out[4];
        ntk_rng_philox(ctr[i], &k, out);
        for (int j = 0; j < 4; j++)
            CHECK_INT(out[j], want[i][j]);
    }
}

/* The bulk normals equal Box-Muller on single Philox calls evaluated with libm (to rounding),
 * and the uniforms are exactly the documented bit maps. */
static void test_reference(void)
{
    ntk_rng_stream st = {ntk_rng_key_make(12345, 678), 42, ntk_rng_op_id(7, 3),
                         ntk_rng_sub(NTK_RNG_WEIGHT, 5)};
    enum { NP = 3000 };
    double *z = malloc(2 * NP * sizeof *z), *u1 = malloc(NP * sizeof *u1),
           *u2 = malloc(NP * sizeof *u2);
    ntk_rng_normals(&st, 0, 2 * NP, z);
    ntk_rng_uniforms(&st, 0, NP, u1, u2);
    double maxrel = 0.0;
    int exact_u = 1;
    for (int j = 0; j < NP; j++) {
        uint32_t c[4] = {(uint32_t)j, st.sub, st.op, st.sample}, w[4];
        ntk_rng_philox(c, &st.key, w);
        uint64_t m1 = ((((uint64_t)w[1]) << 32) | w[0]) >> 11;
        uint64_t m2 = ((((uint64_t)w[3]) << 32) | w[2]) >> 11;
        double a = 1.0 - (double)m1 * 0x1p-53, th = 2.0 * M_PI * (double)m2 * 0x1p-53;
        exact_u &= (a == u1[j]) && ((double)m2 * 0x1p-53 == u2[j]);
        double r = sqrt(-2.0 * log(a));
        double zc = r * cos(th), zs = r * sin(th);
        double e0 = fabs(zc - z[2 * j]) / (fabs(zc) + 1e-3),
               e1 = fabs(zs - z[2 * j + 1]) / (fabs(zs) + 1e-3);
        if (e0 > maxrel) maxrel = e0;
        if (e1 > maxrel) maxrel = e1;
    }
    CHECK(exact_u);
    CHECK(maxrel < 1e-12);
    printf("bulk vs libm Box-Muller: max relative difference %.3g\n", maxrel);
    free(z);
    free(u1);
    free(u2);
}

/* Any split of a stream gives the same bits; axpy adds exactly scale * z. */
static void test_chunking(void)
{
    ntk_rng_stream st = {ntk_rng_key_make(1, 2), 3, 4, 5};
    enum { N = 1001 };
    double whole[N], part[N], acc[N];
    ntk_rng_normals(&st, 0, N, whole);
    long cuts[] = {0, 1, 2, 3, 64, 127, 128, 129, 500, 777, N};
    for (size_t c = 0; c + 1 < sizeof cuts / sizeof cuts[0]; c++)
        ntk_rng_normals(&st, (uint64_t)cuts[c], cuts[c + 1] - cuts[c], part + cuts[c]);
    CHECK(memcmp(whole, part, sizeof whole) == 0);
    for (int i = 0; i < N; i++)
        acc[i] = (double)i;
    ntk_rng_normals_axpy(&st, 0, 500, 0.5, acc);
    ntk_rng_normals_axpy(&st, 500, N - 500, 0.5, acc + 500);
    int ok = 1;
    for (int i = 0; i < N; i++)
        ok &= acc[i] == (double)i + 0.5 * whole[i];
    CHECK(ok);
    /* Neighbouring addresses give different numbers. */
    double other[8];
    ntk_rng_stream st2 = st;
    st2.sample++;
    ntk_rng_normals(&st2, 0, 8, other);
    CHECK(memcmp(other, whole, sizeof other) != 0);
    st2 = st;
    st2.sub++;
    ntk_rng_normals(&st2, 0, 8, other);
    CHECK(memcmp(other, whole, sizeof other) != 0);
    st2 = st;
    st2.key = ntk_rng_key_make(1, 3);
    ntk_rng_normals(&st2, 0, 8, other);
    CHECK(memcmp(other, whole, sizeof other) != 0);
}

static double ulp_err(double got, double want)
{
    return fabs(got - want) / (nextafter(fabs(want), INFINITY) - fabs(want));
}

static void test_kernels(void)
{
    double elog = 0, esin = 0, ecos = 0;
    ntk_rng_stream st = {ntk_rng_key_make(9, 9), 0, 0, 0};
    enum { N = 200000 };
    double *u1 = malloc(N * sizeof *u1), *u2 = malloc(N * sizeof *u2);
    ntk_rng_uniforms(&st, 0, N, u1, u2);
    for (int i = 0; i < N; i++) {
        double x = u1[i];
        if (i % 4 == 1) x = ldexp(u1[i], -(i % 50)); /* small arguments too */
        double e = ulp_err(ntk_rng_log(x), log(x));
        if (x != 1.0 && e > elog) elog = e;
        double t = u2[i] * M_PI / 4;
        e = ulp_err(ntk_rng_sin(t), sin(t));
        if (t > 0 && e > esin) esin = e;
        e = ulp_err(ntk_rng_cos(t), cos(t));
        if (e > ecos) ecos = e;
    }
    printf("kernel errors vs libm (ulp): log %.2f sin %.2f cos %.2f\n", elog, esin, ecos);
    CHECK(elog <= 1.0);
    CHECK(esin <= 1.0);
    CHECK(ecos <= 1.0);
    CHECK(ntk_rng_log(1.0) == 0.0);
    CHECK_REL(ntk_rng_log(0x1p-53), -53 * M_LN2, 1e-15);
    free(u1);
    free(u2);
}

static double phi_cdf(double x)
{
    return 0.5 * erfc(-x / sqrt(2.0));
}

/* Moments and the one-sample KS statistic of 2^21 normals (|z| thresholds: 5 standard errors,
 * false failure < 1e-5 per check; the stream is fixed, so the outcome is deterministic). */
static void test_law(void)
{
    enum { N = 1 << 21 };
    double *z = malloc(N * sizeof *z);
    ntk_rng_stream st = {ntk_rng_key_make(2024, 7), 11, ntk_rng_op_id(1, 0), 0};
    ntk_rng_normals(&st, 0, N, z);
    double s1 = 0, s2 = 0, s3 = 0, s4 = 0, tail = 0, cross = 0;
    for (int i = 0; i < N; i++) {
        double v = z[i];
        s1 += v;
        s2 += v * v;
        s3 += v * v * v;
        s4 += v * v * v * v;
        tail += fabs(v) > 3.0;
        if (i % 2 == 0) cross += z[i] * z[i + 1];
    }
    double n = N;
    CHECK_ABS(s1 / n, 0.0, 5.0 / sqrt(n));
    CHECK_ABS(s2 / n, 1.0, 5.0 * sqrt(2.0 / n));
    CHECK_ABS(s3 / n, 0.0, 5.0 * sqrt(15.0 / n));
    CHECK_ABS(s4 / n, 3.0, 5.0 * sqrt(96.0 / n));
    double pt = erfc(3.0 / sqrt(2.0));
    CHECK_ABS(tail / n, pt, 5.0 * sqrt(pt * (1 - pt) / n));
    CHECK_ABS(cross / (n / 2), 0.0, 5.0 / sqrt(n / 2)); /* the two normals of a pair */
    ntk_stats_sort(z, N);
    double D = 0;
    for (int i = 0; i < N; i++) {
        double F = phi_cdf(z[i]);
        double d1 = fabs(F - (double)i / n), d2 = fabs((double)(i + 1) / n - F);
        if (d1 > D) D = d1;
        if (d2 > D) D = d2;
    }
    double p = ntk_stats_ks2_pvalue(D, N, 1L << 40); /* one-sample limit */
    printf("KS vs N(0,1): D = %.3g, p = %.3g\n", D, p);
    CHECK(p > 1e-4);
    free(z);
}

int main(void)
{
    test_kat();
    test_reference();
    test_chunking();
    test_kernels();
    test_law();
    return check_summary("sim.rng");
}
