/* sim.c - the simulator's interpreter: runs an ntk_program's ops on a sampled network (forward,
 * backward, per-layer records), with workspaces allocated once per (program, width, k). The two
 * engines differ only in how a weight matrix meets the data (sim_dense.c, sim_cond.c). */
#include "ntksweep/error.h"
#include "ntksweep/sim.h"
#include "sim_priv.h"

#include <cblas.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------------ quantity tables */
static const ntk_qty_desc sim_qty_table_[NTK_SQ_COUNT] = {
#define NTK_SIM_QTY_ROW_(id, name, sym, units, desc, dims) {name, sym, units, desc, dims},
    NTK_SIM_QTY_MAP(NTK_SIM_QTY_ROW_)
#undef NTK_SIM_QTY_ROW_
};

static const ntk_qty_desc sim_result_table_[NTK_SR_COUNT] = {
#define NTK_SIM_RES_ROW_(id, name, sym, units, desc, dims)                                         \
    {name, sym, units, desc, (dims) | NTK_DIM_STAT},
    NTK_SIM_QTY_MAP(NTK_SIM_RES_ROW_)
#undef NTK_SIM_RES_ROW_
#define NTK_SIM_EXTRA_ROW_(id, name, sym, units, desc, dims) {name, sym, units, desc, dims},
        NTK_SIM_EXTRA_MAP(NTK_SIM_EXTRA_ROW_)
#undef NTK_SIM_EXTRA_ROW_
};

const ntk_qty_desc *ntk_sim_qty_table(void)
{
    return sim_qty_table_;
}

const ntk_qty_desc *ntk_sim_result_qty_table(void)
{
    return sim_result_table_;
}

void ntk_sim_layout_init(ntk_sim_layout *lay, long depth, int k)
{
    memset(lay, 0, sizeof *lay);
    lay->shape.n_layer = depth + 1;
    lay->shape.n_group = NTK_GROUP_COUNT;
    lay->shape.n_stat = 1;
    lay->shape.n_input = k;
    lay->shape.n_pair = k * (k + 1) / 2;
    size_t off = 0;
    for (int q = 0; q < NTK_SQ_COUNT; q++) {
        lay->offset[q] = off;
        lay->size[q] = ntk_qty_size(sim_qty_table_[q].dims, &lay->shape);
        off += lay->size[q];
    }
    lay->record_size = off;
}

static size_t qty_index(unsigned dims, const ntk_qty_shape *sh, long layer, int group, int stat,
                        int idx)
{
    size_t i = 0;
    if (dims & NTK_DIM_LAYER) i = (size_t)layer;
    if (dims & NTK_DIM_GROUP) i = i * (size_t)sh->n_group + (size_t)group;
    if (dims & NTK_DIM_STAT) i = i * (size_t)sh->n_stat + (size_t)stat;
    if (dims & NTK_DIM_PAIR)
        i = i * (size_t)sh->n_pair + (size_t)idx;
    else if (dims & NTK_DIM_INPUT)
        i = i * (size_t)sh->n_input + (size_t)idx;
    return i;
}

double *ntk_sim_record_at(const ntk_sim_layout *lay, double *record, int q, long layer, int group,
                          int idx)
{
    return record + lay->offset[q] +
           qty_index(sim_qty_table_[q].dims, &lay->shape, layer, group, 0, idx);
}

const char *ntk_sim_engine_name(ntk_sim_engine e)
{
    switch (e) {
    case NTK_SIM_AUTO:
        return "auto";
    case NTK_SIM_DENSE:
        return "dense";
    case NTK_SIM_CONDITIONAL:
        return "conditional";
    }
    return "unknown";
}

int ntk_sim_engine_parse(const char *name, ntk_sim_engine *e)
{
    for (int i = 0; i <= NTK_SIM_CONDITIONAL; i++)
        if (strcmp(name, ntk_sim_engine_name((ntk_sim_engine)i)) == 0) {
            *e = (ntk_sim_engine)i;
            return NTK_OK;
        }
    return ntk_error_set(
        NTK_EINVAL, "unknown simulation engine '%s' (expected auto, dense, conditional)", name);
}

static ntk_sim_engine resolve_engine(ntk_sim_engine e, long n, int k)
{
    if (e == NTK_SIM_AUTO) return 4L * k <= n ? NTK_SIM_CONDITIONAL : NTK_SIM_DENSE;
    return e;
}

/* ------------------------------------------------------------------ program analysis */
static const ntk_op *sec_ops(const ntk_program *p, int sec, int *nops)
{
    switch (sec) {
    case SEC_STEM:
        *nops = p->n_stem;
        return p->stem;
    case SEC_BLOCK:
        *nops = p->n_block;
        return p->block;
    default:
        *nops = p->n_head;
        return p->head;
    }
}

/* Propagates register widths w through the ops of a section, filling dims. */
static int section_dims(const ntk_program *p, int sec, long n, int k, long *w, ntk_opdim *dims,
                        long hist_width)
{
    int nops;
    const ntk_op *ops = sec_ops(p, sec, &nops);
    static const char *const secname[3] = {"stem", "block", "head"};
    for (int pos = 0; pos < nops; pos++) {
        const ntk_op *op = &ops[pos];
        ntk_opdim *dm = &dims[pos];
        memset(dm, 0, sizeof *dm);
        if (op->dst <= NTK_REG_X || op->dst >= NTK_REG_COUNT)
            return ntk_error_set(NTK_EINVAL, "%s op %d writes register %d", secname[sec], pos,
                                 op->dst);
        if (op->kind == NTK_OP_DENSECAT) {
            if (hist_width <= 0)
                return ntk_error_set(NTK_EINVAL, "%s op %d reads a history that is never written",
                                     secname[sec], pos);
            dm->fan_in = hist_width;
            dm->n_out = n;
        } else {
            if (op->src < 0 || op->src >= NTK_REG_COUNT || w[op->src] <= 0)
                return ntk_error_set(NTK_EINVAL, "%s op %d reads register %d before it is written",
                                     secname[sec], pos, op->src);
            dm->fan_in = w[op->src];
            if ((op->kind == NTK_OP_LINEAR || op->kind == NTK_OP_CONV ||
                 op->kind == NTK_OP_FLATTEN) &&
                op->dst == op->src)
                return ntk_error_set(NTK_ENOTSUP, "%s op %d: in-place linear op", secname[sec],
                                     pos);
            switch (op->kind) {
            case NTK_OP_LINEAR:
                dm->n_out = op->dst == NTK_REG_F ? 1 : n;
                dm->tape_len = (size_t)dm->fan_in * (size_t)k; /* conditional: V */
                break;
            case NTK_OP_CONV:
            case NTK_OP_FLATTEN: {
                const int M = p->positions > 1 ? p->positions : 1;
                if (op->kind == NTK_OP_CONV && (op->half < 0 || 2 * op->half + 1 > M))
                    return ntk_error_set(NTK_EINVAL,
                                         "%s op %d: convolution half-width %d needs 2 h + 1 <= "
                                         "positions = %d",
                                         secname[sec], pos, op->half, M);
                dm->n_out = op->dst == NTK_REG_F ? 1 : n;
                dm->taps = op->kind == NTK_OP_CONV ? 2 * op->half + 1 : M;
                dm->fan_exp = dm->fan_in * dm->taps;
                dm->tape_len = (size_t)dm->fan_exp * (size_t)k; /* conditional: V of im2col */
                break;
            }
            case NTK_OP_ACT:
                dm->n_out = dm->fan_in;
                dm->tape_len = (size_t)dm->fan_in * (size_t)k; /* phi'(src) */
                break;
            case NTK_OP_ADD:
                if (op->src2 >= 0) {
                    if (op->src2 >= NTK_REG_COUNT || w[op->src2] <= 0)
                        return ntk_error_set(NTK_EINVAL,
                                             "%s op %d reads register %d before it is written",
                                             secname[sec], pos, op->src2);
                    if (w[op->src2] != w[op->src])
                        return ntk_error_set(
                            NTK_EINVAL,
                            "%s op %d adds registers of widths %ld and %ld: architecture %s needs "
                            "the input dimension d equal to the width n (d = %d, n = %ld)",
                            secname[sec], pos, w[op->src], w[op->src2],
                            ntk_arch_name(p->model.arch), p->model.d, n);
                    if (op->src2 == op->dst && op->src == op->dst)
                        return ntk_error_set(NTK_ENOTSUP, "%s op %d: doubling add", secname[sec],
                                             pos);
                }
                dm->n_out = dm->fan_in;
                break;
            default:
                return ntk_error_set(NTK_EINVAL, "%s op %d: unknown kind %d", secname[sec], pos,
                                     (int)op->kind);
            }
        }
        if (dm->taps == 0) {
            dm->taps = 1;
            dm->fan_exp = dm->fan_in;
        }
        w[op->dst] = dm->n_out;
    }
    return NTK_OK;
}

