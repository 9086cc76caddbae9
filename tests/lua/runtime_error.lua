local c = sim.cluster{ algorithm = "fdetect", nodes = 3 }
local function boom(t) return t.field end
sim.at(10, function() boom(nil) end)
sim.run(100)
