/* tools/check.c: `clustersim check` — validate a trace, and check that the
 * client history it records is linearizable.
 *
 * Structure: every line is a JSON object; the shared reader
 * (trace_read.c) enforces the trace's rules, so check, export and plot
 * reject the same files; here a trace must also end with an "end" record
 * (without one it was cut short). The summary counts records by type and
 * repeats the run's own verdict (end status, violation records).
 *
 * The file may instead be a Jepsen history (`clustersim export --to
 * history`, or another tool's): one event a line, no header, each with
 * "process". Such a history is paired per process (a process is a
 * sequential client: a second invoke before the first completes is refused)
 * and checked the same way.
 *
 * Linearizability: each key is a single read/write/cas register (starting
 * absent, i.e. null), checked on its own — a history is linearizable iff
 * every key's sub-history is (Herlihy & Wing's locality). The search is
 * Wing & Gong's, with Lowe's memo of (linearized set, state) pairs as in
 * Porcupine: walk the calls in real-time order, tentatively linearize one whose
 * effect fits the register, backtrack at a return whose call could not be
 * placed. Failed operations did not happen and are left out; operations
 * whose outcome is unknown ("info", "timeout", no completion) may take
 * effect at any time after their call, or never.
 *
 * Real-time order comes from the order of the records, not their times: the
 * trace is written in event order but its times are rounded to whole
 * microseconds, so an operation invoked nanoseconds before another returned
 * can carry the same "t" and must still count as concurrent with it.
 *
 * A step budget (--budget) and a memory budget for the memo (--memory, per
 * key: the memo grows with the configurations explored, and reached 20 GB
 * for one 3,942-operation key at 2e8 steps) bound the search: running out
 * of either is "inconclusive" (exit 2), never a verdict. A result that
 * cannot be written to standard output is exit 74, whatever the verdict. */
#include "tools/cmd.h"
#include "tools/trace_read.h"
#include "tools/check_models.h"
#include "sim/trace.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#define PROG "check"
#define USAGE "clustersim check TRACE.jsonl|HISTORY.jsonl [--budget STEPS] [--memory MB]"
#define DEFAULT_BUDGET 2000000L
#define DEFAULT_MEMORY_MB 1024L
#define MAX_MEMORY_MB (1L << 24)
#define MAX_REPORTED_ERRORS 10

static int usage_error(const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 1, 2)))
#endif
    ;

static int usage_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int rc = tool_usage_vs(PROG, USAGE, fmt, ap);
    va_end(ap);
    return rc;
}

/* ---- structure ---- */

struct type_count {
    char *type;
    long n;
};

struct summary {
    struct type_count *types;
    size_t ntypes;
    long errors;
    long violations;
};

static void count_type(struct summary *s, const char *type)
{
    for (size_t i = 0; i < s->ntypes; i++)
        if (strcmp(s->types[i].type, type) == 0) {
            s->types[i].n++;
            return;
        }
    s->types = xrealloc(s->types, (s->ntypes + 1) * sizeof *s->types);
    s->types[s->ntypes].type = xstrdup(type);
    s->types[s->ntypes].n = 1;
    s->ntypes++;
}

