/* tools/export.c: `clustersim export` — turn a trace into the formats of
 * the viewers and checkers people already use:
 *
 *   chrome   Chrome Trace Event Format (Perfetto UI, chrome://tracing): one
 *            process per node, role slices, message flow arrows, faults as
 *            instant events, term and commit index as counters.
 *   shiviz   the ShiViz log format: a parsing regex, a blank line, then per
 *            event a "host {vector clock}" line and a text line.
 *   history  client operations as JSON Lines in the shape of Jepsen
 *            histories (Knossos, Elle via elle-cli) and Porcupine.
 *
 * Each exporter streams the trace once; only what pairs records up (sends
 * waiting for their delivery, open role slices, client operations) stays in
 * memory. JSON output is built with cJSON so strings are always escaped. */
#include "tools/cmd.h"
#include "tools/trace_read.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#define PROG "export"

static int usage_error(const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 1, 2)))
#endif
    ;

static int usage_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int rc = tool_usage_vs(PROG, "clustersim export TRACE.jsonl --to chrome|shiviz|history [-o OUT]", fmt, ap);
    va_end(ap);
    return rc;
}

/* Print one cJSON item on a line (or after a comma) and free it. */
static void emit(FILE *out, cJSON *item, const char *before)
{
    char *s = cJSON_PrintUnformatted(item);
    if (!s) {
        fputs("clustersim export: out of memory\n", stderr);
        exit(EXIT_INTERNAL);
    }
    fputs(before, out);
    fputs(s, out);
    cJSON_free(s);
    cJSON_Delete(item);
}

/* ---- chrome ---- */

/* Process ids: node i is pid i, client k (endpoint -k) is pid 1000 + k, the
 * cluster-wide events live in pid 0. Threads inside a node's process: */
enum { TID_ROLE = 1, TID_SEND = 2, TID_RECV = 3 };

static int64_t pid_of(int64_t endpoint)
{
    return endpoint >= 0 ? endpoint : 1000 - endpoint;
}

struct chrome_node {
    int named;
    char *role;
    int64_t role_since, term;
    int64_t down_since, pause_since;
    int64_t last_send_slice, last_recv_slice;   /* ts of the last 1 us slice, to share it */
};

struct sent {
    int64_t t, src;
    char *msg;
};

struct chrome {
    FILE *out;
    int first;
    struct chrome_node *nodes;     /* by pid */
    int64_t maxpid;
    struct sent *sent;
    size_t nsent, cap;
    struct idmap byid;
    int64_t flow;
    struct trace_ops ops;
};

static void ev_out(struct chrome *c, cJSON *ev)
{
    emit(c->out, ev, c->first ? "\n" : ",\n");
    c->first = 0;
}

static cJSON *event(const char *ph, const char *name, int64_t ts, int64_t pid, int64_t tid)
{
    cJSON *ev = cJSON_CreateObject();
    cJSON_AddStringToObject(ev, "name", name);
    cJSON_AddStringToObject(ev, "ph", ph);
    cJSON_AddNumberToObject(ev, "ts", (double)ts);
    cJSON_AddNumberToObject(ev, "pid", (double)pid);
    cJSON_AddNumberToObject(ev, "tid", (double)tid);
    return ev;
}

static void thread_name(struct chrome *c, int64_t pid, int64_t tid, const char *name)
{
    cJSON *m = event("M", "thread_name", 0, pid, tid);
    cJSON *args = cJSON_AddObjectToObject(m, "args");
    cJSON_AddStringToObject(args, "name", name);
    ev_out(c, m);
}

