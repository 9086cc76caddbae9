/* Raft log compaction (Ongaro's thesis, chapter 5): snapshots of the state
 * machine, and InstallSnapshot for followers that fell behind the leader's
 * first retained entry.
 *
 *   §5.1   each server snapshots independently, once `snapshot_entries`
 *          applied entries have accumulated past its last snapshot; the
 *          snapshot holds the machine's state AND its client sessions (§6.3:
 *          otherwise a retried command applies twice after a restart or an
 *          install; bug raft.snapshot_without_sessions), and the index and
 *          term of the last entry it replaces. The durable store holds the
 *          snapshot and the log suffix; a restart loads the snapshot and
 *          replays only the suffix.
 *   Figure 5.3  InstallSnapshot, in chunks of `snapshot_chunk` bytes at
 *          increasing offsets, a window of them in flight (the follower
 *          keeps chunks that arrive out of order); the follower keeps entries that follow the
 *          snapshot if its log has the snapshot's last entry, else discards
 *          its log, then resets its state machine from the snapshot.
 *
 * Store layout (beside raft.c's "meta", "len", "log/<i>"): "snap" = struct
 * snap_meta, "snapdata" = the snapshot: the configuration at its index
 * (thesis §5.1: "the latest configuration as of the last included index";
 * a uint32 count, then the voters' ids as uint32) and the machine's bytes.
 * Entries up to the snapshot's index are deleted. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "algorithms/raft_int.h"

struct snap_meta { uint64_t index, term, chain, bytes; };

/* Read the configuration at the front of a snapshot into base_voter;
 * returns the machine's part, or NULL when malformed. */
static const unsigned char *read_config(struct node *n, const unsigned char *p, size_t len, size_t *mlen)
{
    struct raft_state *s = st(n);
    uint32_t k;
    if (len < sizeof k)
        return NULL;
    memcpy(&k, p, sizeof k);
    if (k > (uint32_t)s->nn || len < sizeof k * (1 + (size_t)k))
        return NULL;
    memset(s->base_voter, 0, (size_t)s->nn + 1);
    for (uint32_t j = 0; j < k; j++) {
        uint32_t id;
        memcpy(&id, p + sizeof k * (1 + j), sizeof id);
        if (id < 1 || id > (uint32_t)s->nn)
            return NULL;
        s->base_voter[id] = 1;
    }
    *mlen = len - sizeof k * (1 + (size_t)k);
    return p + sizeof k * (1 + (size_t)k);
}

static void note_snapshot(struct node *n, const char *type, uint64_t index, uint64_t term, uint64_t bytes)
{
    struct record *r = node_note_begin(n, type, 1);
    record_int(r, "index", (int64_t)index);
    record_int(r, "term", (int64_t)term);
    record_int(r, "bytes", (int64_t)bytes);
    node_note_end(n, r);
}

/* The snapshot's bytes and meta are durable; entries up to `index` go from
 * the store and from memory, and those after it stay (shifted down) when
 * keep, else go too. */
static void install_local(struct node *n, uint64_t index, uint64_t term, uint64_t chain,
                          const unsigned char *data, size_t bytes, int keep)
{
    struct raft_state *s = st(n);
    struct snap_meta m = { index, term, chain, bytes };
    node_store_put(n, "snapdata", data, bytes);
    node_store_put(n, "snap", &m, sizeof m);
    uint64_t drop_to = index < s->len ? index : s->len;
    for (uint64_t i = s->base + 1; i <= drop_to; i++) {
        char key[32];
        snprintf(key, sizeof key, "log/%" PRIu64, i);
        node_store_del(n, key);
    }
    if (keep && index < s->len) {
        uint64_t after = s->len - index;
        memmove(s->log, s->log + (index - s->base), (size_t)after * sizeof *s->log);
        memmove(s->chain, s->chain + (index - s->base), (size_t)after * sizeof *s->chain);
    } else {
        s->len = index;
        raft_persist_len(n);
    }
    s->base = index;
    s->snap_term = term;
    s->snap_chain = chain;
    raft_persist_sync(n);
}

/* §5.1: once enough applied entries accumulated, the state machine's state
 * at lastApplied replaces them. */
