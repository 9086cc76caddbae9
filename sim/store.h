/* A node's durable store: string keys to byte values. Writes land in a
 * volatile "page cache" layer until node_store_sync; a crash either keeps
 * them (the default: the OS flushed them) or loses them (the scenario's
 * lose_unsynced). The store is owned by its node and outlives crashes. */
#ifndef SIM_STORE_H
#define SIM_STORE_H

#include <stddef.h>
#include <stdint.h>

struct store_val { unsigned char *data; size_t len, cap; int present; };

struct store_entry {
    char *key;
    struct store_val durable;
    struct store_val pending;
    int dirty;              /* pending holds an unsynced write (or delete) */
    int dead;               /* a sync deleted it (counted in ndead) */
};

struct store {
    struct store_entry *e;
    size_t len, cap;
    uint32_t *index;        /* hash slots: entry index + 1, 0 empty */
    size_t index_cap;
    uint32_t *dirty;        /* entries with unsynced writes */
    size_t ndirty, dirty_cap;
    uint64_t bytes;         /* durable bytes, for metrics */
    size_t ndead;           /* entries a sync deleted since the last compaction */
};

void store_init(struct store *s);
void store_free(struct store *s);
int  store_put(struct store *s, const char *key, const void *data, size_t len);
const void *store_get(const struct store *s, const char *key, size_t *len);
int  store_del(struct store *s, const char *key);
void store_sync(struct store *s);
/* On crash: keep (sync) or drop unsynced writes. Returns how many were dropped. */
size_t store_crash(struct store *s, int lose_unsynced);
size_t store_unsynced(const struct store *s);

#endif
