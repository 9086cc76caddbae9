-- Multi-Paxos, lesson: a partition cannot make Paxos lose a chosen command;
-- the side without a majority cannot choose anything, and a cut-off leader
-- learns it was deposed as soon as it hears a higher ballot (preemption,
-- "Paxos Made Moderately Complex" §3).
--
-- Five nodes; clients write continuously. The leader and one follower are
-- cut off from the other three. The old leader still takes commands and
-- streams Accepts, but only two acceptors can answer, so nothing more is
-- chosen there and no client gets an "ok" from it. The three on the other
-- side stop hearing heartbeats; one of them runs phase 1 with a higher
-- ballot, recovers every slot a majority accepted, and goes on choosing.
-- When the partition heals, the old leader's heartbeats meet acceptors that
-- promised the higher ballot: they answer with a Nack naming it, the old
-- leader steps down, and the new leader's catch-up brings both nodes of the
-- minority to the same applied prefix as everyone else.
local c = sim.cluster{ algorithm = "paxos", nodes = 5,
                       config = { election_timeout = {150, 300}, heartbeat = 50 } }
sim.network{ latency = sim.uniform(5, 15) }
sim.clients{ count = 3, rate = 30, keys = 4, timeout = 300, retries = 10, stop = 4000 }

sim.assert(sim.run_until(function() return c:leader() ~= nil end, 1000), "a leader")
sim.run(1000)
local old = c:leader()
local minority = { old, old % 5 + 1 }
local majority = {}
for i = 1, 5 do if i ~= minority[1] and i ~= minority[2] then majority[#majority + 1] = i end end
print(string.format("t=%6.1f  partition: {%d, %d} | {%s}; leader %d (ballot %s), %d slots chosen",
                    sim.now(), minority[1], minority[2], table.concat(majority, ", "), old, c:state(old).ballot,
                    c:state(old).chosen_upto))
sim.partition(minority, majority)
sim.run(1100)                     -- Accepteds already on their way may still land
local frozen = c:state(old).chosen_upto
sim.run(3000)
local new
for _, i in ipairs(majority) do if c:state(i).role == "leader" then new = i end end
sim.assert(new ~= nil, "the majority side has a leader")
local ns, os = c:state(new), c:state(old)
sim.assert(ns.round > c:state(old).round, "with a higher ballot")
sim.assert(ns.chosen_upto > frozen, "the majority side keeps choosing")
sim.assert(os.chosen_upto == frozen, "the minority side chooses nothing after the cut")
print(string.format("t=%6.1f  old leader %d: %s, %d slots, %d chosen; new leader %d (ballot %s): %d chosen",
                    sim.now(), old, os.role, os.slots, os.chosen_upto, new, ns.ballot, ns.chosen_upto))
sim.heal()
sim.run(4000)
local function converged()
  local l = c:leader()
  if not l then return false end
  local ls = c:state(l)
  for i = 1, 5 do
    local s = c:state(i)
    if (s.role == "leader" and i ~= l) or s.applied ~= ls.chosen_upto or ls.chosen_upto < ls.slots then return false end
  end
  return true
end
sim.assert(sim.run_until(converged, 2000), "after healing: one leader, every node applied every chosen slot")
local m = sim.metrics()
print(string.format("t=%6.1f  leader %d ballot %s; %d slots applied everywhere; ops ok %d, unknown %d; %d Nacks",
                    sim.now(), c:leader(), c:state(c:leader()).ballot, c:state(c:leader()).applied, m.ops.ok, m.ops.info,
                    m.paxos.nacks))
sim.assert(c:state(old).role == "follower", "the old leader stepped down")
