/* test_archive.c - the HDF5 archive: collective writes on any rank count, contents bit for bit,
 * refusals, resume after SIGKILL at random moments, rebuild of damaged files from the journals,
 * and the info summary.
 *
 * Usage:
 *   test_archive write PATH CHUNK_POINTS DEFLATE FLETCHER EPOCH   (under mpiexec, any ranks)
 *       creates PATH, writes the synthetic records (tests/io/synth.h) in epochs of at most EPOCH
 *       points per rank and section (rank 1 writes nothing when there are 2+ ranks), closes,
 *       checks every value bit for bit, the info summary, and a resume of the complete archive.
 *   test_archive api DIR          (under mpiexec, 2+ ranks) layout checks, packing, refusals,
 *       force, collective argument errors, reader layout check, failed create leaves nothing.
 *   test_archive kill DIR         (no mpiexec) kills resuming writers with SIGKILL at random
 *       moments (and damages the file between runs), then checks the final archive bit for bit.
 *   test_archive child PATH       one resuming writer (used by kill).
 *   test_archive partial PATH PCT (under mpiexec) writes PCT % of the points and stops;
 *   test_archive finish PATH [rebuild]  (under mpiexec, another rank count) resumes (deleting
 *       the HDF5 file first with rebuild: it is rebuilt from the other run's journals),
 *       finishes and checks every value.
 */
#include "check.h"
#include "synth.h"

#include "ntksweep/archive.h"
#include "ntksweep/error.h"

#include <errno.h>
#include <fcntl.h>
#include <mpi.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static int exists_(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0;
}

static void rm_archive_(const char *path)
{
    char buf[4200];
    snprintf(buf, sizeof buf, "rm -rf '%s' '%s.journal' '%s.tmp' '%s.corrupt'", path, path, path,
             path);
    if (system(buf) != 0) fprintf(stderr, "cannot clean %s\n", path);
}

/* Seconds recorded for a point: a function of (section, point) so the test can check them. */
static double secs_of_(int sec, long p)
{
    return 0.001 * (double)p + (double)sec;
}

/* Checks every record of the archive against the generator; returns the number of mismatches. */
static long verify_archive_(const char *path, const synth_t *s, int expect_complete_failed)
{
    ntk_archive *a = NULL;
    int rc = ntk_archive_open_read(path, &s->lay, &a);
    CHECK_INT(rc, 0);
    if (rc) {
        printf("open_read: %s\n", ntk_error_msg());
        return 1;
    }
    long bad = 0;
    for (int sec = 0; sec < s->lay.n_sections; sec++) {
        size_t n = ntk_archive_record_size(&s->lay, sec);
        double *want = malloc(n * sizeof *want), *got = malloc(n * sizeof *got);
        for (long p = 0; p < SYNTH_NPOINTS; p++) {
            unsigned char st = 9;
            double sc = 0;
            long nf = -1;
            if (ntk_archive_read(a, sec, p, got, &st, &sc, &nf) != 0) {
                printf("read %d/%ld: %s\n", sec, p, ntk_error_msg());
                bad++;
                continue;
            }
            long ninf = synth_record(&s->lay, sec, p, want);
            if (synth_failed(sec, p)) {
                int nan_all = 1;
                for (size_t e = 0; e < n; e++)
                    nan_all &= isnan(got[e]);
                if (st != NTK_ARCHIVE_FAILED || !nan_all || nf != 0) {
                    printf("point %d/%ld: expected failed (status %d)\n", sec, p, st);
                    bad++;
                }
                continue;
            }
            if (st != NTK_ARCHIVE_DONE || memcmp(got, want, n * sizeof *got) != 0 || nf != ninf ||
                sc != secs_of_(sec, p)) {
                if (bad < 5)
                    printf("point %d/%ld: status %d, nonfinite %ld (want %ld), seconds %g, data "
                           "%s\n",
                           sec, p, st, nf, ninf, sc,
                           memcmp(got, want, n * sizeof *got) ? "DIFFERENT" : "same");
                bad++;
            }
        }
        free(want);
        free(got);
    }
    (void)expect_complete_failed;
    ntk_archive_close(a, 0);
    return bad;
}

/* Writes the points of `mine` (this rank's list) in epochs; returns 0 or the first error. */
static int write_points_(ntk_archive *a, const synth_t *s, const long *mine, long nmine, int epoch,
                         MPI_Comm comm)
{
    size_t rs[SYNTH_NSECTIONS];
    for (int sec = 0; sec < SYNTH_NSECTIONS; sec++)
        rs[sec] = ntk_archive_record_size(&s->lay, sec);
    long nep = (nmine + epoch - 1) / epoch, maxep = 0;
    MPI_Allreduce(&nep, &maxep, 1, MPI_LONG, MPI_MAX, comm);
    double *recs = malloc((size_t)epoch * synth_max_record(&s->lay) * sizeof(double));
    const double **data = malloc((size_t)epoch * sizeof *data);
    long *idx = malloc((size_t)epoch * sizeof *idx), *nf = malloc((size_t)epoch * sizeof *nf);
    double *sc = malloc((size_t)epoch * sizeof *sc);
    int rc = 0;
    for (long e = 0; e < maxep && !rc; e++) {
        for (int sec = 0; sec < SYNTH_NSECTIONS && !rc; sec++) {
            long n = 0;
            for (long i = e * epoch; i < nmine && i < (e + 1) * epoch; i++, n++) {
                /* Sections take the rank's points in opposite orders: unsorted input. */
                long p = sec != 1 ? mine[i] : mine[nmine - 1 - i];
                idx[n] = p;
                double *r = recs + (size_t)n * rs[sec];
                nf[n] = synth_record(&s->lay, sec, p, r);
                data[n] = synth_failed(sec, p) ? NULL : r;
                if (!data[n]) nf[n] = 0;
                sc[n] = secs_of_(sec, p);
            }
            rc = ntk_archive_write(a, n, idx, data, sc, nf, sec);
        }
    }
    free(recs);
    free(data);
    free(idx);
    free(nf);
    free(sc);
    return rc;
}

