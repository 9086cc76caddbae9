/* tools/check_models.c: the models `clustersim check` holds a key's
 * operations to, beyond the read/write/cas register of check.c.
 *
 * Which model a key follows is read from its operations: a key with an
 * incr is a counter, one with an enq or deq a FIFO queue, one with an
 * acquire a lock. Each model's state is an int for check.c's search (and
 * its memo of (linearized set, state) pairs):
 *
 *   counter  the value. incr{num} adds num (1 if none); an ok incr that
 *            reported the new value must see exactly it; read = value must
 *            match. An incr whose outcome is unknown may count, once, at any
 *            time after its call, or never: so the final value lies between
 *            the acknowledged increments and those plus the unknown ones.
 *   queue    the sequence of items (interned here). enq appends; an ok deq
 *            takes the head, which must be the value it returned (none: the
 *            queue was empty); a deq of unknown outcome may take the head or
 *            nothing. So no item comes out twice, none acknowledged is lost
 *            before a later deq comes up empty, and the order is FIFO.
 *   lock     the last fencing token granted. An ok acquire's token must be
 *            higher: tokens grow in the order grants take effect, so a grant
 *            that returned before another was asked for has the smaller one.
 *            Releases and expiries do not change it (an expiry is not a
 *            client operation, so the holder cannot be modelled soundly).
 *
 * The interned queue states live here, reset per key by check.c. */
#include "tools/check_models.h"

#include <stdlib.h>
#include <string.h>

#include "tools/cmd.h"

enum { K_INCR = MODEL_KIND_BASE, K_CREAD, K_ENQ, K_DEQ, K_ACQ };

/* Queue states: sequences of item ids, interned; state 0 is the empty one. */
struct qstate {
    int *items;
    size_t n;
    uint64_t hash;
};

static struct {
    struct qstate *v;
    size_t n, cap;
    char **items;            /* item text, by id - 1 */
    size_t nitems;
} Q;

static uint64_t hash_items(const int *items, size_t n)
{
    uint64_t h = 1469598103934665603ULL;
    for (size_t i = 0; i < n; i++)
        h = (h ^ (uint64_t)(unsigned)items[i]) * 1099511628211ULL;
    return h;
}

static int intern_state(const int *items, size_t n)
{
    uint64_t h = hash_items(items, n);
    for (size_t i = 0; i < Q.n; i++)
        if (Q.v[i].hash == h && Q.v[i].n == n && (n == 0 || memcmp(Q.v[i].items, items, n * sizeof *items) == 0))
            return (int)i;
    if (Q.n == Q.cap) {
        Q.cap = Q.cap ? 2 * Q.cap : 64;
        Q.v = xrealloc(Q.v, Q.cap * sizeof *Q.v);
    }
    struct qstate *s = &Q.v[Q.n];
    s->items = xrealloc(NULL, (n ? n : 1) * sizeof *items);
    if (n)
        memcpy(s->items, items, n * sizeof *items);
    s->n = n;
    s->hash = h;
    return (int)Q.n++;
}

static int intern_item(const char *text)
{
    const char *t = text ? text : "null";
    for (size_t i = 0; i < Q.nitems; i++)
        if (strcmp(Q.items[i], t) == 0)
            return (int)i + 1;
    Q.items = xrealloc(Q.items, (Q.nitems + 1) * sizeof *Q.items);
    Q.items[Q.nitems++] = xstrdup(t);
    return (int)Q.nitems;
}

void model_done(void)
{
    model_reset();
    free(Q.v[0].items);
    free(Q.v);
    memset(&Q, 0, sizeof Q);
}

void model_describe(const struct trace_op *op, FILE *f)
{
    int model = model_op(op->f);
    const char *fn = op->f ? op->f : "";
    if (model == MODEL_NONE && strcmp(fn, "read") != 0)
        return;
    if (strcmp(fn, "enq") == 0)
        fprintf(f, " %s", op->value ? op->value : "null");
    else if (strcmp(fn, "incr") == 0)
        fprintf(f, " +%lld", (long long)(op->num ? op->num : 1));
    if (op->status == OP_OK && strcmp(fn, "deq") == 0)
        fprintf(f, " = %s", op->result ? op->result : "null");
    else if (op->status == OP_OK && op->has_result_num && (model != MODEL_NONE || strcmp(fn, "read") == 0))
        fprintf(f, " = %lld", (long long)op->result_num);
}

void model_reset(void)
{
    for (size_t i = 0; i < Q.n; i++)
        free(Q.v[i].items);
    for (size_t i = 0; i < Q.nitems; i++)
        free(Q.items[i]);
    free(Q.v);
    free(Q.items);
    memset(&Q, 0, sizeof Q);
    intern_state(NULL, 0);   /* state 0: empty */
}

int model_op(const char *f)
{
    if (!f)
        return MODEL_NONE;
    if (strcmp(f, "incr") == 0)
        return MODEL_COUNTER;
    if (strcmp(f, "enq") == 0 || strcmp(f, "deq") == 0)
        return MODEL_QUEUE;
    if (strcmp(f, "acquire") == 0 || strcmp(f, "release") == 0 || strcmp(f, "renew") == 0)
        return MODEL_LOCK;
    return MODEL_NONE;
}

