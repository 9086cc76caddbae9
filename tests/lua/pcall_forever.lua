-- Runs until Ctrl-C (tests/hardening.t sends it): sim.run inside pcall.
local c = sim.cluster{ algorithm = "fdetect", nodes = 3 }
while true do pcall(sim.run, sim.now() + 100) end
