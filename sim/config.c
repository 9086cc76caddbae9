/* The option view an algorithm's configure() reads (see node.h). The binding
 * layer fills entries from the scenario's config table, sorted by name; each
 * reader marks its option as used, so anything left unused afterwards is an
 * option the algorithm does not know. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/engine.h"

void config_init(struct config *c) { memset(c, 0, sizeof *c); }

void config_free(struct config *c)
{
    for (int i = 0; i < c->n; i++) {
        free(c->e[i].name);
        free(c->e[i].str);
        free(c->e[i].list);
    }
    free(c->e);
    memset(c, 0, sizeof *c);
}

struct config_entry *config_add(struct config *c, const char *name)
{
    struct config_entry *e = realloc(c->e, (size_t)(c->n + 1) * sizeof *e);
    if (!e)
        abort();
    c->e = e;
    e = &c->e[c->n++];
    memset(e, 0, sizeof *e);
    e->name = strdup(name);
    if (!e->name)
        abort();
    return e;
}

static struct config_entry *lookup(struct config *c, const char *name)
{
    int seen = 0;
    for (int i = 0; i < c->nasked; i++)
        if (strcmp(c->asked[i], name) == 0)
            seen = 1;
    if (!seen && c->nasked < (int)(sizeof c->asked / sizeof c->asked[0]))
        c->asked[c->nasked++] = name;
    for (int i = 0; i < c->n; i++)
        if (strcmp(c->e[i].name, name) == 0) {
            c->e[i].used = 1;
            return &c->e[i];
        }
    return NULL;
}

/* Describe option NAME once (the first reader to ask names it: config_int
 * asks before the config_double it calls). */
static void describe(struct config *c, const char *name, const char *kind, const char *def, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 5, 6)))
#endif
    ;
static void describe(struct config *c, const char *name, const char *kind, const char *def, const char *fmt, ...)
{
    if (!c->doc)
        return;
    for (int i = 0; i < c->ndoc; i++)
        if (strcmp(c->doc[i].name, name) == 0)
            return;
    if (c->ndoc >= c->ndoc_cap)
        return;
    struct config_doc *d = &c->doc[c->ndoc++];
    snprintf(d->name, sizeof d->name, "%s", name);
    snprintf(d->kind, sizeof d->kind, "%s", kind);
    snprintf(d->def, sizeof d->def, "%s", def);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(d->accepts, sizeof d->accepts, fmt, ap);
    va_end(ap);
}

/* %g, with exponents as a script writes them: 1e9, not 1e+09. */
static const char *num(char *buf, size_t n, double v)
{
    char tmp[32];
    snprintf(tmp, sizeof tmp, "%g", v);
    size_t o = 0;
    for (const char *p = tmp; *p && o + 1 < n; p++) {
        buf[o++] = *p;
        if (*p == 'e') {
            if (p[1] == '+')
                p++;
            else if (p[1] == '-')
                buf[o++] = *++p;
            while (p[1] == '0' && p[2])
                p++;
        }
    }
    buf[o] = 0;
    return buf;
}

static const char *type_name(enum config_type t)
{
    switch (t) {
    case CONFIG_NUM: return "a number";
    case CONFIG_STR: return "a string";
    case CONFIG_BOOL: return "a boolean";
    case CONFIG_RANGE: return "a range {min, max}";
    case CONFIG_DIST: return "a distribution";
    case CONFIG_LIST: return "a list of numbers";
    }
    return "?";
}

static int want(struct config_entry *e, enum config_type t, const char *what, struct error *err)
{
    if (e->type == t)
        return 0;
    snprintf(err->msg, sizeof err->msg, "option '%s' must be %s, got %s", e->name, what, type_name(e->type));
    return -1;
}

int config_double(struct config *c, const char *name, double def, double lo, double hi,
                  double *out, struct error *err)
{
    char d[32], l[32], h[32];
    describe(c, name, "number", num(d, sizeof d, def), "%s to %s", num(l, sizeof l, lo), num(h, sizeof h, hi));
    struct config_entry *e = lookup(c, name);
    if (!e) {
        *out = def;
        return 0;
    }
    if (want(e, CONFIG_NUM, "a number", err))
        return -1;
    if (!(e->num >= lo && e->num <= hi)) {
        snprintf(err->msg, sizeof err->msg, "option '%s' = %g is out of range [%g, %g]", name, e->num, lo, hi);
        return -1;
    }
    *out = e->num;
    return 0;
}

int config_int(struct config *c, const char *name, int64_t def, int64_t lo, int64_t hi,
               int64_t *out, struct error *err)
{
    char dd[32];
    snprintf(dd, sizeof dd, "%lld", (long long)def);
    describe(c, name, "whole number", dd, "%lld to %lld", (long long)lo, (long long)hi);
    double d;
    if (config_double(c, name, (double)def, (double)lo, (double)hi, &d, err))
        return -1;
    if (d != floor(d)) {
        snprintf(err->msg, sizeof err->msg, "option '%s' = %g must be a whole number", name, d);
        return -1;
    }
    *out = (int64_t)d;
    return 0;
}

int config_ms(struct config *c, const char *name, double def_ms, double lo_ms, double hi_ms,
              sim_time *out, struct error *err)
{
    char dd[32], l[32], h[32];
    describe(c, name, "ms", num(dd, sizeof dd, def_ms), "%s to %s ms", num(l, sizeof l, lo_ms), num(h, sizeof h, hi_ms));
    double d;
    if (config_double(c, name, def_ms, lo_ms, hi_ms, &d, err))
        return -1;
    *out = sim_ms_to_ns(d);
    return 0;
}

