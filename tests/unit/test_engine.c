/* Unit tests for sim/engine.c: the event loop and the node environment,
 * driven directly in C (no Lua) with a small protocol defined here.
 *
 * The protocol, "pingpong": a node counts the PINGs it receives, persists the
 * count in its durable store ("count", synced or not by option), answers
 * each PING with a PONG, and with `interval` > 0 sends a PING to its ring
 * successor on a periodic local-clock timer. Its start() reads the count back
 * and bumps a synced boot counter, so a restart is visible. Its check() holds
 * a real invariant (no node counts more PINGs than it received) and an
 * optional `limit` the count may not reach, to make a violation on demand.
 *
 * Handlers append what they saw to a log in the ghost (checker-only state):
 * which node, what, at which true and local time, and whether the engine
 * called them while the node was paused or down (it must not). The tests
 * assert on that log, on the metrics and on the trace. Every expectation is
 * an exact simulated time: latencies are constant, or drawn from a reference
 * stream seeded like the engine's network stream. */
#include <assert.h>
#include <stdlib.h>
#include <unistd.h>

#include "sim/engine.h"
#include "tests/unit/tap.h"

/* ================================================== the test protocol */

enum { MSG_PING = 0, MSG_PONG = 1 };
enum { T_TICK = 0, T_ONESHOT = 1, T_OTHER = 2 };
#define MAXN 16
#define LOG_MAX 20000

struct pp_params { sim_time interval; int sync, reply; int64_t limit; };
struct pp_msg { uint64_t seq; };
struct pp_state { uint64_t count, boots, sent, pongs; };

struct logent {
    char kind;            /* 's' start, 'm' message, 't' timer */
    int node, type, src, timer;
    uint64_t id, seq;
    sim_time t, local;
};

struct pp_ghost {
    struct logent log[LOG_MAX];
    int nlog;
    uint64_t received[MAXN + 1];   /* PINGs handled per node, across crashes */
    uint64_t checks;
    uint64_t handled_while_paused, handled_while_down;
};

static const char *const pp_msg_names[] = { "Ping", "Pong" };

static int pp_configure(struct config *c, void *params, struct error *err)
{
    struct pp_params *p = params;
    return config_ms(c, "interval", 0, 0, 1e6, &p->interval, err) ||
           config_bool(c, "sync", 1, &p->sync, err) ||
           config_bool(c, "reply", 1, &p->reply, err) ||
           config_int(c, "limit", 0, 0, 1000000, &p->limit, err) ? -1 : 0;
}

static struct logent *pp_log(struct node *n, char kind)
{
    const struct cluster *view = node_checker_view(n);
    struct pp_ghost *g = node_ghost(n);
    if (cluster_node_paused(view, node_id(n)))
        g->handled_while_paused++;
    if (!cluster_node_up(view, node_id(n)))
        g->handled_while_down++;
    assert(g->nlog < LOG_MAX);
    struct logent *e = &g->log[g->nlog++];
    memset(e, 0, sizeof *e);
    e->kind = kind;
    e->node = node_id(n);
    e->t = cluster_true_now(view);
    e->local = node_now(n);
    return e;
}

static uint64_t get_u64(struct node *n, const char *key)
{
    size_t len = 0;
    const void *v = node_store_get(n, key, &len);
    uint64_t x = 0;
    if (v && len == sizeof x)
        memcpy(&x, v, sizeof x);
    return x;
}

static void pp_start(struct node *n)
{
    struct pp_state *st = node_state(n);
    const struct pp_params *p = node_params(n);
    pp_log(n, 's');
    st->count = get_u64(n, "count");
    st->boots = get_u64(n, "boots") + 1;
    node_store_put(n, "boots", &st->boots, sizeof st->boots);
    node_store_sync(n);
    if (p->interval > 0)
        node_timer(n, T_TICK, p->interval);
}

static void pp_on_message(struct node *n, const struct message *m)
{
    struct pp_state *st = node_state(n);
    const struct pp_params *p = node_params(n);
    struct pp_msg body;
    assert(m->len == sizeof body);
    memcpy(&body, m->payload, sizeof body);
    struct logent *e = pp_log(n, 'm');
    e->type = m->type;
    e->src = m->src;
    e->id = m->id;
    e->seq = body.seq;
    if (m->type == MSG_PING) {
        struct pp_ghost *g = node_ghost(n);
        g->received[node_id(n)]++;
        st->count++;
        node_store_put(n, "count", &st->count, sizeof st->count);
        if (p->sync)
            node_store_sync(n);
        struct record *r = node_note_begin(n, "count", 1);
        record_int(r, "count", (int64_t)st->count);
        node_note_end(n, r);
        if (p->reply && m->src > 0)
            node_send(n, m->src, MSG_PONG, &body, sizeof body);
    } else {
        st->pongs++;
    }
}

