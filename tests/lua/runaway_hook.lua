local c = sim.cluster{ algorithm = "fdetect", nodes = 3 }
sim.every(10, function() while true do end end)
sim.run(100)
