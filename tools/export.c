/* tools/export.c: `clustersim export` — turn a trace into the formats of
 * the viewers and checkers people already use:
 *
 *   chrome   Chrome Trace Event Format (Perfetto UI, chrome://tracing): one
 *            process per node, role slices, message flow arrows, faults as
 *            instant events, term and commit index as counters, client
 *            operations as async slices.
 *   shiviz   the ShiViz log format: a parsing regex, a blank line, then per
 *            event a text line and a "host {vector clock}" line.
 *   history  client operations as JSON Lines in the shape of Jepsen
 *            histories (Knossos, Elle via elle-cli) and Porcupine.
 *
 * Each exporter streams the trace once; only what pairs records up (sends,
 * for their deliveries; open role slices; client operations) stays in
 * memory. JSON output is built with cJSON so strings are always escaped. */
#include "tools/cmd.h"
#include "sim/outpath.h"
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
 * cluster-wide events live in pid 0 (endpoints are range-checked, so this
 * cannot overflow). Threads inside a node's process: */
enum { TID_ROLE = 1, TID_SEND = 2, TID_RECV = 3 };

static int64_t pid_of(int64_t endpoint)
{
    return endpoint >= 0 ? endpoint : 1000 - endpoint;
}

struct chrome_node {
    int64_t endpoint;
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
    struct chrome_node **nodes;    /* in order of first appearance */
    size_t nnodes;
    struct idmap byendpoint;       /* endpoint -> index in nodes */
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

/* The state of endpoint ENDPOINT (0: the cluster), named in the output the
 * first time it is asked for. The pointer stays valid: nodes are allocated
 * one by one, so a node with a large number costs no more than a small one. */
static struct chrome_node *chrome_node(struct chrome *c, int64_t endpoint)
{
    size_t i;
    if (idmap_get(&c->byendpoint, endpoint, &i))
        return c->nodes[i];
    struct chrome_node *n = xcalloc(1, sizeof *n);
    n->endpoint = endpoint;
    n->down_since = n->pause_since = -1;
    n->last_send_slice = n->last_recv_slice = -1;
    n->term = -1;
    c->nodes = xrealloc(c->nodes, (c->nnodes + 1) * sizeof *c->nodes);
    c->nodes[c->nnodes] = n;
    idmap_put(&c->byendpoint, endpoint, c->nnodes++);
    int64_t pid = pid_of(endpoint);
    char name[64];
    if (pid == 0)
        snprintf(name, sizeof name, "cluster");
    else if (endpoint > 0)
        snprintf(name, sizeof name, "node %lld", (long long)endpoint);
    else
        snprintf(name, sizeof name, "client %lld", -(long long)endpoint);
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
    } else if (strcmp(type, "chosen") == 0 && n) {     /* Paxos: a slot this node learned was chosen */
        counter(c, "chosen slot", t, node, "slot", json_num(rec, "slot", 0));
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

/* One end of a client operation's async slice: "b" or "e" with cat "op" and
 * the operation's own process-scoped id, the same name on both ends (the
 * pair is matched by cat, id and name). */
static void op_end_event(struct chrome *c, const char *ph, const char *name, int64_t ts, int64_t pid, size_t id,
                         cJSON *args)
{
    cJSON *ev = event(ph, name, ts, pid, TID_ROLE);
    cJSON_AddStringToObject(ev, "cat", "op");
    cJSON_AddNumberToObject(cJSON_AddObjectToObject(ev, "id2"), "local", (double)id);
    if (args)
        cJSON_AddItemToObject(ev, "args", args);
    ev_out(c, ev);
}

static void chrome_finish(struct chrome *c, int64_t end)
{
    for (size_t i = 0; i < c->nnodes; i++) {
        struct chrome_node *n = c->nodes[i];
        if (n->endpoint <= 0)
            continue;
        end_role(c, n->endpoint, n, end);
        if (n->down_since >= 0)
            slice(c, "down", n->down_since, end, n->endpoint, TID_ROLE, NULL);
    }
    /* Client operations. An open-loop client has several outstanding at
     * once, and their intervals overlap without nesting (put [38321, 241789]
     * and get [53933, 249327]): as complete "X" slices on one thread that
     * breaks Perfetto's rule that slices on a thread nest, and it draws them
     * wrongly. So each operation is an async slice ("b" at the invocation,
     * "e" at the completion or the end of the run) with an id of its own;
     * Perfetto lays overlapping ones out on separate tracks of the client's
     * process. */
    trace_ops_finish(&c->ops);
    for (size_t i = 0; i < c->ops.n; i++) {
        struct trace_op *op = &c->ops.v[i];
        chrome_node(c, -(int64_t)op->client);
        char name[256];
        snprintf(name, sizeof name, "%s%s%s", op->f ? op->f : "op", op->key ? " " : "", op->key ? op->key : "");
        cJSON *args = cJSON_CreateObject();
        cJSON_AddNumberToObject(args, "seq", (double)op->seq);
        if (op->value)
            cJSON_AddStringToObject(args, "value", op->value);
        int64_t pid = pid_of(-(int64_t)op->client), done = op->complete_us >= 0 ? op->complete_us : end;
        op_end_event(c, "b", name, op->invoke_us, pid, i + 1, args);
        args = cJSON_CreateObject();
        cJSON_AddStringToObject(args, "status", op->raw_status ? op->raw_status : "none");
        if (op->result)
            cJSON_AddStringToObject(args, "result", op->result);
        op_end_event(c, "e", name, done > op->invoke_us ? done : op->invoke_us, pid, i + 1, args);
    }
}

/* ---- the integers export computes with ----
 *
 * The exporters do arithmetic on a few integers of the trace: times (t + 1
 * for a 1 us slice, end - start for a duration, x 1000 for nanoseconds),
 * endpoints (client k is endpoint -k, pid 1000 + k, host "clientk") and
 * client numbers (Jepsen process numbers). A trace the simulator wrote keeps
 * them small, but a hand-made or damaged one may hold INT64_MIN, INT_MIN or
 * 1e300, and negating or adding to those overflows (undefined behaviour; it
 * was a UBSan report). So before any exporter sees a record, these fields,
 * when they are numbers, must be whole and within what the simulator can
 * write; anything else is a bad line (exit 65) that names the field. */
#define T_MAX (INT64_MAX / 1000)    /* true time is int64 ns; the trace has us */
#define ENDPOINT_MAX 100000         /* nodes 1..N, clients -1..-N: SIM_MAX_NODES and SIM_MAX_CLIENTS */

static const struct {
    const char *name;
    int64_t lo, hi;
} ranged[] = {
    {"t", 0, T_MAX},
    {"node", -ENDPOINT_MAX, ENDPOINT_MAX},
    {"src", -ENDPOINT_MAX, ENDPOINT_MAX},
    {"dst", -ENDPOINT_MAX, ENDPOINT_MAX},
    {"target", -ENDPOINT_MAX, ENDPOINT_MAX},
    {"client", 1, ENDPOINT_MAX},
};

/* 0 if REC's ranged fields are fine; else fills r->err and returns -1. */
static int check_ranges(struct trace_reader *r, const cJSON *rec)
{
    for (size_t i = 0; i < sizeof ranged / sizeof ranged[0]; i++) {
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(rec, ranged[i].name);
        if (!cJSON_IsNumber(v))
            continue;
        double d = v->valuedouble;
        const char *what = NULL;
        /* compare as doubles first (catches NaN too), convert only when in range */
        if (!(d >= (double)ranged[i].lo && d <= (double)ranged[i].hi))
            what = "out of range";
        else if ((double)(int64_t)d != d)
            what = "not a whole number";
        if (what) {
            snprintf(r->err, sizeof r->err, "%s:%ld: \"%s\": %.17g is %s (%lld..%lld)", r->path, r->line,
                     ranged[i].name, d, what, (long long)ranged[i].lo, (long long)ranged[i].hi);
            return -1;
        }
    }
    return 0;
}

/* Hand every record of the trace to fn. A cut-short last line (a trace
 * still being written) is a warning; any other bad line — malformed JSON,
 * a trace the reader rejects (a bad schema, two headers, records after the
 * end, ...) or a field out of range — stops the export with EXIT_DATAERR:
 * export must not succeed on a trace that check rejects. */
static int each_record(struct trace_reader *r, void (*fn)(void *, const cJSON *), void *ud)
{
    cJSON *rec;
    int st;
    while ((st = trace_next(r, &rec)) != TRACE_EOF) {
        if (st == TRACE_BAD_LINE && r->cut_short) {
            tool_error(PROG, "warning: %s:%ld: the last line is cut short; ignoring it", r->path, r->line);
            return 0;
        }
        if (st == TRACE_RECORD && check_ranges(r, rec) != 0) {
            cJSON_Delete(rec);
            st = TRACE_BAD_LINE;
        }
        if (st != TRACE_RECORD) {
            tool_error(PROG, "%s", r->err);
            return EXIT_DATAERR;
        }
        fn(ud, rec);
        cJSON_Delete(rec);
    }
    return 0;
}

static void chrome_rec_cb(void *ud, const cJSON *rec) { chrome_rec(ud, rec); }

static int export_chrome(struct trace_reader *r, FILE *out)
{
    struct chrome c;
    memset(&c, 0, sizeof c);
    c.out = out;
    c.first = 1;
    idmap_init(&c.byendpoint);
    idmap_init(&c.byid);
    trace_ops_init(&c.ops);
    trace_ops_source(&c.ops, r);
    fputs("{\"displayTimeUnit\":\"ms\",\"traceEvents\":[", out);
    int rc = each_record(r, chrome_rec_cb, &c);
    if (!rc)
        rc = trace_ops_verdict(PROG, &c.ops);
    int64_t end = r->end ? json_int(r->end, "t", r->last_t) : r->last_t;
    if (!rc)
        chrome_finish(&c, end);
    fputs("\n],\"otherData\":", out);
    cJSON *other = r->header ? cJSON_Duplicate(r->header, 1) : cJSON_CreateObject();
    cJSON_AddStringToObject(other, "exported_by", "clustersim export --to chrome");
    emit(out, other, "");
    fputs("}\n", out);
    for (size_t i = 0; i < c.nnodes; i++) {
        free(c.nodes[i]->role);
        free(c.nodes[i]);
    }
    free(c.nodes);
    idmap_free(&c.byendpoint);
    for (size_t i = 0; i < c.nsent; i++)
        free(c.sent[i].msg);
    free(c.sent);
    idmap_free(&c.byid);
    trace_ops_free(&c.ops);
    return rc;
}

/* ---- shiviz ----
 *
 * The layout is the one ShiViz's default parser reads,
 *     (?<event>.*)\n(?<host>\S*) (?<clock>{.*})
 * that is, per event a line of text and then a line "host {clock json}".
 * A log file opens with that regex and the (empty) delimiter between
 * executions, which ShiViz skips just as well when the file is pasted.
 * ShiViz's rules (its ModelGraph): a host's own clock entry is 1 on its
 * first event and rises by exactly 1 per event; any other entry must name
 * a host that logs events and stay within the number of events it logs. */

/* What a send left for its receives: the sender's clock at the send. Sends
 * of one host with no receive between them have the same clock except their
 * own entry, so they share one snapshot (base) and keep their own entry
 * apart. A send is never forgotten on a recv or a drop: a duplicated message
 * has two outcomes, and a dropped copy must not cost the other its clock. */
struct shiviz_sent {
    size_t host, base;
    int64_t own;
};

struct shiviz_base {
    size_t n;                /* hosts known when it was taken; later ones are 0 */
    int64_t *v;
};

struct shiviz {
    FILE *out;
    int64_t *hosts;          /* endpoint of each host index */
    size_t nhosts;
    int64_t **clock;         /* clock[h] has width entries (hosts beyond nhosts are 0) */
    size_t width;            /* allocated width of every clock */
    size_t *base_of;         /* the snapshot of clock[h] sends share, or NO_BASE */
    struct shiviz_base *bases;
    size_t nbases, capbases;
    struct shiviz_sent *sent;
    size_t nsent, cap;
    struct idmap byid;
};

#define NO_BASE ((size_t)-1)

static size_t shiviz_host(struct shiviz *s, int64_t endpoint)
{
    for (size_t i = 0; i < s->nhosts; i++)
        if (s->hosts[i] == endpoint)
            return i;
    size_t h = s->nhosts++;
    s->hosts = xrealloc(s->hosts, s->nhosts * sizeof *s->hosts);
    s->hosts[h] = endpoint;
    s->base_of = xrealloc(s->base_of, s->nhosts * sizeof *s->base_of);
    s->base_of[h] = NO_BASE;
    s->clock = xrealloc(s->clock, s->nhosts * sizeof *s->clock);
    s->clock[h] = NULL;
    if (s->nhosts > s->width) {
        size_t w = s->width ? s->width * 2 : 8;
        for (size_t i = 0; i < s->nhosts; i++) {
            s->clock[i] = xrealloc(s->clock[i], w * sizeof **s->clock);
            for (size_t j = i == h ? 0 : s->width; j < w; j++)
                s->clock[i][j] = 0;
        }
        s->width = w;
    } else {
        s->clock[h] = xcalloc(s->width, sizeof **s->clock);
    }
    return h;
}

static void host_name(char *buf, size_t n, int64_t endpoint)
{
    if (endpoint > 0)
        snprintf(buf, n, "node%lld", (long long)endpoint);
    else
        snprintf(buf, n, "client%lld", -(long long)endpoint);   /* endpoints are range-checked */
}

/* The event text must stay on one line for ShiViz's "." (which, in
 * JavaScript, stops at \n, \r, U+2028 and U+2029): trace strings (a message
 * name, a role) could hold any of them. */
static void one_line(char *text)
{
    for (unsigned char *p = (unsigned char *)text; *p; p++) {
        if (*p < 0x20 || *p == 0x7f)
            *p = ' ';
        else if (p[0] == 0xe2 && p[1] == 0x80 && (p[2] == 0xa8 || p[2] == 0xa9))
            p[0] = p[1] = p[2] = ' ';
    }
}

/* Log one event of host H: its own component goes up by exactly one. The
 * text comes first (it always starts with the time, "12.345 ms: ", so it
 * never looks like a host and clock line), then "host {clock}". */
static void shiviz_event(struct shiviz *s, size_t h, char *text)
{
    s->clock[h][h]++;
    one_line(text);
    char name[32];
    host_name(name, sizeof name, s->hosts[h]);
    fprintf(s->out, "%s\n%s {", text, name);
    int first = 1;
    for (size_t i = 0; i < s->nhosts; i++) {
        if (!s->clock[h][i])
            continue;
        char hn[32];
        host_name(hn, sizeof hn, s->hosts[i]);
        fprintf(s->out, "%s\"%s\":%lld", first ? "" : ", ", hn, (long long)s->clock[h][i]);
        first = 0;
    }
    fputs("}\n", s->out);
}

static void shiviz_send(struct shiviz *s, size_t h, int64_t id)
{
    if (s->base_of[h] == NO_BASE) {
        if (s->nbases == s->capbases) {
            s->capbases = s->capbases ? s->capbases * 2 : 256;
            s->bases = xrealloc(s->bases, s->capbases * sizeof *s->bases);
        }
        struct shiviz_base *b = &s->bases[s->nbases];
        b->n = s->nhosts;
        b->v = xrealloc(NULL, b->n * sizeof *b->v);
        memcpy(b->v, s->clock[h], b->n * sizeof *b->v);
        s->base_of[h] = s->nbases++;
    }
    if (s->nsent == s->cap) {
        s->cap = s->cap ? s->cap * 2 : 1024;
        s->sent = xrealloc(s->sent, s->cap * sizeof *s->sent);
    }
    s->sent[s->nsent] = (struct shiviz_sent){h, s->base_of[h], s->clock[h][h]};
    idmap_put(&s->byid, id, s->nsent++);
}

/* A receive on host H of the send M: H's clock takes the larger of each entry. */
static void shiviz_merge(struct shiviz *s, size_t h, const struct shiviz_sent *m)
{
    const struct shiviz_base *b = &s->bases[m->base];
    int changed = 0;
    for (size_t j = 0; j < b->n; j++) {
        int64_t v = j == m->host ? m->own : b->v[j];
        if (v > s->clock[h][j]) {
            s->clock[h][j] = v;
            changed = 1;
        }
    }
    if (changed)
        s->base_of[h] = NO_BASE;     /* H's later sends carry what it learnt */
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
        const char *msg = json_str(rec, "msg");
        char *args = json_text(rec, "args");
        char dn[32];
        host_name(dn, sizeof dn, dst);
        snprintf(text, sizeof text, "%.3f ms: send %s #%lld to %s %s", tms, msg ? msg : "?", (long long)id, dn,
                 args ? args : "");
        free(args);
        shiviz_event(s, h, text);
        shiviz_send(s, h, id);
    } else if (strcmp(type, "recv") == 0 && json_has_int(rec, "id", &id)) {
        /* a drop is no one's event, and is left out */
        size_t i;
        int64_t src = json_int(rec, "src", 0), dst = json_int(rec, "dst", 0);
        size_t h = shiviz_host(s, dst);
        if (idmap_get(&s->byid, id, &i))
            shiviz_merge(s, h, &s->sent[i]);
        const char *msg = json_str(rec, "msg");
        char sn[32];
        host_name(sn, sizeof sn, src);
        snprintf(text, sizeof text, "%.3f ms: recv %s #%lld from %s", tms, msg ? msg : "?", (long long)id, sn);
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
        } else if (strcmp(type, "chosen") == 0) {
            const char *b = json_str(rec, "ballot");
            snprintf(text, sizeof text, "%.3f ms: chosen slot %lld (ballot %s)", tms,
                     (long long)json_int(rec, "slot", 0), b ? b : "?");
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
    /* ShiViz's default parsing regex, then the (empty) delimiter between executions */
    fputs("(?<event>.*)\\n(?<host>\\S*) (?<clock>{.*})\n\n", out);
    int rc = each_record(r, shiviz_rec_cb, &s);
    for (size_t i = 0; i < s.nhosts; i++)
        free(s.clock[i]);
    free(s.clock);
    free(s.hosts);
    free(s.base_of);
    for (size_t i = 0; i < s.nbases; i++)
        free(s.bases[i].v);
    free(s.bases);
    free(s.sent);
    idmap_free(&s.byid);
    return rc;
}

/* ---- history ----
 *
 * Jepsen's rules for a history: events in real-time order, and a process
 * is sequential — at most one operation outstanding — and never used again
 * after an "info" (its operation may still take effect at any later time).
 * A client of the simulator may have several operations outstanding (an
 * open-loop load), so, as Jepsen does with its worker threads, each
 * concurrent operation gets a process of its own: a client's next operation
 * takes the lowest-numbered free process of that client, else a new one.
 * Client k's first process is k-1 (so a closed-loop client is process k-1
 * until an info), and new process numbers count on from the number of
 * clients, in the order they are needed: deterministic for a given trace. */

/* Where an operation's records are in the trace: the order of events in
 * the history is the trace's record order (the trace is written in event
 * order), not the rounded microsecond times, which tie for operations a few
 * nanoseconds apart and so cannot tell which came first. */
struct op_place {
    int64_t invoked, completed;      /* record numbers; -1 if none */
};

struct hist_scan {
    struct trace_ops ops;
    long recno;
    struct idmap where[2];           /* [1] invoke/complete, [0] request/reply: (client, seq) -> places[k] */
    struct op_place *places[2];
    size_t nplaces[2], cap[2];
};

/* (client, seq) as one key; clients are range-checked to under 2^20 */
static int64_t client_seq_key(int64_t client, int64_t seq)
{
    return (int64_t)(((uint64_t)client << 43) ^ (uint64_t)seq);
}

static void hist_rec(void *ud, const cJSON *rec)
{
    struct hist_scan *h = ud;
    long recno = h->recno++;
    trace_ops_add(&h->ops, rec);
    const char *type = rec_type(rec);
    int inv = strcmp(type, "invoke") == 0, cmp = strcmp(type, "complete") == 0;
    int req = strcmp(type, "request") == 0, rep = strcmp(type, "reply") == 0;
    int64_t client, seq;
    if ((!inv && !cmp && !req && !rep) || !json_has_int(rec, "client", &client) ||
        (!json_has_int(rec, "seq", &seq) && !json_has_int(rec, "id", &seq)))
        return;
    int set = inv || cmp;
    int64_t key = client_seq_key(client, seq);
    size_t i;
    if (!idmap_get(&h->where[set], key, &i)) {
        if (!inv && !req)
            return;                  /* a completion of nothing: trace_ops ignores it too */
        if (h->nplaces[set] == h->cap[set]) {
            h->cap[set] = h->cap[set] ? h->cap[set] * 2 : 256;
            h->places[set] = xrealloc(h->places[set], h->cap[set] * sizeof *h->places[set]);
        }
        i = h->nplaces[set]++;
        h->places[set][i] = (struct op_place){-1, -1};
        idmap_put(&h->where[set], key, i);
    }
    struct op_place *pl = &h->places[set][i];
    if (inv || (req && pl->invoked < 0))
        pl->invoked = recno;         /* a retried request is the same operation */
    if (cmp || rep)
        pl->completed = recno;
}

struct hist_event {
    int64_t at;        /* record number; INT64_MAX for the end of an unfinished operation */
    size_t op;
    int invoke;
};

static int by_place(const void *a, const void *b)
{
    const struct hist_event *x = a, *y = b;
    if (x->at != y->at)
        return x->at < y->at ? -1 : 1;
    return x->op < y->op ? -1 : x->op > y->op;
}

/* Each client's free processes (ok or fail ended their operation) */
struct proc_pool {
    int64_t *free;
    size_t n, cap;
    int first_taken;   /* process k-1 has been handed out */
};

static int64_t take_process(struct proc_pool *p, int client, int64_t *next_fresh)
{
    if (p->n) {
        size_t lo = 0;
        for (size_t i = 1; i < p->n; i++)
            if (p->free[i] < p->free[lo])
                lo = i;
        int64_t proc = p->free[lo];
        p->free[lo] = p->free[--p->n];
        return proc;
    }
    if (!p->first_taken) {
        p->first_taken = 1;
        return client - 1;
    }
    return (*next_fresh)++;
}

static void give_back(struct proc_pool *p, int64_t proc)
{
    if (p->n == p->cap) {
        p->cap = p->cap ? p->cap * 2 : 4;
        p->free = xrealloc(p->free, p->cap * sizeof *p->free);
    }
    p->free[p->n++] = proc;
}

static cJSON *parse_value(const char *text)
{
    cJSON *v = text ? cJSON_Parse(text) : NULL;
    return v ? v : cJSON_CreateNull();
}

static cJSON *history_line(const struct trace_op *op, int invoke, int64_t proc, int64_t t_us, size_t index)
{
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
    cJSON_AddNumberToObject(o, "process", (double)proc);
    cJSON_AddNumberToObject(o, "time", (double)t_us * 1000.0);     /* t <= T_MAX: no overflow in ns */
    cJSON_AddNumberToObject(o, "index", (double)index);
    if (!invoke && op->raw_status && strcmp(op->raw_status, type) != 0)
        cJSON_AddStringToObject(o, "error", op->raw_status);   /* "timeout", "none" (run ended) */
    return o;
}

static int export_history(struct trace_reader *r, FILE *out)
{
    struct hist_scan h;
    memset(&h, 0, sizeof h);
    trace_ops_init(&h.ops);
    trace_ops_source(&h.ops, r);
    idmap_init(&h.where[0]);
    idmap_init(&h.where[1]);
    int rc = each_record(r, hist_rec, &h);
    struct trace_ops *ops = &h.ops;
    trace_ops_finish(ops);
    if (!rc)
        rc = trace_ops_verdict(PROG, ops);
    if (!rc && ops->n == 0) {
        tool_error(PROG, "%s has no client operations (invoke/complete or request/reply records)", r->path);
        rc = EXIT_CHECK_FAILED;
    }
    int64_t end = r->end ? json_int(r->end, "t", r->last_t) : r->last_t;
    int set = ops->from_invoke;
    struct hist_event *ev = xrealloc(NULL, (2 * ops->n + 1) * sizeof *ev);
    size_t n = 0;
    for (size_t i = 0; !rc && i < ops->n; i++) {
        const struct trace_op *op = &ops->v[i];
        size_t k;
        struct op_place pl = {-1, -1};
        if (idmap_get(&h.where[set], client_seq_key(op->client, op->seq), &k))
            pl = h.places[set][k];
        ev[n++] = (struct hist_event){pl.invoked, i, 1};
        ev[n++] = (struct hist_event){op->complete_us >= 0 && pl.completed >= 0 ? pl.completed : INT64_MAX, i, 0};
    }
    if (n)
        qsort(ev, n, sizeof *ev, by_place);
    int64_t nclients = ops->max_client > 0 ? ops->max_client : 1, next_fresh = nclients;
    struct proc_pool *pool = calloc((size_t)nclients + 1, sizeof *pool);
    int64_t *op_proc = xrealloc(NULL, (ops->n + 1) * sizeof *op_proc);
    if (!pool) {
        fputs("clustersim export: out of memory\n", stderr);
        exit(EXIT_INTERNAL);
    }
    for (size_t i = 0; i < n; i++) {
        const struct trace_op *op = &ops->v[ev[i].op];
        struct proc_pool *p = &pool[op->client];     /* 1..max_client: range-checked */
        if (ev[i].invoke)
            op_proc[ev[i].op] = take_process(p, op->client, &next_fresh);
        int64_t t = ev[i].invoke ? op->invoke_us : op->complete_us >= 0 ? op->complete_us : end;
        emit(out, history_line(op, ev[i].invoke, op_proc[ev[i].op], t, i), "");
        fputc('\n', out);
        if (!ev[i].invoke && op->status != OP_INFO)
            give_back(p, op_proc[ev[i].op]);
    }
    for (int64_t k = 0; k <= nclients; k++)
        free(pool[k].free);
    free(pool);
    free(op_proc);
    free(ev);
    for (int k = 0; k < 2; k++) {
        idmap_free(&h.where[k]);
        free(h.places[k]);
    }
    trace_ops_free(ops);
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

    /* `export t.jsonl -o t.jsonl` would empty the trace before reading it:
     * refuse before anything is opened for writing (same device and inode,
     * so a link or another spelling of the name is caught too) */
    const char *const ins[] = {in};
    int refused = refuse_output_over_input(PROG, outpath, ins, 1);
    if (refused)
        return refused;

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
