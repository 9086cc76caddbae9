-- The params declaration docs/lua-api.md shows; run it with -P to see
-- how values are converted and refused.
params = {
  nodes   = {5, "cluster size"},
  fencing = {true, "storage checks tokens"},
  mode    = {"fast", "fast or slow"},
}
local c = sim.cluster{ algorithm = "fdetect", nodes = params.nodes }
print(params.nodes, params.fencing, params.mode)
