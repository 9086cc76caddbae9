sim.rnu(1000)
