/* tools/check.c: `clustersim check` — validate a trace, and check that the
 * client history it records is linearizable.
 *
 * Structure: the first record is a header with schema 1; every line is a
 * JSON object; records carry an integer "t" that never decreases; the last
 * record is "end" (a trace without one was cut short). The summary counts
 * records by type and repeats the run's own verdict (end status, violation
 * records).
 *
 * Linearizability: each key is a single read/write/cas register (starting
 * absent, i.e. null), checked on its own — a history is linearizable iff
 * every key's sub-history is (Herlihy & Wing's locality). The search is
 * Wing & Gong's, with Lowe's memo of (linearized set, state) pairs as in
 * Porcupine: walk the calls in time order, tentatively linearize one whose
 * effect fits the register, backtrack at a return whose call could not be
 * placed. Failed operations did not happen and are left out; operations
 * whose outcome is unknown ("info", "timeout", no completion) may take
 * effect at any time after their call, or never. A step budget bounds the
 * search: out of budget is "inconclusive" (exit 2), never a verdict. */
#include "tools/cmd.h"
#include "tools/trace_read.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#define PROG "check"
#define DEFAULT_BUDGET 2000000L
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
    int rc = tool_usage_vs(PROG, "clustersim check TRACE.jsonl [--budget STEPS]", fmt, ap);
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
    int64_t call, ret; /* ret = INT64_MAX when unknown */
    size_t src;        /* index in trace_ops */
};

struct entry {
    int is_call;
    size_t op;
    int64_t t;
    int order;         /* tie-break: 0 return, 1 call, 2 return of an op called at the same time */
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
};

static uint64_t memo_hash(const uint64_t *bits, size_t nwords, int state)
{
    uint64_t h = 0x9e3779b97f4a7c15ULL ^ (uint64_t)(unsigned)state;
    for (size_t i = 0; i < nwords; i++) {
        h ^= bits[i] + 0x9e3779b97f4a7c15ULL + (h << 6) + (h >> 2);
        h *= 0xff51afd7ed558ccdULL;
    }
    return h ^ (h >> 33);
}

static void memo_init(struct memo *m, size_t nwords)
{
    memset(m, 0, sizeof *m);
    m->nwords = nwords;
}

static void memo_free(struct memo *m)
{
    free(m->bits);
    free(m->state);
    free(m->used);
}

static int memo_add(struct memo *m, const uint64_t *bits, int state);

static void memo_grow(struct memo *m)
{
    struct memo old = *m;
    m->cap = old.cap ? old.cap * 2 : 1024;
    m->n = 0;
    m->bits = xrealloc(NULL, m->cap * m->nwords * sizeof *m->bits);
    m->state = xrealloc(NULL, m->cap * sizeof *m->state);
    m->used = xrealloc(NULL, m->cap);
    memset(m->used, 0, m->cap);
    for (size_t i = 0; i < old.cap; i++)
        if (old.used[i])
            memo_add(m, old.bits + i * old.nwords, old.state[i]);
    memo_free(&old);
}

