local c = sim.cluster{ algorithm = "fdetect", nodes = 3 }
sim.run_until(function() sim.run(265) return false end, 200)
