/* Algorithms written in Lua: `sim.algorithm{...}` builds a `struct
 * algorithm` at run time whose callbacks call into the script, so
 * `sim.cluster{algorithm = it}` runs it exactly like a built-in one. The
 * engine never knows: it calls start, on_message, on_timer, on_request,
 * check, inspect, leader and describe through the same table as for C
 * algorithms, and C algorithms pay nothing for this file.
 *
 * What a callback sees (docs/lua-algorithms.md): a node object — its id,
 * the cluster size, the configuration, `state` (a fresh table at every
 * start, gone with a crash) and methods that are thin wrappers over
 * sim/node.h — and nothing else of the simulator: every sim.* call that
 * acts on the cluster or the engine is refused inside node code (the gate
 * in lua_api.c asks lua_alg_pure), as node code sees only its own node.
 *
 * Messages and stored values cross between nodes as bytes: a Lua value is
 * serialised (numbers, strings, booleans, tables of them; table keys in
 * sorted order, so pairs() order never reaches the engine or the trace) and
 * decoded again on delivery, so nodes never share memory. Anything else is
 * an error naming the field path ("msg.votes[2].f is a function").
 *
 * Every entry into Lua goes through call_protected with an entry string
 * ("on_message of node 3 at t=1203.4 ms") that error messages and sim.run's
 * refusal name; an error stops the run (sticky, as a failed action does). */
#include <assert.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/engine.h"
#include "sim/lua_int.h"
#include "sim/lua_sandbox.h"
#include "sim/trace.h"

#define LALG_MT "sim.algorithm"
#define LNODE_MT "sim.lnode"
#define LVIEW_MT "sim.lview"
#define LALG_MAX_TYPES 64
#define LALG_MAX_DEPTH 64
#define LALG_MAX_FIELDS 14      /* args and note fields per record (RECORD_MAX_FIELDS is 24) */
#define LALG_RAW_MAX 1024       /* a nested table in the trace, as JSON */

enum { CB_START, CB_MESSAGE, CB_TIMER, CB_REQUEST, CB_CHECK, CB_INSPECT, CB_LEADER, CB_N };
static const char *const cb_names[CB_N] = { "start", "on_message", "on_timer", "on_request",
                                            "check", "inspect", "leader" };

struct lua_alg {
    struct algorithm alg;        /* first: the engine holds &alg */
    struct lua_ctx *cx;
    struct lua_alg *next;        /* cx->algs: freed after the engine (lua_alg_release) */
    char name[48];
    int ref[CB_N];               /* registry refs of the callbacks, LUA_NOREF when absent */
    int nodes_ref;               /* registry: node id -> node object of its current life */
    int config_ref;              /* registry: the config table's serialised bytes (a string) */
    const char *type_names[LALG_MAX_TYPES];
    int ntypes;
    char *timer_names[NODE_MAX_TIMERS];
    int ntimers;
    struct node *cur;            /* the node whose callback runs (NULL: none, or check/inspect) */
    int dead;                    /* the Lua state is closing: touch no Lua */
    char entry[128];
};

struct lnode { struct lua_alg *a; int id; uint32_t life; };
struct lstate { uint32_t life; };   /* the engine's per-node state: which life of the node */

/* ---------------------------------------------------------------- buffers */

struct buf { unsigned char *p; size_t len, cap; };
static struct buf sbuf;          /* serialisation buffer, reused (one run per process at a time) */

static void buf_put(struct buf *b, const void *p, size_t n)
{
    if (b->len + n > b->cap) {
        size_t c = b->cap ? b->cap : 256;
        while (c < b->len + n)
            c *= 2;
        unsigned char *q = realloc(b->p, c);
        if (!q)
            abort();
        b->p = q;
        b->cap = c;
    }
    memcpy(b->p + b->len, p, n);
    b->len += n;
}

/* Interned names: record field names and note types must outlive the
 * record (a hook sees a copy later in the event), so they live here until
 * the last algorithm of the run is released. */
static char **interned;
static size_t ninterned, capinterned;

static const char *intern(const char *s, size_t n)
{
    for (size_t i = 0; i < ninterned; i++)
        if (strncmp(interned[i], s, n) == 0 && interned[i][n] == 0)
            return interned[i];
    if (ninterned == capinterned) {
        capinterned = capinterned ? 2 * capinterned : 64;
        interned = realloc(interned, capinterned * sizeof *interned);
        if (!interned)
            abort();
    }
    char *c = malloc(n + 1);
    if (!c)
        abort();
    memcpy(c, s, n);
    c[n] = 0;
    for (size_t i = 0; i < n; i++)       /* a field name is written to JSON unescaped */
        if (!(c[i] == '_' || (c[i] >= 'a' && c[i] <= 'z') || (c[i] >= 'A' && c[i] <= 'Z') ||
              (c[i] >= '0' && c[i] <= '9')))
            c[i] = '_';
    interned[ninterned++] = c;
    return c;
}

/* ---------------------------------------------------------- serialisation
 * Tags: 'i' int64, 'f' double, 's' u32 length + bytes, 't' true, 'F' false,
 * 'T' u32 count then count (key, value) pairs, keys sorted: integers, then
 * floats, then strings (bytewise). */

struct path { char s[256]; size_t len; const void *open[LALG_MAX_DEPTH + 2]; };

static void path_push_key(lua_State *L, struct path *p, int kidx, size_t *saved)
{
    *saved = p->len;
    char piece[80];
    if (lua_type(L, kidx) == LUA_TSTRING)
        snprintf(piece, sizeof piece, ".%.60s", lua_tostring(L, kidx));
    else if (lua_isinteger(L, kidx))
        snprintf(piece, sizeof piece, "[%" PRId64 "]", (int64_t)lua_tointeger(L, kidx));
    else if (lua_type(L, kidx) == LUA_TNUMBER)
        snprintf(piece, sizeof piece, "[%.17g]", lua_tonumber(L, kidx));
    else
        snprintf(piece, sizeof piece, "[<%s>]", luaL_typename(L, kidx));
    size_t n = strlen(piece);
    if (p->len + n < sizeof p->s) {
        memcpy(p->s + p->len, piece, n + 1);
        p->len += n;
    }
}

struct skey { int kind; lua_Integer i; double d; const char *s; size_t n; int slot; };

static int skey_cmp(const void *x, const void *y)
{
    const struct skey *a = x, *b = y;
    if (a->kind != b->kind)
        return a->kind - b->kind;
    if (a->kind == 0)
        return (a->i > b->i) - (a->i < b->i);
    if (a->kind == 1)
        return (a->d > b->d) - (a->d < b->d);
    size_t n = a->n < b->n ? a->n : b->n;
    int c = memcmp(a->s, b->s, n);
    return c ? c : (a->n > b->n) - (a->n < b->n);
}

static void ser_value(lua_State *L, int idx, struct buf *b, struct path *p, const char *fname, int depth);

/* The table at idx; p->open holds the tables on the path to it, for cycle
 * detection (a table shared by two branches is simply copied twice). */
