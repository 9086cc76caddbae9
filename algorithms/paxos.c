/* Paxos, single-decree and Multi-Paxos, with the key-value state machine of
 * algorithms/kv.c on top (the same one Raft applies, sessions included).
 *
 * References, cited where each rule is implemented:
 *   Lamport, "Paxos Made Simple" (2001): §2.2 choosing a value (P1, P2a-c,
 *     phase 1 prepare/promise, phase 2 accept/accepted), §2.3 learning,
 *     §2.4 progress (duelling proposers, a distinguished proposer), §3 the
 *     state machine (phase 1 once for all later instances, no-op gap filling);
 *   van Renesse & Altinbuken, "Paxos Made Moderately Complex" (ACM CSUR
 *     2015), "PMMC": leaders, acceptors and replicas on every node, leader
 *     election by preemption, randomised back-off;
 *   Chandra, Griesemer & Redstone, "Paxos Made Live" (PODC 2007), "PML":
 *     durability before answering, heartbeats from a master, catch-up.
 *
 * config.mode = "multi" (default): every node is an acceptor and a learner;
 * a node whose election timeout expires becomes a candidate and runs phase 1
 * once for every slot above its commit point; with a majority of promises it
 * leads: it re-proposes, per slot, the highest-ballot value the promises
 * carried (P2c), fills holes with no-ops, then streams phase 2 for client
 * commands. It is the distinguished learner (§2.3): a slot is chosen when a
 * majority accepted it in its ballot. Followers learn from the commit point
 * piggybacked on Accept and Heartbeat (a slot they accepted in the leader's
 * ballot at or below the leader's commit point holds the chosen value), and
 * a follower that is behind says so and is sent the chosen values again.
 *
 * config.mode = "single": one decree (slot 1) per run. Any node that gets a
 * client's put proposes it; acceptors send Accepted to every learner, and a
 * learner learns when a majority accepted one ballot (§2.3). A learner that
 * missed those messages learns by proposing (§2.3, last paragraph).
 *
 * Durable state (PML §4.1; Lamport §2.2 "an acceptor must remember this
 * information even if it fails and then restarts"): the promised ballot and,
 * per slot, the accepted (ballot, value), written and synced before any
 * answer leaves. The commit point is stored too (a hint, not synced on its
 * own) so a restarted node re-applies its chosen prefix from its own disk.
 *
 * The checker (paxos_check.c) gets observations from the node code and
 * verifies, after every event: agreement, validity, learn_only_chosen,
 * applied_prefix, promise_monotonic, accept_below_promise, client_reply.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "algorithms/paxos_int.h"
#include "algorithms/rsm.h"

static const char *const role_names[] = { "follower", "candidate", "leader", "acceptor", "proposer" };

enum { MSG_PREPARE = 0, MSG_PROMISE, MSG_ACCEPT, MSG_ACCEPTED, MSG_NACK, MSG_HEARTBEAT, MSG_COUNT };
static const char *const paxos_msg_names[] = {
    "Prepare", "Promise", "Accept", "Accepted", "Nack", "Heartbeat",
};

enum { T_ELECTION = 0, T_HEARTBEAT = 1 };

#define MAX_WAITERS 16               /* single mode: puts a proposer holds */
#define LEARN_RECS 8                 /* single mode: ballots a learner counts at once */

/* ------------------------------------------------------------ options */

static const struct bug_def paxos_bugs[] = {
    { "paxos.ignore_accepted_value",
      "a new proposer proposes its own value, not the highest-ballot accepted one: a second value is chosen (P2c, Paxos Made Simple 2.2)", "scenarios/explore_paxos.lua", 50 },
    { "paxos.accept_lower_ballot",
      "an acceptor accepts a proposal below the ballot it promised: an old leader's value sneaks in under a newer one (P1a, 2.2)", "scenarios/explore_paxos.lua", 50 },
    { "paxos.no_persist_promise",
      "the promise lives only in memory: after a restart the acceptor promises and accepts what it had refused (2.2, 'remember even if it fails')", "scenarios/explore_paxos.lua", 50 },
    { "paxos.learn_without_quorum",
      "a learner takes one Accepted as proof: a value accepted by a minority is learned and applied (2.3)", "scenarios/explore_paxos.lua", 50 },
    { NULL, NULL, NULL, 0 },
};

static const char *const mode_names[] = { "multi", "single", NULL };

static int paxos_configure(struct config *c, void *params, struct error *err)
{
    struct paxos_params *p = params;
    int64_t batch;
    if (config_choice(c, "mode", mode_names, MODE_MULTI, &p->mode, err) ||
        config_range_ms(c, "election_timeout", 150, 300, p->election, err) ||
        config_ms(c, "heartbeat", 50, 0.001, 1e9, &p->heartbeat, err) ||
        config_bool(c, "backoff", 1, &p->backoff, err) ||
        config_int(c, "max_batch", 64, 1, 100000, &batch, err) ||
        config_choice(c, "machine", machine_names, 0, &p->machine, err))
        return -1;
    if (p->mode == MODE_SINGLE && p->machine != 0) {
        snprintf(err->msg, sizeof err->msg,
                 "option 'machine': single-decree mode chooses one put, so it runs the kv machine only (got '%s')",
                 machine_names[p->machine]);
        return -1;
    }
    if (config_nodes(c) > PAXOS_MAX_NODES) {
        snprintf(err->msg, sizeof err->msg,
                 "paxos supports at most %d nodes (got %d): acknowledgement sets are 64-bit masks",
                 PAXOS_MAX_NODES, config_nodes(c));
        return -1;
    }
    if (p->election[0] <= 0) {
        snprintf(err->msg, sizeof err->msg, "option 'election_timeout' must be positive");
        return -1;
    }
    p->max_batch = (int)batch;
    p->bug_ignore_accepted_value = config_bug(c, "paxos.ignore_accepted_value");
    p->bug_accept_lower_ballot = config_bug(c, "paxos.accept_lower_ballot");
    p->bug_no_persist_promise = config_bug(c, "paxos.no_persist_promise");
    p->bug_learn_without_quorum = config_bug(c, "paxos.learn_without_quorum");
    return 0;
}

/* ------------------------------------------------------------ messages */

struct m_prepare { uint64_t ballot, from; };                 /* phase 1a */
struct m_promise { uint64_t ballot, from, chosen_upto; uint32_t n, pad; };   /* phase 1b; n pslot follow */
struct pslot { uint64_t slot, ballot; struct value v; };     /* an accepted proposal */
struct m_accept { uint64_t ballot, first, commit; uint32_t n, pad; };       /* phase 2a; n values follow */
struct m_accepted { uint64_t ballot, first, chosen_upto; uint32_t n, has_value; };  /* phase 2b; single: a value follows */
struct m_nack { uint64_t ballot, promised; };
struct m_heartbeat { uint64_t ballot, commit; };

/* ------------------------------------------------------- volatile state */

