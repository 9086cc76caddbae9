#!/bin/sh
# The hashing family: the placement functions from Lua (sim.hash.*), their
# properties, and every bad input a user can give them (exit 65 with a
# message naming the option and what is accepted).
. "$(dirname "$0")/lib.sh"
R="$CLUSTERSIM run"

# lua FILE-BODY: write a scenario into $TMP/s.lua
lua() { printf '%s\n' "$1" >"$TMP/s.lua"; }

# bad CODE PATTERN NAME: the script errors with exit 65 and PATTERN on stderr
bad() {
    lua "$1"
    expect_exit 65 "$3" -- $R "$TMP/s.lua"
    expect_err "$2" "$3: message"
}

bad 'sim.hash.place("chord", "k1", 10)' \
    "sim.hash.place: unknown scheme 'chord' \(accepted: modulo, ring, jump, rendezvous, maglev, bounded_load\)" \
    "unknown scheme"
bad 'sim.hash.place("ring", "k1", 10, {vnodes = 0})' \
    "vnodes = 0: must be an integer from 1 to 10000" "vnodes < 1"
bad 'sim.hash.table("maglev", 10, {table_size = 65536})' \
    "table_size = 65536 is not prime: Maglev needs a prime M \(the nearest primes are 65521 and 65537\)" \
    "non-prime Maglev table"
bad 'sim.hash.table("maglev", 100, {table_size = 97})' \
    "table_size = 97 is too small for 100 servers: .*M > 100 x servers \(the nearest such prime is 10007\)" \
    "too small Maglev table"
bad 'sim.hash.place("bounded_load", "k", 10, {capacity = 1})' \
    "capacity = 1: must be a number > 1" "capacity <= 1"
bad 'sim.hash.place("ring", "k", 3, {replicas = 4})' \
    "replicas = 4: must be from 1 to the number of servers \(3\)" "replicas > servers"
bad 'sim.hash.jump(1, 0)' "sim.hash.jump: buckets = 0: must be an integer from 1 to 2147483647" "jump buckets 0"
bad 'sim.hash.jump(1, -5)' "sim.hash.jump: buckets = -5: must be an integer" "jump buckets < 0"
bad 'sim.hash.jump("k", 5)' "sim.hash.jump: key must be an integer \(a raw 64-bit key" "jump string key"
bad 'sim.hash.place("ring", "k", 3, {vnode = 4})' "sim.hash.place: unknown option 'vnode' \(known: vnodes," "unknown option"
bad 'sim.hash.table("ring", 3)' "scheme 'ring' has no lookup table \(accepted: maglev\)" "table of a ring"
bad 'sim.hash.place("ring", "k", {1, 2, 2})' "servers: id 2 appears twice" "duplicate server id"
bad 'sim.hash.loads("jump", 10, {})' "option 'keys' = 0: must be an integer from 1" "loads without keys"

# Placement alone, no cluster: replicas are distinct and start with the
# primary; a ring key's server is the same through place and loads; maglev's
# table agrees with place on a raw hash.
lua 'local a, b, c = sim.hash.place("ring", "user:42", 10, {replicas = 3})
sim.assert(a == sim.hash.place("ring", "user:42", 10), "primary first")
sim.assert(a ~= b and b ~= c and a ~= c, "distinct replicas")
for _, s in ipairs({"modulo", "jump", "rendezvous", "maglev"}) do
    local x, y = sim.hash.place(s, "user:42", 10, {replicas = 2})
    sim.assert(x ~= y and x == sim.hash.place(s, "user:42", 10), s .. ": replicas")
