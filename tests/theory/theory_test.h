/* theory_test.h - helpers shared by the theory-engine test programs (two-input runs). */
#ifndef NTKSWEEP_TESTS_THEORY_TEST_H
#define NTKSWEEP_TESTS_THEORY_TEST_H

#include "check.h"
#include "ntksweep/error.h"
#include "ntksweep/model.h"
#include "ntksweep/theory.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

/* Compiles *m and runs it on two inputs with Gram [[g11, g12], [g12, g22]]. Returns NULL (after a
 * failed check naming the error) if compilation or the run fails. The caller frees the result. */
static inline ntk_theory_result *tt_run2(const ntk_model *m, double g11, double g22, double g12)
{
    ntk_program prog;
    int rc = ntk_model_compile(m, &prog);
    if (rc != NTK_OK) {
        printf("compile failed: %s\n", ntk_error_msg());
        CHECK(rc == NTK_OK);
        return NULL;
    }
    double gram[4] = {g11, g12, g12, g22};
    ntk_inputs in = {2, gram};
    ntk_theory_result *r = ntk_theory_result_alloc(2, m->depth);
    if (!r) {
        CHECK(r != NULL);
        return NULL;
    }
    rc = ntk_theory_run(&prog, &in, r);
    if (rc != NTK_OK) {
        printf("run failed: %s\n", ntk_error_msg());
        CHECK(rc == NTK_OK);
        ntk_theory_result_free(r);
        return NULL;
    }
    return r;
}

/* Value of a pair/input quantity at (layer, group, idx); idx 0 = (x,x), 1 = (x,x'), 2 = (x',x'). */
static inline double tt_get(ntk_theory_result *r, ntk_theory_qty q, long l, int g, int idx)
{
    return *ntk_theory_at(r, q, l, g, idx);
}

/* Golden-table comparison: relative tolerance rel, with an absolute floor for printed zeros and
 * values quoted to a fixed number of decimals. */
#define TT_CHECK_TAB(got, want, rel, absfloor)                                                     \
    CHECK_ABS((got), (want), fmax((rel)*fabs(want), (absfloor)))

#endif
