-- Raft, lesson: leader election (§5.2 of the Raft paper).
--
-- Five servers start as followers in term 0. The first whose randomised
-- election timeout (150-300 ms) expires becomes a candidate for term 1, votes
-- for itself and asks the others; a majority of votes makes it leader, and its
-- heartbeats keep the others from timing out. When the leader crashes, the
-- heartbeats stop; one follower times out first, campaigns for the next term
-- and wins. When the old leader restarts, it still believes in its old term
-- (read from disk), hears the new leader's higher term and becomes a follower;
-- the leader then fills in the entries it missed.
--
-- Follow it in the trace: `role`, `vote`, then RequestVote/AppendEntries with
-- --trace-level messages.
params = {
  nodes = {5, "cluster size"},
}

local c = sim.cluster{ algorithm = "raft", nodes = params.nodes,
                       config = { election_timeout = {150, 300}, heartbeat = 50 } }
sim.network{ latency = sim.uniform(5, 15) }
sim.clients{ count = 2, rate = 20, keys = 4, timeout = 300, retries = 10, stop = 2000 }

local roles = {}
sim.on("role", function(ev) roles[#roles + 1] = ev end)

-- 1. The first election: someone leads term 1 within one timeout plus a round trip.
sim.assert(sim.run_until(function() return c:leader() ~= nil end, 400), "a leader within 400 ms")
local first = c:leader()
local t1 = c:state(first).term
print(string.format("t=%6.1f  node %d leads term %d", sim.now(), first, t1))
sim.assert(t1 == 1, "the first leader is elected in term 1 (no split vote with this seed)")
sim.run(1000)
sim.assert(c:leader() == first and c:state(first).term == t1, "heartbeats keep the leader in place")

-- 2. The leader crashes; a follower takes over in a higher term.
local crash_at = sim.now()
c:crash(first)
sim.assert(sim.run_until(function() local l = c:leader(); return l ~= nil and l ~= first end, 1000),
           "a new leader after the crash")
local second = c:leader()
local t2 = c:state(second).term
print(string.format("t=%6.1f  node %d leads term %d, %.1f ms after the crash", sim.now(), second, t2, sim.now() - crash_at))
sim.assert(t2 > t1, "the new leader's term is higher")
sim.assert(sim.now() - crash_at <= 300 + 4 * 15 + 1,
           "elected within one maximum timeout plus two round trips (no split vote with this seed)")

-- 3. The old leader restarts: term t1 from its disk, a follower again.
sim.run(sim.now() + 500)
c:restart(first)
local s = c:state(first)
sim.assert(s.role == "follower" and s.term == t1, "the old leader restarts as a follower of its old term")
sim.run(sim.now() + 500)           -- (the clients stop at 2000 ms, so the logs settle)
s = c:state(first)
local now_leader = c:leader()
local ls = c:state(now_leader)
sim.assert(s.role == "follower" and s.term == ls.term and s.leader == now_leader and ls.term >= t2,
           "it follows the new leader in the new term")
sim.assert(s.log_length == ls.log_length and s.last_applied == ls.commit_index,
           string.format("it caught up: log %d/%d, applied %d/%d", s.log_length, ls.log_length, s.last_applied, ls.commit_index))

local m = sim.metrics()
sim.assert(m.ops.ok > 0, "clients were served")
print(string.format("%d role changes, %d elections, %d leaders; %d ops ok, %d info", #roles,
                    m.raft.elections, m.raft.leaders, m.ops.ok, m.ops.info))
