-- Multi-Paxos, lesson: a new leader's phase 1 recovers what the old one left
-- half done, and fills the holes with no-ops (Lamport, "Paxos Made Simple",
-- §3); no acknowledged command is lost, none is applied twice.
--
-- Five nodes, three clients writing as fast as they can. The leader streams
-- phase 2: it proposes each command in the next slot without waiting for the
-- one before, so at any moment several slots are in flight, some accepted by
-- a majority, some by one or two acceptors, some by none but the leader. At
-- 1000 ms the leader crashes mid-stream. A follower's election timeout runs
-- out; it runs phase 1 once for every slot above its commit point. Each
-- promise carries what that acceptor accepted there; for each slot the new
-- leader re-proposes the value with the highest ballot (P2c) - so anything a
-- majority accepted survives - and a no-op where no promise reported a value.
-- Clients whose commands were in flight time out and retry at the new
-- leader; the (client, seq) sessions make a retried command apply once. The
-- old leader restarts, reads its promise and accepted values back from disk,
-- and catches up. The client history is linearizable (clustersim check).
params = {
  crash_at = {1000, "ms: the leader crashes"},
}

local c = sim.cluster{ algorithm = "paxos", nodes = 5,
                       config = { election_timeout = {150, 300}, heartbeat = 50 } }
sim.network{ latency = sim.uniform(5, 15) }
sim.clients{ count = 3, closed = true, think = 0, keys = 4, read_ratio = 0.2, timeout = 300, retries = 10,
             stop = 3000 }

sim.run(params.crash_at)
local old = c:leader()
sim.assert(old ~= nil, "a leader before the crash")
local os = c:state(old)
print(string.format("t=%6.1f  leader %d (ballot %s) crashes: %d slots used, %d chosen", sim.now(), old, os.ballot,
                    os.slots, os.chosen_upto))
sim.assert(os.slots > os.chosen_upto, "with slots still in flight")
local before = sim.metrics().paxos
c:crash(old)
sim.assert(sim.run_until(function() local l = c:leader(); return l ~= nil and l ~= old end, 2000), "a new leader")
local new = c:leader()
local ns = c:state(new)
local m = sim.metrics().paxos
print(string.format("t=%6.1f  node %d leads with ballot %s; phase 1 recovered slots %d..%d, %d of them filled with no-ops",
                    sim.now(), new, ns.ballot, os.chosen_upto + 1, ns.slots, m.noops - before.noops))
sim.run(sim.now() + 200)
c:restart(old)
sim.run(3000)
local function converged()
  local l = c:leader()
  if not l then return false end
  local ls = c:state(l)
  for i = 1, 5 do if c:state(i).applied ~= ls.chosen_upto or ls.chosen_upto < ls.slots then return false end end
  return true
end
sim.assert(sim.run_until(converged, 2000), "every node, the old leader too, applies the same prefix")
local mm = sim.metrics()
print(string.format("t=%6.1f  all applied %d slots; ops ok %d, fail %d, unknown %d; %d retried commands applied once",
                    sim.now(), c:state(new).applied, mm.ops.ok, mm.ops.fail, mm.ops.info, mm.paxos.duplicates))
sim.assert(mm.paxos.duplicates > 0, "some retried command reached the log twice and was applied once")