void raft_maybe_snapshot(struct node *n)
{
    struct raft_state *s = st(n);
    const struct raft_params *p = prm(n);
    if (!p->snapshot_entries || s->last_applied - s->base < (uint64_t)p->snapshot_entries)
        return;
    /* A leader sending its snapshot to a follower keeps it (and the log
     * after it) until the transfer is done, up to four times the usual log:
     * a new snapshot would restart the transfer, and a slow one might never
     * finish. */
    if (s->role == LEADER && s->last_applied - s->base < 4 * (uint64_t)p->snapshot_entries)
        for (int i = 1; i <= s->nn; i++)
            if (s->snap_sent[i] == s->base && s->snap_offset[i] > 0)
                return;
    uint64_t index = s->last_applied;
    uint64_t term = term_at(s, index), chain = chain_at(s, index);
    struct machine_buf b = { 0 };
    size_t slots = (size_t)s->nn + 1;
    unsigned char *cfg = rsm_xcalloc(slots, 1);
    raft_config_at(s, index, cfg);
    uint32_t k = 0;
    for (size_t i = 1; i < slots; i++)
        k += cfg[i];
    machine_buf_put(&b, &k, sizeof k);
    for (uint32_t i = 1; i < slots; i++)
        if (cfg[i])
            machine_buf_put(&b, &i, sizeof i);
    /* Bug raft.snapshot_without_sessions: the state alone; whoever loads it
     * has forgotten which commands it already ran. */
    machine_save(&s->m, &b, !p->bug_snapshot_without_sessions);
    install_local(n, index, term, chain, b.p, b.len, 1);
    memcpy(s->base_voter, cfg, slots);
    free(cfg);
    struct raft_ghost *g = node_ghost(n);
    g->snapshots++;
    struct obs *o = raft_observe(n, OB_SNAPSHOT);
    o->index = index;
    o->term = term;
    o->chain = chain;
    o->digest = kv_fnv(KV_FNV_INIT, b.p, b.len);
    note_snapshot(n, "snapshot", index, term, b.len);
    machine_buf_free(&b);
}

/* Restart: the snapshot first; raft.c then reads the log suffix after it. */
void raft_restore_snapshot(struct node *n)
{
    struct raft_state *s = st(n);
    size_t len, bytes;
    const void *p = node_store_get(n, "snap", &len);
    if (!p || len != sizeof(struct snap_meta))
        return;
    struct snap_meta m;
    memcpy(&m, p, sizeof m);
    const unsigned char *data = node_store_get(n, "snapdata", &bytes);
    size_t mlen = 0;
    const unsigned char *mach = data && bytes == m.bytes ? read_config(n, data, bytes, &mlen) : NULL;
    if (!mach || machine_load(&s->m, mach, mlen) != 0)
        abort();                 /* the store lost or mangled a synced snapshot: an engine bug */
    s->base = m.index;
    s->snap_term = m.term;
    s->snap_chain = m.chain;
    /* A snapshot holds only committed, applied entries. */
    s->commit_index = s->last_applied = m.index;
}

/* Chunks in flight to one follower: as many as fit in SNAP_WINDOW_BYTES,
 * at least one. One chunk per round trip moves snapshot_chunk bytes per
 * round trip; with small chunks a large snapshot then takes longer to send
 * than the leader takes to compact past it, and a new server catching up
 * as a learner never does (so it is never added). The window keeps the
 * bytes per round trip near the default chunk's whatever the chunk size;
 * with chunks of SNAP_WINDOW_BYTES or more it is one chunk, stop-and-wait. */
#define SNAP_WINDOW_BYTES 4096

static uint64_t snap_window(const struct raft_params *p)
{
    uint64_t w = SNAP_WINDOW_BYTES / (uint64_t)p->snapshot_chunk;
    return (w ? w : 1) * (uint64_t)p->snapshot_chunk;
}

/* Figure 5.3: the chunk of the leader's current snapshot at `off`. */
static void send_chunk(struct node *n, int peer, const unsigned char *data, uint64_t total, uint64_t off)
{
    struct raft_state *s = st(n);
    const struct raft_params *p = prm(n);
    uint64_t bytes = total - off < (uint64_t)p->snapshot_chunk ? total - off : (uint64_t)p->snapshot_chunk;
    struct snap_req r;
    memset(&r, 0, sizeof r);
    r.term = s->term;
    r.leader = node_id(n);
    r.last_index = s->base;
    r.last_term = s->snap_term;
    r.chain = s->snap_chain;
    r.offset = off;
    r.total = total;
    r.bytes = (uint32_t)bytes;
    memcpy(s->buf, &r, sizeof r);
    memcpy(s->buf + sizeof r, data + off, (size_t)bytes);
    raft_sent_term(n, r.term);
    node_send(n, peer, MSG_INSTALL_SNAPSHOT, s->buf, sizeof r + (size_t)bytes);
    ((struct raft_ghost *)node_ghost(n))->snapshot_chunks++;
}

/* The chunks at offsets from..to (exclusive, clipped to the snapshot). The
 * follower takes chunks in order only, so every offset sent is the one it
 * acknowledged plus whole chunks. */
