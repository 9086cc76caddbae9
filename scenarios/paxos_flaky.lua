-- Multi-Paxos, lesson: safety never depends on the network or on timing;
-- progress needs a majority that can talk for a while and one leader.
--
-- Five nodes on a bad network: 5% of messages lost, 5% duplicated, no FIFO
-- order, heavy-tailed (Pareto) latency, so old Accepts arrive after newer
-- Prepares and replies overtake requests. A nemesis crashes nodes (unsynced
-- disk writes are lost: an acceptor must sync its promise and what it
-- accepted before it answers), pauses them, partitions the cluster and steps
-- clocks. Three clients keep writing, reading and compare-and-swapping.
--
-- Leaders come and go: each new one runs phase 1 for every slot above its
-- commit point, re-proposes what a majority may have accepted (P2c), fills
-- holes with no-ops and streams phase 2. Every event is checked against
-- agreement, validity, learn_only_chosen, applied_prefix, promise_monotonic,
-- accept_below_promise and client_reply. The scenario asserts that clients
-- keep making progress while the faults come and go, and that once they stop
-- the cluster heals: one leader, and every node applies the same prefix.
params = {
  nodes    = {5, "cluster size"},
  duration = {20000, "ms of faults and load"},
  loss     = {0.05, "message loss probability"},
  backoff  = {true, "randomised back-off after preemption"},
}

local c = sim.cluster{ algorithm = "paxos", nodes = params.nodes, lose_unsynced = true,
                       config = { election_timeout = {150, 300}, heartbeat = 50, backoff = params.backoff } }
sim.network{ latency = sim.pareto(3, 2.5), loss = params.loss, duplicate = 0.05, fifo = false }
sim.clients{ count = 3, closed = true, think = 5, keys = 4, read_ratio = 0.4, cas_ratio = 0.2,
             timeout = 400, retries = 5, stop = params.duration }
sim.nemesis{ faults = {"crash", "pause", "partition", "clock"}, interval = 800, duration = 400,
             start = 1000, stop = params.duration - 1000 }

local quarter = params.duration / 4
local ok_at = {}
for q = 1, 4 do
  sim.at(q * quarter, function() ok_at[q] = sim.metrics().ops.ok end)
end

sim.run(params.duration + 3000)   -- the nemesis stops 1 s before the load; then 3 s of calm

local m = sim.metrics()
local prev = 0
for q = 1, 4 do
  sim.assert(ok_at[q] > prev, string.format("clients made progress in quarter %d (%d ok so far)", q, ok_at[q]))
  prev = ok_at[q]
end

-- After the storm: one leader, everyone up, every node applied all it chose.
local function converged()
  local l = c:leader()
  if not l then return false end
  local ls = c:state(l)
  if ls.chosen_upto < ls.slots then return false end
  for i = 1, c:size() do
    local s = c:state(i)
    if not s.up or s.applied ~= ls.chosen_upto then return false end
  end
  return true
end
sim.assert(sim.run_until(converged, 5000), "the cluster converges once the faults stop")
print(string.format("ops ok %d fail %d info %d; %d phase 1 runs, %d leaders, max round %d, %d slots chosen, %d no-ops, %d duplicates suppressed",
                    m.ops.ok, m.ops.fail, m.ops.info, m.paxos.phase1, m.paxos.leaders, m.paxos.max_round,
                    m.paxos.committed, m.paxos.noops, m.paxos.duplicates))
