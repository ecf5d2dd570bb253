/* archive.c - the sweep archive: skeleton, MPI-IO writes, journal replay and close (archive.h).
 *
 * Protocol (docs/archive.md):
 *  - metadata (groups, datasets, attributes, dimension scales, provenance) is written by rank 0
 *    alone with the serial driver, before the MPI-IO phase (create/resume) and after it (close);
 *  - in the MPI-IO phase every rank only writes raw data with collective transfers; a rank with
 *    nothing to write selects nothing and still takes part;
 *  - a write epoch is: journal append + fdatasync (per rank), data, flush, status, flush;
 *  - every rank-local failure is agreed over the communicator before the next collective step.
 */
#include "io/archive_private.h"
#include "io/h5util.h"
#include "io/journal.h"

#include "ntksweep/error.h"
#include "ntksweep/model.h"
#include "ntksweep/version.h"

#include <errno.h>
#include <fcntl.h>
#include <hdf5_hl.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* Chunks hold one point's record (points are written in scattered order, and a chunk written
 * twice is decompressed and recompressed whole), several points' when a record is below
 * CHUNK_MIN_BYTES, and a record above CHUNK_MAX_BYTES is split along the layers. */
#define CHUNK_MIN_BYTES    1024u
#define CHUNK_MAX_BYTES    (1024u * 1024u)
#define REPLAY_BATCH_BYTES (64u * 1024u * 1024u)

/* ------------------------------------------------------------------ small helpers */

uint64_t ntk_ar_fnv(uint64_t h, const void *p, size_t n)
{
    const unsigned char *c = p;
    for (size_t i = 0; i < n; i++) {
        h ^= c[i];
        h *= 0x100000001b3ULL;
    }
    return h;
}

static uint64_t fnv_str(uint64_t h, const char *s)
{
    return ntk_ar_fnv(h, s ? s : "", (s ? strlen(s) : 0) + 1);
}

static uint64_t fnv_i64(uint64_t h, int64_t v)
{
    return ntk_ar_fnv(h, &v, sizeof v);
}

