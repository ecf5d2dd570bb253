/* test_spec_cnn.c - cnn1d in sweep specs: positions / kernel_half / readout, the virtual inputs
 * (replicated Gram, signals, shifted cosines), their errors, and point keys (unchanged for the
 * other architectures). Usage: test_spec_cnn parse|gram|errors|keys */
#include "check.h"

#include "ntksweep/error.h"
#include "ntksweep/sim.h"
#include "ntksweep/spec.h"
#include "ntksweep/theory.h"

#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

static ntk_sweep *load_(const char *text)
{
    ntk_sweep *s = NULL;
    int rc = ntk_spec_parse_string(text, "t.yaml", &s);
    if (rc < 0) printf("unexpected error: %s\n", ntk_error_msg());
    CHECK(rc == 0 && s != NULL);
    return s;
}

/* Parses text as "bad.yaml"; checks NTK_ESPEC, no sweep, and every substring of the list. */
static void expect_(int line, const char *text, ...)
{
    ntk_sweep *s = (ntk_sweep *)1;
    int rc = ntk_spec_parse_string(text, "bad.yaml", &s);
    const char *msg = ntk_error_msg();
    int ok = rc == NTK_ESPEC && s == NULL;
    va_list ap;
    va_start(ap, text);
    const char *sub;
    while ((sub = va_arg(ap, const char *)))
        if (!strstr(msg, sub)) {
            ok = 0;
            printf("  missing \"%s\"\n", sub);
        }
    va_end(ap);
    char what[128];
    snprintf(what, sizeof what, "spec error case at line %d (rc %d)", line, rc);
    if (!check_report_(ok, __FILE__, line, what)) printf("  message: %s\n", msg);
    if (s && s != (ntk_sweep *)1) ntk_sweep_free(s);
}

#define EXPECT(text, ...) expect_(__LINE__, text, __VA_ARGS__, (const char *)NULL)

/* Every point key of a equals that of b (same number of points). */
static int same_keys_(const ntk_sweep *a, const ntk_sweep *b)
{
    if (ntk_sweep_npoints(a) != ntk_sweep_npoints(b)) return 0;
    for (long i = 0; i < ntk_sweep_npoints(a); i++)
        if (ntk_sweep_point_key(a, i) != ntk_sweep_point_key(b, i)) return 0;
    return 1;
}

/* ------------------------------------------------------------------ parsing */

