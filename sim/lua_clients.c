/* sim/lua_clients.c: the `sim` module's clients (sim.clients, sim.client
 * and the client handle's methods) and the nemesis (sim.nemesis). */
#include <string.h>

#include "sim/client.h"
#include "sim/lua_int.h"
#include "sim/nemesis.h"

/* ------------------------------------------------------------ clients */

static void push_client(lua_State *L, int id)
{
    int *p = lua_newuserdatauv(L, sizeof *p, 0);
    *p = id;
    luaL_setmetatable(L, CLIENT_MT);
}

static const char *const client_opts[] = {
    "count", "workload", "rate", "closed", "think", "keys", "read_ratio", "cas_ratio",
    "timeout", "retries", "max_outstanding", "values", "start", "stop", "key_dist", "zipf_s",
    "ttl", "hold", "backoff", NULL
};

/* The lock workload's options (sim/client_lock.c): ttl, hold = ms or
 * {min, max} (uniform), backoff; keys = lock names (default 1: "lock"). */
static void lock_options(lua_State *L, struct client_cfg *c)
{
    c->workload = WORKLOAD_LOCK;
    c->lock.ttl = sim_ms_to_ns(opt_number(L, 1, "sim.clients", "ttl", 10000, 1, 1e9));
    c->lock.backoff = sim_ms_to_ns(opt_number(L, 1, "sim.clients", "backoff", 50, 0, 1e9));
    c->lock.think = c->think;
    c->lock.keys = opt_field(L, 1, "keys") ? (lua_pop(L, 1), c->keys) : 1;
    if (opt_field(L, 1, "hold") && !lua_istable(L, -1))
        lua_pop(L, 1);
    else if (lua_istable(L, -1)) {
        lua_rawgeti(L, -1, 1);
        lua_rawgeti(L, -2, 2);
        int ok1, ok2;
        double lo = lua_tonumberx(L, -2, &ok1), hi = lua_tonumberx(L, -1, &ok2);
        if (!ok1 || !ok2 || lo < 0 || hi < lo || hi > 1e9)
            luaL_error(L, "sim.clients: hold = {min, max} takes two numbers of ms with 0 <= min <= max");
        lua_pop(L, 3);
        c->lock.hold_lo = sim_ms_to_ns(lo);
        c->lock.hold_hi = sim_ms_to_ns(hi);
        return;
    }
    c->lock.hold_lo = c->lock.hold_hi = sim_ms_to_ns(opt_number(L, 1, "sim.clients", "hold", 100, 0, 1e9));
}

