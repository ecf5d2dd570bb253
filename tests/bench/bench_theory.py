#!/usr/bin/python3
"""bench_theory.py - one-core speed and accuracy of the theory engine against numpy.

Workload: the tanh feedforward heatmap of tests/bench/bench_theory.c -- nw x nb points
(sigma_w, sigma_b), depth L, two inputs with unit norms and correlation rho, every layer of q, c and
the NTK Theta kept. Model: h^l = sigma_w W x^(l-1)/sqrt(n) + sigma_b b, x^l = tanh(h^l), f =
v.x^L/sqrt(n) (sigma_out = 1, no readout bias), all weights and biases trained (NTK
parameterization). The recursion, per layer l = 1..L, with K^0 = [[1, rho], [rho, 1]] and
Theta_S^0 = 0:
    q^l = sigma_w^2 K^(l-1) + sigma_b^2                       (2 x 2, q11 = q22 for unit norms)
    Theta_H^l = sigma_w^2 (Theta_S^(l-1) + K^(l-1)) + sigma_b^2
    K^l = E[tanh(u) tanh(v)],  Kdot^l = E[sech^2(u) sech^2(v)],  (u, v) ~ N(0, q^l)
    Theta_S^l = Kdot^l * Theta_H^l,   Theta^l = Theta_S^l + K^l    (NTK of the depth-l network)
    c^l = q12^l / q11^l.

1. ntksweep: runs the C driver (ntk_model_compile + ntk_theory_run per point, one thread) on the
   full grid and times it; it dumps q, c, Theta at layer L for a strided subgrid.
2. numpy: the same recursion, vectorized over grid points, looping over layers, with the Gaussian
   expectations by a 2-D product trapezoid rule (u = a z1, v = a (c z1 + s z2), n x n nodes on
   [-Z, Z], weights proportional to exp(-z^2/2)) -- one node count for all points. It is timed on
   the strided subgrid (one BLAS/OpenMP thread) and scaled linearly to the full grid.
3. Accuracy: both are compared at layer L with a reference (the same numpy recursion with a much
   finer trapezoid) on a coarser subgrid.
Usage: bench_theory.py [BENCH_EXE] [options]   (see --help; the driver is not built here)
"""
import os

for _v in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS", "BLIS_NUM_THREADS"):
    os.environ[_v] = "1"  # one core against one core; must precede the numpy import

import argparse  # noqa: E402
import pathlib  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402

ROOT = pathlib.Path(__file__).resolve().parents[2]
COLS = ("q11", "q12", "c12", "ntk11", "ntk12")


def trap_rule(n, zmax):
    """n-node trapezoid on [-zmax, zmax] for E[f(Z)], Z ~ N(0, 1): nodes and weights, the weights
    normalized to sum 1 (otherwise their rounding, a fixed factor 1 + O(1e-15) on every layer,
    compounds over the depth where q -> 0)."""
    z = np.linspace(-zmax, zmax, n)
    w = np.exp(-0.5 * z * z)
    return z, w / w.sum()


def recursion(sw, sb, depth, rho, z, w, keep_all=True, chunk_bytes=1 << 20):
    """The tanh FF recursion for points (sw[i], sb[i]); returns an array [layer, point, 5] with
    q11, q12, c12, ntk11, ntk12 for layers 0..depth (row 0: NaN), or only layer depth. Points are
    processed in chunks whose n x n node arrays take about chunk_bytes (1 MiB: cache-resident,
    measured 2x faster per point than 64 MiB chunks)."""
    with np.errstate(all="ignore"):  # q underflows to 0 for sigma_b = 0, sigma_w < 1/sqrt 2
        return _recursion(sw, sb, depth, rho, z, w, keep_all, chunk_bytes)


