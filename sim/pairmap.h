/* An open-addressing hash map from a 64-bit key (usually a packed
 * (src, dst) endpoint pair) to a 64-bit value. Lookups decide nothing by
 * iteration order: the engine only ever asks for one key. */
#ifndef SIM_PAIRMAP_H
#define SIM_PAIRMAP_H

#include <stddef.h>
#include <stdint.h>

struct pairmap {
    uint64_t *keys;     /* 0 marks an empty slot: keys are stored +1 */
    int64_t *vals;
    size_t cap, len;
};

static inline uint64_t pair_key(int a, int b)
{
    return ((uint64_t)(uint32_t)a << 32) | (uint32_t)b;
}

void pairmap_init(struct pairmap *m);
void pairmap_free(struct pairmap *m);
void pairmap_clear(struct pairmap *m);
/* Pointer to the value for key, or NULL. */
int64_t *pairmap_get(const struct pairmap *m, uint64_t key);
/* Pointer to the value for key, inserted as def when absent. */
int64_t *pairmap_put(struct pairmap *m, uint64_t key, int64_t def);

#endif