static void test_parse_(void)
{
    ntk_sweep *s = load_("name: c\nmodel: {arch: cnn1d, act: tanh, positions: 8, kernel_half: 1, "
                         "readout: conv, depth: 3}\ninputs: {rho: 0.25, norms: [1, 4]}\n");
    if (!s) return;
    ntk_point pt;
    CHECK(ntk_sweep_point(s, 0, &pt) == 0);
    CHECK(pt.model.arch == NTK_ARCH_CNN1D);
    CHECK_INT(pt.model.positions, 8);
    CHECK_INT(pt.model.kernel_half, 1);
    CHECK(pt.model.readout == NTK_READOUT_CONV);
    CHECK_INT(pt.k, 16);
    CHECK_INT(ntk_sweep_max_k(s), 16);
    CHECK_INT(pt.model.d, 2); /* rank of the replicated Gram = rank of the 2 x 2 one */
    CHECK(ntk_model_check(&pt.model) == 0);
    /* The archive holds (k M)(k M + 1)/2 = 136 virtual pairs per pair quantity. */
    ntk_sweep_free(s);
    s = load_("name: c\nmodel: {arch: cnn1d, positions: 8, depth: 3}\n"
              "theory: {quantities: [ntk, log_ntk]}\n");
    if (s) {
        size_t len;
        ntk_sweep_text(s, &len);
        CHECK_REL(ntk_sweep_archive_bytes(s), 8.0 * (1 + 4 * 136 + 4 * 16) + (double)len, 1e-15);
        FILE *f = tmpfile();
        CHECK(f && ntk_sweep_describe(s, f) == 0);
        if (f) {
            char buf[8192];
            rewind(f);
            size_t n = fread(buf, 1, sizeof buf - 1, f);
            buf[n] = '\0';
            CHECK(strstr(buf, "inputs per point: k = 16 (2 inputs x 8 positions)") != NULL);
            CHECK(strstr(buf, "  positions: 8\n  kernel_half: 0  # default\n  readout: dense") !=
                  NULL);
            fclose(f);
        }
        ntk_sweep_free(s);
    }

    /* kernel_half and readout as axes; kernel_half is an integer axis. */
    s = load_("name: c\nmodel: {arch: cnn1d, positions: 9, depth: 2}\n"
              "grid:\n  kernel_half: {range: [0, 4, 2]}\n  readout: [dense, conv]\n");
    if (s) {
        CHECK_INT(ntk_sweep_npoints(s), 6);
        ntk_axis_info ax;
        CHECK(ntk_sweep_axis(s, 0, &ax) == 0 && ax.integer && ax.n == 3);
        CHECK(strcmp(ax.units, "positions") == 0);
        CHECK(ntk_sweep_axis(s, 1, &ax) == 0 && ax.labels && strcmp(ax.labels[1], "conv") == 0);
        CHECK(ntk_sweep_point(s, 5, &pt) == 0);
        CHECK_INT(pt.model.kernel_half, 4);
        CHECK(pt.model.readout == NTK_READOUT_CONV);
        CHECK(ntk_sweep_point(s, 2, &pt) == 0);
        CHECK_INT(pt.model.kernel_half, 2);
        CHECK(pt.model.readout == NTK_READOUT_DENSE);
        CHECK_INT(pt.k, 18);
        ntk_sweep_free(s);
    }
    /* A generated kernel_half axis is rounded and deduplicated like depth. */
    s = load_("name: c\nmodel: {arch: cnn1d, positions: 9, depth: 2}\n"
              "grid:\n  kernel_half: {linspace: [0, 1, 4]}\n");
    if (s) {
        CHECK_INT(ntk_sweep_npoints(s), 2);
        ntk_sweep_free(s);
    }
    /* Derived kernel_half (rounded; positions can be read). */
    s = load_("name: c\nmodel: {arch: cnn1d, positions: 8, depth: 2}\n"
              "derived: {kernel_half: positions / 3}\n");
    if (s) {
        CHECK(ntk_sweep_point(s, 0, &pt) == 0);
        CHECK_INT(pt.model.kernel_half, 3); /* round(2.67) */
        ntk_sweep_free(s);
    }
    s = load_("name: c\nmodel: {arch: cnn1d, positions: 8, depth: 2}\n"
              "derived: {kernel_half: floor((positions - 1) / 2)}\n");
    if (s) {
        CHECK(ntk_sweep_point(s, 0, &pt) == 0);
        CHECK_INT(pt.model.kernel_half, 3);
        ntk_sweep_free(s);
    }

    /* An arch axis mixing ff and cnn1d (positions 1): the ff points are plain ff points. */
    s = load_("name: c\nmodel: {act: relu, depth: 3, readout: conv}\ngrid:\n  arch: [ff, cnn1d]\n");
    ntk_sweep *f = load_("name: c\nmodel: {arch: ff, act: relu, depth: 3}\n");
    if (s && f) {
        CHECK_INT(ntk_sweep_max_k(s), 2);
        CHECK(ntk_sweep_point(s, 0, &pt) == 0);
        CHECK(pt.model.arch == NTK_ARCH_FF && pt.model.positions == 1 &&
              pt.model.readout == NTK_READOUT_DENSE);
        CHECK(ntk_sweep_point_key(s, 0) == ntk_sweep_point_key(f, 0));
        CHECK(ntk_sweep_point(s, 1, &pt) == 0);
        CHECK(pt.model.arch == NTK_ARCH_CNN1D && pt.model.readout == NTK_READOUT_CONV);
        CHECK(ntk_sweep_point_key(s, 1) != ntk_sweep_point_key(f, 0));
    }
    ntk_sweep_free(s);
    ntk_sweep_free(f);

    /* Simulation: k M <= NTK_SIM_MAX_K virtual inputs, d defaults to the Gram rank (>= 2), the
     * simulation cost grows with the filter size. */
    s = load_("name: c\nmodel: {arch: cnn1d, positions: 4, depth: 2, width: 32}\n"
              "grid: {kernel_half: [0, 1]}\ninputs: {angles: [0.5, 1.0]}\n"
              "sim: {samples: 8}\n");
    if (s) {
        ntk_point p0, p1;
        CHECK(ntk_sweep_point(s, 0, &p0) == 0 && ntk_sweep_point(s, 1, &p1) == 0);
        CHECK_INT(p0.k, 12);
        CHECK_INT(p0.model.d, 2); /* three unit vectors in one plane: rank 2 */
        CHECK(p0.sim && p0.samples == 8);
        CHECK(p1.cost_sim > 1.5 * p0.cost_sim);
        ntk_sweep_free(s);
    }

    /* The effective configuration describes the same points (same keys, same estimates). */
    const char *texts[] = {
        "name: e1\nmodel: {arch: cnn1d, act: erf, positions: 6, readout: conv, depth: 2}\n"
        "grid:\n  kernel_half: [0, 2]\n  q0: [0.5, 2]\ninputs: {rho: -0.3}\n",
        "name: e2\nmodel: {arch: cnn1d, positions: 3, depth: 2}\n"
        "inputs:\n  signals:\n    - [1, 2, 3]\n    - [0.5, -1, 0]\n",
        "name: e3\nmodel: {arch: cnn1d, positions: 3, depth: 2}\n"
        "inputs: {signals: [[[1, 2, 3], [0, 1, 0]], [[0.5, -1, 0], [2, 2, 2]]]}\n",
        "name: e4\nmodel: {arch: cnn1d, positions: 5, kernel_half: 1, depth: 2}\n"
        "grid: {q0: [1, 3]}\ninputs: {cosine: {frequencies: [0, 1, 2.5], phase_shift: 0.7}}\n",
        "name: e5\nmodel: {arch: cnn1d, positions: 5, depth: 2}\n"
        "inputs: {cosine: {frequencies: [1, 1], phases: [0, 0.3]}, norms: [1, 2]}\n",
        "name: e6\nmodel: {depth: 2}\ngrid: {arch: [cnn1d, ff], readout: [conv, dense]}\n"};
    for (size_t t = 0; t < sizeof texts / sizeof texts[0]; t++) {
        ntk_sweep *a = load_(texts[t]);
        if (!a) continue;
        char *eff = ntk_sweep_effective_config(a);
        ntk_sweep *b = eff ? load_(eff) : NULL;
        if (!b) printf("%s\n", eff ? eff : "(no effective configuration)");
        if (b) {
            if (!check_report_(same_keys_(a, b), __FILE__, __LINE__, "effective config keys"))
                printf("%s\n", eff);
            size_t la, lb;
            ntk_sweep_text(a, &la);
            ntk_sweep_text(b, &lb);
            CHECK_REL(ntk_sweep_archive_bytes(a) - (double)la,
                      ntk_sweep_archive_bytes(b) - (double)lb, 1e-15);
        }
        free(eff);
        ntk_sweep_free(a);
        ntk_sweep_free(b);
    }
}