static void problem(struct summary *s, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

static void problem(struct summary *s, const char *fmt, ...)
{
    s->errors++;
    if (s->errors > MAX_REPORTED_ERRORS)
        return;
    va_list ap;
    fputs("error: ", stdout);
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    fputc('\n', stdout);
}

static int by_type(const void *a, const void *b)
{
    return strcmp(((const struct type_count *)a)->type, ((const struct type_count *)b)->type);
}

/* ---- linearizability ---- */

enum { L_READ, L_WRITE, L_CAS };

struct lop {
    int kind;
    int arg;           /* write: the value; cas: the new value (interned) */
    int expect;        /* cas */
    int result;        /* read: the value returned */
    int must;          /* 1: completed ok, must be linearized; 0: outcome unknown */
    int64_t call, ret; /* record positions (trace_op invoke_pos, complete_pos); ret = INT64_MAX when unknown */
    size_t src;        /* index in trace_ops */
};

struct entry {
    int is_call;
    size_t op;
    int64_t pos;
    struct entry *match, *prev, *next;
};

struct values {
    char **text;
    size_t n;
};

/* Intern JSON text; NULL and "null" are 0, the absent value. */
static int intern(struct values *v, const char *text)
{
    if (!text || strcmp(text, "null") == 0)
        return 0;
    for (size_t i = 0; i < v->n; i++)
        if (strcmp(v->text[i], text) == 0)
            return (int)i + 1;
    v->text = xrealloc(v->text, (v->n + 1) * sizeof *v->text);
    v->text[v->n++] = xstrdup(text);
    return (int)v->n;
}

struct memo {
    uint64_t *bits;     /* nwords per slot */
    int *state;
    unsigned char *used;
    size_t cap, n, nwords;
    size_t max_bytes;   /* the table, and its old copy while it grows, stay within this */
};

static size_t memo_bytes(const struct memo *m, size_t cap)
{
    return cap * (m->nwords * sizeof *m->bits + sizeof *m->state + 1);
}

static uint64_t memo_hash(const uint64_t *bits, size_t nwords, int state)
{
    uint64_t h = 0x9e3779b97f4a7c15ULL ^ (uint64_t)(unsigned)state;
    for (size_t i = 0; i < nwords; i++) {
        h ^= bits[i] + 0x9e3779b97f4a7c15ULL + (h << 6) + (h >> 2);
        h *= 0xff51afd7ed558ccdULL;
    }
    return h ^ (h >> 33);
}

static void memo_init(struct memo *m, size_t nwords, size_t max_bytes)
{
    memset(m, 0, sizeof *m);
    m->nwords = nwords;
    m->max_bytes = max_bytes;
}

static void memo_free(struct memo *m)
{
    free(m->bits);
    free(m->state);
    free(m->used);
}

static int memo_add(struct memo *m, const uint64_t *bits, int state);

/* 0 if the larger table would break the memory budget. */
static int memo_grow(struct memo *m)
{
    struct memo old = *m;
    size_t cap = old.cap ? old.cap * 2 : 1024;
    if (memo_bytes(m, cap) + memo_bytes(m, old.cap) > m->max_bytes)
        return 0;
    m->cap = cap;
    m->n = 0;
    m->bits = xrealloc(NULL, m->cap * m->nwords * sizeof *m->bits);
    m->state = xrealloc(NULL, m->cap * sizeof *m->state);
    m->used = xrealloc(NULL, m->cap);
    memset(m->used, 0, m->cap);
    for (size_t i = 0; i < old.cap; i++)
        if (old.used[i])
            memo_add(m, old.bits + i * old.nwords, old.state[i]);
    memo_free(&old);
    return 1;
}

/* Add (bits, state): 1 if new, 0 if it was already there, -1 if there is
 * no room for it within the memory budget. */
static int memo_add(struct memo *m, const uint64_t *bits, int state)
{
    if ((m->n + 1) * 2 > m->cap && !memo_grow(m))
        return -1;
    size_t i = (size_t)(memo_hash(bits, m->nwords, state) & (m->cap - 1));
    while (m->used[i]) {
        if (m->state[i] == state && memcmp(m->bits + i * m->nwords, bits, m->nwords * sizeof *bits) == 0)
            return 0;
        i = (i + 1) & (m->cap - 1);
    }
    m->used[i] = 1;
    m->state[i] = state;
    memcpy(m->bits + i * m->nwords, bits, m->nwords * sizeof *bits);
    m->n++;
    return 1;
}

static int step(const struct lop *op, int state, int *next)
{
    if (op->kind >= MODEL_KIND_BASE)     /* a counter, queue or lock (check_models.c) */
        return model_step(op->kind, op->arg, op->result, state, next);
    switch (op->kind) {
    case L_READ:
        *next = state;
        return op->result == state;
    case L_WRITE:
        *next = op->arg;
        return 1;
    default:
        *next = op->arg;
        return op->expect == state;
    }
}

/* Record positions are unique, so only unknown returns (INT64_MAX) tie. */
static int by_entry(const void *a, const void *b)
{
    const struct entry *x = a, *y = b;
    if (x->pos != y->pos)
        return x->pos < y->pos ? -1 : 1;
    return x->op < y->op ? -1 : x->op > y->op;
}

enum { LIN_OK, LIN_FAIL, LIN_BUDGET, LIN_MEMORY };

struct lin_result {
    size_t best_depth;       /* most operations linearized at once, when stuck at a return */
    size_t stuck_op;         /* the op whose return ended the deepest attempt */
    size_t *best_order;      /* the ops of the deepest attempt, in order */
    size_t max_depth;        /* most operations linearized at once, at all */
    size_t remembered;       /* configurations in the memo at the end */
};

/* Wing & Gong / Lowe search over one key's operations, within *budget steps
 * and a memo of at most max_bytes. */
static int linearize(const struct lop *ops, size_t n, long *budget, size_t max_bytes, struct lin_result *res)
{
    size_t nmust = 0;
    for (size_t i = 0; i < n; i++)
        nmust += ops[i].must;
    res->best_depth = res->max_depth = res->remembered = 0;
    res->stuck_op = (size_t)-1;
    res->best_order = xrealloc(NULL, (n + 1) * sizeof *res->best_order);
    if (nmust == 0)
        return LIN_OK;

    struct entry *e = xrealloc(NULL, 2 * n * sizeof *e);
    for (size_t i = 0; i < n; i++) {
        e[2 * i] = (struct entry){1, i, ops[i].call, NULL, NULL, NULL};
        e[2 * i + 1] = (struct entry){0, i, ops[i].ret, NULL, NULL, NULL};
    }
    if (n)
        qsort(e, 2 * n, sizeof *e, by_entry);
    struct entry **call_of = xrealloc(NULL, n * sizeof *call_of), **ret_of = xrealloc(NULL, n * sizeof *ret_of);
    for (size_t i = 0; i < 2 * n; i++)
        (e[i].is_call ? call_of : ret_of)[e[i].op] = &e[i];
    struct entry head = {0};
    struct entry *prev = &head;
    for (size_t i = 0; i < 2 * n; i++) {
        e[i].prev = prev;
        prev->next = &e[i];
        prev = &e[i];
        if (e[i].is_call)
            e[i].match = ret_of[e[i].op];
    }

    size_t nwords = (n + 63) / 64;
    uint64_t *lin = calloc(nwords, sizeof *lin);
    struct memo memo;
    memo_init(&memo, nwords, max_bytes);
    struct frame { struct entry *call; int state; } *stack = xrealloc(NULL, (n + 1) * sizeof *stack);
    size_t depth = 0, done_must = 0;
    int state = 0, result = LIN_FAIL;
    struct entry *cur = head.next;
    while (cur) {
        if (--*budget < 0) {
            result = LIN_BUDGET;
            break;
        }
        const struct lop *op = &ops[cur->op];
        if (cur->is_call) {
            int next;
            if (step(op, state, &next)) {
                lin[cur->op / 64] |= 1ULL << (cur->op % 64);
                int added = memo_add(&memo, lin, next);
                if (added < 0) {
                    result = LIN_MEMORY;
                    break;
                }
                if (added) {
                    stack[depth].call = cur;
                    stack[depth].state = state;
                    depth++;
                    if (depth > res->max_depth)
                        res->max_depth = depth;
                    done_must += op->must;
                    state = next;
                    /* lift the call and its return out of the list */
                    cur->prev->next = cur->next;
                    if (cur->next)
                        cur->next->prev = cur->prev;
                    struct entry *r = cur->match;
                    r->prev->next = r->next;
                    if (r->next)
                        r->next->prev = r->prev;
                    if (done_must == nmust) {
                        result = LIN_OK;
                        break;
                    }
                    cur = head.next;
                    continue;
                }
                lin[cur->op / 64] &= ~(1ULL << (cur->op % 64));
            }
            cur = cur->next;
        } else {
            if (!op->must) {          /* only unknown outcomes remain: every ok op is placed */
                result = LIN_OK;
                break;
            }
            if (depth >= res->best_depth && (depth > res->best_depth || res->stuck_op == (size_t)-1)) {
                res->best_depth = depth;
                res->stuck_op = cur->op;
                for (size_t i = 0; i < depth; i++)
                    res->best_order[i] = stack[i].call->op;
            }
            if (depth == 0)
                break;          /* nothing left to undo: not linearizable */
            /* undo the last linearization and try the next call after it */
            depth--;
            struct entry *c = stack[depth].call;
            state = stack[depth].state;
            done_must -= ops[c->op].must;
            lin[c->op / 64] &= ~(1ULL << (c->op % 64));
            struct entry *r = c->match;
            r->prev->next = r;
            if (r->next)
                r->next->prev = r;
            c->prev->next = c;
            if (c->next)
                c->next->prev = c;
            cur = c->next;
        }
    }
    if (!cur && result == LIN_FAIL)
        result = LIN_OK;        /* walked off the end with every return passed */
    res->remembered = memo.n;
    free(e);
    free(call_of);
    free(ret_of);
    free(lin);
    free(stack);
    memo_free(&memo);
    return result;
}

/* How the search is bounded, and how it was read: the budgets, and whether
 * the operations are Jepsen processes rather than trace clients. */
struct check_opts {
    long budget;              /* steps per key */
    long memory_mb;           /* memo table per key */
    int history;              /* 1: a Jepsen history file */
};

static void describe_op(const struct trace_op *op, int history, FILE *f)
{
    if (history)
        fprintf(f, "process %d: %s", op->client, op->f ? op->f : "?");
    else
        fprintf(f, "client %d seq %lld: %s", op->client, (long long)op->seq, op->f ? op->f : "?");
    if (op->key)
        fprintf(f, " %s", op->key);
    const char *fam = op_family(op->f);
    if (fam && strcmp(fam, "cas") == 0)
        fprintf(f, " %s -> %s", op->expect ? op->expect : "null", op->value ? op->value : "null");
    else if (fam && strcmp(fam, "write") == 0)
        fprintf(f, " %s", op->value ? op->value : "null");
    if (op->status == OP_OK && fam && strcmp(fam, "read") == 0)
        fprintf(f, " = %s", op->result ? op->result : "null");
    model_describe(op, f);
    if (op->complete_pos >= 0)
        fprintf(f, "  [%.3f .. %.3f ms] %s (lines %ld-%ld)", (double)op->invoke_us / 1000.0,
                (double)op->complete_us / 1000.0, op->raw_status ? op->raw_status : "?", op->invoke_line,
                op->complete_line);
    else
        fprintf(f, "  [%.3f ms .. never completed] (line %ld)", (double)op->invoke_us / 1000.0, op->invoke_line);
    fputc('\n', f);
}

struct keyset {
    char **keys;
    size_t n;
};

static int by_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static const char *key_name(const char *k)
{
    return k[0] ? k : "(none)";
}

/* Why no order of KEY's operations exists: the operation that cannot be
 * placed, the longest order that was consistent, and what was concurrent. */
static void explain_failure(const struct trace_ops *ops, const struct lop *l, size_t n, const char *key,
                            const struct lin_result *res, int history)
{
    if (res->stuck_op == (size_t)-1)
        return;
    const struct lop *stuck = &l[res->stuck_op];
    printf("  no order of the operations explains this one:\n    ");
    describe_op(&ops->v[stuck->src], history, stdout);
    printf("  the longest consistent order places %zu operation%s; its last ones:\n", res->best_depth,
           res->best_depth == 1 ? "" : "s");
    size_t from = res->best_depth > 5 ? res->best_depth - 5 : 0;
    for (size_t i = from; i < res->best_depth; i++) {
        printf("    ");
        describe_op(&ops->v[l[res->best_order[i]].src], history, stdout);
    }
    printf("  operations concurrent with it:\n");
    int any = 0;
    for (size_t i = 0; i < n; i++)
        /* by record position, as in the search: one returned before another
         * was invoked only if its completion comes first in the file */
        if (i != res->stuck_op && l[i].call < stuck->ret && l[i].ret > stuck->call) {
            printf("    ");
            describe_op(&ops->v[l[i].src], history, stdout);
            any = 1;
        }
    if (!any)
        printf("    (none)\n");
    /* a "fail" that did take effect is a common cause: show the last few */
    size_t nf = 0, last[3];
    for (size_t i = 0; i < ops->n; i++) {
        const struct trace_op *op = &ops->v[i];
        if (op->status == OP_FAIL && op_family(op->f) && strcmp(op_family(op->f), "read") != 0 &&
            strcmp(op->key ? op->key : "", key) == 0 && op->invoke_pos < stuck->call)
            last[nf++ % 3] = i;
    }
    if (nf) {
        printf("  failed writes before it (left out: a failure must mean no effect):\n");
        for (size_t j = nf > 3 ? nf - 3 : 0; j < nf; j++) {
            printf("    ");
            describe_op(&ops->v[last[j % 3]], history, stdout);
        }
    }
}

/* Check every key; print the first non-linearizable one. Returns 0, 1
 * (a key is not linearizable) or 2 (out of budget, nothing found). */
static int check_history(const struct trace_ops *ops, const struct check_opts *o, long *nchecked)
{
    struct keyset ks = {0};
    for (size_t i = 0; i < ops->n; i++) {
        if (!op_family(ops->v[i].f) && !model_op(ops->v[i].f))
            continue;
        const char *k = ops->v[i].key ? ops->v[i].key : "";
        int seen = 0;
        for (size_t j = 0; j < ks.n && !seen; j++)
            seen = strcmp(ks.keys[j], k) == 0;
        if (!seen) {
            ks.keys = xrealloc(ks.keys, (ks.n + 1) * sizeof *ks.keys);
            ks.keys[ks.n++] = (char *)k;
        }
    }
    if (ks.n > 1)
        qsort(ks.keys, ks.n, sizeof *ks.keys, by_str);
    int verdict = 0;
    size_t inconclusive = 0;
    struct lop *l = xrealloc(NULL, (ops->n + 1) * sizeof *l);
    for (size_t k = 0; k < ks.n && verdict != 1; k++) {
        struct values vals = {0};
        size_t n = 0;
        int model = model_of_key(ops, ks.keys[k]);
        size_t unknown = 0;
        if (model && model_direct_check(model, ops, ks.keys[k], describe_op, o->history, &unknown)) {
            verdict = 1;
            (*nchecked)++;
            break;
        }
        if (model && model != MODEL_LOCK && unknown > MODEL_SEARCH_MAX_UNKNOWN) {
            printf("key %s: a %s's invariants hold (%zu operations of unknown outcome: "
                   "too many to search for a linear order)\n", key_name(ks.keys[k]), model_name(model), unknown);
            (*nchecked)++;
            model_keys_unsearched++;
            continue;
        }
        model_reset();
        for (size_t i = 0; i < ops->n; i++) {
            const struct trace_op *op = &ops->v[i];
            const char *fam = op_family(op->f);
            if (model) {
                struct lop *x = &l[n];
                if (strcmp(op->key ? op->key : "", ks.keys[k]) != 0 || op->status == OP_FAIL ||
                    !model_lop(model, op, &x->kind, &x->arg, &x->result))
                    continue;
                x->expect = 0;
                x->must = op->status == OP_OK;
                x->call = op->invoke_pos;
                x->ret = op->status == OP_OK ? op->complete_pos : INT64_MAX;
                x->src = i;
                n++;
                continue;
            }
            if (!fam || strcmp(op->key ? op->key : "", ks.keys[k]) != 0 || op->status == OP_FAIL)
                continue;
            int kind = strcmp(fam, "read") == 0 ? L_READ : strcmp(fam, "write") == 0 ? L_WRITE : L_CAS;
            if (kind == L_READ && op->status != OP_OK)
                continue;        /* a read that may not have happened changes nothing */
            struct lop *x = &l[n++];
            x->kind = kind;
            x->arg = intern(&vals, op->value);
            x->expect = intern(&vals, op->expect);
            x->result = intern(&vals, op->result);
            x->must = op->status == OP_OK;
            x->call = op->invoke_pos;
            x->ret = op->status == OP_OK ? op->complete_pos : INT64_MAX;
            x->src = i;
        }
        long budget = o->budget;
        struct lin_result res;
        int r = linearize(l, n, &budget, (size_t)o->memory_mb << 20, &res);
        (*nchecked)++;
        const char *name = key_name(ks.keys[k]);
        if (r == LIN_BUDGET || r == LIN_MEMORY) {
            if (r == LIN_BUDGET)
                printf("key %s: inconclusive: %zu operations, search budget of %ld steps spent "
                       "(raise it with --budget)\n", name, n, o->budget);
            else
                printf("key %s: inconclusive: %zu operations, memory budget of %ld MB full after %ld steps "
                       "(raise it with --memory)\n", name, n, o->memory_mb, o->budget - (budget > 0 ? budget : 0));
            printf("  explored: %zu configurations remembered, at most %zu of %zu operations placed at once\n",
                   res.remembered, res.max_depth, n);
            inconclusive++;
        } else if (r == LIN_FAIL) {
            verdict = 1;
            printf("key %s: NOT linearizable (%zu operations)\n", name, n);
            if (model)
                printf("  (as a %s)\n", model_name(model));
            explain_failure(ops, l, n, ks.keys[k], &res, o->history);
        }
        free(res.best_order);
        for (size_t i = 0; i < vals.n; i++)
            free(vals.text[i]);
        free(vals.text);
    }
    free(l);
    free(ks.keys);
    model_done();
    if (verdict == 0 && inconclusive)
        verdict = 2;
    return verdict;
}

/* ---- Jepsen histories ---- */

/* One process of a history: a sequential client, with at most one
 * operation outstanding. */
struct proc {
    int64_t seq;             /* operations it has invoked */
    long open_line;          /* line of its outstanding invoke, 0 if none */
    char *open_f;
    int broken;              /* it overlapped: which completion is whose is a guess, so ignore the rest */
};

struct history {
    struct proc *v;
    size_t n;
    struct idmap index;      /* process -> slot in v */
};

static void history_free(struct history *h)
{
    for (size_t i = 0; i < h->n; i++)
        free(h->v[i].open_f);
    free(h->v);
    idmap_free(&h->index);
}

static struct proc *history_proc(struct history *h, int64_t process)
{
    size_t i;
    if (!idmap_get(&h->index, process, &i)) {
        h->v = xrealloc(h->v, (h->n + 1) * sizeof *h->v);
        memset(&h->v[h->n], 0, sizeof *h->v);
        i = h->n++;
        idmap_put(&h->index, process, i);
    }
    return &h->v[i];
}

static void add_copy(cJSON *to, const char *name, const cJSON *item)
{
    if (item)
        cJSON_AddItemToObject(to, name, cJSON_Duplicate(item, 1));
}

/* Turn one history event into the invoke or complete record of a trace
 * (client = process, seq = the process's operation count) and feed it to
 * OPS, so the pairing and the checker are the trace's own. A Jepsen value
 * is the argument of a write, [expected, new] for a cas, and the result of
 * a read's completion. */
static void history_add(struct history *h, struct trace_ops *ops, const struct trace_reader *r, const cJSON *ev,
                        struct summary *s)
{
    const char *path = r->path;
    long line = r->line;
    const char *type = json_str(ev, "type"), *f = json_str(ev, "f");
    const cJSON *process = cJSON_GetObjectItemCaseSensitive(ev, "process");
    const cJSON *value = cJSON_GetObjectItemCaseSensitive(ev, "value");
    const cJSON *key = cJSON_GetObjectItemCaseSensitive(ev, "key");
    int64_t p;
    char *text;
    int is_invoke = type && strcmp(type, "invoke") == 0;
    if (!type || (!is_invoke && strcmp(type, "ok") != 0 && strcmp(type, "fail") != 0 && strcmp(type, "info") != 0)) {
        text = json_text(ev, "type");
        problem(s, "%s:%ld: a history event's type is invoke, ok, fail or info, not %s", path, line,
                text ? text : "(none)");
        free(text);
        return;
    }
    if (cJSON_IsString(process))
        return;                  /* :nemesis and the like: not a client */
    if (!json_has_int(ev, "process", &p) || (double)p != process->valuedouble || p < INT32_MIN || p > INT32_MAX) {
        text = json_text(ev, "process");
        problem(s, "%s:%ld: \"process\" must be a whole number, not %s", path, line, text ? text : "(none)");
        free(text);
        return;
    }
    struct proc *pr = history_proc(h, p);
    if (pr->broken)
        return;
    if (is_invoke && pr->open_line) {
        problem(s, "%s:%ld: process %lld invokes %s while its %s from line %ld is still outstanding: not a "
                "valid history (a process is sequential: each concurrent operation needs its own process)",
                path, line, (long long)p, f ? f : "?", pr->open_f ? pr->open_f : "?", pr->open_line);
        pr->broken = 1;
        return;
    }
    if (!is_invoke && !pr->open_line) {
        problem(s, "%s:%ld: process %lld completes (%s) with no invoke outstanding", path, line, (long long)p, type);
        return;
    }
    if (!is_invoke && f && pr->open_f && strcmp(f, pr->open_f) != 0) {
        problem(s, "%s:%ld: process %lld completes %s, but its invoke at line %ld was %s", path, line, (long long)p,
                f, pr->open_line, pr->open_f);
        return;
    }
    const char *fam = op_family(f ? f : pr->open_f);
    int is_cas = fam && strcmp(fam, "cas") == 0;
    if (is_invoke && is_cas && (!cJSON_IsArray(value) || cJSON_GetArraySize(value) != 2)) {
        text = json_text(ev, "value");
        problem(s, "%s:%ld: a cas value is [expected, new], not %s", path, line, text ? text : "(none)");
        free(text);
        return;
    }
    cJSON *rec = cJSON_CreateObject();
    double ns = json_num(ev, "time", -1);
    if (ns >= 0 && ns < 9.2e18)
        cJSON_AddNumberToObject(rec, "t", (double)((int64_t)ns / 1000));
    cJSON_AddStringToObject(rec, "type", is_invoke ? "invoke" : "complete");
    cJSON_AddNumberToObject(rec, "client", (double)p);
    if (is_invoke) {
        pr->seq++;
        pr->open_line = line;
        free(pr->open_f);
        pr->open_f = xstrdup(f ? f : "?");
    } else {
        pr->open_line = 0;
        cJSON_AddStringToObject(rec, "status", type);
    }
    cJSON_AddNumberToObject(rec, "seq", (double)pr->seq);
    cJSON_AddStringToObject(rec, "op", f ? f : pr->open_f);
    if (cJSON_IsString(key)) {
        cJSON_AddStringToObject(rec, "key", key->valuestring);
    } else if (key) {
        text = json_text(ev, "key");
        cJSON_AddStringToObject(rec, "key", text);
        free(text);
    }
    if (is_cas && cJSON_IsArray(value) && cJSON_GetArraySize(value) == 2) {
        add_copy(rec, "expect", cJSON_GetArrayItem(value, 0));
        add_copy(rec, "value", cJSON_GetArrayItem(value, 1));
    } else {
        add_copy(rec, "value", value);
    }
    trace_ops_add(ops, rec);
    cJSON_Delete(rec);
}

/* ---- the command ---- */

static void print_counts(struct summary *s, const char *what)
{
    if (s->ntypes)
        qsort(s->types, s->ntypes, sizeof *s->types, by_type);
    printf("  %s:", what);
    for (size_t i = 0; i < s->ntypes; i++)
        printf(" %s=%ld", s->types[i].type, s->types[i].n);
    printf("\n");
}

/* A trace's own structure and verdict, beyond the reader's rules, and its
 * summary; 1 if the trace says the run failed. */
static int summarise_trace(const struct trace_reader *r, struct summary *s, const long msgs[3])
{
    int rc = 0;
    if (!r->end)
        problem(s, "%s: truncated or incomplete: no end record (the run was cut short or is still being written)",
                r->path);
    printf("trace %s: %ld records, %ld lines\n", r->path, r->records, r->line);
    if (r->header) {
        const char *sc = json_str(r->header, "scenario"), *seed = json_str(r->header, "seed");
        const char *alg = json_str(r->header, "algorithm");
        printf("  scenario %s, seed %s, algorithm %s, %lld nodes\n", sc ? sc : "?", seed ? seed : "?",
               alg ? alg : "?", (long long)json_int(r->header, "nodes", 0));
    }
    print_counts(s, "records");
    if (r->end) {
        const char *status = json_str(r->end, "status");
        const cJSON *m = cJSON_GetObjectItemCaseSensitive(r->end, "messages");
        printf("  end: status %s at %.3f ms, %lld events, messages sent %lld delivered %lld dropped %lld, "
               "%lld violations\n",
               status ? status : "?", (double)json_int(r->end, "t", 0) / 1000.0,
               (long long)json_int(r->end, "events", 0), (long long)json_int(m, "sent", 0),
               (long long)json_int(m, "delivered", 0), (long long)json_int(m, "dropped", 0),
               (long long)json_int(r->end, "violations", 0));
        if (msgs[0] > 0 && (json_int(m, "sent", msgs[0]) != msgs[0] || json_int(m, "delivered", msgs[1]) != msgs[1] ||
                            json_int(m, "dropped", msgs[2]) != msgs[2]))
            printf("  note: the end record's message counts differ from the send/recv/drop records "
                   "(%ld/%ld/%ld)\n", msgs[0], msgs[1], msgs[2]);
        if (status && strcmp(status, "ok") != 0) {
            printf("  the run ended with status %s\n", status);
            rc = 1;
        }
    }
    if (s->violations > 0) {
        printf("  the run recorded %ld violation%s\n", s->violations, s->violations == 1 ? "" : "s");
        rc = 1;
    }
    return rc;
}

/* The verdict on the client history; 0, 1 or EXIT_INCONCLUSIVE. */
static int judge_history(struct trace_ops *ops, struct summary *s, const struct check_opts *o, long unpaired)
{
    size_t nkv = 0;
    for (size_t i = 0; i < ops->n; i++)
        nkv += op_family(ops->v[i].f) != NULL || model_op(ops->v[i].f) != MODEL_NONE;
    if (nkv == 0 && !unpaired && !ops->nerrors)
        return 0;
    size_t nok = 0, nfail = 0, ninfo = 0;
    for (size_t i = 0; i < ops->n; i++) {
        nok += ops->v[i].status == OP_OK;
        nfail += ops->v[i].status == OP_FAIL;
        ninfo += ops->v[i].status == OP_INFO;
    }
    printf("history: %zu client operations (%zu ok, %zu failed, %zu unknown) from %s\n", ops->n, nok, nfail, ninfo,
           o->history ? "a Jepsen history" : ops->from_invoke ? "invoke/complete records" : "request/reply records");
    for (long i = 0; i < ops->nerrors && i < TRACE_OPS_KEPT_ERRORS; i++)
        problem(s, "%s", ops->errors[i]);
    for (long i = TRACE_OPS_KEPT_ERRORS; i < ops->nerrors; i++)
        s->errors++;
    if (unpaired || ops->nerrors) {
        /* an unpaired record leaves the operation's span unknown; any verdict would be a guess */
        printf("history: not checked: its records do not pair up into operations (%ld error%s above)\n",
               unpaired + ops->nerrors, unpaired + ops->nerrors == 1 ? "" : "s");
        return 1;
    }
    long nkeys = 0;
    int v = check_history(ops, o, &nkeys);
    if (v == 0 && model_keys_unsearched)
        printf("history: consistent (%ld key%s, %ld of them by their model's invariants alone)\n", nkeys,
               nkeys == 1 ? "" : "s", model_keys_unsearched);
    else if (v == 0)
        printf("history: linearizable (%ld key%s)\n", nkeys, nkeys == 1 ? "" : "s");
    else if (v == 2)
        printf("history: inconclusive\n");
    return v == 2 ? EXIT_INCONCLUSIVE : v;
}

/* Every result goes to standard output; one that did not arrive is not a
 * result (DESIGN.md: 74, output error), whatever the verdict was. */
static int flush_result(int rc)
{
    errno = 0;
    if (fflush(stdout) == 0 && !ferror(stdout))
        return rc;
    tool_error(PROG, "cannot write the result to standard output: %s", errno ? strerror(errno) : "write error");
    clearerr(stdout);
    return EXIT_IOERR;
}

static int parse_count(const char *s, long max, long *out)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (end == s || *end || errno || v <= 0 || v > max || s[0] == '+' || s[0] == ' ')
        return 0;
    *out = v;
    return 1;
}

