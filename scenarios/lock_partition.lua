-- Locks, lesson: a holder cut off from the lock server keeps its lease only
-- until it runs out; after that, only fencing stops what it can still do.
--
-- Node 1 is the lease server, node 2 the storage; leases last 2 s.
--   1. Client 1 acquires the lock (token 1) and writes to the storage.
--   2. A partition cuts client 1 off from the lease server, but not from the
--      storage. Client 1 cannot release or renew: its release times out.
--   3. The server keeps refusing client 2 ("held") until the lease expires on
--      the server's clock, 2 s after the grant; then client 2 gets token 2
--      and writes.
--   4. What the old holder can still do: reach the storage. An honest client
--      checks its own clock and stops at its validity end; a client that
--      sends anyway (here, a write with token 1 at 4 s) is rejected by
--      fencing. With `-P fencing=false` the storage takes it and the run
--      exits 1 with mutual_exclusion_at_resource: a lost update.
params = {
  fencing = {true, "the storage rejects tokens lower than the highest it has seen"},
}
local c = sim.cluster{ algorithm = "lock", nodes = 2, config = { mode = "lease", ttl = 2000, fencing = params.fencing } }
sim.network{ latency = sim.const(1) }
local cl = sim.clients{ count = 2, workload = "none", timeout = 100, retries = 0 }
local c1, c2 = cl[1], cl[2]
local got = {}
local function op(client, name, t) client:submit(t, function(r) got[name] = r end) end

op(c1, "acq1", { op = "acquire", key = "x", ttl = 2000 })
sim.run(10)
op(c1, "w1", { op = "write", key = "x", value = "one", token = got.acq1.num })
sim.run(20)
sim.assert(got.acq1.num == 1 and got.w1.status == "ok", "client 1 holds token 1 and wrote")

sim.block(c1, 1); sim.block(1, c1)
op(c1, "rel1", { op = "release", key = "x", token = 1 })
sim.run(200)
sim.assert(got.rel1.status == "info", "client 1's release is lost in the partition")
print(string.format("t=%4.0f  client 1 is cut off from the lease server; its release: %s", sim.now(), got.rel1.status))

local tries, refused = 0, 0
local function try2()
  tries = tries + 1
  op(c2, "acq2", { op = "acquire", key = "x", ttl = 2000 })
end
try2()
sim.every(100, function()
  if got.acq2 and got.acq2.status ~= "ok" and sim.now() < 3000 then refused = refused + 1; try2() end
end)
sim.run(2500)
sim.assert(got.acq2.status == "ok" and got.acq2.num == 2, "client 2 gets token 2 once the lease expired")
print(string.format("t=%4.0f  client 2 was refused %d times, then got token %d at %.0f ms",
                    sim.now(), refused, got.acq2.num, got.acq2.t))
sim.assert(got.acq2.t >= 2000, "not before the server's clock ran out client 1's lease")
op(c2, "w2", { op = "write", key = "x", value = "two", token = 2 })
sim.run(3000)
sim.assert(got.w2.status == "ok", "client 2 writes")

sim.at(4000, function() op(c1, "late", { op = "write", key = "x", value = "late", token = 1 }) end)
sim.run(4100)
print(string.format("t=%4.0f  client 1's late write with token 1: %s %s", sim.now(), got.late.status, got.late.error or ""))
sim.assert(got.late.status == "fail" and c:state(2).value == "two", "fencing keeps client 2's update")
