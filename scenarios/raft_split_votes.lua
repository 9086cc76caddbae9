-- Raft, lesson: randomised election timeouts make split votes rare, and how
-- rare depends on the network latency relative to the timeout range (thesis
-- chapter 9; paper §9.3).
--
-- Five servers, constant one-way latency. Trial after trial the leader
-- crashes at a random moment of its heartbeat interval; the four survivors
-- last heard it at the same instant, so their timeouts start together and
-- expire uniformly over the range. The first to expire asks for votes; its
-- RequestVote takes `latency` ms to arrive, and a server whose own timeout
-- expires in that window becomes a rival candidate. With 4 servers up and 3
-- votes needed, the first election splits when 2 of the other 3 expire within
-- the window. The scenario counts trials whose first election (term + 1)
-- did not produce a leader, and sets the rate beside
--   * the thesis formula, Pr = sum_{k=c-1}^{s} C(s,k) l^k (1-l)^(s-k) with
--     s = 4, c = s - floor(n/2) + 1 = 3 and l = latency / (max - min);
--   * the exact probability of this model ("2 of the other 3 within l of the
--     first"), by Monte Carlo from the script's own seeded stream.
-- For these numbers the two agree to a few hundredths of a point (5.2 % at
-- l = 0.1, 18.1 % at l = 0.2). The measured rate must lie within 4 standard
-- errors of a binomial proportion over the trials (about 2 points at 2000
-- trials: sampling noise; across seeds the rate ranges over about 4-6.5 %)
-- plus half a point (a trial is not perfectly independent of the one before:
-- the restarted node and the survivors' timers carry over).
params = {
  trials  = {2000, "leader crashes"},
  latency = {15, "one-way latency, ms"},
  tmin    = {150, "election timeout min, ms"},
  tmax    = {300, "election timeout max, ms"},
}

local c = sim.cluster{ algorithm = "raft", nodes = 5,
                       config = { election_timeout = {params.tmin, params.tmax}, heartbeat = 50 } }
sim.network{ latency = sim.const(params.latency) }

local function binom(n, k)
  local r = 1
  for i = 1, k do r = r * (n - k + i) / i end
  return r
end
local l = params.latency / (params.tmax - params.tmin)
local s, n = 4, 5
local cc = s - n // 2 + 1
local formula = 0
for k = cc - 1, s do formula = formula + binom(s, k) * l ^ k * (1 - l) ^ (s - k) end

-- The model, by Monte Carlo: 4 uniform timeouts; split when 2 of the other 3
-- fall within l of the earliest.
local model_hits, samples = 0, 200000
for _ = 1, samples do
  local t = { math.random(), math.random(), math.random(), math.random() }
  table.sort(t)
  if t[3] - t[1] < l then model_hits = model_hits + 1 end
end
local model = model_hits / samples

sim.assert(sim.run_until(function() return c:leader() ~= nil end, 2000), "a first leader")
sim.run(sim.now() + 500)
local splits, done = 0, 0
for trial = 1, params.trials do
  local old = c:leader()
  local term = c:state(old).term
  sim.run(sim.now() + math.random() * 50)        -- a random point of the heartbeat interval
  c:crash(old)
  local ok = sim.run_until(function() local x = c:leader(); return x ~= nil and x ~= old end, 5000)
  sim.assert(ok, "trial " .. trial .. ": a new leader")
  local new_term = c:state(c:leader()).term
  if new_term > term + 1 then splits = splits + 1 end
  done = done + 1
  sim.run(sim.now() + 100)
  c:restart(old)
  sim.run(sim.now() + 400)                       -- it rejoins as a follower
end

local rate = splits / done
local se = math.sqrt(model * (1 - model) / done)
local tol = 4 * se + 0.005
print(string.format("split votes: %d of %d first elections = %.2f %%", splits, done, 100 * rate))
print(string.format("  this model (2 of the other 3 within l = %.3f of the first): %.2f %%", l, 100 * model))
print(string.format("  thesis formula (s = %d, c = %d): %.2f %%; tolerance +/- %.2f points", s, cc, 100 * formula, 100 * tol))
sim.assert(math.abs(rate - model) <= tol, "measured split-vote rate matches the model")
sim.assert(rate <= formula + tol, "and is no higher than the thesis formula allows")
local m = sim.metrics().raft
print(string.format("raft metrics: %d elections, %d leaders, %d split votes", m.elections, m.leaders, m.split_votes))
