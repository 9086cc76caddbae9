-- Scale out a sharded store under Zipf load: add a server and watch the
-- keys move.
--
-- The story:
--  1. 20 servers hold a ring with 1000 virtual nodes each. Loaders write
--     the 20,000 keys uniformly for 2 s; from then on 8 clients send gets
--     and puts drawn Zipf(0.99) (YCSB's default), routing each request
--     themselves (router = "client").
--  2. At 2.5 s a 21st server joins. Every server recomputes the placement
--     and streams the keys it no longer owns to the newcomer: Migrate
--     messages of up to 4 keys, one every 5 ms per sender, traced with
--     their sizes.
--  3. Clients route to the new owner at once, so for a moment it is asked
--     for keys that are still on their way: it redirects to the previous
--     owner, who answers from its copy (or, once handed off, redirects
--     back). The window of misrouted requests closes when migration ends.
--  4. Consistent hashing moved about 1/(n+1) of the keys, all of them to
--     the newcomer; nothing was lost or duplicated.
-- The load plot (clustersim plot TRACE --kind load) shows keys per server.
params = {
    servers = {20, "servers before the change"},
    vnodes = {1000, "ring points per server"},
    keys = {20000, "key universe"},
    router = {"client", "client: clients place each key; proxy: any server forwards"},
}

local c = sim.cluster{ algorithm = "hashring", nodes = params.servers,
    config = { scheme = "ring", vnodes = params.vnodes, router = params.router, batch = 4,
               migrate_gap = 5, settle = 300, report = 250 } }
sim.network{ latency = sim.uniform(1, 3) }
sim.clients{ count = 4, rate = 5000, workload = "kv", keys = params.keys, read_ratio = 0,
             stop = 2000, timeout = 100 }
sim.clients{ count = 8, rate = 1000, workload = "kv", keys = params.keys, read_ratio = 0.5,
             key_dist = "zipf", zipf_s = 0.99, start = 2000, timeout = 100 }

-- Migration traffic over time, in 5 ms bins after the change.
local bins, first_mig, last_mig, change_at = {}, nil, nil, 2500
local redirects, last_redirect = 0, nil
sim.on("send", function(ev)
    if ev.msg == "Migrate" then
        local b = (ev.t - change_at) // 5
        bins[b] = (bins[b] or 0) + (ev.args and ev.args.keys or 0)
        first_mig = first_mig or ev.t
        last_mig = ev.t
    end
end)
sim.on("reply", function(ev)
    if ev.status == "redirect" and ev.t >= change_at then
        redirects = redirects + 1
        last_redirect = ev.t
    end
end)

sim.run(change_at)
local before = sim.metrics().hashring
sim.at(change_at, function() c:add_node() end)
sim.run(change_at + 1500)
local m = sim.metrics().hashring

print(string.format("before: %d servers, %d keys written, keys per server rsd %.3f",
    params.servers, before.keys_written, before.keys_rsd))
print("keys migrated per 5 ms after the change:")
for b = 0, 100 do
    if bins[b] then print(string.format("  %4d..%4d ms  %5d keys", 5 * b, 5 * b + 5, bins[b])) end
end
local ideal = 1 / (params.servers + 1)
print(string.format("keys moved: %d of %d = %.4f (ideal 1/(n+1) = %.4f)", m.last_change_moved,
    m.last_change_keys, m.last_change_moved_fraction, ideal))
print(string.format("migration: %d messages, %d bytes, %d keys, %d skipped as older than a new write",
    m.migration_messages, m.migration_bytes, m.migration_keys, m.migration_skipped_newer))
print(string.format("misrouted window: %d redirects between %.1f and %.1f ms after the change; %d reads answered by the old owner",
    redirects, 0, (last_redirect or change_at) - change_at, m.old_owner_reads))
print(string.format("after: keys held %d, keys written %d, newcomer holds %d", m.keys_total, m.keys_written,
    c:state(params.servers + 1).keys))

-- The newcomer's share is random: its 1000 points take a share with rsd
-- 1/sqrt(V) = 3.2 %, and the ~800 keys it gets add binomial noise of about
-- 3.5 %; 20 % is over 4 standard deviations of the two together.
sim.assert(math.abs(m.last_change_moved_fraction - ideal) < 0.20 * ideal,
    "ring: keys moved on adding a server is about 1/(n+1)")
sim.assert(m.migration_keys == m.last_change_moved, "every moved key travelled in a Migrate message")
sim.assert(m.keys_total == m.keys_written, "no key lost or duplicated by the migration")
-- Client routing sends gained keys to the newcomer at once, which asks the
-- previous owner (a redirect); a proxy forwards instead.
sim.assert(redirects > 0 or (params.router == "proxy" and m.forwards > 0),
    "requests during the change were misrouted and redirected")
-- ~40 keys per sender in batches of 4 every 5 ms: about 50 ms of migration.
sim.assert(last_mig - first_mig < 100, "migration finished within 100 ms")
-- Redirects happen only within `settle` (300 ms) of the change; the reply
-- carrying the last one takes at most one more network delay (3 ms).
sim.assert((last_redirect or change_at) - change_at < 300 + 3, "the misrouted window closed within the settle time")
for i = 1, c:size() do sim.assert(c:state(i).migrating == 0, "server " .. i .. " finished migrating") end
