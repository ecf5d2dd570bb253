/* archive_private.h - internals shared by the archive's source files (private to src/io). */
#ifndef NTKSWEEP_IO_ARCHIVE_PRIVATE_H
#define NTKSWEEP_IO_ARCHIVE_PRIVATE_H

#include "ntksweep/archive.h"

#include <hdf5.h>
#include <mpi.h>
#include <stdint.h>

#define NTK_AR_MAX_AXES 16
#define NTK_AR_MAX_RANK (NTK_AR_MAX_AXES + 5)

/* Names fixed by the file format (docs/archive.md). */
#define NTK_AR_STATUS    "status"
#define NTK_AR_SECONDS   "seconds"
#define NTK_AR_NONFINITE "n_nonfinite"
#define NTK_AR_PROV      "provenance"

/* One quantity dataset: [grid axes..., layer, group, sample, stat, pair|input] (dims present
 * only). */
typedef struct {
    char *name;
    unsigned dims;
    int rank;
    hsize_t shape[NTK_AR_MAX_RANK];
    size_t count;  /* doubles per grid point            */
    size_t offset; /* offset in the section's record    */
    hid_t d;
} ntk_ar_qty;

typedef struct {
    char *name;
    int n_qty;
    ntk_ar_qty *q;
    size_t rec; /* doubles per record */
    hid_t g, d_status, d_seconds, d_nonfinite;
} ntk_ar_section;

typedef enum { NTK_AR_PARALLEL = 1, NTK_AR_SERIAL, NTK_AR_READ } ntk_ar_mode;

struct ntk_archive {
    ntk_ar_mode mode;
    MPI_Comm comm; /* a dup (parallel mode), MPI_COMM_NULL otherwise */
    int rank, size;
    char *path, *jdir;
    int jfd;
    int n_axes;
    hsize_t grid[NTK_AR_MAX_AXES];
    long n_points;
    int n_sec;
    ntk_ar_section *sec;
    uint64_t layout_hash, key;
    hid_t file, dxpl;
    unsigned char *status0; /* n_sec x n_points, as found at open */
    int64_t run;            /* index of this run's provenance group */
};

/* 64-bit FNV-1a of n bytes continuing from h. */
uint64_t ntk_ar_fnv(uint64_t h, const void *p, size_t n);
/* "YYYY-MM-DDTHH:MM:SSZ" of now (UTC). */
void ntk_ar_iso_now(char buf[32]);

#endif
