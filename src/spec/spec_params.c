/* spec_params.c - the table of sweepable parameters, categorical value names, FNV-1a hashing and
 * did-you-mean suggestions. */
#include "spec_private.h"

#include "ntksweep/activation.h"
#include "ntksweep/model.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

/* Every spelling a spec may use for a parameter. Variance spellings (suffix 2) share the slot of
 * the standard deviation; the slot always holds the standard deviation. */
static const spec_param params_[] = {
    {"arch", SP_ARCH, 0, SC_CATEGORY, "1", "architecture (model.h)"},
    {"act", SP_ACT, 0, SC_CATEGORY, "1", "activation function"},
    {"param", SP_PARAM, 0, SC_CATEGORY, "1", "parameterization: ntk or standard"},
    {"stem", SP_STEM, 0, SC_CATEGORY, "1", "input layer of ff networks: none or linear"},
    {"alpha_schedule", SP_ALPHA_SCHEDULE, 0, SC_CATEGORY, "1",
     "branch-scale schedule: const, power, invsqrt or list"},
    {"sigma_w", SP_SIGMA_W, 0, SC_NONNEG, "std", "hidden weight standard deviation"},
    {"sigma_w2", SP_SIGMA_W, 1, SC_NONNEG, "variance", "hidden weight variance sigma_w^2"},
    {"sigma_b", SP_SIGMA_B, 0, SC_NONNEG, "std", "hidden bias standard deviation"},
    {"sigma_b2", SP_SIGMA_B, 1, SC_NONNEG, "variance", "hidden bias variance sigma_b^2"},
    {"sigma_v", SP_SIGMA_V, 0, SC_NONNEG, "std", "branch output weight standard deviation"},
    {"sigma_v2", SP_SIGMA_V, 1, SC_NONNEG, "variance", "branch output weight variance"},
    {"sigma_a", SP_SIGMA_A, 0, SC_NONNEG, "std", "branch output bias standard deviation"},
    {"sigma_a2", SP_SIGMA_A, 1, SC_NONNEG, "variance", "branch output bias variance"},
    {"sigma_in", SP_SIGMA_IN, 0, SC_NONNEG, "std", "input-layer weight standard deviation"},
    {"sigma_in2", SP_SIGMA_IN, 1, SC_NONNEG, "variance", "input-layer weight variance"},
    {"sigma_in_b", SP_SIGMA_IN_B, 0, SC_NONNEG, "std", "input-layer bias standard deviation"},
    {"sigma_in_b2", SP_SIGMA_IN_B, 1, SC_NONNEG, "variance", "input-layer bias variance"},
    {"sigma_out", SP_SIGMA_OUT, 0, SC_NONNEG, "std", "readout weight standard deviation"},
    {"sigma_out2", SP_SIGMA_OUT, 1, SC_NONNEG, "variance", "readout weight variance"},
    {"sigma_out_b", SP_SIGMA_OUT_B, 0, SC_NONNEG, "std", "readout bias standard deviation"},
    {"sigma_out_b2", SP_SIGMA_OUT_B, 1, SC_NONNEG, "variance", "readout bias variance"},
    {"alpha", SP_ALPHA, 0, SC_NONNEG, "1", "branch scale (value of the alpha schedule)"},
    {"gamma", SP_GAMMA, 0, SC_FINITE, "1", "exponent of the power schedule alpha L^-gamma"},
    {"relu_alpha", SP_RELU_ALPHA, 0, SC_RELU_ALPHA, "1", "exponent of the alpha-ReLU x^alpha"},
    {"act_mult", SP_ACT_MULT, 0, SC_FINITE, "1", "activation multiplier c in c phi(h)"},
    {"m", SP_M, 0, SC_POSINT, "layers", "branch depth (littwin)"},
    {"d", SP_D, 0, SC_POSINT, "1", "input dimension (simulation)"},
    {"depth", SP_DEPTH, 0, SC_POSINT, "layers", "number of blocks (hidden layers)"},
    {"width", SP_WIDTH, 0, SC_POSINT, "units", "hidden width n (simulation)"},
    {"positions", SP_POSITIONS, 0, SC_POSINT, "positions", "spatial positions M (cnn1d)"},
    {"kernel_half", SP_KERNEL_HALF, 0, SC_NATURAL, "positions",
     "filter half-width q, filter size 2q+1 (cnn1d)"},
    {"readout", SP_READOUT, 0, SC_CATEGORY, "1", "readout of cnn1d: dense or conv"},
    {"angle", SP_ANGLE, 0, SC_FINITE, "radians", "angle between the two inputs"},
    {"rho", SP_RHO, 0, SC_UNIT, "1", "cosine between the two inputs"},
    {"q0", SP_Q0, 0, SC_POSITIVE, "variance", "squared input norm per coordinate x.x/d"},
};

