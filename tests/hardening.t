#!/bin/sh
# Regression tests for the hardening issue: hostile scripts, command lines
# and output destinations. Each names the item it covers; under `make
# check-asan` a memory error or a leak turns the expected exit code into
# an abort, so the exit checks double as sanitizer checks.
. "$(dirname "$0")/lib.sh"
R="$CLUSTERSIM run"
L=tests/lua

# 1: re-entrancy through metamethods: arguments are read raw, and a sim call
# made while another is running is refused
expect_exit 0 "1: a partition group's __index/__len cannot add nodes" -- $R $L/reent_partition.lua
expect_exit 0 "1: option, config and params metamethods do not run" -- $R $L/reent_options.lua
expect_exit 65 "1: a __tostring that calls the engine from sim.log" -- $R $L/reent_tostring.lua
expect_err "reent_tostring.lua:3: cluster:crash: called while sim.log is still running" "1: the refusal names both calls"
expect_exit 0 "1: handle metatables are locked" -- $R $L/metatable_locked.lua
expect_exit 65 "1: __gc finalisers are refused" -- $R $L/gc_finaliser.lua
expect_err "__gc finalisers are not available" "1: the refusal says why"

# 2: the node cap holds for add_node
expect_exit 65 "2: add_node past 100000 nodes" -- $R $L/add_node_cap.lua
expect_err "add_node: the cluster has 100000 nodes, the most a run may have" "2: the cap is named"

# 3: client clock steps are bounded like node steps
expect_exit 65 "3: a client clock stepped past 1e12 ms" -- $R $L/client_clock_step.lua
expect_err "would put client 1's clock 2000000000000.0 ms off true time" "3: the message gives the offset"

# 5: no leak on error paths (LeakSanitizer under check-asan)
expect_exit 65 "5: a bad config option after others were read" -- $R $L/config_leak.lua
expect_exit 64 "5: a bad -P value after others were converted" -- $R scenarios/raft_flaky.lua -P nodes=3 -P loss=x

# 6: --trace naming the scenario
cp scenarios/fd_crash.lua "$TMP/victim.lua"
expect_exit 64 "6: --trace the scenario itself is refused" -- $R "$TMP/victim.lua" --trace "$TMP/victim.lua"
expect_err "output '.*victim.lua' is the input" "6: the refusal names the file"
cmp -s scenarios/fd_crash.lua "$TMP/victim.lua"; ok $? "6: the scenario is untouched"
ln -s victim.lua "$TMP/alias.lua"
expect_exit 64 "6: and through a symlink" -- $R "$TMP/victim.lua" --trace "$TMP/alias.lua"
expect_exit 64 "7: explore --json naming the scenario" -- $CLUSTERSIM explore "$TMP/victim.lua" --seeds 1..2 --json "$TMP/victim.lua"
cmp -s scenarios/fd_crash.lua "$TMP/victim.lua"; ok $? "7: the scenario is untouched"

# 8: pcall and xpcall cannot swallow the budget or Ctrl-C
expect_exit 65 "8: pcall around a runaway loop" -- $R $L/pcall_budget.lua --lua-budget 100000
expect_err "pcall_budget.lua:2: instruction budget exceeded" "8: the budget error names the loop"
expect_exit 65 "8: xpcall whose handler never returns" -- $R $L/xpcall_budget.lua --lua-budget 100000
expect_exit 1 "8: a failed sim.assert caught by pcall still fails" -- $R $L/pcall_assert.lua
interrupt_test() {   # NAME SCRIPT: two SIGINTs, then a complete trace marked interrupted
    $R "$L/$2" --trace "$TMP/int.jsonl" --lua-budget 1000000000000 >"$TMP/out" 2>"$TMP/err" &
    pid=$!
    sleep 1; kill -INT $pid; kill -INT $pid
    wait $pid; rc=$?
    [ $rc -eq 130 ]; ok $? "8: $1: exit 130 after two SIGINTs (got $rc)"
    tail -n 1 "$TMP/int.jsonl" | grep -q '"type":"end","status":"interrupted"'
    ok $? "8: $1: the trace is complete and marked interrupted"
}
interrupt_test "sim.run inside pcall" pcall_forever.lua
interrupt_test "a Lua loop inside pcall" lua_forever.lua

# 9: single C calls are bounded by the budget
expect_exit 65 "9: a backtracking string.find" -- $R $L/pattern_bomb.lua
expect_err "pattern_bomb.lua:4: instruction budget exceeded" "9: the budget names the line"
expect_exit 65 "9: table.move over 2^62 slots" -- $R $L/long_c_calls.lua
expect_err "long_c_calls.lua:3: instruction budget exceeded" "9: named by the script line, through pcall"
expect_out "^0$" "9: string.rep of nothing returns at once"
if command -v lua5.4 >/dev/null; then
    lua5.4 $L/strlib_diff.lua >"$TMP/ref" 2>&1
    $R $L/strlib_diff.lua >"$TMP/ours" 2>/dev/null
    cmp -s "$TMP/ref" "$TMP/ours"; ok $? "9: the bounded pattern functions agree with Lua 5.4 on $(wc -l <"$TMP/ref") results"
    [ $? -eq 0 ] || diff "$TMP/ref" "$TMP/ours" | head -10 | sed 's/^/#   /'
