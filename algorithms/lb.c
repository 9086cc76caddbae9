/* Load balancing: queueing servers behind one or more balancers.
 *
 * Servers (nodes 1..S) are FIFO queues with `concurrency` workers; a job's
 * service time is a draw of `service` divided by the server's speed
 * (`speeds`). Balancers (nodes S+1..S+B) are proxies: each request a client
 * sends to a balancer is forwarded to the server the policy picks
 * (lb_policy.c), and the server's answer goes back through the balancer to
 * the client, so the balancer knows what it has in flight where.
 *
 * Load information (report_interval):
 *   0      exact: the balancer's own outstanding requests per server;
 *   > 0    reported: every server sends its number in system to every
 *          balancer each report_interval ms, so a balancer acts on
 *          information up to that old plus a network delay — the setting
 *          of Mitzenmacher, "How useful is old information?" (TPDS 2000).
 *
 * Health (health = "fixed" | "phi"): servers heartbeat every balancer each
 * `heartbeat` ms; a balancer monitors each server with the detectors of
 * hb_detect.h (the same ones fdetect runs). A suspected server is drained:
 * no new requests, and the requests in flight there are re-sent to another
 * server while the request has retries left (`retries`), else answered
 * `fail`. A server trusted again (its heartbeats are back) is used again.
 * With attempt_timeout > 0 an attempt unanswered for that long is given up
 * the same way (a crash nobody detects, a lost message). An answer that
 * comes back for an attempt the balancer gave up on is counted `late` and
 * dropped: the client is answered at most once.
 *
 * A crashed server loses its queue (counted `lost`), a crashed balancer the
 * requests it had in flight; both restart empty. The one durable value is a
 * balancer's incarnation number, part of every tag it sends, so answers
 * addressed to its previous life are told apart (counted `late`).
 * Queues grow by doubling when they fill; nothing else allocates per event.
 */
#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "algorithms/lb_int.h"

const char *const lb_policy_names[] = { "round_robin", "random", "weighted_round_robin", "least_connections",
                                        "power_of_d", "consistent_hash", "peak_ewma", NULL };
static const char *const health_names[] = { "none", "fixed", "phi", NULL };

const struct lb_params *lb_prm(const struct node *n) { return node_params(n); }
static struct lb_state *st(struct node *n) { return node_state(n); }

/* ------------------------------------------------------------ options */

static int list_option(struct config *c, const char *name, int servers, double *out, int *nout, struct error *err)
{
    const double *v;
    int n;
    if (config_list(c, name, 1e-9, 1e6, &v, &n, err))
        return -1;
    if (n == 0)
        return 0;
    if (n != servers) {
        snprintf(err->msg, sizeof err->msg,
                 "option '%s' has %d entries but there are %d servers (nodes minus balancers): give one positive "
                 "number per server", name, n, servers);
        return -1;
    }
    if (n > LB_MAX_LIST) {
        snprintf(err->msg, sizeof err->msg, "option '%s': at most %d servers can be listed, got %d", name,
                 LB_MAX_LIST, n);
        return -1;
    }
    memcpy(out, v, (size_t)n * sizeof *v);
    *nout = n;
    return 0;
}

