/* The Paxos checker: omniscient, after every event (or every N, with
 * --check-every). Node code only appends observations (a promise made, a
 * value accepted, a slot learned or applied, a client answered); check()
 * verifies each against what it has seen before, so the work per event is
 * proportional to what the event changed.
 *
 * "Chosen" is Lamport's definition (Paxos Made Simple §2.2): a value is
 * chosen at a slot once a majority of acceptors accepted it in one ballot.
 * The checker counts acceptances per (slot, ballot, value) itself, from the
 * acceptors' observations, so it never trusts what a learner believes.
 *
 * Invariants:
 *   agreement            §2.1 "only a single value is chosen" (per slot)
 *   validity             §2.1 "only a value that has been proposed may be
 *                        chosen": a client's command or a no-op (§3)
 *   learn_only_chosen    §2.1 "a process never learns that a value has been
 *                        chosen unless it actually has been"
 *   applied_prefix       §3: every node applies chosen commands in slot
 *                        order, so applied prefixes agree across nodes
 *   promise_monotonic    P1a: an acceptor never lowers its promise, not even
 *                        across a crash (§2.2 "remember ... even if it fails")
 *   accept_below_promise P1a: no acceptance below the promise
 *   client_reply         no answer contradicts the applied state (the
 *                        reference KV, applied in slot order)
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "algorithms/paxos_int.h"
#include "algorithms/rsm.h"

#define OBS_BATCH 1024

struct pobs *paxos_observe(struct node *n, enum pobs_kind kind)
{
    struct paxos_ghost *g = node_ghost(n);
    if (g->nq == g->capq) {
        g->capq = g->capq ? g->capq * 2 : 64;
        g->q = rsm_xrealloc(g->q, g->capq * sizeof *g->q);
    }
    struct pobs *o = &g->q[g->nq++];
    if (g->nq >= OBS_BATCH)
        node_check_soon(n);      /* --check-every N must not mean N events of observations in memory */
    memset(o, 0, sizeof *o);
    o->kind = kind;
    o->node = node_id(n);
    return o;
}

uint64_t paxos_value_digest(const struct value *v)
{
    uint64_t h = kv_fnv(KV_FNV_INIT, &v->type, sizeof v->type);
    if (v->type == V_CMD)
        h = rsm_request_digest(h, &v->cmd, 1);
    return h;
}

/* The command's content, the same for every retry of one operation. */
static uint64_t content_digest(const struct value *v)
{
    return rsm_request_digest(KV_FNV_INIT, &v->cmd, 0) | 1;   /* 0 marks an empty set cell */
}

static void describe_value(const struct value *v, char *out, size_t len)
{
    if (v->type == V_NOOP)
        snprintf(out, len, "no-op");
    else if (v->type == V_CMD)
        snprintf(out, len, "client %d op %" PRIu64 " %s(%s%s%s)", v->cmd.client, v->cmd.seq, v->cmd.op,
                 v->cmd.key, v->cmd.op[0] == 'g' ? "" : ", ", v->cmd.op[0] == 'g' ? "" : v->cmd.value);
    else
        snprintf(out, len, "nothing");
}

static void ballot_str(uint64_t b, char out[32])
{
    snprintf(out, 32, "%" PRIu64 ".%d", BALLOT_ROUND(b), BALLOT_NODE(b));
}

void paxos_ghost_init(void *ghost, const void *params, int nodes)
{
    const struct paxos_params *p = params;
    struct paxos_ghost *g = ghost;
    g->nodes = nodes;
    g->mode = p->mode;
    g->max_promise = rsm_xcalloc((size_t)nodes + 1, sizeof *g->max_promise);
    g->last_applied = rsm_xcalloc((size_t)nodes + 1, sizeof *g->last_applied);
    machine_init(&g->ref, machine_by_index(((const struct paxos_params *)params)->machine));
}

void paxos_ghost_free(void *ghost)
{
    struct paxos_ghost *g = ghost;
    free(g->q);
    free(g->slots);
    free(g->bals);
    free(g->max_promise);
    free(g->last_applied);
    free(g->proposed);
    machine_free(&g->ref);
    machine_watch_free(&g->watch);
}

