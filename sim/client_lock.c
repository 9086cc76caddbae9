/* The lock client workload, and what every lock client believes.
 *
 * A lock client cycles: acquire{key, ttl} from the lock service (the one
 * lease server, every Redlock server at once, or a replicated log's leader
 * when the algorithm has no lock layout), then work for `hold` ms, then
 * write{key, value, token} to the storage node with the token it was given
 * (without a layout: to the cluster, whose lock machine keeps the register),
 * then release, think, and start over; a refused acquire backs off for a
 * random time around `backoff`.
 *
 * The client judges its lease on its OWN clock, as the Redlock description
 * prescribes: the validity is TTL - elapsed - (drift_factor x TTL + 2 ms),
 * elapsed measured from just before the first acquire was sent. It believes
 * it holds the lock from the grant until it releases or notices, on that
 * clock, that the validity is over; it notices only when it runs, so a
 * paused client goes on believing (Kleppmann's GC pause). When its work is
 * done it checks the clock once more and writes only if the lease is still
 * valid: an honest client, which is exactly why a slow network, a paused
 * write or a wrong clock are the ways it goes wrong.
 *
 * Belief is tracked for scripted clients too (an acquire that completed ok
 * until its release or its validity end), so `overlapping_belief` (a trace
 * record and a metric, not a violation) reports every true instant at
 * which two clients believed they held one key. */
#include "sim/client_lock.h"

#include <assert.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "algorithms/algorithm.h"

enum { K_ACQ = 1, K_REL, K_WRITE, K_HOLD, K_EXPIRE, K_NEXT };
enum { P_IDLE = 0, P_ACQ, P_HOLD, P_WRITE, P_WAIT };
enum { SLOT_HOLD = 0, SLOT_EXPIRE, SLOT_NEXT };   /* client_workload_timer slots */

struct lc {
    int phase;
    int64_t gen;             /* bumped per cycle: stale timers and replies are ignored */
    int round;
    char key[REQ_STR];
    char owner[REQ_STR];
    int pending, grants;
    uint64_t granted;        /* bit i: server first+i granted */
    int64_t token;
    sim_time t_send, valid_until;      /* client local time */
    int believing;
    sim_time since;          /* true time the belief began */
};

struct lstate {
    struct lc *c;            /* [1..n] */
    int n;
    struct lock_figures f;
    int used;
};

static struct lstate *ls(struct sim *s, int create)
{
    void **p = clients_lock_state(s);
    if (!*p && create) {
        *p = calloc(1, sizeof(struct lstate));
        if (!*p)
            abort();
    }
    return *p;
}

static struct lc *lc_of(struct sim *s, int id)
{
    struct lstate *l = ls(s, 1);
    if (id > l->n) {
        int n = id + 8;
        l->c = realloc(l->c, (size_t)(n + 1) * sizeof *l->c);
        if (!l->c)
            abort();
        memset(l->c + l->n + 1, 0, (size_t)(n - l->n) * sizeof *l->c);
        l->n = n;
    }
    return &l->c[id];
}

void client_lock_free(struct sim *s)
{
    struct lstate *l = ls(s, 0);
    if (!l)
        return;
    free(l->c);
    free(l);
    *clients_lock_state(s) = NULL;
}

int client_lock_op(const char *op)
{
    return (op[0] == 'a' && strcmp(op, "acquire") == 0) || (op[0] == 'r' && strcmp(op, "release") == 0);
}

int client_lock_figures(struct sim *s, struct lock_figures *f)
{
    struct lstate *l = s->clients ? ls(s, 0) : NULL;
    if (!l || !l->used)
        return 0;
    *f = l->f;
    return 1;
}

static void layout_of(struct sim *s, struct lock_layout *l)
{
    memset(l, 0, sizeof *l);
    l->count = l->quorum = 1;
    l->storage = -1;         /* no lock service of its own: the cluster itself (a lock machine's register) */
    l->drift_factor = 0.01;
    if (s->alg && s->alg->lock_layout)
        s->alg->lock_layout(&s->cluster, l);
}

