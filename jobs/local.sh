#!/usr/bin/env bash
# Run a sweep on this machine on all cores and draw its default heatmap.
#
# Usage: jobs/local.sh SPEC.yaml [ntksweep run options...]
#   Installs missing Debian packages (apt-get), builds ntksweep, runs
#   `mpirun -n $NP ntksweep run SPEC --output out/NAME.h5` and draws out/NAME.png.
#   An existing archive of the same spec is resumed (a finished one is left as it is).
# Environment: NP (ranks; default: all cores), OUT_DIR (default: out), BUILD_DIR (default: build).
# Exit status: that of ntksweep run (0 done, 75 stopped early: run the same command again).
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
if [ $# -lt 1 ]; then
    sed -n '2,9p' "$0" >&2
    exit 2
fi
SPEC="$1"
shift
[ -f "$SPEC" ] || { echo "local.sh: no such spec file: $SPEC" >&2; exit 2; }

BUILD_DIR="${BUILD_DIR:-$ROOT/build}"
"$ROOT/jobs/setup.sh" "$BUILD_DIR" >/dev/null
NTKSWEEP="$BUILD_DIR/ntksweep"

NAME="$(basename "$SPEC" .yaml)"
OUT_DIR="${OUT_DIR:-out}"
mkdir -p "$OUT_DIR"
ARCHIVE="$OUT_DIR/$NAME.h5"
PNG="$OUT_DIR/$NAME.png"

"$NTKSWEEP" validate "$SPEC" >/dev/null   # a bad spec stops here, with its message

NP="${NP:-$(nproc)}"
if [ "$(id -u)" -eq 0 ]; then
    # Open MPI refuses to run as root unless told (containers, CI).
    export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
fi
export OPENBLAS_NUM_THREADS=1
RESUME=()
if [ -e "$ARCHIVE" ] || [ -d "$ARCHIVE.journal" ]; then
    RESUME=(--resume)
fi
set +e
mpirun -n "$NP" --oversubscribe "$NTKSWEEP" run "$SPEC" --output "$ARCHIVE" "${RESUME[@]}" "$@"
rc=$?
set -e
if [ $rc -eq 75 ]; then
    echo "local.sh: the sweep stopped early; run the same command again to continue it." >&2
    exit $rc
elif [ $rc -ne 0 ]; then
    exit $rc
fi
/usr/bin/python3 "$ROOT/analysis/plot_heatmap.py" "$ARCHIVE" --out "$PNG"
echo "archive: $ARCHIVE"
echo "heatmap: $PNG"
