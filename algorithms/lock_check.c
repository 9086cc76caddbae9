/* The lock service's checker (omniscient, true time).
 *
 * mutual_exclusion_at_resource: what matters is what the protected storage
 * accepted, not what the lock servers or clients believed. For each key the
 * checker remembers the last accepted write and the hold it came from (a
 * lease: the server's grant until it ended; Redlock: while a majority of
 * servers held the key for that acquisition). A newly accepted write is a
 * violation when
 *   - its hold began before that write's hold did: an older holder's write
 *     landed after a newer holder's (a lost update), or
 *   - the two holds overlap in true time: two holders wrote while both held
 *     the lock, or
 *   - its writer held no lock at all after someone who did.
 * A stale write the storage accepted before the next holder wrote anything
 * is not a violation: the storage's history is then one a correct lock
 * would also have allowed (that is what a fencing token guarantees).
 *
 * Observations come from node code through lock_ghost_* (writes only; node
 * logic never reads the ghost). */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "algorithms/lock_int.h"

void lock_ghost_init(void *ghost, const void *params, int nodes)
{
    struct lock_ghost *g = ghost;
    const struct lock_params *p = params;
    (void)nodes;
    g->servers = p->mode == LOCK_LEASE ? 1 : p->nodes - 1;
    g->majority = g->servers / 2 + 1;
}

void lock_ghost_free(void *ghost)
{
    struct lock_ghost *g = ghost;
    free(g->holds);
    free(g->written);
}

static void *grow(void *p, int *cap, int len, size_t size)
{
    if (len < *cap)
        return p;
    *cap = *cap ? 2 * *cap : 16;
    p = realloc(p, (size_t)*cap * size);
    if (!p)
        abort();
    return p;
}

static struct lock_hold *hold_find(struct lock_ghost *g, const char *key, int client, int create)
{
    for (int i = 0; i < g->nholds; i++)
        if (g->holds[i].client == client && strcmp(g->holds[i].key, key) == 0)
            return &g->holds[i];
    if (!create)
        return NULL;
    g->holds = grow(g->holds, &g->capholds, g->nholds, sizeof *g->holds);
    struct lock_hold *h = &g->holds[g->nholds++];
    memset(h, 0, sizeof *h);
    snprintf(h->key, sizeof h->key, "%s", key);
    h->client = client;
    h->start = h->end = -1;
    return h;
}

static struct lock_written *written_find(struct lock_ghost *g, const char *key)
{
    for (int i = 0; i < g->nwritten; i++)
        if (strcmp(g->written[i].key, key) == 0)
            return &g->written[i];
    g->written = grow(g->written, &g->capwritten, g->nwritten, sizeof *g->written);
    struct lock_written *w = &g->written[g->nwritten++];
    memset(w, 0, sizeof *w);
    snprintf(w->key, sizeof w->key, "%s", key);
    w->client = 0;
    return w;
}

static sim_time true_now(struct node *n) { return cluster_true_now(node_checker_view(n)); }

static void fail(struct lock_ghost *g, const char *invariant, const char *detail)
{
    if (g->pending)
        return;
    g->pending = 1;
    snprintf(g->v.invariant, sizeof g->v.invariant, "%s", invariant);
    snprintf(g->v.detail, sizeof g->v.detail, "%s", detail);
}

void lock_ghost_grant(struct node *n, const char *key, int client, const char *owner, int64_t token)
{
    struct lock_ghost *g = node_ghost(n);
    g->grants++;
    struct lock_hold *h = hold_find(g, key, client, 1);
    if (strcmp(h->owner, owner) != 0) {
        snprintf(h->owner, sizeof h->owner, "%s", owner);
        h->servers = 0;
        h->start = h->end = -1;
        h->token = 0;
    }
    h->servers |= UINT64_C(1) << (node_id(n) - 1);
    if (token > h->token)
        h->token = token;
    if (__builtin_popcountll(h->servers) == g->majority && h->start < 0) {
        h->start = true_now(n);
        /* One lease server never has two live holds of a key. */
        if (g->servers == 1)
            CHECK_EVALUATED(node_checker_view(n), "lock_exclusion");
        for (int i = 0; g->servers == 1 && i < g->nholds; i++) {
            const struct lock_hold *o = &g->holds[i];
            if (o != h && o->start >= 0 && o->end < 0 && strcmp(o->key, key) == 0) {
                char d[400];
                snprintf(d, sizeof d, "the lease server granted key %s to client %d (token %" PRId64
                         ") while client %d held it (token %" PRId64 ")", key, client, token, o->client, o->token);
                fail(g, "lock_exclusion", d);
            }
        }
    }
}

