/* Raft internals shared by the protocol (raft.c, raft_snapshot.c) and its
 * omniscient checker (raft_check.c). Nothing outside those files includes
 * this. */
#ifndef ALGORITHMS_RAFT_INT_H
#define ALGORITHMS_RAFT_INT_H

#include <stdint.h>
#include "algorithms/algorithm.h"
#include "algorithms/kv.h"
#include "algorithms/machine.h"
#include "algorithms/rsm.h"

enum role { FOLLOWER = 0, PRECANDIDATE, CANDIDATE, LEADER };

enum {
    MSG_REQUEST_VOTE = 0, MSG_REQUEST_VOTE_REPLY, MSG_PRE_VOTE, MSG_PRE_VOTE_REPLY,
    MSG_APPEND_ENTRIES, MSG_APPEND_ENTRIES_REPLY, MSG_TIMEOUT_NOW,
    MSG_INSTALL_SNAPSHOT, MSG_INSTALL_SNAPSHOT_REPLY, MSG_COUNT
};

enum { T_ELECTION = 0, T_HEARTBEAT = 1, T_QUORUM = 2, T_TRANSFER = 3 };
enum { ENTRY_NOOP = 0, ENTRY_CMD = 1, ENTRY_CONFIG = 2 };   /* CONFIG: cmd.op add_node|remove_node, cmd.num the id */
enum { READ_LOG = 0, READ_INDEX, READ_LEASE };

/* ------------------------------------------------------------ options */

struct raft_params {
    sim_time election[2];        /* election timeout range, local time */
    sim_time heartbeat;
    int prevote, check_quorum, fast_backoff, read_index;
    int read_mode;               /* READ_LOG, READ_INDEX or READ_LEASE */
    double drift_bound;          /* lease reads: the assumed bound on clock drift */
    sim_time lease;              /* election_timeout_min / (1 + drift_bound), local time */
    int max_batch;               /* entries per AppendEntries */
    int machine;                 /* index into machine_names */
    int initial_nodes;           /* the first configuration: servers 1..initial_nodes */
    int64_t snapshot_entries;    /* applied entries past the snapshot before a new one (0: never) */
    int64_t snapshot_chunk;      /* InstallSnapshot bytes per message */
    /* seeded bugs */
    int bug_commit_previous_term, bug_no_persist_vote, bug_vote_without_log_check,
        bug_stale_leader_read, bug_truncate_on_every_append, bug_snapshot_without_sessions,
        bug_concurrent_config_changes, bug_no_dedup, bug_deq_local;
};

#define RAFT_MAX_NODES 1000

/* ------------------------------------------------------ log and messages */

/* A log entry, as stored and as sent. A client command keeps the request it
 * came from (with the attempt id the leader answers). */
struct entry {
    uint64_t term;
    int32_t type;                /* ENTRY_NOOP or ENTRY_CMD */
    int32_t pad;
    struct request cmd;
};

struct vote_req {                /* RequestVote and PreVote (Figure 2; thesis §9.6) */
    uint64_t term;               /* PreVote: the term the sender would campaign in */
    uint64_t last_log_index, last_log_term;
    int32_t candidate;
    int32_t transfer;            /* §3.10: sent after TimeoutNow; voters do not ignore it (§4.2.3) */
};

struct timeout_now { uint64_t term; };   /* §3.10: start an election now */

struct snap_req {                /* InstallSnapshot (thesis Figure 5.3); `bytes` of data follow */
    uint64_t term;
    uint64_t last_index, last_term;   /* lastIncludedIndex, lastIncludedTerm */
    uint64_t chain;              /* checker only: the chain hash at last_index */
    uint64_t offset, total;      /* this chunk's place in the snapshot, its whole size */
    uint32_t bytes;
    int32_t leader;
};

struct snap_reply {
    uint64_t term, req_term;
    uint64_t last_index;         /* the snapshot answered */
    uint64_t offset;             /* bytes of it received so far */
    int32_t done, pad;           /* done: installed (or already covered) */
};

struct vote_reply {
    uint64_t term;               /* the voter's current term */
    uint64_t vote_term;          /* the term the vote is for (matches the request) */
    int32_t granted, pad;
};

struct append_req {              /* AppendEntries (Figure 2); entries follow */
    uint64_t term, prev_log_index, prev_log_term, leader_commit;
    uint64_t round;              /* heartbeat round, echoed back (ReadIndex, §6.4) */
    int32_t leader;
    uint32_t n_entries;
};

