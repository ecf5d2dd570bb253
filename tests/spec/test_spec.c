/* test_spec.c - valid sweep specs parse to the expected grids, points, keys and hashes. */
#include "check.h"

#include "ntksweep/error.h"
#include "ntksweep/phase.h"
#include "ntksweep/spec.h"

#include <math.h>
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

static const char *grid_spec_ = "name: grid-test\n"
                                "seed: 7\n"
                                "model: {arch: ff, sigma_b2: 0.05}\n"
                                "grid:\n"
                                "  sigma_w2: {linspace: [0.5, 3.0, 6]}\n"
                                "  depth: {range: [2, 10, 4]}\n"
                                "  act: [tanh, erf]\n";

static void test_grid_(void)
{
    ntk_sweep *s = load_(grid_spec_);
    if (!s) return;
    CHECK_INT(ntk_sweep_naxes(s), 3);
    CHECK_INT(ntk_sweep_npoints(s), 6 * 3 * 2);
    ntk_axis_info ax;
    CHECK(ntk_sweep_axis(s, 0, &ax) == 0);
    CHECK(strcmp(ax.name, "sigma_w2") == 0);
    CHECK(strcmp(ax.units, "variance") == 0);
    CHECK_INT(ax.n, 6);
    CHECK(ax.values && !ax.labels);
    CHECK_REL(ax.values[0], 0.5, 1e-15);
    CHECK_REL(ax.values[1], 1.0, 1e-15);
    CHECK_REL(ax.values[5], 3.0, 0);
    /* range is inclusive: 2, 6, 10 */
    CHECK(ntk_sweep_axis(s, 1, &ax) == 0);
    CHECK_INT(ax.n, 3);
    CHECK_REL(ax.values[2], 10.0, 0);
    CHECK(ax.integer);
    CHECK(ntk_sweep_axis(s, 2, &ax) == 0);
    CHECK(ax.labels && !ax.values && strcmp(ax.labels[1], "erf") == 0);
    CHECK(ntk_sweep_axis(s, 3, &ax) == NTK_EINVAL);

    /* Row-major, last axis fastest: point 1 is (sigma_w2[0], depth[0], act[1]). */
    ntk_point pt;
    CHECK(ntk_sweep_point(s, 1, &pt) == 0);
    CHECK(pt.model.act.kind == NTK_ACT_ERF);
    CHECK_INT(pt.model.depth, 2);
    CHECK_REL(pt.model.sigma_w, sqrt(0.5), 1e-15);
    CHECK_REL(pt.model.sigma_b, sqrt(0.05), 1e-15);
    CHECK(ntk_sweep_point(s, 2 * 3 * 5 + 2 * 2 + 0, &pt) == 0);
    CHECK_REL(pt.model.sigma_w * pt.model.sigma_w, 3.0, 1e-15);
    CHECK_INT(pt.model.depth, 10);
    CHECK(pt.model.act.kind == NTK_ACT_TANH);
    CHECK(pt.theory == 1 && pt.sim == 0 && pt.samples == 0);
    CHECK(ntk_sweep_point(s, 36, &pt) == NTK_EINVAL);

    long ix[3];
    CHECK(ntk_sweep_point_indices(s, 23, ix) == 0);
    CHECK_INT(ix[0], 3);
    CHECK_INT(ix[1], 2);
    CHECK_INT(ix[2], 1);
    CHECK_INT(ntk_sweep_point_index(s, ix), 23);
    CHECK_INT(ntk_sweep_max_depth(s), 10);
    CHECK_INT(ntk_sweep_max_k(s), 2);
    CHECK(ntk_sweep_seed(s) == 7);
    /* Default inputs: one pair with cosine 0.5 and unit norms. */
    CHECK_INT(pt.k, 2);
    CHECK_REL(pt.gram[0], 1.0, 0);
    CHECK_REL(pt.gram[1], 0.5, 0);
    CHECK_REL(pt.gram[2], 0.5, 0);
    CHECK_REL(pt.gram[3], 1.0, 0);
    /* Theory quantities default to all of them. */
    CHECK(ntk_sweep_nquantities(s, NTK_PART_THEORY) > 10);
    CHECK(ntk_sweep_quantity_selected(s, NTK_PART_THEORY, "ntk"));
    CHECK(strcmp(ntk_sweep_output(s)->path, "grid-test.h5") == 0);
    CHECK_INT(ntk_sweep_output(s)->compression, 4);
    ntk_sweep_free(s);
}

