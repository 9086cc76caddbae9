local c = sim.cluster{algorithm="fdetect", nodes=2}
sim.log("x", {}, print, c, 3, nil, true, sim.uniform(1,2))