/* ------------------------------------------------------------------ virtual Gram values */

static void test_gram_(void)
{
    ntk_point pt;
    /* Replicated (spatially constant signals): K0[(i,a),(j,b)] = g_ij for every a, b. */
    ntk_sweep *s = load_("name: g\nmodel: {arch: cnn1d, positions: 3, depth: 1}\n"
                         "inputs: {rho: 0.3, norms: [1, 2]}\n");
    if (s && ntk_sweep_point(s, 0, &pt) == 0) {
        const double g[2][2] = {{1.0, 0.3 * sqrt(2.0)}, {0.3 * sqrt(2.0), 2.0}};
        int ok = pt.k == 6;
        for (int u = 0; ok && u < 6; u++)
            for (int v = 0; v < 6; v++)
                ok &= fabs(pt.gram[u * 6 + v] - g[u / 3][v / 3]) <= 1e-15 * fabs(g[u / 3][v / 3]);
        check_report_(ok, __FILE__, __LINE__, "replicated Gram");
        CHECK_REL(pt.gram[1 * 6 + 5], 0.42426406871192851, 1e-15); /* (0,1),(1,2): 0.3 sqrt 2 */
    }
    ntk_sweep_free(s);

    /* Explicit signals (d = 2 channels, M = 3 positions):
     *   x_0 = [[1, 2, 3], [0, 1, 0]],  x_1 = [[0.5, -1, 0], [2, 2, 2]]
     * K0[(i,a),(j,b)] = (x_i[0][a] x_j[0][b] + x_i[1][a] x_j[1][b]) / 2, e.g.
     *   (0,1),(0,1) = (4 + 1)/2 = 2.5,  (0,2),(1,0) = (1.5 + 0)/2 = 0.75,
     *   (0,1),(1,1) = (-2 + 2)/2 = 0,    (1,2),(1,2) = (0 + 4)/2 = 2. */
    s = load_("name: g\nmodel: {arch: cnn1d, positions: 3, depth: 1}\n"
              "inputs: {signals: [[[1, 2, 3], [0, 1, 0]], [[0.5, -1, 0], [2, 2, 2]]]}\n");
    if (s && ntk_sweep_point(s, 0, &pt) == 0) {
        CHECK_INT(pt.k, 6);
        CHECK_REL(pt.gram[1 * 6 + 1], 2.5, 0);
        CHECK_REL(pt.gram[2 * 6 + 3], 0.75, 0);
        CHECK_REL(pt.gram[3 * 6 + 2], 0.75, 0);
        CHECK_ABS(pt.gram[1 * 6 + 4], 0.0, 0);
        CHECK_REL(pt.gram[5 * 6 + 5], 2.0, 0);
        CHECK_INT(pt.model.d, 2); /* two channels: rank 2 */
        /* Same as ntk_theory_cnn_gram on the same array. */
        const double x[12] = {1, 2, 3, 0, 1, 0, 0.5, -1, 0, 2, 2, 2};
        double G[36];
        CHECK(ntk_theory_cnn_gram(2, 2, 3, x, G) == 0);
        CHECK(memcmp(G, pt.gram, sizeof G) == 0);
    }
    ntk_sweep_free(s);
    /* One channel may be written as a flat list. */
    s = load_("name: g\nmodel: {arch: cnn1d, positions: 3, depth: 1}\n"
              "inputs: {signals: [[1, 2, 3], [0.5, -1, 0]]}\n");
    ntk_sweep *s2 = load_("name: g\nmodel: {arch: cnn1d, positions: 3, depth: 1}\n"
                          "inputs: {signals: [[[1, 2, 3]], [[0.5, -1, 0]]]}\n");
    if (s && s2) {
        ntk_point p2;
        CHECK(ntk_sweep_point(s, 0, &pt) == 0 && ntk_sweep_point(s2, 0, &p2) == 0);
        CHECK(memcmp(pt.gram, p2.gram, 36 * sizeof(double)) == 0);
        CHECK_REL(pt.gram[2 * 6 + 3], 1.5, 0);
        CHECK(ntk_sweep_point_key(s, 0) == ntk_sweep_point_key(s2, 0));
    }
    ntk_sweep_free(s);
    ntk_sweep_free(s2);

    /* Shifted cosines: K0[(i,a),(j,b)] = sqrt(q_i q_j) cos(2 pi (f_i a - f_j b)/M + phi_i - phi_j),
     * unit norm (q_i) at every position, rank 2. */
    s = load_("name: g\nmodel: {arch: cnn1d, positions: 7, depth: 1}\n"
              "inputs: {cosine: {frequencies: [0, 1, 3], phase_shift: 0.4}, norms: [1, 2, 0.5]}\n");
    if (s && ntk_sweep_point(s, 0, &pt) == 0) {
        const double f[3] = {0, 1, 3}, q[3] = {1, 2, 0.5}, M = 7;
        double maxerr = 0.0;
        for (int u = 0; u < 21; u++)
            for (int v = 0; v < 21; v++) {
                int i = u / 7, a = u % 7, j = v / 7, b = v % 7;
                double want =
                    sqrt(q[i] * q[j]) * cos(2 * M_PI * (f[i] * a - f[j] * b) / M + 0.4 * (i - j));
                maxerr = fmax(maxerr, fabs(pt.gram[u * 21 + v] - want));
            }
        CHECK_ABS(maxerr, 0.0, 4e-15);
        CHECK_INT(pt.k, 21);
        CHECK_INT(pt.model.d, 2);
    }
    ntk_sweep_free(s);
    /* Frequency 0 gives spatially constant signals: the replicated Gram of inputs at angles
     * phi_i (to rounding). */
    s = load_("name: g\nmodel: {arch: cnn1d, positions: 4, depth: 1}\n"
              "inputs: {cosine: {frequencies: [0, 0], phases: [0, 1.1]}, norms: 3}\n");
    s2 = load_("name: g\nmodel: {arch: cnn1d, positions: 4, depth: 1}\n"
               "inputs: {angle: 1.1, norms: 3}\n");
    if (s && s2) {
        ntk_point p2;
        CHECK(ntk_sweep_point(s, 0, &pt) == 0 && ntk_sweep_point(s2, 0, &p2) == 0);
        double maxerr = 0.0;
        for (int u = 0; u < 64; u++)
            maxerr = fmax(maxerr, fabs(pt.gram[u] - p2.gram[u]));
        CHECK_ABS(maxerr, 0.0, 4e-15);
        CHECK_REL(p2.gram[3 * 8 + 5], 3 * cos(1.1), 1e-15);
    }
    ntk_sweep_free(s);
    ntk_sweep_free(s2);
    /* A q0 axis scales the cosine Gram: one Gram per value. */
    s = load_("name: g\nmodel: {arch: cnn1d, positions: 4, depth: 1}\ngrid: {q0: [1, 2.5]}\n"
              "inputs: {cosine: {frequencies: [1, 2]}}\n");
    if (s) {
        ntk_point p1;
        CHECK(ntk_sweep_point(s, 0, &pt) == 0 && ntk_sweep_point(s, 1, &p1) == 0);
        CHECK_REL(p1.gram[1 * 8 + 6], 2.5 * pt.gram[1 * 8 + 6], 1e-15);
        CHECK_REL(pt.gram[1 * 8 + 6], cos(2 * M_PI * (1 - 2 * 2) / 4.0), 1e-15);
        CHECK(ntk_sweep_point_key(s, 0) != ntk_sweep_point_key(s, 1));
    }
    ntk_sweep_free(s);
}

