/* spec_sweep.c - grid points of a loaded sweep: models, keys, cost and memory estimates,
 * accessors, and the human-readable description printed by `ntksweep validate`. */
#include "spec_private.h"

#include "ntksweep/error.h"
#include "ntksweep/sim.h"
#include "ntksweep/theory.h"

#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#define VALS_MAX (SP_COUNT + 64)

static const unsigned theory_dims_[] = {
#define NTK_TQ_DIMS_(id, name, sym, units, desc, dims) dims,
    NTK_THEORY_QTY_MAP(NTK_TQ_DIMS_)
#undef NTK_TQ_DIMS_
};
static const char *const theory_names_[] = {
#define NTK_TQ_NAME_(id, name, sym, units, desc, dims) name,
    NTK_THEORY_QTY_MAP(NTK_TQ_NAME_)
#undef NTK_TQ_NAME_
};

/* The simulator's per-sample record quantities (dims without STAT) and the extras of its result
 * table (final dims), from sim.h. */
static const unsigned sim_dims_[] = {
#define NTK_SQ_DIMS_(id, name, sym, units, desc, dims) dims,
    NTK_SIM_QTY_MAP(NTK_SQ_DIMS_)
#undef NTK_SQ_DIMS_
};
static const char *const sim_names_[] = {
#define NTK_SQ_NAME_(id, name, sym, units, desc, dims) name,
    NTK_SIM_QTY_MAP(NTK_SQ_NAME_)
#undef NTK_SQ_NAME_
};
static const unsigned sim_extra_dims_[] = {
#define NTK_SX_DIMS_(id, name, sym, units, desc, dims) dims,
    NTK_SIM_EXTRA_MAP(NTK_SX_DIMS_)
#undef NTK_SX_DIMS_
};
static const char *const sim_extra_names_[] = {
#define NTK_SX_NAME_(id, name, sym, units, desc, dims) name,
    NTK_SIM_EXTRA_MAP(NTK_SX_NAME_)
#undef NTK_SX_NAME_
};
#define N_SIM_QTY   ((int)(sizeof sim_names_ / sizeof sim_names_[0]))
#define N_SIM_EXTRA ((int)(sizeof sim_extra_names_ / sizeof sim_extra_names_[0]))

/* ------------------------------------------------------------------ lifecycle */

static void free_member_(spec_member *m)
{
    long n = m->n;
    free(m->name);
    free(m->values);
    free(m->codes);
    if (m->labels)
        for (long i = 0; i < n; i++)
            free(m->labels[i]);
    free(m->labels);
}

void ntk_sweep_free(ntk_sweep *s)
{
    if (!s) return;
    for (int a = 0; a < s->naxes; a++) {
        spec_axis *ax = &s->axes[a];
        long n = ax->n > 0 ? ax->n : 0;
        if (ax->members)
            for (int j = 0; j < ax->n_members; j++)
                free_member_(&ax->members[j]);
        free(ax->members);
        if (ax->labels)
            for (long i = 0; i < n; i++)
                free(ax->labels[i]);
        free(ax->labels);
        free(ax->name);
        free(ax->units);
        free(ax->description);
    }
    free(s->axes);
    for (int i = 0; i < s->nderived; i++) {
        free(s->derived[i].name);
        free(s->derived[i].text);
        spec_expr_free(&s->derived[i].expr);
    }
    free(s->derived);
    for (int i = 0; i < s->nslots - SP_COUNT; i++)
        free(s->slot_names[i]);
    free(s->slot_names);
    for (int i = 0; i < s->ntq; i++)
        free(s->tq[i].name);
    free(s->tq);
    for (int i = 0; i < s->nsq; i++)
        free(s->sq[i].name);
    free(s->sq);
    free(s->base);
    free(s->alpha_list);
    free(s->in_angles);
    free(s->in_norms);
    free(s->in_gram);
    free(s->in_signals);
    free(s->in_freq);
    free(s->in_phase);
    free(s->grams);
    free(s->gram_hash);
    free(s->out_path);
    free(s->filename);
    free(s->text);
    free(s->name);
    free(s->description);
    free(s);
}

/* ------------------------------------------------------------------ points */

/* Fills vals[] with the axis values of point idx; returns the input configuration index. */
static long apply_axes_(const ntk_sweep *s, long idx, double *vals)
{
    long rem = idx, cfg = 0, mult = 1;
    for (int a = s->naxes - 1; a >= 0; a--) {
        const spec_axis *ax = &s->axes[a];
        long i = rem % ax->n;
        rem /= ax->n;
        for (int j = 0; j < ax->n_members; j++) {
            const spec_member *m = &ax->members[j];
            if (m->categorical)
                vals[m->slot] = m->codes[i];
            else
                vals[m->slot] = m->variance ? sqrt(m->values[i]) : m->values[i];
        }
        if (ax->input_axis) {
            cfg += i * mult;
            mult *= ax->n;
        }
    }
    return cfg;
}

void spec_point_label(const ntk_sweep *s, long idx, char *buf, size_t n)
{
    size_t len = 0;
    long rem = idx;
    long ix[64];
    for (int a = s->naxes - 1; a >= 0; a--) {
        long i = rem % s->axes[a].n;
        rem /= s->axes[a].n;
        if (a < 64) ix[a] = i;
    }
    len += (size_t)snprintf(buf, n, "(");
    for (int a = 0; a < s->naxes && a < 64 && len < n; a++) {
        const spec_axis *ax = &s->axes[a];
        const spec_member *m = &ax->members[0];
        if (ax->zip)
            len += (size_t)snprintf(buf + len, n - len, "%s%s=%s", a ? ", " : "", ax->name,
                                    ax->labels[ix[a]]);
        else if (m->categorical)
            len += (size_t)snprintf(buf + len, n - len, "%s%s=%s", a ? ", " : "", m->name,
                                    m->labels[ix[a]]);
        else
            len += (size_t)snprintf(buf + len, n - len, "%s%s=%.10g", a ? ", " : "", m->name,
                                    m->values[ix[a]]);
    }
    if (len < n) snprintf(buf + len, n - len, ")");
}

