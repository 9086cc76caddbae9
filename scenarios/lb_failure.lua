-- Load balancing, lesson 4: a server dies under load.
--
-- Ten servers (exponential service, mean 10 ms) behind two balancers with
-- round_robin, at 70 % load. Every server heartbeats both balancers
-- every 50 ms; each balancer runs a failure detector per server (the same
-- detectors as the fdetect family): `fixed` suspects after 200 ms of
-- silence, `phi` when phi reaches 8 over a window of inter-arrival times
-- (about 50 + 5.6 x 5 ms with the 5 ms deviation floor, since the network
-- jitter is tiny).
--
-- Soon after t = 5 s, at the first moment it holds two requests, server 3
-- crashes. What it held is gone (`lost`). Until a
-- balancer suspects it, round robin keeps sending it a tenth of the
-- requests, into the void. (least_connections would protect itself a
-- little: a server that never answers looks ever more loaded.) When the
-- detector fires, the balancer
-- drains it: every request in flight there is re-sent to another server
-- (`retried`; with retries = 1 a request is tried twice at most, then
-- answered `fail`). Those requests are served late: their latency includes
-- the detection time, which is the whole difference between the detectors.
-- At t = 8 s server 3 restarts empty; its heartbeats resume, the balancers
-- trust it again, and it serves again.
--
-- Asserted: each balancer suspects server 3 within the detector's bound;
-- the lost requests are all retried and served (no failures); nothing is
-- answered twice (the checker's answered_once) and every request is
-- accounted for (conservation); server 3 serves again after the restart.
params = {
  health = {"phi", "fixed or phi"},
  policy = {"round_robin", "the balancers' policy"},
  header = {true, "print the table's header"},
}

local servers, balancers = 10, 2
local c = sim.cluster{ algorithm = "lb", nodes = servers + balancers,
                       config = { policy = params.policy, balancers = balancers, service = sim.exponential(10),
                                  health = params.health, heartbeat = 50, health_timeout = 200, threshold = 8,
                                  window = 50, min_std = 5, retries = 1 } }
sim.network{ latency = sim.uniform(0.5, 1.5) }
sim.clients{ count = 20, workload = "lb", rate = 35, max_outstanding = 256, timeout = 1e9 }

local crash_at, restart_at = math.huge, 8000
local detect = {}
sim.on("suspect", function(ev)
  if ev.target == 3 and ev.t >= crash_at and not detect[ev.node] then
    detect[ev.node] = ev.t - crash_at
  end
end)
local trusted = {}
sim.on("trust", function(ev) if ev.target == 3 and ev.t >= restart_at then trusted[ev.node] = true end end)

local served_at_restart
sim.at(restart_at, function() served_at_restart = sim.metrics().lb.served[3]; c:restart(3) end)
sim.run(5000)
sim.run_until(function() return c:state(3).queue >= 2 end, 2000)
crash_at = sim.now()
c:crash(3)
sim.run(12000)

local m = sim.metrics().lb
if params.header then
  print(string.format("%-7s %12s %12s %6s %8s %7s %6s %9s %9s", "health", "detect b1 ms", "detect b2 ms", "lost",
                      "retried", "failed", "late", "p99 ms", "max ms"))
end
print(string.format("%-7s %12.1f %12.1f %6d %8d %7d %6d %9.1f %9.1f", params.health, detect[servers + 1] or -1,
                    detect[servers + 2] or -1, m.lost, m.retried, m.failed, m.late, m.latency_p99, m.latency_max))

local bound = params.health == "fixed" and 200 + 50 + 5 or 150
for b = servers + 1, servers + balancers do
  sim.assert(detect[b] ~= nil, "balancer " .. b .. " suspects the crashed server")
  sim.assert(detect[b] <= bound, string.format("balancer %d took %.1f ms to suspect server 3 (bound %d ms)", b,
                                               detect[b], bound))
  sim.assert(trusted[b], "balancer " .. b .. " trusts server 3 again after its restart")
end
sim.assert(m.lost >= 1, "the crash loses what server 3 held")
sim.assert(m.retried >= m.lost, "everything lost at server 3 is retried elsewhere")
sim.assert(m.failed == 0, "one retry is enough: no request fails")
sim.assert(m.ok + m.in_flight == m.requests, "every request is answered or in flight")
sim.assert(m.latency_max >= detect[servers + 1], "a retried request waited for the detector")
sim.assert(m.served[3] > served_at_restart, "server 3 serves again after its restart")
