/* Simulated clients: processes with their own clock and PRNG stream that
 * send operations to the cluster over the network, time out, retry and
 * follow redirects. Every operation is traced as one `invoke` and one
 * `complete` (ok / fail / info), with a `request`/`reply` pair per attempt,
 * so a history can be checked and plotted. Client k is endpoint -k. */
#ifndef SIM_CLIENT_H
#define SIM_CLIENT_H

#include "sim/engine.h"

enum workload { WORKLOAD_NONE = 0, WORKLOAD_KV, WORKLOAD_LOCK, WORKLOAD_COUNTER, WORKLOAD_QUEUE, WORKLOAD_LB };

/* The lock workload's options (sim/client_lock.c). */
struct lock_workload {
    sim_time ttl, hold_lo, hold_hi, backoff, think;
    int keys;
};

struct client_cfg {
    enum workload workload;
    double rate;             /* open loop: operations per second per client */
    int closed;              /* closed loop: one operation at a time */
    sim_time think;          /* closed loop pause between operations */
    int keys;
    double read_ratio, cas_ratio;
    sim_time timeout;        /* per attempt, client local time */
    int retries;             /* attempts after the first on timeout */
    int max_outstanding;     /* open loop: concurrent operations per client */
    int values;              /* writes draw values from 0..values-1 */
    sim_time start, stop;    /* true times the generated load runs between */
    int key_dist;            /* KEY_UNIFORM, or KEY_ZIPF: key i with probability ~ 1/(i+1)^zipf_s */
    double zipf_s;
    const double *zipf_cdf;  /* owned by the client set; filled by clients_add */
    struct lock_workload lock;
};

enum { KEY_UNIFORM = 0, KEY_ZIPF = 1 };
#define CLIENT_MAX_ZIPF_KEYS 10000000

void client_cfg_default(struct client_cfg *c);
/* Create clients until there are `count` more (returns the first new id), all with cfg. */
int clients_add(struct sim *s, int count, const struct client_cfg *cfg);
int clients_count(const struct sim *s);
/* Of client id's generated operations, send only those whose seq is in
 * seqs[0..n) (sim.client_only); the others are drawn all the same, so the
 * ones sent are the operations they were. Copies the list; id may be a
 * client not created yet. */
int clients_only(struct sim *s, int id, const int64_t *seqs, int n);
/* Some client runs a workload whose history `clustersim check` models
 * (kv, counter, queue, lock): what explore's default --check asks. */
int clients_checkable(const struct sim *s);
void clients_free(struct sim *s);

/* A scripted operation from client id (1-based), first sent to node `node`
 * (0: the client's usual choice). ref: a script callback or -1. Returns 0,
 * or -1 with err filled (e.g. too many outstanding operations). */
int client_submit(struct sim *s, int id, const struct request *op, int node, int64_t ref, struct error *err);
int client_up(struct sim *s, int id);
int client_crash(struct sim *s, int id, struct error *err);
int client_restart(struct sim *s, int id, struct error *err);
int client_pause(struct sim *s, int id, sim_time duration, struct error *err);
int client_clock_drift(struct sim *s, int id, int64_t drift_ppb);
int client_clock_step(struct sim *s, int id, sim_time delta);
/* Client id's local clock minus true time, now. */
sim_time client_clock_offset(struct sim *s, int id);
int client_outstanding(const struct sim *s, int id);

/* For workloads written in their own file (sim/client_lock.c): start an
 * operation tagged `tag` on client id, sent to `node` and retried there
 * (0: routed as usual); its completion calls the workload back with the tag.
 * Returns -1 when all of the client's operation slots are busy. */
int client_workload_submit(struct sim *s, int id, const struct request *q, int node, int64_t tag);
/* Call the workload back with `tag` after local_delay of the client's clock
 * (re-planned when that clock drifts or steps, deferred while the client is
 * paused, cancelled when it crashes). One timer per slot: arming a slot
 * replaces what it held. */
#define CLIENT_WORKLOAD_TIMERS 4
void client_workload_timer(struct sim *s, int id, int slot, int64_t tag, sim_time local_delay);
sim_time client_local_time(struct sim *s, int id);
const struct client_cfg *client_cfg_of(struct sim *s, int id);
uint64_t client_random(struct sim *s, int id);
/* The lock workload's per-run state, owned by sim/client_lock.c. */
void **clients_lock_state(struct sim *s);

/* Engine callbacks: return 1 when the event was kept (deferred or re-armed). */
int client_event(struct sim *s, struct event *e);
int client_deliver(struct sim *s, struct event *e);

#endif