static int lb_configure(struct config *c, void *params, struct error *err)
{
    struct lb_params *p = params;
    int64_t balancers, d, conc, retries, window, vnodes, table;
    int scheme;
    struct dist def_service = { DIST_EXPONENTIAL, 10, 0 };
    if (config_int(c, "balancers", 1, 1, 1000, &balancers, err) ||
        config_choice(c, "policy", lb_policy_names, LB_ROUND_ROBIN, &p->policy, err) ||
        config_int(c, "d", 2, 1, 100000, &d, err) ||
        config_dist(c, "service", &def_service, &p->service, err) ||
        config_int(c, "concurrency", 1, 1, LB_MAX_CONCURRENCY, &conc, err))
        return -1;
    p->balancers = (int)balancers;
    p->servers = config_nodes(c) - p->balancers;
    if (p->servers < 1) {
        snprintf(err->msg, sizeof err->msg,
                 "option 'balancers' = %d leaves no server: nodes = %d counts servers and balancers (servers are "
                 "nodes 1..nodes-balancers)", p->balancers, config_nodes(c));
        return -1;
    }
    if (p->service.kind == DIST_NORMAL && p->service.b > 0) {
        snprintf(err->msg, sizeof err->msg,
                 "option 'service' = sim.normal(%g, %g) can go negative (a service time cannot); accepted: "
                 "sim.const, sim.uniform, sim.exponential, sim.lognormal, sim.pareto", p->service.a, p->service.b);
        return -1;
    }
    if (list_option(c, "speeds", p->servers, p->speed, &p->nspeeds, err) ||
        list_option(c, "weights", p->servers, p->weight, &p->nweights, err) ||
        config_ms(c, "report_interval", 0, 0, 1e9, &p->report_interval, err) ||
        config_ms(c, "decay", 10000, 0.001, 1e9, &p->decay, err) ||
        config_choice(c, "hash", hash_scheme_names, HASH_RING, &scheme, err) ||
        config_int(c, "vnodes", 100, 1, HASH_MAX_VNODES, &vnodes, err) ||
        config_int(c, "table_size", 65537, 1, HASH_MAX_TABLE, &table, err) ||
        config_choice(c, "health", health_names, LB_HEALTH_NONE, &p->health, err) ||
        config_ms(c, "heartbeat", 50, 0.001, 1e9, &p->heartbeat, err) ||
        config_ms(c, "health_timeout", 200, 0.001, 1e9, &p->hb.timeout, err) ||
        config_double(c, "threshold", 8, 0.01, 300, &p->hb.threshold, err) ||
        config_int(c, "window", 100, 2, 100000, &window, err) ||
        config_ms(c, "min_std", 5, 0, 1e9, &p->hb.min_std, err) ||
        config_int(c, "retries", 1, 0, 100, &retries, err) ||
        config_ms(c, "attempt_timeout", 0, 0, 1e9, &p->attempt_timeout, err) ||
        config_ms(c, "warmup", 0, 0, 1e12, &p->warmup, err))
        return -1;
    p->d = (int)d;
    p->concurrency = (int)conc;
    p->retries = (int)retries;
    p->hb.detector = p->health == LB_HEALTH_PHI ? HB_PHI : HB_FIXED;
    p->hb.window = (int)window;
    hb_params_finish(&p->hb);
    if ((p->policy == LB_POWER_OF_D || p->policy == LB_PEAK_EWMA) && p->d > p->servers) {
        snprintf(err->msg, sizeof err->msg, "option 'd' = %d is more than the %d servers (accepted: 1 to %d)", p->d,
                 p->servers, p->servers);
        return -1;
    }
    if (p->nweights && p->policy != LB_WRR) {
        snprintf(err->msg, sizeof err->msg, "option 'weights' is for policy = \"weighted_round_robin\" (policy is \"%s\")",
                 lb_policy_names[p->policy]);
        return -1;
    }
    hash_opts_default(&p->hash);
    p->hash.scheme = scheme;
    p->hash.vnodes = (int)vnodes;
    p->hash.table_size = table;
    if (p->policy == LB_CONSISTENT_HASH) {
        if (scheme == HASH_BOUNDED) {
            snprintf(err->msg, sizeof err->msg, "option 'hash' = \"bounded_load\" places a fixed set of keys and "
                     "cannot route a stream of requests; accepted: modulo, ring, jump, rendezvous, maglev");
            return -1;
        }
        if (hash_opts_check(&p->hash, p->servers, err))
            return -1;
    }
    return 0;
}

/* ---------------------------------------------------------- the server */

static double speed_of(const struct lb_params *p, int s) { return p->nspeeds ? p->speed[s - 1] : 1.0; }