int l_clients(lua_State *L)
{
    struct sim *s = S(L);
    luaL_checktype(L, 1, LUA_TTABLE);
    check_options(L, 1, "sim.clients", client_opts);
    struct client_cfg c;
    client_cfg_default(&c);
    int count = (int)opt_number(L, 1, "sim.clients", "count", 1, 0, SIM_MAX_CLIENTS);
    if (count > SIM_MAX_CLIENTS - clients_count(s))
        return luaL_error(L, "sim.clients: %d more clients would make %d (at most %d in a run)", count,
                          clients_count(s) + count, SIM_MAX_CLIENTS);
    c.rate = opt_number(L, 1, "sim.clients", "rate", 0, 0, 1e9);
    c.closed = opt_bool(L, 1, "sim.clients", "closed", 0);
    c.think = sim_ms_to_ns(opt_number(L, 1, "sim.clients", "think", 0, 0, 1e12));
    c.keys = (int)opt_number(L, 1, "sim.clients", "keys", 8, 1, 1e9);
    c.read_ratio = opt_number(L, 1, "sim.clients", "read_ratio", 0.5, 0, 1);
    c.cas_ratio = opt_number(L, 1, "sim.clients", "cas_ratio", 0, 0, 1);
    if (c.read_ratio + c.cas_ratio > 1)
        return luaL_error(L, "sim.clients: read_ratio + cas_ratio must be <= 1");
    c.timeout = sim_ms_to_ns(opt_number(L, 1, "sim.clients", "timeout", 1000, 0.001, 1e12));
    c.retries = (int)opt_number(L, 1, "sim.clients", "retries", 3, 0, 1e6);
    c.max_outstanding = (int)opt_number(L, 1, "sim.clients", "max_outstanding", 16, 1, 1e6);
    c.values = (int)opt_number(L, 1, "sim.clients", "values", 5, 1, 1e9);
    if (opt_field(L, 1, "key_dist")) {
        const char *kd = lua_type(L, -1) == LUA_TSTRING ? lua_tostring(L, -1) : NULL;
        if (!kd || (strcmp(kd, "uniform") && strcmp(kd, "zipf")))
            return luaL_error(L, "sim.clients: key_dist = %s: accepted: uniform, zipf",
                              kd ? kd : luaL_typename(L, -1));
        c.key_dist = strcmp(kd, "zipf") == 0 ? KEY_ZIPF : KEY_UNIFORM;
        lua_pop(L, 1);
    }
    c.zipf_s = opt_number(L, 1, "sim.clients", "zipf_s", 0.99, 0.01, 10);
    if (c.key_dist != KEY_ZIPF && opt_field(L, 1, "zipf_s"))
        return luaL_error(L, "sim.clients: zipf_s is for key_dist = \"zipf\"");
    if (c.key_dist == KEY_ZIPF && c.keys > CLIENT_MAX_ZIPF_KEYS)
        return luaL_error(L, "sim.clients: key_dist = \"zipf\" takes at most %d keys, got %d",
                          CLIENT_MAX_ZIPF_KEYS, c.keys);
    c.start = sim_ms_to_ns(opt_number(L, 1, "sim.clients", "start", sim_ns_to_ms(s->now), 0, MAX_MS));
    c.stop = opt_field(L, 1, "stop") ? (lua_pop(L, 1), sim_ms_to_ns(opt_number(L, 1, "sim.clients", "stop", 0, 0, MAX_MS)))
                                     : SIM_TIME_MAX;
    const char *wl = NULL;
    if (opt_field(L, 1, "workload")) {
        wl = lua_tostring(L, -1);
        lua_pop(L, 1);
        if (!wl || (strcmp(wl, "kv") && strcmp(wl, "lb") && strcmp(wl, "lock") && strcmp(wl, "counter") &&
                    strcmp(wl, "queue") && strcmp(wl, "none")))
            return luaL_error(L, "sim.clients: unknown workload '%s' (known: kv, lb, lock, counter, queue, none)",
                              wl ? wl : "?");
    }
    if (wl && strcmp(wl, "lock") == 0)
        lock_options(L, &c);
    else if (wl)
        c.workload = strcmp(wl, "kv") == 0        ? WORKLOAD_KV
                     : strcmp(wl, "lb") == 0      ? WORKLOAD_LB
                     : strcmp(wl, "counter") == 0 ? WORKLOAD_COUNTER
                     : strcmp(wl, "queue") == 0   ? WORKLOAD_QUEUE
                                                  : WORKLOAD_NONE;
    else
        c.workload = (c.rate > 0 || c.closed) ? WORKLOAD_KV : WORKLOAD_NONE;
    static const char *const lock_only[] = { "ttl", "hold", "backoff" };
    for (int i = 0; i < 3 && c.workload != WORKLOAD_LOCK; i++)
        if (opt_field(L, 1, lock_only[i]))
            return luaL_error(L, "sim.clients: ttl, hold and backoff are options of workload = \"lock\"");
    if (c.workload != WORKLOAD_NONE && c.workload != WORKLOAD_LOCK && !c.closed && c.rate <= 0)
        return luaL_error(L, "sim.clients: the %s workload needs rate = N (open loop, ops/s per client) or closed = true",
                          wl ? wl : "kv");
    int first = clients_add(s, count, &c);
    lua_createtable(L, count, 0);
    for (int i = 0; i < count; i++) {
        push_client(L, first + i);
        lua_seti(L, -2, i + 1);
    }
    return 1;
}

int l_client(lua_State *L)
{
    struct sim *s = S(L);
    lua_Integer id = luaL_checkinteger(L, 1);
    if (id < 1 || id > SIM_MAX_CLIENTS)
        return luaL_argerror(L, 1, lua_pushfstring(L, "client %I is out of range (clients are 1..%d)",
                                                   (LUAI_UACINT)id, SIM_MAX_CLIENTS));
    if (id > clients_count(s)) {
        /* Scripted clients come into being on first use, idle until told. */
        struct client_cfg c;
        client_cfg_default(&c);
        clients_add(s, (int)id - clients_count(s), &c);
    }
    push_client(L, (int)id);
    return 1;
}

