local c = sim.cluster{algorithm="fdetect", nodes=3}
local n = c:node(2)
n:crash()
print(tostring(n), n:state().up)
n:restart()
n:pause(10)
sim.run(50)
print(n:up(), n:id())