/* logspace uses base-10 exponents; integer parameters are rounded and repeats dropped. */
static void test_logspace_(void)
{
    ntk_sweep *s =
        load_("name: log\nmodel: {act: relu}\n"
              "grid:\n  depth: {logspace: [0, 2, 9]}\n  sigma_b: {logspace: [-2, 0, 3]}\n");
    if (!s) return;
    ntk_axis_info ax;
    ntk_sweep_axis(s, 0, &ax);
    /* 10^(0, .25, ..., 2) = 1, 1.78, 3.16, 5.62, 10, 17.8, 31.6, 56.2, 100 -> rounded */
    static const double want[] = {1, 2, 3, 6, 10, 18, 32, 56, 100};
    CHECK_INT(ax.n, 9);
    for (int i = 0; i < 9 && i < ax.n; i++)
        CHECK_REL(ax.values[i], want[i], 0);
    ntk_sweep_axis(s, 1, &ax);
    CHECK_REL(ax.values[0], 0.01, 1e-14);
    CHECK_REL(ax.values[1], 0.1, 1e-14);
    CHECK_REL(ax.values[2], 1.0, 1e-14);
    ntk_sweep_free(s);
    /* logspace [0, 1, 12] of depths: 1.00, 1.23, ... repeats after rounding -> fewer values. */
    s = load_("name: log2\nmodel: {act: relu}\ngrid:\n  depth: {logspace: [0, 1, 12]}\n");
    if (!s) return;
    ntk_sweep_axis(s, 0, &ax);
    /* 10^(i/11) = 1 1.23 1.52 1.87 2.31 2.85 3.51 4.33 5.34 6.58 8.11 10 -> 1 2 3 4 5 7 8 10 */
    static const double want2[] = {1, 2, 3, 4, 5, 7, 8, 10};
    CHECK_INT(ax.n, 8);
    for (int i = 0; i < 8 && i < ax.n; i++)
        CHECK_REL(ax.values[i], want2[i], 0);
    ntk_sweep_free(s);
}

