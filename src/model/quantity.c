/* quantity.c - helpers for the self-describing quantity tables (see quantity.h). */
#include "ntksweep/quantity.h"

const char *ntk_stat_name(int s)
{
    switch (s) {
#define NTK_STAT_NAME_(id, name, desc)                                                             \
    case NTK_STAT_##id:                                                                            \
        return name;
        NTK_STAT_MAP(NTK_STAT_NAME_)
#undef NTK_STAT_NAME_
    }
    return "unknown";
}

size_t ntk_qty_size(unsigned dims, const ntk_qty_shape *sh)
{
    size_t n = 1;
    if (dims & NTK_DIM_LAYER)
        n *= (size_t)sh->n_layer;
    if (dims & NTK_DIM_GROUP)
        n *= (size_t)sh->n_group;
    if (dims & NTK_DIM_SAMPLE)
        n *= (size_t)sh->n_sample;
    if (dims & NTK_DIM_STAT)
        n *= (size_t)sh->n_stat;
    if (dims & NTK_DIM_PAIR)
        n *= (size_t)sh->n_pair;
    else if (dims & NTK_DIM_INPUT)
        n *= (size_t)sh->n_input;
    return n;
}

int ntk_pair_index(int i, int j, int k)
{
    if (i > j) {
        int t = i;
        i = j;
        j = t;
    }
    /* Rows 0..i-1 hold k, k-1, ..., k-i+1 pairs. */
    return i * k - i * (i - 1) / 2 + (j - i);
}
