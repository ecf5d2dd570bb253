/* bench_theory.c - single-core benchmark of the theory engine on a tanh feedforward heatmap.
 *
 * Computes, on one thread, a grid of nw x nb points (sigma_w, sigma_b) of a tanh feedforward
 * network (NTK_ARCH_FF, no stem, sigma_out = 1, sigma_out_b = 0, all groups trained) of the given
 * depth, for two inputs with unit norms and correlation rho (Gram [[1, rho], [rho, 1]]). Each
 * point is one ntk_model_compile() + ntk_theory_run(); every layer l = 0..depth of q^l (pair
 * (0,0) and (0,1)), c^l (pair (0,1)) and Theta^l (pairs (0,0) and (0,1)) is kept in one array
 * of nw * nb * (depth + 1) * 5 doubles (as a heatmap writer would hold it). One result object is
 * allocated for the whole grid and reused.
 *
 * Usage: bench_theory [options]
 *   --nw N --nb N          grid size (default 256 x 256)
 *   --depth L              number of blocks (default 1000)
 *   --wmin/--wmax X        sigma_w range, linspace (default 0.5 .. 2.5)
 *   --bmin/--bmax X        sigma_b range, linspace (default 0.0 .. 1.0)
 *   --rho X                input correlation (default 0.5)
 *   --keep all|final       keep every layer (default) or only l = depth
 *   --no-memo              disable the engine's ACT memoization (ntk_theory_run_ex)
 *   --count                count Gaussian-expectation evaluations (ntk_theory_run_ex, memo on)
 *   --dump FILE            after timing, write the kept values of the subgrid of points whose
 *                          iw and ib are multiples of --stride S (default 8) or the last index,
 *                          at the layers of --layers (comma list, default: depth), as text, one
 *                          line per (point, layer):
 *                          iw ib layer sigma_w sigma_b q11 q12 c12 ntk11 ntk12
 * Prints the wall and CPU seconds of the grid loop, points/s and layer-steps/s.
 * sigma_w[i] = wmin + (wmax - wmin) * i / (nw - 1), likewise sigma_b, in double precision.
 */
#include "ntksweep/error.h"
#include "ntksweep/model.h"
#include "ntksweep/theory.h"
#include "theory/theory_priv.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define NKEEP 5 /* kept per layer: q11, q12, c12, ntk11, ntk12 */