struct slot {
    /* acceptor (durable: "acc/<slot>") */
    uint64_t acc_ballot;         /* 0: nothing accepted */
    struct value acc;
    /* proposer: during phase 1 the highest accepted ballot adopted (P2c);
     * afterwards the ballot `val` was proposed in */
    uint64_t prop_ballot;
    uint64_t acks;               /* acceptors that accepted val in prop_ballot */
    uint64_t mine;               /* ballot in which this node proposed a client's command here */
    struct value val;            /* value proposed, or learned once chosen */
    int chosen;
};

struct learn_rec { uint64_t ballot, mask; struct value v; };

struct paxos_state {
    int nn;
    enum paxos_role role;
    uint64_t promised;           /* durable ("promise") */
    uint64_t ballot;             /* this node's ballot as proposer, 0 before its first */
    uint64_t seen;               /* highest ballot heard of (to pick a higher one) */
    int leader;                  /* multi: who we believe leads (0: unknown) */
    struct slot *slots;          /* slots[0] is slot 1 */
    uint64_t cap, top;           /* top: highest slot with anything in it */
    uint64_t chosen_upto, applied;
    uint64_t next_slot;          /* leader: the next free slot */
    uint64_t from;               /* phase 1 covers slots from here on */
    uint64_t promises;           /* mask of promises for our ballot */
    uint64_t *peer_chosen;       /* [1..nn] leader: each peer's commit point as it reported */
    int preempts;                /* preemptions in a row (the back-off exponent) */
    struct machine m;            /* the replicated state machine (config.machine) */
    /* single mode */
    int has_own;
    struct value own;            /* the value this proposer wants chosen */
    struct request waiters[MAX_WAITERS];
    int nwaiters;
    struct learn_rec lr[LEARN_RECS];
    int accept_sent;             /* single: phase 2 under way for our ballot */
    /* scratch for outgoing messages: grows to the largest message, never shrinks */
    unsigned char *buf;
    size_t bufcap;
};

static struct paxos_state *st(struct node *n) { return node_state(n); }
static const struct paxos_params *prm(const struct node *n) { return node_params(n); }
static struct paxos_ghost *ghost(struct node *n) { return node_ghost(n); }
static int majority(const struct paxos_state *s) { return s->nn / 2 + 1; }
static int single_mode(const struct node *n) { return prm(n)->mode == MODE_SINGLE; }
static uint64_t bit(int id) { return 1ULL << (id - 1); }
static int count_bits(uint64_t m) { return __builtin_popcountll(m); }
static int is_proposing(const struct paxos_state *s)
{
    return s->role == CANDIDATE || s->role == LEADER || s->role == PROPOSER;
}

static void *scratch(struct paxos_state *s, size_t need)
{
    if (need > s->bufcap) {
        size_t cap = s->bufcap ? s->bufcap : 1024;
        while (cap < need)
            cap *= 2;
        s->buf = rsm_xrealloc(s->buf, cap);
        s->bufcap = cap;
    }
    return s->buf;
}

static void slots_reserve(struct paxos_state *s, uint64_t want)
{
    if (want <= s->cap)
        return;
    uint64_t cap = s->cap ? s->cap : 64;
    while (cap < want)
        cap *= 2;
    s->slots = rsm_xrealloc(s->slots, cap * sizeof *s->slots);
    memset(s->slots + s->cap, 0, (cap - s->cap) * sizeof *s->slots);
    s->cap = cap;
}

static struct slot *slot_at(struct paxos_state *s, uint64_t i)
{
    slots_reserve(s, i);
    if (i > s->top)
        s->top = i;
    return &s->slots[i - 1];
}

static void ballot_str(uint64_t b, char out[32])
{
    snprintf(out, 32, "%" PRIu64 ".%d", BALLOT_ROUND(b), BALLOT_NODE(b));
}

static void make_noop(struct value *v)
{
    memset(v, 0, sizeof *v);
    v->type = V_NOOP;
}

static void make_cmd(struct value *v, const struct request *req)
{
    memset(v, 0, sizeof *v);
    v->type = V_CMD;
    rsm_copy_request(&v->cmd, req);
}

/* ------------------------------------------------------------ notes */

static void note_role(struct node *n)
{
    struct paxos_state *s = st(n);
    /* A proposer's own ballot; for a follower or acceptor the ballot it
     * promised (the one it follows, as a Raft follower has a term). */
    uint64_t bal = is_proposing(s) ? s->ballot : s->promised;
    char b[32];
    ballot_str(bal, b);
    struct record *r = node_note_begin(n, "role", 1);
    record_str(r, "role", role_names[s->role]);
    record_str(r, "ballot", b);
    record_int(r, "term", (int64_t)BALLOT_ROUND(bal));   /* the round, for tools that read terms */
    node_note_end(n, r);
}

static void set_role(struct node *n, enum paxos_role role)
{
    struct paxos_state *s = st(n);
    if (s->role == role)
        return;
    s->role = role;
    note_role(n);
}

static void note_slot(struct node *n, const char *type, uint64_t slot, const struct value *v)
{
    struct record *r = node_note_begin(n, type, 1);
    record_int(r, "slot", (int64_t)slot);
    if (r && v->type == V_NOOP) {
        record_bool(r, "noop", 1);
    } else if (r) {
        record_int(r, "client", v->cmd.client);
        record_int(r, "seq", (int64_t)v->cmd.seq);
    }
    node_note_end(n, r);
}

/* ------------------------------------------------------- durable state */

/* Store layout: "promise" = the promised ballot; "top" = the highest slot
 * with an accepted value; "acc/<slot>" = {ballot, value}; "chosen" = the
 * commit point (multi mode). */
struct acc_rec { uint64_t ballot; struct value v; };

static void persist_promise(struct node *n)
{
    uint64_t b = st(n)->promised;
    node_store_put(n, "promise", &b, sizeof b);
}

static void persist_slot(struct node *n, uint64_t i)
{
    struct paxos_state *s = st(n);
    char key[32];
    struct acc_rec a;
    memset(&a, 0, sizeof a);
    a.ballot = s->slots[i - 1].acc_ballot;
    a.v = s->slots[i - 1].acc;
    snprintf(key, sizeof key, "acc/%" PRIu64, i);
    node_store_put(n, key, &a, sizeof a);
    size_t len;
    const void *p = node_store_get(n, "top", &len);
    uint64_t top = 0;
    if (p && len == sizeof top)
        memcpy(&top, p, sizeof top);
    if (i > top)
        node_store_put(n, "top", &i, sizeof i);
}

/* PML §4.1 / Lamport §2.2: the acceptor's state is on disk before it answers. */
static void persist_sync(struct node *n) { node_store_sync(n); }

/* Raise the promise to b (P1a: never lower it). `from_prepare`: a phase 1
 * promise, the one bug paxos.no_persist_promise keeps in memory only. */
static void raise_promise(struct node *n, uint64_t b, int from_prepare)
{
    struct paxos_state *s = st(n);
    if (b <= s->promised)
        return;
    struct pobs *o = paxos_observe(n, PO_PROMISE);
    o->ballot = b;
    o->aux = s->promised;
    s->promised = b;
    if (b > s->seen)
        s->seen = b;
    /* Bug paxos.no_persist_promise: the promise never reaches the disk. */
    if (!(from_prepare && prm(n)->bug_no_persist_promise))
        persist_promise(n);
    if (!is_proposing(s))
        note_role(n);            /* a follower now follows a newer ballot */
}

