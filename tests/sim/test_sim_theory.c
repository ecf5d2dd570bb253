/* test_sim_theory.c - large-width agreement with the theory engine (ntk_theory_run): with the
 * conditional engine at n = 4096, the Monte-Carlo means of every forward, gradient and NTK
 * quantity on every architecture and activation agree with the infinite-width recursions within
 * z standard errors plus an O(depth/n) finite-width allowance; and the reported standard errors
 * (of the mean and of eta) match the spread of the estimates over independent grid-point keys.
 *
 * False failures: the z threshold is Bonferroni over all entries compared, at 1e-4; the
 * seed-spread checks use chi-square intervals at 1e-4 each. */
#include "ntksweep/theory.h"
#include "sim_test.h"

#include <gsl/gsl_cdf.h>

typedef struct {
    const char *name;
    ntk_model m;
} cfg;

static ntk_model base(ntk_arch_kind a, ntk_act_kind act)
{
    ntk_model m;
    ntk_model_default(&m);
    m.arch = a;
    m.act.kind = act;
    m.depth = 4;
    m.d = 3;
    m.stem = NTK_STEM_LINEAR;
    m.sigma_w = act == NTK_ACT_RELU ? 1.3 : 1.5;
    m.sigma_b = 0.3;
    return m;
}

/* Compares every finite theory entry of the quantity pairs (sim q, theory tq) row by row. */
static int compare(const char *name, ntk_sim_result *r, ntk_theory_result *t, long L, long n,
                   double zc, int dry, double *worst)
{
    static const int qs[][2] = {{NTK_SQ_Q, NTK_TQ_Q},
                                {NTK_SQ_C, NTK_TQ_C},
                                {NTK_SQ_P, NTK_TQ_P},
                                {NTK_SQ_E, NTK_TQ_E},
                                {NTK_SQ_S, NTK_TQ_S},
                                {NTK_SQ_KDOT, NTK_TQ_KDOT},
                                {NTK_SQ_CHI, NTK_TQ_CHI},
                                {NTK_SQ_GRAD_CORR, NTK_TQ_GRAD_CORR},
                                {NTK_SQ_CHI_GROUP, NTK_TQ_CHI_GROUP},
                                {NTK_SQ_NTK_LAYER, NTK_TQ_NTK_LAYER},
                                {NTK_SQ_NTK, NTK_TQ_NTK},
                                {NTK_SQ_NTK_GROUP, NTK_TQ_NTK_GROUP},
                                {NTK_SQ_NTK_NORM, NTK_TQ_NTK_NORM},
                                {NTK_SQ_NNGP, NTK_TQ_NNGP}};
    const ntk_qty_desc *st = ntk_sim_qty_table();
    int count = 0;
    for (size_t a = 0; a < sizeof qs / sizeof qs[0]; a++) {
        int q = qs[a][0], tq = qs[a][1];
        unsigned dims = st[q].dims;
        int ng = (dims & NTK_DIM_GROUP) ? NTK_GROUP_COUNT : 1;
        int ni = (dims & NTK_DIM_PAIR) ? r->shape.n_pair : r->shape.n_input;
        long l0 = (dims & NTK_DIM_LAYER) ? 0 : L;
        for (long l = l0; l <= L; l++)
            for (int g = 0; g < ng; g++)
                for (int i = 0; i < ni; i++) {
                    long sl = (dims & NTK_DIM_LAYER) ? l : 0;
                    double th = *ntk_theory_at(t, tq, l, g, i);
                    double mean = *ntk_sim_result_at(r, q, sl, g, NTK_STAT_MEAN, i);
                    double se = *ntk_sim_result_at(r, q, sl, g, NTK_STAT_SEM, i);
                    if (!isfinite(th))
                        continue; /* not defined by the theory (e.g. DenseNet gradients) */
                    if (q == NTK_SQ_NNGP)
                        continue; /* f f' does not concentrate: mean only, checked below */
                    count++;
                    if (dry) continue;
                    /* finite-width bias O(depth/n); deterministic entries (se = 0) exact */
                    double allow = 4.0 * (double)(L + 1) / (double)n * fabs(th) + 1e-12;
                    double z = se > 1e-9 * fabs(th) ? (mean - th) / se : 0.0;
                    if (fabs(z) > fabs(*worst)) *worst = z;
                    if (!(fabs(mean - th) <= zc * se + allow)) {
                        char w[240];
                        snprintf(w, sizeof w, "%s: %s[l=%ld][g=%d][%d]", name, st[q].name, l, g, i);
                        st_check_z(w, mean, th, se, zc, allow);
                    } else {
                        check_npass_++;
                    }
                }
    }
    return count;
}

