#!/usr/bin/env python3
"""test_readers.py - an archive written by test_archive (3 ranks) read by netCDF-4 / xarray
readers and by the analysis scripts: named dimensions and coordinates on every axis (two axes of
equal length stay distinct), attributes, values identical to a direct HDF5 read, provenance,
selection helpers, and the default heatmap.

Usage: test_readers.py ARCHIVE OUTDIR
"""
import os
import subprocess
import sys

import h5py
import netCDF4
import numpy as np
import xarray as xr

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "analysis"))
import ntksweep_archive as na  # noqa: E402
import plot_heatmap  # noqa: E402

npass = nfail = 0


def check(cond, what):
    global npass, nfail
    if cond:
        npass += 1
    else:
        nfail += 1
        print(f"FAIL {what}")


def same_bits(a, b):
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    return a.shape == b.shape and a.tobytes() == b.tobytes()


def main(path, outdir):
    os.makedirs(outdir, exist_ok=True)
    grid = ("sigma_w", "depth", "act")
    h5 = h5py.File(path, "r")

    # xarray, netcdf4 engine (and h5netcdf when available): named dims and coordinates.
    engines = ["netcdf4"]
    try:
        import h5netcdf  # noqa: F401
        engines.append("h5netcdf")
    except ImportError:
        pass
    for eng in engines:
        th = xr.open_dataset(path, group="theory", engine=eng)
        sim = xr.open_dataset(path, group="sim", engine=eng)
        check(th["q"].dims == grid + ("layer", "pair"), f"{eng}: q dims {th['q'].dims}")
        check(th["ntk_group"].dims == grid + ("layer", "group", "pair"), f"{eng}: ntk_group dims")
        check(sim["grad"].dims == grid + ("layer", "group", "stat", "input"), f"{eng}: grad dims")
        check(sim["loss"].dims == grid + ("stat",), f"{eng}: loss dims")
        check(th["status"].dims == grid, f"{eng}: status dims")
        check(not any(d.startswith("phony") for d in th.dims), f"{eng}: no phony dims {th.dims}")
        check(np.array_equal(th["sigma_w"].values, [0.5, 1.0, 1.5, 2.0, 2.5]), f"{eng}: sigma_w")
        check(np.array_equal(th["depth"].values, [1, 2, 3, 5, 8]), f"{eng}: depth")
        check(list(th["act"].values) == ["relu", "tanh"], f"{eng}: act labels {th['act'].values}")
        check("act_mult" in th.coords and np.allclose(th["act_mult"].values, [2 ** 0.5, 1.0]),
              f"{eng}: auxiliary coordinate act_mult")
        check(np.array_equal(th["layer"].values, np.arange(9)), f"{eng}: layer")
        check(list(sim["stat"].values) == ["mean", "std", "sem", "q25", "median", "q75",
                                           "n_finite"], f"{eng}: stat labels")
        check(list(th["group"].values) == ["input", "W", "b", "V", "a", "readout", "readout_b"],
              f"{eng}: group labels")
        check("pair_i" in th.coords and list(th["pair_i"].values) == [0, 0, 0, 1, 1, 2] and
              list(th["pair_j"].values) == [0, 1, 2, 1, 2, 2], f"{eng}: pair_i/pair_j")
        a = th["q"].attrs
        check(a.get("units") == "variance" and a.get("symbol") == "q^l, lambda^l" and
              a.get("long_name") == "q^l, lambda^l" and "covariance" in a.get("description", ""),
              f"{eng}: q attributes {a}")
        check(th["sigma_w"].attrs.get("units") == "std", f"{eng}: axis units")
        check(np.isnan(th["q"].encoding.get("_FillValue", 0.0)), f"{eng}: NaN _FillValue")
        check(th["seconds"].attrs.get("units") == "s", f"{eng}: seconds units")
        # Values identical to a direct HDF5 read (NaN payloads included).
        check(same_bits(th["q"].values, h5["theory/q"][()]), f"{eng}: q values")
        check(same_bits(sim["grad"].values, h5["sim/grad"][()]), f"{eng}: grad values")
        check(int((th["status"].values == 1).sum()) == 49, f"{eng}: 49 theory points done")
        check(int((sim["status"].values == 2).sum()) == 3, f"{eng}: 3 sim points failed")
        # The sample dimension: a named coordinate 0..n_sample-1, between layer/group and
        # pair/input; samples a point did not keep are NaN (point p keeps 1 + p % 4).
        smp = xr.open_dataset(path, group="samples", engine=eng)
        check(smp["ntk"].dims == grid + ("sample", "pair"), f"{eng}: samples/ntk dims")
        check(smp["chi"].dims == grid + ("layer", "sample", "input"), f"{eng}: samples/chi dims")
        check(smp["ntk_layer"].dims == grid + ("layer", "group", "sample", "pair"),
              f"{eng}: samples/ntk_layer dims {smp['ntk_layer'].dims}")
        check("sample" in smp.coords and smp["sample"].dims == ("sample",) and
              np.array_equal(smp["sample"].values, np.arange(4)) and
              smp["sample"].dtype == np.int64, f"{eng}: sample coordinate")
        check(smp["sample"].attrs.get("long_name") == "sample", f"{eng}: sample attributes")
        check("sample" not in th.coords and "sample" not in sim.coords,
              f"{eng}: no sample coordinate where no quantity uses it")
        check(same_bits(smp["ntk_layer"].values, h5["samples/ntk_layer"][()]),
              f"{eng}: samples/ntk_layer values")
        ntk = smp["ntk"].values.reshape(50, 4, 6)
        st = smp["status"].values.reshape(50)
        kept_ok = all(np.isnan(ntk[p, 1 + p % 4:]).all() and
                      (st[p] != 1 or not np.isnan(ntk[p, :1 + p % 4]).any())
                      for p in range(50))
        check(kept_ok, f"{eng}: kept samples numbers, the others NaN")
        check(float(smp["ntk"].sel(sample=0).isel(sigma_w=0, depth=0, act=0, pair=0)) ==
              float(h5["samples/ntk"][0, 0, 0, 0, 0]), f"{eng}: select by sample")
        smp.close()
        th.close()
        sim.close()

    # netCDF4-python directly.
    nc = netCDF4.Dataset(path)
    g = nc.groups["theory"]
    check({k: len(v) for k, v in g.dimensions.items()} ==
          {"sigma_w": 5, "depth": 5, "act": 2, "layer": 9, "group": 7, "input": 3, "pair": 6},
          f"netCDF4: dimensions {g.dimensions.keys()}")
    check(g.variables["q"].dimensions == grid + ("layer", "pair"), "netCDF4: q dimensions")
    check(g.variables["q"].units == "variance", "netCDF4: q units")
    check(list(nc.groups["sim"].variables["stat"][:]) [0] == "mean", "netCDF4: stat labels")
    gs = nc.groups["samples"]
    check({k: len(v) for k, v in gs.dimensions.items()} ==
          {"sigma_w": 5, "depth": 5, "act": 2, "layer": 9, "group": 7, "sample": 4, "input": 3,
           "pair": 6}, f"netCDF4: samples dimensions {gs.dimensions.keys()}")
    check(gs.variables["chi"].dimensions == grid + ("layer", "sample", "input"),
          "netCDF4: samples/chi dimensions")
    nc.close()

    # Helper module: sections, provenance, selection by axis values.
    check(na.sections(path) == ["theory", "sim", "samples"], "sections")
    check(na.grid_axes(path) == list(grid), "grid axes")
    prov = na.provenance(path)
    check(prov["spec_name"] == "io-test" and prov["spec_hash"] == "fnv1a64:0123456789abcdef",
          "provenance spec")
    check(prov["libyaml"] == "0.2.5" and prov["hdf5_version"].startswith("1."), "versions")
    check(prov["archive"]["completion"] == "complete", "completion")
    runs = prov["runs"]
    check(len(runs) == 2 and runs[0]["mode"] == "create" and runs[1]["mode"] == "resume",
          f"runs {[r.get('mode') for r in runs]}")
    check(int(runs[0]["n_ranks"]) == 3 and len(runs[0]["hosts"]) == 3, "hosts of all ranks")
    check(runs[0]["start_time"].endswith("Z") and runs[0]["end_time"] >= runs[0]["start_time"],
          "ISO 8601 UTC times")
    check(na.spec_text(path).startswith("name: io-test\n"), "spec text verbatim")
    ds = na.open_section(path, "theory")
    e = na.select(ds["q"], sigma_w=1.4, act="tanh", layer="last", pair=(1, 0))
    check(e.dims == ("depth",), f"select dims {e.dims}")
    raw = h5["theory/q"][()]
    depth = [1, 2, 3, 5, 8]
    want = [raw[2, d, 1, depth[d], 1] for d in range(5)]  # last row = the point's depth
    check(same_bits(e.values, want), f"select values {e.values} vs {want}")
    check(float(na.select(ds["q"], sigma_w=2.0, depth=3, act="relu", layer=2, pair=2)) ==
          float(raw[3, 2, 0, 2, 2]) or np.isnan(raw[3, 2, 0, 2, 2]), "select by values")
    check(na.status_counts(path, "sim") == {"pending": 0, "done": 47, "failed": 3}, "status")
    ds.close()

    # Heatmaps: the default one, and an explicit layer x sigma_w map of a sim statistic.
    out1 = os.path.join(outdir, "default.png")
    out2 = os.path.join(outdir, "sim_ntk.png")
    for o in (out1, out2):
        if os.path.exists(o):
            os.remove(o)
    plot_heatmap.main([path, "--out", out1])
    plot_heatmap.main([path, "-q", "sim/ntk", "--x", "layer", "--y", "sigma_w", "--at", "act=tanh",
                       "--at", "depth=8", "--stat", "median", "--pair", "0,2", "--out", out2])
    for o in (out1, out2):
        ok = os.path.exists(o) and os.path.getsize(o) > 10000
        with open(o, "rb") if ok else open(os.devnull, "rb") as f:
            ok = ok and f.read(8) == b"\x89PNG\r\n\x1a\n"
        check(ok, f"heatmap {o}")
    # The command line form used by the README.
    r = subprocess.run([sys.executable, os.path.join(HERE, "..", "..", "analysis", "plot_heatmap.py"),
                        path, "--quantity", "chi", "--input", "2", "--log", "--out",
                        os.path.join(outdir, "chi.png")], capture_output=True, text=True)
    check(r.returncode == 0, f"plot_heatmap.py command line: {r.stderr[-500:]}")
    check(plot_heatmap.is_log_axis([1, 10, 100, 1000]) and not plot_heatmap.is_log_axis([1, 2, 3]),
          "log axis detection")
    check(np.allclose(plot_heatmap.edges([1.0, 2.0, 4.0]), [0.5, 1.5, 3.0, 5.0]), "cell edges")
    h5.close()
    print(f"io.readers: {npass} passed, {nfail} failed")
    return 1 if nfail else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2]))