struct append_reply {
    uint64_t term;
    uint64_t req_term;           /* the term of the AppendEntries answered: a
                                  * reply counts for the leader only in that term */
    uint64_t match_index;        /* success: last index known to match */
    uint64_t prev_log_index;     /* failure: the prevLogIndex that did not match */
    uint64_t conflict_index, conflict_term;   /* failure: back-off hints (§5.3) */
    uint64_t round;
    int32_t success, pad;
};

/* ------------------------------------------------------------ the ghost */

enum obs_kind { OB_LEADER, OB_CANDIDATE, OB_WRITE, OB_TRUNCATE, OB_COMMIT, OB_APPLY, OB_REPLY, OB_READ,
                OB_SNAPSHOT, OB_CONFIG, OB_RESTART, OB_HEARD };

struct obs {                     /* one observation a node made, for check() */
    enum obs_kind kind;
    int node, flag;
    uint64_t index, term, chain, aux;
    uint64_t digest;             /* OB_APPLY: the node's result; OB_SNAPSHOT: its bytes */
    struct entry e;              /* OB_APPLY: the entry */
    struct request req;          /* OB_REPLY, OB_READ */
    struct result res;           /* OB_REPLY */
};

struct gindex {                  /* what the checker knows of one log index */
    uint64_t chain;              /* committed entry (with its whole prefix), 0 if none */
    uint64_t term;               /* its term */
    uint64_t commit_term;        /* term of the node that first marked it committed */
    int committed_by, applied_by;
    uint64_t applied_chain;
    uint64_t result;             /* digest of the reference state machine's result */
    uint64_t node_result;        /* digest of the first applier's result */
    uint64_t snap_digest;        /* digest of the first snapshot taken at this index */
    int snap_by;
};

/* prev: the chain of the entry before it in the log it was written to, 0
 * until a check saw that (snapshot_suffix) */
struct lm_slot { uint64_t index, term, chain, prev; int node, used; };

struct version { uint64_t index; char value[REQ_STR]; };
struct vlist { struct version *v; size_t len, cap; };

struct gterm { int leader; unsigned char campaigned; };

#define GREADS 4096
struct gread { uint64_t req_id, commit_at_recv; };

struct raft_ghost {
    int nodes;
    struct obs *q;               /* observations since the last check */
    size_t nq, capq;
    uint64_t heard;              /* messages whose term term_adopted judged since the last check */
    struct gterm *terms;
    size_t nterms;
    struct gindex *idx;          /* [index], index 0 unused */
    size_t capidx;
    uint64_t commit_hw, applied_hw;
    uint64_t *held;              /* [node]: highest committed index it committed */
    struct lm_slot *lm;          /* (index, term) -> chain */
    size_t caplm, nlm;
    /* The reference state machine, applied in commit order. For "kv" it is
     * the checker's own model (below, not kv.c or machine.c: a bug there
     * must not be copied into what is meant to catch it): the state is
     * the versions of each key, the sessions an exact set of (client, seq)
     * with the first result. Other machines fall back to `ref`. */
    int own_model;
    struct machine ref;
    struct machine_watch watch;  /* answers of non-kv machines (machine_check.c) */
    struct seen { int client, used; uint64_t seq, digest; } *seen;
    size_t capseen, nseen;
    uint64_t model_duplicates;
    struct kv_table keys;
    struct vlist *versions;
    size_t capversions;
    struct gread reads[GREADS];
    /* metrics */
    uint64_t snapshots, installs, snapshot_chunks, config_changes;
    /* [node]: what it has sent (durable_state): the highest term, and the
     * last vote it gave (a granted RequestVote reply, or its own RequestVote
     * as a candidate) with the term of that vote. */
    struct sent { uint64_t term, vote_term; int vote, pad; } *sent;
    size_t capsent;
    /* the checker's own model of the committed configuration (ch. 4) */
    unsigned char *cfg;
    size_t capcfg;
    uint64_t cfg_term;
    uint64_t elections, prevotes, leaders, stepdowns, quorum_stepdowns, truncated,
             redirects, log_reads, index_reads, local_reads, lease_reads, max_term, appended;
};

#define OBS_BATCH 1024

/* ------------------------------------------------------- volatile state */

struct pending_read {            /* ReadIndex (thesis §6.4) */
    struct request req;
    uint64_t read_index;         /* 0 until the leader has committed in its term */
    uint64_t round;
    int confirmed;
};

#define LEASE_RING 64
#define SYNC_RING 64