/* Accept (b, v) at slot i (phase 2b). The caller has checked the ballot
 * against the promise (P1a) and syncs before answering. */
static void accept_value(struct node *n, uint64_t i, uint64_t b, const struct value *v)
{
    struct paxos_state *s = st(n);
    struct pobs *o = paxos_observe(n, PO_ACCEPT);
    o->slot = i;
    o->ballot = b;
    o->aux = s->promised;
    o->v = *v;
    /* Accepting ballot b is also a promise not to accept below it. */
    raise_promise(n, b, 0);
    struct slot *sl = slot_at(s, i);
    sl->acc_ballot = b;
    sl->acc = *v;
    persist_slot(n, i);
}

static void restore(struct node *n)
{
    struct paxos_state *s = st(n);
    size_t len;
    const void *p = node_store_get(n, "promise", &len);
    if (p && len == sizeof s->promised)
        memcpy(&s->promised, p, sizeof s->promised);
    uint64_t top = 0, chosen = 0;
    p = node_store_get(n, "top", &len);
    if (p && len == sizeof top)
        memcpy(&top, p, sizeof top);
    p = node_store_get(n, "chosen", &len);
    if (p && len == sizeof chosen)
        memcpy(&chosen, p, sizeof chosen);
    for (uint64_t i = 1; i <= top; i++) {
        char key[32];
        snprintf(key, sizeof key, "acc/%" PRIu64, i);
        p = node_store_get(n, key, &len);
        if (!p || len != sizeof(struct acc_rec))
            continue;            /* a hole: nothing accepted there */
        struct acc_rec a;
        memcpy(&a, p, sizeof a);
        struct slot *sl = slot_at(s, i);
        sl->acc_ballot = a.ballot;
        sl->acc = a.v;
    }
    s->seen = s->promised;
    struct pobs *o = paxos_observe(n, PO_RECOVER);
    o->ballot = s->promised;
    /* The stored commit point: every slot up to it was chosen, and by P2c any
     * later acceptance there carried the same value, so the value on disk is
     * the chosen one. Only multi mode keeps it (a single-mode learner may
     * learn a value it never accepted). */
    if (!single_mode(n))
        for (uint64_t i = 1; i <= chosen && i <= s->top; i++) {
            struct slot *sl = &s->slots[i - 1];
            if (!sl->acc_ballot)
                break;
            sl->chosen = 1;
            sl->val = sl->acc;
            struct pobs *l = paxos_observe(n, PO_LEARN);
            l->slot = i;
            l->ballot = sl->acc_ballot;
            l->v = sl->val;
        }
}

/* ------------------------------------------------------------- timers */

static void arm_election(struct node *n)
{
    const struct paxos_params *p = prm(n);
    node_timer(n, T_ELECTION, node_random_range(n, p->election[0], p->election[1]));
}

/* PMMC §3 ("leader election by preemption"): a preempted proposer waits a
 * random time before it tries again, and the window widens with every
 * preemption in a row, so two proposers stop colliding. */
static void arm_backoff(struct node *n)
{
    struct paxos_state *s = st(n);
    const struct paxos_params *p = prm(n);
    int k = s->preempts > 5 ? 5 : s->preempts;
    sim_time hi = p->election[1] << (k > 0 ? k - 1 : 0);
    node_timer(n, T_ELECTION, node_random_range(n, p->election[0], hi));
}

/* ------------------------------------------------------------- clients */

static void reply_client(struct node *n, const struct request *req, const struct result *res, uint64_t slot)
{
    if (res->status == RESULT_OK || res->status == RESULT_FAIL) {
        struct pobs *o = paxos_observe(n, PO_REPLY);
        o->slot = slot;
        make_cmd(&o->v, req);
        o->res = *res;
    }
    node_reply(n, req, res);
}

static void answer(struct node *n, const struct request *req, enum result_status status, int leader,
                   const char *why)
{
    struct result res;
    memset(&res, 0, sizeof res);
    res.status = status;
    res.leader = leader;
    if (why)
        snprintf(res.error, sizeof res.error, "%s", why);
    if (status == RESULT_REDIRECT)
        ghost(n)->redirects++;
    node_reply(n, req, &res);
}

/* ------------------------------------------------------------ learning */

static void send_to_all(struct node *n, int type, const void *payload, size_t len)
{
    struct paxos_state *s = st(n);
    for (int i = 1; i <= s->nn; i++)
        if (i != node_id(n) && node_is_member(n, i))
            node_send(n, i, type, payload, len);
}

/* Single mode: the decree is applied and every put this node holds answered:
 * ok for the one chosen (its retries too), fail for the others, which will
 * never take effect. */
static void single_answer_waiters(struct node *n, const struct value *chosen, const struct result *res)
{
    struct paxos_state *s = st(n);
    for (int i = 0; i < s->nwaiters; i++) {
        const struct request *w = &s->waiters[i];
        if (chosen->type == V_CMD && chosen->cmd.client == w->client && chosen->cmd.seq == w->seq) {
            reply_client(n, w, res, 1);
        } else {
            struct result f;
            memset(&f, 0, sizeof f);
            f.status = RESULT_FAIL;
            snprintf(f.error, sizeof f.error, "another value was chosen");
            reply_client(n, w, &f, 1);
        }
    }
    s->nwaiters = 0;
    s->has_own = 0;
}

/* Apply chosen slots in slot order (Lamport §3: "execute command i only
 * after commands 1..i-1"): every replica's KV runs the same commands in the
 * same order. The (client, seq) sessions make a command chosen twice apply once. */
static void apply_chosen(struct node *n)
{
    struct paxos_state *s = st(n);
    while (s->applied < s->chosen_upto) {
        uint64_t i = ++s->applied;
        struct slot *sl = &s->slots[i - 1];
        struct result res;
        memset(&res, 0, sizeof res);
        if (sl->val.type == V_CMD)
            machine_apply(&s->m, &sl->val.cmd, i, &res);
        note_slot(n, "apply", i, &sl->val);
        struct pobs *o = paxos_observe(n, PO_APPLY);
        o->slot = i;
        o->v = sl->val;
        if (single_mode(n)) {
            single_answer_waiters(n, &sl->val, &res);
        } else if (sl->val.type == V_CMD && sl->val.cmd.client > 0 && s->role == LEADER && sl->mine == s->ballot) {
            /* The leader that took the command from the client answers it. */
            reply_client(n, &sl->val.cmd, &res, i);
        }
    }
}

/* Mark slot i chosen with the value this node holds for it (val). */
static void mark_chosen(struct node *n, uint64_t i, uint64_t b)
{
    struct slot *sl = &st(n)->slots[i - 1];
    if (sl->chosen)
        return;
    sl->chosen = 1;
    struct pobs *o = paxos_observe(n, PO_LEARN);
    o->slot = i;
    o->ballot = b;
    o->v = sl->val;
}