else
    n=$((n + 1)); echo "ok $n # SKIP lua5.4 not installed (apt-get install lua5.4)"
fi

# 10: sim.run only from the main chunk
expect_exit 65 "10: sim.run inside sim.at" -- $R $L/run_in_action.lua
expect_err "sim.run may only be called from the scenario's main chunk, not from a sim.at" "10: names where"
expect_exit 65 "10: sim.run inside a run_until predicate" -- $R $L/run_in_predicate.lua
expect_err "not from a sim.run_until predicate" "10: names the predicate"
expect_exit 65 "10: sim.run_until inside a hook" -- $R $L/run_in_hook.lua
expect_err "sim.run_until may only be called from the scenario's main chunk, not from a sim.on hook" "10: names the hook"

# 11: every failed write of a result is exit 74
expect_exit 74 "11: explore --json into a missing directory" -- $CLUSTERSIM explore scenarios/fd_crash.lua --seeds 1..2 --json /nonexistent/x.json
if [ -w /dev/full ]; then
    expect_exit 74 "11: explore > /dev/full" -- sh -c "$CLUSTERSIM explore scenarios/fd_crash.lua --seeds 1..2 >/dev/full"
else
    n=$((n + 1)); echo "ok $n # SKIP no /dev/full"
fi

expect_exit 0 "11: explore --help" -- $CLUSTERSIM explore --help
expect_out "usage: clustersim explore SCENARIO.lua --seeds A..B" "11: prints explore's usage"

# 12: seed ranges run exactly
expect_exit 0 "12: the top of the 64-bit range" -- $CLUSTERSIM explore scenarios/fd_crash.lua --seeds 18446744073709551612..18446744073709551615
expect_out "explore scenarios/fd_crash.lua: 4 seeds" "12: four seeds, no wrap"
expect_exit 0 "12: a billion seeds in 1e8 shards" -- $CLUSTERSIM explore scenarios/fd_crash.lua --seeds 1..1000000000 --shard 100000000/100000000
expect_out ": 10 seeds" "12: the shard holds exactly 10 seeds"
$CLUSTERSIM explore scenarios/fd_crash.lua --seeds 0..18446744073709551615 >"$TMP/out" 2>"$TMP/err" &
pid=$!; sleep 1; kill -INT $pid; wait $pid; rc=$?
[ $rc -eq 130 ]; ok $? "12: the whole range runs until Ctrl-C (exit $rc)"
expect_out "of 18446744073709551616 seeds ran" "12: and counts 2^64 seeds"

# 14: one verdict for the three tools on operations that do not pair up
{
    echo '{"type":"header","schema":1,"nodes":3}'
    echo '{"t":1,"type":"invoke","client":1,"seq":1,"op":"put","key":"k","value":"1"}'
    echo '{"t":5,"type":"complete","client":1,"seq":1,"op":"put","status":"ok"}'
    echo '{"t":6,"type":"complete","client":1,"seq":1,"op":"put","status":"ok"}'
    echo '{"type":"end","status":"ok","t":10}'
} >"$TMP/dup.jsonl"
expect_exit 1 "14: check rejects a second complete" -- $CLUSTERSIM check "$TMP/dup.jsonl"
for to in chrome history; do
    expect_exit 65 "14: export --to $to rejects it too" -- $CLUSTERSIM export "$TMP/dup.jsonl" --to $to -o "$TMP/x.out"
    expect_err "dup.jsonl:4: a second complete of client 1 seq 1" "14: export --to $to names the line"
done
expect_exit 65 "14: plot --kind latency rejects it too" -- $CLUSTERSIM plot "$TMP/dup.jsonl" --kind latency -o "$TMP/x.png"
expect_err "a second complete of client 1 seq 1" "14: plot names it"

# 15: a trace reader that goes away stops the run
$R $L/trace_flood.lua --trace - --trace-level messages 2>"$TMP/err" | head -c 100000 >/dev/null
grep -q "could not be written" "$TMP/err"; ok $? "15: a closed pipe stops the run (74)"
events=$(sed -n 's/.* \([0-9]*\) events.*/\1/p' "$TMP/err")
[ "${events:-999999999}" -lt 1000000 ]; ok $? "15: at the first failed write, not at the end ($events events)"
if [ -w /dev/full ]; then
    expect_exit 74 "15: a short run into a full disk fails at the last flush" -- $R scenarios/fd_crash.lua --trace /dev/full
    expect_err "seed 1: error at t=" "15: and its summary does not say ok"
