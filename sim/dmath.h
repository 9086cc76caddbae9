/* Deterministic elementary functions for the simulation's own decisions.
 *
 * libm's log, exp, cos, pow and erfc may differ in the last bit between C
 * libraries and versions, and one bit is enough to change a sampled latency
 * by a nanosecond and a trace by a byte. These use only IEEE-754 +, -, *, /,
 * sqrt and exact scaling (frexp, ldexp), which every platform rounds the same
 * way (C11 in strict mode does not contract a*b+c into an FMA), so the same
 * inputs give the same bits everywhere. Accuracy: a few ulp, ample for
 * sampling distributions and computing phi. */
#ifndef SIM_DMATH_H
#define SIM_DMATH_H

double det_log(double x);          /* x > 0; log(0) = -inf, log(x<0) = NaN */
double det_exp(double x);
double det_cos(double x);          /* any finite x, most accurate for |x| < 1e6 */
double det_erfc(double x);
double det_pow(double x, double y); /* x > 0 */

#endif
