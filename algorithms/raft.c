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
 *          through the log by default (read = "log"), by ReadIndex ("index")
 *   §6.4.1 (thesis) or under a leader lease ("lease", with drift_bound)
 *   §6.2   (thesis) followers redirect clients to the leader they know
 *   §3.10  (thesis) leadership transfer: c:transfer_leadership, TimeoutNow
 *   §3.8   with a disk model (sim.cluster{disk =}) answers wait for the sync
 *          (the outbox, raft_on_sync); a leader counts its log as far as durable
 *   ch. 4  membership changes, one server at a time: raft_member.c
 *   ch. 5  snapshots and InstallSnapshot: raft_snapshot.c
 *
 * Not here: joint consensus (§4.3).
 *
 * The checker (raft_check.c) sees everything: node code only appends
 * observations (a leader elected, an entry written, an index committed or
 * applied, a client answered) to the ghost, and check() verifies each one
 * against what it has seen before, so the work per event is proportional to
 * what the event changed. Invariants: Election Safety, Leader Append-Only,
 * Log Matching, Leader Completeness, State Machine Safety (Figure 3); no
 * server deletes a committed entry from its log (committed_entry_deleted,
 * caught when it happens rather than when a leader without it is elected);
 * and no client reply that contradicts the applied state (client_reply),
 * including a read that misses a write committed before the read first
 * reached the server (stale_read); and durable state that never goes
 * backwards across a restart (durable_state: the term is at least every
 * term the server sent, and in the term of its last vote it holds that
 * vote), judged from the messages it sent, not from its store.
 */
#include <assert.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "algorithms/raft_int.h"

static const char *const role_names[] = { "follower", "precandidate", "candidate", "leader" };
const char *const raft_msg_names[] = {
    "RequestVote", "RequestVoteReply", "PreVote", "PreVoteReply",
    "AppendEntries", "AppendEntriesReply", "TimeoutNow",
    "InstallSnapshot", "InstallSnapshotReply",
};
static const char *const read_names[] = { "log", "index", "lease", NULL };

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
    { "raft.snapshot_without_sessions",
      "snapshots hold the state but not the client sessions: after a restart or an install a retried command applies twice (thesis §6.3, ch. 5)",
      "scenarios/raft_snapshot.lua", 100 },
    { "raft.concurrent_config_changes",
      "a leader changes the configuration before its previous change and an entry of its own term are committed: disjoint majorities, and a leader without committed entries (thesis ch. 4 and errata)",
      "scenarios/raft_membership_bug.lua", 10 },
    { "raft.no_dedup",
      "the session window is off: a retried increment reaches the log twice and counts twice (thesis §6.3)",
      "scenarios/counter_retry.lua", 5 },
    { "raft.deq_from_local_state",
      "a leader answers deq from its own state before committing it: a deposed leader hands one item to two consumers",
      "scenarios/queue_handoff.lua", 5 },
    { NULL, NULL, NULL, 0 },
};

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
        config_choice(c, "read", read_names, p->read_index ? READ_INDEX : READ_LOG, &p->read_mode, err) ||
        config_double(c, "drift_bound", 0.01, 0, 10, &p->drift_bound, err) ||
        config_int(c, "max_batch", 64, 1, 100000, &batch, err) ||
        config_choice(c, "machine", machine_names, 0, &p->machine, err) ||
        config_int(c, "snapshot_entries", 1000, 0, 1000000000, &p->snapshot_entries, err) ||
        config_int(c, "snapshot_chunk", 4096, 16, 1 << 24, &p->snapshot_chunk, err))
        return -1;
    if (p->read_index && p->read_mode != READ_INDEX) {
        snprintf(err->msg, sizeof err->msg, "option 'read_index' = true contradicts read = '%s' (read_index is the old name of read = 'index')",
                 read_names[p->read_mode]);
        return -1;
    }
    p->read_index = p->read_mode == READ_INDEX;
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
    p->lease = (sim_time)((double)p->election[0] / (1 + p->drift_bound));
    p->bug_commit_previous_term = config_bug(c, "raft.commit_previous_term");
    p->bug_no_persist_vote = config_bug(c, "raft.no_persist_vote");
    p->bug_vote_without_log_check = config_bug(c, "raft.vote_without_log_check");
    p->bug_stale_leader_read = config_bug(c, "raft.stale_leader_read");
    p->bug_truncate_on_every_append = config_bug(c, "raft.truncate_on_every_append");
    p->bug_no_dedup = config_bug(c, "raft.no_dedup");
    p->bug_deq_local = config_bug(c, "raft.deq_from_local_state");
    p->bug_snapshot_without_sessions = config_bug(c, "raft.snapshot_without_sessions");
    p->bug_concurrent_config_changes = config_bug(c, "raft.concurrent_config_changes");
    p->initial_nodes = config_nodes(c);
    return 0;
}

/* Node code that reads outside its own log is a bug in this file: say where,
 * rather than read past the array. */
_Noreturn void raft_log_bounds(const struct raft_state *s, uint64_t i, const char *what)
{
    fprintf(stderr, "raft: node %d (term %" PRIu64 ") reads %s at index %" PRIu64
            " outside its log (entries %" PRIu64 "..%" PRIu64 ")\n",
            s->self, s->term, what, i, s->base + 1, s->len);
    abort();
}

struct obs *raft_observe(struct node *n, enum obs_kind kind)
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

