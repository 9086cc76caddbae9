/* explore: run one scenario over a range of seeds, in parallel worker
 * processes, and report every failing seed with the command that reproduces
 * it; with --shrink, remove nemesis faults one at a time while the failure
 * persists, to hand back the smallest fault schedule that still fails. */
#ifndef SIM_EXPLORE_H
#define SIM_EXPLORE_H

#include "sim/sim.h"

/* The history check a worker runs: on the trace file when one is kept
 * anyway (--trace-dir), else on the run's records as they are made (a
 * tapped trace: nothing formatted, nothing parsed). Each returns 0 ok,
 * 1 failed, 2 inconclusive, and prints its verdict to stdout. */
struct history_check {
    int (*file)(const char *trace_path);
    void *(*open)(void);
    void (*record)(void *feed, const struct record *r, unsigned long long line);
    int (*close)(void *feed);
};

struct explore_opts {
    struct run_opts run;
    uint64_t seed_lo, seed_hi;
    int seeds_set;
    int jobs;
    int shard_i, shard_n;      /* 1-based shard of n; 0/0: all */
    int shrink;
    const char *json_path;
    const char *trace_dir;     /* keep traces of failing seeds here */
    int max_failures;          /* shrink at most this many failing seeds */
    int stop_after;            /* stop starting seeds after this many failures; 0: never */
    /* --check: the linearizability check of `clustersim check`, run by each
     * worker on its own seed's history (main passes tools/check.c's
     * functions: sim/ does not depend on tools/). */
    const struct history_check *check;
    /* check only when the scenario's clients run a workload the checker
     * models (kv, counter, queue, lock): the default; --check forces it */
    int check_auto;
    const char *shrink_out;
    struct explore_summary *summary;   /* filled at the end when set (the grid's rows) */    /* where shrink writes the standalone scenario (NULL: next to nothing: /tmp) */
};

struct explore_summary {
    size_t runs, passed, failed, inconclusive, errors;
    int nm;
    struct { char name[40]; double mean, p50, p99; } m[32];
};

void explore_opts_default(struct explore_opts *e);
/* -P name=a,b,c (several: a grid): explore every combination, then a table
 * of the algorithm's metrics per combination (explore_sweep.c). Runs plain
 * explore when no -P value lists several. */
int explore_grid(struct explore_opts *e);
int explore(struct explore_opts *e);
/* clustersim shrink: one failing seed, shrunk (explore_shrink.c). */
int explore_shrink_one(struct explore_opts *e, uint64_t seed);

#endif
