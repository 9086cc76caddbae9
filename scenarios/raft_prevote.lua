-- Raft, lesson: PreVote (thesis §9.6) stops a server that was cut off from
-- disrupting a healthy cluster when it comes back.
--
-- Node 5, a follower, is isolated for two seconds. It hears no heartbeats, so
-- it times out again and again. Without PreVote each timeout starts a real
-- election: its term climbs with every attempt. When the link heals, the
-- leader sees that higher term (in node 5's RequestVote, or in its reply to an
-- AppendEntries) and must step down; the cluster holds a needless election
-- in a new term, and clients wait. With PreVote, node 5 first asks "would you
-- vote for me?" without changing its term; nobody can answer yes while it is
-- alone, and after healing the others refuse because they hear a leader. Its
-- term stays, the leader stays.
params = {
  prevote = {true, "use PreVote; false shows the disruption"},
}

local c = sim.cluster{ algorithm = "raft", nodes = 5,
                       config = { election_timeout = {150, 300}, heartbeat = 50, prevote = params.prevote } }
sim.network{ latency = sim.uniform(5, 15) }
sim.clients{ count = 2, rate = 20, keys = 4, timeout = 300, retries = 10 }

sim.run(1000)
local leader = c:leader()
sim.assert(leader ~= nil and leader ~= 5, "a leader other than node 5 (this seed)")
local term = c:state(leader).term
print(string.format("t=%6.1f  leader %d, term %d; isolating node 5", sim.now(), leader, term))

sim.partition({5}, {1, 2, 3, 4})
sim.run(3000)
local t5 = c:state(5).term
print(string.format("t=%6.1f  after 2 s alone node 5 is %s in term %d", sim.now(), c:state(5).role, t5))
sim.heal()
sim.run(4000)

local now_leader = c:leader()
local now_term = c:state(now_leader).term
print(string.format("t=%6.1f  healed: leader %d, term %d; node 5 is %s in term %d", sim.now(), now_leader, now_term,
                    c:state(5).role, c:state(5).term))
if params.prevote then
  sim.assert(t5 == term, "PreVote: the isolated node's term did not move")
  sim.assert(now_leader == leader and now_term == term, "PreVote: same leader, same term after healing")
  sim.assert(c:state(5).role == "follower" and c:state(5).leader == leader, "node 5 follows the leader again")
else
  sim.assert(t5 > term + 3, "without PreVote the isolated node's term climbs with every timeout")
  sim.assert(now_term > t5, "without PreVote the cluster is forced past the isolated node's term")
end
local m = sim.metrics()
print(string.format("elections %d, pre-elections %d, leaders %d; ops ok %d", m.raft.elections, m.raft.prevotes,
                    m.raft.leaders, m.ops.ok))
