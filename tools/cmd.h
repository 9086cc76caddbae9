/* tools/cmd.h: the trace tools' entry points, called by sim/main.c.
 *
 * Each takes the subcommand's argv with argv[0] the subcommand name
 * ("plot", "export", "check") and returns the process exit status:
 *   0 ok; 1 a check failed (or a trace lacks what a plot needs);
 *   2 inconclusive (a checker ran out of budget); 64 bad command line;
 *   65 a malformed trace line (plot, export); 66 an input file is missing;
 *   70 internal error (e.g. gnuplot missing); 74 output cannot be written.
 * Messages go to stderr, prefixed "clustersim SUBCOMMAND: ". */
#ifndef TOOLS_CMD_H
#define TOOLS_CMD_H

/* clustersim plot TRACE.jsonl [TRACE2 ...] --kind KIND -o OUT
 *   [--from MS] [--to MS] [--nodes 1,2,3] [--title T] [--data DIR] */
int cmd_plot(int argc, char **argv);

/* clustersim export TRACE.jsonl --to chrome|shiviz|history [-o OUT] */
int cmd_export(int argc, char **argv);

/* clustersim check TRACE.jsonl [--budget N] [--quiet] */
int cmd_check(int argc, char **argv);

#endif
