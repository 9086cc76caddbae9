/* Deterministic elementary functions (see dmath.h). Argument reduction with
 * constants split in a high and a low part, then series evaluated in a fixed
 * order. */
#include "sim/dmath.h"

#include <math.h>

static const double LN2_HI = 6.93147180369123816490e-01;   /* the top 32 bits of ln 2 */
static const double LN2_LO = 1.90821492927058770002e-10;   /* ln 2 - LN2_HI */
static const double PIO2_HI = 1.57079632673412561417e+00;  /* the top 33 bits of pi/2 */
static const double PIO2_LO = 6.07710050650619224932e-11;  /* pi/2 - PIO2_HI */
static const double INV_PIO2 = 6.36619772367581382433e-01; /* 2/pi */
static const double SQRT_HALF = 7.07106781186547524401e-01;
static const double INV_SQRTPI = 5.64189583547756286948e-01;

double det_log(double x)
{
    if (isnan(x) || x < 0)
        return NAN;
    if (x == 0)
        return -INFINITY;
    if (isinf(x))
        return x;
    int e;
    double m = frexp(x, &e);         /* x = m * 2^e, m in [0.5, 1): exact */
    if (m < SQRT_HALF) {
        m *= 2;
        e -= 1;
    }
    /* log(m) = 2 atanh(f), f = (m - 1) / (m + 1), |f| <= 0.1716 */
    double f = (m - 1) / (m + 1), f2 = f * f;
    double sum = 0;
    for (int k = 27; k >= 3; k -= 2)  /* f2^13 < 1e-20: enough terms for double */
        sum = (sum + 1.0 / k) * f2;
    double logm = 2 * f + 2 * f * sum;
    return ((double)e * LN2_HI + logm) + (double)e * LN2_LO;
}

double det_exp(double x)
{
    if (isnan(x))
        return x;
    if (x > 709.78)
        return INFINITY;
    if (x < -745.2)
        return 0;
    /* x = k ln2 + r, |r| <= ln2 / 2; exp(x) = 2^k exp(r) */
    double kd = x * (1.0 / 0.6931471805599453) + (x >= 0 ? 0.5 : -0.5);
    int k = (int)kd;
    double r = (x - k * LN2_HI) - k * LN2_LO;
    double term = 1, sum = 1;
    for (int n = 1; n <= 18; n++) {   /* (ln2/2)^19 / 19! < 1e-25 */
        term *= r / n;
        sum += term;
    }
    return ldexp(sum, k);
}

static double sin_poly(double r)
{
    double r2 = r * r, term = r, sum = r;
    for (int n = 1; n <= 10; n++) {   /* (pi/4)^21 / 21! < 1e-21 */
        term *= -r2 / ((2.0 * n) * (2.0 * n + 1));
        sum += term;
    }
    return sum;
}

static double cos_poly(double r)
{
    double r2 = r * r, term = 1, sum = 1;
    for (int n = 1; n <= 10; n++) {
        term *= -r2 / ((2.0 * n - 1) * (2.0 * n));
        sum += term;
    }
    return sum;
}

double det_cos(double x)
{
    if (!isfinite(x))
        return NAN;
    if (x < 0)
        x = -x;
    double kd = floor(x * INV_PIO2 + 0.5);
    double r = (x - kd * PIO2_HI) - kd * PIO2_LO;
    long long q = (long long)fmod(kd, 4.0);
    switch (q) {
    case 0: return cos_poly(r);
    case 1: return -sin_poly(r);
    case 2: return -cos_poly(r);
    default: return sin_poly(r);
    }
}

double det_pow(double x, double y)
{
    if (x == 1 || y == 0)
        return 1;
    return det_exp(y * det_log(x));
}

/* erfc(x) for x >= 0. Below 2: 1 - erf(x) from the Maclaurin series; from 2
 * on: the continued fraction
 *   erfc(x) = exp(-x^2)/sqrt(pi) / (x + (1/2)/(x + 1/(x + (3/2)/(x + ...))))
 * evaluated backwards, which is stable and, from x = 2, exact to double
 * precision with 120 terms. */
static double erfc_pos(double x)
{
    if (x < 2) {
        double x2 = x * x, term = x, sum = x;
        for (int n = 1; n <= 60; n++) {
            term *= -x2 / n;
            sum += term / (2 * n + 1);
        }
        return 1 - 2 * INV_SQRTPI * sum;
    }
    double t = x;
    for (int k = 120; k >= 1; k--)
        t = x + (k * 0.5) / t;
    return det_exp(-x * x) * INV_SQRTPI / t;
}

double det_erfc(double x)
{
    if (isnan(x))
        return x;
    if (x >= 0)
        return erfc_pos(x);
    return 2 - erfc_pos(-x);
}