static struct chrome_node *chrome_node(struct chrome *c, int64_t endpoint)
{
    int64_t pid = pid_of(endpoint);
    if (pid < 0 || pid > 200000)
        return NULL;
    if (pid > c->maxpid) {
        c->nodes = xrealloc(c->nodes, ((size_t)pid + 1) * sizeof *c->nodes);
        for (int64_t i = c->maxpid + 1; i <= pid; i++) {
            memset(&c->nodes[i], 0, sizeof c->nodes[i]);
            c->nodes[i].down_since = c->nodes[i].pause_since = -1;
            c->nodes[i].last_send_slice = c->nodes[i].last_recv_slice = -1;
            c->nodes[i].term = -1;
        }
        c->maxpid = pid;
    }
    struct chrome_node *n = &c->nodes[pid];
    if (!n->named) {
        n->named = 1;
        char name[64];
        if (pid == 0)
            snprintf(name, sizeof name, "cluster");
        else if (endpoint > 0)
            snprintf(name, sizeof name, "node %lld", (long long)endpoint);
        else
            snprintf(name, sizeof name, "client %lld", (long long)-endpoint);
        cJSON *m = event("M", "process_name", 0, pid, 0);
        cJSON_AddStringToObject(cJSON_AddObjectToObject(m, "args"), "name", name);
        ev_out(c, m);
        m = event("M", "process_sort_index", 0, pid, 0);
        cJSON_AddNumberToObject(cJSON_AddObjectToObject(m, "args"), "sort_index", (double)pid);
        ev_out(c, m);
        if (pid > 0) {
            thread_name(c, pid, TID_ROLE, endpoint > 0 ? "role" : "operations");
            thread_name(c, pid, TID_SEND, "send");
            thread_name(c, pid, TID_RECV, "receive");
        }
    }
    return n;
}

static void slice(struct chrome *c, const char *name, int64_t from, int64_t to, int64_t pid, int64_t tid,
                  cJSON *args)
{
    cJSON *ev = event("X", name, from, pid, tid);
    cJSON_AddNumberToObject(ev, "dur", (double)(to > from ? to - from : 0));
    if (args)
        cJSON_AddItemToObject(ev, "args", args);
    ev_out(c, ev);
}

static void end_role(struct chrome *c, int64_t node, struct chrome_node *n, int64_t t)
{
    if (!n->role)
        return;
    cJSON *args = cJSON_CreateObject();
    if (n->term >= 0)
        cJSON_AddNumberToObject(args, "term", (double)n->term);
    slice(c, n->role, n->role_since, t, pid_of(node), TID_ROLE, args);
    free(n->role);
    n->role = NULL;
}

static void instant(struct chrome *c, const char *name, int64_t t, int64_t pid, const char *scope, cJSON *args)
{
    cJSON *ev = event("i", name, t, pid, pid ? TID_ROLE : 0);
    cJSON_AddStringToObject(ev, "s", scope);
    if (args)
        cJSON_AddItemToObject(ev, "args", args);
    ev_out(c, ev);
}

static void counter(struct chrome *c, const char *name, int64_t t, int64_t pid, const char *key, double v)
{
    cJSON *ev = event("C", name, t, pid, 0);
    cJSON_AddNumberToObject(cJSON_AddObjectToObject(ev, "args"), key, v);
    ev_out(c, ev);
}

/* A 1 us slice on a send or receive thread for flow events to bind to;
 * several messages at the same instant share one. */
static void message_slice(struct chrome *c, int64_t endpoint, int tid, int64_t t, const char *name)
{
    struct chrome_node *n = chrome_node(c, endpoint);
    if (!n)
        return;
    int64_t *last = tid == TID_SEND ? &n->last_send_slice : &n->last_recv_slice;
    if (*last == t)
        return;
    *last = t;
    slice(c, name, t, t + 1, pid_of(endpoint), tid, NULL);
}

