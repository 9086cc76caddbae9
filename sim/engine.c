/* The event loop and the node environment.
 *
 * One event per step: the earliest by (time, sequence). A step delivers a
 * message, fires a timer, runs a scripted action, resumes a paused node, or
 * advances a client or the nemesis; then the algorithm's invariants are
 * checked (every `check_every` events, 1 by default). Nothing here reads the
 * wall clock or iterates unordered memory, so a run is a pure function of
 * (scenario, seed, arguments).
 *
 * Hot path: sending and delivering a message and firing a timer allocate
 * nothing once the event and message pools have reached the run's high-water
 * mark, and call no Lua unless a script hook asked for that record type. */
#include "sim/engine.h"

#include <assert.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/client.h"
#include "sim/nemesis.h"

#define MSG_BLOCK 1024

volatile sig_atomic_t sim_interrupted;

static void *xcalloc(size_t n, size_t sz)
{
    void *p = calloc(n ? n : 1, sz ? sz : 1);
    if (!p)
        abort();
    return p;
}

/* ------------------------------------------------------------------ pools */

static struct msg *msg_alloc(struct sim *s, size_t len)
{
    if (!s->msg_free) {
        struct msg *blk = xcalloc(MSG_BLOCK, sizeof *blk);
        if (s->nmsg_blocks == s->msg_blocks_cap) {
            s->msg_blocks_cap = s->msg_blocks_cap ? s->msg_blocks_cap * 2 : 16;
            s->msg_blocks = realloc(s->msg_blocks, s->msg_blocks_cap * sizeof *s->msg_blocks);
            if (!s->msg_blocks)
                abort();
        }
        s->msg_blocks[s->nmsg_blocks++] = blk;
        for (size_t i = MSG_BLOCK; i-- > 0;) {
            blk[i].next_free = s->msg_free;
            s->msg_free = &blk[i];
        }
    }
    struct msg *m = s->msg_free;
    s->msg_free = m->next_free;
    if (len > m->cap) {
        /* A buffer grows once to the largest payload it has carried and is
         * then reused: steady state allocates nothing. */
        size_t cap = len < 64 ? 64 : len;
        m->data = realloc(m->data, cap);
        if (!m->data)
            abort();
        m->cap = cap;
    }
    m->len = len;
    return m;
}

static void msg_release(struct sim *s, struct msg *m)
{
    m->next_free = s->msg_free;
    s->msg_free = m;
}

/* ------------------------------------------------------------- lifecycle */

struct sim *sim_new(uint64_t seed)
{
    struct sim *s = xcalloc(1, sizeof *s);
    s->seed = seed;
    queue_init(&s->q);
    net_init(&s->net);
    rng_init(&s->net_rng, seed, RNG_NET, 0);
    s->cluster.sim = s;
    s->check_every = 1;
    s->next_msg_id = 1;
    s->next_req_id = 1;
    s->nemesis_limit = -1;
    s->nemesis_max = -1;
    return s;
}

static void release_event(struct sim *s, struct event *e)
{
    if (e->msg) {
        msg_release(s, e->msg);
        e->msg = NULL;
    }
    if (e->kind == EV_ACTION && s->hooks.release)
        s->hooks.release(s->hooks.ctx, e);
    e->heap_idx = HEAP_NONE;
    queue_release(&s->q, e);
}

void sim_free(struct sim *s)
{
    if (!s)
        return;
    struct event *e;
    while ((e = queue_pop(&s->q)))
        release_event(s, e);
    for (int i = 1; i <= s->nnodes; i++) {
        struct node *n = s->nodes[i];
        if (!n)
            continue;
        while ((e = n->deferred_head)) {
            n->deferred_head = e->next;
            release_event(s, e);
        }
        if (n->state && s->alg && s->alg->state_free && n->up)
            s->alg->state_free(n);
        free(n->state);
        store_free(&n->store);
        free(n);
    }
    free(s->nodes);
    clients_free(s);
    nemesis_free(s);
    if (s->ghost && s->alg && s->alg->ghost_free)
        s->alg->ghost_free(s->ghost);
    free(s->ghost);
    if (s->shared && s->alg && s->alg->shared_free)
        s->alg->shared_free(s->shared);
    free(s->shared);
    free(s->params);
    for (size_t i = 0; i < s->nmsg_blocks; i++) {
        for (size_t j = 0; j < MSG_BLOCK; j++)
            free(s->msg_blocks[i][j].data);
        free(s->msg_blocks[i]);
    }
    free(s->msg_blocks);
    free(s->m.latency.ms);
    free(s->pending.v);
    free(s->preheader);
    for (int i = 0; i < s->nmsg_json; i++)
        free(s->msg_json[i]);
    free(s->msg_json);
    free(s->params_json);
    net_close(&s->net);
    queue_close(&s->q);
    free(s);
}

static struct node *node_new(struct sim *s, int id)
{
    struct node *n = xcalloc(1, sizeof *n);
    n->sim = s;
    n->id = id;
    n->member = 1;
    n->up = 1;
    clock_init(&n->clock);
    /* A node joining later starts its clock at true time: no offset. */
    n->clock.base_true = s->now;
    n->clock.base_local = s->now;
    rng_init(&n->rng, s->seed, RNG_NODE, (uint64_t)id);
    rng_init(&n->disk_rng, s->seed, RNG_DISK, (uint64_t)id);
    n->disk = s->disk;
    n->has_disk = s->has_disk;
    n->state = xcalloc(1, s->alg->state_size);
    store_init(&n->store);
    return n;
}

static void sync_done(struct sim *s, struct node *n, struct event *e);
static void process_leaves(struct sim *s);

static void call_start(struct sim *s, struct node *n)
{
    s->in_node++;
    s->alg->start(n);
    s->in_node--;
}

/* Tell node n (up) that `id` joined or left the configuration. */
static void call_membership(struct sim *s, struct node *n, int id, int joined)
{
    s->in_node++;
    s->alg->on_membership(n, id, joined);
    s->in_node--;
}

/* Every up member but `skip`, in id order. */
static void tell_members(struct sim *s, int id, int joined, int skip)
{
    if (!s->alg->on_membership)
        return;
    for (int i = 1; i <= s->nnodes; i++)
        if (i != skip && s->nodes[i]->member && s->nodes[i]->up)
            call_membership(s, s->nodes[i], id, joined);
}

