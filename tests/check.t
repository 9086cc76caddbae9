#!/bin/sh
# tests/check.t: `clustersim check`: trace structure (header, JSON, time
# order, end record) and per-key linearizability of the client history;
# the structural rules of the shared reader (tools/trace_read.c), which
# export and plot apply too; Jepsen history files. TAP; run with prove.
CS=${CLUSTERSIM:-./clustersim}
D=tests/data
T=$(mktemp -d "${TMPDIR:-/tmp}/check-t.XXXXXX")
trap 'rm -rf "$T"' EXIT
n=0
ok()   { n=$((n+1)); echo "ok $n - $1"; }
fail() { n=$((n+1)); echo "not ok $n - $1"; }
check() { if eval "$2"; then ok "$1"; else fail "$1"; fi; }
run() { "$@" >"$T/out" 2>"$T/err"; rc=$?; }

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

# ---- one reader, one verdict: what check rejects, export and plot refuse too (65)
refused() {   # refused NAME FILE PATTERN: check exits 1, export and plot 65, all naming PATTERN
    run "$CS" check "$2"
    check "$1: check exits 1 and says where" '[ $rc -eq 1 ] && grep -q -- "$3" "$T/out" && tail -1 "$T/out" | grep -q "^FAILED$"'
    run "$CS" export "$2" --to chrome -o "$T/x.json"
    check "$1: export exits 65 with the same message" '[ $rc -eq 65 ] && grep -q -- "$3" "$T/err"'
    if command -v gnuplot >/dev/null 2>&1; then
        run "$CS" plot "$2" --kind timeline -o "$T/x.png"
        check "$1: plot exits 65 with the same message" '[ $rc -eq 65 ] && grep -q -- "$3" "$T/err"'
    fi
}
sed '1s/"schema":1/"schema":99/' $D/raft.jsonl >"$T/s99.jsonl"
refused "schema 99" "$T/s99.jsonl" "s99.jsonl:1: schema 99, this reader knows schema 1"
sed '1p' $D/raft.jsonl >"$T/twohead.jsonl"
refused "a second header" "$T/twohead.jsonl" "twohead.jsonl:2: a second header (the first is at line 1)"
{ cat $D/raft.jsonl; echo '{"t":3300000,"type":"log","text":"late"}'; } >"$T/after.jsonl"
last=$(wc -l <"$T/after.jsonl")
refused "a record after the end" "$T/after.jsonl" "after.jsonl:$last: a record after the end record (line $((last - 1)))"
sed '17s/"t":177400,/"t":177400.7,/' $D/raft.jsonl >"$T/frac.jsonl"
refused "a fractional t" "$T/frac.jsonl" 'frac.jsonl:17: "t" must be a whole number of microseconds >= 0, not 177400.7'
sed '2s/"t":0,/"t":-5,/' $D/raft.jsonl >"$T/neg.jsonl"
refused "a negative t" "$T/neg.jsonl" 'neg.jsonl:2: "t" must be a whole number of microseconds >= 0, not -5'
sed '2s/"t":0,/"t":"0",/' $D/raft.jsonl >"$T/strt.jsonl"
refused "a t that is a string" "$T/strt.jsonl" 'strt.jsonl:2: "t" must be a whole number of microseconds >= 0, not "0"'
run "$CS" check "$T/after.jsonl"
check "check reads on past a rejected record: the summary still counts the rest" 'grep -q "records: .*send=116" "$T/out"'

# ---- the client operations must pair up: no verdict on a history that does not
inv=$(grep -n '"type":"invoke","client":1,"seq":1,' $D/raft.jsonl | cut -d: -f1)
com=$(grep -n '"type":"complete","client":1,"seq":1,' $D/raft.jsonl | cut -d: -f1)
sed "${inv}d" $D/raft.jsonl >"$T/noinv.jsonl"
run "$CS" check "$T/noinv.jsonl"
check "a complete without an invoke: exit 1, names the line" \
    '[ $rc -eq 1 ] && grep -q "noinv.jsonl:$((com - 1)): a complete of client 1 seq 1, which was never invoked" "$T/out"'
