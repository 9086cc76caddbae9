/* tools/trace_read.c: the streaming JSON Lines trace reader and the small
 * helpers the trace tools share. See trace_read.h for the contracts. */
#include "tools/trace_read.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

void tool_error(const char *prog, const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "clustersim %s: ", prog);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

int tool_usage_vs(const char *prog, const char *usage, const char *fmt, va_list ap)
{
    fprintf(stderr, "clustersim %s: ", prog);
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, "\nusage: %s\n", usage);
    return EXIT_USAGE;
}

void *xrealloc(void *p, size_t n)
{
    void *q = realloc(p, n ? n : 1);
    if (!q) {
        fputs("clustersim: out of memory\n", stderr);
        exit(EXIT_INTERNAL);
    }
    return q;
}

void *xcalloc(size_t n, size_t size)
{
    void *q = calloc(n ? n : 1, size ? size : 1);
    if (!q) {
        fputs("clustersim: out of memory\n", stderr);
        exit(EXIT_INTERNAL);
    }
    return q;
}

char *xstrdup(const char *s)
{
    if (!s)
        return NULL;
    size_t n = strlen(s) + 1;
    char *d = xrealloc(NULL, n);
    memcpy(d, s, n);
    return d;
}

/* ---- the reader ---- */

int trace_reader_open(struct trace_reader *r, const char *path)
{
    memset(r, 0, sizeof *r);
    r->path = path;
    r->last_t = -1;
    if (strcmp(path, "-") == 0) {
        r->f = stdin;
        return 0;
    }
    r->f = fopen(path, "r");
    if (!r->f) {
        int e = errno;
        snprintf(r->err, sizeof r->err, "cannot open %s: %s", path, strerror(e));
        errno = e;
        return -1;
    }
    r->owns_file = 1;
    return 0;
}

static int blank(const char *s)
{
    for (; *s; s++)
        if (!isspace((unsigned char)*s))
            return 0;
    return 1;
}

static int bad(struct trace_reader *r, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

/* Fill r->err with "PATH:LINE: " and the message; returns 0. */
static int bad(struct trace_reader *r, const char *fmt, ...)
{
    int k = snprintf(r->err, sizeof r->err, "%s:%ld: ", r->path, r->line);
    if (k < 0 || (size_t)k >= sizeof r->err)
        return 0;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->err + k, sizeof r->err - (size_t)k, fmt, ap);
    va_end(ap);
    return 0;
}

/* FIELD of REC as JSON text, cut to fit an error message. */
static void field_text(const cJSON *rec, const char *field, char *buf, size_t size)
{
    char *s = json_text(rec, field);
    snprintf(buf, size, "%s", s ? s : "(none)");
    free(s);
}

/* The structural rules of trace_read.h, on a record parsed from line
 * r->line (FIRST: the first record of the file); keeps the header and the
 * end record. 1 if REC passes, else 0 with r->err set. Every rule names a
 * record the writer never makes, so a tool that read on would draw, export
 * or judge a history that did not happen (a second run pasted on, a
 * foreign schema, times in the wrong unit). */
