/* spec.h - sweep specifications: a YAML file parsed and validated into a grid of model points.
 *
 * A spec (format reference: docs/spec.md) names a model, the grid axes that vary its parameters,
 * derived parameters computed per point, the geometry of the k inputs, what to compute (theory,
 * Monte-Carlo simulation) and where to write it. ntk_spec_load() parses and validates the whole
 * grid once; afterwards every query is cheap, const and thread-safe.
 *
 * Grid convention: the points are the Cartesian product of the axes in the order the spec lists
 * them, row-major (the LAST axis varies fastest). Point index idx in [0, npoints) decomposes into
 * one index per axis (ntk_sweep_point_indices). A zipped axis varies several parameters together
 * and counts as one axis (categorical, with labels).
 *
 * Errors: every spec error returns NTK_ESPEC with a message of the form
 *     file:line:column: key 'model.sigma_w': expected a non-negative number, got 'abc'
 * (1-based line and column of the offending YAML node), with a did-you-mean suggestion for
 * misspelled keys. I/O failures return NTK_EIO, allocation failures NTK_ENOMEM.
 *
 * Hashes are 64-bit FNV-1a (offset basis 0xcbf29ce484222325, prime 0x100000001b3):
 *  - the spec hash is taken over the verbatim bytes of the spec text;
 *  - a point key is taken over a canonical encoding of the point's effective parameter values
 *    (every ntk_model field by name, width, the inputs' Gram matrix; doubles as IEEE-754
 *    binary64 little-endian bytes; docs/spec.md "Hashes and point keys"), NOT over its index:
 *    adding values to an axis leaves the other points' keys, and hence their random networks,
 *    unchanged. The key excludes the seed, samples, engine and the
 *    theory/sim/output options; simulators key their random streams by (seed, point key,
 *    sample index).
 */
#ifndef NTKSWEEP_SPEC_H
#define NTKSWEEP_SPEC_H

#include "ntksweep/model.h"
#include "ntksweep/quantity.h"

#include <stdint.h>
#include <stdio.h>

typedef struct ntk_sweep ntk_sweep;

/* Monte-Carlo engine: dense weight matrices, or exact sampling of each layer conditionally on
 * the previous one (k x k Gram per layer). AUTO leaves the choice to the simulator. */
typedef enum { NTK_ENGINE_AUTO = 0, NTK_ENGINE_DENSE, NTK_ENGINE_CONDITIONAL } ntk_engine_kind;

/* Which layers the archive keeps: rows 0..max_depth, or only the row of the point's depth. */
typedef enum { NTK_LAYERS_ALL = 0, NTK_LAYERS_FINAL } ntk_layers_kind;

/* Quantity selections: which engine a list of quantity names belongs to. */
typedef enum { NTK_PART_THEORY = 0, NTK_PART_SIM = 1 } ntk_part;

/* Output options (spec section `output`, defaults filled in). Strings are sweep-owned. */
typedef struct {
    const char *path;       /* archive path (default "<name>.h5")                         */
    ntk_layers_kind layers; /* default NTK_LAYERS_ALL                                     */
    int compression;        /* deflate level 0..9 (0: no compression); default 4          */
    int checksum;           /* 1: Fletcher-32 per chunk; default 1                        */
    double max_bytes;       /* refuse specs whose estimated archive exceeds this; 64 GiB  */
    double max_point_bytes; /* refuse points whose estimated memory exceeds this; 4 GiB   */
} ntk_output_opts;

/* One grid point: everything an engine needs. Plain value type; the pointers (gram,
 * model.alpha.list) point into sweep-owned storage and stay valid until ntk_sweep_free. */
