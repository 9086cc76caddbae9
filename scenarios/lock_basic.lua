-- Locks, lesson: a lease lock server with fencing tokens, working as meant.
--
-- Node 1 is the lease server, node 2 the storage the lock protects. Three
-- clients take turns: each acquires the lock "lock" for a 1 s lease, works
-- for 50-150 ms, writes to the storage with its token, releases, thinks for
-- 20 ms and starts over; a client told "held" backs off for 20-60 ms.
--   1. Every grant carries a token one higher than the last (the server
--      makes its counter durable before it answers).
--   2. No two clients ever believe they hold the lock at the same true
--      instant: each releases well within its lease, by its own clock.
--   3. The storage accepts every write (each token is the highest it has
--      seen) and rejects none.
-- Try `-P clients=10` (more refusals, the same safety) or `-P hold=2000`:
-- work that outlasts the lease is abandoned by each client, on its own
-- clock, before it writes.
params = {
  clients = {3, "lock clients"},
  hold = {100, "mean work time inside the lock (ms)"},
  fencing = {true, "the storage rejects tokens lower than the highest it has seen"},
}
local c = sim.cluster{ algorithm = "lock", nodes = 2, config = { mode = "lease", ttl = 1000, fencing = params.fencing } }
sim.network{ latency = sim.uniform(1, 3) }
sim.clients{ count = params.clients, workload = "lock", ttl = 1000, hold = {params.hold / 2, params.hold * 3 / 2},
             backoff = 40, think = 20, timeout = 100 }

local last, increasing, grants = 0, true, 0
sim.on("lock_grant", function(r)
  grants = grants + 1
  if r.token <= last then increasing = false end
  last = r.token
end)

sim.run(10000)
local m = sim.metrics()
print(string.format("grants %d (last token %d), refused %d, writes accepted %d, rejected %d, overlapping beliefs %d",
                    grants, last, m.lock.refused, m.lock.writes_accepted, m.lock.writes_rejected,
                    m.locks.overlapping_belief))
sim.assert(grants > 5, "clients take turns many times")
sim.assert(increasing, "every grant's token is higher than the last")
sim.assert(m.locks.overlapping_belief == 0, "no two clients ever believed they held the lock at once")
sim.assert(m.lock.writes_rejected == 0, "the storage rejects no write")
if params.hold < 900 then
  sim.assert(m.lock.writes_accepted == grants or m.lock.writes_accepted == grants - 1,
             "every holder but perhaps the last one writes")
end
