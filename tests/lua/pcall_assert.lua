-- A violation caught by pcall still ends the run with exit 1
local c = sim.cluster{ algorithm = "fdetect", nodes = 3 }
print("caught:", pcall(sim.assert, false, "swallowed?"))
sim.run(10)