void lb_dirty(struct node *n)
{
    struct lb_ghost *g = node_ghost(n);
    int id = node_id(n);
    if (g->ndirty && g->dirty[g->ndirty - 1] == id)
        return;
    if (g->ndirty == (int)(sizeof g->dirty / sizeof g->dirty[0])) {
        g->dirty_all = 1;
        node_check_soon(n);
        return;
    }
    g->dirty[g->ndirty++] = id;
}

static void note_queue(struct node *n, const struct lb_server *sv)
{
    struct record *r = node_note_begin(n, "queue", 1);
    record_int(r, "len", sv->qlen + sv->busy);
    node_note_end(n, r);
}

static void arm_service(struct node *n, struct lb_server *sv)
{
    sim_time best = -1;
    int conc = lb_prm(n)->concurrency;
    for (int w = 0; w < conc; w++)
        if (sv->end[w] >= 0 && (best < 0 || sv->end[w] < best))
            best = sv->end[w];
    if (best < 0) {
        node_cancel(n, LB_T_SERVICE);
        return;
    }
    sim_time now = node_now(n);
    node_timer(n, LB_T_SERVICE, best > now ? best - now : 0);
}

static void begin_service(struct node *n, struct lb_server *sv, int w, const struct lb_job *j)
{
    const struct lb_params *p = lb_prm(n);
    sim_time t = node_random_dist(n, &p->service);
    double sp = speed_of(p, node_id(n));
    if (sp != 1.0)
        t = (sim_time)((double)t / sp);
    sv->work[w] = *j;
    sv->end[w] = node_now(n) + t;
    sv->busy++;
    lb_g_busy(n, node_id(n), +1);
    lb_g_start(n, node_id(n), j->arrived_true);
}

static void server_arrive(struct node *n, struct lb_server *sv, int balancer, uint64_t tag)
{
    const struct lb_params *p = lb_prm(n);
    struct lb_job j = { tag, balancer, cluster_true_now(node_checker_view(n)) };
    lb_g_insys(n, node_id(n), +1);
    if (sv->busy < p->concurrency) {
        int w = 0;
        while (sv->end[w] >= 0)
            w++;
        begin_service(n, sv, w, &j);
        arm_service(n, sv);
    } else {
        if (sv->qlen == sv->qcap) {
            int cap = sv->qcap ? 2 * sv->qcap : 16;
            struct lb_job *q = malloc((size_t)cap * sizeof *q);
            if (!q)
                abort();
            for (int i = 0; i < sv->qlen; i++)
                q[i] = sv->q[(sv->qhead + i) % sv->qcap];
            free(sv->q);
            sv->q = q;
            sv->qcap = cap;
            sv->qhead = 0;
        }
        sv->q[(sv->qhead + sv->qlen) % sv->qcap] = j;
        sv->qlen++;
    }
    note_queue(n, sv);
    lb_dirty(n);
}

static void server_complete(struct node *n, struct lb_server *sv)
{
    sim_time now = node_now(n);
    int conc = lb_prm(n)->concurrency;
    int changed = 0;
    for (int w = 0; w < conc; w++) {
        if (sv->end[w] < 0 || sv->end[w] > now)
            continue;
        struct lb_response r = { sv->work[w].tag, node_id(n) };
        node_send(n, sv->work[w].balancer, LB_MSG_RESPONSE, &r, sizeof r);
        sv->served++;
        sv->end[w] = -1;
        sv->busy--;
        lb_g_busy(n, node_id(n), -1);
        lb_g_insys(n, node_id(n), -1);
        changed = 1;
        if (sv->qlen) {
            struct lb_job j = sv->q[sv->qhead];
            sv->qhead = (sv->qhead + 1) % sv->qcap;
            sv->qlen--;
            begin_service(n, sv, w, &j);
        }
    }
    arm_service(n, sv);
    if (changed) {
        note_queue(n, sv);
        lb_dirty(n);
    }
}

