local c = sim.cluster{algorithm="fdetect", nodes=3}
setmetatable({}, {__gc = function() sim.log("written after the end record"); sim.run(sim.now() + 500) end})
sim.run(100)