static void spread_check(double zc_unused)
{
    (void)zc_unused;
    /* M independent point keys of N samples each: the spread of the per-key means (and of the
     * per-key eta) must match the reported standard errors. (M-1) s^2 / sigma^2 ~ chi^2_(M-1). */
    enum { M = 40, N = 100 };
    ntk_model m = base(NTK_ARCH_RESNET, NTK_ACT_RELU);
    m.alpha.value = 0.5;
    ntk_program p;
    ntk_model_compile(&m, &p);
    double g[4];
    st_gram2(0.3, g);
    double means[M], sems[M], etas[M], esems[M];
    for (int key = 0; key < M; key++) {
        st_run r;
        if (st_sample(&m, 128, 2, g, NTK_SIM_CONDITIONAL, 99, 5000 + (uint64_t)key, 0, N, &r))
            return;
        ntk_sim_result *res = ntk_sim_result_alloc(m.depth, 2);
        ntk_sim_stats(&p, 2, N, r.rec, res);
        means[key] = *ntk_sim_result_at(res, NTK_SQ_NTK, 0, 0, NTK_STAT_MEAN, 1);
        sems[key] = *ntk_sim_result_at(res, NTK_SQ_NTK, 0, 0, NTK_STAT_SEM, 1);
        etas[key] = res->data[NTK_SR_NTK_ETA][0];
        esems[key] = res->data[NTK_SR_NTK_ETA_SEM][0];
        ntk_sim_result_free(res);
        st_free(&r);
    }
    double lo = sqrt(gsl_cdf_chisq_Pinv(0.5e-4, M - 1) / (M - 1));
    double hi = sqrt(gsl_cdf_chisq_Pinv(1 - 0.5e-4, M - 1) / (M - 1));
    const double *v[2] = {means, etas}, *e[2] = {sems, esems};
    const char *nm[2] = {"ntk[01] mean", "eta[00]"};
    for (int t = 0; t < 2; t++) {
        double mu = 0, s2 = 0, se2 = 0;
        for (int i = 0; i < M; i++)
            mu += v[t][i] / M;
        for (int i = 0; i < M; i++) {
            s2 += (v[t][i] - mu) * (v[t][i] - mu) / (M - 1);
            se2 += e[t][i] * e[t][i] / M;
        }
        double ratio = sqrt(s2 / se2);
        char w[200];
        snprintf(w, sizeof w,
                 "%s: spread over %d keys / reported standard error = %.3f (chi^2 interval "
                 "[%.3f, %.3f])",
                 nm[t], M, ratio, lo, hi);
        /* eta's delta-method error at N = 100 is itself uncertain by ~10%: widen by 15% */
        double slack = t == 1 ? 0.15 : 0.0;
        printf("%s\n", w);
        check_report_(ratio > lo - slack && ratio < hi + slack, __FILE__, __LINE__, w);
    }
}

