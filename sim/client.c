/* Simulated clients (see client.h).
 *
 * An operation's life: `invoke` (once), then attempts: pick a node (the last
 * leader a reply named, else one at random from the client's stream), send a
 * Request, arm a timeout on the client's local clock. A reply ends the
 * operation (ok, fail, or info when the node could not tell), except a
 * redirect, which re-sends to the named node at once. A timeout re-sends to
 * another node while retries remain, then ends the operation as info: the
 * operation may or may not have taken effect, which is exactly what a
 * linearizability checker must be told. Retries keep the operation's seq, so
 * a server that deduplicates by (client, seq) applies it once. */
#include "sim/client.h"
#include "sim/client_lock.h"

#include <assert.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { CEV_TICK = 1, CEV_TIMEOUT, CEV_RESUME, CEV_WORKLOAD };

struct op {
    int active;
    struct request req;        /* the current attempt (req.id changes per attempt) */
    sim_time invoked_at;       /* true time */
    sim_time attempt_at;
    int attempts, redirects, timeouts;
    int uncertain;             /* an earlier attempt was given up without an answer */
    int target;
    struct event *timeout_ev;
    int64_t ref;               /* script callback, or -1 */
    int64_t wtag;              /* a workload's tag (client_workload_submit), or -1 */
    int pin;                   /* retries go to the same node */
    sim_time invoked_local;
};

struct client {
    int id;
    int up, paused;
    struct rng rng;
    struct sclock clock;
    struct client_cfg cfg;
    struct op *ops;
    int nops;
    uint64_t next_seq;
    int leader_hint;
    struct event *tick_ev;
    struct event *resume_ev;
    struct event *wtimer[CLIENT_WORKLOAD_TIMERS];   /* a workload's timers (client_workload_timer) */
    struct event *deferred_head, *deferred_tail;
};

struct clients {
    struct client **c;         /* [1..n] */
    int n, cap;
    double **cdfs;             /* Zipf tables, one per clients_add that asked for one */
    int ncdfs;
    void *lock;                /* sim/client_lock.c's */
    /* clients_only: per client id, the generated operations (by seq) that
     * are sent; a client without a list sends all. Set before the run. */
    struct only_list { int id; int64_t *seq; int n; } *only;
    int nonly;
};

void client_cfg_default(struct client_cfg *c)
{
    memset(c, 0, sizeof *c);
    c->workload = WORKLOAD_NONE;
    c->think = 0;
    c->keys = 8;
    c->read_ratio = 0.5;
    c->cas_ratio = 0;
    c->timeout = SIM_MS(1000);
    c->retries = 3;
    c->max_outstanding = 16;
    c->values = 5;
    c->start = 0;
    c->stop = SIM_TIME_MAX;
}

static struct client *get(const struct sim *s, int id)
{
    if (!s->clients || id < 1 || id > s->clients->n)
        return NULL;
    return s->clients->c[id];
}

static struct clients *clients_of(struct sim *s)
{
    if (!s->clients) {
        s->clients = calloc(1, sizeof *s->clients);
        if (!s->clients)
            abort();
    }
    return s->clients;
}

int clients_count(const struct sim *s) { return s->clients ? s->clients->n : 0; }

int clients_checkable(const struct sim *s)
{
    for (int i = 1; i <= clients_count(s); i++) {
        enum workload w = s->clients->c[i]->cfg.workload;
        if (w == WORKLOAD_KV || w == WORKLOAD_COUNTER || w == WORKLOAD_QUEUE || w == WORKLOAD_LOCK)
            return 1;
    }
    return 0;
}

int client_up(struct sim *s, int id)
{
    struct client *c = get(s, id);
    return c && c->up;
}

static sim_time local_now(struct sim *s, struct client *c) { return clock_local(&c->clock, s->now); }

static struct event *arm(struct sim *s, struct client *c, int kind, int64_t aux2, sim_time local_delay)
{
    struct event *e = queue_alloc(&s->q);
    e->kind = EV_CLIENT;
    e->target = c->id;
    e->aux = kind;
    e->aux2 = aux2;
    e->local_deadline = local_now(s, c) + local_delay;
    sim_time at = clock_true_at(&c->clock, e->local_deadline);
    queue_push(&s->q, e, at < s->now ? s->now : at);
    return e;
}

