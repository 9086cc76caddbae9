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

done_testing
