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
--   3. The operator hands leadership from B to C (c:transfer_leadership,
--      thesis §3.10, as before maintenance on B): C wins term 3 with B's
--      vote, a majority of C2.
--   4. A restarts; A, D and E can talk. D refuses A's first try, in term 2
--      (it voted for B), so A (or E) asks again in term 3. A's log, ending
--      in C1, is more up to date than D's, so it wins term 3 with 3 of the 5
--      of C1, without C2. Two leaders of term 3: {A, D, E} is a majority of
--      C1, {B, C} one of C2, and they share no server.
-- The checker stops the run at that election: election_safety, two
-- leaders in one term. The new leader also lacks the committed C2, a
-- Leader Completeness violation, but Election Safety is the more basic of
-- the two and is checked first. With -P same_term=false there is no step 3:
-- A's side wins term 3 while B still leads term 2, and the checker reports
-- what is left, leader_completeness.
--
-- PreVote (thesis §9.6) is on so that the servers that are cut off do not
-- raise their terms, and the terms stay the ones of the story; it does not
-- help against the bug.
--
-- The fix, the default: B appends C2 only after committing an entry of its
-- own term (its no-op). That needs 3 of C0 = {A,B,C,D}: D, which then has a
-- term-2 entry and will not vote for A, or A. Cut off from both, B waits;
-- C's term-3 campaign finds only B's vote, 2 of the 4 of C0, and A's side
-- is the only one to elect a leader. `--bug raft.concurrent_config_changes`
-- drops that rule (and the one-change-at-a-time rule with it).
params = {
  same_term = { true, "hand B's leadership to C before A's side elects: two leaders of one term" },
}
local c = sim.cluster{ algorithm = "raft", nodes = 4,
                       config = { election_timeout = {150, 300}, heartbeat = 50, prevote = true } }
sim.network{ latency = sim.const(2) }

-- The scenario's own record of who led which term, next to the checker's.
local leaders = {}
sim.on("role", function(ev)
  if ev.role == "leader" then
    leaders[ev.term] = leaders[ev.term] or {}
    table.insert(leaders[ev.term], ev.node)
  end
end)

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
local B, C, D, term_b
sim.on("role", function(ev)
  if B == nil and ev.role == "leader" and ev.node ~= A and ev.term >= 2 then
    B, term_b = ev.node, ev.term
    for _, i in ipairs(others) do if i ~= B then D = i end end
    for _, i in ipairs(others) do if i ~= B and i ~= D then C = i end end
    c:crash(A)
    sim.partition({A, E}, {B, C}, {D})
    c:remove_node(D)
    print(string.format("t=%6.1f  B = node %d leads term %d; A crashes; D = node %d is cut off and removed",
                        sim.now(), B, ev.term, D))
  end
end)
sim.assert(sim.run_until(function() return B ~= nil end, 2000), "B leads term 2")
sim.run(sim.now() + 500)
print(string.format("t=%6.1f  B's configuration: {%s}, committed through index %d", sim.now(),
                    c:state(B).config, c:state(B).commit_index))

-- 3. B hands leadership to C: a new term on B's side.
if params.same_term then
  c:transfer_leadership(C)
  local won = sim.run_until(function() return c:state(C).role == "leader" end, 300)
  if won then
    print(string.format("t=%6.1f  C = node %d leads term %d with B's vote, 2 of the 3 of {%s}",
                        sim.now(), C, c:state(C).term, c:state(C).config))
  else
    print(string.format("t=%6.1f  C = node %d campaigned in term %d; B's vote is 2 of the 4 of {%s}: no leader",
                        sim.now(), C, c:state(C).term, c:state(C).config))
  end
end

-- 4. A, D and E together again.
c:restart(A)
sim.partition({A, E, D}, {B, C})
local side_a
sim.assert(sim.run_until(function()
  for _, i in ipairs({A, E, D}) do
    if c:state(i).role == "leader" and c:state(i).term > term_b then side_a = i; return true end
  end
  return false
end, 3000), "A's side elects a leader")
local side_b = "no leader"
for _, i in ipairs({B, C}) do
  if c:state(i).role == "leader" then side_b = string.format("node %d leads term %d", i, c:state(i).term) end
end
print(string.format("t=%6.1f  node %d leads term %d for A's side, with {%s}; B's side: %s", sim.now(), side_a,
                    c:state(side_a).term, c:state(side_a).config, side_b))
sim.heal()
sim.assert(sim.run_until(function()
  local l = c:leader()
  if not l or c:state(l).commit_index < c:state(l).log_length then return false end
  for _, i in ipairs({A, E, B, C}) do
    if c:state(i).last_applied < c:state(l).commit_index then return false end
  end
  return true
end, 5000), "after healing, everyone converges")
print(string.format("t=%6.1f  healed: node %d leads {%s}", sim.now(), c:leader(), c:state(c:leader()).config))

-- What the lesson claims: one leader per term, whatever the configurations.
local terms = {}
for term, who in sim.sorted(leaders) do
  sim.assert(#who == 1, string.format("term %d has one leader (has %d)", term, #who))
  terms[#terms + 1] = string.format("%d:%d", term, who[1])
end
print("term:leader  " .. table.concat(terms, " "))