int sim_cluster(struct sim *s, const struct algorithm *alg, int nodes, struct config *cfg,
                struct error *err)
{
    assert(!s->alg);
    void *params = xcalloc(1, alg->params_size);
    cfg->nodes = nodes;
    cfg->bugs = s->bugs;
    cfg->nbugs = s->nbugs;
    err->msg[0] = 0;
    const char *bad = NULL;
    if ((alg->configure && alg->configure(cfg, params, err) != 0) || (bad = config_unknown(cfg))) {
        if (bad) {
            char known[400];
            config_known(cfg, known, sizeof known);
            snprintf(err->msg, sizeof err->msg, "unknown option '%s' for algorithm '%s' (known options: %s)",
                     bad, alg->name, known[0] ? known : "none");
        }
        free(params);     /* no half-built cluster: the script may try again */
        return -1;
    }
    if (s->has_disk && !alg->on_sync) {
        snprintf(err->msg, sizeof err->msg, "option 'disk': algorithm '%s' does not model disk latency", alg->name);
        free(params);
        return -1;
    }
    s->alg = alg;
    s->params = params;
    s->nmsg_json = alg->msg_count + 2;
    s->msg_json = xcalloc((size_t)s->nmsg_json, sizeof *s->msg_json);
    s->ghost = xcalloc(1, alg->ghost_size);
    s->shared = alg->shared_size ? xcalloc(1, alg->shared_size) : NULL;
    if (alg->ghost_init)
        alg->ghost_init(s->ghost, s->params, nodes);
    s->nodes_cap = nodes + 1;
    s->nodes = xcalloc((size_t)s->nodes_cap, sizeof *s->nodes);
    s->nnodes = nodes;
    net_resize(&s->net, nodes);
    for (int i = 1; i <= nodes; i++)
        s->nodes[i] = node_new(s, i);
    /* Every node exists before any starts: a node may send to a peer from start(). */
    for (int i = 1; i <= nodes; i++)
        call_start(s, s->nodes[i]);
    /* The initial state must hold the invariants too: one check before any
     * event, outside the check_every thinning. */
    if (alg->check) {
        struct violation v;
        memset(&v, 0, sizeof v);
        s->m.checks++;
        if (alg->check(&s->cluster, &v))
            sim_violation(s, &v);
    }
    return 0;
}

struct node *sim_node(struct sim *s, int id)
{
    return id >= 1 && id <= s->nnodes ? s->nodes[id] : NULL;
}

/* ---------------------------------------------------------- trace, hooks */

int sim_wants(struct sim *s, const char *type, int level)
{
    if (s->trace_open && s->trace_level >= level)
        return 1;
    return s->hooks.wants && s->hooks.wants(s->hooks.ctx, type);
}

void sim_write_header(struct sim *s)
{
    if (s->header_written || !s->trace_open)
        return;
    s->header_written = 1;
    /* Written by hand, not through a struct record: the scenario path and
     * the parameters have no size limit. */
    char *buf = NULL;
    size_t len = 0, cap = 0;
    char tmp[96];
#define HLIT(lit) json_append_raw(&buf, &len, &cap, lit)
    HLIT("{\"type\":\"header\",\"schema\":");
    snprintf(tmp, sizeof tmp, "%d", TRACE_SCHEMA);
    HLIT(tmp);
    HLIT(",\"tool\":\"clustersim\",\"version\":");
    json_append_string(&buf, &len, &cap, CLUSTERSIM_VERSION);
    HLIT(",\"time_unit\":\"us\",\"scenario\":");
    json_append_string(&buf, &len, &cap, s->scenario ? s->scenario : "");
    snprintf(tmp, sizeof tmp, ",\"seed\":\"%" PRIu64 "\",\"params\":", s->seed);
    HLIT(tmp);
    HLIT(s->params_json ? s->params_json : "{}");
    if (s->alg) {
        HLIT(",\"algorithm\":");
        json_append_string(&buf, &len, &cap, s->alg->name);
        snprintf(tmp, sizeof tmp, ",\"nodes\":%d", s->nnodes);
        HLIT(tmp);
    }
    HLIT(s->trace_level == TRACE_MESSAGES ? ",\"trace_level\":\"messages\"" : ",\"trace_level\":\"state\"");
    if (s->nbugs) {
        HLIT(",\"bugs\":[");
        for (int i = 0; i < s->nbugs; i++) {
            if (i)
                HLIT(",");
            json_append_string(&buf, &len, &cap, s->bugs[i]);
        }
        HLIT("]");
    }
    HLIT("}\n");
#undef HLIT
    trace_write_raw(&s->trace, buf, len, 1);
    free(buf);
    if (s->preheader_len) {
        unsigned long long lines = 0;
        for (size_t i = 0; i < s->preheader_len; i++)
            lines += s->preheader[i] == '\n';
        trace_write_raw(&s->trace, s->preheader, s->preheader_len, lines);
        s->preheader_len = 0;
    }
}

void sim_emit(struct sim *s, const struct record *r, int level)
{
    assert(!r->overflow && "record too large: raise RECORD_MAX_FIELDS or RECORD_STRBUF");
    if (s->trace_open && s->trace_level >= level) {
        if (!s->header_written && !s->alg) {
            /* The header names the algorithm and cluster size: hold records
             * made before sim.cluster until it is written. */
            record_to_json(r, 1, &s->preheader, &s->preheader_len, &s->preheader_cap);
            record_to_json_newline(&s->preheader, &s->preheader_len, &s->preheader_cap);
        } else {
            if (!s->header_written)
                sim_write_header(s);
            trace_write(&s->trace, r);
        }
    }
    if (s->hooks.flush && s->hooks.wants && s->hooks.wants(s->hooks.ctx, r->type))
        sim_queue_hook(s, r, -1);
}

void sim_queue_hook(struct sim *s, const struct record *r, int64_t ref)
{
    struct pending_hooks *p = &s->pending;
    if (p->len == p->cap) {
        /* Not realloc: a record's string fields point into the record itself,
         * so each must be re-pointed by record_copy when it moves. */
        size_t ncap = p->cap ? p->cap * 2 : 16;
        struct pending_hook *nv = malloc(ncap * sizeof *nv);
        if (!nv)
            abort();
        for (size_t i = 0; i < p->len; i++) {
            record_copy(&nv[i].r, &p->v[i].r);
            nv[i].ref = p->v[i].ref;
        }
        free(p->v);
        p->v = nv;
        p->cap = ncap;
    }
    record_copy(&p->v[p->len].r, r);
    p->v[p->len].ref = ref;
    p->len++;
}

