/* Raft, as the paper (Ongaro & Ousterhout, "In Search of an Understandable
 * Consensus Algorithm", USENIX ATC 2014) and Ongaro's thesis ("Consensus:
 * Bridging Theory and Practice", Stanford 2014) define it, with a key-value
 * state machine on top (algorithms/kv.c).
 *
 * Read it with Figure 2 of the paper open: every rule below cites the section
 * it implements. What is here:
 *
 *   §5.2   leader election with randomised timeouts (election_timeout = {min, max} ms)
 *   §9.6   (thesis) PreVote, option `prevote`
 *   §6.2   (thesis) CheckQuorum: a leader steps down when it has not heard from
 *          a majority for an election timeout, option `check_quorum`; with it,
 *          §4.2.3: a server that heard from a leader within the minimum
 *          election timeout ignores RequestVote (no term update, no vote)
 *   §5.3   log replication, the consistency check, conflict truncation;
 *          the accelerated back-off of §5.3 (last paragraphs), option `fast_backoff`
 *   §5.4.1 the election restriction (vote only for an up-to-date log)
 *   §5.4.2 a leader commits by counting replicas only entries of its own term
 *   §5.1 / Figure 2 "persistent state": currentTerm, votedFor and the log are
 *          written to the durable store and synced before the server answers
 *   §6.3   (thesis) client sessions: (client, seq) makes retried commands apply once
 *   §6.4   (thesis) a leader commits a no-op at the start of its term; reads go
 *          through the log by default, or ReadIndex with option `read_index`
 *   §6.2   (thesis) followers redirect clients to the leader they know
 *
 * Not here: membership changes (ch. 4), log compaction (ch. 5), leadership
 * transfer (§3.10), leases (§6.4.1).
 *
 * The checker (bottom of the file) sees everything: node code only appends
 * observations (a leader elected, an entry written, an index committed or
 * applied, a client answered) to the ghost, and check() verifies each one
 * against what it has seen before, so the work per event is proportional to
 * what the event changed. Invariants: Election Safety, Leader Append-Only,
 * Log Matching, Leader Completeness, State Machine Safety (Figure 3); no
 * server deletes a committed entry from its log (committed_entry_deleted,
 * caught when it happens rather than when a leader without it is elected);
 * and no client reply that contradicts the applied state (client_reply),
 * including a read that misses a write committed before the read first
 * reached the server (stale_read).
 */
#include <assert.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "algorithms/algorithm.h"
#include "algorithms/kv.h"
#include "algorithms/rsm.h"

enum role { FOLLOWER = 0, PRECANDIDATE, CANDIDATE, LEADER };
static const char *const role_names[] = { "follower", "precandidate", "candidate", "leader" };

enum {
    MSG_REQUEST_VOTE = 0, MSG_REQUEST_VOTE_REPLY, MSG_PRE_VOTE, MSG_PRE_VOTE_REPLY,
    MSG_APPEND_ENTRIES, MSG_APPEND_ENTRIES_REPLY, MSG_COUNT
};
static const char *const raft_msg_names[] = {
    "RequestVote", "RequestVoteReply", "PreVote", "PreVoteReply",
    "AppendEntries", "AppendEntriesReply",
};

enum { T_ELECTION = 0, T_HEARTBEAT = 1, T_QUORUM = 2 };
enum { ENTRY_NOOP = 0, ENTRY_CMD = 1 };

/* ------------------------------------------------------------ options */

struct raft_params {
    sim_time election[2];        /* election timeout range, local time */
    sim_time heartbeat;
    int prevote, check_quorum, fast_backoff, read_index;
    int max_batch;               /* entries per AppendEntries */
    /* seeded bugs */
    int bug_commit_previous_term, bug_no_persist_vote, bug_vote_without_log_check,
        bug_stale_leader_read, bug_truncate_on_every_append;
};

static const struct bug_def raft_bugs[] = {
    { "raft.commit_previous_term",
      "a leader commits an old-term entry by counting replicas: Figure 8 (d) overwrites a committed entry (§5.4.2)", "scenarios/explore_raft.lua", 400 },
    { "raft.no_persist_vote",
      "votedFor is not made durable: a voter that restarts votes twice in one term, two leaders (§5.1, Figure 2)", "scenarios/explore_raft.lua", 300 },
    { "raft.vote_without_log_check",
      "votes are granted without the up-to-date check: a leader without committed entries overwrites them (§5.4.1)", "scenarios/explore_raft.lua", 100 },
    { "raft.stale_leader_read",
      "a leader answers reads from local state: a deposed leader returns stale values (thesis §6.4)", "scenarios/explore_raft.lua", 100 },
    { "raft.truncate_on_every_append",
      "a follower truncates after prevLogIndex on every AppendEntries: a reordered old one erases committed entries (§5.3)", "scenarios/explore_raft.lua", 50 },
    { NULL, NULL, NULL, 0 },
};

#define RAFT_MAX_NODES 1000

static int raft_configure(struct config *c, void *params, struct error *err)
{
    struct raft_params *p = params;
    int64_t batch;
    if (config_range_ms(c, "election_timeout", 150, 300, p->election, err) ||
        config_ms(c, "heartbeat", 50, 0.001, 1e9, &p->heartbeat, err) ||
        config_bool(c, "prevote", 0, &p->prevote, err) ||
        config_bool(c, "check_quorum", 0, &p->check_quorum, err) ||
        config_bool(c, "fast_backoff", 0, &p->fast_backoff, err) ||
        config_bool(c, "read_index", 0, &p->read_index, err) ||
        config_int(c, "max_batch", 64, 1, 100000, &batch, err))
        return -1;
    /* Each server keeps per-peer replication state and the checker a
     * per-node view: memory grows with the square of the cluster size. */
    if (config_nodes(c) > RAFT_MAX_NODES) {
        snprintf(err->msg, sizeof err->msg, "raft supports at most %d nodes (got %d): its memory grows with nodes^2",
                 RAFT_MAX_NODES, config_nodes(c));
        return -1;
    }
    if (p->election[0] <= 0) {
        snprintf(err->msg, sizeof err->msg, "option 'election_timeout' must be positive");
        return -1;
    }
    p->max_batch = (int)batch;
    p->bug_commit_previous_term = config_bug(c, "raft.commit_previous_term");
    p->bug_no_persist_vote = config_bug(c, "raft.no_persist_vote");
    p->bug_vote_without_log_check = config_bug(c, "raft.vote_without_log_check");
    p->bug_stale_leader_read = config_bug(c, "raft.stale_leader_read");
    p->bug_truncate_on_every_append = config_bug(c, "raft.truncate_on_every_append");
    return 0;
}

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
    int32_t candidate, pad;
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

enum obs_kind { OB_LEADER, OB_CANDIDATE, OB_WRITE, OB_TRUNCATE, OB_COMMIT, OB_APPLY, OB_REPLY, OB_READ };

struct obs {                     /* one observation a node made, for check() */
    enum obs_kind kind;
    int node, flag;
    uint64_t index, term, chain, aux;
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
};

struct lm_slot { uint64_t index, term, chain; int node, used; };

struct version { uint64_t index; char value[REQ_STR]; };
struct vlist { struct version *v; size_t len, cap; };

struct gterm { int leader; unsigned char campaigned; };

#define GREADS 4096
struct gread { uint64_t req_id, commit_at_recv; };

struct raft_ghost {
    int nodes;
    struct obs *q;               /* observations since the last check */
    size_t nq, capq;
    struct gterm *terms;
    size_t nterms;
    struct gindex *idx;          /* [index], index 0 unused */
    size_t capidx;
    uint64_t commit_hw, applied_hw;
    uint64_t *held;              /* [node]: highest committed index it committed */
    struct lm_slot *lm;          /* (index, term) -> chain */
    size_t caplm, nlm;
    struct kv ref;               /* reference state machine, applied in commit order */
    struct kv_table keys;
    struct vlist *versions;
    size_t capversions;
    struct gread reads[GREADS];
    /* metrics */
    uint64_t elections, prevotes, leaders, stepdowns, quorum_stepdowns, truncated,
             redirects, log_reads, index_reads, local_reads, max_term, appended;
};

#define OBS_BATCH 1024

static struct obs *observe(struct node *n, enum obs_kind kind)
{
    struct raft_ghost *g = node_ghost(n);
    if (g->nq == g->capq) {
        g->capq = g->capq ? g->capq * 2 : 64;
        g->q = rsm_xrealloc(g->q, g->capq * sizeof *g->q);
    }
    struct obs *o = &g->q[g->nq++];
    if (g->nq >= OBS_BATCH)
        node_check_soon(n);      /* --check-every N must not mean N events of observations in memory */
    o->kind = kind;
    o->node = node_id(n);
    o->flag = 0;
    o->index = o->term = o->chain = o->aux = 0;
    return o;
}

