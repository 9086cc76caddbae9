/* Checks on the answers of replicated machines other than kv (see
 * machine.h): what a client was told must be possible for the machine.
 *
 *   queue: no item is handed out twice. Items are told apart by queue and
 *          value (the queue workload enqueues distinct values); a retried
 *          deq, the same (client, seq), may be answered twice with one item.
 *
 *   lock:  a lease is granted, released or renewed only as its holder
 *          allows: an acquire succeeds only on a free lease (or for its
 *          holder again), a release or renew only for the holder. The
 *          checker keeps its own model of who holds each lease, applied in
 *          commit order (machine_watch_apply), not machine_lock.c's: a
 *          wrong comparison there must not be copied into what checks it.
 *
 * KV answers have their own checks in each algorithm's checker (the
 * committed value at the index a read was served from). */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "algorithms/machine.h"
#include "algorithms/rsm.h"

void machine_watch_free(struct machine_watch *w)
{
    kv_table_free(&w->items);
    free(w->client);
    free(w->seq);
    kv_table_free(&w->leases);
    free(w->lease);
    memset(w, 0, sizeof *w);
}

int machine_watch_reply(const struct cluster *c, struct machine_watch *w, const struct machine_ops *ops, int node,
                        const struct request *q, const struct result *res, struct violation *v)
{
    if (ops != &machine_queue || res->status != RESULT_OK || !res->found || strcmp(q->op, "deq") != 0)
        return 0;
    if (c)                       /* NULL: a unit test, no cluster to count in */
        CHECK_EVALUATED(c, "queue_double_dequeue");
    char item[REQ_STR];
    snprintf(item, sizeof item, "%.20s\x1f%.26s", q->key, res->value);
    long k = kv_table_find(&w->items, item);
    if (k < 0) {
        size_t slot = kv_table_add(&w->items, item);
        if (w->items.len > w->cap) {
            size_t cap = w->items.cap;
            w->client = rsm_xrealloc(w->client, cap * sizeof *w->client);
            w->seq = rsm_xrealloc(w->seq, cap * sizeof *w->seq);
            w->cap = cap;
        }
        w->client[slot] = q->client;
        w->seq[slot] = q->seq;
        return 0;
    }
    if (w->client[k] == q->client && w->seq[k] == q->seq)
        return 0;
    snprintf(v->invariant, sizeof v->invariant, "queue_double_dequeue");
    snprintf(v->detail, sizeof v->detail,
             "node %d handed item %s of queue %s to client %d (op %" PRIu64 "), but client %d (op %" PRIu64
             ") had already dequeued it", node, res->value, q->key, q->client, q->seq, w->client[k], w->seq[k]);
    return 1;
}

/* The owner a lock command names: its value, or (no value) its session. */
static void owner_named(const struct request *q, char out[REQ_STR])
{
    if (q->value[0])
        memcpy(out, q->value, REQ_STR);
    else
        snprintf(out, REQ_STR, "c%d.%" PRIu64, q->client, q->seq);
}

/* Does q come from the holder of l? By owner name when it gives one; else
 * by client, and by token when it gives one (a release by token alone). */
static int from_holder(const struct watch_lease *l, const struct request *q)
{
    if (!l->held)
        return 0;
    if (q->value[0])
        return strncmp(l->owner, q->value, REQ_STR) == 0;
    return l->client == q->client && (q->num == 0 || q->num == l->token);
}

int machine_watch_apply(const struct cluster *c, struct machine_watch *w, const struct machine_ops *ops,
                        uint64_t index, const struct request *cmd, const struct result *res, int executed,
                        struct violation *v)
{
    if (ops != &machine_lock || !executed)
        return 0;
    int acq = strcmp(cmd->op, "acquire") == 0, rel = strcmp(cmd->op, "release") == 0;
    int ren = strcmp(cmd->op, "renew") == 0, exp = strcmp(cmd->op, "expire") == 0;
    if (!acq && !rel && !ren && !exp)
        return 0;
    size_t k = kv_table_add_with(&w->leases, cmd->key, &w->lease, &w->lease_cap, sizeof *w->lease);
    struct watch_lease *l = &w->lease[k];
    int ok = res->status == RESULT_OK;
    if (exp) {
        /* the leader's expiry of the grant it watched, unrenewed since */
        if (l->held && l->token == cmd->num && l->renewals == strtoll(cmd->value, NULL, 10))
            l->held = 0;
        return 0;
    }
    if (c)
        CHECK_EVALUATED(c, "lease_owner");
    char owner[REQ_STR];
    owner_named(cmd, owner);
    if (acq) {
        int again = l->held && strncmp(l->owner, owner, REQ_STR) == 0;
        if (ok && l->held && !again)
            return rsm_fail(v, "lease_owner",
                            "lock %s granted at index %" PRIu64 " to %s while %s (client %d, token %" PRId64
                            ") holds it", cmd->key, index, owner, l->owner, l->client, l->token);
        if (ok && !l->held) {
            l->held = 1;
            l->client = cmd->client;
            l->token = (int64_t)index;
            l->renewals = 0;
            memcpy(l->owner, owner, REQ_STR);
        }
        return 0;
    }
    int holder = from_holder(l, cmd);
    if (ok && !holder) {
        if (l->held)
            return rsm_fail(v, "lease_owner",
                            "%s of lock %s by %s (client %d) granted at index %" PRIu64 ", but %s (client %d, token %"
                            PRId64 ") holds it", cmd->op, cmd->key, owner, cmd->client, index, l->owner, l->client,
                            l->token);
        return rsm_fail(v, "lease_owner",
                        "%s of lock %s by %s (client %d) granted at index %" PRIu64 ", but nobody holds it",
                        cmd->op, cmd->key, owner, cmd->client, index);
    }
    if (holder && ok && rel)
        l->held = 0;
    if (holder && ok && ren)
        l->renewals++;
    return 0;
}

int machine_ref_apply(const struct cluster *c, struct machine *ref, struct machine_watch *w, uint64_t index,
                      const struct request *cmd, struct result *res, int *wrote, struct violation *v)
{
    /* a command answered from its session's first application, or one
     * refused as expired, changes nothing: the watch has nothing to judge */
    uint64_t seen = ref->duplicates + ref->expired;
    int wr = machine_apply(ref, cmd, index, res);
    if (wrote)
        *wrote = wr;
    return machine_watch_apply(c, w, ref->ops, index, cmd, res, ref->duplicates + ref->expired == seen, v);
}
