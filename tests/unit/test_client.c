/* Unit tests for sim/client.c: simulated clients against a small protocol
 * defined here.
 *
 * The protocol, "register": one value per node. With `leader` > 0 only that
 * node serves and every other node redirects to it; with 0 every node serves.
 * A node remembers the last seq it applied per client and applies a retried
 * operation once (at-most-once per node); check() holds that invariant, fed
 * by ghost bookkeeping of every apply.
 *
 * What a client did is read back from the records it emits (invoke, request,
 * reply, complete), collected through the engine's hook interface exactly
 * as the Lua `sim.on` hooks receive them. Latency is a constant 10 ms each
 * way, so every expected time is exact. Where the client's first target is a
 * draw from its own stream, the tests run many seeds and assert per case,
 * and that both cases occurred. */
#include <stdlib.h>

#include "sim/client.h"
#include "tests/unit/tap.h"

/* ================================================= the test protocol */

#define MAXN 8
#define MAXC 4

struct reg_params { int64_t leader; };
struct reg_state { char value[REQ_STR]; int found; uint64_t last_seq[MAXC + 1]; };
struct reg_ghost { uint64_t applied[MAXN + 1][MAXC + 1][64]; uint64_t dup_applies; };

static int reg_configure(struct config *c, void *params, struct error *err)
{
    struct reg_params *p = params;
    return config_int(c, "leader", 0, 0, MAXN, &p->leader, err);
}

static void reg_start(struct node *n) { (void)n; }
static void reg_on_message(struct node *n, const struct message *m) { (void)n; (void)m; }
static void reg_on_timer(struct node *n, int id) { (void)n; (void)id; }

static void reg_on_request(struct node *n, const struct request *q)
{
    const struct reg_params *p = node_params(n);
    struct reg_state *st = node_state(n);
    struct result res;
    memset(&res, 0, sizeof res);
    if (p->leader && node_id(n) != p->leader) {
        res.status = RESULT_REDIRECT;
        res.leader = (int)p->leader;
        node_reply(n, q, &res);
        return;
    }
    if (q->client >= 1 && q->client <= MAXC && q->seq > st->last_seq[q->client]) {
        st->last_seq[q->client] = q->seq;
        struct reg_ghost *g = node_ghost(n);
        if (q->seq < 64)
            g->applied[node_id(n)][q->client][q->seq]++;
        if (strcmp(q->op, "put") == 0) {
            snprintf(st->value, sizeof st->value, "%s", q->value);
            st->found = 1;
        }
    }
    res.status = RESULT_OK;
    if (strcmp(q->op, "get") == 0) {
        snprintf(res.value, sizeof res.value, "%s", st->value);
        res.found = st->found;
    }
    node_reply(n, q, &res);
}

static int reg_check(const struct cluster *c, struct violation *v)
{
    struct reg_ghost *g = cluster_ghost(c);
    for (int n = 1; n <= cluster_size(c) && n <= MAXN; n++)
        for (int k = 1; k <= MAXC; k++)
            for (int q = 0; q < 64; q++)
                if (g->applied[n][k][q] > 1) {
                    snprintf(v->invariant, sizeof v->invariant, "at_most_once");
                    snprintf(v->detail, sizeof v->detail, "node %d applied client %d seq %d twice", n, k, q);
                    return 1;
                }
    return 0;
}

static const struct algorithm reg = {
    .name = "register",
    .summary = "test protocol: a register with an optional fixed leader",
    .state_size = sizeof(struct reg_state),
    .params_size = sizeof(struct reg_params),
    .ghost_size = sizeof(struct reg_ghost),
    .configure = reg_configure,
    .start = reg_start,
    .on_message = reg_on_message,
    .on_timer = reg_on_timer,
    .on_request = reg_on_request,
    .check = reg_check,
};

/* ======================================================== harness */

#define HLOG_MAX 256
struct hlog { struct record r[HLOG_MAX]; int n; };
static struct hlog hl;

static int wants_all(void *ctx, const char *type) { (void)ctx; (void)type; return 1; }

static void collect(void *ctx, struct sim *s)
{
    struct hlog *h = ctx;
    for (size_t i = 0; i < s->pending.len; i++)
        if (h->n < HLOG_MAX)
            record_copy(&h->r[h->n++], &s->pending.v[i].r);
    s->pending.len = 0;
}

static struct sim *make(uint64_t seed, int nodes, int leader, sim_time timeout, int retries)
{
    struct sim *s = sim_new(seed);
    s->net.defaults.latency = (struct dist){ DIST_CONST, 10, 0 };
    hl.n = 0;
    s->hooks.ctx = &hl;
    s->hooks.wants = wants_all;
    s->hooks.flush = collect;
    s->want_send = s->want_recv = s->want_drop = 1;
    struct config cfg;
    struct error err;
    config_init(&cfg);
    struct config_entry *e = config_add(&cfg, "leader");
    e->type = CONFIG_NUM;
    e->num = leader;
    if (sim_cluster(s, &reg, nodes, &cfg, &err) != 0) {
        printf("Bail out! sim_cluster: %s\n", err.msg);
        exit(1);
    }
    config_free(&cfg);
    struct client_cfg cc;
    client_cfg_default(&cc);
    cc.timeout = timeout;
    cc.retries = retries;
    clients_add(s, 1, &cc);
    return s;
}