const spec_param *spec_param_table(int *n)
{
    *n = (int)(sizeof params_ / sizeof params_[0]);
    return params_;
}

const spec_param *spec_param_find(const char *name)
{
    for (size_t i = 0; i < sizeof params_ / sizeof params_[0]; i++)
        if (strcmp(params_[i].name, name) == 0) return &params_[i];
    return NULL;
}

static const char *const param_names_[] = {"ntk", "standard"};
static const char *const stem_names_[] = {"none", "linear"};
static const char *const sched_names_[] = {"const", "power", "invsqrt", "list"};

int spec_category_count(int slot)
{
    switch (slot) {
    case SP_ARCH:
        return NTK_ARCH_COUNT_;
    case SP_ACT:
        return NTK_ACT_COUNT_;
    case SP_PARAM:
    case SP_STEM:
    case SP_READOUT:
        return 2;
    case SP_ALPHA_SCHEDULE:
        return 4;
    }
    return 0;
}

const char *spec_category_name(int slot, int code)
{
    if (code < 0 || code >= spec_category_count(slot)) return "?";
    switch (slot) {
    case SP_ARCH:
        return ntk_arch_name((ntk_arch_kind)code);
    case SP_ACT:
        return ntk_act_name((ntk_act_kind)code);
    case SP_PARAM:
        return param_names_[code];
    case SP_STEM:
        return stem_names_[code];
    case SP_ALPHA_SCHEDULE:
        return sched_names_[code];
    case SP_READOUT:
        return ntk_readout_name((ntk_readout_kind)code);
    }
    return "?";
}

int spec_category_parse(int slot, const char *name)
{
    int n = spec_category_count(slot);
    for (int c = 0; c < n; c++)
        if (strcmp(name, spec_category_name(slot, c)) == 0) return c;
    if (slot == SP_ACT && strcmp(name, "linear") == 0) return NTK_ACT_IDENTITY;
    return -1;
}

uint64_t ntk_fnv1a64(uint64_t h, const void *data, size_t n)
{
    const unsigned char *p = data;
    for (size_t i = 0; i < n; i++) {
        h ^= p[i];
        h *= 0x100000001b3ULL;
    }
    return h;
}

/* Optimal string alignment distance (Levenshtein plus adjacent transpositions), ignoring case. */
static int edit_distance_(const char *a, const char *b)
{
    size_t na = strlen(a), nb = strlen(b);
    if (na > 64 || nb > 64) return 1000;
    int d[65][65];
    for (size_t i = 0; i <= na; i++)
        d[i][0] = (int)i;
    for (size_t j = 0; j <= nb; j++)
        d[0][j] = (int)j;
    for (size_t i = 1; i <= na; i++)
        for (size_t j = 1; j <= nb; j++) {
            int cost = tolower((unsigned char)a[i - 1]) != tolower((unsigned char)b[j - 1]);
            int v = d[i - 1][j] + 1;
            if (d[i][j - 1] + 1 < v) v = d[i][j - 1] + 1;
            if (d[i - 1][j - 1] + cost < v) v = d[i - 1][j - 1] + cost;
            if (i > 1 && j > 1 &&
                tolower((unsigned char)a[i - 1]) == tolower((unsigned char)b[j - 2]) &&
                tolower((unsigned char)a[i - 2]) == tolower((unsigned char)b[j - 1]) &&
                d[i - 2][j - 2] + 1 < v)
                v = d[i - 2][j - 2] + 1;
            d[i][j] = v;
        }
    return d[na][nb];
}

const char *ntk_spec_suggest(const char *word, const char *const *cand, int n)
{
    const char *best = NULL;
    int bestd = 1000;
    for (int i = 0; i < n; i++) {
        if (!cand[i]) continue;
        int dist = edit_distance_(word, cand[i]);
        if (dist < bestd) {
            bestd = dist;
            best = cand[i];
        }
    }
    /* Plausible misspelling: at most 2 edits, and fewer edits than about a third of the word. */
    size_t len = strlen(word);
    int limit = len <= 3 ? 1 : (len <= 6 ? 2 : 3);
    if (!best || bestd > limit || strcmp(word, best) == 0) return NULL;
    return best;
}
