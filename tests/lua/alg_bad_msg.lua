-- a message that cannot be copied: function, cycle or key (sim.args[1])
local what = sim.args[1]
local a = sim.algorithm{
  name = "bad_msg",
  start = function(node)
    local m = {type = "M", votes = {1, 2, {}}}
    if what == "function" then m.votes[3].f = print
    elseif what == "cycle" then m.votes[3].back = m.votes
    else m.votes[3][{}] = 1 end
    node:send(1, m)
  end,
}
sim.cluster{algorithm = a, nodes = 1}
sim.run(10)
