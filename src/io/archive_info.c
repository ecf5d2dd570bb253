/* archive_info.c - human-readable summary of an archive (ntksweep info), serial, no MPI. */
#include "io/archive_private.h"
#include "io/h5util.h"
#include "io/journal.h"

#include "ntksweep/error.h"

#include <dirent.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* A string attribute or "" (never NULL; caller frees). */
static char *attr_or_empty(hid_t loc, const char *name)
{
    char *s = NULL;
    if (H5Aexists(loc, name) > 0 && ntk_h5_attr_read_str(loc, name, &s) == 0) return s;
    H5Eclear2(H5E_DEFAULT);
    return strdup("");
}

/* Splits a comma-separated list in place; returns the count (at most max). */
static int split_commas(char *s, char **out, int max)
{
    int n = 0;
    if (!s[0]) return 0;
    for (char *p = s; n < max;) {
        out[n++] = p;
        char *c = strchr(p, ',');
        if (!c) break;
        *c = '\0';
        p = c + 1;
    }
    return n;
}

/* "host (x4), other (x2)" in order of first appearance. */
static void print_hosts(FILE *out, char *hosts)
{
    char *h[4096];
    int n = split_commas(hosts, h, 4096), first = 1;
    for (int i = 0; i < n; i++) {
        int seen = 0, cnt = 0;
        for (int j = 0; j < i && !seen; j++)
            seen = strcmp(h[i], h[j]) == 0;
        if (seen) continue;
        for (int j = i; j < n; j++)
            cnt += strcmp(h[i], h[j]) == 0;
        fprintf(out, "%s%s (x%d)", first ? "" : ", ", h[i], cnt);
        first = 0;
    }
    fputc('\n', out);
}

static herr_t print_attr_cb(hid_t loc, const char *name, const H5A_info_t *info, void *data)
{
    (void)info;
    FILE *out = data;
    static const char *const skip[] = {"spec_name", "spec_hash", "n_runs", "created",
                                       "created_mode"};
    for (size_t i = 0; i < sizeof skip / sizeof *skip; i++)
        if (strcmp(name, skip[i]) == 0) return 0;
    char *v = NULL;
    if (ntk_h5_attr_read_str(loc, name, &v) == 0) {
        /* Multi-line values (MPI library banners) are shown up to the first line break. */
        char *nl = strpbrk(v, "\r\n");
        if (nl) *nl = '\0';
        fprintf(out, "  %-18s %s\n", name, v);
    }
    H5Eclear2(H5E_DEFAULT);
    free(v);
    return 0;
}

static void print_runs(FILE *out, hid_t pg)
{
    int64_t n = 0;
    if (ntk_h5_attr_read_i64(pg, "n_runs", &n) != 0) {
        H5Eclear2(H5E_DEFAULT);
        return;
    }
    fprintf(out, "runs                %" PRId64 "\n", n);
    for (int64_t r = 0; r < n; r++) {
        char name[32];
        snprintf(name, sizeof name, "run_%03" PRId64, r);
        hid_t g = H5Gopen2(pg, name, H5P_DEFAULT);
        if (g < 0) {
            H5Eclear2(H5E_DEFAULT);
            fprintf(out, "  %s  (unreadable)\n", name);
            continue;
        }
        char *mode = attr_or_empty(g, "mode"), *t0 = attr_or_empty(g, "start_time"),
             *t1 = attr_or_empty(g, "end_time"), *comp = attr_or_empty(g, "completion"),
             *cmd = attr_or_empty(g, "command_line"), *ver = attr_or_empty(g, "ntksweep_version"),
             *git = attr_or_empty(g, "git_revision"), *hosts = NULL;
        int64_t nr = 0, jr = -1, jw = 0, jc = 0, jx = 0;
        ntk_h5_attr_read_i64(g, "n_ranks", &nr);
        if (H5Aexists(g, "journal_records") > 0) {
            ntk_h5_attr_read_i64(g, "journal_records", &jr);
            ntk_h5_attr_read_i64(g, "journal_written", &jw);
            ntk_h5_attr_read_i64(g, "journal_checked", &jc);
            ntk_h5_attr_read_i64(g, "journal_rewritten", &jx);
        }
        H5Eclear2(H5E_DEFAULT);
        fprintf(out, "  %s  %-8s %s -> %s  %-11s %" PRId64 " ranks, ntksweep %s (%s)\n", name, mode,
                t0, t1[0] ? t1 : "(running or killed)", comp, nr, ver, git);
        if (cmd[0]) fprintf(out, "           command: %s\n", cmd);
        if (ntk_h5_read_str_dataset(g, "hosts", &hosts) == 0) {
            fprintf(out, "           hosts:   ");
            print_hosts(out, hosts);
        }
        H5Eclear2(H5E_DEFAULT);
        if (jr >= 0)
            fprintf(out,
                    "           journal: %" PRId64 " records, %" PRId64 " written, %" PRId64
                    " checked, %" PRId64 " rewritten\n",
                    jr, jw, jc, jx);
        free(mode), free(t0), free(t1), free(comp), free(cmd), free(ver), free(git), free(hosts);
        H5Gclose(g);
    }
}