/* ------------------------------------------------------- volatile state */

struct pending_read {            /* ReadIndex (thesis §6.4) */
    struct request req;
    uint64_t read_index;         /* 0 until the leader has committed in its term */
    uint64_t round;
    int confirmed;
};

struct raft_state {
    /* persistent on all servers (Figure 2), mirrored in the durable store */
    uint64_t term;
    int voted_for;
    struct entry *log;           /* log[0] is index 1 */
    uint64_t *chain;             /* checker: hash of entry i and all before it */
    uint64_t len, cap;
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
    uint64_t round;              /* heartbeat round (ReadIndex) */
    uint64_t term_start;         /* index of this leader's no-op */
    struct pending_read *reads;
    int nreads, capreads;
    /* the state machine (§6.3 sessions inside) */
    struct kv kv;
    /* scratch for outgoing AppendEntries: sized once, no malloc per message */
    unsigned char *buf;
    size_t bufcap;
};

static struct raft_state *st(struct node *n) { return node_state(n); }
static const struct raft_params *prm(const struct node *n) { return node_params(n); }

static uint64_t last_index(const struct raft_state *s) { return s->len; }
static uint64_t term_at(const struct raft_state *s, uint64_t i)
{
    return i == 0 || i > s->len ? 0 : s->log[i - 1].term;
}
static uint64_t last_term(const struct raft_state *s) { return term_at(s, s->len); }
static int majority(const struct raft_state *s) { return s->nn / 2 + 1; }

static uint64_t entry_digest(const struct entry *e)
{
    uint64_t h = KV_FNV_INIT;
    h = kv_fnv(h, &e->term, sizeof e->term);
    h = kv_fnv(h, &e->type, sizeof e->type);
    if (e->type == ENTRY_CMD)
        h = rsm_request_digest(h, &e->cmd, 1);
    return h;
}

static uint64_t chain_of(uint64_t prev, const struct entry *e)
{
    uint64_t d = entry_digest(e);
    uint64_t h = kv_fnv(KV_FNV_INIT, &prev, sizeof prev);
    h = kv_fnv(h, &d, sizeof d);
    return h ? h : 1;            /* 0 means "no entry" to the checker */
}

/* ------------------------------------------------------------ notes */

static void note_role(struct node *n)
{
    struct raft_state *s = st(n);
    struct record *r = node_note_begin(n, "role", 1);
    record_str(r, "role", role_names[s->role]);
    record_int(r, "term", (int64_t)s->term);
    node_note_end(n, r);
}

static void note_vote(struct node *n, const char *type, int candidate, uint64_t term, int granted)
{
    struct record *r = node_note_begin(n, type, 1);
    record_int(r, "candidate", candidate);
    record_int(r, "term", (int64_t)term);
    record_bool(r, "granted", granted);
    node_note_end(n, r);
}

static void note_index(struct node *n, const char *type, uint64_t index, uint64_t term)
{
    struct record *r = node_note_begin(n, type, 1);
    record_int(r, "index", (int64_t)index);
    record_int(r, "term", (int64_t)term);
    node_note_end(n, r);
}

/* ------------------------------------------------------ durable state */

/* Store layout: "meta" = {currentTerm, votedFor}; "len" = the log length;
 * "log/<i>" = entry i. Entries past "len" are garbage from a truncation and
 * are overwritten before they are read again. */
struct meta { uint64_t term; int32_t voted_for, pad; };

static void persist_meta(struct node *n)
{
    struct raft_state *s = st(n);
    struct meta m;
    memset(&m, 0, sizeof m);
    m.term = s->term;
    /* Bug raft.no_persist_vote: votedFor never reaches the disk, so a restart
     * forgets whom this server voted for in its current term. */
    m.voted_for = prm(n)->bug_no_persist_vote ? 0 : s->voted_for;
    node_store_put(n, "meta", &m, sizeof m);
}

static void persist_len(struct node *n)
{
    uint64_t len = st(n)->len;
    node_store_put(n, "len", &len, sizeof len);
}

static void persist_entry(struct node *n, uint64_t i)
{
    char key[32];
    snprintf(key, sizeof key, "log/%" PRIu64, i);
    node_store_put(n, key, &st(n)->log[i - 1], sizeof(struct entry));
}

/* §5.1, Figure 2: "updated on stable storage before responding to RPCs". */
static void persist_sync(struct node *n) { node_store_sync(n); }

static void log_reserve(struct raft_state *s, uint64_t want)
{
    if (want <= s->cap)
        return;
    uint64_t cap = s->cap ? s->cap : 64;
    while (cap < want)
        cap *= 2;
    s->log = rsm_xrealloc(s->log, cap * sizeof *s->log);
    s->chain = rsm_xrealloc(s->chain, cap * sizeof *s->chain);
    s->cap = cap;
}

/* Write entry e at index len+1 (memory and store); the checker hears of it. */
static void log_append(struct node *n, const struct entry *e)
{
    struct raft_state *s = st(n);
    log_reserve(s, s->len + 1);
    uint64_t i = ++s->len;
    s->log[i - 1] = *e;
    s->chain[i - 1] = chain_of(i > 1 ? s->chain[i - 2] : 0, e);
    persist_entry(n, i);
    persist_len(n);
    struct obs *o = observe(n, OB_WRITE);
    o->index = i;
    o->term = e->term;
    o->chain = s->chain[i - 1];
}

/* Drop every entry after index keep. */
static void log_truncate(struct node *n, uint64_t keep)
{
    struct raft_state *s = st(n);
    if (keep >= s->len)
        return;
    struct raft_ghost *g = node_ghost(n);
    g->truncated += s->len - keep;
    struct obs *o = observe(n, OB_TRUNCATE);
    o->index = keep;
    o->aux = s->len;
    o->flag = s->role == LEADER;
    o->term = s->term;
    s->len = keep;
    persist_len(n);
}

static void restore(struct node *n)
{
    struct raft_state *s = st(n);
    size_t len;
    const void *p = node_store_get(n, "meta", &len);
    if (p && len == sizeof(struct meta)) {
        struct meta m;
        memcpy(&m, p, sizeof m);
        s->term = m.term;
        s->voted_for = m.voted_for;
    }
    uint64_t loglen = 0;
    p = node_store_get(n, "len", &len);
    if (p && len == sizeof loglen)
        memcpy(&loglen, p, sizeof loglen);
    log_reserve(s, loglen);
    for (uint64_t i = 1; i <= loglen; i++) {
        char key[32];
        snprintf(key, sizeof key, "log/%" PRIu64, i);
        p = node_store_get(n, key, &len);
        if (!p || len != sizeof(struct entry))
            abort();             /* the store lost a synced entry: an engine bug */
        memcpy(&s->log[i - 1], p, sizeof(struct entry));
        s->chain[i - 1] = chain_of(i > 1 ? s->chain[i - 2] : 0, &s->log[i - 1]);
    }
    s->len = loglen;
}

/* ------------------------------------------------------------- timers */

static void arm_election(struct node *n)
{
    const struct raft_params *p = prm(n);
    /* §5.2: "election timeouts are chosen randomly from a fixed interval" */
    node_timer(n, T_ELECTION, node_random_range(n, p->election[0], p->election[1]));
}

/* ------------------------------------------------------------- replies */

static void reply_client(struct node *n, const struct request *req, const struct result *res,
                         uint64_t index, uint64_t applied_at)
{
    if (res->status == RESULT_OK || res->status == RESULT_FAIL) {
        struct obs *o = observe(n, OB_REPLY);
        o->index = index;        /* the log entry answered, or 0 for a read outside the log */
        o->aux = applied_at;     /* the state the answer was read from */
        o->req = *req;
        o->res = *res;
    }
    node_reply(n, req, res);
}

static void redirect(struct node *n, const struct request *req)
{
    struct result res;
    memset(&res, 0, sizeof res);
    res.status = RESULT_REDIRECT;
    res.leader = st(n)->leader;
    snprintf(res.error, sizeof res.error, "not leader");
    ((struct raft_ghost *)node_ghost(n))->redirects++;
    node_reply(n, req, &res);
}

/* --------------------------------------------------------- role changes */

static void drop_reads(struct node *n)
{
    struct raft_state *s = st(n);
    /* Reads carry no effects, so a deposed leader can send them elsewhere. */
    for (int i = 0; i < s->nreads; i++)
        redirect(n, &s->reads[i].req);
    s->nreads = 0;
}