static void pp_on_timer(struct node *n, int id)
{
    struct pp_state *st = node_state(n);
    const struct pp_params *p = node_params(n);
    struct logent *e = pp_log(n, 't');
    e->timer = id;
    if (id != T_TICK)
        return;
    int peer = node_id(n) % node_count(n) + 1;
    if (peer != node_id(n)) {
        struct pp_msg body = { ++st->sent };
        node_send(n, peer, MSG_PING, &body, sizeof body);
    }
    node_timer(n, T_TICK, p->interval);
}

static int pp_check(const struct cluster *c, struct violation *v)
{
    struct pp_ghost *g = cluster_ghost(c);
    const struct pp_params *p = cluster_params(c);
    g->checks++;
    for (int i = 1; i <= cluster_size(c); i++) {
        const struct pp_state *st = cluster_node_state(c, i);
        if (!st)
            continue;
        if (st->count > g->received[i]) {
            snprintf(v->invariant, sizeof v->invariant, "count_bound");
            snprintf(v->detail, sizeof v->detail, "node %d counts %llu pings but received %llu", i,
                     (unsigned long long)st->count, (unsigned long long)g->received[i]);
            return 1;
        }
        if (p->limit > 0 && st->count >= (uint64_t)p->limit) {
            snprintf(v->invariant, sizeof v->invariant, "counter_limit");
            snprintf(v->detail, sizeof v->detail, "node %d reached %llu", i, (unsigned long long)st->count);
            return 1;
        }
    }
    return 0;
}

static void pp_inspect(const struct node *n, struct inspector *in)
{
    const struct pp_state *st = node_state_const(n);
    inspect_int(in, "count", (int64_t)st->count);
}

static void pp_describe(int type, const void *payload, size_t len, struct record *args)
{
    struct pp_msg body;
    (void)type;
    if (len == sizeof body) {
        memcpy(&body, payload, sizeof body);
        record_int(args, "seq", (int64_t)body.seq);
    }
}

static const struct algorithm pingpong = {
    .name = "pingpong",
    .summary = "test protocol: count pings, answer pongs",
    .state_size = sizeof(struct pp_state),
    .params_size = sizeof(struct pp_params),
    .ghost_size = sizeof(struct pp_ghost),
    .configure = pp_configure,
    .start = pp_start,
    .on_message = pp_on_message,
    .on_timer = pp_on_timer,
    .check = pp_check,
    .inspect = pp_inspect,
    .describe = pp_describe,
    .msg_names = pp_msg_names,
    .msg_count = 2,
};

/* ======================================================== harness */

struct opts { double interval_ms; int sync, reply, limit; };

static const struct opts DEFAULTS = { 0, 1, 1, 0 };

static void set_num(struct config *cfg, const char *name, enum config_type type, double v)
{
    struct config_entry *e = config_add(cfg, name);
    e->type = type;
    e->num = v;
}

/* A sim with constant 10 ms links; open a trace on it before calling cluster(). */
static struct sim *new_sim(uint64_t seed)
{
    struct sim *s = sim_new(seed);
    s->net.defaults.latency = (struct dist){ DIST_CONST, 10, 0 };
    return s;
}

static void cluster(struct sim *s, int nodes, struct opts o)
{
    struct config cfg;
    struct error err;
    config_init(&cfg);
    set_num(&cfg, "interval", CONFIG_NUM, o.interval_ms);
    set_num(&cfg, "sync", CONFIG_BOOL, o.sync);
    set_num(&cfg, "reply", CONFIG_BOOL, o.reply);
    set_num(&cfg, "limit", CONFIG_NUM, o.limit);
    if (sim_cluster(s, &pingpong, nodes, &cfg, &err) != 0) {
        printf("Bail out! sim_cluster: %s\n", err.msg);
        exit(1);
    }
    config_free(&cfg);
}

static struct sim *make(uint64_t seed, int nodes, struct opts o)
{
    struct sim *s = new_sim(seed);
    cluster(s, nodes, o);
    return s;
}

static struct pp_ghost *ghost(struct sim *s) { return s->ghost; }
static struct pp_state *state(struct sim *s, int id) { return s->nodes[id]->state; }

/* A PING sent by the harness on behalf of node (or client endpoint) src. */
static uint64_t inject(struct sim *s, int src, int dst, uint64_t seq)
{
    struct pp_msg body = { seq };
    return sim_send(s, src, dst, MSG_PING, &body, sizeof body);
}

/* The i-th log entry of `kind` at `node`, or NULL. */
static const struct logent *nth(struct sim *s, char kind, int node, int i)
{
    struct pp_ghost *g = ghost(s);
    for (int k = 0; k < g->nlog; k++)
        if (g->log[k].kind == kind && g->log[k].node == node && i-- == 0)
            return &g->log[k];
    return NULL;
}

static int count_log(struct sim *s, char kind, int node)
{
    int c = 0;
    while (nth(s, kind, node, c))
        c++;
    return c;
}

static const struct logent *find_msg(struct sim *s, uint64_t id)
{
    struct pp_ghost *g = ghost(s);
    for (int k = 0; k < g->nlog; k++)
        if (g->log[k].kind == 'm' && g->log[k].id == id)
            return &g->log[k];
    return NULL;
}

