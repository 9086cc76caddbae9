/* sim/outpath.c: see outpath.h. */
#include "sim/outpath.h"

#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

int path_same_file(const char *out, const char *in)
{
    if (!out || !in || strcmp(out, "-") == 0 || strcmp(in, "-") == 0)
        return 0;
    struct stat a, b;
    if (stat(out, &a) != 0 || stat(in, &b) != 0)
        return 0;
    return a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

int refuse_output_over_input(const char *prog, const char *out, const char *const *ins, int nin)
{
    for (int i = 0; i < nin; i++)
        if (path_same_file(out, ins[i])) {
            fprintf(stderr, "clustersim%s%s: output '%s' is the input '%s'; refusing to overwrite it\n",
                    prog && *prog ? " " : "", prog ? prog : "", out, ins[i]);
            return 64;
        }
    return 0;
}
