/* Network model (see net.h). */
#include "sim/net.h"

#include <stdlib.h>
#include <string.h>

void net_init(struct net *n)
{
    memset(n, 0, sizeof *n);
    n->defaults.latency.kind = DIST_CONST;
    n->defaults.latency.a = 1.0;
    pairmap_init(&n->override_idx);
    pairmap_init(&n->blocked);
    pairmap_init(&n->fifo_last);
}

void net_close(struct net *n)
{
    free(n->overrides);
    free(n->group);
    pairmap_free(&n->override_idx);
    pairmap_free(&n->blocked);
    pairmap_free(&n->fifo_last);
    memset(n, 0, sizeof *n);
}

void net_resize(struct net *n, int nodes)
{
    if (nodes + 1 <= n->ngroup)
        return;
    int *g = realloc(n->group, (size_t)(nodes + 1) * sizeof *g);
    if (!g)
        abort();
    memset(g + n->ngroup, 0, (size_t)(nodes + 1 - n->ngroup) * sizeof *g);
    n->group = g;
    n->ngroup = nodes + 1;
}

const struct link_params *net_link(const struct net *n, int src, int dst, struct link_params *tmp)
{
    if (n->noverrides == 0)
        return &n->defaults;
    int64_t *idx = pairmap_get(&n->override_idx, pair_key(src, dst));
    if (!idx)
        return &n->defaults;
    const struct link_override *o = &n->overrides[*idx];
    *tmp = n->defaults;
    if (o->mask & LINK_LATENCY)
        tmp->latency = o->l.latency;
    if (o->mask & LINK_LOSS)
        tmp->loss = o->l.loss;
    if (o->mask & LINK_DUPLICATE)
        tmp->duplicate = o->l.duplicate;
    if (o->mask & LINK_FIFO)
        tmp->fifo = o->l.fifo;
    return tmp;
}

void net_set_link(struct net *n, int src, int dst, const struct link_override *o)
{
    int64_t *idx = pairmap_get(&n->override_idx, pair_key(src, dst));
    if (idx) {
        struct link_override *cur = &n->overrides[*idx];
        unsigned m = o->mask;
        if (m & LINK_LATENCY) cur->l.latency = o->l.latency;
        if (m & LINK_LOSS) cur->l.loss = o->l.loss;
        if (m & LINK_DUPLICATE) cur->l.duplicate = o->l.duplicate;
        if (m & LINK_FIFO) cur->l.fifo = o->l.fifo;
        cur->mask |= m;
        return;
    }
    if (n->noverrides == n->overrides_cap) {
        n->overrides_cap = n->overrides_cap ? n->overrides_cap * 2 : 16;
        n->overrides = realloc(n->overrides, n->overrides_cap * sizeof *n->overrides);
        if (!n->overrides)
            abort();
    }
    n->overrides[n->noverrides] = *o;
    *pairmap_put(&n->override_idx, pair_key(src, dst), 0) = (int64_t)n->noverrides;
    n->noverrides++;
}

void net_partition(struct net *n, int ngroups, const int *const *groups, const int *counts)
{
    /* A partition replaces the previous one: a node this call does not list
     * is connected to everyone, whatever group an earlier call put it in. */
    if (n->group)
        memset(n->group, 0, (size_t)n->ngroup * sizeof *n->group);
    for (int g = 0; g < ngroups; g++)
        for (int i = 0; i < counts[g]; i++) {
            int id = groups[g][i];
            if (id > 0 && id < n->ngroup)
                n->group[id] = g + 1;
        }
    n->partitioned = 1;
}

void net_block(struct net *n, int src, int dst)
{
    *pairmap_put(&n->blocked, pair_key(src, dst), 1) = 1;
}

void net_heal(struct net *n)
{
    if (n->group)
        memset(n->group, 0, (size_t)n->ngroup * sizeof *n->group);
    n->partitioned = 0;
    pairmap_clear(&n->blocked);
}

enum drop_reason net_blocked(const struct net *n, int src, int dst)
{
    if (n->partitioned && src > 0 && dst > 0 && src < n->ngroup && dst < n->ngroup) {
        int a = n->group[src], b = n->group[dst];
        if (a && b && a != b)
            return DROP_PARTITION;
    }
    if (n->blocked.len && pairmap_get(&n->blocked, pair_key(src, dst)))
        return DROP_BLOCKED;
    return DROP_NONE;
}

const char *drop_reason_name(enum drop_reason r)
{
    switch (r) {
    case DROP_NONE: return "none";
    case DROP_LOSS: return "loss";
    case DROP_PARTITION: return "partition";
    case DROP_BLOCKED: return "blocked";
    case DROP_CRASHED: return "crashed";
    case DROP_REMOVED: return "removed";
    }
    return "?";
}
