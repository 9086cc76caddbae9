-- An error part way through reading config: nothing read so far leaks (LeakSanitizer).
local c = sim.cluster{ algorithm = "raft", nodes = 3,
                       config = { a_string = "kept", election_timeout = { 1, "x" }, heartbeat = 50 } }