/* Huang et al. (seed-003): alpha = L^-gamma as a derived parameter. */
static void test_derived_(void)
{
    ntk_sweep *s = load_("name: huang\n"
                         "model: {arch: resnet, act: relu, sigma_w: 1.4142135623730951}\n"
                         "grid:\n  gamma: [0.5, 1]\n  depth: [1, 4, 100]\n"
                         "derived:\n  alpha: \"depth^-gamma\"\n"
                         "  width: 10 * depth\n");
    if (!s) return;
    ntk_point pt;
    CHECK(ntk_sweep_point(s, 1, &pt) == 0); /* gamma 0.5, depth 4 */
    CHECK_REL(pt.model.alpha.value, 0.5, 1e-15);
    CHECK_INT(pt.width, 40);
    CHECK(ntk_sweep_point(s, 5, &pt) == 0); /* gamma 1, depth 100 */
    CHECK_REL(pt.model.alpha.value, 0.01, 1e-15);
    CHECK_INT(pt.width, 1000);
    ntk_sweep_free(s);

    /* Chained derived values in any order, a free grid variable, variance spellings in
     * expressions, and the Yang & Schoenholz Fig. 3(c) parameterisation. */
    s = load_("name: yang3c\n"
              "model: {arch: frn, act: tanh, sigma_w2: 1.0, sigma_b2: 0.5}\n"
              "grid:\n  ratio: {linspace: [0, 2, 3], description: sigma_a/sigma_v}\n"
              "  depth: [5]\n"
              "derived:\n  sigma_a: ratio * sigma_v\n  sigma_v: 0.8 * sqrt(1 + ratio^2)\n"
              "  gamma: sigma_w2 + sigma_b2\n");
    if (!s) return;
    CHECK(ntk_sweep_point(s, 2, &pt) == 0);
    CHECK_REL(pt.model.sigma_v, 0.8 * sqrt(5.0), 1e-15);
    CHECK_REL(pt.model.sigma_a, 2.0 * 0.8 * sqrt(5.0), 1e-15);
    CHECK_REL(pt.model.alpha.gamma, 1.5, 1e-15);
    ntk_axis_info ax;
    ntk_sweep_axis(s, 0, &ax);
    CHECK(strcmp(ax.description, "sigma_a/sigma_v") == 0);
    ntk_sweep_free(s);

    /* The edge of chaos as a derived weight scale: Hayou et al. (seed-001 Sec. 5.1 table). */
    s = load_("name: eoc\nmodel: {act: tanh, depth: 3}\n"
              "grid:\n  sigma_b: [0, 0.2, 1.0]\nderived:\n  sigma_w: eoc(sigma_b)\n");
    if (!s) return;
    CHECK(ntk_sweep_point(s, 0, &pt) == 0);
    CHECK_REL(pt.model.sigma_w, 1.0, 1e-12);
    CHECK(ntk_sweep_point(s, 1, &pt) == 0);
    CHECK_REL(pt.model.sigma_w, 1.30414584006, 1e-10);
    CHECK(ntk_sweep_point(s, 2, &pt) == 0);
    CHECK_REL(pt.model.sigma_w, 1.85558910114, 1e-10);
    ntk_sweep_free(s);
}

static void test_eoc_(void)
{
    /* seed-001 Sec. 5.1: sigma_w on the tanh EOC for several sigma_b. */
    static const double sb[] = {0.05, 0.1, 0.2, 0.3, 0.5, 1.0};
    static const double sw[] = {1.12253900477, 1.19340072502, 1.30414584006,
                                1.39558397515, 1.54967391251, 1.85558910114};
    ntk_act tanh_ = {NTK_ACT_TANH, 1.0}, relu = {NTK_ACT_RELU, 1.0}, gelu = {NTK_ACT_GELU, 1.0};
    for (int i = 0; i < 6; i++)
        CHECK_REL(ntk_spec_eoc_sigma_w(&tanh_, 1.0, sb[i]), sw[i], 2e-11);
    /* An independent solver (phase.h: Brent on chi_1 with q* by iteration) agrees. */
    static const double sb2[] = {0.05, 0.3, 0.7, 2.0, 5.0};
    ntk_act erf0 = {NTK_ACT_ERF, 1.0};
    for (int i = 0; i < 5; i++) {
        double w;
        CHECK(ntk_phase_eoc_sigma_w(&tanh_, sb2[i], &w) == 0);
        CHECK_REL(ntk_spec_eoc_sigma_w(&tanh_, 1.0, sb2[i]), w, 1e-11);
        CHECK(ntk_phase_eoc_sigma_w(&erf0, sb2[i], &w) == 0);
        CHECK_REL(ntk_spec_eoc_sigma_w(&erf0, 1.0, sb2[i]), w, 1e-12);
    }
    /* A multiplier c scales the map by c^2: sigma_w c is invariant. */
    CHECK_REL(ntk_spec_eoc_sigma_w(&tanh_, 2.0, 0.5), 1.54967391251 / 2.0, 2e-11);
    CHECK_REL(ntk_spec_eoc_sigma_w(&relu, 1.0, 0.0), sqrt(2.0), 1e-15);
    CHECK(isnan(ntk_spec_eoc_sigma_w(&gelu, 1.0, 0.1)));
    /* erf: closed-form maps; check chi_1 = sigma_w^2 E[erf'^2] = 1 at the fixed point. */
    ntk_act erf_ = {NTK_ACT_ERF, 1.0};
    double w = ntk_spec_eoc_sigma_w(&erf_, 1.0, 0.3);
    double q = 1.0;
    for (int it = 0; it < 100000; it++)
        q = w * w * (2.0 / M_PI) * asin(2.0 * q / (1.0 + 2.0 * q)) + 0.09;
    CHECK_REL(w * w * (4.0 / M_PI) / sqrt(1.0 + 4.0 * q), 1.0, 1e-6);
}

