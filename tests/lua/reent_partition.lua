-- A group whose __index and __len would add nodes while sim.partition reads
-- it (a heap overflow once): arguments are read raw, so neither runs.
local c = sim.cluster{ algorithm = "fdetect", nodes = 3 }
local g = setmetatable({ 1 }, { __index = function(t, k) c:add_node(); return rawget(t, k) end,
                                __len = function() c:add_node(); return 3 end })
sim.partition(g, { 3 })
sim.assert(c:size() == 3, "no node was added while partition read its groups")
sim.run(10)
