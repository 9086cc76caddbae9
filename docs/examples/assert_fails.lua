local c = sim.cluster{ algorithm = "fdetect", nodes = 3 }
sim.run(100)
sim.assert(c:state(1).suspected > 0, "MSG")
