-- Groups may hold node handles, as sim.block and sim.link accept.
local c = sim.cluster{ algorithm = "fdetect", nodes = 3 }
sim.partition({ c:node(1) }, { 2, c:node(3) })
sim.run(100)