static int64_t tag(const struct lc *c, int server, int kind)
{
    return (c->gen << 12) | ((int64_t)server << 4) | kind;
}

/* ------------------------------------------------------------- belief */

static void belief_record(struct sim *s, const char *type, int id, const struct lc *c, const char *why)
{
    if (!sim_wants(s, type, TRACE_STATE))
        return;
    struct record r;
    record_init(&r, type, s->now);
    record_int(&r, "client", id);
    record_str(&r, "key", c->key);
    record_int(&r, "token", c->token);
    if (why)
        record_str(&r, "why", why);
    else
        record_num(&r, "validity_ms", sim_ns_to_ms(c->valid_until - client_local_time(s, id)));
    sim_emit(s, &r, TRACE_STATE);
}

static void belief_begin(struct sim *s, int id, struct lc *c)
{
    struct lstate *l = ls(s, 1);
    l->used = 1;
    l->f.held++;
    c->believing = 1;
    c->since = s->now;
    belief_record(s, "lock_held", id, c, NULL);
    for (int j = 1; j <= l->n; j++) {
        const struct lc *o = &l->c[j];
        if (j == id || !o->believing || strcmp(o->key, c->key) != 0)
            continue;
        l->f.overlaps++;
        if (sim_wants(s, "overlapping_belief", TRACE_STATE)) {
            struct record r;
            record_init(&r, "overlapping_belief", s->now);
            record_str(&r, "key", c->key);
            record_int(&r, "client", id);
            record_int(&r, "token", c->token);
            record_int(&r, "other", j);
            record_int(&r, "other_token", o->token);
            record_num(&r, "other_since_ms", sim_ns_to_ms(o->since));
            sim_emit(s, &r, TRACE_STATE);
        }
    }
}

static void belief_end(struct sim *s, int id, struct lc *c, const char *why)
{
    if (!c->believing)
        return;
    struct lstate *l = ls(s, 1);
    for (int j = 1; j <= l->n; j++) {
        const struct lc *o = &l->c[j];
        if (j != id && o->believing && strcmp(o->key, c->key) == 0)
            l->f.overlap_ms += sim_ns_to_ms(s->now - (o->since > c->since ? o->since : c->since));
    }
    c->believing = 0;
    if (strcmp(why, "expired") == 0)
        l->f.lost++;
    belief_record(s, "lock_dropped", id, c, why);
}

/* ------------------------------------------------------------- the cycle */

static sim_time jitter(struct sim *s, int id, sim_time around)
{
    /* uniform in [around/2, 3 around/2): clients that collided spread out */
    if (around <= 0)
        return 0;
    return around / 2 + (sim_time)(client_random(s, id) % (uint64_t)around);
}

static void wait_then_start(struct sim *s, int id, struct lc *c, sim_time local_delay)
{
    c->phase = P_WAIT;
    client_workload_timer(s, id, SLOT_NEXT, tag(c, 0, K_NEXT), local_delay);
}

static void release_all(struct sim *s, int id, struct lc *c)
{
    struct lock_layout lay;
    layout_of(s, &lay);
    /* Redlock: "the client will try to unlock all the instances (even the
     * instances it believed it was not able to lock)": a grant whose answer
     * was lost holds the key too. One server: only a lease it was granted. */
    for (int i = 0; i < lay.count && i < 64; i++) {
        if (lay.count == 1 && !(c->granted & (UINT64_C(1) << i)))
            continue;
        struct request q;
        memset(&q, 0, sizeof q);
        snprintf(q.op, sizeof q.op, "release");
        memcpy(q.key, c->key, REQ_STR);
        memcpy(q.value, c->owner, REQ_STR);
        q.num = c->token;
        /* nobody waits for a release: a lost one only lets the lease run out */
        client_workload_submit(s, id, &q, lay.first ? lay.first + i : 0, tag(c, i, K_REL));
    }
    c->granted = 0;
}