static struct pgslot *gslot(struct paxos_ghost *g, uint64_t i)
{
    if (i >= g->capslots) {
        size_t n = g->capslots ? g->capslots : 1024;
        while (n <= i)
            n *= 2;
        g->slots = rsm_xrealloc(g->slots, n * sizeof *g->slots);
        memset(g->slots + g->capslots, 0, (n - g->capslots) * sizeof *g->slots);
        g->capslots = n;
    }
    return &g->slots[i];
}

/* ---- the set of proposed commands (validity) ---- */

static void proposed_add(struct paxos_ghost *g, uint64_t d)
{
    if ((g->nproposed + 1) * 2 > g->capproposed) {
        size_t cap = g->capproposed ? g->capproposed * 2 : 1024;
        uint64_t *t = rsm_xcalloc(cap, sizeof *t);
        for (size_t i = 0; i < g->capproposed; i++) {
            uint64_t x = g->proposed[i];
            if (!x)
                continue;
            size_t j = (size_t)(x * 0x9E3779B97F4A7C15ULL) & (cap - 1);
            while (t[j])
                j = (j + 1) & (cap - 1);
            t[j] = x;
        }
        free(g->proposed);
        g->proposed = t;
        g->capproposed = cap;
    }
    size_t j = (size_t)(d * 0x9E3779B97F4A7C15ULL) & (g->capproposed - 1);
    while (g->proposed[j] && g->proposed[j] != d)
        j = (j + 1) & (g->capproposed - 1);
    if (!g->proposed[j]) {
        g->proposed[j] = d;
        g->nproposed++;
    }
}

static int proposed_has(const struct paxos_ghost *g, uint64_t d)
{
    if (!g->capproposed)
        return 0;
    size_t j = (size_t)(d * 0x9E3779B97F4A7C15ULL) & (g->capproposed - 1);
    while (g->proposed[j]) {
        if (g->proposed[j] == d)
            return 1;
        j = (j + 1) & (g->capproposed - 1);
    }
    return 0;
}

/* ---- acceptances: (slot, ballot, value) -> the set of acceptors ---- */

static struct pgbal *gbal(struct paxos_ghost *g, struct pgslot *gs, uint64_t ballot, uint64_t digest)
{
    for (uint32_t k = gs->first; k; k = g->bals[k - 1].next)
        if (g->bals[k - 1].ballot == ballot && g->bals[k - 1].digest == digest)
            return &g->bals[k - 1];
    if (g->nbals == g->capbals) {
        g->capbals = g->capbals ? g->capbals * 2 : 1024;
        g->bals = rsm_xrealloc(g->bals, g->capbals * sizeof *g->bals);
    }
    struct pgbal *b = &g->bals[g->nbals++];
    memset(b, 0, sizeof *b);
    b->ballot = ballot;
    b->digest = digest;
    b->next = gs->first;
    gs->first = (uint32_t)g->nbals;
    return b;
}

