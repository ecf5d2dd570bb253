#!/usr/bin/env bash
# e2e_samples.sh NTKSWEEP MODE - end-to-end tests of per-sample values (sim.keep_samples) on
# tests/sched/data/e2e_samples.yaml (e2e.yaml keeping all 96 samples of each point).
#   ranks  : 1 and 3 ranks give bit-identical archives; the samples section holds the selected
#            record quantities over a `sample` coordinate, and their mean / std / n_finite over
#            the samples equal the sim section's statistics (1e-12 relative)
#   resume : kill -9 a run (width 256) at random moments (3 times, flushing often so kills land
#            during writes too), resume until done, compare with an uninterrupted run bit for bit; then
#            a finished archive whose samples section (not its sim section) is pending for some
#            points, journal gone, is resumed to the same bits
#   keep   : keep_samples: 5 stores the first 5 samples bit for bit and leaves the sim and theory
#            sections unchanged; keep_samples: 0 and false store no samples section and give the
#            same datasets as a spec without keep_samples
set -uo pipefail
NTK="$1"
MODE="$2"
HERE="$(cd "$(dirname "$0")" && pwd)"
SPEC="$HERE/data/e2e_samples.yaml"
PY=/usr/bin/python3
CMP="$PY $HERE/h5cmp.py"
CHK="$PY $HERE/samples_check.py"
QTY="q chi ntk ntk_layer" # the selected record quantities, in the simulator's table order
W="$(mktemp -d /tmp/ntk-e2e-samples-$MODE.XXXXXX)"
trap 'rm -rf "$W"' EXIT
. "$HERE/e2e_lib.sh"

case "$MODE" in
ranks)
    run 1 "$W/r1.h5" && ok "1 rank" || ko "1 rank"
    run 3 "$W/r3.h5" && ok "3 ranks" || ko "3 ranks"
    $CMP "$W/r1.h5" "$W/r3.h5" && ok "3 ranks identical to 1 rank" || ko "3 ranks differ"
    $CHK stats "$W/r3.h5" $QTY && ok "per-sample values agree with the statistics" || ko "stats"
    ;;
resume)
    # Wider networks (same archive size), so that a run lasts about a second and kills land in it.
    sed 's/width: 48/width: 256/' "$SPEC" > "$W/wide.yaml"
    SPEC="$W/wide.yaml"
    run 2 "$W/ref.h5" && ok "reference run" || ko "reference run"
    A="$W/killed.h5"
    landed=0
    for i in 1 2 3; do
        args=()
        [ -e "$A" ] || [ -d "$A.journal" ] && args=(--resume)
        # A session of its own (id $pid): the kill reaches mpiexec and every rank (the ranks have
        # process groups of their own), and the next run starts only once all are gone.
        setsid mpiexec -n 2 "$NTK" run "$SPEC" --output "$A" --progress 0 --flush 0.02 "${args[@]}" &
        pid=$!
        sleep "$($PY -c "import random; print(round(random.uniform(0.25, 0.9), 3))")"
        pkill -9 -s "$pid" 2>/dev/null
        wait "$pid" 2>/dev/null
        rc=$?
        while pgrep -s "$pid" >/dev/null; do sleep 0.05; done
        [ $rc -eq 137 ] && landed=$((landed + 1))
        echo "kill $i: exit $rc (137: killed)"
    done
    echo "$landed of 3 kills landed in a run"
    rc=1
    for i in 1 2 3 4 5; do
        run 2 "$A" --resume
        rc=$?
        [ $rc -eq 0 ] && break
    done
    [ $rc -eq 0 ] && ok "resumed to completion" || ko "resume exit $rc"
    $CMP "$W/ref.h5" "$A" && ok "killed+resumed identical to uninterrupted" || ko "resume differs"
    [ ! -d "$A.journal" ] && ok "journal removed after completion" || ko "journal left behind"
    cp "$W/ref.h5" "$W/drop.h5"
    $CHK drop "$W/drop.h5" && ok "samples of some points marked pending" || ko "drop"
    $CMP "$W/ref.h5" "$W/drop.h5" >/dev/null && ko "drop changed nothing" || ok "drop changed the archive"
    run 3 "$W/drop.h5" --resume && ok "resume of pending samples" || ko "resume of pending samples"
    $CMP "$W/ref.h5" "$W/drop.h5" && ok "samples recomputed bit for bit" || ko "recomputed samples differ"
    ;;
keep)
    run 3 "$W/all.h5" && ok "all samples kept" || ko "all samples"
    sed 's/keep_samples: true/keep_samples: 5/' "$SPEC" > "$W/five.yaml"
    mpiexec -n 2 "$NTK" run "$W/five.yaml" --output "$W/five.h5" --progress 0 && ok "5 kept" || ko "5 kept"
    $CHK prefix "$W/all.h5" "$W/five.h5" 5 && ok "the first 5 samples, statistics unchanged" || ko "prefix"
    sed '/keep_samples:/d' "$SPEC" > "$W/none.yaml"
    mpiexec -n 2 "$NTK" run "$W/none.yaml" --output "$W/none.h5" --progress 0 || ko "no keep_samples: exit $?"
    $CHK none "$W/none.h5" && ok "no keep_samples: no samples section" || ko "no keep_samples"
    for v in 0 false; do
        sed "s/keep_samples: true/keep_samples: $v/" "$SPEC" > "$W/k$v.yaml"
        mpiexec -n 2 "$NTK" run "$W/k$v.yaml" --output "$W/k$v.h5" --progress 0 || ko "keep_samples $v: exit $?"
        $CMP "$W/none.h5" "$W/k$v.h5" && ok "keep_samples: $v = no keep_samples" || ko "keep_samples: $v differs"
    done
    ;;
*)
    echo "unknown mode $MODE"
    fail=1
    ;;
esac
echo "e2e_samples.$MODE: $pass passed, $fail failed"
[ $fail -eq 0 ]