static void send_chunks(struct node *n, int peer, uint64_t from, uint64_t to)
{
    struct raft_state *s = st(n);
    size_t total;
    const unsigned char *data = node_store_get(n, "snapdata", &total);
    if (!data)
        return;
    for (uint64_t off = from; off < to && off < total; off += (uint64_t)prm(n)->snapshot_chunk) {
        send_chunk(n, peer, data, total, off);
        s->inflight[peer] = 1;
        if (off + (uint64_t)prm(n)->snapshot_chunk > s->snap_next[peer])
            s->snap_next[peer] = off + (uint64_t)prm(n)->snapshot_chunk;
    }
}

/* Figure 5.3: the window of the leader's current snapshot for peer, from
 * the offset it acknowledged. Called on every heartbeat (and new entry):
 * while chunks flow, the replies keep the window moving and this only
 * notes how far the follower got. When it got no further since the last
 * call or resend, one chunk goes out from there: a follower that is down
 * or cut off costs one chunk per heartbeat, not a window, and one that
 * answers brings the window back (its repeated answer, below). */
void raft_send_snapshot(struct node *n, int peer)
{
    struct raft_state *s = st(n);
    if (s->base == 0)
        return;
    if (s->snap_sent[peer] != s->base) {      /* a newer snapshot: start over */
        s->snap_sent[peer] = s->base;
        s->snap_offset[peer] = s->snap_next[peer] = 0;
    } else if (s->snap_offset[peer] != s->snap_probe[peer]) {
        s->snap_probe[peer] = s->snap_offset[peer];
        s->inflight[peer] = 1;
        return;
    }
    uint64_t off = s->snap_offset[peer];
    s->snap_probe[peer] = off;
    send_chunks(n, peer, off, off + 1);       /* the first answer opens the window */
}

/* A new snapshot to receive: `total` bytes, none held yet. */
static void recv_start(struct node *n, uint64_t index, uint64_t total)
{
    struct raft_state *s = st(n);
    size_t chunks = (size_t)((total + (uint64_t)prm(n)->snapshot_chunk - 1) / (uint64_t)prm(n)->snapshot_chunk);
    if (total > s->recv.cap) {
        s->recv.p = rsm_xrealloc(s->recv.p, (size_t)total);
        s->recv.cap = (size_t)total;
    }
    if (chunks > s->recv_chunks) {
        s->recv_have = rsm_xrealloc(s->recv_have, chunks);
        s->recv_chunks = chunks;
    }
    memset(s->recv_have, 0, chunks);
    s->recv.len = 0;
    s->recv_index = index;
    s->recv_total = total;
}

/* Keep one chunk (a whole one, on a chunk boundary, else it is ignored)
 * and move recv.len past every chunk now held from there on. */
static void recv_put(struct node *n, const struct snap_req *r, const unsigned char *data)
{
    struct raft_state *s = st(n);
    uint64_t c = (uint64_t)prm(n)->snapshot_chunk, total = s->recv_total;
    if (r->offset % c || r->offset >= total || r->bytes != (total - r->offset < c ? total - r->offset : c))
        return;
    size_t k = (size_t)(r->offset / c);
    if (!s->recv_have[k]) {
        memcpy(s->recv.p + r->offset, data, r->bytes);
        s->recv_have[k] = 1;
    }
    while (s->recv.len < total && s->recv_have[s->recv.len / c])
        s->recv.len = s->recv.len + c < total ? s->recv.len + c : (size_t)total;
}

