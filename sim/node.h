/* The environment a simulated node may use. Everything here is deterministic:
 * time is the node's own local clock, randomness is the node's own stream,
 * the network copies payloads, storage survives crashes. An algorithm that
 * uses only this header could run over real sockets with another
 * implementation of it.
 *
 * Ownership: the engine owns every node, message and request. Pointers handed
 * to callbacks are valid for the duration of the callback only. */
#ifndef SIM_NODE_H
#define SIM_NODE_H

#include <stddef.h>
#include <stdint.h>
#include "sim/time.h"
#include "sim/record.h"

struct node;
struct cluster;
struct dist;
struct config;
struct inspector;

struct error { char msg[512]; };

struct violation {
    char invariant[64];    /* "election_safety" */
    char detail[400];      /* "nodes 1 and 4 both lead term 7" */
};

/* Endpoint ids: nodes are 1..n; client k is -k. */
static inline int endpoint_is_client(int ep) { return ep < 0; }

struct message {
    int src, dst;          /* endpoint ids */
    int type;              /* algorithm's message type, index into msg_names */
    uint64_t id;           /* unique in the run; the trace's "id" */
    const void *payload;
    size_t len;
};

/* A client operation. Plain data: an algorithm may copy it (e.g. into a log
 * entry) and reply later from a copy. */
#define REQ_STR 48
struct request {
    uint64_t id;           /* unique per attempt in the run (trace "id") */
    int client;            /* client number, 1..m */
    uint64_t seq;          /* the client's operation number; retries of one operation keep it */
    char op[16];           /* "get", "put", "cas", "acquire", "release", "write", ... */
    char key[REQ_STR];
    char value[REQ_STR];
    char expect[REQ_STR];  /* cas: expected value */
    int64_t num;           /* op-specific number: ttl_ms for acquire, token for write, ... */
};

enum result_status {
    RESULT_OK = 0,         /* done; value holds the answer */
    RESULT_FAIL,           /* definitely not done (e.g. cas mismatch, lock busy) */
    RESULT_REDIRECT,       /* not done here; try node `leader` (0: unknown) */
    RESULT_UNKNOWN         /* may or may not have happened (the client records "info") */
};

struct result {
    enum result_status status;
    int leader;            /* redirect hint, 0 when unknown */
    int64_t num;           /* op-specific number (fencing token, ...) */
    char value[REQ_STR];   /* read value; "" with found = 0 for a missing key */
    int found;
    char error[REQ_STR];   /* short reason for FAIL ("cas mismatch", "not leader") */
    int server;            /* a proxy's backend that served it (the reply's "server"), 0: none */
};

/* ---- identity and time ---- */
int      node_id(const struct node *n);          /* 1..n */
int      node_count(const struct node *n);       /* highest node id in the configuration */
int      node_is_member(const struct node *n, int id); /* id currently in the configuration */
/* Leave the cluster at the end of this event (algorithms with
 * membership_by_log, after c:remove_node asked): the node stops and its id
 * is no longer a member. */
void     node_leave(struct node *n);
sim_time node_now(const struct node *n);         /* local clock (drift and steps apply) */
uint64_t node_random(struct node *n);            /* the node's own stream */
uint64_t node_random_below(struct node *n, uint64_t bound);
int64_t  node_random_range(struct node *n, int64_t lo, int64_t hi);
double   node_random_double(struct node *n);
/* One draw of d (a struct dist from sim/rng.h) from the node's stream, ns, never negative. */
sim_time node_random_dist(struct node *n, const struct dist *d);

void       *node_state(struct node *n);          /* volatile state, state_size bytes */
const void *node_state_const(const struct node *n);
const void *node_params(const struct node *n);   /* the cluster's configured options */
/* Checker-only state shared by all nodes of the cluster: node code may WRITE
 * observations here (what it committed, which lock it granted) for `check`,
 * but must never read it to make a decision. */
void       *node_ghost(struct node *n);
/* Ask for `check` at the end of the current event even when --check-every
 * would skip it: a ghost that queues observations for its next check calls
 * this when the queue is long, so its memory does not grow with N. */
void        node_check_soon(struct node *n);
/* The algorithm's per-cluster configuration (shared_size bytes, zeroed):
 * what every node of a real deployment would hold identically, such as a
 * placement table derived from the membership. Kept once instead of per
 * node so 10,000 nodes need not hold 10,000 copies; node code may build
 * it from the configuration it has been told and read it, nothing more. */
void       *node_shared(struct node *n);

/* For ghost bookkeeping only (what check() and metrics() need, such as how
 * long after a real crash a detector noticed): the omniscient view and true
 * time. Node logic must never branch on these. */
const struct cluster *node_checker_view(const struct node *n);

/* ---- network ---- */
/* Send a copy of payload to dst (a node or a client endpoint). Returns the message id. */
uint64_t node_send(struct node *n, int dst, int type, const void *payload, size_t len);

/* ---- timers: durations in local clock time; re-arming an id replaces it ---- */
#define NODE_MAX_TIMERS 16
void node_timer(struct node *n, int timer_id, sim_time duration);
void node_cancel(struct node *n, int timer_id);
int  node_timer_armed(const struct node *n, int timer_id);

