/* sim/lua_sandbox.h: what the sandbox's bounded library functions
 * (lua_strlib.c) need from the Lua binding (lua_api.c). Only Lua-binding
 * files include this. */
#ifndef SIM_LUA_SANDBOX_H
#define SIM_LUA_SANDBOX_H

#include <stdint.h>
#include <lua.h>

/* Charge UNITS of work done by a C function to the current entry's
 * instruction budget (one unit is about one Lua instruction). Raises the
 * budget error, naming the calling script line, when the budget is spent,
 * and the interrupt stop after Ctrl-C: so no single library call runs
 * unbounded. Call it from a C function that Lua called. */
void sandbox_charge(lua_State *L, uint64_t units);

/* Replace the string and table functions whose work is not bounded by the
 * instruction count with versions that charge it: the pattern functions
 * (string.find, match, gmatch, gsub) get a step-counted matcher of their
 * own; string.rep, table.concat, insert, remove, move, sort and utf8.len
 * charge their length up front. Call after the libraries are open. */
void sandbox_bound_stdlib(lua_State *L);

#endif
