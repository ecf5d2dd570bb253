#!/usr/bin/python3
"""bench_sim.py - time per Monte-Carlo sample of the empirical NTK (k = 2 inputs, float64, one
thread): ntksweep's dense and conditional engines against PyTorch autograd with explicit weights,
for a ReLU feedforward net and a ResNet of width 1000 and depth 100; plus one conditional sample
at width 10^6 and depth 100.

The networks are the same models (NTK parameterization, N(0,1) weights drawn anew per sample):
  ff:     h1 = sqrt2/sqrt(d) W1 x, x_l = relu(h_l), h_l = sqrt2/sqrt(n) W_l x_(l-1), f = v.x_L/sqrt(n)
  resnet: x0 = U x/sqrt(d), x_l = x_(l-1) + 0.1 V_l relu(W_l x_(l-1)/sqrt(n))/sqrt(n),
          f = v.x_L/sqrt(n)   (Tirer et al. eq. 6 with alpha = 0.1, sigma = 1)
all parameters trained. A sample = drawing every weight, forward, gradients of f(x_1), f(x_2),
and G_ij = <grad f(x_i), grad f(x_j)>. Times are CPU seconds of the process (robust when other
jobs share the cores), best over the samples; wall seconds are printed too.

Usage: tests/bench/bench_sim.py [--build-dir DIR] [--quick]
  (bench_sim is built by CMake: cmake --build DIR --target bench_sim; PyTorch: Debian's
   python3-torch, apt-get install -y python3-torch)
"""
import argparse
import os
import re
import subprocess
import sys
import time

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("MKL_NUM_THREADS", "1")


def run_c(exe, arch, engine, width, depth, samples, mem_mb=0):
    cmd = [exe, arch, engine, str(width), str(depth), str(samples)]
    if mem_mb:
        cmd.append(str(mem_mb))
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    kv = dict(re.findall(r"(\w+)=(\S+)", out))
    return {"cpu": float(kv["cpu_best_s"]), "wall": float(kv["best_s"]),
            "G": (float(kv["G00"]), float(kv["G01"]), float(kv["G11"]))}


def run_torch(arch, width, depth, samples):
    import torch
    torch.set_num_threads(1)
    dt = torch.float64
    d, n = 2, width
    s2 = 2.0 ** 0.5
    X = torch.tensor([[s2, 0.0], [s2 * 0.5, s2 * 0.75 ** 0.5]], dtype=dt)  # x.x'/d = 0.5
    best_cpu, best_wall, G = 1e300, 1e300, None
    for _ in range(samples):
        t0, c0 = time.perf_counter(), time.process_time()
        if arch == "ff":
            Ws = [torch.randn(n, d, dtype=dt, requires_grad=True)]
            Ws += [torch.randn(n, n, dtype=dt, requires_grad=True) for _ in range(depth - 1)]
            v = torch.randn(n, dtype=dt, requires_grad=True)
            params = Ws + [v]
            h = X
            for i, W in enumerate(Ws):
                fan = d if i == 0 else n
                h = torch.relu(s2 / fan ** 0.5 * h @ W.T)
            f = h @ v / n ** 0.5
        else:
            U = torch.randn(n, d, dtype=dt, requires_grad=True)
            Ws = [torch.randn(n, n, dtype=dt, requires_grad=True) for _ in range(depth)]
            Vs = [torch.randn(n, n, dtype=dt, requires_grad=True) for _ in range(depth)]
            v = torch.randn(n, dtype=dt, requires_grad=True)
            params = [U] + Ws + Vs + [v]
            h = X @ U.T / d ** 0.5
            for W, V in zip(Ws, Vs):
                h = h + 0.1 * torch.relu(h @ W.T / n ** 0.5) @ V.T / n ** 0.5
            f = h @ v / n ** 0.5
        g0 = torch.autograd.grad(f[0], params, retain_graph=True)
        g1 = torch.autograd.grad(f[1], params)
        G = (sum(float((a * a).sum()) for a in g0), sum(float((a * b).sum()) for a, b in zip(g0, g1)),
             sum(float((b * b).sum()) for b in g1))
        del g0, g1, params, f
        best_cpu = min(best_cpu, time.process_time() - c0)
        best_wall = min(best_wall, time.perf_counter() - t0)
    return {"cpu": best_cpu, "wall": best_wall, "G": G}


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    root = os.path.dirname(os.path.dirname(here))
    ap = argparse.ArgumentParser()
    ap.add_argument("--build-dir", default=os.environ.get("NTKSWEEP_BUILD_DIR", os.path.join(root, "build-sim")))
    ap.add_argument("--quick", action="store_true", help="fewer samples, skip the 10^6 run")
    a = ap.parse_args()
    exe = None
    for cand in ("tests/bench_sim", "bench_sim"):
        p = os.path.join(a.build_dir, cand)
        if os.path.exists(p):
            exe = p
    if exe is None:
        sys.exit("bench_sim not found in %s (cmake --build %s --target bench_sim)" % (a.build_dir, a.build_dir))
    W, L = 1000, 100
    ns_dense, ns_cond, ns_torch = (1, 5, 1) if a.quick else (3, 20, 3)
    print("empirical NTK, k = 2 inputs, width %d, depth %d, float64, one thread; seconds per sample "
          "(best CPU time; wall in parentheses)" % (W, L))
    print("%-7s %-16s %-16s %-16s %10s %12s" % ("arch", "pytorch", "ntk dense", "ntk conditional",
                                                 "torch/dense", "torch/cond"))
    rows = []
    for arch in ("ff", "resnet"):
        try:
            t = run_torch(arch, W, L, ns_torch)
        except ImportError:
            t = None
        dn = run_c(exe, arch, "dense", W, L, ns_dense, 8192)
        cd = run_c(exe, arch, "conditional", W, L, ns_cond)
        tt = t["cpu"] if t else float("nan")
        fmt = lambda r: "%.4g (%.3g)" % (r["cpu"], r["wall"])
        print("%-7s %-16s %-16s %-16s %10.2f %12.0f" % (arch, fmt(t) if t else "n/a", fmt(dn), fmt(cd),
                                                          tt / dn["cpu"], tt / cd["cpu"]))
        rows.append((arch, t, dn, cd))
    print("one sample's G(x1,x1), G(x1,x2), G(x2,x2) (different random networks per engine):")
    for arch, t, dn, cd in rows:
        for name, r in (("pytorch", t), ("dense", dn), ("conditional", cd)):
            if r:
                print("  %-7s %-12s %8.4f %8.4f %8.4f" % (arch, name, *r["G"]))
    if not a.quick:
        for mem, label in ((0, "default 4 GiB memory limit: 16 of 100 blocks recomputed"),
                           (1024, "1 GiB memory limit: 81 of 100 blocks recomputed"),
                           (8192, "8 GiB memory limit: full tape")):
            r = run_c(exe, "resnet", "conditional", 10 ** 6, L, 2, mem)
            print("ResNet width 10^6, depth %d, conditional, %s: %.3g s CPU (%.3g s wall) per sample" %
                  (L, label, r["cpu"], r["wall"]))


if __name__ == "__main__":
    main()
