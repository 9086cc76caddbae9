/* The entry points the CLI (main.c) uses: run one scenario, run many seeds,
 * run the benchmark. Only lua_api.c knows Lua. */
#ifndef SIM_SIM_H
#define SIM_SIM_H

#include <stddef.h>
#include <stdio.h>
#include <stdint.h>

struct record;

struct run_opts {
    const char *scenario;
    uint64_t seed;
    const char *trace_path;      /* NULL: no trace */
    int trace_level;             /* enum trace_level */
    const char *const *bugs;
    int nbugs;
    char *const *params;         /* "name=value" */
    int nparams;
    char *const *args;           /* after -- */
    int nargs;
    uint64_t lua_budget;         /* instructions per entry into the script */
    size_t lua_memory;           /* bytes */
    uint64_t check_every;
    uint64_t max_sim_events;     /* 0: no limit */
    int help;                    /* list the scenario's parameters and stop */
    int quiet;                   /* no summary line, no repro line (explore children) */
    const int *nemesis_skip;
    int nnemesis_skip;
    const int *nemesis_only;     /* apply only these faults (a shrunk schedule) */
    int nnemesis_only;
    int nemesis_limit;           /* < 0: none */
    /* Re-drawn schedules (the shrinker's search for a small one): a
     * nemesis stream other than the seed's own (0: its own), only these
     * entries of its fault list (bit i: entry i; 0: all, or the swarm's
     * draw), gaps between faults multiplied by nemesis_sparse (0: 1), and
     * no fault applied once nemesis_max have been (< 0: no limit). */
    uint64_t nemesis_redraw;
    unsigned nemesis_menu;
    double nemesis_sparse;
    int nemesis_max;
    const char *repro_prefix;    /* how to spell the command in the repro line */
    /* Called once at the end of the run, before the simulation is freed
     * (explore's workers read the nemesis's record and the algorithm's
     * metrics there); the argument is the struct sim. May be NULL. */
    void (*on_end)(void *ctx, void *sim);
    void *on_end_ctx;
    /* Without trace_path: the records a trace at trace_level would hold go
     * to this tap instead (sim/trace.h), unformatted; the run is otherwise
     * the one a trace file would record. May be NULL. */
    void (*trace_tap)(void *ctx, const struct record *r, unsigned long long line);
    void *trace_tap_ctx;
    /* outputs */
    double violation_at_ms;
    int faults_applied;
    int faults_drawn;
};

#define DEFAULT_LUA_BUDGET 200000000ULL
#define DEFAULT_LUA_MEMORY ((size_t)512 << 20)

void run_opts_default(struct run_opts *o);
/* Run a scenario; returns the process exit code. */
int run_scenario(struct run_opts *o);
/* Print the one command that reproduces this run. */
void print_repro(FILE *f, const struct run_opts *o);

#endif
