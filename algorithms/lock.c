/* A lock service with leases and fencing tokens, and Redlock.
 *
 * Node n (the highest id) is the protected storage node in every mode: it
 * accepts write{key, value, token} and, with `fencing = true`, rejects a
 * token lower than the highest it has accepted for that key (M. Kleppmann,
 * "How to do distributed locking", 2016). The other nodes are lock servers:
 *
 *   lease    node 1 grants a lease of `ttl` ms with a fencing token that
 *            increases on every grant and is made durable before the grant
 *            is answered, so a restarted server never issues a token twice.
 *            Nodes 2..n-1 are spares that redirect clients to node 1.
 *   redlock  nodes 1..n-1 are independent servers, each expiring keys on its
 *            own local clock; a client needs a majority of them (the Redlock
 *            description, redis.io). A server's token is its own grant
 *            counter; the client writes with the highest of its majority's,
 *            which is NOT ordered across holders: independent counters make
 *            no fencing token.
 *
 * Expiry is decided on the server's local clock (drift and steps apply):
 * a lease ends when that clock reaches grant time + ttl, whatever true time
 * says. A server that restarts with a previous life on its disk forgot who
 * held what, so it refuses every grant for one ttl (Redlock's "delayed
 * restart"; Chubby's grace period) and an old lease runs out first.
 *
 * Lock clients (sim/client_lock.c) judge their validity on their own
 * clocks; the checker (lock_check.c) judges the storage in true time. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "algorithms/lock_int.h"

enum { ROLE_SERVER = 0, ROLE_STORAGE = 1, ROLE_SPARE = 2 };
enum { T_EXPIRE = 0 };

static const char *const mode_names[] = { "lease", "redlock", NULL };
static const char *const role_names[] = { "server", "storage", "spare" };

struct slot {
    char key[REQ_STR];
    /* lock server */
    int held, client;
    uint64_t seq;
    char owner[REQ_STR];     /* Redlock's random value: who may release */
    int64_t token;
    sim_time expiry;         /* local clock */
    /* storage */
    int64_t max_token;
    char value[REQ_STR];
    int writer;
    uint64_t writes, rejected;
};

struct lock_state {
    int role;
    struct slot *slots;
    int nslots, cap;
    int64_t counter;         /* the last token issued */
    sim_time grant_after;    /* local: no grants before (a restart's grace period) */
    uint64_t grants, expiries;
};

static const struct bug_def lock_bugs[] = {
    { "lock.no_fencing_check",
      "the storage ignores fencing tokens even with fencing on: a paused holder's stale write overwrites the next holder's",
      "scenarios/lock_nemesis.lua", 100 },
    { "lock.token_not_durable",
      "the lease server keeps its token counter only in memory: after a restart it reissues low tokens and fencing is defeated",
      "scenarios/lock_restart.lua", 5 },
    { NULL, NULL, NULL, 0 },
};

static int lock_configure(struct config *c, void *params, struct error *err)
{
    struct lock_params *p = params;
    p->nodes = config_nodes(c);
    if (config_choice(c, "mode", mode_names, LOCK_LEASE, &p->mode, err) ||
        config_bool(c, "fencing", 1, &p->fencing, err) ||
        config_ms(c, "ttl", 10000, 1, 1e9, &p->ttl, err) ||
        config_double(c, "drift_factor", 0.01, 0, 0.5, &p->drift_factor, err) ||
        config_int(c, "first_token", 1, 1, INT64_C(1) << 50, &p->first_token, err))
        return -1;
    if (p->mode == LOCK_REDLOCK && p->nodes > 64) {
        snprintf(err->msg, sizeof err->msg, "lock: redlock takes at most 63 servers (nodes <= 64), got nodes = %d",
                 p->nodes);
        return -1;
    }
    if (p->nodes < 2) {
        snprintf(err->msg, sizeof err->msg,
                 "lock: nodes = %d, but the lock service needs at least 2 (lock servers, then the storage node n)",
                 p->nodes);
        return -1;
    }
    p->bug_no_fencing = config_bug(c, "lock.no_fencing_check");
    p->bug_token_not_durable = config_bug(c, "lock.token_not_durable");
    return 0;
}

