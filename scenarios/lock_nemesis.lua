-- Locks, lesson: test a lock design against random pauses, slow messages
-- and clock faults, many seeds at a time (`clustersim explore`).
--
-- A lease server (node 1) and its storage (node 2); four lock clients with
-- 300 ms leases that work 100-250 ms and then write with their token.
--   1. The network is usually fast, but a message now and then takes up to
--      several hundred milliseconds (a long-tailed latency): a write sent
--      inside the lease can land after it, and after the next holder's.
--   2. A nemesis pauses the lease server, steps and drifts its clock, and
--      crashes it (it restarts with its durable token counter).
--   3. With fencing the storage refuses every late write, whatever the
--      seed: `clustersim explore scenarios/lock_nemesis.lua --seeds 1..200`.
--      With `-P fencing=false` some seeds end in a lost update (exit 1),
--      and explore names each with the command that reproduces it.
params = {
  fencing = {true, "the storage rejects tokens lower than the highest it has seen"},
}
local c = sim.cluster{ algorithm = "lock", nodes = 2, config = { mode = "lease", ttl = 300, fencing = params.fencing } }
sim.network{ latency = sim.pareto(2, 1.2) }
sim.clients{ count = 4, workload = "lock", ttl = 300, hold = {100, 250}, backoff = 30, think = 10,
             timeout = 200, retries = 2 }
sim.nemesis{ faults = {"pause", "clock", "crash"}, interval = 700, duration = 200, clock_ms = 150 }
sim.run(8000)
local m = sim.metrics()
print(string.format("grants %d, writes accepted %d, rejected %d, overlapping beliefs %d",
                    m.lock.grants, m.lock.writes_accepted, m.lock.writes_rejected, m.locks.overlapping_belief))
sim.assert(m.lock.grants > 10, "the lock changes hands many times")
