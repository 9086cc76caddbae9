-- Single-decree Paxos, lesson: Paxos is always safe but need not make
-- progress: two proposers can preempt each other for ever (Lamport, "Paxos
-- Made Simple", §2.4), and a random back-off is what breaks the tie
-- (van Renesse & Altinbuken, "Paxos Made Moderately Complex", §3).
--
-- Three nodes; nodes 1 and 2 propose, node 3 only accepts. The link between
-- the two proposers is fast (2 ms), the links to node 3 slow (10 ms). With
-- backoff = false a preempted proposer retries at once with a higher ballot.
-- Node 1 prepares 1.1; node 2 prepares 1.2; node 1's own acceptor promises
-- 1.2, so node 1 knows it is beaten and prepares 2.1, which reaches node 2
-- before node 3's promise for 1.2 completes node 2's majority; node 2 is
-- beaten and prepares 2.2 ... Each time one of them reaches phase 2, its
-- Accept arrives at acceptors that have promised the other's newer ballot.
-- Ballots climb, nothing is chosen, and every invariant holds throughout.
-- With -P backoff=true a preempted proposer waits a random time from the
-- election-timeout range (wider after each preemption in a row): the other
-- completes both phases alone, and the value is chosen within a few rounds.
params = {
  backoff = {false, "random back-off after preemption"},
  ms      = {1000, "how long to watch"},
}

local c = sim.cluster{ algorithm = "paxos", nodes = 3,
                       config = { mode = "single", backoff = params.backoff, election_timeout = {50, 100} } }
sim.network{ latency = sim.const(10) }
sim.link(1, 2, { latency = sim.const(2) })
sim.link(2, 1, { latency = sim.const(2) })
local cl = sim.clients{ count = 2, workload = "none", timeout = 5000 }
sim.at(10, function() cl[1]:submit{ op = "put", key = "x", value = "one", node = 1 } end)
sim.at(11, function() cl[2]:submit{ op = "put", key = "x", value = "two", node = 2 } end)

local chosen_at
sim.on("chosen", function(ev) if not chosen_at then chosen_at = ev.t end end)
sim.run(params.ms)
local m = sim.metrics().paxos
local rounds = m.max_round
print(string.format("after %d ms: highest round %d, %d phase 1 runs, %d preemptions, chosen: %s",
                    params.ms, rounds, m.phase1, m.preemptions, chosen_at and string.format("at %.1f ms", chosen_at) or "no"))
if params.backoff then
  sim.assert(chosen_at ~= nil, "with back-off a value is chosen")
  sim.assert(rounds <= 5, "within a few rounds (" .. rounds .. ")")
  for i = 1, 3 do sim.assert(c:state(i).value == c:state(1).value, "every node learned the same value") end
else
  sim.assert(chosen_at == nil, "without back-off nothing is chosen")
  sim.assert(rounds >= 100, "while the ballots climb (round " .. rounds .. ")")
end
