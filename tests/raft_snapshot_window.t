#!/bin/sh
# Snapshot transfer with small chunks (thesis ch. 5 with ch. 4): a server
# catching up by InstallSnapshot must get there while the leader keeps
# compacting. With one 64-byte chunk per round trip a 24 KB snapshot took
# longer to send than the leader took to replace it; the new servers of
# raft_flaky.lua's membership changes never caught up, were never added,
# and the removals shrank the cluster below a majority (seeds 1-4 failed).
# Now a window of chunks is in flight and the follower keeps chunks the
# network reordered.
. "$(dirname "$0")/lib.sh"
R="$CLUSTERSIM run"
for seed in 1 2 3 4; do
    expect_exit 0 "flaky, a server replaced every 3 s, snapshots every 50 entries in 64-byte chunks, seed $seed" -- \
        $R scenarios/raft_flaky.lua -P membership=true -P snapshot_entries=50 -P snapshot_chunk=64 --seed $seed
done
# The window must not turn a follower that is down into a message storm:
# about one chunk per heartbeat to it, as with stop-and-wait.
cat >"$TMP/down.lua" <<'EOS'
local c = sim.cluster{ algorithm = "raft", nodes = 3,
                       config = { snapshot_entries = 20, snapshot_chunk = 16 } }
sim.clients{ count = 1, rate = 200, keys = 4 }
sim.run(1000)
local l = c:leader()
local f = l % 3 + 1
c:crash(f)
sim.run(3000)
local before = sim.metrics().raft.snapshot_chunks
sim.run(5000)
local sent = sim.metrics().raft.snapshot_chunks - before
print(string.format("chunks to a crashed follower in 2 s: %d", sent))
sim.assert(sent <= 2 * 2000 / 50, "at most about one chunk per heartbeat (50 ms) to a crashed follower")
c:restart(f)
sim.assert(sim.run_until(function() return c:state(f).last_applied >= c:state(l).commit_index - 5 end, 3000),
           "the follower catches up by snapshot once back")
EOS
expect_exit 0 "a crashed follower costs about one chunk per heartbeat" -- $R "$TMP/down.lua"
expect_out "chunks to a crashed follower in 2 s: [0-9]+" "  ... says how many"
done_testing
