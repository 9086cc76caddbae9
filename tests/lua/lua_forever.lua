-- Runs until Ctrl-C: plain Lua, no event in sight, inside pcall.
local c = sim.cluster{ algorithm = "fdetect", nodes = 3 }
sim.run(10)
while true do pcall(function() while true do end end) end
