/* A sharded key-value store on consistent hashing.
 *
 * Every node is a server that holds the values of the keys placed on it by
 * one of the six schemes of algorithms/hash_place.c (config.scheme). The
 * placement is a pure function of the membership, so every node and every
 * client library derives the same table; it is kept once per cluster in the
 * shared configuration (node_shared) as the current and the previous view.
 *
 * Routing (config.router):
 *   client  the client library places each request (algorithm.route) and
 *           sends it to the key's first replica; after a timeout, the next.
 *   proxy   the client talks to any server, which forwards a key it does not
 *           own to the key's primary (a Forward message); the owner answers
 *           the client directly.
 * A server that receives a key it does not own answers `redirect` naming
 * the owner it knows.
 *
 * Membership (c:add_node, c:remove_node, through on_membership): the view
 * is recomputed and keys migrate as Migrate messages of up to `batch` keys,
 * one every `migrate_gap` ms (a leaving server hands everything off at
 * once). For `settle` ms after a change, a server that misses a key it has
 * just gained asks the previous owner (a redirect); the previous owner
 * answers from its copy while it still holds it (or that the key is
 * missing, if it never held it), and redirects back once the key is on its
 * way; if the previous owner has left, the read fails ("key may be in
 * transit"). A migrated value never overwrites a newer write. With R > 1
 * the first old replica still present sends each key to the new replicas
 * that lack it (a leaving server too), and a server drops the copies it no
 * longer replicates once its queue is empty. Clients learn the new
 * placement at once (as from a configuration service): the misrouting
 * comes from data still in flight, not from stale client tables. Proxy
 * routing forwards to the primary only, so it does not fail over to
 * replicas; client routing does.
 *
 * Replicas (config.replicas = R): each key on R distinct servers (ring
 * successors; the next R choices for the other schemes). Writes are
 * primary-copy: the server that accepts a write applies it and sends
 * Replicate to the other R - 1, with no acknowledgement. This is a teaching
 * device for placement, not a consensus protocol: a read served by a
 * replica may be stale, and the metrics count how often (an omniscient
 * comparison with the primary's copy) and how long replication lags.
 *
 * Volatile state only: a crashed server restarts empty (its keys survive on
 * the other replicas when R > 1). A server's store grows (amortised
 * doubling) when it first sees a key; nothing else allocates per event.
 *
 * bounded_load in a store: the capacity bounds the keys of a known universe
 * ("k0".."k<keys-1>", placed in index order when a view is built, as the
 * paper's static assignment); a key outside it goes to its ring successor.
 */
#include <assert.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "algorithms/algorithm.h"
#include "algorithms/hash_place.h"
#include "algorithms/kv.h"

enum { MSG_MIGRATE = 0, MSG_FORWARD = 1, MSG_REPLICATE = 2 };
enum { T_MIGRATE = 0, T_REPORT = 1 };
enum { ROUTER_CLIENT = 0, ROUTER_PROXY = 1 };

#define HR_MAX_BATCH 256

struct hr_params {
    struct hash_opts o;
    int router;
    int batch;
    sim_time migrate_gap, settle, report;
    int64_t universe;        /* bounded_load: keys "k0".."k<universe-1>" placed in order */
};

struct view {
    uint64_t epoch;
    int *ids;                /* members, ascending */
    int n;
    struct hash_place p;
    int32_t *bounded;        /* bounded_load: slot of key i of the universe */
};

struct hr_shared {
    int built;
    struct view cur, prev;
};

struct entry { char key[REQ_STR]; char value[REQ_STR]; };
struct migrate { uint64_t epoch; int32_t count; struct entry e[HR_MAX_BATCH]; };
struct replicate { sim_time written_at; struct entry e; };   /* true time, for the lag metric */
struct mig { uint32_t slot; int dst; int drop; };

struct hr_state {
    struct kv_table keys;
    char (*values)[REQ_STR];
    unsigned char *present, *moved;
    size_t cap;
    int64_t nkeys;           /* present */
    uint64_t epoch;
    sim_time changed_at;     /* local time of the last membership change, -1: none */
    struct mig *q;
    size_t qhead, qlen, qcap;
    uint64_t served, redirected, forwarded;
};

struct change {
    sim_time t;
    int id, joined, n_before, n_after;
    int64_t keys, moved;
};

struct hr_ghost {
    struct kv_table all;     /* every key ever written, for the moved fraction */
    struct change *changes;
    int nchanges, capchanges;
    uint64_t migrate_msgs, migrate_bytes, migrate_keys, migrate_skipped;
    uint64_t redirects, redirects_in_change, failed_in_change, forwards, requests, not_owner_reads;
    uint64_t lookups, probes;
    uint64_t replicate_msgs, replicate_ignored, stale_reads, replica_reads;
    double lag_sum_ms, lag_max_ms;
    uint64_t lag_n;
};

