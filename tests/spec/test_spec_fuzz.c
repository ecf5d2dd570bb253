/* test_spec_fuzz.c - truncated and corrupted variants of valid specs never crash the loader:
 * each either loads (and then every query works) or fails with NTK_ESPEC and a message that
 * starts with the file name.
 *
 * Usage: test_spec_fuzz [SWEEPS_DIR]   (the example sweeps are fuzzed too when given)
 */
#include "check.h"

#include "ntksweep/error.h"
#include "ntksweep/spec.h"

#include <dirent.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static const char *seeds_[] = {
    "name: fz1\nseed: 3\ndescription: \"fuzz seed\"\n"
    "model:\n  arch: ff\n  act: tanh\n  sigma_b2: 0.05\n  width: 16\n"
    "grid:\n  sigma_w2: {linspace: [0.5, 3.0, 4]}\n  depth: [1, 2, 4]\n"
    "inputs: {rho: 0.5}\ntheory: {quantities: [q, c, ntk]}\n"
    "sim: {samples: 4, chunk: 2, engine: conditional, keep_samples: 2}\n"
    "output: {path: fz.h5, layers: final, compression: 3, checksum: true, max_bytes: 1GiB}\n",

    "name: fz2\nmodel: {arch: resnet, act: relu, sigma_w: 1, trained: [W, V]}\n"
    "grid:\n  gamma: [0.5, 1]\n  depth: {logspace: [0, 2, 4]}\n"
    "  init:\n    labels: [a, b]\n    zip: {sigma_v: [1, 2], sigma_b2: [0, 0.5]}\n"
    "derived:\n  alpha: \"depth^-gamma\"\n  width: 10 * depth\n"
    "inputs:\n  angles: [0.1, pi/2, 3]\n  norms: [1, 2, 1, 0.5]\n",

    "name: fz3\nmodel: {arch: frn, act: tanh, sigma_v2: 1.5, sigma_a2: 0.5, depth: 4}\n"
    "grid:\n  ratio: [0, 1]\n  q0: [0.5, 1]\n  angle: {range: [0, 3, 1]}\n"
    "derived: {sigma_w: \"eoc(ratio * 0.3) + min(ratio, 0.1)\"}\n",

    "name: fz4\nmodel: {arch: littwin, m: 3, depth: 3, alpha_list: [0.1, 0.2, 0.3]}\n"
    "inputs:\n  gram:\n    - [1, 0.5]\n    - [0.5, 2]\n"
    "theory: false\nsim: {samples: 3, engine: dense}\n"
    "grid: {width: [8, 16]}\n",
};

static uint64_t rng_ = 0x9E3779B97F4A7C15ULL;
static uint64_t next_(void)
{
    rng_ ^= rng_ << 13;
    rng_ ^= rng_ >> 7;
    rng_ ^= rng_ << 17;
    return rng_;
}

static long nloaded_ = 0, nfailed_ = 0, nbad_ = 0;

static void try_(const char *text)
{
    ntk_sweep *s = NULL;
    int rc = ntk_spec_parse_string(text, "fz.yaml", &s);
    if (rc == 0) {
        nloaded_++;
        /* Exercise every query of a loaded sweep. */
        long n = ntk_sweep_npoints(s);
        ntk_point pt;
        int ok = s != NULL && n >= 1 && ntk_sweep_point(s, 0, &pt) == 0 &&
                 ntk_sweep_point(s, n - 1, &pt) == 0 && ntk_sweep_point_key(s, n / 2) != 0;
        for (int a = 0; a < ntk_sweep_naxes(s); a++) {
            ntk_axis_info ax;
            ok &= ntk_sweep_axis(s, a, &ax) == 0 && ax.n >= 1 && (ax.values || ax.labels);
        }
        char *eff = ntk_sweep_effective_config(s);
        ok &= eff != NULL;
        free(eff);
        FILE *f = n <= 2000 ? fopen("/dev/null", "w") : NULL; /* describe visits every point */
        if (f) {
            ok &= ntk_sweep_describe(s, f) == 0;
            fclose(f);
        }
        if (!ok) {
            nbad_++;
            printf("loaded spec failed a query:\n%s\n", text);
        }
        ntk_sweep_free(s);
        return;
    }
    nfailed_++;
    const char *msg = ntk_error_msg();
    if (s != NULL || rc != NTK_ESPEC || strncmp(msg, "fz.yaml", 7) != 0) {
        nbad_++;
        if (nbad_ < 5) printf("bad failure (rc %d): %s\n--- input:\n%s\n---\n", rc, msg, text);
    }
}