const char *model_name(int model)
{
    static const char *const names[] = { "register", "counter", "queue", "lock" };
    return names[model];
}

int model_of_key(const struct trace_ops *ops, const char *key)
{
    int model = MODEL_NONE;
    for (size_t i = 0; i < ops->n && !model; i++)
        if (strcmp(ops->v[i].key ? ops->v[i].key : "", key) == 0)
            model = model_op(ops->v[i].f);
    return model;
}

/* A JSON number's text as an int; 0 and *ok = 0 when it is not one. */
static int as_int(const char *text, int *ok)
{
    char *end;
    if (!text)
        return *ok = 0;
    const char *t = text[0] == '"' ? text + 1 : text;
    long v = strtol(t, &end, 10);
    *ok = end != t;
    return (int)v;
}

int model_lop(int model, const struct trace_op *op, int *kind, int *arg, int *result)
{
    const char *f = op->f ? op->f : "";
    int known = op->status == OP_OK;
    *arg = *result = 0;
    switch (model) {
    case MODEL_COUNTER:
        if (strcmp(f, "incr") == 0) {
            *kind = K_INCR;
            *arg = op->num ? (int)op->num : 1;
            *result = known && op->has_result_num ? (int)op->result_num : -1;
            return 1;
        }
        if (strcmp(f, "read") == 0 && known) {
            int ok;
            *kind = K_CREAD;
            *result = op->has_result_num ? (int)op->result_num : as_int(op->result, &ok);
            return 1;
        }
        return 0;
    case MODEL_QUEUE:
        if (strcmp(f, "enq") == 0) {
            *kind = K_ENQ;
            *arg = intern_item(op->value);
            return 1;
        }
        if (strcmp(f, "deq") == 0) {
            *kind = K_DEQ;
            /* -1: unknown outcome; 0: came back empty; else the item */
            *result = !known ? -1 : (!op->result || strcmp(op->result, "null") == 0) ? 0 : intern_item(op->result);
            return 1;
        }
        return 0;
    case MODEL_LOCK:
        if (strcmp(f, "acquire") == 0 && known && op->has_result_num) {
            *kind = K_ACQ;
            *result = (int)op->result_num;
            return 1;
        }
        return 0;
    }
    return 0;
}

int model_step(int kind, int arg, int result, int state, int *next)
{
    switch (kind) {
    case K_INCR:
        *next = state + arg;
        return result < 0 || result == *next;
    case K_CREAD:
        *next = state;
        return result == state;
    case K_ACQ:
        *next = result;
        return result > state;
    case K_ENQ: {
        const struct qstate *s = &Q.v[state];
        int *items = xrealloc(NULL, (s->n + 1) * sizeof *items);
        if (s->n)
            memcpy(items, s->items, s->n * sizeof *items);
        items[s->n] = arg;
        /* intern_state may move Q.v: s is not used after it */
        *next = intern_state(items, s->n + 1);
        free(items);
        return 1;
    }
    case K_DEQ: {
        const struct qstate *s = &Q.v[state];
        if (s->n == 0) {
            *next = state;
            return result <= 0;      /* empty: only "empty" or an unknown outcome fits */
        }
        if (result == 0 || (result > 0 && s->items[0] != result))
            return 0;
        *next = intern_state(s->items + 1, s->n - 1);
        return 1;
    }
    }
    return 0;
}

/* ---- direct checks: what each model promises, without the search ----
 *
 * The search above is exponential in the operations of unknown outcome (an
 * unknown incr may or may not have counted, at any moment after its call).
 * These checks are polynomial and need no budget; check.c runs them on every
 * counter and queue key, and the search only when few outcomes are unknown.
 *
 *   counter (Jepsen's counter checker): every value an ok read or incr
 *   returned lies between the increments that had certainly happened (ok,
 *   returned before it was called; an incr counts itself) and those that
 *   could have (called before it returned, ok or unknown).
 *   queue: no item dequeued twice; none dequeued that was never enqueued;
 *   FIFO (if enq a returned before enq b was called, a deq of b must not
 *   return before a deq of a is called); and no acknowledged item lost (a
 *   deq that came back empty although an item enqueued before it was called
 *   could not have been taken by any deq called before it returned). */

long model_keys_unsearched;

typedef void describe_fn(const struct trace_op *op, int history, FILE *f);

static int same_key(const struct trace_op *op, const char *key)
{
    return strcmp(op->key ? op->key : "", key) == 0;
}

static int is(const struct trace_op *op, const char *f) { return op->f && strcmp(op->f, f) == 0; }

static void show(describe_fn *describe, const struct trace_op *op, int history)
{
    printf("    ");
    describe(op, history, stdout);
}

