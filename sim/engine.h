/* The engine's internals, shared by the files of sim/ (the event loop, the
 * Lua binding, clients, nemesis, CLI). Algorithms never include this: they
 * see sim/node.h only.
 *
 * Ownership: a `struct sim` owns everything of one run: the queue and its
 * event pool, the message pool, every node (and its state and store), the
 * clients, the nemesis, the trace. sim_new / sim_free. */
#ifndef SIM_ENGINE_H
#define SIM_ENGINE_H

#include <signal.h>
#include <stdint.h>
#include "algorithms/algorithm.h"
#include "sim/clock.h"
#include "sim/net.h"
#include "sim/queue.h"
#include "sim/rng.h"
#include "sim/store.h"
#include "sim/trace.h"

#define CLUSTERSIM_VERSION "0.1.0"
#define TRACE_SCHEMA 1

/* Exit codes (DESIGN.md). */
enum {
    EXIT_OK = 0, EXIT_FAILED = 1, EXIT_INCONCLUSIVE = 2, EXIT_USAGE = 64,
    EXIT_SCRIPT = 65, EXIT_NOINPUT = 66, EXIT_INTERNAL = 70, EXIT_IOERR = 74,
    EXIT_INTERRUPTED = 130     /* 128 + SIGINT, as shells report it */
};

/* Engine-level message types (algorithm types are >= 0). */
enum { MSG_REQUEST = -1, MSG_REPLY = -2 };

struct msg {
    int src, dst, type;
    uint64_t id;
    sim_time sent_at;
    size_t len, cap;
    unsigned char *data;
    struct msg *next_free;
};

struct reply_payload {
    uint64_t req_id;
    uint64_t seq;
    int from;
    struct result res;
};

struct node {
    struct sim *sim;
    int id;
    int member;              /* in the configuration (remove_node clears it) */
    int up;                  /* not crashed */
    int paused;
    struct event *resume_ev;
    struct event *deferred_head, *deferred_tail;
    struct event *timers[NODE_MAX_TIMERS];
    struct sclock clock;
    struct rng rng;
    void *state;
    struct store store;
    uint64_t restarts;
    sim_time down_since;     /* true time of the last crash */
    /* The disk (sim.cluster{disk =}, c:disk): a sync takes a drawn time.
     * One flush at a time; writes that arrive meanwhile go in the next. */
    struct dist disk;
    int has_disk;
    struct rng disk_rng;
    struct event *sync_ev;   /* the flush in progress */
    uint64_t sync_req, sync_done;   /* tickets asked for, completed (volatile) */
    int leaving;             /* c:remove_node asked; node_leave not yet called */
    int leave_now;           /* node_leave called during this event */
};

struct cluster { struct sim *sim; };

/* Invariant names in the order checkers first evaluated them (process-wide:
 * a name's slot is fixed once taken; see cluster_invariant_evaluated). */
#define SIM_MAX_INVARIANTS 64
extern const char *sim_invariant_names[SIM_MAX_INVARIANTS];
extern int sim_ninvariants;

struct inspector {
    void *ctx;
    void (*put_int)(void *ctx, const char *name, int64_t v);
    void (*put_num)(void *ctx, const char *name, double v);
    void (*put_str)(void *ctx, const char *name, const char *v);
    void (*put_bool)(void *ctx, const char *name, int v);
};

/* Config entries filled by the binding layer from the scenario's table. */
enum config_type { CONFIG_NUM, CONFIG_STR, CONFIG_BOOL, CONFIG_RANGE, CONFIG_DIST, CONFIG_LIST };
struct config_entry {
    char *name;
    enum config_type type;
    double num, range[2];
    char *str;
    struct dist dist;        /* CONFIG_DIST: sim.exponential(10), ... */
    double *list;            /* CONFIG_LIST, and CONFIG_RANGE (two numbers): owned, freed by config_free */
    int nlist;
    int used;
};
/* One option as an algorithm reads it, for `clustersim options`: the
 * table in the docs is this, generated, so it cannot go stale. */
struct config_doc {
    char name[32];
    char kind[32];          /* "ms", "number", "whole number", "boolean", "string", "range of ms" */
    char def[48];
    char accepts[160];
};

