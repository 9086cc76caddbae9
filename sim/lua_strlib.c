/* sim/lua_strlib.c: the sandbox's bounded string and table functions.
 *
 * The instruction budget counts Lua VM instructions, but a single call
 * into a C library function can do unbounded work that no instruction
 * sees: `string.find(("a"):rep(30), ("a*"):rep(20) .. "b")` backtracks for
 * longer than anyone waits, and Ctrl-C could not stop it either. So the
 * pattern functions run on a matcher of our own (Lua 5.4's pattern
 * language, §6.4.1 of the reference manual) that charges every step to the
 * budget through sandbox_charge(), and the functions that loop over a
 * length they are given (string.rep, table.concat/insert/remove/move/
 * sort/unpack, utf8.len, tonumber) charge that length before they start.
 * Charging is deterministic: the same script spends the same budget on
 * every machine, so a budget error is reproducible from the seed.
 *
 * Like Lua's own, the matcher relies on Lua strings ending in a NUL byte
 * after their length, so reading one byte past a pattern's end is safe. */
#include <ctype.h>
#include <stddef.h>
#include <string.h>

#include <lauxlib.h>
#include <lua.h>

#include "sim/lua_sandbox.h"

#define MAXCAPTURES 32
#define MAXDEPTH 200            /* recursion of the matcher, as Lua's MAXCCALLS */
#define CAP_UNFINISHED (-1)
#define CAP_POSITION (-2)
#define ESC '%'
#define SPECIALS "^$*+?.([%-"
#define CHARGE_EVERY 4096       /* steps between calls to sandbox_charge */

struct mstate {
    const char *src, *src_end, *pat_end;
    lua_State *L;
    int depth;
    int level;
    unsigned steps;
    struct { const char *init; ptrdiff_t len; } cap[MAXCAPTURES];
};

static void charge(struct mstate *ms, unsigned n)
{
    ms->steps += n;
    if (ms->steps >= CHARGE_EVERY) {
        unsigned k = ms->steps;
        ms->steps = 0;
        sandbox_charge(ms->L, k);
    }
}

static void ms_init(struct mstate *ms, lua_State *L, const char *s, size_t ls, const char *p, size_t lp)
{
    ms->L = L;
    ms->src = s;
    ms->src_end = s + ls;
    ms->pat_end = p + lp;
    ms->steps = 0;
    ms->level = 0;
    ms->depth = MAXDEPTH;
}

static void ms_reset(struct mstate *ms)
{
    ms->level = 0;
    ms->depth = MAXDEPTH;
}

static void ms_done(struct mstate *ms)
{
    if (ms->steps)
        sandbox_charge(ms->L, ms->steps);
    ms->steps = 0;
}

/* ------------------------------------------------------------ matcher */

static int capture_to_close(struct mstate *ms)
{
    for (int l = ms->level - 1; l >= 0; l--)
        if (ms->cap[l].len == CAP_UNFINISHED)
            return l;
    return luaL_error(ms->L, "invalid pattern capture");
}

/* The end of the single-character class at p. */
static const char *class_end(struct mstate *ms, const char *p)
{
    switch (*p++) {
    case ESC:
        if (p == ms->pat_end)
            luaL_error(ms->L, "malformed pattern (ends with '%%')");
        return p + 1;
    case '[':
        if (*p == '^')
            p++;
        do {      /* the first character after [ or [^ is always in the set, even ']' */
            if (p == ms->pat_end)
                luaL_error(ms->L, "malformed pattern (missing ']')");
            if (*(p++) == ESC && p < ms->pat_end)
                p++;
        } while (*p != ']');
        return p + 1;
    default:
        return p;
    }
}

static int match_class(int c, int cl)
{
    int r;
    switch (tolower(cl)) {
    case 'a': r = isalpha(c); break;
    case 'c': r = iscntrl(c); break;
    case 'd': r = isdigit(c); break;
    case 'g': r = isgraph(c); break;
    case 'l': r = islower(c); break;
    case 'p': r = ispunct(c); break;
    case 's': r = isspace(c); break;
    case 'u': r = isupper(c); break;
    case 'w': r = isalnum(c); break;
    case 'x': r = isxdigit(c); break;
    default: return cl == c;        /* %. and friends: the character itself */
    }
    if (isupper(cl))
        r = !r;
    return r != 0;
}

