-- Raft, lesson: a dequeue is a write. A leader that hands out an item before
-- the dequeue is committed can give one item to two consumers.
--
-- Five Raft servers replicate a FIFO queue (config.machine = "queue").
--   1. A producer enqueues job1, job2, job3; each enq is committed.
--   2. The leader is cut off from the other four (without CheckQuorum it
--      goes on believing it leads). Consumer A can reach only the old
--      leader; consumer B only the other four.
--   3. The four elect a new leader. B dequeues: job1, committed by the new
--      majority.
--   4. A dequeues from the old leader. Done right, that deq needs a majority
--      the old leader cannot reach: A gets no answer (info), and job1 went to
--      B alone. With `--bug raft.deq_from_local_state` the old leader answers
--      A from its own state at once: job1 again. The checker reports
--      queue_double_dequeue and the run exits 1.
-- `-P algorithm=paxos`: a Multi-Paxos leader cut off from its acceptors
-- cannot get the deq chosen either, and A waits in vain just the same.
params = {
  algorithm = {"raft", "the replicated log: raft or paxos (Multi-Paxos)"},
}
local c = sim.cluster{ algorithm = params.algorithm, nodes = 5,
                       config = { election_timeout = {150, 300}, heartbeat = 50, machine = "queue" } }
sim.network{ latency = sim.const(5) }
local cl = sim.clients{ count = 3, timeout = 300, retries = 5 }
local producer, a, b = cl[1], cl[2], cl[3]

sim.assert(sim.run_until(function() return c:leader() ~= nil end, 1000), "a leader")
for i = 1, 3 do
  local r
  producer:submit({ op = "enq", key = "jobs", value = "job" .. i }, function(x) r = x end)
  sim.assert(sim.run_until(function() return r ~= nil end, 3000) and r.status == "ok", "job" .. i .. " enqueued")
end
sim.run(sim.now() + 100)

local old = c:leader()
local others = {}
for i = 1, 5 do if i ~= old then others[#others + 1] = i end end
sim.partition({old}, others)
for _, i in ipairs(others) do sim.block(a, i); sim.block(i, a) end
sim.block(b, old); sim.block(old, b)
sim.assert(sim.run_until(function()
  for _, i in ipairs(others) do if c:state(i).role == "leader" then return true end end
  return false
end, 3000), "the four elect a new leader")
print(string.format("t=%5.0f  node %d is cut off and still thinks it leads; the other four elected a new leader",
                    sim.now(), old))

local got_b, got_a
b:submit({ op = "deq", key = "jobs" }, function(r) got_b = r end)
sim.assert(sim.run_until(function() return got_b ~= nil end, 3000) and got_b.status == "ok", "B's deq completes")
print(string.format("t=%5.0f  consumer B got %s from the new leader", sim.now(), got_b.value or "nothing"))
sim.assert(got_b.value == "job1", "B gets the oldest job")

a:submit({ op = "deq", key = "jobs" }, function(r) got_a = r end)
sim.run_until(function() return got_a ~= nil end, 5000)
print(string.format("t=%5.0f  consumer A's deq from the old leader: %s %s", sim.now(), got_a and got_a.status or "none",
                    got_a and got_a.value or ""))
sim.assert(got_a ~= nil and got_a.status == "info", "the cut-off leader cannot hand out an item")
