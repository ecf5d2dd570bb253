#!/usr/bin/env python3
"""h5cmp.py A.h5 B.h5 - compare two ntksweep archives bit for bit.

Every dataset of the result sections (all groups except /provenance) must have the same shape,
dtype and bytes; the per-point compute times ('seconds') are excluded, since they measure the
machine. NaN payloads are compared as bytes too. Exit 0 when identical, 1 otherwise.
"""
import sys

import h5py
import numpy as np


def datasets(f):
    out = {}

    def visit(name, obj):
        if isinstance(obj, h5py.Dataset) and not name.startswith("provenance"):
            if name.split("/")[-1] == "seconds":
                return
            out[name] = obj
    f.visititems(visit)
    return out


def main():
    a, b = h5py.File(sys.argv[1], "r"), h5py.File(sys.argv[2], "r")
    da, db = datasets(a), datasets(b)
    bad = 0
    if set(da) != set(db):
        print("dataset sets differ:", sorted(set(da) ^ set(db)))
        bad += 1
    n = 0
    for name in sorted(set(da) & set(db)):
        x, y = da[name][()], db[name][()]
        n += 1
        if x.shape != y.shape or x.dtype != y.dtype:
            print(f"{name}: shape/dtype {x.shape} {x.dtype} vs {y.shape} {y.dtype}")
            bad += 1
        elif x.dtype.kind == "O":  # variable-length strings: compare the values
            if [v for v in np.ravel(x)] != [v for v in np.ravel(y)]:
                print(f"{name}: labels differ")
                bad += 1
        elif np.asarray(x).tobytes() != np.asarray(y).tobytes():
            if x.dtype.kind == "f":
                d = np.nanmax(np.abs(x - y)) if np.isfinite(x).any() else float("nan")
                print(f"{name}: values differ (max |diff| {d})")
            else:
                print(f"{name}: values differ")
            bad += 1
    print(f"h5cmp: {n} datasets compared, {bad} differ")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
