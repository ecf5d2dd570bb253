#!/usr/bin/env python3
"""samples_check.py - checks of the per-sample section of `ntksweep run` archives (sim.keep_samples).

  samples_check.py stats ARCHIVE QTY...   the "samples" section holds exactly the record
        quantities QTY over a `sample` coordinate 0..samples-1 (xarray sees it), and, with every
        sample kept, their mean, std and n_finite over `sample` equal the sim section's
        statistics (1e-12 relative: the summation orders differ); NaN exactly where the sim
        statistics are NaN
  samples_check.py prefix FULL PART N     PART keeps the first N samples: its samples section
        is FULL's first N samples bit for bit, the rest of the archive (sim statistics, theory)
        equals FULL's
  samples_check.py none ARCHIVE           no samples section, no sample coordinate anywhere
  samples_check.py drop ARCHIVE           marks the samples section of every third point pending
        and overwrites its data with zeros (the sim section stays done), as a run killed between
        the two sections' writes would leave it, with the journal gone
Exit 0 when the checks pass.
"""
import sys
import warnings

import h5py
import numpy as np
import xarray as xr

REL = 1e-12
npass = nfail = 0


def check(cond, what):
    global npass, nfail
    if cond:
        npass += 1
    else:
        nfail += 1
        print(f"FAIL {what}")


def dim_names(d):
    """Names of the dimension scales attached to dataset d, in axis order."""
    return [dim[0].name.split("/")[-1] for dim in d.dims]


def close(got, want, what):
    """got and want agree to REL relative, with NaN in the same places."""
    got, want = np.asarray(got, float), np.asarray(want, float)
    nan_g, nan_w = np.isnan(got), np.isnan(want)
    if got.shape != want.shape or not np.array_equal(nan_g, nan_w):
        check(False, f"{what}: shapes {got.shape} {want.shape} or NaN positions differ")
        return
    m = ~nan_w
    err = np.abs(got[m] - want[m])
    tol = REL * np.maximum(np.abs(want[m]), 1e-300)
    worst = float(np.max(err / tol)) * REL if err.size else 0.0
    check(bool(np.all(err <= tol)), f"{what}: relative difference {worst:.3g} > {REL}")
    print(f"  {what}: {int(m.sum())} values, largest relative difference {worst:.3g}")


def stats(path, names):
    with h5py.File(path, "r") as f:
        check("samples" in f, "archive has a samples section")
        g, s = f["samples"], f["sim"]
        qty = [k for k in g if "symbol" in g[k].attrs]
        check(qty == names, f"samples quantities {qty}, want {names}")
        n = int(g["sample"].shape[0])
        check(np.array_equal(g["sample"][()], np.arange(n)), "sample coordinate 0..n-1")
        check((g["status"][()] == 1).all(), "every point's samples done")
        check("sample" not in s and "sample" not in f["theory"], "no sample dim elsewhere")
        stat = [v.decode() if isinstance(v, bytes) else v for v in s["stat"][()]]
        for q in names:
            x = g[q][()]
            ax = dim_names(g[q]).index("sample")
            mean = s[q][()].take(stat.index("mean"), axis=ax)
            std = s[q][()].take(stat.index("std"), axis=ax)
            nfin = s[q][()].take(stat.index("n_finite"), axis=ax)
            check(x.shape[ax] == n, f"{q}: {n} samples")
            with warnings.catch_warnings():  # all-NaN slices (layers beyond the depth)
                warnings.simplefilter("ignore", RuntimeWarning)
                m = np.nanmean(x, axis=ax)
                sd = np.nanstd(x, axis=ax, ddof=1)
            close(m, mean, f"{q} mean over samples vs sim mean")
            close(sd, std, f"{q} std over samples vs sim std")
            fin = np.isfinite(x).sum(axis=ax).astype(float)
            check(np.array_equal(fin[~np.isnan(nfin)], nfin[~np.isnan(nfin)]),
                  f"{q}: finite samples = sim n_finite")
    ds = xr.open_dataset(path, group="samples", engine="netcdf4")
    check("sample" in ds.coords and ds["sample"].dims == ("sample",), "xarray: sample coordinate")
    check(ds["ntk"].dims == ("sigma_w2", "depth", "sample", "pair"), f"xarray: ntk dims {ds['ntk'].dims}")
    check(ds["q"].dims == ("sigma_w2", "depth", "layer", "sample", "pair"), "xarray: q dims")
    check(not any(d.startswith("phony") for d in ds.dims), f"xarray: no phony dims {ds.dims}")
    v = ds["ntk"].sel(sample=n - 1).isel(sigma_w2=0, depth=0, pair=0)
    with h5py.File(path, "r") as f:
        check(float(v) == float(f["samples/ntk"][0, 0, n - 1, 0]), "xarray: select by sample")
    ds.close()


def datasets(group):
    out = {}
    group.visititems(lambda name, o: out.__setitem__(name, o)
                     if isinstance(o, h5py.Dataset) and not name.endswith("seconds") else None)
    return out


def prefix(full, part, n):
    with h5py.File(full, "r") as a, h5py.File(part, "r") as b:
        check(b["samples/sample"].shape == (n,), f"{part}: {n} samples kept")
        for q in b["samples"]:
            o = b["samples"][q]
            if "symbol" not in o.attrs:
                continue
            ax = dim_names(o).index("sample")
            want = a["samples"][q][()].take(range(n), axis=ax)
            check(want.tobytes() == o[()].tobytes(), f"samples/{q}: first {n} samples bit for bit")
        for sec in ("sim", "theory", "phase"):
            da, db = datasets(a[sec]), datasets(b[sec])
            check(set(da) == set(db), f"{sec}: same datasets")
            for k in sorted(set(da) & set(db)):
                x, y = da[k][()], db[k][()]
                same = (x.dtype.kind == "O" and list(np.ravel(x)) == list(np.ravel(y))) or \
                    (x.dtype.kind != "O" and x.tobytes() == y.tobytes())
                check(same, f"{sec}/{k} identical")


def none(path):
    with h5py.File(path, "r") as f:
        check("samples" not in f, "no samples section")
        for sec in f:
            if sec != "provenance":
                check("sample" not in f[sec], f"no sample coordinate in {sec}")


def drop(path):
    with h5py.File(path, "r+") as f:
        st = f["samples/status"][()]
        pts = list(np.ndindex(st.shape))[::3]
        for p in pts:
            st[p] = 0
            for q in f["samples"]:
                d = f["samples"][q]
                if "symbol" in d.attrs:
                    d[p] = np.zeros(d.shape[len(st.shape):])
        f["samples/status"][()] = st
        check((f["sim/status"][()] == 1).all(), "sim stays done")
    print(f"  {len(pts)} points' samples marked pending")


def main(argv):
    cmd = argv[1]
    if cmd == "stats":
        stats(argv[2], argv[3:])
    elif cmd == "prefix":
        prefix(argv[2], argv[3], int(argv[4]))
    elif cmd == "none":
        none(argv[2])
    elif cmd == "drop":
        drop(argv[2])
    else:
        print(__doc__)
        return 2
    print(f"samples_check {cmd}: {npass} passed, {nfail} failed")
    return 1 if nfail else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