static void start_round(struct sim *s, int id, struct lc *c)
{
    const struct client_cfg *cfg = client_cfg_of(s, id);
    if (s->now > cfg->stop) {
        c->phase = P_IDLE;
        return;
    }
    struct lock_layout lay;
    layout_of(s, &lay);
    c->gen++;
    c->round++;
    if (cfg->lock.keys <= 1)
        snprintf(c->key, sizeof c->key, "lock");
    else
        snprintf(c->key, sizeof c->key, "lock%d", (int)(client_random(s, id) % (uint64_t)cfg->lock.keys));
    snprintf(c->owner, sizeof c->owner, "c%d.%d", id, c->round);
    c->pending = c->grants = 0;
    c->granted = 0;
    c->token = 0;
    c->phase = P_ACQ;
    c->t_send = client_local_time(s, id);
    for (int i = 0; i < lay.count && i < 64; i++) {
        struct request q;
        memset(&q, 0, sizeof q);
        snprintf(q.op, sizeof q.op, "acquire");
        memcpy(q.key, c->key, REQ_STR);
        memcpy(q.value, c->owner, REQ_STR);
        q.num = (int64_t)sim_ns_to_ms(cfg->lock.ttl);
        if (client_workload_submit(s, id, &q, lay.first ? lay.first + i : 0, tag(c, i, K_ACQ)) == 0)
            c->pending++;
    }
    if (!c->pending)
        wait_then_start(s, id, c, jitter(s, id, cfg->lock.backoff));
}

/* Every server has answered or timed out: Redlock's step 3. */
static void decide(struct sim *s, int id, struct lc *c)
{
    const struct client_cfg *cfg = client_cfg_of(s, id);
    struct lock_layout lay;
    layout_of(s, &lay);
    sim_time now = client_local_time(s, id);
    sim_time ttl = cfg->lock.ttl;
    sim_time drift = (sim_time)(lay.drift_factor * (double)ttl) + SIM_MS(2);
    sim_time validity = ttl - (now - c->t_send) - drift;
    if (c->grants < lay.quorum || validity <= 0) {
        release_all(s, id, c);
        wait_then_start(s, id, c, jitter(s, id, cfg->lock.backoff));
        return;
    }
    c->valid_until = now + validity;
    c->phase = P_HOLD;
    belief_begin(s, id, c);
    sim_time hold = cfg->lock.hold_lo;
    if (cfg->lock.hold_hi > hold)
        hold += (sim_time)(client_random(s, id) % (uint64_t)(cfg->lock.hold_hi - hold + 1));
    client_workload_timer(s, id, SLOT_HOLD, tag(c, 0, K_HOLD), hold);
    client_workload_timer(s, id, SLOT_EXPIRE, tag(c, 0, K_EXPIRE), validity);
}

static void finish(struct sim *s, int id, struct lc *c)
{
    belief_end(s, id, c, "released");
    release_all(s, id, c);
    wait_then_start(s, id, c, client_cfg_of(s, id)->lock.think);
}

static void work_done(struct sim *s, int id, struct lc *c)
{
    struct lock_layout lay;
    layout_of(s, &lay);
    if (client_local_time(s, id) >= c->valid_until) {
        /* the client's own clock says the lease is over: it gives up */
        belief_end(s, id, c, "expired");
        ls(s, 1)->f.abandoned++;
        release_all(s, id, c);
        wait_then_start(s, id, c, jitter(s, id, client_cfg_of(s, id)->lock.backoff));
        return;
    }
    if (!lay.storage) {
        finish(s, id, c);
        return;
    }
    struct request q;
    memset(&q, 0, sizeof q);
    snprintf(q.op, sizeof q.op, "write");
    memcpy(q.key, c->key, REQ_STR);
    memcpy(q.value, c->owner, REQ_STR);
    q.num = c->token;
    c->phase = P_WRITE;
    if (client_workload_submit(s, id, &q, lay.storage > 0 ? lay.storage : 0, tag(c, 0, K_WRITE)) < 0)
        finish(s, id, c);
}

