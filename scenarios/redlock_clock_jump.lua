-- Locks, lesson: Redlock trusts every server's clock; one clock that jumps
-- breaks mutual exclusion (Kleppmann 2016, "Redlock, clock jump").
--
-- Five independent Redlock servers A..E (nodes 1..5) and the storage (node
-- 6). Leases last 10 s; a client needs 3 of the 5.
--   1. Client 1 cannot reach D and E. It locks A, B and C, and computes its
--      validity on its own clock: 10 s - elapsed - (1 % of 10 s + 2 ms). It
--      works for 5 s before writing.
--   2. At 1 s C's clock jumps 9.5 s forward (an NTP step): C expires the key
--      at once, on its own clock, as Redlock prescribes.
--   3. At 3 s client 2, which cannot reach A and B, locks C, D and E. Both
--      clients now believe they hold the lock (an overlapping_belief record).
--   4. Client 2 writes first, with token 2 (C's second grant); client 1 wakes
--      from its work at 5 s and writes with token 1. With fencing the
--      storage rejects it; with `-P fencing=false` it is a lost update and
--      the run exits 1. The tokens here are independent servers' counters:
--      had client 1 written first, no token could have saved the storage,
--      because Redlock's two holds really did overlap.
params = {
  fencing = {true, "the storage rejects tokens lower than the highest it has seen"},
  jump = {9500, "how far C's clock jumps forward at 1 s (ms); below 9000 it does not expire the key"},
}
local c = sim.cluster{ algorithm = "lock", nodes = 6,
                       config = { mode = "redlock", ttl = 10000, fencing = params.fencing } }
sim.network{ latency = sim.const(1) }
local c1 = sim.clients{ count = 1, workload = "lock", ttl = 10000, hold = 5000, think = 1e6, backoff = 0,
                        timeout = 10, retries = 0 }[1]
local c2 = sim.clients{ count = 1, workload = "lock", ttl = 10000, hold = 100, think = 1e6, backoff = 0,
                        timeout = 10, retries = 0, start = 3000 }[1]
for _, n in ipairs{4, 5} do sim.block(c1, n); sim.block(n, c1) end
for _, n in ipairs{1, 2} do sim.block(c2, n); sim.block(n, c2) end

local held, overlap = {}, nil
sim.on("lock_held", function(r) held[r.client] = r end)
sim.on("overlapping_belief", function(r) overlap = overlap or r end)

sim.run(500)
sim.assert(held[1] and c:state(1).holder == 1 and c:state(3).holder == 1, "client 1 holds A, B and C")
print(string.format("t=%5.0f  client 1 holds A, B, C (token %d, validity %.0f ms on its clock)",
                    held[1].t, held[1].token, held[1].validity_ms))
sim.at(1000, function() c:clock(3, { step = params.jump }) end)
sim.run(2000)
print(string.format("t=%5.0f  C's clock jumped %d ms: C holds %d keys", sim.now(), params.jump, c:state(3).held))
sim.run(4000)
if params.jump < 9000 then
  -- C's clock did not reach the lease's end: C still refuses client 2
  sim.assert(held[2] == nil, "without the jump client 2 cannot get a majority")
  print(string.format("t=%5.0f  client 2 has no majority: C still holds client 1's key", sim.now()))
  return
end
sim.assert(held[2] ~= nil, "client 2 locks C, D and E")
print(string.format("t=%5.0f  client 2 holds C, D, E (token %d)", held[2].t, held[2].token))
sim.assert(overlap ~= nil, "both clients believe they hold the lock")
print(string.format("t=%5.0f  overlapping belief: clients %d and %d", overlap.t, overlap.other, overlap.client))
sim.run(6000)
local m = sim.metrics()
print(string.format("storage: %d writes accepted, %d rejected; its value is %s",
                    m.lock.writes_accepted, m.lock.writes_rejected, c:state(6).value))
sim.assert(m.lock.writes_rejected == 1 and c:state(6).value == "c2.1", "fencing rejected client 1's late write")