static void fuzz_text_(const char *seed, int nmut, size_t stride)
{
    size_t len = strlen(seed);
    char *buf = malloc(2 * len + 64);
    /* Truncations (every stride-th length). */
    for (size_t cut = 0; cut <= len; cut += stride) {
        memcpy(buf, seed, cut);
        buf[cut] = '\0';
        try_(buf);
    }
    /* Random corruptions: replaced, deleted, duplicated and inserted bytes. */
    static const char alphabet[] =
        ":-[]{},&*!|>'\"#%@`? \n\t\\0123456789.eE+-^()abcdepthsigmaw_\x80\xff\xc3";
    for (int m = 0; m < nmut; m++) {
        memcpy(buf, seed, len + 1);
        size_t cur = len;
        int edits = 1 + (int)(next_() % 4);
        for (int e = 0; e < edits && cur > 0; e++) {
            size_t pos = next_() % cur;
            char ch = alphabet[next_() % (sizeof alphabet - 1)];
            switch (next_() % 4) {
            case 0:
                buf[pos] = ch;
                break;
            case 1:
                memmove(buf + pos, buf + pos + 1, cur - pos);
                cur--;
                break;
            case 2: {
                size_t span = 1 + next_() % 16;
                if (pos + span > cur) span = cur - pos;
                if (cur + span < 2 * len + 32) {
                    memmove(buf + pos + span, buf + pos, cur - pos + 1);
                    cur += span;
                }
                break;
            }
            default:
                if (cur + 1 < 2 * len + 32) {
                    memmove(buf + pos + 1, buf + pos, cur - pos + 1);
                    buf[pos] = ch;
                    cur++;
                }
                break;
            }
        }
        try_(buf);
    }
    free(buf);
}

/* An example sweep loads, and its effective configuration loads to the same points. */
static void round_trip_(const char *text, const char *name)
{
    ntk_sweep *a = NULL, *b = NULL;
    int ok = ntk_spec_parse_string(text, name, &a) == 0;
    if (!ok) printf("%s: %s\n", name, ntk_error_msg());
    char *eff = ok ? ntk_sweep_effective_config(a) : NULL;
    ok = ok && eff && ntk_spec_parse_string(eff, "effective.yaml", &b) == 0;
    if (ok) {
        long n = ntk_sweep_npoints(a);
        ok = ntk_sweep_npoints(b) == n;
        for (long i = 0; ok && i < n; i += 1 + n / 1000)
            ok = ntk_sweep_point_key(a, i) == ntk_sweep_point_key(b, i);
    } else if (a) {
        printf("%s: effective configuration: %s\n", name, ntk_error_msg());
    }
    char what[256];
    snprintf(what, sizeof what, "%s and its effective configuration give the same points", name);
    check_report_(ok, __FILE__, __LINE__, what);
    free(eff);
    ntk_sweep_free(a);
    ntk_sweep_free(b);
}

static char *slurp_(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *b = malloc((size_t)n + 1);
    if (b && fread(b, 1, (size_t)n, f) == (size_t)n)
        b[n] = '\0';
    else {
        free(b);
        b = NULL;
    }
    fclose(f);
    return b;
}

int main(int argc, char **argv)
{
    for (size_t i = 0; i < sizeof seeds_ / sizeof seeds_[0]; i++) {
        long before = nloaded_;
        try_(seeds_[i]);
        if (!CHECK(nloaded_ == before + 1)) /* the seeds themselves are valid */
            printf("seed %zu: %s\n", i, ntk_error_msg());
        fuzz_text_(seeds_[i], 20000, 1);
    }
    if (argc > 1) {
        DIR *d = opendir(argv[1]);
        CHECK(d != NULL);
        struct dirent *e;
        while (d && (e = readdir(d))) {
            size_t n = strlen(e->d_name);
            if (n < 6 || strcmp(e->d_name + n - 5, ".yaml") != 0) continue;
            char path[4096];
            snprintf(path, sizeof path, "%s/%s", argv[1], e->d_name);
            char *text = slurp_(path);
            CHECK(text != NULL);
            if (text) {
                round_trip_(text, e->d_name);
                fuzz_text_(text, 300, 7);
                free(text);
            }
        }
        if (d) closedir(d);
    }
    /* Pure garbage. */
    char junk[257];
    for (int t = 0; t < 2000; t++) {
        int n = (int)(next_() % 256);
        for (int i = 0; i < n; i++)
            junk[i] = (char)(1 + next_() % 255);
        junk[n] = '\0';
        try_(junk);
    }
    printf("variants: %ld loaded, %ld refused, %ld misbehaved\n", nloaded_, nfailed_, nbad_);
    CHECK(nbad_ == 0);
    CHECK(nloaded_ > 100 && nfailed_ > 1000);
    return check_summary("spec.fuzz");
}
