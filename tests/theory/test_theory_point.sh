#!/bin/sh
# test_theory_point.sh - `ntksweep point`: golden values in its TSV output and usage errors.
# Usage: test_theory_point.sh /path/to/ntksweep
set -u
BIN="$1"
fail=0
pass=0
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*"; }

# value of column NAME at layer L of the TSV on stdin
col() {
    awk -F'\t' -v name="$1" -v row="$2" '
        NR == 1 { for (i = 1; i <= NF; i++) if ($i == name) c = i; next }
        $1 == row { print $c }'
}

# check_val NAME ROW WANT RELTOL < tsv
check_val() {
    got=$(col "$1" "$2")
    if awk -v g="$got" -v w="$3" -v t="$4" 'BEGIN { d = g - w; if (d < 0) d = -d;
            a = w < 0 ? -w : w; exit !(g != "" && d <= t * a) }'; then
        ok
    else
        bad "$1 at l=$2: got '$got', want $3 (rel $4)"
    fi
}

# Tirer MLP (seed-002 7.1): ff, sigma_w = sigma_out = 1, d = 2 unit inputs (q0 = 1/2), L = 5
out=$("$BIN" point --depth 5 --sigma-w 1 --sigma-out 1 --q0 0.5 --angle 1.5707963267948966)
[ $? -eq 0 ] && ok || bad "exit status of a valid run"
echo "$out" | check_val ntk_xy 5 0.0280030619819 1e-10
echo "$out" | check_val ntk_xx 5 0.09375 1e-12
[ "$(echo "$out" | head -1 | cut -f1-4)" = "$(printf 'l\tq\tlambda\tc')" ] && ok || bad "header"
[ "$(echo "$out" | wc -l)" -eq 7 ] && ok || bad "one row per layer 0..5"

# Yang & Schoenholz tanh FRN trace (seed-004 5.5): variances, p0 = 1, gamma0 = 0.5
out=$("$BIN" point --arch frn --act tanh --sigma-w2 1.69 --sigma-b2 0.49 --sigma-v2 1.5 \
    --sigma-a2 0.5 --rho 0.5 --depth 10)
echo "$out" | check_val p 10 17.33864665 5e-9
echo "$out" | check_val gamma 10 12.10094094 5e-9
echo "$out" | check_val chi 1 17.62759798 5e-9
echo "$out" | check_val chi_v 1 9.433161004 5e-9
echo "$out" | check_val chi_a 10 1 1e-15
echo "$out" | check_val chi_b 10 0.1532153193 5e-9

# Huang ResNet with alpha = L^-gamma (seed-003 8.3): rho = 0, L = 5, gamma = 1
out=$("$BIN" point --arch resnet --sigma-w 1.4142135623730951 --stem linear --gamma 1 \
    --trained W,V --depth 5 --rho 0)
echo "$out" | check_val ntk_xy 5 0.077339167472644 1e-12
echo "$out" | check_val ntk_norm 5 0.165274611215915 1e-12

# usage errors: exit status 2 and a message naming the option
expect_usage() {
    msg=$("$BIN" point "$@" 2>&1 >/dev/null)
    st=$?
    want="$1"
    case "$want" in --*=*) want="${want%%=*}" ;; esac
    if [ $st -eq 2 ] && echo "$msg" | grep -q -- "$want"; then ok; else
        bad "point $* -> status $st, message '$msg'"; fi
}
expect_usage --depth abc
expect_usage --depth 0
expect_usage --sigma-w -1
expect_usage --rho 1.5
expect_usage --arch lstm
expect_usage --act sigmoid
expect_usage --trained W,Q
expect_usage --bogus 1
expect_usage --depth=2x
expect_usage --sigma-w 1 --sigma-w2 1
expect_usage --alpha-schedule power
msg=$("$BIN" point --act alpha_relu --relu-alpha 0.4 2>&1 >/dev/null); st=$?
[ $st -eq 2 ] && echo "$msg" | grep -q relu_alpha && ok || bad "alpha_relu 0.4: $st '$msg'"
"$BIN" point --depth 2>/dev/null; [ $? -eq 2 ] && ok || bad "missing value"
"$BIN" point --help >/dev/null; [ $? -eq 0 ] && ok || bad "--help"

echo "theory.point: $pass passed, $fail failed"
[ $fail -eq 0 ]
