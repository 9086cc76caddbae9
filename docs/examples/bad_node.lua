local c = sim.cluster{ algorithm = "fdetect", nodes = 3 }
c:crash(7)