static int counter_check(const struct trace_ops *ops, const char *key, describe_fn *describe, int history)
{
    for (size_t i = 0; i < ops->n; i++) {
        const struct trace_op *r = &ops->v[i];
        if (!same_key(r, key) || r->status != OP_OK || !(is(r, "read") || (is(r, "incr") && r->has_result_num)))
            continue;
        int ok;
        int64_t got = r->has_result_num ? r->result_num : as_int(r->result, &ok);
        int64_t lo = 0, hi = 0;
        for (size_t j = 0; j < ops->n; j++) {
            const struct trace_op *w = &ops->v[j];
            if (!same_key(w, key) || !is(w, "incr") || w->status == OP_FAIL)
                continue;
            int64_t amount = w->num ? w->num : 1;
            if (j == i || (w->status == OP_OK && w->complete_pos < r->invoke_pos))
                lo += amount;
            if (j == i || w->invoke_pos < r->complete_pos)
                hi += amount;
        }
        if (got >= lo && got <= hi)
            continue;
        printf("key %s: NOT a counter: a value no count of the increments gives\n", key);
        show(describe, r, history);
        printf("  increments certainly done before it: %lld; possibly done before it returned: %lld\n",
               (long long)lo, (long long)hi);
        return 1;
    }
    return 0;
}

static const struct trace_op *deq_of(const struct trace_ops *ops, const char *key, const char *item, size_t after,
                                     size_t *at)
{
    for (size_t i = after; i < ops->n; i++) {
        const struct trace_op *d = &ops->v[i];
        if (same_key(d, key) && is(d, "deq") && d->status == OP_OK && d->result && strcmp(d->result, item) == 0) {
            *at = i;
            return d;
        }
    }
    return NULL;
}

static int queue_check(const struct trace_ops *ops, const char *key, describe_fn *describe, int history)
{
    for (size_t i = 0; i < ops->n; i++) {
        const struct trace_op *d = &ops->v[i];
        if (!same_key(d, key) || !is(d, "deq") || d->status != OP_OK || !d->result || strcmp(d->result, "null") == 0)
            continue;
        size_t at;
        if (deq_of(ops, key, d->result, i + 1, &at)) {
            printf("key %s: NOT a queue: item %s dequeued twice\n", key, d->result);
            show(describe, d, history);
            show(describe, &ops->v[at], history);
            return 1;
        }
        const struct trace_op *e = NULL;
        for (size_t j = 0; j < ops->n && !e; j++)
            if (same_key(&ops->v[j], key) && is(&ops->v[j], "enq") && ops->v[j].status != OP_FAIL &&
                ops->v[j].value && strcmp(ops->v[j].value, d->result) == 0)
                e = &ops->v[j];
        if (!e || e->invoke_pos > d->complete_pos) {
            printf("key %s: NOT a queue: item %s dequeued but never enqueued before\n", key, d->result);
            show(describe, d, history);
            return 1;
        }
        /* FIFO: an item enqueued before this one (strictly) is dequeued too late */
        for (size_t j = 0; j < ops->n; j++) {
            const struct trace_op *a = &ops->v[j];
            if (!same_key(a, key) || !is(a, "enq") || a->status != OP_OK || a->complete_pos > e->invoke_pos || !a->value)
                continue;
            const struct trace_op *da = deq_of(ops, key, a->value, 0, &at);
            if (da && d->complete_pos < da->invoke_pos) {
                printf("key %s: NOT a queue: %s came out before %s, enqueued earlier (not FIFO)\n", key, d->result,
                       a->value);
                show(describe, a, history);
                show(describe, e, history);
                show(describe, d, history);
                show(describe, da, history);
                return 1;
            }
        }
    }
    /* an empty answer while an acknowledged item could not have been taken */
    for (size_t i = 0; i < ops->n; i++) {
        const struct trace_op *d = &ops->v[i];
        if (!same_key(d, key) || !is(d, "deq") || d->status != OP_OK || (d->result && strcmp(d->result, "null") != 0))
            continue;
        for (size_t j = 0; j < ops->n; j++) {
            const struct trace_op *a = &ops->v[j];
            if (!same_key(a, key) || !is(a, "enq") || a->status != OP_OK || a->complete_pos > d->invoke_pos || !a->value)
                continue;
            int taken = 0;
            for (size_t k = 0; k < ops->n && !taken; k++) {
                const struct trace_op *o = &ops->v[k];
                taken = k != i && same_key(o, key) && is(o, "deq") && o->invoke_pos < d->complete_pos &&
                        (o->status == OP_INFO || (o->result && strcmp(o->result, a->value) == 0));
            }
            if (!taken) {
                printf("key %s: NOT a queue: acknowledged item %s lost: a later deq found the queue empty\n", key,
                       a->value);
                show(describe, a, history);
                show(describe, d, history);
                return 1;
            }
        }
    }
    return 0;
}

int model_direct_check(int model, const struct trace_ops *ops, const char *key,
                       void (*describe)(const struct trace_op *, int, FILE *), int history, size_t *unknown)
{
    *unknown = 0;
    for (size_t i = 0; i < ops->n; i++)
        *unknown += same_key(&ops->v[i], key) && ops->v[i].status == OP_INFO && model_op(ops->v[i].f) == model;
    if (model == MODEL_COUNTER)
        return counter_check(ops, key, describe, history);
    if (model == MODEL_QUEUE)
        return queue_check(ops, key, describe, history);
    return 0;
}