typedef struct {
    long index;         /* row-major point index                                         */
    ntk_model model;    /* effective model (defaults, fixed values, axes, derived)       */
    long width;         /* hidden width n (sim); 0 when no width was given and sim is off */
    int k;              /* number of inputs (cnn1d: k_r M virtual inputs, theory.h)      */
    const double *gram; /* K0, k*k row-major, K0_ij = x_i . x_j / d (cnn1d: per position) */
    int theory;         /* 1: compute infinite-width theory for this point               */
    int sim;            /* 1: run the Monte-Carlo simulation                             */
    long samples;       /* Monte-Carlo samples (networks) per point; 0 when sim is off   */
    long chunk;         /* samples per task                                              */
    long keep_samples;  /* per-sample values kept for the first keep_samples samples     */
    ntk_engine_kind engine;
    uint64_t key;       /* ntk_sweep_point_key(sweep, index)                             */
    double cost_theory; /* estimated seconds for the theory of this point                */
    double cost_sim;    /* estimated seconds for all samples of this point               */
    double mem_bytes;   /* estimated peak memory of one task of this point               */
} ntk_point;

/* Description of a grid axis, or of one member of a zipped axis. Strings and arrays are
 * sweep-owned. Exactly one of values/labels is non-NULL. */
typedef struct {
    const char *name;          /* parameter name as written (e.g. "sigma_w2"), or the zip name */
    const char *units;         /* "1", "variance", "std", "layers", "radians", ...             */
    const char *description;   /* one sentence                                                  */
    long n;                    /* number of values                                              */
    const double *values;      /* numeric axes: n values as written (variances for sigma_*2)  */
    const char *const *labels; /* categorical and zipped axes: n labels                       */
    int n_members;             /* zipped axes: parameters varied together; 0 otherwise          */
    int integer;               /* 1 if the values are integers (depth, width, m, ...)           */
} ntk_axis_info;

/* ------------------------------------------------------------------ loading */

/* Reads the file at path, parses and validates it (every grid point is checked, see
 * docs/spec.md "Validation"). On success *out owns a new sweep (release with ntk_sweep_free)
 * and 0 is returned; on failure *out is NULL and NTK_ESPEC / NTK_EIO / NTK_ENOMEM is returned
 * with the message in ntk_error_msg(). */
int ntk_spec_load(const char *path, ntk_sweep **out);

/* As ntk_spec_load, from a NUL-terminated text; filename is used in messages only (NULL:
 * "<string>"). The text is copied. */
int ntk_spec_parse_string(const char *text, const char *filename, ntk_sweep **out);

/* Releases a sweep; NULL is a no-op. */
void ntk_sweep_free(ntk_sweep *s);

/* ------------------------------------------------------------------ identity and provenance */

const char *ntk_sweep_name(const ntk_sweep *s);
const char *ntk_sweep_description(const ntk_sweep *s); /* "" if none */
uint64_t ntk_sweep_seed(const ntk_sweep *s);
/* The spec text exactly as read (NUL-terminated); *len (may be NULL) receives its length. */
const char *ntk_sweep_text(const ntk_sweep *s, size_t *len);
/* FNV-1a 64 of the spec text bytes. */
uint64_t ntk_sweep_hash(const ntk_sweep *s);
/* File name used in messages. */
const char *ntk_sweep_filename(const ntk_sweep *s);
/* The effective configuration as YAML (every option with defaults filled in, axes expanded).
 * Returns a malloc'd string the caller frees, or NULL on ENOMEM. */
char *ntk_sweep_effective_config(const ntk_sweep *s);

/* ------------------------------------------------------------------ grid */

int ntk_sweep_naxes(const ntk_sweep *s);
/* Fills *info for axis a (0 <= a < naxes); returns 0 or NTK_EINVAL for a bad index. */
int ntk_sweep_axis(const ntk_sweep *s, int a, ntk_axis_info *info);
/* Fills *info for member j of zipped axis a (0 <= j < n_members); 0 or NTK_EINVAL. */
int ntk_sweep_axis_member(const ntk_sweep *s, int a, int j, ntk_axis_info *info);
/* Number of grid points (product of the axis lengths; 1 without axes). */
long ntk_sweep_npoints(const ntk_sweep *s);
/* Per-axis indices of point idx (ix has naxes entries). 0 or NTK_EINVAL. */
int ntk_sweep_point_indices(const ntk_sweep *s, long idx, long *ix);
/* Inverse of ntk_sweep_point_indices. Returns -1 for out-of-range indices. */
long ntk_sweep_point_index(const ntk_sweep *s, const long *ix);

