#!/bin/sh
# Raft scenarios and seeded bugs: each scenario passes with its defaults (and
# the listed variants), and each seeded bug is caught in its scenario (exit 1).
CLUSTERSIM=${CLUSTERSIM:-./clustersim}
cd "$(dirname "$0")/.." || exit 1
n=0
fails=0
check() {   # expected-exit[:invariant] description args...
    want=${1%%:*}; inv=; case $1 in *:*) inv=${1#*:};; esac; shift; desc=$1; shift
    n=$((n + 1))
    out=$("$CLUSTERSIM" run "$@" 2>&1 >/dev/null); got=$?
    # A seeded bug must be caught by the invariant it breaks, not by another.
    if [ -n "$inv" ] && ! echo "$out" | grep -q "invariant violated at .*: $inv:"; then
        echo "not ok $n - $desc (not caught by $inv)"
        echo "$out" | sed 's/^/# /' | tail -5
        fails=$((fails + 1))
    elif [ "$got" -eq "$want" ]; then
        echo "ok $n - $desc"
    else
        echo "not ok $n - $desc (exit $got, want $want)"
        echo "$out" | sed 's/^/# /' | tail -5
        fails=$((fails + 1))
    fi
}
echo "1..35"
check 0 "election"                 scenarios/raft_election.lua
check 0 "partition, CheckQuorum"   scenarios/raft_partition.lua
check 0 "partition, no CheckQuorum" scenarios/raft_partition.lua -P check_quorum=false
check 0 "figure 8 (d)"             scenarios/raft_figure8.lua
check 0 "figure 8 (e)"             scenarios/raft_figure8.lua -P ending=e
check 0 "prevote"                  scenarios/raft_prevote.lua
check 0 "no prevote: disruption"   scenarios/raft_prevote.lua -P prevote=false
check 0 "clock drift"              scenarios/raft_clock_drift.lua
check 0 "clock drift, prevote"     scenarios/raft_clock_drift.lua -P prevote=true
check 0 "flaky"                    scenarios/raft_flaky.lua
check 0 "flaky, prevote+checkquorum+readindex" scenarios/raft_flaky.lua -P prevote=true -P check_quorum=true -P read_index=true
check 0 "split votes vs thesis"    scenarios/raft_split_votes.lua
check 0 "figure 16: 150-155 ms, median vs the paper's 287 ms" scenarios/raft_figure16.lua -P min=150 -P max=155 -P trials=1000
check 0 "figure 16: 150-200 ms, worst case vs the paper's 513 ms" scenarios/raft_figure16.lua -P min=150 -P max=200
check 0 "figure 16: 12-24 ms, mean vs the paper's 35 ms" scenarios/raft_figure16.lua -P min=12 -P max=24
# The same with disk writes (LogCabin's sync points, see the scenario's header), 1000 trials.
check 0 "figure 16, disk: 150-155 ms, median vs 287 ms" scenarios/raft_figure16.lua -P min=150 -P max=155 -P trials=1000 -P latency=1 -P disk=2
check 0 "figure 16, disk: 150-200 ms, worst vs 513 ms"  scenarios/raft_figure16.lua -P min=150 -P max=200 -P trials=1000 -P latency=1 -P disk=2
check 0 "figure 16, disk: 12-24 ms, mean vs 35 ms"      scenarios/raft_figure16.lua -P min=12 -P max=24 -P trials=1000 -P latency=1 -P disk=2
check 0 "vote restart"             scenarios/raft_bug_vote_restart.lua
check 0 "vote log check"           scenarios/raft_bug_vote_log_check.lua
check 0 "stale read"               scenarios/raft_bug_stale_read.lua
check 0 "reorder"                  scenarios/raft_bug_reorder.lua
check 0 "ReadIndex ignores replies to an older term's heartbeat" scenarios/raft_readindex_old_round.lua
check 0 "a heartbeat's new term is durable before the answer" scenarios/raft_persist_term.lua
check 0 "checker: a duplicated read request is dated by its first arrival" scenarios/raft_readindex_dup_request.lua
check 0 "flaky seed 461, 3 nodes, ReadIndex (was a false stale_read)" scenarios/raft_flaky.lua --seed 461 -P nodes=3 -P read_index=true -P prevote=true
check 0 "flaky, 3 nodes, slow back-off, ReadIndex" scenarios/raft_flaky.lua -P nodes=3 -P fast_backoff=false -P read_index=true
check 1:leader_completeness "bug commit_previous_term: figure 8 (d)"  scenarios/raft_figure8.lua --bug raft.commit_previous_term
check 0 "bug commit_previous_term: harmless in (e)" scenarios/raft_figure8.lua -P ending=e --bug raft.commit_previous_term
check 1:durable_state "bug no_persist_vote"        scenarios/raft_bug_vote_restart.lua --bug raft.no_persist_vote
check 1:leader_completeness "bug vote_without_log_check" scenarios/raft_bug_vote_log_check.lua --bug raft.vote_without_log_check
check 1:stale_read "bug stale_leader_read"    scenarios/raft_bug_stale_read.lua --bug raft.stale_leader_read
check 1:committed_entry_deleted "bug truncate_on_every_append" scenarios/raft_bug_reorder.lua --bug raft.truncate_on_every_append
check 1:stale_read "bug stale_leader_read, flaky seed 1" scenarios/raft_flaky.lua --seed 1 -P read_index=true --bug raft.stale_leader_read
check 1:committed_entry_deleted "bug truncate_on_every_append, flaky seed 3" scenarios/raft_flaky.lua --seed 3 --bug raft.truncate_on_every_append
[ "$fails" -eq 0 ]