static size_t inst_index(const ntk_sim *s, int sec, long slot, int pos)
{
    if (sec == SEC_STEM) return (size_t)pos;
    if (sec == SEC_BLOCK)
        return (size_t)s->prog.n_stem + (size_t)(slot - s->first) * (size_t)s->prog.n_block +
               (size_t)pos;
    return (size_t)s->prog.n_stem + (size_t)s->nblocks * (size_t)s->prog.n_block + (size_t)pos;
}

static ntk_smalldat small_at(ntk_sim *s, size_t inst)
{
    size_t kk = (size_t)s->k * (size_t)s->k;
    ntk_smalldat sd;
    sd.gram = s->smallbuf + inst * 2 * kk;
    sd.R = sd.gram + kk;
    sd.rank = s->rankbuf[inst];
    return sd;
}

static ntk_smalldat hist_small_at(ntk_sim *s, long h)
{
    size_t kk = (size_t)s->k * (size_t)s->k;
    ntk_smalldat sd;
    sd.gram = s->hsmall + (size_t)h * 2 * kk;
    sd.R = sd.gram + kk;
    sd.rank = s->hrank[h];
    return sd;
}

static void *xcalloc(size_t n, size_t size, int *fail)
{
    if (n == 0) n = 1;
    void *p = calloc(n, size);
    if (!p) *fail = 1;
    return p;
}

void ntk_sim_free(ntk_sim *s)
{
    if (!s) return;
    for (int r = 0; r < NTK_REG_COUNT; r++) {
        free(s->regbuf[r]);
        free(s->dreg[r]);
    }
    free(s->scratch);
    free(s->xbuf);
    free(s->dxbuf);
    free(s->chunk);
    free(s->wbuf);
    free(s->tape);
    free(s->stem_tape);
    free(s->head_tape);
    free(s->ckpt);
    free(s->smallbuf);
    free(s->rankbuf);
    free(s->hist);
    free(s->dhist);
    free(s->hlive);
    free(s->hsmall);
    free(s->hrank);
    free(s->cg_cnt);
    free(s->cg_sum);
    free(s);
}

ntk_sim *ntk_sim_alloc(const ntk_program *prog, long width, int k, ntk_sim_engine engine)
{
    ntk_sim_opts o = {engine, 0};
    return ntk_sim_alloc_opts(prog, width, k, &o);
}

ntk_sim *ntk_sim_alloc_opts(const ntk_program *prog, long width, int k, const ntk_sim_opts *opts)
{
    if (!prog) {
        ntk_error_set(NTK_EINVAL, "sim: NULL program");
        return NULL;
    }
    if (width < 1 || k < 1 || k > NTK_SIM_MAX_K) {
        if (prog->positions > 1 && k > NTK_SIM_MAX_K)
            ntk_error_set(NTK_EINVAL,
                          "sim: k = %d virtual inputs (inputs x %d positions) exceed %d; use "
                          "fewer inputs or positions",
                          k, prog->positions, NTK_SIM_MAX_K);
        else
            ntk_error_set(NTK_EINVAL, "sim: need width >= 1 and 1 <= k <= %d (width = %ld, k = %d)",
                          NTK_SIM_MAX_K, width, k);
        return NULL;
    }
    const ntk_model *m = &prog->model;
    if (m->d < 1 || m->depth < 1) {
        ntk_error_set(NTK_EINVAL, "sim: need d >= 1 and depth >= 1 (d = %d, depth = %ld)", m->d,
                      m->depth);
        return NULL;
    }
    if (m->depth + 2 >= (1L << 26)) {
        ntk_error_set(NTK_EINVAL, "sim: depth %ld too large for the random-number addressing",
                      m->depth);
        return NULL;
    }
    ntk_sim *s = calloc(1, sizeof *s);
    if (!s) {
        ntk_error_set(NTK_ENOMEM, "sim: out of memory");
        return NULL;
    }
    s->prog = *prog;
    s->n = width;
    s->k = k;
    s->d = m->d;
    s->npair = k * (k + 1) / 2;
    s->depth = m->depth;
    s->first = prog->first_block;
    s->nblocks = s->depth >= s->first ? s->depth - s->first + 1 : 0;
    s->engine = resolve_engine(opts ? opts->engine : NTK_SIM_AUTO, width, k);
    ntk_sim_layout_init(&s->lay, s->depth, k);
    s->M = prog->positions > 1 ? prog->positions : 1;
    s->spatial = s->M > 1 || ntk_program_has_op(prog, NTK_OP_CONV) ||
                 ntk_program_has_op(prog, NTK_OP_FLATTEN);
    s->kr = k / s->M;
    if (s->spatial) {
        int rc0 = NTK_OK;
        if (prog->positions > NTK_MAX_POSITIONS)
            rc0 = ntk_error_set(NTK_EINVAL, "sim: positions = %d exceeds %d", prog->positions,
                                NTK_MAX_POSITIONS);
        else if (k % s->M != 0)
            rc0 = ntk_error_set(NTK_EINVAL,
                                "sim: a program with %d positions runs on k = kr*%d virtual inputs "
                                "(column i*%d + a = input i at position a); k = %d is not a "
                                "multiple of %d",
                                s->M, s->M, s->M, k, s->M);
        else if (prog->needs_history)
            rc0 = ntk_error_set(NTK_ENOTSUP,
                                "sim: history ops (DENSECAT) with positions or convolutions are "
                                "not supported");
        if (rc0 != NTK_OK) {
            ntk_sim_free(s);
            return NULL;
        }
        s->out_const = ntk_program_has_op(prog, NTK_OP_FLATTEN);
    }

    /* Register widths. */
    long w[NTK_REG_COUNT] = {0};
    w[NTK_REG_X] = s->d;
    int rc = section_dims(prog, SEC_STEM, width, k, w, s->stem_dim, 0);
    long hist_width = prog->needs_history ? w[prog->hist_reg] : 0;
    memcpy(s->w_after_stem, w, sizeof w);
    if (rc == 0 && s->nblocks > 0) {
        rc = section_dims(prog, SEC_BLOCK, width, k, w, s->blk_dim[0], hist_width);
        memcpy(s->w_after_blk[0], w, sizeof w);
        if (rc == 0) rc = section_dims(prog, SEC_BLOCK, width, k, w, s->blk_dim[1], hist_width);
        memcpy(s->w_after_blk[1], w, sizeof w);
        if (rc == 0 && memcmp(s->w_after_blk[0], s->w_after_blk[1], sizeof w) != 0)
            rc = ntk_error_set(NTK_ENOTSUP, "sim: register widths change from block to block");
        if (rc == 0 && prog->needs_history && w[prog->hist_reg] != hist_width)
            rc = ntk_error_set(NTK_ENOTSUP, "sim: history entries of different widths");
    }
    if (rc == 0) rc = section_dims(prog, SEC_HEAD, width, k, w, s->head_dim, hist_width);
    if (rc == 0 && w[NTK_REG_F] <= 0)
        rc = ntk_error_set(NTK_EINVAL, "sim: the program never writes the output register F");
    if (rc != 0) {
        ntk_sim_free(s);
        return NULL;
    }
    s->maxw = width > s->d ? width : s->d;
    s->maxexp = 0;
    for (int v = 0; v < 4; v++) {
        const ntk_opdim *dd = v == 0   ? s->stem_dim
                              : v == 1 ? s->blk_dim[0]
                              : v == 2 ? s->blk_dim[1]
                                       : s->head_dim;
        int nops = v == 0   ? prog->n_stem
                   : v == 3 ? prog->n_head
                            : (s->nblocks > 0 ? prog->n_block : 0);
        const ntk_op *ops = v == 0 ? prog->stem : v == 3 ? prog->head : prog->block;
        for (int pos = 0; pos < nops; pos++)
            if ((ops[pos].kind == NTK_OP_CONV || ops[pos].kind == NTK_OP_FLATTEN) &&
                dd[pos].fan_exp > s->maxexp)
                s->maxexp = dd[pos].fan_exp;
    }
    for (int sec = 0; sec < 3; sec++) {
        int nops;
        const ntk_op *ops = sec_ops(prog, sec, &nops);
        s->p_last_write[sec] = -1;
        for (int pos = 0; pos < nops; pos++)
            if (ops[pos].dst == prog->reg_p) s->p_last_write[sec] = pos;
    }
    /* Tape offsets (same for both block variants: the larger of the two slices). */
    size_t off = 0;
    for (int pos = 0; pos < prog->n_block; pos++) {
        size_t len = s->blk_dim[0][pos].tape_len > s->blk_dim[1][pos].tape_len
                         ? s->blk_dim[0][pos].tape_len
                         : s->blk_dim[1][pos].tape_len;
        s->blk_dim[0][pos].tape_off = s->blk_dim[1][pos].tape_off = off;
        off += len;
    }
    s->tape_stride = off;
    size_t stem_len = 0, head_len = 0;
    for (int pos = 0; pos < prog->n_stem; pos++) {
        s->stem_dim[pos].tape_off = stem_len;
        stem_len += s->stem_dim[pos].tape_len;
    }
    for (int pos = 0; pos < prog->n_head; pos++) {
        s->head_dim[pos].tape_off = head_len;
        head_len += s->head_dim[pos].tape_len;
    }
    /* Live-in registers of the block template (read before written, history excluded). */
    int written[NTK_REG_COUNT] = {0};
    for (int pos = 0; pos < prog->n_block; pos++) {
        const ntk_op *op = &prog->block[pos];
        if (op->kind != NTK_OP_DENSECAT && !written[op->src] && !s->live[op->src])
            s->live[op->src] = 1;
        if (op->kind == NTK_OP_ADD && op->src2 >= 0 && !written[op->src2]) s->live[op->src2] = 1;
        written[op->dst] = 1;
    }
    s->live[NTK_REG_X] = 0; /* the input is never overwritten */
    for (int r = 0; r < NTK_REG_COUNT; r++)
        s->nlive += s->live[r];
    /* Memory plan: the tape of every block if it fits the limit; else segments of seg_len blocks
     * aligned to the last block (whose segment is never recomputed), with seg_len as large as the
     * limit allows for the tape of one segment plus the checkpoints of all segments. */
    size_t limit = (opts && opts->mem_limit) ? opts->mem_limit : NTK_SIM_MEM_LIMIT_DEFAULT;
    double tape_bytes = (double)s->tape_stride * 8.0;
    double ckpt_bytes = (double)s->nlive * (double)s->maxw * k * 8.0;
    s->tape_cap = s->nblocks;
    s->seg_len = s->nblocks;
    s->nseg = s->nblocks > 0 ? 1 : 0;
    s->seg_off = 0;
    if (s->nblocks > 1 && tape_bytes * (double)s->nblocks > (double)limit) {
        long T = (long)((double)limit / (tape_bytes > 0 ? tape_bytes : 1.0));
        if (T > s->nblocks - 1) T = s->nblocks - 1;
        while (T > 1 && tape_bytes * (double)T + ckpt_bytes * (double)((s->nblocks + T - 1) / T) >
                            (double)limit)
            T--;
        if (T < 1) T = 1;
        s->seg_len = s->tape_cap = T;
        s->nseg = (s->nblocks + T - 1) / T;
        s->seg_off = s->nseg * T - s->nblocks; /* the first segment is short by seg_off */
    }
    /* Allocation. */
    int fail = 0;
    size_t regsz = (size_t)s->maxw * (size_t)k;
    long wcols = s->maxexp > s->maxw ? s->maxexp : s->maxw; /* longest weight row */
    for (int r = 1; r < NTK_REG_COUNT; r++) {
        s->regbuf[r] = xcalloc(regsz, sizeof(double), &fail);
        s->dreg[r] = xcalloc(regsz, sizeof(double), &fail);
        s->reg[r] = s->regbuf[r];
    }
    s->scratch = xcalloc((size_t)wcols * (size_t)k, sizeof(double), &fail);
    if (s->maxexp > 0) {
        s->xbuf = xcalloc((size_t)s->maxexp * (size_t)k, sizeof(double), &fail);
        s->dxbuf = xcalloc((size_t)s->maxexp * (size_t)k, sizeof(double), &fail);
    }
    s->chunk = xcalloc((size_t)NTK_SIM_CHUNK * (size_t)k, sizeof(double), &fail);
    if (s->engine == NTK_SIM_DENSE) {
        long rows = 262144 / wcols;
        s->wrows = rows < 1 ? 1 : rows;
        s->wbuf = xcalloc((size_t)s->wrows * (size_t)wcols, sizeof(double), &fail);
        if ((double)s->maxw * (double)wcols >= 8589934592.0) fail = 2;
    } else if ((double)wcols * k >= 8589934592.0) {
        fail = 2;
    }
    s->tape = xcalloc((size_t)s->tape_cap * s->tape_stride, sizeof(double), &fail);
    s->stem_tape = xcalloc(stem_len, sizeof(double), &fail);
    s->head_tape = xcalloc(head_len, sizeof(double), &fail);
    if (s->nseg > 1)
        s->ckpt = xcalloc((size_t)s->nseg * (size_t)s->nlive * regsz, sizeof(double), &fail);
    s->ninst =
        (size_t)prog->n_stem + (size_t)s->nblocks * (size_t)prog->n_block + (size_t)prog->n_head;
    size_t kk = (size_t)k * (size_t)k;
    s->smallbuf = xcalloc(s->ninst * 2 * kk, sizeof(double), &fail);
    s->rankbuf = xcalloc(s->ninst, sizeof(int), &fail);
    if (prog->needs_history) {
        size_t nslot = (size_t)s->depth + 1;
        s->hist = xcalloc(nslot * (size_t)hist_width * (size_t)k, sizeof(double), &fail);
        s->dhist = xcalloc(nslot * (size_t)hist_width * (size_t)k, sizeof(double), &fail);
        s->hlive = xcalloc(nslot, sizeof(int), &fail);
        s->hsmall = xcalloc(nslot * 2 * kk, sizeof(double), &fail);
        s->hrank = xcalloc(nslot, sizeof(int), &fail);
    }
    s->cg_cnt = xcalloc((size_t)(s->depth + 1) * NTK_GROUP_COUNT * 2, sizeof(double), &fail);
    s->cg_sum =
        xcalloc((size_t)(s->depth + 1) * NTK_GROUP_COUNT * 2 * (size_t)k, sizeof(double), &fail);
    if (fail) {
        if (fail == 2)
            ntk_error_set(NTK_EINVAL,
                          "sim: width %ld too large for the random-number addressing "
                          "of engine %s",
                          width, ntk_sim_engine_name(s->engine));
        else
            ntk_error_set(NTK_ENOMEM, "sim: out of memory for width %ld, k = %d, depth %ld", width,
                          k, s->depth);
        ntk_sim_free(s);
        return NULL;
    }
    openblas_set_num_threads(1);
    return s;
}

