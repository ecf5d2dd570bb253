/* layout.c - validation, sizes and record packing of archive layouts (see archive.h). */
#include "ntksweep/archive.h"

#include "ntksweep/error.h"

#include <math.h>
#include <string.h>

#define NTK_ARCHIVE_MAX_AXES 16

static const char *const reserved_[] = {"layer",  "group",   "sample",      "stat",
                                        "pair",   "input",   "pair_i",      "pair_j",
                                        "status", "seconds", "n_nonfinite", "provenance"};

static int bad_name(const char *what, const char *name)
{
    if (!name || !name[0]) return ntk_error_set(NTK_EINVAL, "archive layout: %s has no name", what);
    if (strchr(name, '/') || strchr(name, ',') || name[0] == '_' || name[0] == '.')
        return ntk_error_set(NTK_EINVAL,
                             "archive layout: %s name '%s' may not contain '/' or ',' nor start "
                             "with '_' or '.'",
                             what, name);
    return 0;
}

/* Checks name against the reserved names and the n names seen so far. */
static int clash(const char *what, const char *name, const char **seen, int n)
{
    for (size_t i = 0; i < sizeof reserved_ / sizeof *reserved_; i++)
        if (strcmp(name, reserved_[i]) == 0)
            return ntk_error_set(NTK_EINVAL, "archive layout: %s name '%s' is reserved", what,
                                 name);
    for (int i = 0; i < n; i++)
        if (strcmp(name, seen[i]) == 0)
            return ntk_error_set(NTK_EINVAL, "archive layout: %s name '%s' is used twice", what,
                                 name);
    return 0;
}

