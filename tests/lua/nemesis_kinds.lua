-- Every extended nemesis fault kind, each aimed at a target, for the
-- explore tests: the run must stay safe and the trace must show them.
params = { kind = {"crash", "the one fault kind to run"}, target = {"any", "its target"},
           max_down = {0, "max_down (0: none)"} }
local c = sim.cluster{ algorithm = "raft", nodes = 5, config = { election_timeout = {150, 300}, heartbeat = 50 } }
sim.network{ latency = sim.uniform(1, 10) }
sim.clients{ count = 2, closed = true, think = 5, keys = 3, timeout = 300, retries = 5, stop = 3000 }
local whole = params.kind == "loss" or params.kind == "duplicate" or params.kind == "reorder"
sim.nemesis{ interval = sim.uniform(50, 150), duration = sim.loguniform(10, 400), start = 200, stop = 3000,
             max_down = params.max_down,
             faults = { {kind = params.kind, target = (not whole) and params.target or nil} } }
sim.run(4500)
sim.assert(sim.run_until(function() return c:leader() ~= nil end, 3000), "a leader after the faults")