static void chrome_rec(struct chrome *c, const cJSON *rec)
{
    const char *type = rec_type(rec);
    int64_t t = rec_t(rec), node = json_int(rec, "node", 0), id;
    trace_ops_add(&c->ops, rec);
    if (t < 0)
        return;
    struct chrome_node *n = node > 0 ? chrome_node(c, node) : NULL;
    char name[256];
    if (strcmp(type, "send") == 0 && json_has_int(rec, "id", &id)) {
        int64_t src = json_int(rec, "src", 0);
        const char *msg = json_str(rec, "msg");
        snprintf(name, sizeof name, "send %s", msg ? msg : "?");
        message_slice(c, src, TID_SEND, t, name);
        if (c->nsent == c->cap) {
            c->cap = c->cap ? c->cap * 2 : 1024;
            c->sent = xrealloc(c->sent, c->cap * sizeof *c->sent);
        }
        c->sent[c->nsent] = (struct sent){t, src, xstrdup(msg ? msg : "?")};
        idmap_put(&c->byid, id, c->nsent++);
    } else if (strcmp(type, "recv") == 0 && json_has_int(rec, "id", &id)) {
        size_t i;
        int64_t dst = json_int(rec, "dst", 0);
        if (!idmap_get(&c->byid, id, &i))
            return;
        struct sent *s = &c->sent[i];
        snprintf(name, sizeof name, "recv %s", s->msg);
        message_slice(c, dst, TID_RECV, t, name);
        /* the flow: "s" inside the sender's send slice, "f" (binding to the
         * enclosing slice, "bp":"e") inside the receiver's receive slice */
        c->flow++;
        cJSON *ev = event("s", s->msg, s->t, pid_of(s->src), TID_SEND);
        cJSON_AddStringToObject(ev, "cat", "msg");
        cJSON_AddNumberToObject(ev, "id", (double)c->flow);
        ev_out(c, ev);
        ev = event("f", s->msg, t, pid_of(dst), TID_RECV);
        cJSON_AddStringToObject(ev, "cat", "msg");
        cJSON_AddNumberToObject(ev, "id", (double)c->flow);
        cJSON_AddStringToObject(ev, "bp", "e");
        ev_out(c, ev);
    } else if (strcmp(type, "drop") == 0 && json_has_int(rec, "id", &id)) {
        size_t i;
        const char *why = json_str(rec, "why");
        if (!idmap_get(&c->byid, id, &i))
            return;
        struct sent *s = &c->sent[i];
        snprintf(name, sizeof name, "drop %s (%s)", s->msg, why ? why : "?");
        cJSON *args = cJSON_CreateObject();
        cJSON_AddNumberToObject(args, "dst", json_num(rec, "dst", 0));
        cJSON_AddNumberToObject(args, "id", (double)id);
        cJSON *ev = event("i", name, t, pid_of(s->src), TID_SEND);
        cJSON_AddStringToObject(ev, "s", "t");
        cJSON_AddItemToObject(ev, "args", args);
        ev_out(c, ev);
    } else if (strcmp(type, "role") == 0 && n) {
        const char *role = json_str(rec, "role");
        int64_t term = json_int(rec, "term", -1);
        end_role(c, node, n, t);
        n->role = xstrdup(role ? role : "?");
        n->role_since = t;
        if (term >= 0 && term != n->term)
            counter(c, "term", t, node, "term", (double)term);
        n->term = term;
    } else if (strcmp(type, "commit") == 0 && n) {
        counter(c, "commit index", t, node, "index", json_num(rec, "index", 0));
    } else if ((strcmp(type, "crash") == 0 || strcmp(type, "remove_node") == 0) && n) {
        end_role(c, node, n, t);
        if (n->down_since < 0)
            n->down_since = t;
        instant(c, type, t, node, "p", NULL);
    } else if ((strcmp(type, "restart") == 0 || strcmp(type, "add_node") == 0) && n) {
        if (n->down_since >= 0)
            slice(c, "down", n->down_since, t, node, TID_ROLE, NULL);
        n->down_since = -1;
        instant(c, type, t, node, "p", NULL);
    } else if (strcmp(type, "pause") == 0 && n) {
        n->pause_since = t;
        cJSON *args = cJSON_CreateObject();
        cJSON_AddNumberToObject(args, "ms", json_num(rec, "ms", 0));
        instant(c, "pause", t, node, "p", args);
    } else if (strcmp(type, "resume") == 0 && n) {
        instant(c, "resume", t, node, "p", NULL);
    } else if (strcmp(type, "clock") == 0 && n) {
        cJSON *args = cJSON_Duplicate(rec, 1);
        instant(c, "clock", t, node, "p", args);
    } else if (strcmp(type, "suspect") == 0 || strcmp(type, "trust") == 0) {
        if (!n)
            return;
        snprintf(name, sizeof name, "%s %lld", type, (long long)json_int(rec, "target", 0));
        instant(c, name, t, node, "t", cJSON_Duplicate(rec, 1));
    } else if (strcmp(type, "partition") == 0 || strcmp(type, "heal") == 0 || strcmp(type, "block") == 0 ||
               strcmp(type, "violation") == 0 || strcmp(type, "log") == 0 || strcmp(type, "assert") == 0) {
        chrome_node(c, 0);
        const char *what = json_str(rec, strcmp(type, "violation") == 0 ? "invariant" : "msg");
        snprintf(name, sizeof name, "%s%s%s", type, what ? ": " : "", what ? what : "");
        instant(c, name, t, 0, "g", cJSON_Duplicate(rec, 1));
    }
}