static int check_file(const char *in, struct check_opts *o);

int cmd_check(int argc, char **argv)
{
    const char *in = NULL;
    struct check_opts o = {DEFAULT_BUDGET, DEFAULT_MEMORY_MB, 0};
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--budget") == 0) {
            if (i + 1 >= argc)
                return usage_error("--budget needs a number of search steps");
            if (!parse_count(argv[++i], 1000000000000000L, &o.budget))
                return usage_error("--budget wants a positive number of search steps, not '%s'", argv[i]);
        } else if (strcmp(a, "--memory") == 0) {
            if (i + 1 >= argc)
                return usage_error("--memory needs a number of megabytes");
            if (!parse_count(argv[++i], MAX_MEMORY_MB, &o.memory_mb))
                return usage_error("--memory wants a whole number of megabytes from 1 to %ld, not '%s'",
                                   MAX_MEMORY_MB, argv[i]);
        } else if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            printf("usage: %s\n"
                   "Validates the trace (header, JSON, time order, end record), summarises it, and\n"
                   "checks the client history is linearizable per key. Also reads a Jepsen history\n"
                   "(export --to history). Exit: 0 ok, 1 failed, 2 inconclusive (the search spent\n"
                   "its budget: default %ld steps and %ld MB per key), 74 output error.\n",
                   USAGE, DEFAULT_BUDGET, DEFAULT_MEMORY_MB);
            return flush_result(0);
        } else if (a[0] == '-' && a[1] != 0) {
            return usage_error("unknown option '%s'; accepted: --budget, --memory", a);
        } else if (in) {
            return usage_error("one trace at a time ('%s' and '%s' given)", in, a);
        } else {
            in = a;
        }
    }
    if (!in)
        return usage_error("no trace given");
    return flush_result(check_file(in, &o));
}

