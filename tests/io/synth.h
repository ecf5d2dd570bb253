/* synth.h - the synthetic archive layout and deterministic records shared by the io tests.
 *
 * Grid: sigma_w (5 values) x depth (5 values, same length on purpose: netCDF's anonymous-
 * dimension trap) x act (2 labels, with the auxiliary coordinate act_mult) = 50 points; k = 3
 * inputs (6 pairs); layer length 9 (max depth 8 + 1), rows beyond a point's depth NaN.
 * Sections: "theory" (4 quantities), "sim" (4 quantities, with stat dims and quantities
 * without a layer dim) and "samples" (3 per-sample quantities over a sample dimension of 4,
 * alone and between layer/group and pair/input; point p keeps 1 + p % 4 samples, the others are
 * NaN). Values are hashed from (section, point, quantity, element), with +inf and -inf sprinkled
 * in; some points fail (NULL record).
 */
#ifndef NTKSWEEP_TESTS_IO_SYNTH_H
#define NTKSWEEP_TESTS_IO_SYNTH_H

#include "ntksweep/archive.h"
#include "ntksweep/model.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>

static const double synth_sigma_w_[5] = {0.5, 1.0, 1.5, 2.0, 2.5};
static const double synth_depth_[5] = {1, 2, 3, 5, 8};
static const char *const synth_act_[2] = {"relu", "tanh"};
static const double synth_mult_[2] = {1.4142135623730951, 1.0};
static const ntk_archive_aux synth_aux_[1] = {
    {"act_mult", "1", "activation multiplier", synth_mult_}};

static const ntk_qty_desc synth_theory_[4] = {
    {"q", "q^l, lambda^l", "variance", "pre-activation covariance", NTK_DIM_LAYER | NTK_DIM_PAIR},
    {"log_q", "log q^l", "log", "log of the variance", NTK_DIM_LAYER | NTK_DIM_INPUT},
    {"ntk_group", "Theta_g^l", "variance", "NTK per group",
     NTK_DIM_LAYER | NTK_DIM_GROUP | NTK_DIM_PAIR},
    {"chi", "chi^l", "1", "gradient second moment", NTK_DIM_LAYER | NTK_DIM_INPUT}};

static const ntk_qty_desc synth_sim_[4] = {
    {"ntk", "Theta^l", "variance", "empirical NTK", NTK_DIM_LAYER | NTK_DIM_STAT | NTK_DIM_PAIR},
    {"grad", "|dtheta|^2", "1", "gradient norms per group",
     NTK_DIM_LAYER | NTK_DIM_GROUP | NTK_DIM_STAT | NTK_DIM_INPUT},
    {"loss", "L", "1", "a statistic without layers", NTK_DIM_STAT},
    {"c_final", "c^L", "1", "final correlation", NTK_DIM_PAIR}};

static const ntk_qty_desc synth_samples_[3] = {
    {"ntk", "G(x,x')", "variance", "empirical NTK of each sampled network",
     NTK_DIM_SAMPLE | NTK_DIM_PAIR},
    {"chi", "chi^l", "1", "gradient ratio of each sampled network",
     NTK_DIM_LAYER | NTK_DIM_SAMPLE | NTK_DIM_INPUT},
    {"ntk_layer", "G_{l,g}", "variance", "NTK per block and group of each sampled network",
     NTK_DIM_LAYER | NTK_DIM_GROUP | NTK_DIM_SAMPLE | NTK_DIM_PAIR}};

#define SYNTH_NPOINTS   50
#define SYNTH_NLAYER    9
#define SYNTH_NSECTIONS 3
#define SYNTH_NSAMPLE   4

typedef struct {
    ntk_archive_axis axes[3];
    ntk_archive_section sec[SYNTH_NSECTIONS];
    ntk_archive_layout lay;
    ntk_archive_kv kv[2];
    ntk_archive_prov prov;
} synth_t;

