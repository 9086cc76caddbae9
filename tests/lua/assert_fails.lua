local c = sim.cluster{ algorithm = "fdetect", nodes = 3 }
sim.run(100)
sim.assert(false, "the expected thing did not happen")
