-- Raft, lesson: currentTerm is persistent state (Figure 2): "updated on
-- stable storage before responding to RPCs" — including the answer to an
-- empty heartbeat that only told the server about a newer term.
--
-- Three servers whose disks lose unsynced writes on a crash. S1 leads term 1.
-- S2 takes over in term 2 while its RequestVote to S3 is lost: the first
-- thing a new leader sends is an empty AppendEntries, and S3 learns term 2
-- from it and answers "success, term 2".
-- S3 crashes before the leader's next message. A server that answered from
-- an unsynced term comes back in term 1 — it told the leader one thing and
-- its disk says another. A correct S3 comes back in term 2.
local c = sim.cluster{ algorithm = "raft", nodes = 3, lose_unsynced = true,
                       config = { election_timeout = {400, 600}, heartbeat = 50 } }
sim.network{ latency = sim.const(5) }

sim.run(1)
c:clock(1, { step = 1000 })
sim.assert(sim.run_until(function()
  return c:leader() == 1 and c:state(3).commit_index >= 1 end, 500), "S1 leads term 1")

local replied_term
sim.on("role", function(ev)
  if ev.node == 2 and ev.role == "leader" then
    -- S2's heartbeat reaches S3 5 ms later; S3's answer leaves at once; the
    -- no-op follows only after the answer is back (10 ms).
    sim.after(7, function()
      replied_term = c:state(3).term
      c:crash(3)
      c:restart(3)
    end)
  end
end)
-- S3 must not hear of term 2 from S2's RequestVote (that answer syncs):
-- the link S2 -> S3 is cut while S2 campaigns, and open again when it wins.
sim.block(2, 3)
c:clock(2, { step = 1000 })
sim.run(sim.now() + 1)
sim.heal()
sim.assert(sim.run_until(function() return replied_term ~= nil end, 300), "S2 leads term 2, S3 crashes")
print(string.format("t=%5.1f  S3 answered the heartbeat in term %d; after the crash it is in term %d",
                    sim.now(), replied_term, c:state(3).term))
sim.assert(replied_term == 2, "S3 learned term 2 from the heartbeat")
sim.assert(c:state(3).term == 2, "S3's answer was in term 2, so its disk says term 2")
sim.run(sim.now() + 1000)
sim.assert(c:leader() == 2, "S2 still leads")
