-- Failure detection, lesson 1: how long does it take to notice a crash?
--
-- Five nodes heartbeat each other every `interval` ms. At t = 1000 ms node 3
-- crashes. A fixed-timeout detector suspects it once no heartbeat arrived for
-- `timeout` ms, so each observer notices between timeout - interval and
-- timeout (plus one network delay) after the crash: the last heartbeat it saw
-- left node 3 at most one interval before the crash.
params = {
  interval = {50, "heartbeat interval, ms"},
  timeout  = {200, "fixed suspicion timeout, ms"},
}

local c = sim.cluster{ algorithm = "fdetect", nodes = 5,
                       config = { interval = params.interval, detector = "fixed",
                                  timeout = params.timeout } }
sim.network{ latency = sim.uniform(1, 5) }

local detected = {}
sim.on("suspect", function(ev)
  if ev.target == 3 then detected[ev.node] = ev.t end
end)

sim.at(1000, function() c:crash(3) end)
sim.run(2000)

local m = sim.metrics().fdetect
for _, observer in ipairs{1, 2, 4, 5} do
  local d = detected[observer]
  sim.assert(d ~= nil, "node " .. observer .. " suspects the crashed node 3")
  local after = d - 1000
  sim.assert(after >= params.timeout - params.interval and after <= params.timeout + 5,
             string.format("node %d noticed %.1f ms after the crash", observer, after))
end
sim.assert(m.false_suspicions == 0, "no live node is suspected")
print(string.format("detection after crash: mean %.1f ms, max %.1f ms (timeout %d ms, interval %d ms)",
                    m.detection_mean_ms, m.detection_max_ms, params.timeout, params.interval))