void sim_write_end(struct sim *s, const char *status)
{
    if (!s->trace_open)
        return;
    sim_write_header(s);
    /* DESIGN.md puts "status" before "t" in the end record. */
    struct record e;
    record_init(&e, "end", 0);
    record_str(&e, "status", status);
    record_int(&e, "t", s->now >= 0 ? s->now / 1000 : 0);
    record_int(&e, "events", (int64_t)s->m.events);
    record_obj_begin(&e, "messages");
    record_int(&e, "sent", (int64_t)s->m.sent);
    record_int(&e, "delivered", (int64_t)s->m.delivered);
    record_int(&e, "dropped", (int64_t)s->m.dropped);
    record_obj_end(&e);
    record_int(&e, "violations", (int64_t)s->violations);
    trace_write_untimed(&s->trace, &e);
    s->trace_level = -1;     /* the end record is the last line, whatever runs after it */
}

void sim_violation(struct sim *s, const struct violation *v)
{
    s->violation = *v;
    s->violations++;
    s->stop = STOP_VIOLATION;
    struct record r;
    record_init(&r, "violation", s->now);
    record_str(&r, "invariant", v->invariant);
    record_str(&r, "detail", v->detail);
    sim_emit(s, &r, TRACE_STATE);
}

/* -------------------------------------------------------------- messages */

const char *sim_msg_name(const struct sim *s, int type)
{
    if (type == MSG_REQUEST)
        return "Request";
    if (type == MSG_REPLY)
        return "Reply";
    if (s->alg && type >= 0 && type < s->alg->msg_count && s->alg->msg_names)
        return s->alg->msg_names[type];
    return "?";
}

static void describe_msg(struct sim *s, const struct msg *m, struct record *r)
{
    record_obj_begin(r, "args");
    if (m->type == MSG_REQUEST) {
        const struct request *q = (const struct request *)m->data;
        record_int(r, "client", q->client);
        record_int(r, "seq", (int64_t)q->seq);
        record_str(r, "op", q->op);
        if (q->key[0])
            record_str(r, "key", q->key);
    } else if (m->type == MSG_REPLY) {
        const struct reply_payload *p = (const struct reply_payload *)m->data;
        static const char *const st[] = { "ok", "fail", "redirect", "info" };
        record_int(r, "req", (int64_t)p->req_id);
        record_str(r, "status", st[p->res.status]);
        if (p->res.status == RESULT_REDIRECT)
            record_int(r, "leader", p->res.leader);
    } else if (s->alg->describe) {
        s->alg->describe(m->type, m->data, m->len, r);
    }
    record_obj_end(r);
}

/* The message type's name as a JSON string, escaped once per run. */
static const char *msg_json(struct sim *s, int type)
{
    int idx = type + 2;     /* MSG_REPLY = -2 .. msg_count - 1 */
    if (idx < 0 || idx >= s->nmsg_json)
        return "\"?\"";
    if (!s->msg_json[idx]) {
        char *buf = NULL;
        size_t len = 0, cap = 0;
        json_append_string(&buf, &len, &cap, sim_msg_name(s, type));
        buf = realloc(buf, len + 1);
        if (!buf)
            abort();
        buf[len] = 0;
        s->msg_json[idx] = buf;
    }
    return s->msg_json[idx];
}

/* A send, recv or drop record. The trace-only case (no script hook wants
 * it) takes a direct serialiser: at the messages level this runs for every
 * message, twice. */
static void trace_msg(struct sim *s, const char *type, const struct msg *m, enum drop_reason why)
{
    int send = type[0] == 's';
    if (!s->hooks.wants || !s->hooks.wants(s->hooks.ctx, type)) {
        if (!s->trace_open || s->trace_level < TRACE_MESSAGES)
            return;
        if (!s->header_written)
            sim_write_header(s);
        struct record args;
        if (send) {
            record_init(&args, "args", s->now);
            describe_msg(s, m, &args);
        }
        trace_write_msg(&s->trace, s->now, type, m->src, m->dst, msg_json(s, m->type), m->id,
                        send ? &args : NULL, why != DROP_NONE ? drop_reason_name(why) : NULL);
        return;
    }
    struct record r;
    record_init(&r, type, s->now);
    record_int(&r, "src", m->src);
    record_int(&r, "dst", m->dst);
    record_str(&r, "msg", sim_msg_name(s, m->type));
    record_int(&r, "id", (int64_t)m->id);
    if (send)
        describe_msg(s, m, &r);
    if (why != DROP_NONE)
        record_str(&r, "why", drop_reason_name(why));
    sim_emit(s, &r, TRACE_MESSAGES);
}

static void trace_drop(struct sim *s, const struct msg *m, enum drop_reason why)
{
    s->m.dropped++;
    s->m.dropped_by[why]++;
    if (s->want_drop)
        trace_msg(s, "drop", m, why);
}

static int endpoint_down(struct sim *s, int ep, enum drop_reason *why)
{
    if (ep > 0) {
        struct node *n = sim_node(s, ep);
        if (!n || !n->member) {
            *why = DROP_REMOVED;
            return 1;
        }
        if (!n->up) {
            *why = DROP_CRASHED;
            return 1;
        }
        return 0;
    }
    if (!client_up(s, -ep)) {
        *why = DROP_CRASHED;
        return 1;
    }
    return 0;
}

static void schedule_delivery(struct sim *s, struct msg *m, const struct link_params *lp)
{
    sim_time at = s->now + dist_sample(&lp->latency, &s->net_rng);
    if (lp->fifo) {
        int64_t *last = pairmap_put(&s->net.fifo_last, pair_key(m->src, m->dst), INT64_MIN);
        if (at < *last)
            at = *last;
        *last = at;
    }
    struct event *e = queue_alloc(&s->q);
    e->kind = EV_DELIVER;
    e->target = m->dst;
    e->msg = m;
    queue_push(&s->q, e, at);
}

