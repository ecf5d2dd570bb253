/* archive.h - the sweep archive: one HDF5 file per sweep, written collectively over MPI-IO.
 *
 * The archive knows nothing about specs or engines: the caller describes a generic layout (grid
 * axes, result dimensions, one or more sections of self-describing quantities, quantity.h) and
 * hands over one record per grid point and section. File format, parallel-write protocol and
 * crash-safety protocol: docs/archive.md. In short:
 *
 *   /                     attrs Conventions, title, source, spec_hash, layout_hash, completion
 *   /provenance           attrs (versions, compiler, libraries, ...), spec_text, and one group
 *                         run_NNN per run (times, command line, hosts, ranks, completion)
 *   /<section>/           one group per section ("theory", "sim", ...), readable on its own with
 *                         xarray.open_dataset(path, group=<section>, engine="netcdf4")
 *       <axis>            coordinate variable per grid axis (numbers or string labels)
 *       layer group sample stat pair input   coordinate variables of the result dims used
 *       pair_i pair_j     auxiliary coordinates: the two inputs of each pair
 *       <quantity>        float64 [axes..., quantity dims...], NaN fill, chunked, filtered
 *       status            uint8 [axes...]: 0 pending, 1 done, 2 failed
 *       seconds           float64 [axes...]: compute time of the point's record
 *       n_nonfinite       int64 [axes...]: non-finite values reported by the engine
 *
 * Grid points are numbered row-major over the axes (the LAST axis varies fastest), as in spec.h.
 *
 * Collectivity: create, open_resume, write and close are collective over the communicator:
 * every rank calls them in the same order with the same layout; all ranks return the same
 * status code (a rank that did not fail itself receives the failing rank's message). Only rank 0
 * touches file metadata (serially, before and after the MPI-IO phase); the MPI-IO phase only
 * writes raw data. Functions that take no communicator are serial and need no MPI.
 *
 * Crash safety: every write is first appended to a per-rank journal `<path>.journal/<rank>`
 * (CRC-checked records, fdatasync'd), then written to HDF5; resuming writes journal records of
 * points not marked done, compares those marked done bit for bit (rewriting any difference), and
 * rebuilds the file from the journals when it is unreadable. Journals are removed by a complete
 * close. Results are bit-identical whatever the number of ranks and the number of interruptions.
 *
 * Not thread-safe: one thread per process calls the archive (HDF5 is built without threads).
 */
#ifndef NTKSWEEP_ARCHIVE_H
#define NTKSWEEP_ARCHIVE_H

#include "ntksweep/quantity.h"

#include <stddef.h>
#include <stdio.h>

/* Per-point, per-section status values (the `status` datasets and the resume masks). */
enum { NTK_ARCHIVE_PENDING = 0, NTK_ARCHIVE_DONE = 1, NTK_ARCHIVE_FAILED = 2 };

/* An auxiliary coordinate along an axis, e.g. the members of a zipped axis (sigma_w and sigma_b
 * varied together): written as a 1-D variable over the axis and listed in the `coordinates`
 * attribute of every quantity. */
typedef struct {
    const char *name;        /* variable name (must not clash with any other name)      */
    const char *units;       /* NULL: "1"                                               */
    const char *description; /* NULL: ""                                                */
    const double *values;    /* the axis' n values                                      */
} ntk_archive_aux;

/* A grid axis. Exactly one of values / labels is non-NULL. */
typedef struct {
    const char *name;          /* coordinate and dimension name, e.g. "sigma_w"            */
    const char *units;         /* NULL: "1"                                                */
    const char *description;   /* NULL: ""                                                 */
    long n;                    /* number of values, >= 1                                   */
    const double *values;      /* numeric axis: n coordinate values                        */
    const char *const *labels; /* categorical axis: n labels (variable-length strings)     */
    const ntk_archive_aux *aux;
    int n_aux;
} ntk_archive_axis;

/* A section: one HDF5 group holding one dataset per quantity of the table. */
typedef struct {
    const char *name;        /* group name, e.g. "theory", "sim"                         */
    const char *description; /* NULL: ""                                                 */
    const ntk_qty_desc *qty; /* quantity table (dims per quantity.h), borrowed            */
    int n_qty;
} ntk_archive_section;

/* The layout of an archive. All pointers are borrowed for the duration of a call only (the
 * archive keeps its own copies of what it needs). */
