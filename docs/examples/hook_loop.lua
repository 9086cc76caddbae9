-- Two hooks that trigger each other within one event.
local c = sim.cluster{ algorithm = "fdetect", nodes = 2 }
sim.on("crash", function(ev) c:restart(ev.node) end)
sim.on("restart", function(ev) c:crash(ev.node) end)
sim.at(100, function() c:crash(1) end)
sim.run(200)