static void chrome_finish(struct chrome *c, int64_t end)
{
    for (int64_t pid = 1; pid <= c->maxpid && pid < 1000; pid++) {
        struct chrome_node *n = &c->nodes[pid];
        if (!n->named)
            continue;
        end_role(c, pid, n, end);
        if (n->down_since >= 0)
            slice(c, "down", n->down_since, end, pid, TID_ROLE, NULL);
    }
    /* client operations as slices on the client's process */
    trace_ops_finish(&c->ops);
    for (size_t i = 0; i < c->ops.n; i++) {
        struct trace_op *op = &c->ops.v[i];
        if (!chrome_node(c, -op->client))
            continue;
        char name[256];
        snprintf(name, sizeof name, "%s%s%s", op->f ? op->f : "op", op->key ? " " : "", op->key ? op->key : "");
        cJSON *args = cJSON_CreateObject();
        cJSON_AddStringToObject(args, "status", op->raw_status ? op->raw_status : "none");
        cJSON_AddNumberToObject(args, "seq", (double)op->seq);
        if (op->value)
            cJSON_AddStringToObject(args, "value", op->value);
        if (op->result)
            cJSON_AddStringToObject(args, "result", op->result);
        slice(c, name, op->invoke_us, op->complete_us >= 0 ? op->complete_us : end, pid_of(-op->client), TID_ROLE,
              args);
    }
}

/* Hand every record of the trace to fn. A cut-short last line (a trace
 * still being written) is a warning; any other malformed line stops the
 * export with EXIT_DATAERR. */
static int each_record(struct trace_reader *r, void (*fn)(void *, const cJSON *), void *ud)
{
    cJSON *rec;
    int st;
    while ((st = trace_next(r, &rec)) != TRACE_EOF) {
        if (st == TRACE_BAD_LINE && r->cut_short) {
            tool_error(PROG, "warning: %s:%ld: the last line is cut short; ignoring it", r->path, r->line);
            return 0;
        }
        if (st == TRACE_BAD_LINE) {
            tool_error(PROG, "%s", r->err);
            return EXIT_DATAERR;
        }
        fn(ud, rec);
        cJSON_Delete(rec);
    }
    return 0;
}

static void chrome_rec_cb(void *ud, const cJSON *rec) { chrome_rec(ud, rec); }
static void trace_ops_add_cb(void *ud, const cJSON *rec) { trace_ops_add(ud, rec); }

