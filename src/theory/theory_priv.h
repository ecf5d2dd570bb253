/* theory_priv.h - engine options for tests and benchmarks (not part of the public API). */
#ifndef NTKSWEEP_THEORY_PRIV_H
#define NTKSWEEP_THEORY_PRIV_H

#include "ntksweep/theory.h"

/* Options of ntk_theory_run_ex(). ntk_theory_run() uses memo = 1 and no counter. */
typedef struct {
    int memo;            /* 1: reuse T/Tdot of an ACT entry whose input is bitwise unchanged   */
    long *n_gauss_calls; /* if non-NULL, incremented once per ntk_gauss_pair/diag evaluation   */
} ntk_theory_opts;

/* ntk_theory_run() with explicit options; same contract otherwise. */
int ntk_theory_run_ex(const ntk_program *prog, const ntk_inputs *in, ntk_theory_result *res,
                      const ntk_theory_opts *opts);

#endif