int config_bool(struct config *c, const char *name, int def, int *out, struct error *err)
{
    describe(c, name, "boolean", def ? "true" : "false", "true or false");
    struct config_entry *e = lookup(c, name);
    if (!e) {
        *out = def;
        return 0;
    }
    if (want(e, CONFIG_BOOL, "a boolean (true or false)", err))
        return -1;
    *out = e->num != 0;
    return 0;
}

int config_choice(struct config *c, const char *name, const char *const *choices, int def,
                  int *out, struct error *err)
{
    if (c->doc) {
        char list[160];
        size_t len = 0;
        list[0] = 0;
        for (int i = 0; choices[i] && len < sizeof list; i++)
            len += (size_t)snprintf(list + len, sizeof list - len, "%s%s", i ? ", " : "", choices[i]);
        describe(c, name, "string", choices[def], "%s", list);
    }
    struct config_entry *e = lookup(c, name);
    if (!e) {
        *out = def;
        return 0;
    }
    if (want(e, CONFIG_STR, "a string", err))
        return -1;
    for (int i = 0; choices[i]; i++)
        if (strcmp(choices[i], e->str) == 0) {
            *out = i;
            return 0;
        }
    size_t len = (size_t)snprintf(err->msg, sizeof err->msg, "option '%s' = \"%s\" is not one of: ", name, e->str);
    for (int i = 0; choices[i] && len < sizeof err->msg - 1; i++)
        len += (size_t)snprintf(err->msg + len, sizeof err->msg - len, "%s%s", i ? ", " : "", choices[i]);
    return -1;
}

int config_range_ms(struct config *c, const char *name, double def_lo, double def_hi,
                    sim_time out[2], struct error *err)
{
    char dd[48];
    snprintf(dd, sizeof dd, "{%g, %g}", def_lo, def_hi);
    describe(c, name, "range of ms", dd, "{min, max} or one number, 0 <= min <= max <= 1e12 ms");
    struct config_entry *e = lookup(c, name);
    double lo = def_lo, hi = def_hi;
    if (e) {
        if (e->type == CONFIG_NUM) {
            lo = hi = e->num;
        } else if (want(e, CONFIG_RANGE, "a range {min, max} in ms", err)) {
            return -1;
        } else {
            lo = e->range[0];
            hi = e->range[1];
        }
        /* Name what is wrong with the numbers given, not the rule alone. */
        const char *why = !(lo >= 0) ? "the minimum is below 0"
                        : !(hi <= 1e12) ? "the maximum is above 1e12 ms"
                        : !(hi >= lo) ? "the maximum is below the minimum" : NULL;
        if (why) {
            snprintf(err->msg, sizeof err->msg, "option '%s' = {%g, %g}: %s (a range in ms from 0 to 1e12, min <= max)",
                     name, lo, hi, why);
            return -1;
        }
    }
    out[0] = sim_ms_to_ns(lo);
    out[1] = sim_ms_to_ns(hi);
    return 0;
}

int config_dist(struct config *c, const char *name, const struct dist *def, struct dist *out,
                struct error *err)
{
    char dd[48];
    if (def->kind == DIST_CONST || def->kind == DIST_EXPONENTIAL)
        snprintf(dd, sizeof dd, "%s(%g)", dist_name(def->kind), def->a);
    else
        snprintf(dd, sizeof dd, "%s(%g, %g)", dist_name(def->kind), def->a, def->b);
    describe(c, name, "distribution", dd, "sim.const, uniform, exponential, lognormal, pareto (ms), or a number");
    struct config_entry *e = lookup(c, name);
    if (!e) {
        *out = *def;
        return 0;
    }
    if (e->type == CONFIG_NUM) {
        if (!(e->num >= 0 && e->num <= 1e12)) {
            snprintf(err->msg, sizeof err->msg, "option '%s' = %g: a constant time must be from 0 to 1e12 ms", name,
                     e->num);
            return -1;
        }
        out->kind = DIST_CONST;
        out->a = e->num;
        out->b = 0;
        return 0;
    }
    if (want(e, CONFIG_DIST, "a distribution such as sim.exponential(10) or a number of ms", err))
        return -1;
    *out = e->dist;
    return 0;
}

int config_list(struct config *c, const char *name, double lo, double hi, const double **out, int *n,
                struct error *err)
{
    char l[32], h[32];
    describe(c, name, "list", "none", "{x1, x2, ...}, each %s to %s", num(l, sizeof l, lo),
             num(h, sizeof h, hi));
    struct config_entry *e = lookup(c, name);
    *out = NULL;
    *n = 0;
    if (!e)
        return 0;
    if (e->type != CONFIG_RANGE && want(e, CONFIG_LIST, "a list of numbers {x1, x2, ...}", err))
        return -1;
    for (int i = 0; i < e->nlist; i++)
        if (!(e->list[i] >= lo && e->list[i] <= hi)) {
            snprintf(err->msg, sizeof err->msg, "option '%s': entry %d = %g is out of range [%g, %g]", name, i + 1,
                     e->list[i], lo, hi);
            return -1;
        }
    *out = e->list;
    *n = e->nlist;
    return 0;
}

int config_nodes(const struct config *c) { return c->nodes; }

int config_bug(const struct config *c, const char *name)
{
    for (int i = 0; i < c->nbugs; i++)
        if (strcmp(c->bugs[i], name) == 0)
            return 1;
    return 0;
}

const char *config_unknown(const struct config *c)
{
    for (int i = 0; i < c->n; i++)
        if (!c->e[i].used)
            return c->e[i].name;
    return NULL;
}

void config_known(const struct config *c, char *buf, size_t n)
{
    size_t len = 0;
    buf[0] = 0;
    for (int i = 0; i < c->nasked && len + 1 < n; i++)
        len += (size_t)snprintf(buf + len, n - len, "%s%s", i ? ", " : "", c->asked[i]);
}