static const char *const router_names[] = { "client", "proxy", NULL };

static const struct hr_params *prm(const struct node *n) { return node_params(n); }
static struct hr_state *st(struct node *n) { return node_state(n); }

/* ---------------------------------------------------------------- options */

static int hr_configure(struct config *c, void *params, struct error *err)
{
    struct hr_params *p = params;
    hash_opts_default(&p->o);
    int64_t vnodes, table, replicas, batch, universe;
    if (config_choice(c, "scheme", hash_scheme_names, HASH_RING, &p->o.scheme, err) ||
        config_int(c, "vnodes", 100, 1, HASH_MAX_VNODES, &vnodes, err) ||
        config_int(c, "table_size", 65537, 2, HASH_MAX_TABLE, &table, err) ||
        config_double(c, "capacity", 1.25, 1, 1000, &p->o.capacity, err) ||
        config_int(c, "replicas", 1, 1, 16, &replicas, err) ||
        config_choice(c, "router", router_names, ROUTER_CLIENT, &p->router, err) ||
        config_int(c, "batch", 64, 1, HR_MAX_BATCH, &batch, err) ||
        config_ms(c, "migrate_gap", 1, 0, 1e9, &p->migrate_gap, err) ||
        config_ms(c, "settle", 1000, 0, 1e12, &p->settle, err) ||
        config_ms(c, "report", 0, 0, 1e12, &p->report, err) ||
        config_int(c, "keys", 10000, 1, 10000000, &universe, err))
        return -1;
    p->o.vnodes = (int)vnodes;
    p->o.table_size = table;
    p->o.replicas = (int)replicas;
    p->batch = (int)batch;
    p->universe = universe;
    /* The ranges above are what `clustersim options` shows; the rest
     * (a prime table_size, capacity > 1, replicas <= servers) are the same
     * checks, with the same messages, as sim.hash's. */
    if (hash_opts_check(&p->o, config_nodes(c), err)) {
        char m[sizeof err->msg];
        snprintf(m, sizeof m, "%s", err->msg);
        snprintf(err->msg, sizeof err->msg, "hashring: %.480s", m);
        return -1;
    }
    return 0;
}

/* ------------------------------------------------------------------ views */

static void view_free(struct view *v)
{
    free(v->ids);
    free(v->bounded);
    if (v->n)
        hash_place_free(&v->p);
    memset(v, 0, sizeof *v);
}

/* The universe index of "k<i>", or -1. */
static int64_t universe_index(const struct hr_params *p, const char *key)
{
    if (key[0] != 'k' || !key[1])
        return -1;
    int64_t i = 0;
    for (const char *c = key + 1; *c; c++) {
        if (*c < '0' || *c > '9' || i > p->universe || (c == key + 1 && *c == '0' && c[1]))
            return -1;
        i = i * 10 + (*c - '0');
    }
    return i < p->universe ? i : -1;
}

static void view_build(const struct hr_params *p, struct view *v, const int *ids, int n, uint64_t epoch)
{
    struct error err;
    struct hash_opts o = p->o;
    if (o.replicas > n)
        o.replicas = n;
    if (o.scheme == HASH_MAGLEV && o.table_size < n)
        o.table_size = hash_prime_above(n);      /* grown past the table: keep a valid M */
    if ((int64_t)o.vnodes * n > HASH_MAX_POINTS)
        o.vnodes = HASH_MAX_POINTS / n;          /* grown past the ring's limit: fewer points each */
    memset(v, 0, sizeof *v);
    v->epoch = epoch;
    v->n = n;
    v->ids = malloc((size_t)(n ? n : 1) * sizeof *v->ids);
    if (!v->ids)
        abort();
    memcpy(v->ids, ids, (size_t)n * sizeof *ids);
    if (n == 0)
        return;
    if (hash_place_build(&v->p, &o, ids, n, &err))
        abort();   /* options were checked in configure */
    if (o.scheme == HASH_BOUNDED) {
        /* Mirrokni et al.: the universe's keys placed in order, capacity ceil(c m / n) */
        v->bounded = malloc((size_t)p->universe * sizeof *v->bounded);
        if (!v->bounded)
            abort();
        hash_bounded_begin(&v->p, p->universe);
        char buf[32];
        for (int64_t i = 0; i < p->universe; i++) {
            int len = snprintf(buf, sizeof buf, "k%lld", (long long)i);
            v->bounded[i] = hash_bounded_add(&v->p, hash_key(buf, (size_t)len), NULL);
        }
    }
}

