/* Raft membership changes, one server at a time (Ongaro's thesis, ch. 4).
 *
 *   §4.1   a configuration is a log entry (ENTRY_CONFIG: add or remove one
 *          server) and takes effect on every server as soon as it is in its
 *          log, committed or not; truncating it reverts it. Quorums (votes,
 *          commitment, ReadIndex, leases, CheckQuorum) count voters of the
 *          latest configuration only.
 *   §4.2   one change at a time: a leader appends a configuration only
 *          once the previous one is committed; and (thesis errata, after
 *          Ongaro, raft-dev 2015, "bug in single-server membership
 *          changes") only once it has committed an entry of its own term,
 *          its no-op. Bug raft.concurrent_config_changes drops both rules.
 *   §4.2.1 a new server first catches up as a non-voting learner: the leader
 *          replicates to it and adds it only when it holds what is committed.
 *   §4.2.2 a leader that removes itself keeps leading, without counting
 *          itself, until the change is committed; then it steps down. A
 *          removed server leaves once it sees its removal committed.
 *   §4.2.3 servers that were removed without hearing of it may disrupt the
 *          cluster with elections; PreVote and CheckQuorum (the option's
 *          vote-ignoring rule) keep them out.
 *
 * c:add_node() / c:remove_node(i) reach every up member (on_membership);
 * each remembers the change as pending, and whoever leads proposes it:
 * the first one that is ready (a new server must have caught up first). */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "algorithms/raft_int.h"

static void apply_delta(unsigned char *voter, int nn, const struct entry *e)
{
    int id = (int)e->cmd.num;
    if (id >= 1 && id <= nn)
        voter[id] = strcmp(e->cmd.op, "add_node") == 0;
}

static int count_voters(const unsigned char *voter, int nn)
{
    int k = 0;
    for (int i = 1; i <= nn; i++)
        k += voter[i];
    return k;
}

void raft_config_at(const struct raft_state *s, uint64_t index, unsigned char *out)
{
    memcpy(out, s->base_voter, (size_t)s->nn + 1);
    for (uint64_t i = s->base + 1; i <= index && i <= s->len; i++) {
        const struct entry *e = entry_at(s, i);
        if (e->type == ENTRY_CONFIG)
            apply_delta(out, s->nn, e);
    }
}

void raft_config_start(struct node *n)
{
    struct raft_state *s = st(n);
    size_t slots = (size_t)s->nn + 1;
    s->voter = rsm_xcalloc(slots, 1);
    s->base_voter = rsm_xcalloc(slots, 1);
    for (int i = 1; i <= prm(n)->initial_nodes && i <= s->nn; i++)
        s->base_voter[i] = 1;
    memcpy(s->voter, s->base_voter, slots);
    s->nvoters = count_voters(s->voter, s->nn);
}

void raft_config_recompute(struct node *n)
{
    struct raft_state *s = st(n);
    raft_config_at(s, s->len, s->voter);
    s->nvoters = count_voters(s->voter, s->nn);
    s->cfg_index = 0;
    s->removed_at = 0;
    for (uint64_t i = s->base + 1; i <= s->len; i++) {
        const struct entry *e = entry_at(s, i);
        if (e->type != ENTRY_CONFIG)
            continue;
        s->cfg_index = i;
        if ((int)e->cmd.num == node_id(n))
            s->removed_at = strcmp(e->cmd.op, "remove_node") == 0 ? i : 0;
    }
}

static void drop_pending(struct raft_state *s, int add, int id)
{
    int kept = 0;
    for (int k = 0; k < s->npending; k++)
        if (s->pending[k].add != add || s->pending[k].id != id)
            s->pending[kept++] = s->pending[k];
    s->npending = kept;
}

/* §4.1: "a server always uses the latest configuration in its log". */
void raft_config_appended(struct node *n, uint64_t index, const struct entry *e)
{
    struct raft_state *s = st(n);
    if (e->cmd.num > s->nn)
        raft_config_resize(n);   /* a server added while this one was down */
    apply_delta(s->voter, s->nn, e);
    s->nvoters = count_voters(s->voter, s->nn);
    s->cfg_index = index;
    int add = strcmp(e->cmd.op, "add_node") == 0, id = (int)e->cmd.num;
    if (id == node_id(n))
        s->removed_at = add ? 0 : index;
    drop_pending(s, add, id);
    if (s->role == LEADER) {
        ((struct raft_ghost *)node_ghost(n))->config_changes++;
        struct obs *o = raft_observe(n, OB_CONFIG);
        o->index = index;
        o->term = s->term;
    }
}