static int is_quadrature_act_(ntk_act_kind k)
{
    return k == NTK_ACT_TANH || k == NTK_ACT_GELU || k == NTK_ACT_SWISH;
}

/* Weight matrices of width x width in a network of the point's depth. */
static double matrices_(const ntk_model *m)
{
    double L = (double)m->depth;
    switch (m->arch) {
    case NTK_ARCH_FRN:
    case NTK_ARCH_RESNET:
        return 2.0 * L;
    case NTK_ARCH_LITTWIN:
        return (double)m->m * L;
    case NTK_ARCH_DENSENET:
        return 0.5 * L * (L + 1.0);
    case NTK_ARCH_CNN1D: /* one width x width matrix per filter tap */
        return (2.0 * m->kernel_half + 1.0) * L;
    default:
        return L;
    }
}

/* The engine AUTO resolves to (sim.h: conditional when 4 k <= n). */
static ntk_engine_kind engine_of_(const ntk_point *pt)
{
    if (pt->engine != NTK_ENGINE_AUTO) return pt->engine;
    return 4L * pt->k <= pt->width ? NTK_ENGINE_CONDITIONAL : NTK_ENGINE_DENSE;
}

/* Cost model, in rough seconds of one core (docs/spec.md "Cost model"). */
static void point_cost_(const ntk_sweep *s, ntk_point *pt)
{
    const ntk_model *m = &pt->model;
    double k = pt->k, pairs = 0.5 * k * (k + 1.0), L = (double)m->depth;
    int quad = is_quadrature_act_(m->act.kind);
    double t_act = quad ? 2e-5 : 2e-7;
    double nact = m->arch == NTK_ARCH_LITTWIN ? fmax(1.0, (double)m->m - 1.0) : 1.0;
    double theory = 1e-5 + L * pairs * (2.0 * nact * t_act + 1e-6);
    if (m->arch == NTK_ARCH_DENSENET) theory += L * L * pairs * 1e-8;
    /* cnn1d: window sums of 2q+1 terms per virtual pair for K, D and the NTK slots. */
    if (m->arch == NTK_ARCH_CNN1D) theory += L * pairs * (2.0 * m->kernel_half + 1.0) * 1e-8;
    pt->cost_theory = pt->theory ? theory : 0.0;
    double n = (double)pt->width, M = matrices_(m) + 2.0;
    const double t_rng = 4e-9, t_flop = 5e-10;
    double dense = M * n * n * (t_rng + 4.0 * k * t_flop);
    double cond = M * n * k * (t_rng + 4.0 * k * t_flop) + M * k * k * k * 1e-9;
    double per = engine_of_(pt) == NTK_ENGINE_DENSE ? dense : cond;
    per += L * n * k * (quad ? 2e-8 : 2e-9);
    pt->cost_sim = pt->sim ? per * (double)pt->samples : 0.0;
    (void)s;
}

/* Values of one sample (per-sample storage) and of all selected sim quantities per layer. */
/* Doubles of the selected simulation quantities for n_layer rows: the statistics (with_stats)
 * or one sample's values (!with_stats; the extras have no per-sample values). */
static double sim_selected_size_(const ntk_sweep *s, long n_layer, int k, int with_stats)
{
    ntk_qty_shape sh = {n_layer, NTK_GROUP_COUNT, NTK_STAT_COUNT, k, k * (k + 1) / 2, 0};
    double v = 0.0;
    for (int q = 0; q < N_SIM_QTY; q++)
        if (ntk_sweep_quantity_selected(s, NTK_PART_SIM, sim_names_[q]))
            v += (double)ntk_qty_size(sim_dims_[q] | (with_stats ? (unsigned)NTK_DIM_STAT : 0u),
                                      &sh);
    for (int q = 0; with_stats && q < N_SIM_EXTRA; q++)
        if (ntk_sweep_quantity_selected(s, NTK_PART_SIM, sim_extra_names_[q]))
            v += (double)ntk_qty_size(sim_extra_dims_[q], &sh);
    return v;
}

/* Doubles of one full per-sample record (every record quantity) of a network of depth L. */
static double sim_record_size_(long depth, int k)
{
    ntk_qty_shape sh = {depth + 1, NTK_GROUP_COUNT, 1, k, k * (k + 1) / 2, 0};
    double v = 0.0;
    for (int q = 0; q < N_SIM_QTY; q++)
        v += (double)ntk_qty_size(sim_dims_[q], &sh);
    return v;
}