/* The key's replicas under v, first choice first, as node ids; returns R. */
static int view_place(const struct hr_params *p, const struct view *v, const char *key, int *out, int *probes)
{
    if (v->n == 0)
        return 0;
    int r = p->o.replicas < v->n ? p->o.replicas : v->n;
    uint64_t h = hash_key(key, strlen(key));
    int slots[16];
    int64_t ui = v->bounded ? universe_index(p, key) : -1;
    if (ui >= 0) {
        /* bounded_load's primary, then ring successors other than it */
        slots[0] = v->bounded[ui];
        int ring[17];
        int k = 1, got = hash_place_replicas(&v->p, h, r < v->n ? r + 1 : r, ring);
        for (int i = 0; i < got && k < r; i++)
            if (ring[i] != slots[0])
                slots[k++] = ring[i];
        if (probes)
            *probes = 1;
    } else {
        if (r == 1)
            slots[0] = hash_place_lookup(&v->p, h, probes);
        else {
            hash_place_lookup(&v->p, h, probes);
            hash_place_replicas(&v->p, h, r, slots);
        }
    }
    for (int i = 0; i < r; i++)
        out[i] = v->ids[slots[i]];
    return r;
}

static int in_set(const int *s, int n, int id)
{
    for (int i = 0; i < n; i++)
        if (s[i] == id)
            return 1;
    return 0;
}

static int view_has(const struct view *v, int id)
{
    int lo = 0, hi = v->n;
    while (lo < hi) {
        int mid = (lo + hi) / 2;
        if (v->ids[mid] == id)
            return 1;
        if (v->ids[mid] < id)
            lo = mid + 1;
        else
            hi = mid;
    }
    return 0;
}

/* The shared view as of now: built from the configuration on first use. */
static struct hr_shared *views(struct node *n)
{
    struct hr_shared *sh = node_shared(n);
    if (!sh->built) {
        int count = node_count(n), k = 0;
        int *ids = malloc((size_t)count * sizeof *ids);
        if (!ids)
            abort();
        for (int i = 1; i <= count; i++)
            if (node_is_member(n, i))
                ids[k++] = i;
        view_build(prm(n), &sh->cur, ids, k, 1);
        free(ids);
        sh->built = 1;
    }
    return sh;
}

static void hr_shared_free(void *p)
{
    struct hr_shared *sh = p;
    view_free(&sh->cur);
    view_free(&sh->prev);
}

/* ------------------------------------------------------------- the store */

static size_t slot_of(struct hr_state *s, const char *key)
{
    size_t slot = kv_table_add(&s->keys, key);
    if (s->keys.len > s->cap) {
        size_t cap = s->keys.cap;
        s->values = realloc(s->values, cap * sizeof *s->values);
        s->present = realloc(s->present, cap);
        s->moved = realloc(s->moved, cap);
        if (!s->values || !s->present || !s->moved)
            abort();
        memset(s->present + s->cap, 0, cap - s->cap);
        memset(s->moved + s->cap, 0, cap - s->cap);
        s->cap = cap;
    }
    return slot;
}

static void store_value(struct hr_state *s, const char *key, const char *value)
{
    size_t slot = slot_of(s, key);
    snprintf(s->values[slot], REQ_STR, "%s", value);
    if (!s->present[slot])
        s->nkeys++;
    s->present[slot] = 1;
    s->moved[slot] = 0;
}

static void drop_value(struct hr_state *s, size_t slot)
{
    if (s->present[slot])
        s->nkeys--;
    s->present[slot] = 0;
    s->moved[slot] = 1;
}

static void hr_free(struct node *n)
{
    struct hr_state *s = st(n);
    kv_table_free(&s->keys);
    free(s->values);
    free(s->present);
    free(s->moved);
    free(s->q);
}

static void report_load(struct node *n)
{
    struct hr_state *s = st(n);
    struct record *r = node_note_begin(n, "load", 1);
    record_num(r, "value", (double)s->nkeys);
    record_int(r, "requests", (int64_t)s->served);
    node_note_end(n, r);
}

static void hr_start(struct node *n)
{
    struct hr_state *s = st(n);
    kv_table_init(&s->keys);
    s->changed_at = -1;
    s->epoch = views(n)->cur.epoch;
    if (prm(n)->report > 0)
        node_timer(n, T_REPORT, prm(n)->report);
}

/* ------------------------------------------------------------- requests */

static void answer(struct node *n, const struct request *req, enum result_status status, int leader,
                   const char *why)
{
    struct result res;
    memset(&res, 0, sizeof res);
    res.status = status;
    res.leader = leader;
    snprintf(res.error, sizeof res.error, "%s", why);
    node_reply(n, req, &res);
}

