-- Raft, lesson: leadership can be handed over on purpose, without waiting
-- for an election timeout (thesis §3.10), e.g. to take the leader's machine
-- down for maintenance.
--
-- c:transfer_leadership(to) asks the leader to (1) stop accepting new client
-- requests (it redirects them to the target), (2) bring the target's log up
-- to date, and (3) send it TimeoutNow; the target campaigns at once, and
-- because its log is at least as up to date as anyone's it wins. Its
-- RequestVote is marked as a transfer so that servers which just heard from
-- the leader do not ignore it (§4.2.3). The hand-over takes a few network
-- round trips instead of an election timeout, and clients see only a
-- redirect.
--
-- Second part: a transfer to a crashed server cannot complete. After an
-- election timeout the leader gives up and accepts requests again; nobody
-- else was disturbed.
local c = sim.cluster{ algorithm = "raft", nodes = 5,
                       config = { election_timeout = {150, 300}, heartbeat = 50, check_quorum = true } }
sim.network{ latency = sim.uniform(2, 6) }
sim.clients{ count = 3, closed = true, think = 5, keys = 4, timeout = 300, retries = 10 }

local phases = {}
sim.on("transfer", function(ev) phases[#phases + 1] = string.format("%s->%d", ev.phase, ev.to) end)

sim.assert(sim.run_until(function() return c:leader() ~= nil end, 2000), "a first leader")
sim.run(sim.now() + 500)
local old = c:leader()
local target = old % 5 + 1
local term = c:state(old).term
local t0 = sim.now()
c:transfer_leadership(target)
sim.assert(sim.run_until(function() return c:leader() == target end, 300), "the target leads")
local took = sim.now() - t0
print(string.format("t=%6.1f  node %d handed leadership to node %d in %.1f ms (term %d -> %d)",
                    sim.now(), old, target, took, term, c:state(target).term))
sim.assert(c:state(target).term == term + 1, "one election, no split vote")
sim.assert(took < 150, "faster than the shortest election timeout")

-- A transfer that cannot complete.
sim.run(sim.now() + 500)
local leader = c:leader()
local dead = leader % 5 + 1
c:crash(dead)
local ok_before = sim.metrics().ops.ok
c:transfer_leadership(dead)
sim.run(sim.now() + 500)
print(string.format("t=%6.1f  transfer to crashed node %d: %s; node %d still leads term %d",
                    sim.now(), dead, table.concat(phases, ", "), c:leader(), c:state(leader).term))
sim.assert(c:leader() == leader, "the leader gave up and still leads")
sim.assert(phases[#phases] == "abort->" .. dead, "the transfer was aborted")
sim.run(sim.now() + 500)
sim.assert(sim.metrics().ops.ok > ok_before, "clients make progress again")