static void point_memory_(ntk_point *pt)
{
    const ntk_model *m = &pt->model;
    double k = pt->k, L1 = (double)m->depth + 1.0, n = (double)pt->width;
    double theory = 0.0;
    if (pt->theory) {
        ntk_qty_shape sh = {(long)L1, NTK_GROUP_COUNT,         NTK_STAT_COUNT,
                            pt->k,    pt->k * (pt->k + 1) / 2, 0};
        for (int q = 0; q < NTK_TQ_COUNT; q++)
            theory += 8.0 * (double)ntk_qty_size(theory_dims_[q], &sh);
        theory += 8.0 * 16.0 * k * k; /* per-register kernels */
        /* cnn1d: the backward pass keeps every row's forward data (theory.c) */
        if (m->arch == NTK_ARCH_CNN1D) theory += 8.0 * L1 * (pt->k * (pt->k + 1) / 2 + 2.0 * k);
    }
    double sim = 0.0;
    if (pt->sim) {
        double act = 6.0 * 8.0 * L1 * n * k;
        if (m->arch == NTK_ARCH_DENSENET) act += 8.0 * L1 * n * k;
        double dense = 2.0 * 8.0 * n * n + act;
        double cond = act + 8.0 * 8.0 * k * k;
        double eng = engine_of_(pt) == NTK_ENGINE_DENSE ? dense : cond;
        /* Quantiles need every record of the point in one place, plus the statistics. */
        double records = 8.0 * (double)pt->samples * sim_record_size_(m->depth, pt->k);
        double stats = 8.0 * (double)NTK_STAT_COUNT * sim_record_size_(m->depth, pt->k);
        sim = eng + records + stats;
    }
    pt->mem_bytes = fmax(theory, sim);
}

static uint64_t hkv_(uint64_t h, const char *name, double v)
{
    h = ntk_fnv1a64(h, name, strlen(name) + 1);
    return spec_hash_doubles(h, &v, 1);
}

static uint64_t point_key_(const ntk_sweep *s, const ntk_point *pt, long cfg)
{
    const ntk_model *m = &pt->model;
    static const char tag[] = "ntksweep-point-v1";
    uint64_t h = ntk_fnv1a64(NTK_FNV1A64_INIT, tag, sizeof tag);
    h = hkv_(h, "arch", m->arch);
    h = hkv_(h, "act", m->act.kind);
    h = hkv_(h, "relu_alpha", m->act.kind == NTK_ACT_ALPHA_RELU ? m->act.alpha : 1.0);
    h = hkv_(h, "act_mult", m->act_mult);
    h = hkv_(h, "param", m->param);
    h = hkv_(h, "sigma_w", m->sigma_w);
    h = hkv_(h, "sigma_b", m->sigma_b);
    h = hkv_(h, "sigma_v", m->sigma_v);
    h = hkv_(h, "sigma_a", m->sigma_a);
    h = hkv_(h, "sigma_in", m->sigma_in);
    h = hkv_(h, "sigma_in_b", m->sigma_in_b);
    h = hkv_(h, "sigma_out", m->sigma_out);
    h = hkv_(h, "sigma_out_b", m->sigma_out_b);
    h = hkv_(h, "alpha_schedule", m->alpha.kind);
    h = hkv_(h, "alpha", m->alpha.value);
    h = hkv_(h, "gamma", m->alpha.gamma);
    if (m->alpha.kind == NTK_ALPHA_LIST) {
        h = hkv_(h, "alpha_list", (double)m->alpha.nlist);
        h = spec_hash_doubles(h, m->alpha.list, m->alpha.nlist);
    }
    h = hkv_(h, "m", m->m);
    h = hkv_(h, "d", m->d);
    h = hkv_(h, "stem", m->stem);
    if (m->arch == NTK_ARCH_CNN1D) { /* absent for the other architectures: their keys stay */
        h = hkv_(h, "positions", m->positions);
        h = hkv_(h, "kernel_half", m->kernel_half);
        h = hkv_(h, "readout", m->readout);
    }
    h = hkv_(h, "trained", m->trained);
    h = hkv_(h, "depth", (double)m->depth);
    h = hkv_(h, "width", (double)pt->width);
    h = hkv_(h, "k", pt->k);
    uint64_t g = s->gram_hash[cfg];
    unsigned char b[8];
    for (int j = 0; j < 8; j++)
        b[j] = (unsigned char)(g >> (8 * j));
    return ntk_fnv1a64(h, b, 8);
}

