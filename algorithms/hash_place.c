/* Placement functions (see hash_place.h). Each scheme cites the rule it
 * implements; none allocates after hash_place_build. */
#include "algorithms/hash_place.h"

#include <assert.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

const char *const hash_scheme_names[] = {
    "modulo", "ring", "jump", "rendezvous", "maglev", "bounded_load", NULL,
};

#define HASH_MAX_REPLICAS 16

void hash_opts_default(struct hash_opts *o)
{
    memset(o, 0, sizeof *o);
    o->scheme = HASH_RING;
    o->vnodes = 100;
    o->table_size = 65537;
    o->capacity = 1.25;
    o->replicas = 1;
}

int hash_scheme_find(const char *s)
{
    for (int i = 0; hash_scheme_names[i]; i++)
        if (strcmp(hash_scheme_names[i], s) == 0)
            return i;
    return -1;
}

int hash_is_prime(int64_t m)
{
    if (m < 2)
        return 0;
    if (m % 2 == 0)
        return m == 2;
    for (int64_t d = 3; d * d <= m; d += 2)
        if (m % d == 0)
            return 0;
    return 1;
}

int64_t hash_prime_below(int64_t m)
{
    for (int64_t k = m - 1; k >= 2; k--)
        if (hash_is_prime(k))
            return k;
    return 0;
}

int64_t hash_prime_above(int64_t m)
{
    int64_t k = m < 2 ? 2 : m + 1;
    while (!hash_is_prime(k))
        k++;
    return k;
}

int hash_opts_check(const struct hash_opts *o, int servers, struct error *err)
{
    if (o->scheme < HASH_MODULO || o->scheme > HASH_BOUNDED) {
        snprintf(err->msg, sizeof err->msg, "unknown scheme (accepted: %s)", HASH_SCHEMES_ACCEPTED);
        return -1;
    }
    if (servers < 1 || servers > HASH_MAX_SERVERS) {
        snprintf(err->msg, sizeof err->msg, "servers = %d: must be from 1 to %d", servers, HASH_MAX_SERVERS);
        return -1;
    }
    if (o->vnodes < 1 || o->vnodes > HASH_MAX_VNODES) {
        snprintf(err->msg, sizeof err->msg, "vnodes = %d: must be an integer from 1 to %d (virtual nodes per server)",
                 o->vnodes, HASH_MAX_VNODES);
        return -1;
    }
    if ((o->scheme == HASH_RING || o->scheme == HASH_BOUNDED) &&
        (int64_t)o->vnodes * servers > HASH_MAX_POINTS) {
        snprintf(err->msg, sizeof err->msg, "vnodes = %d: %d servers x %d points is more than the %d ring points allowed",
                 o->vnodes, servers, o->vnodes, HASH_MAX_POINTS);
        return -1;
    }
    if (o->scheme == HASH_MAGLEV) {
        int64_t m = o->table_size;
        if (m > HASH_MAX_TABLE) {
            snprintf(err->msg, sizeof err->msg, "table_size = %lld: at most %d entries", (long long)m, HASH_MAX_TABLE);
            return -1;
        }
        if (m < servers) {
            snprintf(err->msg, sizeof err->msg,
                     "table_size = %lld is too small for %d servers: Maglev needs a prime M >= servers, "
                     "and the paper advises M > 100 x servers (the nearest such prime is %lld)",
                     (long long)m, servers, (long long)hash_prime_above(100LL * servers));
            return -1;
        }
        if (!hash_is_prime(m)) {
            snprintf(err->msg, sizeof err->msg,
                     "table_size = %lld is not prime: Maglev needs a prime M (the nearest primes are %lld and %lld)",
                     (long long)m, (long long)hash_prime_below(m), (long long)hash_prime_above(m));
            return -1;
        }
    }
    if (o->scheme == HASH_BOUNDED && !(o->capacity > 1 && o->capacity <= 1000)) {
        snprintf(err->msg, sizeof err->msg,
                 "capacity = %g: must be a number > 1 (the factor c of ceil(c*m/n); 1.25 is typical)", o->capacity);
        return -1;
    }
    if (o->replicas < 1 || o->replicas > servers || o->replicas > HASH_MAX_REPLICAS) {
        snprintf(err->msg, sizeof err->msg, "replicas = %d: must be from 1 to the number of servers (%d)%s",
                 o->replicas, servers, servers > HASH_MAX_REPLICAS ? ", and at most 16" : "");
        return -1;
    }
    return 0;
}