static int export_chrome(struct trace_reader *r, FILE *out)
{
    struct chrome c;
    memset(&c, 0, sizeof c);
    c.out = out;
    c.first = 1;
    c.maxpid = -1;
    idmap_init(&c.byid);
    trace_ops_init(&c.ops);
    fputs("{\"displayTimeUnit\":\"ms\",\"traceEvents\":[", out);
    int rc = each_record(r, chrome_rec_cb, &c);
    int64_t end = r->end ? json_int(r->end, "t", r->last_t) : r->last_t;
    if (!rc)
        chrome_finish(&c, end);
    fputs("\n],\"otherData\":", out);
    cJSON *other = r->header ? cJSON_Duplicate(r->header, 1) : cJSON_CreateObject();
    cJSON_AddStringToObject(other, "exported_by", "clustersim export --to chrome");
    emit(out, other, "");
    fputs("}\n", out);
    for (int64_t i = 0; i <= c.maxpid; i++)
        free(c.nodes[i].role);
    free(c.nodes);
    for (size_t i = 0; i < c.nsent; i++)
        free(c.sent[i].msg);
    free(c.sent);
    idmap_free(&c.byid);
    trace_ops_free(&c.ops);
    return rc;
}

/* ---- shiviz ---- */

struct shiviz {
    FILE *out;
    int64_t *hosts;          /* endpoint of each host index */
    size_t nhosts;
    int64_t **clock;         /* clock[h] has nhosts entries (grown as hosts appear) */
    size_t width;            /* allocated width of every clock */
    int64_t **sent_clock;    /* by send slot, freed on delivery or drop */
    size_t nsent, cap;
    struct idmap byid;
};

static size_t shiviz_host(struct shiviz *s, int64_t endpoint)
{
    for (size_t i = 0; i < s->nhosts; i++)
        if (s->hosts[i] == endpoint)
            return i;
    s->hosts = xrealloc(s->hosts, (s->nhosts + 1) * sizeof *s->hosts);
    s->hosts[s->nhosts] = endpoint;
    s->clock = xrealloc(s->clock, (s->nhosts + 1) * sizeof *s->clock);
    s->clock[s->nhosts] = NULL;
    s->nhosts++;
    if (s->nhosts > s->width) {
        size_t w = s->width ? s->width * 2 : 8;
        for (size_t i = 0; i < s->nhosts; i++) {
            s->clock[i] = xrealloc(s->clock[i], w * sizeof **s->clock);
            for (size_t j = i + 1 == s->nhosts ? 0 : s->width; j < w; j++)
                s->clock[i][j] = 0;
        }
        for (size_t k = 0; k < s->nsent; k++)
            if (s->sent_clock[k]) {
                s->sent_clock[k] = xrealloc(s->sent_clock[k], w * sizeof **s->sent_clock);
                for (size_t j = s->width; j < w; j++)
                    s->sent_clock[k][j] = 0;
            }
        s->width = w;
    } else {
        s->clock[s->nhosts - 1] = xrealloc(NULL, s->width * sizeof **s->clock);
        for (size_t j = 0; j < s->width; j++)
            s->clock[s->nhosts - 1][j] = 0;
    }
    return s->nhosts - 1;
}

static void host_name(char *buf, size_t n, int64_t endpoint)
{
    if (endpoint > 0)
        snprintf(buf, n, "node%lld", (long long)endpoint);
    else
        snprintf(buf, n, "client%lld", (long long)-endpoint);
}

/* Log one event of host H: its own component goes up by exactly one. */
static void shiviz_event(struct shiviz *s, size_t h, const char *text)
{
    s->clock[h][h]++;
    char name[32];
    host_name(name, sizeof name, s->hosts[h]);
    fprintf(s->out, "%s {", name);
    int first = 1;
    for (size_t i = 0; i < s->nhosts; i++) {
        if (!s->clock[h][i])
            continue;
        char hn[32];
        host_name(hn, sizeof hn, s->hosts[i]);
        fprintf(s->out, "%s\"%s\":%lld", first ? "" : ", ", hn, (long long)s->clock[h][i]);
        first = 0;
    }
    fprintf(s->out, "}\n%s\n", text);
}

