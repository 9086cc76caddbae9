/* sim/lua_hash.c: the `sim.hash` table, placement without a cluster.
 *
 *   sim.hash.key(s)                         XXH3_64bits of the string, as an integer
 *   sim.hash.jump(key, buckets)             Lamping & Veach's function on a raw 64-bit key
 *   sim.hash.place(scheme, key, servers, opts)  the server (R servers with replicas = R)
 *   sim.hash.table(scheme, servers, opts)   Maglev's lookup table, M server ids
 *   sim.hash.loads(scheme, servers, opts)   keys per server for opts.keys keys "k0".."k<m-1>"
 *   sim.hash.moved(scheme, from, to, opts)  keys whose server differs between two server sets
 *
 * `servers` is a count n (servers 1..n) or an array of distinct ids; a key
 * is a string (hashed with sim.hash.key) or an integer taken as its hash.
 * Everything runs in C over algorithms/hash_place.c, so it is the same
 * placement the hashring algorithm uses. Arguments are read with raw
 * access, validated and copied before anything is built; the last
 * placement is cached (same scheme, options and servers) so a loop of
 * place() calls builds its ring once. Every call charges its work to the
 * script's instruction budget before doing it (sandbox_charge), so a
 * million-key loads() costs what a loop of that size would. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "algorithms/hash_place.h"
#include "sim/lua_int.h"
#include "sim/lua_sandbox.h"

#define HASHCACHE_MT "sim.hashcache"

struct hashcache {
    int valid;
    struct hash_place p;
};

static int cache_gc(lua_State *L)
{
    struct hashcache *hc = lua_touserdata(L, 1);
    if (hc->valid)
        hash_place_free(&hc->p);
    hc->valid = 0;
    return 0;
}

static struct hashcache *cache(lua_State *L)
{
    lua_getfield(L, LUA_REGISTRYINDEX, HASHCACHE_MT ".cache");
    struct hashcache *hc = lua_touserdata(L, -1);
    lua_pop(L, 1);
    return hc;
}

static int check_scheme(lua_State *L, int arg, const char *fname)
{
    if (lua_type(L, arg) != LUA_TSTRING)
        return luaL_error(L, "%s: scheme must be a string (accepted: %s), got %s", fname, HASH_SCHEMES_ACCEPTED,
                          luaL_typename(L, arg));
    const char *s = lua_tostring(L, arg);
    int k = hash_scheme_find(s);
    if (k < 0)
        return luaL_error(L, "%s: unknown scheme '%s' (accepted: %s)", fname, s, HASH_SCHEMES_ACCEPTED);
    return k;
}

/* An integer option, exactly (a fraction is an error naming it). */
static int64_t opt_integer(lua_State *L, int idx, const char *fname, const char *name, int64_t def)
{
    if (!opt_field(L, idx, name))
        return def;
    if (!lua_isinteger(L, -1)) {
        if (lua_type(L, -1) == LUA_TNUMBER) {
            double d = lua_tonumber(L, -1);
            if (d == floor(d) && fabs(d) < 9e15) {
                lua_pop(L, 1);
                return (int64_t)d;
            }
        }
        luaL_error(L, "%s: option '%s' must be an integer, got %s", fname, name, luaL_typename(L, -1));
    }
    int64_t v = lua_tointeger(L, -1);
    lua_pop(L, 1);
    return v;
}

static const char *const place_opts[] = { "vnodes", "table_size", "capacity", "replicas", "loads", NULL };
static const char *const bulk_opts[] = { "vnodes", "table_size", "capacity", "replicas", "keys", "prefix", NULL };
static const char *const moved_opts[] = { "vnodes", "table_size", "capacity", "replicas", "keys", "prefix", "label", NULL };

/* opts at idx (nil or a table) -> o; the scheme already set. Ranges are
 * checked later by hash_opts_check against the server count. */
