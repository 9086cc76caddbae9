-- The error messages docs/lua-api.md quotes, one pcall each, printed in
-- order; tests/docs.t runs this and checks that the doc quotes them as the
-- code words them. Run: ./clustersim run docs/examples/api-errors.lua
local function try(f) local ok, e = pcall(f); print(ok and "no error" or e) end
local nop = function() end

-- before the cluster exists
try(function() sim.after(-5, nop) end)
try(function() sim.after(2e12, nop) end)
try(function() sim.every(0, nop) end)
try(function() sim.network{ los = 1 } end)
try(function() sim.network{ loss = 1.5 } end)
try(function() sim.network{ latency = "x" } end)
try(function() sim.network{ latency = -1 } end)
try(function() sim.cluster{ nodes = 3 } end)
try(function() sim.cluster{ algorithm = "rafft" } end)
try(function() sim.cluster{ algorithm = "fdetect", nodez = 3 } end)
try(function() sim.cluster{ algorithm = "fdetect", config = { intervall = 3 } } end)
try(function() sim.cluster{ algorithm = "fdetect", config = { detector = "psi" } } end)
try(function() sim.cluster{ algorithm = "fdetect", config = { timeout = "x" } } end)
try(function() sim.cluster{ algorithm = "raft", config = { election_timeout = {} } } end)
try(function() sim.nemesis{} end)
try(function() sim.client(1):submit{ op = "get" } end)
try(function() return sim.rnu end)

local c = sim.cluster{ algorithm = "fdetect", nodes = 3 }
try(function() sim.cluster{ algorithm = "fdetect" } end)
try(function() c:crash(7) end)
c:crash(2)
try(function() c:crash(2) end)
try(function() c:pause(2) end)
c:restart(2)
try(function() c:restart(2) end)
try(function() c:resume(2) end)
try(function() c:clock(1, { step = 2e12 }) end)
try(function() c:clock(1, { drift_ppm = -1e6 }) end)
try(function() c:clock(1, { bogus = 1 }) end)

-- distributions
try(function() sim.uniform(5, 1) end)
try(function() sim.exponential(0) end)
try(function() sim.lognormal(0, 1) end)
try(function() sim.lognormal(1, 20) end)
try(function() sim.pareto(0, 1) end)
try(function() sim.pareto(1, 0) end)
print(sim.uniform(5, 15))

-- partitions
try(function() sim.partition() end)
try(function() sim.partition({1}, "x") end)
try(function() sim.partition({1}, {2, 9}) end)
try(function() sim.partition({1, 2}, {2}) end)

-- clients and the nemesis
try(function() sim.clients{ workload = "kv" } end)
try(function() sim.clients{ rate = 1, read_ratio = 0.6, cas_ratio = 0.6 } end)
try(function() sim.clients{ workload = "x" } end)
try(function() sim.nemesis{ faults = {"x"} } end)
local me = sim.client(1)
try(function() me:submit{} end)
try(function() me:submit{ op = "get", key = string.rep("k", 48) } end)
try(function() me:submit{ op = "get", bogus = 1 } end)
try(function() for _ = 1, 17 do me:submit{ op = "get", key = "x" } end end)
try(function() me:clock{ offset = 1 } end)
local two = sim.client(2)
try(function() sim.sorted({ [true] = 1 })() end)
try(function() return no_such_global end)

-- scheduling and running
sim.run(100)
try(function() sim.at(50, nop) end)
sim.run(1000)
try(function() sim.run(500) end)
me:crash()
try(function() me:submit{ op = "get" } end)
try(function() me:pause() end)
try(function() me:crash() end)
try(function() two:restart() end)