int main(void)
{
    cfg c[32];
    int nc = 0;
    ntk_model m;
    for (int a = 0; a < 2; a++) {
        ntk_act_kind act = a ? NTK_ACT_TANH : NTK_ACT_RELU;
        const char *an = a ? "tanh" : "relu";
        char *nm;
#define ADD(fmt, model)                                                                            \
    do {                                                                                           \
        nm = malloc(64);                                                                           \
        snprintf(nm, 64, fmt, an);                                                                 \
        c[nc++] = (cfg){nm, model};                                                                \
    } while (0)
        m = base(NTK_ARCH_FF, act);
        ADD("ff %s", m);
        /* Block 1 reads x: the gradient-independence assumption behind the theory's chi needs
         * the input dimension large too (at d ~ k the data directions of W^1 are a finite
         * fraction of its fan-in; ReLU happens to be exact there, tanh is not). */
        m.stem = NTK_STEM_NONE;
        m.sigma_out_b = 0.4;
        m.d = 4096;
        ADD("ff %s no stem", m);
        if (act == NTK_ACT_TANH) {
            m = base(NTK_ARCH_RRN, act);
            m.sigma_w = 1.1;
            m.d = 4096;
            ADD("rrn %s", m);
        }
        m = base(NTK_ARCH_FRN, act);
        m.sigma_v = 1.1;
        m.sigma_a = 0.4;
        m.d = 4096;
        ADD("frn %s", m);
        m = base(NTK_ARCH_RESNET, act);
        m.alpha.value = 0.5;
        m.sigma_a = 0.2;
        ADD("resnet %s", m);
        m = base(NTK_ARCH_PRERESNET, act);
        m.alpha.kind = NTK_ALPHA_INVSQRT;
        m.depth = 5;
        ADD("preresnet %s", m);
        m = base(NTK_ARCH_LITTWIN, act);
        m.alpha.value = 0.3;
        m.m = 2;
        ADD("littwin m=2 %s", m);
        m = base(NTK_ARCH_DENSENET, act);
        m.alpha.value = 1.2;
        ADD("densenet %s", m);
    }
    /* the remaining activations on the feedforward net and the residual FRN */
    static const ntk_act_kind more[5] = {NTK_ACT_ERF, NTK_ACT_IDENTITY, NTK_ACT_GELU, NTK_ACT_SWISH,
                                         NTK_ACT_ALPHA_RELU};
    for (int a = 0; a < 5; a++) {
        const char *an = ntk_act_name(more[a]);
        char *nm;
        m = base(NTK_ARCH_FF, more[a]);
        m.act.alpha = 1.5; /* alpha_relu: x^1.5 (finite gradient moments need alpha > 3/4) */
        m.sigma_w = more[a] == NTK_ACT_IDENTITY ? 1.0 : 1.4;
        ADD("ff %s", m);
        if (more[a] == NTK_ACT_GELU || more[a] == NTK_ACT_ALPHA_RELU) {
            m = base(NTK_ARCH_FRN, more[a]);
            m.act.alpha = 1.5;
            m.sigma_w = 1.0;
            m.sigma_v = 0.8;
            m.sigma_a = 0.3;
            m.d = 4096;
            ADD("frn %s", m);
        }
    }
#undef ADD
    const long n = 4096, N = 150;
    double g[4] = {1.0, 0.3, 0.3, 0.7};
    /* count the comparisons for the Bonferroni threshold */
    ntk_sim_result *res[32];
    ntk_theory_result *th[32];
    int total = 0;
    for (int i = 0; i < nc; i++) {
        ntk_program p;
        ntk_model_compile(&c[i].m, &p);
        st_run r;
        if (st_sample(&c[i].m, n, 2, g, NTK_SIM_CONDITIONAL, 2024, 31 + (uint64_t)i, 0, N, &r)) {
            res[i] = NULL;
            continue;
        }
        res[i] = ntk_sim_result_alloc(c[i].m.depth, 2);
        ntk_sim_stats(&p, 2, N, r.rec, res[i]);
        th[i] = ntk_theory_result_alloc(2, c[i].m.depth);
        ntk_inputs in = {2, g};
        CHECK(ntk_theory_run(&p, &in, th[i]) == NTK_OK);
        double w = 0;
        total += compare(c[i].name, res[i], th[i], c[i].m.depth, n, 0, 1, &w);
        st_free(&r);
    }
    double zc = st_zcrit(1e-4, total + 3 * nc);
    printf("%d comparisons, z threshold %.2f\n", total, zc);
    for (int i = 0; i < nc; i++) {
        if (!res[i]) continue;
        double worst = 0;
        compare(c[i].name, res[i], th[i], c[i].m.depth, n, zc, 0, &worst);
        /* nngp = f f' has O(1) fluctuations at any width: its mean still converges */
        long L = c[i].m.depth;
        for (int pq = 0; pq < 3; pq++) {
            char w[200];
            snprintf(w, sizeof w, "%s: nngp[%d]", c[i].name, pq);
            st_check_z(w, *ntk_sim_result_at(res[i], NTK_SQ_NNGP, 0, 0, NTK_STAT_MEAN, pq),
                       *ntk_theory_at(th[i], NTK_TQ_NNGP, L, 0, pq),
                       *ntk_sim_result_at(res[i], NTK_SQ_NNGP, 0, 0, NTK_STAT_SEM, pq), zc, 0.0);
        }
        printf("%-22s worst z = %6.2f\n", c[i].name, worst);
        ntk_sim_result_free(res[i]);
        ntk_theory_result_free(th[i]);
        free((void *)c[i].name);
    }
    spread_check(zc);
    return check_summary("sim.theory");
}