void raft_persist_len(struct node *n)
{
    uint64_t len = st(n)->len;
    node_store_put(n, "len", &len, sizeof len);
}

static void persist_entry(struct node *n, uint64_t i)
{
    char key[32];
    snprintf(key, sizeof key, "log/%" PRIu64, i);
    node_store_put(n, key, entry_at(st(n), i), sizeof(struct entry));
}

/* §5.1, Figure 2: "updated on stable storage before responding to RPCs".
 * With a disk model (sim.cluster{disk =}) the sync takes time: answers wait
 * in the outbox for it (send_durable), and a leader counts its own log
 * towards a majority only as far as it is durable (thesis §10.2.1: the
 * leader writes its log in parallel with replicating it). */
void raft_persist_sync(struct node *n)
{
    struct raft_state *s = st(n);
    s->sync_ticket = node_store_sync_begin(n);
    s->len_at[s->sync_ticket % SYNC_RING] = (struct len_at){ s->sync_ticket, s->len };
}

/* The last index of this server's log that is on disk. */
static uint64_t durable_len(struct node *n)
{
    const struct raft_state *s = st(n);
    return node_store_synced(n, s->sync_ticket) ? s->len : s->durable;
}

static struct sent *sent_of(struct node *n)
{
    struct raft_ghost *g = node_ghost(n);
    size_t id = (size_t)node_id(n);
    if (id >= g->capsent) {
        size_t cap = id * 2 + 8;
        g->sent = rsm_xrealloc(g->sent, cap * sizeof *g->sent);
        memset(g->sent + g->capsent, 0, (cap - g->capsent) * sizeof *g->sent);
        g->capsent = cap;
    }
    return &g->sent[id];
}

void raft_sent_term(struct node *n, uint64_t term)
{
    struct sent *x = sent_of(n);
    if (term > x->term)
        x->term = term;
}

void raft_sent_vote(struct node *n, uint64_t term, int vote)
{
    struct sent *x = sent_of(n);
    if (term >= x->vote_term) {
        x->vote_term = term;
        x->vote = vote;
    }
}

/* Every answer and RequestVote starts with the sender's durable term; a
 * PreVote's is the term it would campaign in, never written. A granted
 * vote and a candidate's RequestVote (its vote for itself) tell the
 * checker whom it voted for. */
static void durable_send(struct node *n, int dst, int type, const void *payload, size_t len)
{
    if (type != MSG_PRE_VOTE) {
        uint64_t term;
        memcpy(&term, payload, sizeof term);
        raft_sent_term(n, term);
        if (type == MSG_REQUEST_VOTE) {
            raft_sent_vote(n, term, node_id(n));
        } else if (type == MSG_REQUEST_VOTE_REPLY) {
            struct vote_reply r;
            memcpy(&r, payload, sizeof r);
            if (r.granted)
                raft_sent_vote(n, r.term, dst);
        }
    }
    node_send(n, dst, type, payload, len);
}

/* Send once everything written so far is durable: now, without a disk model. */
void raft_send_durable(struct node *n, int dst, int type, const void *payload, size_t len)
{
    struct raft_state *s = st(n);
    assert(len <= sizeof s->outbox[0].data);
    if (node_store_synced(n, s->sync_ticket)) {
        durable_send(n, dst, type, payload, len);
        return;
    }
    if (s->nout == s->capout) {
        s->capout = s->capout ? s->capout * 2 : 16;
        s->outbox = rsm_xrealloc(s->outbox, (size_t)s->capout * sizeof *s->outbox);
    }
    struct outmsg *o = &s->outbox[s->nout++];
    o->ticket = s->sync_ticket;
    o->dst = dst;
    o->type = type;
    o->len = len;
    memcpy(&o->data, payload, len);
}

void raft_log_reserve(struct raft_state *s, uint64_t want)
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
    raft_log_reserve(s, s->len - s->base + 1);
    uint64_t prev = chain_at(s, s->len);
    uint64_t i = ++s->len;
    *entry_at(s, i) = *e;
    s->chain[i - s->base - 1] = chain_of(prev, e);
    persist_entry(n, i);
    raft_persist_len(n);
    struct obs *o = raft_observe(n, OB_WRITE);
    o->index = i;
    o->term = e->term;
    o->chain = chain_at(s, i);
    if (e->type == ENTRY_CONFIG)
        raft_config_appended(n, i, e);
}

/* Drop every entry after index keep. */
static void log_truncate(struct node *n, uint64_t keep)
{
    struct raft_state *s = st(n);
    if (keep >= s->len)
        return;
    if (keep < s->base)
        raft_log_bounds(s, keep, "a truncation point");   /* the snapshot is committed */
    struct raft_ghost *g = node_ghost(n);
    g->truncated += s->len - keep;
    struct obs *o = raft_observe(n, OB_TRUNCATE);
    o->index = keep;
    o->aux = s->len;
    o->flag = s->role == LEADER;
    o->term = s->term;
    s->len = keep;
    raft_persist_len(n);
    /* A sync asked for before now no longer covers what follows keep. */
    for (int k = 0; k < SYNC_RING; k++)
        if (s->len_at[k].len > keep)
            s->len_at[k].len = keep;
    if (s->durable > keep)
        s->durable = keep;
    if (s->cfg_index > keep)
        raft_config_recompute(n);   /* §4.1: a truncated configuration no longer holds */
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
    raft_restore_snapshot(n);    /* thesis ch. 5: the snapshot, then the suffix */
    uint64_t loglen = 0;
    p = node_store_get(n, "len", &len);
    if (p && len == sizeof loglen)
        memcpy(&loglen, p, sizeof loglen);
    raft_log_reserve(s, loglen - s->base);
    s->len = loglen;
    for (uint64_t i = s->base + 1; i <= loglen; i++) {
        char key[32];
        snprintf(key, sizeof key, "log/%" PRIu64, i);
        p = node_store_get(n, key, &len);
        if (!p || len != sizeof(struct entry))
            abort();             /* the store lost a synced entry: an engine bug */
        memcpy(entry_at(s, i), p, sizeof(struct entry));
        s->chain[i - s->base - 1] = chain_of(chain_at(s, i - 1), entry_at(s, i));
    }
}

