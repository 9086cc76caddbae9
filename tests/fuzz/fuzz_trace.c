/* libFuzzer target: the trace tools (check, and every export) on arbitrary
 * bytes. A malformed trace must give an error and an exit code, never a
 * crash, a hang or a leak.   make fuzz; build-fuzz/fuzz_trace -max_total_time=60 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tests/fuzz/fuzz_input.h"

#include "tools/cmd.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char path[] = "/tmp/fuzz-trace-XXXXXX";
    if (fuzz_input_file(data, size, path) != 0)
        return 0;
    char *check[] = { "check", path, "--budget", "2000", NULL };
    cmd_check(4, check);
    static const char *const formats[] = { "chrome", "shiviz", "history" };
    for (int i = 0; i < 3; i++) {
        char *exp[] = { "export", path, "--to", (char *)formats[i], "-o", "/dev/null", NULL };
        cmd_export(6, exp);
    }
    unlink(path);
    return 0;
}
