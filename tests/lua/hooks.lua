local c = sim.cluster{ algorithm = "fdetect", nodes = 3 }
sim.on("crash", function(ev) print("crash of", ev.node, "at", ev.t) end)
sim.at(20, function() c:crash(2) end)
sim.run(100)
for k, v in sim.sorted({b = 2, a = 1, c = 3}) do io_write = nil; print(k, v) end
sim.at(1000000, function() end)  -- still queued when the run ends