int spec_point_build(const ntk_sweep *s, long idx, ntk_point *pt)
{
    double vals[VALS_MAX];
    memset(pt, 0, sizeof *pt);
    memcpy(vals, s->base, (size_t)s->nslots * sizeof(double));
    long cfg = apply_axes_(s, idx, vals);
    int np;
    const spec_param *tab = spec_param_table(&np);
    for (int i = 0; i < s->nderived; i++) {
        const spec_derived *d = &s->derived[i];
        double v = spec_expr_eval(&d->expr, vals);
        const spec_param *p = NULL;
        for (int j = 0; j < np && !p; j++)
            if (tab[j].slot == d->slot && tab[j].variance == d->variance) p = &tab[j];
        if (p->cons == SC_POSINT || p->cons == SC_NATURAL) v = round(v);
        if (!spec_check_value(p->cons, v)) {
            char label[512];
            spec_point_label(s, idx, label, sizeof label);
            static const char *const what[] = {"a value",
                                               "a non-negative number",
                                               "a finite number",
                                               "a positive integer",
                                               "a number > 1/2",
                                               "a positive number",
                                               "a number in [-1, 1]",
                                               "a non-negative integer"};
            return ntk_error_set(NTK_ESPEC,
                                 "%s:%d:%d: key 'derived.%s': at grid point %ld %s the "
                                 "expression '%.200s' gives %.10g; expected %s",
                                 s->filename, d->mark.line, d->mark.col, d->name, idx, label,
                                 d->text, v, what[p->cons]);
        }
        vals[d->slot] = d->variance ? sqrt(v) : v;
    }
    ntk_model *m = &pt->model;
    ntk_model_default(m);
    m->arch = (ntk_arch_kind)(int)vals[SP_ARCH];
    m->act.kind = (ntk_act_kind)(int)vals[SP_ACT];
    m->act.alpha = m->act.kind == NTK_ACT_ALPHA_RELU ? vals[SP_RELU_ALPHA] : 1.0;
    m->param = (ntk_param_kind)(int)vals[SP_PARAM];
    m->stem = (ntk_stem_kind)(int)vals[SP_STEM];
    m->alpha.kind = (ntk_alpha_kind)(int)vals[SP_ALPHA_SCHEDULE];
    m->alpha.value = vals[SP_ALPHA];
    m->alpha.gamma = vals[SP_GAMMA];
    if (m->alpha.kind == NTK_ALPHA_LIST) {
        m->alpha.list = s->alpha_list;
        m->alpha.nlist = s->n_alpha_list;
    }
    m->act_mult = vals[SP_ACT_MULT];
    m->sigma_w = vals[SP_SIGMA_W];
    m->sigma_b = vals[SP_SIGMA_B];
    m->sigma_v = vals[SP_SIGMA_V];
    m->sigma_a = vals[SP_SIGMA_A];
    m->sigma_in = vals[SP_SIGMA_IN];
    m->sigma_in_b = vals[SP_SIGMA_IN_B];
    m->sigma_out = vals[SP_SIGMA_OUT];
    m->sigma_out_b = vals[SP_SIGMA_OUT_B];
    m->m = (int)vals[SP_M];
    m->depth = (long)vals[SP_DEPTH];
    if (m->arch == NTK_ARCH_CNN1D) {
        m->positions = (int)vals[SP_POSITIONS];
        m->kernel_half = (int)vals[SP_KERNEL_HALF];
        m->readout = (ntk_readout_kind)(int)vals[SP_READOUT];
    }
    m->trained = s->trained;
    pt->width = (long)vals[SP_WIDTH];
    /* The input is the stream of rrn/frn (x^0 has the width of the network); otherwise d as
     * given, or by default the smallest dimension that holds the inputs (at least 2). */
    if ((m->arch == NTK_ARCH_RRN || m->arch == NTK_ARCH_FRN) && pt->width > 0)
        m->d = (int)(pt->width < 1000000000L ? pt->width : 1000000000L);
    else if (s->d_given || s->src[SP_D] != 0)
        m->d = (int)vals[SP_D];
    else
        m->d = s->in_rank > 2 ? s->in_rank : 2;
    pt->index = idx;
    pt->k = s->k;
    pt->gram = s->grams + (size_t)cfg * s->k * s->k;
    pt->theory = s->theory;
    pt->sim = s->sim;
    pt->samples = s->sim ? s->samples : 0;
    pt->chunk = s->chunk;
    pt->keep_samples = s->sim ? s->keep_samples : 0;
    pt->engine = s->engine;
    pt->key = point_key_(s, pt, cfg);
    point_cost_(s, pt);
    point_memory_(pt);
    return 0;
}

double spec_point_archive_bytes(const ntk_sweep *s)
{
    int k = s->k;
    long L = s->out.layers == NTK_LAYERS_FINAL ? 1 : s->max_depth + 1;
    ntk_qty_shape sh = {L, NTK_GROUP_COUNT, NTK_STAT_COUNT, k, k * (k + 1) / 2, 0};
    double v = 1.0; /* status / completion mask (8 bytes) */
    if (s->theory) {
        for (int q = 0; q < NTK_TQ_COUNT; q++)
            if (ntk_sweep_quantity_selected(s, NTK_PART_THEORY, theory_names_[q]))
                v += (double)ntk_qty_size(theory_dims_[q], &sh);
    }
    if (s->sim) {
        v += sim_selected_size_(s, L, k, 1);
        v += (double)s->keep_samples * sim_selected_size_(s, L, k, 0);
    }
    return 8.0 * v;
}

int ntk_sweep_point(const ntk_sweep *s, long idx, ntk_point *pt)
{
    if (idx < 0 || idx >= s->npoints)
        return ntk_error_set(NTK_EINVAL, "sweep '%s': point index %ld outside [0, %ld)", s->name,
                             idx, s->npoints);
    return spec_point_build(s, idx, pt);
}

uint64_t ntk_sweep_point_key(const ntk_sweep *s, long idx)
{
    ntk_point pt;
    if (ntk_sweep_point(s, idx, &pt) < 0) return 0;
    return pt.key;
}

double ntk_sweep_point_cost(const ntk_sweep *s, long idx)
{
    ntk_point pt;
    if (ntk_sweep_point(s, idx, &pt) < 0) return -1.0;
    return pt.cost_theory + pt.cost_sim;
}

int ntk_sweep_point_indices(const ntk_sweep *s, long idx, long *ix)
{
    if (idx < 0 || idx >= s->npoints)
        return ntk_error_set(NTK_EINVAL, "sweep '%s': point index %ld outside [0, %ld)", s->name,
                             idx, s->npoints);
    for (int a = s->naxes - 1; a >= 0; a--) {
        ix[a] = idx % s->axes[a].n;
        idx /= s->axes[a].n;
    }
    return 0;
}

long ntk_sweep_point_index(const ntk_sweep *s, const long *ix)
{
    long idx = 0;
    for (int a = 0; a < s->naxes; a++) {
        if (ix[a] < 0 || ix[a] >= s->axes[a].n) return -1;
        idx = idx * s->axes[a].n + ix[a];
    }
    return idx;
}

/* ------------------------------------------------------------------ accessors */

const char *ntk_sweep_name(const ntk_sweep *s)
{
    return s->name;
}

const char *ntk_sweep_description(const ntk_sweep *s)
{
    return s->description ? s->description : "";
}

uint64_t ntk_sweep_seed(const ntk_sweep *s)
{
    return s->seed;
}

