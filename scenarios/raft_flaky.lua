-- Raft, lesson: safety never depends on the network; progress only needs
-- a majority that can talk for a while.
--
-- Five nodes on a bad network: 5% of messages lost, 5% duplicated, no FIFO
-- order, and heavy-tailed (Pareto) latency, so replies overtake requests and
-- old AppendEntries arrive after new ones. On top, a nemesis crashes nodes
-- (with unsynced disk writes lost: Raft must sync before it answers), pauses
-- them, partitions the cluster and steps clocks. Three clients keep writing,
-- reading and compare-and-swapping.
--
-- Every event is checked against Election Safety, Leader Append-Only, Log
-- Matching, Leader Completeness, State Machine Safety and the clients'
-- answers. The scenario asserts that clients keep making progress while the
-- faults come and go, and that once the faults stop the cluster heals: one
-- leader, and every node applies the same log.
params = {
  nodes    = {5, "cluster size"},
  duration = {20000, "ms of faults and load"},
  loss     = {0.05, "message loss probability"},
  prevote  = {false, "PreVote (thesis 9.6)"},
  check_quorum = {false, "CheckQuorum (thesis 6.2)"},
  read_index = {false, "ReadIndex reads instead of reads through the log"},
  read = {"log", "how reads are served: log, index (ReadIndex) or lease (thesis 6.4)"},
  fast_backoff = {true, "accelerated log back-off"},
  snapshot_entries = {1000, "applied entries before a server snapshots (thesis ch. 5; 0: never)"},
  snapshot_chunk = {4096, "bytes per InstallSnapshot message"},
  disk = {0, "ms a disk sync takes, uniform from 0 to this (0: instant)"},
  membership = {false, "replace a server every 3 s through the log (thesis ch. 4)"},
}

local c = sim.cluster{ algorithm = "raft", nodes = params.nodes, lose_unsynced = true,
                       disk = params.disk > 0 and sim.uniform(0, params.disk) or nil,
                       config = { election_timeout = {150, 300}, heartbeat = 50,
                                  prevote = params.prevote, check_quorum = params.check_quorum,
                                  read = params.read_index and "index" or params.read,
                                  fast_backoff = params.fast_backoff,
                                  snapshot_entries = params.snapshot_entries,
                                  snapshot_chunk = params.snapshot_chunk } }
sim.network{ latency = sim.pareto(3, 2.5), loss = params.loss, duplicate = 0.05, fifo = false }
sim.clients{ count = 3, closed = true, think = 5, keys = 4, read_ratio = 0.4, cas_ratio = 0.2,
             timeout = 400, retries = 5, stop = params.duration }
sim.nemesis{ faults = {"crash", "pause", "partition", "clock"}, interval = 800, duration = 400,
             start = 1000, stop = params.duration - 1000 }

-- Membership changes (with -P membership=true): every 3 s a fresh server is
-- added and, a second later, the oldest one removed, faults or not.
local ids = {}
for i = 1, params.nodes do ids[#ids + 1] = i end
if params.membership then
  sim.every(3000, function()
    if sim.now() > params.duration - 2000 then return end
    ids[#ids + 1] = c:add_node()
    sim.after(1000, function() c:remove_node(table.remove(ids, 1)) end)
  end)
end

-- Progress: count successful operations per quarter of the run.
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

-- After the storm: one leader, everyone up, and within a few heartbeats every
-- node has applied everything the leader committed.
local function converged()
  local l = c:leader()
  if not l then return false end
  local ls = c:state(l)
  if ls.commit_index < ls.log_length then return false end
  for _, i in ipairs(ids) do
    local s = c:state(i)
    if not s.up or s.last_applied ~= ls.commit_index then return false end
  end
  return true
end
sim.assert(sim.run_until(converged, 5000), "the cluster converges once the faults stop")
print(string.format("ops ok %d fail %d info %d; %d elections, %d leaders, max term %d, %d entries committed, %d truncated, %d duplicates suppressed",
                    m.ops.ok, m.ops.fail, m.ops.info, m.raft.elections, m.raft.leaders, m.raft.max_term,
                    m.raft.committed, m.raft.truncated, m.raft.duplicates))
