/* The nemesis's internals, shared by nemesis.c (the classic scheme, the
 * event entry) and nemesis_ext.c (the extended scheme). */
#ifndef SIM_NEMESIS_INT_H
#define SIM_NEMESIS_INT_H

#include "sim/nemesis.h"

/* A fault in progress (extended scheme): what its end must undo. */
struct active {
    struct nemesis_fault_rec f;
    int nnodes;
    int phase;                       /* partition with a partial heal: 1 after the first step */
    sim_time end;
    struct link_override *saved;     /* clog/hold: the links' overrides before */
    int *saved_had;                  /* 1 where the link had an override entry before */
    int nsaved;
};

struct nemesis {
    struct nemesis_cfg cfg;
    struct rng rng;
    int drawn;              /* faults drawn so far (the fault number) */
    int applied;
    int drawn_applied;       /* of those, the ones the nemesis drew (not sim.fault's): what nemesis_max bounds */
    double saved_loss;
    int loss_active;         /* loss faults in progress */
    int partitions_active;   /* partition faults in progress */
    /* extended scheme */
    double scale;            /* swarm: multiplies intervals and durations */
    unsigned swarm_on;       /* swarm: which kinds[] entries this seed uses (bit i: kinds[i]) */
    struct active **act;     /* faults in progress; a slot is reused once free */
    int nact, act_cap;
    double saved_dup;
    int dup_active;
    struct dist saved_latency;
    int saved_fifo, reorder_active;
    struct nemesis_stats st;
    struct nemesis_fault_rec *log;
    int nlog, log_cap;
};

enum { NEV_START = 0, NEV_END = 1, NEV_END2 = 2, NEV_TICK = 3 };

void nemesis_arm(struct sim *s, int kind, int64_t aux2, sim_time at);
int  nemesis_skipped(struct sim *s, int index);
void nemesis_note(struct sim *s, int index, const char *fault, const char *phase, int node);
struct nemesis *nemesis_get(struct sim *s);
void nemesis_log_add(struct sim *s, struct nemesis *nm, const struct nemesis_fault_rec *f);
void nemesis_draw_swarm(struct sim *s, struct nemesis *nm);
void nemesis_start_ext(struct sim *s, struct nemesis *nm);
void nemesis_end_ext(struct sim *s, struct nemesis *nm, int slot);
void nemesis_tick_ext(struct sim *s, struct nemesis *nm, int slot);

#endif
