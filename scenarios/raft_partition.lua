-- Raft, lesson: a partition cannot make Raft lose a committed entry, and
-- CheckQuorum keeps a cut-off leader from pretending (§5, thesis §6.2).
--
-- Five servers; clients write continuously. The leader and one follower are
-- cut off from the other three. The old leader still accepts writes, but they
-- can never reach a majority, so they are never committed and no client gets
-- an "ok" for them. The three on the majority side stop hearing heartbeats,
-- elect a new leader in a higher term and go on committing. With CheckQuorum
-- (check_quorum = true, the default here) the old leader notices within an
-- election timeout that no majority answers and steps down, so clients are
-- redirected instead of waiting on it. When the partition heals, the old
-- leader sees the higher term and becomes a follower; its uncommitted entries
-- are overwritten (Figure 2, AppendEntries receiver rule 3), and every entry
-- that was committed on either side of the partition is still there.
params = {
  check_quorum = {true, "leader steps down without a majority (thesis 6.2)"},
}

local c = sim.cluster{ algorithm = "raft", nodes = 5,
                       config = { election_timeout = {150, 300}, heartbeat = 50,
                                  check_quorum = params.check_quorum } }
sim.network{ latency = sim.uniform(5, 15) }
sim.clients{ count = 3, rate = 30, keys = 4, timeout = 300, retries = 10, stop = 4000 }

sim.assert(sim.run_until(function() return c:leader() ~= nil end, 500), "a leader")
sim.run(1000)
local old = c:leader()
local old_term = c:state(old).term
local minority = { old, old % 5 + 1 }
local majority = {}
for i = 1, 5 do if i ~= minority[1] and i ~= minority[2] then majority[#majority + 1] = i end end
local committed_before = c:state(old).commit_index
print(string.format("t=%6.1f  partition: {%d, %d} | {%s}; leader %d (term %d), %d entries committed",
                    sim.now(), minority[1], minority[2], table.concat(majority, ", "), old, old_term, committed_before))
sim.partition(minority, majority)

local stepped_down_at
sim.on("role", function(ev)
  if ev.node == old and ev.role == "follower" and not stepped_down_at then stepped_down_at = ev.t end
end)

-- Acknowledgements already on their way may still commit what was on a
-- majority before the cut; after that, the minority's commit index is frozen.
sim.run(1100)
local frozen = c:state(old).commit_index
sim.run(3000)
local new = nil
for _, i in ipairs(majority) do if c:state(i).role == "leader" then new = i end end
sim.assert(new ~= nil, "the majority side elected a leader")
local ns = c:state(new)
sim.assert(ns.term > old_term, "in a higher term")
sim.assert(ns.commit_index > committed_before, "the majority side keeps committing")
local os = c:state(old)
sim.assert(os.commit_index == frozen, "the minority side commits nothing after the cut")
if params.check_quorum then
  -- (After stepping down it times out and campaigns in vain, term after term:
  -- without PreVote its term races ahead. raft_prevote.lua is about that.)
  sim.assert(stepped_down_at ~= nil and os.role ~= "leader", "CheckQuorum: the old leader stepped down")
  print(string.format("t=%6.1f  old leader %d stepped down %.1f ms after the partition", sim.now(), old, stepped_down_at - 1000))
  sim.assert(stepped_down_at - 1000 <= 2 * 150 + 1, "within two minimum election timeouts")
else
  sim.assert(os.role == "leader", "without CheckQuorum the old leader still believes it leads")
end
print(string.format("t=%6.1f  minority leader %d: log %d, committed %d; majority leader %d (term %d): log %d, committed %d",
                    sim.now(), old, os.log_length, os.commit_index, new, ns.term, ns.log_length, ns.commit_index))

-- Heal: the old leader's extra entries are discarded, committed ones stay.
sim.heal()
local function converged()
  local l = c:leader()
  if not l then return false end
  local ls = c:state(l)
  if ls.commit_index < ls.log_length then return false end
  for i = 1, 5 do
    local s = c:state(i)
    if (s.role == "leader" and i ~= l) or s.last_applied ~= ls.commit_index then return false end
  end
  return true
end
sim.run(4000)                      -- the clients stop at 4000 ms
sim.assert(sim.run_until(converged, 2000), "after healing: one leader, every node applied every committed entry")
local l = c:leader()
local ls = c:state(l)
local m = sim.metrics()
print(string.format("t=%6.1f  leader %d term %d; %d entries truncated on the minority; ops ok %d, info %d",
                    sim.now(), l, ls.term, m.raft.truncated, m.ops.ok, m.ops.info))
sim.assert(m.raft.truncated > 0, "the minority's uncommitted entries were overwritten")
