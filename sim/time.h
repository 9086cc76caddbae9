/* Virtual time. The engine counts true simulated time in int64 nanoseconds
 * (about 292 years of range); Lua sees milliseconds, the trace microseconds. */
#ifndef SIM_TIME_H
#define SIM_TIME_H

#include <stdint.h>

typedef int64_t sim_time;

#define SIM_NS(x) ((sim_time)(x))
#define SIM_US(x) ((sim_time)(x) * 1000)
#define SIM_MS(x) ((sim_time)(x) * 1000000)
#define SIM_S(x)  ((sim_time)(x) * 1000000000)
#define SIM_TIME_MAX INT64_MAX

/* Milliseconds (a Lua number) to nanoseconds, rounded to the nearest ns. */
static inline sim_time sim_ms_to_ns(double ms)
{
    double ns = ms * 1e6;
    return (sim_time)(ns < 0 ? ns - 0.5 : ns + 0.5);
}

static inline double sim_ns_to_ms(sim_time ns) { return (double)ns / 1e6; }

#endif