static void ser_table(lua_State *L, int idx, struct buf *b, struct path *p, const char *fname, int depth)
{
    idx = lua_absindex(L, idx);
    if (depth > LALG_MAX_DEPTH)
        luaL_error(L, "%s: %s nests tables more than %d deep", fname, p->s, LALG_MAX_DEPTH);
    const void *me = lua_topointer(L, idx);
    for (int i = 0; i < depth; i++)
        if (p->open[i] == me)
            luaL_error(L, "%s: %s contains itself (a cycle); messages and stored values must be trees", fname, p->s);
    p->open[depth] = me;
    luaL_checkstack(L, 8, "serialising");
    /* Collect the keys: into a Lua array, so their strings stay anchored
     * and an error part way leaks nothing. */
    lua_newtable(L);
    int keys = lua_gettop(L);
    int n = 0;
    lua_pushnil(L);
    while (lua_next(L, idx)) {
        lua_pop(L, 1);
        int t = lua_type(L, -1);
        if (t != LUA_TSTRING && t != LUA_TNUMBER) {
            size_t saved;
            path_push_key(L, p, -1, &saved);
            luaL_error(L, "%s: %s has a %s as a key (keys must be strings or numbers)", fname, p->s,
                       luaL_typename(L, -1));
        }
        lua_pushvalue(L, -1);
        lua_rawseti(L, keys, ++n);
    }
    sandbox_charge(L, (uint64_t)n);
    struct skey small[32], *k = small;
    if (n > 32) {
        k = lua_newuserdatauv(L, sizeof *k * (size_t)n, 0);
    }
    for (int i = 0; i < n; i++) {
        lua_rawgeti(L, keys, i + 1);
        struct skey *e = &k[i];
        e->slot = i + 1;
        if (lua_type(L, -1) == LUA_TSTRING) {
            e->kind = 2;
            e->s = lua_tolstring(L, -1, &e->n);   /* anchored by the keys array */
        } else if (lua_isinteger(L, -1)) {
            e->kind = 0;
            e->i = lua_tointeger(L, -1);
        } else {
            e->kind = 1;
            e->d = lua_tonumber(L, -1);
        }
        lua_pop(L, 1);
    }
    qsort(k, (size_t)n, sizeof *k, skey_cmp);
    uint32_t cnt = (uint32_t)n;
    buf_put(b, "T", 1);
    buf_put(b, &cnt, sizeof cnt);
    for (int i = 0; i < n; i++) {
        lua_rawgeti(L, keys, k[i].slot);
        size_t saved;
        path_push_key(L, p, -1, &saved);
        ser_value(L, -1, b, p, fname, depth);       /* the key */
        lua_rawget(L, idx);
        ser_value(L, -1, b, p, fname, depth + 1);   /* the value */
        lua_pop(L, 1);
        p->len = saved;
        p->s[saved] = 0;
    }
    lua_settop(L, keys - 1);
}

static void ser_value(lua_State *L, int idx, struct buf *b, struct path *p, const char *fname, int depth)
{
    switch (lua_type(L, idx)) {
    case LUA_TNUMBER:
        if (lua_isinteger(L, idx)) {
            int64_t v = (int64_t)lua_tointeger(L, idx);
            buf_put(b, "i", 1);
            buf_put(b, &v, sizeof v);
        } else {
            double d = lua_tonumber(L, idx);
            buf_put(b, "f", 1);
            buf_put(b, &d, sizeof d);
        }
        break;
    case LUA_TSTRING: {
        size_t n;
        const char *s = lua_tolstring(L, idx, &n);
        if (n > UINT32_MAX)
            luaL_error(L, "%s: %s is too long a string", fname, p->s);
        uint32_t len = (uint32_t)n;
        sandbox_charge(L, n / 64);
        buf_put(b, "s", 1);
        buf_put(b, &len, sizeof len);
        buf_put(b, s, n);
        break;
    }
    case LUA_TBOOLEAN:
        buf_put(b, lua_toboolean(L, idx) ? "t" : "F", 1);
        break;
    case LUA_TTABLE:
        ser_table(L, idx, b, p, fname, depth);
        break;
    default:
        luaL_error(L, "%s: %s is a %s (messages and stored values hold numbers, strings, booleans and "
                      "tables of them)", fname, p->s, luaL_typename(L, idx));
    }
}

/* Serialise the value at idx into sbuf (reset first). ROOT names it in
 * errors ("msg", "config"). Runs in a C function called from Lua. */
static void serialise(lua_State *L, int idx, const char *fname, const char *root)
{
    struct path p;
    snprintf(p.s, sizeof p.s, "%s", root);
    p.len = strlen(p.s);
    sbuf.len = 0;
    ser_value(L, idx, &sbuf, &p, fname, 0);
}

struct rd { const unsigned char *p, *end; };

static int rd_get(struct rd *r, void *out, size_t n)
{
    if ((size_t)(r->end - r->p) < n)
        return -1;
    memcpy(out, r->p, n);
    r->p += n;
    return 0;
}

/* Push the value encoded at r (our own bytes: malformed input is an internal error). */
static void decode(lua_State *L, struct rd *r)
{
    char tag = 0;
    int bad = rd_get(r, &tag, 1);
    int64_t i = 0;
    double d = 0;
    uint32_t n = 0;
    luaL_checkstack(L, 4, "decoding a message");
    switch (bad ? 0 : tag) {
    case 'i':
        bad = rd_get(r, &i, sizeof i);
        lua_pushinteger(L, (lua_Integer)i);
        break;
    case 'f':
        bad = rd_get(r, &d, sizeof d);
        lua_pushnumber(L, d);
        break;
    case 's':
        if (rd_get(r, &n, sizeof n) || (size_t)(r->end - r->p) < n) {
            bad = 1;
            lua_pushnil(L);
            break;
        }
        lua_pushlstring(L, (const char *)r->p, n);
        r->p += n;
        break;
    case 't': lua_pushboolean(L, 1); break;
    case 'F': lua_pushboolean(L, 0); break;
    case 'T':
        bad = rd_get(r, &n, sizeof n);
        lua_createtable(L, 0, bad ? 0 : (int)(n < 64 ? n : 64));
        for (uint32_t k = 0; !bad && k < n; k++) {
            decode(L, r);
            decode(L, r);
            lua_rawset(L, -3);
        }
        break;
    default:
        bad = 1;
        lua_pushnil(L);
    }
    assert(!bad);
    (void)bad;
}

static void decode_bytes(lua_State *L, const void *p, size_t len)
{
    struct rd r = { p, (const unsigned char *)p + len };
    if (len == 0) {
        lua_pushnil(L);
        return;
    }
    decode(L, &r);
}

/* ----------------------------------------------------- into trace records */

static void json_value(struct rd *r, char **out, size_t *len, size_t *cap);

static void json_num(double d, char **out, size_t *len, size_t *cap)
{
    char tmp[40];
    if (!isfinite(d))
        snprintf(tmp, sizeof tmp, "null");
    else
        snprintf(tmp, sizeof tmp, "%.17g", d);
    json_append_raw(out, len, cap, tmp);
}

