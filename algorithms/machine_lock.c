/* The replicated lock machine (config.machine = "lock"), as etcd and
 * Chubby run locks on a replicated log.
 *
 *   acquire{key, value = owner, num = ttl_ms}
 *        -> ok, num = the fencing token: the log index of the grant, which
 *           increases with every grant on every replica; fail "held" (num:
 *           the holder's token); ok again, same token, for the holder itself
 *   release{key, value = owner}          (or num = the token, no owner)
 *   renew{key, value = owner, num = ttl_ms}
 *   holder{key} (read-only)  -> found, value = owner, num = token
 *   expire{key, num = token, value = renewals}   proposed by the leader only
 *   write{key, value, num = token}
 *        -> the resource the lock protects, a register per key fenced by
 *           tokens: fail "stale token A < B" below the highest token written
 *           (a simulated cluster runs one algorithm, so on Raft and Paxos the
 *           protected storage lives in the same machine, as a store that
 *           compares the writer's lease revision in one transaction does)
 *   read{key} (read-only) -> found, value = the last write, num = its token
 *
 * Expiry is decided in the log's order, never on a replica's clock: the
 * leader, on its heartbeat, calls machine_propose with its local time, and
 * proposes expire{} for a lease it has watched for its whole TTL without a
 * release or renew. A leader starts watching a grant when it first sees it,
 * so a new leader gives every running lease a full TTL again (etcd's lessor
 * does the same on promotion): a lease may last longer than asked, never
 * shorter. What the leader has watched is its own, not the replicated state:
 * it is neither saved in snapshots nor compared between replicas. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "algorithms/kv.h"
#include "algorithms/machine.h"
#include "algorithms/rsm.h"

#define DEFAULT_TTL_MS 10000
#define REPROPOSE SIM_MS(1000)     /* an expire that did not commit is proposed again */

struct lease {
    int held, client;
    char owner[REQ_STR];
    int64_t token, ttl_ms, renewals;
    int64_t fence, writes, rejected;   /* the protected register */
    char data[REQ_STR];
    /* the leader's watch (not replicated) */
    int64_t seen_token, seen_renewals;
    sim_time seen_at, proposed_at;
};

struct lock_sm {
    struct kv_table keys;
    struct lease *l;
    size_t cap;
};

static void l_init(void *st) { kv_table_init(&((struct lock_sm *)st)->keys); }

static void l_free(void *st)
{
    struct lock_sm *s = st;
    kv_table_free(&s->keys);
    free(s->l);
}

static struct lease *lease(struct lock_sm *s, const char *key)
{
    size_t k = kv_table_add_with(&s->keys, key, &s->l, &s->cap, sizeof *s->l);
    return &s->l[k];
}

static int l_kind(const char *op)
{
    if (strcmp(op, "holder") == 0 || strcmp(op, "read") == 0)
        return MACHINE_OP_READ;
    if (strcmp(op, "acquire") == 0 || strcmp(op, "release") == 0 || strcmp(op, "renew") == 0 ||
        strcmp(op, "expire") == 0 || strcmp(op, "write") == 0)
        return MACHINE_OP_UPDATE;
    return MACHINE_OP_UNKNOWN;
}

static void owner_of(const struct request *q, char out[REQ_STR])
{
    if (q->value[0])
        snprintf(out, REQ_STR, "%s", q->value);
    else
        snprintf(out, REQ_STR, "c%d.%llu", q->client, (unsigned long long)q->seq);
}

static int is_holder(const struct lease *l, const struct request *q)
{
    if (!l->held)
        return 0;
    if (q->value[0])
        return strcmp(l->owner, q->value) == 0;
    return l->client == q->client && (q->num == 0 || q->num == l->token);
}

static void fail(struct result *out, const char *why, int64_t num)
{
    out->status = RESULT_FAIL;
    out->num = num;
    snprintf(out->error, sizeof out->error, "%s", why);
}

