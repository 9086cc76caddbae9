local c = sim.cluster{ algorithm = "raft", nodes = 3, config = { election_timeout = { 1e300, 1e300 } } }