/* p at '[', ec at the closing ']'. */
static int match_bracket(struct mstate *ms, int c, const char *p, const char *ec)
{
    int want = 1;
    if (*(p + 1) == '^') {
        want = 0;
        p++;
    }
    while (++p < ec) {
        charge(ms, 1);
        if (*p == ESC) {
            p++;
            if (match_class(c, (unsigned char)*p))
                return want;
        } else if (*(p + 1) == '-' && p + 2 < ec) {
            p += 2;
            if ((unsigned char)*(p - 2) <= c && c <= (unsigned char)*p)
                return want;
        } else if ((unsigned char)*p == c) {
            return want;
        }
    }
    return !want;
}

static int single_match(struct mstate *ms, const char *s, const char *p, const char *ep)
{
    charge(ms, 1);
    if (s >= ms->src_end)
        return 0;
    int c = (unsigned char)*s;
    switch (*p) {
    case '.': return 1;
    case ESC: return match_class(c, (unsigned char)*(p + 1));
    case '[': return match_bracket(ms, c, p, ep - 1);
    default: return (unsigned char)*p == c;
    }
}

static const char *match(struct mstate *ms, const char *s, const char *p);

static const char *match_balance(struct mstate *ms, const char *s, const char *p)
{
    if (p + 1 >= ms->pat_end)
        luaL_error(ms->L, "malformed pattern (missing arguments to '%%b')");
    if (s >= ms->src_end || *s != *p)
        return NULL;
    int b = *p, e = *(p + 1), depth = 1;
    while (++s < ms->src_end) {
        charge(ms, 1);
        if (*s == e) {
            if (--depth == 0)
                return s + 1;
        } else if (*s == b) {
            depth++;
        }
    }
    return NULL;
}

/* Longest run of the item first, then shorter ones (*, +). */
static const char *max_expand(struct mstate *ms, const char *s, const char *p, const char *ep)
{
    ptrdiff_t i = 0;
    while (single_match(ms, s + i, p, ep))
        i++;
    for (; i >= 0; i--) {
        const char *r = match(ms, s + i, ep + 1);
        if (r)
            return r;
    }
    return NULL;
}

/* Shortest run first (-). */
static const char *min_expand(struct mstate *ms, const char *s, const char *p, const char *ep)
{
    for (;;) {
        const char *r = match(ms, s, ep + 1);
        if (r)
            return r;
        if (!single_match(ms, s, p, ep))
            return NULL;
        s++;
    }
}

static const char *start_capture(struct mstate *ms, const char *s, const char *p, ptrdiff_t what)
{
    if (ms->level >= MAXCAPTURES)
        luaL_error(ms->L, "too many captures");
    ms->cap[ms->level].init = s;
    ms->cap[ms->level].len = what;
    ms->level++;
    const char *r = match(ms, s, p);
    if (!r)
        ms->level--;
    return r;
}

static const char *end_capture(struct mstate *ms, const char *s, const char *p)
{
    int l = capture_to_close(ms);
    ms->cap[l].len = s - ms->cap[l].init;
    const char *r = match(ms, s, p);
    if (!r)
        ms->cap[l].len = CAP_UNFINISHED;
    return r;
}

static int check_capture(struct mstate *ms, int l)
{
    l -= '1';
    if (l < 0 || l >= ms->level || ms->cap[l].len == CAP_UNFINISHED)
        return luaL_error(ms->L, "invalid capture index %%%d", l + 1);
    return l;
}

static const char *match_capture(struct mstate *ms, const char *s, int l)
{
    l = check_capture(ms, l);
    size_t len = (size_t)ms->cap[l].len;
    charge(ms, (unsigned)(len / 8 + 1));
    if ((size_t)(ms->src_end - s) >= len && memcmp(ms->cap[l].init, s, len) == 0)
        return s + len;
    return NULL;
}

