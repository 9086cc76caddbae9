local c = sim.cluster{ algorithm = "fdetect", nodes = 3 }
sim.partition({1, 2}, {3, 9})