static void print_axis(FILE *out, hid_t g, const char *name)
{
    hid_t d = H5Dopen2(g, name, H5P_DEFAULT);
    if (d < 0) {
        H5Eclear2(H5E_DEFAULT);
        fprintf(out, "  %-16s (missing)\n", name);
        return;
    }
    hid_t sp = H5Dget_space(d), t = H5Dget_type(d);
    hsize_t n = 0;
    H5Sget_simple_extent_dims(sp, &n, NULL);
    char *units = attr_or_empty(d, "units");
    if (H5Tget_class(t) == H5T_STRING) {
        char **v = calloc((size_t)n, sizeof *v);
        hid_t mt = H5Tcopy(H5T_C_S1);
        H5Tset_size(mt, H5T_VARIABLE);
        H5Tset_cset(mt, H5Tget_cset(t));
        fprintf(out, "  %-16s %4llu labels:", name, (unsigned long long)n);
        if (v && H5Dread(d, mt, H5S_ALL, H5S_ALL, H5P_DEFAULT, v) >= 0) {
            for (hsize_t i = 0; i < n && i < 12; i++)
                fprintf(out, "%s %s", i ? "," : "", v[i]);
            if (n > 12) fprintf(out, ", ...");
            H5Dvlen_reclaim(mt, sp, H5P_DEFAULT, v);
        }
        fputc('\n', out);
        H5Tclose(mt);
        free(v);
    } else {
        double *v = malloc((size_t)n * sizeof *v);
        if (v && H5Dread(d, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, v) >= 0 && n) {
            fprintf(out, "  %-16s %4llu values in [%g, %g]  units %s\n", name,
                    (unsigned long long)n, v[0], v[n - 1], units[0] ? units : "-");
        } else
            fprintf(out, "  %-16s %4llu values\n", name, (unsigned long long)n);
        free(v);
    }
    H5Eclear2(H5E_DEFAULT);
    free(units);
    H5Tclose(t);
    H5Sclose(sp);
    H5Dclose(d);
}

typedef struct {
    FILE *out;
    int n_axes;
    long n_points;
    const unsigned char *status;
    int err;
} qty_walk;

/* Prints one quantity: shape, units, NaN / inf counts over done points. */
static herr_t qty_cb(hid_t g, const char *name, const H5L_info_t *info, void *data)
{
    (void)info;
    qty_walk *w = data;
    hid_t d = H5Dopen2(g, name, H5P_DEFAULT);
    if (d < 0) {
        H5Eclear2(H5E_DEFAULT);
        return 0;
    }
    if (H5Aexists(d, "symbol") <= 0) { /* coordinates and per-point datasets */
        H5Eclear2(H5E_DEFAULT);
        H5Dclose(d);
        return 0;
    }
    hid_t sp = H5Dget_space(d);
    hsize_t sh[H5S_MAX_RANK];
    int rank = H5Sget_simple_extent_dims(sp, sh, NULL);
    char shape[256] = "[";
    size_t o = 1;
    for (int r = 0; r < rank && o < sizeof shape; r++)
        o += (size_t)snprintf(shape + o, sizeof shape - o, "%s%llu", r ? "," : "",
                              (unsigned long long)sh[r]);
    if (o < sizeof shape - 1) strcat(shape, "]");
    char *units = attr_or_empty(d, "units"), *sym = attr_or_empty(d, "symbol");
    /* Slabs along the first axis: each holds n_points / sh[0] consecutive points. */
    long nan = 0, inf = 0, ppslab = w->n_points / (long)sh[0];
    hsize_t slab = 1;
    for (int r = 1; r < rank; r++)
        slab *= sh[r];
    size_t per = (size_t)(slab / (hsize_t)ppslab);
    double *buf = malloc((size_t)slab * sizeof *buf);
    hsize_t start[H5S_MAX_RANK] = {0}, cnt[H5S_MAX_RANK];
    memcpy(cnt, sh, sizeof(hsize_t) * (size_t)rank);
    cnt[0] = 1;
    hid_t ms = H5Screate_simple(rank, cnt, NULL); /* the slab's shape: no per-element mapping */
    int ok = buf != NULL;
    for (hsize_t i = 0; ok && i < sh[0]; i++) {
        start[0] = i;
        if (H5Sselect_hyperslab(sp, H5S_SELECT_SET, start, NULL, cnt, NULL) < 0 ||
            H5Dread(d, H5T_NATIVE_DOUBLE, ms, sp, H5P_DEFAULT, buf) < 0) {
            ok = 0;
            break;
        }
        for (long p = 0; p < ppslab; p++) {
            if (w->status[(long)i * ppslab + p] != NTK_ARCHIVE_DONE) continue;
            const double *v = buf + (size_t)p * per;
            for (size_t e = 0; e < per; e++) {
                nan += isnan(v[e]) != 0;
                inf += isinf(v[e]) != 0;
            }
        }
    }
    if (ok)
        fprintf(w->out, "  %-14s %-22s %-10s nan=%-9ld inf=%-7ld %s\n", name, shape, units, nan,
                inf, sym);
    else {
        H5Eclear2(H5E_DEFAULT);
        fprintf(w->out, "  %-14s %-22s %-10s (unreadable)\n", name, shape, units);
        w->err = 1;
    }
    H5Sclose(ms);
    free(buf);
    free(units);
    free(sym);
    H5Sclose(sp);
    H5Dclose(d);
    return 0;
}

