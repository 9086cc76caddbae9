sim.rnu(100)
