-- Errors of a cluster whose algorithm has no membership changes (Paxos), quoted by docs/lua-api.md.
local function try(f) local ok, e = pcall(f); print(ok and "no error" or e) end
local c = sim.cluster{ algorithm = "paxos", nodes = 3 }
try(function() c:add_node() end)
try(function() c:remove_node(1) end)