static void replicate(struct node *n, const int *set, int r, const struct request *req)
{
    struct hr_ghost *g = node_ghost(n);
    struct replicate m;
    memset(&m, 0, sizeof m);
    m.written_at = cluster_true_now(node_checker_view(n));   /* for the lag metric only */
    snprintf(m.e.key, sizeof m.e.key, "%s", req->key);
    snprintf(m.e.value, sizeof m.e.value, "%s", req->value);
    for (int i = 0; i < r; i++)
        if (set[i] != node_id(n)) {
            node_send(n, set[i], MSG_REPLICATE, &m, sizeof m);
            g->replicate_msgs++;
        }
}

/* Omniscient, for the staleness metric only: does the primary hold another value? */
static void note_replica_read(struct node *n, int primary, const char *key, const char *value, int found)
{
    struct hr_ghost *g = node_ghost(n);
    g->replica_reads++;
    const struct hr_state *ps = cluster_node_state(node_checker_view(n), primary);
    if (!ps)
        return;
    long slot = kv_table_find(&ps->keys, key);
    int pfound = slot >= 0 && ps->present[slot];
    if (pfound != found || (found && strcmp(ps->values[slot], value) != 0))
        g->stale_reads++;
}

static void handle(struct node *n, const struct request *req, int forwarded)
{
    struct hr_state *s = st(n);
    const struct hr_params *p = prm(n);
    struct hr_ghost *g = node_ghost(n);
    struct hr_shared *sh = views(n);
    int is_get = strcmp(req->op, "get") == 0, is_put = strcmp(req->op, "put") == 0;
    if (!is_get && !is_put && strcmp(req->op, "cas") != 0) {
        answer(n, req, RESULT_FAIL, 0, "unknown op");
        return;
    }
    g->requests++;
    int set[16], probes = 0, me = node_id(n);
    int r = view_place(p, &sh->cur, req->key, set, &probes);
    g->lookups++;
    g->probes += (uint64_t)probes;
    int in_change = s->changed_at >= 0 && node_now(n) - s->changed_at < p->settle;
    long slot = kv_table_find(&s->keys, req->key);
    int here = slot >= 0 && s->present[slot];
    if (r == 0 || !in_set(set, r, me)) {
        /* Not mine. A read of a key still held from before a change is
         * served from that copy: the new owner sends a read here only
         * while it lacks the key, so no newer write exists. A read that
         * comes here straight (sent before the change) may be stale: it
         * is compared with the owner's copy like a replica read. */
        if (is_get && here && in_change) {
            struct result res;
            memset(&res, 0, sizeof res);
            res.status = RESULT_OK;
            res.found = 1;
            memcpy(res.value, s->values[slot], REQ_STR);
            s->served++;
            g->not_owner_reads++;
            if (r > 0)
                note_replica_read(n, set[0], req->key, res.value, 1);
            node_reply(n, req, &res);
            return;
        }
        /* The previous owner of a key it never held (as of the change)
         * knows it is missing: answering ends the new owner's "moving"
         * redirect instead of bouncing the client back. */
        if (is_get && !here && in_change && !(slot >= 0 && s->moved[slot]) && sh->prev.n > 0) {
            int old[16];
            int ro = view_place(p, &sh->prev, req->key, old, NULL);
            if (ro > 0 && old[0] == me) {
                struct result res;
                memset(&res, 0, sizeof res);
                res.status = RESULT_OK;
                s->served++;
                g->not_owner_reads++;
                node_reply(n, req, &res);
                return;
            }
        }
        if (p->router == ROUTER_PROXY && !forwarded && r > 0) {
            s->forwarded++;
            g->forwards++;
            node_send(n, set[0], MSG_FORWARD, req, sizeof *req);
            return;
        }
        s->redirected++;
        g->redirects++;
        g->redirects_in_change += (uint64_t)in_change;
        answer(n, req, RESULT_REDIRECT, r > 0 ? set[0] : 0, "not owner");
        return;
    }
    /* Mine, but just gained and not here yet: the previous owner may still hold it. */
    if (is_get && !here && in_change && sh->prev.n > 0 && !(slot >= 0 && s->moved[slot])) {
        int old[16];
        int ro = view_place(p, &sh->prev, req->key, old, NULL);
        if (ro > 0 && !in_set(old, ro, me) && view_has(&sh->cur, old[0])) {
            s->redirected++;
            g->redirects++;
            g->redirects_in_change++;
            answer(n, req, RESULT_REDIRECT, old[0], "moving");
            return;
        }
        if (ro > 0 && !in_set(old, ro, me)) {
            /* The previous owner has left: its hand-off may still be in
             * flight, and a miss cannot be told from a missing key. */
            g->failed_in_change++;
            answer(n, req, RESULT_FAIL, 0, "key may be in transit");
            return;
        }
    }
    struct result res;
    memset(&res, 0, sizeof res);
    res.status = RESULT_OK;
    if (is_get) {
        res.found = here;
        if (here)
            memcpy(res.value, s->values[slot], REQ_STR);
        if (set[0] != me)
            note_replica_read(n, set[0], req->key, res.value, res.found);
    } else {
        if (!is_put && (!here || strncmp(s->values[slot], req->expect, REQ_STR) != 0)) {
            answer(n, req, RESULT_FAIL, 0, "cas mismatch");
            return;
        }
        store_value(s, req->key, req->value);
        kv_table_add(&g->all, req->key);
        replicate(n, set, r, req);
    }
    s->served++;
    node_reply(n, req, &res);
}

