/* spec_load.c - reads a sweep spec with libyaml and validates it into an ntk_sweep.
 *
 * libyaml is confined to this file. The document is loaded as a node tree (so every node keeps
 * its position) and walked section by section with a fixed schema: no generic recursion, so
 * aliases and deep nesting cannot run away. Every error is reported as
 *     file:line:column: key 'section.key': what was expected, got 'value'
 * and returned as NTK_ESPEC.
 */
#include "spec_private.h"

#include "ntksweep/error.h"
#include "ntksweep/sim.h"
#include "ntksweep/theory.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#define SPEC_MAX_TEXT           (16L << 20) /* largest spec file accepted (bytes)            */
#define SPEC_MAX_AXIS           1000000L    /* values per axis                               */
#define SPEC_MAX_POINTS         1000000000L
#define SPEC_MAX_DERIVED_POINTS 20000000L /* grids with derived values (checked point by point) */
#define SPEC_MAX_FREE           64        /* free grid variables                           */
#define SPEC_MAX_K              8192      /* inputs                                        */
#define SPEC_MAX_GRAM_BYTES     (256.0 * 1048576.0)
#define SPEC_MAX_ALPHA_LIST     1000000L

/* Source of a slot's value. */
enum { SRC_DEFAULT = 0, SRC_FIXED, SRC_AXIS, SRC_DERIVED };

typedef struct {
    yaml_document_t *doc;
    const char *file;
    ntk_sweep *s;
    spec_mark slot_mark[SP_COUNT + SPEC_MAX_FREE];
    char slot_key[SP_COUNT + SPEC_MAX_FREE][96];
    int free_used[SPEC_MAX_FREE];
    spec_mark free_mark[SPEC_MAX_FREE];
    spec_mark sim_mark, inputs_mark;
    int have_sim_node;
} lctx;

/* ------------------------------------------------------------------ messages */

static spec_mark mark_of_(const yaml_node_t *n)
{
    spec_mark m = {1, 1};
    if (n) {
        m.line = (int)n->start_mark.line + 1;
        m.col = (int)n->start_mark.column + 1;
    }
    return m;
}

