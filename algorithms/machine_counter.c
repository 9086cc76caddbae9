/* The replicated counter machine (config.machine = "counter").
 *
 *   incr{key, num}  -> ok, num = the new value (value: the same, as text);
 *                      num defaults to 1
 *   read{key}       -> ok, num = the value (0 for a key never incremented)
 *
 * An increment is not idempotent: applied twice it counts twice, so only the
 * session layer (machine.c, thesis §6.3) stands between a retried incr and a
 * wrong count. Keys in first-use order, the same on every replica. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "algorithms/kv.h"
#include "algorithms/machine.h"
#include "algorithms/rsm.h"

struct counter {
    struct kv_table keys;
    int64_t *v;
    size_t cap;
};

static void c_init(void *st) { kv_table_init(&((struct counter *)st)->keys); }

static void c_free(void *st)
{
    struct counter *c = st;
    kv_table_free(&c->keys);
    free(c->v);
}

static int64_t *slot(struct counter *c, const char *key)
{
    size_t k = kv_table_add_with(&c->keys, key, &c->v, &c->cap, sizeof *c->v);
    return &c->v[k];
}

static int64_t value(const struct counter *c, const char *key)
{
    long k = kv_table_find(&c->keys, key);
    return k < 0 ? 0 : c->v[k];
}

static int c_kind(const char *op)
{
    if (strcmp(op, "read") == 0)
        return MACHINE_OP_READ;
    if (strcmp(op, "incr") == 0)
        return MACHINE_OP_UPDATE;
    return MACHINE_OP_UNKNOWN;
}

static void answer(struct result *out, int64_t v)
{
    out->status = RESULT_OK;
    out->found = 1;
    out->num = v;
    snprintf(out->value, sizeof out->value, "%lld", (long long)v);
}

static int c_exec(void *st, const struct request *cmd, uint64_t index, struct result *out)
{
    (void)index;
    struct counter *c = st;
    if (strcmp(cmd->op, "read") == 0) {
        answer(out, value(c, cmd->key));
        return 0;
    }
    if (strcmp(cmd->op, "incr") != 0) {
        out->status = RESULT_FAIL;
        snprintf(out->error, sizeof out->error, "unknown op %.30s", cmd->op);
        return 0;
    }
    int64_t *p = slot(c, cmd->key);
    *p += cmd->num ? cmd->num : 1;
    answer(out, *p);
    return 1;
}

static void c_query(const void *st, const struct request *cmd, struct result *out)
{
    answer(out, value(st, cmd->key));
}

/* count, then per key its name (with the terminator) and value */
static void c_save(const void *st, struct machine_buf *b)
{
    const struct counter *c = st;
    uint32_t n = (uint32_t)c->keys.len;
    machine_buf_put(b, &n, sizeof n);
    for (size_t i = 0; i < c->keys.len; i++) {
        machine_buf_put(b, c->keys.keys[i], strnlen(c->keys.keys[i], REQ_STR - 1) + 1);
        machine_buf_put(b, &c->v[i], sizeof c->v[i]);
    }
}

static void c_load(void *st, struct machine_reader *r)
{
    struct counter *c = st;
    uint32_t n;
    machine_read(r, &n, sizeof n);
    for (uint32_t i = 0; i < n && !r->bad; i++) {
        char key[REQ_STR];
        int64_t v;
        machine_read_str(r, key);
        machine_read(r, &v, sizeof v);
        if (!r->bad)
            *slot(c, key) = v;
    }
}

static void c_inspect(const void *st, struct inspector *in)
{
    const struct counter *c = st;
    int64_t total = 0;
    for (size_t i = 0; i < c->keys.len; i++)
        total += c->v[i];
    inspect_int(in, "keys", (int64_t)c->keys.len);
    inspect_int(in, "total", total);
}

const struct machine_ops machine_counter = {
    .name = "counter",
    .ops = "incr, read",
    .state_size = sizeof(struct counter),
    .init = c_init,
    .free = c_free,
    .kind = c_kind,
    .exec = c_exec,
    .query = c_query,
    .save = c_save,
    .load = c_load,
    .inspect = c_inspect,
};