int ntk_archive_layout_check(const ntk_archive_layout *lay)
{
    if (!lay) return ntk_error_set(NTK_EINVAL, "archive layout: NULL");
    if (lay->n_axes < 1 || lay->n_axes > NTK_ARCHIVE_MAX_AXES || !lay->axes)
        return ntk_error_set(NTK_EINVAL, "archive layout: %d axes (need 1 to %d)", lay->n_axes,
                             NTK_ARCHIVE_MAX_AXES);
    /* Axis and auxiliary names share one namespace per section group with the quantities. */
    const char *seen[256];
    int nseen = 0;
    double npts = 1;
    for (int a = 0; a < lay->n_axes; a++) {
        const ntk_archive_axis *ax = &lay->axes[a];
        NTK_TRY(bad_name("axis", ax->name));
        NTK_TRY(clash("axis", ax->name, seen, nseen));
        if (nseen < 256) seen[nseen++] = ax->name;
        if (ax->n < 1)
            return ntk_error_set(NTK_EINVAL, "archive layout: axis '%s' has %ld values", ax->name,
                                 ax->n);
        npts *= (double)ax->n;
        if (!ax->values == !ax->labels)
            return ntk_error_set(NTK_EINVAL,
                                 "archive layout: axis '%s' needs exactly one of values, labels",
                                 ax->name);
        for (long i = 0; i < ax->n; i++) {
            if (ax->values && !isfinite(ax->values[i]))
                return ntk_error_set(
                    NTK_EINVAL, "archive layout: axis '%s' value %ld is not finite", ax->name, i);
            if (ax->labels && !ax->labels[i])
                return ntk_error_set(NTK_EINVAL, "archive layout: axis '%s' label %ld is NULL",
                                     ax->name, i);
        }
        if (ax->n_aux < 0 || (ax->n_aux > 0 && !ax->aux))
            return ntk_error_set(NTK_EINVAL, "archive layout: axis '%s': bad auxiliary list",
                                 ax->name);
        for (int j = 0; j < ax->n_aux; j++) {
            NTK_TRY(bad_name("auxiliary coordinate", ax->aux[j].name));
            NTK_TRY(clash("auxiliary coordinate", ax->aux[j].name, seen, nseen));
            if (nseen < 256) seen[nseen++] = ax->aux[j].name;
            if (!ax->aux[j].values)
                return ntk_error_set(NTK_EINVAL,
                                     "archive layout: auxiliary coordinate '%s' has no values",
                                     ax->aux[j].name);
        }
    }
    if (npts > 9.0e15)
        return ntk_error_set(NTK_EINVAL, "archive layout: %.3g grid points is too many", npts);
    if (lay->n_layer < 1)
        return ntk_error_set(NTK_EINVAL, "archive layout: layer length %ld (need >= 1)",
                             lay->n_layer);
    if (lay->k < 1)
        return ntk_error_set(NTK_EINVAL, "archive layout: k = %d inputs (need >= 1)", lay->k);
    if (lay->deflate < 0 || lay->deflate > 9)
        return ntk_error_set(NTK_EINVAL, "archive layout: deflate level %d (need 0..9)",
                             lay->deflate);
    if (lay->chunk_points < 0)
        return ntk_error_set(NTK_EINVAL, "archive layout: chunk_points %ld < 0", lay->chunk_points);
    if (lay->n_sections < 1 || !lay->sections)
        return ntk_error_set(NTK_EINVAL, "archive layout: no sections");
    for (int s = 0; s < lay->n_sections; s++) {
        const ntk_archive_section *sec = &lay->sections[s];
        NTK_TRY(bad_name("section", sec->name));
        for (int t = 0; t < s; t++)
            if (strcmp(sec->name, lay->sections[t].name) == 0)
                return ntk_error_set(NTK_EINVAL, "archive layout: section '%s' is used twice",
                                     sec->name);
        if (strcmp(sec->name, "provenance") == 0)
            return ntk_error_set(NTK_EINVAL, "archive layout: section name 'provenance' is "
                                             "reserved");
        if (sec->n_qty < 1 || !sec->qty)
            return ntk_error_set(NTK_EINVAL, "archive layout: section '%s' has no quantities",
                                 sec->name);
        int nseen_s = nseen;
        for (int q = 0; q < sec->n_qty; q++) {
            const ntk_qty_desc *d = &sec->qty[q];
            NTK_TRY(bad_name("quantity", d->name));
            int r = clash("quantity", d->name, seen, nseen_s);
            if (r) return ntk_error_prefix(r, "section '%s'", sec->name);
            if (nseen_s < 256) seen[nseen_s++] = d->name;
            unsigned all = NTK_DIM_LAYER | NTK_DIM_GROUP | NTK_DIM_SAMPLE | NTK_DIM_STAT |
                           NTK_DIM_PAIR | NTK_DIM_INPUT;
            if ((d->dims & ~all) || ((d->dims & NTK_DIM_PAIR) && (d->dims & NTK_DIM_INPUT)))
                return ntk_error_set(NTK_EINVAL,
                                     "archive layout: quantity '%s/%s' has invalid dims 0x%x",
                                     sec->name, d->name, d->dims);
            if ((d->dims & NTK_DIM_GROUP) && lay->n_group < 1)
                return ntk_error_set(NTK_EINVAL,
                                     "archive layout: quantity '%s/%s' needs n_group >= 1",
                                     sec->name, d->name);
            if ((d->dims & NTK_DIM_SAMPLE) && lay->n_sample < 1)
                return ntk_error_set(NTK_EINVAL,
                                     "archive layout: quantity '%s/%s' needs n_sample >= 1",
                                     sec->name, d->name);
            if ((d->dims & NTK_DIM_STAT) && lay->n_stat < 1)
                return ntk_error_set(NTK_EINVAL,
                                     "archive layout: quantity '%s/%s' needs n_stat >= 1",
                                     sec->name, d->name);
        }
    }
    return 0;
}

long ntk_archive_npoints(const ntk_archive_layout *lay)
{
    long n = 1;
    for (int a = 0; a < lay->n_axes; a++)
        n *= lay->axes[a].n;
    return n;
}

size_t ntk_archive_qty_count(const ntk_archive_layout *lay, unsigned dims)
{
    ntk_qty_shape sh = {lay->n_layer, lay->n_group, lay->n_stat, lay->k, lay->k * (lay->k + 1) / 2,
                        lay->n_sample};
    return ntk_qty_size(dims, &sh);
}