ntk_sim_engine ntk_sim_engine_of(const ntk_sim *s)
{
    return s->engine;
}

const ntk_sim_layout *ntk_sim_layout_of(const ntk_sim *s)
{
    return &s->lay;
}

double ntk_sim_cost(const ntk_program *prog, long width, int k, ntk_sim_engine engine)
{
    ntk_sim_engine e = resolve_engine(engine, width, k);
    double n = (double)width, L = (double)prog->model.depth;
    double per_matrix = e == NTK_SIM_DENSE ? 2.0 * n * n * (10.0 + k) : n * k * (30.0 + 6.0 * k);
    int nlin = 0;
    for (int i = 0; i < prog->n_block; i++) {
        nlin += prog->block[i].kind == NTK_OP_LINEAR;
        if (prog->block[i].kind == NTK_OP_CONV) nlin += 2 * prog->block[i].half + 1; /* taps */
    }
    double mats = L * nlin;
    if (prog->needs_history) mats += L * (L + 1) / 2;
    return (mats + 2.0) * per_matrix + L * prog->n_block * n * k * 10.0;
}

/* ------------------------------------------------------------------ helpers */
static double *blk_tape(ntk_sim *s, int sec, long slot)
{
    if (sec == SEC_STEM) return s->stem_tape;
    if (sec == SEC_HEAD) return s->head_tape;
    return s->tape + (size_t)((slot - s->first + s->seg_off) % s->tape_cap) * s->tape_stride;
}

static const ntk_opdim *sec_dims(ntk_sim *s, int sec, long slot)
{
    if (sec == SEC_STEM) return s->stem_dim;
    if (sec == SEC_HEAD) return s->head_dim;
    return slot == s->first ? s->blk_dim[0] : s->blk_dim[1];
}

static long sec_row(const ntk_sim *s, int sec, long slot)
{
    if (sec == SEC_STEM) return s->first - 1;
    if (sec == SEC_HEAD) return s->depth;
    return slot;
}

/* Writes K = G / width into pair quantity q at row, and the derived correlation quantity. */
static void record_kernel(ntk_sim *s, double *out, int q, int qcorr, int qs, long row,
                          const double *G, long width)
{
    const int k = s->k;
    for (int i = 0; i < k; i++)
        for (int j = i; j < k; j++) {
            int pi = ntk_pair_index(i, j, k);
            double kij = G[i * k + j] / (double)width;
            *ntk_sim_record_at(&s->lay, out, q, row, 0, pi) = kij;
            double kii = G[i * k + i] / (double)width, kjj = G[j * k + j] / (double)width;
            if (qcorr >= 0)
                *ntk_sim_record_at(&s->lay, out, qcorr, row, 0, pi) = kij / sqrt(kii * kjj);
            if (qs >= 0) *ntk_sim_record_at(&s->lay, out, qs, row, 0, pi) = 0.5 * (kii + kjj) - kij;
        }
}