static double clock_s(clockid_t id)
{
    struct timespec t;
    clock_gettime(id, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static double lin(double a, double b, long i, long n)
{
    return n > 1 ? a + (b - a) * (double)i / (double)(n - 1) : a;
}

static void usage(void)
{
    fprintf(stderr, "usage: bench_theory [--nw N] [--nb N] [--depth L] [--wmin X] [--wmax X] "
                    "[--bmin X] [--bmax X] [--rho X] [--keep all|final] [--no-memo] [--count] "
                    "[--dump FILE] [--stride S] [--layers l1,l2,...]\n");
}

int main(int argc, char **argv)
{
    long nw = 256, nb = 256, depth = 1000, stride = 8;
    double wmin = 0.5, wmax = 2.5, bmin = 0.0, bmax = 1.0, rho = 0.5;
    int keep_all = 1, memo = 1, count = 0;
    const char *dump = NULL, *layers = NULL;
    for (int a = 1; a < argc; a++) {
        const char *o = argv[a], *v = a + 1 < argc ? argv[a + 1] : NULL;
        int has = 1;
        if (!strcmp(o, "--no-memo"))
            memo = 0, has = 0;
        else if (!strcmp(o, "--count"))
            count = 1, has = 0;
        else if (!v) {
            usage();
            return 2;
        } else if (!strcmp(o, "--nw"))
            nw = atol(v);
        else if (!strcmp(o, "--nb"))
            nb = atol(v);
        else if (!strcmp(o, "--depth"))
            depth = atol(v);
        else if (!strcmp(o, "--wmin"))
            wmin = atof(v);
        else if (!strcmp(o, "--wmax"))
            wmax = atof(v);
        else if (!strcmp(o, "--bmin"))
            bmin = atof(v);
        else if (!strcmp(o, "--bmax"))
            bmax = atof(v);
        else if (!strcmp(o, "--rho"))
            rho = atof(v);
        else if (!strcmp(o, "--stride"))
            stride = atol(v);
        else if (!strcmp(o, "--dump"))
            dump = v;
        else if (!strcmp(o, "--layers"))
            layers = v;
        else if (!strcmp(o, "--keep") && (!strcmp(v, "all") || !strcmp(v, "final")))
            keep_all = !strcmp(v, "all");
        else {
            usage();
            return 2;
        }
        a += has;
    }
    if (nw < 1 || nb < 1 || depth < 1 || stride < 1 || !(fabs(rho) <= 1.0)) {
        usage();
        return 2;
    }
    const long npts = nw * nb, nrow = keep_all ? depth + 1 : 1;
    double *keep = malloc((size_t)npts * (size_t)nrow * NKEEP * sizeof(double));
    ntk_theory_result *res = ntk_theory_result_alloc(2, depth);
    if (!keep || !res) {
        fprintf(stderr, "bench_theory: out of memory (%ld points x %ld rows)\n", npts, nrow);
        return 1;
    }
    const double gram[4] = {1.0, rho, rho, 1.0};
    const ntk_inputs in = {2, gram};
    long ncalls = 0, nonfinite = 0;
    const ntk_theory_opts opts = {memo, count ? &ncalls : NULL};
    const int use_ex = !memo || count;

    printf("bench_theory: tanh FF, %ld x %ld points (sigma_w %g..%g, sigma_b %g..%g), depth %ld, "
           "rho %g, keep %s, memo %s\n",
           nw, nb, wmin, wmax, bmin, bmax, depth, rho, keep_all ? "all layers" : "final layer",
           memo ? "on" : "off");
    fflush(stdout);
    double t0 = clock_s(CLOCK_MONOTONIC), c0 = clock_s(CLOCK_PROCESS_CPUTIME_ID);
    for (long iw = 0; iw < nw; iw++)
        for (long ib = 0; ib < nb; ib++) {
            ntk_model m;
            ntk_model_default(&m);
            m.arch = NTK_ARCH_FF;
            m.act.kind = NTK_ACT_TANH;
            m.sigma_w = lin(wmin, wmax, iw, nw);
            m.sigma_b = lin(bmin, bmax, ib, nb);
            m.depth = depth;
            ntk_program prog;
            int rc = ntk_model_compile(&m, &prog);
            if (rc == 0)
                rc = use_ex ? ntk_theory_run_ex(&prog, &in, res, &opts)
                            : ntk_theory_run(&prog, &in, res);
            if (rc != 0) {
                fprintf(stderr, "bench_theory: point (%ld, %ld): %s\n", iw, ib, ntk_error_msg());
                return 1;
            }
            nonfinite += res->n_nonfinite;
            double *k = keep + (size_t)(iw * nb + ib) * (size_t)nrow * NKEEP;
            const double *q = res->data[NTK_TQ_Q], *c = res->data[NTK_TQ_C],
                         *t = res->data[NTK_TQ_NTK];
            for (long l = keep_all ? 0 : depth, r = 0; l <= depth; l++, r++) {
                /* [layer][pair] with pairs (0,0), (0,1), (1,1) */
                k[r * NKEEP + 0] = q[3 * l];
                k[r * NKEEP + 1] = q[3 * l + 1];
                k[r * NKEEP + 2] = c[3 * l + 1];
                k[r * NKEEP + 3] = t[3 * l];
                k[r * NKEEP + 4] = t[3 * l + 1];
            }
        }
    double wall = clock_s(CLOCK_MONOTONIC) - t0, cpu = clock_s(CLOCK_PROCESS_CPUTIME_ID) - c0;
    printf("elapsed_s %.3f\ncpu_s %.3f\npoints %ld\npoints_per_s %.1f\nlayer_steps_per_s %.4g\n",
           wall, cpu, npts, (double)npts / wall, (double)npts * (double)depth / wall);
    printf("us_per_point %.2f\nnonfinite_values %ld\n", 1e6 * wall / (double)npts, nonfinite);
    if (count)
        printf("gauss_calls %ld (%.3f per point per layer; 2 without memoization)\n", ncalls,
               (double)ncalls / ((double)npts * (double)depth));

    if (dump) {
        FILE *f = fopen(dump, "w");
        if (!f) {
            perror(dump);
            return 1;
        }
        long lays[64], nl = 0;
        if (layers) {
            const char *s = layers;
            while (*s && nl < 64) {
                char *e;
                long l = strtol(s, &e, 10);
                if (e == s || l < 0 || l > depth || (!keep_all && l != depth)) {
                    fprintf(stderr, "bench_theory: bad --layers entry '%s'\n", s);
                    return 2;
                }
                lays[nl++] = l;
                s = *e == ',' ? e + 1 : e;
            }
        } else
            lays[nl++] = depth;
        fprintf(f, "# bench_theory dump: tanh FF depth %ld rho %.17g grid %ld x %ld stride %ld\n",
                depth, rho, nw, nb, stride);
        fprintf(f, "# iw ib layer sigma_w sigma_b q11 q12 c12 ntk11 ntk12\n");
        for (long iw = 0; iw < nw; iw++)
            for (long ib = 0; ib < nb; ib++) {
                if ((iw % stride && iw != nw - 1) || (ib % stride && ib != nb - 1)) continue;
                const double *k = keep + (size_t)(iw * nb + ib) * (size_t)nrow * NKEEP;
                for (long j = 0; j < nl; j++) {
                    long r = keep_all ? lays[j] : 0;
                    const double *v = k + r * NKEEP;
                    fprintf(f, "%ld %ld %ld %.17g %.17g %.17g %.17g %.17g %.17g %.17g\n", iw, ib,
                            lays[j], lin(wmin, wmax, iw, nw), lin(bmin, bmax, ib, nb), v[0], v[1],
                            v[2], v[3], v[4]);
                }
            }
        fclose(f);
    }
    ntk_theory_result_free(res);
    free(keep);
    return 0;
}