uint64_t sim_send(struct sim *s, int src, int dst, int type, const void *payload, size_t len)
{
    struct msg *m = msg_alloc(s, len);
    m->src = src;
    m->dst = dst;
    m->type = type;
    m->id = s->next_msg_id++;
    m->sent_at = s->now;
    if (len)
        memcpy(m->data, payload, len);
    s->m.sent++;
    if (s->want_send)
        trace_msg(s, "send", m, DROP_NONE);
    uint64_t id = m->id;
    struct link_params tmp;
    const struct link_params *lp = net_link(&s->net, src, dst, &tmp);
    enum drop_reason why = net_blocked(&s->net, src, dst);
    if (why == DROP_NONE && rng_chance(&s->net_rng, lp->loss))
        why = DROP_LOSS;
    if (why != DROP_NONE) {
        trace_drop(s, m, why);
        msg_release(s, m);
        return id;
    }
    if (rng_chance(&s->net_rng, lp->duplicate)) {
        struct msg *d = msg_alloc(s, len);
        size_t cap = d->cap;
        unsigned char *data = d->data;
        *d = *m;
        d->cap = cap;
        d->data = data;
        if (len)
            memcpy(d->data, m->data, len);
        s->m.duplicated++;
        schedule_delivery(s, d, lp);
    }
    schedule_delivery(s, m, lp);
    return id;
}

static void defer(struct node *n, struct event *e)
{
    e->heap_idx = HEAP_DEFERRED;
    e->next = NULL;
    if (n->deferred_tail)
        n->deferred_tail->next = e;
    else
        n->deferred_head = e;
    n->deferred_tail = e;
}

static void deliver_to_node(struct sim *s, struct node *n, struct msg *m)
{
    s->m.delivered++;
    if (s->want_recv)
        trace_msg(s, "recv", m, DROP_NONE);
    s->in_node++;
    if (m->type == MSG_REQUEST) {
        struct request req;
        memcpy(&req, m->data, sizeof req);
        if (s->alg->on_request) {
            s->alg->on_request(n, &req);
        } else {
            struct result res = { .status = RESULT_FAIL };
            snprintf(res.error, sizeof res.error, "%s takes no client requests", s->alg->name);
            node_reply(n, &req, &res);
        }
    } else {
        struct message msg = { m->src, m->dst, m->type, m->id, m->data, m->len };
        s->alg->on_message(n, &msg);
    }
    s->in_node--;
}

/* Returns 1 when the event was handed on (deferred) and must not be released. */
static int handle_deliver(struct sim *s, struct event *e)
{
    struct msg *m = e->msg;
    /* aux2 = 1: the message already arrived and a paused receiver held it.
     * At resume it does not cross the network again (a partition installed
     * during the pause cannot reach into the inbox), and a client's copy is
     * not counted or traced as received a second time. */
    int arrived = e->aux2 == 1;
    enum drop_reason why = arrived ? DROP_NONE : net_blocked(&s->net, m->src, m->dst);
    if (why == DROP_NONE)
        endpoint_down(s, m->dst, &why);
    if (why != DROP_NONE) {
        trace_drop(s, m, why);
        return 0;
    }
    if (m->dst < 0) {
        if (!arrived) {
            s->m.delivered++;
            if (s->want_recv)
                trace_msg(s, "recv", m, DROP_NONE);
        }
        e->aux2 = 1;
        return client_deliver(s, e);
    }
    struct node *n = s->nodes[m->dst];
    if (n->paused) {
        e->aux2 = 1;
        defer(n, e);
        return 1;
    }
    deliver_to_node(s, n, m);
    return 0;
}

/* ---------------------------------------------------------------- timers */

static void fire_timer(struct sim *s, struct node *n, struct event *e)
{
    int id = (int)e->aux;
    assert(n->timers[id] == e);
    n->timers[id] = NULL;
    s->m.timers_fired++;
    s->in_node++;
    s->alg->on_timer(n, id);
    s->in_node--;
}

/* A timer or a finished sync of an up node: a paused node keeps the event
 * until it resumes (returns 1: the event is kept, not freed). */
static int node_event(struct sim *s, struct event *e, void (*run)(struct sim *, struct node *, struct event *))
{
    struct node *n = s->nodes[e->target];
    assert(n && n->up);
    if (n->paused) {
        defer(n, e);
        return 1;
    }
    run(s, n, e);
    return 0;
}

void sim_replan_timers(struct sim *s, struct node *n)
{
    for (int i = 0; i < NODE_MAX_TIMERS; i++) {
        struct event *e = n->timers[i];
        if (!e || e->heap_idx == HEAP_DEFERRED)
            continue;
        sim_time at = clock_true_at(&n->clock, e->local_deadline);
        if (at < s->now)
            at = s->now;
        queue_move(&s->q, e, at);
    }
}

/* ------------------------------------------------------------ event loop */

static void check_invariants(struct sim *s)
{
    if (!s->alg || !s->alg->check || s->stop)
        return;
    if (++s->since_check < s->check_every && !s->check_due)
        return;
    s->since_check = 0;
    s->check_due = 0;
    s->m.checks++;
    struct violation v;
    memset(&v, 0, sizeof v);
    if (s->alg->check(&s->cluster, &v))
        sim_violation(s, &v);
}

int sim_step(struct sim *s, sim_time until)
{
    struct event *e = queue_peek(&s->q);
    if (!e || e->at > until || s->stop)
        return 0;
    if (s->max_events && s->m.events >= s->max_events) {
        s->stop = STOP_LIMIT;
        return 0;
    }
    if (sim_interrupted | s->trace.error) {
        /* Ctrl-C, or a trace that can no longer be written (a full disk, a
         * reader that closed the pipe): running on would only waste time */
        s->stop = sim_interrupted ? STOP_INTERRUPT : STOP_IOERR;
        return 0;
    }
    queue_pop(&s->q);
    assert(e->at >= s->now);
    s->now = e->at;
    s->m.events++;
    int keep = 0;
    switch (e->kind) {
    case EV_DELIVER:
        keep = handle_deliver(s, e);
        break;
    case EV_TIMER:
        keep = node_event(s, e, fire_timer);
        break;
    case EV_ACTION:
        if (s->hooks.action && s->hooks.action(s->hooks.ctx, s, e) != 0 && !s->stop)
            s->stop = STOP_ERROR;
        if (e->aux2 > 0 && !s->stop && e->heap_idx == HEAP_NONE && e->kind == EV_ACTION) {
            queue_push(&s->q, e, s->now + e->aux2);   /* sim.every */
            keep = 1;
        }
        break;
    case EV_SYNC:
        keep = node_event(s, e, sync_done);
        break;
    case EV_RESUME: {
        struct error err;
        struct node *n = s->nodes[e->target];
        n->resume_ev = NULL;
        sim_resume(s, e->target, &err);
        break;
    }
    case EV_CLIENT:
        keep = client_event(s, e);
        break;
    case EV_NEMESIS:
        keep = nemesis_event(s, e);
        break;
    case EV_CANCELLED:
        break;
    default:
        assert(0 && "bad event kind");
    }
    if (!keep)
        release_event(s, e);
    if (s->leaves)
        process_leaves(s);
    check_invariants(s);
    if (s->pending.len && s->hooks.flush)
        s->hooks.flush(s->hooks.ctx, s);
    return 1;
}