/* A string of the encoding, NUL-terminated into tmp (cut at tmpn). */
static void rd_string(struct rd *r, char *tmp, size_t tmpn)
{
    uint32_t n = 0;
    rd_get(r, &n, sizeof n);
    size_t c = n < tmpn - 1 ? n : tmpn - 1;
    memcpy(tmp, r->p, c);
    tmp[c] = 0;
    for (size_t i = 0; i < c; i++)
        if (tmp[i] == 0)
            tmp[i] = ' ';
    r->p += n;
}

static void skip_value(struct rd *r)
{
    char tag = 0;
    uint32_t n = 0;
    rd_get(r, &tag, 1);
    switch (tag) {
    case 'i': case 'f': r->p += 8; break;
    case 's': rd_get(r, &n, sizeof n); r->p += n; break;
    case 'T':
        rd_get(r, &n, sizeof n);
        for (uint32_t k = 0; k < 2 * n; k++)
            skip_value(r);
        break;
    default: break;
    }
}

static void json_value(struct rd *r, char **out, size_t *len, size_t *cap)
{
    char tag = 0;
    rd_get(r, &tag, 1);
    int64_t i = 0;
    double d = 0;
    uint32_t n = 0;
    char tmp[2048];
    switch (tag) {
    case 'i':
        rd_get(r, &i, sizeof i);
        snprintf(tmp, sizeof tmp, "%" PRId64, i);
        json_append_raw(out, len, cap, tmp);
        break;
    case 'f':
        rd_get(r, &d, sizeof d);
        json_num(d, out, len, cap);
        break;
    case 's':
        rd_string(r, tmp, sizeof tmp);
        json_append_string(out, len, cap, tmp);
        break;
    case 't': json_append_raw(out, len, cap, "true"); break;
    case 'F': json_append_raw(out, len, cap, "false"); break;
    case 'T': {
        rd_get(r, &n, sizeof n);
        /* an array when the keys are exactly 1..n (they come sorted) */
        struct rd probe = *r;
        int array = 1;
        for (uint32_t k = 0; k < n && array; k++) {
            char kt = 0;
            rd_get(&probe, &kt, 1);
            if (kt != 'i' || rd_get(&probe, &i, sizeof i) || i != (int64_t)k + 1)
                array = 0;
            else
                skip_value(&probe);
        }
        json_append_raw(out, len, cap, array ? "[" : "{");
        for (uint32_t k = 0; k < n; k++) {
            if (k)
                json_append_raw(out, len, cap, ",");
            if (array) {
                skip_value(r);
            } else {
                char kt = 0;
                rd_get(r, &kt, 1);
                if (kt == 's') {
                    rd_string(r, tmp, sizeof tmp);
                } else if (kt == 'i') {
                    rd_get(r, &i, sizeof i);
                    snprintf(tmp, sizeof tmp, "%" PRId64, i);
                } else {
                    rd_get(r, &d, sizeof d);
                    snprintf(tmp, sizeof tmp, "%.17g", d);
                }
                json_append_string(out, len, cap, tmp);
                json_append_raw(out, len, cap, ":");
            }
            json_value(r, out, len, cap);
        }
        json_append_raw(out, len, cap, array ? "]" : "}");
        break;
    }
    default:
        json_append_raw(out, len, cap, "null");
    }
}

/* The fields of an encoded table into record r, in key order, skipping
 * SKIP (the message's "type"): scalars as fields, nested tables as JSON.
 * Bounded, so no record overflows (sim_emit asserts on that). */
static void table_to_record(const void *p, size_t plen, struct record *r, const char *skip)
{
    struct rd rd = { p, (const unsigned char *)p + plen };
    char tag = 0;
    uint32_t n = 0;
    if (!r || rd_get(&rd, &tag, 1) || tag != 'T' || rd_get(&rd, &n, sizeof n))
        return;
    int fields = 0;
    char key[64], tmp[2048];
    for (uint32_t k = 0; k < n; k++) {
        char kt = 0;
        rd_get(&rd, &kt, 1);
        if (kt == 's') {
            rd_string(&rd, key, sizeof key);
        } else {
            int64_t i = 0;
            double d = 0;
            if (kt == 'i') {
                rd_get(&rd, &i, sizeof i);
                snprintf(key, sizeof key, "k%" PRId64, i);
            } else {
                rd_get(&rd, &d, sizeof d);
                snprintf(key, sizeof key, "k%.6g", d);
            }
        }
        if (skip && strcmp(key, skip) == 0) {
            skip_value(&rd);
            continue;
        }
        if (fields == LALG_MAX_FIELDS) {
            record_int(r, "more_fields", (int64_t)(n - k));
            return;
        }
        fields++;
        const char *name = intern(key, strlen(key));
        char vt = 0;
        struct rd save = rd;
        rd_get(&rd, &vt, 1);
        int64_t i = 0;
        double d = 0;
        switch (vt) {
        case 'i': rd_get(&rd, &i, sizeof i); record_int(r, name, i); break;
        case 'f':
            rd_get(&rd, &d, sizeof d);
            if (isfinite(d))
                record_num(r, name, d);
            else
                record_null(r, name);
            break;
        case 's': rd_string(&rd, tmp, sizeof tmp); record_str(r, name, tmp); break;
        case 't': record_bool(r, name, 1); break;
        case 'F': record_bool(r, name, 0); break;
        default: {
            rd = save;
            char *out = NULL;
            size_t len = 0, cap = 0;
            json_value(&rd, &out, &len, &cap);
            if (out && len < LALG_RAW_MAX && r->strused + len + 1 < RECORD_STRBUF) {
                out[len] = 0;
                record_raw(r, name, out);
            } else {
                record_str(r, name, "(table too large for the trace)");
            }
            free(out);
        }
        }
    }
}

static void lalg_describe(int type, const void *payload, size_t len, struct record *args)
{
    (void)type;
    table_to_record(payload, len, args, "type");
}

/* ------------------------------------------------------------ callbacks */

static struct lua_alg *alg_of_sim(const struct sim *s) { return (struct lua_alg *)(uintptr_t)s->alg; }
static struct lua_alg *alg_of(const struct node *n) { return alg_of_sim(n->sim); }

/* The entry string is made before every callback, and only read when
 * something goes wrong, so it is built by hand: snprintf with %.3f was a
 * fifth of a Lua heartbeat's cost (make bench, case a'). */
static char *put_str(char *p, const char *end, const char *s)
{
    while (*s && p < end)
        *p++ = *s++;
    return p;
}

static char *put_uint(char *p, const char *end, uint64_t v, int min_digits)
{
    char d[24];
    int k = 0;
    do {
        d[k++] = (char)('0' + v % 10);
        v /= 10;
    } while (v || k < min_digits);
    while (k && p < end)
        *p++ = d[--k];
    return p;
}

/* t in ms with up to three decimals, trailing zeros dropped ("1203.4"),
 * as "%.3f" would round it to the microsecond. */
