#!/bin/sh
# Raft scenarios and seeded bugs: each scenario passes with its defaults (and
# the listed variants), and each seeded bug is caught in its scenario (exit 1).
CLUSTERSIM=${CLUSTERSIM:-./clustersim}
cd "$(dirname "$0")/.." || exit 1
n=0
fails=0
check() {   # expected-exit description args...
    want=$1; shift; desc=$1; shift
    n=$((n + 1))
    out=$("$CLUSTERSIM" run "$@" 2>&1 >/dev/null); got=$?
    if [ "$got" -eq "$want" ]; then
        echo "ok $n - $desc"
    else
        echo "not ok $n - $desc (exit $got, want $want)"
        echo "$out" | sed 's/^/# /' | tail -5
        fails=$((fails + 1))
    fi
}
echo "1..22"
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
check 0 "vote restart"             scenarios/raft_bug_vote_restart.lua
check 0 "vote log check"           scenarios/raft_bug_vote_log_check.lua
check 0 "stale read"               scenarios/raft_bug_stale_read.lua
check 0 "reorder"                  scenarios/raft_bug_reorder.lua
check 1 "bug commit_previous_term: figure 8 (d)"  scenarios/raft_figure8.lua --bug raft.commit_previous_term
check 0 "bug commit_previous_term: harmless in (e)" scenarios/raft_figure8.lua -P ending=e --bug raft.commit_previous_term
check 1 "bug no_persist_vote"      scenarios/raft_bug_vote_restart.lua --bug raft.no_persist_vote
check 1 "bug vote_without_log_check" scenarios/raft_bug_vote_log_check.lua --bug raft.vote_without_log_check
check 1 "bug stale_leader_read"    scenarios/raft_bug_stale_read.lua --bug raft.stale_leader_read
check 1 "bug truncate_on_every_append" scenarios/raft_bug_reorder.lua --bug raft.truncate_on_every_append
[ "$fails" -eq 0 ]