/* Fills *pt for point idx. Returns 0, NTK_EINVAL (idx out of range) or NTK_ESPEC (the point is
 * invalid; cannot happen for a sweep that loaded, kept for safety). */
int ntk_sweep_point(const ntk_sweep *s, long idx, ntk_point *pt);
/* The point's key (see the header comment); 0 for an invalid index. */
uint64_t ntk_sweep_point_key(const ntk_sweep *s, long idx);
/* Estimated seconds for the whole point (theory + all samples); negative on a bad index.
 * Model: theory ~ depth * pairs * (activation cost: closed forms 2e-7 s, quadrature 2e-5 s);
 * simulation per sample ~ matrices * width * k * (k + 4 ns RNG) (conditional) or
 * matrices * width^2 * (RNG + 4 k flops) (dense); see docs/spec.md "Cost model". */
double ntk_sweep_point_cost(const ntk_sweep *s, long idx);
/* Largest depth over the grid (the archive's layer dimension is max_depth + 1). */
long ntk_sweep_max_depth(const ntk_sweep *s);
/* Number of inputs (the same at every point; for cnn1d the k_r M virtual inputs). */
int ntk_sweep_max_k(const ntk_sweep *s);
/* Largest width over the grid (0 if none). */
long ntk_sweep_max_width(const ntk_sweep *s);

/* ------------------------------------------------------------------ what to compute */

int ntk_sweep_theory_enabled(const ntk_sweep *s);
int ntk_sweep_sim_enabled(const ntk_sweep *s);
/* Selected quantity names of a part, in spec order (the default "all" is expanded for theory
 * from the theory quantity table; for sim "all" is reported as n = 0 and
 * ntk_sweep_quantity_selected answers 1 for every name). */
int ntk_sweep_nquantities(const ntk_sweep *s, ntk_part part);
const char *ntk_sweep_quantity(const ntk_sweep *s, ntk_part part, int i);
int ntk_sweep_quantity_selected(const ntk_sweep *s, ntk_part part, const char *name);
/* Checks the part's selected names against an engine's quantity table (n entries). Returns 0,
 * or NTK_ESPEC naming the spec position of the unknown name, with a did-you-mean suggestion. */
int ntk_sweep_check_quantities(const ntk_sweep *s, ntk_part part, const ntk_qty_desc *table, int n);

const ntk_output_opts *ntk_sweep_output(const ntk_sweep *s);

/* Estimated archive size in bytes (uncompressed upper bound) and the largest per-point memory
 * estimate over the grid. */
double ntk_sweep_archive_bytes(const ntk_sweep *s);
double ntk_sweep_max_point_bytes(const ntk_sweep *s);

/* Prints the expanded grid for `ntksweep validate`: axes with values, number of points and
 * tasks, estimated cost and archive size, and the effective configuration. Returns 0 or
 * NTK_EIO. */
int ntk_sweep_describe(const ntk_sweep *s, FILE *f);

/* Version string of the YAML parser (libyaml), for provenance. */
const char *ntk_spec_yaml_version(void);

/* Helpers shared with other front ends. */
/* FNV-1a 64 of n bytes, continuing from h (start with NTK_FNV1A64_INIT). */
#define NTK_FNV1A64_INIT 0xcbf29ce484222325ULL
uint64_t ntk_fnv1a64(uint64_t h, const void *data, size_t n);
/* The closest of n candidate names to word (edit distance, case-insensitive), or NULL if none is
 * close enough to be a plausible misspelling. */
const char *ntk_spec_suggest(const char *word, const char *const *cand, int n);

/* Edge-of-chaos weight std for bias std sigma_b: the sigma_w with sigma_w^2 V_phi'(q*) = 1 at
 * the fixed point q* = sigma_w^2 V_phi(q*) + sigma_b^2 of the variance map (activation x =
 * mult phi). Closed form for relu (sqrt 2 / mult) and identity (1 / mult); erf and tanh solve
 * for q* (Hayou et al. Sec. 2.3). Returns NAN for activations without an edge of chaos curve. */
double ntk_spec_eoc_sigma_w(const ntk_act *act, double mult, double sigma_b);

#endif