struct config {
    struct config_entry *e;
    int n;
    struct config_doc *doc;  /* when set (cap ndoc_cap), each reader describes its option here */
    int ndoc, ndoc_cap;
    const char *asked[64];   /* names readers asked for, for "known options" */
    int nasked;
    int nodes;
    const char *const *bugs;
    int nbugs;
};

/* Hooks into the scripting layer (lua_api.c). */
struct sim_hooks {
    void *ctx;
    /* A scripted action is due. Returns 0, or -1 when the script failed
     * (the run is then stopped with STOP_ERROR). */
    int (*action)(void *ctx, struct sim *s, struct event *ev);
    /* Does some sim.on hook want records of this type? */
    int (*wants)(void *ctx, const char *type);
    /* Release what an EV_ACTION event holds (a Lua reference). */
    void (*release)(void *ctx, struct event *ev);
    /* Run the hooks and callbacks queued during the event that just ended.
     * They never run inside node code: a hook may crash the very node whose
     * note it is reading. */
    void (*flush)(void *ctx, struct sim *s);
};

/* Records and callbacks waiting for the end of the current event. */
struct pending_hook { struct record r; int64_t ref; /* callback ref, or -1: sim.on hooks */ };
struct pending_hooks { struct pending_hook *v; size_t len, cap; };

/* A run's size limits: node and client numbers beyond these are refused,
 * so every id a trace carries fits the tools' tables. */
#define SIM_MAX_NODES 100000
#define SIM_MAX_CLIENTS 100000

enum stop_reason { STOP_NONE = 0, STOP_VIOLATION, STOP_ERROR, STOP_ASSERT, STOP_LIMIT, STOP_INTERRUPT, STOP_IOERR };

/* Set by the SIGINT/SIGTERM handler (main.c): the loop stops at the next
 * event boundary so the trace still ends with an end record. */
extern volatile sig_atomic_t sim_interrupted;

struct latency_log { double *ms; size_t len, cap, sorted; };   /* ms[0..sorted) in order */

struct metrics {
    uint64_t events, sent, delivered, dropped, duplicated, timers_fired;
    uint64_t dropped_by[DROP_REMOVED + 1];
    uint64_t ops_invoked, ops_ok, ops_fail, ops_info, ops_retries, ops_rejected;
    struct latency_log latency;  /* completed ok operations, ms */
    uint64_t checks;
};

struct clients;
struct nemesis;

struct sim {
    uint64_t seed;
    sim_time now;
    struct queue q;
    struct net net;
    struct rng net_rng;

    const struct algorithm *alg;
    void *params;
    void *ghost;
    void *shared;            /* the algorithm's per-cluster configuration (shared_size) */
    struct node **nodes;     /* index 1..nnodes; [0] unused */
    int nnodes, nodes_cap;
    struct cluster cluster;
    int lose_unsynced;
    int leaves;              /* some node called node_leave during this event */
    struct dist disk;        /* sim.cluster{disk =}: the default for nodes */
    int has_disk;

    struct msg *msg_free;
    struct msg **msg_blocks;
    size_t nmsg_blocks, msg_blocks_cap;
    uint64_t next_msg_id;
    uint64_t next_req_id;

    struct trace trace;
    int trace_open;
    int trace_level;
    int header_written;
    char *preheader;         /* records emitted before sim.cluster, written after the header */
    size_t preheader_len, preheader_cap;
    int want_send, want_recv, want_drop;   /* trace or hook wants them: one branch each */
    char **msg_json;         /* message names as JSON strings, built on first use */
    int nmsg_json;
    struct record note;
    int note_open;

    uint64_t check_every, since_check;
    int check_due;               /* node_check_soon: check after this event */
    uint64_t max_events;     /* stop the run after this many events; 0: no limit */
    enum stop_reason stop;
    struct violation violation;
    uint64_t violations;
    uint64_t inv_evaluated[SIM_MAX_INVARIANTS];  /* by slot of sim_invariant_names */

    const char *const *bugs;
    int nbugs;

    struct clients *clients;
    struct nemesis *nemesis;
    struct sim_hooks hooks;
    struct pending_hooks pending;
    struct metrics m;

