-- Raft, regression: a long run costs time and memory linear in its length
-- (thesis ch. 5, log compaction).
--
-- Without compaction the log grows for ever: every restart reloads it entry
-- by entry from the durable store and re-applies it, so the cost of an event
-- grows with the age of the cluster and memory with the number of commands
-- ever run. With snapshots (`snapshot_entries`, on by default) each server
-- keeps its state machine's snapshot and a bounded suffix of the log; a
-- restart loads the snapshot and replays only the suffix, and a follower
-- that fell behind the leader's first retained entry gets the snapshot
-- (InstallSnapshot) instead of the entries.
--
-- Five servers, steady client load, and every few seconds one server
-- crashes and restarts a little later. The scenario checks what must hold at
-- any length: clients make progress in every tenth of the run, and the
-- retained log stays bounded by the snapshot threshold plus what is not yet
-- applied. `clustersim bench` times it at 50 s and at 1,000 s.
params = {
  duration = {1000000, "ms of load and crashes"},
  snapshot_entries = {1000, "log entries before a server takes a snapshot (0: never)"},
}

local c = sim.cluster{ algorithm = "raft", nodes = 5,
                       config = { election_timeout = {150, 300}, heartbeat = 50,
                                  snapshot_entries = params.snapshot_entries } }
sim.network{ latency = sim.uniform(1, 4) }
sim.clients{ count = 3, closed = true, think = 20, keys = 16, read_ratio = 0.3, cas_ratio = 0.1,
             timeout = 400, retries = 5, stop = params.duration }

-- One crash every 4 s, each server in turn, restarted 1.5 s later.
local victim = 0
sim.every(4000, function()
  if sim.now() >= params.duration then return end
  victim = victim % 5 + 1
  local v = victim
  if c:up(v) then
    c:crash(v)
    sim.after(1500, function() c:restart(v) end)
  end
end)

local tenth = params.duration / 10
local ok_at, longest = {}, 0
for k = 1, 10 do
  sim.at(k * tenth, function()
    ok_at[k] = sim.metrics().ops.ok
    for i = 1, 5 do
      local s = c:state(i)
      if s.up and s.log_length - s.snapshot_index > longest then longest = s.log_length - s.snapshot_index end
    end
  end)
end
sim.run(params.duration + 2000)
local prev = 0
for k = 1, 10 do
  sim.assert(ok_at[k] > prev, string.format("progress in tenth %d (%d ok so far)", k, ok_at[k]))
  prev = ok_at[k]
end
local m = sim.metrics()
if sim.args[1] == "bench" then   -- for clustersim bench: events, deliveries, simulated seconds
  print(string.format("%d %d %.3f", m.events, m.messages.delivered, sim.now() / 1000))
end
print(string.format("%d ops ok, %d committed, %d snapshots taken, %d installed; longest retained log %d entries",
                    m.ops.ok, m.raft.committed, m.raft.snapshots, m.raft.snapshots_installed, longest))
if params.snapshot_entries > 0 then
  sim.assert(longest <= params.snapshot_entries + 500, "the retained log stays bounded")
end
