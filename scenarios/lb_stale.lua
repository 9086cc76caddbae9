-- Load balancing, lesson 3: old information and the herd
-- (Mitzenmacher, "How useful is old information?", IEEE TPDS 2000).
--
-- 100 servers, exponential service of mean 1 ms, Poisson arrivals at 0.9
-- per server per ms, and 10 balancers, each with its own view. Servers
-- report their queue length to every balancer every `report_interval` ms
-- (at random phases), and balancers route by the last report, not by what
-- they themselves sent since. The network adds no delay.
--
-- With fresh information, "join the least loaded of all" (least_connections)
-- is the best policy there is. With old information every balancer sees
-- the same server as least loaded and they all send there until the next
-- report: the herd. Queues oscillate, and from a report interval of about
-- four service times on the policy is worse than choosing at random (M/M/1,
-- mean time 1/(1 - 0.9) = 10 ms). power_of_d with d = 2 compares only two random
-- servers: balancers rarely agree on a target, so old loads cost it little
-- and it stays well below random.
--
-- One (policy, report_interval) per run; the test (tests/lb.t) and
-- docs/teaching.md sweep the interval. What this run asserts, against the
-- M/M/1 mean of random routing, 1/(1 - lambda):
--   least_connections, report_interval >= 8: worse than random (the herd;
--     at 4 ms it is about even, so that is not asserted);
--   power_of_d: better than random at every interval up to 16 ms.
params = {
  policy = {"least_connections", "least_connections, power_of_d or random"},
  report_interval = {8.0, "ms between load reports (0: each balancer's own counts)"},
  seconds = {10, "simulated time"},
  header = {true, "print the table's header"},
}

local n, lambda, balancers = 100, 0.9, 10
local c = sim.cluster{ algorithm = "lb", nodes = n + balancers,
                       config = { policy = params.policy, d = 2, balancers = balancers, service = sim.exponential(1),
                                  report_interval = params.report_interval, warmup = 1000 } }
sim.network{ latency = sim.const(0) }
sim.clients{ count = 100, workload = "lb", rate = lambda * n * 1000 / 100, max_outstanding = 256, timeout = 1e9 }
sim.run(params.seconds * 1000)

local m = sim.metrics().lb
local random_T = 1 / (1 - lambda)
if params.header then
  print(string.format("%-18s %9s %9s %8s %8s %9s %10s", "policy", "interval", "mean ms", "+-95%", "p99",
                      "vs random", "P(q>=10)"))
end
print(string.format("%-18s %9g %9.3f %8.3f %8.2f %8.2fx %10.4f", params.policy, params.report_interval, m.latency_mean,
                    m.latency_ci95 or 0, m.latency_p99, m.latency_mean / random_T, m.queue_ge[10] or 0))

sim.assert(m.ok + m.in_flight == m.requests, "every request is answered or in flight")
if params.policy == "least_connections" and params.report_interval >= 8 then
  sim.assert(m.latency_mean > random_T, string.format(
    "the herd: least_connections on %g ms old reports should be worse than random (%.1f ms), got %.2f ms",
    params.report_interval, random_T, m.latency_mean))
end
if params.policy == "power_of_d" and params.report_interval <= 16 then
  sim.assert(m.latency_mean < random_T, string.format(
    "two choices on %g ms old reports should beat random (%.1f ms), got %.2f ms", params.report_interval, random_T,
    m.latency_mean))
end