/* §5.1: "If RPC request or response contains term T > currentTerm: set
 * currentTerm = T, convert to follower." Also used when a candidate learns
 * of a leader of its own term (§5.2) and by CheckQuorum (§6.2). */
static void become_follower(struct node *n, uint64_t term, int leader)
{
    struct raft_state *s = st(n);
    enum role was = s->role;
    uint64_t was_term = s->term;
    if (term > s->term) {
        s->term = term;
        s->voted_for = 0;
        persist_meta(n);
    }
    s->leader = leader;
    s->role = FOLLOWER;
    if (was == LEADER) {
        ((struct raft_ghost *)node_ghost(n))->stepdowns++;
        node_cancel(n, T_HEARTBEAT);
        node_cancel(n, T_QUORUM);
        drop_reads(n);
    }
    if (was != FOLLOWER)
        arm_election(n);
    if (was != FOLLOWER || was_term != s->term)
        note_role(n);
}

static void send_append(struct node *n, int peer);
static void advance_commit(struct node *n);
static void start_election(struct node *n);
static void serve_reads(struct node *n);

static void broadcast_append(struct node *n)
{
    struct raft_state *s = st(n);
    for (int i = 1; i <= s->nn; i++)
        if (i != node_id(n))
            send_append(n, i);
}

/* §5.2: a candidate that receives votes from a majority becomes leader;
 * Figure 2: nextIndex = last log index + 1, matchIndex = 0; thesis §6.4: the
 * leader appends a no-op so it learns what is committed. */
static void become_leader(struct node *n)
{
    struct raft_state *s = st(n);
    struct raft_ghost *g = node_ghost(n);
    s->role = LEADER;
    s->leader = node_id(n);
    node_cancel(n, T_ELECTION);
    note_role(n);
    g->leaders++;
    struct obs *o = observe(n, OB_LEADER);
    o->term = s->term;
    for (int i = 1; i <= s->nn; i++) {
        s->next_index[i] = last_index(s) + 1;
        s->match_index[i] = 0;
        s->acked_round[i] = 0;
        s->inflight[i] = 0;
        s->heard[i] = 0;
    }
    s->round = 0;
    s->nreads = 0;
    /* Figure 2, leaders: "Upon election: send initial empty AppendEntries RPCs
     * (heartbeat) to each server". Then the no-op: each follower gets it as
     * soon as it answers the heartbeat (the reply finds nextIndex behind). */
    broadcast_append(n);
    struct entry e;
    memset(&e, 0, sizeof e);
    e.term = s->term;
    e.type = ENTRY_NOOP;
    log_append(n, &e);
    s->term_start = last_index(s);
    s->match_index[node_id(n)] = last_index(s);
    persist_sync(n);
    g->appended++;
    node_timer(n, T_HEARTBEAT, prm(n)->heartbeat);
    if (prm(n)->check_quorum)
        node_timer(n, T_QUORUM, prm(n)->election[0]);
    advance_commit(n);           /* a one-node cluster commits at once */
}

static void count_votes(struct node *n)
{
    struct raft_state *s = st(n);
    int granted = 0;
    for (int i = 1; i <= s->nn; i++)
        granted += s->votes[i];
    if (granted < majority(s))
        return;
    if (s->role == PRECANDIDATE) {
        start_election(n);
    } else if (s->role == CANDIDATE) {
        become_leader(n);
    }
}

static void send_votes(struct node *n, int type, uint64_t term)
{
    struct raft_state *s = st(n);
    struct vote_req rv;
    memset(&rv, 0, sizeof rv);
    rv.term = term;
    rv.candidate = node_id(n);
    rv.last_log_index = last_index(s);
    rv.last_log_term = last_term(s);
    for (int i = 1; i <= s->nn; i++)
        if (i != node_id(n))
            node_send(n, i, type, &rv, sizeof rv);
}

/* §5.2: "To begin an election, a follower increments its current term and
 * transitions to candidate state. It then votes for itself and issues
 * RequestVote RPCs in parallel to each of the other servers." */
static void start_election(struct node *n)
{
    struct raft_state *s = st(n);
    struct raft_ghost *g = node_ghost(n);
    s->term++;
    s->voted_for = node_id(n);
    s->role = CANDIDATE;
    s->leader = 0;
    persist_meta(n);
    persist_sync(n);
    note_role(n);
    note_vote(n, "vote", node_id(n), s->term, 1);
    g->elections++;
    if (s->term > g->max_term)
        g->max_term = s->term;
    struct obs *o = observe(n, OB_CANDIDATE);
    o->term = s->term;
    memset(s->votes, 0, (size_t)s->nn + 1);
    s->votes[node_id(n)] = 1;
    s->vote_term = s->term;
    arm_election(n);             /* §5.2: a split vote times out into a new election */
    send_votes(n, MSG_REQUEST_VOTE, s->term);
    count_votes(n);
}

/* Thesis §9.6: a pre-candidate first asks whether it could win, without
 * touching any term; only with a majority of yeses does it start a real
 * election. A server cut off from the cluster therefore never inflates its
 * term, and cannot depose a healthy leader when it comes back. */
static void start_prevote(struct node *n)
{
    struct raft_state *s = st(n);
    struct raft_ghost *g = node_ghost(n);
    s->role = PRECANDIDATE;
    s->leader = 0;
    note_role(n);
    g->prevotes++;
    memset(s->votes, 0, (size_t)s->nn + 1);
    s->votes[node_id(n)] = 1;
    s->vote_term = s->term + 1;
    arm_election(n);
    send_votes(n, MSG_PRE_VOTE, s->term + 1);
    count_votes(n);
}

/* ----------------------------------------------------------- lifecycle */

static void raft_state_free(struct node *n)
{
    struct raft_state *s = st(n);
    free(s->log);
    free(s->chain);
    free(s->votes);
    free(s->next_index);
    free(s->match_index);
    free(s->acked_round);
    free(s->sorted);
    free(s->inflight);
    free(s->heard);
    free(s->reads);
    free(s->buf);
    kv_free(&s->kv);
}

static void raft_start(struct node *n)
{
    struct raft_state *s = st(n);
    const struct raft_params *p = prm(n);
    s->nn = node_count(n);
    size_t slots = (size_t)s->nn + 1;
    s->votes = rsm_xcalloc(slots, 1);
    s->inflight = rsm_xcalloc(slots, 1);
    s->heard = rsm_xcalloc(slots, 1);
    s->next_index = rsm_xcalloc(slots, sizeof(uint64_t));
    s->match_index = rsm_xcalloc(slots, sizeof(uint64_t));
    s->acked_round = rsm_xcalloc(slots, sizeof(uint64_t));
    s->sorted = rsm_xcalloc(slots, sizeof(uint64_t));
    s->bufcap = sizeof(struct append_req) + (size_t)p->max_batch * sizeof(struct entry);
    s->buf = rsm_xcalloc(1, s->bufcap);
    kv_init(&s->kv);
    s->leader_contact = INT64_MIN / 2;
    /* §5.1: a server starts (and restarts) as a follower, with the durable
     * currentTerm, votedFor and log; commitIndex and lastApplied start at 0. */
    restore(n);
    s->role = FOLLOWER;
    note_role(n);
    arm_election(n);
}

/* ------------------------------------------------------------ commit */

static void apply_committed(struct node *n)
{
    struct raft_state *s = st(n);
    /* Figure 2: "If commitIndex > lastApplied: increment lastApplied, apply
     * log[lastApplied] to state machine" — in log order, so every replica's
     * state machine runs the same commands in the same order (§5.4.3). */
    while (s->last_applied < s->commit_index) {
        uint64_t i = ++s->last_applied;
        const struct entry *e = &s->log[i - 1];
        struct result res;
        memset(&res, 0, sizeof res);
        if (e->type == ENTRY_CMD)
            kv_apply(&s->kv, &e->cmd, &res);
        note_index(n, "apply", i, e->term);
        struct obs *o = observe(n, OB_APPLY);
        o->index = i;
        o->term = e->term;
        o->chain = s->chain[i - 1];
        o->e = *e;
        /* Only the leader that appended the command answers it (§6.2). */
        if (e->type == ENTRY_CMD && s->role == LEADER && e->term == s->term)
            reply_client(n, &e->cmd, &res, i, i);
    }
    serve_reads(n);
}

static void commit_to(struct node *n, uint64_t upto)
{
    struct raft_state *s = st(n);
    if (upto <= s->commit_index)
        return;
    for (uint64_t i = s->commit_index + 1; i <= upto; i++)
        note_index(n, "commit", i, term_at(s, i));
    s->commit_index = upto;
    struct obs *o = observe(n, OB_COMMIT);
    o->index = upto;
    o->term = term_at(s, upto);
    o->chain = s->chain[upto - 1];
    o->aux = s->term;
    apply_committed(n);
}

