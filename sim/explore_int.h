/* explore's internals, shared by the sweep (explore.c) and the shrinker
 * (explore_shrink.c): the worker's report and how to run one seed. */
#ifndef SIM_EXPLORE_INT_H
#define SIM_EXPLORE_INT_H

#include "sim/explore.h"
#include "sim/nemesis.h"

#define EX_MAX_METRICS 32
#define EX_MAX_LOG 128
#define EX_MAX_INV 48

struct ex_metric { char name[40]; double v; };
struct ex_inv { char name[40]; uint64_t n; };    /* an invariant and its evaluations */

/* What a worker sends back through its pipe (well under a pipe's 64 KiB,
 * so the worker never blocks on a parent that reads after waitpid). */
struct child_report {
    int faults, drawn;
    int checkable;             /* the clients' history is one the checker models */
    double violation_at_ms;
    char invariant[64];        /* the broken invariant, "" if none */
    struct nemesis_stats st;
    int nmetrics;
    struct ex_metric metrics[EX_MAX_METRICS];
    int ninv;
    struct ex_inv inv[EX_MAX_INV];
    int nlog;                  /* applied faults, the first EX_MAX_LOG */
    struct nemesis_fault_rec log[EX_MAX_LOG];
};

struct seed_result {
    uint64_t seed;
    int exit_code;
    struct child_report rep;
    char first_line[300];
};

/* Run one seed in a worker and wait for it; 0, or -1 if none could start.
 * `o` is the run as it should go (seed, bugs, skips); `tmp` the directory
 * for its stderr. */
int ex_run_one(const struct run_opts *o, const char *tmp, struct seed_result *r);
void ex_json_str(FILE *f, const char *s);
/* Shrink one failing seed: print the kept faults, write a standalone
 * scenario, add an entry to json's "shrunk" list (explore_shrink.c). */
void explore_shrink_seed(const struct explore_opts *e, const struct seed_result *failed, const char *tmp, FILE *out,
                         FILE *json, int *first_json);
/* The reproduce command for o into buf ("clustersim run ..."). */
void ex_repro_string(const struct run_opts *o, char *buf, size_t n);

#endif
