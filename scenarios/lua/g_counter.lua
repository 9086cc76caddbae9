-- A gossip G-counter (grow-only counter), the simplest state-based CRDT
-- (Shapiro, Preguiça, Baquero & Zawirski, "Conflict-free Replicated Data
-- Types", SSS 2011, §3.1 and Specification 6), written in Lua.
--
-- Every node keeps a vector P of counts, one entry per node. An increment
-- at node i adds one to P[i] — its own entry only — and is acknowledged at
-- once: no other node is asked. Every `gossip` ms each node sends its
-- whole vector to one peer chosen at random (anti-entropy); the receiver
-- merges by taking the element-wise max. The value is the sum of the
-- vector. Because max is commutative, associative and idempotent, lost,
-- duplicated and reordered gossip does no harm, and any two nodes that
-- have seen the same updates hold the same vector: they converge.
--
-- The story: clients increment at every node; at 500 ms a partition splits
-- {1, 2} from {3, 4, 5}, and increments go on being accepted on both sides
-- (each side's total is then wrong: it misses the other side's increments);
-- at 1500 ms the partition heals, and within a few gossip rounds every node
-- reports the same total, equal to the number of increments acknowledged.
--
-- The contrast: a counter on consensus (Raft or Paxos replicating "add 1")
-- gives one total that every read agrees with at all times — it is
-- linearizable — but the minority side of a partition cannot increment at
-- all, and every increment pays a round trip to a majority. The G-counter
-- is always available and never coordinates, and pays with *eventual*
-- consistency: while the partition lasts, and for a moment after, two
-- nodes report different totals. (It also only grows: a counter that can
-- go down needs two of them, the PN-counter.)
--
-- `check` is a CRDT invariant: no node ever believes node j counted more
-- than node j itself did (entries only travel by copying, never by
-- invention).
params = {
  nodes  = {5, "cluster size"},
  gossip = {40, "anti-entropy period, ms"},
  rate   = {20, "increments per second per client"},
  loss   = {0.05, "loss probability of gossip between nodes"},
}

local function total(p)
  local sum = 0
  for j = 1, #p do sum = sum + p[j] end
  return sum
end

local gcounter = sim.algorithm{
  name = "g_counter",
  start = function(node)
    -- The vector is durable: an acknowledged increment survives a crash.
    local p = node:store_get("P")
    if p == nil then
      p = {}
      for j = 1, node.n do p[j] = 0 end
    end
    node.state.P = p
    node:timer("gossip", node:random(1, node.config.gossip))
  end,
  on_request = function(node, req)
    local p = node.state.P
    if req.op == "incr" then
      p[node.id] = p[node.id] + 1              -- only my own entry
      node:store_put("P", p)
      node:store_sync()                        -- durable before the client hears ok
      node:reply(req, {ok = true, value = total(p)})
    elseif req.op == "get" then
      node:reply(req, {ok = true, value = total(p)})
    else
      node:reply(req, {fail = "unknown op " .. req.op})
    end
  end,
  on_timer = function(node, name)
    -- one random peer per round: the vector, whole (state-based CRDT)
    local peer = node:random(1, node.n - 1)
    if peer >= node.id then peer = peer + 1 end
    node:send(peer, {type = "Gossip", P = node.state.P})
    node:timer("gossip", node.config.gossip)
  end,
  on_message = function(node, from, m)
    local p, changed = node.state.P, false
    for j = 1, node.n do                       -- merge: element-wise max
      if m.P[j] > p[j] then p[j], changed = m.P[j], true end
    end
    if changed then
      node:store_put("P", p)
      node:store_sync()
    end
  end,
  check = function(cluster)
    local own = {}
    for j = 1, cluster:size() do
      local p = cluster:store_get(j, "P")
      own[j] = p and p[j] or 0
    end
    for i = 1, cluster:size() do
      local p = cluster:store_get(i, "P")
      if p then
        for j = 1, #p do
          if p[j] > own[j] then
            return false, string.format("node %d believes node %d counted %d, but node %d counted %d",
                                        i, j, p[j], j, own[j]), "no_invention"
          end
        end
      end
    end
    return true
  end,
  inspect = function(node)
    return {role = "replica", total = total(node.state.P)}
  end,
}

local n = params.nodes
local c = sim.cluster{algorithm = gcounter, nodes = n, config = {gossip = params.gossip}}
sim.network{latency = sim.uniform(1, 10)}
for a = 1, n do                                 -- gossip is lossy; clients' links are not
  for b = 1, n do
    if a ~= b then sim.link(a, b, {loss = params.loss}) end
  end
end

-- One client per node, each sending its increments to "its" node, so both
-- sides of the partition keep incrementing. No retries: an increment is
-- counted once, and every one must be acknowledged.
local acked, sent = 0, 0
local gap = 1000 / params.rate
for i = 1, n do
  local cl = sim.client(i)
  sim.every(gap, function()
    if sim.now() < 2000 then
      sent = sent + 1
      cl:submit({op = "incr", node = i}, function(r)
        if r.status == "ok" then acked = acked + 1 end
      end)
    end
  end)
end

local g1, g2 = {}, {}
for i = 1, n do
  if i <= n // 2 then g1[#g1 + 1] = i else g2[#g2 + 1] = i end
end
local split_totals, acked_then
sim.at(500, function() sim.partition(g1, g2) end)
sim.at(1499, function()
  split_totals, acked_then = {c:state(g1[1]).total, c:state(g2[1]).total}, acked
end)
sim.at(1500, sim.heal)
sim.run(2000)                                   -- the last increments
sim.run(2600)                                   -- and a few gossip rounds

sim.assert(acked == sent and sent > 0, "every increment is acknowledged, on both sides of the partition (" ..
           acked .. " of " .. sent .. ")")
sim.assert(split_totals[1] < acked_then and split_totals[2] < acked_then,
           "just before healing each side's total misses the other side's increments (" .. split_totals[1] ..
           " and " .. split_totals[2] .. " of " .. acked_then .. ")")
for i = 1, n do
  sim.assert(c:state(i).total == acked, string.format(
    "after healing node %d converged to the sum of all increments (%d, expected %d)", i, c:state(i).total, acked))
end
print(string.format("%d increments; at 1499 ms, of %d so far, node %d reports %d and node %d reports %d; " ..
                    "after healing every node reports %d", acked, acked_then, g1[1], split_totals[1], g2[1],
                    split_totals[2], acked))
