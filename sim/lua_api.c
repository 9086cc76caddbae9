/* The `sim` Lua module: the scenario side of the simulator. This file has
 * the sandbox, the cluster and network calls, scheduling, hooks, the run
 * and the driver; clients and the nemesis are in lua_clients.c, params in
 * lua_params.c, the bounded string and table functions in lua_strlib.c
 * (the shared internals: lua_int.h).
 *
 * A scenario is a plain Lua 5.4 script run top to bottom in a sandbox:
 * base, table, string, math and utf8 only; text chunks only; `math.random`
 * draws from the script's own seeded stream; a count hook enforces an
 * instruction budget per entry into the script (the main chunk, and each
 * action or hook separately); an allocator caps the script's memory. Every
 * call into Lua goes through call_protected() with a traceback handler.
 *
 * Control flow out of the script: sim.assert failures, invariant violations
 * and errors inside scheduled actions unwind the script with a sentinel
 * error value (`stop_token`), after recording why in struct lua_ctx; any
 * other error is a script error (exit 65) with file:line and a traceback.
 *
 * Determinism: Lua 5.4 randomises the order of pairs() over string keys
 * between runs, so every table this file reads by iteration (options,
 * config, params) has its keys collected and sorted first. */
#include <assert.h>
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cJSON.h>
#include <lauxlib.h>
#include <lua.h>
#include <lualib.h>

#include "sim/client.h"
#include "sim/client_lock.h"
#include "sim/dmath.h"
#include "sim/engine.h"
#include "sim/lua_int.h"
#include "sim/lua_sandbox.h"
#include "sim/nemesis.h"
#include "sim/outpath.h"
#include "sim/sim.h"

static char stop_token;          /* its address is the sentinel error value */

void set_msg(struct lua_ctx *cx, const char *m)
{
    free(cx->msg);
    cx->msg = strdup(m ? m : "");
}

/* Unwind the script: the stop kind says why. */
int stop_script(lua_State *L, enum stop_kind k, const char *msg)
{
    struct lua_ctx *cx = ctx_of(L);
    cx->stop = k;
    cx->fatal = 1;          /* every stop ends the run: no pcall may swallow it */
    if (msg)
        set_msg(cx, msg);
    lua_pushlightuserdata(L, &stop_token);
    return lua_error(L);
}

/* Memory a Lua error must not leak. A C function that mallocs while it
 * can still raise (a bad option part way through a table) keeps the
 * pointer in a userdata on the stack whose __gc frees it; on success it
 * takes the pointer out. (lua_close runs every pending __gc.) */
#define CONFIG_MT "sim.config"

static int scratch_gc(lua_State *L)
{
    struct scratch *sc = lua_touserdata(L, 1);
    free(sc->p);
    sc->p = NULL;
    return 0;
}

struct scratch *push_scratch(lua_State *L)
{
    struct scratch *sc = lua_newuserdatauv(L, sizeof *sc, 0);
    sc->p = NULL;
    luaL_setmetatable(L, SCRATCH_MT);
    return sc;
}

static int config_gc(lua_State *L)
{
    config_free(lua_touserdata(L, 1));
    return 0;
}

/* ------------------------------------------------------------- sandbox */

static void *l_alloc(void *ud, void *ptr, size_t osize, size_t nsize)
{
    struct lua_ctx *cx = ud;
    size_t old = ptr ? osize : 0;
    if (nsize == 0) {
        free(ptr);
        cx->mem_used -= old;
        return NULL;
    }
    if (nsize > old && cx->mem_used - old + nsize > cx->opts->lua_memory)
        return NULL;        /* Lua raises "not enough memory" */
    void *p = realloc(ptr, nsize);
    if (p) {
        cx->mem_used = cx->mem_used - old + nsize;
        /* Allocation is work the instruction count does not see: a loop of
         * string.rep(x, 1 << 20) runs few instructions but copies a MB each.
         * Charge one instruction per 64 bytes allocated. */
        if (nsize > old)
            cx->count += (nsize - old) / 64;
    }
    return p;
}

#define HOOK_EVERY 1000

/* Past the instruction budget: a fatal error naming the running Lua
 * function's file:line. Charged work done by C functions (allocation, the
 * pattern matcher) reaches here too, so no single call can run unbounded. */
/* "file:line: " of the nearest Lua function at or above LEVEL: a library
 * call reached through pcall (level 1 is then pcall itself) still names
 * the script line that made it. */
static void push_lua_where(lua_State *L, int level)
{
    lua_Debug ar;
    for (; lua_getstack(L, level, &ar); level++)
        if (lua_getinfo(L, "Sl", &ar) && ar.currentline > 0) {
            lua_pushfstring(L, "%s:%d: ", ar.short_src, ar.currentline);
            return;
        }
    lua_pushliteral(L, "");
}

static void budget_check(lua_State *L, int level)
{
    struct lua_ctx *cx = ctx_of(L);
    if (cx->count <= cx->opts->lua_budget)
        return;
    char msg[200];
    snprintf(msg, sizeof msg, "instruction budget exceeded: more than %" PRIu64
             " Lua instructions in one go (a runaway loop?); raise it with --lua-budget N",
             cx->opts->lua_budget);
    push_lua_where(L, level);  /* the running Lua function: file:line of the loop */
    lua_pushstring(L, msg);
    lua_concat(L, 2);
    free(cx->fatal_msg);
    cx->fatal_msg = strdup(lua_tostring(L, -1));
    cx->fatal = 1;
    lua_error(L);
}

/* Raise the sticky fatal error again: the budget message, or the stop token
 * of an interrupt or an ended run. */
static int raise_fatal(lua_State *L)
{
    struct lua_ctx *cx = ctx_of(L);
    if (cx->fatal_msg)
        lua_pushstring(L, cx->fatal_msg);
    else
        lua_pushlightuserdata(L, &stop_token);
    return lua_error(L);
}

static void count_hook(lua_State *L, lua_Debug *ar)
{
    (void)ar;
    struct lua_ctx *cx = ctx_of(L);
    if (cx->fatal)
        raise_fatal(L);       /* something (an error handler, a pcall'd loop) still runs after the stop */
    if (sim_interrupted) {
        /* Ctrl-C while the script itself loops, with no event in sight */
        cx->fatal = 1;
        cx->stop = SK_INTERRUPT;
        raise_fatal(L);
    }
    cx->count += HOOK_EVERY;
    budget_check(L, 0);       /* in a hook, level 0 is the Lua function running */
}

/* See lua_sandbox.h. */
void sandbox_charge(lua_State *L, uint64_t units)
{
    struct lua_ctx *cx = ctx_of(L);
    cx->count += units;
    if (cx->fatal)
        raise_fatal(L);
    if (sim_interrupted) {
        cx->fatal = 1;
        cx->stop = SK_INTERRUPT;
        raise_fatal(L);
    }
    budget_check(L, 1);       /* level 1: the Lua code that called the C function */
}

static int msgh(lua_State *L)
{
    if (lua_touserdata(L, 1) == &stop_token)
        return 1;
    const char *msg = lua_tostring(L, 1);
    if (!msg) {
        if (luaL_callmeta(L, 1, "__tostring") && lua_type(L, -1) == LUA_TSTRING)
            msg = lua_tostring(L, -1);
        else
            msg = lua_pushfstring(L, "(error object is a %s value)", luaL_typename(L, 1));
    }
    luaL_traceback(L, L, msg, 1);
    return 1;
}

/* Call the function below nargs arguments on the stack, protected, with a
 * fresh instruction budget. ENTRY says where the engine entered the script
 * from (NULL: the main chunk), for sim.run's refusal. Returns 0, or -1 with
 * the stop recorded (a script error becomes SK_ACTION_ERROR unless a stop is
 * already set). */
int call_protected(lua_State *L, int nargs, int nresults, const char *entry)
{
    struct lua_ctx *cx = ctx_of(L);
    if (cx->fatal) {            /* the run is over: run nothing more */
        lua_pop(L, nargs + 1);
        if (cx->stop == SK_NONE) {
            cx->stop = SK_ACTION_ERROR;
            set_msg(cx, cx->fatal_msg);
        }
        return -1;
    }
    uint64_t saved = cx->count;
    const char *saved_api = cx->in_api, *saved_entry = cx->entry;
    cx->count = 0;
    cx->in_api = NULL;          /* an action runs between events: it may call anything */
    cx->entry = entry;
    cx->depth++;
    int base = lua_gettop(L) - nargs;
    lua_pushcfunction(L, msgh);
    lua_insert(L, base);
    int rc = lua_pcall(L, nargs, nresults, base);
    lua_remove(L, base);
    cx->depth--;
    cx->count = saved;
    cx->in_api = saved_api;
    cx->entry = saved_entry;
    if (rc == LUA_OK)
        return 0;
    if (rc == LUA_ERRMEM) {
        char msg[160];
        snprintf(msg, sizeof msg, "the script reached its memory limit (%zu MB); raise it with --lua-memory MB",
                 cx->opts->lua_memory >> 20);
        set_msg(cx, msg);
        cx->stop = SK_ACTION_ERROR;
    } else if (lua_touserdata(L, -1) != &stop_token && cx->stop == SK_NONE) {
        set_msg(cx, lua_tostring(L, -1));
        cx->stop = SK_ACTION_ERROR;
    }
    lua_pop(L, 1);
    return -1;
}

/* pcall and xpcall as the sandbox has them: as Lua's, except that the
 * stops a scenario must not survive — the instruction budget, Ctrl-C, a
 * failed sim.assert, a violation, the end of the run — pass through them.
 * A pcall that caught the budget error would otherwise let
 * `while true do pcall(function() while true do end end) end` run forever.
 * They also restore the re-entrancy state an error unwound past. */
static int finish_pcall(lua_State *L, int status, int base, const char *saved_api)
{
    struct lua_ctx *cx = ctx_of(L);
    cx->in_api = saved_api;
    if (status != LUA_OK && (cx->fatal || lua_touserdata(L, -1) == &stop_token))
        return cx->fatal ? raise_fatal(L) : lua_error(L);
    lua_pushboolean(L, status == LUA_OK);
    lua_insert(L, base);
    return lua_gettop(L) - base + 1;
}

static int l_pcall(lua_State *L)
{
    luaL_checkany(L, 1);
    const char *saved_api = ctx_of(L)->in_api;
    int status = lua_pcall(L, lua_gettop(L) - 1, LUA_MULTRET, 0);
    return finish_pcall(L, status, 1, saved_api);
}

