-- Raft, lesson: the election restriction (§5.4.1): a server votes only for a
-- candidate whose log is at least as up to date as its own.
--
-- Three servers. S1 leads; S3 is cut off while S1 and S2 commit x = 1 (a
-- majority of two). S1 crashes and S3 comes back and campaigns first, with a
-- log that lacks the committed write. S2 must refuse: its log ends later than
-- S3's. Then S2 wins and x = 1 survives. With `--bug raft.vote_without_log_check`
-- S2 grants the vote, S3 becomes leader without the committed entry, and the
-- checker stops the run on Leader Completeness (S3 would overwrite it).
local c = sim.cluster{ algorithm = "raft", nodes = 3,
                       config = { election_timeout = {400, 600}, heartbeat = 50 } }
sim.network{ latency = sim.const(5) }
sim.clients{ count = 1, timeout = 100, retries = 20 }

sim.run(1)
c:clock(1, { step = 1000 })
sim.assert(sim.run_until(function() return c:leader() == 1 and c:state(3).commit_index >= 1 end, 200), "S1 leads")
sim.partition({3}, {1, 2})
local wrote
sim.client(1):submit({ op = "put", key = "x", value = "1" }, function(r) wrote = r.status end)
sim.assert(sim.run_until(function() return wrote ~= nil end, 2000) and wrote == "ok", "x = 1 is committed by S1 and S2")
print(string.format("t=%5.1f  committed x = 1; logs: S1 [%s] S2 [%s] S3 [%s]", sim.now(),
                    c:state(1).log_terms, c:state(2).log_terms, c:state(3).log_terms))
c:crash(1)
sim.heal()
c:clock(3, { step = 1000 })              -- S3 campaigns first, with the shorter log
sim.run(sim.now() + 50)
print(string.format("t=%5.1f  S3 is %s in term %d", sim.now(), c:state(3).role, c:state(3).term))
sim.assert(c:state(3).role ~= "leader", "S2 refused S3: its log is more up to date")
sim.assert(sim.run_until(function() return c:leader() == 2 end, 2000), "S2 wins the next election")
local got
sim.client(1):submit({ op = "get", key = "x" }, function(r) got = r end)
sim.assert(sim.run_until(function() return got ~= nil end, 2000), "the read completes")
sim.assert(got.status == "ok" and got.value == "1", "x is still 1")
