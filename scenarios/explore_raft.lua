-- Raft under a swarm nemesis: the scenario `explore` runs to find Raft's
-- seeded bugs (clustersim bugs) and to show that correct Raft survives.
--
-- A short run — four seconds of load and faults, then calm — because a
-- sweep runs it hundreds of times. Five nodes with short election timeouts
-- on a jittery network without FIFO order, three closed-loop clients.
--
-- The nemesis is a swarm (Groce et al., ISSTA 2012): every seed draws its
-- own subset of the fault kinds below and its own speed, so one seed
-- restarts voters over and over while the next partitions the leader away
-- and pauses a follower across two election timeouts. Faults are aimed
-- where Raft's bugs live: `target = "leader"` crashes, isolates or cuts
-- off whoever leads at that moment; `restart_fast` crashes a voter and
-- brings it back inside one election timeout (a forgotten votedFor votes
-- twice); `hold` delays everything to and from a node and then releases
-- it in a burst (old replies land in a later term). Durations are
-- log-uniform, so 2 ms and 2 s faults both happen, and faults overlap.
--
-- With `-P reads=heavy` the clients are open-loop and mostly read, and
-- reads are served by ReadIndex (read = "index", thesis §6.4), so reads
-- are in flight at every election and leader change: the read path is
-- attacked as hard as the write path (a stale read is caught by the
-- checker's stale_read invariant and by the history check).
--
-- A run commits a few dozen entries, so the default threshold of 1000
-- never compacts; with `-P snapshot_entries=10` every server snapshots
-- every 10 applied entries, and a deposed leader's divergent tail meets
-- an InstallSnapshot from its successor (thesis ch. 5): the entries it
-- keeps after the snapshot must continue the snapshot's log (the
-- checker's snapshot_suffix).
--
-- Try: clustersim explore scenarios/explore_raft.lua --seeds 1..200 --bug raft.no_persist_vote --shrink
--      clustersim explore scenarios/explore_raft.lua --seeds 1..200 -P reads=heavy --bug raft.stale_leader_read
params = {
  nodes    = {3, "cluster size (three: one restarted voter is a majority's swing vote)"},
  duration = {4000, "ms of faults and load"},
  swarm    = {false, "each seed draws its own subset of the fault kinds and its own pace"},
  max_batch = {1, "entries per AppendEntries: one at a time, as in Figure 8"},
  read_index = {false, "ReadIndex reads instead of reads through the log"},
  reads    = {"mixed", "mixed: closed-loop clients, 30% reads; heavy: open-loop clients, 80% reads, by ReadIndex"},
  snapshot_entries = {1000, "applied entries before a server snapshots (10: the leader partitions meet compaction)"},
}
if params.reads ~= "mixed" and params.reads ~= "heavy" then
  error(string.format("reads = '%s': accepted are mixed, heavy", tostring(params.reads)))
end
local heavy = params.reads == "heavy"

local c = sim.cluster{ algorithm = "raft", nodes = params.nodes, lose_unsynced = true,
                       config = { election_timeout = {150, 300}, heartbeat = 50, max_batch = params.max_batch,
                                  read = (heavy or params.read_index) and "index" or "log",
                                  snapshot_entries = params.snapshot_entries } }
-- Latency up to 60 ms against election timeouts of 150-300 ms: two
-- candidates often run in the same term.
sim.network{ latency = sim.uniform(1, 60), fifo = false }
if heavy then
  -- 3 x 60 operations a second, up to 4 at once per client: reads overlap
  -- each other, writes and the faults
  sim.clients{ count = 3, rate = 60, max_outstanding = 4, keys = 3, read_ratio = 0.8, cas_ratio = 0.05,
               timeout = 300, retries = 5, stop = params.duration }
else
  sim.clients{ count = 3, closed = true, think = 2, keys = 3, read_ratio = 0.3, cas_ratio = 0.1,
               timeout = 300, retries = 5, stop = params.duration }
end
sim.nemesis{
  swarm = params.swarm,
  interval = sim.exponential(50),
  duration = sim.loguniform(5, 1000),
  start = 300, stop = params.duration,
  faults = {
    {kind = "restart_fast", target = "follower", duration = sim.loguniform(0.5, 50)},
    {kind = "restart_fast", target = "any", duration = sim.loguniform(0.5, 50)},
    {kind = "crash", target = "leader", duration = sim.loguniform(1, 800)},
    {kind = "partition", target = "leader", duration = sim.loguniform(20, 800)},
    {kind = "pause", target = "any", duration = sim.loguniform(20, 1200)},
    "reorder",
  },
}

sim.run(params.duration + 1500)     -- the last faults end; then calm
local m = sim.metrics()
print(string.format("ops ok %d fail %d info %d; %d elections, %d leaders, max term %d, %d committed, %d truncated",
                    m.ops.ok, m.ops.fail, m.ops.info, m.raft.elections, m.raft.leaders, m.raft.max_term,
                    m.raft.committed, m.raft.truncated))
