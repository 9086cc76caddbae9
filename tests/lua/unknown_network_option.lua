local c = sim.cluster{ algorithm = "fdetect", nodes = 3 }
sim.network{ latency = sim.uniform(1, 5), los = 0.1 }
