-- Raft, lesson: a lease read is only as safe as the bound on clock drift it
-- assumes (thesis §6.4.1).
--
-- With `read = "lease"` a leader answers reads from its own state, without a
-- round of heartbeats per read, while it holds a lease: once a majority has
-- acknowledged a heartbeat round, none of them votes for anyone else for an
-- election timeout after receiving it (§4.2.3), so no other leader can exist
-- until then. The leader times the lease on ITS clock, the followers time
-- their elections on THEIRS; the leader therefore shortens the lease to
-- election_timeout_min / (1 + drift_bound).
--
-- Five servers, drift_bound = 1 %. The leader's clock runs `drift_ppm` slow.
-- It is cut off from the others; they elect a new leader and commit x = 2.
-- A client that can only reach the old leader then reads x.
--   * drift within the bound (the default, 0.5 % slow): the old lease has run
--     out before any follower could vote; the read falls back to ReadIndex,
--     which never gets its majority, and times out. Linearizable.
--   * drift beyond it (-P drift_ppm=-500000, the clock at half speed): the old
--     leader believes its lease still runs and answers x = 1. The checker
--     reports the stale read (exit 1): a write committed before the read
--     arrived is missing from the answer.
params = {
  drift_ppm = {-5000, "the leader's clock drift, ppm (negative: slow)"},
}

local c = sim.cluster{ algorithm = "raft", nodes = 5,
                       config = { election_timeout = {150, 170}, heartbeat = 50,
                                  read = "lease", drift_bound = 0.01 } }
sim.network{ latency = sim.const(5) }
sim.clients{ count = 2, timeout = 200, retries = 5 }

sim.assert(sim.run_until(function() return c:leader() ~= nil end, 1000), "a leader")
local old = c:leader()
c:clock(old, { drift_ppm = params.drift_ppm })
local done
sim.client(1):submit({ op = "put", key = "x", value = "1" }, function(r) done = r.status end)
sim.assert(sim.run_until(function() return done ~= nil end, 2000) and done == "ok", "x = 1 committed")
local r0
sim.client(2):submit({ op = "get", key = "x" }, function(r) r0 = r end)
sim.assert(sim.run_until(function() return r0 ~= nil end, 2000) and r0.status == "ok", "a lease read of x")
local leases = sim.metrics().raft.lease_reads
sim.assert(leases >= 1, "served under the lease")

-- Cut the leader off right after it sent a heartbeat round (true time).
local others = {}
for i = 1, 5 do if i ~= old then others[#others + 1] = i end end
sim.run(sim.now() + 100)
sim.partition({old}, others)
local cut = sim.now()
for _, i in ipairs(others) do sim.block(sim.client(2), i); sim.block(i, sim.client(2)) end
sim.block(sim.client(1), old); sim.block(old, sim.client(1))

local new
sim.assert(sim.run_until(function()
  for _, i in ipairs(others) do if c:state(i).role == "leader" then new = i; return true end end
  return false
end, 2000), "the majority elects a new leader")
done = nil
sim.client(1):submit({ op = "put", key = "x", value = "2", node = new }, function(r) done = r.status end)
sim.assert(sim.run_until(function() return done ~= nil end, 1000) and done == "ok", "x = 2 committed by the majority")
print(string.format("t=%5.1f  node %d leads and committed x = 2, %.0f ms after the cut; node %d still leads term %d",
                    sim.now(), new, sim.now() - cut, old, c:state(old).term))

local read
sim.client(2):submit({ op = "get", key = "x", node = old }, function(r) read = r end)
sim.run_until(function() return read ~= nil end, 3000)
print(string.format("t=%5.1f  the read from node %d: %s %s", sim.now(), old, read and read.status or "none",
                    read and tostring(read.value or "(no value)") or ""))
-- Only reached when the checker found nothing: drift within the bound.
sim.assert(read ~= nil and read.status ~= "ok", "the cut-off leader does not answer the read")
sim.assert(sim.metrics().raft.lease_reads == leases, "no lease read after the cut")