/* dst (+)= a * src over n values, honouring the gradient-live flag of the destination. */
static void grad_axpy(long n, double a, const double *src, double *dst, int *live)
{
    if (*live) {
        for (long i = 0; i < n; i++)
            dst[i] += a * src[i];
    } else {
        for (long i = 0; i < n; i++)
            dst[i] = a * src[i];
        *live = 1;
    }
}

/* Gram matrix of the current value of register r, cached per register and version (the
 * stream's Gram is needed by the record of a block and again by the next block's first linear
 * op; fused loops deposit Grams they compute on the way). */
static void reg_gram(ntk_sim *s, int r, double *G)
{
    size_t kk = (size_t)s->k * (size_t)s->k;
    if (s->gc_ver[r] != s->ver[r]) {
        ntk_sim_gram(s->curw[r], s->k, s->reg[r], s->gc[r]);
        s->gc_ver[r] = s->ver[r];
    }
    memcpy(G, s->gc[r], kk * sizeof *G);
}

static void reg_gram_set(ntk_sim *s, int r, const double *G)
{
    memcpy(s->gc[r], G, (size_t)s->k * (size_t)s->k * sizeof *G);
    s->gc_ver[r] = s->ver[r];
}

/* Appends the value of the history register at the end of a section (slot = record row). */
static void hist_append(ntk_sim *s, long row)
{
    const ntk_program *p = &s->prog;
    long w = s->curw[p->hist_reg];
    size_t sz = (size_t)w * (size_t)s->k;
    double *entry = s->hist + (size_t)row * sz;
    size_t kk = (size_t)s->k * (size_t)s->k;
    double *gram = s->hsmall + (size_t)row * 2 * kk;
    const double *val = s->reg[p->hist_reg];
    reg_gram(s, p->hist_reg, gram);
    if (s->engine == NTK_SIM_DENSE)
        memcpy(entry, val, sz * sizeof *entry);
    else
        s->hrank[row] = ntk_sim_qr(w, s->k, val, gram, entry, gram + kk);
}

/* ------------------------------------------------------------------ spatial ops */
/* CONV and FLATTEN are a LINEAR applied to the im2col matrix E of the source (docs/simulator.md):
 * E has fan_in * taps rows, row c * taps + t holding channel c at source position pos(a, t) in
 * column i*M + a, with pos(a, t) = a + t - h (mod M) for a CONV of half-width h (taps = 2h+1)
 * and pos(a, t) = t for FLATTEN (taps = M: every output position sees all source positions, so
 * the output is the same at every position). */
static int im2col_pos(const ntk_op *op, int M, int a, int t)
{
    if (op->kind == NTK_OP_FLATTEN) return t;
    int b = a + t - op->half;
    return ((b % M) + M) % M;
}

/* E = im2col(src): src is fan_in x k, E (fan_in taps) x k. */
static void im2col(const ntk_sim *s, const ntk_op *op, const ntk_opdim *dm, const double *src,
                   double *E)
{
    const int k = s->k, M = s->M, T = dm->taps;
    for (long c = 0; c < dm->fan_in; c++) {
        const double *x = src + (size_t)c * (size_t)k;
        for (int t = 0; t < T; t++) {
            double *e = E + ((size_t)c * (size_t)T + (size_t)t) * (size_t)k;
            for (int a = 0; a < M; a++) {
                int b = im2col_pos(op, M, a, t);
                for (int i = 0; i < s->kr; i++)
                    e[i * M + a] = x[i * M + b];
            }
        }
    }
}

/* Gram of E from the Gram G of src: GE[(i,a),(j,a')] = sum_t G[(i,pos(a,t)),(j,pos(a',t))]. */
static void im2col_gram(const ntk_sim *s, const ntk_op *op, const ntk_opdim *dm, const double *G,
                        double *GE)
{
    const int k = s->k, M = s->M;
    for (int u = 0; u < k; u++)
        for (int v = 0; v < k; v++) {
            int i = u / M, a = u % M, j = v / M, b = v % M;
            double sum = 0.0;
            for (int t = 0; t < dm->taps; t++)
                sum += G[(i * M + im2col_pos(op, M, a, t)) * k + j * M + im2col_pos(op, M, b, t)];
            GE[u * k + v] = sum;
        }
}

/* dsrc (+)= col2im(dE), the adjoint of im2col (overwrite if !*live; sets *live). */
static void col2im(const ntk_sim *s, const ntk_op *op, const ntk_opdim *dm, const double *dE,
                   double *dsrc, int *live)
{
    const int k = s->k, M = s->M, T = dm->taps;
    if (!*live) memset(dsrc, 0, (size_t)dm->fan_in * (size_t)k * sizeof *dsrc);
    for (long c = 0; c < dm->fan_in; c++) {
        double *d = dsrc + (size_t)c * (size_t)k;
        for (int t = 0; t < T; t++) {
            const double *e = dE + ((size_t)c * (size_t)T + (size_t)t) * (size_t)k;
            for (int a = 0; a < M; a++) {
                int b = im2col_pos(op, M, a, t);
                for (int i = 0; i < s->kr; i++)
                    d[i * M + b] += e[i * M + a];
            }
        }
    }
    *live = 1;
}

/* ------------------------------------------------------------------ forward */
enum { MODE_FIRST = 0, MODE_RECOMPUTE };