/* sim.client_only(id, {seq, ...}): of client id's generated operations,
 * send only those numbered in the list (a shrunk scenario's client load). */
int l_client_only(lua_State *L)
{
    lua_Integer id = luaL_checkinteger(L, 1);
    if (id < 1 || id > SIM_MAX_CLIENTS)
        return luaL_argerror(L, 1, lua_pushfstring(L, "client %I is out of range (clients are 1..%d)",
                                                   (LUAI_UACINT)id, SIM_MAX_CLIENTS));
    luaL_checktype(L, 2, LUA_TTABLE);
    lua_Integer n = luaL_len(L, 2);
    if (n > 10000000)
        return luaL_argerror(L, 2, "at most 10000000 operations");
    int64_t *seqs = lua_newuserdatauv(L, (size_t)(n + 1) * sizeof *seqs, 0);   /* freed by Lua on an error */
    for (lua_Integer i = 1; i <= n; i++) {
        lua_rawgeti(L, 2, i);
        int ok;
        lua_Integer v = lua_tointegerx(L, -1, &ok);
        if (!ok || v < 1)
            return luaL_error(L, "sim.client_only: entry %I is %s, not an operation number (1, 2, ...)",
                              (LUAI_UACINT)i, luaL_tolstring(L, -1, NULL));
        seqs[i - 1] = v;
        lua_pop(L, 1);
    }
    clients_only(S(L), (int)id, seqs, (int)n);
    return 0;
}

static int check_client(lua_State *L)
{
    int *p = luaL_checkudata(L, 1, CLIENT_MT);
    return *p;
}

static const char *const submit_opts[] = { "op", "key", "value", "expect", "ttl", "token", "num", "node", NULL };

static void copy_field(lua_State *L, int idx, const char *name, char *dst, size_t cap)
{
    if (!opt_field(L, idx, name))
        return;
    int t = lua_type(L, -1);
    if (t != LUA_TSTRING && t != LUA_TNUMBER && t != LUA_TBOOLEAN)
        luaL_error(L, "submit: '%s' must be a string or a number, got %s", name, luaL_typename(L, -1));
    size_t len;
    const char *v = luaL_tolstring(L, -1, &len);
    if (len >= cap)
        luaL_error(L, "submit: '%s' is longer than %d bytes", name, (int)cap - 1);
    memcpy(dst, v, len + 1);
    lua_pop(L, 2);
}

static int cl_submit(lua_State *L)
{
    int id = check_client(L);
    luaL_checktype(L, 2, LUA_TTABLE);
    check_options(L, 2, "submit", submit_opts);
    struct request q;
    memset(&q, 0, sizeof q);
    if (!opt_field(L, 2, "op"))
        return luaL_error(L, "submit: 'op' is required (e.g. {op = \"put\", key = \"x\", value = \"1\"})");
    lua_pop(L, 1);
    copy_field(L, 2, "op", q.op, sizeof q.op);
    copy_field(L, 2, "key", q.key, sizeof q.key);
    copy_field(L, 2, "value", q.value, sizeof q.value);
    copy_field(L, 2, "expect", q.expect, sizeof q.expect);
    if (opt_field(L, 2, "ttl")) {
        lua_pop(L, 1);
        q.num = (int64_t)opt_number(L, 2, "submit", "ttl", 0, 0, MAX_MS);
    }
    if (opt_field(L, 2, "token")) {
        lua_pop(L, 1);
        q.num = (int64_t)opt_number(L, 2, "submit", "token", 0, -1e15, 1e15);
    }
    if (opt_field(L, 2, "num")) {
        lua_pop(L, 1);
        q.num = (int64_t)opt_number(L, 2, "submit", "num", 0, -1e15, 1e15);
    }
    int node = 0;
    if (opt_field(L, 2, "node")) {
        lua_pop(L, 1);
        node = (int)opt_number(L, 2, "submit", "node", 0, 1, 1e6);
        if (!S(L)->alg || node > S(L)->nnodes || !S(L)->nodes[node]->member)
            return luaL_error(L, "submit: node %d does not exist (nodes are 1..%d)", node, S(L)->nnodes);
    }
    int64_t ref = -1;
    if (!lua_isnoneornil(L, 3)) {
        luaL_checktype(L, 3, LUA_TFUNCTION);
        lua_pushvalue(L, 3);
        ref = luaL_ref(L, LUA_REGISTRYINDEX);
    }
    struct error err;
    if (client_submit(S(L), id, &q, node, ref, &err) < 0) {
        if (ref >= 0)
            luaL_unref(L, LUA_REGISTRYINDEX, (int)ref);
        return luaL_error(L, "submit: %s", err.msg);
    }
    return 0;
}

