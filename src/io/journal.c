/* journal.c - append-only, CRC-checked per-rank journals of archive records (see journal.h). */
#include "io/journal.h"

#include "ntksweep/error.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#define JMAGIC   0x4a4b544eu /* "NTKJ" */
#define JVERSION 1u
#define JHEAD    56

static size_t dir_join(char *buf, size_t cap, const char *dir, const char *name)
{
    return (size_t)snprintf(buf, cap, "%s/%s", dir, name);
}

int ntk_fsync_parent(const char *path)
{
    char *dir = strdup(path);
    if (!dir) return ntk_error_set(NTK_ENOMEM, "out of memory");
    char *slash = strrchr(dir, '/');
    if (!slash)
        strcpy(dir, ".");
    else if (slash == dir)
        dir[1] = '\0';
    else
        *slash = '\0';
    int fd = open(dir, O_RDONLY | O_DIRECTORY);
    int rc = 0;
    if (fd < 0 || fsync(fd) != 0)
        rc = ntk_error_set(NTK_EIO, "cannot sync directory '%s': %s", dir, strerror(errno));
    if (fd >= 0) close(fd);
    free(dir);
    return rc;
}

int ntk_journal_exists(const char *dir)
{
    struct stat st;
    return stat(dir, &st) == 0 && S_ISDIR(st.st_mode);
}

int ntk_journal_mkdir(const char *dir)
{
    if (mkdir(dir, 0777) != 0) {
        if (errno == EEXIST && ntk_journal_exists(dir)) return 0;
        return ntk_error_set(NTK_EIO, "cannot create journal directory '%s': %s", dir,
                             strerror(errno));
    }
    return ntk_fsync_parent(dir);
}

int ntk_journal_open(const char *dir, int rank, int *fd)
{
    char path[4096], name[32];
    snprintf(name, sizeof name, "%d", rank);
    if (dir_join(path, sizeof path, dir, name) >= sizeof path)
        return ntk_error_set(NTK_EIO, "journal path too long: '%s'", dir);
    *fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0666);
    if (*fd < 0)
        return ntk_error_set(NTK_EIO, "cannot open journal '%s': %s", path, strerror(errno));
    if (fsync(*fd) != 0) {
        close(*fd);
        *fd = -1;
        return ntk_error_set(NTK_EIO, "cannot sync journal '%s': %s", path, strerror(errno));
    }
    return ntk_fsync_parent(path);
}

static void put_u16(unsigned char *p, uint16_t v)
{
    memcpy(p, &v, 2);
}
static void put_u32(unsigned char *p, uint32_t v)
{
    memcpy(p, &v, 4);
}
static void put_u64(unsigned char *p, uint64_t v)
{
    memcpy(p, &v, 8);
}
static uint16_t get_u16(const unsigned char *p)
{
    uint16_t v;
    memcpy(&v, p, 2);
    return v;
}
static uint32_t get_u32(const unsigned char *p)
{
    uint32_t v;
    memcpy(&v, p, 4);
    return v;
}
static uint64_t get_u64(const unsigned char *p)
{
    uint64_t v;
    memcpy(&v, p, 8);
    return v;
}