/* ------------------------------------------------------------- timers */

void raft_arm_election(struct node *n)
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
        struct obs *o = raft_observe(n, OB_REPLY);
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
void raft_become_follower(struct node *n, uint64_t term, int leader)
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
        node_cancel(n, T_TRANSFER);
        s->transfer_to = 0;
        drop_reads(n);
    }
    if (was != FOLLOWER)
        raft_arm_election(n);
    if (was != FOLLOWER || was_term != s->term)
        note_role(n);
}

static void start_election(struct node *n, int transfer);
static void serve_reads(struct node *n);

static void broadcast_append(struct node *n)
{
    struct raft_state *s = st(n);
    if (prm(n)->read_mode == READ_LEASE) {
        /* §6.4.1: every broadcast is a round whose acknowledgement by a
         * majority extends the lease from the moment it was sent. */
        s->round++;
        s->round_sent[s->round % LEASE_RING] = node_now(n);
    }
    for (int i = 1; i <= s->nn; i++)
        if (i != node_id(n) && node_is_member(n, i))
            raft_send_append(n, i);
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
    struct obs *o = raft_observe(n, OB_LEADER);
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
    s->lease_until = INT64_MIN;
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
    s->match_index[node_id(n)] = durable_len(n);
    raft_persist_sync(n);
    g->appended++;
    node_timer(n, T_HEARTBEAT, prm(n)->heartbeat);
    if (prm(n)->check_quorum)
        node_timer(n, T_QUORUM, prm(n)->election[0]);
    raft_advance_commit(n);           /* a one-node cluster commits at once */
}

static void count_votes(struct node *n)
{
    struct raft_state *s = st(n);
    int granted = 0;
    for (int i = 1; i <= s->nn; i++)
        granted += s->votes[i] && s->voter[i];   /* a majority of our configuration (ch. 4) */
    if (granted < majority(s))
        return;
    if (s->role == PRECANDIDATE) {
        start_election(n, 0);
    } else if (s->role == CANDIDATE) {
        become_leader(n);
    }
}

static void send_votes(struct node *n, int type, uint64_t term, int transfer)
{
    struct raft_state *s = st(n);
    struct vote_req rv;
    memset(&rv, 0, sizeof rv);
    rv.term = term;
    rv.transfer = transfer;
    rv.candidate = node_id(n);
    rv.last_log_index = last_index(s);
    rv.last_log_term = last_term(s);
    for (int i = 1; i <= s->nn; i++)
        if (i != node_id(n) && node_is_member(n, i))
            raft_send_durable(n, i, type, &rv, sizeof rv);   /* after our own vote is on disk (LogCabin too) */
}

/* §5.2: "To begin an election, a follower increments its current term and
 * transitions to candidate state. It then votes for itself and issues
 * RequestVote RPCs in parallel to each of the other servers." */
static void start_election(struct node *n, int transfer)
{
    struct raft_state *s = st(n);
    struct raft_ghost *g = node_ghost(n);
    s->term++;
    s->voted_for = node_id(n);
    s->role = CANDIDATE;
    s->leader = 0;
    persist_meta(n);
    raft_persist_sync(n);
    note_role(n);
    note_vote(n, "vote", node_id(n), s->term, 1);
    g->elections++;
    if (s->term > g->max_term)
        g->max_term = s->term;
    struct obs *o = raft_observe(n, OB_CANDIDATE);
    o->term = s->term;
    memset(s->votes, 0, (size_t)s->nn + 1);
    s->votes[node_id(n)] = 1;
    s->vote_term = s->term;
    raft_arm_election(n);             /* §5.2: a split vote times out into a new election */
    send_votes(n, MSG_REQUEST_VOTE, s->term, transfer);
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
    raft_arm_election(n);
    send_votes(n, MSG_PRE_VOTE, s->term + 1, 0);
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
    free(s->outbox);
    free(s->snap_offset);
    free(s->snap_sent);
    free(s->snap_probe);
    free(s->snap_next);
    free(s->recv_have);
    free(s->voter);
    free(s->base_voter);
    free(s->pending);
    machine_buf_free(&s->recv);
    machine_free(&s->m);
}

