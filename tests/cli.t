#!/bin/sh
# Every error a user can trigger from the command line or a script: its exit
# code, and a message that names the problem.
. "$(dirname "$0")/lib.sh"
R="$CLUSTERSIM run"
L=tests/lua

expect_exit 65 "Lua syntax error" -- $R $L/syntax_error.lua
expect_err "syntax_error.lua:3:.*unexpected symbol" "syntax error names file:line"

expect_exit 65 "Lua run-time error in a scheduled action" -- $R $L/runtime_error.lua
expect_err "runtime_error.lua:2: attempt to index a nil value" "run-time error names file:line"
expect_err "stack traceback" "run-time error carries a traceback"
expect_err "runtime_error.lua:4: in main chunk" "traceback reaches the main chunk"

expect_exit 65 "runaway loop is stopped" -- $R $L/runaway.lua --lua-budget 1000000
expect_err "runaway.lua:2: instruction budget exceeded.*--lua-budget" "runaway loop: budget message with file:line"
expect_exit 65 "runaway loop inside a hook is stopped" -- $R $L/runaway_hook.lua --lua-budget 1000000
expect_err "runaway_hook.lua:2: instruction budget exceeded" "runaway hook: budget message"

expect_exit 65 "script memory cap" -- $R $L/memory_hog.lua --lua-memory 20
expect_err "memory limit \(20 MB\).*--lua-memory" "memory cap message"

expect_exit 65 "unknown algorithm" -- $R $L/unknown_algorithm.lua
expect_err "unknown algorithm 'rafft' \(known: .*fdetect" "unknown algorithm is named with the known ones"
expect_exit 65 "unknown algorithm option" -- $R $L/unknown_option.lua
expect_err "unknown option 'intervall' for algorithm 'fdetect' \(known options: interval," "unknown option named"
expect_exit 65 "bad option value" -- $R $L/bad_choice.lua
expect_err "option 'detector' = \"psi\" is not one of: fixed, phi" "bad choice named with the choices"
expect_exit 65 "unknown sim.cluster option" -- $R $L/unknown_cluster_option.lua
expect_err "sim.cluster: unknown option 'nodez' \(known: algorithm, nodes, config" "unknown cluster option named"
expect_exit 65 "unknown sim.network option" -- $R $L/unknown_network_option.lua
expect_err "sim.network: unknown option 'los' \(known: latency, loss" "unknown network option named"

expect_exit 65 "node number out of range" -- $R $L/bad_node.lua
expect_err "bad argument #1 to 'crash' \(node 7 does not exist \(nodes are 1..3\)\)" "bad node named"
expect_exit 65 "partition with a bad node" -- $R $L/bad_partition.lua
expect_err "bad argument #2 to 'partition'.*group entry 2" "bad partition entry named"
expect_exit 65 "partition with a bad argument" -- $R $L/bad_partition_arg.lua
expect_err "bad argument #2 to 'partition' \(table of node numbers expected, got string\)" "Lua-style argument error"
expect_exit 65 "crashing a crashed node" -- $R $L/double_crash.lua
expect_err "node 2 is already crashed" "double crash explained"
expect_exit 65 "scheduling in the past" -- $R $L/past_time.lua
expect_err "time 50.* ms is in the past" "past time explained"
expect_exit 65 "undefined global" -- $R $L/undefined_global.lua
expect_err "undefined global 'no_such_global'" "undefined global named"
expect_exit 65 "typo in a sim function" -- $R $L/sim_typo.lua
expect_err "sim.rnu does not exist" "sim typo named"

expect_exit 1 "sim.assert failure" -- $R $L/assert_fails.lua --seed 7
expect_err "assertion failed at t=100.000 ms: .*assert_fails.lua:3: the expected thing did not happen" "assertion message with file:line"
expect_err "reproduce: .*clustersim run tests/lua/assert_fails.lua --seed 7" "failure prints the reproduction command"

