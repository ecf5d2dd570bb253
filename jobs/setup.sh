#!/usr/bin/env bash
# Install the Debian packages ntksweep needs (only those missing) and build it.
#
# Usage: jobs/setup.sh [BUILD_DIR] [extra cmake args...]
# Environment: NTKSWEEP_NO_INSTALL=1 skips apt-get (for machines without root);
#              BUILD_TYPE (default Release).
# Prints the build directory on the last line of stdout.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
BUILD_DIR="${1:-$ROOT/build}"
shift || true

PKGS=(build-essential cmake pkg-config
      libopenmpi-dev openmpi-bin libhdf5-openmpi-dev hdf5-tools
      libyaml-dev libopenblas-dev librandom123-dev libgsl-dev
      python3 python3-numpy python3-h5py python3-matplotlib python3-xarray python3-netcdf4)

missing=()
for p in "${PKGS[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
    if [ "${NTKSWEEP_NO_INSTALL:-0}" = 1 ]; then
        echo "setup: missing packages: ${missing[*]} (NTKSWEEP_NO_INSTALL=1, not installing)" >&2
        exit 1
    fi
    SUDO=""
    [ "$(id -u)" -ne 0 ] && SUDO="sudo"
    echo "setup: installing ${missing[*]}" >&2
    $SUDO apt-get update -qq >&2
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
fi

cmake -S "$ROOT" -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE="${BUILD_TYPE:-Release}" "$@" >&2
cmake --build "$BUILD_DIR" -j "$(nproc)" >&2
echo "$BUILD_DIR"
