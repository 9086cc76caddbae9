/* libFuzzer target: the sim Lua module on arbitrary scripts. Whatever the
 * script does, the run ends with an exit code and a message: never a crash,
 * a hang past the instruction budget, or a leak.
 *   make fuzz; mkdir -p out/fuzz-lua; build-fuzz/fuzz_lua out/fuzz-lua scenarios tests/lua -max_total_time=60 -timeout=10 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tests/fuzz/fuzz_input.h"

#include "sim/sim.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char path[] = "/tmp/fuzz-lua-XXXXXX";
    if (fuzz_input_file(data, size, path) != 0)
        return 0;
    struct run_opts o;
    run_opts_default(&o);
    o.scenario = path;
    o.quiet = 1;
    o.lua_budget = 2000000;
    o.lua_memory = (size_t)64 << 20;
    o.max_sim_events = 200000;     /* a script may legitimately run a huge cluster for ever */
    char trace[] = "/dev/null";
    o.trace_path = trace;
    o.trace_level = 2;
    run_scenario(&o);
    unlink(path);
    return 0;
}
