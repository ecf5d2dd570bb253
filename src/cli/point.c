/* point.c - `ntksweep point`: the infinite-width theory of one model as a per-layer TSV table. */
#include "ntksweep/cli.h"
#include "ntksweep/error.h"
#include "ntksweep/model.h"
#include "ntksweep/sim.h"
#include "ntksweep/theory.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void point_usage_(FILE *f)
{
    fprintf(
        f, "usage: ntksweep point [options]\n"
           "  Runs the infinite-width recursions of one model on two inputs x, x' (per-coordinate\n"
           "  squared norms q0, cosine rho) and prints one TSV row per layer l = 0..depth.\n"
           "model:\n"
           "  --arch ff|rrn|frn|resnet|preresnet|littwin|densenet|cnn1d   (default ff)\n"
           "  --act relu|alpha_relu|tanh|erf|identity|gelu|swish     (default relu)\n"
           "  --relu-alpha A        exponent of alpha_relu (> 1/2)\n"
           "  --depth L             number of blocks (default 1)\n"
           "  --sigma-w S | --sigma-w2 S2      hidden weight std (default sqrt 2) or variance\n"
           "  --sigma-b S | --sigma-b2 S2      hidden bias std (default 0) or variance\n"
           "  --sigma-v S | --sigma-v2 S2      branch output weight std (frn, resnet; default 1)\n"
           "  --sigma-a S | --sigma-a2 S2      branch output bias std (frn, resnet; default 0)\n"
           "  --sigma-in S, --sigma-in-b S     stem weight / bias std (default 1, 0)\n"
           "  --sigma-out S, --sigma-out-b S   readout weight / bias std (default 1, 0)\n"
           "  --stem none|linear    linear input layer for ff (default none)\n"
           "  --alpha A             branch scale value (default 1)\n"
           "  --gamma G             alpha_l = A L^-G (implies --alpha-schedule power)\n"
           "  --alpha-schedule const|power|invsqrt   (invsqrt: alpha_l = A / sqrt(l))\n"
           "  --m M                 branch depth of littwin (default 2)\n"
           "  --act-mult C          activation multiplier x = C phi(h) (default 1)\n"
           "  --param ntk|standard  parameterisation (theory quantities do not depend on it)\n"
           "  --trained LIST        trained groups: all, none, or a comma list of\n"
           "                        input,W,b,V,a,readout,readout_b (default all)\n"
           "  --positions M         cnn1d: spatial positions (default 1)\n"
           "  --kernel-half Q       cnn1d: filter half-width, filter size 2Q+1 <= M (default 0)\n"
           "  --readout dense|conv  cnn1d: dense layer over all positions, or one more\n"
           "                        convolution read at position 0 (default dense)\n"
           "inputs:\n"
           "  --q0 Q                ||x||^2/d = ||x'||^2/d (default 1)\n"
           "  --rho R | --angle T   cosine of the inputs, or their angle in radians (default 0)\n"
           "  cnn1d: both inputs are spatially constant signals (the same vector at every\n"
           "  position); the theory runs on 2M virtual inputs (input i at position a is i*M + a)\n"
           "  and the columns are those of virtual inputs 0 and M (position 0 of x and x').\n"
           "simulation (finite width, beside the theory):\n"
           "  --sim                 also sample random networks and print the empirical\n"
           "                        statistics next to the theory (mean and standard error)\n"
           "  --width N             hidden width (default 256); --samples S (default 200)\n"
           "  --engine auto|dense|conditional   (default auto); --seed N (default 1)\n"
           "  --d D                 input dimension (default: the width)\n"
           "columns: l, q = q(x,x), lambda = q(x,x'), c, p = p(x,x), gamma = p(x,x'), e, s,\n"
           "  kdot = Kdot(x,x) (the derivative kernel that sets chi), nngp = K(x,x') of the\n"
           "  output, ntk_xx, ntk_xy, ntk_norm, chi, log_chi (chi^depth = 1), chi_w, chi_b,\n"
           "  chi_v and chi_a (frn, resnet), grad_corr. nan marks undefined entries.\n"
           "with --sim: l, then for q, c, p, e, chi the theory value, the Monte-Carlo mean and\n"
           "  its standard error (columns X, X_mc, X_sem), and '#' lines with the NTK.\n"
           "exit status: 0 ok, 1 failure, 2 usage error.\n");
}

