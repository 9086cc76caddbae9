/* libFuzzer target: every `plot` kind's reader on arbitrary bytes. A
 * malformed or hostile trace (ids past the lane tables, huge times, nested
 * args, no end record) must give an error and an exit code, never a crash,
 * a hang or a leak. plot_run(..., 0) reads the trace and writes the data
 * files into a temporary directory, as `plot --data` does, but stops before
 * gnuplot, so no process is started per input.
 *   make fuzz; build-fuzz/fuzz_plot -max_total_time=60 tests/data */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tests/fuzz/fuzz_input.h"

#include "tools/plot_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char path[] = "/tmp/fuzz-plot-XXXXXX";
    if (fuzz_input_file(data, size, path) != 0)
        return 0;
    static const char *const kinds[] = { "timeline", "messages", "latency", "cdf", "commit", "load", "elections" };
    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++) {
        char *plain[] = { "plot", path, "--kind", (char *)kinds[i], "-o", "-", NULL };
        plot_run(6, plain, 0);
    }
    /* the filters take other paths through the readers */
    char *win[] = { "plot", path, "--kind", "messages", "--clients", "--from", "0.5", "-o", "-", NULL };
    plot_run(9, win, 0);
    char *nodes[] = { "plot", path, "--kind", "timeline", "--nodes", "1-3", "--to", "100", "-o", "-", NULL };
    plot_run(10, nodes, 0);
    char *two[] = { "plot", path, path, "--kind", "elections", "-o", "-", NULL };
    plot_run(7, two, 0);
    unlink(path);
    return 0;
}
