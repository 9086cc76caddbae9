/* Durable store (see store.h). A delete clears `present`, so entry indices
 * stay stable for the dirty list; once deleted entries make up half the
 * table, a sync (which empties the dirty list) drops them, so a store whose
 * keys come and go (a compacted log) stays the size of what it holds. */
#include "sim/store.h"

#include <stdlib.h>
#include <string.h>

static void *xrealloc(void *p, size_t n)
{
    void *r = realloc(p, n);
    if (!r && n)
        abort();
    return r;
}

void store_init(struct store *s) { memset(s, 0, sizeof *s); }

void store_free(struct store *s)
{
    for (size_t i = 0; i < s->len; i++) {
        free(s->e[i].key);
        free(s->e[i].durable.data);
        free(s->e[i].pending.data);
    }
    free(s->e);
    free(s->index);
    free(s->dirty);
    memset(s, 0, sizeof *s);
}

static uint64_t hash(const char *k)
{
    uint64_t h = 1469598103934665603ULL;        /* FNV-1a */
    for (; *k; k++)
        h = (h ^ (unsigned char)*k) * 1099511628211ULL;
    return h;
}

static void index_to(struct store *s, size_t cap)
{
    uint32_t *idx = calloc(cap, sizeof *idx);
    if (!idx)
        abort();
    for (size_t i = 0; i < s->len; i++) {
        size_t j = (size_t)hash(s->e[i].key) & (cap - 1);
        while (idx[j])
            j = (j + 1) & (cap - 1);
        idx[j] = (uint32_t)(i + 1);
    }
    free(s->index);
    s->index = idx;
    s->index_cap = cap;
}

static void reindex(struct store *s) { index_to(s, s->index_cap ? s->index_cap * 2 : 64); }

/* Drop deleted entries (none is dirty: called right after a sync). */
static void compact(struct store *s)
{
    size_t k = 0;
    for (size_t i = 0; i < s->len; i++) {
        struct store_entry *e = &s->e[i];
        if (!e->durable.present) {
            free(e->key);
            free(e->durable.data);
            free(e->pending.data);
            continue;
        }
        s->e[k++] = *e;
    }
    s->len = k;
    s->ndead = 0;
    index_to(s, s->index_cap);
}

static long find(const struct store *s, const char *key)
{
    if (!s->index_cap)
        return -1;
    for (size_t j = (size_t)hash(key) & (s->index_cap - 1);; j = (j + 1) & (s->index_cap - 1)) {
        uint32_t v = s->index[j];
        if (!v)
            return -1;
        if (strcmp(s->e[v - 1].key, key) == 0)
            return (long)(v - 1);
    }
}

static size_t find_or_add(struct store *s, const char *key)
{
    long i = find(s, key);
    if (i >= 0)
        return (size_t)i;
    if ((s->len + 1) * 2 > s->index_cap)
        reindex(s);
    if (s->len == s->cap) {
        s->cap = s->cap ? s->cap * 2 : 16;
        s->e = xrealloc(s->e, s->cap * sizeof *s->e);
    }
    struct store_entry *e = &s->e[s->len];
    memset(e, 0, sizeof *e);
    e->key = strdup(key);
    if (!e->key)
        abort();
    size_t j = (size_t)hash(key) & (s->index_cap - 1);
    while (s->index[j])
        j = (j + 1) & (s->index_cap - 1);
    s->index[j] = (uint32_t)(s->len + 1);
    return s->len++;
}

static void set_val(struct store_val *v, const void *data, size_t len, int present)
{
    if (present && len > v->cap) {
        v->cap = len < 32 ? 32 : len;
        v->data = xrealloc(v->data, v->cap);
    }
    if (present && len)
        memcpy(v->data, data, len);
    v->len = present ? len : 0;
    v->present = present;
}

static void mark_dirty(struct store *s, size_t i)
{
    if (s->e[i].dirty)
        return;
    s->e[i].dirty = 1;
    if (s->ndirty == s->dirty_cap) {
        s->dirty_cap = s->dirty_cap ? s->dirty_cap * 2 : 16;
        s->dirty = xrealloc(s->dirty, s->dirty_cap * sizeof *s->dirty);
    }
    s->dirty[s->ndirty++] = (uint32_t)i;
}

int store_put(struct store *s, const char *key, const void *data, size_t len)
{
    size_t i = find_or_add(s, key);
    set_val(&s->e[i].pending, data, len, 1);
    mark_dirty(s, i);
    return 0;
}

const void *store_get(const struct store *s, const char *key, size_t *len)
{
    long i = find(s, key);
    if (i < 0)
        return NULL;
    const struct store_entry *e = &s->e[i];
    const struct store_val *v = e->dirty ? &e->pending : &e->durable;
    if (!v->present)
        return NULL;
    if (len)
        *len = v->len;
    return v->data ? (const void *)v->data : (const void *)"";
}

int store_del(struct store *s, const char *key)
{
    long i = find(s, key);
    if (i < 0)
        return 0;
    set_val(&s->e[i].pending, NULL, 0, 0);
    mark_dirty(s, (size_t)i);
    return 1;
}

void store_sync(struct store *s)
{
    for (size_t k = 0; k < s->ndirty; k++) {
        struct store_entry *e = &s->e[s->dirty[k]];
        s->bytes -= e->durable.len;
        if (e->durable.present && !e->pending.present) {
            e->dead = 1;
            s->ndead++;
        } else if (e->dead && e->pending.present) {
            e->dead = 0;
            s->ndead--;
        }
        set_val(&e->durable, e->pending.data, e->pending.len, e->pending.present);
        s->bytes += e->durable.len;
        e->dirty = 0;
    }
    s->ndirty = 0;
    if (s->ndead > 64 && s->ndead * 2 > s->len)
        compact(s);
}

size_t store_crash(struct store *s, int lose_unsynced)
{
    size_t lost = s->ndirty;
    if (!lose_unsynced) {
        store_sync(s);
        return 0;
    }
    for (size_t k = 0; k < s->ndirty; k++)
        s->e[s->dirty[k]].dirty = 0;
    s->ndirty = 0;
    return lost;
}

size_t store_unsynced(const struct store *s) { return s->ndirty; }