/* ------------------------------------------------------------------ errors */

static void test_errors_(void)
{
    /* values of the three parameters */
    EXPECT("name: x\nmodel: {arch: cnn1d, depth: 2, positions: 0}\n",
           "bad.yaml:2:43: key 'model.positions': expected a positive integer, got '0'");
    EXPECT("name: x\nmodel: {arch: cnn1d, depth: 2, positions: 5000}\n",
           "bad.yaml:2:43: key 'model.positions': expected an integer in [1, 4096], got '5000'");
    EXPECT("name: x\nmodel: {arch: cnn1d, depth: 2, positions: 8, kernel_half: -1}\n",
           "bad.yaml:2:59: key 'model.kernel_half': expected a non-negative integer, got '-1'");
    EXPECT("name: x\nmodel: {arch: cnn1d, depth: 2, positions: 8, kernel_half: 1.5}\n",
           "key 'model.kernel_half': expected a non-negative integer, got '1.5'");
    EXPECT("name: x\nmodel: {arch: cnn1d, depth: 2, positions: 8, kernel_half: 4}\n",
           "bad.yaml:2:59: key 'model.kernel_half': the filter size 2 kernel_half + 1 = 9 "
           "exceeds positions = 8");
    EXPECT("name: x\nmodel: {arch: cnn1d, depth: 2, kernel_half: 1}\n",
           "key 'model.kernel_half': the filter size 2 kernel_half + 1 = 3 exceeds positions = 1");
    EXPECT("name: x\nmodel:\n  arch: cnn1d\n  depth: 2\n  readout: cnv\n",
           "bad.yaml:5:12: key 'model.readout': unknown value 'cnv' (did you mean 'conv'?)");
    EXPECT("name: x\nmodel: {arch: cnn1d, depth: 2}\ngrid:\n  readout: {linspace: [0, 1, 2]}\n",
           "'readout' is categorical");
    EXPECT("name: x\nmodel: {arch: cnn1d, depth: 2, positions: 8}\ngrid:\n  kernel_half: [0, 4]\n",
           "bad.yaml:4:3: grid point 1 of 2 (kernel_half=4): cnn1d kernel_half = 4 must be in "
           "0..3");
    EXPECT("name: x\nmodel: {arch: cnn1d, positions: 8}\ngrid:\n  depth: [1, 2]\n"
           "derived: {kernel_half: 3 - 2 * depth}\n",
           "key 'derived.kernel_half': at grid point 1 (depth=2) the expression '3 - 2 * depth' "
           "gives -1; expected a non-negative integer");
    /* positions is fixed: it sets k M */
    EXPECT("name: x\nmodel: {arch: cnn1d, depth: 2}\ngrid:\n  positions: [4, 8]\n",
           "bad.yaml:4:3: key 'grid.positions': positions cannot vary over the grid");
    EXPECT("name: x\nmodel: {arch: cnn1d, depth: 2}\ngrid:\n  i:\n    zip: {positions: [4, 8], "
           "kernel_half: [1, 2]}\n",
           "key 'grid.i.zip.positions': positions cannot vary over the grid");
    EXPECT("name: x\nmodel: {arch: cnn1d, depth: 2}\nderived: {positions: 2 * depth}\n",
           "key 'derived.positions': positions cannot vary over the grid");
    /* architectures */
    EXPECT("name: x\nmodel: {arch: ff, depth: 2, readout: conv}\n",
           "bad.yaml:2:38: key 'model.readout': applies to arch cnn1d only (arch is 'ff')");
    EXPECT("name: x\nmodel: {depth: 2}\ngrid:\n  kernel_half: [0, 1]\n",
           "key 'grid.kernel_half': applies to arch cnn1d only (arch is 'ff')");
    EXPECT("name: x\nmodel: {depth: 2, positions: 4}\ngrid:\n  arch: [cnn1d, resnet]\n",
           "bad.yaml:2:30: key 'model.positions': positions = 4 gives every point k M virtual "
           "inputs, so every point must be cnn1d, but 'resnet' is also an architecture");
    EXPECT("name: x\nmodel: {arch: cnn1d, positions: 4, depth: 2, stem: linear}\n",
           "cnn1d has no stem");
    /* inputs */
    EXPECT("name: x\nmodel: {depth: 2}\ninputs: {signals: [[1], [2]]}\n",
           "key 'inputs.signals': spatial signals are inputs of arch cnn1d only");
    EXPECT("name: x\nmodel: {arch: cnn1d, positions: 3, depth: 2}\n"
           "inputs:\n  signals:\n    - [1, 2, 3]\n    - [1, 2]\n",
           "bad.yaml:6:7: key 'inputs.signals': signal 2, channel 1: expected 3 values (one per "
           "position, model.positions = 3), got 2");
    EXPECT("name: x\nmodel: {arch: cnn1d, positions: 3, depth: 2}\n"
           "inputs:\n  signals:\n    - [1, 2, 3]\n    - [[1, 2, 3], [4, 5, 6]]\n",
           "bad.yaml:6:7: key 'inputs.signals': signal 2 has 2 channels but signal 1 has 1");
    EXPECT("name: x\nmodel: {arch: cnn1d, positions: 2, depth: 2}\n"
           "inputs: {signals: [[1, x]]}\n",
           "key 'inputs.signals': expected a finite number, got 'x'");
    EXPECT("name: x\nmodel: {arch: cnn1d, positions: 2, depth: 2}\n"
           "inputs: {signals: [[1, 2]], norms: 2}\n",
           "key 'inputs.norms': cannot be combined with inputs.signals");
    EXPECT("name: x\nmodel: {arch: cnn1d, positions: 2, depth: 2}\ngrid: {q0: [1, 2]}\n"
           "inputs: {signals: [[1, 2]]}\n",
           "key 'grid.q0': q0 cannot vary with explicit inputs.signals");
    EXPECT("name: x\nmodel: {arch: cnn1d, positions: 2, depth: 2}\n"
           "inputs: {signals: [[1, 2]], gram: [[1]]}\n",
           "inputs.gram and inputs.signals cannot both be given");
    EXPECT("name: x\nmodel: {arch: cnn1d, positions: 4, depth: 2}\n"
           "inputs: {cosine: {phase_shift: 1}}\n",
           "key 'inputs.cosine.frequencies': missing");
    EXPECT("name: x\nmodel: {arch: cnn1d, positions: 4, depth: 2}\n"
           "inputs: {cosine: {frequencies: [1, 2], phase_shift: 1, phases: [0, 1]}}\n",
           "key 'inputs.cosine.phases': give phase_shift or phases, not both");
    EXPECT("name: x\nmodel: {arch: cnn1d, positions: 4, depth: 2}\n"
           "inputs: {cosine: {frequencies: [1, 2], phases: [0]}}\n",
           "key 'inputs.cosine.phases': expected a list of 2 phases");
    EXPECT("name: x\nmodel: {arch: cnn1d, positions: 4, depth: 2}\n"
           "inputs: {cosine: {frequencies: [1, 2], shift: 1}}\n",
           "key 'inputs.cosine.shift': unknown key");
    EXPECT("name: x\nmodel: {arch: cnn1d, positions: 4, depth: 2}\ngrid: {angle: [0, 1]}\n"
           "inputs: {cosine: {frequencies: [1, 2]}}\n",
           "key 'grid.angle'", "single input pair");
    /* limits on k M: the theory (NTK_THEORY_MAX_VIRTUAL) and the simulator (NTK_SIM_MAX_K) */
    EXPECT("name: x\nmodel: {arch: cnn1d, positions: 513, depth: 2}\n",
           "bad.yaml:2:33: key 'model.positions': cnn1d runs on k M virtual inputs: 2 inputs x "
           "513 positions = 1026, and the theory takes at most 1024");
    EXPECT("name: x\nmodel: {arch: cnn1d, positions: 100, depth: 2}\ninputs: {circle: 11}\n",
           "key 'model.positions'", "11 inputs x 100 positions = 1100");
    EXPECT("name: x\nmodel: {arch: cnn1d, positions: 33, depth: 2, width: 8}\n"
           "sim: {samples: 2}\n",
           "key 'model.positions': cnn1d runs on k M virtual inputs: 2 inputs x 33 positions = 66, "
           "and the simulation takes at most 64");
    EXPECT("name: x\nmodel: {arch: cnn1d, positions: 4096, depth: 2}\ninputs: {circle: 3}\n",
           "3 inputs x 4096 positions = 12288 virtual inputs (at most 8192");
    /* the same limits hold without theory for the simulator, and kM = 64 is accepted */
    ntk_sweep *s = load_("name: x\nmodel: {arch: cnn1d, positions: 32, depth: 2, width: 8}\n"
                         "sim: {samples: 2}\ntheory: false\n");
    CHECK(s && ntk_sweep_max_k(s) == NTK_SIM_MAX_K);
    ntk_sweep_free(s);
    s = load_("name: x\nmodel: {arch: cnn1d, positions: 512, depth: 1}\n"
              "theory: {quantities: [ntk]}\n");
    CHECK(s && ntk_sweep_max_k(s) == NTK_THEORY_MAX_VIRTUAL);
    ntk_sweep_free(s);
}