/* Zipped axes: Hayou's EOC and ordered initialisations for two activations. */
static void test_zip_(void)
{
    ntk_sweep *s = load_("name: zip\nmodel: {arch: ff}\n"
                         "grid:\n"
                         "  init:\n"
                         "    labels: [relu-eoc, tanh-eoc, ordered]\n"
                         "    zip:\n"
                         "      act: [relu, tanh, tanh]\n"
                         "      sigma_b: [0, 0.2, 1]\n"
                         "      sigma_w: [1.4142135623730951, 1.298, 0.1]\n"
                         "  depth: [3, 30]\n");
    if (!s) return;
    CHECK_INT(ntk_sweep_npoints(s), 6);
    ntk_axis_info ax;
    CHECK(ntk_sweep_axis(s, 0, &ax) == 0);
    CHECK_INT(ax.n_members, 3);
    CHECK(ax.labels && strcmp(ax.labels[1], "tanh-eoc") == 0 && !ax.values);
    CHECK(ntk_sweep_axis_member(s, 0, 2, &ax) == 0);
    CHECK(strcmp(ax.name, "sigma_w") == 0 && ax.values && ax.values[1] == 1.298);
    CHECK(ntk_sweep_axis_member(s, 0, 0, &ax) == 0);
    CHECK(ax.labels && strcmp(ax.labels[2], "tanh") == 0);
    CHECK(ntk_sweep_axis_member(s, 1, 0, &ax) == NTK_EINVAL);
    ntk_point pt;
    CHECK(ntk_sweep_point(s, 3, &pt) == 0); /* tanh-eoc, depth 30 */
    CHECK(pt.model.act.kind == NTK_ACT_TANH);
    CHECK_REL(pt.model.sigma_b, 0.2, 0);
    CHECK_REL(pt.model.sigma_w, 1.298, 0);
    CHECK_INT(pt.model.depth, 30);
    ntk_sweep_free(s);
}

/* Input geometries give the documented Gram matrices K0_ij = sqrt(q_i q_j) cos(theta_i - theta_j).
 */