/* The whole check of one trace or history file, printing to stdout;
 * returns 0, 1 (failed), 2 (inconclusive) or 66 (cannot open). */
static int check_file(const char *in, struct check_opts *oo)
{
    struct check_opts o = *oo;
    struct trace_reader r;
    if (trace_reader_open(&r, in) != 0) {
        tool_error(PROG, "%s", r.err);
        return EXIT_NOINPUT;
    }
    r.accept_history = 1;
    struct summary s = {0};
    struct trace_ops ops;
    trace_ops_init(&ops);
    trace_ops_source(&ops, &r);
    struct history h = {0};
    idmap_init(&h.index);
    cJSON *rec;
    int st;
    long msgs[3] = {0, 0, 0};    /* send, recv, drop records */
    long history_errors = 0;
    while ((st = trace_next(&r, &rec)) != TRACE_EOF) {
        if (st == TRACE_BAD_LINE) {
            problem(&s, "%s", r.err);
            continue;
        }
        const char *type = rec_type(rec);
        count_type(&s, type[0] ? type : "(no type)");
        if (r.history) {
            long before = s.errors;
            history_add(&h, &ops, &r, rec, &s);
            history_errors += s.errors - before;
        } else {
            if (strcmp(type, "violation") == 0)
                s.violations++;
            else if (strcmp(type, "send") == 0)
                msgs[0]++;
            else if (strcmp(type, "recv") == 0)
                msgs[1]++;
            else if (strcmp(type, "drop") == 0)
                msgs[2]++;
            trace_ops_add(&ops, rec);
        }
        cJSON_Delete(rec);
    }
    trace_ops_finish(&ops);
    o.history = r.history;
    int rc = 0;
    if (r.records == 0)
        problem(&s, "%s: no records at all", in);
    if (r.history) {
        printf("history %s: %ld events, %ld lines (a Jepsen history)\n", in, r.records, r.line);
        print_counts(&s, "events");
    } else {
        rc = summarise_trace(&r, &s, msgs);
    }
    int v = judge_history(&ops, &s, &o, history_errors);
    if (s.errors > MAX_REPORTED_ERRORS)
        printf("error: ... and %ld more\n", s.errors - MAX_REPORTED_ERRORS);
    if (s.errors || v == 1)
        rc = 1;
    else if (v == EXIT_INCONCLUSIVE && rc == 0)
        rc = EXIT_INCONCLUSIVE;
    printf("%s\n", rc == 0 ? "OK" : rc == EXIT_INCONCLUSIVE ? "INCONCLUSIVE" : "FAILED");
    for (size_t i = 0; i < s.ntypes; i++)
        free(s.types[i].type);
    free(s.types);
    history_free(&h);
    trace_ops_free(&ops);
    trace_reader_close(&r);
    return rc;
}

