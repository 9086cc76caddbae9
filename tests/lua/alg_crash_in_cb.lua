-- a captured cluster handle is refused inside node code too
local c
local a = sim.algorithm{
  name = "crasher",
  start = function(node) node:timer("t", 5) end,
  on_timer = function(node, name) c:crash(2) end,
}
c = sim.cluster{algorithm = a, nodes = 2}
sim.run(100)