/* ------------------------------------------------------------------ write mode */

static int count_inf_(const synth_t *s, int sec, int q)
{
    int n = 0;
    size_t rsz = ntk_archive_record_size(&s->lay, sec);
    double *r = malloc(rsz * sizeof *r);
    size_t off = 0;
    for (int i = 0; i < q; i++)
        off += ntk_archive_qty_count(&s->lay, s->sec[sec].qty[i].dims);
    size_t cnt = ntk_archive_qty_count(&s->lay, s->sec[sec].qty[q].dims);
    for (long p = 0; p < SYNTH_NPOINTS; p++) {
        if (synth_failed(sec, p)) continue;
        synth_record(&s->lay, sec, p, r);
        for (size_t e = 0; e < cnt; e++)
            n += isinf(r[off + e]) != 0;
    }
    free(r);
    return n;
}

static void check_info_(const char *path, const synth_t *s)
{
    char tmp[4200];
    snprintf(tmp, sizeof tmp, "%s.info.txt", path);
    FILE *f = fopen(tmp, "w+");
    CHECK(f != NULL);
    if (!f) return;
    int rc = ntk_archive_info(path, f);
    CHECK_INT(rc, 0);
    long len = ftell(f);
    rewind(f);
    char *txt = calloc((size_t)len + 1, 1);
    if (fread(txt, 1, (size_t)len, f) != (size_t)len) CHECK(0);
    fclose(f);
    CHECK(strstr(txt, "completion          complete") != NULL);
    CHECK(strstr(txt, "spec                io-test") != NULL);
    CHECK(strstr(txt, "points: 49 done, 0 pending, 1 failed (of 50)") != NULL); /* theory */
    CHECK(strstr(txt, "points: 47 done, 0 pending, 3 failed (of 50)") != NULL); /* sim: 5,22,39 */
    CHECK(strstr(txt, "libyaml            0.2.5") != NULL);
    CHECK(strstr(txt, "act                 2 labels: relu, tanh") != NULL);
    CHECK(strstr(txt, "  | name: io-test") != NULL);
    /* Per-quantity inf counts over done points. */
    for (int sec = 0; sec < SYNTH_NSECTIONS; sec++) {
        char sname[64];
        snprintf(sname, sizeof sname, "section %s", s->sec[sec].name);
        const char *at = strstr(txt, sname);
        CHECK(at != NULL);
        for (int q = 0; at && q < s->sec[sec].n_qty; q++) {
            char key[64];
            snprintf(key, sizeof key, "\n  %-14s ", s->sec[sec].qty[q].name);
            const char *line = strstr(at, key);
            long inf = -1;
            if (line && strstr(line, "inf=")) sscanf(strstr(line, "inf=") + 4, "%ld", &inf);
            char what[96];
            snprintf(what, sizeof what, "info: inf count of %s/%s", s->sec[sec].name,
                     s->sec[sec].qty[q].name);
            check_report_(inf == count_inf_(s, sec, q), __FILE__, __LINE__, what);
        }
    }
    if (check_nfail_) fputs(txt, stdout);
    free(txt);
}

static int mode_write(int argc, char **argv)
{
    if (argc < 7) return 2;
    const char *path = argv[2];
    long chunk = atol(argv[3]);
    int deflate = atoi(argv[4]), fl = atoi(argv[5]), epoch = atoi(argv[6]);
    int rank, size;
    MPI_Comm comm = MPI_COMM_WORLD;
    MPI_Comm_rank(comm, &rank);
    MPI_Comm_size(comm, &size);
    synth_t s;
    synth_init(&s, chunk, deflate, fl, NULL);
    if (rank == 0) rm_archive_(path);
    MPI_Barrier(comm);
    ntk_archive *a = NULL;
    int rc = ntk_archive_create(&comm, path, &s.lay, &s.prov, 0, &a);
    CHECK_INT(rc, 0);
    if (rc) {
        printf("create: %s\n", ntk_error_msg());
        return check_summary("io.write");
    }
    /* Points dealt to the active ranks (all but rank 1 when size >= 2), scattered. */
    long mine[SYNTH_NPOINTS], nmine = 0;
    int nact = size >= 2 ? size - 1 : 1;
    int me = size >= 2 ? (rank == 0 ? 0 : rank - 1) : 0;
    for (long i = 0; i < SYNTH_NPOINTS; i++) {
        long p = (i * 7 + 3) % SYNTH_NPOINTS; /* 7 is coprime to 50: a permutation */
        if (size >= 2 && rank == 1) continue;
        if (i % nact == me) mine[nmine++] = p;
    }
    /* An epoch without records on any rank is a no-op. */
    CHECK_INT(ntk_archive_write(a, 0, NULL, NULL, NULL, NULL, 1), 0);
    rc = write_points_(a, &s, mine, nmine, epoch, comm);
    CHECK_INT(rc, 0);
    if (rc) printf("write: %s\n", ntk_error_msg());
    CHECK(exists_(path) && ntk_archive_open_status(a, 0) != NULL);
    rc = ntk_archive_close(a, 1);
    CHECK_INT(rc, 0);
    char jdir[4200];
    snprintf(jdir, sizeof jdir, "%s.journal", path);
    CHECK(!exists_(jdir)); /* a complete close removes the journals */
    if (rank == 0) {
        long bad = verify_archive_(path, &s, 1);
        CHECK_INT(bad, 0);
        check_info_(path, &s);
    }
    MPI_Barrier(comm);
    /* Resuming a complete archive: nothing pending; failed points reported as failed. */
    unsigned char mask[SYNTH_NPOINTS];
    memset(mask, 7, sizeof mask);
    rc = ntk_archive_open_resume(&comm, path, &s.lay, &s.prov, &a, mask);
    CHECK_INT(rc, 0);
    if (!rc) {
        long nd = 0, nfl = 0;
        for (long p = 0; p < SYNTH_NPOINTS; p++) {
            int failed = synth_failed(0, p) || synth_failed(1, p);
            nd += mask[p] == NTK_ARCHIVE_DONE && !failed;
            nfl += mask[p] == NTK_ARCHIVE_FAILED && failed;
        }
        CHECK_INT(nd + nfl, SYNTH_NPOINTS);
        CHECK_INT(ntk_archive_open_status(a, 1)[22], NTK_ARCHIVE_FAILED);
        CHECK_INT(ntk_archive_open_status(a, 0)[22], NTK_ARCHIVE_DONE);
        CHECK_INT(ntk_archive_close(a, 1), 0);
    }
    if (rank == 0) CHECK_INT(verify_archive_(path, &s, 1), 0);
    int fails = check_nfail_, all = 0;
    MPI_Allreduce(&fails, &all, 1, MPI_INT, MPI_SUM, comm);
    if (rank != 0) return all ? 1 : 0;
    if (all && !fails) check_nfail_ = all;
    return check_summary("io.write");
}