/* Add (bits, state); 0 if it was already there. */
static int memo_add(struct memo *m, const uint64_t *bits, int state)
{
    if ((m->n + 1) * 2 > m->cap)
        memo_grow(m);
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

static int by_entry(const void *a, const void *b)
{
    const struct entry *x = a, *y = b;
    if (x->t != y->t)
        return x->t < y->t ? -1 : 1;
    if (x->order != y->order)
        return x->order < y->order ? -1 : 1;
    return x->op < y->op ? -1 : x->op > y->op;
}

enum { LIN_OK, LIN_FAIL, LIN_BUDGET };

struct lin_result {
    size_t best_depth;       /* most operations linearized at once */
    size_t stuck_op;         /* the op whose return ended the deepest attempt */
    size_t *best_order;      /* the ops of the deepest attempt, in order */
};

/* Wing & Gong / Lowe search over one key's operations. */
static int linearize(const struct lop *ops, size_t n, long *budget, struct lin_result *res)
{
    size_t nmust = 0;
    for (size_t i = 0; i < n; i++)
        nmust += ops[i].must;
    res->best_depth = 0;
    res->stuck_op = (size_t)-1;
    res->best_order = xrealloc(NULL, (n + 1) * sizeof *res->best_order);
    if (nmust == 0)
        return LIN_OK;

    struct entry *e = xrealloc(NULL, 2 * n * sizeof *e);
    for (size_t i = 0; i < n; i++) {
        e[2 * i] = (struct entry){1, i, ops[i].call, 1, NULL, NULL, NULL};
        e[2 * i + 1] = (struct entry){0, i, ops[i].ret, ops[i].ret == ops[i].call ? 2 : 0, NULL, NULL, NULL};
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
    memo_init(&memo, nwords);
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
                if (memo_add(&memo, lin, next)) {
                    stack[depth].call = cur;
                    stack[depth].state = state;
                    depth++;
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
    free(e);
    free(call_of);
    free(ret_of);
    free(lin);
    free(stack);
    memo_free(&memo);
    return result;
}

static void describe_op(const struct trace_op *op, FILE *f)
{
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
    if (op->complete_us >= 0)
        fprintf(f, "  [%.3f .. %.3f ms] %s", (double)op->invoke_us / 1000.0, (double)op->complete_us / 1000.0,
                op->raw_status ? op->raw_status : "?");
    else
        fprintf(f, "  [%.3f ms .. never completed]", (double)op->invoke_us / 1000.0);
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

/* Check every key; print the first non-linearizable one. Returns 0, 1
 * (a key is not linearizable) or 2 (out of budget, nothing found). */
static int check_history(const struct trace_ops *ops, long budget_per_key, long *nchecked)
{
    struct keyset ks = {0};
    for (size_t i = 0; i < ops->n; i++) {
        if (!op_family(ops->v[i].f))
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
        if (ks.n)
            qsort(ks.keys, ks.n, sizeof *ks.keys, by_str);
    int verdict = 0;
    size_t inconclusive = 0;
    struct lop *l = xrealloc(NULL, (ops->n + 1) * sizeof *l);
    for (size_t k = 0; k < ks.n && verdict != 1; k++) {
        struct values vals = {0};
        size_t n = 0;
        for (size_t i = 0; i < ops->n; i++) {
            const struct trace_op *op = &ops->v[i];
            const char *fam = op_family(op->f);
            if (!fam || strcmp(op->key ? op->key : "", ks.keys[k]) != 0 || op->status == OP_FAIL)
                continue;
            int kind = strcmp(fam, "read") == 0 ? L_READ : strcmp(fam, "write") == 0 ? L_WRITE : L_CAS;
            if (kind == L_READ && op->status != OP_OK)
                continue;        /* a read that may not have happened changes nothing */
            struct lop *o = &l[n++];
            o->kind = kind;
            o->arg = intern(&vals, op->value);
            o->expect = intern(&vals, op->expect);
            o->result = intern(&vals, op->result);
            o->must = op->status == OP_OK;
            o->call = op->invoke_us;
            o->ret = op->status == OP_OK ? op->complete_us : INT64_MAX;
            o->src = i;
        }
        long budget = budget_per_key;
        struct lin_result res;
        int r = linearize(l, n, &budget, &res);
        (*nchecked)++;
        if (r == LIN_BUDGET) {
            printf("key %s: inconclusive: %zu operations, search budget of %ld steps spent "
                   "(raise it with --budget)\n", ks.keys[k][0] ? ks.keys[k] : "(none)", n, budget_per_key);
            inconclusive++;
        } else if (r == LIN_FAIL) {
            verdict = 1;
            printf("key %s: NOT linearizable (%zu operations)\n", ks.keys[k][0] ? ks.keys[k] : "(none)", n);
            if (res.stuck_op != (size_t)-1) {
                const struct lop *stuck = &l[res.stuck_op];
                printf("  no order of the operations explains this one:\n    ");
                describe_op(&ops->v[stuck->src], stdout);
                printf("  the longest consistent order places %zu operation%s; its last ones:\n", res.best_depth,
                       res.best_depth == 1 ? "" : "s");
                size_t from = res.best_depth > 5 ? res.best_depth - 5 : 0;
                for (size_t i = from; i < res.best_depth; i++) {
                    printf("    ");
                    describe_op(&ops->v[l[res.best_order[i]].src], stdout);
                }
                printf("  operations concurrent with it:\n");
                int any = 0;
                for (size_t i = 0; i < n; i++)
                    /* strict: a return at the instant of a call precedes it, as
                     * in the search (returns sort before calls at equal times) */
                    if (i != res.stuck_op && l[i].call < stuck->ret && l[i].ret > stuck->call) {
                        printf("    ");
                        describe_op(&ops->v[l[i].src], stdout);
                        any = 1;
                    }
                if (!any)
                    printf("    (none)\n");
                /* a "fail" that did take effect is a common cause: show the last few */
                size_t nf = 0, last[3];
                for (size_t i = 0; i < ops->n; i++) {
                    const struct trace_op *op = &ops->v[i];
                    if (op->status == OP_FAIL && op_family(op->f) && strcmp(op_family(op->f), "read") != 0 &&
                        strcmp(op->key ? op->key : "", ks.keys[k]) == 0 && op->invoke_us < stuck->call)
                        last[nf++ % 3] = i;
                }
                if (nf) {
                    printf("  failed writes before it (left out: a failure must mean no effect):\n");
                    for (size_t j = nf > 3 ? nf - 3 : 0; j < nf; j++) {
                        printf("    ");
                        describe_op(&ops->v[last[j % 3]], stdout);
                    }
                }
            }
        }
        free(res.best_order);
        for (size_t i = 0; i < vals.n; i++)
            free(vals.text[i]);
        free(vals.text);
    }
    free(l);
    free(ks.keys);
    if (verdict == 0 && inconclusive)
        verdict = 2;
    return verdict;
}

int cmd_check(int argc, char **argv)
{
    const char *in = NULL;
    long budget = DEFAULT_BUDGET;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--budget") == 0) {
            char *end;
            if (i + 1 >= argc)
                return usage_error("--budget needs a number of search steps");
            budget = strtol(argv[++i], &end, 10);
            if (*end || budget <= 0)
                return usage_error("--budget wants a positive number of search steps, not '%s'", argv[i]);
        } else if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            printf("usage: clustersim check TRACE.jsonl [--budget STEPS]\n"
                   "Validates the trace (header, JSON, time order, end record), summarises it, and\n"
                   "checks the client history is linearizable per key. Exit: 0 ok, 1 failed,\n"
                   "2 inconclusive (search budget spent; default %ld steps per key).\n",
                   DEFAULT_BUDGET);
            return 0;
        } else if (a[0] == '-' && a[1] != 0) {
            return usage_error("unknown option '%s'; accepted: --budget", a);
        } else if (in) {
            return usage_error("one trace at a time ('%s' and '%s' given)", in, a);
        } else {
            in = a;
        }
    }
    if (!in)
        return usage_error("no trace given");
    struct trace_reader r;
    if (trace_reader_open(&r, in) != 0) {
        tool_error(PROG, "%s", r.err);
        return EXIT_NOINPUT;
    }
    struct summary s = {0};
    struct trace_ops ops;
    trace_ops_init(&ops);
    cJSON *rec;
    int st;
    long end_line = 0, after_end = 0, nsend = 0, nrecv = 0, ndrop = 0;
    int64_t last_t = -1;
    while ((st = trace_next(&r, &rec)) != TRACE_EOF) {
        if (st == TRACE_BAD_LINE) {
            problem(&s, "%s", r.err);
            continue;
        }
        const char *type = rec_type(rec);
        count_type(&s, type[0] ? type : "(no type)");
        if (r.records == 1) {
            int64_t schema;
            if (strcmp(type, "header") != 0)
                problem(&s, "%s:%ld: the first record is not a header (type '%s')", in, r.line, type);
            else if (!json_has_int(rec, "schema", &schema))
                problem(&s, "%s:%ld: the header has no schema number", in, r.line);
            else if (schema != 1)
                problem(&s, "%s:%ld: schema %lld, this reader knows schema 1", in, r.line, (long long)schema);
        } else if (strcmp(type, "header") == 0) {
            problem(&s, "%s:%ld: a second header", in, r.line);
        } else {
            int64_t t;
            if (!type[0])
                problem(&s, "%s:%ld: a record without a type", in, r.line);
            if (!json_has_int(rec, "t", &t) || t < 0)
                problem(&s, "%s:%ld: no time: \"t\" must be an integer number of microseconds", in, r.line);
            else if (t < last_t)
                problem(&s, "%s:%ld: time goes backwards: t=%lld after t=%lld", in, r.line, (long long)t,
                        (long long)last_t);
            else
                last_t = t;
        }
        if (end_line && !after_end) {
            after_end = r.line;
            problem(&s, "%s:%ld: a record after the end record (line %ld)", in, r.line, end_line);
        }
        if (strcmp(type, "end") == 0)
            end_line = r.line;
        else if (strcmp(type, "violation") == 0)
            s.violations++;
        else if (strcmp(type, "send") == 0)
            nsend++;
        else if (strcmp(type, "recv") == 0)
            nrecv++;
        else if (strcmp(type, "drop") == 0)
            ndrop++;
        trace_ops_add(&ops, rec);
        cJSON_Delete(rec);
    }
    trace_ops_finish(&ops);
    int rc = 0;
    if (r.records == 0)
        problem(&s, "%s: no records at all", in);
    if (!r.end)
        problem(&s, "%s: truncated or incomplete: no end record (the run was cut short or is still being written)",
                in);

    /* the summary */
    printf("trace %s: %ld records, %ld lines\n", in, r.records, r.line);
    if (r.header) {
        const char *sc = json_str(r.header, "scenario"), *seed = json_str(r.header, "seed");
        const char *alg = json_str(r.header, "algorithm");
        printf("  scenario %s, seed %s, algorithm %s, %lld nodes\n", sc ? sc : "?", seed ? seed : "?",
               alg ? alg : "?", (long long)json_int(r.header, "nodes", 0));
    }
    if (s.ntypes)
        qsort(s.types, s.ntypes, sizeof *s.types, by_type);
    printf("  records:");
    for (size_t i = 0; i < s.ntypes; i++)
        printf(" %s=%ld", s.types[i].type, s.types[i].n);
    printf("\n");
    if (r.end) {
        const char *status = json_str(r.end, "status");
        const cJSON *m = cJSON_GetObjectItemCaseSensitive(r.end, "messages");
        printf("  end: status %s at %.3f ms, %lld events, messages sent %lld delivered %lld dropped %lld, "
               "%lld violations\n",
               status ? status : "?", (double)json_int(r.end, "t", 0) / 1000.0, (long long)json_int(r.end, "events", 0),
               (long long)json_int(m, "sent", 0), (long long)json_int(m, "delivered", 0),
               (long long)json_int(m, "dropped", 0), (long long)json_int(r.end, "violations", 0));
        if (nsend > 0 && (json_int(m, "sent", nsend) != nsend || json_int(m, "delivered", nrecv) != nrecv ||
                          json_int(m, "dropped", ndrop) != ndrop))
            printf("  note: the end record's message counts differ from the send/recv/drop records "
                   "(%ld/%ld/%ld)\n", nsend, nrecv, ndrop);
        if (status && strcmp(status, "ok") != 0) {
            printf("  the run ended with status %s\n", status);
            rc = 1;
        }
    }
    if (s.violations > 0) {
        printf("  the run recorded %ld violation%s\n", s.violations, s.violations == 1 ? "" : "s");
        rc = 1;
    }
    if (s.errors > MAX_REPORTED_ERRORS)
        printf("error: ... and %ld more\n", s.errors - MAX_REPORTED_ERRORS);
    if (s.errors)
        rc = 1;

    /* the history */
    size_t nkv = 0;
    for (size_t i = 0; i < ops.n; i++)
        nkv += op_family(ops.v[i].f) != NULL;
    if (nkv > 0) {
        long nkeys = 0;
        size_t nok = 0, nfail = 0, ninfo = 0;
        for (size_t i = 0; i < ops.n; i++) {
            nok += ops.v[i].status == OP_OK;
            nfail += ops.v[i].status == OP_FAIL;
            ninfo += ops.v[i].status == OP_INFO;
        }
        printf("history: %zu client operations (%zu ok, %zu failed, %zu unknown) from %s records\n", ops.n, nok,
               nfail, ninfo, ops.from_invoke ? "invoke/complete" : "request/reply");
        int v = check_history(&ops, budget, &nkeys);
        if (v == 0)
            printf("history: linearizable (%ld key%s)\n", nkeys, nkeys == 1 ? "" : "s");
        else if (v == 2)
            printf("history: inconclusive\n");
        if (v == 1)
            rc = 1;
        else if (v == 2 && rc == 0)
            rc = EXIT_INCONCLUSIVE;
    }
    printf("%s\n", rc == 0 ? "OK" : rc == EXIT_INCONCLUSIVE ? "INCONCLUSIVE" : "FAILED");
    for (size_t i = 0; i < s.ntypes; i++)
        free(s.types[i].type);
    free(s.types);
    trace_ops_free(&ops);
    trace_reader_close(&r);
    return rc;
}
