-- a Lua error inside on_message: exit 65, named callback, complete trace
local a = sim.algorithm{
  name = "boom",
  start = function(node) if node.id == 1 then node:send(2, {type = "Ping"}) end end,
  on_message = function(node, from, msg)
    error("boom from " .. from)
  end,
}
sim.cluster{algorithm = a, nodes = 2}
sim.network{latency = sim.const(3)}
sim.run(100)
