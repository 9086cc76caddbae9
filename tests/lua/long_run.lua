local c = sim.cluster{algorithm="fdetect", nodes=64}
sim.network{latency=sim.uniform(1,5)}
sim.run(1e9)
