-- The heartbeat failure detector written in Lua: the same protocol as the
-- built-in `fdetect` (algorithms/fdetect.c) with detector = "fixed".
--
-- Every node heartbeats all others every `interval` ms of its local clock,
-- starting at a random phase; an observer suspects a peer once no heartbeat
-- arrived for `timeout` ms, and trusts it again at its next heartbeat. Like
-- the C version it keeps one "check" timer at the earliest deadline instead
-- of polling. Run with `-P impl=c` to run the C detector instead: the two
-- traces agree record for record (tests/lua_alg.t compares them) — the Lua
-- path has exactly the semantics of a built-in algorithm, down to the
-- node's random stream: `node:random(0, n)` draws as the C code's
-- node_random_below(n + 1) does.
--
-- The story: node 3 crashes at 1000 ms and restarts at 1500; node 2 pauses
-- for 300 ms at 2000 (a GC pause: suspected, then trusted); a partition
-- splits {1, 2} from {3, 4, 5} between 2600 and 3000 ms; node 4's clock
-- runs fast throughout.
params = {
  impl     = {"lua", "lua: this file's detector; c: the built-in fdetect"},
  interval = {50, "heartbeat interval, ms"},
  timeout  = {200, "suspicion timeout, ms"},
}

local interval_ns = math.tointeger(math.floor(params.interval * 1e6 + 0.5))
-- Times are float ms: a deadline equal to now in ns may differ from it in
-- the last bit of a double, so comparisons allow a tenth of a nanosecond.
local EPS = 1e-7

local function arm_check(node)
  local s, best = node.state, nil
  for _, peer in ipairs(s.order) do          -- first-heard order, as fdetect.c
    local m = s.mons[peer]
    if not m.suspected then
      local d = m.last + node.config.timeout
      if best == nil or d < best then best = d end
    end
  end
  if best == nil then
    node:cancel("check")
    s.armed = nil
    return
  end
  s.armed = best
  local now = node:now()
  node:timer("check", best > now and best - now or 0)
end

local heartbeat = sim.algorithm{
  name = "fd_heartbeat",
  start = function(node)
    local s = node.state                     -- fresh after every restart
    s.seq, s.mons, s.order = 0, {}, {}
    -- first beat at a random phase of the interval (in ns, as fdetect.c)
    node:timer("heartbeat", node:random(0, interval_ns) / 1e6)
  end,
  on_timer = function(node, name)
    local s = node.state
    if name == "heartbeat" then
      s.seq = s.seq + 1
      for i = 1, node.n do
        if i ~= node.id then node:send(i, {type = "Heartbeat", seq = s.seq}) end
      end
      node:timer("heartbeat", node.config.interval)
    else
      s.armed = nil
      local now = node:now()
      for _, peer in ipairs(s.order) do
        local m = s.mons[peer]
        if not m.suspected and m.last + node.config.timeout <= now + EPS then
          m.suspected = true
          node:note("suspect", {target = peer})
        end
      end
      arm_check(node)
    end
  end,
  on_message = function(node, from, msg)
    local s = node.state
    local m = s.mons[from]
    if m == nil then
      m = {}
      s.mons[from] = m
      s.order[#s.order + 1] = from
    end
    m.last = node:now()
    if m.suspected then
      m.suspected = false
      node:note("trust", {target = from})
    end
    if s.armed == nil then arm_check(node) end
  end,
  inspect = function(node)
    local s, list, n = node.state, {}, 0
    for _, peer in ipairs(s.order) do
      if s.mons[peer].suspected then list[#list + 1] = peer end
    end
    return {role = "monitor", monitored = #s.order, suspected = #list,
            suspects = table.concat(list, ","), heartbeats_sent = s.seq}
  end,
}

local config = {interval = params.interval, timeout = params.timeout}
local c
if params.impl == "c" then
  config.detector = "fixed"
  c = sim.cluster{algorithm = "fdetect", nodes = 5, config = config}
else
  c = sim.cluster{algorithm = heartbeat, nodes = 5, config = config}
end
sim.network{latency = sim.uniform(1, 5), loss = 0.01}
c:clock(4, {drift_ppm = 3000})

local suspected = {}
sim.on("suspect", function(ev) suspected[#suspected + 1] = ev end)

sim.at(1000, function() c:crash(3) end)
sim.at(1500, function() c:restart(3) end)
sim.at(2000, function() c:pause(2, 300) end)
sim.at(2600, function() sim.partition({1, 2}, {3, 4, 5}) end)
sim.at(3000, sim.heal)
sim.run(3500)

local of3 = 0
for _, ev in ipairs(suspected) do
  if ev.target == 3 and ev.t > 1000 and ev.t < 1500 then of3 = of3 + 1 end
end
sim.assert(of3 == 4, "every observer suspects the crashed node 3 (" .. of3 .. ")")
sim.assert(c:state(1).suspected == 0, "after healing node 1 trusts everyone again")
