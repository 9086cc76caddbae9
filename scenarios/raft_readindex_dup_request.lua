-- Raft, lesson (about the checker as much as Raft): a read is linearizable
-- if it returns a state from some moment between the client sending it and
-- the answer arriving — not necessarily the newest state at the answer.
--
-- Three servers with ReadIndex reads (thesis §6.4). The network delivers the
-- client's read to the leader S1 twice. S1 takes the first copy: its
-- readIndex is x = 1, and it sends a heartbeat round to confirm it still
-- leads. Then S1 stalls (a GC pause) for 800 ms; the second copy and the
-- followers' acknowledgements wait in its queue. While it sleeps, S2 and S3
-- elect a new leader, which commits x = 2. S1 wakes: it handles the second
-- copy (a new read) and then the acknowledgements, which confirm the FIRST
-- read: they were sent before anyone else led, so x = 1 was current when
-- they left. S1 answers x = 1, which is correct. A checker that dated the
-- read by the second copy's arrival would call it stale.
local c = sim.cluster{ algorithm = "raft", nodes = 3,
                       config = { election_timeout = {150, 300}, heartbeat = 50, read_index = true } }
sim.network{ latency = sim.const(5) }
sim.clients{ count = 1, timeout = 100, retries = 30 }     -- client 1: writes, finds leaders fast
sim.clients{ count = 1, timeout = 2000, retries = 0 }     -- client 2: reads, waits for S1

local function op(cl, o)
  local r
  sim.client(cl):submit(o, function(x) r = x end)
  sim.assert(sim.run_until(function() return r ~= nil end, 3000), "operation " .. o.op .. " completes")
  return r
end

sim.run(1)
c:clock(1, { step = 1000 })
sim.assert(sim.run_until(function() return c:leader() == 1 and c:state(3).commit_index >= 1 end, 500), "S1 leads")
sim.assert(op(1, { op = "put", key = "x", value = "1" }).status == "ok", "x = 1")
sim.assert(op(2, { op = "get", key = "x" }).value == "1", "client 2 reads x = 1 (and learns S1 leads)")

-- Client 2 -> S1 duplicates everything; both copies take 5 ms.
sim.link(sim.client(2), 1, { latency = sim.const(5), duplicate = 1 })
local paused = false
sim.on("recv", function(ev)
  if not paused and ev.dst == 1 and ev.msg == "Request" and ev.src == -2 then
    paused = true
    c:pause(1, 800)
  end
end)
local read
sim.client(2):submit({ op = "get", key = "x" }, function(r) read = r end)
sim.assert(sim.run_until(function() return paused end, 100), "S1 got the read and stalls")
sim.assert(sim.run_until(function() local l = c:leader(); return l ~= nil and l ~= 1 end, 700),
           "S2 or S3 leads while S1 sleeps")
sim.assert(op(1, { op = "put", key = "x", value = "2" }).status == "ok", "x = 2 committed by the new leader")
sim.run_until(function() return read ~= nil end, 3000)
print(string.format("t=%5.1f  the read: %s x = %s", sim.now(), read and read.status or "none",
                    read and tostring(read.value) or ""))
sim.assert(read ~= nil and read.status == "ok" and read.value == "1",
           "S1 answers the read it confirmed before it stalled: x = 1")
