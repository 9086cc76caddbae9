-- Two-phase commit (Gray 1978; Bernstein, Hadzilacos & Goodman, "Concurrency
-- Control and Recovery in Database Systems", ch. 7), written in Lua.
--
-- Node 1 coordinates; nodes 2..n take part. Phase 1: the coordinator sends
-- Prepare; each participant makes its vote durable and answers yes or no.
-- Phase 2: on all yes the coordinator durably decides commit, on any no (or
-- a vote that does not come in time) abort, and tells everyone. A
-- participant that voted yes is *in doubt*: it may neither commit nor abort
-- until it hears the decision — from the coordinator, the only node that
-- knows it. That is 2PC's blocking problem, and `case = "coord_crash"`
-- shows it: the coordinator crashes after Prepare, and the participants
-- stay in doubt for as long as it stays down.
--
-- The cases (-P case=...): ok (commits), coord_crash (blocks in doubt),
-- vote_no (node 3 votes no: aborts), participant_crash (node 4 is down at
-- Prepare: the vote times out, aborts). `check` is atomicity: never one
-- node committed and another aborted.
params = {
  case  = {"ok", "ok, coord_crash, vote_no or participant_crash"},
  nodes = {4, "cluster size (node 1 coordinates)"},
}

local function decide(node, d)
  local s = node.state
  if s.decision then return end
  s.decision, s.st = d, d
  node:store_put("decision", d)
  node:store_sync()                        -- the decision is durable before anyone hears it
  node:note("decide", {decision = d})
  node:broadcast({type = "Decision", decision = d})
end

local function settle(node, d)
  local st = d == "commit" and "committed" or "aborted"
  if node.state.st ~= st then
    node.state.st = st
    node:store_put("state", st)
    node:store_sync()
    node:note("outcome", {state = st})
  end
end

local tpc = sim.algorithm{
  name = "two_phase_commit",
  start = function(node)
    local s = node.state
    if node.id == 1 then
      s.decision = node:store_get("decision")
      s.st, s.votes = s.decision, {}
      if not s.decision then node:timer("begin", 10) end
    else
      s.st = node:store_get("state")      -- what it voted survives a crash
      -- an in-doubt participant keeps asking the coordinator
      node:timer("ask", 200)
    end
  end,
  on_timer = function(node, name)
    local s = node.state
    if name == "begin" then
      node:broadcast({type = "Prepare", tx = 1})
      node:timer("vote_timeout", 100)
    elseif name == "vote_timeout" then
      decide(node, "abort")                -- a missing vote counts as no
    elseif name == "ask" then
      if s.st == "prepared" then node:send(1, {type = "Query"}) end
      node:timer("ask", 200)
    end
  end,
  on_message = function(node, from, msg)
    local s = node.state
    if msg.type == "Prepare" then
      local yes = node.config.no_voter ~= node.id
      s.st = yes and "prepared" or "aborted"
      node:store_put("state", s.st)
      node:store_sync()                    -- the vote is durable before it is sent
      node:send(from, {type = "Vote", yes = yes})
    elseif msg.type == "Vote" then
      if not msg.yes then decide(node, "abort") return end
      s.votes[from] = true
      local n = 0
      for _ in pairs(s.votes) do n = n + 1 end   -- counting: order does not matter
      if n == node.n - 1 then decide(node, "commit") end
    elseif msg.type == "Decision" then
      settle(node, msg.decision)
    elseif msg.type == "Query" and s.decision then
      node:send(from, {type = "Decision", decision = s.decision})
    end
  end,
  check = function(cluster)
    local committed, aborted
    for i = 1, cluster:size() do
      local st = cluster:store_get(i, i == 1 and "decision" or "state")
      if st == "commit" or st == "committed" then committed = i end
      if st == "abort" or st == "aborted" then aborted = i end
    end
    if committed and aborted then
      return false, string.format("node %d committed and node %d aborted", committed, aborted), "atomicity"
    end
    return true
  end,
  inspect = function(node)
    return {state = node.state.st or "none"}
  end,
}

local case = params.case
local c = sim.cluster{algorithm = tpc, nodes = params.nodes,
                      config = {no_voter = case == "vote_no" and 3 or 0}}
sim.network{latency = sim.const(5)}
if case == "coord_crash" then sim.at(15, function() c:crash(1) end) end   -- after Prepare, before the votes
if case == "participant_crash" then
  sim.at(12, function() c:crash(4) end)
  sim.at(500, function() c:restart(4) end)
end
sim.run(2000)

local function all(st)
  for i = 2, params.nodes do
    if case == "participant_crash" and i == 4 then goto continue end
    if c:state(i).state ~= st then return false end
    ::continue::
  end
  return true
end
if case == "ok" then
  sim.assert(all("committed"), "no faults: every participant commits")
elseif case == "coord_crash" then
  sim.assert(all("prepared"), "the coordinator crashed after Prepare: every participant is still in doubt " ..
             "at 2000 ms (2PC blocks)")
elseif case == "vote_no" then
  sim.assert(all("aborted"), "one no vote: everyone aborts")
elseif case == "participant_crash" then
  sim.assert(all("aborted"), "a participant down at Prepare: the vote times out and everyone aborts")
  sim.assert(c:state(4).state == "none", "the crashed participant never voted: it may forget the transaction")
else
  sim.assert(false, "unknown case " .. case)
end