static int errm_(lctx *c, spec_mark m, const char *key, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int errm_(lctx *c, spec_mark m, const char *key, const char *fmt, ...)
{
    char body[1536];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(body, sizeof body, fmt, ap);
    va_end(ap);
    if (key)
        return ntk_error_set(NTK_ESPEC, "%s:%d:%d: key '%s': %s", c->file, m.line, m.col, key,
                             body);
    return ntk_error_set(NTK_ESPEC, "%s:%d:%d: %s", c->file, m.line, m.col, body);
}

#define ERRN(c, node, key, ...) errm_((c), mark_of_(node), (key), __VA_ARGS__)

/* Shortens a scalar for quoting in a message. */
static const char *quote_(const char *v, char *buf, size_t n)
{
    size_t len = strlen(v);
    if (len + 1 <= n && len <= 60) {
        memcpy(buf, v, len + 1);
    } else {
        snprintf(buf, n, "%.40s...", v);
    }
    for (char *p = buf; *p; p++)
        if (*p == '\n' || *p == '\r' || *p == '\t') *p = ' ';
    return buf;
}

static const char *node_kind_(const yaml_node_t *n)
{
    switch (n->type) {
    case YAML_SCALAR_NODE:
        return "a scalar";
    case YAML_SEQUENCE_NODE:
        return "a list";
    case YAML_MAPPING_NODE:
        return "a mapping";
    default:
        return "nothing";
    }
}

/* ------------------------------------------------------------------ node access */

static yaml_node_t *node_(lctx *c, int idx)
{
    return yaml_document_get_node(c->doc, idx);
}

static const char *scalar_(const yaml_node_t *n)
{
    return (n && n->type == YAML_SCALAR_NODE) ? (const char *)n->data.scalar.value : NULL;
}

static int is_null_(const yaml_node_t *n)
{
    const char *v = scalar_(n);
    return v && n->data.scalar.style == YAML_PLAIN_SCALAR_STYLE &&
           (v[0] == '\0' || strcmp(v, "~") == 0 || strcmp(v, "null") == 0 ||
            strcmp(v, "Null") == 0 || strcmp(v, "NULL") == 0);
}

static int seq_len_(const yaml_node_t *n)
{
    return (int)(n->data.sequence.items.top - n->data.sequence.items.start);
}

static yaml_node_t *seq_item_(lctx *c, const yaml_node_t *n, int i)
{
    return node_(c, n->data.sequence.items.start[i]);
}

/* Finds key in a mapping (keys were checked for duplicates by check_keys_). */
static yaml_node_t *find_(lctx *c, yaml_node_t *map, const char *key)
{
    if (!map || map->type != YAML_MAPPING_NODE) return NULL;
    for (yaml_node_pair_t *p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top;
         p++) {
        const char *k = scalar_(node_(c, p->key));
        if (k && strcmp(k, key) == 0) return node_(c, p->value);
    }
    return NULL;
}

static void join_(char *buf, size_t n, const char *path, const char *key)
{
    if (!key) key = "?";
    if (path && path[0])
        snprintf(buf, n, "%s.%s", path, key);
    else
        snprintf(buf, n, "%s", key);
}

/* Checks that map is a mapping with scalar, unique keys from allowed[] (NULL: any). */
static int check_keys_(lctx *c, yaml_node_t *map, const char *path, const char *const *allowed,
                       int nallowed)
{
    if (map->type != YAML_MAPPING_NODE)
        return ERRN(c, map, path[0] ? path : NULL, "expected a mapping (key: value lines), got %s",
                    node_kind_(map));
    for (yaml_node_pair_t *p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top;
         p++) {
        yaml_node_t *kn = node_(c, p->key);
        const char *k = scalar_(kn);
        if (!k) return ERRN(c, kn, path, "keys must be plain names, got %s", node_kind_(kn));
        char full[160], qb[80];
        join_(full, sizeof full, path, quote_(k, qb, sizeof qb));
        for (yaml_node_pair_t *q = map->data.mapping.pairs.start; q < p; q++) {
            const char *k2 = scalar_(node_(c, q->key));
            if (k2 && strcmp(k, k2) == 0) {
                spec_mark m0 = mark_of_(node_(c, q->key));
                return ERRN(c, kn, full, "duplicate key (first given at line %d, column %d)",
                            m0.line, m0.col);
            }
        }
        if (!allowed) continue;
        int ok = 0;
        for (int i = 0; i < nallowed && !ok; i++)
            ok = strcmp(k, allowed[i]) == 0;
        if (!ok) {
            const char *sug = ntk_spec_suggest(k, allowed, nallowed);
            char list[768] = "";
            size_t len = 0;
            for (int i = 0; i < nallowed && len < sizeof list - 40; i++)
                len += (size_t)snprintf(list + len, sizeof list - len, "%s%s", i ? ", " : "",
                                        allowed[i]);
            if (sug) return ERRN(c, kn, full, "unknown key (did you mean '%s'?)", sug);
            return ERRN(c, kn, full, "unknown key (expected one of: %s)", list);
        }
    }
    return 0;
}

/* ------------------------------------------------------------------ scalars */

static const char *cons_text_(spec_constraint cons)
{
    switch (cons) {
    case SC_NONNEG:
        return "a non-negative number";
    case SC_FINITE:
        return "a finite number";
    case SC_POSINT:
        return "a positive integer";
    case SC_RELU_ALPHA:
        return "a number > 1/2 (alpha-ReLU gradients are infinite for relu_alpha <= 1/2)";
    case SC_POSITIVE:
        return "a positive number";
    case SC_UNIT:
        return "a number in [-1, 1]";
    case SC_NATURAL:
        return "a non-negative integer";
    case SC_CATEGORY:
        break;
    }
    return "a value";
}

int spec_check_value(spec_constraint cons, double v)
{
    if (!isfinite(v)) return 0;
    switch (cons) {
    case SC_NONNEG:
        return v >= 0.0;
    case SC_FINITE:
        return 1;
    case SC_POSINT:
        return v >= 1.0 && v == floor(v) && v <= 1e9;
    case SC_RELU_ALPHA:
        return v > 0.5;
    case SC_POSITIVE:
        return v > 0.0;
    case SC_UNIT:
        return v >= -1.0 && v <= 1.0;
    case SC_NATURAL:
        return v >= 0.0 && v == floor(v) && v <= 1e9;
    case SC_CATEGORY:
        break;
    }
    return 0;
}

static int const_resolver_(void *ctx, const char *name, int *slot, int *square, char *msg,
                           size_t msgsz)
{
    (void)ctx;
    (void)slot;
    (void)square;
    snprintf(msg, msgsz,
             "'%s' is not a constant (values that depend on parameters belong in derived:)", name);
    return -2;
}

/* Parses a number or a constant expression ("pi/2", "sqrt(2)"). 0 on success. */
static int parse_number_text_(const char *v, double *out)
{
    if (!v || !v[0]) return -1;
    char *end;
    errno = 0;
    double x = strtod(v, &end);
    if (end != v) {
        while (*end == ' ')
            end++;
        if (*end == '\0') {
            /* strtod accepts "nan"/"inf"/hex; only plain decimal numbers are numbers here. */
            for (const char *p = v; *p; p++)
                if (isalpha((unsigned char)*p) && *p != 'e' && *p != 'E') return -1;
            *out = x;
            return 0;
        }
    }
    spec_expr e;
    char msg[256];
    int pos;
    if (spec_expr_compile(v, const_resolver_, NULL, &e, msg, sizeof msg, &pos) < 0) return -1;
    double vals[SP_COUNT] = {0};
    *out = spec_expr_eval(&e, vals);
    spec_expr_free(&e);
    return 0;
}

/* A number obeying cons from a scalar node. */
static int get_number_(lctx *c, yaml_node_t *n, const char *key, spec_constraint cons, double *out)
{
    const char *v = scalar_(n);
    char qb[80];
    if (!v || is_null_(n))
        return ERRN(c, n, key, "expected %s, got %s", cons_text_(cons),
                    v ? "nothing" : node_kind_(n));
    double x;
    if (parse_number_text_(v, &x) < 0 || !spec_check_value(cons, x))
        return ERRN(c, n, key, "expected %s, got '%s'", cons_text_(cons), quote_(v, qb, sizeof qb));
    *out = x;
    return 0;
}

/* A non-negative integer (counts, levels) in [lo, hi]. */
static int get_long_(lctx *c, yaml_node_t *n, const char *key, long lo, long hi, long *out)
{
    const char *v = scalar_(n);
    char qb[80];
    double x;
    if (!v || is_null_(n) || parse_number_text_(v, &x) < 0 || x != floor(x) || x < (double)lo ||
        x > (double)hi) {
        if (hi >= LONG_MAX / 2)
            return ERRN(c, n, key, "expected an integer >= %ld, got '%s'", lo,
                        v ? quote_(v, qb, sizeof qb) : node_kind_(n));
        return ERRN(c, n, key, "expected an integer in [%ld, %ld], got '%s'", lo, hi,
                    v ? quote_(v, qb, sizeof qb) : node_kind_(n));
    }
    *out = (long)x;
    return 0;
}

static int get_bool_(lctx *c, yaml_node_t *n, const char *key, int *out)
{
    const char *v = scalar_(n);
    static const char *const yes[] = {"true", "True", "TRUE", "yes", "Yes",
                                      "YES",  "on",   "On",   "ON"};
    static const char *const no[] = {"false", "False", "FALSE", "no", "No",
                                     "NO",    "off",   "Off",   "OFF"};
    char qb[80];
    if (v) {
        for (size_t i = 0; i < sizeof yes / sizeof yes[0]; i++)
            if (strcmp(v, yes[i]) == 0) {
                *out = 1;
                return 0;
            }
        for (size_t i = 0; i < sizeof no / sizeof no[0]; i++)
            if (strcmp(v, no[i]) == 0) {
                *out = 0;
                return 0;
            }
    }
    return ERRN(c, n, key, "expected true or false, got '%s'",
                v ? quote_(v, qb, sizeof qb) : node_kind_(n));
}

static int get_string_(lctx *c, yaml_node_t *n, const char *key, char **out)
{
    const char *v = scalar_(n);
    if (!v) return ERRN(c, n, key, "expected a string, got %s", node_kind_(n));
    char *d = strdup(v);
    if (!d) return ntk_error_set(NTK_ENOMEM, "out of memory");
    free(*out);
    *out = d;
    return 0;
}

/* A category name for a categorical slot, with did-you-mean. */
static int get_category_(lctx *c, yaml_node_t *n, const char *key, int slot, int *code)
{
    const char *v = scalar_(n);
    char qb[80];
    const char *names[16];
    int nn = spec_category_count(slot);
    for (int i = 0; i < nn; i++)
        names[i] = spec_category_name(slot, i);
    char list[256] = "";
    size_t len = 0;
    for (int i = 0; i < nn; i++)
        len += (size_t)snprintf(list + len, sizeof list - len, "%s%s", i ? ", " : "", names[i]);
    if (!v) return ERRN(c, n, key, "expected one of %s, got %s", list, node_kind_(n));
    int code_ = spec_category_parse(slot, v);
    if (code_ < 0) {
        const char *sug = ntk_spec_suggest(v, names, nn);
        if (sug)
            return ERRN(c, n, key, "unknown value '%s' (did you mean '%s'?)",
                        quote_(v, qb, sizeof qb), sug);
        return ERRN(c, n, key, "unknown value '%s' (expected one of %s)", quote_(v, qb, sizeof qb),
                    list);
    }
    *code = code_;
    return 0;
}

/* ------------------------------------------------------------------ slots */

static const char *slot_name_(const ntk_sweep *s, int slot)
{
    if (slot >= SP_COUNT) return s->slot_names[slot - SP_COUNT];
    int n;
    const spec_param *t = spec_param_table(&n);
    for (int i = 0; i < n; i++)
        if (t[i].slot == slot && !t[i].variance) return t[i].name;
    return "?";
}

/* Records that slot is set from key at node; refuses a second setting. */
static int claim_slot_(lctx *c, int slot, int src, yaml_node_t *node, const char *key)
{
    ntk_sweep *s = c->s;
    if (slot < SP_COUNT && s->src[slot] != SRC_DEFAULT) {
        spec_mark m0 = c->slot_mark[slot];
        return ERRN(c, node, key,
                    "parameter '%s' is already set by '%s' (line %d, column %d); give each "
                    "parameter once (fixed in model/inputs, as a grid axis, or derived)",
                    slot_name_(s, slot), c->slot_key[slot], m0.line, m0.col);
    }
    if (slot < SP_COUNT) s->src[slot] = src;
    c->slot_mark[slot] = mark_of_(node);
    snprintf(c->slot_key[slot], sizeof c->slot_key[slot], "%s", key);
    return 0;
}

/* Stores a fixed numeric value given in spelling p. */
static int set_fixed_(lctx *c, const spec_param *p, yaml_node_t *n, const char *key)
{
    NTK_TRY(claim_slot_(c, p->slot, SRC_FIXED, n, key));
    c->s->src_variance[p->slot] = p->variance;
    if (p->cons == SC_CATEGORY) {
        int code;
        NTK_TRY(get_category_(c, n, key, p->slot, &code));
        c->s->base[p->slot] = code;
        return 0;
    }
    double v;
    NTK_TRY(get_number_(c, n, key, p->cons, &v));
    c->s->base[p->slot] = p->variance ? sqrt(v) : v;
    c->s->written[p->slot] = v;
    return 0;
}

/* ------------------------------------------------------------------ top level */

static int parse_header_(lctx *c, yaml_node_t *root)
{
    ntk_sweep *s = c->s;
    yaml_node_t *n = find_(c, root, "name");
    if (!n)
        return ERRN(c, root, "name", "missing: every sweep needs a name (letters, digits, _ - .)");
    NTK_TRY(get_string_(c, n, "name", &s->name));
    if (!s->name[0] || strlen(s->name) > 128)
        return ERRN(c, n, "name", "expected a name of 1 to 128 characters");
    for (const char *p = s->name; *p; p++)
        if (!isalnum((unsigned char)*p) && *p != '_' && *p != '-' && *p != '.') {
            char qb[80];
            return ERRN(c, n, "name", "expected letters, digits, '_', '-' or '.' only, got '%s'",
                        quote_(s->name, qb, sizeof qb));
        }
    if ((n = find_(c, root, "description")))
        NTK_TRY(get_string_(c, n, "description", &s->description));
    if ((n = find_(c, root, "seed"))) {
        const char *v = scalar_(n);
        char *end = NULL;
        char qb[80];
        errno = 0;
        int base = v && v[0] == '0' && (v[1] == 'x' || v[1] == 'X') ? 16 : 10;
        unsigned long long x = (v && isdigit((unsigned char)v[0])) ? strtoull(v, &end, base) : 0;
        if (!v || !isdigit((unsigned char)v[0]) || !end || *end || errno == ERANGE)
            return ERRN(c, n, "seed", "expected an integer in [0, 2^64 - 1], got '%s'",
                        v ? quote_(v, qb, sizeof qb) : node_kind_(n));
        s->seed = (uint64_t)x;
    }
    return 0;
}

static int parse_model_(lctx *c, yaml_node_t *model)
{
    ntk_sweep *s = c->s;
    int np;
    const spec_param *t = spec_param_table(&np);
    const char *allowed[64];
    int na = 0;
    for (int i = 0; i < np; i++)
        if (t[i].slot != SP_ANGLE && t[i].slot != SP_RHO && t[i].slot != SP_Q0)
            allowed[na++] = t[i].name;
    allowed[na++] = "trained";
    allowed[na++] = "alpha_list";
    s->model_mark = mark_of_(model);
    if (is_null_(model)) return 0;
    NTK_TRY(check_keys_(c, model, "model", allowed, na));
    for (yaml_node_pair_t *p = model->data.mapping.pairs.start; p < model->data.mapping.pairs.top;
         p++) {
        const char *k = scalar_(node_(c, p->key));
        yaml_node_t *v = node_(c, p->value);
        char key[128];
        join_(key, sizeof key, "model", k);
        if (strcmp(k, "trained") == 0) {
            if (scalar_(v) && strcmp(scalar_(v), "all") == 0) {
                s->trained = NTK_GROUPS_ALL;
                continue;
            }
            if (v->type != YAML_SEQUENCE_NODE)
                return ERRN(c, v, key, "expected 'all' or a list of parameter groups, got %s",
                            node_kind_(v));
            unsigned mask = 0;
            static const char *const groups[] = {"input", "W",       "b",        "V",
                                                 "a",     "readout", "readout_b"};
            for (int i = 0; i < seq_len_(v); i++) {
                yaml_node_t *it = seq_item_(c, v, i);
                const char *g = scalar_(it);
                int gi = -1;
                for (int j = 0; g && j < NTK_GROUP_COUNT; j++)
                    if (strcmp(g, groups[j]) == 0) gi = j;
                if (gi < 0) {
                    char qb[80];
                    const char *sug = g ? ntk_spec_suggest(g, groups, NTK_GROUP_COUNT) : NULL;
                    if (sug)
                        return ERRN(c, it, key, "unknown parameter group '%s' (did you mean '%s'?)",
                                    quote_(g, qb, sizeof qb), sug);
                    return ERRN(c, it, key,
                                "unknown parameter group '%s' (expected input, W, b, V, a, "
                                "readout, readout_b)",
                                g ? quote_(g, qb, sizeof qb) : node_kind_(it));
                }
                mask |= NTK_GROUP_BIT(gi);
            }
            s->trained = mask;
            continue;
        }
        if (strcmp(k, "alpha_list") == 0) {
            if (v->type != YAML_SEQUENCE_NODE || seq_len_(v) < 1)
                return ERRN(c, v, key, "expected a non-empty list of branch scales, got %s",
                            node_kind_(v));
            long n = seq_len_(v);
            if (n > SPEC_MAX_ALPHA_LIST) return ERRN(c, v, key, "too many entries (%ld)", n);
            s->alpha_list = calloc((size_t)n, sizeof(double));
            if (!s->alpha_list) return ntk_error_set(NTK_ENOMEM, "out of memory");
            for (long i = 0; i < n; i++)
                NTK_TRY(get_number_(c, seq_item_(c, v, (int)i), key, SC_NONNEG, &s->alpha_list[i]));
            s->n_alpha_list = n;
            continue;
        }
        NTK_TRY(set_fixed_(c, spec_param_find(k), v, key));
    }
    /* An alpha list implies the list schedule. */
    yaml_node_t *al = find_(c, model, "alpha_list");
    if (al) {
        if (s->src[SP_ALPHA_SCHEDULE] == SRC_FIXED &&
            (int)s->base[SP_ALPHA_SCHEDULE] != NTK_ALPHA_LIST)
            return ERRN(c, al, "model.alpha_list",
                        "given, but model.alpha_schedule is '%s' (use alpha_schedule: list)",
                        spec_category_name(SP_ALPHA_SCHEDULE, (int)s->base[SP_ALPHA_SCHEDULE]));
        s->base[SP_ALPHA_SCHEDULE] = NTK_ALPHA_LIST;
        if (s->src[SP_ALPHA_SCHEDULE] == SRC_DEFAULT) {
            s->src[SP_ALPHA_SCHEDULE] = SRC_FIXED;
            c->slot_mark[SP_ALPHA_SCHEDULE] = mark_of_(al);
            snprintf(c->slot_key[SP_ALPHA_SCHEDULE], 96, "model.alpha_list");
        }
    } else if (s->src[SP_ALPHA_SCHEDULE] == SRC_FIXED &&
               (int)s->base[SP_ALPHA_SCHEDULE] == NTK_ALPHA_LIST) {
        return ERRN(c, find_(c, model, "alpha_schedule"), "model.alpha_schedule",
                    "'list' needs model.alpha_list (one branch scale per block)");
    }
    if (find_(c, model, "d")) s->d_given = 1;
    yaml_node_t *pn = find_(c, model, "positions");
    if (pn && s->base[SP_POSITIONS] > NTK_MAX_POSITIONS) {
        char qb[80];
        return ERRN(c, pn, "model.positions", "expected an integer in [1, %d], got '%s'",
                    NTK_MAX_POSITIONS, quote_(scalar_(pn), qb, sizeof qb));
    }
    return 0;
}

/* ------------------------------------------------------------------ inputs */

static int parse_values_(lctx *c, yaml_node_t *node, const char *key, const spec_param *p,
                         spec_member *mem, int zipped, char **desc, char **units);

/* The positions M of the signals: model.positions (fixed; default 1). */
static int positions_of_(const ntk_sweep *s)
{
    return (int)s->base[SP_POSITIONS];
}

/* inputs.signals: a list of k_r signals, each a list of M numbers (one channel) or a list of d
 * channels of M numbers each (the same d for every signal); M = model.positions. */
static int parse_signals_(lctx *c, yaml_node_t *node)
{
    ntk_sweep *s = c->s;
    const char *key = "inputs.signals";
    const int M = positions_of_(s);
    if (node->type != YAML_SEQUENCE_NODE || seq_len_(node) < 1)
        return ERRN(c, node, key,
                    "expected a list of signals (each a list of %d values, or a list of channels "
                    "of %d values), got %s",
                    M, M, node_kind_(node));
    int kr = seq_len_(node), d = -1;
    if ((long)kr * M > SPEC_MAX_K)
        return ERRN(c, node, key, "too many virtual inputs (%d signals x %d positions; at most %d)",
                    kr, M, SPEC_MAX_K);
    for (int i = 0; i < kr; i++) {
        yaml_node_t *sig = seq_item_(c, node, i);
        if (sig->type != YAML_SEQUENCE_NODE || seq_len_(sig) < 1)
            return ERRN(c, sig, key,
                        "signal %d: expected a list of %d values or of channels, got %s", i + 1, M,
                        node_kind_(sig));
        yaml_node_t *first = seq_item_(c, sig, 0);
        int di = first->type == YAML_SEQUENCE_NODE ? seq_len_(sig) : 1;
        if (d >= 0 && di != d)
            return ERRN(c, sig, key, "signal %d has %d channels but signal 1 has %d", i + 1, di, d);
        d = di;
    }
    if ((double)kr * d * M > 1e8)
        return ERRN(c, node, key, "too many values (%d signals x %d channels x %d positions)", kr,
                    d, M);
    s->in_signals = calloc((size_t)kr * (size_t)d * (size_t)M, sizeof(double));
    if (!s->in_signals) return ntk_error_set(NTK_ENOMEM, "out of memory");
    for (int i = 0; i < kr; i++) {
        yaml_node_t *sig = seq_item_(c, node, i);
        for (int ch = 0; ch < d; ch++) {
            yaml_node_t *row = d == 1 && seq_item_(c, sig, 0)->type != YAML_SEQUENCE_NODE
                                   ? sig
                                   : seq_item_(c, sig, ch);
            if (row->type != YAML_SEQUENCE_NODE || seq_len_(row) != M)
                return ERRN(c, row, key,
                            "signal %d, channel %d: expected %d values (one per position, "
                            "model.positions = %d), got %s%d",
                            i + 1, ch + 1, M, M,
                            row->type == YAML_SEQUENCE_NODE ? "" : "not a list, ",
                            row->type == YAML_SEQUENCE_NODE ? seq_len_(row) : 0);
            for (int a = 0; a < M; a++)
                NTK_TRY(get_number_(c, seq_item_(c, row, a), key, SC_FINITE,
                                    &s->in_signals[((size_t)i * d + ch) * M + a]));
        }
    }
    s->in_mode = IN_SIGNALS;
    s->kr = kr;
    s->in_d = d;
    return 0;
}

/* inputs.cosine: {frequencies: [f_1, ...], phase_shift: t | phases: [...]}: signal i has two
 * channels sqrt(2 q_i) (cos th_i(a), sin th_i(a)), th_i(a) = 2 pi f_i a / M + phi_i, so that its
 * per-position Gram is sqrt(q_i q_j) cos(th_i(a) - th_j(a')) (unit norm at every position). */
static int parse_cosine_(lctx *c, yaml_node_t *node)
{
    ntk_sweep *s = c->s;
    static const char *const allowed[] = {"frequencies", "phase_shift", "phases"};
    NTK_TRY(check_keys_(c, node, "inputs.cosine", allowed, 3));
    yaml_node_t *fr = find_(c, node, "frequencies"), *ps = find_(c, node, "phase_shift"),
                *ph = find_(c, node, "phases");
    if (!fr)
        return ERRN(c, node, "inputs.cosine.frequencies",
                    "missing: one frequency per input (cycles per %d positions)", positions_of_(s));
    if (fr->type != YAML_SEQUENCE_NODE || seq_len_(fr) < 1)
        return ERRN(c, fr, "inputs.cosine.frequencies",
                    "expected a non-empty list of numbers, got %s", node_kind_(fr));
    int kr = seq_len_(fr);
    if ((long)kr * positions_of_(s) > SPEC_MAX_K)
        return ERRN(c, fr, "inputs.cosine.frequencies",
                    "too many virtual inputs (%d inputs x %d positions; at most %d)", kr,
                    positions_of_(s), SPEC_MAX_K);
    if (ps && ph)
        return ERRN(c, ph, "inputs.cosine.phases", "give phase_shift or phases, not both");
    s->in_freq = calloc((size_t)kr, sizeof(double));
    s->in_phase = calloc((size_t)kr, sizeof(double));
    if (!s->in_freq || !s->in_phase) return ntk_error_set(NTK_ENOMEM, "out of memory");
    for (int i = 0; i < kr; i++)
        NTK_TRY(get_number_(c, seq_item_(c, fr, i), "inputs.cosine.frequencies", SC_FINITE,
                            &s->in_freq[i]));
    if (ps) {
        double t;
        NTK_TRY(get_number_(c, ps, "inputs.cosine.phase_shift", SC_FINITE, &t));
        for (int i = 0; i < kr; i++)
            s->in_phase[i] = (double)i * t;
    } else if (ph) {
        if (ph->type != YAML_SEQUENCE_NODE || seq_len_(ph) != kr)
            return ERRN(c, ph, "inputs.cosine.phases",
                        "expected a list of %d phases (radians), got %s", kr, node_kind_(ph));
        for (int i = 0; i < kr; i++)
            NTK_TRY(get_number_(c, seq_item_(c, ph, i), "inputs.cosine.phases", SC_FINITE,
                                &s->in_phase[i]));
    }
    s->in_mode = IN_COSINE;
    s->kr = kr;
    return 0;
}

static int parse_inputs_(lctx *c, yaml_node_t *in)
{
    ntk_sweep *s = c->s;
    static const char *const allowed[] = {"angle", "rho",     "angles", "rhos", "circle",
                                          "gram",  "signals", "cosine", "norms"};
    s->in_mode = IN_PAIR;
    s->kr = 2;
    if (!in || is_null_(in)) return 0;
    c->inputs_mark = mark_of_(in);
    NTK_TRY(check_keys_(c, in, "inputs", allowed, 9));
    const char *modes[] = {"angles", "rhos", "circle", "gram", "signals", "cosine"};
    yaml_node_t *mode_node = NULL;
    const char *mode_key = NULL;
    for (int i = 0; i < 6; i++) {
        yaml_node_t *n = find_(c, in, modes[i]);
        if (!n) continue;
        if (mode_node) {
            char key[64];
            join_(key, sizeof key, "inputs", modes[i]);
            return ERRN(c, n, key, "inputs.%s and inputs.%s cannot both be given", mode_key,
                        modes[i]);
        }
        mode_node = n;
        mode_key = modes[i];
    }
    yaml_node_t *n;
    if (mode_node) {
        const char *pair_keys[] = {"angle", "rho"};
        for (int i = 0; i < 2; i++)
            if ((n = find_(c, in, pair_keys[i]))) {
                char key[64];
                join_(key, sizeof key, "inputs", pair_keys[i]);
                return ERRN(c, n, key,
                            "sets the angle of a single input pair; it cannot be combined with "
                            "inputs.%s",
                            mode_key);
            }
    }
    if (!mode_node) {
        if ((n = find_(c, in, "angle")))
            NTK_TRY(set_fixed_(c, spec_param_find("angle"), n, "inputs.angle"));
        if ((n = find_(c, in, "rho")))
            NTK_TRY(set_fixed_(c, spec_param_find("rho"), n, "inputs.rho"));
    } else if (strcmp(mode_key, "angles") == 0 || strcmp(mode_key, "rhos") == 0) {
        char key[64];
        join_(key, sizeof key, "inputs", mode_key);
        int rhos = mode_key[0] == 'r';
        /* A list, or a generator ({linspace: [0, pi, 20]}); x_0 is the reference input. */
        spec_member tmp = {0};
        int n_ = parse_values_(c, mode_node, key, spec_param_find(rhos ? "rho" : "angle"), &tmp, 0,
                               NULL, NULL);
        if (n_ < 0) {
            free(tmp.values);
            return n_;
        }
        if (n_ + 1 > SPEC_MAX_K) {
            free(tmp.values);
            return ERRN(c, mode_node, key, "too many inputs (%d; at most %d)", n_ + 1, SPEC_MAX_K);
        }
        s->in_mode = IN_ANGLES;
        s->kr = n_ + 1;
        s->in_angles = calloc((size_t)s->kr, sizeof(double));
        if (!s->in_angles) {
            free(tmp.values);
            return ntk_error_set(NTK_ENOMEM, "out of memory");
        }
        for (int i = 0; i < n_; i++)
            s->in_angles[i + 1] = rhos ? acos(tmp.values[i]) : tmp.values[i];
        free(tmp.values);
    } else if (strcmp(mode_key, "circle") == 0) {
        long M;
        NTK_TRY(get_long_(c, mode_node, "inputs.circle", 1, SPEC_MAX_K, &M));
        s->in_mode = IN_CIRCLE;
        s->kr = (int)M;
        s->in_angles = calloc((size_t)s->kr, sizeof(double));
        if (!s->in_angles) return ntk_error_set(NTK_ENOMEM, "out of memory");
        for (long j = 0; j < M; j++)
            s->in_angles[j] = 2.0 * M_PI * (double)j / (double)M;
    } else if (strcmp(mode_key, "signals") == 0) {
        NTK_TRY(parse_signals_(c, mode_node));
    } else if (strcmp(mode_key, "cosine") == 0) {
        NTK_TRY(parse_cosine_(c, mode_node));
    } else {
        /* Explicit Gram matrix. */
        if (mode_node->type != YAML_SEQUENCE_NODE || seq_len_(mode_node) < 1)
            return ERRN(c, mode_node, "inputs.gram",
                        "expected a square matrix (a list of rows), got %s", node_kind_(mode_node));
        int k = seq_len_(mode_node);
        if (k > 1024)
            return ERRN(c, mode_node, "inputs.gram", "too many inputs (%d; at most 1024)", k);
        s->in_mode = IN_GRAM;
        s->kr = k;
        s->in_gram = calloc((size_t)k * (size_t)k, sizeof(double));
        if (!s->in_gram) return ntk_error_set(NTK_ENOMEM, "out of memory");
        for (int i = 0; i < k; i++) {
            yaml_node_t *row = seq_item_(c, mode_node, i);
            if (row->type != YAML_SEQUENCE_NODE || seq_len_(row) != k)
                return ERRN(c, row, "inputs.gram", "row %d: expected a list of %d numbers", i + 1,
                            k);
            for (int j = 0; j < k; j++) {
                double v;
                NTK_TRY(get_number_(c, seq_item_(c, row, j), "inputs.gram",
                                    i == j ? SC_NONNEG : SC_FINITE, &v));
                s->in_gram[i * k + j] = v;
            }
        }
        for (int i = 0; i < k; i++)
            for (int j = 0; j < i; j++)
                if (fabs(s->in_gram[i * k + j] - s->in_gram[j * k + i]) >
                    1e-12 * (1.0 + fabs(s->in_gram[i * k + j])))
                    return ERRN(c, mode_node, "inputs.gram",
                                "not symmetric: entry (%d,%d) = %g but (%d,%d) = %g", i + 1, j + 1,
                                s->in_gram[i * k + j], j + 1, i + 1, s->in_gram[j * k + i]);
    }
    s->in_norms = calloc((size_t)s->kr, sizeof(double));
    if (!s->in_norms) return ntk_error_set(NTK_ENOMEM, "out of memory");
    for (int i = 0; i < s->kr; i++)
        s->in_norms[i] = 1.0;
    if ((n = find_(c, in, "norms"))) {
        if (s->in_mode == IN_GRAM)
            return ERRN(c, n, "inputs.norms",
                        "cannot be combined with inputs.gram (the diagonal gives the norms)");
        if (s->in_mode == IN_SIGNALS)
            return ERRN(c, n, "inputs.norms",
                        "cannot be combined with inputs.signals (the values give the norms)");
        if (n->type == YAML_SEQUENCE_NODE) {
            if (seq_len_(n) != s->kr)
                return ERRN(c, n, "inputs.norms",
                            "expected %d squared norms (one per input), got %d", s->kr,
                            seq_len_(n));
            for (int i = 0; i < s->kr; i++)
                NTK_TRY(get_number_(c, seq_item_(c, n, i), "inputs.norms", SC_POSITIVE,
                                    &s->in_norms[i]));
            c->s->norms_list = 1;
            NTK_TRY(claim_slot_(c, SP_Q0, SRC_FIXED, n, "inputs.norms"));
        } else {
            NTK_TRY(set_fixed_(c, spec_param_find("q0"), n, "inputs.norms"));
        }
    }
    return 0;
}

/* ------------------------------------------------------------------ grid */

static int add_free_slot_(lctx *c, const char *name, yaml_node_t *node)
{
    ntk_sweep *s = c->s;
    int nfree = s->nslots - SP_COUNT;
    if (nfree >= SPEC_MAX_FREE)
        return ERRN(c, node, "grid", "too many free grid variables (at most %d)", SPEC_MAX_FREE);
    char **names = realloc(s->slot_names, (size_t)(nfree + 1) * sizeof *names);
    if (!names) return ntk_error_set(NTK_ENOMEM, "out of memory");
    s->slot_names = names;
    double *base = realloc(s->base, (size_t)(s->nslots + 1) * sizeof *base);
    if (!base) return ntk_error_set(NTK_ENOMEM, "out of memory");
    s->base = base;
    if (!(names[nfree] = strdup(name))) return ntk_error_set(NTK_ENOMEM, "out of memory");
    base[s->nslots] = NAN;
    c->free_mark[nfree] = mark_of_(node);
    snprintf(c->slot_key[s->nslots], 96, "grid.%s", name);
    c->slot_mark[s->nslots] = mark_of_(node);
    s->nslots++;
    return s->nslots - 1;
}

/* Letters, digits and '_', not starting with a digit. */
static int is_name_(const char *v)
{
    if (!v || !(isalpha((unsigned char)v[0]) || v[0] == '_') || strlen(v) > 48) return 0;
    for (const char *p = v; *p; p++)
        if (!isalnum((unsigned char)*p) && *p != '_') return 0;
    return 1;
}

/* A name usable as a free variable in expressions (not a function or a constant). */
static int is_ident_(const char *v)
{
    if (!is_name_(v)) return 0;
    static const char *const reserved[] = {"pi",    "e",    "sqrt",  "log", "exp", "abs",
                                           "floor", "ceil", "round", "min", "max", "eoc"};
    for (size_t i = 0; i < sizeof reserved / sizeof reserved[0]; i++)
        if (strcmp(v, reserved[i]) == 0) return 0;
    return 1;
}

static int cmp_double_(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Rounds integer-parameter values and drops repeats (keeping the first occurrence). */
static long round_dedupe_(double *v, long n)
{
    long m = 0;
    for (long i = 0; i < n; i++) {
        double r = round(v[i]);
        int dup = 0;
        for (long j = 0; j < m && !dup; j++)
            dup = v[j] == r;
        if (!dup) v[m++] = r;
    }
    return m;
}

/* Parses the values of one member (a parameter or a free variable) from node. p is NULL for a
 * free variable; zipped members may repeat values. The member's name/slot are set by the
 * caller. Returns the number of values or an error code. */
static int parse_values_(lctx *c, yaml_node_t *node, const char *key, const spec_param *p,
                         spec_member *mem, int zipped, char **desc, char **units)
{
    int categorical = p && p->cons == SC_CATEGORY;
    spec_constraint cons = p ? p->cons : SC_FINITE;
    int integer = p && (p->cons == SC_POSINT || p->cons == SC_NATURAL);
    yaml_node_t *list = NULL, *gen = NULL;
    const char *gen_name = NULL;
    char gkey[160];
    if (node->type == YAML_SEQUENCE_NODE) {
        list = node;
    } else if (node->type == YAML_MAPPING_NODE) {
        static const char *const allowed[] = {"values", "linspace",    "logspace",
                                              "range",  "description", "units"};
        NTK_TRY(check_keys_(c, node, key, allowed, 6));
        for (int i = 0; i < 4; i++) {
            yaml_node_t *g = find_(c, node, allowed[i]);
            if (!g) continue;
            if (list || gen) {
                join_(gkey, sizeof gkey, key, allowed[i]);
                return ERRN(c, g, gkey, "give exactly one of values, linspace, logspace, range");
            }
            if (i == 0)
                list = g;
            else {
                gen = g;
                gen_name = allowed[i];
            }
        }
        if (!list && !gen)
            return ERRN(c, node, key, "expected one of values, linspace, logspace, range");
        yaml_node_t *dn;
        if (desc && (dn = find_(c, node, "description"))) {
            join_(gkey, sizeof gkey, key, "description");
            NTK_TRY(get_string_(c, dn, gkey, desc));
        }
        if (units && (dn = find_(c, node, "units"))) {
            join_(gkey, sizeof gkey, key, "units");
            NTK_TRY(get_string_(c, dn, gkey, units));
        }
    } else {
        char qb[80];
        return ERRN(c, node, key,
                    "expected a list of values or {linspace|logspace|range: [...]}, got '%s' (a "
                    "fixed value belongs in the model or inputs section)",
                    quote_(scalar_(node), qb, sizeof qb));
    }
    long n = 0;
    double *vals = NULL;
    if (list) {
        if (list->type != YAML_SEQUENCE_NODE || seq_len_(list) < 1)
            return ERRN(c, list, key, "expected a non-empty list of values, got %s",
                        list->type == YAML_SEQUENCE_NODE ? "an empty list" : node_kind_(list));
        n = seq_len_(list);
        if (categorical) {
            mem->codes = calloc((size_t)n, sizeof(int));
            mem->labels = calloc((size_t)n, sizeof(char *));
            if (!mem->codes || !mem->labels) return ntk_error_set(NTK_ENOMEM, "out of memory");
            mem->n = n;
            mem->categorical = 1;
            for (long i = 0; i < n; i++) {
                yaml_node_t *it = seq_item_(c, list, (int)i);
                NTK_TRY(get_category_(c, it, key, p->slot, &mem->codes[i]));
                for (long j = 0; j < i && !zipped; j++)
                    if (mem->codes[j] == mem->codes[i])
                        return ERRN(c, it, key, "value '%s' appears twice",
                                    spec_category_name(p->slot, mem->codes[i]));
                if (!(mem->labels[i] = strdup(spec_category_name(p->slot, mem->codes[i]))))
                    return ntk_error_set(NTK_ENOMEM, "out of memory");
            }
            mem->values = NULL;
            return (int)n;
        }
        vals = calloc((size_t)n, sizeof(double));
        if (!vals) return ntk_error_set(NTK_ENOMEM, "out of memory");
        mem->values = vals;
        for (long i = 0; i < n; i++) {
            yaml_node_t *it = seq_item_(c, list, (int)i);
            NTK_TRY(get_number_(c, it, key, cons, &vals[i]));
        }
    } else {
        join_(gkey, sizeof gkey, key, gen_name);
        if (categorical)
            return ERRN(c, gen, gkey, "'%s' is categorical; list its values instead", p->name);
        if (gen->type != YAML_SEQUENCE_NODE || seq_len_(gen) != 3)
            return ERRN(c, gen, gkey, "expected [%s]",
                        strcmp(gen_name, "range") == 0 ? "first, last, step" : "first, last, n");
        double a, b, third;
        NTK_TRY(get_number_(c, seq_item_(c, gen, 0), gkey, SC_FINITE, &a));
        NTK_TRY(get_number_(c, seq_item_(c, gen, 1), gkey, SC_FINITE, &b));
        if (strcmp(gen_name, "range") == 0) {
            NTK_TRY(get_number_(c, seq_item_(c, gen, 2), gkey, SC_FINITE, &third));
            if (third == 0.0 || (b - a) * third < 0.0)
                return ERRN(c, seq_item_(c, gen, 2), gkey, "step %g cannot go from %g to %g", third,
                            a, b);
            double cnt = floor((b - a) / third + 1e-9) + 1.0;
            if (cnt > (double)SPEC_MAX_AXIS)
                return ERRN(c, gen, gkey, "too many values (%.0f; at most %ld)", cnt,
                            SPEC_MAX_AXIS);
            n = (long)cnt;
        } else {
            long nn;
            NTK_TRY(get_long_(c, seq_item_(c, gen, 2), gkey, 1, SPEC_MAX_AXIS, &nn));
            n = nn;
            third = 0;
        }
        vals = calloc((size_t)n, sizeof(double));
        if (!vals) return ntk_error_set(NTK_ENOMEM, "out of memory");
        mem->values = vals;
        for (long i = 0; i < n; i++) {
            if (gen_name[0] == 'r')
                vals[i] = a + (double)i * third;
            else {
                double t = n > 1 ? (double)i / (double)(n - 1) : 0.0;
                double x = i == n - 1 && n > 1 ? b : a + (b - a) * t;
                vals[i] = gen_name[1] == 'o' ? pow(10.0, x) : x;
            }
        }
        if (integer) n = round_dedupe_(vals, n);
        for (long i = 0; i < n; i++)
            if (!spec_check_value(cons, vals[i]))
                return ERRN(c, gen, gkey, "value %ld of %ld is %.17g; expected %s", i + 1, n,
                            vals[i], cons_text_(cons));
    }
    if (list && !zipped) {
        /* Repeated values would make two identical grid points. */
        double *tmp = malloc((size_t)n * sizeof(double));
        if (!tmp) return ntk_error_set(NTK_ENOMEM, "out of memory");
        memcpy(tmp, vals, (size_t)n * sizeof(double));
        qsort(tmp, (size_t)n, sizeof(double), cmp_double_);
        for (long i = 1; i < n; i++)
            if (tmp[i] == tmp[i - 1]) {
                double v = tmp[i];
                free(tmp);
                return ERRN(c, list, key, "value %g appears twice", v);
            }
        free(tmp);
    }
    mem->integer = integer;
    return (int)n;
}

static int parse_zip_(lctx *c, yaml_node_t *node, const char *name, spec_axis *ax)
{
    ntk_sweep *s = c->s;
    char key[160], gkey[200];
    snprintf(key, sizeof key, "grid.%s", name);
    static const char *const allowed[] = {"zip", "labels", "description", "units"};
    NTK_TRY(check_keys_(c, node, key, allowed, 4));
    yaml_node_t *zip = find_(c, node, "zip");
    join_(gkey, sizeof gkey, key, "zip");
    NTK_TRY(check_keys_(c, zip, gkey, NULL, 0));
    int nm = (int)(zip->data.mapping.pairs.top - zip->data.mapping.pairs.start);
    if (nm < 1) return ERRN(c, zip, gkey, "expected at least one parameter");
    ax->members = calloc((size_t)nm, sizeof(spec_member));
    if (!ax->members) return ntk_error_set(NTK_ENOMEM, "out of memory");
    ax->zip = 1;
    ax->n = -1;
    for (yaml_node_pair_t *p = zip->data.mapping.pairs.start; p < zip->data.mapping.pairs.top;
         p++) {
        yaml_node_t *kn = node_(c, p->key), *vn = node_(c, p->value);
        const char *mname = scalar_(kn);
        char mkey[240];
        join_(mkey, sizeof mkey, gkey, mname);
        spec_member *mem = &ax->members[ax->n_members++];
        if (!(mem->name = strdup(mname))) return ntk_error_set(NTK_ENOMEM, "out of memory");
        const spec_param *pp = spec_param_find(mname);
        if (pp) {
            NTK_TRY(claim_slot_(c, pp->slot, SRC_AXIS, kn, mkey));
            s->src_variance[pp->slot] = pp->variance;
            mem->slot = pp->slot;
            mem->variance = pp->variance;
            mem->units = pp->units;
            mem->description = pp->description;
        } else {
            if (!is_ident_(mname))
                return ERRN(c, kn, mkey, "not a parameter name or a valid variable name");
            int slot = add_free_slot_(c, mname, kn);
            if (slot < 0) return slot;
            mem->slot = slot;
            mem->units = "1";
            mem->description = "free variable used by derived parameters";
        }
        if (vn->type != YAML_SEQUENCE_NODE)
            return ERRN(c, vn, mkey, "expected a list of values (zipped axes take explicit lists)");
        int n = parse_values_(c, vn, mkey, pp, mem, 1, NULL, NULL);
        if (n < 0) return n;
        if (ax->n >= 0 && n != ax->n)
            return ERRN(c, vn, mkey,
                        "has %d values but '%s' has %ld; zipped lists must have the "
                        "same length",
                        n, ax->members[0].name, ax->n);
        ax->n = n;
        if (pp && (pp->slot == SP_ANGLE || pp->slot == SP_RHO || pp->slot == SP_Q0))
            ax->input_axis = 1;
    }
    ax->labels = calloc((size_t)ax->n, sizeof(char *));
    if (!ax->labels) return ntk_error_set(NTK_ENOMEM, "out of memory");
    yaml_node_t *ln = find_(c, node, "labels");
    if (ln) {
        join_(gkey, sizeof gkey, key, "labels");
        if (ln->type != YAML_SEQUENCE_NODE || seq_len_(ln) != ax->n)
            return ERRN(c, ln, gkey, "expected a list of %ld labels", ax->n);
        for (long i = 0; i < ax->n; i++) {
            yaml_node_t *it = seq_item_(c, ln, (int)i);
            if (!scalar_(it)) return ERRN(c, it, gkey, "expected a string, got %s", node_kind_(it));
            if (!(ax->labels[i] = strdup(scalar_(it))))
                return ntk_error_set(NTK_ENOMEM, "out of memory");
            for (long j = 0; j < i; j++)
                if (strcmp(ax->labels[j], ax->labels[i]) == 0)
                    return ERRN(c, it, gkey, "label '%s' appears twice", ax->labels[i]);
        }
    } else {
        /* Default labels: "member=value,member=value". */
        for (long i = 0; i < ax->n; i++) {
            char buf[512];
            size_t len = 0;
            for (int j = 0; j < ax->n_members && len < sizeof buf - 80; j++) {
                spec_member *m = &ax->members[j];
                if (m->categorical)
                    len += (size_t)snprintf(buf + len, sizeof buf - len, "%s%s=%s", j ? "," : "",
                                            m->name, m->labels[i]);
                else
                    len += (size_t)snprintf(buf + len, sizeof buf - len, "%s%s=%.6g", j ? "," : "",
                                            m->name, m->values[i]);
            }
            if (!(ax->labels[i] = strdup(buf))) return ntk_error_set(NTK_ENOMEM, "out of memory");
        }
    }
    yaml_node_t *dn;
    if ((dn = find_(c, node, "description"))) {
        join_(gkey, sizeof gkey, key, "description");
        NTK_TRY(get_string_(c, dn, gkey, &ax->description));
    }
    if ((dn = find_(c, node, "units"))) {
        join_(gkey, sizeof gkey, key, "units");
        NTK_TRY(get_string_(c, dn, gkey, &ax->units));
    }
    return 0;
}

static int parse_grid_(lctx *c, yaml_node_t *grid)
{
    ntk_sweep *s = c->s;
    if (!grid || is_null_(grid)) return 0;
    s->grid_mark = mark_of_(grid);
    NTK_TRY(check_keys_(c, grid, "grid", NULL, 0));
    int na = (int)(grid->data.mapping.pairs.top - grid->data.mapping.pairs.start);
    s->axes = calloc((size_t)(na ? na : 1), sizeof(spec_axis));
    if (!s->axes) return ntk_error_set(NTK_ENOMEM, "out of memory");
    double npoints = 1.0;
    for (yaml_node_pair_t *p = grid->data.mapping.pairs.start; p < grid->data.mapping.pairs.top;
         p++) {
        yaml_node_t *kn = node_(c, p->key), *vn = node_(c, p->value);
        const char *name = scalar_(kn);
        char key[160];
        join_(key, sizeof key, "grid", name);
        spec_axis *ax = &s->axes[s->naxes++];
        ax->mark = mark_of_(kn);
        if (!(ax->name = strdup(name))) return ntk_error_set(NTK_ENOMEM, "out of memory");
        const spec_param *pp = spec_param_find(name);
        if (vn->type == YAML_MAPPING_NODE && find_(c, vn, "zip")) {
            if (pp)
                return ERRN(c, kn, key,
                            "a zipped axis needs its own name (not the parameter name '%s')", name);
            if (!is_ident_(name))
                return ERRN(c, kn, key, "not a valid axis name (letters, digits, _)");
            NTK_TRY(parse_zip_(c, vn, name, ax));
        } else {
            ax->members = calloc(1, sizeof(spec_member));
            if (!ax->members) return ntk_error_set(NTK_ENOMEM, "out of memory");
            ax->n_members = 1;
            spec_member *mem = &ax->members[0];
            if (!(mem->name = strdup(name))) return ntk_error_set(NTK_ENOMEM, "out of memory");
            if (pp) {
                if (pp->slot == SP_ANGLE || pp->slot == SP_RHO || pp->slot == SP_Q0)
                    ax->input_axis = 1;
                NTK_TRY(claim_slot_(c, pp->slot, SRC_AXIS, kn, key));
                s->src_variance[pp->slot] = pp->variance;
                mem->slot = pp->slot;
                mem->variance = pp->variance;
                mem->units = pp->units;
                mem->description = pp->description;
            } else {
                if (!is_ident_(name))
                    return ERRN(c, kn, key, "not a parameter name or a valid variable name");
                int slot = add_free_slot_(c, name, kn);
                if (slot < 0) return slot;
                mem->slot = slot;
                mem->units = "1";
                mem->description = "free variable used by derived parameters";
            }
            int n = parse_values_(c, vn, key, pp, mem, 0, &ax->description, &ax->units);
            if (n < 0) return n;
            ax->n = n;
        }
        npoints *= (double)ax->n;
        if (npoints > (double)SPEC_MAX_POINTS)
            return ERRN(c, kn, key, "the grid has more than %ld points", SPEC_MAX_POINTS);
        if (!ax->units && !(ax->units = strdup(ax->zip ? "1" : ax->members[0].units)))
            return ntk_error_set(NTK_ENOMEM, "out of memory");
        if (!ax->description &&
            !(ax->description = strdup(ax->zip ? "zipped axis: parameters varied together"
                                               : ax->members[0].description)))
            return ntk_error_set(NTK_ENOMEM, "out of memory");
    }
    s->npoints = (long)npoints;
    return 0;
}

/* ------------------------------------------------------------------ derived */

typedef struct {
    lctx *c;
    int target_slot;
} dres_ctx;

static int derived_resolver_(void *ctx, const char *name, int *slot, int *square, char *msg,
                             size_t msgsz)
{
    dres_ctx *d = ctx;
    ntk_sweep *s = d->c->s;
    const spec_param *p = spec_param_find(name);
    if (p) {
        if (p->cons == SC_CATEGORY) {
            snprintf(msg, msgsz, "'%s' is categorical and cannot be used in an expression", name);
            return -2;
        }
        *slot = p->slot;
        *square = p->variance;
        return 0;
    }
    for (int i = 0; i < s->nslots - SP_COUNT; i++)
        if (strcmp(s->slot_names[i], name) == 0) {
            *slot = SP_COUNT + i;
            *square = 0;
            d->c->free_used[i] = 1;
            return 0;
        }
    /* Unknown: suggest a parameter or a free variable. */
    const char *cand[128];
    int nc = 0, np;
    const spec_param *t = spec_param_table(&np);
    for (int i = 0; i < np; i++)
        if (t[i].cons != SC_CATEGORY) cand[nc++] = t[i].name;
    for (int i = 0; i < s->nslots - SP_COUNT && nc < 128; i++)
        cand[nc++] = s->slot_names[i];
    const char *sug = ntk_spec_suggest(name, cand, nc);
    if (sug)
        snprintf(msg, msgsz, "unknown name '%s' in expression (did you mean '%s'?)", name, sug);
    else
        snprintf(msg, msgsz, "unknown name '%s' in expression (not a parameter or grid variable)",
                 name);
    return -1;
}

static int parse_derived_(lctx *c, yaml_node_t *der)
{
    ntk_sweep *s = c->s;
    if (!der || is_null_(der)) return 0;
    NTK_TRY(check_keys_(c, der, "derived", NULL, 0));
    int nd = (int)(der->data.mapping.pairs.top - der->data.mapping.pairs.start);
    spec_derived *tmp = calloc((size_t)(nd ? nd : 1), sizeof *tmp);
    if (!tmp) return ntk_error_set(NTK_ENOMEM, "out of memory");
    s->derived = tmp;
    for (yaml_node_pair_t *p = der->data.mapping.pairs.start; p < der->data.mapping.pairs.top;
         p++) {
        yaml_node_t *kn = node_(c, p->key), *vn = node_(c, p->value);
        const char *name = scalar_(kn);
        char key[160];
        join_(key, sizeof key, "derived", name);
        const spec_param *pp = spec_param_find(name);
        if (!pp) {
            int np;
            const spec_param *t = spec_param_table(&np);
            const char *cand[64];
            for (int i = 0; i < np; i++)
                cand[i] = t[i].name;
            const char *sug = ntk_spec_suggest(name, cand, np);
            if (sug) return ERRN(c, kn, key, "not a parameter (did you mean '%s'?)", sug);
            return ERRN(c, kn, key, "not a parameter (derived values set model parameters)");
        }
        if (pp->cons == SC_CATEGORY)
            return ERRN(c, kn, key, "'%s' is categorical and cannot be derived", name);
        if (pp->slot == SP_ANGLE || pp->slot == SP_RHO || pp->slot == SP_Q0)
            return ERRN(c, kn, key,
                        "input geometry cannot be derived; give '%s' as a grid axis or in inputs",
                        name);
        NTK_TRY(claim_slot_(c, pp->slot, SRC_DERIVED, kn, key));
        s->src_variance[pp->slot] = pp->variance;
        const char *text = scalar_(vn);
        if (!text || is_null_(vn))
            return ERRN(c, vn, key, "expected an expression string, got %s",
                        text ? "nothing" : node_kind_(vn));
        spec_derived *d = &s->derived[s->nderived++];
        d->slot = pp->slot;
        d->variance = pp->variance;
        d->mark = mark_of_(vn);
        if (!(d->name = strdup(name)) || !(d->text = strdup(text)))
            return ntk_error_set(NTK_ENOMEM, "out of memory");
        dres_ctx rc = {c, pp->slot};
        char msg[512];
        int pos = 0;
        if (spec_expr_compile(text, derived_resolver_, &rc, &d->expr, msg, sizeof msg, &pos) < 0) {
            spec_mark m = d->mark;
            /* Point at the offending character of a one-line scalar. */
            if (!strchr(text, '\n'))
                m.col += pos + (vn->data.scalar.style == YAML_SINGLE_QUOTED_SCALAR_STYLE ||
                                        vn->data.scalar.style == YAML_DOUBLE_QUOTED_SCALAR_STYLE
                                    ? 1
                                    : 0);
            char qb[80];
            return errm_(c, m, key, "in expression '%s': %s", quote_(text, qb, sizeof qb), msg);
        }
    }
    /* Order: a derived value that reads another derived value comes after it. */
    int n = s->nderived;
    spec_derived *ord = calloc((size_t)(n ? n : 1), sizeof *ord);
    int *done = calloc((size_t)(n ? n : 1), sizeof(int));
    if (!ord || !done) {
        free(ord);
        free(done);
        return ntk_error_set(NTK_ENOMEM, "out of memory");
    }
    int placed = 0;
    while (placed < n) {
        int progress = 0;
        for (int i = 0; i < n; i++) {
            if (done[i]) continue;
            int ready = 1;
            for (int j = 0; j < n && ready; j++)
                if (j != i && !done[j] && spec_expr_uses(&s->derived[i].expr, s->derived[j].slot))
                    ready = 0;
            if (spec_expr_uses(&s->derived[i].expr, s->derived[i].slot)) {
                int rc = errm_(c, s->derived[i].mark, NULL,
                               "key 'derived.%s': the expression uses '%s' itself",
                               s->derived[i].name, s->derived[i].name);
                free(ord);
                free(done);
                return rc;
            }
            if (ready) {
                ord[placed++] = s->derived[i];
                done[i] = 1;
                progress = 1;
            }
        }
        if (!progress) {
            int i = 0;
            while (done[i])
                i++;
            int rc = errm_(c, s->derived[i].mark, NULL,
                           "key 'derived.%s': derived parameters depend on each other in a cycle",
                           s->derived[i].name);
            free(ord);
            free(done);
            return rc;
        }
    }
    free(s->derived);
    free(done);
    s->derived = ord;
    return 0;
}

/* ------------------------------------------------------------------ cnn1d */

/* Where the cnn1d parameters may be set, and which points are cnn1d. positions is fixed (it sets
 * the number k M of virtual inputs, which is the k of every point of an archive); positions,
 * kernel_half and readout need a cnn1d point; positions > 1 and the spatial input modes need
 * every point to be cnn1d. */
static int check_cnn_(lctx *c)
{
    ntk_sweep *s = c->s;
    if (s->src[SP_POSITIONS] == SRC_AXIS || s->src[SP_POSITIONS] == SRC_DERIVED)
        return errm_(c, c->slot_mark[SP_POSITIONS], c->slot_key[SP_POSITIONS],
                     "positions cannot vary over the grid: it sets the number k M of virtual "
                     "inputs, which is the same at every point of an archive (set "
                     "model.positions; one sweep per M)");
    s->positions = positions_of_(s);
    /* Which points are cnn1d: the arch is fixed, or one member of one axis. */
    int n_cnn = 0, n_arch = 1;
    const char *other = NULL;
    if (s->src[SP_ARCH] == SRC_AXIS) {
        for (int a = 0; a < s->naxes; a++)
            for (int j = 0; j < s->axes[a].n_members; j++) {
                const spec_member *m = &s->axes[a].members[j];
                if (m->slot != SP_ARCH) continue;
                n_arch = (int)m->n;
                n_cnn = 0;
                for (long i = 0; i < m->n; i++) {
                    if (m->codes[i] == NTK_ARCH_CNN1D)
                        n_cnn++;
                    else if (!other)
                        other = m->labels[i];
                }
            }
    } else {
        n_cnn = (int)s->base[SP_ARCH] == NTK_ARCH_CNN1D;
        if (!n_cnn) other = ntk_arch_name((ntk_arch_kind)(int)s->base[SP_ARCH]);
    }
    s->cnn_any = n_cnn > 0;
    s->cnn_all = n_cnn == n_arch;
    static const int slots[] = {SP_POSITIONS, SP_KERNEL_HALF, SP_READOUT};
    for (int i = 0; i < 3; i++)
        if (s->src[slots[i]] != SRC_DEFAULT && !s->cnn_any)
            return errm_(c, c->slot_mark[slots[i]], c->slot_key[slots[i]],
                         "applies to arch cnn1d only (arch is '%s')", other ? other : "?");
    if (s->positions > 1 && !s->cnn_all)
        return errm_(c, c->slot_mark[SP_POSITIONS], c->slot_key[SP_POSITIONS],
                     "positions = %d gives every point k M virtual inputs, so every point must be "
                     "cnn1d, but '%s' is also an architecture of the grid",
                     s->positions, other ? other : "?");
    if ((s->in_mode == IN_SIGNALS || s->in_mode == IN_COSINE) && !s->cnn_all)
        return errm_(c, c->inputs_mark,
                     s->in_mode == IN_SIGNALS ? "inputs.signals" : "inputs.cosine",
                     "spatial signals are inputs of arch cnn1d only (arch '%s' takes vectors: use "
                     "rho, angles, circle or gram)",
                     other ? other : "?");
    if (s->cnn_any && s->src[SP_KERNEL_HALF] == SRC_FIXED &&
        2.0 * s->base[SP_KERNEL_HALF] + 1.0 > (double)s->positions)
        return errm_(c, c->slot_mark[SP_KERNEL_HALF], c->slot_key[SP_KERNEL_HALF],
                     "the filter size 2 kernel_half + 1 = %.0f exceeds positions = %d",
                     2.0 * s->base[SP_KERNEL_HALF] + 1.0, s->positions);
    return 0;
}

/* ------------------------------------------------------------------ theory, sim, output */

static const char *const theory_names_[] = {
#define NTK_TQ_NAME_(id, name, sym, units, desc, dims) name,
    NTK_THEORY_QTY_MAP(NTK_TQ_NAME_)
#undef NTK_TQ_NAME_
};

/* The simulator's result quantities (sim.h): the record quantities and the extras. */
static const char *const sim_names_[] = {
#define NTK_SQ_NAME_(id, name, sym, units, desc, dims) name,
    NTK_SIM_QTY_MAP(NTK_SQ_NAME_) NTK_SIM_EXTRA_MAP(NTK_SQ_NAME_)
#undef NTK_SQ_NAME_
};
#define N_SIM_NAMES ((int)(sizeof sim_names_ / sizeof sim_names_[0]))

static int parse_qlist_(lctx *c, yaml_node_t *n, const char *key, spec_qname **out, int *nout,
                        int *all, int theory)
{
    if (scalar_(n) && strcmp(scalar_(n), "all") == 0) {
        *all = 1;
        return 0;
    }
    if (n->type != YAML_SEQUENCE_NODE || seq_len_(n) < 1)
        return ERRN(c, n, key, "expected 'all' or a non-empty list of quantity names, got %s",
                    node_kind_(n));
    int nq = seq_len_(n);
    *out = calloc((size_t)nq, sizeof(spec_qname));
    if (!*out) return ntk_error_set(NTK_ENOMEM, "out of memory");
    *all = 0;
    for (int i = 0; i < nq; i++) {
        yaml_node_t *it = seq_item_(c, n, i);
        const char *q = scalar_(it);
        if (!q || !is_name_(q))
            return ERRN(c, it, key, "expected a quantity name, got %s",
                        q ? "an invalid name" : node_kind_(it));
        /* Names are checked against the engine's quantity table. */
        const char *const *names = theory ? theory_names_ : sim_names_;
        int nn = theory ? NTK_TQ_COUNT : N_SIM_NAMES;
        int ok = 0;
        for (int j = 0; j < nn && !ok; j++)
            ok = strcmp(q, names[j]) == 0;
        if (!ok) {
            const char *sug = ntk_spec_suggest(q, names, nn);
            if (sug)
                return ERRN(c, it, key, "unknown %s quantity '%s' (did you mean '%s'?)",
                            theory ? "theory" : "simulation", q, sug);
            return ERRN(c, it, key, "unknown %s quantity '%s' (see %s)",
                        theory ? "theory" : "simulation", q,
                        theory ? "include/ntksweep/theory.h" : "include/ntksweep/sim.h");
        }
        for (int j = 0; j < *nout; j++)
            if (strcmp((*out)[j].name, q) == 0)
                return ERRN(c, it, key, "quantity '%s' appears twice", q);
        if (!((*out)[*nout].name = strdup(q))) return ntk_error_set(NTK_ENOMEM, "out of memory");
        (*out)[*nout].mark = mark_of_(it);
        (*nout)++;
    }
    return 0;
}

static int parse_theory_(lctx *c, yaml_node_t *n)
{
    ntk_sweep *s = c->s;
    s->theory = 1;
    s->tq_all = 1;
    if (!n || is_null_(n)) return 0;
    if (n->type == YAML_SCALAR_NODE) return get_bool_(c, n, "theory", &s->theory);
    static const char *const allowed[] = {"enabled", "quantities"};
    NTK_TRY(check_keys_(c, n, "theory", allowed, 2));
    yaml_node_t *v;
    if ((v = find_(c, n, "enabled"))) NTK_TRY(get_bool_(c, v, "theory.enabled", &s->theory));
    if ((v = find_(c, n, "quantities")))
        NTK_TRY(parse_qlist_(c, v, "theory.quantities", &s->tq, &s->ntq, &s->tq_all, 1));
    return 0;
}

static int parse_sim_(lctx *c, yaml_node_t *n)
{
    ntk_sweep *s = c->s;
    s->sim = 0;
    s->sq_all = 1;
    s->chunk = 16;
    s->engine = NTK_ENGINE_AUTO;
    if (!n || is_null_(n)) return 0;
    c->have_sim_node = 1;
    c->sim_mark = mark_of_(n);
    if (n->type == YAML_SCALAR_NODE) {
        NTK_TRY(get_bool_(c, n, "sim", &s->sim));
        if (s->sim)
            return ERRN(c, n, "sim",
                        "a simulation needs sim.samples (write sim: {samples: N, ...})");
        return 0;
    }
    static const char *const allowed[] = {"enabled", "samples",    "engine",
                                          "chunk",   "quantities", "keep_samples"};
    NTK_TRY(check_keys_(c, n, "sim", allowed, 6));
    s->sim = 1;
    yaml_node_t *v;
    if ((v = find_(c, n, "enabled"))) NTK_TRY(get_bool_(c, v, "sim.enabled", &s->sim));
    if ((v = find_(c, n, "samples")))
        NTK_TRY(get_long_(c, v, "sim.samples", 1, 1000000000L, &s->samples));
    else if (s->sim)
        return ERRN(c, n, "sim.samples", "missing: the number of sampled networks per point");
    if ((v = find_(c, n, "chunk")))
        NTK_TRY(get_long_(c, v, "sim.chunk", 1, 1000000000L, &s->chunk));
    if (s->chunk > s->samples && s->samples > 0) s->chunk = s->samples;
    if ((v = find_(c, n, "engine"))) {
        static const char *const eng[] = {"auto", "dense", "conditional"};
        const char *e = scalar_(v);
        int code = -1;
        for (int i = 0; e && i < 3; i++)
            if (strcmp(e, eng[i]) == 0) code = i;
        if (code < 0) {
            char qb[80];
            const char *sug = e ? ntk_spec_suggest(e, eng, 3) : NULL;
            if (sug)
                return ERRN(c, v, "sim.engine", "unknown engine '%s' (did you mean '%s'?)",
                            quote_(e, qb, sizeof qb), sug);
            return ERRN(c, v, "sim.engine", "expected auto, dense or conditional, got '%s'",
                        e ? quote_(e, qb, sizeof qb) : node_kind_(v));
        }
        s->engine = (ntk_engine_kind)code;
    }
    if ((v = find_(c, n, "quantities")))
        NTK_TRY(parse_qlist_(c, v, "sim.quantities", &s->sq, &s->nsq, &s->sq_all, 0));
    if ((v = find_(c, n, "keep_samples"))) {
        const char *b = scalar_(v);
        int flag;
        if (b && !isdigit((unsigned char)b[0])) {
            NTK_TRY(get_bool_(c, v, "sim.keep_samples", &flag));
            s->keep_samples = flag ? s->samples : 0;
        } else {
            NTK_TRY(get_long_(c, v, "sim.keep_samples", 0, 1000000000L, &s->keep_samples));
            if (s->keep_samples > s->samples) s->keep_samples = s->samples;
        }
    }
    if (!s->sim) s->samples = s->keep_samples = 0;
    return 0;
}

/* "64GiB", "1.5e9", "500 MB" -> bytes. */
static int get_bytes_(lctx *c, yaml_node_t *n, const char *key, double *out)
{
    const char *v = scalar_(n);
    char qb[80];
    if (v) {
        char *end;
        double x = strtod(v, &end);
        if (end != v && isfinite(x) && x > 0) {
            while (*end == ' ')
                end++;
            static const struct {
                const char *suf;
                double mult;
            } sfx[] = {{"", 1},
                       {"B", 1},
                       {"K", 1024.0},
                       {"KiB", 1024.0},
                       {"KB", 1e3},
                       {"M", 1048576.0},
                       {"MiB", 1048576.0},
                       {"MB", 1e6},
                       {"G", 1073741824.0},
                       {"GiB", 1073741824.0},
                       {"GB", 1e9},
                       {"T", 1099511627776.0},
                       {"TiB", 1099511627776.0},
                       {"TB", 1e12}};
            for (size_t i = 0; i < sizeof sfx / sizeof sfx[0]; i++)
                if (strcmp(end, sfx[i].suf) == 0) {
                    *out = x * sfx[i].mult;
                    return 0;
                }
        }
    }
    return ERRN(c, n, key, "expected a positive size in bytes (e.g. 5e9, 64GiB, 500MB), got '%s'",
                v ? quote_(v, qb, sizeof qb) : node_kind_(n));
}

static int parse_output_(lctx *c, yaml_node_t *n)
{
    ntk_sweep *s = c->s;
    s->out.layers = NTK_LAYERS_ALL;
    s->out.compression = 4;
    s->out.checksum = 1;
    s->out.max_bytes = 64.0 * 1073741824.0;
    s->out.max_point_bytes = 4.0 * 1073741824.0;
    if (n && !is_null_(n)) {
        static const char *const allowed[] = {"path",     "layers",    "compression",
                                              "checksum", "max_bytes", "max_point_bytes"};
        NTK_TRY(check_keys_(c, n, "output", allowed, 6));
        yaml_node_t *v;
        if ((v = find_(c, n, "path"))) {
            NTK_TRY(get_string_(c, v, "output.path", &s->out_path));
            if (!s->out_path[0])
                return ERRN(c, v, "output.path", "expected a file path, got an empty string");
        }
        if ((v = find_(c, n, "layers"))) {
            const char *l = scalar_(v);
            char qb[80];
            if (l && strcmp(l, "all") == 0)
                s->out.layers = NTK_LAYERS_ALL;
            else if (l && strcmp(l, "final") == 0)
                s->out.layers = NTK_LAYERS_FINAL;
            else
                return ERRN(c, v, "output.layers", "expected all or final, got '%s'",
                            l ? quote_(l, qb, sizeof qb) : node_kind_(v));
        }
        if ((v = find_(c, n, "compression"))) {
            long lv;
            NTK_TRY(get_long_(c, v, "output.compression", 0, 9, &lv));
            s->out.compression = (int)lv;
        }
        if ((v = find_(c, n, "checksum")))
            NTK_TRY(get_bool_(c, v, "output.checksum", &s->out.checksum));
        if ((v = find_(c, n, "max_bytes")))
            NTK_TRY(get_bytes_(c, v, "output.max_bytes", &s->out.max_bytes));
        if ((v = find_(c, n, "max_point_bytes")))
            NTK_TRY(get_bytes_(c, v, "output.max_point_bytes", &s->out.max_point_bytes));
    }
    if (!s->out_path) {
        size_t len = strlen(s->name) + 4;
        if (!(s->out_path = malloc(len))) return ntk_error_set(NTK_ENOMEM, "out of memory");
        snprintf(s->out_path, len, "%s.h5", s->name);
    }
    s->out.path = s->out_path;
    return 0;
}

/* ------------------------------------------------------------------ inputs: Gram matrices */

/* Numerical rank of a PSD matrix by pivoted Cholesky; -1 if it is not PSD. */
static int psd_rank_(const double *g, int k)
{
    double *a = malloc((size_t)k * (size_t)k * sizeof(double));
    int *piv = malloc((size_t)k * sizeof(int));
    if (!a || !piv) {
        free(a);
        free(piv);
        return -2;
    }
    memcpy(a, g, (size_t)k * (size_t)k * sizeof(double));
    double maxd = 0.0;
    for (int i = 0; i < k; i++) {
        piv[i] = i;
        if (a[i * k + i] > maxd) maxd = a[i * k + i];
    }
    double tol = 1e-10 * (maxd > 0 ? maxd : 1.0);
    int rank = 0;
    for (int j = 0; j < k; j++) {
        int best = j;
        for (int i = j + 1; i < k; i++)
            if (a[piv[i] * k + piv[i]] > a[piv[best] * k + piv[best]]) best = i;
        int t = piv[j];
        piv[j] = piv[best];
        piv[best] = t;
        int p = piv[j];
        double d = a[p * k + p];
        if (d <= tol) {
            /* Remaining Schur complement must be ~0 (not negative). */
            for (int i = j; i < k; i++)
                if (a[piv[i] * k + piv[i]] < -tol) {
                    rank = -1;
                    break;
                }
            break;
        }
        rank++;
        double r = sqrt(d);
        for (int i = j + 1; i < k; i++) {
            int q = piv[i];
            a[q * k + p] /= r;
        }
        for (int i = j + 1; i < k; i++)
            for (int l = j + 1; l < k; l++) {
                int q = piv[i], u = piv[l];
                a[q * k + u] -= a[q * k + p] * a[u * k + p];
            }
    }
    free(a);
    free(piv);
    return rank;
}

static uint64_t hash_doubles_(uint64_t h, const double *v, long n)
{
    for (long i = 0; i < n; i++) {
        double x = v[i] + 0.0; /* -0 -> +0 */
        uint64_t bits;
        memcpy(&bits, &x, sizeof bits);
        unsigned char b[8];
        for (int j = 0; j < 8; j++)
            b[j] = (unsigned char)(bits >> (8 * j));
        h = ntk_fnv1a64(h, b, 8);
    }
    return h;
}

uint64_t spec_hash_doubles(uint64_t h, const double *v, long n)
{
    return hash_doubles_(h, v, n);
}

/* The virtual Gram of configuration vals: for the vector modes the k_r x k_r Gram g of the
 * inputs (replicated over the positions for M > 1: spatially constant signals, Hayou's
 * Assumption 1), for the spatial modes the per-position Gram of the signals (theory.h). gs is
 * k_r x k_r scratch, xs k_r x 2 x M scratch. Sets *rank (-1: not PSD). Returns 0 or an error. */
static int config_gram_(lctx *c, const double *vals, double *norms, double *gs, double *xs,
                        double *G, int *rank)
{
    ntk_sweep *s = c->s;
    const int kr = s->kr, M = s->positions, k = s->k;
    for (int i = 0; i < kr; i++)
        norms[i] = s->norms_list ? s->in_norms[i] : vals[SP_Q0];
    int rc = 0;
    if (s->in_mode == IN_SIGNALS || s->in_mode == IN_COSINE) {
        if (s->in_mode == IN_SIGNALS) {
            rc = ntk_theory_cnn_gram(kr, s->in_d, M, s->in_signals, G);
        } else {
            for (int i = 0; i < kr; i++)
                for (int a = 0; a < M; a++) {
                    double th = 2.0 * M_PI * s->in_freq[i] * (double)a / (double)M + s->in_phase[i];
                    double r = sqrt(2.0 * norms[i]);
                    xs[((size_t)i * 2 + 0) * M + a] = r * cos(th);
                    xs[((size_t)i * 2 + 1) * M + a] = r * sin(th);
                }
            rc = ntk_theory_cnn_gram(kr, 2, M, xs, G);
        }
        if (rc < 0)
            return errm_(c, c->inputs_mark, s->in_mode == IN_SIGNALS ? "inputs.signals" : "inputs",
                         "%s", ntk_error_msg());
        *rank = psd_rank_(G, k);
        return *rank == -2 ? ntk_error_set(NTK_ENOMEM, "out of memory") : 0;
    }
    double *g = M == 1 ? G : gs;
    if (s->in_mode == IN_GRAM) {
        memcpy(g, s->in_gram, (size_t)kr * kr * sizeof(double));
    } else {
        const double *ang = s->in_angles;
        double pair[2] = {0.0, 0.0};
        if (s->in_mode == IN_PAIR) {
            pair[1] = s->src[SP_ANGLE] != SRC_DEFAULT ? vals[SP_ANGLE] : acos(vals[SP_RHO]);
            ang = pair;
        }
        for (int i = 0; i < kr; i++)
            for (int j = 0; j < kr; j++) {
                double cs = i == j ? 1.0 : cos(ang[i] - ang[j]);
                if (s->in_mode == IN_PAIR && i != j && s->src[SP_ANGLE] == SRC_DEFAULT)
                    cs = vals[SP_RHO]; /* exact cosine, no acos/cos round trip */
                g[i * kr + j] = sqrt(norms[i] * norms[j]) * cs;
            }
    }
    *rank = psd_rank_(g, kr);
    if (*rank == -2) return ntk_error_set(NTK_ENOMEM, "out of memory");
    if (M > 1 && ntk_theory_gram_replicate(kr, M, g, G) < 0)
        return errm_(c, c->inputs_mark, "inputs", "%s", ntk_error_msg());
    return 0;
}

static int build_grams_(lctx *c)
{
    ntk_sweep *s = c->s;
    const int kr = s->kr, M = s->positions;
    const long kv = (long)kr * M;
    spec_mark pm = s->src[SP_POSITIONS] == SRC_FIXED ? c->slot_mark[SP_POSITIONS] : c->inputs_mark;
    const char *pkey = s->src[SP_POSITIONS] == SRC_FIXED ? "model.positions" : "inputs";
    if (kv > SPEC_MAX_K)
        return errm_(c, pm, pkey,
                     "%d inputs x %d positions = %ld virtual inputs (at most %d per point)", kr, M,
                     kv, SPEC_MAX_K);
    if (s->cnn_any && s->theory && kv > NTK_THEORY_MAX_VIRTUAL)
        return errm_(c, pm, pkey,
                     "cnn1d runs on k M virtual inputs: %d inputs x %d positions = %ld, and the "
                     "theory takes at most %d (NTK_THEORY_MAX_VIRTUAL; use fewer positions or "
                     "inputs)",
                     kr, M, kv, NTK_THEORY_MAX_VIRTUAL);
    if (M > 1 && s->sim && kv > NTK_SIM_MAX_K)
        return errm_(c, pm, pkey,
                     "cnn1d runs on k M virtual inputs: %d inputs x %d positions = %ld, and the "
                     "simulation takes at most %d per point (NTK_SIM_MAX_K; use fewer positions or "
                     "inputs, or theory only)",
                     kr, M, kv, NTK_SIM_MAX_K);
    const int k = (int)kv;
    s->k = k;
    long ncfg = 1;
    for (int a = 0; a < s->naxes; a++)
        if (s->axes[a].input_axis) ncfg *= s->axes[a].n;
    double bytes = (double)ncfg * k * k * sizeof(double);
    if (bytes > SPEC_MAX_GRAM_BYTES)
        return errm_(c, c->inputs_mark, "inputs",
                     "%ld input configurations of %d inputs need %.0f MiB of Gram matrices (at "
                     "most %.0f MiB)",
                     ncfg, k, bytes / 1048576.0, SPEC_MAX_GRAM_BYTES / 1048576.0);
    /* Pair-only parameters. */
    if (s->in_mode != IN_PAIR) {
        for (int slot = SP_ANGLE; slot <= SP_RHO; slot++)
            if (s->src[slot] == SRC_AXIS)
                return errm_(c, c->slot_mark[slot], c->slot_key[slot],
                             "'%s' sets the angle of a single input pair; it cannot be combined "
                             "with inputs.angles/rhos/circle/gram/signals/cosine",
                             slot == SP_ANGLE ? "angle" : "rho");
    }
    if (s->src[SP_ANGLE] != SRC_DEFAULT && s->src[SP_RHO] != SRC_DEFAULT)
        return errm_(c, c->slot_mark[SP_RHO], c->slot_key[SP_RHO],
                     "give either an angle or a cosine rho for the input pair, not both (angle "
                     "is set by '%s')",
                     c->slot_key[SP_ANGLE]);
    if (s->in_mode == IN_GRAM && s->src[SP_Q0] == SRC_AXIS)
        return errm_(c, c->slot_mark[SP_Q0], c->slot_key[SP_Q0],
                     "q0 cannot vary with an explicit inputs.gram");
    if (s->in_mode == IN_SIGNALS && s->src[SP_Q0] == SRC_AXIS)
        return errm_(c, c->slot_mark[SP_Q0], c->slot_key[SP_Q0],
                     "q0 cannot vary with explicit inputs.signals");
    if (c->s->norms_list && s->src[SP_Q0] == SRC_AXIS)
        return errm_(c, c->slot_mark[SP_Q0], c->slot_key[SP_Q0],
                     "q0 cannot vary when inputs.norms is a list");
    s->n_incfg = ncfg;
    s->grams = malloc((size_t)bytes > 0 ? (size_t)bytes : 1);
    s->gram_hash = malloc((size_t)ncfg * sizeof(uint64_t));
    if (!s->grams || !s->gram_hash)
        return ntk_error_set(NTK_ENOMEM, "out of memory: Gram matrices");
    double *vals = malloc((size_t)s->nslots * sizeof(double));
    double *norms = malloc((size_t)kr * sizeof(double));
    double *gs = malloc((size_t)kr * kr * sizeof(double));
    double *xs = malloc((size_t)kr * 2 * M * sizeof(double));
    int rc = 0;
    if (!vals || !norms || !gs || !xs) rc = ntk_error_set(NTK_ENOMEM, "out of memory");
    s->in_rank = 0;
    for (long cfg = 0; rc == 0 && cfg < ncfg; cfg++) {
        memcpy(vals, s->base, (size_t)s->nslots * sizeof(double));
        long rem = cfg;
        for (int a = s->naxes - 1; a >= 0; a--) {
            spec_axis *ax = &s->axes[a];
            if (!ax->input_axis) continue;
            long i = rem % ax->n;
            rem /= ax->n;
            for (int j = 0; j < ax->n_members; j++) {
                spec_member *m = &ax->members[j];
                if (!m->categorical)
                    vals[m->slot] = m->variance ? sqrt(m->values[i]) : m->values[i];
            }
        }
        double *G = s->grams + (size_t)cfg * k * k;
        int r = 0;
        rc = config_gram_(c, vals, norms, gs, xs, G, &r);
        if (rc == 0 && r < 0)
            rc = errm_(c, c->inputs_mark, "inputs.gram", "not positive semi-definite");
        if (rc < 0) break;
        if (r > s->in_rank) s->in_rank = r;
        s->gram_hash[cfg] = hash_doubles_(NTK_FNV1A64_INIT, G, (long)k * k);
    }
    free(vals);
    free(norms);
    free(gs);
    free(xs);
    if (rc < 0) return rc;
    if (s->in_rank < 1) s->in_rank = 1;
    return 0;
}

/* ------------------------------------------------------------------ validation */

static int validate_points_(lctx *c)
{
    ntk_sweep *s = c->s;
    /* A simulation needs a width. */
    if (s->sim && s->src[SP_WIDTH] == SRC_DEFAULT)
        return errm_(c, c->sim_mark, "sim",
                     "the simulation needs a width: set model.width, a grid axis 'width' or a "
                     "derived width");
    if (s->sim && s->k > NTK_SIM_MAX_K)
        return errm_(c, c->inputs_mark, "inputs",
                     "the simulation takes at most %d inputs per point; these inputs have k = %d "
                     "(use fewer angles, or theory only)",
                     NTK_SIM_MAX_K, s->k);
    if (s->src[SP_DEPTH] == SRC_DEFAULT)
        return errm_(c, s->model_mark, "model.depth",
                     "missing: set model.depth, a grid axis 'depth' or a derived depth");
    /* Free variables must be read by a derived expression (otherwise they are typos). */
    for (int i = 0; i < s->nslots - SP_COUNT; i++)
        if (!c->free_used[i]) {
            int np;
            const spec_param *t = spec_param_table(&np);
            const char *cand[64];
            for (int j = 0; j < np; j++)
                cand[j] = t[j].name;
            const char *sug = ntk_spec_suggest(s->slot_names[i], cand, np);
            char key[96];
            snprintf(key, sizeof key, "%s", c->slot_key[SP_COUNT + i]);
            if (sug)
                return errm_(c, c->free_mark[i], key, "unknown parameter '%s' (did you mean '%s'?)",
                             s->slot_names[i], sug);
            return errm_(c, c->free_mark[i], key,
                         "'%s' is not a parameter and no derived expression uses it",
                         s->slot_names[i]);
        }

    /* Points to check: every point when the grid is small or derived values exist (they can
     * take any value anywhere); otherwise the extreme values of every numeric axis combined
     * with every value of every categorical or zipped axis, which covers the per-parameter
     * bounds, the activation/architecture combinations and the depth-dependent checks. */
    if (s->nderived > 0 && s->npoints > SPEC_MAX_DERIVED_POINTS)
        return errm_(c, s->grid_mark, "derived",
                     "grids with derived parameters are checked point by point; this one has "
                     "%ld points (at most %ld)",
                     s->npoints, SPEC_MAX_DERIVED_POINTS);
    int every = s->npoints <= 2000000L || s->nderived > 0;
    int na = s->naxes;
    long *nrep = calloc((size_t)(na ? na : 1), sizeof(long));
    long **rep = calloc((size_t)(na ? na : 1), sizeof(long *));
    long *ix = calloc((size_t)(na ? na : 1), sizeof(long));
    long *cur = calloc((size_t)(na ? na : 1), sizeof(long));
    int rc = 0;
    if (!nrep || !rep || !ix || !cur) {
        rc = ntk_error_set(NTK_ENOMEM, "out of memory");
        goto out;
    }
    for (int a = 0; a < na; a++) {
        spec_axis *ax = &s->axes[a];
        int numeric = !ax->zip && !ax->members[0].categorical;
        if (every || !numeric) {
            nrep[a] = ax->n;
            rep[a] = NULL; /* all indices */
        } else {
            rep[a] = calloc(2, sizeof(long));
            if (!rep[a]) {
                rc = ntk_error_set(NTK_ENOMEM, "out of memory");
                goto out;
            }
            const double *v = ax->members[0].values;
            long lo = 0, hi = 0;
            for (long i = 1; i < ax->n; i++) {
                if (v[i] < v[lo]) lo = i;
                if (v[i] > v[hi]) hi = i;
            }
            rep[a][0] = lo;
            rep[a][1] = hi;
            nrep[a] = lo == hi ? 1 : 2;
        }
    }
    s->max_depth = 0;
    s->max_width = 0;
    s->max_point_bytes = 0;
    for (;;) {
        for (int a = 0; a < na; a++)
            ix[a] = rep[a] ? rep[a][cur[a]] : cur[a];
        long idx = ntk_sweep_point_index(s, ix);
        ntk_point pt;
        rc = spec_point_build(s, idx, &pt);
        if (rc < 0) goto out;
        char label[512];
        spec_mark m = s->naxes ? s->grid_mark : s->model_mark;
        rc = ntk_model_check(&pt.model);
        if (rc < 0) {
            spec_point_label(s, idx, label, sizeof label);
            char msg[1024];
            snprintf(msg, sizeof msg, "%s", ntk_error_msg());
            if (s->naxes)
                rc = errm_(c, m, NULL, "grid point %ld of %ld %s: %s", idx, s->npoints, label, msg);
            else
                rc = errm_(c, m, "model", "%s", msg);
            goto out;
        }
        if (s->sim && pt.model.d < s->in_rank) {
            spec_point_label(s, idx, label, sizeof label);
            rc = errm_(c, m, NULL,
                       "grid point %ld %s: input dimension d = %d is smaller than the rank %d of "
                       "the inputs' Gram matrix (set model.d, or a larger width for rrn/frn)",
                       idx, label, pt.model.d, s->in_rank);
            goto out;
        }
        if (pt.mem_bytes > s->out.max_point_bytes) {
            spec_point_label(s, idx, label, sizeof label);
            rc = errm_(c, m, NULL,
                       "grid point %ld %s needs about %.3g GiB of memory, above the limit of "
                       "%.3g GiB (raise output.max_point_bytes, or lower width/k/samples)",
                       idx, label, pt.mem_bytes / 1073741824.0,
                       s->out.max_point_bytes / 1073741824.0);
            goto out;
        }
        if (pt.model.depth > s->max_depth) s->max_depth = pt.model.depth;
        if (pt.width > s->max_width) s->max_width = pt.width;
        if (pt.mem_bytes > s->max_point_bytes) s->max_point_bytes = pt.mem_bytes;
        /* Odometer over the representative indices, last axis fastest. */
        int a = na - 1;
        while (a >= 0 && ++cur[a] == nrep[a])
            cur[a--] = 0;
        if (a < 0) break;
    }
    s->archive_bytes = (double)s->npoints * spec_point_archive_bytes(s) + (double)s->text_len;
    if (s->archive_bytes > s->out.max_bytes) {
        rc = errm_(c, s->naxes ? s->grid_mark : s->model_mark, NULL,
                   "the archive would need about %.3g GiB (%ld points x %.3g KiB), above the "
                   "limit of %.3g GiB (raise output.max_bytes, use output.layers: final, or "
                   "select fewer quantities)",
                   s->archive_bytes / 1073741824.0, s->npoints,
                   spec_point_archive_bytes(s) / 1024.0, s->out.max_bytes / 1073741824.0);
        goto out;
    }
out:
    if (rep)
        for (int a = 0; a < na; a++)
            free(rep[a]);
    free(rep);
    free(nrep);
    free(ix);
    free(cur);
    return rc;
}

/* ------------------------------------------------------------------ driver */

static int load_doc_(lctx *c, ntk_sweep *s)
{
    yaml_node_t *root = yaml_document_get_root_node(c->doc);
    if (!root || is_null_(root))
        return ntk_error_set(NTK_ESPEC,
                             "%s:1:1: the spec is empty (expected a mapping with at "
                             "least name and model)",
                             c->file);
    static const char *const top[] = {"name",    "description", "seed",   "model", "grid",
                                      "derived", "inputs",      "theory", "sim",   "output"};
    NTK_TRY(check_keys_(c, root, "", top, 10));
    NTK_TRY(parse_header_(c, root));
    yaml_node_t *model = find_(c, root, "model");
    if (!model) return ERRN(c, root, "model", "missing: the model section (arch, act, depth, ...)");
    NTK_TRY(parse_model_(c, model));
    NTK_TRY(parse_inputs_(c, find_(c, root, "inputs")));
    NTK_TRY(parse_grid_(c, find_(c, root, "grid")));
    NTK_TRY(parse_derived_(c, find_(c, root, "derived")));
    NTK_TRY(check_cnn_(c));
    NTK_TRY(parse_theory_(c, find_(c, root, "theory")));
    NTK_TRY(parse_sim_(c, find_(c, root, "sim")));
    if (!s->theory && !s->sim)
        return ERRN(c, root, NULL, "nothing to compute: both theory and sim are off");
    NTK_TRY(parse_output_(c, find_(c, root, "output")));
    if (!c->have_sim_node) c->sim_mark = mark_of_(root);
    if (!c->inputs_mark.line) c->inputs_mark = mark_of_(root);
    NTK_TRY(build_grams_(c));
    NTK_TRY(validate_points_(c));
    return 0;
}

static int yaml_error_(lctx *c, yaml_parser_t *p)
{
    const char *problem = p->problem ? p->problem : "syntax error";
    if (p->error == YAML_MEMORY_ERROR)
        return ntk_error_set(NTK_ENOMEM, "%s: out of memory while parsing YAML", c->file);
    if (p->error == YAML_READER_ERROR)
        return ntk_error_set(NTK_ESPEC, "%s: invalid text at byte %zu: %s", c->file,
                             p->problem_offset, problem);
    if (p->context)
        return ntk_error_set(NTK_ESPEC,
                             "%s:%zu:%zu: YAML syntax error: %s (%s at line %zu, "
                             "column %zu)",
                             c->file, p->problem_mark.line + 1, p->problem_mark.column + 1, problem,
                             p->context, p->context_mark.line + 1, p->context_mark.column + 1);
    return ntk_error_set(NTK_ESPEC, "%s:%zu:%zu: YAML syntax error: %s", c->file,
                         p->problem_mark.line + 1, p->problem_mark.column + 1, problem);
}

static void base_defaults_(ntk_sweep *s)
{
    ntk_model m;
    ntk_model_default(&m);
    double *b = s->base;
    b[SP_ARCH] = m.arch;
    b[SP_ACT] = m.act.kind;
    b[SP_PARAM] = m.param;
    b[SP_STEM] = m.stem;
    b[SP_ALPHA_SCHEDULE] = m.alpha.kind;
    b[SP_SIGMA_W] = m.sigma_w;
    b[SP_SIGMA_B] = m.sigma_b;
    b[SP_SIGMA_V] = m.sigma_v;
    b[SP_SIGMA_A] = m.sigma_a;
    b[SP_SIGMA_IN] = m.sigma_in;
    b[SP_SIGMA_IN_B] = m.sigma_in_b;
    b[SP_SIGMA_OUT] = m.sigma_out;
    b[SP_SIGMA_OUT_B] = m.sigma_out_b;
    b[SP_ALPHA] = m.alpha.value;
    b[SP_GAMMA] = m.alpha.gamma;
    b[SP_RELU_ALPHA] = m.act.alpha;
    b[SP_ACT_MULT] = m.act_mult;
    b[SP_M] = m.m;
    b[SP_D] = m.d;
    b[SP_DEPTH] = m.depth;
    b[SP_WIDTH] = 0;
    b[SP_POSITIONS] = m.positions;
    b[SP_KERNEL_HALF] = m.kernel_half;
    b[SP_READOUT] = m.readout;
    b[SP_ANGLE] = NAN;
    b[SP_RHO] = 0.5;
    b[SP_Q0] = 1.0;
    s->trained = m.trained;
}

int ntk_spec_parse_string(const char *text, const char *filename, ntk_sweep **out)
{
    *out = NULL;
    if (!filename) filename = "<string>";
    size_t len = strlen(text);
    if ((long)len > SPEC_MAX_TEXT)
        return ntk_error_set(NTK_ESPEC, "%s: the spec is larger than %ld bytes", filename,
                             SPEC_MAX_TEXT);
    ntk_sweep *s = calloc(1, sizeof *s);
    if (!s) return ntk_error_set(NTK_ENOMEM, "out of memory");
    s->text = malloc(len + 1);
    s->filename = strdup(filename);
    s->description = strdup("");
    s->nslots = SP_COUNT;
    s->base = calloc(SP_COUNT, sizeof(double));
    if (!s->text || !s->filename || !s->description || !s->base) {
        ntk_sweep_free(s);
        return ntk_error_set(NTK_ENOMEM, "out of memory");
    }
    memcpy(s->text, text, len + 1);
    s->text_len = len;
    s->hash = ntk_fnv1a64(NTK_FNV1A64_INIT, text, len);
    s->npoints = 1;
    base_defaults_(s);

    lctx *c = calloc(1, sizeof *c);
    if (!c) {
        ntk_sweep_free(s);
        return ntk_error_set(NTK_ENOMEM, "out of memory");
    }
    c->file = s->filename;
    c->s = s;
    yaml_parser_t parser;
    yaml_document_t doc;
    int rc = 0;
    if (!yaml_parser_initialize(&parser)) {
        free(c);
        ntk_sweep_free(s);
        return ntk_error_set(NTK_ENOMEM, "out of memory");
    }
    yaml_parser_set_input_string(&parser, (const unsigned char *)s->text, len);
    if (!yaml_parser_load(&parser, &doc)) {
        rc = yaml_error_(c, &parser);
    } else {
        c->doc = &doc;
        rc = load_doc_(c, s);
        if (rc == 0) {
            /* A second document is a mistake (e.g. a stray '---'). */
            yaml_document_t doc2;
            if (!yaml_parser_load(&parser, &doc2)) {
                rc = yaml_error_(c, &parser);
            } else {
                yaml_node_t *r2 = yaml_document_get_root_node(&doc2);
                if (r2)
                    rc = ntk_error_set(NTK_ESPEC,
                                       "%s:%zu:%zu: a spec holds one YAML document; found a "
                                       "second one",
                                       c->file, r2->start_mark.line + 1, r2->start_mark.column + 1);
                yaml_document_delete(&doc2);
            }
        }
        yaml_document_delete(&doc);
    }
    yaml_parser_delete(&parser);
    free(c);
    if (rc < 0) {
        ntk_sweep_free(s);
        return rc;
    }
    *out = s;
    return 0;
}

int ntk_spec_load(const char *path, ntk_sweep **out)
{
    *out = NULL;
    FILE *f = fopen(path, "rb");
    if (!f) return ntk_error_set(NTK_EIO, "%s: cannot open: %s", path, strerror(errno));
    char *buf = NULL;
    size_t len = 0, cap = 0;
    for (;;) {
        if (len + 65536 + 1 > cap) {
            cap = cap ? 2 * cap : 131072;
            if ((long)cap > 2 * SPEC_MAX_TEXT + 131072) {
                free(buf);
                fclose(f);
                return ntk_error_set(NTK_ESPEC, "%s: the spec is larger than %ld bytes", path,
                                     SPEC_MAX_TEXT);
            }
            char *nb = realloc(buf, cap);
            if (!nb) {
                free(buf);
                fclose(f);
                return ntk_error_set(NTK_ENOMEM, "out of memory reading %s", path);
            }
            buf = nb;
        }
        size_t got = fread(buf + len, 1, 65536, f);
        len += got;
        if (got < 65536) {
            if (ferror(f)) {
                int e = errno;
                free(buf);
                fclose(f);
                return ntk_error_set(NTK_EIO, "%s: read error: %s", path, strerror(e));
            }
            break;
        }
    }
    fclose(f);
    buf[len] = '\0';
    if (strlen(buf) != len) {
        free(buf);
        return ntk_error_set(NTK_ESPEC, "%s: the spec contains a NUL byte (not a text file?)",
                             path);
    }
    int rc = ntk_spec_parse_string(buf, path, out);
    free(buf);
    return rc;
}

const char *ntk_spec_yaml_version(void)
{
    return yaml_get_version_string();
}
