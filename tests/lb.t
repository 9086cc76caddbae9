#!/bin/sh
# The load-balancing family (algorithm "lb"): every bad option a user can
# give (exit 65, a message naming it and what is accepted), the metrics,
# the trace records, the plots, and the comparisons the scenarios make one
# run at a time (policies side by side, the herd across report intervals,
# phi against fixed detection).
. "$(dirname "$0")/lib.sh"
R="$CLUSTERSIM run"

lua() { printf '%s\n' "$1" >"$TMP/s.lua"; }
bad() {   # bad CONFIG PATTERN NAME
    lua "sim.cluster{ algorithm = \"lb\", nodes = 5, config = { $1 } }"
    expect_exit 65 "$3" -- $R "$TMP/s.lua"
    expect_err "$2" "$3: message"
}

# ---- bad input
bad 'policy = "fastest"' \
    "option 'policy' = \"fastest\" is not one of: round_robin, random, weighted_round_robin, least_connections, power_of_d, consistent_hash, peak_ewma" \
    "unknown policy"
bad 'policy = "power_of_d", d = 0' "option 'd' = 0 is out of range \[1, 100000\]" "d < 1"
bad 'policy = "power_of_d", d = 5' "option 'd' = 5 is more than the 4 servers \(accepted: 1 to 4\)" "d > servers"
bad 'policy = "peak_ewma", d = 9' "option 'd' = 9 is more than the 4 servers" "peak_ewma d > servers"
bad 'policy = "weighted_round_robin", weights = {1, 2, 3}' \
    "option 'weights' has 3 entries but there are 4 servers \(nodes minus balancers\): give one positive number per server" \
    "weights do not match the servers"
bad 'policy = "weighted_round_robin", weights = {1, 2, 0, 1}' \
    "option 'weights': entry 3 = 0 is out of range \[1e-09, 1e\+06\]" "a zero weight"
bad 'policy = "weighted_round_robin", weights = {1, -2, 1, 1}' \
    "option 'weights': entry 2 = -2 is out of range" "a negative weight"
bad 'weights = {1, 1, 1, 1}' "option 'weights' is for policy = \"weighted_round_robin\"" "weights without wrr"
bad 'speeds = {1, 1}' "option 'speeds' has 2 entries but there are 4 servers" "speeds do not match the servers"
bad 'speeds = {1, 1, 1, "x"}' "config option 'speeds': entry 4 is a string, not a number" "a speed that is no number"
bad 'service = sim.normal(10, 3)' \
    "option 'service' = sim.normal\(10, 3\) can go negative \(a service time cannot\); accepted: sim.const, sim.uniform, sim.exponential, sim.lognormal, sim.pareto" \
    "a service time that can go negative"
bad 'service = "fast"' "option 'service' must be a distribution such as sim.exponential\(10\) or a number of ms, got a string" \
    "service not a distribution"
bad 'service = -3' "option 'service' = -3: a constant time must be from 0 to 1e12 ms" "negative constant service"
bad 'report_interval = -1' "option 'report_interval' = -1 is out of range \[0, 1e\+09\]" "report_interval < 0"
bad 'balancers = 5' "option 'balancers' = 5 leaves no server: nodes = 5 counts servers and balancers" "no server left"
bad 'balancers = 0' "option 'balancers' = 0 is out of range \[1, 1000\]" "no balancer"
bad 'health = "gossip"' "option 'health' = \"gossip\" is not one of: none, fixed, phi" "unknown health check"
bad 'concurrency = 0' "option 'concurrency' = 0 is out of range \[1, 1024\]" "concurrency < 1"
bad 'retries = -1' "option 'retries' = -1 is out of range \[0, 100\]" "retries < 0"
bad 'policy = "consistent_hash", hash = "bounded_load"' \
    "option 'hash' = \"bounded_load\" places a fixed set of keys and cannot route a stream of requests; accepted: modulo, ring, jump, rendezvous, maglev" \
    "bounded_load for a stream"
bad 'policy = "consistent_hash", hash = "maglev", table_size = 8' \
    "table_size = 8 is not prime: Maglev needs a prime M \(the nearest primes are 7 and 11\)" "a Maglev table that is not prime"
bad 'polcy = "random"' "unknown option 'polcy' for algorithm 'lb' \(known options: balancers, policy, d, service" "a misspelt option"
lua 'sim.clients{ workload = "lb" }'
expect_exit 65 "lb workload without a rate" -- $R "$TMP/s.lua"
expect_err "the lb workload needs rate = N \(open loop, ops/s per client\) or closed = true" "lb workload without a rate: message"
lua 'sim.clients{ workload = "lbb", rate = 1 }'
expect_exit 65 "unknown workload" -- $R "$TMP/s.lua"
expect_err "unknown workload 'lbb' \(known: kv, lb, lock, counter, queue, none\)" "unknown workload: message"

