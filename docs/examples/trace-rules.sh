#!/bin/sh
# The structural rules of a trace (docs/trace.md, "Reading a trace"), broken
# one at a time in small hand-made traces: what `check` reports (exit 1) and
# the exit status of `export --to history` and `plot --kind latency` on
# each. Run from the top of the source tree; it writes to out/rules/.
C=./clustersim
mkdir -p out/rules
H='{"type":"header","schema":1,"tool":"clustersim","version":"0.1.0","time_unit":"us","scenario":"hand.lua","seed":"1","params":{},"algorithm":"raft","nodes":3,"trace_level":"state"}'
E='{"type":"end","status":"ok","t":30,"events":3,"messages":{"sent":0,"delivered":0,"dropped":0},"violations":0}'
I='{"t":10,"type":"invoke","client":1,"seq":1,"op":"get","key":"k"}'
D='{"t":20,"type":"complete","client":1,"seq":1,"op":"get","key":"k","status":"ok","value":null,"attempts":1,"latency_ms":0.01}'
mk() { name=$1; shift; printf '%s\n' "$@" > out/rules/$name.jsonl; }
mk schema "$(echo "$H" | sed 's/"schema":1/"schema":99/')" "$E"
mk no-header '{"t":0,"type":"role","node":1,"role":"follower","term":0}' "$E"
mk two-headers "$H" "$H" "$E"
mk after-end "$H" "$E" '{"t":40,"type":"log","msg":"late"}'
mk no-type "$H" '{"t":10,"node":1}' "$E"
mk fraction "$H" '{"t":10.7,"type":"crash","node":1}' "$E"
mk negative "$H" '{"t":-1,"type":"crash","node":1}' "$E"
mk backwards "$H" '{"t":20,"type":"crash","node":1}' '{"t":10,"type":"restart","node":1}' "$E"
mk no-invoke "$H" "$D" "$E"
mk two-completes "$H" "$I" "$D" "$D" "$E"
mk two-invokes "$H" "$I" "$I" "$D" "$E"
for r in schema no-header two-headers after-end no-type fraction negative backwards no-invoke two-completes two-invokes; do
    f=out/rules/$r.jsonl
    echo "\$ ./clustersim check $f"
    $C check $f >out/rules/stdout 2>&1
    s=$?
    grep -E '^(error|FAILED)' out/rules/stdout | head -1
    $C export $f --to history -o out/rules/h.jsonl 2>/dev/null
    e=$?
    $C plot $f --kind latency -o out/rules/x.png >/dev/null 2>&1
    echo "check: exit $s; export: exit $e; plot: exit $?"
done