static int check_accept(const struct cluster *c, struct paxos_ghost *g, const struct pobs *o, struct violation *v)
{
    char b1[32], b2[32], d1[160], d2[160];
    /* P1a: an acceptor accepts ballot b only if it promised nothing higher. */
    CHECK_EVALUATED(c, "accept_below_promise");
    uint64_t promise = g->max_promise[o->node];
    if (o->ballot < promise) {
        ballot_str(o->ballot, b1);
        ballot_str(promise, b2);
        return rsm_fail(v, "accept_below_promise", "node %d accepted ballot %s at slot %" PRIu64
                        " after promising ballot %s", o->node, b1, o->slot, b2);
    }
    struct pgslot *gs = gslot(g, o->slot);
    uint64_t d = paxos_value_digest(&o->v);
    struct pgbal *b = gbal(g, gs, o->ballot, d);
    b->mask |= 1ULL << (o->node - 1);
    if (__builtin_popcountll(b->mask) < g->nodes / 2 + 1)
        return 0;
    /* A majority accepted (ballot, value): the value is chosen (§2.2). */
    if (!gs->chosen) {
        CHECK_EVALUATED(c, "validity");
        /* Validity (§2.1): only a proposed value may be chosen. */
        if (o->v.type != V_NOOP && !(o->v.type == V_CMD && proposed_has(g, content_digest(&o->v)))) {
            describe_value(&o->v, d1, sizeof d1);
            return rsm_fail(v, "validity", "slot %" PRIu64 ": %s was chosen but no client proposed it",
                            o->slot, d1);
        }
        gs->chosen = 1;
        gs->chosen_digest = d;
        gs->chosen_ballot = o->ballot;
        gs->chosen_v = o->v;
        g->chosen_slots++;
        while (g->chosen_hw + 1 < g->capslots && g->slots[g->chosen_hw + 1].chosen)
            g->chosen_hw++;
        return 0;
    }
    CHECK_EVALUATED(c, "agreement");
    if (gs->chosen_digest != d) {
        /* Agreement (§2.1): only a single value is chosen. */
        describe_value(&gs->chosen_v, d1, sizeof d1);
        describe_value(&o->v, d2, sizeof d2);
        ballot_str(gs->chosen_ballot, b1);
        ballot_str(o->ballot, b2);
        return rsm_fail(v, "agreement", "slot %" PRIu64 ": %s was chosen in ballot %s, and %s in ballot %s"
                        " (accepted by a majority, the last by node %d)", o->slot, d1, b1, d2, b2, o->node);
    }
    return 0;
}

