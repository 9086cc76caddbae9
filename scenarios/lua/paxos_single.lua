-- Single-decree Paxos (Lamport, "Paxos Made Simple", 2001), written in Lua:
-- copy this file to start your own.
--
-- Every node is proposer, acceptor and learner. A proposer picks a ballot
-- b = round * n + id (unique per node) and runs
--   phase 1: Prepare(b) to all; an acceptor promises not to accept below b
--            and answers with what it accepted so far (Promise);
--   phase 2: on a majority of promises, Accept(b, v) where v is the value
--            of the highest-ballot acceptance among the promises (§2.2,
--            P2c) — or, only when there is none, its own value.
-- An acceptor that accepts tells every learner (Accepted); a value
-- accepted by a majority in one ballot is chosen. Acceptor state is
-- durable (store_put + store_sync before answering). Every node proposes
-- its own value at a random moment and retries with a higher ballot after
-- a random timeout, so proposers duel. A nemesis attacks the cluster for
-- the first 2000 ms: a crash, a pause or a partition every 100 ms on
-- average, each lasting 80 ms (`-P loss=0.1` adds message loss on top).
-- `check` is agreement: no two nodes ever learn different values; it runs
-- after every event, so `clustersim explore` tries it on every schedule.
params = {
  nodes = {5, "cluster size"},
  loss  = {0, "message loss probability"},
}

local function majority(node) return node.n // 2 + 1 end

local function propose(node)
  local s = node.state
  if s.learned then return end
  s.round = s.round + 1
  s.ballot = s.round * node.n + node.id
  s.promises, s.accepts = {}, 0
  node:store_put("round", s.round)
  node:store_sync()
  node:broadcast({type = "Prepare", b = s.ballot})
  node:send(node.id, {type = "Prepare", b = s.ballot})
  node:timer("retry", node:random(50, 150))
end

local function learn(node, v)
  if node.state.learned then return end
  node.state.learned = v
  node:store_put("learned", v)
  node:store_sync()
  node:note("chosen", {value = v})
end

local paxos = sim.algorithm{
  name = "paxos_single",
  start = function(node)
    local s = node.state
    s.round = node:store_get("round") or 0      -- never reuse a ballot after a crash
    s.learned = node:store_get("learned")
    s.votes = {}                                 -- learner: ballot -> {acceptor = true}
    node:timer("propose", node:random(0, 40))
  end,
  on_timer = function(node, name) propose(node) end,
  on_message = function(node, from, m)
    local s = node.state
    if m.type == "Prepare" then
      local promised = node:store_get("promised") or 0
      if m.b > promised then
        node:store_put("promised", m.b)
        node:store_sync()
        local acc = node:store_get("accepted")
        node:send(from, {type = "Promise", b = m.b, ab = acc and acc.b or 0, av = acc and acc.v})
      end
    elseif m.type == "Promise" and m.b == s.ballot and s.promises then
      s.promises[from] = m
      local n, best = 0, nil
      for _, p in sim.sorted(s.promises) do
        n = n + 1
        if p.ab > 0 and (best == nil or p.ab > best.ab) then best = p end
      end
      if n == majority(node) then
        local v = best and best.av or ("v" .. node.id)   -- adopt the highest accepted value (P2c)
        node:broadcast({type = "Accept", b = s.ballot, v = v})
        node:send(node.id, {type = "Accept", b = s.ballot, v = v})
      end
    elseif m.type == "Accept" then
      if m.b >= (node:store_get("promised") or 0) then
        node:store_put("promised", m.b)
        node:store_put("accepted", {b = m.b, v = m.v})
        node:store_sync()
        node:broadcast({type = "Accepted", b = m.b, v = m.v})
        node:send(node.id, {type = "Accepted", b = m.b, v = m.v})
      end
    elseif m.type == "Accepted" then
      local key = tostring(m.b)
      local set = s.votes[key] or {n = 0}
      s.votes[key] = set
      if not set[from] then
        set[from] = true
        set.n = set.n + 1
        if set.n == majority(node) then learn(node, m.v) end
      end
    end
  end,
  check = function(cluster)
    local first, who
    for i = 1, cluster:size() do
      local v = cluster:store_get(i, "learned")
      if v ~= nil then
        if first == nil then first, who = v, i
        elseif v ~= first then
          return false, string.format("node %d learned %s but node %d learned %s", who, first, i, v), "agreement"
        end
      end
    end
    return true
  end,
  inspect = function(node)
    return {role = "proposer", round = node.state.round, learned = node.state.learned or ""}
  end,
}

local c = sim.cluster{algorithm = paxos, nodes = params.nodes}
sim.network{latency = sim.uniform(1, 10), loss = params.loss}
sim.nemesis{faults = {"crash", "partition", "pause"}, interval = 100, duration = 80, stop = 2000}
sim.run(3000)
local learned = 0
for i = 1, params.nodes do
  if c:state(i).learned ~= "" then learned = learned + 1 end
end
sim.assert(learned >= 1, "some node learned a value despite the faults and duelling proposers")