/* ------------------------------------------------------------------ keys */

static void test_keys_(void)
{
    /* Regression values of the other architectures, computed before cnn1d entered the spec:
     * adding the cnn1d parameters changes no existing key (the encoding hashes them for cnn1d
     * points only, and the Gram of M = 1 is the k x k Gram itself). */
    static const struct {
        const char *text;
        long idx;
        uint64_t key;
    } pinned[] = {
        {"name: p\nmodel: {act: erf, sigma_w: 1.2, sigma_b: 0.3, depth: 7}\n"
         "inputs: {angles: [0.5, 1.0, 2.0], norms: [1, 2, 0.5, 3]}\n",
         0, 0x7817e46d943d16ffULL},
        {"name: p\nmodel: {arch: littwin, m: 3, stem: linear, depth: 4, trained: [W]}\n"
         "inputs: {gram: [[1, 0.2], [0.2, 2]]}\n",
         0, 0xbd958ca0e2b1620cULL},
        {"name: p\nmodel: {arch: densenet, act: relu, width: 64}\n"
         "grid: {depth: [2, 5], q0: [0.5, 2]}\nsim: {samples: 4}\n",
         3, 0x663cfc5e659b2cb4ULL},
        {"name: p\nmodel: {arch: preresnet, act: tanh, alpha_schedule: invsqrt, depth: 9}\n"
         "inputs: {rho: -0.25}\n",
         0, 0x644928a4b97a8dafULL},
        {"name: p\nmodel: {arch: ff, act: gelu, param: standard, depth: 3, width: 10, d: 5}\n"
         "inputs: {circle: 3}\nsim: {samples: 2}\n",
         0, 0xf3194edf1c657288ULL},
        /* test_spec.c's pinned values */
        {"name: k\nmodel: {act: tanh, sigma_w: 1.5, depth: 4}\n", 0, 0xa5d98905b258b20cULL},
        /* cnn1d (new): the encoding adds positions, kernel_half, readout and hashes the
         * (k M) x (k M) virtual Gram */
        {"name: k\nmodel: {arch: cnn1d, act: tanh, sigma_w: 1.5, depth: 4, positions: 8, "
         "kernel_half: 1, readout: conv}\n",
         0, 0x0418ca4589484f65ULL},
    };
    for (size_t i = 0; i < sizeof pinned / sizeof pinned[0]; i++) {
        ntk_sweep *s = load_(pinned[i].text);
        if (!s) continue;
        uint64_t k = ntk_sweep_point_key(s, pinned[i].idx);
        char what[96];
        snprintf(what, sizeof what, "pinned key %zu: got 0x%016llx", i, (unsigned long long)k);
        check_report_(k == pinned[i].key, __FILE__, __LINE__, what);
        ntk_sweep_free(s);
    }
    /* Every cnn1d parameter and the input geometry enter the key; the spelling does not. */
    const char *base = "name: k\nmodel: {arch: cnn1d, depth: 3, positions: 8%s}\n%s";
    const char *vars[][2] = {{"", ""},
                             {", kernel_half: 1", ""},
                             {", readout: conv", ""},
                             {", positions: 9", ""},
                             {"", "inputs: {rho: 0.4}\n"},
                             {"", "inputs: {cosine: {frequencies: [1, 2]}}\n"},
                             {"", "inputs: {cosine: {frequencies: [1, 3]}}\n"}};
    uint64_t keys[7];
    for (int v = 0; v < 7; v++) {
        char text[256];
        if (v == 3)
            snprintf(text, sizeof text, "name: k\nmodel: {arch: cnn1d, depth: 3, positions: 9}\n");
        else
            snprintf(text, sizeof text, base, vars[v][0], vars[v][1]);
        ntk_sweep *s = load_(text);
        keys[v] = s ? ntk_sweep_point_key(s, 0) : 0;
        ntk_sweep_free(s);
    }
    int distinct = 1;
    for (int v = 0; v < 7; v++)
        for (int w = 0; w < v; w++)
            distinct &= keys[v] != keys[w] && keys[v] != 0;
    CHECK(distinct);
    ntk_sweep *a = load_("name: k\nmodel: {arch: cnn1d, depth: 3, positions: 8, kernel_half: 0, "
                         "readout: dense}\n");
    if (a) {
        CHECK(ntk_sweep_point_key(a, 0) == keys[0]); /* defaults written out */
        ntk_sweep_free(a);
    }
    /* Extending a kernel_half axis keeps the keys of the old points. */
    a = load_("name: k\nmodel: {arch: cnn1d, depth: 3, positions: 8}\ngrid: {kernel_half: [1]}\n");
    ntk_sweep *b = load_("name: k\nmodel: {arch: cnn1d, depth: 3, positions: 8}\n"
                         "grid: {kernel_half: [0, 1, 2]}\n");
    if (a && b) CHECK(ntk_sweep_point_key(a, 0) == ntk_sweep_point_key(b, 1));
    ntk_sweep_free(a);
    ntk_sweep_free(b);
}

int main(int argc, char **argv)
{
    const char *what = argc > 1 ? argv[1] : "all";
    int all = strcmp(what, "all") == 0;
    if (all || strcmp(what, "parse") == 0) test_parse_();
    if (all || strcmp(what, "gram") == 0) test_gram_();
    if (all || strcmp(what, "errors") == 0) test_errors_();
    if (all || strcmp(what, "keys") == 0) test_keys_();
    return check_summary("spec_cnn");
}
