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
-- Try: clustersim explore scenarios/explore_raft.lua --seeds 1..200 --bug raft.no_persist_vote --shrink
params = {
  nodes    = {3, "cluster size (three: one restarted voter is a majority's swing vote)"},
  duration = {4000, "ms of faults and load"},
  swarm    = {false, "each seed draws its own subset of the fault kinds and its own pace"},
  max_batch = {1, "entries per AppendEntries: one at a time, as in Figure 8"},
  read_index = {false, "ReadIndex reads instead of reads through the log"},
}

local c = sim.cluster{ algorithm = "raft", nodes = params.nodes, lose_unsynced = true,
                       config = { election_timeout = {150, 300}, heartbeat = 50, max_batch = params.max_batch,
                                  read_index = params.read_index } }
-- Latency up to 60 ms against election timeouts of 150-300 ms: two
-- candidates often run in the same term.
sim.network{ latency = sim.uniform(1, 60), fifo = false }
sim.clients{ count = 3, closed = true, think = 2, keys = 3, read_ratio = 0.3, cas_ratio = 0.1,
             timeout = 300, retries = 5, stop = params.duration }
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