int check_trace_file(const char *path)
{
    struct check_opts o = {DEFAULT_BUDGET, DEFAULT_MEMORY_MB, 0};
    return check_file(path, &o);
}

/* ---- explore's in-worker check: the run's records, not a file ----
 *
 * A worker used to write its run's trace to a file and read it back here,
 * formatting and parsing every record of a run to use a few of them. Now
 * the engine hands each record over as it is made (sim/trace.h's tap);
 * the client records become the same cJSON objects the reader would have
 * parsed from their lines, and the records between them are only counted,
 * so every operation gets the position and line a trace file would give
 * it, and the verdict and its explanation are those `clustersim check`
 * prints for the same run's trace. What is not repeated is the reader's
 * structural validation of the file (header, time order, end record):
 * there is no file, and the records come from the engine itself. */

struct check_feed {
    struct trace_ops ops;
    struct trace_reader where;   /* only its path and line: what the operations cite */
    long fed;                    /* the line of the last record given to ops */
};

void *check_feed_open(void)
{
    struct check_feed *f = xcalloc(1, sizeof *f);
    trace_ops_init(&f->ops);
    f->where.path = "the run";
    trace_ops_source(&f->ops, &f->where);
    return f;
}

/* A string as the reader gives it back: text that is not valid UTF-8 is
 * written with replacement characters (sim/trace.c), so it takes the
 * round trip; other text reads back as it is. */
