-- check returning false is a violation (exit 1) naming the invariant
local a = sim.algorithm{
  name = "counter",
  start = function(node) node.state.n = 0; node:timer("t", 10) end,
  on_timer = function(node) node.state.n = node.state.n + 1; node:timer("t", 10) end,
  check = function(cluster)
    local s = cluster:state(1)
    if s and s.n > 3 then return false, "node 1 counted to " .. s.n, "at_most_three" end
    return true
  end,
}
sim.cluster{algorithm = a, nodes = 1}
sim.run(100)
