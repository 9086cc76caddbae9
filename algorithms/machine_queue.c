/* The replicated FIFO queue machine (config.machine = "queue").
 *
 *   enq{key, value}  -> ok
 *   deq{key}         -> ok with found = 1 and the oldest value, or ok with
 *                       found = 0 when the queue is empty
 *
 * A dequeue changes the state, so it must go through the log like an
 * enqueue: a leader that answered one from its own state (the seeded bug
 * raft.deq_from_local_state, through machine_peek) can hand the same item
 * to two consumers. Queues in first-use order, the same on every replica. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "algorithms/kv.h"
#include "algorithms/machine.h"
#include "algorithms/rsm.h"

struct fifo {
    char (*v)[REQ_STR];
    size_t head, len, cap;    /* a ring */
};

struct queue_sm {
    struct kv_table keys;
    struct fifo *q;
    size_t cap;
};

static void q_init(void *st) { kv_table_init(&((struct queue_sm *)st)->keys); }

static void q_free(void *st)
{
    struct queue_sm *s = st;
    for (size_t i = 0; i < s->keys.len; i++)
        free(s->q[i].v);
    free(s->q);
    kv_table_free(&s->keys);
}

static struct fifo *fifo(struct queue_sm *s, const char *key)
{
    size_t k = kv_table_add_with(&s->keys, key, &s->q, &s->cap, sizeof *s->q);
    return &s->q[k];
}

static const struct fifo *find(const struct queue_sm *s, const char *key)
{
    long k = kv_table_find(&s->keys, key);
    return k < 0 ? NULL : &s->q[k];
}

static void push(struct fifo *f, const char *value)
{
    if (f->len == f->cap) {
        size_t cap = f->cap ? 2 * f->cap : 8;
        char (*v)[REQ_STR] = rsm_xcalloc(cap, REQ_STR);
        for (size_t i = 0; i < f->len; i++)
            memcpy(v[i], f->v[(f->head + i) % f->cap], REQ_STR);
        free(f->v);
        f->v = v;
        f->cap = cap;
        f->head = 0;
    }
    char *slot = f->v[(f->head + f->len) % f->cap];
    memset(slot, 0, REQ_STR);
    snprintf(slot, REQ_STR, "%s", value);
    f->len++;
}

static int q_kind(const char *op)
{
    if (strcmp(op, "enq") == 0 || strcmp(op, "deq") == 0)
        return MACHINE_OP_UPDATE;
    return MACHINE_OP_UNKNOWN;
}

static void head_of(const struct fifo *f, struct result *out)
{
    out->status = RESULT_OK;
    if (f && f->len) {
        out->found = 1;
        memcpy(out->value, f->v[f->head], REQ_STR);
    }
}

static int q_exec(void *st, const struct request *cmd, uint64_t index, struct result *out)
{
    (void)index;
    struct queue_sm *s = st;
    if (strcmp(cmd->op, "enq") == 0) {
        push(fifo(s, cmd->key), cmd->value);
        out->status = RESULT_OK;
        return 1;
    }
    if (strcmp(cmd->op, "deq") == 0) {
        long k = kv_table_find(&s->keys, cmd->key);
        struct fifo *f = k < 0 ? NULL : &s->q[k];
        head_of(f, out);
        if (!out->found)
            return 0;
        f->head = (f->head + 1) % f->cap;
        f->len--;
        return 1;
    }
    out->status = RESULT_FAIL;
    snprintf(out->error, sizeof out->error, "unknown op %.30s", cmd->op);
    return 0;
}

/* The head, without taking it: only machine_peek (a seeded bug) asks. */
static void q_query(const void *st, const struct request *cmd, struct result *out)
{
    head_of(find(st, cmd->key), out);
}

/* count, then per queue its name, its length and its values, oldest first */
static void q_save(const void *st, struct machine_buf *b)
{
    const struct queue_sm *s = st;
    uint32_t n = (uint32_t)s->keys.len;
    machine_buf_put(b, &n, sizeof n);
    for (size_t i = 0; i < s->keys.len; i++) {
        const struct fifo *f = &s->q[i];
        machine_buf_put(b, s->keys.keys[i], strnlen(s->keys.keys[i], REQ_STR - 1) + 1);
        uint32_t len = (uint32_t)f->len;
        machine_buf_put(b, &len, sizeof len);
        for (size_t j = 0; j < f->len; j++) {
            const char *v = f->v[(f->head + j) % f->cap];
            machine_buf_put(b, v, strnlen(v, REQ_STR - 1) + 1);
        }
    }
}

static void q_load(void *st, struct machine_reader *r)
{
    struct queue_sm *s = st;
    uint32_t n;
    machine_read(r, &n, sizeof n);
    for (uint32_t i = 0; i < n && !r->bad; i++) {
        char key[REQ_STR], v[REQ_STR];
        uint32_t len;
        machine_read_str(r, key);
        machine_read(r, &len, sizeof len);
        if (r->bad || len > r->len)
            return;
        struct fifo *f = fifo(s, key);
        for (uint32_t j = 0; j < len && !r->bad; j++) {
            machine_read_str(r, v);
            push(f, v);
        }
    }
}

static void q_inspect(const void *st, struct inspector *in)
{
    const struct queue_sm *s = st;
    int64_t items = 0;
    for (size_t i = 0; i < s->keys.len; i++)
        items += (int64_t)s->q[i].len;
    inspect_int(in, "queues", (int64_t)s->keys.len);
    inspect_int(in, "items", items);
}

const struct machine_ops machine_queue = {
    .name = "queue",
    .ops = "enq, deq",
    .state_size = sizeof(struct queue_sm),
    .init = q_init,
    .free = q_free,
    .kind = q_kind,
    .exec = q_exec,
    .query = q_query,
    .save = q_save,
    .load = q_load,
    .inspect = q_inspect,
};
