-- the node object: state wiped by a crash, the durable store kept (unsynced
-- writes lost with lose_unsynced), timers by name, replies, notes, inspect
local seen = {}
local a = sim.algorithm{
  name = "sem",
  start = function(node)
    local boots = (node:store_get("boots") or 0) + 1
    node:store_put("boots", boots)
    node:store_sync()
    seen[#seen + 1] = {id = node.id, boots = boots, had = node.state.mark,
                       unsynced = node:store_get("unsynced") ~= nil, cfg = node.config.deep.list[2]}
    node:store_put("unsynced", {x = 1})      -- lost at a crash
    node.state.mark = true
    node:timer("a", 10)
    node:timer("a", 20)                       -- re-arming replaces
    node:timer("b", 5)
    node:cancel("b")
  end,
  on_timer = function(node, name)
    node.state.fired = (node.state.fired or 0) + 1
    node:note("tick", {name = name, fired = node.state.fired, nested = {1, 2}})
  end,
  on_request = function(node, req)
    node:reply(req, {ok = true, value = "v" .. node.id})
  end,
  inspect = function(node) return {fired = node.state.fired or 0, role = "x"} end,
  leader = function(cluster) return cluster:up(2) and 2 or nil end,
}
local c = sim.cluster{algorithm = a, nodes = 2, lose_unsynced = true,
                      config = {deep = {list = {"a", "b"}}}}
local ticks = {}
sim.on("tick", function(ev) ticks[#ticks + 1] = ev end)
local replies = {}
sim.on("reply", function(ev) replies[#replies + 1] = ev end)
sim.client(1):submit{op = "get", key = "k"}
sim.run(30)
sim.assert(#ticks == 2 and ticks[1].t == 20 and ticks[1].name == "a" and ticks[1].nested[2] == 2,
           "one tick per node at 20 ms: re-arming replaced, cancel cancelled")
sim.assert(c:state(1).fired == 1 and c:state(1).role == "x", "inspect reaches c:state")
sim.assert(c:leader() == 2, "leader() reaches c:leader")
sim.assert(#replies == 1 and replies[1].status == "ok", "the request was answered")
c:crash(1)
sim.assert(c:leader() == 2, "node 2 still up")
c:restart(1)
sim.assert(seen[3].id == 1 and seen[3].boots == 2, "the synced store survived the crash")
sim.assert(seen[3].had == nil, "a crash wipes node.state")
sim.assert(seen[3].unsynced == false, "an unsynced write is lost with lose_unsynced")
sim.assert(seen[1].cfg == "b", "nested config reaches node.config")
sim.run(60)