static int cl_pause(lua_State *L)
{
    int id = check_client(L);
    sim_time d = lua_isnoneornil(L, 2) ? -1 : sim_ms_to_ns(check_ms(L, 2));
    struct error err;
    return fault_result(L, client_pause(S(L), id, d, &err), &err, "client pause");
}

static int cl_crash(lua_State *L)
{
    struct error err;
    return fault_result(L, client_crash(S(L), check_client(L), &err), &err, "client crash");
}

static int cl_restart(lua_State *L)
{
    struct error err;
    return fault_result(L, client_restart(S(L), check_client(L), &err), &err, "client restart");
}

static int cl_clock(lua_State *L)
{
    int id = check_client(L);
    struct sim *s = S(L);
    luaL_checktype(L, 2, LUA_TTABLE);
    check_options(L, 2, "client clock", clock_opts);
    if (opt_field(L, 2, "step")) {
        lua_pop(L, 1);
        client_clock_step(s, id, check_step(L, 2, client_clock_offset(s, id), "client", id));
    }
    if (opt_field(L, 2, "offset"))
        return luaL_error(L, "client clock: use step = ms for clients");
    if (opt_field(L, 2, "drift_ppm")) {
        lua_pop(L, 1);
        client_clock_drift(s, id, check_ppm(L, 2, "client clock"));
    }
    return 0;
}

static int cl_id(lua_State *L) { lua_pushinteger(L, check_client(L)); return 1; }
static int cl_outstanding(lua_State *L) { lua_pushinteger(L, client_outstanding(S(L), check_client(L))); return 1; }
int cl_tostring(lua_State *L) { lua_pushfstring(L, "client(%d)", check_client(L)); return 1; }

/* ------------------------------------------------------------ nemesis */

/* A number of ms or a distribution, into *d; 0 if the field is absent.
 * `number_kind` says what a plain number means there. */
static int opt_dist(lua_State *L, int idx, const char *fname, const char *name, enum dist_kind number_kind,
                    double lo, struct dist *d, int *is_dist)
{
    if (!opt_field(L, idx, name))
        return 0;
    struct dist *u = luaL_testudata(L, -1, "sim.dist");
    if (u) {
        *d = *u;
        *is_dist = 1;
    } else if (lua_type(L, -1) == LUA_TNUMBER) {
        double v = lua_tonumber(L, -1);
        if (!(v >= lo && v <= 1e12))
            return luaL_error(L, "%s: %s must be from %g to 1e12 ms, got %f", fname, name, lo, v);
        d->kind = number_kind;
        d->a = v;
        d->b = 0;
        *is_dist = 0;
    } else {
        return luaL_error(L, "%s: %s must be a number of ms or a distribution (sim.uniform(a, b), "
                             "sim.exponential(m), sim.loguniform(a, b), ...), got %s",
                          fname, name, luaL_typename(L, -1));
    }
    lua_pop(L, 1);
    return 1;
}

static const char known_faults[] =
    "crash, kill, restart_fast, pause, partition, isolate, one_way, clock, loss, duplicate, reorder, clog, hold";

static unsigned check_fault_name(lua_State *L, int idx, const char *fname)
{
    const char *f = lua_type(L, idx) == LUA_TSTRING ? lua_tostring(L, idx) : NULL;
    unsigned bit = f ? nemesis_fault_bit(f) : 0;
    if (!bit)
        luaL_error(L, "%s: unknown fault '%s' (known: %s)", fname, f ? f : luaL_typename(L, idx), known_faults);
    return bit;
}

