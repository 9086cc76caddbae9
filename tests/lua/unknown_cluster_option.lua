local c = sim.cluster{ algorithm = "fdetect", nodes = 3, nodez = 4 }
