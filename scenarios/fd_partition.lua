-- Failure detection, lesson 3: a detector cannot tell a crash from a partition.
--
-- Six nodes; at 1 s the network splits {1,2,3} | {4,5,6}. Each side stops
-- hearing the other and suspects all three nodes across the cut, although
-- every node is alive: from inside, a partition looks exactly like three
-- crashes. At 3 s the partition heals; the next heartbeat across the cut makes
-- each observer trust its peers again. Nothing was wrong with the detector:
-- "suspected" never meant "crashed".
local c = sim.cluster{ algorithm = "fdetect", nodes = 6,
                       config = { interval = 50, detector = "fixed", timeout = 200 } }
sim.network{ latency = sim.uniform(1, 5) }

local suspected, trusted = {}, {}
local function key(a, b) return a * 100 + b end
sim.on("suspect", function(ev) suspected[key(ev.node, ev.target)] = ev.t end)
sim.on("trust", function(ev) trusted[key(ev.node, ev.target)] = ev.t end)

sim.at(1000, function() sim.partition({1, 2, 3}, {4, 5, 6}) end)
sim.at(3000, sim.heal)
sim.run(4000)

local function side(i) return i <= 3 and 1 or 2 end
for a = 1, 6 do
  for b = 1, 6 do
    if a ~= b then
      local s = suspected[key(a, b)]
      if side(a) ~= side(b) then
        sim.assert(s and s > 1000 and s <= 1000 + 200 + 5,
                   string.format("node %d suspects %d across the cut within the timeout", a, b))
        local t = trusted[key(a, b)]
        sim.assert(t and t > 3000 and t <= 3000 + 50 + 5,
                   string.format("node %d trusts %d again within one heartbeat of healing", a, b))
      else
        sim.assert(s == nil, string.format("node %d never suspects %d on its own side", a, b))
      end
    end
  end
end
local m = sim.metrics()
print(string.format("%d suspicions, %d trusts; %d heartbeats dropped at the cut",
                    m.fdetect.suspicions, m.fdetect.trusts, m.messages.dropped_by.partition))
sim.assert(m.fdetect.suspicions == 18 and m.fdetect.trusts == 18, "3 x 3 pairs each way, once each")
