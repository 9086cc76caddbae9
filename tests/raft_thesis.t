#!/bin/sh
# Raft beyond the paper, from Ongaro's thesis: lease reads (§6.4.1),
# leadership transfer (§3.10), log compaction (ch. 5). Each scenario passes
# with its defaults; each broken variant is caught by the invariant it breaks.
. "$(dirname "$0")/lib.sh"
R="$CLUSTERSIM run"

expect_exit 0 "lease reads, drift within the bound" -- $R scenarios/raft_lease_drift.lua
expect_exit 1 "lease reads, drift beyond the bound" -- $R scenarios/raft_lease_drift.lua -P drift_ppm=-500000
expect_err "invariant violated at .*: stale_read: node [0-9]+ answered get\(x\) = 1" "  ... caught as a stale read"
echo 'sim.cluster{ algorithm = "raft", nodes = 3, config = { read = "leases" } }' >"$TMP/bad.lua"
expect_exit 65 "read = 'leases'" -- $R "$TMP/bad.lua"
expect_err "option 'read' = \"leases\" is not one of: log, index, lease" "  ... names the choices"
echo 'sim.cluster{ algorithm = "raft", nodes = 3, config = { read = "log", read_index = true } }' >"$TMP/bad.lua"
expect_exit 65 "read = 'log' with read_index = true" -- $R "$TMP/bad.lua"
expect_err "option 'read_index' = true contradicts read = 'log'" "  ... says they contradict"
expect_exit 0 "leadership transfer" -- $R scenarios/raft_transfer.lua
expect_out "handed leadership to node [0-9] in [0-9.]+ ms" "  ... says how long it took"
echo 'sim.cluster{ algorithm = "paxos", nodes = 3, disk = sim.uniform(2, 8) }' >"$TMP/bad.lua"
expect_exit 65 "disk latency for an algorithm without on_sync" -- $R "$TMP/bad.lua"
expect_err "option 'disk': algorithm 'paxos' does not model disk latency" "  ... says so"
echo 'sim.cluster{ algorithm = "raft", nodes = 3, disk = "slow" }' >"$TMP/bad.lua"
expect_exit 65 "disk = 'slow'" -- $R "$TMP/bad.lua"
expect_err "sim.cluster: disk must be a distribution" "  ... asks for a distribution"
expect_exit 0 "snapshot: a follower down for long catches up by InstallSnapshot" -- $R scenarios/raft_snapshot.lua
expect_out "node 5 installed the snapshot up to index [0-9]+" "  ... from the leader's snapshot"
expect_exit 1 "bug snapshot_without_sessions, seed 6" -- $R scenarios/raft_snapshot.lua --seed 6 --bug raft.snapshot_without_sessions
expect_err "invariant violated at .*: state_machine_safety: node [0-9]+ applied entry [0-9]+ .* with a different result" "  ... a retried command applied twice"
expect_exit 0 "long run, 60 s, with crashes: the retained log stays bounded" -- $R scenarios/raft_long.lua -P duration=60000
expect_exit 0 "flaky, snapshots every 40 entries in 100-byte chunks" -- $R scenarios/raft_flaky.lua -P snapshot_entries=40 -P snapshot_chunk=100 --seed 2
expect_exit 0 "flaky, lease reads" -- $R scenarios/raft_flaky.lua -P read=lease --seed 3
expect_exit 0 "flaky, disk syncs 0-8 ms, snapshots, leases, PreVote, CheckQuorum" -- \
    $R scenarios/raft_flaky.lua -P disk=8 -P snapshot_entries=40 -P read=lease -P prevote=true -P check_quorum=true --seed 4
expect_exit 0 "membership: grow 3 -> 5, shrink 5 -> 3 removing the leader, replace a crashed server" -- \
    $R scenarios/raft_membership.lua
expect_out "node [0-9] removed itself and left" "  ... the removed leader stepped down after committing its removal"
expect_exit 0 "the 2015 counterexample, with the errata's rule" -- $R scenarios/raft_membership_bug.lua
expect_out "node [0-9] leads term 3 for A's side, with \{1,2,3,4,5\}; B's side: no leader" "  ... only A's side elects"
expect_out "term:leader  1:[0-9] 2:[0-9] 3:[0-9]\$" "  ... one leader per term"
expect_exit 1 "the 2015 counterexample, bug concurrent_config_changes" -- \
    $R scenarios/raft_membership_bug.lua --bug raft.concurrent_config_changes
expect_out "C = node [0-9] leads term 3 with B's vote, 2 of the 3 of" "  ... B's side elects in term 3 by C2"
expect_err "invariant violated at .*: election_safety: nodes [0-9] and [0-9] both lead term 3\$" "  ... and A's side by C1: two leaders of term 3"
expect_exit 0 "  ... the same without the hand-over, with the errata's rule" -- $R scenarios/raft_membership_bug.lua -P same_term=false
expect_exit 1 "  ... the same without the hand-over, bug concurrent_config_changes" -- \
    $R scenarios/raft_membership_bug.lua --bug raft.concurrent_config_changes -P same_term=false
expect_err "invariant violated at .*: leader_completeness: node [0-9] leads term 3 without committed entry" "  ... a leader of term 3 without a committed entry of term 2"
expect_exit 0 "flaky with a server replaced every 3 s, snapshots, PreVote, CheckQuorum" -- \
    $R scenarios/raft_flaky.lua -P membership=true -P snapshot_entries=200 -P prevote=true -P check_quorum=true --seed 5
cat >"$TMP/two.lua" <<'EOS'
local c = sim.cluster{ algorithm = "raft", nodes = 5, config = { election_timeout = {150, 300}, heartbeat = 50 } }
sim.run(1000)
c:remove_node(4); c:remove_node(5)
sim.run(2000)
sim.assert(c:state(c:leader()).config == "1,2,3", "both removed, one at a time")
EOS
expect_exit 0 "two removals at once go one at a time" -- $R "$TMP/two.lua"
expect_exit 1 "  ... with bug concurrent_config_changes, both at once" -- $R "$TMP/two.lua" --bug raft.concurrent_config_changes
expect_err "invariant violated at .*: config_overlap: node [0-9], leader of term [0-9]+, switched at index [0-9]+ to configuration \\{1,2,3\\}" \
    "  ... caught: a majority disjoint from one of the committed configuration"
printf 'local c = sim.cluster{ algorithm = "paxos", nodes = 3 }\nsim.run(500)\nc:transfer_leadership(2)\n' >"$TMP/bad.lua"
expect_exit 65 "transfer_leadership on paxos" -- $R "$TMP/bad.lua"
expect_err "transfer_leadership: algorithm 'paxos' does not support leadership transfer" "  ... says so"
echo 'sim.cluster{ algorithm = "raft", nodes = 3, config = { snapshot_chunk = 0 } }' >"$TMP/bad.lua"
expect_exit 65 "snapshot_chunk = 0" -- $R "$TMP/bad.lua"
expect_err "option 'snapshot_chunk' = 0 is out of range" "  ... names the option"
if command -v gnuplot >/dev/null 2>&1; then
    expect_exit 0 "timeline of a transfer" -- sh -c "$R scenarios/raft_transfer.lua --trace $TMP/tr.jsonl >/dev/null 2>&1 && $CLUSTERSIM plot $TMP/tr.jsonl --kind timeline -o $TMP/tr.png"
fi
done_testing