static void shiviz_rec(struct shiviz *s, const cJSON *rec)
{
    const char *type = rec_type(rec);
    int64_t t = rec_t(rec), id;
    char text[512];
    if (t < 0)
        return;
    double tms = (double)t / 1000.0;
    if (strcmp(type, "send") == 0 && json_has_int(rec, "id", &id)) {
        int64_t src = json_int(rec, "src", 0), dst = json_int(rec, "dst", 0);
        size_t h = shiviz_host(s, src);
        shiviz_host(s, dst);     /* make room now so the snapshot covers it */
        const char *msg = json_str(rec, "msg");
        char *args = json_text(rec, "args");
        char dn[32];
        host_name(dn, sizeof dn, dst);
        snprintf(text, sizeof text, "%.3f ms: send %s to %s %s", tms, msg ? msg : "?", dn, args ? args : "");
        free(args);
        shiviz_event(s, h, text);
        if (s->nsent == s->cap) {
            s->cap = s->cap ? s->cap * 2 : 1024;
            s->sent_clock = xrealloc(s->sent_clock, s->cap * sizeof *s->sent_clock);
        }
        int64_t *snap = xrealloc(NULL, s->width * sizeof *snap);
        memcpy(snap, s->clock[h], s->width * sizeof *snap);
        s->sent_clock[s->nsent] = snap;
        idmap_put(&s->byid, id, s->nsent++);
    } else if ((strcmp(type, "recv") == 0 || strcmp(type, "drop") == 0) && json_has_int(rec, "id", &id)) {
        size_t i;
        int known = idmap_get(&s->byid, id, &i) && s->sent_clock[i];
        if (type[0] == 'd') {
            if (known) {
                free(s->sent_clock[i]);       /* a drop is no one's event */
                s->sent_clock[i] = NULL;
            }
            return;
        }
        int64_t src = json_int(rec, "src", 0), dst = json_int(rec, "dst", 0);
        size_t h = shiviz_host(s, dst);
        const char *msg = json_str(rec, "msg");
        char sn[32];
        host_name(sn, sizeof sn, src);
        if (known) {
            for (size_t j = 0; j < s->width; j++)
                if (s->sent_clock[i][j] > s->clock[h][j])
                    s->clock[h][j] = s->sent_clock[i][j];
            free(s->sent_clock[i]);
            s->sent_clock[i] = NULL;
        }
        snprintf(text, sizeof text, "%.3f ms: recv %s from %s", tms, msg ? msg : "?", sn);
        shiviz_event(s, h, text);
    } else {
        int64_t node = json_int(rec, "node", 0);
        if (node <= 0)
            return;
        if (strcmp(type, "role") == 0) {
            const char *role = json_str(rec, "role");
            snprintf(text, sizeof text, "%.3f ms: becomes %s in term %lld", tms, role ? role : "?",
                     (long long)json_int(rec, "term", -1));
        } else if (strcmp(type, "crash") == 0 || strcmp(type, "restart") == 0 || strcmp(type, "resume") == 0 ||
                   strcmp(type, "add_node") == 0 || strcmp(type, "remove_node") == 0) {
            snprintf(text, sizeof text, "%.3f ms: %s", tms, type);
        } else if (strcmp(type, "pause") == 0) {
            snprintf(text, sizeof text, "%.3f ms: pause for %g ms", tms, json_num(rec, "ms", 0));
        } else if (strcmp(type, "suspect") == 0 || strcmp(type, "trust") == 0) {
            snprintf(text, sizeof text, "%.3f ms: %s node%lld", tms, type, (long long)json_int(rec, "target", 0));
        } else if (strcmp(type, "commit") == 0) {
            snprintf(text, sizeof text, "%.3f ms: commit index %lld (term %lld)", tms,
                     (long long)json_int(rec, "index", 0), (long long)json_int(rec, "term", 0));
        } else {
            return;
        }
        shiviz_event(s, shiviz_host(s, node), text);
    }
}

static void shiviz_rec_cb(void *ud, const cJSON *rec) { shiviz_rec(ud, rec); }