/* ------------------------------------------------------------------ resume on other rank counts */

/* partial PATH PERCENT: writes the first PERCENT % of the points (both sections) and stops. */
static int mode_partial(int argc, char **argv)
{
    if (argc < 4) return 2;
    const char *path = argv[2];
    long upto = SYNTH_NPOINTS * atol(argv[3]) / 100;
    int rank, size;
    MPI_Comm comm = MPI_COMM_WORLD;
    MPI_Comm_rank(comm, &rank);
    MPI_Comm_size(comm, &size);
    synth_t s;
    synth_init(&s, 0, 4, 1, NULL);
    ntk_archive *a = NULL;
    int rc = ntk_archive_create(&comm, path, &s.lay, &s.prov, 1, &a);
    CHECK_INT(rc, 0);
    if (rc) return check_summary("io.partial");
    long mine[SYNTH_NPOINTS], nmine = 0;
    for (long i = rank; i < upto; i += size)
        mine[nmine++] = (i * 7 + 3) % SYNTH_NPOINTS;
    CHECK_INT(write_points_(a, &s, mine, nmine, 4, comm), 0);
    CHECK_INT(ntk_archive_close(a, 0), 0);
    char jdir[4200];
    snprintf(jdir, sizeof jdir, "%s.journal", path);
    CHECK(exists_(jdir)); /* interrupted: the journals stay */
    return rank == 0 ? check_summary("io.partial") : (check_nfail_ != 0);
}

/* finish PATH [rebuild]: resumes (after deleting the HDF5 file if asked, so that it is rebuilt
 * from the journals of another number of ranks), writes the pending records, checks all. */
static int mode_finish(int argc, char **argv)
{
    if (argc < 3) return 2;
    const char *path = argv[2];
    int rebuild = argc > 3 && strcmp(argv[3], "rebuild") == 0;
    int rank, size;
    MPI_Comm comm = MPI_COMM_WORLD;
    MPI_Comm_rank(comm, &rank);
    MPI_Comm_size(comm, &size);
    synth_t s;
    synth_init(&s, 0, 4, 1, NULL);
    if (rebuild && rank == 0) CHECK(unlink(path) == 0);
    MPI_Barrier(comm);
    ntk_archive *a = NULL;
    unsigned char mask[SYNTH_NPOINTS];
    int rc = ntk_archive_open_resume(&comm, path, &s.lay, &s.prov, &a, mask);
    CHECK_INT(rc, 0);
    if (rc) {
        printf("resume: %s\n", ntk_error_msg());
        return check_summary("io.finish");
    }
    long done = 0;
    for (long p = 0; p < SYNTH_NPOINTS; p++)
        done += mask[p] != NTK_ARCHIVE_PENDING;
    CHECK(done > 0 && done < SYNTH_NPOINTS);
    size_t rs = synth_max_record(&s.lay);
    double *r = malloc(4 * rs * sizeof *r);
    for (int sec = 0; sec < SYNTH_NSECTIONS && !rc; sec++) {
        const unsigned char *st = ntk_archive_open_status(a, sec);
        long pend[SYNTH_NPOINTS], np = 0, k = 0;
        for (long p = 0; p < SYNTH_NPOINTS; p++)
            if (st[p] == NTK_ARCHIVE_PENDING && k++ % size == rank) pend[np++] = p;
        long maxn = 0;
        MPI_Allreduce(&np, &maxn, 1, MPI_LONG, MPI_MAX, comm);
        for (long e = 0; e < maxn && !rc; e += 4) {
            long idx[4], nf[4], n = 0;
            double sc[4];
            const double *d[4];
            for (long i = e; i < np && i < e + 4; i++, n++) {
                idx[n] = pend[i];
                nf[n] = synth_record(&s.lay, sec, pend[i], r + n * rs);
                d[n] = synth_failed(sec, pend[i]) ? NULL : r + n * rs;
                if (!d[n]) nf[n] = 0;
                sc[n] = secs_of_(sec, pend[i]);
            }
            rc = ntk_archive_write(a, n, idx, d, sc, nf, sec);
        }
    }
    free(r);
    CHECK_INT(rc, 0);
    CHECK_INT(ntk_archive_close(a, 1), 0);
    if (rank == 0) CHECK_INT(verify_archive_(path, &s, 1), 0);
    int fails = check_nfail_, all = 0;
    MPI_Allreduce(&fails, &all, 1, MPI_INT, MPI_SUM, comm);
    if (rank != 0) return all ? 1 : 0;
    if (all && !fails) check_nfail_ = all;
    return check_summary("io.finish");
}

/* ------------------------------------------------------------------ api mode */