expect_exit 66 "missing scenario file" -- $R $L/no_such_file.lua
expect_err "cannot open scenario 'tests/lua/no_such_file.lua': No such file" "missing file named"
expect_exit 74 "unwritable trace path" -- $R scenarios/fd_crash.lua --trace /nonexistent/dir/t.jsonl
expect_err "cannot write trace '/nonexistent/dir/t.jsonl'" "unwritable trace named"
if [ -w /dev/full ]; then
    expect_exit 74 "trace write error (disk full)" -- $R scenarios/fd_crash.lua --trace /dev/full
    expect_err "error writing trace '/dev/full'" "write error named"
fi

expect_exit 64 "unknown flag" -- $R scenarios/fd_crash.lua --sed 4
expect_err "unknown option '--sed' \(did you mean '--seed'\?\)" "unknown flag named with a suggestion"
expect_exit 64 "bad seed" -- $R scenarios/fd_crash.lua --seed banana
expect_err "--seed takes a decimal number" "bad seed explained"
expect_exit 64 "bad trace level" -- $R scenarios/fd_crash.lua --trace-level everything
expect_err "unknown trace level 'everything'" "bad trace level named"
expect_exit 64 "unknown bug" -- $R scenarios/fd_crash.lua --bug raft.no_such_bug
expect_err "unknown bug 'raft.no_such_bug'" "unknown bug named"
expect_exit 64 "unknown command" -- "$CLUSTERSIM" rnu scenarios/fd_crash.lua
expect_err "unknown command 'rnu' \(did you mean 'run'\?\)" "unknown command named with a suggestion"
expect_exit 64 "run without a scenario" -- $R
expect_exit 64 "-P without =" -- $R $L/params.lua -P nodes
expect_err "-P takes name=value" "-P syntax explained"

# Parameters
expect_exit 0 "params: defaults" -- $R $L/params.lua
expect_out "nodes=3 detector=fixed verbose=false args=$" "params read as their defaults"
expect_exit 0 "params: overrides and script args" -- $R $L/params.lua -P nodes=5 -P detector=phi -P verbose=yes -- a b
expect_out "nodes=5 detector=phi verbose=true args=a,b" "overrides converted to the defaults' types; sim.args"
expect_exit 64 "params: unknown name" -- $R $L/params.lua -P nodse=5
expect_err "unknown parameter 'nodse' \(declared: detector, nodes, verbose\)" "unknown parameter named"
expect_exit 64 "params: bad number" -- $R $L/params.lua -P nodes=many
expect_err "-P nodes=many: a number expected" "bad parameter value named"
expect_exit 64 "params: whole number" -- $R $L/params.lua -P nodes=2.5
expect_exit 64 "params: bad boolean" -- $R $L/params.lua -P verbose=perhaps
expect_exit 64 "params on a script without params" -- $R scenarios/fd_partition.lua -P x=1
expect_err "unknown parameter 'x'" "parameter on a script without params"
expect_exit 0 "--help lists the parameters" -- $R $L/params.lua --help
expect_out "nodes +3 +cluster size" "--help shows name, default and description"
[ ! -s "$TMP/err" ] || grep -qv "events" "$TMP/err"
ok $? "--help does not run the simulation"

# Hooks, sorted iteration
expect_exit 0 "sim.on hooks and sim.sorted" -- $R $L/hooks.lua
expect_out "crash of	2	at	20" "a hook gets the record as a table, t in ms"
tr '\n' ' ' < "$TMP/out" | grep -q "a	1 b	2 c	3"
ok $? "sim.sorted iterates keys in order"

# Node handles, and records made before the cluster exists
expect_exit 0 "node handle methods" -- $R $L/node_handle.lua
expect_out "node\(2\)	false" "c:node(i):crash() and :state() work on the handle"
$R $L/preheader.lua --trace "$TMP/ph.jsonl" 2>/dev/null
head -1 "$TMP/ph.jsonl" | grep -q '"type":"header".*"algorithm":"fdetect","nodes":3' &&
    sed -n 2p "$TMP/ph.jsonl" | grep -q '"msg":"before the cluster"'