static int cmp_desc(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x < y) - (x > y);
}

/* §5.3, §5.4.2, Figure 2 (rules for leaders): "If there exists an N such that
 * N > commitIndex, a majority of matchIndex[i] >= N, and log[N].term ==
 * currentTerm: set commitIndex = N." Entries of earlier terms are committed
 * only indirectly, by the Log Matching Property, when a current-term entry
 * after them is (Figure 8). */
static void advance_commit(struct node *n)
{
    struct raft_state *s = st(n);
    if (s->role != LEADER)
        return;
    s->match_index[node_id(n)] = last_index(s);
    for (int i = 1; i <= s->nn; i++)
        s->sorted[i - 1] = s->match_index[i];
    qsort(s->sorted, (size_t)s->nn, sizeof *s->sorted, cmp_desc);
    uint64_t N = s->sorted[majority(s) - 1];   /* the highest index on a majority */
    if (N <= s->commit_index)
        return;
    /* Bug raft.commit_previous_term: count replicas for entries of any term. */
    if (term_at(s, N) != s->term && !prm(n)->bug_commit_previous_term)
        return;
    commit_to(n, N);
}

/* ------------------------------------------------------- replication */

/* Figure 2, AppendEntries: entries from nextIndex on, with the index and term
 * of the entry just before them for the consistency check (§5.3). */
static void send_append(struct node *n, int peer)
{
    struct raft_state *s = st(n);
    const struct raft_params *p = prm(n);
    uint64_t next = s->next_index[peer];
    if (next < 1)
        next = 1;
    if (next > last_index(s) + 1)
        next = last_index(s) + 1;
    uint64_t count = last_index(s) + 1 - next;
    if (count > (uint64_t)p->max_batch)
        count = (uint64_t)p->max_batch;
    struct append_req ae;
    memset(&ae, 0, sizeof ae);
    ae.term = s->term;
    ae.leader = node_id(n);
    ae.prev_log_index = next - 1;
    ae.prev_log_term = term_at(s, next - 1);
    ae.leader_commit = s->commit_index;
    ae.round = s->round;
    ae.n_entries = (uint32_t)count;
    memcpy(s->buf, &ae, sizeof ae);
    if (count)
        memcpy(s->buf + sizeof ae, &s->log[next - 1], (size_t)count * sizeof(struct entry));
    node_send(n, peer, MSG_APPEND_ENTRIES, s->buf, sizeof ae + (size_t)count * sizeof(struct entry));
    s->inflight[peer] = count > 0;
}

/* Replicate a new entry to every follower that is not already busy with an
 * earlier batch (the next response or heartbeat carries it to the others). */
static void replicate(struct node *n)
{
    struct raft_state *s = st(n);
    for (int i = 1; i <= s->nn; i++)
        if (i != node_id(n) && !s->inflight[i])
            send_append(n, i);
}

/* A client asks the leader to run a command (thesis §6.2): append it, then
 * answer once it is committed and applied. */
static void append_command(struct node *n, const struct request *req)
{
    struct raft_state *s = st(n);
    struct entry e;
    memset(&e, 0, sizeof e);
    e.term = s->term;
    e.type = ENTRY_CMD;
    rsm_copy_request(&e.cmd, req);
    log_append(n, &e);
    ((struct raft_ghost *)node_ghost(n))->appended++;
    persist_sync(n);
    replicate(n);
    advance_commit(n);
}

static void handle_append(struct node *n, int src, const struct append_req *ae,
                          const struct entry *entries)
{
    struct raft_state *s = st(n);
    const struct raft_params *p = prm(n);
    struct append_reply rep;
    memset(&rep, 0, sizeof rep);
    rep.round = ae->round;
    rep.req_term = ae->term;
    uint64_t term_before = s->term;
    /* Figure 2, receiver 1: "Reply false if term < currentTerm". */
    if (ae->term < s->term) {
        rep.term = s->term;
        rep.prev_log_index = ae->prev_log_index;
        node_send(n, src, MSG_APPEND_ENTRIES_REPLY, &rep, sizeof rep);
        return;
    }
    /* §5.1 (newer term) and §5.2 (a candidate or pre-candidate that hears
     * from the leader of its term returns to follower). */
    if (ae->term > s->term || s->role != FOLLOWER)
        become_follower(n, ae->term, src);
    s->leader = src;
    s->leader_contact = node_now(n);
    arm_election(n);             /* §5.2: a follower stays one while it hears a leader */
    rep.term = s->term;

    /* Figure 2, receiver 2: "Reply false if log doesn't contain an entry at
     * prevLogIndex whose term matches prevLogTerm" (§5.3 consistency check). */
    if (ae->prev_log_index > last_index(s) || term_at(s, ae->prev_log_index) != ae->prev_log_term) {
        rep.success = 0;
        rep.prev_log_index = ae->prev_log_index;
        if (ae->prev_log_index > last_index(s)) {
            rep.conflict_index = last_index(s) + 1;
            rep.conflict_term = 0;
        } else {
            /* §5.3: "the follower can include the term of the conflicting entry
             * and the first index it stores for that term" */
            uint64_t t = term_at(s, ae->prev_log_index), i = ae->prev_log_index;
            while (i > 1 && term_at(s, i - 1) == t)
                i--;
            rep.conflict_term = t;
            rep.conflict_index = i;
        }
        persist_sync(n);
        node_send(n, src, MSG_APPEND_ENTRIES_REPLY, &rep, sizeof rep);
        return;
    }

    uint64_t index = ae->prev_log_index;
    int changed = 0;
    if (p->bug_truncate_on_every_append && last_index(s) > index) {
        /* Bug raft.truncate_on_every_append: log = log[:prevLogIndex] + entries,
         * even when what follows already matches. */
        log_truncate(n, index);
        changed = 1;
    }
    for (uint32_t k = 0; k < ae->n_entries; k++) {
        index++;
        struct entry e;
        memcpy(&e, &entries[k], sizeof e);
        if (index <= last_index(s)) {
            if (term_at(s, index) == e.term)
                continue;        /* already there: keep it (and what follows it) */
            /* Figure 2, receiver 3: "If an existing entry conflicts with a new
             * one (same index but different terms), delete the existing entry
             * and all that follow it." */
            log_truncate(n, index - 1);
        }
        /* Figure 2, receiver 4: "Append any new entries not already in the log". */
        log_append(n, &e);
        changed = 1;
    }
    /* Figure 2: currentTerm and the log are on stable storage before the
     * reply leaves (a heartbeat that only raised our term must sync too). */
    if (changed || s->term != term_before)
        persist_sync(n);
    /* Figure 2, receiver 5: "If leaderCommit > commitIndex, set commitIndex =
     * min(leaderCommit, index of last new entry)". */
    if (ae->leader_commit > s->commit_index) {
        uint64_t c = ae->leader_commit < index ? ae->leader_commit : index;
        commit_to(n, c);
    }
    rep.success = 1;
    rep.match_index = index;
    node_send(n, src, MSG_APPEND_ENTRIES_REPLY, &rep, sizeof rep);
}

static void handle_append_reply(struct node *n, int src, const struct append_reply *r)
{
    struct raft_state *s = st(n);
    const struct raft_params *p = prm(n);
    if (r->term > s->term) {
        become_follower(n, r->term, 0);
        persist_sync(n);
        return;
    }
    /* Stale: an answer to an AppendEntries of an earlier term. Checking
     * r->term is not enough: a follower rejects an old-term request with its
     * own term, which may be ours now, and echoes that request's heartbeat
     * round, numbered in the old term; counted here it would acknowledge a
     * ReadIndex round (thesis §6.4) or CheckQuorum it never saw. */
    if (s->role != LEADER || r->term != s->term || r->req_term != s->term || src < 1 || src > s->nn)
        return;
    s->heard[src] = 1;
    if (r->round > s->acked_round[src])
        s->acked_round[src] = r->round;
    s->inflight[src] = 0;
    if (r->success) {
        /* Figure 2, leaders: "If successful: update nextIndex and matchIndex
         * for follower". Replies may arrive out of order: only move forward. */
        if (r->match_index > s->match_index[src])
            s->match_index[src] = r->match_index;
        if (s->next_index[src] < s->match_index[src] + 1)
            s->next_index[src] = s->match_index[src] + 1;
        advance_commit(n);
        serve_reads(n);
        if (s->role == LEADER && s->next_index[src] <= last_index(s))
            send_append(n, src);
        return;
    }
    /* Figure 2, leaders: "If AppendEntries fails because of log inconsistency:
     * decrement nextIndex and retry". The reply names the prevLogIndex that
     * failed, so a duplicated or reordered rejection cannot walk back twice. */
    uint64_t next;
    if (p->fast_backoff) {
        /* §5.3, last paragraphs: skip a whole conflicting term per round trip. */
        next = r->conflict_index;
        if (r->conflict_term) {
            for (uint64_t i = r->prev_log_index; i >= 1; i--) {
                if (term_at(s, i) == r->conflict_term) {
                    next = i + 1;
                    break;
                }
                if (term_at(s, i) < r->conflict_term)
                    break;
            }
        }
    } else {
        /* One entry back from the probe that failed, but never past the end of
         * the follower's log: a rejection carries its length (conflict_index =
         * length + 1 when the log is too short), so a follower that is merely
         * behind is found in one round trip, not one per missing entry. */
        next = r->prev_log_index;
        if (r->conflict_term == 0 && r->conflict_index && r->conflict_index < next)
            next = r->conflict_index;
    }
    if (next > s->next_index[src])
        next = s->next_index[src];
    if (next < s->match_index[src] + 1)
        next = s->match_index[src] + 1;
    if (next < 1)
        next = 1;
    s->next_index[src] = next;
    send_append(n, src);
}