static void hr_on_request(struct node *n, const struct request *req) { handle(n, req, 0); }

/* ------------------------------------------------------------ migration */

static void enqueue(struct hr_state *s, uint32_t slot, int dst, int drop)
{
    if (s->qhead + s->qlen == s->qcap) {
        if (s->qhead > 0) {
            memmove(s->q, s->q + s->qhead, s->qlen * sizeof *s->q);
            s->qhead = 0;
        } else {
            s->qcap = s->qcap ? 2 * s->qcap : 64;
            s->q = realloc(s->q, s->qcap * sizeof *s->q);
            if (!s->q)
                abort();
        }
    }
    s->q[s->qhead + s->qlen++] = (struct mig){ slot, dst, drop };
}

/* One Migrate message: up to `batch` queued keys that go to the same
 * server as the first in the queue. */
static void send_batch(struct node *n)
{
    struct hr_state *s = st(n);
    const struct hr_params *p = prm(n);
    struct hr_ghost *g = node_ghost(n);
    struct migrate m;            /* 24 KB at most, filled and sent at once */
    m.epoch = s->epoch;
    m.count = 0;
    int dst = s->q[s->qhead].dst;
    size_t keep = 0;
    for (size_t i = 0; i < s->qlen; i++) {
        struct mig *e = &s->q[s->qhead + i];
        if (e->dst != dst || m.count == p->batch) {
            s->q[s->qhead + keep++] = *e;    /* stays queued, order kept */
            continue;
        }
        if (!s->present[e->slot])
            continue;                        /* dropped since it was queued */
        memcpy(m.e[m.count].key, s->keys.keys[e->slot], REQ_STR);
        memcpy(m.e[m.count].value, s->values[e->slot], REQ_STR);
        m.count++;
        if (e->drop)
            drop_value(s, e->slot);
    }
    s->qlen = keep;
    if (m.count == 0)
        return;
    size_t len = offsetof(struct migrate, e) + (size_t)m.count * sizeof m.e[0];
    node_send(n, dst, MSG_MIGRATE, &m, len);
    g->migrate_msgs++;
    g->migrate_bytes += len;
    g->migrate_keys += (uint64_t)m.count;
}

/* With R > 1 a sender keeps its copies until everything queued has left
 * (a key may go to several new replicas, in batches per destination);
 * then it drops the keys it no longer replicates. */
static void migration_done(struct node *n)
{
    struct hr_state *s = st(n);
    const struct hr_params *p = prm(n);
    if (p->o.replicas > 1) {
        struct hr_shared *sh = views(n);
        for (size_t slot = 0; slot < s->keys.len; slot++) {
            int cur[16];
            if (s->present[slot] && !in_set(cur, view_place(p, &sh->cur, s->keys.keys[slot], cur, NULL), node_id(n)))
                drop_value(s, slot);
        }
    }
    report_load(n);
}

static void migrate_tick(struct node *n)
{
    struct hr_state *s = st(n);
    if (s->qlen > 0)
        send_batch(n);
    if (s->qlen > 0)
        node_timer(n, T_MIGRATE, prm(n)->migrate_gap);
    else
        migration_done(n);
}

