/* tools/cmd.h: the trace tools' entry points, called by sim/main.c.
 *
 * Each takes the subcommand's argv with argv[0] the subcommand name
 * ("plot", "export", "check") and returns the process exit status:
 *   0 ok; 1 a check failed (or a trace lacks what a plot needs: "nothing
 *   to draw"); 2 inconclusive (a checker ran out of its step or memory
 *   budget); 64 bad command line, or an output path that names an input;
 *   65 a malformed or structurally invalid trace (plot, export: bad schema,
 *   a second header, a record after the end, a bad or decreasing "t", an
 *   id out of range) — check reports those and exits 1; 66 an input file
 *   is missing; 70 internal error (e.g. gnuplot missing); 74 output cannot
 *   be written (check's result on stdout included).
 * Messages go to stderr, prefixed "clustersim SUBCOMMAND: ". */
#ifndef TOOLS_CMD_H
#define TOOLS_CMD_H

/* clustersim plot TRACE.jsonl [TRACE2 ...] --kind KIND -o OUT
 *   [--from MS] [--to MS] [--nodes 1,2,3] [--clients] [--title T] [--data DIR] */
int cmd_plot(int argc, char **argv);

/* clustersim export TRACE.jsonl --to chrome|shiviz|history [-o OUT] */
int cmd_export(int argc, char **argv);

/* clustersim check TRACE.jsonl|HISTORY.jsonl [--budget STEPS] [--memory MB] */
int cmd_check(int argc, char **argv);
/* clustersim merge A.json B.json ... [-o OUT]: explore shards as one sweep */
int cmd_merge(int argc, char **argv);

/* The same check on one file, results printed to stdout, for explore
 * --check: 0 ok, 1 failed, 2 inconclusive, 66 cannot open. */
int check_trace_file(const char *path);

/* The same check on a run's records as the engine makes them (a tapped
 * trace, sim/trace.h), with no file between: open a feed, pass it every
 * record with its line, close it for the verdict (as check_trace_file's,
 * printed to stdout; the feed is freed). */
struct record;
void *check_feed_open(void);
void check_feed_record(void *feed, const struct record *r, unsigned long long line);
int check_feed_close(void *feed);

#endif
