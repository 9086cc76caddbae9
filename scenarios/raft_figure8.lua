-- Raft, lesson: why a leader never commits an entry of an earlier term by
-- counting replicas (Figure 8 and §5.4.2 of the Raft paper).
--
-- Five servers S1..S5. Every entry here is a leader's no-op, the first entry
-- a leader writes in its term, so an entry's term names the leader that made
-- it. The script steers elections by stepping one server's clock forward (its
-- election timeout expires at once) and cuts links with sim.block, to replay
-- the figure exactly; `c:state(i).log_terms` shows each log as in the figure.
--
--   (a) S1 leads term 2; its entry at index 2 reaches S2 only.
--   (b) S1 crashes; S5 is elected for term 3 by S3, S4 and itself, and writes
--       a different entry at index 2; it crashes before sending it anywhere.
--   (c) S1 restarts and is elected for term 4 (its first try, in term 3,
--       fails: S3 and S4 already voted in term 3). It copies its index-2
--       entry to S3: now on a majority (S1, S2, S3) — but NOT committed,
--       because it is not from S1's current term.
--   (d) ending = "d": S1 crashes before its term-4 entry spreads. S5 wins
--       term 5 with the votes of S2, S3, S4 (its last term, 3, beats their 2)
--       and overwrites index 2 everywhere. Harmless, because nobody had
--       committed it. With `--bug raft.commit_previous_term` S1 did commit it
--       in (c), so the checker stops the run when S5 is elected without it
--       (Leader Completeness): S5 is about to overwrite a committed entry, and
--       S1 has already applied it — State Machine Safety is lost.
--   (e) ending = "e": S1 first replicates its term-4 entry (index 3) to S2
--       and S3 and commits it, which commits index 2 with it. S5 cannot win
--       any more: every majority contains a server whose log ends in term 4.
params = {
  ending = {"d", "which ending of Figure 8 to play: d or e"},
}
sim.assert(params.ending == "d" or params.ending == "e", "ending must be d or e")

local c = sim.cluster{ algorithm = "raft", nodes = 5,
                       config = { election_timeout = {300, 500}, heartbeat = 50, max_batch = 1 } }
sim.network{ latency = sim.const(5) }

local function logs()
  local t = {}
  for i = 1, 5 do
    local s = c:state(i)
    t[i] = s.up and s.log_terms or "(down)"
  end
  return t
end
local function show(panel)
  local t = logs()
  print(string.format("(%s) t=%7.1f  S1 [%s]  S2 [%s]  S3 [%s]  S4 [%s]  S5 [%s]", panel, sim.now(),
                      t[1], t[2], t[3], t[4], t[5]))
end
local function expect(panel, want)
  show(panel)
  local t = logs()
  for i = 1, 5 do
    if want[i] then
      sim.assert(t[i] == want[i], string.format("(%s) S%d log is [%s], Figure 8 has [%s]", panel, i, t[i], want[i]))
    end
  end
end
-- Make server i time out now: its clock jumps past any election deadline.
local function timeout_now(i) c:clock(i, { step = 1000 }) end
local function leads(i, term)
  return function() local s = c:state(i); return s.up and s.role == "leader" and s.term == term end
end
local function block_from(i, list) for _, j in ipairs(list) do sim.block(i, j) end end

-- Term 1: S2 leads, and its entry (index 1, term 1) reaches everyone.
sim.run(1)
timeout_now(2)
sim.assert(sim.run_until(function()
  for i = 1, 5 do if c:state(i).commit_index < 1 then return false end end
  return true
end, 200), "term 1: every server has index 1 committed")

-- (a) S1 is elected for term 2; as soon as it leads, only S2 hears it.
timeout_now(1)
sim.assert(sim.run_until(leads(1, 2), 100), "(a) S1 leads term 2")
block_from(1, {3, 4, 5})
sim.run_until(function() return c:state(2).log_length == 2 end, 100)
expect("a", {"1,2", "1,2", "1", "1", "1"})

