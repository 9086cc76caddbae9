-- More hooked records in one event than the pending array first holds (its growth once left dangling strings)
local c = sim.cluster{algorithm="fdetect", nodes=40}
local bad = 0
sim.on("send", function(ev) if ev.msg ~= "Heartbeat" then bad = bad + 1 end end)
sim.run(200)
print("records with a corrupted msg field:", bad)