/* Entries for node with from <= t < to. */
static int handled_between(struct sim *s, int node, sim_time from, sim_time to)
{
    struct pp_ghost *g = ghost(s);
    int c = 0;
    for (int k = 0; k < g->nlog; k++)
        if (g->log[k].node == node && g->log[k].t >= from && g->log[k].t < to)
            c++;
    return c;
}

static int queued_timers(struct sim *s, int node)
{
    int c = 0;
    for (uint32_t i = 0; i < s->q.len; i++)
        if (s->q.heap[i]->kind == EV_TIMER && s->q.heap[i]->target == node)
            c++;
    return c;
}

static int all_zero(const void *p, size_t n)
{
    const unsigned char *b = p;
    for (size_t i = 0; i < n; i++)
        if (b[i])
            return 0;
    return 1;
}

static uint64_t store_u64(struct sim *s, int node, const char *key, int *present)
{
    size_t len = 0;
    const void *v = cluster_store_get(&s->cluster, node, key, &len);
    uint64_t x = 0;
    *present = v != NULL;
    if (v && len == sizeof x)
        memcpy(&x, v, sizeof x);
    return x;
}

/* ========================================================== tests */

static void test_config(void)
{
    struct sim *s = sim_new(1);
    struct config cfg;
    struct error err;
    config_init(&cfg);
    set_num(&cfg, "interval", CONFIG_NUM, 5);
    set_num(&cfg, "bogus", CONFIG_NUM, 1);
    ok(sim_cluster(s, &pingpong, 3, &cfg, &err) == -1, "an unknown option fails sim_cluster");
    is_str(err.msg, "unknown option 'bogus' for algorithm 'pingpong' (known options: interval, sync, reply, limit)",
           "  the error names the option and lists the known ones");
    config_free(&cfg);
    sim_free(s);

    s = sim_new(1);
    config_init(&cfg);
    set_num(&cfg, "sync", CONFIG_NUM, 1);
    ok(sim_cluster(s, &pingpong, 3, &cfg, &err) == -1, "an option of the wrong type fails");
    is_str(err.msg, "option 'sync' must be a boolean (true or false), got a number", "  and says what was expected");
    config_free(&cfg);
    sim_free(s);

    s = sim_new(1);
    config_init(&cfg);
    set_num(&cfg, "interval", CONFIG_NUM, -5);
    ok(sim_cluster(s, &pingpong, 3, &cfg, &err) == -1, "an option out of range fails");
    is_str(err.msg, "option 'interval' = -5 is out of range [0, 1e+06]", "  and gives the range");
    config_free(&cfg);
    sim_free(s);

    s = make(1, 3, DEFAULTS);
    is_int(count_log(s, 's', 1) + count_log(s, 's', 2) + count_log(s, 's', 3), 3, "sim_cluster starts every node once");
    is_int(state(s, 2)->boots, 1, "start() ran against an empty store");
    is_int(s->now, 0, "the cluster starts at time 0");
    sim_free(s);
}

static void test_latency(void)
{
    enum { K = 200 };
    const uint64_t seed = 4242;
    struct sim *s = new_sim(seed);
    s->net.defaults.latency = (struct dist){ DIST_UNIFORM, 5, 15 };
    struct opts o = DEFAULTS;
    o.reply = 0;
    cluster(s, 2, o);
    uint64_t ids[K];
    for (int i = 0; i < K; i++)
        ids[i] = inject(s, 1, 2, (uint64_t)i);
    is_int(s->m.sent, K, "sent counts every message");
    is_int(s->m.delivered, 0, "nothing is delivered at send time, even to a neighbour");
    sim_run(s, SIM_MS(100));
    is_int(s->m.delivered, K, "all delivered after the largest latency");

    /* The network draws from its own stream (seed, RNG_NET, 0), one draw per
     * message when loss and duplication are zero. */
    struct rng ref;
    rng_init(&ref, seed, RNG_NET, 0);
    int exact = 1, bounds = 1, inversions = 0;
    sim_time prev = -1;
    for (int i = 0; i < K; i++) {
        sim_time want = dist_sample(&s->net.defaults.latency, &ref);
        const struct logent *e = find_msg(s, ids[i]);
        if (!e || e->t != want)
            exact = 0;
        if (!e || e->t < SIM_MS(5) || e->t > SIM_MS(15))
            bounds = 0;
        if (e && e->t < prev)
            inversions++;
        if (e)
            prev = e->t;
    }
    ok(bounds, "every delivery between 5 and 15 ms after its send");
    ok(exact, "each delivery time is exactly the latency sampled for it from the network stream");
    ok(inversions > 0, "without fifo, messages overtake each other (%d inversions)", inversions);

    /* Per-link fifo keeps send order on that link only. */
    struct link_override f = { LINK_FIFO, { { DIST_CONST, 0, 0 }, 0, 0, 1 } };
    net_set_link(&s->net, 2, 1, &f);
    sim_time t0 = s->now;
    for (int i = 0; i < K; i++)
        ids[i] = inject(s, 2, 1, (uint64_t)i);
    sim_run(s, t0 + SIM_MS(100));
    int fifo = 1;
    prev = -1;
    for (int i = 0; i < K; i++) {
        const struct logent *e = find_msg(s, ids[i]);
        if (!e || e->t < prev || e->t - t0 < SIM_MS(5))
            fifo = 0;
        if (e)
            prev = e->t;
    }
    ok(fifo, "a fifo link delivers in send order, never before the sampled latency");
    sim_free(s);

    /* Constant latency: exact. */
    s = make(1, 3, DEFAULTS);
    sim_run(s, SIM_MS(3));
    uint64_t id = inject(s, 1, 2, 7);
    sim_run(s, SIM_MS(100));
    const struct logent *e = find_msg(s, id);
    ok(e && e->t == SIM_MS(13) && e->src == 1 && e->seq == 7, "const 10 ms: sent at 3 ms, handled at 13 ms");
    e = nth(s, 'm', 1, 0);
    ok(e && e->type == MSG_PONG && e->t == SIM_MS(23) && e->seq == 7, "the PONG comes back at 23 ms");
    is_int(state(s, 2)->count, 1, "the receiver counted it");
    is_int(state(s, 1)->pongs, 1, "the sender got its pong");
    sim_free(s);

    /* Loss and duplication. */
    s = make(1, 2, (struct opts){ 0, 1, 0, 0 });
    s->net.defaults.loss = 1.0;
    inject(s, 1, 2, 1);
    is_int(s->m.dropped_by[DROP_LOSS], 1, "loss = 1 drops at send, reason loss");
    s->net.defaults.loss = 0;
    s->net.defaults.duplicate = 1.0;
    id = inject(s, 1, 2, 2);
    sim_run(s, SIM_MS(50));
    is_int(s->m.duplicated, 1, "duplicate = 1 duplicates");
    is_int(count_log(s, 'm', 2), 2, "  and the node handles the message twice");
    ok(nth(s, 'm', 2, 0)->id == id && nth(s, 'm', 2, 1)->id == id, "  both copies carry the same id");
    sim_free(s);
}

