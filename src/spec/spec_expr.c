/* spec_expr.c - the small, safe expression language of derived parameters, and the edge-of-chaos
 * helper it offers.
 *
 * Grammar (docs/spec.md "Derived parameters"):
 *     expr    := term (('+' | '-') term)*
 *     term    := unary (('*' | '/') unary)*
 *     unary   := ('-' | '+') unary | power
 *     power   := primary ('^' unary)?          right-associative: 2^-1, depth^-gamma, -2^2 = -4
 *     primary := number | name | name '(' expr (',' expr)? ')' | '(' expr ')'
 * Functions: sqrt log exp abs floor ceil round (one argument), min max (two), eoc(sigma_b).
 * Constants: pi, e. Names resolve to parameters or free grid variables through a resolver.
 * Expressions compile to a postfix program; evaluation never allocates and cannot fail (errors
 * surface as NaN or inf, which the caller checks against the target's constraint).
 */
#include "spec_private.h"

#include "ntksweep/error.h"

#include <ctype.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define EXPR_MAX_NEST 64
#define EXPR_MAX_INS  4096

typedef struct {
    const char *s;
    int pos;
    spec_resolver res;
    void *ctx;
    spec_ins *code;
    int n, cap;
    int sp, maxsp;
    int nest;
    char *msg;
    size_t msgsz;
    int errpos;
    int failed;
} parser;

static int fail_(parser *p, int pos, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Records the first error (message and position) and returns -1. */
static int fail_(parser *p, int pos, const char *fmt, ...)
{
    if (!p->failed) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(p->msg, p->msgsz, fmt, ap);
        va_end(ap);
        p->errpos = pos;
        p->failed = 1;
    }
    return -1;
}

static int emit_(parser *p, spec_ins ins)
{
    if (p->n >= EXPR_MAX_INS) return fail_(p, p->pos, "expression too long");
    if (p->n == p->cap) {
        int cap = p->cap ? 2 * p->cap : 16;
        spec_ins *c = realloc(p->code, (size_t)cap * sizeof *c);
        if (!c) return fail_(p, p->pos, "out of memory");
        p->code = c;
        p->cap = cap;
    }
    p->code[p->n++] = ins;
    /* Track the evaluation stack depth. */
    switch (ins.op) {
    case EX_NUM:
    case EX_VAR:
        p->sp++;
        break;
    case EX_ADD:
    case EX_SUB:
    case EX_MUL:
    case EX_DIV:
    case EX_POW:
    case EX_MIN:
    case EX_MAX:
        p->sp--;
        break;
    default:
        break;
    }
    if (p->sp > p->maxsp) p->maxsp = p->sp;
    return 0;
}

static int op_(parser *p, spec_opcode op)
{
    spec_ins i = {0};
    i.op = op;
    return emit_(p, i);
}

static void skip_ws_(parser *p)
{
    while (p->s[p->pos] == ' ' || p->s[p->pos] == '\t')
        p->pos++;
}

static int parse_expr_(parser *p);
static int parse_unary_(parser *p);

static const struct {
    const char *name;
    spec_opcode op;
    int nargs;
} funcs_[] = {{"sqrt", EX_SQRT, 1},   {"log", EX_LOG, 1},     {"exp", EX_EXP, 1},
              {"abs", EX_ABS, 1},     {"floor", EX_FLOOR, 1}, {"ceil", EX_CEIL, 1},
              {"round", EX_ROUND, 1}, {"eoc", EX_EOC, 1},     {"min", EX_MIN, 2},
              {"max", EX_MAX, 2}};

