/* bench_sim.c - time per Monte-Carlo sample of the empirical NTK (k = 2 inputs) for a ReLU
 * feedforward net or ResNet, with the dense or the conditional engine.
 *
 * Usage: bench_sim ARCH ENGINE WIDTH DEPTH SAMPLES [MEM_LIMIT_MB]
 *   ARCH: ff | resnet; ENGINE: dense | conditional.
 * Prints one line: key=value pairs (seconds per sample: best and mean wall time and best CPU
 * time over SAMPLES, the NTK of the first sample). Built by tests/sim/sim.cmake, not registered as
 * a test; driven by tests/bench/bench_sim.py. */
#include "ntksweep/error.h"
#include "ntksweep/sim.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

/* CPU time of this process: robust against other jobs sharing the cores. */
static double cpu(void)
{
    struct timespec t;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

int main(int argc, char **argv)
{
    if (argc < 6) {
        fprintf(stderr, "usage: %s ff|resnet dense|conditional WIDTH DEPTH SAMPLES [MEM_MB]\n",
                argv[0]);
        return 2;
    }
    ntk_model m;
    ntk_model_default(&m);
    if (strcmp(argv[1], "resnet") == 0) {
        m.arch = NTK_ARCH_RESNET;
        m.sigma_w = 1.0;
        m.alpha.value = 0.1;
    } else if (strcmp(argv[1], "ff") != 0) {
        fprintf(stderr, "unknown architecture %s\n", argv[1]);
        return 2;
    }
    ntk_sim_opts o = {NTK_SIM_AUTO, 0};
    if (ntk_sim_engine_parse(argv[2], &o.engine) != 0) {
        fprintf(stderr, "%s\n", ntk_error_msg());
        return 2;
    }
    long width = atol(argv[3]);
    m.depth = atol(argv[4]);
    long ns = atol(argv[5]);
    if (argc > 6) o.mem_limit = (size_t)atol(argv[6]) << 20;
    m.d = 2;
    ntk_program prog;
    if (ntk_model_compile(&m, &prog) != 0) {
        fprintf(stderr, "%s\n", ntk_error_msg());
        return 1;
    }
    const int k = 2;
    double gram[4] = {1.0, 0.5, 0.5, 1.0}, X[4];
    ntk_sim_inputs_from_gram(k, gram, m.d, X);
    double t0 = now();
    ntk_sim *s = ntk_sim_alloc_opts(&prog, width, k, &o);
    if (!s) {
        fprintf(stderr, "%s\n", ntk_error_msg());
        return 1;
    }
    double talloc = now() - t0;
    const ntk_sim_layout *lay = ntk_sim_layout_of(s);
    double *rec = malloc(lay->record_size * sizeof *rec);
    double best = 1e300, sum = 0, cbest = 1e300, g[3] = {0, 0, 0};
    for (long i = 0; i < ns; i++) {
        double t = now(), c = cpu();
        if (ntk_sim_sample(s, X, 1, 1, (uint64_t)i, rec) < 0) {
            fprintf(stderr, "%s\n", ntk_error_msg());
            return 1;
        }
        t = now() - t;
        c = cpu() - c;
        if (c < cbest) cbest = c;
        sum += t;
        if (t < best) best = t;
        if (i == 0)
            for (int q = 0; q < 3; q++)
                g[q] = *ntk_sim_record_at(lay, rec, NTK_SQ_NTK, 0, 0, q);
    }
    printf("arch=%s engine=%s width=%ld depth=%ld samples=%ld alloc_s=%.3f best_s=%.6g "
           "mean_s=%.6g cpu_best_s=%.6g G00=%.6g G01=%.6g G11=%.6g\n",
           argv[1], ntk_sim_engine_name(ntk_sim_engine_of(s)), width, m.depth, ns, talloc, best,
           sum / (double)ns, cbest, g[0], g[1], g[2]);
    free(rec);
    ntk_sim_free(s);
    return 0;
}