static cJSON *feed_string(const char *s)
{
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        if (*p >= 0x80) {
            char *buf = NULL;
            size_t len = 0, cap = 0;
            json_append_string(&buf, &len, &cap, s);
            cJSON *v = cJSON_ParseWithLength(buf, len);
            free(buf);
            return v ? v : cJSON_CreateNull();
        }
    return cJSON_CreateString(s);
}

/* The fields of r from index *i to the end of the object they are in. */
static void feed_fields(cJSON *obj, const struct record *r, int *i)
{
    for (; *i < r->nfields; (*i)++) {
        const struct field *fl = &r->f[*i];
        cJSON *v = NULL;
        switch (fl->kind) {
        case FIELD_OBJ_END:
            return;
        case FIELD_OBJ_BEGIN:
            v = cJSON_CreateObject();
            (*i)++;
            feed_fields(v, r, i);
            break;
        case FIELD_INT: v = cJSON_CreateNumber((double)fl->v.i); break;
        /* as json_format_double writes it: non-finite is null, -0 is 0 */
        case FIELD_NUM: v = isfinite(fl->v.d) ? cJSON_CreateNumber(fl->v.d == 0 ? 0.0 : fl->v.d) : cJSON_CreateNull(); break;
        case FIELD_STR: v = feed_string(fl->v.s); break;
        case FIELD_BOOL: v = cJSON_CreateBool(fl->v.b); break;
        case FIELD_NULL: v = cJSON_CreateNull(); break;
        case FIELD_RAW: v = cJSON_Parse(fl->v.s); break;
        }
        /* field names are program constants (sim/record.h) that outlive the object: not copied */
        cJSON_AddItemToObjectCS(obj, fl->name, v ? v : cJSON_CreateNull());
    }
}