static int bad_(const char *opt, const char *why, const char *val)
{
    fprintf(stderr, "ntksweep point: %s: %s '%s'\n", opt, why, val ? val : "");
    return NTK_EXIT_USAGE;
}

static int num_(const char *opt, const char *s, double *out)
{
    char *end = NULL;
    errno = 0;
    double v = strtod(s, &end);
    if (end == s || *end != '\0' || errno == ERANGE || !isfinite(v))
        return bad_(opt, "expected a finite number, got", s);
    *out = v;
    return 0;
}

static int nonneg_(const char *opt, const char *s, double *out)
{
    if (num_(opt, s, out)) return NTK_EXIT_USAGE;
    if (*out < 0) return bad_(opt, "must be >= 0, got", s);
    return 0;
}

static int count_(const char *opt, const char *s, long lo, long *out)
{
    char *end = NULL;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (end == s || *end != '\0' || errno == ERANGE)
        return bad_(opt, "expected an integer, got", s);
    if (v < lo) {
        fprintf(stderr, "ntksweep point: %s: must be >= %ld, got %ld\n", opt, lo, v);
        return NTK_EXIT_USAGE;
    }
    *out = v;
    return 0;
}

static int trained_(const char *opt, const char *s, unsigned *out)
{
    if (strcmp(s, "all") == 0) {
        *out = NTK_GROUPS_ALL;
        return 0;
    }
    *out = 0;
    if (strcmp(s, "none") == 0) return 0;
    char buf[256];
    if (strlen(s) >= sizeof buf) return bad_(opt, "list too long", s);
    strcpy(buf, s);
    for (char *tok = strtok(buf, ","); tok; tok = strtok(NULL, ",")) {
        int g;
        if (ntk_group_parse(tok, &g) != NTK_OK)
            return bad_(opt,
                        "unknown parameter group (expected input, W, b, V, a, readout, "
                        "readout_b, all or none):",
                        tok);
        *out |= NTK_GROUP_BIT(g);
    }
    return 0;
}

/* A std given directly (--sigma-x) or as a variance (--sigma-x2); giving both is an error. */
typedef struct {
    const char *name; /* "w", "b", "v", "a" */
    double *dst;
    int set;
} sigma_opt;

static double cell_(ntk_theory_result *r, ntk_theory_qty q, long l, int g, int idx)
{
    return *ntk_theory_at(r, q, l, g, idx);
}

static void tsv_num_(double v)
{
    if (isnan(v))
        printf("\tnan");
    else
        printf("\t%.10g", v);
}

/* --sim: samples networks of the point in this process and prints the empirical statistics
 * beside the theory. The point key is 0: a point run is identified by its seed alone. */