static int l_exec(void *st, const struct request *cmd, uint64_t index, struct result *out)
{
    struct lock_sm *s = st;
    if (strcmp(cmd->op, "holder") == 0) {
        long k = kv_table_find(&s->keys, cmd->key);
        out->status = RESULT_OK;
        if (k >= 0 && s->l[k].held) {
            out->found = 1;
            out->num = s->l[k].token;
            memcpy(out->value, s->l[k].owner, REQ_STR);
        }
        return 0;
    }
    if (strcmp(cmd->op, "read") == 0) {
        long k = kv_table_find(&s->keys, cmd->key);
        out->status = RESULT_OK;
        if (k >= 0 && s->l[k].writes) {
            out->found = 1;
            out->num = s->l[k].fence;
            memcpy(out->value, s->l[k].data, REQ_STR);
        }
        return 0;
    }
    if (l_kind(cmd->op) != MACHINE_OP_UPDATE) {
        fail(out, "unknown op", 0);
        snprintf(out->error, sizeof out->error, "unknown op %.30s", cmd->op);
        return 0;
    }
    struct lease *l = lease(s, cmd->key);
    out->status = RESULT_OK;
    if (strcmp(cmd->op, "write") == 0) {
        if (cmd->num < l->fence) {
            l->rejected++;
            fail(out, "", l->fence);
            snprintf(out->error, sizeof out->error, "stale token %lld < %lld", (long long)(cmd->num % 1000000000000LL),
                     (long long)(l->fence % 1000000000000LL));
            return 1;            /* the count of rejections is state too */
        }
        l->fence = cmd->num;
        l->writes++;
        snprintf(l->data, sizeof l->data, "%s", cmd->value);
        out->num = cmd->num;
        return 1;
    }
    if (strcmp(cmd->op, "acquire") == 0) {
        char owner[REQ_STR];
        owner_of(cmd, owner);
        if (l->held && strcmp(l->owner, owner) == 0) {
            out->num = l->token;
            return 0;
        }
        if (l->held) {
            fail(out, "held", l->token);
            return 0;
        }
        l->held = 1;
        l->client = cmd->client;
        memcpy(l->owner, owner, REQ_STR);
        l->token = (int64_t)index;
        l->ttl_ms = cmd->num > 0 ? cmd->num : DEFAULT_TTL_MS;
        l->renewals = 0;
        out->num = l->token;
        return 1;
    }
    if (strcmp(cmd->op, "expire") == 0) {
        /* only the lease the leader watched: not a newer grant, not a renewed one */
        if (!l->held || l->token != cmd->num || l->renewals != strtoll(cmd->value, NULL, 10))
            return 0;
        l->held = 0;
        out->num = l->token;
        return 1;
    }
    if (!is_holder(l, cmd)) {
        fail(out, "not holder", 0);
        return 0;
    }
    out->num = l->token;
    if (strcmp(cmd->op, "release") == 0) {
        l->held = 0;
        return 1;
    }
    if (cmd->num > 0 && cmd->value[0])
        l->ttl_ms = cmd->num;
    l->renewals++;
    return 1;
}

static void l_query(const void *st, const struct request *cmd, struct result *out)
{
    l_exec((void *)st, cmd, 0, out);     /* holder{} changes nothing */
}

static int l_propose(void *st, sim_time now, struct request *out, int max)
{
    struct lock_sm *s = st;
    int k = 0;
    for (size_t i = 0; i < s->keys.len && k < max; i++) {
        struct lease *l = &s->l[i];
        if (!l->held)
            continue;
        if (l->seen_token != l->token || l->seen_renewals != l->renewals) {
            l->seen_token = l->token;
            l->seen_renewals = l->renewals;
            l->seen_at = now;
            l->proposed_at = -1;
            continue;
        }
        if (now < l->seen_at + SIM_MS(l->ttl_ms) || (l->proposed_at >= 0 && now - l->proposed_at < REPROPOSE))
            continue;
        l->proposed_at = now;
        struct request *q = &out[k++];
        memset(q, 0, sizeof *q);
        snprintf(q->op, sizeof q->op, "expire");
        memcpy(q->key, s->keys.keys[i], REQ_STR);
        q->num = l->token;
        snprintf(q->value, sizeof q->value, "%lld", (long long)l->renewals);
    }
    return k;
}