/* Ghost: the fraction of written keys whose primary changed. */
static void record_change(struct node *n, const struct hr_shared *sh, int id, int joined)
{
    struct hr_ghost *g = node_ghost(n);
    const struct hr_params *p = prm(n);
    if (g->nchanges == g->capchanges) {
        g->capchanges = g->capchanges ? 2 * g->capchanges : 8;
        g->changes = realloc(g->changes, (size_t)g->capchanges * sizeof *g->changes);
        if (!g->changes)
            abort();
    }
    struct change *c = &g->changes[g->nchanges++];
    memset(c, 0, sizeof *c);
    c->t = cluster_true_now(node_checker_view(n));
    c->id = id;
    c->joined = joined;
    c->n_before = sh->prev.n;
    c->n_after = sh->cur.n;
    for (size_t i = 0; i < g->all.len; i++) {
        int a[16], b[16];
        int ra = view_place(p, &sh->prev, g->all.keys[i], a, NULL);
        int rb = view_place(p, &sh->cur, g->all.keys[i], b, NULL);
        c->keys++;
        c->moved += ra == 0 || rb == 0 || a[0] != b[0];
    }
    struct record *r = node_note_begin(n, "rebalance", 1);
    record_str(r, "scheme", hash_scheme_names[p->o.scheme]);
    record_str(r, "change", joined ? "add" : "remove");
    record_int(r, "server", id);
    record_int(r, "servers", sh->cur.n);
    record_int(r, "keys", c->keys);
    record_int(r, "moved", c->moved);
    record_num(r, "moved_fraction", c->keys ? (double)c->moved / (double)c->keys : 0);
    record_num(r, "ideal_fraction", joined ? 1.0 / sh->cur.n : (sh->prev.n ? 1.0 / sh->prev.n : 0));
    node_note_end(n, r);
}

static void hr_on_membership(struct node *n, int id, int joined)
{
    struct hr_state *s = st(n);
    const struct hr_params *p = prm(n);
    struct hr_shared *sh = views(n);
    int me = node_id(n);
    /* The first node told of this change derives the new view for all. */
    if (view_has(&sh->cur, id) != joined) {
        int *ids = malloc((size_t)(sh->cur.n + 1) * sizeof *ids);
        if (!ids)
            abort();
        int k = 0;
        for (int i = 0; i < sh->cur.n; i++) {
            if (joined && id < sh->cur.ids[i] && (k == 0 || ids[k - 1] < id))
                ids[k++] = id;
            if (sh->cur.ids[i] != id)
                ids[k++] = sh->cur.ids[i];
        }
        if (joined && (k == 0 || ids[k - 1] < id))
            ids[k++] = id;
        view_free(&sh->prev);
        sh->prev = sh->cur;
        view_build(p, &sh->cur, ids, k, sh->prev.epoch + 1);
        free(ids);
        record_change(n, sh, id, joined);
    }
    s->epoch = sh->cur.epoch;
    s->changed_at = node_now(n);
    int leaving = !joined && id == me;
    int r = p->o.replicas;
    for (size_t slot = 0; slot < s->keys.len; slot++) {
        if (!s->present[slot])
            continue;
        const char *key = s->keys.keys[slot];
        int old[16], cur[16];
        int ro = view_place(p, &sh->prev, key, old, NULL);
        int rc = view_place(p, &sh->cur, key, cur, NULL);
        int keep = in_set(cur, rc, me);
        if (r == 1) {
            if (!keep && rc > 0)
                enqueue(s, (uint32_t)slot, cur[0], 1);
            continue;
        }
        /* R > 1: the first old replica still in the configuration sends
         * the key to each new replica that lacks it. A leaving node sends
         * too: a write it accepted may not have reached the others yet
         * (replication is asynchronous); a receiver that has the key
         * already skips the copy. */
        int sender = 0;
        for (int i = 0; i < ro && !sender; i++)
            if (view_has(&sh->cur, old[i]))
                sender = old[i];
        if (sender == me || leaving)
            for (int i = 0; i < rc; i++)
                if (cur[i] != me && !in_set(old, ro, cur[i]))
                    enqueue(s, (uint32_t)slot, cur[i], 0);
        if (!keep && sender != me && !leaving)
            drop_value(s, slot);
    }
    if (leaving) {
        while (s->qlen > 0)      /* no timers after this: hand everything off now */
            send_batch(n);
        return;
    }
    if (s->qlen > 0)
        node_timer(n, T_MIGRATE, 0);
    else
        migration_done(n);
}