static void test_inputs_(void)
{
    ntk_sweep *s = load_("name: in1\nmodel: {depth: 2}\n"
                         "inputs: {angles: [0.5, pi/2], norms: [1, 2, 3]}\n");
    if (!s) return;
    ntk_point pt;
    CHECK(ntk_sweep_point(s, 0, &pt) == 0);
    CHECK_INT(pt.k, 3);
    CHECK_REL(pt.gram[0 * 3 + 1], sqrt(2.0) * cos(0.5), 1e-15);
    CHECK_REL(pt.gram[1 * 3 + 2], sqrt(6.0) * cos(M_PI / 2 - 0.5), 1e-15);
    CHECK_REL(pt.gram[2 * 3 + 2], 3.0, 1e-15);
    CHECK_ABS(pt.gram[0 * 3 + 2], 0.0, 1e-15);
    ntk_sweep_free(s);

    s = load_("name: in2\nmodel: {depth: 2}\ninputs: {circle: 8}\n");
    if (!s) return;
    CHECK(ntk_sweep_point(s, 0, &pt) == 0);
    CHECK_INT(pt.k, 8);
    CHECK_REL(pt.gram[0 * 8 + 2], 0.0 + 1.0, 0.0 + 1.0); /* |cos(pi/2)| <= 1e-16 */
    CHECK_ABS(pt.gram[0 * 8 + 2], 0.0, 1e-15);
    CHECK_REL(pt.gram[0 * 8 + 4], -1.0, 1e-15);
    CHECK_REL(pt.gram[3 * 8 + 4], cos(M_PI / 4), 1e-15);
    CHECK_INT(pt.model.d, 2);
    ntk_sweep_free(s);

    /* Angle and q0 as grid axes: one Gram matrix per combination. */
    s = load_("name: in3\nmodel: {depth: 2}\n"
              "grid:\n  q0: [1, 4]\n  angle: {linspace: [0, pi, 5]}\n");
    if (!s) return;
    CHECK(ntk_sweep_point(s, 5 + 2, &pt) == 0); /* q0 = 4, angle = pi/2 */
    CHECK_REL(pt.gram[0], 4.0, 1e-15);
    CHECK_ABS(pt.gram[1], 0.0, 1e-14);
    CHECK(ntk_sweep_point(s, 4, &pt) == 0); /* q0 = 1, angle = pi */
    CHECK_REL(pt.gram[1], -1.0, 1e-15);
    ntk_sweep_free(s);

    s = load_("name: in4\nmodel: {depth: 2, d: 5}\n"
              "inputs:\n  gram:\n    - [2, 1, 0]\n    - [1, 2, 1]\n    - [0, 1, 2]\n");
    if (!s) return;
    CHECK(ntk_sweep_point(s, 0, &pt) == 0);
    CHECK_INT(pt.k, 3);
    CHECK_REL(pt.gram[1 * 3 + 2], 1.0, 0);
    CHECK_INT(pt.model.d, 5);
    ntk_sweep_free(s);

    /* rrn/frn read the input as the stream: d follows the width. */
    s = load_("name: in5\nmodel: {arch: frn, act: tanh, depth: 3, width: 50}\n"
              "sim: {samples: 10}\n");
    if (!s) return;
    CHECK(ntk_sweep_point(s, 0, &pt) == 0);
    CHECK_INT(pt.model.d, 50);
    CHECK_INT(pt.width, 50);
    CHECK(pt.sim && pt.samples == 10 && pt.chunk == 10);
    ntk_sweep_free(s);
}

