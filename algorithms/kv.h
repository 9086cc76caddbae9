/* A key-value state machine with client sessions, for replicated logs
 * (Raft, Paxos). Deterministic: the same commands in the same order give the
 * same state and the same results on every replica.
 *
 *   put(key, value)          -> ok
 *   get(key)                 -> ok, value / found = 0 for a missing key
 *   cas(key, expect, value)  -> ok when the current value is `expect`
 *                               (a missing key never matches), else fail "cas mismatch"
 *
 * Sessions (Raft thesis §6.3): a command carries (client, seq); a retried
 * command keeps its seq, so a command that reaches the log twice is applied
 * once and the duplicate answers with the first result. Clients may have
 * several operations outstanding, so each session remembers the results of
 * its last KV_SESSION_WINDOW commands; a duplicate older than that window
 * cannot be told apart from a new command any more, and is answered with
 * RESULT_UNKNOWN "session expired" without being applied (§6.3: "the server
 * responds with an error when the session has expired").
 *
 * Ownership: kv_init / kv_free; the struct owns its arrays. */
#ifndef ALGORITHMS_KV_H
#define ALGORITHMS_KV_H

#include <stddef.h>
#include <stdint.h>
#include "sim/node.h"

#define KV_SESSION_WINDOW 64

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

struct kv_cached { uint64_t seq; struct result res; };

struct kv_session {
    struct kv_cached ring[KV_SESSION_WINDOW];
    int count, head;
    uint64_t evicted_max;    /* highest seq pushed out of the window */
};

struct kv {
    struct kv_table table;
    char (*values)[REQ_STR];
    unsigned char *present;
    size_t values_cap;
    struct kv_session **sessions;   /* by client id; NULL until the client's first command */
    int nsessions;
    uint64_t applied, duplicates, expired;
};

void kv_init(struct kv *kv);
void kv_free(struct kv *kv);

/* Apply one command (with session dedupe) and fill *out. Returns 1 when the
 * state changed (a put, or a cas that matched), 0 otherwise. */
int kv_apply(struct kv *kv, const struct request *cmd, struct result *out);

/* Apply one command with no session bookkeeping (a read served outside the
 * log, or a checker's reference). */
int kv_exec(struct kv *kv, const struct request *cmd, struct result *out);

/* Local read of the current state: 1 and the value when present, else 0. */
int kv_read(const struct kv *kv, const char *key, char value[REQ_STR]);

/* A 64-bit digest of a result (status, found, value, error), for checkers. */
uint64_t kv_result_digest(const struct result *r);

/* FNV-1a over bytes, continuing from h (start with KV_FNV_INIT). */
#define KV_FNV_INIT 1469598103934665603ULL
uint64_t kv_fnv(uint64_t h, const void *data, size_t len);

#endif
