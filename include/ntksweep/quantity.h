/* quantity.h - self-description of output quantities, shared by the engines, io and cli.
 *
 * Every number ntksweep writes belongs to a quantity: a named array over a subset of the
 * standard result dimensions below, always stored in this order (row-major, last fastest):
 *
 *     [layer][group][sample][stat][pair or input]
 *
 * with layer = 0..depth (row l is the network after block l; rows before the first block hold
 * the stem values or NaN), group = parameter group (model.h), sample = Monte-Carlo sample number
 * (per-sample values kept by sim.keep_samples; samples a point did not keep are NaN), stat =
 * Monte-Carlo statistic (sim only), pair = input pair (i <= j, in the order
 * (0,0),(0,1)..(0,k-1),(1,1),...) and input = one input (the diagonal of a pair quantity).
 * A quantity without the sample dim has the same layout as before the sample dim existed. The
 * sample dim sits after layer and group so that a per-sample quantity is, row by row, the
 * engine's per-sample record entries of one (layer, group) for consecutive samples, and layer
 * stays the outermost dim (the archive splits large records along it). An engine describes its
 * quantities with a static table of ntk_qty_desc and hands the data over as one contiguous double
 * array per quantity; io turns each into an HDF5 dataset with grid axes prepended, units,
 * description and the paper symbol as attributes. NaN means "not defined here" (e.g. a chi of a
 * DenseNet).
 */
#ifndef NTKSWEEP_QUANTITY_H
#define NTKSWEEP_QUANTITY_H

#include <stddef.h>

enum {
    NTK_DIM_LAYER = 1u << 0,
    NTK_DIM_GROUP = 1u << 1,
    NTK_DIM_STAT = 1u << 2,
    NTK_DIM_PAIR = 1u << 3,
    NTK_DIM_INPUT = 1u << 4, /* exclusive with NTK_DIM_PAIR */
    NTK_DIM_SAMPLE = 1u << 5
};

/* Monte-Carlo statistics along the stat dimension, in this order. */
#define NTK_STAT_MAP(X)                                                                            \
    X(MEAN, "mean", "sample mean")                                                                 \
    X(STD, "std", "sample standard deviation (n-1)")                                               \
    X(SEM, "sem", "standard error of the mean, std/sqrt(n)")                                       \
    X(Q25, "q25", "first quartile")                                                                \
    X(MEDIAN, "median", "median")                                                                  \
    X(Q75, "q75", "third quartile")                                                                \
    X(NFINITE, "n_finite", "number of finite samples entering the statistics")

typedef enum {
#define NTK_STAT_ENUM_(id, name, desc) NTK_STAT_##id,
    NTK_STAT_MAP(NTK_STAT_ENUM_)
#undef NTK_STAT_ENUM_
        NTK_STAT_COUNT
} ntk_stat;

const char *ntk_stat_name(int s);

typedef struct {
    const char *name;        /* dataset name, e.g. "q"                          */
    const char *symbol;      /* paper symbol, e.g. "q^(l)" (LaTeX-free ASCII)     */
    const char *units;       /* "1" for dimensionless, "variance", "log", ...    */
    const char *description; /* one sentence                                     */
    unsigned dims;           /* NTK_DIM_* bits                                   */
} ntk_qty_desc;

/* Shape of the result dimensions for one grid point. */
typedef struct {
    long n_layer;  /* depth + 1 */
    int n_group;   /* NTK_GROUP_COUNT */
    int n_stat;    /* NTK_STAT_COUNT */
    int n_input;   /* k */
    int n_pair;    /* k (k + 1) / 2 */
    long n_sample; /* samples along the sample dim (only read for NTK_DIM_SAMPLE; last, so that
                      positional initializers of the other fields leave it 0) */
} ntk_qty_shape;

/* Number of doubles a quantity with the given dims occupies. */
size_t ntk_qty_size(unsigned dims, const ntk_qty_shape *sh);
/* Index of pair (i, j) (either order) among k inputs. */
int ntk_pair_index(int i, int j, int k);

#endif
