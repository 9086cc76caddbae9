-- Messages name the number given, not a truncated one.
local c = sim.cluster{ algorithm = "fdetect", nodes = 3 }
print(select(2, pcall(c.crash, c, 4294967297)))
print(select(2, pcall(c.crash, c, 2^53)))
print(select(2, pcall(sim.client, 100001)))
print(select(2, pcall(sim.cluster, {})))