static void server_start(struct node *n, struct lb_server *sv)
{
    const struct lb_params *p = lb_prm(n);
    sv->work = calloc((size_t)p->concurrency, sizeof *sv->work);
    sv->end = malloc((size_t)p->concurrency * sizeof *sv->end);
    if (!sv->work || !sv->end)
        abort();
    for (int w = 0; w < p->concurrency; w++)
        sv->end[w] = -1;
    /* first report and heartbeat at a random phase, so servers do not beat in lockstep */
    if (p->report_interval > 0)
        node_timer(n, LB_T_REPORT, (sim_time)node_random_below(n, (uint64_t)p->report_interval + 1));
    if (p->health != LB_HEALTH_NONE)
        node_timer(n, LB_T_HEARTBEAT, (sim_time)node_random_below(n, (uint64_t)p->heartbeat + 1));
}

static void to_balancers(struct node *n, int type, const void *payload, size_t len)
{
    const struct lb_params *p = lb_prm(n);
    for (int b = p->servers + 1; b <= p->servers + p->balancers; b++)
        node_send(n, b, type, payload, len);
}

/* -------------------------------------------------------- the balancer */

/* A tag names one attempt: the balancer's incarnation (16 bits, from its
 * durable store, so a restarted balancer never takes an answer meant for
 * its previous life), the slot's generation (24 bits, bumped per attempt)
 * and the slot (24 bits). */
#define TAG_SLOTS (1 << 24)
static uint64_t tag_of(const struct lb_balancer *b, int slot)
{
    return ((uint64_t)(b->incarnation & 0xffff) << 48) | ((uint64_t)(b->pend[slot].gen & 0xffffff) << 24) |
           (uint64_t)slot;
}

static struct lb_pend *pend_of(struct lb_balancer *b, uint64_t tag)
{
    int slot = (int)(tag & (TAG_SLOTS - 1));
    if (slot >= b->cappend || (tag >> 48) != (b->incarnation & 0xffff))
        return NULL;
    struct lb_pend *q = &b->pend[slot];
    return q->live && (q->gen & 0xffffff) == ((tag >> 24) & 0xffffff) ? q : NULL;
}

static int pend_alloc(struct lb_balancer *b)
{
    if (b->free_head < 0) {
        int cap = b->cappend ? 2 * b->cappend : 64;
        if (cap > TAG_SLOTS)
            abort();         /* 16 million requests in flight at one balancer: beyond any scenario's memory */
        struct lb_pend *np = realloc(b->pend, (size_t)cap * sizeof *np);
        if (!np)
            abort();
        b->pend = np;
        for (int i = cap - 1; i >= b->cappend; i--) {
            memset(&np[i], 0, sizeof np[i]);
            np[i].next_free = b->free_head;
            b->free_head = i;
        }
        b->cappend = cap;
    }
    int slot = b->free_head;
    b->free_head = b->pend[slot].next_free;
    b->pend[slot].live = 1;
    b->npend++;
    return slot;
}

static void pend_release(struct lb_balancer *b, struct lb_pend *q)
{
    q->live = 0;
    q->next_free = b->free_head;
    b->free_head = (int)(q - b->pend);
    b->npend--;
}

static void answer(struct node *n, struct lb_balancer *b, struct lb_pend *q, enum result_status status,
                   const char *why, int server)
{
    struct result res;
    memset(&res, 0, sizeof res);
    res.status = status;
    res.server = server;
    if (why)
        snprintf(res.error, sizeof res.error, "%s", why);
    lb_g_answer(n, &q->req, status == RESULT_OK, q->arrived_true);
    node_reply(n, &q->req, &res);
    pend_release(b, q);
}

/* Attempt timeouts: one duration for all, so deadlines come in the order
 * attempts were sent and a FIFO with one timer at its head is enough. */