uint64_t hash_key(const void *data, size_t len) { return XXH3_64bits(data, len); }

/* Lamping & Veach, "A Fast, Minimal Memory, Consistent Hash Algorithm"
 * (2014), Figure 1, line for line: the 64-bit LCG with multiplier
 * 2862933555777941757 as the key's pseudo-random stream, and the jump
 * j = (b + 1) * (2^31 / ((key >> 33) + 1)) computed in double. */
int32_t hash_jump(uint64_t key, int32_t num_buckets)
{
    int64_t b = -1, j = 0;
    while (j < num_buckets) {
        b = j;
        key = key * 2862933555777941757ULL + 1;
        j = (int64_t)((double)(b + 1) * ((double)(1LL << 31) / (double)((key >> 33) + 1)));
    }
    return (int32_t)b;
}

/* The same loop, counting its iterations (the lookup cost, O(ln n)). */
static int32_t jump_counted(uint64_t key, int32_t num_buckets, int *iterations)
{
    int64_t b = -1, j = 0;
    int it = 0;
    while (j < num_buckets) {
        b = j;
        key = key * 2862933555777941757ULL + 1;
        j = (int64_t)((double)(b + 1) * ((double)(1LL << 31) / (double)((key >> 33) + 1)));
        it++;
    }
    *iterations = it;
    return (int32_t)b;
}

/* A server's name as bytes, little-endian whatever the host, with a tag
 * (which hash it feeds) and an index (the virtual node). */
static uint64_t server_hash(int id, uint32_t tag, uint32_t index)
{
    unsigned char b[12];
    uint32_t w[3] = { (uint32_t)id, tag, index };
    for (int i = 0; i < 3; i++)
        for (int k = 0; k < 4; k++)
            b[4 * i + k] = (unsigned char)(w[i] >> (8 * k));
    return XXH3_64bits(b, sizeof b);
}

enum { TAG_RING = 1, TAG_HRW = 2, TAG_MAGLEV_OFFSET = 3, TAG_MAGLEV_SKIP = 4 };

struct pt { uint64_t point; int32_t slot; int id; };

static int cmp_pt(const void *a, const void *b)
{
    const struct pt *x = a, *y = b;
    if (x->point != y->point)
        return x->point < y->point ? -1 : 1;
    return (x->id > y->id) - (x->id < y->id);   /* a collision: the lower id first */
}

static void *xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (!p)
        abort();
    return p;
}

void hash_maglev_perm(const struct hash_place *p, int i, uint64_t *offset, uint64_t *skip)
{
    uint64_t m = (uint64_t)p->o.table_size;
    /* §3.4: offset = h1(name[i]) mod M, skip = h2(name[i]) mod (M - 1) + 1 */
    *offset = server_hash(p->ids[i], TAG_MAGLEV_OFFSET, 0) % m;
    *skip = server_hash(p->ids[i], TAG_MAGLEV_SKIP, 0) % (m - 1) + 1;
}

/* Eisenbud et al., NSDI 2016, Pseudocode 1 (populating the lookup table):
 * backends take turns; each claims the next entry of its own permutation
 * permutation[i][j] = (offset + j * skip) mod M that is still empty, until
 * all M entries are filled. */
static void maglev_populate(struct hash_place *p)
{
    int n = p->n;
    uint64_t m = (uint64_t)p->o.table_size;
    uint64_t *next = xmalloc((size_t)n * sizeof *next);
    uint64_t *off = xmalloc((size_t)n * sizeof *off);
    uint64_t *skip = xmalloc((size_t)n * sizeof *skip);
    for (int i = 0; i < n; i++) {
        hash_maglev_perm(p, i, &off[i], &skip[i]);
        next[i] = 0;
    }
    for (uint64_t j = 0; j < m; j++)
        p->table[j] = -1;
    uint64_t filled = 0;
    for (;;) {
        for (int i = 0; i < n; i++) {
            uint64_t c = (off[i] + next[i] * skip[i]) % m;
            while (p->table[c] >= 0) {
                next[i]++;
                c = (off[i] + next[i] * skip[i]) % m;
            }
            p->table[c] = i;
            next[i]++;
            if (++filled == m)
                goto done;
        }
    }
done:
    free(next);
    free(off);
    free(skip);
}