static void test_partition(void)
{
    struct sim *s = make(1, 3, DEFAULTS);
    const int g1[] = { 1 }, g2[] = { 2, 3 };
    const int *groups[] = { g1, g2 };
    const int counts[] = { 1, 2 };

    /* At send time. */
    sim_partition(s, 2, groups, counts);
    inject(s, 1, 2, 1);
    is_int(s->m.dropped, 1, "a partition at send time drops at once");
    is_int(s->m.dropped_by[DROP_PARTITION], 1, "  with reason partition");
    inject(s, 2, 3, 2);
    sim_run(s, SIM_MS(50));
    is_int(count_log(s, 'm', 3), 1, "within a group messages still flow");
    is_int(count_log(s, 'm', 2), 1, "  (and its pong came back)");
    sim_heal(s);

    /* After send, before delivery. */
    sim_time t0 = s->now;
    uint64_t id = inject(s, 1, 2, 3);
    sim_run(s, t0 + SIM_MS(5));
    uint64_t delivered = s->m.delivered;
    is_int(s->m.dropped_by[DROP_PARTITION], 1, "in flight across a healed network: not dropped yet");
    sim_partition(s, 2, groups, counts);
    sim_run(s, t0 + SIM_MS(50));
    is_int(s->m.dropped_by[DROP_PARTITION], 2, "a partition installed while in flight drops at delivery");
    ok(find_msg(s, id) == NULL && s->m.delivered == delivered, "  and the node never sees it");
    sim_heal(s);

    /* One-way block. */
    t0 = s->now;
    sim_block(s, 1, 2);
    uint64_t a = inject(s, 1, 2, 4), b = inject(s, 2, 1, 5);
    sim_run(s, t0 + SIM_MS(50));
    ok(find_msg(s, a) == NULL, "a one-way block drops 1 -> 2");
    ok(find_msg(s, b) != NULL, "  while 2 -> 1 is delivered");
    is_int(s->m.dropped_by[DROP_BLOCKED], 2, "  and node 1's pong to 2 is dropped too, reason blocked");
    sim_heal(s);
    id = inject(s, 1, 2, 6);
    sim_run(s, s->now + SIM_MS(50));
    ok(find_msg(s, id) != NULL, "after heal 1 -> 2 works again");
    is_int(s->m.sent, s->m.delivered + s->m.dropped, "every message was delivered or dropped");
    sim_free(s);
}