static void push_deadline(struct node *n, struct lb_balancer *b, uint64_t tag)
{
    if (b->dllen == b->dlcap) {
        int cap = b->dlcap ? 2 * b->dlcap : 64;
        struct lb_deadline *d = malloc((size_t)cap * sizeof *d);
        if (!d)
            abort();
        for (int i = 0; i < b->dllen; i++)
            d[i] = b->dl[(b->dlhead + i) % b->dlcap];
        free(b->dl);
        b->dl = d;
        b->dlcap = cap;
        b->dlhead = 0;
    }
    sim_time at = node_now(n) + lb_prm(n)->attempt_timeout;
    b->dl[(b->dlhead + b->dllen) % b->dlcap] = (struct lb_deadline){ tag, at };
    if (b->dllen++ == 0)
        node_timer(n, LB_T_TIMEOUT, lb_prm(n)->attempt_timeout);
}

static void dispatch(struct node *n, struct lb_balancer *b, struct lb_pend *q, int avoid);
static void answer(struct node *n, struct lb_balancer *b, struct lb_pend *q, enum result_status status,
                   const char *why, int server);
static struct lb_pend *pend_of(struct lb_balancer *b, uint64_t tag);

/* An attempt whose server is not suspected may still be lost (a crash
 * with health checks off, a lost message, a server far behind): after
 * attempt_timeout it is given up like a drained one, and retried while
 * the request has retries left. */
static void expire(struct node *n, struct lb_balancer *b)
{
    const struct lb_params *p = lb_prm(n);
    sim_time now = node_now(n);
    while (b->dllen && b->dl[b->dlhead].at <= now) {
        uint64_t tag = b->dl[b->dlhead].tag;
        b->dlhead = (b->dlhead + 1) % b->dlcap;
        b->dllen--;
        struct lb_pend *q = pend_of(b, tag);
        if (!q)
            continue;        /* answered, or already re-sent: a later entry watches it */
        struct lb_ghost *g = node_ghost(n);
        g->timeouts++;
        int s = q->server;
        lb_done(n, b, s, -1);
        if (q->attempts <= p->retries) {
            g->retried++;
            dispatch(n, b, q, s);
        } else {
            answer(n, b, q, RESULT_FAIL, "attempt timed out", 0);
        }
    }
    if (b->dllen) {
        sim_time at = b->dl[b->dlhead].at;
        node_timer(n, LB_T_TIMEOUT, at > now ? at - now : 0);
    }
    lb_dirty(n);
}

/* Send q to a server (not `avoid` when there is another), or fail it. */
static void dispatch(struct node *n, struct lb_balancer *b, struct lb_pend *q, int avoid)
{
    int s = lb_pick(n, b, &q->req, avoid);
    if (s == 0) {
        struct lb_ghost *g = node_ghost(n);
        g->dropped++;
        answer(n, b, q, RESULT_FAIL, "no healthy server", 0);
        return;
    }
    q->server = s;
    q->attempts++;
    q->gen++;                /* a new tag per attempt: an abandoned attempt's answer no longer matches */
    q->sent_local = node_now(n);
    struct lb_forward f = { tag_of(b, (int)(q - b->pend)) };
    lb_sent(n, b, s);
    node_send(n, s, LB_MSG_FORWARD, &f, sizeof f);
    if (lb_prm(n)->attempt_timeout > 0)
        push_deadline(n, b, f.tag);
}

static void balancer_request(struct node *n, struct lb_balancer *b, const struct request *req)
{
    struct lb_ghost *g = node_ghost(n);
    g->arrived++;
    int slot = pend_alloc(b);
    struct lb_pend *q = &b->pend[slot];
    q->req = *req;
    q->attempts = 0;
    q->arrived_true = cluster_true_now(node_checker_view(n));
    dispatch(n, b, q, 0);
    lb_dirty(n);
}