int hash_place_build(struct hash_place *p, const struct hash_opts *o, const int *ids, int n, struct error *err)
{
    memset(p, 0, sizeof *p);
    if (hash_opts_check(o, n, err))
        return -1;
    p->o = *o;
    p->n = n;
    p->ids = xmalloc((size_t)n * sizeof *p->ids);
    memcpy(p->ids, ids, (size_t)n * sizeof *ids);
    switch (o->scheme) {
    case HASH_RING:
    case HASH_BOUNDED: {
        size_t np = (size_t)n * (size_t)o->vnodes;
        struct pt *t = xmalloc(np * sizeof *t);
        for (int i = 0; i < n; i++)
            for (int v = 0; v < o->vnodes; v++) {
                struct pt *q = &t[(size_t)i * (size_t)o->vnodes + (size_t)v];
                q->point = server_hash(ids[i], TAG_RING, (uint32_t)v);
                q->slot = i;
                q->id = ids[i];
            }
        qsort(t, np, sizeof *t, cmp_pt);
        p->points = xmalloc(np * sizeof *p->points);
        p->owner = xmalloc(np * sizeof *p->owner);
        for (size_t k = 0; k < np; k++) {
            p->points[k] = t[k].point;
            p->owner[k] = t[k].slot;
        }
        p->npoints = np;
        free(t);
        if (o->scheme == HASH_BOUNDED) {
            p->load = xmalloc((size_t)n * sizeof *p->load);
            hash_bounded_begin(p, 0);
        }
        break;
    }
    case HASH_RENDEZVOUS:
        p->seed = xmalloc((size_t)n * sizeof *p->seed);
        for (int i = 0; i < n; i++)
            p->seed[i] = server_hash(ids[i], TAG_HRW, 0);
        break;
    case HASH_MAGLEV:
        p->table = xmalloc((size_t)o->table_size * sizeof *p->table);
        maglev_populate(p);
        break;
    default:
        break;
    }
    return 0;
}

void hash_place_free(struct hash_place *p)
{
    free(p->ids);
    free(p->points);
    free(p->owner);
    free(p->seed);
    free(p->table);
    free(p->load);
    memset(p, 0, sizeof *p);
}

/* Karger et al.: a key belongs to the first server point at or clockwise
 * after its hash; past the largest point it wraps to the first. */
static size_t ring_successor(const struct hash_place *p, uint64_t h, int *probes)
{
    size_t lo = 0, hi = p->npoints;
    int steps = 0;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        steps++;
        if (p->points[mid] < h)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (probes)
        *probes = steps;
    return lo == p->npoints ? 0 : lo;
}

/* Thaler & Ravishankar: the weight of (key, server) is a pseudo-random
 * function of both; here XXH3 of the key's hash seeded by the server. */
static uint64_t hrw_weight(const struct hash_place *p, int i, uint64_t h)
{
    unsigned char b[8];
    for (int k = 0; k < 8; k++)
        b[k] = (unsigned char)(h >> (8 * k));
    return XXH3_64bits_withSeed(b, sizeof b, p->seed[i]);
}

/* Higher weight wins; equal weights (vanishingly rare) go to the lower id. */
static int hrw_beats(const struct hash_place *p, int i, uint64_t wi, int j, uint64_t wj)
{
    return wi > wj || (wi == wj && p->ids[i] < p->ids[j]);
}

int hash_place_lookup(const struct hash_place *p, uint64_t h, int *probes)
{
    switch (p->o.scheme) {
    case HASH_MODULO:
        if (probes)
            *probes = 1;
        return (int)(h % (uint64_t)p->n);
    case HASH_JUMP: {
        int it;
        int32_t b = jump_counted(h, p->n, &it);
        if (probes)
            *probes = it;
        return b;
    }
    case HASH_RENDEZVOUS: {
        int best = 0;
        uint64_t bw = hrw_weight(p, 0, h);
        for (int i = 1; i < p->n; i++) {
            uint64_t w = hrw_weight(p, i, h);
            if (hrw_beats(p, i, w, best, bw)) {
                best = i;
                bw = w;
            }
        }
        if (probes)
            *probes = p->n;
        return best;
    }
    case HASH_MAGLEV:
        if (probes)
            *probes = 1;
        return p->table[h % (uint64_t)p->o.table_size];
    case HASH_RING:
    case HASH_BOUNDED:
    default:
        return p->owner[ring_successor(p, h, probes)];
    }
}

