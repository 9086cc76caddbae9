#!/bin/sh
# Every scenario in scenarios/ is a test: it runs with its fixed default seed
# and parameters, asserts its own expectations, and must exit 0 with a
# complete trace (an end record with status ok).
. "$(dirname "$0")/lib.sh"
for s in scenarios/*.lua; do
    expect_exit 0 "$s" -- "$CLUSTERSIM" run "$s" --trace "$TMP/t.jsonl"
    tail -n 1 "$TMP/t.jsonl" | grep -q '"type":"end","status":"ok"'
    ok $? "$s: trace ends with status ok"
done
done_testing