static int parse_primary_(parser *p)
{
    skip_ws_(p);
    const char *s = p->s;
    int start = p->pos;
    char c = s[p->pos];
    if (c == '(') {
        p->pos++;
        if (parse_expr_(p) < 0) return -1;
        skip_ws_(p);
        if (s[p->pos] != ')') return fail_(p, p->pos, "expected ')'");
        p->pos++;
        return 0;
    }
    if (isdigit((unsigned char)c) || c == '.') {
        char *end;
        double v = strtod(s + p->pos, &end);
        if (end == s + p->pos) return fail_(p, p->pos, "expected a number");
        p->pos = (int)(end - s);
        spec_ins i = {0};
        i.op = EX_NUM;
        i.num = v;
        return emit_(p, i);
    }
    if (isalpha((unsigned char)c) || c == '_') {
        char name[64];
        int len = 0;
        while (isalnum((unsigned char)s[p->pos]) || s[p->pos] == '_') {
            if (len < (int)sizeof name - 1) name[len++] = s[p->pos];
            p->pos++;
        }
        name[len] = '\0';
        if (p->pos - start >= (int)sizeof name - 1) return fail_(p, start, "name too long");
        skip_ws_(p);
        if (s[p->pos] == '(') {
            for (size_t f = 0; f < sizeof funcs_ / sizeof funcs_[0]; f++) {
                if (strcmp(name, funcs_[f].name) != 0) continue;
                p->pos++;
                if (parse_expr_(p) < 0) return -1;
                for (int a = 1; a < funcs_[f].nargs; a++) {
                    skip_ws_(p);
                    if (s[p->pos] != ',') return fail_(p, p->pos, "%s() takes two arguments", name);
                    p->pos++;
                    if (parse_expr_(p) < 0) return -1;
                }
                skip_ws_(p);
                if (s[p->pos] != ')')
                    return fail_(p, p->pos,
                                 funcs_[f].nargs == 1 ? "%s() takes one argument; expected ')'"
                                                      : "%s(): expected ')'",
                                 name);
                p->pos++;
                return op_(p, funcs_[f].op);
            }
            return fail_(p, start,
                         "unknown function '%s' (available: sqrt, log, exp, abs, floor, ceil, "
                         "round, min, max, eoc)",
                         name);
        }
        spec_ins i = {0};
        if (strcmp(name, "pi") == 0 || strcmp(name, "e") == 0) {
            i.op = EX_NUM;
            i.num = name[0] == 'p' ? M_PI : M_E;
            return emit_(p, i);
        }
        char rmsg[256] = "";
        int rc = p->res ? p->res(p->ctx, name, &i.slot, &i.square, rmsg, sizeof rmsg) : -1;
        if (rc == -2) return fail_(p, start, "%s", rmsg);
        if (rc < 0) {
            if (rmsg[0]) return fail_(p, start, "%s", rmsg);
            return fail_(p, start, "unknown name '%s' in expression", name);
        }
        i.op = EX_VAR;
        return emit_(p, i);
    }
    if (c == '\0') return fail_(p, p->pos, "unexpected end of expression");
    char tok[2] = {c, '\0'};
    return fail_(p, p->pos, "unexpected character '%s'", tok);
}

static int parse_power_(parser *p)
{
    if (parse_primary_(p) < 0) return -1;
    skip_ws_(p);
    if (p->s[p->pos] == '^') {
        p->pos++;
        if (parse_unary_(p) < 0) return -1;
        return op_(p, EX_POW);
    }
    return 0;
}

static int parse_unary_(parser *p)
{
    skip_ws_(p);
    if (++p->nest > EXPR_MAX_NEST) return fail_(p, p->pos, "expression nested too deeply");
    int rc;
    char c = p->s[p->pos];
    if (c == '-' || c == '+') {
        p->pos++;
        rc = parse_unary_(p);
        if (rc == 0 && c == '-') rc = op_(p, EX_NEG);
    } else {
        rc = parse_power_(p);
    }
    p->nest--;
    return rc;
}

static int parse_term_(parser *p)
{
    if (parse_unary_(p) < 0) return -1;
    for (;;) {
        skip_ws_(p);
        char c = p->s[p->pos];
        if (c != '*' && c != '/') return 0;
        p->pos++;
        if (parse_unary_(p) < 0) return -1;
        if (op_(p, c == '*' ? EX_MUL : EX_DIV) < 0) return -1;
    }
}