check "... and gives no linearizability verdict" \
    'grep -q "history: not checked" "$T/out" && ! grep -q "history: linearizable" "$T/out"'
sed "${com}p" $D/raft.jsonl >"$T/twocom.jsonl"
run "$CS" check "$T/twocom.jsonl"
check "a second complete: exit 1, names both lines" \
    '[ $rc -eq 1 ] && grep -q "twocom.jsonl:$((com + 1)): a second complete of client 1 seq 1 (the first is at line $com)" "$T/out"'
sed "${inv}p" $D/raft.jsonl >"$T/twoinv.jsonl"
run "$CS" check "$T/twoinv.jsonl"
check "a second invoke of one (client, seq): exit 1, names both lines" \
    '[ $rc -eq 1 ] && grep -q "twoinv.jsonl:$((inv + 1)): a second invoke of client 1 seq 1 (the first is at line $inv)" "$T/out"'

# ---- real-time order from the record order, not from rounded microseconds
run "$CS" check $D/check-same-t.jsonl
check "a get invoked (line 5) before a put returns (line 6) in the same microsecond is concurrent with it" \
    '[ $rc -eq 0 ] && grep -q "history: linearizable (1 key)" "$T/out"'
sed '5{h;d};6{G}' $D/check-same-t.jsonl >"$T/swapped.jsonl"
run "$CS" check "$T/swapped.jsonl"
check "the same times with the put's return first: the stale get is caught" \
    '[ $rc -eq 1 ] && grep -q "key x: NOT linearizable" "$T/out"'

# ---- memory is bounded too: the memo table, not only the steps
awk 'BEGIN {
    print "{\"type\":\"header\",\"schema\":1,\"scenario\":\"generated\",\"seed\":\"1\",\"nodes\":3}"
    t = 0
    for (i = 1; i <= 1500; i++) {
        printf "{\"t\":%d,\"type\":\"invoke\",\"client\":1,\"seq\":%d,\"op\":\"put\",\"key\":\"x\",\"value\":\"%d\"}\n", t++, 2*i, i
        printf "{\"t\":%d,\"type\":\"complete\",\"client\":1,\"seq\":%d,\"op\":\"put\",\"status\":\"ok\"}\n", t++, 2*i
        printf "{\"t\":%d,\"type\":\"invoke\",\"client\":2,\"seq\":%d,\"op\":\"get\",\"key\":\"x\"}\n", t++, i
        printf "{\"t\":%d,\"type\":\"complete\",\"client\":2,\"seq\":%d,\"op\":\"get\",\"status\":\"ok\",\"value\":\"%d\"}\n", t++, i, i
    }
    printf "{\"type\":\"end\",\"status\":\"ok\",\"t\":%d}\n", t
}' >"$T/big.jsonl"
run "$CS" check "$T/big.jsonl"
check "a 3,000-operation key within the default memory: linearizable" '[ $rc -eq 0 ] && grep -q "linearizable (1 key)" "$T/out"'
run "$CS" check "$T/big.jsonl" --memory 1
check "the same with --memory 1: inconclusive, exit 2, says what was explored" \
    '[ $rc -eq 2 ] && grep -q "key x: inconclusive: 3000 operations, memory budget of 1 MB full" "$T/out" &&
     grep -q "explored: [0-9]* configurations remembered, at most [0-9]* of 3000 operations placed" "$T/out"'
run "$CS" check $D/raft.jsonl --memory 0
check "bad --memory: 64, names the value" '[ $rc -eq 64 ] && grep -q "megabytes from 1 to .*, not .0." "$T/err"'

# ---- a result that cannot be written is exit 74
if [ -w /dev/full ]; then
    run sh -c '"$1" check "$2" >/dev/full' sh "$CS" $D/raft.jsonl
    check "check > /dev/full: exit 74, says so" '[ $rc -eq 74 ] && grep -q "cannot write the result to standard output" "$T/err"'
    run sh -c '"$1" check "$2" >/dev/full' sh "$CS" $D/kv_stale.jsonl
    check "a failing check > /dev/full: 74 too (the verdict did not arrive)" '[ $rc -eq 74 ]'
