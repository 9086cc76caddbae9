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
echo "1..63"

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
    "$T/data/faults.tsv" "$T/data/suspect.tsv" "$T/data/trust.tsv" "$T/data/roles.tsv" "$T/data/marks.tsv" \
    "$T/byhand.png"
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

# ---- hostile and degenerate traces (issue 7) ----
HDR='{"type":"header","schema":1,"tool":"clustersim","version":"0.1.0","time_unit":"us","scenario":"scenarios/x.lua","seed":"1","algorithm":"raft","nodes":3}'
END='{"type":"end","status":"ok","t":400000,"events":1,"messages":{"sent":0,"delivered":0,"dropped":0},"violations":0}'
trace() { f=$T/$1; shift; printf '%s\n' "$HDR" "$@" > "$f"; }
KINDS="timeline messages latency cdf commit load elections"

# item 2: an id past the lane tables is refused by every kind, naming
# file:line, the id and the range (it used to segfault in messages)
trace big.jsonl '{"t":1000,"type":"role","node":100006,"role":"leader","term":1}' \
    '{"t":2000,"type":"send","src":1,"dst":100006,"msg":"AppendEntries","id":1}' \
    '{"t":3000,"type":"recv","src":1,"dst":100006,"id":1}' "$END"
bad=""
for k in $KINDS; do
    run "$CS" plot "$T/big.jsonl" --kind $k -o "$T/x.png"
    [ $rc -eq 65 ] && grep -q "big.jsonl:2: node 100006 is out of range: plot accepts 1..100000" "$T/err" || bad="$bad $k"
done
check "node 100006: every kind exits 65 naming file:line, id and range (failed:$bad)" '[ -z "$bad" ]'
trace dst.jsonl '{"t":1000,"type":"role","node":1,"role":"leader","term":1}' \
    '{"t":2000,"type":"send","src":1,"dst":100006,"msg":"AppendEntries","id":1}' \
    '{"t":3000,"type":"recv","src":1,"dst":100006,"id":1}' "$END"
run "$CS" plot "$T/dst.jsonl" --kind messages -o "$T/x.png"
check "messages: a receiver past the lanes is refused, not a segfault" \
    '[ $rc -eq 65 ] && grep -q "dst.jsonl:3: dst 100006 is out of range: plot accepts 1..100000 for a node, -1..-100000 for a client" "$T/err"'
trace cl.jsonl '{"t":2000,"type":"send","src":-100001,"dst":1,"msg":"Request","id":1}' \
    '{"t":3000,"type":"recv","src":-100001,"dst":1,"id":1}' "$END"
run "$CS" plot "$T/cl.jsonl" --kind messages --clients -o "$T/x.png"
check "messages: a client past the range is refused" '[ $rc -eq 65 ] && grep -q "src -100001 is out of range" "$T/err"'
printf '%s\n' '{"type":"header","schema":1,"nodes":100006}' "$END" > "$T/hn.jsonl"
run "$CS" plot "$T/hn.jsonl" --kind load -o "$T/x.png"
check "a header with 100006 nodes is refused" '[ $rc -eq 65 ] && grep -q "hn.jsonl:1: header says nodes 100006" "$T/err"'
trace bigt.jsonl '{"t":9000000000000000000,"type":"role","node":1,"role":"leader","term":1}' "$END"
run "$CS" plot "$T/bigt.jsonl" --kind timeline -o "$T/x.png"
check "a time too large for the tools is refused" '[ $rc -eq 65 ] && grep -q "bigt.jsonl:2: " "$T/err"'

# item 14: what check rejects, plot does not draw
printf '%s\n' '{"type":"header","schema":99}' "$END" > "$T/s99.jsonl"
run "$CS" plot "$T/s99.jsonl" --kind timeline -o "$T/x.png"
check "schema 99: 65 and the reader's verdict" '[ $rc -eq 65 ] && grep -q "s99.jsonl:1: .*schema" "$T/err"'
printf '%s\n' "$HDR" "$HDR" '{"t":1000,"type":"role","node":1,"role":"leader","term":1}' "$END" > "$T/hh.jsonl"
run "$CS" plot "$T/hh.jsonl" --kind timeline -o "$T/x.png"
check "two headers: 65" '[ $rc -eq 65 ] && grep -q "hh.jsonl:2:" "$T/err"'
printf '%s\n' "$HDR" '{"t":1000,"type":"role","node":1,"role":"leader","term":1}' "$END" \
    '{"t":2000,"type":"role","node":2,"role":"leader","term":2}' > "$T/after.jsonl"