static void raft_start(struct node *n)
{
    struct raft_state *s = st(n);
    const struct raft_params *p = prm(n);
    s->nn = node_count(n);
    s->self = node_id(n);
    size_t slots = (size_t)s->nn + 1;
    s->votes = rsm_xcalloc(slots, 1);
    s->inflight = rsm_xcalloc(slots, 1);
    s->heard = rsm_xcalloc(slots, 1);
    s->next_index = rsm_xcalloc(slots, sizeof(uint64_t));
    s->match_index = rsm_xcalloc(slots, sizeof(uint64_t));
    s->acked_round = rsm_xcalloc(slots, sizeof(uint64_t));
    s->sorted = rsm_xcalloc(slots, sizeof(uint64_t));
    s->bufcap = sizeof(struct append_req) + (size_t)p->max_batch * sizeof(struct entry);
    if (s->bufcap < sizeof(struct snap_req) + (size_t)p->snapshot_chunk)
        s->bufcap = sizeof(struct snap_req) + (size_t)p->snapshot_chunk;
    s->snap_offset = rsm_xcalloc(slots, sizeof(uint64_t));
    s->snap_sent = rsm_xcalloc(slots, sizeof(uint64_t));
    s->snap_probe = rsm_xcalloc(slots, sizeof(uint64_t));
    s->snap_next = rsm_xcalloc(slots, sizeof(uint64_t));
    s->buf = rsm_xcalloc(1, s->bufcap);
    machine_init(&s->m, machine_by_index(prm(n)->machine));
    s->m.no_dedup = prm(n)->bug_no_dedup;
    s->leader_contact = INT64_MIN / 2;
    raft_config_start(n);
    /* §5.1: a server starts (and restarts) as a follower, with the durable
     * currentTerm, votedFor and log; commitIndex and lastApplied start at 0. */
    restore(n);
    raft_config_recompute(n);
    struct obs *o = raft_observe(n, OB_RESTART);
    o->term = s->term;
    /* Checker bookkeeping only: what it had sent before this restart. */
    const struct raft_ghost *g = node_ghost(n);
    if ((size_t)node_id(n) < g->capsent) {
        const struct sent *x = &g->sent[node_id(n)];
        o->aux = x->term;
        o->index = x->vote_term;
        o->chain = (uint64_t)x->vote;
    }
    o->flag = s->voted_for;
    s->role = FOLLOWER;
    note_role(n);
    raft_arm_election(n);
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
        const struct entry *e = entry_at(s, i);
        struct result res;
        memset(&res, 0, sizeof res);
        if (e->type == ENTRY_CMD)
            machine_apply(&s->m, &e->cmd, i, &res);
        note_index(n, "apply", i, e->term);
        struct obs *o = raft_observe(n, OB_APPLY);
        o->index = i;
        o->term = e->term;
        o->chain = chain_at(s, i);
        o->digest = kv_result_digest(&res);
        o->e = *e;
        /* Only the leader that appended the command answers it (§6.2). */
        /* a machine's own commands (client 0: a lock's expiry) have no one to answer */
        if (e->type == ENTRY_CMD && e->cmd.client > 0 && s->role == LEADER && e->term == s->term)
            reply_client(n, &e->cmd, &res, i, i);
    }
    raft_maybe_snapshot(n);
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
    struct obs *o = raft_observe(n, OB_COMMIT);
    o->index = upto;
    o->term = term_at(s, upto);
    o->chain = chain_at(s, upto);
    o->aux = s->term;
    apply_committed(n);
    raft_config_committed(n);
    raft_maybe_change(n);
}

static int cmp_desc(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x < y) - (x > y);
}

/* Largest first. A cluster has a handful of voters, and qsort's call per
 * comparison was most of the commit path's cost: insert them one by one,
 * up to a size where qsort wins. */
static void sort_desc(uint64_t *v, int k)
{
    if (k > 16) {
        qsort(v, (size_t)k, sizeof *v, cmp_desc);
        return;
    }
    for (int i = 1; i < k; i++) {
        uint64_t x = v[i];
        int j = i;
        for (; j > 0 && v[j - 1] < x; j--)
            v[j] = v[j - 1];
        v[j] = x;
    }
}

/* §5.3, §5.4.2, Figure 2 (rules for leaders): "If there exists an N such that
 * N > commitIndex, a majority of matchIndex[i] >= N, and log[N].term ==
 * currentTerm: set commitIndex = N." Entries of earlier terms are committed
 * only indirectly, by the Log Matching Property, when a current-term entry
 * after them is (Figure 8). */
