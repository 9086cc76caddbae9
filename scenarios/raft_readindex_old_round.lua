-- Raft, lesson: a ReadIndex leader may count only acknowledgements of
-- heartbeats it sent in its CURRENT term (thesis §6.4 step 3: "the leader
-- sends a new round of heartbeats and waits for their acknowledgments from a
-- majority of the cluster").
--
-- Heartbeat rounds are numbered per term, so round numbers repeat. Five
-- servers with ReadIndex reads. S1 leads term 1 and serves ten reads, so its
-- heartbeats carry round 10; one of them, to S4, is held up in the network
-- for three seconds. Meanwhile S2 leads term 2 and S1 leads again in term 3,
-- counting rounds from 0. The old term-1 heartbeat finally reaches S4, now in
-- term 3; S4 rejects it ("term < currentTerm") with its own term, 3, and the
-- echoed round 10, and that reply too is slow. Then S1 and S2 are cut off
-- from S3, S4, S5, which elect S3 in term 4 and commit x = 2. S1 still
-- believes it leads term 3. A client that reaches only S1 and S2 reads x: S1
-- starts round 1; S2 acknowledges it; then S4's old rejection arrives —
-- term 3 (S1's term), round 10 >= 1. A leader that took it as an
-- acknowledgement would count a majority (S1, S2, S4) and answer x = 1, a
-- stale read. The rejection answers a term-1 request, so it proves nothing
-- about term 3: the read must not be answered.
local c = sim.cluster{ algorithm = "raft", nodes = 5,
                       config = { election_timeout = {400, 600}, heartbeat = 50, read_index = true } }
sim.network{ latency = sim.const(5) }
sim.clients{ count = 2, timeout = 300, retries = 15 }

local function leads(i, term)
  return function() local s = c:state(i); return s.role == "leader" and s.term == term end
end
local function op(cl, o)
  local r
  sim.client(cl):submit(o, function(x) r = x end)
  sim.assert(sim.run_until(function() return r ~= nil end, 3000), "operation " .. o.op .. " completes")
  return r
end

sim.run(1)
c:clock(1, { step = 1000 })
sim.assert(sim.run_until(function()
  return c:leader() == 1 and c:state(5).commit_index >= 1 end, 500), "S1 leads term 1")
sim.assert(op(1, { op = "put", key = "x", value = "1" }).status == "ok", "x = 1")
for _ = 1, 10 do op(1, { op = "get", key = "x" }) end     -- S1's heartbeat rounds reach 10

-- One term-1 heartbeat to S4 takes 3 s.
sim.link(1, 4, { latency = sim.const(3000) })
sim.run(sim.now() + 60)
sim.link(1, 4, { latency = sim.const(5) })
local slow_sent = sim.now()

-- Term 2 led by S2, then term 3 led by S1 (whose rounds restart).
c:clock(2, { step = 1000 })
sim.assert(sim.run_until(leads(2, 2), 300), "S2 leads term 2")
sim.assert(sim.run_until(function() return c:state(1).log_length == c:state(2).log_length
                                         and c:state(1).commit_index == c:state(2).commit_index end, 300),
           "S1 has S2's term-2 entry")
c:clock(1, { step = 1000 })
sim.assert(sim.run_until(leads(1, 3), 300), "S1 leads term 3")
sim.assert(sim.run_until(function() return c:state(1).commit_index == c:state(1).log_length end, 300),
           "S1 committed its term-3 no-op")

-- S4's answer to the old heartbeat (term 3, round 10) is slow too.
sim.run_until(function() return sim.now() >= slow_sent + 2900 end, 4000)
sim.link(4, 1, { latency = sim.const(2000) })
sim.run(sim.now() + 250)
sim.link(4, 1, { latency = sim.const(5) })

-- Cut {S1, S2} from {S3, S4, S5}; only S4 -> S1 stays open (S4 sends S1
-- nothing new: it hears nothing from S1 and does not campaign).
for _, a in ipairs({1, 2}) do
  for _, b in ipairs({3, 4, 5}) do
    sim.block(a, b)
    if not (a == 1 and b == 4) then sim.block(b, a) end
  end
end
-- Client 1 reaches only the majority side, client 2 only S1 and S2.
for _, i in ipairs({1, 2}) do sim.block(sim.client(1), i); sim.block(i, sim.client(1)) end
for _, i in ipairs({3, 4, 5}) do sim.block(sim.client(2), i); sim.block(i, sim.client(2)) end
c:clock(3, { step = 1000 })
sim.assert(sim.run_until(leads(3, 4), 500), "S3 leads term 4")
sim.assert(op(1, { op = "put", key = "x", value = "2" }).status == "ok", "x = 2 committed by the majority")
sim.assert(c:state(1).role == "leader" and c:state(1).term == 3, "S1 still believes it leads term 3")
print(string.format("t=%6.1f  x = 2 committed in term 4; S1 still leads term 3; S4's old reply lands at about t=%6.1f",
                    sim.now(), slow_sent + 3000 + 2000))

local read
sim.client(2):submit({ op = "get", key = "x" }, function(r) read = r end)
sim.run_until(function() return read ~= nil end, 8000)
print(string.format("t=%6.1f  the read from S1: %s %s", sim.now(), read and read.status or "none",
                    read and tostring(read.value or "(no value)") or ""))
sim.assert(read ~= nil and read.status ~= "ok", "the cut-off leader never answers the read")