static void forward_section(ntk_sim *s, int sec, long slot, int mode, double *out)
{
    const ntk_program *p = &s->prog;
    const ntk_model *m = &p->model;
    const int k = s->k;
    int nops;
    const ntk_op *ops = sec_ops(p, sec, &nops);
    const ntk_opdim *dims = sec_dims(s, sec, slot);
    double *tape = blk_tape(s, sec, slot);
    long row = sec_row(s, sec, slot);
    int written[NTK_REG_COUNT] = {0};
    int kdot_done = 0;
    for (int pos = 0; pos < nops; pos++) {
        const ntk_op *op = &ops[pos];
        const ntk_opdim *dm = &dims[pos];
        double f = ntk_op_factor(op, m, slot, s->depth);
        double *dst = s->regbuf[op->dst];
        double Gdst[NTK_SIM_MAX_K * NTK_SIM_MAX_K];
        int have_gdst = 0;
        switch (op->kind) {
        case NTK_OP_LINEAR: {
            size_t inst = inst_index(s, sec, slot, pos);
            ntk_smalldat sd = small_at(s, inst);
            double sc = op->w * f / sqrt((double)dm->fan_in);
            double b = op->b * f;
            reg_gram(s, op->src, sd.gram);
            if (s->engine == NTK_SIM_DENSE)
                ntk_simd_linear_fwd(s, slot, pos, dm->fan_in, dm->n_out, sc, b, s->reg[op->src],
                                    dst, &sd);
            else
                ntk_simc_linear_fwd(s, slot, pos, dm->fan_in, dm->n_out, sc, b, s->reg[op->src],
                                    dst, tape + dm->tape_off, &sd);
            s->rankbuf[inst] = sd.rank;
            break;
        }
        case NTK_OP_CONV:
        case NTK_OP_FLATTEN: {
            size_t inst = inst_index(s, sec, slot, pos);
            ntk_smalldat sd = small_at(s, inst);
            double sc = op->w * f / sqrt((double)dm->fan_exp);
            double b = op->b * f;
            double G[NTK_SIM_MAX_K * NTK_SIM_MAX_K];
            reg_gram(s, op->src, G);
            im2col_gram(s, op, dm, G, sd.gram);
            im2col(s, op, dm, s->reg[op->src], s->xbuf);
            if (s->engine == NTK_SIM_DENSE)
                ntk_simd_linear_fwd(s, slot, pos, dm->fan_exp, dm->n_out, sc, b, s->xbuf, dst, &sd);
            else
                ntk_simc_linear_fwd(s, slot, pos, dm->fan_exp, dm->n_out, sc, b, s->xbuf, dst,
                                    tape + dm->tape_off, &sd);
            s->rankbuf[inst] = sd.rank;
            break;
        }
        case NTK_OP_ACT: {
            /* In chunks that stay in cache: dst = mult phi(src), phi'(src) to the tape, and the
             * Grams of dst (next linear op), src (record of q) and phi' (record of kdot). */
            double mult = op->mult * f;
            double *dphi = tape + dm->tape_off;
            const double *src = s->reg[op->src];
            int want_src = src != dst && s->gc_ver[op->src] != s->ver[op->src];
            int want_kdot = mode == MODE_FIRST && !kdot_done && sec != SEC_HEAD;
            ntk_gram_acc gd, gs, gk;
            ntk_gram_acc_init(&gd, k);
            ntk_gram_acc_init(&gs, k);
            ntk_gram_acc_init(&gk, k);
            for (long r0 = 0; r0 < dm->fan_in; r0 += NTK_SIM_ACT_CHUNK) {
                long nr = dm->fan_in - r0 < NTK_SIM_ACT_CHUNK ? dm->fan_in - r0 : NTK_SIM_ACT_CHUNK;
                size_t off = (size_t)r0 * (size_t)k;
                long cnt = nr * k;
                if (src == dst) {
                    ntk_act_eval(&m->act, cnt, src + off, NULL, dphi + off);
                    ntk_act_eval(&m->act, cnt, src + off, dst + off, NULL);
                } else {
                    ntk_act_eval(&m->act, cnt, src + off, dst + off, dphi + off);
                    if (want_src) ntk_gram_acc_add(&gs, nr, src + off);
                }
                if (mult != 1.0)
                    for (long i = 0; i < cnt; i++)
                        dst[off + (size_t)i] *= mult;
                ntk_gram_acc_add(&gd, nr, dst + off);
                if (want_kdot) ntk_gram_acc_add(&gk, nr, dphi + off);
            }
            ntk_gram_acc_finish(&gd, Gdst);
            have_gdst = 1;
            if (want_src) {
                double G[NTK_SIM_MAX_K * NTK_SIM_MAX_K];
                ntk_gram_acc_finish(&gs, G);
                reg_gram_set(s, op->src, G);
            }
            if (want_kdot) {
                double G[NTK_SIM_MAX_K * NTK_SIM_MAX_K];
                ntk_gram_acc_finish(&gk, G);
                for (int i = 0; i < k * k; i++)
                    G[i] *= mult * mult;
                record_kernel(s, out, NTK_SQ_KDOT, -1, -1, row, G, dm->fan_in);
                kdot_done = 1;
            }
            break;
        }
        case NTK_OP_ADD: {
            const double *a = s->reg[op->src];
            double s1 = op->s1;
            const double *b = op->src2 >= 0 ? s->reg[op->src2] : NULL;
            double s2 = op->s2 * f;
            ntk_gram_acc gd;
            ntk_gram_acc_init(&gd, k);
            for (long r0 = 0; r0 < dm->fan_in; r0 += NTK_SIM_ACT_CHUNK) {
                long nr = dm->fan_in - r0 < NTK_SIM_ACT_CHUNK ? dm->fan_in - r0 : NTK_SIM_ACT_CHUNK;
                size_t off = (size_t)r0 * (size_t)k;
                long cnt = nr * k;
                double *dd = dst + off;
                const double *aa = a + off;
                if (b) {
                    const double *bb = b + off;
                    for (long i = 0; i < cnt; i++)
                        dd[i] = s1 * aa[i] + s2 * bb[i];
                } else if (aa != dd || s1 != 1.0) {
                    for (long i = 0; i < cnt; i++)
                        dd[i] = s1 * aa[i];
                }
                ntk_gram_acc_add(&gd, nr, dd);
            }
            ntk_gram_acc_finish(&gd, Gdst);
            have_gdst = 1;
            break;
        }
        case NTK_OP_DENSECAT: {
            long h0 = s->first - 1;
            double sc = op->w * f / sqrt((double)slot * (double)dm->fan_in);
            size_t esz = (size_t)dm->fan_in * (size_t)k;
            for (long h = h0; h < slot; h++) {
                ntk_smalldat hd = hist_small_at(s, h);
                if (s->engine == NTK_SIM_DENSE)
                    ntk_simd_cat_fwd(s, slot, pos, h, dm->fan_in, dm->n_out, sc,
                                     s->hist + (size_t)h * esz, dst, h > h0);
                else
                    ntk_simc_cat_fwd(s, slot, pos, h, dm->fan_in, dm->n_out, sc, &hd, dst, h > h0);
            }
            break;
        }
        }
        s->curw[op->dst] = dm->n_out;
        s->ver[op->dst]++;
        if (have_gdst) reg_gram_set(s, op->dst, Gdst);
        written[op->dst] = 1;
    }
    if (mode != MODE_FIRST || sec == SEC_HEAD) return;
    double G[NTK_SIM_MAX_K * NTK_SIM_MAX_K];
    if (written[p->reg_q]) {
        reg_gram(s, p->reg_q, G);
        record_kernel(s, out, NTK_SQ_Q, NTK_SQ_C, -1, row, G, s->curw[p->reg_q]);
    }
    reg_gram(s, p->reg_p, G);
    record_kernel(s, out, NTK_SQ_P, NTK_SQ_E, NTK_SQ_S, row, G, s->curw[p->reg_p]);
    if (p->needs_history) hist_append(s, row);
}

/* ------------------------------------------------------------------ backward */
/* Adds the NTK and chi_group contributions of one weight matrix (Gx: Gram of its input, fan_in
 * its width) or bias vector (Gx == NULL). chi_group accumulates, per matrix, |delta|^2 |src|^2 /
 * fan_in (weights) or |delta|^2 (biases), i.e. the theory engine's Pi_dst K_src and Pi_dst. */
static void add_param(ntk_sim *s, double *out, long row, int g, double coef, const double *GD,
                      const double *Gx, double fan_in)
{
    if (g < 0) return;
    const int k = s->k;
    if (s->prog.model.trained & NTK_GROUP_BIT(g))
        for (int i = 0; i < k; i++)
            for (int j = i; j < k; j++) {
                double v = coef * GD[i * k + j] * (Gx ? Gx[i * k + j] : 1.0);
                *ntk_sim_record_at(&s->lay, out, NTK_SQ_NTK_LAYER, row, g,
                                   ntk_pair_index(i, j, k)) += v;
            }
    size_t kind = Gx ? 0 : 1;
    size_t cell = ((size_t)row * NTK_GROUP_COUNT + (size_t)g) * 2 + kind;
    double *sum = s->cg_sum + cell * (size_t)k;
    for (int i = 0; i < k; i++)
        sum[i] += GD[i * k + i] * (Gx ? Gx[i * k + i] / fan_in : 1.0);
    s->cg_cnt[cell] += 1.0;
}

/* add_param for a spatial program: the parameter terms of input pair (i, j) sum over the positions
 * of both inputs, sum_{a,a'} GD[(i,a),(j,a')] Gx[(i,a),(j,a')] (D holds the gradient of the
 * output of input i at every position of input i), into the readout pair (iM, jM); chi_group
 * accumulates the same diagonal sums at the readout input iM. For M = 1 this is add_param. */
static void add_param_spatial(ntk_sim *s, double *out, long row, int g, double coef,
                              const double *GD, const double *Gx, double fan_in)
{
    if (g < 0) return;
    const int k = s->k, M = s->M, kr = s->kr;
    size_t kind = Gx ? 0 : 1;
    size_t cell = ((size_t)row * NTK_GROUP_COUNT + (size_t)g) * 2 + kind;
    double *sum = s->cg_sum + cell * (size_t)k;
    int trained = (s->prog.model.trained & NTK_GROUP_BIT(g)) != 0;
    for (int i = 0; i < kr; i++)
        for (int j = i; j < kr; j++) {
            double v = 0.0, raw = 0.0;
            for (int a = 0; a < M; a++)
                for (int b = 0; b < M; b++) {
                    size_t e = (size_t)(i * M + a) * (size_t)k + (size_t)(j * M + b);
                    v += coef * GD[e] * (Gx ? Gx[e] : 1.0);
                    if (i == j) raw += GD[e] * (Gx ? Gx[e] / fan_in : 1.0);
                }
            if (trained)
                *ntk_sim_record_at(&s->lay, out, NTK_SQ_NTK_LAYER, row, g,
                                   ntk_pair_index(i * M, j * M, k)) += v;
            if (i == j) sum[i * M] += raw;
        }
    s->cg_cnt[cell] += 1.0;
}

static void param_add(ntk_sim *s, double *out, long row, int g, double coef, const double *GD,
                      const double *Gx, double fan_in)
{
    if (s->spatial)
        add_param_spatial(s, out, row, g, coef, GD, Gx, fan_in);
    else
        add_param(s, out, row, g, coef, GD, Gx, fan_in);
}

