/* The network model: default link behaviour, per-directed-link overrides,
 * partitions (groups) and one-way blocks. Pure data plus decisions; the
 * engine (engine.c) schedules deliveries and traces drops. Endpoints are
 * ints: nodes 1..n, client k is -k. */
#ifndef SIM_NET_H
#define SIM_NET_H

#include "sim/pairmap.h"
#include "sim/rng.h"

struct link_params {
    struct dist latency;   /* one-way delay */
    double loss;           /* probability a message is lost */
    double duplicate;      /* probability a message is delivered twice */
    int fifo;              /* deliveries on this directed link keep send order */
};

enum { LINK_LATENCY = 1, LINK_LOSS = 2, LINK_DUPLICATE = 4, LINK_FIFO = 8 };

struct link_override {
    unsigned mask;          /* which fields of l are set */
    struct link_params l;
};

enum drop_reason { DROP_NONE = 0, DROP_LOSS, DROP_PARTITION, DROP_BLOCKED, DROP_CRASHED, DROP_REMOVED };

struct net {
    struct link_params defaults;
    struct link_override *overrides;   /* indexed by value of override_idx */
    size_t noverrides, overrides_cap;
    struct pairmap override_idx;       /* pair -> index into overrides */
    int *group;                        /* partition group per node id (0: connected to all) */
    int ngroup;                        /* size of group[] */
    int partitioned;                   /* any group set */
    struct pairmap blocked;            /* one-way blocks: pair -> 1 */
    struct pairmap fifo_last;          /* pair -> last scheduled delivery time */
};

void net_init(struct net *n);
void net_close(struct net *n);
void net_resize(struct net *n, int nodes);
/* Effective parameters of the directed link src -> dst. */
const struct link_params *net_link(const struct net *n, int src, int dst, struct link_params *tmp);
void net_set_link(struct net *n, int src, int dst, const struct link_override *o);
/* Partition into groups: nodes in different groups cannot talk; nodes not
 * listed stay connected to everyone. groups[i] lists node ids, 0-terminated
 * lists are not used: counts are given. */
void net_partition(struct net *n, int ngroups, const int *const *groups, const int *counts);
void net_block(struct net *n, int src, int dst);
void net_heal(struct net *n);
/* Why src -> dst cannot carry a message now, or DROP_NONE. Client endpoints
 * are never in a partition group but can be blocked one way. */
enum drop_reason net_blocked(const struct net *n, int src, int dst);
const char *drop_reason_name(enum drop_reason r);

#endif