/* An answer waiting for the disk (send_durable). */
struct outmsg {
    uint64_t ticket;
    int dst, type;
    size_t len;
    union { struct vote_req v; struct vote_reply vr; struct append_reply ar; } data;
};
struct len_at { uint64_t ticket, len; };
struct cfg_change { int add, id; };

struct raft_state {
    /* persistent on all servers (Figure 2), mirrored in the durable store */
    uint64_t term;
    int voted_for;
    struct entry *log;           /* log[k] is index base + 1 + k */
    uint64_t *chain;             /* checker: hash of entry i and all before it */
    uint64_t len, cap;           /* len: the last log index (not a count) */
    /* thesis ch. 5: the snapshot replaces every entry up to base */
    uint64_t base, snap_term, snap_chain;
    int self;                    /* node id, for assertion messages */
    /* volatile on all servers */
    enum role role;
    int leader;                  /* who we believe leads our term (0: unknown) */
    uint64_t commit_index, last_applied;
    sim_time leader_contact;     /* local time we last heard from a current leader */
    int nn;                      /* cluster size */
    unsigned char *votes;        /* [1..nn] granted to us in the current (pre)election */
    uint64_t vote_term;          /* the term those votes are for */
    /* volatile on leaders, reinitialised after election (Figure 2) */
    uint64_t *next_index, *match_index, *acked_round, *sorted;
    unsigned char *inflight, *heard;
    uint64_t round;              /* heartbeat round (ReadIndex, leases) */
    sim_time round_sent[LEASE_RING];  /* lease reads: local time round r was sent, at r % LEASE_RING */
    sim_time lease_until;        /* lease reads: local time the lease ends (§6.4.1) */
    uint64_t term_start;         /* index of this leader's no-op */
    struct pending_read *reads;
    int nreads, capreads;
    int transfer_to;             /* §3.10: leadership being handed to this server (0: none) */
    /* thesis ch. 5: snapshot transfer. Leader: the offset each peer has of
     * the snapshot at snap_sent[peer], the offset it had when last looked
     * at or resent (snap_probe) and the end of the chunks sent (snap_next);
     * follower: the chunks received so far. */
    uint64_t *snap_offset, *snap_sent, *snap_probe, *snap_next;
    struct machine_buf recv;
    uint64_t recv_index;         /* the snapshot recv belongs to (0: none) */
    uint64_t recv_total;         /* its size; recv.len: the bytes held without a gap */
    unsigned char *recv_have;    /* the chunks held, in or out of order */
    size_t recv_chunks;          /* recv_have's size */
    /* thesis ch. 4: the configuration, the latest in the log (taking effect
     * on append), and the one at the snapshot it was computed from */
    unsigned char *voter, *base_voter;   /* [1..nn] */
    int nvoters;
    uint64_t cfg_index;          /* index of the latest configuration entry (<= base: none after it) */
    uint64_t removed_at;         /* index of the entry removing this server (0: none) */
    struct cfg_change *pending;  /* c:add_node / c:remove_node heard, not yet in the log */
    int npending, cappending;
    /* a disk that takes time (persist_sync) */
    uint64_t sync_ticket;        /* the last sync asked for */
    uint64_t durable;            /* log length known durable */
    struct len_at len_at[SYNC_RING];   /* log length when ticket t was asked for */
    struct outmsg *outbox;
    int nout, capout;
    int timeout_now_sent;
    /* the state machine (§6.3 sessions inside) */
    struct machine m;            /* the replicated state machine (config.machine) */
    /* scratch for outgoing AppendEntries: sized once, no malloc per message */
    unsigned char *buf;
    size_t bufcap;
};

static inline struct raft_state *st(struct node *n) { return node_state(n); }
static inline const struct raft_params *prm(const struct node *n) { return node_params(n); }

static inline uint64_t last_index(const struct raft_state *s) { return s->len; }

/* Node code that reads outside its own log is a bug in this file: say
 * where (node, term, index), rather than read past the array. */
_Noreturn void raft_log_bounds(const struct raft_state *s, uint64_t i, const char *what);

static inline struct entry *entry_at(const struct raft_state *s, uint64_t i)
{
    if (i <= s->base || i > s->len)
        raft_log_bounds(s, i, "an entry");
    return &s->log[i - s->base - 1];
}