else
    ok "# SKIP no /dev/full"; ok "# SKIP no /dev/full"
fi

# ---- Jepsen histories (export --to history): autodetected, paired per process
run "$CS" check $D/check-history.jsonl
check "a history: read as one, linearizable (fail left out, info may or may not have happened)" \
    '[ $rc -eq 0 ] && grep -q "(a Jepsen history)" "$T/out" && grep -q "7 client operations (5 ok, 1 failed, 1 unknown)" "$T/out" &&
     grep -q "history: linearizable (2 keys)" "$T/out"'
run "$CS" check $D/check-history-stale.jsonl
check "a stale read in a history: exit 1, names the process and lines" \
    '[ $rc -eq 1 ] && grep -q "key x: NOT linearizable" "$T/out" && grep -q "process 2: read x = \"1\" .*(lines 5-6)" "$T/out"'
sed '2s/"process":1/"process":0/' $D/check-history.jsonl >"$T/overlap.jsonl"
run "$CS" check "$T/overlap.jsonl"
check "a process with two outstanding invokes: refused, with the line" \
    '[ $rc -eq 1 ] && grep -q "overlap.jsonl:2: process 0 invokes read while its write from line 1 is still outstanding: not a valid history" "$T/out" &&
     grep -q "history: not checked" "$T/out"'
sed '1d' $D/check-history.jsonl >"$T/orphan.jsonl"
run "$CS" check "$T/orphan.jsonl"
check "a completion with no invoke: refused, with the line" \
    '[ $rc -eq 1 ] && grep -q "orphan.jsonl:2: process 0 completes (ok) with no invoke outstanding" "$T/out"'
sed '5s/\["1","2"\]/"2"/' $D/check-history.jsonl >"$T/cas.jsonl"
run "$CS" check "$T/cas.jsonl"
check "a cas value that is not [expected, new]: refused" '[ $rc -eq 1 ] && grep -q "cas.jsonl:5: a cas value is \[expected, new\], not \"2\"" "$T/out"'
sed '2s/"type":"invoke"/"type":"call"/; 4s/"process":1/"process":1.5/' $D/check-history.jsonl >"$T/hbad.jsonl"
run "$CS" check "$T/hbad.jsonl"
check "a bad event type and a fractional process: refused, each with its line" \
    '[ $rc -eq 1 ] && grep -q "hbad.jsonl:2: a history event.s type is invoke, ok, fail or info, not \"call\"" "$T/out" &&
     grep -q "hbad.jsonl:4: \"process\" must be a whole number, not 1.5" "$T/out"'
run "$CS" export $D/check-history.jsonl --to chrome -o "$T/x.json"
check "export does not take a history for a trace (no header): 65" '[ $rc -eq 65 ] && grep -q "the first record is not a header" "$T/err"'

# ---- a real run: its trace reads (the writer's schema is the reader's), and its
# exported history re-checks to the same verdict
"$CS" run scenarios/raft_flaky.lua --seed 1 --trace "$T/flaky.jsonl" --trace-level messages >/dev/null 2>&1
run "$CS" check "$T/flaky.jsonl"
check "a fresh raft_flaky trace: OK" '[ $rc -eq 0 ] && grep -q "history: linearizable (4 keys)" "$T/out"'
run "$CS" export "$T/flaky.jsonl" --to history -o "$T/flaky.hist"
run "$CS" check "$T/flaky.hist"
check "its exported history: the same verdict" '[ $rc -eq 0 ] && grep -q "history: linearizable (4 keys)" "$T/out"'
run "$CS" export $D/kv_stale.jsonl --to history -o "$T/stale.hist"
run "$CS" check "$T/stale.hist"
check "kv_stale's exported history: NOT linearizable, as its trace" '[ $rc -eq 1 ] && grep -q "key x: NOT linearizable" "$T/out"'

echo "1..$n"