/* ---- durable storage: survives crashes; unsynced writes may be lost on a
 * crash when the scenario asks (sim.cluster{lose_unsynced = true}) ---- */
int         node_store_put(struct node *n, const char *key, const void *data, size_t len);
const void *node_store_get(const struct node *n, const char *key, size_t *len);
int         node_store_del(struct node *n, const char *key);
void        node_store_sync(struct node *n);
/* Durable writes that take time (sim.cluster{disk = dist}, c:disk): begin a
 * sync of everything written so far and get its ticket; the algorithm's
 * on_sync(n, ticket) runs when the disk is done (a drawn delay later, one
 * flush at a time, later writes joining the next flush). Without a disk
 * model the sync is done before this returns, no callback follows, and
 * node_store_synced(n, ticket) is already true. */
uint64_t    node_store_sync_begin(struct node *n);
int         node_store_synced(const struct node *n, uint64_t ticket);

/* ---- clients ---- */
void node_reply(struct node *n, const struct request *req, const struct result *res);

/* ---- trace notes: role changes, commits, lock grants ... ----
 * node_note_begin returns a record stamped with the true time and "node";
 * add fields, then node_note_end emits it (trace and Lua hooks).
 * When neither the trace level nor a hook wants it, begin returns NULL and the
 * helpers accept NULL, so a disabled note costs one branch. */
struct record *node_note_begin(struct node *n, const char *type, int state_change);
void node_note_end(struct node *n, struct record *r);

/* ---- seeded bugs ---- */
int node_bug(const struct node *n, const char *name);   /* cheap: read once into params */

/* ---- the omniscient view for check() and leader() ---- */
int         cluster_size(const struct cluster *c);      /* highest node id */
int         cluster_node_up(const struct cluster *c, int id);   /* member, not crashed */
int         cluster_node_paused(const struct cluster *c, int id);
const void *cluster_node_state(const struct cluster *c, int id); /* NULL when crashed */
const void *cluster_params(const struct cluster *c);
const void *cluster_shared(const struct cluster *c);  /* see node_shared */
void       *cluster_ghost(const struct cluster *c);
sim_time    cluster_true_now(const struct cluster *c);
/* True time node id last crashed, or -1 while it has never crashed or is up. */
sim_time    cluster_node_down_since(const struct cluster *c, int id);
/* Durable store of any node (for checkers). */
const void *cluster_store_get(const struct cluster *c, int id, const char *key, size_t *len);
/* Coverage: a checker counts each evaluation of one of its invariants, so
 * explore's summary can tell an invariant that held from one never tested.
 * Use CHECK_EVALUATED(c, "election_safety") with a string literal: the
 * call site's static slot makes every count after the first an increment.
 * CHECK_EVALUATED_N counts n evaluations at once (a batch of messages). */
void        cluster_invariant_evaluated(const struct cluster *c, int *slot, const char *name, uint64_t n);
#define CHECK_EVALUATED_N(c, name, n) \
    do { static int inv_slot_ = -1; cluster_invariant_evaluated((c), &inv_slot_, (name), (n)); } while (0)
#define CHECK_EVALUATED(c, name) CHECK_EVALUATED_N(c, name, 1)

/* ---- option view (configure) ----
 * Each reader marks the option as known; after configure() the engine reports
 * any option the script gave that no reader asked for, naming it and listing
 * the known ones. Each returns 0, or -1 with err naming the option. */
int config_int(struct config *c, const char *name, int64_t def, int64_t lo, int64_t hi,
               int64_t *out, struct error *err);
int config_double(struct config *c, const char *name, double def, double lo, double hi,
                  double *out, struct error *err);
int config_ms(struct config *c, const char *name, double def_ms, double lo_ms, double hi_ms,
              sim_time *out, struct error *err);
int config_bool(struct config *c, const char *name, int def, int *out, struct error *err);
/* choices: NULL-terminated list; the value must be one of them; *out = its index. */
int config_choice(struct config *c, const char *name, const char *const *choices, int def,
                  int *out, struct error *err);
/* A range of two numbers in ms, {min, max} with min <= max (a single number means {x, x}). */
int config_range_ms(struct config *c, const char *name, double def_lo, double def_hi,
                    sim_time out[2], struct error *err);
/* A distribution of times in ms (sim.exponential(10), ...; a number means a
 * constant); def is the default. */
int config_dist(struct config *c, const char *name, const struct dist *def, struct dist *out,
                struct error *err);
/* A list of numbers in [lo, hi] ({1, 1, 0.5}): *out points into the config
 * (valid until configure returns; copy it), *n its length; absent: *n = 0. */
int config_list(struct config *c, const char *name, double lo, double hi, const double **out, int *n,
                struct error *err);
int config_nodes(const struct config *c);        /* cluster size at configure time */
int config_bug(const struct config *c, const char *name);   /* --bug NAME given */

/* ---- inspect(): the node's state for c:state(i) and the trace ---- */
void inspect_int(struct inspector *in, const char *name, int64_t v);
void inspect_num(struct inspector *in, const char *name, double v);
void inspect_str(struct inspector *in, const char *name, const char *v);
void inspect_bool(struct inspector *in, const char *name, int v);

#endif