void raft_advance_commit(struct node *n)
{
    struct raft_state *s = st(n);
    if (s->role != LEADER)
        return;
    s->match_index[node_id(n)] = durable_len(n);
    /* Thesis ch. 4: a majority of the latest configuration in the log; a
     * leader that removed itself does not count itself (§4.2.2). */
    int k = 0;
    for (int i = 1; i <= s->nn; i++)
        if (s->voter[i])
            s->sorted[k++] = s->match_index[i];
    sort_desc(s->sorted, k);
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
void raft_send_append(struct node *n, int peer)
{
    struct raft_state *s = st(n);
    const struct raft_params *p = prm(n);
    uint64_t next = s->next_index[peer];
    if (next < 1)
        next = 1;
    if (next > last_index(s) + 1)
        next = last_index(s) + 1;
    if (next <= s->base) {
        /* Thesis ch. 5: the entries it needs are compacted away. */
        raft_send_snapshot(n, peer);
        return;
    }
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
        memcpy(s->buf + sizeof ae, entry_at(s, next), (size_t)count * sizeof(struct entry));
    raft_sent_term(n, ae.term);
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
            raft_send_append(n, i);
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
    raft_append_local(n, &e);
}

void raft_append_local(struct node *n, const struct entry *e)
{
    log_append(n, e);
    ((struct raft_ghost *)node_ghost(n))->appended++;
    raft_persist_sync(n);
    replicate(n);
    raft_advance_commit(n);
}

static void handle_append(struct node *n, int src, const struct append_req *req,
                          const struct entry *entries)
{
    struct raft_state *s = st(n);
    const struct raft_params *p = prm(n);
    struct append_req hdr = *req;
    const struct append_req *ae = &hdr;
    struct append_reply rep;
    memset(&rep, 0, sizeof rep);
    rep.round = ae->round;
    rep.req_term = ae->term;
    uint64_t term_before = s->term;
    /* Figure 2, receiver 1: "Reply false if term < currentTerm". */
    if (ae->term < s->term) {
        rep.term = s->term;
        rep.prev_log_index = ae->prev_log_index;
        raft_send_durable(n, src, MSG_APPEND_ENTRIES_REPLY, &rep, sizeof rep);
        return;
    }
    /* §5.1 (newer term) and §5.2 (a candidate or pre-candidate that hears
     * from the leader of its term returns to follower). */
    if (ae->term > s->term || s->role != FOLLOWER)
        raft_become_follower(n, ae->term, src);
    s->leader = src;
    s->leader_contact = node_now(n);
    raft_arm_election(n);             /* §5.2: a follower stays one while it hears a leader */
    rep.term = s->term;
    if (hdr.prev_log_index < s->base) {
        /* Thesis ch. 5: entries up to the snapshot are committed, so they
         * match the leader's (Leader Completeness); skip them. */
        uint64_t skip = s->base - hdr.prev_log_index;
        if (skip >= hdr.n_entries) {
            if (s->term != term_before)
                raft_persist_sync(n);
            rep.success = 1;
            rep.match_index = s->base;
            raft_send_durable(n, src, MSG_APPEND_ENTRIES_REPLY, &rep, sizeof rep);
            return;
        }
        entries += skip;
        hdr.n_entries -= (uint32_t)skip;
        hdr.prev_log_index = s->base;
        hdr.prev_log_term = s->snap_term;
    }

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
            while (i > s->base + 1 && term_at(s, i - 1) == t)
                i--;
            rep.conflict_term = t;
            rep.conflict_index = i;
        }
        raft_persist_sync(n);
        raft_send_durable(n, src, MSG_APPEND_ENTRIES_REPLY, &rep, sizeof rep);
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
        raft_persist_sync(n);
    /* Figure 2, receiver 5: "If leaderCommit > commitIndex, set commitIndex =
     * min(leaderCommit, index of last new entry)". */
    if (ae->leader_commit > s->commit_index) {
        uint64_t c = ae->leader_commit < index ? ae->leader_commit : index;
        commit_to(n, c);
    }
    rep.success = 1;
    rep.match_index = index;
    raft_send_durable(n, src, MSG_APPEND_ENTRIES_REPLY, &rep, sizeof rep);
}

/* Thesis §6.4.1: once a majority acknowledged a round, no other server can
 * win an election until an election timeout after it received it (each of
 * them ignores RequestVote for that long, §4.2.3), so the leader may answer
 * reads from its own state until the round's send time plus the minimum
 * election timeout, shortened by the drift bound because the followers'
 * clocks, not the leader's, time those elections. */
static void extend_lease(struct node *n)
{
    struct raft_state *s = st(n);
    if (s->transfer_to)
        return;
    int k = 0;
    for (int i = 1; i <= s->nn; i++)
        if (s->voter[i])
            s->sorted[k++] = i == node_id(n) ? s->round : s->acked_round[i];
    sort_desc(s->sorted, k);
    uint64_t r = s->sorted[majority(s) - 1];
    if (r == 0 || s->round - r >= LEASE_RING)
        return;
    sim_time until = s->round_sent[r % LEASE_RING] + prm(n)->lease;
    if (until > s->lease_until)
        s->lease_until = until;
}

/* ------------------------------------------------ leadership transfer */

static void note_transfer(struct node *n, const char *phase)
{
    struct raft_state *s = st(n);
    struct record *r = node_note_begin(n, "transfer", 1);
    record_int(r, "to", s->transfer_to);
    record_int(r, "term", (int64_t)s->term);
    record_str(r, "phase", phase);
    node_note_end(n, r);
}

/* §3.10 step 3: once the target's log matches ours, it may campaign at once. */
static void maybe_timeout_now(struct node *n)
{
    struct raft_state *s = st(n);
    int to = s->transfer_to;
    if (!to || s->timeout_now_sent || s->match_index[to] < last_index(s))
        return;
    struct timeout_now m = { s->term };
    raft_sent_term(n, m.term);
    node_send(n, to, MSG_TIMEOUT_NOW, &m, sizeof m);
    s->timeout_now_sent = 1;
    note_transfer(n, "timeout_now");
}

/* c:transfer_leadership(to), thesis §3.10: "1. The prior leader stops
 * accepting new client requests. 2. The prior leader fully updates the
 * target server's log to match its own [...] 3. The prior leader sends a
 * TimeoutNow request to the target server." It gives up after an election
 * timeout and accepts requests again. */
