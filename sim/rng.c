/* xoshiro256** (Blackman & Vigna, 2018) seeded through splitmix64. Written
 * here from the published definitions; chosen for speed, a 256-bit state and
 * good statistical quality, and because it is the same on every platform. */
#include "sim/rng.h"

#include "sim/dmath.h"

#include <assert.h>
#include <math.h>

uint64_t rng_splitmix64(uint64_t *state)
{
    uint64_t z = (*state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

void rng_init(struct rng *r, uint64_t seed, uint32_t family, uint64_t index)
{
    /* Mix seed, family and index through splitmix64 so that neighbouring
     * indices give unrelated streams. */
    uint64_t st = seed;
    uint64_t a = rng_splitmix64(&st);
    st = a ^ ((uint64_t)family * 0xd1b54a32d192ed03ULL);
    uint64_t b = rng_splitmix64(&st);
    st = b ^ (index * 0x8cb92ba72f3d8dd7ULL + 0x632be59bd9b4e019ULL);
    for (int i = 0; i < 4; i++)
        r->s[i] = rng_splitmix64(&st);
    if ((r->s[0] | r->s[1] | r->s[2] | r->s[3]) == 0)
        r->s[0] = 1;   /* the all-zero state is the one xoshiro cannot leave */
}

static inline uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

uint64_t rng_next(struct rng *r)
{
    uint64_t *s = r->s;
    uint64_t result = rotl(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return result;
}

uint64_t rng_below(struct rng *r, uint64_t n)
{
    assert(n > 0);
    /* Lemire's multiply-shift with rejection: unbiased, usually one draw. */
    uint64_t x = rng_next(r);
    __extension__ unsigned __int128 m = (unsigned __int128)x * n;
    uint64_t l = (uint64_t)m;
    if (l < n) {
        uint64_t t = (0 - n) % n;
        while (l < t) {
            x = rng_next(r);
            m = (unsigned __int128)x * n;
            l = (uint64_t)m;
        }
    }
    return (uint64_t)(m >> 64);
}

int64_t rng_range(struct rng *r, int64_t lo, int64_t hi)
{
    assert(lo <= hi);
    uint64_t span = (uint64_t)hi - (uint64_t)lo;
    if (span == UINT64_MAX)
        return (int64_t)rng_next(r);
    return (int64_t)((uint64_t)lo + rng_below(r, span + 1));
}

double rng_double(struct rng *r)
{
    return (double)(rng_next(r) >> 11) * 0x1.0p-53;
}

int rng_chance(struct rng *r, double p)
{
    if (p <= 0)
        return 0;
    if (p >= 1)
        return 1;
    return rng_double(r) < p;
}

double rng_normal(struct rng *r)
{
    /* Box-Muller, one value per call: no hidden cached state to make a
     * stream's position depend on call history. */
    double u1 = rng_double(r);
    double u2 = rng_double(r);
    if (u1 < 1e-300)
        u1 = 1e-300;
    return sqrt(-2.0 * det_log(u1)) * det_cos(2.0 * M_PI * u2);
}

double rng_exponential(struct rng *r, double mean)
{
    double u = rng_double(r);
    return -mean * det_log(1.0 - u);   /* 1 - u is exact: u has 53 bits */
}

sim_time dist_sample(const struct dist *d, struct rng *r)
{
    double ms;
    switch (d->kind) {
    case DIST_CONST:
        ms = d->a;
        break;
    case DIST_UNIFORM:
        ms = d->a + (d->b - d->a) * rng_double(r);
        break;
    case DIST_NORMAL:
        ms = d->a + d->b * rng_normal(r);
        break;
    case DIST_EXPONENTIAL:
        ms = rng_exponential(r, d->a);
        break;
    case DIST_LOGNORMAL:
        ms = det_exp(d->a + d->b * rng_normal(r));
        break;
    case DIST_PARETO: {
        double u = 1.0 - rng_double(r);          /* (0, 1] */
        ms = d->a / det_pow(u, 1.0 / d->b);
        break;
    }
    case DIST_LOGUNIFORM:
        ms = det_exp(det_log(d->a) + (det_log(d->b) - det_log(d->a)) * rng_double(r));
        break;
    default:
        assert(0 && "unknown distribution");
        return 0;
    }
    if (!(ms > 0))        /* negative draws of a normal, and NaN, clamp to zero */
        return 0;
    if (ms > 1e12)        /* ~31 years: keeps a heavy tail from overflowing */
        ms = 1e12;
    return sim_ms_to_ns(ms);
}

double dist_mean_ms(const struct dist *d)
{
    switch (d->kind) {
    case DIST_CONST: return d->a;
    case DIST_UNIFORM: return (d->a + d->b) / 2;
    case DIST_NORMAL: return d->a;
    case DIST_EXPONENTIAL: return d->a;
    case DIST_LOGNORMAL: return det_exp(d->a + d->b * d->b / 2);
    case DIST_PARETO: return d->b > 1 ? d->a * d->b / (d->b - 1) : INFINITY;
    case DIST_LOGUNIFORM: return d->b > d->a ? (d->b - d->a) / (det_log(d->b) - det_log(d->a)) : d->a;
    }
    return 0;
}

const char *dist_name(enum dist_kind k)
{
    static const char *const names[] = { "const", "uniform", "normal", "exponential", "lognormal", "pareto", "loguniform" };
    return (unsigned)k < sizeof names / sizeof names[0] ? names[k] : "?";
}