/* Keys depend on the point's values, not its index: extending an axis keeps the old keys. */
static void test_keys_(void)
{
    ntk_sweep *a = load_("name: k\nmodel: {act: tanh}\n"
                         "grid:\n  sigma_w: [1.0, 1.5]\n  depth: [2, 4]\n");
    ntk_sweep *b = load_("name: k\nmodel: {act: tanh}\n"
                         "grid:\n  sigma_w: [0.5, 1.0, 1.25, 1.5]\n  depth: [1, 2, 3, 4]\n");
    if (!a || !b) return;
    /* a(i, j) = b(map_i, map_j) with sigma_w 1.0 -> 1, 1.5 -> 3; depth 2 -> 1, 4 -> 3. */
    long ia[2], ib[2];
    static const long mi[] = {1, 3}, mj[] = {1, 3};
    int same = 0;
    for (int i = 0; i < 2; i++)
        for (int j = 0; j < 2; j++) {
            ia[0] = i;
            ia[1] = j;
            ib[0] = mi[i];
            ib[1] = mj[j];
            uint64_t ka = ntk_sweep_point_key(a, ntk_sweep_point_index(a, ia));
            uint64_t kb = ntk_sweep_point_key(b, ntk_sweep_point_index(b, ib));
            same += ka == kb && ka != 0;
        }
    CHECK_INT(same, 4);
    /* All 16 keys of b are distinct. */
    uint64_t k[16];
    int distinct = 1;
    for (long i = 0; i < 16; i++) {
        k[i] = ntk_sweep_point_key(b, i);
        for (long j = 0; j < i; j++)
            distinct &= k[i] != k[j];
    }
    CHECK(distinct);
    /* Spelling does not matter: sigma_w2 = 2.25 is sigma_w = 1.5. */
    ntk_sweep *c = load_("name: k\nmodel: {act: tanh, sigma_w2: 2.25, depth: 4}\n");
    if (c) {
        ia[0] = 1;
        ia[1] = 1;
        CHECK(ntk_sweep_point_key(c, 0) == ntk_sweep_point_key(a, ntk_sweep_point_index(a, ia)));
        ntk_sweep_free(c);
    }
    /* Regression values: the key encoding is part of the archive format (it seeds the random
     * networks and identifies points on resume). If these change, every existing archive's
     * Monte-Carlo streams change: bump the "ntksweep-point-v1" tag and say so. */
    ntk_sweep *g = load_("name: k\nmodel: {act: tanh, sigma_w: 1.5, depth: 4}\n");
    if (g) {
        CHECK(ntk_sweep_point_key(g, 0) == 0xa5d98905b258b20cULL);
        ntk_sweep_free(g);
    }
    g = load_("name: k\nmodel: {arch: resnet, act: relu, depth: 3, width: 7, alpha_list: [0.5, "
              "0.25, 0.125], trained: [W, V]}\ninputs: {circle: 5, norms: 2}\nsim: {samples: 2}\n");
    if (g) {
        CHECK(ntk_sweep_point_key(g, 0) == 0x0e3f1c77be3a5fecULL);
        ntk_sweep_free(g);
    }
    /* A value change changes the key. */
    ntk_sweep *d = load_("name: k\nmodel: {act: tanh, sigma_w: 1.5, depth: 4, sigma_b: 0.1}\n");
    if (d) {
        CHECK(ntk_sweep_point_key(d, 0) != ntk_sweep_point_key(a, 3));
        ntk_sweep_free(d);
    }
    ntk_sweep_free(a);
    ntk_sweep_free(b);
}

static void test_hash_(void)
{
    /* FNV-1a 64 reference values (Fowler/Noll/Vo test vectors). */
    CHECK(ntk_fnv1a64(NTK_FNV1A64_INIT, "", 0) == 0xcbf29ce484222325ULL);
    CHECK(ntk_fnv1a64(NTK_FNV1A64_INIT, "a", 1) == 0xaf63dc4c8601ec8cULL);
    CHECK(ntk_fnv1a64(NTK_FNV1A64_INIT, "foobar", 6) == 0x85944171f73967e8ULL);
    ntk_sweep *a = load_(grid_spec_), *b = load_(grid_spec_);
    if (!a || !b) return;
    size_t len;
    const char *t = ntk_sweep_text(a, &len);
    CHECK(len == strlen(grid_spec_) && strcmp(t, grid_spec_) == 0);
    CHECK(ntk_sweep_hash(a) == ntk_sweep_hash(b));
    CHECK(ntk_sweep_hash(a) == ntk_fnv1a64(NTK_FNV1A64_INIT, grid_spec_, strlen(grid_spec_)));
    ntk_sweep_free(b);
    /* A comment changes the hash (provenance is the text) but no point key. */
    char *t2 = malloc(strlen(grid_spec_) + 16);
    strcpy(t2, grid_spec_);
    strcat(t2, "# comment\n");
    b = load_(t2);
    free(t2);
    if (b) {
        CHECK(ntk_sweep_hash(a) != ntk_sweep_hash(b));
        CHECK(ntk_sweep_point_key(a, 11) == ntk_sweep_point_key(b, 11));
        ntk_sweep_free(b);
    }
    ntk_sweep_free(a);
}

