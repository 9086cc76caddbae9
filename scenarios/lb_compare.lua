-- Load balancing, lesson 2: seven policies, one slow server.
--
-- Ten servers with exponential service of mean 10 ms; server 10 runs at half
-- speed (speeds = {1, ..., 1, 0.5}), so the cluster's capacity is 9.5
-- requests per 10 ms. Clients send 450 requests per second in all, Poisson,
-- over 1000 uniform keys, through one balancer; the network adds 0.5 ms
-- each way. A policy that ignores load sends the slow server a tenth of the
-- requests, which loads it to 90 % (mean time in system 200 ms) while the
-- others idle at 45 %: the tail of the whole service is the slow server's.
-- A policy that looks at load (least_connections, power_of_d, peak_ewma)
-- sends it less; smooth weighted round robin with weights = speeds sends it
-- exactly half a share.
--
-- One policy per run (-P policy=NAME); the rows of the comparison table line
-- up when run one after another (docs/teaching.md does that, and draws the
-- latency CDFs of all seven traces with `clustersim plot --kind cdf`).
params = {
  policy  = {"least_connections", "round_robin, random, weighted_round_robin, least_connections, power_of_d, consistent_hash or peak_ewma"},
  seconds = {60, "simulated time"},
  header  = {true, "print the table's header"},
}

local servers = 10
local speeds = {}
for i = 1, servers do speeds[i] = 1 end
speeds[servers] = 0.5
local config = { policy = params.policy, balancers = 1, service = sim.exponential(10), speeds = speeds,
                 decay = 1000, warmup = 2000 }
if params.policy == "weighted_round_robin" then config.weights = speeds end

local c = sim.cluster{ algorithm = "lb", nodes = servers + 1, config = config }
sim.network{ latency = sim.const(0.5) }
sim.clients{ count = 10, workload = "lb", rate = 45, keys = 1000, max_outstanding = 256, timeout = 1e9 }
sim.run(params.seconds * 1000)

local m = sim.metrics().lb
local share = m.served[servers] / m.requests
if params.header then
  print(string.format("%-22s %8s %8s %8s %8s %8s %8s   %s", "policy", "mean", "p50", "p90", "p99", "p99.9",
                      "slow %", "slow util"))
end
print(string.format("%-22s %8.1f %8.1f %8.1f %8.1f %8.1f %7.1f%%   %.2f", params.policy, m.latency_mean, m.latency_p50,
                    m.latency_p90, m.latency_p99, m.latency_p999, 100 * share, m.utilisation[servers]))

sim.assert(m.failed == 0 and m.lost == 0, "nothing fails: no server crashes here")
sim.assert(m.ok + m.in_flight == m.requests, "every request is answered or in flight")
local blind = { round_robin = true, random = true, consistent_hash = true }
local p = params.policy
if p == "round_robin" then
  sim.assert(math.abs(share - 0.1) < 0.002, "round robin gives every server a tenth")
end
if blind[p] then
  sim.assert(m.utilisation[servers] > 0.75, "a load-blind policy loads the slow server to about 90 %")
elseif p == "weighted_round_robin" then
  sim.assert(math.abs(share - 0.5 / 9.5) < 0.003, "weights = speeds: the slow server gets half a share (5.3 %)")
else
  sim.assert(share < 0.08, "a load-aware policy sends the slow server less than a tenth")
  sim.assert(m.utilisation[servers] < 0.75, "a load-aware policy keeps the slow server below 75 % busy")
end