static void hr_on_message(struct node *n, const struct message *msg)
{
    struct hr_state *s = st(n);
    struct hr_ghost *g = node_ghost(n);
    switch (msg->type) {
    case MSG_MIGRATE: {
        struct migrate m;
        size_t len = msg->len < sizeof m ? msg->len : sizeof m;
        memcpy(&m, msg->payload, len);
        for (int i = 0; i < m.count; i++) {
            m.e[i].key[REQ_STR - 1] = m.e[i].value[REQ_STR - 1] = 0;
            long slot = kv_table_find(&s->keys, m.e[i].key);
            if (slot >= 0 && s->present[slot]) {
                g->migrate_skipped++;    /* written here since the change: newer */
                continue;
            }
            store_value(s, m.e[i].key, m.e[i].value);
        }
        break;
    }
    case MSG_FORWARD: {
        struct request req;
        memcpy(&req, msg->payload, sizeof req);
        handle(n, &req, 1);
        break;
    }
    case MSG_REPLICATE: {
        struct replicate m;
        memcpy(&m, msg->payload, sizeof m);
        m.e.key[REQ_STR - 1] = m.e.value[REQ_STR - 1] = 0;
        /* Sent under an older view to a server that no longer replicates
         * the key: the sender's own hand-off carries the value already. */
        int set[16];
        int r = view_place(prm(n), &views(n)->cur, m.e.key, set, NULL);
        if (!in_set(set, r, node_id(n))) {
            g->replicate_ignored++;
            break;
        }
        store_value(s, m.e.key, m.e.value);
        double lag = sim_ns_to_ms(cluster_true_now(node_checker_view(n)) - m.written_at);
        g->lag_sum_ms += lag;
        g->lag_n++;
        if (lag > g->lag_max_ms)
            g->lag_max_ms = lag;
        break;
    }
    default:
        break;
    }
}

static void hr_on_timer(struct node *n, int id)
{
    if (id == T_MIGRATE) {
        migrate_tick(n);
    } else {
        report_load(n);
        node_timer(n, T_REPORT, prm(n)->report);
    }
}

/* ------------------------------------------------------- client routing */

static int hr_route(const struct cluster *c, const struct request *req, int attempt)
{
    const struct hr_params *p = cluster_params(c);
    const struct hr_shared *sh = cluster_shared(c);
    if (p->router != ROUTER_CLIENT || !sh->built || sh->cur.n == 0)
        return 0;
    int set[16];
    int r = view_place(p, &sh->cur, req->key, set, NULL);
    return r > 0 ? set[attempt % r] : 0;
}

/* ------------------------------------------------------------ reporting */

static void hr_inspect(const struct node *n, struct inspector *in)
{
    const struct hr_state *s = node_state_const(n);
    inspect_str(in, "role", "server");
    inspect_int(in, "keys", s->nkeys);
    inspect_int(in, "served", (int64_t)s->served);
    inspect_int(in, "redirected", (int64_t)s->redirected);
    inspect_int(in, "forwarded", (int64_t)s->forwarded);
    inspect_int(in, "epoch", (int64_t)s->epoch);
    inspect_int(in, "migrating", (int64_t)s->qlen);
}

static void hr_describe(int type, const void *payload, size_t len, struct record *args)
{
    if (type == MSG_MIGRATE && len >= offsetof(struct migrate, e)) {
        struct migrate head;
        memcpy(&head, payload, offsetof(struct migrate, e));
        record_int(args, "keys", head.count);
        record_int(args, "bytes", (int64_t)len);
        record_int(args, "epoch", (int64_t)head.epoch);
    } else if (type == MSG_FORWARD && len >= sizeof(struct request)) {
        struct request r;
        memcpy(&r, payload, sizeof r);
        record_str(args, "op", r.op);
        record_str(args, "key", r.key);
    } else if (type == MSG_REPLICATE && len >= sizeof(struct replicate)) {
        struct replicate r;
        memcpy(&r, payload, sizeof r);
        r.e.key[REQ_STR - 1] = 0;
        record_str(args, "key", r.e.key);
    }
}

static void hr_ghost_init(void *ghost, const void *params, int nodes)
{
    (void)params;
    (void)nodes;
    struct hr_ghost *g = ghost;
    kv_table_init(&g->all);
}

static void hr_ghost_free(void *ghost)
{
    struct hr_ghost *g = ghost;
    kv_table_free(&g->all);
    free(g->changes);
}

static void spread(const struct cluster *c, struct inspector *in, const char *what, int requests)
{
    int n = cluster_size(c), k = 0;
    double sum = 0, ss = 0, max = 0;
    for (int i = 1; i <= n; i++) {
        const struct hr_state *s = cluster_node_state(c, i);
        if (!s)
            continue;
        double v = requests ? (double)s->served : (double)s->nkeys;
        sum += v;
        ss += v * v;
        if (v > max)
            max = v;
        k++;
    }
    char name[64];
    double mean = k ? sum / k : 0;
    double sd = k ? sqrt(fmax(0, ss / k - mean * mean)) : 0;
    snprintf(name, sizeof name, "%s_total", what);
    inspect_num(in, name, sum);
    snprintf(name, sizeof name, "%s_max", what);
    inspect_num(in, name, max);
    snprintf(name, sizeof name, "%s_mean", what);
    inspect_num(in, name, mean);
    snprintf(name, sizeof name, "%s_max_over_mean", what);
    inspect_num(in, name, mean > 0 ? max / mean : 0);
    snprintf(name, sizeof name, "%s_rsd", what);
    inspect_num(in, name, mean > 0 ? sd / mean : 0);
    snprintf(name, sizeof name, "%s_hottest_share", what);
    inspect_num(in, name, sum > 0 ? max / sum : 0);
}