void sim_run(struct sim *s, sim_time until)
{
    while (!s->stop && sim_step(s, until))
        ;
    if (!s->stop && until > s->now)
        s->now = until;
}

struct event *sim_schedule_action(struct sim *s, sim_time at, int64_t ref, sim_time period)
{
    struct event *e = queue_alloc(&s->q);
    e->kind = EV_ACTION;
    e->aux = ref;
    e->aux2 = period;
    queue_push(&s->q, e, at < s->now ? s->now : at);
    return e;
}

/* ---------------------------------------------------------------- faults */

static int check_node(struct sim *s, int id, struct error *err)
{
    if (!s->alg) {
        snprintf(err->msg, sizeof err->msg, "no cluster yet: call sim.cluster{} first");
        return -1;
    }
    if (id < 1 || id > s->nnodes || !s->nodes[id]->member) {
        snprintf(err->msg, sizeof err->msg, "node %d does not exist (nodes are 1..%d)", id, s->nnodes);
        return -1;
    }
    return 0;
}

static void node_record(struct sim *s, const char *type, int id)
{
    if (!sim_wants(s, type, TRACE_STATE))
        return;
    struct record r;
    record_init(&r, type, s->now);
    record_int(&r, "node", id);
    sim_emit(s, &r, TRACE_STATE);
}

static void cancel_all(struct sim *s, struct node *n, int trace_drops)
{
    for (int i = 0; i < NODE_MAX_TIMERS; i++) {
        struct event *e = n->timers[i];
        if (!e)
            continue;
        n->timers[i] = NULL;
        if (e->heap_idx == HEAP_DEFERRED) {
            e->kind = EV_CANCELLED;
        } else {
            queue_remove(&s->q, e);
            release_event(s, e);
        }
    }
    if (n->sync_ev && n->sync_ev->heap_idx != HEAP_DEFERRED) {   /* deferred: released below */
        queue_remove(&s->q, n->sync_ev);
        release_event(s, n->sync_ev);
    }
    n->sync_ev = NULL;
    n->sync_req = n->sync_done = 0;
    struct event *e;
    while ((e = n->deferred_head)) {
        n->deferred_head = e->next;
        if (e->kind == EV_DELIVER && trace_drops)
            trace_drop(s, e->msg, DROP_CRASHED);
        release_event(s, e);
    }
    n->deferred_tail = NULL;
    if (n->resume_ev) {
        queue_remove(&s->q, n->resume_ev);
        release_event(s, n->resume_ev);
        n->resume_ev = NULL;
    }
    n->paused = 0;
}

static void wipe_state(struct sim *s, struct node *n)
{
    if (s->alg->state_free)
        s->alg->state_free(n);
    memset(n->state, 0, s->alg->state_size);
}

int sim_crash(struct sim *s, int id, struct error *err)
{
    if (check_node(s, id, err))
        return -1;
    struct node *n = s->nodes[id];
    if (!n->up) {
        snprintf(err->msg, sizeof err->msg, "node %d is already crashed", id);
        return -1;
    }
    node_record(s, "crash", id);
    cancel_all(s, n, 1);
    wipe_state(s, n);
    size_t lost = store_crash(&n->store, s->lose_unsynced);
    (void)lost;
    n->up = 0;
    n->down_since = s->now;
    return 0;
}

int sim_restart(struct sim *s, int id, struct error *err)
{
    if (check_node(s, id, err))
        return -1;
    struct node *n = s->nodes[id];
    if (n->up) {
        snprintf(err->msg, sizeof err->msg, "node %d is not crashed", id);
        return -1;
    }
    n->up = 1;
    n->restarts++;
    node_record(s, "restart", id);
    call_start(s, n);
    return 0;
}

int sim_pause(struct sim *s, int id, sim_time duration, struct error *err)
{
    if (check_node(s, id, err))
        return -1;
    struct node *n = s->nodes[id];
    if (!n->up) {
        snprintf(err->msg, sizeof err->msg, "node %d is crashed: restart it before pausing it", id);
        return -1;
    }
    if (sim_wants(s, "pause", TRACE_STATE)) {
        struct record r;
        record_init(&r, "pause", s->now);
        record_int(&r, "node", id);
        if (duration >= 0)
            record_num(&r, "ms", sim_ns_to_ms(duration));
        else
            record_null(&r, "ms");
        sim_emit(s, &r, TRACE_STATE);
    }
    n->paused = 1;
    if (n->resume_ev) {
        queue_remove(&s->q, n->resume_ev);
        release_event(s, n->resume_ev);
        n->resume_ev = NULL;
    }
    if (duration >= 0) {
        struct event *e = queue_alloc(&s->q);
        e->kind = EV_RESUME;
        e->target = id;
        queue_push(&s->q, e, s->now + duration);
        n->resume_ev = e;
    }
    return 0;
}

int sim_resume(struct sim *s, int id, struct error *err)
{
    if (check_node(s, id, err))
        return -1;
    struct node *n = s->nodes[id];
    if (!n->paused) {
        snprintf(err->msg, sizeof err->msg, "node %d is not paused", id);
        return -1;
    }
    if (n->resume_ev) {
        queue_remove(&s->q, n->resume_ev);
        release_event(s, n->resume_ev);
        n->resume_ev = NULL;
    }
    n->paused = 0;
    node_record(s, "resume", id);
    /* What waited runs now, in the order it was due. */
    struct event *e = n->deferred_head;
    n->deferred_head = n->deferred_tail = NULL;
    while (e) {
        struct event *next = e->next;
        e->next = NULL;
        e->heap_idx = HEAP_NONE;
        if (e->kind == EV_CANCELLED)
            release_event(s, e);
        else
            queue_push(&s->q, e, s->now);
        e = next;
    }
    return 0;
}