static int print_section(FILE *out, hid_t f, const char *name, int n_axes, long n_points)
{
    hid_t g = H5Gopen2(f, name, H5P_DEFAULT);
    if (g < 0) {
        H5Eclear2(H5E_DEFAULT);
        fprintf(out, "section %s: missing\n", name);
        return 1;
    }
    char *desc = attr_or_empty(g, "description");
    unsigned char *st = malloc((size_t)n_points);
    double *sec = malloc((size_t)n_points * sizeof *sec);
    int64_t *nf = malloc((size_t)n_points * sizeof *nf);
    int err = 0;
    hid_t ds = H5Dopen2(g, NTK_AR_STATUS, H5P_DEFAULT),
          dt = H5Dopen2(g, NTK_AR_SECONDS, H5P_DEFAULT),
          dn = H5Dopen2(g, NTK_AR_NONFINITE, H5P_DEFAULT);
    if (!st || !sec || !nf || ds < 0 || dt < 0 || dn < 0 ||
        H5Dread(ds, H5T_NATIVE_UINT8, H5S_ALL, H5S_ALL, H5P_DEFAULT, st) < 0 ||
        H5Dread(dt, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, sec) < 0 ||
        H5Dread(dn, H5T_NATIVE_INT64, H5S_ALL, H5S_ALL, H5P_DEFAULT, nf) < 0) {
        H5Eclear2(H5E_DEFAULT);
        fprintf(out, "section %s: per-point datasets unreadable\n", name);
        err = 1;
    } else {
        long cnt[3] = {0, 0, 0}, nfp = 0, other = 0;
        double secs = 0;
        int64_t nfv = 0;
        for (long p = 0; p < n_points; p++) {
            if (st[p] <= NTK_ARCHIVE_FAILED)
                cnt[st[p]]++;
            else
                other++;
            if (st[p] == NTK_ARCHIVE_DONE) {
                if (isfinite(sec[p])) secs += sec[p];
                nfv += nf[p];
                nfp += nf[p] > 0;
            }
        }
        fprintf(out, "section %s%s%s%s\n", name, desc[0] ? " (" : "", desc, desc[0] ? ")" : "");
        fprintf(out,
                "  points: %ld done, %ld pending, %ld failed (of %ld); %.6g s of compute in done "
                "points\n",
                cnt[1], cnt[0], cnt[2], n_points, secs);
        if (other) fprintf(out, "  WARNING: %ld points have an invalid status\n", other);
        fprintf(out, "  non-finite values reported by the engine: %" PRId64 " in %ld points\n", nfv,
                nfp);
        fprintf(out,
                "  %-14s %-22s %-10s counts over done points (NaN also marks layers beyond a "
                "point's depth)\n",
                "quantity", "shape", "units");
        qty_walk w = {out, n_axes, n_points, st, 0};
        if (H5Literate(g, H5_INDEX_CRT_ORDER, H5_ITER_INC, NULL, qty_cb, &w) < 0) {
            H5Eclear2(H5E_DEFAULT);
            H5Literate(g, H5_INDEX_NAME, H5_ITER_INC, NULL, qty_cb, &w);
        }
        err |= w.err;
    }
    H5Eclear2(H5E_DEFAULT);
    if (dn >= 0) H5Dclose(dn);
    if (dt >= 0) H5Dclose(dt);
    if (ds >= 0) H5Dclose(ds);
    free(nf);
    free(sec);
    free(st);
    free(desc);
    H5Gclose(g);
    return err;
}