static int raft_transfer(struct node *n, int to, struct error *err)
{
    struct raft_state *s = st(n);
    if (s->role != LEADER) {
        snprintf(err->msg, sizeof err->msg, "node %d is not the leader", node_id(n));
        return -1;
    }
    if (to == node_id(n)) {
        snprintf(err->msg, sizeof err->msg, "node %d already leads term %" PRIu64, to, s->term);
        return -1;
    }
    if (to < 1 || to > s->nn || !node_is_member(n, to)) {
        snprintf(err->msg, sizeof err->msg, "node %d is not in the configuration", to);
        return -1;
    }
    if (s->transfer_to) {
        snprintf(err->msg, sizeof err->msg, "a transfer to node %d is already in progress", s->transfer_to);
        return -1;
    }
    s->transfer_to = to;
    s->timeout_now_sent = 0;
    /* The target's RequestVote will not be ignored (§4.2.3), so the lease
     * no longer keeps other leaders out. */
    s->lease_until = INT64_MIN;
    note_transfer(n, "start");
    node_timer(n, T_TRANSFER, prm(n)->election[1]);
    raft_send_append(n, to);
    maybe_timeout_now(n);
    return 0;
}

static void handle_timeout_now(struct node *n, const struct timeout_now *m)
{
    struct raft_state *s = st(n);
    if (m->term < s->term || s->role == LEADER)
        return;
    if (m->term > s->term)
        raft_become_follower(n, m->term, 0);
    /* §3.10: "the target server starts an election" — no PreVote: the
     * leader asked for it. */
    start_election(n, 1);
}

int raft_reply_counts(struct node *n, int src, uint64_t term, uint64_t req_term)
{
    struct raft_state *s = st(n);
    if (term > s->term) {
        raft_become_follower(n, term, 0);
        raft_persist_sync(n);
        return 0;
    }
    /* Stale: an answer to a request of an earlier term. Checking the reply's
     * term is not enough: a follower rejects an old-term request with its
     * own term, which may be ours now, and echoes that request's heartbeat
     * round, numbered in the old term; counted here it would acknowledge a
     * ReadIndex round (thesis §6.4) or CheckQuorum it never saw. */
    if (s->role != LEADER || term != s->term || req_term != s->term || src < 1 || src > s->nn)
        return 0;
    s->heard[src] = 1;
    s->inflight[src] = 0;
    return 1;
}

void raft_matched(struct node *n, int src, uint64_t index)
{
    struct raft_state *s = st(n);
    /* Figure 2, leaders: "If successful: update nextIndex and matchIndex
     * for follower". Replies may arrive out of order: only move forward. */
    if (index > s->match_index[src])
        s->match_index[src] = index;
    if (s->next_index[src] < s->match_index[src] + 1)
        s->next_index[src] = s->match_index[src] + 1;
    raft_advance_commit(n);
    raft_maybe_change(n);        /* a learner may have caught up (§4.2.1) */
}