const char *ntk_sweep_text(const ntk_sweep *s, size_t *len)
{
    if (len) *len = s->text_len;
    return s->text;
}

uint64_t ntk_sweep_hash(const ntk_sweep *s)
{
    return s->hash;
}

const char *ntk_sweep_filename(const ntk_sweep *s)
{
    return s->filename;
}

int ntk_sweep_naxes(const ntk_sweep *s)
{
    return s->naxes;
}

static void member_info_(const spec_member *m, long n, ntk_axis_info *info)
{
    memset(info, 0, sizeof *info);
    info->name = m->name;
    info->units = m->units;
    info->description = m->description;
    info->n = n;
    info->values = m->categorical ? NULL : m->values;
    info->labels = m->categorical ? (const char *const *)m->labels : NULL;
    info->integer = m->integer;
}

int ntk_sweep_axis(const ntk_sweep *s, int a, ntk_axis_info *info)
{
    if (a < 0 || a >= s->naxes)
        return ntk_error_set(NTK_EINVAL, "sweep '%s': axis %d outside [0, %d)", s->name, a,
                             s->naxes);
    const spec_axis *ax = &s->axes[a];
    if (ax->zip) {
        memset(info, 0, sizeof *info);
        info->name = ax->name;
        info->n = ax->n;
        info->labels = (const char *const *)ax->labels;
        info->n_members = ax->n_members;
    } else {
        member_info_(&ax->members[0], ax->n, info);
    }
    info->units = ax->units;
    info->description = ax->description;
    return 0;
}

int ntk_sweep_axis_member(const ntk_sweep *s, int a, int j, ntk_axis_info *info)
{
    if (a < 0 || a >= s->naxes || j < 0 || j >= s->axes[a].n_members || !s->axes[a].zip)
        return ntk_error_set(NTK_EINVAL, "sweep '%s': no member %d of axis %d", s->name, j, a);
    member_info_(&s->axes[a].members[j], s->axes[a].n, info);
    return 0;
}

long ntk_sweep_npoints(const ntk_sweep *s)
{
    return s->npoints;
}

long ntk_sweep_max_depth(const ntk_sweep *s)
{
    return s->max_depth;
}

int ntk_sweep_max_k(const ntk_sweep *s)
{
    return s->k;
}

long ntk_sweep_max_width(const ntk_sweep *s)
{
    return s->max_width;
}

int ntk_sweep_theory_enabled(const ntk_sweep *s)
{
    return s->theory;
}

int ntk_sweep_sim_enabled(const ntk_sweep *s)
{
    return s->sim;
}

int ntk_sweep_nquantities(const ntk_sweep *s, ntk_part part)
{
    if (part == NTK_PART_THEORY) return s->tq_all ? NTK_TQ_COUNT : s->ntq;
    return s->sq_all ? 0 : s->nsq;
}

const char *ntk_sweep_quantity(const ntk_sweep *s, ntk_part part, int i)
{
    if (part == NTK_PART_THEORY) {
        if (s->tq_all) return i >= 0 && i < NTK_TQ_COUNT ? theory_names_[i] : NULL;
        return i >= 0 && i < s->ntq ? s->tq[i].name : NULL;
    }
    return !s->sq_all && i >= 0 && i < s->nsq ? s->sq[i].name : NULL;
}

int ntk_sweep_quantity_selected(const ntk_sweep *s, ntk_part part, const char *name)
{
    int all = part == NTK_PART_THEORY ? s->tq_all : s->sq_all;
    const spec_qname *q = part == NTK_PART_THEORY ? s->tq : s->sq;
    int n = part == NTK_PART_THEORY ? s->ntq : s->nsq;
    if (all) return 1;
    for (int i = 0; i < n; i++)
        if (strcmp(q[i].name, name) == 0) return 1;
    return 0;
}

int ntk_sweep_check_quantities(const ntk_sweep *s, ntk_part part, const ntk_qty_desc *table, int n)
{
    const spec_qname *q = part == NTK_PART_THEORY ? s->tq : s->sq;
    int nq = part == NTK_PART_THEORY ? s->ntq : s->nsq;
    const char *cand[256];
    int nc = n < 256 ? n : 256;
    for (int i = 0; i < nc; i++)
        cand[i] = table[i].name;
    for (int i = 0; i < nq; i++) {
        int ok = 0;
        for (int j = 0; j < n && !ok; j++)
            ok = strcmp(q[i].name, table[j].name) == 0;
        if (ok) continue;
        const char *sug = ntk_spec_suggest(q[i].name, cand, nc);
        const char *key = part == NTK_PART_THEORY ? "theory.quantities" : "sim.quantities";
        if (sug)
            return ntk_error_set(NTK_ESPEC,
                                 "%s:%d:%d: key '%s': unknown quantity '%s' (did you mean '%s'?)",
                                 s->filename, q[i].mark.line, q[i].mark.col, key, q[i].name, sug);
        return ntk_error_set(NTK_ESPEC, "%s:%d:%d: key '%s': unknown quantity '%s'", s->filename,
                             q[i].mark.line, q[i].mark.col, key, q[i].name);
    }
    return 0;
}

const ntk_output_opts *ntk_sweep_output(const ntk_sweep *s)
{
    return &s->out;
}

double ntk_sweep_archive_bytes(const ntk_sweep *s)
{
    return s->archive_bytes;
}

double ntk_sweep_max_point_bytes(const ntk_sweep *s)
{
    return s->max_point_bytes;
}

/* ------------------------------------------------------------------ description */

/* A growing string. */
typedef struct {
    char *p;
    size_t len, cap;
    int oom;
} sbuf;

