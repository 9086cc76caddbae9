-- Multi-Paxos under a swarm nemesis: the scenario `explore` runs to find
-- Paxos's seeded bugs (clustersim bugs) and to show that correct Paxos
-- survives the same schedules.
--
-- A short run, because a sweep runs it hundreds of times: three seconds of
-- load and faults, then calm. Five nodes on a jittery network without FIFO
-- order, three closed-loop clients writing, reading and compare-and-swapping.
--
-- Each seed draws its own subset of the fault kinds below and its own pace
-- (swarm testing, Groce et al. 2012). The faults aim at proposers: a crash
-- of whoever leads, a partition that leaves the leader in the minority,
-- acceptors restarted within a few milliseconds (a promise kept only in
-- memory is forgotten), long pauses, and held messages released in a
-- burst, so a proposal of an old ballot lands after a newer promise.
--
-- With `-P reads=heavy` the clients are open-loop and mostly read (a read
-- is a command in a slot here, so reads race proposers' ballots too).
--
-- Try: clustersim explore scenarios/explore_paxos.lua --seeds 1..100 --bug paxos.no_persist_promise --shrink
params = {
  duration = {3000, "ms of faults and load"},
  swarm    = {true, "each seed draws its own subset of the fault kinds and its own pace"},
  reads    = {"mixed", "mixed: closed-loop clients, 30% reads; heavy: open-loop clients, 80% reads"},
}
if params.reads ~= "mixed" and params.reads ~= "heavy" then
  error(string.format("reads = '%s': accepted are mixed, heavy", tostring(params.reads)))
end

local c = sim.cluster{ algorithm = "paxos", nodes = 5, lose_unsynced = true,
                       config = { election_timeout = {150, 300}, heartbeat = 50 } }
sim.network{ latency = sim.uniform(1, 40), fifo = false }
if params.reads == "heavy" then
  sim.clients{ count = 3, rate = 60, max_outstanding = 4, keys = 3, read_ratio = 0.8, cas_ratio = 0.05,
               timeout = 300, retries = 5, stop = params.duration }
else
  sim.clients{ count = 3, closed = true, think = 2, keys = 3, read_ratio = 0.3, cas_ratio = 0.2,
               timeout = 300, retries = 5, stop = params.duration }
end
sim.nemesis{
  swarm = params.swarm,
  interval = sim.exponential(80),
  duration = sim.loguniform(5, 1000),
  start = 200, stop = params.duration,
  faults = {
    {kind = "crash", target = "leader", duration = sim.loguniform(1, 600)},
    {kind = "restart_fast", target = "follower"},
    {kind = "partition", target = "leader"},
    {kind = "partition", target = "any"},
    {kind = "pause", target = "any", duration = sim.loguniform(20, 1200)},
    {kind = "hold", target = "follower", duration = sim.loguniform(50, 600)},
    "kill", "reorder",
  },
}

sim.run(params.duration + 1500)     -- the last faults end; then calm
local m = sim.metrics()
print(string.format("ops ok %d fail %d info %d", m.ops.ok, m.ops.fail, m.ops.info))
