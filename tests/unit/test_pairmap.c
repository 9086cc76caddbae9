/* Unit tests for sim/pairmap.c: the (src, dst) -> value map behind link
 * overrides, one-way blocks and fifo bookkeeping. */
#include <stdlib.h>

#include "sim/pairmap.h"
#include "sim/rng.h"
#include "tests/unit/tap.h"

static void test_basic(void)
{
    struct pairmap m;
    pairmap_init(&m);
    ok(pairmap_get(&m, pair_key(1, 2)) == NULL, "empty map: get gives NULL");
    *pairmap_put(&m, pair_key(1, 2), 0) = 12;
    ok(pairmap_get(&m, pair_key(1, 2)) && *pairmap_get(&m, pair_key(1, 2)) == 12, "put then get");
    ok(pairmap_get(&m, pair_key(2, 1)) == NULL, "pairs are directed: (2, 1) is another key");
    is_int(*pairmap_put(&m, pair_key(1, 2), 99), 12, "put of a present key keeps its value (def ignored)");
    is_int(m.len, 1, "one entry");
    /* Key 0 and all-ones keys: keys are stored +1, so 0 is a valid key, and
     * client endpoints (negative ids) pack into distinct keys. */
    *pairmap_put(&m, 0, 0) = 5;
    ok(pairmap_get(&m, 0) && *pairmap_get(&m, 0) == 5, "key 0 (pair 0, 0) is a valid key");
    *pairmap_put(&m, pair_key(-1, 3), 0) = -7;
    *pairmap_put(&m, pair_key(3, -1), 0) = 8;
    ok(*pairmap_get(&m, pair_key(-1, 3)) == -7 && *pairmap_get(&m, pair_key(3, -1)) == 8,
       "client endpoints pack into distinct keys");
    ok(pair_key(-1, 3) != pair_key(3, -1) && pair_key(1, 2) != pair_key(2, 1), "pair_key is order-sensitive");
    /* (Key UINT64_MAX, pair_key(-1, -1), is the one key the +1 encoding cannot
     * hold; no endpoint ever sends to itself as client 1, so it never occurs.) */
    *pairmap_put(&m, pair_key(-2, 5), INT64_MIN) += 0;
    ok(*pairmap_get(&m, pair_key(-2, 5)) == INT64_MIN, "a put stores the default value (INT64_MIN fifo sentinel)");
    pairmap_clear(&m);
    ok(m.len == 0 && pairmap_get(&m, pair_key(1, 2)) == NULL && pairmap_get(&m, 0) == NULL, "clear empties the map");
    *pairmap_put(&m, pair_key(1, 2), 3) += 1;
    is_int(*pairmap_get(&m, pair_key(1, 2)), 4, "usable after clear");
    pairmap_free(&m);
}

static void test_many(void)
{
    enum { N = 50000 };
    struct pairmap m;
    struct rng r;
    pairmap_init(&m);
    rng_init(&r, 1, RNG_TOOL, 9);
    uint64_t *keys = calloc(N, sizeof *keys);
    for (int i = 0; i < N; i++) {
        int a = (int)rng_range(&r, -50, 400), b = (int)rng_range(&r, -50, 400);
        keys[i] = pair_key(a, b);
        *pairmap_put(&m, keys[i], 0) += 1;
    }
    /* Count with a sort-free reference: recount from the key list. */
    int good = 1;
    size_t distinct = 0;
    for (int i = 0; i < N && good; i++) {
        int64_t *v = pairmap_get(&m, keys[i]);
        if (!v) {
            good = 0;
            break;
        }
        int64_t want = 0, first = 1;
        for (int j = 0; j < N; j++)
            if (keys[j] == keys[i]) {
                want++;
                if (j < i)
                    first = 0;
            }
        distinct += (size_t)first;
        if (*v != want)
            good = 0;
        if (i > 2000)
            break;          /* the quadratic recount on a prefix is enough */
    }
    ok(good, "counts of random pairs match a recount after many grows");
    ok(m.len <= N && m.len > 0 && m.cap >= 2 * m.len, "load factor stays at or below 1/2 (len %zu, cap %zu)", m.len, m.cap);
    ok(pairmap_get(&m, pair_key(1000, 1000)) == NULL, "an absent key stays absent in a full map");
    (void)distinct;
    free(keys);
    pairmap_free(&m);
}

int main(void)
{
    test_basic();
    test_many();
    return done_testing();
}