static void test_pause(void)
{
    struct sim *s = make(1, 3, DEFAULTS);
    struct error err;
    struct node *n2 = s->nodes[2];
    uint64_t a = inject(s, 1, 2, 1), b = inject(s, 3, 2, 2);   /* both due at 10 ms */
    node_timer(n2, T_OTHER, SIM_MS(15));
    node_timer(n2, T_ONESHOT, SIM_MS(20));
    sim_run(s, SIM_MS(1));
    ok(sim_pause(s, 2, SIM_MS(100), &err) == 0, "pause node 2 at 1 ms for 100 ms");
    sim_run(s, SIM_MS(101) - 1);
    is_int(handled_between(s, 2, SIM_MS(1), SIM_MS(101)), 0, "nothing handled while paused");
    ok(node_timer_armed(n2, T_ONESHOT) && node_timer_armed(n2, T_OTHER), "expired timers are still armed, waiting");
    is_int(s->m.delivered, 0, "the messages wait: not delivered yet");
    sim_run(s, SIM_MS(101));
    const struct logent *e0 = nth(s, 'm', 2, 0), *e1 = nth(s, 'm', 2, 1);
    const struct logent *e2 = nth(s, 't', 2, 0), *e3 = nth(s, 't', 2, 1);
    ok(e0 && e1 && e2 && e3, "at resume: two messages and two timers handled");
    ok(e0 && e1 && e2 && e3 && e0->t == SIM_MS(101) && e1->t == SIM_MS(101) && e2->t == SIM_MS(101) &&
       e3->t == SIM_MS(101), "  all at the resume time, 101 ms");
    ok(e0 && e1 && e2 && e3 && e0->id == a && e1->id == b && e2->timer == T_OTHER && e3->timer == T_ONESHOT &&
       e0 < e1 && e1 < e2 && e2 < e3, "  in the order they were due: msg a, msg b, timer@15, timer@20");
    ok(!node_timer_armed(n2, T_ONESHOT), "a fired timer is disarmed");
    sim_run(s, SIM_MS(200));
    const struct logent *p = nth(s, 'm', 1, 0);
    ok(p && p->type == MSG_PONG && p->t == SIM_MS(111), "the pong sent at resume arrives 10 ms later");
    is_int(ghost(s)->handled_while_paused, 0, "the engine never called a paused node");

    /* Pause until resumed; timers moved while paused keep their place. */
    ok(sim_pause(s, 3, -1, &err) == 0, "pause node 3 with no end");
    uint64_t held = inject(s, 1, 3, 3);
    sim_run(s, SIM_S(10));
    is_int(handled_between(s, 3, SIM_MS(200), SIM_S(10)), 0, "an open-ended pause holds messages for 10 s");
    ok(sim_resume(s, 3, &err) == 0, "sim_resume ends it");
    sim_run(s, SIM_S(10));
    const struct logent *r = find_msg(s, held);
    ok(r && r->t == SIM_S(10), "the held message is handled at the resume instant");

    /* Errors a script can trigger. */
    ok(sim_resume(s, 3, &err) == -1, "resuming a running node fails");
    is_str(err.msg, "node 3 is not paused", "  with a message naming the node");
    ok(sim_pause(s, 9, 10, &err) == -1, "pausing a missing node fails");
    is_str(err.msg, "node 9 does not exist (nodes are 1..3)", "  naming the valid range");

    /* A re-pause replaces the resume time. */
    sim_time t0 = s->now;
    sim_pause(s, 1, SIM_MS(50), &err);
    sim_pause(s, 1, SIM_MS(200), &err);
    inject(s, 2, 1, 9);
    sim_run(s, t0 + SIM_MS(199));
    is_int(handled_between(s, 1, t0, t0 + SIM_MS(199)), 0, "pausing again extends the pause");
    sim_run(s, t0 + SIM_MS(300));
    ok(nth(s, 'm', 1, 1) && nth(s, 'm', 1, 1)->t == t0 + SIM_MS(200), "  and the node resumes at the new time");
    is_int(ghost(s)->handled_while_paused, 0, "still never called while paused");

    /* A message that reached a paused node waits in its inbox: a partition
     * installed during the pause does not reach in and drop it (DESIGN: lost
     * if blocked when sent or when it would be delivered, i.e. arrives). */
    t0 = s->now;
    uint64_t dropped = s->m.dropped;
    sim_pause(s, 2, SIM_MS(50), &err);
    uint64_t inbox = inject(s, 1, 2, 10);      /* arrives at t0 + 10 ms, held */
    sim_run(s, t0 + SIM_MS(20));
    const int g1[] = { 1 }, g2[] = { 2, 3 };
    const int *groups[] = { g1, g2 };
    const int counts[] = { 1, 2 };
    sim_partition(s, 2, groups, counts);
    sim_run(s, t0 + SIM_MS(60));
    const struct logent *in = find_msg(s, inbox);
    ok(in && in->t == t0 + SIM_MS(50), "a message held by a paused node survives a later partition");
    is_int(s->m.dropped, dropped + 1, "  (only the pong sent back across the partition is dropped)");
    sim_heal(s);
    is_int(s->m.sent, s->m.delivered + s->m.dropped, "every message delivered once or dropped once");
    sim_free(s);
}