/* Match pattern p against the subject from s: the end of the match, or NULL. */
static const char *match(struct mstate *ms, const char *s, const char *p)
{
    if (ms->depth-- == 0)
        luaL_error(ms->L, "pattern too complex");
    charge(ms, 1);
    for (;;) {
        if (p == ms->pat_end)
            break;
        switch (*p) {
        case '(':
            if (*(p + 1) == ')')
                s = start_capture(ms, s, p + 2, CAP_POSITION);
            else
                s = start_capture(ms, s, p + 1, CAP_UNFINISHED);
            goto out;
        case ')':
            s = end_capture(ms, s, p + 1);
            goto out;
        case '$':
            if (p + 1 != ms->pat_end)
                goto single;      /* a '$' inside the pattern is an ordinary character */
            s = s == ms->src_end ? s : NULL;
            goto out;
        case ESC:
            switch (*(p + 1)) {
            case 'b':
                s = match_balance(ms, s, p + 2);
                if (s) {
                    p += 4;
                    continue;
                }
                goto out;
            case 'f': {
                p += 2;
                if (*p != '[')
                    luaL_error(ms->L, "missing '[' after '%%f' in pattern");
                const char *ep = class_end(ms, p);
                int prev = s == ms->src ? '\0' : (unsigned char)*(s - 1);
                int cur = s < ms->src_end ? (unsigned char)*s : '\0';
                if (!match_bracket(ms, prev, p, ep - 1) && match_bracket(ms, cur, p, ep - 1)) {
                    p = ep;
                    continue;
                }
                s = NULL;
                goto out;
            }
            case '0': case '1': case '2': case '3': case '4':
            case '5': case '6': case '7': case '8': case '9':
                s = match_capture(ms, s, (unsigned char)*(p + 1));
                if (s) {
                    p += 2;
                    continue;
                }
                goto out;
            default:
                goto single;
            }
        default:
        single: {
            const char *ep = class_end(ms, p);
            if (!single_match(ms, s, p, ep)) {
                if (*ep == '*' || *ep == '?' || *ep == '-') {   /* zero repetitions are fine */
                    p = ep + 1;
                    continue;
                }
                s = NULL;
                goto out;
            }
            switch (*ep) {
            case '?': {
                const char *r = match(ms, s + 1, ep + 1);
                if (r) {
                    s = r;
                    goto out;
                }
                p = ep + 1;
                continue;
            }
            case '+': s = max_expand(ms, s + 1, p, ep); goto out;
            case '*': s = max_expand(ms, s, p, ep); goto out;
            case '-': s = min_expand(ms, s, p, ep); goto out;
            default:
                s++;
                p = ep;
                continue;
            }
        }
        }
    }
out:
    ms->depth++;
    return s;
}

/* ----------------------------------------------------------- captures */

static void push_onecapture(struct mstate *ms, int i, const char *s, const char *e)
{
    if (i >= ms->level) {
        if (i != 0)
            luaL_error(ms->L, "invalid capture index %%%d", i + 1);
        lua_pushlstring(ms->L, s, (size_t)(e - s));     /* no captures: the whole match */
        return;
    }
    ptrdiff_t len = ms->cap[i].len;
    if (len == CAP_UNFINISHED)
        luaL_error(ms->L, "unfinished capture");
    if (len == CAP_POSITION)
        lua_pushinteger(ms->L, (ms->cap[i].init - ms->src) + 1);
    else
        lua_pushlstring(ms->L, ms->cap[i].init, (size_t)len);
}

/* Push the captures (or the whole match when S is given and there are none). */
static int push_captures(struct mstate *ms, const char *s, const char *e)
{
    int n = (ms->level == 0 && s) ? 1 : ms->level;
    luaL_checkstack(ms->L, n, "too many captures");
    for (int i = 0; i < n; i++)
        push_onecapture(ms, i, s, e);
    return n;
}

/* ---------------------------------------------------- the functions */

static size_t start_index(lua_Integer pos, size_t len)
{
    if (pos > 0)
        return (size_t)pos;
    if (pos == 0)
        return 1;
    if (pos < -(lua_Integer)len)
        return 1;
    return len + (size_t)pos + 1;
}