static void hr_metrics(const struct cluster *c, struct inspector *in)
{
    const struct hr_ghost *g = cluster_ghost(c);
    const struct hr_params *p = cluster_params(c);
    const struct hr_shared *sh = cluster_shared(c);
    inspect_str(in, "scheme", hash_scheme_names[p->o.scheme]);
    inspect_int(in, "servers", sh->built ? sh->cur.n : 0);
    spread(c, in, "keys", 0);
    spread(c, in, "requests", 1);
    inspect_int(in, "keys_written", (int64_t)g->all.len);
    inspect_int(in, "requests", (int64_t)g->requests);
    inspect_int(in, "redirects", (int64_t)g->redirects);
    inspect_int(in, "redirects_during_change", (int64_t)g->redirects_in_change);
    inspect_int(in, "failed_during_change", (int64_t)g->failed_in_change);
    inspect_int(in, "forwards", (int64_t)g->forwards);
    inspect_int(in, "old_owner_reads", (int64_t)g->not_owner_reads);
    inspect_int(in, "migration_messages", (int64_t)g->migrate_msgs);
    inspect_int(in, "migration_bytes", (int64_t)g->migrate_bytes);
    inspect_int(in, "migration_keys", (int64_t)g->migrate_keys);
    inspect_int(in, "migration_skipped_newer", (int64_t)g->migrate_skipped);
    inspect_int(in, "changes", g->nchanges);
    if (g->nchanges) {
        const struct change *ch = &g->changes[g->nchanges - 1];
        inspect_int(in, "last_change_keys", ch->keys);
        inspect_int(in, "last_change_moved", ch->moved);
        inspect_num(in, "last_change_moved_fraction", ch->keys ? (double)ch->moved / (double)ch->keys : 0);
        inspect_num(in, "last_change_ideal_fraction",
                    ch->joined ? 1.0 / ch->n_after : (ch->n_before ? 1.0 / ch->n_before : 0));
    }
    inspect_num(in, "probes_per_lookup", g->lookups ? (double)g->probes / (double)g->lookups : 0);
    if (p->o.scheme == HASH_MAGLEV)
        inspect_int(in, "table_size", sh->built ? sh->cur.p.o.table_size : p->o.table_size);
    if (p->o.scheme == HASH_RING || p->o.scheme == HASH_BOUNDED)
        inspect_int(in, "ring_points", sh->built ? (int64_t)sh->cur.p.npoints : 0);
    inspect_int(in, "replicate_messages", (int64_t)g->replicate_msgs);
    inspect_int(in, "replicate_ignored", (int64_t)g->replicate_ignored);
    inspect_int(in, "replica_reads", (int64_t)g->replica_reads);
    inspect_int(in, "stale_reads", (int64_t)g->stale_reads);
    inspect_num(in, "replication_lag_mean_ms", g->lag_n ? g->lag_sum_ms / (double)g->lag_n : 0);
    inspect_num(in, "replication_lag_max_ms", g->lag_max_ms);
}

static const char *const hr_msg_names[] = { "Migrate", "Forward", "Replicate" };

const struct algorithm hashring_algorithm = {
    .name = "hashring",
    .summary = "a sharded key-value store on consistent hashing (modulo, ring, jump, rendezvous, maglev, bounded_load)",
    .state_size = sizeof(struct hr_state),
    .params_size = sizeof(struct hr_params),
    .ghost_size = sizeof(struct hr_ghost),
    .configure = hr_configure,
    .start = hr_start,
    .on_message = hr_on_message,
    .on_timer = hr_on_timer,
    .on_request = hr_on_request,
    .inspect = hr_inspect,
    .describe = hr_describe,
    .msg_names = hr_msg_names,
    .msg_count = 3,
    .supports_membership = 1,
    .ghost_init = hr_ghost_init,
    .ghost_free = hr_ghost_free,
    .state_free = hr_free,
    .metrics = hr_metrics,
    .on_membership = hr_on_membership,
    .route = hr_route,
    .shared_size = sizeof(struct hr_shared),
    .shared_free = hr_shared_free,
};