static struct lock_state *st(struct node *n) { return node_state(n); }
static const struct lock_params *prm(const struct node *n) { return node_params(n); }

static void lock_free(struct node *n)
{
    free(st(n)->slots);
}

static struct slot *find(struct lock_state *s, const char *key, int create)
{
    for (int i = 0; i < s->nslots; i++)
        if (strcmp(s->slots[i].key, key) == 0)
            return &s->slots[i];
    if (!create)
        return NULL;
    if (s->nslots == s->cap) {
        s->cap = s->cap ? 2 * s->cap : 8;
        s->slots = realloc(s->slots, (size_t)s->cap * sizeof *s->slots);
        if (!s->slots)
            abort();
    }
    struct slot *sl = &s->slots[s->nslots++];
    memset(sl, 0, sizeof *sl);
    snprintf(sl->key, sizeof sl->key, "%s", key);
    return sl;
}

/* ------------------------------------------------------------ durability */

/* The storage's fencing state, one blob: count, then per key its name, the
 * highest token accepted and the value. Rewritten (and synced) on every
 * accepted write, before the write is acknowledged. */
static void storage_save(struct node *n)
{
    struct lock_state *s = st(n);
    size_t len = sizeof(int32_t) + (size_t)s->nslots * (REQ_STR * 2 + sizeof(int64_t));
    unsigned char *buf = malloc(len), *p = buf;
    if (!buf)
        abort();
    int32_t cnt = s->nslots;
    memcpy(p, &cnt, sizeof cnt);
    p += sizeof cnt;
    for (int i = 0; i < s->nslots; i++) {
        memcpy(p, s->slots[i].key, REQ_STR);
        p += REQ_STR;
        memcpy(p, &s->slots[i].max_token, sizeof(int64_t));
        p += sizeof(int64_t);
        memcpy(p, s->slots[i].value, REQ_STR);
        p += REQ_STR;
    }
    node_store_put(n, "storage", buf, len);
    node_store_sync(n);
    free(buf);
}

static void storage_load(struct node *n)
{
    size_t len;
    const unsigned char *p = node_store_get(n, "storage", &len);
    int32_t cnt;
    if (!p || len < sizeof cnt)
        return;
    memcpy(&cnt, p, sizeof cnt);
    size_t rec = REQ_STR * 2 + sizeof(int64_t);
    if (cnt < 0 || len != sizeof cnt + (size_t)cnt * rec)
        return;
    p += sizeof cnt;
    for (int i = 0; i < cnt; i++, p += rec) {
        char key[REQ_STR];
        memcpy(key, p, REQ_STR);
        key[REQ_STR - 1] = 0;
        struct slot *sl = find(st(n), key, 1);
        memcpy(&sl->max_token, p + REQ_STR, sizeof(int64_t));
        memcpy(sl->value, p + REQ_STR + sizeof(int64_t), REQ_STR);
        sl->value[REQ_STR - 1] = 0;
    }
}

static void lock_start(struct node *n)
{
    struct lock_state *s = st(n);
    const struct lock_params *p = prm(n);
    int id = node_id(n);
    if (id == p->nodes)
        s->role = ROLE_STORAGE;
    else if (p->mode == LOCK_LEASE && id != 1)
        s->role = ROLE_SPARE;
    else
        s->role = ROLE_SERVER;
    if (s->role == ROLE_STORAGE) {
        storage_load(n);
        return;
    }
    if (s->role != ROLE_SERVER)
        return;
    lock_ghost_restart(n);
    s->counter = p->first_token - 1;
    size_t len;
    const void *tok = node_store_get(n, "token", &len);
    if (tok && len == sizeof s->counter)
        memcpy(&s->counter, tok, sizeof s->counter);
    if (node_store_get(n, "booted", &len)) {
        /* A previous life may have granted leases that are still running on
         * their holders' clocks: wait them out before granting again. */
        s->grant_after = node_now(n) + p->ttl;
        struct record *r = node_note_begin(n, "lock_recovering", 1);
        record_num(r, "ms", sim_ns_to_ms(p->ttl));
        node_note_end(n, r);
    } else {
        node_store_put(n, "booted", "1", 1);
        node_store_sync(n);
    }
}

