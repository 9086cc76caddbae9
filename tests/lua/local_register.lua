-- A register that is not linearizable and breaks no invariant: each node
-- keeps its own copy and answers at once, so a read at one node misses a
-- write acknowledged by another. Only the history check (explore --check)
-- can tell.
local reg = sim.algorithm{
  name = "local_register",
  start = function(node) node.state.kv = {} end,
  on_request = function(node, req)
    if req.op == "put" then
      node.state.kv[req.key] = req.value
      node:reply(req, {ok = true})
    elseif req.op == "get" then
      node:reply(req, {ok = true, value = node.state.kv[req.key]})
    else
      node:reply(req, {fail = "unknown op " .. req.op})
    end
  end,
  on_timer = function() end,
  on_message = function() end,
}
sim.cluster{ algorithm = reg, nodes = 3 }
sim.network{ latency = sim.uniform(1, 5) }
sim.clients{ count = 3, closed = true, think = 2, keys = 2, read_ratio = 0.5, stop = 300 }
sim.run(400)