/* ------------------------------------------------------------ voting */

/* §5.4.1: "If the logs have last entries with different terms, then the log
 * with the later term is more up-to-date. If the logs end with the same term,
 * then whichever log is longer is more up-to-date." */
static int up_to_date(const struct raft_state *s, const struct vote_req *rv)
{
    if (rv->last_log_term != last_term(s))
        return rv->last_log_term > last_term(s);
    return rv->last_log_index >= last_index(s);
}

/* Has this server heard from a current leader within the minimum election
 * timeout (or is it the leader)? Used by PreVote (§9.6) and, with
 * CheckQuorum, to ignore disruptive RequestVotes (§4.2.3). */
static int leader_is_alive(struct node *n)
{
    struct raft_state *s = st(n);
    if (s->role == LEADER)
        return 1;
    return s->leader != 0 && node_now(n) - s->leader_contact < prm(n)->election[0];
}

static void handle_request_vote(struct node *n, int src, const struct vote_req *rv)
{
    struct raft_state *s = st(n);
    const struct raft_params *p = prm(n);
    struct vote_reply rep;
    memset(&rep, 0, sizeof rep);
    rep.vote_term = rv->term;
    if (p->check_quorum && rv->term > s->term && leader_is_alive(n)) {
        /* §4.2.3: "if a server receives a RequestVote request within the
         * minimum election timeout of hearing from a current leader, it does
         * not update its term or grant its vote". */
        rep.term = s->term;
        note_vote(n, "vote", rv->candidate, rv->term, 0);
        node_send(n, src, MSG_REQUEST_VOTE_REPLY, &rep, sizeof rep);
        return;
    }
    if (rv->term > s->term)
        become_follower(n, rv->term, 0);          /* §5.1 */
    /* Figure 2, RequestVote receiver: "1. Reply false if term < currentTerm.
     * 2. If votedFor is null or candidateId, and candidate's log is at least
     * as up-to-date as receiver's log, grant vote" (§5.2, §5.4). */
    int granted = rv->term == s->term &&
                  (s->voted_for == 0 || s->voted_for == rv->candidate) &&
                  (p->bug_vote_without_log_check || up_to_date(s, rv));
    if (granted) {
        s->voted_for = rv->candidate;
        persist_meta(n);
        arm_election(n);         /* §5.2: granting a vote resets the election timer */
    }
    persist_sync(n);             /* term and vote are on disk before the answer leaves */
    rep.term = s->term;
    rep.granted = granted;
    note_vote(n, "vote", rv->candidate, rv->term, granted);
    node_send(n, src, MSG_REQUEST_VOTE_REPLY, &rep, sizeof rep);
}

static void handle_pre_vote(struct node *n, int src, const struct vote_req *rv)
{
    struct raft_state *s = st(n);
    struct vote_reply rep;
    memset(&rep, 0, sizeof rep);
    rep.vote_term = rv->term;
    /* Thesis §9.6: grant a pre-vote when the candidate could win a real
     * election (its term would be new and its log is up to date) and this
     * server has not heard from a leader recently. No state changes. */
    int granted = rv->term > s->term && up_to_date(s, rv) && !leader_is_alive(n);
    if (prm(n)->bug_vote_without_log_check)
        granted = rv->term > s->term && !leader_is_alive(n);
    rep.term = s->term;
    rep.granted = granted;
    note_vote(n, "prevote", rv->candidate, rv->term, granted);
    node_send(n, src, MSG_PRE_VOTE_REPLY, &rep, sizeof rep);
}

static void handle_vote_reply(struct node *n, int src, const struct vote_reply *r, int pre)
{
    struct raft_state *s = st(n);
    if (r->term > s->term) {
        /* §5.1. (A pre-vote refusal from a newer term tells us that term too.) */
        if (!pre || !r->granted) {
            become_follower(n, r->term, 0);
            persist_sync(n);
            return;
        }
    }
    enum role want = pre ? PRECANDIDATE : CANDIDATE;
    if (s->role != want || r->vote_term != s->vote_term || src < 1 || src > s->nn)
        return;
    if (r->granted && !s->votes[src]) {
        s->votes[src] = 1;
        count_votes(n);
    }
}

/* ------------------------------------------------------------ clients */

static int leader_ready(const struct raft_state *s)
{
    /* §6.4 step 1: a new leader knows what is committed only once an entry of
     * its own term (the no-op) is. */
    return s->commit_index >= s->term_start;
}

static void start_read(struct node *n, struct pending_read *r)
{
    struct raft_state *s = st(n);
    /* §6.4 steps 2-3: remember commitIndex as the readIndex, then confirm
     * leadership with a fresh round of heartbeats. */
    r->read_index = s->commit_index;
    r->round = ++s->round;
    r->confirmed = 0;
    broadcast_append(n);
}

/* §6.4 steps 3-4: a read is answered once a majority acknowledged a heartbeat
 * round sent after it arrived, and the state machine has reached its readIndex. */
static void serve_reads(struct node *n)
{
    struct raft_state *s = st(n);
    if (s->role != LEADER || s->nreads == 0)
        return;
    int kept = 0;
    for (int k = 0; k < s->nreads; k++) {
        struct pending_read *r = &s->reads[k];
        if (r->read_index == 0 && r->round == 0) {
            if (leader_ready(s))
                start_read(n, r);
        }
        if (!r->confirmed && r->round) {
            int acks = 1;
            for (int i = 1; i <= s->nn; i++)
                if (i != node_id(n) && s->acked_round[i] >= r->round)
                    acks++;
            r->confirmed = acks >= majority(s);
        }
        if (r->confirmed && s->last_applied >= r->read_index) {
            struct result res;
            memset(&res, 0, sizeof res);
            res.status = RESULT_OK;
            res.found = kv_read(&s->kv, r->req.key, res.value);
            ((struct raft_ghost *)node_ghost(n))->index_reads++;
            reply_client(n, &r->req, &res, 0, s->last_applied);
            continue;
        }
        s->reads[kept++] = *r;
    }
    s->nreads = kept;
}

static void raft_on_request(struct node *n, const struct request *req)
{
    struct raft_state *s = st(n);
    const struct raft_params *p = prm(n);
    int is_get = strcmp(req->op, "get") == 0;
    if (!is_get && strcmp(req->op, "put") != 0 && strcmp(req->op, "cas") != 0) {
        struct result res;
        memset(&res, 0, sizeof res);
        res.status = RESULT_FAIL;
        snprintf(res.error, sizeof res.error, "unknown op");
        node_reply(n, req, &res);
        return;
    }
    /* §6.2: "If a client contacts a follower, the follower rejects the request
     * and supplies information about the most recent leader it has heard from." */
    if (s->role != LEADER) {
        redirect(n, req);
        return;
    }
    struct raft_ghost *g = node_ghost(n);
    if (is_get && (p->read_index || p->bug_stale_leader_read)) {
        struct obs *o = observe(n, OB_READ);
        o->req = *req;
        if (p->bug_stale_leader_read) {
            /* Bug raft.stale_leader_read: answer from local state at once. A
             * leader that was deposed without knowing it answers from the past. */
            struct result res;
            memset(&res, 0, sizeof res);
            res.status = RESULT_OK;
            res.found = kv_read(&s->kv, req->key, res.value);
            g->local_reads++;
            reply_client(n, req, &res, 0, s->last_applied);
            return;
        }
        if (s->nreads == s->capreads) {
            s->capreads = s->capreads ? s->capreads * 2 : 16;
            s->reads = rsm_xrealloc(s->reads, (size_t)s->capreads * sizeof *s->reads);
        }
        struct pending_read *r = &s->reads[s->nreads++];
        memset(r, 0, sizeof *r);
        r->req = *req;
        if (leader_ready(s))
            start_read(n, r);
        serve_reads(n);          /* a one-node cluster answers at once */
        return;
    }
    /* Everything else, reads included by default, goes through the log: the
     * answer reflects every command committed before it (§6.4, first paragraph). */
    if (is_get)
        g->log_reads++;
    append_command(n, req);
}