static int parse_expr_(parser *p)
{
    if (++p->nest > EXPR_MAX_NEST) return fail_(p, p->pos, "expression nested too deeply");
    if (parse_term_(p) < 0) return -1;
    for (;;) {
        skip_ws_(p);
        char c = p->s[p->pos];
        if (c != '+' && c != '-') break;
        p->pos++;
        if (parse_term_(p) < 0) return -1;
        if (op_(p, c == '+' ? EX_ADD : EX_SUB) < 0) return -1;
    }
    p->nest--;
    return 0;
}

int spec_expr_compile(const char *text, spec_resolver res, void *ctx, spec_expr *e, char *msg,
                      size_t msgsz, int *errpos)
{
    parser p = {0};
    p.s = text;
    p.res = res;
    p.ctx = ctx;
    p.msg = msg;
    p.msgsz = msgsz;
    memset(e, 0, sizeof *e);
    if (parse_expr_(&p) == 0) {
        skip_ws_(&p);
        if (p.s[p.pos] != '\0') {
            char tok[2] = {p.s[p.pos], '\0'};
            fail_(&p, p.pos, p.s[p.pos] == ')' ? "unbalanced '%s'" : "unexpected '%s'", tok);
        }
    }
    if (p.failed) {
        free(p.code);
        if (errpos) *errpos = p.errpos;
        return -1;
    }
    e->code = p.code;
    e->n = p.n;
    e->depth = p.maxsp;
    return 0;
}

void spec_expr_free(spec_expr *e)
{
    if (e) {
        free(e->code);
        e->code = NULL;
        e->n = 0;
    }
}

int spec_expr_uses(const spec_expr *e, int slot)
{
    for (int i = 0; i < e->n; i++)
        if (e->code[i].op == EX_VAR && e->code[i].slot == slot) return 1;
    return 0;
}

double spec_expr_eval(const spec_expr *e, const double *vals)
{
    double stack[EXPR_MAX_INS + 1];
    int sp = 0;
    for (int i = 0; i < e->n; i++) {
        const spec_ins *in = &e->code[i];
        double a, b;
        switch (in->op) {
        case EX_NUM:
            stack[sp++] = in->num;
            break;
        case EX_VAR:
            a = vals[in->slot];
            stack[sp++] = in->square ? a * a : a;
            break;
        case EX_NEG:
            stack[sp - 1] = -stack[sp - 1];
            break;
        case EX_ADD:
        case EX_SUB:
        case EX_MUL:
        case EX_DIV:
        case EX_POW:
        case EX_MIN:
        case EX_MAX:
            b = stack[--sp];
            a = stack[sp - 1];
            switch (in->op) {
            case EX_ADD:
                a += b;
                break;
            case EX_SUB:
                a -= b;
                break;
            case EX_MUL:
                a *= b;
                break;
            case EX_DIV:
                a /= b;
                break;
            case EX_POW:
                a = pow(a, b);
                break;
            case EX_MIN:
                a = fmin(a, b);
                break;
            default:
                a = fmax(a, b);
                break;
            }
            stack[sp - 1] = a;
            break;
        case EX_SQRT:
            stack[sp - 1] = stack[sp - 1] >= 0 ? sqrt(stack[sp - 1]) : NAN;
            break;
        case EX_LOG:
            stack[sp - 1] = stack[sp - 1] > 0 ? log(stack[sp - 1]) : NAN;
            break;
        case EX_EXP:
            stack[sp - 1] = exp(stack[sp - 1]);
            break;
        case EX_ABS:
            stack[sp - 1] = fabs(stack[sp - 1]);
            break;
        case EX_FLOOR:
            stack[sp - 1] = floor(stack[sp - 1]);
            break;
        case EX_CEIL:
            stack[sp - 1] = ceil(stack[sp - 1]);
            break;
        case EX_ROUND:
            stack[sp - 1] = round(stack[sp - 1]);
            break;
        case EX_EOC: {
            ntk_act act = {(ntk_act_kind)(int)vals[SP_ACT], vals[SP_RELU_ALPHA]};
            stack[sp - 1] = ntk_spec_eoc_sigma_w(&act, vals[SP_ACT_MULT], stack[sp - 1]);
            break;
        }
        }
    }
    return sp == 1 ? stack[0] : NAN;
}