/* Advance the commit point over the chosen prefix, note and apply it. */
static void advance_chosen(struct node *n)
{
    struct paxos_state *s = st(n);
    uint64_t was = s->chosen_upto;
    while (s->chosen_upto < s->top && s->slots[s->chosen_upto].chosen) {
        uint64_t i = ++s->chosen_upto;
        struct record *r = node_note_begin(n, "chosen", 1);
        record_int(r, "slot", (int64_t)i);
        if (r) {
            char b[32];
            ballot_str(s->slots[i - 1].prop_ballot ? s->slots[i - 1].prop_ballot : s->slots[i - 1].acc_ballot, b);
            record_str(r, "ballot", b);
        }
        node_note_end(n, r);
    }
    if (s->chosen_upto != was) {
        if (!single_mode(n))
            node_store_put(n, "chosen", &s->chosen_upto, sizeof s->chosen_upto);   /* a hint: synced with the next answer */
        apply_chosen(n);
    }
}

/* Multi mode, a follower: the leader of ballot b says every slot up to
 * `commit` is chosen. A slot we accepted in ballot b holds the leader's value
 * for it, which is the chosen one (PML §3: the master's "commit" rides on
 * the next message). Slots we hold in another ballot wait for catch-up. */
static void learn_upto(struct node *n, uint64_t b, uint64_t commit)
{
    struct paxos_state *s = st(n);
    for (uint64_t i = s->chosen_upto + 1; i <= commit && i <= s->top; i++) {
        struct slot *sl = &s->slots[i - 1];
        if (!sl->chosen) {
            if (sl->acc_ballot != b)
                break;
            sl->val = sl->acc;
            sl->prop_ballot = 0;
            mark_chosen(n, i, b);
        }
    }
    advance_chosen(n);
}

/* ------------------------------------------------------------- phase 1 */

static void try_phase1_done(struct node *n);
static void start_phase1(struct node *n);

static void adopt(struct slot *sl, uint64_t b, const struct value *v)
{
    /* P2c: among the promises, the value of the highest-numbered proposal. */
    if (b > sl->prop_ballot) {
        sl->prop_ballot = b;
        sl->val = *v;
    }
}

/* Lamport §2.2 phase 1 (a): pick a ballot higher than any seen and send
 * Prepare to a majority (here: everyone). §3: in multi mode one Prepare
 * covers every slot above our commit point. */
static void start_phase1(struct node *n)
{
    struct paxos_state *s = st(n);
    struct paxos_ghost *g = ghost(n);
    uint64_t hi = s->promised > s->seen ? s->promised : s->seen;
    if (s->ballot > hi)
        hi = s->ballot;
    s->ballot = BALLOT(BALLOT_ROUND(hi) + 1, node_id(n));
    g->phase1++;
    if (BALLOT_ROUND(s->ballot) > g->max_round)
        g->max_round = BALLOT_ROUND(s->ballot);
    s->leader = 0;
    s->accept_sent = 0;
    node_cancel(n, T_HEARTBEAT);
    s->role = single_mode(n) ? PROPOSER : CANDIDATE;
    note_role(n);
    /* The proposer is an acceptor too: it promises its own ballot. */
    raise_promise(n, s->ballot, 1);
    persist_sync(n);
    s->from = single_mode(n) ? 1 : s->chosen_upto + 1;
    s->promises = bit(node_id(n));
    for (uint64_t i = s->from; i <= s->top; i++) {
        struct slot *sl = &s->slots[i - 1];
        if (sl->chosen)
            continue;
        sl->prop_ballot = 0;
        sl->acks = 0;
        sl->mine = 0;
        memset(&sl->val, 0, sizeof sl->val);
        if (sl->acc_ballot)
            adopt(sl, sl->acc_ballot, &sl->acc);
    }
    for (int i = 1; i <= s->nn; i++)
        s->peer_chosen[i] = s->chosen_upto;
    struct m_prepare pr = { s->ballot, s->from };
    send_to_all(n, MSG_PREPARE, &pr, sizeof pr);
    arm_election(n);             /* no majority in time: try again, higher */
    if (single_mode(n))
        node_timer(n, T_HEARTBEAT, prm(n)->heartbeat);
    try_phase1_done(n);          /* a one-node cluster */
}

/* Preempted (PMMC §3): someone runs a higher ballot. Give way: with back-off
 * wait a random, widening time before trying again; without it (the naive
 * proposer of Lamport §2.4) try again at once, higher. */
static void preempted(struct node *n, uint64_t higher)
{
    struct paxos_state *s = st(n);
    if (higher > s->seen)
        s->seen = higher;
    if (!is_proposing(s) || higher <= s->ballot)
        return;
    ghost(n)->preemptions++;
    node_cancel(n, T_HEARTBEAT);
    s->preempts++;
    if (!prm(n)->backoff) {
        start_phase1(n);
        return;
    }
    set_role(n, single_mode(n) ? ACCEPTOR : FOLLOWER);
    s->leader = 0;
    if (!single_mode(n) || s->has_own)
        arm_backoff(n);
    else
        node_cancel(n, T_ELECTION);
}

static void handle_prepare(struct node *n, int src, const struct m_prepare *pr)
{
    struct paxos_state *s = st(n);
    if (pr->ballot < s->promised) {
        /* P1a: a promise is never broken; the Nack names it (PMMC). */
        struct m_nack nk = { pr->ballot, s->promised };
        ghost(n)->nacks++;
        node_send(n, src, MSG_NACK, &nk, sizeof nk);
        return;
    }
    /* §2.2 phase 1 (b): promise never to accept below pr->ballot, and answer
     * with the highest-numbered proposal accepted (here: per slot, from
     * pr->from on). Durable before the answer leaves. */
    raise_promise(n, pr->ballot, 1);
    persist_sync(n);
    uint32_t cnt = 0;
    for (uint64_t i = pr->from; i <= s->top; i++)
        cnt += s->slots[i - 1].acc_ballot != 0;
    size_t len = sizeof(struct m_promise) + (size_t)cnt * sizeof(struct pslot);
    unsigned char *buf = scratch(s, len);
    struct m_promise pm;
    memset(&pm, 0, sizeof pm);
    pm.ballot = pr->ballot;
    pm.from = pr->from;
    pm.chosen_upto = s->chosen_upto;
    pm.n = cnt;
    memcpy(buf, &pm, sizeof pm);
    size_t off = sizeof pm;
    for (uint64_t i = pr->from; i <= s->top; i++) {
        const struct slot *sl = &s->slots[i - 1];
        if (!sl->acc_ballot)
            continue;
        struct pslot ps;
        memset(&ps, 0, sizeof ps);
        ps.slot = i;
        ps.ballot = sl->acc_ballot;
        ps.v = sl->acc;
        memcpy(buf + off, &ps, sizeof ps);
        off += sizeof ps;
    }
    node_send(n, src, MSG_PROMISE, buf, len);
    if (is_proposing(s)) {
        preempted(n, pr->ballot);
    } else if (!single_mode(n)) {
        s->leader = 0;
        arm_election(n);         /* a candidate is at work: give it time */
    }
}

