-- Failure detection, lesson 6: what the phi threshold means, reproduced from
-- the paper (Hayashibara et al., "The phi Accrual Failure Detector", 2004).
--
-- phi(t) = -log10(1 - F(t - T_last)): F is the normal CDF fitted to the recent
-- inter-arrival times of heartbeats. phi = 8 means "if the node were alive, a
-- silence this long would happen with probability 1e-8". For a normal
-- distribution that is z = 5.61 standard deviations above the mean gap.
-- Published figure (reference/README.md): with heartbeats every 100 ms and
-- 10 ms of jitter, phi reaches 8 about 56 ms after a heartbeat is due.
--
-- Here: heartbeats every 100 ms; one-way latency normal(40 ms, 7.07 ms), so
-- the gap between two arrivals, 100 + L2 - L1, has a standard deviation of
-- sqrt(2) * 7.07 = 10 ms. After 1000 heartbeats (a full window) node 2
-- crashes; each observer suspects it when phi reaches 8, and we measure how
-- long after the missing heartbeat was due that happens.
params = {
  threshold = {8, "phi threshold"},
  jitter    = {10, "standard deviation of the inter-arrival time, ms"},
}

local interval = 100
local c = sim.cluster{ algorithm = "fdetect", nodes = 5,
                       config = { interval = interval, detector = "phi", threshold = params.threshold,
                                  window = 1000, min_std = 0 } }
-- Mean 40 ms keeps the normal latency far from zero (no clamping below 0).
sim.network{ latency = sim.normal(40, params.jitter / math.sqrt(2)) }

local last = {}        -- observer -> true time (ms) of the last heartbeat from node 2
sim.on("recv", function(ev)
  if ev.src == 2 and ev.msg == "Heartbeat" then last[ev.dst] = ev.t end
end)
local after_due = {}
local crash_at = (1000 + 5) * interval
-- Only suspicions after the crash: in the first few heartbeats the window
-- holds one or two gaps and min_std = 0, so phi fires almost at once.
sim.on("suspect", function(ev)
  if ev.target == 2 and ev.t > crash_at then after_due[#after_due + 1] = ev.t - last[ev.node] - interval end
end)

sim.at(crash_at, function() c:crash(2) end)
sim.run(crash_at + 2000)

-- z for the threshold: Q(z) = 10^-threshold, by bisection on the normal tail.
local function tail(z)   -- Q(z) via the complementary error function series (erfc)
  -- Abramowitz-Stegun 7.1.26 is too coarse this far out; integrate instead.
  local sum, step, x = 0, 0.0005, z
  while x < z + 12 do
    sum = sum + math.exp(-x * x / 2) * step
    x = x + step
  end
  return sum / math.sqrt(2 * math.pi)
end
local lo, hi = 0, 40
for _ = 1, 60 do
  local mid = (lo + hi) / 2
  if tail(mid) > 10 ^ -params.threshold then lo = mid else hi = mid end
end
local z = (lo + hi) / 2
local expected = z * params.jitter

sim.assert(#after_due == 4, "all four observers suspect the crashed node")
table.sort(after_due)
local sum = 0
for _, d in ipairs(after_due) do sum = sum + d end
local mean = sum / #after_due
print(string.format("phi = %g reached %.1f ms after the heartbeat was due (observers: %.1f .. %.1f ms)",
                    params.threshold, mean, after_due[1], after_due[#after_due]))
print(string.format("theory: z = %.2f standard deviations = %.1f ms; published: about 56 ms for phi = 8, 10 ms jitter",
                    z, expected))
-- Tolerance: the detector estimates mean and deviation from 1000 samples;
-- the deviation's standard error is about 1/sqrt(2n) = 2.2 %, i.e. ~1.3 ms
-- at 5.6 sigma, plus the sampling of the last gap itself. 6 ms is ~4 errors.
sim.assert(math.abs(mean - expected) <= 6,
           string.format("measured %.1f ms vs %.1f ms expected", mean, expected))