static int export_shiviz(struct trace_reader *r, FILE *out)
{
    struct shiviz s;
    memset(&s, 0, sizeof s);
    s.out = out;
    idmap_init(&s.byid);
    /* the parsing regex, then the (empty) delimiter between executions */
    fputs("(?<host>\\S+) (?<clock>{.*})\\n(?<event>.*)\n\n", out);
    int rc = each_record(r, shiviz_rec_cb, &s);
    for (size_t i = 0; i < s.nhosts; i++)
        free(s.clock[i]);
    free(s.clock);
    free(s.hosts);
    for (size_t i = 0; i < s.nsent; i++)
        free(s.sent_clock[i]);
    free(s.sent_clock);
    idmap_free(&s.byid);
    return rc;
}

/* ---- history ---- */

struct hist_event {
    int64_t t;
    int kind;          /* 0 a completion, 1 an invocation, 2 the completion of an op invoked at the same t */
    size_t op;
};

static int by_time(const void *a, const void *b)
{
    const struct hist_event *x = a, *y = b;
    if (x->t != y->t)
        return x->t < y->t ? -1 : 1;
    if (x->kind != y->kind)
        return x->kind < y->kind ? -1 : 1;
    return x->op < y->op ? -1 : x->op > y->op;
}

static cJSON *parse_value(const char *text)
{
    cJSON *v = text ? cJSON_Parse(text) : NULL;
    return v ? v : cJSON_CreateNull();
}

static int export_history(struct trace_reader *r, FILE *out)
{
    struct trace_ops ops;
    trace_ops_init(&ops);
    int rc = each_record(r, trace_ops_add_cb, &ops);
    trace_ops_finish(&ops);
    if (!rc && ops.n == 0) {
        tool_error(PROG, "%s has no client operations (invoke/complete or request/reply records)", r->path);
        rc = EXIT_CHECK_FAILED;
    }
    int64_t end = r->end ? json_int(r->end, "t", r->last_t) : r->last_t;
    struct hist_event *ev = xrealloc(NULL, (2 * ops.n + 1) * sizeof *ev);
    size_t n = 0;
    for (size_t i = 0; !rc && i < ops.n; i++) {
        struct trace_op *op = &ops.v[i];
        int64_t done = op->complete_us >= 0 ? op->complete_us : end;
        ev[n++] = (struct hist_event){op->invoke_us, 1, i};
        ev[n++] = (struct hist_event){done, done == op->invoke_us ? 2 : 0, i};
    }
    if (n)
        qsort(ev, n, sizeof *ev, by_time);
    /* processes: client k starts as process k-1; after an indeterminate op
     * it can no longer be trusted to be sequential, so it continues as a
     * fresh process (Jepsen's convention: + the number of clients) */
    int64_t nclients = ops.max_client > 0 ? ops.max_client : 1;
    int64_t *proc = xrealloc(NULL, ((size_t)nclients + 1) * sizeof *proc);
    for (int64_t k = 0; k <= nclients; k++)
        proc[k] = k - 1;
    int64_t *op_proc = xrealloc(NULL, (ops.n + 1) * sizeof *op_proc);
    for (size_t i = 0; i < n; i++) {
        struct trace_op *op = &ops.v[ev[i].op];
        int invoke = ev[i].kind == 1;
        int client = op->client >= 1 && op->client <= nclients ? op->client : 0;
        if (invoke)
            op_proc[ev[i].op] = client ? proc[client] : -1;
        const char *fam = op_family(op->f);
        const char *type = invoke ? "invoke" : op->status == OP_OK ? "ok" : op->status == OP_FAIL ? "fail" : "info";
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "type", type);
        cJSON_AddStringToObject(o, "f", fam ? fam : op->f ? op->f : "?");
        if (op->key)
            cJSON_AddStringToObject(o, "key", op->key);
        if (fam && strcmp(fam, "read") == 0) {
            if (invoke || op->status != OP_OK)
                cJSON_AddNullToObject(o, "value");
            else
                cJSON_AddItemToObject(o, "value", parse_value(op->result));
        } else if (fam && strcmp(fam, "cas") == 0) {
            cJSON *pair = cJSON_CreateArray();
            cJSON_AddItemToArray(pair, parse_value(op->expect));
            cJSON_AddItemToArray(pair, parse_value(op->value));
            cJSON_AddItemToObject(o, "value", pair);
        } else {
            cJSON_AddItemToObject(o, "value", parse_value(!invoke && op->result ? op->result : op->value));
        }
        cJSON_AddNumberToObject(o, "process", (double)op_proc[ev[i].op]);
        cJSON_AddNumberToObject(o, "time", (double)ev[i].t * 1000.0);
        cJSON_AddNumberToObject(o, "index", (double)i);
        if (!invoke && op->raw_status && strcmp(op->raw_status, type) != 0)
            cJSON_AddStringToObject(o, "error", op->raw_status);   /* "timeout", "none" (run ended) */
        emit(out, o, "");
        fputc('\n', out);
        if (!invoke && op->status == OP_INFO && client)
            proc[client] += nclients;
    }
    free(proc);
    free(op_proc);
    free(ev);
    trace_ops_free(&ops);
    return rc;
}