static void check_layout_errors_(void)
{
    synth_t s;
    synth_init(&s, 0, 4, 1, NULL);
    CHECK_INT(ntk_archive_layout_check(&s.lay), 0);
    CHECK_INT(ntk_archive_npoints(&s.lay), 50);
    /* theory record: q 9x6 + log_q 9x3 + ntk_group 9x7x6 + chi 9x3 = 486 doubles. */
    CHECK_INT(ntk_archive_record_size(&s.lay, 0), 486);
    /* sim: ntk 9x7x6 + grad 9x7x7x3 + loss 7 + c_final 6 = 1714 doubles. */
    CHECK_INT(ntk_archive_record_size(&s.lay, 1), 1714);
    /* samples: ntk 4x6 + chi 9x4x3 + ntk_layer 9x7x4x6 = 1644 doubles. */
    CHECK_INT(ntk_archive_record_size(&s.lay, 2), 1644);
    CHECK_INT(ntk_archive_record_size(&s.lay, 3), 0);
    CHECK_INT(ntk_archive_qty_count(&s.lay, NTK_DIM_SAMPLE), 4);
    CHECK_INT(ntk_archive_qty_count(&s.lay, NTK_DIM_LAYER | NTK_DIM_SAMPLE | NTK_DIM_STAT), 252);

    synth_t b = s;
    b.axes[1].name = "sigma_w";
    b.lay.axes = b.axes;
    CHECK_INT(ntk_archive_layout_check(&b.lay), NTK_EINVAL);
    CHECK(strstr(ntk_error_msg(), "sigma_w") != NULL);
    b = s;
    b.axes[0].name = "layer";
    b.lay.axes = b.axes;
    CHECK_INT(ntk_archive_layout_check(&b.lay), NTK_EINVAL);
    CHECK(strstr(ntk_error_msg(), "reserved") != NULL);
    b = s;
    b.lay.deflate = 12;
    CHECK_INT(ntk_archive_layout_check(&b.lay), NTK_EINVAL);
    b = s;
    b.axes[2].values = synth_sigma_w_; /* both values and labels */
    b.lay.axes = b.axes;
    CHECK_INT(ntk_archive_layout_check(&b.lay), NTK_EINVAL);
    ntk_qty_desc badq[1] = {
        {"x", "x", "1", "both pair and input", NTK_DIM_LAYER | NTK_DIM_PAIR | NTK_DIM_INPUT}};
    b = s;
    b.sec[0].qty = badq;
    b.sec[0].n_qty = 1;
    b.lay.sections = b.sec;
    CHECK_INT(ntk_archive_layout_check(&b.lay), NTK_EINVAL);
    CHECK(strstr(ntk_error_msg(), "theory/x") != NULL);
    /* A quantity with the sample dim needs n_sample >= 1; "sample" is a reserved name. */
    b = s;
    b.lay.n_sample = 0;
    CHECK_INT(ntk_archive_layout_check(&b.lay), NTK_EINVAL);
    CHECK(strstr(ntk_error_msg(), "samples/ntk") != NULL && strstr(ntk_error_msg(), "n_sample"));
    b = s;
    b.lay.n_sections = 2; /* no sample quantity: n_sample is not needed */
    b.lay.n_sample = 0;
    CHECK_INT(ntk_archive_layout_check(&b.lay), 0);
    b = s;
    b.axes[1].name = "sample";
    b.lay.axes = b.axes;
    CHECK_INT(ntk_archive_layout_check(&b.lay), NTK_EINVAL);
    CHECK(strstr(ntk_error_msg(), "reserved") != NULL);
    ntk_qty_desc clashq[1] = {{"depth", "d", "1", "clashes with an axis", NTK_DIM_LAYER}};
    b = s;
    b.sec[0].qty = clashq;
    b.sec[0].n_qty = 1;
    b.lay.sections = b.sec;
    CHECK_INT(ntk_archive_layout_check(&b.lay), NTK_EINVAL);
    b = s;
    b.lay.n_axes = 0;
    CHECK_INT(ntk_archive_layout_check(&b.lay), NTK_EINVAL);

    /* Packing: 3 engine rows into 9 archive rows (NaN padded); final-layer layouts keep the last
     * engine row. */
    ntk_qty_shape sh = {3, NTK_GROUP_COUNT, NTK_STAT_COUNT, 3, 6, 0};
    double q[3 * 6], lq[3 * 3], ng[3 * 7 * 6];
    for (int i = 0; i < 18; i++)
        q[i] = 1.5 + i;
    for (int i = 0; i < 9; i++)
        lq[i] = -2.25 * i;
    for (int i = 0; i < 126; i++)
        ng[i] = 3.0 * i;
    const double *qs[4] = {q, lq, ng, NULL};
    double rec[486];
    CHECK_INT(ntk_archive_pack(&s.lay, 0, &sh, qs, rec), 0);
    CHECK(rec[0] == 1.5 && rec[17] == 18.5 && isnan(rec[18]) && isnan(rec[53]));
    CHECK(rec[54] == 0.0 && rec[54 + 8] == -18.0 && isnan(rec[54 + 9]));
    CHECK(rec[81 + 125] == 375.0 && isnan(rec[81 + 126]));
    CHECK(isnan(rec[485]) && isnan(rec[459])); /* chi: NULL -> NaN */
    synth_t f = s;
    f.lay.n_layer = 1;
    double recf[6 + 3 + 42 + 3];
    CHECK_INT(ntk_archive_record_size(&f.lay, 0), 6 + 3 + 42 + 3);
    CHECK_INT(ntk_archive_pack(&f.lay, 0, &sh, qs, recf), 0);
    CHECK(recf[0] == 13.5 && recf[5] == 18.5 && recf[6] == -13.5 && recf[9] == 252.0);
    ntk_qty_shape big = {10, NTK_GROUP_COUNT, NTK_STAT_COUNT, 3, 6, 0};
    CHECK_INT(ntk_archive_pack(&s.lay, 0, &big, qs, rec), NTK_EINVAL);
    ntk_qty_shape k2 = {3, NTK_GROUP_COUNT, NTK_STAT_COUNT, 2, 3, 0};
    CHECK_INT(ntk_archive_pack(&s.lay, 0, &k2, qs, rec), NTK_EINVAL);

    /* Sample dim: 2 engine samples of 3 rows into 4 archive samples of 9 rows, NaN padded along
     * both; [layer][group][sample][pair|input] (quantity.h). */
    ntk_qty_shape ss = {3, NTK_GROUP_COUNT, 1, 3, 6, 2};
    double sn[2 * 6], sc[3 * 2 * 3], sl[3 * 7 * 2 * 6];
    for (int i = 0; i < 12; i++)
        sn[i] = 100.0 + i; /* sample s, pair p at s * 6 + p */
    for (int i = 0; i < 18; i++)
        sc[i] = -1.0 - i; /* row l, sample s, input i at (l * 2 + s) * 3 + i */
    for (int i = 0; i < 252; i++)
        sl[i] = 0.5 * i; /* row l, group g, sample s, pair p at ((l * 7 + g) * 2 + s) * 6 + p */
    const double *ssq[3] = {sn, sc, sl};
    double srec[1644];
    CHECK_INT(ntk_archive_pack(&s.lay, 2, &ss, ssq, srec), 0);
    long bad_pack = 0;
    for (int smp = 0; smp < 4; smp++)
        for (int p = 0; p < 6; p++) {
            double v = srec[smp * 6 + p];
            bad_pack += smp < 2 ? v != sn[smp * 6 + p] : !isnan(v);
        }
    for (int l = 0; l < 9; l++)
        for (int smp = 0; smp < 4; smp++)
            for (int i = 0; i < 3; i++) {
                double v = srec[24 + (l * 4 + smp) * 3 + i];
                bad_pack += l < 3 && smp < 2 ? v != sc[(l * 2 + smp) * 3 + i] : !isnan(v);
            }
    for (int l = 0; l < 9; l++)
        for (int g = 0; g < 7; g++)
            for (int smp = 0; smp < 4; smp++)
                for (int p = 0; p < 6; p++) {
                    double v = srec[132 + ((l * 7 + g) * 4 + smp) * 6 + p];
                    bad_pack +=
                        l < 3 && smp < 2 ? v != sl[((l * 7 + g) * 2 + smp) * 6 + p] : !isnan(v);
                }
    CHECK_INT(bad_pack, 0);
    /* All samples kept, final-layer layout (the last engine row); no samples: all NaN. */
    synth_t fs = s;
    fs.lay.n_layer = 1;
    fs.lay.n_sample = 2;
    double srec1[2 * 6 + 2 * 3 + 7 * 2 * 6];
    CHECK_INT(ntk_archive_record_size(&fs.lay, 2), 2 * 6 + 2 * 3 + 7 * 2 * 6);
    CHECK_INT(ntk_archive_pack(&fs.lay, 2, &ss, ssq, srec1), 0);
    CHECK(memcmp(srec1, sn, sizeof sn) == 0 && memcmp(srec1 + 12, sc + 12, 6 * sizeof *sc) == 0 &&
          memcmp(srec1 + 18, sl + 2 * 84, 84 * sizeof *sl) == 0);
    ntk_qty_shape s0 = ss;
    s0.n_sample = 0;
    CHECK_INT(ntk_archive_pack(&s.lay, 2, &s0, ssq, srec), 0);
    int all_nan = 1;
    for (int i = 0; i < 1644; i++)
        all_nan &= isnan(srec[i]) != 0;
    CHECK(all_nan);
    ntk_qty_shape s5 = ss;
    s5.n_sample = 5; /* more samples than the archive keeps */
    CHECK_INT(ntk_archive_pack(&s.lay, 2, &s5, ssq, srec), NTK_EINVAL);
}