/* Phase 2 (a) for slot i: propose val under our ballot; our own acceptor
 * accepts first. The caller syncs and sends. */
static void propose(struct node *n, uint64_t i)
{
    struct paxos_state *s = st(n);
    struct slot *sl = slot_at(s, i);
    sl->prop_ballot = s->ballot;
    sl->acks = bit(node_id(n));
    accept_value(n, i, s->ballot, &sl->val);
}

/* Accept for slots first..last, in batches of max_batch, to one peer. */
static void send_accepts(struct node *n, int peer, uint64_t first, uint64_t last)
{
    struct paxos_state *s = st(n);
    uint64_t batch = (uint64_t)prm(n)->max_batch;
    for (uint64_t a = first; a <= last; a += batch) {
        uint64_t cnt = last - a + 1 < batch ? last - a + 1 : batch;
        size_t len = sizeof(struct m_accept) + (size_t)cnt * sizeof(struct value);
        unsigned char *buf = scratch(s, len);
        struct m_accept ac;
        memset(&ac, 0, sizeof ac);
        ac.ballot = s->ballot;
        ac.first = a;
        ac.commit = s->chosen_upto;
        ac.n = (uint32_t)cnt;
        memcpy(buf, &ac, sizeof ac);
        for (uint64_t k = 0; k < cnt; k++)
            memcpy(buf + sizeof ac + k * sizeof(struct value), &s->slots[a + k - 1].val, sizeof(struct value));
        node_send(n, peer, MSG_ACCEPT, buf, len);
    }
}

static void single_send_accepted(struct node *n, uint64_t b, const struct value *v);

static void try_phase1_done(struct node *n)
{
    struct paxos_state *s = st(n);
    const struct paxos_params *p = prm(n);
    if ((s->role != CANDIDATE && s->role != PROPOSER) || count_bits(s->promises) < majority(s))
        return;
    if (single_mode(n)) {
        if (s->accept_sent)
            return;
        /* §2.2 phase 2 (a): the value of the highest-numbered proposal among
         * the promises, or, if none, our own. */
        struct slot *sl = slot_at(s, 1);
        if (sl->chosen)
            return;
        if (!sl->prop_ballot || p->bug_ignore_accepted_value) {
            /* Bug paxos.ignore_accepted_value: our own value regardless. */
            if (!s->has_own)
                return;          /* a learner's probe found nothing to finish */
            sl->val = s->own;
        }
        s->accept_sent = 1;
        propose(n, 1);
        persist_sync(n);
        size_t len = sizeof(struct m_accept) + sizeof(struct value);
        unsigned char *buf = scratch(s, len);
        struct m_accept ac;
        memset(&ac, 0, sizeof ac);
        ac.ballot = s->ballot;
        ac.first = 1;
        ac.n = 1;
        memcpy(buf, &ac, sizeof ac);
        memcpy(buf + sizeof ac, &sl->val, sizeof sl->val);
        send_to_all(n, MSG_ACCEPT, buf, len);
        single_send_accepted(n, s->ballot, &sl->val);
        return;
    }
    /* Multi mode (§3): phase 1 is done for every slot from s->from on. For
     * each, propose the highest-ballot accepted value (P2c) or, where no
     * promise reported one, a no-op (the gaps of §3). */
    struct paxos_ghost *g = ghost(n);
    s->role = LEADER;
    s->leader = node_id(n);
    s->preempts = 0;
    note_role(n);
    g->leaders++;
    node_cancel(n, T_ELECTION);
    uint64_t last = s->top;
    for (uint64_t i = s->from; i <= last; i++) {
        struct slot *sl = &s->slots[i - 1];
        if (sl->chosen)
            continue;
        if (!sl->prop_ballot || p->bug_ignore_accepted_value) {
            /* Bug paxos.ignore_accepted_value: the leader "has nothing of its
             * own to say" here and fills the slot with a no-op, ignoring
             * what a majority may already have accepted. */
            make_noop(&sl->val);
            g->noops++;
        }
        sl->mine = 0;
        propose(n, i);
    }
    persist_sync(n);
    s->next_slot = last + 1;
    for (int i = 1; i <= s->nn; i++)
        if (i != node_id(n) && node_is_member(n, i)) {
            if (s->from <= last)
                send_accepts(n, i, s->from, last);
            else {
                struct m_heartbeat hb = { s->ballot, s->chosen_upto };
                node_send(n, i, MSG_HEARTBEAT, &hb, sizeof hb);
            }
        }
    node_timer(n, T_HEARTBEAT, p->heartbeat);
    /* A one-node cluster: its own acceptance is a majority. */
    if (majority(s) == 1)
        for (uint64_t i = s->from; i <= last; i++)
            mark_chosen(n, i, s->ballot);
    advance_chosen(n);
}

static void handle_promise(struct node *n, int src, const struct m_promise *pm, const unsigned char *body)
{
    struct paxos_state *s = st(n);
    if ((s->role != CANDIDATE && s->role != PROPOSER) || pm->ballot != s->ballot || src < 1 || src > s->nn ||
        (s->promises & bit(src)))
        return;
    s->promises |= bit(src);
    if (!single_mode(n) && pm->chosen_upto > s->peer_chosen[src])
        s->peer_chosen[src] = pm->chosen_upto;
    for (uint32_t k = 0; k < pm->n; k++) {
        struct pslot ps;
        memcpy(&ps, body + (size_t)k * sizeof ps, sizeof ps);
        if (ps.slot < s->from || ps.slot == 0)
            continue;
        struct slot *sl = slot_at(s, ps.slot);
        if (!sl->chosen)
            adopt(sl, ps.ballot, &ps.v);
    }
    try_phase1_done(n);
}

/* ------------------------------------------------------------- phase 2 */

/* Single mode: §2.3, "have each acceptor, whenever it accepts a proposal,
 * respond to all learners". This node's own learner hears it at once. */
static void single_learn(struct node *n, int src, uint64_t b, const struct value *v);

static void single_send_accepted(struct node *n, uint64_t b, const struct value *v)
{
    struct paxos_state *s = st(n);
    size_t len = sizeof(struct m_accepted) + sizeof(struct value);
    unsigned char *buf = scratch(s, len);
    struct m_accepted ac;
    memset(&ac, 0, sizeof ac);
    ac.ballot = b;
    ac.first = 1;
    ac.n = 1;
    ac.has_value = 1;
    memcpy(buf, &ac, sizeof ac);
    memcpy(buf + sizeof ac, v, sizeof *v);
    send_to_all(n, MSG_ACCEPTED, buf, len);
    single_learn(n, node_id(n), b, v);
}

