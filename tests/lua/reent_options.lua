-- Options and config tables whose metamethods call sim.cluster, delete keys
-- and collect garbage (an abort and a use-after-free once): read raw.
local cfg = setmetatable({ interval = 50 }, { __index = function(t, k)
  for kk in pairs(t) do t[kk] = nil end
  collectgarbage()
  return nil
end })
local opts = setmetatable({ algorithm = "fdetect", nodes = 3, config = cfg },
                          { __index = function() sim.cluster{ algorithm = "fdetect" } end })
local c = sim.cluster(opts)
local r = setmetatable({}, { __index = function() sim.cluster{ algorithm = "fdetect" } return 1 end,
                             __len = function() return 2 end })
print(pcall(sim.network, { latency = sim.uniform(1, 2), loss = setmetatable({}, { __index = r }) }))
params = setmetatable({}, { __index = function() c:add_node() end })
sim.assert(c:size() == 3, "nothing ran behind the engine's back")
sim.run(10)
