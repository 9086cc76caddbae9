-- Compare-and-swap semantics through Raft, end to end, for the mutation
-- test: the history checker's model is kv.c itself, so a kv.c that
-- compares too little agrees with its own model; these assertions do not.
local c = sim.cluster{ algorithm = "raft", nodes = 3 }
sim.network{ latency = sim.const(2) }
local cl = sim.client(1)
local results = {}
local function step(name, op)
  cl:submit(op, function(r) results[name] = r.status or r.result or r.outcome end)
  sim.run(sim.now() + 500)
end
sim.run(1000)
step("put", {op = "put", key = "x", value = "v1"})
step("cas_wrong", {op = "cas", key = "x", expect = "v2", value = "v3"})
step("cas_right", {op = "cas", key = "x", expect = "v1", value = "v4"})
local got
cl:submit({op = "get", key = "x"}, function(r) got = r.value end)
sim.run(sim.now() + 500)
print(string.format("put %s, cas with a wrong expect %s, cas with the right one %s, then x = %s",
                    tostring(results.put), tostring(results.cas_wrong), tostring(results.cas_right), tostring(got)))
sim.assert(results.cas_wrong ~= "ok", "a cas whose expect differs from the value fails")
sim.assert(got == "v4", "the cas with the right expect wrote v4 (got " .. tostring(got) .. ")")