/* Per-sample records above the 1 MiB chunk limit (split along layer and sample): written by
 * two ranks, read back bit for bit; another sample length is another layout. */
static void big_samples_(const char *dir, MPI_Comm comm)
{
    int rank;
    MPI_Comm_rank(comm, &rank);
    static const double pv[2] = {0.0, 1.0};
    ntk_archive_axis ax = {"point", NULL, "grid point", 2, pv, NULL, NULL, 0};
    static const ntk_qty_desc q[2] = {
        {"ntk_layer", "G_l", "variance", "per block",
         NTK_DIM_LAYER | NTK_DIM_SAMPLE | NTK_DIM_PAIR},
        {"ntk", "G", "variance", "full depth", NTK_DIM_SAMPLE | NTK_DIM_PAIR}};
    ntk_archive_section sec = {"samples", "per-sample values", q, 2};
    ntk_archive_layout lay = {0};
    lay.axes = &ax;
    lay.n_axes = 1;
    lay.n_layer = 3;
    lay.k = 3;
    lay.n_sample = 30000; /* a layer row is 1.44 MB: chunks of 21845 samples */
    lay.sections = &sec;
    lay.n_sections = 1;
    lay.fletcher32 = 1;
    ntk_archive_prov prov = {"big", "", "fnv1a64:00000000000000b1", NULL, NULL, 0};
    char path[4200];
    snprintf(path, sizeof path, "%s/big_samples.h5", dir);
    if (rank == 0) rm_archive_(path);
    MPI_Barrier(comm);
    size_t n = ntk_archive_record_size(&lay, 0);
    CHECK_INT(n, (3 * 30000 + 30000) * 6);
    double *rec = malloc(2 * n * sizeof *rec);
    for (size_t i = 0; i < 2 * n; i++)
        rec[i] = i % 7919 == 0 ? NAN : ((double)synth_mix_(i) * 0x1p-64 - 0.5) * 1e3;
    ntk_archive *a = NULL;
    int rc = ntk_archive_create(&comm, path, &lay, &prov, 0, &a);
    CHECK_INT(rc, 0);
    if (!rc) { /* one point per rank on ranks 0 and 1; both on a single rank */
        int size;
        MPI_Comm_size(comm, &size);
        long idx[2] = {rank, 1};
        const double *d[2] = {rec + (size_t)rank * n, rec + n};
        long nw = rank >= 2 ? 0 : (size == 1 ? 2 : 1);
        CHECK_INT(ntk_archive_write(a, nw, idx, d, NULL, NULL, 0), 0);
        CHECK_INT(ntk_archive_close(a, 1), 0);
    }
    if (rank == 0) {
        ntk_archive *r = NULL;
        double *got = malloc(n * sizeof *got);
        CHECK_INT(ntk_archive_open_read(path, &lay, &r), 0);
        for (long p = 0; r && p < 2; p++) {
            unsigned char st = 0;
            CHECK_INT(ntk_archive_read(r, 0, p, got, &st, NULL, NULL), 0);
            CHECK(st == NTK_ARCHIVE_DONE && memcmp(got, rec + (size_t)p * n, n * sizeof *got) == 0);
        }
        ntk_archive_close(r, 0);
        free(got);
    }
    MPI_Barrier(comm);
    ntk_archive_layout other = lay;
    other.n_sample = 29999;
    rc = ntk_archive_open_resume(&comm, path, &other, &prov, &a, NULL);
    CHECK_INT(rc, NTK_EINVAL);
    CHECK(strstr(ntk_error_msg(), "another layout") != NULL);
    free(rec);
    MPI_Barrier(comm);
    if (rank == 0) rm_archive_(path); /* 17 MB */
}

