params = { n = { 3, "nodes" }, name = { "x", "a string" } }
sim.assert(math.type(params.n) == "integer", "a whole -P number is an integer")
print("n", params.n)
