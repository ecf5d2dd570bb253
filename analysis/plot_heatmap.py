#!/usr/bin/env python3
"""plot_heatmap.py - heatmap of one quantity of an ntksweep archive over two axes.

usage: plot_heatmap.py ARCHIVE [--quantity Q] [--x AXIS] [--y AXIS] [--layer last|L]
                       [--pair I,J] [--input I] [--group G] [--stat S] [--at AXIS=VALUE ...]
                       [--log | --linear] [--out FILE.png]

Defaults: the quantity is theory "e" (else "c", "ntk_norm", "q", else the first quantity of the
first section); x and y are the first two numeric grid axes (with more than one value; "layer"
may also be chosen); the layer is each point's last layer ("last": the network at the point's
own depth); the pair is the last off-diagonal input pair (k-2, k-1); the remaining grid axes
are held at their first value unless --at gives one (nearest for numbers, the label for
categories). Q may be written SECTION/NAME ("sim/ntk"). The colour scale is logarithmic for
positive quantities spanning more than two decades (--log / --linear override). NaN (points not
computed or undefined) is drawn grey. The title carries the spec name and the selection.
Writes FILE.png (default: <archive>_<section>_<quantity>.png next to the archive).
"""
import argparse
import os
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.colors as mcolors  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
import matplotlib.ticker as mticker  # noqa: E402
import numpy as np  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ntksweep_archive as na  # noqa: E402

DEFAULT_QUANTITIES = ("e", "c", "ntk_norm", "q")


def find_quantity(path, q):
    """(section, name) of quantity q ("name" or "section/name")."""
    secs = na.sections(path)
    if q and "/" in q:
        sec, name = q.split("/", 1)
        return sec, name
    order = (["theory"] if "theory" in secs else []) + [s for s in secs if s != "theory"]
    for sec in order:
        ds = na.open_section(path, sec)
        names = [v for v in ds.data_vars if "symbol" in ds[v].attrs]
        ds.close()
        if q and q in names:
            return sec, q
        if not q:
            for cand in DEFAULT_QUANTITIES:
                if cand in names:
                    return sec, cand
    if q:
        raise SystemExit(f"plot_heatmap: no quantity '{q}' in {path} (sections {secs})")
    ds = na.open_section(path, secs[0])
    names = [v for v in ds.data_vars if "symbol" in ds[v].attrs]
    ds.close()
    return secs[0], names[0]


def edges(v):
    """Cell edges around coordinate values (midpoints; geometric midpoints on log axes)."""
    v = np.asarray(v, dtype=float)
    if len(v) == 1:
        return np.array([v[0] - 0.5, v[0] + 0.5]) if v[0] <= 0 else np.array([v[0] / 1.5, v[0] * 1.5])
    if is_log_axis(v):
        m = np.sqrt(v[1:] * v[:-1])
        return np.concatenate([[v[0] ** 2 / m[0]], m, [v[-1] ** 2 / m[-1]]])
    m = 0.5 * (v[1:] + v[:-1])
    return np.concatenate([[2 * v[0] - m[0]], m, [2 * v[-1] - m[-1]]])


def is_log_axis(v):
    v = np.asarray(v, dtype=float)
    if len(v) < 3 or np.any(v <= 0) or np.any(np.diff(v) <= 0):
        return False
    r = v[1:] / v[:-1]
    return v[-1] / v[0] > 50 and np.std(np.log(r)) < 0.5 * np.mean(np.log(r))


def log_ticks(axis, set_scale, values):
    """Logarithmic axis labelled with the coordinate values themselves (plain numbers)."""
    set_scale("log")
    if len(values) <= 16:
        axis.set_ticks(values)
    axis.set_major_formatter(mticker.FuncFormatter(lambda v, _: f"{v:g}"))
    axis.set_minor_locator(mticker.NullLocator())


