/* The nemesis: a random fault schedule drawn from its own stream of the run
 * seed. Every `interval` (exponentially distributed around it) it picks one
 * of the configured faults, applies it, and undoes it `duration` later.
 * Faults are numbered from 0 in the trace (`nemesis` records); a skipped or
 * limited fault is still drawn, so the remaining ones stay identical — that
 * is what lets `explore --shrink` remove faults one at a time. */
#ifndef SIM_NEMESIS_H
#define SIM_NEMESIS_H

#include "sim/engine.h"

enum nemesis_fault {
    NEM_CRASH = 1, NEM_PAUSE = 2, NEM_PARTITION = 4, NEM_CLOCK = 8, NEM_LOSS = 16, NEM_KILL = 32
};

struct nemesis_cfg {
    unsigned faults;
    sim_time interval;       /* mean time between fault starts */
    sim_time duration;       /* how long each fault lasts */
    sim_time start, stop;    /* true-time window */
    double clock_ms;         /* largest clock step, ms */
    double loss;             /* loss probability during a loss fault */
};

/* Names accepted in faults = {...}; NULL-terminated. */
extern const char *const nemesis_fault_names[];
unsigned nemesis_fault_bit(const char *name);   /* 0 if unknown */
void nemesis_cfg_default(struct nemesis_cfg *c);
void nemesis_start(struct sim *s, const struct nemesis_cfg *cfg);
void nemesis_free(struct sim *s);
int  nemesis_event(struct sim *s, struct event *e);
/* Faults applied so far. */
int  nemesis_count(const struct sim *s);
/* Faults drawn so far (applied or skipped): the next fault's number. */
int  nemesis_drawn(const struct sim *s);

#endif
