local ok, err = pcall(sim.cluster, {algorithm="fdetect", nodes=3, config={bogus=1}})
sim.assert(not ok, "the bad cluster is refused")
local c = sim.cluster{algorithm="fdetect", nodes=3}
sim.assert(c:size() == 3, "a second attempt builds the cluster")
sim.at(1, function() end)
sim.run(10)
