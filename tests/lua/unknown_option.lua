local c = sim.cluster{ algorithm = "fdetect", nodes = 3, config = { intervall = 10 } }