static void clock_record(struct sim *s, struct node *n, const char *what, double v)
{
    if (!sim_wants(s, "clock", TRACE_STATE))
        return;
    struct record r;
    record_init(&r, "clock", s->now);
    record_int(&r, "node", n->id);
    record_num(&r, what, v);
    record_num(&r, "drift_ppm", (double)n->clock.drift_ppb / 1000.0);
    record_num(&r, "offset_ms", sim_ns_to_ms(clock_offset(&n->clock, s->now)));
    sim_emit(s, &r, TRACE_STATE);
}

int sim_clock_drift(struct sim *s, int id, int64_t drift_ppb)
{
    struct node *n = s->nodes[id];
    clock_set_drift(&n->clock, s->now, drift_ppb);
    sim_replan_timers(s, n);
    clock_record(s, n, "set_drift_ppm", (double)drift_ppb / 1000.0);
    return 0;
}

int sim_clock_step(struct sim *s, int id, sim_time delta)
{
    struct node *n = s->nodes[id];
    clock_step(&n->clock, s->now, delta);
    sim_replan_timers(s, n);
    clock_record(s, n, "step_ms", sim_ns_to_ms(delta));
    return 0;
}

int sim_clock_offset(struct sim *s, int id, sim_time offset)
{
    struct node *n = s->nodes[id];
    clock_set_offset(&n->clock, s->now, offset);
    sim_replan_timers(s, n);
    clock_record(s, n, "set_offset_ms", sim_ns_to_ms(offset));
    return 0;
}

int sim_add_node(struct sim *s, struct error *err)
{
    if (!s->alg) {
        snprintf(err->msg, sizeof err->msg, "no cluster yet: call sim.cluster{} first");
        return -1;
    }
    if (!s->alg->supports_membership) {
        snprintf(err->msg, sizeof err->msg, "algorithm '%s' does not support membership changes", s->alg->name);
        return -1;
    }
    int id = s->nnodes + 1;
    if (id > SIM_MAX_NODES) {
        snprintf(err->msg, sizeof err->msg, "the cluster has %d nodes, the most a run may have", SIM_MAX_NODES);
        return -1;
    }
    if (id >= s->nodes_cap) {
        s->nodes_cap = s->nodes_cap * 2 + 2;
        s->nodes = realloc(s->nodes, (size_t)s->nodes_cap * sizeof *s->nodes);
        if (!s->nodes)
            abort();
    }
    s->nodes[id] = node_new(s, id);
    s->nnodes = id;
    net_resize(&s->net, id);
    node_record(s, "add_node", id);
    call_start(s, s->nodes[id]);
    tell_members(s, id, 1, 0);
    return id;
}

int sim_remove_node(struct sim *s, int id, struct error *err)
{
    if (check_node(s, id, err))
        return -1;
    if (!s->alg->supports_membership) {
        snprintf(err->msg, sizeof err->msg, "algorithm '%s' does not support membership changes", s->alg->name);
        return -1;
    }
    struct node *n = s->nodes[id];
    if (n->leaving && n->up) {
        snprintf(err->msg, sizeof err->msg, "node %d is already being removed", id);
        return -1;
    }
    if (s->alg->membership_by_log && n->up) {
        /* The algorithm runs the change; the node goes when it says so
         * (then the remove_node record). */
        node_record(s, "remove_request", id);
        n->leaving = 1;
        tell_members(s, id, 0, 0);
        return 0;
    }
    node_record(s, "remove_node", id);
    /* The leaving node hears first, while it can still send (a hand-off). */
    if (n->up && s->alg->on_membership)
        call_membership(s, n, id, 0);
    if (n->up) {
        cancel_all(s, n, 1);
        wipe_state(s, n);
    }
    n->up = 0;
    n->member = 0;
    tell_members(s, id, 0, id);
    return 0;
}

int sim_transfer_leadership(struct sim *s, int to, struct error *err)
{
    if (check_node(s, to, err))
        return -1;
    if (!s->alg->transfer_leadership) {
        snprintf(err->msg, sizeof err->msg, "algorithm '%s' does not support leadership transfer", s->alg->name);
        return -1;
    }
    int from = s->alg->leader ? s->alg->leader(&s->cluster) : 0;
    if (from <= 0) {
        snprintf(err->msg, sizeof err->msg, "no leader to transfer from");
        return -1;
    }
    if (s->nodes[from]->paused) {
        snprintf(err->msg, sizeof err->msg, "the leader, node %d, is paused", from);
        return -1;
    }
    s->in_node++;
    int rc = s->alg->transfer_leadership(s->nodes[from], to, err);
    s->in_node--;
    return rc;
}

/* The groups as JSON ("[[1,2],[3,4,5]]"), or 0 when they do not fit. */
static int groups_json(char *buf, size_t cap, int ngroups, const int *const *groups, const int *counts)
{
    size_t len = 0;
    int n = snprintf(buf, cap, "[");
    for (int g = 0; g < ngroups; g++) {
        len += (size_t)n;
        n = snprintf(buf + len, cap - len, "%s[", g ? "," : "");
        for (int i = 0; i < counts[g]; i++) {
            if (len + (size_t)n + 16 >= cap)
                return 0;
            len += (size_t)n;
            n = snprintf(buf + len, cap - len, "%s%d", i ? "," : "", groups[g][i]);
        }
        len += (size_t)n;
        if (len + 4 >= cap)
            return 0;
        n = snprintf(buf + len, cap - len, "]");
    }
    len += (size_t)n;
    snprintf(buf + len, cap - len, "]");
    return 1;
}

void sim_partition(struct sim *s, int ngroups, const int *const *groups, const int *counts)
{
    net_partition(&s->net, ngroups, groups, counts);
    if (sim_wants(s, "partition", TRACE_STATE)) {
        struct record r;
        char buf[RECORD_STRBUF - 64];
        record_init(&r, "partition", s->now);
        if (groups_json(buf, sizeof buf, ngroups, groups, counts)) {
            record_raw(&r, "groups", buf);
        } else {
            /* thousands of nodes: the sizes only, never a cut list that
             * would misstate who is where */
            size_t len = 0;
            len += (size_t)snprintf(buf, sizeof buf, "[");
            for (int g = 0; g < ngroups && len + 16 < sizeof buf; g++)
                len += (size_t)snprintf(buf + len, sizeof buf - len, "%s%d", g ? "," : "", counts[g]);
            snprintf(buf + len, sizeof buf - len, "]");
            record_null(&r, "groups");
            record_raw(&r, "group_sizes", buf);
        }
        sim_emit(s, &r, TRACE_STATE);
    }
}

