#!/bin/sh
# explore: many seeds in parallel workers; failing seeds with their
# reproduction command; --shrink reduces a nemesis schedule.
. "$(dirname "$0")/lib.sh"
E="$CLUSTERSIM explore"
expect_exit 0 "all seeds pass" -- $E scenarios/fd_crash.lua --seeds 1..12 --jobs 2
expect_out "12 seeds, 12 passed, 0 failed" "summary line"

expect_exit 1 "a scenario that fails for some seeds" -- $E tests/lua/nemesis_fail.lua --seeds 1..8 --jobs 2 --json "$TMP/x.json"
expect_out "seed [0-9]+: exit 1: .*node 2 must never crash" "failing seed with its message"
expect_out "reproduce: .*clustersim run tests/lua/nemesis_fail.lua --seed [0-9]+" "failing seed with its reproduction command"
grep -q '"failures":\[{"seed":"' "$TMP/x.json"
ok $? "--json lists the failures"

# The same seeds split into shards cover the range exactly once.
$E scenarios/fd_crash.lua --seeds 1..10 --shard 1/3 > "$TMP/s1" 2>&1
$E scenarios/fd_crash.lua --seeds 1..10 --shard 2/3 > "$TMP/s2" 2>&1
$E scenarios/fd_crash.lua --seeds 1..10 --shard 3/3 > "$TMP/s3" 2>&1
t=0; for f in s1 s2 s3; do c=$(sed -n 's/.*: \([0-9]*\) seeds,.*/\1/p' "$TMP/$f"); t=$((t + c)); done
[ "$t" -eq 10 ]
ok $? "shards 1/3, 2/3, 3/3 cover 10 seeds ($t)"