static void read_opts(lua_State *L, int idx, const char *fname, const char *const *known, struct hash_opts *o)
{
    if (lua_isnoneornil(L, idx))
        return;
    if (!lua_istable(L, idx))
        luaL_error(L, "%s: options must be a table, got %s", fname, luaL_typename(L, idx));
    check_options(L, idx, fname, known);
    int64_t v = opt_integer(L, idx, fname, "vnodes", o->vnodes);
    if (v < 1 || v > HASH_MAX_VNODES)
        luaL_error(L, "%s: vnodes = %I: must be an integer from 1 to %d (virtual nodes per server)", fname,
                   (lua_Integer)v, HASH_MAX_VNODES);
    o->vnodes = (int)v;
    o->table_size = opt_integer(L, idx, fname, "table_size", o->table_size);
    if (opt_field(L, idx, "capacity")) {   /* any number: hash_opts_check says what is accepted */
        if (lua_type(L, -1) != LUA_TNUMBER)
            luaL_error(L, "%s: option 'capacity' must be a number > 1, got %s", fname, luaL_typename(L, -1));
        o->capacity = lua_tonumber(L, -1);
        lua_pop(L, 1);
    }
    v = opt_integer(L, idx, fname, "replicas", o->replicas);
    if (v < 1 || v > 16)
        luaL_error(L, "%s: replicas = %I: must be from 1 to the number of servers, and at most 16", fname,
                   (lua_Integer)v);
    o->replicas = (int)v;
}

/* servers at arg: a count or an array of distinct ids >= 1. Returns the ids
 * in a scratch pushed on the stack (the caller pops it), *n their number. */
static int *read_servers(lua_State *L, int arg, const char *fname, int *n)
{
    struct scratch *sc = push_scratch(L);
    if (lua_type(L, arg) == LUA_TNUMBER) {
        if (!lua_isinteger(L, arg) && lua_tonumber(L, arg) != floor(lua_tonumber(L, arg)))
            luaL_error(L, "%s: servers must be a count (an integer from 1 to %d) or an array of server ids",
                       fname, HASH_MAX_SERVERS);
        double c = lua_tonumber(L, arg);
        if (!(c >= 1 && c <= HASH_MAX_SERVERS))
            luaL_error(L, "%s: servers = %s: must be from 1 to %d", fname, lua_tostring(L, arg), HASH_MAX_SERVERS);
        *n = (int)c;
        int *ids = malloc((size_t)*n * sizeof *ids);
        if (!ids)
            luaL_error(L, "%s: out of memory", fname);
        sc->p = (char *)ids;
        for (int i = 0; i < *n; i++)
            ids[i] = i + 1;
        return ids;
    }
    if (!lua_istable(L, arg))
        luaL_error(L, "%s: servers must be a count or an array of server ids, got %s", fname, luaL_typename(L, arg));
    lua_Unsigned len = lua_rawlen(L, arg);
    if (len < 1 || len > HASH_MAX_SERVERS)
        luaL_error(L, "%s: servers: the array must hold 1 to %d ids, got %d", fname, HASH_MAX_SERVERS, (int)len);
    *n = (int)len;
    int *ids = malloc(len * sizeof *ids);
    if (!ids)
        luaL_error(L, "%s: out of memory", fname);
    sc->p = (char *)ids;
    for (int i = 0; i < *n; i++) {
        lua_rawgeti(L, arg, i + 1);
        if (!lua_isinteger(L, -1) || lua_tointeger(L, -1) < 1 || lua_tointeger(L, -1) > 1000000000)
            luaL_error(L, "%s: servers[%d] must be a server id (an integer >= 1)", fname, i + 1);
        ids[i] = (int)lua_tointeger(L, -1);
        lua_pop(L, 1);
        for (int k = 0; k < i; k++)
            if (ids[k] == ids[i])
                luaL_error(L, "%s: servers: id %d appears twice", fname, ids[i]);
    }
    return ids;
}

static double log2p(double x) { return x > 1 ? log2(x) : 1; }

/* Work units (about one per simple C step) to build a placement of n servers. */
static double build_work(const struct hash_opts *o, int n)
{
    switch (o->scheme) {
    case HASH_RING:
    case HASH_BOUNDED: {
        double pts = (double)n * o->vnodes;
        return pts * log2p(pts);                   /* hash and sort the points */
    }
    case HASH_MAGLEV:
        return (double)o->table_size * log2p((double)o->table_size);   /* the population loop */
    default:
        return n;
    }
}

