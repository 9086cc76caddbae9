/* sim/outpath.h: refusing an output path that would overwrite an input.
 *
 * `run s.lua --trace s.lua` or `export t.jsonl -o t.jsonl` would truncate
 * the input before reading it. Every command that writes a file asks here
 * first, before it opens anything for writing. The test is by device and
 * inode, so a second name for the same file (a hard link, a symlink, "./x")
 * is caught too. */
#ifndef SIM_OUTPATH_H
#define SIM_OUTPATH_H

/* 1 if OUT and IN name the same existing file; 0 if either does not exist,
 * is "-" (a standard stream) or they differ. */
int path_same_file(const char *out, const char *in);

/* If OUT names the same file as any of the NIN inputs, print
 * "clustersim PROG: output 'OUT' is the input 'IN'; refusing to overwrite it"
 * and return 64 (bad command line); otherwise 0. */
int refuse_output_over_input(const char *prog, const char *out, const char *const *ins, int nin);

#endif