static int check_target(lua_State *L, int idx, const char *fname)
{
    if (!opt_field(L, idx, "target"))
        return TGT_ANY;
    const char *t = lua_type(L, -1) == LUA_TSTRING ? lua_tostring(L, -1) : NULL;
    int code = t ? nemesis_target_code(t) : -1;
    if (code < 0)
        luaL_error(L, "%s: unknown target '%s' (known: any, leader, follower, minority, majority)", fname,
                   t ? t : luaL_typename(L, -1));
    lua_pop(L, 1);
    return code;
}

int l_nemesis(lua_State *L)
{
    static const char *const opts[] = { "faults", "interval", "duration", "start", "stop", "clock_ms", "loss",
                                        "swarm", "max_down", "duplicate", NULL };
    static const char *const fault_opts[] = { "kind", "target", "duration", "partial", "factor", NULL };
    struct sim *s = S(L);
    if (!s->alg)
        return luaL_error(L, "sim.nemesis: no cluster yet: call sim.cluster{} first");
    luaL_checktype(L, 1, LUA_TTABLE);
    check_options(L, 1, "sim.nemesis", opts);
    struct nemesis_cfg c;
    nemesis_cfg_default(&c);
    int ext = 0;
    if (opt_field(L, 1, "faults")) {
        if (!lua_istable(L, -1))
            return luaL_error(L, "sim.nemesis: faults must be a list such as {\"crash\", \"partition\"} or "
                                 "{{kind = \"crash\", target = \"leader\"}, ...}");
        c.faults = 0;
        int list = lua_gettop(L);
        lua_Unsigned len = lua_rawlen(L, list);
        for (lua_Unsigned i = 1; i <= len && i <= 64; i++) {
            lua_rawgeti(L, list, (lua_Integer)i);
            if (c.nkinds >= NEM_MAX_KINDS)
                return luaL_error(L, "sim.nemesis: at most %d faults in the list", NEM_MAX_KINDS);
            struct nemesis_kind *k = &c.kinds[c.nkinds];
            memset(k, 0, sizeof *k);
            k->partial = 0.3;
            if (lua_istable(L, -1)) {
                int t = lua_gettop(L);
                check_options(L, t, "sim.nemesis fault", fault_opts);
                if (!opt_field(L, t, "kind"))
                    return luaL_error(L, "sim.nemesis: fault %d needs kind = \"crash\" (or %s)", (int)i, known_faults);
                k->kind = check_fault_name(L, -1, "sim.nemesis");
                lua_pop(L, 1);
                k->target = check_target(L, t, "sim.nemesis");
                int isd;
                k->has_duration = opt_dist(L, t, "sim.nemesis fault", "duration", DIST_CONST, 0, &k->duration, &isd);
                k->partial = opt_number(L, t, "sim.nemesis fault", "partial", 0.3, 0, 1);
                k->factor = opt_number(L, t, "sim.nemesis fault", "factor", 10, 1, 1e6);
                if (k->target != TGT_ANY && (k->kind == NEM_LOSS || k->kind == NEM_DUPLICATE || k->kind == NEM_REORDER))
                    return luaL_error(L, "sim.nemesis: a %s fault hits the whole network: it takes no target",
                                      nemesis_kind_name(k->kind));
                ext = 1;
            } else {
                k->kind = check_fault_name(L, -1, "sim.nemesis");
                k->factor = 10;
                if (k->kind > NEM_KILL)
                    ext = 1;
            }
            c.faults |= k->kind;
            c.nkinds++;
            lua_pop(L, 1);
        }
        lua_pop(L, 1);
    } else {
        c.kinds[0] = (struct nemesis_kind){ NEM_CRASH, TGT_ANY, 0, { DIST_CONST, 0, 0 }, 0.3, 10 };
        c.kinds[1] = (struct nemesis_kind){ NEM_PARTITION, TGT_ANY, 0, { DIST_CONST, 0, 0 }, 0.3, 10 };
        c.nkinds = 2;
    }
    int isd = 0;
    c.interval_d = (struct dist){ DIST_EXPONENTIAL, 1000, 0 };
    if (opt_dist(L, 1, "sim.nemesis", "interval", DIST_EXPONENTIAL, 0.001, &c.interval_d, &isd)) {
        ext |= isd;
        c.interval = sim_ms_to_ns(c.interval_d.a);
    }
    c.duration_d = (struct dist){ DIST_CONST, 500, 0 };
    if (opt_dist(L, 1, "sim.nemesis", "duration", DIST_CONST, 0, &c.duration_d, &isd)) {
        ext |= isd;
        c.duration = sim_ms_to_ns(c.duration_d.a);
    }
    c.start = sim_ms_to_ns(opt_number(L, 1, "sim.nemesis", "start", sim_ns_to_ms(s->now), 0, MAX_MS));
    if (opt_field(L, 1, "stop")) {
        lua_pop(L, 1);
        c.stop = sim_ms_to_ns(opt_number(L, 1, "sim.nemesis", "stop", 0, 0, MAX_MS));
    }
    c.clock_ms = opt_number(L, 1, "sim.nemesis", "clock_ms", 100, 0, 1e9);
    c.loss = opt_number(L, 1, "sim.nemesis", "loss", 0.5, 0, 1);
    c.dup = opt_number(L, 1, "sim.nemesis", "duplicate", 0.1, 0, 1);
    c.swarm = opt_bool(L, 1, "sim.nemesis", "swarm", 0);
    c.max_down = (int)opt_number(L, 1, "sim.nemesis", "max_down", 0, 0, 1e6);
    if (opt_field(L, 1, "duplicate")) {
        lua_pop(L, 1);
        ext = 1;
    }
    c.extended = ext || c.swarm || c.max_down > 0;
    nemesis_start(s, &c);
    return 0;
}

