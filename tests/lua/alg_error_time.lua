-- An error at a time with decimals: the entry names it as %.3f would,
-- trailing zeros dropped (1203.4 ms, 0.005 ms).
local a = sim.algorithm{
  name = "late_error",
  start = function(node) node:timer("t", tonumber(sim.args[1])) end,
  on_timer = function(node, name) error("late") end,
}
sim.cluster{algorithm = a, nodes = 1}
sim.run(2000)
