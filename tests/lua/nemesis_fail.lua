-- Fails exactly when the nemesis crashes node 2: a shrinker should reduce
-- the failing schedule to that single fault.
params = { seconds = {20, "how long"} }
local c = sim.cluster{ algorithm = "fdetect", nodes = 5, config = { interval = 50 } }
sim.network{ latency = sim.uniform(1, 5) }
sim.nemesis{ faults = {"crash", "pause", "partition", "clock"}, interval = 400, duration = 200 }
sim.on("crash", function(ev) sim.assert(ev.node ~= 2, "node 2 must never crash") end)
sim.run(params.seconds * 1000)