/* count, then per key: name, held, owner, client, token, ttl, renewals,
 * the register's token, writes, rejections and value */
static void l_save(const void *st, struct machine_buf *b)
{
    const struct lock_sm *s = st;
    uint32_t n = (uint32_t)s->keys.len;
    machine_buf_put(b, &n, sizeof n);
    for (size_t i = 0; i < s->keys.len; i++) {
        const struct lease *l = &s->l[i];
        int32_t held = l->held;
        machine_buf_put(b, s->keys.keys[i], strnlen(s->keys.keys[i], REQ_STR - 1) + 1);
        machine_buf_put(b, &held, sizeof held);
        machine_buf_put(b, l->owner, strnlen(l->owner, REQ_STR - 1) + 1);
        int32_t client = l->client;
        machine_buf_put(b, &client, sizeof client);
        machine_buf_put(b, &l->token, sizeof l->token);
        machine_buf_put(b, &l->ttl_ms, sizeof l->ttl_ms);
        machine_buf_put(b, &l->renewals, sizeof l->renewals);
        machine_buf_put(b, &l->fence, sizeof l->fence);
        machine_buf_put(b, &l->writes, sizeof l->writes);
        machine_buf_put(b, &l->rejected, sizeof l->rejected);
        machine_buf_put(b, l->data, strnlen(l->data, REQ_STR - 1) + 1);
    }
}

static void l_load(void *st, struct machine_reader *r)
{
    struct lock_sm *s = st;
    uint32_t n;
    machine_read(r, &n, sizeof n);
    for (uint32_t i = 0; i < n && !r->bad; i++) {
        char key[REQ_STR];
        machine_read_str(r, key);
        struct lease tmp;
        memset(&tmp, 0, sizeof tmp);
        int32_t client, held;
        machine_read(r, &held, sizeof held);
        machine_read_str(r, tmp.owner);
        machine_read(r, &client, sizeof client);
        machine_read(r, &tmp.token, sizeof tmp.token);
        machine_read(r, &tmp.ttl_ms, sizeof tmp.ttl_ms);
        machine_read(r, &tmp.renewals, sizeof tmp.renewals);
        machine_read(r, &tmp.fence, sizeof tmp.fence);
        machine_read(r, &tmp.writes, sizeof tmp.writes);
        machine_read(r, &tmp.rejected, sizeof tmp.rejected);
        machine_read_str(r, tmp.data);
        if (r->bad)
            return;
        tmp.held = held != 0;
        tmp.client = client;
        *lease(s, key) = tmp;
    }
}

static void l_inspect(const void *st, struct inspector *in)
{
    const struct lock_sm *s = st;
    int64_t held = 0, token = 0, holder = 0, writes = 0, rejected = 0;
    for (size_t i = 0; i < s->keys.len; i++) {
        writes += s->l[i].writes;
        rejected += s->l[i].rejected;
        if (s->l[i].held && !held++) {
            token = s->l[i].token;
            holder = s->l[i].client;
        }
    }
    inspect_int(in, "writes", writes);
    inspect_int(in, "rejected", rejected);
    inspect_int(in, "locks_held", held);
    inspect_int(in, "holder", holder);
    inspect_int(in, "holder_token", token);
}

const struct machine_ops machine_lock = {
    .name = "lock",
    .ops = "acquire, release, renew, holder, write, read",
    .state_size = sizeof(struct lock_sm),
    .init = l_init,
    .free = l_free,
    .kind = l_kind,
    .exec = l_exec,
    .query = l_query,
    .save = l_save,
    .load = l_load,
    .inspect = l_inspect,
    .propose = l_propose,
};