/* --------------------------------------------------------------- expiry */

static void arm_expiry(struct node *n)
{
    struct lock_state *s = st(n);
    sim_time best = -1;
    for (int i = 0; i < s->nslots; i++)
        if (s->slots[i].held && (best < 0 || s->slots[i].expiry < best))
            best = s->slots[i].expiry;
    if (best < 0) {
        node_cancel(n, T_EXPIRE);
        return;
    }
    sim_time now = node_now(n);
    node_timer(n, T_EXPIRE, best > now ? best - now : 0);
}

static void note_lock(struct node *n, const char *type, const struct slot *sl)
{
    struct record *r = node_note_begin(n, type, 1);
    record_str(r, "key", sl->key);
    record_int(r, "client", sl->client);
    record_int(r, "token", sl->token);
    node_note_end(n, r);
}

static void drop_hold(struct node *n, struct slot *sl, const char *why)
{
    sl->held = 0;
    note_lock(n, why, sl);
    lock_ghost_ungrant(n, sl->key, sl->client, sl->owner);
}

/* Every lease whose end the local clock has reached is over: decided here,
 * on this server's clock, and nowhere else. */
static void expire_due(struct node *n)
{
    struct lock_state *s = st(n);
    sim_time now = node_now(n);
    for (int i = 0; i < s->nslots; i++)
        if (s->slots[i].held && s->slots[i].expiry <= now) {
            s->expiries++;
            drop_hold(n, &s->slots[i], "lock_expire");
        }
}

static void lock_on_timer(struct node *n, int timer)
{
    if (timer != T_EXPIRE)
        return;
    expire_due(n);
    arm_expiry(n);
}

/* --------------------------------------------------------------- requests */

static void reply(struct node *n, const struct request *q, enum result_status status, int64_t num,
                  const char *error)
{
    struct result res;
    memset(&res, 0, sizeof res);
    res.status = status;
    res.num = num;
    if (error)
        snprintf(res.error, sizeof res.error, "%s", error);
    node_reply(n, q, &res);
}

static void redirect(struct node *n, const struct request *q, int to, const char *why)
{
    struct result res;
    memset(&res, 0, sizeof res);
    res.status = RESULT_REDIRECT;
    res.leader = to;
    snprintf(res.error, sizeof res.error, "%s", why);
    node_reply(n, q, &res);
}

static void owner_of(const struct request *q, char out[REQ_STR])
{
    if (q->value[0])
        snprintf(out, REQ_STR, "%s", q->value);
    else
        snprintf(out, REQ_STR, "c%d.%" PRIu64, q->client, q->seq);
}

/* The caller's claim on a held slot: the same owner value, or, for a
 * scripted client that gave none, its client id and the token. */
static int is_holder(const struct slot *sl, const struct request *q)
{
    if (!sl || !sl->held || sl->client != q->client)
        return 0;
    if (q->value[0])
        return strcmp(sl->owner, q->value) == 0;
    return q->num == 0 || q->num == sl->token;
}