void client_lock_start(struct sim *s, int id)
{
    struct lc *c = lc_of(s, id);
    const struct client_cfg *cfg = client_cfg_of(s, id);
    c->gen++;
    c->believing = 0;
    sim_time delay = cfg->start > s->now ? cfg->start - s->now : 0;
    wait_then_start(s, id, c, delay + jitter(s, id, cfg->lock.backoff));
}

void client_lock_crash(struct sim *s, int id)
{
    struct lc *c = lc_of(s, id);
    belief_end(s, id, c, "crashed");
    c->gen++;
    c->phase = P_IDLE;
}

void client_lock_timer(struct sim *s, int id, int64_t t)
{
    struct lc *c = lc_of(s, id);
    int kind = (int)(t & 15);
    if ((t >> 12) != c->gen)
        return;
    switch (kind) {
    case K_NEXT:
        if (c->phase == P_WAIT)
            start_round(s, id, c);
        break;
    case K_HOLD:
        if (c->phase == P_HOLD)
            work_done(s, id, c);
        break;
    case K_EXPIRE:
        if (!c->believing)
            break;
        belief_end(s, id, c, "expired");
        if (c->phase == P_HOLD) {
            ls(s, 1)->f.abandoned++;
            release_all(s, id, c);
            wait_then_start(s, id, c, jitter(s, id, client_cfg_of(s, id)->lock.backoff));
        }
        break;
    }
}

/* A scripted acquire or release (cl:submit): belief only. */
static void scripted(struct sim *s, int id, const struct request *q, sim_time invoked_local, const char *status,
                     const struct result *res)
{
    struct lc *c = lc_of(s, id);
    if (strcmp(status, "ok") != 0)
        return;
    if (strcmp(q->op, "release") == 0) {
        if (c->believing && strcmp(c->key, q->key) == 0)
            belief_end(s, id, c, "released");
        return;
    }
    struct lock_layout lay;
    layout_of(s, &lay);
    sim_time ttl = q->num > 0 ? SIM_MS(q->num) : client_cfg_of(s, id)->lock.ttl;
    belief_end(s, id, c, "released");
    c->gen++;
    memcpy(c->key, q->key, REQ_STR);
    c->token = res ? res->num : 0;
    c->valid_until = invoked_local + ttl - (sim_time)(lay.drift_factor * (double)ttl) - SIM_MS(2);
    belief_begin(s, id, c);
    sim_time left = c->valid_until - client_local_time(s, id);
    client_workload_timer(s, id, SLOT_EXPIRE, tag(c, 0, K_EXPIRE), left > 0 ? left : 0);
}

void client_lock_complete(struct sim *s, int id, const struct request *q, sim_time invoked_local,
                          const char *status, const struct result *res, int64_t t)
{
    if (!client_up(s, id))
        return;              /* completing because it crashed */
    if (t < 0) {
        scripted(s, id, q, invoked_local, status, res);
        return;
    }
    struct lc *c = lc_of(s, id);
    int kind = (int)(t & 15), server = (int)((t >> 4) & 255);
    if ((t >> 12) != c->gen)
        return;
    if (kind == K_ACQ && c->phase == P_ACQ) {
        if (strcmp(status, "ok") == 0 && res) {
            c->grants++;
            c->granted |= UINT64_C(1) << server;
            if (res->num > c->token)
                c->token = res->num;
        }
        if (--c->pending == 0)
            decide(s, id, c);
    } else if (kind == K_WRITE && c->phase == P_WRITE) {
        finish(s, id, c);
    }
}