static int mode_api(int argc, char **argv)
{
    if (argc < 3) return 2;
    int rank, size;
    MPI_Comm comm = MPI_COMM_WORLD;
    MPI_Comm_rank(comm, &rank);
    MPI_Comm_size(comm, &size);
    char path[4096], path2[4096];
    snprintf(path, sizeof path, "%s/api.h5", argv[2]);
    snprintf(path2, sizeof path2, "%s/no/such/dir/api.h5", argv[2]);
    if (rank == 0) {
        rm_archive_(path);
        check_layout_errors_();
    }
    MPI_Barrier(comm);
    synth_t s, other;
    synth_init(&s, 4, 1, 1, NULL);
    synth_init(&other, 4, 1, 1, "fnv1a64:fedcba9876543210");
    ntk_archive *a = NULL;

    /* A failed create (no such directory) leaves nothing behind and fails on every rank. */
    int rc = ntk_archive_create(NULL, path2, &s.lay, &s.prov, 0, &a);
    CHECK(rc == NTK_EHDF5 || rc == NTK_EIO);
    CHECK(a == NULL);
    CHECK(!exists_(path2));

    rc = ntk_archive_create(NULL, path, &s.lay, &s.prov, 0, &a);
    CHECK_INT(rc, 0);
    /* Some points, then an interrupted close: the journals stay. */
    long mine[2] = {rank * 2, rank * 2 + 1};
    CHECK_INT(write_points_(a, &s, mine, 2, 2, comm), 0);
    /* Collective argument errors: a bad index on one rank fails every rank. */
    long bad[1] = {rank == size - 1 ? 1000 : rank};
    double rec[1714];
    const double *dp[1] = {rec};
    synth_record(&s.lay, 0, bad[0] % 50, rec);
    rc = ntk_archive_write(a, 1, bad, dp, NULL, NULL, 0);
    CHECK_INT(rc, NTK_EINVAL);
    CHECK(strstr(ntk_error_msg(), "outside the grid") != NULL);
    long dup[2] = {7, 7};
    const double *dp2[2] = {rec, rec};
    rc = ntk_archive_write(a, rank == 0 ? 2 : 0, dup, dp2, NULL, NULL, 0);
    CHECK_INT(rc, NTK_EINVAL);
    CHECK(strstr(ntk_error_msg(), "twice") != NULL);
    rc = ntk_archive_write(a, 0, NULL, NULL, NULL, NULL, 5);
    CHECK_INT(rc, NTK_EINVAL);
    CHECK_INT(ntk_archive_close(a, 1), 0); /* complete requested, points pending: interrupted */
    char jdir[4200];
    snprintf(jdir, sizeof jdir, "%s.journal", path);
    CHECK(exists_(jdir));

    /* Refusals. */
    rc = ntk_archive_create(NULL, path, &s.lay, &s.prov, 0, &a);
    CHECK_INT(rc, NTK_EEXIST);
    CHECK(strstr(ntk_error_msg(), "use --resume or --force") != NULL);
    rc = ntk_archive_create(NULL, path, &other.lay, &other.prov, 0, &a);
    CHECK_INT(rc, NTK_EEXIST);
    CHECK(strstr(ntk_error_msg(), "another sweep") != NULL);
    CHECK(strstr(ntk_error_msg(), "fnv1a64:0123456789abcdef") != NULL);
    rc = ntk_archive_open_resume(NULL, path, &other.lay, &other.prov, &a, NULL);
    CHECK_INT(rc, NTK_EEXIST);
    synth_t grown = s;
    grown.axes[0].n = 4; /* another layout, same spec hash */
    grown.lay.axes = grown.axes;
    rc = ntk_archive_open_resume(NULL, path, &grown.lay, &grown.prov, &a, NULL);
    CHECK_INT(rc, NTK_EINVAL);
    CHECK(strstr(ntk_error_msg(), "another layout") != NULL);
    if (rank == 0) {
        ntk_archive *r = NULL;
        CHECK_INT(ntk_archive_open_read(path, &grown.lay, &r), NTK_EINVAL);
        CHECK(r == NULL);
    }

    /* Resume: the points written before are done, the rest pending. */
    unsigned char mask[SYNTH_NPOINTS];
    rc = ntk_archive_open_resume(NULL, path, &s.lay, &s.prov, &a, mask);
    CHECK_INT(rc, 0);
    long nd = 0;
    for (long p = 0; p < SYNTH_NPOINTS; p++)
        nd += mask[p] != NTK_ARCHIVE_PENDING;
    CHECK_INT(nd, 2 * size);
    CHECK_INT(ntk_archive_close(a, 0), 0);

    /* Force: a fresh archive, nothing done, old journals gone. */
    rc = ntk_archive_create(NULL, path, &other.lay, &other.prov, 1, &a);
    CHECK_INT(rc, 0);
    CHECK_INT(ntk_archive_close(a, 0), 0);
    rc = ntk_archive_open_resume(NULL, path, &other.lay, &other.prov, &a, mask);
    CHECK_INT(rc, 0);
    nd = 0;
    for (long p = 0; p < SYNTH_NPOINTS; p++)
        nd += mask[p] != NTK_ARCHIVE_PENDING;
    CHECK_INT(nd, 0);
    CHECK_INT(ntk_archive_close(a, 0), 0);
    CHECK_INT(ntk_archive_close(NULL, 1), 0);

    big_samples_(argv[2], comm);

    /* Info on a non-archive fails cleanly. */
    if (rank == 0) {
        char junk[4200];
        snprintf(junk, sizeof junk, "%s/junk.h5", argv[2]);
        FILE *f = fopen(junk, "w");
        fputs("not an archive\n", f);
        fclose(f);
        FILE *dn = fopen("/dev/null", "w");
        CHECK_INT(ntk_archive_info(junk, dn), NTK_EIO);
        fclose(dn);
        CHECK(strstr(ntk_error_msg(), "--resume") != NULL);
        /* Creating over a non-archive is refused too. */
    }
    MPI_Barrier(comm);
    char junk[4200];
    snprintf(junk, sizeof junk, "%s/junk.h5", argv[2]);
    rc = ntk_archive_create(NULL, junk, &s.lay, &s.prov, 0, &a);
    CHECK_INT(rc, NTK_EEXIST);
    CHECK(strstr(ntk_error_msg(), "not a readable ntksweep archive") != NULL);
    int fails = check_nfail_, all = 0;
    MPI_Allreduce(&fails, &all, 1, MPI_INT, MPI_SUM, comm);
    if (rank != 0) return all ? 1 : 0;
    if (all && !fails) check_nfail_ = all;
    return check_summary("io.api");
}

