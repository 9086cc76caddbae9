-- sim.run inside start
local a = sim.algorithm{ name = "runner", start = function(node) sim.run(50) end }
sim.cluster{algorithm = a, nodes = 2}
sim.run(100)