def _recursion(sw, sb, depth, rho, z, w, keep_all, chunk_bytes):
    n = len(z)
    npts = len(sw)
    rows = depth + 1 if keep_all else 1
    out = np.full((rows, npts, 5), np.nan)
    bsz = max(1, chunk_bytes // (8 * n * n))
    for lo in range(0, npts, bsz):
        hi = min(npts, lo + bsz)
        w2 = sw[lo:hi] ** 2
        b2 = sb[lo:hi] ** 2
        k11 = np.ones(hi - lo)
        k12 = np.full(hi - lo, float(rho))
        t11 = np.zeros(hi - lo)
        t12 = np.zeros(hi - lo)
        for layer in range(1, depth + 1):
            q11 = w2 * k11 + b2
            q12 = w2 * k12 + b2
            h11 = w2 * (t11 + k11) + b2
            h12 = w2 * (t12 + k12) + b2
            a = np.sqrt(q11)
            c = np.clip(q12 / q11, -1.0, 1.0)
            s = np.sqrt((1.0 - c) * (1.0 + c))
            tu = np.tanh(a[:, None] * z[None, :])  # [point, i]: tanh(u_i)
            du = 1.0 - tu * tu
            v = ((a * c)[:, None, None] * z[None, :, None] +  # [point, i, j]: v_ij
                 (a * s)[:, None, None] * z[None, None, :])  # = a (c z_i + s z_j)
            np.tanh(v, out=v)  # [point, i, j]: tanh(v_ij)
            it = (v.reshape(-1, n) @ w).reshape(-1, n)
            np.multiply(v, v, out=v)
            np.subtract(1.0, v, out=v)
            idt = (v.reshape(-1, n) @ w).reshape(-1, n)
            k11 = (tu * tu) @ w
            kd11 = (du * du) @ w
            k12 = (tu * it) @ w
            kd12 = (du * idt) @ w
            t11 = kd11 * h11
            t12 = kd12 * h12
            if keep_all or layer == depth:
                r = layer if keep_all else 0
                out[r, lo:hi] = np.stack([q11, q12, c, t11 + k11, t12 + k12], axis=1)
    return out


def timed(fn, *args, **kw):
    w0, c0 = time.perf_counter(), time.process_time()
    r = fn(*args, **kw)
    return r, time.perf_counter() - w0, time.process_time() - c0


def run_c(exe, a, extra, dump):
    cmd = [str(exe), "--nw", str(a.nw), "--nb", str(a.nb), "--depth", str(a.depth), "--rho",
           repr(a.rho), "--wmin", repr(a.wmin), "--wmax", repr(a.wmax), "--bmin", repr(a.bmin),
           "--bmax", repr(a.bmax)] + extra
    if dump:
        cmd += ["--dump", dump, "--stride", str(a.stride)]
    print("$ " + " ".join(cmd), flush=True)
    p = subprocess.run(cmd, capture_output=True, text=True)
    if p.returncode != 0:
        sys.exit(f"bench_theory.py: the driver failed ({p.returncode}):\n{p.stdout}{p.stderr}")
    kv = {}
    for line in p.stdout.splitlines():
        f = line.split()
        if len(f) >= 2 and f[0] in ("elapsed_s", "cpu_s", "points_per_s", "us_per_point",
                                    "nonfinite_values", "gauss_calls"):
            kv[f[0]] = float(f[1])
    for line in p.stdout.splitlines():
        print("  " + line)
    return kv


def rel_err(x, ref, floor):
    """max |x - ref| / |ref| over entries with |ref| >= floor, ref != 0 (underflow) and both
    finite, and the index of the maximum (-1 if none); plus the number of entries where ref is
    finite but x is not."""
    ok = np.isfinite(ref) & (np.abs(ref) >= floor) & (ref != 0.0)
    bad = int(np.sum(np.isfinite(ref) & ~np.isfinite(x)))
    ok &= np.isfinite(x)
    e = np.full(len(ref), -1.0)
    e[ok] = np.abs(x[ok] - ref[ok]) / np.abs(ref[ok])
    k = int(np.argmax(e))
    return (float(e[k]) if e[k] >= 0 else float("nan")), (k if e[k] >= 0 else -1), bad


QTYS = (("q", 0, 0.0), ("c", 2, 1e-6), ("Theta11", 3, 0.0), ("Theta12", 4, None))


def report_err(label, vals, ref, sw=None, sb=None):
    """vals, ref: [point, 5]. q11, c12, ntk11 relative; c12 where |c12| >= 1e-6, ntk12 where
    |ntk12| >= 1e-6 ntk11 (chaotic points with sigma_b = 0 have c, Theta12 -> 0, where only
    absolute errors mean anything). With sw, sb: also prints where each maximum is."""
    out = []
    for name, col, floor in QTYS:
        fl = 1e-6 * np.abs(ref[:, 3]) if floor is None else floor
        out.append((name,) + rel_err(vals[:, col], ref[:, col], fl))
    s = "  ".join(f"{nm} {e:9.2e}" for nm, e, _, _ in out)
    extra = sum(b for _, _, _, b in out)
    print(f"  {label:<34s} {s}" + (f"   [{extra} values non-finite where the reference is "
                                     "finite]" if extra else ""))
    if sw is not None:
        print("  " + " " * 34 + " at (sigma_w, sigma_b): " +
              "  ".join(f"{nm} ({sw[k]:.4g}, {sb[k]:.4g})" for nm, _, k, _ in out if k >= 0))
    return max(e for _, e, _, _ in out)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("exe", nargs="?", default=str(ROOT / "build" / "tests" / "bench_theory"),
                    help="path of the bench_theory executable (default: build/tests/bench_theory)")
    ap.add_argument("--nw", type=int, default=256)
    ap.add_argument("--nb", type=int, default=256)
    ap.add_argument("--depth", type=int, default=1000)
    ap.add_argument("--wmin", type=float, default=0.5)
    ap.add_argument("--wmax", type=float, default=2.5)
    ap.add_argument("--bmin", type=float, default=0.0)
    ap.add_argument("--bmax", type=float, default=1.0)
    ap.add_argument("--rho", type=float, default=0.5)
    ap.add_argument("--stride", type=int, default=8,
                    help="numpy subgrid: every stride-th sigma_w and sigma_b and the last "
                    "(default 8: 33 x 33)")
    ap.add_argument("--np-depth", type=int, default=None,
                    help="layers of the timed numpy run (default: depth); time is scaled by "
                    "depth / np-depth")
    ap.add_argument("--nodes", type=int, default=160,
                    help="numpy trapezoid nodes per axis (default 160: measured to match the "
                    "engine's accuracy at depth 1000 on the default grid)")
    ap.add_argument("--zmax", type=float, default=8.6, help="numpy trapezoid half range")
    ap.add_argument("--ref-nodes", type=int, default=481)
    ap.add_argument("--ref-zmax", type=float, default=10.0)
    ap.add_argument("--ref-stride", type=int, default=4,
                    help="reference points: every ref-stride-th point of the numpy subgrid and "
                    "the last")
    ap.add_argument("--ref-check", action="store_true",
                    help="also compute a second reference (0.8 x ref-nodes on [-9.5, 9.5]) and "
                    "print its difference from the first")
    ap.add_argument("--calibrate", default="",
                    help="comma list of node counts: accuracy, cost and implied speed-up of each "
                    "on the reference points")
    ap.add_argument("--no-memo", action="store_true",
                    help="also time the driver with the engine's memoization off")
    a = ap.parse_args()
    exe = pathlib.Path(a.exe)
    if not exe.is_file():
        sys.exit(f"bench_theory.py: no driver at {exe} (build target bench_theory and pass its "
                 "path)")
    np_depth = a.np_depth or a.depth
    npts = a.nw * a.nb
    rev = subprocess.run(["git", "-C", str(ROOT), "describe", "--always", "--dirty"],
                         capture_output=True, text=True).stdout.strip() or "unknown"

    print(f"# tanh FF heatmap: {a.nw} x {a.nb} points, sigma_w {a.wmin}..{a.wmax}, sigma_b "
          f"{a.bmin}..{a.bmax}, depth {a.depth}, rho {a.rho}, every layer kept")
    print(f"# source tree {rev}; numpy {np.__version__}; BLAS/OpenMP threads 1")
    with tempfile.TemporaryDirectory() as td:
        dump = os.path.join(td, "dump.txt")
        print("\n== ntksweep: ntk_model_compile + ntk_theory_run per point, full grid, one core")
        c = run_c(exe, a, [], dump)
        d = np.loadtxt(dump, ndmin=2)
        cn = run_c(exe, a, ["--no-memo"], None) if a.no_memo else None
    iw, ib = d[:, 0].astype(int), d[:, 1].astype(int)
    sw, sb, cvals = d[:, 3], d[:, 4], d[:, 5:10]
    nsub = len(sw)
    nsw, nsb = len(np.unique(iw)), len(np.unique(ib))

    z, w = trap_rule(a.nodes, a.zmax)
    print(f"\n== numpy: 2-D trapezoid {a.nodes} x {a.nodes} nodes on [-{a.zmax}, {a.zmax}], "
          f"timed on the {nsw} x {nsb} subgrid (every {a.stride}th sigma_w, sigma_b and the "
          f"last), {np_depth} layers, every layer kept")
    npv, nwall, ncpu = timed(recursion, sw, sb, np_depth, a.rho, z, w, True)
    scale = (npts / nsub) * (a.depth / np_depth)
    print(f"  measured: wall {nwall:.2f} s, cpu {ncpu:.2f} s for {nsub} points x {np_depth} "
          f"layers ({1e6 * ncpu / (nsub * np_depth):.1f} us cpu per point-layer)")
    print(f"  scaled linearly x{scale:.4g} to {npts} points x {a.depth} layers (an estimate: the "
          f"full numpy grid is not run): wall {nwall * scale:.0f} s, cpu {ncpu * scale:.0f} s")

    print("\n== ratio numpy / ntksweep (full grid, one core)")
    rw, rc = nwall * scale / c["elapsed_s"], ncpu * scale / c["cpu_s"]
    print(f"  ntksweep: wall {c['elapsed_s']:.2f} s, cpu {c['cpu_s']:.2f} s "
          f"({npts / c['cpu_s']:.0f} points/s of cpu)")
    print(f"  numpy (scaled): wall {nwall * scale:.0f} s, cpu {ncpu * scale:.0f} s")
    print(f"  speed-up: {rc:.0f}x (cpu time), {rw:.0f}x (wall time); target >= 20x: "
          f"{'met' if min(rw, rc) >= 20 else 'NOT met'}")
    if cn:
        print(f"  without the engine's memoization: ntksweep cpu {cn['cpu_s']:.2f} s, speed-up "
              f"{ncpu * scale / cn['cpu_s']:.0f}x (cpu)")

    print(f"\n== accuracy at layer {a.depth}")
    uw, ub = np.unique(iw), np.unique(ib)
    sel = (np.isin(iw, np.r_[uw[:: a.ref_stride], uw[-1]]) &
           np.isin(ib, np.r_[ub[:: a.ref_stride], ub[-1]]))
    zr, wr = trap_rule(a.ref_nodes, a.ref_zmax)
    ref, rwall, _ = timed(recursion, sw[sel], sb[sel], a.depth, a.rho, zr, wr, False)
    ref = ref[0]
    print(f"  reference: numpy recursion with a 2-D trapezoid {a.ref_nodes} x {a.ref_nodes} on "
          f"[-{a.ref_zmax}, {a.ref_zmax}], {int(sel.sum())} points ({rwall:.0f} s)")
    print("  max relative error vs the reference      (c: |c| >= 1e-6; Theta12: |Theta12| >= "
          "1e-6 Theta11)")
    if a.ref_check:
        n2 = int(0.8 * a.ref_nodes) | 1
        z2, w2 = trap_rule(n2, 9.5)
        r2, _, _ = timed(recursion, sw[sel], sb[sel], a.depth, a.rho, z2, w2, False)
        report_err(f"reference {n2} nodes on [-9.5, 9.5]", r2[0], ref)
    report_err("ntksweep", cvals[sel], ref, sw[sel], sb[sel])
    if np_depth == a.depth:
        report_err(f"numpy {a.nodes} nodes", npv[a.depth][sel], ref, sw[sel], sb[sel])
    else:
        v, _, _ = timed(recursion, sw[sel], sb[sel], a.depth, a.rho, z, w, False)
        report_err(f"numpy {a.nodes} nodes", v[0], ref, sw[sel], sb[sel])
    for n in [int(x) for x in a.calibrate.split(",") if x]:
        zc, wc = trap_rule(n, a.zmax)
        v, _, ccpu = timed(recursion, sw[sel], sb[sel], a.depth, a.rho, zc, wc, False)
        us = 1e6 * ccpu / (sel.sum() * a.depth)
        report_err(f"numpy {n} ({us:.0f} us, {us * 1e-6 * npts * a.depth / c['cpu_s']:.0f}x)",
                   v[0], ref)
    if a.calibrate:
        print("  (numpy N (U us, Sx): N nodes per axis, U us cpu per point-layer on these points, "
              "S = implied speed-up of ntksweep)")
    nonf = ~np.all(np.isfinite(cvals), axis=1)
    if nonf.any():
        pts = ", ".join(f"({s:.4g}, {b:.4g})" for s, b in zip(sw[nonf][:6], sb[nonf][:6]))
        print(f"  ntksweep non-finite at layer {a.depth} on {int(nonf.sum())} of {nsub} subgrid "
              f"points (sigma_w, sigma_b): {pts}{' ...' if nonf.sum() > 6 else ''}")
    if np_depth == a.depth:
        print(f"  numpy {a.nodes} nodes vs ntksweep on all {nsub} subgrid points (max relative "
              "difference):")
        report_err("numpy - ntksweep", npv[a.depth], cvals, sw, sb)


if __name__ == "__main__":
    main()