/* ------------------------------------------------------------ dispatch */

static void raft_on_message(struct node *n, const struct message *m)
{
    switch (m->type) {
    case MSG_REQUEST_VOTE:
    case MSG_PRE_VOTE: {
        struct vote_req rv;
        if (m->len != sizeof rv)
            return;
        memcpy(&rv, m->payload, sizeof rv);
        if (m->type == MSG_PRE_VOTE)
            handle_pre_vote(n, m->src, &rv);
        else
            handle_request_vote(n, m->src, &rv);
        break;
    }
    case MSG_REQUEST_VOTE_REPLY:
    case MSG_PRE_VOTE_REPLY: {
        struct vote_reply r;
        if (m->len != sizeof r)
            return;
        memcpy(&r, m->payload, sizeof r);
        handle_vote_reply(n, m->src, &r, m->type == MSG_PRE_VOTE_REPLY);
        break;
    }
    case MSG_APPEND_ENTRIES: {
        struct append_req ae;
        if (m->len < sizeof ae)
            return;
        memcpy(&ae, m->payload, sizeof ae);
        if (m->len != sizeof ae + (size_t)ae.n_entries * sizeof(struct entry))
            return;
        /* The engine's payload buffers are malloc'd, so the entries that follow
         * the header are suitably aligned for struct entry. */
        handle_append(n, m->src, &ae, (const struct entry *)(const void *)((const unsigned char *)m->payload + sizeof ae));
        break;
    }
    case MSG_APPEND_ENTRIES_REPLY: {
        struct append_reply r;
        if (m->len != sizeof r)
            return;
        memcpy(&r, m->payload, sizeof r);
        handle_append_reply(n, m->src, &r);
        break;
    }
    default:
        break;
    }
}

static void raft_on_timer(struct node *n, int id)
{
    struct raft_state *s = st(n);
    const struct raft_params *p = prm(n);
    switch (id) {
    case T_ELECTION:
        /* §5.2: "If a follower receives no communication over a period of time
         * called the election timeout, then it assumes there is no viable
         * leader and begins an election." */
        if (s->role == LEADER)
            return;
        if (p->prevote)
            start_prevote(n);
        else
            start_election(n);
        break;
    case T_HEARTBEAT:
        /* §5.2: leaders send periodic heartbeats (AppendEntries, possibly with
         * entries a follower still lacks) to maintain their authority. */
        if (s->role != LEADER)
            return;
        broadcast_append(n);
        node_timer(n, T_HEARTBEAT, p->heartbeat);
        break;
    case T_QUORUM: {
        /* Thesis §6.2: "a leader steps down if an election timeout elapses
         * without a successful round of heartbeats to a majority". */
        if (s->role != LEADER)
            return;
        int heard = 1;
        for (int i = 1; i <= s->nn; i++)
            if (i != node_id(n)) {
                heard += s->heard[i];
                s->heard[i] = 0;
            }
        if (heard < majority(s)) {
            ((struct raft_ghost *)node_ghost(n))->quorum_stepdowns++;
            become_follower(n, s->term, 0);
            return;
        }
        node_timer(n, T_QUORUM, p->election[0]);
        break;
    }
    default:
        break;
    }
}

/* ------------------------------------------------------- inspection */

static void raft_inspect(const struct node *n, struct inspector *in)
{
    const struct raft_state *s = node_state_const(n);
    inspect_str(in, "role", role_names[s->role]);
    inspect_int(in, "term", (int64_t)s->term);
    inspect_int(in, "voted_for", s->voted_for);
    inspect_int(in, "leader", s->leader);
    inspect_int(in, "commit_index", (int64_t)s->commit_index);
    inspect_int(in, "last_applied", (int64_t)s->last_applied);
    inspect_int(in, "log_length", (int64_t)s->len);
    inspect_int(in, "last_log_term", (int64_t)last_term(s));
    /* The terms of the log, "1,1,2,4", for scenarios that compare logs
     * (Figure 8); the last 32 entries of a longer log, after "...". */
    char buf[400];
    size_t len = 0;
    uint64_t from = s->len > 32 ? s->len - 32 : 0;
    buf[0] = 0;
    if (from)
        len += (size_t)snprintf(buf, sizeof buf, "...");
    for (uint64_t i = from; i < s->len && len < sizeof buf - 24; i++)
        len += (size_t)snprintf(buf + len, sizeof buf - len, "%s%" PRIu64,
                                i > from || from ? "," : "", s->log[i].term);
    inspect_str(in, "log_terms", buf);
    /* The state machine's view of a few keys is read with c:state(i).kv_<key>
     * elsewhere; here, how many keys it holds. */
    inspect_int(in, "keys", (int64_t)s->kv.table.len);
}

static void raft_describe(int type, const void *payload, size_t len, struct record *args)
{
    switch (type) {
    case MSG_REQUEST_VOTE:
    case MSG_PRE_VOTE: {
        struct vote_req rv;
        if (len != sizeof rv)
            return;
        memcpy(&rv, payload, sizeof rv);
        record_int(args, "term", (int64_t)rv.term);
        record_int(args, "last_log_index", (int64_t)rv.last_log_index);
        record_int(args, "last_log_term", (int64_t)rv.last_log_term);
        break;
    }
    case MSG_REQUEST_VOTE_REPLY:
    case MSG_PRE_VOTE_REPLY: {
        struct vote_reply r;
        if (len != sizeof r)
            return;
        memcpy(&r, payload, sizeof r);
        record_int(args, "term", (int64_t)r.term);
        record_bool(args, "granted", r.granted);
        break;
    }
    case MSG_APPEND_ENTRIES: {
        struct append_req ae;
        if (len < sizeof ae)
            return;
        memcpy(&ae, payload, sizeof ae);
        record_int(args, "term", (int64_t)ae.term);
        record_int(args, "prev_log_index", (int64_t)ae.prev_log_index);
        record_int(args, "prev_log_term", (int64_t)ae.prev_log_term);
        record_int(args, "entries", ae.n_entries);
        record_int(args, "leader_commit", (int64_t)ae.leader_commit);
        if (ae.n_entries && len >= sizeof ae + sizeof(struct entry)) {
            struct entry first;
            memcpy(&first, (const unsigned char *)payload + sizeof ae, sizeof first);
            record_int(args, "first_term", (int64_t)first.term);
        }
        break;
    }
    case MSG_APPEND_ENTRIES_REPLY: {
        struct append_reply r;
        if (len != sizeof r)
            return;
        memcpy(&r, payload, sizeof r);
        record_int(args, "term", (int64_t)r.term);
        if (r.req_term != r.term)        /* an answer to an older term's request */
            record_int(args, "req_term", (int64_t)r.req_term);
        record_bool(args, "success", r.success);
        if (r.success) {
            record_int(args, "match_index", (int64_t)r.match_index);
        } else if (r.prev_log_index || r.conflict_index) {
            record_int(args, "prev_log_index", (int64_t)r.prev_log_index);
            record_int(args, "conflict_index", (int64_t)r.conflict_index);
            record_int(args, "conflict_term", (int64_t)r.conflict_term);
        }
        break;
    }
    default:
        break;
    }
}

/* c:leader(): the up node that believes it leads, in the highest term. */
static int raft_leader(const struct cluster *c)
{
    int best = 0;
    uint64_t best_term = 0;
    for (int i = 1; i <= cluster_size(c); i++) {
        const struct raft_state *s = cluster_node_state(c, i);
        if (!s || !cluster_node_up(c, i) || s->role != LEADER)
            continue;
        if (!best || s->term > best_term) {
            best = i;
            best_term = s->term;
        }
    }
    return best;
}

/* ============================================================ checker */

static void ghost_init(void *ghost, const void *params, int nodes)
{
    (void)params;
    struct raft_ghost *g = ghost;
    g->nodes = nodes;
    g->held = rsm_xcalloc((size_t)nodes + 1, sizeof *g->held);
    kv_init(&g->ref);
    kv_table_init(&g->keys);
}