void check_feed_record(void *feed, const struct record *r, unsigned long long line)
{
    struct check_feed *f = feed;
    const char *t = r->type;
    int attempt = strcmp(t, "request") == 0 || strcmp(t, "reply") == 0;
    /* Request and reply records stand in for a trace without invoke and
     * complete ones (trace_ops_finish): once an operation has been
     * invoked they can make no difference, and are only counted. */
    if (!(attempt && f->ops.n == 0) && strcmp(t, "invoke") != 0 && strcmp(t, "complete") != 0)
        return;
    trace_ops_skip(&f->ops, (long)line - 1 - f->fed);
    cJSON *rec = cJSON_CreateObject();
    cJSON_AddItemToObjectCS(rec, "t", cJSON_CreateNumber((double)trace_time_us(r->t)));
    cJSON_AddItemToObjectCS(rec, "type", feed_string(t));
    int i = 0;
    feed_fields(rec, r, &i);
    f->where.line = (long)line;
    trace_ops_add(&f->ops, rec);
    cJSON_Delete(rec);
    f->fed = (long)line;
}

int check_feed_close(void *feed)
{
    struct check_feed *f = feed;
    struct check_opts o = {DEFAULT_BUDGET, DEFAULT_MEMORY_MB, 0};
    struct summary s = {0};
    trace_ops_finish(&f->ops);
    int v = judge_history(&f->ops, &s, &o, 0);
    int rc = s.errors || v == 1 ? 1 : v == EXIT_INCONCLUSIVE ? EXIT_INCONCLUSIVE : 0;
    if (s.errors > MAX_REPORTED_ERRORS)
        printf("error: ... and %ld more\n", s.errors - MAX_REPORTED_ERRORS);
    printf("%s\n", rc == 0 ? "OK" : rc == EXIT_INCONCLUSIVE ? "INCONCLUSIVE" : "FAILED");
    trace_ops_free(&f->ops);
    free(f);
    return rc;
}