void raft_handle_snapshot(struct node *n, int src, const struct snap_req *r, const unsigned char *data)
{
    struct raft_state *s = st(n);
    struct snap_reply rep;
    memset(&rep, 0, sizeof rep);
    rep.req_term = r->term;
    rep.last_index = r->last_index;
    /* Figure 5.3, receiver 1: "Reply immediately if term < currentTerm". */
    if (r->term < s->term) {
        rep.term = s->term;
        raft_send_durable(n, src, MSG_INSTALL_SNAPSHOT_REPLY, &rep, sizeof rep);
        return;
    }
    uint64_t term_before = s->term;
    if (r->term > s->term || s->role != FOLLOWER)
        raft_become_follower(n, r->term, src);
    s->leader = src;
    s->leader_contact = node_now(n);
    raft_arm_election(n);
    rep.term = s->term;
    if (r->last_index <= s->commit_index) {
        /* Already covered by what this server committed: nothing to do. */
        if (s->term != term_before)
            raft_persist_sync(n);
        rep.done = 1;
        rep.offset = r->total;
        raft_send_durable(n, src, MSG_INSTALL_SNAPSHOT_REPLY, &rep, sizeof rep);
        return;
    }
    /* Receivers 2-4: chunks are written at their offset. The network may
     * reorder the leader's window, so a chunk ahead of the others is kept
     * too (recv_have marks the chunks held); the answer is the offset up to
     * which every chunk is here, the one the leader sends next. */
    if (s->recv_index != r->last_index || s->recv_total != r->total)
        recv_start(n, r->last_index, r->total);
    recv_put(n, r, data);
    rep.offset = s->recv.len;
    if (s->recv.len < r->total) {
        if (s->term != term_before)
            raft_persist_sync(n);
        raft_send_durable(n, src, MSG_INSTALL_SNAPSHOT_REPLY, &rep, sizeof rep);
        return;
    }
    /* Receiver 5-8: done. Keep the entries after the snapshot if our log
     * has its last entry; else the whole log goes. Then the state machine
     * is reset from the snapshot. */
    int keep = r->last_index <= s->len && term_at(s, r->last_index) == r->last_term;
    size_t mlen = 0;
    const unsigned char *mach = read_config(n, s->recv.p, s->recv.len, &mlen);
    if (!mach || machine_load(&s->m, mach, mlen) != 0)
        abort();                 /* the leader's own bytes: a bug in this file */
    install_local(n, r->last_index, r->last_term, r->chain, s->recv.p, s->recv.len, keep);
    raft_config_recompute(n);    /* the snapshot's configuration, then the log after it */
    s->commit_index = s->last_applied = r->last_index;
    struct raft_ghost *g = node_ghost(n);
    g->installs++;
    struct obs *o = raft_observe(n, OB_SNAPSHOT);
    o->index = r->last_index;
    o->term = r->last_term;
    o->chain = r->chain;
    o->digest = kv_fnv(KV_FNV_INIT, s->recv.p, s->recv.len);
    o->flag = 1;                 /* installed from the leader */
    note_snapshot(n, "install_snapshot", r->last_index, r->last_term, s->recv.len);
    s->recv.len = 0;
    s->recv_index = 0;
    s->recv_total = 0;
    rep.done = 1;
    rep.offset = r->total;
    raft_send_durable(n, src, MSG_INSTALL_SNAPSHOT_REPLY, &rep, sizeof rep);
}

void raft_handle_snapshot_reply(struct node *n, int src, const struct snap_reply *r)
{
    struct raft_state *s = st(n);
    if (!raft_reply_counts(n, src, r->term, r->req_term))
        return;
    if (r->done) {
        s->snap_offset[src] = 0;
        s->snap_sent[src] = 0;
        raft_matched(n, src, r->last_index);
        if (s->role == LEADER && s->next_index[src] <= last_index(s))
            raft_send_append(n, src);
        return;
    }
    if (r->last_index != s->snap_sent[src])
        return;                  /* about a snapshot we no longer send */
    /* The offset the follower asks for next (0: it has none of it, e.g. it
     * restarted: the window again from there); a lower one other than 0
     * is an answer overtaken by a later one. A repeated answer means the
     * chunk there is late or lost while later ones arrived: it goes out
     * again, once per offset, so the repeats the rest of the window brings
     * do not multiply chunks. Moving on, the chunks up to snap_next are
     * out already: send the ones after it that the window now covers. */
    uint64_t old = s->snap_offset[src], w = snap_window(prm(n));
    s->inflight[src] = 1;        /* the window is still out: replies and heartbeats move it */
    if (r->offset < old && r->offset != 0)
        return;
    if (r->offset <= old) {
        if (r->offset == old && s->snap_probe[src] == old)
            return;
        s->snap_offset[src] = s->snap_probe[src] = r->offset;
        if (r->offset < old)
            s->snap_next[src] = 0;
        send_chunks(n, src, r->offset, r->offset + (r->offset < old ? w : 1));
        return;
    }
    s->snap_offset[src] = r->offset;
    uint64_t next = s->snap_next[src];
    send_chunks(n, src, next > r->offset ? next : r->offset, r->offset + w);
}

void raft_describe_snapshot(int type, const void *payload, size_t len, struct record *args)
{
    if (type == MSG_INSTALL_SNAPSHOT) {
        struct snap_req r;
        if (len < sizeof r)
            return;
        memcpy(&r, payload, sizeof r);
        record_int(args, "term", (int64_t)r.term);
        record_int(args, "last_index", (int64_t)r.last_index);
        record_int(args, "last_term", (int64_t)r.last_term);
        record_int(args, "offset", (int64_t)r.offset);
        record_int(args, "bytes", r.bytes);
        record_bool(args, "done", r.offset + r.bytes >= r.total);
    } else if (type == MSG_INSTALL_SNAPSHOT_REPLY) {
        struct snap_reply r;
        if (len != sizeof r)
            return;
        memcpy(&r, payload, sizeof r);
        record_int(args, "term", (int64_t)r.term);
        record_int(args, "last_index", (int64_t)r.last_index);
        record_int(args, "offset", (int64_t)r.offset);
        record_bool(args, "done", r.done);
    }
}
