-- sim.run from an action would run past the outer sim.run's end.
local c = sim.cluster{ algorithm = "fdetect", nodes = 3 }
sim.at(10, function() sim.run(2000) end)
sim.run(1000)