/* ------------------------------------------------------------------ kill mode */

/* A resuming writer: open, write every pending point one per epoch, close complete. */
static int mode_child(int argc, char **argv)
{
    if (argc < 3) return 2;
    int fd = argc > 3 ? atoi(argv[3]) : -1;
    if (fd >= 0 && write(fd, "M", 1) != 1) perror("child: ready pipe");
    synth_t s;
    synth_init(&s, 3, 4, 1, NULL);
    ntk_archive *a = NULL;
    unsigned char mask[SYNTH_NPOINTS];
    int rc = ntk_archive_open_resume(NULL, argv[2], &s.lay, &s.prov, &a, mask);
    if (rc) {
        fprintf(stderr, "child: resume: %s\n", ntk_error_msg());
        return 1;
    }
    long ndone = 0;
    for (long p = 0; p < SYNTH_NPOINTS; p++)
        ndone += mask[p] != NTK_ARCHIVE_PENDING;
    printf("  writer resumed with %ld of %d points finished\n", ndone, SYNTH_NPOINTS);
    fflush(stdout);
    /* Tell the driver that the write phase starts. */
    if (fd >= 0) {
        if (write(fd, "R", 1) != 1) perror("child: ready pipe");
        close(fd);
    }
    size_t rs = synth_max_record(&s.lay);
    double *r = malloc(rs * sizeof *r);
    for (int sec = 0; sec < SYNTH_NSECTIONS && !rc; sec++) {
        const unsigned char *st = ntk_archive_open_status(a, sec);
        for (long i = 0; i < SYNTH_NPOINTS && !rc; i++) {
            long p = (i * 7 + 3) % SYNTH_NPOINTS;
            if (st[p] != NTK_ARCHIVE_PENDING) continue;
            long nf = synth_record(&s.lay, sec, p, r);
            const double *d = synth_failed(sec, p) ? NULL : r;
            double sc = secs_of_(sec, p);
            if (!d) nf = 0;
            rc = ntk_archive_write(a, 1, &p, &d, &sc, &nf, sec);
        }
    }
    free(r);
    if (rc) fprintf(stderr, "child: write: %s\n", ntk_error_msg());
    int rc2 = ntk_archive_close(a, 1);
    if (rc2) fprintf(stderr, "child: close: %s\n", ntk_error_msg());
    return rc || rc2;
}