end
local h = sim.hash.key("k7")
sim.assert(sim.hash.place("jump", h, 10) == sim.hash.jump(h, 10) + 1, "jump place = bucket + 1")
-- h mod 10 with h read as unsigned: q = floor(h / 10) computed from h >> 1
local q = ((h >> 1) // 5)
local r = h - q * 10
if not math.ult(r, 10) then r = r - 10 end
sim.assert(sim.hash.place("modulo", h, 10) == r + 1, "modulo = (h mod n) + 1, h unsigned")
local t = sim.hash.table("maglev", 5, {table_size = 11})
sim.assert(#t == 11, "table has M entries")
sim.assert(sim.hash.place("maglev", 13, 5, {table_size = 11}) == t[13 % 11 + 1], "maglev lookup = table[h mod M]")
sim.assert(sim.hash.place("bounded_load", "k", 2, {vnodes = 1, loads = {1, 0}}) ~= nil, "bounded with loads")
local a1 = sim.hash.place("bounded_load", 5, {1, 2}, {vnodes = 1, loads = {0, 0}})
local other = a1 == 1 and 2 or 1
local full = {0, 0}; full[a1] = 5
sim.assert(sim.hash.place("bounded_load", 5, {1, 2}, {vnodes = 1, loads = full}) == other,
    "a full server passes the ball on clockwise")
print("ok")'
expect_exit 0 "placement without a cluster" -- $R "$TMP/s.lua"
expect_out "^ok" "placement without a cluster: all assertions"

# The store's options: the same checks and messages as sim.hash, exit 65.
cl() { printf 'sim.cluster{ algorithm = "hashring", nodes = %s, config = { %s } }\n' "$1" "$2" >"$TMP/s.lua"; }
cl 5 'scheme = "chord"'
expect_exit 65 "store: unknown scheme" -- $R "$TMP/s.lua"
expect_err "option 'scheme' = \"chord\" is not one of: modulo, ring, jump, rendezvous, maglev, bounded_load" \
    "store: unknown scheme names the accepted ones"
cl 5 'vnodes = 0'
expect_exit 65 "store: vnodes < 1" -- $R "$TMP/s.lua"
expect_err "option 'vnodes' = 0 is out of range \[1, 10000\]" "store: vnodes message"
cl 5 'scheme = "maglev", table_size = 1000'
expect_exit 65 "store: non-prime table_size" -- $R "$TMP/s.lua"
expect_err "table_size = 1000 is not prime: Maglev needs a prime M \(the nearest primes are 997 and 1009\)" \
    "store: table_size message names the near primes"
cl 5 'scheme = "bounded_load", capacity = 1'
expect_exit 65 "store: capacity <= 1" -- $R "$TMP/s.lua"
expect_err "hashring: capacity = 1: must be a number > 1" "store: capacity message"
cl 3 'replicas = 4'
expect_exit 65 "store: replicas > servers" -- $R "$TMP/s.lua"
expect_err "replicas = 4: must be from 1 to the number of servers \(3\)" "store: replicas message"
cl 3 'router = "dns"'
expect_exit 65 "store: unknown router" -- $R "$TMP/s.lua"
expect_err "option 'router' = \"dns\" is not one of: client, proxy" "store: router message"
lua 'sim.clients{ keys = 10, key_dist = "pareto" }'
expect_exit 65 "clients: unknown key_dist" -- $R "$TMP/s.lua"
expect_err "key_dist = pareto: accepted: uniform, zipf" "clients: key_dist message"

lua 'sim.clients{ keys = 10, zipf_s = 1.1 }'
expect_exit 65 "clients: zipf_s without zipf" -- $R "$TMP/s.lua"
expect_err 'sim.clients: zipf_s is for key_dist = "zipf"' "clients: zipf_s message"
lua 'sim.clients{ keys = 20000000, key_dist = "zipf" }'
expect_exit 65 "clients: zipf over too many keys" -- $R "$TMP/s.lua"
expect_err 'key_dist = "zipf" takes at most 10000000 keys, got 20000000' "clients: zipf keys message"
bad 'sim.hash.place("bounded_load", "k", 2, {loads = {1}})' \
    "option 'loads' must be an array of 2 loads, one per server" "bounded_load loads of the wrong length"
bad 'sim.hash.place("ring", "k", 2, {loads = {0, 0}})' "option 'loads' is for scheme bounded_load only" "loads on a ring"
bad 'sim.hash.place("ring", 1.5, 2)' "key must be a string \(hashed with XXH3_64bits\) or an integer hash, got number" \
    "a fractional key"

# Zipf keys: the hottest key's share of requests matches 1/H(K, s), and a
# run without key_dist draws exactly as before (tests/golden.t).
lua 'local c = sim.cluster{ algorithm = "hashring", nodes = 4 }
sim.clients{ count = 4, rate = 1000, workload = "kv", keys = 1000, key_dist = "zipf", zipf_s = 1.1, stop = 2000 }
local n, hot, k1 = 0, 0, 0
sim.on("invoke", function(ev) n = n + 1; if ev.key == "k0" then hot = hot + 1 elseif ev.key == "k1" then k1 = k1 + 1 end end)
sim.run(2100)
local H = 0
for i = 1, 1000 do H = H + i ^ -1.1 end
local p0, p1 = 1 / H, 2 ^ -1.1 / H
-- binomial: sd = sqrt(p (1 - p) / n), about 0.003 for n = 8000; 5 sd
local function near(x, p) return math.abs(x / n - p) < 5 * math.sqrt(p * (1 - p) / n) end
sim.assert(n > 7000, "ran " .. n)
sim.assert(near(hot, p0), string.format("k0: %.4f vs %.4f", hot / n, p0))
sim.assert(near(k1, p1), string.format("k1: %.4f vs %.4f", k1 / n, p1))
print("ok")'
expect_exit 0 "zipf keys" -- $R "$TMP/s.lua"
expect_out "^ok" "zipf keys: k0 and k1 drawn with 1/H and 2^-s/H"

# Replicas: with R = 3, two crashed servers of six leave every key
# available (reads and writes retry on the next replica); a replica read
# is compared with the primary's copy for the staleness metric.
lua 'local c = sim.cluster{ algorithm = "hashring", nodes = 6, config = { replicas = 3 } }
sim.network{ latency = sim.uniform(1, 3) }
sim.clients{ count = 2, rate = 500, workload = "kv", keys = 500, timeout = 50 }
sim.run(1000)
c:crash(2); c:crash(3)
sim.run(2000)
local m = sim.metrics()
sim.assert(m.ops.fail == 0 and m.ops.info == 0, "no operation lost with 2 of 6 down and R = 3")
sim.assert(m.hashring.replica_reads > 0, "reads went to replicas")
sim.assert(m.hashring.replication_lag_max_ms <= 3, "replication lag is one network delay")
local before = m.hashring.keys_written
c:remove_node(2)
sim.run(2500)
m = sim.metrics().hashring
sim.assert(m.migration_keys > 0, "survivors re-replicate the keys of a removed server")
print("ok", m.stale_reads)'
expect_exit 0 "replicas survive crashes" -- $R "$TMP/s.lua"
expect_out "^ok" "replicas survive crashes: all assertions"

# Removing a live server with R = 1: it hands its keys off before it goes.
lua 'local c = sim.cluster{ algorithm = "hashring", nodes = 8, config = { scheme = "jump", router = "proxy" } }
sim.network{ latency = sim.uniform(1, 3) }
sim.clients{ count = 2, rate = 1000, workload = "kv", keys = 2000, read_ratio = 0, stop = 1000 }
sim.run(1200)
local held = c:state(8).keys
c:remove_node(8)
sim.run(1500)
local m = sim.metrics().hashring
sim.assert(m.forwards > 0, "proxies forwarded requests to the owners")
sim.assert(m.migration_keys == held, "the leaving server handed off every key it held")
sim.assert(m.keys_total == m.keys_written, "no key lost")
sim.assert(m.last_change_moved == held, "jump: removing the last bucket moves only its keys")
print("ok")'
expect_exit 0 "remove_node hands off" -- $R "$TMP/s.lua"
expect_out "^ok" "remove_node hands off: all assertions"

# Same scenario, same seed: the same bytes.
$R scenarios/hash_scale_out.lua --trace "$TMP/a.jsonl" --trace-level messages >/dev/null 2>&1
$R scenarios/hash_scale_out.lua --trace "$TMP/b.jsonl" --trace-level messages >/dev/null 2>&1
cmp -s "$TMP/a.jsonl" "$TMP/b.jsonl"
ok $? "hash_scale_out: byte-identical traces for the same seed"
grep -q '"msg":"Migrate".*"bytes":' "$TMP/a.jsonl"
ok $? "Migrate messages are traced with their sizes"

# Every scheme, R = 1..3, through add_node, remove_node (a live server) and
# add_node under load: once the load stops and the messages land, each
# written key is on exactly R servers (nothing lost, nothing left behind).
cat >"$TMP/sweep.lua" <<'LUA'
local scheme, R = sim.args[1], tonumber(sim.args[2])
local c = sim.cluster{ algorithm = "hashring", nodes = 8,
    config = { scheme = scheme, replicas = R, table_size = 1009, keys = 3000, settle = 200 } }
sim.network{ latency = sim.uniform(1, 3) }
sim.clients{ count = 2, rate = 1000, workload = "kv", keys = 3000, read_ratio = 0.3, timeout = 50, stop = 2400 }
sim.run(1000); c:add_node()
sim.run(1500); c:remove_node(3)
sim.run(2000); c:add_node()
sim.run(2500)
local m = sim.metrics()
sim.assert(m.hashring.keys_total == R * m.hashring.keys_written,
    string.format("%s R=%d: %d copies of %d keys", scheme, R, m.hashring.keys_total, m.hashring.keys_written))
sim.assert(m.ops.info == 0, "no operation left undecided")
LUA
bad=""
for sc in modulo ring jump rendezvous maglev bounded_load; do
    for r in 1 2 3; do
        $R "$TMP/sweep.lua" -- $sc $r >"$TMP/out" 2>"$TMP/err" || bad="$bad $sc/$r"
    done
done
[ -z "$bad" ]
ok $? "every scheme and R: each key on exactly R servers after membership changes (failed:$bad)"

# The bulk functions charge their work to the instruction budget: a huge
# request stops with the budget error instead of running for minutes.
lua 'sim.hash.loads("rendezvous", 100000, {keys = 20000000})'
expect_exit 65 "sim.hash.loads charges the budget" -- $R "$TMP/s.lua"
expect_err "s.lua:1: instruction budget exceeded" "sim.hash.loads: the budget error names the line"

# Pictures: keys moved per scheme (from hash_compare's moved records) and
# keys and requests per server (the store's load records).
if command -v gnuplot >/dev/null 2>&1; then
    $R scenarios/hash_compare.lua --trace "$TMP/cmp.jsonl" >/dev/null 2>&1
    expect_exit 0 "plot --kind moved" -- "$CLUSTERSIM" plot "$TMP/cmp.jsonl" --kind moved -o "$TMP/moved.png"
    [ "$(head -c 4 "$TMP/moved.png" | od -An -c | tr -d ' ')" = "211PNG" ]
    ok $? "plot --kind moved: a PNG"
    grep -c '"type":"moved"' "$TMP/cmp.jsonl" | grep -qx 6
    ok $? "hash_compare: one moved record per scheme"
    expect_exit 0 "plot --kind load (store)" -- "$CLUSTERSIM" plot "$TMP/a.jsonl" --kind load -o "$TMP/load.png" --data "$TMP/ld"
    head -1 "$TMP/ld/load.tsv" | grep -q "server	keys	requests"
    ok $? "plot --kind load: keys and requests per server"
    $R scenarios/hash_jump_vectors.lua --trace "$TMP/jv.jsonl" >/dev/null 2>&1
    expect_exit 1 "plot --kind moved without changes" -- "$CLUSTERSIM" plot "$TMP/jv.jsonl" --kind moved -o "$TMP/x.png"
    expect_err "the moved plot has nothing to draw" "plot --kind moved: says why"
fi

done_testing