run "$CS" plot "$T/after.jsonl" --kind timeline -o "$T/x.png"
check "a record after the end: 65" '[ $rc -eq 65 ] && grep -q "after.jsonl:4:" "$T/err"'

# item 7: never overwrite an input, by name or through a link; nothing written
cp $D/raft.jsonl "$T/in.png"
run "$CS" plot "$T/in.png" --kind timeline -o "$T/in.png"
check "-o the input itself: 64, input intact" \
    '[ $rc -eq 64 ] && grep -q "is the input" "$T/err" && cmp -s "$T/in.png" $D/raft.jsonl'
cp $D/raft.jsonl "$T/in.jsonl"; ln -s in.jsonl "$T/link.png"
run "$CS" plot "$T/in.jsonl" --kind timeline -o "$T/link.png"
check "-o a symlink to the input: 64, input intact" '[ $rc -eq 64 ] && cmp -s "$T/in.jsonl" $D/raft.jsonl'
mkdir "$T/dd"; ln -s ../in.jsonl "$T/dd/lanes.tsv"
run "$CS" plot "$T/in.jsonl" --kind timeline --data "$T/dd" -o "$T/dd.png"
check "--data DIR holding a link to the input: 64, input intact, no picture" \
    '[ $rc -eq 64 ] && cmp -s "$T/in.jsonl" $D/raft.jsonl && [ ! -e "$T/dd.png" ] && [ ! -e "$T/dd/roles.tsv" ]'

# item 13: every kind checks it has data before gnuplot: "nothing to draw"
# or "trace has no ..." with exit 1, never gnuplot's STATS_min and 70
printf '%s\n' "$HDR" > "$T/ho.jsonl"
printf '%s\n' "$HDR" "$END" > "$T/he.jsonl"
trace inv.jsonl '{"t":5000,"type":"invoke","client":1,"seq":1,"op":"get","key":"k"}'
trace nested.jsonl '{"t":5000,"type":"send","src":1,"dst":2,"msg":"X","id":1,"args":{"a":{"b":[1,{"c":2}]}}}'
for f in ho he; do
    bad=""
    for k in $KINDS; do
        run "$CS" plot "$T/$f.jsonl" --kind $k -o "$T/x.png"
        { [ $rc -eq 1 ] && grep -q "nothing to draw\|trace has no\|has no client operations" "$T/err" &&
          ! grep -q "STATS\|gnuplot" "$T/err"; } || bad="$bad $k"
    done
    check "$f: every kind says what is missing, exit 1 (failed:$bad)" '[ -z "$bad" ]'
done
for k in latency cdf; do
    run "$CS" plot "$T/inv.jsonl" --kind $k -o "$T/x.png"
    check "$k, no end record, no completion: nothing to draw, exit 1" \
        '[ $rc -eq 1 ] && grep -q "nothing to draw: no client operation" "$T/err" && ! grep -q STATS "$T/err"'
done
run "$CS" plot "$T/nested.jsonl" --kind messages -o "$T/x.png"
check "messages, a send never delivered: nothing to draw, exit 1" \
    '[ $rc -eq 1 ] && grep -q "nothing to draw: no message" "$T/err"'
bad=""
for k in timeline messages latency cdf commit; do
    run "$CS" plot $D/raft.jsonl --kind $k --from 99999 --to 100000 -o "$T/x.png"
    { [ $rc -eq 1 ] && grep -q "nothing to draw: .* in 99999..100000 ms" "$T/err"; } || bad="$bad $k"
done
check "a window past the end: nothing to draw, naming the window (failed:$bad)" '[ -z "$bad" ]'
run "$CS" plot $D/raft.jsonl --kind timeline --nodes 99 -o "$T/x.png"
check "--nodes naming no node: nothing to draw, naming --nodes" \
    '[ $rc -eq 1 ] && grep -q "nothing to draw: .* for --nodes 99" "$T/err"'