static void sb_printf_(sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void sb_printf_(sbuf *b, const char *fmt, ...)
{
    if (b->oom) return;
    for (;;) {
        va_list ap;
        va_start(ap, fmt);
        int n = vsnprintf(b->p ? b->p + b->len : NULL, b->p ? b->cap - b->len : 0, fmt, ap);
        va_end(ap);
        if (n < 0) {
            b->oom = 1;
            return;
        }
        if (b->p && b->len + (size_t)n < b->cap) {
            b->len += (size_t)n;
            return;
        }
        size_t cap = b->cap ? b->cap : 4096;
        while (cap <= b->len + (size_t)n)
            cap *= 2;
        char *np = realloc(b->p, cap);
        if (!np) {
            b->oom = 1;
            return;
        }
        b->p = np;
        b->cap = cap;
    }
}

/* Shortest "%.Ng" that reads back as exactly v. */
static void sb_num_(sbuf *b, const char *prefix, double v)
{
    char buf[40];
    for (int prec = 15; prec <= 17; prec++) {
        snprintf(buf, sizeof buf, "%.*g", prec, v);
        if (strtod(buf, NULL) == v) break;
    }
    sb_printf_(b, "%s%s", prefix, buf);
}

/* A YAML double-quoted string. */
static void sb_quoted_(sbuf *b, const char *v)
{
    sb_printf_(b, "\"");
    for (const char *p = v; *p; p++) {
        unsigned char ch = (unsigned char)*p;
        if (ch == '"' || ch == '\\')
            sb_printf_(b, "\\%c", ch);
        else if (ch == '\n')
            sb_printf_(b, "\\n");
        else if (ch < 0x20)
            sb_printf_(b, "\\x%02x", ch);
        else
            sb_printf_(b, "%c", ch);
    }
    sb_printf_(b, "\"");
}

static void sb_member_values_(sbuf *b, const spec_member *m, long n)
{
    sb_printf_(b, "[");
    for (long i = 0; i < n; i++) {
        if (m->categorical)
            sb_printf_(b, "%s%s", i ? ", " : "", m->labels[i]);
        else
            sb_num_(b, i ? ", " : "", m->values[i]);
    }
    sb_printf_(b, "]");
}

static const char *const src_names_[] = {"default", "fixed", "grid", "derived"};

char *ntk_sweep_effective_config(const ntk_sweep *s)
{
    sbuf b = {0};
    int np;
    const spec_param *tab = spec_param_table(&np);
    sb_printf_(&b, "name: %s\ndescription: ", s->name);
    sb_quoted_(&b, ntk_sweep_description(s));
    sb_printf_(&b, "\nseed: %llu\nmodel:\n", (unsigned long long)s->seed);
    for (int i = 0; i < np; i++) {
        const spec_param *p = &tab[i];
        if (p->slot == SP_ANGLE || p->slot == SP_RHO || p->slot == SP_Q0) continue;
        int src = s->src[p->slot];
        /* One spelling per slot: the one the spec used (std by default). */
        if (p->variance != s->src_variance[p->slot]) continue;
        if (src == 2 || src == 3) {
            sb_printf_(&b, "  # %s: %s\n", p->name, src_names_[src]);
            continue;
        }
        if (p->slot == SP_WIDTH && s->base[SP_WIDTH] <= 0) continue;
        if (p->slot == SP_D && !s->d_given) continue;
        if ((p->slot == SP_POSITIONS || p->slot == SP_KERNEL_HALF || p->slot == SP_READOUT) &&
            !s->cnn_any)
            continue; /* cnn1d only */
        if (p->slot == SP_ALPHA_SCHEDULE && (int)s->base[p->slot] == NTK_ALPHA_LIST)
            continue; /* implied by alpha_list */
        double v = s->base[p->slot];
        if (p->cons == SC_CATEGORY)
            sb_printf_(&b, "  %s: %s", p->name, spec_category_name(p->slot, (int)v));
        else {
            sb_printf_(&b, "  %s: ", p->name);
            sb_num_(&b, "", src == 1 ? s->written[p->slot] : v);
        }
        sb_printf_(&b, "%s\n", src == 0 ? "  # default" : "");
    }
    sb_printf_(&b, "  trained: [");
    for (int g = 0, first = 1; g < NTK_GROUP_COUNT; g++)
        if (s->trained & NTK_GROUP_BIT(g)) {
            sb_printf_(&b, "%s%s", first ? "" : ", ", ntk_group_name(g));
            first = 0;
        }
    sb_printf_(&b, "]\n");
    if (s->alpha_list) {
        sb_printf_(&b, "  alpha_list: [");
        for (long i = 0; i < s->n_alpha_list; i++)
            sb_num_(&b, i ? ", " : "", s->alpha_list[i]);
        sb_printf_(&b, "]\n");
    }
    if (s->positions > 1)
        sb_printf_(&b,
                   "inputs:  # %d inputs x %d positions = k = %d virtual inputs, Gram rank %d\n",
                   s->kr, s->positions, s->k, s->in_rank);
    else
        sb_printf_(&b, "inputs:  # k = %d inputs, Gram rank %d\n", s->k, s->in_rank);
    switch (s->in_mode) {
    case IN_PAIR:
        if (s->src[SP_ANGLE] == 1) {
            sb_num_(&b, "  angle: ", s->base[SP_ANGLE]);
            sb_printf_(&b, "\n");
        } else if (s->src[SP_RHO] != 2 && s->src[SP_ANGLE] != 2) {
            sb_num_(&b, "  rho: ", s->base[SP_RHO]);
            sb_printf_(&b, "%s\n", s->src[SP_RHO] == 0 ? "  # default" : "");
        }
        break;
    case IN_ANGLES:
        sb_printf_(&b, "  angles: [");
        for (int i = 1; i < s->kr; i++)
            sb_num_(&b, i > 1 ? ", " : "", s->in_angles[i]);
        sb_printf_(&b, "]\n");
        break;
    case IN_CIRCLE:
        sb_printf_(&b, "  circle: %d\n", s->kr);
        break;
    case IN_GRAM:
        sb_printf_(&b, "  gram:\n");
        for (int i = 0; i < s->kr; i++) {
            sb_printf_(&b, "    - [");
            for (int j = 0; j < s->kr; j++)
                sb_num_(&b, j ? ", " : "", s->in_gram[i * s->kr + j]);
            sb_printf_(&b, "]\n");
        }
        break;
    case IN_SIGNALS:
        sb_printf_(&b, "  signals:  # %d channels x %d positions each\n", s->in_d, s->positions);
        for (int i = 0; i < s->kr; i++) {
            sb_printf_(&b, "    - [");
            for (int ch = 0; ch < s->in_d; ch++) {
                sb_printf_(&b, "%s[", ch ? ", " : "");
                for (int a = 0; a < s->positions; a++)
                    sb_num_(&b, a ? ", " : "",
                            s->in_signals[((size_t)i * s->in_d + ch) * s->positions + a]);
                sb_printf_(&b, "]");
            }
            sb_printf_(&b, "]\n");
        }
        break;
    case IN_COSINE:
        sb_printf_(&b, "  cosine:\n    frequencies: [");
        for (int i = 0; i < s->kr; i++)
            sb_num_(&b, i ? ", " : "", s->in_freq[i]);
        sb_printf_(&b, "]\n    phases: [");
        for (int i = 0; i < s->kr; i++)
            sb_num_(&b, i ? ", " : "", s->in_phase[i]);
        sb_printf_(&b, "]\n");
        break;
    }
    if (s->in_mode != IN_GRAM && s->in_mode != IN_SIGNALS && s->src[SP_Q0] != 2) {
        if (s->norms_list) {
            sb_printf_(&b, "  norms: [");
            for (int i = 0; i < s->kr; i++)
                sb_num_(&b, i ? ", " : "", s->in_norms[i]);
            sb_printf_(&b, "]\n");
        } else {
            sb_num_(&b, "  norms: ", s->base[SP_Q0]);
            sb_printf_(&b, "%s\n", s->src[SP_Q0] == 0 ? "  # default" : "");
        }
    }
    if (s->naxes) {
        sb_printf_(&b, "grid:  # %ld points, row-major (last axis fastest)\n", s->npoints);
        for (int a = 0; a < s->naxes; a++) {
            const spec_axis *ax = &s->axes[a];
            if (ax->zip) {
                sb_printf_(&b, "  %s:\n    labels: [", ax->name);
                for (long i = 0; i < ax->n; i++) {
                    sb_printf_(&b, "%s", i ? ", " : "");
                    sb_quoted_(&b, ax->labels[i]);
                }
                sb_printf_(&b, "]\n    zip:\n");
                for (int j = 0; j < ax->n_members; j++) {
                    sb_printf_(&b, "      %s: ", ax->members[j].name);
                    sb_member_values_(&b, &ax->members[j], ax->n);
                    sb_printf_(&b, "\n");
                }
            } else {
                sb_printf_(&b, "  %s: ", ax->name);
                sb_member_values_(&b, &ax->members[0], ax->n);
                sb_printf_(&b, "\n");
            }
        }
    }
    if (s->nderived) {
        sb_printf_(&b, "derived:  # evaluated in this order\n");
        for (int i = 0; i < s->nderived; i++) {
            sb_printf_(&b, "  %s: ", s->derived[i].name);
            sb_quoted_(&b, s->derived[i].text);
            sb_printf_(&b, "\n");
        }
    }
    sb_printf_(&b, "theory:\n  enabled: %s\n  quantities: ", s->theory ? "true" : "false");
    if (s->tq_all)
        sb_printf_(&b, "all\n");
    else {
        sb_printf_(&b, "[");
        for (int i = 0; i < s->ntq; i++)
            sb_printf_(&b, "%s%s", i ? ", " : "", s->tq[i].name);
        sb_printf_(&b, "]\n");
    }
    if (s->sim) {
        static const char *const eng[] = {"auto", "dense", "conditional"};
        sb_printf_(&b,
                   "sim:\n  enabled: true\n  samples: %ld\n  engine: %s\n  chunk: %ld\n"
                   "  keep_samples: %ld\n  quantities: ",
                   s->samples, eng[s->engine], s->chunk, s->keep_samples);
        if (s->sq_all)
            sb_printf_(&b, "all\n");
        else {
            sb_printf_(&b, "[");
            for (int i = 0; i < s->nsq; i++)
                sb_printf_(&b, "%s%s", i ? ", " : "", s->sq[i].name);
            sb_printf_(&b, "]\n");
        }
    } else {
        sb_printf_(&b, "sim:\n  enabled: false\n");
    }
    sb_printf_(&b, "output:\n  path: ");
    sb_quoted_(&b, s->out.path);
    sb_printf_(&b, "\n  layers: %s\n  compression: %d\n  checksum: %s\n",
               s->out.layers == NTK_LAYERS_FINAL ? "final" : "all", s->out.compression,
               s->out.checksum ? "true" : "false");
    sb_num_(&b, "  max_bytes: ", s->out.max_bytes);
    sb_num_(&b, "\n  max_point_bytes: ", s->out.max_point_bytes);
    sb_printf_(&b, "\n");
    if (b.oom) {
        free(b.p);
        return NULL;
    }
    return b.p;
}

static void human_bytes_(double v, char *buf, size_t n)
{
    const char *u[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB"};
    int i = 0;
    while (v >= 1024.0 && i < 5) {
        v /= 1024.0;
        i++;
    }
    snprintf(buf, n, i ? "%.3g %s" : "%.0f %s", v, u[i]);
}

static void human_secs_(double v, char *buf, size_t n)
{
    if (v < 120)
        snprintf(buf, n, "%.3g s", v);
    else if (v < 7200)
        snprintf(buf, n, "%.3g min", v / 60);
    else if (v < 172800)
        snprintf(buf, n, "%.3g h", v / 3600);
    else
        snprintf(buf, n, "%.3g days", v / 86400);
}

int ntk_sweep_describe(const ntk_sweep *s, FILE *f)
{
    sbuf b = {0};
    sb_printf_(&b, "sweep '%s'  (spec %s, hash %016llx)\n", s->name, s->filename,
               (unsigned long long)s->hash);
    if (s->description && s->description[0]) sb_printf_(&b, "  %s\n", s->description);
    sb_printf_(&b, "\naxes: %d (row-major, last axis fastest)\n", s->naxes);
    for (int a = 0; a < s->naxes; a++) {
        const spec_axis *ax = &s->axes[a];
        sb_printf_(&b, "  %-14s %6ld values  [%s]  %s\n", ax->name, ax->n, ax->units,
                   ax->description);
        int nm = ax->zip ? ax->n_members + 1 : 1;
        for (int j = 0; j < nm; j++) {
            const spec_member *m = ax->zip ? (j ? &ax->members[j - 1] : NULL) : &ax->members[0];
            if (ax->zip)
                sb_printf_(&b, "      %-10s", j ? m->name : "labels");
            else
                sb_printf_(&b, "      ");
            for (long i = 0; i < ax->n; i++) {
                if (ax->n > 16 && i == 10) {
                    sb_printf_(&b, " ...");
                    i = ax->n - 4;
                }
                if (!m)
                    sb_printf_(&b, " %s", ax->labels[i]);
                else if (m->categorical)
                    sb_printf_(&b, " %s", m->labels[i]);
                else
                    sb_printf_(&b, " %.6g", m->values[i]);
            }
            sb_printf_(&b, "\n");
        }
    }
    for (int i = 0; i < s->nderived; i++)
        sb_printf_(&b, "  derived %s = %s\n", s->derived[i].name, s->derived[i].text);

    /* Totals over every point (over an evenly spaced sample of 10^6 points, scaled, for
     * larger grids). */
    double ct = 0.0, cs = 0.0, cmax = 0.0, tasks_t = 0.0, tasks_s = 0.0;
    long step = s->npoints > 1000000L ? s->npoints / 1000000L : 1, visited = 0;
    for (long i = 0; i < s->npoints; i += step) {
        ntk_point pt;
        if (spec_point_build(s, i, &pt) < 0) break;
        visited++;
        ct += pt.cost_theory;
        cs += pt.cost_sim;
        if (pt.cost_theory + pt.cost_sim > cmax) cmax = pt.cost_theory + pt.cost_sim;
        tasks_t += pt.theory;
        if (pt.sim) tasks_s += (double)((pt.samples + pt.chunk - 1) / pt.chunk);
    }
    double scale = visited ? (double)s->npoints / (double)visited : 0.0;
    ct *= scale;
    cs *= scale;
    tasks_t *= scale;
    tasks_s *= scale;
    char b1[32], b2[32], b3[32], b4[32];
    sb_printf_(&b, "\npoints: %ld   inputs per point: k = %d", s->npoints, s->k);
    if (s->positions > 1) sb_printf_(&b, " (%d inputs x %d positions)", s->kr, s->positions);
    sb_printf_(&b, "   max depth: %ld", s->max_depth);
    if (s->max_width) sb_printf_(&b, "   max width: %ld", s->max_width);
    sb_printf_(&b, "\ntasks: %.0f theory + %.0f simulation%s", tasks_t, tasks_s,
               step > 1 ? " (estimated from a sample of the points)" : "");
    if (s->sim) sb_printf_(&b, " (%ld samples per point, %ld per task)", s->samples, s->chunk);
    human_secs_(ct, b1, sizeof b1);
    human_secs_(cs, b2, sizeof b2);
    human_secs_(cmax, b3, sizeof b3);
    sb_printf_(&b, "\nestimated cost (one core): theory %s, simulation %s; largest point %s\n", b1,
               b2, b3);
    human_bytes_(s->archive_bytes, b1, sizeof b1);
    human_bytes_(s->out.max_bytes, b2, sizeof b2);
    human_bytes_(s->max_point_bytes, b3, sizeof b3);
    human_bytes_(s->out.max_point_bytes, b4, sizeof b4);
    sb_printf_(&b,
               "estimated archive: %s uncompressed (limit %s); largest point memory %s "
               "(limit %s)\n",
               b1, b2, b3, b4);
    sb_printf_(&b, "\neffective configuration:\n");
    char *eff = ntk_sweep_effective_config(s);
    if (eff) {
        sb_printf_(&b, "%s", eff);
        free(eff);
    } else {
        b.oom = 1;
    }
    if (b.oom) {
        free(b.p);
        return ntk_error_set(NTK_ENOMEM, "out of memory describing sweep '%s'", s->name);
    }
    int rc = fputs(b.p, f) < 0 ? ntk_error_set(NTK_EIO, "cannot write the description") : 0;
    free(b.p);
    return rc;
}
