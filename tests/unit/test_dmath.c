/* The deterministic elementary functions agree with libm to within a few
 * ulp over their whole useful range (they differ from libm only in how
 * they round, never in what they compute). */
#include <math.h>

#include "sim/dmath.h"
#include "sim/rng.h"
#include "tests/unit/tap.h"

static double relerr(double a, double b)
{
    if (a == b)
        return 0;
    double d = fabs(a - b), m = fabs(b) > 1e-300 ? fabs(b) : 1e-300;
    return d / m;
}

int main(void)
{
    struct rng r;
    rng_init(&r, 7, RNG_TOOL, 0);
    double worst = 0;
    for (int i = 0; i < 200000; i++) {
        double x = det_exp((rng_double(&r) - 0.5) * 1400);   /* 1e-304 .. 1e304 */
        double e = relerr(det_log(x), log(x));
        if (fabs(log(x)) > 1e-3 && e > worst)
            worst = e;
    }
    ok(worst < 1e-15, "det_log within 1e-15 relative of log (worst %g)", worst);
    ok(det_log(1) == 0 && isinf(det_log(0)) && isnan(det_log(-1)), "det_log at 1, 0, -1");

    worst = 0;
    for (int i = 0; i < 200000; i++) {
        double x = (rng_double(&r) - 0.5) * 1400;
        double e = relerr(det_exp(x), exp(x));
        if (e > worst)
            worst = e;
    }
    ok(worst < 1e-14, "det_exp within 1e-14 relative of exp (worst %g)", worst);
    ok(det_exp(0) == 1 && det_exp(1000) == INFINITY && det_exp(-1000) == 0, "det_exp at 0 and the extremes");

    worst = 0;
    for (int i = 0; i < 200000; i++) {
        double x = rng_double(&r) * 2 * M_PI * 50;
        double e = fabs(det_cos(x) - cos(x));
        if (e > worst)
            worst = e;
    }
    ok(worst < 1e-14, "det_cos within 1e-14 absolute of cos on [0, 100 pi] (worst %g)", worst);

    worst = 0;
    for (int i = 0; i < 200000; i++) {
        double x = (rng_double(&r) - 0.2) * 30;              /* -6 .. 24: erfc down to 1e-252 */
        double e = relerr(det_erfc(x), erfc(x));
        if (e > worst)
            worst = e;
    }
    ok(worst < 1e-12, "det_erfc within 1e-12 relative of erfc, tails included (worst %g)", worst);
    near(det_pow(10, -8), 1e-8, 1e-22, "det_pow(10, -8)");
    near(det_pow(0.5, 1 / 1.5), pow(0.5, 1 / 1.5), 1e-15, "det_pow(0.5, 1/1.5)");
    return done_testing();
}
