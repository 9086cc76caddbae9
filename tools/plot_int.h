/* tools/plot_int.h: what the parts of `clustersim plot` share (internal).
 *
 * plot.c holds the command line, the data files, the trace reading and the
 * kinds drawn from client operations and counters (latency, cdf, commit,
 * load, elections); plot_lanes.c the two kinds drawn on one lane per node
 * (timeline, messages). Nothing outside tools/plot*.c and the plot fuzz
 * target includes this header. */
#ifndef TOOLS_PLOT_INT_H
#define TOOLS_PLOT_INT_H

#include "tools/trace_read.h"

#include <limits.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define PROG "plot"
#define US_PER_MS 1000.0
#define NO_TIME INT64_MAX

/* Ids read from a trace index tables (lanes, per-node files), so every one
 * is checked against these before use (plot_read_trace). The engine caps a
 * cluster and a client set at 100,000 (sim.cluster's nodes, sim.clients'
 * count), so a genuine trace never goes past it. */
#define PLOT_MAX_ID 100000
/* Times beyond this (about 4.6e15 ms, well past the engine's limit) are
 * refused, so that adding a window's width to any time cannot overflow. */
#define PLOT_MAX_US (INT64_C(1) << 62)

extern const unsigned plot_palette[];
extern const size_t plot_npalette;

struct plot {
    const char *kind;
    const char *out;
    int64_t from_us, to_us;        /* the window asked for; NO_TIME if not */
    int *nodes;                    /* --nodes filter, NULL for all */
    size_t nnodes;
    const char *nodes_arg;         /* --nodes as given, for messages */
    int show_clients;              /* --clients: client lanes on the messages plot */
    const char *title;
    const char *keep_dir;          /* --data DIR */
    const char **traces;
    size_t ntraces;
    int draw;                      /* 0: write the data files, do not run gnuplot (the fuzz target) */

    char dir[PATH_MAX];            /* where the data files go */
    char **files;                  /* data files passed to gnuplot, in order */
    size_t nfiles;
    char auto_title[512];
    char subtitle[512];            /* what the picture leaves out or chose by itself */
    char vars[512];                /* extra gnuplot assignments, "a=1; b=2" */
    int64_t view_from_us, view_to_us;   /* x range to draw; NO_TIME for gnuplot's choice */
    int64_t trace_end_us;
};

struct dfile {
    FILE *f;
    int ncols;
    long rows;
    int has_labels;    /* drawn `with labels`: see plot_dfile_close */
};

static inline double ms(int64_t us)
{
    return (double)us / US_PER_MS;
}

/* Add "NAME=VALUE" to the variables given to the script with -e. */
void plot_gp_var(struct plot *p, const char *name, long value);
/* Append a clause to the subtitle ("; " between clauses). */
void plot_subtitle(struct plot *p, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;
/* "nothing to draw: WHAT" and the --nodes/--from/--to filters that applied;
 * returns EXIT_CHECK_FAILED (cmd.h: a trace lacks what the plot needs). */
int plot_nothing(const struct plot *p, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;
int plot_want_node(const struct plot *p, int64_t node);
int plot_in_window(const struct plot *p, int64_t t);

/* Data files in p->dir, remembered in p->files for gnuplot's arguments. */
int plot_dfile_open(struct plot *p, struct dfile *d, const char *name, int ncols, const char *header);
void plot_drow(struct dfile *d, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;
int plot_dfile_close(struct dfile *d);
/* Text for a TSV cell or a column header: no tabs or newlines. */
void plot_cell(char *dst, size_t n, const char *src);
/* Join p->files[FIRST..] into one file NAME of data blocks (gnuplot's index). */
int plot_merge_series(struct plot *p, size_t first, const char *name);
/* Move the last data file to the front of gnuplot's arguments. */
void plot_last_to_front(struct plot *p);

typedef int (*rec_fn)(struct plot *p, void *ud, const cJSON *rec);
/* Stream one trace through FN, after checking the ids and time of each
 * record (a bad one stops the read: exit 65 naming FILE:LINE). Returns 0,
 * or an exit status. QUIET leaves out the warnings (a second pass). */
int plot_read_trace(struct plot *p, const char *path, rec_fn fn, void *ud, int quiet);
/* A duration in ms from a trace field, as microseconds clamped to
 * [0, PLOT_MAX_US]: a huge or negative value must not overflow. */
int64_t plot_duration_us(const cJSON *rec, const char *name);
/* A clock record's change as a short label: "drift +40%", "step -59.6 ms". */
void plot_clock_label(const cJSON *rec, char *out, size_t n);

/* The kinds (plot.c calls them; each returns 0 or an exit status, and
 * returns EXIT_CHECK_FAILED through plot_nothing when it has no data). */
int plot_timeline(struct plot *p);
int plot_messages(struct plot *p);

/* The command without the drawing when DRAW is 0: parse, read, write the
 * data files, stop before gnuplot (cmd_plot is plot_run(argc, argv, 1)). */
int plot_run(int argc, char **argv, int draw);

/* plot_queues.c: queue length per server over time (load balancing). */
int plot_queues(struct plot *p);

#endif
