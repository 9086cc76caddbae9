/* The replicated key-value state machine (see kv.h). */
#include "algorithms/kv.h"

#include "algorithms/machine.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void *xrealloc(void *p, size_t n)
{
    void *r = realloc(p, n ? n : 1);
    if (!r)
        abort();
    return r;
}

uint64_t kv_fnv(uint64_t h, const void *data, size_t len)
{
    const unsigned char *p = data;
    for (size_t i = 0; i < len; i++)
        h = (h ^ p[i]) * 1099511628211ULL;
    return h;
}

static uint64_t str_hash(const char *s)
{
    return kv_fnv(KV_FNV_INIT, s, strlen(s));
}

/* ------------------------------------------------------------- the table */

void kv_table_init(struct kv_table *t) { memset(t, 0, sizeof *t); }

void kv_table_free(struct kv_table *t)
{
    free(t->keys);
    free(t->index);
    memset(t, 0, sizeof *t);
}

long kv_table_find(const struct kv_table *t, const char *key)
{
    if (!t->index_cap)
        return -1;
    for (size_t j = (size_t)str_hash(key) & (t->index_cap - 1);; j = (j + 1) & (t->index_cap - 1)) {
        uint32_t v = t->index[j];
        if (!v)
            return -1;
        if (strcmp(t->keys[v - 1], key) == 0)
            return (long)(v - 1);
    }
}

static void place(struct kv_table *t, size_t slot)
{
    size_t j = (size_t)str_hash(t->keys[slot]) & (t->index_cap - 1);
    while (t->index[j])
        j = (j + 1) & (t->index_cap - 1);
    t->index[j] = (uint32_t)(slot + 1);
}

size_t kv_table_add(struct kv_table *t, const char *key)
{
    long found = kv_table_find(t, key);
    if (found >= 0)
        return (size_t)found;
    if ((t->len + 1) * 2 > t->index_cap) {
        free(t->index);
        t->index_cap = t->index_cap ? t->index_cap * 2 : 16;
        t->index = calloc(t->index_cap, sizeof *t->index);
        if (!t->index)
            abort();
        for (size_t i = 0; i < t->len; i++)
            place(t, i);
    }
    if (t->len == t->cap) {
        t->cap = t->cap ? t->cap * 2 : 16;
        t->keys = xrealloc(t->keys, t->cap * sizeof *t->keys);
    }
    size_t slot = t->len++;
    snprintf(t->keys[slot], REQ_STR, "%s", key);
    place(t, slot);
    return slot;
}

size_t kv_table_add_with(struct kv_table *t, const char *key, void *arr, size_t *cap, size_t elem)
{
    size_t slot = kv_table_add(t, key);
    if (t->len > *cap) {
        void **pa = arr;
        *pa = xrealloc(*pa, t->cap * elem);
        memset((char *)*pa + *cap * elem, 0, (t->cap - *cap) * elem);
        *cap = t->cap;
    }
    return slot;
}

/* ------------------------------------------------------ the state machine */

void kv_init(struct kv *kv) { memset(kv, 0, sizeof *kv); }

void kv_free(struct kv *kv)
{
    kv_table_free(&kv->table);
    free(kv->values);
    free(kv->present);
    memset(kv, 0, sizeof *kv);
}

static size_t slot_for(struct kv *kv, const char *key)
{
    size_t slot = kv_table_add(&kv->table, key);
    if (kv->table.len > kv->values_cap) {
        size_t cap = kv->table.cap;
        kv->values = xrealloc(kv->values, cap * sizeof *kv->values);
        kv->present = xrealloc(kv->present, cap);
        memset(kv->present + kv->values_cap, 0, cap - kv->values_cap);
        kv->values_cap = cap;
    }
    return slot;
}

int kv_read(const struct kv *kv, const char *key, char value[REQ_STR])
{
    long slot = kv_table_find(&kv->table, key);
    if (slot < 0 || (size_t)slot >= kv->values_cap || !kv->present[slot]) {
        value[0] = 0;
        return 0;
    }
    memcpy(value, kv->values[slot], REQ_STR);
    return 1;
}