static int check_one(const struct cluster *c, struct paxos_ghost *g, const struct pobs *o, struct violation *v)
{
    char b1[32], b2[32], d1[160], d2[160];
    if (o->node < 1 || o->node > g->nodes)
        return 0;
    switch (o->kind) {
    case PO_REQUEST:
        if (o->v.type == V_CMD)
            proposed_add(g, content_digest(&o->v));
        return 0;

    case PO_PROMISE:
        /* P1a: a promise only ever rises. */
        CHECK_EVALUATED(c, "promise_monotonic");
        if (o->ballot < g->max_promise[o->node]) {
            ballot_str(o->ballot, b1);
            ballot_str(g->max_promise[o->node], b2);
            return rsm_fail(v, "promise_monotonic", "node %d promised ballot %s after promising %s",
                            o->node, b1, b2);
        }
        g->max_promise[o->node] = o->ballot;
        return 0;

    case PO_RECOVER:
        /* §2.2: the promise survives a restart. */
        CHECK_EVALUATED(c, "promise_monotonic");
        g->last_applied[o->node] = 0;
        if (o->ballot < g->max_promise[o->node]) {
            ballot_str(o->ballot, b1);
            ballot_str(g->max_promise[o->node], b2);
            return rsm_fail(v, "promise_monotonic", "node %d restarted with promise %s, but it had promised"
                            " ballot %s before it crashed", o->node, b1, b2);
        }
        return 0;

    case PO_ACCEPT:
        return check_accept(c, g, o, v);

    case PO_LEARN: {
        /* §2.1: a process learns only a value that has been chosen. */
        CHECK_EVALUATED(c, "learn_only_chosen");
        const struct pgslot *gs = gslot(g, o->slot);
        uint64_t d = paxos_value_digest(&o->v);
        if (!gs->chosen || gs->chosen_digest != d) {
            describe_value(&o->v, d1, sizeof d1);
            ballot_str(o->ballot, b1);
            if (!gs->chosen)
                return rsm_fail(v, "learn_only_chosen", "node %d learned %s at slot %" PRIu64 " (ballot %s)"
                                ", but no majority has accepted any value there", o->node, d1, o->slot, b1);
            describe_value(&gs->chosen_v, d2, sizeof d2);
            return rsm_fail(v, "learn_only_chosen", "node %d learned %s at slot %" PRIu64 " (ballot %s)"
                            ", but the value chosen there is %s", o->node, d1, o->slot, b1, d2);
        }
        return 0;
    }

    case PO_APPLY: {
        /* §3: slot order, and the same command at each slot on every node. */
        CHECK_EVALUATED(c, "applied_prefix");
        if (o->slot != g->last_applied[o->node] + 1)
            return rsm_fail(v, "applied_prefix", "node %d applied slot %" PRIu64 " after slot %" PRIu64,
                            o->node, o->slot, g->last_applied[o->node]);
        g->last_applied[o->node] = o->slot;
        struct pgslot *gs = gslot(g, o->slot);
        uint64_t d = paxos_value_digest(&o->v);
        if (gs->applied_by) {
            if (gs->applied_digest != d) {
                describe_value(&o->v, d1, sizeof d1);
                return rsm_fail(v, "applied_prefix", "node %d applied %s at slot %" PRIu64
                                ", but node %d applied a different command there", o->node, d1, o->slot,
                                gs->applied_by);
            }
            return 0;
        }
        /* The first node to apply a slot: it applied every slot before it, so
         * the reference state machine follows in slot order. */
        gs->applied_by = o->node;
        gs->applied_digest = d;
        g->applied_hw = o->slot;
        struct result res;
        memset(&res, 0, sizeof res);
        if (o->v.type == V_CMD) {
            if (machine_ref_apply(c, &g->ref, &g->watch, o->slot, &o->v.cmd, &res, NULL, v))
                return 1;
        }
        gs->result = kv_result_digest(&res);
        return 0;
    }

    case PO_REPLY: {
        if (o->v.type == V_CMD && machine_watch_reply(c, &g->watch, g->ref.ops, o->node, &o->v.cmd, &o->res, v))
            return 1;
        /* No client answer contradicts the applied state. */
        CHECK_EVALUATED(c, "client_reply");
        const struct pgslot *gs = gslot(g, o->slot);
        if (!gs->applied_by) {
            describe_value(&o->v, d1, sizeof d1);
            return rsm_fail(v, "client_reply", "node %d answered %s for slot %" PRIu64
                            " before any node applied that slot", o->node, d1, o->slot);
        }
        if (o->res.status == RESULT_FAIL && strcmp(o->res.error, "another value was chosen") == 0) {
            /* Single mode: a put refused because another was chosen must not be the one applied. */
            if (gs->chosen_v.type == V_CMD && gs->chosen_v.cmd.client == o->v.cmd.client &&
                gs->chosen_v.cmd.seq == o->v.cmd.seq) {
                describe_value(&o->v, d1, sizeof d1);
                return rsm_fail(v, "client_reply", "node %d told %s that another value was chosen at slot %"
                                PRIu64 ", but that command is the chosen one", o->node, d1, o->slot);
            }
            return 0;
        }
        if (gs->result != kv_result_digest(&o->res)) {
            describe_value(&o->v, d1, sizeof d1);
            return rsm_fail(v, "client_reply", "node %d answered %s at slot %" PRIu64
                            " with a result the applied state does not give", o->node, d1, o->slot);
        }
        return 0;
    }
    }
    return 0;
}

int paxos_check(const struct cluster *c, struct violation *v)
{
    struct paxos_ghost *g = cluster_ghost(c);
    int bad = 0;
    for (size_t i = 0; i < g->nq && !bad; i++)
        bad = check_one(c, g, &g->q[i], v);
    g->nq = 0;
    return bad;
}

void paxos_metrics(const struct cluster *c, struct inspector *in)
{
    struct paxos_ghost *g = cluster_ghost(c);
    inspect_int(in, "phase1", (int64_t)g->phase1);
    inspect_int(in, "leaders", (int64_t)g->leaders);
    inspect_int(in, "preemptions", (int64_t)g->preemptions);
    inspect_int(in, "max_round", (int64_t)g->max_round);
    inspect_int(in, "chosen", (int64_t)g->chosen_slots);
    inspect_int(in, "committed", (int64_t)g->chosen_hw);
    inspect_int(in, "applied", (int64_t)g->applied_hw);
    inspect_int(in, "noops", (int64_t)g->noops);
    inspect_int(in, "nacks", (int64_t)g->nacks);
    inspect_int(in, "redirects", (int64_t)g->redirects);
    inspect_int(in, "duplicates", (int64_t)g->ref.duplicates);
}