int ntk_journal_append(int fd, uint64_t key, const ntk_jrec *recs, long n)
{
    if (n <= 0) return 0;
    size_t len = 0;
    for (long i = 0; i < n; i++)
        len += JHEAD + 4 + recs[i].n * sizeof(double);
    unsigned char *buf = malloc(len);
    if (!buf) return ntk_error_set(NTK_ENOMEM, "out of memory for %zu journal bytes", len);
    unsigned char *h = buf;
    for (long i = 0; i < n; i++) {
        const ntk_jrec *r = &recs[i];
        size_t raw = r->n * sizeof(double);
        uint64_t u;
        put_u32(h, JMAGIC);
        put_u16(h + 4, JVERSION);
        h[6] = r->status;
        h[7] = 0;
        put_u64(h + 8, key);
        put_u64(h + 16, (uint64_t)r->point);
        put_u32(h + 24, (uint32_t)r->section);
        put_u32(h + 28, (uint32_t)raw);
        put_u64(h + 32, (uint64_t)raw);
        memcpy(&u, &r->seconds, 8);
        put_u64(h + 40, u);
        put_u64(h + 48, (uint64_t)r->nonfinite);
        if (raw) memcpy(h + JHEAD, r->data, raw);
        uint32_t crc = (uint32_t)crc32(0L, h, (uInt)(JHEAD + raw));
        put_u32(h + JHEAD + raw, crc);
        h += JHEAD + raw + 4;
    }
    size_t off = 0;
    while (off < len) {
        ssize_t w = write(fd, buf + off, len - off);
        if (w < 0) {
            if (errno == EINTR) continue;
            int e = errno;
            free(buf);
            return ntk_error_set(NTK_EIO, "cannot append to journal: %s", strerror(e));
        }
        off += (size_t)w;
    }
    free(buf);
    if (fdatasync(fd) != 0)
        return ntk_error_set(NTK_EIO, "cannot sync journal: %s", strerror(errno));
    return 0;
}

/* Numeric names only, sorted ascending. */
static int cmp_long(const void *a, const void *b)
{
    long x = *(const long *)a, y = *(const long *)b;
    return (x > y) - (x < y);
}

static int list_ranks(const char *dir, long **out, long *n)
{
    *out = NULL;
    *n = 0;
    DIR *d = opendir(dir);
    if (!d) {
        if (errno == ENOENT) return 0;
        return ntk_error_set(NTK_EIO, "cannot read journal directory '%s': %s", dir,
                             strerror(errno));
    }
    long cap = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        char *end;
        if (e->d_name[0] < '0' || e->d_name[0] > '9') continue;
        long r = strtol(e->d_name, &end, 10);
        if (*end) continue;
        if (*n == cap) {
            cap = cap ? 2 * cap : 16;
            long *t = realloc(*out, (size_t)cap * sizeof **out);
            if (!t) {
                closedir(d);
                free(*out);
                *out = NULL;
                return ntk_error_set(NTK_ENOMEM, "out of memory");
            }
            *out = t;
        }
        (*out)[(*n)++] = r;
    }
    closedir(d);
    if (*n > 1) qsort(*out, (size_t)*n, sizeof **out, cmp_long);
    return 0;
}