static int seen(const int *out, int k, int slot)
{
    for (int i = 0; i < k; i++)
        if (out[i] == slot)
            return 1;
    return 0;
}

int hash_place_replicas(const struct hash_place *p, uint64_t h, int r, int *out)
{
    /* one more than the option allows: bounded_load's store asks for R + 1 */
    assert(r >= 1 && r <= p->n && r <= HASH_MAX_REPLICAS + 1);
    int k = 0;
    switch (p->o.scheme) {
    case HASH_RING:
    case HASH_BOUNDED: {
        /* the next distinct servers clockwise (Dynamo's preference list) */
        size_t i = ring_successor(p, h, NULL);
        for (size_t step = 0; k < r && step < p->npoints; step++) {
            int s = p->owner[(i + step) % p->npoints];
            if (!seen(out, k, s))
                out[k++] = s;
        }
        break;
    }
    case HASH_MAGLEV: {
        uint64_t m = (uint64_t)p->o.table_size, j = h % m;
        for (uint64_t step = 0; k < r && step < m; step++) {
            int s = p->table[(j + step) % m];
            if (!seen(out, k, s))
                out[k++] = s;
        }
        break;
    }
    case HASH_RENDEZVOUS: {
        /* the r highest weights, kept sorted by insertion */
        uint64_t w[HASH_MAX_REPLICAS + 1];
        for (int i = 0; i < p->n; i++) {
            uint64_t wi = hrw_weight(p, i, h);
            int pos = k;
            while (pos > 0 && hrw_beats(p, i, wi, out[pos - 1], w[pos - 1]))
                pos--;
            if (pos >= r)
                continue;
            int last = k < r ? k : r - 1;
            for (int q = last; q > pos; q--) {
                out[q] = out[q - 1];
                w[q] = w[q - 1];
            }
            out[pos] = i;
            w[pos] = wi;
            if (k < r)
                k++;
        }
        break;
    }
    default: {
        int first = hash_place_lookup(p, h, NULL);
        for (; k < r; k++)
            out[k] = (first + k) % p->n;
        break;
    }
    }
    assert(k == r);
    return k;
}

/* ceil(c * m / n), with a relative slack of 1e-12 so that a c such as 1.1
 * (not exact in binary) does not round 110.00000000000001 up to 111. */
static int64_t bounded_cap(double c, int64_t m, int n)
{
    double x = c * (double)m / (double)n;
    int64_t cap = (int64_t)ceil(x * (1 - 1e-12));
    return cap < 1 ? 1 : cap;
}

void hash_bounded_begin(struct hash_place *p, int64_t m)
{
    assert(p->load);
    for (int i = 0; i < p->n; i++)
        p->load[i] = 0;
    p->balls = 0;
    p->cap = bounded_cap(p->o.capacity, m, p->n);
    p->cap_m = m;
}

/* Mirrokni, Thorup & Zadimoghaddam, §2: a ball goes to the first bin
 * clockwise from its hash that holds fewer than ceil(c * m / n) balls.
 * More balls than announced grow m (the capacity follows). */
int hash_bounded_add(struct hash_place *p, uint64_t h, int *probes)
{
    assert(p->load);
    if (p->balls + 1 > p->cap_m) {
        p->cap_m = p->balls + 1;
        p->cap = bounded_cap(p->o.capacity, p->cap_m, p->n);
    }
    int steps = 0;
    size_t i = ring_successor(p, h, &steps);
    for (size_t step = 0; step < p->npoints; step++) {
        int s = p->owner[(i + step) % p->npoints];
        steps++;
        if (p->load[s] < p->cap) {
            p->load[s]++;
            p->balls++;
            if (probes)
                *probes = steps;
            return s;
        }
    }
    assert(0 && "capacity c*m/n > m/n leaves room");
    return p->owner[i];
}
