sim.log("before the cluster")
local c = sim.cluster{algorithm="fdetect", nodes=3}
sim.log("after")
sim.run(10)
