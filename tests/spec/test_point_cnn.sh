#!/bin/sh
# test_point_cnn.sh - `ntksweep point --arch cnn1d`: spatially constant inputs reproduce ff at
# every layer and column (Hayou's Assumption 1, docs/architectures.md 3.8), closed forms of the
# ReLU edge of chaos through a conv readout, and usage errors.
# Usage: test_point_cnn.sh /path/to/ntksweep
set -u
BIN="$1"
fail=0
pass=0
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*"; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# value of column NAME at layer L of the TSV in file F
col() {
    awk -F'\t' -v name="$2" -v row="$3" '
        NR == 1 { for (i = 1; i <= NF; i++) if ($i == name) c = i; next }
        $1 == row { print $c }' "$1"
}

# check_val FILE NAME ROW WANT RELTOL
check_val() {
    got=$(col "$1" "$2" "$3")
    if awk -v g="$got" -v w="$4" -v t="$5" 'BEGIN { d = g - w; if (d < 0) d = -d;
            a = w < 0 ? -w : w; exit !(g != "" && d <= t * a) }'; then
        ok
    else
        bad "$1: $2 at l=$3: got '$got', want $4 (rel $5)"
    fi
}

# same_table A B SKIP: every column of A equals B (same header, same rows) to 1e-12 relative
# (1e-13 absolute near 0; nan must match nan), except the comma-separated columns in SKIP.
same_table() {
    [ "$(head -1 "$1")" = "$(head -1 "$2")" ] || { bad "headers differ: $1 $2"; return; }
    [ "$(wc -l < "$1")" -eq "$(wc -l < "$2")" ] || { bad "row counts differ: $1 $2"; return; }
    res=$(paste "$1" "$2" | awk -F'\t' -v skip=",$3," '
        NR == 1 { n = NF / 2; for (i = 1; i <= n; i++) name[i] = $i; next }
        { for (i = 2; i <= n; i++) {
              if (index(skip, "," name[i] ",")) continue
              a = $i; b = $(i + n); cells++
              if (a == "nan" || b == "nan") { if (a != b) { print "row " $1 " " name[i] ": " a " vs " b; bad++ } ; continue }
              d = a - b; if (d < 0) d = -d; m = b < 0 ? -b : b
              if (d > 1e-12 * m && d > 1e-13) { print "row " $1 " " name[i] ": " a " vs " b; bad++ }
          } }
        END { if (cells < 10) print "too few cells compared"; }')
    if [ -z "$res" ]; then ok; else bad "$1 vs $2: $res"; fi
}

run() { # FILE ARGS...: runs ntksweep point, exit status must be 0
    out="$1"
    shift
    if "$BIN" point "$@" > "$tmp/$out"; then ok; else bad "point $* exited with $?"; fi
}

# 1. Dense readout, spatially constant inputs: every column equals ff with the same parameters
#    (tanh off the EOC with biases, relu at the EOC, erf chaotic; M = 8, q = 1 and M = 5, q = 2).
common="--sigma-out 1.3 --sigma-out-b 0.2 --rho 0.3 --q0 1.7"
run ff_tanh.tsv --act tanh --sigma-w 1.3 --sigma-b 0.2 --depth 6 $common
run cnn_tanh.tsv --arch cnn1d --positions 8 --kernel-half 1 --act tanh --sigma-w 1.3 \
    --sigma-b 0.2 --depth 6 $common
same_table "$tmp/cnn_tanh.tsv" "$tmp/ff_tanh.tsv" ""
run ff_relu.tsv --act relu --depth 5 --rho -0.4
run cnn_relu.tsv --arch cnn1d --positions 5 --kernel-half 2 --act relu --depth 5 --rho -0.4 \
    --readout dense
same_table "$tmp/cnn_relu.tsv" "$tmp/ff_relu.tsv" ""
run ff_erf.tsv --act erf --sigma-w2 4 --sigma-b2 0.1 --depth 7 --angle 0.2
run cnn_erf.tsv --arch cnn1d --positions 3 --kernel-half 1 --act erf --sigma-w2 4 \
    --sigma-b2 0.1 --depth 7 --angle 0.2
same_table "$tmp/cnn_erf.tsv" "$tmp/ff_erf.tsv" ""
# positions = 1 is ff for any readout
run cnn_m1.tsv --arch cnn1d --positions 1 --readout conv --act tanh --sigma-w 1.3 --sigma-b 0.2 \
    --depth 6 $common
same_table "$tmp/cnn_m1.tsv" "$tmp/ff_tanh.tsv" ""

# 2. Conv readout (Hayou's last layer): the output at position 0 sees a window of the last
#    stream, so every forward and NTK column still equals ff, but chi (the gradient at position
#    0 relative to the position mean) does not.
run cnn_tanh_conv.tsv --arch cnn1d --positions 8 --kernel-half 1 --act tanh --sigma-w 1.3 \
    --sigma-b 0.2 --depth 6 --readout conv $common
same_table "$tmp/cnn_tanh_conv.tsv" "$tmp/ff_tanh.tsv" "chi,log_chi"
# ReLU at the EOC (sigma_w = sigma_out = sqrt 2, no bias), Hayou's CNN with L = depth + 1 = 5
# (seed-001 1.3, 2.6): the NTK diagonal is 2 (l + 1) (seed-001 5.3: K^L(x,x)/L = 2). Tdot = 1/2,
# so the position profile of the gradient is the readout window convolved with every block's
# window: chi at position 0, row l = M c_n / 3^n with n = depth - l + 1 convolutions and c_n the
# central trinomial coefficients 1, 3, 7, 19, 51 (M = 8, q = 1; no wrap-around for n <= 7).
run hayou.tsv --arch cnn1d --positions 8 --kernel-half 1 --readout conv --depth 4 \
    --sigma-out 1.4142135623730951 --rho 0.5
for l in 0 1 2 3 4; do check_val "$tmp/hayou.tsv" ntk_xx $l $((2 * l + 2)) 1e-14; done
check_val "$tmp/hayou.tsv" chi 4 2.6666666666666667 1e-14  # 8 * 1/3
check_val "$tmp/hayou.tsv" chi 3 2.6666666666666667 1e-14  # 8 * 3/9
check_val "$tmp/hayou.tsv" chi 2 2.0740740740740741 1e-14  # 8 * 7/27
check_val "$tmp/hayou.tsv" chi 1 1.8765432098765432 1e-14  # 8 * 19/81
check_val "$tmp/hayou.tsv" chi 0 1.6790123456790123 1e-14  # 8 * 51/243
check_val "$tmp/hayou.tsv" q 1 2 1e-15
check_val "$tmp/hayou.tsv" lambda 1 1 1e-15
# ... and the dense readout of the same network averages the positions: chi = 1 everywhere.
run hayou_dense.tsv --arch cnn1d --positions 8 --kernel-half 1 --depth 4 \
    --sigma-out 1.4142135623730951 --rho 0.5
for l in 0 2 4; do check_val "$tmp/hayou_dense.tsv" chi $l 1 1e-14; done
[ "$(wc -l < "$tmp/hayou.tsv")" -eq 6 ] && ok || bad "one row per layer 0..4"

# 3. --sim on the virtual inputs: the theory printed beside the Monte Carlo is that of the input
#    pair (virtual inputs 0 and M), and the empirical NTK of width-256 networks agrees with it
#    (seeded, so the z-scores are fixed numbers; |z| < 4).
simargs="--arch cnn1d --positions 4 --kernel-half 1 --readout conv --act tanh --sigma-w 1.3 \
    --sigma-b 0.2 --depth 3 --rho 0.3"
run sim_th.tsv $simargs
run sim.txt $simargs --sim --width 256 --samples 300 --seed 3
for p in "x,x:ntk_xx" "x,x':ntk_xy"; do
    lab=${p%%:*}
    th=$(grep "^# ntk($lab)" "$tmp/sim.txt" | awk '{ print $4 }')
    z=$(grep "^# ntk($lab)" "$tmp/sim.txt" | sed 's/.*(z = \([-0-9.]*\)).*/\1/')
    check_val "$tmp/sim_th.tsv" "${p#*:}" 3 "$th" 1e-9
    if awk -v z="$z" 'BEGIN { exit !(z != "" && z > -4 && z < 4) }'; then ok; else
        bad "--sim ntk($lab): z = '$z'"; fi
done
[ "$(grep -c '^[0-3]	' "$tmp/sim.txt")" -eq 4 ] && ok || bad "--sim: one row per layer 0..3"

# 4. Usage errors: exit status 2 and a message naming the problem.
expect_usage() {
    want="$1"
    shift
    msg=$("$BIN" point "$@" 2>&1 >/dev/null)
    st=$?
    if [ $st -eq 2 ] && echo "$msg" | grep -q -- "$want"; then ok; else
        bad "point $* -> status $st, message '$msg' (want '$want')"; fi
}
expect_usage "apply to --arch cnn1d only" --positions 4
expect_usage "apply to --arch cnn1d only" --arch resnet --readout conv
expect_usage "kernel_half = 4 must be in 0..3" --arch cnn1d --positions 8 --kernel-half 4
expect_usage "expected dense or conv" --arch cnn1d --readout cnv
expect_usage "--positions: must be >= 1" --arch cnn1d --positions 0
expect_usage "1100 virtual inputs; at most 1024" --arch cnn1d --positions 550
expect_usage "80 virtual inputs; at most 64" --arch cnn1d --positions 40 --sim
expect_usage "--kernel-half: must be >= 0" --arch cnn1d --positions 4 --kernel-half -1

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