else
    n=$((n + 1)); echo "ok $n # SKIP no /dev/full"; n=$((n + 1)); echo "ok $n # SKIP no /dev/full"
fi
mkfifo "$TMP/fifo"
$R scenarios/fd_crash.lua --trace "$TMP/fifo" >"$TMP/out" 2>"$TMP/err" &
pid=$!; sleep 1; kill -INT $pid; wait $pid; rc=$?
[ $rc -eq 130 ]; ok $? "15: Ctrl-C while a FIFO waits for its reader: 130 (got $rc)"

# 16, 17: command-line numbers and counts
expect_exit 0 "16: --seed 010 is decimal ten, not octal eight" -- $R scenarios/fd_crash.lua --seed 010 --trace "$TMP/s.jsonl"
head -n 1 "$TMP/s.jsonl" | grep -q '"seed":"10"'; ok $? "16: the header says seed 10"
for s in " -5" "0x10" "+5" "1e3" "18446744073709551616"; do
    expect_exit 64 "16: --seed '$s' is refused" -- $R scenarios/fd_crash.lua --seed "$s"
done
for sh in -1/-1 1/4294967297 0/4 5/4 1/; do
    expect_exit 64 "16: --shard $sh is refused" -- $CLUSTERSIM explore scenarios/fd_crash.lua --seeds 1..2 --shard $sh
done
set --
i=0; while [ $i -lt 65 ]; do set -- "$@" -P "p$i=1"; i=$((i + 1)); done
expect_exit 64 "17: a 65th -P is an error, not dropped" -- $R scenarios/fd_crash.lua "$@"
expect_err "too many -P options \(at most 64\)" "17: says the limit"
set --
i=0; while [ $i -lt 33 ]; do set -- "$@" --bug raft.vote_no_log_check; i=$((i + 1)); done
expect_exit 64 "17: a 33rd --bug is an error" -- $R scenarios/fd_crash.lua "$@"

# 18: messages name the number given
expect_exit 0 "18: numbers" -- $R $L/numbers.lua
expect_out "node 4294967297 does not exist \(nodes are 1..3\)" "18: 2^32 + 1 is not node 1"
expect_out "node 9007199254740992 does not exist" "18: 2^53 is not node 0"
expect_out "client 100001 is out of range \(clients are 1..100000\)" "18: client range"
expect_exit 65 "18: a huge range" -- $R $L/range_huge.lua
expect_err "1e\+300, 1e\+300\}: the maximum is above 1e12 ms" "18: says which bound"
expect_exit 0 "18: -P n=1e1 is the whole number 10" -- $R $L/params_int.lua -P n=1e1
expect_out "^n	10$" "18: converted to an integer"
expect_exit 64 "18: -P n=1.5 is not" -- $R $L/params_int.lua -P n=1.5
expect_err "1.5 has a fraction" "18: says what is wrong"

# 19: invalid UTF-8 never reaches the trace raw
expect_exit 0 "19: sim.log of bad bytes" -- $R $L/bad_utf8.lua --trace "$TMP/u.jsonl"
perl -MJSON::PP -ne 'JSON::PP->new->utf8->decode($_)' "$TMP/u.jsonl"; ok $? "19: every line is valid UTF-8 JSON"
grep -q 'bad \\ufffd\\ufffd bytes, cut \\ufffd\\ufffd, good é €' "$TMP/u.jsonl"; ok $? "19: bad bytes become \\ufffd, good ones stay"
bad=$(printf 'sc\377n.lua')
cp scenarios/fd_crash.lua "$TMP/$bad"
expect_exit 0 "19: a scenario path with a raw 0xff" -- $R "$TMP/$bad" --trace "$TMP/p.jsonl"
perl -MJSON::PP -ne 'JSON::PP->new->utf8->decode($_)' "$TMP/p.jsonl"; ok $? "19: its header is valid JSON"

# 20: load errors say "script error" and name the file
printf '\033Lua\124\000' >"$TMP/bin.lua"
expect_exit 65 "20: a binary chunk" -- $R "$TMP/bin.lua"
expect_err "script error: .*bin.lua: a precompiled \(binary\) chunk" "20: named and prefixed"
expect_exit 65 "20: a syntax error" -- $R $L/syntax_error.lua
expect_err "^clustersim: script error: tests/lua/syntax_error.lua:3:" "20: prefixed"

# 23: node handles in partition groups
expect_exit 0 "23: sim.partition takes node handles" -- $R $L/partition_handles.lua --trace "$TMP/h.jsonl"
grep -q '"groups":\[\[1\],\[2,3\]\]' "$TMP/h.jsonl"; ok $? "23: the groups are the handles' nodes"

# 31: --check-every N does not keep N events of observations
expect_exit 0 "31: Raft with --check-every 1e9" -- $R $L/check_every_memory.lua --check-every 1000000000
expect_out "checks	[1-9][0-9]*	events" "31: the observation queue forced checks"

done_testing
