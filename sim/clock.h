/* Per-node local clocks, piecewise linear in true time:
 *     local(t) = base_local + (t - base_true) * (1e9 + drift_ppb) / 1e9
 * A drift change or a step starts a new piece at the current true time. All
 * arithmetic is integer (128-bit intermediates), so conversions are exact and
 * the same on every platform. */
#ifndef SIM_CLOCK_H
#define SIM_CLOCK_H

#include <stdint.h>
#include "sim/time.h"

struct sclock {
    sim_time base_true;
    sim_time base_local;
    int64_t drift_ppb;     /* parts per billion; > -1e9 so the clock moves forward */
};

#define CLOCK_MIN_PPB (-999000000LL)   /* slower than 0.1% of true speed is refused */
#define CLOCK_MAX_PPB (1000000000LL)   /* at most twice true speed */

void clock_init(struct sclock *c);
/* Local time at true time t (t >= base_true). */
sim_time clock_local(const struct sclock *c, sim_time t);
/* Earliest true time t >= base_true at which local(t) >= local. */
sim_time clock_true_at(const struct sclock *c, sim_time local);
/* Start a new piece at true time now with the given drift. */
void clock_set_drift(struct sclock *c, sim_time now, int64_t drift_ppb);
/* Jump the local clock by delta (may be negative) at true time now. */
void clock_step(struct sclock *c, sim_time now, sim_time delta);
/* Make local(now) = now + offset. */
void clock_set_offset(struct sclock *c, sim_time now, sim_time offset);
/* local(now) - now */
sim_time clock_offset(const struct sclock *c, sim_time now);

#endif