static double now_(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

/* Runs a child writer, which reports 'M' on its pipe when MPI is up and 'R' when the archive is
 * open (after the resume: verification and journal replay) and its write phase starts. If
 * phase is 1 (2) the child is killed with SIGKILL delay seconds after its 'M' ('R'); phase 0
 * lets it finish. t[0], t[1], t[2] receive the times of 'M', 'R' and the exit since the start
 * (-1 if not seen). Returns the exit status, or -SIGKILL if killed. */
static int run_child_(const char *self, const char *path, int phase, double delay, double *t)
{
    int pfd[2];
    if (pipe(pfd) != 0) return -1;
    double t0 = now_();
    pid_t pid = fork();
    if (pid == 0) {
        char fd[16];
        close(pfd[0]);
        snprintf(fd, sizeof fd, "%d", pfd[1]);
        execl(self, self, "child", path, fd, (char *)NULL);
        _exit(127);
    }
    close(pfd[1]);
    t[0] = t[1] = t[2] = -1;
    int st = 0, done = 0;
    char c;
    while ((phase == 0 || t[phase - 1] < 0) && read(pfd[0], &c, 1) == 1)
        t[c == 'M' ? 0 : 1] = now_() - t0;
    if (phase == 0)
        while (read(pfd[0], &c, 1) == 1)
            ;
    if (phase > 0) {
        double start = now_();
        while (now_() - start < delay) {
            if (waitpid(pid, &st, WNOHANG) == pid) {
                done = 1;
                break;
            }
            usleep(200);
        }
        if (!done) kill(pid, SIGKILL);
    }
    if (!done) waitpid(pid, &st, 0);
    close(pfd[0]); /* only now: a child that reports late must not die of SIGPIPE */
    t[2] = now_() - t0;
    if (WIFSIGNALED(st)) return -WTERMSIG(st);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* Records still pending in the archive (all when it cannot be read). */
static long pending_(const char *path, const synth_t *s)
{
    ntk_archive *a = NULL;
    if (ntk_archive_open_read(path, &s->lay, &a) != 0) return SYNTH_NSECTIONS * SYNTH_NPOINTS;
    long n = 0;
    for (int sec = 0; sec < SYNTH_NSECTIONS; sec++)
        for (long p = 0; p < SYNTH_NPOINTS; p++) {
            unsigned char st = 0;
            if (ntk_archive_read(a, sec, p, NULL, &st, NULL, NULL) != 0 ||
                st == NTK_ARCHIVE_PENDING)
                n++;
        }
    ntk_archive_close(a, 0);
    return n;
}

static void damage_(const char *path, int how)
{
    if (how == 0) { /* truncated */
        struct stat st;
        if (stat(path, &st) == 0 && truncate(path, st.st_size / 2) != 0) perror("truncate");
    } else if (how == 1) { /* garbage over the superblock and the first object headers */
        int fd = open(path, O_WRONLY);
        if (fd >= 0) {
            unsigned char junk[4096];
            memset(junk, 0xa5, sizeof junk);
            if (pwrite(fd, junk, sizeof junk, 0) != (ssize_t)sizeof junk) perror("pwrite");
            close(fd);
        }
    } else /* lost */
        unlink(path);
}

static int mode_kill(int argc, char **argv)
{
    if (argc < 3) return 2;
    char path[4096], ref[4096];
    snprintf(path, sizeof path, "%s/kill.h5", argv[2]);
    snprintf(ref, sizeof ref, "%s/kill_ref.h5", argv[2]);
    rm_archive_(path);
    rm_archive_(ref);
    synth_t s;
    synth_init(&s, 3, 4, 1, NULL);
    /* An uninterrupted run gives the durations the kills are spread over: the resume (after
     * MPI start-up) and the write phase. */
    double t[3];
    CHECK_INT(run_child_(argv[0], ref, 0, 0, t), 0);
    CHECK_INT(verify_archive_(ref, &s, 1), 0);
    double t_resume = t[1] - t[0], t_write = t[2] - t[1];
    printf("uninterrupted writer: resume %.3f s, write phase %.3f s (%d records)\n", t_resume,
           t_write, SYNTH_NSECTIONS * SYNTH_NPOINTS);
    srand(12345);
    int kills = 0, damaged = 0, moved_aside = 0;
    for (int round = 0; round < 24 && kills < 12; round++) {
        /* Two kills in three land in the write phase (spread over the expected remaining
         * time), the others in the resume (verification, journal replay, rebuild). */
        int phase = round % 3 == 2 ? 1 : 2;
        long pend = pending_(path, &s);
        double span = phase == 1
                          ? t_resume
                          : t_write * (double)pend / ((double)SYNTH_NSECTIONS * SYNTH_NPOINTS);
        double delay = span * (0.02 + 0.96 * rand() / (double)RAND_MAX);
        int rc = run_child_(argv[0], path, phase, delay, t);
        if (phase == 2 && t[1] > 0 && t[0] > 0) t_resume = t[1] - t[0];
        kills += rc == -SIGKILL;
        printf("round %d: %ld records pending; killed %.3f s into the %s: %s (status %d)\n", round,
               pend, delay, phase == 1 ? "resume" : "write phase",
               rc == -SIGKILL ? "yes" : (rc == 0 ? "no (finished)" : "FAILED"), rc);
        CHECK(rc == -SIGKILL || rc == 0);
        if (rc == 0) {
            /* Finished before the kill: check it and start over until enough kills. */
            CHECK_INT(verify_archive_(path, &s, 1), 0);
            rm_archive_(path);
            moved_aside = 0;
            continue;
        }
        if (round == 3 || round == 6 || round == 9) {
            int how = (round - 3) / 3;
            if (exists_(path)) {
                damage_(path, how);
                damaged++;
                moved_aside |= how < 2;
                printf("round %d: archive %s\n", round,
                       how == 0   ? "truncated"
                       : how == 1 ? "overwritten at offset 0"
                                  : "deleted");
            }
        }
    }
    CHECK(kills >= 10);
    CHECK_INT(run_child_(argv[0], path, 0, 0, t), 0);
    CHECK_INT(verify_archive_(path, &s, 1), 0);
    char jdir[4200], bad[4200];
    snprintf(jdir, sizeof jdir, "%s.journal", path);
    snprintf(bad, sizeof bad, "%s.corrupt", path);
    CHECK(!exists_(jdir));
    if (moved_aside) CHECK(exists_(bad)); /* a damaged file was moved aside and rebuilt */
    printf("%d kills, %d damaged files\n", kills, damaged);
    return check_summary("io.kill");
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: test_archive write|api|kill|child ...\n");
        return 2;
    }
    if (strcmp(argv[1], "kill") == 0) return mode_kill(argc, argv);
    MPI_Init(&argc, &argv);
    int rc = 2;
    if (strcmp(argv[1], "write") == 0)
        rc = mode_write(argc, argv);
    else if (strcmp(argv[1], "api") == 0)
        rc = mode_api(argc, argv);
    else if (strcmp(argv[1], "child") == 0)
        rc = mode_child(argc, argv);
    else if (strcmp(argv[1], "partial") == 0)
        rc = mode_partial(argc, argv);
    else if (strcmp(argv[1], "finish") == 0)
        rc = mode_finish(argc, argv);
    MPI_Finalize();
    return rc;
}
