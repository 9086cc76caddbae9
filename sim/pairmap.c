/* Linear-probing hash map (see pairmap.h). No deletion: the engine clears a
 * whole map (heal) instead, which keeps probing simple. */
#include "sim/pairmap.h"

#include <stdlib.h>
#include <string.h>

void pairmap_init(struct pairmap *m) { memset(m, 0, sizeof *m); }

void pairmap_free(struct pairmap *m)
{
    free(m->keys);
    free(m->vals);
    memset(m, 0, sizeof *m);
}

void pairmap_clear(struct pairmap *m)
{
    if (m->keys)
        memset(m->keys, 0, m->cap * sizeof *m->keys);
    m->len = 0;
}

static inline size_t slot(uint64_t k, size_t cap)
{
    k ^= k >> 33;
    k *= 0xff51afd7ed558ccdULL;
    k ^= k >> 33;
    return (size_t)k & (cap - 1);
}

int64_t *pairmap_get(const struct pairmap *m, uint64_t key)
{
    if (m->len == 0)
        return NULL;
    uint64_t k = key + 1;
    for (size_t i = slot(k, m->cap);; i = (i + 1) & (m->cap - 1)) {
        if (m->keys[i] == k)
            return &m->vals[i];
        if (m->keys[i] == 0)
            return NULL;
    }
}

static void grow(struct pairmap *m)
{
    size_t ncap = m->cap ? m->cap * 2 : 64;
    uint64_t *nk = calloc(ncap, sizeof *nk);
    int64_t *nv = calloc(ncap, sizeof *nv);
    if (!nk || !nv)
        abort();
    for (size_t i = 0; i < m->cap; i++) {
        if (!m->keys[i])
            continue;
        size_t j = slot(m->keys[i], ncap);
        while (nk[j])
            j = (j + 1) & (ncap - 1);
        nk[j] = m->keys[i];
        nv[j] = m->vals[i];
    }
    free(m->keys);
    free(m->vals);
    m->keys = nk;
    m->vals = nv;
    m->cap = ncap;
}

int64_t *pairmap_put(struct pairmap *m, uint64_t key, int64_t def)
{
    if ((m->len + 1) * 2 > m->cap)
        grow(m);
    uint64_t k = key + 1;
    size_t i = slot(k, m->cap);
    while (m->keys[i] && m->keys[i] != k)
        i = (i + 1) & (m->cap - 1);
    if (!m->keys[i]) {
        m->keys[i] = k;
        m->vals[i] = def;
        m->len++;
    }
    return &m->vals[i];
}