# item 24: clock changes and the violation are marked; clients hidden by default
trace drift.jsonl '{"t":1000,"type":"role","node":1,"role":"leader","term":1}' \
    '{"t":1000,"type":"role","node":2,"role":"follower","term":1}' \
    '{"t":1000,"type":"role","node":3,"role":"follower","term":1}' \
    '{"t":50000,"type":"clock","node":3,"set_drift_ppm":500000,"drift_ppm":500000,"offset_ms":0}' \
    '{"t":60000,"type":"send","src":-1,"dst":1,"msg":"Request","id":1}' \
    '{"t":61000,"type":"recv","src":-1,"dst":1,"id":1}' \
    '{"t":62000,"type":"send","src":1,"dst":2,"msg":"AppendEntries","id":2}' \
    '{"t":63000,"type":"recv","src":1,"dst":2,"id":2}' \
    '{"t":70000,"type":"clock","node":2,"step_ms":-41.5,"drift_ppm":0,"offset_ms":-41.5}' \
    '{"t":90000,"type":"role","node":3,"role":"leader","term":1}' \
    '{"t":90000,"type":"violation","invariant":"election_safety","detail":"nodes 1 and 3 both lead term 1"}' \
    '{"type":"end","status":"violation","t":90000,"events":9,"messages":{"sent":2,"delivered":2,"dropped":0},"violations":1}'
run "$CS" plot "$T/drift.jsonl" --kind timeline --data "$T/tl" -o "$T/tl.png"
check "timeline: a drift change marked on its lane" \
    '[ $rc -eq 0 ] && grep -q "^50.000	3	drift +50%" "$T/tl/marks.tsv"'
check "timeline: a clock step marked on its lane" 'grep -q "^70.000	2	step -41.5 ms" "$T/tl/marks.tsv"'
check "timeline: the violation instant marked" 'grep -q "^90.000	0	violation: election_safety" "$T/tl/marks.tsv"'
check "timeline: the subtitle names the violation" \
    'grep -q "subtitle=.violation at 90 ms: election_safety: nodes 1 and 3 both lead term 1" "$T/err"'
check "timeline: the second leader, starting at the violation, is drawn past it" \
    'awk -F"\t" "\$3==3 && \$1==90 && \$2>90 {f=1} END {exit !f}" "$T/tl/roles.tsv"'
run "$CS" plot "$T/drift.jsonl" --kind messages --data "$T/ms" -o "$T/ms.png"
check "messages: no client lanes by default" '[ $rc -eq 0 ] && ! grep -q client "$T/ms/lanes.tsv"'
check "messages: the subtitle says client lanes are hidden and how to show them" \
    'grep -q "client lanes hidden: 1 message (--clients)" "$T/err"'
check "messages: clock changes and the violation marked" \
    'grep -q "^70.000	2	step -41.5 ms" "$T/ms/marks.tsv" && grep -q "^90.000	0	violation: election_safety" "$T/ms/marks.tsv"'
run "$CS" plot "$T/drift.jsonl" --kind messages --clients --data "$T/mc" -o "$T/mc.png"
check "messages --clients: the client lane is back" '[ $rc -eq 0 ] && grep -q "client 1" "$T/mc/lanes.tsv"'
# a violation long after the first election: the default window moves to it
{ printf '%s\n' "$HDR" '{"t":1000,"type":"role","node":1,"role":"candidate","term":1}' \
    '{"t":2000,"type":"role","node":1,"role":"leader","term":1}'
  i=0; while [ $i -lt 29 ]; do t=$((100000 + i * 100000))
    printf '{"t":%d,"type":"send","src":1,"dst":2,"msg":"AppendEntries","id":%d}\n{"t":%d,"type":"recv","src":1,"dst":2,"id":%d}\n' \
        $t $i $((t + 1000)) $i; i=$((i + 1)); done
  printf '%s\n' '{"t":3000000,"type":"violation","invariant":"log_matching","detail":"x"}' \
    '{"type":"end","status":"violation","t":3000000,"events":1,"messages":{"sent":29,"delivered":29,"dropped":0},"violations":1}'
} > "$T/late.jsonl"
run "$CS" plot "$T/late.jsonl" --kind messages -o "$T/late.png"
check "messages: the default window shows a late violation" \
    '[ $rc -eq 0 ] && grep -q "messages 2750..3050 ms" "$T/err"'

# Paxos names ballots, not terms, in the messages plot's role labels too
"$CS" run scenarios/paxos_basic.lua --trace "$T/px.jsonl" --trace-level messages >/dev/null 2>&1
run "$CS" plot "$T/px.jsonl" --kind messages --data "$T/pxd" -o "$T/px.png"
check "messages: Paxos roles are labelled with their ballot" \
    '[ $rc -eq 0 ] && grep -qh "(ballot [0-9]*\.[0-9]*)" "$T"/pxd/*.tsv && ! grep -qh "(term " "$T"/pxd/*.tsv'