static void server_request(struct node *n, const struct request *q)
{
    struct lock_state *s = st(n);
    const struct lock_params *p = prm(n);
    expire_due(n);
    struct slot *sl = find(s, q->key, strcmp(q->op, "acquire") == 0);
    sim_time now = node_now(n);
    if (strcmp(q->op, "acquire") == 0) {
        char owner[REQ_STR];
        owner_of(q, owner);
        if (sl->held && sl->client == q->client && sl->seq == q->seq) {
            reply(n, q, RESULT_OK, sl->token, NULL);     /* a retry of the granted request */
            return;
        }
        if (sl->held) {
            ((struct lock_ghost *)node_ghost(n))->refused++;
            reply(n, q, RESULT_FAIL, sl->token, "held");
            return;
        }
        if (now < s->grant_after) {
            reply(n, q, RESULT_FAIL, 0, "recovering");
            return;
        }
        sim_time ttl = q->num > 0 ? sim_ms_to_ns((double)q->num) : p->ttl;
        sl->token = ++s->counter;
        if (!p->bug_token_not_durable) {
            /* durable before anyone learns the token */
            node_store_put(n, "token", &s->counter, sizeof s->counter);
            node_store_sync(n);
        }
        sl->held = 1;
        sl->client = q->client;
        sl->seq = q->seq;
        memcpy(sl->owner, owner, REQ_STR);
        sl->expiry = now + ttl;
        s->grants++;
        struct record *r = node_note_begin(n, "lock_grant", 1);
        record_str(r, "key", sl->key);
        record_int(r, "client", sl->client);
        record_int(r, "token", sl->token);
        record_num(r, "ttl_ms", sim_ns_to_ms(ttl));
        node_note_end(n, r);
        lock_ghost_grant(n, sl->key, sl->client, sl->owner, sl->token);
        arm_expiry(n);
        reply(n, q, RESULT_OK, sl->token, NULL);
        return;
    }
    if (strcmp(q->op, "release") == 0) {
        if (!is_holder(sl, q)) {
            reply(n, q, RESULT_FAIL, 0, "not holder");
            return;
        }
        drop_hold(n, sl, "lock_release");
        arm_expiry(n);
        reply(n, q, RESULT_OK, sl->token, NULL);
        return;
    }
    if (strcmp(q->op, "renew") == 0) {
        if (!is_holder(sl, q)) {
            reply(n, q, RESULT_FAIL, 0, "not holder");
            return;
        }
        /* renew{key, value = owner, num = ttl}; a scripted renew without an
         * owner gives its token in num and renews for the configured ttl */
        sl->expiry = now + (q->value[0] && q->num > 0 ? sim_ms_to_ns((double)q->num) : p->ttl);
        note_lock(n, "lock_renew", sl);
        arm_expiry(n);
        reply(n, q, RESULT_OK, sl->token, NULL);
        return;
    }
    if (strcmp(q->op, "write") == 0 || strcmp(q->op, "read") == 0) {
        redirect(n, q, p->nodes, "the storage is node n");
        return;
    }
    reply(n, q, RESULT_FAIL, 0, "unknown op (acquire, release, renew)");
}

static void storage_request(struct node *n, const struct request *q)
{
    struct lock_state *s = st(n);
    const struct lock_params *p = prm(n);
    if (strcmp(q->op, "read") == 0) {
        struct slot *sl = find(s, q->key, 0);
        struct result res;
        memset(&res, 0, sizeof res);
        res.status = RESULT_OK;
        if (sl && sl->writes) {
            res.found = 1;
            res.num = sl->max_token;
            memcpy(res.value, sl->value, REQ_STR);
        }
        node_reply(n, q, &res);
        return;
    }
    if (strcmp(q->op, "write") != 0) {
        redirect(n, q, 1, "lock servers are nodes 1..n-1");
        return;
    }
    struct slot *sl = find(s, q->key, 1);
    int64_t token = q->num;
    /* The fencing check (Kleppmann 2016): a token lower than one already
     * accepted comes from a holder whose lease has ended. */
    if (p->fencing && !p->bug_no_fencing && token < sl->max_token) {
        sl->rejected++;
        struct record *r = node_note_begin(n, "write_rejected", 1);
        record_str(r, "key", sl->key);
        record_int(r, "client", q->client);
        record_int(r, "token", token);
        record_int(r, "max_token", sl->max_token);
        node_note_end(n, r);
        lock_ghost_write(n, sl->key, q->client, token, 0);
        char why[REQ_STR];
        snprintf(why, sizeof why, "stale token %" PRId64 " < %" PRId64, token, sl->max_token);
        reply(n, q, RESULT_FAIL, sl->max_token, why);
        return;
    }
    if (token > sl->max_token)
        sl->max_token = token;
    memcpy(sl->value, q->value, REQ_STR);
    sl->writer = q->client;
    sl->writes++;
    struct record *r = node_note_begin(n, "write_accepted", 1);
    record_str(r, "key", sl->key);
    record_int(r, "client", q->client);
    record_int(r, "token", token);
    record_str(r, "value", q->value);
    node_note_end(n, r);
    lock_ghost_write(n, sl->key, q->client, token, 1);
    storage_save(n);
    reply(n, q, RESULT_OK, token, NULL);
}

