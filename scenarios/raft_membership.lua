-- Raft, lesson: the cluster's membership changes through the log, one server
-- at a time, without stopping (thesis chapter 4).
--
-- A configuration is an entry in the log: "add server 4", "remove server 1".
-- Every server uses the latest configuration in its log as soon as it has
-- it, committed or not (§4.1), and every quorum (votes, commitment, reads)
-- is a majority of it. Changing one server at a time keeps every majority
-- of the old configuration overlapping every majority of the new one, so
-- there is never a moment when two disjoint groups could both decide
-- (§4.2). The leader starts a change only when the previous one is
-- committed and it has committed an entry of its own term (the errata).
--
--   1. Grow 3 -> 5. A new server first catches up as a non-voting learner
--      (§4.2.1): otherwise adding an empty server to 3 would make the
--      cluster wait for it to copy the whole log before it could commit.
--   2. Shrink 5 -> 3 under load, removing the leader first: it keeps
--      leading, without counting itself, until its removal is committed,
--      then steps down and leaves (§4.2.2); the others elect a new leader.
--   3. Replace a crashed server: add a fresh one, then remove the dead one.
--
-- Clients keep writing throughout; the checker watches every quorum.
local c = sim.cluster{ algorithm = "raft", nodes = 3,
                       config = { election_timeout = {150, 300}, heartbeat = 50, check_quorum = true,
                                  prevote = true } }
sim.network{ latency = sim.uniform(2, 8), loss = 0.01 }
sim.clients{ count = 3, closed = true, think = 5, keys = 8, cas_ratio = 0.2, timeout = 300, retries = 10 }

local left = {}
sim.on("remove_node", function(ev) left[#left + 1] = ev.node end)
sim.on("config", function(ev)
  print(string.format("t=%7.1f  node %d appends %s %d at index %d (term %d)",
                      sim.now(), ev.node, ev.change, ev.server, ev.index, ev.term))
end)

local function config_is(want)
  local l = c:leader()
  return l ~= nil and c:state(l).config == want and c:state(l).commit_index >= c:state(l).log_length
end
local function ops() return sim.metrics().ops.ok end

sim.assert(sim.run_until(function() return c:leader() ~= nil end, 2000), "a first leader")
sim.run(sim.now() + 500)

-- 1. Grow.
local ok0 = ops()
local four = c:add_node()
sim.assert(sim.run_until(function() return config_is("1,2,3," .. four) end, 3000), "server 4 added")
local five = c:add_node()
sim.assert(sim.run_until(function() return config_is("1,2,3,4,5") end, 3000), "server 5 added")
sim.assert(c:state(five).voter and c:state(five).last_applied > 0, "server 5 votes and has the log")
print(string.format("t=%7.1f  grown to %s; %d operations during the change", sim.now(),
                    c:state(c:leader()).config, ops() - ok0))

-- 2. Shrink, the leader first.
local old = c:leader()
c:remove_node(old)
sim.assert(sim.run_until(function() return #left == 1 end, 3000), "the removed leader left")
sim.assert(left[1] == old, "after committing its own removal")
sim.assert(sim.run_until(function() return c:leader() ~= nil end, 2000), "a new leader")
print(string.format("t=%7.1f  node %d removed itself and left; node %d leads %s", sim.now(), old,
                    c:leader(), c:state(c:leader()).config))
local second = c:leader() == five and four or five
c:remove_node(second)
sim.assert(sim.run_until(function() return #left == 2 end, 3000), "a second server removed")
sim.run(sim.now() + 300)
local cfg = c:state(c:leader()).config
print(string.format("t=%7.1f  shrunk to %s", sim.now(), cfg))
sim.assert(select(2, cfg:gsub(",", "")) == 2, "three servers left")

-- 3. Replace a crashed server.
local l = c:leader()
local dead
for id in cfg:gmatch("%d+") do if tonumber(id) ~= l then dead = tonumber(id) end end
c:crash(dead)
local ok1 = ops()
local fresh = c:add_node()
sim.assert(sim.run_until(function() local x = c:leader(); return x and c:state(x).config:find(tostring(fresh)) end, 3000),
           "the fresh server added")
c:remove_node(dead)
sim.assert(sim.run_until(function()
  local x = c:leader()
  return x and not c:state(x).config:find("%f[%d]" .. dead .. "%f[%D]") and c:state(x).commit_index >= c:state(x).log_length
end, 3000), "the dead server removed")
sim.run(sim.now() + 1000)
print(string.format("t=%7.1f  node %d replaced by node %d: %s; %d operations since the crash", sim.now(), dead,
                    fresh, c:state(c:leader()).config, ops() - ok1))
sim.assert(ops() > ok1, "clients kept going")
