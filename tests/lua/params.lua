params = { nodes = {3, "cluster size"}, detector = {"fixed", "fixed or phi"}, verbose = {false, "print more"} }
local c = sim.cluster{ algorithm = "fdetect", nodes = params.nodes, config = { detector = params.detector } }
sim.run(10)
print("nodes=" .. params.nodes .. " detector=" .. params.detector .. " verbose=" .. tostring(params.verbose) .. " args=" .. table.concat(sim.args, ","))
