-- Raft, lesson: a retried increment must not count twice; the state machine
-- remembers each client's recent operations and answers a duplicate with the
-- first result (client sessions, Raft thesis §6.3).
--
-- Three Raft servers replicate a counter (config.machine = "counter").
--   1. Three clients each increment the counter 30 times, one at a time.
--   2. The network loses 20 % of the replies to clients, so clients time out
--      and retry operations the cluster already committed. A retry keeps the
--      operation's sequence number.
--   3. Each retry that reaches the log is a duplicate of a committed entry:
--      the session layer answers it with the first result and counts it
--      once, so the final value lies between the acknowledged increments and
--      those plus the ones whose outcome the client never learned (info).
-- With `--bug raft.no_dedup` the session window is off: a retried increment
-- counts again. The checker sees a reply that the committed state does not
-- give (client_reply) and the run exits 1; without the checker the final
-- count would exceed every increment the clients were told about.
-- `-P algorithm=paxos` runs the same counter on Multi-Paxos, whose session
-- layer (the same machine.c) deduplicates the retries alike.
params = {
  algorithm = {"raft", "the replicated log: raft or paxos (Multi-Paxos)"},
  ops = {30, "increments per client"},
  loss = {0.2, "fraction of replies to clients lost"},
}
local c = sim.cluster{ algorithm = params.algorithm, nodes = 3,
                       config = { election_timeout = {150, 300}, heartbeat = 50, machine = "counter" } }
sim.network{ latency = sim.uniform(2, 8) }
local cl = sim.clients{ count = 3, timeout = 60, retries = 8 }
for i = 1, 3 do
  for n = 1, 3 do sim.link(n, cl[i], { loss = params.loss }) end
end

local ok, info, fail, left = 0, 0, 0, 3
local function run(client, k)
  if k > params.ops then left = left - 1; return end
  client:submit({ op = "incr", key = "hits", num = 1 }, function(r)
    if r.status == "ok" then ok = ok + 1 elseif r.status == "info" then info = info + 1 else fail = fail + 1 end
    run(client, k + 1)
  end)
end
sim.assert(sim.run_until(function() return c:leader() ~= nil end, 1000), "a leader")
for i = 1, 3 do run(cl[i], 1) end
sim.assert(sim.run_until(function() return left == 0 end, 60000), "every client finished")
sim.run(sim.now() + 500)
local total = c:state(c:leader()).total
local m = sim.metrics()
print(string.format("acknowledged %d, info %d, failed %d; retries %d; the counter reads %d",
                    ok, info, fail, m.ops.retries, total))
sim.assert(m.ops.retries > 0, "replies were lost and operations retried")
sim.assert(total >= ok and total <= ok + info, "every increment counted once: acknowledged <= value <= acknowledged + info")
