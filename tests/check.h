/* check.h - tiny assertion helpers shared by the ntksweep test executables.
 *
 * Each check prints PASS/FAIL with the expression and both values; a test program ends with
 * `return check_summary("name");`, which prints "N passed, M failed" and returns the exit status.
 * Tolerances are explicit at every call: rel for relative, abs for absolute.
 */
#ifndef NTKSWEEP_TESTS_CHECK_H
#define NTKSWEEP_TESTS_CHECK_H

#include <math.h>
#include <stdio.h>

static int check_npass_ = 0, check_nfail_ = 0;
static int check_verbose_ = 0; /* set to 1 to print passing checks too */

static inline int check_report_(int ok, const char *file, int line, const char *what)
{
    if (ok)
        check_npass_++;
    else
        check_nfail_++;
    if (!ok || check_verbose_)
        printf("%s %s:%d %s\n", ok ? "PASS" : "FAIL", file, line, what);
    return ok;
}

/* |got - want| <= rel * |want| (or both are the same infinity / both NaN). */
static inline int check_rel_(double got, double want, double rel, const char *file, int line,
                             const char *expr)
{
    int ok;
    if (isnan(want))
        ok = isnan(got);
    else if (isinf(want))
        ok = got == want;
    else
        ok = fabs(got - want) <= rel * fabs(want);
    char buf[512];
    snprintf(buf, sizeof buf, "%s = %.15g, want %.15g (rel err %.3g, tol %.3g)", expr, got, want,
             want != 0 ? fabs(got - want) / fabs(want) : fabs(got), rel);
    return check_report_(ok, file, line, buf);
}

static inline int check_abs_(double got, double want, double tol, const char *file, int line,
                             const char *expr)
{
    int ok = fabs(got - want) <= tol;
    char buf[512];
    snprintf(buf, sizeof buf, "%s = %.15g, want %.15g (abs err %.3g, tol %.3g)", expr, got, want,
             fabs(got - want), tol);
    return check_report_(ok, file, line, buf);
}

#define CHECK(cond) check_report_(!!(cond), __FILE__, __LINE__, #cond)
#define CHECK_REL(got, want, rel) check_rel_((got), (want), (rel), __FILE__, __LINE__, #got)
#define CHECK_ABS(got, want, tol) check_abs_((got), (want), (tol), __FILE__, __LINE__, #got)
#define CHECK_INT(got, want)                                                                       \
    do {                                                                                           \
        long long g_ = (long long)(got), w_ = (long long)(want);                                   \
        char b_[256];                                                                              \
        snprintf(b_, sizeof b_, "%s = %lld, want %lld", #got, g_, w_);                             \
        check_report_(g_ == w_, __FILE__, __LINE__, b_);                                           \
    } while (0)

static inline int check_summary(const char *name)
{
    printf("%s: %d passed, %d failed\n", name, check_npass_, check_nfail_);
    return check_nfail_ == 0 ? 0 : 1;
}

#endif