/* ------------------------------------------------------------------ edge of chaos */

/* E[f(sqrt(q) Z)] for Z ~ N(0,1) and an even f that decays like exp(-2|u|) (sech^2, sech^4):
 * trapezoid rule in u = sqrt(q) z, which converges geometrically for these analytic integrands
 * (pole distance pi/2: error ~ exp(-pi^2/h)); the cut-off keeps both factors below 1e-17. */
static double gauss_even_(double (*f)(double), double q)
{
    double s = sqrt(q);
    double h = fmin(0.05, 0.2 * s);
    double U = fmin(25.0, 10.0 * s);
    long n = (long)ceil(U / h);
    h = U / (double)n;
    double sum = 0.5 * f(0.0);
    for (long i = 1; i <= n; i++) {
        double u = i * h;
        sum += f(u) * exp(-0.5 * u * u / q);
    }
    return 2.0 * sum * h / (s * sqrt(2.0 * M_PI));
}

static double sech2_(double u)
{
    double c = cosh(u);
    return 1.0 / (c * c);
}

static double sech4_(double u)
{
    double c = sech2_(u);
    return c * c;
}

/* V(q) = E[phi^2], Vdot(q) = E[phi'^2] for tanh and erf (mult = 1). */
static void vmaps_(ntk_act_kind kind, double q, double *V, double *Vd)
{
    if (kind == NTK_ACT_ERF) {
        *V = (2.0 / M_PI) * asin(2.0 * q / (1.0 + 2.0 * q));
        *Vd = (4.0 / M_PI) / sqrt(1.0 + 4.0 * q);
    } else {
        *V = 1.0 - gauss_even_(sech2_, q);
        *Vd = gauss_even_(sech4_, q);
    }
}

double ntk_spec_eoc_sigma_w(const ntk_act *act, double mult, double sigma_b)
{
    if (!(mult != 0.0) || !isfinite(mult) || !(sigma_b >= 0.0) || !isfinite(sigma_b)) return NAN;
    double m2 = mult * mult;
    switch (act->kind) {
    case NTK_ACT_RELU:
        /* chi_1 = sigma_w^2 mult^2 / 2 for every q (Hayou Fact 12). */
        return M_SQRT2 / fabs(mult);
    case NTK_ACT_IDENTITY:
        return 1.0 / fabs(mult);
    case NTK_ACT_TANH:
    case NTK_ACT_ERF:
        break;
    default:
        return NAN;
    }
    if (sigma_b == 0.0) return 1.0 / fabs(mult); /* q* = 0 and phi'(0) = 1 */
    /* On the EOC, sigma_w^2 = 1/Vdot(q*) and sigma_b^2 = q* - V(q*)/Vdot(q*) =: g(q*); g is
     * increasing, so solve g(q) = sigma_b^2 by bisection in log q (mult^2 scales V and Vdot). */
    double target = sigma_b * sigma_b, lo = 1e-12, hi = 1.0;
    double V, Vd;
    for (;;) {
        vmaps_(act->kind, hi, &V, &Vd);
        if (hi - V / Vd >= target) break;
        lo = hi;
        hi *= 4.0;
        if (hi > 1e12) return NAN;
    }
    for (int it = 0; it < 200 && hi - lo > 1e-15 * hi; it++) {
        double mid = sqrt(lo * hi);
        if (mid <= lo || mid >= hi) mid = 0.5 * (lo + hi);
        vmaps_(act->kind, mid, &V, &Vd);
        if (mid - V / Vd < target)
            lo = mid;
        else
            hi = mid;
    }
    vmaps_(act->kind, 0.5 * (lo + hi), &V, &Vd);
    return 1.0 / sqrt(m2 * Vd);
}