void sim_block(struct sim *s, int src, int dst)
{
    net_block(&s->net, src, dst);
    if (sim_wants(s, "block", TRACE_STATE)) {
        struct record r;
        record_init(&r, "block", s->now);
        record_int(&r, "src", src);
        record_int(&r, "dst", dst);
        sim_emit(s, &r, TRACE_STATE);
    }
}

void sim_heal(struct sim *s)
{
    net_heal(&s->net);
    if (sim_wants(s, "heal", TRACE_STATE)) {
        struct record r;
        record_init(&r, "heal", s->now);
        sim_emit(s, &r, TRACE_STATE);
    }
}

void sim_inspect(const struct sim *s, int id, struct inspector *in)
{
    struct node *n = s->nodes[id];
    in->put_int(in->ctx, "id", id);
    in->put_bool(in->ctx, "up", n->up);
    in->put_bool(in->ctx, "paused", n->paused);
    in->put_bool(in->ctx, "member", n->member);
    in->put_num(in->ctx, "clock_ms", sim_ns_to_ms(clock_local(&n->clock, s->now)));
    in->put_num(in->ctx, "drift_ppm", (double)n->clock.drift_ppb / 1000.0);
    in->put_int(in->ctx, "restarts", (int64_t)n->restarts);
    if (n->up && s->alg->inspect)
        s->alg->inspect(n, in);
}

/* --------------------------------------------------------------- metrics */

