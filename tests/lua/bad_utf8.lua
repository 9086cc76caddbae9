-- Invalid UTF-8 from a script reaches the trace as \ufffd, valid JSON.
local c = sim.cluster{ algorithm = "fdetect", nodes = 3 }
sim.log("bad \xff\xfe bytes, cut \xe2\x82, good \xc3\xa9 \xe2\x82\xac")
sim.run(10)
