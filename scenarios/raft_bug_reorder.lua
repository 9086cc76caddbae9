-- Raft, lesson: a follower deletes entries only on a real conflict (Figure 2,
-- AppendEntries receiver rule 3: "If an existing entry conflicts with a new
-- one (same index but different terms), delete the existing entry and all
-- that follow it"). Truncating whenever an AppendEntries arrives is wrong,
-- because messages can arrive out of order.
--
-- Three servers; S3 is cut off, so S1 and S2 form the majority. The link
-- S1 -> S2 is slow while S1 sends entry A, then fast: a later AppendEntries
-- carries A and B and overtakes the first one. S2 acknowledges B, S1 commits
-- A and B. Then the old AppendEntries (prevLogIndex before A, entries [A])
-- arrives. A correct S2 sees A already there and keeps B. With
-- `--bug raft.truncate_on_every_append` S2 cuts its log after prevLogIndex and
-- appends A: the committed B is gone from S2, and the checker stops the run
-- there (no server ever deletes a committed entry). Were it allowed to go on,
-- S2 would win the election after S1 crashes without B (Leader Completeness).
local c = sim.cluster{ algorithm = "raft", nodes = 3,
                       config = { election_timeout = {400, 600}, heartbeat = 50, max_batch = 8 } }
sim.network{ latency = sim.const(5) }
sim.clients{ count = 1, timeout = 500, retries = 0 }

sim.run(1)
c:clock(1, { step = 1000 })
sim.assert(sim.run_until(function() return c:leader() == 1 and c:state(3).commit_index >= 1 end, 200), "S1 leads")
local n = 0
local function put(v) sim.client(1):submit({ op = "put", key = "k", value = v }, function(r) if r.status == "ok" then n = n + 1 end end) end
put("warm-up")                           -- the client learns who leads
sim.assert(sim.run_until(function() return n == 1 end, 500), "warm-up write")
sim.block(1, 3); sim.block(3, 1); sim.block(2, 3); sim.block(3, 2)

sim.link(1, 2, { latency = sim.const(150) })
put("A")
sim.run(sim.now() + 8)                   -- S1 has sent [A] on the slow link
sim.link(1, 2, { latency = sim.const(5) })
put("B")
sim.assert(sim.run_until(function() return n == 3 end, 140), "A and B committed before the old message lands")
local committed = c:state(1).commit_index
print(string.format("t=%5.1f  S1 committed %d entries; S2 log [%s]", sim.now(), committed, c:state(2).log_terms))
sim.run(sim.now() + 200)                 -- the slow AppendEntries [A] arrives at S2
print(string.format("t=%5.1f  after the late AppendEntries, S2 has %d entries", sim.now(), c:state(2).log_length))
-- (Not asserted here: the invariant checker is the one to catch a loss.)
c:crash(1)
sim.heal()
c:clock(2, { step = 1000 })
sim.assert(sim.run_until(function() return c:leader() == 2 end, 500), "S2 leads, with every committed entry")
