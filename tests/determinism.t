#!/bin/sh
# Same (scenario, seed, parameters) -> the same trace bytes, in two separate
# processes; another seed -> another trace.
. "$(dirname "$0")/lib.sh"
run() { "$CLUSTERSIM" run "$@" 2>/dev/null; }
for s in scenarios/fd_jitter.lua tests/lua/nemesis_fail.lua; do
    run $s --seed 42 --trace "$TMP/a.jsonl" --trace-level messages -P seconds=5 2>/dev/null ||
        run $s --seed 42 --trace "$TMP/a.jsonl" --trace-level messages
    run $s --seed 42 --trace "$TMP/b.jsonl" --trace-level messages -P seconds=5 2>/dev/null ||
        run $s --seed 42 --trace "$TMP/b.jsonl" --trace-level messages
    cmp -s "$TMP/a.jsonl" "$TMP/b.jsonl"
    ok $? "$s: same seed, byte-identical messages-level trace ($(wc -l < "$TMP/a.jsonl") lines)"
    run $s --seed 43 --trace "$TMP/c.jsonl" --trace-level messages -P seconds=5 2>/dev/null ||
        run $s --seed 43 --trace "$TMP/c.jsonl" --trace-level messages
    ! cmp -s "$TMP/a.jsonl" "$TMP/c.jsonl"
    ok $? "$s: another seed, another trace"
done
# The header records what is needed to reproduce the run.
head -1 "$TMP/c.jsonl" | grep -q '"type":"header","schema":1,.*"seed":"43"'
ok $? "header carries schema and the seed as a string"
# A 64-bit seed survives.
run scenarios/fd_crash.lua --seed 18446744073709551615 --trace "$TMP/d.jsonl"
head -1 "$TMP/d.jsonl" | grep -q '"seed":"18446744073709551615"'
ok $? "a full 64-bit seed is kept exactly"
# Trace to stdout: the trace alone on stdout, print() goes to stderr.
"$CLUSTERSIM" run scenarios/fd_crash.lua --trace - 2>/dev/null > "$TMP/e.jsonl"
head -1 "$TMP/e.jsonl" | grep -q '"type":"header"' && tail -1 "$TMP/e.jsonl" | grep -q '"type":"end"' &&
    ! grep -qv '^{' "$TMP/e.jsonl"
ok $? "--trace - writes only JSON lines to stdout"
# state level has no message records; messages level has them.
run scenarios/fd_crash.lua --trace "$TMP/f.jsonl"
! grep -q '"type":"send"' "$TMP/f.jsonl"
ok $? "state level: no send records"
run scenarios/fd_crash.lua --trace "$TMP/g.jsonl" --trace-level messages
grep -q '"type":"send".*"msg":"Heartbeat"' "$TMP/g.jsonl" && grep -q '"type":"drop".*"why":"crashed"' "$TMP/g.jsonl"
ok $? "messages level: sends, and drops with their reason"
done_testing
