#!/bin/sh
# tests/check.t: `clustersim check`: trace structure (header, JSON, time
# order, end record) and per-key linearizability of the client history.
# TAP; run with prove.
CS=${CLUSTERSIM:-./clustersim}
D=tests/data
T=$(mktemp -d "${TMPDIR:-/tmp}/check-t.XXXXXX")
trap 'rm -rf "$T"' EXIT
n=0
ok()   { n=$((n+1)); echo "ok $n - $1"; }
fail() { n=$((n+1)); echo "not ok $n - $1"; }
check() { if eval "$2"; then ok "$1"; else fail "$1"; fi; }
run() { "$@" >"$T/out" 2>"$T/err"; rc=$?; }
echo "1..18"

run "$CS" check $D/raft.jsonl
check "a good trace: exit 0" '[ $rc -eq 0 ] && tail -1 "$T/out" | grep -q "^OK$"'
check "summary: records by type and the end status" \
    'grep -q "records: clock=1 commit=12 complete=6 crash=1 drop=24" "$T/out" && grep -q "end: status ok at 3200.000 ms" "$T/out"'
check "history checked from invoke/complete" 'grep -q "from invoke/complete records" "$T/out" && grep -q "history: linearizable (1 key)" "$T/out"'

run "$CS" check $D/kv_lin.jsonl
check "request/reply history with retries, timeouts, a failed cas: linearizable" \
    '[ $rc -eq 0 ] && grep -q "from request/reply records" "$T/out" && grep -q "linearizable (2 keys)" "$T/out"'

run "$CS" check $D/kv_stale.jsonl
check "a stale read: exit 1" '[ $rc -eq 1 ]'
check "names the key" 'grep -q "key x: NOT linearizable" "$T/out"'
check "names the read no order explains" 'grep -A1 "no order" "$T/out" | grep -q "client 3 seq 1: get x = \"1\""'
check "shows the writes placed before it" 'grep -q "client 2 seq 1: put x \"2\"" "$T/out"'

run "$CS" check $D/kv_lin.jsonl --budget 1
check "out of budget: exit 2, inconclusive" '[ $rc -eq 2 ] && grep -q "inconclusive" "$T/out"'

run "$CS" check $D/malformed.jsonl
check "malformed line: exit 1, names the line" '[ $rc -eq 1 ] && grep -q "malformed.jsonl:7: malformed JSON" "$T/out"'
run "$CS" check $D/truncated.jsonl
check "no end record: exit 1, truncated" '[ $rc -eq 1 ] && grep -q "truncated or incomplete: no end record" "$T/out"'

sed 's/"t":177400,/"t":99,/' $D/raft.jsonl >"$T/back.jsonl"
run "$CS" check "$T/back.jsonl"
check "time going backwards: exit 1, names the line" '[ $rc -eq 1 ] && grep -q "back.jsonl:17: time goes backwards: t=99" "$T/out"'
tail -n +2 $D/raft.jsonl >"$T/nohead.jsonl"
run "$CS" check "$T/nohead.jsonl"
check "no header: exit 1" '[ $rc -eq 1 ] && grep -q "the first record is not a header" "$T/out"'
sed '1s/"schema":1/"schema":2/' $D/raft.jsonl >"$T/schema2.jsonl"
run "$CS" check "$T/schema2.jsonl"
check "unknown schema: exit 1" '[ $rc -eq 1 ] && grep -q "schema 2, this reader knows schema 1" "$T/out"'
sed '$s/"status":"ok"/"status":"violation"/; $s/"violations":0/"violations":1/' $D/raft.jsonl >"$T/viol.jsonl"
run "$CS" check "$T/viol.jsonl"
check "a run that ended in a violation: exit 1" '[ $rc -eq 1 ] && grep -q "ended with status violation" "$T/out"'

run "$CS" check $D/nonexistent.jsonl
check "missing trace: 66" '[ $rc -eq 66 ] && grep -q "nonexistent.jsonl" "$T/err"'
run "$CS" check $D/raft.jsonl --fast
check "unknown option: 64, names it" '[ $rc -eq 64 ] && grep -q "unknown option .--fast." "$T/err"'
run "$CS" check $D/raft.jsonl --budget lots
check "bad budget: 64" '[ $rc -eq 64 ] && grep -q "lots" "$T/err"'