static void print_journal(FILE *out, const char *path)
{
    char *dir = malloc(strlen(path) + 16);
    if (!dir) return;
    sprintf(dir, "%s.journal", path);
    DIR *d = opendir(dir);
    if (!d) {
        fprintf(out, "journal             none\n");
        free(dir);
        return;
    }
    long files = 0;
    double bytes = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (e->d_name[0] < '0' || e->d_name[0] > '9') continue;
        char p[4096];
        struct stat st;
        snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
        if (stat(p, &st) == 0) {
            files++;
            bytes += (double)st.st_size;
        }
    }
    closedir(d);
    fprintf(out,
            "journal             %s: %ld files, %.0f bytes (replayed by --resume; removed by a "
            "complete run)\n",
            dir, files, bytes);
    free(dir);
}

int ntk_archive_info(const char *path, FILE *out)
{
    ntk_h5_quiet_state q;
    ntk_h5_quiet(&q);
    hid_t fapl = H5Pcreate(H5P_FILE_ACCESS);
    H5Pset_file_locking(fapl, 0, 1);
    hid_t f = H5Fopen(path, H5F_ACC_RDONLY, fapl);
    H5Pclose(fapl);
    if (f < 0) {
        int rc = ntk_h5_fail("cannot read archive '%s' (if a run was killed, rerun it with "
                             "--resume to rebuild the archive from its journal)",
                             path);
        ntk_h5_loud(&q);
        return rc == NTK_EHDF5 ? NTK_EIO : rc;
    }
    char *title = attr_or_empty(f, "title"), *hash = attr_or_empty(f, "spec_hash"),
         *comp = attr_or_empty(f, "completion"), *created = attr_or_empty(f, "created"),
         *source = attr_or_empty(f, "source"), *axes = attr_or_empty(f, "grid_axes"),
         *secs = attr_or_empty(f, "sections"), *upd = attr_or_empty(f, "last_update"), *text = NULL;
    int64_t npts = 0;
    ntk_h5_attr_read_i64(f, "n_points", &npts);
    H5Eclear2(H5E_DEFAULT);
    fprintf(out, "archive             %s\n", path);
    fprintf(out, "spec                %s\n", title);
    fprintf(out, "spec hash           %s\n", hash);
    fprintf(out, "completion          %s%s%s%s\n", comp,
            strcmp(comp, "running") == 0 ? " (or killed: resume it with --resume)" : "",
            upd[0] ? ", last update " : "", upd);
    fprintf(out, "created             %s by %s\n", created, source);
    int err = 0;
    hid_t pg = H5Gopen2(f, NTK_AR_PROV, H5P_DEFAULT);
    if (pg >= 0) {
        fprintf(out, "provenance\n");
        H5Aiterate2(pg, H5_INDEX_CRT_ORDER, H5_ITER_INC, NULL, print_attr_cb, out);
        H5Eclear2(H5E_DEFAULT);
        print_runs(out, pg);
        if (ntk_h5_read_str_dataset(pg, "spec_text", &text) != 0) text = NULL;
        H5Gclose(pg);
    } else
        err = 1;
    H5Eclear2(H5E_DEFAULT);
    char *axv[NTK_AR_MAX_AXES], *secv[64];
    char *axes_copy = strdup(axes), *secs_copy = strdup(secs);
    int nax = axes_copy ? split_commas(axes_copy, axv, NTK_AR_MAX_AXES) : 0;
    int nsec = secs_copy ? split_commas(secs_copy, secv, 64) : 0;
    fprintf(out, "grid                %" PRId64 " points over %d axes\n", npts, nax);
    if (nsec > 0) {
        hid_t g = H5Gopen2(f, secv[0], H5P_DEFAULT);
        if (g >= 0) {
            for (int i = 0; i < nax; i++)
                print_axis(out, g, axv[i]);
            H5Gclose(g);
        }
        H5Eclear2(H5E_DEFAULT);
    }
    for (int s = 0; s < nsec; s++)
        err |= print_section(out, f, secv[s], nax, (long)npts);
    print_journal(out, path);
    if (text) {
        fprintf(out, "spec text\n");
        for (char *line = text; *line;) {
            char *nl = strchr(line, '\n');
            int len = nl ? (int)(nl - line) : (int)strlen(line);
            fprintf(out, "  | %.*s\n", len, line);
            line += len + (nl ? 1 : 0);
        }
    }
    free(axes_copy);
    free(secs_copy);
    free(title), free(hash), free(comp), free(created), free(source), free(axes), free(secs);
    free(upd), free(text);
    H5Fclose(f);
    ntk_h5_loud(&q);
    if (err)
        return ntk_error_set(NTK_EHDF5,
                             "archive '%s': some parts are unreadable (rerun with --resume to "
                             "rebuild it from its journal)",
                             path);
    return 0;
}
