#!/bin/sh
# tests/plot.t: `clustersim plot` on the hand-written traces in tests/data:
# every kind renders a non-empty picture, and every user error has its exit
# status and a message naming the bad word. TAP; run with prove.
CS=${CLUSTERSIM:-./clustersim}
D=tests/data
T=$(mktemp -d "${TMPDIR:-/tmp}/plot-t.XXXXXX")
trap 'rm -rf "$T"' EXIT
n=0
ok()   { n=$((n+1)); echo "ok $n - $1"; }
fail() { n=$((n+1)); echo "not ok $n - $1"; }
check() { if eval "$2"; then ok "$1"; else fail "$1"; fi; }
# run CMD..., keeping status in $rc, stdout in $T/out, stderr in $T/err
run() { "$@" >"$T/out" 2>"$T/err"; rc=$?; }
is_png() { [ -s "$1" ] && [ "$(head -c 4 "$1" | od -An -c | tr -d ' ')" = "211PNG" ]; }

if ! command -v gnuplot >/dev/null 2>&1; then
    echo "1..0 # SKIP gnuplot not installed (apt-get install gnuplot-nox)"
    exit 0
fi
echo "1..34"

for k in timeline messages latency cdf commit load elections; do
    run "$CS" plot $D/raft.jsonl --kind $k -o "$T/$k.png"
    check "$k: exit 0" '[ $rc -eq 0 ]'
    check "$k: a non-empty PNG" 'is_png "$T/$k.png"'
done

run "$CS" plot $D/raft.jsonl --kind timeline -o "$T/t.svg"
check "svg output" '[ $rc -eq 0 ] && grep -q "<svg" "$T/t.svg"'
run "$CS" plot $D/raft.jsonl --kind commit -o "$T/c.pdf"
check "pdf output" '[ $rc -eq 0 ] && [ "$(head -c 4 "$T/c.pdf")" = "%PDF" ]'
run "$CS" plot $D/raft.jsonl --kind timeline -o -
check "-o - draws on the terminal" '[ $rc -eq 0 ] && grep -q "node 2" "$T/out"'

run "$CS" plot $D/raft.jsonl $D/kv_lin.jsonl --kind cdf -o "$T/cdf2.png"
check "cdf compares two traces" '[ $rc -eq 0 ] && is_png "$T/cdf2.png"'
run "$CS" plot $D/raft.jsonl --kind messages --from 980 --to 1300 --nodes 1-3 --title "it's a title" -o "$T/w.png"
check "messages with a window, nodes and a quoted title" '[ $rc -eq 0 ] && is_png "$T/w.png"'
check "messages reports what it drew" 'grep -q "980..1300 ms: .* delivered, 3 dropped" "$T/err"'

run "$CS" plot $D/raft.jsonl --kind timeline --data "$T/data" -o "$T/kept.png"
check "--data keeps the data files" '[ -s "$T/data/roles.tsv" ] && [ -s "$T/data/lanes.tsv" ]'
check "--data prints the gnuplot command" 'grep -q "gnuplot .*-c .*timeline.gp" "$T/err"'
run gnuplot -c plots/timeline.gp "$T/data/lanes.tsv" "$T/data/down.tsv" "$T/data/paused.tsv" \
    "$T/data/faults.tsv" "$T/data/suspect.tsv" "$T/data/trust.tsv" "$T/data/roles.tsv" "$T/byhand.png"
check "the script works by hand on the kept data" '[ $rc -eq 0 ] && is_png "$T/byhand.png"'

run "$CS" plot $D/truncated.jsonl --kind timeline -o "$T/tr.png"
check "a truncated trace still draws, with a warning" '[ $rc -eq 0 ] && grep -q "no end record" "$T/err"'

# errors
run "$CS" plot $D/raft.jsonl --kind pie -o "$T/x.png"
check "unknown kind: 64, names it and the kinds" '[ $rc -eq 64 ] && grep -q "unknown kind .pie.; accepted: timeline" "$T/err"'
run "$CS" plot $D/raft.jsonl --kind timeline --colour red -o "$T/x.png"
check "unknown option: 64, names it" '[ $rc -eq 64 ] && grep -q "unknown option .--colour." "$T/err"'
run "$CS" plot $D/raft.jsonl --kind timeline -o "$T/x.jpg"
check "unknown output format: 64" '[ $rc -eq 64 ] && grep -q "x.jpg.; accepted: .png, .svg, .pdf" "$T/err"'
run "$CS" plot $D/nonexistent.jsonl --kind timeline -o "$T/x.png"
check "missing trace: 66" '[ $rc -eq 66 ] && grep -q "nonexistent.jsonl" "$T/err"'
run "$CS" plot $D/malformed.jsonl --kind timeline -o "$T/x.png"
check "malformed line: 65, names the line" '[ $rc -eq 65 ] && grep -q "malformed.jsonl:7: malformed JSON" "$T/err"'
run "$CS" plot $D/kv_lin.jsonl --kind timeline -o "$T/x.png"
check "no role records: 1, says what is missing" '[ $rc -eq 1 ] && grep -q "trace has no role records" "$T/err"'
run "$CS" plot $D/raft.jsonl --kind timeline -o /nonexistent-dir/x.png
check "unwritable output: 74" '[ $rc -eq 74 ]'
run env PATH=/nonexistent "$(cd "$(dirname "$CS")" && pwd)/$(basename "$CS")" plot $D/raft.jsonl --kind timeline -o "$T/x.png"
check "no gnuplot: 70 and how to install it" '[ $rc -eq 70 ] && grep -q "gnuplot not found; install it: apt-get install gnuplot-nox" "$T/err"'
run env CLUSTERSIM_PLOTS=/nonexistent "$CS" plot $D/raft.jsonl --kind timeline -o "$T/x.png"
check "CLUSTERSIM_PLOTS without the script: 70" '[ $rc -eq 70 ] && grep -q "has no timeline.gp" "$T/err"'
run "$CS" plot $D/raft.jsonl $D/kv_lin.jsonl --kind timeline -o "$T/x.png"
check "two traces for a one-trace kind: 64" '[ $rc -eq 64 ]'
