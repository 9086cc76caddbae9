-- node code may not act on the cluster: sim.partition inside on_timer
local a = sim.algorithm{
  name = "meddler",
  start = function(node) node:timer("t", 5) end,
  on_timer = function(node, name) sim.partition({1}, {2}) end,
}
sim.cluster{algorithm = a, nodes = 2}
sim.run(100)