/* The effective configuration is itself a valid spec describing the same points. */
static void test_effective_(void)
{
    const char *texts[] = {
        grid_spec_,
        "name: e2\nmodel: {arch: resnet, act: relu, sigma_w2: 2, width: 32}\n"
        "grid:\n  gamma: [0.5, 1]\n  depth: {logspace: [0, 2, 5]}\n"
        "derived: {alpha: depth^-gamma}\ninputs: {angles: [0.3, 1.1], norms: 2}\n"
        "sim: {samples: 20, chunk: 7, engine: dense, quantities: [ntk], keep_samples: 3}\n"
        "output: {layers: final, compression: 0, checksum: false, max_bytes: 10GiB}\n",
        "name: e3\nmodel: {arch: ff, trained: [W, readout]}\n"
        "grid:\n  init:\n    zip: {act: [relu, tanh], sigma_w: [1.4142135623730951, 1.3]}\n"
        "  depth: [2, 3]\ninputs: {circle: 5}\ntheory: {quantities: [q, ntk]}\n"};
    for (int t = 0; t < 3; t++) {
        ntk_sweep *a = load_(texts[t]);
        if (!a) continue;
        char *eff = ntk_sweep_effective_config(a);
        CHECK(eff != NULL);
        ntk_sweep *b = load_(eff);
        if (!b) {
            printf("%s\n", eff);
            free(eff);
            ntk_sweep_free(a);
            continue;
        }
        CHECK_INT(ntk_sweep_npoints(b), ntk_sweep_npoints(a));
        int same = 1;
        for (long i = 0; i < ntk_sweep_npoints(a); i++)
            same &= ntk_sweep_point_key(a, i) == ntk_sweep_point_key(b, i);
        CHECK(same);
        size_t la, lb;
        ntk_sweep_text(a, &la);
        ntk_sweep_text(b, &lb);
        CHECK_REL(ntk_sweep_archive_bytes(a) - (double)la, ntk_sweep_archive_bytes(b) - (double)lb,
                  1e-15);
        free(eff);
        ntk_sweep_free(a);
        ntk_sweep_free(b);
    }
}

/* Options and estimates. */
static void test_options_(void)
{
    ntk_sweep *s = load_("name: opt\nmodel: {act: tanh}\n"
                         "grid:\n  depth: [10, 20]\n  width: [100, 200]\n"
                         "sim: {samples: 100, chunk: 30, engine: dense, quantities: [q, ntk], "
                         "keep_samples: true}\n"
                         "theory: false\n"
                         "output: {path: out/x.h5, layers: final, compression: 9, checksum: off, "
                         "max_bytes: 1GiB}\n");
    if (!s) return;
    const ntk_output_opts *o = ntk_sweep_output(s);
    CHECK(strcmp(o->path, "out/x.h5") == 0);
    CHECK(o->layers == NTK_LAYERS_FINAL && o->compression == 9 && o->checksum == 0);
    CHECK_REL(o->max_bytes, 1073741824.0, 0);
    CHECK(!ntk_sweep_theory_enabled(s) && ntk_sweep_sim_enabled(s));
    CHECK_INT(ntk_sweep_nquantities(s, NTK_PART_SIM), 2);
    CHECK(strcmp(ntk_sweep_quantity(s, NTK_PART_SIM, 1), "ntk") == 0);
    CHECK(!ntk_sweep_quantity_selected(s, NTK_PART_SIM, "chi"));
    CHECK_INT(ntk_sweep_max_width(s), 200);
    ntk_point p0, p3;
    CHECK(ntk_sweep_point(s, 0, &p0) == 0 && ntk_sweep_point(s, 3, &p3) == 0);
    CHECK(p0.engine == NTK_ENGINE_DENSE && p0.samples == 100 && p0.chunk == 30);
    CHECK_INT(p0.keep_samples, 100);
    CHECK(p0.cost_theory == 0.0 && p0.cost_sim > 0.0);
    /* Dense cost ~ depth * width^2: doubling both gives about 8x. */
    CHECK(p3.cost_sim / p0.cost_sim > 6.5 && p3.cost_sim / p0.cost_sim < 8.5);
    CHECK(p3.mem_bytes > p0.mem_bytes);
    CHECK_REL(ntk_sweep_point_cost(s, 3), p3.cost_sim, 1e-15);
    CHECK(ntk_sweep_max_point_bytes(s) == p3.mem_bytes);
    /* Archive estimate: final layer only, 2 quantities over 3 pairs, 7 stats, plus 100 kept
     * samples, plus status: (2*3*7 + 100*2*3 + 1) * 8 bytes per point, 4 points + text. */
    size_t len;
    ntk_sweep_text(s, &len);
    CHECK_REL(ntk_sweep_archive_bytes(s), 4.0 * 8.0 * (42 + 600 + 1) + (double)len, 1e-12);
    FILE *f = tmpfile();
    CHECK(f && ntk_sweep_describe(s, f) == 0);
    if (f) {
        char buf[8192];
        rewind(f);
        size_t n = fread(buf, 1, sizeof buf - 1, f);
        buf[n] = '\0';
        CHECK(strstr(buf, "points: 4") != NULL);
        CHECK(strstr(buf, "tasks: 0 theory + 16 simulation") != NULL);
        CHECK(strstr(buf, "effective configuration:") != NULL);
        fclose(f);
    }
    ntk_sweep_free(s);
}

