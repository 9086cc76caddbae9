local c = sim.cluster{algorithm="fdetect", nodes=3}
 sim.on('crash', function(ev) c:restart(ev.node); c:crash(ev.node) end); c:crash(1); sim.run(1000)
