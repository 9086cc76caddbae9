/* Unit tests for sim/clock.c: piecewise-linear local clocks.
 *
 * Timers are armed in local time and scheduled in true time through
 * clock_true_at, so it must be the exact inverse of clock_local: the smallest
 * true time whose local reading has reached the deadline. Integer arithmetic
 * makes that checkable exactly, one nanosecond either side. */
#include "sim/clock.h"
#include "sim/rng.h"
#include "tests/unit/tap.h"

/* clock_true_at(L) = t exactly when local(t) >= L and (t is the piece's start
 * or local(t - 1) < L). */
static int inverse_ok(const struct sclock *c, sim_time local)
{
    sim_time t = clock_true_at(c, local);
    if (t < c->base_true)
        return 0;
    if (clock_local(c, t) < local)
        return 0;
    return t == c->base_true || clock_local(c, t - 1) < local;
}

static void test_identity(void)
{
    struct sclock c;
    clock_init(&c);
    int same = 1;
    static const sim_time ts[] = { 0, 1, 999, SIM_MS(1), SIM_S(3600), SIM_S(86400) * 365 * 100 };
    for (size_t i = 0; i < sizeof ts / sizeof ts[0]; i++)
        same &= clock_local(&c, ts[i]) == ts[i] && clock_true_at(&c, ts[i]) == ts[i];
    ok(same, "a fresh clock reads true time, and its inverse is the identity");
    is_int(clock_offset(&c, SIM_S(5)), 0, "a fresh clock has offset 0");
}

static void test_drift(void)
{
    struct sclock c;
    clock_init(&c);
    clock_set_drift(&c, 0, 1000000);                   /* +1000 ppm */
    is_int(clock_local(&c, SIM_S(1)), SIM_MS(1001), "+1000 ppm: 1 s true reads 1.001 s");
    is_int(clock_local(&c, SIM_S(1000)), SIM_MS(1001000), "+1000 ppm: 1000 s true reads 1001 s");
    is_int(clock_local(&c, 999), 999, "+1000 ppm: 999 ns reads 999.999 ns, floored");
    is_int(clock_local(&c, 1000), 1001, "+1000 ppm: 1000 ns reads 1001 ns");
    is_int(clock_true_at(&c, SIM_MS(1001)), SIM_S(1), "inverse of 1.001 s local is 1 s true");
    is_int(clock_true_at(&c, 1001), 1000, "inverse of 1001 ns local is 1000 ns");
    /* local(999) = 999, local(1000) = 1001: 1000 ns local is first reached at 1000 true. */
    is_int(clock_true_at(&c, 1000), 1000, "a local instant the clock skips maps to the first true time past it");
    is_int(clock_offset(&c, SIM_S(10)), SIM_MS(10), "+1000 ppm gains 10 ms in 10 s");

    clock_set_drift(&c, SIM_S(10), -500000);           /* -500 ppm from t = 10 s */
    is_int(clock_local(&c, SIM_S(10)), SIM_MS(10010), "no jump at a drift change");
    is_int(clock_local(&c, SIM_S(12)), SIM_MS(10010) + SIM_S(2) - SIM_MS(1),
           "-500 ppm: 2 s true after the change reads 1.999 s more");

    /* The +100000 ppm timer of the engine tests: 100 ms local is 90.909091 ms true. */
    struct sclock f;
    clock_init(&f);
    clock_set_drift(&f, 0, 100000000);
    is_int(clock_true_at(&f, SIM_MS(100)), 90909091, "+100000 ppm: 100 ms local at 90909091 ns true");
    ok(inverse_ok(&f, SIM_MS(100)), "  and that is the smallest such true time");
}