static int admit(struct trace_reader *r, const cJSON *rec, int first)
{
    const cJSON *type_item = cJSON_GetObjectItemCaseSensitive(rec, "type");
    const char *type = rec_type(rec);
    char text[64];
    if (strcmp(type, "header") == 0) {
        if (!first)
            return r->header_line ? bad(r, "a second header (the first is at line %ld)", r->header_line)
                                  : bad(r, "a header after the first record");
        r->header_line = r->line;
        r->header = cJSON_Duplicate(rec, 1);
        int64_t schema;
        const cJSON *sv = cJSON_GetObjectItemCaseSensitive(rec, "schema");
        if (!sv)
            return bad(r, "the header has no schema number (this reader knows schema %d)", TRACE_READ_SCHEMA);
        if (!json_has_int(rec, "schema", &schema) || (double)schema != sv->valuedouble ||
            schema != TRACE_READ_SCHEMA) {
            field_text(rec, "schema", text, sizeof text);
            return bad(r, "schema %s, this reader knows schema %d", text, TRACE_READ_SCHEMA);
        }
        return 1;
    }
    if (first) {
        field_text(rec, "type", text, sizeof text);
        return bad(r, "the first record is not a header (type %s)", text);
    }
    if (r->end_line)
        return bad(r, "a record after the end record (line %ld)", r->end_line);
    if (!cJSON_IsString(type_item) || !type[0]) {
        field_text(rec, "type", text, sizeof text);
        return bad(r, "a record without a type (\"type\": %s)", text);
    }
    const cJSON *tv = cJSON_GetObjectItemCaseSensitive(rec, "t");
    int64_t t;
    if (!tv)
        return bad(r, "a record without a time (\"t\": a whole number of microseconds >= 0)");
    /* 2^53: beyond it a JSON number no longer holds every whole number */
    if (!cJSON_IsNumber(tv) || tv->valuedouble < 0 || tv->valuedouble > 9007199254740992.0 ||
        !json_has_int(rec, "t", &t) || (double)t != tv->valuedouble) {
        field_text(rec, "t", text, sizeof text);
        return bad(r, "\"t\" must be a whole number of microseconds >= 0, not %s", text);
    }
    if (t < r->last_t)
        return bad(r, "time goes backwards: t=%lld after t=%lld", (long long)t, (long long)r->last_t);
    r->last_t = t;
    if (strcmp(type, "end") == 0) {
        r->end_line = r->line;
        cJSON_Delete(r->end);
        r->end = cJSON_Duplicate(rec, 1);
    }
    return 1;
}

int trace_next(struct trace_reader *r, cJSON **out)
{
    *out = NULL;
    for (;;) {
        ssize_t len = getline(&r->buf, &r->cap, r->f);
        if (len < 0)
            return TRACE_EOF;
        r->line++;
        int has_newline = len > 0 && r->buf[len - 1] == '\n';
        if (blank(r->buf))
            continue;
        const char *end = NULL;
        cJSON *rec = cJSON_ParseWithLengthOpts(r->buf, (size_t)len, &end, 0);
        if (!rec) {
            long col = end ? (long)(end - r->buf) + 1 : 0;
            int w = (int)(len > 60 ? 60 : len - has_newline);
            r->cut_short = !has_newline;
            snprintf(r->err, sizeof r->err, "%s:%ld: malformed JSON at column %ld%s: %.*s%s",
                     r->path, r->line, col, has_newline ? "" : " (truncated line?)",
                     w, r->buf, len - has_newline > 60 ? "..." : "");
            return TRACE_BAD_LINE;
        }
        if (!blank(end)) {
            cJSON_Delete(rec);
            snprintf(r->err, sizeof r->err, "%s:%ld: malformed JSON: text after the object at column %ld",
                     r->path, r->line, (long)(end - r->buf) + 1);
            return TRACE_BAD_LINE;
        }
        if (!cJSON_IsObject(rec)) {
            cJSON_Delete(rec);
            snprintf(r->err, sizeof r->err, "%s:%ld: not a JSON object", r->path, r->line);
            return TRACE_BAD_LINE;
        }
        if (!r->started && r->accept_history && cJSON_GetObjectItemCaseSensitive(rec, "process") &&
            strcmp(rec_type(rec), "header") != 0)
            r->history = 1;
        int first = !r->started;
        r->started = 1;
        if (!r->history && !admit(r, rec, first)) {
            cJSON_Delete(rec);
            r->cut_short = 0;
            return TRACE_BAD_LINE;
        }
        r->records++;
        *out = rec;
        return TRACE_RECORD;
    }
}

void trace_reader_close(struct trace_reader *r)
{
    if (r->owns_file && r->f)
        fclose(r->f);
    free(r->buf);
    cJSON_Delete(r->header);
    cJSON_Delete(r->end);
    r->f = NULL;
    r->buf = NULL;
    r->header = r->end = NULL;
}

/* ---- field access ---- */

const char *json_str(const cJSON *o, const char *name)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

int json_has_int(const cJSON *o, const char *name, int64_t *out)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);
    if (!cJSON_IsNumber(v))
        return 0;
    double d = v->valuedouble;
    if (d < -9.2e18 || d > 9.2e18)
        return 0;
    *out = (int64_t)d;
    return 1;
}

int64_t json_int(const cJSON *o, const char *name, int64_t def)
{
    int64_t v;
    return json_has_int(o, name, &v) ? v : def;
}