static int submit_put(struct sim *s, const char *value)
{
    struct request q;
    struct error err;
    memset(&q, 0, sizeof q);
    snprintf(q.op, sizeof q.op, "put");
    snprintf(q.key, sizeof q.key, "x");
    snprintf(q.value, sizeof q.value, "%s", value);
    int rc = client_submit(s, 1, &q, 0, -1, &err);
    if (rc)
        printf("# client_submit: %s\n", err.msg);
    return rc;
}

static int64_t fint(const struct record *r, const char *name)
{
    const struct field *f = record_get(r, name);
    return f && f->kind == FIELD_INT ? f->v.i : -999;
}

static const char *fstr(const struct record *r, const char *name)
{
    const struct field *f = record_get(r, name);
    return f && f->kind == FIELD_STR ? f->v.s : "";
}

/* The i-th collected record of a type, or NULL. */
static const struct record *rec(const char *type, int i)
{
    for (int k = 0; k < hl.n; k++)
        if (strcmp(hl.r[k].type, type) == 0 && i-- == 0)
            return &hl.r[k];
    return NULL;
}

static int nrec(const char *type)
{
    int c = 0;
    while (rec(type, c))
        c++;
    return c;
}

/* ========================================================== tests */

static void test_redirect(void)
{
    int direct = 0, redirected = 0, good = 1;
    for (uint64_t seed = 1; seed <= 30; seed++) {
        struct sim *s = make(seed, 3, 1, SIM_MS(500), 2);
        submit_put(s, "v");
        sim_run(s, SIM_S(2));
        const struct record *first = rec("request", 0), *done = rec("complete", 0);
        if (!first || !done || strcmp(fstr(done, "status"), "ok") != 0) {
            good = 0;
        } else if (fint(first, "node") == 1) {
            direct++;
            good &= fint(done, "attempts") == 1 && done->t == SIM_MS(20) && nrec("request") == 1;
        } else {
            redirected++;
            const struct record *r0 = rec("reply", 0), *second = rec("request", 1);
            good &= r0 && strcmp(fstr(r0, "status"), "redirect") == 0 && fint(r0, "leader") == 1;
            good &= second && fint(second, "node") == 1 && second->t == SIM_MS(20);
            good &= second && fint(second, "seq") == fint(first, "seq") && fint(second, "id") != fint(first, "id");
            good &= fint(done, "attempts") == 2 && done->t == SIM_MS(40);
        }
        good &= s->m.ops_ok == 1 && !s->stop;
        sim_free(s);
    }
    ok(good, "a redirect is followed at once to the named leader, keeping seq (%d direct, %d redirected)",
       direct, redirected);
    ok(direct > 0 && redirected > 0, "both first-target cases occurred over 30 seeds");
}

static void test_timeout_retry(void)
{
    int direct = 0, retried = 0, good = 1;
    for (uint64_t seed = 1; seed <= 30; seed++) {
        struct sim *s = make(seed, 3, 0, SIM_MS(100), 2);
        sim_block(s, -1, 1);                  /* requests to node 1 are lost */
        submit_put(s, "v");
        sim_run(s, SIM_S(2));
        const struct record *first = rec("request", 0), *done = rec("complete", 0);
        if (!first || !done || strcmp(fstr(done, "status"), "ok") != 0) {
            good = 0;
        } else if (fint(first, "node") != 1) {
            direct++;
            good &= fint(done, "attempts") == 1 && done->t == SIM_MS(20);
        } else {
            retried++;
            const struct record *to = rec("reply", 0), *second = rec("request", 1);
            good &= to && strcmp(fstr(to, "status"), "timeout") == 0 && to->t == SIM_MS(100);
            good &= second && fint(second, "node") != 1 && second->t == SIM_MS(100);
            good &= second && fint(second, "seq") == fint(first, "seq") && fint(second, "id") != fint(first, "id");
            good &= fint(done, "attempts") == 2 && done->t == SIM_MS(120);
            good &= s->m.ops_retries == 1;
        }
        good &= s->m.dropped_by[DROP_BLOCKED] == (uint64_t)(fint(first, "node") == 1);
        sim_free(s);
    }
    ok(good, "a timed-out attempt is retried on another node with the same seq (%d direct, %d retried)",
       direct, retried);
    ok(direct > 0 && retried > 0, "both cases occurred over 30 seeds");
}

