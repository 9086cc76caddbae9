-- Single-decree Paxos, lesson: three acceptors choose one value even when
-- two proposers offer different ones at the same time, and every node
-- learns it (Lamport, "Paxos Made Simple", §2.2-2.3).
--
-- Three nodes, each an acceptor and a learner. At t = 10 ms client 1 asks
-- node 1 to put x = "red" and client 2 asks node 2 to put x = "blue": both
-- nodes become proposers. Each picks a ballot (round, node id) and sends
-- Prepare (phase 1a); an acceptor promises the highest ballot it has seen
-- and reports what it already accepted (1b). Node 2's ballot 1.2 beats node
-- 1's 1.1, so node 1's Accept (2a) is refused with a Nack naming 1.2, and
-- node 1 backs off. Node 2 proposes its value, a majority accepts it (2b),
-- and each acceptor tells every learner; a learner that hears a majority for
-- one ballot has learned the value. Node 1 learns "blue" that way before its
-- back-off ends (had it tried again, its phase 1 would have found "blue"
-- accepted and, by P2c, it would have proposed "blue" itself: the decree
-- never changes). Client 1 is told its value lost.
params = {
  nodes = {3, "acceptors (every node is also a learner and may propose)"},
}

local c = sim.cluster{ algorithm = "paxos", nodes = params.nodes, config = { mode = "single" } }
sim.network{ latency = sim.uniform(5, 15) }
local cl = sim.clients{ count = 2, workload = "none", timeout = 2000 }

local results = {}
sim.on("complete", function(ev) results[ev.client] = ev.status end)
sim.at(10, function()
  cl[1]:submit{ op = "put", key = "x", value = "red", node = 1 }
  cl[2]:submit{ op = "put", key = "x", value = "blue", node = 2 }
end)

local function all_learned()
  for i = 1, c:size() do if c:state(i).chosen_upto < 1 then return false end end
  return true
end
sim.assert(sim.run_until(all_learned, 2000), "every node learns the decree")
local v = c:state(1).value
for i = 1, c:size() do
  local s = c:state(i)
  print(string.format("node %d: %-8s ballot %-5s promised %-5s learned %s", i, s.role, s.ballot, s.promised, s.value))
  sim.assert(s.value == v, "node " .. i .. " learned the same value")
end
sim.run(sim.now() + 500)
print(string.format("client 1 (red): %s; client 2 (blue): %s", results[1], results[2]))
sim.assert(v == "x=red" or v == "x=blue", "the value chosen is one that was proposed")
local winner = v == "x=red" and 1 or 2
sim.assert(results[winner] == "ok" and results[3 - winner] == "fail", "the winner hears ok, the other fail")