size_t ntk_archive_record_size(const ntk_archive_layout *lay, int section)
{
    if (section < 0 || section >= lay->n_sections) return 0;
    size_t n = 0;
    const ntk_archive_section *s = &lay->sections[section];
    for (int q = 0; q < s->n_qty; q++)
        n += ntk_archive_qty_count(lay, s->qty[q].dims);
    return n;
}

int ntk_archive_pack(const ntk_archive_layout *lay, int section, const ntk_qty_shape *sh,
                     const double *const *qty, double *record)
{
    if (section < 0 || section >= lay->n_sections)
        return ntk_error_set(NTK_EINVAL, "archive pack: no section %d", section);
    const ntk_archive_section *s = &lay->sections[section];
    if (sh->n_layer < 1 || (lay->n_layer > 1 && sh->n_layer > lay->n_layer))
        return ntk_error_set(NTK_EINVAL,
                             "archive pack: %ld layer rows do not fit the archive's %ld",
                             sh->n_layer, lay->n_layer);
    size_t off = 0;
    for (int q = 0; q < s->n_qty; q++) {
        unsigned dims = s->qty[q].dims;
        size_t cnt = ntk_archive_qty_count(lay, dims);
        double *dst = record + off;
        off += cnt;
        if (!qty || !qty[q]) {
            for (size_t i = 0; i < cnt; i++)
                dst[i] = NAN;
            continue;
        }
        if (((dims & NTK_DIM_GROUP) && sh->n_group != lay->n_group) ||
            ((dims & NTK_DIM_STAT) && sh->n_stat != lay->n_stat) ||
            ((dims & (NTK_DIM_PAIR | NTK_DIM_INPUT)) && sh->n_input != lay->k) ||
            ((dims & NTK_DIM_PAIR) && sh->n_pair != lay->k * (lay->k + 1) / 2))
            return ntk_error_set(NTK_EINVAL,
                                 "archive pack: quantity '%s/%s' is shaped for other "
                                 "groups/stats/inputs than the archive",
                                 s->name, s->qty[q].name);
        if ((dims & NTK_DIM_SAMPLE) && (sh->n_sample < 0 || sh->n_sample > lay->n_sample))
            return ntk_error_set(NTK_EINVAL,
                                 "archive pack: quantity '%s/%s' has %ld samples, the archive "
                                 "keeps %ld",
                                 s->name, s->qty[q].name, sh->n_sample, lay->n_sample);
        /* [layer][group][sample][rest]: outer rows of the archive (layer x group), each holding
         * n_sample sample blocks of `rest` doubles. */
        long n_lay = (dims & NTK_DIM_LAYER) ? lay->n_layer : 1;
        size_t n_grp = (dims & NTK_DIM_GROUP) ? (size_t)lay->n_group : 1;
        size_t s_dst = (dims & NTK_DIM_SAMPLE) ? (size_t)lay->n_sample : 1;
        size_t s_src = (dims & NTK_DIM_SAMPLE) ? (size_t)sh->n_sample : 1;
        size_t rest = cnt / ((size_t)n_lay * n_grp * s_dst);
        size_t src_row = n_grp * s_src * rest; /* doubles per source layer row */
        for (long l = 0; l < n_lay; l++) {
            double *drow = dst + (size_t)l * n_grp * s_dst * rest;
            long sl = !(dims & NTK_DIM_LAYER) ? 0 : (lay->n_layer == 1 ? sh->n_layer - 1 : l);
            if (sl >= sh->n_layer) {
                for (size_t i = 0; i < n_grp * s_dst * rest; i++)
                    drow[i] = NAN;
                continue;
            }
            const double *srow = qty[q] + (size_t)sl * src_row;
            if (s_src == s_dst) {
                memcpy(drow, srow, src_row * sizeof(double));
                continue;
            }
            for (size_t g = 0; g < n_grp; g++) {
                double *d = drow + g * s_dst * rest;
                if (s_src) memcpy(d, srow + g * s_src * rest, s_src * rest * sizeof(double));
                for (size_t i = s_src * rest; i < s_dst * rest; i++)
                    d[i] = NAN;
            }
        }
    }
    return 0;
}