static void test_exhausted(void)
{
    struct sim *s = make(5, 3, 0, SIM_MS(100), 2);
    for (int i = 1; i <= 3; i++)
        sim_block(s, -1, i);
    submit_put(s, "v");
    is_int(client_outstanding(s, 1), 1, "one operation outstanding");
    sim_run(s, SIM_S(2));
    is_int(nrec("invoke"), 1, "one invoke");
    is_int(nrec("request"), 3, "retries = 2: three attempts");
    int same_seq = 1, distinct = 1, moved = 1;
    for (int i = 0; i < 3; i++) {
        const struct record *r = rec("request", i);
        same_seq &= fint(r, "seq") == fint(rec("request", 0), "seq");
        same_seq &= r->t == SIM_MS(100) * i;
        if (i > 0) {
            distinct &= fint(r, "id") != fint(rec("request", i - 1), "id");
            moved &= fint(r, "node") != fint(rec("request", i - 1), "node");
        }
    }
    ok(same_seq, "every attempt keeps the operation's seq, one timeout apart");
    ok(distinct, "each attempt has its own request id");
    ok(moved, "each retry goes to another node than the one that timed out");
    const struct record *done = rec("complete", 0);
    ok(done && strcmp(fstr(done, "status"), "info") == 0, "retries exhausted: the operation completes as info");
    ok(done && strcmp(fstr(done, "error"), "timeout") == 0 && fint(done, "attempts") == 3, "  error timeout, 3 attempts");
    ok(done && done->t == SIM_MS(300), "  at 300 ms");
    ok(s->m.ops_info == 1 && s->m.ops_retries == 2 && s->m.ops_ok == 0, "metrics: 1 info, 2 retries");
    is_int(client_outstanding(s, 1), 0, "nothing outstanding afterwards");
    sim_free(s);

    /* The timeout is on the client's own clock. */
    s = make(5, 3, 0, SIM_MS(100), 0);
    for (int i = 1; i <= 3; i++)
        sim_block(s, -1, i);
    client_clock_drift(s, 1, 100000000);       /* +100000 ppm */
    submit_put(s, "v");
    sim_run(s, SIM_S(1));
    done = rec("complete", 0);
    ok(done && done->t == 90909091, "a client 10%% fast times out after 100 ms of its clock: 90.909091 ms true");
    sim_free(s);
}

static void test_paused_and_crashed(void)
{
    struct error err;
    struct sim *s = make(9, 1, 0, SIM_MS(1000), 0);
    submit_put(s, "v");
    ok(client_pause(s, 1, SIM_MS(100), &err) == 0, "pause the client for 100 ms");
    sim_run(s, SIM_MS(99));
    ok(rec("complete", 0) == NULL, "the reply waits while the client is paused");
    sim_run(s, SIM_S(2));
    const struct record *done = rec("complete", 0);
    ok(done && strcmp(fstr(done, "status"), "ok") == 0 && done->t == SIM_MS(100),
       "the waiting reply completes the operation at resume");
    is_int(s->m.sent, 2, "one request and one reply sent");
    is_int(s->m.delivered, 2, "each delivered once");
    is_int(nrec("recv"), 2, "  and traced as received once each");
    sim_free(s);

    s = make(9, 1, 0, SIM_MS(1000), 0);
    submit_put(s, "v");
    sim_run(s, SIM_MS(5));
    ok(client_crash(s, 1, &err) == 0, "crash the client with an operation in flight");
    collect(&hl, s);                           /* outside a step: flush its records by hand */
    done = rec("complete", 0);
    ok(done && strcmp(fstr(done, "status"), "info") == 0 && strcmp(fstr(done, "error"), "client crashed") == 0,
       "  the operation completes as info: client crashed");
    sim_run(s, SIM_S(2));
    is_int(s->m.dropped_by[DROP_CRASHED], 1, "the reply to a crashed client is dropped, reason crashed");
    ok(client_submit(s, 1, &(struct request){ .op = "get" }, 0, -1, &err) == -1, "a crashed client takes no operations");
    is_str(err.msg, "client 1 is crashed", "  and says so");
    ok(client_submit(s, 7, &(struct request){ .op = "get" }, 0, -1, &err) == -1, "an unknown client fails");
    is_str(err.msg, "client 7 does not exist (clients are 1..1)", "  naming the valid range");
    ok(client_restart(s, 1, &err) == 0 && submit_put(s, "w") == 0, "a restarted client takes operations again");
    sim_run(s, SIM_S(3));
    ok(rec("complete", 1) && strcmp(fstr(rec("complete", 1), "status"), "ok") == 0, "  and completes them");
    ok(!s->stop, "at-most-once held throughout");
    sim_free(s);
}

int main(void)
{
    test_redirect();
    test_timeout_retry();
    test_exhausted();
    test_paused_and_crashed();
    return done_testing();
}
