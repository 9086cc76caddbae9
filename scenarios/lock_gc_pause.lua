-- Locks, lesson: a lease is not mutual exclusion once a process can pause;
-- the storage must check a fencing token (M. Kleppmann, "How to do
-- distributed locking", 2016, the figure with tokens 33 and 34).
--
-- Node 1 is the lease server, node 2 the storage it protects. The leases
-- last 10 s and the server's counter starts at 33, as in the figure.
--   1. Client 1 acquires the lock and gets token 33. It checks that its
--      lease is still valid and starts its write.
--   2. variant = "pause": right then a stop-the-world GC pause freezes
--      client 1 for 15 s. variant = "network": client 1 is not paused, but
--      its write spends 15 s in the network.
--   3. At 10 s the lease server expires client 1's lease on its own clock.
--      At 11 s client 2 acquires the lock (token 34) and writes.
--   4. At about 15 s client 1's write, with token 33, reaches the storage.
--      With fencing the storage has seen 34 and rejects 33: client 2's
--      update survives. With `-P fencing=false` (or `--bug
--      lock.no_fencing_check`) it accepts the write and client 2's update
--      is lost: the checker reports mutual_exclusion_at_resource and the run
--      exits 1.
-- In the pause variant both clients believed they held the lock from 11 s
-- until client 1 woke (an overlapping_belief record): fencing does not
-- prevent that belief, it makes it harmless.
params = {
  fencing = {true, "the storage rejects tokens lower than the highest it has seen"},
  variant = {"pause", "how client 1's write is late: pause (a GC pause) or network (a slow link)"},
}
sim.assert(params.variant == "pause" or params.variant == "network", "variant must be pause or network")

local c = sim.cluster{ algorithm = "lock", nodes = 2,
                       config = { mode = "lease", ttl = 10000, first_token = 33, fencing = params.fencing } }
sim.network{ latency = sim.const(1) }
local cl = sim.clients{ count = 2, workload = "none", timeout = 30000, retries = 0 }
local c1, c2 = cl[1], cl[2]

local got = {}
local function acquire(client, name)
  client:submit({ op = "acquire", key = "file", ttl = 10000 }, function(r) got[name] = r end)
end
local function write(client, name, token)
  client:submit({ op = "write", key = "file", value = name, token = token, node = 2 },
                function(r) got[name .. "_write"] = r end)
end
local overlap
sim.on("overlapping_belief", function(r) overlap = overlap or r end)

acquire(c1, "c1")
sim.run(100)
sim.assert(got.c1 and got.c1.status == "ok" and got.c1.num == 33, "client 1 holds token 33")
print(string.format("t=%6.0f  client 1 holds the lease with token %d", sim.now(), got.c1.num))

if params.variant == "pause" then
  c1:pause(15000)
  sim.at(15100.5, function() write(c1, "c1", 33) end)
else
  sim.link(c1, 2, { latency = sim.const(15000) })
  write(c1, "c1", 33)
end
sim.at(11000, function() acquire(c2, "c2") end)
sim.run(11100)
sim.assert(got.c2 and got.c2.status == "ok" and got.c2.num == 34, "client 2 gets token 34 after the lease expired")
print(string.format("t=%6.0f  client 1's lease expired on the server; client 2 holds token %d", sim.now(), got.c2.num))
write(c2, "c2", 34)
sim.run(11200)
sim.assert(got.c2_write.status == "ok", "client 2's write is accepted")

sim.run(16000)
sim.assert(got.c1_write ~= nil, "client 1's late write has been answered")
print(string.format("t=%6.0f  client 1's write with token 33: %s%s", sim.now(), got.c1_write.status,
                    got.c1_write.error and (" (" .. got.c1_write.error .. ")") or ""))
sim.assert(got.c1_write.status == "fail", "the storage rejects the stale token")
sim.assert(c:state(2).value == "c2", "client 2's update survives")
if params.variant == "pause" then
  sim.assert(overlap ~= nil, "both clients believed they held the lock")
  print(string.format("overlapping belief from t=%.0f: clients %d and %d", overlap.t, overlap.other, overlap.client))
end
