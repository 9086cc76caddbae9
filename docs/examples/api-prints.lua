-- What the examples in docs/lua-api.md print (the "-->" comments there).
local c = sim.cluster{ algorithm = "fdetect", nodes = 4,
                       config = { interval = 50, detector = "phi", threshold = 8 } }
print(c, c:size())
local n = c:node(2)
print(n, n:id())
local cl = sim.clients{ count = 3, rate = 50, keys = 4, cas_ratio = 0.2, stop = 5000 }
print(#cl, cl[1])
local me = sim.client(2)
print(me:id(), me:outstanding())
print(sim.uniform(5, 15))
cl[1]:submit({ op = "get", key = "x" }, function(r) print("fdetect answers", r.status, r.error) end)
sim.run(100)