/* sim.fault{kind = "crash", nodes = {2}, ms = 41}: one nemesis fault now,
 * exactly as the nemesis applies it (the shrunk scenarios' explicit lines). */
int l_fault(lua_State *L)
{
    static const char *const opts[] = { "kind", "nodes", "ms", "partial", "dir", "value", NULL };
    struct sim *s = S(L);
    if (!s->alg)
        return luaL_error(L, "sim.fault: no cluster yet: call sim.cluster{} first");
    luaL_checktype(L, 1, LUA_TTABLE);
    check_options(L, 1, "sim.fault", opts);
    struct nemesis_fault_rec f;
    memset(&f, 0, sizeof f);
    f.index = -1;
    if (!opt_field(L, 1, "kind"))
        return luaL_error(L, "sim.fault: kind is required (%s)", known_faults);
    f.kind = check_fault_name(L, -1, "sim.fault");
    lua_pop(L, 1);
    if (opt_field(L, 1, "nodes")) {
        if (!lua_istable(L, -1))
            return luaL_error(L, "sim.fault: nodes must be a list of node ids such as {2, 3}");
        lua_Unsigned len = lua_rawlen(L, -1);
        if (len > 15)
            return luaL_error(L, "sim.fault: at most 15 nodes");
        for (lua_Unsigned i = 1; i <= len; i++) {
            lua_rawgeti(L, -1, (lua_Integer)i);
            if (!lua_isinteger(L, -1))
                return luaL_error(L, "sim.fault: nodes must be a list of node ids such as {2, 3}");
            f.nodes[i - 1] = (int)lua_tointeger(L, -1);
            lua_pop(L, 1);
        }
        lua_pop(L, 1);
    }
    f.ms = opt_number(L, 1, "sim.fault", "ms", 0, 0, MAX_MS);
    f.partial = opt_bool(L, 1, "sim.fault", "partial", 0);
    f.dir = (int)opt_number(L, 1, "sim.fault", "dir", 0, 0, 1);
    f.value = opt_number(L, 1, "sim.fault", "value", 0, -1e9, 1e9);
    struct error err;
    if (nemesis_apply(s, &f, &err) != 0)
        return luaL_error(L, "sim.fault: %s", err.msg);
    return 0;
}

const luaL_Reg client_methods[] = {
    { "submit", cl_submit }, { "pause", cl_pause }, { "crash", cl_crash }, { "restart", cl_restart },
    { "clock", cl_clock }, { "id", cl_id }, { "outstanding", cl_outstanding }, { NULL, NULL },
};