seed=$(sed -n 's/^seed \([0-9]*\): exit 1.*/\1/p' "$TMP/out" | head -1)
expect_exit 1 "shrink the first failing seed" -- $E tests/lua/nemesis_fail.lua --seeds $seed..$seed --shrink
expect_out "still fails with 1 of [0-9]+ faults" "shrunk to the one fault that matters"
line=$(grep -o "clustersim run tests/lua/nemesis_fail.lua.*--nemesis-only [0-9,]*" "$TMP/out" | head -1)
expect_exit 1 "the shrunk command reproduces the failure" -- "$CLUSTERSIM" ${line#clustersim }
"$CLUSTERSIM" run tests/lua/nemesis_fail.lua --seed $seed $(echo "$line" | sed "s/.*--nemesis-only/--nemesis-only/") --trace "$TMP/n.jsonl" 2>/dev/null
[ "$(grep -c '"type":"nemesis".*"phase":"start"' "$TMP/n.jsonl")" -eq 1 ]
ok $? "the shrunk run applies exactly one fault"

expect_exit 1 "shrink with --json" -- $E tests/lua/nemesis_fail.lua --seeds $seed..$seed --shrink --json "$TMP/s.json"
perl -MJSON::PP -e 'local $/; my $j = decode_json(<STDIN>); exit !(@{$j->{shrunk}} == 1 && $j->{shrunk}[0]{kept} == 1)' < "$TMP/s.json"
ok $? "--json with --shrink is one valid document naming the one fault kept"
# A fault the scenario applies itself (sim.fault) is the scenario's: never
# a shrink candidate, never written again as an explicit line.
sed 's/^sim.on("crash"/sim.at(1, function() sim.fault{kind = "clock", nodes = {3}, value = 0.5} end)\nsim.on("crash"/' tests/lua/nemesis_fail.lua > "$TMP/hand.lua"
expect_exit 1 "shrink a scenario with its own sim.fault line" -- "$CLUSTERSIM" shrink "$TMP/hand.lua" --seed $seed --shrink-out "$TMP"
[ "$(grep -c '^sim.at(' "$TMP/shrunk-hand-$seed.lua")" -eq 2 ] && ! grep -q "of the [0-9]* faults fail it" "$TMP/out" &&
    grep -q "written scenario fails with 1 of" "$TMP/out"
ok $? "the hand-applied fault is neither kept nor written twice (the scenario's own line and one sim.at)"

$E tests/lua/long_run.lua --seeds 1..6 --jobs 2 > "$TMP/out" 2>&1 & pid=$!
sleep 1; kill -INT $pid; wait $pid; code=$?
[ $code -eq 130 ] && grep -q "interrupted: 0 of 6 seeds ran to the end" "$TMP/out"
ok $? "SIGINT to explore stops its workers and reports no verdict (exit $code)"

# The extended nemesis: every kind runs aimed at the leader, safely, and shows in the trace.
K=tests/lua/nemesis_kinds.lua
for k in crash kill restart_fast pause partition isolate one_way clog hold loss duplicate reorder clock; do
    "$CLUSTERSIM" run $K -P kind=$k -P target=leader --trace "$TMP/k.jsonl" 2>"$TMP/err"
    c=$?
    [ $c -eq 0 ] && grep -q "\"fault\":\"$k\",\"phase\":\"start\"" "$TMP/k.jsonl"
    ok $? "nemesis kind $k runs and is traced (exit $c)"
done
"$CLUSTERSIM" run $K -P kind=partition --seed 3 --trace "$TMP/a.jsonl" 2>/dev/null
"$CLUSTERSIM" run $K -P kind=partition --seed 3 --trace "$TMP/b.jsonl" 2>/dev/null
cmp -s "$TMP/a.jsonl" "$TMP/b.jsonl"
ok $? "an extended schedule is deterministic"
grep -q '"phase":"partial"' "$TMP/a.jsonl"
ok $? "a partition can heal partially first"
# Skipping fault 0 leaves every later fault's draw alone: fault 1 starts at
# the same time, as the same kind, for the same duration.
"$CLUSTERSIM" run $K -P kind=pause --seed 3 --trace "$TMP/a.jsonl" 2>/dev/null
"$CLUSTERSIM" run $K -P kind=pause --seed 3 --nemesis-skip 0 --trace "$TMP/b.jsonl" 2>/dev/null
a=$(grep '"n":1,' "$TMP/a.jsonl" | grep -o '"t":[0-9]*.*"ms":[0-9.]*' | head -1 | sed 's/"node":[0-9]*,//')
b=$(grep '"n":1,' "$TMP/b.jsonl" | grep -o '"t":[0-9]*.*"ms":[0-9.]*' | head -1 | sed 's/"node":[0-9]*,//')
[ -n "$a" ] && [ "$a" = "$b" ]
ok $? "skipping a fault keeps the next one's time and duration ($a)"
"$CLUSTERSIM" run $K -P kind=crash -P target=majority -P max_down=2 --trace "$TMP/m.jsonl" 2>/dev/null
! grep -q '"fault":"crash","phase":"start","nodes":\[[0-9],[0-9],[0-9]' "$TMP/m.jsonl"
ok $? "max_down = 2 refuses a fault that would take three nodes down"
"$CLUSTERSIM" run scenarios/explore_raft.lua --seed 4 -P swarm=true --trace "$TMP/w.jsonl" 2>/dev/null
grep -q '"phase":"swarm","drawn":"[a-z_@,]* x[0-9.]*"' "$TMP/w.jsonl"
ok $? "a swarm nemesis records what it drew"
"$CLUSTERSIM" run scenarios/explore_raft.lua --seed 4 -P swarm=true 2> "$TMP/err" > /dev/null
expect_err "^clustersim: the swarm nemesis drew: [a-z_@,]+ x[0-9.]+$" "and the run's summary says it"
expect_exit 65 "an unknown target is a script error" -- "$CLUSTERSIM" run $K -P target=boss
expect_err "unknown target 'boss' \(known: any, leader, follower, minority, majority\)" "names the accepted targets"
expect_exit 65 "an unknown fault kind" -- "$CLUSTERSIM" run $K -P kind=explode
expect_err "unknown fault 'explode' \(known: crash, kill, restart_fast," "names the accepted kinds"

expect_exit 64 "--bug of another algorithm is refused" -- $E scenarios/explore_paxos.lua --seeds 1..3 --bug raft.no_persist_vote
expect_err "the scenario's algorithm paxos has no such bug; its bugs: paxos.ignore_accepted_value" "with that algorithm's bugs"

# Shrinking the two bugs a course spends most time on, over the first
# failing seeds a sweep finds (not hand-picked ones): the kept faults and
# operations printed in words, a standalone scenario with one sim.at line per
# kept fault and the kept operations as sim.client_only lists, which fails
# the same invariant on its own and passes without the bug. Each keeps at
# most 5 faults. The drawn faults of a raft.commit_previous_term failure
# do not shrink that far (Figure 8 needs leader changes in order, which a
# long chaotic history made), so its schedule is re-drawn; its shrinks
# take ~25 s each, so two here (docs/explore.md measures more).
for case in raft.no_persist_vote:5 raft.commit_previous_term:2; do
    bug=${case%%:*}; count=${case#*:}
    seeds=$($E scenarios/explore_raft.lua --seeds 1..500 --jobs 2 --no-check --bug $bug --json - 2>/dev/null |
            perl -MJSON::PP -e 'local $/; print join(" ", map { $_->{seed} } @{decode_json(<STDIN>)->{failures}})' |
            cut -d' ' -f1-$count)
    [ "$(echo $seeds | wc -w)" -eq "$count" ]
    ok $? "$bug: the sweep finds $count failing seeds ($seeds)"
    for seed in $seeds; do
        expect_exit 1 "shrink $bug seed $seed" -- "$CLUSTERSIM" shrink scenarios/explore_raft.lua --seed $seed --bug $bug --shrink-out "$TMP"
        kept=$(sed -n 's/.*the written scenario fails with \([0-9]*\) \(of\|re-drawn\).*/\1/p' "$TMP/out")
        [ -n "$kept" ] && [ "$kept" -le 5 ]
        ok $? "$bug seed $seed: the shrunk schedule keeps $kept <= 5 faults"
        if [ $bug = raft.commit_previous_term ]; then
            grep -Eq "^  re-drawn: a new schedule for seed $seed breaks leader_completeness with [0-9]+ faults, not [0-9]+ " "$TMP/out" &&
                grep -q "^-- scenarios/explore_raft.lua, seed $seed, shrunk by clustersim: $kept faults of a re-drawn schedule" "$TMP/shrunk-explore_raft-$seed.lua"
            ok $? "$bug seed $seed: the schedule was re-drawn, and the output and the written scenario say so"
        fi
        grep -Eq '^    t=[0-9.]+ ms (crash|cut|pause|isolate|hold|kill|step|slow|nothing|lose|duplicate|reorder)' "$TMP/out"
        ok $? "$bug seed $seed: the kept faults are printed in words"
        ops=$(sed -n 's/.* faults and \([0-9]*\) of \([0-9]*\) client operations.*/\1 \2/p' "$TMP/out")
        [ -n "$ops" ] && [ ${ops% *} -le ${ops#* } ] && [ "$(grep -Ec '^    t=[0-9.]+ ms client [0-9]+ (get|put|cas) k' "$TMP/out")" -eq ${ops% *} ]
        ok $? "$bug seed $seed: client operations removed, what is left printed in words ($ops)"
        f="$TMP/shrunk-explore_raft-$seed.lua"
        [ -f "$f" ] && [ "$(grep -c '^sim.at(' "$f")" -eq "$kept" ] && grep -q '^sim.client_only(1, {' "$f"
        ok $? "$bug seed $seed: the standalone scenario has one sim.at line per kept fault and the operations' lists"
        inv=$(grep -o 'invariant violated at t=[0-9.]* ms: [a-z_]*' "$TMP/out" | head -1 | sed 's/.*: //')
        expect_exit 1 "$bug seed $seed: the standalone scenario fails on its own" -- "$CLUSTERSIM" run "$f" --seed $seed --bug $bug
        expect_err "invariant violated .*: $inv:" "$bug seed $seed: with the same invariant ($inv)"
        expect_exit 0 "$bug seed $seed: and passes without the bug" -- "$CLUSTERSIM" run "$f" --seed $seed
    done
done
# sim.client_only: the listed operations are the ones sent, the others are
# drawn (so a left-out one does not change the next), none after the last.
printf 'sim.cluster{ algorithm = "raft", nodes = 3 }\nsim.client_only(2, {2, 4})\nsim.client_only(1, {})\nsim.clients{ count = 2, closed = true, think = 2, keys = 3, stop = 2000 }\nsim.run(3000)\n' > "$TMP/only.lua"
"$CLUSTERSIM" run "$TMP/only.lua" --trace "$TMP/only.jsonl" 2>/dev/null
[ "$(grep '"type":"invoke"' "$TMP/only.jsonl" | grep -o '"client":[0-9]*,"seq":[0-9]*' | tr '\n' ' ')" = '"client":2,"seq":2 "client":2,"seq":4 ' ]
ok $? "sim.client_only sends only the operations listed"
printf 'sim.client_only(1, {"x"})\n' > "$TMP/only1.lua"
expect_exit 65 "sim.client_only with a bad entry" -- "$CLUSTERSIM" run "$TMP/only1.lua"
expect_err "sim.client_only: entry 1 is x, not an operation number \(1, 2, ...\)" "names the bad entry"

expect_exit 1 "--stop-after 1" -- $E scenarios/explore_raft.lua --seeds 1..100 --bug raft.truncate_on_every_append --stop-after 1
expect_out "stopped after 1 failures" "says it stopped"
expect_exit 0 "coverage in the summary" -- $E scenarios/explore_raft.lua --seeds 1..20 --jobs 2
expect_out "^coverage: faults fired \(on a leader\): crash [0-9]+ \([0-9]+\)" "faults fired per kind, and on a leader"
expect_out "^metrics over 20 seeds \(mean p50 p99\): elections " "the algorithm's counters"
expect_out "^invariants evaluated \(in seeds\): .*election_safety [1-9][0-9]* \(20\);.*log_matching [1-9]" "which invariants the checker evaluated, how often, in how many seeds"
expect_exit 1 "--json - writes JSON alone to stdout" -- $E scenarios/explore_raft.lua --seeds 1..30 --bug raft.stale_leader_read --json -
perl -MJSON::PP -e 'local $/; my $j = decode_json(<STDIN>); my $f = $j->{failures}[0];
    exit !($f->{invariant} && defined $f->{t_ms} && $f->{bugs}[0] eq "raft.stale_leader_read"
           && $f->{reproduce} =~ /clustersim run scenarios\/explore_raft.lua --seed \d+ --bug raft.stale_leader_read$/
           && $j->{coverage}{faults}{crash}{fired} > 0 && $j->{coverage}{metrics}{elections}{n} == 30
           && $j->{coverage}{invariants}{election_safety}{seeds} == 30
           && $j->{coverage}{invariants}{state_machine_safety}{evaluated} > 30)' < "$TMP/out"
ok $? "each failure carries invariant, time, bugs and the reproduce command; coverage summed"
grep -q "^explore scenarios/explore_raft.lua: 30 seeds" "$TMP/err"
ok $? "with --json -, the report goes to stderr"
for sub in run explore shrink check plot export bench bugs options; do
    "$CLUSTERSIM" $sub --help > "$TMP/h" 2>&1
    c=$?
    [ $c -eq 0 ] && grep -qi "usage" "$TMP/h"
    ok $? "$sub --help prints its usage (exit $c)"
done
expect_exit 0 "a register that keeps a copy per node breaks no invariant" -- $E tests/lua/local_register.lua --seeds 1..4 --no-check
expect_exit 1 "explore --check finds its history is not linearizable" -- $E tests/lua/local_register.lua --seeds 1..4 --check
expect_out "^seed 1: exit 1: key k[0-9]: NOT linearizable" "the checker's verdict is the failure's message"
expect_out "then: .*clustersim check TRACE" "and the way to check it again"
expect_exit 0 "--check on Raft passes" -- $E scenarios/explore_raft.lua --seeds 1..20 --jobs 2 --check
expect_exit 0 "a kv workload is checked by default" -- $E scenarios/explore_raft.lua --seeds 1..5
expect_out "^explore scenarios/explore_raft.lua: --check: every passing seed's history checked" "says so"
expect_exit 0 "--no-check turns it off" -- $E scenarios/explore_raft.lua --seeds 1..5 --no-check
! grep -q -- "--check:" "$TMP/out"
ok $? "and then no check line"
expect_exit 0 "a load-balancer workload is not a history the checker models" -- $E scenarios/lb_failure.lua --seeds 1..2
! grep -q -- "--check:" "$TMP/out"
ok $? "so explore does not check it"
expect_exit 0 "read-heavy open-loop ReadIndex clients: correct Raft stays clean" -- $E scenarios/explore_raft.lua --seeds 1..150 --jobs 2 -P reads=heavy
expect_out "^invariants evaluated \(in seeds\): .*stale_read [1-9]" "and its reads are checked for staleness"
expect_out "^metrics over 150 seeds \(mean p50 p99\): .*read_index_reads [1-9]" "served by ReadIndex"
expect_exit 1 "the read-heavy variant finds raft.stale_leader_read" -- $E scenarios/explore_raft.lua --seeds 1..30 --jobs 2 -P reads=heavy --bug raft.stale_leader_read
expect_exit 0 "read-heavy Paxos stays clean" -- $E scenarios/explore_paxos.lua --seeds 1..100 --jobs 2 -P reads=heavy
expect_exit 65 "-P reads=hevy is refused" -- "$CLUSTERSIM" run scenarios/explore_raft.lua -P reads=hevy
expect_err "reads = 'hevy': accepted are mixed, heavy" "naming the bad word and the accepted ones"
expect_exit 1 "the default check finds a non-linearizable history" -- $E tests/lua/local_register.lua --seeds 1..4
expect_out "^seed 1: exit 1: key k[0-9]: NOT linearizable" "with the checker's verdict"
# The worker's check reads no file: the engine hands it the run's records
# as it makes them. Its verdicts are those of the check on a trace file:
# the one a worker checks when --trace-dir keeps it, and `clustersim check`
# on the trace `run` writes.
for args in "tests/lua/local_register.lua --seeds 1..8" \
            "scenarios/explore_raft.lua --seeds 1..12 -P reads=heavy --bug raft.stale_leader_read --check-every 100000000"; do
    rm -rf "$TMP/td"
    $E $args --jobs 2 2>&1 | grep '^seed' > "$TMP/v.mem"
    $E $args --jobs 2 --trace-dir "$TMP/td" 2>&1 | grep '^seed' > "$TMP/v.file"
    [ "$(grep -c 'NOT linearizable' "$TMP/v.mem")" -gt 0 ] && cmp -s "$TMP/v.mem" "$TMP/v.file"
    ok $? "the check on the run's records gives the verdicts of the check on its trace file (${args%% *})"
done
"$CLUSTERSIM" run tests/lua/local_register.lua --seed 1 --trace "$TMP/lr1.jsonl" > /dev/null 2>&1
"$CLUSTERSIM" check "$TMP/lr1.jsonl" | grep 'NOT linearizable' > "$TMP/v.check"
$E tests/lua/local_register.lua --seeds 1..1 2>&1 | sed -n 's/^seed 1: exit 1: //p' > "$TMP/v.seed1"
[ -s "$TMP/v.check" ] && cmp -s "$TMP/v.check" "$TMP/v.seed1"
ok $? "and seed 1's verdict is clustersim check's on that seed's trace"
expect_exit 0 "a -P grid" -- $E scenarios/explore_raft.lua --seeds 1..10 --jobs 2 -P nodes=3,5 -P max_batch=1,64 --json "$TMP/g.json"
expect_out "^grid over 4 combinations, seeds 1..10:" "the grid's table"
expect_out "^  nodes=5 max_batch=64 +10 +10 +0$" "pass/fail per combination"
expect_out "^    nodes=3 max_batch=1 +[0-9.]+ +[0-9.]+ +[0-9.]+$" "metrics per combination"
perl -MJSON::PP -e 'local $/; my $j = decode_json(<STDIN>); exit !(@{$j->{grid}} == 4 && $j->{grid}[3]{runs} == 10)' < "$TMP/g.json"
ok $? "--json holds one document per combination"
expect_exit 0 "compare-and-swap semantics end to end (the mutation test's kv check)" -- "$CLUSTERSIM" run tests/lua/kv_cas.lua
expect_exit 64 "shrink without --seed" -- "$CLUSTERSIM" shrink scenarios/explore_raft.lua

expect_exit 64 "explore without --seeds" -- $E scenarios/fd_crash.lua
expect_exit 64 "bad --seeds" -- $E scenarios/fd_crash.lua --seeds 5..1
expect_exit 66 "explore a missing scenario" -- $E nowhere.lua --seeds 1..2
done_testing
