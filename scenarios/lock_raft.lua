-- Locks on a replicated log: the lock machine on Raft (config.machine =
-- "lock"), as etcd and Chubby run locks.
--
-- Three Raft servers; three lock clients (sim.clients{workload = "lock"})
-- acquire "lock" with a 1 s lease, work 50-150 ms, write with their token,
-- release, and start over. With no lock servers of its own, a client sends
-- each operation to the leader; its fencing token is the log index of its
-- grant, and the resource it writes is the lock machine's own register for
-- the key, which refuses a token below the highest it has taken.
--   1. Grants go through the log: every token is higher than the last.
--   2. At 2 s the leader crashes. Clients time out, find the new leader, and
--      go on; the new leader holds every running lease for a full TTL again
--      from when it first sees it, so no lock is granted twice.
--   3. At 4 s a holder crashes without releasing. Its lease expires when
--      the leader's clock says so: the leader proposes expire{} and the log
--      orders it. Only then does another client get the lock.
-- No two clients ever believe they hold the lock at once. `-P algorithm=paxos`
-- runs the same machine on Multi-Paxos: tokens are then slot numbers.
--
-- `-P pauses=true` also stops a random client every 300-900 ms for 1.1-2.5 s,
-- past its lease (Kleppmann's GC pause): its lease expires, another client
-- gets the lock, and the paused one wakes up believing and releases late.
-- The machine must refuse that release; the checker's own model of who holds
-- each lease (lease_owner) says whether it did. A paused client's belief
-- overlaps the next holder's then, and its write may be refused by the
-- token, and the crashed holder's successor may be paused when its lease
-- runs out, so those claims of the story are not asserted.
params = {
  algorithm = {"raft", "the replicated log: raft or paxos (Multi-Paxos)"},
  pauses = {false, "pause random clients past their lease, so late releases happen"},
}
local c = sim.cluster{ algorithm = params.algorithm, nodes = 3,
                       config = { election_timeout = {150, 300}, heartbeat = 50, machine = "lock" } }
sim.network{ latency = sim.uniform(1, 3) }
local cl = sim.clients{ count = 3, workload = "lock", ttl = 1000, hold = {50, 150}, backoff = 40, think = 20,
                        timeout = 100, retries = 5 }

local last, increasing, holder, grants = 0, true, nil, 0
local crashed_at, after_crash, crashed, crashed_token
sim.on("lock_held", function(r)
  grants = grants + 1
  if r.token <= last then increasing = false end
  last = r.token
  holder = r.client
  if crashed_at and not after_crash and r.client ~= crashed then after_crash = r end
  if r.t >= 4000 and not crashed then
    crashed, crashed_at, crashed_token = r.client, r.t + 1, r.token
    sim.after(1, function() cl[crashed]:crash() end)
  end
end)

local late = 0                 -- releases refused because the lease had moved on
if params.pauses then
  sim.on("reply", function(r) if r.op == "release" and r.status == "fail" then late = late + 1 end end)
  local function next_pause()
    sim.after(math.random(300, 900), function()
      local i = math.random(#cl)
      if i ~= crashed then cl[i]:pause(math.random(1100, 2500)) end
      next_pause()
    end)
  end
  next_pause()
end

sim.run(2000)
local old = c:leader()
c:crash(old)
print(string.format("t=%4.0f  leader %d crashes; %d grants so far, last token %d", sim.now(), old, grants, last))
sim.run(4000)
sim.assert(c:leader() ~= nil and c:leader() ~= old, "a new leader")
sim.run(5000)
-- paused clients may hold nothing in 4-5 s, or all be paused when the lease runs out
local story = not params.pauses
sim.assert(crashed ~= nil or not story, "a holder crashed")
if crashed then
  print(string.format("t=%4.0f  client %d crashes holding token %d", crashed_at, crashed, crashed_token))
end
sim.run(8000)
local m = sim.metrics()
sim.assert(after_crash ~= nil or not story, "another client gets the lock after the crashed holder's lease expired")
if after_crash then
  print(string.format("t=%4.0f  client %d gets the lock (token %d), %.0f ms after the crash",
                      after_crash.t, after_crash.client, after_crash.token, after_crash.t - crashed_at))
  sim.assert(after_crash.t - crashed_at >= 1000, "not before the lease ran out")
end
print(string.format("%d grants, last token %d (the log index of the grant), overlapping beliefs %d",
                    grants, last, m.locks.overlapping_belief))
sim.assert(increasing, "every token is higher than the last")
local ls = c:state(c:leader())
print(string.format("the register took %d writes and refused %d", ls.writes, ls.rejected))
if params.pauses then
  print(string.format("%d late releases refused", late))
else
  sim.assert(ls.writes > 10 and ls.rejected == 0, "every holder's write was taken, none refused")
  sim.assert(m.locks.overlapping_belief == 0, "no two clients believed they held the lock at once")
end
local st = c:state(c:leader())
sim.assert(last <= (st.commit_index or st.chosen_upto), "tokens are log indexes (Paxos: slot numbers)")
