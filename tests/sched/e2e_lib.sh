# e2e_lib.sh - shared setup of the end-to-end test scripts (sourced, not run).
# Expects NTK (the ntksweep executable) and SPEC (the sweep) to be set by the caller; defines the
# pass/fail counters, ok/ko, run NP ARCHIVE [args] and the Open MPI environment for root and
# oversubscription, with one BLAS thread per rank.
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_rmaps_base_oversubscribe=1
export OPENBLAS_NUM_THREADS=1
pass=0
fail=0
ok() { echo "PASS $*"; pass=$((pass + 1)); }
ko() { echo "FAIL $*"; fail=$((fail + 1)); }
run() { # run NP ARCHIVE [args]
    local np="$1" out="$2"
    shift 2
    mpiexec -n "$np" "$NTK" run "$SPEC" --output "$out" --progress 0 "$@"
}