def label(ds, name):
    c = ds[name]
    units = c.attrs.get("units", "")
    return f"{name} [{units}]" if units and units != "1" else name


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("archive")
    ap.add_argument("--quantity", "-q")
    ap.add_argument("--x")
    ap.add_argument("--y")
    ap.add_argument("--layer", default="last")
    ap.add_argument("--pair", help="I,J (input indices)")
    ap.add_argument("--input", type=int, default=0)
    ap.add_argument("--group")
    ap.add_argument("--stat", default="mean")
    ap.add_argument("--at", action="append", default=[], metavar="AXIS=VALUE")
    g = ap.add_mutually_exclusive_group()
    g.add_argument("--log", action="store_true")
    g.add_argument("--linear", action="store_true")
    ap.add_argument("--out", "-o")
    a = ap.parse_args(argv)

    path = a.archive
    sec, qname = find_quantity(path, a.quantity)
    ds = na.open_section(path, sec)
    if qname not in ds:
        raise SystemExit(f"plot_heatmap: no quantity '{qname}' in section '{sec}'")
    da = ds[qname]
    axes = [x for x in na.grid_axes(path) if x in da.dims]
    numeric = [x for x in axes if ds[x].dtype.kind in "fiu" and ds.sizes[x] > 1]
    choices = numeric + [x for x in axes if x not in numeric and ds.sizes[x] > 1] + axes
    if "layer" in da.dims:
        choices.append("layer")
    x = a.x or next((c for c in choices if c != a.y), None)
    y = a.y or next((c for c in choices if c != x), None)
    if x is None or y is None or x == y:
        raise SystemExit(f"plot_heatmap: need two distinct axes among {axes + ['layer']}")
    for d in (x, y):
        if d not in da.dims:
            raise SystemExit(f"plot_heatmap: '{d}' is not a dimension of {qname} {da.dims}")

    sel, notes = {}, []
    for item in a.at:
        k, _, v = item.partition("=")
        if k not in ds.dims:
            raise SystemExit(f"plot_heatmap: --at {item}: no axis '{k}'")
        sel[k] = float(v) if ds[k].dtype.kind in "fiu" else v
    for d in axes:
        if d not in (x, y) and d not in sel:
            sel[d] = ds[d].values[0]
    pair = None
    if "pair" in da.dims:
        k = int(ds["pair_j"].values.max()) + 1
        pair = tuple(int(t) for t in a.pair.split(",")) if a.pair else ((k - 2, k - 1) if k > 1 else (0, 0))
        notes.append(f"pair ({pair[0]},{pair[1]})")
    if "input" in da.dims:
        notes.append(f"input {a.input}")
    group = None
    if "group" in da.dims:
        group = a.group or str(ds["group"].values[0])
        notes.append(f"group {group}")
    if "stat" in da.dims:
        notes.append(f"stat {a.stat}")
    layer = None
    if "layer" in da.dims and "layer" not in (x, y):
        layer = a.layer
        notes.append("last layer" if layer == "last" else f"layer {layer}")
    for k, v in sel.items():
        notes.append(f"{k}={v:g}" if isinstance(v, (float, np.floating)) else f"{k}={v}")
    da = na.select(da, layer=layer, pair=pair, input=a.input if "input" in da.dims else None,
                   group=group, stat=a.stat if "stat" in da.dims else None, **sel)
    da = da.transpose(y, x)
    z = np.asarray(da.values, dtype=float)

    fin = z[np.isfinite(z)]
    use_log = a.log or (not a.linear and fin.size and fin.min() > 0 and fin.max() / fin.min() > 100)
    if use_log and fin.size and fin.min() <= 0:
        use_log = False
    norm = mcolors.LogNorm(vmin=fin.min(), vmax=fin.max()) if use_log and fin.size else None
    cmap = plt.get_cmap("viridis").copy()
    cmap.set_bad("0.6")

    fig, ax = plt.subplots(figsize=(7.0, 5.4), dpi=110)
    xs, ys = ds[x].values, ds[y].values
    xnum, ynum = xs.dtype.kind in "fiu", ys.dtype.kind in "fiu"
    xe = edges(xs) if xnum else np.arange(len(xs) + 1) - 0.5
    ye = edges(ys) if ynum else np.arange(len(ys) + 1) - 0.5
    mesh = ax.pcolormesh(xe, ye, np.ma.masked_invalid(z), cmap=cmap, norm=norm, shading="flat")
    if not xnum:
        ax.set_xticks(range(len(xs)), [str(s) for s in xs], rotation=30)
    elif is_log_axis(xs):
        log_ticks(ax.xaxis, ax.set_xscale, xs)
    if not ynum:
        ax.set_yticks(range(len(ys)), [str(s) for s in ys])
    elif is_log_axis(ys):
        log_ticks(ax.yaxis, ax.set_yscale, ys)
    ax.set_xlabel(label(ds, x))
    ax.set_ylabel(label(ds, y))
    attrs = ds[qname].attrs
    units = attrs.get("units", "")
    cb = fig.colorbar(mesh, ax=ax)
    cb.set_label(f"{qname} ({attrs.get('long_name', qname)})" + (f" [{units}]" if units and units != "1" else ""))
    prov = na.provenance(path)
    title = prov.get("spec_name") or os.path.basename(path)
    ax.set_title(f"{title}: {sec}/{qname}\n" + ", ".join(notes), fontsize=10)
    if not np.isfinite(z).all():
        ax.text(1.0, -0.13, "grey: NaN (not computed or undefined) or inf", transform=ax.transAxes,
                ha="right", va="top", fontsize=8, color="0.35")
    fig.tight_layout()
    out = a.out or f"{os.path.splitext(path)[0]}_{sec}_{qname}.png"
    fig.savefig(out)
    plt.close(fig)
    ds.close()
    print(out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
