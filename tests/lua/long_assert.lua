local c = sim.cluster{ algorithm = "fdetect", nodes = 3 }
sim.run(10)
sim.assert(false, string.rep("y", 6000))
