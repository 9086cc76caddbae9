-- The refusals docs/lua-api.md quotes in "The sandbox", each caught with
-- pcall so that one run shows them all (they are ordinary script errors;
-- only the run-ending stops pass through pcall).
local c = sim.cluster{ algorithm = "fdetect", nodes = 3 }
local function try(f, ...) print(select(2, pcall(f, ...))) end

-- a sim call from a metamethod that another sim call runs
try(sim.log, setmetatable({}, { __tostring = function() c:crash(1); return "x" end }))
-- metatables on argument tables are not consulted: neither function runs
local g = setmetatable({ 1 }, { __index = function() c:add_node() end, __len = function() c:add_node(); return 3 end })
sim.partition(g, { 3 })
print("nodes after partition:", c:size())
sim.heal()
-- __gc finalisers
try(setmetatable, {}, { __gc = function() end })
-- sim.run and sim.run_until outside the main chunk
sim.at(10, function() try(sim.run, 2000) end)
sim.on("crash", function() try(sim.run_until, function() return true end, 10) end)
sim.at(20, function() c:crash(2) end)
local asked = false
sim.run_until(function()
  if not asked then asked = true; try(sim.run, 265) end
  return sim.now() >= 30
end, 200)
-- numbers are quoted as given
try(c.crash, c, 4294967297)
try(sim.client, 100001)
-- clock steps add up
local cl = sim.client(1)
try(function() for i = 1, 3 do cl:clock{ step = 6e11 } end end)
-- node handles in partition groups
sim.partition({ c:node(1) }, { 2, c:node(3) })
print("partitioned with handles")