ok $? "a record made before sim.cluster follows a complete header"

$R $L/log_values.lua --trace "$TMP/lg.jsonl" 2>/dev/null
grep -q '"msg":"x <table> <function> cluster(fdetect, 2 nodes) 3 nil true' "$TMP/lg.jsonl"
ok $? "sim.log names tables and functions without their addresses (traces stay byte-identical)"

expect_exit 0 "a tour of the rest of the API (membership, every/after, distributions, nemesis kinds, client handles)" -- $R $L/api_tour.lua

# Regressions from the engine review: each of these once crashed, leaked,
# wrote a wrong trace or exited 0.
expect_exit 0 "many hooked records in one event" -- $R $L/many_hooked.lua
expect_out "corrupted msg field:	0" "hook records keep their strings when the queue grows"
expect_exit 1 "an assertion caught with pcall still fails the run" -- $R $L/pcall_assert.lua
expect_exit 0 "a refused sim.cluster can be retried" -- $R $L/retry_cluster.lua
expect_exit 65 "hooks that trigger each other are stopped" -- $R $L/hook_loop.lua
expect_err "hooks made more than 100000 records within one event" "hook loop explained"
$R $L/after_end.lua --trace "$TMP/ae.jsonl" >/dev/null 2>&1
tail -n 1 "$TMP/ae.jsonl" | grep -q '"type":"end"'
ok $? "nothing is written after the end record (a __gc finalizer calling sim.log)"
expect_exit 65 "a time beyond 1e12 ms" -- $R $L/huge_time.lua
expect_err "a time in ms from 0 to 1e12 expected" "huge time explained"
expect_exit 65 "a table as a submitted key" -- $R $L/submit_table.lua
expect_err "submit: 'key' must be a string or a number, got table" "table key refused (its address would reach the trace)"
expect_exit 1 "a 6000-byte assertion message" -- $R $L/long_assert.lua --trace "$TMP/la.jsonl"
tail -n 1 "$TMP/la.jsonl" | grep -q '"status":"assert"'
ok $? "a long message is cut in the trace, not an abort"

# Ctrl-C: the run stops at an event boundary and the trace still ends with
# an end record, marked interrupted (the run itself would never end).
$R $L/long_run.lua --trace "$TMP/int.jsonl" 2>"$TMP/err" & pid=$!
sleep 1; kill -INT $pid; wait $pid; code=$?
[ $code -eq 130 ]
ok $? "SIGINT: exit 130 (got $code)"
tail -n 1 "$TMP/int.jsonl" | grep -q '"type":"end","status":"interrupted"'
ok $? "SIGINT: the trace ends with an end record marked interrupted"
expect_err "interrupted at t=" "SIGINT: says where the run stopped"

# Other commands
expect_exit 0 "--version" -- "$CLUSTERSIM" --version
expect_out "clustersim [0-9]+\.[0-9]+\.[0-9]+" "version printed"
expect_exit 0 "help" -- "$CLUSTERSIM" help
expect_out "usage: clustersim" "usage printed"
expect_exit 0 "bugs" -- "$CLUSTERSIM" bugs
# clustersim options: each algorithm's options as configure() reads them
expect_exit 0 "options lists every algorithm's options" -- $CLUSTERSIM options
expect_out "^raft: sim.cluster" "options: a section per algorithm"
expect_out "^  election_timeout +range of ms +\{150, 300\}" "options: kind and default of a range"
expect_out "^  detector +string +fixed +fixed, phi" "options: a choice lists what it accepts"
expect_exit 0 "options for one algorithm" -- $CLUSTERSIM options fdetect
expect_exit 64 "options of an unknown algorithm" -- $CLUSTERSIM options rafft
expect_err "unknown algorithm 'rafft' \(did you mean 'raft'\?\)" "options: did you mean"

done_testing