typedef struct {
    const ntk_archive_axis *axes; /* at least one axis; a single point uses an axis of length 1 */
    int n_axes;
    long n_layer;                   /* layer dimension: max depth + 1, or 1 (final layer only)   */
    const long *layer_values;       /* n_layer coordinate values; NULL: 0 .. n_layer-1           */
    const char *layer_description;  /* NULL: a default sentence                              */
    int k;                          /* inputs; pair dimension k (k + 1) / 2 (quantity.h order)   */
    int n_group;                    /* groups (NTK_GROUP_COUNT); needed if a quantity has GROUP  */
    const char *const *group_names; /* NULL: ntk_group_name(g)                               */
    int n_stat;                     /* statistics (NTK_STAT_COUNT); needed if a quantity has STAT */
    const char *const *stat_names;  /* NULL: ntk_stat_name(s)                                */
    long n_sample; /* sample dimension (0 .. n_sample-1); needed (>= 1) if a quantity has SAMPLE */
    const ntk_archive_section *sections;
    int n_sections;
    int deflate;       /* 0..9; 0 = no shuffle/deflate                              */
    int fletcher32;    /* 1: Fletcher-32 checksum per chunk (recommended)           */
    long chunk_points; /* grid points per chunk along the last axis; 0 = automatic  */
} ntk_archive_layout;

/* A key/value string recorded in /provenance (e.g. {"libyaml", "0.2.5"}). */
typedef struct {
    const char *key;
    const char *value;
} ntk_archive_kv;

/* Provenance supplied by the caller. The archive adds itself: ntksweep version and git
 * revision, compiler and flags (version.h), MPI library version, HDF5 version, hostnames of all
 * ranks, rank count, start/end times (ISO 8601 UTC) and the completion status. */
typedef struct {
    const char *spec_name;    /* archive title                                             */
    const char *spec_text;    /* the spec verbatim (NULL: "")                              */
    const char *spec_hash;    /* identifies the sweep (e.g. "fnv1a64:0123abcd..."); required */
    const char *command_line; /* NULL: ""                                                  */
    const ntk_archive_kv *extra;
    int n_extra;
} ntk_archive_prov;

typedef struct ntk_archive ntk_archive;

/* ------------------------------------------------------------------ layout helpers (serial) */

/* Validates a layout: names non-empty, unique and free of '/', no clash with the reserved names
 * (layer, group, sample, stat, pair, input, pair_i, pair_j, status, seconds, n_nonfinite),
 * lengths >= 1,
 * finite numeric coordinates, dims valid, deflate 0..9. Returns 0 or NTK_EINVAL naming the
 * offending item. */
int ntk_archive_layout_check(const ntk_archive_layout *lay);
/* Number of grid points (product of the axis lengths). */
long ntk_archive_npoints(const ntk_archive_layout *lay);
/* Doubles one point of a quantity with these dims occupies in the archive (layer length
 * lay->n_layer, sample length lay->n_sample). */
size_t ntk_archive_qty_count(const ntk_archive_layout *lay, unsigned dims);
/* Doubles in one record of a section: the sum of ntk_archive_qty_count over its quantities, in
 * table order. 0 for a bad section index. */
size_t ntk_archive_record_size(const ntk_archive_layout *lay, int section);
/* Packs one point's engine output into a record (ntk_archive_record_size doubles, caller
 * storage). qty[q] is quantity q of the section's table shaped for *sh (quantity.h), or NULL for
 * all-NaN. The layer dimension is padded with NaN beyond sh->n_layer rows when lay->n_layer > 1
 * (which needs sh->n_layer <= lay->n_layer); when lay->n_layer == 1 only the last row
 * (sh->n_layer - 1) is kept. The sample dimension is padded with NaN beyond sh->n_sample samples
 * (0 <= sh->n_sample <= lay->n_sample). The other dims of *sh must equal the layout's. Returns 0
 * or NTK_EINVAL. */
int ntk_archive_pack(const ntk_archive_layout *lay, int section, const ntk_qty_shape *sh,
                     const double *const *qty, double *record);

/* ------------------------------------------------------------------ collective lifecycle */

/* Creates the archive at path for a new sweep (collective over *comm, a pointer to an MPI_Comm,
 * e.g. ntk_sched_comm(); NULL means MPI_COMM_WORLD; MPI must be initialized).
 * Refuses with NTK_EEXIST (and leaves everything untouched) unless force is set when path (or its
 * journal) already exists: "belongs to another sweep" when the spec hash differs, "use --resume
 * or --force" when it holds the same sweep. Rank 0 builds the skeleton (groups, coordinates,
 * empty datasets with attributes and dimension scales, provenance) under "<path>.tmp" and renames
 * it into place, so a failed or killed create leaves no half-written archive; then all ranks open
 * it with MPI-IO. On success *out owns the archive (release with ntk_archive_close); on failure
 * *out is NULL and NTK_EINVAL / NTK_EEXIST / NTK_EIO / NTK_EHDF5 / NTK_EMPI / NTK_ENOMEM is
 * returned. */