# ---- metrics, open loop: 20 servers at lambda = 0.8, random routing (M/M/1 per server)
lua 'local c = sim.cluster{ algorithm = "lb", nodes = 21, config = { policy = "random", service = sim.exponential(1), warmup = 500 } }
sim.network{ latency = sim.const(0) }
sim.clients{ count = 20, workload = "lb", rate = 800, max_outstanding = 128, timeout = 1e9 }
sim.run(20000)
local m = sim.metrics().lb
print("requests", m.requests, "ok", m.ok, "in_flight", m.in_flight)
print("mean", m.latency_mean, "ci", m.latency_ci95, "p50", m.latency_p50, "p99", m.latency_p99)
local served = 0
for i = 1, 20 do served = served + m.served[i] end
sim.assert(#m.served == 20 and #m.utilisation == 20, "one entry per server")
sim.assert(m.ok + m.in_flight == m.requests, "answered or in flight")
sim.assert(served == m.ok, "served per server adds up to the answers")
sim.assert(math.abs(m.queue_ge[1] - 0.8) < 0.02, "P(q >= 1) = lambda: " .. m.queue_ge[1])
sim.assert(math.abs(m.queue_ge[2] - 0.64) < 0.03, "P(q >= 2) = lambda^2: " .. m.queue_ge[2])
sim.assert(math.abs(m.latency_mean - 5) < 3 * m.latency_ci95 + 0.1, "M/M/1 mean 1/(1 - 0.8) = 5: " .. m.latency_mean)
-- exponential sojourn with mean 5: median 5 ln 2 = 3.47, p99 5 ln 100 = 23.0
sim.assert(math.abs(m.latency_p50 - 3.47) < 0.25, "median " .. m.latency_p50)
sim.assert(math.abs(m.latency_p99 - 23.0) < 2.5, "p99 " .. m.latency_p99)
sim.assert(math.abs(m.utilisation_max - 0.8) < 0.06 and math.abs(m.utilisation_min - 0.8) < 0.06, "utilisation 0.8")
sim.assert(m.failed == 0 and m.lost == 0 and m.retried == 0, "nothing fails")'
expect_exit 0 "M/M/1 metrics: mean, percentiles, queue distribution, utilisation" -- $R "$TMP/s.lua" --seed 3

# ---- closed loop: 8 clients, one request each at a time, think 4 ms; 4 servers, constant 2 ms service
lua 'local c = sim.cluster{ algorithm = "lb", nodes = 5, config = { policy = "least_connections", service = 2 } }
sim.network{ latency = sim.const(0) }
sim.clients{ count = 8, workload = "lb", closed = true, think = 4 }
sim.run(1000)
local m = sim.metrics().lb
-- a client cycles think 4 ms + at least the 2 ms of service, at most 2 ms of
-- waiting (8 clients on 4 servers): one request every 6 to 8 ms
print("requests", m.requests, "mean", m.latency_mean, "max", m.latency_max)
sim.assert(m.latency_max <= 4 and m.latency_mean >= 2, "at most one request ahead: " .. m.latency_max)
sim.assert(m.requests >= 8 * 1000 // 8 and m.requests <= 8 * (1000 // 6 + 1), "one request per client every 6-8 ms: " .. m.requests)'
expect_exit 0 "closed loop with think time" -- $R "$TMP/s.lua"

# ---- smooth weighted round robin picks as nginx does: weights {5, 1, 1} give a a b a c a a
lua 'local c = sim.cluster{ algorithm = "lb", nodes = 4, config = { policy = "weighted_round_robin", weights = {5, 1, 1}, service = 1 } }
sim.clients{ count = 1, workload = "lb", closed = true, think = 1 }
local seq = {}
sim.on("reply", function(ev) if #seq < 14 then seq[#seq + 1] = string.char(96 + ev.server) end end)
sim.run(200)
print(table.concat(seq))
sim.assert(table.concat(seq) == "aabacaaaabacaa", "nginx smooth WRR order: " .. table.concat(seq))'
expect_exit 0 "smooth weighted round robin in nginx order" -- $R "$TMP/s.lua"

# ---- Zipf keys and consistent hashing: the hot key lives on one server
lua 'local c = sim.cluster{ algorithm = "lb", nodes = 11, config = { policy = "consistent_hash", hash = "maglev", service = sim.exponential(1) } }
sim.clients{ count = 4, workload = "lb", rate = 500, keys = 100, key_dist = "zipf", zipf_s = 1.2, timeout = 1e9 }
sim.run(5000)
local m = sim.metrics().lb
local top = 0
for i = 1, 10 do if m.served[i] > top then top = m.served[i] end end
print("hottest server", top, "of", m.ok)
-- the hottest of 100 keys draws 1/H(100, 1.2) = 28 % of the requests (H = 3.6), its server some others too
sim.assert(top > 0.25 * m.ok, "Zipf s = 1.2: the server of the hottest key serves more than 25 %")'
expect_exit 0 "Zipf keys under consistent hashing" -- $R "$TMP/s.lua"

# ---- trace: request/reply with the server, queue notes at state level; determinism
lua 'local c = sim.cluster{ algorithm = "lb", nodes = 4, config = { policy = "power_of_d", service = sim.exponential(5) } }
sim.clients{ count = 2, workload = "lb", rate = 100, timeout = 1e9 }
sim.run(300)'
expect_exit 0 "trace a small run" -- $R "$TMP/s.lua" --trace "$TMP/a.jsonl"
grep -q '"type":"reply".*"node":4,"server":[123],' "$TMP/a.jsonl"; ok $? "replies name the balancer and the server"
grep -q '"type":"request".*"op":"serve".*"node":4' "$TMP/a.jsonl"; ok $? "requests go to the balancer"
grep -q '"type":"queue","node":[123],"len":1' "$TMP/a.jsonl"; ok $? "queue notes per server"
$R "$TMP/s.lua" --trace "$TMP/b.jsonl" >/dev/null 2>&1
cmp -s "$TMP/a.jsonl" "$TMP/b.jsonl"; ok $? "same seed, same bytes"
expect_exit 0 "check accepts the trace" -- $CLUSTERSIM check "$TMP/a.jsonl"

# ---- a paused server: suspected, drained, and its answers come back late
lua 'local c = sim.cluster{ algorithm = "lb", nodes = 5, config = { policy = "round_robin", service = sim.exponential(5), health = "fixed", heartbeat = 20, health_timeout = 60 } }
sim.network{ latency = sim.uniform(0.5, 1) }
sim.clients{ count = 4, workload = "lb", rate = 100, timeout = 1e9 }
sim.run(1000)
sim.run_until(function() return c:state(2).queue >= 2 end, 1000)
c:pause(2, 400)
sim.run(3000)
local m = sim.metrics().lb
print("retried", m.retried, "late", m.late, "failed", m.failed)
sim.assert(m.retried >= 2 and m.late >= 2, "requests held by the paused server are retried and its answers late")
sim.assert(m.ok + m.in_flight == m.requests, "each answered once")'
expect_exit 0 "a paused server: retried, then late" -- $R "$TMP/s.lua"

# ---- no health checks: an attempt timeout gives up on a dead server's requests and retries them
lua 'local c = sim.cluster{ algorithm = "lb", nodes = 5, config = { policy = "least_connections", service = sim.exponential(5), attempt_timeout = 100, retries = 1 } }
sim.network{ latency = sim.uniform(0.5, 1), loss = 0.01 }
sim.clients{ count = 4, workload = "lb", rate = 100, timeout = 1e9 }
sim.run(1000)
sim.run_until(function() return c:state(2).queue >= 2 end, 1000)
c:crash(2)
sim.run(4000)
local m = sim.metrics().lb
print("timeouts", m.timeouts, "retried", m.retried, "failed", m.failed, "lost", m.lost, "in_flight", m.in_flight)
sim.assert(m.lost >= 2 and m.timeouts >= m.lost, "what the dead server held times out")
sim.assert(m.retried == m.timeouts - m.failed, "a timed-out attempt is retried, or failed once retries are spent")
sim.assert(m.in_flight <= 12, "nothing waits for ever: " .. m.in_flight)'
expect_exit 0 "attempt_timeout without health checks (a crash, lost messages)" -- $R "$TMP/s.lua"
bad 'attempt_timeout = -5' "option 'attempt_timeout' = -5 is out of range \[0, 1e\+09\]" "attempt_timeout < 0"

# ---- a balancer crashes with requests in flight and restarts: the answers to its previous life are late
lua 'local c = sim.cluster{ algorithm = "lb", nodes = 6, config = { policy = "least_connections", balancers = 2, service = sim.exponential(20) } }
sim.network{ latency = sim.uniform(0.5, 1) }
sim.clients{ count = 4, workload = "lb", rate = 60, timeout = 300 }
sim.run(1000)
sim.run_until(function() return c:state(5).in_flight >= 3 end, 1000)
c:crash(5)
sim.run(sim.now() + 2)
c:restart(5)
sim.run(3000)
local m = sim.metrics().lb
local ops = sim.metrics().ops
print("lost_balancer", m.lost_balancer, "late", m.late, "client retries", ops.retries)
sim.assert(m.lost_balancer >= 3, "what the balancer held is counted lost")
sim.assert(m.late >= 1, "answers addressed to the crashed incarnation are late, not taken for new requests")
sim.assert(ops.retries >= 1, "the clients time out and retry")'
expect_exit 0 "a balancer crash: lost, late, clients retry" -- $R "$TMP/s.lua"

# ---- plots on LB traces
if command -v gnuplot >/dev/null 2>&1; then
    for k in cdf latency load queues; do
        expect_exit 0 "plot --kind $k on an lb trace" -- $CLUSTERSIM plot "$TMP/a.jsonl" --kind $k -o "$TMP/$k.png"
        [ -s "$TMP/$k.png" ]; ok $? "plot --kind $k wrote a picture"
    done
    lua 'sim.cluster{ algorithm = "fdetect", nodes = 3 }
sim.run(100)'
    $R "$TMP/s.lua" --trace "$TMP/fd.jsonl" >/dev/null 2>&1
    expect_exit 1 "queues on a trace without queue notes" -- $CLUSTERSIM plot "$TMP/fd.jsonl" --kind queues -o "$TMP/x.png"
    expect_err "trace has no queue records: the queues plot needs a load-balancing run" "queues without notes: message"
fi

# ---- the comparisons the scenarios make one run at a time
p99() { $R scenarios/lb_compare.lua -P policy=$1 -P header=false -P seconds=30 2>/dev/null | awk '{print $5}'; }
rr=$(p99 round_robin); lc=$(p99 least_connections); pe=$(p99 peak_ewma); wrr=$(p99 weighted_round_robin)
echo "# p99 ms: round_robin $rr, least_connections $lc, peak_ewma $pe, weighted_round_robin $wrr"
awk -v a="$lc" -v b="$rr" 'BEGIN { exit !(a > 0 && a * 2 < b) }'; ok $? "one slow server: least_connections p99 under half of round robin's"
awk -v a="$pe" -v b="$rr" 'BEGIN { exit !(a > 0 && a * 2 < b) }'; ok $? "one slow server: peak_ewma p99 under half of round robin's"
awk -v a="$wrr" -v b="$rr" 'BEGIN { exit !(a > 0 && a * 2 < b) }'; ok $? "one slow server: weights = speeds fix round robin"

mean() { $R scenarios/lb_stale.lua -P policy=$1 -P report_interval=$2 -P header=false -P seconds=4 2>/dev/null | awk '{print $3}'; }
lc1=$(mean least_connections 1); lc16=$(mean least_connections 16); p16=$(mean power_of_d 16); r16=$(mean random 16)
echo "# mean ms at report_interval 1 / 16: least_connections $lc1 / $lc16, power_of_d 16: $p16, random 16: $r16"
awk -v a="$lc1" -v b="$r16" 'BEGIN { exit !(a > 0 && a < b / 2) }'; ok $? "fresh reports: least loaded of all beats random"
awk -v a="$lc16" -v b="$r16" 'BEGIN { exit !(a > b) }'; ok $? "16 ms old reports: least loaded of all is worse than random (the herd)"
awk -v a="$p16" -v b="$r16" 'BEGIN { exit !(a > 0 && a < b) }'; ok $? "16 ms old reports: two choices still beat random"

retried() { $R scenarios/lb_failure.lua -P health=$1 -P header=false 2>/dev/null | awk '{print $5}'; }
rp=$(retried phi); rf=$(retried fixed)
echo "# retried after the crash: phi $rp, fixed $rf"
awk -v a="$rp" -v b="$rf" 'BEGIN { exit !(a > 0 && a < b) }'; ok $? "phi detects sooner than the fixed timeout: fewer requests sent into the void"

# ---- the checker: a seeded bug that leaks the balancer's outstanding counts on failover
expect_exit 1 "lb.drain_keeps_count is caught" -- $R scenarios/lb_failure.lua --bug lb.drain_keeps_count
expect_err "invariant violated at t=[0-9.]+ ms: balancer_view: balancer 1[12] counts [0-9]+ outstanding over its servers, [0-9]+ requests in flight" \
    "lb.drain_keeps_count: the balancer_view invariant names the leak"

# ---- the supermarket model's other columns: d = 1 (M/M/1) and d = 3
expect_exit 0 "supermarket d = 1 matches M/M/1" -- $R scenarios/lb_supermarket.lua -P d=1 -P lambdas=0.5,0.8 -P batches=20
expect_exit 0 "supermarket d = 3 at 0.9 and 0.95" -- $R scenarios/lb_supermarket.lua -P d=3 -P lambdas=0.9,0.95

done_testing