static char *put_ms(char *p, const char *end, sim_time t)
{
    if (t < 0) {
        p = put_str(p, end, "-");
        t = -t;
    }
    uint64_t us = ((uint64_t)t + 500) / 1000;
    p = put_uint(p, end, us / 1000, 1);
    unsigned frac = (unsigned)(us % 1000), digits = 3;
    while (frac && frac % 10 == 0) {
        frac /= 10;
        digits--;
    }
    if (frac) {
        p = put_str(p, end, ".");
        p = put_uint(p, end, frac, (int)digits);
    }
    return p;
}

static void set_entry(struct lua_alg *a, int cb, int node)
{
    char *p = a->entry;
    const char *end = a->entry + sizeof a->entry - 1;
    p = put_str(p, end, cb_names[cb]);
    if (node > 0) {
        p = put_str(p, end, " of node ");
        p = put_uint(p, end, (uint64_t)node, 1);
    }
    p = put_str(p, end, " at t=");
    p = put_ms(p, end, a->cx->sim->now);
    p = put_str(p, end, " ms");
    *p = 0;
}

/* Push the callback; the caller pushes the arguments and calls run_cb. */
static int push_cb(struct lua_alg *a, int cb)
{
    if (a->dead || a->ref[cb] == LUA_NOREF || a->cx->fatal)
        return 0;
    lua_rawgeti(a->cx->L, LUA_REGISTRYINDEX, a->ref[cb]);
    return 1;
}

/* Run the callback pushed with nargs arguments, as node code (mode 1) or
 * omniscient code (mode 2). An error stops the run, named by the entry. */
static int run_cb(struct lua_alg *a, int cb, int node, struct node *cur, int mode, int nargs, int nres)
{
    struct lua_ctx *cx = a->cx;
    lua_State *L = cx->L;
    char entry[sizeof a->entry];
    memcpy(entry, a->entry, sizeof entry);     /* a nested callback (c:restart in an action) reuses it */
    set_entry(a, cb, node);
    struct node *saved_cur = a->cur;
    int saved_mode = cx->node_code;
    a->cur = cur;
    cx->node_code = mode;
    int rc = call_protected(L, nargs, nres, a->entry);
    a->cur = saved_cur;
    cx->node_code = saved_mode;
    if (rc < 0) {
        if (cx->stop == SK_ACTION_ERROR && cx->msg && !cx->msg_named) {
            size_t n = strlen(cx->msg) + strlen(a->entry) + 8;
            char *m = malloc(n);
            if (!m)
                abort();
            snprintf(m, n, "%s: %s", a->entry, cx->msg);
            set_msg(cx, m);
            free(m);
            cx->msg_named = 1;
        }
        if (cx->stop == SK_NONE)
            cx->stop = SK_ACTION_ERROR;
        cx->fatal = 1;          /* sticky: the Lua code that got us here (an action) stops too */
        cx->sim->stop = cx->sim->stop ? cx->sim->stop : STOP_ERROR;
    }
    memcpy(a->entry, entry, sizeof entry);
    return rc;
}

static void push_node_obj(struct lua_alg *a, int id)
{
    lua_State *L = a->cx->L;
    lua_rawgeti(L, LUA_REGISTRYINDEX, a->nodes_ref);
    lua_rawgeti(L, -1, id);
    lua_remove(L, -2);
}

static void lalg_start(struct node *n)
{
    struct lua_alg *a = alg_of(n);
    if (a->dead)
        return;
    lua_State *L = a->cx->L;
    struct lstate *st = node_state(n);
    static uint32_t lives;
    st->life = ++lives ? lives : ++lives;
    /* a fresh node object for this life: id, n, config, state */
    struct lnode *o = lua_newuserdatauv(L, sizeof *o, 2);
    o->a = a;
    o->id = node_id(n);
    o->life = st->life;
    luaL_setmetatable(L, LNODE_MT);
    lua_newtable(L);
    lua_setiuservalue(L, -2, 1);            /* state */
    lua_rawgeti(L, LUA_REGISTRYINDEX, a->config_ref);
    size_t len;
    const char *cfg = lua_tolstring(L, -1, &len);
    decode_bytes(L, cfg, len);
    lua_remove(L, -2);
    lua_setiuservalue(L, -2, 2);            /* config: this node's own copy */
    lua_rawgeti(L, LUA_REGISTRYINDEX, a->nodes_ref);
    lua_pushvalue(L, -2);
    lua_rawseti(L, -2, node_id(n));
    lua_pop(L, 2);
    if (!push_cb(a, CB_START))
        return;
    push_node_obj(a, node_id(n));
    run_cb(a, CB_START, node_id(n), n, 1, 1, 0);
}

static void lalg_state_free(struct node *n)
{
    struct lua_alg *a = alg_of(n);
    if (a->dead)
        return;
    lua_State *L = a->cx->L;
    lua_rawgeti(L, LUA_REGISTRYINDEX, a->nodes_ref);
    lua_pushnil(L);
    lua_rawseti(L, -2, node_id(n));
    lua_pop(L, 1);
}

static void lalg_on_message(struct node *n, const struct message *m)
{
    struct lua_alg *a = alg_of(n);
    if (!push_cb(a, CB_MESSAGE))
        return;
    lua_State *L = a->cx->L;
    push_node_obj(a, node_id(n));
    lua_pushinteger(L, m->src);
    decode_bytes(L, m->payload, m->len);
    run_cb(a, CB_MESSAGE, node_id(n), n, 1, 3, 0);
}

static void lalg_on_timer(struct node *n, int id)
{
    struct lua_alg *a = alg_of(n);
    if (!push_cb(a, CB_TIMER))
        return;
    lua_State *L = a->cx->L;
    push_node_obj(a, node_id(n));
    lua_pushstring(L, a->timer_names[id]);
    run_cb(a, CB_TIMER, node_id(n), n, 1, 2, 0);
}

static void set_str(lua_State *L, const char *k, const char *v)
{
    lua_pushstring(L, v);
    lua_setfield(L, -2, k);
}

static void lalg_on_request(struct node *n, const struct request *q)
{
    struct lua_alg *a = alg_of(n);
    if (!push_cb(a, CB_REQUEST))
        return;
    lua_State *L = a->cx->L;
    push_node_obj(a, node_id(n));
    lua_createtable(L, 0, 8);
    lua_pushinteger(L, (lua_Integer)q->id);
    lua_setfield(L, -2, "id");
    lua_pushinteger(L, q->client);
    lua_setfield(L, -2, "client");
    lua_pushinteger(L, (lua_Integer)q->seq);
    lua_setfield(L, -2, "seq");
    set_str(L, "op", q->op);
    if (q->key[0])
        set_str(L, "key", q->key);
    if (q->value[0])
        set_str(L, "value", q->value);
    if (q->expect[0])
        set_str(L, "expect", q->expect);
    lua_pushinteger(L, (lua_Integer)q->num);
    lua_setfield(L, -2, "num");
    run_cb(a, CB_REQUEST, node_id(n), n, 1, 2, 0);
}