static void single_learn(struct node *n, int src, uint64_t b, const struct value *v)
{
    struct paxos_state *s = st(n);
    struct slot *sl = slot_at(s, 1);
    if (sl->chosen || src < 1 || src > s->nn)
        return;
    struct learn_rec *r = NULL, *low = &s->lr[0];
    for (int i = 0; i < LEARN_RECS; i++) {
        if (s->lr[i].ballot == b)
            r = &s->lr[i];
        if (s->lr[i].ballot < low->ballot)
            low = &s->lr[i];
    }
    if (!r) {
        if (low->ballot > b)
            return;              /* older than every ballot we count */
        r = low;
        memset(r, 0, sizeof *r);
        r->ballot = b;
        r->v = *v;
    }
    r->mask |= bit(src);
    /* §2.3: chosen = accepted by a majority in one ballot.
     * Bug paxos.learn_without_quorum: one Accepted is taken as proof. */
    if (count_bits(r->mask) < majority(s) && !prm(n)->bug_learn_without_quorum)
        return;
    sl->val = r->v;
    sl->prop_ballot = b;
    mark_chosen(n, 1, b);
    node_cancel(n, T_ELECTION);
    node_cancel(n, T_HEARTBEAT);
    set_role(n, ACCEPTOR);
    advance_chosen(n);
}

static void handle_accept(struct node *n, int src, const struct m_accept *ac, const unsigned char *body)
{
    struct paxos_state *s = st(n);
    const struct paxos_params *p = prm(n);
    if (ac->ballot < s->promised && !p->bug_accept_lower_ballot) {
        /* P1a: "an acceptor can accept a proposal numbered n iff it has not
         * responded to a prepare request having a number greater than n". */
        struct m_nack nk = { ac->ballot, s->promised };
        ghost(n)->nacks++;
        node_send(n, src, MSG_NACK, &nk, sizeof nk);
        return;
    }
    /* Bug paxos.accept_lower_ballot: the check above is skipped. */
    for (uint32_t k = 0; k < ac->n; k++) {
        struct value v;
        memcpy(&v, body + (size_t)k * sizeof v, sizeof v);
        accept_value(n, ac->first + k, ac->ballot, &v);
    }
    persist_sync(n);
    if (single_mode(n)) {
        if (ac->n == 1) {
            struct value v;
            memcpy(&v, body, sizeof v);
            single_send_accepted(n, ac->ballot, &v);
        }
    } else {
        if (ac->ballot >= s->promised && !is_proposing(s)) {
            s->leader = src;
            s->preempts = 0;
            arm_election(n);     /* PML §3: a live master keeps the others quiet */
        }
        learn_upto(n, ac->ballot, ac->commit);
        struct m_accepted r;
        memset(&r, 0, sizeof r);
        r.ballot = ac->ballot;
        r.first = ac->first;
        r.n = ac->n;
        r.chosen_upto = s->chosen_upto;
        node_send(n, src, MSG_ACCEPTED, &r, sizeof r);
    }
    if (is_proposing(s) && ac->ballot > s->ballot)
        preempted(n, ac->ballot);
}

/* The leader's catch-up for a follower behind its commit point: the chosen
 * values again, under the current ballot (PML §4.2 "catch-up"). */
static void send_catchup(struct node *n, int peer)
{
    struct paxos_state *s = st(n);
    uint64_t first = s->peer_chosen[peer] + 1;
    uint64_t last = s->next_slot - 1;
    if (first > last)
        return;
    if (last - first + 1 > (uint64_t)prm(n)->max_batch)
        last = first + (uint64_t)prm(n)->max_batch - 1;
    /* Slots this leader re-proposes are accepted in its ballot; the chosen
     * ones it learned earlier are proposed in it now. */
    send_accepts(n, peer, first, last);
}

static void handle_accepted(struct node *n, int src, const struct m_accepted *ac, const unsigned char *body)
{
    struct paxos_state *s = st(n);
    const struct paxos_params *p = prm(n);
    if (src < 1 || src > s->nn)
        return;
    if (single_mode(n)) {
        if (ac->has_value && ac->n == 1) {
            struct value v;
            memcpy(&v, body, sizeof v);
            single_learn(n, src, ac->ballot, &v);
        }
        return;
    }
    if (s->role != LEADER || ac->ballot != s->ballot)
        return;
    /* Its latest word (it may have restarted and gone back). */
    s->peer_chosen[src] = ac->chosen_upto;
    /* §2.3 with a distinguished learner: a slot is chosen once a majority of
     * acceptors accepted it in our ballot. */
    for (uint32_t k = 0; k < ac->n; k++) {
        uint64_t i = ac->first + k;
        if (i == 0 || i > s->top)
            continue;
        struct slot *sl = &s->slots[i - 1];
        if (sl->chosen || sl->prop_ballot != s->ballot)
            continue;
        sl->acks |= bit(src);
        /* Bug paxos.learn_without_quorum: the first Accepted suffices. */
        if (count_bits(sl->acks) >= majority(s) || p->bug_learn_without_quorum)
            mark_chosen(n, i, s->ballot);
    }
    advance_chosen(n);
    /* A follower behind our commit point: the next batch once it learned the
     * last one (or it asked, with an empty Accepted). */
    uint64_t end = ac->n ? ac->first + ac->n - 1 : 0;
    if (s->peer_chosen[src] < s->chosen_upto && (ac->n == 0 || s->peer_chosen[src] >= end))
        send_catchup(n, src);
}

static void handle_nack(struct node *n, const struct m_nack *nk)
{
    struct paxos_state *s = st(n);
    if (nk->promised > s->seen)
        s->seen = nk->promised;
    if (is_proposing(s) && nk->ballot == s->ballot && nk->promised > s->ballot)
        preempted(n, nk->promised);
}

static void handle_heartbeat(struct node *n, int src, const struct m_heartbeat *hb)
{
    struct paxos_state *s = st(n);
    if (hb->ballot < s->promised) {
        /* A deposed leader: tell it (PMMC preemption). */
        struct m_nack nk = { hb->ballot, s->promised };
        ghost(n)->nacks++;
        node_send(n, src, MSG_NACK, &nk, sizeof nk);
        return;
    }
    if (is_proposing(s)) {
        if (hb->ballot <= s->ballot)
            return;
        preempted(n, hb->ballot);
    }
    if (!is_proposing(s)) {
        s->leader = src;
        s->preempts = 0;
        arm_election(n);
    }
    learn_upto(n, hb->ballot, hb->commit);
    if (s->chosen_upto < hb->commit) {
        /* Behind: say where we are (an Accepted for no slots). */
        struct m_accepted r;
        memset(&r, 0, sizeof r);
        r.ballot = hb->ballot;
        r.first = s->chosen_upto + 1;
        r.chosen_upto = s->chosen_upto;
        node_send(n, src, MSG_ACCEPTED, &r, sizeof r);
    }
}

/* ------------------------------------------------------------- clients */