static int no_specials(const char *p, size_t l)
{
    for (size_t i = 0; i < l; i++)
        if (p[i] && strchr(SPECIALS, p[i]))
            return 0;
    return 1;
}

/* Plain search, naive but charged: the budget bounds its worst case. */
static const char *plain_find(struct mstate *ms, const char *s, size_t ls, const char *p, size_t lp)
{
    if (lp == 0)
        return s;
    if (lp > ls)
        return NULL;
    const char *last = s + (ls - lp);
    for (; s <= last; s++) {
        const char *hit = memchr(s, *p, (size_t)(last - s) + 1);
        charge(ms, (unsigned)((hit ? (size_t)(hit - s) : (size_t)(last - s)) / 16 + 1));
        if (!hit)
            return NULL;
        s = hit;
        charge(ms, (unsigned)(lp / 16 + 1));
        if (memcmp(s + 1, p + 1, lp - 1) == 0)
            return s;
    }
    return NULL;
}

static int find_aux(lua_State *L, int find)
{
    size_t ls, lp;
    const char *s = luaL_checklstring(L, 1, &ls);
    const char *p = luaL_checklstring(L, 2, &lp);
    size_t init = start_index(luaL_optinteger(L, 3, 1), ls) - 1;
    if (init > ls) {
        luaL_pushfail(L);
        return 1;
    }
    struct mstate ms;
    ms_init(&ms, L, s, ls, p, lp);
    if (find && (lua_toboolean(L, 4) || no_specials(p, lp))) {
        const char *hit = plain_find(&ms, s + init, ls - init, p, lp);
        ms_done(&ms);
        if (hit) {
            lua_pushinteger(L, (hit - s) + 1);
            lua_pushinteger(L, (lua_Integer)((size_t)(hit - s) + lp));
            return 2;
        }
    } else {
        int anchor = *p == '^';
        if (anchor) {
            p++;
            lp--;
        }
        const char *s1 = s + init;
        do {
            ms_reset(&ms);
            const char *e = match(&ms, s1, p);
            if (e) {
                ms_done(&ms);
                if (find) {
                    lua_pushinteger(L, (s1 - s) + 1);
                    lua_pushinteger(L, e - s);
                    return push_captures(&ms, NULL, 0) + 2;
                }
                return push_captures(&ms, s1, e);
            }
        } while (s1++ < ms.src_end && !anchor);
        ms_done(&ms);
    }
    luaL_pushfail(L);
    return 1;
}

static int str_find(lua_State *L) { return find_aux(L, 1); }
static int str_match(lua_State *L) { return find_aux(L, 0); }

struct gmatch_state {
    const char *src, *p, *lastmatch;
    struct mstate ms;
};

static int gmatch_aux(lua_State *L)
{
    struct gmatch_state *gm = lua_touserdata(L, lua_upvalueindex(3));
    gm->ms.L = L;
    for (const char *src = gm->src; src <= gm->ms.src_end; src++) {
        ms_reset(&gm->ms);
        const char *e = match(&gm->ms, src, gm->p);
        if (e && e != gm->lastmatch) {
            gm->src = gm->lastmatch = e;
            ms_done(&gm->ms);
            return push_captures(&gm->ms, src, e);
        }
    }
    ms_done(&gm->ms);
    return 0;
}

static int str_gmatch(lua_State *L)
{
    size_t ls, lp;
    const char *s = luaL_checklstring(L, 1, &ls);
    const char *p = luaL_checklstring(L, 2, &lp);
    size_t init = start_index(luaL_optinteger(L, 3, 1), ls) - 1;
    if (init > ls)
        init = ls + 1;         /* start past the end: no matches */
    lua_settop(L, 2);          /* the strings stay alive as upvalues */
    struct gmatch_state *gm = lua_newuserdatauv(L, sizeof *gm, 0);
    ms_init(&gm->ms, L, s, ls, p, lp);
    gm->src = s + init;
    gm->p = p;
    gm->lastmatch = NULL;
    lua_pushcclosure(L, gmatch_aux, 3);
    return 1;
}