static void push_view(lua_State *L, struct lua_alg *a)
{
    struct lua_alg **v = lua_newuserdatauv(L, sizeof *v, 0);
    *v = a;
    luaL_setmetatable(L, LVIEW_MT);
}

static int lalg_check(const struct cluster *c, struct violation *v)
{
    struct lua_alg *a = alg_of_sim(c->sim);
    if (!push_cb(a, CB_CHECK))
        return 0;
    lua_State *L = a->cx->L;
    push_view(L, a);
    if (run_cb(a, CB_CHECK, 0, NULL, 2, 1, 3) < 0)
        return 0;
    int broken = lua_type(L, -3) == LUA_TBOOLEAN && !lua_toboolean(L, -3);
    if (broken) {
        const char *why = lua_type(L, -2) == LUA_TSTRING ? lua_tostring(L, -2) : "check returned false";
        const char *inv = lua_type(L, -1) == LUA_TSTRING ? lua_tostring(L, -1) : a->name;
        snprintf(v->invariant, sizeof v->invariant, "%s", inv);
        snprintf(v->detail, sizeof v->detail, "%s", why);
    }
    lua_pop(L, 3);
    return broken;
}

static int lalg_leader(const struct cluster *c)
{
    struct lua_alg *a = alg_of_sim(c->sim);
    if (!push_cb(a, CB_LEADER))
        return 0;
    lua_State *L = a->cx->L;
    push_view(L, a);
    if (run_cb(a, CB_LEADER, 0, NULL, 2, 1, 1) < 0)
        return 0;
    int id = 0;
    if (lua_isinteger(L, -1) && lua_tointeger(L, -1) >= 1 && lua_tointeger(L, -1) <= c->sim->nnodes)
        id = (int)lua_tointeger(L, -1);
    lua_pop(L, 1);
    return id;
}

static void lalg_inspect(const struct node *n, struct inspector *in)
{
    struct lua_alg *a = alg_of(n);
    if (!push_cb(a, CB_INSPECT))
        return;
    lua_State *L = a->cx->L;
    push_node_obj(a, node_id(n));
    if (run_cb(a, CB_INSPECT, node_id(n), NULL, 2, 1, 1) < 0)
        return;
    /* Collect first, then emit with the stack as it was: the inspector may
     * be a Lua table (c:state) that expects to be on top. Sorted keys. */
    struct ifield { const char *name; int kind; int64_t i; double d; size_t soff; } f[32];
    char strs[2048];
    size_t sused = 0;
    int nf = 0, t = lua_absindex(L, -1);
    if (lua_type(L, t) == LUA_TTABLE) {
        lua_newtable(L);
        int keys = lua_gettop(L), nk = 0;
        lua_pushnil(L);
        while (lua_next(L, t)) {
            lua_pop(L, 1);
            if (lua_type(L, -1) == LUA_TSTRING) {
                lua_pushvalue(L, -1);
                lua_rawseti(L, keys, ++nk);
            }
        }
        struct skey *k = lua_newuserdatauv(L, sizeof *k * (size_t)(nk + 1), 0);
        for (int i = 0; i < nk; i++) {
            lua_rawgeti(L, keys, i + 1);
            k[i].kind = 2;
            k[i].s = lua_tolstring(L, -1, &k[i].n);
            k[i].slot = i + 1;
            lua_pop(L, 1);
        }
        qsort(k, (size_t)nk, sizeof *k, skey_cmp);
        for (int i = 0; i < nk && nf < 32; i++) {
            lua_rawgeti(L, keys, k[i].slot);
            struct ifield *e = &f[nf];
            e->name = intern(k[i].s, k[i].n);
            lua_rawget(L, t);
            e->kind = lua_type(L, -1);
            if (e->kind == LUA_TNUMBER && lua_isinteger(L, -1)) {
                e->kind = -1;
                e->i = (int64_t)lua_tointeger(L, -1);
            } else if (e->kind == LUA_TNUMBER) {
                e->d = lua_tonumber(L, -1);
            } else if (e->kind == LUA_TBOOLEAN) {
                e->i = lua_toboolean(L, -1);
            } else if (e->kind == LUA_TSTRING) {
                size_t sl;
                const char *v = lua_tolstring(L, -1, &sl);
                if (sl + 1 > sizeof strs - sused)
                    sl = 0;
                memcpy(strs + sused, v, sl);
                strs[sused + sl] = 0;
                e->soff = sused;
                sused += sl + 1;
            } else {
                nf--;         /* tables and the rest: not in a flat inspector */
            }
            nf++;
            lua_pop(L, 1);
        }
        lua_pop(L, 2);
    }
    lua_pop(L, 1);
    for (int i = 0; i < nf; i++) {
        switch (f[i].kind) {
        case -1: in->put_int(in->ctx, f[i].name, f[i].i); break;
        case LUA_TNUMBER: in->put_num(in->ctx, f[i].name, f[i].d); break;
        case LUA_TBOOLEAN: in->put_bool(in->ctx, f[i].name, (int)f[i].i); break;
        default: in->put_str(in->ctx, f[i].name, strs + f[i].soff); break;
        }
    }
}

/* ------------------------------------------------------ node object methods */

/* The node object at arg 1, valid only inside its own node's callback. */
static struct node *self_node(lua_State *L, const char *fname, struct lnode **out)
{
    struct lnode *o = luaL_checkudata(L, 1, LNODE_MT);
    struct lua_alg *a = o->a;
    *out = o;
    struct node *n = a->cur;
    if (!n)
        luaL_error(L, "%s: node %d's object may only be used inside its own start, on_message, on_timer or "
                      "on_request (not from %s)", fname, o->id, ctx_of(L)->entry ? ctx_of(L)->entry : "the main chunk");
    if (node_id(n) != o->id)
        luaL_error(L, "%s: node %d's object used inside a callback of node %d (node code sees only its own node)",
                   fname, o->id, node_id(n));
    if (((struct lstate *)node_state(n))->life != o->life)
        luaL_error(L, "%s: node %d's object is from before its last crash", fname, o->id);
    return n;
}

static int type_id(lua_State *L, struct lua_alg *a, int msg, const char *fname)
{
    if (lua_type(L, msg) != LUA_TTABLE)
        luaL_error(L, "%s: the message must be a table with a string 'type' (got %s)", fname, luaL_typename(L, msg));
    lua_pushliteral(L, "type");
    if (lua_rawget(L, msg) != LUA_TSTRING)
        luaL_error(L, "%s: the message needs a string 'type' field naming it (got %s)", fname, luaL_typename(L, -1));
    size_t len;
    const char *t = lua_tolstring(L, -1, &len);
    for (int i = 0; i < a->ntypes; i++)
        if (strncmp(a->type_names[i], t, len) == 0 && a->type_names[i][len] == 0) {
            lua_pop(L, 1);
            return i;
        }
    if (a->ntypes == LALG_MAX_TYPES)
        luaL_error(L, "%s: more than %d message types", fname, LALG_MAX_TYPES);
    if (len == 0 || len > 40)
        luaL_error(L, "%s: a message type is 1 to 40 characters", fname);
    char *c = malloc(len + 1);
    if (!c)
        abort();
    memcpy(c, t, len + 1);
    a->type_names[a->ntypes] = c;
    lua_pop(L, 1);
    return a->ntypes++;
}

