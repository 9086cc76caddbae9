/* sim/lua_params.c: a scenario's declared parameters. `params = {...}` at
 * the top of a script declares them (name = {default, "description"});
 * from then on params.NAME reads as the default or the -P override,
 * converted to the default's type, and --help lists them. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/lua_int.h"
#include "sim/trace.h"

/* ------------------------------------------------------------- params */

struct param_override { const char *name, *value; int used; };

static int parse_bool(const char *v, int *out)
{
    static const char *const t[] = { "true", "1", "yes", "on", NULL };
    static const char *const f[] = { "false", "0", "no", "off", NULL };
    for (int i = 0; t[i]; i++)
        if (strcmp(v, t[i]) == 0) { *out = 1; return 0; }
    for (int i = 0; f[i]; i++)
        if (strcmp(v, f[i]) == 0) { *out = 0; return 0; }
    return -1;
}

static const char *override_for(struct lua_ctx *cx, const char *name)
{
    const char *v = NULL;
    for (int i = 0; i < cx->opts->nparams; i++) {
        const char *p = cx->opts->params[i];
        const char *eq = strchr(p, '=');
        if (eq && (size_t)(eq - p) == strlen(name) && strncmp(p, name, (size_t)(eq - p)) == 0)
            v = eq + 1;    /* the last -P wins */
    }
    return v;
}

void check_params_used(lua_State *L)
{
    struct lua_ctx *cx = ctx_of(L);
    if (cx->params_declared || cx->opts->nparams == 0)
        return;
    const char *p = cx->opts->params[0];
    const char *eq = strchr(p, '=');
    lua_pushfstring(L, "unknown parameter '%s': this scenario declares no params", lua_pushlstring(L, p, (size_t)(eq - p)));
    stop_script(L, SK_USAGE, lua_tostring(L, -1));
}

