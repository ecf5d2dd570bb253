#!/usr/bin/env python3
"""ntksweep_archive.py - read ntksweep archives (one HDF5 file per sweep) with xarray.

Each section of an archive ("theory", "sim") is a netCDF-4 group whose variables carry named
dimensions with coordinates (every grid axis, layer, group, stat, pair, input), so it opens as an
xarray Dataset:

    import ntksweep_archive as na
    ds = na.open_section("sweep.h5", "theory")        # xarray.Dataset
    e = na.select(ds["e"], sigma_w=1.5, layer="last", pair=(0, 1))
    print(na.provenance("sweep.h5")["spec_name"], na.spec_text("sweep.h5"))

Conventions (docs/archive.md): points are NaN where not computed (status 0 pending, 2 failed)
and along layers beyond a point's depth; pair p is the input pair (pair_i[p], pair_j[p]).

Run as a script for a short summary:  python3 ntksweep_archive.py ARCHIVE [SECTION]
"""
import sys

import h5py
import numpy as np
import xarray as xr

STATUS = {0: "pending", 1: "done", 2: "failed"}


def _text(v):
    return v.decode() if isinstance(v, bytes) else str(v)


def sections(path):
    """Section names of an archive, in file order (e.g. ["theory", "sim"])."""
    with h5py.File(path, "r") as f:
        s = _text(f.attrs.get("sections", ""))
        return [x for x in s.split(",") if x] or [k for k in f.keys() if k != "provenance"]


def grid_axes(path):
    """Names of the grid axes (the leading dimensions of every quantity), in order."""
    with h5py.File(path, "r") as f:
        return [x for x in _text(f.attrs.get("grid_axes", "")).split(",") if x]


def open_section(path, section="theory", engine=None):
    """The section as an xarray.Dataset (engine "netcdf4", or "h5netcdf" if netCDF4 is
    missing). Quantities keep units, long_name (the paper symbol) and description as attrs."""
    engines = [engine] if engine else ["netcdf4", "h5netcdf"]
    err = None
    for eng in engines:
        try:
            return xr.open_dataset(path, group=section, engine=eng)
        except (ValueError, ImportError, ModuleNotFoundError) as e:  # engine not installed
            err = e
    raise err


def provenance(path):
    """Provenance as a dict: the attributes of /provenance plus 'runs' (one dict per run, with
    its hosts) and the root attributes under 'archive'."""
    with h5py.File(path, "r") as f:
        p = f["provenance"]
        out = {k: (_text(v) if isinstance(v, (bytes, str)) else v) for k, v in p.attrs.items()}
        out["archive"] = {k: (_text(v) if isinstance(v, (bytes, str)) else v)
                          for k, v in f.attrs.items()}
        runs = []
        for name in sorted(k for k in p.keys() if k.startswith("run_")):
            g = p[name]
            r = {k: (_text(v) if isinstance(v, (bytes, str)) else v) for k, v in g.attrs.items()}
            if "hosts" in g:
                r["hosts"] = _text(g["hosts"][()]).split(",")
            r["name"] = name
            runs.append(r)
        out["runs"] = runs
        return out


def spec_text(path):
    """The spec the archive was computed from, verbatim."""
    with h5py.File(path, "r") as f:
        return _text(f["provenance/spec_text"][()])


def pair_index(ds, i, j):
    """Index along `pair` of the input pair (i, j) (either order)."""
    i, j = min(i, j), max(i, j)
    pi, pj = ds["pair_i"].values, ds["pair_j"].values
    hit = np.nonzero((pi == i) & (pj == j))[0]
    if not len(hit):
        raise KeyError(f"no input pair ({i}, {j}); k = {int(pj.max()) + 1}")
    return int(hit[0])


def last_layer(da):
    """Each point's last layer row holding a number (the network at the point's own depth);
    removes the layer dimension."""
    if "layer" not in da.dims:
        return da
    ax = da.dims.index("layer")
    v = np.moveaxis(da.values, ax, -1)
    ok = ~np.isnan(v)
    idx = np.where(ok.any(-1), v.shape[-1] - 1 - np.argmax(ok[..., ::-1], axis=-1), 0)
    out = np.take_along_axis(v, idx[..., None], axis=-1)[..., 0]
    dims = [d for d in da.dims if d != "layer"]
    coords = {k: c for k, c in da.coords.items() if "layer" not in c.dims}
    return xr.DataArray(out, dims=dims, coords=coords, attrs=da.attrs, name=da.name)


def select(da, layer=None, pair=None, input=None, group=None, stat=None, **axes):
    """Selects along result dims and grid axes.

    layer: int (the coordinate value), or "last" (see last_layer); pair: an index or a tuple
    (i, j); input: an index; group / stat: a name ("W", "mean"); axes: grid axis values
    (numeric axes take the nearest value, categorical axes the exact label). Dimensions not
    mentioned are kept."""
    ds = da.to_dataset(name="_v") if isinstance(da, xr.DataArray) else da
    out = da
    if pair is not None and "pair" in out.dims:
        p = pair_index(ds, *pair) if isinstance(pair, (tuple, list)) else int(pair)
        out = out.isel(pair=p)
    if input is not None and "input" in out.dims:
        out = out.isel(input=int(input))
    if group is not None and "group" in out.dims:
        out = out.sel(group=group)
    if stat is not None and "stat" in out.dims:
        out = out.sel(stat=stat)
    for name, value in axes.items():
        if name not in out.dims:
            raise KeyError(f"no axis '{name}' in {out.dims}")
        if out[name].dtype.kind in "fiu":
            out = out.sel({name: value}, method="nearest")
        else:
            out = out.sel({name: value})
    if layer is not None and "layer" in out.dims:
        out = last_layer(out) if layer == "last" else out.sel(layer=int(layer))
    return out


def status_counts(path, section="theory"):
    """{"pending": n, "done": n, "failed": n} for a section."""
    with h5py.File(path, "r") as f:
        st = f[section]["status"][()].ravel()
    return {name: int(np.sum(st == code)) for code, name in STATUS.items()}


def main(argv):
    if len(argv) < 2:
        print(__doc__)
        return 2
    path = argv[1]
    prov = provenance(path)
    print(f"{path}: {prov.get('spec_name', '?')}  ({prov['archive'].get('completion', '?')})")
    for sec in argv[2:] or sections(path):
        ds = open_section(path, sec)
        print(f"[{sec}] {status_counts(path, sec)}")
        for name, v in ds.data_vars.items():
            if name in ("status", "seconds", "n_nonfinite"):
                continue
            print(f"  {name:14s} {str(dict(v.sizes)):70s} {v.attrs.get('units', '')}")
        ds.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