static int check_dst(lua_State *L, struct node *n, int arg, const char *fname)
{
    if (!lua_isinteger(L, arg))
        luaL_error(L, "%s: bad argument #1 (a node id expected, got %s)", fname, luaL_typename(L, arg));
    lua_Integer d = lua_tointeger(L, arg);
    if (d < 1 || d > node_count(n) || !node_is_member(n, (int)d))
        luaL_error(L, "%s: no node %d (nodes are 1..%d)", fname, (int)d, node_count(n));
    return (int)d;
}

static int ln_send(lua_State *L)
{
    struct lnode *o;
    struct node *n = self_node(L, "node:send", &o);
    int dst = check_dst(L, n, 2, "node:send");
    int type = type_id(L, o->a, 3, "node:send");
    serialise(L, 3, "node:send", "msg");
    lua_pushinteger(L, (lua_Integer)node_send(n, dst, type, sbuf.p, sbuf.len));
    return 1;
}

static int ln_broadcast(lua_State *L)
{
    struct lnode *o;
    struct node *n = self_node(L, "node:broadcast", &o);
    int type = type_id(L, o->a, 2, "node:broadcast");
    serialise(L, 2, "node:broadcast", "msg");
    int count = node_count(n), me = node_id(n);
    for (int i = 1; i <= count; i++)
        if (i != me && node_is_member(n, i))
            node_send(n, i, type, sbuf.p, sbuf.len);
    return 0;
}

static int timer_id(lua_State *L, struct lua_alg *a, const char *fname, int create)
{
    size_t len;
    const char *name = luaL_checklstring(L, 2, &len);
    for (int i = 0; i < a->ntimers; i++)
        if (strcmp(a->timer_names[i], name) == 0)
            return i;
    if (!create)
        return -1;
    if (a->ntimers == NODE_MAX_TIMERS)
        luaL_error(L, "%s: more than %d timer names ('%s' would be one more); re-arm a name to replace its timer",
                   fname, NODE_MAX_TIMERS, name);
    a->timer_names[a->ntimers] = strdup(name);
    if (!a->timer_names[a->ntimers])
        abort();
    return a->ntimers++;
}

static int ln_timer(lua_State *L)
{
    struct lnode *o;
    struct node *n = self_node(L, "node:timer", &o);
    luaL_checkstring(L, 2);
    double ms = luaL_checknumber(L, 3);
    luaL_argcheck(L, ms >= 0 && ms <= MAX_MS, 3, "a duration of 0 to 1e12 ms");
    int id = timer_id(L, o->a, "node:timer", 1);
    node_timer(n, id, sim_ms_to_ns(ms));
    return 0;
}

static int ln_cancel(lua_State *L)
{
    struct lnode *o;
    struct node *n = self_node(L, "node:cancel", &o);
    int id = timer_id(L, o->a, "node:cancel", 0);
    if (id >= 0)
        node_cancel(n, id);
    return 0;
}

static int ln_now(lua_State *L)
{
    struct lnode *o;
    struct node *n = self_node(L, "node:now", &o);
    lua_pushnumber(L, sim_ns_to_ms(node_now(n)));
    return 1;
}

static int ln_random(lua_State *L)
{
    struct lnode *o;
    struct node *n = self_node(L, "node:random", &o);
    if (lua_isnoneornil(L, 2)) {
        lua_pushnumber(L, node_random_double(n));
        return 1;
    }
    lua_Integer lo = 1, hi = luaL_checkinteger(L, 2);
    if (!lua_isnoneornil(L, 3)) {
        lo = hi;
        hi = luaL_checkinteger(L, 3);
    }
    luaL_argcheck(L, lo <= hi, 2, "interval is empty");
    lua_pushinteger(L, (lua_Integer)node_random_range(n, (int64_t)lo, (int64_t)hi));
    return 1;
}

static int ln_store_put(lua_State *L)
{
    struct lnode *o;
    struct node *n = self_node(L, "node:store_put", &o);
    const char *k = luaL_checkstring(L, 2);
    luaL_checkany(L, 3);
    if (lua_isnil(L, 3)) {
        node_store_del(n, k);
        return 0;
    }
    serialise(L, 3, "node:store_put", "value");
    node_store_put(n, k, sbuf.p, sbuf.len);
    return 0;
}

static int ln_store_get(lua_State *L)
{
    struct lnode *o;
    struct node *n = self_node(L, "node:store_get", &o);
    const char *k = luaL_checkstring(L, 2);
    size_t len = 0;
    const void *p = node_store_get(n, k, &len);
    if (!p)
        lua_pushnil(L);
    else
        decode_bytes(L, p, len);
    return 1;
}

static int ln_store_sync(lua_State *L)
{
    struct lnode *o;
    node_store_sync(self_node(L, "node:store_sync", &o));
    return 0;
}

static void copy_field(lua_State *L, int t, const char *k, char *out, size_t n, const char *fname)
{
    int ty = rawfield(L, t, k);
    if (ty == LUA_TSTRING || ty == LUA_TNUMBER) {
        const char *s = lua_tostring(L, -1);
        if (strlen(s) >= n)
            luaL_error(L, "%s: '%s' is longer than %d bytes", fname, k, (int)n - 1);
        snprintf(out, n, "%s", s);
    } else if (ty != LUA_TNIL) {
        luaL_error(L, "%s: '%s' must be a string (got %s)", fname, k, luaL_typename(L, -1));
    }
    lua_pop(L, 1);
}

static lua_Integer int_field(lua_State *L, int t, const char *k, const char *fname)
{
    if (rawfield(L, t, k) != LUA_TNUMBER || !lua_isinteger(L, -1))
        luaL_error(L, "%s: the request has no integer '%s' (pass the table on_request received)", fname, k);
    lua_Integer v = lua_tointeger(L, -1);
    lua_pop(L, 1);
    return v;
}

