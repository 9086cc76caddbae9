-- sim.log calls __tostring, which tries to call into the engine.
local c = sim.cluster{ algorithm = "fdetect", nodes = 3 }
sim.log(setmetatable({}, { __tostring = function() c:crash(1); return "x" end }))
