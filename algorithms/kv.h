/* A key-value state machine with client sessions, for replicated logs
 * (Raft, Paxos). Deterministic: the same commands in the same order give the
 * same state and the same results on every replica.
 *
 *   put(key, value)          -> ok
 *   get(key)                 -> ok, value / found = 0 for a missing key
 *   cas(key, expect, value)  -> ok when the current value is `expect`
 *                               (a missing key never matches), else fail "cas mismatch"
 *
 * Client sessions (dedup) and snapshots are the replicated-machine layer's
 * (machine.h); this file is the bare store, and `machine_kv` wraps it.
 *
 * Ownership: kv_init / kv_free; the struct owns its arrays. */
#ifndef ALGORITHMS_KV_H
#define ALGORITHMS_KV_H

#include <stddef.h>
#include <stdint.h>
#include "sim/node.h"

/* A string -> slot table (open addressing, insertion-ordered slots), shared
 * by the state machine and by checkers that track per-key histories. */
struct kv_table {
    char (*keys)[REQ_STR];
    size_t len, cap;
    uint32_t *index;         /* slot + 1; 0 is empty */
    size_t index_cap;
};

void kv_table_init(struct kv_table *t);
void kv_table_free(struct kv_table *t);
long kv_table_find(const struct kv_table *t, const char *key);   /* slot, or -1 */
size_t kv_table_add(struct kv_table *t, const char *key);       /* slot (existing or new) */
/* kv_table_add, and grow *arr (elem bytes per slot, *cap slots, new ones
 * zeroed) so it has a slot for every key: a per-key array beside the table. */
size_t kv_table_add_with(struct kv_table *t, const char *key, void *arr, size_t *cap, size_t elem);

struct kv {
    struct kv_table table;
    char (*values)[REQ_STR];
    unsigned char *present;
    size_t values_cap;
};

void kv_init(struct kv *kv);
void kv_free(struct kv *kv);

/* Execute one command and fill *out. Returns 1 when the state changed (a
 * put, or a cas that matched), 0 otherwise. */
int kv_exec(struct kv *kv, const struct request *cmd, struct result *out);

/* Local read of the current state: 1 and the value when present, else 0. */
int kv_read(const struct kv *kv, const char *key, char value[REQ_STR]);

/* A 64-bit digest of a result (status, found, value, error), for checkers. */
uint64_t kv_result_digest(const struct result *r);

/* FNV-1a over bytes, continuing from h (start with KV_FNV_INIT). */
#define KV_FNV_INIT 1469598103934665603ULL
uint64_t kv_fnv(uint64_t h, const void *data, size_t len);

#endif
