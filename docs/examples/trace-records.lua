-- One of each record docs/trace.md shows that no shipped scenario writes:
-- membership, a pause without a length, a clock offset, client faults, a log.
-- ./clustersim run docs/examples/trace-records.lua --trace out/records.jsonl --trace-level messages
local c = sim.cluster{ algorithm = "fdetect", nodes = 4 }
local me = sim.client(1)
sim.at(100, function() c:pause(2) end)
sim.at(200, function() c:resume(2) end)
sim.at(300, function() c:clock(3, { offset = 20 }) end)
sim.at(400, function() sim.log("phase", 2, "starts; leader is", c:leader()) end)
sim.at(500, function() me:pause(50) end)
sim.at(600, function() me:crash() end)
sim.at(700, function() me:restart() end)
sim.at(800, function() c:add_node() end)
sim.at(900, function() c:remove_node(1) end)
sim.run(1000)