static void lock_on_request(struct node *n, const struct request *q)
{
    switch (st(n)->role) {
    case ROLE_STORAGE:
        storage_request(n, q);
        return;
    case ROLE_SERVER:
        server_request(n, q);
        return;
    default:
        redirect(n, q, strcmp(q->op, "write") == 0 || strcmp(q->op, "read") == 0 ? prm(n)->nodes : 1,
                 "the lease server is node 1");
    }
}

static void lock_on_message(struct node *n, const struct message *m)
{
    (void)n;
    (void)m;     /* the servers never talk to each other */
}

static void lock_inspect(const struct node *n, struct inspector *in)
{
    const struct lock_state *s = node_state_const(n);
    inspect_str(in, "role", role_names[s->role]);
    if (s->role == ROLE_STORAGE) {
        uint64_t writes = 0, rejected = 0;
        int64_t max = 0;
        for (int i = 0; i < s->nslots; i++) {
            writes += s->slots[i].writes;
            rejected += s->slots[i].rejected;
            if (s->slots[i].max_token > max)
                max = s->slots[i].max_token;
        }
        inspect_int(in, "writes", (int64_t)writes);
        inspect_int(in, "rejected", (int64_t)rejected);
        inspect_int(in, "max_token", max);
        if (s->nslots) {
            inspect_str(in, "value", s->slots[0].value);
            inspect_int(in, "writer", s->slots[0].writer);
        }
        return;
    }
    if (s->role != ROLE_SERVER)
        return;
    int held = 0, holder = 0;
    int64_t token = 0;
    for (int i = 0; i < s->nslots; i++)
        if (s->slots[i].held) {
            if (!held++) {
                holder = s->slots[i].client;
                token = s->slots[i].token;
            }
        }
    inspect_int(in, "token", s->counter);
    inspect_int(in, "held", held);
    inspect_int(in, "holder", holder);
    inspect_int(in, "holder_token", token);
    inspect_int(in, "grants", (int64_t)s->grants);
    inspect_int(in, "expiries", (int64_t)s->expiries);
    inspect_bool(in, "recovering", node_now(n) < s->grant_after);
}

static void lock_describe(int type, const void *payload, size_t len, struct record *args)
{
    (void)type;
    (void)payload;
    (void)len;
    (void)args;
}

/* The client library's routing: lock operations to the lease server (for
 * Redlock, a script names the server; retries walk the servers), storage
 * operations to node n. */
static int lock_route(const struct cluster *c, const struct request *q, int attempt)
{
    const struct lock_params *p = cluster_params(c);
    if (strcmp(q->op, "write") == 0 || strcmp(q->op, "read") == 0)
        return p->nodes;
    if (p->mode == LOCK_LEASE)
        return 1;
    return 1 + attempt % (p->nodes - 1);
}

static void layout(const struct cluster *c, struct lock_layout *l)
{
    const struct lock_params *p = cluster_params(c);
    l->first = 1;
    l->count = p->mode == LOCK_LEASE ? 1 : p->nodes - 1;
    l->quorum = l->count / 2 + 1;
    l->storage = p->nodes;
    l->drift_factor = p->drift_factor;
}

const struct algorithm lock_algorithm = {
    .name = "lock",
    .summary = "a lease lock server with fencing tokens, or Redlock; node n is the protected storage",
    .state_size = sizeof(struct lock_state),
    .params_size = sizeof(struct lock_params),
    .ghost_size = sizeof(struct lock_ghost),
    .configure = lock_configure,
    .start = lock_start,
    .on_message = lock_on_message,
    .on_timer = lock_on_timer,
    .on_request = lock_on_request,
    .check = lock_check,
    .inspect = lock_inspect,
    .describe = lock_describe,
    .bugs = lock_bugs,
    .ghost_init = lock_ghost_init,
    .ghost_free = lock_ghost_free,
    .state_free = lock_free,
    .metrics = lock_metrics,
    .lock_layout = layout,
    .route = lock_route,
};
