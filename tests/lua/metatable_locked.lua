-- A handle's metatable is not the script's to change: getmetatable gives
-- its name, so no method can be replaced by one that re-enters the engine.
local c = sim.cluster{ algorithm = "fdetect", nodes = 3 }
sim.assert(getmetatable(c) == "sim.cluster", "the cluster's metatable is locked")
sim.assert(getmetatable(c:node(1)) == "sim.node", "a node's too")
sim.assert(getmetatable(sim.client(1)) == "sim.client", "a client's too")
sim.assert(getmetatable(sim.const(1)) == "sim.dist", "a distribution's too")
sim.run(10)