int latency_log_add(struct latency_log *l, double ms)
{
    if (l->len == l->cap) {
        l->cap = l->cap ? l->cap * 2 : 1024;
        l->ms = realloc(l->ms, l->cap * sizeof *l->ms);
        if (!l->ms)
            abort();
    }
    l->ms[l->len++] = ms;
    return 0;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

double latency_percentile(struct latency_log *l, double p)
{
    if (l->len == 0)
        return NAN;
    if (l->sorted < l->len) {
        size_t a = l->sorted, n = l->len;
        qsort(l->ms + a, n - a, sizeof *l->ms, cmp_double);
        if (a > 0) {
            double *tmp = malloc(n * sizeof *tmp);
            if (!tmp)
                abort();
            size_t i = 0, j = a, k = 0;
            while (i < a && j < n)
                tmp[k++] = l->ms[j] < l->ms[i] ? l->ms[j++] : l->ms[i++];
            while (i < a)
                tmp[k++] = l->ms[i++];
            while (j < n)
                tmp[k++] = l->ms[j++];
            memcpy(l->ms, tmp, n * sizeof *tmp);
            free(tmp);
        }
        l->sorted = n;
    }
    /* nearest rank */
    size_t rank = (size_t)ceil(p / 100.0 * (double)l->len);
    if (rank < 1)
        rank = 1;
    if (rank > l->len)
        rank = l->len;
    return l->ms[rank - 1];
}

/* ===================================================== node environment */

int node_id(const struct node *n) { return n->id; }
int node_count(const struct node *n) { return n->sim->nnodes; }
void node_leave(struct node *n)
{
    assert(n->sim->alg->membership_by_log);
    n->leave_now = 1;
    n->sim->leaves = 1;
}

/* After the event: nodes that called node_leave stop and stop being members. */
static void process_leaves(struct sim *s)
{
    s->leaves = 0;
    for (int i = 1; i <= s->nnodes; i++) {
        struct node *n = s->nodes[i];
        if (!n->leave_now)
            continue;
        n->leave_now = 0;
        n->leaving = 0;
        node_record(s, "remove_node", i);   /* now it is gone */
        if (n->up) {
            cancel_all(s, n, 1);
            wipe_state(s, n);
        }
        n->up = 0;
        n->member = 0;
    }
}

int node_is_member(const struct node *n, int id)
{
    struct node *m = sim_node(n->sim, id);
    return m && m->member;
}
sim_time node_now(const struct node *n) { return clock_local(&n->clock, n->sim->now); }
uint64_t node_random(struct node *n) { return rng_next(&n->rng); }
uint64_t node_random_below(struct node *n, uint64_t bound) { return rng_below(&n->rng, bound); }
int64_t node_random_range(struct node *n, int64_t lo, int64_t hi) { return rng_range(&n->rng, lo, hi); }
double node_random_double(struct node *n) { return rng_double(&n->rng); }
sim_time node_random_dist(struct node *n, const struct dist *d) { return dist_sample(d, &n->rng); }
void *node_state(struct node *n) { return n->state; }
const void *node_state_const(const struct node *n) { return n->state; }
const void *node_params(const struct node *n) { return n->sim->params; }
void *node_ghost(struct node *n) { return n->sim->ghost; }
void *node_shared(struct node *n) { return n->sim->shared; }
void node_check_soon(struct node *n) { n->sim->check_due = 1; }

uint64_t node_send(struct node *n, int dst, int type, const void *payload, size_t len)
{
    assert(n->up && !n->paused);
    assert(type >= 0 && type < n->sim->alg->msg_count);
    return sim_send(n->sim, n->id, dst, type, payload, len);
}

void node_timer(struct node *n, int timer_id, sim_time duration)
{
    struct sim *s = n->sim;
    assert(timer_id >= 0 && timer_id < NODE_MAX_TIMERS);
    assert(duration >= 0);
    sim_time deadline = clock_local(&n->clock, s->now) + duration;
    sim_time at = clock_true_at(&n->clock, deadline);
    if (at < s->now)
        at = s->now;
    struct event *e = n->timers[timer_id];
    if (e && e->heap_idx != HEAP_DEFERRED) {
        e->local_deadline = deadline;
        queue_move(&s->q, e, at);
        return;
    }
    if (e)
        e->kind = EV_CANCELLED;    /* waiting in the deferred list: let resume free it */
    e = queue_alloc(&s->q);
    e->kind = EV_TIMER;
    e->target = n->id;
    e->aux = timer_id;
    e->local_deadline = deadline;
    n->timers[timer_id] = e;
    queue_push(&s->q, e, at);
}

void node_cancel(struct node *n, int timer_id)
{
    assert(timer_id >= 0 && timer_id < NODE_MAX_TIMERS);
    struct event *e = n->timers[timer_id];
    if (!e)
        return;
    n->timers[timer_id] = NULL;
    if (e->heap_idx == HEAP_DEFERRED) {
        e->kind = EV_CANCELLED;
        return;
    }
    queue_remove(&n->sim->q, e);
    release_event(n->sim, e);
}

int node_timer_armed(const struct node *n, int timer_id)
{
    assert(timer_id >= 0 && timer_id < NODE_MAX_TIMERS);
    return n->timers[timer_id] != NULL;
}

int node_store_put(struct node *n, const char *key, const void *data, size_t len)
{
    return store_put(&n->store, key, data, len);
}

const void *node_store_get(const struct node *n, const char *key, size_t *len)
{
    return store_get(&n->store, key, len);
}

int node_store_del(struct node *n, const char *key) { return store_del(&n->store, key); }
void node_store_sync(struct node *n) { store_sync(&n->store); }

static void start_flush(struct sim *s, struct node *n)
{
    struct event *e = queue_alloc(&s->q);
    e->kind = EV_SYNC;
    e->target = n->id;
    e->aux = (int64_t)n->sync_req;
    n->sync_ev = e;
    queue_push(&s->q, e, s->now + dist_sample(&n->disk, &n->disk_rng));
}

uint64_t node_store_sync_begin(struct node *n)
{
    struct sim *s = n->sim;
    uint64_t t = ++n->sync_req;
    if (!n->has_disk) {
        store_sync(&n->store);
        n->sync_done = t;
    } else if (!n->sync_ev) {
        start_flush(s, n);
    }
    return t;
}

int node_store_synced(const struct node *n, uint64_t ticket) { return ticket <= n->sync_done; }

/* The flush of ticket e->aux is done: what was written is durable (writes
 * that came during the flush too: the model errs on the durable side). */
static void sync_done(struct sim *s, struct node *n, struct event *e)
{
    n->sync_ev = NULL;
    store_sync(&n->store);
    n->sync_done = (uint64_t)e->aux;
    if (n->sync_req > n->sync_done)
        start_flush(s, n);
    s->in_node++;
    s->alg->on_sync(n, n->sync_done);
    s->in_node--;
}

int sim_disk(struct sim *s, int id, const struct dist *d, struct error *err)
{
    if (id && check_node(s, id, err))
        return -1;
    if (id == 0) {
        s->disk = d ? *d : (struct dist){ 0 };
        s->has_disk = d != NULL;
        return 0;
    }
    if (d && !s->alg->on_sync) {
        snprintf(err->msg, sizeof err->msg, "algorithm '%s' does not model disk latency", s->alg->name);
        return -1;
    }
    struct node *n = s->nodes[id];
    n->disk = d ? *d : (struct dist){ 0 };
    n->has_disk = d != NULL;
    return 0;
}

void node_reply(struct node *n, const struct request *req, const struct result *res)
{
    struct reply_payload p;
    memset(&p, 0, sizeof p);
    p.req_id = req->id;
    p.seq = req->seq;
    p.from = n->id;
    p.res = *res;
    sim_send(n->sim, n->id, -req->client, MSG_REPLY, &p, sizeof p);
}

struct record *node_note_begin(struct node *n, const char *type, int state_change)
{
    struct sim *s = n->sim;
    if (!sim_wants(s, type, state_change ? TRACE_STATE : TRACE_MESSAGES))
        return NULL;
    assert(!s->note_open);
    s->note_open = 1;
    record_init(&s->note, type, s->now);
    record_int(&s->note, "node", n->id);
    return &s->note;
}

void node_note_end(struct node *n, struct record *r)
{
    struct sim *s = n->sim;
    if (!r)
        return;
    assert(r == &s->note && s->note_open);
    s->note_open = 0;
    sim_emit(s, r, TRACE_STATE);
}

int node_bug(const struct node *n, const char *name)
{
    for (int i = 0; i < n->sim->nbugs; i++)
        if (strcmp(n->sim->bugs[i], name) == 0)
            return 1;
    return 0;
}

int cluster_size(const struct cluster *c) { return c->sim->nnodes; }
int cluster_node_up(const struct cluster *c, int id)
{
    struct node *n = sim_node(c->sim, id);
    return n && n->member && n->up;
}
int cluster_node_paused(const struct cluster *c, int id)
{
    struct node *n = sim_node(c->sim, id);
    return n && n->paused;
}
const void *cluster_node_state(const struct cluster *c, int id)
{
    struct node *n = sim_node(c->sim, id);
    return n && n->up ? n->state : NULL;
}
const void *cluster_params(const struct cluster *c) { return c->sim->params; }
const void *cluster_shared(const struct cluster *c) { return c->sim->shared; }
void *cluster_ghost(const struct cluster *c) { return c->sim->ghost; }
sim_time cluster_true_now(const struct cluster *c) { return c->sim->now; }

const char *sim_invariant_names[SIM_MAX_INVARIANTS];
int sim_ninvariants;

void cluster_invariant_evaluated(const struct cluster *c, int *slot, const char *name, uint64_t n)
{
    if (*slot < 0) {
        /* Several call sites may count one invariant: they share its slot. */
        int i = 0;
        while (i < sim_ninvariants && strcmp(sim_invariant_names[i], name) != 0)
            i++;
        assert(i < SIM_MAX_INVARIANTS);
        if (i == sim_ninvariants)
            sim_invariant_names[sim_ninvariants++] = name;
        *slot = i;
    }
    c->sim->inv_evaluated[*slot] += n;
}
sim_time cluster_node_down_since(const struct cluster *c, int id)
{
    struct node *n = sim_node(c->sim, id);
    return n && !n->up ? n->down_since : -1;
}
const struct cluster *node_checker_view(const struct node *n) { return &n->sim->cluster; }
const void *cluster_store_get(const struct cluster *c, int id, const char *key, size_t *len)
{
    struct node *n = sim_node(c->sim, id);
    return n ? store_get(&n->store, key, len) : NULL;
}

void inspect_int(struct inspector *in, const char *name, int64_t v) { in->put_int(in->ctx, name, v); }
void inspect_num(struct inspector *in, const char *name, double v) { in->put_num(in->ctx, name, v); }
void inspect_str(struct inspector *in, const char *name, const char *v) { in->put_str(in->ctx, name, v); }
void inspect_bool(struct inspector *in, const char *name, int v) { in->put_bool(in->ctx, name, v); }