static void test_inverse_random(void)
{
    struct rng r;
    rng_init(&r, 77, RNG_TOOL, 2);
    static const int64_t ppb[] = { 0, 1, -1, 1000, -1000, 1000000, -1000000, 100000000, -100000000,
                                   333333333, -333333333, 999999999, CLOCK_MAX_PPB, CLOCK_MIN_PPB, 7, -13 };
    int good = 1, mono = 1;
    long checked = 0;
    for (size_t k = 0; k < sizeof ppb / sizeof ppb[0]; k++) {
        struct sclock c;
        clock_init(&c);
        sim_time start = (sim_time)rng_below(&r, (uint64_t)SIM_S(100));
        clock_set_offset(&c, start, (sim_time)rng_range(&r, -SIM_S(5), SIM_S(5)));
        clock_set_drift(&c, start, ppb[k]);
        sim_time l0 = clock_local(&c, start);
        for (int i = 0; i < 2000; i++) {
            /* small offsets probe rounding, large ones range */
            sim_time d = i % 2 ? (sim_time)rng_below(&r, 5000) : (sim_time)rng_below(&r, (uint64_t)SIM_S(86400));
            sim_time L = l0 + d;
            if (!inverse_ok(&c, L)) {
                if (good)
                    printf("#   drift %" PRId64 " ppb, local %" PRId64 ": true_at %" PRId64 "\n",
                           ppb[k], L, clock_true_at(&c, L));
                good = 0;
            }
            sim_time t = start + (sim_time)rng_below(&r, (uint64_t)SIM_S(86400));
            if (clock_local(&c, t + 1) < clock_local(&c, t))
                mono = 0;
            /* local -> true -> local lands on or just past the reading */
            sim_time back = clock_true_at(&c, clock_local(&c, t));
            if (back > t || clock_local(&c, back) != clock_local(&c, t))
                good = 0;
            checked++;
        }
        /* Before the piece started: the piece's start. */
        if (clock_true_at(&c, l0 - 1) != start || clock_true_at(&c, l0) != start)
            good = 0;
    }
    ok(good, "clock_true_at is the exact inverse on %ld random values over %zu drifts", checked,
       sizeof ppb / sizeof ppb[0]);
    ok(mono, "local time never runs backwards within a piece");
}

static void test_steps(void)
{
    struct sclock c;
    clock_init(&c);
    clock_step(&c, SIM_S(1), SIM_MS(250));
    is_int(clock_local(&c, SIM_S(1)), SIM_MS(1250), "step +250 ms jumps the reading at once");
    is_int(clock_local(&c, SIM_S(2)), SIM_MS(2250), "  and then runs at true speed");
    is_int(clock_offset(&c, SIM_S(2)), SIM_MS(250), "  offset 250 ms");
    clock_step(&c, SIM_S(3), -SIM_MS(500));
    is_int(clock_local(&c, SIM_S(3)), SIM_MS(2750), "step -500 ms moves the clock back");
    is_int(clock_offset(&c, SIM_S(4)), -SIM_MS(250), "  offset -250 ms");
    is_int(clock_true_at(&c, SIM_MS(2800)), SIM_S(3) + SIM_MS(50), "inverse after a backward step");
    is_int(clock_true_at(&c, SIM_MS(2000)), SIM_S(3), "a reading from before the step is due at once");

    clock_set_offset(&c, SIM_S(5), SIM_MS(40));
    is_int(clock_local(&c, SIM_S(5)), SIM_S(5) + SIM_MS(40), "set_offset makes local(now) = now + offset");
    is_int(clock_offset(&c, SIM_S(9)), SIM_MS(40), "  and keeps it with no drift");

    /* Offset and drift together: the offset holds at the moment it is set. */
    clock_set_drift(&c, SIM_S(9), 2000000);            /* +2000 ppm */
    clock_set_offset(&c, SIM_S(10), -SIM_MS(3));
    is_int(clock_offset(&c, SIM_S(10)), -SIM_MS(3), "set_offset under drift holds at now");
    is_int(clock_offset(&c, SIM_S(11)), -SIM_MS(3) + SIM_MS(2), "  then drift accumulates again");
    is_int(c.drift_ppb, 2000000, "set_offset keeps the drift");
    ok(inverse_ok(&c, SIM_S(11)), "inverse after offset and drift");
}

static void test_continuity(void)
{
    /* Change the drift at many points: the reading never jumps, and stays
     * monotone across each change. */
    struct rng r;
    rng_init(&r, 3, RNG_TOOL, 3);
    struct sclock c;
    clock_init(&c);
    sim_time t = 0;
    int cont = 1, mono = 1;
    sim_time prev = clock_local(&c, 0);
    for (int i = 0; i < 5000; i++) {
        sim_time next = t + (sim_time)rng_below(&r, (uint64_t)SIM_MS(500)) + 1;
        sim_time before = clock_local(&c, next);
        if (before < prev)
            mono = 0;
        clock_set_drift(&c, next, rng_range(&r, CLOCK_MIN_PPB, CLOCK_MAX_PPB));
        if (clock_local(&c, next) != before)
            cont = 0;
        if (!inverse_ok(&c, before + (sim_time)rng_below(&r, 1000000)))
            cont = 0;
        prev = before;
        t = next;
    }
    ok(cont, "5000 drift changes: no jump at any change, inverse exact in each piece");
    ok(mono, "the reading is monotone across drift changes");
}

int main(void)
{
    test_identity();
    test_drift();
    test_inverse_random();
    test_steps();
    test_continuity();
    return done_testing();
}
