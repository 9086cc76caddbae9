-- A long messages-level trace, for a reader that goes away early.
local c = sim.cluster{ algorithm = "raft", nodes = 5 }
sim.clients{ count = 4, rate = 200, workload = "kv", keys = 8 }
sim.run(2000000)