static void add_s(struct mstate *ms, luaL_Buffer *b, const char *s, const char *e)
{
    size_t l;
    lua_State *L = ms->L;
    const char *news = lua_tolstring(L, 3, &l);
    const char *end = news + l;
    for (const char *p = news; p < end; p++) {
        charge(ms, 1);
        if (*p != ESC) {
            luaL_addchar(b, *p);
            continue;
        }
        p++;
        if (*p == ESC) {
            luaL_addchar(b, *p);
        } else if (*p == '0') {
            luaL_addlstring(b, s, (size_t)(e - s));
        } else if (isdigit((unsigned char)*p)) {
            push_onecapture(ms, *p - '1', s, e);
            luaL_tolstring(L, -1, NULL);
            lua_remove(L, -2);
            luaL_addvalue(b);
        } else {
            luaL_error(L, "invalid use of '%c' in replacement string", ESC);
        }
    }
}

static void add_value(struct mstate *ms, luaL_Buffer *b, const char *s, const char *e, int tr)
{
    lua_State *L = ms->L;
    switch (tr) {
    case LUA_TFUNCTION: {
        lua_pushvalue(L, 3);
        int n = push_captures(ms, s, e);
        lua_call(L, n, 1);       /* a library function calling its argument: errors go to the script's caller */
        break;
    }
    case LUA_TTABLE:
        push_onecapture(ms, 0, s, e);
        lua_gettable(L, 3);
        break;
    default:
        add_s(ms, b, s, e);
        return;
    }
    if (!lua_toboolean(L, -1)) {
        lua_pop(L, 1);
        luaL_addlstring(b, s, (size_t)(e - s));   /* false or nil: keep the original text */
    } else if (!lua_isstring(L, -1)) {
        luaL_error(L, "invalid replacement value (a %s)", luaL_typename(L, -1));
    } else {
        luaL_addvalue(b);
    }
}

static int str_gsub(lua_State *L)
{
    size_t srcl, lp;
    const char *src = luaL_checklstring(L, 1, &srcl);
    const char *p = luaL_checklstring(L, 2, &lp);
    const char *lastmatch = NULL;
    int tr = lua_type(L, 3);
    lua_Integer max_s = luaL_optinteger(L, 4, (lua_Integer)srcl + 1);
    luaL_argexpected(L, tr == LUA_TNUMBER || tr == LUA_TSTRING || tr == LUA_TFUNCTION || tr == LUA_TTABLE, 3,
                     "string/function/table");
    int anchor = *p == '^';
    if (anchor) {
        p++;
        lp--;
    }
    luaL_Buffer b;
    luaL_buffinit(L, &b);
    struct mstate ms;
    ms_init(&ms, L, src, srcl, p, lp);
    lua_Integer n = 0;
    int changed = 0;
    while (n < max_s) {
        ms_reset(&ms);
        const char *e = match(&ms, src, p);
        if (e && e != lastmatch) {
            n++;
            changed = 1;
            add_value(&ms, &b, src, e, tr);
            src = lastmatch = e;
        } else if (src < ms.src_end) {
            luaL_addchar(&b, *src++);
        } else {
            break;
        }
        if (anchor)
            break;
    }
    ms_done(&ms);
    if (!changed) {
        lua_pushvalue(L, 1);
    } else {
        luaL_addlstring(&b, src, (size_t)(ms.src_end - src));
        luaL_pushresult(&b);
    }
    lua_pushinteger(L, n);
    return 2;
}

/* --------------------------------------- length-charged library calls */

/* Units for N elements of simple work: a tight C loop step costs less
 * than a VM instruction. */
static uint64_t units(lua_Integer n) { return n > 0 ? (uint64_t)n / 8 + 1 : 1; }

static int call_real(lua_State *L) { return lua_tocfunction(L, lua_upvalueindex(1))(L); }