/* Work units of one lookup. */
static double lookup_work(const struct hash_opts *o, int n)
{
    switch (o->scheme) {
    case HASH_RING: return log2p((double)n * o->vnodes);
    case HASH_BOUNDED: return log2p((double)n * o->vnodes) + 8;   /* a few probes past full servers */
    case HASH_JUMP: return log((double)n + 1) + 1;
    case HASH_RENDEZVOUS: return n;
    default: return 1;
    }
}

static void charge(lua_State *L, double work)
{
    double u = work / 8 + 1;
    sandbox_charge(L, u < 1e18 ? (uint64_t)u : (uint64_t)1e18);
}

static void build(lua_State *L, const char *fname, struct hash_place *p, const struct hash_opts *o,
                  const int *ids, int n)
{
    charge(L, build_work(o, n));
    struct error err;
    if (hash_place_build(p, o, ids, n, &err))
        luaL_error(L, "%s: %s", fname, err.msg);
}

/* The cached placement for (o, ids), rebuilt when anything differs. */
static struct hash_place *cached(lua_State *L, const char *fname, const struct hash_opts *o, const int *ids, int n)
{
    struct hashcache *hc = cache(L);
    if (hc->valid && hc->p.n == n && hc->p.o.scheme == o->scheme && hc->p.o.vnodes == o->vnodes &&
        hc->p.o.table_size == o->table_size && hc->p.o.capacity == o->capacity &&
        memcmp(hc->p.ids, ids, (size_t)n * sizeof *ids) == 0) {
        hc->p.o.replicas = o->replicas;
        struct error err;
        if (hash_opts_check(o, n, &err))
            luaL_error(L, "%s: %s", fname, err.msg);
        return &hc->p;
    }
    if (hc->valid)
        hash_place_free(&hc->p);
    hc->valid = 0;
    build(L, fname, &hc->p, o, ids, n);
    hc->valid = 1;
    return &hc->p;
}

static uint64_t key_arg(lua_State *L, int arg, const char *fname)
{
    if (lua_type(L, arg) == LUA_TSTRING) {
        size_t len;
        const char *s = lua_tolstring(L, arg, &len);
        return hash_key(s, len);
    }
    if (lua_isinteger(L, arg))
        return (uint64_t)lua_tointeger(L, arg);
    return (uint64_t)luaL_error(L, "%s: key must be a string (hashed with XXH3_64bits) or an integer hash, got %s",
                                fname, luaL_typename(L, arg));
}

static int h_key(lua_State *L)
{
    if (lua_type(L, 1) != LUA_TSTRING)
        return luaL_error(L, "sim.hash.key: the key must be a string, got %s", luaL_typename(L, 1));
    size_t len;
    const char *s = lua_tolstring(L, 1, &len);
    lua_pushinteger(L, (lua_Integer)hash_key(s, len));
    return 1;
}

static int h_jump(lua_State *L)
{
    if (!lua_isinteger(L, 1))
        return luaL_error(L, "sim.hash.jump: key must be an integer (a raw 64-bit key; hash a string with "
                             "sim.hash.key), got %s", luaL_typename(L, 1));
    if (lua_type(L, 2) != LUA_TNUMBER)
        return luaL_error(L, "sim.hash.jump: buckets must be an integer from 1 to 2147483647, got %s",
                          luaL_typename(L, 2));
    double b = lua_tonumber(L, 2);
    if (!(b >= 1 && b <= 2147483647.0) || b != floor(b))
        return luaL_error(L, "sim.hash.jump: buckets = %s: must be an integer from 1 to 2147483647",
                          lua_tostring(L, 2));
    lua_pushinteger(L, hash_jump((uint64_t)lua_tointeger(L, 1), (int32_t)b));
    return 1;
}