static void record_pi(ntk_sim *s, double *out, long row)
{
    const int k = s->k;
    int r = s->prog.reg_p;
    double G[NTK_SIM_MAX_K * NTK_SIM_MAX_K];
    if (s->glive[r] && s->dgc_ver[r] == s->dver[r])
        memcpy(G, s->dgc[r], (size_t)k * (size_t)k * sizeof *G);
    else if (s->glive[r])
        ntk_sim_gram(s->curw[r], k, s->dreg[r], G);
    else
        memset(G, 0, (size_t)k * k * sizeof *G);
    for (int i = 0; i < k; i++)
        for (int j = i; j < k; j++)
            *ntk_sim_record_at(&s->lay, out, NTK_SQ_PI, row, 0, ntk_pair_index(i, j, k)) =
                G[i * k + j];
}

static void backward_section(ntk_sim *s, int sec, long slot, double *out)
{
    const ntk_program *p = &s->prog;
    const ntk_model *m = &p->model;
    const int k = s->k;
    int nops;
    const ntk_op *ops = sec_ops(p, sec, &nops);
    const ntk_opdim *dims = sec_dims(s, sec, slot);
    double *tape = blk_tape(s, sec, slot);
    long row = sec_row(s, sec, slot);
    const int standard = m->param == NTK_PARAM_STANDARD;
    if (p->needs_history && sec != SEC_HEAD && s->hlive[row]) {
        int hr = p->hist_reg;
        size_t sz = (size_t)s->curw[hr] * (size_t)k;
        grad_axpy((long)sz, 1.0, s->dhist + (size_t)row * sz, s->dreg[hr], &s->glive[hr]);
        s->dver[hr]++;
    }
    if (sec != SEC_HEAD && s->p_last_write[sec] < 0) record_pi(s, out, row);
    for (int pos = nops - 1; pos >= 0; pos--) {
        if (sec != SEC_HEAD && pos == s->p_last_write[sec]) record_pi(s, out, row);
        const ntk_op *op = &ops[pos];
        const ntk_opdim *dm = &dims[pos];
        double f = ntk_op_factor(op, m, slot, s->depth);
        int dr = op->dst;
        /* widths as they were when this op ran forward (gradients of sources have them) */
        s->curw[dr] = dm->n_out;
        if (op->kind != NTK_OP_DENSECAT) {
            s->curw[op->src] = dm->fan_in;
            if (op->src2 >= 0) s->curw[op->src2] = dm->fan_in;
        }
        if (!s->glive[dr]) continue; /* f does not depend on this value: nothing flows back */
        double *D = s->dreg[dr];
        double Gdep[NTK_SIM_MAX_K * NTK_SIM_MAX_K];
        int dep = -1; /* register whose gradient Gram the op computed on the way */
        switch (op->kind) {
        case NTK_OP_LINEAR: {
            size_t inst = inst_index(s, sec, slot, pos);
            ntk_smalldat sd = small_at(s, inst);
            double sc = op->w * f / sqrt((double)dm->fan_in);
            double b = op->b * f;
            double GD[NTK_SIM_MAX_K * NTK_SIM_MAX_K];
            int sr = op->src;
            double *dsrc = sr == NTK_REG_X ? NULL : s->dreg[sr];
            if (s->engine == NTK_SIM_DENSE)
                ntk_simd_linear_bwd(s, slot, pos, dm->fan_in, dm->n_out, sc, D, GD, dsrc,
                                    &s->glive[sr]);
            else {
                ntk_simc_linear_bwd(s, slot, pos, dm->fan_in, dm->n_out, sc, D, GD,
                                    tape + dm->tape_off, &sd, dsrc, &s->glive[sr],
                                    dsrc ? Gdep : NULL);
                if (dsrc) dep = sr;
            }
            s->glive[dr] = 0;
            param_add(s, out, row, op->group_w, standard ? 1.0 : sc * sc, GD, sd.gram,
                      (double)dm->fan_in);
            if (b != 0.0) param_add(s, out, row, op->group_b, b * b, GD, NULL, 1.0);
            break;
        }
        case NTK_OP_CONV:
        case NTK_OP_FLATTEN: {
            /* the LINEAR backward on the im2col matrix, then col2im into the source gradient */
            size_t inst = inst_index(s, sec, slot, pos);
            ntk_smalldat sd = small_at(s, inst);
            double sc = op->w * f / sqrt((double)dm->fan_exp);
            double b = op->b * f;
            double GD[NTK_SIM_MAX_K * NTK_SIM_MAX_K];
            int sr = op->src, elive = 0;
            double *dE = sr == NTK_REG_X ? NULL : s->dxbuf;
            if (s->engine == NTK_SIM_DENSE)
                ntk_simd_linear_bwd(s, slot, pos, dm->fan_exp, dm->n_out, sc, D, GD, dE, &elive);
            else
                ntk_simc_linear_bwd(s, slot, pos, dm->fan_exp, dm->n_out, sc, D, GD,
                                    tape + dm->tape_off, &sd, dE, &elive, NULL);
            if (dE) col2im(s, op, dm, dE, s->dreg[sr], &s->glive[sr]);
            s->glive[dr] = 0;
            param_add(s, out, row, op->group_w, standard ? 1.0 : sc * sc, GD, sd.gram,
                      (double)dm->fan_exp);
            if (b != 0.0) param_add(s, out, row, op->group_b, b * b, GD, NULL, 1.0);
            break;
        }
        case NTK_OP_ACT: {
            double mult = op->mult * f;
            long cnt = dm->fan_in * k;
            const double *dphi = tape + dm->tape_off;
            int sr = op->src;
            if (sr == dr) {
                for (long i = 0; i < cnt; i++)
                    D[i] *= mult * dphi[i];
            } else if (sr != NTK_REG_X) {
                double *ds = s->dreg[sr];
                if (s->glive[sr])
                    for (long i = 0; i < cnt; i++)
                        ds[i] += mult * dphi[i] * D[i];
                else
                    for (long i = 0; i < cnt; i++)
                        ds[i] = mult * dphi[i] * D[i];
                s->glive[sr] = 1;
                s->glive[dr] = 0;
            } else {
                s->glive[dr] = 0;
            }
            break;
        }
        case NTK_OP_ADD: {
            long cnt = dm->fan_in * k;
            double s1 = op->s1, s2 = op->s2 * f;
            int a = op->src, b = op->src2;
            if (a == dr) {
                if (b >= 0 && b != NTK_REG_X) grad_axpy(cnt, s2, D, s->dreg[b], &s->glive[b]);
                if (s1 != 1.0)
                    for (long i = 0; i < cnt; i++)
                        D[i] *= s1;
            } else if (b == dr) {
                if (a != NTK_REG_X) grad_axpy(cnt, s1, D, s->dreg[a], &s->glive[a]);
                if (s2 != 1.0)
                    for (long i = 0; i < cnt; i++)
                        D[i] *= s2;
            } else {
                s->glive[dr] = 0;
                if (a != NTK_REG_X) grad_axpy(cnt, s1, D, s->dreg[a], &s->glive[a]);
                if (b >= 0 && b != NTK_REG_X) grad_axpy(cnt, s2, D, s->dreg[b], &s->glive[b]);
            }
            break;
        }
        case NTK_OP_DENSECAT: {
            long h0 = s->first - 1;
            double sc = op->w * f / sqrt((double)slot * (double)dm->fan_in);
            size_t esz = (size_t)dm->fan_in * (size_t)k;
            double GD[NTK_SIM_MAX_K * NTK_SIM_MAX_K];
            ntk_sim_gram(dm->n_out, k, D, GD);
            for (long h = h0; h < slot; h++) {
                ntk_smalldat hd = hist_small_at(s, h);
                double *dentry = s->dhist + (size_t)h * esz;
                if (s->engine == NTK_SIM_DENSE)
                    ntk_simd_cat_bwd(s, slot, pos, h, dm->fan_in, dm->n_out, sc, D, dentry,
                                     &s->hlive[h]);
                else
                    ntk_simc_cat_bwd(s, slot, pos, h, dm->fan_in, dm->n_out, sc, D, GD,
                                     s->hist + (size_t)h * esz, &hd, dentry, &s->hlive[h]);
                add_param(s, out, row, op->group_w, standard ? 1.0 : sc * sc, GD, hd.gram,
                          (double)dm->fan_in);
            }
            s->glive[dr] = 0;
            break;
        }
        }
        s->dver[dr]++;
        if (op->src >= 0) s->dver[op->src]++;
        if (op->src2 >= 0) s->dver[op->src2]++;
        if (dep >= 0) {
            memcpy(s->dgc[dep], Gdep, (size_t)k * (size_t)k * sizeof *Gdep);
            s->dgc_ver[dep] = s->dver[dep];
        }
    }
}

/* ------------------------------------------------------------------ checkpoints */
static void set_widths(ntk_sim *s, const long *w)
{
    for (int r = 0; r < NTK_REG_COUNT; r++)
        s->curw[r] = w[r];
}

/* First block of segment seg (segment nseg: one past the last block). */
static long seg_start(const ntk_sim *s, long seg)
{
    if (seg >= s->nseg) return s->depth + 1;
    long b = s->first + seg * s->seg_len - s->seg_off;
    return b < s->first ? s->first : b;
}

