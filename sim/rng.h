/* Seeded pseudo-random numbers: xoshiro256** streams derived from one 64-bit
 * run seed with splitmix64, so every component (node, network, client set,
 * nemesis, script) draws from its own stream and adding one component never
 * shifts another's draws. The same generator on every platform; integer APIs,
 * floating point only inside the continuous distributions. */
#ifndef SIM_RNG_H
#define SIM_RNG_H

#include <stdint.h>
#include "sim/time.h"

struct rng { uint64_t s[4]; };

/* Well-known stream families; a stream is (family, index). */
enum rng_family {
    RNG_NODE = 1, RNG_NET = 2, RNG_CLIENT = 3, RNG_NEMESIS = 4, RNG_SCRIPT = 5,
    RNG_ALGO = 6, RNG_TOOL = 7, RNG_DISK = 8
};

uint64_t rng_splitmix64(uint64_t *state);
/* Seed a stream from the run seed and a (family, index) pair. */
void rng_init(struct rng *r, uint64_t seed, uint32_t family, uint64_t index);
uint64_t rng_next(struct rng *r);
/* Uniform integer in [0, n), n > 0, without modulo bias. */
uint64_t rng_below(struct rng *r, uint64_t n);
/* Uniform integer in [lo, hi] inclusive. */
int64_t rng_range(struct rng *r, int64_t lo, int64_t hi);
/* Uniform double in [0, 1) with 53 random bits. */
double rng_double(struct rng *r);
/* True with probability p. p <= 0 never draws (so a zero-loss link costs no draw). */
int rng_chance(struct rng *r, double p);
double rng_normal(struct rng *r);          /* standard normal, Box-Muller (no cached pair) */
double rng_exponential(struct rng *r, double mean);

/* A latency or service-time distribution, parameters in milliseconds. */
enum dist_kind { DIST_CONST, DIST_UNIFORM, DIST_NORMAL, DIST_EXPONENTIAL, DIST_LOGNORMAL, DIST_PARETO, DIST_LOGUNIFORM };
struct dist {
    enum dist_kind kind;
    double a, b;   /* const: a; uniform: [a, b]; normal: mean a, sd b; exponential: mean a;
                      lognormal: mu a, sigma b (of the log, ms); pareto: scale a, shape b;
                      loguniform: [a, b] with log(x) uniform, 0 < a <= b */
};

/* Draw one value in nanoseconds, never negative. */
sim_time dist_sample(const struct dist *d, struct rng *r);
/* Mean in ms (infinite for pareto with shape <= 1). */
double dist_mean_ms(const struct dist *d);
/* Name of the kind ("uniform", ...). */
const char *dist_name(enum dist_kind k);

#endif
