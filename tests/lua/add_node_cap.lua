-- The node cap holds for add_node too (100,006 nodes were made once).
local c = sim.cluster{ algorithm = "fdetect", nodes = 99999 }
for i = 1, 10 do c:add_node() end
