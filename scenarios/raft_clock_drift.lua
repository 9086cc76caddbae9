-- Raft, lesson: Raft's safety never depends on clocks; its stability does
-- (§5.6, "timing and availability": broadcastTime << electionTimeout << MTBF).
--
-- Every timer is measured on the node's own clock. Node 5 is a follower
-- whose clock runs fast. At +50 % (absurd for a quartz clock, possible for a
-- badly-behaved VM) its shortest election timeout, 100 ms local, still lasts
-- 67 real ms, more than the 55 ms heartbeat plus up to 10 ms of jitter: nothing
-- happens. At +100 % (its clock runs at double speed) its timeouts last 50-100
-- real ms and now and then expire between two heartbeats: it campaigns, with a
-- higher term,
-- and every time it forces the leader to step down (without PreVote). Logs
-- stay safe all along — the checker watches every event — but the cluster
-- keeps changing leaders. With prevote = true the others refuse node 5's
-- pre-votes, since they hear the leader, and the disruption disappears.
params = {
  prevote = {false, "PreVote tames the fast node"},
}
local c = sim.cluster{ algorithm = "raft", nodes = 5,
                       config = { election_timeout = {100, 200}, heartbeat = 55, prevote = params.prevote } }
sim.network{ latency = sim.uniform(5, 15) }
-- No client load: every AppendEntries resets a follower's timer, so a busy
-- leader would hide the effect; an idle one sends only heartbeats.

local changes = 0
sim.on("role", function(ev) if ev.role == "leader" then changes = changes + 1 end end)
sim.assert(sim.run_until(function() local l = c:leader(); return l ~= nil and l ~= 5 end, 1000), "a leader other than node 5")
sim.run(1000)

c:clock(5, { drift_ppm = 500000 })
local before = changes
sim.run(4000)
local mild = changes - before
print(string.format("node 5 at +50 %%: %d leader changes in 3 s", mild))
sim.assert(mild == 0, "a clock 50 % fast changes nothing")

c:clock(5, { drift_ppm = 1000000 })
before = changes
sim.run(7000)
local wild = changes - before
print(string.format("node 5 at +100 %%: %d leader changes in 3 s, node 5 in term %d", wild, c:state(5).term))
if params.prevote then
  sim.assert(wild == 0, "with PreVote the fast node cannot disturb the leader")
else
  sim.assert(wild >= 1, "a clock running at double speed deposes the leader")
end
sim.assert(c:leader() ~= nil or sim.run_until(function() return c:leader() ~= nil end, 1000), "still a leader")
