-- Raft, lesson: a leader may not answer a read from its own state without
-- first checking that it is still the leader (thesis §6.4, ReadIndex).
--
-- Five servers with ReadIndex reads. The leader is cut off from the others
-- (without CheckQuorum it keeps believing it leads). The other four elect a
-- new leader and commit x = 2. A client that can only reach the old leader
-- reads x. With ReadIndex the old leader needs a majority to acknowledge a
-- heartbeat round sent after the read arrived; it never gets one, so the read
-- times out (no answer is better than a wrong one). With
-- `--bug raft.stale_leader_read` it answers x = 1 from its own state at once:
-- a stale read, which the checker reports (a write committed before the read
-- arrived is missing from the answer).
local c = sim.cluster{ algorithm = "raft", nodes = 5,
                       config = { election_timeout = {150, 300}, heartbeat = 50, read_index = true } }
sim.network{ latency = sim.const(5) }
sim.clients{ count = 2, timeout = 200, retries = 20 }

sim.assert(sim.run_until(function() return c:leader() ~= nil end, 1000), "a leader")
sim.run(sim.now() + 200)
local old = c:leader()
local done
sim.client(1):submit({ op = "put", key = "x", value = "1" }, function(r) done = r.status end)
sim.assert(sim.run_until(function() return done ~= nil end, 2000) and done == "ok", "x = 1 committed")
sim.run(sim.now() + 100)

local others = {}
for i = 1, 5 do if i ~= old then others[#others + 1] = i end end
sim.partition({old}, others)
for _, i in ipairs(others) do sim.block(sim.client(2), i); sim.block(i, sim.client(2)) end
sim.block(sim.client(1), old); sim.block(old, sim.client(1))
sim.assert(sim.run_until(function()
  for _, i in ipairs(others) do if c:state(i).role == "leader" then return true end end
  return false
end, 2000), "the majority elects a new leader")
done = nil
sim.client(1):submit({ op = "put", key = "x", value = "2" }, function(r) done = r.status end)
sim.assert(sim.run_until(function() return done ~= nil end, 3000) and done == "ok", "x = 2 committed by the majority")
sim.assert(c:state(old).role == "leader", "the old leader still believes it leads")
print(string.format("t=%5.1f  x = 2 committed by the majority; node %d still thinks it leads term %d",
                    sim.now(), old, c:state(old).term))

local read
sim.client(2):submit({ op = "get", key = "x" }, function(r) read = r end)
sim.run_until(function() return read ~= nil end, 6000)
print(string.format("t=%5.1f  the read from node %d: %s %s", sim.now(), old, read and read.status or "none",
                    read and tostring(read.value or "(no value)") or ""))
sim.assert(read ~= nil and read.status == "info", "the cut-off leader never answers the read")