static void disarm(struct sim *s, struct event **pe)
{
    struct event *e = *pe;
    if (!e)
        return;
    *pe = NULL;
    if (e->heap_idx == HEAP_DEFERRED) {
        e->kind = EV_CANCELLED;
        return;
    }
    queue_remove(&s->q, e);
    queue_release(&s->q, e);
}

static void schedule_next(struct sim *s, struct client *c, int after_completion)
{
    const struct client_cfg *g = &c->cfg;
    if (g->workload == WORKLOAD_NONE || g->workload == WORKLOAD_LOCK || !c->up || c->tick_ev)
        return;
    sim_time delay;
    if (g->closed) {
        if (!after_completion && c->nops && c->ops[0].active)
            return;
        delay = g->think;
    } else {
        if (g->rate <= 0)
            return;
        delay = sim_ms_to_ns(rng_exponential(&c->rng, 1000.0 / g->rate));
    }
    if (s->now < g->start && delay < g->start - s->now)
        delay = g->start - s->now;
    if (g->stop != SIM_TIME_MAX && s->now + delay > g->stop)
        return;
    c->tick_ev = arm(s, c, CEV_TICK, 0, delay);
}

/* Zipf over keys 0..n-1, as YCSB's zipfian request distribution: key i
 * (0 the hottest) with probability (1/(i+1)^s) / H(n, s). Drawn by exact
 * inversion of this table with one uniform from the client's stream; YCSB's
 * closed form (Gray et al. 1994) is an approximation for 0 < s < 1 that is
 * singular at s = 1, so the table serves every s > 0 exactly. Built once at
 * setup; a draw is a binary search and allocates nothing. */
static const double *zipf_table(struct clients *cs, int n, double s)
{
    double *cdf = malloc((size_t)n * sizeof *cdf);
    double **list = realloc(cs->cdfs, (size_t)(cs->ncdfs + 1) * sizeof *list);
    if (!cdf || !list)
        abort();
    cs->cdfs = list;
    cs->cdfs[cs->ncdfs++] = cdf;
    double sum = 0;
    for (int i = 0; i < n; i++) {
        sum += pow((double)i + 1, -s);
        cdf[i] = sum;
    }
    for (int i = 0; i < n; i++)
        cdf[i] /= sum;
    cdf[n - 1] = 1.0;
    return cdf;
}

static int zipf_draw(struct client *c)
{
    double u = rng_double(&c->rng);
    int lo = 0, hi = c->cfg.keys - 1;
    while (lo < hi) {            /* the first i with cdf[i] > u */
        int mid = lo + (hi - lo) / 2;
        if (c->cfg.zipf_cdf[mid] > u)
            hi = mid;
        else
            lo = mid + 1;
    }
    return lo;
}

int clients_add(struct sim *s, int count, const struct client_cfg *cfg)
{
    struct clients *cs = clients_of(s);
    int first = cs->n + 1;
    const double *cdf = NULL;
    if (cfg->key_dist == KEY_ZIPF && count > 0)
        cdf = zipf_table(cs, cfg->keys, cfg->zipf_s);
    for (int k = 0; k < count; k++) {
        if (cs->n + 1 >= cs->cap) {
            cs->cap = cs->cap ? cs->cap * 2 : 16;
            cs->c = realloc(cs->c, (size_t)cs->cap * sizeof *cs->c);
            if (!cs->c)
                abort();
        }
        struct client *c = calloc(1, sizeof *c);
        if (!c)
            abort();
        c->id = ++cs->n;
        cs->c[c->id] = c;
        c->up = 1;
        c->cfg = *cfg;
        c->cfg.zipf_cdf = cdf;
        rng_init(&c->rng, s->seed, RNG_CLIENT, (uint64_t)c->id);
        clock_init(&c->clock);
        c->clock.base_true = c->clock.base_local = s->now;
        c->nops = cfg->closed ? 1 : (cfg->max_outstanding > 0 ? cfg->max_outstanding : 1);
        c->ops = calloc((size_t)c->nops, sizeof *c->ops);
        if (!c->ops)
            abort();
        c->next_seq = 1;
        schedule_next(s, c, 0);
        if (cfg->workload == WORKLOAD_LOCK)
            client_lock_start(s, c->id);
    }
    return first;
}