static int h_place(lua_State *L)
{
    const char *fn = "sim.hash.place";
    struct hash_opts o;
    hash_opts_default(&o);
    o.scheme = check_scheme(L, 1, fn);
    uint64_t h = key_arg(L, 2, fn);
    read_opts(L, 4, fn, place_opts, &o);
    int n;
    int *ids = read_servers(L, 3, fn, &n);
    struct hash_place *p = cached(L, fn, &o, ids, n);
    charge(L, lookup_work(&o, n) * o.replicas + (o.scheme == HASH_BOUNDED ? n : 0));
    if (!lua_isnoneornil(L, 4) && opt_field(L, 4, "loads")) {
        if (o.scheme != HASH_BOUNDED)
            return luaL_error(L, "%s: option 'loads' is for scheme bounded_load only", fn);
        if (!lua_istable(L, -1) || lua_rawlen(L, -1) != (lua_Unsigned)n)
            return luaL_error(L, "%s: option 'loads' must be an array of %d loads, one per server", fn, n);
        int64_t sum = 0;
        for (int i = 0; i < n; i++) {
            lua_rawgeti(L, -1, i + 1);
            if (!lua_isinteger(L, -1) || lua_tointeger(L, -1) < 0 || lua_tointeger(L, -1) > (1LL << 40))
                return luaL_error(L, "%s: loads[%d] must be an integer >= 0", fn, i + 1);
            sum += lua_tointeger(L, -1);
            lua_pop(L, 1);
        }
        /* the ball being placed is the (sum + 1)-th: capacity ceil(c (sum + 1) / n) */
        hash_bounded_begin(p, sum + 1);
        for (int i = 0; i < n; i++) {
            lua_rawgeti(L, -1, i + 1);
            p->load[i] = lua_tointeger(L, -1);
            lua_pop(L, 1);
        }
        p->balls = sum;
        lua_pop(L, 1);
        if (o.replicas != 1)
            return luaL_error(L, "%s: bounded_load places one server per key (replicas = 1)", fn);
        int s = hash_bounded_add(p, h, NULL);
        lua_pushinteger(L, p->ids[s]);
        return 1;
    }
    if (o.replicas == 1) {
        lua_pushinteger(L, p->ids[hash_place_lookup(p, h, NULL)]);
        return 1;
    }
    int out[16];
    int r = hash_place_replicas(p, h, o.replicas, out);
    luaL_checkstack(L, r, fn);
    for (int i = 0; i < r; i++)
        lua_pushinteger(L, p->ids[out[i]]);
    return r;
}

static int h_table(lua_State *L)
{
    const char *fn = "sim.hash.table";
    struct hash_opts o;
    hash_opts_default(&o);
    o.scheme = check_scheme(L, 1, fn);
    if (o.scheme != HASH_MAGLEV)
        return luaL_error(L, "%s: scheme '%s' has no lookup table (accepted: maglev)", fn, lua_tostring(L, 1));
    read_opts(L, 3, fn, place_opts, &o);
    int n;
    int *ids = read_servers(L, 2, fn, &n);
    struct hash_place *p = cached(L, fn, &o, ids, n);
    charge(L, (double)o.table_size * 2);
    lua_createtable(L, (int)o.table_size, 0);
    for (int64_t j = 0; j < o.table_size; j++) {
        lua_pushinteger(L, p->ids[p->table[j]]);
        lua_rawseti(L, -2, j + 1);
    }
    return 1;
}

#define MAX_BULK_KEYS 20000000

struct bulk { int64_t keys; char prefix[32]; };

static void read_bulk(lua_State *L, int idx, const char *fn, struct bulk *b)
{
    b->keys = 0;
    strcpy(b->prefix, "k");
    if (lua_istable(L, idx)) {
        b->keys = opt_integer(L, idx, fn, "keys", 0);
        if (opt_field(L, idx, "prefix")) {
            size_t len;
            const char *s = lua_type(L, -1) == LUA_TSTRING ? lua_tolstring(L, -1, &len) : NULL;
            if (!s || len >= sizeof b->prefix)
                luaL_error(L, "%s: option 'prefix' must be a string of at most 31 bytes", fn);
            memcpy(b->prefix, s, len + 1);
            lua_pop(L, 1);
        }
    }
    if (b->keys < 1 || b->keys > MAX_BULK_KEYS)
        luaL_error(L, "%s: option 'keys' = %I: must be an integer from 1 to %d (the keys are \"%s0\" ..)",
                   fn, (lua_Integer)b->keys, MAX_BULK_KEYS, b->prefix);
}

