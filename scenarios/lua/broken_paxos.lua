-- A deliberately wrong student Paxos: scenarios/lua/paxos_single.lua with
-- one line changed. After a majority of promises, this proposer always
-- proposes its own value instead of adopting the value of the
-- highest-ballot acceptance the promises report (Lamport's P2c). It
-- looks fine on most schedules — seed 1 passes — but once a value was
-- chosen and a later ballot's proposer did not hear of it (a partition
-- kept it away, say), that proposer gets a different value chosen:
-- agreement is broken. The faults come from the same nemesis schedule as
-- in paxos_single.lua, so `--shrink` can take them out one at a time and
-- keep only those the failure needs.
--
-- Find a seed and shrink it (docs/lua-algorithms.md, the lab's part 3):
--   clustersim explore scenarios/lua/broken_paxos.lua --seeds 1..200 --shrink
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
  name = "broken_paxos",
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
        local v = "v" .. node.id                -- BUG: ignores best.av (P2c says adopt it)
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
