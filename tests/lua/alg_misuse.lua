-- Mistakes a student makes with sim.algorithm and the node object, one per
-- argument (docs/lua-algorithms.md quotes each message).
local what = sim.args[1]
local function alg(cbs)
  cbs.name = cbs.name or "misuse"
  cbs.start = cbs.start or function(node) node:timer("go", 1) end
  return sim.algorithm(cbs)
end
if what == "builtin" then alg{name = "raft"}
elseif what == "nostart" then sim.algorithm{name = "x"}
elseif what == "notfn" then alg{on_message = 3}
elseif what == "unknown" then alg{on_msg = function() end}
end
local a = alg{
  on_timer = function(node, name)
    if what == "readonly" then node.role = "leader"
    elseif what == "field" then return node.term
    elseif what == "notype" then node:send(2, {b = 1})
    elseif what == "nonode" then node:send(7, {type = "Ping"})
    elseif what == "reply" then node:reply({}, {ok = true})
    end
  end,
}
sim.cluster{algorithm = a, nodes = 2}
sim.run(10)
