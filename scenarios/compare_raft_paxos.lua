-- Raft and Multi-Paxos, lesson: in the steady state they are the same
-- protocol - one leader, one round trip to a majority per command - and
-- they differ in how a new leader gets there (Raft: the up-to-date log wins
-- the vote, nothing to recover; Paxos: any node may win phase 1, then it
-- recovers every unchosen slot from the promises and fills holes).
--
-- The same five nodes, network, client load and fault schedule run on
-- either algorithm (-P algorithm=raft or paxos): three closed-loop clients,
-- the leader crashes at 2 s and 5 s and restarts 500 ms later, and a
-- partition isolates one follower from 3 s to 4 s. At the end the scenario
-- prints messages per committed log entry (heartbeats and elections
-- included) and the client-observed commit latency, p50 and p99. Per
-- command both send one round to every follower and get one answer back;
-- the rest is what each sends while idle (a Raft follower answers every
-- heartbeat, a Paxos follower only when it is behind) and leader changes.
params = {
  algorithm = {"paxos", "raft or paxos"},
  duration  = {8000, "ms of load"},
}
sim.assert(params.algorithm == "raft" or params.algorithm == "paxos",
           "algorithm must be raft or paxos, got " .. tostring(params.algorithm))

local c = sim.cluster{ algorithm = params.algorithm, nodes = 5,
                       config = { election_timeout = {150, 300}, heartbeat = 50 } }
sim.network{ latency = sim.uniform(5, 15) }
sim.clients{ count = 3, closed = true, think = 5, keys = 8, read_ratio = 0.3, timeout = 300, retries = 10,
             stop = params.duration }

local function crash_leader(at)
  sim.at(at, function()
    local l = c:leader()
    if l then
      c:crash(l)
      sim.after(500, function() c:restart(l) end)
    end
  end)
end
crash_leader(2000)
crash_leader(5000)
sim.at(3000, function()
  local l = c:leader() or 1
  local f = l % 5 + 1
  local rest = {}
  for i = 1, 5 do if i ~= f then rest[#rest + 1] = i end end
  sim.partition({ f }, rest)
end)
sim.at(4000, sim.heal)
sim.run(params.duration + 1000)

local m = sim.metrics()
local committed = m[params.algorithm].committed
sim.assert(committed > 0, "something was committed")
print(string.format("%s: %d entries committed, %d messages sent: %.2f messages per committed entry",
                    params.algorithm, committed, m.messages.sent, m.messages.sent / committed))
print(string.format("%s: ops ok %d; commit latency p50 %.1f ms, p99 %.1f ms",
                    params.algorithm, m.ops.ok, m.latency.p50, m.latency.p99))
