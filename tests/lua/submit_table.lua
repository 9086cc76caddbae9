local c = sim.cluster{ algorithm = "fdetect", nodes = 3 }
sim.client(1):submit{ op = "put", key = {}, value = "1" }
