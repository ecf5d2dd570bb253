/* test_sim_identities.c - exact finite-width identities of seed-000 Sec. 4.1 / 6.2 (Littwin &
 * Wolf's residual and dense networks, and the vanilla baseline), which hold at every width: the
 * Monte-Carlo means at n = 16 and n = 32 must match them within their standard errors, for both
 * engines (the conditional engine is exact in distribution, so it obeys them too).
 *
 * Models as in the notes: unit inputs x.x' = K0 (sigma_in = 1, no 1/sqrt(d) beyond K0's), ReLU
 * with sqrt(2), N(0,1) weights, only the internal matrices trained (W^s, W^f fixed).
 * False failures: Bonferroni over all checks at 1e-4. */
#include "ntksweep/theory.h"
#include "sim_test.h"

enum { NCHECK = 64 };
static double zc;

static ntk_model littwin(int m, double a, long L)
{
    ntk_model md;
    ntk_model_default(&md);
    md.arch = NTK_ARCH_LITTWIN;
    md.m = m;
    md.alpha.value = a;
    md.depth = L;
    md.trained = NTK_GROUP_BIT(NTK_GROUP_W);
    return md;
}

/* E[x^pow] of an entry against an exact value. */
static void expect(const char *what, const st_run *r, int q, long layer, int g, int idx, int pw,
                   double exact)
{
    st_mom mo = st_moments(r, q, layer, g, idx, pw);
    st_check_z(what, mo.mean, exact, mo.se, zc, 0.0);
}

/* The theory engine's NTK K(x,x) (E[G] = K exactly at any width, seed-000 4.1). */
static double theory_ntk00(const ntk_model *m, const double *gram)
{
    ntk_program p;
    ntk_model_compile(m, &p);
    ntk_theory_result *t = ntk_theory_result_alloc(2, m->depth);
    ntk_inputs in = {2, gram};
    CHECK(ntk_theory_run(&p, &in, t) == NTK_OK);
    double v = *ntk_theory_at(t, NTK_TQ_NTK, m->depth, 0, 0);
    ntk_theory_result_free(t);
    return v;
}

