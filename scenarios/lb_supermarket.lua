-- Load balancing, lesson 1: the power of two choices, reproduced
-- (Mitzenmacher, "The Power of Two Choices in Randomized Load Balancing",
-- IEEE TPDS 2001; reference/README.md "Load balancing").
--
-- The supermarket model: n FIFO servers, exponential service with mean 1,
-- Poisson arrivals at rate lambda * n. Each request samples d servers and
-- joins the shortest queue. As n grows, the fraction of queues with at least
-- i requests tends to pi_i = lambda^((d^i - 1)/(d - 1)) and the mean time in
-- system to T_d = sum_{i>=1} lambda^((d^i - d)/(d - 1)). For d = 1 (random)
-- that is M/M/1: 1/(1 - lambda). d = 2 already turns the exponential tail of
-- queue lengths into a doubly exponential one.
--
-- Here: n = 100 servers behind one balancer with policy power_of_d (d = 1 is
-- the same as random), service sim.exponential(1) (time unit: 1 ms), a
-- network with no delay, so the time a balancer sees from a request's
-- arrival to its answer is exactly the time in system. The arrival rate
-- steps through the lambdas, one phase each: a warm-up (queues relax from
-- the previous load), then `batches` batches whose means give the 95 %
-- confidence interval of the mean (batch means; each batch is many
-- relaxation times long, so the batches are close to independent). The
-- scenario snapshots sim.metrics().lb at each batch boundary and differences
-- the cumulative sums, so no Lua runs per request.
--
-- What it asserts, for each lambda:
--   * the simulated mean time is within 3 CI of the theory plus the
--     finite-n allowance below, and not below the theory by more than 3 CI:
--     finite n sits slightly ABOVE the n -> infinity limit;
--   * the fractions of queues with >= 1, 2, 3 requests are within 0.02 of
--     pi_i plus the same relative finite-n allowance.
--   * at lambda >= 0.9 the simulation sits above the limit: the excess is
--     resolved (larger than the interval), so it is the model's, not noise.
-- The finite-n allowance: the limit's error is O(1/n) and grows as lambda
-- -> 1, where queues stay correlated longer; at n = 100 the excess measured
-- here (seed 1) is within the noise up to 0.8, about 2 % at 0.9 and 2-3 % at
-- 0.95 (d = 2 and 3), so we allow 1.5 % + 0.1 % / (1 - lambda): 2.5 % at
-- 0.9, 3.5 % at 0.95. Batches are 60/(1 - lambda) ms long for d >= 2
-- (1.2 s at 0.95), which brings the interval near 1 %.
-- Run with -P d=1 or -P d=3 for the other columns of the reference table.
params = {
  d       = {2, "choices per request (1 = random, M/M/1)"},
  n       = {100, "servers"},
  lambdas = {"0.5,0.7,0.8,0.9,0.95", "loads per server, comma-separated"},
  batches = {30, "batches per load (confidence interval)"},
  clients = {100, "Poisson sources (their sum is Poisson at lambda * n)"},
}