/* Fills *s; chunk_points and deflate / fletcher32 vary the storage, not the contents. */
static inline void synth_init(synth_t *s, long chunk_points, int deflate, int fletcher32,
                              const char *spec_hash)
{
    s->axes[0] = (ntk_archive_axis){
        "sigma_w", "std", "weight standard deviation", 5, synth_sigma_w_, NULL, NULL, 0};
    s->axes[1] =
        (ntk_archive_axis){"depth", "layers", "number of blocks", 5, synth_depth_, NULL, NULL, 0};
    s->axes[2] = (ntk_archive_axis){"act", NULL, "activation", 2, NULL, synth_act_, synth_aux_, 1};
    s->sec[0] = (ntk_archive_section){"theory", "infinite-width theory", synth_theory_, 4};
    s->sec[1] = (ntk_archive_section){"sim", "finite-width Monte-Carlo statistics", synth_sim_, 4};
    s->sec[2] =
        (ntk_archive_section){"samples", "per-sample Monte-Carlo values", synth_samples_, 3};
    s->lay = (ntk_archive_layout){0};
    s->lay.axes = s->axes;
    s->lay.n_axes = 3;
    s->lay.n_layer = SYNTH_NLAYER;
    s->lay.k = 3;
    s->lay.n_group = NTK_GROUP_COUNT;
    s->lay.n_stat = NTK_STAT_COUNT;
    s->lay.n_sample = SYNTH_NSAMPLE;
    s->lay.sections = s->sec;
    s->lay.n_sections = SYNTH_NSECTIONS;
    s->lay.deflate = deflate;
    s->lay.fletcher32 = fletcher32;
    s->lay.chunk_points = chunk_points;
    s->kv[0] = (ntk_archive_kv){"libyaml", "0.2.5"};
    s->kv[1] = (ntk_archive_kv){"blas", "OpenBLAS 0.3.21 (test)"};
    s->prov = (ntk_archive_prov){"io-test",
                                 "name: io-test\naxes:\n  sigma_w: [0.5, 1, 1.5, 2, 2.5]\n",
                                 spec_hash ? spec_hash : "fnv1a64:0123456789abcdef",
                                 "test_archive write",
                                 s->kv,
                                 2};
}

static inline uint64_t synth_mix_(uint64_t x)
{
    x ^= x >> 30;
    x *= 0xbf58476d1ce4e5b9ULL;
    x ^= x >> 27;
    x *= 0x94d049bb133111ebULL;
    x ^= x >> 31;
    return x;
}

/* Samples point p keeps (the "samples" section; the others are NaN). */
static inline long synth_kept_of(long p)
{
    return 1 + p % SYNTH_NSAMPLE;
}

/* 1 if the point's record of this section is a failure (NULL data; "samples" fails with "sim"). */
static inline int synth_failed(int sec, long p)
{
    return sec == 0 ? p == 3 : p % 17 == 5;
}

/* Depth of point p (the depth axis is the middle axis). */
static inline long synth_depth_of(long p)
{
    return (long)synth_depth_[(p / 2) % 5];
}

/* Fills the record of (sec, p) (ntk_archive_record_size doubles); returns the number of
 * infinite values written (the engine's non-finite count). */
static inline long synth_record(const ntk_archive_layout *lay, int sec, long p, double *rec)
{
    const ntk_archive_section *s = &lay->sections[sec];
    size_t off = 0;
    long ninf = 0;
    for (int q = 0; q < s->n_qty; q++) {
        size_t cnt = ntk_archive_qty_count(lay, s->qty[q].dims);
        unsigned dims = s->qty[q].dims;
        size_t row = (dims & NTK_DIM_LAYER) ? cnt / (size_t)lay->n_layer : cnt;
        /* [layer][group][sample][rest]: doubles of one sample, and the sample count */
        size_t ns = (dims & NTK_DIM_SAMPLE) ? (size_t)lay->n_sample : 1;
        size_t per_sample = cnt / (size_t)((dims & NTK_DIM_LAYER) ? lay->n_layer : 1) /
                            (size_t)((dims & NTK_DIM_GROUP) ? lay->n_group : 1) / ns;
        for (size_t e = 0; e < cnt; e++) {
            uint64_t h = synth_mix_(((uint64_t)sec << 56) ^ ((uint64_t)p << 32) ^
                                    ((uint64_t)q << 24) ^ (uint64_t)e ^ 0x5eedULL);
            double v = ((double)(h >> 11) * 0x1p-53 - 0.5) * 37.0;
            if ((dims & NTK_DIM_LAYER) && (long)(e / row) > synth_depth_of(p))
                v = NAN;
            else if ((dims & NTK_DIM_SAMPLE) && (long)((e / per_sample) % ns) >= synth_kept_of(p))
                v = NAN;
            else if (h % 97 == 0) {
                v = (h & 1) ? INFINITY : -INFINITY;
                ninf++;
            }
            rec[off + e] = v;
        }
        off += cnt;
    }
    return ninf;
}

/* Largest record over the sections, in doubles. */
static inline size_t synth_max_record(const ntk_archive_layout *lay)
{
    size_t m = 0;
    for (int s = 0; s < lay->n_sections; s++)
        if (ntk_archive_record_size(lay, s) > m) m = ntk_archive_record_size(lay, s);
    return m;
}

#endif
