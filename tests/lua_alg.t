#!/bin/sh
# Algorithms written in Lua (sim.algorithm): the shipped examples run as
# tests, the Lua heartbeat detector's trace equals the C fdetect's record
# for record, and every error a callback can make is named, exits 65 and
# leaves a complete trace.
. "$(dirname "$0")/lib.sh"
R="$CLUSTERSIM run"
L=tests/lua

# The examples, each with its default seed and parameters.
for s in scenarios/lua/*.lua; do
    expect_exit 0 "$s" -- $R "$s" --trace "$TMP/t.jsonl"
    tail -n 1 "$TMP/t.jsonl" | grep -q '"type":"end","status":"ok"'
    ok $? "$s: trace ends with status ok"
done

# fd_heartbeat.lua against the built-in detector: every record after the
# header (which names the algorithm) is the same, at the messages level.
for seed in 1 7 42; do
    $R scenarios/lua/fd_heartbeat.lua --seed $seed -P impl=lua --trace "$TMP/lua.jsonl" --trace-level messages 2>/dev/null
    $R scenarios/lua/fd_heartbeat.lua --seed $seed -P impl=c --trace "$TMP/c.jsonl" --trace-level messages 2>/dev/null
    tail -n +2 "$TMP/lua.jsonl" >"$TMP/a"; tail -n +2 "$TMP/c.jsonl" >"$TMP/b"
    cmp -s "$TMP/a" "$TMP/b"; ok $? "fd_heartbeat seed $seed: the Lua trace equals fdetect's record for record"
    [ "$(wc -l <"$TMP/a")" -gt 1000 ]; ok $? "fd_heartbeat seed $seed: and it is not trivially short"
done
$R scenarios/lua/fd_heartbeat.lua --seed 3 --trace "$TMP/x1.jsonl" --trace-level messages 2>/dev/null
$R scenarios/lua/fd_heartbeat.lua --seed 3 --trace "$TMP/x2.jsonl" --trace-level messages 2>/dev/null
cmp -s "$TMP/x1.jsonl" "$TMP/x2.jsonl"; ok $? "same seed, byte-identical trace"

# Two-phase commit: each lesson is asserted by the scenario itself.
for k in ok coord_crash vote_no participant_crash; do
    expect_exit 0 "two_phase_commit case=$k" -- $R scenarios/lua/two_phase_commit.lua -P case=$k
done

# Paxos in Lua under a nemesis (crashes, pauses, partitions): the correct
# one holds agreement on 200 seeds; the broken one (no adoption of accepted
# values, P2c) is caught, first at seed 2, and --shrink keeps fewer faults
# than were drawn: the one partition the failure needs.
expect_exit 0 "paxos_single: agreement on seeds 1..200" -- $CLUSTERSIM explore scenarios/lua/paxos_single.lua --seeds 1..200 --jobs 2
expect_exit 1 "broken_paxos: explore --shrink finds violations" -- \
    $CLUSTERSIM explore scenarios/lua/broken_paxos.lua --seeds 1..200 --jobs 2 --shrink
expect_out "^seed 2: exit 1: .*agreement: node 1 learned v5 but node 3 learned v3" "broken_paxos: the first failing seed is 2"
grep -m1 "^seed" "$TMP/out" | grep -q "^seed 2: "; ok $? "broken_paxos: and no seed before it fails"
expect_out "^shrinking seed 2: 2 nemesis faults drawn before the failure" "broken_paxos: seed 2 drew 2 faults"
expect_out "^  seed 2 still fails with 1 of 2 faults" "broken_paxos: --shrink keeps 1 of them"
expect_out "reproduce: .*clustersim run scenarios/lua/broken_paxos.lua --seed 2 --nemesis-only 0" \
    "broken_paxos: --shrink prints the reproduction with the fault kept"
if grep -q "nothing to shrink" "$TMP/out"; then ok 1 "broken_paxos: every failure needs a fault"; else
    ok 0 "broken_paxos: every failure needs a fault"; fi
expect_exit 1 "broken_paxos seed 2 reproduces" -- $R scenarios/lua/broken_paxos.lua --seed 2
expect_err "invariant violated at t=145.858 ms: agreement" "broken_paxos seed 2: the same violation"
expect_exit 1 "broken_paxos seed 2 with only the kept fault still fails" -- \
    $R scenarios/lua/broken_paxos.lua --seed 2 --nemesis-only 0 --trace "$TMP/s.jsonl"
[ "$(grep -c '"type":"nemesis".*"phase":"start"' "$TMP/s.jsonl")" -eq 1 ]; ok $? "broken_paxos shrunk: one fault applied"
expect_exit 0 "broken_paxos seed 2 without faults passes" -- $R scenarios/lua/broken_paxos.lua --seed 2 --nemesis-limit 0

# The G-counter converges after the partition heals, on many seeds.
expect_exit 0 "g_counter: convergence on seeds 1..100" -- $CLUSTERSIM explore scenarios/lua/g_counter.lua --seeds 1..100 --jobs 2
expect_exit 0 "g_counter seed 1" -- $R scenarios/lua/g_counter.lua
expect_out "^195 increments; .* after healing every node reports 195$" "g_counter: every node reports the sum of the increments"

# The node object's semantics (store, crash, timers, reply, note, inspect, leader).
expect_exit 0 "node object semantics" -- $R $L/alg_semantics.lua

# Errors: named callback, node and time, a traceback, exit 65, a complete trace.
err_case() {  # err_case FILE PATTERN NAME [extra args]
    f=$1; pat=$2; name=$3; shift 3
    expect_exit 65 "$name" -- $R $L/$f --trace "$TMP/e.jsonl" "$@"
    expect_err "$pat" "$name: the message"
    expect_err "stack traceback" "$name: a traceback"
    tail -n 1 "$TMP/e.jsonl" | grep -q '"type":"end","status":"error"'
    ok $? "$name: the trace ends with status error"
}
err_case alg_error.lua "script error: on_message of node 2 at t=1 ms: tests/lua/alg_error.lua:6: boom from 1" "an error in on_message"
for tt in "1203.4 1203.4" "0.005 0.005" "1000 1000" "12.34567 12.346" "0.0004 0"; do
    set -- $tt
    expect_exit 65 "an error at t=$1 ms" -- $R $L/alg_error_time.lua -- $1
    expect_err "script error: on_timer of node 1 at t=$2 ms: tests/lua/alg_error_time.lua:6: late" "it names t=$2 ms"
done
err_case alg_budget.lua "on_timer of node 1 at t=1 ms: tests/lua/alg_budget.lua:5: instruction budget exceeded" "a runaway on_timer" --lua-budget 100000
err_case alg_engine_call.lua "sim.partition: not available inside on_timer of node 1 at t=5 ms: node code sees only its own node" "sim.partition in node code"
err_case alg_crash_in_cb.lua "cluster:crash: not available inside on_timer of node 1" "c:crash in node code"
err_case alg_run_in_cb.lua "sim.run: not available inside start of node 1 at t=0 ms" "sim.run in start"
err_case alg_bad_msg.lua "node:send: msg.votes\[3\].f is a function" "a function in a message" -- function
err_case alg_bad_msg.lua "node:send: msg.votes\[3\].back contains itself \(a cycle\)" "a cycle in a message" -- cycle
err_case alg_bad_msg.lua "node:send: msg.votes\[3\]\[<table>\] has a table as a key" "a table key in a message" -- key
err_case alg_foreign_node.lua "node 1's object may only be used inside its own start" "a node object kept past its callback"
# A student's mistakes with sim.algorithm and the node object, each named.
misuse() {  # misuse ARG PATTERN
    expect_exit 65 "misuse $1" -- $R $L/alg_misuse.lua -- "$1"
    expect_err "$2" "misuse $1: the message"
}
misuse builtin "alg_misuse.lua:7: sim.algorithm: 'raft' is the name of a built-in algorithm; choose another"
misuse nostart "sim.algorithm: 'start' \(a function\) is required: it boots the node and arms its timers"
misuse notfn "sim.algorithm: 'on_message' must be a function \(got number\)"
misuse unknown "sim.algorithm: unknown option 'on_msg' \(known: name, start, on_message, on_timer, on_request, check, inspect, leader, summary\)"
misuse readonly "on_timer of node 1 at t=1 ms: .*node.role = ...: a node object is read-only; keep volatile state in node.state"
misuse field "node.term does not exist \(a node has id, n, config, state and methods send,"
misuse notype "node:send: the message needs a string 'type' field naming it \(got nil\)"
misuse nonode "node:send: no node 7 \(nodes are 1..2\)"
misuse reply "node:reply: the request has no integer 'id' \(pass the table on_request received\)"
expect_exit 1 "check returning false is a violation" -- $R $L/alg_check_fails.lua
expect_err "invariant violated at t=40.000 ms: at_most_three: node 1 counted to 4" "the violation names invariant and detail"
done_testing
