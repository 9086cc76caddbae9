/* Local clocks (see clock.h). */
#include "sim/clock.h"

#include <assert.h>

#define PPB 1000000000LL

void clock_init(struct sclock *c)
{
    c->base_true = 0;
    c->base_local = 0;
    c->drift_ppb = 0;
}

sim_time clock_local(const struct sclock *c, sim_time t)
{
    __extension__ __int128 dt = (__int128)(t - c->base_true);
    if (c->drift_ppb == 0)
        return c->base_local + (sim_time)dt;
    __extension__ __int128 dl = dt * (PPB + c->drift_ppb);
    /* floor division for negative intermediates too */
    __extension__ __int128 q = dl / PPB;
    if (dl % PPB != 0 && dl < 0)
        q -= 1;
    return c->base_local + (sim_time)q;
}

sim_time clock_true_at(const struct sclock *c, sim_time local)
{
    if (local <= c->base_local)
        return c->base_true;
    __extension__ __int128 dl = (__int128)(local - c->base_local);
    if (c->drift_ppb == 0)
        return c->base_true + (sim_time)dl;
    /* smallest dt with floor(dt * rate / PPB) >= dl  <=>  dt >= dl * PPB / rate */
    __extension__ __int128 rate = PPB + c->drift_ppb;
    __extension__ __int128 num = dl * PPB;
    __extension__ __int128 dt = (num + rate - 1) / rate;
    __extension__ __int128 res = (__int128)c->base_true + dt;
    if (res > SIM_TIME_MAX)
        return SIM_TIME_MAX;
    return (sim_time)res;
}

static void rebase(struct sclock *c, sim_time now)
{
    assert(now >= c->base_true);
    c->base_local = clock_local(c, now);
    c->base_true = now;
}

void clock_set_drift(struct sclock *c, sim_time now, int64_t drift_ppb)
{
    assert(drift_ppb >= CLOCK_MIN_PPB && drift_ppb <= CLOCK_MAX_PPB);
    rebase(c, now);
    c->drift_ppb = drift_ppb;
}

void clock_step(struct sclock *c, sim_time now, sim_time delta)
{
    rebase(c, now);
    c->base_local += delta;
}

void clock_set_offset(struct sclock *c, sim_time now, sim_time offset)
{
    rebase(c, now);
    c->base_local = now + offset;
}

sim_time clock_offset(const struct sclock *c, sim_time now)
{
    return clock_local(c, now) - now;
}
