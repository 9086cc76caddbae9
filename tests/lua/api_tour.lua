-- Exercises the parts of the sim module no shipped scenario uses, with an
-- expectation for each: membership, every/after, the remaining
-- distributions, the kill/loss/clock nemesis faults, client handles.
local c = sim.cluster{ algorithm = "fdetect", nodes = 3, config = { interval = 20, timeout = 100 } }
sim.network{ latency = sim.exponential(2), duplicate = 0.1 }
sim.link(1, 2, { latency = sim.lognormal(3, 0.5), fifo = true })

-- distributions sample within their support
for _, d in ipairs{ sim.const(4), sim.uniform(1, 2), sim.normal(5, 1), sim.exponential(3),
                    sim.lognormal(3, 0.5), sim.pareto(1, 2) } do
  local x = d:sample()
  sim.assert(x >= 0, tostring(d) .. " samples >= 0")
end
sim.assert(sim.const(4):sample() == 4, "const samples its value")

-- every / after; returning false stops an every
local ticks = 0
sim.every(10, function() ticks = ticks + 1; if ticks == 5 then return false end end)
local after_at
sim.after(25, function() after_at = sim.now() end)
sim.run(200)
sim.assert(ticks == 5, "sim.every stops when its function returns false (ticks " .. ticks .. ")")
sim.assert(after_at == 25, "sim.after runs once, 25 ms later")
sim.assert(type(sim.seed()) == "string" and sim.seed() == "1", "sim.seed() is the run's seed as a string")

-- membership: a new node joins and is heard from; a removed node is suspected
local id = c:add_node()
sim.assert(id == 4 and c:size() == 4, "add_node returns the new id")
local heard = false
sim.on("trust", function(ev) if ev.target == 4 then heard = true end end)
sim.run(400)
sim.assert(c:state(4).monitored == 3, "the new node monitors the three others")
c:remove_node(2)
local sent_to_2 = 0
sim.on("send", function(ev) if ev.dst == 2 then sent_to_2 = sent_to_2 + 1 end end)
local suspected2 = 0
sim.on("suspect", function(ev) if ev.target == 2 then suspected2 = suspected2 + 1 end end)
sim.run(700)
sim.assert(suspected2 == 3, "the removed node is suspected by the three remaining (" .. suspected2 .. ")")
sim.assert(not pcall(function() c:crash(2) end), "a removed node is no longer in the cluster")
sim.assert(sent_to_2 == 0, "nobody heartbeats a node that left the configuration")
sim.assert(sim.metrics().messages.duplicated > 0, "duplication happens")

-- the nemesis' kill, loss and clock faults
sim.nemesis{ faults = {"kill", "loss", "clock"}, interval = 100, duration = 50, stop = 2000 }
local kinds = {}
sim.on("nemesis", function(ev) if ev.phase == "start" then kinds[ev.fault] = true end end)
sim.run(2200)
for _, k in ipairs{"kill", "loss", "clock"} do sim.assert(kinds[k], "the nemesis applied a " .. k .. " fault") end
sim.assert(sim.metrics().faults > 0, "metrics count the faults")

-- client handles: idle clients appear on first use; pause, crash, restart
local cl = sim.client(2)
sim.assert(cl:id() == 2 and tostring(cl) == "client(2)", "client handle")
sim.assert(cl:outstanding() == 0, "an idle client has nothing outstanding")
cl:pause(10)
cl:crash()
sim.assert(not pcall(function() cl:submit{ op = "get", key = "x" } end), "a crashed client takes no operations")
cl:restart()
sim.run(2300)
