/* Internals of the lock service (algorithms/lock.c) shared with its checker
 * (algorithms/lock_check.c). Nothing outside these two files includes it. */
#ifndef ALGORITHMS_LOCK_INT_H
#define ALGORITHMS_LOCK_INT_H

#include <stdint.h>
#include "algorithms/algorithm.h"

enum { LOCK_LEASE = 0, LOCK_REDLOCK = 1 };

struct lock_params {
    int mode;
    int fencing;
    sim_time ttl;             /* default lease for an acquire without ttl */
    double drift_factor;      /* Redlock's clock-drift allowance, a fraction of the TTL */
    int64_t first_token;      /* the first token a fresh lease server issues */
    int nodes;                /* the storage node is node `nodes` */
    int bug_no_fencing, bug_token_not_durable;
};

/* The checker's view of one hold: a client held key from `start` to `end`
 * in true time (for Redlock, while a majority of servers held it for that
 * acquisition). */
struct lock_hold {
    char key[REQ_STR];
    int client;
    char owner[REQ_STR];     /* the acquisition (Redlock's random value): a new one starts a new hold */
    uint64_t servers;        /* bit i-1: server i holds it for this acquisition */
    sim_time start, end;     /* -1: not yet reached a majority / still held */
    int64_t token;
};

/* The last write the storage accepted for one key, and the hold it came from. */
struct lock_written {
    char key[REQ_STR];
    int client;
    int64_t token;
    sim_time at;
    struct lock_hold hold;   /* a copy; `end` follows the hold while it lasts */
    int held;                /* 0: the writer held no lock the checker knows of */
};

struct lock_ghost {
    int majority, servers;
    struct lock_hold *holds;            /* one per (key, client): its latest acquisition */
    int nholds, capholds;
    struct lock_written *written;       /* one per key */
    int nwritten, capwritten;
    int pending;                        /* a violation found by a write, for check() */
    struct violation v;
    uint64_t grants, expiries, releases, writes_ok, writes_rejected, refused;
};

/* Ghost bookkeeping, called from node code (observations only). */
void lock_ghost_grant(struct node *n, const char *key, int client, const char *owner, int64_t token);
void lock_ghost_ungrant(struct node *n, const char *key, int client, const char *owner);
void lock_ghost_restart(struct node *n);   /* a server (re)starts with no leases */
void lock_ghost_write(struct node *n, const char *key, int client, int64_t token, int accepted);

void lock_ghost_init(void *ghost, const void *params, int nodes);
void lock_ghost_free(void *ghost);
int  lock_check(const struct cluster *c, struct violation *v);
void lock_metrics(const struct cluster *c, struct inspector *in);

#endif
