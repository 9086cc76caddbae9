/* Internals of the load-balancing family (lb.c, lb_policy.c, lb_check.c).
 *
 * Nodes 1..S are servers, S+1..S+B balancers (S = nodes - balancers).
 * A client sends each request to a balancer (algorithm.route: client k to
 * balancer (k - 1 + attempt) mod B); the balancer picks a server by its
 * policy and forwards the request, the server queues it (FIFO, `concurrency`
 * workers) and answers the balancer, which answers the client: a proxy, so
 * the balancer sees every completion (least connections and peak EWMA need
 * that).
 *
 * Ownership: every pointer in a node's state is owned by that state and
 * freed by lb_state_free (on crash and at exit); the ghost's arrays by
 * lb_ghost_free. */
#ifndef ALGORITHMS_LB_INT_H
#define ALGORITHMS_LB_INT_H

#include <stdint.h>

#include "algorithms/algorithm.h"
#include "algorithms/hash_place.h"
#include "algorithms/hb_detect.h"
#include "sim/rng.h"

enum lb_policy {
    LB_ROUND_ROBIN = 0, LB_RANDOM, LB_WRR, LB_LEAST_CONN, LB_POWER_OF_D, LB_CONSISTENT_HASH, LB_PEAK_EWMA
};
extern const char *const lb_policy_names[];
enum { LB_HEALTH_NONE = 0, LB_HEALTH_FIXED, LB_HEALTH_PHI };

enum { LB_MSG_FORWARD = 0, LB_MSG_RESPONSE, LB_MSG_REPORT, LB_MSG_HEARTBEAT, LB_MSG_COUNT };
enum { LB_T_SERVICE = 0, LB_T_REPORT, LB_T_HEARTBEAT, LB_T_CHECK, LB_T_TIMEOUT };

#define LB_MAX_LIST 4096          /* speeds and weights: entries in the params */
#define LB_MAX_CONCURRENCY 1024
#define LB_LEVELS 32              /* queue-length distribution: P(queue >= i), i = 1..LB_LEVELS */
#define LB_HIST_BUCKETS 2400      /* latency histogram: 1 % wide log buckets from 1 us */

struct lb_params {
    int servers, balancers;
    int policy;
    int d;
    struct dist service;
    int concurrency;
    sim_time report_interval;     /* 0: the balancer's own counts (exact) */
    sim_time decay;               /* peak EWMA time constant */
    int health;                   /* LB_HEALTH_* */
    sim_time heartbeat;
    struct hb_params hb;
    int retries;
    sim_time attempt_timeout;     /* 0: wait for the server (or its suspicion) for ever */
    sim_time warmup;              /* true time before which nothing is measured */
    struct hash_opts hash;
    int nspeeds, nweights;        /* 0: all 1 */
    double speed[LB_MAX_LIST];
    double weight[LB_MAX_LIST];
};

/* ---- messages ---- */
struct lb_forward { uint64_t tag; };
struct lb_response { uint64_t tag; int server; };
struct lb_report { int load; };
struct lb_heartbeat { uint64_t seq; };

/* ---- a server ---- */
struct lb_job { uint64_t tag; int balancer; sim_time arrived_true; };

struct lb_server {
    struct lb_job *q;             /* waiting jobs, ring of qcap */
    int qcap, qhead, qlen;
    struct lb_job *work;          /* concurrency workers; */
    sim_time *end;                /* local end of each worker's job, -1 idle */
    int busy;
    uint64_t served, hb_seq;
};

/* ---- a balancer ---- */
struct lb_pend {                  /* a request in flight at this balancer */
    uint32_t gen;
    int live;
    int server;                   /* 1..S */
    int attempts;
    int next_free;
    sim_time sent_local;          /* for the latency peak EWMA observes */
    sim_time arrived_true;        /* ghost bookkeeping only: latency */
    struct request req;
};

/* Healthy servers kept in load order: order[0..nh) holds them sorted by
 * key[] in contiguous runs, run l starting at first[l]. A key changes by one
 * in O(1) (swap with the run's edge); the least loaded are order[0..first[min+1]),
 * a uniformly random healthy server is order[random below nh]. */
struct lb_lset {
    int *order, *pos, *key;       /* pos and key by server id */
    int *first;                   /* first[l], l = 0..cap-1; entries past the top run hold nh */
    int cap, nh, top;             /* top: the highest key in use */
};

struct lb_view {                  /* what this balancer knows of one server */
    int outstanding;              /* its own requests in flight there */
    int reported;                 /* the last report (report_interval > 0) */
    int healthy;
    double cost;                  /* peak EWMA of latency, ns */
    sim_time stamp;               /* local time of the last EWMA update */
    double current;               /* smooth WRR */
};

