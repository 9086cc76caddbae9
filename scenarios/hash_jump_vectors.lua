-- Jump consistent hash (Lamping & Veach, "A Fast, Minimal Memory,
-- Consistent Hash Algorithm", 2014) against test vectors, exactly.
--
-- The story:
--  1. The paper publishes the function (its Figure 1) but no table of
--     outputs. The vectors below are the ones that independent
--     implementations of Figure 1 agree on (the C++ of the paper as used by
--     the Go, Rust, Python and Elixir ports' tests); each is (key, buckets,
--     bucket) with a raw 64-bit key, so no string hash is involved.
--  2. As a second, independent check the scenario re-derives Figure 1 in
--     Lua itself (Lua 5.4 integers wrap like uint64_t; >> is a logical
--     shift; the jump is computed in double as in the paper) and compares
--     it with sim.hash.jump on 2,000 keys at several bucket counts.
--  3. Jump's defining property: growing from n to n+1 buckets only moves
--     keys into the new bucket, never between old ones.
--  4. sim.hash.key is XXH3_64bits: its value for the empty string is the
--     one xxHash documents (0x2D06800538D394C2).
params = { keys = {2000, "keys for the re-derivation and monotonicity checks"} }

local vectors = {
    -- key, buckets, expected bucket
    {0, 1, 0}, {3, 1, 0}, {0, 2, 0}, {4, 2, 1}, {7, 2, 0}, {1, 1, 0},
    {42, 57, 43}, {1, 128, 55}, {129, 128, 120}, {256, 1024, 520},
    {0xDEAD10CC, 1, 0}, {0xDEAD10CC, 666, 361},
    {128, 100000000, 38172097}, {128, 2147483648 - 1, 1644467860},
    {-1, 128, 92},                  -- 18446744073709551615 as a Lua integer
    {1, 10, 6}, {1, 100, 55}, {2, 100, 62}, {0xdeadbeef, 1000, 285},
    {10863919174838991, 11, 6}, {2016238256797177309, 11, 3},
}

print(string.format("%-22s %10s %10s %10s", "key", "buckets", "published", "computed"))
local bad = 0
for _, v in ipairs(vectors) do
    local got = sim.hash.jump(v[1], v[2])
    print(string.format("%-22s %10d %10d %10d%s", string.format("%u", v[1]):gsub("^(%d+)$", "%1"),
        v[2], v[3], got, got == v[3] and "" or "   MISMATCH"))
    if got ~= v[3] then bad = bad + 1 end
end
sim.assert(bad == 0, bad .. " published vectors differ")

-- Figure 1 again, written from the paper in Lua.
local function jump_lua(key, buckets)
    local b, j = -1, 0
    while j < buckets do
        b = j
        key = key * 2862933555777941757 + 1
        j = math.floor((b + 1) * ((1 << 31) / ((key >> 33) + 1)))
    end
    return b
end

local x = 0x9E3779B97F4A7C15   -- keys: a Weyl sequence over 64 bits
local diff, moved_wrong = 0, 0
for i = 1, params.keys do
    local key = x * i
    for _, n in ipairs({1, 2, 3, 10, 97, 1000, 65536, 1000003}) do
        if sim.hash.jump(key, n) ~= jump_lua(key, n) then diff = diff + 1 end
    end
    local prev = 0
    for n = 2, 40 do
        local cur = sim.hash.jump(key, n)
        if cur ~= prev and cur ~= n - 1 then moved_wrong = moved_wrong + 1 end
        prev = cur
    end
end
print(string.format("re-derivation: %d disagreements over %d keys x 8 bucket counts", diff, params.keys))
print(string.format("monotonicity: %d keys moved between old buckets (n = 1..40)", moved_wrong))
sim.assert(diff == 0, "the C function and the Lua re-derivation of Figure 1 disagree")
sim.assert(moved_wrong == 0, "a key moved between two old buckets")

local empty = sim.hash.key("")
print(string.format("XXH3_64bits(\"\") = 0x%016X", empty))
sim.assert(empty == 0x2D06800538D394C2, "XXH3_64bits of the empty string")
