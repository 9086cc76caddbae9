local c = sim.cluster{ algorithm = "fdetect", nodes = 3 }
sim.run(100)
sim.at(50, function() end)