static void ghost_free(void *ghost)
{
    struct raft_ghost *g = ghost;
    free(g->q);
    free(g->held);
    free(g->terms);
    free(g->idx);
    free(g->lm);
    kv_free(&g->ref);
    for (size_t i = 0; i < g->keys.len; i++)
        free(g->versions[i].v);
    free(g->versions);
    kv_table_free(&g->keys);
}

/* Grow *arr (of *cap elements of size elem, zero-filled) by doubling from
 * first until index i fits. */
static void grow_zeroed(void **arr, size_t *cap, uint64_t i, size_t elem, size_t first)
{
    if (i < *cap)
        return;
    size_t n = *cap ? *cap : first;
    while (n <= i)
        n *= 2;
    *arr = rsm_xrealloc(*arr, n * elem);
    memset((char *)*arr + *cap * elem, 0, (n - *cap) * elem);
    *cap = n;
}

static struct gterm *gterm(struct raft_ghost *g, uint64_t term)
{
    void *a = g->terms;
    grow_zeroed(&a, &g->nterms, term, sizeof *g->terms, 64);
    g->terms = a;
    return &g->terms[term];
}

static struct gindex *gindex(struct raft_ghost *g, uint64_t index)
{
    void *a = g->idx;
    grow_zeroed(&a, &g->capidx, index, sizeof *g->idx, 1024);
    g->idx = a;
    return &g->idx[index];
}

static uint64_t mix(uint64_t index, uint64_t term)
{
    uint64_t h = index * 0x9E3779B97F4A7C15ULL ^ (term + 0x632BE59BD9B4E019ULL) * 0xC2B2AE3D27D4EB4FULL;
    return h ^ (h >> 29);
}

/* The (index, term) -> chain table of Log Matching: returns the slot, new or old. */
static struct lm_slot *lm_find(struct raft_ghost *g, uint64_t index, uint64_t term)
{
    if ((g->nlm + 1) * 2 > g->caplm) {
        size_t cap = g->caplm ? g->caplm * 2 : 1024;
        struct lm_slot *t = rsm_xcalloc(cap, sizeof *t);
        for (size_t i = 0; i < g->caplm; i++) {
            if (!g->lm[i].used)
                continue;
            size_t j = (size_t)mix(g->lm[i].index, g->lm[i].term) & (cap - 1);
            while (t[j].used)
                j = (j + 1) & (cap - 1);
            t[j] = g->lm[i];
        }
        free(g->lm);
        g->lm = t;
        g->caplm = cap;
    }
    size_t j = (size_t)mix(index, term) & (g->caplm - 1);
    while (g->lm[j].used && (g->lm[j].index != index || g->lm[j].term != term))
        j = (j + 1) & (g->caplm - 1);
    return &g->lm[j];
}

static const struct raft_state *node_view(const struct cluster *c, int id)
{
    return cluster_node_state(c, id);
}

/* The value of key at the reference state after index (found = 0: missing). */
static int ref_value_at(const struct raft_ghost *g, const char *key, uint64_t index,
                        char value[REQ_STR], uint64_t *written_at)
{
    long k = kv_table_find(&g->keys, key);
    *written_at = 0;
    value[0] = 0;
    if (k < 0)
        return 0;
    const struct vlist *vl = &g->versions[k];
    size_t lo = 0, hi = vl->len;          /* first version with index > `index` */
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (vl->v[mid].index <= index)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo == 0)
        return 0;
    memcpy(value, vl->v[lo - 1].value, REQ_STR);
    *written_at = vl->v[lo - 1].index;
    return 1;
}

static void ref_apply(struct raft_ghost *g, uint64_t index, const struct entry *e, struct gindex *gi)
{
    struct result res;
    memset(&res, 0, sizeof res);
    if (e->type == ENTRY_CMD && kv_apply(&g->ref, &e->cmd, &res)) {
        size_t k = kv_table_add(&g->keys, e->cmd.key);
        if (g->keys.len > g->capversions) {
            size_t cap = g->keys.cap;
            g->versions = rsm_xrealloc(g->versions, cap * sizeof *g->versions);
            memset(g->versions + g->capversions, 0, (cap - g->capversions) * sizeof *g->versions);
            g->capversions = cap;
        }
        struct vlist *vl = &g->versions[k];
        if (vl->len == vl->cap) {
            vl->cap = vl->cap ? vl->cap * 2 : 16;
            vl->v = rsm_xrealloc(vl->v, vl->cap * sizeof *vl->v);
        }
        vl->v[vl->len].index = index;
        memcpy(vl->v[vl->len].value, e->cmd.value, REQ_STR);
        vl->len++;
    }
    gi->result = kv_result_digest(&res);
}

/* Leader Completeness for one leader: its log holds the committed entry at
 * `index` (the chain hash covers every entry before it too). */
static int lacks(const struct raft_state *s, uint64_t index, uint64_t chain)
{
    return s->len < index || s->chain[index - 1] != chain;
}

