#!/usr/bin/env bash
# e2e.sh NTKSWEEP MODE - end-to-end tests of `ntksweep run` on tests/sched/data/e2e.yaml.
#   ranks   : the same spec on 1, 2, 3 and 4 ranks gives bit-identical archives
#   resume  : kill -9 a run at random moments (3 times, flushing often so kills land during
#             writes too), resume until done, compare with an uninterrupted run bit for bit
#   refuse  : a bad spec writes nothing (exit 2); an existing archive is not overwritten
#             without --force, nor one of another spec; SIGUSR1 / --deadline exit 75 and resume
set -uo pipefail
NTK="$1"
MODE="$2"
HERE="$(cd "$(dirname "$0")" && pwd)"
SPEC="$HERE/data/e2e.yaml"
CMP="/usr/bin/python3 $HERE/h5cmp.py"
W="$(mktemp -d /tmp/ntk-e2e-$MODE.XXXXXX)"
trap 'rm -rf "$W"' EXIT
. "$HERE/e2e_lib.sh"

case "$MODE" in
ranks)
    run 1 "$W/r1.h5" && ok "1 rank" || ko "1 rank"
    for np in 2 3 4; do
        run "$np" "$W/r$np.h5" || ko "$np ranks: exit $?"
        $CMP "$W/r1.h5" "$W/r$np.h5" && ok "$np ranks identical to 1 rank" || ko "$np ranks differ"
    done
    ;;
resume)
    run 2 "$W/ref.h5" && ok "reference run" || ko "reference run"
    A="$W/killed.h5"
    for i in 1 2 3; do
        args=()
        [ -e "$A" ] || [ -d "$A.journal" ] && args=(--resume)
        mpiexec -n 2 "$NTK" run "$SPEC" --output "$A" --progress 0 --flush 0.02 "${args[@]}" &
        pid=$!
        sleep "$(/usr/bin/python3 -c "import random; print(round(random.uniform(0.15, 1.2), 3))")"
        pkill -9 -f -- "--output $A" || true
        wait "$pid" 2>/dev/null
        echo "kill $i done"
    done
    rc=1
    for i in 1 2 3 4 5; do
        run 2 "$A" --resume
        rc=$?
        [ $rc -eq 0 ] && break
    done
    [ $rc -eq 0 ] && ok "resumed to completion" || ko "resume exit $rc"
    $CMP "$W/ref.h5" "$A" && ok "killed+resumed identical to uninterrupted" || ko "resume differs"
    [ ! -d "$A.journal" ] && ok "journal removed after completion" || ko "journal left behind"
    ;;
refuse)
    printf 'name: bad\nmodel: {arch: ff, act: tanh, depth: 0}\noutput: {path: %s}\n' "$W/bad.h5" > "$W/bad.yaml"
    mpiexec -n 2 "$NTK" run "$W/bad.yaml" --progress 0 2> "$W/err.txt"
    rc=$?
    [ $rc -eq 2 ] && ok "bad spec exit 2" || ko "bad spec exit $rc"
    [ ! -e "$W/bad.h5" ] && ok "bad spec wrote nothing" || ko "bad spec wrote an archive"
    [ "$(grep -c depth "$W/err.txt")" -eq 1 ] && ok "one error message naming the key" || { ko "error message"; cat "$W/err.txt"; }
    run 2 "$W/a.h5" && ok "first run" || ko "first run"
    cp "$W/a.h5" "$W/a.copy.h5"
    run 2 "$W/a.h5"
    rc=$?
    [ $rc -eq 2 ] && ok "existing archive refused without --resume/--force" || ko "existing: exit $rc"
    $CMP "$W/a.copy.h5" "$W/a.h5" >/dev/null && ok "existing archive untouched" || ko "existing archive modified"
    sed 's/seed: 12345/seed: 54321/' "$SPEC" > "$W/other.yaml"
    mpiexec -n 2 "$NTK" run "$W/other.yaml" --output "$W/a.h5" --progress 0 --resume
    rc=$?
    [ $rc -eq 2 ] && ok "archive of another spec refused on --resume" || ko "other spec: exit $rc"
    run 2 "$W/a.h5" --resume && ok "resume of a complete archive is a no-op" || ko "resume complete"
    $CMP "$W/a.copy.h5" "$W/a.h5" >/dev/null && ok "complete archive unchanged by resume" || ko "changed by resume"
    run 2 "$W/d.h5" --deadline 0.0001
    rc=$?
    [ $rc -eq 75 ] && ok "deadline exit 75 (resumable)" || ko "deadline exit $rc"
    run 2 "$W/d.h5" --resume && $CMP "$W/a.h5" "$W/d.h5" >/dev/null && ok "deadline + resume identical" || ko "deadline resume"
    run 2 "$W/u.h5" --flush 0.05 &
    pid=$!
    sleep 0.5
    pkill -USR1 -f -- "--output $W/u.h5"
    wait "$pid"
    rc=$?
    [ $rc -eq 75 ] || [ $rc -eq 0 ] && ok "SIGUSR1 exit $rc (75 or, if it had finished, 0)" || ko "SIGUSR1 exit $rc"
    run 2 "$W/u.h5" --resume && $CMP "$W/a.h5" "$W/u.h5" >/dev/null && ok "SIGUSR1 + resume identical" || ko "SIGUSR1 resume"
    ;;
esac
echo "e2e.$MODE: $pass passed, $fail failed"
[ $fail -eq 0 ]