int ntk_archive_create(void *comm, const char *path, const ntk_archive_layout *lay,
                       const ntk_archive_prov *prov, int force, ntk_archive **out);

/* Reopens an archive to continue a sweep (collective, as ntk_archive_create). The archive must
 * hold the same spec (prov->spec_hash; otherwise NTK_EEXIST) and the same layout (otherwise
 * NTK_EINVAL: e.g. another ntksweep version). Rank 0 verifies the file (opens it and reads every
 * dataset); journal records of points not marked done are replayed into it; an unreadable or
 * missing file is rebuilt from a fresh skeleton and all journals (the damaged file is kept as
 * "<path>.corrupt"). When neither the archive nor a journal exists this is a create.
 * done_mask (ntk_archive_npoints entries, caller storage, may be NULL) is filled on every rank:
 * NTK_ARCHIVE_DONE if every section of the point is done, NTK_ARCHIVE_FAILED if none is pending
 * and one failed, NTK_ARCHIVE_PENDING otherwise. Ownership and errors as ntk_archive_create. */
int ntk_archive_open_resume(void *comm, const char *path, const ntk_archive_layout *lay,
                            const ntk_archive_prov *prov, ntk_archive **out,
                            unsigned char *done_mask);

/* Status of every point of a section as found when the archive was opened (after replay),
 * npoints entries owned by the archive; NULL for a bad section index. */
const unsigned char *ntk_archive_open_status(const ntk_archive *a, int section);

/* Writes records of one section (COLLECTIVE: every rank calls it, n_local may be 0).
 * point_idx[i] (distinct, 0 <= idx < npoints) is the grid point of record i; data[i] is its
 * record (ntk_archive_record_size doubles: the section's quantities in table order, each padded
 * to the layout's layer length, see ntk_archive_pack), or NULL to mark the point failed (its data
 * stay NaN); seconds[i] and nonfinite[i] (may be NULL: NaN and 0) go to the per-point datasets.
 * Points may be scattered over the grid and over ranks; two ranks must not write the same point
 * in one call. Order of durability: journal (fdatasync), data, flush, status, flush; a point is
 * marked done only once its data are on disk. Returns 0, NTK_EINVAL (bad arguments on some
 * rank), NTK_EIO (journal) or NTK_EHDF5. After a failure the archive may only be closed; the
 * journal keeps every record that was accepted. */
int ntk_archive_write(ntk_archive *a, long n_local, const long *point_idx,
                      const double *const *data, const double *seconds, const long *nonfinite,
                      int section);

/* Closes the archive (collective for a writer, serial for a reader) and frees it; NULL is a
 * no-op. A writer records the end time and the completion status ("complete" if complete is set
 * and no point of any section is pending, otherwise "interrupted"), and a complete close removes
 * the journals. Handles are closed in reverse order of opening. Returns 0 or the first error
 * (the archive is freed in any case). */
int ntk_archive_close(ntk_archive *a, int complete);

/* ------------------------------------------------------------------ serial readers */

/* Opens an archive read-only without MPI (no file locking, so it can inspect a running sweep,
 * whose latest epoch may not be visible yet). The layout must match the file (NTK_EINVAL
 * otherwise). Release with ntk_archive_close. */
int ntk_archive_open_read(const char *path, const ntk_archive_layout *lay, ntk_archive **out);

/* Reads the record of point in section of an archive opened by ntk_archive_open_read into record
 * (ntk_archive_record_size doubles); status, seconds and nonfinite may be NULL. Returns 0,
 * NTK_EINVAL or NTK_EHDF5. */
int ntk_archive_read(ntk_archive *a, int section, long point, double *record, unsigned char *status,
                     double *seconds, long *nonfinite);

/* Prints a human-readable summary of the archive at path to out: spec name and hash,
 * provenance, runs, completion (done / pending / failed counts per section), grid axes, every
 * quantity with its shape and its non-finite values in done points (NaN and inf counts), the
 * journal state and the spec text. Serial, no MPI. Returns 0, NTK_EIO (not readable) or
 * NTK_EHDF5. */
int ntk_archive_info(const char *path, FILE *out);

#endif
