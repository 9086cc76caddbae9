-- Mistakes with the thesis features, each caught with a message (docs/lua-api.md).
local function try(f) local ok, err = pcall(f); print((tostring(err):gsub("^[^:]*:%d+: ", ""))) end
try(function() sim.cluster{ algorithm = "raft", nodes = 3, config = { read = "leases" } } end)
try(function() sim.cluster{ algorithm = "raft", nodes = 3, config = { read = "log", read_index = true } } end)
try(function() sim.cluster{ algorithm = "raft", nodes = 3, disk = "slow" } end)
local c = sim.cluster{ algorithm = "raft", nodes = 3, disk = sim.uniform(2, 8) }
sim.run(1000)
local l = c:leader()
try(function() c:transfer_leadership(l) end)
try(function() c:transfer_leadership(9) end)
try(function() c:disk(9, sim.const(1)) end)