static void balancer_response(struct node *n, struct lb_balancer *b, const struct lb_response *r)
{
    struct lb_pend *q = pend_of(b, r->tag);
    if (!q || q->server != r->server) {
        /* the answer to an attempt given up on (its server was suspected and
         * the request re-sent or failed), or a copy the network duplicated */
        ((struct lb_ghost *)node_ghost(n))->late++;
        return;
    }
    lb_done(n, b, q->server, node_now(n) - q->sent_local);
    answer(n, b, q, RESULT_OK, NULL, r->server);
    lb_dirty(n);
}

/* Server s is suspected: re-send or fail what is in flight there. Slot
 * order, so the outcome is a function of the history. */
static void drain(struct node *n, struct lb_balancer *b, int s)
{
    const struct lb_params *p = lb_prm(n);
    struct lb_ghost *g = node_ghost(n);
    for (int i = 0; i < b->cappend; i++) {
        struct lb_pend *q = &b->pend[i];
        if (!q->live || q->server != s)
            continue;
        /* The request leaves server s: forget it there, or s looks busy
         * for ever (a restarted server that least_connections never picks). */
        if (!node_bug(n, "lb.drain_keeps_count"))
            lb_done(n, b, s, -1);
        if (q->attempts <= p->retries) {
            g->retried++;
            struct record *r = node_note_begin(n, "retry", 0);
            record_int(r, "id", (int64_t)q->req.id);
            record_int(r, "from", s);
            node_note_end(n, r);
            dispatch(n, b, q, s);
        } else {
            answer(n, b, q, RESULT_FAIL, "server failed", 0);
        }
    }
}

static void health_note(struct node *n, int s, int suspect, double phi)
{
    struct record *r = node_note_begin(n, suspect ? "suspect" : "trust", 1);
    record_int(r, "target", s);
    if (lb_prm(n)->health == LB_HEALTH_PHI)
        record_num(r, "phi", phi);
    node_note_end(n, r);
}

static void arm_check(struct node *n, struct lb_balancer *b)
{
    const struct lb_params *p = lb_prm(n);
    sim_time best = -1;
    for (int s = 1; s <= p->servers; s++) {
        const struct hb_mon *m = &b->mons[s];
        if (m->suspected || m->last < 0)
            continue;
        sim_time d = hb_deadline(&p->hb, m);
        if (best < 0 || d < best)
            best = d;
    }
    b->armed_at = best;
    if (best < 0) {
        node_cancel(n, LB_T_CHECK);
        return;
    }
    sim_time now = node_now(n);
    node_timer(n, LB_T_CHECK, best > now ? best - now : 0);
}

static void check_health(struct node *n, struct lb_balancer *b)
{
    const struct lb_params *p = lb_prm(n);
    sim_time now = node_now(n);
    for (int s = 1; s <= p->servers; s++) {
        struct hb_mon *m = &b->mons[s];
        if (m->suspected || m->last < 0 || hb_deadline(&p->hb, m) > now)
            continue;
        m->suspected = 1;
        b->suspected++;
        health_note(n, s, 1, hb_phi(&p->hb, m, now));
        lb_set_healthy(n, b, s, 0);
        drain(n, b, s);
    }
    arm_check(n, b);
    lb_dirty(n);
}

static void balancer_heartbeat(struct node *n, struct lb_balancer *b, int s)
{
    const struct lb_params *p = lb_prm(n);
    struct hb_mon *m = &b->mons[s];
    sim_time now = node_now(n);
    hb_mon_beat(m, &p->hb, now);
    if (m->suspected) {
        m->suspected = 0;
        b->suspected--;
        health_note(n, s, 0, hb_phi(&p->hb, m, now));
        lb_set_healthy(n, b, s, 1);
        lb_dirty(n);
    }
    if (b->armed_at < 0)
        arm_check(n, b);
}