static void test_crash(void)
{
    struct sim *s = make(1, 3, DEFAULTS);   /* sync = 1: every count is synced */
    struct error err;
    struct node *n2 = s->nodes[2];
    for (uint64_t i = 0; i < 3; i++)
        inject(s, 1, 2, i);
    node_timer(n2, T_ONESHOT, SIM_MS(50));
    sim_run(s, SIM_MS(20));
    is_int(state(s, 2)->count, 3, "node 2 counted 3 pings");
    inject(s, 1, 2, 3);                               /* due at 30 ms */
    sim_run(s, SIM_MS(25));
    uint64_t live = s->q.live;
    ok(sim_crash(s, 2, &err) == 0, "crash node 2 at 25 ms");
    ok(!n2->up && cluster_node_state(&s->cluster, 2) == NULL, "a crashed node is down and shows no state");
    ok(all_zero(n2->state, sizeof(struct pp_state)), "its volatile state is zeroed");
    ok(!node_timer_armed(n2, T_ONESHOT) && queued_timers(s, 2) == 0, "its timers are cancelled");
    is_int(s->q.live, live - 1, "  and their events released");
    sim_run(s, SIM_MS(60));
    is_int(s->m.dropped_by[DROP_CRASHED], 1, "a message arriving at a crashed node is dropped, reason crashed");
    is_int(handled_between(s, 2, SIM_MS(25), SIM_MS(60)), 0, "a crashed node handles nothing (no message, no timer)");
    int present;
    is_int(store_u64(s, 2, "count", &present), 3, "the durable store survives the crash");
    is_int(cluster_node_down_since(&s->cluster, 2), SIM_MS(25), "down_since is the crash time");

    ok(sim_crash(s, 2, &err) == -1, "crashing a crashed node fails");
    is_str(err.msg, "node 2 is already crashed", "  with a clear message");
    ok(sim_pause(s, 2, 10, &err) == -1, "pausing a crashed node fails");
    is_str(err.msg, "node 2 is crashed: restart it before pausing it", "  with a clear message");

    ok(sim_restart(s, 2, &err) == 0, "restart node 2 at 60 ms");
    const struct logent *st = nth(s, 's', 2, 1);
    ok(st && st->t == SIM_MS(60), "restart calls start() again");
    is_int(state(s, 2)->boots, 2, "start() read the durable boot counter");
    is_int(state(s, 2)->count, 3, "start() restored the synced count");
    is_int(cluster_node_down_since(&s->cluster, 2), -1, "down_since is -1 while up");
    inject(s, 3, 2, 4);
    sim_run(s, SIM_MS(100));
    is_int(state(s, 2)->count, 4, "the restarted node counts on from its store");
    ok(sim_restart(s, 2, &err) == -1, "restarting a running node fails");
    is_str(err.msg, "node 2 is not crashed", "  with a clear message");
    is_int(ghost(s)->handled_while_down, 0, "the engine never called a crashed node");

    /* A crash while paused: the held messages die with the node. */
    inject(s, 1, 3, 5);
    inject(s, 1, 3, 6);
    node_timer(s->nodes[3], T_ONESHOT, SIM_MS(5));
    sim_pause(s, 3, -1, &err);
    sim_run(s, SIM_MS(150));
    uint64_t crashed = s->m.dropped_by[DROP_CRASHED];
    sim_crash(s, 3, &err);
    is_int(s->m.dropped_by[DROP_CRASHED], crashed + 2, "crash while paused drops the held messages, reason crashed");
    ok(!s->nodes[3]->paused && s->nodes[3]->deferred_head == NULL, "  and clears the pause");
    sim_restart(s, 3, &err);
    sim_run(s, SIM_MS(300));
    is_int(count_log(s, 't', 3), 0, "the held timer never fires after the restart");
    is_int(s->q.live, queue_len(&s->q), "no event leaked: every live event is queued");
    sim_free(s);
}

static void test_lose_unsynced(void)
{
    struct error err;
    for (int lose = 0; lose <= 1; lose++) {
        struct sim *s = make(1, 2, (struct opts){ 0, 0, 0, 0 });   /* sync = 0 */
        s->lose_unsynced = lose;
        for (uint64_t i = 0; i < 3; i++)
            inject(s, 1, 2, i);
        sim_run(s, SIM_MS(20));
        is_int(state(s, 2)->count, 3, lose ? "lose_unsynced: counted 3" : "keep: counted 3");
        is_int(store_unsynced(&s->nodes[2]->store), 1, "  the count is an unsynced write");
        sim_crash(s, 2, &err);
        sim_restart(s, 2, &err);
        if (lose) {
            is_int(state(s, 2)->count, 0, "lose_unsynced: the unsynced count is gone after the crash");
        } else {
            is_int(state(s, 2)->count, 3, "default: unsynced writes survive a crash");
        }
        is_int(state(s, 2)->boots, 2, "  the synced boot counter survives either way");
        sim_free(s);
    }
}