/* Scans one file; *valid_end receives the offset after the last valid record. */
static int scan_file(const char *path, uint64_t key, size_t (*raw_len)(void *, int),
                     ntk_journal_fn fn, void *ctx, long *valid_end, ntk_journal_stats *st)
{
    FILE *f = fopen(path, "rb");
    if (!f) return ntk_error_set(NTK_EIO, "cannot open journal '%s': %s", path, strerror(errno));
    unsigned char h[JHEAD];
    unsigned char *pay = NULL;
    double *raw = NULL;
    size_t pay_cap = 0, raw_cap = 0;
    long pos = 0;
    int rc = 0;
    for (;;) {
        if (fread(h, 1, JHEAD, f) != JHEAD) break;
        if (get_u32(h) != JMAGIC || get_u16(h + 4) != JVERSION) break;
        uint8_t status = h[6];
        uint64_t rkey = get_u64(h + 8);
        int32_t section = (int32_t)get_u32(h + 24);
        size_t plen = get_u32(h + 28);
        uint64_t rawb = get_u64(h + 32);
        if (status != 1 && status != 2) break;
        size_t want = raw_len(ctx, section);
        /* Records of another key are read (to find the next record) with the lengths they
         * claim, bounded to keep a garbage header from allocating absurd amounts. */
        if (plen != rawb || plen % sizeof(double) || plen > (1u << 31)) break;
        if (rkey == key &&
            (section < 0 || (status == 1 && (plen == 0 || rawb != want * sizeof(double))) ||
             (status == 2 && plen != 0)))
            break;
        if (plen + 4 > pay_cap) {
            unsigned char *t = realloc(pay, plen + 4);
            if (!t) {
                rc = ntk_error_set(NTK_ENOMEM, "out of memory reading journal '%s'", path);
                break;
            }
            pay = t;
            pay_cap = plen + 4;
        }
        if (fread(pay, 1, plen + 4, f) != plen + 4) break;
        uint32_t crc = (uint32_t)crc32(0L, h, JHEAD);
        crc = (uint32_t)crc32(crc, pay, (uInt)plen);
        if (crc != get_u32(pay + plen)) break;
        if (rkey != key) {
            st->foreign++;
            pos += (long)(JHEAD + plen + 4);
            continue;
        }
        size_t nd = plen / sizeof(double);
        if (nd > raw_cap) {
            double *t = realloc(raw, nd * sizeof(double));
            if (!t) {
                rc = ntk_error_set(NTK_ENOMEM, "out of memory reading journal '%s'", path);
                break;
            }
            raw = t;
            raw_cap = nd;
        }
        if (nd) memcpy(raw, pay, plen); /* aligned copy of the payload */
        ntk_jrec rec;
        uint64_t u = get_u64(h + 40);
        rec.point = (int64_t)get_u64(h + 16);
        rec.section = section;
        rec.status = status;
        memcpy(&rec.seconds, &u, 8);
        rec.nonfinite = (int64_t)get_u64(h + 48);
        rec.n = nd;
        rec.data = raw;
        st->records++;
        pos += (long)(JHEAD + plen + 4);
        rc = fn(ctx, &rec);
        if (rc) break;
    }
    if (!rc) {
        if (fseek(f, 0, SEEK_END) == 0) {
            long end = ftell(f);
            if (end > pos) st->torn_bytes += end - pos;
        }
    }
    fclose(f);
    free(pay);
    free(raw);
    *valid_end = pos;
    return rc;
}

int ntk_journal_scan(const char *dir, uint64_t key, size_t (*raw_len)(void *ctx, int section),
                     ntk_journal_fn fn, void *ctx, int truncate_torn, ntk_journal_stats *stats)
{
    ntk_journal_stats st = {0};
    long *ranks, n;
    int rc = list_ranks(dir, &ranks, &n);
    if (rc) return rc;
    for (long i = 0; i < n && !rc; i++) {
        char path[4096], name[32];
        snprintf(name, sizeof name, "%ld", ranks[i]);
        if (dir_join(path, sizeof path, dir, name) >= sizeof path) {
            rc = ntk_error_set(NTK_EIO, "journal path too long: '%s'", dir);
            break;
        }
        long before = st.torn_bytes, end = 0;
        st.files++;
        rc = scan_file(path, key, raw_len, fn, ctx, &end, &st);
        if (!rc && truncate_torn && st.torn_bytes > before && truncate(path, end) != 0)
            rc = ntk_error_set(NTK_EIO, "cannot truncate torn journal '%s': %s", path,
                               strerror(errno));
    }
    free(ranks);
    if (stats) *stats = st;
    return rc;
}

int ntk_journal_remove(const char *dir)
{
    long *ranks, n;
    int rc = list_ranks(dir, &ranks, &n);
    if (rc) return rc;
    for (long i = 0; i < n; i++) {
        char path[4096], name[32];
        snprintf(name, sizeof name, "%ld", ranks[i]);
        dir_join(path, sizeof path, dir, name);
        if (unlink(path) != 0 && errno != ENOENT && !rc)
            rc = ntk_error_set(NTK_EIO, "cannot remove journal '%s': %s", path, strerror(errno));
    }
    free(ranks);
    if (!rc && rmdir(dir) != 0 && errno != ENOENT)
        rc = ntk_error_set(NTK_EIO, "cannot remove journal directory '%s': %s", dir,
                           strerror(errno));
    if (!rc) rc = ntk_fsync_parent(dir);
    return rc;
}
