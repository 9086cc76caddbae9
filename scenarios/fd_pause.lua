-- Failure detection, lesson 4: a paused process is indistinguishable from a
-- dead one — until it wakes up.
--
-- At 1 s node 2 stops for 600 ms (a stop-the-world garbage collection, a
-- stalled VM). It sends nothing and handles nothing. Its peers suspect it
-- after the timeout. When it resumes, it finds its own expired timers and the
-- heartbeats that queued up while it slept: it handles them in order (and,
-- having heard nothing "for 600 ms" by its own reckoning, it may briefly
-- suspect its peers), then sends a heartbeat, and every peer trusts it again.
local c = sim.cluster{ algorithm = "fdetect", nodes = 4,
                       config = { interval = 50, detector = "phi", threshold = 8, min_std = 5 } }
sim.network{ latency = sim.uniform(1, 5) }

local first_suspect, trust_after = {}, {}
sim.on("suspect", function(ev)
  if ev.target == 2 and not first_suspect[ev.node] then first_suspect[ev.node] = ev.t end
end)
sim.on("trust", function(ev)
  if ev.target == 2 then trust_after[ev.node] = ev.t end
end)

sim.at(1000, function() c:pause(2, 600) end)
sim.run(1599)
sim.assert(c:state(2).paused, "node 2 is paused")
sim.run(2500)
sim.assert(not c:state(2).paused, "node 2 resumed")

for _, o in ipairs{1, 3, 4} do
  sim.assert(first_suspect[o] and first_suspect[o] > 1000 and first_suspect[o] < 1600,
             "node " .. o .. " suspects the paused node 2 during the pause")
  sim.assert(trust_after[o] and trust_after[o] >= 1600 and trust_after[o] <= 1610,
             "node " .. o .. " trusts node 2 again right after it resumes")
end
local m = sim.metrics().fdetect
print(string.format("suspicions of the paused node: %d; of live, running nodes: %d",
                    m.paused_suspicions, m.false_suspicions))
sim.assert(m.paused_suspicions == 3, "each peer suspected the paused node once")