void ntk_ar_iso_now(char buf[32])
{
    time_t t = time(NULL);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(buf, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static char *cat2(const char *a, const char *b)
{
    size_t na = strlen(a), nb = strlen(b);
    char *s = malloc(na + nb + 1);
    if (s) {
        memcpy(s, a, na);
        memcpy(s + na, b, nb + 1);
    }
    return s;
}

static int file_exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0;
}

static int fsync_path(const char *path)
{
    int fd = open(path, O_RDONLY);
    if (fd < 0 || fsync(fd) != 0) {
        int e = errno;
        if (fd >= 0) close(fd);
        return ntk_error_set(NTK_EIO, "cannot sync '%s': %s", path, strerror(e));
    }
    close(fd);
    return 0;
}

/* File access for rank 0's serial phases: the default driver, with HDF5's file lock where the
 * file system supports it (and no failure where it does not, e.g. some parallel file systems). */
static hid_t serial_fapl(void)
{
    hid_t p = H5Pcreate(H5P_FILE_ACCESS);
    if (p >= 0) H5Pset_file_locking(p, 1, 1);
    return p;
}

static const char *group_name_(const ntk_archive_layout *lay, int g)
{
    return lay->group_names ? lay->group_names[g] : ntk_group_name(g);
}

static const char *stat_name_(const ntk_archive_layout *lay, int s)
{
    return lay->stat_names ? lay->stat_names[s] : ntk_stat_name(s);
}

/* ------------------------------------------------------------------ MPI agreement */

/* Collective: the most negative status over ranks; ranks that did not fail receive the message
 * of the lowest failing rank. */
static int agree(const ntk_archive *a, int rc)
{
    if (a->mode != NTK_AR_PARALLEL) return rc;
    int in[2] = {rc, a->rank}, out[2];
    if (MPI_Allreduce(in, out, 1, MPI_2INT, MPI_MINLOC, a->comm) != MPI_SUCCESS)
        return ntk_error_set(NTK_EMPI, "archive '%s': MPI_Allreduce failed", a->path);
    if (out[0] == 0) return 0;
    char msg[2048];
    if (a->rank == out[1]) snprintf(msg, sizeof msg, "%s", ntk_error_msg());
    MPI_Bcast(msg, (int)sizeof msg, MPI_CHAR, out[1], a->comm);
    msg[sizeof msg - 1] = '\0';
    if (a->rank != out[1]) {
        if (out[1] != 0)
            ntk_error_set(out[0], "rank %d: %s", out[1], msg);
        else
            ntk_error_set(out[0], "%s", msg);
    }
    return out[0];
}

/* Collective: broadcast n bytes from rank 0 in pieces below INT_MAX. */
static int bcast_bytes(const ntk_archive *a, void *buf, size_t n)
{
    unsigned char *p = buf;
    while (n > 0) {
        int m = n > (1u << 30) ? (1 << 30) : (int)n;
        if (MPI_Bcast(p, m, MPI_UNSIGNED_CHAR, 0, a->comm) != MPI_SUCCESS)
            return ntk_error_set(NTK_EMPI, "archive '%s': MPI_Bcast failed", a->path);
        p += m;
        n -= (size_t)m;
    }
    return 0;
}

/* Collective: comma-separated processor names of all ranks (malloc'd on rank 0, NULL elsewhere;
 * *rc set on allocation failure). */
static char *gather_hosts(const ntk_archive *a, int *rc)
{
    char name[MPI_MAX_PROCESSOR_NAME + 1] = "";
    int len = 0;
    MPI_Get_processor_name(name, &len);
    name[len < 0 ? 0 : len] = '\0';
    char *all = NULL;
    if (a->rank == 0) all = calloc((size_t)a->size, MPI_MAX_PROCESSOR_NAME + 1);
    MPI_Gather(name, MPI_MAX_PROCESSOR_NAME + 1, MPI_CHAR, all, MPI_MAX_PROCESSOR_NAME + 1,
               MPI_CHAR, 0, a->comm);
    if (a->rank != 0) return NULL;
    char *out = all ? malloc((size_t)a->size * (MPI_MAX_PROCESSOR_NAME + 2) + 1) : NULL;
    if (!out) {
        free(all);
        *rc = ntk_error_set(NTK_ENOMEM, "out of memory for host names");
        return NULL;
    }
    size_t o = 0;
    for (int r = 0; r < a->size; r++) {
        const char *h = all + (size_t)r * (MPI_MAX_PROCESSOR_NAME + 1);
        size_t n = strlen(h);
        if (r) out[o++] = ',';
        memcpy(out + o, h, n);
        o += n;
    }
    out[o] = '\0';
    free(all);
    return out;
}

/* ------------------------------------------------------------------ derived layout */

static void archive_free_(ntk_archive *a)
{
    if (!a) return;
    for (int s = 0; s < a->n_sec; s++) {
        for (int q = 0; q < a->sec[s].n_qty; q++)
            free(a->sec[s].q[q].name);
        free(a->sec[s].q);
        free(a->sec[s].name);
    }
    free(a->sec);
    free(a->status0);
    free(a->path);
    free(a->jdir);
    if (a->comm != MPI_COMM_NULL) {
        int fin = 0;
        MPI_Finalized(&fin);
        if (!fin) MPI_Comm_free(&a->comm);
    }
    free(a);
}

/* Hash of everything that fixes the shape and coordinates of the archive (not the texts). */
static uint64_t layout_hash_(const ntk_archive_layout *lay)
{
    uint64_t h = fnv_str(0xcbf29ce484222325ULL, "ntksweep-archive-layout-1");
    h = fnv_i64(h, lay->n_axes);
    for (int a = 0; a < lay->n_axes; a++) {
        const ntk_archive_axis *ax = &lay->axes[a];
        h = fnv_str(h, ax->name);
        h = fnv_i64(h, ax->n);
        for (long i = 0; i < ax->n; i++)
            h = ax->values ? ntk_ar_fnv(h, &ax->values[i], sizeof(double))
                           : fnv_str(h, ax->labels[i]);
        h = fnv_i64(h, ax->n_aux);
        for (int j = 0; j < ax->n_aux; j++) {
            h = fnv_str(h, ax->aux[j].name);
            h = ntk_ar_fnv(h, ax->aux[j].values, (size_t)ax->n * sizeof(double));
        }
    }
    h = fnv_i64(h, lay->n_layer);
    for (long l = 0; l < lay->n_layer; l++)
        h = fnv_i64(h, lay->layer_values ? lay->layer_values[l] : l);
    h = fnv_i64(h, lay->k);
    h = fnv_i64(h, lay->n_group);
    for (int g = 0; g < lay->n_group; g++)
        h = fnv_str(h, group_name_(lay, g));
    h = fnv_i64(h, lay->n_stat);
    for (int s = 0; s < lay->n_stat; s++)
        h = fnv_str(h, stat_name_(lay, s));
    /* The sample length enters only when a quantity has the sample dim, so that layouts without
     * one keep the hash they had before the dim existed. */
    unsigned used = 0;
    for (int s = 0; s < lay->n_sections; s++)
        for (int q = 0; q < lay->sections[s].n_qty; q++)
            used |= lay->sections[s].qty[q].dims;
    if (used & NTK_DIM_SAMPLE) h = fnv_i64(h, lay->n_sample);
    h = fnv_i64(h, lay->n_sections);
    for (int s = 0; s < lay->n_sections; s++) {
        h = fnv_str(h, lay->sections[s].name);
        h = fnv_i64(h, lay->sections[s].n_qty);
        for (int q = 0; q < lay->sections[s].n_qty; q++) {
            h = fnv_str(h, lay->sections[s].qty[q].name);
            h = fnv_i64(h, lay->sections[s].qty[q].dims);
        }
    }
    return h;
}

/* Allocates an archive handle with the derived shapes of lay (validated). */
static int archive_new_(const char *path, const ntk_archive_layout *lay, const char *spec_hash,
                        ntk_archive **out)
{
    *out = NULL;
    if (!path || !path[0]) return ntk_error_set(NTK_EINVAL, "archive: empty path");
    NTK_TRY(ntk_archive_layout_check(lay));
    ntk_archive *a = calloc(1, sizeof *a);
    if (!a) return ntk_error_set(NTK_ENOMEM, "out of memory");
    a->comm = MPI_COMM_NULL;
    a->jfd = -1;
    a->file = a->dxpl = -1;
    a->path = strdup(path);
    a->jdir = cat2(path, ".journal");
    a->n_axes = lay->n_axes;
    a->n_points = ntk_archive_npoints(lay);
    a->n_sec = lay->n_sections;
    a->sec = calloc((size_t)a->n_sec, sizeof *a->sec);
    a->status0 = calloc((size_t)a->n_sec * (size_t)a->n_points, 1);
    if (!a->path || !a->jdir || !a->sec || !a->status0) goto nomem;
    for (int i = 0; i < a->n_axes; i++)
        a->grid[i] = (hsize_t)lay->axes[i].n;
    a->layout_hash = layout_hash_(lay);
    a->key = fnv_str(ntk_ar_fnv(0xcbf29ce484222325ULL, &a->layout_hash, 8), spec_hash);
    for (int s = 0; s < a->n_sec; s++) {
        const ntk_archive_section *ls = &lay->sections[s];
        ntk_ar_section *sec = &a->sec[s];
        sec->g = sec->d_status = sec->d_seconds = sec->d_nonfinite = -1;
        sec->name = strdup(ls->name);
        sec->q = calloc((size_t)ls->n_qty, sizeof *sec->q);
        if (!sec->name || !sec->q) goto nomem;
        sec->n_qty = ls->n_qty;
        for (int q = 0; q < ls->n_qty; q++) {
            ntk_ar_qty *Q = &sec->q[q];
            Q->d = -1;
            Q->name = strdup(ls->qty[q].name);
            if (!Q->name) goto nomem;
            Q->dims = ls->qty[q].dims;
            int r = 0;
            for (int i = 0; i < a->n_axes; i++)
                Q->shape[r++] = a->grid[i];
            if (Q->dims & NTK_DIM_LAYER) Q->shape[r++] = (hsize_t)lay->n_layer;
            if (Q->dims & NTK_DIM_GROUP) Q->shape[r++] = (hsize_t)lay->n_group;
            if (Q->dims & NTK_DIM_SAMPLE) Q->shape[r++] = (hsize_t)lay->n_sample;
            if (Q->dims & NTK_DIM_STAT) Q->shape[r++] = (hsize_t)lay->n_stat;
            if (Q->dims & NTK_DIM_PAIR)
                Q->shape[r++] = (hsize_t)(lay->k * (lay->k + 1) / 2);
            else if (Q->dims & NTK_DIM_INPUT)
                Q->shape[r++] = (hsize_t)lay->k;
            Q->rank = r;
            Q->count = ntk_archive_qty_count(lay, Q->dims);
            Q->offset = sec->rec;
            sec->rec += Q->count;
        }
    }
    *out = a;
    return 0;
nomem:
    archive_free_(a);
    return ntk_error_set(NTK_ENOMEM, "out of memory for archive '%s'", path);
}

/* ------------------------------------------------------------------ handles */

static void close_handles(ntk_archive *a)
{
    for (int s = a->n_sec - 1; s >= 0; s--) {
        ntk_ar_section *sec = &a->sec[s];
        hid_t *ds[3] = {&sec->d_nonfinite, &sec->d_seconds, &sec->d_status};
        for (int i = 0; i < 3; i++)
            if (*ds[i] >= 0) {
                H5Dclose(*ds[i]);
                *ds[i] = -1;
            }
        for (int q = sec->n_qty - 1; q >= 0; q--)
            if (sec->q[q].d >= 0) {
                H5Dclose(sec->q[q].d);
                sec->q[q].d = -1;
            }
        if (sec->g >= 0) {
            H5Gclose(sec->g);
            sec->g = -1;
        }
    }
    if (a->dxpl >= 0) {
        H5Pclose(a->dxpl);
        a->dxpl = -1;
    }
}

static int close_file(ntk_archive *a)
{
    close_handles(a);
    int rc = 0;
    if (a->file >= 0) {
        if (H5Fclose(a->file) < 0) rc = ntk_h5_fail("archive '%s': cannot close the file", a->path);
        a->file = -1;
    }
    return rc;
}

static int check_shape(const ntk_archive *a, hid_t d, const char *sec, const char *name, int rank,
                       const hsize_t *want)
{
    hid_t sp = H5Dget_space(d);
    if (sp < 0) return ntk_h5_fail("archive '%s': dataset '/%s/%s'", a->path, sec, name);
    hsize_t got[H5S_MAX_RANK];
    int r = H5Sget_simple_extent_dims(sp, got, NULL);
    H5Sclose(sp);
    int same = r == rank;
    for (int i = 0; same && i < rank; i++)
        same = got[i] == want[i];
    if (!same)
        return ntk_error_set(NTK_EINVAL,
                             "archive '%s': dataset '/%s/%s' does not have the shape of this "
                             "layout (another ntksweep version or spec?)",
                             a->path, sec, name);
    return 0;
}

/* Opens the file and every dataset of the layout, checking shapes. fapl may be H5P_DEFAULT. */
static int open_handles(ntk_archive *a, hid_t fapl, unsigned flags)
{
    a->file = H5Fopen(a->path, flags, fapl);
    if (a->file < 0) return ntk_h5_fail("archive '%s': cannot open", a->path);
    a->dxpl = H5Pcreate(H5P_DATASET_XFER);
    if (a->dxpl < 0) return ntk_h5_fail("archive '%s': transfer property list", a->path);
    if (a->mode == NTK_AR_PARALLEL && H5Pset_dxpl_mpio(a->dxpl, H5FD_MPIO_COLLECTIVE) < 0)
        return ntk_h5_fail("archive '%s': collective transfer mode", a->path);
    for (int s = 0; s < a->n_sec; s++) {
        ntk_ar_section *sec = &a->sec[s];
        sec->g = H5Gopen2(a->file, sec->name, H5P_DEFAULT);
        if (sec->g < 0)
            return ntk_h5_fail("archive '%s': cannot open group '/%s'", a->path, sec->name);
        for (int q = 0; q < sec->n_qty; q++) {
            ntk_ar_qty *Q = &sec->q[q];
            Q->d = H5Dopen2(sec->g, Q->name, H5P_DEFAULT);
            if (Q->d < 0)
                return ntk_h5_fail("archive '%s': cannot open dataset '/%s/%s'", a->path, sec->name,
                                   Q->name);
            NTK_TRY(check_shape(a, Q->d, sec->name, Q->name, Q->rank, Q->shape));
        }
        const char *pn[3] = {NTK_AR_STATUS, NTK_AR_SECONDS, NTK_AR_NONFINITE};
        hid_t *pd[3] = {&sec->d_status, &sec->d_seconds, &sec->d_nonfinite};
        for (int i = 0; i < 3; i++) {
            *pd[i] = H5Dopen2(sec->g, pn[i], H5P_DEFAULT);
            if (*pd[i] < 0)
                return ntk_h5_fail("archive '%s': cannot open dataset '/%s/%s'", a->path, sec->name,
                                   pn[i]);
            NTK_TRY(check_shape(a, *pd[i], sec->name, pn[i], a->n_axes, a->grid));
        }
    }
    return 0;
}

/* ------------------------------------------------------------------ skeleton */

static hid_t dcpl_new(void)
{
    hid_t p = H5Pcreate(H5P_DATASET_CREATE);
    if (p >= 0 &&
        H5Pset_attr_creation_order(p, H5P_CRT_ORDER_TRACKED | H5P_CRT_ORDER_INDEXED) < 0) {
        H5Pclose(p);
        p = -1;
    }
    return p;
}

static int coord_attrs(hid_t d, const char *units, const char *long_name, const char *desc)
{
    if (units) NTK_TRY(ntk_h5_attr_str(d, "units", units));
    NTK_TRY(ntk_h5_attr_str(d, "long_name", long_name));
    NTK_TRY(ntk_h5_attr_str(d, "description", desc ? desc : ""));
    return 0;
}

/* 1-D dataset of n values of memory type mt (file type ft); returns the open id or -1. */
static hid_t dset_1d(hid_t g, const char *name, hid_t ft, hid_t mt, hsize_t n, const void *buf)
{
    hid_t sp = H5Screate_simple(1, &n, NULL);
    hid_t pl = dcpl_new();
    hid_t d = -1;
    if (sp >= 0 && pl >= 0) d = H5Dcreate2(g, name, ft, sp, H5P_DEFAULT, pl, H5P_DEFAULT);
    if (d >= 0 && H5Dwrite(d, mt, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf) < 0) {
        H5Dclose(d);
        d = -1;
    }
    if (pl >= 0) H5Pclose(pl);
    if (sp >= 0) H5Sclose(sp);
    return d;
}

static hid_t dset_strings(hid_t g, const char *name, hsize_t n, const char *const *v)
{
    hid_t t = H5Tcopy(H5T_C_S1);
    if (t < 0) return -1;
    hid_t d = -1;
    if (H5Tset_size(t, H5T_VARIABLE) >= 0 && H5Tset_cset(t, H5T_CSET_UTF8) >= 0)
        d = dset_1d(g, name, t, t, n, v);
    H5Tclose(t);
    return d;
}

/* A coordinate variable that is also the dimension scale `name`. */
static int make_scale(hid_t d, const char *name)
{
    if (d < 0) return ntk_h5_fail("cannot create coordinate '%s'", name);
    if (H5DSset_scale(d, name) < 0) return ntk_h5_fail("cannot make '%s' a dimension scale", name);
    return 0;
}

/* Chunk shape of quantity Q: full records of one or a few points (along the fastest axes). A
 * record above CHUNK_MAX_BYTES is split along layer, and one whose layer row (or, without layer,
 * whole record) still exceeds it along sample too. */
static void chunk_shape(const ntk_archive *a, const ntk_archive_layout *lay, const ntk_ar_qty *Q,
                        hsize_t *chunk)
{
    for (int r = 0; r < Q->rank; r++)
        chunk[r] = r < a->n_axes ? 1 : Q->shape[r];
    size_t rec_bytes = Q->count * sizeof(double);
    if (rec_bytes > CHUNK_MAX_BYTES && (Q->dims & NTK_DIM_LAYER)) {
        size_t row = rec_bytes / (size_t)lay->n_layer;
        hsize_t rows = (hsize_t)(CHUNK_MAX_BYTES / row);
        chunk[a->n_axes] = rows < 1 ? 1 : rows;
        rec_bytes = (size_t)chunk[a->n_axes] * row;
    }
    if (rec_bytes > CHUNK_MAX_BYTES && (Q->dims & NTK_DIM_SAMPLE)) {
        /* Dims before sample: layer (now one row) and group (kept whole). */
        int r = a->n_axes + ((Q->dims & NTK_DIM_LAYER) != 0) + ((Q->dims & NTK_DIM_GROUP) != 0);
        size_t per = rec_bytes / (size_t)lay->n_sample; /* bytes of one sample in the chunk */
        hsize_t ns = (hsize_t)(CHUNK_MAX_BYTES / per);
        chunk[r] = ns < 1 ? 1 : ns;
        rec_bytes = (size_t)chunk[r] * per;
    }
    hsize_t p = lay->chunk_points > 0 ? (hsize_t)lay->chunk_points
                                      : (hsize_t)(CHUNK_MIN_BYTES / (rec_bytes ? rec_bytes : 1));
    /* HDF5 chunks must stay below 4 GiB. */
    hsize_t pmax = (hsize_t)((1ull << 31) / (rec_bytes ? rec_bytes : 1));
    if (p > pmax) p = pmax;
    if (p < 1) p = 1;
    for (int i = a->n_axes - 1; i >= 0 && p > 1; i--) {
        hsize_t take = p < a->grid[i] ? p : a->grid[i];
        chunk[i] = take;
        p /= take;
        if (take < a->grid[i]) break;
    }
}

/* Attaches the scales of the grid axes and of the quantity's own dims. */
static int attach_scales(hid_t d, const char *name, int n_axes, const hid_t *ax, unsigned dims,
                         const hid_t *own)
{
    int r = 0;
    for (int i = 0; i < n_axes; i++, r++)
        if (H5DSattach_scale(d, ax[i], (unsigned)r) < 0)
            return ntk_h5_fail("cannot attach axis %d to '%s'", i, name);
    /* own[]: layer, group, stat, pair, input, sample; attached in quantity.h's dim order. */
    const unsigned bits[5] = {NTK_DIM_LAYER, NTK_DIM_GROUP, NTK_DIM_SAMPLE, NTK_DIM_STAT,
                              NTK_DIM_PAIR | NTK_DIM_INPUT};
    const int which[4] = {0, 1, 5, 2};
    for (int k = 0; k < 5; k++) {
        if (!(dims & bits[k])) continue;
        hid_t sc = k < 4 ? own[which[k]] : ((dims & NTK_DIM_PAIR) ? own[3] : own[4]);
        if (H5DSattach_scale(d, sc, (unsigned)r) < 0)
            return ntk_h5_fail("cannot attach dimension %d to '%s'", r, name);
        r++;
    }
    return 0;
}

/* The `coordinates` attribute: auxiliary coordinates of the axes (+ pair_i pair_j). */
static int coords_attr(hid_t d, const ntk_archive_layout *lay, int pair)
{
    char buf[4096] = "";
    size_t o = 0;
    for (int i = 0; i < lay->n_axes; i++)
        for (int j = 0; j < lay->axes[i].n_aux; j++)
            o += (size_t)snprintf(buf + o, o < sizeof buf ? sizeof buf - o : 0, "%s%s",
                                  o ? " " : "", lay->axes[i].aux[j].name);
    if (pair && o < sizeof buf)
        o += (size_t)snprintf(buf + o, sizeof buf - o, "%spair_i pair_j", o ? " " : "");
    if (o >= sizeof buf)
        return ntk_error_set(NTK_EINVAL, "archive layout: too many auxiliary coordinates");
    return o ? ntk_h5_attr_str(d, "coordinates", buf) : 0;
}

static int build_section(const ntk_archive *a, hid_t file, const ntk_archive_layout *lay, int s)
{
    const ntk_archive_section *ls = &lay->sections[s];
    const ntk_ar_section *sec = &a->sec[s];
    hid_t gcpl = ntk_h5_gcpl();
    hid_t g = gcpl >= 0 ? H5Gcreate2(file, ls->name, H5P_DEFAULT, gcpl, H5P_DEFAULT) : -1;
    if (gcpl >= 0) H5Pclose(gcpl);
    if (g < 0) return ntk_h5_fail("cannot create group '/%s'", ls->name);
    hid_t ax[NTK_AR_MAX_AXES], own[6] = {-1, -1, -1, -1, -1, -1}, extra[2] = {-1, -1};
    int n_ax = 0, rc = 0;
    double nan = NAN;
    int64_t *lv = NULL;
    int32_t *iv = NULL;
    const char **names = NULL;
    unsigned used = 0;
    for (int q = 0; q < ls->n_qty; q++)
        used |= ls->qty[q].dims;

    rc = ntk_h5_attr_str(g, "description", ls->description);
    if (!rc) {
        char axes[4096] = "";
        size_t o = 0;
        for (int i = 0; i < lay->n_axes && o < sizeof axes; i++)
            o += (size_t)snprintf(axes + o, sizeof axes - o, "%s%s", i ? "," : "",
                                  lay->axes[i].name);
        rc = ntk_h5_attr_str(g, "grid_axes", axes);
    }
    /* Grid axes and their auxiliary coordinates. */
    for (int i = 0; !rc && i < lay->n_axes; i++) {
        const ntk_archive_axis *x = &lay->axes[i];
        ax[i] = x->values ? dset_1d(g, x->name, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, (hsize_t)x->n,
                                    x->values)
                          : dset_strings(g, x->name, (hsize_t)x->n, (const char *const *)x->labels);
        n_ax = i + 1;
        rc = make_scale(ax[i], x->name);
        if (!rc)
            rc = coord_attrs(ax[i], x->values ? (x->units ? x->units : "1") : NULL,
                             x->description && x->description[0] ? x->description : x->name,
                             x->description);
        for (int j = 0; !rc && j < x->n_aux; j++) {
            const ntk_archive_aux *u = &x->aux[j];
            hid_t d =
                dset_1d(g, u->name, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, (hsize_t)x->n, u->values);
            if (d < 0)
                rc = ntk_h5_fail("cannot create coordinate '%s'", u->name);
            else {
                if (H5DSattach_scale(d, ax[i], 0) < 0)
                    rc = ntk_h5_fail("cannot attach axis '%s' to '%s'", x->name, u->name);
                if (!rc)
                    rc = coord_attrs(d, u->units ? u->units : "1",
                                     u->description && u->description[0] ? u->description : u->name,
                                     u->description);
                H5Dclose(d);
            }
        }
    }
    /* Result dimensions used by the section. */
    if (!rc && (used & NTK_DIM_LAYER)) {
        lv = malloc((size_t)lay->n_layer * sizeof *lv);
        if (!lv) rc = ntk_error_set(NTK_ENOMEM, "out of memory");
        for (long l = 0; !rc && l < lay->n_layer; l++)
            lv[l] = lay->layer_values ? lay->layer_values[l] : l;
        if (!rc) {
            own[0] =
                dset_1d(g, "layer", H5T_STD_I64LE, H5T_NATIVE_INT64, (hsize_t)lay->n_layer, lv);
            rc = make_scale(own[0], "layer");
        }
        if (!rc)
            rc = coord_attrs(own[0], "1", "layer",
                             lay->layer_description
                                 ? lay->layer_description
                                 : (lay->n_layer == 1
                                        ? "final layer of each point (the network at its depth)"
                                        : "layer l: the network after block l; rows beyond a "
                                          "point's depth are NaN"));
    }
    if (!rc && (used & NTK_DIM_SAMPLE)) {
        int64_t *sv = malloc((size_t)lay->n_sample * sizeof *sv);
        if (!sv) rc = ntk_error_set(NTK_ENOMEM, "out of memory");
        for (long i = 0; !rc && i < lay->n_sample; i++)
            sv[i] = i;
        if (!rc) {
            own[5] =
                dset_1d(g, "sample", H5T_STD_I64LE, H5T_NATIVE_INT64, (hsize_t)lay->n_sample, sv);
            rc = make_scale(own[5], "sample");
        }
        if (!rc)
            rc = coord_attrs(own[5], "1", "sample",
                             "Monte-Carlo sample number (the sampled network); samples a point "
                             "did not keep are NaN");
        free(sv);
    }
    if (!rc && (used & (NTK_DIM_GROUP | NTK_DIM_STAT))) {
        int n = lay->n_group > lay->n_stat ? lay->n_group : lay->n_stat;
        names = malloc((size_t)(n > 0 ? n : 1) * sizeof *names);
        if (!names) rc = ntk_error_set(NTK_ENOMEM, "out of memory");
    }
    if (!rc && (used & NTK_DIM_GROUP)) {
        for (int i = 0; i < lay->n_group; i++)
            names[i] = group_name_(lay, i);
        own[1] = dset_strings(g, "group", (hsize_t)lay->n_group, names);
        rc = make_scale(own[1], "group");
        if (!rc)
            rc = coord_attrs(own[1], NULL, "parameter group",
                             "parameter group whose contribution is reported");
    }
    if (!rc && (used & NTK_DIM_STAT)) {
        for (int i = 0; i < lay->n_stat; i++)
            names[i] = stat_name_(lay, i);
        own[2] = dset_strings(g, "stat", (hsize_t)lay->n_stat, names);
        rc = make_scale(own[2], "stat");
        if (!rc)
            rc = coord_attrs(own[2], NULL, "statistic",
                             "Monte-Carlo statistic over the sampled networks");
    }
    int k = lay->k, np = k * (k + 1) / 2;
    if (!rc && (used & (NTK_DIM_PAIR | NTK_DIM_INPUT))) {
        iv = malloc((size_t)(3 * np + k) * sizeof *iv);
        if (!iv) rc = ntk_error_set(NTK_ENOMEM, "out of memory");
        for (int i = 0; !rc && i < k; i++)
            iv[i] = i;
        if (!rc) {
            own[4] = dset_1d(g, "input", H5T_STD_I32LE, H5T_NATIVE_INT32, (hsize_t)k, iv);
            rc = make_scale(own[4], "input");
        }
        if (!rc) rc = coord_attrs(own[4], "1", "input", "index of the input x_i");
    }
    if (!rc && (used & NTK_DIM_PAIR)) {
        int32_t *pv = iv + k, *pi = pv + np, *pj = pi + np;
        for (int i = 0; i < k; i++)
            for (int j = i; j < k; j++) {
                int p = ntk_pair_index(i, j, k);
                pv[p] = p;
                pi[p] = i;
                pj[p] = j;
            }
        own[3] = dset_1d(g, "pair", H5T_STD_I32LE, H5T_NATIVE_INT32, (hsize_t)np, pv);
        rc = make_scale(own[3], "pair");
        if (!rc)
            rc = coord_attrs(own[3], "1", "input pair",
                             "index of the input pair (i <= j): (0,0), (0,1), .., (0,k-1), "
                             "(1,1), ..; see pair_i and pair_j");
        const char *en[2] = {"pair_i", "pair_j"};
        for (int e = 0; !rc && e < 2; e++) {
            extra[e] = dset_1d(g, en[e], H5T_STD_I32LE, H5T_NATIVE_INT32, (hsize_t)np, e ? pj : pi);
            if (extra[e] < 0)
                rc = ntk_h5_fail("cannot create coordinate '%s'", en[e]);
            else if (H5DSattach_scale(extra[e], own[3], 0) < 0)
                rc = ntk_h5_fail("cannot attach 'pair' to '%s'", en[e]);
            if (!rc)
                rc = coord_attrs(
                    extra[e], "1", e ? "second input of the pair" : "first input of the pair",
                    e ? "index j of the pair's second input" : "index i of the pair's first input");
        }
    }
    /* Quantities. */
    for (int q = 0; !rc && q < ls->n_qty; q++) {
        const ntk_qty_desc *qd = &ls->qty[q];
        const ntk_ar_qty *Q = &sec->q[q];
        hsize_t chunk[NTK_AR_MAX_RANK];
        chunk_shape(a, lay, Q, chunk);
        hid_t pl = dcpl_new();
        hid_t sp = H5Screate_simple(Q->rank, Q->shape, NULL);
        hid_t d = -1;
        if (pl < 0 || sp < 0 || H5Pset_chunk(pl, Q->rank, chunk) < 0 ||
            (lay->deflate > 0 &&
             (H5Pset_shuffle(pl) < 0 || H5Pset_deflate(pl, (unsigned)lay->deflate) < 0)) ||
            (lay->fletcher32 && H5Pset_fletcher32(pl) < 0) ||
            H5Pset_fill_value(pl, H5T_NATIVE_DOUBLE, &nan) < 0 ||
            H5Pset_alloc_time(pl, H5D_ALLOC_TIME_EARLY) < 0)
            rc = ntk_h5_fail("dataset '/%s/%s': creation properties", ls->name, qd->name);
        else if ((d = H5Dcreate2(g, qd->name, H5T_IEEE_F64LE, sp, H5P_DEFAULT, pl, H5P_DEFAULT)) <
                 0)
            rc = ntk_h5_fail("cannot create dataset '/%s/%s'", ls->name, qd->name);
        /* The CF attribute, equal to the HDF5 fill value (netCDF-4 readers look for both). */
        if (!rc) rc = ntk_h5_attr_f64(d, "_FillValue", nan);
        if (!rc) rc = ntk_h5_attr_str(d, "units", qd->units);
        if (!rc)
            rc = ntk_h5_attr_str(d, "long_name",
                                 qd->symbol && qd->symbol[0] ? qd->symbol : qd->name);
        if (!rc) rc = ntk_h5_attr_str(d, "symbol", qd->symbol);
        if (!rc) rc = ntk_h5_attr_str(d, "description", qd->description);
        if (!rc) rc = coords_attr(d, lay, (qd->dims & NTK_DIM_PAIR) != 0);
        if (!rc) rc = attach_scales(d, qd->name, lay->n_axes, ax, qd->dims, own);
        if (d >= 0) H5Dclose(d);
        if (sp >= 0) H5Sclose(sp);
        if (pl >= 0) H5Pclose(pl);
    }
    /* Per-point datasets: contiguous, allocated now (no allocation during collective writes). */
    const char *pn[3] = {NTK_AR_STATUS, NTK_AR_SECONDS, NTK_AR_NONFINITE};
    const hid_t pt[3] = {H5T_STD_U8LE, H5T_IEEE_F64LE, H5T_STD_I64LE};
    for (int i = 0; !rc && i < 3; i++) {
        hid_t pl = dcpl_new();
        hid_t sp = H5Screate_simple(a->n_axes, a->grid, NULL);
        hid_t d = -1;
        if (pl < 0 || sp < 0 || H5Pset_alloc_time(pl, H5D_ALLOC_TIME_EARLY) < 0 ||
            (i == 1 && H5Pset_fill_value(pl, H5T_NATIVE_DOUBLE, &nan) < 0))
            rc = ntk_h5_fail("dataset '/%s/%s': creation properties", ls->name, pn[i]);
        else if ((d = H5Dcreate2(g, pn[i], pt[i], sp, H5P_DEFAULT, pl, H5P_DEFAULT)) < 0)
            rc = ntk_h5_fail("cannot create dataset '/%s/%s'", ls->name, pn[i]);
        if (!rc && i == 0) {
            const unsigned char fv[3] = {0, 1, 2};
            rc = ntk_h5_attr_str(d, "long_name", "status of the point");
            if (!rc)
                rc = ntk_h5_attr_str(d, "description",
                                     "0 pending, 1 done (data written), 2 failed (data NaN)");
            if (!rc) rc = ntk_h5_attr_u8v(d, "flag_values", fv, 3);
            if (!rc) rc = ntk_h5_attr_str(d, "flag_meanings", "pending done failed");
        } else if (!rc && i == 1) {
            rc = ntk_h5_attr_f64(d, "_FillValue", nan);
            if (!rc) rc = ntk_h5_attr_str(d, "units", "s");
            if (!rc) rc = ntk_h5_attr_str(d, "long_name", "compute time");
            if (!rc)
                rc = ntk_h5_attr_str(d, "description",
                                     "wall-clock seconds spent computing the point's record");
        } else if (!rc) {
            rc = ntk_h5_attr_str(d, "units", "1");
            if (!rc) rc = ntk_h5_attr_str(d, "long_name", "non-finite values");
            if (!rc)
                rc = ntk_h5_attr_str(d, "description",
                                     "number of non-finite values reported by the engine "
                                     "(overflow is data, not an error)");
        }
        if (!rc) rc = coords_attr(d, lay, 0);
        if (!rc) rc = attach_scales(d, pn[i], lay->n_axes, ax, 0, own);
        if (d >= 0) H5Dclose(d);
        if (sp >= 0) H5Sclose(sp);
        if (pl >= 0) H5Pclose(pl);
    }
    for (int e = 1; e >= 0; e--)
        if (extra[e] >= 0) H5Dclose(extra[e]);
    for (int i = 5; i >= 0; i--)
        if (own[i] >= 0) H5Dclose(own[i]);
    for (int i = n_ax - 1; i >= 0; i--)
        if (ax[i] >= 0) H5Dclose(ax[i]);
    H5Gclose(g);
    free(names);
    free(iv);
    free(lv);
    if (rc) return ntk_error_prefix(rc, "section '%s'", ls->name);
    return 0;
}

static void hdf5_version(char *buf, size_t n)
{
    unsigned maj = 0, min = 0, rel = 0;
    H5get_libversion(&maj, &min, &rel);
    snprintf(buf, n, "%u.%u.%u", maj, min, rel);
}

/* Opens a new run group /provenance/run_NNN for this process group and marks the archive as
 * running. Rank 0 only, on a serially opened file. */
static int run_begin(ntk_archive *a, hid_t file, const ntk_archive_prov *prov, const char *mode,
                     const char *hosts)
{
    hid_t pg = H5Gopen2(file, NTK_AR_PROV, H5P_DEFAULT);
    if (pg < 0) return ntk_h5_fail("cannot open '/%s'", NTK_AR_PROV);
    int64_t n_runs = 0;
    int rc = ntk_h5_attr_read_i64(pg, "n_runs", &n_runs);
    char name[32], now[32], mpiv[MPI_MAX_LIBRARY_VERSION_STRING + 1] = "", h5v[32];
    int len = 0;
    snprintf(name, sizeof name, "run_%03" PRId64, n_runs);
    ntk_ar_iso_now(now);
    MPI_Get_library_version(mpiv, &len);
    hdf5_version(h5v, sizeof h5v);
    hid_t gcpl = rc ? -1 : ntk_h5_gcpl();
    hid_t rg = gcpl >= 0 ? H5Gcreate2(pg, name, H5P_DEFAULT, gcpl, H5P_DEFAULT) : -1;
    if (!rc && rg < 0) rc = ntk_h5_fail("cannot create '/%s/%s'", NTK_AR_PROV, name);
    if (!rc) rc = ntk_h5_attr_str(rg, "mode", mode);
    if (!rc) rc = ntk_h5_attr_str(rg, "start_time", now);
    if (!rc) rc = ntk_h5_attr_str(rg, "end_time", "");
    if (!rc) rc = ntk_h5_attr_str(rg, "completion", "running");
    if (!rc)
        rc = ntk_h5_attr_str(rg, "command_line",
                             prov && prov->command_line ? prov->command_line : "");
    if (!rc) rc = ntk_h5_attr_i64(rg, "n_ranks", a->size);
    if (!rc) rc = ntk_h5_attr_str(rg, "ntksweep_version", NTKSWEEP_VERSION);
    if (!rc) rc = ntk_h5_attr_str(rg, "git_revision", NTKSWEEP_GIT_REVISION);
    if (!rc) rc = ntk_h5_attr_str(rg, "mpi_library", mpiv);
    if (!rc) rc = ntk_h5_attr_str(rg, "hdf5_version", h5v);
    if (!rc) rc = ntk_h5_str_dataset(rg, "hosts", hosts ? hosts : "");
    if (!rc) rc = ntk_h5_attr_i64(pg, "n_runs", n_runs + 1);
    if (!rc) rc = ntk_h5_attr_str(file, "completion", "running");
    if (rg >= 0) H5Gclose(rg);
    if (gcpl >= 0) H5Pclose(gcpl);
    H5Gclose(pg);
    a->run = n_runs;
    return rc;
}

/* Builds the complete skeleton in fname (serial, rank 0). */
static int build_skeleton(ntk_archive *a, const ntk_archive_layout *lay,
                          const ntk_archive_prov *prov, const char *fname, const char *mode,
                          const char *hosts)
{
    hid_t fcpl = H5Pcreate(H5P_FILE_CREATE);
    if (fcpl < 0 ||
        H5Pset_link_creation_order(fcpl, H5P_CRT_ORDER_TRACKED | H5P_CRT_ORDER_INDEXED) < 0 ||
        H5Pset_attr_creation_order(fcpl, H5P_CRT_ORDER_TRACKED | H5P_CRT_ORDER_INDEXED) < 0) {
        int rc = ntk_h5_fail("archive '%s': file creation properties", a->path);
        if (fcpl >= 0) H5Pclose(fcpl);
        return rc;
    }
    hid_t fapl = serial_fapl();
    hid_t f = H5Fcreate(fname, H5F_ACC_TRUNC, fcpl, fapl);
    if (fapl >= 0) H5Pclose(fapl);
    H5Pclose(fcpl);
    if (f < 0) return ntk_h5_fail("cannot create archive '%s'", fname);
    char now[32], src[256], hash[32], h5v[32], mpiv[MPI_MAX_LIBRARY_VERSION_STRING + 1] = "";
    char axes[4096] = "", secs[4096] = "";
    int len = 0;
    ntk_ar_iso_now(now);
    hdf5_version(h5v, sizeof h5v);
    MPI_Get_library_version(mpiv, &len);
    snprintf(src, sizeof src, "ntksweep %s (%s)", NTKSWEEP_VERSION, NTKSWEEP_GIT_REVISION);
    snprintf(hash, sizeof hash, "%016" PRIx64, a->layout_hash);
    size_t o = 0;
    for (int i = 0; i < lay->n_axes && o < sizeof axes; i++)
        o += (size_t)snprintf(axes + o, sizeof axes - o, "%s%s", i ? "," : "", lay->axes[i].name);
    o = 0;
    for (int s = 0; s < lay->n_sections && o < sizeof secs; s++)
        o += (size_t)snprintf(secs + o, sizeof secs - o, "%s%s", s ? "," : "",
                              lay->sections[s].name);
    int rc = ntk_h5_attr_str(f, "Conventions", "CF-1.8");
    if (!rc) rc = ntk_h5_attr_str(f, "title", prov->spec_name ? prov->spec_name : "");
    if (!rc) rc = ntk_h5_attr_str(f, "source", src);
    if (!rc) rc = ntk_h5_attr_str(f, "spec_hash", prov->spec_hash);
    if (!rc) rc = ntk_h5_attr_str(f, "layout_hash", hash);
    if (!rc) rc = ntk_h5_attr_str(f, "grid_axes", axes);
    if (!rc) rc = ntk_h5_attr_str(f, "sections", secs);
    if (!rc) rc = ntk_h5_attr_i64(f, "n_points", a->n_points);
    if (!rc) rc = ntk_h5_attr_str(f, "created", now);
    if (!rc) rc = ntk_h5_attr_str(f, "completion", "running");
    /* Provenance of the build that created the archive; each run adds run_NNN. */
    hid_t gcpl = rc ? -1 : ntk_h5_gcpl();
    hid_t pg = gcpl >= 0 ? H5Gcreate2(f, NTK_AR_PROV, H5P_DEFAULT, gcpl, H5P_DEFAULT) : -1;
    if (gcpl >= 0) H5Pclose(gcpl);
    if (!rc && pg < 0) rc = ntk_h5_fail("cannot create '/%s'", NTK_AR_PROV);
    if (!rc) rc = ntk_h5_attr_str(pg, "spec_name", prov->spec_name);
    if (!rc) rc = ntk_h5_attr_str(pg, "spec_hash", prov->spec_hash);
    if (!rc) rc = ntk_h5_attr_str(pg, "ntksweep_version", NTKSWEEP_VERSION);
    if (!rc) rc = ntk_h5_attr_str(pg, "git_revision", NTKSWEEP_GIT_REVISION);
    if (!rc) rc = ntk_h5_attr_str(pg, "build_type", NTKSWEEP_BUILD_TYPE);
    if (!rc) rc = ntk_h5_attr_str(pg, "compiler", NTKSWEEP_COMPILER);
    if (!rc) rc = ntk_h5_attr_str(pg, "c_flags", NTKSWEEP_C_FLAGS);
    if (!rc) rc = ntk_h5_attr_str(pg, "hdf5_version", h5v);
    if (!rc) rc = ntk_h5_attr_str(pg, "mpi_library", mpiv);
    if (!rc) rc = ntk_h5_attr_str(pg, "created", now);
    if (!rc) rc = ntk_h5_attr_str(pg, "created_mode", mode);
    for (int i = 0; !rc && prov->extra && i < prov->n_extra; i++)
        if (prov->extra[i].key && prov->extra[i].key[0])
            rc = ntk_h5_attr_str(pg, prov->extra[i].key, prov->extra[i].value);
    if (!rc) rc = ntk_h5_attr_i64(pg, "n_runs", 0);
    if (!rc) rc = ntk_h5_str_dataset(pg, "spec_text", prov->spec_text);
    if (pg >= 0) H5Gclose(pg);
    for (int s = 0; !rc && s < lay->n_sections; s++)
        rc = build_section(a, f, lay, s);
    if (!rc) rc = run_begin(a, f, prov, mode, hosts);
    if (H5Fclose(f) < 0 && !rc) rc = ntk_h5_fail("cannot close archive '%s'", fname);
    if (!rc) rc = fsync_path(fname);
    if (rc) ntk_error_prefix(rc, "archive '%s'", a->path);
    return rc;
}

/* Builds the skeleton under "<path>.tmp" and renames it into place. */
static int skeleton_in_place(ntk_archive *a, const ntk_archive_layout *lay,
                             const ntk_archive_prov *prov, const char *mode, const char *hosts,
                             int drop_journal)
{
    char *tmp = cat2(a->path, ".tmp");
    if (!tmp) return ntk_error_set(NTK_ENOMEM, "out of memory");
    unlink(tmp);
    int rc = build_skeleton(a, lay, prov, tmp, mode, hosts);
    if (!rc && drop_journal) rc = ntk_journal_remove(a->jdir);
    if (!rc && rename(tmp, a->path) != 0)
        rc = ntk_error_set(NTK_EIO, "archive '%s': cannot rename '%s' into place: %s", a->path, tmp,
                           strerror(errno));
    if (rc)
        unlink(tmp);
    else
        rc = ntk_fsync_parent(a->path);
    free(tmp);
    return rc;
}

/* ------------------------------------------------------------------ raw data transfers */

static int select_points(const ntk_archive *a, hid_t space, int rank, const hsize_t *shape, long n,
                         const long *idx)
{
    if (n == 0) return H5Sselect_none(space) < 0 ? -1 : 0;
    hsize_t start[NTK_AR_MAX_RANK], count[NTK_AR_MAX_RANK], block[NTK_AR_MAX_RANK];
    for (int r = 0; r < rank; r++) {
        start[r] = 0;
        count[r] = 1;
        block[r] = r < a->n_axes ? 1 : shape[r];
    }
    for (long i = 0; i < n; i++) {
        hsize_t p = (hsize_t)idx[i];
        for (int x = a->n_axes - 1; x >= 0; x--) {
            start[x] = p % a->grid[x];
            p /= a->grid[x];
        }
        if (H5Sselect_hyperslab(space, i ? H5S_SELECT_OR : H5S_SELECT_SET, start, NULL, count,
                                block) < 0)
            return -1;
    }
    return 0;
}

/* Writes (or reads) n values per point of the given memory type for the sorted points idx. */
static int transfer(const ntk_archive *a, hid_t d, const char *sec, const char *name, int rank,
                    const hsize_t *shape, hid_t mt, long n, const long *idx, size_t per_point,
                    void *buf, int write)
{
    hid_t fs = H5Dget_space(d);
    hsize_t m = (hsize_t)n * per_point;
    hsize_t m1 = m ? m : 1;
    hid_t ms = H5Screate_simple(1, &m1, NULL);
    int rc = 0;
    if (fs < 0 || ms < 0 || select_points(a, fs, rank, shape, n, idx) < 0 ||
        (m == 0 && H5Sselect_none(ms) < 0))
        rc = ntk_h5_fail("archive '%s': selection in '/%s/%s'", a->path, sec, name);
    else if (write && H5Dwrite(d, mt, ms, fs, a->dxpl, buf) < 0)
        rc = ntk_h5_fail("archive '%s': cannot write '/%s/%s'", a->path, sec, name);
    else if (!write && H5Dread(d, mt, ms, fs, a->dxpl, buf) < 0)
        rc = ntk_h5_fail("archive '%s': cannot read '/%s/%s'", a->path, sec, name);
    if (ms >= 0) H5Sclose(ms);
    if (fs >= 0) H5Sclose(fs);
    return rc;
}

/* Transfers quantity Q of n points, one point per HDF5 call: a single block keeps HDF5's chunk
 * mapping cheap, whereas a union of blocks is mapped element by element. In the MPI-IO phase
 * every rank makes `calls` collective calls (the largest n over the ranks) and selects nothing
 * once it has run out of points. buf[i] holds the Q->count doubles of point idx[i]. */
static int xfer_points(const ntk_archive *a, const ntk_ar_section *sec, const ntk_ar_qty *Q, long n,
                       long calls, const long *idx, const void *const *buf, int write)
{
    hsize_t m = Q->count, start[NTK_AR_MAX_RANK], count[NTK_AR_MAX_RANK], block[NTK_AR_MAX_RANK];
    for (int r = 0; r < Q->rank; r++) {
        start[r] = 0;
        count[r] = 1;
        block[r] = r < a->n_axes ? 1 : Q->shape[r];
    }
    /* The memory space has the shape of the file block: HDF5 then maps it to the chunks without
     * visiting every element. */
    hid_t fs = H5Dget_space(Q->d);
    hid_t ms = H5Screate_simple(Q->rank, block, NULL), ms0 = H5Screate_simple(1, &m, NULL);
    double dummy = 0;
    int rc = 0;
    if (fs < 0 || ms < 0 || ms0 < 0 || H5Sselect_none(ms0) < 0)
        rc = ntk_h5_fail("archive '%s': dataspaces of '/%s/%s'", a->path, sec->name, Q->name);
    for (long i = 0; !rc && i < calls; i++) {
        hid_t mem = ms;
        void *ptr = &dummy;
        herr_t e;
        if (i < n) {
            hsize_t p = (hsize_t)idx[i];
            for (int x = a->n_axes - 1; x >= 0; x--) {
                start[x] = p % a->grid[x];
                p /= a->grid[x];
            }
            e = H5Sselect_hyperslab(fs, H5S_SELECT_SET, start, NULL, count, block);
            /* The buffer is only read when writing. */
            ptr = (void *)buf[i];
        } else {
            e = H5Sselect_none(fs);
            mem = ms0;
        }
        if (e < 0)
            rc = ntk_h5_fail("archive '%s': selection in '/%s/%s'", a->path, sec->name, Q->name);
        else if (write && H5Dwrite(Q->d, H5T_NATIVE_DOUBLE, mem, fs, a->dxpl, ptr) < 0)
            rc = ntk_h5_fail("archive '%s': cannot write '/%s/%s'", a->path, sec->name, Q->name);
        else if (!write && H5Dread(Q->d, H5T_NATIVE_DOUBLE, mem, fs, a->dxpl, ptr) < 0)
            rc = ntk_h5_fail("archive '%s': cannot read '/%s/%s'", a->path, sec->name, Q->name);
    }
    if (ms0 >= 0) H5Sclose(ms0);
    if (ms >= 0) H5Sclose(ms);
    if (fs >= 0) H5Sclose(fs);
    return rc;
}

/* Number of collective calls of a transfer of n local points: the largest n over the ranks. */
static int collective_calls(const ntk_archive *a, long n, long *calls)
{
    *calls = n;
    if (a->mode == NTK_AR_PARALLEL &&
        MPI_Allreduce(&n, calls, 1, MPI_LONG, MPI_MAX, a->comm) != MPI_SUCCESS)
        return ntk_error_set(NTK_EMPI, "archive '%s': MPI_Allreduce failed", a->path);
    return 0;
}

/* Data of n done points (sorted idx, records data[i]) into every quantity of section s.
 * Small per-point blocks go as one union of blocks per quantity (HDF5 maps a union element by
 * element, about 0.1 us each); large ones one point per call (about 0.1 ms per call, more when
 * collective). XFER_UNION_MAX is where the two costs meet. The choice depends on the layout
 * only, so every rank makes the same collective calls. */
#define XFER_UNION_MAX 2048
static int write_data(const ntk_archive *a, int s, long n, const long *idx,
                      const double *const *data)
{
    const ntk_ar_section *sec = &a->sec[s];
    long calls;
    NTK_TRY(collective_calls(a, n, &calls));
    size_t small = 0;
    for (int q = 0; q < sec->n_qty; q++)
        if (sec->q[q].count <= XFER_UNION_MAX && sec->q[q].count > small) small = sec->q[q].count;
    const void **ptr = malloc((size_t)(n + 1) * sizeof *ptr);
    double *pack = malloc(((size_t)n * small + 1) * sizeof *pack);
    int rc = 0;
    if (!ptr || !pack) rc = ntk_error_set(NTK_ENOMEM, "archive '%s': out of memory", a->path);
    for (int q = 0; !rc && q < sec->n_qty; q++) {
        const ntk_ar_qty *Q = &sec->q[q];
        if (Q->count <= XFER_UNION_MAX) {
            for (long i = 0; i < n; i++)
                memcpy(pack + (size_t)i * Q->count, data[i] + Q->offset, Q->count * sizeof *pack);
            rc = transfer(a, Q->d, sec->name, Q->name, Q->rank, Q->shape, H5T_NATIVE_DOUBLE, n, idx,
                          Q->count, pack, 1);
        } else {
            for (long i = 0; i < n; i++)
                ptr[i] = data[i] + Q->offset;
            rc = xfer_points(a, sec, Q, n, calls, idx, ptr, 1);
        }
    }
    free(pack);
    free(ptr);
    return rc;
}

/* Per-point status, seconds and non-finite counts of n sorted points. */
static int write_status(const ntk_archive *a, int s, long n, const long *idx, unsigned char *st,
                        double *secs, int64_t *nf)
{
    const ntk_ar_section *sec = &a->sec[s];
    int rc = transfer(a, sec->d_seconds, sec->name, NTK_AR_SECONDS, a->n_axes, a->grid,
                      H5T_NATIVE_DOUBLE, n, idx, 1, secs, 1);
    if (!rc)
        rc = transfer(a, sec->d_nonfinite, sec->name, NTK_AR_NONFINITE, a->n_axes, a->grid,
                      H5T_NATIVE_INT64, n, idx, 1, nf, 1);
    if (!rc)
        rc = transfer(a, sec->d_status, sec->name, NTK_AR_STATUS, a->n_axes, a->grid,
                      H5T_NATIVE_UINT8, n, idx, 1, st, 1);
    return rc;
}

static int flush_file(const ntk_archive *a)
{
    if (H5Fflush(a->file, H5F_SCOPE_GLOBAL) < 0)
        return ntk_h5_fail("archive '%s': cannot flush", a->path);
    return 0;
}

/* ------------------------------------------------------------------ verification and replay */

/* Reads every per-point dataset and every quantity dataset (in slabs along the first axis) of
 * an archive opened with open_handles; fills status (n_sec x n_points). */
static int verify_all(ntk_archive *a, unsigned char *status)
{
    int rc = 0;
    for (int s = 0; !rc && s < a->n_sec; s++) {
        ntk_ar_section *sec = &a->sec[s];
        if (H5Dread(sec->d_status, H5T_NATIVE_UINT8, H5S_ALL, H5S_ALL, H5P_DEFAULT,
                    status + (size_t)s * (size_t)a->n_points) < 0)
            return ntk_h5_fail("archive '%s': cannot read '/%s/status'", a->path, sec->name);
        double *sd = malloc((size_t)a->n_points * sizeof *sd);
        if (!sd) return ntk_error_set(NTK_ENOMEM, "out of memory");
        if (H5Dread(sec->d_seconds, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, sd) < 0 ||
            H5Dread(sec->d_nonfinite, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, sd) < 0)
            rc = ntk_h5_fail("archive '%s': cannot read the per-point data of '/%s'", a->path,
                             sec->name);
        free(sd);
        for (long p = 0; !rc && p < a->n_points; p++)
            if (status[(size_t)s * (size_t)a->n_points + (size_t)p] > NTK_ARCHIVE_FAILED)
                rc = ntk_error_set(NTK_EHDF5, "archive '%s': '/%s/status' holds garbage", a->path,
                                   sec->name);
        for (int q = 0; !rc && q < sec->n_qty; q++) {
            ntk_ar_qty *Q = &sec->q[q];
            hsize_t slab = 1;
            for (int r = 1; r < Q->rank; r++)
                slab *= Q->shape[r];
            double *buf = malloc((size_t)slab * sizeof *buf);
            if (!buf) return ntk_error_set(NTK_ENOMEM, "out of memory");
            hsize_t start[NTK_AR_MAX_RANK] = {0}, cnt[NTK_AR_MAX_RANK];
            memcpy(cnt, Q->shape, sizeof cnt);
            cnt[0] = 1;
            hid_t fs = H5Dget_space(Q->d);
            hid_t ms =
                H5Screate_simple(Q->rank, cnt, NULL); /* the slab's shape: no per-element mapping */
            for (hsize_t i = 0; !rc && i < Q->shape[0]; i++) {
                start[0] = i;
                if (fs < 0 || ms < 0 ||
                    H5Sselect_hyperslab(fs, H5S_SELECT_SET, start, NULL, cnt, NULL) < 0 ||
                    H5Dread(Q->d, H5T_NATIVE_DOUBLE, ms, fs, H5P_DEFAULT, buf) < 0)
                    rc = ntk_h5_fail("archive '%s': cannot read '/%s/%s'", a->path, sec->name,
                                     Q->name);
            }
            if (ms >= 0) H5Sclose(ms);
            if (fs >= 0) H5Sclose(fs);
            free(buf);
        }
    }
    return rc;
}

/* A point index with its position in an unsorted list (sorting without global state). */
typedef struct {
    long idx, pos;
} pos_pair;

static int cmp_pos_pair(const void *x, const void *y)
{
    long p = ((const pos_pair *)x)->idx, q = ((const pos_pair *)y)->idx;
    return (p > q) - (p < q);
}

/* Journal replay. Every valid record is checked against the file: a record of a point that is
 * not done is written; a record of a point marked done is compared bit for bit with the file
 * (data, seconds, non-finite count) and rewritten if anything differs, so that after a resume
 * every journaled point equals its journal record whatever a kill left in the file. The first
 * done record of a point is authoritative; a failure record never replaces done data. */
typedef struct {
    ntk_archive *a;
    unsigned char *st;    /* n_sec x n_points: file status, updated as records are written */
    unsigned char *fixed; /* n_sec x n_points: 1 once a done record was processed          */
    unsigned char *inb;   /* n_points: 1 if the point is in the current batch              */
    int sec;              /* section of the current batch                                  */
    long n, cap;
    size_t maxcount;
    /* Batch in arrival order. */
    long *idx;
    unsigned char *stv, *chk;
    double *secs, *buf;
    int64_t *nf;
    /* Sorted views for the transfers. */
    pos_pair *ord;
    long *sidx, *didx, *cidx;
    unsigned char *sst;
    double *ssec, *cbuf, *csec;
    int64_t *snf, *cnf;
    const double **sdata;
    long *cpos;
    long written, checked, rewritten, ignored;
} replay_ctx;

static size_t replay_raw_len(void *ctx, int section)
{
    const ntk_archive *a = ((replay_ctx *)ctx)->a;
    return section >= 0 && section < a->n_sec ? a->sec[section].rec : 0;
}

/* Compares the batch entries marked chk with the file; entries that differ lose their chk mark
 * (and are written like new ones). */
static int replay_check(replay_ctx *c, long nck)
{
    ntk_archive *a = c->a;
    const ntk_ar_section *sec = &a->sec[c->sec];
    size_t rec = sec->rec;
    int rc = 0;
    unsigned char *bad = calloc((size_t)nck + 1, 1);
    if (!bad) return ntk_error_set(NTK_ENOMEM, "out of memory");
    const void **ptr = malloc((size_t)nck * sizeof *ptr);
    if (!ptr) rc = ntk_error_set(NTK_ENOMEM, "out of memory");
    for (int q = 0; !rc && q < sec->n_qty; q++) {
        const ntk_ar_qty *Q = &sec->q[q];
        for (long i = 0; i < nck; i++)
            ptr[i] = c->cbuf + (size_t)i * Q->count;
        if (Q->count <= XFER_UNION_MAX)
            rc = transfer(a, Q->d, sec->name, Q->name, Q->rank, Q->shape, H5T_NATIVE_DOUBLE, nck,
                          c->cidx, Q->count, c->cbuf, 0);
        else
            rc = xfer_points(a, sec, Q, nck, nck, c->cidx, ptr, 0);
        for (long i = 0; !rc && i < nck; i++)
            if (memcmp(c->cbuf + (size_t)i * Q->count,
                       c->buf + (size_t)c->cpos[i] * rec + Q->offset,
                       Q->count * sizeof(double)) != 0)
                bad[i] = 1;
    }
    free(ptr);
    if (!rc)
        rc = transfer(a, sec->d_seconds, sec->name, NTK_AR_SECONDS, a->n_axes, a->grid,
                      H5T_NATIVE_DOUBLE, nck, c->cidx, 1, c->csec, 0);
    if (!rc)
        rc = transfer(a, sec->d_nonfinite, sec->name, NTK_AR_NONFINITE, a->n_axes, a->grid,
                      H5T_NATIVE_INT64, nck, c->cidx, 1, c->cnf, 0);
    for (long i = 0; !rc && i < nck; i++) {
        long j = c->cpos[i];
        if (bad[i] || memcmp(&c->csec[i], &c->secs[j], sizeof(double)) != 0 ||
            c->cnf[i] != c->nf[j]) {
            c->chk[j] = 0;
            c->rewritten++;
        }
    }
    c->checked += nck;
    free(bad);
    return rc;
}

/* Checks, then writes (data, flush, status, flush) the batch in sorted point order. */
static int replay_flush(replay_ctx *c)
{
    if (c->n == 0) return 0;
    ntk_archive *a = c->a;
    size_t rec = a->sec[c->sec].rec;
    for (long i = 0; i < c->n; i++)
        c->ord[i] = (pos_pair){c->idx[i], i};
    qsort(c->ord, (size_t)c->n, sizeof *c->ord, cmp_pos_pair);
    long nck = 0;
    for (long i = 0; i < c->n; i++) {
        long j = c->ord[i].pos;
        c->inb[c->idx[j]] = 0;
        if (c->chk[j]) {
            c->cidx[nck] = c->idx[j];
            c->cpos[nck++] = j;
        }
    }
    int rc = nck ? replay_check(c, nck) : 0;
    long nw = 0, nd = 0;
    for (long i = 0; !rc && i < c->n; i++) {
        long j = c->ord[i].pos;
        if (c->chk[j]) continue;
        c->sidx[nw] = c->idx[j];
        c->sst[nw] = c->stv[j];
        c->ssec[nw] = c->secs[j];
        c->snf[nw++] = c->nf[j];
        c->st[(size_t)c->sec * (size_t)a->n_points + (size_t)c->idx[j]] = c->stv[j];
        if (c->stv[j] == NTK_ARCHIVE_DONE) {
            c->didx[nd] = c->idx[j];
            c->sdata[nd++] = c->buf + (size_t)j * rec;
        }
    }
    if (!rc && nw) {
        rc = write_data(a, c->sec, nd, c->didx, c->sdata);
        if (!rc) rc = flush_file(a);
        if (!rc) rc = write_status(a, c->sec, nw, c->sidx, c->sst, c->ssec, c->snf);
        if (!rc) rc = flush_file(a);
        c->written += nw;
    }
    c->n = 0;
    return rc;
}

static int replay_cb(void *ctx, const ntk_jrec *r)
{
    replay_ctx *c = ctx;
    ntk_archive *a = c->a;
    if (r->point < 0 || r->point >= a->n_points || r->section < 0 || r->section >= a->n_sec) {
        c->ignored++;
        return 0;
    }
    long p = (long)r->point;
    size_t at = (size_t)r->section * (size_t)a->n_points + (size_t)p;
    if (c->fixed[at]) return 0;
    if (r->status == NTK_ARCHIVE_FAILED && c->st[at] != NTK_ARCHIVE_PENDING) return 0;
    if (c->n && (c->sec != r->section || c->inb[p] || c->n == c->cap)) NTK_TRY(replay_flush(c));
    c->sec = r->section;
    size_t rec = a->sec[c->sec].rec;
    if (r->status == NTK_ARCHIVE_DONE) {
        memcpy(c->buf + (size_t)c->n * rec, r->data, rec * sizeof(double));
        c->fixed[at] = 1;
    }
    c->idx[c->n] = p;
    c->stv[c->n] = r->status;
    c->chk[c->n] = r->status == NTK_ARCHIVE_DONE && c->st[at] == NTK_ARCHIVE_DONE;
    c->secs[c->n] = r->seconds;
    c->nf[c->n] = r->nonfinite;
    c->inb[p] = 1;
    c->n++;
    return 0;
}

static void replay_free(replay_ctx *c)
{
    void *p[] = {c->fixed, c->inb,  c->idx,  c->stv,  c->chk,   c->secs, c->buf,
                 c->nf,    c->ord,  c->sidx, c->didx, c->cidx,  c->sst,  c->ssec,
                 c->cbuf,  c->csec, c->snf,  c->cnf,  c->sdata, c->cpos};
    for (size_t i = 0; i < sizeof p / sizeof *p; i++)
        free(p[i]);
}

typedef struct {
    ntk_journal_stats js;
    long written, checked, rewritten;
} replay_stats;

/* Replays the journals into the serially opened archive (see replay_ctx). */
static int replay(ntk_archive *a, unsigned char *status, replay_stats *rs)
{
    replay_ctx c = {0};
    c.a = a;
    c.st = status;
    c.sec = -1;
    size_t maxrec = 1;
    for (int s = 0; s < a->n_sec; s++) {
        if (a->sec[s].rec > maxrec) maxrec = a->sec[s].rec;
        for (int q = 0; q < a->sec[s].n_qty; q++)
            if (a->sec[s].q[q].count > c.maxcount) c.maxcount = a->sec[s].q[q].count;
    }
    c.cap = (long)(REPLAY_BATCH_BYTES / (maxrec * sizeof(double)));
    if (c.cap < 1) c.cap = 1;
    if (c.cap > a->n_points) c.cap = a->n_points;
    size_t cap = (size_t)c.cap;
    c.fixed = calloc((size_t)a->n_sec * (size_t)a->n_points, 1);
    c.inb = calloc((size_t)a->n_points, 1);
    c.idx = malloc(cap * sizeof *c.idx);
    c.stv = malloc(cap);
    c.chk = malloc(cap);
    c.secs = malloc(cap * sizeof *c.secs);
    c.buf = malloc(cap * maxrec * sizeof *c.buf);
    c.nf = malloc(cap * sizeof *c.nf);
    c.ord = malloc(cap * sizeof *c.ord);
    c.sidx = malloc(cap * sizeof *c.sidx);
    c.didx = malloc(cap * sizeof *c.didx);
    c.cidx = malloc(cap * sizeof *c.cidx);
    c.cpos = malloc(cap * sizeof *c.cpos);
    c.sst = malloc(cap);
    c.ssec = malloc(cap * sizeof *c.ssec);
    c.csec = malloc(cap * sizeof *c.csec);
    c.cbuf = malloc(cap * c.maxcount * sizeof *c.cbuf + 1);
    c.snf = malloc(cap * sizeof *c.snf);
    c.cnf = malloc(cap * sizeof *c.cnf);
    c.sdata = malloc(cap * sizeof *c.sdata);
    int rc = 0;
    if (!c.fixed || !c.inb || !c.idx || !c.stv || !c.chk || !c.secs || !c.buf || !c.nf || !c.ord ||
        !c.sidx || !c.didx || !c.cidx || !c.cpos || !c.sst || !c.ssec || !c.csec || !c.cbuf ||
        !c.snf || !c.cnf || !c.sdata)
        rc = ntk_error_set(NTK_ENOMEM, "archive '%s': out of memory for the journal replay",
                           a->path);
    if (!rc) rc = ntk_journal_scan(a->jdir, a->key, replay_raw_len, replay_cb, &c, 1, &rs->js);
    if (!rc) rc = replay_flush(&c);
    rs->written = c.written;
    rs->checked = c.checked;
    rs->rewritten = c.rewritten;
    replay_free(&c);
    return rc;
}

/* ------------------------------------------------------------------ rank-0 preparation */

/* Identity of an existing file: 0 same sweep and layout, NTK_EEXIST another sweep, NTK_EINVAL
 * another layout, NTK_EHDF5 unreadable. *their receives the file's spec hash (or NULL). */
static int file_identity(const ntk_archive *a, const char *spec_hash, char **their)
{
    *their = NULL;
    hid_t fapl = H5Pcreate(H5P_FILE_ACCESS);
    H5Pset_file_locking(fapl, 0, 1);
    hid_t f = H5Fopen(a->path, H5F_ACC_RDONLY, fapl);
    H5Pclose(fapl);
    if (f < 0) return ntk_h5_fail("archive '%s' is not a readable HDF5 file", a->path);
    char *lh = NULL;
    int rc = ntk_h5_attr_read_str(f, "spec_hash", their);
    if (!rc) rc = ntk_h5_attr_read_str(f, "layout_hash", &lh);
    H5Fclose(f);
    if (rc) {
        ntk_error_prefix(rc, "archive '%s' is not an ntksweep archive", a->path);
        free(lh);
        return NTK_EHDF5;
    }
    char want[32];
    snprintf(want, sizeof want, "%016" PRIx64, a->layout_hash);
    if (strcmp(*their, spec_hash) != 0)
        rc = NTK_EEXIST;
    else if (strcmp(lh, want) != 0)
        rc = ntk_error_set(NTK_EINVAL,
                           "archive '%s' holds this sweep with another layout (layout hash %s, "
                           "expected %s: written by another ntksweep version?); use --force to "
                           "start it over",
                           a->path, lh, want);
    free(lh);
    return rc;
}

static int create_prepare(ntk_archive *a, const ntk_archive_layout *lay,
                          const ntk_archive_prov *prov, int force, const char *hosts)
{
    int fe = file_exists(a->path), je = ntk_journal_exists(a->jdir);
    if ((fe || je) && !force) {
        if (!fe)
            return ntk_error_set(NTK_EEXIST,
                                 "a journal of an interrupted sweep exists at '%s' (its archive "
                                 "'%s' is missing); use --resume to rebuild it or --force to "
                                 "start over",
                                 a->jdir, a->path);
        char *their = NULL;
        int id = file_identity(a, prov->spec_hash, &their);
        int rc;
        if (id == 0 || id == NTK_EINVAL)
            rc = ntk_error_set(NTK_EEXIST,
                               "archive '%s' already holds this sweep (spec hash %s): use "
                               "--resume or --force (--resume continues it, --force starts it "
                               "over)",
                               a->path, prov->spec_hash);
        else if (id == NTK_EEXIST)
            rc = ntk_error_set(NTK_EEXIST,
                               "archive '%s' belongs to another sweep (spec hash %s, this spec "
                               "%s); choose another output path or use --force to overwrite it",
                               a->path, their, prov->spec_hash);
        else
            rc = ntk_error_set(NTK_EEXIST,
                               "'%s' exists but is not a readable ntksweep archive; use "
                               "--resume to rebuild it from its journal or --force to "
                               "overwrite it",
                               a->path);
        free(their);
        return rc;
    }
    NTK_TRY(skeleton_in_place(a, lay, prov, "create", hosts, je));
    return ntk_journal_mkdir(a->jdir);
}

/* Counts journal records without applying them. */
static int count_cb(void *ctx, const ntk_jrec *r)
{
    (void)ctx;
    (void)r;
    return 0;
}

/* Checks an existing file: 0 readable (status0 filled), 1 to be rebuilt, or NTK_EEXIST /
 * NTK_EINVAL (another sweep / layout). */
static int resume_verify(ntk_archive *a, const ntk_archive_prov *prov)
{
    char *their = NULL;
    int id = file_identity(a, prov->spec_hash, &their);
    if (id == NTK_EEXIST) {
        id = ntk_error_set(NTK_EEXIST,
                           "archive '%s' belongs to another sweep (spec hash %s, this spec %s); "
                           "it cannot be resumed with this spec",
                           a->path, their, prov->spec_hash);
        free(their);
        return id;
    }
    free(their);
    if (id == NTK_EINVAL) return id;
    if (id != 0) return 1;
    /* Read everything once: a file torn by a kill may open but fail on some chunk. */
    hid_t fapl = H5Pcreate(H5P_FILE_ACCESS);
    H5Pset_file_locking(fapl, 0, 1);
    a->mode = NTK_AR_READ;
    int rc = open_handles(a, fapl, H5F_ACC_RDONLY);
    H5Pclose(fapl);
    if (!rc) rc = verify_all(a, a->status0);
    if (close_file(a) && !rc) rc = NTK_EHDF5;
    if (rc == NTK_EINVAL || rc == NTK_ENOMEM) return rc;
    return rc ? 1 : 0;
}

/* Moves a damaged file aside and builds a fresh skeleton (the journals then refill it). */
static int resume_rebuild(ntk_archive *a, const ntk_archive_layout *lay,
                          const ntk_archive_prov *prov, const char *hosts)
{
    /* Refuse journals that belong to another sweep only. */
    ntk_journal_stats js;
    replay_ctx c = {0};
    c.a = a;
    NTK_TRY(ntk_journal_scan(a->jdir, a->key, replay_raw_len, count_cb, &c, 0, &js));
    if (js.records == 0 && js.foreign > 0)
        return ntk_error_set(NTK_EEXIST,
                             "archive '%s' is unreadable and its journal '%s' belongs to another "
                             "sweep or layout; use --force to start over",
                             a->path, a->jdir);
    if (file_exists(a->path)) {
        char *bad = cat2(a->path, ".corrupt");
        if (!bad) return ntk_error_set(NTK_ENOMEM, "out of memory");
        int r = rename(a->path, bad);
        free(bad);
        if (r != 0)
            return ntk_error_set(NTK_EIO, "cannot move the damaged archive '%s' aside: %s", a->path,
                                 strerror(errno));
    }
    memset(a->status0, 0, (size_t)a->n_sec * (size_t)a->n_points);
    return skeleton_in_place(a, lay, prov, "rebuild", hosts, 0);
}

/* Opens the file serially, starts this run's provenance (resume) and replays the journals. */
static int resume_replay(ntk_archive *a, const ntk_archive_prov *prov, const char *hosts,
                         int rebuilt)
{
    NTK_TRY(ntk_journal_mkdir(a->jdir));
    a->mode = NTK_AR_SERIAL;
    hid_t fapl = serial_fapl();
    int rc = open_handles(a, fapl, H5F_ACC_RDWR);
    if (fapl >= 0) H5Pclose(fapl);
    if (!rc && !rebuilt) rc = run_begin(a, a->file, prov, "resume", hosts);
    replay_stats rs = {0};
    if (!rc) rc = replay(a, a->status0, &rs);
    if (!rc) {
        char name[64];
        snprintf(name, sizeof name, "%s/run_%03" PRId64, NTK_AR_PROV, a->run);
        hid_t rg = H5Gopen2(a->file, name, H5P_DEFAULT);
        if (rg < 0) rc = ntk_h5_fail("archive '%s': cannot open '/%s'", a->path, name);
        if (!rc) rc = ntk_h5_attr_i64(rg, "journal_records", rs.js.records);
        if (!rc) rc = ntk_h5_attr_i64(rg, "journal_written", rs.written);
        if (!rc) rc = ntk_h5_attr_i64(rg, "journal_checked", rs.checked);
        if (!rc) rc = ntk_h5_attr_i64(rg, "journal_rewritten", rs.rewritten);
        if (!rc) rc = ntk_h5_attr_i64(rg, "journal_torn_bytes", rs.js.torn_bytes);
        if (rg >= 0) H5Gclose(rg);
    }
    int rc2 = close_file(a);
    if (!rc) rc = rc2;
    if (!rc) rc = fsync_path(a->path);
    return rc;
}

static int resume_prepare(ntk_archive *a, const ntk_archive_layout *lay,
                          const ntk_archive_prov *prov, const char *hosts)
{
    int fe = file_exists(a->path), je = ntk_journal_exists(a->jdir);
    if (!fe && !je) return create_prepare(a, lay, prov, 0, hosts);
    int st = fe ? resume_verify(a, prov) : 1;
    if (st < 0) return st;
    if (st == 0) {
        int rc = resume_replay(a, prov, hosts, 0);
        if (rc != NTK_EHDF5) return rc;
        /* The file opened and read but failed under the replay: rebuild it. */
    }
    NTK_TRY(resume_rebuild(a, lay, prov, hosts));
    return resume_replay(a, prov, hosts, 1);
}

/* ------------------------------------------------------------------ public lifecycle */

static int comm_of(void *comm, MPI_Comm *c)
{
    int init = 0, fin = 0;
    MPI_Initialized(&init);
    MPI_Finalized(&fin);
    if (!init || fin) return ntk_error_set(NTK_EMPI, "archive: MPI is not initialized");
    *c = comm ? *(MPI_Comm *)comm : MPI_COMM_WORLD;
    return 0;
}

/* Common part of create and resume: every rank enters, rank 0 prepares the file serially, all
 * reopen with MPI-IO. */
static int open_collective(void *comm, const char *path, const ntk_archive_layout *lay,
                           const ntk_archive_prov *prov, int force, int resume, ntk_archive **out)
{
    *out = NULL;
    MPI_Comm base = MPI_COMM_WORLD;
    NTK_TRY(comm_of(comm, &base));
    ntk_archive *a = NULL;
    int rc = 0;
    if (!prov || !prov->spec_hash || !prov->spec_hash[0])
        rc = ntk_error_set(NTK_EINVAL, "archive '%s': no spec hash given", path ? path : "");
    if (!rc) rc = archive_new_(path, lay, prov->spec_hash, &a);
    /* Every rank validated the same layout; a rank-local failure is still agreed below. */
    int in[2] = {rc, 0}, agreed[2];
    MPI_Allreduce(in, agreed, 1, MPI_2INT, MPI_MINLOC, base);
    if (agreed[0]) {
        archive_free_(a);
        return rc ? rc
                  : ntk_error_set(agreed[0], "archive '%s': invalid layout on another rank", path);
    }
    if (MPI_Comm_dup(base, &a->comm) != MPI_SUCCESS) {
        a->comm = MPI_COMM_NULL;
        archive_free_(a);
        return ntk_error_set(NTK_EMPI, "archive '%s': MPI_Comm_dup failed", path);
    }
    MPI_Comm_rank(a->comm, &a->rank);
    MPI_Comm_size(a->comm, &a->size);
    a->mode = NTK_AR_PARALLEL;

    ntk_h5_quiet_state q;
    ntk_h5_quiet(&q);
    char *hosts = gather_hosts(a, &rc);
    int created = 0;
    if (a->rank == 0 && !rc) {
        if (resume)
            rc = resume_prepare(a, lay, prov, hosts);
        else {
            rc = create_prepare(a, lay, prov, force, hosts);
            created = rc == 0;
        }
        a->mode = NTK_AR_PARALLEL;
    }
    free(hosts);
    rc = agree(a, rc);
    if (!rc) rc = bcast_bytes(a, a->status0, (size_t)a->n_sec * (size_t)a->n_points);
    int64_t run = a->run;
    if (!rc && MPI_Bcast(&run, 1, MPI_INT64_T, 0, a->comm) != MPI_SUCCESS)
        rc = ntk_error_set(NTK_EMPI, "archive '%s': MPI_Bcast failed", path);
    a->run = run;
    /* All ranks open the file with MPI-IO; metadata operations collective. */
    if (!rc) {
        hid_t fapl = H5Pcreate(H5P_FILE_ACCESS);
        if (fapl < 0 || H5Pset_fapl_mpio(fapl, a->comm, MPI_INFO_NULL) < 0 ||
            H5Pset_all_coll_metadata_ops(fapl, 1) < 0 || H5Pset_coll_metadata_write(fapl, 1) < 0)
            rc = ntk_h5_fail("archive '%s': MPI-IO file access properties", path);
        else
            rc = open_handles(a, fapl, H5F_ACC_RDWR);
        if (fapl >= 0) H5Pclose(fapl);
    }
    rc = agree(a, rc);
    if (!rc) rc = ntk_journal_open(a->jdir, a->rank, &a->jfd);
    rc = agree(a, rc);
    if (rc) {
        close_file(a);
        if (a->jfd >= 0) close(a->jfd);
        MPI_Barrier(a->comm);
        if (created && a->rank == 0) {
            /* A failed create leaves nothing behind. */
            unlink(a->path);
            ntk_journal_remove(a->jdir);
        }
        archive_free_(a);
        ntk_h5_loud(&q);
        return rc;
    }
    ntk_h5_loud(&q);
    *out = a;
    return 0;
}

int ntk_archive_create(void *comm, const char *path, const ntk_archive_layout *lay,
                       const ntk_archive_prov *prov, int force, ntk_archive **out)
{
    return open_collective(comm, path, lay, prov, force, 0, out);
}

int ntk_archive_open_resume(void *comm, const char *path, const ntk_archive_layout *lay,
                            const ntk_archive_prov *prov, ntk_archive **out,
                            unsigned char *done_mask)
{
    int rc = open_collective(comm, path, lay, prov, 0, 1, out);
    if (rc || !done_mask) return rc;
    const ntk_archive *a = *out;
    for (long p = 0; p < a->n_points; p++) {
        int pending = 0, failed = 0;
        for (int s = 0; s < a->n_sec; s++) {
            unsigned char v = a->status0[(size_t)s * (size_t)a->n_points + (size_t)p];
            pending |= v == NTK_ARCHIVE_PENDING;
            failed |= v == NTK_ARCHIVE_FAILED;
        }
        done_mask[p] = pending  ? NTK_ARCHIVE_PENDING
                       : failed ? NTK_ARCHIVE_FAILED
                                : NTK_ARCHIVE_DONE;
    }
    return 0;
}

const unsigned char *ntk_archive_open_status(const ntk_archive *a, int section)
{
    if (!a || section < 0 || section >= a->n_sec) return NULL;
    return a->status0 + (size_t)section * (size_t)a->n_points;
}

int ntk_archive_write(ntk_archive *a, long n_local, const long *point_idx,
                      const double *const *data, const double *seconds, const long *nonfinite,
                      int section)
{
    if (!a || a->mode != NTK_AR_PARALLEL)
        return ntk_error_set(NTK_EINVAL, "archive write: not an archive opened for writing");
    ntk_h5_quiet_state q;
    ntk_h5_quiet(&q);
    int rc = 0;
    long n = n_local > 0 ? n_local : 0;
    pos_pair *ord = malloc((size_t)(n + 1) * sizeof *ord);
    long *idx = malloc((size_t)(n + 1) * sizeof *idx),
         *didx = malloc((size_t)(n + 1) * sizeof *didx);
    const double **dd = malloc((size_t)(n + 1) * sizeof *dd);
    unsigned char *st = malloc((size_t)(n + 1));
    double *sc = malloc((size_t)(n + 1) * sizeof *sc);
    int64_t *nf = malloc((size_t)(n + 1) * sizeof *nf);
    ntk_jrec *jr = malloc((size_t)(n + 1) * sizeof *jr);
    if (!ord || !idx || !didx || !dd || !st || !sc || !nf || !jr)
        rc = ntk_error_set(NTK_ENOMEM, "archive '%s': out of memory", a->path);
    if (!rc && (section < 0 || section >= a->n_sec))
        rc = ntk_error_set(NTK_EINVAL, "archive '%s': no section %d", a->path, section);
    if (!rc && n_local < 0)
        rc = ntk_error_set(NTK_EINVAL, "archive '%s': %ld points to write", a->path, n_local);
    if (!rc && n > 0 && (!point_idx || !data))
        rc = ntk_error_set(NTK_EINVAL, "archive '%s': NULL point or data list", a->path);
    for (long i = 0; !rc && i < n; i++)
        if (point_idx[i] < 0 || point_idx[i] >= a->n_points)
            rc = ntk_error_set(NTK_EINVAL,
                               "archive '%s': point %ld is outside the grid (%ld "
                               "points)",
                               a->path, point_idx[i], a->n_points);
    long nd = 0;
    if (!rc) {
        /* Sorted order: a hyperslab union is transferred in file (row-major) order. */
        for (long i = 0; i < n; i++)
            ord[i] = (pos_pair){point_idx[i], i};
        qsort(ord, (size_t)n, sizeof *ord, cmp_pos_pair);
        for (long i = 0; i < n; i++) {
            long j = ord[i].pos;
            idx[i] = point_idx[j];
            if (i && idx[i] == idx[i - 1]) {
                rc = ntk_error_set(NTK_EINVAL, "archive '%s': point %ld given twice", a->path,
                                   idx[i]);
                break;
            }
            st[i] = data[j] ? NTK_ARCHIVE_DONE : NTK_ARCHIVE_FAILED;
            sc[i] = seconds ? seconds[j] : NAN;
            nf[i] = nonfinite ? nonfinite[j] : 0;
            if (data[j]) {
                didx[nd] = idx[i];
                dd[nd++] = data[j];
            }
            jr[i] = (ntk_jrec){.point = idx[i],
                               .section = section,
                               .status = st[i],
                               .seconds = sc[i],
                               .nonfinite = nf[i],
                               .n = data[j] ? a->sec[section].rec : 0,
                               .data = data[j]};
        }
    }
    /* The journal first: once it is on disk, the records survive anything that follows. */
    if (!rc) rc = ntk_journal_append(a->jfd, a->key, jr, n);
    rc = agree(a, rc);
    /* An epoch in which no rank has a record of this section touches nothing. */
    long total = n;
    if (!rc && MPI_Allreduce(&n, &total, 1, MPI_LONG, MPI_MAX, a->comm) != MPI_SUCCESS)
        rc = ntk_error_set(NTK_EMPI, "archive '%s': MPI_Allreduce failed", a->path);
    if (!rc && total == 0) goto done;
    if (!rc) rc = agree(a, write_data(a, section, nd, didx, dd));
    if (!rc) rc = agree(a, flush_file(a));
    if (!rc) rc = agree(a, write_status(a, section, n, idx, st, sc, nf));
    if (!rc) rc = agree(a, flush_file(a));
done:
    free(ord);
    free(idx);
    free(didx);
    free(dd);
    free(st);
    free(sc);
    free(nf);
    free(jr);
    ntk_h5_loud(&q);
    return rc;
}

/* Rank 0 after the MPI-IO phase: end time, completion, journal removal. */
static int finish_serial(ntk_archive *a, int complete)
{
    a->mode = NTK_AR_SERIAL;
    hid_t fapl = serial_fapl();
    int rc = open_handles(a, fapl, H5F_ACC_RDWR);
    if (fapl >= 0) H5Pclose(fapl);
    long pending = 0;
    unsigned char *st = rc ? NULL : malloc((size_t)a->n_points);
    if (!rc && !st) rc = ntk_error_set(NTK_ENOMEM, "out of memory");
    for (int s = 0; !rc && s < a->n_sec; s++) {
        if (H5Dread(a->sec[s].d_status, H5T_NATIVE_UINT8, H5S_ALL, H5S_ALL, H5P_DEFAULT, st) < 0)
            rc = ntk_h5_fail("archive '%s': cannot read '/%s/status'", a->path, a->sec[s].name);
        for (long p = 0; !rc && p < a->n_points; p++)
            pending += st[p] == NTK_ARCHIVE_PENDING;
    }
    free(st);
    const char *comp = complete && !pending ? "complete" : "interrupted";
    char now[32], name[64];
    ntk_ar_iso_now(now);
    snprintf(name, sizeof name, "%s/run_%03" PRId64, NTK_AR_PROV, a->run);
    hid_t rg = rc ? -1 : H5Gopen2(a->file, name, H5P_DEFAULT);
    if (!rc && rg < 0) rc = ntk_h5_fail("archive '%s': cannot open '/%s'", a->path, name);
    if (!rc) rc = ntk_h5_attr_str(rg, "end_time", now);
    if (!rc) rc = ntk_h5_attr_str(rg, "completion", comp);
    if (!rc) rc = ntk_h5_attr_str(a->file, "completion", comp);
    if (!rc) rc = ntk_h5_attr_str(a->file, "last_update", now);
    if (rg >= 0) H5Gclose(rg);
    int rc2 = close_file(a);
    if (!rc) rc = rc2;
    if (!rc) rc = fsync_path(a->path);
    if (!rc && complete && !pending) rc = ntk_journal_remove(a->jdir);
    return rc;
}

int ntk_archive_close(ntk_archive *a, int complete)
{
    if (!a) return 0;
    ntk_h5_quiet_state q;
    ntk_h5_quiet(&q);
    int rc = close_file(a);
    if (a->mode != NTK_AR_PARALLEL) {
        archive_free_(a);
        ntk_h5_loud(&q);
        return rc;
    }
    if (a->jfd >= 0) {
        close(a->jfd);
        a->jfd = -1;
    }
    rc = agree(a, rc);
    int rc0 = 0;
    if (a->rank == 0) rc0 = finish_serial(a, complete);
    a->mode = NTK_AR_PARALLEL;
    rc0 = agree(a, rc0);
    if (!rc) rc = rc0;
    archive_free_(a);
    ntk_h5_loud(&q);
    return rc;
}

/* ------------------------------------------------------------------ serial readers */

int ntk_archive_open_read(const char *path, const ntk_archive_layout *lay, ntk_archive **out)
{
    *out = NULL;
    ntk_archive *a = NULL;
    NTK_TRY(archive_new_(path, lay, "", &a));
    a->mode = NTK_AR_READ;
    a->size = 1;
    ntk_h5_quiet_state q;
    ntk_h5_quiet(&q);
    hid_t fapl = H5Pcreate(H5P_FILE_ACCESS);
    H5Pset_file_locking(fapl, 0, 1);
    int rc = 0;
    a->file = H5Fopen(path, H5F_ACC_RDONLY, fapl);
    H5Pclose(fapl);
    char *lh = NULL, want[32];
    snprintf(want, sizeof want, "%016" PRIx64, a->layout_hash);
    if (a->file < 0)
        rc = ntk_h5_fail("archive '%s': cannot open", path);
    else if (!(rc = ntk_h5_attr_read_str(a->file, "layout_hash", &lh)) && strcmp(lh, want) != 0)
        rc = ntk_error_set(NTK_EINVAL, "archive '%s' has another layout (hash %s, expected %s)",
                           path, lh, want);
    free(lh);
    if (a->file >= 0) {
        H5Fclose(a->file);
        a->file = -1;
    }
    if (!rc) {
        fapl = H5Pcreate(H5P_FILE_ACCESS);
        H5Pset_file_locking(fapl, 0, 1);
        rc = open_handles(a, fapl, H5F_ACC_RDONLY);
        H5Pclose(fapl);
    }
    ntk_h5_loud(&q);
    if (rc) {
        close_file(a);
        archive_free_(a);
        return rc;
    }
    *out = a;
    return 0;
}

int ntk_archive_read(ntk_archive *a, int section, long point, double *record, unsigned char *status,
                     double *seconds, long *nonfinite)
{
    if (!a || a->file < 0 || section < 0 || section >= a->n_sec || point < 0 ||
        point >= a->n_points)
        return ntk_error_set(NTK_EINVAL, "archive read: bad archive, section %d or point %ld",
                             section, point);
    ntk_h5_quiet_state q;
    ntk_h5_quiet(&q);
    const ntk_ar_section *sec = &a->sec[section];
    int rc = 0;
    for (int i = 0; !rc && record && i < sec->n_qty; i++) {
        const ntk_ar_qty *Q = &sec->q[i];
        const void *ptr = record + Q->offset;
        rc = xfer_points(a, sec, Q, 1, 1, &point, &ptr, 0);
    }
    unsigned char st = 0;
    double sc = 0;
    int64_t nf = 0;
    if (!rc)
        rc = transfer(a, sec->d_status, sec->name, NTK_AR_STATUS, a->n_axes, a->grid,
                      H5T_NATIVE_UINT8, 1, &point, 1, &st, 0);
    if (!rc)
        rc = transfer(a, sec->d_seconds, sec->name, NTK_AR_SECONDS, a->n_axes, a->grid,
                      H5T_NATIVE_DOUBLE, 1, &point, 1, &sc, 0);
    if (!rc)
        rc = transfer(a, sec->d_nonfinite, sec->name, NTK_AR_NONFINITE, a->n_axes, a->grid,
                      H5T_NATIVE_INT64, 1, &point, 1, &nf, 0);
    ntk_h5_loud(&q);
    if (status) *status = st;
    if (seconds) *seconds = sc;
    if (nonfinite) *nonfinite = (long)nf;
    return rc;
}