    /* nemesis shrinking (explore --shrink): faults drawn but not applied */
    const int *nemesis_skip;
    int nnemesis_skip;
    const int *nemesis_only;     /* when set, every fault not listed is skipped */
    int nnemesis_only;
    int nemesis_limit;       /* apply at most this many faults; < 0: no limit */
    uint64_t nemesis_redraw;  /* a re-drawn schedule: see run_opts (sim/sim.h) */
    unsigned nemesis_menu;
    double nemesis_sparse;
    int nemesis_max;

    /* header fields */
    const char *scenario;
    char *params_json;       /* effective script parameters, as a JSON object */
    int in_node;             /* inside a node callback (asserts re-entrancy) */
};

struct sim *sim_new(uint64_t seed);
void sim_free(struct sim *s);
/* Create the cluster and start every node. Returns 0, or -1 with err
 * filled. The caller keeps and frees cfg. */
int sim_cluster(struct sim *s, const struct algorithm *alg, int nodes, struct config *cfg,
                struct error *err);
/* Run events with time <= until (then now = until, unless stopped). */
void sim_run(struct sim *s, sim_time until);
/* Run one event if any is due at or before `until`; returns 0 when none. */
int sim_step(struct sim *s, sim_time until);

/* Faults and changes, callable from the script or the nemesis. Each returns
 * 0 or -1 with err filled (a user mistake, e.g. crashing a crashed node). */
int sim_crash(struct sim *s, int id, struct error *err);
int sim_restart(struct sim *s, int id, struct error *err);
int sim_pause(struct sim *s, int id, sim_time duration, struct error *err); /* duration < 0: until resume */
int sim_resume(struct sim *s, int id, struct error *err);
int sim_clock_drift(struct sim *s, int id, int64_t drift_ppb);
int sim_clock_step(struct sim *s, int id, sim_time delta);
int sim_clock_offset(struct sim *s, int id, sim_time offset);
int sim_add_node(struct sim *s, struct error *err);  /* returns the new id, or -1 */
int sim_remove_node(struct sim *s, int id, struct error *err);
/* Ask the current leader to hand leadership to `to` (algorithms that support it). */
int sim_transfer_leadership(struct sim *s, int to, struct error *err);
/* Node id's disk model (d NULL: syncs are instant again); id 0: every node. */
int sim_disk(struct sim *s, int id, const struct dist *d, struct error *err);
void sim_partition(struct sim *s, int ngroups, const int *const *groups, const int *counts);
void sim_block(struct sim *s, int src, int dst);
void sim_heal(struct sim *s);
/* Re-plan the timers of node id after its clock changed. */
void sim_replan_timers(struct sim *s, struct node *n);

/* Schedule a scripted action at true time `at`. */
struct event *sim_schedule_action(struct sim *s, sim_time at, int64_t ref, sim_time period);

/* Trace and hooks. */
int  sim_wants(struct sim *s, const char *type, int level);
void sim_emit(struct sim *s, const struct record *r, int level);
void sim_write_header(struct sim *s);
void sim_violation(struct sim *s, const struct violation *v);
/* Write the end record with the given status. */
void sim_write_end(struct sim *s, const char *status);
/* Queue a record for the script's hooks (ref < 0) or for one callback. */
void sim_queue_hook(struct sim *s, const struct record *r, int64_t ref);

/* Messages (also used by clients). */
uint64_t sim_send(struct sim *s, int src, int dst, int type, const void *payload, size_t len);
struct node *sim_node(struct sim *s, int id);   /* NULL if out of range */
const char *sim_msg_name(const struct sim *s, int type);
void sim_inspect(const struct sim *s, int id, struct inspector *in);

int latency_log_add(struct latency_log *l, double ms);
/* NaN when empty. Sorts the log in place (the new tail, then a merge), so
 * a script that asks every so often does not re-sort the whole history. */
double latency_percentile(struct latency_log *l, double p);

/* Config (config.c). */
void config_init(struct config *c);
void config_free(struct config *c);
struct config_entry *config_add(struct config *c, const char *name);
/* After configure: the first option nobody asked for, or NULL. */
const char *config_unknown(const struct config *c);
/* Comma-separated asked names, into buf. */
void config_known(const struct config *c, char *buf, size_t n);

#endif
