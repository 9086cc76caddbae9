/* Raft's omniscient checker: node code appends observations (a leader
 * elected, an entry written, an index committed or applied, a client
 * answered) to the ghost through raft_observe, and raft_check verifies each
 * against what it has seen before, so the work per event is proportional to
 * what the event changed. The invariants are listed at the top of raft.c. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "algorithms/raft_int.h"

/* ============================================================ checker */

void raft_ghost_init(void *ghost, const void *params, int nodes)
{
    (void)params;
    struct raft_ghost *g = ghost;
    g->nodes = nodes;
    g->held = rsm_xcalloc((size_t)nodes + 1, sizeof *g->held);
    g->capcfg = (size_t)nodes + 1;
    g->cfg = rsm_xcalloc(g->capcfg, 1);
    for (int i = 1; i <= nodes; i++)
        g->cfg[i] = 1;
    const struct machine_ops *ops = machine_by_index(((const struct raft_params *)params)->machine);
    machine_init(&g->ref, ops);
    g->own_model = strcmp(ops->name, "kv") == 0;
    kv_table_init(&g->keys);
}

void raft_ghost_free(void *ghost)
{
    struct raft_ghost *g = ghost;
    free(g->q);
    free(g->held);
    free(g->cfg);
    free(g->terms);
    free(g->idx);
    free(g->lm);
    machine_free(&g->ref);
    machine_watch_free(&g->watch);
    free(g->seen);
    free(g->sent);
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

/* "1,2,4" */
static void set_str(const unsigned char *set, int n, char *out, size_t cap)
{
    size_t len = 0;
    out[0] = 0;
    for (int i = 1; i <= n && len + 12 < cap; i++)
        if (set[i])
            len += (size_t)snprintf(out + len, cap - len, "%s%d", len ? "," : "", i);
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

/* The checker's digest of a result: what a client sees (status, found,
 * value), by the checker's own function. */
static uint64_t res_digest(const struct result *r)
{
    uint64_t h = KV_FNV_INIT;
    int st = r->status == RESULT_OK ? 1 : r->status == RESULT_FAIL ? 2 : 3;
    h = kv_fnv(h, &st, sizeof st);
    h = kv_fnv(h, &r->found, sizeof r->found);
    return kv_fnv(h, r->value, strnlen(r->value, REQ_STR));
}

/* The model's session table: the slot of (client, seq), used or free. */
static struct seen *seen_slot(struct raft_ghost *g, int client, uint64_t seq)
{
    if ((g->nseen + 1) * 2 > g->capseen) {
        size_t cap = g->capseen ? g->capseen * 2 : 1024;
        struct seen *t = rsm_xcalloc(cap, sizeof *t);
        for (size_t i = 0; i < g->capseen; i++) {
            if (!g->seen[i].used)
                continue;
            size_t j = (size_t)mix(g->seen[i].seq, (uint64_t)g->seen[i].client) & (cap - 1);
            while (t[j].used)
                j = (j + 1) & (cap - 1);
            t[j] = g->seen[i];
        }
        free(g->seen);
        g->seen = t;
        g->capseen = cap;
    }
    size_t j = (size_t)mix(seq, (uint64_t)client) & (g->capseen - 1);
    while (g->seen[j].used && (g->seen[j].client != client || g->seen[j].seq != seq))
        j = (j + 1) & (g->capseen - 1);
    return &g->seen[j];
}

/* The model: put sets, get reads, cas sets when the key holds `expect` (a
 * missing key never matches); a (client, seq) seen before changes nothing
 * and answers as the first time (thesis §6.3). Returns 1 when it wrote
 * cmd->value to cmd->key. */
static int model_apply(struct raft_ghost *g, const struct request *cmd, uint64_t *digest)
{
    struct seen *sn = cmd->client > 0 ? seen_slot(g, cmd->client, cmd->seq) : NULL;
    if (sn && sn->used) {
        g->model_duplicates++;
        *digest = sn->digest;
        return 0;
    }
    struct result res;
    memset(&res, 0, sizeof res);
    res.status = RESULT_OK;
    char cur[REQ_STR];
    uint64_t at;
    int found = ref_value_at(g, cmd->key, UINT64_MAX, cur, &at);
    int wrote = 0;
    if (strcmp(cmd->op, "get") == 0) {
        res.found = found;
        if (found)
            memcpy(res.value, cur, REQ_STR);
    } else if (strcmp(cmd->op, "put") == 0) {
        wrote = 1;
    } else if (strcmp(cmd->op, "cas") == 0) {
        wrote = found && strncmp(cur, cmd->expect, REQ_STR) == 0;
        if (!wrote)
            res.status = RESULT_FAIL;
    } else {
        res.status = RESULT_FAIL;
    }
    *digest = res_digest(&res);
    if (sn) {
        sn->used = 1;
        sn->client = cmd->client;
        sn->seq = cmd->seq;
        sn->digest = *digest;
        g->nseen++;
    }
    return wrote;
}

/* Apply the committed entry at index to the reference; 1 and *v filled
 * when the machine's answer there is one its model forbids. */
static int ref_apply(const struct cluster *c, struct raft_ghost *g, uint64_t index, const struct entry *e,
                     struct gindex *gi, struct violation *v)
{
    struct result res;
    memset(&res, 0, sizeof res);
    uint64_t digest = res_digest(&res);
    int wrote = 0;
    if (e->type == ENTRY_CMD && g->own_model) {
        wrote = model_apply(g, &e->cmd, &digest);
    } else if (e->type == ENTRY_CMD) {
        /* the reference runs the nodes' machine code; client_reply and
         * state_machine_safety tie every node's answer to it, and the watch
         * judges it against the checker's own model */
        int bad = machine_ref_apply(c, &g->ref, &g->watch, index, &e->cmd, &res, &wrote, v);
        digest = res_digest(&res);
        gi->result = digest;
        if (bad)
            return 1;
    }
    if (wrote && g->own_model) {   /* the per-key versions serve the kv read checks only */
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
    gi->result = digest;
    return 0;
}

/* Leader Completeness for one leader: its log holds the committed entry at
 * `index` (the chain hash covers every entry before it too). */
static int lacks(const struct raft_ghost *g, const struct raft_state *s, uint64_t index, uint64_t chain)
{
    if (s->len < index)
        return 1;
    if (index >= s->base)
        return chain_at(s, index) != chain;
    /* Compacted (thesis ch. 5): the snapshot holds the entry if its last
     * entry is the committed one there, whose chain covers all before it. */
    const struct gindex *gi = s->base < g->capidx ? &g->idx[s->base] : NULL;
    return gi && gi->chain && gi->chain != s->snap_chain;
}

/* The node's chain hash and term at index, or 0 when compacted away. */
static uint64_t view_chain(const struct raft_state *s, uint64_t i)
{
    return i < s->base || i > s->len ? 0 : chain_at(s, i);
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
        CHECK_EVALUATED(c, "election_safety");
        struct gterm *t = gterm(g, o->term);
        if (t->leader && t->leader != o->node)
            return rsm_fail(v, "election_safety", "nodes %d and %d both lead term %" PRIu64,
                        t->leader, o->node, o->term);
        t->leader = o->node;
        /* Leader Completeness (Figure 3, §5.4.3): a leader's log holds every
         * entry committed in an earlier term. The highest such index suffices:
         * its chain hash covers all before it. */
        CHECK_EVALUATED(c, "leader_completeness");
        const struct raft_state *s = node_view(c, o->node);
        uint64_t hw = g->commit_hw;
        while (hw > 0 && g->idx[hw].commit_term >= o->term)
            hw--;
        if (s && hw > 0 && lacks(g, s, hw, g->idx[hw].chain)) {
            uint64_t i = 1;      /* report the first committed entry it lacks */
            while (i < hw && !lacks(g, s, i, g->idx[i].chain))
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
        CHECK_EVALUATED(c, "log_matching");
        struct lm_slot *sl = lm_find(g, o->index, o->term);
        if (!sl->used) {
            sl->used = 1;
            sl->index = o->index;
            sl->term = o->term;
            sl->chain = o->chain;
            sl->node = o->node;
            g->nlm++;
        }
        if (!sl->prev && sl->chain == o->chain) {
            /* What the entry was appended to, for snapshot_suffix: known
             * when the writer's log still holds it and the one before. */
            const struct raft_state *s = node_view(c, o->node);
            if (s && o->index > s->base && view_chain(s, o->index) == o->chain)
                sl->prev = view_chain(s, o->index - 1);
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
        CHECK_EVALUATED(c, "leader_append_only");
        CHECK_EVALUATED(c, "committed_entry_deleted");
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
            if (s && g->idx[h].chain && lacks(g, s, h, g->idx[h].chain)) {
                uint64_t i = o->index + 1;      /* the first committed entry it lacks */
                while (i < h && !lacks(g, s, i, g->idx[i].chain))
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
            if (s && view_chain(s, o->index) != o->chain)
                s = NULL;
            for (uint64_t i = g->commit_hw + 1; i <= o->index; i++) {
                struct gindex *gi = gindex(g, i);
                uint64_t ch = s ? view_chain(s, i) : 0;   /* 0: compacted before this check */
                gi->chain = i == o->index ? o->chain : ch;
                gi->term = i == o->index ? o->term : ch ? term_at(s, i) : 0;
                gi->commit_term = o->aux;
                gi->committed_by = o->node;
            }
            g->commit_hw = o->index;
            CHECK_EVALUATED(c, "leader_completeness");
            /* Leader Completeness for leaders elected before this commit, in a
             * later term (a stale leader may still commit what it replicated). */
            for (int id = 1; id <= cluster_size(c); id++) {
                const struct raft_state *l = node_view(c, id);
                if (l && l->role == LEADER && l->term > o->aux && lacks(g, l, o->index, o->chain))
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
        CHECK_EVALUATED(c, "state_machine_safety");
        struct gindex *gi = gindex(g, o->index);
        if (gi->applied_by) {
            if (gi->applied_chain != o->chain)
                return rsm_fail(v, "state_machine_safety",
                            "node %d applied entry %" PRIu64 " (term %" PRIu64 ") but node %d applied a different entry at that index",
                            o->node, o->index, o->term, gi->applied_by);
            /* The same command on the same state gives the same result; a
             * different one means the states differ (a command applied
             * twice: sessions lost in a snapshot, thesis §6.3 and ch. 5). */
            if (gi->node_result != o->digest)
                return rsm_fail(v, "state_machine_safety",
                            "node %d applied entry %" PRIu64 " (client %d op %" PRIu64 ", %s %s) with a different result than node %d: their states differ",
                            o->node, o->index, o->e.cmd.client, o->e.cmd.seq, o->e.cmd.op, o->e.cmd.key, gi->applied_by);
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
        gi->node_result = o->digest;
        g->applied_hw = o->index;
        if (ref_apply(c, g, o->index, &o->e, gi, v))
            return 1;
        if (o->e.type == ENTRY_CONFIG && o->e.cmd.num >= 1) {
            void *a = g->cfg;
            grow_zeroed(&a, &g->capcfg, (uint64_t)o->e.cmd.num, 1, 16);
            g->cfg = a;
            g->cfg[o->e.cmd.num] = strcmp(o->e.cmd.op, "add_node") == 0;
            g->cfg_term = o->term;
        }
        return 0;
    }

    case OB_SNAPSHOT: {
        /* Thesis ch. 5: a snapshot replaces committed entries only, ending
         * in the committed entry at its index; every snapshot at one index
         * holds the same state (the machine is deterministic). */
        CHECK_EVALUATED(c, "state_machine_safety");
        struct gindex *gi = gindex(g, o->index);
        if (o->index > g->commit_hw || (gi->chain && gi->chain != o->chain))
            return rsm_fail(v, "state_machine_safety",
                        "node %d %s a snapshot up to index %" PRIu64 " (term %" PRIu64 ") that is not the committed log there",
                        o->node, o->flag ? "installed" : "took", o->index, o->term);
        /* Figure 5.3, receiver 6: a follower keeps the entries after an
         * installed snapshot only if its log held the snapshot's last entry;
         * then the first one kept was appended to that very entry (Log
         * Matching, §5.3). One appended to something else is another
         * history's suffix sitting behind a matching prevLogIndex: a
         * heartbeat at the snapshot's index passes the consistency check,
         * and the commit index it carries would commit that suffix. */
        const struct raft_state *s = o->flag ? node_view(c, o->node) : NULL;
        if (s && s->base == o->index && s->snap_chain == o->chain) {
            CHECK_EVALUATED(c, "snapshot_suffix");   /* also when nothing was kept: then it holds */
            const struct lm_slot *sl = s->len > s->base ? lm_find(g, o->index + 1, term_at(s, o->index + 1)) : NULL;
            if (sl && sl->used && sl->chain == chain_at(s, o->index + 1) && sl->prev && sl->prev != o->chain)
                return rsm_fail(v, "snapshot_suffix",
                            "node %d installed a snapshot up to index %" PRIu64 " (term %" PRIu64
                            ") and kept entry %" PRIu64 " (term %" PRIu64 "), which follows a different entry %"
                            PRIu64 " than the snapshot's", o->node, o->index, o->term, o->index + 1,
                            term_at(s, o->index + 1), o->index);
        }
        if (!gi->snap_by) {
            gi->snap_by = o->node;
            gi->snap_digest = o->digest;
        } else if (gi->snap_digest != o->digest) {
            return rsm_fail(v, "state_machine_safety",
                        "node %d %s a snapshot at index %" PRIu64 " whose state differs from node %d's there",
                        o->node, o->flag ? "installed" : "took", o->index, gi->snap_by);
        }
        return 0;
    }

    case OB_CONFIG: {
        /* Thesis ch. 4: a configuration a leader switches to must share a
         * server with every majority of the committed one: no two disjoint
         * majorities may decide at once. (A deposed leader's changes, from
         * a term before the committed configuration's, cannot commit.) */
        const struct raft_state *s = node_view(c, o->node);
        if (!s || o->term < g->cfg_term)
            return 0;
        CHECK_EVALUATED(c, "config_overlap");
        int a = 0, b = 0, both = 0;
        for (int i = 1; i <= s->nn || (size_t)i < g->capcfg; i++) {
            int in_a = (size_t)i < g->capcfg && g->cfg[i], in_b = i <= s->nn && s->voter[i];
            a += in_a;
            b += in_b;
            both += in_a && in_b;
        }
        int need_a = a / 2 + 1 - (a - both), need_b = b / 2 + 1 - (b - both);
        if ((need_a < 0 ? 0 : need_a) + (need_b < 0 ? 0 : need_b) <= both) {
            char ca[200], cb[200];
            set_str(g->cfg, (int)g->capcfg - 1, ca, sizeof ca);
            set_str(s->voter, s->nn, cb, sizeof cb);
            return rsm_fail(v, "config_overlap",
                        "node %d, leader of term %" PRIu64 ", switched at index %" PRIu64 " to configuration {%s}, "
                        "which has a majority disjoint from one of the committed configuration {%s}",
                        o->node, o->term, o->index, cb, ca);
        }
        return 0;
    }

    case OB_HEARD:
        return rsm_fail(v, "term_adopted", "node %d handled %s (of term %" PRIu64 ")"
                        " but is still in term %" PRIu64 " (Figure 2: a newer term is adopted at once)",
                        o->node, raft_msg_names[o->flag], o->term, o->aux);

    case OB_RESTART: {
        /* Durable state never goes backwards (Figure 2: currentTerm and
         * votedFor are "updated on stable storage before responding to
         * RPCs"): a server comes back with at least every term it had sent,
         * and in the term of the last vote it gave, with that vote. The
         * checker knows the vote from the messages it sent, not from the
         * store: o->aux is the highest term sent, o->index the term of the
         * last vote given and o->chain its candidate, o->flag the vote the
         * server restarted with. */
        CHECK_EVALUATED(c, "durable_state");
        uint64_t sent = o->aux;
        if (o->term < sent)
            return rsm_fail(v, "durable_state",
                        "node %d restarted with term %" PRIu64 ", but before it crashed it had sent term %" PRIu64
                        ": a term it acted on was not on disk", o->node, o->term, sent);
        if (o->index && o->term == o->index && (uint64_t)o->flag != o->chain)
            return rsm_fail(v, "durable_state",
                        "node %d restarted in term %" PRIu64 " with voted_for %d, but before it crashed it had "
                        "given its vote in term %" PRIu64 " to node %" PRIu64 ": a vote it gave was not on disk",
                        o->node, o->term, o->flag, o->index, o->chain);
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
        if (!g->own_model && machine_watch_reply(c, &g->watch, g->ref.ops, o->node, &o->req, &o->res, v))
            return 1;
        /* No client reply contradicts the applied state. */
        if (o->index) {
            CHECK_EVALUATED(c, "client_reply");
            struct gindex *gi = gindex(g, o->index);
            if (gi->applied_by && gi->result != res_digest(&o->res))
                return rsm_fail(v, "client_reply",
                            "node %d answered client %d op %" PRIu64 " (%s %s) at index %" PRIu64
                            " with a result the committed state does not give",
                            o->node, o->req.client, o->req.seq, o->req.op, o->req.key, o->index);
            return 0;
        }
        if (!g->own_model)
            return 0;            /* the read checks below follow kv's versions */
        /* A read served outside the log: it must show the state at the index
         * the node had applied, and (thesis §6.4) that state must include every
         * write committed before the read reached the node. */
        CHECK_EVALUATED(c, "client_reply");
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
            CHECK_EVALUATED(c, "stale_read");
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

void raft_heard(struct node *n, int type, const void *payload, size_t len)
{
    /* Figure 2, rules for all servers: "If RPC request or response contains
     * term T > currentTerm: set currentTerm = T, convert to follower". Every
     * message starts with its sender's term. A RequestVote may be refused
     * without adopting its term within a leader's lease (thesis §4.2.3), and
     * a PreVote only asks (§9.6), as does a granted answer to one. */
    struct raft_ghost *g = node_ghost(n);
    uint64_t term;
    if (type == MSG_REQUEST_VOTE || type == MSG_PRE_VOTE || len < sizeof term)
        return;
    if (type == MSG_PRE_VOTE_REPLY) {
        struct vote_reply r;
        if (len != sizeof r)
            return;
        memcpy(&r, payload, sizeof r);
        if (r.granted)
            return;
    }
    memcpy(&term, payload, sizeof term);
    g->heard++;
    if (term > st(n)->term) {
        struct obs *o = raft_observe(n, OB_HEARD);
        o->term = term;
        o->aux = st(n)->term;
        o->flag = type;
    }
}

int raft_check(const struct cluster *c, struct violation *v)
{
    struct raft_ghost *g = cluster_ghost(c);
    int bad = 0;
    if (g->heard) {     /* one evaluation per message heard, as the others count theirs */
        CHECK_EVALUATED_N(c, "term_adopted", g->heard);
        g->heard = 0;
    }
    for (size_t i = 0; i < g->nq && !bad; i++)
        bad = check_one(c, g, &g->q[i], v);
    g->nq = 0;
    return bad;
}

void raft_metrics(const struct cluster *c, struct inspector *in)
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
    inspect_int(in, "lease_reads", (int64_t)g->lease_reads);
    inspect_int(in, "snapshots", (int64_t)g->snapshots);
    inspect_int(in, "snapshots_installed", (int64_t)g->installs);
    inspect_int(in, "snapshot_chunks", (int64_t)g->snapshot_chunks);
    inspect_int(in, "config_changes", (int64_t)g->config_changes);
    inspect_int(in, "duplicates", (int64_t)(g->own_model ? g->model_duplicates : g->ref.duplicates));
}