static void single_request(struct node *n, const struct request *req)
{
    struct paxos_state *s = st(n);
    int is_get = strcmp(req->op, "get") == 0;
    if (!is_get && strcmp(req->op, "put") != 0) {
        answer(n, req, RESULT_FAIL, 0, "single mode: put or get");
        return;
    }
    if (s->chosen_upto >= 1) {
        const struct value *c = &s->slots[0].val;
        struct result res;
        memset(&res, 0, sizeof res);
        res.status = RESULT_OK;
        if (is_get) {
            machine_query(&s->m, req, &res);
        } else if (!(c->type == V_CMD && c->cmd.client == req->client && c->cmd.seq == req->seq)) {
            res.status = RESULT_FAIL;
            snprintf(res.error, sizeof res.error, "another value was chosen");
        }
        reply_client(n, req, &res, 1);
        return;
    }
    if (is_get) {
        answer(n, req, RESULT_FAIL, 0, "nothing chosen yet");
        return;
    }
    if (s->nwaiters == MAX_WAITERS) {
        answer(n, req, RESULT_FAIL, 0, "busy");
        return;
    }
    rsm_copy_request(&s->waiters[s->nwaiters++], req);
    if (!s->has_own) {
        /* The first put this node gets is its proposal. */
        s->has_own = 1;
        make_cmd(&s->own, req);
        if (s->role != PROPOSER)
            start_phase1(n);
    }
}

static void propose_request(struct node *n, const struct request *req);

static void paxos_on_request(struct node *n, const struct request *req)
{
    struct paxos_state *s = st(n);
    struct pobs *o = paxos_observe(n, PO_REQUEST);
    make_cmd(&o->v, req);
    if (single_mode(n)) {
        single_request(n, req);
        return;
    }
    if (machine_kind(&s->m, req->op) == MACHINE_OP_UNKNOWN) {
        answer(n, req, RESULT_FAIL, 0, "unknown op");
        return;
    }
    /* PMMC: replicas send commands to the leader; a follower names the one it
     * knows, as Raft's do. Reads go through the log too: linearizable. */
    if (s->role != LEADER) {
        answer(n, req, RESULT_REDIRECT, s->role == FOLLOWER ? s->leader : 0, "not leader");
        return;
    }
    propose_request(n, req);
}

/* §3: the leader proposes the command in the next free slot, phase 2
 * only: phase 1 for it was done when it took over. */
static void propose_request(struct node *n, const struct request *req)
{
    struct paxos_state *s = st(n);
    uint64_t i = s->next_slot++;
    struct slot *sl = slot_at(s, i);
    sl->chosen = 0;
    make_cmd(&sl->val, req);
    sl->mine = s->ballot;
    propose(n, i);
    persist_sync(n);
    for (int p = 1; p <= s->nn; p++)
        if (p != node_id(n) && node_is_member(n, p))
            send_accepts(n, p, i, i);
    if (majority(s) == 1)
        mark_chosen(n, i, s->ballot);
    advance_chosen(n);
}

/* ----------------------------------------------------------- lifecycle */

static void paxos_state_free(struct node *n)
{
    struct paxos_state *s = st(n);
    free(s->slots);
    free(s->peer_chosen);
    free(s->buf);
    machine_free(&s->m);
}

static void paxos_start(struct node *n)
{
    struct paxos_state *s = st(n);
    s->nn = node_count(n);
    s->peer_chosen = rsm_xcalloc((size_t)s->nn + 1, sizeof *s->peer_chosen);
    machine_init(&s->m, machine_by_index(prm(n)->machine));
    /* Lamport §2.2: an acceptor remembers its promise and what it accepted
     * across a restart; the rest (roles, proposals, counts) starts afresh. */
    restore(n);
    s->role = single_mode(n) ? ACCEPTOR : FOLLOWER;
    note_role(n);
    advance_chosen(n);           /* re-apply the chosen prefix on disk */
    if (!single_mode(n))
        arm_election(n);
}

/* ------------------------------------------------------------ dispatch */

static void paxos_on_message(struct node *n, const struct message *m)
{
    const unsigned char *pl = m->payload;
    switch (m->type) {
    case MSG_PREPARE: {
        struct m_prepare pr;
        if (m->len != sizeof pr)
            return;
        memcpy(&pr, pl, sizeof pr);
        handle_prepare(n, m->src, &pr);
        break;
    }
    case MSG_PROMISE: {
        struct m_promise pm;
        if (m->len < sizeof pm)
            return;
        memcpy(&pm, pl, sizeof pm);
        if (m->len != sizeof pm + (size_t)pm.n * sizeof(struct pslot))
            return;
        handle_promise(n, m->src, &pm, pl + sizeof pm);
        break;
    }
    case MSG_ACCEPT: {
        struct m_accept ac;
        if (m->len < sizeof ac)
            return;
        memcpy(&ac, pl, sizeof ac);
        if (m->len != sizeof ac + (size_t)ac.n * sizeof(struct value) || ac.first == 0)
            return;
        handle_accept(n, m->src, &ac, pl + sizeof ac);
        break;
    }
    case MSG_ACCEPTED: {
        struct m_accepted ac;
        if (m->len < sizeof ac)
            return;
        memcpy(&ac, pl, sizeof ac);
        if (m->len != sizeof ac + (ac.has_value ? sizeof(struct value) : 0))
            return;
        handle_accepted(n, m->src, &ac, pl + sizeof ac);
        break;
    }
    case MSG_NACK: {
        struct m_nack nk;
        if (m->len != sizeof nk)
            return;
        memcpy(&nk, pl, sizeof nk);
        handle_nack(n, &nk);
        break;
    }
    case MSG_HEARTBEAT: {
        struct m_heartbeat hb;
        if (m->len != sizeof hb || single_mode(n))
            return;
        memcpy(&hb, pl, sizeof hb);
        handle_heartbeat(n, m->src, &hb);
        break;
    }
    default:
        break;
    }
}

/* The leader's heartbeat (PML §3; PMMC's leader liveness): to each peer the
 * commit point, and what it still lacks: chosen values it is behind on, or
 * this leader's proposals it has not acknowledged (lost messages). */
static void leader_tick(struct node *n)
{
    struct paxos_state *s = st(n);
    uint64_t batch = (uint64_t)prm(n)->max_batch;
    for (int p = 1; p <= s->nn; p++) {
        if (p == node_id(n) || !node_is_member(n, p))
            continue;
        if (s->peer_chosen[p] < s->chosen_upto) {
            send_catchup(n, p);
            continue;
        }
        uint64_t first = 0, last = 0;
        for (uint64_t i = s->chosen_upto + 1; i < s->next_slot && (!first || i < first + batch); i++) {
            const struct slot *sl = &s->slots[i - 1];
            if (!sl->chosen && sl->prop_ballot == s->ballot && !(sl->acks & bit(p))) {
                if (!first)
                    first = i;
                last = i;
            }
        }
        if (first) {
            send_accepts(n, p, first, last);
        } else {
            struct m_heartbeat hb = { s->ballot, s->chosen_upto };
            node_send(n, p, MSG_HEARTBEAT, &hb, sizeof hb);
        }
    }
}

/* Single mode: a proposer re-sends what its phase still waits for. */
static void proposer_tick(struct node *n)
{
    struct paxos_state *s = st(n);
    if (!s->accept_sent) {
        struct m_prepare pr = { s->ballot, 1 };
        for (int i = 1; i <= s->nn; i++)
            if (i != node_id(n) && node_is_member(n, i) && !(s->promises & bit(i)))
                node_send(n, i, MSG_PREPARE, &pr, sizeof pr);
    } else {
        struct slot *sl = slot_at(s, 1);
        size_t len = sizeof(struct m_accept) + sizeof(struct value);
        unsigned char *buf = scratch(s, len);
        struct m_accept ac;
        memset(&ac, 0, sizeof ac);
        ac.ballot = s->ballot;
        ac.first = 1;
        ac.n = 1;
        memcpy(buf, &ac, sizeof ac);
        memcpy(buf + sizeof ac, &sl->val, sizeof sl->val);
        send_to_all(n, MSG_ACCEPT, buf, len);
    }
}