/* _G.__newindex: intercepts `params = {...}`. */
int g_newindex(lua_State *L)
{
    struct lua_ctx *cx = ctx_of(L);
    const char *gname = lua_tostring(L, 2);
    if (!gname || strcmp(gname, "params") != 0 || !lua_istable(L, 3) || cx->params_declared) {
        lua_rawset(L, 1);
        return 0;
    }
    if (cx->in_api)
        return luaL_error(L, "params: declared while %s is still running (from a metamethod?); declare it at the top "
                             "of the scenario", cx->in_api);
    cx->params_declared = 1;
    int n;
    const char **keys = sorted_keys(L, 3, "params", &n);
    if (cx->opts->help) {
        printf("%s parameters (override with -P name=value):\n", cx->opts->scenario);
        if (n == 0)
            printf("  (none)\n");
    }
    lua_newtable(L);                       /* effective values */
    int eff = lua_gettop(L);
    /* The JSON of the effective values grows in malloc'd memory that a Lua
     * error part way (a bad -P) must not leak: a scratch userdata owns it. */
    struct scratch *sc = push_scratch(L);
    lua_insert(L, eff);                    /* below the effective-values table */
    eff++;
    size_t jlen = 0, jcap = 0;
    for (int i = 0; i < n; i++) {
        rawfield(L, 3, keys[i]);
        int decl = lua_gettop(L);
        if (!lua_istable(L, decl))
            return luaL_error(L, "params.%s must be {default, \"description\"}", keys[i]);
        lua_rawgeti(L, decl, 1);
        lua_rawgeti(L, decl, 2);
        const char *desc = lua_isstring(L, -1) ? lua_tostring(L, -1) : "";
        int t = lua_type(L, -2);
        if (t != LUA_TNUMBER && t != LUA_TBOOLEAN && t != LUA_TSTRING)
            return luaL_error(L, "params.%s: the default must be a number, boolean or string", keys[i]);
        const char *ov = override_for(cx, keys[i]);
        if (cx->opts->help) {
            printf("  %-20s %-10s %s\n", keys[i], luaL_tolstring(L, -2, NULL), desc);
            lua_pop(L, 1);
        }
        lua_pushvalue(L, -2);              /* the default */
        if (ov) {
            lua_pop(L, 1);
            if (t == LUA_TNUMBER) {
                if (!lua_stringtonumber(L, ov)) {
                    lua_pushfstring(L, "-P %s=%s: a number expected", keys[i], ov);
                    return stop_script(L, SK_USAGE, lua_tostring(L, -1));
                }
                if (lua_isinteger(L, -3) && !lua_isinteger(L, -1)) {
                    /* 1e1 is a whole number written as a float: take it */
                    double d = lua_tonumber(L, -1);
                    if (d == floor(d) && fabs(d) < 9.2e18) {
                        lua_pop(L, 1);
                        lua_pushinteger(L, (lua_Integer)d);
                    } else {
                        lua_pushfstring(L, "-P %s=%s: a whole number expected, and %s %s (the default is %I)", keys[i],
                                        ov, ov, isfinite(d) ? (d == floor(d) ? "is too large" : "has a fraction")
                                                            : "is not finite",
                                        (LUAI_UACINT)lua_tointeger(L, -3));
                        return stop_script(L, SK_USAGE, lua_tostring(L, -1));
                    }
                }
            } else if (t == LUA_TBOOLEAN) {
                int b;
                if (parse_bool(ov, &b)) {
                    lua_pushfstring(L, "-P %s=%s: true or false expected", keys[i], ov);
                    return stop_script(L, SK_USAGE, lua_tostring(L, -1));
                }
                lua_pushboolean(L, b);
            } else {
                lua_pushstring(L, ov);
            }
        }
        /* JSON of the effective value */
        {
            size_t need = strlen(keys[i]) + 64 + (lua_type(L, -1) == LUA_TSTRING ? lua_rawlen(L, -1) * 6 : 0);
            if (jlen + need > jcap) {
                jcap = (jlen + need) * 2;
                sc->p = realloc(sc->p, jcap);
                if (!sc->p)
                    abort();
            }
            jlen += (size_t)snprintf(sc->p + jlen, jcap - jlen, "%s", jlen ? "," : "{");
            json_append_string(&sc->p, &jlen, &jcap, keys[i]);
            sc->p[jlen++] = ':';
            if (lua_type(L, -1) == LUA_TSTRING) {
                json_append_string(&sc->p, &jlen, &jcap, lua_tostring(L, -1));
            } else if (lua_type(L, -1) == LUA_TBOOLEAN) {
                jlen += (size_t)snprintf(sc->p + jlen, jcap - jlen, "%s", lua_toboolean(L, -1) ? "true" : "false");
            } else if (lua_isinteger(L, -1)) {
                jlen += (size_t)snprintf(sc->p + jlen, jcap - jlen, "%lld", (long long)lua_tointeger(L, -1));
            } else {
                jlen += (size_t)json_format_double(sc->p + jlen, jcap - jlen, lua_tonumber(L, -1));
            }
        }
        lua_setfield(L, eff, keys[i]);
        lua_settop(L, eff);
    }
    /* Every -P must name a declared parameter. */
    for (int i = 0; i < cx->opts->nparams; i++) {
        const char *p = cx->opts->params[i];
        const char *eq = strchr(p, '=');
        int found = 0;
        for (int k = 0; k < n; k++)
            if (strlen(keys[k]) == (size_t)(eq - p) && strncmp(keys[k], p, (size_t)(eq - p)) == 0)
                found = 1;
        if (!found) {
            luaL_Buffer b;
            luaL_buffinit(L, &b);
            for (int k = 0; k < n; k++) {
                if (k)
                    luaL_addstring(&b, ", ");
                luaL_addstring(&b, keys[k]);
            }
            luaL_pushresult(&b);
            const char *declared = n ? lua_tostring(L, -1) : "none";
            const char *bad = lua_pushlstring(L, p, (size_t)(eq - p));
            lua_pushfstring(L, "unknown parameter '%s' (declared: %s)", bad, declared);
            return stop_script(L, SK_USAGE, lua_tostring(L, -1));
        }
    }
    if (!sc->p) {
        sc->p = strdup("{}");
    } else {
        sc->p = realloc(sc->p, jlen + 2);
        sc->p[jlen++] = '}';
        sc->p[jlen] = 0;
    }
    free(cx->sim->params_json);
    cx->sim->params_json = sc->p;
    sc->p = NULL;
    if (cx->opts->help)
        return stop_script(L, SK_HELP, NULL);
    lua_pushstring(L, "params");
    lua_pushvalue(L, eff);
    lua_rawset(L, 1);
    return 0;
}