/* The chain hash of index i (0 for index 0), including the snapshot's last entry. */
static inline uint64_t chain_at(const struct raft_state *s, uint64_t i)
{
    if (i == s->base)
        return s->snap_chain;
    if (i < s->base || i > s->len)
        raft_log_bounds(s, i, "a chain hash");
    return s->chain[i - s->base - 1];
}

/* The term of index i: 0 past the end (and for index 0), the snapshot's term
 * at its last index. Below that the term is gone (thesis §5.1), and asking
 * for it is a bug. */
static inline uint64_t term_at(const struct raft_state *s, uint64_t i)
{
    if (i > s->len)
        return 0;
    if (i == s->base)
        return s->snap_term;
    return entry_at(s, i)->term;
}
static inline uint64_t last_term(const struct raft_state *s) { return term_at(s, s->len); }
static inline int majority(const struct raft_state *s) { return s->nvoters / 2 + 1; }

static inline uint64_t entry_digest(const struct entry *e)
{
    uint64_t h = KV_FNV_INIT;
    h = kv_fnv(h, &e->term, sizeof e->term);
    h = kv_fnv(h, &e->type, sizeof e->type);
    if (e->type != ENTRY_NOOP)
        h = rsm_request_digest(h, &e->cmd, 1);
    return h;
}

static inline uint64_t chain_of(uint64_t prev, const struct entry *e)
{
    uint64_t d = entry_digest(e);
    uint64_t h = kv_fnv(KV_FNV_INIT, &prev, sizeof prev);
    h = kv_fnv(h, &d, sizeof d);
    return h ? h : 1;            /* 0 means "no entry" to the checker */
}

/* raft.c, for raft_snapshot.c */
/* For the checker: this server sent a message of `term` (a term it must
 * have made durable first, Figure 2). */
void raft_sent_term(struct node *n, uint64_t term);
void raft_sent_vote(struct node *n, uint64_t term, int vote);
struct obs *raft_observe(struct node *n, enum obs_kind kind);
/* checker: n has handled a message; the term it carried must be n's now */
void raft_heard(struct node *n, int type, const void *payload, size_t len);
extern const char *const raft_msg_names[];   /* [MSG_*] */
void raft_become_follower(struct node *n, uint64_t term, int leader);
void raft_arm_election(struct node *n);
void raft_persist_sync(struct node *n);
void raft_persist_len(struct node *n);
void raft_send_durable(struct node *n, int dst, int type, const void *payload, size_t len);
void raft_send_append(struct node *n, int peer);
void raft_advance_commit(struct node *n);
/* A leader hears an answer from src to its request of req_term: steps down
 * on a newer term; 1 when the answer counts (then src was heard from). */
int  raft_reply_counts(struct node *n, int src, uint64_t term, uint64_t req_term);
/* src's log matches the leader's up to index: matchIndex, nextIndex, commit. */
void raft_matched(struct node *n, int src, uint64_t index);
void raft_log_reserve(struct raft_state *s, uint64_t want);
/* A leader appends its own entry: durable, replicated, maybe committed. */
void raft_append_local(struct node *n, const struct entry *e);

/* raft_member.c: membership changes (thesis ch. 4) */
void raft_config_start(struct node *n);          /* sized and computed from base_voter and the log */
void raft_config_resize(struct node *n);         /* node_count grew */
void raft_config_recompute(struct node *n);      /* from base_voter and the retained log */
void raft_config_appended(struct node *n, uint64_t index, const struct entry *e);
void raft_config_committed(struct node *n);      /* commitIndex advanced */
void raft_maybe_change(struct node *n);          /* a leader proposes the next pending change */
void raft_on_membership(struct node *n, int id, int joined);
/* The configuration at index (>= base) into out[1..nn]. */
void raft_config_at(const struct raft_state *s, uint64_t index, unsigned char *out);

/* raft_snapshot.c: log compaction and InstallSnapshot (thesis ch. 5) */
void raft_maybe_snapshot(struct node *n);
void raft_restore_snapshot(struct node *n);
void raft_send_snapshot(struct node *n, int peer);
void raft_handle_snapshot(struct node *n, int src, const struct snap_req *r, const unsigned char *data);
void raft_handle_snapshot_reply(struct node *n, int src, const struct snap_reply *r);
void raft_describe_snapshot(int type, const void *payload, size_t len, struct record *args);

/* raft_check.c: the omniscient side */
void raft_ghost_init(void *ghost, const void *params, int nodes);
void raft_ghost_free(void *ghost);
int  raft_check(const struct cluster *c, struct violation *v);
void raft_metrics(const struct cluster *c, struct inspector *in);

#endif
