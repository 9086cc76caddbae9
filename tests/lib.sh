# Shared helpers for the TAP shell tests (sourced). Each test prints TAP;
# prove reads it and prints the closing "Result: PASS" line.
CLUSTERSIM=${CLUSTERSIM:-$(pwd)/clustersim}
TOP=$(cd "$(dirname "$0")/.." && pwd)
cd "$TOP" || exit 1
TMP=$(mktemp -d /tmp/clustersim-test.XXXXXX)
trap 'rm -rf "$TMP"' EXIT
# what a command writes to the temporary directory by default (a shrunk
# scenario, say) stays this test's own when prove runs tests side by side
export TMPDIR="$TMP"

n=0
failed=0

ok() {   # ok COND-EXIT-STATUS NAME
    n=$((n + 1))
    if [ "$1" -eq 0 ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; failed=$((failed + 1)); fi
}

# expect_exit CODE NAME -- command...: runs it, output in $TMP/out, $TMP/err
expect_exit() {
    want=$1; name=$2; shift 3
    "$@" >"$TMP/out" 2>"$TMP/err"
    got=$?
    if [ "$got" -eq "$want" ]; then ok 0 "$name (exit $want)"; else
        ok 1 "$name (exit $got, want $want)"; sed 's/^/#   /' "$TMP/err" | head -20; fi
}

# expect_err PATTERN NAME: the last command's stderr matches (grep -E)
expect_err() {
    if grep -Eq -- "$1" "$TMP/err"; then ok 0 "$2"; else
        ok 1 "$2"; echo "#   stderr did not match: $1"; sed 's/^/#   /' "$TMP/err" | head -20; fi
}

expect_out() {
    if grep -Eq -- "$1" "$TMP/out"; then ok 0 "$2"; else
        ok 1 "$2"; echo "#   stdout did not match: $1"; sed 's/^/#   /' "$TMP/out" | head -20; fi
}

done_testing() { echo "1..$n"; [ "$failed" -eq 0 ]; }