/* The primary slot of every key prefix..i, into out[keys] (bounded_load:
 * the keys placed in order, with m = keys). Total probes returned. */
static int64_t assign(struct hash_place *p, const struct bulk *b, int32_t *out)
{
    char buf[64];
    int64_t probes = 0;
    if (p->o.scheme == HASH_BOUNDED)
        hash_bounded_begin(p, b->keys);
    for (int64_t i = 0; i < b->keys; i++) {
        int len = snprintf(buf, sizeof buf, "%s%lld", b->prefix, (long long)i);
        uint64_t h = hash_key(buf, (size_t)len);
        int pr;
        out[i] = p->o.scheme == HASH_BOUNDED ? hash_bounded_add(p, h, &pr) : hash_place_lookup(p, h, &pr);
        probes += pr;
    }
    return probes;
}

static int h_loads(lua_State *L)
{
    const char *fn = "sim.hash.loads";
    struct hash_opts o;
    hash_opts_default(&o);
    o.scheme = check_scheme(L, 1, fn);
    read_opts(L, 3, fn, bulk_opts, &o);
    struct bulk b;
    read_bulk(L, 3, fn, &b);
    int n;
    int *ids = read_servers(L, 2, fn, &n);
    struct hash_place *p = cached(L, fn, &o, ids, n);
    charge(L, (double)b.keys * (lookup_work(&o, n) + 4) + n);
    struct scratch *sc = push_scratch(L);
    int32_t *slot = malloc((size_t)b.keys * sizeof *slot);
    int64_t *count = calloc((size_t)n, sizeof *count);
    if (!slot || !count) {
        free(slot);
        free(count);
        return luaL_error(L, "%s: out of memory", fn);
    }
    sc->p = (char *)slot;
    int64_t probes = assign(p, &b, slot);
    for (int64_t i = 0; i < b.keys; i++)
        count[slot[i]]++;
    lua_createtable(L, n, 0);
    double mean = (double)b.keys / n, ss = 0;
    int64_t max = 0, min = INT64_MAX;
    for (int i = 0; i < n; i++) {
        lua_pushinteger(L, count[i]);
        lua_rawseti(L, -2, i + 1);
        ss += ((double)count[i] - mean) * ((double)count[i] - mean);
        if (count[i] > max)
            max = count[i];
        if (count[i] < min)
            min = count[i];
    }
    free(count);
    lua_createtable(L, 0, 6);
    lua_pushinteger(L, max);
    lua_setfield(L, -2, "max");
    lua_pushinteger(L, min);
    lua_setfield(L, -2, "min");
    lua_pushnumber(L, mean);
    lua_setfield(L, -2, "mean");
    lua_pushnumber(L, sqrt(ss / n) / mean);
    lua_setfield(L, -2, "rsd");
    lua_pushnumber(L, (double)max / mean);
    lua_setfield(L, -2, "max_over_mean");
    lua_pushnumber(L, (double)probes / (double)b.keys);
    lua_setfield(L, -2, "probes");
    if (o.scheme == HASH_BOUNDED) {
        lua_pushinteger(L, p->cap);
        lua_setfield(L, -2, "capacity");
    }
    return 2;
}

static int cmp_int(const void *x, const void *y)
{
    int a = *(const int *)x, b = *(const int *)y;
    return (a > b) - (a < b);
}

/* How many ids the two (duplicate-free) lists share: sorted copies, merged. */
static int count_common(const int *a, int na, const int *b, int nb)
{
    int *x = malloc((size_t)(na + nb) * sizeof *x);
    if (!x)
        abort();
    memcpy(x, a, (size_t)na * sizeof *x);
    memcpy(x + na, b, (size_t)nb * sizeof *x);
    qsort(x, (size_t)na, sizeof *x, cmp_int);
    qsort(x + na, (size_t)nb, sizeof *x, cmp_int);
    int i = 0, k = 0, common = 0;
    while (i < na && k < nb) {
        if (x[i] == x[na + k]) {
            common++;
            i++;
            k++;
        } else if (x[i] < x[na + k]) {
            i++;
        } else {
            k++;
        }
    }
    free(x);
    return common;
}

