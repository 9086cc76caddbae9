-- The answers raft gives to client operations (docs/lua-api.md, raft).
local c = sim.cluster{ algorithm = "raft", nodes = 3 }
sim.run(1000)
local follower = c:leader() % 3 + 1
local me = sim.client(1)
sim.on("reply", function(r) if r.error then print("reply", r.status, r.error) end end)
local function show(r) print("complete", r.op, r.status, r.error) end
me:submit({ op = "cas", key = "x", expect = "1", value = "2" }, show)
me:submit({ op = "incr", key = "x" }, show)
me:submit({ op = "get", key = "x", node = follower }, show)
sim.run(2000)