static int check_one(const struct cluster *c, struct raft_ghost *g, const struct obs *o,
                     struct violation *v)
{
    switch (o->kind) {
    case OB_CANDIDATE:
        gterm(g, o->term)->campaigned = 1;
        return 0;

    case OB_LEADER: {
        /* Election Safety (Figure 3): at most one leader per term. */
        struct gterm *t = gterm(g, o->term);
        if (t->leader && t->leader != o->node)
            return rsm_fail(v, "election_safety", "nodes %d and %d both lead term %" PRIu64,
                        t->leader, o->node, o->term);
        t->leader = o->node;
        /* Leader Completeness (Figure 3, §5.4.3): a leader's log holds every
         * entry committed in an earlier term. The highest such index suffices:
         * its chain hash covers all before it. */
        const struct raft_state *s = node_view(c, o->node);
        uint64_t hw = g->commit_hw;
        while (hw > 0 && g->idx[hw].commit_term >= o->term)
            hw--;
        if (s && hw > 0 && lacks(s, hw, g->idx[hw].chain)) {
            uint64_t i = 1;      /* report the first committed entry it lacks */
            while (i < hw && !lacks(s, i, g->idx[i].chain))
                i++;
            return rsm_fail(v, "leader_completeness",
                        "node %d leads term %" PRIu64 " without committed entry %" PRIu64
                        " (term %" PRIu64 ", committed by node %d in term %" PRIu64 "); its log has %s",
                        o->node, o->term, i, g->idx[i].term, g->idx[i].committed_by, g->idx[i].commit_term,
                        s->len < i ? "no such entry" : "a different one there");
        }
        return 0;
    }

    case OB_WRITE: {
        /* Log Matching (Figure 3, §5.3): two entries with the same index and
         * term have identical logs up to there. Writes are where logs change,
         * so each new (index, term) is compared with the first one seen. */
        struct lm_slot *sl = lm_find(g, o->index, o->term);
        if (!sl->used) {
            sl->used = 1;
            sl->index = o->index;
            sl->term = o->term;
            sl->chain = o->chain;
            sl->node = o->node;
            g->nlm++;
            return 0;
        }
        if (sl->chain != o->chain)
            return rsm_fail(v, "log_matching",
                        "nodes %d and %d both hold an entry at index %" PRIu64 " with term %" PRIu64
                        ", but their logs differ at or before it", sl->node, o->node, o->index, o->term);
        return 0;
    }

    case OB_TRUNCATE:
        /* Leader Append-Only (Figure 3): a leader never overwrites or deletes
         * entries in its log. */
        if (o->flag)
            return rsm_fail(v, "leader_append_only",
                        "node %d, leader of term %" PRIu64 ", deleted entries %" PRIu64 "..%" PRIu64 " of its log",
                        o->node, o->term, o->index + 1, o->aux);
        /* No server deletes a committed entry: Figure 2's receiver rule 3
         * deletes only entries that conflict with the leader's, and by Leader
         * Completeness (§5.4.3) the leader holds every committed entry. This
         * catches the loss when it happens, before a leader lacking the entry
         * is elected. held[] is the highest committed index the node is known
         * to hold (it committed it); the node may have rewritten identical
         * entries in the same event, so its log after the event is what counts. */
        if (o->node >= 1 && o->node <= g->nodes && o->index < g->held[o->node]) {
            uint64_t h = g->held[o->node];
            const struct raft_state *s = node_view(c, o->node);
            if (s && g->idx[h].chain && lacks(s, h, g->idx[h].chain)) {
                uint64_t i = o->index + 1;      /* the first committed entry it lacks */
                while (i < h && !lacks(s, i, g->idx[i].chain))
                    i++;
                return rsm_fail(v, "committed_entry_deleted",
                            "node %d deleted entries %" PRIu64 "..%" PRIu64 " of its log in term %" PRIu64
                            ", losing entry %" PRIu64 " (term %" PRIu64 ") committed by node %d in term %" PRIu64,
                            o->node, o->index + 1, o->aux, o->term, i, g->idx[i].term,
                            g->idx[i].committed_by, g->idx[i].commit_term);
            }
        }
        return 0;

    case OB_COMMIT: {
        if (o->node >= 1 && o->node <= g->nodes && o->index > g->held[o->node])
            g->held[o->node] = o->index;
        /* Record what is committed: the first node to mark an index committed
         * fixes its entry; State Machine Safety compares every apply with it. */
        if (o->index > g->commit_hw) {
            const struct raft_state *s = node_view(c, o->node);
            /* The node's log now, for the entries below o->index: the same as
             * when it committed unless checks are thinned (--check-every) and
             * it crashed or its log changed since; then only o->index is known. */
            if (s && (s->len < o->index || s->chain[o->index - 1] != o->chain))
                s = NULL;
            for (uint64_t i = g->commit_hw + 1; i <= o->index; i++) {
                struct gindex *gi = gindex(g, i);
                gi->chain = s ? s->chain[i - 1] : i == o->index ? o->chain : 0;
                gi->term = s ? s->log[i - 1].term : i == o->index ? o->term : 0;
                gi->commit_term = o->aux;
                gi->committed_by = o->node;
            }
            g->commit_hw = o->index;
            /* Leader Completeness for leaders elected before this commit, in a
             * later term (a stale leader may still commit what it replicated). */
            for (int id = 1; id <= cluster_size(c); id++) {
                const struct raft_state *l = node_view(c, id);
                if (l && l->role == LEADER && l->term > o->aux && lacks(l, o->index, o->chain))
                    return rsm_fail(v, "leader_completeness",
                                "node %d leads term %" PRIu64 " without entry %" PRIu64
                                " committed by node %d in term %" PRIu64,
                                id, l->term, o->index, o->node, o->aux);
            }
        }
        return 0;
    }

    case OB_APPLY: {
        /* State Machine Safety (Figure 3, §5.4.3): no two servers apply
         * different entries at the same index. */
        struct gindex *gi = gindex(g, o->index);
        if (gi->applied_by) {
            if (gi->applied_chain != o->chain)
                return rsm_fail(v, "state_machine_safety",
                            "node %d applied entry %" PRIu64 " (term %" PRIu64 ") but node %d applied a different entry at that index",
                            o->node, o->index, o->term, gi->applied_by);
            return 0;
        }
        if (o->index != g->applied_hw + 1)
            return rsm_fail(v, "state_machine_safety",
                        "node %d applied entry %" PRIu64 " before any node applied entry %" PRIu64,
                        o->node, o->index, g->applied_hw + 1);
        if (gi->chain && gi->chain != o->chain)
            return rsm_fail(v, "state_machine_safety",
                        "node %d applied entry %" PRIu64 " (term %" PRIu64 ") but the entry committed there has term %" PRIu64,
                        o->node, o->index, o->term, gi->term);
        gi->applied_by = o->node;
        gi->applied_chain = o->chain;
        g->applied_hw = o->index;
        ref_apply(g, o->index, &o->e, gi);
        return 0;
    }

    case OB_READ: {
        /* The network may deliver one request twice; the first arrival
         * counts: either copy may be the one answered, and a read that was
         * confirmed before a later copy arrived need not show what was
         * committed in between (the read is still in progress then). */
        struct gread *r = &g->reads[o->req.id % GREADS];
        if (r->req_id == o->req.id)
            return 0;
        r->req_id = o->req.id;
        r->commit_at_recv = g->commit_hw;
        return 0;
    }

    case OB_REPLY: {
        /* No client reply contradicts the applied state. */
        if (o->index) {
            struct gindex *gi = gindex(g, o->index);
            if (gi->applied_by && gi->result != kv_result_digest(&o->res))
                return rsm_fail(v, "client_reply",
                            "node %d answered client %d op %" PRIu64 " (%s %s) at index %" PRIu64
                            " with a result the committed state does not give",
                            o->node, o->req.client, o->req.seq, o->req.op, o->req.key, o->index);
            return 0;
        }
        /* A read served outside the log: it must show the state at the index
         * the node had applied, and (thesis §6.4) that state must include every
         * write committed before the read reached the node. */
        char want[REQ_STR];
        uint64_t written = 0;
        int found = ref_value_at(g, o->req.key, o->aux, want, &written);
        if (found != o->res.found || (found && strncmp(want, o->res.value, REQ_STR) != 0))
            return rsm_fail(v, "client_reply",
                        "node %d answered get(%s) = %s, but the committed state at index %" PRIu64 " has %s",
                        o->node, o->req.key, o->res.found ? o->res.value : "nil", o->aux,
                        found ? want : "nil");
        const struct gread *r = &g->reads[o->req.id % GREADS];
        if (r->req_id == o->req.id) {
            char newer[REQ_STR];
            uint64_t newer_at = 0;
            int nf = ref_value_at(g, o->req.key, r->commit_at_recv, newer, &newer_at);
            /* Only a different value is observable: an ABA write is not stale. */
            if (newer_at > o->aux && (nf != o->res.found || (nf && strncmp(newer, o->res.value, REQ_STR) != 0)))
                return rsm_fail(v, "stale_read",
                            "node %d answered get(%s) = %s from its state at index %" PRIu64
                            ", but index %" PRIu64 " (%s = %s) was committed before the request arrived",
                            o->node, o->req.key, o->res.found ? o->res.value : "nil", o->aux,
                            newer_at, o->req.key, newer);
        }
        return 0;
    }
    }
    return 0;
}

static int raft_check(const struct cluster *c, struct violation *v)
{
    struct raft_ghost *g = cluster_ghost(c);
    int bad = 0;
    for (size_t i = 0; i < g->nq && !bad; i++)
        bad = check_one(c, g, &g->q[i], v);
    g->nq = 0;
    return bad;
}

static void raft_metrics(const struct cluster *c, struct inspector *in)
{
    struct raft_ghost *g = cluster_ghost(c);
    uint64_t campaigned = 0, elected = 0, last = 0;
    for (size_t t = 0; t < g->nterms; t++)
        if (g->terms[t].campaigned) {
            campaigned++;
            elected += g->terms[t].leader != 0;
            last = t;
        }
    /* A term still being fought over at the end is not (yet) a split vote. */
    uint64_t split = campaigned - elected;
    if (campaigned && last < g->nterms && !g->terms[last].leader && split)
        split--;
    inspect_int(in, "elections", (int64_t)g->elections);
    inspect_int(in, "prevotes", (int64_t)g->prevotes);
    inspect_int(in, "leaders", (int64_t)g->leaders);
    inspect_int(in, "split_votes", (int64_t)split);
    inspect_int(in, "terms_campaigned", (int64_t)campaigned);
    inspect_int(in, "max_term", (int64_t)g->max_term);
    inspect_int(in, "stepdowns", (int64_t)g->stepdowns);
    inspect_int(in, "check_quorum_stepdowns", (int64_t)g->quorum_stepdowns);
    inspect_int(in, "appended", (int64_t)g->appended);
    inspect_int(in, "committed", (int64_t)g->commit_hw);
    inspect_int(in, "applied", (int64_t)g->applied_hw);
    inspect_int(in, "truncated", (int64_t)g->truncated);
    inspect_int(in, "redirects", (int64_t)g->redirects);
    inspect_int(in, "log_reads", (int64_t)g->log_reads);
    inspect_int(in, "read_index_reads", (int64_t)g->index_reads);
    inspect_int(in, "local_reads", (int64_t)g->local_reads);
    inspect_int(in, "duplicates", (int64_t)g->ref.duplicates);
}

const struct algorithm raft_algorithm = {
    .name = "raft",
    .summary = "Raft consensus (paper + thesis): elections, PreVote, CheckQuorum, replication, KV state machine",
    .state_size = sizeof(struct raft_state),
    .params_size = sizeof(struct raft_params),
    .ghost_size = sizeof(struct raft_ghost),
    .configure = raft_configure,
    .start = raft_start,
    .on_message = raft_on_message,
    .on_timer = raft_on_timer,
    .on_request = raft_on_request,
    .check = raft_check,
    .inspect = raft_inspect,
    .describe = raft_describe,
    .msg_names = raft_msg_names,
    .msg_count = MSG_COUNT,
    .bugs = raft_bugs,
    .supports_membership = 0,
    .leader = raft_leader,
    .ghost_init = ghost_init,
    .ghost_free = ghost_free,
    .state_free = raft_state_free,
    .metrics = raft_metrics,
};
