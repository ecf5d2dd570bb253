#!/usr/bin/env bash
# test_point_sim.sh NTKSWEEP - `ntksweep point --sim` prints Monte-Carlo statistics beside the
# theory: the NTK of a tanh FRN and a ReLU ResNet agree with the theory within 4 standard errors
# at width 512 (two seeds each), every layer's q and chi too, and bad options exit 2.
set -u
NTK="$1"
pass=0
fail=0
check() { if eval "$2"; then pass=$((pass + 1)); else echo "FAIL $1"; fail=$((fail + 1)); fi; }
for seed in 1 2; do
    for model in "--arch frn --act tanh --sigma-w2 1.69 --sigma-b2 0.49 --sigma-v2 1.5 --sigma-a2 0.5" \
                 "--arch resnet --act relu --alpha 0.3 --sigma-b 0.1"; do
        out="$("$NTK" point $model --depth 5 --rho 0.4 --sim --width 512 --samples 300 --seed $seed)"
        check "exit status ($model, seed $seed)" '[ $? -eq 0 ]'
        # NTK lines: |z| < 4
        zs="$(printf '%s\n' "$out" | sed -n 's/^# ntk.*(z = \(-\{0,1\}[0-9.]*\)).*/\1/p')"
        check "two ntk lines ($model)" '[ "$(printf "%s\n" "$zs" | wc -l)" -eq 2 ]'
        for z in $zs; do
            check "ntk |z| = $z < 4 ($model, seed $seed)" "awk -v z=$z 'BEGIN{exit !(z < 4 && z > -4)}'"
        done
        # per-layer q (cols 2,3,4) and chi (cols 14,15,16): |theory - mc| < 4 sem (+1e-12)
        bad="$(printf '%s\n' "$out" | awk -F'\t' '!/^#/ && $1 ~ /^[0-9]+$/ {
            for (c = 2; c <= 14; c += 12) { t = $c; m = $(c+1); s = $(c+2);
              if (t != "nan" && (t - m > 4*s + 1e-12 || m - t > 4*s + 1e-12)) print $1, c } }')"
        check "per-layer q and chi within 4 sem ($model, seed $seed): $bad" '[ -z "$bad" ]'
    done
done
"$NTK" point --sim --width 0 >/dev/null 2>&1
check "--width 0 is a usage error" '[ $? -eq 2 ]'
"$NTK" point --sim --engine fast >/dev/null 2>&1
check "--engine fast is a usage error" '[ $? -eq 2 ]'
echo "point.sim: $pass passed, $fail failed"
[ $fail -eq 0 ]
