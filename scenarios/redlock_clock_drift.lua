-- Locks, lesson: Redlock's drift allowance is a bet on clock rates; a server
-- clock running fast by more than it opens the same window as a jump
-- (Kleppmann 2016; the Redlock description's validity formula).
--
-- Five Redlock servers A..E (nodes 1..5), storage node 6, 10 s leases.
--   1. C's clock runs fast by `drift_ppm` parts per million from the start.
--   2. Client 1, cut off from D and E, locks A, B and C at 0 s. Its validity,
--      on its own (accurate) clock, is 10 s - elapsed - (0.01 x 10 s + 2 ms),
--      about 9888 ms. Its work takes longer than that, so it simply believes
--      it holds the lock until the validity is over, then gives up.
--   3. Client 2, cut off from A and B, asks C, D and E every 20 ms or so. It
--      gets the lock as soon as C's fast clock expires client 1's key, at
--      about 10 s / (1 + drift) of true time.
--   4. When that is earlier than client 1's validity end the two beliefs
--      overlap: drift above about 1.1 % (the 1 % allowance plus the 2 ms and
--      elapsed time). Below it the allowance absorbs the drift.
-- Sweep it: `-P drift_ppm=5000` (no overlap), `-P drift_ppm=12000`,
-- `-P drift_ppm=20000` (overlap, about 50 ms of it: client 2 asks every 20-40 ms).
params = {
  drift_ppm = {20000, "how fast C's clock runs (parts per million)"},
}
local ttl, factor = 10000, 0.01
local c = sim.cluster{ algorithm = "lock", nodes = 6,
                       config = { mode = "redlock", ttl = ttl, drift_factor = factor } }
sim.network{ latency = sim.const(1) }
c:clock(3, { drift_ppm = params.drift_ppm })
local c1 = sim.clients{ count = 1, workload = "lock", ttl = ttl, hold = 20000, think = 1e6, backoff = 0, stop = 5000,
                        timeout = 10, retries = 0 }[1]
local c2 = sim.clients{ count = 1, workload = "lock", ttl = ttl, hold = 100, think = 1e6, backoff = 20,
                        timeout = 10, retries = 0, start = 100 }[1]
for _, n in ipairs{4, 5} do sim.block(c1, n); sim.block(n, c1) end
for _, n in ipairs{1, 2} do sim.block(c2, n); sim.block(n, c2) end

local held, dropped = {}, {}
sim.on("lock_held", function(r) held[r.client] = held[r.client] or r end)
sim.on("lock_dropped", function(r) dropped[r.client] = dropped[r.client] or r end)

sim.run(15000)
local m = sim.metrics()
sim.assert(held[1] and held[2], "both clients got the lock in turn")
local valid_end = dropped[1].t
local expire_at = ttl / (1 + params.drift_ppm / 1e6)
print(string.format("C drifts %d ppm: C expires client 1's key at about %.0f ms; client 1 believes until %.0f ms;" ..
                    " client 2 holds from %.0f ms", params.drift_ppm, expire_at, valid_end, held[2].t))
print(string.format("overlapping beliefs: %d (%.0f ms)", m.locks.overlapping_belief, m.locks.overlap_ms))
-- the allowance, as a clock rate: C must lose (allowance + elapsed) over ttl
local threshold_ppm = 1e6 * (ttl / (ttl - factor * ttl - 2 - (held[1].t)) - 1)
print(string.format("predicted threshold: %.0f ppm", threshold_ppm))
if params.drift_ppm > threshold_ppm + 3000 then
  sim.assert(m.locks.overlapping_belief == 1, "above the allowance the beliefs overlap")
elseif params.drift_ppm < threshold_ppm - 1000 then
  sim.assert(m.locks.overlapping_belief == 0, "within the allowance they do not")
end