local d, n = params.d, params.n
local lambdas = {}
for x in string.gmatch(params.lambdas, "[^,]+") do lambdas[#lambdas + 1] = tonumber(x) end

local c = sim.cluster{ algorithm = "lb", nodes = n + 1,
                       config = { policy = "power_of_d", d = d, service = sim.exponential(1) } }
sim.network{ latency = sim.const(0) }

local function theory_T(lambda)
  if d == 1 then return 1 / (1 - lambda) end
  local sum, i = 0, 1
  while true do
    local term = lambda ^ ((d ^ i - d) / (d - 1))
    sum = sum + term
    if term < 1e-12 or i > 60 then return sum end
    i = i + 1
  end
end
local function theory_pi(lambda, i)
  if d == 1 then return lambda ^ i end
  return lambda ^ ((d ^ i - 1) / (d - 1))
end

-- Relaxation time, in service times: 1/(1 - sqrt(lambda))^2 for M/M/1 (380
-- at 0.9); with d >= 2 queues hold a few requests and the system forgets
-- its state on the scale of the time in system, 1/(1 - lambda) at most.
local function relax(lambda)
  if d == 1 then return 1 / (1 - math.sqrt(lambda)) ^ 2 end
  return 1 / (1 - lambda)
end

local function snap()
  local m = sim.metrics().lb
  local s = { t = sim.now(), sum = m.latency_sum_all, count = m.latency_count_all, area = {} }
  for i = 1, 3 do s.area[i] = m.queue_area[i] end
  return s
end

local function mean_ci(xs)
  local k, m = #xs, 0
  for _, x in ipairs(xs) do m = m + x end
  m = m / k
  local ss = 0
  for _, x in ipairs(xs) do ss = ss + (x - m) ^ 2 end
  -- Student's t, 97.5 %: 2.045 for 29 degrees of freedom; 1.96 + 2.4/dof in general
  local t = 1.96 + 2.4 / (k - 1)
  return m, t * math.sqrt(ss / (k - 1) / k)
end

local rows = {}
for _, lambda in ipairs(lambdas) do
  local batch = math.max(200, math.ceil((d == 1 and 4 or 60) * relax(lambda)))
  local warm = math.max(300, math.ceil(10 * relax(lambda)))
  local start = sim.now()
  local stop = start + warm + params.batches * batch
  sim.clients{ count = params.clients, workload = "lb", rate = lambda * n * 1000 / params.clients,
               max_outstanding = 64, timeout = 1e9, start = start, stop = stop }
  sim.run(start + warm)
  local prev = snap()
  local means, fr = {}, { {}, {}, {} }
  for _ = 1, params.batches do
    sim.run(sim.now() + batch)
    local s = snap()
    means[#means + 1] = (s.sum - prev.sum) / (s.count - prev.count)
    for i = 1, 3 do fr[i][#fr[i] + 1] = (s.area[i] - prev.area[i]) / (n * (s.t - prev.t)) end
    prev = s
  end
  local T, ci = mean_ci(means)
  local row = { lambda = lambda, T = T, ci = ci, theory = theory_T(lambda), pi = {}, pi_ci = {} }
  for i = 1, 3 do row.pi[i], row.pi_ci[i] = mean_ci(fr[i]) end
  rows[#rows + 1] = row
  -- let the last phase's requests finish before the next load starts
  sim.run(stop + 50)
end

print(string.format("supermarket model, n = %d, d = %d (%s), exponential service mean 1, %d batches per load",
                    n, d, d == 1 and "random: M/M/1" or "power_of_d", params.batches))
print(string.format("%-6s %9s %9s %8s %8s   %-17s %-17s %-17s", "lambda", "T theory", "T sim", "+-95%",
                    "gap", "P(q>=1) th/sim", "P(q>=2) th/sim", "P(q>=3) th/sim"))
for _, r in ipairs(rows) do
  local cells = {}
  for i = 1, 3 do cells[i] = string.format("%.4f/%.4f", theory_pi(r.lambda, i), r.pi[i]) end
  print(string.format("%-6.2f %9.4f %9.4f %8.4f %+7.2f%%   %-17s %-17s %-17s", r.lambda, r.theory, r.T, r.ci,
                      100 * (r.T - r.theory) / r.theory, cells[1], cells[2], cells[3]))
end

for _, r in ipairs(rows) do
  local allow = 0.015 + 0.001 / (1 - r.lambda)
  sim.assert(r.T >= r.theory - 3 * r.ci,
             string.format("lambda %.2f: T = %.4f is below the limit %.4f by more than 3 CI (%.4f)", r.lambda,
                           r.T, r.theory, r.ci))
  sim.assert(r.T <= r.theory * (1 + allow) + 3 * r.ci,
             string.format("lambda %.2f: T = %.4f is above the limit %.4f by more than %.1f %% + 3 CI (%.4f)",
                           r.lambda, r.T, r.theory, 100 * allow, r.ci))
  if r.lambda >= 0.9 and d >= 2 then
    sim.assert(r.T > r.theory, string.format("lambda %.2f: finite n should sit above the limit, T = %.4f <= %.4f",
                                             r.lambda, r.T, r.theory))
  end
  for i = 1, 3 do
    local th = theory_pi(r.lambda, i)
    sim.assert(math.abs(r.pi[i] - th) <= 0.02 + allow * th + 3 * r.pi_ci[i],
               string.format("lambda %.2f: P(queue >= %d) = %.4f, the fixed point is %.4f", r.lambda, i, r.pi[i], th))
  end
end
