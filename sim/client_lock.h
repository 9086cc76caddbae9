/* The lock client workload (sim.clients{workload = "lock"}) and the belief
 * tracking of every lock client, scripted ones included (see client_lock.c).
 * Called from sim/client.c only. */
#ifndef SIM_CLIENT_LOCK_H
#define SIM_CLIENT_LOCK_H

#include "sim/client.h"

void client_lock_start(struct sim *s, int id);        /* a lock client (re)starts its cycle */
void client_lock_crash(struct sim *s, int id);        /* a crashed client believes nothing */
void client_lock_timer(struct sim *s, int id, int64_t tag);
int  client_lock_op(const char *op);                  /* acquire, release, renew: tracked */
void client_lock_complete(struct sim *s, int id, const struct request *q, sim_time invoked_local,
                          const char *status, const struct result *res, int64_t tag);
void client_lock_free(struct sim *s);

/* Figures for sim.metrics().locks; 0 when no client ever held a lock. */
struct lock_figures {
    uint64_t held, lost, abandoned, overlaps;
    double overlap_ms;
};
int client_lock_figures(struct sim *s, struct lock_figures *f);

#endif
