-- Raft, lesson: votedFor must be on disk before the vote leaves (Figure 2,
-- "persistent state"; §5.2: "each server will vote for at most one candidate
-- in a given term").
--
-- Three servers. S1 and S3 cannot reach each other; S2 sits between them and
-- its replies are slow (100 ms). S1 campaigns for term 1 and S2 votes for it.
-- S2 then crashes and restarts at once, before S3's RequestVote for the same
-- term 1 arrives. A correct S2 reads votedFor = S1 back from its disk and
-- refuses S3. With `--bug raft.no_persist_vote` it forgot: the checker,
-- which saw S2's granted reply leave, stops the run at the restart itself on
-- `durable_state` ("restarted in term 1 with voted_for 0, but [...] had given
-- its vote in term 1 to node 1"). Without that rule S2 would vote again and
-- S1 and S3 would both win term 1, caught later as Election Safety.
local c = sim.cluster{ algorithm = "raft", nodes = 3,
                       config = { election_timeout = {400, 600}, heartbeat = 50 } }
sim.network{ latency = sim.const(10) }
sim.block(1, 3); sim.block(3, 1)
sim.link(2, 1, { latency = sim.const(100) })
sim.link(2, 3, { latency = sim.const(100) })

sim.run(1)
c:clock(1, { step = 1000 })              -- S1's election timeout expires now: term 1
sim.assert(sim.run_until(function() return c:state(2).voted_for == 1 end, 100), "S2 votes for S1 in term 1")
print(string.format("t=%5.1f  S2 voted for S1 in term %d; S2 crashes and restarts", sim.now(), c:state(2).term))
c:crash(2)
c:restart(2)
print(string.format("t=%5.1f  S2 back: term %d, voted_for %d (read from its disk)", sim.now(), c:state(2).term,
                    c:state(2).voted_for))
c:clock(3, { step = 1000 })              -- S3 campaigns for term 1 too
sim.run(sim.now() + 300)
local leaders = 0
for i = 1, 3 do if c:state(i).role == "leader" and c:state(i).term == 1 then leaders = leaders + 1 end end
print(string.format("t=%5.1f  leaders of term 1: %d", sim.now(), leaders))
sim.assert(c:state(2).voted_for == 1 or c:state(2).term > 1, "S2 kept its term-1 vote for S1")
sim.assert(leaders <= 1, "at most one leader in term 1")
sim.heal()
sim.link(2, 1, { latency = sim.const(10) })
sim.link(2, 3, { latency = sim.const(10) })
sim.run(sim.now() + 2000)
sim.assert(c:leader() ~= nil, "a leader once the links heal")
