-- Failure detection, lesson 5: timeouts are measured on the observer's own
-- clock.
--
-- Node 1's clock runs fast (drift_ppm = +400000: 1.4 local seconds per true
-- second). It heartbeats every 50 ms of *its* time, i.e. every 35.7 ms of
-- true time, which is harmless. But it measures silences on its fast clock
-- too: a 200 ms timeout expires after only ~143 ms of real time. When node 4
-- crashes, node 1 notices first. And once the network jitters, node 1 alone
-- suspects live peers: a fast clock makes every gap look longer.
params = { drift_ppm = {400000, "node 1's clock drift, parts per million"} }

local c = sim.cluster{ algorithm = "fdetect", nodes = 4,
                       config = { interval = 50, detector = "fixed", timeout = 200 } }
sim.network{ latency = sim.uniform(1, 5) }
c:clock(1, { drift_ppm = params.drift_ppm })

local detect = {}
sim.on("suspect", function(ev)
  if ev.target == 4 and not detect[ev.node] then detect[ev.node] = ev.t end
end)
sim.at(1000, function() c:crash(4) end)
sim.run(2000)
for _, o in ipairs{2, 3} do
  sim.assert(detect[1] < detect[o], string.format("node 1 (fast clock, %.1f ms) notices before node %d (%.1f ms)",
                                                   detect[1] - 1000, o, detect[o] - 1000))
end
local fast = (detect[1] - 1000)
sim.assert(fast <= 200 / (1 + params.drift_ppm / 1e6) + 5, "node 1's 200 ms timeout is ~143 ms of true time")

-- Jitter: gaps of up to ~190 ms true time are fine for honest clocks,
-- too long for node 1's.
local wrong = {}
sim.on("suspect", function(ev) if ev.target ~= 4 then wrong[ev.node] = (wrong[ev.node] or 0) + 1 end end)
sim.network{ latency = sim.uniform(1, 140) }
sim.run(12000)
print(string.format("false suspicions under jitter: node 1 (fast clock) %d, node 2 %d, node 3 %d",
                    wrong[1] or 0, wrong[2] or 0, wrong[3] or 0))
sim.assert((wrong[1] or 0) > 0, "the fast-clock node suspects live peers")
sim.assert((wrong[2] or 0) == 0 and (wrong[3] or 0) == 0, "nodes with honest clocks do not")
