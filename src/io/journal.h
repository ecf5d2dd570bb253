/* journal.h - append-only, CRC-checked per-rank journals of archive records (private to io).
 *
 * A journal directory "<archive>.journal/" holds one file per writing rank, named by the rank
 * number in decimal. A file is a sequence of records, each self-contained:
 *
 *   offset size  field
 *        0    4  magic "NTKJ" (0x4a4b544e little-endian)
 *        4    2  format version (1)
 *        6    1  status (NTK_ARCHIVE_DONE or NTK_ARCHIVE_FAILED)
 *        7    1  reserved (0)
 *        8    8  key: identifies the sweep and layout (records of another key are ignored)
 *       16    8  point index (int64)
 *       24    4  section index (int32)
 *       28    4  payload bytes p: the record's doubles as stored in memory (0 for a failure)
 *       32    8  payload bytes again (a length check against garbage headers)
 *       40    8  seconds (float64)
 *       48    8  non-finite count (int64)
 *       56    p  payload
 *     56+p    4  CRC-32 (zlib) of bytes [0, 56 + p)
 *
 * Byte order is the host's (journals are transient and read back on the same machine type).
 * A record is valid only if its magic, lengths and CRC check; scanning a file stops at the first
 * invalid record (a tail torn by a kill), which ntk_journal_scan can truncate away.
 */
#ifndef NTKSWEEP_IO_JOURNAL_H
#define NTKSWEEP_IO_JOURNAL_H

#include <stddef.h>
#include <stdint.h>

typedef struct {
    int64_t point;
    int32_t section;
    uint8_t status;
    double seconds;
    int64_t nonfinite;
    size_t n;           /* doubles in data (0 for a failed point)    */
    const double *data; /* borrowed (append) or scan-owned (callback) */
} ntk_jrec;

/* Creates dir (mode 0777 & umask) if missing and fsyncs its parent. 0 or NTK_EIO. */
int ntk_journal_mkdir(const char *dir);

/* Opens dir/<rank> for appending (created if missing, directory fsync'd); *fd receives the file
 * descriptor. 0 or NTK_EIO. */
int ntk_journal_open(const char *dir, int rank, int *fd);

/* Appends n records with one write() and fdatasync()s the file. 0, NTK_ENOMEM or NTK_EIO. */
int ntk_journal_append(int fd, uint64_t key, const ntk_jrec *recs, long n);

/* Called for every valid record of the right key, in file order (files in ascending rank
 * order); rec->data is valid during the call only. A nonzero return stops the scan with it. */
typedef int (*ntk_journal_fn)(void *ctx, const ntk_jrec *rec);

typedef struct {
    long files;      /* journal files found                                 */
    long records;    /* valid records of the right key                      */
    long foreign;    /* valid records of another key (ignored)              */
    long torn_bytes; /* bytes after the last valid record of each file      */
} ntk_journal_stats;

/* Scans every journal file of dir (a missing dir is an empty journal). raw_len(section) gives
 * the expected doubles of a done record of that section (records with other lengths are
 * invalid). If truncate is set, torn tails are cut off so that later appends follow the last
 * valid record. Returns 0, the callback's code, NTK_ENOMEM or NTK_EIO. */
int ntk_journal_scan(const char *dir, uint64_t key, size_t (*raw_len)(void *ctx, int section),
                     ntk_journal_fn fn, void *ctx, int truncate, ntk_journal_stats *stats);

/* Removes dir and the journal files in it (missing is fine). 0 or NTK_EIO. */
int ntk_journal_remove(const char *dir);

/* 1 if dir exists. */
int ntk_journal_exists(const char *dir);

/* fsyncs the directory holding path (after a rename or unlink). 0 or NTK_EIO. */
int ntk_fsync_parent(const char *path);

#endif
