#!/bin/sh
# Paxos scenarios and seeded bugs: each scenario passes with its defaults (and
# the listed variants), each seeded bug is caught by the invariant it breaks
# (exit 1), bad options are refused naming the option, and correct runs give
# linearizable client histories.
#
# `clustersim explore scenarios/paxos_flaky.lua --bug NAME --seeds 1..500
# --jobs 2` finds every bug at the first seed (seed 1 fails for all four);
# without a bug seeds 1..1000 all pass.
. "$(dirname "$0")/lib.sh"

run() {   # run WANT[:INVARIANT] NAME ARGS...
    want=${1%%:*}; inv=; case $1 in *:*) inv=${1#*:};; esac; name=$2; shift 2
    expect_exit "$want" "$name" -- "$CLUSTERSIM" run "$@"
    if [ -n "$inv" ]; then
        grep -q "invariant violated at .*: $inv:" "$TMP/err"
        ok $? "$name: caught by $inv"
    fi
}

run 0 "single decree: one value chosen and learned by all" scenarios/paxos_basic.lua
run 0 "single decree, five acceptors" scenarios/paxos_basic.lua -P nodes=5
run 0 "duel without back-off: ballots climb, nothing chosen" scenarios/paxos_duel.lua
run 0 "duel with back-off: chosen within a few rounds" scenarios/paxos_duel.lua -P backoff=true
for seed in 2 3 4 5; do
    run 0 "duel with back-off, seed $seed" scenarios/paxos_duel.lua -P backoff=true --seed $seed
done
run 0 "leader change mid-stream" scenarios/paxos_leader_change.lua
run 0 "partition" scenarios/paxos_partition.lua
run 0 "flaky" scenarios/paxos_flaky.lua
run 0 "flaky, 3 nodes" scenarios/paxos_flaky.lua -P nodes=3
run 0 "compare: paxos" scenarios/compare_raft_paxos.lua -P algorithm=paxos
run 0 "compare: raft" scenarios/compare_raft_paxos.lua -P algorithm=raft

# Seeded bugs: the invariant each breaks, in its scenario and in paxos_flaky.
run 1:agreement "bug ignore_accepted_value: leader change" scenarios/paxos_leader_change.lua --bug paxos.ignore_accepted_value
run 1:agreement "bug ignore_accepted_value: flaky seed 1" scenarios/paxos_flaky.lua --seed 1 --bug paxos.ignore_accepted_value
run 1:accept_below_promise "bug accept_lower_ballot: flaky seed 1" scenarios/paxos_flaky.lua --seed 1 --bug paxos.accept_lower_ballot
run 1:accept_below_promise "bug accept_lower_ballot: flaky seed 2" scenarios/paxos_flaky.lua --seed 2 --bug paxos.accept_lower_ballot
run 1:promise_monotonic "bug no_persist_promise: leader change (the old leader restarts)" scenarios/paxos_leader_change.lua --bug paxos.no_persist_promise
run 1:promise_monotonic "bug no_persist_promise: flaky seed 1" scenarios/paxos_flaky.lua --seed 1 --bug paxos.no_persist_promise
run 1:learn_only_chosen "bug learn_without_quorum: single decree, 5 acceptors" scenarios/paxos_basic.lua -P nodes=5 --bug paxos.learn_without_quorum
run 1:learn_only_chosen "bug learn_without_quorum: flaky seed 1" scenarios/paxos_flaky.lua --seed 1 --bug paxos.learn_without_quorum

# Linearizable client histories on correct runs.
for s in paxos_flaky paxos_leader_change paxos_partition; do
    "$CLUSTERSIM" run scenarios/$s.lua --trace "$TMP/$s.jsonl" >/dev/null 2>&1
    expect_exit 0 "$s: clustersim check (linearizable)" -- "$CLUSTERSIM" check "$TMP/$s.jsonl"
done

# Options: refused with the option's name and what is accepted.
opt() {   # opt 'CONFIG' PATTERN
    printf 'sim.cluster{ algorithm = "paxos", nodes = 3, config = { %s } }\n' "$1" > "$TMP/opt.lua"
    expect_exit 65 "config { $1 } refused" -- "$CLUSTERSIM" run "$TMP/opt.lua"
    expect_err "$2" "config { $1 }: the message names it"
}
opt 'mode = "quorum"' "option 'mode' = \"quorum\" is not one of: multi, single"
opt 'backoff = 3' "option 'backoff' must be a boolean"
opt 'heartbeat = 0' "option 'heartbeat' = 0 is out of range"
opt 'max_batch = 0' "option 'max_batch' = 0 is out of range \[1, 100000\]"
opt 'election_timeout = {300, 100}' "option 'election_timeout' = \{300, 100\}: the maximum is below the minimum"
opt 'election_timeout = 0' "option 'election_timeout' must be positive"
opt 'bogus = 1' "unknown option 'bogus' for algorithm 'paxos' \(known options: mode, election_timeout, heartbeat, backoff, max_batch, machine\)"
opt 'machine = "lockz"' "option 'machine' = \"lockz\" is not one of: kv"
opt 'mode = "single", machine = "kv", bogus2 = 1' "unknown option 'bogus2'"
printf 'sim.cluster{ algorithm = "paxos", nodes = 65 }\n' > "$TMP/opt.lua"
expect_exit 65 "65 nodes refused" -- "$CLUSTERSIM" run "$TMP/opt.lua"
expect_err "paxos supports at most 64 nodes \(got 65\)" "the message says the limit"

# The bugs are listed with their lessons.
"$CLUSTERSIM" bugs >"$TMP/out" 2>&1
for b in ignore_accepted_value accept_lower_ballot no_persist_promise learn_without_quorum; do
    grep -q "^paxos.$b " "$TMP/out"
    ok $? "bugs lists paxos.$b"
done
done_testing
