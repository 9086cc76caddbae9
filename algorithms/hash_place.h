/* Placement functions for consistent hashing: which server holds a key.
 * Pure: no node, no engine, no Lua; the hashring algorithm and the sim.hash
 * Lua table both call them, so a scenario that explores placement alone
 * sees exactly what the simulated store does.
 *
 * Keys are hashed with xxHash's XXH3_64bits (libxxhash); every scheme takes
 * the key's 64-bit hash. Servers are named by integer ids (node numbers);
 * a placement is built over an ordered list of ids and answers with a slot
 * (an index into that list), so a lookup never allocates.
 *
 *   modulo        h mod n: the naive baseline
 *   ring          Karger et al. (STOC 1997): V points per server on a 2^64
 *                 circle, a key goes to the first point at or after its hash;
 *                 lookup is a binary search over the sorted points
 *   jump          Lamping & Veach (2014), the published function over the
 *                 key's hash; buckets are the slots in list order
 *   rendezvous    Thaler & Ravishankar (1998): the server with the highest
 *                 weight w(key, server); O(n) per lookup
 *   maglev        Eisenbud et al. (NSDI 2016): a lookup table of prime size M
 *                 filled by Pseudocode 1 from per-server (offset, skip)
 *                 permutations; lookup is table[h mod M]
 *   bounded_load  Mirrokni, Thorup & Zadimoghaddam (SODA 2018): the ring, but
 *                 a server holds at most ceil(c * m / n) of m balls; a ball
 *                 whose successor is full moves on clockwise
 *
 * Ownership: hash_place_build allocates, hash_place_free frees; the struct
 * owns its arrays. */
#ifndef ALGORITHMS_HASH_PLACE_H
#define ALGORITHMS_HASH_PLACE_H

#include <stddef.h>
#include <stdint.h>

#include "sim/node.h"

enum hash_scheme { HASH_MODULO = 0, HASH_RING, HASH_JUMP, HASH_RENDEZVOUS, HASH_MAGLEV, HASH_BOUNDED };

/* "modulo", "ring", "jump", "rendezvous", "maglev", "bounded_load", NULL */
extern const char *const hash_scheme_names[];
/* The names joined by ", " for error messages. */
#define HASH_SCHEMES_ACCEPTED "modulo, ring, jump, rendezvous, maglev, bounded_load"

/* Limits, so every table fits in memory and every count in int32. */
#define HASH_MAX_SERVERS 100000
#define HASH_MAX_VNODES 10000
#define HASH_MAX_POINTS 20000000
#define HASH_MAX_TABLE 40000003

struct hash_opts {
    int scheme;
    int vnodes;              /* ring, bounded_load: points per server (default 100) */
    int64_t table_size;      /* maglev: M, prime (default 65537) */
    double capacity;         /* bounded_load: c > 1 (default 1.25) */
    int replicas;            /* R distinct servers per key (default 1) */
};

void hash_opts_default(struct hash_opts *o);
/* The scheme named s, or -1. */
int hash_scheme_find(const char *s);
/* Validate against `servers` servers: 0, or -1 with err naming the option
 * and what is accepted (vnodes >= 1, table_size a prime >= servers with the
 * nearest primes suggested, capacity > 1, 1 <= replicas <= servers). */
int hash_opts_check(const struct hash_opts *o, int servers, struct error *err);
int hash_is_prime(int64_t m);
/* Largest prime < m (0 if none) and smallest prime > m. */
int64_t hash_prime_below(int64_t m);
int64_t hash_prime_above(int64_t m);

/* XXH3_64bits of the bytes. */
uint64_t hash_key(const void *data, size_t len);
/* Lamping & Veach's JumpConsistentHash(key, num_buckets), buckets >= 1. */
int32_t hash_jump(uint64_t key, int32_t buckets);

struct hash_place {
    struct hash_opts o;
    int n;                   /* servers */
    int *ids;                /* slot -> server id */
    /* ring and bounded_load: sorted points and the slot each belongs to */
    uint64_t *points;
    int32_t *owner;
    size_t npoints;
    /* rendezvous: per-slot seed of the weight function */
    uint64_t *seed;
    /* maglev: M entries, each a slot */
    int32_t *table;
    /* bounded_load: balls per slot and the capacity ceil(c * m / n) */
    int64_t *load;
    int64_t cap, balls, cap_m;   /* cap_m: the m the capacity is computed for */
};

/* Build the placement over n servers named ids[0..n-1] (distinct, >= 1).
 * 0, or -1 with err filled (bad options, as hash_opts_check). */
int hash_place_build(struct hash_place *p, const struct hash_opts *o, const int *ids, int n, struct error *err);
void hash_place_free(struct hash_place *p);

/* The slot of the key with hash h; *probes (may be NULL) gets the lookup's
 * cost: binary-search steps, table reads, weights computed or jump
 * iterations. For bounded_load this is the plain ring successor (the
 * first choice, ignoring loads). */
int hash_place_lookup(const struct hash_place *p, uint64_t h, int *probes);

/* The first r (<= n, <= 17) distinct slots for h, first choice first: successors
 * on the ring; the next r choices for the others (the next slots after the
 * first for modulo and jump, the r highest weights for rendezvous, the next
 * distinct table entries for maglev). Returns r. */
int hash_place_replicas(const struct hash_place *p, uint64_t h, int r, int *out);

/* bounded_load: start an assignment of m balls (capacity ceil(c*m/n), all
 * loads zero), then place balls one at a time; each goes to the first slot
 * clockwise from its hash whose load is below the capacity. Returns the slot. */
void hash_bounded_begin(struct hash_place *p, int64_t m);
int hash_bounded_add(struct hash_place *p, uint64_t h, int *probes);

/* Maglev: the permutation parameters of slot i (offset in [0, M), skip in [1, M)). */
void hash_maglev_perm(const struct hash_place *p, int i, uint64_t *offset, uint64_t *skip);

#endif