static void test_expressions_(void)
{
    /* Precedence and associativity through derived values. */
    static const struct {
        const char *expr;
        double want;
    } cases[] = {{"2 + 3 * 4", 14},
                 {"2^3^2", 512},
                 {"-2^2", -4},
                 {"2^-1", 0.5},
                 {"(1 + 2) * 3", 9},
                 {"10 / 4 / 5", 0.5},
                 {"sqrt(16) + exp(0)", 5},
                 {"log(e)", 1},
                 {"min(3, max(1, 2))", 2},
                 {"abs(-1.5) + floor(2.7) + ceil(0.2) + round(2.5)", 7.5},
                 {"depth^-gamma", 0.25},
                 {"sigma_w2", 2.25},
                 {"1e-1 * 20", 2}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char text[512];
        snprintf(text, sizeof text,
                 "name: ex\nmodel: {act: tanh, sigma_w: 1.5, gamma: 2, depth: 2}\n"
                 "derived: {act_mult: \"%s\"}\n",
                 cases[i].expr);
        ntk_sweep *s = load_(text);
        if (!s) continue;
        ntk_point pt;
        ntk_sweep_point(s, 0, &pt);
        if (!check_rel_(pt.model.act_mult, cases[i].want, 1e-15, __FILE__, __LINE__, cases[i].expr))
            printf("  expression: %s\n", cases[i].expr);
        ntk_sweep_free(s);
    }
}

static void test_file_(void)
{
    char path[] = "/tmp/ntk_spec_testXXXXXX";
    int fd = mkstemp(path);
    CHECK(fd >= 0);
    FILE *f = fdopen(fd, "w");
    fputs(grid_spec_, f);
    fclose(f);
    ntk_sweep *s = NULL;
    CHECK(ntk_spec_load(path, &s) == 0);
    if (s) {
        CHECK(strcmp(ntk_sweep_filename(s), path) == 0);
        CHECK(ntk_sweep_hash(s) == ntk_fnv1a64(NTK_FNV1A64_INIT, grid_spec_, strlen(grid_spec_)));
        ntk_sweep_free(s);
    }
    remove(path);
    CHECK(ntk_spec_load(path, &s) == NTK_EIO && s == NULL);
    CHECK(strstr(ntk_error_msg(), "cannot open") != NULL);
    ntk_sweep_free(NULL);
}

int main(void)
{
    test_grid_();
    test_logspace_();
    test_derived_();
    test_eoc_();
    test_zip_();
    test_inputs_();
    test_keys_();
    test_hash_();
    test_effective_();
    test_options_();
    test_expressions_();
    test_file_();
    return check_summary("spec");
}