static void test_timers(void)
{
    /* Re-arming replaces; cancel cancels. */
    struct sim *s = make(1, 2, DEFAULTS);
    struct node *n1 = s->nodes[1];
    uint64_t live = s->q.live;
    node_timer(n1, T_ONESHOT, SIM_MS(50));
    node_timer(n1, T_ONESHOT, SIM_MS(20));     /* earlier */
    node_timer(n1, T_OTHER, SIM_MS(10));
    node_timer(n1, T_OTHER, SIM_MS(40));       /* later */
    is_int(s->q.live, live + 2, "re-arming a timer reuses its event");
    node_timer(n1, T_TICK, SIM_MS(30));
    node_cancel(n1, T_TICK);
    ok(!node_timer_armed(n1, T_TICK), "node_cancel disarms");
    node_cancel(n1, T_TICK);
    ok(1, "cancelling an unarmed timer is harmless");
    sim_run(s, SIM_MS(100));
    is_int(count_log(s, 't', 1), 2, "two timers fired, the cancelled one did not");
    const struct logent *a = nth(s, 't', 1, 0), *b = nth(s, 't', 1, 1);
    ok(a && a->timer == T_ONESHOT && a->t == SIM_MS(20), "re-armed earlier: fires once, at the new 20 ms");
    ok(b && b->timer == T_OTHER && b->t == SIM_MS(40), "re-armed later: fires once, at the new 40 ms");
    is_int(s->m.timers_fired, 2, "metrics count fired timers");
    node_timer(n1, T_ONESHOT, 0);
    sim_run(s, s->now);
    ok(nth(s, 't', 1, 2) && nth(s, 't', 1, 2)->t == SIM_MS(100), "a zero duration fires at the current instant");
    sim_free(s);

    /* Local-clock durations. Node 1 runs true, node 2 at +100000 ppm (10% fast). */
    s = make(1, 3, (struct opts){ 100, 1, 0, 0 });
    sim_clock_drift(s, 2, 100000000);
    sim_run(s, SIM_MS(300));
    a = nth(s, 't', 1, 0);
    ok(a && a->t == SIM_MS(100), "a true-speed node's 100 ms timer fires at 100 ms");
    a = nth(s, 't', 2, 0);
    b = nth(s, 't', 2, 1);
    const struct logent *c = nth(s, 't', 2, 2);
    ok(a && a->t == 90909091, "+100000 ppm: the armed timer is re-planned to 90.909091 ms true");
    ok(a && a->local == SIM_MS(100), "  when the node's own clock reads exactly 100 ms");
    ok(b && b->t == 181818182 && b->local == SIM_MS(200), "  re-armed there, the next fires at 181.818182 ms (local 200)");
    ok(c && c->t == 272727273, "  and the third at 272.727273 ms");

    /* A drift change half-way re-plans only the remaining local time. */
    sim_free(s);
    s = make(1, 3, (struct opts){ 100, 1, 0, 0 });
    sim_run(s, SIM_MS(50));
    sim_clock_drift(s, 3, 100000000);
    sim_run(s, SIM_MS(99));
    a = nth(s, 't', 3, 0);
    ok(a && a->t == 95454546, "drift set at 50 ms: the rest (50 ms local) takes 45.454546 ms true");
    ok(a && a->local == SIM_MS(100), "  and the node sees its timer at local 100 ms");

    /* Steps move the local deadline's true time too. */
    sim_clock_step(s, 1, SIM_MS(30));          /* node 1 at 99 ms true, due at 100 local */
    sim_run(s, s->now);
    a = nth(s, 't', 1, 0);
    ok(a && a->t == SIM_MS(99), "a forward step past a deadline fires the timer at once");
    sim_clock_step(s, 1, -SIM_MS(500));
    sim_run(s, SIM_MS(700));
    b = nth(s, 't', 1, 1);
    /* re-armed at 99 ms true = 129 local, due 229 local; stepped to -371 local at 99 ms, so 600 ms true later */
    ok(b && b->t == SIM_MS(699) && b->local == SIM_MS(229), "a backward step delays the timer by the step");
    sim_clock_offset(s, 2, 0);
    ok(clock_offset(&s->nodes[2]->clock, s->now) == 0, "sim_clock_offset sets the offset");
    sim_free(s);
}

static void test_check(void)
{
    struct sim *s = make(3, 4, (struct opts){ 7, 1, 1, 0 });
    sim_run(s, SIM_MS(500));
    ok(s->m.events > 500, "a busy run: %llu events", (unsigned long long)s->m.events);
    is_int(ghost(s)->checks, s->m.events + 1, "check_every = 1: check() at start and after every event");
    is_int(s->m.checks, s->m.events + 1, "  and the metrics agree");
    ok(!s->stop, "  and the invariant held");
    sim_free(s);

    s = make(3, 4, (struct opts){ 7, 1, 1, 0 });
    s->check_every = 10;
    sim_run(s, SIM_MS(500));
    is_int(ghost(s)->checks, 1 + s->m.events / 10, "check_every = 10: one check at start, then one per 10 events");
    sim_free(s);

    /* A violation stops the run at the event that broke the invariant. */
    s = make(1, 2, (struct opts){ 0, 1, 0, 3 });
    for (int i = 0; i < 5; i++) {
        inject(s, 1, 2, (uint64_t)i);
        sim_run(s, SIM_MS(i + 1));
    }
    sim_run(s, SIM_S(1));
    is_int(s->stop, STOP_VIOLATION, "reaching the limit is a violation");
    is_str(s->violation.invariant, "counter_limit", "  named by the check");
    is_str(s->violation.detail, "node 2 reached 3", "  with its detail");
    is_int(s->now, SIM_MS(12), "  the run stops at the third delivery, 12 ms");
    is_int(count_log(s, 'm', 2), 3, "  and handles nothing after it");
    is_int(s->violations, 1, "one violation counted");
    ok(sim_step(s, SIM_S(2)) == 0, "a stopped sim takes no more steps");
    sim_free(s);
}

