-- a node object kept past its callback cannot act
local kept
local a = sim.algorithm{ name = "keeper", start = function(node) kept = node end }
sim.cluster{algorithm = a, nodes = 1}
sim.at(5, function() kept:send(1, {type = "X"}) end)
sim.run(10)