static int b_rep(lua_State *L)
{
    size_t l, lsep = 0;
    luaL_checklstring(L, 1, &l);
    lua_Integer n = luaL_checkinteger(L, 2);
    luaL_optlstring(L, 3, "", &lsep);
    if (l + lsep == 0 && n > 0) {      /* n copies of nothing: Lua would still loop n times */
        lua_pushliteral(L, "");
        return 1;
    }
    sandbox_charge(L, units(n));       /* the copies themselves are charged as allocation */
    return call_real(L);
}

/* Charge the index range [i, j] given at arguments I and I + 1 (j
 * defaulting to the raw length of argument 1): table.concat and unpack. */
static void charge_range(lua_State *L, int arg)
{
    lua_Integer i = luaL_optinteger(L, arg, 1);
    lua_Integer j = lua_isnoneornil(L, arg + 1) ? (lua_Integer)lua_rawlen(L, 1) : luaL_checkinteger(L, arg + 1);
    if (j >= i)
        sandbox_charge(L, units(j - i));
}

static int b_concat(lua_State *L)
{
    luaL_checktype(L, 1, LUA_TTABLE);
    charge_range(L, 3);
    return call_real(L);
}

/* insert(t, pos, v) and remove(t, pos) shift every element above pos;
 * insert(t, v) and remove(t) touch one element and are not charged. */
static int b_insert(lua_State *L)
{
    if (lua_gettop(L) == 3) {
        lua_Integer n = luaL_len(L, 1), pos = luaL_checkinteger(L, 2);
        if (n >= pos)
            sandbox_charge(L, units(n - pos));
    }
    return call_real(L);
}

static int b_remove(lua_State *L)
{
    if (lua_gettop(L) >= 2) {
        lua_Integer n = luaL_len(L, 1), pos = luaL_optinteger(L, 2, n);
        if (n >= pos)
            sandbox_charge(L, units(n - pos));
    }
    return call_real(L);
}

static int b_move(lua_State *L)
{
    lua_Integer f = luaL_checkinteger(L, 2), e = luaL_checkinteger(L, 3);
    if (e >= f)
        sandbox_charge(L, units(e - f < LUA_MAXINTEGER ? e - f + 1 : e - f));
    return call_real(L);
}

static int b_sort(lua_State *L)
{
    luaL_checktype(L, 1, LUA_TTABLE);
    lua_Integer n = luaL_len(L, 1);
    lua_Integer log2n = 1;
    for (lua_Integer k = n; k > 1; k >>= 1)
        log2n++;
    if (n > 0)
        sandbox_charge(L, units(n) * (uint64_t)log2n);
    return call_real(L);
}

static int b_unpack(lua_State *L)
{
    charge_range(L, 2);
    return call_real(L);
}

/* Scans of a whole string argument (utf8.len, utf8.offset, tonumber). */
static int b_scan(lua_State *L)
{
    if (lua_type(L, 1) == LUA_TSTRING)
        sandbox_charge(L, units((lua_Integer)lua_rawlen(L, 1)));
    return call_real(L);
}

static void wrap(lua_State *L, const char *lib, const char *name, lua_CFunction w)
{
    if (lib)
        lua_getglobal(L, lib);
    else
        lua_pushglobaltable(L);
    lua_getfield(L, -1, name);
    lua_pushcclosure(L, w, 1);
    lua_setfield(L, -2, name);
    lua_pop(L, 1);
}

void sandbox_bound_stdlib(lua_State *L)
{
    static const luaL_Reg pat[] = {
        { "find", str_find }, { "match", str_match }, { "gmatch", str_gmatch }, { "gsub", str_gsub }, { NULL, NULL },
    };
    lua_getglobal(L, "string");
    luaL_setfuncs(L, pat, 0);
    lua_pop(L, 1);
    wrap(L, "string", "rep", b_rep);
    wrap(L, "table", "concat", b_concat);
    wrap(L, "table", "insert", b_insert);
    wrap(L, "table", "remove", b_remove);
    wrap(L, "table", "move", b_move);
    wrap(L, "table", "sort", b_sort);
    wrap(L, "table", "unpack", b_unpack);
    wrap(L, "utf8", "len", b_scan);
    wrap(L, "utf8", "offset", b_scan);
    wrap(L, NULL, "tonumber", b_scan);
}
