-- Raft, lesson: single-server membership changes are safe only if a new
-- leader first commits an entry of its own term (thesis errata; Ongaro,
-- raft-dev, 2015, "bug in single-server membership changes").
--
-- The counterexample, with four servers A, B, C, D (A leads term 1):
--   1. A is cut off with a new server E, catches E up and appends
--      C1 = {A,B,C,D,E}. Only A and E have it: it is not committed.
--   2. B, C, D elect a leader, say B, in term 2 (3 of the 4 in C0). Right
--      after, A crashes, D is cut off too, and the operator removes D: B
--      appends C2 = {A,B,C} and commits it with C (2 of 3).
--   3. A restarts; A, D and E can talk. A's log (ending in C1, term 1) is more
--      up to date than D's, so A or E wins term 3 with 3 of the 5 of C1,
--      without the entry C2 that B and C committed: two configurations, each
--      with a majority, that share no server: {A, D, E} and {B, C}.
-- The checker reports the new leader: it lacks a committed entry (Leader
-- Completeness), and from there on both sides can commit different values.
--
-- The fix, the default: B appends C2 only after committing an entry of its
-- own term (its no-op). That needs 3 of C0 = {A,B,C,D}: D, which then has a
-- term-2 entry and will not vote for A, or A. Cut off from both, B waits, and
-- nothing unsafe happens. `--bug raft.concurrent_config_changes` drops that
-- rule (and the one-change-at-a-time rule with it).
local c = sim.cluster{ algorithm = "raft", nodes = 4,
                       config = { election_timeout = {150, 300}, heartbeat = 50 } }
sim.network{ latency = sim.const(2) }

sim.assert(sim.run_until(function() return c:leader() ~= nil end, 2000), "a first leader")
sim.run(sim.now() + 200)
local A = c:leader()
local others = {}
for i = 1, 4 do if i ~= A then others[#others + 1] = i end end

-- 1. A alone with the new server E.
sim.partition({A}, others)
local E = c:add_node()
sim.partition({A, E}, others)
sim.assert(sim.run_until(function() return c:state(A).config == "1,2,3,4," .. E end, 1000),
           "A appended C1 = {A,B,C,D,E}")
print(string.format("t=%6.1f  A = node %d appended C1 = {%s}, held by A and E only", sim.now(), A, c:state(A).config))

-- 2. A leader of term 2 among B, C, D; then D is cut off and removed.
local B, D
sim.on("role", function(ev)
  if B == nil and ev.role == "leader" and ev.node ~= A and ev.term >= 2 then
    B = ev.node
    for _, i in ipairs(others) do if i ~= B then D = i end end
    local C = {}
    for _, i in ipairs(others) do if i ~= D then C[#C + 1] = i end end
    c:crash(A)
    sim.partition({A, E}, C, {D})
    c:remove_node(D)
    print(string.format("t=%6.1f  B = node %d leads term %d; A crashes; D = node %d is cut off and removed",
                        sim.now(), B, ev.term, D))
  end
end)
sim.assert(sim.run_until(function() return B ~= nil end, 2000), "B leads term 2")
sim.run(sim.now() + 500)
local cfg = c:state(B).config
print(string.format("t=%6.1f  B's configuration: {%s}, committed through index %d", sim.now(), cfg,
                    c:state(B).commit_index))

-- 3. A, D and E together again.
local C = {}
for _, i in ipairs(others) do if i ~= D then C[#C + 1] = i end end
c:restart(A)
sim.partition({A, E, D}, C)
sim.assert(sim.run_until(function()
  for _, i in ipairs({A, E, D}) do if c:state(i).role == "leader" and c:state(i).term > 2 then return true end end
  return false
end, 3000), "A's side elects a leader")
print(string.format("t=%6.1f  A's side has a leader; B still leads {%s}", sim.now(), c:state(B).config))
sim.heal()
sim.assert(sim.run_until(function()
  local l = c:leader()
  if not l or c:state(l).commit_index < c:state(l).log_length then return false end
  for _, i in ipairs({A, E, C[1], C[2]}) do
    if c:state(i).last_applied < c:state(l).commit_index then return false end
  end
  return true
end, 5000), "after healing, everyone converges")
print(string.format("t=%6.1f  healed: node %d leads {%s}", sim.now(), c:leader(), c:state(c:leader()).config))