static int point_sim_(const ntk_program *prog, ntk_theory_result *r, int k, const double *gram,
                      long width, long samples, uint64_t seed, ntk_sim_engine engine)
{
    const ntk_model *m = &prog->model;
    /* the input pair x, x' is the (virtual) input pair (0, k/2): pair indices of the table */
    const int pxx = ntk_pair_index(0, 0, k), pxy = ntk_pair_index(0, k / 2, k);
    ntk_sim *s = ntk_sim_alloc(prog, width, k, engine);
    if (!s) {
        fprintf(stderr, "ntksweep point: --sim: %s\n", ntk_error_msg());
        return NTK_EXIT_USAGE;
    }
    const ntk_sim_layout *lay = ntk_sim_layout_of(s);
    double *X = malloc((size_t)m->d * (size_t)k * sizeof *X);
    double *rec = malloc((size_t)samples * lay->record_size * sizeof *rec);
    ntk_sim_result *res = ntk_sim_result_alloc(m->depth, k);
    int rc = (!X || !rec || !res) ? ntk_error_set(NTK_ENOMEM, "samples of the point") : 0;
    if (rc == 0) rc = ntk_sim_inputs_from_gram(k, gram, m->d, X);
    long nonfinite = 0;
    for (long i = 0; rc == 0 && i < samples; i++) {
        int nf = ntk_sim_sample(s, X, seed, 0, (uint64_t)i, rec + (size_t)i * lay->record_size);
        if (nf < 0) rc = nf;
        nonfinite += nf > 0;
    }
    if (rc == 0) rc = ntk_sim_stats(prog, k, samples, rec, res);
    if (rc == 0) {
        printf("# width %ld, %ld samples, engine %s, seed %llu, %ld samples with non-finite "
               "values\n",
               width, samples, ntk_sim_engine_name(ntk_sim_engine_of(s)), (unsigned long long)seed,
               nonfinite);
        printf("l\tq\tq_mc\tq_sem\tc\tc_mc\tc_sem\tp\tp_mc\tp_sem\te\te_mc\te_sem\tchi\tchi_mc"
               "\tchi_sem\n");
        const struct {
            ntk_theory_qty tq;
            int sq, idx;
        } cols[] = {{NTK_TQ_Q, NTK_SQ_Q, pxx},
                    {NTK_TQ_C, NTK_SQ_C, pxy},
                    {NTK_TQ_P, NTK_SQ_P, pxx},
                    {NTK_TQ_E, NTK_SQ_E, pxy},
                    {NTK_TQ_CHI, NTK_SQ_CHI, 0}};
        for (long l = 0; l <= m->depth; l++) {
            printf("%ld", l);
            for (size_t c = 0; c < sizeof cols / sizeof cols[0]; c++) {
                tsv_num_(*ntk_theory_at(r, cols[c].tq, l, 0, cols[c].idx));
                tsv_num_(*ntk_sim_result_at(res, cols[c].sq, l, 0, NTK_STAT_MEAN, cols[c].idx));
                tsv_num_(*ntk_sim_result_at(res, cols[c].sq, l, 0, NTK_STAT_SEM, cols[c].idx));
            }
            printf("\n");
        }
        for (int pi = 0; pi < 2; pi++) {
            int p = pi ? pxy : pxx;
            double th = *ntk_theory_at(r, NTK_TQ_NTK, m->depth, 0, p);
            double mc = *ntk_sim_result_at(res, NTK_SQ_NTK, 0, 0, NTK_STAT_MEAN, p);
            double se = *ntk_sim_result_at(res, NTK_SQ_NTK, 0, 0, NTK_STAT_SEM, p);
            double eta = *ntk_sim_result_at(res, NTK_SR_NTK_ETA, 0, 0, 0, p);
            printf("# ntk(%s) theory %.10g  mc %.10g +- %.3g (z = %.2f)  E[G^2]/E[G]^2 %.6g\n",
                   pi == 0 ? "x,x" : "x,x'", th, mc, se, se > 0 ? (mc - th) / se : NAN, eta);
        }
    } else {
        fprintf(stderr, "ntksweep point: --sim: %s\n", ntk_error_msg());
    }
    ntk_sim_result_free(res);
    free(rec);
    free(X);
    ntk_sim_free(s);
    if (rc == 0 && ferror(stdout)) {
        fprintf(stderr, "ntksweep point: error writing the table to stdout\n");
        return NTK_EXIT_FAILURE;
    }
    return rc == 0 ? NTK_EXIT_OK : NTK_EXIT_FAILURE;
}