struct lb_balancer {
    struct lb_view *v;            /* [1..S] */
    struct lb_lset ls;
    struct lb_pend *pend;
    int npend, cappend, free_head;
    int rr_next;
    struct hb_mon *mons;          /* [1..S] when health checks are on */
    sim_time armed_at;
    struct hash_place place;      /* consistent_hash: over the healthy servers */
    int place_built, place_dirty;
    int suspected;
    uint32_t incarnation;         /* starts since the beginning (durable), in every tag */
    struct lb_deadline { uint64_t tag; sim_time at; } *dl;   /* attempt timeouts, FIFO (one timeout: sent order) */
    int dlcap, dlhead, dllen;
    int *chosen;                  /* power_of_d, peak_ewma: d sampled positions */
    uint32_t *mark, epoch;        /* Floyd's sampling: position taken in this pick */
};

struct lb_state {
    int is_server;
    struct lb_server s;
    struct lb_balancer b;
};

/* ---- the ghost: checker observations and metrics (true time) ---- */
struct lb_ghost {
    int servers, balancers, concurrency;
    sim_time warmup;
    uint64_t arrived, ok, failed, retried, late, lost, lost_balancer, dropped, reports, timeouts;
    /* at most one answer per request attempt id */
    uint8_t *answered;
    uint64_t cap_answered;
    char violation[64];
    char detail[400];
    /* per server, [1..S] */
    int *insys, *busy;
    sim_time *busy_last;
    double *busy_area;            /* ns, from warmup on */
    uint64_t *served;
    sim_time *last_start_arrival; /* FIFO: arrival of the last job that began service */
    /* P(queue >= i): servers with >= i in system, and their time integral */
    int cnt_ge[LB_LEVELS + 1];
    sim_time level_last[LB_LEVELS + 1];
    double level_area[LB_LEVELS + 1];    /* server-ns from warmup on */
    double level_area_all[LB_LEVELS + 1];/* server-ns from 0, for scripts that difference snapshots */
    int64_t total_insys;          /* requests at all servers */
    sim_time sys_last;
    double sys_area, sys_area_all;/* their time integral, from warmup and from 0 */
    uint64_t audits;              /* checks so far: a full balancer audit every so many */
    /* latency of requests that arrived after warmup */
    uint64_t lat_hist[LB_HIST_BUCKETS];
    uint64_t lat_n;
    double lat_sum, lat_max;
    double lat_sum_all;           /* all completions, for differencing */
    uint64_t lat_n_all;
    /* batch means for a confidence interval: nb batches of bs samples */
    double batch[64];
    int nb;
    uint64_t bs, in_batch;
    double batch_acc;
    /* nodes whose state changed since the last check */
    int dirty[64];
    int ndirty, dirty_all;
};

/* lb.c */
const struct lb_params *lb_prm(const struct node *n);
void lb_dirty(struct node *n);

/* lb_policy.c: the balancer's view and the seven policies */
void lb_view_init(struct node *n, struct lb_balancer *b, const struct lb_params *p);
void lb_view_free(struct lb_balancer *b);
/* The server for req, or 0 when no server is healthy. `avoid` (0: none) is
 * skipped when another choice exists (a retry). */
int lb_pick(struct node *n, struct lb_balancer *b, const struct request *req, int avoid);
/* A request was sent to / came back from server s (rtt in local ns, -1: none). */
void lb_sent(struct node *n, struct lb_balancer *b, int s);
void lb_done(struct node *n, struct lb_balancer *b, int s, sim_time rtt);
void lb_reported(struct node *n, struct lb_balancer *b, int s, int load);
void lb_set_healthy(struct node *n, struct lb_balancer *b, int s, int healthy);
/* Consistency of the load-ordered set around server s (for check). */
int lb_lset_ok(const struct lb_lset *ls, int s, char *why, size_t n);

/* lb_check.c: ghost observations, check, metrics */
void lb_ghost_init(void *ghost, const void *params, int nodes);
void lb_ghost_free(void *ghost);
void lb_g_insys(struct node *n, int server, int delta);
void lb_g_busy(struct node *n, int server, int delta);
void lb_g_start(struct node *n, int server, sim_time arrived_true);
void lb_g_answer(struct node *n, const struct request *req, int ok, sim_time arrived_true);
void lb_g_lost_at(struct node *n, int server);
int  lb_check(const struct cluster *c, struct violation *v);
void lb_metrics(const struct cluster *c, struct inspector *in);

#endif
