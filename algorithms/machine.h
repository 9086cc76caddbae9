/* The replicated state machine a replicated log applies (Raft, Paxos): one
 * interface, several machines (`config.machine = "kv" | ...`).
 *
 * A machine is a deterministic function of the commands applied to it, in
 * order: every replica that applies the same log holds the same state and
 * answers with the same results. This layer adds what every machine needs
 * and none should write twice:
 *
 * - client sessions (Raft thesis §6.3): a command carries (client, seq); a
 *   retried command keeps its seq, so a command that reaches the log twice is
 *   executed once and the duplicate answers with the first result. A session
 *   remembers its last MACHINE_SESSION_WINDOW results (clients may have several
 *   operations outstanding); a duplicate older than that is answered
 *   RESULT_UNKNOWN "session expired", not executed.
 * - snapshots (thesis ch. 5): the machine's state AND the sessions, saved to
 *   bytes and loaded back, so dedup survives log compaction.
 *
 * Ownership: machine_init / machine_free; the machine owns its state and
 * sessions. A `struct machine_buf` is owned by whoever initialised it. */
#ifndef ALGORITHMS_MACHINE_H
#define ALGORITHMS_MACHINE_H

#include <stddef.h>
#include <stdint.h>
#include "algorithms/kv.h"
#include "sim/node.h"

#define MACHINE_SESSION_WINDOW 64

/* A growable byte buffer (snapshots) and a bounds-checked reader over one. */
struct machine_buf { unsigned char *p; size_t len, cap; };
void machine_buf_put(struct machine_buf *b, const void *data, size_t len);
void machine_buf_free(struct machine_buf *b);

struct machine_reader { const unsigned char *p; size_t len, off; int bad; };
/* Copy len bytes out; on a short read marks the reader bad and zero-fills. */
void machine_read(struct machine_reader *r, void *out, size_t len);

enum machine_op_kind {
    MACHINE_OP_UNKNOWN = -1,   /* not an operation of this machine */
    MACHINE_OP_UPDATE = 0,     /* must go through the log */
    MACHINE_OP_READ = 1        /* read-only: may be answered by ReadIndex or a lease */
};

/* One machine. Every callback is required unless marked optional. */
struct machine_ops {
    const char *name;          /* "kv" */
    const char *ops;           /* the operations, for error messages: "get, put, cas" */
    size_t state_size;         /* bytes of state, zeroed before init */
    void (*init)(void *state);
    void (*free)(void *state);
    int  (*kind)(const char *op);
    /* Execute one command in log order. `index` is its position in the log (a
     * fencing token is the index of the grant, as etcd and Chubby use). Fills
     * *out (zeroed by the caller); returns 1 when the state changed. An op
     * the machine does not have is answered RESULT_FAIL "unknown op ...". */
    int  (*exec)(void *state, const struct request *cmd, uint64_t index, struct result *out);
    /* Answer a read-only command from the current state. */
    void (*query)(const void *state, const struct request *cmd, struct result *out);
    void (*save)(const void *state, struct machine_buf *out);
    void (*load)(void *state, struct machine_reader *in);    /* into a freshly initialised state */
    void (*inspect)(const void *state, struct inspector *in);  /* optional */
    /* Optional: commands the leader should propose now, its local clock
     * reading `now` (a lock's expiry, decided in the log's order). Fills at
     * most max; returns how many. Called on the leader only. */
    int  (*propose)(void *state, sim_time now, struct request *out, int max);
};

struct machine_cached { uint64_t seq; struct result res; };

struct machine_session {
    struct machine_cached ring[MACHINE_SESSION_WINDOW];
    int count, head;
    uint64_t evicted_max;      /* highest seq pushed out of the window */
};

struct machine {
    const struct machine_ops *ops;
    void *state;
    struct machine_session **sessions;   /* by client id; NULL until its first command */
    int nsessions;
    uint64_t applied, duplicates, expired;
    int no_dedup;              /* the seeded bug raft.no_dedup: sessions ignored */
};

void machine_init(struct machine *m, const struct machine_ops *ops);
void machine_free(struct machine *m);

/* Apply one command from the log, with session dedup. */
int  machine_apply(struct machine *m, const struct request *cmd, uint64_t index, struct result *out);
/* A read-only command outside the log (ReadIndex, a lease, a seeded stale read). */
void machine_query(const struct machine *m, const struct request *cmd, struct result *out);
int  machine_kind(const struct machine *m, const char *op);
/* An update's answer from the current state, without applying it: only a
 * seeded bug asks (raft.deq_from_local_state). */
void machine_peek(const struct machine *m, const struct request *cmd, struct result *out);
/* The machine's commands to propose (machine_ops.propose); 0 without one. */
int  machine_propose(struct machine *m, sim_time now, struct request *out, int max);
/* Read a C string saved with its terminator (snapshots). */
void machine_read_str(struct machine_reader *r, char out[REQ_STR]);

/* Snapshot: the state, then (with_sessions) the sessions. machine_load
 * replaces the machine's contents; returns -1 (machine left empty) when the
 * bytes are malformed. */
void machine_save(const struct machine *m, struct machine_buf *out, int with_sessions);
int  machine_load(struct machine *m, const unsigned char *p, size_t len);

void machine_inspect(const struct machine *m, struct inspector *in);

/* The registered machines: a NULL-terminated name list for config_choice,
 * and lookup by index into it. */
extern const char *const machine_names[];
const struct machine_ops *machine_by_index(int i);

/* The checker's memory of non-kv answers (machine_check.c), zeroed to start. */
struct machine_watch {
    struct kv_table items;    /* queue item -> who dequeued it */
    int *client;
    uint64_t *seq;
    size_t cap;
    /* the checker's own model of who holds each lease (lock machine) */
    struct kv_table leases;
    struct watch_lease { int held, client; int64_t token, renewals; char owner[REQ_STR]; } *lease;
    size_t lease_cap;
};
/* 1 and *v filled when this answer is impossible for the machine; c (may
 * be NULL) counts the evaluation for coverage. */
int  machine_watch_reply(const struct cluster *c, struct machine_watch *w, const struct machine_ops *ops, int node,
                         const struct request *q, const struct result *res, struct violation *v);
/* A command applied in commit order, with the machine's answer; executed
 * is 0 when sessions answered it from the first application (or refused it)
 * and nothing changed. 1 and *v filled when the answer is impossible. */
int  machine_watch_apply(const struct cluster *c, struct machine_watch *w, const struct machine_ops *ops,
                         uint64_t index, const struct request *cmd, const struct result *res, int executed,
                         struct violation *v);
/* The checkers' reference replica (Raft's and Paxos's): apply cmd to ref
 * at index, answer in *res, and judge the answer with the watch. Returns
 * 1 with *v filled when it is impossible; *wrote (may be NULL) gets
 * machine_apply's result. */
int  machine_ref_apply(const struct cluster *c, struct machine *ref, struct machine_watch *w, uint64_t index,
                       const struct request *cmd, struct result *res, int *wrote, struct violation *v);
void machine_watch_free(struct machine_watch *w);

extern const struct machine_ops machine_kv, machine_lock, machine_counter, machine_queue;

#endif
