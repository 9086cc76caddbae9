-- Errors of a raft cluster that docs/lua-api.md quotes.
local function try(f) local ok, e = pcall(f); print(ok and "no error" or e) end
local c = sim.cluster{ algorithm = "raft", nodes = 3 }
try(function() c:add_node() end)
try(function() c:remove_node(1) end)
