-- Locks, lesson: a fencing token is only as good as the durability of the
-- counter behind it.
--
-- Node 1 is the lease server, node 2 the storage; leases last 1 s.
--   1. Client 1 takes the lock (token 1), writes, releases; takes it again
--      (token 2), and is then frozen by a 5 s GC pause before it writes.
--   2. The lease server crashes at 0.5 s and restarts at 0.6 s. It forgot
--      who holds what, so it refuses grants for one lease (1 s) and client
--      1's lease runs out meanwhile. Its token counter is on disk.
--   3. Client 2 acquires at 2 s: token 3, one past every token ever issued.
--      It writes.
--   4. Client 1 wakes and writes with token 2: rejected (2 < 3).
-- With `--bug lock.token_not_durable` the counter lived only in memory: the
-- restarted server hands client 2 token 1 again, the storage accepts it
-- (1 is not below 1), and then accepts client 1's token 2 as the newer one.
-- Client 2's update is lost and the checker stops the run (exit 1).
params = {
  fencing = {true, "the storage rejects tokens lower than the highest it has seen"},
}
local c = sim.cluster{ algorithm = "lock", nodes = 2, config = { mode = "lease", ttl = 1000, fencing = params.fencing } }
sim.network{ latency = sim.const(1) }
local cl = sim.clients{ count = 2, workload = "none", timeout = 100, retries = 0 }
local c1, c2 = cl[1], cl[2]
local got = {}
local function op(client, name, t) client:submit(t, function(r) got[name] = r end) end

op(c1, "a", { op = "acquire", key = "x" })
sim.run(10)
op(c1, "w", { op = "write", key = "x", value = "first", token = got.a.num })
sim.run(20)
op(c1, "r", { op = "release", key = "x", token = got.a.num })
sim.run(30)
op(c1, "b", { op = "acquire", key = "x" })
sim.run(40)
sim.assert(got.b.num == 2, "client 1 holds token 2")
c1:pause(5000)
sim.at(500, function() c:crash(1) end)
sim.at(600, function() c:restart(1) end)
sim.at(2000, function() op(c2, "c", { op = "acquire", key = "x" }) end)
sim.run(2010)
sim.assert(got.c and got.c.status == "ok", "client 2 gets the lock after the restart's grace period")
print(string.format("t=%4.0f  after the restart client 2 holds token %d", sim.now(), got.c.num))
op(c2, "w2", { op = "write", key = "x", value = "second", token = got.c.num })
sim.run(2100)
sim.assert(got.w2.status == "ok", "client 2 writes")
sim.at(5041, function() op(c1, "late", { op = "write", key = "x", value = "late", token = 2 }) end)
sim.run(5200)
print(string.format("t=%4.0f  client 1 wakes, writes with token 2: %s %s", sim.now(), got.late.status, got.late.error or ""))
sim.assert(got.c.num == 3, "the restarted server continues the durable counter")
sim.assert(got.late.status == "fail" and c:state(2).value == "second", "fencing keeps client 2's update")