static double *ckpt_slot(ntk_sim *s, long seg, int r)
{
    int idx = 0;
    for (int q = 0; q < r; q++)
        idx += s->live[q];
    size_t regsz = (size_t)s->maxw * (size_t)s->k;
    return s->ckpt + ((size_t)seg * (size_t)s->nlive + (size_t)idx) * regsz;
}

static void ckpt_save(ntk_sim *s, long seg)
{
    for (int r = 0; r < NTK_REG_COUNT; r++)
        if (s->live[r])
            memcpy(ckpt_slot(s, seg, r), s->regbuf[r],
                   (size_t)s->curw[r] * (size_t)s->k * sizeof(double));
}

static void ckpt_restore(ntk_sim *s, long seg)
{
    long b0 = seg_start(s, seg);
    set_widths(s, b0 == s->first ? s->w_after_stem : s->w_after_blk[0]);
    for (int r = 0; r < NTK_REG_COUNT; r++)
        if (s->live[r]) {
            memcpy(s->regbuf[r], ckpt_slot(s, seg, r),
                   (size_t)s->curw[r] * (size_t)s->k * sizeof(double));
            s->ver[r]++;
        }
}

/* ------------------------------------------------------------------ one sample */
/* Number of non-finite values among the quantities that involve no division: f, nngp, ntk,
 * ntk_group, and ntk_layer, p, pi of the rows from the stem's row on. */
long ntk_sim_record_nonfinite(const ntk_sim_layout *lay, long first, int M, const double *rec)
{
    static const int whole[] = {NTK_SQ_F, NTK_SQ_NNGP, NTK_SQ_NTK, NTK_SQ_NTK_GROUP};
    const int k = lay->shape.n_input, np = lay->shape.n_pair;
    /* readout[p]: pair p is a readout pair (iM, jM) */
    unsigned char readout[NTK_SIM_MAX_K * (NTK_SIM_MAX_K + 1) / 2];
    for (int u = 0, p = 0; u < k; u++)
        for (int v = u; v < k; v++, p++)
            readout[p] = M <= 1 || (u % M == 0 && v % M == 0);
    long bad = 0;
    for (size_t q = 0; q < sizeof whole / sizeof whole[0]; q++) {
        const double *v = rec + lay->offset[whole[q]];
        int ntkq = whole[q] == NTK_SQ_NTK || whole[q] == NTK_SQ_NTK_GROUP;
        for (size_t i = 0; i < lay->size[whole[q]]; i++)
            bad += !isfinite(v[i]) && (!ntkq || readout[i % (size_t)np]);
    }
    static const int rows[] = {NTK_SQ_P, NTK_SQ_PI, NTK_SQ_NTK_LAYER};
    for (size_t q = 0; q < 3; q++) {
        const double *v = rec + lay->offset[rows[q]];
        size_t per_row = lay->size[rows[q]] / (size_t)lay->shape.n_layer;
        int ntkq = rows[q] == NTK_SQ_NTK_LAYER;
        for (size_t i = (size_t)(first - 1) * per_row; i < lay->size[rows[q]]; i++)
            bad += !isfinite(v[i]) && (!ntkq || readout[i % (size_t)np]);
    }
    return bad;
}

/* finalize_record of a spatial program (docs/simulator.md 8): chi relative to the position mean
 * of the stream gradient at the model depth, chi_group (at the readout inputs iM) relative to
 * its position sum; the NTK quantities at the readout pairs (iM, jM), copied to every virtual pair
 * of the input pair when the output is the same at every position (FLATTEN readout) and NaN at
 * the other pairs otherwise; f and nngp at every virtual input and pair. */
static void finalize_spatial(ntk_sim *s, double *out)
{
    const int k = s->k, M = s->M, kr = s->kr;
    const ntk_sim_layout *lay = &s->lay;
    long row0 = s->first - 1, L = s->depth;
    double hsum[NTK_SIM_MAX_K], pd[NTK_SIM_MAX_K];
    for (int i = 0; i < kr; i++) {
        double acc = 0.0;
        for (int a = 0; a < M; a++) {
            int u = i * M + a;
            acc += *ntk_sim_record_at(lay, out, NTK_SQ_PI, L, 0, ntk_pair_index(u, u, k));
        }
        hsum[i] = acc;
    }
    for (long r = row0; r <= L; r++) {
        for (int u = 0; u < k; u++) {
            pd[u] = *ntk_sim_record_at(lay, out, NTK_SQ_PI, r, 0, ntk_pair_index(u, u, k));
            *ntk_sim_record_at(lay, out, NTK_SQ_CHI, r, 0, u) = pd[u] / (hsum[u / M] / (double)M);
        }
        for (int u = 0; u < k; u++)
            for (int v = u; v < k; v++) {
                int q = ntk_pair_index(u, v, k);
                double puv = *ntk_sim_record_at(lay, out, NTK_SQ_PI, r, 0, q);
                *ntk_sim_record_at(lay, out, NTK_SQ_GRAD_CORR, r, 0, q) = puv / sqrt(pd[u] * pd[v]);
            }
        for (int g = 0; g < NTK_GROUP_COUNT; g++) {
            size_t cell = ((size_t)r * NTK_GROUP_COUNT + (size_t)g) * 2;
            if (s->cg_cnt[cell] <= 0) cell++;
            double cnt = s->cg_cnt[cell];
            if (cnt <= 0) continue;
            const double *sum = s->cg_sum + cell * (size_t)k;
            for (int i = 0; i < kr; i++)
                *ntk_sim_record_at(lay, out, NTK_SQ_CHI_GROUP, r, g, i * M) =
                    (sum[i * M] / cnt) / hsum[i];
        }
    }
    /* NTK per group and total at the readout pairs */
    double tot[NTK_SIM_MAX_K * (NTK_SIM_MAX_K + 1) / 2];
    for (int i = 0; i < kr; i++)
        for (int j = i; j < kr; j++)
            tot[ntk_pair_index(i, j, kr)] = 0.0;
    for (int g = 0; g < NTK_GROUP_COUNT; g++)
        for (int i = 0; i < kr; i++)
            for (int j = i; j < kr; j++) {
                int q = ntk_pair_index(i * M, j * M, k);
                double sum = 0.0;
                for (long r = row0; r <= L; r++)
                    sum += *ntk_sim_record_at(lay, out, NTK_SQ_NTK_LAYER, r, g, q);
                tot[ntk_pair_index(i, j, kr)] += sum;
                for (int u = i * M; u < (i + 1) * M; u++)
                    for (int v = j * M; v < (j + 1) * M; v++)
                        if (v >= u && (s->out_const || (u == i * M && v == j * M)))
                            *ntk_sim_record_at(lay, out, NTK_SQ_NTK_GROUP, 0, g,
                                               ntk_pair_index(u, v, k)) = sum;
            }
    const double *F = s->reg[NTK_REG_F];
    for (int u = 0; u < k; u++)
        *ntk_sim_record_at(lay, out, NTK_SQ_F, 0, 0, u) = F[u];
    for (int u = 0; u < k; u++)
        for (int v = u; v < k; v++) {
            int q = ntk_pair_index(u, v, k), i = u / M, j = v / M;
            *ntk_sim_record_at(lay, out, NTK_SQ_NNGP, 0, 0, q) = F[u] * F[v];
            if (!s->out_const && (u % M != 0 || v % M != 0)) continue;
            double gij = tot[ntk_pair_index(i, j, kr)], gi = tot[ntk_pair_index(i, i, kr)],
                   gj = tot[ntk_pair_index(j, j, kr)];
            *ntk_sim_record_at(lay, out, NTK_SQ_NTK, 0, 0, q) = gij;
            *ntk_sim_record_at(lay, out, NTK_SQ_NTK_NORM, 0, 0, q) = gij / sqrt(gi * gj);
        }
}