static int h_moved(lua_State *L)
{
    const char *fn = "sim.hash.moved";
    struct hash_opts o;
    hash_opts_default(&o);
    o.scheme = check_scheme(L, 1, fn);
    read_opts(L, 4, fn, moved_opts, &o);
    struct bulk b;
    read_bulk(L, 4, fn, &b);
    char label[64] = "";
    if (lua_istable(L, 4) && opt_field(L, 4, "label")) {
        size_t len;
        const char *s = lua_type(L, -1) == LUA_TSTRING ? lua_tolstring(L, -1, &len) : NULL;
        if (!s || len >= sizeof label)
            return luaL_error(L, "%s: option 'label' must be a string of at most 63 bytes", fn);
        memcpy(label, s, len + 1);
        lua_pop(L, 1);
    }
    int na, nb;
    int *a = read_servers(L, 2, fn, &na);
    int *bb = read_servers(L, 3, fn, &nb);
    charge(L, (double)b.keys * (lookup_work(&o, na) + lookup_work(&o, nb) + 8));
    struct scratch *sc = push_scratch(L);
    int32_t *sa = malloc((size_t)b.keys * 2 * sizeof *sa);
    if (!sa)
        return luaL_error(L, "%s: out of memory", fn);
    sc->p = (char *)sa;
    struct hash_place pa, pb;
    build(L, fn, &pa, &o, a, na);
    struct error err;
    if (hash_place_build(&pb, &o, bb, nb, &err)) {
        hash_place_free(&pa);
        return luaL_error(L, "%s: %s", fn, err.msg);
    }
    assign(&pa, &b, sa);
    assign(&pb, &b, sa + b.keys);
    int64_t moved = 0;
    for (int64_t i = 0; i < b.keys; i++)
        moved += pa.ids[sa[i]] != pb.ids[sa[b.keys + i]];
    /* The minimum that must move: the keys of servers that left, and the
     * newcomers' fair share, 1 - common / max(|from|, |to|). */
    int common = count_common(a, na, bb, nb);
    double ideal = 1.0 - (double)common / (double)(na > nb ? na : nb);
    hash_place_free(&pa);
    hash_place_free(&pb);
    struct sim *s = S(L);
    if (sim_wants(s, "moved", TRACE_STATE)) {
        struct record r;
        record_init(&r, "moved", s->now);
        record_str(&r, "scheme", hash_scheme_names[o.scheme]);
        if (label[0])
            record_str(&r, "label", label);
        record_int(&r, "from", na);
        record_int(&r, "to", nb);
        record_int(&r, "keys", b.keys);
        record_int(&r, "moved", moved);
        record_num(&r, "fraction", (double)moved / (double)b.keys);
        record_num(&r, "ideal", ideal);
        sim_emit(s, &r, TRACE_STATE);
    }
    lua_pushinteger(L, moved);
    lua_pushnumber(L, (double)moved / (double)b.keys);
    lua_pushnumber(L, ideal);
    return 3;
}

void open_hash(lua_State *L)
{
    luaL_newmetatable(L, HASHCACHE_MT);
    lua_pushcfunction(L, cache_gc);
    lua_setfield(L, -2, "__gc");
    lua_pop(L, 1);
    struct hashcache *hc = lua_newuserdatauv(L, sizeof *hc, 0);
    memset(hc, 0, sizeof *hc);
    luaL_setmetatable(L, HASHCACHE_MT);
    lua_setfield(L, LUA_REGISTRYINDEX, HASHCACHE_MT ".cache");
    static const luaL_Reg fns[] = {
        { "key", h_key }, { "jump", h_jump }, { "place", h_place }, { "table", h_table },
        { "loads", h_loads }, { "moved", h_moved }, { NULL, NULL },
    };
    lua_newtable(L);
    set_gated(L, -1, fns, "sim.hash.");
    lua_setfield(L, -2, "hash");
}