double json_num(const cJSON *o, const char *name, double def)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);
    return cJSON_IsNumber(v) ? v->valuedouble : def;
}

const char *rec_type(const cJSON *rec)
{
    const char *s = json_str(rec, "type");
    return s ? s : "";
}

int64_t rec_t(const cJSON *rec)
{
    return json_int(rec, "t", -1);
}

char *json_text(const cJSON *o, const char *name)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);
    if (!v)
        return NULL;
    char *s = cJSON_PrintUnformatted(v);
    if (!s) {
        fputs("clustersim: out of memory\n", stderr);
        exit(EXIT_INTERNAL);
    }
    char *d = xstrdup(s);
    cJSON_free(s);
    return d;
}

/* ---- idmap: open addressing, linear probing, no deletion ---- */

void idmap_init(struct idmap *m)
{
    memset(m, 0, sizeof *m);
}

void idmap_free(struct idmap *m)
{
    free(m->keys);
    free(m->vals);
    free(m->used);
    memset(m, 0, sizeof *m);
}

static size_t slot_of(int64_t key, size_t cap)
{
    uint64_t x = (uint64_t)key;          /* splitmix64 finaliser */
    x ^= x >> 30;
    x *= 0xbf58476d1ce4e5b9ULL;
    x ^= x >> 27;
    x *= 0x94d049bb133111ebULL;
    x ^= x >> 31;
    return (size_t)(x & (cap - 1));
}

static void idmap_grow(struct idmap *m)
{
    struct idmap old = *m;
    m->cap = old.cap ? old.cap * 2 : 1024;
    m->n = 0;
    m->keys = xrealloc(NULL, m->cap * sizeof *m->keys);
    m->vals = xrealloc(NULL, m->cap * sizeof *m->vals);
    m->used = xcalloc(m->cap, 1);
    for (size_t i = 0; i < old.cap; i++)
        if (old.used[i])
            idmap_put(m, old.keys[i], old.vals[i]);
    idmap_free(&old);
}

void idmap_put(struct idmap *m, int64_t key, size_t val)
{
    if ((m->n + 1) * 4 > m->cap * 3)
        idmap_grow(m);
    size_t i = slot_of(key, m->cap);
    while (m->used[i] && m->keys[i] != key)
        i = (i + 1) & (m->cap - 1);
    if (!m->used[i]) {
        m->used[i] = 1;
        m->keys[i] = key;
        m->n++;
    }
    m->vals[i] = val;
}

int idmap_get(const struct idmap *m, int64_t key, size_t *val)
{
    if (!m->cap)
        return 0;
    size_t i = slot_of(key, m->cap);
    while (m->used[i]) {
        if (m->keys[i] == key) {
            *val = m->vals[i];
            return 1;
        }
        i = (i + 1) & (m->cap - 1);
    }
    return 0;
}

/* ---- client operations ---- */

const char *op_family(const char *f)
{
    static const char *const reads[] = {"get", "read", NULL};
    static const char *const writes[] = {"put", "write", "set", NULL};
    if (!f)
        return NULL;
    for (int i = 0; reads[i]; i++)
        if (strcmp(f, reads[i]) == 0)
            return "read";
    for (int i = 0; writes[i]; i++)
        if (strcmp(f, writes[i]) == 0)
            return "write";
    if (strcmp(f, "cas") == 0)
        return "cas";
    return NULL;
}

void trace_ops_init(struct trace_ops *ops)
{
    memset(ops, 0, sizeof *ops);
    idmap_init(&ops->open);
    ops->alt = xrealloc(NULL, sizeof *ops->alt);
    memset(ops->alt, 0, sizeof *ops->alt);
    idmap_init(&ops->alt->open);
    ops->end_us = -1;
}

static void op_free(struct trace_op *op)
{
    free(op->f);
    free(op->key);
    free(op->value);
    free(op->expect);
    free(op->result);
    free(op->raw_status);
}

static void ops_clear(struct trace_ops *ops)
{
    for (size_t i = 0; i < ops->n; i++)
        op_free(&ops->v[i]);
    free(ops->v);
    idmap_free(&ops->open);
    ops->v = NULL;
    ops->n = ops->cap = 0;
    for (size_t i = 0; i < TRACE_OPS_KEPT_ERRORS; i++) {
        free(ops->errors[i]);
        ops->errors[i] = NULL;
    }
    ops->nerrors = 0;
}