-- (b) S1 crashes; S5 campaigns for term 3 and wins with S3 and S4.
c:crash(1)
timeout_now(5)
sim.assert(sim.run_until(leads(5, 3), 100), "(b) S5 leads term 3")
block_from(5, {1, 2, 3, 4})       -- its entry never leaves it
sim.run(sim.now() + 1)
expect("b", {nil, "1,2", "1", "1", "1,3"})
c:crash(5)
sim.run(sim.now() + 20)           -- what S5 had in flight dies on the cut links

-- (c) S1 restarts and campaigns; S4 will hear nothing more from it.
sim.heal()
sim.block(1, 4)
sim.block(5, 4)                   -- (S5 is down; keep its old links cut too)
c:restart(1)
timeout_now(1)                    -- term 3: refused by S3 and S4, who voted for S5
sim.run(sim.now() + 20)
sim.assert(c:state(1).term == 3 and c:state(1).role == "candidate", "(c) S1's term-3 campaign fails")
-- Slower S1<->S2 links order what follows: S3 gets index 2 first.
sim.link(1, 2, { latency = sim.const(10) })
sim.link(2, 1, { latency = sim.const(10) })
timeout_now(1)                    -- term 4: S2, S3 (and S4's vote is not needed)
sim.assert(sim.run_until(leads(1, 4), 100), "(c) S1 leads term 4")
local elected = sim.now()
-- S1's heartbeat finds S3 behind, backs off and sends index 2 (t+15 ms);
-- S3's and S2's acknowledgements for index 2 are back at t+20 ms; S1's
-- term-4 entry is on its way to them and arrives at t+25 and t+30 ms.
sim.run(elected + 22)
expect("c", {"1,2,4", "1,2", "1,2", "1", nil})
print(string.format("(c) index 2 is on S1, S2, S3 (a majority); S1's commit index is %d", c:state(1).commit_index))

if params.ending == "d" then
  -- (d) S1 crashes; what it had in flight is lost.
  block_from(1, {2, 3})
  c:crash(1)
  sim.run(sim.now() + 20)         -- its term-4 entry, in flight, dies on the cut links
  sim.heal()
  sim.block(1, 4)
  c:restart(5)
  timeout_now(5)                  -- term 4: S2, S3 voted for S1 already; S4 alone is not enough
  sim.run(sim.now() + 20)
  timeout_now(5)                  -- term 5: S2, S3, S4 vote for S5
  sim.assert(sim.run_until(leads(5, 5), 100), "(d) S5 leads term 5")
  sim.run(sim.now() + 100)
  expect("d", {nil, "1,3,5", "1,3,5", "1,3,5", "1,3,5"})
  sim.assert(c:state(5).commit_index == 3, "(d) S5 commits its term-5 entry, and index 2 (term 3) with it")
else
  -- (e) S1 lets its term-4 entry reach S2 and S3, commits it, then crashes.
  sim.assert(sim.run_until(function() return c:state(1).commit_index >= 3 end, 100),
             "(e) S1 commits index 3 (term 4), and index 2 with it")
  expect("e", {"1,2,4", "1,2,4", "1,2,4", "1", nil})
  c:crash(1)
  sim.heal()
  c:restart(5)
  timeout_now(5)
  sim.run(sim.now() + 20)
  timeout_now(5)
  sim.run(sim.now() + 20)
  sim.assert(c:state(5).role ~= "leader", "(e) S5 cannot win: a majority has a log ending in term 4")
  -- S2 or S3 times out and wins; S5's entry at index 2 is overwritten.
  sim.assert(sim.run_until(function() local l = c:leader(); return l == 2 or l == 3 end, 2000),
             "(e) S2 or S3 leads")
  sim.run(sim.now() + 200)
  local s5 = c:state(5).log_terms
  show("e'")
  sim.assert(s5:sub(1, 6) == "1,2,4,", "(e) S5's log now starts 1,2,4 like everyone's: " .. s5)
end

-- Bring everyone back: the logs converge on what was committed.
if not c:state(1).up then c:restart(1) end
sim.heal()
sim.run(sim.now() + 1000)
show("end")
local l = c:leader()
sim.assert(l ~= nil, "a leader at the end")
for i = 1, 5 do
  sim.assert(c:state(i).last_applied == c:state(l).commit_index, "S" .. i .. " applied everything committed")
end