int ntk_cli_point(int argc, char **argv)
{
    ntk_model m;
    ntk_model_default(&m);
    double q0 = 1.0, rho = 0.0, alpha_val = 1.0, gamma = 0.0;
    int rho_set = 0, gamma_set = 0, sim = 0, cnn_set = 0;
    long width = 256, samples = 200, seed = 1, d_in = 0;
    ntk_sim_engine engine = NTK_SIM_AUTO;
    const char *schedule = NULL;
    sigma_opt sig[4] = {
        {"w", &m.sigma_w, 0}, {"b", &m.sigma_b, 0}, {"v", &m.sigma_v, 0}, {"a", &m.sigma_a, 0}};
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
        if (strcmp(arg, "-h") == 0 || strcmp(arg, "--help") == 0) {
            point_usage_(stdout);
            return NTK_EXIT_OK;
        }
        if (strncmp(arg, "--", 2) != 0) {
            fprintf(stderr, "ntksweep point: unexpected argument '%s'\n", arg);
            point_usage_(stderr);
            return NTK_EXIT_USAGE;
        }
        if (strcmp(arg, "--sim") == 0) {
            sim = 1;
            continue;
        }
        /* --name value or --name=value */
        char opt[64];
        const char *val = NULL, *eq = strchr(arg, '=');
        size_t len = eq ? (size_t)(eq - arg) : strlen(arg);
        if (len >= sizeof opt) return bad_(arg, "unknown option", arg);
        memcpy(opt, arg, len);
        opt[len] = '\0';
        if (eq)
            val = eq + 1;
        else if (i + 1 < argc)
            val = argv[++i];
        else
            return bad_(opt, "missing value", "");
        int rc = 0;
        long n;
        double v;
        int matched = 0;
        for (int k = 0; k < 4; k++) {
            char a[32], b[32];
            snprintf(a, sizeof a, "--sigma-%s", sig[k].name);
            snprintf(b, sizeof b, "--sigma-%s2", sig[k].name);
            int is_var = strcmp(opt, b) == 0;
            if (strcmp(opt, a) != 0 && !is_var) continue;
            matched = 1;
            if (sig[k].set) {
                fprintf(stderr,
                        "ntksweep point: %s: sigma_%s given twice (--sigma-%s or "
                        "--sigma-%s2, once)\n",
                        opt, sig[k].name, sig[k].name, sig[k].name);
                return NTK_EXIT_USAGE;
            }
            if ((rc = nonneg_(opt, val, &v))) return rc;
            *sig[k].dst = is_var ? sqrt(v) : v;
            sig[k].set = 1;
        }
        if (matched) continue;
        if (strcmp(opt, "--arch") == 0) {
            if (ntk_arch_parse(val, &m.arch) != NTK_OK)
                return bad_(opt,
                            "unknown architecture (ff, rrn, frn, resnet, preresnet, littwin, "
                            "densenet, cnn1d):",
                            val);
        } else if (strcmp(opt, "--act") == 0) {
            if (ntk_act_parse(val, &m.act.kind) != NTK_OK)
                return bad_(opt,
                            "unknown activation (relu, alpha_relu, tanh, erf, identity, gelu, "
                            "swish):",
                            val);
        } else if (strcmp(opt, "--relu-alpha") == 0) {
            rc = num_(opt, val, &m.act.alpha);
        } else if (strcmp(opt, "--depth") == 0) {
            if (!(rc = count_(opt, val, 1, &n))) m.depth = n;
        } else if (strcmp(opt, "--m") == 0) {
            if (!(rc = count_(opt, val, 1, &n))) m.m = (int)n;
        } else if (strcmp(opt, "--sigma-in") == 0) {
            rc = nonneg_(opt, val, &m.sigma_in);
        } else if (strcmp(opt, "--sigma-in-b") == 0) {
            rc = nonneg_(opt, val, &m.sigma_in_b);
        } else if (strcmp(opt, "--sigma-out") == 0) {
            rc = nonneg_(opt, val, &m.sigma_out);
        } else if (strcmp(opt, "--sigma-out-b") == 0) {
            rc = nonneg_(opt, val, &m.sigma_out_b);
        } else if (strcmp(opt, "--stem") == 0) {
            if (strcmp(val, "none") == 0)
                m.stem = NTK_STEM_NONE;
            else if (strcmp(val, "linear") == 0)
                m.stem = NTK_STEM_LINEAR;
            else
                return bad_(opt, "expected none or linear, got", val);
        } else if (strcmp(opt, "--alpha") == 0) {
            rc = nonneg_(opt, val, &alpha_val);
        } else if (strcmp(opt, "--gamma") == 0) {
            rc = num_(opt, val, &gamma);
            gamma_set = 1;
        } else if (strcmp(opt, "--alpha-schedule") == 0) {
            if (strcmp(val, "const") != 0 && strcmp(val, "power") != 0 &&
                strcmp(val, "invsqrt") != 0)
                return bad_(opt, "expected const, power or invsqrt, got", val);
            schedule = val;
        } else if (strcmp(opt, "--width") == 0) {
            rc = count_(opt, val, 1, &width);
        } else if (strcmp(opt, "--samples") == 0) {
            rc = count_(opt, val, 2, &samples);
        } else if (strcmp(opt, "--seed") == 0) {
            rc = count_(opt, val, 0, &seed);
        } else if (strcmp(opt, "--d") == 0) {
            rc = count_(opt, val, 1, &d_in);
        } else if (strcmp(opt, "--engine") == 0) {
            if (ntk_sim_engine_parse(val, &engine) != NTK_OK)
                return bad_(opt, "expected auto, dense or conditional, got", val);
        } else if (strcmp(opt, "--act-mult") == 0) {
            rc = num_(opt, val, &m.act_mult);
        } else if (strcmp(opt, "--param") == 0) {
            if (strcmp(val, "ntk") == 0)
                m.param = NTK_PARAM_NTK;
            else if (strcmp(val, "standard") == 0)
                m.param = NTK_PARAM_STANDARD;
            else
                return bad_(opt, "expected ntk or standard, got", val);
        } else if (strcmp(opt, "--trained") == 0) {
            rc = trained_(opt, val, &m.trained);
        } else if (strcmp(opt, "--positions") == 0) {
            if (!(rc = count_(opt, val, 1, &n))) {
                if (n > NTK_MAX_POSITIONS) return bad_(opt, "too many positions:", val);
                m.positions = (int)n;
                cnn_set = 1;
            }
        } else if (strcmp(opt, "--kernel-half") == 0) {
            if (!(rc = count_(opt, val, 0, &n))) {
                if (n > NTK_MAX_POSITIONS) return bad_(opt, "too large:", val);
                m.kernel_half = (int)n;
                cnn_set = 1;
            }
        } else if (strcmp(opt, "--readout") == 0) {
            if (ntk_readout_parse(val, &m.readout) != NTK_OK)
                return bad_(opt, "expected dense or conv, got", val);
            cnn_set = 1;
        } else if (strcmp(opt, "--q0") == 0) {
            if (!(rc = num_(opt, val, &q0)) && !(q0 > 0)) return bad_(opt, "must be > 0, got", val);
        } else if (strcmp(opt, "--rho") == 0 || strcmp(opt, "--angle") == 0) {
            if (rho_set) {
                fprintf(stderr, "ntksweep point: %s: give the inputs' --rho or --angle once\n",
                        opt);
                return NTK_EXIT_USAGE;
            }
            rho_set = 1;
            if ((rc = num_(opt, val, &v))) return rc;
            if (opt[2] == 'a')
                rho = cos(v);
            else if (v < -1 || v > 1)
                return bad_(opt, "must lie in [-1, 1], got", val);
            else
                rho = v;
        } else {
            fprintf(stderr, "ntksweep point: unknown option '%s'\n", opt);
            point_usage_(stderr);
            return NTK_EXIT_USAGE;
        }
        if (rc) return rc;
    }
    /* branch-scale schedule */
    m.alpha.value = alpha_val;
    m.alpha.gamma = gamma;
    if (!schedule) schedule = gamma_set ? "power" : "const";
    if (strcmp(schedule, "power") == 0) {
        if (!gamma_set) {
            fprintf(stderr, "ntksweep point: --alpha-schedule power needs --gamma\n");
            return NTK_EXIT_USAGE;
        }
        m.alpha.kind = NTK_ALPHA_POWER;
    } else if (gamma_set) {
        fprintf(stderr, "ntksweep point: --gamma needs --alpha-schedule power (got %s)\n",
                schedule);
        return NTK_EXIT_USAGE;
    } else
        m.alpha.kind = strcmp(schedule, "invsqrt") == 0 ? NTK_ALPHA_INVSQRT : NTK_ALPHA_CONST;

    if (cnn_set && m.arch != NTK_ARCH_CNN1D) {
        fprintf(stderr,
                "ntksweep point: --positions, --kernel-half and --readout apply to --arch cnn1d "
                "only (arch is %s)\n",
                ntk_arch_name(m.arch));
        return NTK_EXIT_USAGE;
    }
    if (sim) m.d = (int)(d_in > 0 ? d_in : width);
    ntk_program prog;
    if (ntk_model_compile(&m, &prog) != NTK_OK) {
        fprintf(stderr, "ntksweep point: %s\n", ntk_error_msg());
        return NTK_EXIT_USAGE;
    }
    /* cnn1d: 2M virtual inputs, the replicated Gram of two spatially constant signals; the
     * table reads virtual inputs 0 and M (x and x' at position 0). */
    const int M = m.arch == NTK_ARCH_CNN1D ? m.positions : 1, k = 2 * M;
    if (k > NTK_THEORY_MAX_VIRTUAL || (sim && k > NTK_SIM_MAX_K)) {
        fprintf(stderr, "ntksweep point: --positions %d gives %d virtual inputs; at most %d (%s)\n",
                M, k, sim ? NTK_SIM_MAX_K : NTK_THEORY_MAX_VIRTUAL, sim ? "--sim" : "theory");
        return NTK_EXIT_USAGE;
    }
    const double g2[4] = {q0, q0 * rho, q0 * rho, q0};
    double *gram = malloc((size_t)k * (size_t)k * sizeof *gram);
    ntk_theory_result *r = gram ? ntk_theory_result_alloc(k, m.depth) : NULL;
    if (!r || ntk_theory_gram_replicate(2, M, g2, gram) != NTK_OK) {
        fprintf(stderr, "ntksweep point: %s\n", gram ? ntk_error_msg() : "out of memory");
        ntk_theory_result_free(r);
        free(gram);
        return NTK_EXIT_FAILURE;
    }
    ntk_inputs in = {k, gram};
    if (ntk_theory_run(&prog, &in, r) != NTK_OK) {
        fprintf(stderr, "ntksweep point: %s\n", ntk_error_msg());
        ntk_theory_result_free(r);
        free(gram);
        return NTK_EXIT_FAILURE;
    }
    if (sim) {
        int rc = point_sim_(&prog, r, k, gram, width, samples, (uint64_t)seed, engine);
        ntk_theory_result_free(r);
        free(gram);
        return rc;
    }
    free(gram);
    const int pxx = ntk_pair_index(0, 0, k), pxy = ntk_pair_index(0, M, k);
    int va = m.arch == NTK_ARCH_FRN || m.arch == NTK_ARCH_RESNET;
    printf("l\tq\tlambda\tc\tp\tgamma\te\ts\tkdot\tnngp\tntk_xx\tntk_xy\tntk_norm\tchi\tlog_chi\t"
           "chi_w\tchi_b%s\tgrad_corr\n",
           va ? "\tchi_v\tchi_a" : "");
    for (long l = 0; l <= m.depth; l++) {
        double v[20] = {cell_(r, NTK_TQ_Q, l, 0, pxx),
                        cell_(r, NTK_TQ_Q, l, 0, pxy),
                        cell_(r, NTK_TQ_C, l, 0, pxy),
                        cell_(r, NTK_TQ_P, l, 0, pxx),
                        cell_(r, NTK_TQ_P, l, 0, pxy),
                        cell_(r, NTK_TQ_E, l, 0, pxy),
                        cell_(r, NTK_TQ_S, l, 0, pxy),
                        cell_(r, NTK_TQ_KDOT, l, 0, pxx),
                        cell_(r, NTK_TQ_NNGP, l, 0, pxy),
                        cell_(r, NTK_TQ_NTK, l, 0, pxx),
                        cell_(r, NTK_TQ_NTK, l, 0, pxy),
                        cell_(r, NTK_TQ_NTK_NORM, l, 0, pxy),
                        cell_(r, NTK_TQ_CHI, l, 0, 0),
                        cell_(r, NTK_TQ_LOG_CHI, l, 0, 0),
                        cell_(r, NTK_TQ_CHI_GROUP, l, NTK_GROUP_W, 0),
                        cell_(r, NTK_TQ_CHI_GROUP, l, NTK_GROUP_B, 0),
                        cell_(r, NTK_TQ_CHI_GROUP, l, NTK_GROUP_V, 0),
                        cell_(r, NTK_TQ_CHI_GROUP, l, NTK_GROUP_A, 0),
                        cell_(r, NTK_TQ_GRAD_CORR, l, 0, pxy)};
        printf("%ld", l);
        for (int c = 0; c < 19; c++) {
            if (!va && (c == 16 || c == 17)) continue;
            if (isnan(v[c]))
                printf("\tnan"); /* undefined entries, whatever their sign bit */
            else
                printf("\t%.17g", v[c]);
        }
        printf("\n");
    }
    int rc = ferror(stdout) ? NTK_EXIT_FAILURE : NTK_EXIT_OK;
    if (rc) fprintf(stderr, "ntksweep point: error writing the table to stdout\n");
    ntk_theory_result_free(r);
    return rc;
}