static void handle_append_reply(struct node *n, int src, const struct append_reply *r)
{
    struct raft_state *s = st(n);
    const struct raft_params *p = prm(n);
    if (!raft_reply_counts(n, src, r->term, r->req_term))
        return;
    if (r->round > s->acked_round[src]) {
        s->acked_round[src] = r->round;
        if (p->read_mode == READ_LEASE)
            extend_lease(n);
    }
    if (r->success) {
        raft_matched(n, src, r->match_index);
        serve_reads(n);
        if (s->role == LEADER && src == s->transfer_to)
            maybe_timeout_now(n);
        if (s->role == LEADER && s->next_index[src] <= last_index(s))
            raft_send_append(n, src);
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
            uint64_t from = r->prev_log_index < last_index(s) ? r->prev_log_index : last_index(s);
            for (uint64_t i = from; i >= 1 && i >= s->base; i--) {
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
    raft_send_append(n, src);
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
    if ((p->check_quorum || p->read_mode == READ_LEASE) && !rv->transfer && rv->term > s->term &&
        leader_is_alive(n)) {
        /* §4.2.3: "if a server receives a RequestVote request within the
         * minimum election timeout of hearing from a current leader, it does
         * not update its term or grant its vote". */
        rep.term = s->term;
        note_vote(n, "vote", rv->candidate, rv->term, 0);
        raft_send_durable(n, src, MSG_REQUEST_VOTE_REPLY, &rep, sizeof rep);
        return;
    }
    if (rv->term > s->term) {
        /* §5.1. The new term is synced before the vote is decided, and the
         * vote is a second sync: with a disk model a voter that learns a new
         * term from a RequestVote answers after two flushes, as LogCabin's
         * handleRequestVote does (stepDown() and then the vote each call
         * updateLogMetadata(), an fsync). Figure 16's disk variant relies on
         * it (scenarios/raft_figure16.lua). */
        raft_become_follower(n, rv->term, 0);
        raft_persist_sync(n);
    }
    /* Figure 2, RequestVote receiver: "1. Reply false if term < currentTerm.
     * 2. If votedFor is null or candidateId, and candidate's log is at least
     * as up-to-date as receiver's log, grant vote" (§5.2, §5.4). */
    int granted = rv->term == s->term &&
                  (s->voted_for == 0 || s->voted_for == rv->candidate) &&
                  (p->bug_vote_without_log_check || up_to_date(s, rv));
    if (granted) {
        s->voted_for = rv->candidate;
        persist_meta(n);
        raft_arm_election(n);         /* §5.2: granting a vote resets the election timer */
    }
    raft_persist_sync(n);             /* term and vote are on disk before the answer leaves */
    rep.term = s->term;
    rep.granted = granted;
    note_vote(n, "vote", rv->candidate, rv->term, granted);
    raft_send_durable(n, src, MSG_REQUEST_VOTE_REPLY, &rep, sizeof rep);
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
    raft_send_durable(n, src, MSG_PRE_VOTE_REPLY, &rep, sizeof rep);
}

static void handle_vote_reply(struct node *n, int src, const struct vote_reply *r, int pre)
{
    struct raft_state *s = st(n);
    if (r->term > s->term) {
        /* §5.1. (A pre-vote refusal from a newer term tells us that term too.) */
        if (!pre || !r->granted) {
            raft_become_follower(n, r->term, 0);
            raft_persist_sync(n);
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

/* A read answered outside the log, from the state applied so far. */
static void answer_read(struct node *n, const struct request *req)
{
    struct raft_state *s = st(n);
    struct result res;
    machine_query(&s->m, req, &res);
    reply_client(n, req, &res, 0, s->last_applied);
}

static void start_read(struct node *n, struct pending_read *r)
{
    struct raft_state *s = st(n);
    /* §6.4 steps 2-3: remember commitIndex as the readIndex, then confirm
     * leadership with a fresh round of heartbeats. */
    r->read_index = s->commit_index;
    if (prm(n)->read_mode != READ_LEASE)
        ++s->round;
    broadcast_append(n);         /* with leases, a new round by itself */
    r->round = s->round;
    r->confirmed = 0;
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
            int acks = s->voter[node_id(n)];
            for (int i = 1; i <= s->nn; i++)
                if (i != node_id(n) && s->voter[i] && s->acked_round[i] >= r->round)
                    acks++;
            r->confirmed = acks >= majority(s);
        }
        if (r->confirmed && s->last_applied >= r->read_index) {
            ((struct raft_ghost *)node_ghost(n))->index_reads++;
            answer_read(n, &r->req);
            continue;
        }
        s->reads[kept++] = *r;
    }
    s->nreads = kept;
}

/* The machine's own commands, decided on the leader's clock and ordered by
 * the log (a lock's expiry: machine_lock.c). */
static void propose_machine(struct node *n)
{
    struct request cmds[4];
    int k = machine_propose(&st(n)->m, node_now(n), cmds, 4);
    for (int i = 0; i < k; i++)
        append_command(n, &cmds[i]);
}

static void raft_on_request(struct node *n, const struct request *req)
{
    struct raft_state *s = st(n);
    const struct raft_params *p = prm(n);
    int kind = machine_kind(&s->m, req->op);
    int is_get = kind == MACHINE_OP_READ;
    if (kind == MACHINE_OP_UNKNOWN) {
        struct result res;
        memset(&res, 0, sizeof res);
        res.status = RESULT_FAIL;
        snprintf(res.error, sizeof res.error, "unknown op (%s: %s)", s->m.ops->name, s->m.ops->ops);
        node_reply(n, req, &res);
        return;
    }
    /* §6.2: "If a client contacts a follower, the follower rejects the request
     * and supplies information about the most recent leader it has heard from." */
    if (s->role != LEADER) {
        redirect(n, req);
        return;
    }
    if (s->transfer_to) {
        /* §3.10 step 1: no new requests while handing over; the client
         * tries the target, which should lead shortly. */
        struct result res;
        memset(&res, 0, sizeof res);
        res.status = RESULT_REDIRECT;
        res.leader = s->transfer_to;
        snprintf(res.error, sizeof res.error, "transferring leadership");
        ((struct raft_ghost *)node_ghost(n))->redirects++;
        node_reply(n, req, &res);
        return;
    }
    if (p->bug_deq_local && strcmp(req->op, "deq") == 0) {
        /* Bug raft.deq_from_local_state: answer with the head of the local
         * queue at once, and log the deq only afterwards. Until it commits
         * the item is still at the head, here and on a new leader. */
        struct result res;
        machine_peek(&s->m, req, &res);
        reply_client(n, req, &res, 0, s->last_applied);
        append_command(n, req);
        return;
    }
    struct raft_ghost *g = node_ghost(n);
    if (is_get && (p->read_mode != READ_LOG || p->bug_stale_leader_read)) {
        struct obs *o = raft_observe(n, OB_READ);
        o->req = *req;
        if (p->read_mode == READ_LEASE && leader_ready(s) && node_now(n) < s->lease_until) {
            /* §6.4.1: within the lease no other leader can exist. */
            g->lease_reads++;
            answer_read(n, req);
            return;
        }
        if (p->bug_stale_leader_read) {
            /* Bug raft.stale_leader_read: answer from local state at once. A
             * leader that was deposed without knowing it answers from the past. */
            g->local_reads++;
            answer_read(n, req);
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

/* The disk finished every sync up to `ticket`: what waited for it leaves. */
static void raft_on_sync(struct node *n, uint64_t ticket)
{
    struct raft_state *s = st(n);
    const struct len_at *la = &s->len_at[ticket % SYNC_RING];
    if (la->ticket == ticket && la->len > s->durable)
        s->durable = la->len < s->len ? la->len : s->len;
    int kept = 0;
    for (int k = 0; k < s->nout; k++) {
        struct outmsg *o = &s->outbox[k];
        if (o->ticket <= ticket)
            durable_send(n, o->dst, o->type, &o->data, o->len);
        else
            s->outbox[kept++] = *o;
    }
    s->nout = kept;
    raft_advance_commit(n);           /* a leader's own entries may complete a majority */
}

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
    case MSG_TIMEOUT_NOW: {
        struct timeout_now t;
        if (m->len != sizeof t)
            return;
        memcpy(&t, m->payload, sizeof t);
        handle_timeout_now(n, &t);
        break;
    }
    case MSG_INSTALL_SNAPSHOT: {
        struct snap_req r;
        if (m->len < sizeof r)
            return;
        memcpy(&r, m->payload, sizeof r);
        if (m->len != sizeof r + r.bytes || r.offset + r.bytes > r.total)
            return;
        raft_handle_snapshot(n, m->src, &r, (const unsigned char *)m->payload + sizeof r);
        break;
    }
    case MSG_INSTALL_SNAPSHOT_REPLY: {
        struct snap_reply r;
        if (m->len != sizeof r)
            return;
        memcpy(&r, m->payload, sizeof r);
        raft_handle_snapshot_reply(n, m->src, &r);
        break;
    }
    default:
        return;
    }
    raft_heard(n, m->type, m->payload, m->len);
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
        if (!s->voter[node_id(n)]) {
            /* A learner, or removed: not ours to campaign (ch. 4). */
            raft_arm_election(n);
            return;
        }
        if (p->prevote)
            start_prevote(n);
        else
            start_election(n, 0);
        break;
    case T_HEARTBEAT:
        /* §5.2: leaders send periodic heartbeats (AppendEntries, possibly with
         * entries a follower still lacks) to maintain their authority. */
        if (s->role != LEADER)
            return;
        propose_machine(n);
        broadcast_append(n);
        node_timer(n, T_HEARTBEAT, p->heartbeat);
        raft_maybe_change(n);
        break;
    case T_QUORUM: {
        /* Thesis §6.2: "a leader steps down if an election timeout elapses
         * without a successful round of heartbeats to a majority". */
        if (s->role != LEADER)
            return;
        int heard = s->voter[node_id(n)];
        for (int i = 1; i <= s->nn; i++)
            if (i != node_id(n)) {
                heard += s->heard[i] && s->voter[i];
                s->heard[i] = 0;
            }
        if (heard < majority(s)) {
            ((struct raft_ghost *)node_ghost(n))->quorum_stepdowns++;
            raft_become_follower(n, s->term, 0);
            return;
        }
        node_timer(n, T_QUORUM, p->election[0]);
        break;
    }
    case T_TRANSFER:
        /* §3.10: "If the transfer does not complete after about an election
         * timeout, the prior leader aborts the transfer and resumes
         * accepting client requests." */
        if (s->role != LEADER || !s->transfer_to)
            return;
        note_transfer(n, "abort");
        s->transfer_to = 0;
        break;
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
    inspect_int(in, "snapshot_index", (int64_t)s->base);
    /* Thesis ch. 4: the configuration in effect, "1,2,3", and whether this
     * server votes in it. */
    char cfg[400];
    size_t cl = 0;
    cfg[0] = 0;
    for (int i = 1; i <= s->nn && cl < sizeof cfg - 16; i++)
        if (s->voter[i])
            cl += (size_t)snprintf(cfg + cl, sizeof cfg - cl, "%s%d", cl ? "," : "", i);
    inspect_str(in, "config", cfg);
    inspect_bool(in, "voter", s->voter[s->self]);
    inspect_int(in, "last_log_term", (int64_t)last_term(s));
    /* The terms of the log, "1,1,2,4", for scenarios that compare logs
     * (Figure 8); the last 32 entries of a longer log, after "...". */
    char buf[400];
    size_t len = 0;
    uint64_t from = s->len > 32 ? s->len - 32 : 0;
    if (from < s->base)
        from = s->base;
    buf[0] = 0;
    if (from)
        len += (size_t)snprintf(buf, sizeof buf, "...");
    for (uint64_t i = from + 1; i <= s->len && len < sizeof buf - 24; i++)
        len += (size_t)snprintf(buf + len, sizeof buf - len, "%s%" PRIu64,
                                i > from + 1 || from ? "," : "", entry_at(s, i)->term);
    inspect_str(in, "log_terms", buf);
    machine_inspect(&s->m, in);
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
        if (rv.transfer)
            record_bool(args, "transfer", 1);
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
    case MSG_TIMEOUT_NOW: {
        struct timeout_now t;
        if (len != sizeof t)
            return;
        memcpy(&t, payload, sizeof t);
        record_int(args, "term", (int64_t)t.term);
        break;
    }
    case MSG_INSTALL_SNAPSHOT:
    case MSG_INSTALL_SNAPSHOT_REPLY:
        raft_describe_snapshot(type, payload, len, args);
        break;
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
    .supports_membership = 1,
    .membership_by_log = 1,
    .on_membership = raft_on_membership,
    .leader = raft_leader,
    .ghost_init = raft_ghost_init,
    .ghost_free = raft_ghost_free,
    .state_free = raft_state_free,
    .metrics = raft_metrics,
    .transfer_leadership = raft_transfer,
    .on_sync = raft_on_sync,
};