int kv_exec(struct kv *kv, const struct request *cmd, struct result *out)
{
    memset(out, 0, sizeof *out);
    out->status = RESULT_OK;
    if (strcmp(cmd->op, "get") == 0) {
        out->found = kv_read(kv, cmd->key, out->value);
        return 0;
    }
    if (strcmp(cmd->op, "put") == 0) {
        size_t slot = slot_for(kv, cmd->key);
        memcpy(kv->values[slot], cmd->value, REQ_STR);
        kv->values[slot][REQ_STR - 1] = 0;
        kv->present[slot] = 1;
        return 1;
    }
    if (strcmp(cmd->op, "cas") == 0) {
        char cur[REQ_STR];
        if (!kv_read(kv, cmd->key, cur) || strncmp(cur, cmd->expect, REQ_STR) != 0) {
            out->status = RESULT_FAIL;
            snprintf(out->error, sizeof out->error, "cas mismatch");
            return 0;
        }
        size_t slot = slot_for(kv, cmd->key);
        memcpy(kv->values[slot], cmd->value, REQ_STR);
        kv->values[slot][REQ_STR - 1] = 0;
        kv->present[slot] = 1;
        return 1;
    }
    out->status = RESULT_FAIL;
    snprintf(out->error, sizeof out->error, "unknown op %.30s", cmd->op);
    return 0;
}

uint64_t kv_result_digest(const struct result *r)
{
    uint64_t h = KV_FNV_INIT;
    int st = (int)r->status;
    h = kv_fnv(h, &st, sizeof st);
    h = kv_fnv(h, &r->found, sizeof r->found);
    h = kv_fnv(h, r->value, strnlen(r->value, REQ_STR));
    h = kv_fnv(h, "|", 1);
    h = kv_fnv(h, r->error, strnlen(r->error, REQ_STR));
    return h;
}

/* ------------------------------------------------ as a replicated machine */

static void m_init(void *st) { kv_init(st); }
static void m_free(void *st) { kv_free(st); }

static int m_kind(const char *op)
{
    if (strcmp(op, "get") == 0)
        return MACHINE_OP_READ;
    if (strcmp(op, "put") == 0 || strcmp(op, "cas") == 0)
        return MACHINE_OP_UPDATE;
    return MACHINE_OP_UNKNOWN;
}

static int m_exec(void *st, const struct request *cmd, uint64_t index, struct result *out)
{
    (void)index;
    return kv_exec(st, cmd, out);
}

static void m_query(const void *st, const struct request *cmd, struct result *out)
{
    out->status = RESULT_OK;
    out->found = kv_read(st, cmd->key, out->value);
}

/* Present keys in slot order (insertion order, the same on every replica):
 * count, then key and value, each as its C string with the terminator. */
static void m_save(const void *st, struct machine_buf *b)
{
    const struct kv *kv = st;
    uint32_t n = 0;
    for (size_t i = 0; i < kv->table.len; i++)
        n += i < kv->values_cap && kv->present[i];
    machine_buf_put(b, &n, sizeof n);
    for (size_t i = 0; i < kv->table.len; i++)
        if (i < kv->values_cap && kv->present[i]) {
            machine_buf_put(b, kv->table.keys[i], strnlen(kv->table.keys[i], REQ_STR - 1) + 1);
            machine_buf_put(b, kv->values[i], strnlen(kv->values[i], REQ_STR - 1) + 1);
        }
}

static void m_load(void *st, struct machine_reader *r)
{
    struct kv *kv = st;
    uint32_t n;
    machine_read(r, &n, sizeof n);
    for (uint32_t i = 0; i < n && !r->bad; i++) {
        char key[REQ_STR], value[REQ_STR];
        machine_read_str(r, key);
        machine_read_str(r, value);
        if (r->bad)
            return;
        size_t slot = slot_for(kv, key);
        memcpy(kv->values[slot], value, REQ_STR);
        kv->present[slot] = 1;
    }
}

static void m_inspect(const void *st, struct inspector *in)
{
    inspect_int(in, "keys", (int64_t)((const struct kv *)st)->table.len);
}

const struct machine_ops machine_kv = {
    .name = "kv",
    .ops = "get, put, cas",
    .state_size = sizeof(struct kv),
    .init = m_init,
    .free = m_free,
    .kind = m_kind,
    .exec = m_exec,
    .query = m_query,
    .save = m_save,
    .load = m_load,
    .inspect = m_inspect,
};
