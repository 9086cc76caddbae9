-- Raft, lesson: a server that was down for a long time catches up from a
-- snapshot, not from the log (thesis chapter 5).
--
-- Each server compacts independently: once `snapshot_entries` applied
-- entries have piled up past its last snapshot, it saves its state machine
-- (the key-value store AND the client sessions of §6.3) and drops those
-- entries from its log and its disk. A restart then loads the snapshot and
-- replays only the log suffix.
--
-- Node 5 crashes early and stays down while the others commit thousands of
-- commands. When it comes back, the leader no longer has the entries it
-- needs: they are in the leader's snapshot. The leader sends the snapshot
-- instead (InstallSnapshot, Figure 5.3), in chunks of `snapshot_chunk`
-- bytes, up to 4 KB of them in flight at once; node 5 replaces its state machine with it and
-- continues from the log after it.
--
-- The sessions matter. Clients retry on timeouts and the network drops and
-- duplicates messages, so some commands reach the log twice; the state
-- machine applies the second copy as a duplicate because the session
-- remembers it. With `--bug raft.snapshot_without_sessions` the snapshot
-- forgets the sessions: a server that restarted or installed a snapshot
-- runs a retried command a second time, its state drifts from the others',
-- and the checker reports the first command whose result differs.
params = {
  snapshot_entries = {200, "applied entries before a server snapshots"},
  snapshot_chunk   = {1024, "bytes per InstallSnapshot message"},
  down             = {15000, "ms node 5 stays down"},
}

local c = sim.cluster{ algorithm = "raft", nodes = 5, lose_unsynced = true,
                       config = { election_timeout = {150, 300}, heartbeat = 50,
                                  snapshot_entries = params.snapshot_entries,
                                  snapshot_chunk = params.snapshot_chunk } }
sim.network{ latency = sim.uniform(2, 10), loss = 0.03, duplicate = 0.03, fifo = false }
sim.clients{ count = 3, closed = true, think = 5, keys = 4, read_ratio = 0.3, cas_ratio = 0.3,
             timeout = 60, retries = 10, stop = params.down + 6000 }

-- A second fault: one restart of a server that keeps up, so a restart from
-- its own snapshot happens too.
sim.at(params.down / 2, function()
  local l = c:leader()
  local v = (l or 1) % 4 + 1
  if v == 5 then v = 1 end
  c:crash(v)
  sim.after(500, function() c:restart(v) end)
end)

sim.on("install_snapshot", function(ev)
  print(string.format("t=%7.1f  node %d installed the snapshot up to index %d (%d bytes)",
                      sim.now(), ev.node, ev.index, ev.bytes))
end)

sim.run(1000)
local had = c:state(5).log_length
c:crash(5)
sim.run(1000 + params.down)
local l = c:leader()
sim.assert(l ~= nil, "a leader")
local ls = c:state(l)
print(string.format("t=%7.1f  node 5 comes back; leader %d has committed %d, its log starts after %d",
                    sim.now(), l, ls.commit_index, ls.snapshot_index))
sim.assert(ls.snapshot_index > had, "the leader compacted what node 5 lacks")
c:restart(5)
sim.assert(sim.run_until(function()
  local lead = c:leader()
  return lead ~= nil and c:state(5).last_applied >= c:state(lead).commit_index - 5
end, 5000), "node 5 catches up")
local m = sim.metrics().raft
sim.assert(m.snapshots_installed >= 1, "by a snapshot")
print(string.format("t=%7.1f  node 5 applied %d; %d snapshots taken, %d installed, %d chunks sent, %d duplicates suppressed",
                    sim.now(), c:state(5).last_applied, m.snapshots, m.snapshots_installed, m.snapshot_chunks,
                    m.duplicates))
sim.run(sim.now() + 6000)
