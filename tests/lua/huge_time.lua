local c = sim.cluster{ algorithm = "fdetect", nodes = 3 }
sim.after(1e13, function() end)
