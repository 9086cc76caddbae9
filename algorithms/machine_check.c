/* Checks on the answers of replicated machines other than kv (see
 * machine.h): what a client was told must be possible for the machine.
 *
 *   queue: no item is handed out twice. Items are told apart by queue and
 *          value (the queue workload enqueues distinct values); a retried
 *          deq, the same (client, seq), may be answered twice with one item.
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
