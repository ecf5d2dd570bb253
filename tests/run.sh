#!/usr/bin/env bash
# Install missing packages, build ntksweep and run the whole test suite through CTest.
#
# Usage: tests/run.sh [ctest args...]   (e.g. tests/run.sh -R theory)
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
BUILD_DIR="${NTKSWEEP_BUILD_DIR:-$ROOT/build-tests}"
BUILD_TYPE="${BUILD_TYPE:-RelWithDebInfo}" "$ROOT/jobs/setup.sh" "$BUILD_DIR" >/dev/null
# Open MPI refuses to run as root and to oversubscribe unless told; tests use up to 4 ranks on 2 cores.
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
export OMPI_MCA_rmaps_base_oversubscribe=1 PRTE_MCA_rmaps_default_mapping_policy=:oversubscribe
export OPENBLAS_NUM_THREADS=1
cd "$BUILD_DIR"
ctest --output-on-failure -j "$(nproc)" "$@"