/* xpcall's message handler, around the script's. A budget error or an
 * interrupt is raised from the count hook, and Lua runs the message handler
 * before unwinding, with hooks still off: a script's handler would run
 * there unstoppable. So after a fatal stop the script's handler is not
 * called at all; the error passes through unchanged. */
static int xpcall_handler(lua_State *L)
{
    if (ctx_of(L)->fatal || lua_touserdata(L, 1) == &stop_token)
        return 1;
    lua_pushvalue(L, lua_upvalueindex(1));
    lua_insert(L, 1);
    lua_call(L, lua_gettop(L) - 1, 1);    /* errors in it are Lua's "error in error handling" */
    return 1;
}

static int l_xpcall(lua_State *L)
{
    int n = lua_gettop(L);
    luaL_checktype(L, 2, LUA_TFUNCTION);
    lua_pushvalue(L, 2);
    lua_pushcclosure(L, xpcall_handler, 1);
    lua_replace(L, 2);
    lua_pushvalue(L, 1);        /* f */
    lua_copy(L, 2, 1);          /* the handler goes below f */
    lua_replace(L, 2);
    const char *saved_api = ctx_of(L)->in_api;
    int status = lua_pcall(L, n - 2, LUA_MULTRET, 1);
    return finish_pcall(L, status, 2, saved_api);
}

/* setmetatable without finalisers: a __gc runs whenever the collector gets
 * to it — inside any allocation, in the middle of another call — so what it
 * did would depend on memory layout, and it could call the engine from
 * anywhere. Scenarios have no use for one. */
static int l_setmetatable(lua_State *L)
{
    if (lua_type(L, 2) == LUA_TTABLE) {
        lua_pushliteral(L, "__gc");
        int t = lua_rawget(L, 2);
        lua_pop(L, 1);
        if (t != LUA_TNIL)
            return luaL_error(L, "setmetatable: __gc finalisers are not available in scenarios (they run when the "
                                 "garbage collector chooses); use an explicit call, or a <close> variable");
    }
    lua_CFunction real = lua_tocfunction(L, lua_upvalueindex(1));
    return real(L);
}

static int l_random(lua_State *L)
{
    struct lua_ctx *cx = ctx_of(L);
    lua_Integer lo, hi;
    switch (lua_gettop(L)) {
    case 0:
        lua_pushnumber(L, rng_double(&cx->script_rng));
        return 1;
    case 1:
        lo = 1;
        hi = luaL_checkinteger(L, 1);
        break;
    case 2:
        lo = luaL_checkinteger(L, 1);
        hi = luaL_checkinteger(L, 2);
        break;
    default:
        return luaL_error(L, "wrong number of arguments to 'random'");
    }
    luaL_argcheck(L, lo <= hi, lua_gettop(L), "interval is empty");
    lua_pushinteger(L, (lua_Integer)rng_range(&cx->script_rng, lo, hi));
    return 1;
}

static int l_randomseed(lua_State *L)
{
    struct lua_ctx *cx = ctx_of(L);
    lua_Integer n = luaL_optinteger(L, 1, 0);
    rng_init(&cx->script_rng, (uint64_t)n, RNG_SCRIPT, 1);
    return 0;
}

static int l_print_stderr(lua_State *L)
{
    int n = lua_gettop(L);
    for (int i = 1; i <= n; i++) {
        size_t len;
        const char *s = luaL_tolstring(L, i, &len);
        if (i > 1)
            fputc('\t', stderr);
        fwrite(s, 1, len, stderr);
        lua_pop(L, 1);
    }
    fputc('\n', stderr);
    return 0;
}

static int l_undefined_global(lua_State *L)
{
    const char *k = lua_tostring(L, 2);
    return luaL_error(L, "undefined global '%s'", k ? k : "?");
}

static void open_sandbox(lua_State *L, int print_to_stderr)
{
    static const luaL_Reg libs[] = {
        { LUA_GNAME, luaopen_base }, { LUA_TABLIBNAME, luaopen_table },
        { LUA_STRLIBNAME, luaopen_string }, { LUA_MATHLIBNAME, luaopen_math },
        { LUA_UTF8LIBNAME, luaopen_utf8 }, { NULL, NULL },
    };
    for (const luaL_Reg *l = libs; l->func; l++) {
        luaL_requiref(L, l->name, l->func, 1);
        lua_pop(L, 1);
    }
    /* No file access, no bytecode: dofile, loadfile, load (which accepts
     * binary chunks) and string.dump go. */
    static const char *const drop[] = { "dofile", "loadfile", "load", "require", NULL };
    for (int i = 0; drop[i]; i++) {
        lua_pushnil(L);
        lua_setglobal(L, drop[i]);
    }
    lua_getglobal(L, "string");
    lua_pushnil(L);
    lua_setfield(L, -2, "dump");
    lua_pop(L, 1);
    lua_pushcfunction(L, l_pcall);
    lua_setglobal(L, "pcall");
    lua_pushcfunction(L, l_xpcall);
    lua_setglobal(L, "xpcall");
    lua_getglobal(L, "setmetatable");
    lua_pushcclosure(L, l_setmetatable, 1);
    lua_setglobal(L, "setmetatable");
    sandbox_bound_stdlib(L);
    lua_getglobal(L, "math");
    lua_pushcfunction(L, l_random);
    lua_setfield(L, -2, "random");
    lua_pushcfunction(L, l_randomseed);
    lua_setfield(L, -2, "randomseed");
    lua_pop(L, 1);
    if (print_to_stderr) {      /* the trace owns stdout */
        lua_pushcfunction(L, l_print_stderr);
        lua_setglobal(L, "print");
    }
}

/* ----------------------------------------------------- argument helpers */



double check_ms(lua_State *L, int arg)
{
    double v = luaL_checknumber(L, arg);
    if (!(v >= 0 && v <= MAX_MS))
        luaL_argerror(L, arg, lua_pushfstring(L, "a time in ms from 0 to 1e12 expected, got %f", v));
    return v;
}

