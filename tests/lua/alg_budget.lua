-- a runaway loop in on_timer: the per-callback budget stops it
local a = sim.algorithm{
  name = "spin",
  start = function(node) node:timer("t", 1) end,
  on_timer = function(node, name) while true do end end,
}
sim.cluster{algorithm = a, nodes = 1}
sim.run(10)