void raft_config_resize(struct node *n)
{
    struct raft_state *s = st(n);
    int nn = node_count(n);
    if (nn <= s->nn)
        return;
    size_t old = (size_t)s->nn + 1, slots = (size_t)nn + 1;
    unsigned char **bytes[] = { &s->votes, &s->inflight, &s->heard, &s->voter, &s->base_voter };
    for (size_t k = 0; k < sizeof bytes / sizeof *bytes; k++) {
        *bytes[k] = rsm_xrealloc(*bytes[k], slots);
        memset(*bytes[k] + old, 0, slots - old);
    }
    uint64_t **words[] = { &s->next_index, &s->match_index, &s->acked_round, &s->sorted,
                           &s->snap_offset, &s->snap_sent, &s->snap_probe, &s->snap_next };
    for (size_t k = 0; k < sizeof words / sizeof *words; k++) {
        *words[k] = rsm_xrealloc(*words[k], slots * sizeof(uint64_t));
        memset(*words[k] + old, 0, (slots - old) * sizeof(uint64_t));
    }
    for (size_t i = old; i < slots; i++)
        s->next_index[i] = last_index(s) + 1;
    s->nn = nn;
}

void raft_on_membership(struct node *n, int id, int joined)
{
    struct raft_state *s = st(n);
    raft_config_resize(n);
    if (id == node_id(n) && joined)
        return;                  /* a new server: a learner until a leader adds it */
    if (joined ? s->voter[id] : !s->voter[id])
        return;                  /* already so in our log */
    for (int k = 0; k < s->npending; k++)
        if (s->pending[k].add == joined && s->pending[k].id == id)
            return;
    if (s->npending == s->cappending) {
        s->cappending = s->cappending ? s->cappending * 2 : 8;
        s->pending = rsm_xrealloc(s->pending, (size_t)s->cappending * sizeof *s->pending);
    }
    s->pending[s->npending++] = (struct cfg_change){ joined, id };
    if (s->role == LEADER && joined) {
        s->next_index[id] = last_index(s) + 1;
        s->match_index[id] = 0;
    }
    /* Nothing is sent from here (the engine may call a paused server): the
     * next heartbeat starts the catch-up and proposes the change. */
}

static void append_change(struct node *n, int add, int id)
{
    struct raft_state *s = st(n);
    struct entry e;
    memset(&e, 0, sizeof e);
    e.term = s->term;
    e.type = ENTRY_CONFIG;
    snprintf(e.cmd.op, sizeof e.cmd.op, "%s", add ? "add_node" : "remove_node");
    e.cmd.num = id;
    struct record *r = node_note_begin(n, "config", 1);
    record_str(r, "change", e.cmd.op);
    record_int(r, "server", id);
    record_int(r, "index", (int64_t)last_index(s) + 1);
    record_int(r, "term", (int64_t)s->term);
    node_note_end(n, r);
    raft_append_local(n, &e);
}

void raft_maybe_change(struct node *n)
{
    struct raft_state *s = st(n);
    const struct raft_params *p = prm(n);
    int k = 0;
    while (s->role == LEADER && k < s->npending) {
        /* Bug raft.concurrent_config_changes: neither wait below. */
        if (!p->bug_concurrent_config_changes &&
            (s->commit_index < s->term_start || s->cfg_index > s->commit_index))
            return;
        struct cfg_change c = s->pending[k];
        if (c.add ? !node_is_member(n, c.id) || s->voter[c.id] : !s->voter[c.id]) {
            drop_pending(s, c.add, c.id);     /* done already, or moot */
            continue;
        }
        /* §4.2.1: the new server holds what is committed before it votes. */
        if (c.add && s->match_index[c.id] < s->commit_index) {
            if (!s->inflight[c.id])
                raft_send_append(n, c.id);
            k++;
            continue;
        }
        append_change(n, c.add, c.id);     /* drops it from pending */
        if (!p->bug_concurrent_config_changes)
            return;
    }
}

/* §4.2.2: once the entry removing this server is committed it leaves; a
 * leader steps down first. */
void raft_config_committed(struct node *n)
{
    struct raft_state *s = st(n);
    if (!s->removed_at || s->commit_index < s->removed_at)
        return;
    if (s->role != FOLLOWER)
        raft_become_follower(n, s->term, 0);
    node_leave(n);
}