/* ---- determinism: the same seed gives the same trace bytes ---- */

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    size_t cap = 1 << 16, n = 0;
    char *buf = malloc(cap);
    size_t r;
    while ((r = fread(buf + n, 1, cap - n, f)) > 0) {
        n += r;
        if (n == cap)
            buf = realloc(buf, cap *= 2);
    }
    fclose(f);
    *len = n;
    return buf;
}

static uint64_t det_run(uint64_t seed, const char *path)
{
    struct sim *s = new_sim(seed);
    struct error err;
    s->net.defaults.latency = (struct dist){ DIST_LOGNORMAL, 2, 0.6 };
    s->net.defaults.loss = 0.05;
    s->net.defaults.duplicate = 0.05;
    if (trace_open(&s->trace, path) != 0) {
        printf("Bail out! cannot open %s\n", path);
        exit(1);
    }
    s->trace_open = 1;
    s->trace_level = TRACE_MESSAGES;
    s->want_send = s->want_recv = s->want_drop = 1;
    cluster(s, 5, (struct opts){ 5, 0, 1, 0 });
    s->lose_unsynced = 1;
    sim_run(s, SIM_MS(100));
    sim_crash(s, 3, &err);
    sim_clock_drift(s, 5, -200000);
    sim_run(s, SIM_MS(150));
    sim_pause(s, 4, SIM_MS(80), &err);
    const int g1[] = { 1, 2 }, g2[] = { 4, 5 };
    const int *groups[] = { g1, g2 };
    const int counts[] = { 2, 2 };
    sim_partition(s, 2, groups, counts);
    sim_run(s, SIM_MS(250));
    sim_restart(s, 3, &err);
    sim_heal(s);
    sim_clock_step(s, 1, SIM_MS(7));
    sim_run(s, SIM_MS(600));
    uint64_t events = s->m.events;
    sim_write_end(s, "ok");
    if (trace_close(&s->trace) != 0)
        printf("# trace_close failed\n");
    sim_free(s);
    return events;
}

static void test_determinism(void)
{
    char p1[] = "/tmp/clustersim-test-XXXXXX", p2[] = "/tmp/clustersim-test-XXXXXX",
         p3[] = "/tmp/clustersim-test-XXXXXX";
    int fds[] = { mkstemp(p1), mkstemp(p2), mkstemp(p3) };
    if (fds[0] < 0 || fds[1] < 0 || fds[2] < 0) {
        printf("Bail out! mkstemp failed\n");
        exit(1);
    }
    for (int i = 0; i < 3; i++)
        close(fds[i]);
    uint64_t e1 = det_run(7, p1), e2 = det_run(7, p2), e3 = det_run(8, p3);
    size_t l1, l2, l3;
    char *b1 = slurp(p1, &l1), *b2 = slurp(p2, &l2), *b3 = slurp(p3, &l3);
    ok(e1 > 1000, "the determinism run is busy (%llu events)", (unsigned long long)e1);
    is_int(e1, e2, "same seed: same event count");
    ok(b1 && b2 && l1 > 10000 && l1 == l2 && memcmp(b1, b2, l1) == 0, "same seed: byte-identical traces (%zu bytes)", l1);
    ok(b3 && (e3 != e1 || l3 != l1 || memcmp(b1, b3, l1) != 0), "another seed: a different trace");
    if (!ok(b1 && strncmp(b1, "{\"type\":\"header\",\"schema\":1,", 28) == 0, "the trace starts with its header"))
        printf("#   starts: %.200s\n", b1 ? b1 : "(null)");
    ok(b1 && strstr(b1, "\"seed\":\"7\""), "  which carries the seed as a string");
    ok(b1 && strstr(b1, "\"why\":\"partition\""), "drops by partition are traced with their reason");
    ok(b1 && strstr(b1, "\"why\":\"crashed\""), "drops at a crashed node are traced with their reason");
    ok(b1 && strstr(b1, "\"type\":\"count\",\"node\":"), "node notes reach the trace");
    ok(b1 && strstr(b1, "\"msg\":\"Ping\",\"id\":1,\"args\":{\"seq\":1}}"), "sends carry the described args");
    ok(b1 && l1 > 1 && strstr(b1, "{\"type\":\"end\",\"status\":\"ok\",") != NULL && b1[l1 - 1] == '\n',
       "the trace ends with an end record");
    free(b1);
    free(b2);
    free(b3);
    unlink(p1);
    unlink(p2);
    unlink(p3);
}

int main(void)
{
    test_config();
    test_latency();
    test_partition();
    test_pause();
    test_crash();
    test_lose_unsynced();
    test_timers();
    test_check();
    test_determinism();
    return done_testing();
}