static void paxos_on_timer(struct node *n, int id)
{
    struct paxos_state *s = st(n);
    switch (id) {
    case T_ELECTION:
        if (single_mode(n)) {
            /* A proposal that did not get through in time, or a back-off
             * that ran out: try again with a higher ballot. */
            if (s->chosen_upto == 0 && s->has_own)
                start_phase1(n);
            return;
        }
        /* PMMC / PML §3: no word from a leader for an election timeout: try
         * to become one. */
        if (s->role != LEADER)
            start_phase1(n);
        break;
    case T_HEARTBEAT:
        if (s->role == LEADER) {
            /* the machine's own commands, on the leader's clock (a lock's expiry) */
            struct request cmds[4];
            int k = single_mode(n) ? 0 : machine_propose(&s->m, node_now(n), cmds, 4);
            for (int c = 0; c < k; c++) {
                make_cmd(&paxos_observe(n, PO_REQUEST)->v, &cmds[c]);   /* proposed: Validity */
                propose_request(n, &cmds[c]);
            }
            leader_tick(n);
            node_timer(n, T_HEARTBEAT, prm(n)->heartbeat);
        } else if (s->role == PROPOSER && s->chosen_upto == 0) {
            proposer_tick(n);
            node_timer(n, T_HEARTBEAT, prm(n)->heartbeat);
        }
        break;
    default:
        break;
    }
}

/* ------------------------------------------------------- inspection */

static void paxos_inspect(const struct node *n, struct inspector *in)
{
    const struct paxos_state *s = node_state_const(n);
    char b[32];
    inspect_str(in, "role", role_names[s->role]);
    ballot_str(s->ballot, b);
    inspect_str(in, "ballot", b);
    inspect_int(in, "round", (int64_t)BALLOT_ROUND(s->ballot));
    ballot_str(s->promised, b);
    inspect_str(in, "promised", b);
    inspect_int(in, "promised_round", (int64_t)BALLOT_ROUND(s->promised));
    inspect_int(in, "leader", s->role == LEADER ? node_id(n) : s->leader);
    inspect_int(in, "chosen_upto", (int64_t)s->chosen_upto);
    inspect_int(in, "applied", (int64_t)s->applied);
    inspect_int(in, "slots", (int64_t)s->top);
    machine_inspect(&s->m, in);
    if (((const struct paxos_params *)node_params(n))->mode == MODE_SINGLE) {
        /* The decree: "client:seq key=value" once learned, "" before. */
        char v[160] = "";
        if (s->chosen_upto >= 1 && s->slots[0].val.type == V_CMD)
            snprintf(v, sizeof v, "%s=%s", s->slots[0].val.cmd.key, s->slots[0].val.cmd.value);
        inspect_str(in, "value", v);
    }
}

static void paxos_describe(int type, const void *payload, size_t len, struct record *args)
{
    char b[32];
    switch (type) {
    case MSG_PREPARE: {
        struct m_prepare pr;
        if (len != sizeof pr)
            return;
        memcpy(&pr, payload, sizeof pr);
        ballot_str(pr.ballot, b);
        record_str(args, "ballot", b);
        record_int(args, "from_slot", (int64_t)pr.from);
        break;
    }
    case MSG_PROMISE: {
        struct m_promise pm;
        if (len < sizeof pm)
            return;
        memcpy(&pm, payload, sizeof pm);
        ballot_str(pm.ballot, b);
        record_str(args, "ballot", b);
        record_int(args, "from_slot", (int64_t)pm.from);
        record_int(args, "accepted", pm.n);
        record_int(args, "chosen_upto", (int64_t)pm.chosen_upto);
        break;
    }
    case MSG_ACCEPT: {
        struct m_accept ac;
        if (len < sizeof ac)
            return;
        memcpy(&ac, payload, sizeof ac);
        ballot_str(ac.ballot, b);
        record_str(args, "ballot", b);
        record_int(args, "slot", (int64_t)ac.first);
        record_int(args, "slots", ac.n);
        record_int(args, "commit", (int64_t)ac.commit);
        break;
    }
    case MSG_ACCEPTED: {
        struct m_accepted ac;
        if (len < sizeof ac)
            return;
        memcpy(&ac, payload, sizeof ac);
        ballot_str(ac.ballot, b);
        record_str(args, "ballot", b);
        record_int(args, "slot", (int64_t)ac.first);
        record_int(args, "slots", ac.n);
        record_int(args, "chosen_upto", (int64_t)ac.chosen_upto);
        break;
    }
    case MSG_NACK: {
        struct m_nack nk;
        if (len != sizeof nk)
            return;
        memcpy(&nk, payload, sizeof nk);
        ballot_str(nk.ballot, b);
        record_str(args, "ballot", b);
        ballot_str(nk.promised, b);
        record_str(args, "promised", b);
        break;
    }
    case MSG_HEARTBEAT: {
        struct m_heartbeat hb;
        if (len != sizeof hb)
            return;
        memcpy(&hb, payload, sizeof hb);
        ballot_str(hb.ballot, b);
        record_str(args, "ballot", b);
        record_int(args, "commit", (int64_t)hb.commit);
        break;
    }
    default:
        break;
    }
}

/* c:leader(): the up node that believes it leads, with the highest ballot. */
static int paxos_leader(const struct cluster *c)
{
    int best = 0;
    uint64_t best_ballot = 0;
    for (int i = 1; i <= cluster_size(c); i++) {
        const struct paxos_state *s = cluster_node_state(c, i);
        if (!s || !cluster_node_up(c, i) || s->role != LEADER)
            continue;
        if (!best || s->ballot > best_ballot) {
            best = i;
            best_ballot = s->ballot;
        }
    }
    return best;
}

const struct algorithm paxos_algorithm = {
    .name = "paxos",
    .summary = "Paxos (Made Simple / Moderately Complex / Live): single decree and Multi-Paxos, KV state machine",
    .state_size = sizeof(struct paxos_state),
    .params_size = sizeof(struct paxos_params),
    .ghost_size = sizeof(struct paxos_ghost),
    .configure = paxos_configure,
    .start = paxos_start,
    .on_message = paxos_on_message,
    .on_timer = paxos_on_timer,
    .on_request = paxos_on_request,
    .check = paxos_check,
    .inspect = paxos_inspect,
    .describe = paxos_describe,
    .msg_names = paxos_msg_names,
    .msg_count = MSG_COUNT,
    .bugs = paxos_bugs,
    .supports_membership = 0,
    .leader = paxos_leader,
    .ghost_init = paxos_ghost_init,
    .ghost_free = paxos_ghost_free,
    .state_free = paxos_state_free,
    .metrics = paxos_metrics,
};