static void finalize_record(ntk_sim *s, double *out)
{
    if (s->spatial) {
        finalize_spatial(s, out);
        return;
    }
    const int k = s->k;
    const ntk_sim_layout *lay = &s->lay;
    long row0 = s->first - 1, L = s->depth;
    double piL[NTK_SIM_MAX_K];
    for (int i = 0; i < k; i++)
        piL[i] = *ntk_sim_record_at(lay, out, NTK_SQ_PI, L, 0, ntk_pair_index(i, i, k));
    for (long r = row0; r <= L; r++) {
        for (int i = 0; i < k; i++) {
            double pii = *ntk_sim_record_at(lay, out, NTK_SQ_PI, r, 0, ntk_pair_index(i, i, k));
            *ntk_sim_record_at(lay, out, NTK_SQ_CHI, r, 0, i) = pii / piL[i];
            for (int j = i; j < k; j++) {
                double pjj = *ntk_sim_record_at(lay, out, NTK_SQ_PI, r, 0, ntk_pair_index(j, j, k));
                double pij = *ntk_sim_record_at(lay, out, NTK_SQ_PI, r, 0, ntk_pair_index(i, j, k));
                *ntk_sim_record_at(lay, out, NTK_SQ_GRAD_CORR, r, 0, ntk_pair_index(i, j, k)) =
                    pij / sqrt(pii * pjj);
            }
        }
        for (int g = 0; g < NTK_GROUP_COUNT; g++) {
            /* weights of the group if block r has any, else its biases */
            size_t cell = ((size_t)r * NTK_GROUP_COUNT + (size_t)g) * 2;
            if (s->cg_cnt[cell] <= 0) cell++;
            double cnt = s->cg_cnt[cell];
            if (cnt <= 0) continue;
            const double *sum = s->cg_sum + cell * (size_t)k;
            for (int i = 0; i < k; i++)
                *ntk_sim_record_at(lay, out, NTK_SQ_CHI_GROUP, r, g, i) = (sum[i] / cnt) / piL[i];
        }
    }
    /* NTK per group and total. */
    double tot[NTK_SIM_MAX_K * (NTK_SIM_MAX_K + 1) / 2];
    for (int q = 0; q < s->npair; q++)
        tot[q] = 0.0;
    for (int g = 0; g < NTK_GROUP_COUNT; g++)
        for (int q = 0; q < s->npair; q++) {
            double sum = 0.0;
            for (long r = row0; r <= L; r++)
                sum += *ntk_sim_record_at(lay, out, NTK_SQ_NTK_LAYER, r, g, q);
            *ntk_sim_record_at(lay, out, NTK_SQ_NTK_GROUP, 0, g, q) = sum;
            tot[q] += sum;
        }
    const double *F = s->reg[NTK_REG_F];
    for (int i = 0; i < k; i++)
        *ntk_sim_record_at(lay, out, NTK_SQ_F, 0, 0, i) = F[i];
    for (int i = 0; i < k; i++)
        for (int j = i; j < k; j++) {
            int q = ntk_pair_index(i, j, k);
            *ntk_sim_record_at(lay, out, NTK_SQ_NTK, 0, 0, q) = tot[q];
            *ntk_sim_record_at(lay, out, NTK_SQ_NNGP, 0, 0, q) = F[i] * F[j];
            double gi = tot[ntk_pair_index(i, i, k)], gj = tot[ntk_pair_index(j, j, k)];
            *ntk_sim_record_at(lay, out, NTK_SQ_NTK_NORM, 0, 0, q) = tot[q] / sqrt(gi * gj);
        }
}

int ntk_sim_sample(ntk_sim *s, const double *X, uint64_t seed, uint64_t point_key, uint64_t sample,
                   double *out)
{
    if (!s || !X || !out) return ntk_error_set(NTK_EINVAL, "sim_sample: NULL argument");
    if (sample >> 32)
        return ntk_error_set(NTK_EINVAL, "sim_sample: sample index %llu >= 2^32",
                             (unsigned long long)sample);
    const ntk_program *p = &s->prog;
    const ntk_sim_layout *lay = &s->lay;
    const int k = s->k;
    s->key = ntk_rng_key_make(seed, point_key);
    s->sample = (uint32_t)sample;
    for (size_t i = 0; i < lay->record_size; i++)
        out[i] = NAN;
    /* Sums start at zero from the stem's row on. */
    size_t lrow = (size_t)NTK_GROUP_COUNT * (size_t)s->npair;
    if (!s->spatial)
        for (size_t i = (size_t)(s->first - 1) * lrow; i < lay->size[NTK_SQ_NTK_LAYER]; i++)
            out[lay->offset[NTK_SQ_NTK_LAYER] + i] = 0.0;
    else /* at the readout pairs only */
        for (long r = s->first - 1; r <= s->depth; r++)
            for (int g = 0; g < NTK_GROUP_COUNT; g++)
                for (int i = 0; i < s->kr; i++)
                    for (int j = i; j < s->kr; j++)
                        *ntk_sim_record_at(lay, out, NTK_SQ_NTK_LAYER, r, g,
                                           ntk_pair_index(i * s->M, j * s->M, k)) = 0.0;
    memset(s->cg_cnt, 0, (size_t)(s->depth + 1) * NTK_GROUP_COUNT * 2 * sizeof *s->cg_cnt);
    memset(s->cg_sum, 0,
           (size_t)(s->depth + 1) * NTK_GROUP_COUNT * 2 * (size_t)k * sizeof *s->cg_sum);
    s->reg[NTK_REG_X] = X;
    for (int r = 0; r < NTK_REG_COUNT; r++) {
        s->ver[r]++;
        s->dver[r]++;
    }
    memset(s->curw, 0, sizeof s->curw);
    s->curw[NTK_REG_X] = s->d;

    /* Forward. */
    forward_section(s, SEC_STEM, 0, MODE_FIRST, out);
    for (long l = s->first; l <= s->depth; l++) {
        long i = l - s->first;
        if (s->nseg > 1 && (i == 0 || (i + s->seg_off) % s->seg_len == 0))
            ckpt_save(s, (i + s->seg_off) / s->seg_len);
        forward_section(s, SEC_BLOCK, l, MODE_FIRST, out);
    }
    forward_section(s, SEC_HEAD, s->depth + 1, MODE_FIRST, out);
    long wfinal[NTK_REG_COUNT];
    memcpy(wfinal, s->curw, sizeof wfinal);

    /* Backward from f = unit 0 of F. */
    memset(s->glive, 0, sizeof s->glive);
    if (p->needs_history) memset(s->hlive, 0, (size_t)(s->depth + 1) * sizeof *s->hlive);
    double *dF = s->dreg[NTK_REG_F];
    memset(dF, 0, (size_t)s->curw[NTK_REG_F] * (size_t)k * sizeof *dF);
    for (int j = 0; j < k; j++) /* spatial: the output of input i is read at column i*M */
        dF[j] = j % s->M == 0 ? 1.0 : 0.0;
    s->glive[NTK_REG_F] = 1;
    backward_section(s, SEC_HEAD, s->depth + 1, out);
    for (long seg = s->nseg - 1; seg >= 0; seg--) {
        long b0 = seg_start(s, seg), b1 = seg_start(s, seg + 1) - 1;
        if (seg != s->nseg - 1) {
            long wsave[NTK_REG_COUNT];
            memcpy(wsave, s->curw, sizeof wsave);
            ckpt_restore(s, seg);
            for (long l = b0; l <= b1; l++)
                forward_section(s, SEC_BLOCK, l, MODE_RECOMPUTE, out);
            set_widths(s, wsave);
        }
        for (long l = b1; l >= b0; l--)
            backward_section(s, SEC_BLOCK, l, out);
    }
    backward_section(s, SEC_STEM, 0, out);
    set_widths(s, wfinal);
    finalize_record(s, out);
    long bad = ntk_sim_record_nonfinite(lay, s->first, s->M, out);
    return bad > 0x7fffffff ? 0x7fffffff : (int)bad;
}

/* ------------------------------------------------------------------ statistics */
ntk_sim_result *ntk_sim_result_alloc(long depth, int k)
{
    if (depth < 1 || k < 1 || k > NTK_SIM_MAX_K) {
        ntk_error_set(NTK_EINVAL, "sim result: need depth >= 1 and 1 <= k <= %d", NTK_SIM_MAX_K);
        return NULL;
    }
    ntk_sim_result *r = calloc(1, sizeof *r);
    if (!r) {
        ntk_error_set(NTK_ENOMEM, "sim result: out of memory");
        return NULL;
    }
    ntk_sim_layout_init(&r->layout, depth, k);
    r->shape = r->layout.shape;
    r->shape.n_stat = NTK_STAT_COUNT;
    for (int q = 0; q < NTK_SR_COUNT; q++) {
        size_t n = ntk_qty_size(sim_result_table_[q].dims, &r->shape);
        r->data[q] = malloc(n * sizeof(double));
        if (!r->data[q]) {
            ntk_sim_result_free(r);
            ntk_error_set(NTK_ENOMEM, "sim result: out of memory");
            return NULL;
        }
        for (size_t i = 0; i < n; i++)
            r->data[q][i] = NAN;
    }
    return r;
}

void ntk_sim_result_free(ntk_sim_result *r)
{
    if (!r) return;
    for (int q = 0; q < NTK_SR_COUNT; q++)
        free(r->data[q]);
    free(r);
}

double *ntk_sim_result_at(ntk_sim_result *r, int q, long layer, int group, int stat, int idx)
{
    return r->data[q] + qty_index(sim_result_table_[q].dims, &r->shape, layer, group, stat, idx);
}
