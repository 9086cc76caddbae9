-- Steps add up: a client's clock may be at most 1e12 ms off.
local c = sim.cluster{ algorithm = "fdetect", nodes = 3 }
local cl = sim.client(1)
for i = 1, 20 do cl:clock{ step = 1e12 } end