int main(void)
{
    zc = st_zcrit(1e-4, NCHECK);
    double g[4];
    st_gram2(0.5, g); /* |x| = 1, theta = pi/3 */
    char w[200];
    for (int e = NTK_SIM_DENSE; e <= NTK_SIM_CONDITIONAL; e++) {
        const char *en = ntk_sim_engine_name((ntk_sim_engine)e);
        long N = e == NTK_SIM_DENSE ? 8000 : 20000;
        /* ResNet m = 2, alpha = 0.3: 6.2 row n=16 L=4 and n=32 L=8. */
        struct {
            long n, L;
            double ML;
        } rs[2] = {{16, 4, 12.0182472154}, {32, 8, 92.6386788565}};
        for (int t = 0; t < 2; t++) {
            ntk_model m = littwin(2, 0.3, rs[t].L);
            st_run r;
            if (st_sample(&m, rs[t].n, 2, g, (ntk_sim_engine)e, 11, 100 + t, 0, N, &r)) continue;
            double L = (double)rs[t].L, K = 2 * L * 0.3 * pow(1.3, L - 1);
            snprintf(w, sizeof w, "%s resnet n=%ld L=%ld: E G(x,x) = K", en, rs[t].n, rs[t].L);
            expect(w, &r, NTK_SQ_NTK, 0, 0, 0, 1, K);
            snprintf(w, sizeof w, "%s resnet n=%ld: E|J_{W^(1,.)}|^2 = m a (1+a)^(L-1)", en,
                     rs[t].n);
            expect(w, &r, NTK_SQ_NTK_LAYER, 1, NTK_GROUP_W, 0, 1, K / L);
            snprintf(w, sizeof w, "%s resnet n=%ld: E|J_{W^(L,.)}|^2", en, rs[t].n);
            expect(w, &r, NTK_SQ_NTK_LAYER, rs[t].L, NTK_GROUP_W, 2, 1, K / L);
            snprintf(w, sizeof w, "%s resnet n=%ld: E f^2 = prod(1 + a)", en, rs[t].n);
            expect(w, &r, NTK_SQ_NNGP, 0, 0, 0, 1, pow(1.3, L));
            snprintf(w, sizeof w, "%s resnet n=%ld: E (|y^L|^2/n)^2 = M_L", en, rs[t].n);
            expect(w, &r, NTK_SQ_P, rs[t].L, 0, 0, 2, rs[t].ML);
            snprintf(w, sizeof w, "%s resnet n=%ld: E f^4 = 3 M_L", en, rs[t].n);
            expect(w, &r, NTK_SQ_F, 0, 0, 1, 4, 3 * rs[t].ML);
            st_free(&r);
        }
        /* ResNet m = 1, L = 1: G = a (|y^0|^2/n)(|W^f|^2/n), eta = (1 + 2/n)^2 exactly. */
        {
            ntk_model m = littwin(1, 1.0, 1);
            st_run r;
            if (st_sample(&m, 16, 2, g, (ntk_sim_engine)e, 12, 200, 0, N, &r) == 0) {
                snprintf(w, sizeof w, "%s resnet m=1 L=1 n=16: E G = a", en);
                expect(w, &r, NTK_SQ_NTK, 0, 0, 0, 1, 1.0);
                snprintf(w, sizeof w, "%s resnet m=1 L=1 n=16: E G^2 = (1 + 2/n)^2", en);
                expect(w, &r, NTK_SQ_NTK, 0, 0, 0, 2, 1.265625);
                st_free(&r);
            }
        }
        /* DenseNet alpha = sqrt 2, n = 16, L = 4 (6.2): Lambda^4 = 2.1439935051,
         * E(|y^L|^2/n)^2 = 8.1720655822, E f^4 = 3 x that, E G = K^D_4. */
        {
            ntk_model m;
            ntk_model_default(&m);
            m.arch = NTK_ARCH_DENSENET;
            m.alpha.value = M_SQRT2;
            m.depth = 4;
            m.trained = NTK_GROUP_BIT(NTK_GROUP_W);
            st_run r;
            if (st_sample(&m, 16, 2, g, (ntk_sim_engine)e, 13, 300, 0, N, &r) == 0) {
                double K = theory_ntk00(&m, g);
                CHECK_REL(K, 4.9749, 1e-4); /* seed-000 6.4, K(x,x) of DenseNet L = 4 */
                snprintf(w, sizeof w, "%s densenet n=16 L=4: E G(x,x) = K", en);
                expect(w, &r, NTK_SQ_NTK, 0, 0, 0, 1, K);
                snprintf(w, sizeof w, "%s densenet n=16 L=4: E f^2 = Lambda^4", en);
                expect(w, &r, NTK_SQ_NNGP, 0, 0, 0, 1, 2.1439935051);
                snprintf(w, sizeof w, "%s densenet n=16 L=4: E (|y^L|^2/n)^2", en);
                expect(w, &r, NTK_SQ_P, 4, 0, 0, 2, 8.1720655822);
                snprintf(w, sizeof w, "%s densenet n=16 L=4: E f^4 = 3 E (|y^L|^2/n)^2", en);
                expect(w, &r, NTK_SQ_F, 0, 0, 0, 4, 3 * 8.1720655822);
                st_free(&r);
            }
        }
        /* Vanilla: y^0 = W^s x, y^l = sqrt2 relu(W y / sqrt n); E G = L, E(|y^L|^2/n)^2 =
         * (1 + 2/n)(1 + 5/n)^L (n = 16, L = 4: 3.3384876251); L = 1: eta = (1+2/n)(1+5/n). */
        for (long L = 1; L <= 4; L += 3) {
            ntk_model m;
            ntk_model_default(&m);
            m.stem = NTK_STEM_LINEAR;
            m.depth = L;
            m.trained = NTK_GROUP_BIT(NTK_GROUP_W);
            st_run r;
            if (st_sample(&m, 16, 2, g, (ntk_sim_engine)e, 14, 400 + (uint64_t)L, 0, N, &r))
                continue;
            snprintf(w, sizeof w, "%s vanilla n=16 L=%ld: E G(x,x) = L", en, L);
            expect(w, &r, NTK_SQ_NTK, 0, 0, 2, 1, (double)L);
            snprintf(w, sizeof w, "%s vanilla n=16 L=%ld: E (|y^L|^2/n)^2", en, L);
            expect(w, &r, NTK_SQ_P, L, 0, 0, 2, 1.125 * pow(1.3125, (double)L));
            if (L == 1) {
                snprintf(w, sizeof w, "%s vanilla n=16 L=1: E G^2 = (1+2/n)(1+5/n)", en);
                expect(w, &r, NTK_SQ_NTK, 0, 0, 0, 2, 1.125 * 1.3125);
            }
            if (L == 4)
                CHECK_REL(3.3384876251, 1.125 * pow(1.3125, 4.0), 1e-10); /* the notes' value */
            st_free(&r);
        }
    }
    return check_summary("sim.identities");
}