static void balancer_start(struct node *n, struct lb_balancer *b)
{
    const struct lb_params *p = lb_prm(n);
    b->free_head = -1;
    b->armed_at = -1;
    size_t len;
    const void *v = node_store_get(n, "incarnation", &len);
    uint32_t inc = 0;
    if (v && len == sizeof inc)
        memcpy(&inc, v, sizeof inc);
    b->incarnation = ++inc;
    node_store_put(n, "incarnation", &inc, sizeof inc);
    node_store_sync(n);
    lb_view_init(n, b, p);
    if (p->health != LB_HEALTH_NONE) {
        b->mons = calloc((size_t)p->servers + 1, sizeof *b->mons);
        if (!b->mons)
            abort();
        for (int s = 1; s <= p->servers; s++)
            hb_mon_init(&b->mons[s], s, p->hb.window);
    }
}

/* ----------------------------------------------------------- callbacks */

static void lb_start(struct node *n)
{
    struct lb_state *x = st(n);
    x->is_server = node_id(n) <= lb_prm(n)->servers;
    if (x->is_server)
        server_start(n, &x->s);
    else
        balancer_start(n, &x->b);
    lb_dirty(n);
}

static void lb_on_message(struct node *n, const struct message *m)
{
    struct lb_state *x = st(n);
    const struct lb_params *p = lb_prm(n);
    if (x->is_server) {
        if (m->type == LB_MSG_FORWARD && m->len == sizeof(struct lb_forward) && m->src > p->servers) {
            struct lb_forward f;
            memcpy(&f, m->payload, sizeof f);
            server_arrive(n, &x->s, m->src, f.tag);
        }
        return;
    }
    if (m->src < 1 || m->src > p->servers)
        return;
    if (m->type == LB_MSG_RESPONSE && m->len == sizeof(struct lb_response)) {
        struct lb_response r;
        memcpy(&r, m->payload, sizeof r);
        balancer_response(n, &x->b, &r);
    } else if (m->type == LB_MSG_REPORT && m->len == sizeof(struct lb_report)) {
        struct lb_report r;
        memcpy(&r, m->payload, sizeof r);
        ((struct lb_ghost *)node_ghost(n))->reports++;
        lb_reported(n, &x->b, m->src, r.load);
        lb_dirty(n);
    } else if (m->type == LB_MSG_HEARTBEAT && x->b.mons) {
        balancer_heartbeat(n, &x->b, m->src);
    }
}

static void lb_on_timer(struct node *n, int id)
{
    struct lb_state *x = st(n);
    const struct lb_params *p = lb_prm(n);
    if (id == LB_T_SERVICE) {
        server_complete(n, &x->s);
    } else if (id == LB_T_REPORT) {
        struct lb_report r = { x->s.qlen + x->s.busy };
        to_balancers(n, LB_MSG_REPORT, &r, sizeof r);
        node_timer(n, LB_T_REPORT, p->report_interval);
    } else if (id == LB_T_HEARTBEAT) {
        struct lb_heartbeat h = { ++x->s.hb_seq };
        to_balancers(n, LB_MSG_HEARTBEAT, &h, sizeof h);
        node_timer(n, LB_T_HEARTBEAT, p->heartbeat);
    } else if (id == LB_T_CHECK) {
        x->b.armed_at = -1;
        check_health(n, &x->b);
    } else if (id == LB_T_TIMEOUT) {
        expire(n, &x->b);
    }
}

static void lb_on_request(struct node *n, const struct request *req)
{
    struct lb_state *x = st(n);
    if (x->is_server) {
        struct result res;
        memset(&res, 0, sizeof res);
        res.status = RESULT_FAIL;
        snprintf(res.error, sizeof res.error, "a server: send to a balancer");
        node_reply(n, req, &res);
        return;
    }
    balancer_request(n, &x->b, req);
}