int cmd_export(int argc, char **argv)
{
    const char *to = NULL, *outpath = NULL, *in = NULL;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--to") == 0 || strcmp(a, "-o") == 0 || strcmp(a, "--output") == 0) {
            if (i + 1 >= argc)
                return usage_error("%s needs a value", a);
            if (strcmp(a, "--to") == 0)
                to = argv[++i];
            else
                outpath = argv[++i];
        } else if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            printf("usage: clustersim export TRACE.jsonl --to chrome|shiviz|history [-o OUT]\n"
                   "  chrome   Chrome Trace Event Format JSON (open in ui.perfetto.dev or chrome://tracing)\n"
                   "  shiviz   ShiViz log (open in the ShiViz web page)\n"
                   "  history  Jepsen/Porcupine-shaped JSON Lines of client operations\n"
                   "  -o OUT   write to OUT instead of standard output\n");
            return 0;
        } else if (a[0] == '-' && a[1] != 0) {
            return usage_error("unknown option '%s'; accepted: --to, -o", a);
        } else if (in) {
            return usage_error("one trace at a time ('%s' and '%s' given)", in, a);
        } else {
            in = a;
        }
    }
    if (!in)
        return usage_error("no trace given");
    if (!to)
        return usage_error("--to is required: chrome, shiviz or history");
    if (strcmp(to, "chrome") != 0 && strcmp(to, "shiviz") != 0 && strcmp(to, "history") != 0)
        return usage_error("unknown format '%s'; accepted: chrome, shiviz, history", to);

    struct trace_reader r;
    if (trace_reader_open(&r, in) != 0) {
        tool_error(PROG, "%s", r.err);
        return EXIT_NOINPUT;
    }
    FILE *out = stdout;
    if (outpath && strcmp(outpath, "-") != 0) {
        out = fopen(outpath, "w");
        if (!out) {
            tool_error(PROG, "cannot write %s: %s", outpath, strerror(errno));
            trace_reader_close(&r);
            return EXIT_IOERR;
        }
    }
    int rc;
    if (strcmp(to, "chrome") == 0)
        rc = export_chrome(&r, out);
    else if (strcmp(to, "shiviz") == 0)
        rc = export_shiviz(&r, out);
    else
        rc = export_history(&r, out);
    if (!rc && !r.end)
        tool_error(PROG, "warning: %s has no end record (truncated?); exported what it has", in);
    int bad = ferror(out);
    if (out != stdout) {
        if (fclose(out) != 0)
            bad = 1;
    } else if (fflush(out) != 0) {
        bad = 1;
    }
    if (bad && !rc) {
        tool_error(PROG, "cannot write %s: %s", outpath ? outpath : "standard output", strerror(errno));
        rc = EXIT_IOERR;
    }
    trace_reader_close(&r);
    return rc;
}
