-- With --check-every huge, Raft's checker still drains its observation
-- queue (so its memory does not grow with N): checks happen anyway.
local c = sim.cluster{ algorithm = "raft", nodes = 5 }
sim.clients{ count = 4, rate = 200, workload = "kv", keys = 8 }
sim.run(20000)
local m = sim.metrics()
print("checks", m.checks, "events", m.events)
sim.assert(m.checks > 0, "the queue forced checks")
