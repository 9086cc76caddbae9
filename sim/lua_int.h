/* sim/lua_int.h: what the files of the `sim` Lua module share (lua_api.c:
 * the sandbox, the cluster, network and scheduling; lua_clients.c: clients
 * and the nemesis; lua_params.c: scenario parameters). Internal: only
 * these files include it. Every function here reads its arguments with raw
 * access and raises a Lua error naming the function on bad input. */
#ifndef SIM_LUA_INT_H
#define SIM_LUA_INT_H

#include <stdint.h>

#include <lauxlib.h>
#include <lua.h>

#include "sim/engine.h"
#include "sim/rng.h"
#include "sim/sim.h"

/* Metatable names of the handles a script holds. */
#define CLIENT_MT "sim.client"
#define NODE_MT "sim.node"
#define CLUSTER_MT "sim.cluster"
#define SCRATCH_MT "sim.scratch"

/* Times and durations a script may give, in ms: ~31.7 years, so that
 * now + any of them stays far inside int64 nanoseconds. */
#define MAX_MS 1e12

enum stop_kind { SK_NONE = 0, SK_ASSERT, SK_VIOLATION, SK_ACTION_ERROR, SK_HELP, SK_USAGE, SK_INTERRUPT, SK_IOERR };

struct lua_ctx {
    lua_State *L;
    struct sim *sim;
    struct run_opts *opts;
    uint64_t count;              /* instructions used by the current entry */
    size_t mem_used;
    struct rng script_rng;
    char *hook_types[64];
    int nhook_types;
    int hook_all;
    int hooks_ref;               /* registry: table type -> list of functions */
    enum stop_kind stop;
    char *msg;                   /* message for the stop (assertion text, error + traceback) */
    int params_declared;
    int in_flush;
    /* Re-entrancy: the sim call now reading its arguments or running (NULL
     * between calls). A metamethod, __tostring or error handler that runs
     * inside one may not call into the engine (api_gate). */
    const char *in_api;
    /* Where the running Lua code was entered from (call_protected): NULL for
     * the main chunk, else "a sim.at action", ... sim.run refuses the others. */
    const char *entry;
    int depth;                   /* nesting of call_protected */
    /* Sticky stops that no pcall may swallow: once set, every pcall re-raises
     * and the count hook raises again at once (see l_pcall). */
    int fatal;
    char *fatal_msg;
    /* Algorithms written in Lua (lua_alg.c): 1 while a node callback runs,
     * 2 while check, leader or inspect runs; the gate then refuses every
     * sim call but the node object's methods (and pure helpers). */
    int node_code;
    int msg_named;               /* msg already names the callback it came from */
    struct lua_alg *algs;        /* every sim.algorithm of the run, freed after the engine */
};

static inline struct lua_ctx *ctx_of(lua_State *L)
{
    void *ud;
    lua_getallocf(L, &ud);
    return ud;
}

static inline struct sim *S(lua_State *L) { return ctx_of(L)->sim; }

/* Record M (copied) as the message of the current stop. */
void set_msg(struct lua_ctx *cx, const char *m);
/* End the run: every stop kind is sticky and passes through pcall. */
int stop_script(lua_State *L, enum stop_kind k, const char *msg);

/* ---- arguments ---- */
double check_ms(lua_State *L, int arg);                 /* 0..MAX_MS */
int check_node_arg(lua_State *L, int arg);              /* a member node's number */
/* The string keys of the table at idx, sorted, in a userdata pushed on the
 * stack (the caller pops it); a non-string key is an error naming fname. */
const char **sorted_keys(lua_State *L, int idx, const char *fname, int *n);
void check_options(lua_State *L, int idx, const char *fname, const char *const *known);
int rawfield(lua_State *L, int idx, const char *name);  /* pushes t[name], raw; returns its type */
int opt_field(lua_State *L, int idx, const char *name); /* pushes it and returns 1, or 0 if nil */
double opt_number(lua_State *L, int idx, const char *fname, const char *name, double def, double lo, double hi);
int opt_bool(lua_State *L, int idx, const char *fname, const char *name, int def);
int fault_result(lua_State *L, int rc, const struct error *err, const char *fname);

/* ---- clocks (nodes and clients) ---- */
extern const char *const clock_opts[];
int64_t check_ppm(lua_State *L, int idx, const char *fname);
sim_time check_step(lua_State *L, int idx, sim_time offset_now, const char *who, int id);

/* Malloc'd memory a Lua error must not leak: the userdata's __gc frees p. */
struct scratch { char *p; };
struct scratch *push_scratch(lua_State *L);

/* ---- lua_clients.c ---- */
int l_clients(lua_State *L);
int l_client(lua_State *L);
int l_client_only(lua_State *L);
int l_nemesis(lua_State *L);
int l_fault(lua_State *L);
extern const luaL_Reg client_methods[];
int cl_tostring(lua_State *L);

/* ---- registering functions (lua_api.c) ---- */
/* Set the functions of regs into the table at TABLE, each behind the
 * re-entrancy gate; PREFIX names them in messages ("sim.", "cluster:"). */
void set_gated(lua_State *L, int table, const luaL_Reg *regs, const char *prefix);
/* A handle class: metatable NAME with gated METHODS as __index, TOSTR as
 * __tostring, and __metatable set so scripts cannot change it. */
void new_class(lua_State *L, const char *name, const char *prefix, const luaL_Reg *methods, lua_CFunction tostr);

/* ---- lua_hash.c ---- */
/* Set the sim.hash table into the table on top, its functions gated. */
void open_hash(lua_State *L);

/* ---- lua_api.c ---- */
/* Call the function below nargs arguments, protected, with a fresh
 * instruction budget; ENTRY names where the script was entered from
 * ("on_message of node 3 at t=1203.4 ms"). 0, or -1 with the stop recorded. */
int call_protected(lua_State *L, int nargs, int nresults, const char *entry);

/* ---- lua_alg.c ---- */
/* sim.algorithm into the table on top, gated; the node object and view classes. */
void open_alg(lua_State *L);
/* The algorithm of the sim.algorithm value at idx (NULL if it is none),
 * with the config table at cfg_idx (0: none) copied for its nodes. */
const struct algorithm *lua_alg_check(lua_State *L, int idx, int cfg_idx);
/* May the gated function NAME run inside node code (mode) ? */
int lua_alg_allowed(const char *name, int mode);
/* Before lua_close: the algorithms touch no Lua any more. After sim_free: free them. */
void lua_alg_detach(struct lua_ctx *cx);
void lua_alg_release(struct lua_ctx *cx);

/* ---- lua_params.c ---- */
/* _G.__newindex: intercepts `params = {...}`. */
int g_newindex(lua_State *L);
/* Before the cluster or the run: a -P given to a scenario without params is an error. */
void check_params_used(lua_State *L);

#endif
