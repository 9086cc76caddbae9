-- A __gc would run whenever the collector chooses: refused.
local c = sim.cluster{ algorithm = "fdetect", nodes = 3 }
setmetatable({}, { __gc = function() sim.run(5000) end })
