#!/usr/bin/env python3
"""compare_archives.py - checks that ntksweep archives hold identical results, bit for bit.

Usage: compare_archives.py REFERENCE OTHER [OTHER...]

Every dataset of every section group (quantities, coordinates, status, n_nonfinite) must have the
same dtype, shape and bytes (NaN payloads included); `seconds` (timings) and the provenance
(times, hosts, rank counts) are excluded. Dataset attributes must match too, apart from the
dimension-scale bookkeeping (which holds object references). Root attributes that identify the
sweep (title, spec_hash, layout_hash, grid_axes, sections, n_points) and /provenance/spec_text
must match. Exits 0 when all archives agree with the reference, 1 otherwise.
"""
import sys

import h5py
import numpy as np

SKIP_DATASETS = {"seconds"}
SKIP_ATTRS = {"DIMENSION_LIST", "REFERENCE_LIST", "CLASS", "NAME", "_Netcdf4Dimid"}
ROOT_ATTRS = ("title", "spec_hash", "layout_hash", "grid_axes", "sections", "n_points")


def same_value(a, b):
    a, b = np.asarray(a), np.asarray(b)
    if a.dtype != b.dtype or a.shape != b.shape:
        return False
    if a.dtype.kind == "O":
        return all(x == y for x, y in zip(a.ravel(), b.ravel()))
    return a.tobytes() == b.tobytes()


def datasets(group):
    out = {}

    def visit(name, obj):
        if isinstance(obj, h5py.Dataset) and name.split("/")[-1] not in SKIP_DATASETS:
            out[name] = obj

    group.visititems(visit)
    return out


def compare(ref_path, other_path):
    errors = []
    with h5py.File(ref_path, "r") as ref, h5py.File(other_path, "r") as oth:
        for key in ROOT_ATTRS:
            if not same_value(ref.attrs.get(key), oth.attrs.get(key)):
                errors.append(f"root attribute {key} differs")
        if ref["provenance/spec_text"][()] != oth["provenance/spec_text"][()]:
            errors.append("provenance/spec_text differs")
        sections = [s for s in ref.keys() if s != "provenance"]
        if sorted(sections) != sorted(s for s in oth.keys() if s != "provenance"):
            errors.append(f"sections differ: {sorted(ref.keys())} vs {sorted(oth.keys())}")
        for sec in sections:
            rd, od = datasets(ref[sec]), datasets(oth[sec])
            if sorted(rd) != sorted(od):
                errors.append(f"/{sec}: datasets differ: {sorted(rd)} vs {sorted(od)}")
                continue
            for name, d in rd.items():
                o = od[name]
                if d.dtype != o.dtype or d.shape != o.shape:
                    errors.append(f"/{sec}/{name}: {d.dtype}{d.shape} vs {o.dtype}{o.shape}")
                    continue
                if not same_value(d[()], o[()]):
                    a, b = d[()], o[()]
                    if a.dtype.kind == "f":
                        diff = np.sum(a.view(np.uint64) != b.view(np.uint64))
                        errors.append(f"/{sec}/{name}: {diff} values differ bitwise")
                    else:
                        errors.append(f"/{sec}/{name}: values differ")
                ra = {k: v for k, v in d.attrs.items() if k not in SKIP_ATTRS}
                oa = {k: v for k, v in o.attrs.items() if k not in SKIP_ATTRS}
                if sorted(ra) != sorted(oa):
                    errors.append(f"/{sec}/{name}: attributes {sorted(ra)} vs {sorted(oa)}")
                else:
                    for k in ra:
                        if not same_value(ra[k], oa[k]):
                            errors.append(f"/{sec}/{name}: attribute {k} differs")
    return errors


def main(argv):
    if len(argv) < 3:
        print(__doc__)
        return 2
    ref, status = argv[1], 0
    for other in argv[2:]:
        errors = compare(ref, other)
        for e in errors:
            print(f"FAIL {other}: {e}")
        print(f"{other}: {'identical to' if not errors else 'DIFFERS from'} {ref}")
        status |= bool(errors)
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv))