static int by_seq(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

int clients_only(struct sim *s, int id, const int64_t *seqs, int n)
{
    struct clients *cs = clients_of(s);
    struct only_list *l = NULL;
    for (int i = 0; i < cs->nonly; i++)
        if (cs->only[i].id == id)
            l = &cs->only[i];
    if (!l) {
        struct only_list *v = realloc(cs->only, (size_t)(cs->nonly + 1) * sizeof *v);
        if (!v)
            abort();
        cs->only = v;
        l = &cs->only[cs->nonly++];
        l->id = id;
        l->seq = NULL;
    }
    free(l->seq);
    l->seq = malloc((size_t)(n + 1) * sizeof *l->seq);
    if (!l->seq)
        abort();
    memcpy(l->seq, seqs, (size_t)n * sizeof *seqs);
    qsort(l->seq, (size_t)n, sizeof *l->seq, by_seq);
    l->n = n;
    return 0;
}

/* Is the generated operation `seq` of client id left out by clients_only?
 * 0: sent; 1: left out; 2: left out, and so is every later one. */
static int left_out(const struct clients *cs, int id, int64_t seq)
{
    for (int i = 0; i < cs->nonly; i++)
        if (cs->only[i].id == id) {
            const struct only_list *l = &cs->only[i];
            if (bsearch(&seq, l->seq, (size_t)l->n, sizeof seq, by_seq))
                return 0;
            return l->n == 0 || seq > l->seq[l->n - 1] ? 2 : 1;
        }
    return 0;
}

void clients_free(struct sim *s)
{
    if (!s->clients)
        return;
    client_lock_free(s);
    for (int i = 0; i < s->clients->nonly; i++)
        free(s->clients->only[i].seq);
    free(s->clients->only);
    for (int i = 1; i <= s->clients->n; i++) {
        free(s->clients->c[i]->ops);
        free(s->clients->c[i]);
    }
    free(s->clients->c);
    for (int i = 0; i < s->clients->ncdfs; i++)
        free(s->clients->cdfs[i]);
    free(s->clients->cdfs);
    free(s->clients);
    s->clients = NULL;
}

int client_outstanding(const struct sim *s, int id)
{
    struct client *c = get(s, id);
    int n = 0;
    for (int i = 0; c && i < c->nops; i++)
        n += c->ops[i].active;
    return n;
}

/* ------------------------------------------------------------- records */

static void op_fields(struct record *r, const struct request *q)
{
    record_int(r, "client", q->client);
    record_int(r, "seq", (int64_t)q->seq);
    record_str(r, "op", q->op);
    if (q->key[0])
        record_str(r, "key", q->key);
}

/* An operation's arguments, where given. */
static void arg_fields(struct record *r, const struct request *q)
{
    if (q->value[0])
        record_str(r, "value", q->value);
    if (q->expect[0])
        record_str(r, "expect", q->expect);
}

/* The fields that name one attempt. */
static void attempt_fields(struct record *r, const struct request *q)
{
    record_int(r, "client", q->client);
    record_int(r, "id", (int64_t)q->id);
    record_int(r, "seq", (int64_t)q->seq);
    record_str(r, "op", q->op);
}

static void emit_invoke(struct sim *s, const struct op *o)
{
    if (!sim_wants(s, "invoke", TRACE_STATE))
        return;
    struct record r;
    record_init(&r, "invoke", s->now);
    op_fields(&r, &o->req);
    arg_fields(&r, &o->req);
    if (o->req.num)
        record_int(&r, "num", o->req.num);
    sim_emit(s, &r, TRACE_STATE);
}

static void emit_request(struct sim *s, const struct op *o)
{
    if (!sim_wants(s, "request", TRACE_STATE))
        return;
    struct record r;
    record_init(&r, "request", s->now);
    attempt_fields(&r, &o->req);
    if (o->req.key[0])
        record_str(&r, "key", o->req.key);
    arg_fields(&r, &o->req);
    record_int(&r, "node", o->target);
    sim_emit(s, &r, TRACE_STATE);
}

static const char *status_name(enum result_status st)
{
    switch (st) {
    case RESULT_OK: return "ok";
    case RESULT_FAIL: return "fail";
    case RESULT_REDIRECT: return "redirect";
    case RESULT_UNKNOWN: return "info";
    }
    return "?";
}

static void emit_reply(struct sim *s, const struct op *o, const char *status, const struct result *res, int from)
{
    if (!sim_wants(s, "reply", TRACE_STATE))
        return;
    struct record r;
    record_init(&r, "reply", s->now);
    attempt_fields(&r, &o->req);
    record_str(&r, "status", status);
    if (res && res->status == RESULT_OK && strcmp(o->req.op, "get") == 0) {
        if (res->found)
            record_str(&r, "value", res->value);
        else
            record_null(&r, "value");
    } else if (res && res->status == RESULT_OK && res->value[0]) {
        record_str(&r, "value", res->value);
    }
    if (res && res->status == RESULT_REDIRECT)
        record_int(&r, "leader", res->leader);
    if (res && res->error[0])
        record_str(&r, "error", res->error);
    if (from)
        record_int(&r, "node", from);
    if (res && res->server)
        record_int(&r, "server", res->server);
    record_num(&r, "latency_ms", sim_ns_to_ms(s->now - o->attempt_at));
    sim_emit(s, &r, TRACE_STATE);
}

/* Operations whose answer is a value (null when absent): a kv get, a
 * queue's deq, a counter's read. */
static int answers_value(const char *op)
{
    return strcmp(op, "get") == 0 || strcmp(op, "deq") == 0 || strcmp(op, "read") == 0;
}

static void complete(struct sim *s, struct client *c, struct op *o, const char *status,
                     const struct result *res)
{
    double ms = sim_ns_to_ms(s->now - o->invoked_at);
    if (strcmp(status, "ok") == 0) {
        s->m.ops_ok++;
        latency_log_add(&s->m.latency, ms);
    } else if (strcmp(status, "fail") == 0) {
        s->m.ops_fail++;
    } else {
        s->m.ops_info++;
    }
    disarm(s, &o->timeout_ev);
    int64_t ref = o->ref;
    int64_t wtag = o->wtag;
    int want = sim_wants(s, "complete", TRACE_STATE) || ref >= 0;
    if (want) {
        struct record r;
        record_init(&r, "complete", s->now);
        op_fields(&r, &o->req);
        record_str(&r, "status", status);
        if (res && res->status == RESULT_OK && answers_value(o->req.op)) {
            if (res->found)
                record_str(&r, "value", res->value);
            else
                record_null(&r, "value");
        } else if (o->req.value[0]) {
            record_str(&r, "value", o->req.value);
        }
        if (o->req.expect[0])
            record_str(&r, "expect", o->req.expect);
        if (res && res->num)
            record_int(&r, "num", res->num);
        if (res && res->error[0])
            record_str(&r, "error", res->error);
        record_int(&r, "attempts", o->attempts);
        record_num(&r, "latency_ms", ms);
        sim_emit(s, &r, TRACE_STATE);
        if (ref >= 0)
            sim_queue_hook(s, &r, ref);
    }
    o->active = 0;
    o->ref = -1;
    schedule_next(s, c, 1);
    if (wtag >= 0 || client_lock_op(o->req.op)) {
        struct request q = o->req;    /* the workload may reuse the slot */
        client_lock_complete(s, c->id, &q, o->invoked_local, status, res, wtag);
    }
}

/* --------------------------------------------------------------- attempts */

static int pick_node(struct sim *s, struct client *c, int avoid)
{
    int n = s->nnodes;
    if (n <= 0)
        return 0;
    if (c->leader_hint && c->leader_hint != avoid && sim_node(s, c->leader_hint) &&
        s->nodes[c->leader_hint]->member)
        return c->leader_hint;
    for (int tries = 0; tries < 4 * n; tries++) {
        int id = 1 + (int)rng_below(&c->rng, (uint64_t)n);
        if (s->nodes[id]->member && (id != avoid || n == 1))
            return id;
    }
    return 1;
}

/* The algorithm's client-side routing when it has one (a sharded store
 * places each key), else pick_node. */
static int routed(struct sim *s, struct client *c, struct op *o, int avoid)
{
    if (s->alg && s->alg->route) {
        int id = s->alg->route(&s->cluster, &o->req, o->timeouts);
        if (id >= 1 && id <= s->nnodes && s->nodes[id]->member)
            return id;
    }
    return pick_node(s, c, avoid);
}

static void attempt(struct sim *s, struct client *c, struct op *o, int target)
{
    o->attempts++;
    o->target = target;
    o->req.id = s->next_req_id++;
    o->attempt_at = s->now;
    emit_request(s, o);
    disarm(s, &o->timeout_ev);
    int slot = (int)(o - c->ops);
    o->timeout_ev = arm(s, c, CEV_TIMEOUT | (slot << 8), (int64_t)o->req.id, c->cfg.timeout);
    sim_send(s, -c->id, target, MSG_REQUEST, &o->req, sizeof o->req);
}

static struct op *free_slot(struct client *c)
{
    for (int i = 0; i < c->nops; i++)
        if (!c->ops[i].active)
            return &c->ops[i];
    return NULL;
}

static void start_op(struct sim *s, struct client *c, struct op *o, const struct request *q, int node, int64_t ref)
{
    memset(o, 0, sizeof *o);
    o->active = 1;
    o->req = *q;
    o->req.client = c->id;
    o->req.seq = c->next_seq++;
    o->invoked_at = s->now;
    o->invoked_local = local_now(s, c);
    o->ref = ref;
    o->wtag = -1;
    s->m.ops_invoked++;
    emit_invoke(s, o);
    attempt(s, c, o, node > 0 ? node : routed(s, c, o, 0));
}

/* The counter and queue workloads: read_ratio of reads (a counter's read,
 * a queue's deq), the rest increments by one or enqueues of values unique
 * in the run ("c<client>.<seq>"), so a checker can tell items apart. */
static void machine_op(const struct client *c, struct request *q, int read)
{
    int counter = c->cfg.workload == WORKLOAD_COUNTER;
    snprintf(q->op, sizeof q->op, "%s", counter ? (read ? "read" : "incr") : (read ? "deq" : "enq"));
    if (counter && !read)
        q->num = 1;
    else if (!counter && !read)
        snprintf(q->value, sizeof q->value, "c%d.%llu", c->id, (unsigned long long)c->next_seq);
}

static void generate(struct sim *s, struct client *c)
{
    const struct client_cfg *g = &c->cfg;
    struct request q;
    memset(&q, 0, sizeof q);
    double u = rng_double(&c->rng);
    int key = g->zipf_cdf ? zipf_draw(c) : (int)rng_below(&c->rng, (uint64_t)(g->keys > 0 ? g->keys : 1));
    snprintf(q.key, sizeof q.key, "k%d", key);
    if (g->workload == WORKLOAD_COUNTER || g->workload == WORKLOAD_QUEUE) {
        machine_op(c, &q, u < g->read_ratio);
    } else if (g->workload == WORKLOAD_LB) {
        strcpy(q.op, "serve");   /* a request for a load-balanced service: the key is its affinity */
    } else if (u < g->read_ratio) {
        strcpy(q.op, "get");
    } else if (u < g->read_ratio + g->cas_ratio) {
        strcpy(q.op, "cas");
        snprintf(q.expect, sizeof q.expect, "%d", (int)rng_below(&c->rng, (uint64_t)g->values));
        snprintf(q.value, sizeof q.value, "%d", (int)rng_below(&c->rng, (uint64_t)g->values));
    } else {
        strcpy(q.op, "put");
        snprintf(q.value, sizeof q.value, "%d", (int)rng_below(&c->rng, (uint64_t)g->values));
    }
    struct op *o = free_slot(c);
    if (!o) {
        s->m.ops_rejected++;     /* open loop at its concurrency cap: the arrival is shed */
        return;
    }
    int out = s->clients->nonly ? left_out(s->clients, c->id, (int64_t)c->next_seq) : 0;
    if (out) {
        /* Drawn, numbered and routed as if sent, so the operations kept
         * after it are the same ones (a shrunk scenario's client load); a
         * closed-loop client thinks and draws its next one, until the
         * last one listed (so think = 0 cannot spin at one instant). */
        c->next_seq++;
        q.client = c->id;
        struct op ghost;
        memset(&ghost, 0, sizeof ghost);
        ghost.req = q;
        (void)routed(s, c, &ghost, 0);
        if (c->cfg.closed && out == 1)
            schedule_next(s, c, 1);
        return;
    }
    start_op(s, c, o, &q, 0, -1);
}

int client_submit(struct sim *s, int id, const struct request *q, int node, int64_t ref, struct error *err)
{
    struct client *c = get(s, id);
    if (!c) {
        snprintf(err->msg, sizeof err->msg, "client %d does not exist (clients are 1..%d)", id, clients_count(s));
        return -1;
    }
    if (!c->up) {
        snprintf(err->msg, sizeof err->msg, "client %d is crashed", id);
        return -1;
    }
    if (s->nnodes == 0) {
        snprintf(err->msg, sizeof err->msg, "no cluster yet: call sim.cluster{} first");
        return -1;
    }
    struct op *o = free_slot(c);
    if (!o) {
        snprintf(err->msg, sizeof err->msg, "client %d already has %d operations outstanding", id, c->nops);
        return -1;
    }
    start_op(s, c, o, q, node, ref);
    return 0;
}

static void on_timeout(struct sim *s, struct client *c, int slot, uint64_t req_id)
{
    struct op *o = &c->ops[slot];
    o->timeout_ev = NULL;
    if (!o->active || o->req.id != req_id)
        return;
    emit_reply(s, o, "timeout", NULL, 0);
    o->uncertain = 1;          /* that attempt may still take effect */
    if (c->leader_hint == o->target)
        c->leader_hint = 0;
    /* retries count timeouts only: following a redirect is not a retry */
    if (++o->timeouts <= c->cfg.retries) {
        s->m.ops_retries++;
        attempt(s, c, o, o->pin ? o->target : routed(s, c, o, o->target));
        return;
    }
    struct result res;
    memset(&res, 0, sizeof res);
    res.status = RESULT_UNKNOWN;
    snprintf(res.error, sizeof res.error, "timeout");
    complete(s, c, o, "info", &res);
}

static void handle_reply(struct sim *s, struct client *c, const struct reply_payload *p)
{
    struct op *o = NULL;
    for (int i = 0; i < c->nops; i++)
        if (c->ops[i].active && c->ops[i].req.id == p->req_id)
            o = &c->ops[i];
    if (!o)
        return;    /* a late answer to an attempt the client gave up on */
    emit_reply(s, o, status_name(p->res.status), &p->res, p->from);
    switch (p->res.status) {
    case RESULT_OK:
        c->leader_hint = p->from;
        complete(s, c, o, "ok", &p->res);
        break;
    case RESULT_FAIL:
        /* This attempt did nothing; an earlier, unanswered one may have:
         * only a history without such an attempt may call it failed. */
        complete(s, c, o, o->uncertain ? "info" : "fail", &p->res);
        break;
    case RESULT_UNKNOWN:
        complete(s, c, o, "info", &p->res);
        break;
    case RESULT_REDIRECT:
        c->leader_hint = p->res.leader > 0 && sim_node(s, p->res.leader) ? p->res.leader : 0;
        /* Bounded so a cluster without a leader cannot bounce a client for ever. */
        if (++o->redirects > 2 * s->nnodes + c->cfg.retries) {
            /* info, not fail: a node that redirects may be a deposed leader
             * that already logged the command */
            complete(s, c, o, "info", &p->res);
            break;
        }
        attempt(s, c, o, c->leader_hint ? c->leader_hint : pick_node(s, c, p->from));
        break;
    }
}

/* ----------------------------------------------------------------- events */

static void defer(struct client *c, struct event *e)
{
    e->heap_idx = HEAP_DEFERRED;
    e->next = NULL;
    if (c->deferred_tail)
        c->deferred_tail->next = e;
    else
        c->deferred_head = e;
    c->deferred_tail = e;
}

int client_deliver(struct sim *s, struct event *e)
{
    struct client *c = get(s, -e->msg->dst);
    assert(c && c->up);
    if (c->paused) {
        defer(c, e);
        return 1;
    }
    if (e->msg->type == MSG_REPLY)
        handle_reply(s, c, (const struct reply_payload *)e->msg->data);
    return 0;
}

static void resume(struct sim *s, struct client *c)
{
    c->paused = 0;
    struct event *e = c->deferred_head;
    c->deferred_head = c->deferred_tail = NULL;
    while (e) {
        struct event *next = e->next;
        e->heap_idx = HEAP_NONE;
        if (e->kind == EV_CANCELLED) {
            queue_release(&s->q, e);
        } else {
            queue_push(&s->q, e, s->now);
        }
        e = next;
    }
}

int client_event(struct sim *s, struct event *e)
{
    struct client *c = get(s, e->target);
    assert(c);
    int kind = (int)(e->aux & 0xff);
    if (kind == CEV_RESUME) {
        c->resume_ev = NULL;
        resume(s, c);
        return 0;
    }
    if (!c->up)
        return 0;
    if (c->paused) {
        defer(c, e);
        return 1;
    }
    if (kind == CEV_TICK) {
        c->tick_ev = NULL;
        if (s->now <= c->cfg.stop) {
            if (!c->cfg.closed || !c->ops[0].active)
                generate(s, c);
            if (!c->cfg.closed)
                schedule_next(s, c, 0);
        }
    } else if (kind == CEV_TIMEOUT) {
        on_timeout(s, c, (int)(e->aux >> 8), (uint64_t)e->aux2);
    } else if (kind == CEV_WORKLOAD) {
        int slot = (int)(e->aux >> 8);
        if (c->wtimer[slot] == e)
            c->wtimer[slot] = NULL;
        client_lock_timer(s, c->id, e->aux2);
    }
    return 0;
}

/* ----------------------------------------------------------------- faults */

static int check(struct sim *s, int id, struct error *err)
{
    if (!get(s, id)) {
        snprintf(err->msg, sizeof err->msg, "client %d does not exist (clients are 1..%d)", id, clients_count(s));
        return -1;
    }
    return 0;
}

/* ms < 0: no duration field; ms = -2: "ms": null (a pause until resumed). */
static void client_record(struct sim *s, const char *type, int id, double ms)
{
    if (!sim_wants(s, type, TRACE_STATE))
        return;
    struct record r;
    record_init(&r, type, s->now);
    record_int(&r, "client", id);
    if (ms >= 0)
        record_num(&r, "ms", ms);
    else if (ms == -2)
        record_null(&r, "ms");
    sim_emit(s, &r, TRACE_STATE);
}

int client_crash(struct sim *s, int id, struct error *err)
{
    if (check(s, id, err))
        return -1;
    struct client *c = get(s, id);
    if (!c->up) {
        snprintf(err->msg, sizeof err->msg, "client %d is already crashed", id);
        return -1;
    }
    client_record(s, "client_crash", id, -1);
    disarm(s, &c->tick_ev);
    disarm(s, &c->resume_ev);
    for (int i = 0; i < CLIENT_WORKLOAD_TIMERS; i++)
        disarm(s, &c->wtimer[i]);
    for (int i = 0; i < c->nops; i++)
        if (c->ops[i].active) {
            struct result res;
            memset(&res, 0, sizeof res);
            res.status = RESULT_UNKNOWN;
            snprintf(res.error, sizeof res.error, "client crashed");
            c->up = 0;       /* so completing does not schedule more load */
            complete(s, c, &c->ops[i], "info", &res);
        }
    c->up = 0;
    client_lock_crash(s, id);
    struct event *e = c->deferred_head;
    c->deferred_head = c->deferred_tail = NULL;
    while (e) {
        struct event *next = e->next;
        e->heap_idx = HEAP_NONE;
        /* Replies waiting for a paused client die with it; the loop releases
         * the event and its message. */
        e->kind = EV_CANCELLED;
        queue_push(&s->q, e, s->now);
        e = next;
    }
    c->paused = 0;
    return 0;
}

int client_restart(struct sim *s, int id, struct error *err)
{
    if (check(s, id, err))
        return -1;
    struct client *c = get(s, id);
    if (c->up) {
        snprintf(err->msg, sizeof err->msg, "client %d is not crashed", id);
        return -1;
    }
    c->up = 1;
    client_record(s, "client_restart", id, -1);
    schedule_next(s, c, 1);
    if (c->cfg.workload == WORKLOAD_LOCK)
        client_lock_start(s, c->id);
    return 0;
}

int client_pause(struct sim *s, int id, sim_time duration, struct error *err)
{
    if (check(s, id, err))
        return -1;
    struct client *c = get(s, id);
    if (!c->up) {
        snprintf(err->msg, sizeof err->msg, "client %d is crashed", id);
        return -1;
    }
    client_record(s, "client_pause", id, duration >= 0 ? sim_ns_to_ms(duration) : -2);
    c->paused = 1;
    disarm(s, &c->resume_ev);
    if (duration >= 0) {
        struct event *e = queue_alloc(&s->q);
        e->kind = EV_CLIENT;
        e->target = id;
        e->aux = CEV_RESUME;
        queue_push(&s->q, e, s->now + duration);
        c->resume_ev = e;
    }
    return 0;
}

static void replan(struct sim *s, struct client *c)
{
    for (int i = -1 - CLIENT_WORKLOAD_TIMERS; i < c->nops; i++) {
        struct event *e = i < -1 ? c->wtimer[-2 - i] : i < 0 ? c->tick_ev : c->ops[i].timeout_ev;
        if (e && e->heap_idx != HEAP_DEFERRED) {
            sim_time at = clock_true_at(&c->clock, e->local_deadline);
            queue_move(&s->q, e, at < s->now ? s->now : at);
        }
    }
}

int client_clock_drift(struct sim *s, int id, int64_t drift_ppb)
{
    struct client *c = get(s, id);
    clock_set_drift(&c->clock, s->now, drift_ppb);
    replan(s, c);
    return 0;
}

sim_time client_clock_offset(struct sim *s, int id)
{
    struct client *c = get(s, id);
    return clock_offset(&c->clock, s->now);
}

int client_clock_step(struct sim *s, int id, sim_time delta)
{
    struct client *c = get(s, id);
    clock_step(&c->clock, s->now, delta);
    replan(s, c);
    return 0;
}

/* ------------------------------------------------- hooks for workloads */

int client_workload_submit(struct sim *s, int id, const struct request *q, int node, int64_t tag)
{
    struct client *c = get(s, id);
    assert(c && c->up && s->nnodes > 0);
    struct op *o = free_slot(c);
    if (!o)
        return -1;
    start_op(s, c, o, q, node, -1);
    o->wtag = tag;
    o->pin = node > 0;
    return 0;
}

void client_workload_timer(struct sim *s, int id, int slot, int64_t tag, sim_time local_delay)
{
    struct client *c = get(s, id);
    assert(c && slot >= 0 && slot < CLIENT_WORKLOAD_TIMERS);
    disarm(s, &c->wtimer[slot]);
    c->wtimer[slot] = arm(s, c, CEV_WORKLOAD | (slot << 8), tag, local_delay);
}

sim_time client_local_time(struct sim *s, int id) { return local_now(s, get(s, id)); }
const struct client_cfg *client_cfg_of(struct sim *s, int id) { return &get(s, id)->cfg; }
uint64_t client_random(struct sim *s, int id) { return rng_next(&get(s, id)->rng); }

void **clients_lock_state(struct sim *s)
{
    assert(s->clients);
    return &s->clients->lock;
}