static int ln_reply(lua_State *L)
{
    static const char *const fname = "node:reply";
    struct lnode *o;
    struct node *n = self_node(L, fname, &o);
    luaL_checktype(L, 2, LUA_TTABLE);
    luaL_checktype(L, 3, LUA_TTABLE);
    static const char *const res_opts[] = { "ok", "value", "fail", "redirect", "unknown", "num", "error", NULL };
    check_options(L, 3, fname, res_opts);
    struct request q;
    memset(&q, 0, sizeof q);
    q.id = (uint64_t)int_field(L, 2, "id", fname);
    q.client = (int)int_field(L, 2, "client", fname);
    q.seq = (uint64_t)int_field(L, 2, "seq", fname);
    if (q.client < 1)
        luaL_error(L, "%s: the request's client must be 1 or more", fname);
    struct result res;
    memset(&res, 0, sizeof res);
    int kinds = 0;
    if (opt_field(L, 3, "ok")) {
        kinds++;
        if (!lua_toboolean(L, -1))
            res.status = RESULT_FAIL;
        lua_pop(L, 1);
    }
    if (opt_field(L, 3, "fail")) {
        kinds++;
        res.status = RESULT_FAIL;
        if (lua_type(L, -1) == LUA_TSTRING)
            snprintf(res.error, sizeof res.error, "%s", lua_tostring(L, -1));
        lua_pop(L, 1);
    }
    if (opt_field(L, 3, "redirect")) {
        kinds++;
        res.status = RESULT_REDIRECT;
        res.leader = lua_isinteger(L, -1) ? (int)lua_tointeger(L, -1) : 0;
        lua_pop(L, 1);
    }
    if (opt_field(L, 3, "unknown")) {
        kinds++;
        res.status = RESULT_UNKNOWN;
        lua_pop(L, 1);
    }
    if (kinds != 1)
        luaL_error(L, "%s: the result needs exactly one of ok = true, fail = \"why\", redirect = id, unknown = true",
                   fname);
    if (opt_field(L, 3, "value")) {
        lua_pop(L, 1);
        copy_field(L, 3, "value", res.value, sizeof res.value, fname);
        res.found = 1;
    }
    copy_field(L, 3, "error", res.error, sizeof res.error, fname);
    if (opt_field(L, 3, "num")) {
        res.num = (int64_t)luaL_checkinteger(L, -1);
        lua_pop(L, 1);
    }
    node_reply(n, &q, &res);
    return 0;
}

static int ln_note(lua_State *L)
{
    static const char *const fname = "node:note";
    struct lnode *o;
    struct node *n = self_node(L, fname, &o);
    size_t len;
    const char *type = luaL_checklstring(L, 2, &len);
    luaL_argcheck(L, len >= 1 && len <= 40, 2, "a record type of 1 to 40 characters");
    int has = !lua_isnoneornil(L, 3);
    if (has)
        luaL_checktype(L, 3, LUA_TTABLE);
    if (has)
        serialise(L, 3, fname, "fields");      /* errors even when nobody records the note */
    struct record *r = node_note_begin(n, intern(type, len), 1);
    if (r && has)
        table_to_record(sbuf.p, sbuf.len, r, "node");
    node_note_end(n, r);
    return 0;
}

static int ln_index(lua_State *L)
{
    struct lnode *o = luaL_checkudata(L, 1, LNODE_MT);
    const char *k = lua_tostring(L, 2);
    if (k && strcmp(k, "id") == 0) {
        lua_pushinteger(L, o->id);
    } else if (k && strcmp(k, "n") == 0) {
        lua_pushinteger(L, o->a->cx->sim->nnodes);
    } else if (k && strcmp(k, "state") == 0) {
        lua_getiuservalue(L, 1, 1);
    } else if (k && strcmp(k, "config") == 0) {
        lua_getiuservalue(L, 1, 2);
    } else {
        lua_pushvalue(L, lua_upvalueindex(1));
        lua_pushvalue(L, 2);
        if (lua_rawget(L, -2) == LUA_TNIL)
            return luaL_error(L, "node.%s does not exist (a node has id, n, config, state and methods send, "
                                 "broadcast, timer, cancel, now, random, store_put, store_get, store_sync, reply, "
                                 "note)", k ? k : "?");
    }
    return 1;
}

static int ln_newindex(lua_State *L)
{
    const char *k = lua_tostring(L, 2);
    return luaL_error(L, "node.%s = ...: a node object is read-only; keep volatile state in node.state (a crash "
                         "wipes it) and durable state with node:store_put", k ? k : "?");
}

static int ln_tostring(lua_State *L)
{
    struct lnode *o = luaL_checkudata(L, 1, LNODE_MT);
    lua_pushfstring(L, "node(%d of %s)", o->id, o->a->name);
    return 1;
}

/* ------------------------------------------------ the omniscient view */

static struct lua_alg *view_arg(lua_State *L)
{
    struct lua_alg **v = luaL_checkudata(L, 1, LVIEW_MT);
    if (ctx_of(L)->node_code != 2)
        luaL_error(L, "the cluster view may only be used inside check and leader");
    return *v;
}

static int view_node(lua_State *L, struct lua_alg *a)
{
    lua_Integer id = luaL_checkinteger(L, 2);
    luaL_argcheck(L, id >= 1 && id <= a->cx->sim->nnodes, 2, "no such node");
    return (int)id;
}

static int lv_size(lua_State *L)
{
    lua_pushinteger(L, view_arg(L)->cx->sim->nnodes);
    return 1;
}

static int lv_up(lua_State *L)
{
    struct lua_alg *a = view_arg(L);
    lua_pushboolean(L, cluster_node_up(&a->cx->sim->cluster, view_node(L, a)));
    return 1;
}

static int lv_paused(lua_State *L)
{
    struct lua_alg *a = view_arg(L);
    lua_pushboolean(L, cluster_node_paused(&a->cx->sim->cluster, view_node(L, a)));
    return 1;
}

static int lv_state(lua_State *L)
{
    struct lua_alg *a = view_arg(L);
    int id = view_node(L, a);
    if (!cluster_node_state(&a->cx->sim->cluster, id)) {
        lua_pushnil(L);
        return 1;
    }
    push_node_obj(a, id);
    if (lua_isnil(L, -1))
        return 1;
    lua_getiuservalue(L, -1, 1);
    return 1;
}

static int lv_store_get(lua_State *L)
{
    struct lua_alg *a = view_arg(L);
    int id = view_node(L, a);
    const char *k = luaL_checkstring(L, 3);
    size_t len = 0;
    const void *p = cluster_store_get(&a->cx->sim->cluster, id, k, &len);
    if (!p)
        lua_pushnil(L);
    else
        decode_bytes(L, p, len);
    return 1;
}

static int lv_now(lua_State *L)
{
    lua_pushnumber(L, sim_ns_to_ms(view_arg(L)->cx->sim->now));
    return 1;
}

static int lv_tostring(lua_State *L)
{
    struct lua_alg **v = luaL_checkudata(L, 1, LVIEW_MT);
    lua_pushfstring(L, "cluster view(%s)", (*v)->name);
    return 1;
}

/* --------------------------------------------------------- sim.algorithm */

static int alg_tostring(lua_State *L)
{
    struct lua_alg **p = luaL_checkudata(L, 1, LALG_MT);
    lua_pushfstring(L, "algorithm(%s, written in Lua)", (*p)->name);
    return 1;
}