void lock_ghost_ungrant(struct node *n, const char *key, int client, const char *owner)
{
    struct lock_ghost *g = node_ghost(n);
    struct lock_hold *h = hold_find(g, key, client, 0);
    uint64_t bit = UINT64_C(1) << (node_id(n) - 1);
    if (!h || strcmp(h->owner, owner) != 0 || !(h->servers & bit))
        return;
    h->servers &= ~bit;
    if (__builtin_popcountll(h->servers) < g->majority && h->start >= 0 && h->end < 0) {
        h->end = true_now(n);
        for (int i = 0; i < g->nwritten; i++) {
            struct lock_written *w = &g->written[i];
            if (w->held && w->client == client && strcmp(w->hold.owner, owner) == 0 && strcmp(w->key, key) == 0)
                w->hold.end = h->end;
        }
    }
}

static double ms(sim_time t) { return sim_ns_to_ms(t); }

static void hold_text(char *out, size_t cap, const struct lock_hold *h)
{
    if (h->end < 0)
        snprintf(out, cap, "held from %.1f ms on", ms(h->start));
    else
        snprintf(out, cap, "held %.1f-%.1f ms", ms(h->start), ms(h->end));
}

void lock_ghost_write(struct node *n, const char *key, int client, int64_t token, int accepted)
{
    struct lock_ghost *g = node_ghost(n);
    if (!accepted) {
        g->writes_rejected++;
        return;
    }
    g->writes_ok++;
    CHECK_EVALUATED(node_checker_view(n), "mutual_exclusion_at_resource");
    struct lock_hold *h = hold_find(g, key, client, 0);
    int held = h && h->start >= 0;
    struct lock_written *w = written_find(g, key);
    int same = w->held && held && w->client == client && strcmp(w->hold.owner, h->owner) == 0;
    if (w->held && !same) {
        char a[96], b[96], d[400];
        hold_text(b, sizeof b, &w->hold);
        if (!held) {
            snprintf(d, sizeof d, "storage node %d accepted a write to %s from client %d (token %" PRId64
                     "), which held no lock, after client %d's (token %" PRId64 ", %s)",
                     node_id(n), key, client, token, w->client, w->token, b);
            fail(g, "mutual_exclusion_at_resource", d);
        } else if (h->start < w->hold.start) {
            hold_text(a, sizeof a, h);
            snprintf(d, sizeof d, "lost update: storage node %d accepted client %d's write to %s (token %" PRId64
                     ", %s) after client %d's (token %" PRId64 ", %s)",
                     node_id(n), client, key, token, a, w->client, w->token, b);
            fail(g, "mutual_exclusion_at_resource", d);
        } else if (w->hold.end < 0 || w->hold.end > h->start) {
            hold_text(a, sizeof a, h);
            snprintf(d, sizeof d, "storage node %d accepted writes to %s from clients %d (token %" PRId64
                     ", %s) and %d (token %" PRId64 ", %s): their holds overlap",
                     node_id(n), key, w->client, w->token, b, client, token, a);
            fail(g, "mutual_exclusion_at_resource", d);
        }
    }
    w->client = client;
    w->token = token;
    w->at = true_now(n);
    w->held = held;
    if (held)
        w->hold = *h;
    node_check_soon(n);
}

/* A restarted server forgot every lease it held: in true time they end now. */
void lock_ghost_restart(struct node *n)
{
    struct lock_ghost *g = node_ghost(n);
    uint64_t bit = UINT64_C(1) << (node_id(n) - 1);
    for (int i = 0; i < g->nholds; i++)
        if (g->holds[i].servers & bit)
            lock_ghost_ungrant(n, g->holds[i].key, g->holds[i].client, g->holds[i].owner);
}

int lock_check(const struct cluster *c, struct violation *v)
{
    struct lock_ghost *g = cluster_ghost(c);
    if (!g->pending)
        return 0;
    *v = g->v;
    return 1;
}

void lock_metrics(const struct cluster *c, struct inspector *in)
{
    struct lock_ghost *g = cluster_ghost(c);
    inspect_int(in, "grants", (int64_t)g->grants);
    inspect_int(in, "refused", (int64_t)g->refused);
    inspect_int(in, "writes_accepted", (int64_t)g->writes_ok);
    inspect_int(in, "writes_rejected", (int64_t)g->writes_rejected);
}
