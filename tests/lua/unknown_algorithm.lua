local c = sim.cluster{ algorithm = "rafft", nodes = 3 }
