/* Helpers shared by the replicated-log algorithms (see rsm.h). */
#include "algorithms/rsm.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "algorithms/kv.h"

void *rsm_xrealloc(void *p, size_t n)
{
    void *r = realloc(p, n ? n : 1);
    if (!r)
        abort();
    return r;
}

void *rsm_xcalloc(size_t n, size_t size)
{
    void *p = calloc(n ? n : 1, size ? size : 1);
    if (!p)
        abort();
    return p;
}

void rsm_copy_request(struct request *dst, const struct request *src)
{
    memset(dst, 0, sizeof *dst);
    dst->id = src->id;
    dst->client = src->client;
    dst->seq = src->seq;
    dst->num = src->num;
    snprintf(dst->op, sizeof dst->op, "%.*s", (int)sizeof src->op - 1, src->op);
    snprintf(dst->key, REQ_STR, "%.*s", REQ_STR - 1, src->key);
    snprintf(dst->value, REQ_STR, "%.*s", REQ_STR - 1, src->value);
    snprintf(dst->expect, REQ_STR, "%.*s", REQ_STR - 1, src->expect);
}

uint64_t rsm_request_digest(uint64_t h, const struct request *r, int with_id)
{
    if (with_id)
        h = kv_fnv(h, &r->id, sizeof r->id);
    h = kv_fnv(h, &r->client, sizeof r->client);
    h = kv_fnv(h, &r->seq, sizeof r->seq);
    h = kv_fnv(h, &r->num, sizeof r->num);
    h = kv_fnv(h, r->op, strnlen(r->op, sizeof r->op));
    h = kv_fnv(h, "|", 1);
    h = kv_fnv(h, r->key, strnlen(r->key, REQ_STR));
    h = kv_fnv(h, "|", 1);
    h = kv_fnv(h, r->value, strnlen(r->value, REQ_STR));
    h = kv_fnv(h, "|", 1);
    h = kv_fnv(h, r->expect, strnlen(r->expect, REQ_STR));
    return h;
}

int rsm_fail(struct violation *v, const char *invariant, const char *fmt, ...)
{
    snprintf(v->invariant, sizeof v->invariant, "%s", invariant);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(v->detail, sizeof v->detail, fmt, ap);
    va_end(ap);
    return 1;
}