int check_node_arg(lua_State *L, int arg)
{
    struct sim *s = S(L);
    if (!s->alg)
        luaL_error(L, "no cluster yet: call sim.cluster{} first");
    lua_Integer id = luaL_checkinteger(L, arg);
    if (id < 1 || id > s->nnodes || !s->nodes[id]->member)
        luaL_argerror(L, arg, lua_pushfstring(L, "node %I does not exist (nodes are 1..%d)", (LUAI_UACINT)id,
                                              s->nnodes));
    return (int)id;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Collect the string keys of the table at idx, sorted; a non-string key is
 * an error naming the function. The array lives in a userdata pushed on the
 * stack (so an error raised by the caller leaks nothing); its entries point
 * into Lua strings kept alive by the table. The caller pops it. */
const char **sorted_keys(lua_State *L, int idx, const char *fname, int *n)
{
    idx = lua_absindex(L, idx);
    int len = 0;
    lua_pushnil(L);
    while (lua_next(L, idx)) {
        lua_pop(L, 1);
        if (lua_type(L, -1) != LUA_TSTRING)
            luaL_error(L, "%s: option names must be strings (got a %s key)", fname, luaL_typename(L, -1));
        len++;
    }
    const char **keys = lua_newuserdatauv(L, sizeof *keys * (size_t)(len ? len : 1), 0);
    int i = 0;
    lua_pushnil(L);
    while (lua_next(L, idx)) {
        lua_pop(L, 1);
        keys[i++] = lua_tostring(L, -1);
    }
    qsort(keys, (size_t)len, sizeof *keys, cmp_str);
    *n = len;
    return keys;
}

/* Every key of the options table at idx must be in known. */
void check_options(lua_State *L, int idx, const char *fname, const char *const *known)
{
    int n;
    const char **keys = sorted_keys(L, idx, fname, &n);
    for (int i = 0; i < n; i++) {
        int ok = 0;
        for (int k = 0; known[k]; k++)
            if (strcmp(keys[i], known[k]) == 0)
                ok = 1;
        if (!ok) {
            luaL_Buffer b;
            luaL_buffinit(L, &b);
            for (int k = 0; known[k]; k++) {
                if (k)
                    luaL_addstring(&b, ", ");
                luaL_addstring(&b, known[k]);
            }
            luaL_pushresult(&b);
            luaL_error(L, "%s: unknown option '%s' (known: %s)", fname, keys[i], lua_tostring(L, -1));
        }
    }
    lua_pop(L, 1);    /* the keys */
}

/* Arguments are read with raw access everywhere in this file: a metamethod
 * on an options table must not run user code (which could call back into
 * the engine or free what is being read) in the middle of a sim call. */
int rawfield(lua_State *L, int idx, const char *name)
{
    idx = lua_absindex(L, idx);
    lua_pushstring(L, name);
    return lua_rawget(L, idx);
}

int opt_field(lua_State *L, int idx, const char *name)
{
    rawfield(L, idx, name);
    if (lua_isnil(L, -1)) {
        lua_pop(L, 1);
        return 0;
    }
    return 1;
}

double opt_number(lua_State *L, int idx, const char *fname, const char *name, double def, double lo, double hi)
{
    if (!opt_field(L, idx, name))
        return def;
    if (!lua_isnumber(L, -1))
        luaL_error(L, "%s: option '%s' must be a number, got %s", fname, name, luaL_typename(L, -1));
    double v = lua_tonumber(L, -1);
    lua_pop(L, 1);
    if (!(v >= lo && v <= hi))
        luaL_error(L, "%s: option '%s' = %f is out of range [%f, %f]", fname, name, v, lo, hi);
    return v;
}

int opt_bool(lua_State *L, int idx, const char *fname, const char *name, int def)
{
    if (!opt_field(L, idx, name))
        return def;
    if (!lua_isboolean(L, -1))
        luaL_error(L, "%s: option '%s' must be true or false, got %s", fname, name, luaL_typename(L, -1));
    int v = lua_toboolean(L, -1);
    lua_pop(L, 1);
    return v;
}

/* ------------------------------------------------------- distributions */

#define DIST_MT "sim.dist"

static struct dist *push_dist(lua_State *L, enum dist_kind k, double a, double b)
{
    struct dist *d = lua_newuserdatauv(L, sizeof *d, 0);
    d->kind = k;
    d->a = a;
    d->b = b;
    luaL_setmetatable(L, DIST_MT);
    return d;
}

static int l_const(lua_State *L) { push_dist(L, DIST_CONST, check_ms(L, 1), 0); return 1; }

static int l_uniform(lua_State *L)
{
    double a = check_ms(L, 1), b = check_ms(L, 2);
    luaL_argcheck(L, b >= a, 2, "max must be >= min");
    push_dist(L, DIST_UNIFORM, a, b);
    return 1;
}

/* loguniform(min_ms, max_ms): every order of magnitude between equally likely,
 * so 1 ms and 2 s restarts both happen. */
static int l_loguniform(lua_State *L)
{
    double a = check_ms(L, 1), b = check_ms(L, 2);
    luaL_argcheck(L, a > 0, 1, "min must be > 0");
    luaL_argcheck(L, b >= a, 2, "max must be >= min");
    push_dist(L, DIST_LOGUNIFORM, a, b);
    return 1;
}

static int l_normal(lua_State *L)
{
    double m = check_ms(L, 1), sd = check_ms(L, 2);
    push_dist(L, DIST_NORMAL, m, sd);
    return 1;
}

static int l_exponential(lua_State *L)
{
    double m = check_ms(L, 1);
    luaL_argcheck(L, m > 0, 1, "mean must be > 0");
    push_dist(L, DIST_EXPONENTIAL, m, 0);
    return 1;
}

/* lognormal(median_ms, sigma): the median is friendlier than mu = log(median). */
static int l_lognormal(lua_State *L)
{
    double med = check_ms(L, 1);
    double sigma = luaL_checknumber(L, 2);
    luaL_argcheck(L, med > 0, 1, "median must be > 0");
    luaL_argcheck(L, sigma >= 0 && sigma < 20, 2, "sigma must be in [0, 20)");
    push_dist(L, DIST_LOGNORMAL, det_log(med), sigma);
    return 1;
}

static int l_pareto(lua_State *L)
{
    double scale = check_ms(L, 1);
    double shape = luaL_checknumber(L, 2);
    luaL_argcheck(L, scale > 0, 1, "scale must be > 0");
    luaL_argcheck(L, shape > 0, 2, "shape must be > 0");
    push_dist(L, DIST_PARETO, scale, shape);
    return 1;
}

static int dist_tostring(lua_State *L)
{
    struct dist *d = luaL_checkudata(L, 1, DIST_MT);
    if (d->kind == DIST_CONST || d->kind == DIST_EXPONENTIAL)
        lua_pushfstring(L, "sim.%s(%f)", dist_name(d->kind), d->a);
    else if (d->kind == DIST_LOGNORMAL)
        lua_pushfstring(L, "sim.lognormal(%f, %f)", det_exp(d->a), d->b);
    else
        lua_pushfstring(L, "sim.%s(%f, %f)", dist_name(d->kind), d->a, d->b);
    return 1;
}

static int dist_sample_l(lua_State *L)
{
    struct dist *d = luaL_checkudata(L, 1, DIST_MT);
    lua_pushnumber(L, sim_ns_to_ms(dist_sample(d, &ctx_of(L)->script_rng)));
    return 1;
}

/* A distribution argument (`what` names it in errors: "latency", "disk"). */
static struct dist get_dist(lua_State *L, int idx, const char *fname, const char *what)
{
    /* a number means a constant */
    if (lua_isnumber(L, idx)) {
        double v = lua_tonumber(L, idx);
        if (!(v >= 0 && v <= MAX_MS))
            luaL_error(L, "%s: %s must be from 0 to 1e12 ms", fname, what);
        struct dist d = { DIST_CONST, v, 0 };
        return d;
    }
    struct dist *d = luaL_testudata(L, idx, DIST_MT);
    if (!d)
        luaL_error(L, "%s: %s must be a distribution (sim.uniform(5, 15), ...) or a number of ms, got %s",
                   fname, what, luaL_typename(L, idx));
    return *d;
}

static struct dist get_latency(lua_State *L, int idx, const char *fname)
{
    return get_dist(L, idx, fname, "latency");
}

/* ------------------------------------------------------------ network */

static const char *const link_opts[] = { "latency", "loss", "duplicate", "fifo", NULL };

static void read_link(lua_State *L, int idx, const char *fname, struct link_override *o)
{
    luaL_checktype(L, idx, LUA_TTABLE);
    check_options(L, idx, fname, link_opts);
    memset(o, 0, sizeof *o);
    if (opt_field(L, idx, "latency")) {
        o->l.latency = get_latency(L, -1, fname);
        o->mask |= LINK_LATENCY;
        lua_pop(L, 1);
    }
    if (opt_field(L, idx, "loss")) {
        lua_pop(L, 1);
        o->l.loss = opt_number(L, idx, fname, "loss", 0, 0, 1);
        o->mask |= LINK_LOSS;
    }
    if (opt_field(L, idx, "duplicate")) {
        lua_pop(L, 1);
        o->l.duplicate = opt_number(L, idx, fname, "duplicate", 0, 0, 1);
        o->mask |= LINK_DUPLICATE;
    }
    if (opt_field(L, idx, "fifo")) {
        lua_pop(L, 1);
        o->l.fifo = opt_bool(L, idx, fname, "fifo", 0);
        o->mask |= LINK_FIFO;
    }
}

static int l_network(lua_State *L)
{
    struct sim *s = S(L);
    struct link_override o;
    read_link(L, 1, "sim.network", &o);
    if (o.mask & LINK_LATENCY) s->net.defaults.latency = o.l.latency;
    if (o.mask & LINK_LOSS) s->net.defaults.loss = o.l.loss;
    if (o.mask & LINK_DUPLICATE) s->net.defaults.duplicate = o.l.duplicate;
    if (o.mask & LINK_FIFO) s->net.defaults.fifo = o.l.fifo;
    return 0;
}

/* An endpoint argument: a node number, or a client handle. */

static int check_endpoint(lua_State *L, int arg)
{
    int *cid = luaL_testudata(L, arg, CLIENT_MT);
    if (cid)
        return -*cid;
    int *nid = luaL_testudata(L, arg, NODE_MT);
    if (nid)
        return *nid;
    return check_node_arg(L, arg);
}

static int l_link(lua_State *L)
{
    int a = check_endpoint(L, 1), b = check_endpoint(L, 2);
    struct link_override o;
    read_link(L, 3, "sim.link", &o);
    net_set_link(&S(L)->net, a, b, &o);
    return 0;
}

static int l_partition(lua_State *L)
{
    struct sim *s = S(L);
    int ng = lua_gettop(L);
    if (!s->alg)
        return luaL_error(L, "no cluster yet: call sim.cluster{} first");
    if (ng < 1)
        return luaL_error(L, "sim.partition needs at least one group, e.g. sim.partition({1, 2}, {3, 4, 5})");
    luaL_checkstack(L, ng + 8, "too many partition groups");
    /* Scratch space as userdata on the stack, so a Lua error part way
     * (a group table whose __index raises) leaks nothing. */
    int **groups = lua_newuserdatauv(L, (size_t)ng * sizeof *groups, 0);
    int *counts = lua_newuserdatauv(L, (size_t)ng * sizeof *counts, 0);
    char *seen = lua_newuserdatauv(L, (size_t)s->nnodes + 1, 0);
    memset(counts, 0, (size_t)ng * sizeof *counts);
    memset(seen, 0, (size_t)s->nnodes + 1);
    const char *err = NULL;
    int bad_arg = 0;
    for (int g = 0; g < ng && !err; g++) {
        if (!lua_istable(L, g + 1)) {
            err = lua_pushfstring(L, "table of node numbers expected, got %s", luaL_typename(L, g + 1));
            bad_arg = g + 1;
            break;
        }
        /* A group holds distinct nodes, so no more than the cluster has:
         * a longer one is an error before anything is allocated for it. */
        lua_Unsigned len = lua_rawlen(L, g + 1);
        if (len > (lua_Unsigned)s->nnodes) {
            err = lua_pushfstring(L, "a group of %I entries, but the cluster has %d nodes", (LUAI_UACINT)len,
                                  s->nnodes);
            bad_arg = g + 1;
            break;
        }
        groups[g] = lua_newuserdatauv(L, (size_t)(len > 0 ? len : 1) * sizeof **groups, 0);  /* stays on the stack */
        for (int i = 1; i <= (int)len; i++) {
            lua_rawgeti(L, g + 1, i);
            int isnum = 0;
            lua_Integer id = 0;
            const int *handle = luaL_testudata(L, -1, NODE_MT);
            if (handle) {
                id = *handle;
                isnum = 1;
            } else if (lua_type(L, -1) == LUA_TNUMBER) {
                id = lua_tointegerx(L, -1, &isnum);
            }
            if (!isnum || id < 1 || id > s->nnodes || !s->nodes[id]->member) {
                err = isnum ? lua_pushfstring(L, "group entry %d: node %I does not exist (nodes are 1..%d)", i,
                                              (LUAI_UACINT)id, s->nnodes)
                            : lua_pushfstring(L, "group entry %d is a %s, not a node number or c:node(i) handle", i,
                                              luaL_typename(L, -1));
                lua_pop(L, 1);
                bad_arg = g + 1;
                break;
            }
            lua_pop(L, 1);
            if (seen[id]) {
                err = lua_pushfstring(L, "node %d appears in more than one group", (int)id);
                bad_arg = g + 1;
                break;
            }
            seen[id] = 1;
            groups[g][counts[g]++] = (int)id;
        }
    }
    if (!err)
        sim_partition(s, ng, (const int *const *)groups, counts);
    if (err)
        return luaL_argerror(L, bad_arg, err);
    return 0;
}

static int l_block(lua_State *L)
{
    int a = check_endpoint(L, 1), b = check_endpoint(L, 2);
    sim_block(S(L), a, b);
    return 0;
}

static int l_heal(lua_State *L)
{
    sim_heal(S(L));
    return 0;
}

/* ------------------------------------------------------------ cluster */

static int after_run(lua_State *L);

static void push_cluster(lua_State *L)
{
    lua_newuserdatauv(L, 1, 0);
    luaL_setmetatable(L, CLUSTER_MT);
}

static void read_config(lua_State *L, int idx, struct config *cfg)
{
    int n;
    idx = lua_absindex(L, idx);
    const char **keys = sorted_keys(L, idx, "sim.cluster config", &n);
    for (int i = 0; i < n; i++) {
        rawfield(L, idx, keys[i]);
        struct config_entry *e = config_add(cfg, keys[i]);
        switch (lua_type(L, -1)) {
        case LUA_TNUMBER:
            e->type = CONFIG_NUM;
            e->num = lua_tonumber(L, -1);
            break;
        case LUA_TBOOLEAN:
            e->type = CONFIG_BOOL;
            e->num = lua_toboolean(L, -1);
            break;
        case LUA_TSTRING:
            e->type = CONFIG_STR;
            e->str = strdup(lua_tostring(L, -1));
            break;
        case LUA_TTABLE: {
            /* {min, max} is a range; any other length a list ({1, 1, 0.5}) */
            lua_Unsigned len = lua_rawlen(L, -1);
            if (len < 1 || len > 1000000)
                luaL_error(L, "sim.cluster: config option '%s' must be a number, string, boolean, {min, max}, "
                              "a list of numbers or a distribution", keys[i]);
            e->type = len == 2 ? CONFIG_RANGE : CONFIG_LIST;
            e->nlist = (int)len;
            e->list = malloc(len * sizeof *e->list);
            if (!e->list)
                luaL_error(L, "out of memory");
            for (lua_Unsigned k = 1; k <= len; k++) {
                if (lua_rawgeti(L, -1, (lua_Integer)k) != LUA_TNUMBER)
                    luaL_error(L, "sim.cluster: config option '%s': entry %d is a %s, not a number", keys[i], (int)k,
                               luaL_typename(L, -1));
                e->list[k - 1] = lua_tonumber(L, -1);
                lua_pop(L, 1);
            }
            if (len == 2) {
                e->range[0] = e->list[0];
                e->range[1] = e->list[1];
            }
            break;
        }
        case LUA_TUSERDATA: {
            const struct dist *d = luaL_testudata(L, -1, DIST_MT);
            if (!d)
                luaL_error(L, "sim.cluster: config option '%s' has an unusable userdata value", keys[i]);
            e->type = CONFIG_DIST;
            e->dist = *d;
            break;
        }
        default:
            luaL_error(L, "sim.cluster: config option '%s' has an unusable %s value", keys[i], luaL_typename(L, -1));
        }
        lua_pop(L, 1);
    }
    lua_pop(L, 1);    /* the keys */
}


static int l_cluster(lua_State *L)
{
    static const char *const opts[] = { "algorithm", "nodes", "config", "lose_unsynced", "disk", NULL };
    struct lua_ctx *cx = ctx_of(L);
    struct sim *s = cx->sim;
    if (cx->opts->help)
        return stop_script(L, SK_HELP, NULL);
    check_params_used(L);
    luaL_checktype(L, 1, LUA_TTABLE);
    check_options(L, 1, "sim.cluster", opts);
    if (s->alg)
        return luaL_error(L, "sim.cluster: a scenario has one cluster, and it exists already");
    rawfield(L, 1, "algorithm");
    const char *name = lua_type(L, -1) == LUA_TSTRING ? lua_tostring(L, -1) : NULL;
    int cfg_at = opt_field(L, 1, "config") ? lua_gettop(L) : 0;
    const struct algorithm *alg = lua_alg_check(L, cfg_at ? -2 : -1, cfg_at);   /* sim.algorithm{...} */
    int lua_cfg = alg != NULL;
    if (cfg_at)
        lua_pop(L, 1);
    if (!name && !alg)
        return luaL_error(L, "sim.cluster: 'algorithm' is required (one of: %s, or a sim.algorithm{...})",
                          algorithm_names());
    if (!alg)
        alg = algorithm_find(name);
    if (!alg)
        return luaL_error(L, "sim.cluster: unknown algorithm '%s' (known: %s)", name, algorithm_names());
    int nodes = (int)opt_number(L, 1, "sim.cluster", "nodes", 3, 1, SIM_MAX_NODES);
    s->lose_unsynced = opt_bool(L, 1, "sim.cluster", "lose_unsynced", 0);
    if (opt_field(L, 1, "disk")) {
        /* Durable writes take a drawn time (the algorithm continues from on_sync). */
        struct dist d = get_dist(L, -1, "sim.cluster", "disk");
        lua_pop(L, 1);
        struct error derr;
        sim_disk(s, 0, &d, &derr);
    }
    struct config *cfg = lua_newuserdatauv(L, sizeof *cfg, 0);   /* freed by its __gc if reading fails */
    config_init(cfg);
    luaL_setmetatable(L, CONFIG_MT);
    if (!lua_cfg && opt_field(L, 1, "config")) {     /* a Lua algorithm has its config copied already */
        if (!lua_istable(L, -1))
            return luaL_error(L, "sim.cluster: 'config' must be a table");
        read_config(L, -1, cfg);
        lua_pop(L, 1);
    }
    /* --bug names a mistake of one algorithm: given to another it would
     * silently change nothing, and a sweep "without finding the bug" would
     * mean nothing. */
    for (int i = 0; i < s->nbugs; i++) {
        int known = 0;
        for (const struct bug_def *b = alg->bugs; b && b->name; b++)
            known |= strcmp(b->name, s->bugs[i]) == 0;
        if (known)
            continue;
        luaL_Buffer lb;
        luaL_buffinit(L, &lb);
        lua_pushfstring(L, "--bug %s: the scenario's algorithm %s has no such bug; its bugs: ", s->bugs[i], alg->name);
        luaL_addvalue(&lb);
        int nb = 0;
        for (const struct bug_def *b = alg->bugs; b && b->name; b++) {
            luaL_addstring(&lb, nb++ ? ", " : "");
            luaL_addstring(&lb, b->name);
        }
        if (!nb)
            luaL_addstring(&lb, "none");
        luaL_pushresult(&lb);
        return stop_script(L, SK_USAGE, lua_tostring(L, -1));
    }
    struct error err;
    int rc = sim_cluster(s, alg, nodes, cfg, &err);
    config_free(cfg);
    if (rc) {
        s->has_disk = 0;         /* the script may try again without one */
        return luaL_error(L, "sim.cluster: %s", err.msg);
    }
    sim_write_header(s);     /* now that it can name the algorithm and size */
    if (s->stop)             /* a Lua algorithm's start failed, or its first check */
        return after_run(L);
    push_cluster(L);
    return 1;
}

static int c_size(lua_State *L) { lua_pushinteger(L, S(L)->nnodes); return 1; }

static void push_node(lua_State *L, int id)
{
    int *p = lua_newuserdatauv(L, sizeof *p, 0);
    *p = id;
    luaL_setmetatable(L, NODE_MT);
}

static int c_node(lua_State *L) { push_node(L, check_node_arg(L, 2)); return 1; }

int fault_result(lua_State *L, int rc, const struct error *err, const char *fname)
{
    if (rc < 0)
        return luaL_error(L, "%s: %s", fname, err->msg);
    return 0;
}

/* Methods take (cluster, i); node handles take (node) — both reach here with the id. */
static int node_arg(lua_State *L, int *next)
{
    int *nid = luaL_testudata(L, 1, NODE_MT);
    if (nid) {
        struct sim *s = S(L);
        *next = 2;
        if (*nid < 1 || *nid > s->nnodes || !s->nodes[*nid]->member)
            luaL_error(L, "node %d is no longer in the cluster", *nid);
        return *nid;
    }
    luaL_checkudata(L, 1, CLUSTER_MT);
    *next = 3;
    return check_node_arg(L, 2);
}

static int c_crash(lua_State *L)
{
    int next, id = node_arg(L, &next);
    struct error err;
    return fault_result(L, sim_crash(S(L), id, &err), &err, "crash");
}

static int c_restart(lua_State *L)
{
    int next, id = node_arg(L, &next);
    struct error err;
    return fault_result(L, sim_restart(S(L), id, &err), &err, "restart");
}

static int c_pause(lua_State *L)
{
    int next, id = node_arg(L, &next);
    sim_time d = lua_isnoneornil(L, next) ? -1 : sim_ms_to_ns(check_ms(L, next));
    struct error err;
    return fault_result(L, sim_pause(S(L), id, d, &err), &err, "pause");
}

static int c_resume(lua_State *L)
{
    int next, id = node_arg(L, &next);
    struct error err;
    return fault_result(L, sim_resume(S(L), id, &err), &err, "resume");
}

const char *const clock_opts[] = { "drift_ppm", "offset", "step", NULL };

int64_t check_ppm(lua_State *L, int idx, const char *fname)
{
    double ppm = opt_number(L, idx, fname, "drift_ppm", 0, -999000, 1000000);
    return (int64_t)llround(ppm * 1000.0);
}

/* The `step` option of the clock table at idx, in ns. Steps add up, so the
 * bound is on the clock's resulting distance from true time (MAX_MS either
 * way), which keeps every local time far inside int64 nanoseconds. */
sim_time check_step(lua_State *L, int idx, sim_time offset_now, const char *who, int id)
{
    double step = opt_number(L, idx, "clock", "step", 0, -MAX_MS, MAX_MS);
    double off = sim_ns_to_ms(offset_now) + step;
    if (!(off >= -MAX_MS && off <= MAX_MS))
        luaL_error(L, "clock: a step of %f ms would put %s %d's clock %f ms off true time (at most 1e12 either way)",
                   step, who, id, off);
    return sim_ms_to_ns(step);
}

static int c_clock(lua_State *L)
{
    int next, id = node_arg(L, &next);
    struct sim *s = S(L);
    luaL_checktype(L, next, LUA_TTABLE);
    check_options(L, next, "clock", clock_opts);
    /* A clock may be off by up to MAX_MS either way: local times stay far
     * inside int64 nanoseconds however many steps add up. */
    if (opt_field(L, next, "offset")) {
        lua_pop(L, 1);
        sim_clock_offset(s, id, sim_ms_to_ns(opt_number(L, next, "clock", "offset", 0, -MAX_MS, MAX_MS)));
    }
    if (opt_field(L, next, "step")) {
        lua_pop(L, 1);
        sim_clock_step(s, id, check_step(L, next, clock_offset(&s->nodes[id]->clock, s->now), "node", id));
    }
    if (opt_field(L, next, "drift_ppm")) {
        lua_pop(L, 1);
        sim_clock_drift(s, id, check_ppm(L, next, "clock"));
    }
    return 0;
}

/* Store the value on top of the stack as field `name` of the table below
 * it; "name[i]" (i >= 1) stores it at index i of the subtable `name`,
 * created on first use, so an inspector can hand out a list (per-server
 * figures) through the same put calls. */
static void set_named(lua_State *L, const char *name)
{
    const char *br = strchr(name, '[');
    char *end;
    long i = br ? strtol(br + 1, &end, 10) : 0;
    if (!br || i < 1 || *end != ']' || br == name || (size_t)(br - name) >= 64) {
        lua_setfield(L, -2, name);
        return;
    }
    char base[64];
    memcpy(base, name, (size_t)(br - name));
    base[br - name] = 0;
    if (lua_getfield(L, -2, base) != LUA_TTABLE) {
        lua_pop(L, 1);
        lua_newtable(L);
        lua_pushvalue(L, -1);
        lua_setfield(L, -4, base);
    }
    lua_rotate(L, -2, 1);
    lua_rawseti(L, -2, i);
    lua_pop(L, 1);
}

static void put_int_l(void *ctx, const char *name, int64_t v)
{
    lua_State *L = ctx;
    lua_pushinteger(L, (lua_Integer)v);
    set_named(L, name);
}
static void put_num_l(void *ctx, const char *name, double v)
{
    lua_State *L = ctx;
    lua_pushnumber(L, v);
    set_named(L, name);
}
static void put_str_l(void *ctx, const char *name, const char *v)
{
    lua_State *L = ctx;
    lua_pushstring(L, v);
    lua_setfield(L, -2, name);
}
static void put_bool_l(void *ctx, const char *name, int v)
{
    lua_State *L = ctx;
    lua_pushboolean(L, v);
    lua_setfield(L, -2, name);
}

static struct inspector lua_inspector(lua_State *L)
{
    struct inspector in = { L, put_int_l, put_num_l, put_str_l, put_bool_l };
    return in;
}

static int c_state(lua_State *L)
{
    int next, id = node_arg(L, &next);
    lua_newtable(L);
    struct inspector in = lua_inspector(L);
    sim_inspect(S(L), id, &in);
    return 1;
}

static int c_up(lua_State *L)
{
    int next, id = node_arg(L, &next);
    struct node *n = S(L)->nodes[id];
    lua_pushboolean(L, n->up && !n->paused);
    return 1;
}

static int c_leader(lua_State *L)
{
    struct sim *s = S(L);
    int id = s->alg && s->alg->leader ? s->alg->leader(&s->cluster) : 0;
    if (id > 0)
        lua_pushinteger(L, id);
    else
        lua_pushnil(L);
    return 1;
}

static int c_add_node(lua_State *L)
{
    struct error err;
    int id = sim_add_node(S(L), &err);
    if (id < 0)
        return luaL_error(L, "add_node: %s", err.msg);
    lua_pushinteger(L, id);
    return 1;
}

static int c_remove_node(lua_State *L)
{
    struct error err;
    int id = check_node_arg(L, 2);
    return fault_result(L, sim_remove_node(S(L), id, &err), &err, "remove_node");
}

/* c:disk(i, dist): node i's syncs take a drawn time; c:disk(i, nil): instant again. */
static int c_disk(lua_State *L)
{
    struct error err;
    int id = check_node_arg(L, 2);
    struct dist d;
    int has = !lua_isnoneornil(L, 3);
    if (has)
        d = get_dist(L, 3, "disk", "disk");
    return fault_result(L, sim_disk(S(L), id, has ? &d : NULL, &err), &err, "disk");
}

static int c_transfer_leadership(lua_State *L)
{
    struct error err;
    int id = check_node_arg(L, 2);
    return fault_result(L, sim_transfer_leadership(S(L), id, &err), &err, "transfer_leadership");
}

static int c_tostring(lua_State *L)
{
    struct sim *s = S(L);
    lua_pushfstring(L, "cluster(%s, %d nodes)", s->alg ? s->alg->name : "?", s->nnodes);
    return 1;
}

static int n_id(lua_State *L)
{
    int *p = luaL_checkudata(L, 1, NODE_MT);
    lua_pushinteger(L, *p);
    return 1;
}

static int n_tostring(lua_State *L)
{
    int *p = luaL_checkudata(L, 1, NODE_MT);
    lua_pushfstring(L, "node(%d)", *p);
    return 1;
}

/* --------------------------------------------------------- scheduling */

static int schedule(lua_State *L, sim_time at, sim_time period, int fidx)
{
    luaL_checktype(L, fidx, LUA_TFUNCTION);
    lua_pushvalue(L, fidx);
    int ref = luaL_ref(L, LUA_REGISTRYINDEX);
    sim_schedule_action(S(L), at, ref, period);
    return 0;
}

static int l_at(lua_State *L)
{
    struct sim *s = S(L);
    sim_time at = sim_ms_to_ns(check_ms(L, 1));
    if (at < s->now)
        return luaL_argerror(L, 1, lua_pushfstring(L, "time %f ms is in the past (now is %f ms)",
                                                   sim_ns_to_ms(at), sim_ns_to_ms(s->now)));
    return schedule(L, at, 0, 2);
}

static int l_after(lua_State *L)
{
    return schedule(L, S(L)->now + sim_ms_to_ns(check_ms(L, 1)), 0, 2);
}

static int l_every(lua_State *L)
{
    double ms = check_ms(L, 1);
    sim_time p = sim_ms_to_ns(ms);
    luaL_argcheck(L, p > 0, 1, "period must be at least 1 ns (0.000001 ms)");
    return schedule(L, S(L)->now + p, p, 2);
}

static int action_hook(void *ctxp, struct sim *s, struct event *ev)
{
    struct lua_ctx *cx = ctxp;
    (void)s;
    lua_State *L = cx->L;
    lua_rawgeti(L, LUA_REGISTRYINDEX, (lua_Integer)ev->aux);
    if (call_protected(L, 0, 1, "a sim.at, sim.after or sim.every action") < 0)
        return -1;
    if (lua_isboolean(L, -1) && !lua_toboolean(L, -1))
        ev->aux2 = 0;          /* sim.every: returning false stops the repetition */
    lua_pop(L, 1);
    return 0;
}

static void release_hook(void *ctxp, struct event *ev)
{
    struct lua_ctx *cx = ctxp;
    luaL_unref(cx->L, LUA_REGISTRYINDEX, (int)ev->aux);
}

/* ------------------------------------------------------------- hooks */

static int wants_hook(void *ctxp, const char *type)
{
    struct lua_ctx *cx = ctxp;
    if (cx->hook_all)
        return 1;
    for (int i = 0; i < cx->nhook_types; i++)
        if (strcmp(cx->hook_types[i], type) == 0)
            return 1;
    return 0;
}

static void push_json(lua_State *L, const cJSON *j)
{
    if (cJSON_IsArray(j) || cJSON_IsObject(j)) {
        lua_newtable(L);
        int i = 1;
        for (const cJSON *c = j->child; c; c = c->next) {
            push_json(L, c);
            if (cJSON_IsArray(j))
                lua_seti(L, -2, i++);
            else
                lua_setfield(L, -2, c->string);
        }
    } else if (cJSON_IsString(j)) {
        lua_pushstring(L, j->valuestring);
    } else if (cJSON_IsNumber(j)) {
        if (j->valuedouble == floor(j->valuedouble) && fabs(j->valuedouble) < 9e15)
            lua_pushinteger(L, (lua_Integer)j->valuedouble);
        else
            lua_pushnumber(L, j->valuedouble);
    } else if (cJSON_IsBool(j)) {
        lua_pushboolean(L, cJSON_IsTrue(j));
    } else {
        lua_pushnil(L);
    }
}

/* The record as a table: the trace's fields, but t in ms (Lua's unit). */
static void push_record(lua_State *L, const struct record *r)
{
    lua_newtable(L);
    lua_pushnumber(L, sim_ns_to_ms(r->t));
    lua_setfield(L, -2, "t");
    lua_pushstring(L, r->type);
    lua_setfield(L, -2, "type");
    int depth = 0;
    for (int i = 0; i < r->nfields; i++) {
        const struct field *f = &r->f[i];
        switch (f->kind) {
        case FIELD_INT: lua_pushinteger(L, (lua_Integer)f->v.i); break;
        case FIELD_NUM: lua_pushnumber(L, f->v.d); break;
        case FIELD_STR: lua_pushstring(L, f->v.s); break;
        case FIELD_BOOL: lua_pushboolean(L, f->v.b); break;
        case FIELD_NULL: continue;     /* nil: the key is simply absent */
        case FIELD_RAW: {
            cJSON *j = cJSON_Parse(f->v.s);
            push_json(L, j);
            cJSON_Delete(j);
            break;
        }
        case FIELD_OBJ_BEGIN:
            lua_newtable(L);
            lua_pushvalue(L, -1);
            lua_setfield(L, -3, f->name);
            depth++;
            continue;
        case FIELD_OBJ_END:
            lua_pop(L, 1);
            depth--;
            continue;
        }
        lua_setfield(L, -2, f->name);
    }
    assert(depth == 0);
}

#define MAX_HOOK_RECORDS 100000

static void flush_hooks(void *ctxp, struct sim *s)
{
    struct lua_ctx *cx = ctxp;
    lua_State *L = cx->L;
    if (cx->in_flush)
        return;
    cx->in_flush = 1;
    /* Hooks may emit more records (a crash in a hook): index, not pointer. */
    for (size_t i = 0; i < s->pending.len; i++) {
        if (i == MAX_HOOK_RECORDS && !s->stop) {
            /* hooks that keep making records for each other (a crash hook
             * that restarts and crashes again): no event ever ends */
            char msg[160];
            snprintf(msg, sizeof msg, "hooks made more than %d records within one event (do two hooks "
                     "trigger each other?)", MAX_HOOK_RECORDS);
            set_msg(cx, msg);
            cx->stop = SK_ACTION_ERROR;
            s->stop = STOP_ERROR;
        }
        struct pending_hook ph;
        record_copy(&ph.r, &s->pending.v[i].r);
        ph.ref = s->pending.v[i].ref;
        if (ph.ref >= 0) {
            lua_rawgeti(L, LUA_REGISTRYINDEX, (lua_Integer)ph.ref);
            luaL_unref(L, LUA_REGISTRYINDEX, (int)ph.ref);
            push_record(L, &ph.r);
            if (s->stop) {
                lua_pop(L, 2);     /* the run is over: the callback is not called */
            } else if (call_protected(L, 1, 0, "a submit callback") < 0) {
                s->stop = STOP_ERROR;
            }
            continue;
        }
        if (s->stop)
            continue;
        for (int pass = 0; pass < 2 && !s->stop; pass++) {
            lua_rawgeti(L, LUA_REGISTRYINDEX, cx->hooks_ref);
            lua_getfield(L, -1, pass == 0 ? ph.r.type : "*");
            lua_remove(L, -2);
            if (!lua_istable(L, -1)) {
                lua_pop(L, 1);
                continue;
            }
            int n = (int)luaL_len(L, -1);
            for (int k = 1; k <= n && !s->stop; k++) {
                lua_geti(L, -1, k);
                push_record(L, &ph.r);
                if (call_protected(L, 1, 0, "a sim.on hook") < 0)
                    s->stop = STOP_ERROR;
            }
            lua_pop(L, 1);
        }
    }
    s->pending.len = 0;
    cx->in_flush = 0;
}

static int l_on(lua_State *L)
{
    struct lua_ctx *cx = ctx_of(L);
    const char *type = luaL_checkstring(L, 1);
    luaL_checktype(L, 2, LUA_TFUNCTION);
    lua_rawgeti(L, LUA_REGISTRYINDEX, cx->hooks_ref);
    if (lua_getfield(L, -1, type) != LUA_TTABLE) {
        lua_pop(L, 1);
        lua_newtable(L);
        lua_pushvalue(L, -1);
        lua_setfield(L, -3, type);
        if (strcmp(type, "*") == 0) {
            cx->hook_all = 1;
        } else {
            if (cx->nhook_types >= (int)(sizeof cx->hook_types / sizeof cx->hook_types[0]))
                return luaL_error(L, "sim.on: too many record types hooked");
            cx->hook_types[cx->nhook_types++] = strdup(type);
        }
    }
    lua_pushvalue(L, 2);
    lua_seti(L, -2, luaL_len(L, -2) + 1);
    lua_pop(L, 2);
    /* Hooks see messages-level records whatever the trace level. */
    struct sim *s = cx->sim;
    s->want_send = sim_wants(s, "send", TRACE_MESSAGES);
    s->want_recv = sim_wants(s, "recv", TRACE_MESSAGES);
    s->want_drop = sim_wants(s, "drop", TRACE_MESSAGES);
    return 0;
}

/* ---------------------------------------------------------------- run */

static int after_run(lua_State *L)
{
    struct lua_ctx *cx = ctx_of(L);
    struct sim *s = cx->sim;
    switch (s->stop) {
    case STOP_NONE: return 0;
    case STOP_VIOLATION: return stop_script(L, SK_VIOLATION, NULL);
    case STOP_ERROR:
        return stop_script(L, cx->stop == SK_NONE ? SK_ACTION_ERROR : cx->stop, NULL);
    case STOP_ASSERT: return stop_script(L, SK_ASSERT, NULL);
    case STOP_INTERRUPT:
        return stop_script(L, SK_INTERRUPT, NULL);
    case STOP_IOERR:
        return stop_script(L, SK_IOERR, NULL);
    case STOP_LIMIT: {
        char msg[160];
        snprintf(msg, sizeof msg, "the run reached its event limit (%" PRIu64 " events); raise it with --max-events N",
                 s->max_events);
        luaL_where(L, 1);
        lua_pushstring(L, msg);
        lua_concat(L, 2);
        set_msg(cx, lua_tostring(L, -1));
        return stop_script(L, SK_ACTION_ERROR, NULL);
    }
    }
    return 0;
}

/* Time advances from the main chunk only: a sim.run inside an action or a
 * hook would run the simulation past the time the outer sim.run asked for. */
static void main_chunk_only(lua_State *L, const char *fname)
{
    struct lua_ctx *cx = ctx_of(L);
    if (cx->entry)
        luaL_error(L, "%s may only be called from the scenario's main chunk, not from %s", fname, cx->entry);
}

static int l_run(lua_State *L)
{
    struct lua_ctx *cx = ctx_of(L);
    struct sim *s = cx->sim;
    main_chunk_only(L, "sim.run");
    if (cx->opts->help)
        return stop_script(L, SK_HELP, NULL);
    check_params_used(L);
    sim_time until = sim_ms_to_ns(check_ms(L, 1));
    if (until < s->now)
        return luaL_argerror(L, 1, lua_pushfstring(L, "time %f ms is in the past (now is %f ms); sim.run takes an absolute time",
                                                   sim_ns_to_ms(until), sim_ns_to_ms(s->now)));
    sim_write_header(s);
    if (s->pending.len)       /* records the script's own calls made since the last event */
        flush_hooks(cx, s);
    sim_run(s, until);
    return after_run(L);
}

static int l_run_until(lua_State *L)
{
    struct lua_ctx *cx = ctx_of(L);
    struct sim *s = cx->sim;
    main_chunk_only(L, "sim.run_until");
    if (cx->opts->help)
        return stop_script(L, SK_HELP, NULL);
    luaL_checktype(L, 1, LUA_TFUNCTION);
    sim_time until = s->now + sim_ms_to_ns(check_ms(L, 2));
    sim_write_header(s);
    for (;;) {
        lua_pushvalue(L, 1);
        if (call_protected(L, 0, 1, "a sim.run_until predicate") < 0) {
            s->stop = STOP_ERROR;
            return after_run(L);
        }
        int done = lua_toboolean(L, -1);
        lua_pop(L, 1);
        if (done) {
            lua_pushboolean(L, 1);
            return 1;
        }
        /* The predicate is evaluated after every event: exact, and the price
         * of a Lua call per event is the script's choice. */
        if (!sim_step(s, until)) {
            if (!s->stop)
                s->now = until > s->now ? until : s->now;
            after_run(L);
            lua_pushboolean(L, 0);
            return 1;
        }
        after_run(L);
    }
}

static int l_now(lua_State *L) { lua_pushnumber(L, sim_ns_to_ms(S(L)->now)); return 1; }

static int l_seed(lua_State *L)
{
    char buf[24];
    snprintf(buf, sizeof buf, "%" PRIu64, S(L)->seed);
    lua_pushstring(L, buf);
    return 1;
}

static int l_assert(lua_State *L)
{
    struct sim *s = S(L);
    luaL_checkany(L, 1);
    const char *msg = luaL_optstring(L, 2, "assertion failed");
    int ok = lua_toboolean(L, 1);
    if (sim_wants(s, "assert", TRACE_STATE)) {
        struct record r;
        record_init(&r, "assert", s->now);
        record_str(&r, "msg", msg);
        record_bool(&r, "ok", ok);
        sim_emit(s, &r, TRACE_STATE);
    }
    if (ok)
        return 0;
    lua_Debug ar;
    char where[256] = "";
    if (lua_getstack(L, 1, &ar) && lua_getinfo(L, "Sl", &ar) && ar.currentline > 0)
        snprintf(where, sizeof where, "%s:%d: ", ar.short_src, ar.currentline);
    char *full = malloc(strlen(where) + strlen(msg) + 1);
    if (!full)
        abort();
    strcpy(full, where);
    strcat(full, msg);
    s->stop = STOP_ASSERT;
    set_msg(ctx_of(L), full);
    free(full);
    return stop_script(L, SK_ASSERT, NULL);
}

static int l_log(lua_State *L)
{
    struct sim *s = S(L);
    int n = lua_gettop(L);     /* before luaL_buffinit, which may push a placeholder */
    luaL_Buffer b;
    luaL_buffinit(L, &b);
    for (int i = 1; i <= n; i++) {
        if (i > 1)
            luaL_addchar(&b, ' ');
        int t = lua_type(L, i);
        int by_ref = t == LUA_TTABLE || t == LUA_TFUNCTION || t == LUA_TUSERDATA || t == LUA_TTHREAD ||
                     t == LUA_TLIGHTUSERDATA;
        int has_tostring = by_ref && luaL_getmetafield(L, i, "__tostring") != LUA_TNIL;
        if (has_tostring)
            lua_pop(L, 1);
        if (by_ref && !has_tostring)
            /* "table: 0x55d4..." would put an address, different in every
             * process, into the trace: name the type only */
            lua_pushfstring(L, "<%s>", luaL_typename(L, i));
        else
            luaL_tolstring(L, i, NULL);
        luaL_addvalue(&b);
    }
    luaL_pushresult(&b);
    struct record r;
    record_init(&r, "log", s->now);
    const char *m = lua_tostring(L, -1);
    char buf[RECORD_STRBUF - 16];
    snprintf(buf, sizeof buf, "%s", m);
    record_str(&r, "msg", buf);
    sim_emit(s, &r, TRACE_STATE);
    return 0;
}

static void push_pct(lua_State *L, struct latency_log *l, const char *name, double p)
{
    double v = latency_percentile(l, p);
    if (isnan(v))
        return;
    lua_pushnumber(L, v);
    lua_setfield(L, -2, name);
}

/* What lock clients believed (sim/client_lock.c), once one held a lock. */
static void push_lock_figures(lua_State *L, struct sim *s)
{
    struct lock_figures f;
    if (!client_lock_figures(s, &f))
        return;
    lua_newtable(L);
    put_int_l(L, "held", (int64_t)f.held);
    put_int_l(L, "lost", (int64_t)f.lost);
    put_int_l(L, "abandoned", (int64_t)f.abandoned);
    put_int_l(L, "overlapping_belief", (int64_t)f.overlaps);
    lua_pushnumber(L, f.overlap_ms);
    lua_setfield(L, -2, "overlap_ms");
    lua_setfield(L, -2, "locks");
}

static int l_metrics(lua_State *L)
{
    struct sim *s = S(L);
    const struct metrics *m = &s->m;
    lua_newtable(L);
    lua_pushinteger(L, (lua_Integer)m->events);
    lua_setfield(L, -2, "events");
    lua_pushnumber(L, sim_ns_to_ms(s->now));
    lua_setfield(L, -2, "time_ms");
    lua_pushinteger(L, (lua_Integer)m->timers_fired);
    lua_setfield(L, -2, "timers");
    lua_pushinteger(L, (lua_Integer)m->checks);
    lua_setfield(L, -2, "checks");
    lua_newtable(L);
    put_int_l(L, "sent", (int64_t)m->sent);
    put_int_l(L, "delivered", (int64_t)m->delivered);
    put_int_l(L, "dropped", (int64_t)m->dropped);
    put_int_l(L, "duplicated", (int64_t)m->duplicated);
    lua_newtable(L);
    for (int r = DROP_LOSS; r <= DROP_REMOVED; r++)
        put_int_l(L, drop_reason_name((enum drop_reason)r), (int64_t)m->dropped_by[r]);
    lua_setfield(L, -2, "dropped_by");
    lua_setfield(L, -2, "messages");
    lua_newtable(L);
    put_int_l(L, "invoked", (int64_t)m->ops_invoked);
    put_int_l(L, "ok", (int64_t)m->ops_ok);
    put_int_l(L, "fail", (int64_t)m->ops_fail);
    put_int_l(L, "info", (int64_t)m->ops_info);
    put_int_l(L, "retries", (int64_t)m->ops_retries);
    put_int_l(L, "rejected", (int64_t)m->ops_rejected);
    lua_setfield(L, -2, "ops");
    lua_newtable(L);
    put_int_l(L, "count", (int64_t)m->latency.len);
    push_pct(L, &s->m.latency, "p50", 50);
    push_pct(L, &s->m.latency, "p90", 90);
    push_pct(L, &s->m.latency, "p99", 99);
    push_pct(L, &s->m.latency, "p999", 99.9);
    push_pct(L, &s->m.latency, "max", 100);
    lua_setfield(L, -2, "latency");
    put_int_l(L, "faults", nemesis_count(s));
    push_lock_figures(L, s);
    if (s->alg && s->alg->metrics) {
        lua_newtable(L);
        struct inspector in = lua_inspector(L);
        s->alg->metrics(&s->cluster, &in);
        lua_setfield(L, -2, s->alg->name);
    }
    return 1;
}

/* Sorted iteration for scripts: for k, v in sim.sorted(t) do ... end */
static int sorted_iter(lua_State *L)
{
    lua_Integer i = lua_tointeger(L, lua_upvalueindex(2)) + 1;
    lua_pushinteger(L, i);
    lua_replace(L, lua_upvalueindex(2));
    if (lua_geti(L, lua_upvalueindex(1), i) == LUA_TNIL)
        return 1;
    lua_pushvalue(L, -1);
    lua_rawget(L, lua_upvalueindex(3));
    return 2;
}

static int sort_lt(lua_State *L)
{
    int ta = lua_type(L, 1), tb = lua_type(L, 2);
    if (ta != tb)
        lua_pushboolean(L, ta < tb);    /* numbers before strings, stably */
    else
        lua_pushboolean(L, lua_compare(L, 1, 2, LUA_OPLT));
    return 1;
}

static int l_sorted(lua_State *L)
{
    luaL_checktype(L, 1, LUA_TTABLE);
    lua_newtable(L);
    int n = 0;
    lua_pushnil(L);
    while (lua_next(L, 1)) {
        lua_pop(L, 1);
        int t = lua_type(L, -1);
        if (t != LUA_TSTRING && t != LUA_TNUMBER)
            return luaL_error(L, "sim.sorted: keys must be strings or numbers");
        lua_pushvalue(L, -1);
        lua_seti(L, 2, ++n);
    }
    lua_getglobal(L, "table");
    lua_getfield(L, -1, "sort");
    lua_pushvalue(L, 2);
    lua_pushcfunction(L, sort_lt);
    lua_call(L, 2, 0);       /* table.sort with a C comparator cannot fail on these keys */
    lua_pop(L, 1);
    lua_pushvalue(L, 2);
    lua_pushinteger(L, 0);
    lua_pushvalue(L, 1);
    lua_pushcclosure(L, sorted_iter, 3);
    return 1;
}

/* ---------------------------------------------------------- module setup */

static int sim_index_error(lua_State *L)
{
    const char *k = lua_tostring(L, 2);
    return luaL_error(L, "sim.%s does not exist (see docs/lua-api.md for the sim module)", k ? k : "?");
}

/* Every sim function and method is called through this gate, which refuses
 * a call into the engine while another sim call is still in progress: a
 * __tostring run by sim.log, a metamethod of an argument, an error handler.
 * Arguments are read with raw access, so no user code should run there at
 * all; the gate holds the line for what remains. The real function is
 * called directly, not through lua_call, so its errors keep naming the
 * script's file:line. An error unwinding out of the call leaves in_api set;
 * call_protected and the sandbox's pcall restore it. */
static int api_gate(lua_State *L)
{
    struct lua_ctx *cx = ctx_of(L);
    const char *name = lua_tostring(L, lua_upvalueindex(2));
    if (cx->in_api)
        return luaL_error(L, "%s: called while %s is still running (from a metamethod, __tostring or error "
                             "handler); call it from the scenario itself", name, cx->in_api);
    if (cx->fatal)              /* a node callback failed under this call (c:restart in an action) */
        return raise_fatal(L);
    if (cx->node_code && !lua_alg_allowed(name, cx->node_code))
        return luaL_error(L, "%s: not available inside %s: %s", name, cx->entry ? cx->entry : "node code",
                          cx->node_code == 1 ? "node code sees only its own node (use the node object's methods)"
                                             : "check and leader only observe (use the cluster view they get)");
    lua_CFunction f = lua_tocfunction(L, lua_upvalueindex(1));
    cx->in_api = name;
    int n = f(L);
    cx->in_api = NULL;
    return n;
}

/* Set the functions of regs into the table on top, each behind api_gate;
 * PREFIX names them in messages ("sim." or ":"). */
void set_gated(lua_State *L, int table, const luaL_Reg *regs, const char *prefix)
{
    table = lua_absindex(L, table);
    for (; regs->name; regs++) {
        lua_pushcfunction(L, regs->func);
        lua_pushfstring(L, "%s%s", prefix, regs->name);
        lua_pushcclosure(L, api_gate, 2);
        lua_setfield(L, table, regs->name);
    }
}

void new_class(lua_State *L, const char *name, const char *prefix, const luaL_Reg *methods, lua_CFunction tostr)
{
    luaL_newmetatable(L, name);
    lua_newtable(L);
    set_gated(L, -1, methods, prefix);
    lua_setfield(L, -2, "__index");
    lua_pushcfunction(L, tostr);
    lua_setfield(L, -2, "__tostring");
    /* getmetatable(handle) gives this, not the metatable: a script cannot
     * replace a method or add a __tostring that runs inside a sim call. */
    lua_pushstring(L, name);
    lua_setfield(L, -2, "__metatable");
    lua_pop(L, 1);
}

static void open_sim(lua_State *L, struct lua_ctx *cx)
{
    luaL_newmetatable(L, SCRATCH_MT);
    lua_pushcfunction(L, scratch_gc);
    lua_setfield(L, -2, "__gc");
    lua_pop(L, 1);
    luaL_newmetatable(L, CONFIG_MT);
    lua_pushcfunction(L, config_gc);
    lua_setfield(L, -2, "__gc");
    lua_pop(L, 1);
    static const luaL_Reg dist_m[] = { { "sample", dist_sample_l }, { NULL, NULL } };
    new_class(L, DIST_MT, "dist:", dist_m, dist_tostring);
    static const luaL_Reg cluster_m[] = {
        { "size", c_size }, { "node", c_node }, { "crash", c_crash }, { "restart", c_restart },
        { "pause", c_pause }, { "resume", c_resume }, { "clock", c_clock }, { "state", c_state },
        { "leader", c_leader }, { "add_node", c_add_node }, { "remove_node", c_remove_node },
        { "transfer_leadership", c_transfer_leadership }, { "disk", c_disk },
        { "up", c_up }, { NULL, NULL },
    };
    new_class(L, CLUSTER_MT, "cluster:", cluster_m, c_tostring);
    static const luaL_Reg node_m[] = {
        { "id", n_id }, { "crash", c_crash }, { "restart", c_restart }, { "pause", c_pause },
        { "resume", c_resume }, { "clock", c_clock }, { "state", c_state }, { "up", c_up }, { NULL, NULL },
    };
    new_class(L, NODE_MT, "node:", node_m, n_tostring);
    new_class(L, CLIENT_MT, "client:", client_methods, cl_tostring);

    static const luaL_Reg fns[] = {
        { "cluster", l_cluster }, { "network", l_network }, { "link", l_link },
        { "const", l_const }, { "uniform", l_uniform }, { "normal", l_normal },
        { "exponential", l_exponential }, { "loguniform", l_loguniform }, { "lognormal", l_lognormal }, { "pareto", l_pareto },
        { "partition", l_partition }, { "block", l_block }, { "heal", l_heal },
        { "clients", l_clients }, { "client", l_client }, { "client_only", l_client_only }, { "nemesis", l_nemesis }, { "fault", l_fault },
        { "at", l_at }, { "after", l_after }, { "every", l_every }, { "on", l_on },
        { "run", l_run }, { "run_until", l_run_until }, { "now", l_now }, { "seed", l_seed },
        { "assert", l_assert }, { "metrics", l_metrics }, { "log", l_log }, { "sorted", l_sorted },
        { NULL, NULL },
    };
    lua_newtable(L);
    set_gated(L, -1, fns, "sim.");
    open_hash(L);
    open_alg(L);
    lua_createtable(L, cx->opts->nargs, 0);
    for (int i = 0; i < cx->opts->nargs; i++) {
        lua_pushstring(L, cx->opts->args[i]);
        lua_seti(L, -2, i + 1);
    }
    lua_setfield(L, -2, "args");
    lua_createtable(L, cx->opts->nbugs, 0);
    for (int i = 0; i < cx->opts->nbugs; i++) {
        lua_pushstring(L, cx->opts->bugs[i]);
        lua_seti(L, -2, i + 1);
    }
    lua_setfield(L, -2, "bugs");
    lua_newtable(L);
    lua_pushcfunction(L, sim_index_error);
    lua_setfield(L, -2, "__index");
    lua_setmetatable(L, -2);
    lua_setglobal(L, "sim");

    lua_newtable(L);
    cx->hooks_ref = luaL_ref(L, LUA_REGISTRYINDEX);

    /* Globals: reading an undefined one is an error; `params = {...}` is intercepted. */
    lua_pushglobaltable(L);
    lua_newtable(L);
    lua_pushcfunction(L, l_undefined_global);
    lua_setfield(L, -2, "__index");
    lua_pushcfunction(L, g_newindex);
    lua_setfield(L, -2, "__newindex");
    lua_setmetatable(L, -2);
    lua_pop(L, 1);
}

/* --------------------------------------------------------------- driver */

void run_opts_default(struct run_opts *o)
{
    memset(o, 0, sizeof *o);
    o->seed = 1;
    o->trace_level = TRACE_STATE;
    o->lua_budget = DEFAULT_LUA_BUDGET;
    o->lua_memory = DEFAULT_LUA_MEMORY;
    o->check_every = 1;
    o->nemesis_limit = -1;
    o->nemesis_max = -1;
    o->repro_prefix = "clustersim";
}

static int needs_quotes(const char *s)
{
    for (; *s; s++)
        if (!(isalnum((unsigned char)*s) || strchr("-_./=:,+@%", *s)))
            return 1;
    return 0;
}

static void print_word(FILE *f, const char *w)
{
    if (!needs_quotes(w) && *w) {
        fputs(w, f);
        return;
    }
    fputc('\'', f);
    for (; *w; w++) {
        if (*w == '\'')
            fputs("'\\''", f);
        else
            fputc(*w, f);
    }
    fputc('\'', f);
}

void print_repro(FILE *f, const struct run_opts *o)
{
    fprintf(f, "reproduce: %s run ", o->repro_prefix);
    print_word(f, o->scenario);
    fprintf(f, " --seed %" PRIu64, o->seed);
    for (int i = 0; i < o->nbugs; i++) {
        fputs(" --bug ", f);
        print_word(f, o->bugs[i]);
    }
    for (int i = 0; i < o->nparams; i++) {
        fputs(" -P ", f);
        print_word(f, o->params[i]);
    }
    if (o->check_every != 1)
        fprintf(f, " --check-every %" PRIu64, o->check_every);
    if (o->max_sim_events)
        fprintf(f, " --max-events %" PRIu64, o->max_sim_events);
    if (o->lua_memory != DEFAULT_LUA_MEMORY)
        fprintf(f, " --lua-memory %zu", o->lua_memory >> 20);
    if (o->lua_budget != DEFAULT_LUA_BUDGET)
        fprintf(f, " --lua-budget %" PRIu64, o->lua_budget);
    if (o->nemesis_limit >= 0)
        fprintf(f, " --nemesis-limit %d", o->nemesis_limit);
    if (o->nemesis_only && o->nnemesis_only == 0) {
        fputs(" --nemesis-limit 0", f);       /* no fault kept */
    } else if (o->nemesis_only) {
        fputs(" --nemesis-only ", f);
        for (int i = 0; i < o->nnemesis_only; i++)
            fprintf(f, "%s%d", i ? "," : "", o->nemesis_only[i]);
    }
    if (o->nnemesis_skip) {
        fputs(" --nemesis-skip ", f);
        for (int i = 0; i < o->nnemesis_skip; i++)
            fprintf(f, "%s%d", i ? "," : "", o->nemesis_skip[i]);
    }
    if (o->trace_path && strcmp(o->trace_path, "-") != 0) {
        fputs(" --trace ", f);
        print_word(f, o->trace_path);
        if (o->trace_level == TRACE_MESSAGES)
            fputs(" --trace-level messages", f);
    }
    if (o->nargs) {
        fputs(" --", f);
        for (int i = 0; i < o->nargs; i++) {
            fputc(' ', f);
            print_word(f, o->args[i]);
        }
    }
    fputc('\n', f);
}

int run_scenario(struct run_opts *o)
{
    FILE *probe = fopen(o->scenario, "r");
    if (!probe) {
        fprintf(stderr, "clustersim: cannot open scenario '%s': %s\n", o->scenario, strerror(errno));
        return EXIT_NOINPUT;
    }
    fclose(probe);

    struct lua_ctx cx;
    memset(&cx, 0, sizeof cx);
    cx.opts = o;
    cx.sim = sim_new(o->seed);
    struct sim *s = cx.sim;
    s->scenario = o->scenario;
    s->bugs = o->bugs;
    s->nbugs = o->nbugs;
    s->check_every = o->check_every ? o->check_every : 1;
    s->max_events = o->max_sim_events;
    s->nemesis_skip = o->nemesis_skip;
    s->nnemesis_skip = o->nnemesis_skip;
    s->nemesis_only = o->nemesis_only;
    s->nnemesis_only = o->nnemesis_only;
    s->nemesis_limit = o->nemesis_limit;
    s->nemesis_redraw = o->nemesis_redraw;
    s->nemesis_menu = o->nemesis_menu;
    s->nemesis_sparse = o->nemesis_sparse;
    s->nemesis_max = o->nemesis_max;
    rng_init(&cx.script_rng, o->seed, RNG_SCRIPT, 0);

    int to_stdout = o->trace_path && strcmp(o->trace_path, "-") == 0;
    if (o->trace_path && !o->help) {
        const char *inputs[] = { o->scenario };
        if (refuse_output_over_input("", o->trace_path, inputs, 1)) {
            sim_free(s);
            return EXIT_USAGE;
        }
        if (trace_open(&s->trace, o->trace_path) != 0) {
            int err = errno;
            sim_free(s);
            if (err == EINTR && sim_interrupted) {   /* Ctrl-C while a FIFO waited for its reader */
                fprintf(stderr, "clustersim: interrupted while opening the trace '%s'\n", o->trace_path);
                return EXIT_INTERRUPTED;
            }
            fprintf(stderr, "clustersim: cannot write trace '%s': %s\n", o->trace_path, strerror(err));
            return EXIT_IOERR;
        }
        s->trace_open = 1;
        s->trace_level = o->trace_level;
    } else if (o->trace_tap && !o->help) {
        trace_open_tap(&s->trace, o->trace_tap, o->trace_tap_ctx);
        s->trace_open = 1;
        s->trace_level = o->trace_level;
    }
    s->want_send = s->want_recv = s->want_drop = s->trace_open && s->trace_level >= TRACE_MESSAGES;

    lua_State *L = lua_newstate(l_alloc, &cx);
    if (!L) {
        fprintf(stderr, "clustersim: cannot create the Lua state\n");
        sim_free(s);
        return EXIT_INTERNAL;
    }
    cx.L = L;
    s->hooks.ctx = &cx;
    s->hooks.action = action_hook;
    s->hooks.wants = wants_hook;
    s->hooks.release = release_hook;
    s->hooks.flush = flush_hooks;
    lua_sethook(L, count_hook, LUA_MASKCOUNT, HOOK_EVERY);
    open_sandbox(L, to_stdout);
    open_sim(L, &cx);

    int exit_code = EXIT_OK;
    const char *status = "ok";
    int rc = luaL_loadfilex(L, o->scenario, "t");
    if (rc != LUA_OK) {
        const char *m = lua_tostring(L, -1);
        if (rc == LUA_ERRFILE)
            fprintf(stderr, "clustersim: %s\n", m);
        else if (strstr(m, "binary chunk"))     /* Lua's message names no file */
            fprintf(stderr, "clustersim: script error: %s: a precompiled (binary) chunk; scenarios must be Lua source "
                            "text\n", o->scenario);
        else                                    /* a syntax error: "file:line: what" */
            fprintf(stderr, "clustersim: script error: %s\n", m);
        lua_pop(L, 1);
        exit_code = rc == LUA_ERRFILE ? EXIT_NOINPUT : EXIT_SCRIPT;
        status = "error";
    } else {
        rc = call_protected(L, 0, 0, NULL);
        if (rc == 0 && s->pending.len && !s->stop) {
            flush_hooks(&cx, s);     /* records made after the last event still reach their hooks */
            if (s->stop == STOP_ERROR) {
                cx.stop = cx.stop == SK_NONE ? SK_ACTION_ERROR : cx.stop;
                rc = -1;
            }
        }
        /* A script that caught the stop with pcall still stopped: an
         * assertion or a violation is never swallowed into exit 0. */
        if (rc == 0 && cx.stop != SK_NONE && cx.stop != SK_HELP)
            rc = -1;
        if (rc == 0 && s->stop == STOP_VIOLATION) {
            cx.stop = SK_VIOLATION;
            rc = -1;
        }
        if (rc == 0 && !cx.params_declared && o->nparams && cx.stop == SK_NONE) {
            const char *p = o->params[0];
            fprintf(stderr, "clustersim: unknown parameter '%.*s': this scenario declares no params\n",
                    (int)(strchr(p, '=') - p), p);
            exit_code = EXIT_USAGE;
            status = "error";
        } else if (rc == 0 && o->help) {
            if (!cx.params_declared)
                printf("%s declares no parameters\n", o->scenario);
        } else if (rc != 0) {
            switch (cx.stop) {
            case SK_HELP:
                if (!cx.params_declared)
                    printf("%s declares no parameters\n", o->scenario);
                break;
            case SK_ASSERT:
                fprintf(stderr, "clustersim: assertion failed at t=%.3f ms: %s\n", sim_ns_to_ms(s->now),
                        cx.msg ? cx.msg : "");
                exit_code = EXIT_FAILED;
                status = "assert";
                break;
            case SK_VIOLATION:
                fprintf(stderr, "clustersim: invariant violated at t=%.3f ms: %s: %s\n", sim_ns_to_ms(s->now),
                        s->violation.invariant, s->violation.detail);
                exit_code = EXIT_FAILED;
                status = "violation";
                o->violation_at_ms = sim_ns_to_ms(s->now);
                break;
            case SK_INTERRUPT:
                fprintf(stderr, "clustersim: interrupted at t=%.3f ms; the trace ends there, marked \"interrupted\"\n",
                        sim_ns_to_ms(s->now));
                exit_code = EXIT_INTERRUPTED;
                status = "interrupted";
                break;
            case SK_IOERR:
                fprintf(stderr, "clustersim: the trace '%s' could not be written at t=%.3f ms (%s); the run stopped "
                                "there\n", o->trace_path ? o->trace_path : "?", sim_ns_to_ms(s->now),
                        strerror(s->trace.error));
                exit_code = EXIT_IOERR;
                status = "error";
                break;
            case SK_USAGE:
                fprintf(stderr, "clustersim: %s\n", cx.msg ? cx.msg : "bad parameter");
                exit_code = EXIT_USAGE;
                status = "error";
                break;
            case SK_ACTION_ERROR:
            case SK_NONE:
            default:
                fprintf(stderr, "clustersim: script error: %s\n", cx.msg ? cx.msg : "?");
                exit_code = EXIT_SCRIPT;
                status = "error";
                break;
            }
        }
    }
    if (!o->help)
        sim_write_end(s, status);
    if (o->on_end && !o->help)
        o->on_end(o->on_end_ctx, s);
    o->faults_applied = nemesis_count(s);
    o->faults_drawn = nemesis_drawn(s);
    /* Close the trace before the summary: a write that fails only at the
     * last flush (a short run into a full disk) must not be summed up "ok". */
    if (s->trace_open) {
        int err = trace_close(&s->trace);
        s->trace_open = 0;
        if (err && exit_code != EXIT_IOERR) {
            fprintf(stderr, "clustersim: error writing trace '%s': %s\n", o->trace_path, strerror(err));
            if (exit_code == EXIT_OK) {
                exit_code = EXIT_IOERR;
                status = "error";
            }
        }
    }
    if (!o->quiet && !o->help) {
        fprintf(stderr, "clustersim: %s seed %" PRIu64 ": %s at t=%.3f ms, %" PRIu64 " events, %" PRIu64
                        " messages (%" PRIu64 " dropped)\n",
                o->scenario, o->seed, status, sim_ns_to_ms(s->now), s->m.events, s->m.sent, s->m.dropped);
        struct nemesis_stats ns;
        nemesis_get_stats(s, &ns);
        if (ns.swarm[0])
            fprintf(stderr, "clustersim: the swarm nemesis drew: %s\n", ns.swarm);
        if (exit_code == EXIT_FAILED)
            print_repro(stderr, o);
    }
    /* Actions still queued hold Lua references that die with the state:
     * the engine must not release them into a closed state. */
    memset(&s->hooks, 0, sizeof s->hooks);
    lua_alg_detach(&cx);
    lua_close(L);
    for (int i = 0; i < cx.nhook_types; i++)
        free(cx.hook_types[i]);
    free(cx.msg);
    free(cx.fatal_msg);
    sim_free(s);
    lua_alg_release(&cx);    /* after the engine: it held the algorithm */
    return exit_code;
}
