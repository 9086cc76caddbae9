local c = sim.cluster{ algorithm = "fdetect", nodes = 3 }
sim.on("crash", function() sim.run_until(function() return true end, 10) end)
sim.at(5, function() c:crash(2) end)
sim.run(100)
