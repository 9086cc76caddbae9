/* The nemesis: a random fault schedule drawn from its own stream of the run
 * seed. Every `interval` it picks one of the configured faults, applies it,
 * and undoes it `duration` later. Faults are numbered from 0 in the trace
 * (`nemesis` records); a skipped or limited fault is still drawn, so the
 * remaining ones stay identical — that is what lets `explore --shrink`
 * remove faults one at a time.
 *
 * Two draw schemes. The classic one (plain-number interval and duration,
 * fault names only) is kept draw for draw, so old scenarios replay the same
 * traces. Anything newer (distributions, fault tables with a target or a
 * duration of their own, the new kinds, swarm, max_down) switches to the
 * extended scheme: every fault draws a fixed number of raw values whatever
 * it turns out to be, so skipping a fault never shifts the next one, and
 * targets ("leader", "minority", ...) are resolved from the cluster as it
 * is when the fault starts. */
#ifndef SIM_NEMESIS_H
#define SIM_NEMESIS_H

#include "sim/engine.h"

enum nemesis_fault {
    NEM_CRASH = 1, NEM_PAUSE = 2, NEM_PARTITION = 4, NEM_CLOCK = 8, NEM_LOSS = 16, NEM_KILL = 32,
    NEM_RESTART_FAST = 64, NEM_ISOLATE = 128, NEM_ONE_WAY = 256, NEM_CLOG = 512, NEM_DUPLICATE = 1024,
    NEM_REORDER = 2048, NEM_HOLD = 4096
};
#define NEM_NKINDS 13

enum nemesis_target { TGT_ANY, TGT_LEADER, TGT_FOLLOWER, TGT_MINORITY, TGT_MAJORITY };

/* One entry of faults = {...} in the extended scheme. */
struct nemesis_kind {
    unsigned kind;           /* one enum nemesis_fault bit */
    int target;              /* enum nemesis_target */
    int has_duration;        /* duration below overrides the nemesis-wide one */
    struct dist duration;
    double partial;          /* partition/isolate: chance the heal rejoins only some nodes first */
    double factor;           /* clog: latency multiplier */
};

#define NEM_MAX_KINDS 16

struct nemesis_cfg {
    unsigned faults;         /* classic scheme: the kinds named */
    sim_time interval;       /* classic: mean time between fault starts (exponential) */
    sim_time duration;       /* classic: how long each fault lasts */
    sim_time start, stop;    /* true-time window */
    double clock_ms;         /* largest clock step, ms */
    double loss;             /* loss probability during a loss fault */
    /* extended scheme */
    int extended;
    struct dist interval_d, duration_d;
    struct nemesis_kind kinds[NEM_MAX_KINDS];
    int nkinds;
    int swarm;               /* each seed draws its own subset of kinds and a time scale */
    int max_down;            /* at most this many nodes down or cut off at once; 0: no bound */
    double dup;              /* duplicate probability during a duplicate burst */
};

/* What a run's nemesis did, for explore's coverage. */
struct nemesis_stats {
    int fired[NEM_NKINDS];
    int leader[NEM_NKINDS];  /* of those, how many hit the leader of the moment */
    int limited;             /* drawn but refused by max_down or a busy target */
    char swarm[160];         /* "crash,partition x0.71", or "" without swarm */
};

/* One applied fault, in the order applied: what `shrink` prints in words
 * and writes as explicit sim.at lines. */
struct nemesis_fault_rec {
    int index;
    unsigned kind;
    double at_ms, ms;        /* start (true time) and how long */
    int nodes[16];           /* affected nodes (a partition's cut-off side), 0-terminated */
    int partial;             /* partition/isolate: the heal rejoins the nodes in two steps */
    int dir;                 /* one_way: 0 the node cannot send, 1 cannot receive */
    double value;            /* clock: step in ms; clog: factor; loss/duplicate: probability */
    int menu;                /* 1 + its entry in sim.nemesis{faults = ...}; 0: applied by hand or the simple scheme */
    int target;              /* that entry's target (enum nemesis_target) */
};

/* Names accepted in faults = {...}; NULL-terminated, in bit order. */
extern const char *const nemesis_fault_names[];
extern const char *const nemesis_target_names[];
unsigned nemesis_fault_bit(const char *name);   /* 0 if unknown */
const char *nemesis_kind_name(unsigned bit);
int nemesis_target_code(const char *name);      /* -1 if unknown */
void nemesis_cfg_default(struct nemesis_cfg *c);
void nemesis_start(struct sim *s, const struct nemesis_cfg *cfg);
void nemesis_free(struct sim *s);
int  nemesis_event(struct sim *s, struct event *e);
/* Faults applied so far. */
int  nemesis_count(const struct sim *s);
/* Faults drawn so far (applied or skipped): the next fault's number. */
int  nemesis_drawn(const struct sim *s);
void nemesis_get_stats(const struct sim *s, struct nemesis_stats *st);
/* The applied faults (NULL when none). */
const struct nemesis_fault_rec *nemesis_log(const struct sim *s, int *n);
/* Apply one fault now, as the nemesis would (sim.fault, the shrunk
 * scenario's explicit lines). Returns 0, or -1 with err filled. */
int nemesis_apply(struct sim *s, const struct nemesis_fault_rec *f, struct error *err);
/* "crash node 2 for 41.0 ms" into buf. */
void nemesis_describe(const struct nemesis_fault_rec *f, char *buf, size_t n);

#endif