void trace_ops_source(struct trace_ops *ops, const struct trace_reader *r)
{
    ops->src = r;
}

static void ops_error(struct trace_ops *ops, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

static void ops_error(struct trace_ops *ops, const char *fmt, ...)
{
    long k = ops->nerrors++;
    if (k >= TRACE_OPS_KEPT_ERRORS)
        return;
    char where[300], what[300];
    if (ops->src)
        snprintf(where, sizeof where, "%s:%ld", ops->src->path, ops->src->line);
    else
        snprintf(where, sizeof where, "record %ld", ops->nrec);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    size_t n = strlen(where) + strlen(what) + 3;
    ops->errors[k] = xrealloc(NULL, n);
    snprintf(ops->errors[k], n, "%s: %s", where, what);
}

int trace_ops_verdict(const char *prog, const struct trace_ops *ops)
{
    if (ops->nerrors == 0)
        return 0;
    long kept = ops->nerrors < TRACE_OPS_KEPT_ERRORS ? ops->nerrors : TRACE_OPS_KEPT_ERRORS;
    for (long i = 0; i < kept; i++)
        tool_error(prog, "%s", ops->errors[i]);
    if (ops->nerrors > kept)
        tool_error(prog, "... and %ld more", ops->nerrors - kept);
    tool_error(prog, "the client records do not pair up into operations (%ld error%s): not a trace clustersim wrote "
                     "(clustersim check lists them)", ops->nerrors, ops->nerrors == 1 ? "" : "s");
    return EXIT_DATAERR;
}

void trace_ops_free(struct trace_ops *ops)
{
    ops_clear(ops);
    if (ops->alt) {
        ops_clear(ops->alt);
        free(ops->alt);
        ops->alt = NULL;
    }
}

/* Operations are identified by (client, seq); clients are small numbers. */
static int64_t op_key(int64_t client, int64_t seq)
{
    return (int64_t)(((uint64_t)client << 44) ^ (uint64_t)seq);
}

static struct trace_op *op_start(struct trace_ops *set, const cJSON *rec, int64_t client, int64_t seq)
{
    if (set->n == set->cap) {
        set->cap = set->cap ? set->cap * 2 : 256;
        set->v = xrealloc(set->v, set->cap * sizeof *set->v);
    }
    struct trace_op *op = &set->v[set->n];
    memset(op, 0, sizeof *op);
    op->client = (int)client;
    op->seq = seq;
    op->f = xstrdup(json_str(rec, "op"));
    op->key = xstrdup(json_str(rec, "key"));
    op->value = json_text(rec, "value");
    op->expect = json_text(rec, "expect");
    op->num = json_int(rec, "num", 0);
    op->invoke_us = rec_t(rec);
    op->complete_us = -1;
    op->invoke_pos = set->nrec;
    op->complete_pos = -1;
    op->invoke_line = set->src ? set->src->line : 0;
    op->status = OP_INFO;
    op->latency_ms = -1;
    idmap_put(&set->open, op_key(client, seq), set->n);
    set->n++;
    return op;
}

static void op_end(struct trace_ops *set, struct trace_op *op, const cJSON *rec)
{
    const char *st = json_str(rec, "status");
    op->complete_us = rec_t(rec);
    op->complete_pos = set->nrec;
    op->complete_line = set->src ? set->src->line : 0;
    free(op->raw_status);
    op->raw_status = xstrdup(st ? st : "info");
    if (st && strcmp(st, "ok") == 0)
        op->status = OP_OK;
    else if (st && strcmp(st, "fail") == 0)
        op->status = OP_FAIL;
    else
        op->status = OP_INFO;    /* "info", "timeout", or anything we do not know */
    free(op->result);
    op->result = json_text(rec, "value");
    op->has_result_num = cJSON_GetObjectItemCaseSensitive(rec, "num") != NULL;
    op->result_num = json_int(rec, "num", 0);
    op->latency_ms = json_num(rec, "latency_ms", -1);
    if (op->latency_ms < 0 && op->complete_us >= 0 && op->invoke_us >= 0)
        op->latency_ms = (double)(op->complete_us - op->invoke_us) / 1000.0;
}

/* "line N" or "record N", for an error that points back at an earlier record. */
static const char *where_was(const struct trace_ops *ops, long line, long pos, char *buf, size_t size)
{
    if (ops->src)
        snprintf(buf, size, "line %ld", line);
    else
        snprintf(buf, size, "record %ld", pos);
    return buf;
}

void trace_ops_add(struct trace_ops *ops, const cJSON *rec)
{
    const char *type = rec_type(rec);
    int64_t t = rec_t(rec);
    if (t > ops->end_us)
        ops->end_us = t;
    ops->nrec++;
    ops->alt->nrec = ops->nrec;
    ops->alt->src = ops->src;
    int is_invoke = strcmp(type, "invoke") == 0, is_complete = strcmp(type, "complete") == 0;
    int is_request = strcmp(type, "request") == 0, is_reply = strcmp(type, "reply") == 0;
    if (!is_invoke && !is_complete && !is_request && !is_reply)
        return;
    int64_t client, seq;
    if (!json_has_int(rec, "client", &client))
        return;
    if (!json_has_int(rec, "seq", &seq) && !json_has_int(rec, "id", &seq))
        return;
    if (client > ops->max_client)
        ops->max_client = (int)client;
    struct trace_ops *set = (is_invoke || is_complete) ? ops : ops->alt;
    size_t i;
    int known = idmap_get(&set->open, op_key(client, seq), &i);
    char was[64];
    if (is_invoke && known) {
        const struct trace_op *op = &set->v[i];
        ops_error(set, "a second invoke of client %lld seq %lld (the first is at %s)", (long long)client,
                  (long long)seq, where_was(set, op->invoke_line, op->invoke_pos, was, sizeof was));
    } else if (is_invoke) {
        op_start(set, rec, client, seq);
    } else if (is_complete && !known) {
        ops_error(set, "a complete of client %lld seq %lld, which was never invoked", (long long)client,
                  (long long)seq);
    } else if (is_complete && set->v[i].complete_pos >= 0) {
        const struct trace_op *op = &set->v[i];
        ops_error(set, "a second complete of client %lld seq %lld (the first is at %s)", (long long)client,
                  (long long)seq, where_was(set, op->complete_line, op->complete_pos, was, sizeof was));
    } else if (is_request) {
        /* A retry of an open operation is another attempt of the same one. */
        struct trace_op *op = known ? &set->v[i] : op_start(set, rec, client, seq);
        op->attempts++;
        op->node = (int)json_int(rec, "node", 0);
        if (op->complete_us >= 0) {        /* a retry: the earlier attempt's end was not final */
            op->complete_us = -1;
            op->complete_pos = -1;
            op->complete_line = 0;
            op->status = OP_INFO;
        }
    } else if (known) {
        op_end(set, &set->v[i], rec);
    }
}

void trace_ops_skip(struct trace_ops *ops, long n)
{
    ops->nrec += n;
    ops->alt->nrec = ops->nrec;
}

static int by_invoke(const void *a, const void *b)
{
    const struct trace_op *x = a, *y = b;
    if (x->invoke_us != y->invoke_us)
        return x->invoke_us < y->invoke_us ? -1 : 1;
    if (x->client != y->client)
        return x->client < y->client ? -1 : 1;
    return x->seq < y->seq ? -1 : x->seq > y->seq;
}

void trace_ops_finish(struct trace_ops *ops)
{
    if (ops->n == 0 && ops->alt->n > 0) {
        /* No invoke/complete records: the request/reply ones stand in. */
        struct trace_ops *alt = ops->alt;
        ops->v = alt->v;
        ops->n = alt->n;
        ops->cap = alt->cap;
        alt->v = NULL;
        alt->n = alt->cap = 0;
        ops->from_invoke = 0;
    } else {
        ops->from_invoke = ops->n > 0;
    }
    ops_clear(ops->alt);
    idmap_free(&ops->open);
    for (size_t i = 0; i < ops->n; i++) {
        struct trace_op *op = &ops->v[i];
        if (op->complete_us < 0) {
            op->status = OP_INFO;
            if (!op->raw_status)
                op->raw_status = xstrdup("none");
        }
    }
    if (ops->n > 1)
        qsort(ops->v, ops->n, sizeof *ops->v, by_invoke);
}