static int l_algorithm(lua_State *L)
{
    static const char *const opts[] = { "name", "start", "on_message", "on_timer", "on_request", "check",
                                        "inspect", "leader", "summary", NULL };
    struct lua_ctx *cx = ctx_of(L);
    luaL_checktype(L, 1, LUA_TTABLE);
    check_options(L, 1, "sim.algorithm", opts);
    if (rawfield(L, 1, "name") != LUA_TSTRING)
        return luaL_error(L, "sim.algorithm: 'name' (a string) is required");
    size_t nlen;
    const char *name = lua_tolstring(L, -1, &nlen);
    if (nlen < 1 || nlen >= sizeof ((struct lua_alg *)0)->name)
        return luaL_error(L, "sim.algorithm: 'name' must be 1 to %d characters",
                          (int)sizeof ((struct lua_alg *)0)->name - 1);
    if (algorithm_find(name))
        return luaL_error(L, "sim.algorithm: '%s' is the name of a built-in algorithm; choose another", name);
    for (int i = 0; i < CB_N; i++) {
        int t = rawfield(L, 1, cb_names[i]);
        if (t != LUA_TNIL && t != LUA_TFUNCTION)
            return luaL_error(L, "sim.algorithm: '%s' must be a function (got %s)", cb_names[i], lua_typename(L, t));
        lua_pop(L, 1);
    }
    if (rawfield(L, 1, "start") != LUA_TFUNCTION)
        return luaL_error(L, "sim.algorithm: 'start' (a function) is required: it boots the node and arms its "
                             "timers");
    lua_pop(L, 1);
    struct lua_alg *a = calloc(1, sizeof *a);
    if (!a)
        abort();
    a->cx = cx;
    a->next = cx->algs;
    cx->algs = a;
    memcpy(a->name, name, nlen + 1);
    for (int i = 0; i < CB_N; i++) {
        rawfield(L, 1, cb_names[i]);
        a->ref[i] = lua_isfunction(L, -1) ? luaL_ref(L, LUA_REGISTRYINDEX) : (lua_pop(L, 1), LUA_NOREF);
    }
    lua_newtable(L);
    a->nodes_ref = luaL_ref(L, LUA_REGISTRYINDEX);
    a->config_ref = LUA_NOREF;
    struct algorithm *g = &a->alg;
    g->name = a->name;
    g->summary = "an algorithm written in Lua";
    g->state_size = sizeof(struct lstate);
    g->params_size = 1;
    g->ghost_size = 1;
    g->start = lalg_start;
    g->on_message = lalg_on_message;
    g->on_timer = lalg_on_timer;
    g->on_request = a->ref[CB_REQUEST] != LUA_NOREF ? lalg_on_request : NULL;
    g->check = a->ref[CB_CHECK] != LUA_NOREF ? lalg_check : NULL;
    g->inspect = lalg_inspect;
    g->leader = a->ref[CB_LEADER] != LUA_NOREF ? lalg_leader : NULL;
    g->describe = lalg_describe;
    g->msg_names = a->type_names;
    g->msg_count = LALG_MAX_TYPES;
    g->state_free = lalg_state_free;
    struct lua_alg **ud = lua_newuserdatauv(L, sizeof *ud, 0);
    *ud = a;
    luaL_setmetatable(L, LALG_MT);
    return 1;
}

const struct algorithm *lua_alg_check(lua_State *L, int idx, int cfg_idx)
{
    struct lua_alg **ud = luaL_testudata(L, idx, LALG_MT);
    if (!ud)
        return NULL;
    struct lua_alg *a = *ud;
    if (a->config_ref != LUA_NOREF)
        luaL_error(L, "sim.cluster: algorithm '%s' runs one cluster already", a->name);
    if (cfg_idx) {
        if (!lua_istable(L, cfg_idx))
            luaL_error(L, "sim.cluster: 'config' must be a table");
        serialise(L, cfg_idx, "sim.cluster", "config");
    } else {
        sbuf.len = 0;
        buf_put(&sbuf, "T\0\0\0\0", 5);
    }
    lua_pushlstring(L, (const char *)sbuf.p, sbuf.len);
    a->config_ref = luaL_ref(L, LUA_REGISTRYINDEX);
    return &a->alg;
}

int lua_alg_allowed(const char *name, int mode)
{
    static const char *const node_m[] = { "send", "broadcast", "timer", "cancel", "now", "random", "store_put",
                                          "store_get", "store_sync", "reply", "note", NULL };
    if (strcmp(name, "sim.sorted") == 0 || strncmp(name, "sim.hash.", 9) == 0)
        return 1;               /* pure functions of their arguments */
    if (mode == 2)
        return strncmp(name, "view:", 5) == 0;
    if (strncmp(name, "node:", 5) == 0)
        for (int i = 0; node_m[i]; i++)
            if (strcmp(name + 5, node_m[i]) == 0)
                return 1;
    return 0;
}

void lua_alg_detach(struct lua_ctx *cx)
{
    for (struct lua_alg *a = cx->algs; a; a = a->next)
        a->dead = 1;
}

void lua_alg_release(struct lua_ctx *cx)
{
    while (cx->algs) {
        struct lua_alg *a = cx->algs;
        cx->algs = a->next;
        for (int i = 0; i < a->ntypes; i++)
            free((void *)(uintptr_t)a->type_names[i]);
        for (int i = 0; i < a->ntimers; i++)
            free(a->timer_names[i]);
        free(a);
    }
    for (size_t i = 0; i < ninterned; i++)
        free(interned[i]);
    free(interned);
    interned = NULL;
    ninterned = capinterned = 0;
    free(sbuf.p);
    memset(&sbuf, 0, sizeof sbuf);
}

/* Register sim.algorithm (behind the gate) into the table on top, and the
 * node-object and view classes. */
void open_alg(lua_State *L)
{
    static const luaL_Reg node_m[] = {
        { "send", ln_send }, { "broadcast", ln_broadcast }, { "timer", ln_timer }, { "cancel", ln_cancel },
        { "now", ln_now }, { "random", ln_random }, { "store_put", ln_store_put },
        { "store_get", ln_store_get }, { "store_sync", ln_store_sync }, { "reply", ln_reply },
        { "note", ln_note }, { NULL, NULL },
    };
    static const luaL_Reg view_m[] = {
        { "size", lv_size }, { "up", lv_up }, { "paused", lv_paused }, { "state", lv_state },
        { "store_get", lv_store_get }, { "now", lv_now }, { NULL, NULL },
    };
    int top = lua_gettop(L);
    luaL_newmetatable(L, LNODE_MT);
    lua_newtable(L);
    set_gated(L, -1, node_m, "node:");
    lua_pushcclosure(L, ln_index, 1);
    lua_setfield(L, -2, "__index");
    lua_pushcfunction(L, ln_newindex);
    lua_setfield(L, -2, "__newindex");
    lua_pushcfunction(L, ln_tostring);
    lua_setfield(L, -2, "__tostring");
    lua_pushliteral(L, LNODE_MT);
    lua_setfield(L, -2, "__metatable");
    lua_pop(L, 1);

    new_class(L, LVIEW_MT, "view:", view_m, lv_tostring);

    luaL_newmetatable(L, LALG_MT);
    lua_pushcfunction(L, alg_tostring);
    lua_setfield(L, -2, "__tostring");
    lua_pushliteral(L, LALG_MT);
    lua_setfield(L, -2, "__metatable");
    lua_pop(L, 1);

    static const luaL_Reg fns[] = { { "algorithm", l_algorithm }, { NULL, NULL } };
    set_gated(L, top, fns, "sim.");
    lua_settop(L, top);
}
