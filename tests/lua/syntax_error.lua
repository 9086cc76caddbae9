-- a syntax error on line 3
local c = sim.cluster{ algorithm = "fdetect", nodes = 3 }
local x = = 1