static void lb_state_free(struct node *n)
{
    struct lb_state *x = st(n);
    const struct lb_params *p = lb_prm(n);
    if (x->is_server) {
        lb_g_lost_at(n, node_id(n));
        free(x->s.q);
        free(x->s.work);
        free(x->s.end);
    } else {
        struct lb_ghost *g = node_ghost(n);
        g->lost_balancer += (uint64_t)x->b.npend;
        lb_view_free(&x->b);
        free(x->b.pend);
        free(x->b.dl);
        if (x->b.mons) {
            for (int s = 1; s <= p->servers; s++)
                hb_mon_free(&x->b.mons[s]);
            free(x->b.mons);
        }
    }
    memset(x, 0, sizeof *x);
}

static void lb_inspect(const struct node *n, struct inspector *in)
{
    const struct lb_state *x = node_state_const(n);
    if (x->is_server) {
        inspect_str(in, "role", "server");
        inspect_int(in, "queue", x->s.qlen + x->s.busy);
        inspect_int(in, "waiting", x->s.qlen);
        inspect_int(in, "busy", x->s.busy);
        inspect_int(in, "served", (int64_t)x->s.served);
    } else {
        inspect_str(in, "role", "balancer");
        inspect_int(in, "in_flight", x->b.npend);
        inspect_int(in, "healthy", x->b.ls.nh);
        inspect_int(in, "suspected", x->b.suspected);
    }
}

static void lb_describe(int type, const void *payload, size_t len, struct record *args)
{
    if (type == LB_MSG_FORWARD && len == sizeof(struct lb_forward)) {
        struct lb_forward f;
        memcpy(&f, payload, sizeof f);
        record_int(args, "tag", (int64_t)f.tag);
    } else if (type == LB_MSG_RESPONSE && len == sizeof(struct lb_response)) {
        struct lb_response r;
        memcpy(&r, payload, sizeof r);
        record_int(args, "tag", (int64_t)r.tag);
        record_int(args, "server", r.server);
    } else if (type == LB_MSG_REPORT && len == sizeof(struct lb_report)) {
        struct lb_report r;
        memcpy(&r, payload, sizeof r);
        record_int(args, "load", r.load);
    } else if (type == LB_MSG_HEARTBEAT && len == sizeof(struct lb_heartbeat)) {
        struct lb_heartbeat h;
        memcpy(&h, payload, sizeof h);
        record_int(args, "seq", (int64_t)h.seq);
    }
}

/* A client library that knows the balancers: client k uses balancer
 * (k - 1) mod B, and after a timeout the next one. */
static int lb_route(const struct cluster *c, const struct request *req, int attempt)
{
    const struct lb_params *p = cluster_params(c);
    int k = (req->client - 1 + attempt) % p->balancers;
    return p->servers + 1 + (k < 0 ? k + p->balancers : k);
}

static const char *const lb_msg_names[] = { "Forward", "Response", "Report", "Heartbeat" };

static const struct bug_def lb_bugs[] = {
    { "lb.drain_keeps_count",
      "a drained request still counts at its dead server: the balancer's view leaks, and a restarted server "
      "looks busy for ever", "scenarios/lb_failure.lua", 5 },
    { NULL, NULL, NULL, 0 },
};

const struct algorithm lb_algorithm = {
    .name = "lb",
    .summary = "load balancing: queueing servers, seven policies, stale load reports, health checks",
    .state_size = sizeof(struct lb_state),
    .params_size = sizeof(struct lb_params),
    .ghost_size = sizeof(struct lb_ghost),
    .configure = lb_configure,
    .start = lb_start,
    .on_message = lb_on_message,
    .on_timer = lb_on_timer,
    .on_request = lb_on_request,
    .check = lb_check,
    .inspect = lb_inspect,
    .describe = lb_describe,
    .msg_names = lb_msg_names,
    .msg_count = LB_MSG_COUNT,
    .bugs = lb_bugs,
    .ghost_init = lb_ghost_init,
    .ghost_free = lb_ghost_free,
    .state_free = lb_state_free,
    .metrics = lb_metrics,
    .route = lb_route,
};
